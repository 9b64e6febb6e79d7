//! Exact decimal helpers: division rounded once by a declared rule, and the wire format
//! of decimal fields.
//!
//! Quantities and money are [`Decimal`]s. `Decimal`'s own operators round silently
//! when a result needs more than 28 significant digits; onhand never does. Sums and
//! products go through [`add_exact`] and [`mul_exact`], which return
//! [`DecimalError::Precision`] instead, and every division goes through [`div_round`]
//! (or [`mul_div_round`]), which computes on integer mantissas and rounds the true
//! quotient once to a target scale by a [`Rounding`] rule, or refuses when the rule is
//! [`RoundingMode::Exact`] and the quotient does not fit.
//!
//! | mode | 7 / 2 at scale 0 | 5 / 2 at scale 0 | −7 / 2 at scale 0 | 6 / 2 |
//! |---|---|---|---|---|
//! | `exact` | error | error | error | 3 |
//! | `up` (away from zero) | 4 | 3 | −4 | 3 |
//! | `down` (toward zero) | 3 | 2 | −3 | 3 |
//! | `half_up` (half away from zero) | 4 | 3 | −4 | 3 |
//! | `half_even` (banker's) | 4 | 2 | −4 | 3 |

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// How a value that does not fit a scale is rounded. Modes act on the magnitude, so
/// `up` takes −2.1 to −3 and 2.1 to 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RoundingMode {
    /// Refuse: a value that does not fit is an error. The default, so nothing is
    /// rounded unless a rule says so.
    #[default]
    Exact,
    /// Away from zero (ceiling of the magnitude), as for order quantities.
    Up,
    /// Toward zero (floor of the magnitude), as for "how many full cases".
    Down,
    /// To the nearest, halves away from zero (commercial rounding).
    HalfUp,
    /// To the nearest, halves to the even neighbour (banker's rounding).
    HalfEven,
}

/// A declared rounding rule: how many decimal places a value keeps, and how it gets there.
///
/// ```
/// use onhand_master::{Rounding, RoundingMode};
/// use rust_decimal::Decimal;
/// let whole_up = Rounding::new(0, RoundingMode::Up)?;
/// assert_eq!(whole_up.apply(Decimal::new(121, 1))?, Decimal::from(13));
/// let exact = Rounding::new(2, RoundingMode::Exact)?;
/// assert!(exact.apply(Decimal::new(1234, 3)).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RoundingRaw", into = "RoundingRaw")]
pub struct Rounding {
    scale: u32,
    mode: RoundingMode,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoundingRaw {
    scale: u32,
    #[serde(default)]
    mode: RoundingMode,
}

impl TryFrom<RoundingRaw> for Rounding {
    type Error = DecimalError;
    fn try_from(raw: RoundingRaw) -> Result<Self, Self::Error> {
        Rounding::new(raw.scale, raw.mode)
    }
}

impl From<Rounding> for RoundingRaw {
    fn from(r: Rounding) -> Self {
        RoundingRaw { scale: r.scale, mode: r.mode }
    }
}

/// The largest scale a [`Decimal`] holds.
pub const MAX_SCALE: u32 = 28;

impl Rounding {
    /// Whole numbers only, refusing fractions: the rule of count units such as each and case.
    pub const WHOLE: Rounding = Rounding { scale: 0, mode: RoundingMode::Exact };

    /// A rule keeping `scale` decimal places, rounding by `mode`.
    ///
    /// # Errors
    /// [`DecimalError::ScaleTooLarge`] when `scale` exceeds [`MAX_SCALE`].
    pub fn new(scale: u32, mode: RoundingMode) -> Result<Self, DecimalError> {
        if scale > MAX_SCALE {
            return Err(DecimalError::ScaleTooLarge { scale });
        }
        Ok(Rounding { scale, mode })
    }

    /// Decimal places kept.
    #[must_use]
    pub fn scale(self) -> u32 {
        self.scale
    }

