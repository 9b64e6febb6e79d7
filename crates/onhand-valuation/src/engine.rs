//! The valuation engine: cost pools per entity and item (and site, where an entity values
//! per site), transfers in transit with their owner, intercompany documents and open
//! items, the history that lets a back-dated movement revalue what it affects, and the
//! consolidation state.
//!
//! Every event is worked out in full before anything changes (pools plan, then commit),
//! so a refused event leaves the engine exactly as it was.
//!
//! Notation: `e` is an entity handle, `i` an item handle, `s` a site, `ps` a pool's site
//! (none for an entity valued across its sites), `q` a quantity in base units; the
//! transfer planning (`transfer`) spells out `seller` and `buyer`, with `sf`/`st` the
//! shipping and receiving sites.
//!
//! The parts: `lines` builds the posting lines of one event, `replay` turns a
//! back-dated movement's corrections into lines, `transfer` plans shipments and
//! receipts between sites and entities, `views` reads the engine, and `period` closes
//! periods and consolidates.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use onhand_master::chunked::Chunked;
use onhand_master::hash::{Map, map};
use onhand_master::{
    AccountCode, Catalog, CurrencyCode, EntityCode, EntityIx, ItemCode, ItemIx, Money, Qty,
    Rounding, RoundingMode, SiteCode, SiteIx, add_exact, mul_div_round, mul_exact, sub_exact,
};
use rust_decimal::Decimal;

use crate::code::TransferNo;
use crate::config::{Agreement, NegativeCostPolicy, PriceRule, ValuationConfig};
use crate::error::{ConfigProblem, ValuationError};
use crate::event::{CostBody, CostEvent, IssueTo, Rate};
use crate::history::{Correction, Counter, Fail, OpOut, Planned, Request, Slot};
use crate::intercompany::{IcDocument, OpenItem};
use crate::pool::{Layer, Method, Pool, PoolError, Scales};
use crate::posting::{Posting, PostingKey};

mod batch;
mod lines;
mod period;
mod replay;
mod transfer;
mod views;

use lines::{At, Out};

mod method_change;
mod reversal;
mod supplier_return;
mod trial;

type Res<T> = Result<T, ValuationError>;

/// The largest amount a posting may carry (10^15 in any currency): sums over millions
/// of pools then stay exact at the currency's minor units.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(2_764_472_320, 232_830, 0, false, 0);

/// What applying an event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Applied: the postings (balanced per entity and currency) and any intercompany
    /// documents it produced.
    #[non_exhaustive]
    Posted {
        /// The posting lines.
        postings: Vec<Posting>,
        /// Intercompany documents issued.
        documents: Vec<IcDocument>,
        /// The inventory value the event took out of a pool (an issue, a loss, a
        /// transfer shipment), in the owning entity's currency: what it credits to
        /// inventory, a shortfall included at the value it went out at. `None` for an
        /// event that issues nothing.
        issued: Option<Money>,
    },
    /// The same event was applied before: nothing happened again.
    Duplicate,
}

impl Outcome {
    /// The postings (none for a duplicate).
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
    /// v.apply(&receipt(1, "100 EA", "0.10 USD")?)?;
    /// let out = v.apply(&sale(2, "40 EA")?)?;
    /// let keys: Vec<String> = out.postings().iter().map(|p| format!("{} {}", p.key, p.amount)).collect();
    /// assert_eq!(keys, ["cost_of_sales 4.00", "inventory -4.00"]);
    /// // A repeated event posts nothing.
    /// assert!(v.apply(&sale(2, "40 EA")?)?.postings().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn postings(&self) -> &[Posting] {
        match self {
            Outcome::Posted { postings, .. } => postings,
            Outcome::Duplicate => &[],
        }
    }

    /// The inventory value the event issued (the `issued` field of [`Outcome::Posted`]); `None`
    /// for a duplicate or an event that issues nothing.
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
    /// v.apply(&receipt(1, "100 EA", "0.10 USD")?)?;
    /// let out = v.apply(&sale(2, "40 EA")?)?;
    /// assert_eq!(out.issued().map(|m| m.to_string()), Some("4.00 USD".to_owned()));
    /// // A receipt issues nothing.
    /// assert_eq!(v.apply(&receipt(3, "10 EA", "0.10 USD")?)?.issued(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn issued(&self) -> Option<Money> {
        match self {
            Outcome::Posted { issued, .. } => *issued,
            Outcome::Duplicate => None,
        }
    }
}

/// A pool as seen from outside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolView {
    /// The owning entity.
    pub entity: EntityCode,
    /// The item.
    pub item: ItemCode,
    /// The site, for an entity valued per site.
    pub site: Option<SiteCode>,
    /// The costing method.
    pub method: Method,
    /// The quantity on the books, in base units (negative after a shortfall).
    pub qty: Decimal,
    /// Its value, in the entity's currency.
    pub value: Decimal,
    /// The intercompany profit embedded in it.
    pub profit: Decimal,
    /// The entity's currency.
    pub currency: CurrencyCode,
    /// FIFO layers, oldest first.
    pub layers: Vec<Layer>,
    /// What an issue of one unit would cost now (the oldest layer's, the average, or
    /// the standard; the last receipt's when nothing is held), per base unit, to six
    /// places; `None` before any cost is known.
    pub unit_cost: Option<Decimal>,
    /// What was issued without stock and not yet covered by a receipt, in base units
    /// (zero unless the entity's negative-stock policy allows it).
    pub shortfall: Decimal,
    /// The value the open shortfall went out at (the last cost then).
    pub shortfall_value: Decimal,
}

/// A transfer as seen from outside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitView {
    /// Its document number.
    pub transfer: TransferNo,
    /// The item.
    pub item: ItemCode,
    /// Shipping and receiving entities.
    pub seller: EntityCode,
    /// The receiving entity.
    pub buyer: EntityCode,
    /// Who owns what is in transit.
    pub owner: EntityCode,
    /// Shipped and received, in base units.
    pub shipped: Decimal,
    /// Received so far.
    pub received: Decimal,
    /// The value of what is still in transit, in the owner's currency.
    pub value: Decimal,
    /// The intercompany profit embedded in it (the buyer owning it).
    pub profit: Decimal,
    /// Whether it is closed.
    pub closed: bool,
}

/// The consolidation elimination of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consolidation {
    /// The run's id.
    pub run: u64,
    /// The group currency.
    pub currency: CurrencyCode,
    /// Per buyer entity: unrealized profit at the start and at the end of the period,
    /// and the profit realized in the period (sold outside the group), in the group
    /// currency.
    pub buyers: BTreeMap<EntityCode, Unrealized>,
    /// Per seller and buyer: the intercompany revenue eliminated, in the group currency.
    pub revenue: BTreeMap<(EntityCode, EntityCode), Decimal>,
    /// The elimination entries (entity: the group).
    pub postings: Vec<Posting>,
}

/// Unrealized intercompany profit of one buyer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Unrealized {
    /// At the start of the period (the previous run's closing).
    pub opening: Decimal,
    /// Created by intercompany sales in the period.
    pub created: Decimal,
    /// Still held at the end (eliminated from inventory).
    pub closing: Decimal,
    /// Realized in the period: opening + created − closing.
    pub realized: Decimal,
}

#[derive(Debug, Clone)]
pub(crate) struct Entity {
    pub(crate) code: EntityCode,
    pub(crate) currency: CurrencyCode,
    pub(crate) method: Method,
    pub(crate) per_site: bool,
    pub(crate) negative: NegativeCostPolicy,
    pub(crate) accounts: [AccountCode; PostingKey::ALL.len()],
}

