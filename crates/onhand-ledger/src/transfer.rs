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
            | TransferState::PartlyReceived
            | TransferState::Received => true,
            TransferState::Requested | TransferState::Approved | TransferState::Closed => false,
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

    pub(crate) fn line_mut(&mut self, item: ItemIx) -> Option<&mut TransferOrderLine> {
        self.lines.iter_mut().find(|l| l.item == item)
    }

    /// The state the order's quantities imply, once it has been approved.
    pub(crate) fn settle_state(&mut self) {
        if matches!(self.state, TransferState::Requested | TransferState::Closed) {
            return;
        }
        let all_shipped = self.lines.iter().all(|l| l.shipped >= l.requested);
        let any_shipped = self.lines.iter().any(|l| !l.shipped.is_zero());
        let any_received = self.lines.iter().any(|l| !l.received.is_zero() || !l.over.is_zero());
        let nothing_in_transit = self.lines.iter().all(|l| l.outstanding().is_zero());
        self.state = match (any_shipped, all_shipped, any_received, nothing_in_transit) {
            (false, _, _, _) => TransferState::Approved,
            (true, true, true, true) => TransferState::Received,
            (true, _, true, _) => TransferState::PartlyReceived,
            (true, true, false, _) => TransferState::Shipped,
            (true, false, false, _) => TransferState::PartlyShipped,
        };
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

/// The ledger's transfer orders: stored in the order they were requested, found by
/// number through a hash index. Each transfer event looks its order up, and an ordered
/// map would compare 40-byte numbers at every level; growing the index moves only
/// positions, never the orders. Views that list orders sort them by number.
#[derive(Debug, Clone, Default)]
pub(crate) struct Transfers {
    orders: Vec<TransferOrder>,
    by_number: Map<DocNumber, usize>,
}

impl Transfers {
    pub(crate) fn get(&self, number: &DocNumber) -> Option<&TransferOrder> {
        self.by_number.get(number).and_then(|i| self.orders.get(*i))
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
            self.by_number.insert(order.number.clone(), self.orders.len());
            self.orders.push(order);
        }
    }

    /// The orders `pick` keeps, by number (only those are sorted).
    pub(crate) fn by_number(&self, pick: impl Fn(&TransferOrder) -> bool) -> Vec<&TransferOrder> {
        let mut orders: Vec<&TransferOrder> = self.orders.iter().filter(|o| pick(o)).collect();
        orders.sort_unstable_by(|a, b| a.number.cmp(&b.number));
        orders
    }
}
