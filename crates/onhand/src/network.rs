//! [`Network`]: the engines wired into one inventory truth.
//!
//! ## What one accepted event does
//!
//! [`Network::apply`] hands the event to the ledger, which decides. On acceptance, in
//! the same call and only for what the event touched:
//!
//! 1. **Availability.** Every item-site whose available stock changed gets the ledger's
//!    new figure in the availability engine.
//! 2. **Allocations.** A pick or shipment against a sales order whose line names the
//!    order line uses up that line's allocation at the site, so free stock does not
//!    move when allocated stock leaves (a pick uses it; a shipment uses what its picks
//!    did not).
//! 3. **Transfers.** A transfer shipment adds dated supply at the destination on its
//!    expected arrival (the order's, else shipment plus the lane's transit days; never
//!    before tomorrow, since goods on the way are not stock now); the
//!    receipt replaces that supply with stock; a close removes what will never arrive.
//! 4. **Purchases.** A receipt against a purchase order uses up the expected receipt it
//!    names, supply and on-order both.
//! 5. **Costs.** The cost events the ledger's changes stand for (see
//!    [`costing`](crate::costing)) are valued, with their postings and intercompany
//!    documents.
//! 6. **Replenishment.** Planned item-sites whose inventory position fell to or below
//!    their reorder point are evaluated, and the recommendation is signalled.
//! 7. **Signals**, the **KPIs** (the outcome translated into
//!    [`onhand_insight`] records, see [`insight_feed`](crate::insight_feed)) and the
//!    **journal** entry.
//! 8. **Exceptions.** The outcome's signals raise, update and clear exceptions in the
//!    network's queue (see [`Network::control`]); a held event becomes an approval task.
//!
//! A rejected, pending or duplicate event changes nothing downstream. Before the ledger
//! decides, the network checks what only it can (the event's items are in this
//! partition, stock arriving from outside has a cost, a return names a shipment of its
//! item), so the engines downstream are never handed a consequence they would refuse.
//!
//! ## Threading
//!
//! A `Network` is a plain value: `Send`, `Sync` and `Clone`. One writer applies
//! commands; readers that need a consistent view either share it behind a
//! `RwLock` (readers see the state between two calls, never half of one, since every
//! call is all or nothing), or take a clone after each batch (a what-if is exactly
//! that: a clone you apply events to).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use onhand_atp::{Atp, LineId};
use onhand_ledger::{
    Applied, Body, DocKind, DocNumber, Event, EventId, EventKind, Ledger, Rules,
    Signal as LedgerSignal,
};
use onhand_master::{
    Catalog, EntityIx, ItemCode, ItemIx, MasterData, Money, Qty, QtyDelta, SiteCode, SiteIx,
};
use onhand_replenish::{Planner, SiteState};
use onhand_status::{Measure, StockStatus};
use onhand_valuation::{CostBody, CostEvent, TransferNo, Valuation, ValuationError};
use rust_decimal::Decimal;
use smallvec::SmallVec;

use crate::config::NetworkConfig;
use crate::cost_plan::{CostPlan, Names, Planning, cost_event, plan_costs};
use crate::costing::{EventKey, inbound_lines, transit};
use crate::error::Error;
use crate::exceptions::Exceptions;
use crate::journal::{Command, Journal, Mark};
use crate::orders::{Booking, LineUse, OrderRef};
use crate::outcome::{
    AllocationUse, AvailabilityChange, Decision, Outcome, PositionChange, Signal, SupplyChange,
};
use crate::partition::{Partition, assignment, event_items};
use crate::purchasing::OpenReceipt;

/// How many cost events one journal entry numbers: an event that would book more is
/// refused ([`Error::TooManyCostEvents`]), so ids of two entries never meet.
pub const COST_EVENTS_PER_ENTRY: u64 = 4096;

/// The cost event id of the `index`-th cost event of journal entry `seq`: `seq × 4096 +
/// index` ([`COST_EVENTS_PER_ENTRY`]). Postings carry it as their `event`.
#[must_use]
pub fn cost_event_id(seq: u64, index: u64) -> u64 {
    seq.saturating_mul(COST_EVENTS_PER_ENTRY).saturating_add(index)
}

/// One shipment of one item of a transfer order, as valuation and availability know it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Shipment {
    /// The valuation transfer's number.
    pub(crate) key: TransferNo,
    /// The destination.
    pub(crate) to: SiteIx,
    /// When it is expected at the destination.
    pub(crate) arrival: NaiveDate,
    /// Base units shipped and neither received nor closed.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub(crate) open: Decimal,
}

/// The item-sites an event touched, deduplicated, in order.
type Touched = SmallVec<[(ItemIx, SiteIx); 4]>;

fn touch(list: &mut Touched, key: (ItemIx, SiteIx)) {
    if !list.contains(&key) {
        list.push(key);
    }
}

/// Where a network diverged: at an event, or after the call at a journal entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Poison {
    Event(EventId),
    Call(u64),
}

/// The engines of one network (or one partition of it), kept in step.
#[derive(Debug, Clone)]
pub struct Network {
    pub(crate) catalog: Arc<Catalog>,
    pub(crate) config: Arc<NetworkConfig>,
    /// Per item handle, the partition holding it (empty: not partitioned).
    pub(crate) parts: Arc<Vec<u16>>,
    pub(crate) ledger: Ledger,
    pub(crate) atp: Atp,
    pub(crate) valuation: Valuation,
    pub(crate) planner: Option<Arc<Planner>>,
    /// Planned item-sites: whether each is at or below its reorder point now.
    pub(crate) below: BTreeMap<(ItemIx, SiteIx), bool>,
    /// Per planned item, where its item-sites are in the configuration's
    /// `replenish.item_sites`, so a recommendation reads only its item's plans.
    pub(crate) plans_of: Arc<BTreeMap<ItemIx, Vec<usize>>>,
    /// Valued order lines (kept with `booked_in_group` by
    /// [`insert_booking`](Network::insert_booking) and
    /// [`remove_booking`](Network::remove_booking)).
    pub(crate) bookings: BTreeMap<OrderRef, Booking>,
    /// Per item handle, its substitution group: the smallest item handle linked to it by
    /// substitution either way (an order line's schedule stays inside its item's group).
    pub(crate) sub_group: Arc<Vec<u32>>,
    /// The keys of `bookings` by their item's substitution group, so an inventory
    /// position reads only the lines that can hold its item.
    pub(crate) booked_in_group: BTreeMap<u32, BTreeSet<OrderRef>>,
    /// The availability engine's line ids, back to order lines.
    pub(crate) line_refs: BTreeMap<u64, OrderRef>,
    /// The booked lines each pick or shipment used up (each booking keeps what, in its
    /// `uses`); derived from the bookings, never saved.
    pub(crate) line_uses: BTreeMap<EventKey, SmallVec<[OrderRef; 1]>>,
    pub(crate) next_line: u64,
    /// Expected receipts by purchase order and line.
    pub(crate) receipts: BTreeMap<(DocNumber, u32), OpenReceipt>,
    /// What each purchase receipt event used up of expected receipts (for its
    /// reversal; dropped once reversed).
    pub(crate) used: BTreeMap<EventId, Vec<crate::purchasing::Used>>,
    /// Expected receipts that receipts closed, as they were then (open zero), so a
    /// reversal of one of those receipts can reopen the line.
    pub(crate) closed_receipts: BTreeMap<(DocNumber, u32), OpenReceipt>,
    /// Open shipments per transfer order and item.
    pub(crate) shipments: BTreeMap<(DocNumber, ItemIx), Vec<Shipment>>,
    pub(crate) shipment_count: u64,
    /// The cost events of each shipment event, per item (for returns).
    pub(crate) issues: BTreeMap<(EventKey, ItemIx), Vec<u64>>,
    /// The cost events of the event being applied, as the ledger's veto booked them
    /// (filled again for every event; not state).
    pub(crate) cost_plan: CostPlan,
    /// The cost events of each receipt, shipment, scrap and adjustment, with their
    /// items, in order (for reversals and returns to supplier; dropped once reversed).
    pub(crate) costed: BTreeMap<EventKey, Vec<(ItemIx, u64)>>,
    /// Per item, the latest effective time of a reversal or return to supplier that
    /// moved its books: no back-dated event naming the item may come before it.
    pub(crate) withdrawn: BTreeMap<ItemIx, DateTime<Utc>>,
    /// The keys of `receipts` by item-site, so an inventory position reads only its own
    /// expected receipts (kept by [`insert_receipt`](Network::insert_receipt) and
    /// [`remove_receipt`](Network::remove_receipt)).
    pub(crate) receipts_at: BTreeMap<(ItemIx, SiteIx), BTreeSet<(DocNumber, u32)>>,
    /// The transfer orders of `shipments` by item, so an inventory position reads only
    /// its item's shipments (kept by [`shipments_of`](Network::shipments_of) and
    /// [`remove_shipments`](Network::remove_shipments)).
    pub(crate) shipped: BTreeMap<ItemIx, BTreeSet<DocNumber>>,
    pub(crate) journal: Journal,
    pub(crate) now: DateTime<Utc>,
    pub(crate) poisoned: Option<Poison>,
    /// The KPIs, fed from every outcome (see [`insight_feed`](crate::insight_feed)).
    pub(crate) insight: Option<Box<crate::insight_feed::Feed>>,
    /// The exception queue, fed from every call's outcome (see [`crate::exceptions`]).
    pub(crate) exceptions: Exceptions,
}

/// Refuses a configuration in which a site (or an item-site policy) lets the ledger
/// take stock below zero while the owning entity's books refuse to: the ledger would
/// accept an issue that valuation then refuses, after the fact.
fn books_allow_what_sites_allow(catalog: &Catalog, config: &NetworkConfig) -> Result<(), Error> {
    use onhand_master::NegativeStock as Physical;
    use onhand_valuation::NegativeCostPolicy as Books;
    let data = catalog.data();
    let allowing = data
        .sites
        .iter()
        .filter(|s| s.negative_stock == Physical::Allow)
        .map(|s| s.code.clone())
        .chain(
            data.policies
                .iter()
                .filter(|p| p.negative_stock == Some(Physical::Allow))
                .map(|p| p.site.clone()),
        );
    for site in allowing {
        let Some(entity) =
            data.sites.iter().find(|s| s.code == site).and_then(|s| s.entity.clone())
        else {
            continue;
        };
        if config.valuation.negative_stock.get(&entity).copied().unwrap_or_default()
            != Books::LastCost
        {
            return Err(Error::Config {
                what: format!(
                    "site {site} allows negative stock but the books of {entity} refuse it: \
                     set {entity}'s valuation negative-stock policy to last_cost"
                ),
            });
        }
    }
    Ok(())
}