    /// The rounding mode.
    #[must_use]
    pub fn mode(self) -> RoundingMode {
        self.mode
    }

    /// Whether values under this rule are whole numbers.
    #[must_use]
    pub fn is_whole(self) -> bool {
        self.scale == 0
    }

    /// The same scale with another mode.
    #[must_use]
    pub fn with_mode(self, mode: RoundingMode) -> Self {
        Rounding { scale: self.scale, mode }
    }

    /// Rounds `value` to this rule's scale (a value that already fits comes back as it
    /// is, normalized).
    ///
    /// # Errors
    /// [`DecimalError::Inexact`] when the mode is `exact` and `value` has more places;
    /// [`DecimalError::Precision`] when the rounded value cannot be written at the scale
    /// in the 28 digits a decimal holds.
    pub fn apply(self, value: Decimal) -> Result<Decimal, DecimalError> {
        if self.fits(value) {
            return Ok(value.normalize());
        }
        div_round(value, Decimal::ONE, self)
    }

    /// Whether `value` already fits this rule's scale.
    #[must_use]
    pub fn fits(self, value: Decimal) -> bool {
        value.scale() <= self.scale || value.normalize().scale() <= self.scale
    }
}

/// Why an exact decimal computation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecimalError {
    /// The quotient does not fit the scale and the rule is `exact`.
    #[error("{value} does not fit {scale} decimal places exactly")]
    Inexact {
        /// The quotient, to the 28 digits a decimal holds.
        value: Decimal,
        /// The scale asked for.
        scale: u32,
    },
    /// Division by zero.
    #[error("division by zero")]
    DivisionByZero,
    /// The result left the representable range.
    #[error("decimal overflow")]
    Overflow,
    /// The exact result needs more significant digits than a decimal holds (28).
    #[error("the exact result needs more than the 28 significant digits a decimal holds")]
    Precision,
    /// A scale beyond [`MAX_SCALE`].
    #[error("scale {scale} is beyond the 28 decimal places a decimal holds")]
    ScaleTooLarge {
        /// The scale asked for.
        scale: u32,
    },
}

/// `numerator / divisor` rounded once, exactly, to `rule`'s scale by `rule`'s mode.
///
/// Computed on the decimals' integer mantissas in 128-bit arithmetic, so the rounding
/// decision is the one the true quotient calls for: no 28-digit intermediate, no double
/// rounding. A result that needs more digits than a decimal holds at the requested
/// scale is [`DecimalError::Precision`], never a silently rounded value.
///
/// ```
/// use onhand_master::{div_round, Rounding, RoundingMode};
/// use rust_decimal::Decimal;
/// let r = Rounding::new(0, RoundingMode::HalfEven)?;
/// assert_eq!(div_round(Decimal::from(5), Decimal::from(2), r)?, Decimal::from(2));
/// assert_eq!(div_round(Decimal::from(7), Decimal::from(2), r)?, Decimal::from(4));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`DecimalError::DivisionByZero`], [`DecimalError::Inexact`] when the mode is `exact`
/// and a remainder is left, [`DecimalError::Overflow`] or [`DecimalError::Precision`]
/// when the result does not fit a decimal.
pub fn div_round(
    numerator: Decimal,
    divisor: Decimal,
    rule: Rounding,
) -> Result<Decimal, DecimalError> {
    mul_div_round(numerator, Decimal::ONE, divisor, rule)
}

