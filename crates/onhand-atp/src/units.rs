//! The engine's exact integer quantities and days.
//!
//! On the hot path a quantity is an `i64` count of the item's smallest base unit step
//! (an each for items counted in `EA`, a gram for an item in `KG` with three decimals):
//! `units = base quantity × 10^scale`, where `scale` is the base unit's declared scale.
//! The conversion to and from `Decimal` at the boundary is exact or an error, never a
//! rounding. A day is an `i32` count of days since 1970-01-01.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::AtpError;

/// A calendar day as a count of days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "NaiveDate", into = "NaiveDate")]
pub struct Day(pub i32);

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

impl Day {
    /// The day of a date.
    ///
    /// # Errors
    /// [`AtpError::DateOutOfRange`] for dates beyond ±5.8 million years.
    ///
    /// ```
    /// use onhand_atp::Day;
    /// let date = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).ok_or("date")?;
    /// assert_eq!(Day::of(date)?.date(), date);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn of(date: NaiveDate) -> Result<Day, AtpError> {
        let days = date.signed_duration_since(epoch()).num_days();
        i32::try_from(days).map(Day).map_err(|_| AtpError::DateOutOfRange { date })
    }

    /// The date of this day.
    ///
    /// ```
    /// use onhand_atp::Day;
    /// let date = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).ok_or("date")?;
    /// assert_eq!(Day::of(date)?.plus(3).date(), chrono::NaiveDate::from_ymd_opt(2026, 1, 8).ok_or("date")?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn date(self) -> NaiveDate {
        // 1970-01-01 is day 719,163 counted from 0001-01-01 (day 1).
        self.0
            .checked_add(719_163)
            .and_then(NaiveDate::from_num_days_from_ce_opt)
            .unwrap_or_else(epoch)
    }

    /// `n` days later (saturating).
    ///
    /// ```
    /// use onhand_atp::Day;
    /// let date = chrono::NaiveDate::from_ymd_opt(2026, 1, 30).ok_or("date")?;
    /// assert_eq!(Day::of(date)?.plus(3).date(), chrono::NaiveDate::from_ymd_opt(2026, 2, 2).ok_or("date")?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn plus(self, n: i32) -> Day {
        Day(self.0.saturating_add(n))
    }

    /// `n` days earlier (saturating).
    ///
    /// ```
    /// use onhand_atp::Day;
    /// let date = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).ok_or("date")?;
    /// assert_eq!(Day::of(date)?.minus(5).date(), chrono::NaiveDate::from_ymd_opt(2025, 12, 31).ok_or("date")?);
    /// assert_eq!(Day::of(date)?.minus(5).plus(5), Day::of(date)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn minus(self, n: i32) -> Day {
        Day(self.0.saturating_sub(n))
    }
}

impl TryFrom<NaiveDate> for Day {
    type Error = AtpError;
    fn try_from(d: NaiveDate) -> Result<Self, Self::Error> {
        Day::of(d)
    }
}

impl From<Day> for NaiveDate {
    fn from(d: Day) -> NaiveDate {
        d.date()
    }
}

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.date())
    }
}

/// 10^scale as an `i64`, for scales up to 18.
pub(crate) fn pow10(scale: u32) -> Option<i64> {
    10i64.checked_pow(scale)
}

/// A base quantity as integer units at `scale`.
///
/// # Errors
/// [`AtpError::NotRepresentable`] when the quantity has more decimal places than the
/// scale or does not fit an `i64`.
pub(crate) fn to_units(value: Decimal, scale: u32) -> Result<i64, AtpError> {
    let bad = || AtpError::NotRepresentable { value, scale };
    let v = value.normalize();
    if v.scale() > scale {
        return Err(bad());
    }
    let factor = pow10(scale - v.scale()).ok_or_else(bad)?;
    let mantissa = i64::try_from(v.mantissa()).map_err(|_| bad())?;
    mantissa.checked_mul(factor).ok_or_else(bad)
}

/// Integer units at `scale` as a base quantity.
pub(crate) fn from_units(units: i64, scale: u32) -> Decimal {
    if scale == 0 {
        return Decimal::from(units);
    }
    Decimal::new(units, scale.min(28)).normalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_dates() {
        for (y, m, d) in [(1970, 1, 1), (2026, 1, 5), (1969, 12, 31), (2400, 2, 29)] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(Day::of(date).unwrap().date(), date);
        }
        assert_eq!(Day::of(NaiveDate::from_ymd_opt(1970, 1, 11).unwrap()).unwrap(), Day(10));
        assert_eq!(Day(10).plus(5).minus(3), Day(12));
    }

    #[test]
    fn units_are_exact_or_refused() {
        assert_eq!(to_units(Decimal::new(125, 1), 3).unwrap(), 12_500);
        assert_eq!(to_units(Decimal::from(7), 0).unwrap(), 7);
        assert!(to_units(Decimal::new(15, 1), 0).is_err());
        assert!(to_units(Decimal::MAX, 0).is_err());
        assert_eq!(from_units(12_500, 3), Decimal::new(125, 1));
    }
}
