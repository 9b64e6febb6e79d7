//! Units of measure: global units in categories, per-item packaging units and
//! conversions, resolved per item into exact ratios to the item's base unit.
//!
//! A **global unit** ([`UnitDef`]) belongs to a [`UnitCategory`] and has an exact decimal
//! factor relative to the category's reference (each, kilogram, litre, metre), plus a
//! [`Rounding`] rule: how many decimal places a quantity in that unit may hold and how a
//! conversion result is rounded into it. Whole-number units such as `EA` have scale 0.
//!
//! An **item conversion** ([`ItemUnit`]) reads "1 `unit` = `factor` `per`": a packaging
//! unit (`CS` = 12 `EA`, `PL` = 40 `CS`), or a bridge between categories for one item
//! (`EA` = 0.25 `KG` for a catch-weight item). [`ItemUnits::resolve`] turns an item's
//! base unit, the global registry and its conversions into one table of exact ratios
//! (numerator / denominator, so a bridge such as 1 `EA` = 3 `KG` stays exact both ways),
//! and every conversion divides once, rounding by the target unit's rule.
//!
//! | conversion | result | failure |
//! |---|---|---|
//! | same unit | the same quantity | — |
//! | exact in the target's scale | the exact quantity | overflow |
//! | not exact | rounded by the target unit's rule | [`MasterError::Inexact`] when the rule is `exact` |
//! | unit unknown to the item | — | [`MasterError::UnknownUom`] |
//!
//! ```
//! use onhand_master::{seed, ItemCode, ItemUnits, Qty, UnitRegistry, UomCode};
//! use rust_decimal::Decimal;
//! let data = seed::demo_network();
//! let bolt = data.items.iter().find(|i| i.code.as_str() == "BOLT-M8").ok_or("no bolt")?;
//! let units = ItemUnits::resolve(bolt, &UnitRegistry::standard())?;
//! let pallet = units.qty(Decimal::ONE, UomCode::new("PL")?)?;
//! let each = units.convert(pallet, UomCode::new("EA")?)?;
//! assert_eq!(each.to_string(), "4800 EA"); // 40 cases of 120
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::decimal::{
    DecimalError, Rounding, RoundingMode, mul_div_exact, mul_div_round, mul_exact,
};
use crate::error::{MasterError, arith};
use crate::item::Item;
use crate::money::{Money, UnitPrice};
use crate::qty::Qty;

/// A unit-of-measure code: 1 to 8 of `A-Z`, `0-9`, `_`, starting with a letter
/// (`EA`, `CS`, `KG`, `M3`). Stored inline, so it is `Copy`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UomCode {
    bytes: [u8; 8],
    len: u8,
}

impl UomCode {
    /// Checks and wraps a unit code.
    ///
    /// # Errors
    /// [`MasterError::InvalidUom`] when the value breaks the unit-code rule.
    pub fn new(value: &str) -> Result<Self, MasterError> {
        let b = value.as_bytes();
        let ok = !b.is_empty()
            && b.len() <= 8
            && b.first().is_some_and(u8::is_ascii_uppercase)
            && b.iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_');
        if !ok {
            return Err(MasterError::InvalidUom { value: value.to_owned() });
        }
        let mut bytes = [0u8; 8];
        for (dst, src) in bytes.iter_mut().zip(b) {
            *dst = *src;
        }
        #[allow(clippy::cast_possible_truncation, reason = "`ok` bounds the length by 8")]
        let len = b.len() as u8;
        Ok(UomCode { bytes, len })
    }

    /// The code as a string slice.
    #[must_use]
    pub fn as_str(&self) -> &str {
        let used = self.bytes.get(..usize::from(self.len)).unwrap_or_default();
        // Only ASCII bytes are ever stored.
        std::str::from_utf8(used).unwrap_or_default()
    }
}

impl fmt::Display for UomCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for UomCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UomCode({})", self.as_str())
    }
}

impl FromStr for UomCode {
    type Err = MasterError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        UomCode::new(s)
    }
}

impl TryFrom<String> for UomCode {
    type Error = MasterError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        UomCode::new(&s)
    }
}

impl From<UomCode> for String {
    fn from(c: UomCode) -> String {
        c.as_str().to_owned()
    }
}

/// The physical dimension of a unit. Units convert freely within a category; across
/// categories only through an item's own conversion (its weight per each, say).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitCategory {
    /// Countable pieces; reference unit each (`EA`).
    Count,
    /// Mass; reference unit kilogram (`KG`).
    Mass,
    /// Volume; reference unit litre (`L`).
    Volume,
    /// Length; reference unit metre (`M`).
    Length,
}

impl fmt::Display for UnitCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UnitCategory::Count => "count",
            UnitCategory::Mass => "mass",
            UnitCategory::Volume => "volume",
            UnitCategory::Length => "length",
        })
    }
}

/// A global unit of measure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitDef {
    /// The unit's code.
    pub code: UomCode,
    /// A readable name (`"kilogram"`).
    #[serde(default)]
    pub name: String,
    /// Its category.
    pub category: UnitCategory,
    /// How many of the category's reference unit one of this unit is (exact).
    #[serde(with = "crate::decimal::serde_str")]
    pub factor: Decimal,
    /// Decimal places a quantity in this unit holds, and how conversions round into it.
    pub rounding: Rounding,
}

/// The global units known to a network: the standard set plus any the master data adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRegistry {
    units: Vec<UnitDef>,
}

// The standard table holds literals, never input; `standard_units_are_valid` runs every
// one of them, so `expect` cannot fire.
fn def(
    code: &str,
    name: &str,
    category: UnitCategory,
    factor: &str,
    rounding: Rounding,
) -> UnitDef {
    UnitDef {
        code: UomCode::new(code).expect("standard unit code literal"),
        name: name.to_owned(),
        category,
        factor: Decimal::from_str_exact(factor).expect("standard unit factor literal"),
        rounding,
    }
}

/// The codes of the standard units, in table order (`standard_codes_match_the_table`
/// checks them against [`UnitRegistry::standard`]).
const STANDARD_CODES: [&str; 17] = [
    "EA", "PR", "DZ", "KG", "G", "T", "LB", "OZ", "L", "ML", "M3", "GAL", "M", "CM", "MM", "FT",
    "IN",
];

