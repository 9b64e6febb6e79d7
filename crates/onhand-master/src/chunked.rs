//! [`Chunked`]: a vector kept in fixed-size chunks, for the tables onhand's engines
//! grow an entry at a time as events arrive (ledger positions and posted records, the
//! network journal, order lines, exceptions).
//!
//! A plain `Vec` doubles as it grows, moving every entry into fresh memory each time:
//! on a table of a million entries that copy, and the page faults of touching the new
//! memory, fall on whichever call crosses the boundary, and for that moment the old and
//! the new buffer are both held (three times the table). Here entries sit in chunks of
//! `1 << BITS` that never move: a push allocates at most one more chunk, at most one
//! chunk is partly empty, and an entry's index never changes.
//!
//! ```
//! use onhand_master::chunked::Chunked;
//!
//! let mut journal: Chunked<u64, 2> = Chunked::new(); // chunks of 4
//! for n in 0..10 {
//!     assert_eq!(journal.push(n * 10), n as usize);
//! }
//! assert_eq!(journal.len(), 10);
//! assert_eq!(journal.get(9), Some(&90));
//! assert_eq!(journal.iter().rev().next(), Some(&90));
//! assert_eq!(journal.to_vec(), (0..10).map(|n| n * 10).collect::<Vec<_>>());
//! ```

/// Entries by index, in chunks of `1 << BITS` (4,096 by default).
///
/// It serializes, prints (`{:?}`), compares and iterates as the sequence of its
/// entries: where the chunk boundaries fall never shows.
pub struct Chunked<T, const BITS: u32 = 12> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T: std::fmt::Debug, const BITS: u32> std::fmt::Debug for Chunked<T, BITS> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T, const BITS: u32> Default for Chunked<T, BITS> {
    fn default() -> Self {
        Chunked { chunks: Vec::new(), len: 0 }
    }
}

impl<T, const BITS: u32> Chunked<T, BITS> {
    /// Entries per chunk.
    pub const CHUNK: usize = 1 << BITS;

    /// An empty table (it allocates on its first push).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// How many entries there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The entry at `i`, if there is one.
    #[must_use]
    pub fn get(&self, i: usize) -> Option<&T> {
        self.chunks.get(i >> BITS)?.get(i & (Self::CHUNK - 1))
    }

    /// The entry at `i`, to change.
    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.chunks.get_mut(i >> BITS)?.get_mut(i & (Self::CHUNK - 1))
    }

    /// The first entry.
    #[must_use]
    pub fn first(&self) -> Option<&T> {
        self.chunks.first()?.first()
    }

    /// The last entry.
    #[must_use]
    pub fn last(&self) -> Option<&T> {
        self.chunks.last()?.last()
    }

    /// Adds an entry at the end; its index.
    pub fn push(&mut self, entry: T) -> usize {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < Self::CHUNK => chunk.push(entry),
            _ => {
                let mut chunk = Vec::with_capacity(Self::CHUNK);
                chunk.push(entry);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
        self.len - 1
    }

    /// Removes the last entry and returns it (with its chunk, when it was the chunk's
    /// only one).
    pub fn pop(&mut self) -> Option<T> {
        let last = self.chunks.last_mut()?;
        let entry = last.pop();
        if last.is_empty() {
            self.chunks.pop();
        }
        if entry.is_some() {
            self.len -= 1;
        }
        entry
    }

    /// Keeps the first `len` entries and drops the rest (nothing, if there are no more
    /// than `len`), with the chunks they emptied.
    pub fn truncate(&mut self, len: usize) {
        if len >= self.len {
            return;
        }
        let chunks = len.div_ceil(Self::CHUNK);
        self.chunks.truncate(chunks);
        if let Some(last) = self.chunks.last_mut() {
            last.truncate(len - (chunks - 1) * Self::CHUNK);
        }
        self.len = len;
    }

    /// Every entry, in index order.
    #[must_use]
    pub fn iter(&self) -> Iter<'_, T> {
        Iter { inner: self.chunks.iter().flatten(), left: self.len }
    }

    /// The entries as slices, in index order (each chunk's filled part).
    pub fn chunks(&self) -> impl DoubleEndedIterator<Item = &[T]> + ExactSizeIterator {
        self.chunks.iter().map(Vec::as_slice)
    }

    /// Every entry, in index order, in one `Vec` (one move each).
    #[must_use]
    pub fn into_vec(self) -> Vec<T> {
        let mut out = Vec::with_capacity(self.len);
        for chunk in self.chunks {
            out.extend(chunk);
        }
        out
    }
}

