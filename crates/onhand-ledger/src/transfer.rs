//! Transfer orders: the lifecycle of moving stock between sites (requested, approved,
//! shipped in part or whole, received in part or whole, closed with discrepancies), and
//! what each order still has in transit.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, Utc};
use onhand_master::hash::Map;
use onhand_master::{EntityIx, ItemIx, SiteIx};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use crate::chunked::Chunked;
use crate::event::{ActorId, DocNumber};
use crate::position::LotIx;

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
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub requested: Decimal,
    /// Shipped so far.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub shipped: Decimal,
    /// Received so far from what was shipped (damaged included).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub received: Decimal,
    /// Of the received, how much arrived damaged.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub damaged: Decimal,
    /// Received beyond what was shipped.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub over: Decimal,
    /// Shipped, never received, written off at close.
    #[serde(with = "onhand_master::decimal::serde_str")]
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
pub struct TransitQty(#[serde(with = "onhand_master::decimal::serde_str")] pub Decimal);

impl TransferOrderLine {
    /// Shipped and neither received nor written off.
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
            state: order.state,
            shipped_at: order.shipped_at,
            expected_arrival: order.expected_arrival,
            received_at: order.received_at,
            closed_at: order.closed_at,
        }
    }

    /// The line for `item` as this update leaves it (copied from `order` the first time
    /// it is asked for), or `None` when the order has no such line.
    pub(crate) fn line_mut(
        &mut self,
        order: &TransferOrder,
        item: ItemIx,
    ) -> Option<&mut TransferOrderLine> {
        let li = order.lines.iter().position(|l| l.item == item)?;
        let at = if let Some(at) = self.lines.iter().position(|(i, _)| *i == li) {
            at
        } else {
            self.lines.push((li, order.lines.get(li)?.clone()));
            self.lines.len() - 1
        };
        self.lines.get_mut(at).map(|(_, l)| l)
    }

    /// Sets the line at `li` whole.
    pub(crate) fn set_line(&mut self, li: usize, line: TransferOrderLine) {
        match self.lines.iter_mut().find(|(i, _)| *i == li) {
            Some((_, l)) => *l = line,
            None => self.lines.push((li, line)),
        }
    }

    /// Settles the state over `order`'s lines with this update's in place of theirs.
    pub(crate) fn settle(&mut self, order: &TransferOrder) {
        let lines = order.lines.iter().enumerate().map(|(i, l)| {
            self.lines.iter().find(|(j, _)| *j == i).map_or(l, |(_, changed)| changed)
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
        if let Some(slot) = self.get_mut(&order.number) {
            *slot = order;
        } else {
            let number = order.number.clone();
            let at = self.orders.push(order);
            self.by_number.insert(number, at);
        }
    }

    /// The orders `pick` keeps, by number (only those are sorted).
    pub(crate) fn by_number(&self, pick: impl Fn(&TransferOrder) -> bool) -> Vec<&TransferOrder> {
        let mut orders: Vec<&TransferOrder> = self.orders.iter().filter(|o| pick(o)).collect();
        orders.sort_unstable_by(|a, b| a.number.cmp(&b.number));
        orders
    }
}
