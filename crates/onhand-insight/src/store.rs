//! A growable store of values addressed by a dense `u32`, in the fixed chunks of
//! [`Chunked`]: growth never moves a stored value (a `Vec` doubling would copy every
//! order line), and an index look-up is two array reads.

use onhand_master::chunked::Chunked;

/// Values in chunks of 4,096, by a `u32` index.
#[derive(Debug, Clone)]
pub(crate) struct Store<T>(Chunked<T>);

impl<T> Default for Store<T> {
    fn default() -> Self {
        Store(Chunked::new())
    }
}

impl<T> Store<T> {
    /// Adds `v`, returning its index.
    pub(crate) fn push(&mut self, v: T) -> u32 {
        let ix = self.0.push(v);
        debug_assert!(u32::try_from(ix).is_ok(), "fewer than 2^32 values");
        u32::try_from(ix).unwrap_or(u32::MAX)
    }

    /// The value at `ix`.
    pub(crate) fn get(&self, ix: u32) -> Option<&T> {
        self.0.get(ix as usize)
    }

    /// The value at `ix`, to change.
    pub(crate) fn get_mut(&mut self, ix: u32) -> Option<&mut T> {
        self.0.get_mut(ix as usize)
    }

    /// Every value with its index, in index order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, &T)> {
        self.0.iter().enumerate().map(|(i, v)| (u32::try_from(i).unwrap_or(u32::MAX), v))
    }
}

/// Values with their keys in a [`Store`], found through a table of 64-bit key
/// fingerprints: a look-up probes a compact table (12 bytes an entry, so it stays in
/// cache where a table of the keys themselves would not) and then reads the value,
/// checking its key. Two keys with the same fingerprint are kept apart: the second
/// goes to a small table of full keys.
#[derive(Debug, Clone)]
pub(crate) struct Keyed<K, V> {
    by_fp: onhand_master::hash::Map<u64, u32>,
    spill: onhand_master::hash::Map<K, u32>,
    values: Store<(K, V)>,
}

impl<K, V> Default for Keyed<K, V> {
    fn default() -> Self {
        Keyed {
            by_fp: onhand_master::hash::map(),
            spill: onhand_master::hash::map(),
            values: Store::default(),
        }
    }
}

impl<K: std::hash::Hash + Eq + Clone, V> Keyed<K, V> {
    /// The handle of `key`.
    pub(crate) fn find(&self, key: &K) -> Option<u32> {
        let fp = onhand_master::hash::fingerprint(key);
        if let Some(&ix) = self.by_fp.get(&fp)
            && self.values.get(ix).is_some_and(|(k, _)| k == key)
        {
            return Some(ix);
        }
        if self.spill.is_empty() { None } else { self.spill.get(key).copied() }
    }

    /// The value of `key`.
    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        self.find(key).and_then(|ix| self.values.get(ix)).map(|(_, v)| v)
    }

    /// The value of `key`, to change.
    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let ix = self.find(key)?;
        self.values.get_mut(ix).map(|(_, v)| v)
    }

    /// The value at handle `ix`.
    pub(crate) fn at(&self, ix: u32) -> Option<&V> {
        self.values.get(ix).map(|(_, v)| v)
    }

    /// The value at handle `ix`, to change.
    pub(crate) fn at_mut(&mut self, ix: u32) -> Option<&mut V> {
        self.values.get_mut(ix).map(|(_, v)| v)
    }

    /// Whether `key` is held.
    pub(crate) fn contains(&self, key: &K) -> bool {
        self.find(key).is_some()
    }

    /// Adds `key` (which must not be held) with `value`; its handle.
    pub(crate) fn insert_new(&mut self, key: K, value: V) -> u32 {
        debug_assert!(!self.contains(&key), "a new key");
        let fp = onhand_master::hash::fingerprint(&key);
        let ix = self.values.push((key.clone(), value));
        match self.by_fp.entry(fp) {
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(ix);
            }
            std::collections::hash_map::Entry::Occupied(_) => {
                self.spill.insert(key, ix);
            }
        }
        ix
    }

    /// The value of `key`, added with `make` when not held (`None` only if the store
    /// lost a handle it just gave out, which is asserted impossible).
    pub(crate) fn get_or_insert_with(
        &mut self,
        key: &K,
        make: impl FnOnce() -> V,
    ) -> Option<&mut V> {
        let ix = match self.find(key) {
            Some(ix) => ix,
            None => self.insert_new(key.clone(), make()),
        };
        let v = self.values.get_mut(ix).map(|(_, v)| v);
        debug_assert!(v.is_some(), "a handle just found or inserted is stored");
        v
    }

    /// Every key and value, in insertion order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.values.iter().map(|(_, (k, v))| (k, v))
    }
}

