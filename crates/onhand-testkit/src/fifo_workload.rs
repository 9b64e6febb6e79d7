//! The FIFO costing workload of issue 14, shared by the `valuation_workload` bench and
//! the `onhand-valuation` example `fifo_workload`: a deterministic stream of receipts
//! and issues, and its exact value by an integer FIFO model.
//!
//! `SplitMix64`, seed 42. Each step draws the item (`0..=9999`, modulo the item count;
//! not drawn with one item), the receipt quantity (`1..=100`), its unit cost in cents
//! (`100..=5000`) and the issue quantity (`1..=80`); it receives, then issues if the
//! item holds enough. The stream stops at exactly the number of movements asked for.

use std::collections::VecDeque;

/// `SplitMix64` as the issue states it, all arithmetic mod 2^64.
#[derive(Debug, Clone)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi` (`lo + next % (hi - lo + 1)`).
    pub fn draw(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }
}

/// One movement of the workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// `qty` units of item `item` in, at `cents` each.
    Receive {
        /// The item's index.
        item: usize,
        /// Units.
        qty: u64,
        /// Unit cost in cents.
        cents: u64,
    },
    /// `qty` units of item `item` out, by FIFO.
    Issue {
        /// The item's index.
        item: usize,
        /// Units.
        qty: u64,
    },
}

/// The first `movements` movements over `items` items, and the final stock value in
/// cents by an exact integer FIFO model (a receipt at the newest layer's cost merges
/// into it).
#[must_use]
pub fn moves(items: usize, movements: usize) -> (Vec<Move>, i128) {
    let mut rng = SplitMix64(42);
    let mut queues: Vec<VecDeque<(u64, u64)>> = vec![VecDeque::new(); items.max(1)];
    let mut stock = vec![0u64; items.max(1)];
    let mut out = Vec::with_capacity(movements);
    while out.len() < movements {
        let item =
            if items > 1 { usize::try_from(rng.draw(0, 9999)).unwrap_or(0) % items } else { 0 };
        let rq = rng.draw(1, 100);
        let rc = rng.draw(100, 5000);
        let iq = rng.draw(1, 80);
        let (Some(q), Some(held)) = (queues.get_mut(item), stock.get_mut(item)) else { break };
        out.push(Move::Receive { item, qty: rq, cents: rc });
        match q.back_mut() {
            Some(last) if last.1 == rc => last.0 += rq,
            _ => q.push_back((rq, rc)),
        }
        *held += rq;
        if out.len() == movements {
            break;
        }
        if iq <= *held {
            out.push(Move::Issue { item, qty: iq });
            *held -= iq;
            let mut left = iq;
            while let Some(front) = q.front_mut().filter(|_| left > 0) {
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
    (out, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_stops_at_the_count_and_its_value_is_what_is_left() {
        let (m, value) = moves(3, 1_001);
        assert_eq!(m.len(), 1_001);
        let (mut units_in, mut units_out) = (0u64, 0u64);
        for x in &m {
            match x {
                Move::Receive { qty, .. } => units_in += qty,
                Move::Issue { qty, .. } => units_out += qty,
            }
        }
        assert!(value > 0 && units_in > units_out);
        assert_eq!(moves(3, 1_001), (m, value), "deterministic");
    }
}
