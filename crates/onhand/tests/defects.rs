//! Defects the whole-network simulation found, each pinned by a minimal test named
//! after it.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use chrono::NaiveDate;
use onhand::OrderRequest;
use onhand::ledger::testing::receipt_to;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, d).unwrap()
}

/// An expected receipt of BOLT-M8 at `site`, line 1 of `order`, with no supplier or
/// price.
fn bolts_expected(order: &str, site: &str, qty: &str, due: NaiveDate) -> onhand::ExpectedReceipt {
    onhand::ExpectedReceipt {
        order: order.parse().unwrap(),
        line: 1,
        supplier: None,
        item: "BOLT-M8".parse().unwrap(),
        site: site.parse().unwrap(),
        qty: qty.parse().unwrap(),
        due,
        unit_cost: None,
    }
}

/// The demo network, with `item` left without a reference cost.
fn without_reference_cost(item: &str) -> onhand::Network {
    let mut rules = common::rules();
    rules.reference_costs.remove(&item.parse().unwrap());
    onhand::Network::new(
        onhand::master::seed::demo_network(),
        rules,
        common::config(),
        common::start(),
    )
    .unwrap()
}

/// The digest fed the bookings to JSON as a map keyed by order line, which JSON cannot
/// key by a struct: any network with a booked line had no digest.
#[test]
fn the_digest_of_a_network_with_a_booked_line_can_be_taken() {
    let mut n = common::network();
    n.apply(&receipt_to(1, "ATL", "BOLT-M8", "100 EA", "PF-A01", "available").unwrap()).unwrap();
    let before = n.digest().unwrap();
    let req = OrderRequest::new(
        "SO-1".parse().unwrap(),
        1,
        "HOMEPRO".parse().unwrap(),
        "BOLT-M8".parse().unwrap(),
        "10 EA".parse().unwrap(),
        day(8),
    );
    n.allocate(&req).unwrap();
    let booked = n.digest().unwrap();
    assert_ne!(booked, before);
    // Replaying the journal gives the same digest, booking and all.
    let replayed = onhand::Network::replay(
        onhand::master::seed::demo_network(),
        common::rules(),
        common::config(),
        common::start(),
        n.journal().entries(),
    )
    .unwrap();
    assert_eq!(replayed.digest().unwrap(), booked);
}

/// Supply due today or earlier (a purchase order due today, an overdue one, a transfer
/// arriving today) went onto the availability engine's stock *now*: free stock exceeded
/// the ledger's available stock for goods not yet received, and once any event reset the
/// item-site's availability from the ledger, receiving the order took its quantity off
/// free stock a second time.
#[test]
fn supply_due_today_is_not_free_stock_before_it_arrives() {
    let mut n = common::network();
    let atl = || "ATL".parse::<onhand::master::SiteCode>().unwrap();
    let bolt = || "BOLT-M8".parse::<onhand::master::ItemCode>().unwrap();
    n.expect(bolts_expected("PO-1", "ATL", "100 EA", common::start().date_naive())).unwrap();
    n.check().unwrap();
    // Other stock arrives at the item-site: availability is set from the ledger.
    n.apply(&receipt_to(1, "ATL", "BOLT-M8", "50 EA", "PF-A01", "available").unwrap()).unwrap();
    n.check().unwrap();
    // The order arrives into receiving: nothing available changes.
    let mut r = receipt_to(2, "ATL", "BOLT-M8", "100 EA", "RCV-01", "receiving").unwrap();
    r.reference.number = "PO-1".parse().unwrap();
    n.apply(&r).unwrap();
    n.check().unwrap();
    let free = n.available(&bolt(), &atl(), common::start().date_naive(), 9).unwrap();
    assert_eq!(free, onhand::Availability::Limited("50 EA".parse().unwrap()));
    // An order due yesterday, seen today, is not stock either; it is supply from tomorrow.
    n.advance_to(common::start() + chrono::Duration::days(2)).unwrap();
    n.expect(bolts_expected("PO-2", "ATL", "30 EA", common::start().date_naive())).unwrap();
    n.check().unwrap();
    let today = (common::start() + chrono::Duration::days(2)).date_naive();
    let at = |d| n.available(&bolt(), &atl(), d, 9).unwrap();
    assert_eq!(at(today), onhand::Availability::Limited("50 EA".parse().unwrap()));
    assert_eq!(
        at(today.succ_opt().unwrap()),
        onhand::Availability::Limited("80 EA".parse().unwrap())
    );
    // Still open a day later: it moves with today, never into stock now.
    n.advance_to(common::start() + chrono::Duration::days(3)).unwrap();
    n.check().unwrap();
}

