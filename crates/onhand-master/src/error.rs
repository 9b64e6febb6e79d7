//! The one error type of `onhand-master`: what failed when building or computing with
//! master-data values.
//!
//! Governance findings about a whole network (duplicate codes, unknown references, ...)
//! are not errors but [`Violation`](crate::Violation)s, reported all at once by
//! [`validate`](crate::validate).

use rust_decimal::Decimal;

use crate::code::ItemCode;
use crate::money::CurrencyCode;
use crate::uom::UomCode;

/// Which part of the business-code rule a value broke.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodeRule {
    /// The value is empty.
    Empty,
    /// The value is longer than `max` bytes.
    TooLong {
        /// The longest value allowed.
        max: usize,
    },
    /// The first character is not an ASCII letter or digit.
    BadFirstChar {
        /// The offending character.
        found: char,
    },
    /// A character outside the allowed set.
    BadChar {
        /// The offending character.
        found: char,
    },
}

impl std::fmt::Display for CodeRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CodeRule::Empty => f.write_str("it is empty"),
            CodeRule::TooLong { max } => write!(f, "it is longer than {max} bytes"),
            CodeRule::BadFirstChar { found } => {
                write!(f, "it starts with {found:?}, not a letter or digit")
            }
            CodeRule::BadChar { found } => {
                write!(f, "{found:?} is not allowed (use ASCII letters, digits and - _ . / # +)")
            }
        }
    }
}

/// Everything that can fail in `onhand-master` outside whole-network validation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MasterError {
    /// A business code broke the code rule.
    #[error("invalid {kind} {value:?}: {reason}")]
    InvalidCode {
        /// What kind of code (`"item code"`, ...).
        kind: &'static str,
        /// The rejected value.
        value: String,
        /// The rule it broke.
        reason: CodeRule,
    },
    /// A unit-of-measure code broke the unit-code rule (1 to 8 of `A-Z`, `0-9`, `_`).
    #[error("invalid unit of measure {value:?}: use 1 to 8 of A-Z, 0-9 and _")]
    InvalidUom {
        /// The rejected value.
        value: String,
    },
    /// A currency code is not a known ISO 4217 currency.
    #[error("unknown currency {value:?}: use an ISO 4217 code such as USD")]
    UnknownCurrency {
        /// The rejected value.
        value: String,
    },
    /// A global unit reuses the code of a standard unit or of another added unit.
    #[error("{}", if *.standard {
        format!("unit {uom} is a standard unit and cannot be redefined; give the unit a code of its own")
    } else {
        format!("unit {uom} is defined more than once")
    })]
    UnitRedefined {
        /// The unit's code.
        uom: UomCode,
        /// Whether the code is a standard unit's (else another added unit's).
        standard: bool,
    },
    /// A quantity (which may not be negative) was given a negative value.
    #[error("quantity {value} {uom} is negative")]
    NegativeQty {
        /// The rejected value.
        value: Decimal,
        /// Its unit.
        uom: UomCode,
    },
    /// Two quantities in different units met in arithmetic without a conversion.
    #[error("cannot combine {left} with {right} without a conversion")]
    UnitMismatch {
        /// The left operand's unit.
        left: UomCode,
        /// The right operand's unit.
        right: UomCode,
    },
    /// Two money amounts in different currencies met in arithmetic.
    #[error("cannot combine {left} with {right} without an exchange rate")]
    CurrencyMismatch {
        /// The left operand's currency.
        left: CurrencyCode,
        /// The right operand's currency.
        right: CurrencyCode,
    },
    /// No conversion between the two units is known (for this item).
    #[error("no conversion from {from} to {to}{}", fmt_item(.item.as_ref()))]
    NoConversion {
        /// The source unit.
        from: UomCode,
        /// The target unit.
        to: UomCode,
        /// The item whose conversions were consulted, if any.
        item: Option<ItemCode>,
    },
    /// The unit is not known (globally, or to the item).
    #[error("unknown unit of measure {uom}{}", fmt_item(.item.as_ref()))]
    UnknownUom {
        /// The unit.
        uom: UomCode,
        /// The item whose units were consulted, if any.
        item: Option<ItemCode>,
    },
    /// A value cannot be held exactly in the unit's scale and its rounding rule is `exact`.
    #[error("{value} does not fit {uom} exactly (at most {scale} decimal places)")]
    Inexact {
        /// The value before rounding (as computed, possibly already rounded at 28 digits).
        value: Decimal,
        /// The unit that refused it.
        uom: UomCode,
        /// Decimal places the unit holds.
        scale: u32,
    },
    /// A value is not a multiple of the unit's rounding increment and the rule is `exact`.
    #[error("{value} {uom} is not a multiple of {increment}")]
    NotAMultiple {
        /// The value before rounding.
        value: Decimal,
        /// The unit that refused it.
        uom: UomCode,
        /// The increment its rule keeps to.
        increment: Decimal,
    },
    /// An amount has more decimal places than its currency and the rule is `exact`.
    #[error("{amount} {currency} has more places than the currency's {} minor units", .currency.minor_units())]
    InexactMoney {
        /// The amount.
        amount: Decimal,
        /// Its currency.
        currency: CurrencyCode,
    },
    /// A price per one unit has no exact price per another: under the exact rounding rule
    /// given, or (with no rule) in any finite decimal within the 28 digits a decimal holds.
    #[error("{price} has no exact price per {to}{}", match .rounding {
        Some(r) if r.increment() == Decimal::new(1, r.scale()) => format!(" at {} decimal places", r.scale()),
        Some(r) => format!(" in multiples of {}", r.increment()),
        None => " (it does not end within 28 decimal places); convert it with a rounding rule".to_owned(),
    })]
    InexactPrice {
        /// The price converted.
        price: crate::money::UnitPrice,
        /// The unit it was to be priced in.
        to: UomCode,
        /// The exact rule it did not fit; `None` for an exact conversion at any scale.
        rounding: Option<crate::decimal::Rounding>,
    },
    /// An exact decimal computation failed (division by zero, overflow, scale).
    #[error(transparent)]
    Decimal(#[from] crate::decimal::DecimalError),
    /// A decimal computation left the representable range.
    #[error("arithmetic overflow in {operation}")]
    Overflow {
        /// What was being computed.
        operation: &'static str,
    },
    /// A ratio or factor that must be positive was zero or negative.
    #[error("{what} must be greater than zero, got {value}")]
    NotPositive {
        /// What the value is.
        what: &'static str,
        /// The rejected value.
        value: Decimal,
    },
    /// Text that should hold a quantity, delta or money amount could not be read.
    #[error("cannot read {what} from {text:?}: expected \"<decimal> <code>\", such as \"12.5 KG\"")]
    Parse {
        /// What was expected.
        what: &'static str,
        /// The text.
        text: String,
    },
}

