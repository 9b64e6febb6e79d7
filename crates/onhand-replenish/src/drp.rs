//! Distribution requirements planning across a multi-echelon network, and fair-share
//! allocation of short supply.
//!
//! Each [`DrpNode`] is one item at one site with its gross requirements (forecast) per
//! period, scheduled receipts, stock on hand, safety stock, lead time in periods and lot
//! sizing; its `source`, when another node of the plan, is the central site that
//! supplies it. Sites are planned children first: a child's planned order releases are
//! gross requirements of its source in the same period (the DRP record of Martin,
//! *Distribution Resource Planning*, and Vollmann et al., *Manufacturing Planning and
//! Control for Supply Chain Management*, ch. "Distribution requirements planning"):
//!
//! - projected on hand `P(t) = P(t−1) + scheduled(t) + planned receipt(t) − gross(t)`;
//! - a net requirement arises when `P(t)` would fall below safety stock; the planned
//!   receipt covers it by the lot-sizing rule; its release is `lead` periods earlier
//!   (before period 0: past due, which the source must supply in period 0).
//!
//! A **constrained** source cannot plan receipts of its own (its supply is what it has
//! and what is scheduled). When it cannot cover its own demand and its children's
//! releases in a period, its own demand is served first and the rest is shared by
//! [`fair_share`] (in steps of the finest decimal the figures are written to): each child
//! gets enough for equal days of supply, and the children's
//! receipts (and projections) are cut to match, with the shortfall reported. A child's
//! releases already past due claim in the first period with its first release, and are
//! served first (they arrive first); what the source cannot give of them is cut from the
//! child's latest receipts before `lead`, and its `past_due` is what it gets.

use std::collections::BTreeMap;

use onhand_master::{RoundingMode, SiteCode};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Bound, Field, ReplenishError};
use crate::exact::Exact;
use crate::policy::to_multiple;

type Res<T> = Result<T, ReplenishError>;

/// How a planned receipt is sized from a net requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LotSizing {
    /// Exactly the net requirement.
    LotForLot,
    /// Multiples of a fixed lot, as many as needed.
    FixedLot(#[serde(with = "onhand_master::decimal::serde_str")] Decimal),
    /// At least `min`, in multiples of `multiple`.
    MinMultiple {
        /// The minimum.
        #[serde(with = "onhand_master::decimal::serde_str")]
        min: Decimal,
        /// The multiple.
        #[serde(with = "onhand_master::decimal::serde_str")]
        multiple: Decimal,
    },
}

/// One item at one site in a DRP run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrpNode {
    /// The site.
    pub site: SiteCode,
    /// The node that supplies it (`None`: a supplier outside the plan).
    pub source: Option<SiteCode>,
    /// Stock on hand at the start.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub on_hand: Decimal,
    /// Safety stock.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub safety_stock: Decimal,
    /// Lead time in periods.
    pub lead_periods: u32,
    /// Lot sizing.
    pub lot: LotSizing,
    /// Gross requirements (forecast) per period.
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::vec")]
    pub gross: Vec<Decimal>,
    /// Scheduled receipts per period.
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::vec")]
    pub scheduled: Vec<Decimal>,
    /// Days per period (for days of supply in fair share).
    pub period_days: u32,
    /// Whether the site cannot plan receipts of its own.
    pub constrained: bool,
}

/// The DRP record of one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrpRecord {
    /// The site.
    pub site: SiteCode,
    /// Gross requirements: its own plus its children's planned releases.
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::vec")]
    pub gross: Vec<Decimal>,
    /// Scheduled receipts.
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::vec")]
    pub scheduled: Vec<Decimal>,
    /// Projected on hand at the end of each period.
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::vec")]
    pub projected: Vec<Decimal>,
    /// Net requirements.
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::vec")]
    pub net: Vec<Decimal>,
    /// Planned order receipts.
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::vec")]
    pub planned_receipts: Vec<Decimal>,
    /// Planned order releases (lead time earlier).
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::vec")]
    pub planned_releases: Vec<Decimal>,
    /// Releases that fall before the first period.
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    pub past_due: Decimal,
    /// What a constrained source could not give, per period.
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::vec")]
    pub shortfall: Vec<Decimal>,
}

/// A claim on short supply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FairClaim {
    /// Stock the claimant has.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub on_hand: Decimal,
    /// Its demand per day.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub daily_demand: Decimal,
    /// The most it may get (`None`: no cap; `Some(0)`: nothing).
    #[serde(default, with = "onhand_master::decimal::serde_str::option")]
    pub requested: Option<Decimal>,
}

