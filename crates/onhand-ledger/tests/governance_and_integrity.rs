//! Governance and integrity gaps a review found (each test failed before its fix):
//! a held reversal approved, or any held event rejected, by someone outside its site;
//! a transfer receipt dated before its order shipped (it drew on another order's
//! stock in transit); two expiries for one new lot in one event; a count of an empty
//! position forgotten by a period close, and a back-dated count, neither raising
//! `CountInvalidated` for the later count they made stale; a back-dated pick under a
//! microsecond before its receipt (event times now carry at most microsecond
//! precision); a customer return dated before the shipment it names.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a failure is a failed test

use std::sync::Arc;

use onhand_ledger::{
    Applied, Body, Count, CountLine, DocKind, Event, EventId, Ledger, LedgerError, Line, Rules,
    SiteLines, TransferLine, TransferRequest, testing,
};
use onhand_master::{Catalog, CurrencyCode, ItemCode, Qty, Role, seed};
use onhand_status::StockStatus;
use rust_decimal::Decimal;

fn new_ledger() -> (Arc<Catalog>, Ledger) {
    let catalog = Arc::new(Catalog::new(seed::demo_network()).unwrap());
    let ledger = Ledger::new(
        catalog.clone(),
        Rules::standard(CurrencyCode::new("USD").unwrap()).trusting_event_actors(),
    )
    .unwrap();
    (catalog, ledger)
}

fn ea(n: i64) -> Qty {
    format!("{n} EA").parse().unwrap()
}

fn ev(id: u128, minutes: i64, who: &str, role: Role, doc: (DocKind, &str), body: Body) -> Event {
    testing::event(
        id,
        minutes,
        testing::actor(who, &[role]).unwrap(),
        "TEST",
        testing::doc(doc.0, doc.1).unwrap(),
        body,
    )
    .unwrap()
}

fn line(item: &str, qty: i64, bin: &str) -> Line {
    Line::new(ItemCode::new(item).unwrap(), ea(qty)).at(bin.parse().unwrap())
}

fn mv(site: &str, lines: Vec<Line>) -> SiteLines {
    testing::movement(site, lines).unwrap()
}

/// Received straight into available, at `minutes`.
fn receipt(id: u128, minutes: i64, site: &str, mut l: Line) -> Event {
    l.to = Some(StockStatus::Available);
    ev(
        id,
        minutes,
        "rcv",
        Role::Warehouse,
        (DocKind::PurchaseOrder, "PO-1"),
        Body::Receipt(mv(site, vec![l])),
    )
}

fn accepted(r: Result<Applied, LedgerError>) -> onhand_ledger::Accepted {
    match r {
        Ok(Applied::Accepted(a)) => a,
        other => panic!("expected accepted, got {other:?}"),
    }
}

fn to_event(id: u128, minutes: i64, who: &str, role: Role, number: &str, body: Body) -> Event {
    ev(id, minutes, who, role, (DocKind::TransferOrder, number), body)
}

/// Requests (minute 5) and approves (minute 6) a transfer of `qty` of `item` ORD -> ATL.
fn open_transfer(l: &mut Ledger, id: u128, number: &str, item: &str, qty: i64) {
    let req = Body::TransferRequest(TransferRequest {
        from: "ORD".parse().unwrap(),
        to: "ATL".parse().unwrap(),
        lines: vec![TransferLine { item: ItemCode::new(item).unwrap(), qty: ea(qty) }],
        expected_arrival: None,
    });
    accepted(l.apply(&to_event(id, 5, "plan1", Role::Planning, number, req)));
    accepted(l.apply(&to_event(id + 1, 6, "plan2", Role::Planning, number, Body::TransferApprove)));
}

// ---------------------------------------------------------------------------------------

