//! [`Ranked`]: one role's queue at one site, kept as a binary min-heap of ranks, so a
//! raise or an update adds one entry at the heap's end and sifts it up (constant time
//! on average when ranks arrive in no particular order, and when they arrive in rising
//! order, as raises mostly do), and nothing is ever searched for or moved in bulk.
//!
//! Entries are [`Rank`]s (which carry the exception id). Nothing is removed in place.
//! When an exception's rank changes, it closes, or it loses the role, its old entry
//! simply stops standing for it: an entry is *live* when its exception is active, holds
//! the queue's role and still has exactly that rank. Readers walk the heap best first
//! (a small frontier heap of the entries whose parents were read), which yields the
//! entries in rank order; they skip entries that are not live and repeats of an equal
//! entry (an exception can come back to a rank it had), so a read yields exactly the
//! sorted live ranks: what a sorted set with eager removal would hold.
//!
//! The caller names each entry it lets go stale (the exception's old rank), and the
//! queue keeps those names. Once they are more than half of what it holds, it compacts
//! itself: it takes out one entry per name (a multiset difference, so an exception that
//! came back to an old rank keeps its live copy) and rebuilds the heap bottom-up. That
//! reads nothing but the queue itself, so compaction costs no look-up of an exception,
//! and a read never wades through more dead entries than live ones.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use onhand_master::hash::{Map, map};

use super::Rank;

/// A queue this small never compacts: reading it is cheap whatever it holds.
const SMALL: usize = 32;

/// One role's queue at one site (see the module documentation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Ranked {
    /// Every entry, live or not, in heap order: none is greater than its children (at
    /// `2i + 1` and `2i + 2`).
    heap: Vec<Rank>,
    /// The entries that are no longer live, one per [`forget`](Self::forget) since the
    /// last compaction (an entry named twice is in the heap twice).
    dead: Vec<Rank>,
}

/// The children of heap position `i`.
fn children(i: usize) -> [usize; 2] {
    let left = i.saturating_mul(2).saturating_add(1);
    [left, left.saturating_add(1)]
}

/// The first `limit` ranks live in their queue over several queues (each with its own
/// liveness), in rank order, each once: one best-first walk over all their heaps at
/// once, which stops as soon as `limit` are found.
pub(crate) fn top_of<L: Fn(&Rank) -> bool>(queues: &[(&Ranked, L)], limit: usize) -> Vec<Rank> {
    let held: usize = queues.iter().map(|(q, _)| q.heap.len()).sum();
    if limit.saturating_mul(4) >= held {
        // Most of the queues: sorting what is live costs less than walking the heaps.
        let mut out: Vec<Rank> = queues
            .iter()
            .flat_map(|(q, live)| q.heap.iter().copied().filter(|r| live(r)))
            .collect();
        out.sort_unstable();
        out.dedup();
        out.truncate(limit);
        return out;
    }
    let mut out: Vec<Rank> = Vec::with_capacity(limit);
    // The entries read next: the roots, then the children of every entry read; smallest
    // first. Equal ranks (repeats in one queue, one exception in several) come out one
    // after the other, so a rank equal to the last one kept is a repeat.
    let mut frontier: BinaryHeap<Reverse<(Rank, usize, usize)>> =
        BinaryHeap::with_capacity(limit.saturating_add(queues.len()).saturating_add(1));
    for (n, (q, _)) in queues.iter().enumerate() {
        if let Some(&root) = q.heap.first() {
            frontier.push(Reverse((root, n, 0)));
        }
    }
    while out.len() < limit {
        let Some(Reverse((r, n, i))) = frontier.pop() else { break };
        let Some((q, live)) = queues.get(n) else { continue };
        for c in children(i) {
            if let Some(&child) = q.heap.get(c) {
                frontier.push(Reverse((child, n, c)));
            }
        }
        if out.last() != Some(&r) && live(&r) {
            out.push(r);
        }
    }
    out
}

impl Ranked {
    /// Whether it holds no entry at all (live or not).
    pub(crate) fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Adds a live entry.
    pub(crate) fn insert(&mut self, rank: Rank) {
        self.heap.push(rank);
        self.sift_up(self.heap.len().saturating_sub(1));
    }