impl UnitRegistry {
    /// The standard units, with exact factors (international yard and pound, US gallon):
    ///
    /// | code | category | factor | scale | rounding |
    /// |---|---|---|---|---|
    /// | EA, PR (2), DZ (12) | count | 1, 2, 12 | 0 | exact |
    /// | KG | mass | 1 | 3 | half up |
    /// | G | mass | 0.001 | 1 | half up |
    /// | T (tonne) | mass | 1000 | 3 | half up |
    /// | LB | mass | 0.45359237 | 3 | half up |
    /// | OZ | mass | 0.028349523125 | 2 | half up |
    /// | L | volume | 1 | 3 | half up |
    /// | ML | volume | 0.001 | 0 | half up |
    /// | M3 | volume | 1000 | 3 | half up |
    /// | GAL | volume | 3.785411784 | 3 | half up |
    /// | M | length | 1 | 3 | half up |
    /// | CM | length | 0.01 | 1 | half up |
    /// | MM | length | 0.001 | 0 | half up |
    /// | FT | length | 0.3048 | 3 | half up |
    /// | IN | length | 0.0254 | 2 | half up |
    ///
    /// # Panics
    /// Never: the table is literals, each checked by the crate's tests.
    #[must_use]
    pub fn standard() -> Self {
        use UnitCategory::{Count, Length, Mass, Volume};
        let cont = |scale| Rounding::new(scale, RoundingMode::HalfUp).expect("scale below 28");
        let units = vec![
            def("EA", "each", Count, "1", Rounding::WHOLE),
            def("PR", "pair", Count, "2", Rounding::WHOLE),
            def("DZ", "dozen", Count, "12", Rounding::WHOLE),
            def("KG", "kilogram", Mass, "1", cont(3)),
            def("G", "gram", Mass, "0.001", cont(1)),
            def("T", "tonne", Mass, "1000", cont(3)),
            def("LB", "pound", Mass, "0.45359237", cont(3)),
            def("OZ", "ounce", Mass, "0.028349523125", cont(2)),
            def("L", "litre", Volume, "1", cont(3)),
            def("ML", "millilitre", Volume, "0.001", cont(0)),
            def("M3", "cubic metre", Volume, "1000", cont(3)),
            def("GAL", "US gallon", Volume, "3.785411784", cont(3)),
            def("M", "metre", Length, "1", cont(3)),
            def("CM", "centimetre", Length, "0.01", cont(1)),
            def("MM", "millimetre", Length, "0.001", cont(0)),
            def("FT", "foot", Length, "0.3048", cont(3)),
            def("IN", "inch", Length, "0.0254", cont(2)),
        ];
        UnitRegistry { units }
    }

    /// The standard units plus `extra`, each a unit of its own.
    ///
    /// A standard unit cannot be redefined: its code means the same size and rounding in
    /// every network, so quantities, conversions and snapshots agree wherever they are
    /// read. A network that needs another size (a US short ton) or another scale (a
    /// kilogram kept to 2 places) defines a unit with a code of its own. The redefinition
    /// is refused, never dropped in favour of the standard unit or silently applied.
    ///
    /// # Errors
    /// [`MasterError::UnitRedefined`] when an extra unit has a standard unit's code or
    /// another extra unit's code; [`MasterError::NotPositive`] for a factor that is zero
    /// or negative. (Whole-network checks, such as a whole-number unit that is a fraction
    /// of a smaller one, are [`validate`](crate::validate)'s.)
    ///
    /// ```
    /// use onhand_master::{MasterError, Rounding, UnitCategory, UnitDef, UnitRegistry, UomCode};
    /// use rust_decimal::Decimal;
    /// let unit = |code: &str, factor| -> Result<UnitDef, MasterError> {
    ///     Ok(UnitDef { code: UomCode::new(code)?, name: String::new(),
    ///                  category: UnitCategory::Mass, factor, rounding: Rounding::new(3, Default::default())? })
    /// };
    /// // A short ton of 907.18474 kg is a unit of its own ...
    /// let reg = UnitRegistry::with_units(&[unit("TS", Decimal::new(90718474, 5))?])?;
    /// assert!(reg.get(UomCode::new("TS")?).is_some());
    /// // ... while a redefinition of the tonne is refused.
    /// let err = UnitRegistry::with_units(&[unit("T", Decimal::new(90718474, 5))?]).unwrap_err();
    /// assert_eq!(err, MasterError::UnitRedefined { uom: UomCode::new("T")?, standard: true });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_units(extra: &[UnitDef]) -> Result<Self, MasterError> {
        let mut reg = Self::standard();
        for u in extra {
            if reg.get(u.code).is_some() {
                let standard = Self::is_standard(u.code);
                return Err(MasterError::UnitRedefined { uom: u.code, standard });
            }
            if u.factor <= Decimal::ZERO {
                return Err(MasterError::NotPositive { what: "a unit factor", value: u.factor });
            }
            reg.units.push(u.clone());
        }
        Ok(reg)
    }

    /// The standard units plus every extra unit whose code is still free, in order: the
    /// registry [`validate`](crate::validate) checks items against while it reports the
    /// redefinitions (as `duplicate_code`) and bad factors itself.
    pub(crate) fn with_units_first_wins(extra: &[UnitDef]) -> Self {
        let mut reg = Self::standard();
        for u in extra {
            if reg.get(u.code).is_none() {
                reg.units.push(u.clone());
            }
        }
        reg
    }

    /// Whether `code` is one of the [`standard`](Self::standard) units.
    #[must_use]
    pub fn is_standard(code: UomCode) -> bool {
        STANDARD_CODES.contains(&code.as_str())
    }

    /// The unit with this code.
    #[must_use]
    pub fn get(&self, code: UomCode) -> Option<&UnitDef> {
        self.units.iter().find(|u| u.code == code)
    }

    /// All units, standard first.
    pub fn iter(&self) -> impl Iterator<Item = &UnitDef> {
        self.units.iter()
    }

    /// Converts between two global units of one category, rounding by the target's rule.
    ///
    /// # Errors
    /// [`MasterError::UnknownUom`], [`MasterError::NoConversion`] across categories,
    /// [`MasterError::Inexact`] when the target's rule is exact and the result does not fit.
    pub fn convert(&self, qty: Qty, to: UomCode) -> Result<Qty, MasterError> {
        let rounding =
            self.get(to).ok_or(MasterError::UnknownUom { uom: to, item: None })?.rounding;
        self.convert_with(qty, to, rounding)
    }

    /// Converts between two global units of one category, rounding once by `rounding`
    /// instead of the target's declared rule: a number of places, or an increment.
    ///
    /// # Errors
    /// As [`convert`](Self::convert), [`MasterError::Inexact`] when `rounding` is exact.
    ///
    /// ```
    /// use onhand_master::{Qty, Rounding, RoundingMode, UnitRegistry, UomCode};
    /// use rust_decimal::Decimal;
    /// let reg = UnitRegistry::standard();
    /// let kg = UomCode::new("KG")?;
    /// // 3 lb = 1.36077711 kg: to half kilograms, down; to grams (3 places), half up.
    /// let halves = Rounding::multiple_of(Decimal::new(5, 1), RoundingMode::Down)?;
    /// assert_eq!(reg.convert_with("3 LB".parse()?, kg, halves)?.to_string(), "1 KG");
    /// let grams = Rounding::new(3, RoundingMode::HalfUp)?;
    /// assert_eq!(reg.convert_with("3 LB".parse()?, kg, grams)?.to_string(), "1.361 KG");
    /// // Exactly, or not at all.
    /// let exact = Rounding::new(8, RoundingMode::Exact)?;
    /// assert_eq!(reg.convert_with("3 LB".parse()?, kg, exact)?.to_string(), "1.36077711 KG");
    /// assert!(reg.convert_with("3 LB".parse()?, kg, Rounding::new(7, RoundingMode::Exact)?).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn convert_with(
        &self,
        qty: Qty,
        to: UomCode,
        rounding: Rounding,
    ) -> Result<Qty, MasterError> {
        let ratio = self.ratio(qty.uom(), to)?;
        let value = convert_value(qty.value(), ratio, to, rounding)?;
        Qty::new(value, to)
    }

    /// The price per `to` of `price` (per a global unit of the same category), rounded
    /// once by `rounding` and written at its scale.
    ///
    /// # Errors
    /// [`MasterError::UnknownUom`], [`MasterError::NoConversion`] across categories,
    /// [`MasterError::InexactPrice`] when `rounding` is exact and the price does not fit
    /// it, [`MasterError::Overflow`].
    ///
    /// ```
    /// use onhand_master::{Rounding, RoundingMode, UnitPrice, UnitRegistry, UomCode};
    /// let reg = UnitRegistry::standard();
    /// let per_gram = UnitPrice::new("0.0125 USD".parse()?, UomCode::new("G")?);
    /// let cents = Rounding::new(2, RoundingMode::HalfUp)?;
    /// let per_tonne = reg.convert_price(per_gram, UomCode::new("T")?, cents)?;
    /// assert_eq!(per_tonne.to_string(), "12500.00 USD/T");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn convert_price(
        &self,
        price: UnitPrice,
        to: UomCode,
        rounding: Rounding,
    ) -> Result<UnitPrice, MasterError> {
        let ratio = self.ratio(price.per(), to)?;
        price_round(price, ratio, to, rounding)
    }

    /// The exact price per `to` of `price` (per a global unit of the same category), at
    /// the smallest scale from the price's own that holds it.
    ///
    /// # Errors
    /// [`MasterError::InexactPrice`] when the price has no finite decimal form (per pound
    /// into per kilogram); otherwise as [`convert_price`](Self::convert_price).
    ///
    /// ```
    /// use onhand_master::{MasterError, UnitPrice, UnitRegistry, UomCode};
    /// let reg = UnitRegistry::standard();
    /// let per_kg = UnitPrice::new("4.20 USD".parse()?, UomCode::new("KG")?);
    /// assert_eq!(reg.convert_price_exact(per_kg, UomCode::new("G")?)?.to_string(), "0.0042 USD/G");
    /// let per_lb = UnitPrice::new("2.00 USD".parse()?, UomCode::new("LB")?);
    /// let err = reg.convert_price_exact(per_lb, UomCode::new("KG")?).unwrap_err();
    /// assert!(matches!(err, MasterError::InexactPrice { .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn convert_price_exact(
        &self,
        price: UnitPrice,
        to: UomCode,
    ) -> Result<UnitPrice, MasterError> {
        let ratio = self.ratio(price.per(), to)?;
        price_exact(price, ratio, to)
    }

    /// The ratio that turns a quantity in `from` into one in `to` (global units of one
    /// category).
    fn ratio(&self, from: UomCode, to: UomCode) -> Result<Ratio, MasterError> {
        let unknown = |uom| MasterError::UnknownUom { uom, item: None };
        let from_def = self.get(from).ok_or_else(|| unknown(from))?;
        let to_def = self.get(to).ok_or_else(|| unknown(to))?;
        if from_def.category != to_def.category {
            return Err(MasterError::NoConversion { from, to, item: None });
        }
        Ok(Ratio { num: from_def.factor, den: to_def.factor })
    }
}

