//! The one error type of `onhand-valuation`. A refused event changes nothing.

use chrono::{DateTime, Utc};
use onhand_master::{CodeRule, CurrencyCode, EntityCode, ItemCode, MasterError, SiteCode};
use rust_decimal::Decimal;

use crate::code::TransferNo;

/// Why valuation refused an event or a configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValuationError {
    /// The item is not in the catalog.
    #[error("unknown item {0}")]
    UnknownItem(ItemCode),
    /// The site is not in the catalog.
    #[error("unknown site {0}")]
    UnknownSite(SiteCode),
    /// The entity is not in the catalog.
    #[error("unknown entity {0}")]
    UnknownEntity(EntityCode),
    /// The site belongs to no entity and the event names no owner.
    #[error("site {0} belongs to no legal entity; name the owner")]
    NoOwner(SiteCode),
    /// A quantity or money value was not usable (wrong unit, not positive, overflow).
    #[error("{what}: {source}")]
    Quantity {
        /// What was being converted.
        what: &'static str,
        /// The cause.
        source: MasterError,
    },
    /// A quantity or amount that must be positive was not.
    #[error("{what} must be positive, got {value}")]
    NotPositive {
        /// What.
        what: &'static str,
        /// The value.
        value: Decimal,
    },
    /// Money in a currency other than the entity's.
    #[error("{entity} keeps its books in {expected}, the amount is in {found}")]
    Currency {
        /// The entity.
        entity: EntityCode,
        /// Its currency.
        expected: CurrencyCode,
        /// The currency given.
        found: CurrencyCode,
    },
    /// More was issued than the books hold, and the entity refuses negative stock.
    #[error("{entity} holds {available} of {item}{}, {requested} requested", at_site(.site.as_ref()))]
    Insufficient {
        /// The entity.
        entity: EntityCode,
        /// The item.
        item: ItemCode,
        /// The site (per-site valuation).
        site: Option<SiteCode>,
        /// What was asked for, in base units.
        requested: Decimal,
        /// What the books hold.
        available: Decimal,
    },
    /// Stock was issued without stock and no cost was ever known for it.
    #[error("{entity} has no cost for {item} to value a shortfall at")]
    NoCost {
        /// The entity.
        entity: EntityCode,
        /// The item.
        item: ItemCode,
    },
    /// A cross-entity transfer without an agreement between the two.
    #[error("no intercompany agreement for {seller} selling to {buyer}")]
    NoAgreement {
        /// The selling entity.
        seller: EntityCode,
        /// The buying entity.
        buyer: EntityCode,
    },
    /// The agreement's price list has no price for the item.
    #[error("the {seller} -> {buyer} price list has no price for {item}")]
    NoPrice {
        /// The selling entity.
        seller: EntityCode,
        /// The buying entity.
        buyer: EntityCode,
        /// The item.
        item: ItemCode,
    },
    /// A conversion needs a rate the event does not carry.
    #[error("no exchange rate from {from} to {to} on the event")]
    MissingRate {
        /// From.
        from: CurrencyCode,
        /// To.
        to: CurrencyCode,
    },
    /// A transfer that does not exist (or not open).
    #[error("unknown transfer {0}")]
    UnknownTransfer(TransferNo),
    /// A transfer shipped twice under one document number.
    #[error("transfer {0} was already shipped")]
    TransferExists(TransferNo),
    /// A transfer that is closed.
    #[error("transfer {0} is closed")]
    TransferClosed(TransferNo),
    /// Landed cost for a receipt that is not known.
    #[error("no receipt with event id {0}")]
    UnknownReceipt(u64),
    /// A return naming an issue that is not known.
    #[error("no issue with event id {0}")]
    UnknownIssue(u64),
    /// A customer return naming a sale of another item or another entity (and so, maybe,
    /// another currency).
    #[error(
        "event {original} sold {sold_item} from {sold_entity}; a return of {item} to {entity} cannot name it"
    )]
    ReturnNotOfSale {
        /// The sale the return names.
        original: u64,
        /// The entity that sold.
        sold_entity: EntityCode,
        /// The item sold.
        sold_item: ItemCode,
        /// The entity the return goes to.
        entity: EntityCode,
        /// The item returned.
        item: ItemCode,
    },
    /// Returns against a sale beyond what it sold.
    #[error(
        "sale {original} sold {sold}, {returned} came back already; {requested} more is too many"
    )]
    ReturnExceedsSale {
        /// The sale.
        original: u64,
        /// What it sold, in base units.
        sold: Decimal,
        /// What earlier returns brought back.
        returned: Decimal,
        /// What this return brings back.
        requested: Decimal,
    },
    /// A cost below zero: a receipt, gain or return at a negative unit cost, or a landed
    /// cost credit that would leave a receipt's units worth less than nothing.
    #[error("{what} cannot be negative, got {value}")]
    NegativeCost {
        /// What.
        what: &'static str,
        /// The value.
        value: Decimal,
    },
    /// A return with neither the original issue nor a cost.
    #[error("a customer return needs the original issue or a unit cost")]
    ReturnWithoutCost,
    /// A standard cost for an item not valued at standard.
    #[error("{entity} values {item} at {method}, not standard")]
    NotStandard {
        /// The entity.
        entity: EntityCode,
        /// The item.
        item: ItemCode,
        /// Its method.
        method: &'static str,
    },
    /// An event effective in a closed period.
    #[error("event is effective {at}, inside the period closed through {closed_through}")]
    PeriodClosed {
        /// The event's time.
        at: DateTime<Utc>,
        /// The close.
        closed_through: DateTime<Utc>,
    },
    /// An event that moves stock of an entity inside the entity's own closed period.
    #[error(
        "event is effective {at}, inside the period of {entity} closed through {closed_through}"
    )]
    EntityPeriodClosed {
        /// The entity.
        entity: EntityCode,
        /// The event's time.
        at: DateTime<Utc>,
        /// The entity's close.
        closed_through: DateTime<Utc>,
    },
    /// A reopen of a period that is not closed.
    #[error("there is no closed period to reopen")]
    NothingToReopen,
    /// A reopen to a time not before the close.
    #[error("a reopen to {to} does not go back from the close through {closed_through}")]
    ReopenNotBack {
        /// The time asked for.
        to: DateTime<Utc>,
        /// The close.
        closed_through: DateTime<Utc>,
    },
    /// A period close that does not move forward.
    #[error("the period is already closed through {0}")]
    CloseNotForward(DateTime<Utc>),
    /// The event id was used for a different event.
    #[error("event id {0} was already used for a different event")]
    IdReused(u64),
    /// A back-dated movement would leave a later movement short.
    #[error("back-dated, this movement would leave later event {event} short: {cause}")]
    BackDatedShortage {
        /// The later event.
        event: u64,
        /// Why it would fail.
        cause: Box<ValuationError>,
    },
    /// A back-dated movement would re-cost a transfer that has already arrived (or is
    /// closed), or an intercompany shipment whose title passed at shipment once any of
    /// it arrived (the profit embedded in it is then in the buyer's stock).
    #[error(
        "back-dated, this movement would re-cost transfer {0}, which has already arrived (in part, for an intercompany shipment whose title passed at shipment); post an adjustment instead"
    )]
    TransferRecosted(TransferNo),
    /// A back-dated movement would re-cost an issue (a sale, scrap or adjustment loss)
    /// that was already returned or reversed, in part or in whole: what came back
    /// stays at the cost it left with, so re-costing the issue would leave cost of
    /// sales (or write-off) that no longer matches what stays issued.
    #[error(
        "back-dated, this movement would re-cost event {0}, part or all of which was already returned or reversed; post an adjustment instead"
    )]
    ReturnedIssueRecosted(u64),
    /// More received than is still in transit.
    #[error("transfer {transfer} has {remaining} in transit; record the excess as an adjustment")]
    OverReceipt {
        /// The transfer.
        transfer: TransferNo,
        /// What is still in transit.
        remaining: Decimal,
    },
    /// A receipt dated before its transfer shipped.
    #[error("transfer {transfer} shipped at {shipped_at}; a receipt cannot be earlier")]
    BeforeShipment {
        /// The transfer.
        transfer: TransferNo,
        /// When it shipped.
        shipped_at: DateTime<Utc>,
    },
    /// An entity valued per site, and a standard cost that names no site.
    #[error("{0} values each site separately: name the site")]
    SiteRequired(EntityCode),
    /// An amount beyond [`MAX_AMOUNT`](crate::MAX_AMOUNT).
    #[error("{amount} {currency} is beyond the largest amount valuation carries (10^15)")]
    TooLarge {
        /// The amount.
        amount: Decimal,
        /// Its currency.
        currency: CurrencyCode,
    },
    /// A configuration that cannot be used (or a transfer number that cannot be one).
    #[error("invalid configuration: {0}")]
    Config(ConfigProblem),
    /// A snapshot in a format this version does not read.
    #[error("snapshot format {found}; this version reads {reads}")]
    SnapshotFormat {
        /// The snapshot's format.
        found: u32,
        /// The format this version reads.
        reads: u32,
    },
    /// A snapshot whose content does not match its digest.
    #[error("the snapshot's content does not match its digest")]
    SnapshotDigest,
    /// A snapshot whose content the engine cannot rely on.
    #[error("snapshot: {what} (entry {at}) is not a state the engine can be in")]
    Restore {
        /// What did not hold.
        what: &'static str,
        /// The entry (pool, transfer, event) it was found in, counted from 0.
        at: usize,
    },
    /// Arithmetic beyond the decimal range.
    #[error("{0} is beyond the decimal range")]
    Overflow(&'static str),
    /// A reversal names an event this engine has not applied (or has closed away).
    #[error("no cost event {0} to reverse")]
    UnknownOriginal(u64),
    /// A reversal names an event of a kind that cannot be reversed.
    #[error("cost event {original} is a {kind}, which cannot be reversed")]
    NotReversible {
        /// The event named.
        original: u64,
        /// What it is.
        kind: &'static str,
    },
    /// The event was reversed already.
    #[error("cost event {0} was reversed already")]
    AlreadyReversed(u64),
    /// Later movements make an exact reversal impossible, or the reversal (or a return
    /// to supplier) is dated before the event it names.
    #[error("cost event {original} cannot be reversed exactly: {reason}")]
    ReversalRefused {
        /// The event named.
        original: u64,
        /// Why.
        reason: &'static str,
    },
    /// More returned to the supplier than the receipt brought in.
    #[error(
        "receipt {receipt} brought in {received}, {returned} went back already; {requested} more is too many"
    )]
    ReturnExceedsReceipt {
        /// The receipt.
        receipt: u64,
        /// What it brought in (base units).
        received: Decimal,
        /// What went back already.
        returned: Decimal,
        /// What was asked for.
        requested: Decimal,
    },
    /// A costing method change that cannot be made.
    #[error("{entity}'s {item} cannot change costing method: {reason}")]
    MethodChange {
        /// The entity.
        entity: EntityCode,
        /// The item.
        item: ItemCode,
        /// Why.
        reason: &'static str,
    },
}

