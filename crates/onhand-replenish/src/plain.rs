//! Replenishment from plain numbers, as a planner works it on paper: safety stock,
//! reorder point, order-up-to level and the economic order quantity from a demand mean
//! and deviation per period, a lead time and its deviation, and a service target; and
//! the evaluation of a given (s, Q), (s, S) or (R, S) policy.
//!
//! No `Item`, `ItemUnits` or `ItemSitePolicy` is needed, and every figure is in the one
//! period the caller chose (days, weeks, months): demand per period, lead time and
//! review period in periods. Every level comes out twice, as a [`Level`]: exact (the
//! unrounded figure a textbook prints) and rounded **up** to the unit step the caller
//! names.
//!
//! With demand per period `d` (deviation `σd`), lead time `L` (deviation `σL`) and a
//! review period `R` (0 for continuous review), demand over the protection interval
//! `T = L + R` has mean `d T` and deviation `σT = sqrt(T σd² + d² σL²)`.
//!
//! | figure | formula |
//! |---|---|
//! | safety factor, cycle service level `α` | `z = Φ⁻¹(α)` |
//! | safety factor, fill rate `β` with lot `Q` | `G(z) = (1 − β) Q / σT` (`G`: the standard normal loss function) |
//! | safety stock | `SS = z σT` |
//! | reorder point | `s = d L + SS` |
//! | order-up-to level | `S = d (L + R) + SS` |
//! | economic order quantity | `sqrt(2 D K / h)` (annual demand `D`, cost per order `K`, holding cost per unit-year `h`) |
//!
//! [`evaluate`] runs the other way: from a policy to its service and cost, with the
//! quantity a cycle brings `Q` (the lot of (s, Q); `S − s` for (s, S); `d R` for (R, S)):
//!
//! | figure | formula |
//! |---|---|
//! | safety stock | `SS = s − d L` (or `S − d (R + L)`), and `z = SS / σT` |
//! | cycle service level | `Φ(z)` |
//! | expected shortage per cycle | `ESC = σT G(z)` |
//! | fill rate, backorders | `1 − ESC / Q`, and 0 once `ESC` passes `Q` (no demand met from stock) |
//! | fill rate, lost sales | `Q / (Q + ESC)` (a cycle's demand is what it sells, `Q`, plus what it loses) |
//! | cycle stock | `Q / 2` |
//! | average backorders | `B = (σT² / Q) (G2(z) − G2(z + Q / σT))` (`G2`: the second-order loss function; for certain demand, with `a = −SS`: 0, `a² / 2Q`, or `a − Q / 2` past `a = Q`) |
//! | average inventory (on hand) | `Q / 2 + SS + B`: never negative; `Q / 2 + SS` whenever shortages are rare |
//! | flow time | average inventory / `d`, in periods (Little's law) |
//! | orders per year | annual demand / `Q` (for (R, S): periods per year / `R`) |
//! | annual cost | orders per year × `K` + average inventory × `h` |
//!
//! The textbook's average inventory `Q / 2 + SS` is the average *net* inventory, on hand
//! less backordered: it is the stock on hand only while shortages are rare, and goes
//! negative (and with it the holding cost and the flow time) for a level far below
//! demand. The average backorders `B` are the exact expected backorders of an inventory
//! position spread evenly over the cycle (Hadley & Whitin; Zipkin, *Foundations of
//! Inventory Management*, on the (r, q) policy), so `Q / 2 + SS + B` is the average on
//! hand: 0.71 above the Lego example's 6,000, and 0 when nothing is ever on hand.
//!
//! Sources: Chopra & Meindl, *Supply Chain Management*, chapters on cycle and safety
//! inventory; Silver, Pyke & Thomas, *Inventory and Production Management in Supply
//! Chains*, on the loss function and the (s, Q), (s, S) and (R, S) systems. The normal
//! functions are those of [`crate::normal`], to the accuracy documented there.
//!
//! ```
//! use onhand_replenish::plain::{levels, Demand, Service};
//! use rust_decimal::Decimal;
//! // Weekly demand 2,500 (sd 500), lead time 2 weeks, a 90% cycle service level
//! // (Chopra & Meindl, the Lego example): σL = 707.1, SS = 1.2816 × 707.1 = 906.2.
//! let demand = Demand { mean: 2500.0, std_dev: 500.0, lead_time: 2.0, lead_time_std_dev: 0.0 };
//! let l = levels(&demand, 0.0, Service::CycleServiceLevel(0.90), Decimal::ONE)?;
//! assert!((l.safety_stock.exact - 906.19).abs() < 0.01);
//! assert_eq!(l.safety_stock.rounded, Decimal::from(907));
//! assert_eq!(l.reorder_point.rounded, Decimal::from(5_907));
//! # Ok::<(), onhand_replenish::ReplenishError>(())
//! ```