/// A receipt of loose units against a purchase order priced per case was refused
/// (`inexact`): the network converted the received quantity into the order's unit
/// instead of the order's price into the received unit.
#[test]
fn a_receipt_of_loose_units_against_an_order_priced_per_case_is_costed() {
    use onhand::master::Money;
    let mut n = common::network();
    n.expect(onhand::ExpectedReceipt {
        unit_cost: Some(Money::new("10.20".parse().unwrap(), common::usd())),
        ..bolts_expected("PO-1", "ATL", "2 CS", day(8))
    })
    .unwrap();
    // 90 bolts arrive: three quarters of a case, at 10.20 / 120 = 0.085 each.
    let mut r = receipt_to(1, "ATL", "BOLT-M8", "90 EA", "RCV-01", "receiving").unwrap();
    r.reference.number = "PO-1".parse().unwrap();
    let o = n.apply(&r).unwrap();
    let inv: Vec<String> = o
        .postings
        .iter()
        .filter(|p| p.key == onhand::valuation::PostingKey::Inventory)
        .map(|p| p.amount.to_string())
        .collect();
    assert_eq!(inv, ["7.65"]);
    assert_eq!(n.expected_receipts().next().unwrap().open.to_string(), "150");
    n.check().unwrap();
}

/// Releasing or reducing one order line, or adding supply, re-checks the item's booked
/// lines, and a line already short from an earlier loss was signalled again: the
/// network's debug assertions that these calls raise nothing panicked on valid calls.
#[test]
fn releasing_a_line_while_another_is_already_short_does_not_panic() {
    let mut n = common::network();
    n.apply(&receipt_to(1, "ATL", "BOLT-M8", "100 EA", "PF-A01", "available").unwrap()).unwrap();
    let order = |number: &str, qty: &str| {
        OrderRequest::new(
            number.parse().unwrap(),
            1,
            "HOMEPRO".parse().unwrap(),
            "BOLT-M8".parse().unwrap(),
            qty.parse().unwrap(),
            day(9),
        )
    };
    n.allocate(&order("SO-1", "60 EA")).unwrap();
    n.allocate(&order("SO-2", "30 EA")).unwrap();
    n.allocate(&order("SO-3", "10 EA")).unwrap();
    // 50 are lost: the lines hold 100 of the 50 left.
    let loss = common::loss(2, 10, "50 EA");
    n.apply(&loss).unwrap();
    // Releasing the small line leaves the others still short: no panic, no new state.
    n.release(&onhand::OrderRef { order: "SO-3".parse().unwrap(), line: 1 }).unwrap();
    n.reduce(
        &onhand::OrderRef { order: "SO-2".parse().unwrap(), line: 1 },
        "5 EA".parse().unwrap(),
    )
    .unwrap();
    // New supply too small to cover them is no news either.
    n.expect(bolts_expected("PO-1", "ATL", "5 EA", day(20))).unwrap();
    n.check().unwrap();
}

/// Stock found by an adjustment or a count, of an item with no reference cost at an
/// entity that holds none of it, is accepted by the ledger and then refused by the
/// books ("has no cost ... to value a shortfall at"): the network diverges and takes no
/// more changes. The network checks that stock arriving from outside has a cost only
/// for receipts and returns; a gain arrives from outside too (and the line's
/// `unit_cost`, which the ledger documents as the cost of a gain, is not used).
#[test]
fn a_gain_of_an_item_without_any_cost_is_refused_before_the_ledger_decides() {
    use onhand::ledger::testing::{actor, doc, event, line};
    use onhand::ledger::{Body, DocKind, SiteLines};
    use onhand::master::{BinCode, Role};
    let mut n = without_reference_cost("GLOVE-LTX");
    let found = event(
        1,
        10,
        actor("ic1", &[Role::InventoryControl]).unwrap(),
        "FOUND",
        doc(DocKind::Internal, "ADJ-1").unwrap(),
        Body::Adjustment(SiteLines {
            site: "YVR".parse().unwrap(),
            lines: vec![
                line("GLOVE-LTX", "3 EA")
                    .unwrap()
                    .at(BinCode::new("PF-A01").unwrap())
                    .statuses(None, Some(onhand::status::StockStatus::Available)),
            ],
        }),
    )
    .unwrap();
    let before = n.digest().unwrap();
    let e = n.apply(&found).unwrap_err();
    assert_eq!(e.code(), "no_cost", "{e}");
    assert_eq!(n.digest().unwrap(), before);
    // With a price on the line, it is taken at that price.
    let mut priced = found.clone();
    if let Body::Adjustment(m) = &mut priced.body {
        m.lines[0].unit_cost =
            Some(onhand::master::Money::new("1.10".parse().unwrap(), common::cad()));
    }
    let o = n.apply(&priced).unwrap();
    assert!(o.postings.iter().any(|p| p.amount.to_string() == "3.30"), "{:?}", o.postings);
    // Either way the network still takes changes.
    n.apply(&receipt_to(2, "YVR", "GLOVE-NIT", "1 EA", "PF-A01", "available").unwrap()).unwrap();
    n.check().unwrap();
}