/// What is wrong with a configuration, as [`ValuationError::Config`] carries it.
///
/// ```
/// use onhand_valuation::ConfigProblem;
/// let problem = ConfigProblem::AgreementWithItself { entity: "NA01".parse()? };
/// assert_eq!(problem.to_string(), "agreement of NA01 with itself");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigProblem {
    /// The catalog lists an entity out of its handle order.
    #[error("entity {entity} is out of order")]
    EntityOutOfOrder {
        /// The entity.
        entity: EntityCode,
    },
    /// More entities than valuation can number.
    #[error("more than 65,535 entities")]
    TooManyEntities {
        /// How many the catalog holds.
        count: usize,
    },
    /// An intercompany agreement of an entity with itself.
    #[error("agreement of {entity} with itself")]
    AgreementWithItself {
        /// The entity.
        entity: EntityCode,
    },
    /// A cost-plus agreement with a markup below zero.
    #[error("negative markup {markup} in the {seller} -> {buyer} agreement")]
    NegativeMarkup {
        /// The selling entity.
        seller: EntityCode,
        /// The buying entity.
        buyer: EntityCode,
        /// The markup.
        markup: Decimal,
    },
    /// A cost-plus-margin agreement with a margin outside `0 <= margin < 1`.
    #[error("margin {margin} in the {seller} -> {buyer} agreement must be at least 0 and below 1")]
    MarginOutOfRange {
        /// The selling entity.
        seller: EntityCode,
        /// The buying entity.
        buyer: EntityCode,
        /// The margin.
        margin: Decimal,
    },
    /// A price list with a price below zero.
    #[error("negative price for {item}")]
    NegativePrice {
        /// The selling entity.
        seller: EntityCode,
        /// The buying entity.
        buyer: EntityCode,
        /// The item.
        item: ItemCode,
        /// The price.
        price: Decimal,
    },
    /// Two agreements for the same seller and buyer.
    #[error("two agreements for {seller} selling to {buyer}")]
    DuplicateAgreement {
        /// The selling entity.
        seller: EntityCode,
        /// The buying entity.
        buyer: EntityCode,
    },
    /// A transfer number that breaks the business-code rule (1 to 64 bytes of ASCII
    /// letters, digits and `- _ . / # +`, starting with a letter or digit).
    #[error("transfer number {number:?}: {rule}")]
    TransferNumber {
        /// The text given.
        number: String,
        /// The part of the rule it breaks.
        rule: CodeRule,
    },
}

