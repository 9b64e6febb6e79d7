//! The organisation: legal entities, sites with their zones and bins, suppliers and
//! customers.

use serde::{Deserialize, Serialize};

use crate::code::{
    BinCode, ChannelCode, CustomerCode, CustomerGroupCode, EntityCode, RegionCode, SiteCode,
    SupplierCode, ZoneCode,
};
use crate::money::CurrencyCode;

/// How a legal entity values inventory unless an item says otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CostingMethod {
    /// First in, first out: issues consume the oldest receipt layers first.
    Fifo,
    /// Moving (weighted) average cost, recomputed on each receipt.
    MovingAverage,
    /// Standard cost, with purchase price variance on receipt.
    Standard,
}

/// A legal entity (company) that owns sites and carries inventory on its books.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegalEntity {
    /// The entity code.
    pub code: EntityCode,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Its functional currency: the currency its books are kept in.
    pub currency: CurrencyCode,
    /// Its default costing method.
    pub costing: CostingMethod,
}

/// What a site is for. The kind sets defaults elsewhere (a virtual transit site holds no
/// bins; a cross-dock rarely holds stock overnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SiteKind {
    /// A regional distribution centre: full storage, replenishes branches.
    RegionalDc,
    /// A branch (local stocking point, often with a trade counter).
    Branch,
    /// A cross-dock: receives and ships without putaway to storage.
    CrossDock,
    /// A third-party logistics warehouse operated by a provider for the owning entity.
    ThirdPartyLogistics,
    /// A virtual site standing for goods in transit; it has no bins.
    VirtualTransit,
}

/// Who runs a site day to day.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    /// The owning entity itself.
    #[default]
    Owner,
    /// A third party (a 3PL provider), named by its supplier code.
    ThirdParty(SupplierCode),
}

/// What a zone is used for; removal strategies pick from pick faces before bulk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneKind {
    /// Dock and receiving area.
    Receiving,
    /// Forward pick locations.
    PickFace,
    /// Reserve (bulk) storage.
    Bulk,
    /// Quality inspection and quarantine area.
    Quality,
    /// Outbound staging (picked goods waiting to ship).
    Staging,
    /// Returns processing.
    Returns,
}

/// A zone of a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    /// The zone code, unique within its site.
    pub code: ZoneCode,
    /// What the zone is for.
    pub kind: ZoneKind,
}

/// A bin (storage location) in a zone of a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bin {
    /// The bin code, unique within its site.
    pub code: BinCode,
    /// The zone it is in.
    pub zone: ZoneCode,
    /// Position on the pick path (lower is visited first).
    #[serde(default)]
    pub sequence: u32,
}

/// Whether a site may post stock below zero: the ledger's rule for physical positions.
///
/// Valuation has its own setting for the books (`onhand_valuation::NegativeCostPolicy`, per
/// entity: refuse, or issue at the last cost and true up), which does not read this
/// one; where both engines see the same movements, a site that allows negative stock
/// needs its entity's books to allow it too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NegativeStock {
    /// Refuse any posting that would take a position below zero (the default).
    #[default]
    Forbid,
    /// Accept it and show the negative quantity as such until stock catches up.
    Allow,
}

/// A site: a warehouse, branch, cross-dock, 3PL or virtual transit location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Site {
    /// The site code.
    pub code: SiteCode,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// What the site is.
    pub kind: SiteKind,
    /// The legal entity that owns the site (and, by default, the stock in it). A site
    /// without one is a governance violation.
    #[serde(default)]
    pub entity: Option<EntityCode>,
    /// Who runs it.
    #[serde(default)]
    pub operator: Operator,
    /// The region it is in (ship-to regions and transit times refer to regions).
    pub region: RegionCode,
    /// Zones, each with a distinct code.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<Zone>,
    /// Bins, each in one of the zones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bins: Vec<Bin>,
    /// The site's negative-stock policy (item-site policies may override it).
    #[serde(default)]
    pub negative_stock: NegativeStock,
    /// Days to pick, pack and load an outbound order before it leaves the site.
    #[serde(default)]
    pub handling_days: u32,
}

/// A supplier (vendor), including logistics providers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Supplier {
    /// The supplier code.
    pub code: SupplierCode,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// The currency it invoices in.
    pub currency: CurrencyCode,
}

/// A customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    /// The customer code.
    pub code: CustomerCode,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Its default ship-to region.
    pub region: RegionCode,
    /// Its customer group (a demand-class characteristic).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<CustomerGroupCode>,
    /// Its default sales channel (a demand-class characteristic).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<ChannelCode>,
}

/// A region: where sites stand and where customers take delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    /// The region code.
    pub code: RegionCode,
    /// Its name.
    #[serde(default)]
    pub name: String,
}
