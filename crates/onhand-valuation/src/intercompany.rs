//! Intercompany documents, open items and their reconciliation.
//!
//! A cross-entity transfer produces a document set with matching references: the
//! seller's intercompany sales order, the buyer's purchase order, the shipment, and an
//! invoice per title transfer, which the seller carries as a receivable and the buyer as
//! a payable. [`reconcile`] matches the two sides per entity pair and invoice and
//! classifies each difference.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use onhand_master::{EntityCode, ItemCode, Money};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::code::TransferNo;

/// The kind of an intercompany document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IcDocKind {
    /// The seller's intercompany sales order.
    SalesOrder,
    /// The buyer's intercompany purchase order.
    PurchaseOrder,
    /// The seller's shipment.
    Shipment,
    /// The seller's invoice (the buyer's payable matches it).
    Invoice,
}

impl IcDocKind {
    /// The stable name.
    ///
    /// ```
    /// use onhand_valuation::IcDocKind;
    /// assert_eq!(IcDocKind::Invoice.as_str(), "invoice");
    /// assert_eq!(serde_json::to_string(&IcDocKind::SalesOrder)?, format!("\"{}\"", IcDocKind::SalesOrder.as_str()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            IcDocKind::SalesOrder => "sales_order",
            IcDocKind::PurchaseOrder => "purchase_order",
            IcDocKind::Shipment => "shipment",
            IcDocKind::Invoice => "invoice",
        }
    }
}

/// One intercompany document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IcDocument {
    /// Its kind.
    pub kind: IcDocKind,
    /// Its number (derived from the transfer: `ICSO-`, `ICPO-`, `SHP-`, `INV-`).
    pub number: String,
    /// The entity that issued it.
    pub entity: EntityCode,
    /// The other party.
    pub counterparty: EntityCode,
    /// The matching reference both sides carry: the transfer's document number.
    pub reference: TransferNo,
    /// The item.
    pub item: ItemCode,
    /// The quantity, in the item's base unit.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub qty: Decimal,
    /// The amount in the agreement's currency (orders and shipments: the expected
    /// value; invoices: what is billed).
    pub amount: Money,
    /// When.
    pub at: DateTime<Utc>,
}

/// One side's open intercompany item for an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenItem {
    /// The selling entity.
    pub seller: EntityCode,
    /// The buying entity.
    pub buyer: EntityCode,
    /// The invoice number.
    pub document: String,
    /// The transfer it belongs to.
    pub transfer: TransferNo,
    /// The quantity invoiced, in base units.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub qty: Decimal,
    /// The amount in the document's currency.
    pub amount: Money,
    /// The rate this side translated it at into its own currency.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub rate: Decimal,
    /// The rate the invoice states from its currency into the buyer's currency (the
    /// same on both sides of a correctly booked invoice).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub invoice_rate: Decimal,
    /// The amount in this side's currency.
    pub functional: Money,
}

/// How the two sides of an intercompany item differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mismatch {
    /// Only the seller has it and the goods are still in transit: it will match when
    /// the buyer books the receipt.
    InTransit,
    /// The quantities differ.
    Quantity,
    /// Same quantity, different amounts in the same document currency.
    Price,
    /// Same document amount, but the buyer translated it at a rate other than the
    /// invoice's (or a side's own translation does not follow its rate, or the sides
    /// recorded it in different currencies): they will not eliminate against each other.
    ExchangeRate,
    /// One side has a document the other does not, and nothing is in transit.
    MissingDocument,
}

impl Mismatch {
    /// The stable name.
    ///
    /// ```
    /// use onhand_valuation::Mismatch;
    /// assert_eq!(Mismatch::InTransit.as_str(), "in_transit");
    /// assert_eq!(serde_json::to_string(&Mismatch::ExchangeRate)?, "\"exchange_rate\"");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Mismatch::InTransit => "in_transit",
            Mismatch::Quantity => "quantity",
            Mismatch::Price => "price",
            Mismatch::ExchangeRate => "exchange_rate",
            Mismatch::MissingDocument => "missing_document",
        }
    }
}

/// A difference between the two sides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    /// The selling entity.
    pub seller: EntityCode,
    /// The buying entity.
    pub buyer: EntityCode,
    /// The document.
    pub document: String,
    /// The classification.
    pub mismatch: Mismatch,
    /// The seller's item, if any.
    pub receivable: Option<OpenItem>,
    /// The buyer's item, if any.
    pub payable: Option<OpenItem>,
}

/// The result of matching receivables against payables.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Reconciliation {
    /// Documents that match on both sides.
    pub matched: usize,
    /// Everything else, by seller, buyer and document.
    pub differences: Vec<Difference>,
}

