//! An issue re-costed by a back-dated movement, then reversed or returned, and an
//! issue's reversal inside an entity's closed period: defects a review found
//! (before the fix, a reversal or return of a re-costed sale brought the units back at
//! the sale's first cost and left cost of sales behind, a back-dated receipt silently
//! left a returned sale's return at the old cost, and a sale's reversal moved stock
//! into an entity's closed books).

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use onhand_master::{Catalog, Decimal, EntityCode, seed};
use onhand_valuation::{
    CostBody, CostEvent, IssueTo, Outcome, Posting, PostingKey, Valuation, ValuationConfig,
    unbalanced,
};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn at(hour: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_600_000 + hour * 3600, 0).unwrap()
}

fn engine() -> Valuation {
    let catalog = Arc::new(Catalog::new(seed::demo_network()).unwrap());
    Valuation::new(catalog, ValuationConfig::default()).unwrap()
}

fn ev(id: u64, hour: i64, body: CostBody) -> CostEvent {
    CostEvent { id, at: at(hour), body }
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

fn issue(qty: &str, to: IssueTo) -> CostBody {
    CostBody::Issue {
        site: "ATL".parse().unwrap(),
        item: "BOLT-M8".parse().unwrap(),
        qty: qty.parse().unwrap(),
        to,
        owner: None,
    }
}

fn sale(qty: &str) -> CostBody {
    issue(qty, IssueTo::Sale)
}

fn customer_return(qty: &str, original: u64) -> CostBody {
    CostBody::CustomerReturn {
        site: "ATL".parse().unwrap(),
        item: "BOLT-M8".parse().unwrap(),
        qty: qty.parse().unwrap(),
        original: Some(original),
        unit_cost: None,
        owner: None,
    }
}

fn post(v: &mut Valuation, book: &mut Vec<Posting>, e: &CostEvent) {
    let Outcome::Posted { postings, .. } = v.apply(e).unwrap() else { panic!("a duplicate") };
    assert!(unbalanced(&postings).is_empty());
    book.extend(postings);
}

/// Each account's balance, zero balances left out.
fn sums(book: &[Posting]) -> BTreeMap<PostingKey, Decimal> {
    let mut m = BTreeMap::new();
    for p in book {
        *m.entry(p.key).or_insert(Decimal::ZERO) += p.amount;
    }
    m.retain(|_, v: &mut Decimal| !v.is_zero());
    m
}

fn na01() -> EntityCode {
    "NA01".parse().unwrap()
}

/// NA01's pool of BOLT-M8: quantity and value.
fn pool(v: &Valuation) -> (Decimal, Decimal) {
    let p = v.pool(&na01(), &"BOLT-M8".parse().unwrap(), None).unwrap();
    (p.qty, p.value)
}

/// 10 received at 1.00 (hour 10) and sold (hour 20), then 10 at 2.00 back-dated to
/// hour 5: FIFO, the sale now took the 2.00 units (a correction of +10.00).
fn recosted_sale(v: &mut Valuation, book: &mut Vec<Posting>, to: IssueTo) {
    post(v, book, &ev(1, 10, receipt("10 EA", "1.00 USD")));
    post(v, book, &ev(2, 20, issue("10 EA", to)));
    post(v, book, &ev(3, 5, receipt("10 EA", "2.00 USD")));
}

#[test]
fn a_reversal_of_a_sale_recosted_by_a_back_dated_receipt_clears_cost_of_sales() {
    let mut v = engine();
    let mut book = Vec::new();
    recosted_sale(&mut v, &mut book, IssueTo::Sale);
    assert_eq!(sums(&book).get(&PostingKey::CostOfSales), Some(&d("20.00")));
    post(&mut v, &mut book, &ev(4, 30, CostBody::Reversal { original: 2 }));
    assert_eq!(sums(&book).get(&PostingKey::CostOfSales), None, "{:?}", sums(&book));
    // Back at the cost it now left with: 10 at 1.00 and 10 at 2.00.
    assert_eq!(pool(&v), (d("20"), d("30.00")));
}

#[test]
fn a_reversal_of_scrap_recosted_by_a_back_dated_receipt_clears_the_write_off() {
    let mut v = engine();
    let mut book = Vec::new();
    recosted_sale(&mut v, &mut book, IssueTo::Scrap);
    assert_eq!(sums(&book).get(&PostingKey::WriteOff), Some(&d("20.00")));
    post(&mut v, &mut book, &ev(4, 30, CostBody::Reversal { original: 2 }));
    assert_eq!(sums(&book).get(&PostingKey::WriteOff), None, "{:?}", sums(&book));
    assert_eq!(pool(&v), (d("20"), d("30.00")));
}

#[test]
fn a_customer_return_of_a_recosted_sale_comes_back_at_the_cost_it_now_left_with() {
    let mut v = engine();
    let mut book = Vec::new();
    recosted_sale(&mut v, &mut book, IssueTo::Sale);
    post(&mut v, &mut book, &ev(4, 30, customer_return("4 EA", 2)));
    post(&mut v, &mut book, &ev(5, 31, customer_return("6 EA", 2)));
    assert_eq!(sums(&book).get(&PostingKey::CostOfSales), None, "{:?}", sums(&book));
    assert_eq!(pool(&v), (d("20"), d("30.00")));
}

#[test]
fn the_recosted_value_survives_a_snapshot() {
    let mut v = engine();
    let mut book = Vec::new();
    recosted_sale(&mut v, &mut book, IssueTo::Sale);
    let catalog = Arc::new(Catalog::new(seed::demo_network()).unwrap());
    let mut back = Valuation::restore(catalog, ValuationConfig::default(), &v.snapshot()).unwrap();
    post(&mut back, &mut book, &ev(4, 30, CostBody::Reversal { original: 2 }));
    assert_eq!(sums(&book).get(&PostingKey::CostOfSales), None, "{:?}", sums(&book));
}

#[test]
fn an_undone_trial_puts_the_recosted_value_back() {
    let mut v = engine();
    let mut book = Vec::new();
    post(&mut v, &mut book, &ev(1, 10, receipt("10 EA", "1.00 USD")));
    post(&mut v, &mut book, &ev(2, 20, sale("10 EA")));
    let before = v.snapshot();
    // The back-dated receipt re-costs the sale, then a sale of 50 fails: all undone.
    let trial = [ev(3, 5, receipt("10 EA", "2.00 USD")), ev(4, 30, sale("50 EA"))];
    assert_eq!(v.check_all(&trial).unwrap_err().code(), "insufficient");
    assert_eq!(v.apply_all_into(&trial, &mut Vec::new()).unwrap_err().code(), "insufficient");
    assert_eq!(v.snapshot(), before);
    // The sale still left at 1.00: its reversal brings 10.00 back.
    post(&mut v, &mut book, &ev(5, 30, CostBody::Reversal { original: 2 }));
    assert_eq!(sums(&book).get(&PostingKey::CostOfSales), None, "{:?}", sums(&book));
    assert_eq!(pool(&v), (d("10"), d("10.00")));
}

#[test]
fn a_back_dated_receipt_that_would_recost_a_returned_sale_is_refused() {
    for second in [customer_return("4 EA", 2), CostBody::Reversal { original: 2 }] {
        let mut v = engine();
        let mut book = Vec::new();
        post(&mut v, &mut book, &ev(1, 10, receipt("10 EA", "1.00 USD")));
        post(&mut v, &mut book, &ev(2, 20, sale("10 EA")));
        post(&mut v, &mut book, &ev(4, 30, second));
        let before = v.snapshot();
        // Back-dated before the sale, it would re-cost what already came back at 1.00.
        let err = v.apply(&ev(3, 5, receipt("10 EA", "2.00 USD"))).unwrap_err();
        assert_eq!(err.code(), "returned_issue_recosted");
        assert_eq!(v.snapshot(), before, "nothing changes");
        // Dated after the sale it re-costs nothing, and is taken.
        post(&mut v, &mut book, &ev(3, 25, receipt("10 EA", "2.00 USD")));
    }
}

#[test]
fn a_reversal_of_a_sale_inside_an_entitys_closed_period_is_refused() {
    let mut v = engine();
    v.apply(&ev(1, 1, receipt("10 EA", "1.00 USD"))).unwrap();
    v.apply(&ev(2, 2, sale("4 EA"))).unwrap();
    v.close_entity_period(&na01(), at(10)).unwrap();
    // Dated at hour 5, a customer return and a reversal both move the 4 units back
    // into NA01's closed books.
    let err = v.apply(&ev(3, 5, customer_return("4 EA", 2))).unwrap_err();
    assert_eq!(err.code(), "entity_period_closed");
    let err = v.apply(&ev(4, 5, CostBody::Reversal { original: 2 })).unwrap_err();
    assert_eq!(err.code(), "entity_period_closed");
    assert_eq!(pool(&v), (d("6"), d("6.00")));
    // After the close it is taken.
    v.apply(&ev(5, 11, CostBody::Reversal { original: 2 })).unwrap();
    assert_eq!(pool(&v), (d("10"), d("10.00")));
}

#[test]
fn a_reversal_of_a_sale_trued_up_after_its_shortfall_clears_cost_of_sales() {
    let catalog = Arc::new(Catalog::new(seed::demo_network()).unwrap());
    let mut config = ValuationConfig::default();
    config.negative_stock.insert(na01(), onhand_valuation::NegativeCostPolicy::LastCost);
    let mut v = Valuation::new(catalog, config).unwrap();
    let mut book = Vec::new();
    post(&mut v, &mut book, &ev(1, 10, receipt("10 EA", "1.00 USD")));
    // 15 out: 5 short, issued at the last cost (1.00).
    post(&mut v, &mut book, &ev(2, 20, sale("15 EA")));
    // The next receipt covers the 5 at 2.00: a true-up of +5.00 to cost of sales.
    post(&mut v, &mut book, &ev(3, 30, receipt("10 EA", "2.00 USD")));
    assert_eq!(sums(&book).get(&PostingKey::CostOfSales), Some(&d("20.00")), "{:?}", sums(&book));
    post(&mut v, &mut book, &ev(4, 40, CostBody::Reversal { original: 2 }));
    assert_eq!(sums(&book).get(&PostingKey::CostOfSales), None, "{:?}", sums(&book));
}

fn last_cost_engine() -> Valuation {
    let catalog = Arc::new(Catalog::new(seed::demo_network()).unwrap());
    let mut config = ValuationConfig::default();
    config.negative_stock.insert(na01(), onhand_valuation::NegativeCostPolicy::LastCost);
    Valuation::new(catalog, config).unwrap()
}

#[test]
fn a_customer_return_of_a_sale_trued_up_after_its_shortfall_comes_back_at_its_true_cost() {
    let mut v = last_cost_engine();
    let mut book = Vec::new();
    post(&mut v, &mut book, &ev(1, 10, receipt("10 EA", "1.00 USD")));
    post(&mut v, &mut book, &ev(2, 20, sale("15 EA")));
    post(&mut v, &mut book, &ev(3, 30, receipt("10 EA", "2.00 USD")));
    post(&mut v, &mut book, &ev(4, 40, customer_return("15 EA", 2)));
    assert_eq!(sums(&book).get(&PostingKey::CostOfSales), None, "{:?}", sums(&book));
    assert_eq!(pool(&v), (d("20"), d("30.00")));
}

#[test]
fn a_back_dated_sale_whose_shortfall_a_later_receipt_covers_is_recorded_at_its_true_cost() {
    let mut v = last_cost_engine();
    let mut book = Vec::new();
    post(&mut v, &mut book, &ev(1, 10, receipt("10 EA", "1.00 USD")));
    post(&mut v, &mut book, &ev(3, 30, receipt("10 EA", "2.00 USD")));
    // Back-dated between them: 5 go out short at 1.00, and the receipt at hour 30, replayed
    // after it, covers them at 2.00.
    post(&mut v, &mut book, &ev(2, 20, sale("15 EA")));
    assert_eq!(sums(&book).get(&PostingKey::CostOfSales), Some(&d("20.00")), "{:?}", sums(&book));
    post(&mut v, &mut book, &ev(4, 40, CostBody::Reversal { original: 2 }));
    assert_eq!(sums(&book).get(&PostingKey::CostOfSales), None, "{:?}", sums(&book));
    assert_eq!(pool(&v), (d("20"), d("30.00")));
}
