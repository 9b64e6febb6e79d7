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
//!
//! A rule may also round to a multiple of an **increment** instead of the last decimal
//! place ([`Rounding::multiple_of`]): 0.05 for cash rounding, 0.25 or 0.5 for quantities
//! sold in quarters or halves, 5 for packs of five. The mode then picks among multiples
//! of the increment; `half_even` takes the even multiple.
//!
//! | mode | 1.025 to 0.05 | 1.03 to 0.05 | 2.583… to 0.25 | 37 to 5 | −1.03 to 0.05 |
//! |---|---|---|---|---|---|
//! | `exact` | error | error | error | error | error |
//! | `up` | 1.05 | 1.05 | 2.75 | 40 | −1.05 |
//! | `down` | 1.00 | 1.00 | 2.50 | 35 | −1.00 |
//! | `half_up` | 1.05 | 1.05 | 2.50 | 35 | −1.05 |
//! | `half_even` | 1.00 | 1.05 | 2.50 | 35 | −1.05 |

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

/// A declared rounding rule: how many decimal places a value keeps (or which increment
/// it is a multiple of), and how it gets there.
///
/// ```
/// use onhand_master::{Rounding, RoundingMode};
/// use rust_decimal::Decimal;
/// let whole_up = Rounding::new(0, RoundingMode::Up)?;
/// assert_eq!(whole_up.apply(Decimal::new(121, 1))?, Decimal::from(13));
/// let exact = Rounding::new(2, RoundingMode::Exact)?;
/// assert!(exact.apply(Decimal::new(1234, 3)).is_err());
/// // Swiss cash rounding: to the nearest 0.05.
/// let cash = Rounding::multiple_of(Decimal::new(5, 2), RoundingMode::HalfUp)?;
/// assert_eq!(cash.apply(Decimal::new(103, 2))?, Decimal::new(105, 2));
/// assert_eq!(cash.apply(Decimal::new(102, 2))?, Decimal::ONE);
/// assert_eq!(cash.increment(), Decimal::new(5, 2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Serialized as `{ scale = 2, mode = "half_up" }`, or `{ increment = "0.05", mode =
/// "half_up" }` for an increment other than one last place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RoundingRaw", into = "RoundingRaw")]
pub struct Rounding {
    scale: u32,
    mode: RoundingMode,
    /// Values are multiples of `step` units of the last place (1: any value at `scale`).
    step: u32,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoundingRaw {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scale: Option<u32>,
    #[serde(default)]
    mode: RoundingMode,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "serde_str::option")]
    increment: Option<Decimal>,
}

impl TryFrom<RoundingRaw> for Rounding {
    type Error = DecimalError;
    fn try_from(raw: RoundingRaw) -> Result<Self, Self::Error> {
        match (raw.scale, raw.increment) {
            (Some(scale), None) => Rounding::new(scale, raw.mode),
            (None, Some(increment)) => Rounding::multiple_of(increment, raw.mode),
            (scale, _) => Err(DecimalError::ScaleOrIncrement { scale }),
        }
    }
}

impl From<Rounding> for RoundingRaw {
    fn from(r: Rounding) -> Self {
        if r.step == 1 {
            RoundingRaw { scale: Some(r.scale), mode: r.mode, increment: None }
        } else {
            RoundingRaw { scale: None, mode: r.mode, increment: Some(r.increment()) }
        }
    }
}

/// The largest scale a [`Decimal`] holds.
pub const MAX_SCALE: u32 = 28;

impl Rounding {
    /// Whole numbers only, refusing fractions: the rule of count units such as each and case.
    pub const WHOLE: Rounding = Rounding { scale: 0, mode: RoundingMode::Exact, step: 1 };

    /// A rule keeping `scale` decimal places, rounding by `mode`.
    ///
    /// # Errors
    /// [`DecimalError::ScaleTooLarge`] when `scale` exceeds [`MAX_SCALE`].
    pub fn new(scale: u32, mode: RoundingMode) -> Result<Self, DecimalError> {
        if scale > MAX_SCALE {
            return Err(DecimalError::ScaleTooLarge { scale });
        }
        Ok(Rounding { scale, mode, step: 1 })
    }

