//! Changing a live item's costing method, worked by hand on the demo network (NA01:
//! USD, FIFO at Atlanta).

#![allow(
    clippy::unwrap_used,
    clippy::too_many_lines,
    reason = "test code: a failed unwrap is a failed test, and a case reads best in one piece"
)]

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use onhand_master::{Catalog, Decimal, EntityCode, seed};
use onhand_valuation::{
    CostBody, CostEvent, IssueTo, Method, Outcome, Posting, PostingKey, PostingKind, Valuation,
    ValuationConfig, ValuationError, unbalanced,
};

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

fn ev(id: u64, body: CostBody) -> CostEvent {
    CostEvent { id, at: at(i64::try_from(id).unwrap()), body }
}

fn receipt(qty: &str, cost: &str) -> CostBody {
    CostBody::Receipt {
        site: "ATL".parse().unwrap(),
        item: "BOLT-M8".parse().unwrap(),
        qty: qty.parse().unwrap(),
        unit_cost: cost.parse().unwrap(),
        owner: None,
    }
}

fn sale(qty: &str) -> CostBody {
    CostBody::Issue {
        site: "ATL".parse().unwrap(),
        item: "BOLT-M8".parse().unwrap(),
        qty: qty.parse().unwrap(),
        to: IssueTo::Sale,
        owner: None,
    }
}

fn change(method: Method, standard: Option<&str>) -> CostBody {
    CostBody::MethodChange {
        entity: e("NA01"),
        item: "BOLT-M8".parse().unwrap(),
        site: None,
        method,
        standard: standard.map(|s| s.parse().unwrap()),
    }
}

fn posted(v: &mut Valuation, ev: &CostEvent) -> Vec<Posting> {
    let out = v.apply(ev).unwrap();
    let Outcome::Posted { postings, .. } = out else { panic!("duplicate") };
    assert!(unbalanced(&postings).is_empty(), "{postings:#?}");
    postings
}

/// `v` through a JSON snapshot and a restore.
fn restored(v: &Valuation) -> Valuation {
    let json = serde_json::to_string(&v.snapshot()).unwrap();
    Valuation::restore(catalog(), ValuationConfig::default(), &serde_json::from_str(&json).unwrap())
        .unwrap()
}

fn amount(postings: &[Posting], key: PostingKey) -> Decimal {
    postings.iter().filter(|p| p.key == key).map(|p| p.amount).sum()
}

fn pool(v: &Valuation) -> (Method, Decimal, Decimal, usize) {
    let p = v.pool(&e("NA01"), &"BOLT-M8".parse().unwrap(), None).unwrap();
    (p.method, p.qty, p.value, p.layers.len())
}

/// FIFO: buy 100 @ 10.00 and 100 @ 13.00, sell 50 (500.00): 150 held, 50 @ 10 and
/// 100 @ 13 = 1,800.00. To moving average: 1,800.00 / 150 = 12.00, no posting; sell
/// 30 at 12.00 = 360.00; buy 30 @ 15.00: 150 worth 1,890.00 (12.60). To standard at
/// 12.00: 1,800.00, a revaluation of 90.00 down. To FIFO: one layer of 150 at
/// 1,800.00; sell 10 at 12.00 = 120.00.
fn the_sequence(v: &mut Valuation) {
    posted(v, &ev(1, receipt("100 EA", "10.00 USD")));
    posted(v, &ev(2, receipt("100 EA", "13.00 USD")));
    let p = posted(v, &ev(3, sale("50 EA")));
    assert_eq!(amount(&p, PostingKey::CostOfSales), d("500.00"));
    let p = posted(v, &ev(4, change(Method::MovingAverage, None)));
    assert!(p.is_empty(), "{p:#?}");
    assert_eq!(pool(v), (Method::MovingAverage, d("150"), d("1800.00"), 0));
    let p = posted(v, &ev(5, sale("30 EA")));
    assert_eq!(amount(&p, PostingKey::CostOfSales), d("360.00"));
    posted(v, &ev(6, receipt("30 EA", "15.00 USD")));
    assert_eq!(pool(v), (Method::MovingAverage, d("150"), d("1890.00"), 0));
    let p = posted(v, &ev(7, change(Method::Standard, Some("12.00 USD"))));
    assert_eq!(amount(&p, PostingKey::Inventory), d("-90.00"));
    assert_eq!(amount(&p, PostingKey::Revaluation), d("90.00"));
    assert_eq!(pool(v), (Method::Standard, d("150"), d("1800.00"), 0));
    let p = posted(v, &ev(8, change(Method::Fifo, None)));
    assert!(p.is_empty(), "{p:#?}");
    assert_eq!(pool(v), (Method::Fifo, d("150"), d("1800.00"), 1));
    let p = posted(v, &ev(9, sale("10 EA")));
    assert_eq!(amount(&p, PostingKey::CostOfSales), d("120.00"));
    assert_eq!(pool(v), (Method::Fifo, d("140"), d("1680.00"), 1));
}

