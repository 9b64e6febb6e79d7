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
//! [`fair_share`]: each child gets enough for equal days of supply, and the children's
//! receipts (and projections) are cut to match, with the shortfall reported.

// Days of supply are compared in floating point; every quantity is an exact decimal.
#![allow(clippy::float_arithmetic)]

use onhand_master::{RoundingMode, SiteCode};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use crate::error::ReplenishError;
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
    pub gross: Vec<Decimal>,
    /// Scheduled receipts per period.
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
    pub gross: Vec<Decimal>,
    /// Scheduled receipts.
    pub scheduled: Vec<Decimal>,
    /// Projected on hand at the end of each period.
    pub projected: Vec<Decimal>,
    /// Net requirements.
    pub net: Vec<Decimal>,
    /// Planned order receipts.
    pub planned_receipts: Vec<Decimal>,
    /// Planned order releases (lead time earlier).
    pub planned_releases: Vec<Decimal>,
    /// Releases that fall before the first period.
    pub past_due: Decimal,
    /// What a constrained source could not give, per period.
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
    /// What it asks for (never exceeded).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub requested: Decimal,
}

fn f(v: Decimal) -> f64 {
    v.to_f64().unwrap_or(0.0)
}

/// The most periods a DRP run covers (about 27 years of days).
pub const MAX_PERIODS: usize = 10_000;

/// The largest figure DRP and fair share take (10^20): sums over many periods and
/// claims then stay within the decimal range.
pub const LIMIT: Decimal = Decimal::from_parts(1_661_992_960, 1_808_227_885, 5, false, 0);

fn floor_to(v: Decimal, step: Decimal) -> Res<Decimal> {
    to_multiple(v, step, RoundingMode::Down)
}

