//! Expected receipts against the receipts that use them up: defects a review found,
//! each test failing before its fix. A receipt naming a purchase order line of another
//! item or site used that line up; a reversed receipt reopened what it had taken even
//! when a later over-receipt had brought it; a line reopened while overdue was never
//! signalled overdue again; a line closed by receipts could be expected again under
//! its own number; a line lowered to what was received was dropped, so a reversal of
//! its receipt reopened nothing; confirming an overdue line's due date signalled it
//! overdue a second time.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use chrono::NaiveDate;
use onhand::ledger::Body;
use onhand::ledger::testing::{receipt_to, reversal};
use onhand::master::{ItemCode, SiteCode};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, d).unwrap()
}

fn expected(
    order: &str,
    line: u32,
    item: &str,
    site: &str,
    qty: &str,
    due: NaiveDate,
) -> onhand::ExpectedReceipt {
    onhand::ExpectedReceipt {
        order: order.parse().unwrap(),
        line,
        supplier: None,
        item: item.parse().unwrap(),
        site: site.parse().unwrap(),
        qty: qty.parse().unwrap(),
        due,
        unit_cost: None,
    }
}

/// A receipt of `qty` of `item` at `site` against purchase order `order`, naming
/// `doc_line` when given.
fn po_receipt(
    id: u128,
    site: &str,
    item: &str,
    qty: &str,
    order: &str,
    doc_line: Option<u32>,
) -> onhand::ledger::Event {
    let mut r = receipt_to(id, site, item, qty, "RCV-01", "available").unwrap();
    r.reference.number = order.parse().unwrap();
    if let Body::Receipt(m) = &mut r.body {
        for l in &mut m.lines {
            l.doc_line = doc_line;
        }
    }
    r
}

fn open_of(n: &onhand::Network, order: &str, line: u32) -> Option<String> {
    n.expected_receipts()
        .find(|r| r.expected.order.as_str() == order && r.expected.line == line)
        .map(|r| r.open.to_string())
}

/// A receipt naming a purchase order line of another item used that line up: the
/// bolts' expected receipt at Atlanta disappeared although no bolt arrived, and the
/// supply was taken off the nuts' item-site, where it was never added. The receipt is
/// taken; the line stays open.
#[test]
fn a_receipt_naming_a_line_of_another_item_does_not_use_it_up() {
    let mut n = common::network();
    n.expect(expected("PO-1", 1, "BOLT-M8", "ATL", "100 EA", day(8))).unwrap();
    // 100 nuts arrive at Atlanta, the receipt (wrongly) naming line 1 of PO-1.
    n.apply(&po_receipt(1, "ATL", "NUT-M8", "100 EA", "PO-1", Some(1))).unwrap();
    assert_eq!(
        open_of(&n, "PO-1", 1).as_deref(),
        Some("100"),
        "the bolts' line was used up by nuts"
    );
    n.check().unwrap();
}

/// The same for a receipt at another site than the line's.
#[test]
fn a_receipt_naming_a_line_of_another_site_does_not_use_it_up() {
    let mut n = common::network();
    n.expect(expected("PO-1", 1, "BOLT-M8", "ATL", "100 EA", day(8))).unwrap();
    n.apply(&po_receipt(1, "DFW", "BOLT-M8", "100 EA", "PO-1", Some(1))).unwrap();
    let bolt: ItemCode = "BOLT-M8".parse().unwrap();
    let dfw: SiteCode = "DFW".parse().unwrap();
    // Dallas holds the 100 bolts it received: all of them promisable today.
    assert_eq!(
        n.available(&bolt, &dfw, day(5), 9).unwrap(),
        onhand::Availability::Limited("100 EA".parse().unwrap()),
        "Dallas's received stock is cancelled by supply taken off where none was added"
    );
    assert_eq!(
        open_of(&n, "PO-1", 1).as_deref(),
        Some("100"),
        "Atlanta's line was used up by a Dallas receipt"
    );
    n.check().unwrap();
}

