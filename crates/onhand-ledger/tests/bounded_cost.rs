//! Bounded cost on large input (issue 13): one event with many distinct lots, many
//! serials on one line, and many back-dated events on one position were quadratic. The
//! costs are shown in the `ledger_bounded` criterion group (`benches/benches/ledger.rs`);
//! these tests, named after each defect, check that the paths now taken for large
//! input (hash indexes in the plan, a bulk merge of new positions, a history tree) give
//! exactly what the small-input paths give, at sizes past every switch-over.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test
#![allow(clippy::needless_pass_by_value)] // `accepted` reads an outcome as `apply` returns it

use std::sync::Arc;

use onhand_ledger::testing::{self, actor, doc, line, movement};
use onhand_ledger::{
    Applied, Body, Count, CountLine, DocKind, Event, Ledger, LedgerError, Line, PositionKey, Rules,
    SiteLines,
};
use onhand_master::{BinCode, Catalog, CurrencyCode, LotCode, Qty, Role, SerialNo, seed};
use onhand_status::StockStatus;
use proptest::prelude::*;
use rust_decimal::Decimal;

fn catalog() -> Arc<Catalog> {
    static DEMO: std::sync::OnceLock<Arc<Catalog>> = std::sync::OnceLock::new();
    DEMO.get_or_init(|| Arc::new(Catalog::new(seed::demo_network()).unwrap())).clone()
}

fn ledger() -> Ledger {
    Ledger::new(
        catalog(),
        Rules::standard(CurrencyCode::new("USD").unwrap()).trusting_event_actors(),
    )
    .unwrap()
}

fn bin(b: &str) -> BinCode {
    BinCode::new(b).unwrap()
}

fn event(id: u128, minute: i64, kind: DocKind, body: Body) -> Event {
    let who = actor("ops", &[Role::Warehouse, Role::InventoryControl, Role::Supervisor]).unwrap();
    testing::event(id, minute, who, "OPS", doc(kind, &format!("D-{id}")).unwrap(), body).unwrap()
}

fn receipt(id: u128, minute: i64, lines: Vec<Line>) -> Event {
    event(id, minute, DocKind::PurchaseOrder, Body::Receipt(movement("ATL", lines).unwrap()))
}

fn lot_line(i: usize, qty: &str) -> Line {
    line("GLUE-500", qty)
        .unwrap()
        .at(bin("PF-A01"))
        .lot(LotCode::new(format!("L{i}")).unwrap())
        .statuses(None, Some(StockStatus::Available))
}

fn accepted(r: Result<Applied, LedgerError>) -> bool {
    matches!(r, Ok(Applied::Accepted(_)))
}

fn positions(l: &Ledger) -> Vec<(PositionKey, Decimal)> {
    l.positions().collect()
}

/// 3,000 distinct lots (past the plan's index and the bulk merge's thresholds), some
/// named twice, in one receipt: the same positions and lots as one receipt per line.
#[test]
fn one_event_with_distinct_lots_per_line_is_quadratic() {
    let n = 3_000;
    // Lines name lots 0..n in a shuffled order, and every tenth lot a second time.
    let mut lines: Vec<Line> = (0..n).map(|i| lot_line((i * 7_919) % n, "2 EA")).collect();
    lines.extend((0..n).step_by(10).map(|i| lot_line(i, "1 EA")));
    let mut one = ledger();
    // An existing position of the item below and above the new ones, so the merge has
    // slots on either side.
    assert!(accepted(one.apply(&receipt(1, 0, vec![lot_line(n, "5 EA")]))));
    let mut each = one.clone();
    assert!(accepted(one.apply(&receipt(2, 1, lines.clone()))));
    for (i, l) in lines.into_iter().enumerate() {
        assert!(accepted(each.apply(&receipt(10 + i as u128, 1, vec![l]))));
    }
    assert_eq!(positions(&one), positions(&each));
    assert_eq!(one.position_count(), n + 1);
    assert_eq!(one.lots().len(), n + 1);
    // A lot named twice holds both lines.
    let l0 = one.positions().find(|(k, _)| k.lot.is_some_and(|x| x.index() == 1));
    assert_eq!(l0.map(|(_, q)| q), Some(Decimal::from(3)));
    // The positions opened in bulk are found, changed and snapshotted like any other.
    let pick: Vec<Line> = (0..n)
        .map(|i| {
            lot_line(i, "1 EA").statuses(Some(StockStatus::Available), Some(StockStatus::Picked))
        })
        .collect();
    let pick = event(9_000, 2, DocKind::SalesOrder, Body::Pick(movement("ATL", pick).unwrap()));
    assert!(accepted(one.apply(&pick)));
    let restored = Ledger::restore(catalog(), one.rules().clone(), &one.snapshot(None).unwrap());
    assert_eq!(positions(&restored.unwrap()), positions(&one));
}

