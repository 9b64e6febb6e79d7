//! Reversals and returns to supplier, worked by hand on the demo network (NA01: USD,
//! FIFO; CA01: CAD, moving average; NA01's GLUE-500 at a standard in the standard case).

#![allow(
    clippy::unwrap_used,
    clippy::too_many_lines,
    reason = "test code: a failed unwrap is a failed test, and a case reads best in one piece"
)]

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use onhand_master::{Catalog, Decimal, EntityCode, seed};
use onhand_valuation::{
    CostBody, CostEvent, IssueTo, Method, MethodOverride, Outcome, Posting, PostingKey,
    PostingKind, Standard, Valuation, ValuationConfig, ValuationError, unbalanced,
};
use proptest::prelude::*;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn at(hour: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_600_000 + hour * 3600, 0).unwrap()
}

fn e(code: &str) -> EntityCode {
    code.parse().unwrap()
}

fn catalog() -> Arc<Catalog> {
    Arc::new(Catalog::new(seed::demo_network()).unwrap())
}

fn engine(config: ValuationConfig) -> Valuation {
    Valuation::new(catalog(), config).unwrap()
}

fn ev(id: u64, body: CostBody) -> CostEvent {
    CostEvent { id, at: at(i64::try_from(id).unwrap()), body }
}

fn receipt(site: &str, item: &str, qty: &str, cost: &str) -> CostBody {
    CostBody::Receipt {
        site: site.parse().unwrap(),
        item: item.parse().unwrap(),
        qty: qty.parse().unwrap(),
        unit_cost: cost.parse().unwrap(),
        owner: None,
    }
}

fn issue(site: &str, item: &str, qty: &str, to: IssueTo) -> CostBody {
    CostBody::Issue {
        site: site.parse().unwrap(),
        item: item.parse().unwrap(),
        qty: qty.parse().unwrap(),
        to,
        owner: None,
    }
}

fn back(receipt: u64, qty: &str) -> CostBody {
    CostBody::SupplierReturn { receipt, qty: qty.parse().unwrap() }
}

fn reverse(original: u64) -> CostBody {
    CostBody::Reversal { original }
}

fn posted(v: &mut Valuation, ev: &CostEvent) -> Vec<Posting> {
    let out = v.apply(ev).unwrap();
    let Outcome::Posted { postings, .. } = out else { panic!("duplicate") };
    assert!(unbalanced(&postings).is_empty(), "{postings:#?}");
    postings
}

fn amount(postings: &[Posting], key: PostingKey) -> Decimal {
    postings.iter().filter(|p| p.key == key).map(|p| p.amount).sum()
}

fn pool(v: &Valuation, entity: &str, item: &str) -> (Decimal, Decimal) {
    let p = v.pool(&e(entity), &item.parse().unwrap(), None).unwrap();
    (p.qty, p.value)
}

