//! Deterministic hash maps. `std`'s default hasher seeds itself from the operating
//! system's random source; onhand reads no random source, so its maps use a fixed seed
//! instead (and a hash function several times faster on short keys such as codes).
//! Iteration order is never exposed: wherever order is visible, onhand sorts.
//!
//! The hash function behind [`FixedState`] is an implementation detail (today
//! foldhash's quality variant): no public signature names it, so it can change in any
//! release, and with it every hash value, which is never stored or sent.

use std::hash::{BuildHasher, Hasher};

/// The hasher state of onhand's maps: a fixed seed, the same in every process.
///
/// ```
/// use std::hash::BuildHasher;
/// use onhand_master::hash::FixedState;
/// let a = FixedState::default().hash_one("BOLT-M8");
/// assert_eq!(a, FixedState::default().hash_one("BOLT-M8"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct FixedState(foldhash::quality::FixedState);

impl BuildHasher for FixedState {
    type Hasher = FixedHasher;

    #[inline]
    fn build_hasher(&self) -> FixedHasher {
        FixedHasher(self.0.build_hasher())
    }
}

/// The hasher [`FixedState`] builds.
#[derive(Clone)]
pub struct FixedHasher(foldhash::quality::FoldHasher<'static>);

impl std::fmt::Debug for FixedHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FixedHasher")
    }
}

// Every method forwards, so each keeps the inner hasher's specialised form.
impl Hasher for FixedHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0.finish()
    }
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.0.write_u8(i);
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.0.write_u16(i);
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.0.write_u32(i);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.0.write_u64(i);
    }
    #[inline]
    fn write_u128(&mut self, i: u128) {
        self.0.write_u128(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.0.write_usize(i);
    }
}

/// A `HashMap` with a fixed-seed hasher.
pub type Map<K, V> = std::collections::HashMap<K, V, FixedState>;

/// A `HashSet` with a fixed-seed hasher.
pub type Set<K> = std::collections::HashSet<K, FixedState>;

/// A 64-bit fingerprint of a value with foldhash's fast variant and a fixed seed: the
/// same on every run and machine of the same build, for telling a repeated record from a
/// different one under the same id (not for security).
#[must_use]
pub fn fingerprint<T: std::hash::Hash + ?Sized>(value: &T) -> u64 {
    foldhash::fast::FixedState::default().hash_one(value)
}

/// An empty [`Map`].
#[must_use]
pub fn map<K, V>() -> Map<K, V> {
    Map::with_hasher(FixedState::default())
}

/// An empty [`Set`].
#[must_use]
pub fn set<K>() -> Set<K> {
    Set::with_hasher(FixedState::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashing_is_the_same_every_run() {
        // A fixed seed: the same key hashes the same in every process.
        let a = FixedState::default().hash_one("BOLT-M8");
        let b = FixedState::default().hash_one("BOLT-M8");
        assert_eq!(a, b);
        let mut m = map();
        m.insert("k", 1);
        assert_eq!(m.get("k"), Some(&1));
    }
}
