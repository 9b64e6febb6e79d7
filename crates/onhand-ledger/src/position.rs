//! Positions: quantities keyed by item, site, status, owner, bin and lot, in base units,
//! each with the open period's history so figures can be read as of any time since the
//! last period close.
//!
//! Storage is one arena of slots with, per [`ItemIx`], the ids of the item's slots sorted
//! by key, so a look-up is an index plus a binary search over the few slots an item has,
//! a new position never moves the others, and every iteration is in key order without
//! sorting.

use chrono::{DateTime, Utc};
use onhand_master::{BinIx, EntityIx, ItemIx, SiteIx};
use onhand_status::StockStatus;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use crate::chunked::Chunked;
use crate::error::LedgerError;

/// A ledger handle for a lot: a position in the ledger's lot table (lots are created by
/// receipts, so the ledger, not the catalog, numbers them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LotIx(pub(crate) u32);

impl LotIx {
    /// The position in the ledger's lot table.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_ledger::{Applied, Ledger, Rules, testing};
    /// # use onhand_master::{seed, Catalog, CurrencyCode, Decimal};
    /// # use onhand_status::Measure;
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// # let mut ledger = Ledger::new(catalog.clone(), rules.clone())?;
    /// # let item = catalog.item_ix(&"BOLT-M8".parse()?).ok_or("item")?;
    /// # let site = catalog.site_ix(&"ATL".parse()?).ok_or("site")?;
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// #
    /// # for e in onhand_ledger::seed::demo_day()? {
    /// #     let _ = ledger.apply(&e.event); // the day includes postings the rules refuse
    /// # }
    /// # let to = |n: &str| -> Result<onhand_ledger::DocNumber, Box<dyn std::error::Error>> { Ok(n.parse()?) };
    /// # let ix = |s: &str| catalog.site_ix(&s.parse().ok()?);
    /// let glue = catalog.item_ix(&"GLUE-500".parse()?).ok_or("item")?;
    /// let ix = ledger.lot_ix(glue, &"G-0398".parse()?).ok_or("lot")?;
    /// // The second lot the day received.
    /// assert_eq!(ix.index(), 1);
    /// assert_eq!(ledger.lots()[ix.index()].code.as_str(), "G-0398");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Where a quantity of an item is, in what status, owned by whom.
///
/// In-transit stock is keyed by its *destination* site with no bin; it never counts as
/// on hand there (in transit is not an on-hand status), and the transfer order holds the
/// per-order detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PositionKey {
    /// The item.
    pub item: ItemIx,
    /// The site.
    pub site: SiteIx,
    /// The physical status.
    pub status: StockStatus,
    /// The legal entity owning the stock.
    pub owner: EntityIx,
    /// The bin (`None` at sites without bins, and for stock in transit).
    pub bin: Option<BinIx>,
    /// The lot (`None` for items that are not lot-tracked).
    pub lot: Option<LotIx>,
}

/// The part of a key after the item: the order slots are kept in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct SlotKey {
    pub(crate) site: SiteIx,
    pub(crate) status: StockStatus,
    pub(crate) owner: EntityIx,
    pub(crate) bin: Option<BinIx>,
    pub(crate) lot: Option<LotIx>,
}

impl SlotKey {
    fn of(key: &PositionKey) -> Self {
        SlotKey { site: key.site, status: key.status, owner: key.owner, bin: key.bin, lot: key.lot }
    }

    /// Site, status, owner (capped at 127) and a last bit, in one word ordered as the
    /// keys are: a key below another never has a greater prefix. The last bit is clear
    /// only for a key with no bin, no lot and an owner below the cap, the lowest key of
    /// its site, status and owner; such a prefix names its key exactly, so finding it
    /// reads no slot at all. Other keys share prefixes only with keys differing in bin
    /// or lot (or a high owner), and are told apart by reading their slots.
    fn prefix(&self) -> u32 {
        const CAP: u16 = 127;
        let loose = self.bin.is_some() || self.lot.is_some() || self.owner.raw() >= CAP;
        let owner = u32::from(self.owner.raw().min(CAP));
        (u32::from(self.site.raw()) << 16)
            | (u32::from(self.status as u8) << 8)
            | (owner << 1)
            | u32::from(loose)
    }

