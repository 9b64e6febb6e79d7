//! [`NetworkSnapshot`]: the whole network in one versioned value with a digest.
//!
//! A snapshot holds each engine's own snapshot (the ledger's positions, lots, transfers
//! and pending events; availability with every booked line, quota and timeline; the
//! books with every pool and its history) and the network's state around them: booked
//! order lines, expected receipts, open transfer shipments, the cost events each
//! shipment issued (for returns), which planned item-sites stood below their reorder
//! point, the network's time and its journal head. Everything is named by code, so a
//! snapshot restores against a catalog that gained records since.
//!
//! What the network computes from its configuration (the planner, the partition's
//! items) is not in it: [`Network::restore`] takes the same master data (or a catalog
//! grown from it), the ledger's rules and the configuration, and builds them again. The
//! snapshot carries the configuration's SHA-256 and refuses another one
//! ([`Error::SnapshotMismatch`]): quotas, valuation methods and planned item-sites decide
//! what the state means.
//!
//! The digest is SHA-256 over the compact canonical form
//! ([`onhand_master::canonical::stream_compact`]: integers as variable-length numbers;
//! format 4 on, format 3 used the fixed-width form) of the network's own state, the availability snapshot, and the ledger's and the books'
//! snapshots by their format, journal mark and own digest (each covers its snapshot's
//! content, and each engine's restore checks it), so the large parts are hashed once
//! and not again. Restore checks the network digest before reading anything else, then
//! each part as it reads it: a changed or damaged snapshot is refused with
//! [`Error::SnapshotDigest`] wherever the change is, or a typed error for content that
//! does not fit, and nothing is half restored.
//!
//! The exception queue travels too: every exception with its state, roles, hold and
//! history, the count-variance times recurrence counts, and what the network remembers
//! to clear exceptions from data (lines signalled short, item-sites raised, held stock
//! since when, overdue orders and transfers, intercompany pairs). The queue's indexes
//! and ranks are built again from it by [`Control::restore`](onhand_control::Control::restore),
//! which refuses a queue it could never have held; every event the ledger holds must
//! have its active approval task, and the other way round.
//!
//! A restored network has the original's [`digest`](Network::digest) (queue included),
//! and continuing its journal from the snapshot's head ([`Network::replay_onto`])
//! reaches the digest the full run reached.
//!
//! The KPIs travel too (format 3 on): insight's whole state
//! ([`InsightSnapshot`](onhand_insight::InsightSnapshot)) and what the feed keeps to
//! translate events into records (its clock, the order and transfer lines it follows, the
//! suppliers of expected receipts, its statistics). A restored network answers
//! [`Network::kpi_report`] and [`Network::insight`] as the original did, and a snapshot
//! plus the journal's tail reaches the figures of the straight run. Format 2 snapshots
//! (without the KPIs) are refused with [`Error::SnapshotFormat`]: take a new snapshot, or
//! rebuild from the journal with [`Network::replay`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use onhand_atp::{Atp, AtpSnapshot, LineId};
use onhand_ledger::{Digest, DocNumber, EventId, Ledger, LedgerError, Rules};
use onhand_master::{Catalog, ItemCode, ItemIx, SiteCode, SiteIx};
use onhand_valuation::{TransferNo, Valuation, ValuationError, ValuationSnapshot};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::config::NetworkConfig;
use crate::error::Error;
use crate::exceptions::ExceptionsSnapshot;
use crate::insight_feed::{Feed, FeedSnapshot};
use crate::journal::{Journal, Mark};
use crate::network::{Network, Shipment};
use crate::orders::Booking;
use crate::purchasing::{OpenReceipt, Used};

/// The snapshot format this version writes and reads.
///
/// Format 4 takes the digests (the network's and its configuration's) over the compact
/// canonical form, and carries the ledger's format-4 and the books' format-3 snapshots;
/// its JSON is format 3's otherwise. A format-3 snapshot is refused with
/// [`Error::SnapshotFormat`]: replay the journal and take a new one. Format 5 carries
/// the books' format-4 snapshot (pools laid out flat); format 4 is refused the same way.
pub const NETWORK_SNAPSHOT_FORMAT: u32 = 5;

