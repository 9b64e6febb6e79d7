//! Transfer orders: the lifecycle of moving stock between sites (requested, approved,
//! shipped in part or whole, received in part or whole, closed with discrepancies), and
//! what each order still has in transit; and the planning of transfer events against an
//! order (request, approve, ship, receive, close), checked before the ledger changes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, Days, Utc};
use onhand_master::hash::{Map, map};
use onhand_master::{EntityIx, ItemIx, LaneSource, Role, SerialNo, SiteCode, SiteIx, Tracking};
use onhand_status::StockStatus;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use crate::chunked::Chunked;
use crate::error::LedgerError;
use crate::event::{ActorId, DocKind, DocNumber, Event, EventKind, Line, TransferRequest};
use crate::ledger::{Accepted, Applied, INDEX_FROM, ItemCtx, Ledger, LineCtx, Plan, add, positive};
use crate::position::{LotIx, PositionKey};
use crate::rules::OverReceiptAction;
use crate::signal::Signal;

/// Where a transfer order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferState {
    /// Requested, waiting for approval.
    Requested,
    /// Approved, nothing shipped yet.
    Approved,
    /// Some, not all, of the requested quantity shipped.
    PartlyShipped,
    /// Everything requested shipped, nothing received yet.
    Shipped,
    /// Some of what was shipped received.
    PartlyReceived,
    /// Everything shipped received (the order can be closed).
    Received,
    /// Closed; anything still in transit at close was written off.
    Closed,
}

impl TransferState {
    /// The stable name.
    ///
    /// ```
    /// use onhand_ledger::TransferState;
    /// assert_eq!(TransferState::PartlyShipped.as_str(), "partly_shipped");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            TransferState::Requested => "requested",
            TransferState::Approved => "approved",
            TransferState::PartlyShipped => "partly_shipped",
            TransferState::Shipped => "shipped",
            TransferState::PartlyReceived => "partly_received",
            TransferState::Received => "received",
            TransferState::Closed => "closed",
        }
    }

    /// Whether goods may ship on an order in this state.
    ///
    /// ```
    /// use onhand_ledger::TransferState;
    /// assert!(TransferState::Approved.may_ship());
    /// assert!(!TransferState::Requested.may_ship(), "not before approval");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn may_ship(self) -> bool {
        match self {
            TransferState::Approved
            | TransferState::PartlyShipped
            | TransferState::PartlyReceived => true,
            TransferState::Requested
            | TransferState::Shipped
            | TransferState::Received
            | TransferState::Closed => false,
        }
    }

    /// Whether goods may be received on an order in this state.
    ///
    /// ```
    /// use onhand_ledger::TransferState;
    /// assert!(TransferState::Shipped.may_receive());
    /// assert!(!TransferState::Approved.may_receive(), "nothing shipped yet");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn may_receive(self) -> bool {
        match self {
            TransferState::PartlyShipped
            | TransferState::Shipped
            | TransferState::PartlyReceived => true,
            // A received order has nothing in transit: anything more is not on it.
            TransferState::Requested
            | TransferState::Approved
            | TransferState::Received
            | TransferState::Closed => false,
        }
    }
}

impl fmt::Display for TransferState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What of one lot (and owner) a line has in transit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TransitKey {
    /// The lot (`None` for untracked items).
    pub lot: Option<LotIx>,
    /// The entity owning the stock in transit (the shipper's).
    pub owner: EntityIx,
}

/// One item on a transfer order, with its running totals in base units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferOrderLine {
    /// The item.
    pub item: ItemIx,
    /// Requested.
    #[serde(with = "crate::figure")]
    pub requested: Decimal,
    /// Shipped so far.
    #[serde(with = "crate::figure")]
    pub shipped: Decimal,
    /// Received so far from what was shipped (damaged included).
    #[serde(with = "crate::figure")]
    pub received: Decimal,
    /// Of the received, how much arrived damaged.
    #[serde(with = "crate::figure")]
    pub damaged: Decimal,
    /// Received beyond what was shipped.
    #[serde(with = "crate::figure")]
    pub over: Decimal,
    /// Shipped, never received, written off at close.
    #[serde(with = "crate::figure")]
    pub written_off: Decimal,
    /// What is in transit now, per lot and owner (serialized as a list of pairs, since
    /// the keys are not text).
    #[serde(with = "pairs")]
    pub in_transit: BTreeMap<TransitKey, TransitQty>,
    /// Serial numbers in transit on this order.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub serials: BTreeSet<onhand_master::SerialNo>,
}

/// A quantity in transit (base units).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TransitQty(#[serde(with = "crate::figure")] pub Decimal);

