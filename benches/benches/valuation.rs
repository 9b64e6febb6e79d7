#![allow(missing_docs)] // criterion_group! generates an undocumented function
//! Valuation throughput: costed movements per second on a network of 10,000 items.
//!
//! Target: at least 1,000,000 costed movements per second per core on FIFO with 10,000
//! items. Each iteration applies a batch of pre-built cost events (receipts and sales
//! issues alternating per item, three receipts to two issues, items interleaved) to an
//! engine cloned outside the timed section, in which every item already holds one
//! layer; throughput is in events, each valued and turned into its postings.
//!
//! - `fifo`: the FIFO entity (USD), one pool per item.
//! - `moving_average`: the same mix on the moving-average entity (CAD).
//! - `standard`: the same mix on the FIFO entity with every item valued at standard
//!   (a method override per item), so each receipt also books a price variance.
//! - `fifo_back_dated`: as `fifo`, with 1% of the events back-dated two movements into
//!   their item's history, so the pool replays from there and the later issues that now
//!   take different layers get correction postings.

use std::hint::black_box;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use onhand_master::{Catalog, CurrencyCode, Money, Qty, SiteCode, UomCode};
use onhand_testkit::scale;
use onhand_valuation::{
    CostBody, CostEvent, IssueTo, Method, MethodOverride, Outcome, Standard, Valuation,
    ValuationConfig,
};
use rust_decimal::Decimal;

const ITEMS: usize = 10_000;
/// Sites 0–2 belong to the FIFO entity (USD), site 3 to the moving-average one (CAD).
const SITES: usize = 4;
/// Movements per item in a batch (three receipts to two issues).
const PER_ITEM: usize = 20;
const T0: i64 = 1_767_600_000;

struct Setup {
    catalog: Arc<Catalog>,
    ea: UomCode,
}

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(T0 + secs, 0).expect("time")
}

impl Setup {
    fn new() -> Self {
        let data = scale::network(ITEMS, SITES, false);
        Setup {
            catalog: Arc::new(Catalog::new(data).expect("valid synthetic network")),
            ea: UomCode::new("EA").expect("unit"),
        }
    }

    fn qty(&self, n: u32) -> Qty {
        Qty::new(Decimal::from(n), self.ea).expect("qty")
    }

    /// The FIFO sites (item `i` at one of them) or the moving-average site.
    fn site(fifo: bool, i: usize) -> SiteCode {
        if fifo { scale::site_code(i % 3) } else { scale::site_code(3) }
    }

    fn receipt(&self, fifo: bool, i: usize, n: u32, cents: i64) -> CostBody {
        let currency = CurrencyCode::new(if fifo { "USD" } else { "CAD" }).expect("currency");
        CostBody::Receipt {
            site: Self::site(fifo, i),
            item: scale::item_code(i),
            qty: self.qty(n),
            unit_cost: Money::new(Decimal::new(cents, 3), currency),
            owner: None,
        }
    }

    /// Every item of the FIFO entity valued at standard, starting at 1.00 USD.
    fn standard_config() -> ValuationConfig {
        let e1 = onhand_master::EntityCode::new("E1").expect("entity");
        let mut c = ValuationConfig::default();
        for i in 0..ITEMS {
            c.methods.push(MethodOverride {
                entity: e1.clone(),
                item: scale::item_code(i),
                method: Method::Standard,
            });
            c.standards.push(Standard {
                entity: e1.clone(),
                item: scale::item_code(i),
                site: None,
                cost: Money::new(Decimal::ONE, CurrencyCode::new("USD").expect("usd")),
            });
        }
        c
    }

    /// An engine in which every item holds 100 EA (events at time 0, ids from 1).
    fn stocked(&self, fifo: bool, config: ValuationConfig) -> Valuation {
        let mut v = Valuation::new(self.catalog.clone(), config).expect("valuation");
        for i in 0..ITEMS {
            let e = CostEvent {
                id: i as u64 + 1,
                at: at(0),
                body: self.receipt(fifo, i, 100, 1_000 + i64::try_from(i % 97).expect("small")),
            };
            v.apply(&e).expect("opening receipt");
        }
        v
    }

