//! The FIFO costing workload of issue 14, shared by the `valuation_workload` bench and
//! the `valuation_calls` callgrind example, built exactly as the issue specifies so its
//! figures compare with `ERPNext`'s `FIFOValuation` on the same machine.
//!
//! - **Generator**: `SplitMix64`, seed 42, a fresh generator per scenario;
//!   `draw(lo, hi) = lo + next() % (hi - lo + 1)`.
//! - **Each step draws**, in order: `item = draw(0, 9999)` (10,000-item shape only),
//!   `rq = draw(1, 100)`, `rc = draw(100, 5000)` (cents), `iq = draw(1, 80)`; it receives
//!   `rq` units at `rc / 100`, then issues `iq` units to a sale if the item holds at least
//!   `iq`. The scenario stops at exactly 1,000,000 movements (receipts and issues).
//! - **Reference**: an exact integer FIFO model of the same steps (cents), and the bare
//!   baseline: the same movements on a plain integer FIFO, no engine.

#![allow(
    clippy::missing_panics_doc,
    clippy::must_use_candidate,
    reason = "a bench generator: fixed valid codes and sizes"
)]

use std::collections::VecDeque;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use onhand_master::{Catalog, CurrencyCode, EntityCode, Money, Qty, SiteCode, UomCode};
use onhand_testkit::scale;
use onhand_valuation::{CostBody, CostEvent, IssueTo, Valuation, ValuationConfig};
use rust_decimal::Decimal;

/// Movements per scenario.
pub const MOVEMENTS: usize = 1_000_000;
/// The first movement's time (seconds since the epoch).
pub const T0: i64 = 1_767_600_000;

/// `SplitMix64` as the issue states it, all arithmetic mod 2^64.
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// The next value.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `lo..=hi`.
    pub fn draw(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }
}

/// One movement of the workload: item, receipt (quantity and cents) or issue quantity.
#[derive(Clone, Copy)]
pub enum Move {
    /// `qty` units of `item` received at `cents` each.
    Receive {
        /// The item (0-based).
        item: usize,
        /// Units.
        qty: u64,
        /// Unit cost in cents.
        cents: u64,
    },
    /// `qty` units of `item` issued to a sale.
    Issue {
        /// The item (0-based).
        item: usize,
        /// Units.
        qty: u64,
    },
}

/// The scenario's movements and the exact integer FIFO reference: the final stock
/// value in cents.
pub fn scenario(items: usize) -> (Vec<Move>, i128) {
    let mut rng = SplitMix64(42);
    let mut queues: Vec<VecDeque<(u64, u64)>> = vec![VecDeque::new(); items];
    let mut stock = vec![0u64; items];
    let mut moves = Vec::with_capacity(MOVEMENTS);
    while moves.len() < MOVEMENTS {
        let item =
            if items > 1 { usize::try_from(rng.draw(0, 9999)).expect("small") % items } else { 0 };
        let rq = rng.draw(1, 100);
        let rc = rng.draw(100, 5000);
        let iq = rng.draw(1, 80);
        moves.push(Move::Receive { item, qty: rq, cents: rc });
        let q = &mut queues[item];
        match q.back_mut() {
            Some(last) if last.1 == rc => last.0 += rq,
            _ => q.push_back((rq, rc)),
        }
        stock[item] += rq;
        if moves.len() == MOVEMENTS {
            break;
        }
        if iq <= stock[item] {
            moves.push(Move::Issue { item, qty: iq });
            stock[item] -= iq;
            let mut left = iq;
            while left > 0 {
                let front = q.front_mut().expect("stock covers the issue");
                let take = left.min(front.0);
                front.0 -= take;
                left -= take;
                if front.0 == 0 {
                    q.pop_front();
                }
            }
        }
    }
    let value =
        queues.iter().flatten().map(|&(qty, cents)| i128::from(qty) * i128::from(cents)).sum();
    (moves, value)
}

/// The catalog, site, unit and currency the workload's events name.
pub struct Setup {
    catalog: Arc<Catalog>,
    site: SiteCode,
    ea: UomCode,
    usd: CurrencyCode,
    /// The item count.
    pub items: usize,
}

impl Setup {
    /// A synthetic network of `items` items at one site.
    pub fn new(items: usize) -> Self {
        Setup {
            catalog: Arc::new(
                Catalog::new(scale::network(items, 1, false)).expect("valid synthetic network"),
            ),
            site: scale::site_code(0),
            ea: UomCode::new("EA").expect("unit"),
            usd: CurrencyCode::new("USD").expect("currency"),
            items,
        }
    }

    /// An empty engine over the network, default configuration.
    pub fn engine(&self) -> Valuation {
        Valuation::new(self.catalog.clone(), ValuationConfig::default()).expect("valuation")
    }

    /// Movement `n` (from 0) as cost event `n + 1`, one second after the previous one.
    pub fn event(&self, n: usize, m: Move) -> CostEvent {
        let id = n as u64 + 1;
        let at = DateTime::<Utc>::from_timestamp(T0 + i64::try_from(n).expect("small"), 0)
            .expect("time");
        let body = match m {
            Move::Receive { item, qty, cents } => CostBody::Receipt {
                site: self.site.clone(),
                item: scale::item_code(item),
                qty: Qty::new(Decimal::from(qty), self.ea).expect("qty"),
                unit_cost: Money::new(
                    Decimal::new(i64::try_from(cents).expect("small"), 2),
                    self.usd,
                ),
                owner: None,
            },
            Move::Issue { item, qty } => CostBody::Issue {
                site: self.site.clone(),
                item: scale::item_code(item),
                qty: Qty::new(Decimal::from(qty), self.ea).expect("qty"),
                to: IssueTo::Sale,
                owner: None,
            },
        };
        CostEvent { id, at, body }
    }

    /// The entity every pool belongs to.
    pub fn entity() -> EntityCode {
        EntityCode::new("E1").expect("entity")
    }
}

/// The bare baseline: `moves` on a plain integer FIFO, one queue of (units, cents)
/// layers per item; the value issued and the value left, in cents. Every issue must be
/// covered (the scenario issues only what the item holds).
pub fn bare_fifo(items: usize, moves: &[Move]) -> (i128, i128) {
    let mut queues: Vec<VecDeque<(u64, u64)>> = vec![VecDeque::new(); items];
    let mut issued: i128 = 0;
    for m in moves {
        match *m {
            Move::Receive { item, qty, cents } => {
                let q = &mut queues[item];
                match q.back_mut() {
                    Some(last) if last.1 == cents => last.0 += qty,
                    _ => q.push_back((qty, cents)),
                }
            }
            Move::Issue { item, qty } => {
                let q = &mut queues[item];
                let mut left = qty;
                while left > 0 {
                    let front = q.front_mut().expect("the scenario issues only held stock");
                    let take = left.min(front.0);
                    issued += i128::from(take) * i128::from(front.1);
                    front.0 -= take;
                    left -= take;
                    if front.0 == 0 {
                        q.pop_front();
                    }
                }
            }
        }
    }
    let left = queues.iter().flatten().map(|&(qty, cents)| i128::from(qty) * i128::from(cents));
    (issued, left.sum())
}
