//! Period closes per entity and reopens.
//!
//! A network close refuses events effective before the close time; an entity's close
//! refuses movements of its pools at or before it while other entities' pools stay open; a reopen (the network's or an entity's) lets events back
//! into the reopened span, valued as if at the old close, with corrections for what they
//! change later. The property drives two entities' pools through receipts, issues,
//! closes and reopens at random times and checks that every refusal leaves the engine
//! exactly as it was, that each pool holds what its accepted movements add up to, that
//! the books balance and that inventory carries the pools' value, and that a snapshot
//! (entity closes included) restores to the same engine.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::sync::Arc;

use chrono::{DateTime, Utc};
use onhand_master::{Catalog, Decimal, EntityCode, seed};
use onhand_valuation::{
    CostBody, CostEvent, IssueTo, Posting, PostingKey, PostingKind, Valuation, ValuationConfig,
    ValuationError, balances, unbalanced,
};
use proptest::prelude::*;

/// The two pools: NA01's at Atlanta (USD), CA01's at Toronto (CAD).
const POOLS: [(&str, &str, &str); 2] = [("ATL", "USD", "NA01"), ("YYZ", "CAD", "CA01")];

fn at(minute: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_600_000 + 60 * minute, 0).unwrap()
}

fn engine() -> Valuation {
    let catalog = Arc::new(Catalog::new(seed::demo_network()).unwrap());
    Valuation::new(catalog, ValuationConfig::default()).unwrap()
}

fn receipt(id: u64, pool: usize, minute: i64, qty: u32, cents: u32) -> CostEvent {
    let (site, currency, _) = POOLS[pool];
    CostEvent {
        id,
        at: at(minute),
        body: CostBody::Receipt {
            site: site.parse().unwrap(),
            item: "BOLT-M8".parse().unwrap(),
            qty: format!("{qty} EA").parse().unwrap(),
            unit_cost: format!("{} {currency}", Decimal::new(i64::from(cents), 2)).parse().unwrap(),
            owner: None,
        },
    }
}

fn issue(id: u64, pool: usize, minute: i64, qty: u32) -> CostEvent {
    CostEvent {
        id,
        at: at(minute),
        body: CostBody::Issue {
            site: POOLS[pool].0.parse().unwrap(),
            item: "BOLT-M8".parse().unwrap(),
            qty: format!("{qty} EA").parse().unwrap(),
            to: IssueTo::Sale,
            owner: None,
        },
    }
}

fn entity(pool: usize) -> EntityCode {
    POOLS[pool].2.parse().unwrap()
}

fn qty(v: &Valuation, pool: usize) -> Decimal {
    v.held(&entity(pool), &"BOLT-M8".parse().unwrap()).on_hand
}

#[test]
fn an_entity_close_refuses_only_that_entitys_movements() {
    let mut v = engine();
    v.apply(&receipt(1, 0, 0, 10, 100)).unwrap();
    v.apply(&receipt(2, 1, 0, 10, 100)).unwrap();
    v.close_entity_period(&entity(0), at(10)).unwrap();
    assert_eq!(v.entity_closed_through(&entity(0)), Some(at(10)));
    assert_eq!(v.entity_closed_through(&entity(1)), None);
    let before = v.snapshot().digest;
    for ev in [receipt(3, 0, 10, 5, 100), issue(4, 0, 5, 1)] {
        let err = v.apply(&ev).unwrap_err();
        assert_eq!(err.code(), "entity_period_closed", "{err}");
        assert_eq!(v.snapshot().digest, before, "a refusal changes nothing");
    }
    // The other entity's pool stays open at the same time, and the closed one after it.
    v.apply(&receipt(5, 1, 5, 5, 100)).unwrap();
    v.apply(&receipt(6, 0, 11, 5, 100)).unwrap();
    assert_eq!(qty(&v, 0), Decimal::from(15));
    assert_eq!(qty(&v, 1), Decimal::from(15));
    // Not forward: at or before its own close, or before the network's.
    let err = v.close_entity_period(&entity(0), at(10)).unwrap_err();
    assert_eq!(err.code(), "close_not_forward");
    v.close_period(at(20)).unwrap();
    let err = v.close_entity_period(&entity(1), at(15)).unwrap_err();
    assert_eq!(err.code(), "close_not_forward");
    assert_eq!(v.entity_closed_through(&entity(0)), Some(at(10)), "its own, under the network's");
}

