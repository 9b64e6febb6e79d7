//! A reference model of what the ATP engine may promise, shared by the ATP crate's
//! property tests (`tests/properties.rs`) and the `allocate` fuzz target, through the
//! `atp-model` feature.
//!
//! [`Harness`] drives an [`Atp`] with [`Op`]s (raw, generator-level descriptions: indices
//! that may point past the catalog, quantities in any unit, ids that may be unknown) and
//! keeps its own books: the supply it loaded (available now and dated receipts per
//! item-site), the protection and quotas it set, and every booked line with its schedule
//! lines. After each operation it re-derives the invariants from those inputs alone,
//! never from the engine's availability:
//!
//! - every failed call fails with the typed error the inputs call for;
//! - **no over-allocation**: per item-site and day `t`, supply effective by `t` minus the
//!   schedule lines available by `t` is never negative;
//! - **conservation**: confirmed + unconfirmed = requested, and the schedule covers the
//!   confirmed quantity;
//! - **protection**: the schedule lines of lines less urgent than a protection never
//!   take the site's balance below the protected quantity;
//! - **quotas**: per quota bucket and period, what the booked schedule lines use stays
//!   within the capacity computed from the rule and the supply at load time;
//! - **lead times**: every schedule line's delivery is its availability date plus the
//!   site's handling and the lane's transit days, and new lines are never dated before
//!   today;
//! - dry runs, simulations, release round trips, sweeps and repeated re-processing change
//!   exactly what they should;
//! - picks (`consume`) and their reversals (`restore_consumed`) return, schedule and ask
//!   for exactly what the model derives from its own books (see `consume`); their quota
//!   use counts as the contract says. A pick lowers, and its reversal raises, the stock
//!   on hand (as the `onhand` facade does); stock a pick took from other lines (beyond
//!   what the line held today) counts as lowered supply.
//!
//! Over-allocation and protection are facts about the moment each schedule line was
//! taken, so the model remembers when (which step) it first saw each unit of a schedule
//! line. Lines beyond today's checking-horizon fence (confirmed against assumed supply)
//! are exempt until the fence passes them, and lines taken before supply at the
//! item-site was lowered or its protection changed are exempt: that is something the
//! engine cannot undo.
//! Remembering a unit as older than it is only ever exempts more, so the checks never
//! accuse the engine wrongly.
//!
//! The sections, one module each: days and instants (`time`), the network (`network`),
//! operations (`ops`), which checks run (`checks`), the model's books (`books`) and
//! picks and their reversals (`consume`).
//!
//! A harness fails the test that drives it: a check that does not hold, or a literal of
//! the fixed network that does not parse, panics or comes back as an `Err` with what led
//! to it. No function documents that again.
#![allow(
    clippy::missing_panics_doc,
    clippy::missing_errors_doc,
    reason = "a failed check is a failed test; the module docs say so once"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{Debug, Write as _};
use std::sync::Arc;

use chrono::{DateTime, Days, NaiveDate, TimeDelta, TimeZone, Utc};
use onhand_atp::{
    Atp, AtpConfig, AtpError, Change, Claim, Consumption, Day, DemandClass, Horizon, LineId, Mode,
    OrderLine, Prepared, Promise, QuotaAmount, QuotaEntry, QuotaRule, SourcingRule, Strategy,
};
use onhand_master::{
    Catalog, ChannelCode, CustomerGroupCode, ItemCode, ItemIx, MasterData, Qty, RegionCode,
    SiteCode, SiteIx, UomCode,
};
use rust_decimal::{Decimal, RoundingStrategy};

mod books;
mod checks;
mod consume;
mod network;
mod ops;
mod time;

pub use books::Harness;
pub use checks::Checks;
pub use network::{ItemInfo, RegionInfo, World};
pub use ops::{AmountSpec, LineQty, LineSpec, Op, PickQty, QtySpec, ReduceSpec, RuleSpec};
pub use time::date;

use checks::{ErrKind, Expect, expect_outcome};
use time::{FAR, instant, offset};
