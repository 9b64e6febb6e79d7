//! [`Ranked`]: one role's queue at one site, kept so that a raise or an update touches
//! only a small sorted head, and ranks are merged lazily.
//!
//! Entries are [`Rank`]s (which carry the exception id). They sit in a short sorted head
//! and in sorted runs whose lengths at least halve from one run to the next (so there
//! are about `log2(len / HEAD)` of them); a full head becomes a run, and runs merge,
//! smallest first, like a binary counter: every entry is moved `O(log len)` times in
//! sequential passes, and nothing is ever searched for in a large tree.
//!
//! Nothing is removed in place. When an exception's rank changes, it closes, or it loses
//! the role, its old entry simply stops standing for it: an entry is *live* when its
//! exception is active, holds the queue's role and still has exactly that rank. Readers
//! skip entries that are not live and repeats of an equal entry (an exception can come
//! back to a rank it had), so a read yields exactly the sorted live ranks: what a sorted
//! set with eager removal would hold. The queue counts what it has let go stale and
//! compacts itself (drops every entry that is not live) once that is more than half of
//! what it holds, so a read never wades through more dead entries than live ones.

use super::Rank;

/// The head's capacity: a raise or an update inserts into a sorted vector this short.
const HEAD: usize = 32;

/// One role's queue at one site (see the module documentation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Ranked {
    /// The newest entries, sorted.
    head: Vec<Rank>,
    /// Sorted runs, longest first; each more than twice as long as the next.
    runs: Vec<Vec<Rank>>,
    /// Entries held, live or not.
    len: usize,
    /// An upper bound on the entries that are no longer live (stale or repeated).
    stale: usize,
}

impl Ranked {
    /// Adds a live entry.
    pub(crate) fn insert(&mut self, rank: Rank) {
        let at = self.head.partition_point(|r| *r < rank);
        if self.head.get(at) == Some(&rank) {
            // Already held (a repeat after the exception came back to this rank): the
            // copy counted stale when the rank was left is live again.
            self.stale = self.stale.saturating_sub(1);
            return;
        }
        self.head.insert(at, rank);
        self.len += 1;
        if self.head.len() >= HEAD {
            let run = std::mem::replace(&mut self.head, Vec::with_capacity(HEAD));
            self.push_run(run);
        }
    }

    /// Adds many live entries at once, sorted ascending.
    pub(crate) fn extend_sorted(&mut self, ranks: Vec<Rank>) {
        debug_assert!(ranks.windows(2).all(|w| matches!(w, [a, b] if a < b)), "unsorted");
        if ranks.is_empty() {
            return;
        }
        self.len += ranks.len();
        self.push_run(ranks);
    }

    /// Notes that one entry stopped being live (the exception's rank changed, it closed,
    /// or it lost the role); compacts when more than half of the entries are dead.
    /// `live` tells whether an entry is live.
    pub(crate) fn forget(&mut self, live: impl Fn(&Rank) -> bool) {
        self.stale = self.stale.saturating_add(1);
        if self.stale.saturating_mul(2) > self.len && self.len > HEAD {
            self.compact(live);
        }
    }

    /// The first `limit` live entries, in rank order.
    pub(crate) fn top(&self, limit: usize, live: impl Fn(&Rank) -> bool) -> Vec<Rank> {
        let mut out = Vec::with_capacity(limit.min(self.len));
        let mut cursors: Vec<&[Rank]> = Vec::with_capacity(self.runs.len() + 1);
        cursors.extend(self.runs.iter().map(Vec::as_slice).filter(|r| !r.is_empty()));
        if !self.head.is_empty() {
            cursors.push(&self.head);
        }
        let mut last: Option<Rank> = None;
        while out.len() < limit {
            // The smallest first entry over the cursors (there are O(log len) of them).
            let mut best: Option<(usize, Rank)> = None;
            for (n, c) in cursors.iter().enumerate() {
                if let Some(&r) = c.first()
                    && best.is_none_or(|(_, b)| r < b)
                {
                    best = Some((n, r));
                }
            }
            let Some((n, r)) = best else { break };
            if let Some(c) = cursors.get_mut(n) {
                *c = c.get(1..).unwrap_or_default();
            }
            if last != Some(r) && live(&r) {
                out.push(r);
            }
            last = Some(r);
        }
        out
    }

