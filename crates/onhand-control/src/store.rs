//! An append-only store in fixed chunks: growing it never moves or copies what it holds,
//! so a raise costs the same at a million exceptions as at ten.

/// Items per chunk (a power of two).
const CHUNK: usize = 4096;

/// A vector of `T` in chunks of [`CHUNK`]; indexes are dense from 0.
#[derive(Debug, Clone)]
pub(crate) struct Store<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Store<T> {
    fn default() -> Self {
        Store { chunks: Vec::new(), len: 0 }
    }
}

impl<T> Store<T> {
    /// How many items it holds.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Appends `item` at index [`len`](Self::len).
    pub(crate) fn push(&mut self, item: T) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < CHUNK => chunk.push(item),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(item);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }

    /// The item at `i`.
    pub(crate) fn get(&self, i: usize) -> Option<&T> {
        self.chunks.get(i / CHUNK).and_then(|c| c.get(i % CHUNK))
    }

    /// The item at `i`, to change.
    pub(crate) fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.chunks.get_mut(i / CHUNK).and_then(|c| c.get_mut(i % CHUNK))
    }

    /// Every item, in index order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_stay_dense_across_chunks() {
        let mut s = Store::default();
        for i in 0..(2 * CHUNK + 3) {
            s.push(i);
        }
        assert_eq!(s.len(), 2 * CHUNK + 3);
        assert_eq!(s.get(CHUNK), Some(&CHUNK));
        assert_eq!(s.get(2 * CHUNK + 3), None);
        *s.get_mut(5).unwrap() = 0;
        assert_eq!(s.iter().filter(|&&x| x == 0).count(), 2);
        assert_eq!(s.iter().last(), Some(&(2 * CHUNK + 2)));
    }
}
