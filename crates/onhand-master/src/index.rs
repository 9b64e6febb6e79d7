//! [`CodeIndex`]: a compact, read-only index from codes to their positions, for the
//! look-ups every ledger event makes (an item code to its handle).
//!
//! A general hash map keeps each code beside its value in one bucket: for 100,000 item
//! codes of up to 40 bytes that is about 10 MB, touched at random, so on a large network
//! nearly every look-up misses the processor's caches. Here the table holds only eight
//! bytes per slot (part of the code's hash and its position, at most half full), about
//! 2 MB for 100,000 codes; the codes themselves sit in one dense vector in handle order,
//! read once to confirm a match. The table stays in cache far longer, and a confirmed
//! code shares its neighbourhood with the handle's other dense data.

use std::hash::{BuildHasher, Hash};

use crate::hash::FixedState;

/// Codes to positions `0..n`, built once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CodeIndex<C> {
    /// Open-addressed slots (linear probing): the high 32 bits of the code's hash, and
    /// its position plus one (zero marks an empty slot). At most half are used, so every
    /// probe sequence reaches an empty slot.
    slots: Vec<[u32; 2]>,
    mask: usize,
    /// The codes, by position.
    codes: Vec<C>,
}

fn hash_of<C: Hash>(code: &C) -> u64 {
    FixedState::default().hash_one(code)
}

impl<C: Hash + Eq> CodeIndex<C> {
    /// An index of `codes`, each at its position. `None` when there are more codes than
    /// a `u32` position can name (or than a table twice their number can hold). A code given twice is found at its first position.
    pub(crate) fn new(codes: Vec<C>) -> Option<Self> {
        let n = u32::try_from(codes.len()).ok().filter(|n| *n < u32::MAX)?;
        let size = codes.len().checked_mul(2)?.max(8).checked_next_power_of_two()?;
        let mut index = CodeIndex { slots: vec![[0, 0]; size], mask: size - 1, codes: Vec::new() };
        for (pos, code) in (0..n).zip(&codes) {
            let h = hash_of(code);
            let mut i = index.start(h);
            loop {
                let slot = index.slots.get_mut(i)?;
                if slot[1] == 0 {
                    *slot = [tag(h), pos + 1];
                    break;
                }
                let seen = slot[1] - 1;
                if slot[0] == tag(h) && codes.get(seen as usize) == Some(code) {
                    break; // a repeat: the first position stands
                }
                i = (i + 1) & index.mask;
            }
        }
        index.codes = codes;
        Some(index)
    }

    fn start(&self, h: u64) -> usize {
        // The low bits pick the slot, the high bits are the tag: independent parts of
        // the hash.
        #[allow(
            clippy::cast_possible_truncation,
            reason = "truncation to the table size is the point"
        )]
        let low = h as usize;
        low & self.mask
    }

    /// The position of `code`.
    pub(crate) fn get(&self, code: &C) -> Option<usize> {
        self.get_hashed(code, hash_of(code))
    }

    /// The positions of several codes at once, into `out` (as far as both go).
    ///
    /// Where the table is out of cache, looking codes up one at a time waits for each
    /// slot in turn. Here every code is hashed first, then one short loop reads each
    /// code's first slot, so the processor fetches them all together, and only then is
    /// each probe finished (against slots now in cache).
    pub(crate) fn get_many(&self, codes: &[&C], out: &mut [Option<usize>]) {
        const RUN: usize = 16;
        for (codes, out) in codes.chunks(RUN).zip(out.chunks_mut(RUN)) {
            let mut hashes = [0u64; RUN];
            for (h, code) in hashes.iter_mut().zip(codes) {
                *h = hash_of(*code);
            }
            let mut touched = 0u32;
            for h in hashes.iter().take(codes.len()) {
                touched ^= self.slots.get(self.start(*h)).map_or(0, |s| s[1]);
            }
            // `black_box` keeps these first-slot reads: nothing else uses `touched`, so
            // without it the compiler may delete them, and the fetches they start with
            // them. It changes no answer (each probe below is complete on its own).
            std::hint::black_box(touched);
            for ((o, code), h) in out.iter_mut().zip(codes).zip(hashes) {
                *o = self.get_hashed(code, h);
            }
        }
    }

    fn get_hashed(&self, code: &C, h: u64) -> Option<usize> {
        let t = tag(h);
        let mut i = self.start(h);
        loop {
            let [slot_tag, pos] = *self.slots.get(i)?;
            if pos == 0 {
                return None;
            }
            if slot_tag == t {
                let at = (pos - 1) as usize;
                if self.codes.get(at) == Some(code) {
                    return Some(at);
                }
            }
            i = (i + 1) & self.mask;
        }
    }
}

fn tag(h: u64) -> u32 {
    #[allow(
        clippy::cast_possible_truncation,
        reason = "the high half of the hash: a shift by 32 leaves 32 bits"
    )]
    let high = (h >> 32) as u32;
    high
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;
    use crate::ItemCode;

    fn code(i: usize) -> ItemCode {
        ItemCode::new(format!("ITEM-{i:07}")).unwrap()
    }

    #[test]
    fn finds_every_code_and_nothing_else() {
        let codes: Vec<ItemCode> = (0..10_000).map(code).collect();
        let index = CodeIndex::new(codes.clone()).unwrap();
        for (i, c) in codes.iter().enumerate() {
            assert_eq!(index.get(c), Some(i));
        }
        for i in 10_000..20_000 {
            assert_eq!(index.get(&code(i)), None);
        }
    }

    #[test]
    fn many_at_once_as_one_at_a_time() {
        let codes: Vec<ItemCode> = (0..1_000).map(code).collect();
        let index = CodeIndex::new(codes).unwrap();
        let probes: Vec<ItemCode> = (0..100).map(|i| code(i * 17)).collect();
        let refs: Vec<&ItemCode> = probes.iter().collect();
        let mut out = vec![Some(usize::MAX); refs.len()];
        index.get_many(&refs, &mut out);
        let one_by_one: Vec<Option<usize>> = probes.iter().map(|c| index.get(c)).collect();
        assert_eq!(out, one_by_one);
        assert!(out.iter().any(Option::is_none) && out.iter().any(Option::is_some));
    }

    #[test]
    fn empty_and_repeated() {
        let empty: CodeIndex<ItemCode> = CodeIndex::new(Vec::new()).unwrap();
        assert_eq!(empty.get(&code(1)), None);
        let index = CodeIndex::new(vec![code(1), code(2), code(1)]).unwrap();
        assert_eq!(index.get(&code(1)), Some(0));
        assert_eq!(index.get(&code(2)), Some(1));
    }

    proptest! {
        /// The index answers as a hash map of the same codes does (first position wins).
        #[test]
        fn agrees_with_a_map(
            given in prop::collection::vec("[A-Z0-9]{1,6}", 0..300),
            probes in prop::collection::vec("[A-Z0-9]{1,6}", 0..50),
        ) {
            let parse = |s: &String| ItemCode::new(s.as_str()).ok();
            let codes: Vec<ItemCode> = given.iter().filter_map(parse).collect();
            let mut map = HashMap::new();
            for (i, c) in codes.iter().enumerate() {
                map.entry(c.clone()).or_insert(i);
            }
            let index = CodeIndex::new(codes.clone()).unwrap();
            for c in codes.iter().cloned().chain(probes.iter().filter_map(parse)) {
                prop_assert_eq!(index.get(&c), map.get(&c).copied());
            }
        }
    }
}
