//! [`Active`]: the active exceptions by dedup key, found through the key's 64-bit
//! fingerprint.
//!
//! The dedup key (a kind and a subject) is large; a table of a million of them is slow
//! to probe and slower to grow. This index is one flat open-addressing table (linear
//! probing) of `(tag, index)` slots, 8 bytes each (the tag is the top half of the
//! fingerprint the rank already carries), placed by the tag: a look-up reads one or two
//! neighbouring slots, usually in one cache line, and checks the exception a matching
//! slot names against the key itself. Two different active keys with the same tag
//! simply occupy two slots of one probe run. At 8 bytes a slot, the index of a million
//! keys is half the size it was at 16 (a fingerprint and a `usize`), so more of it stays
//! in the last-level cache, where a look-up of a random key finds it. A removal shifts
//! the run's later slots back (no tombstones), so the table never fills with dead slots.
//!
//! From [`SPREAD_AT`] keys on, the keys are spread over [`SHARDS`] such tables, chosen
//! by the fingerprint's top eight bits, and each grows on its own: the call that grows
//! one moves a 256th of the keys. One table of a million keys grew to 4 million slots
//! (64 MiB, zeroed, and every key placed again) inside a single `apply`.

use super::Exception;
use crate::kind::ExceptionKind;
use crate::signal::Subject;
use onhand_master::chunked::Chunked;

/// The least number of slots a non-empty table has (a power of two).
const MIN_SLOTS: usize = 16;

/// Keys from which the index is spread over [`SHARDS`] tables (one table of this many
/// keys holds 64 Ki slots, 1 MiB).
pub(crate) const SPREAD_AT: usize = 32 * 1024;

/// Tables a spread index keeps, chosen by the fingerprint's top eight bits.
const SHARDS: usize = 256;

/// One slot: the tag of a key's fingerprint ([`tag_of`]) and the index of the exception
/// whose key it is, plus one (`0`: the slot is empty). An index fits in 32 bits: 2^32
/// exceptions would take terabytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Slot {
    tag: u32,
    index: u32,
}

impl Slot {
    /// The exception this occupied slot names.
    fn exception(self) -> usize {
        usize::try_from(self.index.wrapping_sub(1)).unwrap_or(usize::MAX)
    }
}

/// A fingerprint's tag: its top 32 bits (so its top eight still choose the table).
fn tag_of(print: u64) -> u32 {
    #[allow(clippy::cast_possible_truncation, reason = "the top half, shifted down")]
    let tag = (print >> 32) as u32;
    tag
}

/// Active exceptions by dedup key (see the module documentation).
#[derive(Debug, Clone)]
pub(crate) struct Active {
    /// None while empty, one while small, [`SHARDS`] once spread.
    tables: Vec<Table>,
    /// Keys held, over all tables.
    len: usize,
    /// Keys from which the index spreads ([`SPREAD_AT`], smaller in tests).
    spread_at: usize,
}

impl Default for Active {
    fn default() -> Self {
        Active { tables: Vec::new(), len: 0, spread_at: SPREAD_AT }
    }
}

impl PartialEq for Active {
    /// The same keys at the same indexes, wherever their slots lie (spread or not).
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len
            && self.tables.iter().flat_map(Table::occupied).all(|s| {
                other.table_of(s.tag).is_some_and(|t| t.run(s.tag).any(|o| o.index == s.index))
            })
    }
}

impl Eq for Active {}

/// One open-addressing table of slots.
#[derive(Debug, Clone, Default)]
struct Table {
    /// A power of two of slots (or none), at most half full.
    slots: Vec<Slot>,
    /// Occupied slots.
    len: usize,
}

/// The table of a spread index that a key of tag `tag` lies in: its top eight bits (the
/// fingerprint's).
fn shard_of(tag: u32) -> usize {
    // Below 256: a `usize` on every target.
    usize::try_from(tag >> 24).unwrap_or(0)
}

/// A dedup key, borrowed: a kind and a subject.
pub(crate) type KeyRef<'a> = (ExceptionKind, &'a Subject);

/// Whether exception `i` has dedup key `key`.
fn holds(items: &Chunked<Exception>, i: usize, key: KeyRef<'_>) -> bool {
    items.get(i).is_some_and(|e| e.kind == key.0 && e.subject == *key.1)
}

impl Active {
    /// An index that spreads from `keys` keys on (tests reach the spread with few).
    #[cfg(test)]
    fn spreading_at(keys: usize) -> Self {
        Active { spread_at: keys, ..Active::default() }
    }