/// FIFO: buy 100 @ 1.00 and 50 @ 1.20. Return 20 of the second receipt to the
/// supplier while the first is still held: they come out of the second layer, 20 x
/// 1.20 = 24.00 against goods received, leaving 100 @ 100.00 and 30 @ 36.00. Sell 110:
/// 100.00 and 10/30 of 36.00 = 12.00, 112.00; 20 of the second receipt stay, worth
/// 24.00. Reverse the sale: 110 come back at 112.00 against cost of sales (a new
/// layer), 130 worth 136.00.
#[test]
fn fifo_returns_to_supplier_and_reversals_by_hand() {
    let mut v = engine(ValuationConfig::default());
    posted(&mut v, &ev(1, receipt("ATL", "BOLT-M8", "100 EA", "1.00 USD")));
    posted(&mut v, &ev(2, receipt("ATL", "BOLT-M8", "50 EA", "1.20 USD")));
    let p = posted(&mut v, &ev(3, back(2, "20 EA")));
    assert_eq!(amount(&p, PostingKey::GoodsReceived), d("24.00"));
    assert_eq!(amount(&p, PostingKey::Inventory), d("-24.00"));
    assert_eq!(amount(&p, PostingKey::PriceVariance), Decimal::ZERO);
    let view = v.pool(&e("NA01"), &"BOLT-M8".parse().unwrap(), None).unwrap();
    let layers: Vec<_> = view.layers.iter().map(|l| (l.origin, l.qty, l.value)).collect();
    assert_eq!(layers, [(1, d("100"), d("100.00")), (2, d("30"), d("36.00"))]);
    let p = posted(&mut v, &ev(4, issue("ATL", "BOLT-M8", "110 EA", IssueTo::Sale)));
    assert_eq!(amount(&p, PostingKey::CostOfSales), d("112.00"));
    assert_eq!(pool(&v, "NA01", "BOLT-M8"), (d("20"), d("24.00")));
    // 50 came in, 20 went back: 31 more is too many; 21 is more than its layer holds;
    // and the receipt, partly returned, can no longer be reversed exactly.
    let err = v.apply(&ev(6, back(2, "31 EA"))).unwrap_err();
    assert!(matches!(err, ValuationError::ReturnExceedsReceipt { .. }), "{err:?}");
    assert_eq!(v.apply(&ev(6, back(2, "21 EA"))).unwrap_err().code(), "insufficient");
    assert_eq!(v.apply(&ev(6, reverse(2))).unwrap_err().code(), "reversal_refused");
    // The first receipt's layer is gone.
    assert_eq!(v.apply(&ev(6, back(1, "1 EA"))).unwrap_err().code(), "insufficient");

    let p = posted(&mut v, &ev(7, reverse(4)));
    assert_eq!(amount(&p, PostingKey::Inventory), d("112.00"));
    assert_eq!(amount(&p, PostingKey::CostOfSales), d("-112.00"));
    assert_eq!(pool(&v, "NA01", "BOLT-M8"), (d("130"), d("136.00")));
    assert_eq!(v.apply(&ev(8, reverse(4))).unwrap_err(), ValuationError::AlreadyReversed(4));
    assert_eq!(v.apply(&ev(8, reverse(7))).unwrap_err().code(), "not_reversible");
    assert_eq!(v.apply(&ev(8, reverse(99))).unwrap_err(), ValuationError::UnknownOriginal(99));
    // A supplier return names a goods receipt, not a sale.
    assert_eq!(v.apply(&ev(8, back(4, "1 EA"))).unwrap_err().code(), "unknown_receipt");
    // The same reversal again is a duplicate, not a second reversal.
    assert_eq!(v.apply(&ev(7, reverse(4))).unwrap(), Outcome::Duplicate);
}

/// FIFO: buy 10 @ 1.00, 5 @ 2.00 and 4 @ 3.00, and reverse the middle receipt while
/// the older stock is held: exactly 10.00 leaves against goods received, and the
/// layers before and after it are untouched (10 @ 10.00, 4 @ 12.00). A sale of 12
/// then takes 10.00 and 2 @ 3.00: 16.00.
#[test]
fn fifo_reverses_a_receipt_behind_older_stock() {
    let mut v = engine(ValuationConfig::default());
    posted(&mut v, &ev(1, receipt("ATL", "GLUE-500", "10 EA", "1.00 USD")));
    posted(&mut v, &ev(2, receipt("ATL", "GLUE-500", "5 EA", "2.00 USD")));
    posted(&mut v, &ev(3, receipt("ATL", "GLUE-500", "4 EA", "3.00 USD")));
    let p = posted(&mut v, &ev(4, reverse(2)));
    assert_eq!(amount(&p, PostingKey::GoodsReceived), d("10.00"));
    assert_eq!(amount(&p, PostingKey::Inventory), d("-10.00"));
    let view = v.pool(&e("NA01"), &"GLUE-500".parse().unwrap(), None).unwrap();
    let layers: Vec<_> = view.layers.iter().map(|l| (l.origin, l.qty, l.value)).collect();
    assert_eq!(layers, [(1, d("10"), d("10.00")), (3, d("4"), d("12.00"))]);
    let p = posted(&mut v, &ev(5, issue("ATL", "GLUE-500", "12 EA", IssueTo::Sale)));
    assert_eq!(amount(&p, PostingKey::CostOfSales), d("16.00"));
    assert_eq!(pool(&v, "NA01", "GLUE-500"), (d("2"), d("6.00")));
}

