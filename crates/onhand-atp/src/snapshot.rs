//! Snapshots: the engine's whole state, versioned and serializable, restored to an
//! engine that answers and continues exactly as the original would.
//!
//! An [`AtpSnapshot`] holds what the engine cannot rebuild from the catalog: today and
//! the settings, every item-site's free stock, protection and dated timeline, the
//! allocation quotas with their capacity and use per period, the demand classes, and
//! the book of booked lines (the slab as it is, with its free slots, so later bookings
//! land where they would have). What the catalog decides (sourcing per region,
//! substitutes, checking horizons per item-site) is computed again on restore.
//!
//! Items, sites and regions are named by their codes, so a snapshot restores against a
//! catalog that has gained or reordered records since; an item whose base-unit scale
//! changed would count in other units and is refused. [`Atp::restore`] checks everything
//! it reads and refuses a snapshot it cannot rely on with a typed error, never a panic.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use onhand_master::canonical::{Compact, EncodeError};
use onhand_master::hash::map;
use onhand_master::{Catalog, ItemCode, ItemIx, RegionCode, SiteCode, SiteIx};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use crate::MAX_UNITS;
use crate::avail::{Point, Timeline, UNLIMITED};
use crate::book::Book;
use crate::demand::{DemandClass, LineId, SourcingRule, Strategy};
use crate::engine::{Atp, AtpConfig, Booked, Claim, Demand, MAX_SCHEDULE_LINES};
use crate::error::AtpError;
use crate::promise::{Limits, RawLine, RawPromise};
use crate::quota::{Amount, Bucket, Consumption, ItemQuotas};
use crate::units::Day;

/// The snapshot format this version writes and reads.
pub const ATP_SNAPSHOT_FORMAT: u32 = 1;

/// The engine's whole state: serde, versioned, and equal for two engines in the same
/// state. It holds what the catalog cannot give back: today and the settings, every
/// item-site's free stock, protection and dated timeline, the allocation quotas with
/// their capacity and use per period, the demand classes and the book of booked lines
/// (the slab with its free slots, so later bookings land where they would have).
/// Sourcing per region, substitutes and checking horizons are computed again from the
/// catalog on [`Atp::restore`]. Items, sites and regions are named by code.
///
/// ```
/// use std::sync::Arc;
/// use onhand_atp::{Atp, AtpConfig, AtpSnapshot, Claim, LineId, OrderLine};
/// use onhand_master::{seed, Catalog};
/// use chrono::NaiveDate;
///
/// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
/// let day = |d| NaiveDate::from_ymd_opt(2026, 1, d).ok_or("date");
/// let mut atp = Atp::new(catalog.clone(), AtpConfig::default(), day(5)?)?;
/// atp.set_available(&"BOLT-M8".parse()?, &"ATL".parse()?, "300 EA".parse()?)?;
/// let line = OrderLine::new(LineId(1), "BOLT-M8".parse()?, "200 EA".parse()?, day(8)?, "US-SE".parse()?);
/// atp.allocate(&line, Claim::Hard)?;
///
/// let json = serde_json::to_string(&atp.snapshot())?;
/// let snapshot: AtpSnapshot = serde_json::from_str(&json)?;
/// let restored = Atp::restore(catalog, &snapshot)?;
/// assert_eq!(restored.booked(LineId(1)), atp.booked(LineId(1)));
/// assert_eq!(restored.atp(&"BOLT-M8".parse()?, &"ATL".parse()?, day(5)?, 5)?.to_string(), "100");
/// assert_eq!(restored.snapshot(), atp.snapshot());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AtpSnapshot {
    /// The format version ([`ATP_SNAPSHOT_FORMAT`]).
    pub format: u32,
    config: AtpConfig,
    today: NaiveDate,
    /// Item codes and base-unit scales, by the handles the rest of the snapshot uses.
    items: Vec<(ItemCode, u32)>,
    /// Site codes, by handle.
    sites: Vec<SiteCode>,
    /// Item-sites holding anything, in handle order.
    cells: Vec<CellRecord>,
    /// Allocation quotas, by item handle.
    quotas: Vec<QuotaRecord>,
    /// Interned demand classes; the first is the empty one.
    classes: Vec<DemandClass>,
    /// The book's slab: booked lines and empty slots, in slab order.
    book: Vec<Option<BookedRecord>>,
    /// The book's empty slots, in reuse order.
    free: Vec<u32>,
    /// Soft reservations by expiry.
    soft: Vec<(DateTime<Utc>, LineId)>,
}

