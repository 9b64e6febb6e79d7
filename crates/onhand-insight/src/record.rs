//! The records the state takes in, one per thing that happened, each with its time and
//! the business codes users know. A host (the `onhand` facade, or any other) maps each
//! outcome of its engines to records one for one; a journal can be replayed into them.
//!
//! Quantities are in the item's base unit (each document keeps one unit; figures that
//! add units across items, like unit fill rate, add the numbers). Money is exact, in
//! the currency of the entity that books it.

use chrono::{DateTime, NaiveDate, Utc};
use onhand_ledger::{ActorId, DocNumber, ReasonCode};
use onhand_master::{
    BinCode, CustomerCode, CustomerGroupCode, EntityCode, ItemCode, LaneSource, Money, Qty,
    QtyDelta, SiteCode, SupplierCode, VelocityClass,
};
use serde::{Deserialize, Serialize};

/// A customer order line: its order number and line number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineRef {
    /// The sales order.
    pub order: DocNumber,
    /// The line within it.
    pub line: u32,
}

/// A transfer order line: its transfer number and line number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferRef {
    /// The transfer order.
    pub transfer: DocNumber,
    /// The line within it.
    pub line: u32,
}

/// A customer order line was entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderLineCreated {
    /// When the order was received.
    pub at: DateTime<Utc>,
    /// The line.
    pub line: LineRef,
    /// The customer.
    pub customer: CustomerCode,
    /// The customer group (a reporting dimension).
    pub group: CustomerGroupCode,
    /// The item.
    pub item: ItemCode,
    /// The quantity ordered.
    pub qty: Qty,
    /// The date the customer asked to be shipped by (fill rates measure shipments
    /// against it; a host that keeps requested delivery dates passes the ship-by date).
    pub requested: NaiveDate,
    /// The line's priority (higher is more important; weights customer impact).
    #[serde(default)]
    pub priority: u8,
}

/// One confirmed quantity, date and site of a promise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scheduled {
    /// The site that will ship it.
    pub site: SiteCode,
    /// The quantity confirmed.
    pub qty: Qty,
    /// The date it is confirmed for (the customer commit date).
    pub date: NaiveDate,
}

/// An order line was promised (or promised again: a new promise replaces the old).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderLinePromised {
    /// When.
    pub at: DateTime<Utc>,
    /// The line.
    pub line: LineRef,
    /// The schedule lines (empty: the promise is withdrawn).
    pub schedule: Vec<Scheduled>,
}

/// Part or all of an order line was shipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderLineShipped {
    /// When it left.
    pub at: DateTime<Utc>,
    /// The line.
    pub line: LineRef,
    /// The shipping site.
    pub site: SiteCode,
    /// The quantity shipped.
    pub qty: Qty,
    /// Whether this is the line's last shipment (nothing more will ship).
    pub complete: bool,
}

/// Part or all of an order line was delivered (when the host learns of deliveries).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderLineDelivered {
    /// When the customer received it.
    pub at: DateTime<Utc>,
    /// The line.
    pub line: LineRef,
    /// The quantity delivered (including any damaged).
    pub qty: Qty,
    /// Of it, the quantity that arrived damaged or was rejected.
    pub damaged: Qty,
    /// Whether the paperwork was right (invoice, packing list, certificates).
    pub documents_ok: bool,
    /// Whether this is the line's last delivery.
    pub complete: bool,
}

/// An order line was cancelled (it leaves every figure).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderLineCancelled {
    /// When.
    pub at: DateTime<Utc>,
    /// The line.
    pub line: LineRef,
}

/// What a customer return's goods were found to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnCondition {
    /// Not inspected yet (awaiting inspection; a [`ReturnInspected`] says later).
    Pending,
    /// In good order, back to stock: the customer's choice, not a fault of the
    /// delivery.
    Sound,
    /// Damaged, defective or scrapped: the delivery was not in perfect condition.
    Damaged,
}

