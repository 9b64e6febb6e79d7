//! [`NetworkConfig`]: everything a [`Network`](crate::Network) needs beyond master data
//! and the ledger's rules: valuation (methods, accounts, intercompany agreements),
//! availability (checking horizon, quotas, protected safety stock), replenishment
//! (demand statistics and costs per item-site), exception control (the queue's rules and
//! the quality-hold limit), exchange rates, and the partition this network holds. Plain
//! serde data, checked when the network is built.

use onhand_atp::{AtpConfig, QuotaRule};
use onhand_control::Rules as ControlRules;
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

/// Exception control: the rules the network's exception queue routes, ranks and
/// escalates by, and the limit past which held stock becomes an exception.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlSettings {
    /// The queue's rules. `None`: [`onhand_control::Rules::standard`] in the ledger rules'
    /// currency, with a rate to it for every other currency of the network's entities
    /// from [`NetworkConfig::rates`] (either direction), and at parity where none is
    /// given (rates here only rank and band exceptions, they never value stock). Rules
    /// given here must name a rate for every entity currency and must not set a
    /// threshold on pending approvals: every held event is an approval task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<ControlRules>,
    /// Hours stock may sit on quality hold, blocked or damaged at an item-site before it
    /// is raised as an exception (checked when the network's time moves on).
    #[serde(default = "default_hold_limit_hours")]
    pub hold_limit_hours: u32,
}

fn default_hold_limit_hours() -> u32 {
    72
}

impl Default for ControlSettings {
    fn default() -> Self {
        ControlSettings { rules: None, hold_limit_hours: default_hold_limit_hours() }
    }
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
    /// Exception control.
    #[serde(default)]
    pub control: ControlSettings,
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