    /// How many keys are active.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether the keys are spread over [`SHARDS`] tables.
    #[cfg(test)]
    fn is_spread(&self) -> bool {
        self.tables.len() == SHARDS
    }

    /// Slots over all tables.
    #[cfg(test)]
    fn slot_count(&self) -> usize {
        self.tables.iter().map(|t| t.slots.len()).sum()
    }

    /// The position of the table of tag `tag`.
    fn shard(&self, tag: u32) -> usize {
        if self.tables.len() == SHARDS { shard_of(tag) } else { 0 }
    }

    /// The table tag `tag` lies in (none while empty).
    fn table_of(&self, tag: u32) -> Option<&Table> {
        self.tables.get(self.shard(tag))
    }

    /// The index of the active exception with `key` (of fingerprint `print`).
    pub(crate) fn get(
        &self,
        key: KeyRef<'_>,
        print: u64,
        items: &Chunked<Exception>,
    ) -> Option<usize> {
        let tag = tag_of(print);
        self.table_of(tag)?.get(key, tag, items)
    }

    /// Records exception `i` as the active one with `key`; `false` (and nothing
    /// changed) when an active exception already has that key.
    pub(crate) fn insert(
        &mut self,
        key: KeyRef<'_>,
        print: u64,
        i: usize,
        items: &Chunked<Exception>,
    ) -> bool {
        if self.get(key, print, items).is_some() {
            return false;
        }
        self.insert_absent(print, i);
        true
    }

    /// Records exception `i` as the active one with a key of fingerprint `print` that
    /// the caller has just looked up and found inactive (so no look-up again).
    pub(crate) fn insert_absent(&mut self, print: u64, i: usize) {
        if self.tables.is_empty() {
            self.tables.push(Table::default());
        } else if self.tables.len() == 1 && self.len >= self.spread_at {
            self.spread();
        }
        let tag = tag_of(print);
        let at = self.shard(tag);
        if let Some(t) = self.tables.get_mut(at) {
            t.insert_absent(tag, i);
            self.len += 1;
        }
    }

    /// Forgets the active exception with `key` (of fingerprint `print`).
    pub(crate) fn remove(&mut self, key: KeyRef<'_>, print: u64, items: &Chunked<Exception>) {
        let tag = tag_of(print);
        let at = self.shard(tag);
        if let Some(t) = self.tables.get_mut(at)
            && t.remove(key, tag, items)
        {
            self.len -= 1;
        }
    }

    /// Moves the one table's keys into [`SHARDS`] tables, each sized for its share.
    fn spread(&mut self) {
        let Some(one) = self.tables.pop() else { return };
        let mut counts = [0_usize; SHARDS];
        for s in one.occupied() {
            if let Some(c) = counts.get_mut(shard_of(s.tag)) {
                *c += 1;
            }
        }
        self.tables = counts.iter().map(|&n| Table::for_keys(n)).collect();
        for s in one.occupied() {
            let at = self.shard(s.tag);
            if let Some(t) = self.tables.get_mut(at) {
                t.place(*s);
                t.len += 1;
            }
        }
    }
}

impl Table {
    /// An empty table that holds `keys` keys before it grows.
    fn for_keys(keys: usize) -> Self {
        let size = keys.saturating_mul(2).next_power_of_two().max(MIN_SLOTS);
        Table { slots: vec![Slot::default(); size], len: 0 }
    }