    /// Adds many live entries at once, sorted ascending.
    pub(crate) fn extend_sorted(&mut self, ranks: Vec<Rank>) {
        debug_assert!(ranks.windows(2).all(|w| matches!(w, [a, b] if a < b)), "unsorted");
        if self.heap.is_empty() {
            // A sorted vector is a heap.
            self.heap = ranks;
        } else if ranks.len() >= self.heap.len() / 8 {
            // Many: one bottom-up pass over everything costs less than sifting each.
            self.heap.extend(ranks);
            for i in (0..self.heap.len() / 2).rev() {
                self.sift_down(i);
            }
        } else {
            for rank in ranks {
                self.insert(rank);
            }
        }
    }

    /// Notes that entry `old` stopped being live (the exception's rank changed, it
    /// closed, or it lost the role); `old` must be in the heap, once for each time it
    /// was inserted and not yet forgotten. Compacts when more than half of the entries
    /// are dead.
    pub(crate) fn forget(&mut self, old: Rank) {
        self.dead.push(old);
        if self.dead.len().saturating_mul(2) > self.heap.len() && self.heap.len() > SMALL {
            self.compact();
        }
    }

    /// The first `limit` live entries, in rank order.
    pub(crate) fn top(&self, limit: usize, live: impl Fn(&Rank) -> bool) -> Vec<Rank> {
        top_of(&[(self, live)], limit)
    }

    /// Moves the entry at `i` up until its parent is no greater.
    fn sift_up(&mut self, mut i: usize) {
        let Some(&x) = self.heap.get(i) else { return };
        while i > 0 {
            let p = (i - 1) / 2;
            let Some(&parent) = self.heap.get(p) else { break };
            if parent <= x {
                break;
            }
            if let Some(slot) = self.heap.get_mut(i) {
                *slot = parent;
            }
            i = p;
        }
        if let Some(slot) = self.heap.get_mut(i) {
            *slot = x;
        }
    }

    /// Moves the entry at `at` down until no child is smaller.
    fn sift_down(&mut self, mut at: usize) {
        let Some(&moving) = self.heap.get(at) else { return };
        loop {
            let [left, right] = children(at);
            let next = match (self.heap.get(left), self.heap.get(right)) {
                (Some(a), Some(b)) if b < a => right,
                (Some(_), _) => left,
                (None, _) => break,
            };
            let Some(&child) = self.heap.get(next) else { break };
            if moving <= child {
                break;
            }
            if let Some(slot) = self.heap.get_mut(at) {
                *slot = child;
            }
            at = next;
        }
        if let Some(slot) = self.heap.get_mut(at) {
            *slot = moving;
        }
    }

    /// Takes one heap entry out per dead name, then restores the heap order bottom-up
    /// (linear in the entries kept).
    fn compact(&mut self) {
        let mut dead: Map<Rank, u32> = map();
        dead.reserve(self.dead.len());
        for r in self.dead.drain(..) {
            *dead.entry(r).or_insert(0) += 1;
        }
        self.heap.retain(|r| match dead.get_mut(r) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        });
        for i in (0..self.heap.len() / 2).rev() {
            self.sift_down(i);
        }
        // The names held as much as the heap: give it back.
        self.dead = Vec::new();
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
        /// set stops being live), re-inserts of entries that went stale, batches and
        /// compaction all yield exactly the set's order, and the heap stays a heap.
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
                            q.forget(rank);
                        }
                        // And up to 15 held ones at positions drawn from the id, so
                        // stale entries pile up and the queue compacts.
                        for k in 0..breach % 16 {
                            let at = usize::try_from(id + 7 * k).unwrap() % set.len().max(1);
                            if let Some(gone) = set.iter().nth(at).copied() {
                                set.remove(&gone);
                                q.forget(gone);
                            }
                        }
                    }
                    _ => {
                        // Up to 15 at once: queues stay small enough for a full read
                        // after every step, and batches still take both paths (sifting
                        // each, or one pass over all).
                        let batch: Vec<Rank> = (0..breach % 16)
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
                let len = q.heap.len();
                let dead = q.dead.len();
                prop_assert!(dead * 2 <= len.max(2 * SMALL), "{} dead of {}", dead, len);
                // Exact accounting: every entry is live or named dead, never both.
                prop_assert_eq!(len - dead, set.len());
                prop_assert!((1..len).all(|i| q.heap[(i - 1) / 2] <= q.heap[i]), "not a heap");
            }
        }
    }
}
