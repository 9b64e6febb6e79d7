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