    /// Whether [`prefix`](Self::prefix) names this key exactly.
    fn exact(prefix: u32) -> bool {
        prefix & 1 == 0
    }

    /// The site a [`prefix`](Self::prefix) holds.
    fn site_of(prefix: u32) -> u32 {
        prefix >> 16
    }

    fn with_item(self, item: ItemIx) -> PositionKey {
        PositionKey {
            item,
            site: self.site,
            status: self.status,
            owner: self.owner,
            bin: self.bin,
            lot: self.lot,
        }
    }
}

/// One change in a position's open-period history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Hist {
    /// Effective time, microseconds since the Unix epoch.
    pub(crate) at: i64,
    /// The change in base units.
    #[serde(with = "crate::figure")]
    pub(crate) change: Decimal,
}

pub(crate) use crate::history::History;

/// One position (112 bytes: a balance at the last period close is not kept, as it is
/// the current balance less the open period's changes; the history's list-or-tree tag
/// costs 8 bytes over a bare inline list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Slot {
    pub(crate) key: SlotKey,
    /// Current balance: the balance at the last period close (zero before any close)
    /// plus every change in `hist`.
    pub(crate) qty: Decimal,
    /// Changes since the last close, in effective-time order (ties in arrival order).
    /// Most positions see one or two changes per period: those are kept inline.
    pub(crate) hist: History,
    /// Effective time of the latest count of this position, or [`NOT_COUNTED`].
    counted: i64,
}

/// [`Slot::counted`] of a position never counted.
const NOT_COUNTED: i64 = i64::MIN;

impl Slot {
    fn new(key: SlotKey) -> Self {
        Slot { key, qty: Decimal::ZERO, hist: History::new(), counted: NOT_COUNTED }
    }

    /// The balance at the last period close.
    pub(crate) fn base(&self) -> Decimal {
        self.as_of_from_start()
    }

    /// Effective time of the latest count of this position.
    pub(crate) fn counted_at(&self) -> Option<i64> {
        (self.counted != NOT_COUNTED).then_some(self.counted)
    }

    /// The balance as of `at` (every change effective at or before it).
    ///
    /// Works back from the current balance over the changes after `at`: free for an
    /// event that is not back-dated, and O(log n) in the period's changes otherwise
    /// (see [`History`]).
    pub(crate) fn as_of(&self, at: i64) -> Decimal {
        self.qty.checked_sub(self.hist.suffix(at).sum).unwrap_or(Decimal::MIN)
    }

    /// The balance before every change of the open period.
    fn as_of_from_start(&self) -> Decimal {
        self.qty.checked_sub(self.hist.sum()).unwrap_or(Decimal::MIN)
    }

    /// The lowest balance from `at` on (after every change at or before `at`), and when
    /// it occurs; `None` for the time means "at `at`". Like [`as_of`](Self::as_of), it
    /// reads one run of the history: O(log n) at most.
    pub(crate) fn min_from(&self, at: i64) -> (Decimal, Option<i64>) {
        let later = self.hist.suffix(at);
        let start = self.qty.checked_sub(later.sum).unwrap_or(Decimal::MIN);
        match later.low {
            Some((low, when)) => {
                let lowest = start.checked_add(low).unwrap_or(Decimal::MAX);
                if lowest < start { (lowest, Some(when)) } else { (start, None) }
            }
            None => (start, None),
        }
    }

    /// Applies a change effective at `at`.
    fn apply(&mut self, at: i64, change: Decimal) -> Result<(), LedgerError> {
        self.qty = onhand_master::add_exact(self.qty, change)
            .map_err(|_| LedgerError::Overflow { operation: "position balance" })?;
        self.hist.push(Hist { at, change });
        Ok(())
    }
}

/// A slot's id with the leading part of its key (see [`SlotKey::prefix`]), so a search
/// among an item's slots reads the arena only where prefixes tie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ref {
    prefix: u32,
    id: u32,
}

