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

/// 10^(12 + s) for s in 0..=8: the largest mantissa of scale s within the bounds.
const POW10: [u128; 9] = [
    10u128.pow(12),
    10u128.pow(13),
    10u128.pow(14),
    10u128.pow(15),
    10u128.pow(16),
    10u128.pow(17),
    10u128.pow(18),
    10u128.pow(19),
    10u128.pow(20),
];

/// Checks one quantity or amount against the bounds.
#[inline]
pub(crate) fn check(field: &'static str, d: Decimal) -> Result<(), InsightError> {
    // Fast path, exact: with at most 8 places, |d| = m / 10^s <= 10^12 exactly when
    // the mantissa m <= 10^(12 + s) (at most 10^20, within `u128`).
    let s = d.scale();
    if s <= MAX_SCALE {
        let m = d.mantissa().unsigned_abs();
        return if POW10.get(s as usize).is_some_and(|limit| m <= *limit) {
            Ok(())
        } else {
            Err(InsightError::InvalidRecord { field, reason: "beyond 10^12 in magnitude" })
        };
    }
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

/// `a` against `b`, as `Decimal`'s order: two decimals of the same scale compare by
/// their mantissas (one integer comparison, no rescaling).
#[inline]
pub(crate) fn cmp(a: Decimal, b: Decimal) -> std::cmp::Ordering {
    if a.scale() == b.scale() { a.mantissa().cmp(&b.mantissa()) } else { a.cmp(&b) }
}

/// `a < b` (see [`cmp`]).
#[inline]
pub(crate) fn lt(a: Decimal, b: Decimal) -> bool {
    cmp(a, b).is_lt()
}

/// `a >= b` (see [`cmp`]).
#[inline]
pub(crate) fn ge(a: Decimal, b: Decimal) -> bool {
    cmp(a, b).is_ge()
}

/// `a.min(b)`, exactly as `Decimal::min` (`a` when equal).
#[inline]
pub(crate) fn min(a: Decimal, b: Decimal) -> Decimal {
    if cmp(a, b).is_gt() { b } else { a }
}

/// `a.max(b)`, exactly as `Decimal::max` (`a` when equal).
#[inline]
pub(crate) fn max(a: Decimal, b: Decimal) -> Decimal {
    if cmp(a, b).is_lt() { b } else { a }
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
        assert!(check("qty", Decimal::new(100_000_000_000_000_000, 5)).is_ok()); // 10^12 at 5 places
        assert!(check("qty", Decimal::new(100_000_000_000_000_001, 5)).is_err());
        assert!(check("qty", Decimal::new(-100_000_000_000_000_001, 5)).is_err());
    }

    proptest::proptest! {
        /// The fast comparisons agree with `Decimal`'s, representation included.
        #[test]
        fn fast_comparisons_are_decimal_s(a in proptest::num::i64::ANY, sa in 0u32..=10, b in proptest::num::i64::ANY, sb in 0u32..=10, same in proptest::bool::ANY) {
            let x = Decimal::new(a, sa);
            let y = if same { Decimal::new(b, sa) } else { Decimal::new(b, sb) };
            for (p, q) in [(x, y), (y, x), (x, x), (x, x.normalize())] {
                proptest::prop_assert_eq!(cmp(p, q), p.cmp(&q));
                proptest::prop_assert_eq!(lt(p, q), p < q);
                proptest::prop_assert_eq!(ge(p, q), p >= q);
                let (m, mx) = (min(p, q), max(p, q));
                proptest::prop_assert_eq!((m.mantissa(), m.scale()), (p.min(q).mantissa(), p.min(q).scale()));
                proptest::prop_assert_eq!((mx.mantissa(), mx.scale()), (p.max(q).mantissa(), p.max(q).scale()));
            }
        }

        /// The fast path agrees with comparing decimals.
        #[test]
        fn the_fast_bound_check_is_the_decimal_comparison(m in proptest::num::i64::ANY, s in 0u32..=8) {
            let d = Decimal::new(m, s);
            let slow = d.abs() <= Decimal::from(MAX_MAGNITUDE);
            proptest::prop_assert_eq!(check("qty", d).is_ok(), slow);
        }
    }
}
