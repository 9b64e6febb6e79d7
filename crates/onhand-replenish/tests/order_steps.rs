//! An order policy whose minimum, maximum and multiple leave no order that keeps all
//! three is refused when its parameters are worked out. A defect a review found:
//! multiple 4, minimum 10, maximum 11 ordered 8, below the minimum; multiple 12,
//! maximum 10 ordered nothing at a site below its reorder point, so the site got no
//! recommendation at all.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use onhand_master::{
    Catalog, Decimal, ItemSitePolicy, LeadTime, PlanningMethod, SafetyStock, seed,
};
use onhand_replenish::{DemandStats, order_need, parameters};

fn policy(multiple: &str, min: Option<&str>, max: &str) -> ItemSitePolicy {
    let mut p = ItemSitePolicy::new("BOLT-M8".parse().unwrap(), "ATL".parse().unwrap());
    p.planning = PlanningMethod::ReorderPoint;
    p.safety_stock = SafetyStock::None;
    p.lead_time = LeadTime { mean_days: Decimal::from(7), std_dev_days: Decimal::ZERO };
    p.order_multiple = Some(multiple.parse().unwrap());
    p.order_min = min.map(|m| m.parse().unwrap());
    p.order_max = Some(max.parse().unwrap());
    p
}

#[test]
fn a_policy_no_order_can_keep_is_refused() {
    let catalog = Catalog::new(seed::demo_network()).unwrap();
    let units = catalog.item_units(catalog.item_ix(&"BOLT-M8".parse().unwrap()).unwrap()).unwrap();
    let demand = DemandStats::daily(2.0, 0.0);
    for (multiple, min, max) in [("4 EA", Some("10 EA"), "11 EA"), ("12 EA", None, "10 EA")] {
        let err = parameters(&policy(multiple, min, max), units, &demand, None).unwrap_err();
        assert_eq!(err.code(), "no_order_fits", "{multiple} {min:?} {max}: {err}");
    }
    // One multiple fits: 12 between 10 and 13, orders of 12.
    let p = policy("4 EA", Some("10 EA"), "13 EA");
    let r = parameters(&p, units, &demand, None).unwrap();
    assert_eq!(order_need(&p, &r, Decimal::ZERO).unwrap(), Some(Decimal::from(12)));
}