/// Moving average: buy 100 @ 10.00 and 100 @ 12.00 (average 11.00). Return 50 of the
/// second to the supplier at 12.00: 600.00 leaves, 150 stay worth 1,600.00 (10.6667).
/// Sell 30: 30/150 of 1,600.00 = 320.00. Reverse the first receipt: 100 leave at
/// exactly 1,000.00, 20 stay worth 280.00.
#[test]
fn moving_average_returns_and_reversals_by_hand() {
    let mut v = engine(ValuationConfig::default());
    posted(&mut v, &ev(1, receipt("YYZ", "BOLT-M8", "100 EA", "10.00 CAD")));
    posted(&mut v, &ev(2, receipt("YYZ", "BOLT-M8", "100 EA", "12.00 CAD")));
    let p = posted(&mut v, &ev(3, back(2, "50 EA")));
    assert_eq!(amount(&p, PostingKey::GoodsReceived), d("600.00"));
    assert_eq!(amount(&p, PostingKey::Inventory), d("-600.00"));
    assert_eq!(pool(&v, "CA01", "BOLT-M8"), (d("150"), d("1600.00")));
    let p = posted(&mut v, &ev(4, issue("YYZ", "BOLT-M8", "30 EA", IssueTo::Sale)));
    assert_eq!(amount(&p, PostingKey::CostOfSales), d("320.00"));
    let p = posted(&mut v, &ev(5, reverse(1)));
    assert_eq!(amount(&p, PostingKey::GoodsReceived), d("1000.00"));
    assert_eq!(amount(&p, PostingKey::Inventory), d("-1000.00"));
    assert_eq!(pool(&v, "CA01", "BOLT-M8"), (d("20"), d("280.00")));

    // Buy 10 @ 1.00 and 10 @ 2.00, sell 15 (22.50): the second receipt's 10 are no
    // longer all held, so it cannot be reversed.
    let mut v = engine(ValuationConfig::default());
    posted(&mut v, &ev(1, receipt("YYZ", "GLUE-500", "10 EA", "1.00 CAD")));
    posted(&mut v, &ev(2, receipt("YYZ", "GLUE-500", "10 EA", "2.00 CAD")));
    let p = posted(&mut v, &ev(3, issue("YYZ", "GLUE-500", "15 EA", IssueTo::Sale)));
    assert_eq!(amount(&p, PostingKey::CostOfSales), d("22.50"));
    let err = v.apply(&ev(4, reverse(2))).unwrap_err();
    assert_eq!(
        err,
        ValuationError::ReversalRefused { original: 2, reason: "part of its stock left since" }
    );
    // Reversing the sale brings back 15 at 22.50: 20 worth 30.00, as before it.
    posted(&mut v, &ev(4, reverse(3)));
    assert_eq!(pool(&v, "CA01", "GLUE-500"), (d("20"), d("30.00")));
}

fn standard_engine() -> Valuation {
    engine(ValuationConfig {
        methods: vec![MethodOverride {
            entity: e("NA01"),
            item: "GLUE-500".parse().unwrap(),
            method: Method::Standard,
        }],
        standards: vec![Standard {
            entity: e("NA01"),
            item: "GLUE-500".parse().unwrap(),
            site: None,
            cost: "4.00 USD".parse().unwrap(),
        }],
        ..ValuationConfig::default()
    })
}

/// Standard 4.00: buy 100 @ 4.20 (inventory 400.00, price variance 20.00). Return 30 to
/// the supplier at 4.20: goods received 126.00, inventory 120.00 at standard, and the
/// price variance of those units (6.00) back. Buy 10 @ 3.90 and reverse it: exactly
/// the receipt's lines the other way (inventory 40.00, variance 1.00 credit back).
#[test]
fn standard_returns_and_reversals_by_hand() {
    let mut v = standard_engine();
    let p = posted(&mut v, &ev(1, receipt("ORD", "GLUE-500", "100 EA", "4.20 USD")));
    assert_eq!(amount(&p, PostingKey::PriceVariance), d("20.00"));
    let p = posted(&mut v, &ev(2, back(1, "30 EA")));
    assert_eq!(amount(&p, PostingKey::GoodsReceived), d("126.00"));
    assert_eq!(amount(&p, PostingKey::Inventory), d("-120.00"));
    assert_eq!(amount(&p, PostingKey::PriceVariance), d("-6.00"));
    let r = posted(&mut v, &ev(3, receipt("ORD", "GLUE-500", "10 EA", "3.90 USD")));
    let p = posted(&mut v, &ev(4, reverse(3)));
    for key in [PostingKey::Inventory, PostingKey::PriceVariance, PostingKey::GoodsReceived] {
        assert_eq!(amount(&p, key), -amount(&r, key), "{key:?}");
    }
    assert_eq!(pool(&v, "NA01", "GLUE-500"), (d("70"), d("280.00")));
    // An issue at 4.00, then a new standard of 5.00: the units would come back at
    // another value, so the issue cannot be reversed exactly.
    posted(&mut v, &ev(5, issue("ORD", "GLUE-500", "5 EA", IssueTo::Scrap)));
    posted(
        &mut v,
        &ev(
            6,
            CostBody::StandardCost {
                entity: e("NA01"),
                item: "GLUE-500".parse().unwrap(),
                site: None,
                cost: "5.00 USD".parse().unwrap(),
            },
        ),
    );
    let err = v.apply(&ev(7, reverse(5))).unwrap_err();
    assert_eq!(
        err,
        ValuationError::ReversalRefused { original: 5, reason: "the standard cost changed since" }
    );
}

