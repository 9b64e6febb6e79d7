#![allow(missing_docs)] // criterion_group! generates an undocumented function
//! The slowest single call, not the average: what a service that applies events inline
//! (an order service answering its caller) feels once in a million calls.
//!
//! - `latency` (printed first, once): 2,000,000 receipts, each of 1 EA to one of 10,000
//!   items at one of 9 sites (a fixed pseudo-random sequence), applied one by one to the
//!   ledger alone (the baseline) and to the whole network (ledger, availability,
//!   valuation, journal, KPI feed), each call timed on its own. It prints the 50th, 99th,
//!   99.9th and 99.99th percentiles, the slowest call and the ten slowest events. Before
//!   the indexes keyed by event id were spread over shards once large
//!   ([`onhand_master::spread::SpreadMap`]) and the valuation's per-event logs kept in
//!   chunks, the call that crossed a hash table's doubling moved the whole table: 150 to
//!   200 ms for the ledger alone and 150 to 520 ms for the network at event 1,835,008
//!   (7/8 of 2^21), twice that at the next doubling, and so on without bound. Now the
//!   slowest call is the one that spreads the ledger's indexes (event 28,671, a few
//!   milliseconds), and each later growth moves one shard. The price is at the 99.99th
//!   percentile: the 512 shard growths between 1 and 2 million events each take about
//!   0.5 ms, where the one doubling took them all at once. `LATENCY_EVENTS=N` changes
//!   the count (a check run, `-- --test`, takes 50,000).
//! - `latency/control_raise` (printed after): 1,200,000 stockout risks, each about
//!   another item-site, raised one by one into one exception queue
//!   (`LATENCY_RAISES=N`; a check run takes 50,000). Its index of active exceptions was
//!   one open-addressing table that doubled inside a single raise: at 1,048,576 open
//!   exceptions, 64 MiB zeroed and a million keys placed again. Spread over 256 tables
//!   from 32,768 keys on, each grows on its own.
//! - `latency/insight` (printed last): the `insight_kpi` bench's record stream (order
//!   lines, transfers, counts, adjustments, receipts, demand, in time order), 4,000,000
//!   records (`LATENCY_RECORDS=N`; a check run takes 50,000) applied one by one to the
//!   KPI engine alone. Its tables of order lines, transfer lines and day cells are plain
//!   hash maps: the record that crosses a doubling moves a whole one (18 ms at record
//!   2,971,595; the network's KPI feed pays the same inside `Network::apply`).
//! - `spread/insert_map` and `spread/insert_spread`: 1,000,000 new event ids (with a
//!   32-byte digest, as the ledger keeps) inserted into a plain map and into a spread
//!   map, the cost per insert of spreading (a second hash and a shard look-up) against
//!   the baseline; `spread/get_map` and `spread/get_spread`, a look-up of each.
//!
//! Run: `cargo bench -p onhand-benches --bench latency`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use onhand::ledger::{
    Actor, ActorId, DocKind, DocNumber, DocumentRef, Event, EventId, Ledger, Line, ReasonCode,
    Rules, SiteLines, SiteScope,
};
use onhand::master::{Catalog, CurrencyCode, LotCode, Money, Qty, Role};
use onhand::rust_decimal::Decimal;
use onhand::status::StockStatus;
use onhand::{Network, NetworkConfig};
use onhand_master::hash::{Map, map};
use onhand_master::spread::SpreadMap;
use onhand_testkit::scale;

const ITEMS: usize = 10_000;
const SITES: usize = 9;

struct Setup {
    catalog: Arc<Catalog>,
    actor: Actor,
    reason: ReasonCode,
    /// A purchase cost per site, in its entity's currency.
    costs: Vec<Money>,
}

impl Setup {
    fn new() -> Self {
        let catalog =
            Arc::new(Catalog::new(scale::network(ITEMS, SITES, false)).expect("synthetic network"));
        let costs = (0..SITES)
            .map(|s| {
                let currency = catalog
                    .site_ix(&scale::site_code(s))
                    .and_then(|s| catalog.site_entity(s))
                    .and_then(|e| catalog.entity(e))
                    .map(|e| e.currency)
                    .expect("every synthetic site has an entity");
                Money::new("1.25".parse().expect("cost"), currency)
            })
            .collect();
        Setup {
            catalog,
            actor: Actor {
                id: ActorId::new("bench").expect("id"),
                roles: vec![Role::Warehouse, Role::InventoryControl, Role::Supervisor],
                sites: SiteScope::All,
            },
            reason: ReasonCode::new("BENCH").expect("reason"),
            costs,
        }
    }

