//! Postings and the chart they post to: posting keys (what a line means), the
//! per-entity mapping of keys to account codes, and the balance check every posting set
//! passes (debits equal credits per entity and currency).

use std::collections::BTreeMap;

use onhand_master::{AccountCode, CurrencyCode, EntityCode, ItemCode, SiteCode};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What a posting line means, independent of any chart of accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PostingKey {
    /// Inventory on hand.
    Inventory,
    /// Inventory in transit that the entity owns.
    InTransit,
    /// Goods received, not yet invoiced (the purchase clearing account).
    GoodsReceived,
    /// Landed cost (freight, duty) accrued for a receipt.
    LandedCost,
    /// Cost of goods sold.
    CostOfSales,
    /// Intercompany revenue.
    IcRevenue,
    /// Intercompany receivable.
    IcReceivable,
    /// Intercompany payable.
    IcPayable,
    /// Purchase price variance (standard cost).
    PriceVariance,
    /// Inventory adjustments and count variances (gain and loss).
    Adjustment,
    /// Scrap written off.
    WriteOff,
    /// Revaluation on a standard-cost change.
    Revaluation,
    /// Rounding residues.
    Rounding,
    /// Retained earnings (consolidation: profit eliminated in an earlier period).
    RetainedEarnings,
    /// Opening balances taken over from another system (the migration clearing
    /// account).
    OpeningBalance,
}

impl PostingKey {
    /// Every key, in order (new keys are appended: a key's position is its stored tag).
    pub const ALL: [PostingKey; 15] = [
        PostingKey::Inventory,
        PostingKey::InTransit,
        PostingKey::GoodsReceived,
        PostingKey::LandedCost,
        PostingKey::CostOfSales,
        PostingKey::IcRevenue,
        PostingKey::IcReceivable,
        PostingKey::IcPayable,
        PostingKey::PriceVariance,
        PostingKey::Adjustment,
        PostingKey::WriteOff,
        PostingKey::Revaluation,
        PostingKey::Rounding,
        PostingKey::RetainedEarnings,
        PostingKey::OpeningBalance,
    ];

    /// The stable name.
    ///
    /// ```
    /// use onhand_valuation::PostingKey;
    /// assert_eq!(PostingKey::Inventory.as_str(), "inventory");
    /// assert_eq!(PostingKey::CostOfSales.to_string(), "cost_of_sales");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            PostingKey::Inventory => "inventory",
            PostingKey::InTransit => "in_transit",
            PostingKey::GoodsReceived => "goods_received",
            PostingKey::LandedCost => "landed_cost",
            PostingKey::CostOfSales => "cost_of_sales",
            PostingKey::IcRevenue => "ic_revenue",
            PostingKey::IcReceivable => "ic_receivable",
            PostingKey::IcPayable => "ic_payable",
            PostingKey::PriceVariance => "price_variance",
            PostingKey::Adjustment => "adjustment",
            PostingKey::WriteOff => "write_off",
            PostingKey::Revaluation => "revaluation",
            PostingKey::Rounding => "rounding",
            PostingKey::RetainedEarnings => "retained_earnings",
            PostingKey::OpeningBalance => "opening_balance",
        }
    }

    /// The account an unconfigured chart uses.
    fn default_account(self) -> &'static str {
        match self {
            PostingKey::Inventory => "1400",
            PostingKey::InTransit => "1410",
            PostingKey::IcReceivable => "1250",
            PostingKey::GoodsReceived => "2100",
            PostingKey::LandedCost => "2110",
            PostingKey::IcPayable => "2250",
            PostingKey::RetainedEarnings => "3100",
            PostingKey::OpeningBalance => "3900",
            PostingKey::IcRevenue => "4100",
            PostingKey::CostOfSales => "5000",
            PostingKey::PriceVariance => "5100",
            PostingKey::Adjustment => "5200",
            PostingKey::WriteOff => "5210",
            PostingKey::Revaluation => "5300",
            PostingKey::Rounding => "5900",
        }
    }
}

impl std::fmt::Display for PostingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Maps posting keys to account codes, per entity, over a default chart.
///
/// ```
/// use onhand_valuation::{Accounts, PostingKey};
/// let mut accounts = Accounts::default();
/// accounts.set(Some("CA01".parse()?), PostingKey::Inventory, "14000".parse()?);
/// assert_eq!(accounts.account(&"CA01".parse()?, PostingKey::Inventory).as_str(), "14000");
/// assert_eq!(accounts.account(&"NA01".parse()?, PostingKey::Inventory).as_str(), "1400");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Accounts {
    /// Accounts for every entity, replacing the built-in default chart.
    #[serde(default)]
    pub default: BTreeMap<PostingKey, AccountCode>,
    /// Accounts per entity, replacing `default` for that entity.
    #[serde(default)]
    pub entities: BTreeMap<EntityCode, BTreeMap<PostingKey, AccountCode>>,
}