#[derive(Debug, Clone)]
pub(crate) struct Transfer {
    pub(crate) number: TransferNo,
    pub(crate) item: ItemIx,
    pub(crate) to: SiteIx,
    pub(crate) seller: u16,
    pub(crate) buyer: u16,
    pub(crate) owner: u16,
    pub(crate) agreement: Option<usize>,
    pub(crate) shipped: Decimal,
    pub(crate) received: Decimal,
    /// Owner's currency: what is still in transit is worth.
    pub(crate) value: Decimal,
    /// Embedded intercompany profit in what is in transit (buyer's currency).
    pub(crate) profit: Decimal,
    /// Title at receipt: the price of what is still in transit (agreement currency) and
    /// the group's cost of it (seller's currency: cost less profit already embedded).
    pub(crate) price_left: Decimal,
    pub(crate) group_cost_left: Decimal,
    /// Title at shipment: the seller-to-buyer rate the group cost was converted at (a
    /// correction of the shipment's cost changes the embedded profit at it); zero
    /// otherwise.
    pub(crate) rate: Decimal,
    pub(crate) invoices: u32,
    pub(crate) shipped_at: DateTime<Utc>,
    pub(crate) closed: bool,
}

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct IcPeriod {
    pub(crate) revenue: Decimal,
    pub(crate) created: Decimal,
}

/// The valuation engine.
#[derive(Debug, Clone)]
pub struct Valuation {
    pub(crate) catalog: Arc<Catalog>,
    pub(crate) entities: Vec<Entity>,
    pub(crate) methods: Map<(u16, u32), Method>,
    pub(crate) standards: Map<(u16, u32, u16), Decimal>,
    pub(crate) agreements: Vec<Agreement>,
    pub(crate) accounts: crate::posting::Accounts,
    pub(crate) agreement_ix: Map<(u16, u16), usize>,
    pub(crate) slots: Vec<Slot>,
    pub(crate) slot_ix: Map<u64, u32>,
    pub(crate) transfers: Vec<Transfer>,
    pub(crate) transfer_ix: Map<TransferNo, u32>,
    /// Every applied event by id, as a position in `seen_log`.
    pub(crate) seen: Ids,
    /// Every applied event, in order: its fingerprint, and for receipts (landed cost)
    /// and sales (returns) where to find the pool, quantity and value. These three grow
    /// by an entry an event, in chunks that never move (a doubling `Vec` would copy a
    /// million entries inside one event's call).
    pub(crate) seen_log: Chunked<Seen>,
    /// Receipts into pools (what a landed cost names), in order.
    pub(crate) receipts: Chunked<ReceiptSeen>,
    /// Sales (what a customer return names), in order.
    pub(crate) sales: Chunked<SaleSeen>,
    /// The intercompany profit each issue took out of its pool, by its entry in
    /// `sales`, where it is not zero: a reversal or a customer return brings it back
    /// into stock with the units.
    pub(crate) sale_profit: BTreeMap<u32, Decimal>,
    pub(crate) seq: u64,
    pub(crate) closed_through: Option<DateTime<Utc>>,
    /// Entities whose own period is closed, and through when.
    pub(crate) entity_closed: BTreeMap<u16, DateTime<Utc>>,
    pub(crate) documents: Vec<IcDocument>,
    pub(crate) receivables: Vec<OpenItem>,
    pub(crate) payables: Vec<OpenItem>,
    pub(crate) period: BTreeMap<(u16, u16), IcPeriod>,
    pub(crate) eliminated: BTreeMap<u16, Decimal>,
    /// Per sale (cost event id) with returns against it: the quantity and value that
    /// came back so far.
    pub(crate) returned: BTreeMap<u64, (Decimal, Decimal)>,
    /// Per owner and item: the quantity of its open transfers still on the way.
    pub(crate) transit_qty: BTreeMap<(u16, u32), Decimal>,
    /// Per item handle: its base unit and that unit's decimal places (from the catalog).
    pub(crate) bases: Vec<Option<(onhand_master::UomCode, u32)>>,
    /// The site and the pool the last in-order receipt or issue named (the catalog and
    /// the pools' slots never change, so these never go stale).
    pub(crate) recent: crate::in_order::Recent,
}

/// What an entity holds of an item, in base units: on its books at its sites, and on
/// the way in transfers it owns. The total is what a ledger's valuated quantity of the
/// entity's item should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Held {
    /// On hand: the sum of the entity's pools of the item (negative after a shortfall).
    pub on_hand: Decimal,
    /// In transit, owned (shipped, not yet received, transfer not closed).
    pub in_transit: Decimal,
}

impl Held {
    /// On hand plus in transit.
    ///
    /// ```
    /// use onhand_valuation::Held;
    /// let held = Held { on_hand: "40".parse()?, in_transit: "15".parse()? };
    /// assert_eq!(held.total(), "55".parse()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn total(&self) -> Decimal {
        self.on_hand.checked_add(self.in_transit).unwrap_or(Decimal::MAX)
    }
}

/// What a transfer still has on the way (nothing once closed).
fn on_the_way(t: &Transfer) -> Decimal {
    if t.closed { Decimal::ZERO } else { t.shipped.checked_sub(t.received).unwrap_or_default() }
}

pub(crate) const NO_SITE: u16 = u16::MAX;

pub(crate) fn pool_key(entity: u16, item: ItemIx, site: Option<SiteIx>) -> u64 {
    let site = site.and_then(|s| u16::try_from(s.index()).ok()).unwrap_or(NO_SITE);
    (u64::from(entity) << 48) | (u64::from(site) << 32) | u64::from(item.raw())
}

fn dec(what: &'static str) -> impl Fn(onhand_master::DecimalError) -> ValuationError {
    move |_| ValuationError::Overflow(what)
}

fn positive(what: &'static str, v: Decimal) -> Res<()> {
    if v > Decimal::ZERO { Ok(()) } else { Err(ValuationError::NotPositive { what, value: v }) }
}

/// Refuses a cost below zero (zero is a free receipt, and allowed).
fn not_negative(what: &'static str, cost: Money) -> Res<()> {
    if cost.amount().is_sign_negative() && !cost.amount().is_zero() {
        Err(ValuationError::NegativeCost { what, value: cost.amount() })
    } else {
        Ok(())
    }
}

/// The sum of `values`, saturating at the decimal range instead of panicking (only
/// sums over many pools can get there, and only with absurd amounts).
fn total(values: impl Iterator<Item = Decimal>) -> Decimal {
    values.fold(Decimal::ZERO, |acc, v| {
        acc.checked_add(v).unwrap_or(if v.is_sign_negative() { Decimal::MIN } else { Decimal::MAX })
    })
}

/// `amount` written with exactly the currency's minor units (amounts here are already
/// rounded to them, so this only adds zeros).
fn at_scale(amount: Decimal, currency: CurrencyCode) -> Decimal {
    let scale = currency.minor_units();
    // Trailing zeros beyond the minor units (money given as 0.110 CAD) go; an amount
    // that really has more decimals is left as it is, never rounded here.
    let mut amount = if amount.scale() > scale { amount.normalize() } else { amount };
    if amount.scale() < scale {
        amount.rescale(scale);
    }
    amount
}

/// `amount` in `currency`, written at its scale.
pub(crate) fn money(amount: Decimal, currency: CurrencyCode) -> Money {
    Money::new(at_scale(amount, currency), currency)
}

/// The posting key of a shortfall tag.
pub(crate) fn tag_key(tag: u8) -> PostingKey {
    PostingKey::ALL.get(usize::from(tag)).copied().unwrap_or(PostingKey::CostOfSales)
}

fn rate_of(rates: &[Rate], from: CurrencyCode, to: CurrencyCode) -> Res<Decimal> {
    if from == to {
        return Ok(Decimal::ONE);
    }
    rates
        .iter()
        .find(|r| r.from == from && r.to == to && r.rate > Decimal::ZERO)
        .map(|r| r.rate)
        .ok_or(ValuationError::MissingRate { from, to })
}

/// `amount x rate` rounded to `currency`'s minor units, half up.
fn convert(amount: Decimal, rate: Decimal, currency: CurrencyCode) -> Res<Decimal> {
    let minor = currency.minor_units();
    // The common case, an amount already in whole minor units: only zeros to add.
    if rate == Decimal::ONE && amount.scale() <= minor && amount.mantissa().unsigned_abs() < 1 << 64
    {
        let mut exact = amount;
        exact.rescale(minor);
        return Ok(exact);
    }
    let rule = Rounding::new(currency.minor_units(), RoundingMode::HalfUp)
        .map_err(dec("a rounding rule"))?;
    mul_div_round(amount, rate, Decimal::ONE, rule).map_err(dec("a currency conversion"))
}

