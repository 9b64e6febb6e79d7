//! Expected receipts: purchase order lines and advance ship notices the network counts
//! on before the goods arrive.
//!
//! An open expected receipt is supply to the availability engine on its due date (an
//! order due today or overdue counts from tomorrow: it is not stock until it arrives), and
//! on order to replenishment. A receipt event whose reference document is the purchase
//! order uses it up: the line that names it ([`Line::doc_line`](onhand_ledger::Line::doc_line))
//! when it is of the same item and site (a receipt line naming another item's or site's
//! line uses up none), or, when no line names one, the open line of the same item and
//! site. A partial
//! receipt leaves the rest open; receiving more than is open closes it. Its unit cost is
//! the receipt's cost when the receipt line carries none. One still open after its due
//! date raises [`Signal::ExpectedReceiptOverdue`](crate::Signal::ExpectedReceiptOverdue)
//! when time moves past it.
//!
//! A reversal of such a receipt ([`Body::Reversal`](onhand_ledger::Body::Reversal))
//! reopens what it used up: the goods never came, so the purchase order line is open
//! again, as supply on its due date and on order for replenishment (a line receipts
//! closed comes back; a line cancelled since stays cancelled). What is open again is
//! what the line expects less what its other receipts brought, so after a later
//! over-receipt less comes back than the reversed receipt took; past its due date it
//! is signalled overdue again. A return to supplier
//! does not reopen it: whether the supplier sends a replacement is the buyer's call,
//! which the host makes by expecting the replacement ([`Network::expect`](crate::Network::expect))
//! or changing the line ([`Network::change_expected`](crate::Network::change_expected));
//! reopening on every return would count on goods nobody ordered.

use chrono::NaiveDate;
use onhand_ledger::DocNumber;
use onhand_master::{ItemCode, Money, Qty, SiteCode, SupplierCode};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A purchase order line (or advance ship notice) expected at a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedReceipt {
    /// The purchase order.
    pub order: DocNumber,
    /// The line on it.
    pub line: u32,
    /// The supplier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier: Option<SupplierCode>,
    /// The item.
    pub item: ItemCode,
    /// The receiving site.
    pub site: SiteCode,
    /// How much is expected, in any unit of the item.
    pub qty: Qty,
    /// When it is due at the site.
    pub due: NaiveDate,
    /// The purchase price per `qty` unit, in the receiving entity's currency (or one the
    /// configured rates convert).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_cost: Option<Money>,
}

/// An expected receipt as the network keeps it, with what is still open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenReceipt {
    /// The receipt as expected (its latest change).
    pub expected: ExpectedReceipt,
    /// Base units still open.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub open: Decimal,
    /// Base units received against it so far.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub received: Decimal,
    /// Whether the overdue signal was raised (once per due date).
    pub flagged_overdue: bool,
}

/// What a purchase receipt's line used up of an expected receipt, kept so the receipt's
/// reversal can reopen it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Used {
    /// The purchase order and line.
    pub(crate) order: DocNumber,
    pub(crate) line: u32,
    /// Base units of its open quantity the receipt took.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub(crate) took: Decimal,
    /// Base units it counted as received.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub(crate) received: Decimal,
}

/// A change to an open expected receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptChange {
    /// The purchase order.
    pub order: DocNumber,
    /// The line on it.
    pub line: u32,
    /// The new total expected quantity (what was received stays received).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qty: Option<Qty>,
    /// The new due date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<NaiveDate>,
}
