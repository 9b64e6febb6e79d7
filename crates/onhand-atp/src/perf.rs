//! Speed-shaped access for benchmarks, measurements and test models: outside the stable
//! API.
//!
//! **Stability.** Nothing here is covered by semantic versioning: items may change or
//! go in any release, as the engine's layout does. Services use [`Atp::atp`] (codes,
//! dates and [`Availability`](crate::Availability)); this module answers the same
//! question on handles and integer units, as the engine does inside, so a benchmark can
//! time the engine alone and a model can compare figures exactly.

use onhand_master::{ItemIx, SiteIx};

use crate::{Atp, Day};

/// Bytes the hot structure holds per item-site (one cell; dated supply and demand, where
/// there is any, live in a separate small timeline).
pub const HOT_BYTES_PER_ITEM_SITE: usize = std::mem::size_of::<crate::avail::Cell>();

/// Available to promise at an item-site on a day for a demand of `priority`, in integer
/// units of the item's base-unit step, with no allocation and no hashing: what
/// [`Atp::atp`] reads before it converts the figure. A figure above
/// [`MAX_UNITS`](crate::MAX_UNITS) stands for unlimited (beyond the checking horizon).
///
/// ```
/// use std::sync::Arc;
/// use chrono::NaiveDate;
/// use onhand_atp::{perf, Atp, AtpConfig, Availability, Day};
/// use onhand_master::{seed, Catalog};
///
/// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
/// let today = NaiveDate::from_ymd_opt(2026, 1, 5).ok_or("date")?;
/// let mut atp = Atp::new(catalog.clone(), AtpConfig::default(), today)?;
/// atp.set_available(&"GLOVE-NIT".parse()?, &"ATL".parse()?, "40 EA".parse()?)?;
/// let item = catalog.item_ix(&"GLOVE-NIT".parse()?).ok_or("item")?;
/// let site = catalog.site_ix(&"ATL".parse()?).ok_or("site")?;
/// assert_eq!(perf::atp_units(&atp, item, site, Day::of(today)?, 5), 40);
/// assert_eq!(
///     atp.atp(&"GLOVE-NIT".parse()?, &"ATL".parse()?, today, 5)?,
///     Availability::Limited("40".parse()?),
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
#[inline]
pub fn atp_units(atp: &Atp, item: ItemIx, site: SiteIx, day: Day, priority: u8) -> i64 {
    atp.atp_units(item, site, day, priority)
}
