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
    /// A quota rule whose periods are empty or not strictly ascending.
    #[error("quota periods of {item} must be ascending and not empty")]
    QuotaPeriods {
        /// The item of the rule.
        item: ItemCode,
    },
    /// A quota share outside 0..=1.
    #[error("quota share {share} of {item} is outside 0..=1")]
    QuotaShare {
        /// The item of the rule.
        item: ItemCode,
        /// The share given.
        share: Decimal,
    },
    /// [`Atp::advance_to`](crate::Atp::advance_to) a day before the engine's today.
    #[error("today cannot move back from {today} to {to}")]
    DayBackwards {
        /// The engine's today.
        today: NaiveDate,
        /// The day asked for.
        to: NaiveDate,
    },
    /// More of something than the engine's dense indexes hold.
    #[error("more {what} than the engine holds (at most {})", .what.limit())]
    TooMany {
        /// What overflowed.
        what: Capacity,
    },
    /// A negative figure given to a plain-number calculation ([`atp_table`](crate::atp_table),
    /// [`mps`](crate::mps)).
    #[error("{field}{} is negative: {value}", period_text(*.period))]
    Negative {
        /// The input.
        field: PlanInput,
        /// The period (from 1) of a per-period figure; `None` for a single figure.
        period: Option<usize>,
        /// The figure.
        value: Decimal,
    },
    /// A lot size that is not positive.
    #[error("{field} must be positive, got {value}")]
    NotPositive {
        /// The input.
        field: PlanInput,
        /// The figure.
        value: Decimal,
    },
    /// A per-period input covering more (or other) periods than the one it must follow.
    #[error("{field} covers {periods} periods, {expected} expected")]
    Periods {
        /// The input.
        field: PlanInput,
        /// The periods it covers.
        periods: usize,
        /// The periods it must cover (at most, for the master schedule's orders and firm
        /// receipts; exactly, for the table's demand).
        expected: usize,
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
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_atp::{Atp, AtpConfig, Availability, Claim, LineId, OrderLine};
    /// # use onhand_master::{seed, Catalog, Decimal, ItemCode, SiteCode};
    /// # use chrono::NaiveDate;
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let day = |d| NaiveDate::from_ymd_opt(2026, 1, d).ok_or("date");
    /// # let mut atp = Atp::new(catalog.clone(), AtpConfig::default(), day(5)?)?;
    /// # let (glove, atl): (ItemCode, SiteCode) = ("GLOVE-NIT".parse()?, "ATL".parse()?);
    /// # let (g, a) = (catalog.item_ix(&glove).ok_or("item")?, catalog.site_ix(&atl).ok_or("site")?);
    /// # atp.set_available(&glove, &atl, "40 EA".parse()?)?;
    /// # let line = |id, qty: &str| -> Result<OrderLine, Box<dyn std::error::Error>> {
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(8)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// let err = atp.set_available(&"NO-SUCH".parse()?, &atl, "1 EA".parse()?).unwrap_err();
    /// assert_eq!(err.code(), "unknown_item");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
            AtpError::QuotaPeriods { .. } => "quota_periods",
            AtpError::QuotaShare { .. } => "quota_share",
            AtpError::DayBackwards { .. } => "day_backwards",
            AtpError::TooMany { .. } => "too_many",
            AtpError::Negative { .. } => "negative",
            AtpError::NotPositive { .. } => "not_positive",
            AtpError::Periods { .. } => "periods",
            AtpError::TooLarge { .. } => "too_large",
            AtpError::SnapshotFormat { .. } => "snapshot_format",
            AtpError::InvalidSnapshot { .. } => "invalid_snapshot",
            AtpError::Overflow { .. } => "overflow",
        }
    }
}

/// What a dense index of the engine counts, in [`AtpError::TooMany`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Capacity {
    /// Sites of the catalog (at most 65,535).
    Sites,
    /// Demand classes (at most 65,536).
    DemandClasses,
    /// Lines in one batch (at most 2^32).
    BatchLines,
    /// Booked lines (at most 2^32).
    BookedLines,
}

impl Capacity {
    /// The most the engine holds.
    ///
    /// ```
    /// use onhand_atp::Capacity;
    /// assert_eq!(Capacity::Sites.limit(), 65_535);
    /// assert_eq!(Capacity::BookedLines.limit(), 1 << 32);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn limit(self) -> u64 {
        match self {
            Capacity::Sites => u64::from(u16::MAX),
            Capacity::DemandClasses => 1 << 16,
            Capacity::BatchLines | Capacity::BookedLines => 1 << 32,
        }
    }
}

impl std::fmt::Display for Capacity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Capacity::Sites => "sites",
            Capacity::DemandClasses => "demand classes",
            Capacity::BatchLines => "lines in a batch",
            Capacity::BookedLines => "booked lines",
        })
    }
}

/// An input of the plain-number calculations ([`atp_table`](crate::atp_table),
/// [`mps`](crate::mps)), in [`AtpError::Negative`], [`AtpError::NotPositive`] and
/// [`AtpError::Periods`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PlanInput {
    /// Stock on hand at the start.
    OnHand,
    /// Safety stock.
    SafetyStock,
    /// Supply per period.
    Supply,
    /// Demand per period.
    Demand,
    /// Forecast per period.
    Forecast,
    /// Customer orders per period.
    Orders,
    /// Firm receipts per period.
    FirmReceipts,
    /// The lot size or multiple.
    Lot,
}

impl std::fmt::Display for PlanInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PlanInput::OnHand => "on hand",
            PlanInput::SafetyStock => "safety stock",
            PlanInput::Supply => "supply",
            PlanInput::Demand => "demand",
            PlanInput::Forecast => "forecast",
            PlanInput::Orders => "orders",
            PlanInput::FirmReceipts => "firm receipts",
            PlanInput::Lot => "lot",
        })
    }
}

fn period_text(period: Option<usize>) -> String {
    period.map(|p| format!(" in period {p}")).unwrap_or_default()
}

/// The first negative figure of `values` (per period, from 1) as an
/// [`AtpError::Negative`].
pub(crate) fn first_negative(field: PlanInput, values: &[Decimal]) -> Result<(), AtpError> {
    match values.iter().position(|v| *v < Decimal::ZERO) {
        Some(k) => Err(AtpError::Negative {
            field,
            period: Some(k + 1),
            value: values.get(k).copied().unwrap_or_default(),
        }),
        None => Ok(()),
    }
}
