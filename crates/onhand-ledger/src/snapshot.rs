//! Snapshots and replay: the ledger's state serialized with a format version and a
//! digest, restored to an identical state (same digest); and the state rebuilt by folding
//! the journal, from empty or from a snapshot plus the entries after it.
//!
//! Internally the state uses dense catalog handles. A snapshot carries the dictionary of
//! the codes behind them, so it restores against a catalog whose records were added to or
//! reordered since; a code the catalog no longer has is an error.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use onhand_master::canonical::{Compact, EncodeError, stream_compact_as};
use onhand_master::hash::{Map, Set, map, set};
use onhand_master::{
    BinCode, BinIx, Catalog, EntityCode, EntityIx, ItemCode, ItemIx, SerialNo, SiteCode, SiteIx,
    Tracking,
};
use onhand_status::StockStatus;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use crate::error::LedgerError;
use crate::event::{DocumentRef, EventId, EventKind};
use crate::history::DocTotals;
use crate::journal::{Digest, JournalEntry};
use crate::ledger::{Applied, Ledger, PendingEvent};
use crate::lot::{LotInfo, Lots};
use crate::position::{Hist, PositionKey, Positions};
use crate::reversal::Posted;
use crate::rules::Rules;
use crate::transfer::{TransferOrder, Transfers, TransitKey};

/// The snapshot format this version writes and reads.
///
/// Format 3 hashes the snapshot (and [`Ledger::state_digest`] the state) in the
/// canonical binary form ([`onhand_master::canonical`]) where format 2 hashed compact
/// JSON: the content is the same, but a format-2 digest does not verify under format 3,
/// so restore refuses a format-2 snapshot with [`LedgerError::SnapshotFormat`] and the
/// host rebuilds the state from its journal ([`Ledger::replay`]).
///
/// Format 2 keeps, per event id seen, the SHA-256 digest of the event's content
/// ([`Event::content_digest`](crate::Event::content_digest)) where format 1 kept a
/// 64-bit fingerprint that could be forged. A format-1 snapshot cannot be migrated (the
/// events behind its fingerprints are not in it): restore refuses it with
/// [`LedgerError::SnapshotFormat`], and the host rebuilds the state from its journal
/// ([`Ledger::replay`]) and takes a new snapshot.
///
/// Format 3 also keeps those digests over a hand-written canonical encoding of the
/// event (version 1; see [`Event::content_digest`](crate::Event::content_digest)) where
/// format 2 hashed an encoding driven by the fields' `Hash` implementations, which a
/// dependency upgrade could change, and it records per-entity period closes. A format-2
/// snapshot's digests cannot be recomputed without its events either: restore refuses
/// it the same way.
///
/// Format 4 hashes the snapshot and the state in the compact canonical form
/// ([`onhand_master::canonical::stream_compact`]: integers, lengths and variant indices
/// as variable-length numbers), which is several times smaller for a large state and
/// so hashes faster. The content and its JSON are format 3's, but a format-3 digest
/// does not verify under format 4: restore refuses a format-3 snapshot with
/// [`LedgerError::SnapshotFormat`], and the host replays its journal as above.
pub const SNAPSHOT_FORMAT: u32 = 4;

/// The codes behind the handles a snapshot's state uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dictionary {
    /// Item codes, by handle.
    pub items: Vec<ItemCode>,
    /// Site codes, by handle.
    pub sites: Vec<SiteCode>,
    /// Entity codes, by handle.
    pub entities: Vec<EntityCode>,
    /// Bins (site and bin code), by handle.
    pub bins: Vec<(SiteCode, BinCode)>,
}

/// One position in a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionRecord {
    /// The position.
    pub key: PositionKey,
    /// Balance at the last close.
    #[serde(with = "crate::figure")]
    pub base: Decimal,
    /// Current balance.
    #[serde(with = "crate::figure")]
    pub qty: Decimal,
    /// Open-period history (inline when one change: most positions have one, and a
    /// million-position snapshot then makes no allocation per position).
    hist: SmallVec<[Hist; 1]>,
    /// Latest count time (microseconds since the epoch).
    pub counted_at: Option<i64>,
}

/// The ledger's whole state, in deterministic order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Positions in key order.
    pub positions: Vec<PositionRecord>,
    /// Lots in handle order.
    pub lots: Vec<LotInfo>,
    /// Serials: item, serial, where it is; sorted.
    pub serials: Vec<(ItemIx, SerialNo, PositionKey)>,
    /// Transfer orders by number.
    pub transfers: Vec<TransferOrder>,
    /// Pending events by id.
    pub pending: Vec<(EventId, PendingEvent)>,
    /// Event ids seen, with the digests of their content; sorted.
    pub seen: Vec<(EventId, Digest)>,
    /// The close time of the last closed period.
    pub closed_through: Option<DateTime<Utc>>,
    /// Legal entities whose own period is closed, with the close time; sorted by code.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entity_closed: Vec<(onhand_master::EntityCode, DateTime<Utc>)>,
    /// The latest recorded time of the events applied (no close may pass it).
    pub recorded_through: Option<DateTime<Utc>>,
    /// State-changing events applied.
    pub seq: u64,
    /// What the applied events of document-limited kinds measured, per kind and
    /// document, in effective-time order (empty unless a threshold has a
    /// [`DocumentLimit`](crate::DocumentLimit)).
    pub documents: Vec<(EventKind, DocumentRef, Vec<DocumentEntry>)>,
    /// What each applied receipt, pick, shipment, scrap, adjustment, reversal and
    /// return to supplier did, by event id; sorted (see [`Posted`]). Kept so a restored
    /// ledger reverses, and refuses a second reversal, as the live one does; a snapshot
    /// written before reversals existed has none, and the events before it cannot be
    /// reversed or returned against.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub posted: Vec<(EventId, Posted)>,
}