/// Two lines of one receipt name the same new lot with different expiry dates. Split
/// over two events the second is refused with `LotExpiryConflict`; in one event the
/// second expiry is silently dropped.
#[test]
fn two_expiries_for_one_new_lot_in_one_event_are_refused() {
    let (_, mut l) = new_ledger();
    let date = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let mut a = line("GLUE-500", 5, "PF-A01").lot("L-1".parse().unwrap());
    a.expiry = Some(date("2026-06-01"));
    let mut b = line("GLUE-500", 5, "PF-A01").lot("L-1".parse().unwrap());
    b.expiry = Some(date("2027-06-01"));
    a.to = Some(StockStatus::Available);
    b.to = Some(StockStatus::Available);
    let both = ev(
        1,
        1,
        "rcv",
        Role::Warehouse,
        (DocKind::PurchaseOrder, "PO-1"),
        Body::Receipt(mv("ATL", vec![a.clone(), b.clone()])),
    );
    let got = l.apply(&both);

    // The same two lines as two events: the second is refused.
    let (_, mut split) = new_ledger();
    accepted(split.apply(&receipt(1, 1, "ATL", a)));
    let second = split.apply(&receipt(2, 1, "ATL", b));
    assert!(matches!(second, Err(LedgerError::LotExpiryConflict { .. })), "split: {second:?}");
    assert!(
        matches!(got, Err(LedgerError::LotExpiryConflict { .. })),
        "one event with two expiries for one new lot: {got:?}; lots now {:?}",
        l.lots()
    );
}

#[test]
fn a_transfer_receipt_dated_before_its_order_shipped_is_refused() {
    let (c, mut l) = new_ledger();
    accepted(l.apply(&receipt(1, 1, "ORD", line("BOLT-M8", 20, "PF-A01"))));
    open_transfer(&mut l, 10, "TO-1", "BOLT-M8", 10);
    open_transfer(&mut l, 20, "TO-2", "BOLT-M8", 10);
    accepted(l.apply(&to_event(
        30,
        100,
        "wh1",
        Role::Warehouse,
        "TO-1",
        Body::TransferShip(mv("ORD", vec![line("BOLT-M8", 10, "PF-A01")])),
    )));
    accepted(l.apply(&to_event(
        31,
        200,
        "wh1",
        Role::Warehouse,
        "TO-2",
        Body::TransferShip(mv("ORD", vec![line("BOLT-M8", 10, "PF-A01")])),
    )));
    // TO-2 received at minute 150, before it shipped at minute 200.
    let got = l.apply(&to_event(
        32,
        150,
        "wh2",
        Role::Warehouse,
        "TO-2",
        Body::TransferReceipt(mv("ATL", vec![line("BOLT-M8", 10, "RCV-01")])),
    ));
    let to2 = l.transfer(&"TO-2".parse().unwrap()).unwrap().clone();
    // As of minute 175 the network holds 20 bolts (10 at ORD, 10 in transit on TO-1);
    // the ledger says 10 at ORD (TO-2 has not left) plus 10 received at ATL, and TO-1's
    // 10 in transit are gone from the in-transit position.
    let bolt = c.item_ix(&"BOLT-M8".parse().unwrap()).unwrap();
    let t = testing::at(175);
    let on_hand: Decimal = ["ORD", "ATL"]
        .iter()
        .map(|s| {
            let site = c.site_ix(&s.parse().unwrap()).unwrap();
            l.measure_as_of(bolt, site, onhand_status::Measure::OnHand, t)
        })
        .sum();
    let in_transit: Decimal = l
        .positions_of(bolt)
        .filter(|(k, _)| k.status == StockStatus::InTransit)
        .map(|(k, _)| l.qty_as_of(&k, t))
        .sum();
    assert!(
        matches!(got, Err(LedgerError::ReceivedBeforeShipped { .. })),
        "TO-2 received ({:?}) before it shipped ({:?}): {got:?}; as of minute 175: on hand {on_hand} + in transit {in_transit} (truth: 10 on hand at ORD, 10 in transit on TO-1)",
        to2.received_at,
        to2.shipped_at
    );
}

