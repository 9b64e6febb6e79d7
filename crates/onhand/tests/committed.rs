//! Order, supply and time calls are all or nothing: an error is a refusal that changed
//! nothing, and what follows a committed call (re-planning, signals, exceptions) either
//! succeeds or poisons the network with `Error::CallDiverged`, never a plain error for
//! a change that stands (which a host would retry, and a replay of the journal would
//! then fail on).
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use onhand::master::{Catalog, Decimal, seed};
use onhand::{
    Error, ExpectedReceipt, Network, NetworkConfig, OrderRef, OrderRequest, ReceiptChange,
};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, d).unwrap()
}

fn po(line: u32, site: &str, qty: &str, due: u32) -> ExpectedReceipt {
    ExpectedReceipt {
        order: "PO-1".parse().unwrap(),
        line,
        supplier: Some("ACME".parse().unwrap()),
        item: "BOLT-M8".parse().unwrap(),
        site: site.parse().unwrap(),
        qty: qty.parse().unwrap(),
        due: day(due),
        unit_cost: None,
    }
}

fn so(line: u32, qty: &str) -> OrderRequest {
    common::bolt_order(line, qty)
}

/// Every order and supply call on a network whose rules keep reference costs in USD,
/// planning bolts at the Montreal 3PL (its entity books in CAD), with no exchange rate
/// configured. The stockout-risk exception each call re-checks there values the bolts
/// at the reference cost, which does not convert: before, every call failed after it
/// was committed (`NoRate`), the line booked all the same and the journal no longer
/// replaying. Now the value at risk is unknown (zero) and every call goes through.
#[test]
fn calls_go_through_when_a_reference_cost_does_not_convert() {
    let mut config = NetworkConfig::default();
    config.replenish.item_sites.push(common::bolts_planned_at("YUL-3PL"));
    assert!(config.rates.is_empty());
    let mut n =
        Network::new(seed::demo_network(), common::rules(), config.clone(), common::start())
            .unwrap();
    n.apply(
        &onhand::ledger::testing::receipt_to(1, "ATL", "BOLT-M8", "1200 EA", "PF-A01", "available")
            .unwrap(),
    )
    .unwrap();
    let line = |l| OrderRef { order: "SO-1".parse().unwrap(), line: l };
    n.allocate(&so(1, "100 EA")).unwrap();
    n.reserve(&so(2, "100 EA"), common::start() + Duration::days(2)).unwrap();
    n.reduce(&line(1), "10 EA".parse().unwrap()).unwrap();
    n.release(&line(2)).unwrap();
    n.reprocess(onhand::atp::Sharing::FirstCome).unwrap();
    n.expect(po(1, "YUL-3PL", "10 EA", 8)).unwrap();
    n.change_expected(&ReceiptChange {
        order: "PO-1".parse().unwrap(),
        line: 1,
        qty: Some("20 EA".parse().unwrap()),
        due: None,
    })
    .unwrap();
    n.cancel_expected(&"PO-1".parse().unwrap(), 1).unwrap();
    n.expect(po(2, "YYZ", "10 EA", 6)).unwrap();
    n.advance_to(common::start() + Duration::days(5)).unwrap();
    n.check().unwrap();
    common::assert_replays(&n, config);
}

/// Moving time to the end of what a timestamp holds, with a purchase order overdue:
/// the call is committed (time moved, journaled), then the overdue exception's service
/// deadline falls outside the time range. The call reports `CallDiverged` and the
/// network refuses every further change until it is restored; the snapshot taken
/// before restores to a network that works.
#[test]
fn a_failure_after_a_call_is_committed_poisons_the_network() {
    let mut n = common::network();
    n.expect(po(1, "ATL", "10 EA", 6)).unwrap();
    let before = n.snapshot().unwrap();
    let entries = n.journal().entries().len();
    let end = DateTime::<Utc>::MAX_UTC - Duration::hours(1);
    let err = n.advance_to(end).unwrap_err();
    assert!(
        matches!(&err, Error::CallDiverged { call: "advance_to", seq, .. } if *seq == n.journal().head().seq),
        "{err:?}"
    );
    assert_eq!(err.code(), "call_diverged");
    assert_eq!(n.journal().entries().len(), entries + 1, "the call is committed");
    let next = n.allocate(&so(1, "1 EA")).unwrap_err();
    assert!(matches!(next, Error::PoisonedAfter { .. }), "{next:?}");
    assert_eq!(next.code(), "poisoned_after_call");
    assert!(n.snapshot().is_err(), "a poisoned network is not snapshotted");

    let catalog = Arc::new(Catalog::new(seed::demo_network()).unwrap());
    let mut restored =
        Network::restore(catalog, common::rules(), common::config(), &before).unwrap();
    restored.allocate(&so(1, "1 EA")).unwrap();
    restored.check().unwrap();
}

