//! Item-site policies (how an item is stocked and planned at a site) and sourcing lanes
//! (where a site gets an item from, how long it takes and what it costs).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::code::{ItemCode, RegionCode, SiteCode, SupplierCode};
use crate::money::Money;
use crate::org::NegativeStock;
use crate::qty::Qty;

/// How replenishment is planned for an item at a site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanningMethod {
    /// Not planned (ordered by hand, or not replenished).
    #[default]
    Manual,
    /// Reorder point with a fixed order quantity, (s, Q).
    ReorderPoint,
    /// Min-max, (s, S): when position falls to s, order up to S.
    MinMax,
    /// Periodic review order-up-to, (R, S): every R days, order up to S.
    PeriodicReview,
    /// Time-phased distribution requirements planning.
    Drp,
}

/// How a site's safety stock for an item is set.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SafetyStock {
    /// No safety stock.
    #[default]
    None,
    /// A fixed quantity.
    Fixed(Qty),
    /// A number of days of average demand.
    DaysOfSupply(#[serde(with = "crate::decimal::serde_str")] Decimal),
    /// Computed from demand and lead-time variability for the policy's service target.
    Statistical,
}

/// The service target statistical safety stock aims at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceTarget {
    /// Cycle service level: probability of no stock-out in a replenishment cycle, in (0, 1).
    CycleServiceLevel(#[serde(with = "crate::decimal::serde_str")] Decimal),
    /// Fill rate: share of demand met from stock, in (0, 1).
    FillRate(#[serde(with = "crate::decimal::serde_str")] Decimal),
}

impl ServiceTarget {
    /// The target as a fraction.
    #[must_use]
    pub fn value(self) -> Decimal {
        match self {
            ServiceTarget::CycleServiceLevel(v) | ServiceTarget::FillRate(v) => v,
        }
    }
}

/// Where received stock of an item goes first at a site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiveInto {
    /// The receiving area, to be put away (the default).
    #[default]
    Receiving,
    /// Straight to available stock.
    Available,
    /// Quality hold, pending inspection.
    QualityHold,
}

/// Lead time in days, as a mean and a standard deviation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadTime {
    /// Mean lead time in days.
    #[serde(with = "crate::decimal::serde_str")]
    pub mean_days: Decimal,
    /// Standard deviation of the lead time in days.
    #[serde(with = "crate::decimal::serde_str", default)]
    pub std_dev_days: Decimal,
}

/// How an item is stocked and planned at one site.
///
/// Quantities are in any unit the item knows; validation checks they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemSitePolicy {
    /// The item.
    pub item: ItemCode,
    /// The site.
    pub site: SiteCode,
    /// Whether the site keeps the item in stock. An unstocked item-site carries no
    /// planning method, safety stock or order rules.
    #[serde(default = "yes")]
    pub stocked: bool,
    /// How replenishment is planned.
    #[serde(default)]
    pub planning: PlanningMethod,
    /// How safety stock is set.
    #[serde(default)]
    pub safety_stock: SafetyStock,
    /// The service target (needed by statistical safety stock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_target: Option<ServiceTarget>,
    /// Replenishment lead time.
    #[serde(default)]
    pub lead_time: LeadTime,
    /// Review period in days (needed by periodic review).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_period_days: Option<u32>,
    /// Smallest order quantity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_min: Option<Qty>,
    /// Orders are whole multiples of this quantity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_multiple: Option<Qty>,
    /// Largest order quantity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_max: Option<Qty>,
    /// Where receipts go first.
    #[serde(default)]
    pub receive_into: ReceiveInto,
    /// Overrides the site's negative-stock policy for this item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub negative_stock: Option<NegativeStock>,
}

fn yes() -> bool {
    true
}

impl ItemSitePolicy {
    /// A stocked, manually planned item-site with no safety stock or order rules.
    #[must_use]
    pub fn new(item: ItemCode, site: SiteCode) -> Self {
        ItemSitePolicy {
            item,
            site,
            stocked: true,
            planning: PlanningMethod::Manual,
            safety_stock: SafetyStock::None,
            service_target: None,
            lead_time: LeadTime::default(),
            review_period_days: None,
            order_min: None,
            order_multiple: None,
            order_max: None,
            receive_into: ReceiveInto::Receiving,
            negative_stock: None,
        }
    }
}

/// Where a lane starts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LaneSource {
    /// Purchased from a supplier.
    Supplier(SupplierCode),
    /// Transferred from another site.
    Site(SiteCode),
}

impl std::fmt::Display for LaneSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LaneSource::Supplier(s) => write!(f, "supplier {s}"),
            LaneSource::Site(s) => write!(f, "site {s}"),
        }
    }
}

/// A sourcing lane: the destination site gets items from the source, after the transit
/// time, at the cost per unit, in rank order among the destination's lanes (1 first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourcingLane {
    /// Where goods come from.
    pub from: LaneSource,
    /// The destination site.
    pub to: SiteCode,
    /// The item this lane is for; `None` for every item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<ItemCode>,
    /// Days from dispatch to arrival.
    pub transit_days: u32,
    /// Cost per base unit moved or bought along this lane (freight, or purchase price).
    pub cost_per_unit: Money,
    /// Preference among the destination's lanes for the item (1 is first).
    pub rank: u16,
}

/// A delivery lane: a site ships to customers in a region, taking `transit_days` door to
/// door, at a freight cost per unit, in rank order among the region's lanes (1 first).
/// Promising uses these lanes to choose candidate sites and to work back from a
/// requested delivery date to the date the goods must be available at the site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryLane {
    /// The shipping site.
    pub site: SiteCode,
    /// The ship-to region.
    pub region: RegionCode,
    /// Days from shipment to delivery.
    pub transit_days: u32,
    /// Freight cost per base unit.
    pub cost_per_unit: Money,
    /// Preference among the region's lanes (1 is first).
    pub rank: u16,
}
