//! Items (SKUs): base unit, packaging units, tracking, shelf life, velocity class and
//! ordered substitutes.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::code::ItemCode;
use crate::uom::{ItemUnit, UomCode};

/// How individual units of an item are identified in stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tracking {
    /// Not tracked: stock is fungible.
    #[default]
    None,
    /// Each receipt carries a lot (batch) number; every stock line names its lot.
    Lot,
    /// Each unit carries a serial number, unique for the item across the network; the
    /// base unit must be a whole-number unit.
    Serial,
}

/// The item's velocity (ABC) class, used for counting frequency and slotting.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub enum VelocityClass {
    /// Fastest movers (the top share of picks or value).
    A,
    /// Medium movers.
    B,
    /// Slow movers.
    C,
    /// Very slow or obsolete.
    D,
    /// Not yet classified.
    #[default]
    #[serde(rename = "unclassified")]
    Unclassified,
}

/// A substitute for an item, in preference order within [`Item::substitutes`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Substitute {
    /// The substitute item.
    pub item: ItemCode,
    /// How many base units of the substitute replace one base unit of this item
    /// (2 when a pack of 5 replaces a pack of 10).
    #[serde(with = "crate::decimal::serde_str", default = "one")]
    pub ratio: Decimal,
}

fn one() -> Decimal {
    Decimal::ONE
}

/// An item (SKU).
///
/// ```
/// use onhand_master::{Item, ItemCode, ItemUnit, Tracking, UomCode};
/// use rust_decimal::Decimal;
/// let mut glue = Item::new(ItemCode::new("GLUE-500")?, "Adhesive 500 ml", UomCode::new("EA")?);
/// glue.tracking = Tracking::Lot;
/// glue.shelf_life_days = Some(365);
/// glue.units.push(ItemUnit {
///     unit: UomCode::new("CS")?,
///     factor: Decimal::from(24),
///     per: UomCode::new("EA")?,
///     rounding: None,
/// });
/// assert_eq!(glue.units.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// The item code.
    pub code: ItemCode,
    /// A description for people.
    #[serde(default)]
    pub description: String,
    /// The unit stock is kept in: a global unit (`EA`, `KG`, `L`, `M`).
    pub base_uom: UomCode,
    /// Packaging units and cross-category conversions of this item.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<ItemUnit>,
    /// How units are identified.
    #[serde(default)]
    pub tracking: Tracking,
    /// Days from receipt (or manufacture) to expiry; needs lot or serial tracking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shelf_life_days: Option<u32>,
    /// The velocity class.
    #[serde(default)]
    pub velocity: VelocityClass,
    /// Substitutes in preference order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub substitutes: Vec<Substitute>,
}

impl Item {
    /// A plain item: untracked, no packaging units, no substitutes.
    #[must_use]
    pub fn new(code: ItemCode, description: impl Into<String>, base_uom: UomCode) -> Self {
        Item {
            code,
            description: description.into(),
            base_uom,
            units: Vec::new(),
            tracking: Tracking::None,
            shelf_life_days: None,
            velocity: VelocityClass::Unclassified,
            substitutes: Vec::new(),
        }
    }
}
