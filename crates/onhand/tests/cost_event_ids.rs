//! Cost event ids: each journal entry numbers at most 4,096 cost events, so an event
//! that would book more is refused before anything changes, and a snapshot whose
//! journal head would make ids saturate is refused. Defects a review found: before,
//! a receipt of 4,097 lines was taken, its last cost event took the next entry's
//! first id, and the next event was refused as a reused id (or, with the same
//! content, silently left unbooked, so the books fell behind the ledger).

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

mod common;

use onhand::ledger::Body;
use onhand::ledger::testing::receipt_to;

fn receipt_of_lines(id: u128, item: &str, lines: usize) -> onhand::ledger::Event {
    let mut e = receipt_to(id, "ATL", item, "1 EA", "PF-A01", "available").unwrap();
    if let Body::Receipt(m) = &mut e.body {
        let line = m.lines[0].clone();
        m.lines = vec![line; lines];
    }
    e
}

#[test]
fn an_event_booking_more_than_4096_cost_events_is_refused_and_changes_nothing() {
    let mut n = common::network();
    let before = n.digest().unwrap();
    let err = n.apply(&receipt_of_lines(1, "BOLT-M8", 4097)).unwrap_err();
    assert_eq!(err.code(), "too_many_cost_events");
    assert_eq!(n.digest().unwrap(), before);
    // 4,096 is the most: taken, and the next event's ids are its own.
    n.apply(&receipt_of_lines(1, "BOLT-M8", 4096)).unwrap();
    n.apply(&receipt_of_lines(2, "NUT-M8", 1)).unwrap();
    let mut same = receipt_of_lines(3, "BOLT-M8", 1);
    same.effective_at = receipt_of_lines(1, "BOLT-M8", 1).effective_at;
    n.apply(&same).unwrap();
    n.check().unwrap();
}

#[test]
fn a_snapshot_whose_journal_head_would_saturate_cost_event_ids_is_refused() {
    let n = common::network();
    let mut json = serde_json::to_value(n.snapshot().unwrap()).unwrap();
    json["content"]["journal"]["seq"] = (u64::MAX / 4096 + 10).into();
    let err = common::restore_edited(json).unwrap_err();
    assert_eq!(err.code(), "invalid_snapshot", "{err}");
}
