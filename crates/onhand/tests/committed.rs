//! Order, supply and time calls are all or nothing: an error is a refusal that changed
//! nothing, and what follows a committed call (re-planning, signals, exceptions) either
//! succeeds or poisons the network with `Error::CallDiverged`, never a plain error for
//! a change that stands (which a host would retry, and a replay of the journal would
//! then fail on).
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use onhand::master::{Catalog, seed};
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
    assert!(matches!(err, Error::Atp(_)), "{err:?}");
    assert_eq!((n.digest().unwrap(), n.available(&item, &site, day(9), 9).unwrap()), before);
    n.check().unwrap();
}
