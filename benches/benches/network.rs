#![allow(missing_docs)] // criterion_group! generates an undocumented function
//! The facade against the bare engines, in the same run, on a network of 100,000 items
//! across 9 sites (issue 16's targets):
//!
//! - `network/mixed` against `ledger/mixed`: the same 100,000 events (a third receipts
//!   with a purchase cost, a third picks, a third cycle counts) through
//!   `Network::apply` (ledger, availability, valuation, KPIs and journal together) and
//!   through `Ledger::apply` alone. Target: at least 1,000,000 events per second, and
//!   at most 2x the ledger alone.
//! - `mixed/network_no_insight`: the same events through a network whose KPI feed
//!   (issue 19: counts, adjustments, shipments against order lines, ... translated into
//!   `onhand-insight` records) is off, so `network` against it is the feed's overhead.
//!   The KPI engine alone is `benches/insight.rs`. Instruction counts of the feed:
//!   `NETWORK_BENCH_ITEMS=3000 valgrind --tool=callgrind <bench binary> --bench --exact
//!   mixed/network --profile-time 1`, then the inclusive cost of `feed_event` against
//!   `Network::apply` in `callgrind_annotate --inclusive=yes`. The same events through
//!   the ledger alone and through the network, in instructions per event (10,000 items):
//!   `crates/onhand/examples/network_apply_calls.rs` (its docs give the commands).
//! - `network/promise` against `atp/promise`: promising the same order lines through
//!   `Network::promise` (by code, answered in the line's unit) and `Atp::promise`.
//!   Target: at most 1.3x the engine alone.
//!
//! - `replan/with_bookings` against `replan/no_bookings`: picks of planned item-sites
//!   (each re-plans its item-site from its inventory position) on a network of 2,000
//!   planned items, holding 20,000 booked order lines of other items or none. The
//!   facade's inventory position reads only the lines of the item's substitution group,
//!   and the availability engine reads what booked lines hold at an item-site from an
//!   index kept with its book, so the two should cost about the same (before both
//!   indexes: 81 ms against 6.8 ms for 2,000 picks). `replan/short_with_bookings`: the
//!   same picks where all of each planned item-site's stock is allocated, so every pick
//!   leaves its item-site short and signals the line it uncovers; finding that line
//!   reads only the item's substitution group (before: every booked line, 4.05 s
//!   against 12.7 ms for 2,000 picks).
//!
//! Each iteration applies a batch to a copy made outside the timed section.

use std::sync::Arc;

use chrono::NaiveDate;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use onhand::ledger::{
    Actor, ActorId, Applied, Body, Count, CountLine, DocKind, DocNumber, DocumentRef, Event,
    EventId, Ledger, Line, ReasonCode, Rules, SiteLines, SiteScope,
};
use onhand::master::{Catalog, CurrencyCode, LotCode, Money, Qty, Role};
use onhand::status::StockStatus;
use onhand::{Network, NetworkConfig, OrderRequest};
use onhand_testkit::scale;