    fn rules() -> Rules {
        Rules::standard(CurrencyCode::new("USD").expect("usd")).trusting_event_actors()
    }

    /// Receipt `k` (from 0): 1 EA of a pseudo-random item at its site, one minute per
    /// thousand events.
    fn receipt(&self, k: usize, draw: u64) -> Event {
        let i = usize::try_from(draw >> 33).unwrap_or(0) % ITEMS;
        let site = scale::site_code(i % SITES);
        let mut line = Line::new(scale::item_code(i), "1 EA".parse::<Qty>().expect("qty"))
            .statuses(None, Some(StockStatus::Available))
            .cost(self.costs[i % SITES]);
        // Every fifth synthetic item is lot-tracked.
        if i.is_multiple_of(5) {
            line.lot = Some(LotCode::new("L1").expect("lot"));
        }
        let at = onhand::ledger::testing::at(i64::try_from(k / 1000).unwrap_or(0));
        Event {
            id: EventId::from_u128(k as u128 + 1),
            effective_at: at,
            recorded_at: at,
            actor: self.actor.clone(),
            reason: self.reason.clone(),
            reference: DocumentRef {
                kind: DocKind::PurchaseOrder,
                number: DocNumber::new("PO-1").expect("doc"),
            },
            body: onhand::ledger::Body::Receipt(SiteLines { site, lines: vec![line] }),
        }
    }
}

/// Applies `n` receipts through `apply`, timing each call; the times, in event order.
#[allow(
    clippy::disallowed_methods,
    reason = "a bench times each call with the clock the pure crates never read"
)]
fn timed(setup: &Setup, n: usize, mut apply: impl FnMut(&Event) -> bool) -> Vec<Duration> {
    let mut times = Vec::with_capacity(n);
    let mut draw = 12_345_u64;
    for k in 0..n {
        draw = draw.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let e = setup.receipt(k, draw);
        let start = Instant::now();
        let ok = apply(black_box(&e));
        times.push(start.elapsed());
        assert!(ok, "receipt {k} refused");
    }
    times
}

fn report(what: &str, times: &[Duration]) {
    let mut sorted = times.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    let at = |per: usize, of: usize| sorted.get(n * per / of).copied().unwrap_or_default();
    let total: Duration = times.iter().sum();
    println!(
        "latency/{what}: {n} calls in {total:.2?}; p50 {:?}, p99 {:?}, p99.9 {:?}, \
         p99.99 {:?}, slowest {:?}",
        at(1, 2),
        at(99, 100),
        at(999, 1000),
        at(9999, 10_000),
        sorted.last().copied().unwrap_or_default(),
    );
    let mut slowest: Vec<(Duration, usize)> =
        times.iter().enumerate().map(|(k, t)| (*t, k)).collect();
    slowest.sort_unstable_by(|a, b| b.cmp(a));
    let list: Vec<String> =
        slowest.iter().take(10).map(|(t, k)| format!("event {k}: {t:.2?}")).collect();
    println!("  slowest: {}", list.join(", "));
}

fn latency(_: &mut Criterion) {
    // A check run (`cargo bench -- --test`, as CI runs every bench once) takes 50,000:
    // past the size at which the ledger's indexes spread, so that path runs too.
    let check = std::env::args().any(|a| a == "--test");
    let n = count("LATENCY_EVENTS", check, 2_000_000);
    let setup = Setup::new();
    let mut ledger = Ledger::new(setup.catalog.clone(), Setup::rules()).expect("ledger");
    let times = timed(&setup, n, |e| ledger.apply(e).is_ok());
    report("ledger", &times);
    drop(ledger);
    let mut network = Network::with_catalog(
        setup.catalog.clone(),
        Setup::rules(),
        NetworkConfig::default(),
        onhand::ledger::testing::at(-60),
    )
    .expect("network");
    let times = timed(&setup, n, |e| network.apply(e).is_ok_and(|o| o.accepted()));
    report("network", &times);
    drop(network);
    // The exception queue: a stockout risk raised per item-site, into one queue.
    let times = raised(count("LATENCY_RAISES", check, 1_200_000));
    report("control_raise", &times);
    // The KPI engine alone: the `insight_kpi` bench's record stream, one call each.
    let times = insight_calls(count("LATENCY_RECORDS", check, 4_000_000));
    report("insight", &times);
}