// Statistics use floating point; the rounded levels are exact decimals.
#![allow(clippy::float_arithmetic)]

use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;
use serde::{Deserialize, Serialize};

use crate::error::{Bound, Field, ReplenishError};
use crate::exact::Exact;
use crate::normal;
use crate::stats::DemandStats;

type Res<T> = Result<T, ReplenishError>;

/// Demand per period and the lead time in periods, all in one period length.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Demand {
    /// Mean demand per period.
    pub mean: f64,
    /// Standard deviation of demand per period.
    pub std_dev: f64,
    /// Mean lead time, in periods.
    pub lead_time: f64,
    /// Standard deviation of the lead time, in periods.
    pub lead_time_std_dev: f64,
}

impl Demand {
    /// Demand from `stats` in the stats' own period (a week for
    /// [`DemandStats::weekly`]), with the lead time and its deviation in that period.
    ///
    /// ```
    /// use onhand_replenish::{plain::Demand, DemandStats};
    /// let d = Demand::from_stats(&DemandStats::weekly(2500.0, 500.0), 2.0, 0.0);
    /// assert_eq!((d.mean, d.std_dev, d.lead_time), (2500.0, 500.0, 2.0));
    /// ```
    #[must_use]
    pub fn from_stats(stats: &DemandStats, lead_time: f64, lead_time_std_dev: f64) -> Demand {
        Demand { mean: stats.mean, std_dev: stats.std_dev, lead_time, lead_time_std_dev }
    }

    /// Mean demand over the protection interval `L + review`.
    #[must_use]
    pub fn mean_over(&self, review: f64) -> f64 {
        self.mean * (self.lead_time + review)
    }

    /// Deviation of demand over the protection interval `L + review`:
    /// `sqrt((L + R) σd² + d² σL²)`.
    ///
    /// ```
    /// use onhand_replenish::plain::Demand;
    /// // Chopra & Meindl, the Dell example: 2,500 a day (sd 500), 7 days (sd 7):
    /// // sqrt(7 × 500² + 2,500² × 7²) = 17,549.9.
    /// let d = Demand { mean: 2500.0, std_dev: 500.0, lead_time: 7.0, lead_time_std_dev: 7.0 };
    /// assert!((d.sigma_over(0.0) - 17_549.93).abs() < 0.01);
    /// ```
    #[must_use]
    pub fn sigma_over(&self, review: f64) -> f64 {
        let t = self.lead_time + review;
        (t * self.std_dev * self.std_dev
            + self.mean * self.mean * self.lead_time_std_dev * self.lead_time_std_dev)
            .sqrt()
    }

    fn check(&self) -> Res<()> {
        not_negative(Field::DemandMean, self.mean)?;
        not_negative(Field::DemandStdDev, self.std_dev)?;
        not_negative(Field::LeadTime, self.lead_time)?;
        not_negative(Field::LeadTimeStdDev, self.lead_time_std_dev)
    }
}

/// A service target as a planner states it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    /// The probability of no stockout in a replenishment cycle, in (0, 1).
    CycleServiceLevel(f64),
    /// The share of demand met from stock (backorder form), in (0, 1), for cycles that
    /// each bring `lot_size` units: the order quantity for continuous review, the demand
    /// over one review period for periodic review.
    FillRate {
        /// The fill rate.
        rate: f64,
        /// The quantity one cycle brings.
        lot_size: f64,
    },
    /// The safety factor `z` given directly (any finite number).
    SafetyFactor(f64),
}

/// A level both ways: the exact (unrounded) figure and the figure rounded up to the
/// unit step.
///
/// The rounding treats a figure within 1e-9 of a step as on it, so floating-point noise
/// (`200.00000000000003`) does not add a step.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Level {
    /// The unrounded figure.
    pub exact: f64,
    /// The figure rounded up to the step (towards +∞, so a negative figure rounds
    /// towards zero).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub rounded: Decimal,
}