#[test]
fn fifo_to_average_to_standard_to_fifo_by_hand() {
    let mut v = Valuation::new(catalog(), ValuationConfig::default()).unwrap();
    the_sequence(&mut v);
    // The layer names the change that opened it.
    let p = v.pool(&e("NA01"), &"BOLT-M8".parse().unwrap(), None).unwrap();
    assert_eq!(p.layers[0].origin, 8);
    // Refusals change nothing.
    let before = v.pools();
    let err = v.apply(&ev(10, change(Method::Fifo, None))).unwrap_err();
    assert_eq!(err.code(), "method_change");
    let err = v.apply(&ev(10, change(Method::Standard, None))).unwrap_err();
    assert_eq!(err.code(), "method_change");
    let err = v.apply(&ev(10, change(Method::MovingAverage, Some("1.00 USD")))).unwrap_err();
    assert_eq!(err.code(), "method_change");
    assert_eq!(v.pools(), before);
}

/// A receipt back-dated before the changes (20 @ 16.00 between the second receipt and
/// the first sale) is valued by FIFO, then carried through: the average at the change
/// becomes 2,120.00 / 170; the sale of 30 costs 374.12 (a correction of 14.12); the
/// standard revaluation becomes 2,040.00 - 2,195.88 = -155.88 (a correction of
/// -65.88); the rest is unchanged, ending at 160 worth 1,920.00.
#[test]
fn a_receipt_back_dated_before_a_change_is_replayed_through_it() {
    let mut v = Valuation::new(catalog(), ValuationConfig::default()).unwrap();
    the_sequence(&mut v);
    let body = receipt("20 EA", "16.00 USD");
    let p = posted(&mut v, &CostEvent { id: 20, at: at(2) + Duration::minutes(30), body });
    let corr = |key| -> Decimal {
        p.iter()
            .filter(|x| x.kind == PostingKind::Correction && x.key == key)
            .map(|x| x.amount)
            .sum()
    };
    assert_eq!(corr(PostingKey::CostOfSales), d("14.12"));
    assert_eq!(corr(PostingKey::Revaluation), d("65.88"));
    assert_eq!(amount(&p, PostingKey::Inventory), d("240.00"));
    assert_eq!(pool(&v), (Method::Fifo, d("160"), d("1920.00"), 1));

    // The history, changes and all, survives a snapshot and replays to the same pools.
    let w = restored(&v);
    assert_eq!(w.pools(), v.pools());
    w.verify_histories().unwrap();
}

/// A pool left under another method than the configuration's survives a period close
/// (which forgets the history holding the change) and a snapshot of the closed books.
#[test]
fn a_changed_method_survives_a_close_and_a_snapshot() {
    let mut v = Valuation::new(catalog(), ValuationConfig::default()).unwrap();
    posted(&mut v, &ev(1, receipt("100 EA", "10.00 USD")));
    posted(&mut v, &ev(2, change(Method::MovingAverage, None)));
    v.close_period(at(10)).unwrap();
    let w = restored(&v);
    assert_eq!(w.pools(), v.pools());
    assert_eq!(pool(&w), (Method::MovingAverage, d("100"), d("1000.00"), 0));
    w.verify_histories().unwrap();
}

