//! Valuation configuration: costing method overrides, per-site valuation, negative-stock
//! policy per entity, initial standard costs, intercompany agreements and the chart of
//! accounts. Plain serializable data, checked when a [`Valuation`](crate::Valuation) is
//! built.

use std::collections::{BTreeMap, BTreeSet};

use onhand_master::{CurrencyCode, EntityCode, ItemCode, Money, SiteCode};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::pool::Method;
use crate::posting::Accounts;

/// What an entity does when more is issued than its books hold.
///
/// This governs the **books** only: how valuation costs an issue beyond the quantity a
/// cost pool holds. Whether a physical posting may take a position below zero is the
/// ledger's decision, by `onhand_master::Site::negative_stock` (overridden per item
/// and site by `ItemSitePolicy::negative_stock`), which valuation never reads. The two
/// are set separately because they answer different questions, but they must agree
/// where both engines see the same movements (as in the `onhand` facade): a site whose
/// policy allows negative stock needs its entity at [`NegativeCostPolicy::LastCost`] here,
/// or valuation refuses the issue the ledger accepted; the facade refuses to build a
/// network where they disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NegativeCostPolicy {
    /// Refuse the movement (a typed error; nothing changes).
    #[default]
    Refuse,
    /// Issue the shortfall at the last known cost and true up the difference against
    /// the issue's account when the next receipt covers it.
    LastCost,
}

/// How an intercompany agreement prices a transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum PriceRule {
    /// At the seller's cost (no profit).
    AtCost,
    /// Cost plus a markup on cost (0.25: cost x 1.25, a 20% margin on price).
    CostPlus {
        /// The markup on cost (0 or more).
        #[serde(with = "onhand_master::decimal::serde_str")]
        markup: Decimal,
    },
    /// Cost plus a margin on the price: the price is `cost / (1 − margin)` (0.3: a 30%
    /// gross margin, cost 70 sells at 100), rounded once to the currency's minor unit,
    /// half up.
    CostPlusMargin {
        /// The gross margin on the price, at least 0 and below 1.
        #[serde(with = "onhand_master::decimal::serde_str")]
        margin: Decimal,
    },
    /// A price per base unit of each item, in the agreement's currency.
    PriceList {
        /// The prices (each read by the plain-decimal rule).
        #[serde(deserialize_with = "onhand_master::decimal::serde_str::map")]
        prices: BTreeMap<ItemCode, Decimal>,
    },
}

/// When legal title (and with it the inventory on the books) passes to the buyer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TitlePoint {
    /// At shipment: the buyer owns the goods in transit.
    #[default]
    Shipment,
    /// At receipt: the seller owns them until they arrive.
    Receipt,
}

/// The terms on which one entity sells stock to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agreement {
    /// The selling entity.
    pub seller: EntityCode,
    /// The buying entity.
    pub buyer: EntityCode,
    /// The transfer price rule.
    pub price: PriceRule,
    /// The invoice currency.
    pub currency: CurrencyCode,
    /// When title passes.
    #[serde(default)]
    pub title: TitlePoint,
}

/// An initial standard cost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Standard {
    /// The entity.
    pub entity: EntityCode,
    /// The item.
    pub item: ItemCode,
    /// The site (entities valued per site).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<SiteCode>,
    /// The cost per base unit, in the entity's currency.
    pub cost: Money,
}

/// A costing method for one entity's item, replacing the entity's default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MethodOverride {
    /// The entity.
    pub entity: EntityCode,
    /// The item.
    pub item: ItemCode,
    /// The method.
    pub method: Method,
}

/// Everything valuation needs beyond master data.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValuationConfig {
    /// Entities that value each site separately (the rest pool all their sites).
    #[serde(default)]
    pub per_site: BTreeSet<EntityCode>,
    /// Costing methods that differ from the entity's default.
    #[serde(default)]
    pub methods: Vec<MethodOverride>,
    /// Standard costs to start from (standard-cost items without one start at zero).
    #[serde(default)]
    pub standards: Vec<Standard>,
    /// The negative-stock policy of the books per entity (default: refuse); see
    /// [`NegativeCostPolicy`] for how it relates to the sites' physical policy.
    #[serde(default)]
    pub negative_stock: BTreeMap<EntityCode, NegativeCostPolicy>,
    /// Intercompany agreements, one per seller and buyer.
    #[serde(default)]
    pub agreements: Vec<Agreement>,
    /// The chart of accounts.
    #[serde(default)]
    pub accounts: Accounts,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 15: `NegativeStock` became [`NegativeCostPolicy`] and `DocKind`
    /// [`IcDocKind`](crate::IcDocKind); type names are not on the wire, so configurations
    /// and documents written before the renames read the same.
    #[test]
    fn renamed_types_keep_their_wire_forms() {
        let text = r#"{"negative_stock":{"NA01":"last_cost","EU01":"refuse"}}"#;
        let config: ValuationConfig = serde_json::from_str(text).unwrap();
        let entity = |code: &str| EntityCode::new(code).unwrap();
        assert_eq!(config.negative_stock.get(&entity("NA01")), Some(&NegativeCostPolicy::LastCost));
        assert_eq!(config.negative_stock.get(&entity("EU01")), Some(&NegativeCostPolicy::Refuse));
        let written = serde_json::to_string(&config.negative_stock).unwrap();
        assert_eq!(written, r#"{"EU01":"refuse","NA01":"last_cost"}"#);
        for kind in [
            crate::IcDocKind::SalesOrder,
            crate::IcDocKind::PurchaseOrder,
            crate::IcDocKind::Shipment,
            crate::IcDocKind::Invoice,
        ] {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(serde_json::from_str::<crate::IcDocKind>(&json).unwrap(), kind);
        }
        assert_eq!(
            serde_json::to_string(&crate::IcDocKind::SalesOrder).unwrap(),
            "\"sales_order\""
        );
    }
}
