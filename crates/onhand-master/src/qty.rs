//! Quantities that carry their unit: [`Qty`] (never negative) and [`QtyDelta`] (signed).
//!
//! Arithmetic never mixes units silently: operands in different units are an error, and
//! converting is an explicit step through an item's [`ItemUnits`](crate::ItemUnits).
//!
//! | operation | result | failure |
//! |---|---|---|
//! | `Qty::new(v, u)` | `v u` | [`MasterError::NegativeQty`] when `v < 0` |
//! | `a.checked_add(b)` | `a + b` in `a`'s unit | [`MasterError::UnitMismatch`], [`MasterError::Overflow`] |
//! | `a.checked_sub(b)` | `a − b` in `a`'s unit | [`MasterError::UnitMismatch`], [`MasterError::NegativeQty`] when `b > a` |
//! | `a.delta_to(b)` | signed `b − a` | [`MasterError::UnitMismatch`] |
//! | `a.apply(d)` | `a + d` | [`MasterError::UnitMismatch`], [`MasterError::NegativeQty`] |
//! | `a.cmp_qty(b)` | ordering | [`MasterError::UnitMismatch`] |
//!
//! Both read and write the text form `"<decimal> <unit>"` (`"12.5 KG"`, `"-3 EA"`),
//! which is also their serde form.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::decimal::serde_str::parse_decimal;
use crate::decimal::{add_exact, mul_exact, sub_exact};
use crate::error::{MasterError, arith};
use crate::uom::UomCode;

/// A non-negative quantity with its unit of measure.
///
/// ```
/// use onhand_master::{Qty, UomCode};
/// use rust_decimal::Decimal;
/// let ea = UomCode::new("EA")?;
/// let a = Qty::new(Decimal::from(10), ea)?;
/// let b: Qty = "4 EA".parse()?;
/// assert_eq!(a.checked_sub(b)?.to_string(), "6 EA");
/// assert!(b.checked_sub(a).is_err()); // never negative
/// assert!(a.checked_add("1 KG".parse()?).is_err()); // never mixes units
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Qty {
    value: Decimal,
    uom: UomCode,
}

impl Qty {
    /// A quantity of `value` in `uom`.
    ///
    /// # Errors
    /// [`MasterError::NegativeQty`] when `value` is negative.
    pub fn new(value: Decimal, uom: UomCode) -> Result<Self, MasterError> {
        if value.is_sign_negative() {
            if !value.is_zero() {
                return Err(MasterError::NegativeQty { value, uom });
            }
        } else if value.scale() == 0 {
            // A whole number at scale 0 is normalised already (most quantities are).
            return Ok(Qty { value, uom });
        }
        Ok(Qty { value: value.normalize(), uom })
    }

