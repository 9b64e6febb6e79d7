//! Planning scores from the same state: stockout risk by item-site, site and region,
//! transfer requests scored with their parts, and safety stock recommended from
//! seasonal demand and lead-time variability, each with what it was computed from.
//!
//! **Demand model.** An item-site's days from its first to its last demand record
//! (days without a record are zero) give the daily mean `d` and sample deviation `σd`
//! exactly from the per-month sums. With at least [`PlanConfig::season_min_days`] days,
//! month-of-year indices `I_m = (mean of month m) / d` are estimated and demand is
//! deseasonalized (`y = x / I_m`); a horizon of `H` days from the day after `as_of`
//! then expects `Σ d_y I_m(t)` with variance `Σ σy² I_m(t)²` (days independent).
//! Without seasonality that is `H d` and `H σd²`.
//!
//! | score | formula |
//! |---|---|
//! | stockout risk | `P(D_H > S) = 1 − Φ((S − μ_H) / σ_H)`: until the next expected receipt, `S` = on hand and `H` its days away, `σ_H² = Var(D_H)`; without one, `S` = inventory position and `H` = the mean lead time `L` (at least a day; a fraction of a day weighs that day's demand by the fraction), `σ_H² = Var(D_L) + d̄² σL²` |
//! | transfer urgency | `clamp(1 − DOS / L, 0, 1)`, `DOS` = on hand at the destination / `d̄` over the lead time |
//! | customer impact | promised, unshipped lines of the item at the destination, in promise-date order, covered by on hand: `Σ (1 + priority) short / Σ (1 + priority) unshipped` |
//! | transport cost | `(purchase − transport) / max(purchase, transport)` (positive: the transfer is cheaper) |
//! | transfer score | `(w_u urgency + w_i impact + w_c cost) / (sum of the weights of the parts present)` |
//! | safety stock | `z √(Var(D_L) + d̄² σL²)`, `z = Φ⁻¹(service level)`, rounded up to a whole unit |
//!
//! `Φ` is `onhand_replenish::normal` (accuracy stated there). Lead times come from the
//! item-site's own observations when it has [`PlanConfig::min_lead_obs`], else from
//! all lanes into its site.

#![allow(
    clippy::float_arithmetic,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "statistics are floating point; quantities leave as exact decimals"
)]

use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate};
use onhand_master::{Decimal, ItemCode, RegionCode, SiteCode};
use onhand_replenish::normal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use serde::{Deserialize, Serialize};

use crate::engine::Insight;
use crate::error::InsightError;
use crate::figure::Figure;
use crate::period::{date_of, day_number};
use crate::record::{LineRef, TransferRef};
use crate::stock::{Demand, ItemSite, Moments};

/// Thresholds and weights of the planning scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanConfig {
    /// Days of demand history an item-site needs (28).
    pub min_demand_days: u64,
    /// Days of history before month-of-year seasonality is estimated (365).
    pub season_min_days: u64,
    /// Lead-time observations needed (3).
    pub min_lead_obs: u64,
    /// Cycle service level for safety stock (0.95).
    pub service_level: f64,
    /// Weight of urgency in the transfer score (0.5).
    pub urgency_weight: f64,
    /// Weight of customer impact (0.3).
    pub impact_weight: f64,
    /// Weight of transport cost (0.2).
    pub cost_weight: f64,
}

impl Default for PlanConfig {
    fn default() -> Self {
        PlanConfig {
            min_demand_days: 28,
            season_min_days: 365,
            min_lead_obs: 3,
            service_level: 0.95,
            urgency_weight: 0.5,
            impact_weight: 0.3,
            cost_weight: 0.2,
        }
    }
}

/// An item-site's demand, as the scores use it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemandModel {
    /// Days of history.
    pub days: u64,
    /// Mean daily demand.
    pub mean: f64,
    /// Sample deviation of daily demand.
    pub std_dev: f64,
    /// Month-of-year indices (January first), when estimated.
    pub season: Option<[f64; 12]>,
    /// Deseasonalized mean (equals `mean` without seasonality).
    pub base_mean: f64,
    /// Deseasonalized deviation.
    pub base_std_dev: f64,
}

