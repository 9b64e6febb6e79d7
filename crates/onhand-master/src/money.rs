//! Money: an exact decimal amount in an ISO 4217 currency, rounded to the currency's
//! minor units only when a rule says so.
//!
//! | operation | result | failure |
//! |---|---|---|
//! | `a.checked_add(b)`, `a.checked_sub(b)` | same currency | [`MasterError::CurrencyMismatch`], [`MasterError::Overflow`] |
//! | `a.times(q)` | amount × q (unit cost × quantity) | [`MasterError::Overflow`] |
//! | `a.round(mode)` | to the currency's minor units (USD 2, JPY 0, KWD 3) | [`MasterError::InexactMoney`] for `exact` |
//! | `a.negate()` | −a | — |
//!
//! Unit costs may carry more places than the currency (0.0125 USD per each); postings
//! round. The text and serde form is `"<decimal> <currency>"`, such as `"12.50 USD"`.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::decimal::serde_str::parse_decimal;
use crate::decimal::{DecimalError, Rounding, RoundingMode};
use crate::decimal::{add_exact, mul_exact, sub_exact};
use crate::error::{MasterError, arith};
use crate::qty::Qty;
use crate::uom::UomCode;

/// Active ISO 4217 currencies and their minor units, sorted by code.
const ISO_4217: &[(&str, u8)] = &[
    ("AED", 2),
    ("AFN", 2),
    ("ALL", 2),
    ("AMD", 2),
    ("ANG", 2),
    ("AOA", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("AWG", 2),
    ("AZN", 2),
    ("BAM", 2),
    ("BBD", 2),
    ("BDT", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BIF", 0),
    ("BMD", 2),
    ("BND", 2),
    ("BOB", 2),
    ("BOV", 2),
    ("BRL", 2),
    ("BSD", 2),
    ("BTN", 2),
    ("BWP", 2),
    ("BYN", 2),
    ("BZD", 2),
    ("CAD", 2),
    ("CDF", 2),
    ("CHE", 2),
    ("CHF", 2),
    ("CHW", 2),
    ("CLF", 4),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("COU", 2),
    ("CRC", 2),
    ("CUP", 2),
    ("CVE", 2),
    ("CZK", 2),
    ("DJF", 0),
    ("DKK", 2),
    ("DOP", 2),
    ("DZD", 2),
    ("EGP", 2),
    ("ERN", 2),
    ("ETB", 2),
    ("EUR", 2),
    ("FJD", 2),
    ("FKP", 2),
    ("GBP", 2),
    ("GEL", 2),
    ("GHS", 2),
    ("GIP", 2),
    ("GMD", 2),
    ("GNF", 0),
    ("GTQ", 2),
    ("GYD", 2),
    ("HKD", 2),
    ("HNL", 2),
    ("HTG", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("IQD", 3),
    ("IRR", 2),
    ("ISK", 0),
    ("JMD", 2),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KGS", 2),
    ("KHR", 2),
    ("KMF", 0),
    ("KPW", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("KYD", 2),
    ("KZT", 2),
    ("LAK", 2),
    ("LBP", 2),
    ("LKR", 2),
    ("LRD", 2),
    ("LSL", 2),
    ("LYD", 3),
    ("MAD", 2),
    ("MDL", 2),
    ("MGA", 2),
    ("MKD", 2),
    ("MMK", 2),
    ("MNT", 2),
    ("MOP", 2),
    ("MRU", 2),
    ("MUR", 2),
    ("MVR", 2),
    ("MWK", 2),
    ("MXN", 2),
    ("MXV", 2),
    ("MYR", 2),
    ("MZN", 2),
    ("NAD", 2),
    ("NGN", 2),
    ("NIO", 2),
    ("NOK", 2),
    ("NPR", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PAB", 2),
    ("PEN", 2),
    ("PGK", 2),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("PYG", 0),
    ("QAR", 2),
    ("RON", 2),
    ("RSD", 2),
    ("RUB", 2),
    ("RWF", 0),
    ("SAR", 2),
    ("SBD", 2),
    ("SCR", 2),
    ("SDG", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("SHP", 2),
    ("SLE", 2),
    ("SOS", 2),
    ("SRD", 2),
    ("SSP", 2),
    ("STN", 2),
    ("SVC", 2),
    ("SYP", 2),
    ("SZL", 2),
    ("THB", 2),
    ("TJS", 2),
    ("TMT", 2),
    ("TND", 3),
    ("TOP", 2),
    ("TRY", 2),
    ("TTD", 2),
    ("TWD", 2),
    ("TZS", 2),
    ("UAH", 2),
    ("UGX", 0),
    ("USD", 2),
    ("USN", 2),
    ("UYI", 0),
    ("UYU", 2),
    ("UYW", 4),
    ("UZS", 2),
    ("VED", 2),
    ("VES", 2),
    ("VND", 0),
    ("VUV", 0),
    ("WST", 2),
    ("XAF", 0),
    ("XCD", 2),
    ("XCG", 2),
    ("XOF", 0),
    ("XPF", 0),
    ("YER", 2),
    ("ZAR", 2),
    ("ZMW", 2),
    ("ZWG", 2),
];

/// An ISO 4217 currency code (`USD`, `EUR`, `JPY`), with its minor units. `Copy`.
///
/// ```
/// use onhand_master::CurrencyCode;
/// assert_eq!(CurrencyCode::new("JPY")?.minor_units(), 0);
/// assert_eq!(CurrencyCode::new("KWD")?.minor_units(), 3);
/// assert!(CurrencyCode::new("XYZ").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CurrencyCode {
    code: [u8; 3],
    minor: u8,
}

impl CurrencyCode {
    /// Looks `value` up in the ISO 4217 table.
    ///
    /// # Errors
    /// [`MasterError::UnknownCurrency`] when it is not an active ISO 4217 code.
    pub fn new(value: &str) -> Result<Self, MasterError> {
        let unknown = || MasterError::UnknownCurrency { value: value.to_owned() };
        let idx = ISO_4217.binary_search_by_key(&value, |(c, _)| c).map_err(|_| unknown())?;
        let (code, minor) = ISO_4217.get(idx).ok_or_else(unknown)?;
        let b = code.as_bytes();
        let (Some(&a), Some(&b1), Some(&c)) = (b.first(), b.get(1), b.get(2)) else {
            return Err(unknown());
        };
        Ok(CurrencyCode { code: [a, b1, c], minor: *minor })
    }

    /// The three-letter code.
    #[must_use]
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.code).unwrap_or("???")
    }

    /// Decimal places of the currency's minor unit (USD 2, JPY 0, BHD 3).
    #[must_use]
    pub fn minor_units(self) -> u32 {
        u32::from(self.minor)
    }
}

impl fmt::Display for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CurrencyCode({})", self.as_str())
    }
}

impl FromStr for CurrencyCode {
    type Err = MasterError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CurrencyCode::new(s)
    }
}