/// What one applied event of a document-limited kind measured (see
/// [`DocumentLimit`](crate::DocumentLimit)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentEntry {
    /// Its effective time (microseconds since the epoch).
    pub at: i64,
    /// The base units its lines moved together.
    #[serde(with = "crate::figure")]
    pub qty: Decimal,
    /// What it was worth at reference cost.
    #[serde(with = "crate::figure")]
    pub value: Decimal,
}

/// A position in the journal: the last entry included and its digest. It marks where
/// a snapshot was taken, and serves as a checkpoint a host anchors outside and verifies
/// from ([`verify_from`](crate::verify_from)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalMark {
    /// The last entry included.
    pub seq: u64,
    /// Its digest.
    pub digest: Digest,
}

impl JournalMark {
    /// Before the first entry: seq 0, digest all zeros.
    pub const GENESIS: JournalMark = JournalMark { seq: 0, digest: Digest::ZERO };
}

/// A serialized ledger state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The format version ([`SNAPSHOT_FORMAT`]).
    pub format: u32,
    /// The codes behind the handles.
    pub dictionary: Dictionary,
    /// The state.
    pub state: State,
    /// The journal position the state corresponds to, if the host keeps a journal: its
    /// seq is the state's (every state-changing event is one entry).
    pub journal: Option<JournalMark>,
    /// SHA-256 over the canonical binary form ([`onhand_master::canonical`]) of the
    /// dictionary, the state and the journal mark.
    pub digest: Digest,
}

/// Just the format field of a serialized snapshot, read before the rest.
#[derive(Deserialize)]
struct FormatOnly {
    format: u32,
}

impl Snapshot {
    /// Reads a snapshot from its JSON, checking its format version before the rest, so
    /// a snapshot of another format is refused as such rather than as malformed JSON.
    ///
    /// ```
    /// use onhand_ledger::{LedgerError, Snapshot, SNAPSHOT_FORMAT};
    /// let old = br#"{"format": 1, "dictionary": {}, "state": {}, "journal": null, "digest": ""}"#;
    /// assert_eq!(Snapshot::from_json(old), Err(LedgerError::SnapshotFormat { found: 1, reads: SNAPSHOT_FORMAT }));
    /// ```
    ///
    /// # Errors
    /// [`LedgerError::SnapshotFormat`] for another format version,
    /// [`LedgerError::Restore`] for JSON that is not a snapshot.
    pub fn from_json(bytes: &[u8]) -> Result<Snapshot, LedgerError> {
        let head: FormatOnly = serde_json::from_slice(bytes)
            .map_err(|e| LedgerError::Restore { what: format!("reading a snapshot: {e}") })?;
        if head.format != SNAPSHOT_FORMAT {
            return Err(LedgerError::SnapshotFormat { found: head.format, reads: SNAPSHOT_FORMAT });
        }
        serde_json::from_slice(bytes)
            .map_err(|e| LedgerError::Restore { what: format!("reading a snapshot: {e}") })
    }

    /// The digest of the content as it is now: what [`digest`](Self::digest) holds
    /// unless the snapshot changed after it was taken. A host checks a stored snapshot
    /// with it without restoring it.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_ledger::{Ledger, Rules, testing};
    /// # use onhand_master::{seed, Catalog, CurrencyCode};
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// let mut ledger = Ledger::new(catalog, rules)?;
    /// ledger.apply(&testing::receipt(1, "ATL", "BOLT-M8", "5 EA", "RCV-01")?)?;
    /// let mut snapshot = ledger.snapshot(None)?;
    /// assert_eq!(snapshot.content_digest()?, snapshot.digest);
    /// snapshot.state.seq += 1;
    /// assert_ne!(snapshot.content_digest()?, snapshot.digest);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`LedgerError::Restore`] if the content cannot be encoded (it always can).
    pub fn content_digest(&self) -> Result<Digest, LedgerError> {
        snapshot_digest(&self.dictionary, &self.state, self.journal.as_ref())
    }
}

fn dictionary(catalog: &Catalog) -> Dictionary {
    Dictionary {
        items: catalog.items().map(|(_, i)| i.code.clone()).collect(),
        sites: catalog.sites().map(|(_, s)| s.code.clone()).collect(),
        entities: catalog.data().entities.iter().map(|e| e.code.clone()).collect(),
        bins: (0..catalog.bin_count())
            .filter_map(|i| {
                let b = catalog.bin(BinIx::new(u32::try_from(i).ok()?))?;
                Some((catalog.site(b.site)?.code.clone(), b.code.clone()))
            })
            .collect(),
    }
}

