//! [`Outcome`]: everything one call changed, in business codes and units, never the
//! engines' internal handles: the ledger's decision, the position changes, the
//! availability changes, the allocations used up, the supply added or removed, the
//! postings and intercompany documents, and the [`Signal`]s raised.

use chrono::{DateTime, NaiveDate, Utc};
use onhand_ledger::{DocNumber, EventId};
use onhand_master::{
    BinCode, EntityCode, ItemCode, LotCode, Qty, QtyDelta, Role, SiteCode, SupplierCode,
};
use onhand_replenish::Recommendation;
use onhand_status::StockStatus;
use onhand_valuation::{IcDocument, Posting};
use serde::{Deserialize, Serialize};

use crate::orders::OrderRef;

/// What the ledger decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Applied, everywhere.
    Accepted,
    /// Held for approval: nothing moved yet.
    Pending {
        /// The roles whose approval it still needs.
        needs: Vec<Role>,
    },
    /// The same event was applied before: nothing happened again.
    Duplicate,
}

/// One position's change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionChange {
    /// The item.
    pub item: ItemCode,
    /// The site (for stock in transit: its destination).
    pub site: SiteCode,
    /// The status.
    pub status: StockStatus,
    /// The owning entity.
    pub owner: EntityCode,
    /// The bin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bin: Option<BinCode>,
    /// The lot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot: Option<LotCode>,
    /// The change, in the item's base unit.
    pub change: QtyDelta,
    /// The balance after it (negative only where the policy allows negative stock).
    pub balance: QtyDelta,
}

/// Available stock at an item-site before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvailabilityChange {
    /// The item.
    pub item: ItemCode,
    /// The site.
    pub site: SiteCode,
    /// Available on hand before (the ledger's `available` measure).
    pub before: QtyDelta,
    /// Available on hand after.
    pub after: QtyDelta,
}

/// An order line's allocation used up by stock leaving for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllocationUse {
    /// The order line.
    pub line: OrderRef,
    /// The site it left from.
    pub site: SiteCode,
    /// How much of the allocation it used, in the item's base unit.
    pub used: Qty,
    /// What left beyond the line's allocation at that site (taken from free stock).
    pub beyond: Qty,
}

/// Dated supply added to or removed from an item-site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplyChange {
    /// The item.
    pub item: ItemCode,
    /// The site.
    pub site: SiteCode,
    /// The date it is (or was) expected.
    pub date: NaiveDate,
    /// Added (positive) or removed (negative), in the item's base unit.
    pub change: QtyDelta,
    /// Why: the transfer order or purchase order.
    pub source: DocNumber,
}

/// Something a call raised that someone should look at, with the figures it was raised
/// on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Signal {
    /// An item-site's inventory position fell to or below its reorder point; the
    /// recommendation weighs transfer, purchase, substitute and allocation control.
    BelowReorderPoint {
        /// What the planner recommends, with its figures and reasons.
        recommendation: Box<Recommendation>,
    },
    /// A booked order line is no longer covered: supply it counted on went away.
    LineShort {
        /// The order line.
        line: OrderRef,
        /// The item.
        item: ItemCode,
        /// The site whose availability fell below what is booked there.
        site: SiteCode,
        /// How much of what is booked there is no longer covered.
        short: Qty,
    },
    /// A count differed from the book by more than the tolerance.
    VarianceOverTolerance {
        /// The item.
        item: ItemCode,
        /// The site.
        site: SiteCode,
        /// The bin.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bin: Option<BinCode>,
        /// The book quantity at the count.
        book: QtyDelta,
        /// The counted quantity.
        counted: QtyDelta,
        /// The tolerance that applied.
        tolerance: QtyDelta,
    },
    /// Stock moved into quality hold, blocked or damaged.
    StockOnHold {
        /// The item.
        item: ItemCode,
        /// The site.
        site: SiteCode,
        /// The status it is in now.
        status: StockStatus,
        /// How much moved in.
        qty: Qty,
    },
    /// Stock left quality hold, blocked or damaged.
    StockReleased {
        /// The item.
        item: ItemCode,
        /// The site.
        site: SiteCode,
        /// The status it left.
        status: StockStatus,
        /// How much moved out.
        qty: Qty,
    },
    /// The event waits for approval.
    PendingApproval {
        /// The event.
        event: EventId,
        /// The roles still needed.
        needs: Vec<Role>,
    },
    /// A held event was approved and applied.
    Released {
        /// The event that was held.
        event: EventId,
    },
    /// A held event was rejected.
    Rejected {
        /// The event that was held.
        event: EventId,
    },
    /// A transfer received short, over or damaged, or closed with goods never received.
    TransferDiscrepancy {
        /// The transfer order.
        transfer: DocNumber,
        /// The item.
        item: ItemCode,
        /// Shipped but never received, written off at close.
        short: Qty,
        /// Received beyond what was shipped.
        over: Qty,
        /// Received damaged.
        damaged: Qty,
    },
    /// A transfer still in transit after its expected arrival.
    TransferOverdue {
        /// The transfer order.
        transfer: DocNumber,
        /// The shipping site.
        from: SiteCode,
        /// The receiving site.
        to: SiteCode,
        /// When it was expected.
        expected: DateTime<Utc>,
    },
    /// An expected receipt still open after its due date.
    ExpectedReceiptOverdue {
        /// The purchase order.
        order: DocNumber,
        /// The line.
        line: u32,
        /// The supplier.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        supplier: Option<SupplierCode>,
        /// The item.
        item: ItemCode,
        /// The site.
        site: SiteCode,
        /// When it was due.
        due: NaiveDate,
        /// What is still open, in the item's base unit.
        open: Qty,
    },
    /// A position went below zero where the negative-stock policy allows it.
    NegativeStock {
        /// The item.
        item: ItemCode,
        /// The site.
        site: SiteCode,
        /// Its balance now.
        balance: QtyDelta,
    },
    /// A back-dated event changed a position before its latest count: recount.
    CountInvalidated {
        /// The item.
        item: ItemCode,
        /// The site.
        site: SiteCode,
        /// When it was counted.
        counted_at: DateTime<Utc>,
    },
    /// A soft reservation expired and was released.
    ReservationExpired {
        /// The order line.
        line: OrderRef,
    },
}