fn share(value: Decimal, part: Decimal, whole: Decimal, currency: CurrencyCode) -> Res<Decimal> {
    if part == whole {
        return Ok(value);
    }
    if whole.is_zero() {
        return Ok(Decimal::ZERO);
    }
    let rule = Rounding::new(currency.minor_units(), RoundingMode::HalfUp)
        .map_err(dec("a rounding rule"))?;
    mul_div_round(value, part, whole, rule).map_err(dec("a proportional value"))
}

impl Valuation {
    /// A valuation engine over `catalog` with `config`.
    ///
    /// # Errors
    /// [`ValuationError::UnknownEntity`], [`ValuationError::UnknownItem`] or
    /// [`ValuationError::UnknownSite`] for references the catalog does not hold;
    /// [`ValuationError::Config`] for a duplicate agreement, an agreement of an entity
    /// with itself, a negative markup or price, or a standard cost in another currency.
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
    /// // Every entity of the demo network gets its books; nothing is valued yet.
    /// assert_eq!(v.inventory_value(&na01), Decimal::ZERO);
    /// assert!(v.pools().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[allow(clippy::too_many_lines)] // one check per part of the configuration
    pub fn new(catalog: Arc<Catalog>, config: ValuationConfig) -> Res<Self> {
        let mut entities = Vec::new();
        for (i, e) in catalog.data().entities.iter().enumerate() {
            if catalog.entity_ix(&e.code).map(EntityIx::index) != Some(i) {
                return Err(ValuationError::Config(ConfigProblem::EntityOutOfOrder {
                    entity: e.code.clone(),
                }));
            }
            let accounts: [AccountCode; PostingKey::ALL.len()] =
                PostingKey::ALL.map(|k| config.accounts.account(&e.code, k));
            entities.push(Entity {
                code: e.code.clone(),
                currency: e.currency,
                method: e.costing.into(),
                per_site: config.per_site.contains(&e.code),
                negative: config.negative_stock.get(&e.code).copied().unwrap_or_default(),
                accounts,
            });
        }
        if entities.len() > usize::from(u16::MAX) {
            return Err(ValuationError::Config(ConfigProblem::TooManyEntities {
                count: entities.len(),
            }));
        }
        let mut v = Valuation {
            catalog,
            entities,
            methods: map(),
            standards: map(),
            agreements: Vec::new(),
            accounts: crate::posting::Accounts::default(),
            agreement_ix: map(),
            slots: Vec::new(),
            slot_ix: map(),
            transfers: Vec::new(),
            transfer_ix: map(),
            seen: Ids::default(),
            seen_log: Chunked::new(),
            receipts: Chunked::new(),
            sales: Chunked::new(),
            sale_profit: BTreeMap::new(),
            seq: 0,
            closed_through: None,
            entity_closed: BTreeMap::new(),
            documents: Vec::new(),
            receivables: Vec::new(),
            payables: Vec::new(),
            period: BTreeMap::new(),
            eliminated: BTreeMap::new(),
            returned: BTreeMap::new(),
            transit_qty: BTreeMap::new(),
            bases: Vec::new(),
            recent: crate::in_order::Recent::default(),
        };
        let mut bases = vec![None; v.catalog.item_count()];
        for (i, _) in v.catalog.items() {
            if let (Some(b), Some(u)) = (bases.get_mut(i.index()), v.catalog.item_units(i)) {
                *b = Some((u.base(), u.rounding(u.base()).map_or(0, Rounding::scale)));
            }
        }
        v.bases = bases;
        for e in config.per_site.iter().chain(config.negative_stock.keys()) {
            v.entity(e)?;
        }
        for m in &config.methods {
            let e = v.entity(&m.entity)?;
            let i = v.item(&m.item)?;
            v.methods.insert((e, i.raw()), m.method);
        }
        for s in &config.standards {
            let e = v.entity(&s.entity)?;
            let i = v.item(&s.item)?;
            let site = match &s.site {
                Some(code) => v.site(code)?.index(),
                None => usize::from(NO_SITE),
            };
            v.check_currency(e, s.cost)?;
            let site = u16::try_from(site).unwrap_or(NO_SITE);
            v.standards.insert((e, i.raw(), site), s.cost.amount());
        }
        for (n, a) in config.agreements.iter().enumerate() {
            let s = v.entity(&a.seller)?;
            let b = v.entity(&a.buyer)?;
            if s == b {
                return Err(ValuationError::Config(ConfigProblem::AgreementWithItself {
                    entity: a.seller.clone(),
                }));
            }
            match &a.price {
                PriceRule::CostPlus { markup } if *markup < Decimal::ZERO => {
                    return Err(ValuationError::Config(ConfigProblem::NegativeMarkup {
                        seller: a.seller.clone(),
                        buyer: a.buyer.clone(),
                        markup: *markup,
                    }));
                }
                PriceRule::CostPlusMargin { margin }
                    if *margin < Decimal::ZERO || *margin >= Decimal::ONE =>
                {
                    return Err(ValuationError::Config(ConfigProblem::MarginOutOfRange {
                        seller: a.seller.clone(),
                        buyer: a.buyer.clone(),
                        margin: *margin,
                    }));
                }
                PriceRule::PriceList { prices } => {
                    for (item, price) in prices {
                        v.item(item)?;
                        if *price < Decimal::ZERO {
                            return Err(ValuationError::Config(ConfigProblem::NegativePrice {
                                seller: a.seller.clone(),
                                buyer: a.buyer.clone(),
                                item: item.clone(),
                                price: *price,
                            }));
                        }
                    }
                }
                _ => {}
            }
            if v.agreement_ix.insert((s, b), n).is_some() {
                return Err(ValuationError::Config(ConfigProblem::DuplicateAgreement {
                    seller: a.seller.clone(),
                    buyer: a.buyer.clone(),
                }));
            }
        }
        v.agreements = config.agreements;
        v.accounts = config.accounts;
        Ok(v)
    }

