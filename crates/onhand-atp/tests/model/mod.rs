//! A reference model of what the ATP engine may promise, shared by the property tests
//! (`tests/properties.rs`) and the `allocate` fuzz target.
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
//!   exactly what they should.
//!
//! Over-allocation and protection are facts about the moment each schedule line was
//! taken, so the model remembers when (which step) it first saw each unit of a schedule
//! line. Lines beyond today's checking-horizon fence (confirmed against assumed supply)
//! are exempt until the fence passes them, and lines taken before supply at the
//! item-site was lowered or its protection changed are exempt: that is something the
//! engine cannot undo.
//! Remembering a unit as older than it is only ever exempts more, so the checks never
//! accuse the engine wrongly.
#![allow(dead_code)] // two test targets include this module; each uses part of it

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

// ---- days and instants ---------------------------------------------------------------

/// The engine's first "today": 2026-01-05. Model days are offsets from it.
pub(crate) fn base_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 5).expect("base date")
}

/// The date `off` days from the base date.
pub(crate) fn date(off: i64) -> NaiveDate {
    let base = base_date();
    let days = Days::new(off.unsigned_abs());
    if off >= 0 { base.checked_add_days(days) } else { base.checked_sub_days(days) }
        .expect("date in range")
}

/// A date's offset from the base date.
pub(crate) fn offset(d: NaiveDate) -> i64 {
    d.signed_duration_since(base_date()).num_days()
}

/// `hours` after midnight of the base date.
pub(crate) fn instant(hours: i64) -> DateTime<Utc> {
    let midnight = base_date().and_hms_opt(0, 0, 0).expect("midnight");
    Utc.from_utc_datetime(&midnight) + TimeDelta::hours(hours)
}

const FAR: i64 = i64::MAX / 4;

// ---- the network ---------------------------------------------------------------------

/// An item as the model sees it.
#[derive(Debug, Clone)]
pub(crate) struct ItemInfo {
    pub(crate) code: ItemCode,
    pub(crate) ix: ItemIx,
    pub(crate) base: UomCode,
    /// Decimal places of the base unit.
    pub(crate) scale: u32,
    /// Every unit the item is counted in, base first.
    pub(crate) units: Vec<UomCode>,
    /// A unit it is not counted in.
    pub(crate) wrong: UomCode,
    /// Substitutes (item index, ratio) in preference order.
    pub(crate) subs: Vec<(usize, Decimal)>,
}

/// A ship-to region and the sites delivering to it.
#[derive(Debug, Clone)]
pub(crate) struct RegionInfo {
    pub(crate) code: RegionCode,
    /// (site index, handling plus transit days), in rank order.
    pub(crate) lanes: Vec<(usize, i64)>,
}

/// The network under test, read from the master data.
#[derive(Debug, Clone)]
pub(crate) struct World {
    pub(crate) catalog: Arc<Catalog>,
    pub(crate) items: Vec<ItemInfo>,
    pub(crate) sites: Vec<(SiteCode, SiteIx)>,
    pub(crate) regions: Vec<RegionInfo>,
    /// Demand classes lines and quota entries pick from.
    pub(crate) classes: Vec<DemandClass>,
}

impl World {
    /// The model of a valid network.
    ///
    /// # Panics
    /// When the network is not valid.
    pub(crate) fn new(data: MasterData) -> World {
        let catalog = Arc::new(Catalog::new(data).expect("a valid network"));
        let candidates: Vec<UomCode> = ["EA", "KG", "M", "L", "CS", "PL", "BX"]
            .iter()
            .map(|c| UomCode::new(c).expect("unit code"))
            .collect();
        let mut items = Vec::new();
        for (n, (ix, item)) in catalog.items().enumerate() {
            assert_eq!(ix.index(), n, "items are indexed in order");
            let scale = catalog.profile(ix).map_or(0, |p| p.base_rounding.scale());
            let known = catalog.item_units(ix).expect("item units");
            let mut units = vec![item.base_uom];
            for u in &item.units {
                for c in [u.unit, u.per] {
                    if !units.contains(&c) && known.knows(c) {
                        units.push(c);
                    }
                }
            }
            let wrong = *candidates.iter().find(|c| !known.knows(**c)).expect("an unknown unit");
            let subs = item
                .substitutes
                .iter()
                .filter_map(|s| catalog.item_ix(&s.item).map(|i| (i.index(), s.ratio)))
                .collect();
            items.push(ItemInfo {
                code: item.code.clone(),
                ix,
                base: item.base_uom,
                scale,
                units,
                wrong,
                subs,
            });
        }
        let mut sites = Vec::new();
        for (n, (ix, site)) in catalog.sites().enumerate() {
            assert_eq!(ix.index(), n, "sites are indexed in order");
            sites.push((site.code.clone(), ix));
        }
        let data = catalog.data();
        let regions: Vec<RegionInfo> = data
            .regions
            .iter()
            .map(|r| {
                let mut lanes: Vec<_> =
                    data.delivery_lanes.iter().filter(|l| l.region == r.code).collect();
                lanes.sort_by_key(|l| l.rank);
                let lanes = lanes
                    .iter()
                    .map(|l| {
                        let six = catalog.site_ix(&l.site).expect("lane site");
                        let handling = catalog.site(six).expect("site").handling_days;
                        (six.index(), i64::from(handling) + i64::from(l.transit_days))
                    })
                    .collect();
                RegionInfo { code: r.code.clone(), lanes }
            })
            .collect();
        let ch = |c: &str| Some(ChannelCode::new(c).expect("channel"));
        let gr = |g: &str| Some(CustomerGroupCode::new(g).expect("group"));
        let first = regions.first().map(|r| r.code.clone());
        let classes = vec![
            DemandClass::default(),
            DemandClass { channel: ch("B2B"), ..DemandClass::default() },
            DemandClass { channel: ch("ECOM"), ..DemandClass::default() },
            DemandClass { group: gr("RETAIL"), ..DemandClass::default() },
            DemandClass { group: gr("OEM"), ..DemandClass::default() },
            DemandClass { channel: ch("B2B"), group: gr("RETAIL"), region: None },
            DemandClass { region: first.clone(), ..DemandClass::default() },
            DemandClass { channel: ch("B2B"), group: None, region: first },
        ];
        World { catalog, items, sites, regions, classes }
    }

    fn lead(&self, site: usize, region: &RegionCode) -> Option<i64> {
        let r = self.regions.iter().find(|r| &r.code == region)?;
        r.lanes.iter().find(|(s, _)| *s == site).map(|(_, l)| *l)
    }
}

// ---- operations ------------------------------------------------------------------------

/// A quantity: `value / 10^decimals` in a unit picked by `unit` (0: the base unit, below
/// 250: one the item is counted in, from 250: one it is not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QtySpec {
    pub(crate) value: u32,
    pub(crate) unit: u8,
    pub(crate) decimals: u8,
}

impl QtySpec {
    /// Whole base units.
    pub(crate) fn base(value: u32) -> QtySpec {
        QtySpec { value, unit: 0, decimals: 0 }
    }
}

/// How much a line asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineQty {
    /// As given.
    Plain(QtySpec),
    /// What the first candidate site can promise on the requested date, plus `delta`
    /// base steps (−1: one short, 0: exact fit, 1: one over).
    Fit(i8),
    /// All supply of the item in the network, plus `delta` base steps.
    Everything(i8),
}

/// An order line; indices from 250 point to unknown items and regions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LineSpec {
    /// `None`: a new id; `Some(k)`: the k-th id handed out so far (a duplicate while it
    /// is booked).
    pub(crate) id: Option<u8>,
    pub(crate) item: u8,
    pub(crate) region: u8,
    /// Requested delivery, in days from today.
    pub(crate) requested: i8,
    pub(crate) qty: LineQty,
    pub(crate) priority: u8,
    pub(crate) split: bool,
    pub(crate) subs: bool,
    /// Minimum split in base units.
    pub(crate) min_split: Option<u16>,
    /// 0 ranked, 1 least cost, 2 shortest transit (modulo 3).
    pub(crate) rule: u8,
    /// win, gain, redistribute, fill, lose (modulo 5).
    pub(crate) strategy: u8,
    /// Index into the world's demand classes (modulo).
    pub(crate) class: u8,
    /// Creation order (`None`: the id).
    pub(crate) seq: Option<u16>,
}