/// A standard cost event follows the pool's method, not the configuration's.
#[test]
fn a_standard_cost_follows_the_changed_method() {
    let mut v = Valuation::new(catalog(), ValuationConfig::default()).unwrap();
    posted(&mut v, &ev(1, receipt("10 EA", "2.00 USD")));
    let new_standard = |id| {
        ev(
            id,
            CostBody::StandardCost {
                entity: e("NA01"),
                item: "BOLT-M8".parse().unwrap(),
                site: None,
                cost: "2.50 USD".parse().unwrap(),
            },
        )
    };
    assert!(matches!(v.apply(&new_standard(2)), Err(ValuationError::NotStandard { .. })));
    posted(&mut v, &ev(3, change(Method::Standard, Some("2.00 USD"))));
    let p = posted(&mut v, &new_standard(4));
    assert_eq!(amount(&p, PostingKey::Inventory), d("5.00"));
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, Clone)]
    enum Step {
        In { qty: u32, cents: u32 },
        Out { qty: u32 },
        To { method: Method, cents: u32 },
        Back { of: usize, qty: u32 },
        Landed { of: usize, cents: u32 },
        Close,
    }

    fn step() -> impl Strategy<Value = Step> {
        let method =
            prop_oneof![Just(Method::Fifo), Just(Method::MovingAverage), Just(Method::Standard)];
        prop_oneof![
            3 => (1u32..40, 1u32..900).prop_map(|(qty, cents)| Step::In { qty, cents }),
            3 => (1u32..30).prop_map(|qty| Step::Out { qty }),
            2 => (method, 1u32..900).prop_map(|(method, cents)| Step::To { method, cents }),
            1 => (0usize..20, 1u32..10).prop_map(|(of, qty)| Step::Back { of, qty }),
            1 => (0usize..20, 1u32..900).prop_map(|(of, cents)| Step::Landed { of, cents }),
            1 => Just(Step::Close),
        ]
    }

    fn money(cents: u32) -> String {
        format!("{}.{:02} USD", cents / 100, cents % 100)
    }

    proptest! {
        /// Through any mix of receipts, sales, supplier returns, landed costs, method
        /// changes and period closes, some back-dated: a change keeps the quantity, keeps the value except into
        /// standard (where the revaluation is exactly the difference), the inventory
        /// postings always sum to the pool's value, and the history verifies and
        /// survives a snapshot.
        #[test]
        fn method_changes_keep_the_books_equal_to_the_pool(
            steps in prop::collection::vec((step(), any::<bool>()), 1..40),
        ) {
            let mut v = Valuation::new(catalog(), ValuationConfig::default()).unwrap();
            let mut books = Decimal::ZERO;
            let mut receipts = Vec::new();
            for (n, (s, late)) in steps.iter().enumerate() {
                let id = u64::try_from(n).unwrap() + 1;
                // A late event is dated half an hour before the previous one.
                let when = at(i64::try_from(id).unwrap())
                    - if *late { Duration::minutes(90) } else { Duration::zero() };
                let body = match s {
                    Step::In { qty, cents } => receipt(&format!("{qty} EA"), &money(*cents)),
                    Step::Out { qty } => sale(&format!("{qty} EA")),
                    Step::To { method, cents } => change(
                        *method,
                        (*method == Method::Standard).then(|| money(*cents)).as_deref(),
                    ),
                    Step::Back { of, qty } => match receipts.get(*of % receipts.len().max(1)) {
                        Some(r) => CostBody::SupplierReturn { receipt: *r, qty: format!("{qty} EA").parse().unwrap() },
                        None => continue,
                    },
                    Step::Landed { of, cents } => match receipts.get(*of % receipts.len().max(1)) {
                        Some(r) => landed(*r, &money(*cents)),
                        None => continue,
                    },
                    Step::Close => {
                        // Through half an hour before this step's time: a late event
                        // after it may fall in the closed period and be refused.
                        let before = v.pools();
                        if v.close_period(when - Duration::minutes(30)).is_err() {
                            prop_assert_eq!(v.pools(), before);
                        }
                        continue;
                    }
                };
                let before = v.pool(&e("NA01"), &"BOLT-M8".parse().unwrap(), None);
                let ev = CostEvent { id, at: when, body };
                let Ok(Outcome::Posted { postings, .. }) = v.apply(&ev) else {
                    prop_assert_eq!(v.pool(&e("NA01"), &"BOLT-M8".parse().unwrap(), None), before);
                    continue;
                };
                prop_assert!(unbalanced(&postings).is_empty());
                books += amount(&postings, PostingKey::Inventory);
                let now = v.pool(&e("NA01"), &"BOLT-M8".parse().unwrap(), None).unwrap();
                prop_assert_eq!(books, now.value - now.shortfall_value);
                if matches!(s, Step::In { .. }) {
                    receipts.push(id);
                }
                if let (Step::To { method, .. }, Some(b), false) = (s, &before, *late) {
                    prop_assert_eq!(now.method, *method);
                    prop_assert_eq!(now.qty, b.qty);
                    if *method == Method::Standard {
                        prop_assert_eq!(amount(&postings, PostingKey::Inventory), now.value - b.value);
                    } else {
                        prop_assert_eq!(now.value, b.value);
                        prop_assert!(postings.is_empty());
                    }
                }
            }
            v.verify_histories().unwrap();
            let w = restored(&v);
            prop_assert_eq!(w.pools(), v.pools());
        }
    }
}