/// A purchase order line changed to more than the availability engine can hold is
/// refused, and changes nothing: before, the old supply had been taken off the
/// engine's calendar when the new one was refused, so the line stayed open at its old
/// quantity while the engine promised none of it.
#[test]
fn a_receipt_change_the_engine_cannot_hold_changes_nothing() {
    let mut n = common::network();
    // Copper cable counts in metres at three decimals: the engine holds at most 2^60
    // thousandths, about 1.15e15 m, at an item-site.
    let mut line = po(1, "ATL", "1000000000000000 M", 8);
    line.item = "CABLE-CU".parse().unwrap();
    n.expect(line).unwrap();
    let (item, site) = ("CABLE-CU".parse().unwrap(), "ATL".parse().unwrap());
    let before = (n.digest().unwrap(), n.available(&item, &site, day(9), 9).unwrap());
    let err = n
        .change_expected(&ReceiptChange {
            order: "PO-1".parse().unwrap(),
            line: 1,
            qty: Some("1200000000000000 M".parse().unwrap()),
            due: None,
        })
        .unwrap_err();
    // Past the line bound now (as its receipt would be), before the engine's.
    assert!(matches!(err.code(), "overflow" | "too_large"), "{err:?}");
    assert_eq!((n.digest().unwrap(), n.available(&item, &site, day(9), 9).unwrap()), before);
    n.check().unwrap();
}

/// Open supply moved on to the next day by `advance_to` (it is overdue, so it is
/// supply from tomorrow until it arrives) is never refused for room: a release can take
/// an item-site's free stock and supply past the engine's bound after the supply was
/// added, and the move changes neither. Before, the move took the supply off, was
/// refused putting it back, and returned a plain error with the supply gone (found in
/// review). The overdue purchase order's value at risk, past what the exception queue
/// can rank, ranks as the largest it can instead of failing the committed call.
#[test]
fn moving_overdue_supply_on_is_never_refused_for_room() {
    let mut n = common::network();
    // Copper cable counts in metres at three decimals: the engine holds at most 2^60
    // thousandths (about 1.15e15 m) of stock and supply at an item-site.
    let cable = |qty: &str| {
        let mut r = so(1, qty);
        r.item = "CABLE-CU".parse().unwrap();
        r.requested = day(7); // it holds today's stock
        // No customer: a line past the KPI bounds (10^12) is not fed to them.
        r.customer = None;
        r.ship_to = Some("US-SE".parse().unwrap());
        r
    };
    let receipt = onhand::ledger::testing::receipt_to(
        1,
        "ATL",
        "CABLE-CU",
        "200000000000000 M",
        "PF-A01",
        "available",
    )
    .unwrap();
    n.apply(&receipt).unwrap();
    n.allocate(&cable("200000000000000 M")).unwrap();
    let mut order = po(1, "ATL", "1000000000000000 M", 6);
    order.item = "CABLE-CU".parse().unwrap();
    n.expect(order).unwrap();
    // Free stock comes back: stock and supply are now past the bound.
    n.release(&OrderRef { order: "SO-1".parse().unwrap(), line: 1 }).unwrap();
    n.advance_to(common::start() + Duration::days(4)).unwrap();
    n.check().unwrap();
    // A due-date change of the same line is a move too.
    n.change_expected(&ReceiptChange {
        order: "PO-1".parse().unwrap(),
        line: 1,
        qty: None,
        due: Some(day(20)),
    })
    .unwrap();
    n.check().unwrap();
    common::assert_replays(&n, common::config());
}

/// A purchase order line of more than a ledger line may move is refused, as its
/// receipt would be, before it takes room in the availability engine.
#[test]
fn an_expected_receipt_line_past_the_line_bound_is_refused() {
    let mut n = common::network();
    let before = n.digest().unwrap();
    let err = n.expect(po(1, "ATL", "1000000000000001 EA", 6)).unwrap_err();
    assert_eq!(err.code(), "overflow", "{err}");
    assert_eq!(n.digest().unwrap(), before);
}

/// A purchase order overdue for two lines at the line bound, valued at its reference
/// cost, is worth more than the exception queue can rank (in `i64` minor units): it
/// ranks as the largest it can. Before, `advance_to` was committed and then failed in
/// the queue (`value_too_large`, found in review).
#[test]
fn an_exception_worth_more_than_the_queue_can_rank_ranks_as_the_largest() {
    let mut n = common::network();
    for (line, site) in [(1, "ATL"), (2, "DFW")] {
        let mut order = po(line, site, "1000000000000000 EA", 6);
        order.item = "DRILL-18V".parse().unwrap();
        n.expect(order).unwrap();
    }
    n.advance_to(common::start() + Duration::days(4)).unwrap();
    n.check().unwrap();
    let top = n.control().exceptions().map(|e| e.impact.value).max().unwrap();
    assert_eq!(top, Decimal::from(1_000_000_000_000i64));
}