/// `price` per the unit `ratio` turns quantities of into `to`: a quantity ratio `r` (one
/// `from` is `r` of `to`) makes a price per `to` of `price / r`. Rounded by `rounding`.
fn price_round(
    price: UnitPrice,
    ratio: Ratio,
    to: UomCode,
    rounding: Rounding,
) -> Result<UnitPrice, MasterError> {
    let money = price.price();
    let amount =
        mul_div_round(money.amount(), ratio.den, ratio.num, rounding).map_err(|e| match e {
            DecimalError::Inexact { .. } | DecimalError::NotAMultiple { .. } => {
                MasterError::InexactPrice { price, to, rounding: Some(rounding) }
            }
            DecimalError::Overflow => MasterError::Overflow { operation: "price conversion" },
            other => MasterError::Decimal(other),
        })?;
    let rounded = Money::new(amount, money.currency()).round_to(rounding)?;
    Ok(UnitPrice::new(rounded, to))
}

/// [`price_round`] exactly, at the smallest scale from the price's own.
fn price_exact(price: UnitPrice, ratio: Ratio, to: UomCode) -> Result<UnitPrice, MasterError> {
    let money = price.price();
    let scale = money.amount().scale();
    let amount =
        mul_div_exact(money.amount(), ratio.den, ratio.num, scale).map_err(|e| match e {
            DecimalError::Inexact { .. } => MasterError::InexactPrice { price, to, rounding: None },
            DecimalError::Overflow => MasterError::Overflow { operation: "price conversion" },
            other => MasterError::Decimal(other),
        })?;
    Ok(UnitPrice::new(Money::new(amount, money.currency()), to))
}

/// One item conversion: "1 `unit` = `factor` `per`".
///
/// `unit` is a packaging unit of this item (`CS`, `PL`, `IP`), or a global unit of
/// another category than the base (bridging, say, `EA` to `KG` for one item).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemUnit {
    /// The unit being defined.
    pub unit: UomCode,
    /// How many `per` one `unit` is.
    #[serde(with = "crate::decimal::serde_str")]
    pub factor: Decimal,
    /// The unit it is defined in.
    pub per: UomCode,
    /// For a packaging unit: decimal places and conversion rounding. Default: whole
    /// numbers, exact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rounding: Option<Rounding>,
}

/// An exact ratio `num / den` of base units per one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ratio {
    num: Decimal,
    den: Decimal,
}

impl Ratio {
    const ONE: Ratio = Ratio { num: Decimal::ONE, den: Decimal::ONE };

    fn mul(self, num: Decimal, den: Decimal) -> Option<Ratio> {
        Some(Ratio { num: mul_exact(self.num, num).ok()?, den: mul_exact(self.den, den).ok()? })
    }

    /// Whether two ratios are equal, by exact cross-multiplication.
    fn same(self, other: Ratio) -> Option<bool> {
        Some(mul_exact(self.num, other.den).ok()? == mul_exact(other.num, self.den).ok()?)
    }

    /// The ratio as one decimal (rounded at 28 digits), for reports.
    fn approx(self) -> Decimal {
        self.num.checked_div(self.den).unwrap_or(Decimal::ZERO).normalize()
    }
}