/// A quota amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AmountSpec {
    Absolute(QtySpec),
    /// Hundredths (above 100 is invalid).
    Percent(u8),
    Ratio(u8),
}

/// A quota rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RuleSpec {
    pub(crate) item: u8,
    /// Period starts in days from today (should ascend).
    pub(crate) periods: Vec<i8>,
    pub(crate) cumulative: bool,
    pub(crate) entries: Vec<(u8, AmountSpec)>,
    pub(crate) collective: Option<AmountSpec>,
}

/// How much to reduce a line by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReduceSpec {
    /// That percentage of what is confirmed (rounded down; above 100 counts as 100).
    Percent(u8),
    /// One base step more than is confirmed (refused).
    Over,
    /// A quantity finer than the base unit (refused).
    Fine,
}

/// One operation against the engine. `pick` selects a line id: below 200 a booked one,
/// else any id handed out so far, from 250 an unknown one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Op {
    SetAvailable {
        item: u8,
        site: u8,
        qty: QtySpec,
    },
    /// Supply `day` days from today (before today: effective today).
    AddSupply {
        item: u8,
        site: u8,
        day: i8,
        qty: QtySpec,
    },
    Protect {
        item: u8,
        site: u8,
        qty: QtySpec,
        up_to: u8,
    },
    SetQuotas(Vec<RuleSpec>),
    /// `claim`: `None` hard, `Some(h)` soft, expiring `h` hours after midnight today.
    Allocate {
        line: LineSpec,
        claim: Option<i16>,
    },
    Batch {
        lines: Vec<LineSpec>,
        claim: Option<i16>,
    },
    /// Allocate and release at once: availability must come back exactly.
    RoundTrip {
        line: LineSpec,
    },
    Release {
        pick: u8,
    },
    Reduce {
        pick: u8,
        how: ReduceSpec,
    },
    MakeHard {
        pick: u8,
    },
    /// Sweep at `hours` after midnight today.
    Sweep {
        hours: i16,
    },
    Reprocess {
        fair: bool,
    },
    Advance {
        days: i8,
    },
}

// ---- checks --------------------------------------------------------------------------

/// Which invariants the harness asserts (typed errors and agreement of the booked lines
/// with the model are always asserted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Checks(u32);

impl Checks {
    pub(crate) const OVER_ALLOCATION: Checks = Checks(1);
    pub(crate) const CONSERVATION: Checks = Checks(1 << 1);
    pub(crate) const QUOTAS: Checks = Checks(1 << 2);
    pub(crate) const PROTECTION: Checks = Checks(1 << 3);
    pub(crate) const LEAD_TIMES: Checks = Checks(1 << 4);
    pub(crate) const DRY_RUN: Checks = Checks(1 << 5);
    pub(crate) const ROUND_TRIP: Checks = Checks(1 << 6);
    pub(crate) const SWEEP: Checks = Checks(1 << 7);
    pub(crate) const REPROCESS_TWICE: Checks = Checks(1 << 8);
    pub(crate) const SIMULATE: Checks = Checks(1 << 9);
    pub(crate) const SPLITS: Checks = Checks(1 << 10);
    pub(crate) const STRATEGIES: Checks = Checks(1 << 11);
    pub(crate) const NONE: Checks = Checks(0);
    pub(crate) const ALL: Checks = Checks(u32::MAX);

    pub(crate) fn has(self, c: Checks) -> bool {
        self.0 & c.0 == c.0
    }

    #[must_use]
    pub(crate) fn and(self, c: Checks) -> Checks {
        Checks(self.0 | c.0)
    }
}

/// What a line asks for (item index, base steps), or the error the engine must give.
type Expect = Result<(usize, i128), ErrKind>;

/// The kind of a typed error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrKind {
    UnknownItem,
    UnknownSite,
    UnknownRegion,
    Quantity,
    NotRepresentable,
    ZeroQuantity,
    DuplicateLine,
    UnknownLine,
    InvalidClaim,
    InvalidConfig,
    Other,
}

pub(crate) fn kind(e: &AtpError) -> ErrKind {
    match e {
        AtpError::UnknownItem { .. } => ErrKind::UnknownItem,
        AtpError::UnknownSite { .. } => ErrKind::UnknownSite,
        AtpError::UnknownRegion { .. } => ErrKind::UnknownRegion,
        AtpError::Quantity { .. } => ErrKind::Quantity,
        AtpError::NotRepresentable { .. } => ErrKind::NotRepresentable,
        AtpError::ZeroQuantity { .. } => ErrKind::ZeroQuantity,
        AtpError::DuplicateLine { .. } => ErrKind::DuplicateLine,
        AtpError::UnknownLine { .. } => ErrKind::UnknownLine,
        AtpError::InvalidClaim { .. } => ErrKind::InvalidClaim,
        AtpError::InvalidConfig { .. } => ErrKind::InvalidConfig,
        _ => ErrKind::Other,
    }
}

fn expect_outcome<T: Debug, U>(
    what: &str,
    expected: &Result<U, ErrKind>,
    got: &Result<T, AtpError>,
) {
    match (expected, got) {
        (Ok(_), Ok(_)) => {}
        (Err(k), Err(e)) => assert_eq!(*k, kind(e), "{what}: expected {k:?}, got {e:?}"),
        (Ok(_), Err(e)) => panic!("{what}: unexpected error {e:?}"),
        (Err(k), Ok(v)) => panic!("{what}: expected {k:?}, got {v:?}"),
    }
}

// ---- the model's books ---------------------------------------------------------------

/// Supply at an item-site, in base steps: available now (as set, on `since`) plus
/// receipts effective on their day.
#[derive(Debug, Clone, Default)]
struct Supply {
    base: i128,
    receipts: Vec<(i64, i128)>,
}

impl Supply {
    fn at(&self, t: i64) -> i128 {
        self.base + self.receipts.iter().filter(|(d, _)| *d <= t).map(|(_, q)| q).sum::<i128>()
    }
}

#[derive(Debug, Clone, Copy)]
struct Protection {
    qty: i128,
    up_to: u8,
    since: u64,
}

/// Schedule lines of a booked line are aggregated by (item, site, available on,
/// delivery).
type Key = (usize, usize, i64, i64);

/// Units of a schedule line first seen at `step`.
#[derive(Debug, Clone, Copy)]
struct Rec {
    qty: i128,
    step: u64,
}

#[derive(Debug, Clone)]
struct Booking {
    line: OrderLine,
    item: usize,
    /// Requested, in base steps.
    qty: i128,
    claim: Claim,
    recs: BTreeMap<Key, Vec<Rec>>,
    /// Reduced by the caller at some point (no longer all or nothing).
    reduced: bool,
}

#[derive(Debug, Clone)]
struct QuotaModel {
    item: usize,
    starts: Vec<i64>,
    cumulative: bool,
    patterns: Vec<DemandClass>,
    collective: bool,
    /// Capacity per bucket (entries, then the collective pool) and period, from the
    /// supply when the rules were loaded.
    caps: Vec<Vec<i128>>,
    /// The amounts, to recompute capacities as supply changes.
    amounts: Vec<QuotaAmount>,
    /// Network supply per period, bookings not deducted: on hand when the rules were
    /// loaded, and supply dated today or earlier, in the period holding today (then);
    /// receipts in the period of their date. Later supply changes land in theirs.
    supply: Vec<i128>,
    /// When the rules were loaded.
    since: u64,
}

impl QuotaModel {
    fn period(&self, day: i64) -> usize {
        self.starts.iter().filter(|s| **s <= day).count().saturating_sub(1)
    }