/// How many slots of an item a scan reads before a search or a bulk merge is the
/// cheaper way.
pub(crate) const SCAN_MAX: usize = 8;

/// The slots of one item, in key order. Most items stand in a few positions: four fit
/// inline.
type Ids = SmallVec<[Ref; 4]>;

/// The slot arena: 256 slots, 26 KiB, per chunk. Measured against 64 to 4,096 slots:
/// small enough that the system allocator serves chunks from memory freed earlier
/// rather than fresh pages (larger chunks made transfers 15% slower through page
/// faults), large enough that the chunk table stays small.
type Arena = Chunked<Slot, 8>;

/// Every position: the slots in one arena (in the order they were opened, laid out
/// again in key order at a period close) and, per item, the ids of its slots sorted by
/// key.
///
/// A position that is new for its item (a pick's first "picked" stock, say) is a push
/// onto the arena and an id inserted into the item's short inline list, never a
/// reallocation of the item's other positions.
#[derive(Debug, Default, Clone)]
pub(crate) struct Positions {
    slots: Arena,
    items: Vec<Ids>,
}

impl PartialEq for Positions {
    /// The same positions with the same balances and histories, wherever each sits in
    /// the arena.
    fn eq(&self, other: &Self) -> bool {
        self.items.len() == other.items.len() && self.all().eq(other.all())
    }
}

impl Eq for Positions {}

/// Micros since the epoch, the ledger's internal time.
pub(crate) fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// Back from internal time.
pub(crate) fn from_micros(at: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at).unwrap_or_default()
}

impl Positions {
    pub(crate) fn with_items(n: usize) -> Self {
        Positions { slots: Arena::default(), items: vec![Ids::new(); n] }
    }

    fn ids(&self, item: ItemIx) -> &[Ref] {
        self.items.get(item.index()).map_or(&[], |ids| ids.as_slice())
    }

    fn at(&self, id: u32) -> Option<&Slot> {
        self.slots.get(id as usize)
    }

    /// Where `k` is among `ids` (as [`slice::binary_search`] says): a search over the
    /// prefixes, then over the slots of the run sharing `k`'s prefix (usually none or
    /// one).
    fn search(slots: &Arena, ids: &[Ref], k: &SlotKey) -> Result<usize, usize> {
        let prefix = k.prefix();
        let lo = ids.partition_point(|r| r.prefix < prefix);
        if SlotKey::exact(prefix) {
            return match ids.get(lo) {
                Some(r) if r.prefix == prefix => Ok(lo),
                _ => Err(lo),
            };
        }
        let run = ids.get(lo..).unwrap_or_default();
        let run = run.get(..run.partition_point(|r| r.prefix == prefix)).unwrap_or_default();
        run.binary_search_by(|r| {
            slots.get(r.id as usize).map_or(std::cmp::Ordering::Greater, |s| s.key.cmp(k))
        })
        .map(|i| lo + i)
        .map_err(|i| lo + i)
    }

    pub(crate) fn slot(&self, key: &PositionKey) -> Option<&Slot> {
        self.find(key).map(|(_, s)| s)
    }

    /// A position's slot with its id, which [`apply`](Self::apply) takes as a hint.
    pub(crate) fn find(&self, key: &PositionKey) -> Option<(u32, &Slot)> {
        let ids = self.ids(key.item);
        let i = Self::search(&self.slots, ids, &SlotKey::of(key)).ok()?;
        let id = ids.get(i)?.id;
        Some((id, self.at(id)?))
    }

    /// Reads an item's first position (for [`Ledger::apply_batch`]'s read-ahead): the
    /// low word of its balance's bits, or 0.
    ///
    /// [`Ledger::apply_batch`]: crate::Ledger::apply_batch
    pub(crate) fn first_qty(&self, item: ItemIx) -> u64 {
        let first = self.ids(item).first().and_then(|r| self.at(r.id));
        first.map_or(0, |s| u64::from(s.qty.unpack().lo))
    }

