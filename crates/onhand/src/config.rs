//! [`NetworkConfig`]: everything a [`Network`](crate::Network) needs beyond master data
//! and the ledger's rules: valuation (methods, accounts, intercompany agreements),
//! availability (checking horizon, quotas, protected safety stock), replenishment
//! (demand statistics and costs per item-site), exchange rates, and the partition this
//! network holds. Plain serde data, checked when the network is built.

use onhand_atp::{AtpConfig, QuotaRule};
use onhand_master::{ItemCode, SiteCode};
use onhand_replenish::{Costs, DemandStats};
use onhand_valuation::{Rate, ValuationConfig};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::insight_feed::InsightSettings;
use crate::partition::Partition;

/// Availability-to-promise settings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AtpSettings {
    /// The engine's settings (checking horizon).
    #[serde(default)]
    pub engine: AtpConfig,
    /// Allocation quotas per item.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quotas: Vec<QuotaRule>,
    /// Protect every stocked item-site's fixed safety stock for demand of this priority
    /// or more urgent (1 is the most urgent); `None` protects nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protect_safety_stock: Option<u8>,
}

/// The demand statistics and costs of one item-site, for replenishment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemSitePlan {
    /// The item.
    pub item: ItemCode,
    /// The site.
    pub site: SiteCode,
    /// Demand per period (base units).
    pub demand: DemandStats,
    /// Demand from priority customers over the lead time (base units), which a
    /// recommendation may protect stock for; zero when not known.
    #[serde(
        default,
        with = "onhand_master::decimal::serde_str",
        skip_serializing_if = "Decimal::is_zero"
    )]
    pub priority_demand: Decimal,
    /// Ordering, holding and shortage costs, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub costs: Option<Costs>,
}

/// Replenishment settings: the item-sites the network watches against their reorder
/// points. Item-sites without an entry are not planned.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplenishSettings {
    /// One entry per planned item-site.
    #[serde(default)]
    pub item_sites: Vec<ItemSitePlan>,
}

/// Everything a network needs beyond master data and the ledger's rules.
///
/// ```
/// use onhand::NetworkConfig;
/// let config: NetworkConfig = serde_json::from_str("{}")?;
/// assert!(config.partition.is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    /// Costing methods, per-site valuation, negative-stock policy, agreements, accounts.
    #[serde(default)]
    pub valuation: ValuationConfig,
    /// Availability to promise.
    #[serde(default)]
    pub atp: AtpSettings,
    /// Replenishment.
    #[serde(default)]
    pub replenish: ReplenishSettings,
    /// Exchange rates: costs given in another currency than their owner's, and transfers
    /// between entities of different currencies, convert by these. A rate converts one
    /// way; give both directions where both are needed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rates: Vec<Rate>,
    /// The part of the items this network holds (`None`: all of them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<Partition>,
    /// KPIs and anomaly detection (on by default).
    #[serde(default)]
    pub insight: InsightSettings,
}
