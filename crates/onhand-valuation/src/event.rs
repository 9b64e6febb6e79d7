//! Cost events: the physical movements valuation turns into postings, with the
//! financial facts the physical ledger does not carry (purchase cost, exchange rates).
//! Ids and times come from the caller; the same events give the same postings.

use chrono::{DateTime, Utc};
use onhand_master::{CurrencyCode, EntityCode, ItemCode, Money, Qty, QtyDelta, SiteCode};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// An exchange rate the caller supplies: one unit of `from` is `rate` units of `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    /// The currency converted from.
    pub from: CurrencyCode,
    /// The currency converted to.
    pub to: CurrencyCode,
    /// Units of `to` per unit of `from` (positive).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub rate: Decimal,
}

/// Where an issue's cost goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueTo {
    /// A sale: cost of goods sold.
    Sale,
    /// Scrap: written off.
    Scrap,
    /// An adjustment or count loss.
    Adjustment,
}

/// What a cost event records.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum CostBody {
    /// Goods received from a supplier at `unit_cost` (inventory against goods received).
    Receipt {
        /// The receiving site.
        site: SiteCode,
        /// The item.
        item: ItemCode,
        /// How much (any unit of the item).
        qty: Qty,
        /// Cost per `qty` unit, in the owner's currency.
        unit_cost: Money,
        /// The owner, when not the site's entity.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        owner: Option<EntityCode>,
    },
    /// An opening balance taken over from another system: stock already held at
    /// `unit_cost`, against the opening-balance account
    /// ([`PostingKey::OpeningBalance`](crate::PostingKey::OpeningBalance)) rather than
    /// goods received. One event per cost layer, at the layer's receipt date (the
    /// event's `at`): a FIFO pool then holds the layers in date order and consumes the
    /// oldest first, an average pool averages them, and a standard pool takes them at
    /// standard with any difference to price variance (set the standard first with
    /// [`CostBody::StandardCost`]). Layers dated before movements already applied are
    /// back-dated into the pool's history like any other event.
    OpeningBalance {
        /// The site holding the stock.
        site: SiteCode,
        /// The item.
        item: ItemCode,
        /// How much (any unit of the item).
        qty: Qty,
        /// Cost per `qty` unit, in the owner's currency.
        unit_cost: Money,
        /// The owner, when not the site's entity.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        owner: Option<EntityCode>,
    },
    /// Goods leaving stock: sold, scrapped or adjusted away.
    Issue {
        /// The site.
        site: SiteCode,
        /// The item.
        item: ItemCode,
        /// How much.
        qty: Qty,
        /// Where the cost goes.
        to: IssueTo,
        /// The owner, when not the site's entity.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        owner: Option<EntityCode>,
    },
    /// A stock adjustment or cycle-count variance: a gain is valued at `unit_cost`, or
    /// at the pool's current cost; a loss at the method's cost.
    Adjustment {
        /// The site.
        site: SiteCode,
        /// The item.
        item: ItemCode,
        /// The change (positive: found; negative: lost).
        delta: QtyDelta,
        /// The cost of a gain per `delta` unit.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit_cost: Option<Money>,
        /// The owner, when not the site's entity.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        owner: Option<EntityCode>,
    },
    /// A customer return, back into stock at the cost it left with: that of the issue
    /// `original`, or `unit_cost` when the issue is not known here.
    CustomerReturn {
        /// The site.
        site: SiteCode,
        /// The item.
        item: ItemCode,
        /// How much.
        qty: Qty,
        /// The issue (cost event id) the goods left with.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        original: Option<u64>,
        /// The cost per `qty` unit, when `original` is not given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit_cost: Option<Money>,
        /// The owner, when not the site's entity.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        owner: Option<EntityCode>,
    },
    /// Freight, duty or another cost added to receipt `receipt` after the fact.
    LandedCost {
        /// The receipt's cost event id.
        receipt: u64,
        /// The amount, in the owner's currency.
        amount: Money,
    },
    /// A new standard cost for an entity's item (at one site, for per-site valuation).
    StandardCost {
        /// The entity.
        entity: EntityCode,
        /// The item.
        item: ItemCode,
        /// The site, for an entity valued per site.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        site: Option<SiteCode>,
        /// The new cost per base unit, in the entity's currency.
        cost: Money,
    },
    /// A transfer leaves `from` for `to`. Between two entities, the intercompany
    /// agreement prices it and the rates convert it.
    TransferShip {
        /// The transfer (its document number).
        transfer: String,
        /// The shipping site.
        from: SiteCode,
        /// The receiving site.
        to: SiteCode,
        /// The item.
        item: ItemCode,
        /// How much.
        qty: Qty,
        /// Exchange rates for a cross-currency transfer.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        rates: Vec<Rate>,
    },
    /// Part or all of a transfer arrives.
    TransferReceipt {
        /// The transfer.
        transfer: String,
        /// How much arrived.
        qty: Qty,
        /// Exchange rates (title passing at receipt across currencies).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        rates: Vec<Rate>,
    },
    /// A transfer is closed: what never arrived is written off by whoever owns it.
    TransferClose {
        /// The transfer.
        transfer: String,
    },
}

/// One cost event: a caller-given id, the time it takes effect, and what it records.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostEvent {
    /// The caller's id (unique; re-applying the same event is a no-op).
    pub id: u64,
    /// When it takes effect.
    pub at: DateTime<Utc>,
    /// What happened.
    pub body: CostBody,
}

impl CostBody {
    /// The stable name of the kind.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            CostBody::Receipt { .. } => "receipt",
            CostBody::OpeningBalance { .. } => "opening_balance",
            CostBody::Issue { .. } => "issue",
            CostBody::Adjustment { .. } => "adjustment",
            CostBody::CustomerReturn { .. } => "customer_return",
            CostBody::LandedCost { .. } => "landed_cost",
            CostBody::StandardCost { .. } => "standard_cost",
            CostBody::TransferShip { .. } => "transfer_ship",
            CostBody::TransferReceipt { .. } => "transfer_receipt",
            CostBody::TransferClose { .. } => "transfer_close",
        }
    }
}
