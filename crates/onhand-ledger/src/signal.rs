//! Signals: what an accepted event raised that someone should look at. Each carries the
//! figures it was raised on.

use chrono::{DateTime, Utc};
use onhand_master::Role;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::event::{DocNumber, EventId};
use crate::position::PositionKey;

/// Something an accepted (or pending) event raised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Signal {
    /// A count differed from the book by more than the item's tolerance.
    VarianceOverTolerance {
        /// The counted position.
        key: PositionKey,
        /// Book quantity at the count's effective time (base units).
        #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
        book: Decimal,
        /// Counted quantity (base units).
        #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
        counted: Decimal,
        /// The tolerance that applied (base units).
        #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
        tolerance: Decimal,
    },
    /// A transfer received short, over or damaged (at receipt: over and damaged; at
    /// close: what never arrived).
    TransferDiscrepancy {
        /// The transfer order.
        transfer: DocNumber,
        /// The item.
        item: onhand_master::ItemIx,
        /// Shipped but never received, written off at close (base units).
        #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
        short: Decimal,
        /// Received beyond what was shipped (base units).
        #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
        over: Decimal,
        /// Received damaged (base units).
        #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
        damaged: Decimal,
    },
    /// The event waits for approval and changed nothing yet.
    PendingApproval {
        /// The event.
        event: EventId,
        /// The roles whose approval it needs.
        needs: Vec<Role>,
    },
    /// A position went below zero where the negative-stock policy allows it.
    NegativeStock {
        /// The position.
        key: PositionKey,
        /// Its balance now (base units, negative).
        #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
        balance: Decimal,
    },
    /// A back-dated event changed a position before its latest count: the count's
    /// variance was computed against a different book, so recount.
    CountInvalidated {
        /// The position.
        key: PositionKey,
        /// When it was counted.
        counted_at: DateTime<Utc>,
    },
}
