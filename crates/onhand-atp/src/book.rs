//! The book of allocated lines: a slab of entries (so a batch appends without moving
//! large values through a hash table) with a small id index beside it, and the units
//! its schedule lines hold per item-site and availability day (so "held now" at one
//! item-site is a range sum, not a scan of every booked line).

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::ops::{Deref, DerefMut};

use onhand_master::hash::{Map, map};

use crate::demand::LineId;
use crate::engine::{Booked, Demand};
use crate::promise::RawPromise;

/// Units held by booked schedule lines, summed per (item, site, availability day).
/// Entries are never zero: an entry whose sum returns to zero is removed, so two books
/// with the same lines have the same index whatever their history.
type Held = BTreeMap<(u32, u16, i32), i128>;

/// Adds (`sign` 1) or takes away (`sign` -1) a booked line's schedule lines.
fn count(held: &mut Held, b: &Booked, sign: i128) {
    for l in &b.promise.lines {
        if l.units == 0 {
            continue;
        }
        match held.entry((l.item, l.site, l.avail_day)) {
            Entry::Occupied(mut o) => {
                *o.get_mut() += sign * i128::from(l.units);
                if *o.get() == 0 {
                    o.remove();
                }
            }
            Entry::Vacant(v) => {
                v.insert(sign * i128::from(l.units));
            }
        }
    }
}

/// `units` clamped to the `i64` range.
fn saturate(units: i128) -> i64 {
    i64::try_from(units).unwrap_or(if units < 0 { i64::MIN } else { i64::MAX })
}

/// Booked lines by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Book {
    slots: Vec<Option<Booked>>,
    index: Map<LineId, u32>,
    free: Vec<u32>,
    held: Held,
}

impl Default for Book {
    fn default() -> Self {
        Book { slots: Vec::new(), index: map(), free: Vec::new(), held: Held::new() }
    }
}

/// A booked line lent out to change: its schedule lines leave the held index when it
/// is lent and return, as they then are, when it is dropped.
pub(crate) struct BookedMut<'a> {
    booked: &'a mut Booked,
    held: &'a mut Held,
}

impl<'a> BookedMut<'a> {
    fn lend(booked: &'a mut Booked, held: &'a mut Held) -> Self {
        count(held, booked, -1);
        BookedMut { booked, held }
    }
}

impl Deref for BookedMut<'_> {
    type Target = Booked;
    fn deref(&self) -> &Booked {
        self.booked
    }
}

impl DerefMut for BookedMut<'_> {
    fn deref_mut(&mut self) -> &mut Booked {
        self.booked
    }
}

impl Drop for BookedMut<'_> {
    fn drop(&mut self) {
        count(self.held, self.booked, 1);
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
            if let Some(old) = slot.as_ref() {
                count(&mut self.held, old, -1);
            }
            count(&mut self.held, &b, 1);
            *slot = Some(b);
            return;
        }
        let Ok(end) = u32::try_from(self.slots.len()) else { return };
        count(&mut self.held, &b, 1);
        let ix = if let Some(ix) = self.free.pop() {
            if let Some(slot) = self.slots.get_mut(ix as usize) {
                *slot = Some(b);
            }
            ix
        } else {
            self.slots.push(Some(b));
            end
        };
        self.index.insert(id, ix);
    }

    pub(crate) fn get(&self, id: LineId) -> Option<&Booked> {
        self.index.get(&id).and_then(|&ix| self.slots.get(ix as usize)).and_then(Option::as_ref)
    }

    pub(crate) fn get_mut(&mut self, id: LineId) -> Option<BookedMut<'_>> {
        let ix = *self.index.get(&id)?;
        self.at_mut(ix)
    }

    pub(crate) fn remove(&mut self, id: LineId) -> Option<Booked> {
        let ix = self.index.remove(&id)?;
        self.free.push(ix);
        let b = self.slots.get_mut(ix as usize).and_then(Option::take)?;
        count(&mut self.held, &b, -1);
        Some(b)
    }

    /// A book from its slab and free list, as a snapshot keeps them: the id index is
    /// rebuilt. The caller has checked that ids are unique and that `free` lists exactly
    /// the empty slots.
    pub(crate) fn from_parts(slots: Vec<Option<Booked>>, free: Vec<u32>) -> Book {
        let mut index = map();
        index.reserve(slots.len());
        let mut held = Held::new();
        for (ix, b) in slots.iter().enumerate() {
            if let (Some(b), Ok(ix)) = (b, u32::try_from(ix)) {
                index.insert(b.demand.id, ix);
                count(&mut held, b, 1);
            }
        }
        Book { slots, index, free, held }
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
        count(&mut self.held, &b, 1);
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
                if let Some(gone) = slot.take() {
                    count(&mut self.held, &gone, -1);
                }
                self.free.push(loser);
            }
        }
    }

    /// Forgets the quota use every line's picks kept (`Booked::kept`, which counts in
    /// no held figure, so nothing is lent out).
    pub(crate) fn forget_kept(&mut self) {
        for b in self.slots.iter_mut().flatten() {
            b.kept.clear();
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
    pub(crate) fn at_mut(&mut self, ix: u32) -> Option<BookedMut<'_>> {
        let booked = self.slots.get_mut(ix as usize).and_then(Option::as_mut)?;
        Some(BookedMut::lend(booked, &mut self.held))
    }

    /// Takes a booked line's promise out (the line stays booked, with nothing
    /// scheduled), returning its demand and the promise it had.
    pub(crate) fn take_promise(&mut self, ix: u32) -> Option<(Demand, RawPromise)> {
        let mut b = self.at_mut(ix)?;
        let p = std::mem::take(&mut b.promise);
        Some((b.demand.clone(), p))
    }

    /// What the booked lines' schedule lines at an item-site hold of the stock
    /// available on `day` (lines available that day or earlier), in the item's units;
    /// saturates at the `i64` range.
    pub(crate) fn held_until(&self, item: u32, site: u16, day: i32) -> i64 {
        let sum: i128 =
            self.held.range((item, site, i32::MIN)..=(item, site, day)).map(|(_, u)| *u).sum();
        saturate(sum)
    }

    /// Whether any booked line holds anything at an item-site.
    pub(crate) fn holds_at(&self, item: u32, site: u16) -> bool {
        self.held.range((item, site, i32::MIN)..=(item, site, i32::MAX)).next().is_some()
    }

    /// [`held_until`](Self::held_until) for every item-site holding anything, in
    /// (item, site) order.
    pub(crate) fn held_all_until(&self, day: i32) -> BTreeMap<(u32, u16), i64> {
        let mut sums: BTreeMap<(u32, u16), i128> = BTreeMap::new();
        for (&(item, site, d), &u) in &self.held {
            if d <= day {
                *sums.entry((item, site)).or_insert(0) += u;
            }
        }
        sums.into_iter().map(|(k, u)| (k, saturate(u))).collect()
    }

    /// Every booked line with its slab position, in slab order.
    pub(crate) fn positions(&self) -> impl Iterator<Item = (u32, &Booked)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, b)| Some((u32::try_from(i).ok()?, b.as_ref()?)))
    }
}