/// A count confirming a zero position records the count on an empty slot; a period
/// close then drops the slot (zero, no history) and with it the count, so a later
/// back-dated receipt before the count no longer raises `CountInvalidated`.
#[test]
fn a_period_close_keeps_the_count_of_an_empty_position() {
    let run = |close: bool| -> bool {
        let (_, mut l) = new_ledger();
        accepted(l.apply(&receipt(1, 10, "ATL", line("BOLT-M8", 5, "PF-A01"))));
        let count = Body::CycleCount(Count {
            site: "ATL".parse().unwrap(),
            lines: vec![CountLine {
                item: ItemCode::new("BOLT-M8").unwrap(),
                bin: Some("PF-A02".parse().unwrap()),
                lot: None,
                status: Some(StockStatus::Available),
                counted: ea(0),
                serials: vec![],
                owner: None,
            }],
        });
        accepted(l.apply(&ev(2, 100, "counter", Role::Warehouse, (DocKind::Count, "CC-1"), count)));
        if close {
            let close = ev(
                3,
                60,
                "fin",
                Role::Finance,
                (DocKind::Internal, "CLOSE-1"),
                Body::ClosePeriod { through: testing::at(50), entity: None },
            );
            let mut close = close;
            close.effective_at = testing::at(120);
            close.recorded_at = testing::at(120);
            accepted(l.apply(&close));
        }
        // Back-dated put-away into the counted bin at minute 70 (after the close at 50,
        // before the count at 100).
        let mut pa = line("BOLT-M8", 5, "PF-A01").to_bin("PF-A02".parse().unwrap());
        pa.from = Some(StockStatus::Available);
        let put = ev(
            4,
            70,
            "w1",
            Role::Warehouse,
            (DocKind::Internal, "PA-1"),
            Body::Putaway(mv("ATL", vec![pa])),
        );
        let done = accepted(l.apply(&put));
        done.signals.iter().any(|s| matches!(s, onhand_ledger::Signal::CountInvalidated { .. }))
    };
    assert!(run(false), "without a close the back-dated move invalidates the count");
    assert!(run(true), "after a close (before the count) the count is forgotten");
}

/// A back-dated count before a later count changes the later count's balance, but
/// raises no `CountInvalidated` (counts are exempted from the signal).
#[test]
fn a_back_dated_count_invalidates_the_later_count() {
    let (_, mut l) = new_ledger();
    accepted(l.apply(&receipt(1, 10, "ATL", line("BOLT-M8", 10, "PF-A01"))));
    let count = |n: i64| {
        Body::CycleCount(Count {
            site: "ATL".parse().unwrap(),
            lines: vec![CountLine {
                item: ItemCode::new("BOLT-M8").unwrap(),
                bin: Some("PF-A01".parse().unwrap()),
                lot: None,
                status: Some(StockStatus::Available),
                counted: ea(n),
                serials: vec![],
                owner: None,
            }],
        })
    };
    accepted(l.apply(&ev(2, 100, "counter", Role::Warehouse, (DocKind::Count, "CC-1"), count(10))));
    let done = accepted(l.apply(&ev(
        3,
        50,
        "counter",
        Role::Warehouse,
        (DocKind::Count, "CC-2"),
        count(7),
    )));
    let (key, qty) = l.positions().next().unwrap();
    assert_eq!(l.qty_as_of(&key, testing::at(100)), qty);
    assert_eq!(qty, Decimal::from(7), "the count at minute 100 said 10, the book now says 7");
    assert!(
        done.signals.iter().any(|s| matches!(s, onhand_ledger::Signal::CountInvalidated { .. })),
        "signals: {:?}",
        done.signals
    );
}

