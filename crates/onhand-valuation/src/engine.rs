//! The valuation engine: cost pools per entity and item (and site, where an entity values
//! per site), transfers in transit with their owner, intercompany documents and open
//! items, the history that lets a back-dated movement revalue what it affects, and the
//! consolidation state.
//!
//! Every event is worked out in full before anything changes (pools plan, then commit),
//! so a refused event leaves the engine exactly as it was.
//!
//! Notation: `e` is an entity handle, `i` an item handle, `s`/`b` the selling and
//! buying entities, `sf`/`st` the shipping and receiving sites, `ps` a pool's site.

// The notation above is used throughout; spelled out it would hide the arithmetic.
#![allow(clippy::many_single_char_names, clippy::similar_names)]

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use onhand_master::hash::{Map, map};
use onhand_master::{
    AccountCode, Catalog, CurrencyCode, EntityCode, EntityIx, ItemCode, ItemIx, Money, Qty,
    Rounding, RoundingMode, SiteCode, SiteIx, add_exact, mul_div_round, mul_exact, sub_exact,
};
use rust_decimal::Decimal;

use crate::config::{Agreement, NegativeStock, PriceRule, TitlePoint, ValuationConfig};
use crate::error::ValuationError;
use crate::event::{CostBody, CostEvent, IssueTo, Rate};
use crate::history::{Correction, Counter, Fail, OpOut, Planned, Request, Slot, What};
use crate::intercompany::{DocKind, IcDocument, OpenItem};
use crate::pool::{Layer, Method, Pool, PoolError, Scales};
use crate::posting::{Posting, PostingKey, PostingKind};

mod method_change;
mod reversal;
mod supplier_return;

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
    #[must_use]
    pub fn postings(&self) -> &[Posting] {
        match self {
            Outcome::Posted { postings, .. } => postings,
            Outcome::Duplicate => &[],
        }
    }

    /// The inventory value the event issued (the `issued` field of [`Outcome::Posted`]); `None`
    /// for a duplicate or an event that issues nothing.
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
    pub transfer: String,
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
    pub(crate) negative: NegativeStock,
    pub(crate) accounts: [AccountCode; PostingKey::ALL.len()],
}

#[derive(Debug, Clone)]
pub(crate) struct Transfer {
    pub(crate) number: String,
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
    pub(crate) transfer_ix: Map<String, u32>,
    /// Every applied event by id, as a position in `seen_log`.
    pub(crate) seen: Ids,
    /// Every applied event, in order: its fingerprint, and for receipts (landed cost)
    /// and sales (returns) where to find the pool, quantity and value.
    pub(crate) seen_log: Vec<Seen>,
    /// Receipts into pools (what a landed cost names), in order.
    pub(crate) receipts: Vec<ReceiptSeen>,
    /// Sales (what a customer return names), in order.
    pub(crate) sales: Vec<SaleSeen>,
    pub(crate) seq: u64,
    pub(crate) closed_through: Option<DateTime<Utc>>,
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

/// Postings being built for one event.
struct Out<'a> {
    v: &'a Valuation,
    event: u64,
    lines: Vec<Posting>,
    /// The codes of the item and site the last line named (an event's lines mostly
    /// name the same).
    names: Option<(ItemIx, ItemCode)>,
    sites: Option<(SiteIx, SiteCode)>,
}

