//! Stockout risk raised from the network's own data: a planned item-site whose available
//! to promise (with look-ahead: stock, dated receipts and transfers on the way, less
//! promised lines) falls below its demand over the policy's protection interval is an
//! exception, updated as the shortfall
//! changes and resolved when supply covers the demand again; replay and snapshots keep
//! the queue, digest for digest.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use onhand::control::{ClearReason, ExceptionKind, State, Subject};
use onhand::ledger::testing::receipt_to;
use onhand::master::{LaneSource, Money, Role, SiteCode, seed};
use onhand::rust_decimal::Decimal;
use onhand::sim::{Checks, Setup, Sim, SimConfig};
use onhand::{Availability, ExpectedReceipt, Network, NetworkConfig, OrderRef, OrderRequest};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

fn site(code: &str) -> SiteCode {
    code.parse().unwrap()
}

/// The demo network with Atlanta planning bolts: 100 a day (deviation 30).
fn config() -> NetworkConfig {
    let mut config = common::config();
    config.replenish.item_sites.push(common::bolts_planned_at("ATL"));
    config
}

fn network() -> Network {
    Network::new(seed::demo_network(), common::rules(), config(), common::start()).unwrap()
}

fn subject() -> Subject {
    Subject::ItemSite { item: "BOLT-M8".parse().unwrap(), site: site("ATL"), lot: None }
}

/// Demand over the protection interval, as the planner computes it.
fn demand(n: &Network) -> Decimal {
    let planner = n.planner().unwrap().unwrap();
    let p = planner.parameters(&"BOLT-M8".parse().unwrap(), &site("ATL")).unwrap();
    let daily = Decimal::try_from(p.daily_demand).unwrap().round_dp(6);
    daily * Decimal::try_from(p.interval_days).unwrap().round_dp(6)
}

fn order(line: u32, qty: &str) -> OrderRequest {
    common::bolt_order(line, qty)
}

#[test]
fn a_stockout_risk_is_raised_updated_and_resolved_from_the_networks_data() {
    let mut n = network();
    let risk = |n: &Network| n.control().active(ExceptionKind::StockoutRisk, &subject()).cloned();
    n.apply(&receipt_to(1, "ATL", "BOLT-M8", "1200 EA", "PF-A01", "available").unwrap()).unwrap();
    let over = demand(&n);
    // A 5-day supplier lead time at 100 a day.
    assert_eq!(over, Decimal::from(500));
    assert!(risk(&n).is_none(), "1,200 free covers 500");

    // An allocation of 1,000 leaves 200 free: 300 short of the lead time's demand.
    n.allocate(&order(1, "1000 EA")).unwrap();
    let raised = risk(&n).unwrap();
    assert_eq!(raised.impact.quantity, Decimal::from(300));
    assert_eq!(raised.impact.days_of_supply, Some(Decimal::from(2)));
    assert_eq!(raised.impact.value.to_string(), "25.50", "300 at 0.085");
    assert_eq!((raised.owner, raised.site.clone()), (Role::Planning, Some(site("ATL"))));

    // A purchase order due before the line counts: 120 more, 180 short; the same
    // exception.
    n.expect(ExpectedReceipt {
        order: "PO-1".parse().unwrap(),
        line: 1,
        supplier: Some("ACME".parse().unwrap()),
        item: "BOLT-M8".parse().unwrap(),
        site: site("ATL"),
        qty: "1 CS".parse().unwrap(),
        due: chrono::NaiveDate::from_ymd_opt(2026, 1, 6).unwrap(),
        unit_cost: Some(Money::new("10.20".parse().unwrap(), common::usd())),
    })
    .unwrap();
    let updated = risk(&n).unwrap();
    assert_eq!((updated.id, updated.signals), (raised.id, 2));
    assert_eq!(updated.impact.quantity, Decimal::from(180));
    // A call that leaves the shortfall as it was does not touch the exception.
    n.apply(&receipt_to(2, "DFW", "BOLT-M8", "10 EA", "PF-A01", "available").unwrap()).unwrap();
    assert_eq!(risk(&n).unwrap().signals, 2);

    // The allocation is released: 1,200 free again, resolved as stock arrived.
    n.release(&OrderRef { order: "SO-1".parse().unwrap(), line: 1 }).unwrap();
    assert!(risk(&n).is_none());
    let done = n.control().get(raised.id).unwrap();
    assert_eq!(done.state, State::Resolved);
    assert!(matches!(
        done.history.last().map(|s| &s.change),
        Some(onhand::control::Change::Cleared { reason: ClearReason::StockArrived })
    ));
    n.check().unwrap();

    // Replay gives the same queue, digest for digest.
    common::assert_replays(&n, config());
}