impl TransferOrderLine {
    /// Shipped and neither received nor written off.
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
    /// let nuts = catalog.item_ix(&"NUT-M8".parse()?).ok_or("item")?;
    /// let t = ledger.transfer(&to("TO-7002")?).ok_or("TO-7002")?;
    /// assert_eq!(t.line(nuts).map(|l| l.outstanding()), Some(n("400")?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn outstanding(&self) -> Decimal {
        self.in_transit
            .values()
            .map(|q| q.0)
            .fold(Decimal::ZERO, |a, b| a.checked_add(b).unwrap_or(Decimal::MAX))
    }
}

/// A transfer order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferOrder {
    /// Its number.
    pub number: DocNumber,
    /// The shipping site.
    pub from: SiteIx,
    /// The receiving site.
    pub to: SiteIx,
    /// Its state.
    pub state: TransferState,
    /// Who requested it (who may therefore not approve it).
    pub requested_by: ActorId,
    /// When it was requested.
    pub requested_at: DateTime<Utc>,
    /// When it was approved.
    pub approved_at: Option<DateTime<Utc>>,
    /// When goods first shipped.
    pub shipped_at: Option<DateTime<Utc>>,
    /// When goods are expected to arrive.
    pub expected_arrival: Option<DateTime<Utc>>,
    /// When the last receipt happened.
    pub received_at: Option<DateTime<Utc>>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Its lines, one per item.
    pub lines: Vec<TransferOrderLine>,
}

impl TransferOrder {
    /// The line for an item.
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
    /// let nuts = catalog.item_ix(&"NUT-M8".parse()?).ok_or("item")?;
    /// let t = ledger.transfer(&to("TO-7002")?).ok_or("TO-7002")?;
    /// assert_eq!(t.line(nuts).map(|l| (l.requested, l.shipped)), Some((n("500")?, n("400")?)));
    /// assert!(t.line(item).is_none(), "no bolts on this order");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn line(&self, item: ItemIx) -> Option<&TransferOrderLine> {
        self.lines.iter().find(|l| l.item == item)
    }
}

/// The state a transfer order's quantities imply, once it has been approved (a requested
/// or closed order keeps its state).
fn settled<'a>(
    state: TransferState,
    lines: impl Iterator<Item = &'a TransferOrderLine>,
) -> TransferState {
    if matches!(state, TransferState::Requested | TransferState::Closed) {
        return state;
    }
    let (mut all_shipped, mut any_shipped, mut any_received, mut nothing_in_transit) =
        (true, false, false, true);
    for l in lines {
        all_shipped &= l.shipped >= l.requested;
        any_shipped |= !l.shipped.is_zero();
        any_received |= !l.received.is_zero() || !l.over.is_zero();
        nothing_in_transit &= l.outstanding().is_zero();
    }
    match (any_shipped, all_shipped, any_received, nothing_in_transit) {
        (false, _, _, _) => TransferState::Approved,
        (true, true, true, true) => TransferState::Received,
        (true, _, true, _) => TransferState::PartlyReceived,
        (true, true, false, _) => TransferState::Shipped,
        (true, false, false, _) => TransferState::PartlyShipped,
    }
}

/// What a shipment, receipt or close changes on a stored order: the lines it touches,
/// whole as they will be, and the order's dates and state after it. Planning builds it
/// from the stored order without copying the order; commit writes it in place.
#[derive(Debug, Clone)]
pub(crate) struct OrderUpdate {
    /// The order's place in the store.
    at: usize,
    /// Changed lines by their place on the order.
    lines: SmallVec<[(usize, TransferOrderLine); 1]>,
    /// Where each item's line is on the order, once the order has more than
    /// [`INDEX_FROM`] lines (built on the first look-up).
    item_ix: Option<Map<ItemIx, usize>>,
    /// Where each changed line is in `lines`, once there are [`INDEX_FROM`] of them.
    changed_ix: Option<Map<usize, usize>>,
    pub(crate) state: TransferState,
    pub(crate) shipped_at: Option<DateTime<Utc>>,
    pub(crate) expected_arrival: Option<DateTime<Utc>>,
    pub(crate) received_at: Option<DateTime<Utc>>,
    pub(crate) closed_at: Option<DateTime<Utc>>,
}

impl OrderUpdate {
    /// No change yet to `order`, stored at `at`.
    pub(crate) fn of(at: usize, order: &TransferOrder) -> Self {
        OrderUpdate {
            at,
            lines: SmallVec::new(),
            item_ix: None,
            changed_ix: None,
            state: order.state,
            shipped_at: order.shipped_at,
            expected_arrival: order.expected_arrival,
            received_at: order.received_at,
            closed_at: order.closed_at,
        }
    }