/// What [`fair_share`] gives: a share per claim, and the days of supply the sharing
/// levelled the claims to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FairShare {
    /// One share per claim, in the claims' order.
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::vec")]
    pub shares: Vec<Decimal>,
    /// The common days of supply `D` the claims with demand were levelled to: the level
    /// at which each, given `clamp(D x daily demand - on hand, 0, cap)`, would take the
    /// supply exactly; the shares in whole steps are the max-min fair rounding around
    /// it (a claim above `D` before sharing gets nothing). `None` when the supply was
    /// not short for the claims with demand (every one of them got its cap) or none has
    /// demand.
    #[serde(default, deserialize_with = "onhand_master::decimal::serde_str::option::deserialize")]
    pub days_of_supply: Option<Decimal>,
}

/// The most periods a DRP run covers (about 27 years of days).
pub const MAX_PERIODS: usize = 10_000;

/// The most cells (periods x nodes) a DRP run covers: its records hold seven figures a
/// cell (about 120 bytes), so a run at the limit returns about 120 MB. A larger plan is
/// refused with [`ReplenishError::PlanTooLarge`]; plan it in parts (by item).
pub const MAX_CELLS: usize = 1_000_000;

/// The largest figure DRP and fair share take (10^20): sums over many periods and
/// claims then stay within the decimal range.
pub const LIMIT: Decimal = Decimal::from_parts(1_661_992_960, 1_808_227_885, 5, false, 0);

fn floor_to(v: Decimal, step: Decimal) -> Res<Decimal> {
    to_multiple(v, step, RoundingMode::Down)
}

/// Shares `supply` among `claims` so each claim with demand reaches the same days of
/// supply (`(on hand + share) / daily demand`), never giving more than its cap, in whole
/// `step`s; claims without demand are served last, in order. When every claim is capped
/// and the caps add up to no more than `supply`, each gets its cap exactly.
///
/// The shares are max-min fair to the step: they are the first steps handed out by
/// giving one step at a time to the claim with the fewest days of supply that can take
/// it (the earlier claim on ties), without handing them out one by one. The shares never
/// add up to more than `supply`; less than a step is left over unless every claim with
/// demand is at its cap. Cost: `O(n log n)` for `n` claims.
///
/// ```
/// use onhand_replenish::{fair_share, FairClaim};
/// use rust_decimal::Decimal;
/// let c = |on_hand: i64, daily: i64| FairClaim {
///     on_hand: on_hand.into(), daily_demand: daily.into(), requested: None };
/// // 600 for two sites: A has 100 and sells 50 a day, B has 500 and sells 100 a day.
/// // Equal days of supply D: (100 + a)/50 = (500 + b)/100 with a + b = 600 -> D = 8.
/// let shared = fair_share(Decimal::from(600), &[c(100, 50), c(500, 100)], Decimal::ONE)?;
/// assert_eq!(shared.shares, [Decimal::from(300), Decimal::from(300)]);
/// assert_eq!(shared.days_of_supply, Some(Decimal::from(8)));
/// # Ok::<(), onhand_replenish::ReplenishError>(())
/// ```
///
/// # Errors
/// [`ReplenishError::InvalidInput`] for a negative supply, demand or cap, a figure
/// beyond [`LIMIT`], or a step that is not positive (the first such figure, in the
/// order step, supply, then each claim's on hand, demand and cap); [`ReplenishError::Overflow`] for
/// days of supply beyond the decimal range (a tiny demand against a large stock), or a
/// share that needs more than 28 digits to write exactly (a step far finer than the
/// figures), which would otherwise be rounded.
pub fn fair_share(supply: Decimal, claims: &[FairClaim], step: Decimal) -> Res<FairShare> {
    if step <= Decimal::ZERO {
        return Err(ReplenishError::input(Field::Step, Bound::Positive, step));
    }
    within_limit(Field::Step, step)?;
    if supply < Decimal::ZERO {
        return Err(ReplenishError::input(Field::Supply, Bound::NotNegative, supply));
    }
    within_limit(Field::Supply, supply)?;
    for c in claims {
        // On hand may be negative (a backorder): only its size is bounded.
        within_limit(Field::OnHand, c.on_hand)?;
        for (field, v) in
            [(Field::DailyDemand, Some(c.daily_demand)), (Field::Requested, c.requested)]
        {
            if let Some(v) = v {
                if v < Decimal::ZERO {
                    return Err(ReplenishError::input(field, Bound::NotNegative, v));
                }
                within_limit(field, v)?;
            }
        }
    }
    let ov = || ReplenishError::Overflow("fair share");
    // Every claim capped, and the caps fit: each gets what it asked.
    let caps: Option<Vec<Decimal>> = claims.iter().map(|c| c.requested).collect();
    if let Some(caps) = &caps {
        let asked = caps.iter().try_fold(Decimal::ZERO, |a, c| a.add_x(*c)).ok_or_else(ov)?;
        if asked <= supply {
            return Ok(FairShare { shares: caps.clone(), days_of_supply: None });
        }
    }
    // In steps from here: `total` steps to hand out, `cap[i]` steps at most per claim.
    let total = floor_to(supply, step)?.checked_div(step).ok_or_else(ov)?;
    let cap: Vec<Option<Decimal>> = claims
        .iter()
        .map(|c| {
            c.requested.map(|r| floor_to(r, step).and_then(|r| r.checked_div(step).ok_or_else(ov)))
        })
        .map(Option::transpose)
        .collect::<Res<_>>()?;
    let demanding: Vec<usize> = (0..claims.len())
        .filter(|k| claims.get(*k).is_some_and(|c| c.daily_demand > Decimal::ZERO))
        .collect();
    let mut steps = vec![Decimal::ZERO; claims.len()];
    // The caps of the claims with demand, when all of them are capped.
    let demand_caps = demanding
        .iter()
        .map(|k| cap.get(*k).copied().flatten())
        .try_fold(Decimal::ZERO, |a, c| c.and_then(|c| a.add_x(c)));
    let days_of_supply = if demand_caps.is_some_and(|c| c <= total) {
        for k in &demanding {
            if let (Some(s), Some(Some(c))) = (steps.get_mut(*k), cap.get(*k)) {
                *s = *c;
            }
        }
        None
    } else {
        let level =
            water_level(claims, &demanding, &cap, total.checked_mul(step).ok_or_else(ov)?, step)?;
        take_first_steps(claims, &demanding, &cap, &mut steps, total, level, step)?;
        Some(level.normalize())
    };
    // Exactly: a share rounded to 28 digits could take the total past the supply.
    let mut shares: Vec<Decimal> =
        steps.iter().map(|n| n.mul_x(step).ok_or_else(ov)).collect::<Res<_>>()?;
    // What the claims with demand leave goes to the others, in order.
    let mut left = supply
        .sub_x(shares.iter().try_fold(Decimal::ZERO, |a, s| a.add_x(*s)).ok_or_else(ov)?)
        .ok_or_else(ov)?;
    for (s, c) in shares.iter_mut().zip(claims) {
        if c.daily_demand > Decimal::ZERO || left < step {
            continue;
        }
        let give = floor_to(c.requested.map_or(left, |r| r.min(left)), step)?;
        *s = give;
        left = left.sub_x(give).ok_or_else(ov)?;
    }
    debug_assert!(left >= Decimal::ZERO, "fair share gave more than the supply");
    if left < Decimal::ZERO {
        // Never handed out: a share beyond the supply is an over-allocation.
        return Err(ov());
    }
    Ok(FairShare { shares, days_of_supply })
}