impl Level {
    /// `exact` with its rounding up to `step`.
    ///
    /// ```
    /// use onhand_replenish::plain::Level;
    /// use rust_decimal::Decimal;
    /// let l = Level::new(906.19, "0.5".parse()?)?;
    /// assert_eq!(l.rounded, "906.5".parse::<Decimal>()?);
    /// assert_eq!(Level::new(-2.4, Decimal::ONE)?.rounded, Decimal::from(-2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`ReplenishError::InvalidInput`] for a step that is not positive;
    /// [`ReplenishError::Overflow`] for a figure that is not finite or beyond the
    /// decimal range.
    pub fn new(exact: f64, step: Decimal) -> Res<Level> {
        Ok(Level { exact, rounded: round_up(exact, step)? })
    }
}

/// `x` rounded up (towards +∞) to a whole number of `step`s.
/// `Ok` for a finite `v` that is not negative, else the error for `field`.
fn not_negative(field: Field, v: f64) -> Res<()> {
    if !v.is_finite() {
        Err(ReplenishError::float(field, Bound::Finite, v))
    } else if v < 0.0 {
        Err(ReplenishError::float(field, Bound::NotNegative, v))
    } else {
        Ok(())
    }
}

/// `Ok` for a finite `v` above zero, else the error for `field`.
fn positive(field: Field, v: f64) -> Res<()> {
    if !v.is_finite() {
        Err(ReplenishError::float(field, Bound::Finite, v))
    } else if v > 0.0 {
        Ok(())
    } else {
        Err(ReplenishError::float(field, Bound::Positive, v))
    }
}

fn round_up(x: f64, step: Decimal) -> Res<Decimal> {
    if step <= Decimal::ZERO {
        return Err(ReplenishError::input(Field::Step, Bound::Positive, step));
    }
    if !x.is_finite() {
        return Err(ReplenishError::Overflow("a level"));
    }
    let v = Decimal::from_f64(x).ok_or(ReplenishError::Overflow("a level"))?.round_dp(9);
    let k = v.checked_div(step).ok_or(ReplenishError::Overflow("a level"))?.ceil();
    k.mul_x(step).map(|x| x.normalize()).ok_or(ReplenishError::Overflow("a level"))
}

/// The safety factor for `service` over a protection interval with deviation `sigma`.
fn safety_factor(service: Service, sigma: f64) -> Res<f64> {
    let in_unit = |v: f64| v > 0.0 && v < 1.0;
    match service {
        Service::CycleServiceLevel(a) => {
            if !in_unit(a) {
                return Err(ReplenishError::target(a));
            }
            normal::inverse_cdf(a).ok_or_else(|| ReplenishError::target(a))
        }
        Service::FillRate { rate, lot_size } => {
            if !in_unit(rate) {
                return Err(ReplenishError::target(rate));
            }
            positive(Field::Lot, lot_size)?;
            if sigma <= 0.0 {
                // No uncertainty: no safety stock is needed for any fill rate.
                return Ok(0.0);
            }
            normal::inverse_loss((1.0 - rate) * lot_size / sigma)
                .ok_or(ReplenishError::Overflow("a safety factor"))
        }
        Service::SafetyFactor(z) => {
            if z.is_finite() {
                Ok(z)
            } else {
                Err(ReplenishError::float(Field::SafetyFactor, Bound::Finite, z))
            }
        }
    }
}

/// The levels for one service target: see [`levels`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Levels {
    /// The safety factor `z` (0 for a fill rate when `σT` is 0).
    pub z: f64,
    /// Mean demand over the protection interval, `d (L + R)`.
    pub mean_over_interval: f64,
    /// Deviation of demand over the protection interval, `σT`.
    pub sigma_over_interval: f64,
    /// Safety stock `z σT` (negative for a cycle service level below 0.5).
    pub safety_stock: Level,
    /// Reorder point `d L + SS`.
    pub reorder_point: Level,
    /// Order-up-to level `d (L + R) + SS`, for a review period above 0.
    pub order_up_to: Option<Level>,
}

