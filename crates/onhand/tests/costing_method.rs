//! Changing a live item's costing method through the facade, worked by hand: one call
//! revalues, journals, replays and survives a snapshot.

#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

use std::sync::Arc;

use onhand::costing::MethodChange;
use onhand::ledger::{ReferenceCost, Rules, testing};
use onhand::master::{Catalog, CurrencyCode, seed};
use onhand::rust_decimal::Decimal;
use onhand::valuation::{Method, PostingKey};
use onhand::{Command, Network, NetworkConfig};

fn rules() -> Rules {
    let mut rules = Rules::standard(CurrencyCode::new("USD").unwrap()).trusting_event_actors();
    rules
        .reference_costs
        .insert("BOLT-M8".parse().unwrap(), ReferenceCost("0.085".parse().unwrap()));
    rules
}

fn network() -> Network {
    Network::new(seed::demo_network(), rules(), NetworkConfig::default(), testing::at(-60)).unwrap()
}

fn change(minute: i64, method: Method, standard: Option<&str>) -> MethodChange {
    MethodChange {
        entity: "NA01".parse().unwrap(),
        item: "BOLT-M8".parse().unwrap(),
        site: None,
        method,
        standard: standard.map(|s| s.parse().unwrap()),
        at: testing::at(minute),
    }
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// 240 EA received at 0.085 (20.40) and 120 EA at 0.10 (12.00), FIFO: 360 worth 32.40.
/// To moving average (0.09 each), no posting. To standard at 0.095: 34.20, a revaluation
/// of 1.80. Back to standard is refused with nothing journaled.
#[test]
fn a_method_change_is_one_call_journaled_and_replayed() {
    let mut net = network();
    net.apply(&testing::receipt_to(1, "ATL", "BOLT-M8", "2 CS", "PF-A01", "available").unwrap())
        .unwrap();
    let mut second =
        testing::receipt_to(2, "ATL", "BOLT-M8", "1 CS", "PF-A01", "available").unwrap();
    if let onhand::ledger::Body::Receipt(m) = &mut second.body {
        m.lines[0].unit_cost = Some("12.00 USD".parse().unwrap()); // per case of 120: 0.10 each
    }
    net.apply(&second).unwrap();
    let na01 = "NA01".parse().unwrap();
    assert_eq!(net.valuation().inventory_value(&na01), d("32.40"));

    let p = net.change_costing_method(&change(3, Method::MovingAverage, None)).unwrap();
    assert!(p.is_empty(), "{p:#?}");
    let pool = net.valuation().pool(&na01, &"BOLT-M8".parse().unwrap(), None).unwrap();
    assert_eq!((pool.method, pool.unit_cost), (Method::MovingAverage, Some(d("0.09"))));

    let p = net.change_costing_method(&change(4, Method::Standard, Some("0.095 USD"))).unwrap();
    let sum = |key| p.iter().filter(|x| x.key == key).map(|x| x.amount).sum::<Decimal>();
    assert_eq!((sum(PostingKey::Inventory), sum(PostingKey::Revaluation)), (d("1.80"), d("-1.80")));
    assert_eq!(net.valuation().inventory_value(&na01), d("34.20"));

    let seq = net.journal().head().seq;
    let err =
        net.change_costing_method(&change(5, Method::Standard, Some("0.10 USD"))).unwrap_err();
    assert_eq!(err.code(), "method_change");
    assert_eq!(net.journal().head().seq, seq);

    // The journal holds the changes and replays to the same network.
    let entries = net.journal().entries().to_vec();
    assert!(entries.iter().any(|e| matches!(e.command, Command::ChangeCostingMethod(_))));
    let again = Network::replay(
        seed::demo_network(),
        rules(),
        NetworkConfig::default(),
        testing::at(-60),
        &entries,
    )
    .unwrap();
    assert_eq!(again.digest().unwrap(), net.digest().unwrap());
    net.check().unwrap();

    // And a snapshot restores it.
    let snap = net.snapshot().unwrap();
    let catalog = Arc::new(Catalog::new(seed::demo_network()).unwrap());
    let back = Network::restore(catalog, rules(), NetworkConfig::default(), &snap).unwrap();
    assert_eq!(back.digest().unwrap(), net.digest().unwrap());
}

/// The same as a scenario step: `change_method`, with its revaluation checked and a
/// refused change reported by its code.
#[test]
fn a_scenario_changes_a_costing_method() {
    let text = r#"{ "format": 1, "start": "2026-01-05T08:00:00Z", "network": { "builtin": "demo" },
        "steps": [
          { "receipt": { "site": "ATL", "item": "BOLT-M8", "qty": "2 CS", "bin": "PF-A01",
                         "to": "available", "unit_cost": "10.20 USD" } },
          { "at": "2026-01-05T09:00:00Z",
            "change_method": { "entity": "NA01", "item": "BOLT-M8", "method": "standard",
                               "standard": "0.09 USD" },
            "expect": { "postings": [
              { "entity": "NA01", "key": "inventory", "amount": "1.20 USD" },
              { "entity": "NA01", "key": "revaluation", "amount": "-1.20 USD" } ] } },
          { "change_method": { "entity": "NA01", "item": "BOLT-M8", "method": "standard",
                               "standard": "0.10 USD" },
            "expect": { "error": "method_change" } } ] }"#;
    let scenario: onhand::scenario::Scenario = serde_json::from_str(text).unwrap();
    let report = onhand::scenario::run(&scenario).unwrap();
    assert!(report.passed(), "{report:#?}");
    assert_eq!(report.steps.len(), 3);
}
