//! Snapshot and restore of a ledger with many positions, without criterion: for
//! profiling (the `snapshot` bench's `ledger` case is the measurement). Named apart
//! from the valuation crate's `snapshot_calls`, so the two binaries do not overwrite
//! each other in `target/release/examples`.
//!
//! ```text
//! cargo build --release -p onhand-ledger --example ledger_snapshot_calls
//! perf record -F 999 --call-graph dwarf target/release/examples/ledger_snapshot_calls 111112
//! valgrind --tool=callgrind --toggle-collect='*measured*' \
//!     target/release/examples/ledger_snapshot_calls 10000
//! ```
//!
//! The argument is the number of items; each is received at each of 9 sites through
//! receipts of 500 lines (every fifth item into a lot), like the bench's network, so a
//! position per item-site. Only `measured` (one snapshot and one restore) is what
//! `--toggle-collect` counts; the time it took on a CPU is printed.

use std::hint::black_box;
use std::sync::Arc;

use onhand_ledger::{
    Actor, ActorId, Body, DocKind, DocNumber, DocumentRef, Event, EventId, Ledger, Line,
    ReasonCode, Rules, SiteLines, SiteScope,
};
use onhand_master::{Catalog, CurrencyCode, LotCode, Money, Role};
use onhand_status::StockStatus;
use onhand_testkit::scale;

const SITES: usize = 9;
/// Lines per receipt event while stocking.
const LINES: usize = 500;

fn rules() -> Rules {
    Rules::standard(CurrencyCode::new("USD").expect("usd")).trusting_event_actors()
}

#[inline(never)]
fn measured(catalog: &Arc<Catalog>, ledger: &Ledger) -> usize {
    let snapshot = ledger.snapshot(None).expect("snapshot");
    let restored =
        Ledger::restore(catalog.clone(), rules(), &snapshot).expect("the ledger's own snapshot");
    black_box(&restored);
    snapshot.state.positions.len()
}

fn main() {
    let items: usize = std::env::args().nth(1).map_or(111_112, |n| n.parse().expect("a count"));
    let catalog =
        Arc::new(Catalog::new(scale::network(items, SITES, false)).expect("synthetic network"));
    let mut ledger = Ledger::new(catalog.clone(), rules()).expect("ledger");
    let actor = Actor {
        id: ActorId::new("bench").expect("id"),
        roles: vec![Role::Warehouse, Role::InventoryControl, Role::Supervisor],
        sites: SiteScope::All,
    };
    let lot = LotCode::new("L1").expect("lot");
    let mut id = 0u128;
    for site in 0..SITES {
        let code = scale::site_code(site);
        let currency = catalog
            .site_ix(&code)
            .and_then(|s| catalog.site_entity(s))
            .and_then(|e| catalog.entity(e))
            .map(|e| e.currency)
            .expect("every synthetic site has an entity");
        let cost = Money::new("1.25".parse().expect("cost"), currency);
        for first in (0..items).step_by(LINES) {
            let lines = (first..(first + LINES).min(items))
                .map(|i| {
                    let mut line = Line::new(scale::item_code(i), "1000 EA".parse().expect("qty"))
                        .statuses(None, Some(StockStatus::Available))
                        .cost(cost);
                    if i.is_multiple_of(5) {
                        line.lot = Some(lot.clone());
                    }
                    line
                })
                .collect();
            id += 1;
            let at = onhand_ledger::testing::at(0);
            let event = Event {
                id: EventId::from_u128(id),
                effective_at: at,
                recorded_at: at,
                actor: actor.clone(),
                reason: ReasonCode::new("BENCH").expect("reason"),
                reference: DocumentRef {
                    kind: DocKind::PurchaseOrder,
                    number: DocNumber::new("PO-STOCK").expect("doc"),
                },
                body: Body::Receipt(SiteLines { site: code.clone(), lines }),
            };
            assert!(matches!(ledger.apply(&event), Ok(onhand_ledger::Applied::Accepted(_))));
        }
    }
    let cpu = on_cpu_ns();
    let n = measured(&catalog, &ledger);
    let ms = on_cpu_ns().zip(cpu).map(|(b, a)| (b - a) / 1_000_000);
    eprintln!("{n} positions: snapshot and restore, {ms:?} ms on a CPU");
}

/// The time this thread has spent on a CPU, in nanoseconds (Linux's schedstat): on a
/// busy machine, the time it would have taken with a core to itself, near enough.
fn on_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}