    /// A rule keeping values to multiples of `increment` (0.05, 0.25, 0.5, 5), rounding
    /// by `mode` to one of them. An increment of one last place (0.01, 1) is the same
    /// rule as [`Rounding::new`] at its scale.
    ///
    /// # Errors
    /// [`DecimalError::BadIncrement`] for an increment that is zero or negative, or whose
    /// digits (without its trailing zeros) exceed `u32` (more than nine or so).
    ///
    /// ```
    /// use onhand_master::{Rounding, RoundingMode};
    /// use rust_decimal::Decimal;
    /// let fives = Rounding::multiple_of(Decimal::from(5), RoundingMode::Up)?;
    /// assert_eq!(fives.apply(Decimal::from(37))?, Decimal::from(40));
    /// assert!(fives.fits(Decimal::from(35)) && !fives.fits(Decimal::from(36)));
    /// let halves = Rounding::multiple_of(Decimal::new(5, 1), RoundingMode::Down)?;
    /// assert_eq!(halves.apply(Decimal::new(136077711, 8))?, Decimal::new(10, 1));
    /// assert_eq!(Rounding::multiple_of(Decimal::new(1, 2), RoundingMode::Up)?,
    ///            Rounding::new(2, RoundingMode::Up)?);
    /// assert!(Rounding::multiple_of(Decimal::ZERO, RoundingMode::Up).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn multiple_of(increment: Decimal, mode: RoundingMode) -> Result<Self, DecimalError> {
        let n = increment.normalize();
        let step = u32::try_from(n.mantissa()).ok().filter(|s| *s > 0);
        let Some(step) = step else {
            return Err(DecimalError::BadIncrement { increment });
        };
        Ok(Rounding { scale: n.scale(), mode, step })
    }

    /// Decimal places a value under this rule can have.
    #[must_use]
    pub fn scale(self) -> u32 {
        self.scale
    }

    /// The rounding mode.
    #[must_use]
    pub fn mode(self) -> RoundingMode {
        self.mode
    }

    /// The increment values are multiples of: one last place (`0.01` at scale 2), or the
    /// increment the rule was made with.
    #[must_use]
    pub fn increment(self) -> Decimal {
        Decimal::new(i64::from(self.step), self.scale)
    }

    /// Whether values under this rule are whole numbers.
    #[must_use]
    pub fn is_whole(self) -> bool {
        self.scale == 0
    }

    /// The same scale (and increment) with another mode.
    #[must_use]
    pub fn with_mode(self, mode: RoundingMode) -> Self {
        Rounding { mode, ..self }
    }

    /// Rounds `value` to this rule's scale or increment (a value that already fits comes
    /// back as it is, normalized).
    ///
    /// # Errors
    /// [`DecimalError::Inexact`] when the mode is `exact` and `value` has more places
    /// ([`DecimalError::NotAMultiple`] under an increment);
    /// [`DecimalError::Precision`] when the rounded value cannot be written at the scale
    /// in the 28 digits a decimal holds.
    pub fn apply(self, value: Decimal) -> Result<Decimal, DecimalError> {
        if self.fits(value) {
            return Ok(value.normalize());
        }
        div_round(value, Decimal::ONE, self)
    }

    /// Whether `value` already fits this rule: at most its decimal places, and a multiple
    /// of its increment.
    #[must_use]
    pub fn fits(self, value: Decimal) -> bool {
        let places = value.scale() <= self.scale || value.normalize().scale() <= self.scale;
        places && (self.step == 1 || self.is_multiple(value))
    }

    /// Whether `value` (which fits the scale) is a whole number of increments.
    fn is_multiple(self, value: Decimal) -> bool {
        let v = value.normalize();
        let Some(k) = pow10(i64::from(self.scale.saturating_sub(v.scale()))) else {
            return false;
        };
        // |mantissa| · 10^(scale − its scale) counts last places, a multiple of the step
        // when the product of the two, each taken modulo the step, is (no overflow).
        let step = u128::from(self.step);
        ((v.mantissa().unsigned_abs() % step) * (k % step)).is_multiple_of(step)
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
    /// The value is not a multiple of the rule's increment and the rule is `exact`.
    #[error("{value} is not a multiple of {increment}")]
    NotAMultiple {
        /// The value (the quotient, to the 28 digits a decimal holds).
        value: Decimal,
        /// The increment asked for.
        increment: Decimal,
    },
    /// A rounding increment that is zero, negative, or has more digits than a rule holds.
    #[error(
        "rounding increment {increment} must be greater than zero and have at most nine digits"
    )]
    BadIncrement {
        /// The increment given.
        increment: Decimal,
    },
    /// A written rounding rule names neither a scale nor an increment, or both.
    #[error("a rounding rule names either a scale or an increment, not {}", if .scale.is_some() { "both" } else { "neither" })]
    ScaleOrIncrement {
        /// The scale written, if any.
        scale: Option<u32>,
    },
}