    /// The catalog.
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
    /// assert!(Arc::ptr_eq(v.catalog(), &catalog));
    /// assert!(v.catalog().item_ix(&bolt).is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    pub(crate) fn entity(&self, code: &EntityCode) -> Res<u16> {
        self.catalog
            .entity_ix(code)
            .and_then(|e| u16::try_from(e.index()).ok())
            .ok_or_else(|| ValuationError::UnknownEntity(code.clone()))
    }

    pub(crate) fn item(&self, code: &ItemCode) -> Res<ItemIx> {
        self.catalog.item_ix(code).ok_or_else(|| ValuationError::UnknownItem(code.clone()))
    }

    fn item_code(&self, i: ItemIx) -> Res<ItemCode> {
        self.catalog
            .item(i)
            .map(|x| x.code.clone())
            .ok_or(ValuationError::Overflow("an item handle"))
    }

    pub(crate) fn site(&self, code: &SiteCode) -> Res<SiteIx> {
        self.catalog.site_ix(code).ok_or_else(|| ValuationError::UnknownSite(code.clone()))
    }

    fn owner_of(&self, site: SiteIx, code: &SiteCode, owner: Option<&EntityCode>) -> Res<u16> {
        match owner {
            Some(e) => self.entity(e),
            None => self
                .catalog
                .site_entity(site)
                .and_then(|e| u16::try_from(e.index()).ok())
                .ok_or_else(|| ValuationError::NoOwner(code.clone())),
        }
    }

    /// The handles of an event's item and site, and the entity that owns the stock.
    fn locate(
        &self,
        item: &ItemCode,
        site: &SiteCode,
        owner: Option<&EntityCode>,
    ) -> Res<(ItemIx, SiteIx, u16)> {
        let i = self.item(item)?;
        let s = self.site(site)?;
        Ok((i, s, self.owner_of(s, site, owner)?))
    }

    pub(crate) fn ent(&self, e: u16) -> Res<&Entity> {
        self.entities.get(usize::from(e)).ok_or(ValuationError::Overflow("an entity handle"))
    }

    fn check_currency(&self, e: u16, m: Money) -> Res<()> {
        let ent = self.ent(e)?;
        if m.currency() == ent.currency {
            Ok(())
        } else {
            Err(ValuationError::Currency {
                entity: ent.code.clone(),
                expected: ent.currency,
                found: m.currency(),
            })
        }
    }

    /// `qty` in the item's base unit, positive.
    fn base(&self, item: ItemIx, qty: Qty, what: &'static str) -> Res<Decimal> {
        // The common case, already in the base unit at its scale: no look-up of the
        // item's units (a dense table of base units stays in cache).
        if let Some(&Some((base, scale))) = self.bases.get(item.index())
            && qty.uom() == base
            && qty.value().scale() <= scale
        {
            positive(what, qty.value())?;
            return Ok(qty.value());
        }
        let units =
            self.catalog.item_units(item).ok_or(ValuationError::Overflow("an item handle"))?;
        let b = units.to_base(qty).map_err(|source| ValuationError::Quantity { what, source })?;
        positive(what, b.value())?;
        Ok(b.value())
    }

    /// `qty x unit_cost`, with `unit_cost` per `qty`'s unit, rounded to the currency.
    fn extend(qty: Qty, unit_cost: Money) -> Res<Decimal> {
        let v = mul_exact(qty.value(), unit_cost.amount()).map_err(dec("a receipt value"))?;
        convert(v, Decimal::ONE, unit_cost.currency())
    }

    fn pool_site(&self, e: u16, site: SiteIx) -> Res<Option<SiteIx>> {
        Ok(if self.ent(e)?.per_site { Some(site) } else { None })
    }

    pub(crate) fn method_of(&self, e: u16, item: ItemIx) -> Res<Method> {
        Ok(self.methods.get(&(e, item.raw())).copied().unwrap_or(self.ent(e)?.method))
    }

    /// The slot for a pool, if it exists.
    fn slot_of(&self, e: u16, item: ItemIx, site: Option<SiteIx>) -> Option<u32> {
        self.slot_ix.get(&pool_key(e, item, site)).copied()
    }

    /// A fresh pool for `(e, item, site)` (not yet stored).
    pub(crate) fn fresh_pool(&self, e: u16, item: ItemIx, site: Option<SiteIx>) -> Res<Pool> {
        let method = self.method_of(e, item)?;
        let site16 = site.and_then(|s| u16::try_from(s.index()).ok()).unwrap_or(NO_SITE);
        let std = self
            .standards
            .get(&(e, item.raw(), site16))
            .or_else(|| self.standards.get(&(e, item.raw(), NO_SITE)))
            .copied()
            .unwrap_or_default();
        let scales = self.scales(e, self.qty_scale(item)?)?;
        Ok(Pool::new(method, scales, std))
    }

    /// The scale a pool of `item` counts its quantities in: its base unit's.
    pub(crate) fn qty_scale(&self, item: ItemIx) -> Res<u32> {
        let units =
            self.catalog.item_units(item).ok_or(ValuationError::Overflow("an item handle"))?;
        Ok(units.rounding(units.base()).map_or(0, Rounding::scale))
    }

    /// A pool's scales: quantities at `qty_scale`, values in entity `e`'s currency.
    pub(crate) fn scales(&self, e: u16, qty_scale: u32) -> Res<Scales> {
        Scales::new(qty_scale, self.ent(e)?.currency.minor_units())
            .map_err(|_| ValuationError::Overflow("a unit or currency scale"))
    }

    /// What an issue of one unit of the pool would cost now (`None`: no cost known).
    fn unit_cost_now(&self, e: u16, item: ItemIx, site: Option<SiteIx>) -> Res<Option<Decimal>> {
        if let Some(slot) = self.slot_of(e, item, site).and_then(|s| self.slots.get(s as usize)) {
            return Ok(slot.pool.state.unit_cost(&slot.pool, slot.pool.scales));
        }
        let pool = self.fresh_pool(e, item, site)?;
        Ok(pool.state.unit_cost(&pool, pool.scales))
    }

    fn pool_error(
        &self,
        err: PoolError,
        e: u16,
        item: ItemIx,
        site: Option<SiteIx>,
        requested: Decimal,
    ) -> ValuationError {
        let entity = self.entities.get(usize::from(e)).map(|x| x.code.clone());
        let item_code = self.catalog.item(item).map(|x| x.code.clone());
        match (err, entity, item_code) {
            (PoolError::Insufficient { available }, Some(entity), Some(item)) => {
                ValuationError::Insufficient {
                    entity,
                    item,
                    site: site.and_then(|s| self.catalog.site(s)).map(|s| s.code.clone()),
                    requested,
                    available,
                }
            }
            (PoolError::NoCost, Some(entity), Some(item)) => {
                ValuationError::NoCost { entity, item }
            }
            (PoolError::WrongMethod, Some(entity), Some(item)) => {
                ValuationError::NotStandard { entity, item, method: "fifo or moving average" }
            }
            (PoolError::Short, Some(entity), Some(item)) => ValuationError::MethodChange {
                entity,
                item,
                reason: "the pool owes stock (a shortfall or a negative quantity)",
            },
            (PoolError::Negative { value }, _, _) => ValuationError::NegativeCost {
                what: "a receipt's value after a landed cost credit",
                value,
            },
            _ => ValuationError::Overflow("a pool valuation"),
        }
    }

    // ---- planning --------------------------------------------------------------------

    /// Plans operation `req` of event `ev` on the pool `(e, i, ps)`: appended when it is
    /// the pool's latest, otherwise replayed into the pool's history.
    fn plan_op(
        &self,
        ev: &CostEvent,
        e: u16,
        i: ItemIx,
        ps: Option<SiteIx>,
        req: &Request,
    ) -> Res<Box<Step>> {
        let slot = self.slot_of(e, i, ps);
        let fail = |f: Fail| {
            let err = self.pool_error(f.err, e, i, ps, req.qty());
            match f.later {
                Some(event) => ValuationError::BackDatedShortage { event, cause: Box::new(err) },
                None => err,
            }
        };
        let (target, planned) = if let Some((s, sl)) =
            slot.and_then(|s| self.slots.get(s as usize).map(|sl| (s, sl)))
        {
            (Target::Slot(s), sl.plan(ev.at, ev.id, req).map_err(fail)?)
        } else {
            let sl = Slot::new(e, i, ps, self.fresh_pool(e, i, ps)?);
            let planned = sl.plan(ev.at, ev.id, req).map_err(fail)?;
            (Target::New(Box::new(sl)), planned)
        };
        let Planned { out, corrections, change } = planned;
        // Boxed once here: a step is a few hundred bytes, moved through several calls.
        Ok(Box::new(Step { target, change, corrections, out, entity: e, item: i, site: ps }))
    }

    // ---- applying events ---------------------------------------------------------

    /// Applies a cost event: values it, updates the pools and transfers, and returns
    /// the postings (balanced per entity and currency) and intercompany documents.
    ///
    /// A back-dated event (earlier than later movements of the same pool) is replayed
    /// into the pool's history from the nearest snapshot; every later movement whose
    /// value changes gets correction postings (kind
    /// [`PostingKind::Correction`](crate::PostingKind::Correction)) for the difference.
    ///
    /// # Errors
    /// Any [`ValuationError`]; the engine is then exactly as it was.
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
    /// let out = v.apply(&receipt(1, "100 EA", "0.10 USD")?)?;
    /// assert_eq!(out.postings().len(), 2);
    /// // Selling more than is held is refused, and changes nothing.
    /// let before = v.pools();
    /// assert!(v.apply(&sale(2, "150 EA")?).is_err());
    /// assert_eq!(v.pools(), before);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn apply(&mut self, ev: &CostEvent) -> Res<Outcome> {
        self.apply_with(ev, true)
    }

    /// [`Valuation::apply`], appending the posting lines to `postings` instead of
    /// returning them (the outcome's own `postings` is then empty). A caller that
    /// clears and reuses one buffer applies the common receipt or issue without a heap
    /// allocation.
    ///
    /// # Errors
    /// As [`Valuation::apply`]; `postings` is then as it was, too.
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
    /// let mut postings = Vec::new();
    /// v.apply_into(&receipt(1, "100 EA", "0.10 USD")?, &mut postings)?;
    /// v.apply_into(&sale(2, "30 EA")?, &mut postings)?;
    /// // Both events' postings, appended in order to the caller's buffer.
    /// assert_eq!(postings.len(), 4);
    /// assert_eq!(onhand_valuation::unbalanced(&postings), Vec::new());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn apply_into(&mut self, ev: &CostEvent, postings: &mut Vec<Posting>) -> Res<Outcome> {
        // An item handle only a batch's read-ahead may leave for its next event: never
        // one left behind by a batch that did not finish (a caller that caught a panic).
        self.recent.item = None;
        self.apply_to(ev, true, postings)
    }

    /// Whether [`apply`](Valuation::apply) would accept `ev` now, without applying it:
    /// the same checks and valuation, nothing committed. A host that must know the
    /// books will follow before it commits elsewhere (the `onhand` facade, before the
    /// ledger takes a reversal or a return to supplier) asks here first. A repeat of an
    /// applied event checks as accepted (applying it is a no-op).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use onhand_master::{seed, Catalog};
    /// use onhand_valuation::{CostBody, CostEvent, Valuation, ValuationConfig};
    /// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// let v = Valuation::new(catalog, ValuationConfig::default())?;
    /// let at = chrono::DateTime::from_timestamp(1_767_600_000, 0).ok_or("a time")?;
    /// let reversal = CostEvent { id: 2, at, body: CostBody::Reversal { original: 1 } };
    /// assert_eq!(v.check(&reversal).unwrap_err().code(), "unknown_original");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// The [`ValuationError`] `apply` would return.
    pub fn check(&self, ev: &CostEvent) -> Res<()> {
        self.check_pool(ev).map(|_| ())
    }

    /// Whether `at` falls in some entity's closed period (most engines have none: the
    /// map is not even walked then).
    pub(crate) fn in_entity_closed(&self, at: DateTime<Utc>) -> bool {
        !self.entity_closed.is_empty() && self.entity_closed.values().any(|c| at < *c)
    }

    /// [`Valuation::check`], and the pool the event moves (entity, item, valuation
    /// site), if one.
    pub(crate) fn check_pool(&self, ev: &CostEvent) -> Res<Option<(u16, ItemIx, Option<SiteIx>)>> {
        let fp = crate::event::fingerprint(ev);
        if let Some(prev) = self.seen_of(ev.id) {
            return if prev.fingerprint == fp {
                Ok(None)
            } else {
                Err(ValuationError::IdReused(ev.id))
            };
        }
        if let Some(closed) = self.closed_through
            && ev.at < closed
        {
            return Err(ValuationError::PeriodClosed { at: ev.at, closed_through: closed });
        }
        let mut out =
            Out { v: self, event: ev.id, lines: Vec::with_capacity(2), names: None, sites: None };
        let mut plan = Plan::default();
        self.plan_body(ev, &mut out, &mut plan)?;
        if self.in_entity_closed(ev.at) {
            self.check_entity_periods(ev, &plan)?;
        }
        if let Some(p) = out.lines.iter().find(|p| p.amount.abs() > MAX_AMOUNT) {
            return Err(ValuationError::TooLarge { amount: p.amount, currency: p.currency });
        }
        Ok(plan.step.map(|s| (s.entity, s.item, s.site)))
    }

    /// [`Valuation::apply`], with or without the in-order path (tests compare the two).
    pub(crate) fn apply_with(&mut self, ev: &CostEvent, in_order: bool) -> Res<Outcome> {
        // As in `apply_into`: no item handle left behind by an unfinished batch.
        self.recent.item = None;
        let mut lines = Vec::with_capacity(2);
        let mut done = self.apply_to(ev, in_order, &mut lines)?;
        if let Outcome::Posted { postings, .. } = &mut done {
            *postings = lines;
        }
        Ok(done)
    }

    /// [`Valuation::apply_into`], with or without the in-order path.
    pub(crate) fn apply_to(
        &mut self,
        ev: &CostEvent,
        in_order: bool,
        lines: &mut Vec<Posting>,
    ) -> Res<Outcome> {
        self.apply_undoable(ev, in_order, lines, None)
    }

    /// [`Valuation::apply_to`]; with `undo`, the general path only, recording there what
    /// undoes the event (nothing for a duplicate).
    pub(crate) fn apply_undoable(
        &mut self,
        ev: &CostEvent,
        in_order: bool,
        lines: &mut Vec<Posting>,
        undo: Option<&mut trial::Undo>,
    ) -> Res<Outcome> {
        // A repeat is recognised first, so a retried delivery after a period close is
        // still a no-op rather than an error.
        let fp = crate::event::fingerprint(ev);
        if let Some(prev) = self.seen_of(ev.id) {
            return if prev.fingerprint == fp {
                Ok(Outcome::Duplicate)
            } else {
                Err(ValuationError::IdReused(ev.id))
            };
        }
        // As a ledger's network close: an event effective before the close time is
        // refused, one at the close time itself is not (an entity's close also refuses
        // the close time, as a ledger's does).
        if let Some(closed) = self.closed_through
            && ev.at < closed
        {
            return Err(ValuationError::PeriodClosed { at: ev.at, closed_through: closed });
        }
        // Inside an entity's closed period only the general path checks which books the
        // event moves.
        let in_closed = self.in_entity_closed(ev.at);
        if in_order
            && undo.is_none()
            && !in_closed
            && let Some(done) = self.apply_in_order(ev, fp, lines)
        {
            return Ok(done);
        }
        let v: &Valuation = self;
        let mut out =
            Out { v, event: ev.id, lines: Vec::with_capacity(2), names: None, sites: None };
        let mut plan = Plan::default();
        v.plan_body(ev, &mut out, &mut plan)?;
        if in_closed {
            v.check_entity_periods(ev, &plan)?;
        }
        let postings = out.lines;
        // Every amount must be carried exactly at its currency's minor units, with room
        // for sums over many pools.
        if let Some(p) = postings.iter().find(|p| p.amount.abs() > MAX_AMOUNT) {
            return Err(ValuationError::TooLarge { amount: p.amount, currency: p.currency });
        }
        let documents = plan.documents.clone();
        let issued = match plan.issued {
            Some((e, value)) => Some(money(value, self.ent(e)?.currency)),
            None => None,
        };
        self.commit(ev, plan, fp, undo);
        if lines.is_empty() {
            *lines = postings;
        } else {
            lines.extend(postings);
        }
        Ok(Outcome::Posted { postings: Vec::new(), documents, issued })
    }

    #[allow(clippy::too_many_lines)] // one arm per event kind
    fn plan_body(&self, ev: &CostEvent, out: &mut Out<'_>, plan: &mut Plan) -> Res<()> {
        match &ev.body {
            CostBody::Receipt { site, item, qty, unit_cost, owner } => {
                let (i, s, e) = self.locate(item, site, owner.as_ref())?;
                self.check_currency(e, *unit_cost)?;
                not_negative("a receipt's unit cost", *unit_cost)?;
                let q = self.base(i, *qty, "a receipt quantity")?;
                let value = Self::extend(*qty, *unit_cost)?;
                self.receive_against(
                    ev,
                    out,
                    plan,
                    (e, i, s),
                    (q, value, Decimal::ZERO),
                    PostingKey::GoodsReceived,
                )?;
            }
            CostBody::OpeningBalance { site, item, qty, unit_cost, owner } => {
                let (i, s, e) = self.locate(item, site, owner.as_ref())?;
                self.check_currency(e, *unit_cost)?;
                not_negative("an opening balance's unit cost", *unit_cost)?;
                let q = self.base(i, *qty, "an opening balance quantity")?;
                let value = Self::extend(*qty, *unit_cost)?;
                self.receive_against(
                    ev,
                    out,
                    plan,
                    (e, i, s),
                    (q, value, Decimal::ZERO),
                    PostingKey::OpeningBalance,
                )?;
                plan.kind = Some(Seen::OPENING);
            }
            CostBody::Issue { site, item, qty, to, owner } => {
                let (i, s, e) = self.locate(item, site, owner.as_ref())?;
                let q = self.base(i, *qty, "an issue quantity")?;
                let key = match to {
                    IssueTo::Sale => PostingKey::CostOfSales,
                    IssueTo::Scrap => PostingKey::WriteOff,
                    IssueTo::Adjustment => PostingKey::Adjustment,
                };
                let step = self.plan_issue(ev, e, i, s, q, Counter::Key(key))?;
                Self::issue_lines(out, &step, key, s, None);
                plan.issued = Some((e, step.out.value));
                // Every issue is kept (a reversal names it); only a sale is returnable.
                plan.sale = Some((q, step.out.value, step.out.profit));
                plan.kind = Some(Seen::issue_kind(*to));
                self.push_step(out, plan, step)?;
            }
            CostBody::Adjustment { site, item, delta, unit_cost, owner } => {
                let (i, s, e) = self.locate(item, site, owner.as_ref())?;
                let magnitude = Qty::new(delta.value().abs(), delta.uom()).map_err(|source| {
                    ValuationError::Quantity { what: "an adjustment quantity", source }
                })?;
                let q = self.base(i, magnitude, "an adjustment quantity")?;
                if delta.value() < Decimal::ZERO {
                    let step =
                        self.plan_issue(ev, e, i, s, q, Counter::Key(PostingKey::Adjustment))?;
                    Self::issue_lines(out, &step, PostingKey::Adjustment, s, None);
                    plan.issued = Some((e, step.out.value));
                    plan.sale = Some((q, step.out.value, step.out.profit));
                    plan.kind = Some(Seen::issue_kind(IssueTo::Adjustment));
                    self.push_step(out, plan, step)?;
                } else {
                    let ps = self.pool_site(e, s)?;
                    let value = if let Some(cost) = unit_cost {
                        self.check_currency(e, *cost)?;
                        not_negative("a gain's unit cost", *cost)?;
                        Self::extend(magnitude, *cost)?
                    } else {
                        let unit = self
                            .unit_cost_now(e, i, ps)?
                            .ok_or_else(|| self.pool_error(PoolError::NoCost, e, i, ps, q))?;
                        let extended = mul_exact(q, unit).map_err(dec("an adjustment value"))?;
                        convert(extended, Decimal::ONE, self.ent(e)?.currency)?
                    };
                    self.receive_against(
                        ev,
                        out,
                        plan,
                        (e, i, s),
                        (q, value, Decimal::ZERO),
                        PostingKey::Adjustment,
                    )?;
                    plan.kind = Some(Seen::GAIN);
                }
            }
            CostBody::CustomerReturn { site, item, qty, original, unit_cost, owner } => {
                let (i, s, e) = self.locate(item, site, owner.as_ref())?;
                let q = self.base(i, *qty, "a return quantity")?;
                let currency = self.ent(e)?.currency;
                if let Some(cost) = unit_cost {
                    self.check_currency(e, *cost)?;
                    not_negative("a return's unit cost", *cost)?;
                }
                let (value, profit) = match (original, unit_cost) {
                    (Some(id), _) => {
                        let sale = self
                            .seen_of(*id)
                            .and_then(Seen::sale)
                            .ok_or(ValuationError::UnknownIssue(*id))?;
                        let &SaleSeen { slot, qty: iq, value: iv } = self
                            .sales
                            .get(sale as usize)
                            .ok_or(ValuationError::UnknownIssue(*id))?;
                        let sl = self
                            .slots
                            .get(slot as usize)
                            .ok_or(ValuationError::UnknownIssue(*id))?;
                        if sl.entity != e || sl.item != i {
                            return Err(ValuationError::ReturnNotOfSale {
                                original: *id,
                                sold_entity: self.ent(sl.entity)?.code.clone(),
                                sold_item: self.item_code(sl.item)?,
                                entity: self.ent(e)?.code.clone(),
                                item: item.clone(),
                            });
                        }
                        // What is still returnable; the last unit back takes the last cent.
                        let (rq, rv) = self.returned.get(id).copied().unwrap_or_default();
                        let left_q = sub_exact(iq, rq).map_err(dec("a returnable quantity"))?;
                        let left_v = sub_exact(iv, rv).map_err(dec("a returnable value"))?;
                        if q > left_q {
                            return Err(ValuationError::ReturnExceedsSale {
                                original: *id,
                                sold: iq,
                                returned: rq,
                                requested: q,
                            });
                        }
                        let value = share(left_v, q, left_q, currency)?;
                        let now_q = add_exact(rq, q).map_err(dec("a returned quantity"))?;
                        let now_v = add_exact(rv, value).map_err(dec("a returned value"))?;
                        plan.returned = Some((*id, now_q, now_v));
                        // The intercompany profit the sale took, pro rata by quantity:
                        // the returns' shares add up to it when the last unit is back.
                        let profit = match self.sale_profit.get(&sale) {
                            Some(&sp) => sub_exact(
                                share(sp, now_q, iq, currency)?,
                                share(sp, rq, iq, currency)?,
                            )
                            .map_err(dec("a returned profit"))?,
                            None => Decimal::ZERO,
                        };
                        (value, profit)
                    }
                    (None, Some(cost)) => (Self::extend(*qty, *cost)?, Decimal::ZERO),
                    (None, None) => return Err(ValuationError::ReturnWithoutCost),
                };
                self.receive_against(
                    ev,
                    out,
                    plan,
                    (e, i, s),
                    (q, value, profit),
                    PostingKey::CostOfSales,
                )?;
                plan.kind = Some(Seen::CUSTOMER_RETURN);
            }
            CostBody::LandedCost { receipt, amount } => {
                if !amount.is_rounded() {
                    return Err(ValuationError::Quantity {
                        what: "a landed cost",
                        source: onhand_master::MasterError::InexactMoney {
                            amount: amount.amount(),
                            currency: amount.currency(),
                        },
                    });
                }
                let &ReceiptSeen { slot, rcpt, qty: received } = self
                    .seen_of(*receipt)
                    .and_then(Seen::receipt)
                    .and_then(|k| self.receipts.get(k as usize))
                    .ok_or(ValuationError::UnknownReceipt(*receipt))?;
                let sl = self
                    .slots
                    .get(slot as usize)
                    .ok_or(ValuationError::UnknownReceipt(*receipt))?;
                let (e, i, ps) = (sl.entity, sl.item, sl.site);
                self.check_currency(e, *amount)?;
                let rest = if sl.pool.state.method == Method::Standard {
                    PostingKey::PriceVariance
                } else {
                    PostingKey::CostOfSales
                };
                let kind = Request::AddCost {
                    origin: *receipt,
                    rcpt: Some(rcpt),
                    received,
                    amount: amount.amount(),
                    rest,
                };
                let step = self.plan_op(ev, e, i, ps, &kind)?;
                let kept = step.out.value;
                let gone = sub_exact(amount.amount(), kept).map_err(dec("a landed cost"))?;
                let at = At::movement(e, i, ps);
                out.line(&at, PostingKey::Inventory, kept);
                out.line(&at, rest, gone);
                out.line(&at, PostingKey::LandedCost, -amount.amount());
                self.push_step(out, plan, step)?;
            }
            CostBody::StandardCost { entity, item, site, cost } => {
                let e = self.entity(entity)?;
                let i = self.item(item)?;
                self.check_currency(e, *cost)?;
                if cost.amount() < Decimal::ZERO {
                    return Err(ValuationError::NotPositive {
                        what: "a standard cost",
                        value: cost.amount(),
                    });
                }
                let ps = self.named_pool_site(e, entity, site.as_ref())?;
                // The pool's own method: a method change may have set it.
                let method = self.pool_method(e, i, ps)?;
                if method != Method::Standard {
                    return Err(ValuationError::NotStandard {
                        entity: entity.clone(),
                        item: item.clone(),
                        method: method.as_str(),
                    });
                }
                let step =
                    self.plan_op(ev, e, i, ps, &Request::SetStandard { cost: cost.amount() })?;
                let at = At::movement(e, i, ps);
                out.pair(&at, PostingKey::Inventory, PostingKey::Revaluation, step.out.value);
                self.push_step(out, plan, step)?;
            }
            CostBody::TransferShip { transfer, from, to, item, qty, rates } => {
                self.plan_ship(ev, out, plan, transfer, (from, to), item, *qty, rates)?;
            }
            CostBody::TransferReceipt { transfer, qty, rates } => {
                self.plan_transfer_receipt(ev, out, plan, transfer, *qty, rates)?;
            }
            CostBody::TransferClose { transfer } => {
                let (t, tr) = self.open_transfer(transfer)?;
                let mut tr = plan.transfer(t, tr);
                let owner = At::movement(tr.owner, tr.item, None).doc(Some(tr.number.as_str()));
                out.pair(&owner, PostingKey::Adjustment, PostingKey::InTransit, tr.value);
                tr.value = Decimal::ZERO;
                tr.profit = Decimal::ZERO;
                tr.price_left = Decimal::ZERO;
                tr.group_cost_left = Decimal::ZERO;
                tr.closed = true;
                plan.put_transfer(t, tr);
            }
            CostBody::Reversal { original } => self.plan_reversal(ev, out, plan, *original)?,
            CostBody::MethodChange { entity, item, site, method, standard } => {
                self.plan_method_change(
                    ev,
                    out,
                    plan,
                    (entity, item, site.as_ref()),
                    *method,
                    *standard,
                )?;
            }
            CostBody::SupplierReturn { receipt, qty } => {
                self.plan_supplier_return(ev, out, plan, *receipt, *qty)?;
            }
        }
        Ok(())
    }

    /// Receives `q` worth `value`, `profit` of it intercompany profit, into the pool of
    /// `(e, i, s)` against `offset`.
    fn receive_against(
        &self,
        ev: &CostEvent,
        out: &mut Out<'_>,
        plan: &mut Plan,
        (e, i, s): (u16, ItemIx, SiteIx),
        (q, value, profit): (Decimal, Decimal, Decimal),
        offset: PostingKey,
    ) -> Res<()> {
        let ps = self.pool_site(e, s)?;
        let kind = Request::Receive { qty: q, value, profit };
        let step = self.plan_op(ev, e, i, ps, &kind)?;
        Self::receive_lines(out, &step, offset, value, s, None);
        plan.receipt = Some(q);
        self.push_step(out, plan, step)
    }

    fn plan_issue(
        &self,
        ev: &CostEvent,
        e: u16,
        i: ItemIx,
        s: SiteIx,
        q: Decimal,
        counter: Counter,
    ) -> Res<Box<Step>> {
        let ps = self.pool_site(e, s)?;
        let negative = self.ent(e)?.negative == NegativeCostPolicy::LastCost;
        self.plan_op(ev, e, i, ps, &Request::Issue { qty: q, negative, counter })
    }

    /// Refuses a plan that moves stock into or out of a pool of an entity whose own
    /// period is closed at the event's time: what a ledger refuses of the entity's stock
    /// at its sites, so the two stay in step. Goods in transit are the ledger's to
    /// govern, and a change of value alone (a landed cost, a new standard) is accepted
    /// and, like any movement back-dated into folded history, valued as at the close.
    fn check_entity_periods(&self, ev: &CostEvent, plan: &Plan) -> Res<()> {
        // Stock moves when the plan receives, issues, or brings back what an earlier
        // event moved (a sale's reversal receives without being a receipt).
        if plan.receipt.is_none() && plan.issued.is_none() && plan.returned.is_none() {
            return Ok(());
        }
        for e in plan.step.iter().map(|s| s.entity) {
            if let Some(&closed) = self.entity_closed.get(&e)
                && ev.at < closed
            {
                return Err(ValuationError::EntityPeriodClosed {
                    entity: self.ent(e)?.code.clone(),
                    at: ev.at,
                    closed_through: closed,
                });
            }
        }
        Ok(())
    }

    // ---- committing --------------------------------------------------------------

    /// Commits `plan` for `ev` (fingerprint `fp`); with `undo`, records there what
    /// undoes it ([`Valuation::undo`], the `trial` module).
    fn commit(&mut self, ev: &CostEvent, plan: Plan, fp: u64, mut undo: Option<&mut trial::Undo>) {
        if let Some(u) = undo.as_deref_mut() {
            u.before(self, ev.id, &plan);
        }
        let mut seen = Seen { fingerprint: fp, kind: 0, idx: 0 };
        if let Some(step) = plan.step {
            let record = step.change.receipt_record();
            let key = pool_key(step.entity, step.item, step.site);
            let slot = match step.target {
                Target::Slot(s) => s,
                Target::New(sl) => {
                    let s = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
                    self.slot_ix.insert(key, s);
                    self.slots.push(*sl);
                    if let Some(u) = undo.as_deref_mut() {
                        u.new_slot = Some(key);
                    }
                    s
                }
            };
            let moved = if let Some(sl) = self.slots.get_mut(slot as usize) {
                match undo.as_deref_mut() {
                    Some(u) if u.new_slot.is_none() => {
                        let (moved, slot_undo) = sl.commit_undoable(step.change);
                        u.slot = Some((slot, slot_undo));
                        moved
                    }
                    _ => sl.commit(step.change),
                }
            } else {
                debug_assert!(false, "a step for slot {slot}, which does not exist");
                Vec::new()
            };
            // A back-dated receipt moved the records of the later receipts.
            for (event, rcpt) in moved {
                let k = self.seen_of(event).and_then(Seen::receipt);
                if let Some(r) = k.and_then(|k| self.receipts.get_mut(k as usize)) {
                    if let (Some(u), Some(k)) = (undo.as_deref_mut(), k) {
                        u.moved.push((k as usize, r.rcpt));
                    }
                    r.rcpt = rcpt;
                }
            }
            match (plan.receipt, plan.sale, record) {
                (Some(qty), _, Some(rcpt)) => {
                    seen.kind = plan.kind.unwrap_or(Seen::RECEIPT);
                    seen.idx = u32::try_from(self.receipts.len()).unwrap_or(u32::MAX);
                    self.receipts.push(ReceiptSeen { slot, rcpt, qty });
                }
                (None, Some((qty, value, profit)), _) => {
                    seen.kind = plan.kind.unwrap_or(Seen::SALE);
                    seen.idx = u32::try_from(self.sales.len()).unwrap_or(u32::MAX);
                    self.sales.push(SaleSeen { slot, qty, value });
                    if !profit.is_zero() {
                        self.sale_profit.insert(seen.idx, profit);
                    }
                }
                _ => seen.kind = plan.kind.unwrap_or(0),
            }
        }
        if let Some(tr) = plan.new_transfer {
            self.transfer_ix
                .insert(tr.number.clone(), u32::try_from(self.transfers.len()).unwrap_or(u32::MAX));
            self.count_transit(&tr, true);
            self.transfers.push(tr);
        }
        for (t, tr) in plan.updated {
            if let Some(old) = self.transfers.get(t as usize).cloned() {
                self.count_transit(&old, false);
                self.count_transit(&tr, true);
            }
            if let Some(x) = self.transfers.get_mut(t as usize) {
                *x = tr;
            }
        }
        for ((s, b), revenue, created) in plan.period {
            let p = self.period.entry((s, b)).or_default();
            p.revenue = add_exact(p.revenue, revenue).unwrap_or(p.revenue);
            p.created = add_exact(p.created, created).unwrap_or(p.created);
        }
        if let Some((sale, qty, value)) = plan.returned {
            self.returned.insert(sale, (qty, value));
        }
        for (k, value, profit) in plan.recosted {
            if let Some(s) = self.sales.get_mut(k as usize) {
                if let Some(u) = undo.as_deref_mut() {
                    u.recosted.push((k, s.value, self.sale_profit.get(&k).copied()));
                }
                s.value = value;
                if profit.is_zero() {
                    self.sale_profit.remove(&k);
                } else {
                    self.sale_profit.insert(k, profit);
                }
            }
        }
        self.documents.extend(plan.documents);
        self.receivables.extend(plan.receivables);
        self.payables.extend(plan.payables);
        self.seen_event(ev.id, seen);
    }

    /// Records applied event `id` as `seen`.
    pub(crate) fn seen_event(&mut self, id: u64, seen: Seen) {
        let at = u32::try_from(self.seen_log.len()).unwrap_or(u32::MAX);
        self.seen.insert(id, at);
        self.seen_log.push(seen);
        self.seq += 1;
    }
}