    /// `PER_ITEM` movements per item, items interleaved: receipts (10–29 EA at varying
    /// costs) and sales issues (20–39 EA) in the pattern R I R I R, about as much out
    /// as in. With `back_dated`, every 100th movement (receipt or issue) is dated just
    /// after its item's movement three before, two movements back: the pool replays
    /// them, and a back-dated issue changes the layers the later issues take.
    fn events(&self, fifo: bool, back_dated: bool) -> Vec<CostEvent> {
        let mut out = Vec::with_capacity(ITEMS * PER_ITEM);
        // Per item: the times of its movements so far.
        let mut times: Vec<Vec<i64>> = (0..ITEMS).map(|_| Vec::with_capacity(PER_ITEM)).collect();
        let mut n = 0u64;
        for round in 0..PER_ITEM {
            for (i, history) in times.iter_mut().enumerate() {
                n += 1;
                let id = 1_000_000 + n;
                let mix = u32::try_from(round + i).expect("small");
                let now = i64::try_from(n).expect("time");
                let receipt = matches!(round % 5, 0 | 2 | 4);
                let body = if receipt {
                    let cents = 900 + i64::from(mix % 400);
                    self.receipt(fifo, i, 10 + mix % 20, cents)
                } else {
                    CostBody::Issue {
                        site: Self::site(fifo, i),
                        item: scale::item_code(i),
                        qty: self.qty(20 + mix % 20),
                        to: IssueTo::Sale,
                        owner: None,
                    }
                };
                let back = back_dated && history.len() >= 3 && n % 100 == 7;
                let t = if back { history[history.len() - 3] } else { now };
                if !back {
                    history.push(now);
                }
                out.push(CostEvent { id, at: at(t), body });
            }
        }
        out
    }
}

/// Applies every event; how many were accepted and how many posting lines they made.
fn apply_all(v: &mut Valuation, events: &[CostEvent]) -> (usize, usize) {
    let (mut accepted, mut lines) = (0, 0);
    for e in events {
        if let Ok(Outcome::Posted { postings, .. }) = v.apply(e) {
            accepted += 1;
            lines += postings.len();
        }
    }
    (accepted, lines)
}

fn movements(c: &mut Criterion) {
    let setup = Setup::new();
    let mut g = c.benchmark_group("valuation");
    g.sample_size(10);
    for (name, fifo, back_dated) in [
        ("fifo", true, false),
        ("moving_average", false, false),
        ("standard", true, false),
        ("fifo_back_dated", true, true),
    ] {
        let config =
            if name == "standard" { Setup::standard_config() } else { ValuationConfig::default() };
        let stocked = setup.stocked(fifo, config);
        let events = setup.events(fifo, back_dated);
        let (accepted, lines) = apply_all(&mut stocked.clone(), &events);
        assert_eq!(accepted, events.len(), "{name}: every movement is accepted");
        // Event k (from 0) is at time k + 1 unless back-dated.
        let late = (1i64..).zip(&events).filter(|(k, e)| e.at < at(*k)).count();
        eprintln!(
            "valuation/{name}: {} events ({late} back-dated), {lines} posting lines \
             ({} beyond the two of each movement: corrections)",
            events.len(),
            lines - 2 * events.len()
        );
        g.throughput(Throughput::Elements(events.len() as u64));
        g.bench_function(name, |b| {
            b.iter_batched(
                || stocked.clone(),
                |mut v| {
                    black_box(apply_all(&mut v, &events));
                    v
                },
                BatchSize::PerIteration,
            );
        });
    }
    g.finish();
}

criterion_group!(benches, movements);
criterion_main!(benches);
