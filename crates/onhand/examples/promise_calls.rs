//! A fixed run of promises through [`Network::promise`] and through the availability
//! engine alone ([`Atp::promise`](onhand::atp::Atp::promise)), on a synthetic network
//! of items across 9 sites, for instruction counts per promise under callgrind (the
//! criterion bench `network`, group `promise`, in `onhand-benches` times the same
//! lines on 100,000 items; instruction counts are stable when the machine is loaded).
//!
//! ```text
//! cargo build --release -p onhand --example promise_calls
//! for path in atp network; do
//!   valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     --toggle-collect=promise_calls::measured_$path \
//!     target/release/examples/promise_calls 20
//! done
//! ```
//!
//! Both paths promise the same [`LINES`] order lines (5 EA of an item at one of the
//! sites, shipped to one region) the given number of rounds (default 1, so that CI runs
//! it quickly): divide the instruction count by `LINES` times the rounds. The answers of
//! the two paths are checked to agree.

use std::hint::black_box;
use std::sync::Arc;

use chrono::NaiveDate;
use onhand::atp::{Atp, LineId, OrderLine};
use onhand::ledger::testing::{actor, at};
use onhand::ledger::{
    Body, DocKind, DocNumber, DocumentRef, Event, EventId, Line, ReasonCode, Rules, SiteLines,
};
use onhand::master::{Catalog, CurrencyCode, LotCode, Money, Qty, Role};
use onhand::status::StockStatus;
use onhand::{Network, NetworkConfig, OrderRequest};
use onhand_testkit::scale;

const ITEMS: usize = 2_000;
const SITES: usize = 9;
/// Order lines per round.
pub const LINES: usize = 1_000;

/// A receipt of 1,000 EA (of lot L1 where the item needs one) of item `i` at site `i % SITES`, straight to available.
fn receipt(catalog: &Catalog, i: usize) -> Event {
    let site = scale::site_code(i % SITES);
    let currency = catalog
        .site_ix(&site)
        .and_then(|s| catalog.site_entity(s))
        .and_then(|e| catalog.entity(e))
        .map(|e| e.currency)
        .expect("every synthetic site has an entity");
    let cost = Money::new("1.25".parse().expect("cost"), currency);
    let mut line = Line::new(scale::item_code(i), "1000 EA".parse::<Qty>().expect("qty"))
        .statuses(None, Some(StockStatus::Available))
        .cost(cost);
    // Every fifth synthetic item is lot-controlled.
    if i.is_multiple_of(5) {
        line.lot = Some(LotCode::new("L1").expect("lot"));
    }
    let when = at(0);
    Event {
        id: EventId::from_u128(i as u128 + 1),
        effective_at: when,
        recorded_at: when,
        actor: actor("bench", &[Role::Warehouse, Role::InventoryControl, Role::Supervisor])
            .expect("actor"),
        reason: ReasonCode::new("BENCH").expect("reason"),
        reference: DocumentRef {
            kind: DocKind::PurchaseOrder,
            number: DocNumber::new("PO-1").expect("doc"),
        },
        body: Body::Receipt(SiteLines { site, lines: vec![line] }),
    }
}

/// Promises every line through the engine; how many were on time.
#[inline(never)]
fn measured_atp(atp: &mut Atp, lines: &[OrderLine], rounds: usize) -> usize {
    let mut on_time = 0;
    for _ in 0..rounds {
        for l in lines {
            if atp.promise(black_box(l)).is_ok_and(|p| p.on_time) {
                on_time += 1;
            }
        }
    }
    on_time
}

/// Promises every request through the network; how many were on time.
#[inline(never)]
fn measured_network(n: &mut Network, requests: &[OrderRequest], rounds: usize) -> usize {
    let mut on_time = 0;
    for _ in 0..rounds {
        for r in requests {
            if n.promise(black_box(r)).is_ok_and(|p| p.on_time) {
                on_time += 1;
            }
        }
    }
    on_time
}

fn main() {
    let rounds: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1);
    let catalog =
        Arc::new(Catalog::new(scale::network(ITEMS, SITES, false)).expect("synthetic network"));
    let rules = Rules::standard(CurrencyCode::new("USD").expect("usd")).trusting_event_actors();
    let mut network =
        Network::with_catalog(catalog.clone(), rules, NetworkConfig::default(), at(-60))
            .expect("network");
    for i in 0..ITEMS {
        network.apply(&receipt(&catalog, i)).expect("receipt");
    }
    let day = NaiveDate::from_ymd_opt(2026, 1, 9).expect("date");
    let requests: Vec<OrderRequest> = (0..LINES)
        .map(|i| {
            let mut r = OrderRequest::new(
                DocNumber::new("SO-1").expect("doc"),
                u32::try_from(i).unwrap_or(0),
                "C1".parse().expect("customer"),
                scale::item_code(i * 97 % ITEMS),
                "5 EA".parse().expect("qty"),
                day,
            );
            r.customer = None;
            r.ship_to = Some("R1".parse().expect("region"));
            r
        })
        .collect();
    let lines: Vec<OrderLine> = requests
        .iter()
        .enumerate()
        .map(|(i, r)| {
            OrderLine::new(
                LineId(i as u64),
                r.item.clone(),
                r.qty,
                r.requested,
                "R1".parse().expect("region"),
            )
        })
        .collect();
    let mut atp = network.atp().clone();
    // The two paths give the same answers.
    for (r, l) in requests.iter().zip(&lines) {
        let view = network.promise(r).expect("network promise");
        let p = atp.promise(l).expect("atp promise");
        assert_eq!(view.confirmed.value(), p.confirmed, "{}", r.item);
        assert_eq!(view.schedule.len(), p.schedule().len(), "{}", r.item);
        assert!(view.on_time && p.on_time, "{}", r.item);
    }
    let by_atp = measured_atp(&mut atp, &lines, rounds);
    let by_network = measured_network(&mut network, &requests, rounds);
    assert_eq!((by_atp, by_network), (LINES * rounds, LINES * rounds));
    black_box((atp, network));
}