impl Network {
    /// A network over `master` with the ledger's `rules`, `config` for the other
    /// engines, and its time set to `now`.
    ///
    /// # Errors
    /// [`Error::InvalidMasterData`] with every violation; an engine's error for a
    /// configuration that does not fit the master data; [`Error::Config`], among others
    /// for a site (or item-site policy) that allows negative stock at an entity whose
    /// valuation negative-stock policy does not (`last_cost`).
    pub fn new(
        master: MasterData,
        rules: Rules,
        config: NetworkConfig,
        now: DateTime<Utc>,
    ) -> Result<Self, Error> {
        let catalog = Arc::new(Catalog::new(master).map_err(Error::InvalidMasterData)?);
        Self::with_catalog(catalog, rules, config, now)
    }

    /// As [`Network::new`], over a catalog already built.
    ///
    /// # Errors
    /// As [`Network::new`].
    pub fn with_catalog(
        catalog: Arc<Catalog>,
        rules: Rules,
        config: NetworkConfig,
        now: DateTime<Utc>,
    ) -> Result<Self, Error> {
        let ledger = Ledger::new(catalog.clone(), rules)?;
        let atp = configured_atp(&catalog, &config, now)?;
        let valuation = Valuation::new(catalog.clone(), config.valuation.clone())?;
        let mut network = Network::assemble(catalog, config, (ledger, atp, valuation), now)?;
        // Empty item-sites start below a positive reorder point.
        let keys: Vec<(ItemIx, SiteIx)> = network.below.keys().copied().collect();
        for key in keys {
            let now_below = network.is_below(key)?;
            network.below.insert(key, now_below);
        }
        Ok(network)
    }

    /// A network around engines already built (empty ones, or restored ones): the
    /// configuration's partition, exception queue, KPI feed and replenishment plans
    /// checked and set up, nothing booked, every planned item-site not yet below its
    /// reorder point (the caller works that out, or restores it).
    pub(crate) fn assemble(
        catalog: Arc<Catalog>,
        config: NetworkConfig,
        (ledger, atp, valuation): (Ledger, Atp, Valuation),
        now: DateTime<Utc>,
    ) -> Result<Self, Error> {
        let parts = match config.partition {
            Some(p) => {
                Partition::new(p.index, p.count)?;
                assignment(&catalog, p.count)
            }
            None => Vec::new(),
        };
        let exceptions = Exceptions::new(&catalog, ledger.rules().currency, &config)?;
        books_allow_what_sites_allow(&catalog, &config)?;
        let insight = crate::insight_feed::Feed::new(&catalog, &config.insight)?;
        let mut states = Vec::new();
        let mut below = BTreeMap::new();
        let mut plans_of: BTreeMap<ItemIx, Vec<usize>> = BTreeMap::new();
        for (k, p) in config.replenish.item_sites.iter().enumerate() {
            let item = catalog.item_ix(&p.item).ok_or_else(|| Error::Config {
                what: format!("replenishment plans unknown item {}", p.item),
            })?;
            let site = catalog.site_ix(&p.site).ok_or_else(|| Error::Config {
                what: format!("replenishment plans unknown site {}", p.site),
            })?;
            if parts
                .get(item.index())
                .is_some_and(|owner| Some(*owner) != config.partition.map(|p| p.index))
            {
                continue;
            }
            states.push(SiteState {
                item: p.item.clone(),
                site: p.site.clone(),
                stats: p.demand.clone(),
                position: onhand_replenish::Position::default(),
                priority_demand: p.priority_demand,
                costs: p.costs,
            });
            below.insert((item, site), false);
            plans_of.entry(item).or_default().push(k);
        }
        let planner = if states.is_empty() {
            None
        } else {
            // A missing rate is a configuration error now, not a failure of the first
            // event that takes an item-site below its reorder point.
            let planner =
                Planner::new(catalog.clone(), states)?.with_rates(replenish_rates(&config))?;
            planner.check_rates()?;
            Some(Arc::new(planner))
        };
        let catalog_for_groups = catalog.clone();
        Ok(Network {
            catalog,
            config: Arc::new(config),
            parts: Arc::new(parts),
            ledger,
            atp,
            valuation,
            planner,
            below,
            plans_of: Arc::new(plans_of),
            sub_group: Arc::new(substitution_groups(&catalog_for_groups)),
            bookings: BTreeMap::new(),
            booked_in_group: BTreeMap::new(),
            line_refs: BTreeMap::new(),
            line_uses: BTreeMap::new(),
            next_line: 0,
            receipts: BTreeMap::new(),
            used: BTreeMap::new(),
            closed_receipts: BTreeMap::new(),
            shipments: BTreeMap::new(),
            shipment_count: 0,
            issues: BTreeMap::new(),
            cost_plan: CostPlan::default(),
            costed: BTreeMap::new(),
            withdrawn: BTreeMap::new(),
            receipts_at: BTreeMap::new(),
            shipped: BTreeMap::new(),
            journal: Journal::default(),
            now,
            poisoned: None,
            insight,
            exceptions,
        })
    }

    /// The catalog (master data, interned).
    #[must_use]
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &NetworkConfig {
        &self.config
    }

    /// The ledger (positions, transfers, pending events, lots).
    #[must_use]
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The availability engine (read only: change it through the network).
    #[must_use]
    pub fn atp(&self) -> &Atp {
        &self.atp
    }

    /// The books (read only: change them through the network).
    #[must_use]
    pub fn valuation(&self) -> &Valuation {
        &self.valuation
    }

    /// The network's time.
    #[must_use]
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// The journal: its head and the entries since the last drain.
    #[must_use]
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Takes the journal entries kept so far, to persist them.
    pub fn drain_journal(&mut self) -> crate::journal::Entries {
        self.journal.drain()
    }

    /// The partition this network holds, if it holds one.
    #[must_use]
    pub fn partition(&self) -> Option<Partition> {
        self.config.partition
    }

    /// Whether this network holds `item` (always, when it is not partitioned).
    #[must_use]
    pub fn holds(&self, item: ItemIx) -> bool {
        match self.config.partition {
            None => true,
            Some(p) => self.parts.get(item.index()).is_some_and(|o| *o == p.index),
        }
    }

    pub(crate) fn check_live(&self) -> Result<(), Error> {
        match self.poisoned {
            Some(Poison::Event(event)) => Err(Error::Poisoned { event }),
            Some(Poison::Call(seq)) => Err(Error::PoisonedAfter { seq }),
            None => Ok(()),
        }
    }

    /// Settles the result of a call that journals a command, given the journal's head
    /// before it. An error before the command entered the journal is a refusal: the
    /// call validates before it changes anything. An error after it cannot be undone
    /// (the command stands, in the engines and the journal), so it poisons the network
    /// and is reported as [`Error::CallDiverged`], never as a plain refusal a host
    /// could retry.
    pub(crate) fn settle<T>(
        &mut self,
        call: &'static str,
        head: u64,
        result: Result<T, Error>,
    ) -> Result<T, Error> {
        match result {
            Err(e) if self.journal.head().seq != head => {
                let seq = self.journal.head().seq;
                self.poisoned = Some(Poison::Call(seq));
                Err(Error::CallDiverged {
                    call,
                    seq,
                    engine: e.engine(),
                    code: e.code(),
                    message: e.to_string(),
                })
            }
            r => r,
        }
    }

    pub(crate) fn check_item(&self, code: &ItemCode) -> Result<(), Error> {
        if self.config.partition.is_none() {
            return Ok(());
        }
        // Unknown items are the engines' to refuse.
        let Some(ix) = self.catalog.item_ix(code) else { return Ok(()) };
        self.check_item_ix(code, ix)
    }

    /// [`check_item`](Network::check_item) for an item already resolved to `ix`.
    pub(crate) fn check_item_ix(&self, code: &ItemCode, ix: ItemIx) -> Result<(), Error> {
        let Some(p) = self.config.partition else { return Ok(()) };
        match self.parts.get(ix.index()) {
            Some(owner) if *owner != p.index => {
                Err(Error::NotInPartition { item: code.clone(), owner: *owner, this: p.index })
            }
            _ => Ok(()),
        }
    }