impl TryFrom<String> for CurrencyCode {
    type Error = MasterError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        CurrencyCode::new(&s)
    }
}

impl From<CurrencyCode> for String {
    fn from(c: CurrencyCode) -> String {
        c.as_str().to_owned()
    }
}

/// An exact amount of money in one currency (may be negative).
///
/// ```
/// use onhand_master::{Money, RoundingMode};
/// use rust_decimal::Decimal;
/// let unit_cost: Money = "0.0125 USD".parse()?;
/// let line = unit_cost.times(Decimal::from(999))?;
/// assert_eq!(line.to_string(), "12.4875 USD");
/// assert_eq!(line.round(RoundingMode::HalfUp)?.to_string(), "12.49 USD");
/// assert!(line.checked_add("1 EUR".parse()?).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Money {
    amount: Decimal,
    currency: CurrencyCode,
}

impl Money {
    /// `amount` in `currency`, kept exactly as given.
    #[must_use]
    pub fn new(amount: Decimal, currency: CurrencyCode) -> Self {
        // Zero carries no sign: -0.00 would print as "-0.00" and read back as 0.00.
        let amount = if amount.is_zero() { amount.abs() } else { amount };
        Money { amount, currency }
    }

    /// Zero in `currency`, at the currency's scale.
    #[must_use]
    pub fn zero(currency: CurrencyCode) -> Self {
        Money { amount: Decimal::new(0, currency.minor_units()), currency }
    }

    /// The amount.
    #[must_use]
    pub fn amount(self) -> Decimal {
        self.amount
    }

    /// The currency.
    #[must_use]
    pub fn currency(self) -> CurrencyCode {
        self.currency
    }

    /// Whether the amount is zero.
    #[must_use]
    pub fn is_zero(self) -> bool {
        self.amount.is_zero()
    }