    /// The home slot of a tag (Fibonacci hashing of its bits onto the table).
    fn home(&self, tag: u32) -> usize {
        let bits = self.slots.len().trailing_zeros();
        if bits == 0 {
            return 0;
        }
        let spread = u64::from(tag).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits);
        // `spread` is below the slot count, a `usize`.
        usize::try_from(spread).unwrap_or(0)
    }

    /// The slot after `at`, wrapping.
    fn after(&self, at: usize) -> usize {
        (at + 1) & (self.slots.len().wrapping_sub(1))
    }

    /// The occupied slots.
    fn occupied(&self) -> impl Iterator<Item = &Slot> {
        self.slots.iter().filter(|s| s.index != 0)
    }

    /// The occupied slots of `tag`'s probe run with that tag.
    fn run(&self, tag: u32) -> impl Iterator<Item = &Slot> + '_ {
        self.positions(tag).filter_map(|at| self.slots.get(at))
    }

    /// The positions of the occupied slots with tag `tag`, in probe order.
    fn positions(&self, tag: u32) -> impl Iterator<Item = usize> + '_ {
        let mut at = self.home(tag);
        let mut left = self.slots.len();
        std::iter::from_fn(move || {
            while left > 0 {
                left -= 1;
                let slot = self.slots.get(at)?;
                if slot.index == 0 {
                    return None;
                }
                let here = at;
                at = self.after(at);
                if slot.tag == tag {
                    return Some(here);
                }
            }
            None
        })
    }

    /// The position of the slot holding `key` (of tag `tag`).
    fn find(&self, key: KeyRef<'_>, tag: u32, items: &Chunked<Exception>) -> Option<usize> {
        self.positions(tag)
            .find(|&at| self.slots.get(at).is_some_and(|s| holds(items, s.exception(), key)))
    }

    /// The index of the exception with `key` (of tag `tag`).
    fn get(&self, key: KeyRef<'_>, tag: u32, items: &Chunked<Exception>) -> Option<usize> {
        let at = self.find(key, tag, items)?;
        self.slots.get(at).map(|s| s.exception())
    }

    /// Records exception `i` under tag `tag`, known not to be held.
    fn insert_absent(&mut self, tag: u32, i: usize) {
        if (self.len + 1).saturating_mul(2) > self.slots.len() {
            self.grow();
        }
        // Fewer than 2^32 - 1 exceptions: each takes hundreds of bytes.
        let index = u32::try_from(i.wrapping_add(1)).unwrap_or(u32::MAX);
        debug_assert!(index < u32::MAX, "fewer than 2^32 - 1 exceptions");
        self.place(Slot { tag, index });
        self.len += 1;
    }

    /// Puts an occupied slot into the first empty slot of its probe run.
    fn place(&mut self, slot: Slot) {
        let mut at = self.home(slot.tag);
        for _ in 0..self.slots.len() {
            match self.slots.get_mut(at) {
                Some(s) if s.index == 0 => {
                    *s = slot;
                    return;
                }
                Some(_) => at = self.after(at),
                None => return,
            }
        }
    }

    /// Doubles the slots (at least [`MIN_SLOTS`]) and places every occupied slot again.
    fn grow(&mut self) {
        let size = self.slots.len().saturating_mul(2).max(MIN_SLOTS);
        let old = std::mem::replace(&mut self.slots, vec![Slot::default(); size]);
        for slot in old.into_iter().filter(|s| s.index != 0) {
            self.place(slot);
        }
    }

    /// Forgets the exception with `key` (of tag `tag`); whether it was held.
    fn remove(&mut self, key: KeyRef<'_>, tag: u32, items: &Chunked<Exception>) -> bool {
        let Some(mut hole) = self.find(key, tag, items) else { return false };
        self.len -= 1;
        // Backward-shift deletion: move each later slot of the run whose home does not
        // lie strictly between the hole and it into the hole.
        let mask = self.slots.len().wrapping_sub(1);
        let mut at = self.after(hole);
        for _ in 0..self.slots.len() {
            let Some(&next) = self.slots.get(at) else { break };
            if next.index == 0 {
                break;
            }
            let start = self.home(next.tag);
            // How far `next` sits from its home, and from the hole, along the probe.
            if (at.wrapping_sub(start) & mask) >= (at.wrapping_sub(hole) & mask) {
                if let Some(h) = self.slots.get_mut(hole) {
                    *h = next;
                }
                hole = at;
            }
            at = self.after(at);
        }
        if let Some(h) = self.slots.get_mut(hole) {
            *h = Slot::default();
        }
        true
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on a broken fixture")]
    use std::collections::HashMap;

    use chrono::{TimeZone, Utc};
    use onhand_master::{CurrencyCode, ItemCode, SiteCode};
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    use super::*;
    use crate::queue::Control;
    use crate::{Impact, Rules, Signal};

    const RISK: ExceptionKind = ExceptionKind::StockoutRisk;

    /// A queue holding `n` exceptions about items `I0`, `I1`, ... (their subjects are
    /// the keys the tests index).
    fn raised(n: usize) -> (Control, Vec<Subject>) {
        let usd = CurrencyCode::new("USD").unwrap();
        let mut c = Control::new(Rules::standard(usd)).unwrap();
        let at = Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap();
        let mut keys = Vec::new();
        for k in 0..n {
            let subject = Subject::ItemSite {
                item: ItemCode::new(format!("I{k}")).unwrap(),
                site: SiteCode::new("S1").unwrap(),
                lot: None,
            };
            let s = Signal::new(RISK, subject.clone(), at, Impact::value(Decimal::from(900), usd));
            c.apply(&s).unwrap();
            keys.push(subject);
        }
        (c, keys)
    }

    /// Two keys forced onto one fingerprint are found, refused twice and forgotten
    /// apart, whichever goes first.
    #[test]
    fn keys_sharing_a_fingerprint_stay_apart() {
        let (c, keys) = raised(3);
        for first in 0..2 {
            let mut a = Active::default();
            for (i, key) in keys.iter().enumerate() {
                assert!(a.insert((RISK, key), 7, i, &c.items));
                assert!(!a.insert((RISK, key), 7, i, &c.items), "a second active one");
            }
            assert_eq!(a.len(), 3);
            for (i, key) in keys.iter().enumerate() {
                assert_eq!(a.get((RISK, key), 7, &c.items), Some(i));
            }
            a.remove((RISK, &keys[first]), 7, &c.items);
            assert_eq!(a.len(), 2);
            assert_eq!(a.get((RISK, &keys[first]), 7, &c.items), None);
            for (i, key) in keys.iter().enumerate().filter(|(i, _)| *i != first) {
                assert_eq!(a.get((RISK, key), 7, &c.items), Some(i));
            }
            assert!(a.insert((RISK, &keys[first]), 7, first, &c.items));
            assert_eq!(a.get((RISK, &keys[first]), 7, &c.items), Some(first));
            assert_eq!(a.len(), 3);
        }
    }

    /// Spread, a larger index finds every key in its own table, each sized for its
    /// share, and forgets them all.
    #[test]
    fn a_spread_index_finds_every_key_in_its_table() {
        let (c, keys) = raised(3_000);
        // Fingerprints as the queue's are: well mixed over all 64 bits.
        let print = |k: usize| (k as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17);
        let mut a = Active::spreading_at(1_000);
        for (k, key) in keys.iter().enumerate() {
            assert!(a.insert((RISK, key), print(k), k, &c.items));
            assert_eq!(a.is_spread(), k >= 1_000, "spread once it held 1,000");
        }
        assert_eq!(a.len(), 3_000);
        for (k, key) in keys.iter().enumerate() {
            assert_eq!(a.get((RISK, key), print(k), &c.items), Some(k));
            let tag = tag_of(print(k));
            assert!(a.tables[shard_of(tag)].run(tag).any(|s| s.exception() == k));
        }
        // About 12 keys a table: none holds more than a few times that.
        assert!(a.tables.iter().all(|t| t.len < 48 && t.len * 2 <= t.slots.len()));
        for (k, key) in keys.iter().enumerate() {
            a.remove((RISK, key), print(k), &c.items);
        }
        assert_eq!((a.len(), a.tables.iter().map(|t| t.len).sum::<usize>()), (0, 0));
    }

    proptest! {
        /// Against a plain map: inserts and removals of 40 keys whose fingerprints are
        /// drawn from a handful (so probe runs collide, wrap around the table's end and
        /// shift back on removal), through growth, find exactly the map's keys, and
        /// tables with the same keys are equal however they were filled.
        #[test]
        fn finds_what_a_map_holds(
            ops in proptest::collection::vec((any::<bool>(), 0..40_usize), 0..300),
            spread in any::<bool>(),
        ) {
            let (c, keys) = raised(40);
            // Few fingerprints, some near the top of the range (homes at the end), in
            // three of the spread index's tables.
            let print = |k: usize| [3_u64, 7, u64::MAX, u64::MAX - 1, 1 << 63][k % 5];
            // Spread from the ninth key on, or never (the equal table below is not).
            let mut a = if spread { Active::spreading_at(8) } else { Active::default() };
            let mut model: HashMap<usize, usize> = HashMap::new();
            for (add, k) in ops {
                let key = (RISK, &keys[k]);
                if add {
                    prop_assert_eq!(a.insert(key, print(k), k, &c.items), !model.contains_key(&k));
                    model.insert(k, k);
                } else {
                    a.remove(key, print(k), &c.items);
                    model.remove(&k);
                }
                prop_assert_eq!(a.len(), model.len());
                for (j, subject) in keys.iter().enumerate() {
                    prop_assert_eq!(a.get((RISK, subject), print(j), &c.items), model.get(&j).copied());
                }
                prop_assert!(a.len() * 2 <= a.slot_count().max(MIN_SLOTS));
            }
            prop_assert!(!a.is_spread() || spread);
            // The same keys inserted afresh, in another order: an equal table.
            let mut b = Active::default();
            let mut held: Vec<usize> = model.keys().copied().collect();
            held.sort_unstable_by(|x, y| y.cmp(x));
            for k in held {
                b.insert((RISK, &keys[k]), print(k), k, &c.items);
            }
            prop_assert_eq!(&a, &b);
        }
    }
}