fn convert_value(
    value: Decimal,
    ratio: Ratio,
    to: UomCode,
    rounding: Rounding,
) -> Result<Decimal, MasterError> {
    mul_div_round(value, ratio.num, ratio.den, rounding).map_err(|e| match e {
        DecimalError::Inexact { value, scale } => MasterError::Inexact { value, uom: to, scale },
        DecimalError::NotAMultiple { value, increment } => {
            MasterError::NotAMultiple { value, uom: to, increment }
        }
        DecimalError::Overflow => MasterError::Overflow { operation: "unit conversion" },
        other => MasterError::Decimal(other),
    })
}

/// A unit known to one item, with its exact ratio to the base unit.
#[derive(Debug, Clone, PartialEq, Eq)]
struct UnitRatio {
    code: UomCode,
    ratio: Ratio,
    rounding: Rounding,
    packaging: bool,
}

/// A problem found while resolving an item's units (reported by validation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnitIssue {
    UnknownBase,
    NoConversion { unit: UomCode },
    Inconsistent { unit: UomCode, first: Decimal, second: Decimal },
    FractionalWhole { unit: UomCode, per: UomCode, factor: Decimal },
    NotPositive { unit: UomCode, factor: Decimal },
    Overflow { unit: UomCode },
}

/// Every unit one item can be counted in, with exact ratios to its base unit.
///
/// Built by [`ItemUnits::resolve`] from the item's base unit (a global unit), all global
/// units of reachable categories, and the item's own conversions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemUnits {
    base: UomCode,
    /// Position of the base unit in `units`.
    base_index: usize,
    units: Vec<UnitRatio>,
}

impl ItemUnits {
    /// Resolves `item`'s units against `registry`.
    ///
    /// # Errors
    /// The first problem found: [`MasterError::UnknownUom`] for a base unit that is not
    /// global, [`MasterError::NoConversion`] for a packaging unit no chain reaches,
    /// [`MasterError::Inexact`] for a whole-number unit defined with a fractional
    /// factor, [`MasterError::NotPositive`] for a factor of zero or less. Use
    /// [`validate`](crate::validate) to see every problem at once.
    pub fn resolve(item: &Item, registry: &UnitRegistry) -> Result<ItemUnits, MasterError> {
        let (units, issues) = Self::resolve_collect(item, registry);
        match issues.into_iter().next() {
            None => Ok(units),
            Some(issue) => Err(issue.into_error(item)),
        }
    }

    /// Resolves as far as possible and lists every problem.
    pub(crate) fn resolve_collect(
        item: &Item,
        registry: &UnitRegistry,
    ) -> (ItemUnits, Vec<UnitIssue>) {
        let mut issues = Vec::new();
        let mut units: Vec<UnitRatio> = Vec::new();
        let base = item.base_uom;
        let Some(base_def) = registry.get(base) else {
            issues.push(UnitIssue::UnknownBase);
            return (ItemUnits { base, base_index: 0, units }, issues);
        };
        units.push(UnitRatio {
            code: base,
            ratio: Ratio::ONE,
            rounding: base_def.rounding,
            packaging: false,
        });
        expand_category(registry, &mut units, base_def, Ratio::ONE);

        for conv in &item.units {
            if conv.factor <= Decimal::ZERO {
                issues.push(UnitIssue::NotPositive { unit: conv.unit, factor: conv.factor });
            }
            // A packaging unit no conversion defines (an inner pack reached only as
            // `per`, as in 1 CS = 4 IP) takes the default rule: whole numbers.
            let per_whole = registry
                .get(conv.per)
                .map(|d| d.rounding.is_whole())
                .or_else(|| item.units.iter().find(|u| u.unit == conv.per).map(packaging_whole))
                .unwrap_or(true);
            if per_whole && !conv.factor.fract().is_zero() {
                issues.push(UnitIssue::FractionalWhole {
                    unit: conv.unit,
                    per: conv.per,
                    factor: conv.factor,
                });
            }
        }

        // Propagate ratios through the conversions until nothing changes. Each pass
        // fixes at least one unit or stops, so `len + 1` passes always suffice.
        let usable: Vec<&ItemUnit> =
            item.units.iter().filter(|c| c.factor > Decimal::ZERO).collect();
        let mut reported_inconsistent: Vec<UomCode> = Vec::new();
        for _ in 0..=usable.len() {
            let mut changed = false;
            for conv in &usable {
                let a = find(&units, conv.unit);
                let b = find(&units, conv.per);
                match (a, b) {
                    (None, Some(rb)) => {
                        let Some(ra) = rb.mul(conv.factor, Decimal::ONE) else {
                            issues.push(UnitIssue::Overflow { unit: conv.unit });
                            continue;
                        };
                        add_unit(registry, &mut units, conv.unit, ra, conv.rounding);
                        changed = true;
                    }
                    (Some(ra), None) => {
                        let Some(rb) = ra.mul(Decimal::ONE, conv.factor) else {
                            issues.push(UnitIssue::Overflow { unit: conv.per });
                            continue;
                        };
                        let rounding =
                            item.units.iter().find(|u| u.unit == conv.per).and_then(|u| u.rounding);
                        add_unit(registry, &mut units, conv.per, rb, rounding);
                        changed = true;
                    }
                    (Some(ra), Some(rb)) => {
                        let implied = rb.mul(conv.factor, Decimal::ONE);
                        let same = implied.and_then(|i| i.same(ra));
                        if same == Some(false) && !reported_inconsistent.contains(&conv.unit) {
                            reported_inconsistent.push(conv.unit);
                            issues.push(UnitIssue::Inconsistent {
                                unit: conv.unit,
                                first: ra.approx(),
                                second: implied.map_or(Decimal::ZERO, Ratio::approx),
                            });
                        }
                    }
                    (None, None) => {}
                }
            }
            if !changed {
                break;
            }
        }
        for conv in &item.units {
            for code in [conv.unit, conv.per] {
                let missing = find(&units, code).is_none();
                let already = issues
                    .iter()
                    .any(|i| matches!(i, UnitIssue::NoConversion { unit } if *unit == code));
                if missing && !already {
                    issues.push(UnitIssue::NoConversion { unit: code });
                }
            }
        }
        units.sort_by_key(|u| u.code);
        let base_index = units.iter().position(|u| u.code == base).unwrap_or(0);
        (ItemUnits { base, base_index, units }, issues)
    }

    /// The item's base unit: positions and ledgers hold quantities in it.
    #[must_use]
    pub fn base(&self) -> UomCode {
        self.base
    }

    /// Whether the item can be counted in `uom`.
    #[must_use]
    pub fn knows(&self, uom: UomCode) -> bool {
        self.entry(uom).is_some()
    }

    /// The rounding rule of `uom` for this item.
    #[must_use]
    pub fn rounding(&self, uom: UomCode) -> Option<Rounding> {
        self.entry(uom).map(|u| u.rounding)
    }

