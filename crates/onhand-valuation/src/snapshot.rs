//! Snapshots: the engine's whole state, versioned and serializable, with a stable
//! digest, restored to an engine that continues exactly as the original would.
//!
//! A snapshot names items, sites and entities by their codes, so it restores against
//! a catalog whose records were added to or reordered since. It holds everything the
//! engine relies on: every pool with its records and the history kept for back-dated
//! movements (operations since the last close and their checkpoints), transfers in
//! transit, intercompany documents and open items, the consolidation state, the period
//! close, and the bookkeeping of applied events (fingerprints for idempotency, receipts
//! for landed cost, sales and their returns). The configuration is not in it: restore
//! takes it, and refuses a snapshot whose pools it does not fit.
//!
//! [`Valuation::restore`] checks what it relies on and refuses anything else with a
//! typed error, never a panic: the format version, the digest, every code, and for
//! every pool that its base and its current state are states the pool can be in, that
//! every operation names records that exist, and that its receipts are numbered in
//! order from the base through every checkpoint to the pool. Restore does not replay
//! the history (it is linear in the snapshot's size): the digest vouches that the
//! history is the one the pool went through.
//!
//! In memory a snapshot keeps the pools' receipt records as the pools keep them (40
//! bytes a record without profit or landed cost, not 80) and no state for a checkpoint
//! that is its method's empty state (every never-closed pool's first): a snapshot of the
//! 1,000,000-position network in `benches/` then allocates about 120 MB instead of
//! 260 MB for the books. Its JSON, its canonical form and its digest are those of the
//! full lists.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use onhand_master::canonical::{Compact, EncodeError, stream_compact_as};
use onhand_master::decimal::serde_str::Plain;
use onhand_master::{Catalog, EntityCode, ItemCode, SiteCode};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::code::TransferNo;
use crate::config::ValuationConfig;
use crate::engine::{IcPeriod, Ids, ReceiptSeen, SaleSeen, Seen, Transfer, Valuation, pool_key};
use crate::error::ValuationError;
use crate::history::{Extra, Op, Slot};
use crate::intercompany::{IcDocument, OpenItem};
use crate::pool::{Pool, Rcpt, Rcpts, Scales, Short, State, Wdr, is_zero};

/// The snapshot format this version writes and reads.
///
/// Format 3 digests the content's compact canonical form
/// ([`onhand_master::canonical::stream_compact`], streamed into SHA-256: integers as
/// variable-length numbers, a pool history's times as seconds and nanoseconds), which
/// hashes a large engine several times faster; format 2 digested the fixed-width form
/// and format 1 compact JSON. The JSON is the same in all three. A snapshot of another
/// format is refused with [`ValuationError::SnapshotFormat`]: rebuild the books from
/// the events and take a new one.
///
/// Format 4 lays the pools out flat: the codes they name once each (`entities`,
/// `items`, `sites`, which the pools index), and every pool's records, history and
/// checkpoints in one list per kind, pool after pool, each pool saying how many are
/// its own; and it writes the receipts' and sales' figures in the digest as their
/// parts (scale and sign, mantissa) rather than as text. Taking and restoring a
/// snapshot of a million pools then allocates nothing per pool on the way out and
/// looks each code up once on the way in. Format 3's JSON nested the records in
/// each pool.
///
/// Format 5 names, in each part of a shortfall (`shorts`), the issue that went out
/// short (`event`), so the receipt that covers it later brings that issue's recorded
/// value to its true cost (what a reversal or a customer return of it brings back).
///
/// Within format 5, two optional parts were added that an older snapshot lacks and
/// reads without: the intercompany profit each issue took (`sale_profit`), and a
/// transfer's seller-to-buyer rate when title passed at shipment (`rate`). An engine
/// restored from a snapshot without them brings no profit back with a reversal or a
/// return of an issue made before it, and refuses to re-cost such a shipment
/// ([`ValuationError::TransferRecosted`]). An older build refuses a snapshot that has
/// them (unknown field).
pub const VALUATION_SNAPSHOT_FORMAT: u32 = 5;

/// A serialized valuation engine: its whole state, the format it is written in, and a
/// SHA-256 digest of the content.
///
/// Two engines that went through the same events (and closes and consolidation runs)
/// have equal snapshots and digests; an engine restored from a snapshot gives, from
/// then on, byte for byte the outcomes the original would.
///
/// ```
/// use std::sync::Arc;
/// use onhand_master::{seed, Catalog};
/// use onhand_valuation::{CostBody, CostEvent, Valuation, ValuationConfig};
///
/// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
/// let mut v = Valuation::new(catalog.clone(), ValuationConfig::default())?;
/// let at = chrono::DateTime::from_timestamp(1_767_600_000, 0).ok_or("time")?;
/// v.apply(&CostEvent { id: 1, at, body: CostBody::Receipt {
///     site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: "100 EA".parse()?,
///     unit_cost: "0.10 USD".parse()?, owner: None } })?;
/// let snapshot = v.snapshot();
/// let json = serde_json::to_string(&snapshot)?;
/// let back = serde_json::from_str(&json)?;
/// let restored = Valuation::restore(catalog, ValuationConfig::default(), &back)?;
/// assert_eq!(restored.snapshot().digest, snapshot.digest);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValuationSnapshot {
    /// The format version ([`VALUATION_SNAPSHOT_FORMAT`]).
    pub format: u32,
    /// SHA-256 of the content's canonical binary form, lowercase hex.
    pub digest: String,
    content: Content,
}

