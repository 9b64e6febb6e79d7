//! [`ChunkedMap`], a map that only grows, its values kept in a [`Chunked`] table (the
//! posted-event records); and [`Chunked`] itself (from `onhand-master`) for the
//! ledger's other tables that grow by an entry at a time as events arrive (positions,
//! transfer orders).

use std::collections::hash_map::Entry;
use std::hash::Hash;

pub(crate) use onhand_master::chunked::Chunked;
use onhand_master::spread::SpreadMap;

/// A map that only grows: its entries sit in a [`Chunked`] table, and the hash index
/// holds only each key and its entry's position. Growing the index moves those small
/// slots, never the values (a hash map of the values themselves moves every one of them
/// each time it doubles, and a record of an event is about 130 bytes), and the index is
/// a [`SpreadMap`], so a growth moves at most a 256th of the slots.
#[derive(Debug, Clone)]
pub(crate) struct ChunkedMap<K, V> {
    index: SpreadMap<K, u32>,
    entries: Chunked<(K, V), 12>,
}

impl<K, V> Default for ChunkedMap<K, V> {
    fn default() -> Self {
        ChunkedMap { index: SpreadMap::new(), entries: Chunked::default() }
    }
}

impl<K: Hash + Eq + Copy, V> ChunkedMap<K, V> {
    pub(crate) fn reserve(&mut self, n: usize) {
        self.index.reserve(n);
    }

    pub(crate) fn contains_key(&self, key: &K) -> bool {
        self.index.contains_key(key)
    }

    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        let at = *self.index.get(key)?;
        self.entries.get(at as usize).map(|(_, v)| v)
    }

    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let at = *self.index.get(key)?;
        self.entries.get_mut(at as usize).map(|(_, v)| v)
    }

    /// Inserts `value` under `key`, or replaces the value already there (in its place).
    /// Whether the key was there before.
    pub(crate) fn insert(&mut self, key: K, value: V) -> bool {
        match self.index.entry(key) {
            Entry::Occupied(at) => {
                if let Some((_, v)) = self.entries.get_mut(*at.get() as usize) {
                    *v = value;
                }
                true
            }
            Entry::Vacant(slot) => {
                // Fewer than 2^32 entries: a ledger of that many events would hold far
                // more memory than any machine has.
                let at = u32::try_from(self.entries.len()).unwrap_or(u32::MAX);
                debug_assert!(at < u32::MAX, "fewer than 2^32 entries");
                self.entries.push((key, value));
                slot.insert(at);
                false
            }
        }
    }

    /// The entries, in the order their keys were first inserted.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// A chunked map answers as a hash map does, through inserts, replacements and
        /// in-place changes, across chunks and in a copy; it lists keys in the order they
        /// were first inserted.
        #[test]
        fn a_chunked_map_answers_as_a_map(
            ops in proptest::collection::vec((0u16..6000, 0u32..1000, 0u8..3), 0..9000),
        ) {
            let mut m: ChunkedMap<u16, u32> = ChunkedMap::default();
            let mut want: std::collections::HashMap<u16, u32> = std::collections::HashMap::new();
            let mut order = Vec::new();
            for (k, v, op) in ops {
                match op {
                    0 | 1 => {
                        let before = want.insert(k, v).is_some();
                        if !before {
                            order.push(k);
                        }
                        proptest::prop_assert_eq!(m.insert(k, v), before);
                    }
                    _ => {
                        if let Some(x) = m.get_mut(&k) {
                            *x += 1;
                        }
                        if let Some(x) = want.get_mut(&k) {
                            *x += 1;
                        }
                    }
                }
            }
            let copy = m.clone();
            for probe in [&m, &copy] {
                proptest::prop_assert_eq!(probe.iter().count(), want.len());
                for k in 0u16..6010 {
                    proptest::prop_assert_eq!(probe.get(&k), want.get(&k));
                    proptest::prop_assert_eq!(probe.contains_key(&k), want.contains_key(&k));
                }
                let keys: Vec<u16> = probe.iter().map(|(k, _)| *k).collect();
                proptest::prop_assert_eq!(&keys, &order);
            }
        }
    }
}