/// Goods of a customer order line came back (a customer return).
///
/// A return found [`ReturnCondition::Damaged`] (on arrival, or at its inspection)
/// means the line was not delivered in perfect condition: its order is not a perfect
/// order (SCOR RL.1.1, component RL.2.4 *perfect condition*; see [`crate::kpi`]). A
/// sound return does not change the order's perfection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderLineReturned {
    /// When it came back.
    pub at: DateTime<Utc>,
    /// The order line whose goods came back.
    pub line: LineRef,
    /// The site that took it back.
    pub site: SiteCode,
    /// The quantity returned (in the line's unit; at most what the line shipped or
    /// delivered, less what came back before).
    pub qty: Qty,
    /// Why the customer returned it (the return's reason code).
    pub reason: ReasonCode,
    /// What the goods were found to be on arrival.
    pub condition: ReturnCondition,
}

/// Returned goods of an order line awaiting inspection were inspected (a disposition).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnInspected {
    /// When.
    pub at: DateTime<Utc>,
    /// The order line whose returned goods were inspected.
    pub line: LineRef,
    /// The site that inspected them.
    pub site: SiteCode,
    /// The quantity inspected (at most what awaits inspection).
    pub qty: Qty,
    /// The return's reason code (the one its [`OrderLineReturned`] carried).
    pub reason: ReasonCode,
    /// What inspection found: sound or damaged (pending is refused).
    pub condition: ReturnCondition,
}

/// A transfer line was requested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferRequested {
    /// When.
    pub at: DateTime<Utc>,
    /// The line.
    pub transfer: TransferRef,
    /// The shipping site.
    pub from: SiteCode,
    /// The receiving site.
    pub to: SiteCode,
    /// The item.
    pub item: ItemCode,
    /// The quantity.
    pub qty: Qty,
    /// Its value.
    pub value: Money,
    /// When it is expected to arrive, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_arrival: Option<DateTime<Utc>>,
    /// What moving it costs (freight, handling), for transfer scoring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport_cost: Option<Money>,
    /// What buying the same quantity at the destination would cost instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_cost: Option<Money>,
}

/// A transfer line was approved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferApproved {
    /// When.
    pub at: DateTime<Utc>,
    /// The line.
    pub transfer: TransferRef,
}

/// A transfer line was shipped, in full or in part: a line may ship in several parts
/// until it is complete (everything requested shipped and accounted for by receipts) or
/// closed. The first shipment ends its time to ship and starts its transit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferShipped {
    /// When.
    pub at: DateTime<Utc>,
    /// The line.
    pub transfer: TransferRef,
    /// The quantity shipped.
    pub qty: Qty,
    /// The expected arrival, if known now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_arrival: Option<DateTime<Utc>>,
}

/// A transfer line was received (in part or in full). The line is complete once
/// everything requested has shipped and the receipts account for all of it (received,
/// short or damaged); a line shipped short completes when it is closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferReceived {
    /// When.
    pub at: DateTime<Utc>,
    /// The line.
    pub transfer: TransferRef,
    /// The quantity received in good order.
    pub qty: Qty,
    /// Missing against the shipment.
    pub short: Qty,
    /// Received beyond the shipment.
    pub over: Qty,
    /// Received damaged.
    pub damaged: Qty,
}

/// A transfer line was closed.
///
/// What was shipped and never received is written off at the close: the close carries
/// that quantity, and the transfer receipt accuracy counts it as a receipt short by it
/// (a line closed short is not received accurately).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferClosed {
    /// When.
    pub at: DateTime<Utc>,
    /// The line.
    pub transfer: TransferRef,
    /// Shipped, never received, written off by the close (`None`: nothing; in the
    /// line's unit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written_off: Option<Qty>,
}

/// A cycle count of one item at one location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountRecorded {
    /// When it was counted (its shift comes from the site's calendar).
    pub at: DateTime<Utc>,
    /// The item.
    pub item: ItemCode,
    /// The site.
    pub site: SiteCode,
    /// The bin, if counted by bin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bin: Option<BinCode>,
    /// The item's class (tolerances differ by class).
    pub class: VelocityClass,
    /// Who counted.
    pub counter: ActorId,
    /// The book quantity.
    pub book: Qty,
    /// The quantity found.
    pub counted: Qty,
    /// The tolerance in units (the host resolves absolute or percent rules): the count
    /// is accurate when `|counted - book| <= tolerance`.
    pub tolerance: Qty,
    /// The value of the variance (negative for a loss).
    pub variance_value: Money,
}