/// SHA-256 over `value`'s compact canonical form as `write` spells it out, streamed
/// into the hash (a large state is never held twice; see [`stream_compact_as`]).
fn sha256_as<T: Serialize + ?Sized>(
    value: &T,
    write: impl FnOnce(&mut Compact<'_>) -> Result<(), EncodeError>,
) -> Result<Digest, LedgerError> {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    stream_compact_as(value, |chunk| h.update(chunk), write)
        .map_err(|e| LedgerError::Restore { what: format!("encoding state: {e}") })?;
    Ok(Digest(h.finalize().into()))
}

fn digest_of(dictionary: &Dictionary, state: &State) -> Result<Digest, LedgerError> {
    sha256_as(&(dictionary, state), |w| {
        w.value(dictionary)?;
        state.write(w)
    })
}

/// A snapshot's digest: over the dictionary, the state and the journal mark, so the mark
/// cannot be moved without the digest noticing.
fn snapshot_digest(
    dictionary: &Dictionary,
    state: &State,
    journal: Option<&JournalMark>,
) -> Result<Digest, LedgerError> {
    sha256_as(&(dictionary, state, journal), |w| {
        w.value(dictionary)?;
        state.write(w)?;
        w.value(&journal)
    })
}

// The compact canonical form of the state, the positions and the posted events' changes
// by hand: the bytes the derived `Serialize` writes (held to them in debug builds by
// `stream_compact_as`), without the serde walk's generic steps over a million
// positions.

/// A figure as `crate::figure` writes it for a digest: scale and sign, then magnitude.
fn write_figure(w: &mut Compact<'_>, value: &Decimal) {
    w.u64(u64::from(value.scale() << 1 | u32::from(value.is_sign_negative())));
    w.u128(value.mantissa().unsigned_abs());
}

/// An optional unsigned number, as serde writes `Option<u32>` and the like.
fn write_option(w: &mut Compact<'_>, value: Option<u64>) {
    match value {
        None => w.skipped(),
        Some(v) => {
            w.field();
            w.u64(v);
        }
    }
}

impl PositionKey {
    fn write(&self, w: &mut Compact<'_>) {
        w.field();
        w.u64(u64::from(self.item.raw()));
        w.field();
        w.u64(u64::from(self.site.raw()));
        w.field();
        w.u64(self.status as u64);
        w.field();
        w.u64(u64::from(self.owner.raw()));
        w.field();
        write_option(w, self.bin.map(|b| u64::from(b.raw())));
        w.field();
        write_option(w, self.lot.map(|l| u64::from(l.0)));
    }
}

impl PositionRecord {
    fn write(&self, w: &mut Compact<'_>) {
        w.field();
        self.key.write(w);
        w.field();
        write_figure(w, &self.base);
        w.field();
        write_figure(w, &self.qty);
        w.field();
        w.len(self.hist.len());
        for h in &self.hist {
            w.field();
            w.i64(h.at);
            w.field();
            write_figure(w, &h.change);
        }
        w.field();
        match self.counted_at {
            None => w.skipped(),
            Some(at) => {
                w.field();
                w.i64(at);
            }
        }
    }
}

impl Posted {
    fn write(&self, w: &mut Compact<'_>) -> Result<(), EncodeError> {
        w.field();
        w.u64(self.kind as u64);
        w.field();
        w.u64(u64::from(self.site.raw()));
        w.field();
        w.i64(self.at);
        if self.changes.is_empty() {
            w.skipped();
        } else {
            w.field();
            w.len(self.changes.len());
            for c in &self.changes {
                w.field();
                c.key.write(w);
                w.field();
                write_figure(w, &c.change);
            }
        }
        w.field_unless(self.serials.is_empty(), &self.serials)?;
        if self.received.is_empty() {
            w.skipped();
        } else {
            w.field();
            w.len(self.received.len());
            for r in &self.received {
                w.field();
                w.u64(u64::from(r.item.raw()));
                w.field();
                write_figure(w, &r.qty);
                w.field();
                write_figure(w, &r.returned);
            }
        }
        w.field_unless(self.reversed_by.is_none(), &self.reversed_by)?;
        Ok(())
    }
}

impl State {
    fn write(&self, w: &mut Compact<'_>) -> Result<(), EncodeError> {
        w.field();
        w.len(self.positions.len());
        for p in &self.positions {
            p.write(w);
        }
        w.field();
        w.value(&self.lots)?;
        w.field();
        w.value(&self.serials)?;
        w.field();
        w.value(&self.transfers)?;
        w.field();
        w.value(&self.pending)?;
        w.field();
        w.value(&self.seen)?;
        w.field();
        w.value(&self.closed_through)?;
        w.field_unless(self.entity_closed.is_empty(), &self.entity_closed)?;
        w.field();
        w.value(&self.recorded_through)?;
        w.field();
        w.u64(self.seq);
        w.field();
        w.value(&self.documents)?;
        if self.posted.is_empty() {
            w.skipped();
        } else {
            w.field();
            w.len(self.posted.len());
            for (id, posted) in &self.posted {
                w.value(id)?;
                posted.write(w)?;
            }
        }
        Ok(())
    }
}

/// Entities' own closes by handle, from their codes.
fn restore_entity_closed(
    catalog: &Catalog,
    closed: &[(onhand_master::EntityCode, DateTime<Utc>)],
) -> Result<std::collections::BTreeMap<onhand_master::EntityIx, DateTime<Utc>>, LedgerError> {
    closed
        .iter()
        .map(|(code, through)| {
            let entity = catalog
                .entity_ix(code)
                .ok_or_else(|| LedgerError::UnknownEntity { entity: code.clone() })?;
            Ok((entity, *through))
        })
        .collect()
}

impl Ledger {
    /// The whole state in deterministic order.
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
    /// let empty = ledger.state();
    /// ledger.apply(&testing::receipt_to(1, "ATL", "BOLT-M8", "30 EA", "RCV-01", "available")?)?;
    /// assert!(ledger.state() != empty);
    /// assert_eq!(Ledger::new(catalog.clone(), rules.clone())?.state(), empty);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn state(&self) -> State {
        let mut serials: Vec<(ItemIx, SerialNo, PositionKey)> = self
            .serials
            .iter()
            .flat_map(|(item, m)| m.iter().map(move |(s, k)| (*item, s.clone(), *k)))
            .collect();
        serials.sort();
        let mut seen: Vec<(EventId, Digest)> = self.seen.iter().map(|(k, v)| (*k, *v)).collect();
        seen.sort_unstable();
        // The count is known: one allocation, rather than doubling through a million.
        let mut positions = Vec::with_capacity(self.positions.len());
        positions.extend(self.positions.all().map(|(key, s)| PositionRecord {
            key,
            base: s.base(),
            qty: s.qty,
            hist: s.hist.iter().collect(),
            counted_at: s.counted_at(),
        }));
        State {
            positions,
            lots: self.lots.all().to_vec(),
            serials,
            transfers: self.transfers().cloned().collect(),
            pending: self.pending.iter().map(|(k, v)| (*k, v.clone())).collect(),
            seen,
            closed_through: self.closed_through,
            entity_closed: {
                let mut closed: Vec<(onhand_master::EntityCode, DateTime<Utc>)> = self
                    .entity_closed
                    .iter()
                    .filter_map(|(e, t)| Some((self.catalog.entity(*e)?.code.clone(), *t)))
                    .collect();
                closed.sort();
                closed
            },
            recorded_through: self.recorded_through,
            seq: self.seq,
            documents: self
                .documents
                .iter()
                .map(|((kind, doc), totals)| (*kind, doc.clone(), totals.entries()))
                .collect(),
            posted: {
                let mut posted: Vec<(EventId, Posted)> =
                    self.posted.iter().map(|(id, p)| (*id, p.clone())).collect();
                posted.sort_unstable_by_key(|(id, _)| *id);
                posted
            },
        }
    }

    /// A digest of the whole state: equal digests mean equal states.
    ///
    /// # Errors
    /// [`LedgerError::Restore`] if the state cannot be encoded (it always can).
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
    /// let before = ledger.state_digest()?;
    /// ledger.apply(&testing::receipt_to(1, "ATL", "BOLT-M8", "30 EA", "RCV-01", "available")?)?;
    /// assert_ne!(ledger.state_digest()?, before);
    /// assert_eq!(Ledger::new(catalog.clone(), rules.clone())?.state_digest()?, before);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn state_digest(&self) -> Result<Digest, LedgerError> {
        digest_of(&dictionary(&self.catalog), &self.state())
    }

    /// A snapshot of the state, marked with the journal position it corresponds to.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use onhand_ledger::{Ledger, Rules, testing};
    /// use onhand_master::{seed, Catalog, CurrencyCode};
    ///
    /// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// let mut ledger = Ledger::new(catalog.clone(), rules.clone())?;
    /// ledger.apply(&testing::receipt(1, "ATL", "BOLT-M8", "5 EA", "RCV-01")?)?;
    /// let snapshot = ledger.snapshot(None)?;
    /// let restored = Ledger::restore(catalog, rules, &snapshot)?;
    /// assert!(restored.state() == ledger.state());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`LedgerError::MarkMismatch`] when the mark's seq is not the state's
    /// ([`seq`](Self::seq)); otherwise as [`state_digest`](Self::state_digest).
    pub fn snapshot(&self, journal: Option<JournalMark>) -> Result<Snapshot, LedgerError> {
        if let Some(mark) = journal
            && mark.seq != self.seq
        {
            return Err(LedgerError::MarkMismatch { mark: mark.seq, state: self.seq });
        }
        let dictionary = dictionary(&self.catalog);
        let state = self.state();
        let digest = snapshot_digest(&dictionary, &state, journal.as_ref())?;
        Ok(Snapshot { format: SNAPSHOT_FORMAT, dictionary, state, journal, digest })
    }

    /// Restores a snapshot against `catalog` and `rules`.
    ///
    /// # Errors
    /// [`LedgerError::SnapshotFormat`] for another format version (see
    /// [`SNAPSHOT_FORMAT`]); [`LedgerError::SnapshotDigest`] for a digest that does not
    /// match the content; [`LedgerError::Restore`] for a code the catalog no longer has;
    /// [`LedgerError::InvalidRules`].
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
    /// ledger.apply(&testing::receipt_to(1, "ATL", "BOLT-M8", "30 EA", "RCV-01", "available")?)?;
    /// let snap = ledger.snapshot(None)?;
    /// let back = Ledger::restore(catalog.clone(), rules.clone(), &snap)?;
    /// assert!(back.state() == ledger.state());
    /// assert_eq!(back.seq(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn restore(
        catalog: Arc<Catalog>,
        rules: Rules,
        snapshot: &Snapshot,
    ) -> Result<Ledger, LedgerError> {
        if snapshot.format != SNAPSHOT_FORMAT {
            return Err(LedgerError::SnapshotFormat {
                found: snapshot.format,
                reads: SNAPSHOT_FORMAT,
            });
        }
        if snapshot.content_digest()? != snapshot.digest {
            return Err(LedgerError::SnapshotDigest);
        }
        if let Some(mark) = snapshot.journal
            && mark.seq != snapshot.state.seq
        {
            return Err(LedgerError::MarkMismatch { mark: mark.seq, state: snapshot.state.seq });
        }
        let remap = Remap::new(&catalog, &snapshot.dictionary)?;
        let mut ledger = Ledger::new(catalog, rules)?;
        let st = &snapshot.state;
        let mut lots = Lots::default();
        for lot in &st.lots {
            let mut lot = lot.clone();
            lot.item = remap.item(lot.item)?;
            if ledger.catalog.item(lot.item).is_none_or(|i| i.tracking != Tracking::Lot)
                || lots.find(lot.item, &lot.code).is_some()
            {
                return Err(LedgerError::InvalidSnapshot {
                    part: "lots",
                    why: format!("lot {} is repeated or of an item without lots", lot.code),
                });
            }
            lots.insert(lot).ok_or_else(|| LedgerError::Restore { what: "lot table".into() })?;
        }
        let mut positions = Positions::with_items(ledger.catalog.item_count());
        let mut last_key: Option<PositionKey> = None;
        for p in &st.positions {
            if last_key.is_some_and(|k| k >= p.key) {
                return Err(LedgerError::InvalidSnapshot {
                    part: "positions",
                    why: format!("position {:?} is repeated or out of key order", p.key),
                });
            }
            last_key = Some(p.key);
            let key = remap.key(&p.key)?;
            check_key(&ledger.catalog, &lots, &key, "positions")?;
            // A balance is its base plus its history, in effective-time order: the
            // ledger reads figures as of a time back from the balance and relies on it.
            let summed = p.hist.iter().try_fold(p.base, |acc, h| acc.checked_add(h.change));
            if summed != Some(p.qty) || !p.hist.is_sorted_by_key(|h| h.at) {
                return Err(LedgerError::Restore {
                    what: format!("position {:?}: balance is not its base plus its history", p.key),
                });
            }
            // Times are microseconds of a representable instant: `i64::MIN` (the slot's
            // "never counted") and its neighbours are not, and would read back as another
            // state.
            let bad_time = |t: i64| DateTime::from_timestamp_micros(t).is_none();
            if p.counted_at.is_some_and(bad_time) || p.hist.iter().any(|h| bad_time(h.at)) {
                return Err(LedgerError::InvalidSnapshot {
                    part: "positions",
                    why: format!("position {:?} holds a time that is not one", p.key),
                });
            }
            positions.restore(&key, p.qty, p.hist.iter().copied().collect(), p.counted_at);
        }
        let serials = restore_serials(&ledger.catalog, &lots, &remap, &st.serials)?;
        let mut transfers = Transfers::default();
        for order in &st.transfers {
            let mut o = order.clone();
            o.from = remap.site(o.from)?;
            o.to = remap.site(o.to)?;
            for line in &mut o.lines {
                line.item = remap.item(line.item)?;
                let mut moved = BTreeMap::new();
                for (tk, q) in &line.in_transit {
                    let lot_ok = tk
                        .lot
                        .is_none_or(|l| lots.get(l).is_some_and(|info| info.item == line.item));
                    if !lot_ok || q.0.is_sign_negative() {
                        return Err(LedgerError::InvalidSnapshot {
                            part: "transfers",
                            why: format!("order {} holds a lot handle it cannot", o.number),
                        });
                    }
                    moved.insert(TransitKey { lot: tk.lot, owner: remap.entity(tk.owner)? }, *q);
                }
                line.in_transit = moved;
            }
            transfers.insert(o);
        }
        ledger.positions = positions;
        ledger.lots = lots;
        ledger.serials_at = serials_by_position(&serials);
        ledger.serials = serials;
        ledger.transfers = transfers;
        ledger.pending = st.pending.iter().cloned().collect();
        ledger.seen = st.seen.iter().copied().collect();
        ledger.closed_through = st.closed_through;
        ledger.entity_closed = restore_entity_closed(&ledger.catalog, &st.entity_closed)?;
        ledger.recorded_through = st.recorded_through;
        ledger.seq = st.seq;
        ledger.documents = restore_documents(&st.documents)?;
        ledger.posted = restore_posted(&ledger.lots, &remap, &st.posted)?;
        Ok(ledger)
    }

    /// Rebuilds the state by applying journal entries to an empty ledger.
    ///
    /// # Errors
    /// As [`replay_onto`](Self::replay_onto).
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
    /// let mut journal = onhand_ledger::Journal::new();
    /// for (id, qty) in [(1, "30 EA"), (2, "5 EA")] {
    ///     let e = testing::receipt_to(id, "ATL", "BOLT-M8", qty, "RCV-01", "available")?;
    ///     ledger.apply(&e)?;
    ///     journal.append(e)?;
    /// }
    /// let replayed = Ledger::replay(catalog.clone(), rules.clone(), journal.entries())?;
    /// assert!(replayed.state() == ledger.state());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn replay<'a>(
        catalog: Arc<Catalog>,
        rules: Rules,
        entries: impl IntoIterator<Item = &'a JournalEntry>,
    ) -> Result<Ledger, LedgerError> {
        let mut ledger = Ledger::new(catalog, rules)?;
        ledger.replay_onto(entries, None)?;
        Ok(ledger)
    }

    /// Applies journal entries on top of this state (a restored snapshot, say),
    /// checking each entry's digest and its link to the one before, starting from
    /// `after` (the snapshot's journal mark) or, without one, from the genesis. The mark
    /// must be this state's position ([`seq`](Self::seq)): entries are never skipped.
    ///
    /// # Errors
    /// [`LedgerError::MarkMismatch`] when the start is not this state's position;
    /// [`LedgerError::JournalGap`], [`LedgerError::JournalRepeat`] or
    /// [`LedgerError::JournalBroken`] for a chain that does not fit (as
    /// [`verify_from`](crate::verify_from)); [`LedgerError::Restore`] when an entry is
    /// rejected or found to be a duplicate on replay (the journal and the state do not
    /// belong together). Entries before the one at fault stay applied.
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
    /// let mut journal = onhand_ledger::Journal::new();
    /// journal.append(testing::receipt_to(1, "ATL", "BOLT-M8", "30 EA", "RCV-01", "available")?)?;
    /// ledger.replay_onto(journal.entries(), None)?;
    /// let mark = journal.mark();
    /// journal.append(testing::receipt_to(2, "ATL", "BOLT-M8", "5 EA", "RCV-01", "available")?)?;
    /// // The entries after the mark, checked to continue from it.
    /// ledger.replay_onto(&journal.entries()[1..], Some(mark))?;
    /// assert_eq!(ledger.measure(item, site, Measure::OnHand), n("35")?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn replay_onto<'a>(
        &mut self,
        entries: impl IntoIterator<Item = &'a JournalEntry>,
        after: Option<JournalMark>,
    ) -> Result<(), LedgerError> {
        let mut prev = after.unwrap_or(JournalMark::GENESIS);
        if prev.seq != self.seq {
            return Err(LedgerError::MarkMismatch { mark: prev.seq, state: self.seq });
        }
        for e in entries {
            crate::journal::verify_from(prev, std::slice::from_ref(e), None)?;
            match self.apply(&e.event) {
                Ok(Applied::Duplicate) => {
                    return Err(LedgerError::Restore {
                        what: format!("journal entry {} was already applied", e.seq),
                    });
                }
                Ok(_) => {}
                Err(err) => {
                    return Err(LedgerError::Restore {
                        what: format!("journal entry {} was rejected on replay: {err}", e.seq),
                    });
                }
            }
            prev = JournalMark { seq: e.seq, digest: e.digest };
        }
        Ok(())
    }
}