/// What the engine remembers of an applied event: its fingerprint and, for a receipt
/// into a pool or a sale, where its details are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seen {
    pub(crate) fingerprint: u64,
    /// 0, or one of the kinds [`Seen::RECEIPT`], [`Seen::SALE`] and those of the
    /// `reversal` module (other issues and receipts, a reversal).
    pub(crate) kind: u8,
    /// The index in `receipts` or `sales`.
    pub(crate) idx: u32,
}

impl Seen {
    pub(crate) const RECEIPT: u8 = 1;
    pub(crate) const SALE: u8 = 2;

    /// A receipt's entry (for landed cost): a goods receipt, an opening balance, a
    /// gain or a customer return.
    pub(crate) fn receipt(&self) -> Option<u32> {
        Seen::is_receipt(self.kind).then_some(self.idx)
    }

    /// A sale's entry (for returns).
    pub(crate) fn sale(&self) -> Option<u32> {
        (self.kind == Seen::SALE).then_some(self.idx)
    }

    /// An issue's entry (a sale, scrap or adjustment loss: for reversals).
    pub(crate) fn issue(&self) -> Option<u32> {
        Seen::is_issue(self.kind).then_some(self.idx)
    }
}

/// A receipt into a pool: the pool, its record there, and its quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ReceiptSeen {
    pub(crate) slot: u32,
    pub(crate) rcpt: u32,
    pub(crate) qty: Decimal,
}