    /// The line for `item` as this update leaves it (copied from `order` the first time
    /// it is asked for), or `None` when the order has no such line.
    /// A scan of a short order's lines; past [`INDEX_FROM`] lines a hash look-up, so
    /// an event of many lines on an order of many lines costs O(1) per line (a scan
    /// per line made it quadratic, issue 13).
    pub(crate) fn line_mut(
        &mut self,
        order: &TransferOrder,
        item: ItemIx,
    ) -> Option<&mut TransferOrderLine> {
        let li = if order.lines.len() > INDEX_FROM {
            let ix = self.item_ix.get_or_insert_with(|| {
                let mut ix = map();
                for (i, l) in order.lines.iter().enumerate() {
                    ix.entry(l.item).or_insert(i);
                }
                ix
            });
            *ix.get(&item)?
        } else {
            order.lines.iter().position(|l| l.item == item)?
        };
        let at = match self.changed(li) {
            Some(at) => at,
            None => self.push(li, order.lines.get(li)?.clone()),
        };
        self.lines.get_mut(at).map(|(_, l)| l)
    }

    /// Where the changed line for the order's line `li` is in `lines` (a scan, and past
    /// [`INDEX_FROM`] changed lines a hash look-up).
    fn changed(&mut self, li: usize) -> Option<usize> {
        if self.changed_ix.is_none() && self.lines.len() >= INDEX_FROM {
            let mut ix = map();
            ix.extend(self.lines.iter().enumerate().map(|(at, (i, _))| (*i, at)));
            self.changed_ix = Some(ix);
        }
        match &self.changed_ix {
            Some(ix) => ix.get(&li).copied(),
            None => self.lines.iter().position(|(i, _)| *i == li),
        }
    }

    /// Adds a changed line for the order's line `li`; returns where it is in `lines`.
    fn push(&mut self, li: usize, line: TransferOrderLine) -> usize {
        let at = self.lines.len();
        if let Some(ix) = &mut self.changed_ix {
            ix.insert(li, at);
        }
        self.lines.push((li, line));
        at
    }

    /// Sets the line at `li` whole.
    pub(crate) fn set_line(&mut self, li: usize, line: TransferOrderLine) {
        match self.changed(li).and_then(|at| self.lines.get_mut(at)) {
            Some((_, l)) => *l = line,
            None => {
                self.push(li, line);
            }
        }
    }

    /// Settles the state over `order`'s lines with this update's in place of theirs.
    pub(crate) fn settle(&mut self, order: &TransferOrder) {
        // One look-up per line of the order, through the index once it is worth one.
        if self.changed_ix.is_none() && self.lines.len() >= INDEX_FROM {
            self.changed(0);
        }
        let changed = &self.lines;
        let ix = self.changed_ix.as_ref();
        let lines = order.lines.iter().enumerate().map(|(i, l)| {
            let at = match ix {
                Some(ix) => ix.get(&i).copied(),
                None => changed.iter().position(|(j, _)| *j == i),
            };
            at.and_then(|at| changed.get(at)).map_or(l, |(_, c)| c)
        });
        self.state = settled(self.state, lines);
    }
}

/// Serde for maps with non-text keys: a list of `[key, value]` pairs in key order.
mod pairs {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(super) fn serialize<S: Serializer, K: Serialize, V: Serialize>(
        map: &BTreeMap<K, V>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(map.iter())
    }

    pub(super) fn deserialize<'de, D, K, V>(d: D) -> Result<BTreeMap<K, V>, D::Error>
    where
        D: Deserializer<'de>,
        K: Deserialize<'de> + Ord,
        V: Deserialize<'de>,
    {
        Ok(Vec::<(K, V)>::deserialize(d)?.into_iter().collect())
    }
}

/// The ledger's transfer orders: stored in the order they were requested (in chunks of
/// 64, so the store grows without moving orders), found by number through a hash index.
/// Each transfer event looks its order up, and an ordered map would compare 40-byte
/// numbers at every level; growing the index moves only positions. Views that list
/// orders sort them by number.
#[derive(Debug, Clone, Default)]
pub(crate) struct Transfers {
    orders: Chunked<TransferOrder, 6>,
    by_number: Map<DocNumber, usize>,
    /// The positions of the orders shipped and not yet fully received (partly shipped,
    /// shipped, partly received): the only ones with stock in transit, so a look for
    /// overdue transfers reads these, not every order ever requested.
    in_flight: std::collections::BTreeSet<usize>,
}

/// Whether an order in `state` may have stock in transit.
fn in_flight(state: TransferState) -> bool {
    matches!(
        state,
        TransferState::PartlyShipped | TransferState::Shipped | TransferState::PartlyReceived
    )
}