    fn same_currency(self, other: Money) -> Result<(), MasterError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MasterError::CurrencyMismatch { left: self.currency, right: other.currency })
        }
    }

    /// `self + other` in the same currency.
    ///
    /// # Errors
    /// [`MasterError::CurrencyMismatch`] or [`MasterError::Overflow`].
    pub fn checked_add(self, other: Money) -> Result<Money, MasterError> {
        self.same_currency(other)?;
        let amount = add_exact(self.amount, other.amount).map_err(arith("money addition"))?;
        Ok(Money { amount, currency: self.currency })
    }

    /// `self − other` in the same currency.
    ///
    /// # Errors
    /// [`MasterError::CurrencyMismatch`] or [`MasterError::Overflow`].
    pub fn checked_sub(self, other: Money) -> Result<Money, MasterError> {
        self.same_currency(other)?;
        let amount = sub_exact(self.amount, other.amount).map_err(arith("money subtraction"))?;
        Ok(Money { amount, currency: self.currency })
    }

    /// `self × factor`, exact (a unit cost times a quantity, say).
    ///
    /// # Errors
    /// [`MasterError::Overflow`].
    pub fn times(self, factor: Decimal) -> Result<Money, MasterError> {
        let amount = mul_exact(self.amount, factor).map_err(arith("money multiplication"))?;
        Ok(Money { amount, currency: self.currency })
    }

    /// The opposite amount.
    #[must_use]
    pub fn negate(self) -> Money {
        Money::new(-self.amount, self.currency)
    }

    /// Rounded to the currency's minor units by `mode`, written at exactly that scale.
    ///
    /// # Errors
    /// [`MasterError::InexactMoney`] when `mode` is `exact` and the amount has more places;
    /// [`DecimalError::Precision`] when the amount is too large to be written with the
    /// currency's minor units in the 28 digits a decimal holds.
    pub fn round(self, mode: RoundingMode) -> Result<Money, MasterError> {
        let scale = self.currency.minor_units();
        let rule = Rounding::new(scale, mode)?;
        let mut amount = rule.apply(self.amount).map_err(|e| match e {
            DecimalError::Inexact { .. } => {
                MasterError::InexactMoney { amount: self.amount, currency: self.currency }
            }
            other => MasterError::Decimal(other),
        })?;
        amount.rescale(scale);
        if amount.scale() != scale {
            // `rescale` stops short of the scale when the digits do not fit.
            return Err(MasterError::Decimal(DecimalError::Precision));
        }
        Ok(Money { amount, currency: self.currency })
    }

    /// Rounded by `rule` (a number of places, or an increment such as 0.05 for cash
    /// rounding), written at the rule's scale.
    ///
    /// # Errors
    /// [`DecimalError::Inexact`] or [`DecimalError::NotAMultiple`] (as
    /// [`MasterError::Decimal`]) when the rule is `exact` and the amount does not fit it;
    /// [`DecimalError::Precision`] as for [`round`](Self::round).
    ///
    /// ```
    /// use onhand_master::{Money, Rounding, RoundingMode};
    /// use rust_decimal::Decimal;
    /// let cash = Rounding::multiple_of(Decimal::new(5, 2), RoundingMode::HalfUp)?;
    /// let total: Money = "17.38 CHF".parse()?;
    /// assert_eq!(total.round_to(cash)?.to_string(), "17.40 CHF");
    /// assert_eq!("17.32 CHF".parse::<Money>()?.round_to(cash)?.to_string(), "17.30 CHF");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn round_to(self, rule: Rounding) -> Result<Money, MasterError> {
        let mut amount = rule.apply(self.amount)?;
        amount.rescale(rule.scale());
        if amount.scale() != rule.scale() {
            return Err(MasterError::Decimal(DecimalError::Precision));
        }
        Ok(Money::new(amount, self.currency))
    }

    /// Whether the amount already fits the currency's minor units.
    #[must_use]
    pub fn is_rounded(self) -> bool {
        self.amount.normalize().scale() <= self.currency.minor_units()
    }
}

/// A price or cost per unit of measure: `price` for one `per`, written `2.50 USD/EA`.
///
/// [`ItemUnits::convert_price`](crate::ItemUnits::convert_price) turns it into the price
/// per another unit of the same item (per each into per case or per pallet), and
/// [`UnitRegistry::convert_price`](crate::UnitRegistry::convert_price) between global
/// units of one category (per gram into per tonne); the `_exact` forms refuse a price
/// that has no finite decimal form instead of rounding it.
///
/// ```
/// use onhand_master::{Money, Qty, UnitPrice, UomCode};
/// let each = UomCode::new("EA")?;
/// let price = UnitPrice::new("0.045 USD".parse()?, each);
/// assert_eq!(price.to_string(), "0.045 USD/EA");
/// assert_eq!(price.amount_for("4800 EA".parse()?)?.to_string(), "216 USD");
/// assert!(price.amount_for("1 CS".parse()?).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct UnitPrice {
    price: Money,
    per: UomCode,
}

impl UnitPrice {
    /// `price` for one `per`.
    #[must_use]
    pub fn new(price: Money, per: UomCode) -> Self {
        UnitPrice { price, per }
    }

    /// The price of one unit.
    #[must_use]
    pub fn price(self) -> Money {
        self.price
    }