impl<T: Ord, const BITS: u32> Chunked<T, BITS> {
    /// [`slice::binary_search`] over entries kept in ascending order: `Ok` with the
    /// index of an entry equal to `x`, or `Err` with where `x` would go. It finds the
    /// chunk by its last entry, then searches that chunk alone.
    ///
    /// # Errors
    /// `Err(index)` where `x` is not held: the index it would be inserted at to keep the
    /// order.
    pub fn binary_search(&self, x: &T) -> Result<usize, usize> {
        let c = self.chunks.partition_point(|chunk| chunk.last().is_some_and(|l| l < x));
        let base = c << BITS;
        match self.chunks.get(c) {
            Some(chunk) => chunk.binary_search(x).map(|i| base + i).map_err(|i| base + i),
            None => Err(self.len),
        }
    }
}

impl<T: Clone, const BITS: u32> Chunked<T, BITS> {
    /// A copy of every entry, in index order, in one `Vec`.
    #[must_use]
    pub fn to_vec(&self) -> Vec<T> {
        let mut out = Vec::with_capacity(self.len);
        for chunk in &self.chunks {
            out.extend_from_slice(chunk);
        }
        out
    }
}

impl<T: Clone, const BITS: u32> Clone for Chunked<T, BITS> {
    /// A copy whose chunks keep their room to grow (a derived clone would leave none,
    /// and the copy's next push would move its last chunk).
    fn clone(&self) -> Self {
        let chunks = self
            .chunks
            .iter()
            .map(|c| {
                let mut copy = Vec::with_capacity(Self::CHUNK);
                copy.extend_from_slice(c);
                copy
            })
            .collect();
        Chunked { chunks, len: self.len }
    }
}

impl<T: PartialEq, const BITS: u32> PartialEq for Chunked<T, BITS> {
    fn eq(&self, other: &Self) -> bool {
        // Chunks of the same size fill the same way: equal lengths align them.
        self.len == other.len && self.chunks == other.chunks
    }
}

impl<T: Eq, const BITS: u32> Eq for Chunked<T, BITS> {}

impl<T, const BITS: u32> Extend<T> for Chunked<T, BITS> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, entries: I) {
        for e in entries {
            self.push(e);
        }
    }
}

impl<T, const BITS: u32> FromIterator<T> for Chunked<T, BITS> {
    fn from_iter<I: IntoIterator<Item = T>>(entries: I) -> Self {
        let mut c = Chunked::new();
        c.extend(entries);
        c
    }
}

impl<T, const BITS: u32> From<Vec<T>> for Chunked<T, BITS> {
    fn from(entries: Vec<T>) -> Self {
        entries.into_iter().collect()
    }
}

/// The entries of a [`Chunked`], in index order.
#[derive(Debug, Clone)]
pub struct Iter<'a, T> {
    inner: std::iter::Flatten<std::slice::Iter<'a, Vec<T>>>,
    left: usize,
}

impl<'a, T> Iterator for Iter<'a, T> {
    type Item = &'a T;

    fn next(&mut self) -> Option<&'a T> {
        let e = self.inner.next()?;
        self.left -= 1;
        Some(e)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }

    /// Steps over whole chunks at a time (`skip(n)` costs `n / CHUNK`, not `n`).
    fn nth(&mut self, n: usize) -> Option<&'a T> {
        let e = self.inner.nth(n);
        self.left = if e.is_some() { self.left - n - 1 } else { 0 };
        e
    }
}

impl<T> DoubleEndedIterator for Iter<'_, T> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let e = self.inner.next_back()?;
        self.left -= 1;
        Some(e)
    }
}

impl<T> ExactSizeIterator for Iter<'_, T> {}