/// A sale: the pool, its quantity and the value it issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SaleSeen {
    pub(crate) slot: u32,
    pub(crate) qty: Decimal,
    pub(crate) value: Decimal,
}

/// Event ids to their position in the log. Ids that arrive in increasing order (the
/// usual case) are appended to a sorted table (in chunks that never move, so no event
/// copies the whole of it), so a new id needs no look-up at all and the index costs 8
/// bytes per event; the others go to a hash map.
///
/// The log position of the `k`-th sorted id is `k` plus the number of other ids logged
/// before it. That count changes only when an id arrives out of order, so it is kept as
/// runs (`from`, count), one per change: nothing at all while every id arrives in order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ids {
    pub(crate) sorted: Chunked<u64>,
    /// `(from, n)`, ascending in `from`: sorted ids from the `from`-th on sit `n` places
    /// after their own index in the log (until the next run).
    runs: Vec<(u32, u32)>,
    pub(crate) others: Map<u64, u32>,
}

impl Ids {
    pub(crate) fn get(&self, id: u64) -> Option<u32> {
        match self.sorted.last() {
            Some(&last) if id <= last => match self.sorted.binary_search(&id) {
                Ok(k) => self.at(k),
                Err(_) => self.others.get(&id).copied(),
            },
            // Ids in `others` are all below the largest sorted one.
            _ => None,
        }
    }

