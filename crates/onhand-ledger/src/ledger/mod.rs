//! [`Ledger`]: the state machine that validates each event against the catalog and the
//! governance rules, then applies it whole or not at all.
//!
//! One event's path through [`Ledger::apply`]: its times checked to be whole
//! microseconds ([`check_times`]), the duplicate check by its fingerprint
//! ([`fingerprint()`]), then [`dispatch`](Ledger::dispatch) here (identity, period, reason,
//! permission), then by kind: a stock event is planned ([`plan`]: its lines in [`lines`],
//! transfer lines in the transfer module, counts in [`count`]), held for approval when a
//! role or threshold asks ([`approval`]), or committed ([`plan`]); period close and
//! reopen are in [`period`]; [`batch`] reads ahead for [`Ledger::apply_batch`].

mod approval;
mod batch;
mod count;
mod fingerprint;
mod lines;
mod period;
mod plan;

pub(crate) use fingerprint::fingerprint;
pub(crate) use lines::{ItemCtx, LineCtx};
pub(crate) use plan::{INDEX_FROM, Plan};

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use onhand_master::hash::{Map, Set, map};
use onhand_master::{Catalog, EntityIx, ItemIx, Role, SerialNo, SiteCode, SiteIx};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use crate::error::LedgerError;
use crate::event::{ActorId, Body, DocumentRef, Event, EventId, EventKind};
use crate::history::DocTotals;
use crate::journal::Digest;
use crate::lot::Lots;
use crate::position::{LotIx, PositionKey, Positions};
use crate::rules::{ActorRecord, Identity, Rules};
use crate::signal::Signal;
use crate::transfer::{TransferOrder, Transfers};

/// A host's last word on the positions an event would change ([`Ledger::apply_vetted`]):
/// shown the ledger and the planned changes (each key once), `false` refuses the event.
pub type Veto<'v> = dyn FnMut(&Ledger, &[(crate::PositionKey, Decimal)]) -> bool + 'v;

/// The largest quantity one line may move, in base units (10^15). Far above any real
/// movement, it keeps every running balance far inside the decimal range.
pub const MAX_LINE_QTY: Decimal = Decimal::from_parts(0xA4C6_8000, 0x0003_8D7E, 0, false, 0);

/// Whether `d` is above zero: a look at its sign and digits, where a comparison with
/// zero would align scales first. These tests sit on every event's path.
pub(crate) fn positive(d: Decimal) -> bool {
    d.is_sign_positive() && !d.is_zero()
}

/// Whether `d` is below zero (see [`positive`]).
pub(crate) fn negative(d: Decimal) -> bool {
    d.is_sign_negative() && !d.is_zero()
}

/// `a + b` exactly, or an overflow error naming `operation`.
pub(crate) fn add(a: Decimal, b: Decimal, operation: &'static str) -> Result<Decimal, LedgerError> {
    onhand_master::add_exact(a, b).map_err(|_| LedgerError::Overflow { operation })
}

/// A change to one position made by an accepted event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delta {
    /// The position.
    pub key: PositionKey,
    /// The change (base units).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub change: Decimal,
    /// The position's balance after it (base units).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub balance: Decimal,
}

/// What an accepted event did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    /// Its position in the sequence of state-changing events (1-based).
    pub seq: u64,
    /// The position changes (read them with [`deltas`](Self::deltas)). Two are kept
    /// inline (a receipt makes one, a move between statuses or bins two), so the
    /// outcome of a one-line event allocates nothing and stays small to return; that
    /// storage is the ledger's business, not part of the public API.
    pub(crate) deltas: SmallVec<[Delta; 2]>,
    /// What it raised.
    pub signals: Vec<Signal>,
}

impl Accepted {
    /// The position changes, one per position touched, in key order.
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
    /// let applied = ledger.apply(&testing::receipt_to(1, "ATL", "BOLT-M8", "30 EA", "RCV-01", "available")?)?;
    /// let Applied::Accepted(accepted) = applied else { return Err("not accepted".into()) };
    /// assert_eq!(accepted.deltas().len(), 1);
    /// assert_eq!((accepted.deltas()[0].change, accepted.deltas()[0].balance), (n("30")?, n("30")?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn deltas(&self) -> &[Delta] {
        &self.deltas
    }
}

