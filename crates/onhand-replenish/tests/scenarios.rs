//! Network decisions on the demo network.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

use std::sync::Arc;

use onhand_master::{Catalog, Decimal, seed};
use onhand_replenish::{
    Action, Costs, DemandStats, ExchangeRate, Planner, Position, ProposedTransfer, SiteState,
};

fn d(v: i64) -> Decimal {
    Decimal::from(v)
}

fn state(item: &str, site: &str, daily: f64, sd: f64, on_hand: i64) -> SiteState {
    SiteState {
        item: item.parse().unwrap(),
        site: site.parse().unwrap(),
        stats: DemandStats::daily(daily, sd),
        position: Position { on_hand: d(on_hand), ..Position::default() },
        priority_demand: Decimal::ZERO,
        costs: Some(Costs {
            unit_cost: "0.10".parse().unwrap(),
            order_cost: "25".parse().unwrap(),
            holding_rate: "0.25".parse().unwrap(),
            shortage_penalty: "0.50".parse().unwrap(),
        }),
    }
}

/// A planner over the demo network, with rates between its two currencies.
fn planner(states: Vec<SiteState>) -> Planner {
    let rate = |from: &str, to: &str, rate: &str| ExchangeRate {
        from: from.parse().unwrap(),
        to: to.parse().unwrap(),
        rate: rate.parse().unwrap(),
    };
    Planner::new(Arc::new(Catalog::new(seed::demo_network()).unwrap()), states)
        .unwrap()
        .with_rates(vec![rate("USD", "CAD", "1.36"), rate("CAD", "USD", "0.735")])
        .unwrap()
}

#[test]
fn a_short_site_gets_a_transfer_from_a_site_with_excess_over_a_slower_purchase() {
    let p = planner(vec![
        state("BOLT-M8", "ATL", 400.0, 120.0, 900),
        state("BOLT-M8", "ORD", 300.0, 90.0, 20_000),
        state("BOLT-M8", "DFW", 350.0, 100.0, 5_000),
    ]);
    let recs = p.evaluate().unwrap();
    assert_eq!(recs.len(), 1, "only Atlanta is below its reorder point");
    let r = &recs[0];
    assert!(matches!(&r.best.action, Action::Transfer { from } if from.as_str() == "ORD"));
    assert!(matches!(&r.alternatives[0].action, Action::Purchase { .. }));
    assert!(r.best.score < r.alternatives[0].score);
    // Chicago keeps its safety stock plus two days of its own demand.
    let ord = p.parameters(&"BOLT-M8".parse().unwrap(), &"ORD".parse().unwrap()).unwrap();
    let keeps = ord.safety_stock + d(600);
    assert!(d(20_000) - r.best.qty >= keeps);
    assert!(r.best.reasons.iter().any(|x| x.contains("keeps at least")));
}

#[test]
fn with_no_source_with_excess_the_purchase_wins_and_priority_stock_is_protected() {
    let mut atl = state("BOLT-M8", "ATL", 400.0, 120.0, 900);
    atl.priority_demand = d(600);
    let p = planner(vec![atl, state("BOLT-M8", "ORD", 300.0, 90.0, 1_000)]);
    let r = &p.evaluate().unwrap()[0];
    assert!(matches!(r.best.action, Action::Purchase { .. }));
    let also = r.also.as_ref().unwrap();
    assert!(matches!(also.action, Action::ProtectAllocation));
    assert_eq!(also.qty, d(600));
    assert!(also.priority_at_risk.abs() < 1e-9);
}

#[test]
fn transfer_requests_are_queued_by_impact_then_slack() {
    let p = planner(vec![
        state("BOLT-M8", "ATL", 400.0, 120.0, 300),
        state("BOLT-M8", "ORD", 300.0, 90.0, 20_000),
        state("NUT-M8", "YYZ", 50.0, 10.0, 5_000),
        state("NUT-M8", "ORD", 50.0, 10.0, 5_000),
    ]);
    let req = |item: &str, from: &str, to: &str, qty: i64| ProposedTransfer {
        item: item.parse().unwrap(),
        from: from.parse().unwrap(),
        to: to.parse().unwrap(),
        qty: d(qty),
    };
    let queue = p
        .rank_transfers(&[req("NUT-M8", "ORD", "YYZ", 500), req("BOLT-M8", "ORD", "ATL", 2_000)])
        .unwrap();
    // Atlanta runs out before the bolts arrive; Toronto has months of nuts.
    assert_eq!(queue.iter().map(|(k, _)| *k).collect::<Vec<_>>(), [1, 0]);
    assert!(queue[0].1.expected_short > 0.0);
    let bad = p.score_transfer(&req("NUT-M8", "YYZ", "ATL", 1));
    assert!(bad.is_err(), "no state for nuts at Atlanta");
}
