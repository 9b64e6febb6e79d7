//! Regression tests: minimal reproducers of bugs found by the property tests and by
//! reading the crate, each named after the bug and stating the expected behaviour (from
//! the crate's documentation or the textbook rule). All fixed.
#![allow(clippy::unwrap_used, clippy::float_arithmetic)]

use std::sync::Arc;

use onhand_master::{
    Catalog, Decimal, ItemSitePolicy, LeadTime, PlanningMethod, SafetyStock, seed,
};
use onhand_replenish::{
    Action, DemandStats, DrpNode, FairClaim, LotSizing, Planner, Position, SiteState, drp,
    fair_share, order_need, parameters,
};

fn d(v: i64) -> Decimal {
    Decimal::from(v)
}

fn catalog() -> Catalog {
    Catalog::new(seed::demo_network()).unwrap()
}

/// `parameters` documents "min-max orders up to `S = s + Q` (or the policy's maximum)" and
/// "every quantity leaving this module is ... rounded up to the order multiple". The
/// policy's `order_max` is the *largest order quantity* (`ItemSitePolicy::order_max`), but
/// for min-max it is returned as the order-up-to level whenever it exceeds the reorder
/// point, unrounded: with a multiple of 7 and a maximum order of 50, S = 50 (not a
/// multiple of 7), where S = s + Q = 14 + 7 = 21 (orders of at most 50 would reach it).
#[test]
fn min_max_order_up_to_is_not_the_order_maximum() {
    let catalog = catalog();
    let units = catalog.item_units(catalog.item_ix(&"BOLT-M8".parse().unwrap()).unwrap()).unwrap();
    let mut p = ItemSitePolicy::new("BOLT-M8".parse().unwrap(), "ATL".parse().unwrap());
    p.planning = PlanningMethod::MinMax;
    p.safety_stock = SafetyStock::None;
    p.lead_time = LeadTime { mean_days: d(7), std_dev_days: Decimal::ZERO };
    p.order_multiple = Some("7 EA".parse().unwrap());
    p.order_max = Some("50 EA".parse().unwrap());
    // 2 a day over 7 days: s = 14; without costs Q = a lead time's demand = 14.
    let r = parameters(&p, units, &DemandStats::daily(2.0, 0.0), None).unwrap();
    assert_eq!((r.reorder_point, r.order_qty), (d(14), d(14)));
    let s = r.order_up_to.unwrap();
    assert!((s % r.steps.step).is_zero(), "order-up-to {s} is not a multiple of 7");
    assert_eq!(s, d(28), "S = s + Q");
    // At the reorder point the order brings the position to S.
    assert_eq!(order_need(&p, &r, d(14)).unwrap(), Some(d(14)));
}

/// A child's planned release that falls before the first period (`past_due`) is a
/// shipment the source must make now, but `drp` leaves it out of the source's gross
/// requirements: the central site never plans to supply it. Dependent demand should be
/// conserved: the source's dependent requirements over the horizon equal its children's
/// releases, past due included (in the first period, the usual DRP convention).
#[test]
fn past_due_releases_reach_the_source() {
    let node = |site: &str, source: Option<&str>, on_hand: i64, gross: &[i64]| DrpNode {
        site: site.parse().unwrap(),
        source: source.map(|s| s.parse().unwrap()),
        on_hand: d(on_hand),
        safety_stock: Decimal::ZERO,
        lead_periods: 2,
        lot: LotSizing::LotForLot,
        gross: gross.iter().copied().map(d).collect(),
        scheduled: vec![],
        period_days: 7,
        constrained: false,
    };
    // The DC runs out in period 0 (needs 30 now, lead time 2): 30 past due.
    let recs = drp(3, &[node("CDC", None, 0, &[0, 0, 0]), node("DC", Some("CDC"), 0, &[30, 0, 0])])
        .unwrap();
    assert_eq!(recs[1].past_due, d(30));
    let dependent: Decimal = recs[0].gross.iter().sum();
    assert_eq!(dependent, d(30), "the CDC's gross requirements {:?}", recs[0].gross);
}