/// The outcome of an event the ledger did not reject.
// `Accepted` is the common case and keeps its deltas inline; boxing it would cost an
// allocation per event on the hot path.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Applied {
    /// Applied: positions, lots, serials and transfer orders changed as listed.
    Accepted(Accepted),
    /// Held for approval (or an approval was recorded and more are needed): nothing
    /// moved yet.
    Pending {
        /// Its position in the sequence of state-changing events.
        seq: u64,
        /// The roles whose approval is still needed.
        needs: Vec<Role>,
    },
    /// The event id was applied before with the same content: nothing happened again.
    Duplicate,
}

impl Applied {
    /// Whether the event changed state, so it belongs in the journal.
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
    /// let receipt = testing::receipt(1, "ATL", "BOLT-M8", "30 EA", "RCV-01")?;
    /// assert!(ledger.apply(&receipt)?.changed_state());
    /// assert!(!ledger.apply(&receipt)?.changed_state(), "a duplicate changes nothing");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn changed_state(&self) -> bool {
        !matches!(self, Applied::Duplicate)
    }
}

/// An event waiting for approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingEvent {
    /// The event as submitted.
    pub event: Event,
    /// Roles still needed.
    pub needs: Vec<Role>,
    /// Approvals recorded so far: who, and which roles they satisfied.
    pub approvals: Vec<(ActorId, Vec<Role>)>,
}

/// A view of what is in transit on one transfer order line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InTransit<'a> {
    /// The transfer order.
    pub order: &'a TransferOrder,
    /// The item.
    pub item: ItemIx,
    /// The lot.
    pub lot: Option<LotIx>,
    /// The owner while in transit.
    pub owner: EntityIx,
    /// The quantity (base units).
    pub qty: Decimal,
}

/// The inventory ledger: one governed truth of positions, lots, serials, transfer orders
/// and pending approvals, changed only by [`apply`](Ledger::apply).
///
/// ```
/// use std::sync::Arc;
/// use onhand_ledger::{Applied, Ledger, Rules, testing};
/// use onhand_master::{seed, Catalog, CurrencyCode};
///
/// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
/// let mut ledger = Ledger::new(catalog, Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors())?;
/// let receipt = testing::receipt(1, "ATL", "BOLT-M8", "240 EA", "RCV-01")?;
/// let Applied::Accepted(done) = ledger.apply(&receipt)? else { panic!("accepted") };
/// assert_eq!(done.deltas().len(), 1);
/// assert_eq!(ledger.apply(&receipt)?, Applied::Duplicate); // idempotent
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Ledger {
    pub(crate) catalog: Arc<Catalog>,
    pub(crate) rules: Rules,
    pub(crate) positions: Positions,
    pub(crate) lots: Lots,
    pub(crate) serials: Map<ItemIx, Map<SerialNo, PositionKey>>,
    /// The serials at each position (`serials` the other way round), so a count reads a
    /// position's serials without scanning every serial of its item.
    pub(crate) serials_at: Map<PositionKey, Set<SerialNo>>,
    pub(crate) transfers: Transfers,
    pub(crate) pending: BTreeMap<EventId, PendingEvent>,
    pub(crate) seen: onhand_master::spread::SpreadMap<EventId, Digest>,
    /// What each applied receipt, pick, shipment, scrap, adjustment, reversal and
    /// return to supplier did (see the `reversal` module).
    pub(crate) posted: crate::chunked::ChunkedMap<EventId, crate::reversal::Posted>,
    pub(crate) closed_through: Option<DateTime<Utc>>,
    /// Per legal entity, the time its own period is closed through (on top of the
    /// network's `closed_through`).
    pub(crate) entity_closed: BTreeMap<EntityIx, DateTime<Utc>>,
    /// The latest recorded time of the events applied: no close may pass it.
    pub(crate) recorded_through: Option<DateTime<Utc>>,
    pub(crate) seq: u64,
    site_has_bins: Vec<bool>,
    /// `rules.permissions` as role bit masks by event kind.
    permits: [u8; EventKind::ALL.len()],
    /// Whether any threshold of a kind looks at quantity or value: events of other kinds
    /// skip measuring their lines.
    measured: [bool; EventKind::ALL.len()],
    /// `rules.reference_costs` by item handle (empty when no item has one).
    costs: Vec<Decimal>,
    /// Whether a threshold of a kind limits the events on one document: events of
    /// those kinds are recorded in `documents` when applied.
    doc_limited: [bool; EventKind::ALL.len()],
    /// The widest document window (microseconds): entries older than a close less this
    /// can never count again, and the close drops them.
    doc_window: i64,
    /// Per kind, whether the rules could hold an event of it for approval
    /// ([`Ledger::may_hold`]).
    may_hold: [bool; EventKind::ALL.len()],
    /// What the applied events of document-limited kinds measured, per kind and
    /// document, in effective-time order.
    pub(crate) documents: BTreeMap<(EventKind, DocumentRef), DocTotals>,
    /// The actor directory by canonical id (`None`: events' actors are trusted).
    directory: Option<Map<ActorId, ActorRecord>>,
}