impl Accounts {
    /// Sets the account of `key`, for one entity or (with `None`) for all.
    ///
    /// ```
    /// use onhand_valuation::{Accounts, PostingKey};
    /// let mut accounts = Accounts::default();
    /// accounts.set(None, PostingKey::CostOfSales, "5100".parse()?);
    /// accounts.set(Some("CA01".parse()?), PostingKey::CostOfSales, "5200".parse()?);
    /// assert_eq!(accounts.account(&"NA01".parse()?, PostingKey::CostOfSales).as_str(), "5100");
    /// assert_eq!(accounts.account(&"CA01".parse()?, PostingKey::CostOfSales).as_str(), "5200");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set(&mut self, entity: Option<EntityCode>, key: PostingKey, account: AccountCode) {
        match entity {
            Some(e) => {
                self.entities.entry(e).or_default().insert(key, account);
            }
            None => {
                self.default.insert(key, account);
            }
        }
    }

    /// The account `entity` posts `key` to.
    ///
    /// ```
    /// use onhand_valuation::{Accounts, PostingKey};
    /// let accounts = Accounts::default();
    /// // The built-in chart when nothing is set.
    /// assert_eq!(accounts.account(&"NA01".parse()?, PostingKey::Inventory).as_str(), "1400");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn account(&self, entity: &EntityCode, key: PostingKey) -> AccountCode {
        self.entities
            .get(entity)
            .and_then(|m| m.get(&key))
            .or_else(|| self.default.get(&key))
            .cloned()
            .unwrap_or_else(|| builtin(key))
    }
}

fn builtin(key: PostingKey) -> AccountCode {
    // A literal of this crate, digits only; `every_builtin_account_is_a_valid_code`
    // checks each one.
    AccountCode::new(key.default_account()).expect("built-in account codes are valid")
}

/// Why a posting line exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostingKind {
    /// The movement itself.
    Movement,
    /// A shortfall issued at the last known cost, trued up by a receipt.
    TrueUp,
    /// A back-dated movement changed what a later movement was valued at.
    Correction,
    /// A consolidation elimination.
    Elimination,
}

/// One posting line: a signed amount (debit positive, credit negative) on an entity's
/// account, in the entity's currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Posting {
    /// The cost event (or consolidation run) that produced it.
    pub event: u64,
    /// The entity whose books it is in.
    pub entity: EntityCode,
    /// What it means.
    pub key: PostingKey,
    /// The account it posts to.
    pub account: AccountCode,
    /// Debit (positive) or credit (negative), in `currency`.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub amount: Decimal,
    /// The entity's currency.
    pub currency: CurrencyCode,
    /// Why.
    pub kind: PostingKind,
    /// The item, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<ItemCode>,
    /// The site, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<SiteCode>,
    /// The document (intercompany invoice, transfer), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
}

impl Posting {
    /// The debit amount (zero for a credit).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_master::{seed, Catalog, Decimal};
    /// # use onhand_valuation::{CostBody, CostEvent, IssueTo, Valuation, ValuationConfig};
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let at = |h: u64| chrono::DateTime::from_timestamp(1_767_600_000 + 3600 * h as i64, 0).ok_or("time");
    /// # let receipt = |id: u64, qty: &str, cost: &str| -> Result<CostEvent, Box<dyn std::error::Error>> {
    /// #     Ok(CostEvent { id, at: at(id)?, body: CostBody::Receipt {
    /// #         site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: qty.parse()?,
    /// #         unit_cost: cost.parse()?, owner: None } })
    /// # };
    /// # let sale = |id: u64, qty: &str| -> Result<CostEvent, Box<dyn std::error::Error>> {
    /// #     Ok(CostEvent { id, at: at(id)?, body: CostBody::Issue {
    /// #         site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: qty.parse()?,
    /// #         to: IssueTo::Sale, owner: None } })
    /// # };
    /// # let mut v = Valuation::new(catalog.clone(), ValuationConfig::default())?;
    /// # let (na01, bolt) = ("NA01".parse::<onhand_master::EntityCode>()?, "BOLT-M8".parse::<onhand_master::ItemCode>()?);
    /// let out = v.apply(&receipt(1, "10 EA", "0.50 USD")?)?;
    /// let debits: Vec<String> = out.postings().iter().map(|p| p.debit().to_string()).collect();
    /// assert_eq!(debits, ["5.00", "0"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn debit(&self) -> Decimal {
        self.amount.max(Decimal::ZERO)
    }

    /// The credit amount (zero for a debit).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_master::{seed, Catalog, Decimal};
    /// # use onhand_valuation::{CostBody, CostEvent, IssueTo, Valuation, ValuationConfig};
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let at = |h: u64| chrono::DateTime::from_timestamp(1_767_600_000 + 3600 * h as i64, 0).ok_or("time");
    /// # let receipt = |id: u64, qty: &str, cost: &str| -> Result<CostEvent, Box<dyn std::error::Error>> {
    /// #     Ok(CostEvent { id, at: at(id)?, body: CostBody::Receipt {
    /// #         site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: qty.parse()?,
    /// #         unit_cost: cost.parse()?, owner: None } })
    /// # };
    /// # let sale = |id: u64, qty: &str| -> Result<CostEvent, Box<dyn std::error::Error>> {
    /// #     Ok(CostEvent { id, at: at(id)?, body: CostBody::Issue {
    /// #         site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: qty.parse()?,
    /// #         to: IssueTo::Sale, owner: None } })
    /// # };
    /// # let mut v = Valuation::new(catalog.clone(), ValuationConfig::default())?;
    /// # let (na01, bolt) = ("NA01".parse::<onhand_master::EntityCode>()?, "BOLT-M8".parse::<onhand_master::ItemCode>()?);
    /// let out = v.apply(&receipt(1, "10 EA", "0.50 USD")?)?;
    /// let credits: Vec<String> = out.postings().iter().map(|p| p.credit().to_string()).collect();
    /// assert_eq!(credits, ["0", "5.00"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn credit(&self) -> Decimal {
        (-self.amount).max(Decimal::ZERO)
    }
}