/// The whole network's state, versioned, with a SHA-256 digest (see the
/// [module docs](crate::snapshot)).
///
/// ```
/// use onhand::ledger::{testing, Rules};
/// use onhand::master::{seed, Catalog, CurrencyCode};
/// use onhand::{Network, NetworkConfig, NetworkSnapshot};
/// use std::sync::Arc;
///
/// let mut rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
/// rules.reference_costs.insert("BOLT-M8".parse()?, onhand::ledger::ReferenceCost("0.085".parse()?));
/// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
/// let config = NetworkConfig::default();
/// let mut network = Network::with_catalog(catalog.clone(), rules.clone(), config.clone(), testing::at(-60))?;
/// network.apply(&testing::receipt_to(1, "ATL", "BOLT-M8", "2 CS", "PF-A01", "available")?)?;
///
/// let json = serde_json::to_string(&network.snapshot()?)?;
/// let snapshot: NetworkSnapshot = serde_json::from_str(&json)?;
/// let restored = Network::restore(catalog, rules, config, &snapshot)?;
/// assert_eq!(restored.digest()?, network.digest()?);
/// assert_eq!(restored.journal().head(), network.journal().head());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSnapshot {
    /// The format version ([`NETWORK_SNAPSHOT_FORMAT`]).
    pub format: u32,
    /// SHA-256 of the content's canonical binary form.
    pub digest: Digest,
    content: Content,
}

impl NetworkSnapshot {
    /// The journal head the snapshot was taken at: replay the entries after it.
    #[must_use]
    pub fn journal(&self) -> Mark {
        self.content.journal
    }

    /// The network's time when the snapshot was taken.
    #[must_use]
    pub fn now(&self) -> DateTime<Utc> {
        self.content.now
    }

