//! Safety stock, reorder policies and order quantities for one item at one site.
//!
//! With daily demand mean `d` and deviation `σd`, lead time mean `L` and deviation `σL`
//! (days), and the protection interval `T` (`L` for continuous review, `R + L` for a
//! periodic review every `R` days), demand over the interval deviates by
//! `σT = sqrt(T σd² + d² σL²)` (which is `σd √T` when the lead time is certain).
//!
//! | safety stock | quantity |
//! |---|---|
//! | fixed | as given |
//! | days of supply `n` | `n d` |
//! | statistical, cycle service level `α` | `z σT` with `z = Φ⁻¹(α)` |
//! | statistical, fill rate `β` | `k σT` with `G(k) = (1 − β) Q / σT` (`G`: the standard normal loss function; `k` floored at 0) |
//!
//! The reorder point is `s = d L + SS`; min-max orders up to `S = s + Q` (`Q` within
//! the order minimum and maximum); periodic review orders up to `S = d (R + L) + SS`. The economic
//! order quantity is `sqrt(2 D K / h)` (annual demand `D`, cost per order `K`, holding
//! cost per unit-year `h`). Every quantity leaving this module is an exact decimal
//! rounded **up** to the order multiple (or, without one, to the base unit's step);
//! order quantities also respect the minimum and maximum.

// Statistics may use floating point; the results are exact decimals.
#![allow(clippy::float_arithmetic)]

use onhand_master::{
    ItemSitePolicy, ItemUnits, PlanningMethod, Rounding, RoundingMode, SafetyStock, ServiceTarget,
    mul_div_round,
};
use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use serde::{Deserialize, Serialize};

use crate::error::{Bound, Field, ReplenishError};
use crate::exact::Exact;
use crate::normal;
use crate::stats::DemandStats;

type Res<T> = Result<T, ReplenishError>;

/// An item-site's inventory position and its parts, in base units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Position {
    /// Available stock on hand.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub on_hand: Decimal,
    /// Open purchase orders.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub on_order: Decimal,
    /// Transfers in transit to this site.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub in_transit: Decimal,
    /// Customer backorders.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub backorders: Decimal,
    /// Stock allocated to orders not yet shipped.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub allocated: Decimal,
}

impl Position {
    /// The inventory position: on hand + on order + in transit − backorders − allocated.
    ///
    /// # Errors
    /// [`ReplenishError::Overflow`].
    pub fn value(&self) -> Res<Decimal> {
        let add = |a: Decimal, b: Decimal| a.add_x(b).ok_or(ReplenishError::Overflow("a position"));
        let sub = |a: Decimal, b: Decimal| a.sub_x(b).ok_or(ReplenishError::Overflow("a position"));
        sub(
            sub(add(add(self.on_hand, self.on_order)?, self.in_transit)?, self.backorders)?,
            self.allocated,
        )
    }

    /// The on-hand and in-transit parts from a ledger: available stock at the site
    /// (the `available` measure) and transfers in transit to it; open purchase orders,
    /// backorders and allocations come from the order systems, so they are left at zero
    /// for the caller to fill in.
    #[must_use]
    pub fn from_ledger(
        ledger: &onhand_ledger::Ledger,
        item: onhand_master::ItemIx,
        site: onhand_master::SiteIx,
    ) -> Position {
        let in_transit = ledger
            .in_transit_to(site)
            .iter()
            .filter(|t| t.item == item)
            .fold(Decimal::ZERO, |a, t| a.add_x(t.qty).unwrap_or(a));
        Position {
            on_hand: ledger.measure(item, site, onhand_status::Measure::Available),
            in_transit,
            ..Position::default()
        }
    }

    /// What can leave now: on hand − backorders − allocated.
    ///
    /// # Errors
    /// [`ReplenishError::Overflow`].
    pub fn free(&self) -> Res<Decimal> {
        self.on_hand
            .sub_x(self.backorders)
            .and_then(|v| v.sub_x(self.allocated))
            .ok_or(ReplenishError::Overflow("free stock"))
    }
}