/// Days of supply of claim `c` holding `n` steps more.
fn days_at(c: &FairClaim, n: Decimal, step: Decimal) -> Res<Decimal> {
    let ov = || ReplenishError::Overflow("days of supply");
    n.checked_mul(step)
        .and_then(|s| c.on_hand.add_x(s))
        .and_then(|h| h.checked_div(c.daily_demand))
        .ok_or_else(ov)
}

/// The continuous level `D` at which the claims with demand, each given
/// `clamp(D d - on hand, 0, cap)`, take exactly `supply`: a sweep over the levels where a
/// claim starts taking (`on hand / d`) and reaches its cap (`(on hand + cap) / d`).
fn water_level(
    claims: &[FairClaim],
    demanding: &[usize],
    cap: &[Option<Decimal>],
    supply: Decimal,
    step: Decimal,
) -> Res<Decimal> {
    let ov = || ReplenishError::Overflow("days of supply");
    // (level, 0 = starts / 1 = capped, claim)
    let mut events = Vec::with_capacity(demanding.len() * 2);
    for &k in demanding {
        let Some(c) = claims.get(k) else { continue };
        events.push((days_at(c, Decimal::ZERO, step)?, 0u8, k));
        if let Some(Some(n)) = cap.get(k) {
            events.push((days_at(c, *n, step)?, 1u8, k));
        }
    }
    events.sort_unstable();
    // Taken at level L: capped + L x slope - offset (over the claims taking).
    let (mut capped, mut slope, mut offset) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    // The sums round (a level is a rounded quotient anyway): they only place the level,
    // and the steps are settled exactly from it.
    let solve = |capped: Decimal, slope: Decimal, offset: Decimal| {
        supply
            .checked_sub(capped)
            .and_then(|x| x.checked_add(offset))
            .and_then(|x| if slope > Decimal::ZERO { x.checked_div(slope) } else { None })
    };
    let mut last = Decimal::ZERO;
    for (level, kind, k) in events {
        let Some(c) = claims.get(k) else { continue };
        if slope > Decimal::ZERO {
            let taken = level
                .checked_mul(slope)
                .and_then(|x| x.checked_sub(offset))
                .and_then(|x| x.checked_add(capped))
                .ok_or_else(ov)?;
            if taken >= supply {
                return solve(capped, slope, offset).ok_or_else(ov);
            }
        }
        last = level;
        if kind == 0 {
            slope = slope.checked_add(c.daily_demand).ok_or_else(ov)?;
            offset = offset.checked_add(c.on_hand).ok_or_else(ov)?;
        } else {
            slope = slope.checked_sub(c.daily_demand).ok_or_else(ov)?;
            offset = offset.checked_sub(c.on_hand).ok_or_else(ov)?;
            let n = cap.get(k).copied().flatten().unwrap_or_default();
            capped = capped.checked_add(n.checked_mul(step).ok_or_else(ov)?).ok_or_else(ov)?;
        }
    }
    // Past the last event only uncapped claims take; with none left (rounding), the
    // last level is where the supply ran out.
    Ok(solve(capped, slope, offset).unwrap_or(last))
}