fn serials(range: std::ops::Range<usize>) -> Vec<SerialNo> {
    range.map(|i| SerialNo::new(format!("SN-{i}")).unwrap()).collect()
}

fn drill(qty: usize, sn: Vec<SerialNo>) -> Line {
    let mut l = line("DRILL-18V", &format!("{qty} EA"))
        .unwrap()
        .at(bin("PF-A01"))
        .statuses(None, Some(StockStatus::Available));
    l.serials = sn;
    l
}

/// 2,000 serials on one line: received, a repeat found at the end of the line, and a
/// count that finds some missing and some new, as with a few serials.
#[test]
fn serials_on_one_line_are_quadratic() {
    let n = 2_000;
    let mut l = ledger();
    // A repeat at the end of the line is refused, and leaves nothing behind.
    let mut repeated = serials(0..n);
    repeated.push(SerialNo::new("SN-7").unwrap());
    let before = l.state_digest().unwrap();
    let refused = l.apply(&receipt(1, 0, vec![drill(n + 1, repeated)]));
    assert!(matches!(refused, Err(LedgerError::SerialRepeated { .. })), "{refused:?}");
    assert_eq!(l.state_digest().unwrap(), before);
    assert!(accepted(l.apply(&receipt(2, 0, vec![drill(n, serials(0..n))]))));
    // A serial already in the network, at the end of a long line.
    let mut again = serials(n..2 * n);
    again.push(SerialNo::new("SN-3").unwrap());
    let refused = l.apply(&receipt(3, 1, vec![drill(n + 1, again)]));
    assert!(matches!(refused, Err(LedgerError::SerialInNetwork { .. })), "{refused:?}");
    // A count finding the first half and n/2 new serials: half leave, half come.
    let mut found = serials(0..n / 2);
    found.extend(serials(2 * n..2 * n + n / 2));
    let count = CountLine {
        item: onhand_master::ItemCode::new("DRILL-18V").unwrap(),
        bin: Some(bin("PF-A01")),
        lot: None,
        status: None,
        counted: format!("{n} EA").parse::<Qty>().unwrap(),
        serials: found.clone(),
        owner: None,
    };
    let site = onhand_master::SiteCode::new("ATL").unwrap();
    let count = event(4, 2, DocKind::Count, Body::CycleCount(Count { site, lines: vec![count] }));
    let applied = l.apply(&count);
    assert!(accepted(applied), "{:?}", l.apply(&count));
    let mut held: Vec<String> =
        l.state().serials.iter().map(|(_, s, _)| s.as_str().to_owned()).collect();
    held.sort();
    let mut want: Vec<String> = found.iter().map(|s| s.as_str().to_owned()).collect();
    want.sort();
    assert_eq!(held, want);
}

fn bolt(qty: i64) -> Line {
    let l = line("BOLT-M8", &format!("{} EA", qty.abs())).unwrap().at(bin("PF-A01"));
    if qty >= 0 {
        l.statuses(None, Some(StockStatus::Available))
    } else {
        l.statuses(Some(StockStatus::Available), Some(StockStatus::Picked))
    }
}

fn bolt_event(id: u128, minute: i64, qty: i64) -> Event {
    if qty >= 0 {
        receipt(id, minute, vec![bolt(qty)])
    } else {
        event(
            id,
            minute,
            DocKind::SalesOrder,
            Body::Pick(movement("ATL", vec![bolt(qty)]).unwrap()),
        )
    }
}