impl ValuationSnapshot {
    /// The digest of the content as it is now (equal to `digest` unless the snapshot was
    /// changed after it was taken).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_master::{seed, Catalog, Decimal};
    /// # use onhand_valuation::{CostBody, CostEvent, IssueTo, Valuation, ValuationConfig};
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let at = |h: u64| chrono::DateTime::from_timestamp(1_767_600_000 + 3600 * h as i64, 0).ok_or("time");
    /// # let receipt = |id: u64, qty: &str, cost: &str| -> Result<CostEvent, Box<dyn std::error::Error>> {
    /// #     Ok(CostEvent { id, at: at(id)?, body: CostBody::Receipt {
    /// #         site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: qty.parse()?,
    /// #         unit_cost: cost.parse()?, owner: None } })
    /// # };
    /// # let sale = |id: u64, qty: &str| -> Result<CostEvent, Box<dyn std::error::Error>> {
    /// #     Ok(CostEvent { id, at: at(id)?, body: CostBody::Issue {
    /// #         site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: qty.parse()?,
    /// #         to: IssueTo::Sale, owner: None } })
    /// # };
    /// # let mut v = Valuation::new(catalog.clone(), ValuationConfig::default())?;
    /// # let (na01, bolt) = ("NA01".parse::<onhand_master::EntityCode>()?, "BOLT-M8".parse::<onhand_master::ItemCode>()?);
    /// v.apply(&receipt(1, "100 EA", "0.10 USD")?)?;
    /// let snap = v.snapshot();
    /// assert_eq!(snap.content_digest(), snap.digest);
    /// v.apply(&sale(2, "10 EA")?)?;
    /// assert_ne!(v.snapshot().content_digest(), snap.digest);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn content_digest(&self) -> String {
        digest_of(&self.content)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Content {
    /// The codes the pools name, by the index a pool gives: every entity of the
    /// engine (by handle), and the items and sites in the order pools first name them.
    entities: Vec<EntityCode>,
    items: Vec<ItemCode>,
    sites: Vec<SiteCode>,
    pools: Vec<PoolRecord>,
    /// Every pool's receipt records, shortfall parts, withdrawal records, operations,
    /// extras and checkpoints, pool after pool (each [`PoolRecord`] counts its own).
    rcpts: RcptList,
    shorts: Vec<Short>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    wdrs: Vec<Wdr>,
    ops: Vec<Op>,
    extras: Vec<Extra>,
    checkpoints: CheckpointList,
    transfers: Vec<TransferRecord>,
    /// Applied events in order: id, fingerprint, and for receipts and sales the index
    /// into `receipts` or `sales`.
    seen: Vec<SeenRecord>,
    receipts: Vec<(u32, u32, Fig)>,
    sales: Vec<(u32, Fig, Fig)>,
    /// Issues that took intercompany profit out of their pool: the index into `sales`
    /// and the profit, ascending (absent when none did, so such a snapshot reads and
    /// digests as before; one without it restores with no profit on any issue).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    sale_profit: Vec<(u32, Fig)>,
    /// Sales with returns: the quantity and value back so far.
    #[serde(deserialize_with = "plain_returned")]
    returned: BTreeMap<u64, (Decimal, Decimal)>,
    seq: u64,
    closed_through: Option<DateTime<Utc>>,
    /// Entities whose own period is closed, and through when (absent when none is, so
    /// a snapshot without entity closes reads and digests as before).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    entity_closed: Vec<(EntityCode, DateTime<Utc>)>,
    documents: Vec<IcDocument>,
    receivables: Vec<OpenItem>,
    payables: Vec<OpenItem>,
    /// Intercompany activity since the last consolidation: seller, buyer, revenue,
    /// profit created.
    #[serde(deserialize_with = "plain_period")]
    period: Vec<(EntityCode, EntityCode, Decimal, Decimal)>,
    /// Unrealized profit eliminated by the last consolidation, per buyer.
    #[serde(deserialize_with = "plain_eliminated")]
    eliminated: Vec<(EntityCode, Decimal)>,
}

/// Reads the returns per sale with their figures in plain decimal notation (see
/// [`onhand_master::decimal::serde_str`]), like every other decimal of a snapshot.
fn plain_returned<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<u64, (Decimal, Decimal)>, D::Error> {
    let m = <BTreeMap<u64, (Plain, Plain)> as Deserialize>::deserialize(d)?;
    Ok(m.into_iter().map(|(sale, (qty, value))| (sale, (qty.0, value.0))).collect())
}

/// Reads the intercompany activity since the last consolidation in plain notation.
#[allow(clippy::type_complexity, reason = "spelled out, so the tidy check sees the decimal")]
fn plain_period<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<(EntityCode, EntityCode, Decimal, Decimal)>, D::Error> {
    let v = <Vec<(EntityCode, EntityCode, Plain, Plain)> as Deserialize>::deserialize(d)?;
    Ok(v.into_iter().map(|(s, b, revenue, created)| (s, b, revenue.0, created.0)).collect())
}

/// Reads the profit eliminated per buyer in plain notation.
fn plain_eliminated<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<(EntityCode, Decimal)>, D::Error> {
    let v = <Vec<(EntityCode, Plain)> as Deserialize>::deserialize(d)?;
    Ok(v.into_iter().map(|(b, value)| (b, value.0)).collect())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeenRecord {
    id: u64,
    fingerprint: u64,
    kind: u8,
    idx: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PoolRecord {
    /// Indices into the content's `entities`, `items` and `sites`.
    entity: u16,
    item: u32,
    site: Option<u32>,
    /// The scales its integers count in (the item's base unit, the currency).
    qty_scale: u32,
    value_scale: u32,
    #[serde(with = "crate::instant::option")]
    last_at: Option<DateTime<Utc>>,
    state: State,
    /// The number of the first receipt record kept, and how many of the content's
    /// `rcpts` are this pool's; the same for its shortfall parts.
    rbase: u32,
    rcpts: u32,
    sbase: u32,
    shorts: u32,
    /// The first withdrawal record kept, and how many of the content's `wdrs` (FIFO
    /// withdrawals from a layer behind the oldest) are this pool's; left out while
    /// there are none.
    #[serde(default, skip_serializing_if = "is_zero")]
    wbase: u32,
    #[serde(default, skip_serializing_if = "is_zero")]
    wdrs: u32,
    /// How many of the content's `ops`, `extras` and `checkpoints` are this pool's.
    ops: u32,
    extras: u32,
    checkpoints: u32,
    /// Whether a method change was ever applied to the pool (kept past the close that
    /// forgets the change itself); left out when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    method_changed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TransferRecord {
    number: TransferNo,
    item: ItemCode,
    to: SiteCode,
    seller: EntityCode,
    buyer: EntityCode,
    owner: EntityCode,
    agreement: Option<usize>,
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    shipped: Decimal,
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    received: Decimal,
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    value: Decimal,
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    profit: Decimal,
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    price_left: Decimal,
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    group_cost_left: Decimal,
    /// Title at shipment: the seller-to-buyer rate of the group cost (absent when
    /// zero, as in a snapshot written before it was kept).
    #[serde(
        default,
        skip_serializing_if = "Decimal::is_zero",
        deserialize_with = "onhand_master::decimal::serde_str::deserialize"
    )]
    rate: Decimal,
    invoices: u32,
    shipped_at: DateTime<Utc>,
    closed: bool,
}

/// A figure of the content: text in formats people read (as a decimal serializes),
/// and its parts (the scale times two plus one for a negative sign, then the
/// mantissa's magnitude) in the canonical form the digest is taken over, where
/// formatting a million figures as text was a large part of the cost. The parts tell
/// two decimals apart exactly when their texts do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fig(Decimal);

impl Serialize for Fig {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            Serialize::serialize(&self.0, s)
        } else {
            let d = &self.0;
            (d.scale() << 1 | u32::from(d.is_sign_negative()), d.mantissa().unsigned_abs())
                .serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for Fig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            return <Decimal as Deserialize>::deserialize(d).map(Fig);
        }
        let (scale_sign, magnitude) = <(u32, u128)>::deserialize(d)?;
        i128::try_from(magnitude)
            .ok()
            .and_then(|m| Decimal::try_from_i128_with_scale(m, scale_sign >> 1).ok())
            .map(|mut x| {
                x.set_sign_negative(scale_sign & 1 == 1);
                Fig(x)
            })
            .ok_or_else(|| serde::de::Error::custom("decimal parts out of range"))
    }
}