#[test]
fn a_restored_network_resolves_a_stockout_risk_as_the_original_does() {
    let mut n = network();
    n.apply(&receipt_to(1, "ATL", "BOLT-M8", "1200 EA", "PF-A01", "available").unwrap()).unwrap();
    n.allocate(&order(1, "1000 EA")).unwrap();
    assert!(n.control().active(ExceptionKind::StockoutRisk, &subject()).is_some());
    let snapshot = n.snapshot().unwrap();
    let json = serde_json::to_string(&snapshot).unwrap();
    assert!(json.contains("at_risk"));
    let snapshot = serde_json::from_str(&json).unwrap();
    let mut restored =
        Network::restore(n.catalog().clone(), common::rules(), config(), &snapshot).unwrap();
    assert_eq!(restored.digest().unwrap(), n.digest().unwrap());
    // The release resolves it in both, from what each remembers.
    for net in [&mut n, &mut restored] {
        net.release(&OrderRef { order: "SO-1".parse().unwrap(), line: 1 }).unwrap();
        assert!(net.control().active(ExceptionKind::StockoutRisk, &subject()).is_none());
    }
    assert_eq!(restored.digest().unwrap(), n.digest().unwrap());
}

/// On simulated days, every active stockout risk is a planned item-site whose available
/// to promise today is below its demand over the protection interval, with that
/// shortfall; and every planned item-site the network ever raised and that recovered was
/// resolved, never left open.
#[test]
fn every_active_stockout_risk_is_short_now() {
    onhand_testkit::pinned::check(8, (any::<u64>(), 1u32..4), |(seed, days)| {
        let setup = Setup::demo().unwrap();
        let config = SimConfig::new(seed).steps_per_day(30).checks(Checks::None);
        let mut sim = Sim::new(setup, config).unwrap();
        sim.run(days).unwrap();
        let n = sim.network();
        let planner = n.planner().unwrap().unwrap();
        let today = n.atp().today();
        for e in n.control().exceptions() {
            if e.kind != ExceptionKind::StockoutRisk || !e.state.is_active() {
                continue;
            }
            let Subject::ItemSite { item, site, .. } = &e.subject else {
                return Err(TestCaseError::fail(format!("{:?}", e.subject)));
            };
            let p = planner.parameters(item, site).unwrap();
            let daily = Decimal::try_from(p.daily_demand).unwrap().round_dp(6);
            let demand = daily * Decimal::try_from(p.interval_days).unwrap().round_dp(6);
            let Availability::Limited(cover) = n.available(item, site, today, u8::MAX).unwrap()
            else {
                return Err(TestCaseError::fail("unlimited cover raised"));
            };
            // The engine's cover may be negative; `available` shows it from zero.
            prop_assert!(cover.value() < demand, "{item} at {site}: {} >= {demand}", cover.value());
            prop_assert!(
                e.impact.quantity >= demand - cover.value(),
                "{item} at {site}: {} {} {} {:?}",
                e.impact.quantity,
                demand,
                cover.value(),
                e.history
            );
        }
        n.check().unwrap();
        Ok(())
    });
}