/// Safety stock, reorder point and (for `review > 0`) order-up-to level for `demand`
/// reviewed every `review` periods (0: continuous review), rounded up to `step`.
///
/// Each rounded level is its exact figure rounded up, so the rounded reorder point is
/// `ceil(d L + SS)`, not `d L + ceil(SS)`: textbook figures. The planner
/// ([`crate::parameters`]) rounds differently on purpose: its reorder point covers the
/// lead time's demand on top of the safety stock it will hold, `ceil(d L + ceil(SS))`,
/// at most one step higher.
///
/// ```
/// use onhand_replenish::plain::{levels, Demand, Service};
/// use rust_decimal::Decimal;
/// // Chopra & Meindl, the Lego example under periodic review: weekly demand 2,500 (sd
/// // 500), lead time 2 weeks, reviewed every 4 weeks, CSL 90%: σ = sqrt(6) × 500 = 1,224.7,
/// // SS = 1,569.6, order up to 6 × 2,500 + SS = 16,569.6.
/// let demand = Demand { mean: 2500.0, std_dev: 500.0, lead_time: 2.0, lead_time_std_dev: 0.0 };
/// let l = levels(&demand, 4.0, Service::CycleServiceLevel(0.90), Decimal::ONE)?;
/// let up_to = l.order_up_to.ok_or("periodic review has one")?;
/// assert!((up_to.exact - 16_569.57).abs() < 0.01);
/// assert_eq!(up_to.rounded, Decimal::from(16_570));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`ReplenishError::InvalidInput`] for negative or non-finite demand, lead time or
/// review, a fill rate without a positive lot size, or a step that is not positive;
/// [`ReplenishError::Target`] for a service level or fill rate outside (0, 1);
/// [`ReplenishError::Overflow`] for a level beyond the decimal range.
pub fn levels(demand: &Demand, review: f64, service: Service, step: Decimal) -> Res<Levels> {
    demand.check()?;
    check_review(review, false)?;
    let sigma = demand.sigma_over(review);
    let z = safety_factor(service, sigma)?;
    let ss = z * sigma;
    let rop = demand.mean * demand.lead_time + ss;
    let order_up_to =
        (review > 0.0).then(|| Level::new(demand.mean_over(review) + ss, step)).transpose()?;
    Ok(Levels {
        z,
        mean_over_interval: demand.mean_over(review),
        sigma_over_interval: sigma,
        safety_stock: Level::new(ss, step)?,
        reorder_point: Level::new(rop, step)?,
        order_up_to,
    })
}

fn check_review(review: f64, must_be_positive: bool) -> Res<()> {
    if must_be_positive {
        positive(Field::ReviewPeriod, review)
    } else {
        not_negative(Field::ReviewPeriod, review)
    }
}

/// Safety stock for `demand` reviewed every `review` periods: [`levels`]' safety stock.
///
/// ```
/// use onhand_replenish::plain::{safety_stock, Demand, Service};
/// use rust_decimal::Decimal;
/// // Chopra & Meindl, the Lego example for a 97.5% fill rate with lots of 10,000:
/// // ESC = 0.025 × 10,000 = 250 = 707.1 G(k), so k = 0.0943 and SS = 66.7.
/// let demand = Demand { mean: 2500.0, std_dev: 500.0, lead_time: 2.0, lead_time_std_dev: 0.0 };
/// let fill = Service::FillRate { rate: 0.975, lot_size: 10_000.0 };
/// let ss = safety_stock(&demand, 0.0, fill, Decimal::ONE)?;
/// assert!((ss.exact - 66.70).abs() < 0.01);
/// assert_eq!(ss.rounded, Decimal::from(67));
/// # Ok::<(), onhand_replenish::ReplenishError>(())
/// ```
///
/// # Errors
/// As [`levels`].
pub fn safety_stock(demand: &Demand, review: f64, service: Service, step: Decimal) -> Res<Level> {
    levels(demand, review, service, step).map(|l| l.safety_stock)
}

/// Reorder point `d L + SS` for continuous review: [`levels`]' reorder point.
///
/// ```
/// use onhand_replenish::plain::{reorder_point, Demand, Service};
/// use rust_decimal::Decimal;
/// // A safety factor given directly: 2,500 a week, sd 500, 2 weeks, z = 2:
/// // 5,000 + 2 × 707.107 = 6,414.2.
/// let demand = Demand { mean: 2500.0, std_dev: 500.0, lead_time: 2.0, lead_time_std_dev: 0.0 };
/// let s = reorder_point(&demand, Service::SafetyFactor(2.0), Decimal::ONE)?;
/// assert!((s.exact - 6_414.21).abs() < 0.01);
/// assert_eq!(s.rounded, Decimal::from(6_415));
/// # Ok::<(), onhand_replenish::ReplenishError>(())
/// ```
///
/// # Errors
/// As [`levels`].
pub fn reorder_point(demand: &Demand, service: Service, step: Decimal) -> Res<Level> {
    levels(demand, 0.0, service, step).map(|l| l.reorder_point)
}