    fn bucket(&self, class: &DemandClass) -> Option<usize> {
        fn ok<T: PartialEq>(have: Option<&T>, want: Option<&T>) -> bool {
            want.is_none() || have == want
        }
        let mut best: Option<(usize, usize)> = None;
        for (i, p) in self.patterns.iter().enumerate() {
            let matches = ok(class.channel.as_ref(), p.channel.as_ref())
                && ok(class.group.as_ref(), p.group.as_ref())
                && ok(class.region.as_ref(), p.region.as_ref());
            let specific = usize::from(p.channel.is_some())
                + usize::from(p.group.is_some())
                + usize::from(p.region.is_some());
            if matches && best.is_none_or(|(_, s)| specific > s) {
                best = Some((i, specific));
            }
        }
        best.map(|(i, _)| i).or(self.collective.then_some(self.patterns.len()))
    }

    /// Whether use within `bucket` from `period` on stays within capacity.
    fn within(&self, used: &[i128], bucket: usize, period: usize) -> Result<(), String> {
        let caps = &self.caps[bucket];
        if self.cumulative {
            let (mut cum_cap, mut cum_used) = (0i128, 0i128);
            for (k, (c, u)) in caps.iter().zip(used).enumerate() {
                cum_cap += c;
                cum_used += u;
                if k >= period && cum_used > cum_cap {
                    return Err(format!(
                        "cumulative quota bucket {bucket} used {cum_used} > {cum_cap} by period {k}"
                    ));
                }
            }
        } else if used[period] > caps[period] {
            return Err(format!(
                "discrete quota bucket {bucket} period {period} used {} > {}",
                used[period], caps[period]
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Default)]
struct Quotas {
    rules: BTreeMap<usize, QuotaModel>,
    /// Loaded with nothing booked: every bucket must stay within capacity. Otherwise
    /// existing confirmations may already exceed it, and only new ones are checked.
    global: bool,
}

/// The engine and the model, side by side.
#[derive(Clone)]
pub(crate) struct Harness {
    pub(crate) world: World,
    pub(crate) atp: Atp,
    pub(crate) checks: Checks,
    horizon: i64,
    today: i64,
    step: u64,
    ids: Vec<LineId>,
    next_id: u64,
    supply: BTreeMap<(usize, usize), Supply>,
    /// The last step supply at an item-site went down.
    lowered: BTreeMap<(usize, usize), u64>,
    protection: BTreeMap<(usize, usize), Protection>,
    book: BTreeMap<LineId, Booking>,
    quotas: Option<Quotas>,
    fair_ran: bool,
}

impl Harness {
    /// An engine on `world` as of the base date, with a checking horizon of `horizon` days
    /// (0: none).
    pub(crate) fn new(world: World, horizon: u16, checks: Checks) -> Harness {
        let config = AtpConfig {
            horizon: if horizon == 0 { Horizon::None } else { Horizon::Days(horizon) },
        };
        let atp = Atp::new(world.catalog.clone(), config, date(0)).expect("engine");
        Harness {
            world,
            atp,
            checks,
            horizon: i64::from(horizon),
            today: 0,
            step: 0,
            ids: Vec::new(),
            next_id: 0,
            supply: BTreeMap::new(),
            lowered: BTreeMap::new(),
            protection: BTreeMap::new(),
            book: BTreeMap::new(),
            quotas: None,
            fair_ran: false,
        }
    }

    /// The model's today, in days from the base date.
    pub(crate) fn today(&self) -> i64 {
        self.today
    }

    /// The ids of the booked lines, in id order.
    pub(crate) fn booked(&self) -> Vec<LineId> {
        self.book.keys().copied().collect()
    }

    /// Total supply of an item across the network (base steps).
    pub(crate) fn total_supply(&self, item: usize) -> i128 {
        self.supply.iter().filter(|((i, _), _)| *i == item).map(|(_, s)| s.at(FAR)).sum()
    }

    fn fence(&self) -> i64 {
        if self.horizon == 0 { FAR } else { self.today + self.horizon }
    }

    fn item(&self, b: u8) -> Option<usize> {
        (b < 250 && !self.world.items.is_empty()).then(|| usize::from(b) % self.world.items.len())
    }

    fn site(&self, b: u8) -> Option<usize> {
        (b < 250 && !self.world.sites.is_empty()).then(|| usize::from(b) % self.world.sites.len())
    }

    fn region(&self, b: u8) -> Option<usize> {
        (b < 250 && !self.world.regions.is_empty())
            .then(|| usize::from(b) % self.world.regions.len())
    }

    fn item_code(&self, i: Option<usize>) -> ItemCode {
        i.map_or_else(
            || ItemCode::new("NO-SUCH-ITEM").expect("code"),
            |i| self.world.items[i].code.clone(),
        )
    }

    fn site_code(&self, s: Option<usize>) -> SiteCode {
        s.map_or_else(|| SiteCode::new("NOSITE").expect("code"), |s| self.world.sites[s].0.clone())
    }

    fn region_code(&self, r: Option<usize>) -> RegionCode {
        r.map_or_else(
            || RegionCode::new("NOWHERE").expect("code"),
            |r| self.world.regions[r].code.clone(),
        )
    }

    fn qty(&self, item: Option<usize>, q: QtySpec) -> Qty {
        let value = Decimal::new(i64::from(q.value), u32::from(q.decimals % 6));
        let unit = match item.map(|i| &self.world.items[i]) {
            None => UomCode::new("EA").expect("unit"),
            Some(it) if q.unit >= 250 => it.wrong,
            Some(it) if q.unit == 0 => it.base,
            Some(it) => it.units[usize::from(q.unit) % it.units.len()],
        };
        Qty::new(value, unit).expect("non-negative")
    }

    /// A quantity in base steps, or the error the engine must give for it.
    fn base_steps(&self, item: usize, q: Qty) -> Result<i128, ErrKind> {
        let it = &self.world.items[item];
        let units = self.world.catalog.item_units(it.ix).expect("units");
        let base = units.to_base(q).map_err(|_| ErrKind::Quantity)?;
        self.steps(item, base.value()).ok_or(ErrKind::NotRepresentable)
    }

    /// A base quantity in base steps, if it is a whole number of them that fits an i64.
    fn steps(&self, item: usize, v: Decimal) -> Option<i128> {
        let scale = self.world.items[item].scale;
        let v = v.normalize();
        if v.scale() > scale {
            return None;
        }
        let steps = v.mantissa().checked_mul(10i128.checked_pow(scale - v.scale())?)?;
        i64::try_from(steps).ok().map(i128::from)
    }

    fn decimal(&self, item: usize, steps: i128) -> Decimal {
        Decimal::from_i128_with_scale(steps, self.world.items[item].scale).normalize()
    }

    fn claim(hours: Option<i16>, today: i64) -> Claim {
        match hours {
            None => Claim::Hard,
            Some(h) => Claim::Soft { expires: instant(today * 24 + i64::from(h)) },
        }
    }

    fn pick(&self, pick: u8) -> LineId {
        if pick < 200 && !self.book.is_empty() {
            let ids: Vec<LineId> = self.book.keys().copied().collect();
            ids[usize::from(pick) % ids.len()]
        } else if pick < 250 && !self.ids.is_empty() {
            self.ids[usize::from(pick) % self.ids.len()]
        } else {
            LineId(u64::MAX)
        }
    }

    pub(crate) fn snapshot(&self) -> Vec<i64> {
        let mut out = Vec::new();
        for it in &self.world.items {
            for (_, six) in &self.world.sites {
                for d in -1..=45 {
                    let day = Day::of(date(self.today + d)).expect("day");
                    // Most urgent (never protected against) and least urgent.
                    for prio in [0, u8::MAX] {
                        out.push(self.atp.atp_units(it.ix, *six, day, prio));
                    }
                }
            }
        }
        out
    }

    // ---- operations ------------------------------------------------------------------

    /// Applies one operation and asserts the invariants the checks ask for.
    ///
    /// # Panics
    /// When the engine breaks one.
    pub(crate) fn run(&mut self, op: &Op) {
        self.step += 1;
        match op {
            Op::SetAvailable { item, site, qty } => self.set_available(*item, *site, *qty),
            Op::AddSupply { item, site, day, qty } => self.add_supply(*item, *site, *day, *qty),
            Op::Protect { item, site, qty, up_to } => self.protect(*item, *site, *qty, *up_to),
            Op::SetQuotas(rules) => self.set_quotas(rules),
            Op::Allocate { line, claim } => self.allocate(line, *claim),
            Op::Batch { lines, claim } => self.batch(lines, *claim),
            Op::RoundTrip { line } => self.round_trip(line),
            Op::Release { pick } => self.release(*pick),
            Op::Reduce { pick, how } => self.reduce(*pick, *how),
            Op::MakeHard { pick } => self.make_hard(*pick),
            Op::Sweep { hours } => self.sweep(*hours),
            Op::Reprocess { fair } => self.reprocess(*fair),
            Op::Advance { days } => self.advance(*days),
        }
        self.reconcile();
        self.check_invariants();
    }

    fn item_site(&self, item: u8, site: u8) -> (Option<usize>, Option<usize>, ItemCode, SiteCode) {
        let (i, s) = (self.item(item), self.site(site));
        (i, s, self.item_code(i), self.site_code(s))
    }

    fn expect_item_site_qty(
        &self,
        i: Option<usize>,
        s: Option<usize>,
        q: Qty,
    ) -> Result<(usize, usize, i128), ErrKind> {
        let i = i.ok_or(ErrKind::UnknownItem)?;
        let s = s.ok_or(ErrKind::UnknownSite)?;
        Ok((i, s, self.base_steps(i, q)?))
    }

    fn set_available(&mut self, item: u8, site: u8, qty: QtySpec) {
        let (i, s, ic, sc) = self.item_site(item, site);
        let q = self.qty(i, qty);
        let expected = self.expect_item_site_qty(i, s, q);
        let got = self.atp.set_available(&ic, &sc, q);
        expect_outcome("set_available", &expected, &got);
        if let Ok((i, s, units)) = expected {
            let today = self.today;
            let sup = self.supply.entry((i, s)).or_default();
            let before = sup.at(today);
            sup.base = units;
            sup.receipts.retain(|(d, _)| *d > today);
            if units < before {
                self.lowered.insert((i, s), self.step);
            }
            // What is on hand counts in the quota period holding today.
            self.quota_supply_changed(i, None, units - before);
        }
    }

    /// Supply of an item changed by `units` on `day` (`None`: on hand): the loaded quota
    /// rule's period supply follows.
    fn quota_supply_changed(&mut self, item: usize, day: Option<i64>, units: i128) {
        let today = self.today;
        if let Some(rule) = self.quotas.as_mut().and_then(|q| q.rules.get_mut(&item)) {
            let p = match day {
                Some(d) if d > today => rule.period(d),
                _ => rule.period(today),
            };
            rule.supply[p] += units;
        }
    }

    fn add_supply(&mut self, item: u8, site: u8, day: i8, qty: QtySpec) {
        let (i, s, ic, sc) = self.item_site(item, site);
        let q = self.qty(i, qty);
        let expected = self.expect_item_site_qty(i, s, q);
        let on = self.today + i64::from(day);
        let got = self.atp.add_supply(&ic, &sc, date(on), q);
        expect_outcome("add_supply", &expected, &got);
        if let Ok((i, s, units)) = expected {
            let eff = on.max(self.today);
            self.supply.entry((i, s)).or_default().receipts.push((eff, units));
            self.quota_supply_changed(i, Some(on), units);
        }
    }

    fn protect(&mut self, item: u8, site: u8, qty: QtySpec, up_to: u8) {
        let (i, s, ic, sc) = self.item_site(item, site);
        let q = self.qty(i, qty);
        let expected = self.expect_item_site_qty(i, s, q);
        let got = self.atp.protect(&ic, &sc, q, up_to);
        expect_outcome("protect", &expected, &got);
        if let Ok((i, s, units)) = expected {
            self.protection.insert((i, s), Protection { qty: units, up_to, since: self.step });
        }
    }

    /// The balance at an item-site on day `t` (today at the earliest), counting every
    /// booked schedule line.
    fn balance(&self, item: usize, site: usize, t: i64) -> i128 {
        let t = t.max(self.today);
        let supply = self.supply.get(&(item, site)).map_or(0, |s| s.at(t));
        let taken: i128 = self
            .book
            .values()
            .flat_map(|b| b.recs.iter())
            .filter(|((i, s, d, _), _)| *i == item && *s == site && *d <= t)
            .flat_map(|(_, r)| r.iter().map(|r| r.qty))
            .sum();
        supply - taken
    }

    /// The amount as the engine receives it (valid or not).
    fn raw_amount(&self, i: Option<usize>, a: AmountSpec) -> QuotaAmount {
        match a {
            AmountSpec::Absolute(q) => QuotaAmount::Absolute(self.qty(i, q)),
            AmountSpec::Percent(p) => QuotaAmount::Percent(Decimal::new(i64::from(p), 2)),
            AmountSpec::Ratio(w) => QuotaAmount::Ratio(u32::from(w)),
        }
    }

    /// The error the engine must give for an amount, if any.
    fn check_amount(&self, item: usize, a: AmountSpec) -> Result<(), ErrKind> {
        match a {
            AmountSpec::Absolute(q) => self.base_steps(item, self.qty(Some(item), q)).map(|_| ()),
            AmountSpec::Percent(p) if p > 100 => Err(ErrKind::InvalidConfig),
            AmountSpec::Percent(_) | AmountSpec::Ratio(_) => Ok(()),
        }
    }

    /// A rule as the engine receives it, and its model or the error the engine must give.
    fn quota_model(&self, spec: &RuleSpec) -> (QuotaRule, Result<QuotaModel, ErrKind>) {
        let i = self.item(spec.item);
        let starts: Vec<i64> = spec.periods.iter().map(|p| self.today + i64::from(*p)).collect();
        let classes: Vec<DemandClass> = spec
            .entries
            .iter()
            .map(|(c, _)| self.world.classes[usize::from(*c) % self.world.classes.len()].clone())
            .collect();
        let mut specs: Vec<AmountSpec> = spec.entries.iter().map(|(_, a)| *a).collect();
        specs.extend(spec.collective);
        let amounts: Vec<QuotaAmount> = specs.iter().map(|a| self.raw_amount(i, *a)).collect();
        let rule = QuotaRule {
            item: self.item_code(i),
            periods: starts.iter().map(|d| date(*d)).collect(),
            consumption: if spec.cumulative {
                Consumption::Cumulative
            } else {
                Consumption::Discrete
            },
            entries: classes
                .iter()
                .zip(&amounts)
                .map(|(class, amount)| QuotaEntry { class: class.clone(), amount: amount.clone() })
                .collect(),
            collective: spec.collective.map(|a| self.raw_amount(i, a)),
        };
        let model = (|| {
            let i = i.ok_or(ErrKind::UnknownItem)?;
            if starts.is_empty() || starts.windows(2).any(|w| w[0] >= w[1]) {
                return Err(ErrKind::InvalidConfig);
            }
            for a in &specs {
                self.check_amount(i, *a)?;
            }
            let supply = self.quota_supply(i, &starts);
            Ok(self.capacities(i, &starts, spec.cumulative, &classes, &amounts, supply))
        })();
        (rule, model)
    }

    /// Supply per quota period of an item, as the rules see it when they load.
    fn quota_supply(&self, item: usize, starts: &[i64]) -> Vec<i128> {
        let period = |day: i64| starts.iter().filter(|s| **s <= day).count().saturating_sub(1);
        let mut supply = vec![0i128; starts.len()];
        for ((i, _), sup) in &self.supply {
            if *i != item {
                continue;
            }
            supply[period(self.today)] += sup.at(self.today);
            for (d, q) in sup.receipts.iter().filter(|(d, _)| *d > self.today) {
                supply[period(*d)] += q;
            }
        }
        supply
    }

    /// Capacities per bucket and period from the supply per period.
    fn capacities(
        &self,
        item: usize,
        starts: &[i64],
        cumulative: bool,
        patterns: &[DemandClass],
        amounts: &[QuotaAmount],
        supply: Vec<i128>,
    ) -> QuotaModel {
        let periods: Vec<i128> = supply.iter().map(|s| (*s).max(0)).collect();
        let weights: i128 = amounts
            .iter()
            .map(|a| if let QuotaAmount::Ratio(w) = a { i128::from(*w) } else { 0 })
            .sum();
        let mut caps: Vec<Vec<i128>> = amounts
            .iter()
            .map(|a| {
                periods
                    .iter()
                    .map(|s| match a {
                        QuotaAmount::Absolute(q) => self.base_steps(item, *q).unwrap_or(0),
                        QuotaAmount::Percent(p) => {
                            // p is hundredths: floor(s × p).
                            let hundredths = (p * Decimal::from(100)).normalize().mantissa();
                            s * hundredths / 100
                        }
                        QuotaAmount::Ratio(w) => {
                            if weights == 0 {
                                0
                            } else {
                                s * i128::from(*w) / weights
                            }
                        }
                    })
                    .collect()
            })
            .collect();
        // What the ratio shares leave goes to the earlier ratio entries, a step each.
        if weights > 0 {
            for (k, s) in periods.iter().enumerate() {
                let given: i128 = amounts
                    .iter()
                    .zip(&caps)
                    .filter(|(a, _)| matches!(a, QuotaAmount::Ratio(_)))
                    .map(|(_, c)| c[k])
                    .sum();
                let mut left = s - given;
                for (a, c) in amounts.iter().zip(caps.iter_mut()) {
                    if left <= 0 {
                        break;
                    }
                    if matches!(a, QuotaAmount::Ratio(w) if *w > 0) {
                        c[k] += 1;
                        left -= 1;
                    }
                }
            }
        }
        QuotaModel {
            item,
            starts: starts.to_vec(),
            cumulative,
            patterns: patterns.to_vec(),
            collective: amounts.len() > patterns.len(),
            caps,
            amounts: amounts.to_vec(),
            supply,
            since: self.step,
        }
    }

    fn set_quotas(&mut self, specs: &[RuleSpec]) {
        let mut rules = Vec::new();
        let mut expected: Result<BTreeMap<usize, QuotaModel>, ErrKind> = Ok(BTreeMap::new());
        for spec in specs {
            let (rule, model) = self.quota_model(spec);
            rules.push(rule);
            if let Ok(map) = &mut expected {
                match model {
                    Ok(m) => {
                        map.insert(m.item, m);
                    }
                    Err(k) => expected = Err(k),
                }
            }
        }
        let got = self.atp.set_quotas(&rules);
        expect_outcome("set_quotas", &expected, &got);
        if let Ok(rules) = expected {
            // Lines booked before the rules count as use, but may already exceed them
            // (the engine takes no confirmation back): then only new use is checked.
            self.quotas = Some(Quotas { rules, global: self.book.is_empty() });
        }
    }

    /// Builds a line; with what it asks for in base steps, or the error the engine must
    /// give for it (duplicates aside).
    fn line(&mut self, spec: &LineSpec) -> (OrderLine, Expect) {
        let id = match spec.id {
            Some(k) if !self.ids.is_empty() => self.ids[usize::from(k) % self.ids.len()],
            _ => {
                self.next_id += 1;
                LineId(self.next_id)
            }
        };
        if !self.ids.contains(&id) {
            self.ids.push(id);
        }
        let (i, r) = (self.item(spec.item), self.region(spec.region));
        let requested = self.today + i64::from(spec.requested);
        let priority = spec.priority;
        let qty = match spec.qty {
            LineQty::Plain(q) => self.qty(i, q),
            LineQty::Fit(delta) | LineQty::Everything(delta) => {
                let steps = match (i, spec.qty) {
                    (Some(i), LineQty::Fit(_)) => self
                        .atp
                        .network_atp(
                            &self.item_code(Some(i)),
                            &self.region_code(r),
                            date(requested),
                            priority,
                        )
                        .ok()
                        .and_then(|o| o.first().map(|o| o.qty))
                        .filter(|q| *q != Decimal::MAX)
                        .and_then(|q| self.steps(i, q))
                        .unwrap_or(1),
                    (Some(i), _) => self.total_supply(i),
                    (None, _) => 1,
                };
                let steps = (steps + i128::from(delta)).clamp(0, i128::from(u32::MAX));
                let item = i.map(|i| &self.world.items[i]);
                let value = Decimal::from_i128_with_scale(steps, item.map_or(0, |it| it.scale));
                Qty::new(value, item.map_or(UomCode::new("EA").expect("unit"), |it| it.base))
                    .expect("non-negative")
            }
        };
        let mut line =
            OrderLine::new(id, self.item_code(i), qty, date(requested), self.region_code(r));
        line.priority = priority;
        line.allow_split = spec.split;
        line.allow_substitutes = spec.subs;
        line.min_split = spec.min_split.map(|m| {
            Qty::new(
                Decimal::from(m),
                i.map_or(UomCode::new("EA").expect("unit"), |i| self.world.items[i].base),
            )
            .expect("non-negative")
        });
        line.rule = match spec.rule % 3 {
            0 => SourcingRule::Ranked,
            1 => SourcingRule::LeastCost,
            _ => SourcingRule::ShortestTransit,
        };
        line.strategy = match spec.strategy % 5 {
            0 => Strategy::Win,
            1 => Strategy::Gain,
            2 => Strategy::Redistribute,
            3 => Strategy::Fill,
            _ => Strategy::Lose,
        };
        line.class = self.world.classes[usize::from(spec.class) % self.world.classes.len()].clone();
        if let Some(seq) = spec.seq {
            line.seq = u64::from(seq);
        }
        let expected = (|| {
            let i = i.ok_or(ErrKind::UnknownItem)?;
            r.ok_or(ErrKind::UnknownRegion)?;
            let steps = self.base_steps(i, qty)?;
            if steps <= 0 {
                return Err(ErrKind::ZeroQuantity);
            }
            Ok((i, steps))
        })();
        (line, expected)
    }

    /// Builds order lines from specs, without booking them.
    pub(crate) fn lines(&mut self, specs: &[LineSpec]) -> Vec<OrderLine> {
        specs.iter().map(|s| self.line(s).0).collect()
    }

    fn book_line(&mut self, line: OrderLine, item: usize, qty: i128, claim: Claim) {
        let id = line.id;
        let booking = Booking { line, item, qty, claim, recs: BTreeMap::new(), reduced: false };
        assert!(self.book.insert(id, booking).is_none(), "{id} booked twice");
    }

    fn allocate(&mut self, spec: &LineSpec, hours: Option<i16>) {
        let (line, expected) = self.line(spec);
        let expected =
            if self.book.contains_key(&line.id) { Err(ErrKind::DuplicateLine) } else { expected };
        let dry = if self.checks.has(Checks::DRY_RUN) && expected.is_ok() {
            let before = self.snapshot();
            let p = self.atp.promise(&line).expect("a dry run of a valid line");
            assert!(self.snapshot() == before, "a dry run of {line:?} changed availability");
            Some(p)
        } else {
            None
        };
        let claim = Self::claim(hours, self.today);
        let got = self.atp.allocate(&line, claim);
        expect_outcome("allocate", &expected, &got);
        if let (Ok(p), Ok((item, qty))) = (got, expected) {
            if let Some(d) = dry {
                assert_eq!(d, p, "the dry run of {line:?} differs from its allocation");
            }
            assert_eq!(self.atp.booked(line.id).as_ref(), Some(&p), "booked promise");
            self.fresh(&line, item, &p);
            self.book_line(line, item, qty, claim);
        }
    }

    fn batch(&mut self, specs: &[LineSpec], hours: Option<i16>) {
        let built: Vec<(OrderLine, Expect)> = specs.iter().map(|s| self.line(s)).collect();
        // The engine serves in (priority, requested, seq, id) order, input order on ties.
        let mut order: Vec<usize> = (0..built.len()).collect();
        order.sort_by_key(|&k| {
            let l = &built[k].0;
            (l.priority, l.requested, l.seq, l.id, k)
        });
        let mut expected: Vec<Expect> = vec![Err(ErrKind::Other); built.len()];
        let mut taken: BTreeSet<LineId> = self.book.keys().copied().collect();
        for k in order {
            let (line, e) = &built[k];
            expected[k] = if taken.contains(&line.id) { Err(ErrKind::DuplicateLine) } else { *e };
            if expected[k].is_ok() {
                taken.insert(line.id);
            }
        }
        let lines: Vec<OrderLine> = built.iter().map(|(l, _)| l.clone()).collect();
        let claim = Self::claim(hours, self.today);
        // The same lines streamed (prepared, served item group by item group) on a copy.
        let mut streamed = self.atp.clone();
        let prepared: Vec<(usize, Prepared)> = lines
            .iter()
            .enumerate()
            .filter_map(|(k, l)| streamed.prepare(l).ok().map(|p| (k, p)))
            .collect();
        let only: Vec<Prepared> = prepared.iter().map(|(_, p)| p.clone()).collect();
        let mut stream_out: Vec<String> = Vec::new();
        streamed.allocate_stream(&only, claim, |r| stream_out.push(format!("{r:?}")));
        let got = self.atp.allocate_batch(&lines, claim);
        assert_eq!(got.len(), lines.len(), "one result per line");
        let mut batch_out: Vec<String> =
            prepared.iter().map(|(k, _)| format!("{:?}", got[*k])).collect();
        stream_out.sort();
        batch_out.sort();
        assert_eq!(stream_out, batch_out, "streaming differs from the batch");
        assert_eq!(streamed.booked_lines(), self.atp.booked_lines(), "streamed bookings");
        let batch_state = self.snapshot();
        std::mem::swap(&mut self.atp, &mut streamed);
        let stream_state = self.snapshot();
        std::mem::swap(&mut self.atp, &mut streamed);
        assert!(stream_state == batch_state, "streaming left different availability");
        for ((line, e), g) in lines.into_iter().zip(expected).zip(got) {
            expect_outcome("allocate_batch", &e, &g);
            if let (Ok(p), Ok((item, qty))) = (g, e) {
                assert_eq!(self.atp.booked(line.id).as_ref(), Some(&p), "booked promise");
                self.fresh(&line, item, &p);
                self.book_line(line, item, qty, claim);
            }
        }
    }

    fn round_trip(&mut self, spec: &LineSpec) {
        let (line, expected) = self.line(spec);
        if !self.checks.has(Checks::ROUND_TRIP)
            || expected.is_err()
            || self.book.contains_key(&line.id)
        {
            return;
        }
        let before = self.snapshot();
        let dry = self.atp.promise(&line).expect("a dry run of a valid line");
        let p = self.atp.allocate(&line, Claim::Hard).expect("a valid line");
        assert_eq!(dry, p, "the dry run of {line:?} differs from its allocation");
        self.atp.release(line.id).expect("release of a booked line");
        assert!(self.snapshot() == before, "releasing {line:?} did not restore availability");
        let again = self.atp.promise(&line).expect("a dry run of a valid line");
        assert_eq!(dry, again, "after releasing {line:?}, promising it again differs");
    }

    fn release(&mut self, pick: u8) {
        let id = self.pick(pick);
        let expected = if self.book.contains_key(&id) { Ok(()) } else { Err(ErrKind::UnknownLine) };
        let got = self.atp.release(id);
        expect_outcome("release", &expected, &got);
        if got.is_ok() {
            self.book.remove(&id);
        }
    }

    fn reduce(&mut self, pick: u8, how: ReduceSpec) {
        let id = self.pick(pick);
        let Some(b) = self.book.get(&id) else {
            let got = self.atp.reduce(id, Decimal::ONE);
            expect_outcome::<(), ()>("reduce", &Err(ErrKind::UnknownLine), &got);
            return;
        };
        let item = b.item;
        let before = self.atp.booked(id).expect("booked");
        let scale = self.world.items[item].scale;
        let conf = before.confirmed;
        let step = Decimal::new(1, scale);
        let (cut, expected) = match how {
            ReduceSpec::Percent(p) => (
                (conf * Decimal::from(p.min(100)) / Decimal::from(100))
                    .round_dp_with_strategy(scale, RoundingStrategy::ToZero),
                Ok(()),
            ),
            ReduceSpec::Over => (conf + step, Err(ErrKind::InvalidClaim)),
            ReduceSpec::Fine => {
                (conf / Decimal::from(2) + step / Decimal::from(10), Err(ErrKind::NotRepresentable))
            }
        };
        let expected = if expected.is_ok() && self.steps(item, cut).is_none() {
            Err(ErrKind::NotRepresentable)
        } else {
            expected
        };
        let got = self.atp.reduce(id, cut);
        expect_outcome("reduce", &expected, &got);
        let after = self.atp.booked(id).expect("still booked");
        if got.is_err() {
            assert_eq!(before, after, "a refused reduction changed {id}");
            return;
        }
        if self.checks.has(Checks::CONSERVATION) {
            assert_eq!(after.confirmed, conf - cut, "reducing {id} by {cut}");
        }
        if self.checks.has(Checks::SPLITS) {
            // Only quantities go down, latest schedule lines first.
            let agg = |p: &Promise| {
                let mut m: BTreeMap<(i64, i64, usize, usize), Decimal> = BTreeMap::new();
                for l in &p.schedule {
                    *m.entry((
                        offset(l.delivery),
                        offset(l.available_on),
                        l.site.index(),
                        l.item.index(),
                    ))
                    .or_default() += l.qty;
                }
                m
            };
            let (old, new) = (agg(&before), agg(&after));
            for (k, q) in &new {
                assert!(old.get(k).is_some_and(|o| q <= o), "reducing {id} added {k:?}");
            }
            let cut_keys: Vec<_> = old
                .iter()
                .filter(|(k, q)| new.get(k).is_none_or(|n| n < *q))
                .map(|(k, _)| *k)
                .collect();
            for k in new.keys() {
                for c in &cut_keys {
                    assert!(
                        (k.0, k.1) <= (c.0, c.1),
                        "reducing {id} cut {c:?} before the later {k:?}: {before:?} -> {after:?}"
                    );
                }
            }
        }
        if cut > Decimal::ZERO {
            self.book.get_mut(&id).expect("booked").reduced = true;
        }
    }

    fn make_hard(&mut self, pick: u8) {
        let id = self.pick(pick);
        let expected = match self.book.get(&id).map(|b| b.claim) {
            None => Err(ErrKind::UnknownLine),
            Some(Claim::Hard) => Err(ErrKind::InvalidClaim),
            Some(Claim::Soft { .. }) => Ok(()),
        };
        let got = self.atp.make_hard(id);
        expect_outcome("make_hard", &expected, &got);
        if got.is_ok() {
            self.book.get_mut(&id).expect("booked").claim = Claim::Hard;
        }
    }

    fn sweep(&mut self, hours: i16) {
        let now = instant(self.today * 24 + i64::from(hours));
        let mut expected: Vec<(DateTime<Utc>, LineId)> = self
            .book
            .iter()
            .filter_map(|(id, b)| match b.claim {
                Claim::Soft { expires } if expires <= now => Some((expires, *id)),
                _ => None,
            })
            .collect();
        expected.sort();
        let expected: Vec<LineId> = expected.into_iter().map(|(_, id)| id).collect();
        let got = self.atp.sweep(now);
        if self.checks.has(Checks::SWEEP) {
            assert_eq!(got, expected, "sweep at {now}");
        }
        for id in got {
            assert!(self.book.remove(&id).is_some(), "sweep released unknown {id}");
        }
    }

    fn promises(&self) -> Vec<(LineId, Promise)> {
        self.atp
            .booked_lines()
            .into_iter()
            .map(|id| (id, self.atp.booked(id).expect("booked")))
            .collect()
    }

    fn reprocess(&mut self, fair: bool) {
        let before = self.promises();
        let snap = self.snapshot();
        let sharing =
            if fair { onhand_atp::Sharing::FairShare } else { onhand_atp::Sharing::FirstCome };
        let sim = self.atp.reprocess(Mode::Simulate, sharing);
        if self.checks.has(Checks::SIMULATE) {
            assert!(!sim.applied, "a simulation says it applied");
            assert!(self.snapshot() == snap, "a simulation changed availability");
            assert_eq!(self.promises(), before, "a simulation changed booked promises");
        }
        let run = self.atp.reprocess(Mode::Apply, sharing);
        if fair {
            self.fair_ran = true;
        }
        let after = self.promises();
        if self.checks.has(Checks::SIMULATE) {
            assert!(run.applied);
            assert_eq!(run.promises, sim.promises, "simulated and applied promises differ");
            assert_eq!(run.changes, sim.changes, "simulated and applied changes differ");
        }
        if self.checks.has(Checks::STRATEGIES) {
            let promises: Vec<Promise> = after.iter().map(|(_, p)| p.clone()).collect();
            assert_eq!(run.promises, promises, "the run's promises are not the booked ones");
            let mut changes = Vec::new();
            for ((id, old), (_, new)) in before.iter().zip(&after) {
                let b = &self.book[id];
                let last = |p: &Promise| p.schedule.iter().map(|s| s.delivery).max();
                if old.confirmed != new.confirmed || last(old) != last(new) {
                    changes.push(Change {
                        line: *id,
                        strategy: b.line.strategy,
                        before: old.confirmed,
                        after: new.confirmed,
                        before_delivery: last(old),
                        after_delivery: last(new),
                    });
                }
                match b.line.strategy {
                    Strategy::Gain => {
                        assert!(new.confirmed >= old.confirmed, "gain line {id} lost");
                    }
                    Strategy::Fill => {
                        assert!(new.confirmed <= old.confirmed, "fill line {id} gained");
                    }
                    Strategy::Lose => assert!(new.confirmed.is_zero(), "lose line {id} kept some"),
                    Strategy::Win | Strategy::Redistribute => {}
                }
            }
            assert_eq!(run.changes, changes, "the diff does not match the promises");
        }
        self.reconcile();
        self.check_invariants();
        let again = self.atp.reprocess(Mode::Apply, sharing);
        if self.checks.has(Checks::REPROCESS_TWICE) {
            assert_eq!(
                again.changes,
                vec![],
                "re-processing (fair share: {fair}) twice changed lines"
            );
            // The same promises, schedules and all (a fill line keeps its schedule); only
            // the reasons may differ, as they describe the run that made the promise (a
            // win line with nothing met other lines' older promises in the first run).
            let outcome = |ps: &[Promise]| -> Vec<_> {
                ps.iter()
                    .map(|p| (p.line, p.confirmed, p.unconfirmed, p.on_time, p.schedule.clone()))
                    .collect()
            };
            assert_eq!(
                outcome(&again.promises),
                outcome(&run.promises),
                "re-processing twice changed promises"
            );
        }
    }

    fn advance(&mut self, days: i8) {
        let to = self.today + i64::from(days);
        let expected = if days < 0 { Err(ErrKind::InvalidConfig) } else { Ok(()) };
        let got = self.atp.advance_to(date(to));
        expect_outcome("advance_to", &expected, &got);
        if got.is_ok() {
            self.today = to;
        }
    }

    // ---- invariants ----------------------------------------------------------------

    /// Remembers when each unit of each schedule line was first seen.
    fn reconcile(&mut self) {
        let step = self.step;
        let ids = self.booked();
        for id in ids {
            let p =
                self.atp.booked(id).unwrap_or_else(|| panic!("{id} is not booked in the engine"));
            let mut agg: BTreeMap<Key, i128> = BTreeMap::new();
            for l in &p.schedule {
                let item = l.item.index();
                let units = self.steps(item, l.qty).expect("whole steps");
                let key = (item, l.site.index(), offset(l.available_on), offset(l.delivery));
                *agg.entry(key).or_default() += units;
            }
            let b = self.book.get_mut(&id).expect("booked");
            let mut recs = BTreeMap::new();
            for (key, q) in agg {
                let mut old = b.recs.remove(&key).unwrap_or_default();
                let total: i128 = old.iter().map(|r| r.qty).sum();
                if q <= total {
                    let mut excess = total - q;
                    while excess > 0 {
                        let last = old.last_mut().expect("records");
                        let c = excess.min(last.qty);
                        last.qty -= c;
                        excess -= c;
                        if last.qty == 0 {
                            old.pop();
                        }
                    }
                } else {
                    old.push(Rec { qty: q - total, step });
                }
                recs.insert(key, old);
            }
            b.recs = recs;
        }
    }

    /// Checks a promise just made.
    fn fresh(&self, line: &OrderLine, item: usize, p: &Promise) {
        if self.checks.has(Checks::LEAD_TIMES) {
            for l in &p.schedule {
                assert!(
                    offset(l.available_on) >= self.today,
                    "{} available on {} before today {}",
                    line.id,
                    l.available_on,
                    date(self.today)
                );
            }
        }
        if self.checks.has(Checks::SPLITS) {
            let min = line.min_split.map_or(1, |m| self.steps(item, m.value()).unwrap_or(1).max(1));
            let requested = self.decimal(item, self.steps(item, p.requested).unwrap_or(0));
            assert!(p.schedule.len() <= onhand_atp::MAX_SCHEDULE_LINES, "too many lines");
            if line.allow_split {
                for l in &p.schedule {
                    let covers = self.covers(item, l.item.index(), l.qty);
                    assert!(
                        covers >= min || p.confirmed == requested,
                        "{}: a schedule line of {} under the minimum split {min} and the line is short: {p:?}",
                        line.id,
                        l.qty
                    );
                }
            }
        }
    }

    fn covers(&self, item: usize, shipped: usize, qty: Decimal) -> i128 {
        let ratio = if shipped == item {
            Decimal::ONE
        } else {
            self.world.items[item]
                .subs
                .iter()
                .find(|(s, _)| *s == shipped)
                .map_or(Decimal::ONE, |(_, r)| *r)
        };
        self.steps(item, qty / ratio).unwrap_or(0)
    }

    fn check_invariants(&self) {
        // The engine's booked lines are the model's, in serve order, held as the model says.
        let engine = self.atp.booked_lines();
        let mut expected: Vec<(u8, NaiveDate, u64, LineId)> = self
            .book
            .values()
            .map(|b| (b.line.priority, b.line.requested, b.line.seq, b.line.id))
            .collect();
        expected.sort();
        let expected: Vec<LineId> = expected.into_iter().map(|k| k.3).collect();
        assert_eq!(engine, expected, "booked lines in serve order");
        for (id, b) in &self.book {
            assert_eq!(self.atp.claim(*id), Some(b.claim), "claim of {id}");
            let p = self.atp.booked(*id).expect("booked");
            self.check_line(b, &p);
        }
        if self.checks.has(Checks::OVER_ALLOCATION) {
            self.check_over_allocation();
        }
        if self.checks.has(Checks::PROTECTION) {
            self.check_protection();
        }
        if self.checks.has(Checks::QUOTAS) {
            self.check_quotas();
        }
    }

    fn check_line(&self, b: &Booking, p: &Promise) {
        let id = b.line.id;
        let item = b.item;
        if self.checks.has(Checks::CONSERVATION) {
            let requested = self.decimal(item, b.qty);
            assert_eq!(p.requested, requested, "{id} requested");
            assert_eq!(p.confirmed + p.unconfirmed, p.requested, "{id}: confirmed + unconfirmed");
            assert!(p.confirmed >= Decimal::ZERO && p.unconfirmed >= Decimal::ZERO, "{id}: {p:?}");
            let covered: i128 =
                p.schedule.iter().map(|l| self.covers(item, l.item.index(), l.qty)).sum();
            assert_eq!(
                self.decimal(item, covered),
                p.confirmed,
                "{id}: the schedule covers the confirmation"
            );
            assert!(
                p.schedule.iter().all(|l| l.qty > Decimal::ZERO),
                "{id}: an empty schedule line"
            );
            let on_time = p.confirmed == p.requested
                && p.schedule.iter().all(|l| l.delivery <= b.line.requested);
            assert_eq!(p.on_time, on_time, "{id}: on time");
        }
        if self.checks.has(Checks::LEAD_TIMES) {
            for l in &p.schedule {
                let lead = self.world.lead(l.site.index(), &b.line.ship_to);
                let lead = lead.unwrap_or_else(|| {
                    panic!("{id} ships from a site not delivering to its region: {p:?}")
                });
                assert_eq!(
                    offset(l.delivery) - offset(l.available_on),
                    lead,
                    "{id}: delivery minus availability is handling plus transit"
                );
                let shipped = l.item.index();
                if shipped != item {
                    assert!(
                        b.line.allow_substitutes
                            && self.world.items[item].subs.iter().any(|(s, _)| *s == shipped),
                        "{id} ships an item that is not its substitute"
                    );
                    assert!(l.delivery <= b.line.requested, "{id}: a substitute confirmed late");
                }
            }
        }
        if self.checks.has(Checks::SPLITS) && !self.fair_ran && !b.reduced && !b.line.allow_split {
            assert!(p.schedule.len() <= 1, "{id} allows no split but has {p:?}");
            assert!(
                p.confirmed.is_zero() || p.confirmed == p.requested,
                "{id} allows no split but is partly confirmed: {p:?}"
            );
        }
    }

    /// Item-sites with supply, schedule lines or protection.
    fn item_sites(&self) -> BTreeSet<(usize, usize)> {
        let mut out: BTreeSet<(usize, usize)> = self.supply.keys().copied().collect();
        out.extend(self.protection.keys().copied());
        for b in self.book.values() {
            out.extend(b.recs.keys().map(|(i, s, _, _)| (*i, *s)));
        }
        out
    }

    /// Days on which an item-site's balance may change, from today on.
    fn days(&self, item: usize, site: usize) -> BTreeSet<i64> {
        let mut days = BTreeSet::from([self.today]);
        if let Some(s) = self.supply.get(&(item, site)) {
            days.extend(s.receipts.iter().map(|(d, _)| *d).filter(|d| *d > self.today));
        }
        for b in self.book.values() {
            days.extend(
                b.recs
                    .keys()
                    .filter(|(i, s, d, _)| *i == item && *s == site && *d > self.today)
                    .map(|k| k.2),
            );
        }
        days
    }

    /// Schedule units at an item-site that count for a check: taken after `since`, not
    /// beyond today's fence, from lines `filter` accepts. (day, qty). A line confirmed
    /// beyond the fence against assumed supply counts once the fence passes it: moving
    /// today re-checks it against real supply.
    fn counted(
        &self,
        item: usize,
        site: usize,
        since: u64,
        filter: impl Fn(&Booking) -> bool,
    ) -> Vec<(i64, i128)> {
        let mut out = Vec::new();
        let fence = self.fence();
        for b in self.book.values().filter(|b| filter(b)) {
            for ((i, s, d, _), recs) in &b.recs {
                if *i == item && *s == site {
                    out.extend(
                        recs.iter().filter(|r| r.step > since && *d < fence).map(|r| (*d, r.qty)),
                    );
                }
            }
        }
        out
    }

    fn check_over_allocation(&self) {
        for (item, site) in self.item_sites() {
            let since = self.lowered.get(&(item, site)).copied().unwrap_or(0);
            let taken = self.counted(item, site, since, |_| true);
            let supply = self.supply.get(&(item, site)).cloned().unwrap_or_default();
            for t in self.days(item, site) {
                let out: i128 = taken.iter().filter(|(d, _)| *d <= t).map(|(_, q)| q).sum();
                assert!(
                    supply.at(t) >= out,
                    "over-allocated: {} at {} on {}: supply {} < confirmed {out}\n{}",
                    self.world.items[item].code,
                    self.world.sites[site].0,
                    date(t),
                    supply.at(t),
                    self.describe(item, site)
                );
            }
        }
    }

    fn check_protection(&self) {
        for ((item, site), p) in &self.protection {
            if p.up_to == 0 || p.qty <= 0 {
                continue;
            }
            let since = p.since.max(self.lowered.get(&(*item, *site)).copied().unwrap_or(0));
            let low = self.counted(*item, *site, since, |b| b.line.priority > p.up_to);
            let supply = self.supply.get(&(*item, *site)).cloned().unwrap_or_default();
            for t in self.days(*item, *site) {
                let out: i128 = low.iter().filter(|(d, _)| *d <= t).map(|(_, q)| q).sum();
                assert!(
                    out == 0 || supply.at(t) - out >= p.qty,
                    "protected stock taken: {} at {} on {}: supply {} − less urgent {out} < protected {} (up to priority {})\n{}",
                    self.world.items[*item].code,
                    self.world.sites[*site].0,
                    date(t),
                    supply.at(t),
                    p.qty,
                    p.up_to,
                    self.describe(*item, *site)
                );
            }
        }
    }

    fn check_quotas(&self) {
        let Some(q) = &self.quotas else { return };
        for (item, loaded) in &q.rules {
            // Capacities as the engine has them now: from the current supply.
            let rule = &self.capacities(
                *item,
                &loaded.starts,
                loaded.cumulative,
                &loaded.patterns,
                &loaded.amounts,
                loaded.supply.clone(),
            );
            let mut used = vec![vec![0i128; rule.starts.len()]; rule.caps.len()];
            let mut fresh = BTreeSet::new();
            for b in self.book.values() {
                let Some(bucket) = rule.bucket(&b.line.class) else { continue };
                for ((i, _, d, _), recs) in &b.recs {
                    if i != item {
                        continue;
                    }
                    let p = rule.period(*d);
                    for r in recs {
                        used[bucket][p] += r.qty;
                        if r.step == self.step {
                            fresh.insert((bucket, p));
                        }
                    }
                }
            }
            let all: Vec<(usize, usize)> = (0..rule.caps.len())
                .flat_map(|b| (0..rule.starts.len()).map(move |p| (b, p)))
                .collect();
            // Lowering supply can leave earlier bookings over a shrunken capacity: the
            // engine does not take confirmations back, so only new use is checked then.
            let lowered =
                self.lowered.iter().any(|((i, _), step)| i == item && *step >= loaded.since);
            let which: Vec<(usize, usize)> =
                if q.global && !lowered { all } else { fresh.into_iter().collect() };
            for (bucket, p) in which {
                if let Err(e) = rule.within(&used[bucket], bucket, p) {
                    panic!(
                        "quota of {} exceeded: {e}\ncaps {:?}\nused {used:?}\nrule {rule:?}",
                        self.world.items[*item].code, rule.caps
                    );
                }
            }
        }
    }

    fn describe(&self, item: usize, site: usize) -> String {
        let mut s = format!(
            "today {}, supply {:?}, protection {:?}\n",
            self.today,
            self.supply.get(&(item, site)),
            self.protection.get(&(item, site))
        );
        for (id, b) in &self.book {
            for ((i, st, d, dl), recs) in &b.recs {
                if *i == item && *st == site {
                    let _ = writeln!(
                        s,
                        "  {id} prio {} on {d} (delivery {dl}): {recs:?}",
                        b.line.priority
                    );
                }
            }
        }
        s
    }
}