/// The serials of a snapshot, remapped and checked: each of a serial-tracked item, at a
/// position of that item whose handles hold, and listed once.
fn restore_serials(
    catalog: &Catalog,
    lots: &Lots,
    remap: &Remap,
    listed: &[(ItemIx, SerialNo, PositionKey)],
) -> Result<Map<ItemIx, Map<SerialNo, PositionKey>>, LedgerError> {
    let mut serials: Map<ItemIx, Map<SerialNo, PositionKey>> = map();
    for (item, serial, key) in listed {
        let item = remap.item(*item)?;
        let key = remap.key(key)?;
        check_key(catalog, lots, &key, "serials")?;
        let serial_tracked = catalog.item(item).is_some_and(|i| i.tracking == Tracking::Serial);
        if key.item != item || !serial_tracked {
            return Err(LedgerError::InvalidSnapshot {
                part: "serials",
                why: format!("serial {serial} is not of the item at its position"),
            });
        }
        if serials.entry(item).or_insert_with(map).insert(serial.clone(), key).is_some() {
            return Err(LedgerError::InvalidSnapshot {
                part: "serials",
                why: format!("serial {serial} is listed twice"),
            });
        }
    }
    Ok(serials)
}

/// The serials at each position, from where each serial is.
fn serials_by_position(
    serials: &Map<ItemIx, Map<SerialNo, PositionKey>>,
) -> Map<PositionKey, Set<SerialNo>> {
    let mut at: Map<PositionKey, Set<SerialNo>> = map();
    for (serial, key) in serials.values().flat_map(|m| m.iter()) {
        at.entry(*key).or_insert_with(set).insert(serial.clone());
    }
    at
}