/// Rejecting (dropping) a pending event takes only a role it needs: an actor scoped to
/// another site, who may not approve it, may reject it.
#[test]
fn an_actor_outside_the_site_may_not_reject_its_pending_event() {
    let (_, mut l) = new_ledger();
    accepted(l.apply(&receipt(1, 1, "ATL", line("BOLT-M8", 500, "PF-A01"))));
    let mut loss = line("BOLT-M8", 150, "PF-A01");
    loss.from = Some(StockStatus::Available);
    let adj = ev(
        2,
        10,
        "ic1",
        Role::InventoryControl,
        (DocKind::Internal, "ADJ-1"),
        Body::Adjustment(mv("ATL", vec![loss])),
    );
    let adj = Event { reason: "LOST".parse().unwrap(), ..adj };
    let Ok(Applied::Pending { needs, .. }) = l.apply(&adj) else { panic!("held") };
    let mut sup = testing::actor("sup-ord", &needs).unwrap();
    sup.sites = onhand_ledger::SiteScope::Sites(vec!["ORD".parse().unwrap()]);
    let approve = testing::event(
        3,
        20,
        sup.clone(),
        "TEST",
        testing::doc(DocKind::Internal, "A-1").unwrap(),
        Body::Approve { event: adj.id },
    )
    .unwrap();
    let a = l.apply(&approve);
    assert!(matches!(a, Err(LedgerError::OutOfScope { .. })), "approve: {a:?}");
    let reject = testing::event(
        4,
        20,
        sup,
        "TEST",
        testing::doc(DocKind::Internal, "R-1").unwrap(),
        Body::Reject { event: adj.id },
    )
    .unwrap();
    let r = l.apply(&reject);
    assert!(matches!(r, Err(LedgerError::OutOfScope { .. })), "reject: {r:?}");
}

/// A held reversal is approved by a supervisor scoped to another site: `sites_of`
/// names no site for a reversal, so the approver's scope is never checked (an
/// approval of the same adjustment itself is refused as out of scope).
#[test]
fn an_actor_outside_the_site_may_not_approve_a_held_reversal() {
    let catalog = Arc::new(Catalog::new(seed::demo_network()).unwrap());
    let mut rules = Rules::standard(CurrencyCode::new("USD").unwrap()).trusting_event_actors();
    rules.thresholds.push(onhand_ledger::Threshold {
        kind: onhand_ledger::EventKind::Reversal,
        reason: None,
        max_qty: Some(Decimal::from(50)),
        max_value: None,
        max_event_qty: None,
        document: None,
        approver: Role::Supervisor,
    });
    let mut l = Ledger::new(catalog, rules).unwrap();
    let r1 = testing::receipt_to(1, "ATL", "BOLT-M8", "100 EA", "PF-A01", "available").unwrap();
    accepted(l.apply(&r1));
    let rev = testing::reversal(2, 10, r1.id).unwrap();
    assert!(matches!(l.apply(&rev), Ok(Applied::Pending { .. })));
    let mut sup = testing::actor("sup-ord", &[Role::Supervisor]).unwrap();
    sup.sites = onhand_ledger::SiteScope::Sites(vec!["ORD".parse().unwrap()]);
    let approve = testing::event(
        3,
        20,
        sup,
        "APPROVED",
        testing::doc(DocKind::Internal, "APP-1").unwrap(),
        Body::Approve { event: rev.id },
    )
    .unwrap();
    let got = l.apply(&approve);
    assert!(
        matches!(got, Err(LedgerError::OutOfScope { .. })),
        "an ORD supervisor approved an ATL reversal: {got:?}"
    );
}