impl DemandModel {
    /// Expected demand and its variance over `days` days starting the day after
    /// `as_of`.
    #[must_use]
    pub fn horizon(&self, as_of: NaiveDate, days: u32) -> (f64, f64) {
        match &self.season {
            None => {
                let h = f64::from(days);
                (h * self.base_mean, h * self.base_std_dev * self.base_std_dev)
            }
            Some(idx) => {
                // Each day weighs its month's index: count the days per month of year
                // (whole years at once), so a long horizon costs no more than a short
                // one. A horizon past the end of the calendar stops there.
                let first = day_number(as_of).saturating_add(1);
                let last = first.saturating_add(i32::try_from(days).unwrap_or(i32::MAX)) - 1;
                let last = last.min(day_number(NaiveDate::MAX));
                let (mut mu, mut var) = (0.0, 0.0);
                // Nothing after the calendar's last day (as of it, `first` is past it).
                if days > 0 && first <= last {
                    for (n, i) in month_days(first, last).iter().zip(idx) {
                        #[allow(
                            clippy::cast_precision_loss,
                            reason = "a day count, far below 2^52"
                        )]
                        let n = *n as f64;
                        mu += n * self.base_mean * i;
                        var += n * (self.base_std_dev * i).powi(2);
                    }
                }
                (mu, var)
            }
        }
    }
}

/// Expected demand and its variance over the mean lead time `l` days (at least one)
/// from the day after `as_of`, and the horizon used: whole days as
/// [`DemandModel::horizon`] gives them, and a fraction of the next day for the rest
/// (`l d` and `l σd²` without seasonality), so `Var(D_L)` is over `L` days, not `L`
/// rounded.
fn over_lead(model: &DemandModel, as_of: NaiveDate, l: f64) -> (f64, f64, f64) {
    let l = l.max(1.0);
    let whole = l.floor();
    let n = whole as u32;
    let (mu, var) = model.horizon(as_of, n);
    let frac = l - whole;
    if frac > 0.0 {
        let (mu1, var1) = model.horizon(as_of, n.saturating_add(1));
        (mu + frac * (mu1 - mu), var + frac * (var1 - var), l)
    } else {
        (mu, var, l)
    }
}