/// Totals per entity and currency that do not come to zero (empty: balanced).
///
/// ```
/// use onhand_valuation::{unbalanced, Posting};
/// let postings: Vec<Posting> = Vec::new();
/// assert!(unbalanced(&postings).is_empty());
/// ```
#[must_use]
pub fn unbalanced(postings: &[Posting]) -> Vec<(EntityCode, CurrencyCode, Decimal)> {
    let mut sums: BTreeMap<(EntityCode, CurrencyCode), Decimal> = BTreeMap::new();
    for p in postings {
        let s = sums.entry((p.entity.clone(), p.currency)).or_default();
        *s = s.checked_add(p.amount).unwrap_or(Decimal::MAX);
    }
    sums.into_iter().filter(|(_, v)| !v.is_zero()).map(|((e, c), v)| (e, c, v)).collect()
}

/// The balance of each entity's account for `key` over `postings`.
///
/// ```
/// # use std::sync::Arc;
/// # use onhand_master::{seed, Catalog, Decimal};
/// # use onhand_valuation::{CostBody, CostEvent, IssueTo, Valuation, ValuationConfig};
/// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
/// # let at = |h: u64| chrono::DateTime::from_timestamp(1_767_600_000 + 3600 * h as i64, 0).ok_or("time");
/// # let receipt = |id: u64, qty: &str, cost: &str| -> Result<CostEvent, Box<dyn std::error::Error>> {
/// #     Ok(CostEvent { id, at: at(id)?, body: CostBody::Receipt {
/// #         site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: qty.parse()?,
/// #         unit_cost: cost.parse()?, owner: None } })
/// # };
/// # let sale = |id: u64, qty: &str| -> Result<CostEvent, Box<dyn std::error::Error>> {
/// #     Ok(CostEvent { id, at: at(id)?, body: CostBody::Issue {
/// #         site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: qty.parse()?,
/// #         to: IssueTo::Sale, owner: None } })
/// # };
/// # let mut v = Valuation::new(catalog.clone(), ValuationConfig::default())?;
/// # let (na01, bolt) = ("NA01".parse::<onhand_master::EntityCode>()?, "BOLT-M8".parse::<onhand_master::ItemCode>()?);
/// use onhand_valuation::{balances, PostingKey};
/// let mut postings = Vec::new();
/// v.apply_into(&receipt(1, "100 EA", "0.10 USD")?, &mut postings)?;
/// v.apply_into(&sale(2, "40 EA")?, &mut postings)?;
/// assert_eq!(balances(&postings, PostingKey::Inventory).get(&na01), Some(&"6.00".parse()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn balances(postings: &[Posting], key: PostingKey) -> BTreeMap<EntityCode, Decimal> {
    let mut out: BTreeMap<EntityCode, Decimal> = BTreeMap::new();
    for p in postings.iter().filter(|p| p.key == key) {
        let s = out.entry(p.entity.clone()).or_default();
        *s = s.checked_add(p.amount).unwrap_or(Decimal::MAX);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_sits_at_its_own_index() {
        // Shortfall tags and compact history records store a key as its index.
        for (k, key) in PostingKey::ALL.iter().enumerate() {
            assert_eq!(*key as usize, k, "{key}");
        }
    }

    #[test]
    fn every_builtin_account_is_a_valid_code() {
        for key in PostingKey::ALL {
            assert!(AccountCode::new(key.default_account()).is_ok(), "{key}");
        }
    }
}