    /// Pushes a sorted run and merges runs until each is more than twice as long as the
    /// next.
    fn push_run(&mut self, run: Vec<Rank>) {
        self.runs.push(run);
        while let [.., older, newer] = self.runs.as_slice()
            && older.len() <= newer.len().saturating_mul(2)
        {
            let (Some(newer), Some(older)) = (self.runs.pop(), self.runs.pop()) else { break };
            let merged = self.merge(&older, &newer);
            self.runs.push(merged);
        }
    }

    /// `left` and `right` merged into one sorted run, repeats dropped (and uncounted).
    fn merge(&mut self, left: &[Rank], right: &[Rank]) -> Vec<Rank> {
        let mut out = Vec::with_capacity(left.len() + right.len());
        let (mut l, mut r) = (0, 0);
        loop {
            let next = match (left.get(l), right.get(r)) {
                (Some(x), Some(y)) if x <= y => {
                    l += 1;
                    if x == y {
                        r += 1;
                        // One of the two copies goes.
                        self.len = self.len.saturating_sub(1);
                        self.stale = self.stale.saturating_sub(1);
                    }
                    *x
                }
                (_, Some(y)) => {
                    r += 1;
                    *y
                }
                (Some(x), None) => {
                    l += 1;
                    *x
                }
                (None, None) => break,
            };
            out.push(next);
        }
        out
    }

    /// Keeps only the live entries, once each, in one run.
    fn compact(&mut self, live: impl Fn(&Rank) -> bool) {
        let all = self.top(usize::MAX, live);
        self.len = all.len();
        self.stale = 0;
        self.head.clear();
        self.runs.clear();
        if !all.is_empty() {
            self.runs.push(all);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on a broken fixture")]
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;

    fn r(breach: i64, id: u64) -> Rank {
        Rank { breach, id, ..Rank::default() }
    }

    proptest! {
        /// Against a sorted set with eager removal: inserts, removals (an entry of the
        /// set stops being live) and re-inserts of entries that went stale, the head,
        /// the runs, merges and compaction all yield exactly the set's order.
        #[test]
        fn reads_equal_a_sorted_set(ops in proptest::collection::vec((0..4_u8, 0..60_u64, 0..40_u64), 0..400)) {
            let mut q = Ranked::default();
            let mut set: BTreeSet<Rank> = BTreeSet::new();
            for (op, breach, id) in ops {
                let rank = r(breach.cast_signed(), id);
                match op {
                    0 | 1 => {
                        if set.insert(rank) {
                            q.insert(rank);
                        }
                    }
                    2 => {
                        if set.remove(&rank) {
                            q.forget(|x| set.contains(x));
                        }
                    }
                    _ => {
                        let batch: Vec<Rank> = (0..breach)
                            .map(|n| r(n.cast_signed(), 100 + id * 64 + n))
                            .filter(|x| !set.contains(x))
                            .collect();
                        set.extend(batch.iter().copied());
                        q.extend_sorted(batch);
                    }
                }
                let live = |x: &Rank| set.contains(x);
                prop_assert_eq!(q.top(usize::MAX, live), set.iter().copied().collect::<Vec<_>>());
                prop_assert_eq!(q.top(5, live), set.iter().copied().take(5).collect::<Vec<_>>());
                prop_assert!(q.stale * 2 <= q.len.max(HEAD * 2), "{} stale of {}", q.stale, q.len);
                prop_assert!(q.runs.windows(2).all(|w| w[0].len() > 2 * w[1].len()));
            }
        }
    }
}