    /// Whether `uom` is one of the item's packaging units (not a global unit).
    #[must_use]
    pub fn is_packaging(&self, uom: UomCode) -> bool {
        self.entry(uom).is_some_and(|u| u.packaging)
    }

    /// Every unit the item can be counted in, sorted by code.
    pub fn units(&self) -> impl Iterator<Item = UomCode> + '_ {
        self.units.iter().map(|u| u.code)
    }

    /// How many base units one `uom` is, to 28 digits (for reports; conversions use the
    /// exact ratio).
    #[must_use]
    pub fn base_per_unit(&self, uom: UomCode) -> Option<Decimal> {
        self.entry(uom).map(|u| u.ratio.approx())
    }

    fn entry(&self, uom: UomCode) -> Option<&UnitRatio> {
        self.units.binary_search_by_key(&uom, |u| u.code).ok().and_then(|i| self.units.get(i))
    }

    fn entry_or_err(&self, uom: UomCode) -> Result<&UnitRatio, MasterError> {
        self.entry(uom).ok_or(MasterError::NoConversion { from: uom, to: self.base, item: None })
    }

    /// A quantity of this item in `uom`, checked against the unit's scale: a whole-number
    /// unit never holds a fraction.
    ///
    /// # Errors
    /// [`MasterError::NoConversion`] for a unit the item is not counted in,
    /// [`MasterError::NegativeQty`],
    /// [`MasterError::Inexact`] when `value` has more decimal places than the unit holds,
    /// or [`MasterError::NotAMultiple`] when it is off the unit's increment.
    pub fn qty(&self, value: Decimal, uom: UomCode) -> Result<Qty, MasterError> {
        let entry = self.entry_or_err(uom)?;
        if !entry.rounding.fits(value) {
            let rule = entry.rounding;
            // Within the places, so off the increment.
            if value.normalize().scale() <= rule.scale() {
                let increment = rule.increment();
                return Err(MasterError::NotAMultiple { value, uom, increment });
            }
            return Err(MasterError::Inexact { value, uom, scale: rule.scale() });
        }
        Qty::new(value, uom)
    }

    /// Converts `qty` into `to`, rounding by `to`'s declared rule.
    ///
    /// # Errors
    /// [`MasterError::NoConversion`] for a unit the item is not counted in,
    /// [`MasterError::Inexact`] when `to`'s rule is exact and the result does not fit
    /// ([`MasterError::NotAMultiple`] when the rule keeps to an increment),
    /// [`MasterError::Overflow`].
    pub fn convert(&self, qty: Qty, to: UomCode) -> Result<Qty, MasterError> {
        let rounding = self.entry_or_err(to)?.rounding;
        self.convert_with(qty, to, rounding)
    }

    /// Converts `qty` into `to`, rounding by `rounding` instead of `to`'s declared rule
    /// (say, `up` to the next full case for an order).
    ///
    /// # Errors
    /// As [`convert`](Self::convert).
    pub fn convert_with(
        &self,
        qty: Qty,
        to: UomCode,
        rounding: Rounding,
    ) -> Result<Qty, MasterError> {
        if qty.uom() == to && rounding.fits(qty.value()) {
            return Ok(qty);
        }
        let ratio = self.ratio(qty.uom(), to)?;
        let value = convert_value(qty.value(), ratio, to, rounding)?;
        Qty::new(value, to)
    }

    /// The ratio that turns a quantity of this item in `from` into one in `to`.
    fn ratio(&self, from: UomCode, to: UomCode) -> Result<Ratio, MasterError> {
        let from = self.entry_or_err(from)?;
        let target = self.entry_or_err(to)?;
        let conversion = arith("unit conversion");
        Ok(Ratio {
            num: mul_exact(from.ratio.num, target.ratio.den).map_err(&conversion)?,
            den: mul_exact(from.ratio.den, target.ratio.num).map_err(&conversion)?,
        })
    }

    /// The price per `to` of `price` (per a unit of this item), rounded once by
    /// `rounding` (places, or an increment) and written at its scale: per each into per
    /// case or pallet, per case back into per each, per each into per kilogram through
    /// the item's weight.
    ///
    /// # Errors
    /// [`MasterError::NoConversion`] for a unit the item is not counted in,
    /// [`MasterError::InexactPrice`] when `rounding` is exact and the price does not fit
    /// it, [`MasterError::Overflow`].
    ///
    /// ```
    /// use onhand_master::{seed, ItemUnits, Rounding, RoundingMode, UnitPrice, UnitRegistry, UomCode};
    /// let data = seed::demo_network();
    /// let bolt = data.items.iter().find(|i| i.code.as_str() == "BOLT-M8").ok_or("no bolt")?;
    /// let units = ItemUnits::resolve(bolt, &UnitRegistry::standard())?; // CS = 120 EA, PL = 40 CS
    /// let per_case = UnitPrice::new("5.50 USD".parse()?, UomCode::new("CS")?);
    /// let cents = Rounding::new(2, RoundingMode::HalfUp)?;
    /// // 5.50 / 120 = 0.0458333…: to the cent, or to four places.
    /// assert_eq!(units.convert_price(per_case, UomCode::new("EA")?, cents)?.to_string(), "0.05 USD/EA");
    /// let four = Rounding::new(4, RoundingMode::HalfUp)?;
    /// assert_eq!(units.convert_price(per_case, UomCode::new("EA")?, four)?.to_string(), "0.0458 USD/EA");
    /// assert_eq!(units.convert_price(per_case, UomCode::new("PL")?, cents)?.to_string(), "220.00 USD/PL");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn convert_price(
        &self,
        price: UnitPrice,
        to: UomCode,
        rounding: Rounding,
    ) -> Result<UnitPrice, MasterError> {
        let ratio = self.ratio(price.per(), to)?;
        price_round(price, ratio, to, rounding)
    }

    /// The exact price per `to` of `price` (per a unit of this item), at the smallest
    /// scale from the price's own that holds it: 0.045 USD per each is exactly 5.400 USD
    /// per case of 120.
    ///
    /// # Errors
    /// [`MasterError::InexactPrice`] when the price has no finite decimal form (5.50 USD a
    /// case of 12 is 0.458333… USD each); otherwise as [`convert_price`](Self::convert_price).
    pub fn convert_price_exact(
        &self,
        price: UnitPrice,
        to: UomCode,
    ) -> Result<UnitPrice, MasterError> {
        let ratio = self.ratio(price.per(), to)?;
        price_exact(price, ratio, to)
    }

    /// Converts `qty` into the base unit.
    ///
    /// # Errors
    /// As [`convert`](Self::convert).
    pub fn to_base(&self, qty: Qty) -> Result<Qty, MasterError> {
        // The common case: already in the base unit. Quantities are normalized, so the
        // scale check is exact.
        if qty.uom() == self.base
            && let Some(first) = self.units.get(self.base_index)
            && first.rounding.fits(qty.value())
        {
            return Ok(qty);
        }
        self.convert(qty, self.base)
    }

    /// `a + b`, converting `b` into `a`'s unit first.
    ///
    /// # Errors
    /// As [`convert`](Self::convert), plus [`MasterError::Overflow`].
    pub fn add(&self, a: Qty, b: Qty) -> Result<Qty, MasterError> {
        let b = self.convert(b, a.uom())?;
        a.checked_add(b)
    }
}