/// Gives the claims with demand the first `total` steps in the order one-at-a-time
/// levelling would hand them out: by the days of supply a claim has before the step,
/// then the claim's position. Starts from every step whose claim is below `level`
/// (a prefix of that order), then drops the last or adds the next until `total`.
fn take_first_steps(
    claims: &[FairClaim],
    demanding: &[usize],
    cap: &[Option<Decimal>],
    steps: &mut [Decimal],
    total: Decimal,
    level: Decimal,
    step: Decimal,
) -> Res<()> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let ov = || ReplenishError::Overflow("fair share");
    let mut given = Decimal::ZERO;
    for &k in demanding {
        let (Some(c), Some(s)) = (claims.get(k), steps.get_mut(k)) else { continue };
        // Steps taken while below `level`: ceil((level d - on hand) / step), within the cap.
        let x = level
            .checked_mul(c.daily_demand)
            .and_then(|x| x.checked_sub(c.on_hand))
            .and_then(|x| x.checked_div(step))
            .ok_or_else(ov)?
            .ceil()
            .max(Decimal::ZERO);
        *s = cap.get(k).copied().flatten().map_or(x, |n| x.min(n));
        given = given.add_x(*s).ok_or_else(ov)?;
    }
    // From a level placed exactly, fewer steps than there are claims are dropped or
    // added (each claim's count is rounded up by less than a step). The level is a
    // rounded quotient, which for any step the figures can carry is far closer than a
    // step; a step so fine that it is not would have these loops run on for as many
    // steps as the rounding missed (a fuzzed input ran for hours): refused instead.
    let mut budget = demanding.len().saturating_mul(4).saturating_add(64);
    let mut spend = || {
        budget = budget.checked_sub(1).ok_or_else(ov)?;
        Ok::<(), ReplenishError>(())
    };
    if given > total {
        // Drop the last steps handed out: the largest days of supply before the step.
        let mut last = BinaryHeap::new();
        for &k in demanding {
            let (Some(c), Some(s)) = (claims.get(k), steps.get(k)) else { continue };
            if *s > Decimal::ZERO {
                last.push((days_at(c, *s - Decimal::ONE, step)?, k));
            }
        }
        while given > total {
            spend()?;
            let Some((_, k)) = last.pop() else { break };
            let (Some(c), Some(s)) = (claims.get(k), steps.get_mut(k)) else { continue };
            *s -= Decimal::ONE;
            given -= Decimal::ONE;
            if *s > Decimal::ZERO {
                last.push((days_at(c, *s - Decimal::ONE, step)?, k));
            }
        }
    } else if given < total {
        // Hand out the next steps: the fewest days of supply first.
        let mut next = BinaryHeap::new();
        let room = |k: usize, s: Decimal| cap.get(k).copied().flatten().is_none_or(|n| s < n);
        for &k in demanding {
            let (Some(c), Some(s)) = (claims.get(k), steps.get(k)) else { continue };
            if room(k, *s) {
                next.push(Reverse((days_at(c, *s, step)?, k)));
            }
        }
        while given < total {
            spend()?;
            let Some(Reverse((_, k))) = next.pop() else { break };
            let (Some(c), Some(s)) = (claims.get(k), steps.get_mut(k)) else { continue };
            *s += Decimal::ONE;
            given += Decimal::ONE;
            if room(k, *s) {
                next.push(Reverse((days_at(c, *s, step)?, k)));
            }
        }
    }
    Ok(())
}

/// `v` if its magnitude is at most [`LIMIT`], else the [`ReplenishError::InvalidInput`]
/// for `field`.
fn within_limit(field: Field, v: Decimal) -> Res<Decimal> {
    if v.abs() > LIMIT { Err(ReplenishError::input(field, Bound::AtMost(LIMIT), v)) } else { Ok(v) }
}

fn lot(rule: LotSizing, net: Decimal) -> Res<Decimal> {
    let up = |v: Decimal, m: Decimal| -> Res<Decimal> {
        if m <= Decimal::ZERO {
            return Err(ReplenishError::input(Field::Lot, Bound::Positive, m));
        }
        to_multiple(v, m, RoundingMode::Up)
    };
    match rule {
        LotSizing::LotForLot => Ok(net),
        LotSizing::FixedLot(q) => up(net, q),
        LotSizing::MinMultiple { min, multiple } => up(net.max(min), multiple),
    }
}

fn at(v: &[Decimal], t: usize) -> Decimal {
    v.get(t).copied().unwrap_or_default()
}