fn landed(receipt: u64, amount: &str) -> CostBody {
    CostBody::LandedCost { receipt, amount: amount.parse().unwrap() }
}

/// Found by the `valuation` fuzz target: a landed cost on a FIFO receipt taken after the
/// pool changed to moving average (so the pool's value took it, not the receipt's
/// layer) was taken off the receipt again when a replay started at the close before the
/// change. The base checkpoint then read one layer worth less than its state, and a
/// snapshot of the books no longer restored ("the base checkpoint's figures"). Only
/// landed cost kept while the pool was FIFO is on a receipt to take off.
#[test]
fn landed_cost_after_a_change_from_fifo_survives_a_snapshot_and_back_dating() {
    let mut v = Valuation::new(catalog(), ValuationConfig::default()).unwrap();
    posted(&mut v, &ev(1, receipt("10 EA", "5.00 USD")));
    // Kept on the FIFO layer: 10 of 10 still held.
    posted(&mut v, &ev(2, landed(1, "2.00 USD")));
    v.close_period(at(2)).unwrap();
    posted(&mut v, &ev(3, landed(1, "1.00 USD")));
    posted(&mut v, &ev(4, change(Method::MovingAverage, None)));
    // Under moving average: the pool's value takes it.
    posted(&mut v, &ev(5, landed(1, "3.00 USD")));
    assert_eq!(pool(&v), (Method::MovingAverage, d("10"), d("56.00"), 0));
    v.verify_histories().unwrap();
    let mut w = restored(&v);
    assert_eq!(w.pools(), v.pools());
    w.verify_histories().unwrap();
    // A receipt back-dated between the close and the change replays from the close:
    // 10 @ 5.30 (5.00 plus the two FIFO landed costs) and 10 @ 6.00 = 113.00 at the
    // change, then the moving-average landed cost 3.00 on the whole pool = 116.00.
    let mut back = ev(6, receipt("10 EA", "6.00 USD"));
    back.at = at(3) + Duration::minutes(30);
    posted(&mut w, &back);
    assert_eq!(pool(&w), (Method::MovingAverage, d("20"), d("116.00"), 0));
    w.verify_histories().unwrap();
}