/// A line received in two receipts, the second beyond what was open, then the first
/// reversed: what has arrived against the line is the second receipt's 80 of 100, so
/// 20 are still open. The reversal gives back the 60 the first receipt took, and the
/// line, the availability engine and replenishment count on 60 more bolts when only 20
/// more are coming.
#[test]
fn reversing_a_receipt_after_an_over_receipt_reopens_only_what_is_still_unreceived() {
    let mut n = common::network();
    n.expect(expected("PO-1", 1, "BOLT-M8", "ATL", "100 EA", day(8))).unwrap();
    let first = po_receipt(1, "ATL", "BOLT-M8", "60 EA", "PO-1", Some(1));
    n.apply(&first).unwrap();
    assert_eq!(open_of(&n, "PO-1", 1).as_deref(), Some("40"));
    n.apply(&po_receipt(2, "ATL", "BOLT-M8", "80 EA", "PO-1", Some(1))).unwrap();
    assert_eq!(open_of(&n, "PO-1", 1), None, "closed by receipts");
    n.apply(&reversal(3, 3, first.id).unwrap()).unwrap();
    n.check().unwrap();
    let line = n
        .expected_receipts()
        .find(|r| r.expected.order.as_str() == "PO-1")
        .expect("the line is back: the first receipt never came");
    assert_eq!(line.received.to_string(), "80");
    assert_eq!(line.open.to_string(), "20", "100 ordered, 80 received: 20 open");
    // The availability engine counts on what is open: 80 on hand plus 20 coming.
    let bolt: ItemCode = "BOLT-M8".parse().unwrap();
    let atl: SiteCode = "ATL".parse().unwrap();
    assert_eq!(
        n.available(&bolt, &atl, day(9), 9).unwrap(),
        onhand::Availability::Limited("100 EA".parse().unwrap())
    );
}

/// A purchase order line overdue, signalled, then received (the exception clears), then
/// the receipt reversed: the line is open and overdue again, but its overdue flag from
/// before stays set, so no signal ever fires and no exception is open for it.
#[test]
fn a_line_reopened_by_a_reversal_while_overdue_is_signalled_overdue_again() {
    use onhand::Signal;
    let mut n = common::network();
    n.expect(expected("PO-1", 1, "BOLT-M8", "ATL", "100 EA", day(6))).unwrap();
    let at_day = |d: u32| day(d).and_hms_opt(8, 0, 0).unwrap().and_utc();
    let a = n.advance_to(at_day(8)).unwrap();
    assert!(a.signals.iter().any(|s| matches!(s, Signal::ExpectedReceiptOverdue { .. })));
    let mut r = po_receipt(1, "ATL", "BOLT-M8", "100 EA", "PO-1", Some(1));
    r.effective_at = at_day(8);
    r.recorded_at = at_day(8);
    n.apply(&r).unwrap();
    let mut back = reversal(2, 0, r.id).unwrap();
    back.effective_at = at_day(8) + chrono::Duration::hours(1);
    back.recorded_at = back.effective_at;
    n.apply(&back).unwrap();
    assert_eq!(open_of(&n, "PO-1", 1).as_deref(), Some("100"));
    let a = n.advance_to(at_day(9)).unwrap();
    let signalled = a.signals.iter().any(|s| matches!(s, Signal::ExpectedReceiptOverdue { .. }));
    let active = n
        .control()
        .exceptions()
        .any(|e| e.state.is_active() && e.kind == onhand::control::ExceptionKind::ReceiptOverdue);
    let flagged = n.expected_receipts().next().map(|r| r.flagged_overdue);
    assert!(
        signalled || active,
        "PO-1/1 is open and three days overdue, with no overdue signal or exception \
         (flagged_overdue kept from before the receipt: {flagged:?})"
    );
}

