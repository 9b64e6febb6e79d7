//! Issue 20 in insight: records undone by a ledger reversal ([`Reversed`]) leave the
//! figures they fed, and goods sent back to a supplier ([`SupplierReturned`]) count as
//! trouble after that supplier's receipts. Worked by hand, then as properties.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::*;
use onhand_insight::*;
use proptest::prelude::*;

fn month() -> Period {
    Period::containing(Grain::Month, jan(1))
}

fn rev(at: chrono::DateTime<chrono::Utc>, original: &Record) -> Record {
    Record::Reversed(Reversed { at, original: Box::new(original.clone()) })
}

fn ratio(n: u64, d: u64) -> Ratio {
    Ratio::of_counts(n, d)
}

/// On shipments (the `onhand` feed's basis):
///
/// | line | ordered | requested | promise | shipments |
/// |---|---|---|---|---|
/// | SO-9/1 | 100 | 01-07 | 100 ATL 01-07 | 60 on 01-06, 40 on 01-07 (in full) |
/// | SO-9/2 | 50 | 01-07 | 50 ATL 01-07 | 50 on 01-07 (in full) |
///
/// Before: 150 of 150 units on time, lines 2 of 2, order 1 of 1; promise accuracy 2
/// of 2; SO-9 complete on 01-07, perfect.
///
/// The shipment of 60 on 01-06 is reversed on 01-08: SO-9/1 has shipped 40 of 100, so
/// 40 + 50 = 90 of 150 units on time, 1 of 2 lines, 0 of 1 orders filled; promise
/// accuracy 1 of 2 (40 < 100 by 01-07); the line is open again, so SO-9 is not
/// complete and no perfect order is counted. The 60 ship again on 01-09: the units are
/// late (still 90 of 150 on time), the line is complete on 01-09 after its commit date
/// 01-07, so SO-9 is complete, in full, not on time: 0 perfect of 1.
#[test]
fn a_reversed_shipment_un_ships_its_line() {
    let mut c = config();
    c.basis = Basis::Shipment;
    let first = shipped(t(6, 10), line("SO-9", 1), "ATL", "60 EA", false);
    let recs = vec![
        created(t(5, 8), line("SO-9", 1), "RETAIL", "BOLT", "100 EA", jan(7)),
        created(t(5, 8), line("SO-9", 2), "RETAIL", "NUT", "50 EA", jan(7)),
        promised(t(5, 9), line("SO-9", 1), &[("ATL", "100 EA", jan(7))]),
        promised(t(5, 9), line("SO-9", 2), &[("ATL", "50 EA", jan(7))]),
        first.clone(),
        shipped(t(7, 10), line("SO-9", 1), "ATL", "40 EA", true),
        shipped(t(7, 11), line("SO-9", 2), "ATL", "50 EA", true),
    ];
    let mut s = Insight::from_records(c, &recs).unwrap();
    let k = s.orders(month(), &Dim::Network).unwrap();
    assert_eq!(k.fill_requested.units, Ratio::new(dec("150"), dec("150")));
    assert_eq!((k.fill_requested.lines, k.fill_requested.orders), (ratio(2, 2), Some(ratio(1, 1))));
    assert_eq!(k.promise_accuracy, ratio(2, 2));
    assert_eq!(k.perfect_order.unwrap().perfect, ratio(1, 1));

    s.apply(&rev(t(8, 9), &first)).unwrap();
    let k = s.orders(month(), &Dim::Network).unwrap();
    assert_eq!(k.fill_requested.units, Ratio::new(dec("90"), dec("150")));
    assert_eq!(k.fill_promised.units, Ratio::new(dec("90"), dec("150")));
    assert_eq!((k.fill_requested.lines, k.fill_requested.orders), (ratio(1, 2), Some(ratio(0, 1))));
    assert_eq!(k.promise_accuracy, ratio(1, 2));
    // SO-9 is open again: no complete order to count.
    assert_eq!(k.perfect_order.unwrap().perfect, ratio(0, 0));
    // Reversed twice: refused, nothing changes.
    let before = s.report(month()).unwrap();
    assert!(matches!(
        s.apply(&rev(t(8, 10), &first)),
        Err(InsightError::InvalidRecord { field: "original", .. })
    ));
    assert_eq!(s.report(month()).unwrap(), before);

    s.apply(&shipped(t(9, 10), line("SO-9", 1), "ATL", "60 EA", true)).unwrap();
    let k = s.orders(month(), &Dim::Network).unwrap();
    assert_eq!(k.fill_requested.units, Ratio::new(dec("90"), dec("150")));
    assert_eq!(k.fill_requested.lines, ratio(1, 2));
    let p = k.perfect_order.unwrap();
    assert_eq!((p.perfect, p.in_full, p.on_time), (ratio(0, 1), ratio(1, 1), ratio(0, 1)));
}

