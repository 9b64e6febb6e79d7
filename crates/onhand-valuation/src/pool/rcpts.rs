//! [`Rcpts`]: a pool's receipt records, stored compact. Every receipt has an event, a
//! quantity and a value; few have embedded intercompany profit or a landed cost. So
//! each record keeps the first three in 40 bytes, and the other two live in a second
//! list that stays empty until a pool's first receipt with either (then it holds a pair
//! per record). A pool that never sees profit or landed cost, nearly every pool, keeps
//! half the bytes per receipt [`Rcpt`] would take.

use super::{Int, Rcpt};

/// A record's event, quantity and value; the quantity and value as two 64-bit halves
/// each (so the record is 8-byte aligned: 40 bytes, not 48).
#[derive(Debug, Clone, Copy)]
struct Lean {
    event: u64,
    qty: [u64; 2],
    value: [u64; 2],
}

/// `x` as two halves, low first.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "the halves")]
fn split(x: Int) -> [u64; 2] {
    [x as u64, (x >> 64) as u64]
}

/// The figure two halves stand for.
#[allow(clippy::cast_possible_wrap, reason = "the halves")]
fn join([lo, hi]: [u64; 2]) -> Int {
    (i128::from(hi as i64) << 64) | i128::from(lo)
}

/// Receipt records `0..len()`, each read back as the [`Rcpt`] it was stored as (see the
/// module docs).
#[derive(Clone, Default)]
pub(crate) struct Rcpts {
    lean: Vec<Lean>,
    /// Profit and landed cost per record: empty while every record has none, else one
    /// pair per record.
    rare: Vec<(Int, Int)>,
}

impl Rcpts {
    /// Record `i`.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<Rcpt> {
        let l = self.lean.get(i)?;
        let (profit, landed) =
            if self.rare.is_empty() { (0, 0) } else { self.rare.get(i).copied()? };
        Some(Rcpt { event: l.event, qty: join(l.qty), value: join(l.value), profit, landed })
    }

    pub(crate) fn len(&self) -> usize {
        self.lean.len()
    }

    /// Record `i`'s event.
    pub(crate) fn event(&self, i: usize) -> Option<u64> {
        self.lean.get(i).map(|l| l.event)
    }

    /// The newest record's event.
    pub(crate) fn last_event(&self) -> Option<u64> {
        self.lean.last().map(|l| l.event)
    }

    /// Gives every record its pair of rare figures (zero), once one needs them.
    fn widen(&mut self) {
        if self.rare.is_empty() {
            self.rare = vec![(0, 0); self.lean.len()];
        }
    }

    pub(crate) fn push(&mut self, r: Rcpt) {
        let rare = r.profit != 0 || r.landed != 0;
        if rare {
            self.widen();
        }
        if rare || !self.rare.is_empty() {
            self.rare.push((r.profit, r.landed));
        }
        self.lean.push(Lean { event: r.event, qty: split(r.qty), value: split(r.value) });
    }

    /// Sets record `i`'s landed cost; `false` when there is no such record.
    pub(crate) fn set_landed(&mut self, i: usize, landed: Int) -> bool {
        if i >= self.lean.len() {
            return false;
        }
        if landed == 0 && self.rare.is_empty() {
            return true;
        }
        self.widen();
        match self.rare.get_mut(i) {
            Some(pair) => {
                pair.1 = landed;
                true
            }
            None => false,
        }
    }

    /// Keeps the first `n` records.
    pub(crate) fn truncate(&mut self, n: usize) {
        self.lean.truncate(n);
        self.rare.truncate(n);
    }

    /// Forgets the first `n` records (all, when there are fewer).
    pub(crate) fn drop_front(&mut self, n: usize) {
        self.lean.drain(..n.min(self.lean.len()));
        self.rare.drain(..n.min(self.rare.len()));
    }

    /// The records from `from` on.
    pub(crate) fn iter_from(&self, from: usize) -> impl Iterator<Item = Rcpt> + '_ {
        (from..self.lean.len()).filter_map(|i| self.get(i))
    }

    /// Records `from..to` as a list of their own, copied as they are stored (`None`
    /// unless all are held); their rare figures only if one of them has any.
    pub(crate) fn slice(&self, from: usize, to: usize) -> Option<Rcpts> {
        let lean = self.lean.get(from..to)?.to_vec();
        let rare = match self.rare.get(from..to) {
            _ if self.rare.is_empty() => Vec::new(),
            Some(part) if part.iter().all(|&p| p == (0, 0)) => Vec::new(),
            Some(part) => part.to_vec(),
            None => return None,
        };
        Some(Rcpts { lean, rare })
    }
}