impl Transfers {
    pub(crate) fn get(&self, number: &DocNumber) -> Option<&TransferOrder> {
        self.find(number).map(|(_, o)| o)
    }

    /// An order with its place in the store, for an [`OrderUpdate`].
    pub(crate) fn find(&self, number: &DocNumber) -> Option<(usize, &TransferOrder)> {
        let at = *self.by_number.get(number)?;
        Some((at, self.orders.get(at)?))
    }

    /// Writes an update planned against the stored order in place.
    pub(crate) fn update(&mut self, update: OrderUpdate) {
        let Some(order) = self.orders.get_mut(update.at) else { return };
        for (li, line) in update.lines {
            if let Some(l) = order.lines.get_mut(li) {
                *l = line;
            }
        }
        order.state = update.state;
        if in_flight(update.state) {
            self.in_flight.insert(update.at);
        } else {
            self.in_flight.remove(&update.at);
        }
        order.shipped_at = update.shipped_at;
        order.expected_arrival = update.expected_arrival;
        order.received_at = update.received_at;
        order.closed_at = update.closed_at;
    }

    pub(crate) fn get_mut(&mut self, number: &DocNumber) -> Option<&mut TransferOrder> {
        self.by_number.get(number).and_then(|i| self.orders.get_mut(*i))
    }

    pub(crate) fn contains_key(&self, number: &DocNumber) -> bool {
        self.by_number.contains_key(number)
    }

    /// Stores `order`, replacing the order with its number if there is one.
    pub(crate) fn insert(&mut self, order: TransferOrder) {
        let flying = in_flight(order.state);
        let at = if let Some((at, _)) = self.find(&order.number) {
            if let Some(slot) = self.orders.get_mut(at) {
                *slot = order;
            }
            at
        } else {
            let number = order.number.clone();
            let at = self.orders.push(order);
            self.by_number.insert(number, at);
            at
        };
        if flying {
            self.in_flight.insert(at);
        } else {
            self.in_flight.remove(&at);
        }
    }

    /// The orders that may have stock in transit (see `in_flight`), by number.
    pub(crate) fn in_flight_by_number(&self) -> Vec<&TransferOrder> {
        let mut orders: Vec<&TransferOrder> =
            self.in_flight.iter().filter_map(|at| self.orders.get(*at)).collect();
        orders.sort_unstable_by(|a, b| a.number.cmp(&b.number));
        orders
    }

    /// The orders `pick` keeps, by number (only those are sorted).
    pub(crate) fn by_number(&self, pick: impl Fn(&TransferOrder) -> bool) -> Vec<&TransferOrder> {
        let mut orders: Vec<&TransferOrder> = self.orders.iter().filter(|o| pick(o)).collect();
        orders.sort_unstable_by(|a, b| a.number.cmp(&b.number));
        orders
    }
}

// Planning: what shipping, receiving, closing, requesting and approving a transfer order
// does to the ledger, checked before anything changes.

/// Quantities taken from what a transfer line has in transit, per lot and owner.
type Taken = SmallVec<[(TransitKey, Decimal); 2]>;

/// The line for `item` on the order as `update` leaves it, or the error saying the
/// order has no such line.
fn order_line<'u>(
    order: &TransferOrder,
    update: &'u mut OrderUpdate,
    l: &LineCtx<'_>,
) -> Result<&'u mut TransferOrderLine, LedgerError> {
    update.line_mut(order, l.it.ix).ok_or_else(|| LedgerError::NotOnTransfer {
        number: order.number.clone(),
        item: l.line.item.clone(),
    })
}

/// For an untracked (or lot-tracked) transfer receipt: what of `base` comes from what the
/// order line has in transit for the line's lot (owners in order), and what was
/// received over what was shipped.
fn take_in_transit(ol: &TransferOrderLine, lot: Option<LotIx>, base: Decimal) -> (Taken, Decimal) {
    let mut left = base;
    let mut taken = Taken::new();
    for (tk, q) in &ol.in_transit {
        if tk.lot != lot || left.is_zero() || q.0.is_zero() {
            continue;
        }
        let t = left.min(q.0);
        left -= t;
        taken.push((*tk, t));
    }
    (taken, left)
}