/// A supplier return dated before a later sale is replayed into the pool's history:
/// buy 10 @ 1.00 (hour 1) and 10 @ 2.00 (hour 3), sell 10 (hour 5, 10.00). Returning 4
/// of the first receipt at hour 2 leaves 6 of it for the sale, which now costs
/// 6.00 + 4 x 2.00 = 14.00: a correction of 4.00 to cost of sales.
#[test]
fn a_back_dated_return_to_supplier_corrects_later_issues() {
    let mut v = engine(ValuationConfig::default());
    posted(&mut v, &ev(1, receipt("ATL", "GLUE-500", "10 EA", "1.00 USD")));
    posted(&mut v, &ev(3, receipt("ATL", "GLUE-500", "10 EA", "2.00 USD")));
    posted(&mut v, &ev(5, issue("ATL", "GLUE-500", "10 EA", IssueTo::Sale)));
    let p = posted(&mut v, &CostEvent { id: 9, at: at(2), body: back(1, "4 EA") });
    assert_eq!(amount(&p, PostingKey::GoodsReceived), d("4.00"));
    let corrected: Decimal = p
        .iter()
        .filter(|x| x.kind == PostingKind::Correction && x.key == PostingKey::CostOfSales)
        .map(|x| x.amount)
        .sum();
    assert_eq!(corrected, d("4.00"));
    assert_eq!(pool(&v, "NA01", "GLUE-500"), (d("6"), d("12.00")));
    // The history replays from its base to the same pool.
    let snap = v.snapshot();
    let back_again = Valuation::restore(catalog(), ValuationConfig::default(), &snap).unwrap();
    assert_eq!(back_again.pools(), v.pools());
}

/// What a snapshot keeps: returns, reversals and the refusals they imply.
#[test]
fn reversals_and_returns_survive_a_snapshot() {
    let mut v = engine(ValuationConfig::default());
    posted(&mut v, &ev(1, receipt("YYZ", "BOLT-M8", "10 EA", "1.00 CAD")));
    posted(&mut v, &ev(2, back(1, "4 EA")));
    posted(&mut v, &ev(3, issue("YYZ", "BOLT-M8", "2 EA", IssueTo::Scrap)));
    posted(&mut v, &ev(4, reverse(3)));
    let json = serde_json::to_string(&v.snapshot()).unwrap();
    let mut w = Valuation::restore(
        catalog(),
        ValuationConfig::default(),
        &serde_json::from_str(&json).unwrap(),
    )
    .unwrap();
    assert_eq!(w.pools(), v.pools());
    for v in [&mut v, &mut w] {
        assert_eq!(v.apply(&ev(5, reverse(3))).unwrap_err(), ValuationError::AlreadyReversed(3));
        assert_eq!(v.apply(&ev(5, back(1, "7 EA"))).unwrap_err().code(), "return_exceeds_receipt");
        assert_eq!(v.apply(&ev(5, reverse(4))).unwrap_err().code(), "not_reversible");
    }
}

/// A receipt or an issue and the method's pool, generated.
#[derive(Debug, Clone)]
enum Step {
    In { qty: u32, cents: u32 },
    Out { qty: u32, to: IssueTo },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (1u32..50, 1u32..500).prop_map(|(qty, cents)| Step::In { qty, cents }),
        (
            1u32..40,
            prop_oneof![Just(IssueTo::Sale), Just(IssueTo::Scrap), Just(IssueTo::Adjustment)]
        )
            .prop_map(|(qty, to)| Step::Out { qty, to }),
    ]
}