/// A manual inventory adjustment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adjusted {
    /// When.
    pub at: DateTime<Utc>,
    /// The item.
    pub item: ItemCode,
    /// The site.
    pub site: SiteCode,
    /// Why.
    pub reason: ReasonCode,
    /// Who posted it.
    pub actor: ActorId,
    /// The change in quantity.
    pub delta: QtyDelta,
    /// The change in value (negative for a write-down).
    pub value: Money,
}

/// Goods received from a supplier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupplierReceipt {
    /// When.
    pub at: DateTime<Utc>,
    /// The supplier.
    pub supplier: SupplierCode,
    /// The item.
    pub item: ItemCode,
    /// The receiving site.
    pub site: SiteCode,
    /// The quantity.
    pub qty: Qty,
    /// Its value.
    pub value: Money,
}

/// Goods received from a supplier went back to it (a return to supplier naming the
/// receipt it returns).
///
/// It counts as trouble following the supplier's receipts: every receipt of this
/// supplier of the item at the site still inside its follow-up window
/// ([`crate::Config::follow_days`]) is charged as followed, like a negative adjustment
/// or damage there (see [`crate::detect`]). Receipts of other suppliers are not
/// charged: the return names whose goods failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupplierReturned {
    /// When.
    pub at: DateTime<Utc>,
    /// The supplier the goods went back to.
    pub supplier: SupplierCode,
    /// The item.
    pub item: ItemCode,
    /// The site they left.
    pub site: SiteCode,
    /// The quantity.
    pub qty: Qty,
    /// Its value.
    pub value: Money,
}

/// An earlier record was undone (the ledger reversed the event it came from): its
/// contribution leaves the figures it fed, in the cells it fed (its own day), so a
/// reversed record counts as if it had never been taken in.
///
/// | original | what leaves the figures |
/// |---|---|
/// | [`OrderLineShipped`] | the shipment: it leaves the line's shipments (its day's, of its quantity), so the fill rates and promise accuracy count the line's other shipments only; the line is open again unless what stays shipped covers what was ordered (on [`crate::Basis::Shipment`] it is then no longer fulfilled, and its order not complete). A close by a shipment's `complete` flag does not survive the reversal of any of the line's shipments (the `onhand` feed closes a line only when it has shipped in full) |
/// | [`SupplierReceipt`] | the receipt, its quantity and value from its supplier's day; for the follow-up detector, a receipt reversed inside its window leaves both the receipts and, if trouble was charged to it, the followed ones; after its window the detector's sample of that day is closed and keeps it (followed or not, as it was) |
/// | [`Adjusted`] | the adjustment from its day's count, increases or decreases, net and absolute units and value |
/// | [`StockDamaged`] | the damage, hold or scrap from its day's count, quantity and value |
///
/// Trouble charged to supplier receipts by a reversed adjustment or damage stays
/// charged: the detector counts receipts followed by trouble, and the trouble was seen.
/// Any other record is refused ([`crate::InsightError::InvalidRecord`]), as is an
/// original later than the reversal or one whose contribution is not in the state
/// (never taken in, or reversed already).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reversed {
    /// When it was undone.
    pub at: DateTime<Utc>,
    /// The record undone, exactly as it was taken in (its own time included).
    pub original: Box<Record>,
}

/// What befell stock found wanting at a site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DamageKind {
    /// Moved to damaged.
    Damaged,
    /// Put on quality hold.
    Hold,
    /// Scrapped (written off).
    Scrapped,
}

/// Stock was found damaged, put on hold or scrapped at a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StockDamaged {
    /// When.
    pub at: DateTime<Utc>,
    /// The item.
    pub item: ItemCode,
    /// The site.
    pub site: SiteCode,
    /// Damaged or held.
    pub kind: DamageKind,
    /// The quantity.
    pub qty: Qty,
    /// Its value.
    pub value: Money,
}

/// Cost of goods sold booked by an entity at a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostOfSales {
    /// When.
    pub at: DateTime<Utc>,
    /// The entity.
    pub entity: EntityCode,
    /// The site.
    pub site: SiteCode,
    /// The cost of goods sold.
    pub value: Money,
}