fn packaging_whole(u: &ItemUnit) -> bool {
    u.rounding.is_none_or(Rounding::is_whole)
}

fn find(units: &[UnitRatio], code: UomCode) -> Option<Ratio> {
    units.iter().find(|u| u.code == code).map(|u| u.ratio)
}

fn add_unit(
    registry: &UnitRegistry,
    units: &mut Vec<UnitRatio>,
    code: UomCode,
    ratio: Ratio,
    rounding: Option<Rounding>,
) {
    if let Some(g) = registry.get(code) {
        units.push(UnitRatio { code, ratio, rounding: g.rounding, packaging: false });
        expand_category(registry, units, g, ratio);
    } else {
        units.push(UnitRatio {
            code,
            ratio,
            rounding: rounding.unwrap_or(Rounding::WHOLE),
            packaging: true,
        });
    }
}

/// Adds every global unit of `anchor`'s category, given `anchor`'s ratio to the base.
fn expand_category(
    registry: &UnitRegistry,
    units: &mut Vec<UnitRatio>,
    anchor: &UnitDef,
    anchor_ratio: Ratio,
) {
    for g in registry.iter().filter(|g| g.category == anchor.category && g.code != anchor.code) {
        if units.iter().any(|u| u.code == g.code) {
            continue;
        }
        if let Some(ratio) = anchor_ratio.mul(g.factor, anchor.factor) {
            units.push(UnitRatio { code: g.code, ratio, rounding: g.rounding, packaging: false });
        }
    }
}