/// How many calls a measurement makes: the environment variable `var` if set, else
/// 50,000 in a check run (`-- --test`) and `full` otherwise.
fn count(var: &str, check: bool, full: usize) -> usize {
    std::env::var(var).ok().and_then(|s| s.parse().ok()).unwrap_or(if check {
        50_000
    } else {
        full
    })
}

/// Applies `n` records of the KPI mix (`onhand_benches::insight_mix::kpi_mix`: order
/// lines, transfers, counts, adjustments, receipts, demand, in time order) to one
/// `Insight`, timing each call; the times, in order.
#[allow(
    clippy::disallowed_methods,
    reason = "a bench times each call with the clock the pure crates never read"
)]
fn insight_calls(n: usize) -> Vec<Duration> {
    use onhand_benches::insight_mix::{config, kpi_mix};
    let records = kpi_mix(n);
    let mut insight = onhand_insight::Insight::new(config()).expect("config");
    let mut times = Vec::with_capacity(records.len());
    for (k, r) in records.iter().enumerate() {
        let start = Instant::now();
        let applied = insight.apply(black_box(r));
        times.push(start.elapsed());
        assert!(applied.is_ok(), "record {k} refused");
    }
    times
}

/// Raises `n` stockout-risk exceptions, each about another item-site, into one queue,
/// timing each call; the times, in order.
#[allow(
    clippy::disallowed_methods,
    reason = "a bench times each call with the clock the pure crates never read"
)]
fn raised(n: usize) -> Vec<Duration> {
    use onhand::control::{Control, Effect, ExceptionKind, Impact, Rules, Signal, Subject};
    let usd = CurrencyCode::new("USD").expect("usd");
    let mut control = Control::new(Rules::standard(usd)).expect("standard rules");
    let at = onhand::ledger::testing::at(0);
    let sites: Vec<_> = (0..SITES).map(scale::site_code).collect();
    let mut times = Vec::with_capacity(n);
    for k in 0..n {
        let subject = Subject::ItemSite {
            item: scale::item_code(k / SITES),
            site: sites.get(k % SITES).cloned().expect("a site"),
            lot: None,
        };
        let value = Decimal::from(u64::try_from(k % 9_973).unwrap_or(0) + 100);
        let s = Signal::new(ExceptionKind::StockoutRisk, subject, at, Impact::value(value, usd));
        let start = Instant::now();
        let applied = control.apply(black_box(&s));
        times.push(start.elapsed());
        assert!(applied.is_ok_and(|a| a.effect == Effect::Raised), "signal {k} refused");
    }
    times
}

fn spread(c: &mut Criterion) {
    const N: u128 = 1_000_000;
    let digest = [7_u8; 32];
    let mut g = c.benchmark_group("spread");
    g.sample_size(10);
    g.throughput(Throughput::Elements(u64::try_from(N).unwrap_or(u64::MAX)));
    g.bench_function("insert_map", |b| {
        b.iter_batched(
            map::<u128, [u8; 32]>,
            |mut m| {
                for id in 0..N {
                    m.insert(black_box(id), digest);
                }
                m
            },
            BatchSize::LargeInput,
        );
    });
    g.bench_function("insert_spread", |b| {
        b.iter_batched(
            SpreadMap::<u128, [u8; 32]>::new,
            |mut m| {
                for id in 0..N {
                    m.insert(black_box(id), digest);
                }
                m
            },
            BatchSize::LargeInput,
        );
    });
    let plain: Map<u128, [u8; 32]> = (0..N).map(|id| (id, digest)).collect();
    let spread: SpreadMap<u128, [u8; 32]> = (0..N).map(|id| (id, digest)).collect();
    g.bench_function("get_map", |b| {
        b.iter(|| (0..N).filter(|id| plain.contains_key(black_box(id))).count());
    });
    g.bench_function("get_spread", |b| {
        b.iter(|| (0..N).filter(|id| spread.contains_key(black_box(id))).count());
    });
    g.finish();
}

criterion_group!(benches, latency, spread);
criterion_main!(benches);