/// The value of an entity's stock at a site at a moment (a valuation snapshot; several
/// records with the same time add up, so a partitioned host sends its part).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StockValued {
    /// The moment valued.
    pub at: DateTime<Utc>,
    /// The entity.
    pub entity: EntityCode,
    /// The site.
    pub site: SiteCode,
    /// The stock's value.
    pub value: Money,
}

/// One cost layer or lot held at a moment, with the date it was received (aging
/// snapshot: the records with the same time make one snapshot).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StockLayer {
    /// The moment of the snapshot.
    pub at: DateTime<Utc>,
    /// The owning entity.
    pub entity: EntityCode,
    /// The site.
    pub site: SiteCode,
    /// The item.
    pub item: ItemCode,
    /// The quantity left in the layer.
    pub qty: Qty,
    /// Its value.
    pub value: Money,
    /// When it was received.
    pub received: NaiveDate,
}

/// One transfer line in transit at a moment (in-transit snapshot: the records with the
/// same time make one snapshot).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InTransitHeld {
    /// The moment of the snapshot.
    pub at: DateTime<Utc>,
    /// The transfer line.
    pub transfer: TransferRef,
    /// The entity holding title.
    pub owner: EntityCode,
    /// The quantity in transit.
    pub qty: Qty,
    /// Its value.
    pub value: Money,
    /// When it is expected, if anyone said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_arrival: Option<DateTime<Utc>>,
}

/// An intercompany mismatch (receivable against payable) was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MismatchOpened {
    /// When.
    pub at: DateTime<Utc>,
    /// Its id.
    pub id: DocNumber,
    /// The entity reporting it.
    pub entity: EntityCode,
    /// The other side.
    pub counterparty: EntityCode,
    /// The difference.
    pub value: Money,
}

/// An intercompany mismatch was resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MismatchResolved {
    /// When.
    pub at: DateTime<Utc>,
    /// Its id.
    pub id: DocNumber,
}

/// Demand of one item at one site on one day (several records of a day add up; days
/// without a record between an item-site's first and last count as zero demand).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemandObserved {
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// The day of the demand.
    pub day: NaiveDate,
    /// The item.
    pub item: ItemCode,
    /// The site.
    pub site: SiteCode,
    /// The quantity demanded.
    pub qty: Qty,
}

/// An item-site's stock and inventory position at a moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PositionObserved {
    /// When.
    pub at: DateTime<Utc>,
    /// The item.
    pub item: ItemCode,
    /// The site.
    pub site: SiteCode,
    /// Available on hand.
    pub on_hand: Qty,
    /// Inventory position (on hand + on order + in transit − backorders − allocated;
    /// may be negative).
    pub position: QtyDelta,
    /// The safety stock the current policy holds, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safety_stock: Option<Qty>,
    /// The next expected receipt, if one is on its way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_receipt: Option<NaiveDate>,
}

/// A replenishment's observed lead time on a lane.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadTimeObserved {
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// The item.
    pub item: ItemCode,
    /// Where it came from.
    pub source: LaneSource,
    /// The receiving site.
    pub site: SiteCode,
    /// When it was ordered.
    pub ordered: NaiveDate,
    /// When it was received.
    pub received: NaiveDate,
}

/// Everything the state takes in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
#[allow(clippy::large_enum_variant, reason = "records are passed by reference")]
pub enum Record {
    /// See [`OrderLineCreated`].
    OrderLineCreated(OrderLineCreated),
    /// See [`OrderLinePromised`].
    OrderLinePromised(OrderLinePromised),
    /// See [`OrderLineShipped`].
    OrderLineShipped(OrderLineShipped),
    /// See [`OrderLineDelivered`].
    OrderLineDelivered(OrderLineDelivered),
    /// See [`OrderLineCancelled`].
    OrderLineCancelled(OrderLineCancelled),
    /// See [`OrderLineReturned`].
    OrderLineReturned(OrderLineReturned),
    /// See [`ReturnInspected`].
    ReturnInspected(ReturnInspected),
    /// See [`TransferRequested`].
    TransferRequested(TransferRequested),
    /// See [`TransferApproved`].
    TransferApproved(TransferApproved),
    /// See [`TransferShipped`].
    TransferShipped(TransferShipped),
    /// See [`TransferReceived`].
    TransferReceived(TransferReceived),
    /// See [`TransferClosed`].
    TransferClosed(TransferClosed),
    /// See [`CountRecorded`].
    CountRecorded(CountRecorded),
    /// See [`Adjusted`].
    Adjusted(Adjusted),
    /// See [`SupplierReceipt`].
    SupplierReceipt(SupplierReceipt),
    /// See [`StockDamaged`].
    StockDamaged(StockDamaged),
    /// See [`SupplierReturned`].
    SupplierReturned(SupplierReturned),
    /// See [`Reversed`].
    Reversed(Reversed),
    /// See [`CostOfSales`].
    CostOfSales(CostOfSales),
    /// See [`StockValued`].
    StockValued(StockValued),
    /// See [`StockLayer`].
    StockLayer(StockLayer),
    /// See [`InTransitHeld`].
    InTransitHeld(InTransitHeld),
    /// See [`MismatchOpened`].
    MismatchOpened(MismatchOpened),
    /// See [`MismatchResolved`].
    MismatchResolved(MismatchResolved),
    /// See [`DemandObserved`].
    DemandObserved(DemandObserved),
    /// See [`PositionObserved`].
    PositionObserved(PositionObserved),
    /// See [`LeadTimeObserved`].
    LeadTimeObserved(LeadTimeObserved),
}