impl<'a, T, const BITS: u32> IntoIterator for &'a Chunked<T, BITS> {
    type Item = &'a T;
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T, const BITS: u32> IntoIterator for Chunked<T, BITS> {
    type Item = T;
    type IntoIter = std::iter::Flatten<std::vec::IntoIter<Vec<T>>>;

    fn into_iter(self) -> Self::IntoIter {
        self.chunks.into_iter().flatten()
    }
}

impl<T: serde::Serialize, const BITS: u32> serde::Serialize for Chunked<T, BITS> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de, T: serde::Deserialize<'de>, const BITS: u32> serde::Deserialize<'de>
    for Chunked<T, BITS>
{
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Seq<T, const BITS: u32>(std::marker::PhantomData<T>);
        impl<'de, T: serde::Deserialize<'de>, const BITS: u32> serde::de::Visitor<'de> for Seq<T, BITS> {
            type Value = Chunked<T, BITS>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                // Read straight into chunks: no list of every entry first.
                let mut out = Chunked::new();
                while let Some(e) = seq.next_element()? {
                    out.push(e);
                }
                Ok(out)
            }
        }
        d.deserialize_seq(Seq::<T, BITS>(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// A chunked table answers as a `Vec` does, through pushes and in-place changes,
        /// across chunk boundaries, in a copy, and through serde.
        #[test]
        fn a_chunked_table_answers_as_a_vec(
            ops in proptest::collection::vec((0u32..1000, 0u8..12), 0..300),
        ) {
            let mut c: Chunked<u32, 3> = Chunked::new();
            let mut want: Vec<u32> = Vec::new();
            for (v, op) in ops {
                if op == 0 && !want.is_empty() {
                    let i = v as usize % want.len();
                    if let Some(x) = c.get_mut(i) {
                        *x += 1;
                    }
                    want[i] += 1;
                } else if op == 2 {
                    proptest::prop_assert_eq!(c.pop(), want.pop());
                } else if op == 1 {
                    // Back by a few, or to any length (past the end included).
                    let to = if v % 2 == 0 { want.len().saturating_sub(v as usize % 11) } else { v as usize % 40 };
                    c.truncate(to);
                    want.truncate(to);
                    proptest::prop_assert_eq!(c.len(), want.len());
                    proptest::prop_assert_eq!(c.last(), want.last());
                } else {
                    proptest::prop_assert_eq!(c.push(v), want.len());
                    want.push(v);
                }
            }
            let copy = c.clone();
            let json = serde_json::to_string(&c).map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
            proptest::prop_assert_eq!(&json, &serde_json::to_string(&want).unwrap_or_default());
            let read: Chunked<u32, 3> = serde_json::from_str(&json).map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
            for probe in [&c, &copy, &read] {
                proptest::prop_assert_eq!(probe.len(), want.len());
                proptest::prop_assert_eq!(probe.is_empty(), want.is_empty());
                proptest::prop_assert_eq!(probe.to_vec(), want.clone());
                proptest::prop_assert_eq!(probe.iter().len(), want.len());
                proptest::prop_assert!(probe.iter().rev().eq(want.iter().rev()));
                proptest::prop_assert_eq!(probe.first(), want.first());
                proptest::prop_assert_eq!(probe.last(), want.last());
                for i in 0..=want.len() {
                    proptest::prop_assert_eq!(probe.get(i), want.get(i));
                }
                proptest::prop_assert_eq!(probe.chunks().flatten().count(), want.len());
                for skip in [0, 1, 7, 8, 9, want.len() / 2, want.len(), want.len() + 1] {
                    proptest::prop_assert!(probe.iter().skip(skip).eq(want.iter().skip(skip)));
                    // What is left after a step over some is counted right.
                    let mut rest = probe.iter();
                    proptest::prop_assert_eq!(rest.nth(skip), want.get(skip));
                    proptest::prop_assert_eq!(rest.len(), want.len().saturating_sub(skip + 1));
                    proptest::prop_assert!(rest.eq(want.iter().skip(skip + 1)));
                }
            }
            proptest::prop_assert!(c == copy && copy == read);
            // Searching the table sorted answers as searching the sorted vector.
            let mut sorted = want.clone();
            sorted.sort_unstable();
            let table: Chunked<u32, 3> = sorted.iter().copied().collect();
            for x in [0, 1, 499, 500, 998, 999, 1000, 2000] {
                let (got, exp) = (table.binary_search(&x), sorted.binary_search(&x));
                // With duplicates either may name a different equal entry.
                if let (Ok(i), Ok(_)) = (got, exp) {
                    proptest::prop_assert_eq!(sorted.get(i), Some(&x));
                } else {
                    proptest::prop_assert_eq!(got, exp);
                }
            }
            proptest::prop_assert_eq!(format!("{c:?}"), format!("{want:?}"));
            proptest::prop_assert_eq!(read.into_iter().collect::<Vec<_>>(), want.clone());
            proptest::prop_assert_eq!(copy.into_vec(), want);
        }
    }

    /// A copy keeps room in its last chunk: its next push does not move what it holds.
    #[test]
    fn a_copy_grows_in_place() {
        let mut c: Chunked<u8, 4> = (0..5).collect();
        let copy = c.clone();
        let before = copy.chunks().next().map(<[u8]>::as_ptr);
        let mut copy = copy;
        copy.push(9);
        assert_eq!(copy.chunks().next().map(<[u8]>::as_ptr), before);
        c.push(9);
        assert_eq!(c, copy);
    }
}