/// The adjustments of the volume test: ANN −3 (−30.00), BOB +2 (20.00), ANN −1
/// (−10.00). BOB's is reversed: 2 adjustments, both decreases, net −4 units and
/// −40.00, absolute 4 units and 40.00; BOB has none left.
#[test]
fn a_reversed_adjustment_leaves_the_adjustment_volume() {
    let found = adjusted(t(5, 2), "BOLT", "ATL", "FOUND", "BOB", 2, "20.00 USD");
    let recs = vec![
        adjusted(t(5, 1), "BOLT", "ATL", "DAMAGED", "ANN", -3, "-30.00 USD"),
        found.clone(),
        adjusted(t(6, 1), "NUT", "ORD", "DAMAGED", "ANN", -1, "-10.00 USD"),
        rev(t(7, 0), &found),
    ];
    let s = Insight::from_records(config(), &recs).unwrap();
    let k = s.adjustments(month(), &Dim::Network).unwrap();
    assert_eq!((k.count, k.increases, k.decreases), (2, 0, 2));
    assert_eq!((k.net_units, k.abs_units), (dec("-4"), dec("4")));
    assert_eq!(
        (k.net_value.to_string(), k.abs_value.to_string()),
        ("-40 USD".into(), "40 USD".into())
    );
    assert_eq!(s.adjustments(month(), &Dim::Actor("BOB".parse().unwrap())).unwrap().count, 0);
}

fn supplier_returned(
    at: chrono::DateTime<chrono::Utc>,
    supplier: &str,
    item: &str,
    qty: i64,
) -> Record {
    Record::SupplierReturned(SupplierReturned {
        at,
        supplier: supplier.parse().unwrap(),
        item: item.parse().unwrap(),
        site: "ATL".parse().unwrap(),
        qty: format!("{qty} EA").parse().unwrap(),
        value: format!("{qty}.00 USD").parse().unwrap(),
    })
}

