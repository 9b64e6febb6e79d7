//! Worked examples: every KPI on a small history whose figures are computed by hand
//! in the comments.

#![allow(
    clippy::unwrap_used,
    clippy::float_arithmetic,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss,
    clippy::too_many_lines,
    clippy::type_complexity,
    clippy::similar_names,
    clippy::many_single_char_names
)] // tests: a failed unwrap is a failed test; generators mix integer and float arithmetic

mod common;

use common::*;
use onhand_insight::*;
use onhand_master::VelocityClass;

fn month() -> Period {
    Period::containing(Grain::Month, jan(1))
}

/// Two orders.
///
/// | line | qty | requested | promise | shipments | deliveries |
/// |---|---|---|---|---|---|
/// | SO-1/1 RETAIL | 100 | 01-07 | 100 ATL 01-07 | 100 on 01-06 (last) | 100 on 01-07, last |
/// | SO-1/2 RETAIL | 50 | 01-07 | 30 ATL 01-07, 20 ATL 01-09 | 30 on 01-07, 20 on 01-09 (last) | 30 on 01-08, 20 on 01-10, last |
/// | SO-2/1 WHOLESALE | 200 | 01-08 | 200 ORD 01-08 | 150 on 01-08, 50 on 01-10 (last) | 200 on 01-11, 5 damaged, last |
/// | SO-2/2 WHOLESALE | 40 | 01-08 | — | cancelled on 01-06 | |
/// | SO-2/3 WHOLESALE | 60 | 01-08 | — | 60 from DFW on 01-08 (last) | 60 on 01-09, documents wrong, last |
fn orders(basis: Basis) -> Insight {
    let mut c = config();
    c.basis = basis;
    let recs = vec![
        created(t(5, 8), line("SO-1", 1), "RETAIL", "BOLT", "100 EA", jan(7)),
        created(t(5, 8), line("SO-1", 2), "RETAIL", "NUT", "50 EA", jan(7)),
        created(t(5, 9), line("SO-2", 1), "WHOLESALE", "BOLT", "200 EA", jan(8)),
        created(t(5, 9), line("SO-2", 2), "WHOLESALE", "GLUE", "40 EA", jan(8)),
        created(t(5, 9), line("SO-2", 3), "WHOLESALE", "TAPE", "60 EA", jan(8)),
        promised(t(5, 10), line("SO-1", 1), &[("ATL", "100 EA", jan(7))]),
        promised(t(5, 10), line("SO-1", 2), &[("ATL", "30 EA", jan(7)), ("ATL", "20 EA", jan(9))]),
        promised(t(5, 10), line("SO-2", 1), &[("ORD", "200 EA", jan(8))]),
        shipped(t(6, 10), line("SO-1", 1), "ATL", "100 EA", true),
        Record::OrderLineCancelled(OrderLineCancelled { at: t(6, 11), line: line("SO-2", 2) }),
        shipped(t(7, 10), line("SO-1", 2), "ATL", "30 EA", false),
        delivered(t(7, 15), line("SO-1", 1), "100 EA", "0 EA", true, true),
        shipped(t(8, 10), line("SO-2", 1), "ORD", "150 EA", false),
        shipped(t(8, 11), line("SO-2", 3), "DFW", "60 EA", true),
        delivered(t(8, 12), line("SO-1", 2), "30 EA", "0 EA", true, false),
        delivered(t(9, 9), line("SO-2", 3), "60 EA", "0 EA", false, true),
        shipped(t(9, 10), line("SO-1", 2), "ATL", "20 EA", true),
        shipped(t(10, 10), line("SO-2", 1), "ORD", "50 EA", true),
        delivered(t(10, 12), line("SO-1", 2), "20 EA", "0 EA", true, true),
        delivered(t(11, 10), line("SO-2", 1), "200 EA", "5 EA", true, true),
    ];
    Insight::from_records(c, &recs).unwrap()
}

#[test]
fn fill_rates_against_requested_and_promised_dates() {
    let k = orders(Basis::Delivery).orders(month(), &Dim::Network).unwrap();
    // Requested: ordered 100 + 50 + 200 + 60 = 410 (the cancelled line leaves); on time
    // 100 + 30 + 150 + 60 = 340. Lines filled: SO-1/1 and SO-2/3, of 4. Orders: none.
    assert_eq!(k.fill_requested.units, Ratio::new(dec("340"), dec("410")));
    assert_eq!(k.fill_requested.lines, Ratio::of_counts(2, 4));
    assert_eq!(k.fill_requested.orders, Some(Ratio::of_counts(0, 2)));
    // Promised: lines SO-1/1 (100 of 100), SO-1/2 (30 by 01-07 and 20 by 01-09: 50 of
    // 50), SO-2/1 (150 of 200): 300 of 350 units, 2 of 3 lines. SO-1 is the only order
    // with every line promised, and is filled.
    assert_eq!(k.fill_promised.units, Ratio::new(dec("300"), dec("350")));
    assert_eq!(k.fill_promised.lines, Ratio::of_counts(2, 3));
    assert_eq!(k.fill_promised.orders, Some(Ratio::of_counts(1, 1)));
    assert_eq!(value(&k.fill_requested.units.value()).round_dp(4), dec("0.8293"));
}