impl Out<'_> {
    #[allow(clippy::too_many_arguments)] // one line's facts
    fn line(
        &mut self,
        entity: u16,
        key: PostingKey,
        amount: Decimal,
        kind: PostingKind,
        item: Option<ItemIx>,
        site: Option<SiteIx>,
        document: Option<&str>,
    ) {
        if amount.is_zero() {
            return;
        }
        let account = self
            .v
            .entities
            .get(usize::from(entity))
            .and_then(|e| Some((e, e.accounts.get(key as usize)?.clone())));
        let Some((e, account)) = account else {
            debug_assert!(
                false,
                "a posting for entity {entity} or key {key} the engine has no account for"
            );
            return;
        };
        let cat = &self.v.catalog;
        let amount = at_scale(amount, e.currency);
        let item = item.and_then(|i| match &self.names {
            Some((k, code)) if *k == i => Some(code.clone()),
            _ => {
                let code = cat.item(i)?.code.clone();
                self.names = Some((i, code.clone()));
                Some(code)
            }
        });
        let site = site.and_then(|s| match &self.sites {
            Some((k, code)) if *k == s => Some(code.clone()),
            _ => {
                let code = cat.site(s)?.code.clone();
                self.sites = Some((s, code.clone()));
                Some(code)
            }
        });
        self.lines.push(Posting {
            event: self.event,
            entity: e.code.clone(),
            key,
            account,
            amount,
            currency: e.currency,
            kind,
            item,
            site,
            document: document.map(str::to_owned),
        });
    }

    /// Debit `dr`, credit `cr`, by `amount` (a negative amount swaps them).
    #[allow(clippy::too_many_arguments)] // one entry's facts
    fn pair(
        &mut self,
        entity: u16,
        dr: PostingKey,
        cr: PostingKey,
        amount: Decimal,
        kind: PostingKind,
        item: Option<ItemIx>,
        site: Option<SiteIx>,
        document: Option<&str>,
    ) {
        self.line(entity, dr, amount, kind, item, site, document);
        self.line(entity, cr, -amount, kind, item, site, document);
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
    #[allow(clippy::too_many_lines)] // one check per part of the configuration
    pub fn new(catalog: Arc<Catalog>, config: ValuationConfig) -> Res<Self> {
        let mut entities = Vec::new();
        for (i, e) in catalog.data().entities.iter().enumerate() {
            if catalog.entity_ix(&e.code).map(EntityIx::index) != Some(i) {
                return Err(ValuationError::Config(format!("entity {} is out of order", e.code)));
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
            return Err(ValuationError::Config("more than 65,535 entities".into()));
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
            seen_log: Vec::new(),
            receipts: Vec::new(),
            sales: Vec::new(),
            seq: 0,
            closed_through: None,
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
                return Err(ValuationError::Config(format!(
                    "agreement of {} with itself",
                    a.seller
                )));
            }
            match &a.price {
                PriceRule::CostPlus { markup } if *markup < Decimal::ZERO => {
                    return Err(ValuationError::Config(format!(
                        "negative markup {markup} in the {} -> {} agreement",
                        a.seller, a.buyer
                    )));
                }
                PriceRule::CostPlusMargin { margin }
                    if *margin < Decimal::ZERO || *margin >= Decimal::ONE =>
                {
                    return Err(ValuationError::Config(format!(
                        "margin {margin} in the {} -> {} agreement must be at least 0 and below 1",
                        a.seller, a.buyer
                    )));
                }
                PriceRule::PriceList { prices } => {
                    for (item, price) in prices {
                        v.item(item)?;
                        if *price < Decimal::ZERO {
                            return Err(ValuationError::Config(format!(
                                "negative price for {item}"
                            )));
                        }
                    }
                }
                _ => {}
            }
            if v.agreement_ix.insert((s, b), n).is_some() {
                return Err(ValuationError::Config(format!(
                    "two agreements for {} selling to {}",
                    a.seller, a.buyer
                )));
            }
        }
        v.agreements = config.agreements;
        v.accounts = config.accounts;
        Ok(v)
    }

    /// The catalog.
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
        let units =
            self.catalog.item_units(item).ok_or(ValuationError::Overflow("an item handle"))?;
        let qty_scale = units.rounding(units.base()).map_or(0, Rounding::scale);
        let scales = Scales::new(qty_scale, self.ent(e)?.currency.minor_units())
            .map_err(|_| ValuationError::Overflow("a unit or currency scale"))?;
        Ok(Pool::new(method, scales, std))
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
            (PoolError::NotOldest, Some(entity), Some(item)) => {
                ValuationError::LayerNotOldest { entity, item }
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
    /// [`PostingKind::Correction`]) for the difference.
    ///
    /// # Errors
    /// Any [`ValuationError`]; the engine is then exactly as it was.
    pub fn apply(&mut self, ev: &CostEvent) -> Res<Outcome> {
        self.apply_with(ev, true)
    }

    /// [`Valuation::apply`], with or without the in-order path (tests compare the two).
    pub(crate) fn apply_with(&mut self, ev: &CostEvent, in_order: bool) -> Res<Outcome> {
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
        if let Some(closed) = self.closed_through
            && ev.at <= closed
        {
            return Err(ValuationError::PeriodClosed { at: ev.at, closed_through: closed });
        }
        if in_order && let Some(done) = self.apply_in_order(ev, fp) {
            return Ok(done);
        }
        let v: &Valuation = self;
        let mut out =
            Out { v, event: ev.id, lines: Vec::with_capacity(2), names: None, sites: None };
        let mut plan = Plan::default();
        v.plan_body(ev, &mut out, &mut plan)?;
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
        self.commit(ev, plan, fp);
        Ok(Outcome::Posted { postings, documents, issued })
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
                    q,
                    value,
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
                    q,
                    value,
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
                plan.sale = Some((q, step.out.value));
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
                    plan.sale = Some((q, step.out.value));
                    plan.kind = Some(Seen::issue_kind(IssueTo::Adjustment));
                    self.push_step(out, plan, step)?;
                } else {
                    let ps = self.pool_site(e, s)?;
                    let value = if let Some(c) = unit_cost {
                        self.check_currency(e, *c)?;
                        not_negative("a gain's unit cost", *c)?;
                        Self::extend(magnitude, *c)?
                    } else {
                        let unit = self
                            .unit_cost_now(e, i, ps)?
                            .ok_or_else(|| self.pool_error(PoolError::NoCost, e, i, ps, q))?;
                        let v = mul_exact(q, unit).map_err(dec("an adjustment value"))?;
                        convert(v, Decimal::ONE, self.ent(e)?.currency)?
                    };
                    self.receive_against(
                        ev,
                        out,
                        plan,
                        (e, i, s),
                        q,
                        value,
                        PostingKey::Adjustment,
                    )?;
                    plan.kind = Some(Seen::GAIN);
                }
            }
            CostBody::CustomerReturn { site, item, qty, original, unit_cost, owner } => {
                let (i, s, e) = self.locate(item, site, owner.as_ref())?;
                let q = self.base(i, *qty, "a return quantity")?;
                let currency = self.ent(e)?.currency;
                if let Some(c) = unit_cost {
                    self.check_currency(e, *c)?;
                    not_negative("a return's unit cost", *c)?;
                }
                let value = match (original, unit_cost) {
                    (Some(id), _) => {
                        let &SaleSeen { slot, qty: iq, value: iv } = self
                            .seen_of(*id)
                            .and_then(Seen::sale)
                            .and_then(|k| self.sales.get(k as usize))
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
                        value
                    }
                    (None, Some(c)) => Self::extend(*qty, *c)?,
                    (None, None) => return Err(ValuationError::ReturnWithoutCost),
                };
                self.receive_against(ev, out, plan, (e, i, s), q, value, PostingKey::CostOfSales)?;
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
                out.line(e, PostingKey::Inventory, kept, PostingKind::Movement, Some(i), ps, None);
                out.line(e, rest, gone, PostingKind::Movement, Some(i), ps, None);
                out.line(
                    e,
                    PostingKey::LandedCost,
                    -amount.amount(),
                    PostingKind::Movement,
                    Some(i),
                    ps,
                    None,
                );
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
                out.pair(
                    e,
                    PostingKey::Inventory,
                    PostingKey::Revaluation,
                    step.out.value,
                    PostingKind::Movement,
                    Some(i),
                    ps,
                    None,
                );
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
                out.pair(
                    tr.owner,
                    PostingKey::Adjustment,
                    PostingKey::InTransit,
                    tr.value,
                    PostingKind::Movement,
                    Some(tr.item),
                    None,
                    Some(&tr.number),
                );
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

    /// Receives `q` worth `value` into the pool of `(e, i, s)` against `offset`.
    #[allow(clippy::too_many_arguments)] // one receipt's facts
    fn receive_against(
        &self,
        ev: &CostEvent,
        out: &mut Out<'_>,
        plan: &mut Plan,
        (e, i, s): (u16, ItemIx, SiteIx),
        q: Decimal,
        value: Decimal,
        offset: PostingKey,
    ) -> Res<()> {
        let ps = self.pool_site(e, s)?;
        let kind = Request::Receive { qty: q, value, profit: Decimal::ZERO };
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
        let negative = self.ent(e)?.negative == NegativeStock::LastCost;
        self.plan_op(ev, e, i, ps, &Request::Issue { qty: q, negative, counter })
    }

    /// Lines of a receipt into inventory against `offset` (which gets `value`).
    fn receive_lines(
        out: &mut Out<'_>,
        step: &Step,
        offset: PostingKey,
        value: Decimal,
        s: SiteIx,
        doc: Option<&str>,
    ) {
        let (e, i) = (step.entity, Some(step.item));
        let m = PostingKind::Movement;
        out.line(e, PostingKey::Inventory, step.out.value, m, i, Some(s), doc);
        out.line(e, PostingKey::PriceVariance, value - step.out.value, m, i, Some(s), doc);
        out.line(e, offset, -value, m, i, Some(s), doc);
        for (tag, amount) in &step.out.trueups {
            out.pair(
                e,
                tag_key(*tag),
                PostingKey::Inventory,
                *amount,
                PostingKind::TrueUp,
                i,
                Some(s),
                doc,
            );
        }
        out.pair(
            e,
            PostingKey::Inventory,
            PostingKey::Rounding,
            step.out.residue,
            m,
            i,
            Some(s),
            doc,
        );
    }

    /// Lines of an issue from inventory to `key`.
    fn issue_lines(out: &mut Out<'_>, step: &Step, key: PostingKey, s: SiteIx, doc: Option<&str>) {
        let (e, i) = (step.entity, Some(step.item));
        let m = PostingKind::Movement;
        out.pair(e, key, PostingKey::Inventory, step.out.value, m, i, Some(s), doc);
        out.pair(
            e,
            PostingKey::Rounding,
            PostingKey::Inventory,
            step.out.residue,
            m,
            i,
            Some(s),
            doc,
        );
    }

    /// Adds a step, turning its corrections into posting lines (and transfer changes).
    #[allow(clippy::too_many_lines)] // one arm per kind of operation corrected
    fn push_step(&self, out: &mut Out<'_>, plan: &mut Plan, step: Box<Step>) -> Res<()> {
        let (e, i, ps) = (step.entity, Some(step.item), step.site);
        let c = PostingKind::Correction;
        for Correction { event, what, old, new } in &step.corrections {
            let doc = format!("corrects event {event}");
            let doc = Some(doc.as_str());
            let d = |a: Decimal, b: Decimal| sub_exact(a, b).map_err(dec("a correction"));
            match what {
                What::Receive => {
                    out.pair(
                        e,
                        PostingKey::Inventory,
                        PostingKey::PriceVariance,
                        d(new.value, old.value)?,
                        c,
                        i,
                        ps,
                        doc,
                    );
                    // True-ups per issue account: what they are now less what was posted.
                    let mut by_key: BTreeMap<u8, Decimal> = BTreeMap::new();
                    for (tag, amount) in &new.trueups {
                        let v = by_key.entry(*tag).or_default();
                        *v = add_exact(*v, *amount).map_err(dec("a correction"))?;
                    }
                    for (tag, amount) in &old.trueups {
                        let v = by_key.entry(*tag).or_default();
                        *v = sub_exact(*v, *amount).map_err(dec("a correction"))?;
                    }
                    for (tag, delta) in by_key {
                        out.pair(e, tag_key(tag), PostingKey::Inventory, delta, c, i, ps, doc);
                    }
                    out.pair(
                        e,
                        PostingKey::Inventory,
                        PostingKey::Rounding,
                        d(new.residue, old.residue)?,
                        c,
                        i,
                        ps,
                        doc,
                    );
                }
                What::Issue(counter) => {
                    let delta = d(new.value, old.value)?;
                    match counter {
                        Counter::Key(k) => {
                            out.pair(e, *k, PostingKey::Inventory, delta, c, i, ps, doc);
                        }
                        Counter::Transfer(t) => {
                            let base = self
                                .transfers
                                .get(*t as usize)
                                .cloned()
                                .or_else(|| plan.new_transfer.clone());
                            let Some(base) = base else { continue };
                            let mut tr = plan.transfer(*t, base);
                            if tr.closed || tr.received >= tr.shipped {
                                return Err(ValuationError::TransferRecosted(tr.number.clone()));
                            }
                            tr.value = add_exact(tr.value, delta).map_err(dec("a correction"))?;
                            if tr.agreement.is_some() {
                                tr.group_cost_left = add_exact(tr.group_cost_left, delta)
                                    .map_err(dec("a correction"))?;
                            }
                            out.pair(
                                e,
                                PostingKey::InTransit,
                                PostingKey::Inventory,
                                delta,
                                c,
                                i,
                                ps,
                                doc,
                            );
                            plan.put_transfer(*t, tr);
                        }
                    }
                    out.pair(
                        e,
                        PostingKey::Rounding,
                        PostingKey::Inventory,
                        d(new.residue, old.residue)?,
                        c,
                        i,
                        ps,
                        doc,
                    );
                }
                What::AddCost(rest) => {
                    out.pair(
                        e,
                        PostingKey::Inventory,
                        *rest,
                        d(new.value, old.value)?,
                        c,
                        i,
                        ps,
                        doc,
                    );
                }
                What::SetStandard | What::ChangeMethod => {
                    out.pair(
                        e,
                        PostingKey::Inventory,
                        PostingKey::Revaluation,
                        d(new.value, old.value)?,
                        c,
                        i,
                        ps,
                        doc,
                    );
                }
                What::Withdraw(key) => {
                    out.pair(
                        e,
                        *key,
                        PostingKey::Inventory,
                        d(new.value, old.value)?,
                        c,
                        i,
                        ps,
                        doc,
                    );
                    out.pair(
                        e,
                        PostingKey::Rounding,
                        PostingKey::Inventory,
                        d(new.residue, old.residue)?,
                        c,
                        i,
                        ps,
                        doc,
                    );
                }
            }
        }
        plan.step = Some(step);
        Ok(())
    }

    fn open_transfer(&self, number: &str) -> Res<(u32, Transfer)> {
        let t = *self
            .transfer_ix
            .get(number)
            .ok_or_else(|| ValuationError::UnknownTransfer(number.to_owned()))?;
        let tr = self
            .transfers
            .get(t as usize)
            .ok_or_else(|| ValuationError::UnknownTransfer(number.to_owned()))?;
        if tr.closed {
            return Err(ValuationError::TransferClosed(number.to_owned()));
        }
        Ok((t, tr.clone()))
    }

    /// The price of a cross-entity transfer in the agreement's currency.
    fn price(
        &self,
        a: &Agreement,
        s: u16,
        item: ItemIx,
        q: Decimal,
        cost: Decimal,
        rates: &[Rate],
    ) -> Res<Decimal> {
        let k = a.currency;
        let seller = self.ent(s)?;
        match &a.price {
            PriceRule::AtCost => convert(cost, rate_of(rates, seller.currency, k)?, k),
            PriceRule::CostPlus { markup } => {
                let factor = add_exact(Decimal::ONE, *markup).map_err(dec("a markup"))?;
                let marked = mul_exact(cost, factor).map_err(dec("a transfer price"))?;
                convert(marked, rate_of(rates, seller.currency, k)?, k)
            }
            PriceRule::CostPlusMargin { margin } => {
                // cost x rate / (1 - margin), rounded once.
                let keep = sub_exact(Decimal::ONE, *margin).map_err(dec("a margin"))?;
                let rule = Rounding::new(k.minor_units(), RoundingMode::HalfUp)
                    .map_err(dec("a rounding rule"))?;
                mul_div_round(cost, rate_of(rates, seller.currency, k)?, keep, rule)
                    .map_err(dec("a transfer price"))
            }
            PriceRule::PriceList { prices } => {
                let code = self
                    .catalog
                    .item(item)
                    .map(|x| x.code.clone())
                    .ok_or(ValuationError::Overflow("an item handle"))?;
                let price = prices.get(&code).ok_or_else(|| ValuationError::NoPrice {
                    seller: a.seller.clone(),
                    buyer: a.buyer.clone(),
                    item: code.clone(),
                })?;
                convert(mul_exact(*price, q).map_err(dec("a transfer price"))?, Decimal::ONE, k)
            }
        }
    }

    #[allow(clippy::too_many_arguments, clippy::too_many_lines)] // one transfer's facts and books
    fn plan_ship(
        &self,
        ev: &CostEvent,
        out: &mut Out<'_>,
        plan: &mut Plan,
        number: &str,
        (from, to): (&SiteCode, &SiteCode),
        item: &ItemCode,
        qty: Qty,
        rates: &[Rate],
    ) -> Res<()> {
        if number.is_empty() || number.len() > 64 {
            return Err(ValuationError::Config(format!(
                "transfer number {number:?} must be 1 to 64 characters"
            )));
        }
        if self.transfer_ix.contains_key(number) {
            return Err(ValuationError::TransferExists(number.to_owned()));
        }
        let i = self.item(item)?;
        let sf = self.site(from)?;
        let st = self.site(to)?;
        let s = self.owner_of(sf, from, None)?;
        let b = self.owner_of(st, to, None)?;
        let q = self.base(i, qty, "a transfer quantity")?;
        let t = u32::try_from(self.transfers.len())
            .map_err(|_| ValuationError::Overflow("the transfer count"))?;
        let mut tr = Transfer {
            number: number.to_owned(),
            item: i,
            to: st,
            seller: s,
            buyer: b,
            owner: s,
            agreement: None,
            shipped: q,
            received: Decimal::ZERO,
            value: Decimal::ZERO,
            profit: Decimal::ZERO,
            price_left: Decimal::ZERO,
            group_cost_left: Decimal::ZERO,
            invoices: 0,
            shipped_at: ev.at,
            closed: false,
        };
        let doc = Some(number);
        if s == b {
            plan.new_transfer = Some(tr.clone());
            // A transfer ships only what the books hold: valuing a shortfall at the last cost
            // would carry a guess into another pool (and, across entities, into a price).
            let kind = Request::Issue { qty: q, negative: false, counter: Counter::Transfer(t) };
            let step = self.plan_op(ev, s, i, self.pool_site(s, sf)?, &kind)?;
            Self::issue_lines(out, &step, PostingKey::InTransit, sf, doc);
            plan.issued = Some((s, step.out.value));
            tr.value = step.out.value;
            tr.profit = step.out.profit;
            self.push_step(out, plan, step)?;
            if let Some(updated) = plan.updated.remove(&t) {
                tr.value = updated.value;
            }
            plan.new_transfer = Some(tr);
            return Ok(());
        }
        let Some(a_ix) = self.agreement_ix.get(&(s, b)).copied() else {
            return Err(ValuationError::NoAgreement {
                seller: self.ent(s)?.code.clone(),
                buyer: self.ent(b)?.code.clone(),
            });
        };
        let a = self.agreements.get(a_ix).ok_or(ValuationError::Overflow("an agreement handle"))?;
        tr.agreement = Some(a_ix);
        let (sc, bc, k) = (self.ent(s)?.currency, self.ent(b)?.currency, a.currency);
        let counter = match a.title {
            TitlePoint::Shipment => Counter::Key(PostingKey::CostOfSales),
            TitlePoint::Receipt => Counter::Transfer(t),
        };
        plan.new_transfer = Some(tr.clone());
        let kind = Request::Issue { qty: q, negative: false, counter };
        let step = self.plan_op(ev, s, i, self.pool_site(s, sf)?, &kind)?;
        let cost = step.out.value;
        plan.issued = Some((s, cost));
        let group_cost = sub_exact(cost, step.out.profit).map_err(dec("a group cost"))?;
        let price = self.price(a, s, i, q, cost, rates)?;
        let item_code = self
            .catalog
            .item(i)
            .map(|x| x.code.clone())
            .ok_or(ValuationError::Overflow("an item handle"))?;
        let (sell, buy) = (self.ent(s)?.code.clone(), self.ent(b)?.code.clone());
        let docs = |kind: DocKind, prefix: &str, entity: &EntityCode, counterparty: &EntityCode| {
            IcDocument {
                kind,
                number: format!("{prefix}-{number}"),
                entity: entity.clone(),
                counterparty: counterparty.clone(),
                reference: number.to_owned(),
                item: item_code.clone(),
                qty: q,
                amount: money(price, k),
                at: ev.at,
            }
        };
        plan.documents.push(docs(DocKind::SalesOrder, "ICSO", &sell, &buy));
        plan.documents.push(docs(DocKind::PurchaseOrder, "ICPO", &buy, &sell));
        plan.documents.push(docs(DocKind::Shipment, "SHP", &sell, &buy));
        match a.title {
            TitlePoint::Shipment => {
                Self::issue_lines(out, &step, PostingKey::CostOfSales, sf, doc);
                let invoice = format!("INV-{number}-1");
                let (rs, rb) = (rate_of(rates, k, sc)?, rate_of(rates, k, bc)?);
                let (amount_s, amount_b) = (convert(price, rs, sc)?, convert(price, rb, bc)?);
                let cost_b = convert(group_cost, rate_of(rates, sc, bc)?, bc)?;
                let embedded =
                    sub_exact(amount_b, cost_b).map_err(dec("an intercompany profit"))?;
                out.pair(
                    s,
                    PostingKey::IcReceivable,
                    PostingKey::IcRevenue,
                    amount_s,
                    PostingKind::Movement,
                    Some(i),
                    Some(sf),
                    Some(&invoice),
                );
                out.pair(
                    b,
                    PostingKey::InTransit,
                    PostingKey::IcPayable,
                    amount_b,
                    PostingKind::Movement,
                    Some(i),
                    None,
                    Some(&invoice),
                );
                let mut inv = docs(DocKind::Invoice, "INV", &sell, &buy);
                inv.number.clone_from(&invoice);
                plan.documents.push(inv);
                let item = |rate: Decimal, functional: Money| OpenItem {
                    seller: sell.clone(),
                    buyer: buy.clone(),
                    document: invoice.clone(),
                    transfer: number.to_owned(),
                    qty: q,
                    amount: money(price, k),
                    rate,
                    invoice_rate: rb,
                    functional,
                };
                plan.receivables.push(item(rs, money(amount_s, sc)));
                plan.payables.push(item(rb, money(amount_b, bc)));
                plan.period.push(((s, b), amount_s, embedded));
                tr.owner = b;
                tr.value = amount_b;
                tr.profit = embedded;
                tr.invoices = 1;
            }
            TitlePoint::Receipt => {
                Self::issue_lines(out, &step, PostingKey::InTransit, sf, doc);
                tr.value = cost;
                tr.price_left = price;
                tr.group_cost_left = group_cost;
            }
        }
        self.push_step(out, plan, step)?;
        if let Some(updated) = plan.updated.remove(&t) {
            tr.value = updated.value;
            tr.group_cost_left = updated.group_cost_left;
        }
        plan.new_transfer = Some(tr);
        Ok(())
    }

    #[allow(clippy::too_many_lines)] // both title points, both entities' books
    fn plan_transfer_receipt(
        &self,
        ev: &CostEvent,
        out: &mut Out<'_>,
        plan: &mut Plan,
        number: &str,
        qty: Qty,
        rates: &[Rate],
    ) -> Res<()> {
        let (t, tr) = self.open_transfer(number)?;
        let mut tr = plan.transfer(t, tr);
        if ev.at < tr.shipped_at {
            return Err(ValuationError::BeforeShipment {
                transfer: number.to_owned(),
                shipped_at: tr.shipped_at,
            });
        }
        let r = self.base(tr.item, qty, "a transfer receipt quantity")?;
        let remaining = sub_exact(tr.shipped, tr.received).map_err(dec("a transfer balance"))?;
        if r > remaining {
            return Err(ValuationError::OverReceipt { transfer: number.to_owned(), remaining });
        }
        let (s, b, i, st) = (tr.seller, tr.buyer, tr.item, tr.to);
        let ps = self.pool_site(b, st)?;
        let doc = Some(number);
        let agreement = tr.agreement.and_then(|a| self.agreements.get(a));
        match agreement {
            Some(a) if a.title == TitlePoint::Receipt => {
                let (sc, bc, k) = (self.ent(s)?.currency, self.ent(b)?.currency, a.currency);
                let cost = share(tr.value, r, remaining, sc)?;
                let price = share(tr.price_left, r, remaining, k)?;
                let group_cost = share(tr.group_cost_left, r, remaining, sc)?;
                let (rs, rb) = (rate_of(rates, k, sc)?, rate_of(rates, k, bc)?);
                let (amount_s, amount_b) = (convert(price, rs, sc)?, convert(price, rb, bc)?);
                let cost_b = convert(group_cost, rate_of(rates, sc, bc)?, bc)?;
                let embedded =
                    sub_exact(amount_b, cost_b).map_err(dec("an intercompany profit"))?;
                // A count restored from a snapshot may be anything a `u32` holds.
                let next = tr
                    .invoices
                    .checked_add(1)
                    .ok_or(ValuationError::Overflow("an invoice count"))?;
                let invoice = format!("INV-{number}-{next}");
                let inv = Some(invoice.as_str());
                out.pair(
                    s,
                    PostingKey::CostOfSales,
                    PostingKey::InTransit,
                    cost,
                    PostingKind::Movement,
                    Some(i),
                    None,
                    doc,
                );
                out.pair(
                    s,
                    PostingKey::IcReceivable,
                    PostingKey::IcRevenue,
                    amount_s,
                    PostingKind::Movement,
                    Some(i),
                    None,
                    inv,
                );
                let step = self.plan_op(
                    ev,
                    b,
                    i,
                    ps,
                    &Request::Receive { qty: r, value: amount_b, profit: embedded },
                )?;
                Self::receive_lines(out, &step, PostingKey::IcPayable, amount_b, st, inv);
                let (sell, buy) = (self.ent(s)?.code.clone(), self.ent(b)?.code.clone());
                let item_code = self
                    .catalog
                    .item(i)
                    .map(|x| x.code.clone())
                    .ok_or(ValuationError::Overflow("an item handle"))?;
                plan.documents.push(IcDocument {
                    kind: DocKind::Invoice,
                    number: invoice.clone(),
                    entity: sell.clone(),
                    counterparty: buy.clone(),
                    reference: number.to_owned(),
                    item: item_code,
                    qty: r,
                    amount: money(price, k),
                    at: ev.at,
                });
                let item = |rate: Decimal, functional: Money| OpenItem {
                    seller: sell.clone(),
                    buyer: buy.clone(),
                    document: invoice.clone(),
                    transfer: number.to_owned(),
                    qty: r,
                    amount: money(price, k),
                    rate,
                    invoice_rate: rb,
                    functional,
                };
                plan.receivables.push(item(rs, money(amount_s, sc)));
                plan.payables.push(item(rb, money(amount_b, bc)));
                plan.period.push(((s, b), amount_s, embedded));
                tr.value = sub_exact(tr.value, cost).map_err(dec("a transfer balance"))?;
                tr.price_left =
                    sub_exact(tr.price_left, price).map_err(dec("a transfer balance"))?;
                tr.group_cost_left =
                    sub_exact(tr.group_cost_left, group_cost).map_err(dec("a transfer balance"))?;
                tr.invoices = next;
                plan.receipt = Some(r);
                plan.put_transfer(t, tr.clone());
                self.push_step(out, plan, step)?;
            }
            _ => {
                let owner = tr.owner;
                let currency = self.ent(owner)?.currency;
                let value = share(tr.value, r, remaining, currency)?;
                let profit = share(tr.profit, r, remaining, currency)?;
                let step = self.plan_op(
                    ev,
                    owner,
                    i,
                    self.pool_site(owner, st)?,
                    &Request::Receive { qty: r, value, profit },
                )?;
                Self::receive_lines(out, &step, PostingKey::InTransit, value, st, doc);
                tr.value = sub_exact(tr.value, value).map_err(dec("a transfer balance"))?;
                tr.profit = sub_exact(tr.profit, profit).map_err(dec("a transfer balance"))?;
                plan.receipt = Some(r);
                plan.put_transfer(t, tr.clone());
                self.push_step(out, plan, step)?;
            }
        }
        if let Some(mut tr) = plan.updated.remove(&t) {
            tr.received = add_exact(tr.received, r).map_err(dec("a transfer balance"))?;
            plan.put_transfer(t, tr);
        }
        Ok(())
    }

    // ---- committing --------------------------------------------------------------

    fn commit(&mut self, ev: &CostEvent, plan: Plan, fp: u64) {
        let mut seen = Seen { fingerprint: fp, kind: 0, idx: 0 };
        if let Some(step) = plan.step {
            let record = step.change.receipt_record();
            let slot = match step.target {
                Target::Slot(s) => s,
                Target::New(sl) => {
                    let s = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
                    self.slot_ix.insert(pool_key(step.entity, step.item, step.site), s);
                    self.slots.push(*sl);
                    s
                }
            };
            let moved = if let Some(sl) = self.slots.get_mut(slot as usize) {
                sl.commit(step.change)
            } else {
                debug_assert!(false, "a step for slot {slot}, which does not exist");
                Vec::new()
            };
            // A back-dated receipt moved the records of the later receipts.
            for (event, rcpt) in moved {
                let k = self.seen_of(event).and_then(Seen::receipt);
                if let Some(r) = k.and_then(|k| self.receipts.get_mut(k as usize)) {
                    r.rcpt = rcpt;
                }
            }
            match (plan.receipt, plan.sale, record) {
                (Some(qty), _, Some(rcpt)) => {
                    seen.kind = plan.kind.unwrap_or(Seen::RECEIPT);
                    seen.idx = u32::try_from(self.receipts.len()).unwrap_or(u32::MAX);
                    self.receipts.push(ReceiptSeen { slot, rcpt, qty });
                }
                (None, Some((qty, value)), _) => {
                    seen.kind = plan.kind.unwrap_or(Seen::SALE);
                    seen.idx = u32::try_from(self.sales.len()).unwrap_or(u32::MAX);
                    self.sales.push(SaleSeen { slot, qty, value });
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

impl Valuation {
    // ---- reading ---------------------------------------------------------------------

    /// What was recorded for an applied event.
    pub(crate) fn seen_of(&self, id: u64) -> Option<&Seen> {
        self.seen.get(id).and_then(|at| self.seen_log.get(at as usize))
    }

    fn view(&self, sl: &Slot) -> Option<PoolView> {
        let e = self.entities.get(usize::from(sl.entity))?;
        let (st, sc) = (&sl.pool.state, sl.pool.scales);
        Some(PoolView {
            entity: e.code.clone(),
            item: self.catalog.item(sl.item)?.code.clone(),
            site: sl.site.and_then(|s| self.catalog.site(s)).map(|s| s.code.clone()),
            method: st.method,
            qty: sc.qty_out(st.book_qty()),
            value: sc.value_out(st.book_value()),
            profit: sc.value_out(st.profit),
            currency: e.currency,
            layers: st.layers(&sl.pool, sc).collect(),
            unit_cost: st.unit_cost(&sl.pool, sc),
            shortfall: sc.qty_out(st.short.0),
            shortfall_value: sc.value_out(st.short.1),
        })
    }

    /// The pool of `entity`'s `item` (at `site`, for an entity valued per site; the
    /// site is ignored otherwise).
    #[must_use]
    pub fn pool(
        &self,
        entity: &EntityCode,
        item: &ItemCode,
        site: Option<&SiteCode>,
    ) -> Option<PoolView> {
        let e = self.entity(entity).ok()?;
        let i = self.item(item).ok()?;
        let ps = match site {
            Some(code) if self.ent(e).ok()?.per_site => Some(self.site(code).ok()?),
            _ => None,
        };
        let slot = self.slot_of(e, i, ps)?;
        self.view(self.slots.get(slot as usize)?)
    }

    /// Every pool, by entity, item and site code.
    #[must_use]
    pub fn pools(&self) -> Vec<PoolView> {
        let mut out: Vec<PoolView> = self.slots.iter().filter_map(|sl| self.view(sl)).collect();
        out.sort_by(|a, b| (&a.entity, &a.item, &a.site).cmp(&(&b.entity, &b.item, &b.site)));
        out
    }

    /// The value of `entity`'s inventory on hand (the sum of its pools).
    #[must_use]
    pub fn inventory_value(&self, entity: &EntityCode) -> Decimal {
        let Ok(e) = self.entity(entity) else { return Decimal::ZERO };
        let Ok(currency) = self.ent(e).map(|x| x.currency) else { return Decimal::ZERO };
        at_scale(
            total(
                self.slots
                    .iter()
                    .filter(|s| s.entity == e)
                    .map(|s| s.pool.scales.value_out(s.pool.state.book_value())),
            ),
            currency,
        )
    }

    /// Every transfer, by document number.
    #[must_use]
    pub fn transfers(&self) -> Vec<TransitView> {
        let code = |e: u16| self.entities.get(usize::from(e)).map(|x| x.code.clone());
        let mut out: Vec<TransitView> = self
            .transfers
            .iter()
            .filter_map(|t| {
                Some(TransitView {
                    transfer: t.number.clone(),
                    item: self.catalog.item(t.item)?.code.clone(),
                    seller: code(t.seller)?,
                    buyer: code(t.buyer)?,
                    owner: code(t.owner)?,
                    shipped: t.shipped,
                    received: t.received,
                    value: t.value,
                    profit: t.profit,
                    closed: t.closed,
                })
            })
            .collect();
        out.sort_by(|a, b| a.transfer.cmp(&b.transfer));
        out
    }

    /// The value `entity` carries in transit (goods it owns on the way).
    #[must_use]
    pub fn in_transit_value(&self, entity: &EntityCode) -> Decimal {
        let Ok(e) = self.entity(entity) else { return Decimal::ZERO };
        let Ok(currency) = self.ent(e).map(|x| x.currency) else { return Decimal::ZERO };
        at_scale(total(self.transfers.iter().filter(|t| t.owner == e).map(|t| t.value)), currency)
    }

    /// What `entity` holds of `item`, in base units: on hand at its sites (its pools of
    /// the item) and on the way in transfers it owns. O(sites of the entity).
    #[must_use]
    pub fn held(&self, entity: &EntityCode, item: &ItemCode) -> Held {
        let (Ok(e), Ok(i)) = (self.entity(entity), self.item(item)) else {
            return Held::default();
        };
        let qty = |site: Option<SiteIx>| {
            self.slot_of(e, i, site)
                .and_then(|s| self.slots.get(s as usize))
                .map_or(Decimal::ZERO, |sl| sl.pool.scales.qty_out(sl.pool.state.book_qty()))
        };
        let on_hand = if self.entities.get(usize::from(e)).is_some_and(|x| x.per_site) {
            total(
                self.catalog
                    .sites()
                    .filter(|(s, _)| {
                        self.catalog.site_entity(*s).and_then(|x| u16::try_from(x.index()).ok())
                            == Some(e)
                    })
                    .map(|(s, _)| qty(Some(s)))
                    .chain(
                        // A per-site entity's stock at sites of others (an owner given).
                        self.slots
                            .iter()
                            .filter(|sl| {
                                sl.entity == e
                                    && sl.item == i
                                    && sl
                                        .site
                                        .and_then(|s| self.catalog.site_entity(s))
                                        .and_then(|x| u16::try_from(x.index()).ok())
                                        != Some(e)
                            })
                            .map(|sl| sl.pool.scales.qty_out(sl.pool.state.book_qty())),
                    ),
            )
        } else {
            qty(None)
        };
        let in_transit = self.transit_qty.get(&(e, i.raw())).copied().unwrap_or_default();
        Held { on_hand, in_transit }
    }

    /// What every entity holds of every item it ever valued, by entity and item code.
    #[must_use]
    pub fn held_all(&self) -> BTreeMap<(EntityCode, ItemCode), Held> {
        let mut out: BTreeMap<(EntityCode, ItemCode), Held> = BTreeMap::new();
        let code = |e: u16, i: ItemIx| {
            Some((
                self.entities.get(usize::from(e))?.code.clone(),
                self.catalog.item(i)?.code.clone(),
            ))
        };
        for sl in &self.slots {
            if let Some(k) = code(sl.entity, sl.item) {
                let h = out.entry(k).or_default();
                let q = sl.pool.scales.qty_out(sl.pool.state.book_qty());
                h.on_hand = h.on_hand.checked_add(q).unwrap_or(Decimal::MAX);
            }
        }
        for (&(e, i), q) in &self.transit_qty {
            if let Some(k) = code(e, ItemIx::new(i)) {
                out.entry(k).or_default().in_transit = *q;
            }
        }
        out
    }

    /// Counts a transfer's goods on the way into (or, `add` false, out of) its owner's
    /// in-transit quantity.
    pub(crate) fn count_transit(&mut self, t: &Transfer, add: bool) {
        let q = on_the_way(t);
        if q.is_zero() {
            return;
        }
        let sum = self.transit_qty.entry((t.owner, t.item.raw())).or_default();
        let next = if add { sum.checked_add(q) } else { sum.checked_sub(q) };
        debug_assert!(next.is_some(), "in-transit quantity beyond the decimal range");
        *sum = next.unwrap_or(*sum);
        if sum.is_zero() {
            self.transit_qty.remove(&(t.owner, t.item.raw()));
        }
    }

    /// The intercompany documents issued, in order.
    #[must_use]
    pub fn documents(&self) -> &[IcDocument] {
        &self.documents
    }

    /// The sellers' intercompany receivables, in order.
    #[must_use]
    pub fn receivables(&self) -> &[OpenItem] {
        &self.receivables
    }

    /// The buyers' intercompany payables, in order.
    #[must_use]
    pub fn payables(&self) -> &[OpenItem] {
        &self.payables
    }

    /// Transfers with goods still on the way (for [`reconcile`](crate::reconcile)).
    #[must_use]
    pub fn open_transfers(&self) -> std::collections::BTreeSet<String> {
        self.transfers
            .iter()
            .filter(|t| !t.closed && t.received < t.shipped)
            .map(|t| t.number.clone())
            .collect()
    }

    /// The intercompany profit still embedded in what `buyer` holds: on hand, and in
    /// transit that it already owns, in its own currency.
    #[must_use]
    pub fn unrealized_profit(&self, buyer: &EntityCode) -> Decimal {
        let Ok(b) = self.entity(buyer) else { return Decimal::ZERO };
        let held = self
            .slots
            .iter()
            .filter(|s| s.entity == b)
            .map(|s| s.pool.scales.value_out(s.pool.state.profit));
        let moving = self.transfers.iter().filter(|t| t.owner == b).map(|t| t.profit);
        let Ok(currency) = self.ent(b).map(|x| x.currency) else { return Decimal::ZERO };
        at_scale(total(held.chain(moving)), currency)
    }

    /// The period is closed through this time, if any.
    #[must_use]
    pub fn closed_through(&self) -> Option<DateTime<Utc>> {
        self.closed_through
    }

    // ---- period end ----------------------------------------------------------------

    /// Closes the period through `through`: later events may not be effective at or
    /// before it, and the history each pool keeps for back-dated movements starts
    /// after it.
    ///
    /// # Errors
    /// [`ValuationError::CloseNotForward`] for a close that does not move forward.
    pub fn close_period(&mut self, through: DateTime<Utc>) -> Res<()> {
        if let Some(c) = self.closed_through
            && through <= c
        {
            return Err(ValuationError::CloseNotForward(c));
        }
        // Work out every pool's new base before changing any.
        let mut bases = Vec::with_capacity(self.slots.len());
        for (k, sl) in self.slots.iter().enumerate() {
            if let Some((n, base)) = sl
                .state_through(through)
                .map_err(|_| ValuationError::Overflow("a period close replay"))?
            {
                bases.push((k, n, base));
            }
        }
        for (k, n, base) in bases {
            if let Some(sl) = self.slots.get_mut(k) {
                sl.close(n, base);
            }
        }
        self.closed_through = Some(through);
        Ok(())
    }

    /// Consolidates the intercompany activity since the last run into the group
    /// currency: eliminates the period's intercompany revenue against cost of sales,
    /// removes the profit still held in buyers' inventory (on hand and owned in transit)
    /// at the end, and releases the profit that was held at the start (through retained
    /// earnings). `rates` convert each entity's currency into `currency`.
    ///
    /// # Errors
    /// [`ValuationError::MissingRate`] or [`ValuationError::Overflow`]; nothing changes.
    pub fn consolidate(
        &mut self,
        run: u64,
        group: &EntityCode,
        currency: CurrencyCode,
        rates: &[Rate],
    ) -> Res<Consolidation> {
        let mut buyers: BTreeMap<EntityCode, Unrealized> = BTreeMap::new();
        let mut revenue: BTreeMap<(EntityCode, EntityCode), Decimal> = BTreeMap::new();
        let mut postings = Vec::new();
        let mut closing_by: BTreeMap<u16, Decimal> = BTreeMap::new();
        let line = |key: PostingKey, amount: Decimal, doc: &str, postings: &mut Vec<Posting>| {
            if amount.is_zero() {
                return;
            }
            postings.push(Posting {
                event: run,
                entity: group.clone(),
                key,
                account: self.config_account(group, key),
                amount: at_scale(amount, currency),
                currency,
                kind: PostingKind::Elimination,
                item: None,
                site: None,
                document: Some(doc.to_owned()),
            });
        };
        for ((s, b), p) in &self.period {
            let (se, be) = (self.ent(*s)?, self.ent(*b)?);
            let rev = convert(p.revenue, rate_of(rates, se.currency, currency)?, currency)?;
            revenue.insert((se.code.clone(), be.code.clone()), at_scale(rev, currency));
            let doc = format!("intercompany sales {} -> {}", se.code, be.code);
            line(PostingKey::IcRevenue, rev, &doc, &mut postings);
            line(PostingKey::CostOfSales, -rev, &doc, &mut postings);
        }
        // Every entity that ever bought, or holds profit now.
        let mut involved: Vec<u16> = self.eliminated.keys().copied().collect();
        involved.extend(self.period.keys().map(|(_, b)| *b));
        involved.extend(self.slots.iter().filter(|s| s.pool.state.profit != 0).map(|s| s.entity));
        involved.extend(self.transfers.iter().filter(|t| !t.profit.is_zero()).map(|t| t.owner));
        involved.sort_unstable();
        involved.dedup();
        for b in involved {
            let be = self.ent(b)?;
            let rate = rate_of(rates, be.currency, currency)?;
            let held = self.unrealized_profit(&be.code);
            let closing = convert(held, rate, currency)?;
            let created_local =
                total(self.period.iter().filter(|((_, x), _)| *x == b).map(|(_, p)| p.created));
            let created = convert(created_local, rate, currency)?;
            let opening = self.eliminated.get(&b).copied().unwrap_or_default();
            let realized = add_exact(opening, created)
                .and_then(|x| sub_exact(x, closing))
                .map_err(dec("the realized intercompany profit"))?;
            let doc = format!("unrealized profit held by {}", be.code);
            line(PostingKey::CostOfSales, closing, &doc, &mut postings);
            line(PostingKey::Inventory, -closing, &doc, &mut postings);
            line(PostingKey::RetainedEarnings, opening, &doc, &mut postings);
            line(PostingKey::CostOfSales, -opening, &doc, &mut postings);
            let g = |x: Decimal| at_scale(x, currency);
            buyers.insert(
                be.code.clone(),
                Unrealized {
                    opening: g(opening),
                    created: g(created),
                    closing: g(closing),
                    realized: g(realized),
                },
            );
            closing_by.insert(b, closing);
        }
        self.eliminated = closing_by;
        self.period.clear();
        Ok(Consolidation { run, currency, buyers, revenue, postings })
    }

    fn config_account(&self, entity: &EntityCode, key: PostingKey) -> AccountCode {
        self.accounts.account(entity, key)
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
/// usual case) are appended to a sorted vector, so a new id needs no look-up at all and
/// the index costs 12 bytes per event; the others go to a hash map.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ids {
    pub(crate) sorted: Vec<u64>,
    pub(crate) at: Vec<u32>,
    pub(crate) others: Map<u64, u32>,
}

impl Ids {
    pub(crate) fn get(&self, id: u64) -> Option<u32> {
        match self.sorted.last() {
            Some(&last) if id <= last => match self.sorted.binary_search(&id) {
                Ok(k) => self.at.get(k).copied(),
                Err(_) => self.others.get(&id).copied(),
            },
            // Ids in `others` are all below the largest sorted one.
            _ => None,
        }
    }

    pub(crate) fn insert(&mut self, id: u64, at: u32) {
        if self.sorted.last().is_none_or(|&last| id > last) {
            self.sorted.push(id);
            self.at.push(at);
        } else {
            self.others.insert(id, at);
        }
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
    sale: Option<(Decimal, Decimal)>,
    /// The entity and value the event took out of a pool.
    issued: Option<(u16, Decimal)>,
    /// A return against a sale: the sale, and its returned quantity and value after it.
    returned: Option<(u64, Decimal, Decimal)>,
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
}
