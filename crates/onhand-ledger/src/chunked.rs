//! [`Chunked`]: a vector kept in fixed-size chunks, for the ledger's tables that grow by
//! an entry at a time as events arrive (positions, transfer orders).
//!
//! A plain `Vec` doubles as it grows, moving every entry into fresh memory each time: on
//! a table of a million entries that copy, and the page faults of touching the new
//! memory, fall on whichever event crosses the boundary. Here entries sit in chunks
//! that never move; a push allocates at most one more chunk, and at most one chunk is
//! partly empty. An entry's index never changes.

/// Entries by index, in chunks of `1 << BITS`.
#[derive(Debug)]
pub(crate) struct Chunked<T, const BITS: u32> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T, const BITS: u32> Default for Chunked<T, BITS> {
    fn default() -> Self {
        Chunked { chunks: Vec::new(), len: 0 }
    }
}

impl<T, const BITS: u32> Chunked<T, BITS> {
    const CHUNK: usize = 1 << BITS;

    /// How many entries there are.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn get(&self, i: usize) -> Option<&T> {
        self.chunks.get(i >> BITS)?.get(i & (Self::CHUNK - 1))
    }

    pub(crate) fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.chunks.get_mut(i >> BITS)?.get_mut(i & (Self::CHUNK - 1))
    }

    /// Adds an entry at the end; its index.
    pub(crate) fn push(&mut self, entry: T) -> usize {
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

    /// Every entry, in index order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flatten()
    }
}

impl<T: Clone, const BITS: u32> Clone for Chunked<T, BITS> {
    /// A copy whose last chunk keeps its room to grow (a derived clone would leave none,
    /// and the copy's next push would move that chunk).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_keep_their_index_across_chunks_and_clones() {
        let mut c: Chunked<u32, 2> = Chunked::default();
        for i in 0..11 {
            assert_eq!(c.push(i * 10), i as usize);
        }
        assert_eq!(c.len(), 11);
        assert_eq!(c.get(5), Some(&50));
        assert_eq!(c.get(11), None);
        if let Some(e) = c.get_mut(10) {
            *e = 7;
        }
        let copy = c.clone();
        assert_eq!(copy.iter().copied().collect::<Vec<_>>(), c.iter().copied().collect::<Vec<_>>());
        assert_eq!(copy.get(10), Some(&7));
        assert_eq!(c.iter().count(), 11);
    }
}