/// Times were kept in microseconds but compared in nanoseconds elsewhere: a pick
/// effective 800 ns *before* the receipt that brought the stock passed the back-dated
/// check (both landed on the same microsecond), so the position was negative in between.
/// Event times now carry at most microsecond precision: a time with a finer part is
/// refused (`TimePrecision`) before anything changes, the receipt's and the pick's alike.
#[test]
fn a_pick_back_dated_under_a_microsecond_before_its_receipt_is_refused() {
    let (_, mut l) = new_ledger();
    let base = testing::at(10);
    let before = l.state_digest().unwrap();
    let mut r = receipt(1, 10, "ATL", line("BOLT-M8", 10, "PF-A01"));
    r.effective_at = base + chrono::Duration::nanoseconds(900);
    r.recorded_at = r.effective_at;
    assert_eq!(
        l.apply(&r),
        Err(LedgerError::TimePrecision { field: "effective_at", at: r.effective_at })
    );
    // The same receipt on its microsecond is taken.
    r.effective_at = base;
    r.recorded_at = base;
    accepted(l.apply(&r));
    let after_receipt = l.state_digest().unwrap();
    assert_ne!(after_receipt, before);
    let mut pick = ev(
        2,
        10,
        "w1",
        Role::Warehouse,
        (DocKind::SalesOrder, "SO-1"),
        Body::Pick(mv("ATL", vec![line("BOLT-M8", 10, "PF-A01")])),
    );
    pick.effective_at = base - chrono::Duration::nanoseconds(100);
    pick.recorded_at = base + chrono::Duration::seconds(1);
    let got = l.apply(&pick);
    assert_eq!(
        got,
        Err(LedgerError::TimePrecision { field: "effective_at", at: pick.effective_at })
    );
    assert_eq!(got.unwrap_err().code(), "time_precision");
    // A recorded time finer than a microsecond is refused as well.
    pick.effective_at = base;
    pick.recorded_at = base + chrono::Duration::nanoseconds(1_000_001);
    assert_eq!(
        l.apply(&pick),
        Err(LedgerError::TimePrecision { field: "recorded_at", at: pick.recorded_at })
    );
    assert_eq!(l.state_digest().unwrap(), after_receipt, "a refused event changed the ledger");
}

/// Two events a microsecond apart are ordered by the back-dated check: a pick one
/// microsecond before the receipt that brings its stock is refused (nothing was there
/// yet), and the same pick on the receipt's microsecond or one after is taken.
#[test]
fn a_pick_one_microsecond_before_its_receipt_is_refused_as_back_dated() {
    let (c, mut l) = new_ledger();
    let base = testing::at(10);
    let mut r = receipt(1, 10, "ATL", line("BOLT-M8", 10, "PF-A01"));
    r.effective_at = base + chrono::Duration::microseconds(1);
    r.recorded_at = r.effective_at;
    accepted(l.apply(&r));
    let pick = |id, at: chrono::DateTime<chrono::Utc>| {
        let mut e = ev(
            id,
            10,
            "w1",
            Role::Warehouse,
            (DocKind::SalesOrder, "SO-1"),
            Body::Pick(mv("ATL", vec![line("BOLT-M8", 10, "PF-A01")])),
        );
        e.effective_at = at;
        e.recorded_at = base + chrono::Duration::seconds(1);
        e
    };
    let got = l.apply(&pick(2, base));
    assert!(matches!(got, Err(LedgerError::InsufficientStock { .. })), "{got:?}");
    let bolt = c.item_ix(&"BOLT-M8".parse().unwrap()).unwrap();
    let atl = c.site_ix(&"ATL".parse().unwrap()).unwrap();
    let available = |at| l.measure_as_of(bolt, atl, onhand_status::Measure::Available, at);
    assert_eq!(available(base), Decimal::ZERO);
    assert_eq!(available(r.effective_at), Decimal::from(10));
    accepted(l.apply(&pick(3, base + chrono::Duration::microseconds(2))));
}

/// The times a body carries are whole microseconds too: a period close's `through` and
/// a transfer request's expected arrival finer than that are refused.
#[test]
fn body_times_finer_than_a_microsecond_are_refused() {
    let (_, mut l) = new_ledger();
    let through = testing::at(5) + chrono::Duration::nanoseconds(10);
    let close = ev(
        1,
        10,
        "fin",
        Role::Finance,
        (DocKind::Internal, "CLOSE-1"),
        Body::ClosePeriod { through, entity: None },
    );
    assert_eq!(l.apply(&close), Err(LedgerError::TimePrecision { field: "through", at: through }));
    let arrival = testing::at(600) + chrono::Duration::nanoseconds(999);
    let request = to_event(
        2,
        5,
        "pl1",
        Role::Planning,
        "TO-1",
        Body::TransferRequest(TransferRequest {
            from: "ORD".parse().unwrap(),
            to: "ATL".parse().unwrap(),
            lines: vec![TransferLine { item: ItemCode::new("BOLT-M8").unwrap(), qty: ea(10) }],
            expected_arrival: Some(arrival),
        }),
    );
    assert_eq!(
        l.apply(&request),
        Err(LedgerError::TimePrecision { field: "expected_arrival", at: arrival })
    );
    assert_eq!(l.seq(), 0, "nothing was applied");
}