/// Plans one node over `periods` with `gross` requirements: the record, with planned
/// receipts allowed unless `constrained`.
fn plan_node(node: &DrpNode, gross: Vec<Decimal>, periods: usize) -> Res<DrpRecord> {
    let ov = || ReplenishError::Overflow("a DRP figure");
    let mut rec = DrpRecord {
        site: node.site.clone(),
        gross,
        scheduled: (0..periods).map(|t| at(&node.scheduled, t)).collect(),
        projected: vec![Decimal::ZERO; periods],
        net: vec![Decimal::ZERO; periods],
        planned_receipts: vec![Decimal::ZERO; periods],
        planned_releases: vec![Decimal::ZERO; periods],
        past_due: Decimal::ZERO,
        shortfall: vec![Decimal::ZERO; periods],
    };
    let mut p = node.on_hand;
    for t in 0..periods {
        let before = p
            .add_x(at(&rec.scheduled, t))
            .and_then(|x| x.sub_x(at(&rec.gross, t)))
            .ok_or_else(ov)?;
        let mut end = before;
        if !node.constrained && before < node.safety_stock {
            let net = node.safety_stock.sub_x(before).ok_or_else(ov)?;
            let receipt = lot(node.lot, net)?;
            if let Some(x) = rec.net.get_mut(t) {
                *x = net;
            }
            if let Some(x) = rec.planned_receipts.get_mut(t) {
                *x = receipt;
            }
            let lead = usize::try_from(node.lead_periods).unwrap_or(usize::MAX);
            match t.checked_sub(lead) {
                Some(r) => {
                    if let Some(x) = rec.planned_releases.get_mut(r) {
                        *x = x.add_x(receipt).ok_or_else(ov)?;
                    }
                }
                None => rec.past_due = rec.past_due.add_x(receipt).ok_or_else(ov)?,
            }
            end = before.add_x(receipt).ok_or_else(ov)?;
        }
        if let Some(x) = rec.projected.get_mut(t) {
            *x = end;
        }
        p = end;
    }
    Ok(rec)
}

/// Plans every node over `periods`, children before their sources; records come back
/// in the order the nodes were given. Cost: linear in periods x nodes (plus
/// `n log n` in the nodes to index them, and fair sharing at constrained sources).
///
/// # Errors
/// [`ReplenishError::DuplicateSite`] for a repeated site,
/// [`ReplenishError::UnknownSource`] for a source not in the plan,
/// [`ReplenishError::SourceCycle`] for a cycle of sources,
/// [`ReplenishError::InvalidInput`] for negative figures or figures beyond [`LIMIT`] or
/// a lot that is not positive, [`ReplenishError::PlanTooLarge`] for more than
/// [`MAX_PERIODS`] periods or more than [`MAX_CELLS`] periods x nodes.
pub fn drp(periods: usize, nodes: &[DrpNode]) -> Res<Vec<DrpRecord>> {
    if periods > MAX_PERIODS || periods.saturating_mul(nodes.len()) > MAX_CELLS {
        return Err(ReplenishError::PlanTooLarge { periods, nodes: nodes.len() });
    }
    let mut by_site: BTreeMap<&SiteCode, usize> = BTreeMap::new();
    for (k, n) in nodes.iter().enumerate() {
        if by_site.insert(&n.site, k).is_some() {
            return Err(ReplenishError::DuplicateSite { site: n.site.clone() });
        }
    }
    // The source of each node, as an index.
    let mut parent: Vec<Option<usize>> = Vec::with_capacity(nodes.len());
    for n in nodes {
        match &n.source {
            None => parent.push(None),
            Some(s) => match by_site.get(s) {
                Some(p) => parent.push(Some(*p)),
                None => {
                    return Err(ReplenishError::UnknownSource {
                        site: n.site.clone(),
                        source_site: s.clone(),
                    });
                }
            },
        }
        let figures = || {
            [(Field::OnHand, n.on_hand), (Field::SafetyStock, n.safety_stock)]
                .into_iter()
                .chain(n.gross.iter().map(|v| (Field::GrossRequirement, *v)))
                .chain(n.scheduled.iter().map(|v| (Field::ScheduledReceipt, *v)))
        };
        if let Some((field, v)) = figures().find(|(_, v)| *v < Decimal::ZERO) {
            return Err(ReplenishError::input(field, Bound::NotNegative, v).at_site(&n.site));
        }
        let lot_size = match n.lot {
            LotSizing::LotForLot => Decimal::ZERO,
            LotSizing::FixedLot(q) => q,
            LotSizing::MinMultiple { min, multiple } => min.max(multiple),
        };
        for (field, v) in figures().chain(std::iter::once((Field::Lot, lot_size))) {
            within_limit(field, v).map_err(|e| e.at_site(&n.site))?;
        }
    }
    let order = children_first(&parent).map_err(|k| match nodes.get(k) {
        Some(n) => ReplenishError::SourceCycle { site: n.site.clone() },
        None => ReplenishError::Overflow("a node index"),
    })?;
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (c, p) in parent.iter().enumerate() {
        if let Some(list) = p.and_then(|p| children.get_mut(p)) {
            list.push(c);
        }
    }
    let mut records: Vec<Option<DrpRecord>> = vec![None; nodes.len()];
    for k in order {
        let (Some(node), Some(kids)) = (nodes.get(k), children.get(k)) else { continue };
        let rec = if node.constrained && !kids.is_empty() {
            allocate_constrained(node, kids, nodes, &mut records, periods)?
        } else {
            let mut gross: Vec<Decimal> = (0..periods).map(|t| at(&node.gross, t)).collect();
            for c in kids {
                if let Some(Some(r)) = records.get(*c) {
                    for (g, rel) in gross.iter_mut().zip(&r.planned_releases) {
                        *g = g.add_x(*rel).ok_or(ReplenishError::Overflow("a DRP figure"))?;
                    }
                    // Releases already past due are wanted now.
                    if let Some(g) = gross.first_mut() {
                        *g = g.add_x(r.past_due).ok_or(ReplenishError::Overflow("a DRP figure"))?;
                    }
                }
            }
            plan_node(node, gross, periods)?
        };
        if let Some(slot) = records.get_mut(k) {
            *slot = Some(rec);
        }
    }
    records.into_iter().map(|r| r.ok_or(ReplenishError::Overflow("a DRP record"))).collect()
}