/// The content's receipt records, pool after pool, held as a pool holds its own
/// ([`Rcpts`]: 40 bytes a record while none has profit or landed cost, where a [`Rcpt`]
/// takes 80), and read, written, compared and digested exactly as the list of [`Rcpt`]
/// records it stands for.
#[derive(Clone, Default)]
struct RcptList(Rcpts);

impl RcptList {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn iter(&self) -> impl Iterator<Item = Rcpt> + '_ {
        self.0.iter_from(0)
    }

    fn push_item(&mut self, r: Rcpt) {
        self.0.push(r);
    }

    /// The next `count` records after `at` (moved past them), if there are so many.
    fn take(&self, at: &mut usize, count: u32) -> Option<Rcpts> {
        let end = at.checked_add(count as usize)?;
        let part = self.0.slice(*at, end)?;
        *at = end;
        Some(part)
    }
}

/// What a compact list ([`RcptList`], [`CheckpointList`]) is to everything outside it:
/// the plain list of `$item` it stands for, compared, printed, serialized and read as
/// that list (`len`, `iter` and `push_item` are its own).
macro_rules! plain_list {
    ($list:ident, $item:ty, $expecting:literal) => {
        impl PartialEq for $list {
            fn eq(&self, other: &Self) -> bool {
                self.len() == other.len() && self.iter().eq(other.iter())
            }
        }

        impl Eq for $list {}

        impl std::fmt::Debug for $list {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_list().entries(self.iter()).finish()
            }
        }

        impl Serialize for $list {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeSeq as _;
                // As a `Vec` serializes: its length first.
                let mut seq = s.serialize_seq(Some(self.len()))?;
                for x in self.iter() {
                    seq.serialize_element(&x)?;
                }
                seq.end()
            }
        }

        impl<'de> Deserialize<'de> for $list {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct Elements;
                impl<'de> serde::de::Visitor<'de> for Elements {
                    type Value = $list;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_seq<A: serde::de::SeqAccess<'de>>(
                        self,
                        mut seq: A,
                    ) -> Result<$list, A::Error> {
                        let mut list = $list::default();
                        while let Some(x) = seq.next_element::<$item>()? {
                            list.push_item(x);
                        }
                        Ok(list)
                    }
                }
                d.deserialize_seq(Elements)
            }
        }
    };
}

plain_list!(RcptList, Rcpt, "a list of receipt records");
plain_list!(CheckpointList, (u32, State), "a list of checkpoints");

/// The content's checkpoints `(n, state)`, pool after pool, held without the state
/// where it is the empty state of its costing method (the first checkpoint of every
/// pool never closed, which the pool itself does not store either: a state is 256
/// bytes), and read, written, compared and digested exactly as the list of
/// `(n, state)` it stands for.
#[derive(Clone, Default)]
struct CheckpointList {
    list: Vec<(u32, Held)>,
    /// The states that are not a method's empty one, in list order.
    states: Vec<State>,
}

/// Where a checkpoint's state is: a method's empty state, or `states[i]`.
#[derive(Clone, Copy)]
enum Held {
    Empty(crate::pool::Method),
    At(usize),
}

impl CheckpointList {
    fn len(&self) -> usize {
        self.list.len()
    }

    fn push_item(&mut self, (n, state): (u32, State)) {
        let held = if let Some(method) = crate::history::empty_of(&state) {
            Held::Empty(method)
        } else {
            self.states.push(state);
            Held::At(self.states.len() - 1)
        };
        self.list.push((n, held));
    }

    /// Checkpoint `i`: its `n` and its state.
    fn get(&self, i: usize) -> Option<(u32, State)> {
        let &(n, held) = self.list.get(i)?;
        let state = match held {
            Held::Empty(method) => State::empty(method, Decimal::ZERO),
            Held::At(k) => *self.states.get(k)?,
        };
        Some((n, state))
    }

    fn iter(&self) -> impl Iterator<Item = (u32, State)> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    /// The next `count` checkpoints after `at` (moved past them), if there are so many.
    fn take(&self, at: &mut usize, count: u32) -> Option<Vec<(u32, State)>> {
        let end = at.checked_add(count as usize)?;
        if end > self.len() {
            return None;
        }
        let mut part = Vec::with_capacity(count as usize);
        for i in *at..end {
            part.push(self.get(i)?);
        }
        *at = end;
        Some(part)
    }
}

/// The next `count` of `all` after `at` (moved past them), if there are so many.
fn take<'a, T>(all: &'a [T], at: &mut usize, count: u32) -> Option<&'a [T]> {
    let end = at.checked_add(count as usize)?;
    let part = all.get(*at..end)?;
    *at = end;
    Some(part)
}

/// Where each arena of the content has been read up to, pool after pool.
#[derive(Default)]
struct Cursors {
    rcpts: usize,
    shorts: usize,
    wdrs: usize,
    ops: usize,
    extras: usize,
    checkpoints: usize,
}

/// A dictionary of codes built in the order they are first named: `at` maps a
/// catalog handle's index to the code's index in `codes`.
struct Dict<C> {
    at: Vec<u32>,
    codes: Vec<C>,
}

impl<C> Dict<C> {
    fn new(handles: usize) -> Self {
        Dict { at: vec![u32::MAX; handles], codes: Vec::new() }
    }