impl Ledger {
    /// Plans one line of a transfer shipment: out of the shipping site into transit to
    /// the receiving site, within what the order line requested.
    pub(crate) fn plan_ship_line(
        &self,
        event: &Event,
        l: &LineCtx<'_>,
        order: &TransferOrder,
        update: &mut OrderUpdate,
        plan: &mut Plan,
    ) -> Result<(), LedgerError> {
        Self::check_transition(event, EventKind::TransferShip, l.from, l.to, plan)?;
        let from_bin = self.bin(l.site_ix, l.site, &l.line.item, l.line.bin.as_ref())?;
        let from_key = l.from.map(|s| l.key(s, from_bin));
        let to_key = PositionKey {
            item: l.it.ix,
            site: order.to,
            status: StockStatus::InTransit,
            owner: l.owner,
            bin: None,
            lot: l.lot,
        };
        let ol = order_line(order, update, l)?;
        let shipping = onhand_master::add_exact(ol.shipped, l.base)
            .map_err(|_| LedgerError::Overflow { operation: "transfer shipped" })?;
        if shipping > ol.requested {
            return Err(LedgerError::OverShipment {
                number: order.number.clone(),
                item: l.line.item.clone(),
                requested: ol.requested,
                shipping,
            });
        }
        ol.shipped = shipping;
        let slot = ol
            .in_transit
            .entry(TransitKey { lot: l.lot, owner: l.owner })
            .or_insert(TransitQty(Decimal::ZERO));
        slot.0 = add(slot.0, l.base, "quantity in transit")?;
        self.plan_serials(&l.it, l.site, &l.line.serials, l.base, from_key, Some(to_key), plan)?;
        ol.serials.extend(l.line.serials.iter().cloned());
        if let Some(k) = from_key {
            plan.change(k, -l.base)?;
        }
        plan.change(to_key, l.base)?;
        Ok(())
    }

    /// Plans one line of a transfer receipt: out of what the order has in transit
    /// (by serial, or by lot and owner), anything over what was shipped within the
    /// over-receipt tolerance, into the receiving site.
    pub(crate) fn plan_receipt_line(
        &self,
        event: &Event,
        l: &LineCtx<'_>,
        order: &TransferOrder,
        update: &mut OrderUpdate,
        plan: &mut Plan,
    ) -> Result<(), LedgerError> {
        let kind = EventKind::TransferReceipt;
        let line = l.line;
        let to_bin =
            self.bin(l.site_ix, l.site, &line.item, line.to_bin.as_ref().or(line.bin.as_ref()))?;
        let to_key = l.to.map(|s| l.key(s, to_bin));
        let ol = order_line(order, update, l)?;
        let (taken, over) = if l.it.profile.tracking == Tracking::Serial {
            let out = self.receive_serials(
                &l.it,
                l.site,
                line,
                l.base,
                l.lot,
                (l.site_ix, &ol.serials),
                to_key,
                plan,
            )?;
            for s in &line.serials {
                ol.serials.remove(s);
            }
            out
        } else {
            if !line.serials.is_empty() {
                return Err(LedgerError::SerialCount {
                    item: line.item.clone(),
                    expected: Decimal::ZERO,
                    given: line.serials.len(),
                });
            }
            take_in_transit(ol, l.lot, l.base)
        };
        let from_transit = Self::draw_from_transit(l, ol, &taken, plan)?;
        ol.received = add(ol.received, from_transit, "transfer received")?;
        ol.over = add(ol.over, over, "transfer over-delivery")?;
        let over_need = if over.is_zero() { None } else { self.over_receipt_need(l, order, ol)? };
        let damaged = if l.to == Some(StockStatus::Damaged) { l.base } else { Decimal::ZERO };
        ol.damaged = add(ol.damaged, damaged, "transfer damaged")?;
        if !from_transit.is_zero() {
            Self::check_transition(event, kind, Some(StockStatus::InTransit), l.to, plan)?;
        }
        if !over.is_zero() {
            Self::check_transition(event, kind, None, l.to, plan)?;
        }
        if let Some(role) = over_need {
            plan.need(role);
        }
        if let Some(k) = to_key {
            plan.change(k, l.base)?;
        }
        if !over.is_zero() || !damaged.is_zero() {
            plan.signals.push(Signal::TransferDiscrepancy {
                transfer: order.number.clone(),
                item: l.it.ix,
                short: Decimal::ZERO,
                over,
                damaged,
            });
        }
        Ok(())
    }

