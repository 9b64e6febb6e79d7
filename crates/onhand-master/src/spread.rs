//! [`SpreadMap`], a hash map that never stops the world to grow: once large, its entries
//! are spread over [`SHARDS`] maps by their hash, and each grows on its own.
//!
//! A hash map doubles when it fills, moving every entry into a new table in one call. An
//! engine that keeps one entry per applied event (the ledger's event-id index, its
//! posted-event records) then has one `apply` in a million that moves the whole index:
//! 160 ms at 1.8 million events for the ledger alone, 150 to 520 ms for the whole
//! network, doubling again with every doubling of the history. Spread over 256 maps,
//! a growth moves at most the one shard's entries, a 256th of the map, so the slowest
//! call is 256 times shorter; the total work of growing is the same (amortized O(1) per
//! insert), and a look-up hashes the key once more to find its shard. A small map (below
//! [`SPREAD_AT`] entries, whose doublings take a few milliseconds at most) stays one
//! map: 256 small tables would each grow through every small size, many times the
//! allocations for nothing.
//!
//! The shards are chosen by bits of the key's hash that the shards' own tables do not
//! use (bits 48 to 55: a table takes its bucket from the low bits and its tags from
//! the top seven), so every shard's table sees well-spread hashes.
//!
//! ```
//! use onhand_master::spread::SpreadMap;
//! let mut ids: SpreadMap<u64, &str> = SpreadMap::new();
//! for id in 0..10_000 {
//!     ids.insert(id, "seen");
//! }
//! assert_eq!(ids.len(), 10_000);
//! assert_eq!(ids.get(&42), Some(&"seen"));
//! assert_eq!(ids.remove(&42), Some("seen"));
//! assert!(!ids.contains_key(&42));
//! ```

use std::borrow::Borrow;
use std::collections::hash_map::Entry;
use std::hash::{BuildHasher, Hash};

use crate::hash::{FixedState, Map, map};

/// How many shards a [`SpreadMap`] has once it is large: an insert that grows it then
/// moves at most one shard, about `1 / SHARDS` of its entries.
pub const SHARDS: usize = 256;

/// The size at which a [`SpreadMap`] spreads: below it, it is one map (a doubling moves
/// fewer entries than this, a few milliseconds at most), and the map that would grow
/// past it is split into [`SHARDS`] shards instead, each with room to double. 7/8 of
/// 2^15, where a table of 2^15 buckets would double.
pub const SPREAD_AT: usize = 28_672;

/// A hash map that, once large, is spread over [`SHARDS`] maps that each grow on their
/// own (see the module). Iteration order is unspecified, as a [`Map`]'s is.
#[derive(Clone)]
pub struct SpreadMap<K, V> {
    repr: Repr<K, V>,
}

#[derive(Clone)]
enum Repr<K, V> {
    /// Fewer than [`SPREAD_AT`] entries (or not yet spread): one map, as small maps are
    /// kept everywhere (small and many maps would each grow through every small size).
    One(Map<K, V>),
    /// Indexed by a `u8`: every shard number is in bounds.
    Spread(Box<[Map<K, V>; SHARDS]>),
}

impl<K, V> Default for SpreadMap<K, V> {
    fn default() -> Self {
        SpreadMap { repr: Repr::One(map()) }
    }
}

impl<K: std::fmt::Debug, V: std::fmt::Debug> std::fmt::Debug for SpreadMap<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Eq + Hash, V: PartialEq> PartialEq for SpreadMap<K, V> {
    /// The same entries, however each is laid out.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl<K: Eq + Hash, V: Eq> Eq for SpreadMap<K, V> {}

/// The shard of a key's hash: bits 48 to 55, which a shard's table reads for neither its
/// bucket nor its tags.
fn shard_of_hash(hash: u64) -> u8 {
    let [.., b6, _] = hash.to_le_bytes();
    b6
}

// A shard number is a `u8`, which indexes any of them.
const _: () = assert!(SHARDS == 1 << u8::BITS);

fn shard_ix<Q: Hash + ?Sized>(key: &Q) -> u8 {
    shard_of_hash(FixedState::default().hash_one(key))
}

impl<K, V> SpreadMap<K, V> {
    /// An empty map.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn maps(&self) -> &[Map<K, V>] {
        match &self.repr {
            Repr::One(m) => std::slice::from_ref(m),
            Repr::Spread(shards) => shards.as_slice(),
        }
    }

    fn maps_mut(&mut self) -> &mut [Map<K, V>] {
        match &mut self.repr {
            Repr::One(m) => std::slice::from_mut(m),
            Repr::Spread(shards) => shards.as_mut_slice(),
        }
    }