#[test]
fn promise_accuracy_on_deliveries_or_on_shipments() {
    // Deliveries: SO-1/1 has 100 by 01-07 (accurate); SO-1/2 30 of 50 by 01-09; SO-2/1
    // none by 01-08: 1 of 3.
    let k = orders(Basis::Delivery).orders(month(), &Dim::Network).unwrap();
    assert_eq!(k.promise_accuracy, Ratio::of_counts(1, 3));
    // Shipments: SO-1/1 100 by 01-07, SO-1/2 50 by 01-09, SO-2/1 150 of 200 by 01-08.
    let k = orders(Basis::Shipment).orders(month(), &Dim::Network).unwrap();
    assert_eq!(k.promise_accuracy, Ratio::of_counts(2, 3));
}

#[test]
fn perfect_order_fulfillment_and_its_components() {
    let k = orders(Basis::Delivery).orders(month(), &Dim::Network).unwrap();
    let p = k.perfect_order.unwrap();
    // SO-1: in full, but SO-1/2 was complete on 01-10 after its commit date 01-09.
    // SO-2: in full; SO-2/1 late (01-11 vs 01-08) and 5 damaged; SO-2/3 late (01-09 vs
    // the requested 01-08, no promise) with wrong documents.
    assert_eq!(p.perfect, Ratio::of_counts(0, 2));
    assert_eq!(p.in_full, Ratio::of_counts(2, 2));
    assert_eq!(p.on_time, Ratio::of_counts(0, 2));
    assert_eq!(p.condition, Ratio::of_counts(1, 2));
    assert_eq!(p.documentation, Ratio::of_counts(1, 2));
}

fn returned(
    at: chrono::DateTime<chrono::Utc>,
    l: LineRef,
    qty: &str,
    reason: &str,
    c: ReturnCondition,
) -> Record {
    Record::OrderLineReturned(OrderLineReturned {
        at,
        line: l,
        site: "ATL".parse().unwrap(),
        qty: qty.parse().unwrap(),
        reason: reason.parse().unwrap(),
        condition: c,
    })
}

fn inspected(
    at: chrono::DateTime<chrono::Utc>,
    l: LineRef,
    qty: &str,
    reason: &str,
    c: ReturnCondition,
) -> Record {
    Record::ReturnInspected(ReturnInspected {
        at,
        line: l,
        site: "ATL".parse().unwrap(),
        qty: qty.parse().unwrap(),
        reason: reason.parse().unwrap(),
        condition: c,
    })
}

/// Customer returns and perfect order fulfillment (SCOR RL.1.1; perfect condition,
/// RL.2.4: delivered undamaged and accepted by the customer).
///
/// Three one-line orders of 10, each shipped in full on 01-06 for 01-07 and delivered
/// in full, undamaged, with right documents on 01-07: three perfect orders.
/// - SO-7/1: 4 come back on 01-12 (reason `CHANGED-MIND`), pending inspection, found
///   sound on 01-13: still perfect.
/// - SO-8/1: 3 come back on 01-12 (reason `DEFECT`), pending; on 01-13 inspection finds
///   1 sound and 2 damaged: not in perfect condition, so not perfect.
/// - SO-9/1: 2 come back damaged on 01-14 (reason `DEFECT`): not perfect.
///
/// Perfect orders: 3 of 3 before the returns, 1 of 3 after; condition 1 of 3. The
/// orders' figures stay on their fulfilment day (01-07). Returns in January: 3 returns,
/// 9 units; found sound 4 + 1 = 5, damaged 2 + 2 = 4, damaged share 4 of 9. By reason
/// `DEFECT`: 2 returns, 5 units, 1 sound, 4 damaged. On 01-12 alone: 2 returns, 7 units,
/// nothing found yet.
#[test]
fn customer_returns_and_perfect_orders() {
    use ReturnCondition::{Damaged, Pending, Sound};
    let orders = ["SO-7", "SO-8", "SO-9"];
    let mut recs = Vec::new();
    recs.extend(orders.map(|o| created(t(5, 8), line(o, 1), "RETAIL", "BOLT", "10 EA", jan(7))));
    recs.extend(orders.map(|o| promised(t(5, 9), line(o, 1), &[("ATL", "10 EA", jan(7))])));
    recs.extend(orders.map(|o| shipped(t(6, 10), line(o, 1), "ATL", "10 EA", true)));
    recs.extend(orders.map(|o| delivered(t(7, 10), line(o, 1), "10 EA", "0 EA", true, true)));
    let mut s = Insight::from_records(config(), &recs).unwrap();
    let p = s.orders(month(), &Dim::Network).unwrap().perfect_order.unwrap();
    assert_eq!(p.perfect, Ratio::of_counts(3, 3));
    assert!(s.report(month()).unwrap().returns.is_empty(), "no returns, no section");
    let later = [
        returned(t(12, 9), line("SO-7", 1), "4 EA", "CHANGED-MIND", Pending),
        returned(t(12, 10), line("SO-8", 1), "3 EA", "DEFECT", Pending),
        inspected(t(13, 9), line("SO-7", 1), "4 EA", "CHANGED-MIND", Sound),
        inspected(t(13, 10), line("SO-8", 1), "1 EA", "DEFECT", Sound),
        inspected(t(13, 11), line("SO-8", 1), "2 EA", "DEFECT", Damaged),
        returned(t(14, 9), line("SO-9", 1), "2 EA", "DEFECT", Damaged),
    ];
    s.apply_all(&later[..2]).unwrap();
    let p = s.orders(month(), &Dim::Network).unwrap().perfect_order.unwrap();
    assert_eq!(p.perfect, Ratio::of_counts(3, 3), "pending returns change nothing yet");
    s.apply_all(&later[2..]).unwrap();
    let p = s.orders(month(), &Dim::Network).unwrap().perfect_order.unwrap();
    assert_eq!(p.perfect, Ratio::of_counts(1, 3));
    assert_eq!(p.condition, Ratio::of_counts(1, 3));
    assert_eq!((p.in_full, p.on_time), (Ratio::of_counts(3, 3), Ratio::of_counts(3, 3)));
    let day7 = Period::containing(Grain::Day, jan(7));
    let p7 = s.orders(day7, &Dim::Network).unwrap().perfect_order.unwrap();
    assert_eq!(p7.perfect, Ratio::of_counts(1, 3), "on the fulfilment day");

    let r = s.returns(month(), &Dim::Network).unwrap();
    assert_eq!((r.returns, r.units, r.sound, r.damaged), (3, dec("9"), dec("5"), dec("4")));
    assert_eq!(r.damaged_share, Ratio::new(dec("4"), dec("9")));
    let defect = s.returns(month(), &Dim::Reason("DEFECT".parse().unwrap())).unwrap();
    assert_eq!(
        (defect.returns, defect.units, defect.sound, defect.damaged),
        (2, dec("5"), dec("1"), dec("4"))
    );
    let day12 = s.returns(Period::containing(Grain::Day, jan(12)), &Dim::Network).unwrap();
    assert_eq!(
        (day12.returns, day12.units, day12.sound, day12.damaged),
        (2, dec("7"), dec("0"), dec("0"))
    );
    assert_eq!(s.returns(month(), &Dim::Site("ORD".parse().unwrap())).unwrap().returns, 0);
    let report = s.report(month()).unwrap();
    assert_eq!(report.returns.first().map(|(_, k)| k), Some(&r));
    assert!(report.to_string().contains("returns  network"));

    // Refused, changing nothing: more back than shipped, an inspection of more than
    // awaits it, an inspection finding "pending", a return in another unit.
    let before = s.snapshot();
    for (bad, field) in [
        (returned(t(15, 0), line("SO-7", 1), "7 EA", "DEFECT", Damaged), Some("qty")),
        (inspected(t(15, 0), line("SO-8", 1), "1 EA", "DEFECT", Damaged), Some("qty")),
        (inspected(t(15, 0), line("SO-9", 1), "1 EA", "DEFECT", Pending), Some("condition")),
        (returned(t(15, 0), line("SO-9", 1), "1 CS", "DEFECT", Damaged), None),
    ] {
        let e = s.apply(&bad).unwrap_err();
        match field {
            Some(f) => assert!(
                matches!(e, InsightError::InvalidRecord { field, .. } if field == f),
                "{e:?}"
            ),
            None => assert!(matches!(e, InsightError::UnitMismatch { .. }), "{e:?}"),
        }
        assert_eq!(s.snapshot(), before);
    }
}