    /// A quantity of `value` in `uom`, a negative `value` read as zero: for a figure
    /// that may run below zero (what is left, a shortfall) and means nothing there.
    /// Unlike [`new`](Self::new) it cannot fail, so a hot path that clamps anyway does
    /// not carry an error it never returns.
    ///
    /// ```
    /// use onhand_master::{Qty, UomCode};
    /// use rust_decimal::Decimal;
    /// let ea = UomCode::new("EA")?;
    /// assert_eq!(Qty::at_least_zero(Decimal::new(-25, 1), ea), Qty::zero(ea));
    /// assert_eq!(Qty::at_least_zero(Decimal::new(2500, 3), ea).to_string(), "2.5 EA");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn at_least_zero(value: Decimal, uom: UomCode) -> Self {
        if value.is_zero() || value.is_sign_negative() {
            Qty::zero(uom)
        } else if value.scale() == 0 {
            Qty { value, uom }
        } else {
            Qty { value: value.normalize(), uom }
        }
    }

    /// Zero in `uom`.
    #[must_use]
    pub fn zero(uom: UomCode) -> Self {
        Qty { value: Decimal::ZERO, uom }
    }

    /// The magnitude.
    #[must_use]
    pub fn value(self) -> Decimal {
        self.value
    }

    /// The unit.
    #[must_use]
    pub fn uom(self) -> UomCode {
        self.uom
    }

    /// Whether the quantity is zero.
    #[must_use]
    pub fn is_zero(self) -> bool {
        self.value.is_zero()
    }

    fn same_unit(self, other_uom: UomCode) -> Result<(), MasterError> {
        if self.uom == other_uom {
            Ok(())
        } else {
            Err(MasterError::UnitMismatch { left: self.uom, right: other_uom })
        }
    }

    /// `self + other`, both in the same unit.
    ///
    /// # Errors
    /// [`MasterError::UnitMismatch`] or [`MasterError::Overflow`].
    pub fn checked_add(self, other: Qty) -> Result<Qty, MasterError> {
        self.same_unit(other.uom)?;
        let value = add_exact(self.value, other.value).map_err(arith("quantity addition"))?;
        Qty::new(value, self.uom)
    }

    /// `self − other`, both in the same unit; never negative.
    ///
    /// # Errors
    /// [`MasterError::UnitMismatch`], or [`MasterError::NegativeQty`] when `other > self`.
    pub fn checked_sub(self, other: Qty) -> Result<Qty, MasterError> {
        self.same_unit(other.uom)?;
        let value = sub_exact(self.value, other.value).map_err(arith("quantity subtraction"))?;
        Qty::new(value, self.uom)
    }

    /// `self − other`, or zero when `other` is larger.
    ///
    /// # Errors
    /// [`MasterError::UnitMismatch`].
    pub fn saturating_sub(self, other: Qty) -> Result<Qty, MasterError> {
        self.same_unit(other.uom)?;
        Ok(if other.value >= self.value {
            Qty::zero(self.uom)
        } else {
            Qty {
                value: sub_exact(self.value, other.value).map_err(arith("quantity subtraction"))?,
                uom: self.uom,
            }
        })
    }

    /// The signed change that takes `self` to `other`.
    ///
    /// # Errors
    /// [`MasterError::UnitMismatch`] or [`MasterError::Overflow`].
    pub fn delta_to(self, other: Qty) -> Result<QtyDelta, MasterError> {
        self.same_unit(other.uom)?;
        let value = sub_exact(other.value, self.value).map_err(arith("quantity difference"))?;
        Ok(QtyDelta::new(value, self.uom))
    }

    /// `self + delta`; never negative.
    ///
    /// # Errors
    /// [`MasterError::UnitMismatch`], [`MasterError::NegativeQty`], [`MasterError::Overflow`].
    pub fn apply(self, delta: QtyDelta) -> Result<Qty, MasterError> {
        self.same_unit(delta.uom)?;
        let value = add_exact(self.value, delta.value).map_err(arith("quantity change"))?;
        Qty::new(value, self.uom)
    }

    /// Compares two quantities in the same unit.
    ///
    /// # Errors
    /// [`MasterError::UnitMismatch`].
    pub fn cmp_qty(self, other: Qty) -> Result<Ordering, MasterError> {
        self.same_unit(other.uom)?;
        Ok(self.value.cmp(&other.value))
    }

    /// The smaller of two quantities in the same unit.
    ///
    /// # Errors
    /// [`MasterError::UnitMismatch`].
    pub fn min(self, other: Qty) -> Result<Qty, MasterError> {
        Ok(if self.cmp_qty(other)? == Ordering::Greater { other } else { self })
    }

    /// `self × factor` (a non-negative factor), in the same unit.
    ///
    /// # Errors
    /// [`MasterError::NegativeQty`] for a negative factor, [`MasterError::Overflow`].
    pub fn scale(self, factor: Decimal) -> Result<Qty, MasterError> {
        let value = mul_exact(self.value, factor).map_err(arith("quantity scaling"))?;
        Qty::new(value, self.uom)
    }
}