impl AtpSnapshot {
    /// Writes the snapshot's compact canonical form (what
    /// [`canonical::stream_compact`](onhand_master::canonical::stream_compact) writes
    /// for it), the item-sites by hand: for a digest over a snapshot of a million
    /// item-sites, where the serde walk's generic steps cost several times the bytes.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_atp::{Atp, AtpConfig};
    /// # use onhand_master::{canonical, seed, Catalog};
    /// # use chrono::NaiveDate;
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let day = NaiveDate::from_ymd_opt(2026, 1, 5).ok_or("date")?;
    /// let snapshot = Atp::new(catalog, AtpConfig::default(), day)?.snapshot();
    /// let mut by_hand = Vec::new();
    /// canonical::stream_compact_with(|c| by_hand.extend_from_slice(c), |w| snapshot.write_compact(w))?;
    /// assert_eq!(by_hand, canonical::to_bytes_compact(&snapshot)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// The encoding error of a part written the serde way (plain data never has one).
    pub fn write_compact(&self, w: &mut Compact<'_>) -> Result<(), EncodeError> {
        w.field();
        w.u64(u64::from(self.format));
        w.field();
        w.value(&self.config)?;
        w.field();
        w.value(&self.today)?;
        w.field();
        w.value(&self.items)?;
        w.field();
        w.value(&self.sites)?;
        w.field();
        w.len(self.cells.len());
        for c in &self.cells {
            w.field();
            w.u64(u64::from(c.item));
            w.field();
            w.u64(u64::from(c.site));
            w.field();
            w.i64(c.now);
            w.field();
            w.i64(c.protected);
            w.field();
            w.u64(u64::from(c.protect_up_to));
            w.field();
            match &c.timeline {
                None => w.skipped(),
                Some((points, supply)) => {
                    w.field();
                    w.len(points.len());
                    for &(day, net) in points {
                        w.i64(i64::from(day));
                        w.i64(net);
                    }
                    w.i64(*supply);
                }
            }
        }
        w.field();
        w.value(&self.quotas)?;
        w.field();
        w.value(&self.classes)?;
        w.field();
        w.value(&self.book)?;
        w.field();
        w.value(&self.free)?;
        w.field();
        w.value(&self.soft)?;
        Ok(())
    }

