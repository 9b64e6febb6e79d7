//! Property test: a back-dated movement revalues exactly what it affects.
//!
//! A case draws receipts, sales, scrap and landed costs on one or two pools (NA01's FIFO
//! pool of BOLT-M8 at Atlanta and CA01's moving-average pool at Toronto), each at a
//! random effective time, and applies them in arrival order, so many land before
//! movements already applied (more than the history's checkpoint interval, so replays
//! start from checkpoints). The reference applies the same events sorted by effective
//! time (ties by arrival), where nothing is back-dated. Whenever the arrival-order
//! engine accepts every event, the two must end with the same pools (quantities,
//! values, layers) and the same balance on every account per entity: the corrections
//! the back-dated movements posted add up to exactly what in-order application books.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::sync::Arc;

use onhand_master::{Catalog, Decimal, EntityCode, seed};
use onhand_valuation::{
    CostBody, CostEvent, IssueTo, NegativeCostPolicy, Posting, PostingKey, Valuation,
    ValuationConfig,
};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Move {
    Receipt {
        pool: usize,
        qty: u32,
        cents: u32,
    },
    Issue {
        pool: usize,
        qty: u32,
        scrap: bool,
    },
    Landed {
        pick: usize,
        cents: u32,
    },
    /// Units of an earlier receipt going back to the supplier (FIFO: out of that
    /// receipt's own layer, wherever it is).
    Return {
        pick: usize,
        qty: u32,
    },
}

const POOLS: [(&str, &str); 2] = [("ATL", "USD"), ("YYZ", "CAD")];

fn moves() -> impl Strategy<Value = Vec<(Move, u16)>> {
    let m = prop_oneof![
        5 => (0usize..2, 1u32..=30, 1u32..=3_000).prop_map(|(pool, qty, cents)| Move::Receipt { pool, qty, cents }),
        4 => (0usize..2, 1u32..=25, prop::bool::weighted(0.2)).prop_map(|(pool, qty, scrap)| Move::Issue { pool, qty, scrap }),
        1 => (any::<usize>(), 1u32..=2_000).prop_map(|(pick, cents)| Move::Landed { pick, cents }),
    ];
    prop::collection::vec((m, 0u16..500), 1..150)
}

/// Moves with returns to supplier: fewer, smaller issues so layers stay to return from.
fn with_returns() -> impl Strategy<Value = Vec<(Move, u16)>> {
    let m = prop_oneof![
        5 => (0usize..2, 1u32..=30, 1u32..=3_000).prop_map(|(pool, qty, cents)| Move::Receipt { pool, qty, cents }),
        3 => (0usize..2, 1u32..=15, prop::bool::weighted(0.2)).prop_map(|(pool, qty, scrap)| Move::Issue { pool, qty, scrap }),
        1 => (any::<usize>(), 1u32..=2_000).prop_map(|(pick, cents)| Move::Landed { pick, cents }),
        3 => (any::<usize>(), 1u32..=6).prop_map(|(pick, qty)| Move::Return { pick, qty }),
    ];
    prop::collection::vec((m, 0u16..500), 1..120)
}

fn body(m: &Move, receipts: &[u64]) -> Option<CostBody> {
    Some(match m {
        Move::Receipt { pool, qty, cents } => CostBody::Receipt {
            site: POOLS[*pool].0.parse().unwrap(),
            item: "BOLT-M8".parse().unwrap(),
            qty: format!("{qty} EA").parse().unwrap(),
            unit_cost: format!("{} {}", Decimal::new(i64::from(*cents), 2), POOLS[*pool].1)
                .parse()
                .unwrap(),
            owner: None,
        },
        Move::Issue { pool, qty, scrap } => CostBody::Issue {
            site: POOLS[*pool].0.parse().unwrap(),
            item: "BOLT-M8".parse().unwrap(),
            qty: format!("{qty} EA").parse().unwrap(),
            to: if *scrap { IssueTo::Scrap } else { IssueTo::Sale },
            owner: None,
        },
        Move::Landed { pick, cents } => {
            if receipts.is_empty() {
                return None;
            }
            let (receipt, currency) = {
                let r = receipts[pick % receipts.len()];
                (r, if r.is_multiple_of(2) { "USD" } else { "CAD" })
            };
            CostBody::LandedCost {
                receipt,
                amount: format!("{} {currency}", Decimal::new(i64::from(*cents), 2))
                    .parse()
                    .unwrap(),
            }
        }
        Move::Return { pick, qty } => {
            if receipts.is_empty() {
                return None;
            }
            CostBody::SupplierReturn {
                receipt: receipts[pick % receipts.len()],
                qty: format!("{qty} EA").parse().unwrap(),
            }
        }
    })
}

fn config(last_cost: bool) -> ValuationConfig {
    let mut config = ValuationConfig::default();
    if last_cost {
        for e in ["NA01", "CA01"] {
            config.negative_stock.insert(e.parse().unwrap(), NegativeCostPolicy::LastCost);
        }
    }
    config
}