fn to_f64(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// Days of each month of the year between `first` and `last` inclusive. Whole
/// calendar years in between count at once (leap years by the proleptic Gregorian
/// rule), so the cost does not grow with the span: a restored demand history starting
/// near the beginning of the calendar took millions of steps.
fn month_days(first: i32, last: i32) -> [u64; 12] {
    const DAYS: [u64; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let mut out = [0u64; 12];
    let (start, end) = (date_of(first), date_of(last));
    if start > end {
        return out;
    }
    let (y0, y1) = (start.year(), end.year());
    match (NaiveDate::from_ymd_opt(y0, 12, 31), NaiveDate::from_ymd_opt(y1, 1, 1)) {
        (Some(dec31), Some(jan1)) if y1 - y0 >= 2 => {
            walk_months(&mut out, start, dec31);
            walk_months(&mut out, jan1, end);
            let years = u64::try_from(y1 - y0 - 1).unwrap_or(0);
            for (slot, days) in out.iter_mut().zip(DAYS) {
                *slot = slot.saturating_add(days.saturating_mul(years));
            }
            if let Some(feb) = out.get_mut(1) {
                *feb = feb.saturating_add(leap_years(y0 + 1, y1 - 1));
            }
        }
        _ => walk_months(&mut out, start, end),
    }
    out
}

/// Leap years from `a` to `b` inclusive (proleptic Gregorian, year 0 a leap year).
fn leap_years(a: i32, b: i32) -> u64 {
    // Leap years up to `y`, counted from a fixed origin (floor division, so it holds
    // for years before 1 too): the difference counts those in between.
    let upto = |y: i64| y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400);
    u64::try_from(upto(i64::from(b)) - upto(i64::from(a) - 1)).unwrap_or(0)
}

/// Adds the days from `from` to `to` inclusive to their months, a month at a time.
fn walk_months(out: &mut [u64; 12], from: NaiveDate, to: NaiveDate) {
    let mut d = from;
    while d <= to {
        // The month's last day (the calendar's own last day has no next month).
        let month_end = d
            .with_day(1)
            .and_then(|x| x.checked_add_months(chrono::Months::new(1)))
            .and_then(|x| x.pred_opt())
            .unwrap_or(NaiveDate::MAX);
        let stop = month_end.min(to);
        let n = (stop - d).num_days() + 1;
        if let Some(slot) = out.get_mut(d.month0() as usize) {
            *slot += u64::try_from(n).unwrap_or(0);
        }
        match stop.succ_opt() {
            Some(next) => d = next,
            None => break,
        }
    }
}

/// The demand model of one item-site's history, or the days it has.
pub(crate) fn demand_model(d: &Demand, cfg: &PlanConfig) -> Result<DemandModel, u64> {
    let days_per = month_days(d.first, d.cur);
    let days: u64 = days_per.iter().sum();
    if days < cfg.min_demand_days.max(2) {
        return Err(days);
    }
    let months = d.folded().ok_or(days)?;
    let (mut s, mut q) = (Decimal::ZERO, Decimal::ZERO);
    for m in &months {
        s = s.checked_add(m.sum).ok_or(days)?;
        q = q.checked_add(m.sq).ok_or(days)?;
    }
    let n = days as f64;
    let mean = to_f64(s) / n;
    // Var = (n Q − S²) / (n (n − 1)), exactly in decimals where they fit.
    let num = Decimal::from(days)
        .checked_mul(q)
        .and_then(|a| s.checked_mul(s).and_then(|b| a.checked_sub(b)))
        .map_or_else(|| n * to_f64(q) - to_f64(s) * to_f64(s), to_f64);
    let var = (num / (n * (n - 1.0))).max(0.0);
    let std_dev = var.sqrt();
    let mut model =
        DemandModel { days, mean, std_dev, season: None, base_mean: mean, base_std_dev: std_dev };
    if days >= cfg.season_min_days && mean > 0.0 {
        let mut idx = [1.0f64; 12];
        for ((i, m), dm) in idx.iter_mut().zip(&months).zip(days_per) {
            if dm > 0 {
                *i = (to_f64(m.sum) / dm as f64) / mean;
            }
        }
        let (mut ys, mut yq) = (0.0, 0.0);
        for ((i, m), dm) in idx.iter().zip(&months).zip(days_per) {
            if dm > 0 && *i > 0.0 {
                ys += to_f64(m.sum) / i;
                yq += to_f64(m.sq) / (i * i);
            }
        }
        let base_mean = ys / n;
        let base_var = ((yq - n * base_mean * base_mean) / (n - 1.0)).max(0.0);
        model.season = Some(idx);
        model.base_mean = base_mean;
        model.base_std_dev = base_var.sqrt();
    }
    Ok(model)
}

/// Mean and sample deviation of lead times (days), with the observations.
fn lead_stats(m: Moments) -> Option<(f64, f64, u64)> {
    if m.n < 2 {
        return None;
    }
    let n = m.n as f64;
    let mean = m.sum as f64 / n;
    let num = i128::from(m.n).checked_mul(m.sq).and_then(|a| {
        i128::from(m.sum).checked_mul(i128::from(m.sum)).and_then(|b| a.checked_sub(b))
    });
    let var = num.map_or(0.0, |x| x as f64) / (n * (n - 1.0));
    Some((mean, var.max(0.0).sqrt(), m.n))
}

/// Why an item-site has no score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    /// No position observed.
    Position,
    /// Fewer days of demand than the minimum.
    DemandHistory,
    /// Fewer lead-time observations than the minimum (and no next receipt).
    LeadTimes,
}

/// How the stockout horizon was set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Horizon {
    /// Until the next expected receipt, against on hand.
    NextReceipt,
    /// Over the lead time, against the inventory position.
    LeadTime,
}

/// The stockout risk of one item-site, with its inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemSiteRisk {
    /// The item.
    pub item: ItemCode,
    /// The site.
    pub site: SiteCode,
    /// Its region.
    pub region: RegionCode,
    /// Probability of running out within the horizon.
    pub probability: f64,
    /// How the horizon was set.
    pub horizon: Horizon,
    /// Horizon in days.
    pub horizon_days: f64,
    /// The stock held against it (on hand or position).
    pub stock: f64,
    /// Expected demand over the horizon.
    pub expected_demand: f64,
    /// Its deviation (with lead-time variability when the horizon is the lead time).
    pub std_dev: f64,
    /// Days of demand history.
    pub history_days: u64,
}