/// The nodes in an order where every node comes after all of its children (deepest
/// first, then by position), or the index of a node on a cycle. Linear: each node's
/// depth is found once, walking up only to the first node already known.
fn children_first(parent: &[Option<usize>]) -> Result<Vec<usize>, usize> {
    const UNKNOWN: usize = usize::MAX;
    let mut depth = vec![UNKNOWN; parent.len()];
    let mut path = Vec::new();
    for start in 0..parent.len() {
        // Walk up to a node whose depth is known (or the top), then fill the path in.
        let mut at_node = Some(start);
        let mut base = 0usize;
        while let Some(k) = at_node {
            match depth.get(k).copied() {
                Some(UNKNOWN) => {
                    if path.len() > parent.len() {
                        return Err(k);
                    }
                    path.push(k);
                    at_node = parent.get(k).copied().flatten();
                }
                Some(d) => {
                    base = d + 1;
                    break;
                }
                None => break,
            }
        }
        for k in path.drain(..).rev() {
            if let Some(d) = depth.get_mut(k) {
                *d = base;
            }
            base += 1;
        }
    }
    let mut order: Vec<usize> = (0..parent.len()).collect();
    order.sort_by(|a, b| depth.get(*b).cmp(&depth.get(*a)).then(a.cmp(b)));
    Ok(order)
}

/// A node's own gross requirements over `periods`, per day.
fn average_daily(node: &DrpNode, periods: usize) -> Res<Decimal> {
    let horizon = Decimal::from(u64::try_from(periods.max(1)).unwrap_or(1));
    let demand = node
        .gross
        .iter()
        .take(periods)
        .try_fold(Decimal::ZERO, |a, g| a.add_x(*g))
        .ok_or(ReplenishError::Overflow("a DRP figure"))?;
    let days = Decimal::from(node.period_days.max(1));
    Ok(horizon.checked_mul(days).and_then(|t| demand.checked_div(t)).unwrap_or_default())
}