/// The return rate, per day: units returned / units shipped, each on its own day.
///
/// | day | shipped | returned |
/// |---|---|---|
/// | 01-06 | SO-7, SO-8, SO-9: 10 each from ATL (30) | |
/// | 01-12 | SO-6: 20 from ORD | SO-7 4 at ATL (changed mind), SO-8 3 at ATL (defect) |
/// | 01-14 | | SO-6 5 at ORD (defect) |
/// | 01-15 | SO-9's shipment reversed: 01-06 shipped 20 | |
///
/// January before the reversal: 12 of 50; ATL 7 of 30; ORD 5 of 20; reason `DEFECT` 8
/// of 50 (a reason does not split shipments). 01-06: 0 of 30; 01-12: 7 of 20 for the
/// network, and at ATL 7 of 0, not enough data. After it: January 12 of 40, 01-06 0 of
/// 20, ATL 7 of 20.
#[test]
fn the_return_rate_per_day_against_units_shipped() {
    use ReturnCondition::Pending;
    let so9 = shipped(t(6, 10), line("SO-9", 1), "ATL", "10 EA", true);
    let mut recs = Vec::new();
    for o in ["SO-7", "SO-8", "SO-9"] {
        recs.push(created(t(5, 8), line(o, 1), "RETAIL", "BOLT", "10 EA", jan(7)));
    }
    recs.push(created(t(5, 8), line("SO-6", 1), "RETAIL", "BOLT", "20 EA", jan(12)));
    recs.push(shipped(t(6, 10), line("SO-7", 1), "ATL", "10 EA", true));
    recs.push(shipped(t(6, 10), line("SO-8", 1), "ATL", "10 EA", true));
    recs.push(so9.clone());
    recs.push(shipped(t(12, 8), line("SO-6", 1), "ORD", "20 EA", true));
    recs.push(returned(t(12, 9), line("SO-7", 1), "4 EA", "CHANGED-MIND", Pending));
    recs.push(returned(t(12, 10), line("SO-8", 1), "3 EA", "DEFECT", Pending));
    let mut back = returned(t(14, 9), line("SO-6", 1), "5 EA", "DEFECT", Pending);
    if let Record::OrderLineReturned(r) = &mut back {
        r.site = "ORD".parse().unwrap();
    }
    recs.push(back);
    let mut s = Insight::from_records(config(), &recs).unwrap();
    let rate = |s: &Insight, p: Period, d: &Dim| {
        let k = s.returns(p, d).unwrap();
        assert_eq!(k.return_rate, Ratio::new(k.units, k.shipped));
        (k.units, k.shipped)
    };
    let (atl, ord) = (Dim::Site("ATL".parse().unwrap()), Dim::Site("ORD".parse().unwrap()));
    let defect = Dim::Reason("DEFECT".parse().unwrap());
    let day = |d| Period::containing(Grain::Day, jan(d));
    assert_eq!(rate(&s, month(), &Dim::Network), (dec("12"), dec("50")));
    assert_eq!(rate(&s, month(), &atl), (dec("7"), dec("30")));
    assert_eq!(rate(&s, month(), &ord), (dec("5"), dec("20")));
    assert_eq!(rate(&s, month(), &defect), (dec("8"), dec("50")));
    assert_eq!(rate(&s, day(6), &Dim::Network), (dec("0"), dec("30")));
    assert_eq!(
        s.returns(day(6), &Dim::Network).unwrap().return_rate.value(),
        Figure::Value(dec("0"))
    );
    assert_eq!(rate(&s, day(12), &Dim::Network), (dec("7"), dec("20")));
    assert_eq!(rate(&s, day(12), &atl), (dec("7"), dec("0")));
    assert!(!s.returns(day(12), &atl).unwrap().return_rate.value().is_value());
    assert_eq!(
        s.returns(month(), &Dim::Network).unwrap().return_rate.value(),
        Figure::Value(dec("0.24"))
    );

    s.apply(&Record::Reversed(Reversed { at: t(15, 0), original: Box::new(so9) })).unwrap();
    assert_eq!(rate(&s, month(), &Dim::Network), (dec("12"), dec("40")));
    assert_eq!(rate(&s, day(6), &Dim::Network), (dec("0"), dec("20")));
    assert_eq!(rate(&s, month(), &atl), (dec("7"), dec("20")));
    assert!(
        s.report(month()).unwrap().to_string().contains("return rate 30.0% (12/40)"),
        "{}",
        s.report(month()).unwrap()
    );
}