/// `a × b / c` rounded once, exactly, to `rule`'s scale by `rule`'s mode (the shape of a
/// unit conversion: quantity × numerator / denominator).
///
/// # Errors
/// As [`div_round`].
pub fn mul_div_round(
    a: Decimal,
    b: Decimal,
    c: Decimal,
    rule: Rounding,
) -> Result<Decimal, DecimalError> {
    if c.is_zero() {
        return Err(DecimalError::DivisionByZero);
    }
    let (a, b, c) = (a.normalize(), b.normalize(), c.normalize());
    let negative = (a.is_sign_negative() ^ b.is_sign_negative() ^ c.is_sign_negative())
        && !a.is_zero()
        && !b.is_zero();
    let am = a.mantissa().unsigned_abs();
    let bm = b.mantissa().unsigned_abs();
    let cm = c.mantissa().unsigned_abs();
    let product = am.checked_mul(bm).ok_or(DecimalError::Precision)?;
    // a·b/c · 10^S = am·bm · 10^(S + c_s − a_s − b_s) / cm
    let shift =
        i64::from(rule.scale) + i64::from(c.scale()) - i64::from(a.scale()) - i64::from(b.scale());
    let (numer, denom) = if shift >= 0 {
        let k = pow10(shift).ok_or(DecimalError::Precision)?;
        (product.checked_mul(k).ok_or(DecimalError::Precision)?, cm)
    } else {
        match pow10(-shift).and_then(|k| cm.checked_mul(k)) {
            Some(denom) => (product, denom),
            // The divisor exceeds 128 bits, so it exceeds the numerator: the quotient is
            // zero with the whole numerator left over, less than half the divisor.
            None => (product, u128::MAX),
        }
    };
    let quotient = numer / denom;
    let rem = numer % denom;
    let up = if rem == 0 {
        false
    } else {
        match rule.mode {
            RoundingMode::Exact => {
                let approx = a.checked_mul(b).and_then(|x| x.checked_div(c)).unwrap_or_default();
                return Err(DecimalError::Inexact { value: approx, scale: rule.scale });
            }
            RoundingMode::Down => false,
            RoundingMode::Up => true,
            RoundingMode::HalfUp | RoundingMode::HalfEven => match rem.cmp(&(denom - rem)) {
                std::cmp::Ordering::Greater => true,
                std::cmp::Ordering::Less => false,
                std::cmp::Ordering::Equal => rule.mode == RoundingMode::HalfUp || quotient % 2 == 1,
            },
        }
    };
    let quotient =
        if up { quotient.checked_add(1).ok_or(DecimalError::Overflow)? } else { quotient };
    let signed = i128::try_from(quotient).map_err(|_| DecimalError::Overflow)?;
    fit(if negative { -signed } else { signed }, rule.scale)
}

/// `a + b`, exactly: an error instead of the silent rounding `Decimal`'s own `+`
/// applies when the sum needs more than 28 digits.
///
/// # Errors
/// [`DecimalError::Overflow`] or [`DecimalError::Precision`].
#[inline]
pub fn add_exact(a: Decimal, b: Decimal) -> Result<Decimal, DecimalError> {
    // The most common case, two whole numbers whose sum fits: inline, so callers keep
    // the result in registers.
    if a.scale() == 0
        && b.scale() == 0
        && let Some(sum) = a.mantissa().checked_add(b.mantissa())
        && sum.unsigned_abs() < 1 << 96
        && let Ok(d) = Decimal::try_from_i128_with_scale(sum, 0)
    {
        return Ok(d);
    }
    add_exact_general(a, b)
}

/// [`add_exact`] for every case.
#[inline(never)]
fn add_exact_general(a: Decimal, b: Decimal) -> Result<Decimal, DecimalError> {
    // Equal scales: add the mantissas directly.
    if a.scale() == b.scale()
        && let Some(sum) = a.mantissa().checked_add(b.mantissa())
    {
        return fit(sum, a.scale());
    }
    let (a, b) = (a.normalize(), b.normalize());
    let scale = a.scale().max(b.scale());
    let align = |x: Decimal| -> Result<i128, DecimalError> {
        let k = pow10(i64::from(scale - x.scale())).ok_or(DecimalError::Precision)?;
        let k = i128::try_from(k).map_err(|_| DecimalError::Precision)?;
        x.mantissa().checked_mul(k).ok_or(DecimalError::Precision)
    };
    let sum = align(a)?.checked_add(align(b)?).ok_or(DecimalError::Overflow)?;
    fit(sum, scale)
}