/// The reference: every accepted change of the position in effective-time order (ties
/// in arrival order); a change is accepted when no balance from its time on would go
/// below zero.
fn model_accepts(
    model: &mut Vec<(i64, i64)>,
    minute: i64,
    qty: i64,
) -> Result<(), (i64, Option<i64>)> {
    let pos = model.partition_point(|(m, _)| *m <= minute);
    let start: i64 = model.iter().take(pos).map(|(_, q)| q).sum();
    let mut running = start;
    let mut low = (start, None);
    for (m, q) in model.iter().skip(pos) {
        running += q;
        if running < low.0 {
            low = (running, Some(*m));
        }
    }
    if qty < 0 && low.0 + qty < 0 {
        return Err(low);
    }
    model.insert(pos, (minute, qty));
    Ok(())
}

fn available(l: &Ledger) -> PositionKey {
    l.positions().map(|(k, _)| k).find(|k| k.status == StockStatus::Available).unwrap()
}

/// 1,500 events each back-dated before every earlier one, on one position: accepted,
/// and the balances as of each time, as when they arrive in time order.
#[test]
fn back_dated_events_on_one_position_are_quadratic() {
    let n: i64 = 1_500;
    let mut back = ledger();
    let mut forward = ledger();
    assert!(accepted(back.apply(&bolt_event(1, 0, 10))));
    assert!(accepted(forward.apply(&bolt_event(1, 0, 10))));
    for i in 0..n {
        let qty = if i % 3 == 0 { -1 } else { 2 };
        assert!(accepted(back.apply(&bolt_event(10 + u128::try_from(i).unwrap(), 1 + n - i, qty))));
    }
    for i in (0..n).rev() {
        let qty = if i % 3 == 0 { -1 } else { 2 };
        assert!(accepted(forward.apply(&bolt_event(
            10 + u128::try_from(i).unwrap(),
            1 + n - i,
            qty
        ))));
    }
    assert_eq!(positions(&back), positions(&forward));
    let key = available(&back);
    for m in (0..=n + 2).step_by(37) {
        let t = testing::at(m);
        assert_eq!(back.qty_as_of(&key, t), forward.qty_as_of(&key, t), "as of minute {m}");
    }
    // A back-dated pick that would take the earliest balance below zero is refused,
    // naming when.
    let refused = back.apply(&bolt_event(99_999, 0, -11));
    assert!(matches!(refused, Err(LedgerError::InsufficientStock { .. })), "{refused:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Whatever the order of times, a pick is accepted exactly when no balance of the
    /// position from its time on would go below zero, a refusal names the lowest balance
    /// and when it falls, and the balances as of any time are the sums of the accepted
    /// changes up to it: with histories long enough to be trees.
    #[test]
    fn back_dated_negativity_is_checked_against_every_later_balance(
        moves in proptest::collection::vec((0i64..200, -6i64..8), 40..140),
    ) {
        let mut l = ledger();
        let mut model: Vec<(i64, i64)> = Vec::new();
        for (i, (minute, qty)) in moves.into_iter().enumerate() {
            let qty = if qty == 0 { 1 } else { qty };
            let got = l.apply(&bolt_event(i as u128 + 1, minute, qty));
            match model_accepts(&mut model, minute, qty) {
                Ok(()) => prop_assert!(accepted(got)),
                Err((low, when)) => match got {
                    Err(LedgerError::InsufficientStock { available, at, .. }) => {
                        prop_assert_eq!(available, Decimal::from(low));
                        prop_assert_eq!(at, when.map(testing::at));
                    }
                    other => prop_assert!(false, "{:?}", other),
                },
            }
        }
        if let Some(key) = l.positions().map(|(k, _)| k).find(|k| k.status == StockStatus::Available) {
            for m in (-1..=201).step_by(7) {
                let want: i64 = model.iter().filter(|(t, _)| *t <= m).map(|(_, q)| q).sum();
                prop_assert_eq!(l.qty_as_of(&key, testing::at(m)), Decimal::from(want));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Back-dated events on one document with a document limit

/// Receipts limited to `max` units per document within an hour either side.
fn receipts_limited(max: i64) -> Ledger {
    let mut rules = Rules::standard(CurrencyCode::new("USD").unwrap()).trusting_event_actors();
    rules.thresholds.push(onhand_ledger::Threshold {
        kind: onhand_ledger::EventKind::Receipt,
        reason: None,
        max_qty: None,
        max_value: None,
        max_event_qty: None,
        document: Some(onhand_ledger::DocumentLimit {
            max_qty: Some(Decimal::from(max)),
            max_value: None,
            window_hours: 1,
        }),
        approver: Role::Supervisor,
    });
    Ledger::new(catalog(), rules).unwrap()
}

/// A receipt of `qty` bolts on document PO-ONE at `minute`.
fn on_one_document(id: u128, minute: i64, qty: i64) -> Event {
    let who = actor("ops", &[Role::Warehouse]).unwrap();
    let mv = movement("ATL", vec![bolt(qty)]).unwrap();
    let reference = doc(DocKind::PurchaseOrder, "PO-ONE").unwrap();
    testing::event(id, minute, who, "OPS", reference, Body::Receipt(mv)).unwrap()
}

/// The reference: an event is held when the accepted events on the document effective
/// strictly within an hour of it, and itself, add up to more than `max`.
fn document_model_holds(model: &[(i64, i64)], minute: i64, qty: i64, max: i64) -> bool {
    let near: i64 = model.iter().filter(|(m, _)| (m - minute).abs() < 60).map(|(_, q)| q).sum();
    near + qty > max
}

/// 1,200 receipts on one document, each back-dated before every earlier one (the
/// document's entries past the list's size, so a tree answers the window), against a
/// limit that holds some of them: held exactly as the reference says, and a snapshot
/// keeps the document's totals.
#[test]
fn back_dated_events_on_one_document_with_a_limit_are_quadratic() {
    let (n, max) = (1_200i64, 40);
    let mut l = receipts_limited(max);
    let mut model: Vec<(i64, i64)> = Vec::new();
    let mut held = 0;
    for i in 0..n {
        // Every third minute apart, back-dated, with a spike every seventh event.
        let (minute, qty) = (3 * (n - i), if i % 7 == 0 { 9 } else { 1 });
        let got = l.apply(&on_one_document(u128::try_from(i).unwrap() + 1, minute, qty)).unwrap();
        if document_model_holds(&model, minute, qty, max) {
            assert!(matches!(got, Applied::Pending { .. }), "event {i}: {got:?}");
            held += 1;
        } else {
            assert!(accepted(Ok(got)), "event {i}");
            model.push((minute, qty));
        }
    }
    assert!(held > 0 && held < n, "the limit holds some: {held}");
    let restored =
        Ledger::restore(catalog(), l.rules().clone(), &l.snapshot(None).unwrap()).unwrap();
    assert!(restored.state() == l.state());
    // The restored ledger answers the window as the original: one more at each end.
    for (id, minute) in [(90_001, 1), (90_002, 3 * n + 1)] {
        let e = on_one_document(id, minute, 5);
        assert_eq!(l.clone().apply(&e), restored.clone().apply(&e));
    }
}

// ---------------------------------------------------------------------------------------
// Counting serials

/// A count of DRILL-18V at `bin` listing `sn`.
fn drill_count(id: u128, minute: i64, bin_code: &str, sn: Vec<SerialNo>) -> Event {
    let line = CountLine {
        item: "DRILL-18V".parse().unwrap(),
        bin: Some(bin(bin_code)),
        lot: None,
        status: None,
        counted: Qty::new(Decimal::from(sn.len()), "EA".parse().unwrap()).unwrap(),
        serials: sn,
        owner: None,
    };
    let body = Body::CycleCount(Count { site: "ATL".parse().unwrap(), lines: vec![line] });
    event(id, minute, DocKind::Count, body)
}

/// 3,000 serials of one item in one bin and a few in another: counts of the other bin
/// read only its serials (the position's serials from the reverse index, where each
/// count line scanned every serial of the item), finding one missing, one new and the
/// rest in place, exactly as the serials' positions say.
#[test]
fn plan_count_serials_scans_the_items_serials() {
    let mut l = ledger();
    assert!(accepted(l.apply(&receipt(1, 0, vec![drill(3_000, serials(0..3_000))]))));
    let mut other = drill(4, serials(5_000..5_004));
    other.to_bin = Some(bin("PF-A02"));
    other.bin = Some(bin("PF-A02"));
    assert!(accepted(l.apply(&receipt(2, 1, vec![other]))));
    // Counted: 5,000..5,003 less 5,003, plus 6,000 (new to the network).
    let mut counted = serials(5_000..5_003);
    counted.push(SerialNo::new("SN-6000").unwrap());
    assert!(accepted(l.apply(&drill_count(3, 2, "PF-A02", counted.clone()))));
    let mut at_b: Vec<SerialNo> =
        (5_000..5_004).chain([6_000]).map(|i| SerialNo::new(format!("SN-{i}")).unwrap()).collect();
    at_b.retain(|s| counted.contains(s));
    let item = catalog().item_ix(&"DRILL-18V".parse().unwrap()).unwrap();
    for s in &at_b {
        let key = l.serial(item, s).unwrap();
        assert_eq!(key.bin, catalog().bin_ix(key.site, &bin("PF-A02")), "{s}");
    }
    assert_eq!(l.serial(item, &SerialNo::new("SN-5003").unwrap()), None);
    assert!(l.serial(item, &SerialNo::new("SN-17").unwrap()).is_some());
    // Counting it again as it now is changes nothing; a snapshot restores the index.
    let restored =
        Ledger::restore(catalog(), l.rules().clone(), &l.snapshot(None).unwrap()).unwrap();
    for mut ledger in [l.clone(), restored] {
        let Ok(Applied::Accepted(again)) = ledger.apply(&drill_count(4, 3, "PF-A02", at_b.clone()))
        else {
            panic!("accepted")
        };
        assert!(again.deltas().is_empty());
        // And a count missing one reads the position's serials, not the item's.
        let fewer = at_b.iter().skip(1).cloned().collect();
        let Ok(Applied::Accepted(less)) = ledger.apply(&drill_count(5, 4, "PF-A02", fewer)) else {
            panic!("accepted")
        };
        assert_eq!(less.deltas().len(), 1);
        assert_eq!(less.deltas().first().map(|d| d.change), Some(Decimal::NEGATIVE_ONE));
    }
}

// ---------------------------------------------------------------------------------------
// Transfer orders with very many lines

/// One transfer order of `n` items on the synthetic network (no bins), stocked at the
/// first site, requested and approved.
fn long_order(n: usize) -> (Ledger, Vec<Line>) {
    use onhand_ledger::{TransferLine, TransferRequest};
    use onhand_master::synthetic;
    let cat = Arc::new(Catalog::new(synthetic::network(n, 2, false)).unwrap());
    let mut l = Ledger::new(
        cat.clone(),
        Rules::standard(CurrencyCode::new("USD").unwrap()).trusting_event_actors(),
    )
    .unwrap();
    let who = actor("ops", &[Role::Warehouse, Role::Planning]).unwrap();
    let at = |id: u128, minute: i64, body: Body| {
        let reference = doc(DocKind::TransferOrder, "TO-BIG").unwrap();
        testing::event(id, minute, who.clone(), "OPS", reference, body).unwrap()
    };
    let untracked: Vec<usize> = (0..n)
        .filter(|i| {
            let ix = cat.item_ix(&synthetic::item_code(*i)).unwrap();
            cat.item(ix).unwrap().tracking == onhand_master::Tracking::None
        })
        .collect();
    let stock: Vec<Line> = untracked
        .iter()
        .map(|i| {
            Line::new(synthetic::item_code(*i), "100 EA".parse().unwrap())
                .statuses(None, Some(StockStatus::Available))
        })
        .collect();
    let mv = SiteLines { site: synthetic::site_code(0), lines: stock };
    let po = doc(DocKind::PurchaseOrder, "PO-1").unwrap();
    assert!(accepted(
        l.apply(&testing::event(1, 0, who.clone(), "OPS", po, Body::Receipt(mv)).unwrap())
    ));
    // Each item requested twice (the request folds repeats into one order line).
    let req = TransferRequest {
        from: synthetic::site_code(0),
        to: synthetic::site_code(1),
        lines: untracked
            .iter()
            .chain(&untracked)
            .map(|i| TransferLine { item: synthetic::item_code(*i), qty: "3 EA".parse().unwrap() })
            .collect(),
        expected_arrival: None,
    };
    assert!(accepted(l.apply(&at(2, 1, Body::TransferRequest(req)))));
    let mut approve = at(3, 2, Body::TransferApprove);
    approve.actor = actor("planner", &[Role::Planning]).unwrap();
    assert!(accepted(l.apply(&approve)));
    let lines = untracked
        .iter()
        .map(|i| Line::new(synthetic::item_code(*i), "6 EA".parse().unwrap()))
        .collect();
    (l, lines)
}

/// A transfer order of 1,000 items (past the order update's index thresholds), shipped
/// and received in one event of 1,000 lines each (each line found its order line by a
/// scan of the order, and its changed line by a scan of the update), against the same
/// in one event per line: the same positions and order lines, the order received.
#[test]
fn transfer_orders_with_very_many_lines_are_quadratic() {
    use onhand_ledger::TransferState;
    let (ordered, lines) = long_order(1_000);
    assert!(lines.len() > 500, "{} untracked items", lines.len());
    let who = actor("ops", &[Role::Warehouse]).unwrap();
    let ev = |id: u128, minute: i64, body: Body| {
        let reference = doc(DocKind::TransferOrder, "TO-BIG").unwrap();
        testing::event(id, minute, who.clone(), "OPS", reference, body).unwrap()
    };
    let mv = |site: usize, lines: Vec<Line>| SiteLines {
        site: onhand_master::synthetic::site_code(site),
        lines,
    };
    let (mut whole, mut parts) = (ordered.clone(), ordered);
    assert!(accepted(whole.apply(&ev(10, 3, Body::TransferShip(mv(0, lines.clone()))))));
    assert!(accepted(whole.apply(&ev(11, 4, Body::TransferReceipt(mv(1, lines.clone()))))));
    for (i, l) in lines.iter().enumerate() {
        let id = 100 + 2 * i as u128;
        assert!(accepted(parts.apply(&ev(id, 3, Body::TransferShip(mv(0, vec![l.clone()]))))));
        assert!(accepted(parts.apply(&ev(
            id + 1,
            4,
            Body::TransferReceipt(mv(1, vec![l.clone()]))
        ))));
    }
    assert_eq!(positions(&whole), positions(&parts));
    let number = "TO-BIG".parse().unwrap();
    let (a, b) = (whole.transfer(&number).unwrap(), parts.transfer(&number).unwrap());
    assert_eq!(a.state, TransferState::Received);
    assert_eq!(a.lines, b.lines);
    assert_eq!(a.lines.len(), lines.len());
    assert!(a.lines.iter().all(|l| l.requested == Decimal::from(6) && l.received == l.requested));
}

/// Past 28,672 events the ledger's event-id and posted-record indexes spread over
/// shards (so no single `apply` moves a whole index as it grows). Spread, they answer
/// as before: a repeated event is a duplicate, a reused id is refused, a reversal finds
/// its original, and a snapshot restores to the same state, which answers the same.
#[test]
fn the_event_indexes_answer_the_same_once_spread() {
    let mut l = ledger();
    let n: u128 = 30_000;
    for id in 1..=n {
        let r = testing::receipt(id, "ATL", "BOLT-M8", "1 EA", "RCV-01").unwrap();
        let got = l.apply(&r);
        assert!(matches!(got, Ok(Applied::Accepted(_))), "receipt {id}: {got:?}");
    }
    let again = testing::receipt(5, "ATL", "BOLT-M8", "1 EA", "RCV-01").unwrap();
    assert!(matches!(l.apply(&again), Ok(Applied::Duplicate)));
    let other = testing::receipt(6, "ATL", "BOLT-M8", "2 EA", "RCV-01").unwrap();
    assert!(matches!(l.apply(&other), Err(LedgerError::IdReused { .. })));
    let first = testing::receipt(17, "ATL", "BOLT-M8", "1 EA", "RCV-01").unwrap();
    let rev = testing::reversal(n + 1, i64::try_from(n).unwrap() + 1, first.id).unwrap();
    assert!(matches!(l.apply(&rev), Ok(Applied::Accepted(_))));
    assert!(l.posted(&first.id).is_some());
    let on_hand: Decimal = l.positions().map(|(_, q)| q).sum();
    assert_eq!(on_hand, Decimal::from(29_999));

    let restored =
        Ledger::restore(catalog(), l.rules().clone(), &l.snapshot(None).unwrap()).unwrap();
    assert_eq!(restored.state_digest().unwrap(), l.state_digest().unwrap());
    let mut restored = restored;
    let late = testing::receipt(29_999, "ATL", "BOLT-M8", "1 EA", "RCV-01").unwrap();
    assert!(matches!(restored.apply(&late), Ok(Applied::Duplicate)));
    assert_eq!(restored.content_digest_of(&late.id), Some(late.content_digest()));
    assert!(matches!(restored.apply(&rev), Ok(Applied::Duplicate)));
}
