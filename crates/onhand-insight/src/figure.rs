//! The values figures are reported in: a [`Figure`] that is either a value or "not
//! enough data" (never NaN), exact [`Ratio`]s, money [`Amounts`] per currency, and
//! duration distributions ([`Dist`]) from a [`Sketch`].
//!
//! | type | operation | result | failure |
//! |---|---|---|---|
//! | [`Ratio`] | [`Ratio::value`] | numerator / denominator, exact to 28 digits | denominator 0: [`Figure::NotEnoughData`] |
//! | [`Amounts`] | [`Amounts::add`] | per-currency sum, exact | beyond the decimal range: `Err` |
//! | [`Dist`] | [`Dist::of`] | count, exact mean, p50 and p90 to 1/128 | empty: [`Figure::NotEnoughData`] |

use onhand_master::{CurrencyCode, Decimal, Money};
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use crate::error::InsightError;
use crate::sketch::Sketch;

/// A figure, or the statement that there is not enough data for it: a zero
/// denominator, an empty period, a sample below the statistic's minimum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Figure<T> {
    /// The figure.
    Value(T),
    /// Not enough data: the sample held and the minimum the figure needs.
    NotEnoughData {
        /// Observations held.
        have: u64,
        /// Observations needed.
        need: u64,
    },
}

impl<T> Figure<T> {
    /// The value, if there is one.
    #[must_use]
    pub fn value(&self) -> Option<&T> {
        match self {
            Figure::Value(v) => Some(v),
            Figure::NotEnoughData { .. } => None,
        }
    }

    /// Whether the figure has a value.
    #[must_use]
    pub fn is_value(&self) -> bool {
        matches!(self, Figure::Value(_))
    }
}

impl<T: std::fmt::Display> std::fmt::Display for Figure<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Figure::Value(v) => v.fmt(f),
            Figure::NotEnoughData { have, need } => write!(f, "n/a ({have} of {need})"),
        }
    }
}

/// An exact ratio: what was counted over what it is counted against.
///
/// ```
/// use onhand_insight::{Figure, Ratio};
/// use onhand_master::Decimal;
/// let r = Ratio::new(Decimal::from(9), Decimal::from(12));
/// assert_eq!(r.value(), Figure::Value(Decimal::new(75, 2)));
/// assert_eq!(Ratio::default().value(), Figure::NotEnoughData { have: 0, need: 1 });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Ratio {
    /// What was counted (units on time, lines filled, counts within tolerance).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub numerator: Decimal,
    /// What it is counted against (units ordered, lines, counts).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub denominator: Decimal,
}

impl Ratio {
    /// A ratio of two exact figures.
    #[must_use]
    pub fn new(numerator: Decimal, denominator: Decimal) -> Ratio {
        Ratio { numerator, denominator }
    }

    /// A ratio of two counts.
    #[must_use]
    pub fn of_counts(numerator: u64, denominator: u64) -> Ratio {
        Ratio { numerator: Decimal::from(numerator), denominator: Decimal::from(denominator) }
    }

    /// The share, exact to `Decimal`'s 28 digits, or "not enough data" for a zero
    /// denominator.
    #[must_use]
    pub fn value(&self) -> Figure<Decimal> {
        if self.denominator.is_zero() {
            return Figure::NotEnoughData { have: 0, need: 1 };
        }
        match self.numerator.checked_div(self.denominator) {
            Some(v) => Figure::Value(v.normalize()),
            None => Figure::NotEnoughData { have: 0, need: 1 },
        }
    }
}

impl std::fmt::Display for Ratio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.value() {
            Figure::Value(v) => {
                let (n, d) = (self.numerator.normalize(), self.denominator.normalize());
                match v.checked_mul(Decimal::ONE_HUNDRED) {
                    Some(pct) => write!(f, "{}% ({n}/{d})", pct.round_dp(1)),
                    // A share beyond a hundredth of the decimal range (only a ratio
                    // built from figures no record could give): the share itself.
                    None => write!(f, "{v} ({n}/{d})"),
                }
            }
            Figure::NotEnoughData { .. } => f.write_str("n/a"),
        }
    }
}