/// `fair_share` levels days of supply only to within a step: here claim 0 ends at 4.191
/// days while claim 2 holds 4.210, and moving one unit from claim 2 to claim 0 would leave
/// claim 2 at 4.192, still above claim 0's 4.191 -- the smallest days of supply would rise.
/// (The shares come from flooring the continuous solution and handing out the rest one
/// step at a time; claim 2 was capped at its request in the continuous solution.)
#[test]
fn fair_share_is_max_min_fair_to_the_step() {
    let claim = |on_hand: i64, daily_tenths: i64, requested: i64| FairClaim {
        on_hand: d(on_hand),
        daily_demand: Decimal::new(daily_tenths, 1),
        requested: d(requested),
    };
    let claims = [claim(19, 377, 140), claim(-93, 5, 100), claim(177, 551, 55)];
    let shares = fair_share(d(290), &claims, Decimal::ONE).unwrap();
    let days = |k: usize, s: Decimal| (claims[k].on_hand + s) / claims[k].daily_demand;
    assert_eq!(shares.iter().sum::<Decimal>(), d(290));
    // No claim that can take another unit sits below what another would keep after
    // giving one.
    for a in 0..claims.len() {
        if shares[a] >= claims[a].requested {
            continue;
        }
        for b in (0..claims.len()).filter(|b| *b != a && shares[*b] >= Decimal::ONE) {
            assert!(
                days(b, shares[b] - Decimal::ONE) <= days(a, shares[a]),
                "shares {shares:?}: claim {a} at {} days, claim {b} at {} after giving a unit",
                days(a, shares[a]),
                days(b, shares[b] - Decimal::ONE)
            );
        }
    }
}

fn state(item: &str, site: &str, daily: f64, on_hand: i64) -> SiteState {
    SiteState {
        item: item.parse().unwrap(),
        site: site.parse().unwrap(),
        stats: DemandStats::daily(daily, daily * 0.3),
        position: Position { on_hand: d(on_hand), ..Position::default() },
        priority_demand: Decimal::ZERO,
        costs: None,
    }
}

/// Each recommendation computes the source's excess on its own, so two sites short of
/// the same item are each offered all of the same source's excess: acted on together,
/// the recommendations take the source below its protected level (which "a transfer
/// never takes a source below"). Chicago supplies both Atlanta (2 days) and Toronto (3).
#[test]
fn recommendations_share_a_sources_excess() {
    let catalog = Arc::new(catalog());
    let states = vec![
        state("BOLT-M8", "ORD", 100.0, 3_000),
        state("BOLT-M8", "ATL", 400.0, 0),
        state("BOLT-M8", "YYZ", 400.0, 0),
    ];
    let planner = Planner::new(catalog.clone(), states).unwrap();
    let recs = planner.evaluate().unwrap();
    let from_ord: Decimal = recs
        .iter()
        .filter(|r| matches!(&r.best.action, Action::Transfer { from } if from.as_str() == "ORD"))
        .map(|r| r.best.qty)
        .sum();
    let ord = planner.parameters(&"BOLT-M8".parse().unwrap(), &"ORD".parse().unwrap()).unwrap();
    // Protect ss + its demand over the longest lane actually used (ATL 2 days, YYZ 3).
    let longest = recs
        .iter()
        .filter(|r| matches!(&r.best.action, Action::Transfer { from } if from.as_str() == "ORD"))
        .map(|r| r.best.arrives_in_days)
        .max()
        .unwrap_or(0);
    let protected = ord.safety_stock + d(100 * i64::from(longest));
    assert!(
        d(3_000) - from_ord >= protected,
        "ORD ships {from_ord} in all and keeps {} below its protected level {protected}: {:#?}",
        d(3_000) - from_ord,
        recs.iter().map(|r| (&r.site, &r.best.action, r.best.qty)).collect::<Vec<_>>()
    );
}

/// `score_transfer` accepts any quantity: a negative one gets a negative cost, so it
/// scores (and, in `rank_transfers`, ranks) better than a real transfer. A quantity that
/// is not positive should be refused as invalid input, as other bad figures are.
#[test]
fn a_negative_transfer_request_is_refused() {
    let planner = Planner::new(
        Arc::new(catalog()),
        vec![state("BOLT-M8", "ORD", 100.0, 3_000), state("BOLT-M8", "ATL", 400.0, 100)],
    )
    .unwrap();
    let req = |qty: i64| onhand_replenish::TransferRequest {
        item: "BOLT-M8".parse().unwrap(),
        from: "ORD".parse().unwrap(),
        to: "ATL".parse().unwrap(),
        qty: d(qty),
    };
    let scored = planner.score_transfer(&req(-1_200));
    assert!(scored.is_err(), "scored {:?}", scored.map(|c| (c.cost, c.score)));
}