    /// The index of the code of handle `ix`, added with `code` when first named.
    fn index(&mut self, ix: usize, code: impl FnOnce() -> Option<C>) -> Option<u32> {
        let slot = self.at.get_mut(ix)?;
        if *slot == u32::MAX {
            *slot = u32::try_from(self.codes.len()).ok()?;
            self.codes.push(code()?);
        }
        Some(*slot)
    }
}

impl Fig {
    fn write(self, w: &mut Compact<'_>) {
        let d = &self.0;
        w.u64(u64::from(d.scale() << 1 | u32::from(d.is_sign_negative())));
        w.u128(d.mantissa().unsigned_abs());
    }
}

impl SeenRecord {
    fn write(&self, w: &mut Compact<'_>) {
        w.field();
        w.u64(self.id);
        w.field();
        w.u64(self.fingerprint);
        w.field();
        w.u64(u64::from(self.kind));
        w.field();
        w.u64(u64::from(self.idx));
    }
}

impl PoolRecord {
    fn write(&self, w: &mut Compact<'_>) -> Result<(), EncodeError> {
        w.field();
        w.u64(u64::from(self.entity));
        w.field();
        w.u64(u64::from(self.item));
        w.field();
        match self.site {
            None => w.skipped(),
            Some(s) => {
                w.field();
                w.u64(u64::from(s));
            }
        }
        w.field();
        w.u64(u64::from(self.qty_scale));
        w.field();
        w.u64(u64::from(self.value_scale));
        w.field();
        match &self.last_at {
            None => w.skipped(),
            Some(at) => {
                w.field();
                crate::pool::write_instant(w, at);
            }
        }
        w.field();
        self.state.write(w)?;
        for n in [self.rbase, self.rcpts, self.sbase, self.shorts] {
            w.field();
            w.u64(u64::from(n));
        }
        for n in [self.wbase, self.wdrs] {
            if n == 0 {
                w.skipped();
            } else {
                w.field();
                w.u64(u64::from(n));
            }
        }
        for n in [self.ops, self.extras, self.checkpoints] {
            w.field();
            w.u64(u64::from(n));
        }
        if self.method_changed {
            w.field();
            w.bool(true);
        } else {
            w.skipped();
        }
        Ok(())
    }
}

impl Content {
    /// The compact canonical form its derived `Serialize` writes, the large arenas by
    /// hand (see [`stream_compact_as`], which holds it to the serde walk's in debug
    /// builds).
    fn write(&self, w: &mut Compact<'_>) -> Result<(), EncodeError> {
        /// A sequence of records written by `each`.
        fn seq<T>(
            w: &mut Compact<'_>,
            all: &[T],
            mut each: impl FnMut(&mut Compact<'_>, &T) -> Result<(), EncodeError>,
        ) -> Result<(), EncodeError> {
            w.field();
            w.len(all.len());
            all.iter().try_for_each(|x| each(w, x))
        }
        w.field();
        w.value(&self.entities)?;
        w.field();
        w.value(&self.items)?;
        w.field();
        w.value(&self.sites)?;
        seq(w, &self.pools, |w, p| p.write(w))?;
        w.field();
        w.len(self.rcpts.len());
        self.rcpts.iter().for_each(|r| r.write(w));
        seq(w, &self.shorts, |w, x| {
            x.write(w);
            Ok(())
        })?;
        if self.wdrs.is_empty() {
            w.skipped();
        } else {
            seq(w, &self.wdrs, |w, x| {
                x.write(w);
                Ok(())
            })?;
        }
        seq(w, &self.ops, |w, x| {
            x.write(w);
            Ok(())
        })?;
        w.field();
        w.value(&self.extras)?;
        w.field();
        w.len(self.checkpoints.len());
        self.checkpoints.iter().try_for_each(|(n, state)| {
            w.u64(u64::from(n));
            state.write(w)
        })?;
        w.field();
        w.value(&self.transfers)?;
        seq(w, &self.seen, |w, x| {
            x.write(w);
            Ok(())
        })?;
        seq(w, &self.receipts, |w, &(slot, rcpt, qty)| {
            w.u64(u64::from(slot));
            w.u64(u64::from(rcpt));
            qty.write(w);
            Ok(())
        })?;
        seq(w, &self.sales, |w, &(slot, qty, value)| {
            w.u64(u64::from(slot));
            qty.write(w);
            value.write(w);
            Ok(())
        })?;
        w.field_unless(self.sale_profit.is_empty(), &self.sale_profit)?;
        w.field();
        w.value(&self.returned)?;
        w.field();
        w.u64(self.seq);
        w.field();
        w.value(&self.closed_through)?;
        w.field_unless(self.entity_closed.is_empty(), &self.entity_closed)?;
        w.field();
        w.value(&self.documents)?;
        w.field();
        w.value(&self.receivables)?;
        w.field();
        w.value(&self.payables)?;
        w.field();
        w.value(&self.period)?;
        w.field();
        w.value(&self.eliminated)
    }
}

fn digest_of(content: &Content) -> String {
    let mut h = Sha256::new();
    // Plain data cannot fail to encode; if it did, the marker is no digest's hex, so the
    // snapshot would not verify against real content.
    if stream_compact_as(content, |chunk| h.update(chunk), |w| content.write(w)).is_err() {
        return "unencodable".into();
    }
    let hex = b"0123456789abcdef";
    h.finalize()
        .iter()
        .flat_map(|b| [hex[usize::from(b >> 4)], hex[usize::from(b & 15)]])
        .map(char::from)
        .collect()
}

fn bad(what: &'static str, at: usize) -> ValuationError {
    ValuationError::Restore { what, at }
}

impl Valuation {
    /// Replays every pool's history from its base and checks it reaches the pool
    /// exactly (every checkpoint, every landed cost's recorded share, the state and the
    /// records): the deep check [`restore`](Self::restore) leaves to the snapshot's
    /// digest. Run it on a restored engine whose snapshot came from a source the digest
    /// alone does not vouch for; it changes nothing. Linear in the histories' length,
    /// but several times the cost of a restore.
    ///
    /// # Errors
    /// [`ValuationError::Restore`] naming what did not hold and the pool's position.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use onhand_master::{seed, Catalog};
    /// use onhand_valuation::{CostBody, CostEvent, Valuation, ValuationConfig};
    ///
    /// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// let mut v = Valuation::new(catalog.clone(), ValuationConfig::default())?;
    /// let at = chrono::DateTime::from_timestamp(1_767_600_000, 0).ok_or("time")?;
    /// v.apply(&CostEvent { id: 1, at, body: CostBody::Receipt {
    ///     site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: "100 EA".parse()?,
    ///     unit_cost: "0.10 USD".parse()?, owner: None } })?;
    /// let restored = Valuation::restore(catalog, ValuationConfig::default(), &v.snapshot())?;
    /// restored.verify_histories()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn verify_histories(&self) -> Result<(), ValuationError> {
        for (n, slot) in self.slots.iter().enumerate() {
            slot.verify_history().map_err(|what| bad(what, n))?;
        }
        Ok(())
    }