/// Follow-up window 7 days, all at Atlanta:
///
/// | when | record | FASTEN receipts / followed | ACME receipts / followed |
/// |---|---|---|---|
/// | 01-05 10:00 | FASTEN BOLT 100 | 1 / 0 | |
/// | 01-05 11:00 | FASTEN NUT 50 | 2 / 0 | |
/// | 01-05 11:30 | ACME NUT 20 | | 1 / 0 |
/// | 01-05 12:00 | ACME BOLT 30 | | 2 / 0 |
/// | 01-06 09:00 | BOLT adjusted −5: both BOLT receipts followed | 2 / 1 | 2 / 1 |
/// | 01-06 13:00 | 10 NUT back to FASTEN: FASTEN's NUT receipt only | 2 / 2 | 2 / 1 |
/// | 01-07 08:00 | FASTEN TAPE 5 | 3 / 2 | |
/// | 01-07 09:00 | FASTEN TAPE reversed: was pending (not followed) | 2 / 2 | |
/// | 01-07 10:00 | FASTEN BOLT reversed, in its window: was followed | 1 / 1 | |
/// | 01-20 10:00 | ACME BOLT reversed, past its window: the sample keeps it | | 2 / 1 |
///
/// Units: FASTEN 50 (100 + 50 + 5 − 5 − 100), ACME 20 (20 + 30 − 30).
#[test]
fn reversed_receipts_and_returns_to_supplier_in_the_follow_up_figures() {
    let bolt = receipt(t(5, 10), "FASTEN", "BOLT", "ATL", 100);
    let acme_bolt = receipt(t(5, 12), "ACME", "BOLT", "ATL", 30);
    let tape = receipt(t(7, 8), "FASTEN", "TAPE", "ATL", 5);
    let recs = vec![
        bolt.clone(),
        receipt(t(5, 11), "FASTEN", "NUT", "ATL", 50),
        Record::SupplierReceipt(SupplierReceipt {
            at: t(5, 11) + chrono::Duration::minutes(30),
            supplier: "ACME".parse().unwrap(),
            item: "NUT".parse().unwrap(),
            site: "ATL".parse().unwrap(),
            qty: "20 EA".parse().unwrap(),
            value: "20.00 USD".parse().unwrap(),
        }),
        acme_bolt.clone(),
        adjusted(t(6, 9), "BOLT", "ATL", "DAMAGED", "ANN", -5, "-5.00 USD"),
        supplier_returned(t(6, 13), "FASTEN", "NUT", 10),
        tape.clone(),
        rev(t(7, 9), &tape),
        rev(t(7, 10), &bolt),
        rev(t(20, 10), &acme_bolt),
    ];
    let mut s = Insight::new(config()).unwrap();
    let mut figures = Vec::new();
    for r in &recs {
        s.apply(r).unwrap();
        let f = |x: &str| {
            let k = s.supplier_receipts(month(), Some(&x.parse().unwrap())).unwrap();
            (k.receipts, k.followed)
        };
        figures.push((f("FASTEN"), f("ACME")));
    }
    assert_eq!(
        figures,
        vec![
            ((1, 0), (0, 0)),
            ((2, 0), (0, 0)),
            ((2, 0), (1, 0)),
            ((2, 0), (2, 0)),
            ((2, 1), (2, 1)),
            ((2, 2), (2, 1)),
            ((3, 2), (2, 1)),
            ((2, 2), (2, 1)),
            ((1, 1), (2, 1)),
            ((1, 1), (2, 1)),
        ]
    );
    let fasten = s.supplier_receipts(month(), Some(&"FASTEN".parse().unwrap())).unwrap();
    let usd = "USD".parse().unwrap();
    assert_eq!((fasten.qty, fasten.value.get(usd)), (dec("50"), dec("50")));
    assert_eq!(fasten.followed_share, ratio(1, 1));
    let acme = s.supplier_receipts(month(), Some(&"ACME".parse().unwrap())).unwrap();
    assert_eq!((acme.qty, acme.value.get(usd)), (dec("20"), dec("20")));
    assert_eq!(s.supplier_receipts(month(), None).unwrap().receipts, 3);
}

#[test]
fn a_reversal_insight_cannot_follow_is_refused_and_changes_nothing() {
    let adj = adjusted(t(5, 1), "BOLT", "ATL", "DAMAGED", "ANN", -3, "-30.00 USD");
    let mut s = Insight::from_records(config(), std::slice::from_ref(&adj)).unwrap();
    let before = s.report(month()).unwrap();
    let bad = |e: Result<(), InsightError>| {
        matches!(e, Err(InsightError::InvalidRecord { field: "original", .. }))
    };
    // A kind insight does not reverse, a record never taken in, one later than its
    // reversal, a reversal of a reversal.
    assert!(bad(s.apply(&rev(
        t(6, 0),
        &count(t(5, 0), "BOLT", "ATL", onhand_master::VelocityClass::A, "ANN", 5, 5, 1, "0.00 USD")
    ))));
    assert!(bad(s.apply(&rev(
        t(6, 0),
        &adjusted(t(5, 1), "BOLT", "ATL", "DAMAGED", "BOB", -3, "-30.00 USD")
    ))));
    assert!(bad(s.apply(&rev(
        t(6, 0),
        &adjusted(t(7, 1), "BOLT", "ATL", "DAMAGED", "ANN", -3, "-30.00 USD")
    ))));
    assert!(bad(s.apply(&rev(t(6, 0), &rev(t(5, 2), &adj)))));
    assert!(bad(s.apply(&rev(t(6, 0), &receipt(t(5, 0), "FASTEN", "BOLT", "ATL", 1)))));
    assert_eq!(s.report(month()).unwrap(), before);
    assert_eq!(s.records(), 1);
}

