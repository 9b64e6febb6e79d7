//! The book of allocated lines: a slab of entries (so a batch appends without moving
//! large values through a hash table) with a small id index beside it.

use onhand_master::hash::{Map, map};

use crate::demand::LineId;
use crate::engine::Booked;

/// Booked lines by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Book {
    slots: Vec<Option<Booked>>,
    index: Map<LineId, u32>,
    free: Vec<u32>,
}

impl Default for Book {
    fn default() -> Self {
        Book { slots: Vec::new(), index: map(), free: Vec::new() }
    }
}

impl Book {
    pub(crate) fn contains_key(&self, id: LineId) -> bool {
        self.index.contains_key(&id)
    }

    pub(crate) fn reserve(&mut self, n: usize) {
        self.slots.reserve(n);
        self.index.reserve(n);
    }

    /// Books a line (replacing one with the same id).
    pub(crate) fn insert(&mut self, id: LineId, b: Booked) {
        if let Some(&ix) = self.index.get(&id)
            && let Some(slot) = self.slots.get_mut(ix as usize)
        {
            *slot = Some(b);
            return;
        }
        let ix = if let Some(ix) = self.free.pop() {
            if let Some(slot) = self.slots.get_mut(ix as usize) {
                *slot = Some(b);
            }
            ix
        } else {
            let Ok(ix) = u32::try_from(self.slots.len()) else { return };
            self.slots.push(Some(b));
            ix
        };
        self.index.insert(id, ix);
    }

    pub(crate) fn get(&self, id: LineId) -> Option<&Booked> {
        self.index.get(&id).and_then(|&ix| self.slots.get(ix as usize)).and_then(Option::as_ref)
    }

    pub(crate) fn get_mut(&mut self, id: LineId) -> Option<&mut Booked> {
        let ix = *self.index.get(&id)?;
        self.slots.get_mut(ix as usize).and_then(Option::as_mut)
    }

    pub(crate) fn remove(&mut self, id: LineId) -> Option<Booked> {
        let ix = self.index.remove(&id)?;
        self.free.push(ix);
        self.slots.get_mut(ix as usize).and_then(Option::take)
    }

    /// A book from its slab and free list, as a snapshot keeps them: the id index is
    /// rebuilt. The caller has checked that ids are unique and that `free` lists exactly
    /// the empty slots.
    pub(crate) fn from_parts(slots: Vec<Option<Booked>>, free: Vec<u32>) -> Book {
        let mut index = map();
        index.reserve(slots.len());
        for (ix, b) in slots.iter().enumerate() {
            if let (Some(b), Ok(ix)) = (b, u32::try_from(ix)) {
                index.insert(b.demand.id, ix);
            }
        }
        Book { slots, index, free }
    }

    /// The slab, booked and empty slots in order.
    pub(crate) fn slots(&self) -> &[Option<Booked>] {
        &self.slots
    }

    /// The empty slots, in the order they will be reused (last first).
    pub(crate) fn free(&self) -> &[u32] {
        &self.free
    }

    /// How many slab slots there are (booked or free).
    pub(crate) fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// Appends a line without indexing it: [`index_appended`](Self::index_appended)
    /// must follow before any look-up by id.
    pub(crate) fn append(&mut self, b: Booked) {
        self.slots.push(Some(b));
    }

    /// Indexes the lines appended from slot `first` on, in slab order. Where an id is
    /// already indexed, `new_wins(held, new)` decides which slot keeps it (an id booked
    /// before `first` always stays); the other slot is emptied and freed.
    pub(crate) fn index_appended(
        &mut self,
        first: u32,
        mut new_wins: impl FnMut(u32, u32) -> bool,
    ) {
        use std::collections::hash_map::Entry;
        let end = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
        for ix in first..end {
            let Some(Some(b)) = self.slots.get(ix as usize) else { continue };
            let loser = match self.index.entry(b.demand.id) {
                Entry::Vacant(v) => {
                    v.insert(ix);
                    continue;
                }
                Entry::Occupied(mut o) => {
                    let held = *o.get();
                    if held >= first && new_wins(held, ix) {
                        o.insert(ix);
                        held
                    } else {
                        ix
                    }
                }
            };
            if let Some(slot) = self.slots.get_mut(loser as usize) {
                *slot = None;
                self.free.push(loser);
            }
        }
    }

    /// Every booked line, in slab order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &Booked> {
        self.slots.iter().filter_map(Option::as_ref)
    }

    /// A line by slab position.
    pub(crate) fn at(&self, ix: u32) -> Option<&Booked> {
        self.slots.get(ix as usize).and_then(Option::as_ref)
    }

    /// A line by slab position, to change.
    pub(crate) fn at_mut(&mut self, ix: u32) -> Option<&mut Booked> {
        self.slots.get_mut(ix as usize).and_then(Option::as_mut)
    }

    /// Every booked line with its slab position, in slab order.
    pub(crate) fn positions(&self) -> impl Iterator<Item = (u32, &Booked)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, b)| Some((u32::try_from(i).ok()?, b.as_ref()?)))
    }
}