/// The document totals of a snapshot, checked: each list non-empty, in time order,
/// of times that are times and figures not below zero, and no document listed twice.
/// The posted-event records of a snapshot, their handles mapped to the catalog's.
fn restore_posted(
    lots: &Lots,
    remap: &Remap,
    posted: &[(EventId, Posted)],
) -> Result<crate::chunked::ChunkedMap<EventId, Posted>, LedgerError> {
    let bad = |id: &EventId, why: &str| LedgerError::InvalidSnapshot {
        part: "posted",
        why: format!("event {id}: {why}"),
    };
    let key = |id: &EventId, k: &PositionKey| -> Result<PositionKey, LedgerError> {
        let k = remap.key(k)?;
        if k.lot.is_some_and(|l| lots.get(l).is_none_or(|info| info.item != k.item)) {
            return Err(bad(id, "a lot handle of another item"));
        }
        Ok(k)
    };
    let mut out = crate::chunked::ChunkedMap::default();
    out.reserve(posted.len());
    for (id, p) in posted {
        let mut p = p.clone();
        p.site = remap.site(p.site)?;
        for c in &mut p.changes {
            c.key = key(id, &c.key)?;
        }
        for s in &mut p.serials {
            s.item = remap.item(s.item)?;
            s.from = s.from.map(|k| key(id, &k)).transpose()?;
            s.to = s.to.map(|k| key(id, &k)).transpose()?;
        }
        for r in &mut p.received {
            r.item = remap.item(r.item)?;
        }
        if DateTime::from_timestamp_micros(p.at).is_none() {
            return Err(bad(id, "a time that is not one"));
        }
        if out.insert(*id, p) {
            return Err(bad(id, "twice"));
        }
    }
    Ok(out)
}