impl DecimalError {
    /// A stable snake-case name for the kind of error (`inexact`, `division_by_zero`, ...), for logs,
    /// metrics and tests that match on kinds.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            DecimalError::Inexact { .. } => "inexact",
            DecimalError::DivisionByZero => "division_by_zero",
            DecimalError::Overflow => "overflow",
            DecimalError::Precision => "precision",
            DecimalError::ScaleTooLarge { .. } => "scale_too_large",
            DecimalError::NotAMultiple { .. } => "not_a_multiple",
            DecimalError::BadIncrement { .. } => "bad_increment",
            DecimalError::ScaleOrIncrement { .. } => "scale_or_increment",
        }
    }
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

/// `am·bm · 10^shift` over `cm` as a numerator and a divisor, or `None` when the
/// numerator overflows 128 bits.
fn scaled_terms(am: u128, bm: u128, cm: u128, shift: i64) -> Option<(u128, u128)> {
    let product = am.checked_mul(bm)?;
    if shift >= 0 {
        let k = pow10(shift)?;
        Some((product.checked_mul(k)?, cm))
    } else {
        match pow10(-shift).and_then(|k| cm.checked_mul(k)) {
            Some(denom) => Some((product, denom)),
            // The divisor exceeds 128 bits, so it exceeds the numerator: the quotient is
            // zero with the whole numerator left over, less than half the divisor.
            None => Some((product, u128::MAX)),
        }
    }
}

/// The greatest common divisor (`gcd(0, n)` is `n`; never zero for a non-zero divisor).
fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
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
    // a·b/c · 10^S = am·bm · 10^(S + c_s − a_s − b_s) / cm
    let shift =
        i64::from(rule.scale) + i64::from(c.scale()) - i64::from(a.scale()) - i64::from(b.scale());
    // When the product overflows 128 bits, the same fraction in lowest terms may not:
    // a conversion's ratio often shares factors with its divisor.
    let (numer, denom) = if let Some(terms) = scaled_terms(am, bm, cm, shift) {
        terms
    } else {
        let g = gcd(bm, cm);
        let (bm, cm) = (bm / g, cm / g);
        let g = gcd(am, cm);
        scaled_terms(am / g, bm, cm / g, shift).ok_or(DecimalError::Precision)?
    };
    // The quotient in last places, then in steps: q·denom + r = numer, q = t + steps·step.
    let quotient = numer / denom;
    let rem = numer % denom;
    let step = u128::from(rule.step);
    let (steps, t) = (quotient / step, quotient % step);
    // Where the true quotient lies between `steps` and `steps + 1` steps: compare the
    // fraction (t + rem/denom) / step with one half, as 2t + 2·rem/denom against step.
    let half = || {
        use std::cmp::Ordering::{Equal, Greater, Less};
        let twice_t = 2 * t; // t < step ≤ u32::MAX: no overflow
        if twice_t > step {
            return Greater;
        }
        match step - twice_t {
            0 => {
                if rem == 0 {
                    Equal
                } else {
                    Greater
                }
            }
            1 => rem.cmp(&(denom - rem)),
            _ => Less,
        }
    };
    let up = if t == 0 && rem == 0 {
        false
    } else {
        match rule.mode {
            RoundingMode::Exact => {
                let approx = a.checked_mul(b).and_then(|x| x.checked_div(c)).unwrap_or_default();
                return Err(if rule.step == 1 {
                    DecimalError::Inexact { value: approx, scale: rule.scale }
                } else {
                    DecimalError::NotAMultiple { value: approx, increment: rule.increment() }
                });
            }
            RoundingMode::Down => false,
            RoundingMode::Up => true,
            RoundingMode::HalfUp | RoundingMode::HalfEven => match half() {
                std::cmp::Ordering::Greater => true,
                std::cmp::Ordering::Less => false,
                std::cmp::Ordering::Equal => rule.mode == RoundingMode::HalfUp || steps % 2 == 1,
            },
        }
    };
    let steps = if up { steps.checked_add(1).ok_or(DecimalError::Overflow)? } else { steps };
    let places = steps.checked_mul(step).ok_or(DecimalError::Overflow)?;
    let signed = i128::try_from(places).map_err(|_| DecimalError::Overflow)?;
    fit(if negative { -signed } else { signed }, rule.scale)
}

