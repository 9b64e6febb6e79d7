//! Customer orders by code: what a service sends to promise, reserve or allocate an order
//! line ([`OrderRequest`]), and what it gets back ([`PromiseView`]), in business codes
//! and the order line's own unit.
//!
//! An order line is named by its order number and line number ([`OrderRef`]); the
//! network keeps the availability engine's numeric line ids to itself. A pick or
//! shipment whose reference document is the sales order and whose line names the order
//! line ([`Line::doc_line`](onhand_ledger::Line::doc_line)) uses up that line's
//! allocation at the shipping site, so free stock does not change when allocated stock
//! leaves. Stock picked for the line beyond its allocation serves it all the same: the
//! line asks for that much less. A reversal of that pick or shipment gives the line back
//! what the event used up (held again at the site, as the stock is back) and asks for
//! what it took beyond; once the line has shipped in full and left the book, a reversal
//! of its shipment leaves the returned stock free.

use chrono::NaiveDate;
use onhand_atp::{Limit, SourcingRule, Strategy};
use onhand_ledger::{DocNumber, EventId};
use onhand_master::{
    ChannelCode, CustomerCode, CustomerGroupCode, ItemCode, Qty, RegionCode, SiteCode,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// An order line: order number and line number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderRef {
    /// The sales order.
    pub order: DocNumber,
    /// The line on it.
    pub line: u32,
}

impl std::fmt::Display for OrderRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.order, self.line)
    }
}

/// An order line to promise, reserve or allocate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderRequest {
    /// The sales order.
    pub order: DocNumber,
    /// The line on it.
    pub line: u32,
    /// The customer: their region is the ship-to when none is given, and their group and
    /// channel the demand class for quotas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<CustomerCode>,
    /// Where it goes (default: the customer's region).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_to: Option<RegionCode>,
    /// The item ordered.
    pub item: ItemCode,
    /// How much, in any unit the item is counted in; promises come back in this unit.
    pub qty: Qty,
    /// The requested delivery date.
    pub requested: NaiveDate,
    /// Priority: 1 is the most urgent (default 5).
    #[serde(default = "default_priority")]
    pub priority: u8,
    /// Whether it may be confirmed in several schedule lines.
    #[serde(default)]
    pub allow_split: bool,
    /// Whether substitutes may fill it.
    #[serde(default)]
    pub allow_substitutes: bool,
    /// The smallest schedule line when splitting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_split: Option<Qty>,
    /// How candidate sites are ordered.
    #[serde(default)]
    pub rule: SourcingRule,
    /// What backorder re-processing may do to it.
    #[serde(default)]
    pub strategy: Strategy,
    /// The customer group for quotas, when not the customer's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<CustomerGroupCode>,
    /// The channel for quotas, when not the customer's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<ChannelCode>,
}

fn default_priority() -> u8 {
    5
}

impl OrderRequest {
    /// A line of `qty` of `item` wanted on `requested` by `customer`, priority 5, no
    /// splits or substitutes.
    #[must_use]
    pub fn new(
        order: DocNumber,
        line: u32,
        customer: CustomerCode,
        item: ItemCode,
        qty: Qty,
        requested: NaiveDate,
    ) -> Self {
        OrderRequest {
            order,
            line,
            customer: Some(customer),
            ship_to: None,
            item,
            qty,
            requested,
            priority: default_priority(),
            allow_split: false,
            allow_substitutes: false,
            min_split: None,
            rule: SourcingRule::default(),
            strategy: Strategy::default(),
            group: None,
            channel: None,
        }
    }

    /// Its reference.
    #[must_use]
    pub fn reference(&self) -> OrderRef {
        OrderRef { order: self.order.clone(), line: self.line }
    }
}

/// A promise's schedule lines: the first is held in place, so promising a line that
/// ships from one site allocates nothing for its schedule.
pub type Schedule = smallvec::SmallVec<[ScheduleView; 1]>;

/// One confirmed schedule line, by code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleView {
    /// The item shipped (the ordered one, or a substitute).
    pub item: ItemCode,
    /// The shipping site.
    pub site: SiteCode,
    /// The quantity: in the order line's unit for the ordered item when it converts
    /// exactly, otherwise in the shipped item's base unit.
    pub qty: Qty,
    /// When it is available at the site.
    pub available_on: NaiveDate,
    /// When it is delivered.
    pub delivery: NaiveDate,
}

/// What the network confirms for an order line, by code and in the line's unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromiseView {
    /// The order line.
    pub line: OrderRef,
    /// The item ordered.
    pub item: ItemCode,
    /// Requested, in the line's unit.
    pub requested: Qty,
    /// Confirmed, in the line's unit where it converts exactly (else the base unit).
    pub confirmed: Qty,
    /// Not confirmed, in the same unit as `confirmed`.
    pub unconfirmed: Qty,
    /// The schedule lines: most promises have one, held in place (it derefs to a
    /// slice, and its JSON is a list).
    pub schedule: Schedule,
    /// Whether everything confirmed arrives by the requested date and nothing is missing.
    pub on_time: bool,
    /// What kept it from full, on-time confirmation.
    pub limits: Vec<Limit>,
}

/// A line reserved or allocated: its promise, and what booking it raised (item-sites
/// whose inventory position fell below their reorder point, lines no longer covered).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Booked {
    /// The promise.
    pub promise: PromiseView,
    /// What it raised.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signals: Vec<crate::outcome::Signal>,
}

/// What backorder re-processing changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reprocessed {
    /// The lines whose confirmation or last delivery date changed, in serve order.
    pub changes: Vec<ChangeView>,
    /// What it raised.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signals: Vec<crate::outcome::Signal>,
}

/// How backorder re-processing changed one line, by code and in the line's unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeView {
    /// The order line.
    pub line: OrderRef,
    /// Its strategy.
    pub strategy: Strategy,
    /// Confirmed before.
    pub before: Qty,
    /// Confirmed after.
    pub after: Qty,
    /// The last delivery date before.
    pub before_delivery: Option<NaiveDate>,
    /// The last delivery date after.
    pub after_delivery: Option<NaiveDate>,
}

/// A booked order line as the network keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Booking {
    /// The availability engine's id.
    pub(crate) id: u64,
    /// The request as booked.
    pub(crate) request: OrderRequest,
    /// Base units picked against it so far.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub(crate) picked: Decimal,
    /// Base units shipped against it so far.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub(crate) shipped: Decimal,
    /// What each pick and shipment for it used up, for a reversal of that event (dropped
    /// once reversed, and with the booking).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) uses: Vec<LineUse>,
}

/// What one pick or shipment used up of a booked line, in base units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LineUse {
    /// The pick or shipment event.
    pub(crate) event: EventId,
    /// A pick (`false`: a shipment).
    pub(crate) pick: bool,
    /// The item that left (the ordered item or a substitute).
    pub(crate) item: ItemCode,
    /// The site it left.
    pub(crate) site: SiteCode,
    /// Base units of the ordered item it counted as picked or shipped.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub(crate) ordered: Decimal,
    /// Base units of `item` the line's allocation covered.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub(crate) used: Decimal,
    /// Base units of `item` taken beyond it.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub(crate) beyond: Decimal,
    /// Base units of the ordered item the line stopped asking for.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub(crate) served: Decimal,
}