fn restore_documents(
    documents: &[(EventKind, DocumentRef, Vec<DocumentEntry>)],
) -> Result<BTreeMap<(EventKind, DocumentRef), DocTotals>, LedgerError> {
    let mut out = BTreeMap::new();
    for (kind, doc, entries) in documents {
        let ordered = entries.is_sorted_by_key(|e| e.at);
        let valid = entries.iter().all(|e| {
            DateTime::from_timestamp_micros(e.at).is_some()
                && !e.qty.is_sign_negative()
                && !e.value.is_sign_negative()
        });
        if entries.is_empty() || !ordered || !valid {
            return Err(LedgerError::InvalidSnapshot {
                part: "documents",
                why: format!("the totals of {kind} {} are not in order or not figures", doc.number),
            });
        }
        if out.insert((*kind, doc.clone()), entries.iter().copied().collect()).is_some() {
            return Err(LedgerError::InvalidSnapshot {
                part: "documents",
                why: format!("{kind} {} is listed twice", doc.number),
            });
        }
    }
    Ok(out)
}

/// Checks the handles of a (remapped) position key against the catalog and the lot
/// table: a lot the table has, of the key's item, on an item with lots; a bin of the
/// key's site; no bin in transit.
fn check_key(
    catalog: &Catalog,
    lots: &Lots,
    key: &PositionKey,
    part: &'static str,
) -> Result<(), LedgerError> {
    let tracking = catalog.item(key.item).map(|i| i.tracking);
    let lot_ok = match key.lot {
        Some(l) => {
            tracking == Some(Tracking::Lot) && lots.get(l).is_some_and(|i| i.item == key.item)
        }
        None => tracking != Some(Tracking::Lot),
    };
    let bin_ok = match key.bin {
        Some(b) => {
            key.status != StockStatus::InTransit
                && catalog.bin(b).is_some_and(|bin| bin.site == key.site)
        }
        None => true,
    };
    if lot_ok && bin_ok {
        Ok(())
    } else {
        Err(LedgerError::InvalidSnapshot {
            part,
            why: format!("position {key:?} holds a lot or bin handle it cannot"),
        })
    }
}