#[test]
fn reopens_are_governed_like_the_ledgers() {
    let mut v = engine();
    assert_eq!(v.reopen_period(None).unwrap_err().code(), "nothing_to_reopen");
    assert_eq!(v.reopen_entity_period(&entity(0), None).unwrap_err().code(), "nothing_to_reopen");
    v.close_period(at(10)).unwrap();
    v.close_entity_period(&entity(0), at(20)).unwrap();
    let err = v.reopen_period(Some(at(10))).unwrap_err();
    assert!(matches!(err, ValuationError::ReopenNotBack { .. }), "{err}");
    assert_eq!(
        v.reopen_entity_period(&entity(0), Some(at(25))).unwrap_err().code(),
        "reopen_not_back"
    );
    v.reopen_entity_period(&entity(0), Some(at(5))).unwrap();
    assert_eq!(v.entity_closed_through(&entity(0)), Some(at(5)));
    // The network's close still holds the entity's stock.
    let err = v.apply(&receipt(1, 0, 8, 1, 100)).unwrap_err();
    assert_eq!(err.code(), "period_closed");
    v.reopen_period(None).unwrap();
    v.apply(&receipt(1, 0, 8, 1, 100)).unwrap();
    assert_eq!(v.closed_through(), None);
    assert_eq!(v.entity_closed_through(&entity(0)), Some(at(5)));
    v.reopen_entity_period(&entity(0), None).unwrap();
    assert_eq!(v.entity_closed_through(&entity(0)), None);
}

/// A movement back-dated into a reopened span is valued as if at the old close: it
/// revalues the movements kept since the close, not the folded ones.
#[test]
fn a_movement_into_a_reopened_period_corrects_what_came_after_the_close() {
    let mut v = engine();
    v.apply(&receipt(1, 0, 0, 10, 100)).unwrap(); // 10 at 1.00
    v.apply(&issue(2, 0, 5, 4)).unwrap(); // 4.00, folded at the close
    v.close_period(at(10)).unwrap();
    v.apply(&issue(3, 0, 15, 6)).unwrap(); // the last 6 at 1.00
    v.apply(&receipt(4, 0, 16, 10, 300)).unwrap();
    let err = v.apply(&receipt(5, 0, 3, 10, 50)).unwrap_err();
    assert_eq!(err.code(), "period_closed");
    v.reopen_period(Some(at(1))).unwrap();
    // 5 at 0.50, effective minute 3: after the folded issue, before issue 3.
    let out = v.apply(&receipt(5, 0, 3, 5, 50)).unwrap();
    let corrections: Vec<&Posting> =
        out.postings().iter().filter(|p| p.kind == PostingKind::Correction).collect();
    // Issue 3 now takes the 6 at 1.00 of the old close's state first: unchanged, so the
    // receipt only adds a layer and nothing later is corrected.
    assert!(corrections.is_empty(), "{corrections:?}");
    let pool = v.pool(&entity(0), &"BOLT-M8".parse().unwrap(), None).unwrap();
    assert_eq!(pool.qty, Decimal::from(15));
    // 5 at 0.50 (the back-dated receipt, oldest now) and 10 at 3.00.
    assert_eq!(pool.value, Decimal::new(3250, 2));
    // An issue back-dated before issue 3 takes 1.00 stock, so issue 3 takes 0.50 stock
    // and is corrected.
    let out = v.apply(&issue(6, 0, 4, 1)).unwrap();
    let corrected: Decimal = out
        .postings()
        .iter()
        .filter(|p| p.kind == PostingKind::Correction && p.key == PostingKey::CostOfSales)
        .map(|p| p.amount)
        .sum();
    assert_eq!(corrected, Decimal::new(-50, 2), "issue 3 took one unit at 0.50 instead of 1.00");
    assert!(unbalanced(out.postings()).is_empty());
}

#[derive(Debug, Clone)]
enum Step {
    Receipt { pool: usize, qty: u32, cents: u32 },
    Issue { pool: usize, qty: u32 },
    Close { pool: Option<usize> },
    Reopen { pool: Option<usize>, back: Option<u16> },
}

