//! [`Error`]: one error type for the whole network, keeping each engine's typed error and
//! its stable code.
//!
//! An engine's error is wrapped as it is ([`Error::Ledger`], [`Error::Atp`], ...): match
//! on the variant to get the engine's own type, or call [`Error::code`] for its stable
//! snake-case code and [`Error::engine`] for the engine that raised it. Errors of the
//! network itself (an unknown order line, an item outside this partition, a receipt no
//! one can cost) are variants here with typed fields.

use onhand_atp::AtpError;
use onhand_control::ControlError;
use onhand_insight::InsightError;
use onhand_ledger::{DocNumber, EventId, LedgerError};
use onhand_master::{CurrencyCode, ItemCode, MasterError, SiteCode, ValidationReport};
use onhand_replenish::ReplenishError;
use onhand_valuation::ValuationError;

/// Anything the network refuses.
///
/// Wrapped engine errors print the engine's message and return nothing from
/// `source()` (the message is the whole story), so a chain reporter never prints the
/// same words twice.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The master data has violations; a network is only built from clean data.
    #[error("the master data has {} violation(s), the first: {}", .0.violations.len(), .0.violations.first().map(ToString::to_string).unwrap_or_default())]
    InvalidMasterData(ValidationReport),
    /// A master-data error (an unknown unit, a quantity that does not convert).
    #[error("{0}")]
    Master(MasterError),
    /// The ledger refused the event.
    #[error("{0}")]
    Ledger(LedgerError),
    /// The availability engine refused the request.
    #[error("{0}")]
    Atp(AtpError),
    /// Valuation refused the cost consequences.
    #[error("{0}")]
    Valuation(ValuationError),
    /// Replenishment refused the configuration or a query.
    #[error("{0}")]
    Replenish(ReplenishError),
    /// The KPI engine refused a query or a configuration.
    #[error("{0}")]
    Insight(InsightError),
    /// The KPI engine refused a record of imported history
    /// ([`Network::import_insight`](crate::Network::import_insight)): none was taken.
    #[error("history record {index}: {source}")]
    HistoryRecord {
        /// The record's position in what was imported.
        index: usize,
        /// Why insight refused it.
        source: InsightError,
    },
    /// The exception queue refused its rules, an action or a view.
    #[error("{0}")]
    Control(ControlError),
    /// The configuration does not fit the master data.
    #[error("configuration: {what}")]
    Config {
        /// What is wrong.
        what: String,
    },
    /// An item this partition does not hold.
    #[error("item {item} belongs to partition {owner}, not to this one ({this})")]
    NotInPartition {
        /// The item.
        item: ItemCode,
        /// The partition holding it.
        owner: u16,
        /// This network's partition.
        this: u16,
    },
    /// Stock arriving from outside without a cost: no unit cost on the line, no expected
    /// receipt with a price, no reference cost for the item.
    #[error(
        "{item} at {site}: no unit cost on the line, its purchase order or the item's reference cost"
    )]
    NoCost {
        /// The item.
        item: ItemCode,
        /// The site.
        site: SiteCode,
    },
    /// A cost in a currency with no configured rate into the owner's currency.
    #[error("no exchange rate from {from} to {to}")]
    NoRate {
        /// The cost's currency.
        from: CurrencyCode,
        /// The owner's currency.
        to: CurrencyCode,
    },
    /// A customer return naming a shipment the network does not know for that item.
    #[error("{item}: the return names shipment {original}, which shipped none of it")]
    UnknownOriginal {
        /// The shipment event named.
        original: EventId,
        /// The returned item.
        item: ItemCode,
    },
    /// A reversal or return to supplier naming an event whose cost events the network
    /// does not know (taken before a snapshot that did not record them): the books
    /// could not follow.
    #[error(
        "the network keeps no cost events of {event}: it cannot be reversed or returned against"
    )]
    NotCosted {
        /// The event named.
        event: EventId,
    },
    /// A back-dated event that can take stock of an item off the books (a shipment,
    /// scrap, loss, count, status change, transfer shipment) while the books took a
    /// withdrawal of that item (a reversal or a return to supplier) effective after
    /// it: replayed ahead of the withdrawal, it could leave fewer units in the
    /// withdrawn receipt's layer (or the pool) at the withdrawal's time than the
    /// withdrawal took, and the books would refuse what the ledger took. Back-dated
    /// receipts, gains and returns are taken. Post it effective after the withdrawal,
    /// or reverse the withdrawal first.
    #[error(
        "{item}: a reversal or return to supplier effective {at} is after this back-dated event"
    )]
    BackDatedBeforeWithdrawal {
        /// The item.
        item: ItemCode,
        /// The latest withdrawal's effective time.
        at: chrono::DateTime<chrono::Utc>,
    },
    /// No order line with this reference.
    #[error("no order line {order}/{line}")]
    UnknownOrderLine {
        /// The order.
        order: DocNumber,
        /// The line.
        line: u32,
    },
    /// An order line that is already booked.
    #[error("order line {order}/{line} is already booked")]
    OrderLineExists {
        /// The order.
        order: DocNumber,
        /// The line.
        line: u32,
    },
    /// No open expected receipt with this reference.
    #[error("no expected receipt {order}/{line}")]
    UnknownExpectedReceipt {
        /// The purchase order.
        order: DocNumber,
        /// The line.
        line: u32,
    },
    /// An expected receipt that exists already.
    #[error("expected receipt {order}/{line} exists already")]
    ExpectedReceiptExists {
        /// The purchase order.
        order: DocNumber,
        /// The line.
        line: u32,
    },
    /// An expected receipt of nothing (a purchase line that will bring no stock is
    /// cancelled, not expected).
    #[error("expected receipt {order}/{line} is for zero")]
    ZeroExpectedReceipt {
        /// The purchase order.
        order: DocNumber,
        /// The line.
        line: u32,
    },
    /// Time moved backwards.
    #[error("the network is at {now}; it cannot move back to {to}")]
    TimeBackwards {
        /// The network's time.
        now: chrono::DateTime<chrono::Utc>,
        /// The time asked for.
        to: chrono::DateTime<chrono::Utc>,
    },
    /// An event that would book more cost events than one journal entry numbers
    /// ([`COST_EVENTS_PER_ENTRY`](crate::COST_EVENTS_PER_ENTRY)): split it into
    /// several events (a count of many bins, for instance, into counts per zone).
    #[error("the event books {count} cost events; one event books at most {max}: split it")]
    TooManyCostEvents {
        /// How many it would book.
        count: usize,
        /// The most one event books.
        max: u64,
    },
    /// A quantity or amount beyond what the network keeps exactly.
    #[error("arithmetic overflow in {operation}")]
    Overflow {
        /// What overflowed.
        operation: &'static str,
    },
    /// A snapshot or journal that does not fit this network.
    #[error("restore: {what}")]
    Restore {
        /// What does not fit.
        what: String,
    },
    /// A network snapshot written in another format version.
    #[error("network snapshot format {found} (this version reads {reads})")]
    SnapshotFormat {
        /// The snapshot's format.
        found: u32,
        /// The format this version reads.
        reads: u32,
    },
    /// A network snapshot whose content does not match its digest: changed or damaged
    /// since it was taken.
    #[error("the network snapshot does not match its digest")]
    SnapshotDigest,
    /// A network snapshot taken under another configuration (`config`, `atp`) or
    /// planning other item-sites (`replenishment`) than the network restoring it.
    #[error("the network snapshot was taken under another {part} configuration")]
    SnapshotMismatch {
        /// What differs.
        part: &'static str,
    },
    /// A network snapshot whose state does not fit the catalog or the engines.
    #[error("network snapshot {part}: {what}")]
    InvalidSnapshot {
        /// The part of the state (`bookings`, `receipts`, `shipments`, ...).
        part: &'static str,
        /// What is wrong.
        what: String,
    },
    /// An engine refused a consequence of an event the ledger had accepted. The network
    /// no longer knows that its engines agree and refuses every further change until it
    /// is restored from a snapshot or rebuilt from its journal. This is a defect of the
    /// network, never of the input: please report it.
    #[error("the {engine} engine refused a consequence of accepted event {event}: {message}")]
    Diverged {
        /// The engine.
        engine: &'static str,
        /// The event whose consequences could not be applied.
        event: EventId,
        /// The engine's stable error code.
        code: &'static str,
        /// The engine's message.
        message: String,
    },
    /// The network diverged earlier (see [`Error::Diverged`]) and takes no changes.
    #[error("the network diverged at event {event} and takes no more changes until restored")]
    Poisoned {
        /// The event at which it diverged.
        event: EventId,
    },
    /// What follows an order, supply or time call failed after the call's command was
    /// committed (its change made in the engines and written to the journal, at entry
    /// `seq`), so it cannot be refused any more. As [`Error::Diverged`] for events: the
    /// network refuses every further change until it is restored from a snapshot or
    /// rebuilt from its journal. This is a defect of the network, or configuration its
    /// build should have refused: please report it.
    #[error(
        "{call} was committed as journal entry {seq}, then the {engine} engine failed: {message}"
    )]
    CallDiverged {
        /// The call (`allocate`, `release`, `advance_to`, ...).
        call: &'static str,
        /// Its journal entry.
        seq: u64,
        /// The engine that failed.
        engine: &'static str,
        /// The engine's stable error code.
        code: &'static str,
        /// The engine's message.
        message: String,
    },
    /// The network diverged earlier after a committed call (see
    /// [`Error::CallDiverged`]) and takes no changes.
    #[error(
        "the network diverged after journal entry {seq} and takes no more changes until restored"
    )]
    PoisonedAfter {
        /// The journal entry of the call after which it diverged.
        seq: u64,
    },
}