/// A constrained source: serves its own demand first, then shares what is left among
/// its children's releases period by period, cutting the children's receipts.
fn allocate_constrained(
    node: &DrpNode,
    children: &[usize],
    nodes: &[DrpNode],
    records: &mut [Option<DrpRecord>],
    periods: usize,
) -> Res<DrpRecord> {
    let ov = || ReplenishError::Overflow("a DRP figure");
    let own: Vec<Decimal> = (0..periods).map(|t| at(&node.gross, t)).collect();
    let mut rec = plan_node(node, own, periods)?;
    // Each child's average daily demand over the horizon, once.
    let daily: Vec<Decimal> = children
        .iter()
        .filter_map(|c| nodes.get(*c))
        .map(|child| average_daily(child, periods))
        .collect::<Res<_>>()?;
    // Cuts to each child's receipts, by the period they would have arrived in; the
    // child's projection is lowered by all cuts up to a period, applied at the end.
    let mut cuts: Vec<Vec<Decimal>> = vec![vec![Decimal::ZERO; periods]; children.len()];
    let mut cut_so_far = vec![Decimal::ZERO; children.len()];
    let mut p = node.on_hand;
    let mut claims = Vec::with_capacity(children.len());
    for t in 0..periods {
        let available = p
            .add_x(at(&rec.scheduled, t))
            .and_then(|x| x.sub_x(at(&node.gross, t)))
            .ok_or_else(ov)?
            .max(Decimal::ZERO);
        let own_short = at(&node.gross, t)
            .sub_x(p.add_x(at(&rec.scheduled, t)).ok_or_else(ov)?)
            .ok_or_else(ov)?
            .max(Decimal::ZERO);
        claims.clear();
        for (n, c) in children.iter().enumerate() {
            let (Some(child), Some(Some(r))) = (nodes.get(*c), records.get(*c)) else { continue };
            // Cuts arriving before `t` lower what the child holds at its start.
            if t > 0
                && let (Some(acc), Some(cut)) =
                    (cut_so_far.get_mut(n), cuts.get(n).map(|v| at(v, t - 1)))
            {
                *acc = acc.add_x(cut).ok_or_else(ov)?;
            }
            let on_hand = if t == 0 {
                child.on_hand
            } else {
                at(&r.projected, t - 1)
                    .sub_x(cut_so_far.get(n).copied().unwrap_or_default())
                    .ok_or_else(ov)?
            };
            claims.push(FairClaim {
                on_hand,
                daily_demand: daily.get(n).copied().unwrap_or_default(),
                // Releases already past due are wanted now, with the first period's.
                requested: Some(if t == 0 {
                    at(&r.planned_releases, t).add_x(r.past_due).ok_or_else(ov)?
                } else {
                    at(&r.planned_releases, t)
                }),
            });
        }
        let asked = claims
            .iter()
            .try_fold(Decimal::ZERO, |a, c| a.add_x(c.requested.unwrap_or_default()))
            .ok_or_else(ov)?;
        let supply = available.min(asked);
        let shared = fair_share(supply, &claims, share_step(supply, &claims))?;
        let mut given = Decimal::ZERO;
        for (n, (c, (claim, share))) in
            children.iter().zip(claims.iter().zip(&shared.shares)).enumerate()
        {
            given = given.add_x(*share).ok_or_else(ov)?;
            let cut = claim.requested.unwrap_or_default().sub_x(*share).ok_or_else(ov)?;
            if cut <= Decimal::ZERO {
                continue;
            }
            let lead = nodes.get(*c).map_or(0, |n| usize::try_from(n.lead_periods).unwrap_or(0));
            let cut_at = match records.get_mut(*c) {
                Some(Some(r)) => {
                    cut_child(r, t, lead, claim.requested.unwrap_or_default(), *share)?
                }
                _ => Vec::new(),
            };
            for (arrive, units) in cut_at {
                if let Some(x) = cuts.get_mut(n).and_then(|v| v.get_mut(arrive)) {
                    *x = x.add_x(units).ok_or_else(ov)?;
                }
            }
        }
        if let Some(g) = rec.gross.get_mut(t) {
            *g = g.add_x(given).ok_or_else(ov)?;
        }
        if let Some(s) = rec.shortfall.get_mut(t) {
            *s = own_short.add_x(asked.sub_x(given).ok_or_else(ov)?).ok_or_else(ov)?;
        }
        p = available.sub_x(given).ok_or_else(ov)?;
        if let Some(x) = rec.projected.get_mut(t) {
            *x = p;
        }
    }
    // Lower each child's projection by the cuts to date.
    for (c, cut) in children.iter().zip(&cuts) {
        let Some(Some(r)) = records.get_mut(*c) else { continue };
        let mut acc = Decimal::ZERO;
        for (x, cut) in r.projected.iter_mut().zip(cut) {
            acc = acc.add_x(*cut).ok_or_else(ov)?;
            *x = x.sub_x(acc).ok_or_else(ov)?;
        }
    }
    Ok(rec)
}

/// The step a constrained source shares `supply` in: the finest the figures are written
/// to (whole units for whole figures, 0.001 for figures in thousandths), so no remainder
/// a claim could take is kept back; coarser only where that many steps of `supply`
/// would not fit the decimal range.
fn share_step(supply: Decimal, claims: &[FairClaim]) -> Decimal {
    let scale = claims
        .iter()
        .filter_map(|c| c.requested)
        .chain(std::iter::once(supply))
        .map(|v| v.normalize().scale())
        .max()
        .unwrap_or(0);
    // At most 10^27 steps: the sums of fair share stay within the decimal range.
    let most = Decimal::from_i128_with_scale(10i128.pow(27), 0);
    let mut scale = scale.min(28);
    while scale > 0 && Decimal::new(1, scale).checked_mul(most).is_none_or(|room| supply > room) {
        scale -= 1;
    }
    Decimal::new(1, scale)
}

