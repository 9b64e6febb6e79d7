//! The network's KPIs: every accepted event and every order call, translated into the
//! [`Record`]s of [`onhand_insight`] and fed to the network's own [`Insight`].
//!
//! The translation is one table, applied to what the engines decided (never to what a
//! caller asked for), so a rejected, pending or duplicate event feeds nothing:
//!
//! | call or event | records |
//! |---|---|
//! | `reserve`, `allocate` | an order line created (the first time), then promised: the schedule's quantities at their shipping sites, dated when the stock is available there (the ship date) |
//! | `reduce`, `reprocess` | the line promised again, as it now stands |
//! | `release`, a reservation expiring | the promise withdrawn (an empty schedule): the line stays in the figures, unfilled until it ships |
//! | shipment naming a booked order line (`doc_line`) | the line shipped; complete once everything ordered has shipped |
//! | receipt against a purchase order line with an expected receipt naming a supplier | a supplier receipt per item, valued at its inventory postings |
//! | adjustment | one adjustment per item: net quantity, and the value of its inventory postings |
//! | cycle count | one count per counted location: book, counted, the ledger's tolerance for the item's class, the counter (the posting actor), the value of the item's inventory postings shared by variance |
//! | transfer request, approval, shipment, receipt, close | the transfer lines (numbered as on the order, from 1) requested (valued at the sender's current cost), approved, shipped (each shipment of a line until it is complete: the first starts its transit), received (good, over and damaged), closed (with what the close wrote off: shipped, never received, which receipt accuracy counts as a receipt short by it) |
//! | customer return (a line naming its shipment: `original`) | the order line that shipment shipped, returned: quantity, the return's reason, and what the goods were found to be on arrival (into damaged or scrapped: damaged; into available: sound; else awaiting inspection) |
//! | disposition of a return authorisation's goods out of return pending | the inspection of the authorisation's pending returns of the item, oldest first: into available sound, into damaged or scrapped damaged (a damaged return takes its order out of perfect condition, SCOR RL.2.4) |
//! | stock moved into damaged, quality hold or scrapped (a scrap, a disposition, a status change) | stock damaged, held or scrapped, valued at the pool's current cost |
//! | period close (the network's, or one entity's) | the books as they stand: per entity and site the stock's value; per FIFO layer its quantity, value and the day the event that opened it took effect (aging); per transfer line in transit its quantity, value, owner and expected arrival. A pool kept per entity (not per site) is shared among the entity's sites in proportion to the valuated stock each holds: the books do not say which units are where, so its per-site figures are an allocation (entity and network figures are exact) |
//! | postings to cost of sales | cost of sales per entity and site (a reversed shipment's reversing postings: negative) |
//! | reversal of a receipt, shipment, scrap or adjustment | every record insight took from the original, undone ([`Reversed`]): a reversed shipment un-ships its order lines (fill rates, promise accuracy and perfect orders count the line without it; the line is open again and ships anew), a reversed supplier receipt leaves its supplier's receipts (and the follow-up detector's sample while inside its window), a reversed adjustment leaves the adjustment volume (count, units, value by reason, site and actor), a reversed scrap or damaging receipt leaves the damage figures. The stock a reversal moves back into damaged or hold is not new damage and feeds nothing |
//! | return to supplier (lines naming their purchase receipt, `original`) | per supplier and item, goods returned ([`SupplierReturned`]), valued at the return's inventory postings: trouble charged to that supplier's receipts of the item at the site still inside their follow-up window, as an adjustment or damage would be (the detector of adjustments after receipts); the receipt's own figures stay (goods did arrive) |
//!
//! Quantities are in the item's base unit. The network learns of shipments, not of
//! deliveries (no event confirms a customer's receipt), so order lines are fulfilled on
//! their shipments ([`Basis::Shipment`]): a shipment counts as delivered on the day it
//! ships, and perfect order fulfillment's condition and documentation hold unless a host
//! feeds [`OrderLineDelivered`](onhand_insight::OrderLineDelivered) records itself.
//!
//! **Not fed.** Customer returns that name no shipment the feed saw ship a booked order
//! line (no `original`, or a shipment of a line booked without a customer), and
//! inspections of goods no traced return brought, count in [`FeedStats::untraced_returns`]:
//! insight cannot tell which order they concern. An inspection under another document
//! than the return's takes the oldest traced returns of the item awaiting inspection at
//! its site. Average and
//! standard cost pools have no layers and add no aging. A return to supplier naming a
//! receipt the feed did not take as a supplier receipt (no expected receipt naming a
//! supplier, or taken before a snapshot of an older version, which lacks them) feeds
//! nothing, and a reversal of an
//! event that fed insight nothing undoes nothing in it. The records a reversal may
//! take back are kept per original event for as long as the network lives (as the
//! ledger keeps its record of each posted event), and travel in snapshots.
//! An order line's requested date for the fill rates is the ship-by date: the requested
//! delivery date less the lead of its first promise (delivery less availability), and
//! never before the day the line is booked (a request sooner than the lane takes is due
//! to ship at once, not already late when it is taken).
//!
//! **Time.** Records carry the event's effective time (order calls: the network's
//! time), but insight takes records in time order. The feed hands them over in the order
//! the network accepted them, and never lets time go back: a record older than the
//! newest fed is fed at the newest time (it is news now; [`FeedStats::late`] counts
//! them). So the feed never refuses a back-dated event, and the same journal gives the
//! same records.
//!
//! **Never in the way.** The ledger has decided when the feed runs: a record insight
//! refuses changes nothing in the network and nothing in insight; it is counted in
//! [`FeedStats::refused`] with the first refusal's code, so a test can require none.
//! A record with a quantity or amount beyond what insight carries exactly (10^12 in
//! magnitude, where the ledger and the books carry 10^15) is not a defect: it is left
//! out of the figures and counted in [`FeedStats::beyond_range`].
//!
//! **Replay.** A count's variance is measured against the book as it stood, so only the
//! network's own replay can recompute the records of a journal:
//! [`Network::replay_insight`] replays a journal into a fresh network and returns its
//! insight, figure for figure what the live feed built.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use onhand_atp::{LineId, Promise};
use onhand_insight::{
    Adjusted, Basis, Config, CostOfSales, CountRecorded, DamageKind, InTransitHeld, Insight,
    InsightSnapshot, LineRef, OrderLineCreated, OrderLinePromised, OrderLineReturned,
    OrderLineShipped, Period, Record, Report, ReturnCondition, ReturnInspected, Reversed,
    Scheduled, StockDamaged, StockLayer, StockValued, SupplierReceipt, SupplierReturned,
    TransferApproved, TransferClosed, TransferReceived, TransferRef, TransferRequested,
    TransferShipped,
};
use onhand_ledger::{
    Accepted, Body, DocKind, DocNumber, Event, EventId, EventKind, ReasonCode, Rules,
    Signal as LedgerSignal,
};
use onhand_master::{
    Catalog, CustomerGroupCode, EntityCode, EntityIx, ItemCode, ItemIx, MasterData, Money, Qty,
    QtyDelta, RoundingMode, SiteCode, SiteIx, SupplierCode, UomCode,
};
use onhand_status::StockStatus;
use onhand_valuation::{PostingKey, TransferNo};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::config::NetworkConfig;
use crate::error::Error;
use crate::journal::{Command, Entry};
use crate::network::Network;
use crate::orders::{OrderRef, OrderRequest};
use crate::outcome::Outcome;

/// The customer group of order lines whose customer has none.
pub const UNGROUPED: &str = "UNGROUPED";

/// One site's working calendar, for count variances by shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteCalendar {
    /// The site.
    pub site: SiteCode,
    /// Minutes to add to UTC for the site's local time.
    #[serde(default)]
    pub utc_offset_minutes: i32,
    /// Local start times of the shifts, ascending (empty: one shift).
    #[serde(default)]
    pub shift_starts: Vec<chrono::NaiveTime>,
}

/// How the network keeps its KPIs.
///
/// ```
/// use onhand::InsightSettings;
/// let s: InsightSettings = serde_json::from_str("{}")?;
/// assert!(s.enabled);
/// assert_eq!(s.recurrence_window, 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InsightSettings {
    /// Whether the network keeps KPIs at all (default: yes).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Site calendars; sites not listed are on UTC with one shift.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calendars: Vec<SiteCalendar>,
    /// A count out of tolerance recurs when one of the item-site's previous this-many
    /// counts was out of tolerance too (1 to 32; default 3).
    #[serde(default = "default_recurrence")]
    pub recurrence_window: u8,
    /// Adjustments and damage within this many days of a supplier's receipt count
    /// against it (default 7).
    #[serde(default = "default_follow")]
    pub follow_days: u32,
    /// Upper bounds in days of the aging buckets (default 30, 60, 90, 180, 365).
    #[serde(default = "default_aging")]
    pub aging_buckets: Vec<u32>,
}