    /// The whole state as a versioned, serializable snapshot with its digest.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_master::{seed, Catalog, Decimal};
    /// # use onhand_valuation::{CostBody, CostEvent, IssueTo, Valuation, ValuationConfig};
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let at = |h: u64| chrono::DateTime::from_timestamp(1_767_600_000 + 3600 * h as i64, 0).ok_or("time");
    /// # let receipt = |id: u64, qty: &str, cost: &str| -> Result<CostEvent, Box<dyn std::error::Error>> {
    /// #     Ok(CostEvent { id, at: at(id)?, body: CostBody::Receipt {
    /// #         site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: qty.parse()?,
    /// #         unit_cost: cost.parse()?, owner: None } })
    /// # };
    /// # let sale = |id: u64, qty: &str| -> Result<CostEvent, Box<dyn std::error::Error>> {
    /// #     Ok(CostEvent { id, at: at(id)?, body: CostBody::Issue {
    /// #         site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: qty.parse()?,
    /// #         to: IssueTo::Sale, owner: None } })
    /// # };
    /// # let mut v = Valuation::new(catalog.clone(), ValuationConfig::default())?;
    /// # let (na01, bolt) = ("NA01".parse::<onhand_master::EntityCode>()?, "BOLT-M8".parse::<onhand_master::ItemCode>()?);
    /// v.apply(&receipt(1, "100 EA", "0.10 USD")?)?;
    /// let snap = v.snapshot();
    /// // Plain data: it serializes, and reads back the same.
    /// let text = serde_json::to_string(&snap)?;
    /// assert_eq!(serde_json::from_str::<onhand_valuation::ValuationSnapshot>(&text)?, snap);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    #[allow(clippy::too_many_lines, reason = "one part of the state after the other")]
    pub fn snapshot(&self) -> ValuationSnapshot {
        let code = |e: u16| self.entities.get(usize::from(e)).map(|x| x.code.clone());
        let mut items = Dict::new(self.catalog.item_count());
        let mut sites = Dict::new(self.catalog.site_count());
        let mut pools = Vec::with_capacity(self.slots.len());
        // The arenas sized up front: most pools hold one receipt, one operation and
        // one checkpoint.
        let mut rcpts = RcptList::default();
        let mut shorts = Vec::new();
        let mut wdrs = Vec::new();
        let mut ops = Vec::with_capacity(self.slots.len());
        let mut extras = Vec::new();
        let mut checkpoints = CheckpointList::default();
        let count = |n: usize| u32::try_from(n).ok();
        for sl in &self.slots {
            let (rbase, pool_rcpts, sbase, pool_shorts) = sl.pool.parts();
            let (wbase, pool_wdrs) = sl.pool.wdr_parts();
            let (pool_ops, pool_extras, pool_checkpoints) = sl.parts();
            let record = (|| {
                Some(PoolRecord {
                    entity: sl.entity,
                    item: items.index(sl.item.index(), || {
                        Some(self.catalog.item(sl.item)?.code.clone())
                    })?,
                    site: match sl.site {
                        Some(s) => Some(
                            sites.index(s.index(), || Some(self.catalog.site(s)?.code.clone()))?,
                        ),
                        None => None,
                    },
                    qty_scale: sl.pool.scales.qty,
                    value_scale: sl.pool.scales.value,
                    last_at: sl.last_at,
                    state: sl.pool.state,
                    rbase,
                    rcpts: count(pool_rcpts.len())?,
                    sbase,
                    shorts: count(pool_shorts.len())?,
                    wbase,
                    wdrs: count(pool_wdrs.len())?,
                    ops: count(pool_ops.len())?,
                    extras: count(pool_extras.len())?,
                    checkpoints: count(pool_checkpoints.len())?,
                    method_changed: sl.method_changed,
                })
            })();
            // A pool whose codes the catalog lost (it cannot) is left out whole.
            let Some(record) = record else { continue };
            pools.push(record);
            pool_rcpts.iter_from(0).for_each(|r| rcpts.push_item(r));
            shorts.extend_from_slice(pool_shorts);
            wdrs.extend_from_slice(pool_wdrs);
            ops.extend_from_slice(pool_ops);
            extras.extend_from_slice(pool_extras);
            pool_checkpoints.iter().for_each(|c| checkpoints.push_item(c));
        }
        let transfers = self
            .transfers
            .iter()
            .filter_map(|t| {
                Some(TransferRecord {
                    number: t.number.clone(),
                    item: self.catalog.item(t.item)?.code.clone(),
                    to: self.catalog.site(t.to)?.code.clone(),
                    seller: code(t.seller)?,
                    buyer: code(t.buyer)?,
                    owner: code(t.owner)?,
                    agreement: t.agreement,
                    shipped: t.shipped,
                    received: t.received,
                    value: t.value,
                    profit: t.profit,
                    price_left: t.price_left,
                    group_cost_left: t.group_cost_left,
                    rate: t.rate,
                    invoices: t.invoices,
                    shipped_at: t.shipped_at,
                    closed: t.closed,
                })
            })
            .collect();
        // Ids by position in the log.
        let mut ids = vec![0u64; self.seen_log.len()];
        for (id, at) in self.seen.sorted_at() {
            if let Some(x) = ids.get_mut(at as usize) {
                *x = id;
            }
        }
        for (id, at) in &self.seen.others {
            if let Some(x) = ids.get_mut(*at as usize) {
                *x = *id;
            }
        }
        let seen = self
            .seen_log
            .iter()
            .zip(ids)
            .map(|(s, id)| SeenRecord { id, fingerprint: s.fingerprint, kind: s.kind, idx: s.idx })
            .collect();
        let content = Content {
            entities: self.entities.iter().map(|x| x.code.clone()).collect(),
            items: items.codes,
            sites: sites.codes,
            pools,
            rcpts,
            shorts,
            wdrs,
            ops,
            extras,
            checkpoints,
            transfers,
            seen,
            receipts: self.receipts.iter().map(|r| (r.slot, r.rcpt, Fig(r.qty))).collect(),
            sales: self.sales.iter().map(|s| (s.slot, Fig(s.qty), Fig(s.value))).collect(),
            sale_profit: self.sale_profit.iter().map(|(&k, &p)| (k, Fig(p))).collect(),
            returned: self.returned.clone(),
            seq: self.seq,
            closed_through: self.closed_through,
            entity_closed: self
                .entity_closed
                .iter()
                .filter_map(|(e, at)| Some((self.entities.get(usize::from(*e))?.code.clone(), *at)))
                .collect(),
            documents: self.documents.clone(),
            receivables: self.receivables.clone(),
            payables: self.payables.clone(),
            period: self
                .period
                .iter()
                .filter_map(|((s, b), p)| Some((code(*s)?, code(*b)?, p.revenue, p.created)))
                .collect(),
            eliminated: self.eliminated.iter().filter_map(|(b, v)| Some((code(*b)?, *v))).collect(),
        };
        let digest = digest_of(&content);
        ValuationSnapshot { format: VALUATION_SNAPSHOT_FORMAT, digest, content }
    }