impl Reconciliation {
    /// How many differences fall in each class.
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
    /// #
    /// # use onhand_valuation::{Agreement, PriceRule, Rate, TitlePoint};
    /// # let config = ValuationConfig {
    /// #     agreements: vec![Agreement {
    /// #         seller: "NA01".parse()?, buyer: "CA01".parse()?,
    /// #         price: PriceRule::CostPlus { markup: "0.25".parse()? },
    /// #         currency: "USD".parse()?, title: TitlePoint::Shipment,
    /// #     }],
    /// #     ..ValuationConfig::default()
    /// # };
    /// # let mut v = Valuation::new(catalog.clone(), config)?;
    /// # let ca01: onhand_master::EntityCode = "CA01".parse()?;
    /// # let rates = vec![Rate { from: "USD".parse()?, to: "CAD".parse()?, rate: "1.35".parse()? }];
    /// # // 100 drills at 80 USD in Chicago, shipped to Toronto at cost plus 25%.
    /// # v.apply(&CostEvent { id: 1, at: at(1)?, body: CostBody::Receipt {
    /// #     site: "ORD".parse()?, item: "DRILL-18V".parse()?, qty: "100 EA".parse()?,
    /// #     unit_cost: "80.00 USD".parse()?, owner: None } })?;
    /// # v.apply(&CostEvent { id: 2, at: at(2)?, body: CostBody::TransferShip {
    /// #     transfer: "IC-7".parse()?, from: "ORD".parse()?, to: "YYZ".parse()?,
    /// #     item: "DRILL-18V".parse()?, qty: "100 EA".parse()?, rates: rates.clone() } })?;
    /// use onhand_valuation::{reconcile, Mismatch};
    /// // The buyer has not booked the receipt: the seller's invoice waits in transit.
    /// let r = reconcile(v.receivables(), &[], &v.open_transfers());
    /// assert_eq!(r.counts().get(&Mismatch::InTransit), Some(&1));
    /// assert_eq!(r.matched, 0);
    /// // Both sides booked it: it matches.
    /// let r = reconcile(v.receivables(), v.payables(), &v.open_transfers());
    /// assert!(r.counts().is_empty());
    /// assert_eq!(r.matched, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn counts(&self) -> BTreeMap<Mismatch, usize> {
        let mut out = BTreeMap::new();
        for d in &self.differences {
            *out.entry(d.mismatch).or_insert(0) += 1;
        }
        out
    }
}

type Key = (EntityCode, EntityCode, String);

/// Matches the sellers' receivables against the buyers' payables per entity pair and
/// document. `in_transit` names the transfers with goods still on the way.
///
/// ```
/// use onhand_valuation::{reconcile, Mismatch, OpenItem};
/// use std::collections::BTreeSet;
/// let item = |qty: &str, amount: &str| -> Result<OpenItem, Box<dyn std::error::Error>> {
///     Ok(OpenItem {
///         seller: "NA01".parse()?, buyer: "CA01".parse()?, document: "INV-T1-1".into(),
///         transfer: "T1".parse().unwrap(), qty: qty.parse()?, amount: amount.parse()?,
///         rate: "1".parse()?, invoice_rate: "1".parse()?, functional: amount.parse()?,
///     })
/// };
/// let r = reconcile(&[item("10", "100.00 USD")?], &[item("10", "90.00 USD")?], &BTreeSet::new());
/// assert_eq!(r.differences[0].mismatch, Mismatch::Price);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn reconcile(
    receivables: &[OpenItem],
    payables: &[OpenItem],
    in_transit: &BTreeSet<TransferNo>,
) -> Reconciliation {
    let key = |i: &OpenItem| (i.seller.clone(), i.buyer.clone(), i.document.clone());
    let mut sides: BTreeMap<Key, (Option<&OpenItem>, Option<&OpenItem>)> = BTreeMap::new();
    for r in receivables {
        sides.entry(key(r)).or_default().0 = Some(r);
    }
    for p in payables {
        sides.entry(key(p)).or_default().1 = Some(p);
    }
    let mut out = Reconciliation::default();
    for ((seller, buyer, document), (r, p)) in sides {
        let mismatch = match (r, p) {
            (Some(r), None) if in_transit.contains(&r.transfer) => Some(Mismatch::InTransit),
            (Some(_) | None, None) | (None, Some(_)) => Some(Mismatch::MissingDocument),
            (Some(r), Some(p)) => classify(r, p),
        };
        match mismatch {
            None => out.matched += 1,
            Some(mismatch) => out.differences.push(Difference {
                seller,
                buyer,
                document,
                mismatch,
                receivable: r.cloned(),
                payable: p.cloned(),
            }),
        }
    }
    out
}

fn classify(r: &OpenItem, p: &OpenItem) -> Option<Mismatch> {
    if r.qty != p.qty {
        return Some(Mismatch::Quantity);
    }
    if r.amount.currency() != p.amount.currency() {
        return Some(Mismatch::ExchangeRate);
    }
    if r.amount.amount() != p.amount.amount() {
        return Some(Mismatch::Price);
    }
    // Same document amount: the buyer must have translated at the invoice's rate, and
    // each side's own translation must follow its stated rate.
    if p.rate != r.invoice_rate
        || p.invoice_rate != r.invoice_rate
        || !consistent(r)
        || !consistent(p)
    {
        Some(Mismatch::ExchangeRate)
    } else {
        None
    }
}

/// Whether `functional` is the document amount at the stated rate (to the functional
/// currency's minor units, half up).
fn consistent(i: &OpenItem) -> bool {
    let scale = i.functional.currency().minor_units();
    let Ok(rule) = onhand_master::Rounding::new(scale, onhand_master::RoundingMode::HalfUp) else {
        return false;
    };
    onhand_master::mul_div_round(i.amount.amount(), i.rate, Decimal::ONE, rule)
        .is_ok_and(|v| v == i.functional.amount())
}