fn at_site(site: Option<&SiteCode>) -> String {
    site.map(|s| format!(" at {s}")).unwrap_or_default()
}

impl ValuationError {
    /// The stable code.
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
    /// let err = v.apply(&sale(1, "5 EA")?).unwrap_err();
    /// assert_eq!(err.code(), "insufficient");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            ValuationError::UnknownItem(_) => "unknown_item",
            ValuationError::UnknownSite(_) => "unknown_site",
            ValuationError::UnknownEntity(_) => "unknown_entity",
            ValuationError::NoOwner(_) => "no_owner",
            ValuationError::Quantity { .. } => "quantity",
            ValuationError::NotPositive { .. } => "not_positive",
            ValuationError::Currency { .. } => "currency",
            ValuationError::Insufficient { .. } => "insufficient",
            ValuationError::NoCost { .. } => "no_cost",
            ValuationError::NoAgreement { .. } => "no_agreement",
            ValuationError::NoPrice { .. } => "no_price",
            ValuationError::MissingRate { .. } => "missing_rate",
            ValuationError::UnknownTransfer(_) => "unknown_transfer",
            ValuationError::TransferExists(_) => "transfer_exists",
            ValuationError::TransferClosed(_) => "transfer_closed",
            ValuationError::UnknownReceipt(_) => "unknown_receipt",
            ValuationError::UnknownIssue(_) => "unknown_issue",
            ValuationError::ReturnNotOfSale { .. } => "return_not_of_sale",
            ValuationError::ReturnExceedsSale { .. } => "return_exceeds_sale",
            ValuationError::NegativeCost { .. } => "negative_cost",
            ValuationError::ReturnWithoutCost => "return_without_cost",
            ValuationError::NotStandard { .. } => "not_standard",
            ValuationError::PeriodClosed { .. } => "period_closed",
            ValuationError::EntityPeriodClosed { .. } => "entity_period_closed",
            ValuationError::NothingToReopen => "nothing_to_reopen",
            ValuationError::ReopenNotBack { .. } => "reopen_not_back",
            ValuationError::CloseNotForward(_) => "close_not_forward",
            ValuationError::IdReused(_) => "id_reused",
            ValuationError::BackDatedShortage { .. } => "back_dated_shortage",
            ValuationError::TransferRecosted(_) => "transfer_recosted",
            ValuationError::ReturnedIssueRecosted(_) => "returned_issue_recosted",
            ValuationError::OverReceipt { .. } => "over_receipt",
            ValuationError::BeforeShipment { .. } => "before_shipment",
            ValuationError::SiteRequired(_) => "site_required",
            ValuationError::TooLarge { .. } => "too_large",
            ValuationError::Config(_) => "config",
            ValuationError::SnapshotFormat { .. } => "snapshot_format",
            ValuationError::SnapshotDigest => "snapshot_digest",
            ValuationError::Restore { .. } => "restore",
            ValuationError::Overflow(_) => "overflow",
            ValuationError::UnknownOriginal(_) => "unknown_original",
            ValuationError::NotReversible { .. } => "not_reversible",
            ValuationError::AlreadyReversed(_) => "already_reversed",
            ValuationError::ReversalRefused { .. } => "reversal_refused",
            ValuationError::ReturnExceedsReceipt { .. } => "return_exceeds_receipt",
            ValuationError::MethodChange { .. } => "method_change",
        }
    }
}