#[test]
fn order_fulfillment_cycle_time() {
    let k = orders(Basis::Delivery).orders(month(), &Dim::Network).unwrap();
    // SO-1: 01-05 08:00 to 01-10 12:00 = 446,400 s; SO-2: 01-05 09:00 to 01-11 10:00 =
    // 522,000 s. Mean 484,200; the median (nearest rank 1 of 2) is 446,400 to 1/128.
    let d = k.cycle_time.unwrap().value().copied().unwrap();
    assert_eq!((d.count, d.mean_secs), (2, dec("484200")));
    assert!(d.p50_secs.abs_diff(446_400) <= 446_400 / 128);
    assert!(d.p90_secs.abs_diff(522_000) <= 522_000 / 128);
}

#[test]
fn order_kpis_by_group_and_site() {
    let s = orders(Basis::Delivery);
    let retail = s.orders(month(), &Dim::CustomerGroup("RETAIL".parse().unwrap())).unwrap();
    assert_eq!(retail.fill_requested.units, Ratio::new(dec("130"), dec("150")));
    assert_eq!(retail.fill_requested.orders, Some(Ratio::of_counts(0, 1)));
    // By site: a line's site is its first schedule line's, else its first shipment's.
    let ord = s.orders(month(), &Dim::Site("ORD".parse().unwrap())).unwrap();
    assert_eq!(ord.fill_requested.units, Ratio::new(dec("150"), dec("200")));
    assert_eq!(ord.fill_requested.orders, None);
    assert!(ord.perfect_order.is_none());
    let dfw = s.orders(month(), &Dim::Site("DFW".parse().unwrap())).unwrap();
    assert_eq!(dfw.fill_requested.lines, Ratio::of_counts(1, 1));
    let na = s.orders(month(), &Dim::Entity("NA01".parse().unwrap())).unwrap();
    assert_eq!(na.fill_requested.units, Ratio::new(dec("340"), dec("410")));
    // Lines are bucketed on their requested date: the week of 01-05 holds them all,
    // the next week nothing.
    let next = Period::containing(Grain::Week, jan(12));
    let k = s.orders(next, &Dim::Network).unwrap();
    assert_eq!(k.fill_requested.units.value(), Figure::NotEnoughData { have: 0, need: 1 });
    assert!(matches!(
        s.orders(month(), &Dim::Lane { from: "ATL".parse().unwrap(), to: "ORD".parse().unwrap() }),
        Err(InsightError::UnsupportedDimension { .. })
    ));
}

fn transfers() -> Insight {
    let recs = vec![
        requested(t(5, 0), tref("TO-1", 1), "ATL", "ORD", "BOLT", "10 EA", "100.00 USD"),
        Record::TransferApproved(TransferApproved { at: t(5, 2), transfer: tref("TO-1", 1) }),
        requested(t(5, 6), tref("TO-2", 1), "ATL", "ORD", "NUT", "10 EA", "50.00 USD"),
        Record::TransferShipped(TransferShipped {
            at: t(5, 12),
            transfer: tref("TO-1", 1),
            qty: "10 EA".parse().unwrap(),
            expected_arrival: None,
        }),
        requested(t(6, 0), tref("TO-3", 1), "ATL", "ORD", "BOLT", "10 EA", "100.00 USD"),
        Record::TransferShipped(TransferShipped {
            at: t(6, 6),
            transfer: tref("TO-2", 1),
            qty: "10 EA".parse().unwrap(),
            expected_arrival: None,
        }),
        Record::TransferShipped(TransferShipped {
            at: t(6, 12),
            transfer: tref("TO-3", 1),
            qty: "10 EA".parse().unwrap(),
            expected_arrival: None,
        }),
        received(t(7, 0), tref("TO-3", 1), "5 EA", "0 EA"),
        received(t(7, 12), tref("TO-1", 1), "10 EA", "0 EA"),
        received(t(8, 6), tref("TO-2", 1), "8 EA", "2 EA"),
        Record::TransferClosed(TransferClosed {
            at: t(9, 0),
            transfer: tref("TO-3", 1),
            written_off: None,
        }),
    ];
    Insight::from_records(config(), &recs).unwrap()
}

