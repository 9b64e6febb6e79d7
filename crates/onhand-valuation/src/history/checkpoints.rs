//! [`Checkpoints`]: a pool's checkpoints, `(n, state after its first n operations)` in
//! ascending `n`, the first always at 0 (the state at the last close). Most pools were
//! never closed and have fewer than [`CHECKPOINT_EVERY`](super::CHECKPOINT_EVERY)
//! operations: their one checkpoint is the empty state of the method they started
//! with. That one is not stored (a state is 256 bytes, and its list another allocation
//! per pool): it is read back from the method alone.

use rust_decimal::Decimal;

use crate::pool::{Method, State};

/// The checkpoints of a pool (see the module docs); read back exactly as the list they
/// stand for.
#[derive(Clone, Default)]
pub(crate) struct Checkpoints {
    /// `Some(m)`: the first checkpoint is `(0, State::empty(m, 0))`, and `list` holds
    /// the rest.
    empty_base: Option<Method>,
    list: Vec<(u32, State)>,
}

/// The method whose empty state `state` is, exactly (zero cost at scale 0, as a new
/// pool of a method other than standard cost starts), if it is one.
pub(crate) fn empty_of(state: &State) -> Option<Method> {
    let empty = State::empty(state.method, Decimal::ZERO);
    (*state == empty && state.cost.serialize() == Decimal::ZERO.serialize()).then_some(state.method)
}

impl Checkpoints {
    /// The checkpoints in `list`.
    pub(crate) fn from_list(mut list: Vec<(u32, State)>) -> Self {
        let empty_base = match list.first() {
            Some((0, base)) => empty_of(base),
            _ => None,
        };
        if empty_base.is_some() {
            // The rest in a list of their own size (none: no allocation at all).
            list = list.drain(1..).collect();
        }
        Checkpoints { empty_base, list }
    }

    /// A new pool's: its empty state, `base`.
    pub(crate) fn new(base: State) -> Self {
        match empty_of(&base) {
            Some(m) => Checkpoints { empty_base: Some(m), list: Vec::new() },
            None => Checkpoints { empty_base: None, list: vec![(0, base)] },
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.list.len() + usize::from(self.empty_base.is_some())
    }

    /// Checkpoint `i`.
    pub(crate) fn get(&self, i: usize) -> Option<(u32, State)> {
        match self.empty_base {
            Some(m) if i == 0 => Some((0, State::empty(m, Decimal::ZERO))),
            Some(_) => self.list.get(i - 1).copied(),
            None => self.list.get(i).copied(),
        }
    }

    /// How many checkpoints come before the first for which `pred` is false (they are
    /// ascending: see [`slice::partition_point`]).
    pub(crate) fn partition_point(&self, pred: impl Fn(u32) -> bool) -> usize {
        match self.empty_base {
            Some(_) if !pred(0) => 0,
            Some(_) => 1 + self.list.partition_point(|(n, _)| pred(*n)),
            None => self.list.partition_point(|(n, _)| pred(*n)),
        }
    }

    pub(crate) fn push(&mut self, (n, state): (u32, State)) {
        if self.len() == 0 {
            *self = Checkpoints::from_list(vec![(n, state)]);
        } else {
            self.list.push((n, state));
        }
    }

    /// Keeps the first `n`.
    pub(crate) fn truncate(&mut self, n: usize) {
        match self.empty_base {
            Some(_) if n == 0 => *self = Checkpoints::default(),
            Some(_) => self.list.truncate(n - 1),
            None => self.list.truncate(n),
        }
    }

    pub(crate) fn extend(&mut self, more: impl IntoIterator<Item = (u32, State)>) {
        for c in more {
            self.push(c);
        }
    }

    /// The checkpoints from `from` on.
    pub(crate) fn tail(&self, from: usize) -> Vec<(u32, State)> {
        (from..self.len()).filter_map(|i| self.get(i)).collect()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, State)> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    pub(crate) fn first(&self) -> Option<(u32, State)> {
        self.get(0)
    }
}

/// The list the checkpoints stand for.
impl std::fmt::Debug for Checkpoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn state() -> impl Strategy<Value = State> {
        let method =
            prop_oneof![Just(Method::Fifo), Just(Method::MovingAverage), Just(Method::Standard)];
        (
            method,
            0i128..3,
            prop_oneof![Just(Decimal::ZERO), Just(Decimal::new(0, 2)), Just(Decimal::new(255, 1))],
        )
            .prop_map(|(method, qty, cost)| State {
                qty,
                value: qty * 10,
                cost,
                ..State::empty(method, Decimal::ZERO)
            })
    }

    proptest! {
        /// The checkpoints read back the list they were made from, through pushes,
        /// truncation and extension; a stored base that merely compares equal to an
        /// empty state (a zero cost at another scale) is kept as it was.
        #[test]
        fn checkpoints_read_back_a_plain_list(
            base in state(),
            ops in prop::collection::vec((0u8..3, state(), 0usize..4), 0..40),
        ) {
            let mut plain = vec![(0u32, base)];
            let mut cps = Checkpoints::new(base);
            for (op, s, k) in ops {
                match op {
                    0 => {
                        let n = plain.last().map_or(0, |(n, _)| n + 64);
                        plain.push((n, s));
                        cps.push((n, s));
                    }
                    1 => {
                        let keep = plain.len().saturating_sub(k);
                        plain.truncate(keep);
                        cps.truncate(keep);
                    }
                    _ => {
                        let from = k.min(plain.len());
                        prop_assert_eq!(cps.tail(from), plain.get(from..).unwrap_or_default().to_vec());
                        let again: Vec<_> = plain.get(from..).unwrap_or_default().to_vec();
                        plain.truncate(from);
                        cps.truncate(from);
                        plain.extend(again.iter().copied());
                        cps.extend(again);
                    }
                }
                prop_assert_eq!(cps.len(), plain.len());
                let read: Vec<_> = cps.iter().collect();
                prop_assert_eq!(&read, &plain);
                for (a, b) in read.iter().zip(&plain) {
                    prop_assert_eq!(a.1.cost.serialize(), b.1.cost.serialize());
                }
                for at in [0u32, 1, 63, 64, 65, 200] {
                    prop_assert_eq!(cps.partition_point(|m| m <= at), plain.partition_point(|(m, _)| *m <= at));
                }
                prop_assert_eq!(cps.first(), plain.first().copied());
                prop_assert_eq!(format!("{cps:?}"), format!("{plain:?}"));
            }
        }
    }

    /// The crate docs' memory table counts a pool's slot at about 550 bytes with its
    /// index entry: a slot that grows past 528 must update it.
    #[test]
    fn a_pools_slot_is_what_the_memory_table_says() {
        assert!(std::mem::size_of::<crate::history::Slot>() <= 528);
        assert_eq!(std::mem::size_of::<(u32, State)>(), 272);
    }

    #[test]
    fn a_new_pools_checkpoint_is_not_stored() {
        let cps = Checkpoints::new(State::empty(Method::Fifo, Decimal::ZERO));
        assert!(cps.list.is_empty() && cps.list.capacity() == 0);
        assert_eq!(cps.len(), 1);
        // A standard-cost pool starts at its standard: stored.
        let cps = Checkpoints::new(State::empty(Method::Standard, Decimal::new(255, 1)));
        assert_eq!(cps.list.len(), 1);
    }
}