/// Stockout risk rolled up by site or region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskRollup {
    /// The site or region code.
    pub code: String,
    /// Item-sites scored.
    pub item_sites: u64,
    /// Expected number of them running out (the sum of probabilities).
    pub expected_stockouts: f64,
    /// Item-sites at 50 % or more.
    pub at_risk: u64,
    /// The highest probability.
    pub max_probability: f64,
}

/// Stockout risk of the network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockoutRisk {
    /// Item-sites, most at risk first (ties by site, then item).
    pub item_sites: Vec<ItemSiteRisk>,
    /// By site, most expected stockouts first.
    pub sites: Vec<RiskRollup>,
    /// By region, most expected stockouts first.
    pub regions: Vec<RiskRollup>,
    /// Item-sites not scored, by reason: (reason, count).
    pub not_scored: Vec<(Missing, u64)>,
}

/// A scored transfer request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransferScore {
    /// The transfer line.
    pub transfer: TransferRef,
    /// The item.
    pub item: ItemCode,
    /// Shipping site.
    pub from: SiteCode,
    /// Receiving site.
    pub to: SiteCode,
    /// The score (weighted mean of the parts present).
    pub score: Figure<f64>,
    /// Urgency in [0, 1].
    pub urgency: Figure<f64>,
    /// Days of supply at the destination.
    pub days_of_supply: Figure<f64>,
    /// Lead time into the destination (days).
    pub lead_time_days: Figure<f64>,
    /// Customer impact in [0, 1].
    pub impact: f64,
    /// Promised lines at risk.
    pub lines_at_risk: Vec<LineRef>,
    /// Units short on them.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub units_short: Decimal,
    /// Transport cost against purchase, in [−1, 1].
    pub cost: Figure<f64>,
}

/// A safety stock recommendation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SafetyStockAdvice {
    /// The item.
    pub item: ItemCode,
    /// The site.
    pub site: SiteCode,
    /// The current policy's safety stock.
    #[serde(with = "onhand_master::decimal::serde_str::option")]
    pub current: Option<Decimal>,
    /// The recommendation.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub recommended: Decimal,
    /// Recommended − current.
    #[serde(with = "onhand_master::decimal::serde_str::option")]
    pub change: Option<Decimal>,
    /// What it would be without seasonality.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub without_season: Decimal,
    /// The safety factor.
    pub z: f64,
    /// Demand over the lead time: expected.
    pub lead_time_demand: f64,
    /// Mean daily demand over the lead time (seasonal).
    pub daily_demand: f64,
    /// Deseasonalized daily deviation.
    pub daily_std_dev: f64,
    /// Mean seasonal index over the lead time (`None`: no seasonality).
    pub seasonal_index: Option<f64>,
    /// Lead time mean (days).
    pub lead_time_days: f64,
    /// Lead time deviation (days).
    pub lead_time_std_dev: f64,
    /// Share of the variance from lead-time variability.
    pub lead_time_share: f64,
    /// Days of demand history.
    pub history_days: u64,
    /// Lead-time observations.
    pub lead_observations: u64,
    /// Why, in words.
    pub why: String,
}

/// An open promised line: last schedule day, the line, unshipped quantity, priority.
type OpenLine<'a> = (i32, &'a LineRef, Decimal, u8);

fn ceil_dec(x: f64) -> Decimal {
    Decimal::from_f64(x.max(0.0).ceil()).unwrap_or(Decimal::ZERO)
}

impl Insight {
    fn lead_of(
        &self,
        key: &(ItemCode, u16),
        s: &ItemSite,
        cfg: &PlanConfig,
    ) -> Option<(f64, f64, u64)> {
        if s.lead.n >= cfg.min_lead_obs.max(2) {
            return lead_stats(s.lead);
        }
        let m = self.stock.site_lead.get(&key.1).copied()?;
        if m.n >= cfg.min_lead_obs.max(2) { lead_stats(m) } else { None }
    }