/// Shares `supply` among `claims` so each reaches the same days of supply
/// (`(on hand + share) / daily demand`), never giving more than asked, in whole `step`s;
/// claims without demand are served last. The shares never add up to more than
/// `supply`; what rounding leaves goes a step at a time to the claim with the fewest days
/// of supply (the earlier claim on ties).
///
/// ```
/// use onhand_replenish::{fair_share, FairClaim};
/// use rust_decimal::Decimal;
/// let c = |on_hand: i64, daily: i64, requested: i64| FairClaim {
///     on_hand: on_hand.into(), daily_demand: daily.into(), requested: requested.into() };
/// // 600 for two sites: A has 100 and sells 50 a day, B has 500 and sells 100 a day.
/// // Equal days of supply D: (100 + a)/50 = (500 + b)/100 with a + b = 600 -> D = 8.
/// let shares = fair_share(Decimal::from(600), &[c(100, 50, 1000), c(500, 100, 1000)], Decimal::ONE)?;
/// assert_eq!(shares, [Decimal::from(300), Decimal::from(300)]);
/// # Ok::<(), onhand_replenish::ReplenishError>(())
/// ```
///
/// # Errors
/// [`ReplenishError::InvalidInput`] for a negative figure or a step that is not
/// positive.
pub fn fair_share(supply: Decimal, claims: &[FairClaim], step: Decimal) -> Res<Vec<Decimal>> {
    if step <= Decimal::ZERO {
        return Err(ReplenishError::InvalidInput("the step must be positive".into()));
    }
    if supply < Decimal::ZERO
        || claims.iter().any(|c| c.daily_demand < Decimal::ZERO || c.requested < Decimal::ZERO)
    {
        return Err(ReplenishError::InvalidInput("fair share figures cannot be negative".into()));
    }
    let figures = claims.iter().flat_map(|c| [c.on_hand, c.daily_demand, c.requested]);
    if std::iter::once(supply).chain(std::iter::once(step)).chain(figures).any(|v| v.abs() > LIMIT)
    {
        return Err(ReplenishError::InvalidInput(format!(
            "fair share figures must be within {LIMIT}"
        )));
    }
    let mut shares = vec![Decimal::ZERO; claims.len()];
    let asked: Decimal = claims
        .iter()
        .try_fold(Decimal::ZERO, |a, c| a.add_x(c.requested))
        .ok_or(ReplenishError::Overflow("claims"))?;
    if asked <= supply {
        for (s, c) in shares.iter_mut().zip(claims) {
            *s = c.requested;
        }
        return Ok(shares);
    }
    // Days of supply D: each demanding claim gets clamp(D d - on hand, 0, requested).
    let give = |days: f64| -> f64 {
        claims
            .iter()
            .filter(|c| c.daily_demand > Decimal::ZERO)
            .map(|c| (days * f(c.daily_demand) - f(c.on_hand)).clamp(0.0, f(c.requested)))
            .sum()
    };
    let total = f(supply);
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    while give(hi) < total && hi < 1e15 {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if give(mid) <= total {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let mut used = Decimal::ZERO;
    for (s, c) in shares.iter_mut().zip(claims) {
        if c.daily_demand > Decimal::ZERO {
            let want = (lo * f(c.daily_demand) - f(c.on_hand)).clamp(0.0, f(c.requested));
            let want =
                rust_decimal::prelude::FromPrimitive::from_f64(want).unwrap_or(Decimal::ZERO);
            *s = floor_to(want, step)?.min(c.requested);
            used = used.add_x(*s).ok_or(ReplenishError::Overflow("shares"))?;
        }
    }
    // Over the supply by float noise: take back from the most supplied first, whole
    // steps at a time, as much as each can give.
    let mut over = used.sub_x(supply).ok_or(ReplenishError::Overflow("shares"))?;
    while over > Decimal::ZERO {
        let Some((k, _)) =
            shares.iter().enumerate().filter(|(_, s)| **s >= step).max_by(|(ka, a), (kb, b)| {
                days_of(claims, *ka, **a).total_cmp(&days_of(claims, *kb, **b)).then(kb.cmp(ka))
            })
        else {
            break;
        };
        let Some(s) = shares.get_mut(k) else { break };
        let back = to_multiple(over, step, RoundingMode::Up)?.min(floor_to(*s, step)?);
        *s = s.sub_x(back).ok_or(ReplenishError::Overflow("shares"))?;
        over = over.sub_x(back).ok_or(ReplenishError::Overflow("shares"))?;
        used = used.sub_x(back).ok_or(ReplenishError::Overflow("shares"))?;
    }
    // What rounding left goes to the fewest days of supply: a step at a time for a few
    // rounds (rounding leaves under a step per claim), then in bulk, so no input makes
    // this a step-by-step crawl.
    let mut left = supply.sub_x(used).ok_or(ReplenishError::Overflow("shares"))?;
    let mut rounds = claims.len().saturating_mul(4);
    while left >= step {
        let next = shares
            .iter()
            .enumerate()
            .filter(|(k, s)| {
                claims.get(*k).is_some_and(|c| s.add_x(step).is_some_and(|x| x <= c.requested))
            })
            .min_by(|(ka, a), (kb, b)| {
                days_of(claims, *ka, **a).total_cmp(&days_of(claims, *kb, **b)).then(ka.cmp(kb))
            })
            .map(|(k, _)| k);
        let (Some(k), Some(c)) = (next, next.and_then(|k| claims.get(k))) else { break };
        let Some(s) = shares.get_mut(k) else { break };
        let give = if rounds > 0 {
            rounds -= 1;
            step
        } else {
            let room = c.requested.sub_x(*s).ok_or(ReplenishError::Overflow("shares"))?;
            floor_to(room.min(left), step)?.max(step)
        };
        *s = s.add_x(give).ok_or(ReplenishError::Overflow("shares"))?;
        left = left.sub_x(give).ok_or(ReplenishError::Overflow("shares"))?;
    }
    level(&mut shares, claims, step);
    Ok(shares)
}

/// Max-min fair to the step: while the claim with the fewest days of supply (that can
/// take a step) is below what another would keep after giving one, moves the step. Each
/// move raises the lowest levels, so this ends; the bound is a guard.
fn level(shares: &mut [Decimal], claims: &[FairClaim], step: Decimal) {
    for _ in 0..claims.len().saturating_mul(64).max(64) {
        let poorest = shares
            .iter()
            .enumerate()
            .filter(|(k, s)| {
                claims.get(*k).is_some_and(|c| {
                    c.daily_demand > Decimal::ZERO
                        && s.add_x(step).is_some_and(|x| x <= c.requested)
                })
            })
            .min_by(|(ka, a), (kb, b)| {
                days_of(claims, *ka, **a).total_cmp(&days_of(claims, *kb, **b)).then(ka.cmp(kb))
            })
            .map(|(k, _)| k);
        let Some(a) = poorest else { break };
        let level = days_of(claims, a, shares.get(a).copied().unwrap_or_default());
        let richest = shares
            .iter()
            .enumerate()
            .filter(|(k, s)| {
                *k != a
                    && **s >= step
                    && claims.get(*k).is_some_and(|c| c.daily_demand > Decimal::ZERO)
            })
            .max_by(|(ka, x), (kb, y)| {
                days_of(claims, *ka, **x - step)
                    .total_cmp(&days_of(claims, *kb, **y - step))
                    .then(kb.cmp(ka))
            })
            .map(|(k, _)| k);
        let Some(b) = richest else { break };
        if days_of(claims, b, shares.get(b).copied().unwrap_or_default() - step) <= level {
            break;
        }
        let (Some(from), Some(to)) =
            (shares.get(b).and_then(|x| x.sub_x(step)), shares.get(a).and_then(|x| x.add_x(step)))
        else {
            break;
        };
        if let Some(x) = shares.get_mut(b) {
            *x = from;
        }
        if let Some(x) = shares.get_mut(a) {
            *x = to;
        }
    }
}

/// Days of supply of claim `k` holding `share` more (infinite without demand).
fn days_of(claims: &[FairClaim], k: usize, share: Decimal) -> f64 {
    claims.get(k).map_or(f64::INFINITY, |c| {
        if c.daily_demand > Decimal::ZERO {
            (f(c.on_hand) + f(share)) / f(c.daily_demand)
        } else {
            f64::INFINITY
        }
    })
}

fn lot(rule: LotSizing, net: Decimal) -> Res<Decimal> {
    let up = |v: Decimal, m: Decimal| -> Res<Decimal> {
        if m <= Decimal::ZERO {
            return Err(ReplenishError::InvalidInput("a lot must be positive".into()));
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
/// in the order the nodes were given.
///
/// # Errors
/// [`ReplenishError::InvalidInput`] for a repeated site, a source not in the plan, a
/// cycle of sources, negative figures or figures beyond [`LIMIT`], a lot that is not
/// positive, or more than [`MAX_PERIODS`] periods.
pub fn drp(periods: usize, nodes: &[DrpNode]) -> Res<Vec<DrpRecord>> {
    if periods > MAX_PERIODS {
        return Err(ReplenishError::InvalidInput(format!(
            "{periods} periods: a plan covers at most {MAX_PERIODS}"
        )));
    }
    let index = |code: &SiteCode| nodes.iter().position(|n| &n.site == code);
    for (k, n) in nodes.iter().enumerate() {
        if index(&n.site) != Some(k) {
            return Err(ReplenishError::InvalidInput(format!("site {} is planned twice", n.site)));
        }
        if let Some(s) = &n.source
            && index(s).is_none()
        {
            return Err(ReplenishError::InvalidInput(format!(
                "source {s} of {} is not in the plan",
                n.site
            )));
        }
        let figures = || {
            [n.on_hand, n.safety_stock]
                .into_iter()
                .chain(n.gross.iter().chain(&n.scheduled).copied())
        };
        if figures().any(|v| v < Decimal::ZERO) {
            return Err(ReplenishError::InvalidInput(format!(
                "negative DRP figures at {}",
                n.site
            )));
        }
        let lot_size = match n.lot {
            LotSizing::LotForLot => Decimal::ZERO,
            LotSizing::FixedLot(q) => q,
            LotSizing::MinMultiple { min, multiple } => min.max(multiple),
        };
        if figures().chain(std::iter::once(lot_size)).any(|v| v.abs() > LIMIT) {
            return Err(ReplenishError::InvalidInput(format!(
                "DRP figures at {} must be within {LIMIT}",
                n.site
            )));
        }
    }
    // Depth of each node below the top (a cycle never ends: refuse it).
    let mut depth = vec![0usize; nodes.len()];
    for (k, d) in depth.iter_mut().enumerate() {
        let mut at_node = nodes.get(k).and_then(|n| n.source.as_ref()).and_then(index);
        let mut steps = 0usize;
        while let Some(p) = at_node {
            steps += 1;
            if steps > nodes.len() {
                return Err(ReplenishError::InvalidInput("the sources form a cycle".into()));
            }
            at_node = nodes.get(p).and_then(|n| n.source.as_ref()).and_then(index);
        }
        *d = steps;
    }
    let mut order: Vec<usize> = (0..nodes.len()).collect();
    order.sort_by(|a, b| depth.get(*b).cmp(&depth.get(*a)).then(a.cmp(b)));
    let mut records: Vec<Option<DrpRecord>> = vec![None; nodes.len()];
    for &k in &order {
        let Some(node) = nodes.get(k) else { continue };
        let children: Vec<usize> = (0..nodes.len())
            .filter(|c| nodes.get(*c).and_then(|n| n.source.as_ref()) == Some(&node.site))
            .collect();
        let mut gross: Vec<Decimal> = (0..periods).map(|t| at(&node.gross, t)).collect();
        for c in &children {
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
        let rec = if node.constrained && !children.is_empty() {
            allocate_constrained(node, &children, nodes, &mut records, periods)?
        } else {
            plan_node(node, gross, periods)?
        };
        if let Some(slot) = records.get_mut(k) {
            *slot = Some(rec);
        }
    }
    records.into_iter().map(|r| r.ok_or(ReplenishError::Overflow("a DRP record"))).collect()
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
    let mut p = node.on_hand;
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
        let mut claims = Vec::with_capacity(children.len());
        for c in children {
            let (Some(child), Some(Some(r))) = (nodes.get(*c), records.get(*c)) else { continue };
            let days = Decimal::from(child.period_days.max(1));
            let horizon = Decimal::from(u64::try_from(periods.max(1)).unwrap_or(1));
            let demand = child
                .gross
                .iter()
                .take(periods)
                .try_fold(Decimal::ZERO, |a, g| a.add_x(*g))
                .ok_or_else(ov)?;
            let daily =
                horizon.checked_mul(days).and_then(|t| demand.checked_div(t)).unwrap_or_default();
            let on_hand = if t == 0 { child.on_hand } else { at(&r.projected, t - 1) };
            claims.push(FairClaim {
                on_hand,
                daily_demand: daily,
                requested: at(&r.planned_releases, t),
            });
        }
        let asked =
            claims.iter().try_fold(Decimal::ZERO, |a, c| a.add_x(c.requested)).ok_or_else(ov)?;
        let shares = fair_share(available.min(asked), &claims, Decimal::ONE)?;
        let mut given = Decimal::ZERO;
        for (c, (claim, share)) in children.iter().zip(claims.iter().zip(&shares)) {
            given = given.add_x(*share).ok_or_else(ov)?;
            let cut = claim.requested.sub_x(*share).ok_or_else(ov)?;
            if cut <= Decimal::ZERO {
                continue;
            }
            let lead = nodes.get(*c).map_or(0, |n| usize::try_from(n.lead_periods).unwrap_or(0));
            if let Some(Some(r)) = records.get_mut(*c) {
                if let Some(x) = r.planned_releases.get_mut(t) {
                    *x = *share;
                }
                let arrive = t + lead;
                if let Some(x) = r.planned_receipts.get_mut(arrive) {
                    *x = x.sub_x(cut).ok_or_else(ov)?;
                }
                if let Some(x) = r.shortfall.get_mut(arrive) {
                    *x = x.add_x(cut).ok_or_else(ov)?;
                }
                for x in r.projected.iter_mut().skip(arrive) {
                    *x = x.sub_x(cut).ok_or_else(ov)?;
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
    Ok(rec)
}

#[cfg(test)]
mod tests {
    use super::*;

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