/// Maps a snapshot's handles to a catalog's.
struct Remap {
    items: Vec<ItemIx>,
    sites: Vec<SiteIx>,
    entities: Vec<EntityIx>,
    bins: Vec<BinIx>,
}

fn missing(kind: &str, code: &impl std::fmt::Display) -> LedgerError {
    LedgerError::Restore {
        what: format!("the catalog has no {kind} {code}, which the snapshot uses"),
    }
}

impl Remap {
    fn new(catalog: &Catalog, d: &Dictionary) -> Result<Self, LedgerError> {
        let items = d
            .items
            .iter()
            .map(|c| catalog.item_ix(c).ok_or_else(|| missing("item", c)))
            .collect::<Result<_, _>>()?;
        let sites = d
            .sites
            .iter()
            .map(|c| catalog.site_ix(c).ok_or_else(|| missing("site", c)))
            .collect::<Result<_, _>>()?;
        let entities = d
            .entities
            .iter()
            .map(|c| catalog.entity_ix(c).ok_or_else(|| missing("entity", c)))
            .collect::<Result<_, _>>()?;
        let bins = d
            .bins
            .iter()
            .map(|(s, b)| {
                catalog
                    .site_ix(s)
                    .and_then(|six| catalog.bin_ix(six, b))
                    .ok_or_else(|| missing("bin", &format!("{s}/{b}")))
            })
            .collect::<Result<_, _>>()?;
        Ok(Remap { items, sites, entities, bins })
    }

    fn item(&self, ix: ItemIx) -> Result<ItemIx, LedgerError> {
        self.items.get(ix.index()).copied().ok_or_else(|| missing("item handle", &ix.raw()))
    }

    fn site(&self, ix: SiteIx) -> Result<SiteIx, LedgerError> {
        self.sites.get(ix.index()).copied().ok_or_else(|| missing("site handle", &ix.raw()))
    }

    fn entity(&self, ix: EntityIx) -> Result<EntityIx, LedgerError> {
        self.entities.get(ix.index()).copied().ok_or_else(|| missing("entity handle", &ix.raw()))
    }

