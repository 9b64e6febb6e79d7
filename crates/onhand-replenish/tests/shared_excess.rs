//! One site's excess stock is offered once across a planning run: a substitute that
//! wins takes its units (its ratio for each unit covered) as a transfer takes its own,
//! and both read what more urgent recommendations took. A defect a review found: 3,000
//! substitute bolts at Chicago were both substituted there (2,880) and transferred to
//! Atlanta (2,800).

//! Review probes.
#![allow(clippy::unwrap_used, reason = "tests: a failed unwrap is a failed test")]

use std::sync::Arc;

use onhand_master::{Catalog, Decimal, seed};
use onhand_replenish::{Action, Costs, DemandStats, Planner, Position, SiteState};

fn state(item: &str, site: &str, (daily, sd): (f64, f64), on_hand: i64) -> SiteState {
    SiteState {
        item: item.parse().unwrap(),
        site: site.parse().unwrap(),
        stats: DemandStats::daily(daily, sd),
        position: Position { on_hand: Decimal::from(on_hand), ..Position::default() },
        priority_demand: Decimal::ZERO,
        costs: Some(Costs {
            unit_cost: "0.10".parse().unwrap(),
            order_cost: "25".parse().unwrap(),
            holding_rate: "0.25".parse().unwrap(),
            shortage_penalty: "0.50".parse().unwrap(),
        }),
    }
}

/// The stainless bolts at Chicago have one excess. Chicago's plain bolts (BOLT-M8, whose
/// substitute is BOLT-M8-SS one for one) and Atlanta's stainless bolts (supplied from
/// Chicago) both run short. Whatever one recommendation takes of that excess must not be
/// offered again to the other: the recommended quantities drawn from (BOLT-M8-SS, ORD)
/// must not exceed its excess.
#[test]
fn one_excess_is_not_both_transferred_and_substituted() {
    let catalog = Arc::new(Catalog::new(seed::demo_network()).unwrap());
    let states = vec![
        state("BOLT-M8-SS", "ORD", (10.0, 3.0), 3_000),
        state("BOLT-M8-SS", "ATL", (400.0, 120.0), 0),
        state("BOLT-M8", "ORD", (400.0, 120.0), 0),
    ];
    let planner = Planner::new(catalog, states).unwrap();
    let recs = planner.evaluate().unwrap();
    let mut drawn = Decimal::ZERO;
    for r in &recs {
        println!(
            "{} {} need {} best {:?} qty {}",
            r.item, r.site, r.need, r.best.action, r.best.qty
        );
        match &r.best.action {
            Action::Transfer { from }
                if r.item.as_str() == "BOLT-M8-SS" && from.as_str() == "ORD" =>
            {
                drawn += r.best.qty;
            }
            Action::Substitute { item }
                if item.as_str() == "BOLT-M8-SS" && r.site.as_str() == "ORD" =>
            {
                drawn += r.best.qty;
            }
            _ => {}
        }
    }
    let p = planner.parameters(&"BOLT-M8-SS".parse().unwrap(), &"ORD".parse().unwrap()).unwrap();
    // Excess for a same-day use: free stock above safety stock.
    let excess = Decimal::from(3_000) - p.safety_stock;
    println!("drawn {drawn}, ORD SS excess at most {excess}");
    assert!(drawn <= excess, "drawn {drawn} from an excess of at most {excess}");
}