/// Costs of one item at one site (in the owning entity's currency).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Costs {
    /// Cost of one base unit.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub unit_cost: Decimal,
    /// Cost of placing one order.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub order_cost: Decimal,
    /// Holding cost per year as a share of the unit cost (0.25: 25% a year).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub holding_rate: Decimal,
    /// What a unit short costs (lost margin, expediting, goodwill).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub shortage_penalty: Decimal,
}

/// The economic order quantity `sqrt(2 D K / h)`, or `None` when any input is not
/// positive.
///
/// ```
/// // Annual demand 1,000, 10.00 an order, 0.50 a unit-year: 200 (Heizer and Render,
/// // "Operations Management", the Sharp, Inc. example).
/// let q = onhand_replenish::eoq(1000.0, 10.0, 0.5).unwrap();
/// assert!((q - 200.0).abs() < 1e-9);
/// ```
#[must_use]
pub fn eoq(annual_demand: f64, order_cost: f64, holding_per_unit_year: f64) -> Option<f64> {
    (annual_demand > 0.0 && order_cost > 0.0 && holding_per_unit_year > 0.0)
        .then(|| (2.0 * annual_demand * order_cost / holding_per_unit_year).sqrt())
        .filter(|q| q.is_finite())
}

/// The replenishment parameters of one item at one site, with what they came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameters {
    /// Safety stock.
    pub safety_stock: Decimal,
    /// Reorder point `s`.
    pub reorder_point: Decimal,
    /// Order-up-to level `S` (min-max and periodic review).
    pub order_up_to: Option<Decimal>,
    /// The order quantity `Q` (EOQ or the policy's, rounded and bounded).
    pub order_qty: Decimal,
    /// The rounding steps and order bounds.
    pub steps: Steps,
    /// The safety factor, for statistical safety stock.
    pub z: Option<f64>,
    /// Daily demand mean.
    pub daily_demand: f64,
    /// Daily demand deviation.
    pub daily_std_dev: f64,
    /// The protection interval in days (`L`, or `R + L`).
    pub interval_days: f64,
    /// Deviation of demand over the interval, `σT`.
    pub sigma_interval: f64,
    /// The same levels before rounding, for comparison with a textbook whatever the
    /// unit step.
    pub unrounded: Unrounded,
}

/// The levels of [`Parameters`] before rounding to the step (and, for the order
/// quantity, before the order minimum and maximum).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unrounded {
    /// Safety stock.
    pub safety_stock: f64,
    /// Reorder point `d L + SS`. The rounded [`Parameters::reorder_point`] is
    /// `up(d L + up(SS))`: it covers the lead time's demand on top of the safety stock
    /// as held (rounded), so it can be a step above this figure rounded up (unlike
    /// [`crate::plain::levels`], which rounds `d L + SS` once).
    pub reorder_point: f64,
    /// Order-up-to level: `s + Q` for min-max (the unrounded `s` plus the order quantity
    /// as ordered, within the order minimum and maximum), `d (R + L) + SS` for periodic
    /// review.
    pub order_up_to: Option<f64>,
    /// The order quantity: the given lot, the EOQ, the order minimum or a lead time's
    /// demand.
    pub order_qty: f64,
}

/// The step quantities round up to: the order multiple, or the base unit's step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Steps {
    /// The smallest step (base unit rounding, or the multiple).
    pub step: Decimal,
    /// Minimum order.
    pub min: Option<Decimal>,
    /// Maximum order.
    pub max: Option<Decimal>,
}

