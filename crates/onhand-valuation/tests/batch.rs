//! `Valuation::apply_batch` against `apply_into` one event at a time, over many items:
//! receipts and issues, items the catalog does not know, reversals, landed costs,
//! repeats, ids reused with another body and back-dated events, in runs of any length.

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::sync::Arc;

use chrono::DateTime;
use onhand_master::{Catalog, CurrencyCode, ItemCode, Money, Qty, UomCode, synthetic};
use onhand_valuation::{CostBody, CostEvent, IssueTo, Valuation, ValuationConfig};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// One generated step: a receipt (item, quantity, cents) or an issue of a known item, a
/// receipt or issue of an unknown one, or a reversal, landed cost, repeat or id reuse of
/// an earlier event (picked by the number, modulo those made).
#[derive(Debug, Clone)]
enum Step {
    Receive(usize, u32, u32),
    Issue(usize, u32),
    Unknown(bool),
    Reverse(usize),
    Again(usize),
    Reuse(usize),
    Landed(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0usize..40, 1u32..20, 1u32..500).prop_map(|(i, q, c)| Step::Receive(i, q, c)),
        6 => (0usize..40, 1u32..25).prop_map(|(i, q)| Step::Issue(i, q)),
        1 => any::<bool>().prop_map(Step::Unknown),
        1 => any::<usize>().prop_map(Step::Reverse),
        1 => any::<usize>().prop_map(Step::Again),
        1 => any::<usize>().prop_map(Step::Reuse),
        1 => any::<usize>().prop_map(Step::Landed),
    ]
}

/// The events of `steps`, the `bool` of each back-dating it by 50 minutes.
fn events(steps: &[(Step, bool)]) -> Vec<CostEvent> {
    let site = synthetic::site_code(0);
    let ea = UomCode::new("EA").unwrap();
    let usd = CurrencyCode::new("USD").unwrap();
    let qty = |n: u32| Qty::new(Decimal::from(n), ea).unwrap();
    let mut events: Vec<CostEvent> = Vec::new();
    for (k, (s, back)) in steps.iter().enumerate() {
        let id = k as u64 + 1;
        let secs = 1_767_600_000 + 60 * i64::try_from(id).unwrap() - if *back { 3000 } else { 0 };
        let at = DateTime::from_timestamp(secs, 0).unwrap();
        let earlier = |p: &usize| events.get(p % events.len().max(1)).cloned();
        let body = match s {
            Step::Receive(i, q, c) => CostBody::Receipt {
                site: site.clone(),
                item: synthetic::item_code(*i),
                qty: qty(*q),
                unit_cost: Money::new(Decimal::new(i64::from(*c), 2), usd),
                owner: None,
            },
            Step::Issue(i, q) => CostBody::Issue {
                site: site.clone(),
                item: synthetic::item_code(*i),
                qty: qty(*q),
                to: IssueTo::Sale,
                owner: None,
            },
            Step::Unknown(true) => CostBody::Receipt {
                site: site.clone(),
                item: ItemCode::new("NOPE-1").unwrap(),
                qty: qty(3),
                unit_cost: Money::new(Decimal::ONE, usd),
                owner: None,
            },
            Step::Unknown(false) => CostBody::Issue {
                site: site.clone(),
                item: ItemCode::new("NOPE-2").unwrap(),
                qty: qty(3),
                to: IssueTo::Scrap,
                owner: None,
            },
            Step::Reverse(p) => match earlier(p) {
                Some(e) => CostBody::Reversal { original: e.id },
                None => continue,
            },
            Step::Landed(p) => match earlier(p) {
                Some(e) => CostBody::LandedCost {
                    receipt: e.id,
                    amount: Money::new(Decimal::new(125, 2), usd),
                },
                None => continue,
            },
            Step::Again(p) => {
                if let Some(e) = earlier(p) {
                    events.push(e);
                }
                continue;
            }
            Step::Reuse(p) => {
                if let Some(mut e) = earlier(p) {
                    e.at = at;
                    match &mut e.body {
                        CostBody::Issue { qty: q, .. } | CostBody::Receipt { qty: q, .. } => {
                            *q = qty(1);
                        }
                        other => *other = CostBody::Reversal { original: 999_999 },
                    }
                    events.push(e);
                }
                continue;
            }
        };
        events.push(CostEvent { id, at, body });
    }
    events
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Every event's result (and its index), every posting line, the pools and the
    /// snapshot are what applying the events one at a time gives, whatever the runs.
    #[test]
    fn a_batch_is_one_event_at_a_time(
        steps in prop::collection::vec((step(), prop::bool::weighted(0.1)), 1..200),
        run in 1usize..60,
    ) {
        let catalog = Arc::new(Catalog::new(synthetic::network(40, 1, false)).unwrap());
        let events = events(&steps);
        let mut one = Valuation::new(catalog.clone(), ValuationConfig::default()).unwrap();
        let mut want_lines = Vec::new();
        let want: Vec<_> = events.iter().map(|e| one.apply_into(e, &mut want_lines)).collect();
        let mut batched = Valuation::new(catalog, ValuationConfig::default()).unwrap();
        let (mut lines, mut got) = (Vec::new(), Vec::new());
        let mut base = 0;
        for chunk in events.chunks(run) {
            batched.apply_batch(chunk, &mut lines, |n, r| got.push((base + n, r)));
            base += chunk.len();
        }
        prop_assert_eq!(got.len(), want.len());
        for ((n, r), (k, w)) in got.iter().zip(want.iter().enumerate()) {
            prop_assert_eq!(*n, k);
            prop_assert_eq!(r, w, "event {:?}", events.get(k));
        }
        prop_assert_eq!(lines, want_lines);
        prop_assert_eq!(batched.pools(), one.pools());
        prop_assert_eq!(batched.snapshot(), one.snapshot());
    }
}
