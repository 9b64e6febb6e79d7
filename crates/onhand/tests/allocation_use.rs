//! Picks and shipments against an order line use up its allocation in the ordered
//! item's units. A defect a review found: a substitute of ratio 2 shipped against a
//! line counted its own units as ordered ones, so a line half filled by it left the
//! book and freed what it still held of the ordered item. Two more it found: stock
//! picked beyond the allocation was promised to the line again by re-processing, and a
//! reversed pick or shipment did not give the line back what it had used up.
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
/// stock) fulfils the line all the same: the line asks for that much less, so
/// re-processing does not confirm it again (it used to, so the line held more than was
/// still open on it).
#[test]
fn stock_picked_beyond_the_allocation_is_not_promised_again_by_reprocessing() {
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
    assert_eq!(held.to_string(), "20 EA", "20 EA are left to ship; free: {}", free(&n, "BOLT-M8"));
    assert_eq!(free(&n, "BOLT-M8"), "50 EA");
}

/// A pick reversed puts the stock back where it was, and the allocation it used up
/// with it: the order line (still open, nothing shipped) holds it again. It used to
/// hold nothing, its stock free for anyone.
#[test]
fn a_reversed_pick_gives_the_line_its_allocation_back() {
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

/// A pick of 80 for a line that held 50 (30 taken from free stock) is reversed: the
/// line holds its 50 again and asks for the 30 again, which re-processing confirms.
#[test]
fn a_reversed_pick_beyond_the_allocation_asks_for_the_rest_again() {
    let mut n = common::network();
    n.apply(&receipt_to(1, "ATL", "BOLT-M8", "50 EA", "PF-A01", "available").unwrap()).unwrap();
    let mut req = order("SO-1", "BOLT-M8", "100 EA");
    req.allow_split = true;
    n.allocate(&req).unwrap();
    n.apply(&receipt_to(2, "ATL", "BOLT-M8", "100 EA", "PF-A01", "available").unwrap()).unwrap();
    let pick = leave(3, 10, "SO-1", "BOLT-M8", "80 EA", false);
    n.apply(&pick).unwrap();
    let o = n.apply(&reversal(4, 20, pick.id).unwrap()).unwrap();
    n.check().unwrap();
    assert_eq!(o.allocations_restored.len(), 1);
    assert_eq!(o.allocations_restored[0].used.to_string(), "50 EA");
    assert_eq!(o.allocations_restored[0].beyond.to_string(), "30 EA");
    assert_eq!(n.booked(&so("SO-1")).unwrap().confirmed.to_string(), "50 EA");
    assert_eq!(free(&n, "BOLT-M8"), "100 EA");
    n.reprocess(onhand::atp::Sharing::FirstCome).unwrap();
    n.check().unwrap();
    assert_eq!(n.booked(&so("SO-1")).unwrap().confirmed.to_string(), "100 EA");
    assert_eq!(free(&n, "BOLT-M8"), "50 EA");
}

/// A shipment of stock picked without naming the line (so the shipment uses up the
/// allocation) that is reversed gives the line back what it used up, and its shipped
/// total goes down again: the line then ships in full and leaves the book as if the
/// first shipment had never been.
#[test]
fn a_reversed_shipment_gives_the_line_its_allocation_back() {
    let mut n = common::network();
    n.apply(&receipt_to(1, "ATL", "BOLT-M8", "140 EA", "PF-A01", "available").unwrap()).unwrap();
    n.allocate(&order("SO-1", "BOLT-M8", "100 EA")).unwrap();
    // 40 picked for another order that is not booked here: staged, not available.
    n.apply(&leave(2, 5, "SO-9", "BOLT-M8", "40 EA", false)).unwrap();
    assert_eq!(free(&n, "BOLT-M8"), "0 EA");
    let ship = leave(3, 10, "SO-1", "BOLT-M8", "40 EA", true);
    let o = n.apply(&ship).unwrap();
    assert_eq!(o.allocations[0].used.to_string(), "40 EA");
    assert_eq!(n.booked(&so("SO-1")).unwrap().confirmed.to_string(), "60 EA");
    assert_eq!(free(&n, "BOLT-M8"), "40 EA");
    n.apply(&reversal(4, 20, ship.id).unwrap()).unwrap();
    n.check().unwrap();
    assert_eq!(n.booked(&so("SO-1")).unwrap().confirmed.to_string(), "100 EA");
    assert_eq!(free(&n, "BOLT-M8"), "0 EA");
    // Had the reversal left 40 counted as shipped, shipping 60 would close the line.
    n.apply(&leave(6, 31, "SO-1", "BOLT-M8", "60 EA", false)).unwrap();
    n.apply(&leave(7, 32, "SO-1", "BOLT-M8", "60 EA", true)).unwrap();
    assert!(n.booked(&so("SO-1")).is_ok(), "40 of 100 still to ship");
    n.check().unwrap();
}

/// A picked line whose shipment is reversed counts the units as picked, not shipped,
/// again: the next shipment of them uses up nothing more.
#[test]
fn a_reversed_shipment_of_picked_stock_counts_it_picked_again() {
    let mut n = common::network();
    n.apply(&receipt_to(1, "ATL", "BOLT-M8", "120 EA", "PF-A01", "available").unwrap()).unwrap();
    n.allocate(&order("SO-1", "BOLT-M8", "100 EA")).unwrap();
    n.apply(&leave(2, 5, "SO-1", "BOLT-M8", "40 EA", false)).unwrap();
    let ship = leave(3, 10, "SO-1", "BOLT-M8", "40 EA", true);
    n.apply(&ship).unwrap();
    let o = n.apply(&reversal(4, 20, ship.id).unwrap()).unwrap();
    assert!(o.allocations_restored.is_empty(), "the shipment used up nothing: {o:?}");
    let again = n.apply(&leave(5, 30, "SO-1", "BOLT-M8", "40 EA", true)).unwrap();
    assert!(again.allocations.is_empty(), "picked stock ships without using more");
    assert_eq!(n.booked(&so("SO-1")).unwrap().confirmed.to_string(), "60 EA");
    assert_eq!(free(&n, "BOLT-M8"), "20 EA");
    n.check().unwrap();
}

/// What a pick used up survives a snapshot: restored, the network gives the line its
/// allocation back when the pick is reversed, as the original would.
#[test]
fn a_pick_reversed_after_a_restore_gives_the_allocation_back() {
    let mut n = common::network();
    n.apply(&receipt_to(1, "ATL", "BOLT-M8", "120 EA", "PF-A01", "available").unwrap()).unwrap();
    n.allocate(&order("SO-1", "BOLT-M8", "100 EA")).unwrap();
    let pick = leave(2, 10, "SO-1", "BOLT-M8", "100 EA", false);
    n.apply(&pick).unwrap();
    let snap = n.snapshot().unwrap();
    let catalog = std::sync::Arc::new(
        onhand::master::Catalog::new(onhand::master::seed::demo_network()).unwrap(),
    );
    let mut m = Network::restore(catalog, common::rules(), common::config(), &snap).unwrap();
    let back = reversal(3, 20, pick.id).unwrap();
    let (a, b) = (n.apply(&back).unwrap(), m.apply(&back).unwrap());
    assert_eq!(a, b);
    m.check().unwrap();
    assert_eq!(m.booked(&so("SO-1")).unwrap().confirmed.to_string(), "100 EA");
    assert_eq!(free(&m, "BOLT-M8"), "20 EA");
}

/// A line shipped in full leaves the book; a reversal of its shipment then brings the
/// stock back to staging with no booking to give it to, and the network still ties out.
#[test]
fn a_shipment_reversed_after_the_line_left_the_book_changes_no_booking() {
    let mut n = common::network();
    n.apply(&receipt_to(1, "ATL", "BOLT-M8", "120 EA", "PF-A01", "available").unwrap()).unwrap();
    n.allocate(&order("SO-1", "BOLT-M8", "100 EA")).unwrap();
    n.apply(&leave(2, 5, "SO-1", "BOLT-M8", "100 EA", false)).unwrap();
    let ship = leave(3, 10, "SO-1", "BOLT-M8", "100 EA", true);
    n.apply(&ship).unwrap();
    assert!(n.booked(&so("SO-1")).is_err());
    let o = n.apply(&reversal(4, 20, ship.id).unwrap()).unwrap();
    assert!(o.allocations_restored.is_empty());
    assert!(n.booked(&so("SO-1")).is_err());
    n.check().unwrap();
    assert_eq!(free(&n, "BOLT-M8"), "20 EA");
}

/// 120 picked for a line of 100 (20 over): the line asks for nothing more. Reversed, it
/// asks for its 100 again, not 120, and holds its 100 again.
#[test]
fn a_reversed_over_pick_asks_for_the_line_again_not_more() {
    let mut n = common::network();
    n.apply(&receipt_to(1, "ATL", "BOLT-M8", "150 EA", "PF-A01", "available").unwrap()).unwrap();
    n.allocate(&order("SO-1", "BOLT-M8", "100 EA")).unwrap();
    let pick = leave(2, 10, "SO-1", "BOLT-M8", "120 EA", false);
    n.apply(&pick).unwrap();
    assert_eq!(n.booked(&so("SO-1")).unwrap().requested.to_string(), "100 EA");
    n.apply(&reversal(3, 20, pick.id).unwrap()).unwrap();
    n.check().unwrap();
    n.reprocess(onhand::atp::Sharing::FirstCome).unwrap();
    n.check().unwrap();
    assert_eq!(n.booked(&so("SO-1")).unwrap().confirmed.to_string(), "100 EA");
    assert_eq!(free(&n, "BOLT-M8"), "50 EA");
}

/// A snapshot whose booking says the line ordered more than the availability engine
/// asks for (edited, the digest made to match) is refused: what a line still asks for
/// is what it ordered less what its picks took off it, in both engines.
#[test]
fn a_snapshot_whose_booking_disagrees_with_what_availability_asks_for_is_refused() {
    let mut n = common::network();
    n.apply(&receipt_to(1, "ATL", "BOLT-M8", "120 EA", "PF-A01", "available").unwrap()).unwrap();
    n.allocate(&order("SO-1", "BOLT-M8", "100 EA")).unwrap();
    n.apply(&leave(2, 10, "SO-1", "BOLT-M8", "30 EA", false)).unwrap();
    n.check().unwrap();
    let mut json = serde_json::to_value(n.snapshot().unwrap()).unwrap();
    let bookings = json["content"]["bookings"].as_array_mut().unwrap();
    assert_eq!(bookings.len(), 1);
    bookings[0]["request"]["qty"] = "90 EA".into();
    let err = common::restore_edited(json).unwrap_err();
    assert_eq!(err.code(), "invalid_snapshot", "{err}");
    assert!(err.to_string().contains("invariant bookings"), "{err}");
}