fn yes() -> bool {
    true
}
fn default_recurrence() -> u8 {
    3
}
fn default_follow() -> u32 {
    7
}
fn default_aging() -> Vec<u32> {
    vec![30, 60, 90, 180, 365]
}

impl Default for InsightSettings {
    fn default() -> Self {
        InsightSettings {
            enabled: true,
            calendars: Vec::new(),
            recurrence_window: default_recurrence(),
            follow_days: default_follow(),
            aging_buckets: default_aging(),
        }
    }
}

impl InsightSettings {
    /// The insight configuration for `master`: its sites with their entities and
    /// regions, these calendars and windows, fulfilment on shipment, no lateness.
    ///
    /// # Errors
    /// [`Error::Insight`] for a calendar naming an unknown site, or settings insight
    /// refuses ([`Config::validate`]).
    pub fn config(&self, master: &MasterData) -> Result<Config, Error> {
        let mut config = Config::from_master(master)?;
        for c in &self.calendars {
            let site = config.sites.iter_mut().find(|s| s.site == c.site).ok_or_else(|| {
                Error::Insight(onhand_insight::InsightError::UnknownSite(c.site.clone()))
            })?;
            site.utc_offset_minutes = c.utc_offset_minutes;
            site.shift_starts.clone_from(&c.shift_starts);
        }
        config.basis = Basis::Shipment;
        config.lateness_secs = 0;
        config.recurrence_window = self.recurrence_window;
        config.follow_days = self.follow_days;
        config.aging_buckets.clone_from(&self.aging_buckets);
        config.validate()?;
        Ok(config)
    }
}

/// What the feed did: records fed, held back in time, refused.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FeedStats {
    /// Records insight took in.
    pub records: u64,
    /// Of them, records fed at a later time than their own (back-dated events).
    pub late: u64,
    /// Records insight refused (none, unless the translation has a defect).
    pub refused: u64,
    /// The first refusal: the record's kind and insight's error code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_refusal: Option<(String, String)>,
    /// Shipments naming an order line insight was never told of (never booked, or
    /// booked without a customer), and transfer steps insight cannot take (a second
    /// shipment of a line, a receipt after the line was complete).
    pub unmatched: u64,
    /// Order lines booked without a customer (insight needs one).
    pub skipped_lines: u64,
    /// Customer returns, and inspections of returned goods, that name no order line the
    /// feed follows (a return without its original shipment, or of a shipment of a line
    /// booked without a customer): not order-line returns, so insight is not told.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub untraced_returns: u64,
    /// Records left out because a quantity or amount in them is beyond what insight
    /// carries exactly (10^12 in magnitude; the ledger takes lines up to 10^15 and the
    /// books amounts up to 10^15): the figures leave them out, and say so here.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub beyond_range: u64,
}

/// Counts one more (a count restored from a snapshot may already be at the top: it
/// stays there).
fn bump(count: &mut u64) {
    *count = count.saturating_add(1);
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if passes a reference"
)]
fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// An order line as the feed knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FedLine {
    uom: UomCode,
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    ordered: Decimal,
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    shipped: Decimal,
}

impl FedLine {
    fn complete(&self) -> bool {
        self.shipped >= self.ordered
    }
}

/// A transfer line as the feed knows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FedTransfer {
    /// What the line requests, in base units.
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    requested: Decimal,
    approved: bool,
    /// What its shipments shipped, in base units (`None`: nothing yet).
    #[serde(default, deserialize_with = "onhand_master::decimal::serde_str::option::deserialize")]
    shipped: Option<Decimal>,
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    accounted: Decimal,
    closed: bool,
}

/// The network's insight and what the feed keeps to translate.
#[derive(Debug, Clone)]
pub(crate) struct Feed {
    insight: Insight,
    clock: Option<DateTime<Utc>>,
    lines: BTreeMap<OrderRef, FedLine>,
    transfers: BTreeMap<TransferRef, FedTransfer>,
    suppliers: BTreeMap<(DocNumber, u32), SupplierCode>,
    /// The day each event that brought stock into the books took effect, by journal
    /// sequence: the receipt days of FIFO layers (a layer's origin is a cost event id).
    origins: BTreeMap<u64, NaiveDate>,
    /// The order line each sales shipment shipped, per item: what a customer return
    /// naming the shipment (`Line::original`) brings back.
    shipped: BTreeMap<(EventId, ItemCode), OrderRef>,
    /// Returned goods awaiting inspection, per return authorisation and item.
    returns: BTreeMap<(DocNumber, ItemCode), Vec<PendingReturn>>,
    /// The records insight took from each receipt, shipment, scrap and adjustment that
    /// a reversal may name (supplier receipts, shipped order lines, adjustments,
    /// damage): what its reversal takes back out, and the supplier a return to
    /// supplier names through its receipt. Dropped once reversed.
    fed: BTreeMap<EventId, Vec<Record>>,
    stats: FeedStats,
    /// The records of the event being fed, emptied after each: kept so that feeding an
    /// event allocates nothing for them (a record is large enough that a fresh list of
    /// them missed the allocator's fast path, 2% of a network event).
    scratch: Vec<Record>,
}

/// Returned goods of an order line awaiting inspection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PendingReturn {
    line: OrderRef,
    site: SiteCode,
    /// In base units.
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    qty: Decimal,
    reason: ReasonCode,
}

/// A transfer line in transit: owner, quantity, value, expected arrival.
type Transit = (EntityCode, Decimal, Money, Option<DateTime<Utc>>);

/// The feed's part of a network snapshot: insight's whole state
/// ([`InsightSnapshot`]) and what the feed keeps to translate (its clock, the order and
/// transfer lines it follows, the suppliers of expected receipts, its statistics).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FeedSnapshot {
    insight: InsightSnapshot,
    clock: Option<DateTime<Utc>>,
    lines: Vec<(OrderRef, FedLine)>,
    transfers: Vec<(TransferRef, FedTransfer)>,
    suppliers: Vec<(DocNumber, u32, SupplierCode)>,
    origins: Vec<(u64, NaiveDate)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    shipped: Vec<(EventId, ItemCode, OrderRef)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    returns: Vec<(DocNumber, ItemCode, Vec<PendingReturn>)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    fed: Vec<(EventId, Vec<Record>)>,
    stats: FeedStats,
}

/// The feed's state borrowed, for the network digest.
#[derive(Serialize)]
pub(crate) struct FeedState<'a, S: Serialize> {
    insight: S,
    clock: &'a Option<DateTime<Utc>>,
    lines: &'a BTreeMap<OrderRef, FedLine>,
    transfers: &'a BTreeMap<TransferRef, FedTransfer>,
    suppliers: &'a BTreeMap<(DocNumber, u32), SupplierCode>,
    origins: &'a BTreeMap<u64, NaiveDate>,
    #[serde(skip_serializing_if = "empty")]
    shipped: &'a BTreeMap<(EventId, ItemCode), OrderRef>,
    #[serde(skip_serializing_if = "empty")]
    returns: &'a BTreeMap<(DocNumber, ItemCode), Vec<PendingReturn>>,
    #[serde(skip_serializing_if = "empty")]
    fed: &'a BTreeMap<EventId, Vec<Record>>,
    stats: &'a FeedStats,
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if passes a reference to the field"
)]
fn empty<K, V>(m: &&BTreeMap<K, V>) -> bool {
    m.is_empty()
}

fn invalid(what: String) -> Error {
    Error::InvalidSnapshot { part: "insight", what }
}

impl Feed {
    /// The feed's part of a network snapshot.
    pub(crate) fn snapshot(&self) -> FeedSnapshot {
        FeedSnapshot {
            insight: self.insight.snapshot(),
            clock: self.clock,
            lines: self.lines.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            transfers: self.transfers.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            suppliers: self
                .suppliers
                .iter()
                .map(|((o, l), s)| (o.clone(), *l, s.clone()))
                .collect(),
            origins: self.origins.iter().map(|(k, v)| (*k, *v)).collect(),
            shipped: self.shipped.iter().map(|((e, i), l)| (*e, i.clone(), l.clone())).collect(),
            returns: self
                .returns
                .iter()
                .map(|((n, i), p)| (n.clone(), i.clone(), p.clone()))
                .collect(),
            fed: self.fed.iter().map(|(e, r)| (*e, r.clone())).collect(),
            stats: self.stats.clone(),
        }
    }

    /// The feed's state without copying it (see [`Network::digest`]).
    pub(crate) fn state(&self) -> FeedState<'_, impl Serialize + '_> {
        FeedState {
            insight: self.insight.state(),
            clock: &self.clock,
            lines: &self.lines,
            transfers: &self.transfers,
            suppliers: &self.suppliers,
            origins: &self.origins,
            shipped: &self.shipped,
            returns: &self.returns,
            fed: &self.fed,
            stats: &self.stats,
        }
    }