/// Money in one or more currencies, kept as exact per-currency sums (sorted by
/// currency, so output order is deterministic).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Amounts(SmallVec<[Money; 1]>);

impl Amounts {
    /// Adds `m` to its currency's sum.
    ///
    /// # Errors
    /// [`InsightError::Overflow`] beyond the decimal range (nothing is changed).
    pub fn add(&mut self, m: Money) -> Result<(), InsightError> {
        let cur = m.currency();
        if let Some(x) = self.0.iter_mut().find(|x| x.currency() == cur) {
            *x = x.checked_add(m).map_err(|_| InsightError::Overflow("an amount"))?;
        } else {
            let at = self.0.iter().position(|x| x.currency().as_str() > cur.as_str());
            self.0.insert(at.unwrap_or(self.0.len()), m);
        }
        Ok(())
    }

    /// Adds every currency of `other`.
    ///
    /// # Errors
    /// [`InsightError::Overflow`].
    pub fn merge(&mut self, other: &Amounts) -> Result<(), InsightError> {
        for m in &other.0 {
            self.add(*m)?;
        }
        Ok(())
    }

    /// Adds `m` inside a cell, whose sums the record bounds keep far inside the decimal
    /// range (see [`crate::exact`]); a sum beyond it (only a restored snapshot's
    /// figures get there) leaves the cell as it was, never a panic.
    pub(crate) fn acc(&mut self, m: Money) {
        // The common case, one sum in `m`'s currency at `m`'s scale: `Decimal`'s own
        // addition of equal scales (no rescaling; exactly `Money::checked_add`'s sum,
        // representation included, within the bounds).
        if let Some(x) = self.0.iter_mut().find(|x| x.currency() == m.currency())
            && x.amount().scale() == m.amount().scale()
            && let Some(sum) = x.amount().checked_add(m.amount())
            && sum.scale() == m.amount().scale()
        {
            *x = Money::new(sum, m.currency());
            return;
        }
        // Beyond the range: the cell keeps its sum (see above).
        let _beyond = self.add(m);
    }

    /// Adds every currency of `other` inside a cell, as [`Amounts::acc`].
    pub(crate) fn acc_all(&mut self, other: &Amounts) {
        for m in &other.0 {
            self.acc(*m);
        }
    }

    /// The sums, one per currency, sorted by currency.
    #[must_use]
    pub fn as_slice(&self) -> &[Money] {
        &self.0
    }

    /// The sum in `currency` (zero when none).
    #[must_use]
    pub fn get(&self, currency: CurrencyCode) -> Decimal {
        self.0.iter().find(|m| m.currency() == currency).map_or(Decimal::ZERO, |m| m.amount())
    }

    /// Whether every sum is zero (or there is none).
    #[must_use]
    pub fn is_zero(&self) -> bool {
        self.0.iter().all(|m| m.is_zero())
    }
}

impl std::fmt::Display for Amounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return f.write_str("0");
        }
        for (i, m) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" + ")?;
            }
            write!(f, "{m}")?;
        }
        Ok(())
    }
}

/// A distribution of durations in seconds: count, exact mean, and the median and 90th
/// percentile to within 1/128 (see [`Sketch`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dist {
    /// Durations held.
    pub count: u64,
    /// The exact mean in seconds (rounded to 0.01 s).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub mean_secs: Decimal,
    /// The median in seconds.
    pub p50_secs: u64,
    /// The 90th percentile in seconds.
    pub p90_secs: u64,
}

impl Dist {
    /// The distribution held by `sketch`, or "not enough data" when it is empty.
    #[must_use]
    pub fn of(sketch: &Sketch) -> Figure<Dist> {
        let (Some(p50), Some(p90)) = (sketch.quantile(0.5), sketch.quantile(0.9)) else {
            return Figure::NotEnoughData { have: 0, need: 1 };
        };
        let mean = Decimal::try_from_i128_with_scale(
            i128::try_from(sketch.sum()).unwrap_or(i128::MAX / 2),
            0,
        )
        .ok()
        .and_then(|s| s.checked_div(Decimal::from(sketch.count())))
        .map_or(Decimal::ZERO, |m| m.round_dp(2));
        Figure::Value(Dist { count: sketch.count(), mean_secs: mean, p50_secs: p50, p90_secs: p90 })
    }