/// Order-up-to level `d (L + R) + SS` for a review every `review` periods.
///
/// ```
/// use onhand_replenish::plain::{order_up_to, Demand, Service};
/// use rust_decimal::Decimal;
/// let demand = Demand { mean: 2500.0, std_dev: 500.0, lead_time: 2.0, lead_time_std_dev: 0.0 };
/// let s = order_up_to(&demand, 4.0, Service::CycleServiceLevel(0.90), Decimal::from(10))?;
/// assert_eq!(s.rounded, Decimal::from(16_570));
/// # Ok::<(), onhand_replenish::ReplenishError>(())
/// ```
///
/// # Errors
/// [`ReplenishError::InvalidInput`] for a review period that is not positive, and as
/// [`levels`].
pub fn order_up_to(demand: &Demand, review: f64, service: Service, step: Decimal) -> Res<Level> {
    check_review(review, true)?;
    levels(demand, review, service, step)?
        .order_up_to
        .ok_or_else(|| ReplenishError::float(Field::ReviewPeriod, Bound::Positive, review))
}

/// The economic order quantity `sqrt(2 D K / h)` as a [`Level`]: annual demand `D`,
/// cost per order `K`, holding cost per unit-year `h`. No shortage penalty is involved.
///
/// ```
/// use onhand_replenish::plain::eoq;
/// use rust_decimal::Decimal;
/// // Chopra & Meindl, the Best Buy example: D = 12,000, K = 4,000, h = 100: 979.8.
/// let q = eoq(12_000.0, 4_000.0, 100.0, Decimal::ONE)?;
/// assert!((q.exact - 979.80).abs() < 0.01);
/// assert_eq!(q.rounded, Decimal::from(980));
/// # Ok::<(), onhand_replenish::ReplenishError>(())
/// ```
///
/// # Errors
/// [`ReplenishError::InvalidInput`] for an input that is not positive and finite or a
/// step that is not positive; [`ReplenishError::Overflow`] beyond the decimal range.
pub fn eoq(
    annual_demand: f64,
    order_cost: f64,
    holding_per_unit_year: f64,
    step: Decimal,
) -> Res<Level> {
    positive(Field::AnnualDemand, annual_demand)?;
    positive(Field::OrderCost, order_cost)?;
    positive(Field::HoldingCost, holding_per_unit_year)?;
    let q = crate::policy::eoq(annual_demand, order_cost, holding_per_unit_year)
        .ok_or(ReplenishError::Overflow("an economic order quantity"))?;
    Level::new(q, step)
}

/// A replenishment policy to evaluate, in the demand's period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Continuous review: order `lot` when the position reaches `reorder_point`.
    ReorderPointLot {
        /// `s`.
        reorder_point: f64,
        /// `Q`.
        lot: f64,
    },
    /// Continuous review: when the position reaches `reorder_point`, order up to
    /// `up_to`. Evaluated as (s, Q) with `Q = S − s`, which is exact when demand comes
    /// one unit at a time (no undershoot below `s`; Silver, Pyke & Thomas).
    ReorderPointUpTo {
        /// `s`.
        reorder_point: f64,
        /// `S`, above `s`.
        up_to: f64,
    },
    /// Periodic review every `review` periods, ordering up to `up_to`.
    PeriodicUpTo {
        /// `R`, in periods.
        review: f64,
        /// `S`.
        up_to: f64,
    },
}

/// What a year costs: for orders per year and the annual ordering and holding cost.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Year {
    /// Periods in a year (365 days, 52 weeks, 12 months).
    pub periods: f64,
    /// Cost of one order `K`.
    pub order_cost: f64,
    /// Holding cost of one unit for a year `h`.
    pub holding_per_unit: f64,
}

/// Annual ordering and holding cost.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AnnualCost {
    /// Orders per year × cost per order.
    pub ordering: f64,
    /// Average inventory × holding cost per unit-year.
    pub holding: f64,
    /// Their sum.
    pub total: f64,
}