    /// The names of the network's handles (see [`Names`]).
    pub(crate) fn names(&self) -> Names<'_> {
        Names { catalog: &self.catalog, config: &self.config, rules: self.ledger.rules() }
    }

    pub(crate) fn item_code(&self, ix: ItemIx) -> Result<ItemCode, Error> {
        self.names().item_code(ix)
    }

    pub(crate) fn site_code(&self, ix: SiteIx) -> Result<SiteCode, Error> {
        self.names().site_code(ix)
    }

    pub(crate) fn base_uom(&self, ix: ItemIx) -> Result<onhand_master::UomCode, Error> {
        self.names().base_uom(ix)
    }

    pub(crate) fn base_qty(&self, ix: ItemIx, q: Decimal) -> Result<Qty, Error> {
        self.names().base_qty(ix, q)
    }

    pub(crate) fn base_delta(&self, ix: ItemIx, q: Decimal) -> Result<QtyDelta, Error> {
        self.names().base_delta(ix, q)
    }

    pub(crate) fn to_base(&self, item: ItemIx, qty: Qty) -> Result<Decimal, Error> {
        self.names().to_base(item, qty)
    }

    /// Applies one inventory event everywhere it matters (see the module docs).
    ///
    /// # Errors
    /// The ledger's refusal ([`Error::Ledger`]); an engine's refusal of the event's
    /// consequences on the ledger's plan, before it commits ([`Error::Atp`],
    /// [`Error::Valuation`], [`Error::TooManyCostEvents`]); or the network's own before
    /// the ledger decides ([`Error::NotInPartition`], [`Error::NoCost`], [`Error::NoRate`],
    /// [`Error::UnknownOriginal`]); nothing changes
    /// anywhere. [`Error::Diverged`] only
    /// for a defect (see there).
    pub fn apply(&mut self, event: &Event) -> Result<Outcome, Error> {
        let released = self.held_by(event);
        let out = self.apply_engines(event)?;
        // The exception queue follows what the outcome reports.
        if let Err(e) = self.raise_for_event(event, released.as_ref(), &out) {
            self.poisoned = Some(Poison::Event(event.id));
            return Err(Error::Diverged {
                engine: e.engine(),
                event: event.id,
                code: e.code(),
                message: e.to_string(),
            });
        }
        Ok(out)
    }

    /// [`apply`](Self::apply) up to the exception queue.
    fn apply_engines(&mut self, event: &Event) -> Result<Outcome, Error> {
        self.check_live()?;
        for item in event_items(event) {
            self.check_item(item)?;
        }
        // What an approval releases: the held event, read before the ledger forgets it.
        let held = match &event.body {
            Body::Approve { event: id } | Body::Reject { event: id } => {
                self.ledger.pending_event(id).map(|p| p.event.clone())
            }
            _ => None,
        };
        let moving = match (&event.body, &held) {
            (Body::Approve { .. }, Some(h)) => h,
            _ => event,
        };
        // A repeat of an event taken before is the ledger's to call a duplicate (or an
        // id used again for other content): nothing about it is costed or checked
        // again, since what it was costed from (its purchase order, the pool it gained
        // into) may be gone, and a host retrying a delivery must hear "duplicate".
        let repeat = self.ledger.content_digest_of(&event.id).is_some();
        let inbound = if repeat {
            Vec::new()
        } else {
            self.check_withdrawn(moving)?;
            let inbound = self.cost_inbound(moving)?;
            self.check_gains_costed(moving)?;
            inbound
        };
        // The journal's next number is checked before the ledger decides; once it has,
        // the entry's mark cannot fail. The event enters the chain by the content digest
        // the ledger keeps for it, so it is hashed once.
        let seq = self.journal.next_seq()?;
        let derived = if repeat { Vec::new() } else { self.derive_costs(moving)? };
        // Only an event the ledger may hold needs its costs asked first: one it commits
        // has them booked by the veto, with the same refusal and nothing changed.
        if !repeat && self.ledger.may_hold(event.kind()) {
            self.check_known_costs(moving, &inbound, &derived, seq)?;
        }
        let applied = self.ledger_decides(event, moving, seq, (inbound, derived))?;
        let mut out = Outcome::new(event.id, Decision::Accepted);
        let mark = |n: &Self| {
            let content =
                n.ledger.content_digest_of(&event.id).unwrap_or_else(|| event.content_digest());
            n.journal.event_mark(seq, &content, event.recorded_at)
        };
        match applied {
            Applied::Duplicate => {
                out.decision = Decision::Duplicate;
                return Ok(out);
            }
            Applied::Pending { needs, .. } => {
                out.decision = Decision::Pending { needs: needs.clone() };
                let pending = match (&event.body, &held) {
                    (Body::Approve { event: id }, _) => *id,
                    _ => event.id,
                };
                out.signals.push(Signal::PendingApproval { event: pending, needs });
                let mark = mark(self);
                out.seq = Some(mark.seq);
                self.journal.push(mark, Command::Event(event.clone()));
                return Ok(out);
            }
            Applied::Accepted(accepted) => {
                let mark = mark(self);
                out.seq = Some(mark.seq);
                if let Body::Approve { event: id } = &event.body {
                    out.released = Some(*id);
                    out.signals.push(Signal::Released { event: *id });
                }
                if let Body::Reject { event: id } = &event.body {
                    out.signals.push(Signal::Rejected { event: *id });
                }
                if let Err(e) = self.downstream(moving, &accepted, &mut out) {
                    self.poisoned = Some(Poison::Event(event.id));
                    return Err(match e {
                        Error::Diverged { .. } => e,
                        other => Error::Diverged {
                            engine: other.engine(),
                            event: event.id,
                            code: other.code(),
                            message: other.to_string(),
                        },
                    });
                }
                self.feed_event(moving, &accepted, &out);
                self.journal.push(mark, Command::Event(event.clone()));
            }
        }
        Ok(out)
    }

    /// The ledger's decision on `event` (`moving`: the event, or the held event an
    /// approval releases), with what the books took for it. The engines must take
    /// every change the ledger commits, so the network's veto decides on the ledger's
    /// plan, before the commit: the availability engine's room is checked, and the
    /// event's cost events ([`plan_costs`]: `inbound` and `derived` worked out before,
    /// the rest from the plan) are booked whole. A refusal there is the engine's own
    /// error, and nothing changed anywhere. The books are booked only for an event the
    /// ledger commits (a held event when it is released).
    fn ledger_decides(
        &mut self,
        event: &Event,
        moving: &Event,
        seq: u64,
        costs: (Vec<CostBody>, Vec<CostBody>),
    ) -> Result<Applied, Error> {
        let mut refused = None;
        let mut costs = Some(costs);
        self.cost_plan.clear();
        let applied = {
            let (atp, shipments, valuation) = (&self.atp, &self.shipments, &mut self.valuation);
            let (catalog, config, shipment_count) =
                (&*self.catalog, &self.config, self.shipment_count);
            let plan = &mut self.cost_plan;
            let number = &moving.reference.number;
            // What a transfer's shipments of an item still have open.
            let open = |item: ItemIx| {
                let list = shipments.get(&(number.clone(), item));
                list.into_iter().flatten().fold(Decimal::ZERO, |a, s| a.saturating_add(s.open))
            };
            let mut veto =
                |ledger: &onhand_ledger::Ledger,
                 changes: &[(onhand_ledger::PositionKey, Decimal)]| {
                    let decided =
                        availability_room(ledger, atp, moving, changes, open).and_then(|()| {
                            let names = Names { catalog, config, rules: ledger.rules() };
                            let planning = Planning { names, ledger, shipments, shipment_count };
                            let costs = costs.take().unwrap_or_default();
                            plan_costs(&planning, moving, changes, seq, costs, plan)?;
                            plan.book(valuation)
                        });
                    match decided {
                        Ok(()) => true,
                        Err(e) => {
                            refused = Some(e);
                            false
                        }
                    }
                };
            self.ledger.apply_vetted(event, &mut veto)
        };
        match (applied, refused) {
            (Err(onhand_ledger::LedgerError::Vetoed { .. }), Some(e)) => Err(e),
            (Ok(applied), _) => Ok(applied),
            // The ledger refused after its veto agreed, and the books took the costs:
            // a defect (its commit cannot fail once its plan is checked).
            (Err(e), _) if self.cost_plan.booked => {
                self.poisoned = Some(Poison::Event(event.id));
                Err(Error::Diverged {
                    engine: "ledger",
                    event: event.id,
                    code: e.code(),
                    message: format!("refused after the books took the event's costs: {e}"),
                })
            }
            (Err(e), _) => Err(e.into()),
        }
    }

    /// Everything after the ledger accepted `moving` (the event, or the held event an
    /// approval released).
    fn downstream(
        &mut self,
        moving: &Event,
        accepted: &onhand_ledger::Accepted,
        out: &mut Outcome,
    ) -> Result<(), Error> {
        let deltas: &[onhand_ledger::Delta] = accepted.deltas();
        let measures = self.ledger.rules().measures;
        let mut touched = Touched::new();
        // Per item-site, in the order of the key once sorted (an event touches few).
        let mut avail_change: SmallVec<[((ItemIx, SiteIx), Decimal); 4]> = SmallVec::new();
        // Sized to fit: a position change is large enough that the default first
        // capacity of four missed the allocator's fast path (3% of a network event).
        out.positions.reserve_exact(deltas.len());
        for d in deltas {
            let view = self.ledger.describe(&d.key);
            out.positions.push(PositionChange {
                item: view.item,
                site: view.site,
                status: d.key.status,
                owner: view.owner,
                bin: view.bin,
                lot: view.lot,
                change: QtyDelta::new(d.change, view.uom),
                balance: QtyDelta::new(d.balance, view.uom),
            });
            if d.key.status != StockStatus::InTransit {
                touch(&mut touched, (d.key.item, d.key.site));
            }
            if measures.counts(d.key.status, Measure::Available) {
                let key = (d.key.item, d.key.site);
                match avail_change.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, c)) => *c += d.change,
                    None => avail_change.push((key, d.change)),
                }
            }
            if matches!(
                d.key.status,
                StockStatus::QualityHold | StockStatus::Blocked | StockStatus::Damaged
            ) {
                let item = self.item_code(d.key.item)?;
                let site = self.site_code(d.key.site)?;
                let qty = self.base_qty(d.key.item, d.change.abs())?;
                out.signals.push(if d.change > Decimal::ZERO {
                    Signal::StockOnHold { item, site, status: d.key.status, qty }
                } else {
                    Signal::StockReleased { item, site, status: d.key.status, qty }
                });
            }
        }
        // Allocations used up by stock leaving for an order line (before availability,
        // so free stock stays where it was).
        self.use_allocations(moving, out)?;
        self.restore_allocations(moving, out)?;
        // Transfers and purchases: dated supply.
        let transit_changes = transit(deltas.iter().map(|d| (&d.key, &d.change)));
        self.flow_transfers(moving, &transit_changes, out, &mut touched)?;
        self.flow_purchases(moving, out, &mut touched)?;
        self.reopen_purchases(moving, out, &mut touched)?;
        // Availability.
        avail_change.sort_unstable_by_key(|(k, _)| *k);
        for ((item, site), change) in &avail_change {
            let after = self.ledger.measure(*item, *site, Measure::Available);
            self.atp.set_available_base(*item, *site, after)?;
            if !change.is_zero() {
                out.availability.push(AvailabilityChange {
                    item: self.item_code(*item)?,
                    site: self.site_code(*site)?,
                    before: self.base_delta(*item, after - *change)?,
                    after: self.base_delta(*item, after)?,
                });
            }
        }
        // Valued lines no longer covered where availability or supply fell.
        self.find_short(&touched, &mut out.signals)?;
        // Costs.
        self.record_costs(moving, out)?;
        // Ledger signals, in codes.
        for s in &accepted.signals {
            if let Some(sig) = self.ledger_signal(s)? {
                out.signals.push(sig);
            }
        }
        // Replenishment.
        self.replan(&touched, &mut out.signals)?;
        Ok(())
    }

    /// Signals the booked lines at `touched` item-sites that are no longer covered: where
    /// availability with look-ahead is below zero, what is booked there exceeds what will
    /// be there. The shortfall is laid on the lines served last (least urgent priority,
    /// then latest requested date, then latest created).
    pub(crate) fn find_short(
        &self,
        touched: &[(ItemIx, SiteIx)],
        signals: &mut Vec<Signal>,
    ) -> Result<(), Error> {
        if self.bookings.is_empty() {
            return Ok(());
        }
        for &(item, site) in touched {
            let (Ok(code), Ok(site_code)) = (self.item_code(item), self.site_code(site)) else {
                continue;
            };
            let mut short = self.atp.overcommitted(item, site);
            if short <= Decimal::ZERO {
                continue;
            }
            // The lines booked there, last served first: only the lines of the item's
            // substitution group can hold it (not a scan of every booked line).
            let group = self.booked_in_group.get(&self.group_of(item)).into_iter().flatten();
            let lines =
                self.holding((item, site), group.filter_map(|r| self.bookings.get_key_value(r)));
            debug_assert_eq!(
                lines,
                self.holding((item, site), self.bookings.iter()),
                "the substitution-group index missed a line"
            );
            for (_, _, _, r, here) in lines {
                if short <= Decimal::ZERO {
                    break;
                }
                let take = short.min(here);
                short -= take;
                signals.push(Signal::LineShort {
                    line: r,
                    item: code.clone(),
                    site: site_code.clone(),
                    short: self.base_qty(item, take)?,
                });
            }
        }
        Ok(())
    }

    /// The booked `lines` that hold stock of an item-site, with what they hold there,
    /// last served first (least urgent priority, then latest requested date, then
    /// latest created).
    fn holding<'a>(
        &self,
        (item, site): (ItemIx, SiteIx),
        lines: impl Iterator<Item = (&'a OrderRef, &'a Booking)>,
    ) -> Vec<(u8, NaiveDate, u64, OrderRef, Decimal)> {
        let mut held = Vec::new();
        for (r, b) in lines {
            let Some(p) = self.atp.booked(LineId(b.id)) else { continue };
            let here: Decimal = p
                .schedule()
                .iter()
                .filter(|s| s.item == item && s.site == site)
                .map(|s| s.qty)
                .sum();
            if here > Decimal::ZERO {
                held.push((b.request.priority, b.request.requested, b.id, r.clone(), here));
            }
        }
        held.sort_by_key(|l| std::cmp::Reverse((l.0, l.1, l.2)));
        held
    }

    fn ledger_signal(&self, s: &LedgerSignal) -> Result<Option<Signal>, Error> {
        Ok(Some(match s {
            LedgerSignal::VarianceOverTolerance { key, book, counted, tolerance } => {
                let view = self.ledger.describe(key);
                Signal::VarianceOverTolerance {
                    item: view.item,
                    site: view.site,
                    bin: view.bin,
                    book: QtyDelta::new(*book, view.uom),
                    counted: QtyDelta::new(*counted, view.uom),
                    tolerance: QtyDelta::new(*tolerance, view.uom),
                }
            }
            LedgerSignal::TransferDiscrepancy { transfer, item, short, over, damaged } => {
                Signal::TransferDiscrepancy {
                    transfer: transfer.clone(),
                    item: self.item_code(*item)?,
                    short: self.base_qty(*item, *short)?,
                    over: self.base_qty(*item, *over)?,
                    damaged: self.base_qty(*item, *damaged)?,
                }
            }
            LedgerSignal::PendingApproval { event, needs } => {
                Signal::PendingApproval { event: *event, needs: needs.clone() }
            }
            LedgerSignal::NegativeStock { key, balance } => {
                let view = self.ledger.describe(key);
                Signal::NegativeStock {
                    item: view.item,
                    site: view.site,
                    balance: QtyDelta::new(*balance, view.uom),
                }
            }
            LedgerSignal::CountInvalidated { key, counted_at } => {
                let view = self.ledger.describe(key);
                Signal::CountInvalidated {
                    item: view.item,
                    site: view.site,
                    counted_at: *counted_at,
                }
            }
            _ => return Ok(None),
        }))
    }

    /// Uses up order lines' allocations for the picks and shipments of `moving`.
    fn use_allocations(&mut self, moving: &Event, out: &mut Outcome) -> Result<(), Error> {
        let (Body::Pick(m) | Body::Ship(m)) = &moving.body else { return Ok(()) };
        if moving.reference.kind != DocKind::SalesOrder {
            return Ok(());
        }
        let is_pick = matches!(moving.body, Body::Pick(_));
        for line in &m.lines {
            let Some(doc_line) = line.doc_line else { continue };
            let r = OrderRef { order: moving.reference.number.clone(), line: doc_line };
            let Some(booking) = self.bookings.get(&r) else { continue };
            let Some(item) = self.catalog.item_ix(&line.item) else { continue };
            let q = self.to_base(item, line.qty)?;
            // The line counts what is picked and shipped in the ordered item's base
            // units: a substitute's units stand for 1/ratio of them each, another item's
            // for none.
            let per = self.units_per_ordered(&booking.request.item, &line.item);
            let q_ordered = match per {
                Some(p) => {
                    q.checked_div(p).ok_or(Error::Overflow { operation: "a substitute's share" })?
                }
                None => Decimal::ZERO,
            };
            // A shipment uses what its picks have not used already.
            let take = if is_pick {
                q
            } else {
                let picked_open = (booking.picked - booking.shipped).max(Decimal::ZERO);
                match per {
                    Some(p) => ((q_ordered - picked_open).max(Decimal::ZERO) * p).min(q),
                    None => q,
                }
            };
            let id = booking.id;
            // What the line no longer asks for (requested before less after) is what a
            // reversal asks for again.
            let (used, served) = if take > Decimal::ZERO {
                let before = self.atp.requested(LineId(id)).unwrap_or_default();
                let used = self.atp.consume(
                    LineId(id),
                    &line.item,
                    &m.site,
                    self.base_qty(item, take)?,
                )?;
                (used, before - self.atp.requested(LineId(id)).unwrap_or_default())
            } else {
                (Decimal::ZERO, Decimal::ZERO)
            };
            if let Some(b) = self.bookings.get_mut(&r) {
                let total = if is_pick { &mut b.picked } else { &mut b.shipped };
                // Bounded on restore and by the ledger's line limit: never near the top.
                *total = total.checked_add(q_ordered).unwrap_or(*total);
                if take > Decimal::ZERO || q_ordered > Decimal::ZERO {
                    b.uses.push(LineUse {
                        event: moving.id,
                        pick: is_pick,
                        item: line.item.clone(),
                        site: m.site.clone(),
                        ordered: q_ordered,
                        used,
                        beyond: take - used,
                        served,
                    });
                    self.index_use(moving.id, &r);
                }
            }
            if take > Decimal::ZERO {
                out.allocations.push(AllocationUse {
                    line: r.clone(),
                    site: m.site.clone(),
                    used: self.base_qty(item, used)?,
                    beyond: self.base_qty(item, take - used)?,
                });
            }
            // A line shipped in full leaves the book.
            self.settle_booking(&r)?;
        }
        Ok(())
    }

    /// A reversed pick or shipment gives the booked lines it used up back what it used
    /// (see [`orders`](crate::orders)): their picked or shipped totals down again, the
    /// allocation it used held again where the stock came back, and what it took beyond
    /// asked for again. Before availability, as [`use_allocations`](Self::use_allocations).
    fn restore_allocations(&mut self, moving: &Event, out: &mut Outcome) -> Result<(), Error> {
        let Body::Reversal { event: original } = &moving.body else { return Ok(()) };
        let Some(lines) = self.line_uses.remove(&EventKey::from(*original)) else {
            return Ok(());
        };
        for r in lines {
            let Some(b) = self.bookings.get_mut(&r) else { continue };
            let (undo, keep): (Vec<LineUse>, Vec<LineUse>) =
                std::mem::take(&mut b.uses).into_iter().partition(|u| u.event == *original);
            b.uses = keep;
            for u in &undo {
                let total = if u.pick { &mut b.picked } else { &mut b.shipped };
                *total = (*total - u.ordered).max(Decimal::ZERO);
            }
            let id = b.id;
            for u in undo {
                if u.used.is_zero() && u.served.is_zero() {
                    continue;
                }
                let Some(item) = self.catalog.item_ix(&u.item) else { continue };
                let (used, beyond) = (self.base_qty(item, u.used)?, self.base_qty(item, u.beyond)?);
                self.atp.restore_consumed(LineId(id), &u.item, &u.site, used, u.served)?;
                out.allocations_restored.push(AllocationUse {
                    line: r.clone(),
                    site: u.site,
                    used,
                    beyond,
                });
            }
        }
        Ok(())
    }

    /// How many base units of `item` stand for one base unit of the `ordered` item: one
    /// for the item itself, the ratio for one of its substitutes, `None` for another.
    pub(crate) fn units_per_ordered(&self, ordered: &ItemCode, item: &ItemCode) -> Option<Decimal> {
        if ordered == item {
            return Some(Decimal::ONE);
        }
        let o = self.catalog.item(self.catalog.item_ix(ordered)?)?;
        o.substitutes.iter().find(|s| s.item == *item).map(|s| s.ratio).filter(|r| !r.is_zero())
    }

    /// Drops a booking whose order line has shipped in full.
    fn settle_booking(&mut self, r: &OrderRef) -> Result<(), Error> {
        let Some(b) = self.bookings.get(r) else { return Ok(()) };
        let Some(item) = self.catalog.item_ix(&b.request.item) else { return Ok(()) };
        let ordered = self.to_base(item, b.request.qty)?;
        if b.shipped >= ordered {
            let id = b.id;
            // What is left of its confirmation goes back to free stock.
            if self.atp.booked(LineId(id)).is_some() {
                self.atp.release(LineId(id))?;
            }
            self.remove_booking(r);
            self.line_refs.remove(&id);
        }
        Ok(())
    }

    /// Transfer shipments add supply at the destination; receipts and closes take it
    /// away again.
    fn flow_transfers(
        &mut self,
        moving: &Event,
        transit_changes: &BTreeMap<(ItemIx, SiteIx), Decimal>,
        out: &mut Outcome,
        touched: &mut Touched,
    ) -> Result<(), Error> {
        let number = &moving.reference.number;
        match moving.body {
            Body::TransferShip(_) => {
                // Only where it comes from and when it is expected (not a copy of the
                // order with every line).
                let order = self.ledger.transfer(number).map(|o| (o.from, o.expected_arrival));
                for ((item, dest), change) in transit_changes {
                    if *change <= Decimal::ZERO {
                        continue;
                    }
                    let arrival = self.arrival(order, moving, *item, *dest);
                    let key = shipment_key(number, self.shipment_count + 1)?;
                    self.shipment_count += 1;
                    self.add_supply(*item, *dest, arrival, *change, number, out)?;
                    self.shipments_of(number, *item).push(Shipment {
                        key,
                        to: *dest,
                        arrival,
                        open: *change,
                    });
                    touch(touched, (*item, *dest));
                }
            }
            Body::TransferReceipt(_) => {
                for ((item, dest), change) in transit_changes {
                    if *change >= Decimal::ZERO {
                        continue;
                    }
                    let mut left = -*change;
                    let list =
                        self.shipments.get(&(number.clone(), *item)).cloned().unwrap_or_default();
                    for s in &list {
                        if left <= Decimal::ZERO {
                            break;
                        }
                        let take = left.min(s.open);
                        if take > Decimal::ZERO {
                            self.remove_supply(*item, *dest, s.arrival, take, number, out)?;
                        }
                        left -= take;
                    }
                    touch(touched, (*item, *dest));
                }
            }
            Body::TransferClose => {
                let keys: Vec<ItemIx> = self
                    .shipments
                    .range((number.clone(), ItemIx::new(0))..)
                    .take_while(|((n, _), _)| n == number)
                    .map(|((_, i), _)| *i)
                    .collect();
                let dest = self.ledger.transfer(number).map(|o| o.to);
                for item in keys {
                    let list =
                        self.shipments.get(&(number.clone(), item)).cloned().unwrap_or_default();
                    if let Some(dest) = dest {
                        for s in list.iter().filter(|s| s.open > Decimal::ZERO) {
                            self.remove_supply(item, dest, s.arrival, s.open, number, out)?;
                        }
                        touch(touched, (item, dest));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// When a shipment is expected at its destination.
    fn arrival(
        &self,
        order: Option<(SiteIx, Option<DateTime<Utc>>)>,
        moving: &Event,
        item: ItemIx,
        dest: SiteIx,
    ) -> NaiveDate {
        if let Some(at) = order.and_then(|o| o.1) {
            return at.date_naive().max(self.now.date_naive());
        }
        let from = order.map(|o| o.0);
        let days = from
            .and_then(|f| {
                let code = self.catalog.site(f).map(|s| s.code.clone())?;
                self.catalog
                    .lanes_into(dest, item)
                    .find(|l| matches!(&l.from, onhand_master::LaneSource::Site(s) if *s == code))
                    .map(|l| l.transit_days)
            })
            .unwrap_or(0);
        let shipped = moving.effective_at + Duration::days(i64::from(days));
        shipped.date_naive().max(self.now.date_naive())
    }

    fn add_supply(
        &mut self,
        item: ItemIx,
        site: SiteIx,
        date: NaiveDate,
        qty: Decimal,
        source: &DocNumber,
        out: &mut Outcome,
    ) -> Result<(), Error> {
        let code = self.item_code(item)?;
        let site_code = self.site_code(site)?;
        let date = self.supply_day(date);
        self.atp.add_supply(&code, &site_code, date, self.base_qty(item, qty)?)?;
        out.supply.push(SupplyChange {
            item: code,
            site: site_code,
            date,
            change: self.base_delta(item, qty)?,
            source: source.clone(),
        });
        Ok(())
    }

    /// The day the availability engine holds open supply expected on `date`: never
    /// before tomorrow, since goods not yet received are not stock now (an overdue
    /// purchase order or transfer is supply from tomorrow until it arrives or is
    /// cancelled; [`advance_to`](Network::advance_to) moves it along).
    pub(crate) fn supply_day(&self, date: NaiveDate) -> NaiveDate {
        let today = self.atp.today();
        date.max(today.succ_opt().unwrap_or(today))
    }

    /// Open supply (expected receipts and transfer shipments) the availability engine
    /// holds on or before `day`: item, site, the day it is held on, and how much.
    pub(crate) fn supply_due_by(
        &self,
        day: NaiveDate,
    ) -> Result<Vec<(ItemCode, SiteCode, NaiveDate, Qty)>, Error> {
        let mut out = Vec::new();
        for r in self.receipts.values().filter(|r| r.open > Decimal::ZERO) {
            let held = self.supply_day(r.expected.due);
            if held <= day {
                let (item, _) = self.item_site(&r.expected.item, &r.expected.site)?;
                let qty = self.base_qty(item, r.open)?;
                out.push((r.expected.item.clone(), r.expected.site.clone(), held, qty));
            }
        }
        for ((_, item), list) in &self.shipments {
            for s in list.iter().filter(|s| s.open > Decimal::ZERO) {
                let held = self.supply_day(s.arrival);
                if held <= day {
                    let qty = self.base_qty(*item, s.open)?;
                    out.push((self.item_code(*item)?, self.site_code(s.to)?, held, qty));
                }
            }
        }
        Ok(out)
    }

    /// Removes supply: from the transfer shipment or expected receipt it was added for.
    fn remove_supply(
        &mut self,
        item: ItemIx,
        site: SiteIx,
        date: NaiveDate,
        qty: Decimal,
        source: &DocNumber,
        out: &mut Outcome,
    ) -> Result<(), Error> {
        let code = self.item_code(item)?;
        let site_code = self.site_code(site)?;
        let date = self.supply_day(date);
        self.atp.remove_supply(&code, &site_code, date, self.base_qty(item, qty)?)?;
        out.supply.push(SupplyChange {
            item: code,
            site: site_code,
            date,
            change: self.base_delta(item, -qty)?,
            source: source.clone(),
        });
        Ok(())
    }

    /// A receipt against a purchase order uses up the expected receipts it names.
    fn flow_purchases(
        &mut self,
        moving: &Event,
        out: &mut Outcome,
        touched: &mut Touched,
    ) -> Result<(), Error> {
        let Body::Receipt(m) = &moving.body else { return Ok(()) };
        if moving.reference.kind != DocKind::PurchaseOrder {
            return Ok(());
        }
        let order = &moving.reference.number;
        for line in &m.lines {
            let Some(key) = self.receipt_for(order, line, &m.site) else { continue };
            let Some(item) = self.catalog.item_ix(&line.item) else { continue };
            let Some(site) = self.catalog.site_ix(&m.site) else { continue };
            let q = self.to_base(item, line.qty)?;
            let Some(r) = self.receipts.get(&key) else { continue };
            let take = q.min(r.open);
            let due = r.expected.due;
            if take > Decimal::ZERO {
                self.remove_supply(item, site, due, take, order, out)?;
            }
            if let Some(r) = self.receipts.get_mut(&key) {
                r.open -= take;
                r.received += q;
                if r.open <= Decimal::ZERO
                    && let Some(closed) = self.remove_receipt(&key)
                {
                    self.closed_receipts.insert(key.clone(), closed);
                }
            }
            let (order, line) = key;
            let used = crate::purchasing::Used { order, line, took: take, received: q };
            self.used.entry(moving.id).or_default().push(used);
            touch(touched, (item, site));
        }
        Ok(())
    }

    /// A reversed purchase receipt reopens what it used up of its expected receipts
    /// (see [`purchasing`](crate::purchasing)): the open quantity back, as supply on
    /// the due date, the line itself back when receipts closed it.
    fn reopen_purchases(
        &mut self,
        moving: &Event,
        out: &mut Outcome,
        touched: &mut Touched,
    ) -> Result<(), Error> {
        let Body::Reversal { event: original } = &moving.body else { return Ok(()) };
        let Some(used) = self.used.remove(original) else { return Ok(()) };
        for u in used {
            let key = (u.order.clone(), u.line);
            if !self.receipts.contains_key(&key) {
                // Closed by receipts: back; cancelled since: it stays cancelled.
                let Some(closed) = self.closed_receipts.remove(&key) else { continue };
                self.insert_receipt(key.clone(), closed);
            }
            let Some(r) = self.receipts.get(&key) else { continue };
            let (item_code, site_code, due) =
                (r.expected.item.clone(), r.expected.site.clone(), r.expected.due);
            let (item, site) = self.item_site(&item_code, &site_code)?;
            let expected = self.to_base(item, r.expected.qty)?;
            let Some(r) = self.receipts.get_mut(&key) else { continue };
            // What is still to come is what was expected less what the other receipts
            // brought (a later over-receipt may have taken more than this one left).
            r.received = (r.received - u.received).max(Decimal::ZERO);
            let open = (expected - r.received).max(Decimal::ZERO);
            let back = (open - r.open).max(Decimal::ZERO);
            r.open = open;
            // Open again: overdue again once its due date has passed.
            if back > Decimal::ZERO {
                r.flagged_overdue = false;
            }
            let date = self.supply_day(due);
            if back > Decimal::ZERO {
                self.atp.add_supply(&item_code, &site_code, date, self.base_qty(item, back)?)?;
                out.supply.push(SupplyChange {
                    item: item_code,
                    site: site_code,
                    date,
                    change: self.base_delta(item, back)?,
                    source: u.order,
                });
            }
            touch(touched, (item, site));
        }
        Ok(())
    }

    /// The open expected receipt a receipt line uses up: the one it names, else the only
    /// open one of its item and site on the order.
    pub(crate) fn receipt_for(
        &self,
        order: &DocNumber,
        line: &onhand_ledger::Line,
        site: &SiteCode,
    ) -> Option<(DocNumber, u32)> {
        if let Some(n) = line.doc_line {
            // Only a line of the same item at the same site: a receipt naming another
            // line uses up none.
            let key = (order.clone(), n);
            return self
                .receipts
                .get(&key)
                .is_some_and(|r| r.expected.item == line.item && r.expected.site == *site)
                .then_some(key);
        }
        let mut found = self
            .receipts
            .range((order.clone(), 0)..=(order.clone(), u32::MAX))
            .filter(|(_, r)| r.expected.item == line.item && r.expected.site == *site)
            .map(|(k, _)| k.clone());
        let first = found.next()?;
        found.next().is_none().then_some(first)
    }

    /// What `moving` did to the books: a period closed or reopened with the ledger's,
    /// and the rest of what the books took while the ledger decided (`booked`),
    /// recorded where later events read it.
    fn record_costs(&mut self, moving: &Event, out: &mut Outcome) -> Result<(), Error> {
        // The books close and reopen with the ledger (the network's period or an
        // entity's), so what they accept stays in step with it and the history they keep
        // for back-dated movements is bounded the same way.
        match &moving.body {
            Body::ClosePeriod { through, entity: None } => {
                if self.valuation.closed_through().is_none_or(|c| c < *through) {
                    self.valuation.close_period(*through)?;
                }
                return Ok(());
            }
            Body::ClosePeriod { through, entity: Some(e) } => {
                if self.valuation.entity_closed_through(e).is_none_or(|c| c < *through) {
                    self.valuation.close_entity_period(e, *through)?;
                }
                return Ok(());
            }
            // The books reopen what they have closed (a network restored from a snapshot
            // taken before the books kept entity closes has none of the entity's).
            Body::ReopenPeriod { to, entity: None } => {
                if self.valuation.closed_through().is_some_and(|c| to.is_none_or(|t| t < c)) {
                    self.valuation.reopen_period(*to)?;
                }
                return Ok(());
            }
            Body::ReopenPeriod { to, entity: Some(e) } => {
                let own = self.valuation.entity_closed_through(e);
                if own.is_some_and(|c| to.is_none_or(|t| t < c)) {
                    self.valuation.reopen_entity_period(e, *to)?;
                }
                return Ok(());
            }
            _ => {}
        }
        if !self.cost_plan.booked {
            return Ok(());
        }
        // Set aside while the network records it (its lists keep their room).
        let mut plan = std::mem::take(&mut self.cost_plan);
        let number = &moving.reference.number;
        match moving.kind() {
            // What the receipt took off its shipments; those left with nothing close.
            EventKind::TransferReceipt => {
                for (item, key, take) in &plan.received {
                    let list = self.shipments_of(number, *item);
                    if let Some(s) = list.iter_mut().find(|s| s.key == *key) {
                        s.open -= *take;
                    }
                    list.retain(|s| s.open > Decimal::ZERO);
                }
            }
            EventKind::TransferClose => {
                let items: Vec<ItemIx> = self
                    .shipments
                    .range((number.clone(), ItemIx::new(0))..)
                    .take_while(|((n, _), _)| n == number)
                    .map(|((_, i), _)| *i)
                    .collect();
                for item in items {
                    self.remove_shipments(number, item);
                }
            }
            _ => {}
        }
        for (ev, issue_of) in plan.events.iter().zip(&plan.issue_of) {
            self.note_costed(moving, &ev.body, ev.id);
            if let Some(item) = issue_of {
                self.issues.entry((moving.id.into(), *item)).or_default().push(ev.id);
            }
        }
        if out.postings.is_empty() {
            // The outcome takes the lines; the plan's list starts again next time.
            std::mem::swap(&mut out.postings, &mut plan.postings);
        } else {
            out.postings.append(&mut plan.postings);
        }
        out.documents.append(&mut plan.documents);
        self.note_withdrawn(moving, !plan.withdrew);
        self.forget_reversed(moving);
        plan.clear();
        self.cost_plan = plan;
        Ok(())
    }

    /// The item's reference cost per base unit in the owner's currency (see
    /// [`Names::reference_cost`]).
    pub(crate) fn reference_cost(
        &self,
        item: ItemIx,
        owner: EntityIx,
    ) -> Result<Option<Money>, Error> {
        self.names().reference_cost(item, owner)
    }

    /// `money` in the owner's currency, by the configured rates.
    pub(crate) fn in_currency_of(&self, money: Money, owner: EntityIx) -> Result<Money, Error> {
        self.names().in_currency_of(money, owner)
    }

    /// Costs every line of stock arriving from outside, before the ledger decides, so a
    /// receipt no one can cost is refused with nothing changed: the cost event bodies
    /// (receipts, or customer returns at the cost the goods left with when they name
    /// the shipment) that [`cost`](Network::cost) applies after the commit.
    fn cost_inbound(&self, moving: &Event) -> Result<Vec<CostBody>, Error> {
        let lines = inbound_lines(moving);
        if lines.is_empty() {
            return Ok(Vec::new());
        }
        let Some(site) = self.catalog.site_ix(match &moving.body {
            Body::Receipt(m) | Body::CustomerReturn(m) => &m.site,
            _ => return Ok(Vec::new()),
        }) else {
            return Ok(Vec::new()); // the ledger refuses the unknown site
        };
        let site_code = self.site_code(site)?;
        let mut out = Vec::with_capacity(lines.len());
        let is_return = matches!(moving.body, Body::CustomerReturn(_));
        for line in lines {
            let Some(item) = self.catalog.item_ix(&line.item) else { return Ok(Vec::new()) };
            let owner = match &line.owner {
                Some(code) => match self.catalog.entity_ix(code) {
                    Some(e) => e,
                    None => return Ok(Vec::new()), // the ledger refuses it
                },
                None => match self.catalog.site_entity(site) {
                    Some(e) => e,
                    None => return Ok(Vec::new()),
                },
            };
            let mut original = None;
            if is_return && let Some(ship) = line.original {
                let ids = self.issues.get(&(ship.into(), item)).ok_or_else(|| {
                    Error::UnknownOriginal { original: ship, item: line.item.clone() }
                })?;
                original = ids.first().copied();
            }
            // The cost and the quantity in the cost's unit.
            let (qty, unit_cost) = match (line.unit_cost, original) {
                (Some(c), _) => (line.qty, self.in_currency_of(c, owner)?),
                (None, Some(_)) => (line.qty, Money::new(Decimal::ZERO, self.currency_of(owner)?)),
                (None, None) => {
                    let po = if moving.reference.kind == DocKind::PurchaseOrder && !is_return {
                        self.receipt_for(&moving.reference.number, line, &site_code)
                            .and_then(|k| self.receipts.get(&k))
                            .and_then(|r| r.expected.unit_cost.map(|c| (r.expected.qty.uom(), c)))
                    } else {
                        None
                    };
                    if let Some((uom, c)) = po {
                        let units = self.catalog.item_units(item).ok_or_else(|| Error::NoCost {
                            item: line.item.clone(),
                            site: site_code.clone(),
                        })?;
                        let c = self.in_currency_of(c, owner)?;
                        // The price is per order unit: a quantity that is not a whole
                        // number of them is costed per base unit instead.
                        if let Ok(qty) = units.convert(line.qty, uom) {
                            (qty, c)
                        } else {
                            let base = units.to_base(line.qty)?;
                            let per = units
                                .base_per_unit(uom)
                                .filter(|p| !p.is_zero())
                                .ok_or_else(|| Error::NoCost {
                                    item: line.item.clone(),
                                    site: site_code.clone(),
                                })?;
                            let each = c.amount().checked_div(per).ok_or(Error::Overflow {
                                operation: "a purchase price per base unit",
                            })?;
                            (base, Money::new(each, c.currency()))
                        }
                    } else {
                        let c = self.reference_cost(item, owner)?.ok_or_else(|| Error::NoCost {
                            item: line.item.clone(),
                            site: site_code.clone(),
                        })?;
                        let base = self.to_base(item, line.qty)?;
                        (self.base_qty(item, base)?, c)
                    }
                }
            };
            let (site, item, owner) =
                (site_code.clone(), line.item.clone(), Some(self.names().entity_code(owner)?));
            out.push(if is_return {
                CostBody::CustomerReturn {
                    site,
                    item,
                    qty,
                    original,
                    unit_cost: original.is_none().then_some(unit_cost),
                    owner,
                }
            } else {
                CostBody::Receipt { site, item, qty, unit_cost, owner }
            });
        }
        Ok(out)
    }

    /// Refuses, before the ledger decides, a receipt, customer return, reversal or
    /// return to supplier whose cost events (known before the ledger's plan) the books
    /// would refuse: a value beyond what valuation carries, a quantity or cost the pool
    /// cannot hold, a return beyond its receipt. The veto books the same events whole
    /// when the ledger commits; asking first refuses such an event before the ledger
    /// would hold it for an approval the books could never follow, so it is asked only
    /// of kinds the ledger may hold ([`Ledger::may_hold`](onhand_ledger::Ledger::may_hold)).
    fn check_known_costs(
        &mut self,
        moving: &Event,
        inbound: &[CostBody],
        derived: &[CostBody],
        seq: u64,
    ) -> Result<(), Error> {
        let bodies = if inbound.is_empty() { derived } else { inbound };
        if bodies.is_empty() {
            return Ok(());
        }
        let events: SmallVec<[CostEvent; 2]> = (0u64..)
            .zip(bodies)
            .map(|(k, body)| cost_event(moving, seq, k, body.clone()))
            .collect();
        self.valuation.check_all(&events)?;
        Ok(())
    }

    /// The entity owning a line's stock at a site: the line's, else the site's.
    fn owner_of(
        &self,
        site: SiteIx,
        owner: Option<&onhand_master::EntityCode>,
    ) -> Option<EntityIx> {
        self.names().owner_of(site, owner)
    }

    /// Whether found stock of `item` owned by `owner` at `site` can be valued: a price on
    /// the line, the item's reference cost, or the cost of what the pool holds.
    fn gain_costed(
        &self,
        item: ItemIx,
        site: SiteIx,
        owner: EntityIx,
        line_cost: bool,
    ) -> Result<bool, Error> {
        if line_cost || self.reference_cost(item, owner)?.is_some() {
            return Ok(true);
        }
        Ok(self.pool_costed(item, site, owner))
    }

    /// Whether the pool of `item` owned by `owner` at `site` holds stock at a cost (the
    /// last of [`gain_costed`](Network::gain_costed)'s questions).
    fn pool_costed(&self, item: ItemIx, site: SiteIx, owner: EntityIx) -> bool {
        let (Some(i), Some(e), Some(s)) =
            (self.catalog.item(item), self.catalog.entity(owner), self.catalog.site(site))
        else {
            return true; // the ledger refuses unknown codes
        };
        self.valuation.unit_cost(&e.code, &i.code, Some(&s.code)).is_some()
    }

    /// Refuses, before the ledger decides, stock found by an adjustment or a count that
    /// nothing can value: no price on the line, no reference cost, and none of it held at
    /// a cost. (Receipts and returns are checked by [`Network::cost_inbound`].)
    fn check_gains_costed(&self, moving: &Event) -> Result<(), Error> {
        match &moving.body {
            Body::Adjustment(m) => {
                let Some(site) = self.catalog.site_ix(&m.site) else { return Ok(()) };
                for line in m.lines.iter().filter(|l| l.from.is_none()) {
                    let (Some(item), Some(owner)) = (
                        self.catalog.item_ix(&line.item),
                        self.owner_of(site, line.owner.as_ref()),
                    ) else {
                        continue;
                    };
                    if !self.gain_costed(item, site, owner, line.unit_cost.is_some())? {
                        return Err(Error::NoCost {
                            item: line.item.clone(),
                            site: m.site.clone(),
                        });
                    }
                }
            }
            Body::CycleCount(c) => {
                let Some(site) = self.catalog.site_ix(&c.site) else { return Ok(()) };
                for line in &c.lines {
                    let (Some(item), Some(owner)) = (
                        self.catalog.item_ix(&line.item),
                        self.owner_of(site, line.owner.as_ref()),
                    ) else {
                        continue;
                    };
                    // A reference cost values a gain (its errors are the count's, gain
                    // or not); the pool's cost is asked only of a count that finds more
                    // than the book.
                    if self.reference_cost(item, owner)?.is_some() {
                        continue;
                    }
                    let bin = match &line.bin {
                        Some(b) => match self.catalog.bin_ix(site, b) {
                            Some(ix) => Some(ix),
                            None => continue,
                        },
                        None => None,
                    };
                    let lot = match &line.lot {
                        Some(l) => self.ledger.lot_ix(item, l),
                        None => None,
                    };
                    let key = onhand_ledger::PositionKey {
                        item,
                        site,
                        status: line.status.unwrap_or(StockStatus::Available),
                        owner,
                        bin,
                        lot,
                    };
                    let book = self.ledger.qty_as_of(&key, moving.effective_at);
                    let Ok(counted) = self.to_base(item, line.counted) else { continue };
                    // Nothing values a gain: refuse only a count that finds more than the book.
                    if counted > book && !self.pool_costed(item, site, owner) {
                        return Err(Error::NoCost {
                            item: line.item.clone(),
                            site: c.site.clone(),
                        });
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn currency_of(&self, owner: EntityIx) -> Result<onhand_master::CurrencyCode, Error> {
        self.catalog.entity(owner).map(|e| e.currency).ok_or_else(|| Error::Restore {
            what: format!("no entity with handle {}", owner.index()),
        })
    }

    /// Whether a planned item-site's inventory position is at or below its reorder
    /// point.
    pub(crate) fn is_below(&self, key: (ItemIx, SiteIx)) -> Result<bool, Error> {
        let Some(planner) = &self.planner else { return Ok(false) };
        let item = self.item_code(key.0)?;
        let site = self.site_code(key.1)?;
        let Some(params) = planner.parameters(&item, &site) else { return Ok(false) };
        let position = self.inventory_position(key).value()?;
        Ok(position <= params.reorder_point)
    }

    /// The item-site an expected receipt is for (`None` for codes the catalog lacks,
    /// which the network never records).
    fn receipt_site(&self, r: &OpenReceipt) -> Option<(ItemIx, SiteIx)> {
        Some((self.catalog.item_ix(&r.expected.item)?, self.catalog.site_ix(&r.expected.site)?))
    }

    /// An item's substitution group ([`Network::sub_group`]).
    pub(crate) fn group_of(&self, item: ItemIx) -> u32 {
        self.sub_group.get(item.index()).copied().unwrap_or(item.raw())
    }

    /// The substitution group of the item a request names (`None`: an unknown item).
    fn request_group(&self, b: &Booking) -> Option<u32> {
        self.catalog.item_ix(&b.request.item).map(|i| self.group_of(i))
    }

    /// Records a booked order line and indexes it by its item's substitution group.
    pub(crate) fn insert_booking(&mut self, r: OrderRef, b: Booking) -> Option<Booking> {
        if let Some(g) = self.request_group(&b) {
            self.booked_in_group.entry(g).or_default().insert(r.clone());
        }
        self.bookings.insert(r, b)
    }

    /// Indexes booked line `r` under the pick or shipment `event` that used it.
    pub(crate) fn index_use(&mut self, event: EventId, r: &OrderRef) {
        let at = self.line_uses.entry(event.into()).or_default();
        if !at.contains(r) {
            at.push(r.clone());
        }
    }

    /// Drops a booked order line and its index entry.
    pub(crate) fn remove_booking(&mut self, r: &OrderRef) -> Option<Booking> {
        let b = self.bookings.remove(r)?;
        for u in &b.uses {
            let key = EventKey::from(u.event);
            if let Some(at) = self.line_uses.get_mut(&key) {
                at.retain(|x| x != r);
                if at.is_empty() {
                    self.line_uses.remove(&key);
                }
            }
        }
        if let Some(g) = self.request_group(&b)
            && let Some(set) = self.booked_in_group.get_mut(&g)
        {
            set.remove(r);
            if set.is_empty() {
                self.booked_in_group.remove(&g);
            }
        }
        Some(b)
    }

    /// Records an expected receipt and indexes it by item-site; returns the one it
    /// replaced.
    pub(crate) fn insert_receipt(
        &mut self,
        key: (DocNumber, u32),
        r: OpenReceipt,
    ) -> Option<OpenReceipt> {
        let new_at = self.receipt_site(&r);
        let old = self.receipts.insert(key.clone(), r);
        // A replaced receipt keeps its key; only its item-site may differ.
        if let Some(old_at) = old.as_ref().and_then(|o| self.receipt_site(o))
            && Some(old_at) != new_at
        {
            self.unindex_receipt(old_at, &key);
        }
        if let Some(at) = new_at {
            self.receipts_at.entry(at).or_default().insert(key);
        }
        old
    }

    /// Removes an expected receipt and its index entry.
    pub(crate) fn remove_receipt(&mut self, key: &(DocNumber, u32)) -> Option<OpenReceipt> {
        let r = self.receipts.remove(key)?;
        if let Some(at) = self.receipt_site(&r) {
            self.unindex_receipt(at, key);
        }
        Some(r)
    }

    fn unindex_receipt(&mut self, at: (ItemIx, SiteIx), key: &(DocNumber, u32)) {
        if let Some(keys) = self.receipts_at.get_mut(&at) {
            keys.remove(key);
            if keys.is_empty() {
                self.receipts_at.remove(&at);
            }
        }
    }

    /// The open shipments of a transfer order's item, created empty (and indexed) if it
    /// has none yet.
    pub(crate) fn shipments_of(&mut self, number: &DocNumber, item: ItemIx) -> &mut Vec<Shipment> {
        self.shipped.entry(item).or_default().insert(number.clone());
        self.shipments.entry((number.clone(), item)).or_default()
    }

    /// Removes a transfer order's shipments of an item and their index entry.
    pub(crate) fn remove_shipments(
        &mut self,
        number: &DocNumber,
        item: ItemIx,
    ) -> Option<Vec<Shipment>> {
        let list = self.shipments.remove(&(number.clone(), item))?;
        if let Some(orders) = self.shipped.get_mut(&item) {
            orders.remove(number);
            if orders.is_empty() {
                self.shipped.remove(&item);
            }
        }
        Some(list)
    }

    /// Whether the item-site indexes name exactly the keys of `receipts` and
    /// `shipments` (checked by [`Network::check`]).
    pub(crate) fn indexes_agree(&self) -> bool {
        let mut at: BTreeMap<(ItemIx, SiteIx), BTreeSet<(DocNumber, u32)>> = BTreeMap::new();
        for (k, r) in &self.receipts {
            if let Some(s) = self.receipt_site(r) {
                at.entry(s).or_default().insert(k.clone());
            }
        }
        let mut shipped: BTreeMap<ItemIx, BTreeSet<DocNumber>> = BTreeMap::new();
        for (number, item) in self.shipments.keys() {
            shipped.entry(*item).or_default().insert(number.clone());
        }
        at == self.receipts_at && shipped == self.shipped
    }

    /// A planned item-site's inventory position now.
    pub(crate) fn inventory_position(
        &self,
        (item, site): (ItemIx, SiteIx),
    ) -> onhand_replenish::Position {
        // On hand for planning is the nettable stock (available, and by the rules'
        // default receiving and quality hold, which soon become available) less what is
        // picked: a pick uses up its line's allocation here, so the demand it serves is
        // no longer netted and its stock must not be either.
        let measures = self.ledger.rules().measures;
        let on_hand = self
            .ledger
            .positions_at(item, site)
            .filter(|(k, _)| {
                k.status != StockStatus::Picked && measures.counts(k.status, Measure::Nettable)
            })
            .map(|(_, q)| q)
            .sum::<Decimal>();
        // Only this item's shipments and this item-site's receipts, through their
        // indexes (not a scan of every open shipment and receipt).
        let in_transit: Decimal = self
            .shipped
            .get(&item)
            .into_iter()
            .flatten()
            .filter_map(|number| self.shipments.get(&(number.clone(), item)))
            .flatten()
            .filter(|s| s.to == site)
            .map(|s| s.open)
            .sum::<Decimal>();
        let on_order: Decimal = self
            .receipts_at
            .get(&(item, site))
            .into_iter()
            .flatten()
            .filter_map(|key| self.receipts.get(key))
            .map(|r| r.open)
            .sum();
        // What booked lines hold here, from the availability engine's index; what
        // they wait for, from the lines of this item only (through the
        // substitution-group index), each promise read only for those.
        let allocated = self.atp.booked_at(item, site);
        let lines = self.booked_in_group.get(&self.group_of(item)).into_iter().flatten();
        let backorders =
            self.backordered_at((item, site), lines.filter_map(|r| self.bookings.get(r)));
        debug_assert_eq!(
            (allocated, backorders),
            self.booked_at((item, site), self.bookings.values()),
            "the indexes missed a line"
        );
        onhand_replenish::Position { on_hand, on_order, in_transit, backorders, allocated }
    }

    /// What `lines` wait for at an item-site: the unconfirmed part of the lines for the
    /// item that the site would serve first.
    fn backordered_at<'a>(
        &self,
        (item, site): (ItemIx, SiteIx),
        lines: impl Iterator<Item = &'a Booking>,
    ) -> Decimal {
        let mut backorders = Decimal::ZERO;
        for b in lines.filter(|b| self.catalog.item_ix(&b.request.item) == Some(item)) {
            let Some(p) = self.atp.booked(LineId(b.id)) else { continue };
            if p.unconfirmed > Decimal::ZERO && self.first_source(b) == Some(site) {
                backorders += p.unconfirmed;
            }
        }
        backorders
    }

    /// What `lines` hold of an item-site (their schedule lines there) and what they wait
    /// for there (the unconfirmed part of lines for the item that the site would serve
    /// first), by reading every line's promise: the reference the indexes are checked
    /// against in debug builds.
    fn booked_at<'a>(
        &self,
        (item, site): (ItemIx, SiteIx),
        lines: impl Iterator<Item = &'a Booking>,
    ) -> (Decimal, Decimal) {
        let mut allocated = Decimal::ZERO;
        let mut backorders = Decimal::ZERO;
        for b in lines {
            let Some(p) = self.atp.booked(LineId(b.id)) else { continue };
            for s in p.schedule().iter().filter(|s| s.item == item && s.site == site) {
                allocated += s.qty;
            }
            if self.catalog.item_ix(&b.request.item) == Some(item) && p.unconfirmed > Decimal::ZERO
            {
                backorders +=
                    if self.first_source(b) == Some(site) { p.unconfirmed } else { Decimal::ZERO };
            }
        }
        (allocated, backorders)
    }

    /// The site that would serve a booking first: the best-ranked delivery lane into its
    /// ship-to region.
    fn first_source(&self, b: &Booking) -> Option<SiteIx> {
        let region = match (&b.request.ship_to, &b.request.customer) {
            (Some(r), _) => Some(r.clone()),
            (None, Some(c)) => self
                .catalog
                .customer_ix(c)
                .and_then(|ix| self.catalog.customer(ix))
                .map(|c| c.region.clone()),
            _ => None,
        };
        let rix = region.and_then(|r| self.catalog.region_ix(&r))?;
        self.catalog
            .deliveries_to(rix)
            .min_by_key(|l| l.rank)
            .and_then(|l| self.catalog.site_ix(&l.site))
    }

    /// Re-checks the planned item-sites among `touched` against their reorder points and
    /// signals those that have just fallen to or below it.
    pub(crate) fn replan(
        &mut self,
        touched: &[(ItemIx, SiteIx)],
        signals: &mut Vec<Signal>,
    ) -> Result<(), Error> {
        if self.planner.is_none() {
            return Ok(());
        }
        for key in touched {
            let Some(was) = self.below.get(key).copied() else { continue };
            let now_below = self.is_below(*key)?;
            self.below.insert(*key, now_below);
            if now_below
                && !was
                && let Some(rec) = self.recommend(*key)?
            {
                signals.push(Signal::BelowReorderPoint { recommendation: Box::new(rec) });
            }
        }
        Ok(())
    }

    /// The planner's recommendation for one item-site, with its position as it is now.
    pub(crate) fn recommend(
        &self,
        key: (ItemIx, SiteIx),
    ) -> Result<Option<onhand_replenish::Recommendation>, Error> {
        let item = self.item_code(key.0)?;
        let site = self.site_code(key.1)?;
        // The planner weighs transfers from the other planned sites of the item, so they
        // get their positions as they are now too.
        let mut states = Vec::new();
        let plans = self.plans_of.get(&key.0).into_iter().flatten();
        for p in plans.filter_map(|k| self.config.replenish.item_sites.get(*k)) {
            let Some(s) = self.catalog.site_ix(&p.site) else { continue };
            states.push(SiteState {
                item: p.item.clone(),
                site: p.site.clone(),
                stats: p.demand.clone(),
                position: self.inventory_position((key.0, s)),
                priority_demand: p.priority_demand,
                costs: p.costs,
            });
        }
        let planner = Planner::new(self.catalog.clone(), states)?
            .with_rates(replenish_rates(&self.config))?;
        Ok(planner.evaluate()?.into_iter().find(|r| r.item == item && r.site == site))
    }

    /// Applies the journal's commands from empty: the same state, digest for digest.
    ///
    /// # Errors
    /// As the commands' calls; [`Error::Restore`] for a broken chain.
    pub fn replay<'a, I>(
        master: MasterData,
        rules: Rules,
        config: NetworkConfig,
        start: DateTime<Utc>,
        entries: I,
    ) -> Result<Self, Error>
    where
        I: IntoIterator<Item = &'a crate::journal::Entry>,
        I::IntoIter: Clone,
    {
        let entries = entries.into_iter();
        crate::journal::verify(Mark::default(), entries.clone())?;
        let mut n = Network::new(master, rules, config, start)?;
        n.replay_onto(entries)?;
        Ok(n)
    }

    /// Applies journal entries that continue this network's journal.
    ///
    /// # Errors
    /// [`Error::Restore`] when they do not continue it, or a command's own error.
    pub fn replay_onto<'a, I>(&mut self, entries: I) -> Result<(), Error>
    where
        I: IntoIterator<Item = &'a crate::journal::Entry>,
        I::IntoIter: Clone,
    {
        let entries = entries.into_iter();
        crate::journal::verify(self.journal.head(), entries.clone())?;
        for e in entries {
            self.run(&e.command)?;
            if self.journal.head().digest != e.digest {
                return Err(Error::Restore {
                    what: format!("entry {} replays to another digest", e.seq),
                });
            }
        }
        Ok(())
    }

    /// Runs one journal command.
    ///
    /// # Errors
    /// The command's own.
    pub fn run(&mut self, command: &Command) -> Result<(), Error> {
        match command {
            Command::Event(e) => self.apply(e).map(|_| ()),
            Command::Expect(r) => self.expect(r.clone()).map(|_| ()),
            Command::ChangeExpected(c) => self.change_expected(c).map(|_| ()),
            Command::CancelExpected { order, line } => {
                self.cancel_expected(order, *line).map(|_| ())
            }
            Command::Reserve { request, expires } => self.reserve(request, *expires).map(|_| ()),
            Command::Allocate { request } => self.allocate(request).map(|_| ()),
            Command::MakeHard { line } => self.make_hard(line),
            Command::Release { line } => self.release(line),
            Command::Reduce { line, qty } => self.reduce(line, *qty),
            Command::Advance { now } => self.advance_to(*now).map(|_| ()),
            Command::Reprocess { sharing } => self.reprocess(*sharing).map(|_| ()),
            Command::Act { exception, actor, action, at } => {
                self.act(*exception, actor, *action, *at).map(|_| ())
            }
            Command::Consolidate { run, group, currency } => {
                self.consolidate(*run, group, *currency).map(|_| ())
            }
            Command::ChangeCostingMethod(change) => self.change_costing_method(change).map(|_| ()),
            Command::ImportInsight { records } => self.import_insight(records),
        }
    }
}

/// An item-site, the change of its available stock and the supply an event adds there.
type Room = ((ItemIx, SiteIx), Decimal, Decimal);

/// Whether the availability engine can follow the position `changes` the ledger
/// plans for `moving`: at every item-site they touch, its available stock grown by
/// the event's net increase there, with the dated supply the event adds or takes away
/// (a transfer shipment's stock in transit adds supply at its destination, and a
/// transfer receipt takes away what its shipments of the item still have open there,
/// `open`; a reversal of a purchase receipt gives its expected receipts back at most
/// what it takes away there), must fit the engine's bound ([`Atp::check_growth_base`];
/// the engine's stock is the ledger's available stock, invariant 1). Supply is taken
/// away before stock arrives, and given back before stock leaves, so the state
/// checked bounds every state on the way. Checked before the ledger commits, so an
/// event whose consequences the engine would refuse is refused whole.
fn availability_room(
    ledger: &onhand_ledger::Ledger,
    atp: &Atp,
    moving: &Event,
    changes: &[(onhand_ledger::PositionKey, Decimal)],
    open: impl Fn(ItemIx) -> Decimal,
) -> Result<(), Error> {
    let measures = ledger.rules().measures;
    let ship = matches!(moving.body, Body::TransferShip(_));
    let receive = matches!(moving.body, Body::TransferReceipt(_));
    let reversal = matches!(moving.body, Body::Reversal { .. });
    // Per item-site: the change of available stock, and of dated supply.
    let mut sites: SmallVec<[Room; 4]> = SmallVec::new();
    for (k, c) in changes {
        let available =
            if measures.counts(k.status, Measure::Available) { *c } else { Decimal::ZERO };
        let supply = if k.status == StockStatus::InTransit {
            if ship {
                (*c).max(Decimal::ZERO)
            } else if receive && c.is_sign_negative() {
                // A receipt takes its shipments' supply away before the stock arrives
                // (at most what they still have open).
                -(-*c).min(open(k.item))
            } else {
                Decimal::ZERO
            }
        } else if reversal {
            (-*c).max(Decimal::ZERO)
        } else {
            Decimal::ZERO
        };
        if available.is_zero() && supply.is_zero() {
            continue;
        }
        let key = (k.item, k.site);
        let overflow = || {
            Error::Master(onhand_master::MasterError::Overflow {
                operation: "an event's change at an item-site",
            })
        };
        match sites.iter_mut().find(|(x, _, _)| *x == key) {
            Some((_, a, s)) => {
                *a = a.checked_add(available).ok_or_else(overflow)?;
                *s = s.checked_add(supply).ok_or_else(overflow)?;
            }
            None => sites.push((key, available, supply)),
        }
    }
    // Only growth can break the bound (the engine holds what is there now).
    for ((item, site), available, supply) in sites {
        if available > Decimal::ZERO || supply > Decimal::ZERO {
            atp.check_growth_base(item, site, available.max(Decimal::ZERO), supply)?;
        }
    }
    Ok(())
}

/// A transfer shipment's key in valuation: the order number and a running shipment
/// number (valuation keys a transfer by one shipment of one item). An order number too
/// long for both is cut to fit: the running number alone tells shipments apart, and
/// the key stays a valid transfer number (it starts as the order number does).
pub(crate) fn shipment_key(number: &DocNumber, n: u64) -> Result<TransferNo, ValuationError> {
    let suffix = format!("/{n}");
    let keep = 64usize.saturating_sub(suffix.len());
    let head = number.as_str().get(..keep).unwrap_or(number.as_str());
    TransferNo::new(format!("{head}{suffix}"))
}

/// The configured exchange rates, for the planner to convert lane costs into a site's
/// currency.
pub(crate) fn replenish_rates(config: &NetworkConfig) -> Vec<onhand_replenish::ExchangeRate> {
    config
        .rates
        .iter()
        .map(|r| onhand_replenish::ExchangeRate { from: r.from, to: r.to, rate: r.rate })
        .collect()
}

/// An empty availability engine for `config` at `now`, with its safety-stock protection
/// and quotas set (which checks them against the catalog).
pub(crate) fn configured_atp(
    catalog: &Arc<Catalog>,
    config: &NetworkConfig,
    now: DateTime<Utc>,
) -> Result<Atp, Error> {
    let mut atp = Atp::new(catalog.clone(), config.atp.engine, now.date_naive())?;
    if let Some(up_to) = config.atp.protect_safety_stock {
        atp.protect_safety_stock(up_to)?;
    }
    atp.set_quotas(&config.atp.quotas)?;
    Ok(atp)
}

/// The root of `i` in a union-find forest, halving the path on the way.
fn root(parent: &mut [usize], mut i: usize) -> usize {
    while let Some(&p) = parent.get(i) {
        if p == i {
            break;
        }
        // Path halving.
        let grand = parent.get(p).copied().unwrap_or(p);
        if let Some(slot) = parent.get_mut(i) {
            *slot = grand;
        }
        i = p;
    }
    i
}

/// Per item handle, the smallest item handle linked to it by substitution either way
/// (the connected components of the catalog's substitution graph), by union-find.
fn substitution_groups(catalog: &Catalog) -> Vec<u32> {
    let n = catalog.items().map(|(ix, _)| ix.index() + 1).max().unwrap_or(0);
    let mut parent: Vec<usize> = (0..n).collect();
    for (ix, item) in catalog.items() {
        for s in &item.substitutes {
            let Some(other) = catalog.item_ix(&s.item) else { continue };
            let (a, b) = (root(&mut parent, ix.index()), root(&mut parent, other.index()));
            let (lo, hi) = (a.min(b), a.max(b));
            if let Some(slot) = parent.get_mut(hi) {
                *slot = lo;
            }
        }
    }
    (0..n).map(|i| u32::try_from(root(&mut parent, i)).unwrap_or(u32::MAX)).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

    use onhand_master::{Catalog, Decimal, Item, ItemCode, Substitute, seed};

    use super::{shipment_key, substitution_groups};

    proptest::proptest! {
        // Every order number gives a valid key of at most 64 bytes; a short one keeps the
        // whole number, and two running numbers never give the same key.
        #[test]
        fn shipment_keys_are_valid_and_tell_shipments_apart(
            number in "[A-Z0-9][A-Z0-9/-]{0,63}",
            n in 1u64..u64::MAX,
        ) {
            let doc: onhand_ledger::DocNumber = number.parse().unwrap();
            let key = shipment_key(&doc, n).unwrap();
            let text = key.as_str();
            let suffix = format!("/{n}");
            proptest::prop_assert!(text.len() <= 64);
            proptest::prop_assert!(text.ends_with(&suffix));
            if number.len() + suffix.len() <= 64 {
                proptest::prop_assert_eq!(text, format!("{number}/{n}"));
            }
            proptest::prop_assert_ne!(key, shipment_key(&doc, n - 1).unwrap());
        }
    }

    // Groups are the connected components of the substitution graph, named by their
    // smallest handle, whichever way the links point.
    #[test]
    fn substitution_groups_join_links_either_way() {
        let mut data = seed::demo_network();
        let code = |c: &str| ItemCode::new(c).unwrap();
        let sub = |c: &str| Substitute { item: code(c), ratio: Decimal::ONE };
        // A chain NUT-M8 -> GLUE-500 and GLOVE-NIT -> GLUE-500 joins the three.
        for (from, to) in [("NUT-M8", "GLUE-500"), ("GLOVE-NIT", "GLUE-500")] {
            let it: &mut Item = data.items.iter_mut().find(|i| i.code == code(from)).unwrap();
            it.substitutes.push(sub(to));
        }
        let cat = Catalog::new(data).unwrap();
        let g = substitution_groups(&cat);
        let of = |c: &str| g[cat.item_ix(&code(c)).unwrap().index()];
        assert_eq!(of("NUT-M8"), of("GLUE-500"));
        assert_eq!(of("GLOVE-NIT"), of("GLUE-500"));
        let smallest = ["NUT-M8", "GLUE-500", "GLOVE-NIT"]
            .map(|c| cat.item_ix(&code(c)).unwrap().raw())
            .into_iter()
            .min()
            .unwrap();
        assert_eq!(of("NUT-M8"), smallest);
        // The demo's own link: BOLT-M8 by BOLT-M8-SS.
        assert_eq!(of("BOLT-M8"), of("BOLT-M8-SS"));
        assert_ne!(of("BOLT-M8"), of("NUT-M8"));
        // An item with no links is its own group.
        let drill = cat.item_ix(&code("DRILL-18V")).unwrap();
        assert_eq!(g[drill.index()], drill.raw());
    }
}
