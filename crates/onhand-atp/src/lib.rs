//! Available to promise and network allocation: the hot path of onhand.
//!
//! `onhand-atp` answers: *what can I promise, from where, by when, and which order gets
//! scarce stock?* It owns
//!
//! - time-phased availability per item-site ([`Atp`]): available stock now (from the
//!   ledger or set directly), scheduled receipts and transfers in transit as dated supply,
//!   and every booked promise as dated demand, in exact integer units on one contiguous
//!   array (24 bytes per item-site);
//! - ATP in every named mode: the bucketed master-schedule table ([`atp_table`]:
//!   discrete, discrete with forward consumption, cumulative with and without look-ahead,
//!   per period without consumption, an accumulation window and a checking horizon) and
//!   dated point queries ([`Atp::atp`], [`Atp::network_atp`]);
//! - the master-schedule record ([`mps`]): forecast and customer orders, projected
//!   available balance, MPS lot sizing (lot-for-lot, fixed lot, multiples), demand and
//!   planning time fences, and ATP over the record;
//! - promising and allocating order lines ([`OrderLine`] → [`Promise`]): material
//!   availability dates from handling and transit times, candidate sites from delivery
//!   lanes by rank, cost or transit time, splits into schedule lines, substitutes, forward
//!   scheduling, and the reason that limited each confirmation ([`Limit`]);
//! - soft reservations with expiry and a sweep, hard allocations, conversion, release
//!   and reduction ([`Claim`]);
//! - allocation quotas per demand class and period ([`QuotaRule`]) and protected stock
//!   ([`Atp::protect`]);
//! - backorder re-processing with win, gain, redistribute, fill and lose strategies, a
//!   simulation mode returning the diff, and fair share ([`Atp::reprocess`]); fair
//!   share for a batch too ([`Atp::allocate_batch_with`], [`Sharing`]), by the same rule
//!   as `onhand-replenish`'s ([`fair_share`]).
//!
//! The engine reads no clock: "today" is given and moved explicitly
//! ([`Atp::advance_to`]), and soft reservations expire when [`Atp::sweep`] is called with
//! `now`.
//!
//! ```
//! use std::sync::Arc;
//! use onhand_atp::{Atp, AtpConfig, Claim, Limit, LineId, OrderLine};
//! use onhand_master::{seed, Catalog};
//! use chrono::NaiveDate;
//!
//! let catalog = Arc::new(Catalog::new(seed::demo_network())?);
//! let day = |d| NaiveDate::from_ymd_opt(2026, 1, d).ok_or("date");
//! let mut atp = Atp::new(catalog, AtpConfig::default(), day(5)?)?;
//! atp.set_available(&"GLOVE-NIT".parse()?, &"ATL".parse()?, "40 EA".parse()?)?;
//! atp.set_available(&"GLOVE-NIT".parse()?, &"DFW".parse()?, "25 EA".parse()?)?;
//! atp.add_supply(&"GLOVE-NIT".parse()?, &"ATL".parse()?, day(12)?, "100 EA".parse()?)?;
//!
//! // 60 boxes to the south-east by the 8th, splits allowed: 40 from Atlanta (one day
//! // away), 20 from Dallas (two days away).
//! let mut line = OrderLine::new(LineId(7), "GLOVE-NIT".parse()?, "60 EA".parse()?, day(8)?, "US-SE".parse()?);
//! line.allow_split = true;
//! let p = atp.allocate(&line, Claim::Hard)?;
//! let split: Vec<String> = p.schedule().iter().map(|s| s.qty.to_string()).collect();
//! assert_eq!(split, ["40", "20"]);
//! assert!(p.on_time);
//!
//! // Another 30 without splits: nothing is left in time, Atlanta's receipt on the 12th
//! // delivers on the 14th.
//! let late = OrderLine::new(LineId(8), "GLOVE-NIT".parse()?, "30 EA".parse()?, day(8)?, "US-SE".parse()?);
//! let p = atp.allocate(&late, Claim::Hard)?;
//! assert_eq!(p.schedule()[0].delivery, day(14)?);
//! assert!(!p.on_time && p.limits.has(Limit::Stock));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod avail;
mod availability;
mod backorder;
mod book;
mod demand;
mod engine;
mod error;
mod mps;
pub mod perf;
mod promise;
mod quota;
mod share;
mod snapshot;
pub mod table;
mod units;

pub use availability::Availability;
pub use backorder::{Change, Mode, Reprocess};
pub use demand::{DemandClass, LineId, OrderLine, SourcingRule, Strategy};
pub use engine::{
    Advanced, Atp, AtpConfig, Claim, HeldNow, Horizon, MAX_SCHEDULE_LINES, Prepared, SiteOffer,
};
pub use error::{AtpError, Capacity, PlanInput};
pub use mps::{MpsInput, MpsLot, MpsRow, mps};
pub use promise::{Limit, Limits, Promise, ScheduleLine};
pub use quota::{Consumption, QuotaAmount, QuotaEntry, QuotaRule};
pub use share::{Sharing, fair_share};
pub use snapshot::{ATP_SNAPSHOT_FORMAT, AtpSnapshot};
pub use table::{TableCell, TableMode, TableRow, TableRule, atp_table};
pub use units::Day;

// The crates this one's public signatures use, at the versions it was built with.
pub use chrono;
pub use rust_decimal;

/// The most base-unit steps an item-site may hold (2^60, about 1.15 × 10^18): stock on
/// hand plus the supply on its timeline, counted as added. It is also the most an order
/// line may ask for. Beyond it [`Atp::set_available`], [`Atp::set_units`],
/// [`Atp::add_supply`] and promising refuse with [`AtpError::TooLarge`] and change
/// nothing, so every figure below it is exact and none reads as unlimited.
pub const MAX_UNITS: i64 = 1 << 60;
