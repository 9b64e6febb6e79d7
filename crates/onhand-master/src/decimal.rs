//! Exact decimal helpers: division rounded once by a declared rule, and the wire format
//! of decimal fields.
//!
//! Quantities and money are [`Decimal`]s. Multiplication is exact within the 28
//! significant digits a decimal holds; division generally is not, so every division in
//! onhand goes through [`div_round`], which computes the exact quotient's rounding to a
//! target scale by a [`Rounding`] rule (never a second rounding on top of the 28-digit
//! one), or refuses when the rule is [`RoundingMode::Exact`] and the quotient does not
//! fit.
//!
//! | mode | 7 / 2 at scale 0 | 5 / 2 at scale 0 | −7 / 2 at scale 0 | 6 / 2 |
//! |---|---|---|---|---|
//! | `exact` | error | error | error | 3 |
//! | `up` (away from zero) | 4 | 3 | −4 | 3 |
//! | `down` (toward zero) | 3 | 2 | −3 | 3 |
//! | `half_up` (half away from zero) | 4 | 3 | −4 | 3 |
//! | `half_even` (banker's) | 4 | 2 | −4 | 3 |

use rust_decimal::{Decimal, RoundingStrategy};
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

    /// Rounds `value` to this rule's scale.
    ///
    /// # Errors
    /// [`DecimalError::Inexact`] when the mode is `exact` and `value` has more places.
    pub fn apply(self, value: Decimal) -> Result<Decimal, DecimalError> {
        div_round(value, Decimal::ONE, self)
    }

    /// Whether `value` already fits this rule's scale.
    #[must_use]
    pub fn fits(self, value: Decimal) -> bool {
        value.normalize().scale() <= self.scale
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
    /// A scale beyond [`MAX_SCALE`].
    #[error("scale {scale} is beyond the 28 decimal places a decimal holds")]
    ScaleTooLarge {
        /// The scale asked for.
        scale: u32,
    },
}

/// `n / d` rounded once, exactly, to `rule`'s scale by `rule`'s mode.
///
/// The quotient is first taken to 28 digits, then corrected against the exact
/// remainder `n − r·d`, so the rounding decision is the one the true quotient calls
/// for (no double rounding). Exact for operands whose products fit 28 significant
/// digits, which covers every quantity and price onhand handles.
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
/// [`DecimalError::DivisionByZero`], [`DecimalError::Overflow`], or
/// [`DecimalError::Inexact`] when the mode is `exact` and a remainder is left.
pub fn div_round(
    numerator: Decimal,
    divisor: Decimal,
    rule: Rounding,
) -> Result<Decimal, DecimalError> {
    if divisor.is_zero() {
        return Err(DecimalError::DivisionByZero);
    }
    let negative =
        numerator.is_sign_negative() != divisor.is_sign_negative() && !numerator.is_zero();
    let num = numerator.abs();
    let div = divisor.abs();
    let approx = num.checked_div(div).ok_or(DecimalError::Overflow)?;
    let ulp = Decimal::new(1, rule.scale);
    let mut floor = approx.round_dp_with_strategy(rule.scale, RoundingStrategy::ToZero);
    // The 28-digit quotient can sit one ulp off the true floor; correct against the
    // exact product. Two steps each way are more than enough; bound the loop anyway.
    for _ in 0..4 {
        let prod = floor.checked_mul(div).ok_or(DecimalError::Overflow)?;
        if prod > num {
            floor = floor.checked_sub(ulp).ok_or(DecimalError::Overflow)?;
            continue;
        }
        let next = floor.checked_add(ulp).ok_or(DecimalError::Overflow)?;
        if next.checked_mul(div).ok_or(DecimalError::Overflow)? <= num {
            floor = next;
            continue;
        }
        break;
    }
    let product = floor.checked_mul(div).ok_or(DecimalError::Overflow)?;
    let rem = num.checked_sub(product).ok_or(DecimalError::Overflow)?;
    let up = if rem.is_zero() {
        false
    } else {
        match rule.mode {
            RoundingMode::Exact => {
                return Err(DecimalError::Inexact {
                    value: if negative { -approx } else { approx },
                    scale: rule.scale,
                });
            }
            RoundingMode::Down => false,
            RoundingMode::Up => true,
            RoundingMode::HalfUp | RoundingMode::HalfEven => {
                let twice = rem.checked_mul(Decimal::TWO).ok_or(DecimalError::Overflow)?;
                let half_point = ulp.checked_mul(div).ok_or(DecimalError::Overflow)?;
                match twice.cmp(&half_point) {
                    std::cmp::Ordering::Greater => true,
                    std::cmp::Ordering::Less => false,
                    std::cmp::Ordering::Equal => {
                        rule.mode == RoundingMode::HalfUp || last_digit_is_odd(floor, ulp)?
                    }
                }
            }
        }
    };
    if up {
        floor = floor.checked_add(ulp).ok_or(DecimalError::Overflow)?;
    }
    Ok(if negative { -floor } else { floor }.normalize())
}

fn last_digit_is_odd(r: Decimal, ulp: Decimal) -> Result<bool, DecimalError> {
    let units = r.checked_div(ulp).ok_or(DecimalError::Overflow)?;
    let rem = units.checked_rem(Decimal::TWO).ok_or(DecimalError::Overflow)?;
    Ok(!rem.is_zero())
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

    /// Parses plain decimal notation (`12`, `-0.5`, `1e3` is refused).
    pub(crate) fn parse_decimal(v: &str) -> Option<Decimal> {
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
