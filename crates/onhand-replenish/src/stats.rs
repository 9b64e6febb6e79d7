//! Demand and lead-time statistics from dated history the caller passes in: the mean
//! and standard deviation of demand per period, seasonality indices, and the mean and
//! deviation of observed lead times.

// Statistics may use floating point (quantities leave the crate as exact decimals).
#![allow(clippy::float_arithmetic, clippy::cast_precision_loss)]

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use crate::error::{Bound, Field, ReplenishError};

/// Demand statistics of one item at one site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemandStats {
    /// Days per period.
    pub period_days: u32,
    /// Periods observed.
    pub periods: usize,
    /// Mean demand per period (base units).
    pub mean: f64,
    /// Sample standard deviation of demand per period.
    pub std_dev: f64,
    /// Seasonality indices (mean of each position in the season over the overall mean;
    /// they average 1), empty when no season length was given.
    pub seasonality: Vec<f64>,
}

impl DemandStats {
    /// Statistics given directly (a forecast's), per day.
    #[must_use]
    pub fn daily(mean: f64, std_dev: f64) -> Self {
        DemandStats::per_period(1, mean, std_dev)
    }

    /// Statistics given directly, per week (7 days).
    ///
    /// ```
    /// use onhand_replenish::DemandStats;
    /// // 2,500 a week with deviation 500: 357.14 a day with deviation 500 / sqrt(7).
    /// let s = DemandStats::weekly(2500.0, 500.0);
    /// assert!((s.daily_mean() - 2500.0 / 7.0).abs() < 1e-12);
    /// assert!((s.daily_std_dev() - 500.0 / 7f64.sqrt()).abs() < 1e-12);
    /// ```
    #[must_use]
    pub fn weekly(mean: f64, std_dev: f64) -> Self {
        DemandStats::per_period(7, mean, std_dev)
    }

    /// Statistics given directly, per month, taken as 30 days wherever a figure is
    /// converted to days (a policy's lead time and review period are in days). The
    /// functions of [`crate::plain`] work in the stats' own period and convert nothing,
    /// so a monthly textbook case with lead times in months is exact there.
    ///
    /// ```
    /// use onhand_replenish::DemandStats;
    /// let s = DemandStats::monthly(1000.0, 300.0);
    /// assert_eq!((s.period_days, s.mean, s.std_dev), (30, 1000.0, 300.0));
    /// ```
    #[must_use]
    pub fn monthly(mean: f64, std_dev: f64) -> Self {
        DemandStats::per_period(30, mean, std_dev)
    }

    /// Statistics given directly, per period of `period_days` days (0 is taken as 1).
    #[must_use]
    pub fn per_period(period_days: u32, mean: f64, std_dev: f64) -> Self {
        DemandStats {
            period_days: period_days.max(1),
            periods: 0,
            mean,
            std_dev,
            seasonality: Vec::new(),
        }
    }

    /// Mean demand per day.
    #[must_use]
    pub fn daily_mean(&self) -> f64 {
        self.mean / f64::from(self.period_days.max(1))
    }

    /// Standard deviation of demand per day (periods assumed independent: the period's
    /// deviation over the square root of its days).
    #[must_use]
    pub fn daily_std_dev(&self) -> f64 {
        self.std_dev / f64::from(self.period_days.max(1)).sqrt()
    }
}

