//! [`MasterData`]: the whole master-data document of a network, as read from files or
//! built in code, before validation.

use serde::{Deserialize, Serialize};

use crate::item::Item;
use crate::org::{Customer, LegalEntity, Region, Site, Supplier};
use crate::policy::{DeliveryLane, ItemSitePolicy, SourcingLane};
use crate::uom::UnitDef;

/// Every master record of a network. Plain data: build it freely, then
/// [`validate`](crate::validate) it, or turn it into a [`Catalog`](crate::Catalog), which
/// only valid data becomes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MasterData {
    /// Global units beyond the standard set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<UnitDef>,
    /// Legal entities.
    #[serde(default)]
    pub entities: Vec<LegalEntity>,
    /// Regions.
    #[serde(default)]
    pub regions: Vec<Region>,
    /// Sites with their zones and bins.
    #[serde(default)]
    pub sites: Vec<Site>,
    /// Suppliers (including logistics providers).
    #[serde(default)]
    pub suppliers: Vec<Supplier>,
    /// Customers.
    #[serde(default)]
    pub customers: Vec<Customer>,
    /// Items.
    #[serde(default)]
    pub items: Vec<Item>,
    /// Item-site policies.
    #[serde(default)]
    pub policies: Vec<ItemSitePolicy>,
    /// Sourcing lanes (how sites are supplied).
    #[serde(default)]
    pub lanes: Vec<SourcingLane>,
    /// Delivery lanes (which sites ship to which customer regions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delivery_lanes: Vec<DeliveryLane>,
}
