//! Picks and shipments against an order line use up its allocation in the ordered
//! item's units. A defect a review found: a substitute of ratio 2 shipped against a
//! line counted its own units as ordered ones, so a line half filled by it left the
//! book and freed what it still held of the ordered item. Two more the review found
//! are kept here, ignored, until they are fixed (`cargo test -- --ignored` shows them
//! failing).
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use chrono::NaiveDate;
use onhand::ledger::testing::{actor, doc, event, line, receipt_to, reversal};
use onhand::ledger::{Body, DocKind, Event, SiteLines};
use onhand::master::{BinCode, Role};
use onhand::{Availability, Network, OrderRef, OrderRequest};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, d).unwrap()
}

fn bin(b: &str) -> BinCode {
    BinCode::new(b).unwrap()
}

/// A pick (`ship == false`) or shipment of `qty` of `item` at Atlanta for sales order
/// `so`, line 1.
fn leave(id: u128, minutes: i64, so: &str, item: &str, qty: &str, ship: bool) -> Event {
    let l = if ship {
        line(item, qty).unwrap().at(bin("STG-01")).doc_line(1)
    } else {
        line(item, qty).unwrap().at(bin("PF-A01")).to_bin(bin("STG-01")).doc_line(1)
    };
    let mv = SiteLines { site: "ATL".parse().unwrap(), lines: vec![l] };
    let body = if ship { Body::Ship(mv) } else { Body::Pick(mv) };
    event(
        id,
        minutes,
        actor("w1", &[Role::Warehouse]).unwrap(),
        "OK",
        doc(DocKind::SalesOrder, so).unwrap(),
        body,
    )
    .unwrap()
}

fn order(so: &str, item: &str, qty: &str) -> OrderRequest {
    OrderRequest::new(
        so.parse().unwrap(),
        1,
        "HOMEPRO".parse().unwrap(),
        item.parse().unwrap(),
        qty.parse().unwrap(),
        day(9),
    )
}

fn free(n: &Network, item: &str) -> String {
    match n.available(&item.parse().unwrap(), &"ATL".parse().unwrap(), day(6), 9).unwrap() {
        Availability::Limited(q) => q.to_string(),
        Availability::Unlimited => "unlimited".into(),
    }
}

fn so(order: &str) -> OrderRef {
    OrderRef { order: order.parse().unwrap(), line: 1 }
}

/// A substitute counts `ratio` of its units per ordered unit; picks and shipments of it
/// are counted against the order line in the substitute's own units, so a line half
/// filled by a substitute of ratio 2 counts as shipped in full once the substitute
/// ships: it leaves the book and what it still holds of the ordered item is freed.
#[test]
fn a_substitute_shipped_at_its_ratio_does_not_close_the_line() {
    let mut md = onhand::master::seed::demo_network();
    let bolt = md.items.iter_mut().find(|i| i.code.as_str() == "BOLT-M8").unwrap();
    bolt.substitutes[0].ratio = "2".parse().unwrap();
    let mut n = Network::new(md, common::rules(), common::config(), common::start()).unwrap();
    n.apply(&receipt_to(1, "ATL", "BOLT-M8", "50 EA", "PF-A01", "available").unwrap()).unwrap();
    n.apply(&receipt_to(2, "ATL", "BOLT-M8-SS", "100 EA", "PF-A01", "available").unwrap()).unwrap();
    let mut req = order("SO-1", "BOLT-M8", "100 EA");
    req.allow_split = true;
    req.allow_substitutes = true;
    let p = n.allocate(&req).unwrap().promise;
    assert_eq!(p.confirmed.to_string(), "100 EA");
    let sched: Vec<String> =
        p.schedule.iter().map(|s| format!("{} {}", s.item.as_str(), s.qty)).collect();
    assert_eq!(sched, ["BOLT-M8 50 EA", "BOLT-M8-SS 100 EA"]);
    // The substitute's 100 (covering 50 ordered) is picked and shipped.
    n.apply(&leave(3, 10, "SO-1", "BOLT-M8-SS", "100 EA", false)).unwrap();
    n.apply(&leave(4, 20, "SO-1", "BOLT-M8-SS", "100 EA", true)).unwrap();
    n.check().unwrap();
    // 50 bolts are still to ship, and still held for the line.
    let p = n.booked(&so("SO-1")).expect("the line is half shipped: still booked");
    assert_eq!(p.confirmed.to_string(), "50 EA");
    assert_eq!(free(&n, "BOLT-M8"), "0 EA");
}