impl Steps {
    /// The steps of `policy` for an item with `units`.
    ///
    /// # Errors
    /// [`ReplenishError::Quantity`] for a minimum, multiple or maximum in a unit the item
    /// is not counted in; [`ReplenishError::MaxBelowMin`] for a maximum below the
    /// minimum; [`ReplenishError::NoOrderFits`] when no multiple lies between the
    /// minimum (or one multiple) and the maximum; [`ReplenishError::InvalidInput`] for a
    /// multiple that is not positive.
    pub fn of(policy: &ItemSitePolicy, units: &ItemUnits) -> Res<Steps> {
        let base = |q: &onhand_master::Qty, what: &'static str| -> Res<Decimal> {
            units
                .to_base(*q)
                .map(onhand_master::Qty::value)
                .map_err(|source| ReplenishError::Quantity { what, source })
        };
        let unit_step = {
            let scale = units.rounding(units.base()).map_or(0, Rounding::scale);
            Decimal::new(1, scale)
        };
        let step = match &policy.order_multiple {
            Some(m) => {
                let m = base(m, "an order multiple")?;
                if m <= Decimal::ZERO {
                    return Err(ReplenishError::input(Field::OrderMultiple, Bound::Positive, m)
                        .at(&policy.item, &policy.site));
                }
                m
            }
            None => unit_step,
        };
        let min = policy.order_min.as_ref().map(|q| base(q, "an order minimum")).transpose()?;
        let max = policy.order_max.as_ref().map(|q| base(q, "an order maximum")).transpose()?;
        if let (Some(lo), Some(hi)) = (min, max)
            && hi < lo
        {
            return Err(ReplenishError::MaxBelowMin {
                item: policy.item.clone(),
                site: policy.site.clone(),
                min: lo,
                max: hi,
            });
        }
        let steps = Steps { step, min, max };
        // Some multiple must lie between the least order and the maximum.
        if let Some(hi) = max {
            let least = steps.up_exact(min.unwrap_or(step))?.max(step);
            if steps.down_exact(hi)? < least {
                return Err(ReplenishError::NoOrderFits {
                    item: policy.item.clone(),
                    site: policy.site.clone(),
                    multiple: step,
                    least,
                    max: hi,
                });
            }
        }
        Ok(steps)
    }

    /// `x` rounded up to the step (0 for anything not positive).
    ///
    /// # Errors
    /// [`ReplenishError::Overflow`] for a value beyond the decimal range.
    pub fn up(&self, x: f64) -> Res<Decimal> {
        if !x.is_finite() {
            return Err(ReplenishError::Overflow("a quantity"));
        }
        if x <= 0.0 {
            return Ok(Decimal::ZERO);
        }
        let v = Decimal::from_f64(x).ok_or(ReplenishError::Overflow("a quantity"))?;
        self.up_exact(v)
    }

    /// An exact `v` rounded up to the step.
    ///
    /// # Errors
    /// [`ReplenishError::Overflow`].
    pub fn up_exact(&self, v: Decimal) -> Res<Decimal> {
        to_multiple(v, self.step, RoundingMode::Up)
    }

    /// An exact `v` rounded down to the step.
    ///
    /// # Errors
    /// [`ReplenishError::Overflow`].
    pub fn down_exact(&self, v: Decimal) -> Res<Decimal> {
        to_multiple(v, self.step, RoundingMode::Down)
    }

    /// An order of at least `need`: rounded up to the step, raised to the minimum, and
    /// capped at the maximum (rounded down to the step).
    ///
    /// # Errors
    /// [`ReplenishError::Overflow`].
    pub fn order(&self, need: Decimal) -> Res<Decimal> {
        let mut q = self.up_exact(need)?;
        if let Some(min) = self.min
            && q < min
        {
            q = self.up_exact(min)?;
        }
        if let Some(max) = self.max
            && q > max
        {
            q = self.down_exact(max)?;
        }
        Ok(q)
    }
}

/// `v` as a whole number of `step`s, rounded by `mode` (0 for anything not positive).
pub(crate) fn to_multiple(v: Decimal, step: Decimal, mode: RoundingMode) -> Res<Decimal> {
    if v <= Decimal::ZERO {
        return Ok(Decimal::ZERO);
    }
    let whole = Rounding::new(0, mode).map_err(|_| ReplenishError::Overflow("a rounding"))?;
    let k = mul_div_round(v, Decimal::ONE, step, whole)
        .map_err(|_| ReplenishError::Overflow("a quantity"))?;
    k.mul_x(step).map(|x| x.normalize()).ok_or(ReplenishError::Overflow("a quantity"))
}