/// A stream of adjustments, damage and supplier receipts over four days, and a choice
/// of them to reverse.
fn stock_history(ops: &[(u8, u32, bool)]) -> (Vec<Record>, Vec<usize>) {
    const ITEMS: [&str; 3] = ["BOLT", "NUT", "TAPE"];
    const SITES: [&str; 2] = ["ATL", "ORD"];
    let mut out = Vec::new();
    let mut chosen = Vec::new();
    for (i, &(op, a, pick)) in ops.iter().enumerate() {
        let at = at(0.0) + chrono::Duration::minutes(36 * i64::try_from(i).unwrap_or(0));
        let item = ITEMS[(a % 3) as usize];
        let site = SITES[(a / 3 % 2) as usize];
        let q = i64::from(a % 9) - 4;
        out.push(match op % 3 {
            0 => adjusted(
                at,
                item,
                site,
                ["DAMAGED", "FOUND"][(a % 2) as usize],
                ["ANN", "BOB"][(a / 2 % 2) as usize],
                q,
                &format!("{q}.50 USD"),
            ),
            1 => Record::StockDamaged(StockDamaged {
                at,
                item: item.parse().unwrap(),
                site: site.parse().unwrap(),
                kind: [DamageKind::Damaged, DamageKind::Hold, DamageKind::Scrapped]
                    [(a % 3) as usize],
                qty: format!("{} EA", 1 + a % 5).parse().unwrap(),
                value: format!("{}.10 USD", 1 + a % 5).parse().unwrap(),
            }),
            _ => {
                receipt(at, ["FASTEN", "ACME"][(a % 2) as usize], item, site, i64::from(1 + a % 7))
            }
        });
        if pick {
            chosen.push(i);
        }
    }
    (out, chosen)
}

fn stock_ops() -> impl Strategy<Value = Vec<(u8, u32, bool)>> {
    prop::collection::vec((any::<u8>(), any::<u32>(), any::<bool>()), 1..80)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Reversing any choice of adjustments and damage gives the adjustment volume of a
    /// history without them, by every dimension and day.
    #[test]
    fn reversed_adjustments_and_damage_count_as_never_taken_in(ops in stock_ops()) {
        let (records, chosen) = stock_history(&ops);
        let chosen: Vec<usize> = chosen.into_iter().filter(|i| !matches!(records[*i], Record::SupplierReceipt(_))).collect();
        let end = at(3.0);
        let mut with = records.clone();
        with.extend(chosen.iter().map(|i| rev(end, &records[*i])));
        let without: Vec<Record> = records.iter().enumerate().filter(|(i, _)| !chosen.contains(i)).map(|(_, r)| r.clone()).collect();
        let a = Insight::from_records(config(), &with).unwrap();
        let b = Insight::from_records(config(), &without).unwrap();
        for p in [month(), Period::containing(Grain::Day, jan(5)), Period::containing(Grain::Day, jan(6))] {
            for dim in [Dim::Network, Dim::Site("ATL".parse().unwrap()), Dim::Actor("ANN".parse().unwrap()), Dim::Reason("FOUND".parse().unwrap())] {
                prop_assert_eq!(a.adjustments(p, &dim).unwrap(), b.adjustments(p, &dim).unwrap());
            }
        }
    }

    /// Reversing any choice of supplier receipts inside their follow-up window gives
    /// the supplier figures of a history without them (trouble is not reversed here:
    /// its charges stay, as documented).
    #[test]
    fn receipts_reversed_in_their_window_count_as_never_taken_in(ops in stock_ops()) {
        let (records, chosen) = stock_history(&ops);
        let chosen: Vec<usize> = chosen.into_iter().filter(|i| matches!(records[*i], Record::SupplierReceipt(_))).collect();
        let end = at(3.0);
        let mut with = records.clone();
        with.extend(chosen.iter().map(|i| rev(end, &records[*i])));
        let without: Vec<Record> = records.iter().enumerate().filter(|(i, _)| !chosen.contains(i)).map(|(_, r)| r.clone()).collect();
        let a = Insight::from_records(config(), &with).unwrap();
        let b = Insight::from_records(config(), &without).unwrap();
        for p in [month(), Period::containing(Grain::Day, jan(5)), Period::containing(Grain::Day, jan(6))] {
            for s in [None, Some("FASTEN"), Some("ACME")] {
                let s = s.map(|x| x.parse().unwrap());
                prop_assert_eq!(a.supplier_receipts(p, s.as_ref()).unwrap(), b.supplier_receipts(p, s.as_ref()).unwrap());
            }
        }
    }
}
