//! Decimal figures in the ledger's state: text (as
//! [`onhand_master::decimal::serde_str`] writes it, scale kept) for formats people read,
//! such as a snapshot's JSON, and the decimal's parts for the rest, such as the compact
//! canonical form a snapshot's digest is taken over, where formatting every figure as
//! text was most of the cost. Used with `#[serde(with = ...)]`.
//!
//! The parts are one number, the scale times two plus one for a negative sign, then
//! the magnitude of the mantissa: exactly what tells two decimals apart (`1.50` and
//! `1.5`, `0` and `-0`, as their text does), each as a variable-length number in the
//! compact form.

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The scale and sign of `value` as one number, and its mantissa's magnitude.
fn parts(value: &Decimal) -> (u32, u128) {
    (value.scale() << 1 | u32::from(value.is_sign_negative()), value.mantissa().unsigned_abs())
}

/// The decimal with these parts, if they make one (a scale of at most 28, a mantissa
/// below 2^96).
fn from_parts(scale_sign: u32, magnitude: u128) -> Option<Decimal> {
    let mantissa = i128::try_from(magnitude).ok()?;
    let mut value = Decimal::try_from_i128_with_scale(mantissa, scale_sign >> 1).ok()?;
    value.set_sign_negative(scale_sign & 1 == 1);
    Some(value)
}

/// `value` as text, or as its parts.
///
/// # Errors
/// Whatever the serializer reports.
pub(crate) fn serialize<S: Serializer>(value: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    if s.is_human_readable() {
        onhand_master::decimal::serde_str::serialize(value, s)
    } else {
        parts(value).serialize(s)
    }
}

/// A decimal written by [`serialize`].
///
/// # Errors
/// Text that is not a decimal, or parts that do not make one.
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    if d.is_human_readable() {
        onhand_master::decimal::serde_str::deserialize(d)
    } else {
        let (scale_sign, magnitude) = <(u32, u128)>::deserialize(d)?;
        from_parts(scale_sign, magnitude)
            .ok_or_else(|| serde::de::Error::custom("decimal parts out of range"))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    use super::{from_parts, parts};

    fn decimal() -> impl Strategy<Value = Decimal> {
        (any::<u32>(), any::<u32>(), any::<u32>(), 0u32..=28, any::<bool>()).prop_map(
            |(lo, mid, hi, scale, neg)| {
                let mut d = Decimal::from_parts(lo, mid, hi, neg, scale);
                d.set_sign_negative(neg);
                d
            },
        )
    }

    /// Decimals from a small range of mantissas, scales and signs, so that equal
    /// texts (and zeros of either sign) come up often.
    fn small() -> impl Strategy<Value = Decimal> {
        (0i64..4, 0u32..3, any::<bool>()).prop_map(|(m, scale, neg)| {
            let mut d = Decimal::new(m, scale);
            d.set_sign_negative(neg);
            d
        })
    }

    proptest! {
        /// The parts give back the same decimal, bit for bit.
        #[test]
        fn parts_round_trip(d in decimal()) {
            let (scale_sign, magnitude) = parts(&d);
            let back = from_parts(scale_sign, magnitude);
            prop_assert_eq!(back.map(|b| b.serialize()), Some(d.serialize()));
        }

        /// Two decimals have the same parts exactly when they have the same text: the
        /// digest tells apart what the JSON tells apart, and nothing more.
        #[test]
        fn parts_and_text_agree(a in small(), b in small()) {
            prop_assert_eq!(parts(&a) == parts(&b), a.to_string() == b.to_string());
        }

        /// A decimal read back from its text has the parts it had.
        #[test]
        fn text_round_trip_keeps_parts(d in decimal()) {
            let again: Option<Decimal> = d.to_string().parse().ok();
            prop_assert_eq!(again.map(|a| parts(&a)), Some(parts(&d)));
        }
    }

    #[test]
    fn out_of_range_parts_are_refused() {
        assert_eq!(from_parts(29 << 1, 1), None);
        assert_eq!(from_parts(0, 1 << 96), None);
        assert_eq!(from_parts(0, u128::MAX), None);
        assert_eq!(from_parts(3, 5).map(|d| d.to_string()), Some("-0.5".to_owned()));
    }
}
