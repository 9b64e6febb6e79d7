//! Opening balances are receipts against another account: replacing every receipt of a
//! random sequence (in and out of time order, FIFO and moving-average pools) by an
//! opening balance leaves every pool and every posting the same, except that the
//! goods-received lines post to the opening-balance account instead.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

use std::sync::Arc;

use chrono::{DateTime, Utc};
use onhand_master::{Catalog, Decimal, seed};
use onhand_valuation::{
    CostBody, CostEvent, IssueTo, Outcome, Posting, PostingKey, Valuation, ValuationConfig,
};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Step {
    In { qty: u16, cents: u16 },
    Out { qty: u16 },
}

fn step() -> impl Strategy<Value = (Step, i64)> {
    (
        prop_oneof![
            (1u16..200, 0u16..500).prop_map(|(qty, cents)| Step::In { qty, cents }),
            (1u16..150).prop_map(|qty| Step::Out { qty }),
        ],
        0i64..50,
    )
}

fn at(h: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_600_000 + h * 3600, 0).unwrap()
}

/// Each event's postings (or the error code), and the pool's quantity and value at the
/// end.
type Run = (Vec<Result<Vec<Posting>, &'static str>>, Option<(Decimal, Decimal)>);

/// Runs `steps` at a site, receipts as `opening` or not; the outcome of each event
/// (postings, or the error code) and the pool at the end.
fn run(site: &str, currency: &str, steps: &[(Step, i64)], opening: bool) -> Run {
    let catalog = Arc::new(Catalog::new(seed::demo_network()).unwrap());
    let mut v = Valuation::new(catalog, ValuationConfig::default()).unwrap();
    let mut out = Vec::new();
    for (k, (s, hour)) in (1u64..).zip(steps) {
        let (site, item) = (site.parse().unwrap(), "BOLT-M8".parse().unwrap());
        let body = match s {
            Step::In { qty, cents } => {
                let qty = format!("{qty} EA").parse().unwrap();
                let unit_cost =
                    format!("{}.{:02} {currency}", cents / 100, cents % 100).parse().unwrap();
                if opening {
                    CostBody::OpeningBalance { site, item, qty, unit_cost, owner: None }
                } else {
                    CostBody::Receipt { site, item, qty, unit_cost, owner: None }
                }
            }
            Step::Out { qty } => CostBody::Issue {
                site,
                item,
                qty: format!("{qty} EA").parse().unwrap(),
                to: IssueTo::Sale,
                owner: None,
            },
        };
        let r = v.apply(&CostEvent { id: k, at: at(*hour), body });
        out.push(match r {
            Ok(Outcome::Posted { postings, .. }) => Ok(postings),
            Ok(_) => Err("duplicate"),
            Err(e) => Err(e.code()),
        });
    }
    let pools = v.pools();
    let pool = pools.first().map(|p| (p.qty, p.value));
    (out, pool)
}

proptest! {
    #[test]
    fn an_opening_balance_is_a_receipt_against_the_opening_account(
        steps in prop::collection::vec(step(), 1..25),
    ) {
        for (site, currency) in [("ATL", "USD"), ("YYZ", "CAD")] {
            let (receipts, pool) = run(site, currency, &steps, false);
            let (openings, opened) = run(site, currency, &steps, true);
            prop_assert_eq!(pool, opened);
            prop_assert_eq!(receipts.len(), openings.len());
            for (r, o) in receipts.iter().zip(&openings) {
                match (r, o) {
                    (Ok(r), Ok(o)) => {
                        let moved: Vec<Posting> = r
                            .iter()
                            .cloned()
                            .map(|mut p| {
                                if p.key == PostingKey::GoodsReceived {
                                    p.key = PostingKey::OpeningBalance;
                                    p.account = o.iter().find(|x| x.key == PostingKey::OpeningBalance).map_or(p.account.clone(), |x| x.account.clone());
                                }
                                p
                            })
                            .collect();
                        prop_assert_eq!(&moved, o);
                    }
                    (Err(a), Err(b)) => prop_assert_eq!(a, b),
                    _ => prop_assert!(false, "one refused, the other not: {:?} / {:?}", r, o),
                }
            }
        }
    }
}