/// Quantity and value of every pool holding anything.
fn held(pools: &[onhand_valuation::PoolView]) -> Vec<(Decimal, Decimal)> {
    pools.iter().map(|p| (p.qty, p.value)).filter(|(q, v)| !q.is_zero() || !v.is_zero()).collect()
}

fn sums(postings: &[Posting]) -> BTreeMap<PostingKey, Decimal> {
    let mut m = BTreeMap::new();
    for p in postings {
        *m.entry(p.key).or_default() += p.amount;
    }
    m.retain(|_, v: &mut Decimal| !v.is_zero());
    m
}

proptest! {
    /// Reversing an event right after it (FIFO, moving average, standard) puts the pool
    /// back where it was and posts exactly the original's amounts the other way, per
    /// account; a second reversal is refused and changes nothing.
    #[test]
    fn a_reversal_right_after_its_original_undoes_it_exactly(
        steps in prop::collection::vec(step(), 1..20),
        last in step(),
        site in prop_oneof![Just("ATL"), Just("YYZ"), Just("ORD")],
    ) {
        let (item, currency) = match site {
            "YYZ" => ("BOLT-M8", "CAD"),
            "ORD" => ("GLUE-500", "USD"),
            _ => ("BOLT-M8", "USD"),
        };
        let mut v = standard_engine();
        let body = |s: &Step| match s {
            Step::In { qty, cents } => receipt(
                site, item, &format!("{qty} EA"), &format!("{}.{:02} {currency}", cents / 100, cents % 100)),
            Step::Out { qty, to } => issue(site, item, &format!("{qty} EA"), *to),
        };
        let mut id = 0;
        for s in &steps {
            id += 1;
            let _ = v.apply(&ev(id, body(s)));
        }
        let before = v.pools();
        id += 1;
        let original = id;
        let Ok(Outcome::Posted { postings: done, .. }) = v.apply(&ev(original, body(&last))) else {
            return Ok(());
        };
        id += 1;
        match v.apply(&ev(id, reverse(original))) {
            Ok(Outcome::Posted { postings: undone, .. }) => {
                prop_assert!(unbalanced(&undone).is_empty());
                let back: BTreeMap<_, _> = sums(&undone).into_iter().map(|(k, a)| (k, -a)).collect();
                prop_assert_eq!(back, sums(&done));
                prop_assert_eq!(held(&v.pools()), held(&before));
                let again = v.pools();
                prop_assert_eq!(v.apply(&ev(id + 1, reverse(original))), Err(ValuationError::AlreadyReversed(original)));
                prop_assert_eq!(v.pools(), again);
            }
            Ok(Outcome::Duplicate) => prop_assert!(false, "a new id is no duplicate"),
            Err(err) => {
                // Refused only for the stated reasons: FIFO's older stock, a short
                // pool, or shortage units covered.
                prop_assert!(
                    matches!(err, ValuationError::ReversalRefused { .. }),
                    "{:?}", err
                );
            }
        }
    }
}

proptest! {
    /// A receipt returned to its supplier in any number of parts clears exactly its
    /// value from goods received (the last unit back takes the last cent), under every
    /// method; one unit more is refused and changes nothing.
    #[test]
    fn returns_in_parts_clear_exactly_the_receipts_value(
        qty in 1u32..200,
        cents in 1u32..100_000,
        cuts in prop::collection::vec(1u32..200, 0..6),
        site in prop_oneof![Just("ATL"), Just("YYZ"), Just("ORD")],
    ) {
        let (item, currency) = match site {
            "YYZ" => ("BOLT-M8", "CAD"),
            "ORD" => ("GLUE-500", "USD"),
            _ => ("BOLT-M8", "USD"),
        };
        let mut v = standard_engine();
        // Cost per unit with 3 decimals, so shares round.
        let cost = format!("{}.{:03} {currency}", cents / 1000, cents % 1000);
        let Ok(Outcome::Posted { postings: r, .. }) =
            v.apply(&ev(1, receipt(site, item, &format!("{qty} EA"), &cost)))
        else {
            return Err(TestCaseError::fail("the receipt was refused"));
        };
        let value = -amount(&r, PostingKey::GoodsReceived);
        let mut parts: Vec<u32> = cuts.iter().map(|c| c % qty).filter(|c| *c > 0).collect();
        parts.sort_unstable();
        parts.dedup();
        let mut sizes = Vec::new();
        let mut last = 0;
        for p in parts.into_iter().chain([qty]) {
            sizes.push(p - last);
            last = p;
        }
        let mut cleared = Decimal::ZERO;
        for (k, size) in sizes.iter().enumerate() {
            let id = 2 + u64::try_from(k).unwrap();
            let p = posted(&mut v, &ev(id, back(1, &format!("{size} EA"))));
            cleared += amount(&p, PostingKey::GoodsReceived);
        }
        prop_assert_eq!(cleared, value);
        prop_assert_eq!(held(&v.pools()), Vec::<(Decimal, Decimal)>::new());
        let before = v.pools();
        let err = v.apply(&ev(100, back(1, "1 EA"))).unwrap_err();
        prop_assert_eq!(err.code(), "return_exceeds_receipt");
        prop_assert_eq!(v.pools(), before);
    }
}

