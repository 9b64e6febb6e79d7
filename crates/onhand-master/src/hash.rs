//! Deterministic hash maps. `std`'s default hasher seeds itself from the operating
//! system's random source; onhand reads no random source, so its maps use foldhash with a
//! fixed seed instead (also several times faster on short keys such as codes). Iteration
//! order is never exposed: wherever order is visible, onhand sorts.

/// The hasher state: foldhash's quality variant, fixed seed.
pub type FixedState = foldhash::quality::FixedState;

/// A `HashMap` with a fixed-seed hasher.
pub type Map<K, V> = std::collections::HashMap<K, V, FixedState>;

/// A `HashSet` with a fixed-seed hasher.
pub type Set<K> = std::collections::HashSet<K, FixedState>;

/// A 64-bit fingerprint of a value with foldhash's fast variant and a fixed seed: the
/// same on every run and machine of the same build, for telling a repeated record from a
/// different one under the same id (not for security).
#[must_use]
pub fn fingerprint<T: std::hash::Hash + ?Sized>(value: &T) -> u64 {
    use std::hash::BuildHasher;
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
    use std::hash::BuildHasher;

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