impl Error {
    /// A stable snake-case code: the engine's own code for a wrapped engine error
    /// (`insufficient_stock`, `unknown_line`, ...), the network's otherwise.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidMasterData(_) => "invalid_master_data",
            Error::Master(e) => e.code(),
            Error::Ledger(e) => e.code(),
            Error::Atp(e) => e.code(),
            Error::Valuation(e) => e.code(),
            Error::Replenish(e) => e.code(),
            Error::Insight(e) => e.code(),
            Error::HistoryRecord { source, .. } => source.code(),
            Error::Control(e) => e.code(),
            Error::Config { .. } => "config",
            Error::NotInPartition { .. } => "not_in_partition",
            Error::NoCost { .. } => "no_cost",
            Error::NoRate { .. } => "no_rate",
            Error::UnknownOriginal { .. } => "unknown_original",
            Error::NotCosted { .. } => "not_costed",
            Error::BackDatedBeforeWithdrawal { .. } => "back_dated_before_withdrawal",
            Error::UnknownOrderLine { .. } => "unknown_order_line",
            Error::OrderLineExists { .. } => "order_line_exists",
            Error::UnknownExpectedReceipt { .. } => "unknown_expected_receipt",
            Error::ExpectedReceiptExists { .. } => "expected_receipt_exists",
            Error::ZeroExpectedReceipt { .. } => "zero_expected_receipt",
            Error::TimeBackwards { .. } => "time_backwards",
            Error::TooManyCostEvents { .. } => "too_many_cost_events",
            Error::Overflow { .. } => "overflow",
            Error::Restore { .. } => "restore",
            Error::SnapshotFormat { .. } => "snapshot_format",
            Error::SnapshotDigest => "snapshot_digest",
            Error::SnapshotMismatch { .. } => "snapshot_mismatch",
            Error::InvalidSnapshot { .. } => "invalid_snapshot",
            Error::Diverged { .. } => "diverged",
            Error::Poisoned { .. } => "poisoned",
            Error::CallDiverged { .. } => "call_diverged",
            Error::PoisonedAfter { .. } => "poisoned_after_call",
        }
    }

    /// The engine that raised the error (`network` for the network's own).
    #[must_use]
    pub fn engine(&self) -> &'static str {
        match self {
            Error::InvalidMasterData(_) | Error::Master(_) => "master",
            Error::Ledger(_) => "ledger",
            Error::Atp(_) => "atp",
            Error::Valuation(_) => "valuation",
            Error::Replenish(_) => "replenish",
            Error::Insight(_) | Error::HistoryRecord { .. } => "insight",
            Error::Control(_) => "control",
            _ => "network",
        }
    }
}

impl From<MasterError> for Error {
    fn from(e: MasterError) -> Self {
        Error::Master(e)
    }
}

impl From<LedgerError> for Error {
    fn from(e: LedgerError) -> Self {
        Error::Ledger(e)
    }
}

impl From<AtpError> for Error {
    fn from(e: AtpError) -> Self {
        Error::Atp(e)
    }
}

impl From<ValuationError> for Error {
    fn from(e: ValuationError) -> Self {
        Error::Valuation(e)
    }
}

impl From<ReplenishError> for Error {
    fn from(e: ReplenishError) -> Self {
        Error::Replenish(e)
    }
}

impl From<InsightError> for Error {
    fn from(e: InsightError) -> Self {
        Error::Insight(e)
    }
}

impl From<ControlError> for Error {
    fn from(e: ControlError) -> Self {
        Error::Control(e)
    }
}