    /// Hours, for display.
    #[must_use]
    pub fn hours(secs: u64) -> Decimal {
        (Decimal::from(secs) / Decimal::from(3600)).round_dp(1)
    }
}

impl std::fmt::Display for Dist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "n={} mean {}h p50 {}h p90 {}h",
            self.count,
            (self.mean_secs / Decimal::from(3600)).round_dp(1),
            Dist::hours(self.p50_secs),
            Dist::hours(self.p90_secs)
        )
    }
}

/// Reads a `Figure<Decimal>` whose value follows the plain-decimal rule of
/// [`onhand_master::decimal::serde_str`] (no underscores, exponents or floats), for
/// `#[serde(deserialize_with = "...")]`; it writes as the derive does.
pub(crate) fn plain<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Figure<Decimal>, D::Error> {
    Ok(match Figure::<onhand_master::decimal::serde_str::Plain>::deserialize(d)? {
        Figure::Value(p) => Figure::Value(p.0),
        Figure::NotEnoughData { have, need } => Figure::NotEnoughData { have, need },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_figure_read_through_the_plain_rule_refuses_underscores_without_recursing() {
        #[derive(Debug, Deserialize)]
        struct F(#[serde(deserialize_with = "super::plain")] Figure<Decimal>);
        let read = |s: &str| serde_json::from_str::<F>(s).map(|f| f.0);
        assert_eq!(read(r#"{"value": "0.5"}"#).unwrap(), Figure::Value(Decimal::new(5, 1)));
        assert_eq!(
            read(r#"{"not_enough_data": {"have": 1, "need": 2}}"#).unwrap(),
            Figure::NotEnoughData { have: 1, need: 2 }
        );
        assert!(read(r#"{"value": "1e3"}"#).is_err());
        let hostile = format!(r#"{{"value": "2{}"}}"#, "_".repeat(1_000_000));
        assert!(read(&hostile).is_err());
    }

    #[test]
    fn amounts_keep_currencies_apart_and_sorted() {
        let mut a = Amounts::default();
        a.add("5.00 USD".parse().unwrap()).unwrap();
        a.add("2.50 EUR".parse().unwrap()).unwrap();
        a.add("1.25 USD".parse().unwrap()).unwrap();
        assert_eq!(a.to_string(), "2.50 EUR + 6.25 USD");
        a.add("-2.50 EUR".parse().unwrap()).unwrap();
        assert_eq!(a.to_string(), "0 EUR + 6.25 USD");
        let usd = CurrencyCode::new("USD").unwrap();
        assert_eq!(a.get(usd), Decimal::new(625, 2));
    }

    #[test]
    fn dist_of_a_sketch() {
        let mut s = Sketch::default();
        for x in [10u64, 20, 30, 40, 50, 60, 70, 80, 90, 100] {
            s.add(x);
        }
        let d = Dist::of(&s);
        assert_eq!(
            d,
            Figure::Value(Dist {
                count: 10,
                mean_secs: Decimal::from(55),
                p50_secs: 50,
                p90_secs: 90
            })
        );
        assert_eq!(Dist::of(&Sketch::default()), Figure::NotEnoughData { have: 0, need: 1 });
        assert_eq!(Ratio::of_counts(1, 3).to_string(), "33.3% (1/3)");
    }

    #[test]
    fn a_ratio_beyond_a_hundredth_of_the_range_prints_without_panicking() {
        let r = Ratio::new(Decimal::MAX, Decimal::ONE);
        assert_eq!(r.to_string(), format!("{} ({}/1)", Decimal::MAX, Decimal::MAX));
        assert_eq!(Ratio::of_counts(u64::MAX, 1).to_string(), {
            let n = Decimal::from(u64::MAX);
            format!("{}% ({n}/1)", n * Decimal::ONE_HUNDRED)
        });
    }
}