/// Service and cost of a policy: see [`evaluate`] and the module's table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The quantity one cycle brings: `Q`, `S − s`, or `d R`.
    pub cycle_quantity: f64,
    /// Mean demand over the protection interval.
    pub mean_over_interval: f64,
    /// Deviation of demand over the protection interval `σT`.
    pub sigma_over_interval: f64,
    /// Safety stock the policy implies: its level less the mean demand over the
    /// protection interval (negative when the level is below it).
    pub safety_stock: f64,
    /// `SS / σT`; `None` when `σT` is 0 (demand over the interval is certain).
    pub z: Option<f64>,
    /// Probability of no stockout in a cycle.
    pub cycle_service_level: f64,
    /// Expected shortage per cycle `σT G(z)`: units backordered (backorder form) or
    /// lost (lost-sales form); the same figure in both forms.
    pub expected_shortage_per_cycle: f64,
    /// Fill rate when shortages are backordered: `1 − ESC / Q`, at least 0 (a share of
    /// demand; the formula alone goes negative once `ESC` passes `Q`).
    pub fill_rate_backorder: f64,
    /// Fill rate when shortages are lost: `Q / (Q + ESC)`.
    pub fill_rate_lost_sales: f64,
    /// Cycle stock `Q / 2`.
    pub cycle_stock: f64,
    /// Average backorders `B`: units owed to customers on average, over a cycle (see
    /// the module's table).
    pub average_backorders: f64,
    /// Average inventory on hand, `Q / 2 + SS + B` (never negative): the textbook's
    /// `Q / 2 + SS` plus what it counts as negative stock while backordered.
    pub average_inventory: f64,
    /// Average flow time in periods, average inventory (on hand) / demand per period;
    /// `None` for no demand.
    pub flow_time: Option<f64>,
    /// Orders per year, with a [`Year`].
    pub orders_per_year: Option<f64>,
    /// Annual ordering plus holding cost, with a [`Year`].
    pub annual_cost: Option<AnnualCost>,
}

/// Evaluates `policy` against `demand`: cycle service level, expected shortage and fill
/// rate (backorder and lost-sales form), cycle, safety and average stock, flow time and,
/// with a [`Year`], orders per year and annual cost (see the module's table).
///
/// ```
/// use onhand_replenish::plain::{evaluate, Demand, Policy, Year};
/// // Chopra & Meindl, the Lego example: weekly demand 2,500 (sd 500), lead time 2
/// // weeks, reorder point 6,000, lots of 10,000: SS = 1,000, CSL = Φ(1.414) = 0.921,
/// // ESC = 25.13, fill rate 0.9975, average inventory 6,000 (the book's Q/2 + SS; 0.71
/// // more on hand, the units it counts as negative while backordered), flow time 2.4
/// // weeks.
/// let demand = Demand { mean: 2500.0, std_dev: 500.0, lead_time: 2.0, lead_time_std_dev: 0.0 };
/// let year = Year { periods: 52.0, order_cost: 400.0, holding_per_unit: 2.0 };
/// let policy = Policy::ReorderPointLot { reorder_point: 6000.0, lot: 10_000.0 };
/// let e = evaluate(&demand, policy, Some(year))?;
/// assert!((e.cycle_service_level - 0.9214).abs() < 1e-4);
/// assert!((e.expected_shortage_per_cycle - 25.13).abs() < 0.01);
/// assert!((e.fill_rate_backorder - 0.9975).abs() < 1e-4);
/// assert_eq!(e.safety_stock, 1000.0);
/// assert!((e.average_backorders - 0.71).abs() < 0.005);
/// assert!((e.average_inventory - 6000.71).abs() < 0.005);
/// assert!((e.flow_time.ok_or("demand")? - 2.4).abs() < 0.001);
/// // 130,000 a year in lots of 10,000: 13 orders (5,200) and 6,000.71 held (12,001.42).
/// assert!((e.annual_cost.ok_or("year")?.total - 17_201.42).abs() < 0.01);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`ReplenishError::InvalidInput`] for negative or non-finite demand or lead time, a
/// lot or review period that is not positive, an order-up-to level not above the
/// reorder point, a non-finite level, or a [`Year`] with figures that are negative,
/// non-finite or (periods) zero.
pub fn evaluate(demand: &Demand, policy: Policy, year: Option<Year>) -> Res<Evaluation> {
    demand.check()?;
    let (level, review, q) = match policy {
        Policy::ReorderPointLot { reorder_point, lot } => {
            positive(Field::Lot, lot)?;
            (reorder_point, 0.0, lot)
        }
        Policy::ReorderPointUpTo { reorder_point, up_to } => {
            if !up_to.is_finite() {
                return Err(ReplenishError::float(Field::OrderUpTo, Bound::Finite, up_to));
            }
            if up_to.partial_cmp(&reorder_point) != Some(std::cmp::Ordering::Greater) {
                return Err(ReplenishError::float(
                    Field::OrderUpTo,
                    Bound::AboveReorderPoint,
                    up_to,
                ));
            }
            (reorder_point, 0.0, up_to - reorder_point)
        }
        Policy::PeriodicUpTo { review, up_to } => {
            check_review(review, true)?;
            (up_to, review, demand.mean * review)
        }
    };
    if !level.is_finite() {
        return Err(ReplenishError::float(Field::Level, Bound::Finite, level));
    }
    if let Some(y) = year {
        positive(Field::PeriodsPerYear, y.periods)?;
        not_negative(Field::OrderCost, y.order_cost)?;
        not_negative(Field::HoldingCost, y.holding_per_unit)?;
    }
    let mean = demand.mean_over(review);
    let sigma = demand.sigma_over(review);
    let ss = level - mean;
    let (z, csl, esc) = if sigma > 0.0 {
        let z = ss / sigma;
        (Some(z), normal::cdf(z), sigma * normal::loss(z))
    } else {
        // Certain demand: short by exactly what the level misses.
        (None, if ss >= 0.0 { 1.0 } else { 0.0 }, (-ss).max(0.0))
    };
    // A fill rate is a share of demand: past `ESC = Q` (a level far below demand over
    // the interval) nothing is met from stock, and the textbook `1 − ESC / Q` would go
    // negative.
    let (fill_back, fill_lost) =
        if q > 0.0 { ((1.0 - esc / q).max(0.0), q / (q + esc)) } else { (1.0, 1.0) };
    let cycle_stock = q / 2.0;
    let backorders = average_backorders(ss, sigma, q, esc);
    // Net plus backordered: on hand. Far below demand the two nearly cancel, and the
    // rounding must not leave a negative stock.
    let average = (cycle_stock + ss + backorders).max(0.0);
    let flow_time = (demand.mean > 0.0).then(|| average / demand.mean);
    let orders = year.map(|y| match policy {
        Policy::PeriodicUpTo { review, .. } => y.periods / review,
        _ => demand.mean * y.periods / q,
    });
    let annual_cost = year.zip(orders).map(|(y, n)| {
        let ordering = n * y.order_cost;
        let holding = average * y.holding_per_unit;
        AnnualCost { ordering, holding, total: ordering + holding }
    });
    Ok(Evaluation {
        cycle_quantity: q,
        mean_over_interval: mean,
        sigma_over_interval: sigma,
        safety_stock: ss,
        z,
        cycle_service_level: csl,
        expected_shortage_per_cycle: esc,
        fill_rate_backorder: fill_back,
        fill_rate_lost_sales: fill_lost,
        cycle_stock,
        average_backorders: backorders,
        average_inventory: average,
        flow_time,
        orders_per_year: orders,
        annual_cost,
    })
}