    /// The log position of the `k`-th sorted id.
    fn at(&self, k: usize) -> Option<u32> {
        let k = u32::try_from(k).ok()?;
        let r = self.runs.partition_point(|&(from, _)| from <= k);
        let shift = r.checked_sub(1).and_then(|r| self.runs.get(r)).map_or(0, |&(_, n)| n);
        k.checked_add(shift)
    }

    pub(crate) fn insert(&mut self, id: u64, at: u32) {
        if self.sorted.last().is_none_or(|&last| id > last) {
            let k = u32::try_from(self.sorted.len()).unwrap_or(u32::MAX);
            let shift = self.runs.last().map_or(0, |&(_, n)| n);
            if k.checked_add(shift) != Some(at) {
                // Positions are never behind their index (the log holds every id).
                self.runs.push((k, at.saturating_sub(k)));
            }
            self.sorted.push(id);
        } else {
            self.others.insert(id, at);
        }
    }

    /// Forgets the newest sorted id (an undo); `false` when `id` is not it.
    pub(crate) fn pop_sorted(&mut self, id: u64) -> bool {
        if self.sorted.last() != Some(&id) {
            return false;
        }
        let _ = self.sorted.pop();
        let k = u32::try_from(self.sorted.len()).unwrap_or(u32::MAX);
        if self.runs.last().is_some_and(|&(from, _)| from == k) {
            self.runs.pop();
        }
        true
    }