    /// The feed `snap` holds, for a network over `catalog` keeping insight under
    /// `settings`.
    ///
    /// # Errors
    /// [`Error::SnapshotMismatch`] when the settings give insight another configuration
    /// than the snapshot's; [`Error::Insight`] for a state insight refuses
    /// ([`Insight::restore`]); [`Error::InvalidSnapshot`] for a line, transfer line or
    /// expected receipt twice.
    pub(crate) fn restore(
        catalog: &Catalog,
        settings: &InsightSettings,
        snap: &FeedSnapshot,
    ) -> Result<Box<Feed>, Error> {
        if *snap.insight.config() != settings.config(catalog.data())? {
            return Err(Error::SnapshotMismatch { part: "insight" });
        }
        let insight = Insight::restore(&snap.insight)?;
        let mut lines = BTreeMap::new();
        let in_range = crate::snapshot::in_range;
        for (k, v) in &snap.lines {
            // Later shipments add to these: a figure an edit pushed past the range would
            // overflow them.
            if !in_range(v.ordered) || !in_range(v.shipped) {
                return Err(invalid(format!("order line {k}: out of range")));
            }
            if lines.insert(k.clone(), v.clone()).is_some() {
                return Err(invalid(format!("order line {k} twice")));
            }
        }
        let mut transfers = BTreeMap::new();
        for (k, v) in &snap.transfers {
            if !in_range(v.requested)
                || !in_range(v.accounted)
                || v.shipped.is_some_and(|q| !in_range(q))
            {
                return Err(invalid(format!(
                    "transfer line {}/{}: out of range",
                    k.transfer, k.line
                )));
            }
            if transfers.insert(k.clone(), v.clone()).is_some() {
                return Err(invalid(format!("transfer line {}/{} twice", k.transfer, k.line)));
            }
        }
        let mut suppliers = BTreeMap::new();
        for (o, l, s) in &snap.suppliers {
            if suppliers.insert((o.clone(), *l), s.clone()).is_some() {
                return Err(invalid(format!("the supplier of {o}/{l} twice")));
            }
        }
        let mut origins = BTreeMap::new();
        for (seq, day) in &snap.origins {
            if origins.insert(*seq, *day).is_some() {
                return Err(invalid(format!("the receipt day of journal entry {seq} twice")));
            }
        }
        let mut shipped = BTreeMap::new();
        for (e, i, l) in &snap.shipped {
            if shipped.insert((*e, i.clone()), l.clone()).is_some() {
                return Err(invalid(format!("the order line of shipment {e} of {i} twice")));
            }
        }
        let mut returns = BTreeMap::new();
        for (n, i, p) in &snap.returns {
            if p.iter().any(|r| r.qty <= Decimal::ZERO) {
                return Err(invalid(format!("return {n} of {i}: nothing awaiting inspection")));
            }
            if returns.insert((n.clone(), i.clone()), p.clone()).is_some() {
                return Err(invalid(format!("the returns of {n} of {i} twice")));
            }
        }
        let mut fed = BTreeMap::new();
        for (e, records) in &snap.fed {
            if let Some(r) = records.iter().find(|r| !reversible(r)) {
                return Err(invalid(format!("event {e}: a {} record to reverse", r.kind())));
            }
            if fed.insert(*e, records.clone()).is_some() {
                return Err(invalid(format!("the records of event {e} twice")));
            }
        }
        Ok(Box::new(Feed {
            insight,
            clock: snap.clock,
            lines,
            transfers,
            suppliers,
            origins,
            shipped,
            returns,
            fed,
            stats: snap.stats.clone(),
            scratch: Vec::new(),
        }))
    }

    /// A feed for `catalog` with `settings`, or `None` when they turn insight off.
    pub(crate) fn new(
        catalog: &Catalog,
        settings: &InsightSettings,
    ) -> Result<Option<Box<Feed>>, Error> {
        if !settings.enabled {
            return Ok(None);
        }
        let insight = Insight::new(settings.config(catalog.data())?)?;
        Ok(Some(Box::new(Feed {
            insight,
            clock: None,
            lines: BTreeMap::new(),
            transfers: BTreeMap::new(),
            suppliers: BTreeMap::new(),
            origins: BTreeMap::new(),
            shipped: BTreeMap::new(),
            returns: BTreeMap::new(),
            fed: BTreeMap::new(),
            stats: FeedStats::default(),
            scratch: Vec::new(),
        })))
    }

    /// The time a record of time `at` is fed at: never before the newest fed.
    fn at(&mut self, at: DateTime<Utc>) -> DateTime<Utc> {
        match self.clock {
            Some(c) if c > at => {
                bump(&mut self.stats.late);
                c
            }
            _ => {
                self.clock = Some(at);
                at
            }
        }
    }

    /// Feeds `record`: whether insight took it.
    fn push(&mut self, record: &Record) -> bool {
        match self.insight.apply(record) {
            Ok(()) => {
                bump(&mut self.stats.records);
                true
            }
            Err(onhand_insight::InsightError::BeyondRange { .. }) => {
                bump(&mut self.stats.beyond_range);
                false
            }
            Err(e) => {
                bump(&mut self.stats.refused);
                if self.stats.first_refusal.is_none() {
                    self.stats.first_refusal = Some((record.kind().into(), e.code().into()));
                }
                false
            }
        }
    }
}

/// Whether a reversal of the event a record came from takes it back out of insight
/// ([`Reversed`]).
fn reversible(record: &Record) -> bool {
    matches!(
        record,
        Record::SupplierReceipt(_)
            | Record::OrderLineShipped(_)
            | Record::Adjusted(_)
            | Record::StockDamaged(_)
    )
}

fn line_ref(r: &OrderRef) -> LineRef {
    LineRef { order: r.order.clone(), line: r.line }
}

/// `total` shared over `parts` in proportion, rounded to `currency`, the last part
/// taking what is left so the shares add up to `total` exactly.
fn share(total: Money, parts: &[Decimal]) -> Vec<Money> {
    let whole: Decimal = parts.iter().map(Decimal::abs).sum();
    let mut out = Vec::with_capacity(parts.len());
    let mut left = total.amount();
    for (i, p) in parts.iter().enumerate() {
        let amount = if i + 1 == parts.len() {
            left
        } else if whole.is_zero() {
            Decimal::ZERO
        } else {
            let raw = total.amount().checked_mul(p.abs()).and_then(|v| v.checked_div(whole));
            let m = Money::new(raw.unwrap_or(Decimal::ZERO), total.currency());
            m.round(RoundingMode::HalfEven).map_or(Decimal::ZERO, Money::amount)
        };
        left -= amount;
        out.push(Money::new(amount, total.currency()));
    }
    out
}

/// `total` split over `parts` in proportion, to six decimal places, the last part
/// taking what is left so the parts add up to `total` exactly.
fn split(total: Decimal, parts: &[Decimal]) -> Vec<Decimal> {
    let whole: Decimal = parts.iter().map(Decimal::abs).sum();
    let mut out = Vec::with_capacity(parts.len());
    let mut left = total;
    for (i, p) in parts.iter().enumerate() {
        let q = if i + 1 == parts.len() {
            left
        } else {
            total
                .checked_mul(p.abs())
                .and_then(|v| v.checked_div(whole))
                .map_or(Decimal::ZERO, |v| v.round_dp(6).normalize())
        };
        left -= q;
        out.push(q);
    }
    out
}