    /// The current balance of a position (zero when it never existed).
    pub(crate) fn qty(&self, key: &PositionKey) -> Decimal {
        self.slot(key).map_or(Decimal::ZERO, |s| s.qty)
    }

    /// The slot of a position, opened (empty) if it is new; `None` only when the arena
    /// is full (more than `u32::MAX` positions) or the item is out of range.
    fn slot_mut(&mut self, key: &PositionKey) -> Option<&mut Slot> {
        let ids = self.items.get_mut(key.item.index())?;
        let k = SlotKey::of(key);
        let id = match Self::search(&self.slots, ids, &k) {
            Ok(i) => ids.get(i)?.id,
            Err(i) => {
                // Ids are `u32`: past that many positions, the ledger refuses new ones.
                let id = u32::try_from(self.slots.len()).ok()?;
                self.slots.push(Slot::new(k));
                // Past the inline four, grow by half rather than doubling.
                if ids.spilled() && ids.len() == ids.capacity() {
                    ids.reserve_exact((ids.len() / 2).max(1));
                }
                ids.insert(i, Ref { prefix: k.prefix(), id });
                id
            }
        };
        self.slots.get_mut(id as usize)
    }

    /// Applies a change; returns the new balance and when the position was last
    /// counted (so the caller can tell a count this change lands before). `hint` is the
    /// slot id [`find`](Self::find) gave for `key`, which saves a search; a hint that is
    /// not one of the item's slots, or whose slot holds another key, is ignored.
    pub(crate) fn apply(
        &mut self,
        key: &PositionKey,
        hint: Option<u32>,
        at: i64,
        change: Decimal,
    ) -> Result<(Decimal, Option<i64>), LedgerError> {
        let k = SlotKey::of(key);
        let valid = hint.filter(|id| {
            self.slots.get(*id as usize).is_some_and(|s| s.key == k) && {
                // Is it this item's slot (not another item's under the same key)? A
                // scan of the few slots most items have, else a search: never a scan
                // of an item's thousands of lots.
                let ids = self.ids(key.item);
                if ids.len() <= SCAN_MAX {
                    ids.iter().any(|r| r.id == *id)
                } else {
                    Self::search(&self.slots, ids, &k)
                        .is_ok_and(|i| ids.get(i).is_some_and(|r| r.id == *id))
                }
            }
        });
        let slot = match valid {
            Some(id) => self.slots.get_mut(id as usize),
            None => self.slot_mut(key),
        };
        let slot = slot.ok_or(LedgerError::Overflow { operation: "position index" })?;
        slot.apply(at, change)?;
        Ok((slot.qty, slot.counted_at()))
    }

    /// Opens the positions `keys` names (new ones, in ascending key order), merging each
    /// item's new slot ids into its list in one pass where it gets more than
    /// [`SCAN_MAX`]: one event opening 640,000 lots of an item would otherwise shift
    /// the item's list once per lot. Keys already open, out of order or out of range
    /// are left to [`apply`](Self::apply), which opens what is left one at a time.
    pub(crate) fn open_sorted(&mut self, keys: &[PositionKey]) {
        let mut rest = keys;
        while let Some(first) = rest.first() {
            let n = rest.iter().take_while(|k| k.item == first.item).count();
            let (group, tail) = rest.split_at(n);
            rest = tail;
            if group.len() > SCAN_MAX {
                self.open_item(first.item, group);
            }
        }
    }

