//! The one error type of `onhand-replenish`.

use onhand_master::{CurrencyCode, ItemCode, MasterError, SiteCode};

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
    /// A periodic-review policy without a review period (or one of zero days): the
    /// protection interval and the order-up-to level depend on it, so no default is
    /// assumed.
    #[error("periodic review of {item} at {site} needs a review period of at least one day")]
    NoReviewPeriod {
        /// The item.
        item: ItemCode,
        /// The site.
        site: SiteCode,
    },
    /// A cost in a currency other than the site's, with no rate to convert it: costs in
    /// different currencies are not compared.
    #[error("no exchange rate from {from} to {to} for {what}")]
    NoRate {
        /// The currency of the cost.
        from: CurrencyCode,
        /// The site's currency.
        to: CurrencyCode,
        /// What the cost was for (a lane).
        what: String,
    },
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
            ReplenishError::NoReviewPeriod { .. } => "no_review_period",
            ReplenishError::NoRate { .. } => "no_rate",
        }
    }
}