impl fmt::Display for Qty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.value, self.uom)
    }
}

impl fmt::Debug for Qty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Qty({} {})", self.value, self.uom)
    }
}

fn split_amount<'a>(s: &'a str, what: &'static str) -> Result<(Decimal, &'a str), MasterError> {
    let parse_err = || MasterError::Parse { what, text: s.to_owned() };
    let mut parts = s.split_whitespace();
    let (Some(num), Some(code), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(parse_err());
    };
    let value = parse_decimal(num).ok_or_else(parse_err)?;
    Ok((value, code))
}

impl FromStr for Qty {
    type Err = MasterError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (value, code) = split_amount(s, "a quantity")?;
        Qty::new(value, UomCode::new(code)?)
    }
}

impl TryFrom<String> for Qty {
    type Error = MasterError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Qty> for String {
    fn from(q: Qty) -> String {
        q.to_string()
    }
}

/// A signed change of quantity with its unit (a receipt is `+`, an issue `−`).
///
/// ```
/// use onhand_master::{Qty, QtyDelta};
/// let on_hand: Qty = "10 EA".parse()?;
/// let count_variance: QtyDelta = "-3 EA".parse()?;
/// assert_eq!(on_hand.apply(count_variance)?.to_string(), "7 EA");
/// assert!(on_hand.apply("-11 EA".parse()?).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct QtyDelta {
    value: Decimal,
    uom: UomCode,
}

impl QtyDelta {
    /// A change of `value` (either sign) in `uom`.
    #[must_use]
    pub fn new(value: Decimal, uom: UomCode) -> Self {
        QtyDelta { value: value.normalize(), uom }
    }

    /// An increase by `qty`.
    #[must_use]
    pub fn increase(qty: Qty) -> Self {
        QtyDelta { value: qty.value(), uom: qty.uom() }
    }

    /// A decrease by `qty`.
    #[must_use]
    pub fn decrease(qty: Qty) -> Self {
        QtyDelta::new(-qty.value(), qty.uom())
    }

    /// The signed value.
    #[must_use]
    pub fn value(self) -> Decimal {
        self.value
    }

    /// The unit.
    #[must_use]
    pub fn uom(self) -> UomCode {
        self.uom
    }

    /// The size of the change, as a quantity.
    #[must_use]
    pub fn magnitude(self) -> Qty {
        Qty { value: self.value.abs(), uom: self.uom }
    }

    /// Whether the change is zero.
    #[must_use]
    pub fn is_zero(self) -> bool {
        self.value.is_zero()
    }

    /// The opposite change.
    #[must_use]
    pub fn negate(self) -> Self {
        QtyDelta::new(-self.value, self.uom)
    }

    /// Two changes combined, in the same unit.
    ///
    /// # Errors
    /// [`MasterError::UnitMismatch`] or [`MasterError::Overflow`].
    pub fn checked_add(self, other: QtyDelta) -> Result<QtyDelta, MasterError> {
        if self.uom != other.uom {
            return Err(MasterError::UnitMismatch { left: self.uom, right: other.uom });
        }
        let value = add_exact(self.value, other.value).map_err(arith("quantity change"))?;
        Ok(QtyDelta::new(value, self.uom))
    }
}

impl fmt::Display for QtyDelta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.value.is_sign_positive() && !self.value.is_zero() {
            write!(f, "+{} {}", self.value, self.uom)
        } else {
            write!(f, "{} {}", self.value, self.uom)
        }
    }
}

impl fmt::Debug for QtyDelta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "QtyDelta({self})")
    }
}

impl FromStr for QtyDelta {
    type Err = MasterError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (value, code) = split_amount(s, "a quantity change")?;
        Ok(QtyDelta::new(value, UomCode::new(code)?))
    }
}