/// Cuts a child's record in period `t` to the `share` it gets of what it `requested`:
/// its release, and (in the first period) its past-due releases, which the share serves
/// first (they arrive first). Returns the receipts cut, each (arrival period, units); the
/// past-due cut comes off its latest receipts before `lead`.
fn cut_child(
    r: &mut DrpRecord,
    t: usize,
    lead: usize,
    requested: Decimal,
    share: Decimal,
) -> Res<Vec<(usize, Decimal)>> {
    let ov = || ReplenishError::Overflow("a DRP figure");
    let past_due = if t == 0 { r.past_due } else { Decimal::ZERO };
    let release = requested.sub_x(past_due).ok_or_else(ov)?;
    let to_release = share.sub_x(past_due).ok_or_else(ov)?.max(Decimal::ZERO);
    let release_cut = release.sub_x(to_release).ok_or_else(ov)?;
    if let Some(x) = r.planned_releases.get_mut(t) {
        *x = to_release;
    }
    let mut cut_at = vec![(t.saturating_add(lead), release_cut)];
    let mut left = requested.sub_x(share).ok_or_else(ov)?.sub_x(release_cut).ok_or_else(ov)?;
    if left > Decimal::ZERO {
        r.past_due = r.past_due.sub_x(left).ok_or_else(ov)?;
        for arrive in (0..lead.min(r.planned_receipts.len())).rev() {
            let take = at(&r.planned_receipts, arrive).min(left);
            if take > Decimal::ZERO {
                cut_at.push((arrive, take));
                left = left.sub_x(take).ok_or_else(ov)?;
            }
        }
    }
    for (arrive, units) in &cut_at {
        if let Some(x) = r.planned_receipts.get_mut(*arrive) {
            *x = x.sub_x(*units).ok_or_else(ov)?;
        }
        if let Some(x) = r.shortfall.get_mut(*arrive) {
            *x = x.add_x(*units).ok_or_else(ov)?;
        }
    }
    Ok(cut_at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::prelude::ToPrimitive;

    fn d(v: i64) -> Decimal {
        Decimal::from(v)
    }

    fn node(
        site: &str,
        source: Option<&str>,
        on_hand: i64,
        ss: i64,
        lead: u32,
        lot: LotSizing,
        gross: &[i64],
    ) -> DrpNode {
        DrpNode {
            site: site.parse().unwrap(),
            source: source.map(|s| s.parse().unwrap()),
            on_hand: d(on_hand),
            safety_stock: d(ss),
            lead_periods: lead,
            lot,
            gross: gross.iter().map(|g| d(*g)).collect(),
            scheduled: vec![],
            period_days: 7,
            constrained: false,
        }
    }

    // A DRP record in the style of Vollmann et al.: weekly forecast 20, on hand 50,
    // safety stock 10, lot 50, lead time 2 weeks.
    #[test]
    fn a_textbook_drp_record() {
        let n = node("DC1", None, 50, 10, 2, LotSizing::FixedLot(d(50)), &[20, 20, 20, 20, 20, 20]);
        let r = drp(6, &[n]).unwrap().remove(0);
        let v = |x: &[Decimal]| x.iter().map(|q| q.to_i64().unwrap()).collect::<Vec<_>>();
        assert_eq!(v(&r.projected), [30, 10, 40, 20, 50, 30]);
        assert_eq!(v(&r.planned_receipts), [0, 0, 50, 0, 50, 0]);
        assert_eq!(v(&r.planned_releases), [50, 0, 50, 0, 0, 0]);
        assert_eq!(r.past_due, Decimal::ZERO);
    }

    #[test]
    fn childrens_releases_are_the_central_sites_gross_requirements() {
        let dc = node("CDC", None, 100, 0, 1, LotSizing::LotForLot, &[0, 0, 0, 0]);
        let a = node("A", Some("CDC"), 10, 5, 1, LotSizing::FixedLot(d(30)), &[10, 10, 10, 10]);
        let recs = drp(4, &[dc, a]).unwrap();
        // A's releases, with what is already past due wanted in the first period.
        let mut wanted = recs[1].planned_releases.clone();
        wanted[0] += recs[1].past_due;
        assert_eq!(recs[0].gross, wanted);
    }

    #[test]
    fn a_cycle_of_sources_is_refused() {
        let a = node("A", Some("B"), 0, 0, 1, LotSizing::LotForLot, &[1]);
        let b = node("B", Some("A"), 0, 0, 1, LotSizing::LotForLot, &[1]);
        assert!(drp(1, &[a, b]).is_err());
    }

    #[test]
    fn a_constrained_source_shares_what_it_has() {
        let mut dc = node("CDC", None, 60, 0, 1, LotSizing::LotForLot, &[0, 0]);
        dc.constrained = true;
        let a = node("A", Some("CDC"), 0, 0, 1, LotSizing::LotForLot, &[0, 70]);
        let b = node("B", Some("CDC"), 0, 0, 1, LotSizing::LotForLot, &[0, 70]);
        let recs = drp(2, &[dc, a, b]).unwrap();
        // Each asked 70 in period 0; 60 shared evenly (same demand, same stock).
        assert_eq!((recs[1].planned_releases[0], recs[2].planned_releases[0]), (d(30), d(30)));
        assert_eq!((recs[1].shortfall[1], recs[2].shortfall[1]), (d(40), d(40)));
        assert_eq!(recs[0].shortfall[0], d(80));
    }
}