/// Stock picked for an order line beyond what the line had confirmed (found in free
/// stock) fulfils the line all the same, but the engine's line keeps asking for it:
/// re-processing confirms it again, so the line holds more than is still open on it.
#[test]
#[ignore = "known: consume lowers the line's demand only by what its allocation covered, \
          so re-processing confirms the part picked from free stock again (next stop)"]
fn stock_picked_beyond_the_allocation_is_promised_again_by_reprocessing() {
    let mut n = common::network();
    n.apply(&receipt_to(1, "ATL", "BOLT-M8", "50 EA", "PF-A01", "available").unwrap()).unwrap();
    let mut req = order("SO-1", "BOLT-M8", "100 EA");
    req.allow_split = true;
    let p = n.allocate(&req).unwrap().promise;
    assert_eq!(p.confirmed.to_string(), "50 EA");
    // 100 more arrive and 80 are picked for the line: 50 from its allocation, 30 beyond.
    n.apply(&receipt_to(2, "ATL", "BOLT-M8", "100 EA", "PF-A01", "available").unwrap()).unwrap();
    let o = n.apply(&leave(3, 10, "SO-1", "BOLT-M8", "80 EA", false)).unwrap();
    assert_eq!(o.allocations[0].used.to_string(), "50 EA");
    assert_eq!(o.allocations[0].beyond.to_string(), "30 EA");
    n.check().unwrap();
    assert_eq!(free(&n, "BOLT-M8"), "70 EA");
    // 20 are still open on the line (100 ordered, 80 picked).
    n.reprocess(onhand::atp::Sharing::FirstCome).unwrap();
    n.check().unwrap();
    let held = n.booked(&so("SO-1")).unwrap().confirmed;
    assert!(
        held.value() <= "20".parse().unwrap(),
        "the line holds {held} with only 20 EA left to ship; free stock is {}",
        free(&n, "BOLT-M8")
    );
}

/// A pick reversed puts the stock back where it was, but the allocation it used up is
/// not restored: the order line (still open, nothing shipped) holds nothing and its
/// stock is free for anyone.
#[test]
#[ignore = "known: a reversal of a pick or shipment does not restore what it used up of the \
          line's allocation (needs an engine call to restore it; next stop)"]
fn a_reversed_pick_does_not_give_the_line_its_allocation_back() {
    let mut n = common::network();
    n.apply(&receipt_to(1, "ATL", "BOLT-M8", "120 EA", "PF-A01", "available").unwrap()).unwrap();
    n.allocate(&order("SO-1", "BOLT-M8", "100 EA")).unwrap();
    assert_eq!(free(&n, "BOLT-M8"), "20 EA");
    let pick = leave(2, 10, "SO-1", "BOLT-M8", "100 EA", false);
    n.apply(&pick).unwrap();
    assert_eq!(free(&n, "BOLT-M8"), "20 EA");
    n.apply(&reversal(3, 20, pick.id).unwrap()).unwrap();
    n.check().unwrap();
    // Back to before the pick: 100 held for SO-1, 20 free.
    let p = n.booked(&so("SO-1")).unwrap();
    assert_eq!(
        (p.confirmed.to_string(), free(&n, "BOLT-M8")),
        ("100 EA".to_string(), "20 EA".to_string())
    );
}