/// The average backorders of a policy whose inventory position runs evenly over
/// `(level, level + q]` against demand over the protection interval with deviation
/// `sigma`, the level `ss` above its mean: `(σ² / q) (G2(z) − G2(z + q / σ))`, the
/// expected shortage `σ G` averaged over the positions. For certain demand, the level
/// misses by `a = −ss`, owed for part of the cycle or all of it; for `q = 0` (no demand
/// over a review) the position stays at the level, and `esc` is the answer.
fn average_backorders(ss: f64, sigma: f64, q: f64, esc: f64) -> f64 {
    if q <= 0.0 {
        return esc;
    }
    if sigma > 0.0 {
        let z = ss / sigma;
        let spread = normal::loss2(z) - normal::loss2(z + q / sigma);
        return (sigma * sigma / q * spread).max(0.0);
    }
    let a = -ss;
    if a <= 0.0 {
        0.0
    } else if a < q {
        a * a / (2.0 * q)
    } else {
        a - q / 2.0
    }
}

/// What a reorder point implies: see [`implied_by_reorder_point`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Implied {
    /// Safety stock `s − d L`.
    pub safety_stock: f64,
    /// `SS / σL`; `None` when `σL` is 0.
    pub z: Option<f64>,
    /// The cycle service level `Φ(z)`.
    pub cycle_service_level: f64,
}