impl UnitIssue {
    fn into_error(self, item: &Item) -> MasterError {
        let item_code = Some(item.code.clone());
        match self {
            UnitIssue::UnknownBase => {
                MasterError::UnknownUom { uom: item.base_uom, item: item_code }
            }
            UnitIssue::NoConversion { unit } | UnitIssue::Inconsistent { unit, .. } => {
                MasterError::NoConversion { from: unit, to: item.base_uom, item: item_code }
            }
            UnitIssue::FractionalWhole { per, factor, .. } => {
                MasterError::Inexact { value: factor, uom: per, scale: 0 }
            }
            UnitIssue::NotPositive { factor, .. } => {
                MasterError::NotPositive { what: "a unit conversion factor", value: factor }
            }
            UnitIssue::Overflow { .. } => MasterError::Overflow { operation: "unit resolution" },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::{Item, Tracking};

    fn uom(s: &str) -> UomCode {
        UomCode::new(s).unwrap()
    }

    fn d(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    fn item(base: &str, convs: &[(&str, &str, &str)]) -> Item {
        let mut it = Item::new(crate::ItemCode::new("X").unwrap(), "x", uom(base));
        it.tracking = Tracking::None;
        it.units = convs
            .iter()
            .map(|(u, f, p)| ItemUnit { unit: uom(u), factor: d(f), per: uom(p), rounding: None })
            .collect();
        it
    }

    #[test]
    fn uom_code_rule() {
        assert!(UomCode::new("EA").is_ok());
        assert!(UomCode::new("M3").is_ok());
        assert!(UomCode::new("PALLET_1").is_ok());
        for bad in ["", "ea", "3M", "TOOLONGXX", "E A", "É"] {
            assert!(UomCode::new(bad).is_err(), "{bad:?}");
        }
        assert_eq!(uom("CS").to_string(), "CS");
        assert!(uom("CS") < uom("CSX"));
        assert!(uom("A") < uom("B"));
    }

    #[test]
    fn standard_units_are_valid() {
        let reg = UnitRegistry::standard();
        for u in reg.iter() {
            assert!(u.factor > Decimal::ZERO, "{}", u.code);
        }
    }

    #[test]
    fn standard_codes_match_the_table() {
        let standard = UnitRegistry::standard();
        let table: Vec<&str> = standard.iter().map(|u| u.code.as_str()).collect();
        assert_eq!(table, STANDARD_CODES);
        assert!(UnitRegistry::is_standard(uom("KG")));
        assert!(!UnitRegistry::is_standard(uom("TS")));
    }

    fn mass_unit(code: &str, factor: &str) -> UnitDef {
        UnitDef {
            code: uom(code),
            name: String::new(),
            category: UnitCategory::Mass,
            factor: d(factor),
            rounding: Rounding::new(3, RoundingMode::HalfUp).unwrap(),
        }
    }

    /// Issue 12: `with_units` dropped a redefinition of a standard unit and kept the
    /// standard one, so a network that meant a short ton by `T` silently got a tonne.
    #[test]
    fn with_units_refuses_a_redefined_standard_unit_instead_of_dropping_it() {
        let short_ton = mass_unit("T", "907.18474");
        assert_eq!(
            UnitRegistry::with_units(&[short_ton]),
            Err(MasterError::UnitRedefined { uom: uom("T"), standard: true })
        );
        let err = UnitRegistry::with_units(&[mass_unit("T", "1000")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unit T is a standard unit and cannot be redefined; give the unit a code of its own"
        );
    }

    #[test]
    fn with_units_refuses_a_unit_defined_twice_or_without_a_size() {
        let twice = [mass_unit("TS", "907.18474"), mass_unit("TS", "1000")];
        let err = UnitRegistry::with_units(&twice).unwrap_err();
        assert_eq!(err, MasterError::UnitRedefined { uom: uom("TS"), standard: false });
        assert_eq!(err.to_string(), "unit TS is defined more than once");
        for factor in ["0", "-1"] {
            assert_eq!(
                UnitRegistry::with_units(&[mass_unit("TS", factor)]),
                Err(MasterError::NotPositive { what: "a unit factor", value: d(factor) })
            );
        }
        let reg = UnitRegistry::with_units(&[mass_unit("TS", "907.18474")]).unwrap();
        let one = Qty::new(d("1"), uom("TS")).unwrap();
        assert_eq!(reg.convert(one, uom("KG")).unwrap().value(), d("907.185"));
        assert_eq!(reg.iter().count(), STANDARD_CODES.len() + 1);
    }

    fn price(text: &str, per: &str) -> UnitPrice {
        UnitPrice::new(text.parse().unwrap(), uom(per))
    }

    fn places(scale: u32, mode: RoundingMode) -> Rounding {
        Rounding::new(scale, mode).unwrap()
    }

    /// Issue 20: a price per each as a price per case or pallet, and back. A bolt comes
    /// 120 to the case and 40 cases to the pallet (4,800 to the pallet):
    /// 0.045 × 120 = 5.400; 0.045 × 4,800 = 216.000; 216.00 / 4,800 = 0.045;
    /// 5.50 / 120 = 0.045833…, which no decimal holds exactly: 0.05 to the cent,
    /// 0.0458 to four places, 0.045 to the half cent (9.1667 half cents, half up 9).
    #[test]
    fn a_price_per_each_becomes_a_price_per_case_and_per_pallet() {
        let bolt = item("EA", &[("CS", "120", "EA"), ("PL", "40", "CS")]);
        let u = ItemUnits::resolve(&bolt, &UnitRegistry::standard()).unwrap();
        let each = price("0.045 USD", "EA");
        assert_eq!(u.convert_price_exact(each, uom("CS")).unwrap().to_string(), "5.400 USD/CS");
        assert_eq!(u.convert_price_exact(each, uom("PL")).unwrap().to_string(), "216.000 USD/PL");
        let pallet = price("216.00 USD", "PL");
        assert_eq!(u.convert_price_exact(pallet, uom("EA")).unwrap().to_string(), "0.045 USD/EA");
        assert_eq!(u.convert_price_exact(pallet, uom("DZ")).unwrap().to_string(), "0.54 USD/DZ");

        let case = price("5.50 USD", "CS");
        assert_eq!(
            u.convert_price_exact(case, uom("EA")),
            Err(MasterError::InexactPrice { price: case, to: uom("EA"), rounding: None })
        );
        let per_each = |rule| u.convert_price(case, uom("EA"), rule).map(|p| p.to_string());
        assert_eq!(per_each(places(2, RoundingMode::HalfUp)).unwrap(), "0.05 USD/EA");
        assert_eq!(per_each(places(4, RoundingMode::HalfUp)).unwrap(), "0.0458 USD/EA");
        assert_eq!(per_each(places(4, RoundingMode::Up)).unwrap(), "0.0459 USD/EA");
        let half_cent = Rounding::multiple_of(d("0.005"), RoundingMode::HalfUp).unwrap();
        assert_eq!(per_each(half_cent).unwrap(), "0.045 USD/EA");
        let err = u.convert_price(case, uom("EA"), places(4, RoundingMode::Exact)).unwrap_err();
        assert_eq!(err.to_string(), "5.50 USD/CS has no exact price per EA at 4 decimal places");
        // The cost of three cases at the converted price is the cost at the case price.
        let three = u.qty(d("3"), uom("CS")).unwrap();
        let in_each = u.convert(three, uom("EA")).unwrap();
        let at_each = u.convert_price_exact(price("5.40 USD", "CS"), uom("EA")).unwrap();
        assert_eq!(
            at_each.amount_for(in_each).unwrap(),
            price("5.40 USD", "CS").amount_for(three).unwrap()
        );
        assert!(u.convert_price(each, uom("KG"), places(2, RoundingMode::HalfUp)).is_err());
    }

    /// Issue 20: per gram into per kilogram and per tonne (a million grams), and back:
    /// 0.0125 × 1,000 = 12.5; 0.0125 × 1,000,000 = 12,500; 480 / 1,000,000 = 0.00048.
    /// Per pound into per kilogram divides by 0.45359237: 2.00 / 0.45359237 =
    /// 4.409245243697…, which no decimal holds exactly: 4.41 to the cent half up, 4.40 down.
    #[test]
    fn a_price_per_gram_becomes_a_price_per_tonne() {
        let reg = UnitRegistry::standard();
        let gram = price("0.0125 USD", "G");
        assert_eq!(reg.convert_price_exact(gram, uom("KG")).unwrap().to_string(), "12.5000 USD/KG");
        assert_eq!(
            reg.convert_price_exact(gram, uom("T")).unwrap().to_string(),
            "12500.0000 USD/T"
        );
        let cents = places(2, RoundingMode::HalfUp);
        assert_eq!(reg.convert_price(gram, uom("T"), cents).unwrap().to_string(), "12500.00 USD/T");
        let tonne = price("480.00 EUR", "T");
        assert_eq!(reg.convert_price_exact(tonne, uom("G")).unwrap().to_string(), "0.00048 EUR/G");

        let pound = price("2.00 USD", "LB");
        assert_eq!(reg.convert_price(pound, uom("KG"), cents).unwrap().to_string(), "4.41 USD/KG");
        let down = places(2, RoundingMode::Down);
        assert_eq!(reg.convert_price(pound, uom("KG"), down).unwrap().to_string(), "4.40 USD/KG");
        assert_eq!(
            reg.convert_price_exact(pound, uom("KG")),
            Err(MasterError::InexactPrice { price: pound, to: uom("KG"), rounding: None })
        );
        // Per kilogram into per pound multiplies by 0.45359237: exact.
        let kilo = price("4.00 USD", "KG");
        assert_eq!(
            reg.convert_price_exact(kilo, uom("LB")).unwrap().to_string(),
            "1.81436948 USD/LB"
        );
        assert!(matches!(
            reg.convert_price(kilo, uom("L"), cents),
            Err(MasterError::NoConversion { .. })
        ));
    }

    /// Issue 20: a catch-weight item priced per kilogram, sold by the piece of 0.25 kg:
    /// 12.00 × 0.25 = 3.00 per piece.
    #[test]
    fn a_price_per_kilogram_becomes_a_price_per_piece_through_the_item_weight() {
        let ham = item("EA", &[("EA", "0.25", "KG")]);
        let u = ItemUnits::resolve(&ham, &UnitRegistry::standard()).unwrap();
        let kilo = price("12.00 EUR", "KG");
        assert_eq!(u.convert_price_exact(kilo, uom("EA")).unwrap().to_string(), "3.00 EUR/EA");
        assert_eq!(
            u.convert_price_exact(price("3.00 EUR", "EA"), uom("G")).unwrap().to_string(),
            "0.012 EUR/G"
        );
    }

    /// Issue 20: conversion with an explicit rule at the registry level, by places or by
    /// an increment. 3 lb = 3 × 0.45359237 = 1.36077711 kg: 1.361 to the gram, half up;
    /// 1.0 to half kilograms down, 1.5 up and half up (2.72 halves); 1.25 to quarters
    /// (5.44 quarters) half even.
    #[test]
    fn the_registry_converts_with_an_explicit_rule() {
        let reg = UnitRegistry::standard();
        let three_lb = Qty::new(d("3"), uom("LB")).unwrap();
        let to_kg = |rule| reg.convert_with(three_lb, uom("KG"), rule).map(Qty::value);
        assert_eq!(to_kg(places(3, RoundingMode::HalfUp)), Ok(d("1.361")));
        assert_eq!(to_kg(places(8, RoundingMode::Exact)), Ok(d("1.36077711")));
        let half = |mode| Rounding::multiple_of(d("0.5"), mode).unwrap();
        assert_eq!(to_kg(half(RoundingMode::Down)), Ok(d("1")));
        assert_eq!(to_kg(half(RoundingMode::Up)), Ok(d("1.5")));
        assert_eq!(to_kg(half(RoundingMode::HalfUp)), Ok(d("1.5")));
        let quarter = Rounding::multiple_of(d("0.25"), RoundingMode::HalfEven).unwrap();
        assert_eq!(to_kg(quarter), Ok(d("1.25")));
        assert_eq!(
            to_kg(half(RoundingMode::Exact)),
            Err(MasterError::NotAMultiple {
                value: d("1.36077711"),
                uom: uom("KG"),
                increment: d("0.5")
            })
        );
        // The declared rule stays the default: kilograms to three places, half up.
        assert_eq!(reg.convert(three_lb, uom("KG")).unwrap().value(), d("1.361"));
        assert!(matches!(
            reg.convert_with(three_lb, uom("L"), places(3, RoundingMode::HalfUp)),
            Err(MasterError::NoConversion { .. })
        ));
    }

    /// A unit may keep its quantities to an increment: a cut length sold by the half
    /// metre refuses 1.3 M and rounds conversions onto its grid.
    #[test]
    fn a_unit_with_an_increment_rule() {
        let mut it = item("EA", &[]);
        it.units = vec![
            ItemUnit {
                unit: uom("HM"),
                factor: d("0.5"),
                per: uom("M"),
                rounding: Some(Rounding::multiple_of(d("0.5"), RoundingMode::Exact).unwrap()),
            },
            ItemUnit { unit: uom("EA"), factor: d("2"), per: uom("M"), rounding: None },
        ];
        let u = ItemUnits::resolve(&it, &UnitRegistry::standard()).unwrap();
        assert!(u.qty(d("1.5"), uom("HM")).is_ok());
        assert_eq!(
            u.qty(d("1.3"), uom("HM")),
            Err(MasterError::NotAMultiple { value: d("1.3"), uom: uom("HM"), increment: d("0.5") })
        );
        assert_eq!(
            u.qty(d("1.25"), uom("HM")),
            Err(MasterError::Inexact { value: d("1.25"), uom: uom("HM"), scale: 1 })
        );
        let metres = Qty::new(d("0.7"), uom("M")).unwrap();
        assert!(matches!(u.convert(metres, uom("HM")), Err(MasterError::NotAMultiple { .. })));
        let up = Rounding::multiple_of(d("0.5"), RoundingMode::Up).unwrap();
        assert_eq!(u.convert_with(metres, uom("HM"), up).unwrap().value(), d("1.5"));
    }

    #[test]
    fn global_conversion_within_a_category() {
        let reg = UnitRegistry::standard();
        let lb = Qty::new(d("1"), uom("LB")).unwrap();
        assert_eq!(reg.convert(lb, uom("KG")).unwrap().value(), d("0.454"));
        assert_eq!(reg.convert(lb, uom("OZ")).unwrap().value(), d("16"));
        let err = reg.convert(lb, uom("L")).unwrap_err();
        assert!(matches!(err, MasterError::NoConversion { .. }));
    }

    #[test]
    fn packaging_chain_resolves_and_converts() {
        let it = item("EA", &[("CS", "12", "EA"), ("PL", "40", "CS")]);
        let u = ItemUnits::resolve(&it, &UnitRegistry::standard()).unwrap();
        let one_pl = u.qty(Decimal::ONE, uom("PL")).unwrap();
        assert_eq!(u.convert(one_pl, uom("EA")).unwrap().value(), d("480"));
        assert_eq!(u.convert(one_pl, uom("DZ")).unwrap().value(), d("40"));
        let thirteen = u.qty(d("13"), uom("EA")).unwrap();
        assert!(matches!(u.convert(thirteen, uom("CS")), Err(MasterError::Inexact { .. })));
        let up = Rounding::new(0, RoundingMode::Up).unwrap();
        assert_eq!(u.convert_with(thirteen, uom("CS"), up).unwrap().value(), d("2"));
        assert!(u.qty(d("1.5"), uom("CS")).is_err());
        assert!(u.is_packaging(uom("CS")));
        assert!(!u.is_packaging(uom("EA")));
    }

    #[test]
    fn bridge_to_another_category_is_exact_both_ways() {
        // 1 EA = 3 KG: a kilogram is a third of an each, exactly.
        let it = item("EA", &[("EA", "3", "KG")]);
        let u = ItemUnits::resolve(&it, &UnitRegistry::standard()).unwrap();
        let kg = Qty::new(d("9"), uom("KG")).unwrap();
        assert_eq!(u.convert(kg, uom("EA")).unwrap().value(), d("3"));
        let g = Qty::new(d("3000"), uom("G")).unwrap();
        assert_eq!(u.convert(g, uom("EA")).unwrap().value(), d("1"));
        let kg = Qty::new(d("1"), uom("KG")).unwrap();
        assert!(u.convert(kg, uom("EA")).is_err(), "a third of an each is not whole");
    }

    #[test]
    fn fractional_factor_per_an_inner_pack_is_reported() {
        // 1 CS = 2.5 IP, where IP is reached only as `per`: a whole-number packaging unit.
        let it = item("EA", &[("CS", "12", "EA"), ("CS", "2.5", "IP")]);
        let (units, issues) = ItemUnits::resolve_collect(&it, &UnitRegistry::standard());
        assert_eq!(units.rounding(uom("IP")), Some(Rounding::WHOLE));
        assert_eq!(
            issues,
            vec![UnitIssue::FractionalWhole { unit: uom("CS"), per: uom("IP"), factor: d("2.5") }]
        );
        let whole = item("EA", &[("CS", "12", "EA"), ("CS", "4", "IP")]);
        assert!(ItemUnits::resolve(&whole, &UnitRegistry::standard()).is_ok());
    }

    #[test]
    fn issues_are_collected() {
        let reg = UnitRegistry::standard();
        let it = item("EA", &[("CS", "12.5", "EA"), ("BX", "4", "IP"), ("PL", "0", "CS")]);
        let (_, issues) = ItemUnits::resolve_collect(&it, &reg);
        assert!(issues.contains(&UnitIssue::FractionalWhole {
            unit: uom("CS"),
            per: uom("EA"),
            factor: d("12.5")
        }));
        assert!(issues.contains(&UnitIssue::NoConversion { unit: uom("BX") }));
        assert!(issues.contains(&UnitIssue::NoConversion { unit: uom("IP") }));
        assert!(issues.contains(&UnitIssue::NotPositive { unit: uom("PL"), factor: d("0") }));
        let inconsistent =
            item("EA", &[("CS", "12", "EA"), ("PL", "40", "CS"), ("PL", "500", "EA")]);
        let (_, issues) = ItemUnits::resolve_collect(&inconsistent, &reg);
        assert!(matches!(issues.as_slice(), [UnitIssue::Inconsistent { .. }]), "{issues:?}");
        let unknown_base = item("XX", &[]);
        assert!(ItemUnits::resolve(&unknown_base, &reg).is_err());
    }
}
