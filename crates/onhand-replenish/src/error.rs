//! The one error type of `onhand-replenish`, with the typed parts of its messages: the
//! input [`Field`] a figure was given for and the [`Bound`] it broke.

use onhand_master::{CurrencyCode, ItemCode, LaneSource, MasterError, SiteCode};
use rust_decimal::Decimal;

/// Why a replenishment calculation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplenishError {
    /// An input figure outside what the calculation takes: which figure, the bound it
    /// broke, its value, and the item and site it was given for, where it belongs to one.
    #[error("{field}{}{} {bound}", value_text(*.value), place(.item.as_ref(), .site.as_ref()))]
    InvalidInput {
        /// The input the figure was given for.
        field: Field,
        /// The bound it broke.
        bound: Bound,
        /// The figure; `None` for a floating-point input that is not a finite number or
        /// is beyond the decimal range.
        value: Option<Decimal>,
        /// The item the figure belongs to, if one.
        item: Option<ItemCode>,
        /// The site the figure belongs to, if one.
        site: Option<SiteCode>,
    },
    /// The item is not in the catalog.
    #[error("unknown item {0}")]
    UnknownItem(ItemCode),
    /// The site is not in the catalog.
    #[error("unknown site {0}")]
    UnknownSite(SiteCode),
    /// A service target (cycle service level or fill rate) outside (0, 1).
    #[error("service target {} must be strictly between 0 and 1", value_text(*.value).trim_start())]
    Target {
        /// The target; `None` for a floating-point target that is not a finite number.
        value: Option<Decimal>,
    },
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
    #[error("no exchange rate from {from} to {to} for the lane from {origin} to {site}")]
    NoRate {
        /// The currency of the cost.
        from: CurrencyCode,
        /// The site's currency.
        to: CurrencyCode,
        /// Where the lane whose cost it is starts.
        origin: LaneSource,
        /// The site the lane delivers to.
        site: SiteCode,
    },
    /// A site whose legal entity (and so currency) the catalog does not give, so the
    /// cost of a lane into it cannot be stated in its currency.
    #[error("site {site} has no legal entity to state lane costs in")]
    NoEntity {
        /// The site.
        site: SiteCode,
    },
    /// An item-site given twice to the planner.
    #[error("{item} at {site} given twice")]
    DuplicateItemSite {
        /// The item.
        item: ItemCode,
        /// The site.
        site: SiteCode,
    },
    /// A transfer scored for an item-site the planner holds no state for.
    #[error("no state for {item} at {site}")]
    NoState {
        /// The item.
        item: ItemCode,
        /// The site.
        site: SiteCode,
    },
    /// A transfer between sites no sourcing lane joins.
    #[error("no lane from {from} to {to}")]
    NoLane {
        /// The sending site.
        from: SiteCode,
        /// The receiving site.
        to: SiteCode,
    },
    /// An order maximum below the order minimum.
    #[error("order maximum {max} below the minimum {min} for {item} at {site}")]
    MaxBelowMin {
        /// The item.
        item: ItemCode,
        /// The site.
        site: SiteCode,
        /// The minimum, in base units.
        min: Decimal,
        /// The maximum, in base units.
        max: Decimal,
    },
    /// No multiple of the order multiple lies between the order minimum (or one
    /// multiple) and the maximum: every order would break the policy.
    #[error(
        "no order of {item} at {site} fits: a multiple of {multiple} at least {least} and at most {max}"
    )]
    NoOrderFits {
        /// The item.
        item: ItemCode,
        /// The site.
        site: SiteCode,
        /// The order multiple, in base units.
        multiple: Decimal,
        /// The least order: the minimum, or one multiple, in base units.
        least: Decimal,
        /// The maximum, in base units.
        max: Decimal,
    },
    /// Statistical safety stock for an item-site without a service target.
    #[error("statistical safety stock for {item} at {site} needs a service target")]
    NoServiceTarget {
        /// The item.
        item: ItemCode,
        /// The site.
        site: SiteCode,
    },
    /// A history window with fewer than two whole periods.
    #[error("{days} days hold fewer than two {period_days}-day periods")]
    TooFewPeriods {
        /// The days in the window.
        days: i64,
        /// The days in a period.
        period_days: u32,
    },
    /// Fewer than two observed lead times: no deviation can be estimated.
    #[error("{found} lead time(s) observed: at least two are needed")]
    TooFewObservations {
        /// How many were given.
        found: usize,
    },
    /// A DRP plan that covers more than [`MAX_PERIODS`](crate::MAX_PERIODS) periods, or
    /// more than [`MAX_CELLS`](crate::MAX_CELLS) periods x nodes.
    #[error(
        "{periods} periods x {nodes} nodes: a plan covers at most {} periods and {} cells; plan it in parts",
        crate::MAX_PERIODS,
        crate::MAX_CELLS
    )]
    PlanTooLarge {
        /// The periods asked for.
        periods: usize,
        /// The nodes given.
        nodes: usize,
    },
    /// A site planned twice in one DRP run.
    #[error("site {site} is planned twice")]
    DuplicateSite {
        /// The site.
        site: SiteCode,
    },
    /// A DRP node whose source is not in the plan.
    #[error("source {source_site} of {site} is not in the plan")]
    UnknownSource {
        /// The node.
        site: SiteCode,
        /// Its source.
        source_site: SiteCode,
    },
    /// DRP sources that form a cycle.
    #[error("the sources form a cycle through {site}")]
    SourceCycle {
        /// A site on the cycle.
        site: SiteCode,
    },
}

