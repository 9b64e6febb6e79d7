//! [`Atp`]: the engine. Supply per item-site over time, promising and allocating order
//! lines across the network, reservations, protection and quotas.
//!
//! ## Promising a line
//!
//! Candidate sites are the delivery lanes into the line's ship-to region, in the line's
//! [`SourcingRule`] order. For a site, the **material availability date** (MAD) is the
//! requested date minus the site's handling days and the lane's transit days; the
//! delivery date of stock available on day `d` is `d` plus the same. Items are the ordered
//! item, then (when the line allows) its substitutes in preference order. Then:
//!
//! 1. **On time, one source**: the first item and site (items first, then sites) with the
//!    whole quantity available at its MAD confirms it in one schedule line.
//! 2. **On time, split** (lines that allow splits): items and sites in the same order each
//!    give what they have at their MAD (at least the minimum split, or all that is left).
//! 3. **Late** (the ordered item only): for what is left, each site's earliest date with
//!    enough available (the whole remainder, or with splits at least the minimum split) is
//!    found by forward scheduling; the site delivering soonest (ties: rule order) confirms,
//!    as much as it has (with splits) or the whole remainder; repeated until nothing is
//!    left or no site ever has enough (at most 32 schedule lines).
//! 4. What is left is unconfirmed.
//!
//! Availability is cumulative ATP with look-ahead (see [`crate::table`]): what is free on
//! a day after every later promise is kept. Stock protected for more urgent demand is not
//! available to less urgent lines (nested: what urgent lines hold uses the protection up
//! first, see [`Atp::protect`]); an allocation quota caps what the line's demand class
//! may take in the period. Beyond a site's checking horizon, supply is assumed unlimited
//! (quotas still apply). A substitute covers the ordered quantity by its ratio; only
//! substitutes whose ratio is a whole number of their units per ordered unit are used.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use onhand_ledger::Ledger;
use onhand_master::hash::{Map, map};
use onhand_master::{Catalog, ItemCode, ItemIx, Qty, RegionCode, SafetyStock, SiteCode, SiteIx};
use onhand_status::Measure;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use crate::avail::{Store, UNLIMITED};
use crate::availability::Availability;
use crate::backorder::Change;
use crate::book::Book;
use crate::demand::{DemandClass, LineId, OrderLine, ServeKey, SourcingRule, Strategy};
use crate::error::{AtpError, Capacity};
use crate::promise::{Limit, Limits, Promise, RawLine, RawPromise, ScheduleLine};
use crate::quota::{Amount, Bucket, ItemQuotas, QuotaAmount, QuotaRule};
use crate::share::Sharing;
use crate::units::{Day, from_units, pow10, to_units};

/// The class of demand that names no characteristic.
static ANY_CLASS: DemandClass = DemandClass { channel: None, group: None, region: None };

/// The most schedule lines one promise makes.
pub const MAX_SCHEDULE_LINES: usize = 32;

/// Where the checking horizon (infinite-supply fence) lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Horizon {
    /// No horizon: every date is checked against real supply.
    #[default]
    None,
    /// Each item-site's replenishment lead time (its policy's mean lead time, rounded up;
    /// item-sites without a policy or lead time get no horizon).
    LeadTime,
    /// The same number of days for every item-site.
    Days(u16),
}

/// Engine settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct AtpConfig {
    /// The checking horizon.
    pub horizon: Horizon,
}

/// How a booked line holds its confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Claim {
    /// A hard allocation: held until the order releases or reduces it.
    Hard,
    /// A soft reservation, released by [`Atp::sweep`] once `expires` has passed.
    Soft {
        /// When it lapses.
        expires: DateTime<Utc>,
    },
}

/// A candidate site for a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Source {
    pub(crate) site: u16,
    /// Handling plus transit days.
    pub(crate) lead: i32,
    pub(crate) rank: u16,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct RegionSources {
    ranked: Vec<Source>,
    cheapest: Vec<Source>,
    fastest: Vec<Source>,
}

/// A substitute in engine terms: its units per unit of the ordered item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sub {
    pub(crate) item: u32,
    per: i64,
}

/// A line in engine terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Demand {
    pub(crate) id: LineId,
    pub(crate) item: u32,
    pub(crate) region: u16,
    /// Interned demand class.
    pub(crate) class: u16,
    pub(crate) priority: u8,
    pub(crate) split: bool,
    pub(crate) subs: bool,
    pub(crate) rule: SourcingRule,
    pub(crate) strategy: Strategy,
    pub(crate) units: i64,
    pub(crate) min_split: i64,
    pub(crate) requested: i32,
    pub(crate) seq: u64,
}

impl Demand {
    pub(crate) fn key(&self) -> ServeKey {
        (self.priority, self.requested, self.seq, self.id.0)
    }
}

/// A booked line: its demand, its confirmation and how it is held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Booked {
    pub(crate) demand: Demand,
    pub(crate) promise: RawPromise,
    pub(crate) claim: Claim,
    /// The quota use its picks kept (served demand, see [`Atp::consume`]): item, the
    /// material availability day it was confirmed for, units; one entry per item and
    /// day. A reversal takes it back ([`Atp::restore_consumed`]); reloading the quotas
    /// forgets it, as it forgets the use itself.
    pub(crate) kept: Vec<(u32, i32, i64)>,
}

/// The available-to-promise engine.
///
/// ```
/// use std::sync::Arc;
/// use onhand_atp::{Atp, AtpConfig, Claim, LineId, OrderLine};
/// use onhand_master::{seed, Catalog};
/// use chrono::NaiveDate;
///
/// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
/// let today = NaiveDate::from_ymd_opt(2026, 1, 5).ok_or("date")?;
/// let mut atp = Atp::new(catalog, AtpConfig::default(), today)?;
/// atp.set_available(&"BOLT-M8".parse()?, &"ATL".parse()?, "300 EA".parse()?)?;
///
/// // 200 bolts for a customer in the south-east, wanted on the 8th: Atlanta ships in a
/// // day after a day's handling, so the stock must be there on the 6th.
/// let line = OrderLine::new(LineId(1), "BOLT-M8".parse()?, "200 EA".parse()?,
///     NaiveDate::from_ymd_opt(2026, 1, 8).ok_or("date")?, "US-SE".parse()?);
/// let promise = atp.allocate(&line, Claim::Hard)?;
/// assert!(promise.on_time);
/// assert_eq!(promise.schedule()[0].available_on, NaiveDate::from_ymd_opt(2026, 1, 6).ok_or("date")?);
/// assert_eq!(atp.atp(&"BOLT-M8".parse()?, &"ATL".parse()?, today, 5)?.to_string(), "100");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Atp {
    pub(crate) catalog: Arc<Catalog>,
    pub(crate) config: AtpConfig,
    pub(crate) today: i32,
    pub(crate) store: Store,
    pub(crate) scales: Vec<u32>,
    pub(crate) subs: Vec<SmallVec<[Sub; 2]>>,
    /// Per item, the smallest item index linked to it by substitution (either way):
    /// items in different groups never touch each other's state.
    pub(crate) groups: Vec<u32>,
    sources: Vec<RegionSources>,
    pub(crate) quotas: Map<u32, ItemQuotas>,
    pub(crate) book: Book,
    pub(crate) soft: BTreeSet<(DateTime<Utc>, LineId)>,
    pub(crate) classes: Vec<DemandClass>,
    pub(crate) class_ix: Map<DemandClass, u16>,
}

/// An order line checked against the catalog and interned for the engine: prepare once,
/// then promise or allocate it (or re-promise it) without looking codes up again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared(pub(crate) Demand);

impl Prepared {
    /// The line's id.
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// let prepared = atp.prepare(&line(7, "10 EA")?)?;
    /// assert_eq!(prepared.id(), LineId(7));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn id(&self) -> LineId {
        self.0.id
    }
}

/// What booked lines hold of every item-site's stock available today, taken at once
/// ([`Atp::held_now_all`]).
#[derive(Debug, Clone)]
pub struct HeldNow<'a> {
    atp: &'a Atp,
    units: BTreeMap<(u32, u16), i64>,
}

impl HeldNow<'_> {
    /// What booked lines hold of an item-site's stock available today: the same as
    /// [`Atp::held`].
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// atp.allocate(&line(1, "15 EA")?, Claim::Hard)?;
    /// assert_eq!(atp.held_now_all().get(g, a), n("15")?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn get(&self, item: ItemIx, site: SiteIx) -> Decimal {
        let units = self.units.get(&(item.raw(), site.raw())).copied().unwrap_or(0);
        self.atp.decimal(item.raw(), units)
    }

    /// Every item-site where booked lines hold something available today, in item then
    /// site order, with what [`get`](Self::get) answers there (every other item-site:
    /// zero). Reading the whole network this way walks the index once.
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// atp.allocate(&line(1, "15 EA")?, Claim::Hard)?;
    /// assert_eq!(atp.held_now_all().iter().collect::<Vec<_>>(), vec![(g, a, n("15")?)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (ItemIx, SiteIx, Decimal)> + '_ {
        self.units
            .iter()
            .filter(|&(_, &u)| u != 0)
            .map(|(&(i, s), &u)| (ItemIx::new(i), SiteIx::new(s), self.atp.decimal(i, u)))
    }
}

/// Connected components of the substitution graph, each named by its smallest item.
fn substitution_groups(subs: &[SmallVec<[Sub; 2]>]) -> Vec<u32> {
    fn root(parent: &mut [u32], mut x: u32) -> u32 {
        while let Some(&p) = parent.get(x as usize) {
            if p == x {
                break;
            }
            // Path halving.
            let gp = parent.get(p as usize).copied().unwrap_or(p);
            if let Some(slot) = parent.get_mut(x as usize) {
                *slot = gp;
            }
            x = gp;
        }
        x
    }
    let n = u32::try_from(subs.len()).unwrap_or(u32::MAX);
    let mut parent: Vec<u32> = (0..n).collect();
    for (a, list) in (0..n).zip(subs) {
        for s in list {
            let (ra, rb) = (root(&mut parent, a), root(&mut parent, s.item));
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            if let Some(slot) = parent.get_mut(hi as usize) {
                *slot = lo;
            }
        }
    }
    (0..n).map(|x| root(&mut parent, x)).collect()
}

fn sites_count(catalog: &Catalog) -> Result<u16, AtpError> {
    u16::try_from(catalog.site_count()).map_err(|_| AtpError::TooMany { what: Capacity::Sites })
}