fn received(at: chrono::DateTime<chrono::Utc>, r: TransferRef, qty: &str, short: &str) -> Record {
    Record::TransferReceived(TransferReceived {
        at,
        transfer: r,
        qty: qty.parse().unwrap(),
        short: short.parse().unwrap(),
        over: "0 EA".parse().unwrap(),
        damaged: "0 EA".parse().unwrap(),
    })
}

#[test]
fn transfer_cycle_time_by_lane() {
    let s = transfers();
    let lane = Dim::Lane { from: "ATL".parse().unwrap(), to: "ORD".parse().unwrap() };
    let k = s.transfers(month(), &lane).unwrap();
    // TO-1: request 01-05 00:00, shipped 12:00, received 01-07 12:00: total 216,000 s,
    // transit 172,800. TO-2: request 06:00, shipped 01-06 06:00, received 01-08 06:00
    // (8 + 2 short covers the 10 shipped): total 259,200, transit 172,800. TO-3: 5 of 10
    // received, completed by its close on 01-09 00:00: total 259,200, transit 216,000.
    let total = k.total.value().copied().unwrap();
    assert_eq!((total.count, total.mean_secs), (3, dec("244800")));
    assert!(total.p50_secs.abs_diff(259_200) <= 259_200 / 128);
    assert!(total.p90_secs.abs_diff(259_200) <= 259_200 / 128);
    let transit = k.transit.value().copied().unwrap();
    assert_eq!(transit.mean_secs, dec("187200"));
    let approve = k.to_approve.value().copied().unwrap();
    assert_eq!((approve.count, approve.p50_secs), (1, 7_200 - 7_200 % 64 + 31)); // bucket middle
    assert_eq!((k.requested, k.approved, k.shipped, k.completed, k.closed), (3, 1, 3, 3, 1));
    // Receipts: TO-3 part (no discrepancy), TO-1 exact, TO-2 short: 2 of 3.
    assert_eq!(k.receipt_accuracy, Ratio::of_counts(2, 3));
    assert_eq!(k.short, dec("2"));
    assert_eq!(k.requested_value.to_string(), "250 USD");
    assert_eq!(s.transfers(month(), &Dim::Network).unwrap(), k);
}

/// A line shipped in two parts: the first shipment starts its transit and ends its time
/// to ship; it completes when everything requested has shipped and arrived. A third
/// shipment after that is refused, and a receipt of the first part alone does not
/// complete it.
#[test]
fn a_transfer_line_shipped_in_parts() {
    let ship = |at, qty: &str| {
        Record::TransferShipped(TransferShipped {
            at,
            transfer: tref("TO-9", 1),
            qty: qty.parse().unwrap(),
            expected_arrival: None,
        })
    };
    let recs = [
        requested(t(5, 0), tref("TO-9", 1), "ATL", "ORD", "BOLT", "10 EA", "100.00 USD"),
        ship(t(5, 12), "6 EA"),
        received(t(6, 0), tref("TO-9", 1), "6 EA", "0 EA"),
        ship(t(6, 12), "4 EA"),
        received(t(7, 12), tref("TO-9", 1), "4 EA", "0 EA"),
    ];
    let mut s = Insight::from_records(config(), &recs[..3]).unwrap();
    let k = s.transfers(month(), &Dim::Network).unwrap();
    assert_eq!((k.shipped, k.completed), (1, 0), "6 of 10 shipped and received: not complete");
    s.apply_all(&recs[3..]).unwrap();
    let k = s.transfers(month(), &Dim::Network).unwrap();
    assert_eq!((k.requested, k.shipped, k.completed, k.closed), (1, 1, 1, 0));
    // Transit from the first shipment (01-05 12:00) to the last receipt (01-07 12:00):
    // 172,800 s; total from the request: 216,000 s.
    assert_eq!(k.transit.value().copied().unwrap().mean_secs, dec("172800"));
    assert_eq!(k.total.value().copied().unwrap().mean_secs, dec("216000"));
    assert_eq!(k.receipt_accuracy, Ratio::of_counts(2, 2));
    let refused = s.apply(&ship(t(8, 0), "1 EA")).unwrap_err();
    assert!(matches!(refused, InsightError::TransferStep { .. }), "{refused:?}");
}

