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
use crate::intercompany::{DocKind, IcDocument, OpenItem};
use crate::pool::{Layer, Method, Pool, PoolError, PoolPlan, total};
use crate::posting::{Posting, PostingKey, PostingKind};

type Res<T> = Result<T, ValuationError>;

/// The largest amount a posting may carry (10^15 in any currency): sums over millions
/// of pools then stay exact at the currency's minor units.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(2_764_472_320, 232_830, 0, false, 0);

/// Take a snapshot of a pool every this many operations, so a back-dated movement
/// replays at most this many operations before the ones it changes.
const SNAPSHOT_EVERY: usize = 64;

/// What applying an event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Applied: the postings (balanced per entity and currency) and any intercompany
    /// documents it produced.
    Posted {
        /// The posting lines.
        postings: Vec<Posting>,
        /// Intercompany documents issued.
        documents: Vec<IcDocument>,
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
struct Entity {
    code: EntityCode,
    currency: CurrencyCode,
    method: Method,
    per_site: bool,
    negative: NegativeStock,
    accounts: [AccountCode; PostingKey::ALL.len()],
}

/// Where the value an issue takes goes, for corrections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Counter {
    Key(PostingKey),
    Transfer(u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum OpKind {
    Receive { qty: Decimal, value: Decimal, profit: Decimal },
    Issue { qty: Decimal, negative: bool, counter: Counter },
    AddCost { origin: u64, received: Decimal, amount: Decimal, rest: PostingKey },
    SetStandard { cost: Decimal },
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct OpOut {
    /// Issue: how much went out without stock.
    short: Decimal,
    /// Receive: debit to inventory; issue: value taken; add-cost: part kept in
    /// inventory; standard: the revaluation.
    value: Decimal,
    profit: Decimal,
    /// Shortfall true-ups by the tag (posting key) of the issue covered.
    trueups: Vec<(u8, Decimal)>,
    residue: Decimal,
}

#[derive(Debug, Clone)]
struct Op {
    at: DateTime<Utc>,
    event: u64,
    kind: OpKind,
    out: OpOut,
}

#[derive(Debug, Clone)]
struct Slot {
    entity: u16,
    item: ItemIx,
    site: Option<SiteIx>,
    /// When the latest operation took effect (kept here so the common, in-order event
    /// does not have to read the history).
    last_at: Option<DateTime<Utc>>,
    pool: Pool,
    /// The state before `ops[0]` (at the last period close).
    base: Pool,
    ops: Vec<Op>,
    /// `(n, state after ops[..n])`, ascending.
    snaps: Vec<(usize, Pool)>,
}

#[derive(Debug, Clone)]
struct Transfer {
    number: String,
    item: ItemIx,
    to: SiteIx,
    seller: u16,
    buyer: u16,
    owner: u16,
    agreement: Option<usize>,
    shipped: Decimal,
    received: Decimal,
    /// Owner's currency: what is still in transit is worth.
    value: Decimal,
    /// Embedded intercompany profit in what is in transit (buyer's currency).
    profit: Decimal,
    /// Title at receipt: the price of what is still in transit (agreement currency) and
    /// the group's cost of it (seller's currency: cost less profit already embedded).
    price_left: Decimal,
    group_cost_left: Decimal,
    invoices: u32,
    shipped_at: DateTime<Utc>,
    closed: bool,
}

#[derive(Debug, Clone, Copy, Default)]
struct IcPeriod {
    revenue: Decimal,
    created: Decimal,
}

/// The valuation engine.
#[derive(Debug, Clone)]
pub struct Valuation {
    catalog: Arc<Catalog>,
    entities: Vec<Entity>,
    methods: Map<(u16, u32), Method>,
    standards: Map<(u16, u32, u16), Decimal>,
    agreements: Vec<Agreement>,
    accounts: crate::posting::Accounts,
    agreement_ix: Map<(u16, u16), usize>,
    slots: Vec<Slot>,
    slot_ix: Map<u64, u32>,
    transfers: Vec<Transfer>,
    transfer_ix: Map<String, u32>,
    /// Every applied event by id, as a position in `seen_log` (a small entry, so the
    /// table stays compact as it grows).
    seen: Map<u64, u32>,
    /// Every applied event, in order: its fingerprint, and for receipts (landed cost)
    /// and sales (returns) the pool, quantity and value.
    seen_log: Vec<Seen>,
    seq: u64,
    closed_through: Option<DateTime<Utc>>,
    documents: Vec<IcDocument>,
    receivables: Vec<OpenItem>,
    payables: Vec<OpenItem>,
    period: BTreeMap<(u16, u16), IcPeriod>,
    eliminated: BTreeMap<u16, Decimal>,
}

const NO_SITE: u16 = u16::MAX;

fn pool_key(entity: u16, item: ItemIx, site: Option<SiteIx>) -> u64 {
    let site = site.and_then(|s| u16::try_from(s.index()).ok()).unwrap_or(NO_SITE);
    (u64::from(entity) << 48) | (u64::from(site) << 32) | u64::from(item.raw())
}

fn dec(what: &'static str) -> impl Fn(onhand_master::DecimalError) -> ValuationError {
    move |_| ValuationError::Overflow(what)
}

fn positive(what: &'static str, v: Decimal) -> Res<()> {
    if v > Decimal::ZERO { Ok(()) } else { Err(ValuationError::NotPositive { what, value: v }) }
}

/// Postings being built for one event.
struct Out<'a> {
    v: &'a Valuation,
    event: u64,
    lines: Vec<Posting>,
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
        let Some(e) = self.v.entities.get(usize::from(entity)) else { return };
        let account = key_index(key).and_then(|k| e.accounts.get(k)).cloned();
        let Some(account) = account else { return };
        let cat = &self.v.catalog;
        let amount = at_scale(amount, e.currency);
        self.lines.push(Posting {
            event: self.event,
            entity: e.code.clone(),
            key,
            account,
            amount,
            currency: e.currency,
            kind,
            item: item.and_then(|i| cat.item(i)).map(|i| i.code.clone()),
            site: site.and_then(|s| cat.site(s)).map(|s| s.code.clone()),
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
fn money(amount: Decimal, currency: CurrencyCode) -> Money {
    Money::new(at_scale(amount, currency), currency)
}

/// The tag a shortfall carries: the index of the posting key its issue went to.
fn key_tag(key: PostingKey) -> u8 {
    key_index(key).and_then(|k| u8::try_from(k).ok()).unwrap_or(0)
}

/// The posting key of a shortfall tag.
fn tag_key(tag: u8) -> PostingKey {
    PostingKey::ALL.get(usize::from(tag)).copied().unwrap_or(PostingKey::CostOfSales)
}

fn key_index(key: PostingKey) -> Option<usize> {
    PostingKey::ALL.iter().position(|k| *k == key)
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
            seen: map(),
            seen_log: Vec::new(),
            seq: 0,
            closed_through: None,
            documents: Vec::new(),
            receivables: Vec::new(),
            payables: Vec::new(),
            period: BTreeMap::new(),
            eliminated: BTreeMap::new(),
        };
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

    fn entity(&self, code: &EntityCode) -> Res<u16> {
        self.catalog
            .entity_ix(code)
            .and_then(|e| u16::try_from(e.index()).ok())
            .ok_or_else(|| ValuationError::UnknownEntity(code.clone()))
    }

    fn item(&self, code: &ItemCode) -> Res<ItemIx> {
        self.catalog.item_ix(code).ok_or_else(|| ValuationError::UnknownItem(code.clone()))
    }

    fn site(&self, code: &SiteCode) -> Res<SiteIx> {
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

    fn ent(&self, e: u16) -> Res<&Entity> {
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

    fn method_of(&self, e: u16, item: ItemIx) -> Res<Method> {
        Ok(self.methods.get(&(e, item.raw())).copied().unwrap_or(self.ent(e)?.method))
    }

    /// The slot for a pool, if it exists.
    fn slot_of(&self, e: u16, item: ItemIx, site: Option<SiteIx>) -> Option<u32> {
        self.slot_ix.get(&pool_key(e, item, site)).copied()
    }

    /// A fresh pool for `(e, item, site)` (not yet stored).
    fn fresh_pool(&self, e: u16, item: ItemIx, site: Option<SiteIx>) -> Res<Pool> {
        let method = self.method_of(e, item)?;
        let site16 = site.and_then(|s| u16::try_from(s.index()).ok()).unwrap_or(NO_SITE);
        let std = self
            .standards
            .get(&(e, item.raw(), site16))
            .or_else(|| self.standards.get(&(e, item.raw(), NO_SITE)))
            .copied()
            .unwrap_or_default();
        Pool::new(method, self.ent(e)?.currency.minor_units(), std)
            .map_err(|_| ValuationError::Overflow("a currency scale"))
    }

    /// The pool's current state, or a fresh one.
    fn pool_now(&self, e: u16, item: ItemIx, site: Option<SiteIx>) -> Res<Pool> {
        match self.slot_of(e, item, site).and_then(|s| self.slots.get(s as usize)) {
            Some(slot) => Ok(slot.pool.clone()),
            None => self.fresh_pool(e, item, site),
        }
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
            _ => ValuationError::Overflow("a pool valuation"),
        }
    }

    // ---- planning --------------------------------------------------------------------

    /// Runs one operation's plan on `pool` (no change): the plan and what it reports.
    fn run(pool: &Pool, event: u64, kind: &OpKind) -> Result<(PoolPlan, OpOut), PoolError> {
        Ok(match kind {
            OpKind::Receive { qty, value, profit } => {
                let p = pool.plan_receive(*qty, *value, *profit)?;
                let o = OpOut {
                    value: p.out.inventory,
                    trueups: p.out.trueups.clone(),
                    residue: p.out.residue,
                    ..OpOut::default()
                };
                (PoolPlan::Receive(event, p), o)
            }
            OpKind::Issue { qty, negative, counter } => {
                // A transfer never ships without stock (see `plan_ship`).
                let tag = match counter {
                    Counter::Key(k) => key_tag(*k),
                    Counter::Transfer(_) => key_tag(PostingKey::InTransit),
                };
                let p = pool.plan_issue(*qty, *negative, tag)?;
                let o = OpOut {
                    value: p.out.value,
                    profit: p.out.profit,
                    residue: p.out.residue,
                    short: p.out.short,
                    ..OpOut::default()
                };
                (PoolPlan::Issue(p), o)
            }
            OpKind::AddCost { origin, received, amount, .. } => {
                let p = pool.plan_add_cost(*origin, *received, *amount)?;
                (PoolPlan::AddCost(p), OpOut { value: p.kept, ..OpOut::default() })
            }
            OpKind::SetStandard { cost } => {
                let (reval, p) = pool.plan_set_standard(*cost)?;
                (p, OpOut { value: reval, ..OpOut::default() })
            }
        })
    }

    /// Plans operation `kind` of event `ev` on the pool `(e, i, ps)`: appended when it is
    /// the pool's latest, otherwise replayed into the pool's history.
    fn plan_op(
        &self,
        ev: &CostEvent,
        e: u16,
        i: ItemIx,
        ps: Option<SiteIx>,
        kind: OpKind,
    ) -> Res<Step> {
        let requested = match &kind {
            OpKind::Receive { qty, .. } | OpKind::Issue { qty, .. } => *qty,
            _ => Decimal::ZERO,
        };
        let slot = self.slot_of(e, i, ps);
        let (target, plan, out, kind) = if let Some((s, sl)) =
            slot.and_then(|s| self.slots.get(s as usize).map(|sl| (s, sl)))
        {
            if sl.last_at.is_some_and(|last| ev.at < last) {
                return self.plan_backdated(ev, s, sl, kind, requested);
            }
            let (plan, out) = Self::run(&sl.pool, ev.id, &kind)
                .map_err(|err| self.pool_error(err, e, i, ps, requested))?;
            (Target::Slot(s), plan, out, kind)
        } else {
            let pool = self.fresh_pool(e, i, ps)?;
            let (plan, out) = Self::run(&pool, ev.id, &kind)
                .map_err(|err| self.pool_error(err, e, i, ps, requested))?;
            (Target::New(Box::new(pool)), plan, out, kind)
        };
        let op = Op { at: ev.at, event: ev.id, kind, out: out.clone() };
        Ok(Step {
            target,
            change: Change::Append(plan, op),
            corrections: Vec::new(),
            out,
            entity: e,
            item: i,
            site: ps,
        })
    }

    /// Replays the pool's history with the back-dated operation in its place.
    fn plan_backdated(
        &self,
        ev: &CostEvent,
        slot: u32,
        sl: &Slot,
        kind: OpKind,
        requested: Decimal,
    ) -> Res<Step> {
        let (e, i, ps) = (sl.entity, sl.item, sl.site);
        let at = sl.ops.partition_point(|o| o.at <= ev.at);
        let (start, mut pool) = match sl.snaps.iter().rev().find(|(n, _)| *n <= at) {
            Some((n, p)) => (*n, p.clone()),
            None => (0, sl.base.clone()),
        };
        let err = |x: PoolError| self.pool_error(x, e, i, ps, requested);
        for op in sl.ops.get(start..at).unwrap_or_default() {
            let (plan, _) = Self::run(&pool, op.event, &op.kind).map_err(err)?;
            pool.commit(plan);
        }
        let mut ops: Vec<Op> = sl.ops.get(..at).unwrap_or_default().to_vec();
        let (plan, out) = Self::run(&pool, ev.id, &kind).map_err(err)?;
        pool.commit(plan);
        let new_out = out.clone();
        ops.push(Op { at: ev.at, event: ev.id, kind, out });
        let mut corrections = Vec::new();
        for op in sl.ops.get(at..).unwrap_or_default() {
            let (plan, out) = Self::run(&pool, op.event, &op.kind).map_err(|x| match x {
                PoolError::Insufficient { .. } | PoolError::NoCost => {
                    ValuationError::BackDatedShortage { event: op.event, cause: Box::new(err(x)) }
                }
                other => err(other),
            })?;
            pool.commit(plan);
            let mut op = op.clone();
            if out != op.out {
                corrections.push((op.clone(), out.clone()));
            }
            op.out = out;
            ops.push(op);
        }
        Ok(Step {
            target: Target::Slot(slot),
            change: Change::Replace { pool, ops, keep_snaps: at },
            corrections,
            out: new_out,
            entity: e,
            item: i,
            site: ps,
        })
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
        // A repeat is recognised first, so a retried delivery after a period close is
        // still a no-op rather than an error.
        let fp = onhand_master::hash::fingerprint(ev);
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
        let v: &Valuation = self;
        let mut out = Out { v, event: ev.id, lines: Vec::with_capacity(2) };
        let mut plan = Plan::default();
        v.plan_body(ev, &mut out, &mut plan)?;
        let postings = out.lines;
        // Every amount must be carried exactly at its currency's minor units, with room
        // for sums over many pools.
        if let Some(p) = postings.iter().find(|p| p.amount.abs() > MAX_AMOUNT) {
            return Err(ValuationError::TooLarge { amount: p.amount, currency: p.currency });
        }
        let documents = plan.documents.clone();
        self.commit(ev, plan, fp);
        Ok(Outcome::Posted { postings, documents })
    }

    #[allow(clippy::too_many_lines)] // one arm per event kind
    fn plan_body(&self, ev: &CostEvent, out: &mut Out<'_>, plan: &mut Plan) -> Res<()> {
        match &ev.body {
            CostBody::Receipt { site, item, qty, unit_cost, owner } => {
                let (i, s, e) = self.locate(item, site, owner.as_ref())?;
                self.check_currency(e, *unit_cost)?;
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
                if *to == IssueTo::Sale {
                    plan.sale = Some((q, step.out.value));
                }
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
                    self.push_step(out, plan, step)?;
                } else {
                    let ps = self.pool_site(e, s)?;
                    let value = if let Some(c) = unit_cost {
                        self.check_currency(e, *c)?;
                        Self::extend(magnitude, *c)?
                    } else {
                        {
                            let pool = self.pool_now(e, i, ps)?;
                            let unit = pool
                                .unit_cost()
                                .ok_or_else(|| self.pool_error(PoolError::NoCost, e, i, ps, q))?;
                            let v = mul_exact(q, unit).map_err(dec("an adjustment value"))?;
                            convert(v, Decimal::ONE, self.ent(e)?.currency)?
                        }
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
                }
            }
            CostBody::CustomerReturn { site, item, qty, original, unit_cost, owner } => {
                let (i, s, e) = self.locate(item, site, owner.as_ref())?;
                let q = self.base(i, *qty, "a return quantity")?;
                let currency = self.ent(e)?.currency;
                let value = match (original, unit_cost) {
                    (Some(id), _) => {
                        let (_, iq, iv) = self
                            .seen_of(*id)
                            .and_then(Seen::sale)
                            .ok_or(ValuationError::UnknownIssue(*id))?;
                        share(iv, q, iq, currency)?
                    }
                    (None, Some(c)) => {
                        self.check_currency(e, *c)?;
                        Self::extend(*qty, *c)?
                    }
                    (None, None) => return Err(ValuationError::ReturnWithoutCost),
                };
                self.receive_against(ev, out, plan, (e, i, s), q, value, PostingKey::CostOfSales)?;
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
                let (slot, received) = self
                    .seen_of(*receipt)
                    .and_then(Seen::receipt)
                    .ok_or(ValuationError::UnknownReceipt(*receipt))?;
                let sl = self
                    .slots
                    .get(slot as usize)
                    .ok_or(ValuationError::UnknownReceipt(*receipt))?;
                let (e, i, ps) = (sl.entity, sl.item, sl.site);
                self.check_currency(e, *amount)?;
                let rest = if sl.pool.method() == Method::Standard {
                    PostingKey::PriceVariance
                } else {
                    PostingKey::CostOfSales
                };
                let kind =
                    OpKind::AddCost { origin: *receipt, received, amount: amount.amount(), rest };
                let step = self.plan_op(ev, e, i, ps, kind)?;
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
                let method = self.method_of(e, i)?;
                if method != Method::Standard {
                    return Err(ValuationError::NotStandard {
                        entity: entity.clone(),
                        item: item.clone(),
                        method: method.as_str(),
                    });
                }
                let ps = match site {
                    Some(code) if self.ent(e)?.per_site => Some(self.site(code)?),
                    Some(code) => {
                        self.site(code)?;
                        None
                    }
                    None if self.ent(e)?.per_site => {
                        return Err(ValuationError::SiteRequired(entity.clone()));
                    }
                    None => None,
                };
                let step =
                    self.plan_op(ev, e, i, ps, OpKind::SetStandard { cost: cost.amount() })?;
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
        let kind = OpKind::Receive { qty: q, value, profit: Decimal::ZERO };
        let step = self.plan_op(ev, e, i, ps, kind)?;
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
    ) -> Res<Step> {
        let ps = self.pool_site(e, s)?;
        let negative = self.ent(e)?.negative == NegativeStock::LastCost;
        self.plan_op(ev, e, i, ps, OpKind::Issue { qty: q, negative, counter })
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
    fn push_step(&self, out: &mut Out<'_>, plan: &mut Plan, step: Step) -> Res<()> {
        let (e, i, ps) = (step.entity, Some(step.item), step.site);
        let c = PostingKind::Correction;
        for (op, new) in &step.corrections {
            let doc = format!("corrects event {}", op.event);
            let doc = Some(doc.as_str());
            let d = |a: Decimal, b: Decimal| sub_exact(a, b).map_err(dec("a correction"));
            match &op.kind {
                OpKind::Receive { .. } => {
                    out.pair(
                        e,
                        PostingKey::Inventory,
                        PostingKey::PriceVariance,
                        d(new.value, op.out.value)?,
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
                    for (tag, amount) in &op.out.trueups {
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
                        d(new.residue, op.out.residue)?,
                        c,
                        i,
                        ps,
                        doc,
                    );
                }
                OpKind::Issue { counter, .. } => {
                    let delta = d(new.value, op.out.value)?;
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
                        d(new.residue, op.out.residue)?,
                        c,
                        i,
                        ps,
                        doc,
                    );
                }
                OpKind::AddCost { rest, .. } => {
                    out.pair(
                        e,
                        PostingKey::Inventory,
                        *rest,
                        d(new.value, op.out.value)?,
                        c,
                        i,
                        ps,
                        doc,
                    );
                }
                OpKind::SetStandard { .. } => {
                    out.pair(
                        e,
                        PostingKey::Inventory,
                        PostingKey::Revaluation,
                        d(new.value, op.out.value)?,
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
            let kind = OpKind::Issue { qty: q, negative: false, counter: Counter::Transfer(t) };
            let step = self.plan_op(ev, s, i, self.pool_site(s, sf)?, kind)?;
            Self::issue_lines(out, &step, PostingKey::InTransit, sf, doc);
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
        let kind = OpKind::Issue { qty: q, negative: false, counter };
        let step = self.plan_op(ev, s, i, self.pool_site(s, sf)?, kind)?;
        let cost = step.out.value;
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
                let invoice = format!("INV-{number}-{}", tr.invoices + 1);
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
                    OpKind::Receive { qty: r, value: amount_b, profit: embedded },
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
                tr.invoices += 1;
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
                    OpKind::Receive { qty: r, value, profit },
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
        let (mut what, mut seen_slot, mut seen_qty, mut seen_value) =
            (0u8, 0u32, Decimal::ZERO, Decimal::ZERO);
        if let Some(step) = plan.step {
            let slot = match step.target {
                Target::Slot(s) => s,
                Target::New(pool) => {
                    let s = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
                    self.slot_ix.insert(pool_key(step.entity, step.item, step.site), s);
                    self.slots.push(Slot {
                        entity: step.entity,
                        item: step.item,
                        site: step.site,
                        last_at: None,
                        pool: (*pool).clone(),
                        base: *pool,
                        ops: Vec::new(),
                        snaps: Vec::new(),
                    });
                    s
                }
            };
            if let Some(sl) = self.slots.get_mut(slot as usize) {
                match step.change {
                    Change::Append(p, op) => {
                        sl.pool.commit(p);
                        sl.last_at = Some(op.at);
                        sl.ops.push(op);
                        if sl.ops.len() % SNAPSHOT_EVERY == 0 {
                            sl.snaps.push((sl.ops.len(), sl.pool.clone()));
                        }
                    }
                    Change::Replace { pool, ops, keep_snaps } => {
                        sl.pool = pool;
                        sl.last_at = ops.last().map(|o| o.at);
                        sl.ops = ops;
                        sl.snaps.retain(|(n, _)| *n <= keep_snaps);
                    }
                }
            }
            what = match (plan.receipt, plan.sale) {
                (Some(_), _) => Seen::RECEIPT,
                (None, Some(_)) => Seen::SALE,
                (None, None) => 0,
            };
            seen_slot = slot;
            seen_qty = plan.receipt.or(plan.sale.map(|(q, _)| q)).unwrap_or_default();
            seen_value = plan.sale.map(|(_, v)| v).unwrap_or_default();
        }
        if let Some(tr) = plan.new_transfer {
            self.transfer_ix
                .insert(tr.number.clone(), u32::try_from(self.transfers.len()).unwrap_or(u32::MAX));
            self.transfers.push(tr);
        }
        for (t, tr) in plan.updated {
            if let Some(x) = self.transfers.get_mut(t as usize) {
                *x = tr;
            }
        }
        for ((s, b), revenue, created) in plan.period {
            let p = self.period.entry((s, b)).or_default();
            p.revenue = add_exact(p.revenue, revenue).unwrap_or(p.revenue);
            p.created = add_exact(p.created, created).unwrap_or(p.created);
        }
        self.documents.extend(plan.documents);
        self.receivables.extend(plan.receivables);
        self.payables.extend(plan.payables);
        let at = u32::try_from(self.seen_log.len()).unwrap_or(u32::MAX);
        self.seen.insert(ev.id, at);
        self.seen_log.push(Seen {
            fingerprint: fp,
            kind: what,
            slot: seen_slot,
            qty: seen_qty,
            value: seen_value,
        });
        self.seq += 1;
    }
}

impl Valuation {
    // ---- reading ---------------------------------------------------------------------

    /// What was recorded for an applied event.
    fn seen_of(&self, id: u64) -> Option<&Seen> {
        self.seen.get(&id).and_then(|&at| self.seen_log.get(at as usize))
    }

    fn view(&self, sl: &Slot) -> Option<PoolView> {
        let e = self.entities.get(usize::from(sl.entity))?;
        Some(PoolView {
            entity: e.code.clone(),
            item: self.catalog.item(sl.item)?.code.clone(),
            site: sl.site.and_then(|s| self.catalog.site(s)).map(|s| s.code.clone()),
            method: sl.pool.method(),
            qty: sl.pool.qty(),
            value: at_scale(sl.pool.value(), e.currency),
            profit: at_scale(sl.pool.profit(), e.currency),
            currency: e.currency,
            layers: sl.pool.layers().cloned().collect(),
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
            total(self.slots.iter().filter(|s| s.entity == e).map(|s| s.pool.value())),
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
        let held = self.slots.iter().filter(|s| s.entity == b).map(|s| s.pool.profit());
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
            let n = sl.ops.partition_point(|o| o.at <= through);
            if n == 0 {
                continue;
            }
            let base = if n == sl.ops.len() {
                sl.pool.clone()
            } else {
                let (start, mut pool) = match sl.snaps.iter().rev().find(|(m, _)| *m <= n) {
                    Some((m, p)) => (*m, p.clone()),
                    None => (0, sl.base.clone()),
                };
                for op in sl.ops.get(start..n).unwrap_or_default() {
                    let (plan, _) = Self::run(&pool, op.event, &op.kind)
                        .map_err(|_| ValuationError::Overflow("a period close replay"))?;
                    pool.commit(plan);
                }
                pool
            };
            bases.push((k, n, base));
        }
        for (k, n, base) in bases {
            if let Some(sl) = self.slots.get_mut(k) {
                sl.base = base;
                sl.ops.drain(..n);
                // Later events are after the close anyway.
                sl.last_at = sl.ops.last().map(|o| o.at);
                sl.snaps.clear();
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
        involved.extend(self.slots.iter().filter(|s| !s.pool.profit().is_zero()).map(|s| s.entity));
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

/// What the engine remembers of an applied event.
#[derive(Debug, Clone, Copy)]
struct Seen {
    fingerprint: u64,
    /// 0, or [`Seen::RECEIPT`] or [`Seen::SALE`].
    kind: u8,
    slot: u32,
    qty: Decimal,
    value: Decimal,
}

impl Seen {
    const RECEIPT: u8 = 1;
    const SALE: u8 = 2;

    /// A receipt's pool and quantity (for landed cost).
    fn receipt(&self) -> Option<(u32, Decimal)> {
        (self.kind == Seen::RECEIPT).then_some((self.slot, self.qty))
    }

    /// A sale's pool, quantity and value (for returns).
    fn sale(&self) -> Option<(u32, Decimal, Decimal)> {
        (self.kind == Seen::SALE).then_some((self.slot, self.qty, self.value))
    }
}

/// Which pool a step changes.
#[derive(Debug, Clone)]
enum Target {
    Slot(u32),
    /// A new pool, empty as given.
    New(Box<Pool>),
}

// One per event, short-lived: boxing the larger variant buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
enum Change {
    Append(PoolPlan, Op),
    Replace { pool: Pool, ops: Vec<Op>, keep_snaps: usize },
}

#[derive(Debug, Clone)]
struct Step {
    target: Target,
    change: Change,
    /// Later operations whose outcome changed: (as recorded, as now).
    corrections: Vec<(Op, OpOut)>,
    /// The new operation's outcome.
    out: OpOut,
    entity: u16,
    item: ItemIx,
    site: Option<SiteIx>,
}

/// Everything one event changes, worked out before anything is committed.
#[derive(Debug, Default)]
struct Plan {
    step: Option<Step>,
    receipt: Option<Decimal>,
    sale: Option<(Decimal, Decimal)>,
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
