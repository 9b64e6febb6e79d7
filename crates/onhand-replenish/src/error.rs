//! The one error type of `onhand-replenish`.

use onhand_master::{ItemCode, MasterError, SiteCode};

/// Why a replenishment calculation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplenishError {
    /// Input that cannot be used (a window, a quantity, a target).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The item is not in the catalog.
    #[error("unknown item {0}")]
    UnknownItem(ItemCode),
    /// The site is not in the catalog.
    #[error("unknown site {0}")]
    UnknownSite(SiteCode),
    /// A service target outside (0, 1).
    #[error("service target {0} must be strictly between 0 and 1")]
    Target(String),
    /// A quantity in a unit the item is not counted in, or out of range.
    #[error("{what}: {source}")]
    Quantity {
        /// What was being converted.
        what: &'static str,
        /// The cause.
        source: MasterError,
    },
    /// A figure too large to hold.
    #[error("{0} is out of range")]
    Overflow(&'static str),
}

impl ReplenishError {
    /// The stable code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            ReplenishError::InvalidInput(_) => "invalid_input",
            ReplenishError::UnknownItem(_) => "unknown_item",
            ReplenishError::UnknownSite(_) => "unknown_site",
            ReplenishError::Target(_) => "target",
            ReplenishError::Quantity { .. } => "quantity",
            ReplenishError::Overflow(_) => "overflow",
        }
    }
}
