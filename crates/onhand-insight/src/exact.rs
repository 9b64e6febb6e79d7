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
            Err(InsightError::BeyondRange { field })
        };
    }
    if d.scale() > MAX_SCALE && d.normalize().scale() > MAX_SCALE {
        return Err(InsightError::InvalidRecord { field, reason: "more than 8 decimal places" });
    }
    if d.abs() > Decimal::from(MAX_MAGNITUDE) {
        return Err(InsightError::BeyondRange { field });
    }
    Ok(())
}

/// Checks an amount of money.
pub(crate) fn check_money(field: &'static str, m: Money) -> Result<(), InsightError> {
    check(field, m.amount())
}

/// `a += b` for figures within the bounds: exact. The bounds keep every sum records
/// can make far inside the decimal range; only a restored snapshot's figures can go
/// beyond it, and such a sum saturates (never a panic).
#[inline]
pub(crate) fn add(a: &mut Decimal, b: Decimal) {
    *a = a.saturating_add(b);
}

/// `a -= b`, as [`add`].
#[inline]
pub(crate) fn sub(a: &mut Decimal, b: Decimal) {
    *a = a.saturating_sub(b);
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

/// The scale of [`Fx`]: units of 10^-8, the finest a record may carry.
const FX_SCALE: u32 = 8;

/// 10^k for k in 0..=20.
const FX_POW: [i128; 21] = {
    let mut p = [1i128; 21];
    let mut k = 1;
    while k < 21 {
        p[k] = p[k - 1] * 10;
        k += 1;
    }
    p
};

/// A quantity or a sum of quantities in fixed point, in units of 10^-8: every record
/// quantity within the bounds is an exact integer of these (at most 10^20 in
/// magnitude), so sums are integer additions, exact far beyond any realistic cell
/// (`i128` holds 10^18 such records). It reads and writes as the `Decimal` it is
/// (normalized: `2.50` is written `2.5`), so snapshots keep their shape.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Fx(pub(crate) i128);

impl Fx {
    /// `d` in units of 10^-8 (exact for a quantity within the bounds, see [`check`];
    /// digits beyond the 8th place, which the bounds refuse, are dropped).
    #[inline]
    pub(crate) fn of(d: Decimal) -> Fx {
        let (m, s) = (d.mantissa(), d.scale());
        // |m| < 2^96 and 10^8 < 2^27: the product fits an `i128`.
        match FX_SCALE.checked_sub(s) {
            Some(up) => Fx(m * FX_POW.get(up as usize).copied().unwrap_or(1)),
            None => Fx(m / FX_POW.get((s - FX_SCALE) as usize).copied().unwrap_or(1)),
        }
    }

    /// The value as a `Decimal` (normalized: no trailing zeros after the point), or
    /// `None` beyond `Decimal`'s range.
    pub(crate) fn to_decimal(self) -> Option<Decimal> {
        let (mut m, mut s) = (self.0, FX_SCALE);
        while s > 0 && m % 10 == 0 {
            m /= 10;
            s -= 1;
        }
        Decimal::try_from_i128_with_scale(m, s).ok()
    }

    /// The value as a `Decimal`, [`InsightError::Overflow`] beyond its range.
    pub(crate) fn dec(self) -> Result<Decimal, InsightError> {
        self.to_decimal().ok_or(InsightError::Overflow("a figure"))
    }

    /// `self += v` inside a cell (the bounds keep it exact; saturates, never wraps).
    #[inline]
    pub(crate) fn add(&mut self, v: Fx) {
        self.0 = self.0.saturating_add(v.0);
    }

    /// `self -= v`, as [`Fx::add`].
    #[inline]
    pub(crate) fn sub(&mut self, v: Fx) {
        self.0 = self.0.saturating_sub(v.0);
    }

    /// `self += v` across cells at query time.
    pub(crate) fn sum(&mut self, v: Fx) -> Result<(), InsightError> {
        self.0 = self.0.checked_add(v.0).ok_or(InsightError::Overflow("a figure"))?;
        Ok(())
    }
}

impl serde::Serialize for Fx {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error as _;
        let d = self.to_decimal().ok_or_else(|| S::Error::custom("beyond the decimal range"))?;
        serde::Serialize::serialize(&d, s)
    }
}

impl<'de> serde::Deserialize<'de> for Fx {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let v = <Decimal as serde::Deserialize>::deserialize(d)?;
        if v.normalize().scale() > FX_SCALE {
            return Err(D::Error::custom("more than 8 decimal places"));
        }
        Ok(Fx::of(v))
    }
}

/// `a += s` for signed counts kept as `i64` (contributions are added and retracted).
#[inline]
pub(crate) fn count(a: &mut i64, s: i64) {
    *a = a.saturating_add(s);
}

/// `a += b` for counts across cells at query time (a cell's counts come from a
/// snapshot too, so their sum is checked).
pub(crate) fn sum_count(a: &mut u64, b: u64) -> Result<(), InsightError> {
    *a = a.checked_add(b).ok_or(InsightError::Overflow("a count"))?;
    Ok(())
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

    #[test]
    fn fixed_point() {
        assert_eq!(Fx::of(Decimal::new(250, 2)), Fx(250_000_000));
        assert_eq!(Fx::of(Decimal::new(-3, 0)), Fx(-300_000_000));
        assert_eq!(Fx::of(Decimal::new(10, 9)), Fx(1));
        assert_eq!(Fx(250_000_000).to_decimal(), Some(Decimal::new(25, 1)));
        let big = Fx::of(Decimal::MAX);
        assert_eq!(big.to_decimal(), Some(Decimal::MAX));
        assert_eq!(Fx(big.0 + 1).to_decimal(), None);
        assert!(Fx(i128::MAX).dec().is_err());
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
            }
        }

        /// Fixed point is exact both ways for quantities within the bounds, and its
        /// order and sums are `Decimal`'s.
        #[test]
        fn fixed_point_is_decimal(a in -1_000_000_000_000_000i64..1_000_000_000_000_000, sa in 0u32..=8, b in proptest::num::i64::ANY, sb in 0u32..=8) {
            let (x, y) = (Decimal::new(a, sa), Decimal::new(b, sb));
            proptest::prop_assert_eq!(Fx::of(x).to_decimal(), Some(x.normalize()));
            proptest::prop_assert_eq!(Fx::of(x).cmp(&Fx::of(y)), x.cmp(&y));
            let mut s = Fx::of(x);
            s.add(Fx::of(y));
            proptest::prop_assert_eq!(s.to_decimal(), Some((x + y).normalize()));
            s.sub(Fx::of(x));
            proptest::prop_assert_eq!(s, Fx::of(y));
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