    /// How many entries it holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.maps().iter().map(std::collections::HashMap::len).sum()
    }

    /// Whether it holds none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.maps().iter().all(std::collections::HashMap::is_empty)
    }

    /// Whether it is spread over its shards yet (from [`SPREAD_AT`] entries on).
    #[must_use]
    pub fn is_spread(&self) -> bool {
        matches!(self.repr, Repr::Spread(_))
    }

    /// Every entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.maps().iter().flat_map(|s| s.iter())
    }

    /// Removes every entry, keeping the room it had.
    pub fn clear(&mut self) {
        for s in self.maps_mut() {
            s.clear();
        }
    }
}

impl<K: Eq + Hash, V> SpreadMap<K, V> {
    /// Spreads the one map over the shards once it holds `SPREAD_AT` entries (or will
    /// with `additional` more), each shard with room for twice its share.
    fn settle(&mut self, additional: usize) {
        let Repr::One(one) = &mut self.repr else { return };
        if one.len().saturating_add(additional) < SPREAD_AT {
            return;
        }
        let one = std::mem::take(one);
        let each = (one.len().saturating_add(additional) / SHARDS).saturating_mul(2);
        let mut shards: Box<[Map<K, V>; SHARDS]> = Box::new(std::array::from_fn(|_| {
            Map::with_capacity_and_hasher(each, FixedState::default())
        }));
        for (k, v) in one {
            shards[usize::from(shard_ix(&k))].insert(k, v);
        }
        self.repr = Repr::Spread(shards);
    }

    /// The map `key` belongs in.
    fn map_of<Q: Hash + ?Sized>(&self, key: &Q) -> &Map<K, V>
    where
        K: Borrow<Q>,
    {
        match &self.repr {
            Repr::One(m) => m,
            Repr::Spread(shards) => &shards[usize::from(shard_ix(key))],
        }
    }

    /// The map `key` belongs in, to change.
    fn map_of_mut<Q: Hash + ?Sized>(&mut self, key: &Q) -> &mut Map<K, V>
    where
        K: Borrow<Q>,
    {
        match &mut self.repr {
            Repr::One(m) => m,
            Repr::Spread(shards) => &mut shards[usize::from(shard_ix(key))],
        }
    }

    /// Takes out the map `key` belongs in (spreading first, if this is the entry that
    /// reaches [`SPREAD_AT`]), to work on while its owner is borrowed elsewhere (the
    /// ledger holds an event id's vacant slot while it decides the event), with its
    /// number for [`SpreadMap::put_back`]. Until it is put back, the map answers as if
    /// its entries were gone. Only `key` (and keys of the same shard) may be added to it.
    pub fn take_for(&mut self, key: &K) -> (usize, Map<K, V>) {
        self.settle(1);
        match &mut self.repr {
            Repr::One(m) => (0, std::mem::take(m)),
            Repr::Spread(shards) => {
                let n = shard_ix(key);
                (usize::from(n), std::mem::take(&mut shards[usize::from(n)]))
            }
        }
    }

    /// Puts back the map [`SpreadMap::take_for`] took out as number `n`.
    pub fn put_back(&mut self, n: usize, taken: Map<K, V>) {
        if let Some(slot) = self.maps_mut().get_mut(n) {
            *slot = taken;
        }
    }

    /// The value of `key`.
    pub fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.map_of(key).get(key)
    }

    /// The value of `key`, to change.
    pub fn get_mut<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.map_of_mut(key).get_mut(key)
    }

    /// Whether `key` is held.
    pub fn contains_key<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.map_of(key).contains_key(key)
    }

    /// Sets `key` to `value`; the value it had, if any.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.settle(1);
        self.map_of_mut(&key).insert(key, value)
    }

    /// Removes `key`; its value, if it was held.
    pub fn remove<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.map_of_mut(key).remove(key)
    }

    /// The entry of `key`, to read, fill or change in place.
    pub fn entry(&mut self, key: K) -> Entry<'_, K, V> {
        self.settle(1);
        self.map_of_mut(&key).entry(key)
    }

    /// Makes room for `additional` more entries (spread evenly over the shards, each
    /// taking its share and a little more for the unevenness of hashing).
    pub fn reserve(&mut self, additional: usize) {
        self.settle(additional);
        match &mut self.repr {
            Repr::One(m) => m.reserve(additional),
            Repr::Spread(shards) => {
                let each = additional / SHARDS + additional / SHARDS / 8;
                if each > 0 {
                    for s in shards.iter_mut() {
                        s.reserve(each);
                    }
                }
            }
        }
    }
}

