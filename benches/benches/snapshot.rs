#![allow(missing_docs)] // criterion_group! generates an undocumented function
//! Snapshot plus restore of a network with 1,000,000 positions (111,112 items stocked at
//! each of 9 sites), with their cost pools, 20,000 booked order lines (half hard
//! allocations, half soft reservations) and 1,000 expected receipts (issue 16's target:
//! under 1 second), against the ledger alone in the same run:
//!
//! - `snapshot/ledger`: `Ledger::snapshot` then `Ledger::restore` of the same ledger;
//! - `snapshot/atp` and `snapshot/valuation`: the availability engine and the books
//!   alone, to show where the network's time goes;
//! - `snapshot/network`: `Network::snapshot` then `Network::restore` (ledger,
//!   availability, valuation and the network's own state, with the network's digest
//!   computed and checked, and the invariants between the engines checked).
//!
//! The restored network's digest is checked against the original once, outside the
//! timed section.

use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use onhand::atp::Atp;
use onhand::ledger::Ledger;
use onhand::master::Catalog;
use onhand::valuation::{Valuation, ValuationConfig};
use onhand::{Network, NetworkConfig};
use onhand_benches::snapshot_network::{ITEMS, SITES, network, rules};
use onhand_testkit::scale;

fn snapshot(c: &mut Criterion) {
    let catalog =
        Arc::new(Catalog::new(scale::network(ITEMS, SITES, false)).expect("synthetic network"));
    let n = network(&catalog);
    let positions = n.ledger().positions().count();
    assert!(positions >= 1_000_000, "{positions} positions");
    // Restored, the network is the one it was taken from.
    let restored = Network::restore(
        catalog.clone(),
        rules(),
        NetworkConfig::default(),
        &n.snapshot().expect("snapshot"),
    )
    .expect("restore");
    assert_eq!(restored.digest().expect("digest"), n.digest().expect("digest"));
    drop(restored);

    let mut g = c.benchmark_group("snapshot");
    g.sample_size(10);
    g.throughput(Throughput::Elements(positions as u64));
    let ledger = n.ledger().clone();
    g.bench_function("ledger", |b| {
        b.iter(|| {
            let s = ledger.snapshot(None).expect("snapshot");
            Ledger::restore(catalog.clone(), rules(), &s).expect("restore")
        });
    });
    let atp = n.atp().clone();
    g.bench_function("atp", |b| {
        b.iter(|| Atp::restore(catalog.clone(), &atp.snapshot()).expect("restore"));
    });
    let valuation = n.valuation().clone();
    g.bench_function("valuation", |b| {
        b.iter(|| {
            Valuation::restore(catalog.clone(), ValuationConfig::default(), &valuation.snapshot())
                .expect("restore")
        });
    });
    g.bench_function("network", |b| {
        b.iter(|| {
            let s = n.snapshot().expect("snapshot");
            Network::restore(catalog.clone(), rules(), NetworkConfig::default(), &s)
                .expect("restore")
        });
    });
    g.finish();
}

criterion_group!(benches, snapshot);
criterion_main!(benches);