    fn open_item(&mut self, item: ItemIx, keys: &[PositionKey]) {
        let Some(ids) = self.items.get(item.index()) else { return };
        // Where each key goes in the item's list as it stands; give up (leaving the
        // keys to `apply`) on one already open or out of order.
        let mut at = Vec::with_capacity(keys.len());
        let mut last: Option<(usize, SlotKey)> = None;
        for key in keys {
            let k = SlotKey::of(key);
            let Err(i) = Self::search(&self.slots, ids, &k) else { return };
            if last.is_some_and(|(li, lk)| li > i || lk >= k) {
                return;
            }
            last = Some((i, k));
            at.push((i, k));
        }
        let Ok(first_id) = u32::try_from(self.slots.len()) else { return };
        if u32::try_from(keys.len()).ok().and_then(|n| first_id.checked_add(n)).is_none() {
            return;
        }
        let mut merged = Ids::with_capacity(ids.len() + keys.len());
        let mut old = ids.iter().copied().enumerate().peekable();
        for (n, (i, k)) in (0u32..).zip(at) {
            while let Some((_, r)) = old.next_if(|(j, _)| *j < i) {
                merged.push(r);
            }
            self.slots.push(Slot::new(k));
            merged.push(Ref { prefix: k.prefix(), id: first_id + n });
        }
        merged.extend(old.map(|(_, r)| r));
        if let Some(ids) = self.items.get_mut(item.index()) {
            *ids = merged;
        }
    }

    /// Records that a position was counted at `at`.
    pub(crate) fn mark_counted(&mut self, key: &PositionKey, at: i64) {
        if let Some(slot) = self.slot_mut(key) {
            slot.counted = slot.counted_at().map_or(at, |c| c.max(at));
        }
    }

    /// Folds history effective before `through` into each slot's base, drops slots left
    /// empty, and lays the arena out again in key order.
    pub(crate) fn close_period(&mut self, through: i64) {
        let mut old = std::mem::take(&mut self.slots);
        for ids in &mut self.items {
            let mut kept = Ids::new();
            for r in ids.iter() {
                let Some(slot) = old.get_mut(r.id as usize) else { continue };
                slot.hist.drop_before(through);
                // An empty position counted after the close keeps its count's time: a
                // back-dated event before the count still invalidates it.
                if slot.qty.is_zero()
                    && slot.hist.is_empty()
                    && slot.counted_at().is_none_or(|c| c < through)
                {
                    continue;
                }
                let hist = std::mem::take(&mut slot.hist);
                let kept_slot = Slot { key: slot.key, qty: slot.qty, hist, counted: slot.counted };
                // Fewer slots than before: a new id is always there.
                if let Ok(id) = u32::try_from(self.slots.len()) {
                    self.slots.push(kept_slot);
                    kept.push(Ref { prefix: r.prefix, id });
                }
            }
            *ids = kept;
        }
    }

    /// Every position of an item, in key order.
    pub(crate) fn of_item(&self, item: ItemIx) -> impl Iterator<Item = (PositionKey, &Slot)> {
        self.ids(item)
            .iter()
            .filter_map(move |r| self.at(r.id))
            .map(move |s| (s.key.with_item(item), s))
    }

    /// Every position of an item at a site, in key order.
    pub(crate) fn of_item_site(
        &self,
        item: ItemIx,
        site: SiteIx,
    ) -> impl Iterator<Item = (PositionKey, &Slot)> {
        let ids = self.ids(item);
        let site = u32::from(site.raw());
        let start = ids.partition_point(|r| SlotKey::site_of(r.prefix) < site);
        ids.get(start..)
            .unwrap_or_default()
            .iter()
            .take_while(move |r| SlotKey::site_of(r.prefix) == site)
            .filter_map(move |r| self.at(r.id))
            .map(move |s| (s.key.with_item(item), s))
    }

    /// Every position, in key order.
    pub(crate) fn all(&self) -> impl Iterator<Item = (PositionKey, &Slot)> {
        (0..self.items.len()).flat_map(|i| {
            let item = ItemIx::new(u32::try_from(i).unwrap_or(u32::MAX));
            self.of_item(item)
        })
    }

    /// Inserts a slot as restored from a snapshot (whose balance the caller has checked
    /// is its base plus `hist`).
    pub(crate) fn restore(
        &mut self,
        key: &PositionKey,
        qty: Decimal,
        hist: History,
        counted_at: Option<i64>,
    ) {
        if let Some(slot) = self.slot_mut(key) {
            slot.qty = qty;
            slot.hist = hist;
            slot.counted = counted_at.unwrap_or(NOT_COUNTED);
        }
    }