impl<K: Eq + Hash, V> FromIterator<(K, V)> for SpreadMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut m = SpreadMap::new();
        m.extend(iter);
        m
    }
}

impl<K: Eq + Hash, V> Extend<(K, V)> for SpreadMap<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        let iter = iter.into_iter();
        self.reserve(iter.size_hint().0);
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Inserts, removes, entries and look-ups answer as one plain map does.
        #[test]
        fn a_spread_map_answers_as_a_map(
            ops in proptest::collection::vec((0u32..3000, 0u32..1000, 0u8..5), 0..6000),
            spread in proptest::bool::ANY,
        ) {
            let mut m: SpreadMap<u32, u32> = SpreadMap::new();
            if spread {
                // Room for the size at which it spreads: it spreads now, empty.
                m.reserve(SPREAD_AT);
                prop_assert!(m.is_spread());
            }
            let mut want: std::collections::HashMap<u32, u32> = std::collections::HashMap::new();
            for (k, v, op) in ops {
                match op {
                    0 | 1 => prop_assert_eq!(m.insert(k, v), want.insert(k, v)),
                    2 => prop_assert_eq!(m.remove(&k), want.remove(&k)),
                    3 => {
                        *m.entry(k).or_insert(0) += v;
                        *want.entry(k).or_insert(0) += v;
                    }
                    _ => {
                        if let Some(x) = m.get_mut(&k) {
                            *x = x.wrapping_add(1);
                        }
                        if let Some(x) = want.get_mut(&k) {
                            *x = x.wrapping_add(1);
                        }
                    }
                }
                prop_assert_eq!(m.get(&k), want.get(&k));
                prop_assert_eq!(m.contains_key(&k), want.contains_key(&k));
            }
            prop_assert_eq!(m.len(), want.len());
            prop_assert_eq!(m.is_empty(), want.is_empty());
            let mut got: Vec<(u32, u32)> = m.iter().map(|(k, v)| (*k, *v)).collect();
            let mut all: Vec<(u32, u32)> = want.into_iter().collect();
            got.sort_unstable();
            all.sort_unstable();
            prop_assert_eq!(&got, &all);
            let rebuilt: SpreadMap<u32, u32> = got.iter().copied().collect();
            prop_assert_eq!(&rebuilt, &m);
        }
    }

    /// A large map spreads over every shard, each taking a share of the keys, and
    /// answers across the change as it did before; a taken map put back is found again.
    #[test]
    fn a_large_map_spreads_over_every_shard() {
        let mut m: SpreadMap<u128, u32> = SpreadMap::new();
        for id in 0..SPREAD_AT as u128 - 1 {
            m.insert(id, 1);
        }
        assert!(!m.is_spread());
        let last = SPREAD_AT as u128 - 1;
        let (n, mut taken) = m.take_for(&last);
        assert!(m.is_spread(), "the entry that reaches the size spreads the map");
        let same = (0..1000u128).find(|k| usize::from(shard_ix(k)) == n);
        assert!(same.is_some_and(|k| !m.contains_key(&k)), "a taken shard's keys are away");
        let other = (0..1000u128).find(|k| usize::from(shard_ix(k)) != n);
        assert!(other.is_some_and(|k| m.contains_key(&k)), "the others' are there");
        taken.insert(last, 2);
        m.put_back(n, taken);
        assert_eq!((m.len(), m.get(&last)), (SPREAD_AT, Some(&2)));
        for id in SPREAD_AT as u128..200_000 {
            *m.entry(id).or_insert(0) += 3;
        }
        let Repr::Spread(shards) = &m.repr else { panic!("spread") };
        let sizes: Vec<usize> = shards.iter().map(std::collections::HashMap::len).collect();
        let (lo, hi) = (sizes.iter().min().copied(), sizes.iter().max().copied());
        // 781 a shard on average.
        assert!(lo.is_some_and(|l| l > 600) && hi.is_some_and(|h| h < 1000), "{lo:?}..{hi:?}");
        assert_eq!(m.get(&0), Some(&1));
        assert_eq!(m.get(&199_999), Some(&3));
        assert_eq!(m.len(), 200_000);
        let back: SpreadMap<u128, u32> = m.iter().map(|(k, v)| (*k, *v)).collect();
        assert!(back.is_spread() && back == m);
        m.clear();
        assert!(m.is_empty() && m.is_spread());
    }
}
