//! [`Ranked`]: one role's queue at one site, kept as a binary min-heap of ranks, so a
//! raise or an update adds one entry at the heap's end and sifts it up (constant time
//! on average when ranks arrive in no particular order, and when they arrive in rising
//! order, as raises mostly do), and nothing is ever searched for or moved in bulk.
//!
//! Entries are [`Rank`]s (which carry the exception id and its stamp). Nothing is
//! removed in place. When an exception's rank changes, it closes, or it loses a role,
//! the queue's owner gives it a new stamp, and its old entries simply stop standing for
//! it: an entry is *live* when it carries its exception's current stamp (the exception
//! is then active, holds the queue's role and has exactly that rank). Readers walk the
//! heap best first (a small frontier heap of the entries whose parents were read), which
//! yields the entries in rank order; they skip entries that are not live and repeats of
//! an equal entry (one exception in several queues read together), so a read yields
//! exactly the sorted live ranks: what a sorted set with eager removal would hold.
//!
//! The caller says each time one of the queue's entries goes stale, and the queue counts
//! them. Once they are more than half of what it holds, it compacts itself: it keeps the
//! entries whose stamp is their exception's current one, read from the owner's dense list
//! of stamps (4 bytes an exception, where the exceptions themselves are hundreds), and
//! rebuilds the heap bottom-up. So compaction costs one look-up in that list per entry
//! and nothing else, and a read never wades through more dead entries than live ones.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::Rank;

/// A queue this small never compacts: reading it is cheap whatever it holds.
const SMALL: usize = 32;

/// One role's queue at one site (see the module documentation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Ranked {
    /// Every entry, live or not, in heap order: none is greater than its children (at
    /// `2i + 1` and `2i + 2`).
    heap: Vec<Rank>,
    /// How many entries are no longer live: one per [`forget`](Self::forget) since the
    /// last compaction.
    dead: usize,
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

    /// Notes that one of its entries stopped being live (its exception has a new stamp
    /// in `stamps`, by id: its rank changed, it closed, or it lost the role). Compacts
    /// when more than half of the entries are dead.
    pub(crate) fn forget(&mut self, stamps: &[u32]) {
        self.dead = self.dead.saturating_add(1);
        if self.dead.saturating_mul(2) > self.heap.len() && self.heap.len() > SMALL {
            self.compact(stamps);
        }
    }

    /// The entries it holds, live or not, and how many of them are dead (for tests
    /// checking its accounting).
    #[cfg(test)]
    pub(crate) fn counts(&self) -> (usize, usize) {
        (self.heap.len(), self.dead)
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

    /// Keeps the entries that carry their exception's stamp in `stamps`, then restores
    /// the heap order bottom-up (linear in the entries).
    fn compact(&mut self, stamps: &[u32]) {
        self.heap.retain(|r| r.is_current(stamps));
        for i in (0..self.heap.len() / 2).rev() {
            self.sift_down(i);
        }
        self.dead = 0;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on a broken fixture")]
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    /// The largest id the ops below make (batches: `100 + 39 * 64 + 15`).
    const IDS: usize = 2_700;

    fn r(breach: i64, id: u64, stamps: &[u32]) -> Rank {
        let stamp = stamps[usize::try_from(id).unwrap()];
        Rank { breach, id, stamp, ..Rank::default() }
    }

    /// The owner's side of a change: a new stamp for `id`, and the queue told that its
    /// entry went stale.
    fn stale(q: &mut Ranked, stamps: &mut [u32], id: u64) {
        let s = &mut stamps[usize::try_from(id).unwrap()];
        *s = s.wrapping_add(1);
        q.forget(stamps);
    }

    proptest! {
        /// Against a map of each exception's live rank with eager removal: inserts, rank
        /// changes, removals (an entry stops being live), re-inserts of exceptions that
        /// went stale, batches and compaction all yield exactly the map's ranks in
        /// order, and the heap stays a heap.
        #[test]
        fn reads_equal_a_sorted_set(ops in proptest::collection::vec((0..4_u8, 0..60_u64, 0..40_u64), 0..400)) {
            let mut q = Ranked::default();
            let mut stamps = vec![0_u32; IDS];
            let mut live_ranks: BTreeMap<u64, Rank> = BTreeMap::new();
            for (op, breach, id) in ops {
                match op {
                    0 | 1 => {
                        // The exception's rank is set: unchanged, new, or moved.
                        let now = r(breach.cast_signed(), id, &stamps);
                        match live_ranks.get(&id) {
                            Some(old) if old.breach == now.breach => {}
                            Some(_) => {
                                stale(&mut q, &mut stamps, id);
                                let moved = r(breach.cast_signed(), id, &stamps);
                                q.insert(moved);
                                live_ranks.insert(id, moved);
                            }
                            None => {
                                q.insert(now);
                                live_ranks.insert(id, now);
                            }
                        }
                    }
                    2 => {
                        if live_ranks.remove(&id).is_some() {
                            stale(&mut q, &mut stamps, id);
                        }
                        // And up to 15 held ones at positions drawn from the id, so
                        // stale entries pile up and the queue compacts.
                        for k in 0..breach % 16 {
                            let at = usize::try_from(id + 7 * k).unwrap() % live_ranks.len().max(1);
                            if let Some(gone) = live_ranks.keys().nth(at).copied() {
                                live_ranks.remove(&gone);
                                stale(&mut q, &mut stamps, gone);
                            }
                        }
                    }
                    _ => {
                        // Up to 15 at once: queues stay small enough for a full read
                        // after every step, and batches still take both paths (sifting
                        // each, or one pass over all).
                        let mut batch: Vec<Rank> = (0..breach % 16)
                            .map(|n| r(n.cast_signed(), 100 + id * 64 + n, &stamps))
                            .filter(|x| !live_ranks.contains_key(&x.id))
                            .collect();
                        batch.sort_unstable();
                        live_ranks.extend(batch.iter().map(|x| (x.id, *x)));
                        q.extend_sorted(batch);
                    }
                }
                let mut want: Vec<Rank> = live_ranks.values().copied().collect();
                want.sort_unstable();
                let live = |x: &Rank| live_ranks.get(&x.id) == Some(x);
                prop_assert_eq!(q.top(usize::MAX, live), want.clone());
                prop_assert_eq!(q.top(5, live), want.iter().copied().take(5).collect::<Vec<_>>());
                let (len, dead) = q.counts();
                prop_assert!(dead * 2 <= len.max(2 * SMALL), "{} dead of {}", dead, len);
                // Exact accounting: every entry is live or counted dead, never both.
                prop_assert_eq!(len - dead, live_ranks.len());
                prop_assert!((1..len).all(|i| q.heap[(i - 1) / 2] <= q.heap[i]), "not a heap");
            }
        }
    }
}