fn steps() -> impl Strategy<Value = Vec<(Step, u16)>> {
    let s = prop_oneof![
        5 => (0usize..2, 1u32..=30, 1u32..=3_000).prop_map(|(pool, qty, cents)| Step::Receipt { pool, qty, cents }),
        4 => (0usize..2, 1u32..=25).prop_map(|(pool, qty)| Step::Issue { pool, qty }),
        1 => prop::option::of(0usize..2).prop_map(|pool| Step::Close { pool }),
        1 => (prop::option::of(0usize..2), prop::option::of(0u16..400))
            .prop_map(|(pool, back)| Step::Reopen { pool, back }),
    ];
    prop::collection::vec((s, 0u16..400), 1..120)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn closes_and_reopens_keep_the_books_whole(steps in steps()) {
        let mut v = engine();
        let mut posted: Vec<Posting> = Vec::new();
        let mut held = [Decimal::ZERO; 2];
        for (n, (step, minute)) in steps.iter().enumerate() {
            let id = n as u64 + 1;
            let minute = i64::from(*minute);
            let before = v.snapshot().digest;
            let (done, moved) = match step {
                Step::Receipt { pool, qty, cents } => {
                    let r = v.apply(&receipt(id, *pool, minute, *qty, *cents));
                    if let Ok(out) = &r {
                        posted.extend_from_slice(out.postings());
                    }
                    (r.map(|_| ()), Some((*pool, Decimal::from(*qty))))
                }
                Step::Issue { pool, qty } => {
                    let r = v.apply(&issue(id, *pool, minute, *qty));
                    if let Ok(out) = &r {
                        posted.extend_from_slice(out.postings());
                    }
                    (r.map(|_| ()), Some((*pool, -Decimal::from(*qty))))
                }
                Step::Close { pool: None } => (v.close_period(at(minute)), None),
                Step::Close { pool: Some(p) } => (v.close_entity_period(&entity(*p), at(minute)), None),
                Step::Reopen { pool: None, back } => {
                    (v.reopen_period(back.map(|b| at(i64::from(b)))), None)
                }
                Step::Reopen { pool: Some(p), back } => {
                    (v.reopen_entity_period(&entity(*p), back.map(|b| at(i64::from(b)))), None)
                }
            };
            match done {
                Ok(()) => {
                    if let Some((pool, q)) = moved {
                        let t = at(minute);
                        let own = v.entity_closed_through(&entity(pool));
                        prop_assert!(own.is_none_or(|c| t > c), "moved inside its entity's closed period");
                        prop_assert!(v.closed_through().is_none_or(|c| t >= c), "moved before the close");
                        held[pool] += q;
                    }
                }
                Err(e) => {
                    prop_assert_eq!(&v.snapshot().digest, &before, "refused ({}) yet changed", e);
                    if let (ValuationError::EntityPeriodClosed { entity: code, at: t, .. }, Some((pool, _))) = (&e, moved) {
                        prop_assert_eq!(code, &entity(pool));
                        prop_assert!(v.entity_closed_through(code).is_some_and(|c| *t <= c));
                        prop_assert!(v.closed_through().is_none_or(|c| *t >= c), "the network's close refuses first");
                    }
                }
            }
            for (pool, want) in held.iter().enumerate() {
                prop_assert_eq!(qty(&v, pool), *want, "pool {} after step {}", pool, n);
            }
        }
        prop_assert!(unbalanced(&posted).is_empty());
        let inventory = balances(&posted, PostingKey::Inventory);
        for pool in 0..2 {
            let e = entity(pool);
            prop_assert_eq!(
                inventory.get(&e).copied().unwrap_or_default(),
                v.inventory_value(&e),
                "{}'s inventory account against its pools", e
            );
        }
        let snapshot = v.snapshot();
        let json = serde_json::to_string(&snapshot).unwrap();
        let back = serde_json::from_str(&json).unwrap();
        let restored = Valuation::restore(v.catalog().clone(), ValuationConfig::default(), &back).unwrap();
        prop_assert_eq!(restored.snapshot().digest, snapshot.digest);
        for pool in 0..2 {
            prop_assert_eq!(restored.entity_closed_through(&entity(pool)), v.entity_closed_through(&entity(pool)));
        }
    }
}