/// Items (and events per batch): 100,000, or `NETWORK_BENCH_ITEMS` for a smaller run
/// under `valgrind --tool=callgrind`.
fn items() -> usize {
    std::env::var("NETWORK_BENCH_ITEMS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000)
}
const SITES: usize = 9;

struct Setup {
    catalog: Arc<Catalog>,
    actor: Actor,
    reason: ReasonCode,
    lot: LotCode,
}

impl Setup {
    fn new() -> Self {
        Setup {
            catalog: Arc::new(
                Catalog::new(scale::network(items(), SITES, false)).expect("network"),
            ),
            actor: Self::new_actor(),
            reason: ReasonCode::new("BENCH").expect("reason"),
            lot: LotCode::new("L1").expect("lot"),
        }
    }

    fn new_actor() -> Actor {
        Actor {
            id: ActorId::new("bench").expect("id"),
            roles: vec![Role::Warehouse, Role::InventoryControl, Role::Supervisor],
            sites: SiteScope::All,
        }
    }

    fn rules() -> Rules {
        Rules::standard(CurrencyCode::new("USD").expect("usd")).trusting_event_actors()
    }

    fn event(&self, id: u128, minute: i64, kind: DocKind, body: Body) -> Event {
        let at = onhand::ledger::testing::at(minute);
        Event {
            id: EventId::from_u128(id),
            effective_at: at,
            recorded_at: at,
            actor: self.actor.clone(),
            reason: self.reason.clone(),
            reference: DocumentRef { kind, number: DocNumber::new("DOC-1").expect("doc") },
            body,
        }
    }

    fn line(&self, i: usize, qty: &str) -> Line {
        let mut line = Line::new(scale::item_code(i), qty.parse::<Qty>().expect("qty"));
        if i.is_multiple_of(5) {
            line.lot = Some(self.lot.clone());
        }
        line
    }

    /// A receipt of item `i` at site `i % SITES`, straight to available, at a cost in
    /// the currency of the site's entity.
    fn receipt(&self, id: u128, minute: i64, i: usize, qty: &str) -> Event {
        let site = i % SITES;
        let currency = self
            .catalog
            .site_ix(&scale::site_code(site))
            .and_then(|s| self.catalog.site_entity(s))
            .and_then(|e| self.catalog.entity(e))
            .map(|e| e.currency)
            .expect("every synthetic site has an entity");
        let cost = Money::new("1.25".parse().expect("cost"), currency);
        let line = self.line(i, qty).statuses(None, Some(StockStatus::Available)).cost(cost);
        let body = Body::Receipt(SiteLines { site: scale::site_code(site), lines: vec![line] });
        self.event(id, minute, DocKind::PurchaseOrder, body)
    }

    fn network(&self, insight: bool) -> Network {
        let mut config = NetworkConfig::default();
        config.insight.enabled = insight;
        Network::with_catalog(
            self.catalog.clone(),
            Self::rules(),
            config,
            onhand::ledger::testing::at(-60),
        )
        .expect("network")
    }

    /// Every item stocked at its site, with insight on or off.
    fn stocked_network(&self, insight: bool) -> Network {
        let mut n = self.network(insight);
        for i in 0..items() {
            n.apply(&self.receipt(i as u128 + 1, 0, i, "1000 EA")).expect("receipt");
        }
        n
    }

    /// Every item stocked at its site.
    fn stocked(&self) -> (Network, Ledger) {
        let mut n = self.network(true);
        let mut l = Ledger::new(self.catalog.clone(), Self::rules()).expect("ledger");
        for i in 0..items() {
            let e = self.receipt(i as u128 + 1, 0, i, "1000 EA");
            n.apply(&e).expect("receipt");
            l.apply(&e).expect("receipt");
        }
        (n, l)
    }

    /// The mix: receipts, picks and counts, a third each, over all items.
    fn mixed(&self) -> Vec<Event> {
        (0..items())
            .map(|i| {
                let id = 1_000_000 + i as u128;
                let site = scale::site_code(i % SITES);
                match i % 3 {
                    0 => self.receipt(id, 10, i, "12 EA"),
                    1 => {
                        let line = self.line(i, "3 EA");
                        self.event(
                            id,
                            10,
                            DocKind::SalesOrder,
                            Body::Pick(SiteLines { site, lines: vec![line] }),
                        )
                    }
                    _ => {
                        let line = CountLine {
                            item: scale::item_code(i),
                            bin: None,
                            lot: i.is_multiple_of(5).then(|| self.lot.clone()),
                            status: Some(StockStatus::Available),
                            counted: "999 EA".parse().expect("qty"),
                            serials: Vec::new(),
                            owner: None,
                        };
                        self.event(
                            id,
                            10,
                            DocKind::Count,
                            Body::CycleCount(Count { site, lines: vec![line] }),
                        )
                    }
                }
            })
            .collect()
    }
}

fn mixed(c: &mut Criterion) {
    let setup = Setup::new();
    let (network, ledger) = setup.stocked();
    let events = setup.mixed();
    // Both take every event (a broken engine cannot post a fast time).
    let mut check = network.clone();
    assert!(events.iter().all(|e| check.apply(e).is_ok_and(|o| o.accepted())));
    check.check().expect("the engines agree");
    // The feed took a count record per count event, and refused none.
    let fed = check.insight_feed().expect("insight on by default");
    assert!(fed.refused == 0 && fed.records >= (items() / 3) as u64, "{fed:?}");
    let mut check = ledger.clone();
    assert!(events.iter().all(|e| matches!(check.apply(e), Ok(Applied::Accepted(_)))));
    let bare = setup.stocked_network(false);
    assert!(bare.insight().is_none());

    let mut g = c.benchmark_group("mixed");
    g.sample_size(10);
    g.throughput(Throughput::Elements(items() as u64));
    g.bench_function("ledger", |b| {
        b.iter_batched(
            || ledger.clone(),
            |mut l| {
                for e in &events {
                    let _ = l.apply(e);
                }
                l
            },
            BatchSize::PerIteration,
        );
    });
    g.bench_function("network", |b| {
        b.iter_batched(
            || network.clone(),
            |mut n| {
                for e in &events {
                    let _ = n.apply(e);
                }
                n
            },
            BatchSize::PerIteration,
        );
    });
    g.bench_function("network_no_insight", |b| {
        b.iter_batched(
            || bare.clone(),
            |mut n| {
                for e in &events {
                    let _ = n.apply(e);
                }
                n
            },
            BatchSize::PerIteration,
        );
    });
    g.finish();
}

fn promise(c: &mut Criterion) {
    let setup = Setup::new();
    let (network, _) = setup.stocked();
    let day = NaiveDate::from_ymd_opt(2026, 1, 9).expect("date");
    let requests: Vec<OrderRequest> = (0..1_000)
        .map(|i| {
            let mut r = OrderRequest::new(
                DocNumber::new("SO-1").expect("doc"),
                u32::try_from(i).unwrap_or(0),
                "C1".parse().expect("customer"),
                scale::item_code(i * 97 % items()),
                "5 EA".parse().expect("qty"),
                day,
            );
            r.customer = None;
            r.ship_to = Some("R1".parse().expect("region"));
            r
        })
        .collect();
    let lines: Vec<onhand::atp::OrderLine> = requests
        .iter()
        .enumerate()
        .map(|(i, r)| {
            onhand::atp::OrderLine::new(
                onhand::atp::LineId(i as u64),
                r.item.clone(),
                r.qty,
                r.requested,
                "R1".parse().expect("region"),
            )
        })
        .collect();
    let mut n = network.clone();
    let mut atp = network.atp().clone();
    assert!(requests.iter().all(|r| n.promise(r).is_ok_and(|p| p.on_time)));
    let mut g = c.benchmark_group("promise");
    g.throughput(Throughput::Elements(lines.len() as u64));
    g.bench_function("atp", |b| {
        b.iter(|| {
            for l in &lines {
                let _ = atp.promise(l);
            }
        });
    });
    g.bench_function("network", |b| {
        b.iter(|| {
            for r in &requests {
                let _ = n.promise(r);
            }
        });
    });
    g.finish();
}

/// Planned items in `replan`, and the booked lines held besides them.
const PLANNED: usize = 2_000;
const BOOKED: usize = 20_000;

/// Line 1 of sales order `number`: `qty` of item `i`, shipped to region R1 by `day`.
fn region_order(number: &str, i: usize, qty: &str, day: NaiveDate) -> OrderRequest {
    let mut r = OrderRequest::new(
        DocNumber::new(number).expect("doc"),
        1,
        "C1".parse().expect("customer"),
        scale::item_code(i),
        qty.parse().expect("qty"),
        day,
    );
    r.customer = None;
    r.ship_to = Some("R1".parse().expect("region"));
    r
}

fn replan(c: &mut Criterion) {
    let catalog =
        Arc::new(Catalog::new(scale::network(PLANNED * 2, SITES, true)).expect("network"));
    let setup = Setup {
        catalog: catalog.clone(),
        actor: Setup::new_actor(),
        reason: ReasonCode::new("BENCH").expect("reason"),
        lot: LotCode::new("L1").expect("lot"),
    };
    let mut config = NetworkConfig::default();
    // The synthetic network's supplier lanes are costed in USD, and some sites book in
    // CAD: planning them needs the rate.
    config.rates.push(onhand::valuation::Rate {
        from: CurrencyCode::new("USD").expect("currency"),
        to: CurrencyCode::new("CAD").expect("currency"),
        rate: "1.36".parse().expect("rate"),
    });
    config.replenish.item_sites = (0..PLANNED)
        .map(|i| onhand::ItemSitePlan {
            item: scale::item_code(i),
            site: scale::site_code(i % SITES),
            demand: onhand::replenish::DemandStats::daily(10.0, 3.0),
            priority_demand: onhand::master::Decimal::ZERO,
            costs: None,
        })
        .collect();
    let start = onhand::ledger::testing::at(-60);
    let mut quiet = Network::with_catalog(catalog, Setup::rules(), config, start).expect("network");
    for i in 0..PLANNED * 2 {
        quiet.apply(&setup.receipt(i as u128 + 1, 0, i, "1000 EA")).expect("receipt");
    }
    // The busy network holds 20,000 booked lines of the unplanned items.
    let mut busy = quiet.clone();
    let day = NaiveDate::from_ymd_opt(2026, 1, 9).expect("date");
    for n in 0..BOOKED {
        busy.allocate(&region_order(&format!("SO-{n}"), PLANNED + n % PLANNED, "1 EA", day))
            .expect("allocate");
    }
    // The short network also has all the stock of every planned item-site allocated,
    // so each pick leaves its item-site short: the pick signals the lines it uncovers.
    let mut short = busy.clone();
    for i in 0..PLANNED {
        short.allocate(&region_order(&format!("SO-P{i}"), i, "1000 EA", day)).expect("allocate");
    }
    let picks: Vec<Event> = (0..PLANNED)
        .map(|i| {
            let line = setup.line(i, "3 EA");
            let site = scale::site_code(i % SITES);
            setup.event(
                2_000_000 + i as u128,
                10,
                DocKind::SalesOrder,
                Body::Pick(SiteLines { site, lines: vec![line] }),
            )
        })
        .collect();
    for n in [&quiet, &busy, &short] {
        let mut check = n.clone();
        assert!(picks.iter().all(|e| check.apply(e).is_ok_and(|o| o.accepted())));
        check.check().expect("the engines agree");
    }
    // Every pick on the short network uncovers its line, and only there.
    let mut check = short.clone();
    let uncovered = picks
        .iter()
        .filter_map(|e| check.apply(e).ok())
        .filter(|o| o.signals.iter().any(|s| matches!(s, onhand::Signal::LineShort { .. })))
        .count();
    assert_eq!(uncovered, PLANNED, "each pick leaves its line short");
    let mut g = c.benchmark_group("replan");
    g.sample_size(10);
    g.throughput(Throughput::Elements(PLANNED as u64));
    for (name, network) in
        [("no_bookings", &quiet), ("with_bookings", &busy), ("short_with_bookings", &short)]
    {
        g.bench_function(name, |b| {
            b.iter_batched(
                || network.clone(),
                |mut n| {
                    for e in &picks {
                        let _ = n.apply(e);
                    }
                    n
                },
                BatchSize::PerIteration,
            );
        });
    }
    g.finish();
}

criterion_group!(benches, mixed, promise, replan);
criterion_main!(benches);