/// `a − b`, exactly (see [`add_exact`]).
///
/// # Errors
/// [`DecimalError::Overflow`] or [`DecimalError::Precision`].
#[inline]
pub fn sub_exact(a: Decimal, b: Decimal) -> Result<Decimal, DecimalError> {
    add_exact(a, -b)
}

/// `a × b`, exactly: an error instead of a silently rounded product.
///
/// # Errors
/// [`DecimalError::Overflow`] or [`DecimalError::Precision`].
pub fn mul_exact(a: Decimal, b: Decimal) -> Result<Decimal, DecimalError> {
    let (a, b) = (a.normalize(), b.normalize());
    let Some(m) = a.mantissa().checked_mul(b.mantissa()) else {
        // Too many digits for 128 bits: either the magnitude is out of range, or only
        // the fraction is too long to keep.
        return Err(if a.checked_mul(b).is_none() {
            DecimalError::Overflow
        } else {
            DecimalError::Precision
        });
    };
    fit(m, a.scale() + b.scale())
}

/// 10^e for 0 ≤ e ≤ 38.
fn pow10(e: i64) -> Option<u128> {
    u32::try_from(e).ok().and_then(|e| 10u128.checked_pow(e))
}

/// The decimal `m × 10^−scale`, dropping trailing zeros if it must to fit 96 bits and
/// 28 places; an error if it cannot fit exactly.
fn fit(mut m: i128, mut scale: u32) -> Result<Decimal, DecimalError> {
    const MAX_MANTISSA: i128 = (1 << 96) - 1;
    while (m.abs() > MAX_MANTISSA || scale > MAX_SCALE) && scale > 0 && m % 10 == 0 {
        m /= 10;
        scale -= 1;
    }
    if scale > MAX_SCALE {
        return Err(DecimalError::Precision);
    }
    if m.abs() > MAX_MANTISSA {
        return Err(if scale == 0 { DecimalError::Overflow } else { DecimalError::Precision });
    }
    let d = Decimal::try_from_i128_with_scale(m, scale).map_err(|_| DecimalError::Overflow)?;
    Ok(if scale == 0 { d } else { d.normalize() })
}

/// Serde helpers for decimal fields: written as strings (`"12.50"`), read from strings or
/// integers. Floats are refused with a message, because `0.1` as a float is not `0.1`.
///
/// Use with `#[serde(with = "onhand_master::decimal::serde_str")]`.
pub mod serde_str {
    use std::fmt;

    use rust_decimal::Decimal;
    use serde::de::{self, Visitor};
    use serde::{Deserializer, Serializer};

    /// Writes the decimal as a string, keeping its scale (`"12.50"` stays `"12.50"`).
    ///
    /// # Errors
    /// Whatever the serializer reports.
    pub fn serialize<S: Serializer>(value: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(value)
    }

