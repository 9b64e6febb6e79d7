//! Snapshot and restore of a valuation engine with many pools, without criterion: for
//! profiling with instruction counts (the `snapshot` bench's `valuation` case is the
//! measurement).
//!
//! ```text
//! cargo build --release -p onhand-valuation --example snapshot_calls
//! valgrind --tool=callgrind --toggle-collect='*measured*' \
//!     target/release/examples/snapshot_calls 100000
//! ```
//!
//! The argument is the number of items; each is received once at each of 9 sites, so a
//! pool per item-site, like the bench's network. Only `measured` (one snapshot and one
//! restore) is what `--toggle-collect` counts; the time it took on a CPU is printed.

use std::hint::black_box;
use std::sync::Arc;

use chrono::DateTime;
use onhand_master::{Catalog, Money, Qty, synthetic};
use onhand_valuation::{CostBody, CostEvent, Valuation, ValuationConfig};
use rust_decimal::Decimal;

const SITES: usize = 9;

#[inline(never)]
fn measured(catalog: &Arc<Catalog>, v: &Valuation) -> usize {
    let snapshot = v.snapshot();
    let restored = Valuation::restore(catalog.clone(), ValuationConfig::default(), &snapshot)
        .expect("the engine's own snapshot restores");
    black_box(&restored);
    snapshot.digest.len()
}

fn main() {
    let items: usize = std::env::args().nth(1).map_or(100_000, |n| n.parse().expect("a count"));
    let catalog =
        Arc::new(Catalog::new(synthetic::network(items, SITES, false)).expect("synthetic network"));
    let mut v = Valuation::new(catalog.clone(), ValuationConfig::default()).expect("valuation");
    let at = DateTime::from_timestamp(1_767_600_000, 0).expect("time");
    let mut id = 0;
    for s in 0..SITES {
        let site = synthetic::site_code(s);
        let currency = catalog
            .site_ix(&site)
            .and_then(|x| catalog.site_entity(x))
            .and_then(|e| catalog.entity(e))
            .map(|e| e.currency)
            .expect("every synthetic site has an entity");
        for i in 0..items {
            id += 1;
            let item = synthetic::item_code(i);
            let uom = catalog
                .item_ix(&item)
                .and_then(|x| catalog.item(x))
                .map(|x| x.base_uom)
                .expect("synthetic item");
            v.apply(&CostEvent {
                id,
                at,
                body: CostBody::Receipt {
                    site: site.clone(),
                    item,
                    qty: Qty::new(Decimal::from(1000), uom).expect("qty"),
                    unit_cost: Money::new(Decimal::new(125, 2), currency),
                    owner: None,
                },
            })
            .expect("receipt");
        }
    }
    let cpu = on_cpu_ns();
    let n = measured(&catalog, &v);
    let ms = on_cpu_ns().zip(cpu).map(|(b, a)| (b - a) / 1_000_000);
    eprintln!("{} pools: snapshot and restore, {ms:?} ms on a CPU ({n})", items * SITES);
}

/// The time this thread has spent on a CPU, in nanoseconds (Linux's schedstat): on a
/// busy machine, the time it would have taken with a core to itself, near enough.
fn on_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}