impl ReplenishError {
    /// The stable code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            ReplenishError::InvalidInput { .. } => "invalid_input",
            ReplenishError::UnknownItem(_) => "unknown_item",
            ReplenishError::UnknownSite(_) => "unknown_site",
            ReplenishError::Target { .. } => "target",
            ReplenishError::Quantity { .. } => "quantity",
            ReplenishError::Overflow(_) => "overflow",
            ReplenishError::NoReviewPeriod { .. } => "no_review_period",
            ReplenishError::NoRate { .. } => "no_rate",
            ReplenishError::NoEntity { .. } => "no_entity",
            ReplenishError::DuplicateItemSite { .. } => "duplicate_item_site",
            ReplenishError::NoState { .. } => "no_state",
            ReplenishError::NoLane { .. } => "no_lane",
            ReplenishError::MaxBelowMin { .. } => "max_below_min",
            ReplenishError::NoOrderFits { .. } => "no_order_fits",
            ReplenishError::NoServiceTarget { .. } => "no_service_target",
            ReplenishError::TooFewPeriods { .. } => "too_few_periods",
            ReplenishError::TooFewObservations { .. } => "too_few_observations",
            ReplenishError::PlanTooLarge { .. } => "plan_too_large",
            ReplenishError::DuplicateSite { .. } => "duplicate_site",
            ReplenishError::UnknownSource { .. } => "unknown_source",
            ReplenishError::SourceCycle { .. } => "source_cycle",
        }
    }

    /// An [`InvalidInput`](ReplenishError::InvalidInput) for a decimal figure that
    /// belongs to no item-site.
    pub(crate) fn input(field: Field, bound: Bound, value: Decimal) -> Self {
        ReplenishError::InvalidInput { field, bound, value: Some(value), item: None, site: None }
    }

    /// An [`InvalidInput`](ReplenishError::InvalidInput) for a floating-point figure
    /// that belongs to no item-site.
    pub(crate) fn float(field: Field, bound: Bound, value: f64) -> Self {
        ReplenishError::InvalidInput { field, bound, value: decimal(value), item: None, site: None }
    }

    /// A [`Target`](ReplenishError::Target) for a floating-point target.
    pub(crate) fn target(value: f64) -> Self {
        ReplenishError::Target { value: decimal(value) }
    }

    /// Attaches the item-site to an [`InvalidInput`](ReplenishError::InvalidInput); any
    /// other error is returned as it is.
    #[must_use]
    pub(crate) fn at(self, item: &ItemCode, site: &SiteCode) -> Self {
        match self {
            ReplenishError::InvalidInput { field, bound, value, .. } => {
                ReplenishError::InvalidInput {
                    field,
                    bound,
                    value,
                    item: Some(item.clone()),
                    site: Some(site.clone()),
                }
            }
            other => other,
        }
    }

    /// Attaches the site to an [`InvalidInput`](ReplenishError::InvalidInput); any other
    /// error is returned as it is.
    #[must_use]
    pub(crate) fn at_site(self, site: &SiteCode) -> Self {
        match self {
            ReplenishError::InvalidInput { field, bound, value, item, .. } => {
                ReplenishError::InvalidInput { field, bound, value, item, site: Some(site.clone()) }
            }
            other => other,
        }
    }
}