    /// Reads a decimal from a string or an integer.
    ///
    /// # Errors
    /// A float, or a string that is not a decimal.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        d.deserialize_any(DecimalVisitor)
    }

    pub(crate) struct DecimalVisitor;

    impl Visitor<'_> for DecimalVisitor {
        type Value = Decimal;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a decimal number written as a string, such as \"12.5\"")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
            parse_decimal(v).ok_or_else(|| E::custom(format_args!("{v:?} is not a decimal number")))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
            Err(E::custom(format_args!(
                "write decimals as strings (\"{v}\"), not floats, so they stay exact"
            )))
        }
    }

    /// Parses plain decimal notation (`12`, `-0.5`, `+3.25`; exponents such as `1e3`
    /// are refused), the rule every decimal field in a file follows.
    #[must_use]
    pub fn parse_decimal(v: &str) -> Option<Decimal> {
        let t = v.trim();
        if t.is_empty()
            || !t.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'+')
        {
            return None;
        }
        t.parse::<Decimal>().ok()
    }

    /// The same for `Option<Decimal>` fields (use with `#[serde(default)]`).
    pub mod option {
        use rust_decimal::Decimal;
        use serde::{Deserialize, Deserializer, Serializer};

        /// Writes `Some` as a string, `None` as none.
        ///
        /// # Errors
        /// Whatever the serializer reports.
        pub fn serialize<S: Serializer>(value: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
            match value {
                Some(v) => s.collect_str(v),
                None => s.serialize_none(),
            }
        }

        /// Reads an optional decimal from a string or an integer.
        ///
        /// # Errors
        /// A float, or a string that is not a decimal.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
            #[derive(Deserialize)]
            struct Wrap(#[serde(with = "super")] Decimal);
            Ok(Option::<Wrap>::deserialize(d)?.map(|w| w.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        /// The inline fast path of `add_exact` answers as the general one does, at every
        /// scale and size (including sums just past 96 bits).
        #[test]
        fn add_exact_fast_path_is_the_general_one(
            a in any::<i128>(), b in any::<i128>(),
            sa in 0u32..4, sb in 0u32..4,
            shift_a in 0u32..100, shift_b in 0u32..100,
        ) {
            let make = |m: i128, shift: u32, scale: u32| {
                Decimal::try_from_i128_with_scale(m >> shift.max(32), scale).ok()
            };
            if let (Some(x), Some(y)) = (make(a, shift_a, sa), make(b, shift_b, sb)) {
                prop_assert_eq!(add_exact(x, y), add_exact_general(x, y));
                prop_assert_eq!(sub_exact(x, y), add_exact_general(x, -y));
            }
        }
    }

    use super::*;

    fn check(n: i64, d: i64, scale: u32, mode: RoundingMode, expected: Option<Decimal>) {
        let got =
            div_round(Decimal::from(n), Decimal::from(d), Rounding::new(scale, mode).unwrap());
        assert_eq!(got.ok(), expected, "{n}/{d} at {scale} {mode:?}");
    }

    #[test]
    fn rounding_table_from_the_module_docs() {
        use RoundingMode::*;
        for (n, d, mode, want) in [
            (7, 2, Exact, None),
            (5, 2, Exact, None),
            (-7, 2, Exact, None),
            (6, 2, Exact, Some(3)),
            (7, 2, Up, Some(4)),
            (5, 2, Up, Some(3)),
            (-7, 2, Up, Some(-4)),
            (6, 2, Up, Some(3)),
            (7, 2, Down, Some(3)),
            (5, 2, Down, Some(2)),
            (-7, 2, Down, Some(-3)),
            (7, 2, HalfUp, Some(4)),
            (5, 2, HalfUp, Some(3)),
            (-7, 2, HalfUp, Some(-4)),
            (7, 2, HalfEven, Some(4)),
            (5, 2, HalfEven, Some(2)),
            (-7, 2, HalfEven, Some(-4)),
            (6, 2, HalfEven, Some(3)),
        ] {
            check(n, d, 0, mode, want.map(Decimal::from));
        }
    }

    #[test]
    fn thirds_round_at_the_scale() {
        check(1, 3, 4, RoundingMode::HalfUp, Some(Decimal::new(3333, 4)));
        check(2, 3, 4, RoundingMode::HalfUp, Some(Decimal::new(6667, 4)));
        check(2, 3, 4, RoundingMode::Down, Some(Decimal::new(6666, 4)));
        check(1, 3, 4, RoundingMode::Up, Some(Decimal::new(3334, 4)));
    }

    #[test]
    fn no_double_rounding_just_below_a_half() {
        // 0.4999...9 (29 nines) would round to 0.5 at 28 digits; the true value is below
        // the half, so half-up must give 0.
        let n = Decimal::from_str_exact("4999999999999999999999999999").unwrap();
        let d = Decimal::from_str_exact("10000000000000000000000000000").unwrap();
        let r = div_round(n, d, Rounding::new(0, RoundingMode::HalfUp).unwrap()).unwrap();
        assert_eq!(r, Decimal::ZERO);
    }

    #[test]
    fn a_result_beyond_28_digits_is_a_precision_error_not_a_rounded_value() {
        // Found by the `quantities` fuzz target: 24 integer digits at scale 6.
        let n = Decimal::from_str_exact("2210000000000000000000000").unwrap();
        let up = Rounding::new(6, RoundingMode::Up).unwrap();
        assert_eq!(div_round(n, Decimal::from(22), up), Err(DecimalError::Precision));
        let whole = Rounding::new(0, RoundingMode::Up).unwrap();
        assert_eq!(
            div_round(n, Decimal::from(22), whole).unwrap(),
            Decimal::from_str_exact("100454545454545454545455").unwrap()
        );
    }

    #[test]
    fn exact_add_and_mul_refuse_to_round() {
        let big = Decimal::from_str_exact("10000000000000000000000000000").unwrap();
        let tenth = Decimal::new(1, 1);
        assert_eq!(add_exact(big, tenth), Err(DecimalError::Precision));
        assert_eq!(
            add_exact(Decimal::new(15, 1), Decimal::new(25, 2)).unwrap(),
            Decimal::new(175, 2)
        );
        assert_eq!(sub_exact(Decimal::ONE, Decimal::new(25, 2)).unwrap(), Decimal::new(75, 2));
        assert_eq!(add_exact(Decimal::MAX, Decimal::ONE), Err(DecimalError::Overflow));
        let third = Decimal::from_str_exact("0.3333333333333333333333333333").unwrap();
        assert_eq!(mul_exact(third, third), Err(DecimalError::Precision));
        assert_eq!(mul_exact(Decimal::new(12, 1), Decimal::new(5, 0)).unwrap(), Decimal::from(6));
        assert_eq!(mul_exact(Decimal::MAX, Decimal::TWO), Err(DecimalError::Overflow));
    }

    #[test]
    fn mul_div_rounds_the_true_quotient() {
        let half_even = Rounding::new(2, RoundingMode::HalfEven).unwrap();
        // 0.45359237 × 16 / 1 = 7.25747792 -> 7.26
        let r =
            mul_div_round(Decimal::new(45_359_237, 8), Decimal::from(16), Decimal::ONE, half_even);
        assert_eq!(r.unwrap(), Decimal::new(726, 2));
        // -1 × 1 / 8 = -0.125 -> -0.12 (half to even)
        let r = mul_div_round(Decimal::NEGATIVE_ONE, Decimal::ONE, Decimal::from(8), half_even);
        assert_eq!(r.unwrap(), Decimal::new(-12, 2));
    }

    #[test]
    fn division_by_zero_is_an_error() {
        assert_eq!(
            div_round(Decimal::ONE, Decimal::ZERO, Rounding::WHOLE),
            Err(DecimalError::DivisionByZero)
        );
    }

    #[test]
    fn scale_above_28_is_refused() {
        assert_eq!(
            Rounding::new(29, RoundingMode::Up),
            Err(DecimalError::ScaleTooLarge { scale: 29 })
        );
    }

    #[test]
    fn serde_reads_strings_and_integers_but_not_floats() {
        #[derive(serde::Deserialize, serde::Serialize, Debug)]
        struct W {
            #[serde(with = "serde_str")]
            v: Decimal,
        }
        let w: W = serde_json::from_str(r#"{"v":"12.50"}"#).unwrap();
        assert_eq!(w.v, Decimal::new(1250, 2));
        assert_eq!(serde_json::to_string(&w).unwrap(), r#"{"v":"12.50"}"#);
        let w: W = serde_json::from_str(r#"{"v":12}"#).unwrap();
        assert_eq!(w.v, Decimal::from(12));
        let e = serde_json::from_str::<W>(r#"{"v":0.1}"#).unwrap_err();
        assert!(e.to_string().contains("not floats"), "{e}");
        let e = serde_json::from_str::<W>(r#"{"v":"1e3"}"#).unwrap_err();
        assert!(e.to_string().contains("not a decimal"), "{e}");
    }
}
