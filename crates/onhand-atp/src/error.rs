//! The one error type of `onhand-atp`. A short promise is not an error: it is a
//! [`Promise`](crate::Promise) with an unconfirmed quantity and the reason.

use chrono::NaiveDate;
use onhand_master::{ItemCode, MasterError, RegionCode, SiteCode};
use rust_decimal::Decimal;

use crate::demand::LineId;

/// What failed in `onhand-atp`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AtpError {
    /// A date beyond what a day count holds.
    #[error("date {date} is out of range")]
    DateOutOfRange {
        /// The date.
        date: NaiveDate,
    },
    /// A quantity with more decimal places than the item's base unit holds, or too large.
    #[error("{value} cannot be held exactly at {scale} decimal places")]
    NotRepresentable {
        /// The quantity (base units).
        value: Decimal,
        /// The item's base-unit scale.
        scale: u32,
    },
    /// An item the catalog does not know.
    #[error("unknown item {item}")]
    UnknownItem {
        /// The item.
        item: ItemCode,
    },
    /// A site the catalog does not know.
    #[error("unknown site {site}")]
    UnknownSite {
        /// The site.
        site: SiteCode,
    },
    /// A region the catalog does not know.
    #[error("unknown region {region}")]
    UnknownRegion {
        /// The region.
        region: RegionCode,
    },
    /// A quantity in a unit the item is not counted in.
    #[error("{item}: {source}")]
    Quantity {
        /// The item.
        item: ItemCode,
        /// What the conversion said.
        source: MasterError,
    },
    /// An order line for nothing.
    #[error("line {line} asks for zero")]
    ZeroQuantity {
        /// The line.
        line: LineId,
    },
    /// A line id already booked.
    #[error("line {line} is already booked")]
    DuplicateLine {
        /// The line.
        line: LineId,
    },
    /// A line id not booked.
    #[error("no booked line {line}")]
    UnknownLine {
        /// The line.
        line: LineId,
    },
    /// Converting a claim that is already hard, or reducing a line by more than it holds.
    #[error("line {line}: {what}")]
    InvalidClaim {
        /// The line.
        line: LineId,
        /// What is wrong.
        what: &'static str,
    },
    /// A configuration that does not fit the catalog.
    #[error("configuration: {what}")]
    InvalidConfig {
        /// What is wrong.
        what: String,
    },
    /// A quantity that would take an item-site (stock on hand plus dated supply) or an
    /// order line past [`MAX_UNITS`](crate::MAX_UNITS) base-unit steps.
    #[error("{item}: {what} would exceed the limit of {limit} base units")]
    TooLarge {
        /// The item.
        item: ItemCode,
        /// What was refused (`stock`, `supply`, `order line`).
        what: &'static str,
        /// The limit, in the item's base units.
        limit: Decimal,
    },
    /// A snapshot written in another format version.
    #[error("snapshot format {found} (this version reads {reads})")]
    SnapshotFormat {
        /// The snapshot's format.
        found: u32,
        /// The format this version reads.
        reads: u32,
    },
    /// A snapshot whose content the engine cannot rely on.
    #[error("snapshot {part}: {what}")]
    InvalidSnapshot {
        /// The part of the state (`cells`, `quotas`, `book`, ...).
        part: &'static str,
        /// What is wrong.
        what: String,
    },
    /// Arithmetic left the representable range.
    #[error("arithmetic overflow in {operation}")]
    Overflow {
        /// What was computed.
        operation: &'static str,
    },
}

impl AtpError {
    /// A stable snake-case name for the kind of error (`unknown_line`, `quantity`, ...),
    /// for logs, metrics and tests that match on kinds.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            AtpError::DateOutOfRange { .. } => "date_out_of_range",
            AtpError::NotRepresentable { .. } => "not_representable",
            AtpError::UnknownItem { .. } => "unknown_item",
            AtpError::UnknownSite { .. } => "unknown_site",
            AtpError::UnknownRegion { .. } => "unknown_region",
            AtpError::Quantity { .. } => "quantity",
            AtpError::ZeroQuantity { .. } => "zero_quantity",
            AtpError::DuplicateLine { .. } => "duplicate_line",
            AtpError::UnknownLine { .. } => "unknown_line",
            AtpError::InvalidClaim { .. } => "invalid_claim",
            AtpError::InvalidConfig { .. } => "invalid_config",
            AtpError::TooLarge { .. } => "too_large",
            AtpError::SnapshotFormat { .. } => "snapshot_format",
            AtpError::InvalidSnapshot { .. } => "invalid_snapshot",
            AtpError::Overflow { .. } => "overflow",
        }
    }
}