impl Atp {
    /// An engine over `catalog` with nothing available yet, as of `today`.
    ///
    /// # Errors
    /// [`AtpError::DateOutOfRange`]; [`AtpError::TooMany`] for a catalog of more sites
    /// than the engine indexes.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use onhand_atp::{Atp, AtpConfig};
    /// use onhand_master::{seed, Catalog};
    /// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).ok_or("date")?;
    /// let atp = Atp::new(catalog, AtpConfig::default(), today)?;
    /// // Nothing is available until stock or supply is set.
    /// assert_eq!(atp.today(), today);
    /// assert!(atp.booked_lines().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        catalog: Arc<Catalog>,
        config: AtpConfig,
        today: NaiveDate,
    ) -> Result<Self, AtpError> {
        let today = Day::of(today)?.0;
        let n_sites = usize::from(sites_count(&catalog)?);
        let mut store = Store::new(catalog.item_count(), n_sites);
        let mut scales = Vec::with_capacity(catalog.item_count());
        let mut subs = Vec::with_capacity(catalog.item_count());
        for (ix, item) in catalog.items() {
            let scale = catalog.profile(ix).map_or(0, |p| p.base_rounding.scale());
            scales.push(scale);
            let mut list = SmallVec::new();
            for s in &item.substitutes {
                let Some((six, sp)) = catalog.lookup_item(&s.item) else { continue };
                // Substitute units per ordered unit: ratio × 10^(sub scale − item scale).
                let shift = i64::from(sp.base_rounding.scale()) - i64::from(scale);
                let per = if shift >= 0 {
                    u32::try_from(shift)
                        .ok()
                        .and_then(pow10)
                        .and_then(|k| to_units(s.ratio, 0).ok().and_then(|r| r.checked_mul(k)))
                } else {
                    None
                };
                if let Some(per) = per.filter(|p| *p > 0) {
                    list.push(Sub { item: six.raw(), per });
                }
            }
            subs.push(list);
        }
        let groups = substitution_groups(&subs);
        // Sources per region, in three orders.
        let mut sources = vec![RegionSources::default(); catalog.data().regions.len()];
        for (r, region) in catalog.data().regions.iter().enumerate() {
            let Some(rix) = catalog.region_ix(&region.code) else { continue };
            let mut list: Vec<(Source, Decimal)> = Vec::new();
            for lane in catalog.deliveries_to(rix) {
                let Some(six) = catalog.site_ix(&lane.site) else { continue };
                let handling = catalog.site(six).map_or(0, |s| s.handling_days);
                let lead = i32::try_from(u64::from(handling) + u64::from(lane.transit_days))
                    .unwrap_or(i32::MAX);
                list.push((
                    Source { site: six.raw(), lead, rank: lane.rank },
                    lane.cost_per_unit.amount(),
                ));
            }
            let Some(slot) = sources.get_mut(r) else { continue };
            slot.ranked = list.iter().map(|(s, _)| *s).collect();
            let mut by_cost = list.clone();
            by_cost.sort_by_key(|a| (a.1, a.0.rank));
            slot.cheapest = by_cost.into_iter().map(|(s, _)| s).collect();
            let mut by_lead: Vec<Source> = slot.ranked.clone();
            by_lead.sort_by_key(|s| (s.lead, s.rank));
            slot.fastest = by_lead;
        }
        // Horizons.
        for (iix, _) in catalog.items() {
            for (six, _) in catalog.sites() {
                let h = match config.horizon {
                    Horizon::None => 0,
                    Horizon::Days(d) => d,
                    Horizon::LeadTime => catalog
                        .policy(iix, six)
                        .map(|p| p.lead_time.mean_days.ceil())
                        .and_then(|d| u16::try_from(d.mantissa()).ok().filter(|_| d.scale() == 0))
                        .unwrap_or(0),
                };
                let ix = store.index(iix.index(), six.index());
                if let Some(c) = store.cells.get_mut(ix) {
                    c.horizon = h;
                }
            }
        }
        Ok(Atp {
            catalog,
            config,
            today,
            store,
            scales,
            subs,
            groups,
            sources,
            quotas: map(),
            book: Book::default(),
            soft: BTreeSet::new(),
            classes: vec![DemandClass::default()],
            class_ix: {
                let mut m = map();
                m.insert(DemandClass::default(), 0);
                m
            },
        })
    }

    /// An engine loaded from the ledger: available stock now at every item-site (by the
    /// ledger's measure rules), and every transfer in transit as supply at its expected
    /// arrival (today, if that has passed).
    ///
    /// # Errors
    /// As [`Atp::new`], plus [`AtpError::NotRepresentable`] for a ledger quantity finer
    /// than the item's base unit and [`AtpError::TooLarge`] for an item-site beyond
    /// [`MAX_UNITS`](crate::MAX_UNITS).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use onhand_atp::{Atp, AtpConfig};
    /// use onhand_ledger::{Ledger, Rules, testing};
    /// use onhand_master::{seed, Catalog, CurrencyCode, Decimal};
    /// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// let mut ledger = Ledger::new(catalog.clone(), rules)?;
    /// ledger.apply(&testing::receipt_to(1, "ATL", "BOLT-M8", "500 EA", "RCV-01", "available")?)?;
    /// let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).ok_or("date")?;
    /// let atp = Atp::from_ledger(&ledger, AtpConfig::default(), today)?;
    /// let (item, site) = (catalog.item_ix(&"BOLT-M8".parse()?).ok_or("item")?, catalog.site_ix(&"ATL".parse()?).ok_or("site")?);
    /// assert_eq!(atp.free_now(item, site), Decimal::from(500));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_ledger(
        ledger: &Ledger,
        config: AtpConfig,
        today: NaiveDate,
    ) -> Result<Self, AtpError> {
        let mut atp = Atp::new(ledger.catalog().clone(), config, today)?;
        for (iix, _) in atp.catalog.clone().items() {
            for (six, _) in atp.catalog.clone().sites() {
                let q = ledger.measure(iix, six, Measure::Available);
                if !q.is_zero() {
                    let units = atp.units(iix.raw(), q)?;
                    let ix = atp.store.index(iix.index(), six.index());
                    atp.check_room(iix, ix, units, 0, "stock")?;
                    if let Some(c) = atp.store.cells.get_mut(ix) {
                        c.now = units;
                    }
                }
            }
        }
        for (six, _) in atp.catalog.clone().sites() {
            for t in ledger.in_transit_to(six) {
                let day = t
                    .order
                    .expected_arrival
                    .map_or(Ok(atp.today), |a| Day::of(a.date_naive()).map(|d| d.0))?;
                let units = atp.units(t.item.raw(), t.qty)?;
                let ix = atp.store.index(t.item.index(), six.index());
                let now = atp.store.cell(ix).map_or(0, |c| c.now);
                atp.check_room(t.item, ix, now, units, "supply")?;
                atp.store.apply(ix, atp.today, day.max(atp.today), units);
                if day > atp.today {
                    atp.store.count_supply(ix, units);
                }
            }
        }
        Ok(atp)
    }

    /// The day the engine works from.
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// assert_eq!(atp.today(), day(5)?);
    /// atp.advance_to(day(6)?)?;
    /// assert_eq!(atp.today(), day(6)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn today(&self) -> NaiveDate {
        Day(self.today).date()
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// assert_eq!(atp.config(), AtpConfig::default());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn config(&self) -> AtpConfig {
        self.config
    }

    /// The catalog.
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// assert!(Arc::ptr_eq(atp.catalog(), &catalog));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    pub(crate) fn units(&self, item: u32, q: Decimal) -> Result<i64, AtpError> {
        to_units(q, self.scales.get(item as usize).copied().unwrap_or(0))
    }

    pub(crate) fn decimal(&self, item: u32, units: i64) -> Decimal {
        from_units(units, self.scales.get(item as usize).copied().unwrap_or(0))
    }

    fn item_ix(&self, code: &ItemCode) -> Result<ItemIx, AtpError> {
        self.catalog.item_ix(code).ok_or_else(|| AtpError::UnknownItem { item: code.clone() })
    }

    fn site_ix(&self, code: &SiteCode) -> Result<SiteIx, AtpError> {
        self.catalog.site_ix(code).ok_or_else(|| AtpError::UnknownSite { site: code.clone() })
    }

    fn base_units(&self, item: ItemIx, code: &ItemCode, qty: Qty) -> Result<i64, AtpError> {
        let units = self
            .catalog
            .item_units(item)
            .ok_or_else(|| AtpError::UnknownItem { item: code.clone() })?;
        let base = units
            .to_base(qty)
            .map_err(|source| AtpError::Quantity { item: code.clone(), source })?;
        self.units(item.raw(), base.value())
    }

    /// Sets what is available now at an item-site (replacing what was there): available
    /// on hand, of which booked lines keep what they hold.
    ///
    /// # Errors
    /// [`AtpError::UnknownItem`], [`AtpError::UnknownSite`], [`AtpError::Quantity`];
    /// [`AtpError::TooLarge`] when it and the item-site's dated supply together exceed
    /// [`MAX_UNITS`](crate::MAX_UNITS) (nothing changes then).
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// assert_eq!(atp.free_now(g, a), n("40")?);
    /// // Stock counted again replaces the figure.
    /// atp.set_available(&glove, &atl, "25 EA".parse()?)?;
    /// assert_eq!(atp.free_now(g, a), n("25")?);
    /// assert!(atp.set_available(&glove, &"NOWHERE".parse()?, "1 EA".parse()?).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_available(
        &mut self,
        item: &ItemCode,
        site: &SiteCode,
        qty: Qty,
    ) -> Result<(), AtpError> {
        let iix = self.item_ix(item)?;
        let six = self.site_ix(site)?;
        let units = self.base_units(iix, item, qty)?;
        self.set_units(iix, six, units)
    }

    /// [`set_available`](Self::set_available) by handle, with the quantity in the item's
    /// base unit: no code look-ups and no unit conversion, for a host that already holds
    /// handles from the engine's catalog and base quantities (as the `onhand` network
    /// does on every stock change).
    ///
    /// # Errors
    /// [`AtpError::NotRepresentable`] for a quantity finer than the item's base rounding
    /// or beyond the engine's integer range; [`AtpError::TooLarge`] as for
    /// [`set_available`](Self::set_available). Nothing changes then.
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// atp.set_available_base(g, a, n("25")?)?;
    /// assert_eq!(atp.free_now(g, a), n("25")?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_available_base(
        &mut self,
        item: ItemIx,
        site: SiteIx,
        base: Decimal,
    ) -> Result<(), AtpError> {
        let units = self.units(item.raw(), base)?;
        self.set_units(item, site, units)
    }

    /// Whether an item-site can take `stock` more base units available on hand and
    /// `supply` more base units of dated supply (negative: that much taken away first):
    /// the refusals [`set_available_base`](Self::set_available_base) and
    /// [`add_supply`](Self::add_supply) would make for them ([`AtpError::TooLarge`]
    /// past [`MAX_UNITS`](crate::MAX_UNITS), or a quantity the item's steps cannot
    /// hold), without changing anything. Less stock counts as none. A host that
    /// must follow another engine's decision (the `onhand` facade, before its ledger
    /// commits) asks here first.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_atp::{Atp, AtpConfig};
    /// # use onhand_master::{seed, Catalog, Decimal};
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).ok_or("date")?;
    /// let atp = Atp::new(catalog.clone(), AtpConfig::default(), day)?;
    /// let resin = catalog.item_ix(&"RESIN-EP".parse()?).ok_or("item")?;
    /// let atl = catalog.site_ix(&"ATL".parse()?).ok_or("site")?;
    /// // Resin counts in grams: 2^60 of them is about 1.15 * 10^15 KG.
    /// let kg = |s: &str| s.parse::<Decimal>();
    /// atp.check_growth_base(resin, atl, kg("1000000000000000")?, Decimal::ZERO)?;
    /// let err = atp.check_growth_base(resin, atl, kg("1000000000000000")?, kg("500000000000000")?);
    /// assert_eq!(err.unwrap_err().code(), "too_large");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`AtpError::TooLarge`], and the errors converting either quantity to steps.
    pub fn check_growth_base(
        &self,
        item: ItemIx,
        site: SiteIx,
        stock: Decimal,
        supply: Decimal,
    ) -> Result<(), AtpError> {
        let more = self.units(item.raw(), stock)?.max(0);
        let supply = self.units(item.raw(), supply)?;
        let ix = self.store.index(item.index(), site.index());
        // The stock last set: what is free now and what booked lines hold of it.
        let now = self.store.cell(ix).map_or(0, |c| c.now);
        let stock = now.saturating_add(self.held_now(item.raw(), site.raw()));
        self.check_room(item, ix, stock.saturating_add(more), supply, "stock")
    }

    /// An item-site's dated changes after today, in day order: for each day on which
    /// its balance changes, by how much (base units): the supply dated then, less what
    /// booked lines take of it then (their availability date). Today's stock and what
    /// lines take of it are [`free_now`](Self::free_now) and [`held`](Self::held). A
    /// host that feeds the engine its supply can check the engine holds exactly that
    /// (the `onhand` facade's `Network::check` does).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_atp::{Atp, AtpConfig, Claim, LineId, OrderLine};
    /// # use onhand_master::{seed, Catalog, Decimal, ItemCode, SiteCode};
    /// # use chrono::NaiveDate;
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let day = |d| NaiveDate::from_ymd_opt(2026, 1, d).ok_or("date");
    /// # let mut atp = Atp::new(catalog.clone(), AtpConfig::default(), day(5)?)?;
    /// # let (glove, atl): (ItemCode, SiteCode) = ("GLOVE-NIT".parse()?, "ATL".parse()?);
    /// # let (g, a) = (catalog.item_ix(&glove).ok_or("item")?, catalog.site_ix(&atl).ok_or("site")?);
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// atp.add_supply(&glove, &atl, day(9)?, "40 EA".parse()?)?;
    /// atp.add_supply(&glove, &atl, day(12)?, "10 EA".parse()?)?;
    /// // A line for 25, available only from the 9th, takes 25 of the 9th's 40.
    /// let line = OrderLine::new(LineId(1), glove.clone(), "25 EA".parse()?, day(9)?, "US-SE".parse()?);
    /// atp.allocate(&line, Claim::Hard)?;
    /// assert_eq!(atp.timeline(g, a), vec![(day(9)?, n("15")?), (day(12)?, n("10")?)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn timeline(&self, item: ItemIx, site: SiteIx) -> Vec<(NaiveDate, Decimal)> {
        let ix = self.store.index(item.index(), site.index());
        let mut out = Vec::new();
        self.store.changes(ix, |day, units| {
            if units != 0 {
                out.push((Day(day).date(), self.decimal(item.raw(), units)));
            }
        });
        out
    }

    /// Free stock now at an item-site: available on hand minus what booked lines hold
    /// of it, before protection and without look-ahead (later demand and supply are on
    /// the item-site's timeline). With [`held`](Self::held) it adds up to the available
    /// stock last set.
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// atp.allocate(&line(1, "15 EA")?, Claim::Hard)?;
    /// assert_eq!(atp.free_now(g, a), n("25")?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn free_now(&self, item: ItemIx, site: SiteIx) -> Decimal {
        let ix = self.store.index(item.index(), site.index());
        self.decimal(item.raw(), self.store.cell(ix).map_or(0, |c| c.now))
    }

    /// How far what is booked at an item-site exceeds what will be there: the deepest
    /// the free balance goes below zero from today on, before the checking horizon
    /// (zero when every booked line is covered). Supply removed or stock lost under
    /// booked lines shows here until re-processing moves them.
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// atp.allocate(&line(1, "30 EA")?, Claim::Hard)?;
    /// assert_eq!(atp.overcommitted(g, a), Decimal::ZERO);
    /// // Stock counted lower than what is promised from it.
    /// atp.set_available(&glove, &atl, "20 EA".parse()?)?;
    /// assert_eq!(atp.overcommitted(g, a), n("10")?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn overcommitted(&self, item: ItemIx, site: SiteIx) -> Decimal {
        let ix = self.store.index(item.index(), site.index());
        let a = self.store.avail(ix, self.today, self.today);
        if a >= 0 { Decimal::ZERO } else { self.decimal(item.raw(), a.saturating_neg()) }
    }

    /// What booked lines hold of an item-site's stock available today (schedule lines
    /// available today or earlier, hard and soft).
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// atp.allocate(&line(1, "15 EA")?, Claim::Hard)?;
    /// assert_eq!(atp.held(g, a), n("15")?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn held(&self, item: ItemIx, site: SiteIx) -> Decimal {
        self.decimal(item.raw(), self.held_now(item.raw(), site.raw()))
    }

    /// What booked lines hold at an item-site, whatever day their schedule lines are
    /// available on (stock now and dated supply): the allocated figure of an inventory
    /// position. Read from the book's index, not by walking the lines.
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// atp.add_supply(&glove, &atl, day(6)?, "100 EA".parse()?)?;
    /// let expires = day(6)?.and_hms_opt(0, 0, 0).ok_or("time")?.and_utc();
    /// atp.allocate(&line(1, "30 EA")?, Claim::Hard)?;
    /// atp.allocate(&line(2, "50 EA")?, Claim::Soft { expires })?; // from the supply due on the 6th
    /// assert_eq!(atp.held(g, a), n("30")?); // of the stock now
    /// assert_eq!(atp.booked_at(g, a), n("80")?); // whatever the day
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn booked_at(&self, item: ItemIx, site: SiteIx) -> Decimal {
        self.decimal(item.raw(), self.book.held_until(item.raw(), site.raw(), i32::MAX))
    }

    /// What booked lines hold of every item-site's stock available today, gathered in
    /// one pass over the booked lines: [`HeldNow::get`] then answers what
    /// [`held`](Self::held) would for any item-site, without scanning the book again.
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// atp.allocate(&line(1, "15 EA")?, Claim::Hard)?;
    /// let held = atp.held_now_all();
    /// assert_eq!(held.get(g, a), atp.held(g, a));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn held_now_all(&self) -> HeldNow<'_> {
        HeldNow { atp: self, units: self.book.held_all_until(self.today) }
    }

    /// What booked lines hold of an item-site's stock available today (lines available
    /// today or earlier; later ones are on its timeline), from the book's index.
    fn held_now(&self, item: u32, site: u16) -> i64 {
        self.book.held_until(item, site, self.today)
    }

    /// Adds supply arriving at an item-site on a date (a purchase receipt, say).
    ///
    /// # Errors
    /// As [`set_available`](Self::set_available) ([`AtpError::TooLarge`] when the
    /// item-site's stock and dated supply would exceed [`MAX_UNITS`](crate::MAX_UNITS)),
    /// and [`AtpError::DateOutOfRange`].
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// atp.add_supply(&glove, &atl, day(12)?, "100 EA".parse()?)?;
    /// // Available now is unchanged; by the 12th the receipt counts.
    /// assert_eq!(atp.atp(&glove, &atl, day(6)?, 0)?, Availability::Limited(n("40")?));
    /// assert_eq!(atp.atp(&glove, &atl, day(12)?, 0)?, Availability::Limited(n("140")?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_supply(
        &mut self,
        item: &ItemCode,
        site: &SiteCode,
        date: NaiveDate,
        qty: Qty,
    ) -> Result<(), AtpError> {
        let iix = self.item_ix(item)?;
        let six = self.site_ix(site)?;
        let units = self.base_units(iix, item, qty)?;
        let day = Day::of(date)?.0;
        let ix = self.store.index(iix.index(), six.index());
        let now = self.store.cell(ix).map_or(0, |c| c.now);
        self.check_room(iix, ix, now, units, "supply")?;
        self.put_supply(iix, ix, day, units);
        Ok(())
    }

    /// Puts `units` (negative: takes them) of supply on `day` at store cell `ix` of
    /// item `iix`, checked by the caller.
    fn put_supply(&mut self, iix: ItemIx, ix: usize, day: i32, units: i64) {
        self.store.apply(ix, self.today, day, units);
        if units < 0 {
            self.store.prune(ix, day);
        }
        if day > self.today {
            self.store.count_supply(ix, units);
        }
        if let Some(q) = self.quotas.get_mut(&iix.raw()) {
            // Supply dated today or earlier is free now, which counts in today's period.
            q.add_supply(day.max(self.today), units);
        }
    }

    /// Replaces supply added for a date by other supply (a purchase order line's due
    /// date or quantity changed; open supply moved on to the next day): as
    /// [`remove_supply`](Self::remove_supply) then [`add_supply`](Self::add_supply), but
    /// all or nothing. The room check counts only what the replacement adds: moving
    /// supply, or making it smaller, is never refused for room (stock freed by released
    /// lines can take an item-site's stock and supply past the bound after the supply
    /// was added).
    ///
    /// # Errors
    /// As [`add_supply`](Self::add_supply), with nothing changed.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_atp::{Atp, AtpConfig, Availability};
    /// # use onhand_master::{seed, Catalog, Decimal, ItemCode, SiteCode};
    /// # use chrono::NaiveDate;
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let day = |d| NaiveDate::from_ymd_opt(2026, 1, d).ok_or("date");
    /// # let mut atp = Atp::new(catalog.clone(), AtpConfig::default(), day(5)?)?;
    /// # let (glove, atl): (ItemCode, SiteCode) = ("GLOVE-NIT".parse()?, "ATL".parse()?);
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// atp.add_supply(&glove, &atl, day(12)?, "100 EA".parse()?)?;
    /// // The purchase order comes forward to the 9th, for 80.
    /// atp.replace_supply(&glove, &atl, (day(12)?, "100 EA".parse()?), (day(9)?, "80 EA".parse()?))?;
    /// assert_eq!(atp.atp(&glove, &atl, day(9)?, 0)?, Availability::Limited(n("80")?));
    /// assert_eq!(atp.atp(&glove, &atl, day(12)?, 0)?, Availability::Limited(n("80")?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn replace_supply(
        &mut self,
        item: &ItemCode,
        site: &SiteCode,
        old: (NaiveDate, Qty),
        new: (NaiveDate, Qty),
    ) -> Result<(), AtpError> {
        let iix = self.item_ix(item)?;
        let six = self.site_ix(site)?;
        let (was, will) = (self.base_units(iix, item, old.1)?, self.base_units(iix, item, new.1)?);
        let (from, to) = (Day::of(old.0)?.0, Day::of(new.0)?.0);
        let ix = self.store.index(iix.index(), six.index());
        if will > was {
            let now = self.store.cell(ix).map_or(0, |c| c.now);
            self.check_room(iix, ix, now, will - was.max(0), "supply")?;
        }
        self.put_supply(iix, ix, from, -was);
        self.put_supply(iix, ix, to, will);
        Ok(())
    }

    /// Removes supply added for a date (a transfer received or closed, a purchase order
    /// received, changed or cancelled). Supply dated today or earlier is stock free now,
    /// and is removed from that.
    ///
    /// Lines confirmed against the removed supply stay booked: until backorder
    /// re-processing moves them, their item-site shows less free than booked at that date
    /// (availability at or after it goes negative, and nothing more is promised there).
    ///
    /// # Errors
    /// As [`add_supply`](Self::add_supply).
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// atp.add_supply(&glove, &atl, day(12)?, "100 EA".parse()?)?;
    /// atp.remove_supply(&glove, &atl, day(12)?, "60 EA".parse()?)?;
    /// assert_eq!(atp.atp(&glove, &atl, day(12)?, 0)?, Availability::Limited(n("80")?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn remove_supply(
        &mut self,
        item: &ItemCode,
        site: &SiteCode,
        date: NaiveDate,
        qty: Qty,
    ) -> Result<(), AtpError> {
        let iix = self.item_ix(item)?;
        let six = self.site_ix(site)?;
        let units = self.base_units(iix, item, qty)?;
        let day = Day::of(date)?.0;
        let ix = self.store.index(iix.index(), six.index());
        self.put_supply(iix, ix, day, -units);
        Ok(())
    }

    /// Protects `qty` at an item-site for demand of priority `up_to` or more urgent.
    ///
    /// Protection is nested: what lines of priority `up_to` or more urgent hold at the
    /// item-site uses the protected quantity up first, and less urgent lines together may
    /// hold at most the supply less the protected quantity (with look-ahead, day by day).
    /// So a less urgent line is not squeezed further by urgent lines that already took
    /// what was kept for them, and what it may have does not depend on the order lines
    /// came in: re-processing gives a less urgent line back what it had.
    ///
    /// Where booked lines already hold stock at the item-site, the book is read once to
    /// count what urgent lines hold there: protect item-sites before booking, or all at
    /// once ([`protect_safety_stock`](Self::protect_safety_stock)), on a large book.
    ///
    /// # Errors
    /// As [`set_available`](Self::set_available).
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// // 30 kept for priority 1 (the most urgent) and above.
    /// atp.protect(&glove, &atl, "30 EA".parse()?, 1)?;
    /// assert_eq!(atp.atp(&glove, &atl, day(6)?, 5)?, Availability::Limited(n("10")?));
    /// assert_eq!(atp.atp(&glove, &atl, day(6)?, 1)?, Availability::Limited(n("40")?));
    /// // An urgent order takes 20 of the 30 kept for it: 10 stay kept, 10 may go to anyone.
    /// let mut urgent = line(1, "20 EA")?;
    /// urgent.priority = 1;
    /// atp.allocate(&urgent, Claim::Hard)?;
    /// assert_eq!(atp.atp(&glove, &atl, day(6)?, 5)?, Availability::Limited(n("10")?));
    /// // A routine order takes those 10: what is left is all kept.
    /// atp.allocate(&line(2, "10 EA")?, Claim::Hard)?;
    /// assert_eq!(atp.atp(&glove, &atl, day(6)?, 5)?, Availability::Limited(n("0")?));
    /// assert_eq!(atp.atp(&glove, &atl, day(6)?, 1)?, Availability::Limited(n("10")?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn protect(
        &mut self,
        item: &ItemCode,
        site: &SiteCode,
        qty: Qty,
        up_to: u8,
    ) -> Result<(), AtpError> {
        let (ix, units) = self.protection_cell(item, site, qty)?;
        self.set_protection(&[(ix, units)], up_to);
        Ok(())
    }

    /// An item-site's cell and a protected quantity in its base units.
    fn protection_cell(
        &self,
        item: &ItemCode,
        site: &SiteCode,
        qty: Qty,
    ) -> Result<(usize, i64), AtpError> {
        let iix = self.item_ix(item)?;
        let six = self.site_ix(site)?;
        let units = self.base_units(iix, item, qty)?;
        Ok((self.store.index(iix.index(), six.index()), units))
    }

    /// Sets the protection of the given cells and counts again what urgent lines hold
    /// there.
    fn set_protection(&mut self, cells: &[(usize, i64)], up_to: u8) {
        let mut ixs = Vec::with_capacity(cells.len());
        for (ix, units) in cells {
            if let Some(c) = self.store.cells.get_mut(*ix) {
                c.protected = *units;
                c.protect_up_to = up_to;
                ixs.push(*ix);
            }
        }
        ixs.sort_unstable();
        ixs.dedup();
        self.count_urgent(Some(&ixs));
    }

    /// Counts again, from the book, what lines urgent enough to use protected stock hold
    /// at the given cells (sorted; `None`: at every protected item-site).
    pub(crate) fn count_urgent(&mut self, cells: Option<&[usize]>) {
        match cells {
            Some(cells) => {
                for ix in cells {
                    self.store.urgent.remove(ix);
                }
            }
            None => self.store.urgent.clear(),
        }
        // Only a cell where some line holds something needs the book read (protection
        // is usually set before anything is booked, or where nothing is).
        if let Some(cells) = cells {
            let sites = self.store.sites.max(1);
            let held_anywhere = cells.iter().any(|ix| {
                let (item, site) = (ix / sites, ix % sites);
                match (u32::try_from(item), u16::try_from(site)) {
                    (Ok(item), Ok(site)) => self.book.holds_at(item, site),
                    _ => false,
                }
            });
            if !held_anywhere {
                return;
            }
        }
        let wanted = |ix: usize| cells.is_none_or(|c| c.binary_search(&ix).is_ok());
        let mut held: Vec<(usize, i32, i64, u8)> = Vec::new();
        for (_, b) in self.book.positions() {
            for l in &b.promise.lines {
                let ix = self.store.index(l.item as usize, usize::from(l.site));
                if wanted(ix) {
                    held.push((ix, l.avail_day, l.units, b.demand.priority));
                }
            }
        }
        for (ix, day, units, priority) in held {
            self.store.hold(ix, day, units, priority);
        }
    }

    /// Protects every item-site's fixed safety stock (from its policy) for demand of
    /// priority `up_to` or more urgent. Safety stock set in days of supply or
    /// statistically needs demand history and is left to the replenishment crate.
    ///
    /// # Errors
    /// [`AtpError::Quantity`] for a safety stock in a unit the item is not counted in.
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
    /// atp.protect_safety_stock(1)?;
    /// // Less urgent demand never sees more than the most urgent.
    /// let urgent = atp.atp(&glove, &atl, day(6)?, 1)?;
    /// let routine = atp.atp(&glove, &atl, day(6)?, 5)?;
    /// assert!(routine <= urgent);
    /// assert_eq!(urgent, Availability::Limited(n("40")?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn protect_safety_stock(&mut self, up_to: u8) -> Result<(), AtpError> {
        // Every quantity is checked before any is set: an error leaves the engine as it was.
        let catalog = self.catalog.clone();
        let mut cells = Vec::new();
        for p in &catalog.data().policies {
            if let (SafetyStock::Fixed(q), true) = (&p.safety_stock, p.stocked) {
                cells.push(self.protection_cell(&p.item, &p.site, *q)?);
            }
        }
        self.set_protection(&cells, up_to);
        Ok(())
    }

    /// Sets the allocation quotas, computing percentage and ratio capacities from the
    /// network supply loaded now (lines already booked count as used, not as less
    /// supply): stock on hand counts in the period holding today, receipts in the period
    /// of their date. Supply set or added later changes those capacities in its period
    /// (stock on hand: the period holding today then).
    ///
    /// # Errors
    /// [`AtpError::UnknownItem`], [`AtpError::Quantity`]; [`AtpError::QuotaPeriods`] for
    /// periods out of order or no periods, [`AtpError::QuotaShare`] for a percentage
    /// outside 0..=1.
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
    /// use onhand_atp::{Consumption, QuotaRule};
    /// // A rule needs at least one period.
    /// let rule = QuotaRule { item: glove.clone(), periods: vec![], consumption: Consumption::Discrete,
    ///                        entries: vec![], collective: None };
    /// assert_eq!(atp.set_quotas(&[rule]).map_err(|e| e.code()), Err("quota_periods"));
    /// // No rules: nothing is capped.
    /// atp.set_quotas(&[])?;
    /// assert_eq!(atp.allocate(&line(1, "40 EA")?, Claim::Hard)?.confirmed, n("40")?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_quotas(&mut self, rules: &[QuotaRule]) -> Result<(), AtpError> {
        let mut quotas = map();
        for rule in rules {
            let iix = self.item_ix(&rule.item)?;
            let starts: SmallVec<[i32; 4]> =
                rule.periods.iter().map(|d| Day::of(*d).map(|x| x.0)).collect::<Result<_, _>>()?;
            if starts.is_empty() || starts.windows(2).any(|w| w.first() >= w.get(1)) {
                return Err(AtpError::QuotaPeriods { item: rule.item.clone() });
            }
            // Network supply per period: free now counts in the period holding today,
            // each dated change in the period of its day. Not clamped yet: with bookings
            // added back below, this is on hand plus receipts, never negative (bookings
            // beyond the horizon can make the net negative, and clamping first would
            // count them as supply).
            let today = self.today;
            let period_of = |day: i32| starts.partition_point(|x| *x <= day).saturating_sub(1);
            let mut supply: SmallVec<[i64; 4]> = SmallVec::from_elem(0, starts.len());
            let mut add = |day: i32, units: i64| {
                if let Some(s) = supply.get_mut(period_of(day.max(today))) {
                    *s = s.saturating_add(units);
                }
            };
            for s in 0..self.store.sites {
                let ix = self.store.index(iix.index(), s);
                add(today, self.store.cell(ix).map_or(0, |c| c.now));
                self.store.changes(ix, &mut add);
            }
            // Supply before bookings: what booked lines took is added back to the period
            // of their availability date (they count as use below); a line available
            // today or earlier took from what is free now.
            for b in self.book.values() {
                for l in b.promise.lines.iter().filter(|l| l.item == iix.raw()) {
                    add(l.avail_day, l.units);
                }
            }
            let mut amounts = Vec::with_capacity(rule.entries.len() + 1);
            for amount in rule.entries.iter().map(|e| &e.amount).chain(rule.collective.as_ref()) {
                amounts.push(match amount {
                    QuotaAmount::Absolute(q) => {
                        Amount::Units(self.base_units(iix, &rule.item, *q)?)
                    }
                    QuotaAmount::Percent(p) => {
                        if *p < Decimal::ZERO || *p > Decimal::ONE {
                            return Err(AtpError::QuotaShare {
                                item: rule.item.clone(),
                                share: *p,
                            });
                        }
                        Amount::Share(*p)
                    }
                    QuotaAmount::Ratio(w) => Amount::Weight(*w),
                });
            }
            let periods = starts.len();
            let mut q = ItemQuotas {
                starts,
                consumption: rule.consumption,
                patterns: rule.entries.iter().map(|e| e.class.clone()).collect(),
                buckets: amounts
                    .iter()
                    .map(|_| Bucket {
                        cap: SmallVec::from_elem(0, periods),
                        used: SmallVec::from_elem(0, periods),
                    })
                    .collect(),
                has_collective: rule.collective.is_some(),
                amounts,
                supply,
            };
            for p in 0..periods {
                q.recompute(p);
            }
            quotas.insert(iix.raw(), q);
        }
        self.quotas = quotas;
        // What picks kept is forgotten with the old use (see `Booked::kept`).
        self.book.forget_kept();
        // Booked lines already confirmed count against the new quotas.
        let booked: Vec<(u16, SmallVec<[RawLine; 2]>)> =
            self.book.values().map(|b| (b.demand.class, b.promise.lines.clone())).collect();
        for (class, lines) in booked {
            for l in lines {
                self.use_quota(l.item, class, l.avail_day, l.units);
            }
        }
        Ok(())
    }

    fn class(&self, ix: u16) -> &DemandClass {
        self.classes.get(usize::from(ix)).unwrap_or(&ANY_CLASS)
    }

    fn intern_class(&mut self, class: &DemandClass) -> Result<u16, AtpError> {
        if let Some(ix) = self.class_ix.get(class) {
            return Ok(*ix);
        }
        let ix = u16::try_from(self.classes.len())
            .map_err(|_| AtpError::TooMany { what: Capacity::DemandClasses })?;
        self.classes.push(class.clone());
        self.class_ix.insert(class.clone(), ix);
        Ok(ix)
    }

    fn use_quota(&mut self, item: u32, class: u16, day: i32, units: i64) {
        if self.quotas.is_empty() {
            return;
        }
        let class = self.classes.get(usize::from(class)).unwrap_or(&ANY_CLASS);
        if let Some(q) = self.quotas.get_mut(&item)
            && let Some(b) = q.bucket_for(class)
        {
            q.use_units(b, day, units);
        }
    }

    /// Moves the engine's today forward: supply and promises dated on or before it
    /// become today's, and every invariant a promise relies on holds on the new day
    /// without a re-processing run.
    ///
    /// With a checking horizon, the fence moves too: lines confirmed beyond the old
    /// fence (against supply assumed to be ordered in time) that now fall inside the new
    /// one are re-checked against real supply. Each keeps its schedule where stock (with
    /// look-ahead), protection and quota allow it; the others, in serve order, are
    /// promised again as a new line would be, up to what they had (later, at the new
    /// fence at the latest, or less under a quota). The result lists them, so no item-site
    /// shows as over-allocated because the horizon moved. Stock on hand counts, for
    /// quotas, in the period holding the new day (see [`set_quotas`](Self::set_quotas)).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use onhand_atp::{Atp, AtpConfig, Claim, Horizon, LineId, OrderLine};
    /// use onhand_master::{seed, Catalog};
    /// use chrono::NaiveDate;
    ///
    /// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// let day = |d| NaiveDate::from_ymd_opt(2026, 1, d).ok_or("date");
    /// let config = AtpConfig { horizon: Horizon::Days(5) };
    /// let mut atp = Atp::new(catalog, config, day(5)?)?;
    /// // Nothing in stock, but the 20th is beyond the 5-day horizon: supply is assumed.
    /// let line = OrderLine::new(LineId(1), "NUT-M8".parse()?, "10 EA".parse()?, day(20)?, "US-MW".parse()?);
    /// assert!(atp.allocate(&line, Claim::Hard)?.on_time);
    /// // Ten days on, the 18th is inside the horizon and nothing real covers it: the line
    /// // moves to the new fence, the 20th (delivered on the 22nd).
    /// let moved = atp.advance_to(day(15)?)?;
    /// assert_eq!(moved.rechecked.len(), 1);
    /// assert_eq!(moved.rechecked[0].after_delivery, Some(day(22)?));
    /// let p = atp.booked(LineId(1)).ok_or("booked")?;
    /// let (item, site) = (p.schedule()[0].item, p.schedule()[0].site);
    /// assert!(atp.overcommitted(item, site).is_zero());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`AtpError::DateOutOfRange`]; [`AtpError::DayBackwards`] for a date before today.
    pub fn advance_to(&mut self, today: NaiveDate) -> Result<Advanced, AtpError> {
        let day = Day::of(today)?.0;
        if day < self.today {
            return Err(AtpError::DayBackwards { today: Day(self.today).date(), to: today });
        }
        let old = self.today;
        self.store.advance(day);
        self.today = day;
        let rechecked = if day > old && self.config.horizon != Horizon::None {
            self.recheck_passed(old)
        } else {
            Vec::new()
        };
        Ok(Advanced { today, rechecked })
    }

    // ---- queries ----------------------------------------------------------------

    /// Available to promise at an item-site on a day for a demand of `priority`, in
    /// integer units (the hot-path query: no allocation, and no hashing but at a protected
    /// item-site for less urgent demand; public as
    /// [`perf::atp_units`](crate::perf::atp_units)).
    #[must_use]
    #[inline]
    pub(crate) fn atp_units(&self, item: ItemIx, site: SiteIx, day: Day, priority: u8) -> i64 {
        let ix = self.store.index(item.index(), site.index());
        self.store.avail_for(ix, self.today, day.0, priority)
    }

    /// Available to promise at an item-site on a date for a demand of `priority`, in base
    /// units (cumulative with look-ahead; [`Availability::Unlimited`] beyond the checking
    /// horizon). Stock only: allocation quotas, which depend on the demand class,
    /// are applied by [`network_atp_for`](Self::network_atp_for) and by promising.
    ///
    /// # Errors
    /// [`AtpError::UnknownItem`], [`AtpError::UnknownSite`], [`AtpError::DateOutOfRange`].
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// assert_eq!(atp.atp(&glove, &atl, day(6)?, 0)?, Availability::Limited(n("40")?));
    /// atp.allocate(&line(1, "15 EA")?, Claim::Hard)?;
    /// assert_eq!(atp.atp(&glove, &atl, day(6)?, 0)?, Availability::Limited(n("25")?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn atp(
        &self,
        item: &ItemCode,
        site: &SiteCode,
        date: NaiveDate,
        priority: u8,
    ) -> Result<Availability<Decimal>, AtpError> {
        let iix = self.item_ix(item)?;
        let six = self.site_ix(site)?;
        let units = self.atp_units(iix, six, Day::of(date)?, priority);
        Ok(self.availability(iix.raw(), units))
    }

    /// `units` of item `i` as an [`Availability`] in base units.
    fn availability(&self, i: u32, units: i64) -> Availability<Decimal> {
        if units >= UNLIMITED {
            Availability::Unlimited
        } else {
            Availability::Limited(self.decimal(i, units))
        }
    }

    /// For an item and a ship-to region: what each candidate site can promise for
    /// delivery on the requested date, and when (material availability and delivery
    /// dates), in rank order, for a demand of `priority` and no demand class (as
    /// [`OrderLine::new`] makes it). See [`network_atp_for`](Self::network_atp_for).
    ///
    /// # Errors
    /// [`AtpError::UnknownItem`], [`AtpError::UnknownRegion`], [`AtpError::DateOutOfRange`].
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// atp.set_available(&glove, &"DFW".parse()?, "25 EA".parse()?)?;
    /// let offers = atp.network_atp(&glove, &"US-SE".parse()?, day(8)?, 0)?;
    /// let atlanta = offers.iter().find(|o| o.site == a).ok_or("no offer from ATL")?;
    /// assert_eq!(atlanta.qty, Availability::Limited(n("40")?));
    /// assert!(atlanta.on_time);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn network_atp(
        &self,
        item: &ItemCode,
        region: &RegionCode,
        requested: NaiveDate,
        priority: u8,
    ) -> Result<Vec<SiteOffer>, AtpError> {
        self.network_atp_for(item, region, requested, priority, &ANY_CLASS)
    }

    /// As [`network_atp`](Self::network_atp), for a demand of `class`: each site's figure
    /// follows the rules a promise follows (stock with look-ahead, less what is
    /// protected from `priority`, capped by what the class's allocation quota still
    /// allows in the period of the site's material availability date). A quota spans the
    /// item's sites, so each figure is what that site could confirm alone; they do not
    /// add up. A line for a site's on-time figure, from one source, is confirmed in full
    /// on time.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use onhand_atp::{Atp, AtpConfig, QuotaAmount, QuotaRule};
    /// use onhand_master::{seed, Catalog};
    /// use chrono::NaiveDate;
    ///
    /// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// let day = |d| NaiveDate::from_ymd_opt(2026, 1, d).ok_or("date");
    /// let mut atp = Atp::new(catalog, AtpConfig::default(), day(5)?)?;
    /// atp.set_available(&"GLOVE-NIT".parse()?, &"ATL".parse()?, "40 EA".parse()?)?;
    /// atp.set_quotas(&[QuotaRule {
    ///     item: "GLOVE-NIT".parse()?,
    ///     periods: vec![day(5)?],
    ///     consumption: Default::default(),
    ///     entries: vec![],
    ///     collective: Some(QuotaAmount::Absolute("10 EA".parse()?)),
    /// }])?;
    /// let offers = atp.network_atp(&"GLOVE-NIT".parse()?, &"US-SE".parse()?, day(8)?, 5)?;
    /// assert_eq!(offers[0].qty.to_string(), "10", "40 in stock, 10 left in the quota");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`network_atp`](Self::network_atp).
    pub fn network_atp_for(
        &self,
        item: &ItemCode,
        region: &RegionCode,
        requested: NaiveDate,
        priority: u8,
        class: &DemandClass,
    ) -> Result<Vec<SiteOffer>, AtpError> {
        let iix = self.item_ix(item)?;
        let rix = self
            .catalog
            .region_ix(region)
            .ok_or_else(|| AtpError::UnknownRegion { region: region.clone() })?;
        let day = Day::of(requested)?.0;
        let mut out = Vec::new();
        for src in self.sources.get(rix.index()).map(|r| r.ranked.as_slice()).unwrap_or_default() {
            let mad = day.saturating_sub(src.lead).max(self.today);
            let (units, _) = self.offer_for(iix.raw(), src.site, mad, priority, class);
            out.push(SiteOffer {
                site: SiteIx::new(src.site),
                qty: self.availability(iix.raw(), units),
                available_on: Day(mad).date(),
                delivery: Day(mad.saturating_add(src.lead)).date(),
                on_time: mad.saturating_add(src.lead) <= day,
            });
        }
        Ok(out)
    }

    // ---- promising ----------------------------------------------------------------

    pub(crate) fn demand(&mut self, line: &OrderLine) -> Result<Demand, AtpError> {
        let iix = self.item_ix(&line.item)?;
        self.demand_of(iix, line)
    }

    /// [`demand`](Self::demand) for a line whose item is already resolved to `iix` (a
    /// handle outside the catalog is refused as an unknown item).
    fn demand_of(&mut self, iix: ItemIx, line: &OrderLine) -> Result<Demand, AtpError> {
        let rix = self
            .catalog
            .region_ix(&line.ship_to)
            .ok_or_else(|| AtpError::UnknownRegion { region: line.ship_to.clone() })?;
        let units = self.base_units(iix, &line.item, line.qty)?;
        if units <= 0 {
            return Err(AtpError::ZeroQuantity { line: line.id });
        }
        if units > crate::MAX_UNITS {
            return Err(AtpError::TooLarge {
                item: line.item.clone(),
                what: "order line",
                limit: self.decimal(iix.raw(), crate::MAX_UNITS),
            });
        }
        let min_split = match line.min_split {
            Some(q) => self.base_units(iix, &line.item, q)?.max(1),
            None => 1,
        };
        Ok(Demand {
            id: line.id,
            item: iix.raw(),
            region: rix.raw(),
            class: self.intern_class(&line.class)?,
            priority: line.priority,
            split: line.allow_split,
            subs: line.allow_substitutes,
            rule: line.rule,
            strategy: line.strategy,
            units,
            min_split,
            requested: Day::of(line.requested)?.0,
            seq: line.seq,
        })
    }

    /// The substitution group of `item` (see [`Atp::allocate_stream`]).
    pub(crate) fn group_of(&self, item: u32) -> u32 {
        self.groups.get(item as usize).copied().unwrap_or(item)
    }

    fn sources_of(all: &[RegionSources], region: u16, rule: SourcingRule) -> &[Source] {
        let r = all.get(usize::from(region));
        match (r, rule) {
            (Some(r), SourcingRule::Ranked) => &r.ranked,
            (Some(r), SourcingRule::LeastCost) => &r.cheapest,
            (Some(r), SourcingRule::ShortestTransit) => &r.fastest,
            (None, _) => &[],
        }
    }

    /// What `item` can give at `site` on `day` for the demand: stock (with look-ahead,
    /// less protection) capped by the class's quota. Also says which bound was binding.
    pub(crate) fn offer(&self, item: u32, site: u16, day: i32, d: &Demand) -> (i64, Limit) {
        self.offer_for(item, site, day, d.priority, self.class(d.class))
    }

    /// [`offer`](Self::offer) for a priority and a demand class.
    fn offer_for(
        &self,
        item: u32,
        site: u16,
        day: i32,
        priority: u8,
        class: &DemandClass,
    ) -> (i64, Limit) {
        let ix = self.store.index(item as usize, usize::from(site));
        let raw = self.store.avail(ix, self.today, day);
        let stock = if raw >= UNLIMITED {
            raw
        } else if let Some(prot) =
            self.store.cell(ix).map(|c| c.protection_for(priority)).filter(|p| *p > 0)
        {
            self.store.protected_avail(ix, self.today, day, raw, prot)
        } else {
            raw.max(0)
        };
        let quota = if self.quotas.is_empty() {
            i64::MAX
        } else {
            self.quotas
                .get(&item)
                .and_then(|q| q.bucket_for(class).map(|b| q.remaining(b, day)))
                .unwrap_or(i64::MAX)
                .max(0)
        };
        let limit = if quota < stock {
            Limit::Quota
        } else if stock < raw {
            Limit::Protection
        } else {
            Limit::Stock
        };
        (stock.min(quota), limit)
    }

    /// Takes one schedule line as it stands (a kept confirmation).
    pub(crate) fn take_line(&mut self, d: &Demand, l: RawLine, p: &mut RawPromise) {
        let src = Source { site: l.site, lead: l.delivery.saturating_sub(l.avail_day), rank: 0 };
        self.take(d, l.item, src, l.avail_day, l.units, l.covers, p);
    }

    /// The earliest day from `from` on when `want` of `item` is available at `site`.
    fn earliest(&self, item: u32, site: u16, from: i32, want: i64, d: &Demand) -> Option<i32> {
        let ix = self.store.index(item as usize, usize::from(site));
        // Without a quota on the item, stock alone decides: one pass over the change
        // points.
        if self.quotas.is_empty() || !self.quotas.contains_key(&item) {
            return self.store.earliest_for(ix, self.today, from, want, d.priority);
        }
        let mut days: SmallVec<[i32; 8]> = SmallVec::new();
        days.push(from);
        self.store.later_days(ix, self.today, from, |x| {
            days.push(x);
            false
        });
        if !self.quotas.is_empty()
            && let Some(q) = self.quotas.get(&item)
        {
            days.extend(q.later_starts(from));
        }
        if let Some(held) = self.store.urgent.get(&ix) {
            days.extend(held.iter().map(|(x, _)| *x).filter(|x| *x > from));
        }
        days.sort_unstable();
        days.dedup();
        days.into_iter().find(|&x| self.offer(item, site, x, d).0 >= want)
    }

    #[allow(clippy::too_many_arguments)] // one schedule line's facts
    fn take(
        &mut self,
        d: &Demand,
        item: u32,
        src: Source,
        day: i32,
        units: i64,
        covers: i64,
        p: &mut RawPromise,
    ) {
        let ix = self.store.index(item as usize, usize::from(src.site));
        if self.store.avail(ix, self.today, day) >= UNLIMITED {
            p.limits.add(Limit::Horizon);
        }
        self.store.apply(ix, self.today, day, -units);
        self.store.hold(ix, day, units, d.priority);
        self.use_quota(item, d.class, day, units);
        p.confirmed = p.confirmed.saturating_add(covers);
        p.lines.push(RawLine {
            item,
            site: src.site,
            units,
            covers,
            avail_day: day,
            delivery: day.saturating_add(src.lead),
        });
    }

    /// Promises `d` against current supply, taking what it confirms. Nothing is booked.
    pub(crate) fn fill(&mut self, d: &Demand) -> RawPromise {
        // The sourcing tables are lent out for the call (nothing in it reads them through
        // `self`), so they need no copy.
        let all = std::mem::take(&mut self.sources);
        let p = self.fill_from(Self::sources_of(&all, d.region, d.rule), d);
        self.sources = all;
        p
    }

    fn fill_from(&mut self, sources: &[Source], d: &Demand) -> RawPromise {
        let mut p = RawPromise::default();
        // A line that asks for nothing (picked in full) is promised nothing: no offer is
        // needed to meet it, and no schedule line of nothing is taken.
        if d.units <= 0 {
            return p;
        }
        if sources.is_empty() {
            p.limits.add(Limit::NoSource);
            return p;
        }
        let mut items: SmallVec<[Sub; 3]> = SmallVec::new();
        items.push(Sub { item: d.item, per: 1 });
        if d.subs {
            items.extend(self.subs.get(d.item as usize).into_iter().flatten().copied());
        }
        let mut remaining = d.units;
        let mut saw_partial = false;
        // 1. On time, one source. What each source offers is kept for the split pass:
        // nothing is taken before it, so the figures still hold there.
        let mut offers: SmallVec<[i64; 24]> = SmallVec::new();
        'one: for it in &items {
            for src in sources {
                let mad = d.requested.saturating_sub(src.lead);
                if mad < self.today {
                    p.limits.add(Limit::LeadTime);
                    offers.push(-1);
                    continue;
                }
                let need = remaining.saturating_mul(it.per);
                let (a, limit) = self.offer(it.item, src.site, mad, d);
                if a >= need {
                    self.take(d, it.item, *src, mad, need, remaining, &mut p);
                    remaining = 0;
                    break 'one;
                }
                offers.push(a);
                p.limits.add(limit);
                saw_partial |= a >= it.per;
            }
        }
        // 2. On time, split (each item and site is visited once, so an offer from pass 1
        // is still what that cell has; but a quota spans the item's sites, so with quotas
        // what earlier pieces used is taken into account again).
        if remaining > 0 && d.split {
            let mut k = 0usize;
            'split: for it in &items {
                for src in sources {
                    let mut a = offers.get(k).copied().unwrap_or(-1);
                    k += 1;
                    if a <= 0 {
                        continue;
                    }
                    let mad = d.requested.saturating_sub(src.lead);
                    if !self.quotas.is_empty() {
                        a = self.offer(it.item, src.site, mad, d).0;
                    }
                    let cover = remaining.min(a / it.per);
                    if cover > 0 && (cover >= d.min_split || cover == remaining) {
                        self.take(d, it.item, *src, mad, cover * it.per, cover, &mut p);
                        remaining -= cover;
                        if remaining == 0 || p.lines.len() >= MAX_SCHEDULE_LINES {
                            break 'split;
                        }
                    }
                }
            }
        } else if remaining > 0 && saw_partial {
            p.limits.add(Limit::Split);
        }
        // 3. Late, the ordered item only.
        while remaining > 0 && p.lines.len() < MAX_SCHEDULE_LINES {
            let want = if d.split { d.min_split.min(remaining) } else { remaining };
            let mut best: Option<(i32, usize, i32)> = None;
            for (k, src) in sources.iter().enumerate() {
                let mad = d.requested.saturating_sub(src.lead).max(self.today);
                if let Some(day) = self.earliest(d.item, src.site, mad, want, d) {
                    let delivery = day.saturating_add(src.lead);
                    if best.is_none_or(|(bd, bk, _)| (delivery, k) < (bd, bk)) {
                        best = Some((delivery, k, day));
                    }
                }
            }
            let Some((_, k, day)) = best else { break };
            let Some(src) = sources.get(k).copied() else { break };
            let (a, _) = self.offer(d.item, src.site, day, d);
            let cover = if d.split { remaining.min(a) } else { remaining };
            if cover <= 0 {
                break;
            }
            self.take(d, d.item, src, day, cover, cover, &mut p);
            remaining -= cover;
        }
        let on_time = remaining == 0 && p.lines.iter().all(|l| l.delivery <= d.requested);
        if on_time && !p.limits.has(Limit::Horizon) {
            p.limits = Limits::default();
        } else if remaining == 0 && on_time {
            let mut only = Limits::default();
            only.add(Limit::Horizon);
            p.limits = only;
        }
        p
    }

    /// Gives back what a promise took.
    pub(crate) fn give_back(&mut self, d: &Demand, p: &RawPromise) {
        for l in &p.lines {
            let ix = self.store.index(l.item as usize, usize::from(l.site));
            self.store.apply(ix, self.today, l.avail_day, l.units);
            self.store.prune(ix, l.avail_day);
            self.store.hold(ix, l.avail_day, -l.units, d.priority);
            self.use_quota(l.item, d.class, l.avail_day, -l.units);
        }
    }

    pub(crate) fn to_promise(&self, d: &Demand, p: &RawPromise) -> Promise {
        let requested = self.decimal(d.item, d.units);
        let confirmed = self.decimal(d.item, p.confirmed);
        let schedule = p
            .lines
            .iter()
            .map(|l| ScheduleLine {
                item: ItemIx::new(l.item),
                site: SiteIx::new(l.site),
                qty: self.decimal(l.item, l.units),
                available_on: Day(l.avail_day).date(),
                delivery: Day(l.delivery).date(),
            })
            .collect();
        Promise {
            line: d.id,
            requested,
            confirmed,
            unconfirmed: self.decimal(d.item, d.units.saturating_sub(p.confirmed)),
            schedule,
            on_time: p.confirmed == d.units && p.lines.iter().all(|l| l.delivery <= d.requested),
            limits: p.limits,
        }
    }

    /// Checks `line` against the catalog and interns it (see [`Prepared`]).
    ///
    /// # Errors
    /// [`AtpError::UnknownItem`], [`AtpError::UnknownRegion`], [`AtpError::Quantity`],
    /// [`AtpError::ZeroQuantity`], [`AtpError::DateOutOfRange`].
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// let prepared = atp.prepare(&line(1, "15 EA")?)?;
    /// let p = atp.allocate_prepared(&prepared, Claim::Hard)?;
    /// assert_eq!(p.confirmed, n("15")?);
    /// assert!(atp.prepare(&OrderLine::new(LineId(2), "NOPE".parse()?, "1 EA".parse()?, day(8)?, "US-SE".parse()?)).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn prepare(&mut self, line: &OrderLine) -> Result<Prepared, AtpError> {
        self.demand(line).map(Prepared)
    }

    /// What the engine would confirm for a prepared line, without taking anything.
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// let prepared = atp.prepare(&line(1, "15 EA")?)?;
    /// let p = atp.promise_prepared(&prepared);
    /// assert_eq!(p.confirmed, n("15")?);
    /// // A promise books nothing.
    /// assert_eq!(atp.free_now(g, a), n("40")?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn promise_prepared(&mut self, line: &Prepared) -> Promise {
        let p = self.fill(&line.0);
        self.give_back(&line.0, &p);
        self.to_promise(&line.0, &p)
    }

    /// Confirms a prepared line and books it.
    ///
    /// # Errors
    /// [`AtpError::DuplicateLine`].
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// let prepared = atp.prepare(&line(1, "15 EA")?)?;
    /// atp.allocate_prepared(&prepared, Claim::Hard)?;
    /// assert_eq!(atp.booked_lines(), [LineId(1)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allocate_prepared(
        &mut self,
        line: &Prepared,
        claim: Claim,
    ) -> Result<Promise, AtpError> {
        if self.book.contains_key(line.0.id) {
            return Err(AtpError::DuplicateLine { line: line.0.id });
        }
        let d = line.0.clone();
        let p = self.fill(&d);
        let promise = self.to_promise(&d, &p);
        if let Claim::Soft { expires } = claim {
            self.soft.insert((expires, d.id));
        }
        self.book.insert(d.id, Booked { demand: d, promise: p, claim, kept: Vec::new() });
        Ok(promise)
    }

    /// Sets what is available now at an item-site, in integer units of the item's base
    /// unit step (for bulk loading by handle; see [`set_available`](Self::set_available)).
    ///
    /// # Errors
    /// [`AtpError::TooLarge`] when `units` and the item-site's dated supply together
    /// exceed [`MAX_UNITS`](crate::MAX_UNITS); nothing changes then.
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// atp.set_units(g, a, 12)?;
    /// assert_eq!(atp.free_now(g, a), n("12")?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_units(&mut self, item: ItemIx, site: SiteIx, units: i64) -> Result<(), AtpError> {
        let ix = self.store.index(item.index(), site.index());
        self.check_room(item, ix, units, 0, "stock")?;
        let held = self.held_now(item.raw(), site.raw());
        if let Some(c) = self.store.cells.get_mut(ix) {
            // Quota capacities follow the stock (before bookings): stock on hand counts
            // in the period holding today.
            let before = c.now.saturating_add(held);
            c.now = units.saturating_sub(held);
            if let Some(q) = self.quotas.get_mut(&item.raw()) {
                q.add_supply(self.today, units.saturating_sub(before));
            }
        }
        Ok(())
    }

    /// Refuses stock `now` plus `extra` supply at an item-site (with what its timeline
    /// already holds) beyond [`MAX_UNITS`](crate::MAX_UNITS).
    fn check_room(
        &self,
        item: ItemIx,
        ix: usize,
        now: i64,
        extra: i64,
        what: &'static str,
    ) -> Result<(), AtpError> {
        let total = i128::from(now.max(0)) + i128::from(self.store.supply(ix)) + i128::from(extra);
        if total <= i128::from(crate::MAX_UNITS) {
            return Ok(());
        }
        Err(AtpError::TooLarge {
            item: self
                .catalog
                .item(item)
                .map(|i| i.code.clone())
                .ok_or(AtpError::Overflow { operation: "an item outside the catalog" })?,
            what,
            limit: self.decimal(item.raw(), crate::MAX_UNITS),
        })
    }

    /// What the engine would confirm for `line`, without taking anything.
    ///
    /// # Errors
    /// [`AtpError::UnknownItem`], [`AtpError::UnknownRegion`], [`AtpError::Quantity`],
    /// [`AtpError::ZeroQuantity`], [`AtpError::DateOutOfRange`].
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// let p = atp.promise(&line(1, "30 EA")?)?;
    /// assert_eq!((p.confirmed, p.on_time), (n("30")?, true));
    /// // A promise books nothing: the stock is still free.
    /// assert!(atp.booked(LineId(1)).is_none());
    /// assert_eq!(atp.free_now(g, a), n("40")?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn promise(&mut self, line: &OrderLine) -> Result<Promise, AtpError> {
        let d = self.demand(line)?;
        let p = self.fill(&d);
        self.give_back(&d, &p);
        Ok(self.to_promise(&d, &p))
    }

    /// [`promise`](Self::promise) for a line whose item the caller has already resolved
    /// to its handle in the engine's catalog (`catalog().item_ix(&line.item)`), so the
    /// engine does not look the code up again: the same answer, for a host that needs
    /// the handle itself. `item` is trusted to be `line.item`'s handle; errors still
    /// name `line.item`.
    ///
    /// # Errors
    /// As [`promise`](Self::promise); [`AtpError::UnknownItem`] for a handle outside the
    /// catalog.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_atp::{Atp, AtpConfig, Availability, Claim, LineId, OrderLine};
    /// # use onhand_master::{seed, Catalog, Decimal, ItemCode, ItemIx, SiteCode};
    /// # use chrono::NaiveDate;
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let day = |d| NaiveDate::from_ymd_opt(2026, 1, d).ok_or("date");
    /// # let mut atp = Atp::new(catalog.clone(), AtpConfig::default(), day(5)?)?;
    /// # let (glove, atl): (ItemCode, SiteCode) = ("GLOVE-NIT".parse()?, "ATL".parse()?);
    /// # let (g, a) = (catalog.item_ix(&glove).ok_or("item")?, catalog.site_ix(&atl).ok_or("site")?);
    /// # atp.set_available(&glove, &atl, "40 EA".parse()?)?;
    /// # let line = |id, qty: &str| -> Result<OrderLine, Box<dyn std::error::Error>> {
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// let l = line(1, "30 EA")?;
    /// let p = atp.promise_resolved(g, &l)?;
    /// assert_eq!(p, atp.promise(&l)?);
    /// assert_eq!((p.confirmed, p.on_time), (n("30")?, true));
    /// // A handle outside the catalog is an unknown item.
    /// assert!(atp.promise_resolved(ItemIx::new(u32::MAX), &l).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn promise_resolved(
        &mut self,
        item: ItemIx,
        line: &OrderLine,
    ) -> Result<Promise, AtpError> {
        let d = self.demand_of(item, line)?;
        let p = self.fill(&d);
        self.give_back(&d, &p);
        Ok(self.to_promise(&d, &p))
    }

    /// Confirms `line` and books it, holding the confirmation as `claim`.
    ///
    /// # Errors
    /// As [`promise`](Self::promise), plus [`AtpError::DuplicateLine`].
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// let p = atp.allocate(&line(1, "30 EA")?, Claim::Hard)?;
    /// assert_eq!((p.confirmed, p.on_time), (n("30")?, true));
    /// assert_eq!(atp.claim(LineId(1)), Some(Claim::Hard));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allocate(&mut self, line: &OrderLine, claim: Claim) -> Result<Promise, AtpError> {
        if self.book.contains_key(line.id) {
            return Err(AtpError::DuplicateLine { line: line.id });
        }
        let prepared = self.prepare(line)?;
        self.allocate_prepared(&prepared, claim)
    }

    /// Allocates many lines, in the deterministic serve order (priority, requested date,
    /// creation order, id), whatever order they come in. Lines that fail validation come
    /// back as errors in their place; the rest are booked.
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// let lines = [line(1, "30 EA")?, line(2, "5 EA")?, line(1, "5 EA")?];
    /// let results = atp.allocate_batch(&lines, Claim::Hard);
    /// let confirmed: Vec<Option<Decimal>> = results.iter().map(|r| r.as_ref().ok().map(|p| p.confirmed)).collect();
    /// // One result per line, in order; the repeated line id is refused.
    /// assert_eq!(confirmed, [Some(n("30")?), Some(n("5")?), None]);
    /// assert_eq!(atp.held(g, a), n("35")?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allocate_batch(
        &mut self,
        lines: &[OrderLine],
        claim: Claim,
    ) -> Vec<Result<Promise, AtpError>> {
        let mut order: Vec<(ServeKey, usize)> = Vec::with_capacity(lines.len());
        let mut out: Vec<Result<Promise, AtpError>> = Vec::with_capacity(lines.len());
        for (i, line) in lines.iter().enumerate() {
            let key = match Day::of(line.requested) {
                Ok(day) => (line.priority, day.0, line.seq, line.id.0),
                Err(_) => (u8::MAX, i32::MAX, u64::MAX, line.id.0),
            };
            order.push((key, i));
            out.push(Err(AtpError::UnknownLine { line: line.id }));
        }
        order.sort_unstable();
        for (_, i) in order {
            if let (Some(line), Some(slot)) = (lines.get(i), out.get_mut(i)) {
                *slot = self.allocate(line, claim);
            }
        }
        out
    }

    /// Allocates many lines as [`allocate_batch`](Self::allocate_batch) does, sharing
    /// short supply by `sharing`: with [`Sharing::FairShare`], the batch's lines that
    /// compete for the same item and region at the same priority and requested date
    /// share what they can get together in proportion to what they ask
    /// ([`fair_share`](crate::fair_share)); a line that may not be split gets all it asks
    /// or nothing, in serve order. Lines booked before the batch keep what they hold.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use onhand_atp::{Atp, AtpConfig, Claim, LineId, OrderLine, Sharing};
    /// use onhand_master::{seed, Catalog};
    /// use chrono::NaiveDate;
    ///
    /// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// let day = |d| NaiveDate::from_ymd_opt(2026, 1, d).ok_or("date");
    /// let mut atp = Atp::new(catalog, AtpConfig::default(), day(5)?)?;
    /// atp.set_available(&"NUT-M8".parse()?, &"ORD".parse()?, "100 EA".parse()?)?;
    /// let line = |id, qty: &str| -> Result<OrderLine, Box<dyn std::error::Error>> {
    ///     let mut l = OrderLine::new(LineId(id), "NUT-M8".parse()?, qty.parse()?, day(9)?, "US-MW".parse()?);
    ///     l.allow_split = true;
    ///     Ok(l)
    /// };
    /// // 100 nuts for lines asking 120 and 80 (200 in all) that may be split: half each,
    /// // 60 and 40. First come, the first would take 100 and the second nothing.
    /// let lines = [line(1, "120 EA")?, line(2, "80 EA")?];
    /// let promises = atp.allocate_batch_with(&lines, Claim::Hard, Sharing::FairShare);
    /// let confirmed: Vec<String> =
    ///     promises.into_iter().map(|p| p.map(|p| p.confirmed.to_string())).collect::<Result<_, _>>()?;
    /// assert_eq!(confirmed, ["60", "40"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allocate_batch_with(
        &mut self,
        lines: &[OrderLine],
        claim: Claim,
        sharing: Sharing,
    ) -> Vec<Result<Promise, AtpError>> {
        let mut out = self.allocate_batch(lines, claim);
        if sharing == Sharing::FirstCome {
            return out;
        }
        // Release the batch's booked lines and share again among them, in serve order.
        let ids: std::collections::BTreeSet<LineId> =
            lines.iter().zip(&out).filter(|(_, r)| r.is_ok()).map(|(l, _)| l.id).collect();
        let mut slots: Vec<(u32, ServeKey, u32)> = self
            .book
            .positions()
            .filter(|(_, b)| ids.contains(&b.demand.id))
            .map(|(ix, b)| (self.group_of(b.demand.item), b.demand.key(), ix))
            .collect();
        slots.sort_unstable();
        for (_, _, ix) in &slots {
            let Some((d, p)) = self.book.take_promise(*ix) else { continue };
            self.give_back(&d, &p);
        }
        let order: Vec<u32> = slots.iter().map(|(_, _, ix)| *ix).collect();
        self.share_fairly(&order);
        for (line, r) in lines.iter().zip(out.iter_mut()) {
            if r.is_ok()
                && let Some(p) = self.booked(line.id)
            {
                *r = Ok(p);
            }
        }
        out
    }

    /// Allocates prepared lines in serve order (priority, requested date, creation order,
    /// id; ties by input position), handing each promise to `f` as it is made: the
    /// streaming form of [`allocate_batch`](Self::allocate_batch), with no result
    /// vector. Where two lines share an id, the first in serve order is booked and the
    /// other gets [`AtpError::DuplicateLine`], as does a line already booked.
    ///
    /// Lines are served group by group, where a group is an item together with every item
    /// linked to it by substitution; within a group, in serve order. Groups share no
    /// state, so every promise is exactly the one serving the whole batch in serve order
    /// would give; only the order in which `f` sees them differs (each group's lines
    /// together, groups by item). Serving an item's lines back to back keeps its
    /// availability in cache, which is what makes a large batch fast.
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// let prepared = [atp.prepare(&line(1, "10 EA")?)?, atp.prepare(&line(2, "10 EA")?)?];
    /// let mut confirmed = Decimal::ZERO;
    /// atp.allocate_stream(&prepared, Claim::Hard, |r| {
    ///     if let Ok(p) = r { confirmed += p.confirmed }
    /// });
    /// assert_eq!(confirmed, n("20")?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allocate_stream(
        &mut self,
        lines: &[Prepared],
        claim: Claim,
        mut f: impl FnMut(Result<Promise, AtpError>),
    ) {
        // Serve order, packed for a fast sort: group, priority and requested day in the
        // high bits, input position in the low 32; runs that tie on the packed part are
        // then put in full order (creation order, id, position).
        let Ok(n) = u32::try_from(lines.len()) else {
            for _ in lines {
                f(Err(AtpError::TooMany { what: Capacity::BatchLines }));
            }
            return;
        };
        let pack = |at: u32, l: &Prepared| -> u128 {
            let group = self.group_of(l.0.item);
            let day = l.0.requested.cast_unsigned() ^ 0x8000_0000;
            (u128::from(group) << 72)
                | (u128::from(l.0.priority) << 64)
                | (u128::from(day) << 32)
                | u128::from(at)
        };
        let mut order: Vec<u128> = (0..n).zip(lines).map(|(at, l)| pack(at, l)).collect();
        order.sort_unstable();
        let at_of = |x: u128| (x & 0xffff_ffff) as usize;
        let full_key = |x: u128| lines.get(at_of(x)).map(|l| (l.0.key(), at_of(x)));
        let mut run = 0;
        while run < order.len() {
            let head = order.get(run).map_or(0, |x| x >> 32);
            let len =
                order.get(run..).map_or(0, |r| r.iter().take_while(|&&x| x >> 32 == head).count());
            if len > 1
                && let Some(r) = order.get_mut(run..run + len)
            {
                r.sort_unstable_by_key(|&x| full_key(x));
            }
            run += len.max(1);
        }
        // Book every line (unconfirmed yet) before serving any, in serve order, so the
        // slab holds them in the order they are served; then index them, settling
        // duplicates in serve order (the earlier (key, position) keeps the id; a line
        // booked before this batch always does). Each loop does one thing, so the
        // processor has many look-ups in flight at once.
        let Some(first) =
            u32::try_from(self.book.slot_count()).ok().filter(|f| f.checked_add(n).is_some())
        else {
            for _ in lines {
                f(Err(AtpError::TooMany { what: Capacity::BookedLines }));
            }
            return;
        };
        self.book.reserve(lines.len());
        for &x in &order {
            if let Some(line) = lines.get(at_of(x)) {
                let promise = RawPromise::default();
                self.book.append(Booked {
                    demand: line.0.clone(),
                    promise,
                    claim,
                    kept: Vec::new(),
                });
            }
        }
        self.book.index_appended(first, |held, new| {
            let key =
                |slot: u32| order.get(slot.checked_sub(first)? as usize).and_then(|&x| full_key(x));
            key(new) < key(held)
        });
        for (slot, &x) in (first..).zip(&order) {
            let Some(d) = self.book.at(slot).map(|b| b.demand.clone()) else {
                if let Some(line) = lines.get(at_of(x)) {
                    f(Err(AtpError::DuplicateLine { line: line.0.id }));
                }
                continue;
            };
            let p = self.fill(&d);
            let promise = self.to_promise(&d, &p);
            if let Claim::Soft { expires } = claim {
                self.soft.insert((expires, d.id));
            }
            if let Some(mut b) = self.book.at_mut(slot) {
                b.promise = p;
            }
            f(Ok(promise));
        }
    }

    // ---- reservations -----------------------------------------------------------

    /// The current promise of a booked line.
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// atp.allocate(&line(1, "15 EA")?, Claim::Hard)?;
    /// assert_eq!(atp.booked(LineId(1)).map(|p| p.confirmed), Some(n("15")?));
    /// assert!(atp.booked(LineId(2)).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn booked(&self, line: LineId) -> Option<Promise> {
        self.book.get(line).map(|b| self.to_promise(&b.demand, &b.promise))
    }

    /// What a booked line still asks for, in the ordered item's base units: its
    /// requested quantity less what [`consume`](Self::consume) took off it. Cheaper than
    /// [`booked`](Self::booked) when only this is wanted.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_atp::{Atp, AtpConfig, Claim, LineId, OrderLine};
    /// # use onhand_master::{seed, Catalog, Decimal, ItemCode, SiteCode};
    /// # use chrono::NaiveDate;
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let day = |d| NaiveDate::from_ymd_opt(2026, 1, d).ok_or("date");
    /// # let mut atp = Atp::new(catalog.clone(), AtpConfig::default(), day(5)?)?;
    /// # let (glove, atl): (ItemCode, SiteCode) = ("GLOVE-NIT".parse()?, "ATL".parse()?);
    /// # atp.set_available(&glove, &atl, "40 EA".parse()?)?;
    /// let line = OrderLine::new(LineId(1), glove.clone(), "15 EA".parse()?, day(7)?, "US-SE".parse()?);
    /// atp.allocate(&line, Claim::Hard)?;
    /// // 20 picked for it: 15 from its allocation, 5 more from free stock.
    /// atp.consume(LineId(1), &glove, &atl, "20 EA".parse()?)?;
    /// assert_eq!(atp.requested(LineId(1)), Some(Decimal::ZERO));
    /// assert_eq!(atp.requested(LineId(2)), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn requested(&self, line: LineId) -> Option<Decimal> {
        self.book.get(line).map(|b| self.decimal(b.demand.item, b.demand.units))
    }

    /// How a booked line holds its confirmation.
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// let expires = day(6)?.and_hms_opt(0, 0, 0).ok_or("time")?.and_utc();
    /// atp.allocate(&line(1, "15 EA")?, Claim::Soft { expires })?;
    /// assert_eq!(atp.claim(LineId(1)), Some(Claim::Soft { expires }));
    /// assert_eq!(atp.claim(LineId(2)), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn claim(&self, line: LineId) -> Option<Claim> {
        self.book.get(line).map(|b| b.claim)
    }

    /// Every booked line, in serve order.
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// atp.allocate(&line(2, "5 EA")?, Claim::Hard)?;
    /// atp.allocate(&line(1, "5 EA")?, Claim::Hard)?;
    /// assert_eq!(atp.booked_lines(), [LineId(1), LineId(2)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn booked_lines(&self) -> Vec<LineId> {
        let mut keys: Vec<(ServeKey, LineId)> =
            self.book.values().map(|b| (b.demand.key(), b.demand.id)).collect();
        keys.sort_unstable();
        keys.into_iter().map(|(_, id)| id).collect()
    }

    /// Releases a booked line: everything it holds becomes available again.
    ///
    /// # Errors
    /// [`AtpError::UnknownLine`].
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// atp.allocate(&line(1, "15 EA")?, Claim::Hard)?;
    /// atp.release(LineId(1))?;
    /// assert_eq!(atp.free_now(g, a), n("40")?);
    /// assert!(atp.release(LineId(1)).is_err(), "nothing left to release");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn release(&mut self, line: LineId) -> Result<(), AtpError> {
        let b = self.book.remove(line).ok_or(AtpError::UnknownLine { line })?;
        self.give_back(&b.demand, &b.promise);
        if let Claim::Soft { expires } = b.claim {
            self.soft.remove(&(expires, line));
        }
        Ok(())
    }

    /// Turns a soft reservation into a hard allocation.
    ///
    /// # Errors
    /// [`AtpError::UnknownLine`], or [`AtpError::InvalidClaim`] when it is already hard.
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// let expires = day(6)?.and_hms_opt(0, 0, 0).ok_or("time")?.and_utc();
    /// atp.allocate(&line(1, "15 EA")?, Claim::Soft { expires })?;
    /// atp.make_hard(LineId(1))?;
    /// assert_eq!(atp.claim(LineId(1)), Some(Claim::Hard));
    /// // A hard allocation outlives the sweep.
    /// assert!(atp.sweep(expires).is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn make_hard(&mut self, line: LineId) -> Result<(), AtpError> {
        let mut b = self.book.get_mut(line).ok_or(AtpError::UnknownLine { line })?;
        match b.claim {
            Claim::Hard => Err(AtpError::InvalidClaim { line, what: "already a hard allocation" }),
            Claim::Soft { expires } => {
                b.claim = Claim::Hard;
                self.soft.remove(&(expires, line));
                Ok(())
            }
        }
    }

    /// Reduces a booked line's confirmed quantity by `qty` (in the ordered item's base
    /// units), giving back the latest schedule lines first.
    ///
    /// # Errors
    /// [`AtpError::UnknownLine`], [`AtpError::Quantity`], [`AtpError::InvalidClaim`] when
    /// `qty` exceeds what is confirmed.
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// atp.allocate(&line(1, "15 EA")?, Claim::Hard)?;
    /// atp.reduce(LineId(1), n("5")?)?;
    /// assert_eq!(atp.held(g, a), n("10")?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reduce(&mut self, line: LineId, qty: Decimal) -> Result<(), AtpError> {
        let b = self.book.get(line).ok_or(AtpError::UnknownLine { line })?;
        let cut = self.units(b.demand.item, qty)?;
        if cut > b.promise.confirmed || cut < 0 {
            return Err(AtpError::InvalidClaim {
                line,
                what: "cannot reduce by more than is confirmed",
            });
        }
        let mut b = self.book.remove(line).ok_or(AtpError::UnknownLine { line })?;
        self.cut_latest(&mut b, cut);
        self.book.insert(line, b);
        Ok(())
    }

    /// Gives back `cut` units of a booked line's confirmation (in the ordered item's
    /// units), the latest schedule lines first; their quota use goes back too.
    fn cut_latest(&mut self, b: &mut Booked, mut cut: i64) {
        let mut order: Vec<usize> = (0..b.promise.lines.len()).collect();
        order.sort_by_key(|&i| {
            std::cmp::Reverse(b.promise.lines.get(i).map(|l| (l.delivery, l.avail_day)))
        });
        for i in order {
            if cut <= 0 {
                break;
            }
            let Some(l) = b.promise.lines.get_mut(i) else { continue };
            let per = if l.covers == 0 { 1 } else { (l.units / l.covers).max(1) };
            let c = cut.min(l.covers);
            let back = c * per;
            let ix = self.store.index(l.item as usize, usize::from(l.site));
            self.store.apply(ix, self.today, l.avail_day, back);
            self.store.prune(ix, l.avail_day);
            self.store.hold(ix, l.avail_day, -back, b.demand.priority);
            self.use_quota(l.item, b.demand.class, l.avail_day, -back);
            l.units -= back;
            l.covers -= c;
            b.promise.confirmed -= c;
            cut -= c;
        }
        b.promise.lines.retain(|l| l.units > 0);
    }

    /// How many units of `item` stand for one unit of the ordered `ordered` item: one
    /// for the item itself, the ratio for one of its substitutes, `None` for another.
    fn units_per_cover(&self, ordered: u32, item: u32) -> Option<i64> {
        if ordered == item {
            return Some(1);
        }
        self.subs
            .get(ordered as usize)
            .and_then(|s| s.iter().find(|s| s.item == item))
            .map(|s| s.per)
            .filter(|p| *p > 0)
    }

    /// Uses up a booked line's confirmation as its stock leaves: `qty` of `item` (the
    /// ordered item or the substitute confirmed) picked or shipped for it at `site`.
    /// The line's schedule lines at that site give up what left, earliest first, and the
    /// line's requested quantity shrinks by what they covered, so re-processing never
    /// promises again what was fulfilled. What left beyond them (from free stock) lowers
    /// the requested quantity too, and confirmations elsewhere that the line then no
    /// longer needs are given back, latest first. Its quota use stays, as the demand was
    /// served, and so what it used stays in the period's supply for quota shares: the
    /// stock leaving does not shrink another group's share.
    ///
    /// Stock leaving also lowers available stock: set that with
    /// [`set_available`](Self::set_available) afterwards, and free stock is what it was
    /// before for the part the line had confirmed. Returns how much of `qty` (base units
    /// of `item`) the line had confirmed there; the rest left from free stock.
    ///
    /// # Errors
    /// [`AtpError::UnknownLine`], [`AtpError::UnknownItem`], [`AtpError::UnknownSite`],
    /// [`AtpError::Quantity`].
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// atp.allocate(&line(1, "15 EA")?, Claim::Hard)?;
    /// // 10 of the line's boxes are picked at Atlanta.
    /// let covered = atp.consume(LineId(1), &glove, &atl, "10 EA".parse()?)?;
    /// assert_eq!(covered, n("10")?);
    /// assert_eq!(atp.held(g, a), n("5")?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn consume(
        &mut self,
        line: LineId,
        item: &ItemCode,
        site: &SiteCode,
        qty: Qty,
    ) -> Result<Decimal, AtpError> {
        let iix = self.item_ix(item)?;
        let six = self.site_ix(site)?;
        let mut left = self.base_units(iix, item, qty)?;
        let mut b = self.book.remove(line).ok_or(AtpError::UnknownLine { line })?;
        let mut order: Vec<usize> = (0..b.promise.lines.len())
            .filter(|&i| {
                b.promise.lines.get(i).is_some_and(|l| l.item == iix.raw() && l.site == six.raw())
            })
            .collect();
        order.sort_by_key(|&i| b.promise.lines.get(i).map(|l| (l.avail_day, l.delivery)));
        let mut used = 0i64;
        for i in order {
            if left == 0 {
                break;
            }
            let Some(l) = b.promise.lines.get_mut(i) else { continue };
            let per = if l.covers == 0 { 1 } else { (l.units / l.covers).max(1) };
            // Whole covered units only: a substitute leaves in multiples of its ratio.
            let c = (left / per).min(l.covers);
            let back = c * per;
            if back == 0 {
                continue;
            }
            let ix = self.store.index(l.item as usize, usize::from(l.site));
            self.store.apply(ix, self.today, l.avail_day, back);
            self.store.prune(ix, l.avail_day);
            self.store.hold(ix, l.avail_day, -back, b.demand.priority);
            l.units -= back;
            l.covers -= c;
            let (item, day) = (l.item, l.avail_day);
            b.promise.confirmed -= c;
            b.demand.units -= c;
            left -= back;
            used += back;
            match b.kept.iter_mut().find(|k| k.0 == item && k.1 == day) {
                Some(k) => k.2 += back,
                None => b.kept.push((item, day, back)),
            }
        }
        b.promise.lines.retain(|l| l.units > 0);
        // Its quota use stays, so what it used stays in the period's supply, which
        // `set_available` lowers when the stock leaves: the shipment counts once.
        if used > 0
            && let Some(q) = self.quotas.get_mut(&iix.raw())
        {
            q.add_supply(self.today, used);
        }
        // What left beyond the confirmation there (from free stock) served the line all
        // the same: its requested quantity shrinks by what that covers, and a
        // confirmation elsewhere that it no longer needs is given back.
        if left > 0
            && let Some(per) = self.units_per_cover(b.demand.item, iix.raw())
        {
            b.demand.units -= (left / per).min(b.demand.units).max(0);
            let excess = b.promise.confirmed - b.demand.units;
            if excess > 0 {
                self.cut_latest(&mut b, excess);
            }
        }
        self.book.insert(line, b);
        Ok(self.decimal(iix.raw(), used))
    }

    /// Undoes [`consume`](Self::consume) for stock that came back (a reversed pick or
    /// shipment): `used` of `item` that the line had confirmed at `site` (what `consume`
    /// returned) is held for it there again from today, and the line asks for `served`
    /// more (in the ordered item's base units: what `consume` took off its
    /// [`requested`](Self::requested) quantity), at least what `used` covers. The quota
    /// use `consume` kept goes (as much as `used`, from the line's picks of `item`, the
    /// latest confirmation day first), and what is held again counts in today's quota
    /// period.
    ///
    /// Stock coming back also raises available stock: set that with
    /// [`set_available`](Self::set_available) afterwards, and free stock is what it was
    /// before for the part held again. When the line already has
    /// [`MAX_SCHEDULE_LINES`] schedule lines and none at `site` today, nothing is held
    /// and the line asks for all of it again (re-processing confirms it).
    ///
    /// # Errors
    /// [`AtpError::UnknownLine`], [`AtpError::UnknownItem`], [`AtpError::UnknownSite`],
    /// [`AtpError::Quantity`], [`AtpError::NotRepresentable`]; [`AtpError::InvalidClaim`] when a
    /// quantity is negative,
    /// when `item` is neither the line's item nor one of its substitutes, or when the
    /// line would ask for more than [`MAX_UNITS`](crate::MAX_UNITS). Nothing changes
    /// then.
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// atp.allocate(&line(1, "15 EA")?, Claim::Hard)?;
    /// // 10 are picked, then the pick is reversed: the boxes are back, and held again.
    /// atp.consume(LineId(1), &glove, &atl, "10 EA".parse()?)?;
    /// atp.set_available(&glove, &atl, "30 EA".parse()?)?;
    /// atp.restore_consumed(LineId(1), &glove, &atl, "10 EA".parse()?, n("10")?)?;
    /// atp.set_available(&glove, &atl, "40 EA".parse()?)?;
    /// assert_eq!(atp.held(g, a), n("15")?);
    /// assert_eq!(atp.free_now(g, a), n("25")?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn restore_consumed(
        &mut self,
        line: LineId,
        item: &ItemCode,
        site: &SiteCode,
        used: Qty,
        served: Decimal,
    ) -> Result<(), AtpError> {
        let iix = self.item_ix(item)?;
        let six = self.site_ix(site)?;
        let used = self.base_units(iix, item, used)?;
        let b = self.book.get(line).ok_or(AtpError::UnknownLine { line })?;
        let served = self.units(b.demand.item, served)?;
        if used < 0 || served < 0 {
            return Err(AtpError::InvalidClaim {
                line,
                what: "cannot restore a negative quantity",
            });
        }
        let per = self.units_per_cover(b.demand.item, iix.raw()).ok_or(AtpError::InvalidClaim {
            line,
            what: "the item is neither the line's nor one of its substitutes",
        })?;
        let covers = used / per;
        let units = covers * per;
        let asked = b.demand.units.saturating_add(served.max(covers));
        if asked > crate::MAX_UNITS {
            return Err(AtpError::InvalidClaim { line, what: "the line would ask for too much" });
        }
        let lead = Self::sources_of(&self.sources, b.demand.region, b.demand.rule)
            .iter()
            .find(|s| s.site == six.raw())
            .map_or(0, |s| s.lead);
        let today = self.today;
        let delivery = today.saturating_add(lead);
        let mut b = self.book.remove(line).ok_or(AtpError::UnknownLine { line })?;
        b.demand.units = asked;
        // The quota use the pick kept goes with the stock that came back: what the line's
        // picks of this item kept, from the latest confirmation day back, as much as it
        // used (with several picks, which pick's days is not told apart).
        let mut back = used;
        b.kept.sort_unstable_by_key(|k| (k.0, k.1));
        for k in b.kept.iter_mut().rev().filter(|k| k.0 == iix.raw()) {
            let take = back.min(k.2);
            if take > 0 {
                k.2 -= take;
                back -= take;
                self.use_quota(k.0, b.demand.class, k.1, -take);
            }
        }
        b.kept.retain(|k| k.2 > 0);
        if units > 0 {
            let same = |l: &RawLine| {
                l.item == iix.raw()
                    && l.site == six.raw()
                    && l.avail_day == today
                    && l.delivery == delivery
            };
            let fits =
                b.promise.lines.iter().any(same) || b.promise.lines.len() < MAX_SCHEDULE_LINES;
            if fits {
                let ix = self.store.index(iix.raw() as usize, usize::from(six.raw()));
                self.store.apply(ix, today, today, -units);
                self.store.hold(ix, today, units, b.demand.priority);
                // Held again from today: it counts in today's quota period.
                self.use_quota(iix.raw(), b.demand.class, today, units);
                match b.promise.lines.iter_mut().find(|l| same(l)) {
                    Some(l) => {
                        l.units += units;
                        l.covers += covers;
                    }
                    None => b.promise.lines.push(RawLine {
                        item: iix.raw(),
                        site: six.raw(),
                        units,
                        covers,
                        avail_day: today,
                        delivery,
                    }),
                }
                b.promise.confirmed += covers;
            }
        }
        // `consume` kept what it used in the period's supply; the stock coming back
        // adds it again (held again or not).
        if used > 0
            && let Some(q) = self.quotas.get_mut(&iix.raw())
        {
            q.add_supply(today, -used);
        }
        self.book.insert(line, b);
        Ok(())
    }

    /// Releases every soft reservation that has expired by `now`; returns them, oldest
    /// expiry first.
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
    /// #     Ok(OrderLine::new(LineId(id), "GLOVE-NIT".parse()?, qty.parse()?, day(7)?, "US-SE".parse()?))
    /// # };
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// let expires = day(6)?.and_hms_opt(0, 0, 0).ok_or("time")?.and_utc();
    /// atp.allocate(&line(1, "15 EA")?, Claim::Soft { expires })?;
    /// assert!(atp.sweep(expires - chrono::Duration::hours(1)).is_empty());
    /// assert_eq!(atp.sweep(expires), [LineId(1)]);
    /// assert_eq!(atp.free_now(g, a), n("40")?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sweep(&mut self, now: DateTime<Utc>) -> Vec<LineId> {
        let expired: Vec<(DateTime<Utc>, LineId)> =
            self.soft.iter().take_while(|(e, _)| *e <= now).copied().collect();
        let mut out = Vec::with_capacity(expired.len());
        for (_, line) in expired {
            if self.release(line).is_ok() {
                out.push(line);
            }
        }
        out
    }
}

