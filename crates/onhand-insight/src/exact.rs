//! Bounds that keep every sum exact: a record's quantities and amounts are at most
//! 10^12 in magnitude with at most 8 decimal places, so a 96-bit decimal mantissa holds
//! the sum of 790 million of the largest without rounding. Cells hold a day's records,
//! and sums across cells at query time are checked.

use onhand_master::{Decimal, Money};

use crate::error::InsightError;

/// The largest magnitude a record's quantity or amount may have.
pub const MAX_MAGNITUDE: i64 = 1_000_000_000_000;
/// The most decimal places a record's quantity or amount may have.
pub const MAX_SCALE: u32 = 8;

/// Checks one quantity or amount against the bounds.
pub(crate) fn check(field: &'static str, d: Decimal) -> Result<(), InsightError> {
    if d.scale() > MAX_SCALE && d.normalize().scale() > MAX_SCALE {
        return Err(InsightError::InvalidRecord { field, reason: "more than 8 decimal places" });
    }
    if d.abs() > Decimal::from(MAX_MAGNITUDE) {
        return Err(InsightError::InvalidRecord { field, reason: "beyond 10^12 in magnitude" });
    }
    Ok(())
}

/// Checks an amount of money.
pub(crate) fn check_money(field: &'static str, m: Money) -> Result<(), InsightError> {
    check(field, m.amount())
}

/// `a += b` for figures within the bounds (exact; a sum beyond the decimal range, which
/// the bounds rule out for any realistic cell, is asserted in debug builds).
#[inline]
pub(crate) fn add(a: &mut Decimal, b: Decimal) {
    match a.checked_add(b) {
        Some(v) => *a = v,
        None => debug_assert!(false, "a cell sum beyond the decimal range"),
    }
}

/// `a -= b`, as [`add`].
#[inline]
pub(crate) fn sub(a: &mut Decimal, b: Decimal) {
    match a.checked_sub(b) {
        Some(v) => *a = v,
        None => debug_assert!(false, "a cell sum beyond the decimal range"),
    }
}

/// `a += b` across cells at query time.
pub(crate) fn sum(a: &mut Decimal, b: Decimal) -> Result<(), InsightError> {
    *a = a.checked_add(b).ok_or(InsightError::Overflow("a figure"))?;
    Ok(())
}

/// `a += s` for signed counts kept as `i64` (contributions are added and retracted).
#[inline]
pub(crate) fn count(a: &mut i64, s: i64) {
    *a = a.saturating_add(s);
}

/// A count as a decimal (counts held are never negative once every retraction has
/// met its addition).
pub(crate) fn dec(n: i64) -> Decimal {
    Decimal::from(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert!(check("qty", Decimal::new(123_456_789, 8)).is_ok());
        assert!(check("qty", Decimal::new(1, 9)).is_err());
        assert!(check("qty", Decimal::new(10, 9)).is_ok()); // 0.00000001 written long
        assert!(check("qty", Decimal::from(MAX_MAGNITUDE)).is_ok());
        assert!(check("qty", -Decimal::from(MAX_MAGNITUDE) - Decimal::ONE).is_err());
    }
}