    /// Takes `taken` out of what the order line has in transit, and plans it out of the
    /// in-transit positions at the receiving site. Returns the quantity taken.
    fn draw_from_transit(
        l: &LineCtx<'_>,
        ol: &mut TransferOrderLine,
        taken: &Taken,
        plan: &mut Plan,
    ) -> Result<Decimal, LedgerError> {
        let mut from_transit = Decimal::ZERO;
        for (tk, t) in taken {
            let short = |available: Decimal| LedgerError::InsufficientStock {
                item: l.line.item.clone(),
                site: l.site.clone(),
                bin: None,
                lot: l.line.lot.clone(),
                status: StockStatus::InTransit,
                available,
                requested: *t,
                at: None,
            };
            let q = ol.in_transit.get_mut(tk).ok_or_else(|| short(Decimal::ZERO))?;
            if q.0 < *t {
                return Err(short(q.0));
            }
            q.0 -= *t;
            from_transit = add(from_transit, *t, "transfer received")?;
            let key = PositionKey {
                item: l.it.ix,
                site: l.site_ix,
                status: StockStatus::InTransit,
                owner: tk.owner,
                bin: None,
                lot: l.lot,
            };
            plan.change(key, -*t)?;
        }
        ol.in_transit.retain(|_, q| !q.0.is_zero());
        Ok(from_transit)
    }

    /// What the order line's over-receipt (beyond what was shipped) asks under the
    /// rules' tolerance: nothing within it; beyond it, a role's approval, or a refusal.
    fn over_receipt_need(
        &self,
        l: &LineCtx<'_>,
        order: &TransferOrder,
        ol: &TransferOrderLine,
    ) -> Result<Option<Role>, LedgerError> {
        let (abs, pct, beyond) = self.rules.over_receipt_tolerance(l.site, l.it.profile.velocity);
        let tolerance = abs.max(pct.checked_mul(ol.shipped).unwrap_or(Decimal::MAX));
        if ol.over <= tolerance {
            return Ok(None);
        }
        match beyond {
            OverReceiptAction::Hold(role) => Ok(Some(role)),
            OverReceiptAction::Refuse => Err(LedgerError::OverReceipt {
                number: order.number.clone(),
                item: l.line.item.clone(),
                over: ol.over,
                tolerance,
            }),
        }
    }

    /// Completes the order update of a shipment (first shipment time, expected arrival)
    /// or receipt (last receipt time), settles the order's state and puts it in `plan`.
    pub(crate) fn finish_order_update(
        &self,
        event: &Event,
        kind: EventKind,
        order: &TransferOrder,
        mut update: OrderUpdate,
        plan: &mut Plan,
    ) {
        let at = event.effective_at;
        if kind == EventKind::TransferShip {
            // The first shipment's time, a back-dated one's included.
            update.shipped_at = Some(update.shipped_at.map_or(at, |s| s.min(at)));
            if update.expected_arrival.is_none() {
                update.expected_arrival = Some(self.arrival(order, event.effective_at));
            }
        } else {
            // The last receipt's time, whatever order they were posted in.
            update.received_at = Some(update.received_at.map_or(at, |r| r.max(at)));
        }
        update.settle(order);
        plan.transfer = Some(update);
    }

    /// Shipment time plus the slowest lane's transit days from the order's source.
    pub(crate) fn arrival(&self, order: &TransferOrder, shipped: DateTime<Utc>) -> DateTime<Utc> {
        let from = self.catalog.site(order.from).map(|s| &s.code);
        let days = order
            .lines
            .iter()
            .filter_map(|l| {
                self.catalog
                    .lanes_into(order.to, l.item)
                    .find(|lane| matches!(&lane.from, LaneSource::Site(s) if Some(s) == from))
                    .map(|lane| lane.transit_days)
            })
            .max()
            .unwrap_or(0);
        shipped.checked_add_days(Days::new(u64::from(days))).unwrap_or(shipped)
    }

    /// The transfer order `number` names, with its place in the store.
    fn referenced_order(&self, number: &DocNumber) -> Result<(usize, &TransferOrder), LedgerError> {
        self.transfers
            .find(number)
            .ok_or_else(|| LedgerError::UnknownTransfer { number: number.clone() })
    }

    pub(crate) fn order_for(
        &self,
        event: &Event,
        site: &SiteCode,
        action: EventKind,
    ) -> Result<(usize, &TransferOrder), LedgerError> {
        on_transfer_order(event, action)?;
        let number = &event.reference.number;
        let (at, order) = self.referenced_order(number)?;
        let ok_state = match action {
            EventKind::TransferShip => order.state.may_ship(),
            _ => order.state.may_receive(),
        };
        if !ok_state {
            return Err(LedgerError::TransferState {
                number: number.clone(),
                state: order.state,
                action,
            });
        }
        let expected = if action == EventKind::TransferShip { order.from } else { order.to };
        let site_ix = self.site(site)?;
        if site_ix != expected {
            let expected =
                self.catalog.site(expected).map_or_else(|| site.clone(), |s| s.code.clone());
            return Err(LedgerError::TransferSite {
                number: number.clone(),
                action,
                expected,
                given: site.clone(),
            });
        }
        if action == EventKind::TransferReceipt
            && let Some(shipped_at) = order.shipped_at
            && event.effective_at < shipped_at
        {
            return Err(LedgerError::ReceivedBeforeShipped {
                number: number.clone(),
                shipped_at,
                at: event.effective_at,
            });
        }
        Ok((at, order))
    }