/// What one event did across the network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// The event.
    pub event: EventId,
    /// What the ledger decided.
    pub decision: Decision,
    /// The network journal's sequence number of the entry that recorded it (`None` for
    /// a duplicate, which records nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// For an approval that released a held event: that event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released: Option<EventId>,
    /// The position changes, in key order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub positions: Vec<PositionChange>,
    /// Available stock that changed, per item-site.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub availability: Vec<AvailabilityChange>,
    /// Allocations used up.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allocations: Vec<AllocationUse>,
    /// Allocations given back: what a reversed pick or shipment had used up, held for
    /// its order line again (`used`), and what it had taken beyond (`beyond`), which
    /// the line asks for again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allocations_restored: Vec<AllocationUse>,
    /// Dated supply added or removed (transfers in transit, purchase orders).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supply: Vec<SupplyChange>,
    /// The postings, balanced per entity and currency. A posting's `event` is the
    /// network journal sequence number times 4,096 plus its cost event's index within
    /// the entry (see [`cost_event_id`](crate::cost_event_id)).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub postings: Vec<Posting>,
    /// Intercompany documents issued.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<IcDocument>,
    /// What it raised.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signals: Vec<Signal>,
}

impl Outcome {
    pub(crate) fn new(event: EventId, decision: Decision) -> Self {
        Outcome {
            event,
            decision,
            seq: None,
            released: None,
            positions: Vec::new(),
            availability: Vec::new(),
            allocations: Vec::new(),
            allocations_restored: Vec::new(),
            supply: Vec::new(),
            postings: Vec::new(),
            documents: Vec::new(),
            signals: Vec::new(),
        }
    }

    /// Whether the event was applied.
    #[must_use]
    pub fn accepted(&self) -> bool {
        self.decision == Decision::Accepted
    }
}

/// Supply changed by a call on expected receipts, and what that raised (lines no longer
/// covered, item-sites fallen below their reorder point).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SupplyUpdate {
    /// The supply removed and added.
    pub supply: Vec<SupplyChange>,
    /// What it raised.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signals: Vec<Signal>,
}

/// What moving the network's time forward did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advanced {
    /// The network journal's sequence number of the entry that recorded it.
    pub seq: u64,
    /// The time now.
    pub now: DateTime<Utc>,
    /// Availability that changed as reservations expired.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub availability: Vec<AvailabilityChange>,
    /// What it raised: expired reservations, overdue transfers and expected receipts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signals: Vec<Signal>,
    /// Exceptions moved up their escalation ladder by the new time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub escalations: Vec<onhand_control::Escalation>,
    /// Lines confirmed beyond the checking horizon against assumed supply that the
    /// horizon passed and real supply did not cover as they were: promised again (see
    /// [`onhand_atp::Atp::advance_to`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rechecked: Vec<crate::ChangeView>,
}