/// A purchase order line closed by receipts is still that order's line: adding it again
/// is refused (as for an open one), so the reversal of its receipt reopens the line it
/// used, not a new line under the same number.
#[test]
fn a_line_closed_by_receipts_cannot_be_expected_again() {
    let mut n = common::network();
    n.expect(expected("PO-1", 1, "BOLT-M8", "ATL", "100 EA", day(8))).unwrap();
    n.apply(&po_receipt(1, "ATL", "BOLT-M8", "100 EA", "PO-1", Some(1))).unwrap();
    assert_eq!(open_of(&n, "PO-1", 1), None, "closed by receipts");
    let again = n.expect(expected("PO-1", 1, "BOLT-M8", "ATL", "50 EA", day(9)));
    assert!(
        matches!(again, Err(onhand::Error::ExpectedReceiptExists { .. })),
        "PO-1/1 was received in full: {again:?}"
    );
    assert_eq!(open_of(&n, "PO-1", 1), None, "nothing changed");
    n.check().unwrap();
}

/// A line whose quantity is lowered to what was received is complete: it is kept as a
/// line closed by receipts, so the reversal of its receipt reopens it (before, the line
/// was dropped, and the reversal left the goods expected by nobody).
#[test]
fn a_line_lowered_to_what_was_received_reopens_when_its_receipt_is_reversed() {
    let mut n = common::network();
    n.expect(expected("PO-1", 1, "BOLT-M8", "ATL", "100 EA", day(8))).unwrap();
    let r = po_receipt(1, "ATL", "BOLT-M8", "60 EA", "PO-1", Some(1));
    n.apply(&r).unwrap();
    let change = onhand::ReceiptChange {
        order: "PO-1".parse().unwrap(),
        line: 1,
        qty: Some("60 EA".parse().unwrap()),
        due: None,
    };
    n.change_expected(&change).unwrap();
    assert_eq!(open_of(&n, "PO-1", 1), None, "complete at 60");
    n.apply(&reversal(2, 2, r.id).unwrap()).unwrap();
    assert_eq!(open_of(&n, "PO-1", 1).as_deref(), Some("60"), "the 60 are expected again");
    n.check().unwrap();
}

/// Confirming an overdue line's due date (a change that names the same date) is no new
/// promise from the supplier: the line stays flagged, and the next sweep does not
/// signal it overdue a second time.
#[test]
fn confirming_the_same_due_date_does_not_signal_overdue_again() {
    use onhand::Signal;
    let mut n = common::network();
    n.expect(expected("PO-1", 1, "BOLT-M8", "ATL", "100 EA", day(6))).unwrap();
    let at_day = |d: u32| day(d).and_hms_opt(8, 0, 0).unwrap().and_utc();
    let overdue = |s: &Signal| matches!(s, Signal::ExpectedReceiptOverdue { .. });
    assert!(n.advance_to(at_day(8)).unwrap().signals.iter().any(overdue));
    let change = onhand::ReceiptChange {
        order: "PO-1".parse().unwrap(),
        line: 1,
        qty: None,
        due: Some(day(6)),
    };
    n.change_expected(&change).unwrap();
    let a = n.advance_to(at_day(9)).unwrap();
    assert!(!a.signals.iter().any(overdue), "signalled twice: {:?}", a.signals);
    // A new due date that has passed too is a new lateness: signalled.
    let moved = onhand::ReceiptChange { due: Some(day(7)), ..change };
    n.change_expected(&moved).unwrap();
    assert!(n.advance_to(at_day(10)).unwrap().signals.iter().any(overdue));
}

/// A snapshot that holds a purchase order line both open and closed by receipts
/// (edited, the digest made to match) is refused.
#[test]
fn a_snapshot_with_a_line_both_open_and_closed_is_refused() {
    let mut n = common::network();
    n.expect(expected("PO-1", 1, "BOLT-M8", "ATL", "100 EA", day(8))).unwrap();
    n.apply(&po_receipt(1, "ATL", "BOLT-M8", "100 EA", "PO-1", Some(1))).unwrap();
    n.expect(expected("PO-2", 1, "BOLT-M8", "ATL", "50 EA", day(9))).unwrap();
    let mut json = serde_json::to_value(n.snapshot().unwrap()).unwrap();
    json["content"]["closed_receipts"][0]["expected"]["order"] = "PO-2".into();
    let err = common::restore_edited(json).unwrap_err();
    assert_eq!(err.code(), "invalid_snapshot", "{err}");
    assert!(err.to_string().contains("closed_receipts"), "{err}");
}