/// What moving today did ([`Atp::advance_to`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[must_use]
pub struct Advanced {
    /// The new today.
    pub today: NaiveDate,
    /// The lines confirmed against assumed supply that the checking horizon passed and
    /// real supply did not cover as they were: promised again, in serve order, with
    /// their confirmation and last delivery before and after.
    pub rechecked: Vec<Change>,
}

/// What one site can offer for a line's requested date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteOffer {
    /// The site.
    pub site: SiteIx,
    /// What it can promise (base units; unlimited beyond its horizon).
    #[serde(deserialize_with = "crate::availability::plain")]
    pub qty: Availability<Decimal>,
    /// Its material availability date (today at the earliest).
    pub available_on: NaiveDate,
    /// When goods available then would be delivered.
    pub delivery: NaiveDate,
    /// Whether that is by the requested date.
    pub on_time: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quota::Consumption;
    use onhand_master::seed;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, d).unwrap()
    }

    /// A stream serves an item together with its substitutes: the urgent line for the
    /// substitute comes first although the ordered item sorts before it.
    #[test]
    fn streaming_serves_substitutes_in_one_priority_order() {
        let catalog = Arc::new(Catalog::new(seed::demo_network()).unwrap());
        let mut atp = Atp::new(catalog, AtpConfig::default(), day(5)).unwrap();
        let (bolt, ss): (ItemCode, ItemCode) =
            ("BOLT-M8".parse().unwrap(), "BOLT-M8-SS".parse().unwrap());
        assert!(atp.item_ix(&bolt).unwrap() < atp.item_ix(&ss).unwrap());
        atp.set_available(&ss, &"ATL".parse().unwrap(), "100 EA".parse().unwrap()).unwrap();
        let line = |id, item: &ItemCode, priority| {
            let mut l = OrderLine::new(
                LineId(id),
                item.clone(),
                "100 EA".parse().unwrap(),
                day(12),
                "US-SE".parse().unwrap(),
            );
            l.priority = priority;
            l.allow_substitutes = true;
            l
        };
        let lines = [line(1, &bolt, 5), line(2, &ss, 1), line(2, &bolt, 9)];
        let prepared: Vec<Prepared> = lines.iter().map(|l| atp.prepare(l).unwrap()).collect();
        let mut got = Vec::new();
        atp.allocate_stream(&prepared, Claim::Hard, |r| got.push(r));
        assert_eq!(got.len(), 3);
        assert!(got.iter().any(|r| matches!(r, Err(AtpError::DuplicateLine { line: LineId(2) }))));
        assert_eq!(atp.booked(LineId(2)).unwrap().confirmed, Decimal::from(100));
        assert_eq!(atp.booked(LineId(1)).unwrap().confirmed, Decimal::ZERO);
        assert_eq!(atp.booked_lines(), [LineId(2), LineId(1)]);
    }

    // The split pass reused the offers of the one-source pass, each capped by the whole
    // quota, so every site could confirm the full quota again.
    #[test]
    fn split_pieces_across_sites_share_one_quota() {
        let catalog = Arc::new(Catalog::new(seed::demo_network()).unwrap());
        let mut atp = Atp::new(catalog, AtpConfig::default(), day(5)).unwrap();
        let glove: ItemCode = "GLOVE-NIT".parse().unwrap();
        atp.set_available(&glove, &"ATL".parse().unwrap(), "40 EA".parse().unwrap()).unwrap();
        atp.set_available(&glove, &"DFW".parse().unwrap(), "25 EA".parse().unwrap()).unwrap();
        atp.set_quotas(&[QuotaRule {
            item: glove.clone(),
            periods: vec![day(5)],
            consumption: Consumption::Discrete,
            entries: vec![],
            collective: Some(QuotaAmount::Absolute("10 EA".parse().unwrap())),
        }])
        .unwrap();
        let mut line = OrderLine::new(
            LineId(1),
            glove,
            "60 EA".parse().unwrap(),
            day(8),
            "US-SE".parse().unwrap(),
        );
        line.allow_split = true;
        let p = atp.allocate(&line, Claim::Hard).unwrap();
        assert_eq!(p.confirmed, Decimal::from(10), "{p:?}");
        assert!(p.limits.has(Limit::Quota));
    }

    // Loading available stock replaced the cell's free quantity outright, forgetting
    // what lines booked on or before today hold, so they could be promised again.
    #[test]
    fn reloading_available_stock_keeps_what_todays_promises_hold() {
        let catalog = Arc::new(Catalog::new(seed::demo_network()).unwrap());
        let mut atp = Atp::new(catalog, AtpConfig::default(), day(5)).unwrap();
        let (nut, ord): (ItemCode, SiteCode) = ("NUT-M8".parse().unwrap(), "ORD".parse().unwrap());
        atp.set_available(&nut, &ord, "100 EA".parse().unwrap()).unwrap();
        let line = |id| {
            OrderLine::new(
                LineId(id),
                nut.clone(),
                "60 EA".parse().unwrap(),
                day(7),
                "US-MW".parse().unwrap(),
            )
        };
        // Available today at ORD (one day's handling, one in transit).
        let p = atp.allocate(&line(1), Claim::Hard).unwrap();
        assert_eq!(p.schedule[0].available_on, day(5));
        // Nothing shipped: the ledger still has 100 available, and says so again.
        atp.set_available(&nut, &ord, "100 EA".parse().unwrap()).unwrap();
        assert_eq!(
            atp.atp(&nut, &ord, day(5), 5).unwrap(),
            Availability::Limited(Decimal::from(40))
        );
        let p = atp.allocate(&line(2), Claim::Hard).unwrap();
        assert!(p.confirmed.is_zero(), "{p:?}");
    }
}