/// A line closed short: 10 shipped, 8 received in good order (a receipt with no
/// discrepancy on its own: the rest may still come), then closed, writing off the 2
/// that never arrived. The close is the line's last receipt, short by 2: receipt
/// accuracy 1 of 2, 2 units short. A second line closed with nothing written off adds
/// no receipt; a write-off on a line never shipped, or in another unit, is refused.
#[test]
fn a_transfer_line_closed_short_is_a_receipt_discrepancy() {
    let close = |at, doc: &str, written_off: Option<&str>| {
        Record::TransferClosed(TransferClosed {
            at,
            transfer: tref(doc, 1),
            written_off: written_off.map(|q| q.parse().unwrap()),
        })
    };
    let ship = |at, doc: &str| {
        Record::TransferShipped(TransferShipped {
            at,
            transfer: tref(doc, 1),
            qty: "10 EA".parse().unwrap(),
            expected_arrival: None,
        })
    };
    let recs = [
        requested(t(5, 0), tref("TO-5", 1), "ATL", "ORD", "BOLT", "10 EA", "100.00 USD"),
        requested(t(5, 0), tref("TO-6", 1), "ATL", "ORD", "NUT", "10 EA", "50.00 USD"),
        ship(t(5, 12), "TO-5"),
        ship(t(5, 12), "TO-6"),
        received(t(6, 0), tref("TO-5", 1), "8 EA", "0 EA"),
        received(t(6, 0), tref("TO-6", 1), "10 EA", "0 EA"),
        close(t(9, 0), "TO-5", Some("2 EA")),
        close(t(9, 0), "TO-6", Some("0 EA")),
    ];
    let mut s = Insight::from_records(config(), &recs).unwrap();
    let k = s.transfers(month(), &Dim::Network).unwrap();
    assert_eq!(k.receipt_accuracy, Ratio::of_counts(2, 3));
    assert_eq!(k.short, dec("2"));
    assert_eq!((k.completed, k.closed), (2, 2));
    // The write-off counts on the close's day.
    let ninth = s.transfers(Period::containing(Grain::Day, jan(9)), &Dim::Network).unwrap();
    assert_eq!(ninth.receipt_accuracy, Ratio::of_counts(0, 1));
    s.apply(&requested(t(9, 1), tref("TO-7", 1), "ATL", "ORD", "BOLT", "10 EA", "1.00 USD"))
        .unwrap();
    let before = s.snapshot();
    let e = s.apply(&close(t(9, 2), "TO-7", Some("1 EA"))).unwrap_err();
    assert!(matches!(e, InsightError::InvalidRecord { field: "written_off", .. }), "{e:?}");
    assert_eq!(s.snapshot(), before, "a refused close changes nothing");
    s.apply(&ship(t(9, 3), "TO-7")).unwrap();
    let before = s.snapshot();
    let e = s.apply(&close(t(9, 4), "TO-7", Some("1 CS"))).unwrap_err();
    assert!(matches!(e, InsightError::UnitMismatch { .. }), "{e:?}");
    assert_eq!(s.snapshot(), before, "a refused close changes nothing");
}

fn counts() -> Insight {
    use VelocityClass::{A, B};
    let recs = vec![
        // 07:00 in Atlanta (UTC-5): shift 0.
        count(t(5, 12), "ITEM-A", "ATL", A, "ANN", 100, 100, 2, "0.00 USD"),
        // 15:00: shift 1; 5 short of a tolerance of 2.
        count(t(5, 20), "ITEM-B", "ATL", B, "BOB", 50, 45, 2, "-25.00 USD"),
        // 23:00: shift 2; 2 over, at the tolerance: within.
        count(t(6, 4), "ITEM-B", "ATL", B, "BOB", 45, 47, 2, "10.00 USD"),
        // Out again, and one of ITEM-B's last 3 counts was out: a recurrence.
        count(t(7, 20), "ITEM-B", "ATL", B, "BOB", 47, 40, 2, "-35.00 USD"),
        count(t(7, 21), "ITEM-A", "ORD", A, "ANN", 10, 13, 1, "3.00 USD"),
    ];
    Insight::from_records(config(), &recs).unwrap()
}

#[test]
fn inventory_record_accuracy_and_variances() {
    let s = counts();
    let k = s.counts(month(), &Dim::Network).unwrap();
    assert_eq!(k.accuracy, Ratio::of_counts(2, 5));
    // Net 0 − 5 + 2 − 7 + 3 = −7; absolute 17; value −47.00, absolute 73.00.
    assert_eq!((k.net_units, k.abs_units), (dec("-7"), dec("17")));
    assert_eq!(
        (k.net_value.to_string(), k.abs_value.to_string()),
        ("-47 USD".into(), "73 USD".into())
    );
    let bob = s.counts(month(), &Dim::Counter("BOB".parse().unwrap())).unwrap();
    assert_eq!(bob.accuracy, Ratio::of_counts(1, 3));
    let class_a = s.counts(month(), &Dim::ItemClass(VelocityClass::A)).unwrap();
    assert_eq!(class_a.accuracy, Ratio::of_counts(1, 2));
    let shift = |n| Dim::Shift { site: "ATL".parse().unwrap(), shift: n };
    assert_eq!(s.counts(month(), &shift(1)).unwrap().accuracy, Ratio::of_counts(0, 2));
    assert_eq!(s.counts(month(), &shift(2)).unwrap().accuracy, Ratio::of_counts(1, 1));
    assert_eq!(
        s.counts(month(), &Dim::Site("ATL".parse().unwrap())).unwrap().accuracy,
        Ratio::of_counts(2, 4)
    );
}

#[test]
fn cycle_count_variance_recurrence() {
    use VelocityClass::B;
    // Three counts out of tolerance, one of which repeats within ITEM-B@ATL's last 3.
    let k = counts().counts(month(), &Dim::Network).unwrap();
    assert_eq!(k.recurrence, Ratio::of_counts(1, 3));
    // With a window of 1, the count before ITEM-B's second miss was within: none.
    let mut c = config();
    c.recurrence_window = 1;
    let mut s = Insight::new(c).unwrap();
    for r in [
        count(t(5, 20), "ITEM-B", "ATL", B, "BOB", 50, 45, 2, "0 USD"),
        count(t(6, 4), "ITEM-B", "ATL", B, "BOB", 45, 47, 2, "0 USD"),
        count(t(7, 20), "ITEM-B", "ATL", B, "BOB", 47, 40, 2, "0 USD"),
        count(t(8, 20), "ITEM-B", "ATL", B, "BOB", 40, 30, 2, "0 USD"),
    ] {
        s.apply(&r).unwrap();
    }
    assert_eq!(s.counts(month(), &Dim::Network).unwrap().recurrence, Ratio::of_counts(1, 3));
}