/// The demo network with the Chicago -> Toronto lane's freight quoted in EUR: a
/// currency neither entity books in, so only planning Toronto needs a rate for it.
fn euro_lane() -> onhand::master::MasterData {
    let mut md = seed::demo_network();
    let lane = md
        .lanes
        .iter_mut()
        .find(|l| {
            l.to == site("YYZ") && matches!(&l.from, LaneSource::Site(s) if *s == site("ORD"))
        })
        .unwrap();
    lane.cost_per_unit = Money::new("0.04".parse().unwrap(), "EUR".parse().unwrap());
    md
}

fn toronto_planned() -> NetworkConfig {
    let mut config = config();
    config.replenish.item_sites.push(common::bolts_planned_at("YYZ"));
    config
}

/// Toronto: 5,000 bolts, then an allocation of 4,990 that takes it below its reorder
/// point.
fn toronto_short(n: &mut Network) -> Result<onhand::Booked, onhand::Error> {
    n.apply(&receipt_to(1, "YYZ", "BOLT-M8", "5000 EA", "PF-A01", "available").unwrap()).unwrap();
    let mut r = order(1, "4990 EA");
    r.customer = None;
    r.ship_to = Some("CA-ON".parse().unwrap());
    n.allocate(&r)
}

/// A planned item-site whose lane is costed in another currency than the site's needs
/// a rate. Without one the network is refused when it is built. Before, it was built,
/// and the first call that took the item-site below its reorder point failed after
/// the engines had taken it: an allocation returned an error for a line that was
/// booked all the same, and an event left the network poisoned.
#[test]
fn a_missing_rate_for_a_planned_lane_is_refused_at_build_not_at_the_first_shortage() {
    let err = Network::new(euro_lane(), common::rules(), toronto_planned(), common::start())
        .map(|_| ())
        .unwrap_err();
    assert!(
        matches!(&err, onhand::Error::Replenish(onhand::replenish::ReplenishError::NoRate { .. })),
        "{err:?}"
    );
    assert!(err.to_string().contains("YYZ") && err.to_string().contains("EUR"), "{err}");

    // With the rate, Toronto falling below its reorder point gets a recommendation
    // (its candidates costed in CAD), and the network lives on.
    let mut config = toronto_planned();
    config.rates.push(onhand::valuation::Rate {
        from: "EUR".parse().unwrap(),
        to: "CAD".parse().unwrap(),
        rate: "1.48".parse().unwrap(),
    });
    let mut n = Network::new(euro_lane(), common::rules(), config, common::start()).unwrap();
    let booked = toronto_short(&mut n).unwrap();
    let rec = booked
        .signals
        .iter()
        .find_map(|s| match s {
            onhand::Signal::BelowReorderPoint { recommendation } => Some(recommendation),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{booked:?}"));
    assert_eq!(rec.site, site("YYZ"));
    n.apply(&receipt_to(2, "ATL", "BOLT-M8", "10 EA", "PF-A01", "available").unwrap()).unwrap();
    n.check().unwrap();
}

/// The checking horizon moves with the day: a line booked beyond it is covered by
/// supply assumed there, and counts against the site's stock once the horizon reaches
/// it. When the day moves, an item-site at risk is checked again (its shortfall grows
/// with the line the horizon takes in), and so is every planned item-site (a risk
/// starts where the horizon takes in a line).
#[test]
fn the_moving_horizon_raises_and_grows_risks_with_the_lines_it_takes_in() {
    let mut config = config();
    config.atp.engine.horizon = onhand::atp::Horizon::Days(3);
    let start = common::start();
    let risk = |n: &Network| n.control().active(ExceptionKind::StockoutRisk, &subject()).cloned();
    let late = |line: u32, qty: &str| {
        let mut o = order(line, qty);
        o.requested = chrono::NaiveDate::from_ymd_opt(2026, 1, 30).unwrap();
        o
    };
    let stocked = || {
        let mut n =
            Network::new(seed::demo_network(), common::rules(), config.clone(), start).unwrap();
        let receipt = receipt_to(1, "ATL", "BOLT-M8", "1200 EA", "PF-A01", "available");
        n.apply(&receipt.unwrap()).unwrap();
        n
    };
    // At risk now (1,000 of 1,200 allocated: 300 short), and 100 more booked beyond the
    // horizon: 400 short once the horizon reaches it.
    let mut n = stocked();
    n.allocate(&order(1, "1000 EA")).unwrap();
    n.allocate(&late(2, "100 EA")).unwrap();
    let before = risk(&n).unwrap();
    assert_eq!(before.impact.quantity, Decimal::from(300));
    n.advance_to(start + chrono::Duration::hours(1)).unwrap();
    assert_eq!(risk(&n).unwrap().impact.quantity, Decimal::from(300), "the same day");
    n.advance_to(start + chrono::Duration::days(22)).unwrap();
    let after = risk(&n).unwrap();
    assert_eq!((after.id, after.impact.quantity), (before.id, Decimal::from(400)));
    n.check().unwrap();
    common::assert_replays(&n, config.clone());

    // Not at risk now (1,000 booked beyond the horizon), at risk once the horizon
    // reaches the line.
    let mut n = stocked();
    n.allocate(&late(1, "1000 EA")).unwrap();
    assert!(risk(&n).is_none(), "beyond the horizon, supply is assumed");
    n.advance_to(start + chrono::Duration::days(22)).unwrap();
    assert_eq!(risk(&n).unwrap().impact.quantity, Decimal::from(300));
    n.check().unwrap();
    common::assert_replays(&n, config.clone());
}

/// Stainless bolts (the zinc bolts' substitute) planned at Atlanta with a purchase cost
/// of 0.12 a unit, 100 a day; none in stock.
fn stainless_planned(unit_cost: &str) -> NetworkConfig {
    let mut config = common::config();
    let mut plan = common::bolts_planned_at("ATL");
    plan.item = "BOLT-M8-SS".parse().unwrap();
    plan.costs = Some(onhand::replenish::Costs {
        unit_cost: unit_cost.parse().unwrap(),
        order_cost: Decimal::from(25),
        holding_rate: "0.25".parse().unwrap(),
        shortage_penalty: Decimal::ONE,
    });
    config.replenish.item_sites.push(plan);
    config
}

/// Before an item-site's pool has a cost, its stockout risk is valued at the item's
/// reference cost, and without one at the unit cost its replenishment plan buys at,
/// rather than at nothing (which ranked such a risk last, whatever was at stake).
#[test]
fn a_stockout_risk_before_any_cost_is_valued_at_the_reference_else_the_plans_cost() {
    let stainless =
        Subject::ItemSite { item: "BOLT-M8-SS".parse().unwrap(), site: site("ATL"), lot: None };
    let mut without_reference = common::rules();
    without_reference.reference_costs.remove(&"BOLT-M8-SS".parse().unwrap());
    let mut with_reference = common::rules();
    with_reference.reference_costs.insert(
        "BOLT-M8-SS".parse().unwrap(),
        onhand::ledger::ReferenceCost("0.10".parse().unwrap()),
    );
    for (rules, value) in [(without_reference, "60.00"), (with_reference, "50.00")] {
        let mut n =
            Network::new(seed::demo_network(), rules, stainless_planned("0.12"), common::start())
                .unwrap();
        // Zinc bolts arrive: the stainless ones, their substitute, are checked too.
        n.apply(&receipt_to(1, "ATL", "BOLT-M8", "1200 EA", "PF-A01", "available").unwrap())
            .unwrap();
        let risk = n.control().active(ExceptionKind::StockoutRisk, &stainless).unwrap();
        assert_eq!(risk.impact.quantity, Decimal::from(500), "5 days at 100, none held");
        assert_eq!(risk.impact.value.to_string(), value);
        assert_eq!(risk.impact.currency, common::usd());
    }
}