// Snapshots: a store is its values in index order, a keyed store its (key, value)
// pairs in insertion order, so handles held elsewhere (a line's order) stay valid; the
// fingerprint table is built again on reading, and a key read twice is refused.

impl<T: serde::Serialize> serde::Serialize for Store<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Store<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let values = Chunked::deserialize(d)?;
        if u32::try_from(values.len()).is_err() {
            return Err(serde::de::Error::custom("more than 2^32 values"));
        }
        Ok(Store(values))
    }
}

impl<K: serde::Serialize, V: serde::Serialize> serde::Serialize for Keyed<K, V> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.values.serialize(s)
    }
}

impl<'de, K, V> serde::Deserialize<'de> for Keyed<K, V>
where
    K: serde::Deserialize<'de> + std::hash::Hash + Eq + Clone,
    V: serde::Deserialize<'de>,
{
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let pairs: Vec<(K, V)> = Vec::deserialize(d)?;
        if u32::try_from(pairs.len()).is_err() {
            return Err(serde::de::Error::custom("more than 2^32 values"));
        }
        let mut keyed = Keyed::default();
        for (k, v) in pairs {
            if keyed.contains(&k) {
                return Err(serde::de::Error::custom("a key twice"));
            }
            keyed.insert_new(k, v);
        }
        Ok(keyed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_get_iterate_across_chunks() {
        let mut s = Store::default();
        for i in 0..10_000u32 {
            assert_eq!(s.push(i * 2), i);
        }
        assert_eq!(s.get(9_999), Some(&19_998));
        assert_eq!(s.get(10_000), None);
        *s.get_mut(4_096).unwrap() = 1;
        assert_eq!(s.iter().nth(4_096), Some((4_096, &1)));
        assert_eq!(s.iter().count(), 10_000);
    }

    #[test]
    fn keyed_finds_inserts_and_keeps_insertion_order() {
        let mut k: Keyed<String, u32> = Keyed::default();
        for i in 0..1_000u32 {
            assert_eq!(k.insert_new(format!("K{i}"), i), i);
        }
        assert_eq!(k.get(&"K500".to_string()), Some(&500));
        assert_eq!(k.get(&"K1000".to_string()), None);
        *k.get_or_insert_with(&"K1000".to_string(), || 7).unwrap() += 1;
        assert_eq!(k.get(&"K1000".to_string()), Some(&8));
        *k.get_mut(&"K3".to_string()).unwrap() = 30;
        assert_eq!(k.at(3), Some(&30));
        assert_eq!(k.iter().map(|(_, v)| *v).nth(1000), Some(8));
    }

    /// Keys whose fingerprints all collide still find their own values.
    #[test]
    fn keyed_keeps_colliding_fingerprints_apart() {
        #[derive(Clone, PartialEq, Eq, Debug)]
        struct Same(u32);
        impl std::hash::Hash for Same {
            fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
                h.write_u8(1);
            }
        }
        let mut k: Keyed<Same, u32> = Keyed::default();
        for i in 0..50 {
            k.insert_new(Same(i), i * 10);
        }
        for i in 0..50 {
            assert_eq!(k.get(&Same(i)), Some(&(i * 10)));
        }
        assert_eq!(k.get(&Same(50)), None);
        assert!(!k.contains(&Same(99)));
    }
}