fn f(v: Decimal) -> f64 {
    v.to_f64().unwrap_or(0.0)
}

fn target_value(t: ServiceTarget) -> Res<f64> {
    let v = f(t.value());
    if v > 0.0 && v < 1.0 { Ok(v) } else { Err(ReplenishError::Target { value: Some(t.value()) }) }
}

/// The parameters of `policy` for demand `stats`, with `costs` for the economic order
/// quantity (without costs the order quantity is the minimum order, or a lead time's
/// demand, at least one step).
///
/// ```
/// use onhand_master::{seed, Catalog, ItemSitePolicy, LeadTime, PlanningMethod, SafetyStock, ServiceTarget};
/// use onhand_replenish::{parameters, DemandStats};
/// use rust_decimal::Decimal;
/// let catalog = Catalog::new(seed::demo_network())?;
/// let units = catalog.item_units(catalog.item_ix(&"BOLT-M8".parse()?).ok_or("item")?).ok_or("units")?;
/// let mut policy = ItemSitePolicy::new("BOLT-M8".parse()?, "ATL".parse()?);
/// policy.planning = PlanningMethod::ReorderPoint;
/// policy.safety_stock = SafetyStock::Statistical;
/// policy.service_target = Some(ServiceTarget::CycleServiceLevel("0.95".parse()?));
/// policy.lead_time = LeadTime { mean_days: Decimal::from(9), std_dev_days: Decimal::ZERO };
/// // 100 a day, deviation 20 a day, 9 days: SS = 1.645 x 20 x 3 = 98.7, up to 99.
/// let p = parameters(&policy, units, &DemandStats::daily(100.0, 20.0), None)?;
/// assert_eq!(p.safety_stock, Decimal::from(99));
/// assert_eq!(p.reorder_point, Decimal::from(999));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`ReplenishError::NoReviewPeriod`] for periodic review without a review period (or
/// one of zero days), [`ReplenishError::Target`] for a service target outside (0, 1),
/// [`ReplenishError::NoServiceTarget`] for statistical safety stock without a target,
/// [`ReplenishError::InvalidInput`] for negative or non-finite statistics, [`ReplenishError::Quantity`] for a fixed safety stock in
/// another unit.
pub fn parameters(
    policy: &ItemSitePolicy,
    units: &ItemUnits,
    stats: &DemandStats,
    costs: Option<&Costs>,
) -> Res<Parameters> {
    compute(policy, units, stats, Lot::From(costs))
}

/// The parameters of `policy` for demand `stats` with the lot size `Q` given: it is
/// the order quantity (rounded up to the step and within the order minimum and
/// maximum), and fill-rate safety stock is computed for it.
///
/// ```
/// use onhand_master::{seed, Catalog, ItemSitePolicy, LeadTime, PlanningMethod, SafetyStock, ServiceTarget};
/// use onhand_replenish::{parameters_for_lot, DemandStats};
/// use rust_decimal::Decimal;
/// let catalog = Catalog::new(seed::demo_network())?;
/// let units = catalog.item_units(catalog.item_ix(&"BOLT-M8".parse()?).ok_or("item")?).ok_or("units")?;
/// let mut policy = ItemSitePolicy::new("BOLT-M8".parse()?, "ATL".parse()?);
/// policy.planning = PlanningMethod::ReorderPoint;
/// policy.safety_stock = SafetyStock::Statistical;
/// policy.service_target = Some(ServiceTarget::FillRate("0.975".parse()?));
/// policy.lead_time = LeadTime { mean_days: Decimal::from(14), std_dev_days: Decimal::ZERO };
/// policy.order_multiple = None;
/// // Chopra & Meindl, the Lego example: 2,500 a week (sd 500), 2 weeks, lots of 10,000,
/// // a 97.5% fill rate: SS = 66.7 (book: 67).
/// let p = parameters_for_lot(&policy, units, &DemandStats::weekly(2500.0, 500.0), Decimal::from(10_000))?;
/// assert_eq!((p.order_qty, p.safety_stock), (Decimal::from(10_000), Decimal::from(67)));
/// assert!((p.unrounded.safety_stock - 66.70).abs() < 0.01);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// As [`parameters`], and [`ReplenishError::InvalidInput`] for a lot that is not
/// positive.
pub fn parameters_for_lot(
    policy: &ItemSitePolicy,
    units: &ItemUnits,
    stats: &DemandStats,
    lot: Decimal,
) -> Res<Parameters> {
    if lot <= Decimal::ZERO {
        return Err(
            ReplenishError::input(Field::Lot, Bound::Positive, lot).at(&policy.item, &policy.site)
        );
    }
    compute(policy, units, stats, Lot::Given(lot))
}