/// Maps an exact-arithmetic failure during `operation` to a [`MasterError`].
pub(crate) fn arith(
    operation: &'static str,
) -> impl Fn(crate::decimal::DecimalError) -> MasterError {
    move |e| match e {
        crate::decimal::DecimalError::Overflow => MasterError::Overflow { operation },
        other => MasterError::Decimal(other),
    }
}

impl MasterError {
    /// A stable snake-case name for the kind of error (`unit_mismatch`, `inexact`, ...),
    /// for logs, metrics and tests that match on kinds.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            MasterError::InvalidCode { .. } => "invalid_code",
            MasterError::InvalidUom { .. } => "invalid_uom",
            MasterError::UnknownCurrency { .. } => "unknown_currency",
            MasterError::NegativeQty { .. } => "negative_qty",
            MasterError::UnitMismatch { .. } => "unit_mismatch",
            MasterError::CurrencyMismatch { .. } => "currency_mismatch",
            MasterError::NoConversion { .. } => "no_conversion",
            MasterError::UnknownUom { .. } => "unknown_uom",
            MasterError::Inexact { .. } => "inexact",
            MasterError::InexactMoney { .. } => "inexact_money",
            MasterError::Decimal(_) => "decimal",
            MasterError::Overflow { .. } => "overflow",
            MasterError::NotPositive { .. } => "not_positive",
            MasterError::Parse { .. } => "parse",
            MasterError::UnitRedefined { .. } => "unit_redefined",
            MasterError::NotAMultiple { .. } => "not_a_multiple",
            MasterError::InexactPrice { .. } => "inexact_price",
        }
    }
}

fn fmt_item(item: Option<&ItemCode>) -> String {
    item.map(|i| format!(" for item {i}")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_lowercase_without_trailing_period() {
        let e = MasterError::NoConversion {
            from: UomCode::new("PL").unwrap(),
            to: UomCode::new("KG").unwrap(),
            item: Some(ItemCode::new("BOLT").unwrap()),
        };
        assert_eq!(e.to_string(), "no conversion from PL to KG for item BOLT");
        assert!(!e.to_string().ends_with('.'));
    }
}