    /// The sorted ids with their log positions, in order.
    pub(crate) fn sorted_at(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.sorted.iter().enumerate().filter_map(|(k, id)| Some((*id, self.at(k)?)))
    }
}

/// Which pool a step changes.
#[derive(Debug, Clone)]
enum Target {
    Slot(u32),
    /// A new pool, with its (empty) history.
    New(Box<Slot>),
}

#[derive(Debug, Clone)]
struct Step {
    target: Target,
    change: crate::history::Change,
    /// Later operations whose outcome changed.
    corrections: Vec<Correction>,
    /// The new operation's outcome.
    out: OpOut,
    entity: u16,
    item: ItemIx,
    site: Option<SiteIx>,
}

/// Everything one event changes, worked out before anything is committed.
#[derive(Debug, Default)]
struct Plan {
    step: Option<Box<Step>>,
    receipt: Option<Decimal>,
    /// An issue: its quantity, value and embedded intercompany profit.
    sale: Option<(Decimal, Decimal, Decimal)>,
    /// The entity and value the event took out of a pool.
    issued: Option<(u16, Decimal)>,
    /// A return against a sale: the sale, and its returned quantity and value after it.
    returned: Option<(u64, Decimal, Decimal)>,
    /// Earlier issues this event re-costs (a back-dated movement's corrections, a
    /// receipt's true-up of their shortfall): their entry in `sales` and the value and
    /// embedded profit they now left with.
    recosted: Vec<(u32, Decimal, Decimal)>,
    /// What the event is, when not told by the above ([`Seen`]'s kinds).
    kind: Option<u8>,
    new_transfer: Option<Transfer>,
    updated: BTreeMap<u32, Transfer>,
    documents: Vec<IcDocument>,
    receivables: Vec<OpenItem>,
    payables: Vec<OpenItem>,
    period: Vec<((u16, u16), Decimal, Decimal)>,
}

impl Plan {
    /// The transfer as this plan has it so far.
    fn transfer(&self, t: u32, current: Transfer) -> Transfer {
        self.updated.get(&t).cloned().unwrap_or(current)
    }

    fn put_transfer(&mut self, t: u32, tr: Transfer) {
        self.updated.insert(t, tr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sizes the memory formula in the crate docs uses.
    #[test]
    fn memory_per_event_is_what_the_docs_say() {
        assert_eq!(size_of::<Seen>(), 16);
        assert_eq!(size_of::<ReceiptSeen>(), 24);
        assert_eq!(size_of::<SaleSeen>(), 36);
        assert_eq!(size_of::<crate::pool::State>(), 256);
    }

    proptest::proptest! {
        /// The id index answers what a plain map of ids to log positions answers,
        /// through ids in and out of order and undoes of the newest; and lists its sorted
        /// ids with their positions.
        #[test]
        fn the_id_index_answers_as_a_map(
            steps in proptest::collection::vec((0u8..8, 0u64..60), 0..120),
        ) {
            let (mut ids, mut model) = (Ids::default(), std::collections::HashMap::new());
            // The log: each id, in the order it came.
            let mut log: Vec<u64> = Vec::new();
            for (op, id) in steps {
                if op == 0 {
                    // Undo the newest, as an event's undo does.
                    if let Some(last) = log.pop() {
                        if !ids.pop_sorted(last) {
                            ids.others.remove(&last);
                        }
                        model.remove(&last);
                    }
                } else if !model.contains_key(&id) {
                    // Mostly increasing: ids well above the largest, now and then one below.
                    let id = if op < 6 { log.iter().max().map_or(0, |m| m + 1 + id % 3) } else { id };
                    if model.contains_key(&id) {
                        continue;
                    }
                    let at = u32::try_from(log.len()).unwrap();
                    ids.insert(id, at);
                    model.insert(id, at);
                    log.push(id);
                }
                for probe in 0..200u64 {
                    proptest::prop_assert_eq!(ids.get(probe), model.get(&probe).copied());
                }
                let listed: Vec<(u64, u32)> = ids.sorted_at().collect();
                for (id, at) in &listed {
                    proptest::prop_assert_eq!(model.get(id), Some(at));
                }
                proptest::prop_assert_eq!(listed.len() + ids.others.len(), model.len());
            }
        }
    }
}