#[test]
fn in_transit_visibility() {
    let held = |at,
                doc: &str,
                owner: &str,
                qty: &str,
                value: &str,
                eta: Option<chrono::DateTime<chrono::Utc>>| {
        Record::InTransitHeld(InTransitHeld {
            at,
            transfer: tref(doc, 1),
            owner: owner.parse().unwrap(),
            qty: qty.parse().unwrap(),
            value: value.parse().unwrap(),
            expected_arrival: eta,
        })
    };
    let recs = vec![
        held(t(8, 0), "TO-9", "NA01", "500 EA", "5000.00 USD", None),
        held(t(10, 0), "TO-1", "NA01", "10 EA", "100.00 USD", Some(t(9, 0))),
        held(t(10, 0), "TO-2", "NA01", "30 EA", "300.00 USD", Some(t(12, 0))),
        held(t(10, 0), "TO-3", "NA01", "60 EA", "600.00 USD", None),
        held(t(10, 0), "TO-4", "EU01", "5 EA", "50.00 EUR", Some(t(11, 0))),
    ];
    let s = Insight::from_records(config(), &recs).unwrap();
    let k = s.in_transit(jan(10), &Dim::Network).unwrap();
    // 4 lines, 105 units; with an ETA 3 lines and 45 units; 400 of 1,000 USD and all
    // the EUR; TO-1 a day overdue.
    assert_eq!((k.lines, k.qty), (4, dec("105")));
    assert_eq!(k.lines_with_eta, Ratio::of_counts(3, 4));
    assert_eq!(k.qty_with_eta, Ratio::new(dec("45"), dec("105")));
    assert_eq!(k.value_with_eta.len(), 2);
    assert_eq!(k.value_with_eta[0].share, Ratio::new(dec("50.00"), dec("50.00")));
    assert_eq!(k.value_with_eta[1].share, Ratio::new(dec("400.00"), dec("1000.00")));
    assert_eq!((k.overdue_lines, k.overdue_value.to_string()), (1, "100.00 USD".into()));
    assert!(k.overdue_age.value().unwrap().p50_secs.abs_diff(86_400) <= 86_400 / 128);
    assert_eq!(k.by_owner.len(), 2);
    // On 01-08 only the first snapshot existed.
    let early = s.in_transit(jan(8), &Dim::Entity("NA01".parse().unwrap())).unwrap();
    assert_eq!((early.lines, early.lines_with_eta), (1, Ratio::of_counts(0, 1)));
    assert_eq!(
        s.in_transit(jan(7), &Dim::Network).unwrap().lines_with_eta.value(),
        Figure::NotEnoughData { have: 0, need: 1 }
    );
}

#[test]
fn inventory_aging_buckets() {
    let layer = |qty: &str, value: &str, received| {
        Record::StockLayer(StockLayer {
            at: date(2026, 3, 31).and_hms_opt(23, 0, 0).unwrap().and_utc(),
            entity: "NA01".parse().unwrap(),
            site: "ATL".parse().unwrap(),
            item: "BOLT".parse().unwrap(),
            qty: qty.parse().unwrap(),
            value: value.parse().unwrap(),
            received,
        })
    };
    let recs = vec![
        layer("10 EA", "100.00 USD", date(2026, 3, 20)), // 11 days
        layer("20 EA", "180.00 USD", date(2026, 1, 15)), // 75 days
        layer("5 EA", "40.00 USD", date(2025, 6, 30)),   // 274 days
    ];
    let s = Insight::from_records(config(), &recs).unwrap();
    let k = s.aging(date(2026, 3, 31), &Dim::Network).unwrap();
    let q: Vec<String> = k.buckets.iter().map(|b| b.qty.to_string()).collect();
    assert_eq!(q, ["10", "0", "20", "0", "5", "0"]);
    assert_eq!(k.buckets[2].value.to_string(), "180.00 USD");
    assert_eq!((k.buckets[2].from_days, k.buckets[2].to_days), (61, Some(90)));
    assert_eq!((k.buckets[5].from_days, k.buckets[5].to_days), (366, None));
    assert_eq!(s.aging(date(2026, 3, 30), &Dim::Network).unwrap().buckets[0].qty, dec("0"));
}

#[test]
fn manual_adjustment_volume() {
    let recs = vec![
        adjusted(t(5, 1), "BOLT", "ATL", "DAMAGED", "ANN", -3, "-30.00 USD"),
        adjusted(t(5, 2), "BOLT", "ATL", "FOUND", "BOB", 2, "20.00 USD"),
        adjusted(t(6, 1), "NUT", "ORD", "DAMAGED", "ANN", -1, "-10.00 USD"),
    ];
    let s = Insight::from_records(config(), &recs).unwrap();
    let k = s.adjustments(month(), &Dim::Network).unwrap();
    assert_eq!((k.count, k.increases, k.decreases), (3, 1, 2));
    assert_eq!((k.net_units, k.abs_units), (dec("-2"), dec("6")));
    assert_eq!(
        (k.net_value.to_string(), k.abs_value.to_string()),
        ("-20 USD".into(), "60 USD".into())
    );
    let damaged = s.adjustments(month(), &Dim::Reason("DAMAGED".parse().unwrap())).unwrap();
    assert_eq!((damaged.count, damaged.net_units), (2, dec("-4")));
    assert_eq!(s.adjustments(month(), &Dim::Actor("ANN".parse().unwrap())).unwrap().count, 2);
    assert_eq!(s.adjustments(month(), &Dim::Site("ORD".parse().unwrap())).unwrap().count, 1);
}