/// Where the order quantity comes from.
#[derive(Clone, Copy)]
enum Lot<'a> {
    /// The EOQ with costs; otherwise the order minimum, or a lead time's demand.
    From(Option<&'a Costs>),
    /// Given.
    Given(Decimal),
}

/// The order quantity before and after rounding and bounds, for daily demand `d` and a
/// lead time of `lead` days.
fn order_quantity(steps: &Steps, lot: Lot<'_>, d: f64, lead: f64) -> Res<(f64, Decimal)> {
    Ok(match lot {
        Lot::Given(q) => (f(q), steps.order(q)?),
        Lot::From(costs) => {
            let eoq_units = costs.and_then(|c| {
                let h = f(c.unit_cost) * f(c.holding_rate);
                eoq(d * 365.0, f(c.order_cost), h)
            });
            let raw_q = match (eoq_units, steps.min) {
                (Some(q), _) => q,
                (None, Some(min)) => f(min),
                (None, None) => d * lead.max(1.0),
            };
            (raw_q, steps.order(steps.up(raw_q)?.max(steps.step))?)
        }
    })
}

fn compute(
    policy: &ItemSitePolicy,
    units: &ItemUnits,
    stats: &DemandStats,
    lot: Lot<'_>,
) -> Res<Parameters> {
    let steps = &Steps::of(policy, units)?;
    let d = stats.daily_mean();
    let sd = stats.daily_std_dev();
    for (field, v) in [(Field::DailyDemand, d), (Field::DailyStdDev, sd)] {
        let bound = if !v.is_finite() {
            Bound::Finite
        } else if v < 0.0 {
            Bound::NotNegative
        } else {
            continue;
        };
        return Err(ReplenishError::float(field, bound, v).at(&policy.item, &policy.site));
    }
    let lead = f(policy.lead_time.mean_days).max(0.0);
    let lead_sd = f(policy.lead_time.std_dev_days).max(0.0);
    let review = match (policy.planning, policy.review_period_days) {
        (PlanningMethod::PeriodicReview, Some(r)) if r > 0 => f64::from(r),
        (PlanningMethod::PeriodicReview, _) => {
            return Err(ReplenishError::NoReviewPeriod {
                item: policy.item.clone(),
                site: policy.site.clone(),
            });
        }
        _ => 0.0,
    };
    let interval = lead + review;
    let sigma = (interval * sd * sd + d * d * lead_sd * lead_sd).sqrt();
    // The order quantity first: fill-rate safety stock depends on it.
    let (raw_q, order_qty) = order_quantity(steps, lot, d, lead)?;
    let (ss, z) = match &policy.safety_stock {
        SafetyStock::None => (0.0, None),
        SafetyStock::Fixed(q) => {
            let b = units.to_base(*q).map_err(|source| ReplenishError::Quantity {
                what: "a fixed safety stock",
                source,
            })?;
            (f(b.value()), None)
        }
        SafetyStock::DaysOfSupply(n) => (f(*n) * d, None),
        SafetyStock::Statistical => {
            let target = policy.service_target.ok_or_else(|| ReplenishError::NoServiceTarget {
                item: policy.item.clone(),
                site: policy.site.clone(),
            })?;
            let v = target_value(target)?;
            let k = match target {
                ServiceTarget::CycleServiceLevel(_) => {
                    normal::inverse_cdf(v).ok_or_else(|| ReplenishError::target(v))?
                }
                ServiceTarget::FillRate(_) => {
                    if sigma <= 0.0 {
                        0.0
                    } else {
                        let g = (1.0 - v) * f(order_qty) / sigma;
                        normal::inverse_loss(g).map_or(0.0, |k| k.max(0.0))
                    }
                }
            };
            ((k * sigma).max(0.0), Some(k))
        }
    };
    // The planner's rounding: the safety stock is rounded to the stock it will hold,
    // and the reorder point covers the lead time's demand on top of that held stock,
    // `up(d L + up(SS))`. `plain::levels` gives textbook figures instead, each its own
    // exact figure rounded once, `up(d L + SS)`; the two differ by at most one step.
    let safety_stock = steps.up(ss)?;
    let reorder_point = steps.up(d * lead + f(safety_stock))?;
    let order_up_to = match policy.planning {
        PlanningMethod::MinMax => Some(steps.up_exact(
            reorder_point.add_x(order_qty).ok_or(ReplenishError::Overflow("a level"))?,
        )?),
        PlanningMethod::PeriodicReview => Some(steps.up(d * interval + f(safety_stock))?),
        _ => None,
    };
    let unrounded = Unrounded {
        safety_stock: ss,
        reorder_point: d * lead + ss,
        order_up_to: match policy.planning {
            PlanningMethod::MinMax => Some(d * lead + ss + f(order_qty)),
            PlanningMethod::PeriodicReview => Some(d * interval + ss),
            _ => None,
        },
        order_qty: raw_q,
    };
    Ok(Parameters {
        unrounded,
        steps: *steps,
        safety_stock,
        reorder_point,
        order_up_to,
        order_qty,
        z,
        daily_demand: d,
        daily_std_dev: sd,
        interval_days: interval,
        sigma_interval: sigma,
    })
}