    /// An engine over `catalog` and `config` in the state `snapshot` holds.
    ///
    /// # Errors
    /// [`ValuationError::SnapshotFormat`] for another format version,
    /// [`ValuationError::SnapshotDigest`] for content that does not match its digest,
    /// [`ValuationError::UnknownItem`], [`ValuationError::UnknownSite`] or
    /// [`ValuationError::UnknownEntity`] for a code the catalog does not have, any error
    /// of [`Valuation::new`] for the configuration, and [`ValuationError::Restore`] for
    /// content the engine cannot rely on (a pool the configuration values otherwise or
    /// in other units, a history that does not lead to its pool, a reference out of
    /// range).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_master::{seed, Catalog, Decimal};
    /// # use onhand_valuation::{CostBody, CostEvent, IssueTo, Valuation, ValuationConfig};
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let at = |h: u64| chrono::DateTime::from_timestamp(1_767_600_000 + 3600 * h as i64, 0).ok_or("time");
    /// # let receipt = |id: u64, qty: &str, cost: &str| -> Result<CostEvent, Box<dyn std::error::Error>> {
    /// #     Ok(CostEvent { id, at: at(id)?, body: CostBody::Receipt {
    /// #         site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: qty.parse()?,
    /// #         unit_cost: cost.parse()?, owner: None } })
    /// # };
    /// # let sale = |id: u64, qty: &str| -> Result<CostEvent, Box<dyn std::error::Error>> {
    /// #     Ok(CostEvent { id, at: at(id)?, body: CostBody::Issue {
    /// #         site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: qty.parse()?,
    /// #         to: IssueTo::Sale, owner: None } })
    /// # };
    /// # let mut v = Valuation::new(catalog.clone(), ValuationConfig::default())?;
    /// # let (na01, bolt) = ("NA01".parse::<onhand_master::EntityCode>()?, "BOLT-M8".parse::<onhand_master::ItemCode>()?);
    /// v.apply(&receipt(1, "100 EA", "0.10 USD")?)?;
    /// let snap = v.snapshot();
    /// let mut back = Valuation::restore(catalog.clone(), ValuationConfig::default(), &snap)?;
    /// // The restored engine continues as the original would.
    /// let a = v.apply(&sale(2, "10 EA")?)?;
    /// let b = back.apply(&sale(2, "10 EA")?)?;
    /// assert_eq!(a.postings(), b.postings());
    /// // A tampered snapshot is refused.
    /// let mut bad = snap.clone();
    /// bad.digest = "0".repeat(64);
    /// assert!(Valuation::restore(catalog, ValuationConfig::default(), &bad).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[allow(clippy::too_many_lines)] // one check per part of the state
    #[allow(clippy::many_single_char_names, reason = "the content, engine, pool and handles")]
    pub fn restore(
        catalog: Arc<Catalog>,
        config: ValuationConfig,
        snapshot: &ValuationSnapshot,
    ) -> Result<Valuation, ValuationError> {
        if snapshot.format != VALUATION_SNAPSHOT_FORMAT {
            return Err(ValuationError::SnapshotFormat {
                found: snapshot.format,
                reads: VALUATION_SNAPSHOT_FORMAT,
            });
        }
        if snapshot.content_digest() != snapshot.digest {
            return Err(ValuationError::SnapshotDigest);
        }
        let c = &snapshot.content;
        let mut v = Valuation::new(catalog, config)?;
        // Transfers first: pools' histories name them.
        for (n, t) in c.transfers.iter().enumerate() {
            let tr = Transfer {
                number: t.number.clone(),
                item: v.item(&t.item)?,
                to: v.site(&t.to)?,
                seller: v.entity(&t.seller)?,
                buyer: v.entity(&t.buyer)?,
                owner: v.entity(&t.owner)?,
                agreement: t.agreement,
                shipped: t.shipped,
                received: t.received,
                value: t.value,
                profit: t.profit,
                price_left: t.price_left,
                group_cost_left: t.group_cost_left,
                rate: t.rate,
                invoices: t.invoices,
                shipped_at: t.shipped_at,
                closed: t.closed,
            };
            let agreement_ok = match tr.agreement {
                Some(a) => v.agreement_ix.get(&(tr.seller, tr.buyer)) == Some(&a),
                None => tr.seller == tr.buyer,
            };
            let owner_ok = tr.owner == tr.seller || tr.owner == tr.buyer;
            let figures_ok = !tr.shipped.is_sign_negative()
                && tr.received >= Decimal::ZERO
                && tr.received <= tr.shipped;
            if !agreement_ok || !owner_ok || !figures_ok {
                return Err(bad("a transfer", n));
            }
            let ix = u32::try_from(n).map_err(|_| bad("the transfer count", n))?;
            if v.transfer_ix.insert(tr.number.clone(), ix).is_some() {
                return Err(bad("a transfer number used twice", n));
            }
            v.count_transit(&tr, true);
            v.transfers.push(tr);
        }
        // Each code once: pools name them by index.
        let entities =
            c.entities.iter().map(|code| v.entity(code)).collect::<Result<Vec<_>, _>>()?;
        let items = c.items.iter().map(|code| v.item(code)).collect::<Result<Vec<_>, _>>()?;
        let sites = c.sites.iter().map(|code| v.site(code)).collect::<Result<Vec<_>, _>>()?;
        // Per item, the scale of its base unit (what a fresh pool would count in),
        // worked out when a pool first names it.
        let mut qty_scales: Vec<Option<u32>> = vec![None; items.len()];
        let mut last_scales: Option<Scales> = None;
        // Sized up front: a million pools would otherwise rehash the index and move
        // the slots some twenty times over.
        v.slots.reserve(c.pools.len());
        v.slot_ix.reserve(c.pools.len());
        let mut at = Cursors::default();
        for (n, p) in c.pools.iter().enumerate() {
            let e =
                *entities.get(usize::from(p.entity)).ok_or_else(|| bad("a pool's entity", n))?;
            let i = *items.get(p.item as usize).ok_or_else(|| bad("a pool's item", n))?;
            let ps = match p.site {
                Some(s) => Some(*sites.get(s as usize).ok_or_else(|| bad("a pool's site", n))?),
                None => None,
            };
            let ent = v.ent(e)?;
            if ps.is_some() != ent.per_site {
                return Err(bad("a pool's site (the configuration's per-site valuation)", n));
            }
            // The units a fresh pool of the configuration would count in (as
            // `fresh_pool` works them out, each item's once), and its method.
            let qty_scale = if let Some(q) = qty_scales.get(p.item as usize).copied().flatten() {
                q
            } else {
                let q = v.qty_scale(i)?;
                if let Some(x) = qty_scales.get_mut(p.item as usize) {
                    *x = Some(q);
                }
                q
            };
            let scales = match last_scales {
                Some(sc) if (sc.qty, sc.value) == (qty_scale, ent.currency.minor_units()) => sc,
                _ => v.scales(e, qty_scale)?,
            };
            last_scales = Some(scales);
            if (scales.qty, scales.value) != (p.qty_scale, p.value_scale) {
                return Err(bad("a pool's costing method or units", n));
            }
            let method = v.method_of(e, i)?;
            let records = || bad("a pool's records", n);
            let pool = Pool::from_parts(
                p.state,
                scales,
                p.rbase,
                c.rcpts.take(&mut at.rcpts, p.rcpts).ok_or_else(records)?,
                p.sbase,
                take(&c.shorts, &mut at.shorts, p.shorts).ok_or_else(records)?.to_vec(),
                p.wbase,
                take(&c.wdrs, &mut at.wdrs, p.wdrs).ok_or_else(records)?.to_vec(),
            )
            .ok_or_else(records)?;
            let slot = Slot::restore(
                e,
                i,
                ps,
                p.last_at,
                pool,
                take(&c.ops, &mut at.ops, p.ops).ok_or_else(records)?.to_vec(),
                take(&c.extras, &mut at.extras, p.extras).ok_or_else(records)?.to_vec(),
                c.checkpoints.take(&mut at.checkpoints, p.checkpoints).ok_or_else(records)?,
            )
            .map_err(|what| bad(what, n))?;
            // A pool under another method than the configuration's: only when its open
            // history holds the change (`CostBody::MethodChange`) that set it, or, after
            // a close forgot that change, when the pool records that one was applied and
            // its history starts from that method.
            let mut slot = slot;
            slot.method_changed |= p.method_changed;
            let from = if p.method_changed { slot.base_method().unwrap_or(method) } else { method };
            if from != slot.pool.state.method && !slot.changes_method() {
                return Err(bad("a pool's costing method or units", n));
            }
            if slot.transfers_named().any(|t| t as usize >= v.transfers.len()) {
                return Err(bad("a transfer a pool's history names", n));
            }
            let ix = u32::try_from(n).map_err(|_| bad("the pool count", n))?;
            if v.slot_ix.insert(pool_key(e, i, ps), ix).is_some() {
                return Err(bad("a pool recorded twice", n));
            }
            v.slots.push(slot);
        }
        // Every record belongs to a pool.
        let all_read = at.rcpts == c.rcpts.len()
            && at.shorts == c.shorts.len()
            && at.wdrs == c.wdrs.len()
            && at.ops == c.ops.len()
            && at.extras == c.extras.len()
            && at.checkpoints == c.checkpoints.len();
        if !all_read {
            return Err(bad("records no pool counts", c.pools.len()));
        }
        for (n, &(slot, rcpt, Fig(qty))) in c.receipts.iter().enumerate() {
            if slot as usize >= v.slots.len() || qty <= Decimal::ZERO {
                return Err(bad("a receipt", n));
            }
            v.receipts.push(ReceiptSeen { slot, rcpt, qty });
        }
        for (n, &(slot, Fig(qty), Fig(value))) in c.sales.iter().enumerate() {
            if slot as usize >= v.slots.len() || qty <= Decimal::ZERO {
                return Err(bad("a sale", n));
            }
            v.sales.push(SaleSeen { slot, qty, value });
        }
        for (n, &(k, Fig(profit))) in c.sale_profit.iter().enumerate() {
            let ascending = v.sale_profit.last_key_value().is_none_or(|(&last, _)| last < k);
            if (k as usize) >= v.sales.len() || profit.is_zero() || !ascending {
                return Err(bad("an issue's intercompany profit", n));
            }
            v.sale_profit.insert(k, profit);
        }
        let mut ids = Ids::default();
        for (n, s) in c.seen.iter().enumerate() {
            let target_ok = match s.kind {
                0 | Seen::REVERSAL => s.idx == 0,
                k if Seen::is_receipt(k) => (s.idx as usize) < v.receipts.len(),
                k if Seen::is_issue(k) => (s.idx as usize) < v.sales.len(),
                _ => false,
            };
            if !target_ok || ids.get(s.id).is_some() {
                return Err(bad("an applied event", n));
            }
            ids.insert(s.id, u32::try_from(n).map_err(|_| bad("the event count", n))?);
            v.seen_log.push(Seen { fingerprint: s.fingerprint, kind: s.kind, idx: s.idx });
        }
        v.seen = ids;
        // What came back: against a sale (customer returns, a reversal), an issue (a
        // reversal) or a receipt (supplier returns, a reversal).
        for (n, (original, (qty, _))) in c.returned.iter().enumerate() {
            let moved = v.seen_of(*original).and_then(|s| {
                if Seen::is_issue(s.kind) {
                    v.sales.get(s.idx as usize).map(|x| x.qty)
                } else if Seen::is_receipt(s.kind) {
                    v.receipts.get(s.idx as usize).map(|x| x.qty)
                } else {
                    None
                }
            });
            if moved.is_none_or(|m| *qty > m) || qty.is_sign_negative() {
                return Err(bad("a return", n));
            }
        }
        v.returned = c.returned.clone();
        v.seq = c.seq;
        v.closed_through = c.closed_through;
        for (n, (e, at)) in c.entity_closed.iter().enumerate() {
            if v.entity_closed.insert(v.entity(e)?, *at).is_some() {
                return Err(bad("an entity close", n));
            }
        }
        v.documents.clone_from(&c.documents);
        v.receivables.clone_from(&c.receivables);
        v.payables.clone_from(&c.payables);
        for (s, b, revenue, created) in &c.period {
            v.period.insert(
                (v.entity(s)?, v.entity(b)?),
                IcPeriod { revenue: *revenue, created: *created },
            );
        }
        for (b, value) in &c.eliminated {
            v.eliminated.insert(v.entity(b)?, *value);
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::pool::Method;

    /// A state: a method's empty one (at a zero cost of scale 0, or of scale 2: not the
    /// empty one), or one holding stock.
    fn state() -> impl Strategy<Value = State> {
        let method =
            prop_oneof![Just(Method::Fifo), Just(Method::MovingAverage), Just(Method::Standard)];
        (method, 0i128..3, prop_oneof![Just(Decimal::ZERO), Just(Decimal::new(0, 2))]).prop_map(
            |(method, qty, cost)| State {
                qty,
                value: qty * 10,
                cost,
                ..State::empty(method, Decimal::ZERO)
            },
        )
    }

    fn rcpt() -> impl Strategy<Value = Rcpt> {
        let rare = prop_oneof![4 => Just(0i128), 1 => -5i128..5];
        (any::<u64>(), 1i128..1 << 100, -(1i128 << 100)..1 << 100, rare.clone(), rare).prop_map(
            |(event, qty, value, profit, landed)| Rcpt { event, qty, value, profit, landed },
        )
    }

    proptest! {
        /// The flat lists a snapshot holds compact read, write, compare and digest as the
        /// plain lists they stand for, and hand out each pool's part as it was.
        #[test]
        fn compact_lists_are_the_lists_they_stand_for(
            checkpoints in proptest::collection::vec((any::<u32>(), state()), 0..12),
            rcpts in proptest::collection::vec(rcpt(), 0..12),
            cut in 0usize..12,
        ) {
            let mut held = CheckpointList::default();
            for (n, s) in &checkpoints {
                held.push_item((*n, *s));
            }
            prop_assert_eq!(held.iter().collect::<Vec<_>>(), checkpoints.clone());
            prop_assert_eq!(serde_json::to_string(&held).unwrap(), serde_json::to_string(&checkpoints).unwrap());
            let back: CheckpointList = serde_json::from_str(&serde_json::to_string(&checkpoints).unwrap()).unwrap();
            prop_assert_eq!(&back, &held);
            let records = RcptList(rcpts.iter().copied().collect());
            prop_assert_eq!(records.iter().collect::<Vec<_>>(), rcpts.clone());
            prop_assert_eq!(serde_json::to_string(&records).unwrap(), serde_json::to_string(&rcpts).unwrap());
            let back: RcptList = serde_json::from_str(&serde_json::to_string(&rcpts).unwrap()).unwrap();
            prop_assert_eq!(&back, &records);
            // Each pool's part: the first `cut`, then the rest, then nothing more.
            let cut = cut.min(rcpts.len());
            let mut at = 0;
            let first = records.take(&mut at, u32::try_from(cut).unwrap()).unwrap();
            prop_assert_eq!(first.iter_from(0).collect::<Vec<_>>(), rcpts[..cut].to_vec());
            let rest = records.take(&mut at, u32::try_from(rcpts.len() - cut).unwrap()).unwrap();
            prop_assert_eq!(rest.iter_from(0).collect::<Vec<_>>(), rcpts[cut..].to_vec());
            prop_assert!(records.take(&mut at, 1).is_none());
            let cut = cut.min(checkpoints.len());
            let mut at = 0;
            prop_assert_eq!(held.take(&mut at, u32::try_from(cut).unwrap()).unwrap(), checkpoints[..cut].to_vec());
            prop_assert_eq!(held.take(&mut at, u32::try_from(checkpoints.len() - cut).unwrap()).unwrap(), checkpoints[cut..].to_vec());
            prop_assert!(held.take(&mut at, 1).is_none());
        }
    }

    #[derive(Debug, Deserialize)]
    struct Consolidation {
        #[serde(deserialize_with = "plain_returned")]
        returned: BTreeMap<u64, (Decimal, Decimal)>,
        #[serde(deserialize_with = "plain_period")]
        period: Vec<(EntityCode, EntityCode, Decimal, Decimal)>,
        #[serde(deserialize_with = "plain_eliminated")]
        eliminated: Vec<(EntityCode, Decimal)>,
    }

    #[test]
    fn returns_and_consolidation_figures_read_through_the_plain_rule() {
        let read = |s: &str| serde_json::from_str::<Consolidation>(s);
        let c = read(
            r#"{"returned": {"7": ["1", "2.50"]}, "period": [["E1", "E2", "10", "2"]],
                "eliminated": [["E2", "0.5"]]}"#,
        )
        .unwrap();
        assert_eq!(c.returned[&7], (Decimal::ONE, Decimal::new(250, 2)));
        assert_eq!(c.period[0].3, Decimal::TWO);
        assert_eq!(c.eliminated[0].1, Decimal::new(5, 1));
        let hostile = format!("2{}", "_".repeat(1_000_000));
        for bad in [
            format!(
                r#"{{"returned": {{"7": ["1", "{hostile}"]}}, "period": [], "eliminated": []}}"#
            ),
            format!(
                r#"{{"returned": {{}}, "period": [["E1", "E2", "{hostile}", "2"]], "eliminated": []}}"#
            ),
            format!(r#"{{"returned": {{}}, "period": [], "eliminated": [["E2", "{hostile}"]]}}"#),
            r#"{"returned": {}, "period": [], "eliminated": [["E2", "1e2"]]}"#.to_owned(),
        ] {
            assert!(read(&bad).is_err(), "{}", bad.get(..60).unwrap_or_default());
        }
    }
}