    fn key(&self, k: &PositionKey) -> Result<PositionKey, LedgerError> {
        Ok(PositionKey {
            item: self.item(k.item)?,
            site: self.site(k.site)?,
            status: k.status,
            owner: self.entity(k.owner)?,
            bin: match k.bin {
                Some(b) => Some(
                    self.bins
                        .get(b.index())
                        .copied()
                        .ok_or_else(|| missing("bin handle", &b.raw()))?,
                ),
                None => None,
            },
            lot: k.lot,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use onhand_master::{Catalog, CurrencyCode, seed};

    use super::*;
    use crate::position::LotIx;

    fn counted() -> Result<(Arc<Catalog>, Rules, Snapshot), Box<dyn std::error::Error>> {
        let catalog = Arc::new(Catalog::new(seed::demo_network())?);
        let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
        let mut ledger = Ledger::new(catalog.clone(), rules.clone())?;
        ledger.apply(&crate::testing::receipt(1, "ATL", "BOLT-M8", "240 EA", "RCV-01")?)?;
        let snapshot = ledger.snapshot(None)?;
        Ok((catalog, rules, snapshot))
    }

    /// Issue 12: a snapshot whose `counted_at` is `i64::MIN` (the slot's "never counted")
    /// restored as a position never counted: a state other than the one written. It is
    /// now refused, as is any time that is not a representable instant.
    #[test]
    fn a_snapshot_that_loses_a_count() -> Result<(), Box<dyn std::error::Error>> {
        let (catalog, rules, good) = counted()?;
        let mut bad = good;
        bad.state.positions.first_mut().ok_or("a position")?.counted_at = Some(i64::MIN);
        bad.digest = snapshot_digest(&bad.dictionary, &bad.state, bad.journal.as_ref())?;
        let err = Ledger::restore(catalog, rules, &bad).err().ok_or("refused")?;
        assert_eq!(err.code(), "invalid_snapshot", "{err}");
        Ok(())
    }

    /// A ledger holding one lot of glue, and its snapshot.
    fn with_a_lot() -> Result<(Arc<Catalog>, Rules, Snapshot), Box<dyn std::error::Error>> {
        let catalog = Arc::new(Catalog::new(seed::demo_network())?);
        let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
        let mut ledger = Ledger::new(catalog.clone(), rules.clone())?;
        let mut glue = crate::testing::receipt(1, "ATL", "GLUE-500", "24 EA", "QA-01")?;
        if let crate::Body::Receipt(mv) = &mut glue.body {
            for l in &mut mv.lines {
                l.lot = Some(onhand_master::LotCode::new("L-1")?);
            }
        }
        ledger.apply(&glue)?;
        let snapshot = ledger.snapshot(None)?;
        Ok((catalog, rules, snapshot))
    }

    fn resealed(mut snap: Snapshot) -> Snapshot {
        snap.digest = snapshot_digest(&snap.dictionary, &snap.state, snap.journal.as_ref())
            .unwrap_or(Digest::ZERO);
        snap
    }

    /// Issue 13: a snapshot with a recomputed digest and a lot handle of 4e9 (no such
    /// lot) was accepted. Restore now checks every handle it relies on.
    #[test]
    fn restore_accepts_a_lot_handle_of_four_billion() -> Result<(), Box<dyn std::error::Error>> {
        let (catalog, rules, good) = with_a_lot()?;
        assert!(Ledger::restore(catalog.clone(), rules.clone(), &good).is_ok());
        let mut bad = good.clone();
        let p = bad.state.positions.first_mut().ok_or("a position")?;
        assert!(p.key.lot.is_some());
        p.key.lot = Some(LotIx(4_000_000_000));
        let err = Ledger::restore(catalog.clone(), rules.clone(), &resealed(bad)).err();
        assert_eq!(err.map(|e| e.code()), Some("invalid_snapshot"));

        // A lot on an item without lots, a bin of another site, a serial on a position
        // of another item, a lot listed twice: each refused.
        let mut no_lot = good.clone();
        no_lot.state.positions.first_mut().ok_or("a position")?.key.lot = None;
        let mut twice = good.clone();
        let lot = twice.state.lots.first().ok_or("a lot")?.clone();
        twice.state.lots.push(lot);
        let mut foreign_bin = good.clone();
        let other_site = foreign_bin
            .dictionary
            .bins
            .iter()
            .position(|(s, _)| s.as_str() != "ATL")
            .ok_or("a bin elsewhere")?;
        foreign_bin.state.positions.first_mut().ok_or("a position")?.key.bin =
            Some(BinIx::new(u32::try_from(other_site)?));
        for bad in [no_lot, twice, foreign_bin] {
            let err = Ledger::restore(catalog.clone(), rules.clone(), &resealed(bad)).err();
            assert_eq!(err.map(|e| e.code()), Some("invalid_snapshot"));
        }
        Ok(())
    }

    proptest::proptest! {
        /// Whatever lot handle a position holds, restore either refuses it or gives back
        /// exactly the state written, whose every lot handle names a lot of its item.
        #[test]
        fn a_restored_lot_handle_names_a_lot_of_its_item(raw in proptest::prelude::any::<u32>()) {
            let (catalog, rules, good) = with_a_lot().unwrap();
            let mut snap = good;
            snap.state.positions.first_mut().unwrap().key.lot = Some(LotIx(raw));
            let snap = resealed(snap);
            if let Ok(ledger) = Ledger::restore(catalog, rules, &snap) {
                proptest::prop_assert_eq!(raw, 0);
                proptest::prop_assert_eq!(ledger.state(), snap.state);
            }
        }
    }

    proptest::proptest! {
        /// Whatever count time a snapshot holds, restore either refuses it or gives back
        /// exactly the state written (same digest).
        #[test]
        fn a_restored_count_time_reads_back_as_written(
            at in proptest::prop_oneof![
                proptest::prelude::any::<i64>(),
                proptest::strategy::Just(i64::MIN),
                proptest::strategy::Just(i64::MIN + 1),
                proptest::strategy::Just(i64::MAX),
                -8_300_000_000_000_000_000i64..8_300_000_000_000_000_000,
            ],
        ) {
            let (catalog, rules, good) = counted().unwrap();
            let mut snap = good;
            snap.state.positions.first_mut().unwrap().counted_at = Some(at);
            snap.digest = snapshot_digest(&snap.dictionary, &snap.state, snap.journal.as_ref()).unwrap();
            if let Ok(ledger) = Ledger::restore(catalog, rules, &snap) {
                proptest::prop_assert_eq!(ledger.state(), snap.state);
            }
        }
    }

    /// A snapshot whose balance is not its base plus its history is refused, even with a
    /// digest that matches (the ledger reads figures back from the balance).
    #[test]
    fn restore_refuses_a_balance_that_is_not_its_history() -> Result<(), Box<dyn std::error::Error>>
    {
        let catalog = Arc::new(Catalog::new(seed::demo_network())?);
        let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
        let mut ledger = Ledger::new(catalog.clone(), rules.clone())?;
        ledger.apply(&crate::testing::receipt(1, "ATL", "BOLT-M8", "240 EA", "RCV-01")?)?;
        let good = ledger.snapshot(None)?;
        assert!(Ledger::restore(catalog.clone(), rules.clone(), &good).is_ok());

        let mut bad = good.clone();
        let p = bad.state.positions.first_mut().ok_or("a position")?;
        p.qty += Decimal::ONE;
        bad.digest = snapshot_digest(&bad.dictionary, &bad.state, bad.journal.as_ref())?;
        let err = Ledger::restore(catalog.clone(), rules.clone(), &bad).err().ok_or("refused")?;
        assert!(matches!(err, LedgerError::Restore { .. }), "{err}");

        let mut unsorted = good;
        let p = unsorted.state.positions.first_mut().ok_or("a position")?;
        let h = *p.hist.first().ok_or("a change")?;
        p.hist = smallvec::smallvec![
            Hist { at: h.at + 1, change: Decimal::ONE },
            Hist { at: h.at, ..h }
        ];
        p.qty += Decimal::ONE;
        unsorted.digest =
            snapshot_digest(&unsorted.dictionary, &unsorted.state, unsorted.journal.as_ref())?;
        assert!(Ledger::restore(catalog, rules, &unsorted).is_err());
        Ok(())
    }
}