impl Ledger {
    /// An empty ledger over `catalog`, governed by `rules`.
    ///
    /// # Errors
    /// [`LedgerError::InvalidRules`] when the rules do not fit the catalog.
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
    /// assert_eq!(ledger.seq(), 0);
    /// assert_eq!(ledger.positions().count(), 0);
    /// assert_eq!(ledger.closed_through(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(catalog: Arc<Catalog>, rules: Rules) -> Result<Self, LedgerError> {
        rules.check(&catalog)?;
        let site_has_bins = catalog.sites().map(|(_, s)| !s.bins.is_empty()).collect();
        let permits = rules.permission_masks();
        let mut measured = [false; EventKind::ALL.len()];
        let mut doc_limited = [false; EventKind::ALL.len()];
        for t in &rules.thresholds {
            if let Some(m) = measured.get_mut(t.kind as usize) {
                *m |= t.max_qty.is_some()
                    || t.max_value.is_some()
                    || t.max_event_qty.is_some()
                    || t.document.is_some();
            }
            if let Some(d) = doc_limited.get_mut(t.kind as usize) {
                *d |= t.document.is_some();
            }
        }
        let doc_window = rules
            .thresholds
            .iter()
            .filter_map(|t| t.document.as_ref())
            .map(|d| i64::from(d.window_hours).saturating_mul(3_600_000_000))
            .max()
            .unwrap_or(0);
        let may_hold = EventKind::ALL.map(|kind| may_hold(&rules, kind));
        let mut costs = Vec::new();
        if !rules.reference_costs.is_empty() {
            costs = vec![Decimal::ZERO; catalog.item_count()];
            for (code, cost) in &rules.reference_costs {
                // `rules.check` has confirmed every costed item is in the catalog.
                if let Some(c) = catalog.item_ix(code).and_then(|ix| costs.get_mut(ix.index())) {
                    *c = cost.0;
                }
            }
        }
        let directory = match &rules.identity {
            Identity::Directory(dir) => {
                let mut by_id = map();
                by_id.extend(dir.iter().map(|(id, r)| (id.canonical(), r.clone())));
                Some(by_id)
            }
            Identity::EventCarried => None,
        };
        Ok(Ledger {
            directory,
            positions: Positions::with_items(catalog.item_count()),
            catalog,
            rules,
            lots: Lots::default(),
            serials: map(),
            serials_at: map(),
            transfers: Transfers::default(),
            pending: BTreeMap::new(),
            seen: onhand_master::spread::SpreadMap::new(),
            posted: crate::chunked::ChunkedMap::default(),
            closed_through: None,
            entity_closed: BTreeMap::new(),
            recorded_through: None,
            seq: 0,
            site_has_bins,
            permits,
            measured,
            costs,
            doc_limited,
            doc_window,
            may_hold,
            documents: BTreeMap::new(),
        })
    }

    /// The catalog the ledger validates against.
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
    /// assert!(Arc::ptr_eq(ledger.catalog(), &catalog));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    /// The governance rules.
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
    /// assert_eq!(ledger.rules(), &rules);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Whether these rules could ever hold an event of `kind` for approval, whatever
    /// its lines and actor: `false` only when no approval threshold names the kind, no
    /// status move its lines can make needs a role, and it is not a transfer receipt
    /// (an over-receipt may need an approver). Period closes, reopenings, approvals and
    /// the other kinds that are not stock movements answer `true`. A host that must ask
    /// something only of events the ledger may hold (the facade checks their costs
    /// before the ledger decides) skips the rest.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_ledger::{EventKind, Ledger, Rules};
    /// # use onhand_master::{seed, Catalog, CurrencyCode};
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// let ledger = Ledger::new(catalog, Rules::standard(CurrencyCode::new("USD")?))?;
    /// // Receiving needs no approver; releasing quality-held stock needs one.
    /// assert!(!ledger.may_hold(EventKind::Receipt));
    /// assert!(ledger.may_hold(EventKind::StatusChange));
    /// assert!(ledger.may_hold(EventKind::ReopenPeriod));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn may_hold(&self, kind: EventKind) -> bool {
        self.may_hold.get(kind as usize).copied().unwrap_or(true)
    }

    /// How many state-changing events have been applied.
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
    /// assert_eq!(ledger.seq(), 0);
    /// let receipt = testing::receipt(1, "ATL", "BOLT-M8", "30 EA", "RCV-01")?;
    /// ledger.apply(&receipt)?;
    /// ledger.apply(&receipt)?;
    /// // The duplicate takes no sequence number.
    /// assert_eq!(ledger.seq(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The close time of the last closed period.
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
    /// use onhand_ledger::Body;
    /// use onhand_master::Role;
    /// assert_eq!(ledger.closed_through(), None);
    /// let close = testing::event(9, 60, testing::actor("fin-1", &[Role::Finance])?, "PERIOD-END",
    ///     testing::doc(onhand_ledger::DocKind::Internal, "D-9")?,
    ///     Body::ClosePeriod { through: testing::at(30), entity: None })?;
    /// ledger.apply(&close)?;
    /// assert_eq!(ledger.closed_through(), Some(testing::at(30)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn closed_through(&self) -> Option<DateTime<Utc>> {
        self.closed_through
    }

    /// The time `entity`'s own period is closed through (`None`: it has no close of
    /// its own, or is not in the catalog); its stock is closed through this or the
    /// network's [`closed_through`](Self::closed_through), whichever is later.
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
    /// use onhand_ledger::Body;
    /// use onhand_master::Role;
    /// let na01: onhand_master::EntityCode = "NA01".parse()?;
    /// let close = testing::event(9, 60, testing::actor("fin-1", &[Role::Finance])?, "PERIOD-END",
    ///     testing::doc(onhand_ledger::DocKind::Internal, "D-9")?,
    ///     Body::ClosePeriod { through: testing::at(30), entity: Some(na01.clone()) })?;
    /// ledger.apply(&close)?;
    /// assert_eq!(ledger.entity_closed_through(&na01), Some(testing::at(30)));
    /// assert_eq!(ledger.entity_closed_through(&"CA01".parse()?), None);
    /// assert_eq!(ledger.closed_through(), None, "the network stays open");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn entity_closed_through(
        &self,
        entity: &onhand_master::EntityCode,
    ) -> Option<DateTime<Utc>> {
        self.entity_closed.get(&self.catalog.entity_ix(entity)?).copied()
    }

    /// Validates `event` and applies it whole, holds it for approval, or rejects it with
    /// the reason; a rejected or pending event leaves every position exactly as it was.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use onhand_ledger::{Applied, Ledger, LedgerError, Rules, testing};
    /// use onhand_master::{seed, Catalog, CurrencyCode};
    ///
    /// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// let mut ledger = Ledger::new(catalog, rules)?;
    /// let before = ledger.state();
    /// // A receipt of an item the catalog does not hold: refused, nothing changes.
    /// let unknown = testing::receipt(1, "ATL", "NO-SUCH-ITEM", "5 EA", "RCV-01")?;
    /// assert!(matches!(ledger.apply(&unknown), Err(LedgerError::UnknownItem { .. })));
    /// assert!(ledger.state() == before);
    /// // A known one is accepted, and the same event again is a duplicate.
    /// let receipt = testing::receipt(2, "ATL", "BOLT-M8", "5 EA", "RCV-01")?;
    /// assert!(matches!(ledger.apply(&receipt)?, Applied::Accepted(_)));
    /// assert_eq!(ledger.apply(&receipt)?, Applied::Duplicate);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// The [`LedgerError`] saying why the event was rejected; first of all
    /// [`LedgerError::TimePrecision`] for a time finer than a microsecond (event times
    /// carry at most microsecond precision).
    pub fn apply(&mut self, event: &Event) -> Result<Applied, LedgerError> {
        self.apply_with(event, None)
    }

    /// [`Ledger::apply`], with the host's last word: when the event would change
    /// positions now (an event accepted, or an approval releasing a held one), `veto`
    /// is shown the ledger as it is and the changes planned, each position key once
    /// with its change, before anything is committed. Returning `false` refuses the
    /// event with [`LedgerError::Vetoed`], and nothing changes (a held event stays
    /// held). `veto` is asked at most once per call, as the last check: once it returns
    /// `true`, the ledger commits. A host whose other engines must follow every
    /// accepted event (the `onhand` facade: an availability engine with a bound on what
    /// an item-site holds, and books that carry amounts up to a bound) checks there that
    /// they can, or applies to them there, so the ledger never takes what they would
    /// refuse.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use onhand_ledger::{Applied, Ledger, LedgerError, Rules, testing};
    /// use onhand_master::{seed, Catalog, CurrencyCode, Decimal};
    ///
    /// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// let mut ledger = Ledger::new(catalog, rules)?;
    /// // No more than 100 of anything at a time.
    /// let mut at_most_100 = |l: &Ledger, changes: &[(onhand_ledger::PositionKey, Decimal)]| {
    ///     changes.iter().all(|(k, c)| l.measure(k.item, k.site, onhand_status::Measure::OnHand) + c <= Decimal::from(100))
    /// };
    /// let small = testing::receipt(1, "ATL", "BOLT-M8", "60 EA", "RCV-01")?;
    /// assert!(matches!(ledger.apply_vetted(&small, &mut at_most_100)?, Applied::Accepted(_)));
    /// let more = testing::receipt(2, "ATL", "BOLT-M8", "60 EA", "RCV-01")?;
    /// let err = ledger.apply_vetted(&more, &mut at_most_100).unwrap_err();
    /// assert!(matches!(err, LedgerError::Vetoed { .. }));
    /// assert!(matches!(ledger.apply(&more)?, Applied::Accepted(_))); // not seen before
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`Ledger::apply`], and [`LedgerError::Vetoed`].
    pub fn apply_vetted(
        &mut self,
        event: &Event,
        veto: &mut Veto<'_>,
    ) -> Result<Applied, LedgerError> {
        self.apply_with(event, Some(veto))
    }

    /// [`Ledger::apply`], with a veto or without.
    fn apply_with(
        &mut self,
        event: &Event,
        veto: Option<&mut Veto<'_>>,
    ) -> Result<Applied, LedgerError> {
        check_times(event)?;
        let fp = fingerprint(event);
        self.refuse_unrecorded(event)?;
        // The id is hashed and its slot found once: the id's shard of the index is set
        // aside while the event is dispatched (nothing there reads it), holding the slot
        // the id takes.
        let (shard, mut seen) = self.seen.take_for(&event.id);
        let vacant = match seen.entry(event.id) {
            Entry::Occupied(old) => {
                let known = *old.get() == fp;
                self.seen.put_back(shard, seen);
                return if known {
                    Ok(Applied::Duplicate)
                } else {
                    Err(LedgerError::IdReused { id: event.id })
                };
            }
            Entry::Vacant(vacant) => vacant,
        };
        // Returned as it is (not re-wrapped through `?`), so the outcome is not copied.
        let applied = self.dispatch(event, veto);
        if applied.is_ok() {
            vacant.insert(fp);
            if self.recorded_through.is_none_or(|r| r < event.recorded_at) {
                self.recorded_through = Some(event.recorded_at);
            }
        }
        self.seen.put_back(shard, seen);
        applied
    }

    /// The host's veto on `plan` for event `id`, if it has one.
    pub(crate) fn vet(
        &self,
        veto: Option<&mut Veto<'_>>,
        id: EventId,
        plan: &plan::Plan,
    ) -> Result<(), LedgerError> {
        if let Some(v) = veto
            && !v(self, &plan.changes)
        {
            return Err(LedgerError::Vetoed { id });
        }
        Ok(())
    }

    pub(crate) fn site(&self, code: &SiteCode) -> Result<SiteIx, LedgerError> {
        self.catalog.site_ix(code).ok_or_else(|| LedgerError::UnknownSite { site: code.clone() })
    }

    pub(crate) fn check_scope(event: &Event, site: &SiteCode) -> Result<(), LedgerError> {
        if event.actor.sites.covers(site) {
            Ok(())
        } else {
            Err(LedgerError::OutOfScope { actor: event.actor.id.clone(), site: site.clone() })
        }
    }

    /// The event with its actor's roles and sites as the rules' identity says: from the
    /// directory (by canonical id, valid at the recorded time), or as carried.
    pub(crate) fn resolve<'e>(&self, event: &'e Event) -> Result<Cow<'e, Event>, LedgerError> {
        let Some(directory) = &self.directory else { return Ok(Cow::Borrowed(event)) };
        let id = &event.actor.id;
        let record = directory
            .get(&id.canonical())
            .ok_or_else(|| LedgerError::UnknownActor { actor: id.clone() })?;
        if !record.valid_at(event.recorded_at) {
            return Err(LedgerError::ActorNotValid { actor: id.clone(), at: event.recorded_at });
        }
        if event.actor.roles == record.roles && event.actor.sites == record.sites {
            return Ok(Cow::Borrowed(event));
        }
        let mut resolved = event.clone();
        resolved.actor.roles.clone_from(&record.roles);
        resolved.actor.sites.clone_from(&record.sites);
        Ok(Cow::Owned(resolved))
    }

    fn dispatch(
        &mut self,
        submitted: &Event,
        veto: Option<&mut Veto<'_>>,
    ) -> Result<Applied, LedgerError> {
        let resolved = self.resolve(submitted)?;
        let event: &Event = &resolved;
        let kind = event.kind();
        if !matches!(kind, EventKind::ClosePeriod | EventKind::ReopenPeriod) {
            self.check_period(event.effective_at)?;
        }
        if !self.rules.accepts_reason(kind, &event.reason) {
            return Err(LedgerError::ReasonNotAllowed { kind, reason: event.reason.clone() });
        }
        let allowed = self.permits.get(kind as usize).copied().unwrap_or(0);
        if !matches!(kind, EventKind::Approve | EventKind::Reject)
            && allowed & crate::rules::role_mask(&event.actor.roles) == 0
        {
            return Err(LedgerError::NotPermitted {
                actor: event.actor.id.clone(),
                kind,
                allowed: self.rules.permissions.get(&kind).cloned().unwrap_or_default(),
            });
        }
        match &event.body {
            Body::Approve { event: target } => self.approve(event, *target, veto),
            Body::Reject { event: target } => self.reject(event, *target),
            Body::ClosePeriod { through, entity } => {
                let entity = self.entity(entity.as_ref())?;
                self.check_close(event, *through, entity)?;
                match self.rules.period_close.approver {
                    Some(role) => Ok(self.hold(submitted, vec![role])),
                    None => Ok(self.close_period(*through, entity)),
                }
            }
            Body::ReopenPeriod { to, entity } => {
                let entity = self.entity(entity.as_ref())?;
                self.check_reopen(event, *to, entity)?;
                Ok(self.hold(submitted, vec![self.rules.period_close.reopen_approver]))
            }
            Body::TransferRequest(req) => self.transfer_request(event, req),
            Body::TransferApprove => self.transfer_approve(event),
            Body::Receipt(_)
            | Body::Putaway(_)
            | Body::Pick(_)
            | Body::Ship(_)
            | Body::TransferShip(_)
            | Body::TransferReceipt(_)
            | Body::CustomerReturn(_)
            | Body::Disposition(_)
            | Body::Adjustment(_)
            | Body::CycleCount(_)
            | Body::StatusChange(_)
            | Body::Scrap(_)
            | Body::Reversal { .. }
            | Body::SupplierReturn(_)
            | Body::TransferClose => {
                let mut plan = self.plan_for(event);
                self.plan(event, &[], &mut plan)?;
                let mut needs = plan.role_needs.clone();
                for role in self.threshold_needs(event, &plan) {
                    if !needs.contains(&role) {
                        needs.push(role);
                    }
                }
                if needs.is_empty() {
                    self.vet(veto, event.id, &plan)?;
                    self.commit(&mut plan)
                } else {
                    Ok(self.hold(submitted, needs))
                }
            }
        }
    }
}

