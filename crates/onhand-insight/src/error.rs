//! The one error type of `onhand-insight`: why a record, a configuration, a merge or a
//! query was refused. A refused record leaves the state exactly as it was.

use chrono::{DateTime, Utc};
use onhand_ledger::DocNumber;
use onhand_master::{EntityCode, SiteCode, UomCode};

/// Why a record, configuration, merge or query was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InsightError {
    /// A record names a site the configuration does not know.
    #[error("unknown site {0}")]
    UnknownSite(SiteCode),
    /// A record names a legal entity no configured site belongs to.
    #[error("unknown entity {0}")]
    UnknownEntity(EntityCode),
    /// A record refers to an order line never created.
    #[error("unknown order line {order}/{line}")]
    UnknownLine {
        /// The order.
        order: DocNumber,
        /// The line.
        line: u32,
    },
    /// An order line created twice.
    #[error("order line {order}/{line} already exists")]
    DuplicateLine {
        /// The order.
        order: DocNumber,
        /// The line.
        line: u32,
    },
    /// A record for an order line that is cancelled or already fulfilled.
    #[error("order line {order}/{line} is {state}")]
    LineClosed {
        /// The order.
        order: DocNumber,
        /// The line.
        line: u32,
        /// `cancelled` or `fulfilled`.
        state: &'static str,
    },
    /// A record refers to a transfer line never requested.
    #[error("unknown transfer line {transfer}/{line}")]
    UnknownTransfer {
        /// The transfer order.
        transfer: DocNumber,
        /// The line.
        line: u32,
    },
    /// A transfer line requested twice.
    #[error("transfer line {transfer}/{line} already exists")]
    DuplicateTransfer {
        /// The transfer order.
        transfer: DocNumber,
        /// The line.
        line: u32,
    },
    /// A transfer step that does not follow from the line's state (received before
    /// shipped, shipped twice, anything after close).
    #[error("transfer line {transfer}/{line} cannot be {step} when {state}")]
    TransferStep {
        /// The transfer order.
        transfer: DocNumber,
        /// The line.
        line: u32,
        /// The step refused (`approved`, `shipped`, `received`, `closed`).
        step: &'static str,
        /// The line's state.
        state: &'static str,
    },
    /// An intercompany mismatch resolved without being opened.
    #[error("unknown intercompany mismatch {0}")]
    UnknownMismatch(DocNumber),
    /// An intercompany mismatch opened twice.
    #[error("intercompany mismatch {0} is already open")]
    DuplicateMismatch(DocNumber),
    /// A record older than the records already taken in (beyond the configured
    /// lateness), or older than an earlier record of the same document or item-site.
    #[error("{what} at {at} comes after {after}")]
    OutOfOrder {
        /// What was out of order.
        what: &'static str,
        /// The record's time.
        at: DateTime<Utc>,
        /// The time it must not precede.
        after: DateTime<Utc>,
    },
    /// A quantity in another unit than the document's.
    #[error("{what} in {found}, expected {expected}")]
    UnitMismatch {
        /// Which quantity.
        what: &'static str,
        /// The document's unit.
        expected: UomCode,
        /// The record's unit.
        found: UomCode,
    },
    /// A field whose value cannot be used (an empty schedule, a receipt before its
    /// order date, a zero quantity where one is needed).
    #[error("invalid {field}: {reason}")]
    InvalidRecord {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A quantity or amount beyond what insight carries exactly (10^12 in magnitude,
    /// [`MAX_MAGNITUDE`](crate::exact::MAX_MAGNITUDE)): a well-formed record too large
    /// for the figures, not a wrong one. A host that feeds insight from books that
    /// carry more can leave such a record out and count it (the `onhand` facade's
    /// feed does).
    #[error("{field} is beyond 10^12 in magnitude, which insight carries exactly")]
    BeyondRange {
        /// The field.
        field: &'static str,
    },
    /// A sum beyond the decimal range.
    #[error("{0} is beyond the decimal range")]
    Overflow(&'static str),
    /// A configuration that cannot be used.
    #[error("invalid configuration {field}: {reason}")]
    InvalidConfig {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// Two states with different configurations cannot be merged.
    #[error("cannot merge states with different configurations")]
    ConfigMismatch,
    /// Two states that both hold the same document or item-site history cannot be
    /// merged exactly; partition by item (or feed one state in time order) instead.
    #[error("both states hold {what} {key}")]
    MergeOverlap {
        /// What overlaps (`order line`, `transfer line`, `item-site`, `mismatch`).
        what: &'static str,
        /// Its key.
        key: String,
    },
    /// A figure asked for by a dimension it is not kept by.
    #[error("{figure} is not kept by {dim}")]
    UnsupportedDimension {
        /// The figure.
        figure: &'static str,
        /// The dimension's kind.
        dim: &'static str,
    },
    /// A snapshot of another format version.
    #[error("insight snapshot format {found}; this version reads {reads}")]
    SnapshotFormat {
        /// The snapshot's format.
        found: u32,
        /// The format this version reads.
        reads: u32,
    },
    /// A snapshot whose content no state could have held (an index out of range, a key
    /// twice, a line without its order).
    #[error("invalid insight snapshot: {what}")]
    InvalidSnapshot {
        /// What does not fit.
        what: String,
    },
}

impl InsightError {
    /// The stable code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            InsightError::UnknownSite(_) => "unknown_site",
            InsightError::UnknownEntity(_) => "unknown_entity",
            InsightError::UnknownLine { .. } => "unknown_line",
            InsightError::DuplicateLine { .. } => "duplicate_line",
            InsightError::LineClosed { .. } => "line_closed",
            InsightError::UnknownTransfer { .. } => "unknown_transfer",
            InsightError::DuplicateTransfer { .. } => "duplicate_transfer",
            InsightError::TransferStep { .. } => "transfer_step",
            InsightError::UnknownMismatch(_) => "unknown_mismatch",
            InsightError::DuplicateMismatch(_) => "duplicate_mismatch",
            InsightError::OutOfOrder { .. } => "out_of_order",
            InsightError::UnitMismatch { .. } => "unit_mismatch",
            InsightError::InvalidRecord { .. } => "invalid_record",
            InsightError::BeyondRange { .. } => "beyond_range",
            InsightError::Overflow(_) => "overflow",
            InsightError::InvalidConfig { .. } => "invalid_config",
            InsightError::ConfigMismatch => "config_mismatch",
            InsightError::MergeOverlap { .. } => "merge_overlap",
            InsightError::UnsupportedDimension { .. } => "unsupported_dimension",
            InsightError::SnapshotFormat { .. } => "snapshot_format",
            InsightError::InvalidSnapshot { .. } => "invalid_snapshot",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed_and_distinct() {
        let doc = DocNumber::new("SO-1").unwrap();
        let site: SiteCode = "ATL".parse().unwrap();
        let at = DateTime::from_timestamp(0, 0).unwrap();
        let ea = UomCode::new("EA").unwrap();
        let all = [
            InsightError::UnknownSite(site),
            InsightError::UnknownEntity("NA01".parse().unwrap()),
            InsightError::UnknownLine { order: doc.clone(), line: 1 },
            InsightError::DuplicateLine { order: doc.clone(), line: 1 },
            InsightError::LineClosed { order: doc.clone(), line: 1, state: "cancelled" },
            InsightError::UnknownTransfer { transfer: doc.clone(), line: 1 },
            InsightError::DuplicateTransfer { transfer: doc.clone(), line: 1 },
            InsightError::TransferStep {
                transfer: doc.clone(),
                line: 1,
                step: "received",
                state: "requested",
            },
            InsightError::UnknownMismatch(doc.clone()),
            InsightError::DuplicateMismatch(doc),
            InsightError::OutOfOrder { what: "record", at, after: at },
            InsightError::UnitMismatch { what: "shipped", expected: ea, found: ea },
            InsightError::InvalidRecord { field: "schedule", reason: "empty" },
            InsightError::BeyondRange { field: "qty" },
            InsightError::Overflow("a sum"),
            InsightError::InvalidConfig { field: "sites", reason: "duplicate".into() },
            InsightError::ConfigMismatch,
            InsightError::MergeOverlap { what: "item-site", key: "X@Y".into() },
            InsightError::UnsupportedDimension { figure: "aging", dim: "lane" },
            InsightError::SnapshotFormat { found: 0, reads: 1 },
            InsightError::InvalidSnapshot { what: "a line without its order".into() },
        ];
        let codes: Vec<&str> = all.iter().map(InsightError::code).collect();
        assert_eq!(
            codes,
            [
                "unknown_site",
                "unknown_entity",
                "unknown_line",
                "duplicate_line",
                "line_closed",
                "unknown_transfer",
                "duplicate_transfer",
                "transfer_step",
                "unknown_mismatch",
                "duplicate_mismatch",
                "out_of_order",
                "unit_mismatch",
                "invalid_record",
                "beyond_range",
                "overflow",
                "invalid_config",
                "config_mismatch",
                "merge_overlap",
                "unsupported_dimension",
                "snapshot_format",
                "invalid_snapshot",
            ]
        );
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), codes.len());
        for e in &all {
            let msg = e.to_string();
            assert!(!msg.ends_with('.') && msg.chars().next().is_some_and(char::is_lowercase));
        }
    }
}