/// The input a figure was given for, in [`ReplenishError::InvalidInput`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    /// The step levels and shares are rounded to.
    Step,
    /// A lot size (fixed lot, DRP lot, fill-rate lot, the lot of an (s, Q) policy).
    Lot,
    /// An order multiple.
    OrderMultiple,
    /// The supply shared by [`fair_share`](crate::fair_share).
    Supply,
    /// Stock on hand.
    OnHand,
    /// Demand per day (a fair-share claim's, or the planner's demand statistics).
    DailyDemand,
    /// The deviation of daily demand in the planner's demand statistics.
    DailyStdDev,
    /// The most a fair-share claim may get.
    Requested,
    /// A DRP node's safety stock.
    SafetyStock,
    /// A DRP node's gross requirement in a period.
    GrossRequirement,
    /// A DRP node's scheduled receipt in a period.
    ScheduledReceipt,
    /// An exchange rate.
    ExchangeRate,
    /// The quantity of a proposed transfer.
    TransferQty,
    /// Mean demand per period ([`plain::Demand::mean`](crate::plain::Demand::mean)).
    DemandMean,
    /// The deviation of demand per period.
    DemandStdDev,
    /// A lead time, in periods.
    LeadTime,
    /// The deviation of the lead time.
    LeadTimeStdDev,
    /// A review period.
    ReviewPeriod,
    /// A safety factor `z` given directly.
    SafetyFactor,
    /// Annual demand for the economic order quantity.
    AnnualDemand,
    /// The cost of one order.
    OrderCost,
    /// The cost of holding one unit for a year.
    HoldingCost,
    /// A reorder point or order-up-to level of a policy being evaluated.
    Level,
    /// The order-up-to level of an (s, S) policy.
    OrderUpTo,
    /// The periods in a year.
    PeriodsPerYear,
    /// The days in a history period.
    PeriodDays,
    /// A demand observation in a history.
    Demand,
    /// An observed lead time, in days.
    ObservedLeadTime,
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Field::Step => "step",
            Field::Lot => "lot",
            Field::OrderMultiple => "order multiple",
            Field::Supply => "supply",
            Field::OnHand => "on hand",
            Field::DailyDemand => "daily demand",
            Field::DailyStdDev => "deviation of daily demand",
            Field::Requested => "requested",
            Field::SafetyStock => "safety stock",
            Field::GrossRequirement => "gross requirement",
            Field::ScheduledReceipt => "scheduled receipt",
            Field::ExchangeRate => "exchange rate",
            Field::TransferQty => "transfer quantity",
            Field::DemandMean => "demand",
            Field::DemandStdDev => "deviation of demand",
            Field::LeadTime => "lead time",
            Field::LeadTimeStdDev => "deviation of lead time",
            Field::ReviewPeriod => "review period",
            Field::SafetyFactor => "safety factor",
            Field::AnnualDemand => "annual demand",
            Field::OrderCost => "order cost",
            Field::HoldingCost => "holding cost",
            Field::Level => "level",
            Field::OrderUpTo => "order-up-to level",
            Field::PeriodsPerYear => "periods a year",
            Field::PeriodDays => "period length in days",
            Field::Demand => "demand observation",
            Field::ObservedLeadTime => "observed lead time",
        })
    }
}

/// The bound a figure broke, in [`ReplenishError::InvalidInput`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Bound {
    /// It must be above zero.
    Positive,
    /// It must not be below zero.
    NotNegative,
    /// It must be a finite number (floating-point inputs).
    Finite,
    /// Its magnitude must be at most this (for example [`LIMIT`](crate::LIMIT)).
    AtMost(Decimal),
    /// It must be above the reorder point.
    AboveReorderPoint,
}

impl std::fmt::Display for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Bound::Positive => f.write_str("must be positive"),
            Bound::NotNegative => f.write_str("cannot be negative"),
            Bound::Finite => f.write_str("must be a finite number"),
            Bound::AtMost(limit) => write!(f, "must be within {limit}"),
            Bound::AboveReorderPoint => f.write_str("must be above the reorder point"),
        }
    }
}

/// A floating-point figure as a decimal, `None` when it is not finite or beyond the
/// decimal range.
fn decimal(v: f64) -> Option<Decimal> {
    use rust_decimal::prelude::FromPrimitive;
    Decimal::from_f64(v)
}

fn value_text(value: Option<Decimal>) -> String {
    value.map_or_else(|| " (not a finite number)".to_owned(), |v| format!(" {v}"))
}

fn place(item: Option<&ItemCode>, site: Option<&SiteCode>) -> String {
    match (item, site) {
        (Some(i), Some(s)) => format!(" for {i} at {s}"),
        (Some(i), None) => format!(" for {i}"),
        (None, Some(s)) => format!(" at {s}"),
        (None, None) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_field_the_value_the_place_and_the_bound() {
        let item: ItemCode = "BOLT".parse().unwrap();
        let site: SiteCode = "ATL".parse().unwrap();
        let e = ReplenishError::input(Field::Lot, Bound::Positive, Decimal::ZERO).at(&item, &site);
        assert_eq!(e.to_string(), "lot 0 for BOLT at ATL must be positive");
        assert_eq!(e.code(), "invalid_input");
        let e = ReplenishError::float(Field::ReviewPeriod, Bound::Finite, f64::NAN);
        assert_eq!(e.to_string(), "review period (not a finite number) must be a finite number");
        let e = ReplenishError::target(1.5);
        assert_eq!(e.to_string(), "service target 1.5 must be strictly between 0 and 1");
        let e =
            ReplenishError::input(Field::Supply, Bound::AtMost(Decimal::TEN), Decimal::from(11))
                .at_site(&site);
        assert_eq!(e.to_string(), "supply 11 at ATL must be within 10");
    }
}