impl Record {
    /// The record's time.
    #[must_use]
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Record::OrderLineCreated(r) => r.at,
            Record::OrderLinePromised(r) => r.at,
            Record::OrderLineShipped(r) => r.at,
            Record::OrderLineDelivered(r) => r.at,
            Record::OrderLineCancelled(r) => r.at,
            Record::OrderLineReturned(r) => r.at,
            Record::ReturnInspected(r) => r.at,
            Record::TransferRequested(r) => r.at,
            Record::TransferApproved(r) => r.at,
            Record::TransferShipped(r) => r.at,
            Record::TransferReceived(r) => r.at,
            Record::TransferClosed(r) => r.at,
            Record::CountRecorded(r) => r.at,
            Record::Adjusted(r) => r.at,
            Record::SupplierReceipt(r) => r.at,
            Record::StockDamaged(r) => r.at,
            Record::SupplierReturned(r) => r.at,
            Record::Reversed(r) => r.at,
            Record::CostOfSales(r) => r.at,
            Record::StockValued(r) => r.at,
            Record::StockLayer(r) => r.at,
            Record::InTransitHeld(r) => r.at,
            Record::MismatchOpened(r) => r.at,
            Record::MismatchResolved(r) => r.at,
            Record::DemandObserved(r) => r.at,
            Record::PositionObserved(r) => r.at,
            Record::LeadTimeObserved(r) => r.at,
        }
    }

    /// The record's kind, as its serialized tag.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Record::OrderLineCreated(_) => "order_line_created",
            Record::OrderLinePromised(_) => "order_line_promised",
            Record::OrderLineShipped(_) => "order_line_shipped",
            Record::OrderLineDelivered(_) => "order_line_delivered",
            Record::OrderLineCancelled(_) => "order_line_cancelled",
            Record::OrderLineReturned(_) => "order_line_returned",
            Record::ReturnInspected(_) => "return_inspected",
            Record::TransferRequested(_) => "transfer_requested",
            Record::TransferApproved(_) => "transfer_approved",
            Record::TransferShipped(_) => "transfer_shipped",
            Record::TransferReceived(_) => "transfer_received",
            Record::TransferClosed(_) => "transfer_closed",
            Record::CountRecorded(_) => "count_recorded",
            Record::Adjusted(_) => "adjusted",
            Record::SupplierReceipt(_) => "supplier_receipt",
            Record::StockDamaged(_) => "stock_damaged",
            Record::SupplierReturned(_) => "supplier_returned",
            Record::Reversed(_) => "reversed",
            Record::CostOfSales(_) => "cost_of_sales",
            Record::StockValued(_) => "stock_valued",
            Record::StockLayer(_) => "stock_layer",
            Record::InTransitHeld(_) => "in_transit_held",
            Record::MismatchOpened(_) => "mismatch_opened",
            Record::MismatchResolved(_) => "mismatch_resolved",
            Record::DemandObserved(_) => "demand_observed",
            Record::PositionObserved(_) => "position_observed",
            Record::LeadTimeObserved(_) => "lead_time_observed",
        }
    }
}