#[test]
fn reconciliation_effort() {
    let opened = |at, id: &str, e: &str, v: &str| {
        Record::MismatchOpened(MismatchOpened {
            at,
            id: id.parse().unwrap(),
            entity: e.parse().unwrap(),
            counterparty: if e == "NA01" {
                "EU01".parse().unwrap()
            } else {
                "NA01".parse().unwrap()
            },
            value: v.parse().unwrap(),
        })
    };
    let resolved =
        |at, id: &str| Record::MismatchResolved(MismatchResolved { at, id: id.parse().unwrap() });
    let recs = vec![
        opened(t(5, 0), "IC-1", "NA01", "500.00 USD"),
        opened(t(6, 0), "IC-2", "NA01", "200.00 USD"),
        opened(t(7, 0), "IC-3", "EU01", "100.00 EUR"),
        resolved(t(7, 12), "IC-3"),
        resolved(t(8, 0), "IC-1"),
    ];
    let s = Insight::from_records(config(), &recs).unwrap();
    let k = s.reconciliation(month(), &Dim::Network).unwrap();
    assert_eq!((k.opened, k.resolved, k.open_at_end), (3, 2, 1));
    // Ages at resolution: 3 days and 12 hours, mean 151,200 s.
    assert_eq!(k.resolution_age.value().unwrap().mean_secs, dec("151200"));
    assert_eq!(k.open_value_at_end.to_string(), "200.00 USD");
    // IC-2 is open from 01-06 00:00 to 01-31 23:59:59.
    let age = k.open_age_at_end.value().unwrap().mean_secs;
    assert_eq!(age, dec("2246399"));
    let eu = s.reconciliation(month(), &Dim::Entity("EU01".parse().unwrap())).unwrap();
    assert_eq!((eu.opened, eu.resolved, eu.open_at_end), (1, 1, 0));
}

#[test]
fn turns_days_and_average_inventory() {
    let valued = |at, v: &str| {
        Record::StockValued(StockValued {
            at,
            entity: "NA01".parse().unwrap(),
            site: "ATL".parse().unwrap(),
            value: v.parse().unwrap(),
        })
    };
    let recs = vec![
        valued(t(1, 0), "1000.00 USD"),
        Record::CostOfSales(CostOfSales {
            at: t(10, 0),
            entity: "NA01".parse().unwrap(),
            site: "ATL".parse().unwrap(),
            value: "1550.00 USD".parse().unwrap(),
        }),
        valued(t(16, 0), "2000.00 USD"),
    ];
    let s = Insight::from_records(config(), &recs).unwrap();
    let k = s.turns(month(), &Dim::Entity("NA01".parse().unwrap())).unwrap();
    // Day-end values: 1,000 for 01-01..15 (15 days), 2,000 for 01-16..31 (16 days):
    // average 47,000 / 31 = 1,516.129032. Turns 1,550 / 1,516.129032 = 1.022340;
    // days of inventory 1,516.129032 / (1,550 / 31) = 30.322581 (SCOR AM.2.2).
    assert_eq!((k.days, k.valued_days), (31, 31));
    let t0 = &k.by_currency[0];
    assert_eq!(t0.cogs, dec("1550.00"));
    assert_eq!(value(&t0.average_inventory), dec("1516.129032"));
    assert!((value(&t0.turns) - dec("1.022340")).abs() <= dec("0.000001"));
    assert_eq!(value(&t0.days_of_inventory), dec("30.322581"));
    assert!((value(&t0.annualized_turns) - dec("12.037")).abs() < dec("0.001"));
    // A period without cost of sales: turns are "not enough data", never NaN.
    let feb = s.turns(Period::containing(Grain::Month, date(2026, 2, 1)), &Dim::Network).unwrap();
    assert_eq!(value(&feb.by_currency[0].average_inventory), dec("2000"));
    assert_eq!(feb.by_currency[0].days_of_inventory, Figure::NotEnoughData { have: 0, need: 1 });
}

#[test]
fn a_week_is_the_merge_of_its_days() {
    let s = counts();
    let week = s.counts(Period::containing(Grain::Week, jan(5)), &Dim::Network).unwrap();
    let mut within = dec("0");
    let mut all = dec("0");
    for d in 5..12 {
        let k = s.counts(Period::containing(Grain::Day, jan(d)), &Dim::Network).unwrap();
        within += k.accuracy.numerator;
        all += k.accuracy.denominator;
    }
    assert_eq!(week.accuracy, Ratio::new(within, all));
    let r = s.report(month()).unwrap();
    assert!(r.to_string().contains("accuracy 40.0% (2/5)"), "{r}");
}

#[test]
fn empty_periods_and_thin_data_are_not_enough_data() {
    let s = Insight::new(config()).unwrap();
    let k = s.orders(month(), &Dim::Network).unwrap();
    assert_eq!(k.fill_requested.units.value(), Figure::NotEnoughData { have: 0, need: 1 });
    assert_eq!(k.cycle_time, Some(Figure::NotEnoughData { have: 0, need: 1 }));
    let k = s.transfers(month(), &Dim::Network).unwrap();
    assert_eq!(k.total, Figure::NotEnoughData { have: 0, need: 1 });
    let k = s.turns(month(), &Dim::Network).unwrap();
    assert!(k.by_currency.is_empty());
    let r = s.report(month()).unwrap();
    assert!(r.to_string().contains("n/a"));
}