impl FromIterator<Rcpt> for Rcpts {
    fn from_iter<I: IntoIterator<Item = Rcpt>>(records: I) -> Self {
        let mut rcpts = Rcpts::default();
        rcpts.extend(records);
        rcpts
    }
}

impl Extend<Rcpt> for Rcpts {
    fn extend<I: IntoIterator<Item = Rcpt>>(&mut self, records: I) {
        for r in records {
            self.push(r);
        }
    }
}

/// The records as they read back (as a list of [`Rcpt`] shows), however they are stored.
impl std::fmt::Debug for Rcpts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter_from(0)).finish()
    }
}

/// Equal when they read back the same records, however they are stored.
impl PartialEq for Rcpts {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter_from(0).eq(other.iter_from(0))
    }
}

impl Eq for Rcpts {}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn figure() -> impl Strategy<Value = Int> {
        prop_oneof![Just(0), -1000i128..1000, Just((1 << 96) - 1), Just(-(1 << 96) + 1)]
    }

    fn rcpt() -> impl Strategy<Value = Rcpt> {
        (
            any::<u64>(),
            figure(),
            figure(),
            prop_oneof![3 => Just(0), 1 => figure()],
            prop_oneof![3 => Just(0), 1 => figure()],
        )
            .prop_map(|(event, qty, value, profit, landed)| Rcpt {
                event,
                qty,
                value,
                profit,
                landed,
            })
    }

    proptest! {
        /// The store reads back what a plain list of records holds, through pushes,
        /// landed costs, truncation and dropping from the front.
        #[test]
        fn the_store_reads_back_a_plain_list(
            ops in prop::collection::vec((0u8..4, rcpt(), 0usize..12, figure()), 0..80),
        ) {
            let (mut plain, mut store) = (Vec::<Rcpt>::new(), Rcpts::default());
            for (op, r, n, landed) in ops {
                match op {
                    0 => { plain.push(r); store.push(r); }
                    1 => {
                        let there = n < plain.len();
                        if let Some(p) = plain.get_mut(n) { p.landed = landed; }
                        prop_assert_eq!(store.set_landed(n, landed), there);
                    }
                    2 => { plain.truncate(plain.len().saturating_sub(n % 3)); store.truncate(plain.len()); }
                    _ => { let k = n % 3; plain.drain(..k.min(plain.len())); store.drop_front(k); }
                }
                prop_assert_eq!(store.len(), plain.len());
                prop_assert_eq!(store.iter_from(0).collect::<Vec<_>>(), plain.clone());
                prop_assert_eq!(store.last_event(), plain.last().map(|r| r.event));
            }
            prop_assert_eq!(&store, &plain.iter().copied().collect::<Rcpts>());
            prop_assert_eq!(format!("{store:?}"), format!("{plain:?}"));
        }
    }

    #[test]
    fn a_record_without_profit_or_landed_cost_takes_40_bytes() {
        assert_eq!(std::mem::size_of::<Lean>(), 40);
        assert_eq!(std::mem::size_of::<Rcpt>(), 80);
        for x in [
            0,
            1,
            -1,
            i128::from(i64::MAX) + 1,
            i128::from(i64::MIN) - 1,
            (1 << 96) - 1,
            -(1 << 96) + 1,
        ] {
            assert_eq!(join(split(x)), x);
        }
    }
}
