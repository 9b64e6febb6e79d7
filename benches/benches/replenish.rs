#![allow(missing_docs, reason = "criterion_group! generates an undocumented function")]
// Synthetic demand is drawn in floating point, as the planner's statistics are.
#![allow(clippy::float_arithmetic, clippy::cast_precision_loss)]
//! Replenishment on 12,500 items x 8 sites (100,000 item-sites): the whole-network
//! evaluation (`Planner::evaluate`: every item-site at or below its reorder point gets
//! scored candidates — transfers from the previous site in the chain, a purchase, and
//! allocation control where priority demand is at risk) and building the planner
//! (`Planner::new`: every item-site's safety stock, reorder point and order quantity).
//! The target: a full evaluation of 100,000 item-sites in under a second on one
//! core.
//!
//! The synthetic network (`onhand_testkit::scale::network(12_500, 8, true)`) gives every
//! item-site a reorder-point policy (statistical safety stock at 95% CSL for A items, ten
//! days of supply for the rest; lead time 7 days, deviation 1; orders in cases of 12), a
//! supplier lane into every site and a two-day transfer lane from each site to the next.
//! States are drawn deterministically: daily demand 1-200 with a 20-60% deviation, and
//! stock such that about 20% of item-sites sit at or below their reorder point; a few
//! have open orders, backorders, allocations or priority demand, half carry costs.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use onhand_benches::Lcg;
use onhand_master::{Catalog, CurrencyCode, Decimal};
use onhand_replenish::{
    Costs, DemandStats, ExchangeRate, Planner, Position, SiteState, parameters,
};
use onhand_testkit::scale;

const ITEMS: usize = 12_500;
const SITES: usize = 8;
const ITEM_SITES: usize = ITEMS * SITES;

fn states(catalog: &Catalog) -> Vec<SiteState> {
    let mut rng = Lcg(42);
    let mut out = Vec::with_capacity(ITEM_SITES);
    for i in 0..ITEMS {
        for s in 0..SITES {
            let item = scale::item_code(i);
            let site = scale::site_code(s);
            let daily = 1.0 + rng.below(2_000) as f64 / 10.0;
            let cv = 0.2 + rng.below(40) as f64 / 100.0;
            let stats = DemandStats::daily(daily, daily * cv);
            let costs = (rng.below(2) == 0).then(|| Costs {
                unit_cost: Decimal::new(50 + rng.int(5_000), 2),
                order_cost: Decimal::from(25),
                holding_rate: Decimal::new(25, 2),
                shortage_penalty: Decimal::new(100 + rng.int(400), 2),
            });
            let ix = catalog.item_ix(&item).expect("item");
            let six = catalog.site_ix(&site).expect("site");
            let policy = catalog.policy(ix, six).expect("policy");
            let units = catalog.item_units(ix).expect("units");
            let rop = parameters(policy, units, &stats, costs.as_ref())
                .expect("parameters")
                .reorder_point
                .try_into()
                .unwrap_or(0i64);
            // About 20% at or below the reorder point, the rest up to three times above it.
            let on_hand = if rng.below(100) < 20 {
                rng.int(u64::try_from(rop.max(1)).unwrap_or(1))
            } else {
                rop + 1 + rng.int(u64::try_from(2 * rop + 12).unwrap_or(12))
            };
            let rare = |rng: &mut Lcg, per_100: u64, n: u64| {
                if rng.below(100) < per_100 { Decimal::from(rng.int(n)) } else { Decimal::ZERO }
            };
            let position = Position {
                on_hand: Decimal::from(on_hand),
                on_order: rare(&mut rng, 5, 500),
                in_transit: rare(&mut rng, 5, 200),
                backorders: rare(&mut rng, 3, 50),
                allocated: rare(&mut rng, 10, 100),
            };
            let priority_demand = rare(&mut rng, 5, 300);
            out.push(SiteState { item, site, stats, position, priority_demand, costs });
        }
    }
    out
}

/// The synthetic network's entities keep books in USD and CAD; its suppliers sell in
/// either: lane costs are compared in the site's currency.
fn rates() -> Vec<ExchangeRate> {
    let (usd, cad) =
        (CurrencyCode::new("USD").expect("usd"), CurrencyCode::new("CAD").expect("cad"));
    vec![
        ExchangeRate { from: usd, to: cad, rate: Decimal::new(136, 2) },
        ExchangeRate { from: cad, to: usd, rate: Decimal::new(7353, 4) },
    ]
}

fn network(c: &mut Criterion) {
    let catalog = Arc::new(
        Catalog::new(scale::network(ITEMS, SITES, true)).expect("valid synthetic network"),
    );
    let states = states(&catalog);
    let planner = Planner::new(catalog.clone(), states.clone())
        .and_then(|p| p.with_rates(rates()))
        .expect("planner");
    let recs = planner.evaluate().expect("evaluate");
    let mut kinds = std::collections::BTreeMap::<&str, usize>::new();
    for r in &recs {
        *kinds.entry(r.best.action.kind()).or_default() += 1;
    }
    eprintln!(
        "replenish: {ITEM_SITES} item-sites, {} recommendations ({:.1}%), best by kind {kinds:?}",
        recs.len(),
        recs.len() as f64 * 100.0 / ITEM_SITES as f64
    );

    let mut g = c.benchmark_group("replenish_100k");
    g.sample_size(10);
    g.throughput(Throughput::Elements(ITEM_SITES as u64));
    g.bench_function("evaluate", |b| b.iter(|| black_box(&planner).evaluate().expect("evaluate")));
    g.bench_function("planner_new", |b| {
        b.iter_batched(
            || states.clone(),
            |s| {
                Planner::new(catalog.clone(), s)
                    .and_then(|p| p.with_rates(rates()))
                    .expect("planner")
            },
            BatchSize::PerIteration,
        );
    });
    g.finish();
}

criterion_group!(benches, network);
criterion_main!(benches);