    /// The digest of the content as it is now (equal to `digest` unless the snapshot was
    /// changed after it was taken; a change inside the ledger's or the books' snapshot
    /// shows against their own digests, which restore checks too).
    ///
    /// # Errors
    /// [`Error::Restore`] if the content cannot be encoded (it always can).
    pub fn content_digest(&self) -> Result<Digest, Error> {
        self.content.seal()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Content {
    /// SHA-256 of the configuration's canonical form.
    config: Digest,
    now: DateTime<Utc>,
    journal: Mark,
    ledger: onhand_ledger::Snapshot,
    atp: AtpSnapshot,
    valuation: ValuationSnapshot,
    /// Planned item-sites and whether each is at or below its reorder point.
    below: Vec<(ItemCode, SiteCode, bool)>,
    /// Booked order lines, by order line.
    bookings: Vec<Booking>,
    next_line: u64,
    /// Expected receipts, by purchase order and line.
    receipts: Vec<OpenReceipt>,
    /// Open shipments per transfer order and item.
    shipments: Vec<(DocNumber, ItemCode, Vec<ShipmentRecord>)>,
    shipment_count: u64,
    /// The cost events each shipment event issued, per item.
    issues: Vec<(EventId, ItemCode, Vec<u64>)>,
    /// The cost events of each receipt, shipment, scrap and adjustment, with their
    /// items, for reversals and returns to supplier (absent from snapshots taken
    /// before them: the events before such a snapshot are refused as
    /// [`Error::NotCosted`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    costed: Vec<(EventId, Vec<(ItemCode, u64)>)>,
    /// Per item, the latest reversal or return to supplier that moved its books.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    withdrawn: Vec<(ItemCode, DateTime<Utc>)>,
    /// What each purchase receipt used up of expected receipts, and the expected
    /// receipts receipts closed, for reversals to reopen (absent from snapshots taken
    /// before them: a reversal of a receipt before such a snapshot reopens nothing).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    used: Vec<(EventId, Vec<Used>)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    closed_receipts: Vec<OpenReceipt>,
    /// The exception queue and what the network remembers to clear it.
    exceptions: ExceptionsSnapshot,
    /// The KPIs and the feed's own state (`None`: insight is off).
    insight: Option<FeedSnapshot>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShipmentRecord {
    key: TransferNo,
    to: SiteCode,
    arrival: NaiveDate,
    #[serde(with = "onhand_master::decimal::serde_str")]
    open: Decimal,
}

/// What the network digest covers: the content, with the ledger's and the books'
/// snapshots by their own digests.
#[derive(Serialize)]
struct Seal<'a> {
    config: &'a Digest,
    now: &'a DateTime<Utc>,
    journal: &'a Mark,
    ledger: (u32, &'a Option<onhand_ledger::JournalMark>, &'a Digest),
    atp: &'a AtpSnapshot,
    valuation: (u32, &'a str),
    below: &'a [(ItemCode, SiteCode, bool)],
    bookings: &'a [Booking],
    next_line: u64,
    receipts: &'a [OpenReceipt],
    shipments: &'a [(DocNumber, ItemCode, Vec<ShipmentRecord>)],
    shipment_count: u64,
    issues: &'a [(EventId, ItemCode, Vec<u64>)],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    costed: &'a [(EventId, Vec<(ItemCode, u64)>)],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    withdrawn: &'a [(ItemCode, DateTime<Utc>)],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    used: &'a [(EventId, Vec<Used>)],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    closed_receipts: &'a [OpenReceipt],
    exceptions: &'a ExceptionsSnapshot,
    insight: &'a Option<FeedSnapshot>,
}

impl Content {
    fn seal(&self) -> Result<Digest, Error> {
        let seal = self.sealed();
        let mut h = Sha256::new();
        // The derived form of `Seal`, the availability snapshot's item-sites by hand.
        onhand_master::canonical::stream_compact_as(
            &seal,
            |chunk| h.update(chunk),
            |w| {
                w.field();
                w.value(seal.config)?;
                w.field();
                w.value(seal.now)?;
                w.field();
                w.value(seal.journal)?;
                w.field();
                w.value(&seal.ledger)?;
                w.field();
                seal.atp.write_compact(w)?;
                w.field();
                w.value(&seal.valuation)?;
                w.field();
                w.value(seal.below)?;
                w.field();
                w.value(seal.bookings)?;
                w.field();
                w.u64(seal.next_line);
                w.field();
                w.value(seal.receipts)?;
                w.field();
                w.value(seal.shipments)?;
                w.field();
                w.u64(seal.shipment_count);
                w.field();
                w.value(seal.issues)?;
                w.field_unless(seal.costed.is_empty(), seal.costed)?;
                w.field_unless(seal.withdrawn.is_empty(), seal.withdrawn)?;
                w.field_unless(seal.used.is_empty(), seal.used)?;
                w.field_unless(seal.closed_receipts.is_empty(), seal.closed_receipts)?;
                w.field();
                w.value(seal.exceptions)?;
                w.field();
                w.value(seal.insight)
            },
        )
        .map_err(|e| Error::Restore { what: format!("encoding a snapshot: {e}") })?;
        Ok(Digest(h.finalize().into()))
    }

    /// What the network's digest covers (see the module docs).
    fn sealed(&self) -> Seal<'_> {
        Seal {
            config: &self.config,
            now: &self.now,
            journal: &self.journal,
            ledger: (self.ledger.format, &self.ledger.journal, &self.ledger.digest),
            atp: &self.atp,
            valuation: (self.valuation.format, &self.valuation.digest),
            below: &self.below,
            bookings: &self.bookings,
            next_line: self.next_line,
            receipts: &self.receipts,
            shipments: &self.shipments,
            shipment_count: self.shipment_count,
            issues: &self.issues,
            costed: &self.costed,
            withdrawn: &self.withdrawn,
            used: &self.used,
            closed_receipts: &self.closed_receipts,
            exceptions: &self.exceptions,
            insight: &self.insight,
        }
    }
}

fn digest_of<T: Serialize + ?Sized>(value: &T) -> Result<Digest, Error> {
    // Streamed into the hash: the availability snapshot's form is never held whole.
    let mut h = Sha256::new();
    onhand_master::canonical::stream_compact(value, |chunk| h.update(chunk))
        .map_err(|e| Error::Restore { what: format!("encoding a snapshot: {e}") })?;
    Ok(Digest(h.finalize().into()))
}

/// The largest figure a restored running total may hold (10^24 base units): a billion
/// times the most one line moves ([`MAX_LINE_QTY`](onhand_ledger::MAX_LINE_QTY)), and
/// far enough inside the decimal range that the sums later calls add to it cannot
/// overflow. A live network's totals never come near it; an edited snapshot's may.
const MAX_FIGURE: Decimal = Decimal::from_parts(0xA100_0000, 0x1BCE_CCED, 0x0000_D3C2, false, 0);

/// Whether a restored total is zero or more and at most [`MAX_FIGURE`].
pub(crate) fn in_range(d: Decimal) -> bool {
    !d.is_sign_negative() && d <= MAX_FIGURE || d.is_zero()
}

/// The journal that continues from a restored `head`.
fn journal_after(head: Mark) -> Result<Journal, Error> {
    // Cost event ids number entries by the 4,096: past this head they would saturate
    // and meet (no network takes that many calls).
    if head.seq >= u64::MAX / crate::COST_EVENTS_PER_ENTRY - 1 {
        return Err(invalid("journal", format!("head {} out of range", head.seq)));
    }
    Ok(Journal::after(head))
}

fn invalid(part: &'static str, what: impl Into<String>) -> Error {
    Error::InvalidSnapshot { part, what: what.into() }
}

impl Network {
    /// The whole network's state (see [`NetworkSnapshot`]).
    ///
    /// # Errors
    /// [`Error::Poisoned`] for a network that diverged (its engines may disagree: restore
    /// an earlier snapshot instead); [`Error::Ledger`] or [`Error::Restore`] if a part
    /// cannot be encoded (it always can).
    pub fn snapshot(&self) -> Result<NetworkSnapshot, Error> {
        self.check_live()?;
        let mut below = Vec::with_capacity(self.below.len());
        for (&(item, site), &b) in &self.below {
            below.push((self.item_code(item)?, self.site_code(site)?, b));
        }
        let mut shipments = Vec::with_capacity(self.shipments.len());
        for ((order, item), list) in &self.shipments {
            let mut records = Vec::with_capacity(list.len());
            for s in list {
                records.push(ShipmentRecord {
                    key: s.key.clone(),
                    to: self.site_code(s.to)?,
                    arrival: s.arrival,
                    open: s.open,
                });
            }
            shipments.push((order.clone(), self.item_code(*item)?, records));
        }
        let mut issues = Vec::with_capacity(self.issues.len());
        for ((event, item), ids) in &self.issues {
            issues.push((event.id(), self.item_code(*item)?, ids.clone()));
        }
        let mut costed = Vec::with_capacity(self.costed.len());
        for (event, ids) in &self.costed {
            let mut with_codes = Vec::with_capacity(ids.len());
            for (item, id) in ids {
                with_codes.push((self.item_code(*item)?, *id));
            }
            costed.push((event.id(), with_codes));
        }
        let mut withdrawn = Vec::with_capacity(self.withdrawn.len());
        for (item, at) in &self.withdrawn {
            withdrawn.push((self.item_code(*item)?, *at));
        }
        let content = Content {
            config: digest_of(self.config.as_ref())?,
            now: self.now,
            journal: self.journal.head(),
            ledger: self.ledger.snapshot(None)?,
            atp: self.atp.snapshot(),
            valuation: self.valuation.snapshot(),
            below,
            bookings: self.bookings.values().cloned().collect(),
            next_line: self.next_line,
            receipts: self.receipts.values().cloned().collect(),
            shipments,
            shipment_count: self.shipment_count,
            issues,
            costed,
            withdrawn,
            used: self.used.iter().map(|(e, u)| (*e, u.clone())).collect(),
            closed_receipts: self.closed_receipts.values().cloned().collect(),
            exceptions: self.exceptions_snapshot()?,
            insight: self.insight.as_deref().map(Feed::snapshot),
        };
        let digest = content.seal()?;
        Ok(NetworkSnapshot { format: NETWORK_SNAPSHOT_FORMAT, digest, content })
    }

    /// The network `snapshot` holds, over `catalog` with the ledger's `rules` and the
    /// `config` it was taken under. Its journal continues from the snapshot's head; its
    /// [`digest`](Network::digest) is the original's.
    ///
    /// # Errors
    /// [`Error::SnapshotFormat`] for another format version; [`Error::SnapshotDigest`]
    /// for content that does not match its digest (the network's, or the ledger's or
    /// the books' own for their part); [`Error::SnapshotMismatch`] for
    /// another configuration, planned item-sites the configuration does not plan, or
    /// KPIs kept under another insight configuration (a catalog with other sites);
    /// [`Error::InvalidSnapshot`] for network state that does not fit the engines or the
    /// catalog (an unknown code, an item of another partition, a booking the
    /// availability engine does not hold, a repeated key, an exception queue the control
    /// crate refuses, an approval task without its held event or the other way round,
    /// engines that disagree: an invariant of [`Network::check`] but the KPI feed's
    /// fails); an engine's own error for its
    /// part ([`Error::Ledger`], [`Error::Atp`], [`Error::Valuation`], [`Error::Insight`]
    /// for a KPI state insight refuses); as
    /// [`Network::with_catalog`] for the configuration.
    ///
    /// A snapshot refused because its engines disagree was edited, or was taken by a
    /// build with a defect since fixed: the journal it was taken from still replays
    /// ([`Network::replay`]) to a network whose engines agree.
    pub fn restore(
        catalog: Arc<Catalog>,
        rules: Rules,
        config: NetworkConfig,
        snapshot: &NetworkSnapshot,
    ) -> Result<Network, Error> {
        if snapshot.format != NETWORK_SNAPSHOT_FORMAT {
            return Err(Error::SnapshotFormat {
                found: snapshot.format,
                reads: NETWORK_SNAPSHOT_FORMAT,
            });
        }
        if snapshot.content_digest()? != snapshot.digest {
            return Err(Error::SnapshotDigest);
        }
        let c = &snapshot.content;
        if digest_of(&config)? != c.config {
            return Err(Error::SnapshotMismatch { part: "config" });
        }
        // The engines are restored and the network assembled around them: no empty
        // engines are built to be thrown away (on a catalog of a million item-sites they
        // took about 25 ms).
        let ledger = Ledger::restore(catalog.clone(), rules, &c.ledger).map_err(|e| match e {
            // The ledger's own digest over its part (see `Seal`).
            LedgerError::SnapshotDigest => Error::SnapshotDigest,
            e => Error::Ledger(e),
        })?;
        if c.atp.config() != config.atp.engine {
            return Err(Error::SnapshotMismatch { part: "atp" });
        }
        // The configuration's protection and quotas are checked as building a network
        // checks them; the restored engine carries their state.
        if config.atp.protect_safety_stock.is_some() || !config.atp.quotas.is_empty() {
            crate::network::configured_atp(&catalog, &config, c.now)?;
        }
        let atp = Atp::restore(catalog.clone(), &c.atp)?;
        let valuation = Valuation::restore(catalog.clone(), config.valuation.clone(), &c.valuation)
            .map_err(|e| match e {
                ValuationError::SnapshotDigest => Error::SnapshotDigest,
                e => Error::Valuation(e),
            })?;
        let mut n = Network::assemble(catalog, config, (ledger, atp, valuation), c.now)?;
        n.restore_below(&c.below)?;
        n.restore_bookings(&c.bookings, c.next_line)?;
        for r in &c.receipts {
            n.held_item("receipts", &r.expected.item)?;
            n.known_site("receipts", &r.expected.site)?;
            if !in_range(r.open) || !in_range(r.received) {
                return Err(invalid(
                    "receipts",
                    format!("{}/{}: out of range", r.expected.order, r.expected.line),
                ));
            }
            let key = (r.expected.order.clone(), r.expected.line);
            if n.insert_receipt(key, r.clone()).is_some() {
                return Err(invalid(
                    "receipts",
                    format!("{}/{} twice", r.expected.order, r.expected.line),
                ));
            }
        }
        for (order, item, list) in &c.shipments {
            let item = n.held_item("shipments", item)?;
            let mut open = Vec::with_capacity(list.len());
            for s in list {
                if !in_range(s.open) {
                    return Err(invalid("shipments", format!("{order}: out of range")));
                }
                let to = n.known_site("shipments", &s.to)?;
                open.push(Shipment { key: s.key.clone(), to, arrival: s.arrival, open: s.open });
            }
            if n.shipments.contains_key(&(order.clone(), item)) {
                return Err(invalid("shipments", format!("{order} twice for one item")));
            }
            *n.shipments_of(order, item) = open;
        }
        // Every shipment counts one more: a count past `i64::MAX` is not a network's.
        if i64::try_from(c.shipment_count).is_err() {
            return Err(invalid("shipment_count", c.shipment_count.to_string()));
        }
        n.shipment_count = c.shipment_count;
        for (event, item, ids) in &c.issues {
            let item = n.held_item("issues", item)?;
            if n.issues.insert(((*event).into(), item), ids.clone()).is_some() {
                return Err(invalid("issues", format!("event {event} twice for one item")));
            }
        }
        for (event, ids) in &c.costed {
            let mut held = Vec::with_capacity(ids.len());
            for (item, id) in ids {
                held.push((n.held_item("costed", item)?, *id));
            }
            if n.costed.insert((*event).into(), held).is_some() {
                return Err(invalid("costed", format!("event {event} twice")));
            }
        }
        for (item, at) in &c.withdrawn {
            let item = n.held_item("withdrawn", item)?;
            if n.withdrawn.insert(item, *at).is_some() {
                return Err(invalid("withdrawn", "an item twice".to_owned()));
            }
        }
        n.restore_used(&c.used, &c.closed_receipts)?;
        n.journal = journal_after(c.journal)?;
        n.restore_exceptions(&c.exceptions)?;
        n.insight = match (&c.insight, n.insight.is_some()) {
            (Some(f), true) => Some(Feed::restore(&n.catalog, &n.config.insight, f)?),
            (None, false) => None,
            _ => return Err(Error::SnapshotMismatch { part: "insight" }),
        };
        // Each part passed its own checks; together they must also hold one truth. A
        // snapshot edited behind recomputed digests (SHA-256 guards against accidents,
        // it is no signature) can pass every part's checks and still have the engines
        // disagree: free stock that is not the ledger's, pools that are not its
        // valuated stock.
        n.check_agreement().map_err(|v| invalid("invariants", v.to_string()))?;
        Ok(n)
    }

    /// Restores what purchase receipts used up of expected receipts and the expected
    /// receipts they closed.
    fn restore_used(
        &mut self,
        used: &[(EventId, Vec<Used>)],
        closed: &[OpenReceipt],
    ) -> Result<(), Error> {
        for (event, used) in used {
            if used
                .iter()
                .any(|u| !in_range(u.took) || !in_range(u.received) || u.received < u.took)
            {
                return Err(invalid("used", format!("event {event}: out of range")));
            }
            if self.used.insert(*event, used.clone()).is_some() {
                return Err(invalid("used", format!("event {event} twice")));
            }
        }
        for r in closed {
            self.held_item("closed_receipts", &r.expected.item)?;
            self.known_site("closed_receipts", &r.expected.site)?;
            let key = (r.expected.order.clone(), r.expected.line);
            if r.open != Decimal::ZERO || !in_range(r.received) || self.receipts.contains_key(&key)
            {
                return Err(invalid("closed_receipts", format!("{}/{}: open", key.0, key.1)));
            }
            if self.closed_receipts.insert(key.clone(), r.clone()).is_some() {
                return Err(invalid("closed_receipts", format!("{}/{} twice", key.0, key.1)));
            }
        }
        Ok(())
    }

    /// An item the catalog knows and this partition holds.
    fn held_item(&self, part: &'static str, code: &ItemCode) -> Result<ItemIx, Error> {
        let ix = self
            .catalog
            .item_ix(code)
            .ok_or_else(|| invalid(part, format!("unknown item {code}")))?;
        if !self.holds(ix) {
            return Err(invalid(part, format!("item {code} is not in this partition")));
        }
        Ok(ix)
    }

    fn known_site(&self, part: &'static str, code: &SiteCode) -> Result<SiteIx, Error> {
        self.catalog.site_ix(code).ok_or_else(|| invalid(part, format!("unknown site {code}")))
    }

    /// The reorder-point flags: exactly the item-sites the configuration plans.
    fn restore_below(&mut self, below: &[(ItemCode, SiteCode, bool)]) -> Result<(), Error> {
        let mut restored = BTreeMap::new();
        for (item, site, b) in below {
            let key =
                (self.held_item("replenishment", item)?, self.known_site("replenishment", site)?);
            if restored.insert(key, *b).is_some() {
                return Err(invalid("replenishment", format!("{item} at {site} twice")));
            }
        }
        if restored.keys().ne(self.below.keys()) {
            return Err(Error::SnapshotMismatch { part: "replenishment" });
        }
        self.below = restored;
        Ok(())
    }

    /// The booked order lines: one per line the availability engine holds, and the other
    /// way round.
    fn restore_bookings(&mut self, bookings: &[Booking], next_line: u64) -> Result<(), Error> {
        let mut ids = BTreeSet::new();
        for b in bookings {
            let line = b.request.reference();
            self.held_item("bookings", &b.request.item)?;
            if b.id > next_line || !ids.insert(b.id) {
                return Err(invalid("bookings", format!("{line}: engine line {} reused", b.id)));
            }
            if self.atp.booked(LineId(b.id)).is_none() {
                return Err(invalid("bookings", format!("{line}: not booked in availability")));
            }
            if !in_range(b.picked) || !in_range(b.shipped) {
                return Err(invalid("bookings", format!("{line}: out of range")));
            }
            for u in &b.uses {
                if [u.ordered, u.used, u.beyond, u.served].into_iter().any(|q| !in_range(q)) {
                    return Err(invalid("bookings", format!("{line}: a use out of range")));
                }
                self.held_item("bookings", &u.item)?;
                self.known_site("bookings", &u.site)?;
                if self.units_per_ordered(&b.request.item, &u.item).is_none() {
                    return Err(invalid("bookings", format!("{line}: a use of item {}", u.item)));
                }
                self.index_use(u.event, &line);
            }
            self.line_refs.insert(b.id, line.clone());
            if self.insert_booking(line.clone(), b.clone()).is_some() {
                return Err(invalid("bookings", format!("{line} twice")));
            }
        }
        if self.atp.booked_lines().len() != self.bookings.len() {
            return Err(invalid("bookings", "availability holds lines no order line names"));
        }
        self.next_line = next_line;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_restored_figure_is_ten_to_the_twenty_fourth() {
        assert_eq!(MAX_FIGURE, Decimal::from_i128_with_scale(10_i128.pow(24), 0));
        assert!(in_range(Decimal::ZERO) && in_range(MAX_FIGURE));
        assert!(!in_range(MAX_FIGURE + Decimal::ONE) && !in_range(-Decimal::ONE));
        assert!(!in_range(Decimal::MAX));
    }
}