    /// Number of positions held.
    pub(crate) fn len(&self) -> usize {
        self.items.iter().map(SmallVec::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(site: u16, status: StockStatus) -> PositionKey {
        PositionKey {
            item: ItemIx::new(0),
            site: SiteIx::new(site),
            status,
            owner: EntityIx::new(0),
            bin: None,
            lot: None,
        }
    }

    fn d(v: i64) -> Decimal {
        Decimal::from(v)
    }

    #[test]
    fn history_answers_as_of_and_the_tightest_point() {
        let mut p = Positions::with_items(1);
        let k = key(0, StockStatus::Available);
        p.apply(&k, None, 10, d(5)).unwrap();
        p.apply(&k, None, 30, d(-4)).unwrap();
        p.apply(&k, None, 20, d(2)).unwrap(); // back-dated
        let s = p.slot(&k).unwrap();
        assert_eq!(s.qty, d(3));
        assert_eq!(s.as_of(9), d(0));
        assert_eq!(s.as_of(10), d(5));
        assert_eq!(s.as_of(25), d(7));
        assert_eq!(s.as_of(30), d(3));
        assert_eq!(s.min_from(15), (d(3), Some(30)));
        assert_eq!(s.min_from(5), (d(0), None));
    }

    #[test]
    fn closing_a_period_folds_history_and_keeps_balances() {
        let mut p = Positions::with_items(1);
        let k = key(1, StockStatus::Available);
        p.apply(&k, None, 10, d(5)).unwrap();
        p.apply(&k, None, 30, d(-1)).unwrap();
        p.close_period(20);
        let s = p.slot(&k).unwrap();
        assert_eq!((s.base(), s.qty, s.hist.len()), (d(5), d(4), 1));
        assert_eq!(s.as_of(25), d(5));
        let gone = key(2, StockStatus::Available);
        p.apply(&gone, None, 1, d(2)).unwrap();
        p.apply(&gone, None, 2, d(-2)).unwrap();
        p.close_period(40);
        assert!(p.slot(&gone).is_none(), "an emptied position is dropped at close");
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn iteration_is_in_key_order() {
        let mut p = Positions::with_items(1);
        for (site, status) in
            [(2, StockStatus::Available), (0, StockStatus::Damaged), (0, StockStatus::Available)]
        {
            p.apply(&key(site, status), None, 0, d(1)).unwrap();
        }
        let keys: Vec<(u16, StockStatus)> =
            p.all().map(|(k, _)| (k.site.raw(), k.status)).collect();
        assert_eq!(
            keys,
            vec![
                (0, StockStatus::Available),
                (0, StockStatus::Damaged),
                (2, StockStatus::Available)
            ]
        );
        assert_eq!(p.of_item_site(ItemIx::new(0), SiteIx::new(0)).count(), 2);
    }

    #[test]
    fn many_positions_across_chunks_stay_in_key_order_and_survive_a_close() {
        use std::collections::BTreeMap;
        let mut p = Positions::with_items(3);
        let mut model: BTreeMap<PositionKey, Decimal> = BTreeMap::new();
        let n = 256 * 3 + 7; // over three arena chunks
        // Interleave three items, with keys a prefix names exactly (no bin, no lot, a low
        // owner; these repeat), ties on the prefix (bins and lots at one site and status)
        // and owners either side of the prefix's cap.
        for i in (0..n).rev() {
            let k = PositionKey {
                item: ItemIx::new(i % 3),
                site: SiteIx::new(u16::try_from(i % 5).unwrap()),
                status: if i % 7 == 0 { StockStatus::Damaged } else { StockStatus::Available },
                owner: EntityIx::new(u16::try_from(120 + i % 11).unwrap()),
                bin: (i % 2 == 0).then(|| BinIx::new(i % 13)),
                lot: (i % 3 != 0 || i % 2 == 0).then_some(LotIx(i)),
            };
            let change = d(i64::from(i % 4) - 1);
            p.apply(&k, None, i64::from(i), change).unwrap();
            let want = model.entry(k).or_default();
            *want += change;
            assert_eq!(p.qty(&k), *want);
        }
        let check = |p: &Positions, model: &BTreeMap<PositionKey, Decimal>| {
            let all: Vec<(PositionKey, Decimal)> = p.all().map(|(k, s)| (k, s.qty)).collect();
            let want: Vec<(PositionKey, Decimal)> = model.iter().map(|(k, q)| (*k, *q)).collect();
            assert_eq!(all, want, "every position, in key order");
            for item in 0..3 {
                for site in 0..5 {
                    let at: Vec<PositionKey> = p
                        .of_item_site(ItemIx::new(item), SiteIx::new(site))
                        .map(|(k, _)| k)
                        .collect();
                    let want: Vec<PositionKey> = model
                        .keys()
                        .copied()
                        .filter(|k| k.item.raw() == item && k.site.raw() == site)
                        .collect();
                    assert_eq!(at, want);
                }
            }
            for (k, s) in p.all() {
                assert_eq!(p.slot(&k), Some(s));
            }
        };
        check(&p, &model);
        let copy = p.clone();
        assert_eq!(copy, p);
        p.close_period(i64::MAX);
        model.retain(|_, q| !q.is_zero());
        assert!(p.all().all(|(_, s)| s.hist.is_empty()), "history folded");
        check(&p, &model);
        assert_ne!(copy, p);
    }

    /// Issue 13: one event opening thousands of an item's positions shifted the item's
    /// slot list once per position. They are merged in one pass, between and around the
    /// item's existing positions, and found and changed like any other.
    #[test]
    fn opening_many_positions_of_an_item_shifts_its_list_once_per_position() {
        let lot = |i: u32| PositionKey { lot: Some(LotIx(i)), ..key(1, StockStatus::Available) };
        let mut p = Positions::with_items(1);
        for i in (0..40).step_by(2) {
            p.apply(&lot(i), None, 0, d(1)).unwrap();
        }
        p.apply(&key(0, StockStatus::Available), None, 0, d(7)).unwrap();
        p.apply(&key(2, StockStatus::Available), None, 0, d(9)).unwrap();
        let new: Vec<PositionKey> = (1..40).step_by(2).map(lot).collect();
        p.open_sorted(&new);
        for (n, k) in new.iter().enumerate() {
            let id = p.find(k).map(|(id, _)| id);
            assert!(id.is_some(), "opened");
            p.apply(k, id, 1, d(i64::try_from(n).unwrap() + 2)).unwrap();
        }
        // Keys already open or out of order are left alone, not opened twice.
        p.open_sorted(&[lot(3), lot(1)]);
        let keys: Vec<PositionKey> = p.all().map(|(k, _)| k).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(keys, sorted, "in key order, each once");
        assert_eq!(p.len(), 20 + 2 + 20);
        assert_eq!((p.qty(&lot(1)), p.qty(&lot(39)), p.qty(&lot(38))), (d(2), d(21), d(1)));
        assert_eq!(p.qty(&key(2, StockStatus::Available)), d(9));
    }

    #[test]
    fn a_hint_speeds_a_change_and_a_wrong_hint_is_ignored() {
        let mut p = Positions::with_items(1);
        let (a, b) = (key(0, StockStatus::Available), key(0, StockStatus::Picked));
        p.apply(&a, None, 0, d(5)).unwrap();
        p.apply(&b, None, 0, d(1)).unwrap();
        let (ida, _) = p.find(&a).unwrap();
        let (idb, _) = p.find(&b).unwrap();
        assert_eq!(p.apply(&a, Some(ida), 1, d(-2)).unwrap().0, d(3));
        // A hint naming another position's slot, or no slot at all, falls back to a search.
        assert_eq!(p.apply(&a, Some(idb), 2, d(-1)).unwrap().0, d(2));
        assert_eq!(p.apply(&b, Some(u32::MAX), 2, d(1)).unwrap().0, d(2));
        assert_eq!((p.qty(&a), p.qty(&b)), (d(2), d(2)));
    }
}
