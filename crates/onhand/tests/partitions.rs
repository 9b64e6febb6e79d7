//! A network split into partitions reports, merged, what the whole network reports.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use onhand::ledger::seed::demo_day;
use onhand::master::Catalog;
use onhand::partition::split_event;
use onhand::{Figures, Network, Partition};

fn partitions(count: u16) -> Vec<Network> {
    (0..count)
        .map(|i| {
            let mut config = common::config();
            config.partition = Some(Partition::new(i, count).unwrap());
            Network::new(
                onhand::master::seed::demo_network(),
                common::rules(),
                config,
                common::start(),
            )
            .unwrap()
        })
        .collect()
}

#[test]
fn four_partitions_merged_report_what_one_network_reports() {
    let mut whole = common::network();
    let mut parts = partitions(4);
    let catalog = Catalog::new(onhand::master::seed::demo_network()).unwrap();
    for e in demo_day().unwrap() {
        let whole_ok = whole.apply(&e.event).is_ok();
        let mut any_ok = false;
        for (p, part) in split_event(&catalog, &e.event, 4) {
            // Events naming no item go to every partition; only the one holding what they
            // name (the pending event, the transfer order) takes them.
            any_ok |= parts[usize::from(p)].apply(&part).is_ok();
        }
        assert_eq!(whole_ok, any_ok, "{}", e.what);
    }
    let merged = parts
        .iter()
        .map(|n| n.figures().unwrap())
        .fold(Figures::default(), Figures::merge)
        .without_zeros();
    let one = whole.figures().unwrap().without_zeros();
    assert_eq!(merged, one);
    // Something was in every part of it.
    assert!(one.items.len() >= 4, "{:?}", one.items.keys().collect::<Vec<_>>());
    assert!(one.entities.values().any(|e| !e.inventory.is_zero()));
    assert!(!one.intercompany.is_empty());
    for part in &parts {
        part.check().unwrap();
    }
}

#[test]
fn a_partition_refuses_another_partitions_item() {
    let parts = partitions(4);
    let catalog = Catalog::new(onhand::master::seed::demo_network()).unwrap();
    let bolt = catalog.item_ix(&"BOLT-M8".parse().unwrap()).unwrap();
    let holder = parts.iter().position(|p| p.holds(bolt)).unwrap();
    let other = (holder + 1) % 4;
    let mut n = parts.into_iter().nth(other).unwrap();
    let r = onhand::ledger::testing::receipt(1, "ATL", "BOLT-M8", "1 CS", "RCV-01").unwrap();
    assert_eq!(n.apply(&r).unwrap_err().code(), "not_in_partition");
}

#[test]
fn figures_merge_in_any_order() {
    let mut parts = partitions(3);
    let catalog = Catalog::new(onhand::master::seed::demo_network()).unwrap();
    for e in demo_day().unwrap() {
        for (p, part) in split_event(&catalog, &e.event, 3) {
            let _ = parts[usize::from(p)].apply(&part);
        }
    }
    let f: Vec<Figures> = parts.iter().map(|n| n.figures().unwrap()).collect();
    let abc = f[0].clone().merge(f[1].clone()).merge(f[2].clone());
    let cab = f[2].clone().merge(f[0].clone().merge(f[1].clone()));
    assert_eq!(abc, cab);
}