    /// The day the engine worked from.
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
    /// assert_eq!(atp.snapshot().today(), day(5)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn today(&self) -> NaiveDate {
        self.today
    }

    /// The engine's settings.
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
    /// assert_eq!(atp.snapshot().config(), atp.config());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn config(&self) -> AtpConfig {
        self.config
    }

    /// How many lines are booked.
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
    /// atp.allocate(&line(1, "15 EA")?, Claim::Hard)?;
    /// assert_eq!(atp.snapshot().booked_count(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn booked_count(&self) -> usize {
        self.book.iter().flatten().count()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CellRecord {
    item: u32,
    site: u16,
    now: i64,
    protected: i64,
    protect_up_to: u8,
    /// Change points (day, net) and the supply counted on the timeline.
    timeline: Option<(Vec<(i32, i64)>, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct QuotaRecord {
    item: u32,
    starts: Vec<i32>,
    consumption: Consumption,
    patterns: Vec<DemandClass>,
    collective: bool,
    amounts: Vec<AmountRecord>,
    /// Capacity and use per period, one pair per amount.
    buckets: Vec<(Vec<i64>, Vec<i64>)>,
    supply: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum AmountRecord {
    Units(i64),
    Share(#[serde(with = "onhand_master::decimal::serde_str")] Decimal),
    Weight(u32),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BookedRecord {
    id: LineId,
    item: u32,
    region: RegionCode,
    class: u16,
    priority: u8,
    split: bool,
    subs: bool,
    rule: SourcingRule,
    strategy: Strategy,
    units: i64,
    min_split: i64,
    requested: i32,
    seq: u64,
    claim: Claim,
    /// Schedule lines: item, site, units, units of the ordered item covered, material
    /// availability day, delivery day.
    lines: Vec<(u32, u16, i64, i64, i32, i32)>,
    confirmed: i64,
    limits: u8,
    /// The quota use its picks kept: item, material availability day, units (absent
    /// when none, as in a snapshot written before it was kept).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    kept: Vec<(u32, i32, i64)>,
}

fn invalid(part: &'static str, what: impl Into<String>) -> AtpError {
    AtpError::InvalidSnapshot { part, what: what.into() }
}

/// A day count that is a date.
fn day(part: &'static str, d: i32) -> Result<i32, AtpError> {
    if Day::of(Day(d).date()).ok() == Some(Day(d)) {
        Ok(d)
    } else {
        Err(invalid(part, format!("day {d} is not a date")))
    }
}

/// A balance that no real figure reads as unlimited.
fn balance(part: &'static str, v: i64) -> Result<i64, AtpError> {
    if v.checked_abs().is_some_and(|a| a < UNLIMITED) {
        Ok(v)
    } else {
        Err(invalid(part, format!("{v} is out of range")))
    }
}

/// A quantity of base units an item-site may hold.
fn units(part: &'static str, v: i64) -> Result<i64, AtpError> {
    if (0..=MAX_UNITS).contains(&v) {
        Ok(v)
    } else {
        Err(invalid(part, format!("{v} units is out of range")))
    }
}

/// The snapshot's handles resolved against the catalog restored into.
struct Remap {
    items: Vec<ItemIx>,
    sites: Vec<SiteIx>,
}

impl Remap {
    fn item(&self, part: &'static str, i: u32) -> Result<u32, AtpError> {
        self.items
            .get(i as usize)
            .map(|ix| ix.raw())
            .ok_or_else(|| invalid(part, format!("item handle {i} is not in the dictionary")))
    }

    fn site(&self, part: &'static str, s: u16) -> Result<u16, AtpError> {
        self.sites
            .get(usize::from(s))
            .map(|ix| ix.raw())
            .ok_or_else(|| invalid(part, format!("site handle {s} is not in the dictionary")))
    }
}

impl Atp {
    /// The engine's whole state (see [`AtpSnapshot`]).
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
    /// atp.allocate(&line(1, "15 EA")?, Claim::Hard)?;
    /// let snap = atp.snapshot();
    /// let text = serde_json::to_string(&snap)?;
    /// assert_eq!(serde_json::from_str::<onhand_atp::AtpSnapshot>(&text)?, snap);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn snapshot(&self) -> AtpSnapshot {
        let items: Vec<(ItemCode, u32)> = self
            .catalog
            .items()
            .map(|(ix, i)| (i.code.clone(), self.scales.get(ix.index()).copied().unwrap_or(0)))
            .collect();
        let sites: Vec<SiteCode> = self.catalog.sites().map(|(_, s)| s.code.clone()).collect();
        let n_sites = self.store.sites.max(1);
        let mut cells = Vec::new();
        for (ix, c) in self.store.cells.iter().enumerate() {
            if c.now == 0 && c.protected == 0 && c.protect_up_to == 0 && c.timeline == 0 {
                continue;
            }
            let (Ok(item), Ok(site)) = (u32::try_from(ix / n_sites), u16::try_from(ix % n_sites))
            else {
                continue;
            };
            let timeline = c
                .timeline
                .checked_sub(1)
                .and_then(|t| self.store.timelines.get(t as usize))
                .map(|tl| (tl.points.iter().map(|p| (p.day, p.net)).collect(), tl.supply));
            cells.push(CellRecord {
                item,
                site,
                now: c.now,
                protected: c.protected,
                protect_up_to: c.protect_up_to,
                timeline,
            });
        }
        let mut quotas: Vec<QuotaRecord> = self
            .quotas
            .iter()
            .map(|(item, q)| QuotaRecord {
                item: *item,
                starts: q.starts.to_vec(),
                consumption: q.consumption,
                patterns: q.patterns.clone(),
                collective: q.has_collective,
                amounts: q
                    .amounts
                    .iter()
                    .map(|a| match a {
                        Amount::Units(u) => AmountRecord::Units(*u),
                        Amount::Share(s) => AmountRecord::Share(*s),
                        Amount::Weight(w) => AmountRecord::Weight(*w),
                    })
                    .collect(),
                buckets: q.buckets.iter().map(|b| (b.cap.to_vec(), b.used.to_vec())).collect(),
                supply: q.supply.to_vec(),
            })
            .collect();
        quotas.sort_by_key(|q| q.item);
        let book = self.book.slots().iter().map(|slot| self.record(slot.as_ref()?)).collect();
        AtpSnapshot {
            format: ATP_SNAPSHOT_FORMAT,
            config: self.config,
            today: self.today(),
            items,
            sites,
            cells,
            quotas,
            classes: self.classes.clone(),
            book,
            free: self.book.free().to_vec(),
            soft: self.soft.iter().copied().collect(),
        }
    }

    /// An engine over `catalog` in the state `snapshot` holds: every answer and every
    /// later call the same as the engine it was taken from (over the same catalog).
    ///
    /// # Errors
    /// [`AtpError::SnapshotFormat`] for another format version;
    /// [`AtpError::UnknownItem`], [`AtpError::UnknownSite`] or
    /// [`AtpError::UnknownRegion`] for a code the catalog does not have;
    /// [`AtpError::InvalidSnapshot`] for content the engine cannot rely on (a handle
    /// outside the dictionary, an item counted at another scale, a day that is not a
    /// date, a balance out of range, a timeline out of order or dated today or earlier,
    /// quotas whose capacities do not follow from their supply, a booked line whose
    /// figures do not add up, a free list or soft-reservation index that does not match
    /// the book); as [`Atp::new`] for the settings.
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
    /// atp.allocate(&line(1, "15 EA")?, Claim::Hard)?;
    /// let mut back = Atp::restore(catalog.clone(), &atp.snapshot())?;
    /// assert_eq!(back.booked(LineId(1)), atp.booked(LineId(1)));
    /// // It continues as the original would.
    /// assert_eq!(back.allocate(&line(2, "30 EA")?, Claim::Hard)?, atp.allocate(&line(2, "30 EA")?, Claim::Hard)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[allow(clippy::too_many_lines)] // one check per part of the state
    pub fn restore(catalog: Arc<Catalog>, snapshot: &AtpSnapshot) -> Result<Atp, AtpError> {
        if snapshot.format != ATP_SNAPSHOT_FORMAT {
            return Err(AtpError::SnapshotFormat {
                found: snapshot.format,
                reads: ATP_SNAPSHOT_FORMAT,
            });
        }
        let mut atp = Atp::new(catalog, snapshot.config, snapshot.today)?;
        let catalog = atp.catalog.clone();
        let today = atp.today;
        // The dictionary.
        let mut items = Vec::with_capacity(snapshot.items.len());
        for (code, scale) in &snapshot.items {
            let ix = catalog
                .item_ix(code)
                .ok_or_else(|| AtpError::UnknownItem { item: code.clone() })?;
            if atp.scales.get(ix.index()) != Some(scale) {
                return Err(invalid(
                    "items",
                    format!("{code} was counted at scale {scale}, the catalog counts it otherwise"),
                ));
            }
            items.push(ix);
        }
        let mut sites = Vec::with_capacity(snapshot.sites.len());
        for code in &snapshot.sites {
            sites.push(
                catalog
                    .site_ix(code)
                    .ok_or_else(|| AtpError::UnknownSite { site: code.clone() })?,
            );
        }
        if items.iter().collect::<BTreeSet<_>>().len() != items.len()
            || sites.iter().collect::<BTreeSet<_>>().len() != sites.len()
        {
            return Err(invalid("dictionary", "a code twice"));
        }
        let remap = Remap { items, sites };
        // Item-sites, in the snapshot's handle order (so each one once).
        let mut timelines = Vec::new();
        let mut last_cell = None;
        for c in &snapshot.cells {
            if last_cell >= Some((c.item, c.site)) {
                return Err(invalid(
                    "cells",
                    format!("item-site {}/{} out of order", c.item, c.site),
                ));
            }
            last_cell = Some((c.item, c.site));
            if c.now == 0 && c.protected == 0 && c.protect_up_to == 0 && c.timeline.is_none() {
                return Err(invalid(
                    "cells",
                    format!("item-site {}/{} holds nothing", c.item, c.site),
                ));
            }
            let item = remap.item("cells", c.item)?;
            let site = remap.site("cells", c.site)?;
            let ix = atp.store.index(item as usize, usize::from(site));
            let mut tl_ix = 0;
            if let Some((points, supply)) = &c.timeline {
                let mut tl = Timeline { points: SmallVec::new(), supply: units("cells", *supply)? };
                let mut last = today;
                for (d, net) in points {
                    let d = day("cells", *d)?;
                    if d <= last {
                        return Err(invalid(
                            "cells",
                            format!(
                                "timeline of {}/{} out of order or not after today",
                                c.item, c.site
                            ),
                        ));
                    }
                    last = d;
                    tl.points.push(Point { day: d, net: balance("cells", *net)? });
                }
                timelines.push(tl);
                tl_ix = u32::try_from(timelines.len())
                    .map_err(|_| invalid("cells", "too many timelines"))?;
            }
            let cell = atp.store.cells.get_mut(ix).ok_or_else(|| {
                invalid("cells", format!("item-site {}/{} outside the engine", c.item, c.site))
            })?;
            cell.now = balance("cells", c.now)?;
            cell.protected = units("cells", c.protected)?;
            cell.protect_up_to = c.protect_up_to;
            cell.timeline = tl_ix;
        }
        atp.store.timelines = timelines;
        // Demand classes.
        if snapshot.classes.first() != Some(&DemandClass::default()) {
            return Err(invalid("classes", "the first class is not the empty one"));
        }
        let mut class_ix = map();
        for (i, class) in snapshot.classes.iter().enumerate() {
            let i = u16::try_from(i).map_err(|_| invalid("classes", "more than 65,536"))?;
            if class_ix.insert(class.clone(), i).is_some() {
                return Err(invalid("classes", format!("{class} twice")));
            }
        }
        atp.classes.clone_from(&snapshot.classes);
        atp.class_ix = class_ix;
        // Quotas.
        let mut quotas = map();
        let mut last_quota = None;
        for q in &snapshot.quotas {
            if last_quota >= Some(q.item) {
                return Err(invalid("quotas", format!("item handle {} out of order", q.item)));
            }
            last_quota = Some(q.item);
            let item = remap.item("quotas", q.item)?;
            let restored = quota(q)?;
            if quotas.insert(item, restored).is_some() {
                return Err(invalid("quotas", format!("item handle {} twice", q.item)));
            }
        }
        atp.quotas = quotas;
        // The book.
        let mut slots = Vec::with_capacity(snapshot.book.len());
        let mut ids = BTreeSet::new();
        let mut soft_lines = BTreeSet::new();
        for slot in &snapshot.book {
            let Some(r) = slot else {
                slots.push(None);
                continue;
            };
            if !ids.insert(r.id) {
                return Err(invalid("book", format!("line {} twice", r.id)));
            }
            let booked = atp.booked_from(&remap, r)?;
            if let Claim::Soft { expires } = r.claim {
                soft_lines.insert((expires, r.id));
            }
            slots.push(Some(booked));
        }
        if u32::try_from(slots.len()).is_err() {
            return Err(invalid("book", "more than 2^32 slots"));
        }
        let empty: BTreeSet<u32> =
            (0u32..).zip(&slots).filter_map(|(i, s)| s.is_none().then_some(i)).collect();
        let listed: BTreeSet<u32> = snapshot.free.iter().copied().collect();
        if listed.len() != snapshot.free.len() || listed != empty {
            return Err(invalid("book", "the free list is not exactly the empty slots"));
        }
        let soft: BTreeSet<(DateTime<Utc>, LineId)> = snapshot.soft.iter().copied().collect();
        if soft != soft_lines || soft.len() != snapshot.soft.len() {
            return Err(invalid("soft", "the reservations by expiry do not match the book"));
        }
        atp.book = Book::from_parts(slots, snapshot.free.clone());
        atp.soft = soft;
        atp.count_urgent(None);
        Ok(atp)
    }

    /// A booked line's record (`None` for a region the catalog does not list, which a
    /// booked line never has).
    fn record(&self, b: &Booked) -> Option<BookedRecord> {
        let d = &b.demand;
        Some(BookedRecord {
            id: d.id,
            item: d.item,
            region: self.catalog.data().regions.get(usize::from(d.region))?.code.clone(),
            class: d.class,
            priority: d.priority,
            split: d.split,
            subs: d.subs,
            rule: d.rule,
            strategy: d.strategy,
            units: d.units,
            min_split: d.min_split,
            requested: d.requested,
            seq: d.seq,
            claim: b.claim,
            lines: b
                .promise
                .lines
                .iter()
                .map(|l| (l.item, l.site, l.units, l.covers, l.avail_day, l.delivery))
                .collect(),
            confirmed: b.promise.confirmed,
            limits: b.promise.limits.bits(),
            kept: b.kept.clone(),
        })
    }

    /// A booked line from its record, checked.
    fn booked_from(&self, remap: &Remap, r: &BookedRecord) -> Result<Booked, AtpError> {
        let what = |w: &str| invalid("book", format!("line {}: {w}", r.id));
        let item = remap.item("book", r.item)?;
        let region = self
            .catalog
            .region_ix(&r.region)
            .ok_or_else(|| AtpError::UnknownRegion { region: r.region.clone() })?;
        if usize::from(r.class) >= self.classes.len() {
            return Err(what("its demand class is not interned"));
        }
        // A line's quantity shrinks as its stock leaves (to zero when all of it left).
        if !(0..=MAX_UNITS).contains(&r.units) || r.min_split < 1 {
            return Err(what("its quantity or minimum split is out of range"));
        }
        if r.lines.len() > MAX_SCHEDULE_LINES {
            return Err(what("more schedule lines than a promise makes"));
        }
        let mut lines = SmallVec::new();
        let mut covered = 0i64;
        for &(li, ls, lu, lc, avail, delivery) in &r.lines {
            let li = remap.item("book", li)?;
            let ls = remap.site("book", ls)?;
            if li != item && (!r.subs || self.group_of(li) != self.group_of(item)) {
                return Err(what("a schedule line ships an item that is no substitute"));
            }
            let (lu, lc) = (units("book", lu)?, units("book", lc)?);
            let (avail, delivery) = (day("book", avail)?, day("book", delivery)?);
            if delivery < avail {
                return Err(what("a delivery before its material availability"));
            }
            covered = covered.checked_add(lc).ok_or_else(|| what("coverage overflows"))?;
            lines.push(RawLine {
                item: li,
                site: ls,
                units: lu,
                covers: lc,
                avail_day: avail,
                delivery,
            });
        }
        if covered != r.confirmed || r.confirmed > r.units {
            return Err(what(
                "confirmed is not what its schedule lines cover, or exceeds the line",
            ));
        }
        let limits = Limits::from_bits(r.limits).ok_or_else(|| what("unknown limits"))?;
        let mut kept: Vec<(u32, i32, i64)> = Vec::with_capacity(r.kept.len());
        for &(ki, kd, ku) in &r.kept {
            let k = (remap.item("book", ki)?, day("book", kd)?, units("book", ku)?);
            if k.2 <= 0 || kept.iter().any(|x| (x.0, x.1) == (k.0, k.1)) {
                return Err(what("a pick's kept quota use of nothing, or given twice"));
            }
            kept.push(k);
        }
        Ok(Booked {
            demand: Demand {
                id: r.id,
                item,
                region: region.raw(),
                class: r.class,
                priority: r.priority,
                split: r.split,
                subs: r.subs,
                rule: r.rule,
                strategy: r.strategy,
                units: r.units,
                min_split: r.min_split,
                requested: day("book", r.requested)?,
                seq: r.seq,
            },
            promise: RawPromise { lines, confirmed: r.confirmed, limits },
            claim: r.claim,
            kept,
        })
    }
}

/// An item's quotas from their record, checked: periods in order, one capacity and use
/// per period and bucket, and capacities that follow from the supply.
fn quota(q: &QuotaRecord) -> Result<ItemQuotas, AtpError> {
    let what = |w: &str| invalid("quotas", format!("item handle {}: {w}", q.item));
    let mut starts: SmallVec<[i32; 4]> = SmallVec::new();
    for s in &q.starts {
        starts.push(day("quotas", *s)?);
    }
    if starts.is_empty() || starts.windows(2).any(|w| w.first() >= w.get(1)) {
        return Err(what("periods empty or out of order"));
    }
    let periods = starts.len();
    let buckets = q.patterns.len() + usize::from(q.collective);
    if q.amounts.len() != buckets || q.buckets.len() != buckets || q.supply.len() != periods {
        return Err(what("buckets, amounts and periods do not match"));
    }
    let mut amounts = Vec::with_capacity(buckets);
    for a in &q.amounts {
        amounts.push(match a {
            AmountRecord::Units(u) => Amount::Units(units("quotas", *u)?),
            AmountRecord::Share(s) if *s >= Decimal::ZERO && *s <= Decimal::ONE => {
                Amount::Share(*s)
            }
            AmountRecord::Share(_) => return Err(what("a share outside 0..=1")),
            AmountRecord::Weight(w) => Amount::Weight(*w),
        });
    }
    let mut restored = ItemQuotas {
        starts,
        consumption: q.consumption,
        patterns: q.patterns.clone(),
        buckets: Vec::with_capacity(buckets),
        has_collective: q.collective,
        amounts,
        supply: q.supply.iter().copied().collect(),
    };
    for (cap, used) in &q.buckets {
        if cap.len() != periods || used.len() != periods {
            return Err(what("a bucket without one figure per period"));
        }
        restored.buckets.push(Bucket {
            cap: cap.iter().copied().collect(),
            used: used.iter().copied().collect(),
        });
    }
    for s in &restored.supply {
        balance("quotas", *s)?;
    }
    for b in &restored.buckets {
        for v in b.cap.iter().chain(&b.used) {
            balance("quotas", *v)?;
        }
    }
    let mut check = restored.clone();
    for p in 0..periods {
        check.recompute(p);
    }
    if check != restored {
        return Err(what("capacities do not follow from the supply"));
    }
    Ok(restored)
}