    /// For a serial-tracked transfer receipt: which in-transit stock each serial comes
    /// from (and how many come from outside, over what was shipped).
    #[allow(clippy::too_many_arguments)] // every argument is a distinct fact of the line
    pub(crate) fn receive_serials(
        &self,
        it: &ItemCtx<'_>,
        site: &SiteCode,
        line: &Line,
        base: Decimal,
        lot: Option<LotIx>,
        (site_ix, on_order): (SiteIx, &std::collections::BTreeSet<SerialNo>),
        to_key: Option<PositionKey>,
        plan: &mut Plan,
    ) -> Result<(Taken, Decimal), LedgerError> {
        if Decimal::from(line.serials.len()) != base {
            return Err(LedgerError::SerialCount {
                item: line.item.clone(),
                expected: base,
                given: line.serials.len(),
            });
        }
        let mut taken: SmallVec<[(TransitKey, Decimal); 2]> = SmallVec::new();
        let mut over = Decimal::ZERO;
        for serial in &line.serials {
            if plan.moves_serial(it.ix, serial) {
                return Err(LedgerError::SerialRepeated {
                    item: line.item.clone(),
                    serial: serial.clone(),
                });
            }
            match self.serials.get(&it.ix).and_then(|m| m.get(serial)) {
                Some(k)
                    if k.status == StockStatus::InTransit
                        && k.site == site_ix
                        && k.lot == lot
                        && on_order.contains(serial) =>
                {
                    let tk = TransitKey { lot, owner: k.owner };
                    match taken.iter_mut().find(|(t, _)| *t == tk) {
                        Some((_, q)) => *q += Decimal::ONE,
                        None => taken.push((tk, Decimal::ONE)),
                    }
                }
                None => over += Decimal::ONE,
                Some(k) => {
                    let at_site =
                        self.catalog.site(k.site).map_or_else(|| site.clone(), |s| s.code.clone());
                    return Err(LedgerError::SerialInNetwork {
                        item: line.item.clone(),
                        serial: serial.clone(),
                        site: at_site,
                    });
                }
            }
            plan.move_serial(it.ix, serial, to_key);
        }
        Ok((taken, over))
    }

    pub(crate) fn plan_close(&self, event: &Event, plan: &mut Plan) -> Result<(), LedgerError> {
        on_transfer_order(event, EventKind::TransferClose)?;
        let number = &event.reference.number;
        let (at, order) = self.referenced_order(number)?;
        if order.state == TransferState::Closed {
            return Err(LedgerError::TransferState {
                number: number.clone(),
                state: order.state,
                action: EventKind::TransferClose,
            });
        }
        let from = self.catalog.site(order.from).map(|s| s.code.clone());
        let to = self.catalog.site(order.to).map(|s| s.code.clone());
        let in_scope = from.iter().chain(to.iter()).any(|s| event.actor.sites.covers(s));
        if !in_scope && let Some(site) = to {
            return Err(LedgerError::OutOfScope { actor: event.actor.id.clone(), site });
        }
        let mut update = OrderUpdate::of(at, order);
        let mut any_written_off = false;
        for (li, line) in order.lines.iter().enumerate() {
            let mut line = line.clone();
            let short = line.outstanding();
            for (tk, q) in &line.in_transit {
                let key = PositionKey {
                    item: line.item,
                    site: order.to,
                    status: StockStatus::InTransit,
                    owner: tk.owner,
                    bin: None,
                    lot: tk.lot,
                };
                plan.change(key, -q.0)?;
            }
            for serial in &line.serials {
                plan.move_serial(line.item, serial, None);
            }
            line.in_transit.clear();
            line.serials.clear();
            line.written_off = add(line.written_off, short, "transfer written off")?;
            any_written_off |= !short.is_zero();
            plan.measure(short, Decimal::ZERO);
            if !(short.is_zero() && line.over.is_zero() && line.damaged.is_zero()) {
                plan.signals.push(Signal::TransferDiscrepancy {
                    transfer: number.clone(),
                    item: line.item,
                    short,
                    over: line.over,
                    damaged: line.damaged,
                });
            }
            update.set_line(li, line);
        }
        if any_written_off {
            Self::check_transition(
                event,
                EventKind::TransferClose,
                Some(StockStatus::InTransit),
                None,
                plan,
            )?;
        }
        update.state = TransferState::Closed;
        update.closed_at = Some(event.effective_at);
        plan.transfer = Some(update);
        Ok(())
    }