/// `a × b / c` exactly, at the smallest scale from `min_scale` up that holds it.
///
/// # Errors
/// [`DecimalError::Inexact`] (at [`MAX_SCALE`]) when the quotient has no finite decimal
/// form within the 28 digits a decimal holds (a third, or a price per pound turned into
/// one per kilogram); [`DecimalError::DivisionByZero`]; [`DecimalError::Overflow`].
pub(crate) fn mul_div_exact(
    a: Decimal,
    b: Decimal,
    c: Decimal,
    min_scale: u32,
) -> Result<Decimal, DecimalError> {
    for scale in min_scale.min(MAX_SCALE)..=MAX_SCALE {
        let rule = Rounding { scale, mode: RoundingMode::Exact, step: 1 };
        match mul_div_round(a, b, c, rule) {
            Ok(v) => {
                let mut v = v;
                v.rescale(scale);
                return Ok(v);
            }
            Err(DecimalError::Inexact { .. }) => {}
            // More places no longer fit beside the digits: there is no exact form.
            Err(DecimalError::Precision) if scale > min_scale => break,
            Err(e) => return Err(e),
        }
    }
    let value = a.checked_mul(b).and_then(|x| x.checked_div(c)).unwrap_or_default();
    Err(DecimalError::Inexact { value, scale: MAX_SCALE })
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

    /// A decimal read by [`deserialize`] and written as `Decimal` writes itself, for
    /// the lists and maps below and for a decimal nested in another type: deserialize
    /// the type with `Plain` in place of `Decimal` and take the decimals out, so the
    /// shape on the wire stays the same and the plain-notation rule holds inside it.
    ///
    /// ```
    /// use onhand_master::decimal::serde_str::Plain;
    /// use rust_decimal::Decimal;
    /// let pairs: Vec<(u32, Plain)> = serde_json::from_str(r#"[[1, "2.5"]]"#)?;
    /// let pairs: Vec<(u32, Decimal)> = pairs.into_iter().map(|(d, q)| (d, q.0)).collect();
    /// assert_eq!(pairs, [(1, Decimal::new(25, 1))]);
    /// assert!(serde_json::from_str::<Vec<(u32, Plain)>>(r#"[[1, "2_5"]]"#).is_err());
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[serde(transparent)]
    pub struct Plain(#[serde(deserialize_with = "deserialize")] pub Decimal);

    impl From<Plain> for Decimal {
        fn from(p: Plain) -> Decimal {
            p.0
        }
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
            Ok(Option::<super::Plain>::deserialize(d)?.map(|w| w.0))
        }
    }

    /// Reads a map of decimals (each from a string or an integer) through the same rule,
    /// for `#[serde(deserialize_with = "onhand_master::decimal::serde_str::map")]` on a
    /// `BTreeMap<K, Decimal>` field; writing it is left to `Decimal`'s own `Serialize`
    /// (a string), so what is written, and every digest over it, stays the same.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use rust_decimal::Decimal;
    /// #[derive(serde::Serialize, serde::Deserialize)]
    /// struct Prices {
    ///     #[serde(deserialize_with = "onhand_master::decimal::serde_str::map")]
    ///     each: BTreeMap<String, Decimal>,
    /// }
    /// let p: Prices = serde_json::from_str(r#"{"each": {"BOLT": "0.25"}}"#)?;
    /// assert_eq!(p.each["BOLT"], Decimal::new(25, 2));
    /// assert!(serde_json::from_str::<Prices>(r#"{"each": {"BOLT": "0_25"}}"#).is_err());
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    ///
    /// # Errors
    /// A key that does not read, a float, or a string that is not a decimal.
    pub fn map<'de, D, K>(d: D) -> Result<std::collections::BTreeMap<K, Decimal>, D::Error>
    where
        D: Deserializer<'de>,
        K: serde::Deserialize<'de> + Ord,
    {
        let m = <std::collections::BTreeMap<K, Plain> as serde::Deserialize>::deserialize(d)?;
        Ok(m.into_iter().map(|(k, w)| (k, w.0)).collect())
    }

    /// Reads a list of decimals (each from a string or an integer) through the same
    /// rule, for `#[serde(deserialize_with = "onhand_master::decimal::serde_str::vec")]`
    /// on a `Vec<Decimal>` field; writing it is left to `Decimal`'s own `Serialize` (a
    /// string), as for [`map`].
    ///
    /// ```
    /// use rust_decimal::Decimal;
    /// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    /// struct Plan {
    ///     #[serde(deserialize_with = "onhand_master::decimal::serde_str::vec")]
    ///     gross: Vec<Decimal>,
    /// }
    /// let plan: Plan = serde_json::from_str(r#"{"gross": ["12.5", 3]}"#)?;
    /// assert_eq!(plan.gross, [Decimal::new(125, 1), Decimal::from(3)]);
    /// assert_eq!(serde_json::to_string(&plan)?, r#"{"gross":["12.5","3"]}"#);
    /// // Underscores, exponents and floats are refused, as for every decimal field.
    /// assert!(serde_json::from_str::<Plan>(r#"{"gross": ["1_000"]}"#).is_err());
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    ///
    /// # Errors
    /// A float, or a string that is not a decimal.
    pub fn vec<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Decimal>, D::Error> {
        let v = <Vec<Plain> as serde::Deserialize>::deserialize(d)?;
        Ok(v.into_iter().map(|w| w.0).collect())
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
    fn a_product_beyond_128_bits_is_worked_out_in_lowest_terms() {
        // 2774337612291199.5 × (45359237·10^13 / 10^21): the mantissas' product times
        // 10^2 needs more than 128 bits, the ratio in lowest terms (0.45359237) does not.
        let a: Decimal = "2774337612291199.5".parse().unwrap();
        let b = Decimal::from_i128_with_scale(45_359_237 * 10i128.pow(13), 0);
        let c = Decimal::from_i128_with_scale(10i128.pow(21), 0);
        let r = Rounding::new(3, RoundingMode::HalfUp).unwrap();
        assert_eq!(mul_div_round(a, b, c, r).unwrap().to_string(), "1258418372739306.311");
        // With no common factor there is nothing to reduce: still a typed refusal.
        let prime = Decimal::from_i128_with_scale(10i128.pow(21) + 7, 0);
        let big = Decimal::from_i128_with_scale(45_359_237 * 10i128.pow(13) + 1, 0);
        assert_eq!(mul_div_round(a, big, prime, r), Err(DecimalError::Precision));
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

    fn d(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    /// Issue 20: rounding by an increment (0.05, 0.25, 5) as well as by decimal places.
    /// The increment table of the module docs, each row worked by hand:
    /// 1.025 = 20.5 × 0.05 (a tie), 1.03 = 20.6 × 0.05, 31 / 12 = 2.58333… = 10.333… × 0.25,
    /// 37 = 7.4 × 5.
    #[test]
    fn increment_table_from_the_module_docs() {
        use RoundingMode::*;
        let rows: [(&str, &str, [Option<&str>; 5]); 5] = [
            ("1.025", "0.05", [None, Some("1.05"), Some("1.00"), Some("1.05"), Some("1.00")]),
            ("1.03", "0.05", [None, Some("1.05"), Some("1.00"), Some("1.05"), Some("1.05")]),
            ("31/12", "0.25", [None, Some("2.75"), Some("2.50"), Some("2.50"), Some("2.50")]),
            ("37", "5", [None, Some("40"), Some("35"), Some("35"), Some("35")]),
            ("-1.03", "0.05", [None, Some("-1.05"), Some("-1.00"), Some("-1.05"), Some("-1.05")]),
        ];
        for (value, increment, wants) in rows {
            let (n, den) = value.split_once('/').unwrap_or((value, "1"));
            for (mode, want) in [Exact, Up, Down, HalfUp, HalfEven].into_iter().zip(wants) {
                let rule = Rounding::multiple_of(d(increment), mode).unwrap();
                let got = div_round(d(n), d(den), rule);
                assert_eq!(got.ok(), want.map(d), "{value} to {increment} {mode:?}");
                if let Some(w) = want {
                    assert!(rule.fits(d(w)), "{w} fits {increment}");
                }
            }
        }
        // An even increment's tie: 0.1 and 0.3 are halfway on a grid of 0.2 (steps of two
        // last places), and half-even takes the even count of increments.
        let fifths = Rounding::multiple_of(d("0.2"), HalfEven).unwrap();
        assert_eq!((fifths.apply(d("0.1")), fifths.apply(d("0.3"))), (Ok(d("0")), Ok(d("0.4"))));
        // A value already on the grid comes back as it is, by every mode.
        let quarter = Rounding::multiple_of(d("0.25"), Exact).unwrap();
        assert_eq!(quarter.apply(d("2.750")), Ok(d("2.75")));
        assert!(quarter.fits(d("-3")) && !quarter.fits(d("2.7")) && !quarter.fits(d("2.125")));
        assert_eq!(
            quarter.apply(d("2.7")),
            Err(DecimalError::NotAMultiple { value: d("2.7"), increment: d("0.25") })
        );
        let err = quarter.apply(d("2.7")).unwrap_err();
        assert_eq!(err.to_string(), "2.7 is not a multiple of 0.25");
    }

    #[test]
    fn increment_rules_and_their_wire_form() {
        let cash = Rounding::multiple_of(d("0.050"), RoundingMode::HalfUp).unwrap();
        assert_eq!((cash.scale(), cash.increment(), cash.is_whole()), (2, d("0.05"), false));
        let fives = Rounding::multiple_of(d("5"), RoundingMode::Up).unwrap();
        assert_eq!((fives.scale(), fives.is_whole()), (0, true));
        assert_eq!(
            Rounding::multiple_of(d("1"), RoundingMode::Up),
            Rounding::new(0, RoundingMode::Up)
        );
        for bad in ["0", "-0.5", "4294967296", "0.000000000012345678901"] {
            assert_eq!(
                Rounding::multiple_of(d(bad), RoundingMode::Up),
                Err(DecimalError::BadIncrement { increment: d(bad) }),
                "{bad}"
            );
        }
        // The wire form: a scale as before, or an increment.
        let json = serde_json::to_string(&cash).unwrap();
        assert_eq!(json, r#"{"mode":"half_up","increment":"0.05"}"#);
        assert_eq!(serde_json::from_str::<Rounding>(&json).unwrap(), cash);
        let places = Rounding::new(3, RoundingMode::HalfUp).unwrap();
        assert_eq!(serde_json::to_string(&places).unwrap(), r#"{"scale":3,"mode":"half_up"}"#);
        for (text, rule) in [
            (r#"{"increment": "5", "mode": "up"}"#, Some(fives)),
            (r#"{"scale": 3, "mode": "half_up"}"#, Some(places)),
            (r#"{"scale": 2, "increment": "0.05"}"#, None),
            (r#"{"mode": "up"}"#, None),
            (r#"{"increment": "0"}"#, None),
        ] {
            assert_eq!(serde_json::from_str::<Rounding>(text).ok(), rule, "{text}");
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