    /// The unit priced.
    #[must_use]
    pub fn per(self) -> UomCode {
        self.per
    }

    /// The amount for `qty` at this price, exact (`price × qty`).
    ///
    /// # Errors
    /// [`MasterError::UnitMismatch`] when `qty` is not in the priced unit (convert the
    /// quantity or the price first); [`MasterError::Overflow`].
    pub fn amount_for(self, qty: Qty) -> Result<Money, MasterError> {
        if qty.uom() != self.per {
            return Err(MasterError::UnitMismatch { left: self.per, right: qty.uom() });
        }
        self.price.times(qty.value())
    }
}

impl fmt::Display for UnitPrice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.price, self.per)
    }
}

impl fmt::Debug for UnitPrice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UnitPrice({self})")
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({self})")
    }
}

impl FromStr for Money {
    type Err = MasterError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parse_err = || MasterError::Parse { what: "a money amount", text: s.to_owned() };
        let mut parts = s.split_whitespace();
        let (Some(num), Some(code), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(parse_err());
        };
        let amount = parse_decimal(num).ok_or_else(parse_err)?;
        Ok(Money::new(amount, CurrencyCode::new(code)?))
    }
}

impl TryFrom<String> for Money {
    type Error = MasterError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Money> for String {
    fn from(m: Money) -> String {
        m.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Money {
        s.parse().unwrap()
    }

    #[test]
    fn iso_table_is_sorted_and_unique() {
        assert!(ISO_4217.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(ISO_4217.iter().all(|(c, _)| c.len() == 3));
    }

    #[test]
    fn rounding_follows_minor_units() {
        assert_eq!(m("1.005 USD").round(RoundingMode::HalfUp).unwrap(), m("1.01 USD"));
        assert_eq!(m("1.005 USD").round(RoundingMode::HalfEven).unwrap(), m("1.00 USD"));
        assert_eq!(m("1.5 JPY").round(RoundingMode::HalfEven).unwrap().to_string(), "2 JPY");
        assert_eq!(m("1.2345 KWD").round(RoundingMode::Down).unwrap().to_string(), "1.234 KWD");
        assert_eq!(m("7 USD").round(RoundingMode::Exact).unwrap().to_string(), "7.00 USD");
        assert!(matches!(
            m("7.001 USD").round(RoundingMode::Exact),
            Err(MasterError::InexactMoney { .. })
        ));
        assert!(m("7.10 USD").is_rounded());
        assert!(!m("7.101 USD").is_rounded());
    }

    #[test]
    fn negated_zero_is_not_negative_zero() {
        // Negating zero gave -0.00, which printed as "-0.00 USD" and read back as 0.00.
        let zero = m("0.00 USD").negate();
        assert_eq!(zero.to_string(), "0.00 USD");
        assert_eq!(Money::new(-Decimal::new(0, 2), zero.currency()).to_string(), "0.00 USD");
        assert_eq!(m("1.50 USD").negate().to_string(), "-1.50 USD");
    }

    #[test]
    fn round_refuses_an_amount_too_large_for_the_minor_units() {
        // 27 integer digits cannot carry KWD's 3 places; rounding returned the amount at
        // scale 1 instead of the promised scale 3.
        let big = m("999999999999999999999000000 KWD");
        assert_eq!(
            big.round(RoundingMode::HalfUp),
            Err(MasterError::Decimal(DecimalError::Precision))
        );
        assert_eq!(
            m("999999999999999999999 KWD").round(RoundingMode::Exact).unwrap().amount().scale(),
            3
        );
    }

    #[test]
    fn arithmetic_keeps_currencies_apart() {
        assert_eq!(m("1.10 USD").checked_add(m("2.05 USD")).unwrap(), m("3.15 USD"));
        assert_eq!(m("1 USD").checked_sub(m("2.5 USD")).unwrap(), m("-1.5 USD"));
        assert!(matches!(
            m("1 USD").checked_add(m("1 CAD")),
            Err(MasterError::CurrencyMismatch { .. })
        ));
        assert_eq!(m("2 USD").negate(), m("-2 USD"));
        assert_eq!(Money::zero(CurrencyCode::new("USD").unwrap()).to_string(), "0.00 USD");
    }

    #[test]
    fn text_and_serde() {
        assert_eq!(serde_json::to_string(&m("12.50 EUR")).unwrap(), "\"12.50 EUR\"");
        assert_eq!(serde_json::from_str::<Money>("\"-3 CAD\"").unwrap(), m("-3 CAD"));
        for bad in ["12", "12 usd", "12 XYZ", "USD 12", "1.2.3 USD"] {
            assert!(bad.parse::<Money>().is_err(), "{bad:?}");
        }
    }
}