    /// The demand model of `item` at `site`.
    ///
    /// # Errors
    /// [`InsightError::UnknownSite`].
    pub fn demand_model(
        &self,
        item: &ItemCode,
        site: &SiteCode,
        cfg: &PlanConfig,
    ) -> Result<Figure<DemandModel>, InsightError> {
        let s = self.site(site)?;
        let Some(d) = self.stock.item_sites.get(&(item.clone(), s)).and_then(|x| x.demand.as_ref())
        else {
            return Ok(Figure::NotEnoughData { have: 0, need: cfg.min_demand_days });
        };
        Ok(match demand_model(d, cfg) {
            Ok(m) => Figure::Value(m),
            Err(have) => Figure::NotEnoughData { have, need: cfg.min_demand_days },
        })
    }

    /// Stockout risk of every item-site with a position, as of the end of `as_of`.
    #[must_use]
    pub fn stockout_risk(&self, as_of: NaiveDate, cfg: &PlanConfig) -> StockoutRisk {
        let today = day_number(as_of);
        let mut items = Vec::new();
        let mut missing = [0u64; 3];
        let mut keys: Vec<_> = self.stock.item_sites.iter().collect();
        keys.sort_by(|a, b| a.0.cmp(b.0));
        for (key, s) in keys {
            let Some(pos) = &s.position else {
                if s.demand.is_some() {
                    missing[0] += 1;
                }
                continue;
            };
            let Some(model) = s.demand.as_ref().and_then(|d| demand_model(d, cfg).ok()) else {
                missing[1] += 1;
                continue;
            };
            let (horizon, days, stock, mu, var) =
                if let Some(next) = pos.next_receipt.filter(|d| *d > today) {
                    let h = u32::try_from(i64::from(next) - i64::from(today)).unwrap_or(0);
                    let (mu, var) = model.horizon(as_of, h);
                    (Horizon::NextReceipt, f64::from(h), to_f64(pos.on_hand), mu, var)
                } else {
                    let Some((l, sl, _)) = self.lead_of(key, s, cfg) else {
                        missing[2] += 1;
                        continue;
                    };
                    let (mu, var, h) = over_lead(&model, as_of, l);
                    let daily = mu / h;
                    (Horizon::LeadTime, h, to_f64(pos.level), mu, var + daily * daily * sl * sl)
                };
            let sd = var.max(0.0).sqrt();
            let p = if sd > 0.0 {
                normal::sf((stock - mu) / sd)
            } else if mu > stock {
                1.0
            } else {
                0.0
            };
            let (Some(site), Some(region)) = (
                self.site_code(key.1),
                self.region_of_site(key.1).and_then(|r| self.region_code(r)),
            ) else {
                continue;
            };
            items.push(ItemSiteRisk {
                item: key.0.clone(),
                site: site.clone(),
                region: region.clone(),
                probability: p.clamp(0.0, 1.0),
                horizon,
                horizon_days: days,
                stock,
                expected_demand: mu,
                std_dev: sd,
                history_days: model.days,
            });
        }
        items.sort_by(|a, b| {
            b.probability
                .total_cmp(&a.probability)
                .then_with(|| (&a.site, &a.item).cmp(&(&b.site, &b.item)))
        });
        let rollup = |code: &dyn Fn(&ItemSiteRisk) -> String| {
            let mut m: std::collections::BTreeMap<String, RiskRollup> =
                std::collections::BTreeMap::new();
            for r in &items {
                let c = code(r);
                let e = m.entry(c.clone()).or_insert(RiskRollup {
                    code: c,
                    item_sites: 0,
                    expected_stockouts: 0.0,
                    at_risk: 0,
                    max_probability: 0.0,
                });
                e.item_sites += 1;
                e.expected_stockouts += r.probability;
                e.at_risk += u64::from(r.probability >= 0.5);
                e.max_probability = e.max_probability.max(r.probability);
            }
            let mut v: Vec<RiskRollup> = m.into_values().collect();
            v.sort_by(|a, b| {
                b.expected_stockouts
                    .total_cmp(&a.expected_stockouts)
                    .then_with(|| a.code.cmp(&b.code))
            });
            v
        };
        let sites = rollup(&|r| r.site.to_string());
        let regions = rollup(&|r| r.region.to_string());
        let not_scored = [Missing::Position, Missing::DemandHistory, Missing::LeadTimes]
            .into_iter()
            .zip(missing)
            .filter(|(_, n)| *n > 0)
            .collect();
        StockoutRisk { item_sites: items, sites, regions, not_scored }
    }