/// Statistics of `history` (dated demand, base units) over `[from, to)` in periods of
/// `period_days` (periods without demand count as zero), with seasonality indices when
/// `season` periods make a cycle (7 daily periods, 12 monthly-ish ones, ...).
///
/// ```
/// use chrono::NaiveDate;
/// use onhand_replenish::demand_stats;
/// use rust_decimal::Decimal;
/// let day = |d| NaiveDate::from_ymd_opt(2026, 1, d).unwrap();
/// let history = [(day(1), Decimal::from(10)), (day(2), Decimal::from(14)), (day(3), Decimal::from(12))];
/// let s = demand_stats(&history, day(1), day(4), 1, None)?;
/// assert_eq!((s.periods, s.mean), (3, 12.0));
/// assert!((s.std_dev - 2.0).abs() < 1e-12);
/// # Ok::<(), onhand_replenish::ReplenishError>(())
/// ```
///
/// # Errors
/// [`ReplenishError::TooFewPeriods`] for a window of fewer than two periods (an empty
/// one too); [`ReplenishError::InvalidInput`] for zero-day periods or a negative or
/// unrepresentable quantity.
pub fn demand_stats(
    history: &[(NaiveDate, Decimal)],
    from: NaiveDate,
    to: NaiveDate,
    period_days: u32,
    season: Option<usize>,
) -> Result<DemandStats, ReplenishError> {
    if period_days == 0 {
        return Err(ReplenishError::input(Field::PeriodDays, Bound::Positive, Decimal::ZERO));
    }
    let days = (to - from).num_days();
    let periods = usize::try_from(days / i64::from(period_days)).unwrap_or(0);
    if periods < 2 {
        return Err(ReplenishError::TooFewPeriods { days, period_days });
    }
    let mut buckets = vec![0.0f64; periods];
    for (date, qty) in history {
        if *qty < Decimal::ZERO {
            return Err(ReplenishError::input(Field::Demand, Bound::NotNegative, *qty));
        }
        let offset = (*date - from).num_days();
        if offset < 0 {
            continue;
        }
        let k = usize::try_from(offset / i64::from(period_days)).unwrap_or(usize::MAX);
        if let Some(b) = buckets.get_mut(k) {
            *b += qty
                .to_f64()
                .ok_or_else(|| ReplenishError::input(Field::Demand, Bound::Finite, *qty))?;
        }
    }
    let n = periods as f64;
    let mean = buckets.iter().sum::<f64>() / n;
    let var = buckets.iter().map(|b| (b - mean) * (b - mean)).sum::<f64>() / (n - 1.0);
    let seasonality = match season {
        Some(m) if m >= 2 && periods >= m && mean > 0.0 => {
            let mut sums = vec![0.0f64; m];
            let mut counts = vec![0u32; m];
            for (k, b) in buckets.iter().enumerate() {
                if let (Some(s), Some(c)) = (sums.get_mut(k % m), counts.get_mut(k % m)) {
                    *s += b;
                    *c += 1;
                }
            }
            let raw: Vec<f64> =
                sums.iter().zip(&counts).map(|(s, c)| s / f64::from((*c).max(1)) / mean).collect();
            let avg = raw.iter().sum::<f64>() / raw.len() as f64;
            raw.iter().map(|r| if avg > 0.0 { r / avg } else { 1.0 }).collect()
        }
        _ => Vec::new(),
    };
    Ok(DemandStats { period_days, periods, mean, std_dev: var.max(0.0).sqrt(), seasonality })
}

/// Lead-time statistics from observed lead times in days: mean and sample deviation.
///
/// # Errors
/// [`ReplenishError::TooFewObservations`] for fewer than two observations;
/// [`ReplenishError::InvalidInput`] for a negative one.
pub fn lead_time_stats(observed_days: &[Decimal]) -> Result<(f64, f64), ReplenishError> {
    if observed_days.len() < 2 {
        return Err(ReplenishError::TooFewObservations { found: observed_days.len() });
    }
    let mut xs = Vec::with_capacity(observed_days.len());
    for d in observed_days {
        if *d < Decimal::ZERO {
            return Err(ReplenishError::input(Field::ObservedLeadTime, Bound::NotNegative, *d));
        }
        xs.push(
            d.to_f64()
                .ok_or_else(|| ReplenishError::input(Field::ObservedLeadTime, Bound::Finite, *d))?,
        );
    }
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
    Ok((mean, var.max(0.0).sqrt()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, d).unwrap()
    }

    #[test]
    fn weekly_buckets_and_a_two_week_season() {
        // Four weeks: 70, 140, 70, 140 (every other week busy).
        let mut h = Vec::new();
        for w in 0..4u32 {
            let per_day = if w % 2 == 0 { 10 } else { 20 };
            for d in 0..7 {
                h.push((day(1 + w * 7 + d), Decimal::from(per_day)));
            }
        }
        let s = demand_stats(&h, day(1), day(29), 7, Some(2)).unwrap();
        assert_eq!((s.periods, s.mean), (4, 105.0));
        assert!((s.daily_mean() - 15.0).abs() < 1e-12);
        assert!((s.seasonality[0] - 2.0 / 3.0).abs() < 1e-12);
        assert!((s.seasonality[1] - 4.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn bad_windows_and_quantities_are_refused() {
        assert!(demand_stats(&[], day(1), day(2), 1, None).is_err());
        assert!(demand_stats(&[], day(1), day(10), 0, None).is_err());
        assert!(demand_stats(&[(day(2), Decimal::from(-1))], day(1), day(10), 1, None).is_err());
        let (m, s) = lead_time_stats(&[Decimal::from(4), Decimal::from(6)]).unwrap();
        assert!((m - 5.0).abs() < 1e-12 && (s - 2f64.sqrt()).abs() < 1e-12);
    }
}