impl TryFrom<String> for QtyDelta {
    type Error = MasterError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<QtyDelta> for String {
    fn from(q: QtyDelta) -> String {
        q.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Qty {
        s.parse().unwrap()
    }

    #[test]
    fn new_always_holds_the_normalised_value() {
        let ea = q("1 EA").uom();
        for (m, scale) in [(5, 0), (500, 2), (1_000, 0), (125, 3), (0, 0), (0, 4), (7_000, 3)] {
            let d = Decimal::new(m, scale);
            let made = Qty::new(d, ea).unwrap().value();
            assert_eq!((made, made.scale()), (d.normalize(), d.normalize().scale()), "{d}");
        }
        let negative_zero = Decimal::from_parts(0, 0, 0, true, 2);
        let zero = Qty::new(negative_zero, ea).unwrap().value();
        assert!(zero.is_zero() && !zero.is_sign_negative() && zero.scale() == 0);
        assert!(matches!(Qty::new(Decimal::new(-5, 0), ea), Err(MasterError::NegativeQty { .. })));
    }

    #[test]
    fn arithmetic_table_from_the_module_docs() {
        assert_eq!(q("2 EA").checked_add(q("3 EA")).unwrap(), q("5 EA"));
        assert!(matches!(q("2 EA").checked_add(q("3 CS")), Err(MasterError::UnitMismatch { .. })));
        assert_eq!(q("5 EA").checked_sub(q("3 EA")).unwrap(), q("2 EA"));
        assert!(matches!(q("3 EA").checked_sub(q("5 EA")), Err(MasterError::NegativeQty { .. })));
        assert_eq!(q("3 EA").saturating_sub(q("5 EA")).unwrap(), q("0 EA"));
        assert_eq!(q("3 EA").delta_to(q("1 EA")).unwrap().to_string(), "-2 EA");
        assert_eq!(q("3 EA").cmp_qty(q("3.0 EA")).unwrap(), Ordering::Equal);
        assert!(q("3 EA").cmp_qty(q("3 KG")).is_err());
        assert_eq!(q("3 EA").min(q("2 EA")).unwrap(), q("2 EA"));
        assert!(q("3 EA").scale(Decimal::NEGATIVE_ONE).is_err());
    }

    #[test]
    fn text_form_round_trips() {
        for s in ["0 EA", "12.5 KG", "0.001 L"] {
            assert_eq!(q(s).to_string(), s);
        }
        assert_eq!(q("12.50 KG").to_string(), "12.5 KG");
        let d: QtyDelta = "+4 EA".parse().unwrap();
        assert_eq!(d.to_string(), "+4 EA");
        assert_eq!(d.negate().to_string(), "-4 EA");
        for bad in ["", "12", "EA", "12 EA extra", "-1 EA", "1e3 EA", "x EA", "1 ea"] {
            assert!(bad.parse::<Qty>().is_err(), "{bad:?}");
        }
        let json = serde_json::to_string(&q("7 CS")).unwrap();
        assert_eq!(json, "\"7 CS\"");
        assert_eq!(serde_json::from_str::<Qty>(&json).unwrap(), q("7 CS"));
        assert!(serde_json::from_str::<Qty>("\"-7 CS\"").is_err());
    }

    #[test]
    fn zero_decrease_is_not_negative_zero() {
        // A zero decrease (or the negation of a zero change) printed as "-0 EA", and
        // its text read back as "0 EA".
        let zero = QtyDelta::decrease(q("0 EA"));
        assert_eq!(zero.to_string(), "0 EA");
        assert!(!zero.value().is_sign_negative());
        assert_eq!(QtyDelta::new(Decimal::ZERO, zero.uom()).negate().to_string(), "0 EA");
    }

    #[test]
    fn negative_zero_is_zero() {
        let z = Qty::new(Decimal::NEGATIVE_ONE * Decimal::ZERO, UomCode::new("EA").unwrap());
        assert!(z.unwrap().is_zero());
    }
}