fn engine(last_cost: bool) -> Valuation {
    let catalog = Arc::new(Catalog::new(seed::demo_network()).unwrap());
    Valuation::new(catalog, config(last_cost)).unwrap()
}

type Books = BTreeMap<(EntityCode, PostingKey), Decimal>;

fn books(postings: &[Posting]) -> Books {
    let mut out = Books::new();
    for p in postings {
        *out.entry((p.entity.clone(), p.key)).or_default() += p.amount;
    }
    out.retain(|_, v| !v.is_zero());
    out
}

/// Runs the moves in arrival order and, sorted by time, in order. With `skip`, an event
/// the arrival-order engine refuses is left out of both (a refusal changes nothing);
/// the in-order engine must then accept every other one. Without, a refusal ends the
/// case.
fn run(last_cost: bool, moves: &[(Move, u16)], skip: bool) -> Result<(), TestCaseError> {
    // Events with ids that say which pool a receipt went to (even: NA01, odd: CA01),
    // so a landed cost can name one in the right currency.
    let mut events = Vec::new();
    let mut receipts = Vec::new();
    let mut received_at: BTreeMap<u64, i64> = BTreeMap::new();
    let mut last_return: i64 = 0;
    // Both pools open with stock, so a cost is always known.
    let opening = [
        (Move::Receipt { pool: 0, qty: 10, cents: 100 }, 0),
        (Move::Receipt { pool: 1, qty: 10, cents: 100 }, 0),
    ];
    for (n, (m, minute)) in opening.iter().chain(moves).enumerate() {
        let pool = match m {
            Move::Receipt { pool, .. } | Move::Issue { pool, .. } => *pool,
            Move::Landed { .. } | Move::Return { .. } => 0,
        };
        let id = 2 * (n as u64 + 1) + pool as u64;
        let Some(body) = body(m, &receipts) else { continue };
        if matches!(m, Move::Receipt { .. }) {
            receipts.push(id);
        }
        // A landed cost is never earlier than its receipt.
        // Returns come in time order among themselves (each is valued at what its
        // receipt has left to return), after their receipt; anything may come before.
        let minute = match &body {
            CostBody::LandedCost { receipt, .. } => received_at[receipt] + i64::from(*minute % 60),
            CostBody::SupplierReturn { receipt, .. } => {
                let at: i64 = (received_at[receipt] + i64::from(*minute % 120)).max(last_return);
                last_return = at;
                at
            }
            _ => i64::from(*minute),
        };
        if matches!(m, Move::Receipt { .. }) {
            received_at.insert(id, minute);
        }
        let at = chrono::DateTime::from_timestamp(1_767_600_000 + 60 * minute, 0).unwrap();
        events.push(CostEvent { id, at, body });
    }
    let mut late = engine(last_cost);
    let mut posted = Vec::new();
    let mut accepted = Vec::new();
    for e in &events {
        match late.apply(e) {
            Ok(out) => {
                posted.extend_from_slice(out.postings());
                accepted.push(e);
            }
            Err(_) if skip => {}
            // A refusal (a shortfall somewhere, a landed cost before its receipt's
            // time): the case says nothing about back-dating.
            Err(_) => return Ok(()),
        }
    }
    let mut sorted = accepted;
    sorted.sort_by_key(|e| e.at);
    let mut in_order = engine(last_cost);
    let mut reference = Vec::new();
    for e in sorted {
        match in_order.apply(e) {
            Ok(out) => reference.extend_from_slice(out.postings()),
            Err(err) if skip => {
                return Err(TestCaseError::fail(format!("in order, {} refused: {err}", e.id)));
            }
            Err(_) => return Ok(()),
        }
    }
    prop_assert_eq!(late.pools(), in_order.pools());
    prop_assert_eq!(books(&posted), books(&reference));
    // The snapshot keeps the withdrawal records: restored, the histories replay to
    // their pools and the pools are the same.
    let catalog = Arc::new(Catalog::new(seed::demo_network()).unwrap());
    let restored = Valuation::restore(catalog, config(last_cost), &late.snapshot()).unwrap();
    restored.verify_histories().unwrap();
    late.verify_histories().unwrap();
    prop_assert_eq!(restored.pools(), late.pools());
    Ok(())
}

proptest! {
    #[test]
    fn back_dated_movements_book_what_in_order_application_books(
        last_cost in prop::bool::weighted(0.8),
        moves in moves(),
    ) {
        run(last_cost, &moves, false)?;
    }

    /// The same with returns to supplier: a FIFO return takes from its receipt's own
    /// layer wherever it is, and a movement back-dated before it replays the return
    /// from that layer as in-order application does.
    #[test]
    fn back_dated_movements_around_returns_to_supplier_book_what_in_order_books(
        last_cost in prop::bool::weighted(0.5),
        moves in with_returns(),
    ) {
        run(last_cost, &moves, true)?;
    }
}