/// A site that lets the ledger go below zero while its entity's books refuse to: the
/// ledger would accept an issue beyond stock that valuation then refuses, poisoning the
/// network. The two negative-stock settings must agree, so the network refuses to be
/// built that way, and is built once the books allow it too.
#[test]
fn a_site_allowing_negative_stock_needs_books_that_allow_it() {
    let mut master = onhand::master::seed::demo_network();
    let site = master.sites.iter_mut().find(|s| s.code.as_str() == "ATL").unwrap();
    site.negative_stock = onhand::master::NegativeStock::Allow;
    let entity = site.entity.clone().unwrap();
    let build =
        |config| onhand::Network::new(master.clone(), common::rules(), config, common::start());
    let e = build(common::config()).err().unwrap();
    assert_eq!(e.code(), "config", "{e}");
    let mut config = common::config();
    config.valuation.negative_stock.insert(entity, onhand::valuation::NegativeCostPolicy::LastCost);
    assert!(build(config).is_ok());
}

/// A purchase receipt re-submitted after it had used up its purchase order (a host
/// retrying a message it was not sure was delivered) was refused with `no_cost`: the
/// network looked for the order's price before letting the ledger call the event a
/// duplicate, and an item without a reference cost had no other. Found by the
/// simulation once it used refused events' ids again.
#[test]
fn a_receipt_re_submitted_after_its_order_closed_is_a_duplicate() {
    use onhand::master::Money;
    use onhand::{Decision, ExpectedReceipt};
    let mut n = without_reference_cost("GLOVE-LTX");
    n.expect(ExpectedReceipt {
        order: "PO-7".parse().unwrap(),
        line: 1,
        supplier: None,
        item: "GLOVE-LTX".parse().unwrap(),
        site: "LAX".parse().unwrap(),
        qty: "2 EA".parse().unwrap(),
        due: day(8),
        unit_cost: Some(Money::new("0.13".parse().unwrap(), common::usd())),
    })
    .unwrap();
    let mut r = receipt_to(1, "LAX", "GLOVE-LTX", "2 EA", "RCV-01", "receiving").unwrap();
    r.reference.number = "PO-7".parse().unwrap();
    assert_eq!(n.apply(&r).unwrap().decision, Decision::Accepted);
    assert_eq!(n.expected_receipts().count(), 0, "the order is used up");
    let before = n.digest().unwrap();
    let again = n.apply(&r).unwrap();
    assert_eq!(again.decision, Decision::Duplicate);
    assert_eq!(n.digest().unwrap(), before);
    // The same id with other content is still refused, as the ledger refuses it.
    let mut other = r.clone();
    other.reference.number = "PO-8".parse().unwrap();
    assert_eq!(n.apply(&other).unwrap_err().code(), "id_reused");
    assert_eq!(n.digest().unwrap(), before);
    n.check().unwrap();
}

/// Found by fuzzing (`journal_edits`): an expected receipt of zero was taken, and left
/// the network with a purchase line open for nothing (`Network::check`: "PO-49/1 is
/// open with 0"). It is refused with a typed error, and nothing changes.
#[test]
fn an_expected_receipt_of_zero_is_refused_and_changes_nothing() {
    let mut n = common::network();
    let before = n.digest().unwrap();
    let zero = bolts_expected("PO-49", "DFW", "0 EA", day(7));
    let refused = n.expect(zero.clone()).unwrap_err();
    assert_eq!(refused.code(), "zero_expected_receipt");
    assert_eq!(n.digest().unwrap(), before);
    n.check().unwrap();
    // A line of something is taken, and changing it to zero closes it.
    n.expect(onhand::ExpectedReceipt { qty: "5 EA".parse().unwrap(), ..zero }).unwrap();
    let change = onhand::ReceiptChange {
        order: "PO-49".parse().unwrap(),
        line: 1,
        qty: Some("0 EA".parse().unwrap()),
        due: None,
    };
    n.change_expected(&change).unwrap();
    n.check().unwrap();
}