/// What a policy asks to order at `position`: `None` when the position is above the
/// reorder point; otherwise the quantity (for (s, Q): enough multiples of `Q` to get
/// above `s`; min-max and periodic review: up to `S`), bounded by the policy.
///
/// # Errors
/// [`ReplenishError::Overflow`].
pub fn order_need(
    policy: &ItemSitePolicy,
    params: &Parameters,
    position: Decimal,
) -> Res<Option<Decimal>> {
    let steps = &params.steps;
    let over = |a: Decimal, b: Decimal| a.sub_x(b).ok_or(ReplenishError::Overflow("a need"));
    match policy.planning {
        PlanningMethod::Manual | PlanningMethod::Drp => Ok(None),
        PlanningMethod::ReorderPoint => {
            if position > params.reorder_point {
                return Ok(None);
            }
            let q = params.order_qty.max(steps.step);
            let gap = over(params.reorder_point, position)?;
            let whole = Rounding::new(0, RoundingMode::Down)
                .map_err(|_| ReplenishError::Overflow("a rounding"))?;
            let n = mul_div_round(gap, Decimal::ONE, q, whole)
                .map_err(|_| ReplenishError::Overflow("a need"))?;
            let times = n.add_x(Decimal::ONE).ok_or(ReplenishError::Overflow("a need"))?;
            Ok(Some(steps.order(times.mul_x(q).ok_or(ReplenishError::Overflow("a need"))?)?))
        }
        PlanningMethod::MinMax | PlanningMethod::PeriodicReview => {
            let top = params.order_up_to.unwrap_or(params.reorder_point);
            let below = match policy.planning {
                PlanningMethod::MinMax => position <= params.reorder_point,
                _ => position < top,
            };
            if !below {
                return Ok(None);
            }
            Ok(Some(steps.order(over(top, position)?)?))
        }
    }
}