/// A customer return naming its shipment (`original`) but dated before it: the goods
/// came back before they left. Refused, as a reversal dated before its original is,
/// and nothing changes; a return at or after the shipment's time is taken.
#[test]
fn a_customer_return_dated_before_its_shipment_is_refused() {
    let (_, mut l) = new_ledger();
    accepted(l.apply(&receipt(1, 1, "ATL", line("BOLT-M8", 10, "PF-A01"))));
    let sale = |id, minutes, body| {
        ev(id, minutes, "w1", Role::Warehouse, (DocKind::SalesOrder, "SO-1"), body)
    };
    let pick = line("BOLT-M8", 4, "PF-A01").to_bin("STG-01".parse().unwrap());
    accepted(l.apply(&sale(2, 100, Body::Pick(mv("ATL", vec![pick])))));
    accepted(l.apply(&sale(3, 210, Body::Ship(mv("ATL", vec![line("BOLT-M8", 4, "STG-01")])))));
    let shipment = EventId::from_u128(3);
    let back = |id, minutes| {
        let l = line("BOLT-M8", 2, "RET-01").original(shipment);
        ev(
            id,
            minutes,
            "rcv",
            Role::Warehouse,
            (DocKind::ReturnAuthorisation, "RA-1"),
            Body::CustomerReturn(mv("ATL", vec![l])),
        )
    };
    let before = l.state_digest().unwrap();
    let got = l.apply(&back(4, 200));
    assert_eq!(
        got,
        Err(LedgerError::ReturnBeforeOriginal {
            item: ItemCode::new("BOLT-M8").unwrap(),
            original: shipment,
            original_at: testing::at(210),
            at: testing::at(200),
        })
    );
    assert_eq!(got.unwrap_err().code(), "return_before_original");
    assert_eq!(l.state_digest().unwrap(), before, "a refused return changed the ledger");
    accepted(l.apply(&back(5, 210)));
    accepted(l.apply(&back(6, 300)));
}

/// An order's first shipment time and last receipt time do not depend on the order the
/// events were posted in: a shipment posted later but dated earlier is the first, so
/// a receipt after it and before the one posted first is taken; a receipt posted last
/// but dated earlier leaves the last receipt time alone.
#[test]
fn an_orders_first_shipment_and_last_receipt_do_not_depend_on_posting_order() {
    let (_, mut l) = new_ledger();
    accepted(l.apply(&receipt(1, 1, "ORD", line("BOLT-M8", 20, "PF-A01"))));
    open_transfer(&mut l, 10, "TO-1", "BOLT-M8", 20);
    let ship = |id, minutes| {
        to_event(
            id,
            minutes,
            "wh1",
            Role::Warehouse,
            "TO-1",
            Body::TransferShip(mv("ORD", vec![line("BOLT-M8", 10, "PF-A01")])),
        )
    };
    let receive = |id, minutes, qty| {
        to_event(
            id,
            minutes,
            "wh2",
            Role::Warehouse,
            "TO-1",
            Body::TransferReceipt(mv("ATL", vec![line("BOLT-M8", qty, "RCV-01")])),
        )
    };
    accepted(l.apply(&ship(30, 100)));
    accepted(l.apply(&ship(31, 50)));
    let number = "TO-1".parse().unwrap();
    assert_eq!(l.transfer(&number).unwrap().shipped_at, Some(testing::at(50)));
    accepted(l.apply(&receive(32, 70, 10)));
    accepted(l.apply(&receive(33, 200, 5)));
    accepted(l.apply(&receive(34, 150, 5)));
    assert_eq!(l.transfer(&number).unwrap().received_at, Some(testing::at(200)));
}