impl Network {
    /// The network's KPI and anomaly state (`None` when
    /// [`InsightSettings::enabled`] is off). Ask it anything [`Insight`] answers:
    /// [`Insight::orders`], [`Insight::counts`], [`Insight::transfers`],
    /// [`Insight::detect`], ...
    ///
    /// ```
    /// use onhand::insight::{Dim, Grain, Period, Ratio};
    /// use onhand::ledger::{testing, Body, Count, CountLine, DocKind, ReferenceCost, Rules};
    /// use onhand::master::{seed, CurrencyCode, Role};
    /// use onhand::{Network, NetworkConfig};
    ///
    /// let mut rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// rules.reference_costs.insert("BOLT-M8".parse()?, ReferenceCost("0.085".parse()?));
    /// let mut n =
    ///     Network::new(seed::demo_network(), rules, NetworkConfig::default(), testing::at(-60))?;
    /// n.apply(&testing::receipt_to(1, "ATL", "BOLT-M8", "2 CS", "PF-A01", "available")?)?;
    /// // A count finds 200 of the 240 on the books: out of tolerance.
    /// let line = CountLine {
    ///     item: "BOLT-M8".parse()?, bin: Some("PF-A01".parse()?), lot: None, status: None,
    ///     counted: "200 EA".parse()?, serials: Vec::new(), owner: None,
    /// };
    /// let count = Body::CycleCount(Count { site: "ATL".parse()?, lines: vec![line] });
    /// let counter = testing::actor("inv.control", &[Role::InventoryControl])?;
    /// n.apply(&testing::event(2, 60, counter, "CYCLE", testing::doc(DocKind::Count, "CC-1")?, count)?)?;
    ///
    /// let month = Period::containing(Grain::Month, testing::at(0).date_naive());
    /// let counts = n.insight().ok_or("insight is on by default")?.counts(month, &Dim::Network)?;
    /// assert_eq!(counts.accuracy, Ratio::of_counts(0, 1));
    /// assert_eq!(counts.net_units.to_string(), "-40");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn insight(&self) -> Option<&Insight> {
        self.insight.as_deref().map(|f| &f.insight)
    }

    /// What the feed into [`Network::insight`] did.
    #[must_use]
    pub fn insight_feed(&self) -> Option<&FeedStats> {
        self.insight.as_deref().map(|f| &f.stats)
    }

    /// Every KPI of `period`, by every dimension with figures in it.
    ///
    /// # Errors
    /// [`Error::Config`] when insight is off; [`Error::Insight`] for a sum beyond the
    /// decimal range.
    pub fn kpi_report(&self, period: Period) -> Result<Report, Error> {
        let insight = self
            .insight()
            .ok_or_else(|| Error::Config { what: "insight is off in this network".into() })?;
        Ok(insight.report(period)?)
    }

    /// Takes in KPI history from before the network went live (the records of the
    /// system it replaces, or of a period before its journal starts): the KPIs and the
    /// detectors then have a baseline from the first day. The records go in in order,
    /// all or none: a record insight refuses (one out of time order, an unknown site, a
    /// step a transfer line never had) refuses the import, and nothing is taken. The
    /// import is journaled, so a replay takes the same history at the same point.
    ///
    /// Import before the events it precedes: insight takes records in time order, so
    /// history older than what the network has fed already is refused as out of order.
    /// An event the network takes afterwards that is older than the history feeds
    /// insight at the history's newest time (counted late, as a back-dated event is).
    ///
    /// ```
    /// use onhand::insight::{CountRecorded, Dim, Grain, Period, Ratio, Record};
    /// use onhand::ledger::{testing, Rules};
    /// use onhand::master::{seed, CurrencyCode, Money, VelocityClass};
    /// use onhand::{Network, NetworkConfig};
    ///
    /// let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// let mut n =
    ///     Network::new(seed::demo_network(), rules, NetworkConfig::default(), testing::at(-600))?;
    /// // A count from the old system, `minutes` from the epoch: 118 found where the book
    /// // said 120.
    /// let count = |minutes| -> Result<Record, Box<dyn std::error::Error>> {
    ///     Ok(Record::CountRecorded(CountRecorded {
    ///         at: testing::at(minutes), item: "BOLT-M8".parse()?, site: "ATL".parse()?,
    ///         bin: None, class: VelocityClass::A, counter: "inv.control".parse()?,
    ///         book: "120 EA".parse()?, counted: "118 EA".parse()?, tolerance: "1 EA".parse()?,
    ///         variance_value: Money::new("-0.17".parse()?, CurrencyCode::new("USD")?),
    ///     }))
    /// };
    /// n.import_insight(&[count(-300)?])?;
    /// let month = Period::containing(Grain::Month, testing::at(0).date_naive());
    /// let counts = n.insight().ok_or("insight is on")?.counts(month, &Dim::Network)?;
    /// assert_eq!(counts.accuracy, Ratio::of_counts(0, 1));
    /// // A record out of time order refuses the whole import.
    /// let late = count(-400)?;
    /// assert_eq!(n.import_insight(&[late]).unwrap_err().code(), "out_of_order");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Config`] when insight is off or the network is one partition of the
    /// items (history is imported into the whole network); [`Error::HistoryRecord`] for
    /// a record insight refuses, with its position; [`Error::Poisoned`] and the
    /// journal's errors, as for every call.
    pub fn import_insight(&mut self, records: &[Record]) -> Result<(), Error> {
        self.check_live()?;
        if self.config.partition.is_some() {
            return Err(Error::Config {
                what: "KPI history is imported into the whole network, not a partition".into(),
            });
        }
        let feed = self
            .insight
            .as_deref()
            .ok_or_else(|| Error::Config { what: "insight is off in this network".into() })?;
        // On a copy: a refused record leaves the state as it was.
        let mut next = feed.insight.clone();
        next.apply_all(records)
            .map_err(|(index, source)| Error::HistoryRecord { index, source })?;
        let command = Command::ImportInsight { records: records.to_vec() };
        let mark = self.journal.next(&command)?;
        if let Some(feed) = self.insight.as_deref_mut() {
            // The feed goes on from the newest time insight now holds: an event older
            // than the history is fed late, as a back-dated one is, not refused.
            feed.clock = feed.clock.max(next.newest());
            feed.insight = next;
        }
        self.journal.push(mark, command);
        Ok(())
    }

    /// Replays journal `entries` from empty (as [`Network::replay`], with insight on
    /// under `settings`) and returns the insight they build: the same figures the live
    /// feed built, or the figures under other calendars and windows.
    ///
    /// # Errors
    /// As [`Network::replay`]; [`Error::Insight`] for settings insight refuses.
    pub fn replay_insight<'a, I>(
        master: MasterData,
        rules: Rules,
        mut config: NetworkConfig,
        settings: InsightSettings,
        start: DateTime<Utc>,
        entries: I,
    ) -> Result<(Insight, FeedStats), Error>
    where
        I: IntoIterator<Item = &'a Entry>,
        I::IntoIter: Clone,
    {
        config.insight = InsightSettings { enabled: true, ..settings };
        let mut n = Network::replay(master, rules, config, start, entries)?;
        let feed =
            n.insight.take().ok_or_else(|| Error::Config { what: "insight is off".into() })?;
        Ok((feed.insight, feed.stats))
    }

    /// Feeds what an accepted event did (`moving`: the event, or the held event an
    /// approval released).
    pub(crate) fn feed_event(&mut self, moving: &Event, accepted: &Accepted, out: &Outcome) {
        let Some(mut feed) = self.insight.take() else { return };
        let at = feed.at(moving.effective_at);
        let mut records = std::mem::take(&mut feed.scratch);
        records.clear();
        self.translate(&mut feed, moving, accepted, out, at, &mut records);
        if let Some(seq) = out.seq
            && out
                .postings
                .iter()
                .any(|p| p.key == PostingKey::Inventory && p.amount > Decimal::ZERO)
        {
            feed.origins.insert(seq, moving.effective_at.date_naive());
        }
        let keep = matches!(
            moving.kind(),
            EventKind::Receipt | EventKind::Ship | EventKind::Scrap | EventKind::Adjustment
        );
        let mut taken = Vec::new();
        for r in records.drain(..) {
            if feed.push(&r) && keep && reversible(&r) {
                taken.push(r);
            }
        }
        if !taken.is_empty() {
            feed.fed.insert(moving.id, taken);
        }
        feed.scratch = records;
        self.insight = Some(feed);
    }

    #[allow(clippy::too_many_lines, reason = "one arm per event kind, each short")]
    fn translate(
        &self,
        feed: &mut Feed,
        moving: &Event,
        accepted: &Accepted,
        out: &Outcome,
        at: DateTime<Utc>,
        records: &mut Vec<Record>,
    ) {
        let number = &moving.reference.number;
        match &moving.body {
            Body::Receipt(m) if moving.reference.kind == DocKind::PurchaseOrder => {
                // Per supplier and item: quantity and value.
                let mut by: BTreeMap<(SupplierCode, ItemCode), Decimal> = BTreeMap::new();
                for line in &m.lines {
                    let Some(supplier) =
                        line.doc_line.and_then(|l| feed.suppliers.get(&(number.clone(), l)))
                    else {
                        continue;
                    };
                    let Some(q) = self.base_of(&line.item, line.qty) else { continue };
                    *by.entry((supplier.clone(), line.item.clone())).or_default() += q;
                }
                for ((supplier, item), q) in by {
                    let (Some(qty), Some(value)) = (
                        self.qty_of(&item, q),
                        self.posted(out, PostingKey::Inventory, &item, &m.site),
                    ) else {
                        continue;
                    };
                    records.push(Record::SupplierReceipt(SupplierReceipt {
                        at,
                        supplier,
                        item,
                        site: m.site.clone(),
                        qty,
                        value,
                    }));
                }
            }
            Body::Ship(m) if moving.reference.kind == DocKind::SalesOrder => {
                for line in &m.lines {
                    let Some(doc_line) = line.doc_line else { continue };
                    let r = OrderRef { order: number.clone(), line: doc_line };
                    let Some(q) = self.base_of(&line.item, line.qty) else { continue };
                    let Some(line_fed) = feed.lines.get_mut(&r) else {
                        bump(&mut feed.stats.unmatched);
                        continue;
                    };
                    // Complete already, or an item counted in another unit than the
                    // line's (a substitute, or the line booked again for another item):
                    // it cannot add to the line's figures.
                    if line_fed.complete() || self.uom_of(&line.item) != Some(line_fed.uom) {
                        bump(&mut feed.stats.unmatched);
                        continue;
                    }
                    line_fed.shipped += q;
                    feed.shipped.entry((moving.id, line.item.clone())).or_insert_with(|| r.clone());
                    let Ok(qty) = Qty::new(q, line_fed.uom) else { continue };
                    records.push(Record::OrderLineShipped(OrderLineShipped {
                        at,
                        line: line_ref(&r),
                        site: m.site.clone(),
                        qty,
                        complete: line_fed.complete(),
                    }));
                }
            }
            Body::CustomerReturn(m) => self.translate_return(feed, moving, m, at, records),
            Body::Reversal { event } => self.translate_reversal(feed, *event, at, records),
            Body::SupplierReturn(m) => self.translate_supplier_return(feed, m, out, at, records),
            Body::Disposition(m) if moving.reference.kind == DocKind::ReturnAuthorisation => {
                self.translate_inspection(feed, number, m, at, records);
            }
            Body::Adjustment(m) => {
                let mut by: BTreeMap<ItemCode, Decimal> = BTreeMap::new();
                for line in &m.lines {
                    let Some(q) = self.base_of(&line.item, line.qty) else { continue };
                    let signed = if line.from.is_none() { q } else { -q };
                    *by.entry(line.item.clone()).or_default() += signed;
                }
                for (item, delta) in by {
                    let Some(uom) = self.uom_of(&item) else { continue };
                    let Some(value) = self.posted(out, PostingKey::Inventory, &item, &m.site)
                    else {
                        continue;
                    };
                    records.push(Record::Adjusted(Adjusted {
                        at,
                        item,
                        site: m.site.clone(),
                        reason: moving.reason.clone(),
                        actor: moving.actor.id.clone(),
                        delta: QtyDelta::new(delta, uom),
                        value,
                    }));
                }
            }
            Body::CycleCount(c) => self.translate_count(moving, c, accepted, out, at, records),
            Body::TransferRequest(_) => {
                let Some(order) = self.ledger.transfer(number) else { return };
                let (Ok(from), Ok(to)) = (self.site_code(order.from), self.site_code(order.to))
                else {
                    return;
                };
                for (i, l) in order.lines.iter().enumerate() {
                    let Ok(n) = u32::try_from(i + 1) else { break };
                    let (Ok(item), Ok(qty)) =
                        (self.item_code(l.item), self.base_qty(l.item, l.requested))
                    else {
                        continue;
                    };
                    let Some(value) = self.at_cost(l.item, order.from, l.requested) else {
                        continue;
                    };
                    let key = TransferRef { transfer: number.clone(), line: n };
                    let line = FedTransfer { requested: qty.value(), ..FedTransfer::default() };
                    feed.transfers.insert(key.clone(), line);
                    records.push(Record::TransferRequested(TransferRequested {
                        at,
                        transfer: key,
                        from: from.clone(),
                        to: to.clone(),
                        item,
                        qty,
                        value,
                        expected_arrival: order.expected_arrival,
                        transport_cost: None,
                        purchase_cost: None,
                    }));
                }
            }
            Body::TransferApprove => {
                for (key, t) in feed.transfers.range_mut(Self::lines_of(number)) {
                    if t.approved {
                        continue;
                    }
                    t.approved = true;
                    records.push(Record::TransferApproved(TransferApproved {
                        at,
                        transfer: key.clone(),
                    }));
                }
            }
            Body::TransferShip(_) => {
                let Some(order) = self.ledger.transfer(number) else { return };
                for (item, q) in
                    crate::costing::transit(accepted.deltas().iter().map(|d| (&d.key, &d.change)))
                        .into_iter()
                        .filter(|(_, q)| *q > Decimal::ZERO)
                        .map(|((i, _), q)| (i, q))
                {
                    let Some(key) = Self::transfer_line(order, number, item) else { continue };
                    // A line ships in parts until insight holds it complete (everything
                    // requested shipped and accounted for, as of a receipt) or closed.
                    let open = feed.insight.transfer_open(&key) == Some(true);
                    let Some(t) = feed.transfers.get_mut(&key) else { continue };
                    if !open || t.closed {
                        bump(&mut feed.stats.unmatched);
                        continue;
                    }
                    let Ok(qty) = self.base_qty(item, q) else { continue };
                    t.shipped = Some(t.shipped.unwrap_or(Decimal::ZERO) + q);
                    records.push(Record::TransferShipped(TransferShipped {
                        at,
                        transfer: key,
                        qty,
                        expected_arrival: order.expected_arrival,
                    }));
                }
            }
            Body::TransferReceipt(_) => {
                let Some(order) = self.ledger.transfer(number) else { return };
                // Per item: good and damaged arrivals at the destination.
                let mut arrived: BTreeMap<ItemIx, (Decimal, Decimal)> = BTreeMap::new();
                for d in accepted
                    .deltas()
                    .iter()
                    .filter(|d| d.key.status != StockStatus::InTransit && d.change > Decimal::ZERO)
                {
                    let e = arrived.entry(d.key.item).or_default();
                    if d.key.status == StockStatus::Damaged {
                        e.1 += d.change;
                    } else {
                        e.0 += d.change;
                    }
                }
                for (item, (good, damaged)) in arrived {
                    let over: Decimal = accepted
                        .signals
                        .iter()
                        .filter_map(|s| match s {
                            LedgerSignal::TransferDiscrepancy { item: i, over, .. }
                                if *i == item =>
                            {
                                Some(*over)
                            }
                            _ => None,
                        })
                        .sum();
                    let Some(key) = Self::transfer_line(order, number, item) else { continue };
                    // Insight's own rule: a receipt of a line shipped and not yet
                    // complete or closed. (An over-receipt held for approval and
                    // released after another receipt took what was in transit arrives
                    // when all that shipped is accounted for, and is still taken while
                    // the line waits for the rest of what it requested.)
                    let open = feed.insight.transfer_open(&key) == Some(true);
                    let Some(t) = feed.transfers.get_mut(&key) else { continue };
                    if t.shipped.is_none() || t.closed || !open {
                        bump(&mut feed.stats.unmatched);
                        continue;
                    }
                    let (Ok(qty), Ok(over), Ok(damaged), Ok(short)) = (
                        self.base_qty(item, good),
                        self.base_qty(item, over),
                        self.base_qty(item, damaged),
                        self.base_qty(item, Decimal::ZERO),
                    ) else {
                        continue;
                    };
                    t.accounted += good + damaged.value();
                    records.push(Record::TransferReceived(TransferReceived {
                        at,
                        transfer: key,
                        qty,
                        short,
                        over,
                        damaged,
                    }));
                }
            }
            Body::TransferClose => {
                // What each line wrote off: shipped, never received (base units).
                let mut written_off: BTreeMap<u32, Qty> = BTreeMap::new();
                if let Some(order) = self.ledger.transfer(number) {
                    for s in &accepted.signals {
                        let LedgerSignal::TransferDiscrepancy { item, short, .. } = s else {
                            continue;
                        };
                        let Some(key) = Self::transfer_line(order, number, *item) else {
                            continue;
                        };
                        if let Ok(q) = self.base_qty(*item, *short)
                            && !q.is_zero()
                        {
                            written_off.insert(key.line, q);
                        }
                    }
                }
                for (key, t) in feed.transfers.range_mut(Self::lines_of(number)) {
                    if t.closed {
                        continue;
                    }
                    t.closed = true;
                    records.push(Record::TransferClosed(TransferClosed {
                        at,
                        transfer: key.clone(),
                        written_off: written_off.remove(&key.line),
                    }));
                }
            }
            Body::ClosePeriod { entity, .. } => {
                self.translate_close(feed, entity.as_ref(), at, records);
            }
            _ => {}
        }
        // Stock moved into damaged or quality hold (a count's own variance is a count;
        // a reversal puts back what its original took out, which is no new damage).
        if !matches!(moving.body, Body::CycleCount(_) | Body::Reversal { .. }) {
            for d in accepted.deltas().iter().filter(|d| d.change > Decimal::ZERO) {
                let kind = match d.key.status {
                    StockStatus::Damaged => DamageKind::Damaged,
                    StockStatus::QualityHold => DamageKind::Hold,
                    StockStatus::Scrapped => DamageKind::Scrapped,
                    _ => continue,
                };
                let (Ok(item), Ok(site), Ok(qty)) = (
                    self.item_code(d.key.item),
                    self.site_code(d.key.site),
                    self.base_qty(d.key.item, d.change),
                ) else {
                    continue;
                };
                let Some(value) = self.at_cost(d.key.item, d.key.site, d.change) else { continue };
                records.push(Record::StockDamaged(StockDamaged {
                    at,
                    item,
                    site,
                    kind,
                    qty,
                    value,
                }));
            }
        }
        // Cost of sales per entity and site.
        let mut cogs: BTreeMap<(EntityCode, SiteCode), Money> = BTreeMap::new();
        for p in out.postings.iter().filter(|p| p.key == PostingKey::CostOfSales) {
            let Some(site) = &p.site else { continue };
            let e = cogs
                .entry((p.entity.clone(), site.clone()))
                .or_insert_with(|| Money::zero(p.currency));
            if let Ok(sum) = e.checked_add(Money::new(p.amount, p.currency)) {
                *e = sum;
            }
        }
        for ((entity, site), value) in cogs {
            records.push(Record::CostOfSales(CostOfSales { at, entity, site, value }));
        }
    }

    /// A reversal of `original`: every record insight took from it, undone
    /// ([`Reversed`]); a shipment's order lines are shipped that much less (a customer
    /// return can no longer name it: the network refuses one).
    fn translate_reversal(
        &self,
        feed: &mut Feed,
        original: EventId,
        at: DateTime<Utc>,
        records: &mut Vec<Record>,
    ) {
        let Some(taken) = feed.fed.remove(&original) else { return };
        if let Some(posted) = self.ledger.posted(&original) {
            for c in &posted.changes {
                if let Ok(item) = self.item_code(c.key.item) {
                    feed.shipped.remove(&(original, item));
                }
            }
        }
        for r in taken {
            if let Record::OrderLineShipped(s) = &r
                && let Some(line) =
                    feed.lines.get_mut(&OrderRef { order: s.line.order.clone(), line: s.line.line })
            {
                line.shipped -= s.qty.value();
            }
            records.push(Record::Reversed(Reversed { at, original: Box::new(r) }));
        }
    }

    /// A return to supplier: per supplier and item, the goods that went back, each
    /// line's supplier being the one whose receipt it names (lines naming a receipt
    /// insight was not told of, one without an expected receipt naming a supplier, feed
    /// nothing). Valued at its inventory postings.
    fn translate_supplier_return(
        &self,
        feed: &Feed,
        m: &onhand_ledger::SiteLines,
        out: &Outcome,
        at: DateTime<Utc>,
        records: &mut Vec<Record>,
    ) {
        let mut by: BTreeMap<(SupplierCode, ItemCode), Decimal> = BTreeMap::new();
        for line in &m.lines {
            let Some(supplier) = line.original.and_then(|e| feed.fed.get(&e)).and_then(|rs| {
                rs.iter().find_map(|r| match r {
                    Record::SupplierReceipt(x) if x.item == line.item => Some(&x.supplier),
                    _ => None,
                })
            }) else {
                continue;
            };
            let Some(q) = self.base_of(&line.item, line.qty) else { continue };
            *by.entry((supplier.clone(), line.item.clone())).or_default() += q;
        }
        for ((supplier, item), q) in by {
            let (Some(qty), Some(value)) =
                (self.qty_of(&item, q), self.posted(out, PostingKey::Inventory, &item, &m.site))
            else {
                continue;
            };
            let value = Money::new(value.amount().abs(), value.currency());
            records.push(Record::SupplierReturned(SupplierReturned {
                at,
                supplier,
                item,
                site: m.site.clone(),
                qty,
                value,
            }));
        }
    }

    /// The books at a period close (of `entity`, or of the whole network): valuations
    /// by entity and site, FIFO layers with the day they were received, and transfer
    /// lines in transit. A whole-network close also forgets the receipt days of layers
    /// no longer held.
    fn translate_close(
        &self,
        feed: &mut Feed,
        entity: Option<&EntityCode>,
        at: DateTime<Utc>,
        records: &mut Vec<Record>,
    ) {
        let pools = self.valuation.pools();
        // Pools kept per entity: the valuated stock each of its sites holds, to share
        // them by.
        let mut at_sites: BTreeMap<(EntityIx, ItemIx), Vec<(SiteIx, Decimal)>> = BTreeMap::new();
        if pools.iter().any(|p| p.site.is_none()) {
            let mut held: BTreeMap<(EntityIx, ItemIx, SiteIx), Decimal> = BTreeMap::new();
            for (key, q) in self.ledger.positions() {
                if key.status != StockStatus::InTransit && key.status.is_valuated() {
                    *held.entry((key.owner, key.item, key.site)).or_default() += q;
                }
            }
            for ((e, i, site), q) in held.into_iter().filter(|(_, q)| *q > Decimal::ZERO) {
                at_sites.entry((e, i)).or_default().push((site, q));
            }
        }
        let mut valued: BTreeMap<(EntityCode, SiteCode), Money> = BTreeMap::new();
        let mut live = std::collections::BTreeSet::new();
        for p in &pools {
            for l in &p.layers {
                live.insert(l.origin / crate::COST_EVENTS_PER_ENTRY);
            }
            if entity.is_some_and(|e| *e != p.entity) {
                continue;
            }
            let sites: Vec<(SiteCode, Decimal)> = if let Some(site) = &p.site {
                vec![(site.clone(), Decimal::ONE)]
            } else {
                let (Some(e), Some(i)) =
                    (self.catalog.entity_ix(&p.entity), self.catalog.item_ix(&p.item))
                else {
                    continue;
                };
                at_sites
                    .get(&(e, i))
                    .into_iter()
                    .flatten()
                    .filter_map(|(s, q)| Some((self.site_code(*s).ok()?, *q)))
                    .collect()
            };
            if sites.is_empty() {
                continue;
            }
            let weights: Vec<Decimal> = sites.iter().map(|s| s.1).collect();
            let Ok(value) = Money::new(p.value, p.currency).round(RoundingMode::HalfEven) else {
                continue;
            };
            for ((site, _), v) in sites.iter().zip(share(value, &weights)) {
                let sum = valued
                    .entry((p.entity.clone(), site.clone()))
                    .or_insert_with(|| Money::zero(p.currency));
                if let Ok(total) = sum.checked_add(v) {
                    *sum = total;
                }
            }
            let Some(uom) = self.uom_of(&p.item) else { continue };
            for l in p.layers.iter().filter(|l| l.qty > Decimal::ZERO) {
                let (Some(received), Ok(value)) = (
                    feed.origins.get(&(l.origin / crate::COST_EVENTS_PER_ENTRY)).copied(),
                    Money::new(l.value, p.currency).round(RoundingMode::HalfEven),
                ) else {
                    bump(&mut feed.stats.unmatched);
                    continue;
                };
                let parts = sites.iter().zip(split(l.qty, &weights)).zip(share(value, &weights));
                for (((site, _), q), value) in parts {
                    let Ok(qty) = Qty::new(q, uom) else { continue };
                    if qty.is_zero() {
                        continue;
                    }
                    records.push(Record::StockLayer(StockLayer {
                        at,
                        entity: p.entity.clone(),
                        site: site.clone(),
                        item: p.item.clone(),
                        qty,
                        value,
                        received,
                    }));
                }
            }
        }
        for ((entity, site), value) in valued {
            records.push(Record::StockValued(StockValued { at, entity, site, value }));
        }
        if entity.is_none() {
            feed.origins.retain(|seq, _| live.contains(seq));
        }
        self.translate_transit(entity, at, records);
    }

    /// Transfer lines in transit at a close: each open shipment by its valuation
    /// transfer, summed per line.
    fn translate_transit(
        &self,
        entity: Option<&EntityCode>,
        at: DateTime<Utc>,
        records: &mut Vec<Record>,
    ) {
        let transit: BTreeMap<TransferNo, onhand_valuation::TransitView> =
            self.valuation.transfers().into_iter().map(|t| (t.transfer.clone(), t)).collect();
        let mut held: BTreeMap<TransferRef, Transit> = BTreeMap::new();
        for ((number, item), list) in &self.shipments {
            let Some(order) = self.ledger.transfer(number) else { continue };
            let Some(key) = Self::transfer_line(order, number, *item) else { continue };
            for s in list.iter().filter(|s| s.open > Decimal::ZERO) {
                let Some(t) = transit.get(&s.key) else { continue };
                if t.closed || entity.is_some_and(|e| *e != t.owner) {
                    continue;
                }
                let Some(currency) =
                    self.catalog.entity_ix(&t.owner).and_then(|e| self.catalog.entity(e))
                else {
                    continue;
                };
                let value = Money::new(t.value, currency.currency);
                let e = held.entry(key.clone()).or_insert_with(|| {
                    (t.owner.clone(), Decimal::ZERO, Money::zero(currency.currency), None)
                });
                e.1 += s.open;
                if let Ok(sum) = e.2.checked_add(value) {
                    e.2 = sum;
                }
                e.3 = order.expected_arrival;
            }
        }
        for (transfer, (owner, q, value, expected_arrival)) in held {
            let (Some(item), Ok(value)) = (
                self.ledger.transfer(&transfer.transfer).and_then(|o| {
                    o.lines
                        .get(usize::try_from(transfer.line).ok()?.checked_sub(1)?)
                        .map(|l| l.item)
                }),
                value.round(RoundingMode::HalfEven),
            ) else {
                continue;
            };
            let Ok(qty) = self.base_qty(item, q) else { continue };
            records.push(Record::InTransitHeld(InTransitHeld {
                at,
                transfer,
                owner,
                qty,
                value,
                expected_arrival,
            }));
        }
    }

    /// A customer return: per line naming the shipment it brings back, the order line
    /// returned, with the return's reason and what the goods were found to be on
    /// arrival (into damaged or scrapped: damaged; into available: sound; anything else,
    /// return pending by default: awaiting inspection).
    fn translate_return(
        &self,
        feed: &mut Feed,
        moving: &Event,
        m: &onhand_ledger::SiteLines,
        at: DateTime<Utc>,
        records: &mut Vec<Record>,
    ) {
        for line in &m.lines {
            let Some(r) =
                line.original.and_then(|e| feed.shipped.get(&(e, line.item.clone()))).cloned()
            else {
                bump(&mut feed.stats.untraced_returns);
                continue;
            };
            let (Some(q), Some(uom)) =
                (self.base_of(&line.item, line.qty), self.uom_of(&line.item))
            else {
                continue;
            };
            let Ok(qty) = Qty::new(q, uom) else { continue };
            let condition = match line.to {
                Some(StockStatus::Damaged | StockStatus::Scrapped) => ReturnCondition::Damaged,
                Some(StockStatus::Available) => ReturnCondition::Sound,
                _ => ReturnCondition::Pending,
            };
            if condition == ReturnCondition::Pending {
                feed.returns
                    .entry((moving.reference.number.clone(), line.item.clone()))
                    .or_default()
                    .push(PendingReturn {
                        line: r.clone(),
                        site: m.site.clone(),
                        qty: q,
                        reason: moving.reason.clone(),
                    });
            }
            records.push(Record::OrderLineReturned(OrderLineReturned {
                at,
                line: line_ref(&r),
                site: m.site.clone(),
                qty,
                reason: moving.reason.clone(),
                condition,
            }));
        }
    }

    /// The disposition of returned goods awaiting inspection (out of return pending):
    /// into available, sound; into damaged or scrapped, damaged; shared over the
    /// authorisation's pending returns of the item, oldest first. Moves elsewhere
    /// (quality hold) leave them awaiting inspection.
    fn translate_inspection(
        &self,
        feed: &mut Feed,
        number: &DocNumber,
        m: &onhand_ledger::SiteLines,
        at: DateTime<Utc>,
        records: &mut Vec<Record>,
    ) {
        for line in m.lines.iter().filter(|l| l.from == Some(StockStatus::ReturnPending)) {
            let condition = match line.to {
                Some(StockStatus::Damaged | StockStatus::Scrapped) => ReturnCondition::Damaged,
                Some(StockStatus::Available) => ReturnCondition::Sound,
                _ => continue,
            };
            let (Some(mut left), Some(uom)) =
                (self.base_of(&line.item, line.qty), self.uom_of(&line.item))
            else {
                continue;
            };
            // The authorisation's own returns; an inspection under another document
            // takes the oldest returns of the item awaiting inspection at the site.
            let mut key = (number.clone(), line.item.clone());
            if !feed.returns.contains_key(&key)
                && let Some(k) = feed.returns.iter().find_map(|(k, v)| {
                    (k.1 == line.item && v.iter().any(|p| p.site == m.site)).then(|| k.clone())
                })
            {
                key = k;
            }
            let Some(pending) = feed.returns.get_mut(&key) else {
                bump(&mut feed.stats.untraced_returns);
                continue;
            };
            while left > Decimal::ZERO {
                let Some(p) = pending.first_mut() else { break };
                let q = left.min(p.qty);
                left -= q;
                p.qty -= q;
                if let Ok(qty) = Qty::new(q, uom) {
                    records.push(Record::ReturnInspected(ReturnInspected {
                        at,
                        line: line_ref(&p.line),
                        site: m.site.clone(),
                        qty,
                        reason: p.reason.clone(),
                        condition,
                    }));
                }
                if p.qty <= Decimal::ZERO {
                    pending.remove(0);
                }
            }
            if left > Decimal::ZERO {
                bump(&mut feed.stats.untraced_returns);
            }
            if pending.is_empty() {
                feed.returns.remove(&key);
            }
        }
    }

    /// One count record per counted location.
    fn translate_count(
        &self,
        moving: &Event,
        count: &onhand_ledger::Count,
        accepted: &Accepted,
        out: &Outcome,
        at: DateTime<Utc>,
        records: &mut Vec<Record>,
    ) {
        let Some(site) = self.catalog.site_ix(&count.site) else { return };
        // Per line: item, bin, book, counted, tolerance (base units).
        let mut lines = Vec::with_capacity(count.lines.len());
        for line in &count.lines {
            let Some(item) = self.catalog.item_ix(&line.item) else { continue };
            let Some(counted) = self.base_of(&line.item, line.counted) else { continue };
            let owner = match &line.owner {
                Some(code) => self.catalog.entity_ix(code),
                None => self.catalog.site_entity(site),
            };
            let Some(owner) = owner else { continue };
            let bin = match &line.bin {
                Some(b) => match self.catalog.bin_ix(site, b) {
                    Some(ix) => Some(ix),
                    None => continue,
                },
                None => None,
            };
            let lot = line.lot.as_ref().and_then(|l| self.ledger.lot_ix(item, l));
            let key = onhand_ledger::PositionKey {
                item,
                site,
                status: line.status.unwrap_or(StockStatus::Available),
                owner,
                bin,
                lot,
            };
            let variance: Decimal =
                accepted.deltas().iter().filter(|d| d.key == key).map(|d| d.change).sum();
            let book = counted - variance;
            let Some(profile) = self.catalog.profile(item) else { continue };
            let (abs, pct) = self.ledger.rules().tolerance(profile.velocity);
            let tolerance = abs.max(pct.checked_mul(book.abs()).unwrap_or(Decimal::MAX));
            lines.push((line, item, profile, book, counted, variance, tolerance));
        }
        // The value of each item's postings, shared by its lines' variances (one line,
        // the common count, takes its item's whole value: no sharing, no map).
        let single = lines.len() == 1;
        let mut values: BTreeMap<ItemIx, Vec<Money>> = BTreeMap::new();
        for (line, item, ..) in lines.iter().filter(|_| !single) {
            if values.contains_key(item) {
                continue;
            }
            let Some(total) = self.posted(out, PostingKey::Inventory, &line.item, &count.site)
            else {
                continue;
            };
            let parts: Vec<Decimal> = lines.iter().filter(|l| l.1 == *item).map(|l| l.5).collect();
            values.insert(*item, share(total, &parts).into_iter().rev().collect());
        }
        for (line, item, profile, book, counted, _, tolerance) in lines {
            let value = if single {
                self.posted(out, PostingKey::Inventory, &line.item, &count.site)
            } else {
                values.get_mut(&item).and_then(Vec::pop)
            };
            let Some(value) = value else { continue };
            let uom = profile.base_uom;
            let (Ok(book), Ok(counted), Ok(tolerance)) = (
                Qty::new(book.max(Decimal::ZERO), uom),
                Qty::new(counted, uom),
                Qty::new(tolerance.min(Decimal::from(i64::MAX)), uom),
            ) else {
                continue;
            };
            records.push(Record::CountRecorded(CountRecorded {
                at,
                item: line.item.clone(),
                site: count.site.clone(),
                bin: line.bin.clone(),
                class: profile.velocity,
                counter: moving.actor.id.clone(),
                book,
                counted,
                tolerance,
                variance_value: value,
            }));
        }
    }

    /// The transfer lines of `number`, as a range of keys: exactly its lines, so a
    /// walk over it reads no other transfer's.
    fn lines_of(number: &DocNumber) -> std::ops::RangeInclusive<TransferRef> {
        TransferRef { transfer: number.clone(), line: 0 }..=TransferRef {
            transfer: number.clone(),
            line: u32::MAX,
        }
    }

    /// The transfer line of `item` on `order`: its place on the order, from 1.
    fn transfer_line(
        order: &onhand_ledger::TransferOrder,
        number: &DocNumber,
        item: ItemIx,
    ) -> Option<TransferRef> {
        let i = order.lines.iter().position(|l| l.item == item)?;
        Some(TransferRef { transfer: number.clone(), line: u32::try_from(i + 1).ok()? })
    }

    fn uom_of(&self, item: &ItemCode) -> Option<UomCode> {
        self.catalog.item_ix(item).and_then(|ix| self.catalog.profile(ix)).map(|p| p.base_uom)
    }

    /// `qty` of `item` in base units.
    fn base_of(&self, item: &ItemCode, qty: Qty) -> Option<Decimal> {
        let ix = self.catalog.item_ix(item)?;
        self.catalog.item_units(ix)?.to_base(qty).ok().map(Qty::value)
    }

    fn qty_of(&self, item: &ItemCode, q: Decimal) -> Option<Qty> {
        Qty::new(q, self.uom_of(item)?).ok()
    }

    /// The signed sum of `out`'s postings under `key` for `item` at `site`, in the
    /// currency of the site's entity (zero when nothing was posted).
    fn posted(
        &self,
        out: &Outcome,
        key: PostingKey,
        item: &ItemCode,
        site: &SiteCode,
    ) -> Option<Money> {
        let six = self.catalog.site_ix(site)?;
        let currency = self.catalog.site_entity(six).and_then(|e| self.catalog.entity(e))?.currency;
        let mut sum = Money::zero(currency);
        for p in out.postings.iter().filter(|p| {
            p.key == key
                && p.currency == currency
                && p.item.as_ref() == Some(item)
                && p.site.as_ref() == Some(site)
        }) {
            sum = sum.checked_add(Money::new(p.amount, p.currency)).ok()?;
        }
        Some(sum)
    }

    /// `qty` base units of `item` at the current cost of the site entity's pool, rounded
    /// to the currency (zero before any cost is known).
    fn at_cost(&self, item: ItemIx, site: SiteIx, qty: Decimal) -> Option<Money> {
        let entity = self.catalog.site_entity(site).and_then(|e| self.catalog.entity(e))?;
        let (item_code, site_code) = (self.item_code(item).ok()?, self.site_code(site).ok()?);
        let unit = self
            .valuation
            .pool(&entity.code, &item_code, Some(&site_code))
            .and_then(|p| p.unit_cost)
            .unwrap_or(Decimal::ZERO);
        let raw = unit.checked_mul(qty)?;
        Money::new(raw, entity.currency).round(RoundingMode::HalfEven).ok()
    }

    /// Feeds a booked line's promise (creating the line the first time).
    pub(crate) fn feed_booked(&mut self, r: &OrderRef) {
        let Some(mut feed) = self.insight.take() else { return };
        self.feed_promise(&mut feed, r, true);
        self.insight = Some(feed);
    }

    /// Feeds the promises of booked lines again, as they now stand.
    pub(crate) fn feed_repromised(&mut self, lines: &[OrderRef]) {
        let Some(mut feed) = self.insight.take() else { return };
        for r in lines {
            self.feed_promise(&mut feed, r, false);
        }
        self.insight = Some(feed);
    }

    /// Feeds a withdrawn promise (a release, an expired reservation).
    pub(crate) fn feed_withdrawn(&mut self, r: &OrderRef) {
        let Some(mut feed) = self.insight.take() else { return };
        if feed.lines.get(r).is_some_and(|l| !l.complete()) {
            let at = feed.at(self.now);
            feed.push(&Record::OrderLinePromised(OrderLinePromised {
                at,
                line: line_ref(r),
                schedule: Vec::new(),
            }));
        }
        self.insight = Some(feed);
    }

    /// Records an expected receipt's supplier, for the receipts against it.
    pub(crate) fn feed_expected(
        &mut self,
        order: &DocNumber,
        line: u32,
        supplier: Option<&SupplierCode>,
    ) {
        if let (Some(feed), Some(s)) = (self.insight.as_deref_mut(), supplier) {
            feed.suppliers.insert((order.clone(), line), s.clone());
        }
    }

    fn feed_promise(&self, feed: &mut Feed, r: &OrderRef, create: bool) {
        let Some(b) = self.bookings.get(r) else { return };
        let Some(p) = self.atp.booked(LineId(b.id)) else { return };
        let req = &b.request;
        let Some(item) = self.catalog.item_ix(&req.item) else { return };
        let Some(uom) = self.catalog.profile(item).map(|p| p.base_uom) else { return };
        if !feed.lines.contains_key(r) {
            if !create {
                return;
            }
            let Some(created) = self.created(req, &p, uom, feed) else {
                bump(&mut feed.stats.skipped_lines);
                return;
            };
            feed.push(&created);
            let Some(q) = self.base_of(&req.item, req.qty) else { return };
            feed.lines.insert(r.clone(), FedLine { uom, ordered: q, shipped: Decimal::ZERO });
        }
        // The line as insight knows it: its unit is the one it was created in (a line
        // booked again under its reference for an item counted in another unit keeps
        // it, and what is in another unit cannot add to its figures).
        let Some(uom) = feed.lines.get(r).filter(|l| !l.complete()).map(|l| l.uom) else {
            return;
        };
        let mut schedule = Vec::with_capacity(p.schedule().len());
        for s in p.schedule() {
            let (Ok(site), Ok(qty)) = (self.site_code(s.site), self.base_qty(s.item, s.qty)) else {
                continue;
            };
            // A substitute counted in another unit cannot add to this line's figures.
            if qty.uom() != uom {
                continue;
            }
            schedule.push(Scheduled { site, qty, date: s.available_on });
        }
        let at = feed.at(self.now);
        feed.push(&Record::OrderLinePromised(OrderLinePromised {
            at,
            line: line_ref(r),
            schedule,
        }));
    }

    /// The record creating an order line, or `None` for a line without a customer.
    fn created(
        &self,
        req: &OrderRequest,
        p: &Promise,
        uom: UomCode,
        feed: &mut Feed,
    ) -> Option<Record> {
        let customer = req.customer.clone()?;
        let group = req
            .group
            .clone()
            .or_else(|| {
                self.catalog
                    .customer_ix(&customer)
                    .and_then(|ix| self.catalog.customer(ix))
                    .and_then(|c| c.group.clone())
            })
            .or_else(|| CustomerGroupCode::new(UNGROUPED).ok())?;
        let qty = Qty::new(self.base_of(&req.item, req.qty)?, uom).ok()?;
        let lead =
            p.schedule().first().map_or(0, |s| (s.delivery - s.available_on).num_days().max(0));
        let at = feed.at(self.now);
        // A request sooner than the lane takes would be due to ship before the line
        // existed, and count as unfilled from the start: it is due to ship the day it is
        // booked instead (the soonest it can).
        let requested: NaiveDate = req
            .requested
            .checked_sub_signed(Duration::days(lead))
            .unwrap_or(req.requested)
            .max(at.date_naive());
        Some(Record::OrderLineCreated(OrderLineCreated {
            at,
            line: LineRef { order: req.order.clone(), line: req.line },
            customer,
            group,
            item: req.item.clone(),
            qty,
            requested,
            priority: 10u8.saturating_sub(req.priority.min(9)),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn usd() -> onhand_master::CurrencyCode {
        onhand_master::CurrencyCode::new("USD").unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn a_value_is_shared_by_variance_and_the_last_part_takes_the_rest() {
        let total = Money::new(Decimal::new(-1000, 2), usd());
        let parts = [Decimal::from(-1), Decimal::from(-1), Decimal::from(-1)];
        let shares: Vec<Decimal> = share(total, &parts).into_iter().map(Money::amount).collect();
        assert_eq!(shares, [Decimal::new(-333, 2), Decimal::new(-333, 2), Decimal::new(-334, 2)]);
        // Nothing to share by: the last part takes it all.
        let shares: Vec<Decimal> =
            share(total, &[Decimal::ZERO, Decimal::ZERO]).into_iter().map(Money::amount).collect();
        assert_eq!(shares, [Decimal::ZERO, Decimal::new(-1000, 2)]);
    }

    proptest! {
        #[test]
        fn shares_add_up_to_the_total_exactly(
            cents in -10_000_000i64..10_000_000,
            parts in proptest::collection::vec(-1_000i64..1_000, 1..6),
        ) {
            let total = Money::new(Decimal::new(cents, 2), usd());
            let parts: Vec<Decimal> = parts.into_iter().map(Decimal::from).collect();
            let shares = share(total, &parts);
            prop_assert_eq!(shares.len(), parts.len());
            let sum: Decimal = shares.iter().map(|m| m.amount()).sum();
            prop_assert_eq!(sum, total.amount());
            for m in &shares {
                prop_assert_eq!(m.currency(), usd());
                prop_assert!(m.amount().scale() <= 2);
            }
        }
    }

    proptest! {
        #[test]
        fn splits_add_up_to_the_total_exactly(
            total in 0i64..10_000_000,
            parts in proptest::collection::vec(0i64..1_000, 1..6),
        ) {
            let total = Decimal::new(total, 3);
            let parts: Vec<Decimal> = parts.into_iter().map(Decimal::from).collect();
            let split = split(total, &parts);
            prop_assert_eq!(split.len(), parts.len());
            prop_assert_eq!(split.iter().copied().sum::<Decimal>(), total);
            let whole: Decimal = parts.iter().sum();
            for (q, p) in split.iter().zip(&parts).take(parts.len() - 1) {
                prop_assert!(q.scale() <= 6);
                let exact = if whole.is_zero() { Decimal::ZERO } else { total * p / whole };
                prop_assert!((*q - exact).abs() <= Decimal::new(5, 7));
            }
        }
    }

    #[test]
    fn default_settings_are_on_with_insight_s_own_windows() {
        let s = InsightSettings::default();
        let c = s.config(&onhand_master::seed::demo_network()).unwrap_or_else(|e| panic!("{e}"));
        assert!(s.enabled);
        assert_eq!(c.basis, Basis::Shipment);
        let d = Config::new(Vec::new());
        assert_eq!(
            (c.recurrence_window, c.follow_days, &c.aging_buckets),
            (d.recurrence_window, d.follow_days, &d.aging_buckets)
        );
    }
}