/// Refuses an event carrying a time finer than a microsecond
/// ([`LedgerError::TimePrecision`]): event times carry at most microsecond precision.
/// The ledger keeps positions' history, records and closes in microseconds but has the
/// event's own times in whole, so a finer part would count in some comparisons and not
/// in others (a pick 800 ns before the receipt it draws on landed on the receipt's
/// microsecond and passed the back-dated check). Checked first, before anything is
/// looked up or changed, and again when a held event is approved.
pub(crate) fn check_times(event: &Event) -> Result<(), LedgerError> {
    let whole = |field: &'static str, at: DateTime<Utc>| {
        if at.timestamp_subsec_nanos().is_multiple_of(1_000) {
            Ok(())
        } else {
            Err(LedgerError::TimePrecision { field, at })
        }
    };
    whole("effective_at", event.effective_at)?;
    whole("recorded_at", event.recorded_at)?;
    match &event.body {
        Body::ClosePeriod { through, .. } => whole("through", *through),
        Body::ReopenPeriod { to, .. } => to.map_or(Ok(()), |to| whole("to", to)),
        Body::TransferRequest(req) => {
            req.expected_arrival.map_or(Ok(()), |at| whole("expected_arrival", at))
        }
        Body::Receipt(_)
        | Body::Putaway(_)
        | Body::Pick(_)
        | Body::Ship(_)
        | Body::TransferShip(_)
        | Body::TransferReceipt(_)
        | Body::CustomerReturn(_)
        | Body::Disposition(_)
        | Body::Adjustment(_)
        | Body::CycleCount(_)
        | Body::StatusChange(_)
        | Body::Scrap(_)
        | Body::TransferApprove
        | Body::TransferClose
        | Body::Approve { .. }
        | Body::Reject { .. }
        | Body::Reversal { .. }
        | Body::SupplierReturn(_) => Ok(()),
    }
}

/// Whether `rules` could hold an event of `kind` for approval (see
/// [`Ledger::may_hold`]): a stock movement is held only for a threshold of its kind, a
/// status move that needs a role, or (a transfer receipt) an over-receipt, the only
/// sources of a plan's needs.
fn may_hold(rules: &Rules, kind: EventKind) -> bool {
    let Some(movement) = lines::movement_of(kind) else { return true };
    if kind == EventKind::TransferReceipt || rules.thresholds.iter().any(|t| t.kind == kind) {
        return true;
    }
    onhand_status::all_moves().any(|(_, m)| {
        m.movement == movement && matches!(m.approval, onhand_status::Approval::Role(_))
    })
}