/// The safety stock and cycle service level that `reorder_point` implies for `demand`
/// under continuous review: the inverse of [`reorder_point`] for a cycle service level.
///
/// ```
/// use onhand_replenish::plain::{implied_by_reorder_point, Demand};
/// // Chopra & Meindl, the Lego example: a reorder point of 6,000 against 5,000 expected
/// // over the lead time holds 1,000 of safety stock, a 92.1% cycle service level.
/// let demand = Demand { mean: 2500.0, std_dev: 500.0, lead_time: 2.0, lead_time_std_dev: 0.0 };
/// let i = implied_by_reorder_point(&demand, 6000.0)?;
/// assert_eq!(i.safety_stock, 1000.0);
/// assert!((i.cycle_service_level - 0.92135).abs() < 1e-5);
/// # Ok::<(), onhand_replenish::ReplenishError>(())
/// ```
///
/// # Errors
/// [`ReplenishError::InvalidInput`] as [`evaluate`].
pub fn implied_by_reorder_point(demand: &Demand, reorder_point: f64) -> Res<Implied> {
    let e = evaluate(demand, Policy::ReorderPointLot { reorder_point, lot: 1.0 }, None)?;
    Ok(Implied { safety_stock: e.safety_stock, z: e.z, cycle_service_level: e.cycle_service_level })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_up_to_a_step_ignores_float_noise_and_rounds_negatives_towards_zero() {
        let one = Decimal::ONE;
        assert_eq!(round_up(200.000_000_000_000_03, one).unwrap(), Decimal::from(200));
        assert_eq!(round_up(200.001, one).unwrap(), Decimal::from(201));
        assert_eq!(round_up(-0.5, one).unwrap(), Decimal::ZERO);
        assert_eq!(round_up(7.0, Decimal::from(5)).unwrap(), Decimal::from(10));
        assert!(round_up(1.0, Decimal::ZERO).is_err());
        assert!(round_up(f64::NAN, one).is_err());
        assert!(round_up(1e40, one).is_err());
    }

    #[test]
    fn bad_inputs_are_refused() {
        let d = Demand { mean: 10.0, std_dev: 2.0, lead_time: 3.0, lead_time_std_dev: 0.0 };
        let one = Decimal::ONE;
        let csl = Service::CycleServiceLevel(0.9);
        assert!(levels(&Demand { mean: -1.0, ..d }, 0.0, csl, one).is_err());
        assert!(levels(&d, -1.0, csl, one).is_err());
        assert!(levels(&d, 0.0, Service::CycleServiceLevel(1.0), one).is_err());
        let no_lot = Service::FillRate { rate: 0.9, lot_size: 0.0 };
        assert!(levels(&d, 0.0, no_lot, one).is_err());
        assert!(order_up_to(&d, 0.0, csl, one).is_err());
        let upside_down = Policy::ReorderPointUpTo { reorder_point: 50.0, up_to: 40.0 };
        assert!(evaluate(&d, upside_down, None).is_err());
        let no_year = Year { periods: 0.0, order_cost: 1.0, holding_per_unit: 1.0 };
        let sq = Policy::ReorderPointLot { reorder_point: 30.0, lot: 10.0 };
        assert!(evaluate(&d, sq, Some(no_year)).is_err());
        assert!(eoq(0.0, 1.0, 1.0, one).is_err());
    }

    #[test]
    fn certain_demand_is_short_by_what_the_level_misses() {
        let d = Demand { mean: 10.0, std_dev: 0.0, lead_time: 3.0, lead_time_std_dev: 0.0 };
        let e =
            evaluate(&d, Policy::ReorderPointLot { reorder_point: 28.0, lot: 20.0 }, None).unwrap();
        assert_eq!((e.z, e.cycle_service_level, e.expected_shortage_per_cycle), (None, 0.0, 2.0));
        assert!((e.fill_rate_backorder - 0.9).abs() < 1e-12);
        let l = levels(&d, 0.0, Service::FillRate { rate: 0.99, lot_size: 20.0 }, Decimal::ONE)
            .unwrap();
        assert_eq!((l.z, l.safety_stock.exact), (0.0, 0.0));
    }

    /// A level far below demand over the lead time: each cycle of 10 is short by 20, so
    /// no demand is met from stock (the textbook `1 − ESC / Q` would say −1).
    #[test]
    fn a_fill_rate_is_never_negative() {
        let d = Demand { mean: 10.0, std_dev: 0.0, lead_time: 3.0, lead_time_std_dev: 0.0 };
        let e =
            evaluate(&d, Policy::ReorderPointLot { reorder_point: 10.0, lot: 10.0 }, None).unwrap();
        assert_eq!((e.expected_shortage_per_cycle, e.fill_rate_backorder), (20.0, 0.0));
        assert!((e.fill_rate_lost_sales - 10.0 / 30.0).abs() < 1e-12);
    }
}