/// A return or a reversal cannot come before what it names: moving average, 10 @ 1.00
/// (hour 1) and 10 @ 2.00 (hour 5); returning or reversing the second at hour 3 would
/// take its value out before it came in.
#[test]
fn a_return_or_reversal_dated_before_its_original_is_refused() {
    let mut v = engine(ValuationConfig::default());
    posted(&mut v, &ev(1, receipt("YYZ", "BOLT-M8", "10 EA", "1.00 CAD")));
    posted(&mut v, &ev(5, receipt("YYZ", "BOLT-M8", "10 EA", "2.00 CAD")));
    let before = v.pools();
    for body in [back(5, "5 EA"), reverse(5)] {
        let err = v.apply(&CostEvent { id: 9, at: at(3), body }).unwrap_err();
        assert_eq!(err.code(), "reversal_refused", "{err}");
    }
    assert_eq!(v.pools(), before);
    // Dated after it, both are fine.
    posted(&mut v, &CostEvent { id: 9, at: at(6), body: back(5, "5 EA") });
    assert_eq!(held(&v.pools()), [(d("15"), d("20.00"))]);
}

/// Events checked together: FIFO, buy 10 @ 1.00 and 10 @ 1.30. Returning 6 of the
/// second receipt (7.80) and reversing that receipt each pass alone (its layer holds all
/// 10); together the reversal finds part of the receipt gone back and is refused, and a
/// return of 4 more (5.20) after the 6 passes. Checking applies nothing.
#[test]
fn derived_events_are_checked_together() {
    let mut v = engine(ValuationConfig::default());
    posted(&mut v, &ev(1, receipt("ATL", "BOLT-M8", "10 EA", "1.00 USD")));
    posted(&mut v, &ev(2, receipt("ATL", "BOLT-M8", "10 EA", "1.30 USD")));
    let before = v.snapshot().digest;
    v.check(&ev(3, back(2, "6 EA"))).unwrap();
    v.check(&ev(4, reverse(2))).unwrap();
    let err = v.check_all(&[ev(3, back(2, "6 EA")), ev(4, reverse(2))]).unwrap_err();
    assert_eq!(err.code(), "reversal_refused");
    v.check_all(&[ev(3, back(2, "6 EA")), ev(4, back(2, "4 EA"))]).unwrap();
    assert_eq!(v.snapshot().digest, before, "checking applies nothing");
    // One pool each: checked one by one, nothing copied.
    posted(&mut v, &ev(5, receipt("YYZ", "BOLT-M8", "10 EA", "1.00 CAD")));
    v.check_all(&[ev(6, back(2, "6 EA")), ev(7, back(5, "10 EA"))]).unwrap();
    v.check_all(&[]).unwrap();
    assert_eq!(v.returnable(2), Some(d("10")));
    let p = posted(&mut v, &ev(6, back(2, "6 EA")));
    assert_eq!(amount(&p, PostingKey::GoodsReceived), d("7.80"));
    let p = posted(&mut v, &ev(7, back(2, "4 EA")));
    assert_eq!(amount(&p, PostingKey::GoodsReceived), d("5.20"));
    assert_eq!(pool(&v, "NA01", "BOLT-M8"), (d("10"), d("10.00")));
}