    pub(crate) fn transfer_request(
        &mut self,
        event: &Event,
        req: &TransferRequest,
    ) -> Result<Applied, LedgerError> {
        on_transfer_order(event, EventKind::TransferRequest)?;
        let number = event.reference.number.clone();
        if self.transfers.contains_key(&number) {
            return Err(LedgerError::TransferExists { number });
        }
        let from = self.site(&req.from)?;
        let to = self.site(&req.to)?;
        if from == to {
            return Err(LedgerError::TransferToSelf { number, site: req.from.clone() });
        }
        if !(event.actor.sites.covers(&req.from) || event.actor.sites.covers(&req.to)) {
            return Err(LedgerError::OutOfScope {
                actor: event.actor.id.clone(),
                site: req.to.clone(),
            });
        }
        if req.lines.is_empty() {
            return Err(LedgerError::NoLines { kind: EventKind::TransferRequest });
        }
        let mut lines: Vec<TransferOrderLine> = Vec::with_capacity(req.lines.len());
        // Where each item's line is in `lines`: a request of many lines costs O(1) per
        // line, where a scan per line made it quadratic (issue 13).
        let mut line_of: Map<ItemIx, usize> = map();
        for l in &req.lines {
            let it = self.item(&l.item)?;
            let base = self.to_base(&it, l.qty)?;
            if !positive(base) {
                return Err(LedgerError::ZeroQuantity { item: l.item.clone() });
            }
            if let Some(x) = line_of.get(&it.ix).and_then(|at| lines.get_mut(*at)) {
                x.requested = add(x.requested, base, "transfer requested")?;
            } else {
                line_of.insert(it.ix, lines.len());
                lines.push(TransferOrderLine {
                    item: it.ix,
                    requested: base,
                    shipped: Decimal::ZERO,
                    received: Decimal::ZERO,
                    damaged: Decimal::ZERO,
                    over: Decimal::ZERO,
                    written_off: Decimal::ZERO,
                    in_transit: BTreeMap::new(),
                    serials: std::collections::BTreeSet::new(),
                });
            }
        }
        let order = TransferOrder {
            number: number.clone(),
            from,
            to,
            state: TransferState::Requested,
            requested_by: event.actor.id.clone(),
            requested_at: event.effective_at,
            approved_at: None,
            shipped_at: None,
            expected_arrival: req.expected_arrival,
            received_at: None,
            closed_at: None,
            lines,
        };
        self.transfers.insert(order);
        self.seq += 1;
        Ok(Applied::Accepted(Accepted {
            seq: self.seq,
            deltas: SmallVec::new(),
            signals: Vec::new(),
        }))
    }

    pub(crate) fn transfer_approve(&mut self, event: &Event) -> Result<Applied, LedgerError> {
        on_transfer_order(event, EventKind::TransferApprove)?;
        let number = &event.reference.number;
        let order = self
            .transfers
            .get(number)
            .ok_or_else(|| LedgerError::UnknownTransfer { number: number.clone() })?;
        if order.state != TransferState::Requested {
            return Err(LedgerError::TransferState {
                number: number.clone(),
                state: order.state,
                action: EventKind::TransferApprove,
            });
        }
        if order.requested_by.same_as(&event.actor.id) {
            return Err(LedgerError::SelfApproval {
                actor: event.actor.id.clone(),
                event: event.id,
            });
        }
        let sites: Vec<SiteCode> = [order.from, order.to]
            .iter()
            .filter_map(|s| self.catalog.site(*s).map(|x| x.code.clone()))
            .collect();
        if !sites.iter().any(|s| event.actor.sites.covers(s))
            && let Some(site) = sites.last()
        {
            return Err(LedgerError::OutOfScope {
                actor: event.actor.id.clone(),
                site: site.clone(),
            });
        }
        if let Some(order) = self.transfers.get_mut(number) {
            order.state = TransferState::Approved;
            order.approved_at = Some(event.effective_at);
        }
        self.seq += 1;
        Ok(Applied::Accepted(Accepted {
            seq: self.seq,
            deltas: SmallVec::new(),
            signals: Vec::new(),
        }))
    }
}

/// Refuses an event of `kind` whose reference document is not a transfer order.
fn on_transfer_order(event: &Event, kind: EventKind) -> Result<(), LedgerError> {
    if event.reference.kind == DocKind::TransferOrder {
        Ok(())
    } else {
        Err(LedgerError::WrongDocument { kind, expected: DocKind::TransferOrder })
    }
}