    /// Scores every open transfer request (requested or approved, not shipped or
    /// closed), best first (ties by transfer line).
    #[must_use]
    #[allow(
        clippy::too_many_lines,
        reason = "one score and its parts, in the order the docs give them"
    )]
    pub fn score_transfers(&self, as_of: NaiveDate, cfg: &PlanConfig) -> Vec<TransferScore> {
        // Open promised lines by item and site.
        let mut open: onhand_master::hash::Map<(&ItemCode, u16), Vec<OpenLine<'_>>> =
            onhand_master::hash::map();
        for (k, l) in self.orders.iter_lines() {
            if l.cancelled || l.ship_closed {
                continue;
            }
            let (Some(first), Some(last)) = (l.schedule.first(), l.schedule.last()) else {
                continue;
            };
            let confirmed = l.confirmed();
            let Some(unshipped) = confirmed.checked_sub(l.shipped) else { continue };
            if unshipped > Decimal::ZERO {
                open.entry((&l.item, first.1))
                    .or_default()
                    .push((last.0, k, unshipped, l.priority));
            }
        }
        let mut out = Vec::new();
        let mut keys: Vec<_> =
            self.transfers.lines.iter().filter(|(_, t)| t.is_open_request()).collect();
        keys.sort_by(|a, b| a.0.cmp(b.0));
        for (key, t) in keys {
            let (Some(from), Some(to)) = (self.site_code(t.from), self.site_code(t.to)) else {
                continue;
            };
            let dest_key = (t.item.clone(), t.to);
            let dest = self.stock.item_sites.get(&dest_key);
            let on_hand = dest.and_then(|s| s.position.as_ref()).map(|p| p.on_hand);
            let lead = dest.and_then(|s| self.lead_of(&dest_key, s, cfg)).or_else(|| {
                self.stock.site_lead.get(&t.to).and_then(|m| {
                    if m.n >= cfg.min_lead_obs.max(2) { lead_stats(*m) } else { None }
                })
            });
            let model =
                dest.and_then(|s| s.demand.as_ref()).and_then(|d| demand_model(d, cfg).ok());
            let none = || Figure::NotEnoughData { have: 0, need: 1 };
            let (urgency, dos, lead_days) = match (on_hand, &model, lead) {
                (Some(oh), Some(m), Some((l, _, _))) => {
                    let (mu, _, h) = over_lead(m, as_of, l);
                    let daily = mu / h;
                    let dos = if daily > 0.0 { to_f64(oh) / daily } else { f64::INFINITY };
                    let u = if l > 0.0 { (1.0 - dos / l).clamp(0.0, 1.0) } else { 0.0 };
                    let dos_fig = if dos.is_finite() { Figure::Value(dos) } else { none() };
                    (Figure::Value(u), dos_fig, Figure::Value(l))
                }
                _ => (none(), none(), lead.map_or_else(none, |l| Figure::Value(l.0))),
            };
            // Customer impact.
            let mut lines = open.get(&(&t.item, t.to)).cloned().unwrap_or_default();
            lines.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
            let mut cover = on_hand.unwrap_or(Decimal::ZERO);
            let (mut w_short, mut w_all) = (0.0, 0.0);
            let mut at_risk = Vec::new();
            let mut short_units = Decimal::ZERO;
            for (_, line, unshipped, prio) in &lines {
                let covered = (*unshipped).min(cover.max(Decimal::ZERO));
                cover -= covered;
                let short = *unshipped - covered;
                let w = 1.0 + f64::from(*prio);
                w_all += w * to_f64(*unshipped);
                if short > Decimal::ZERO {
                    w_short += w * to_f64(short);
                    at_risk.push((*line).clone());
                    short_units = short_units.saturating_add(short);
                }
            }
            let impact = if w_all > 0.0 { w_short / w_all } else { 0.0 };
            let cost = match (t.transport_cost, t.purchase_cost) {
                (Some(tc), Some(pc)) if tc.currency() == pc.currency() => {
                    let (tc, pc) = (to_f64(tc.amount()), to_f64(pc.amount()));
                    let m = tc.max(pc);
                    if m > 0.0 { Figure::Value(((pc - tc) / m).clamp(-1.0, 1.0)) } else { none() }
                }
                _ => none(),
            };
            let mut num = cfg.impact_weight * impact;
            let mut den = cfg.impact_weight;
            if let Some(u) = urgency.value() {
                num += cfg.urgency_weight * u;
                den += cfg.urgency_weight;
            }
            if let Some(c) = cost.value() {
                num += cfg.cost_weight * c;
                den += cfg.cost_weight;
            }
            let score = if den > 0.0 { Figure::Value(num / den) } else { none() };
            out.push(TransferScore {
                transfer: key.clone(),
                item: t.item.clone(),
                from: from.clone(),
                to: to.clone(),
                score,
                urgency,
                days_of_supply: dos,
                lead_time_days: lead_days,
                impact,
                lines_at_risk: at_risk,
                units_short: short_units,
                cost,
            });
        }
        out.sort_by(|a, b| {
            let sa = a.score.value().copied().unwrap_or(f64::NEG_INFINITY);
            let sb = b.score.value().copied().unwrap_or(f64::NEG_INFINITY);
            sb.total_cmp(&sa).then_with(|| a.transfer.cmp(&b.transfer))
        });
        out
    }

    /// Safety stock recommendations for every item-site with enough demand history and
    /// lead times, sorted by site then item.
    ///
    /// # Errors
    /// [`InsightError::InvalidConfig`] for a service level outside (0, 1).
    pub fn safety_stock(
        &self,
        as_of: NaiveDate,
        cfg: &PlanConfig,
    ) -> Result<Vec<SafetyStockAdvice>, InsightError> {
        let z =
            normal::inverse_cdf(cfg.service_level).ok_or_else(|| InsightError::InvalidConfig {
                field: "service_level",
                reason: format!("{} is not in (0, 1)", cfg.service_level),
            })?;
        let mut keys: Vec<_> = self.stock.item_sites.iter().collect();
        keys.sort_by(|a, b| (a.0.1, &a.0.0).cmp(&(b.0.1, &b.0.0)));
        let mut out = Vec::new();
        for (key, s) in keys {
            let Some(model) = s.demand.as_ref().and_then(|d| demand_model(d, cfg).ok()) else {
                continue;
            };
            let Some((l, sl, nl)) = self.lead_of(key, s, cfg) else { continue };
            let Some(site) = self.site_code(key.1) else { continue };
            let (mu, var_d, h) = over_lead(&model, as_of, l);
            let daily = mu / h;
            let var_l = daily * daily * sl * sl;
            let ss = z * (var_d + var_l).sqrt();
            // Without seasonality: the plain mean and deviation over L.
            let plain =
                z * (h * model.std_dev * model.std_dev + model.mean * model.mean * sl * sl).sqrt();
            let recommended = ceil_dec(ss);
            let current = s.position.as_ref().and_then(|p| p.safety);
            let change = current.and_then(|c| recommended.checked_sub(c));
            let season_ix = model
                .season
                .map(|_| if model.base_mean > 0.0 { daily / model.base_mean } else { 1.0 });
            let share = if var_d + var_l > 0.0 { var_l / (var_d + var_l) } else { 0.0 };
            let mut why = format!(
                "z {z:.3} for {:.1}% service; demand {daily:.2}/day (sd {:.2}/day, {} days)",
                cfg.service_level * 100.0,
                model.base_std_dev,
                model.days
            );
            if let Some(i) = season_ix {
                let _ = write!(why, "; seasonal index {i:.2} over the lead time");
            }
            let _ = write!(
                why,
                "; lead time {l:.1} ± {sl:.1} days ({nl} observations), {:.0}% of the variance",
                share * 100.0
            );
            match (current, change) {
                (Some(c), Some(ch)) => {
                    let _ = write!(why, "; current {c}, change {ch:+}");
                }
                (Some(c), None) => {
                    let _ = write!(why, "; current {c}");
                }
                (None, _) => why.push_str("; no current policy"),
            }
            out.push(SafetyStockAdvice {
                item: key.0.clone(),
                site: site.clone(),
                current,
                recommended,
                change,
                without_season: ceil_dec(plain),
                z,
                lead_time_demand: mu,
                daily_demand: daily,
                daily_std_dev: model.base_std_dev,
                seasonal_index: season_ix,
                lead_time_days: l,
                lead_time_std_dev: sl,
                lead_time_share: share,
                history_days: model.days,
                lead_observations: nl,
                why,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The month walk `month_days` had, day by month: the reference for its whole-year
    /// shortcut.
    fn month_days_walked(first: i32, last: i32) -> [u64; 12] {
        let mut out = [0u64; 12];
        if first <= last {
            walk_months(&mut out, date_of(first), date_of(last));
        }
        out
    }

    proptest::proptest! {
        /// Whole years counted at once give what walking every month gives, leap years
        /// (1900, 2000, year 0, before year 1) included.
        #[test]
        fn month_days_equal_the_walk(a in -800_000i32..800_000, span in 0i32..900_000) {
            proptest::prop_assert_eq!(month_days(a, a + span), month_days_walked(a, a + span));
        }
    }

    proptest::proptest! {
        /// A seasonal horizon weighs each day by its month's index, as a walk day by
        /// day does (to rounding: the sums are grouped by month).
        #[test]
        fn a_seasonal_horizon_is_the_day_by_day_sum(
            as_of in -400_000i32..400_000,
            days in 0u32..3_000,
            idx in proptest::array::uniform12(0.2f64..3.0),
        ) {
            let m = DemandModel {
                days: 730, mean: 10.0, std_dev: 3.0, season: Some(idx),
                base_mean: 10.0, base_std_dev: 3.0,
            };
            let as_of = date_of(as_of);
            let (mu, var) = m.horizon(as_of, days);
            let (mut mu_d, mut var_d) = (0.0f64, 0.0f64);
            let mut d = as_of;
            for _ in 0..days {
                d = d.succ_opt().unwrap();
                let i = idx[d.month0() as usize];
                mu_d += 10.0 * i;
                var_d += (3.0 * i).powi(2);
            }
            proptest::prop_assert!((mu - mu_d).abs() <= 1e-9 * mu_d.max(1.0), "{mu} vs {mu_d}");
            proptest::prop_assert!((var - var_d).abs() <= 1e-9 * var_d.max(1.0), "{var} vs {var_d}");
        }
    }

    #[test]
    fn a_horizon_of_billions_of_days_is_quick() {
        let m = DemandModel {
            days: 730,
            mean: 10.0,
            std_dev: 3.0,
            season: Some([1.0; 12]),
            base_mean: 10.0,
            base_std_dev: 3.0,
        };
        let as_of = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        let (mu, _) = m.horizon(as_of, u32::MAX);
        // To the end of the calendar, each day weighing one.
        let to_end = i64::from(day_number(NaiveDate::MAX)) - i64::from(day_number(as_of));
        assert!((mu - 10.0 * to_end as f64).abs() < 1.0, "{mu}");
        assert!(m.horizon(as_of, 0).0.abs() < f64::EPSILON);
        // From the calendar's last day there is nothing left to count.
        assert!(m.horizon(NaiveDate::MAX, 30).0.abs() < f64::EPSILON);
    }

    #[test]
    fn month_days_of_the_whole_calendar_are_quick_and_add_up() {
        let (a, b) = (day_number(NaiveDate::MIN), day_number(NaiveDate::MAX));
        let m = month_days(a, b);
        assert_eq!(m.iter().sum::<u64>(), u64::try_from(i64::from(b) - i64::from(a) + 1).unwrap());
        assert_eq!(month_days(b, a), [0; 12]);
    }

    #[test]
    fn month_days_split_a_range() {
        let d = |y, m, dd| day_number(NaiveDate::from_ymd_opt(y, m, dd).unwrap());
        let m = month_days(d(2026, 1, 30), d(2026, 3, 2));
        assert_eq!(&m[..3], &[2, 28, 2]);
        let y = month_days(d(2025, 1, 1), d(2025, 12, 31));
        assert_eq!(y.iter().sum::<u64>(), 365);
    }
}
