//! Network decisions: for every item-site below its reorder point, gather what could
//! cover it — a transfer from a site with excess, a purchase from a supplier lane, a
//! substitute item with excess at the site, or allocation control (protecting stock for
//! priority demand until supply arrives) — score each, recommend the best and keep the
//! ranked alternatives with their reasons. Transfer requests are scored the same way.
//!
//! **Excess** at a source site is what it can ship now (on hand less backorders and
//! allocations) above its **protected level**: its safety stock plus its own demand over
//! the transfer's transit time. A transfer never takes a source below it.
//!
//! **Scoring** (lower is better), in the site's currency:
//!
//! `score = cost + unit cost x need left uncovered + penalty x (expected units short +
//! priority units at risk)`
//!
//! - *cost*: for a transfer, the lane's cost per unit (freight) x quantity; for a
//!   purchase, the price (the site's [`Costs::unit_cost`]) plus the lane's freight, x
//!   quantity, both shown on the candidate; a substitute or allocation control: none.
//!   A lane cost in another currency than the site's (its entity's) is converted by the
//!   rates given to [`Planner::with_rates`]; without a rate the evaluation is refused
//!   ([`ReplenishError::NoRate`]), never compared as if the currencies were the same;
//! - *need left uncovered*: what the policy asks for less what the candidate brings
//!   (its [`Candidate::coverage`] is the share it covers): the rest must still be
//!   bought, so it is charged at the unit cost (when the site has [`Costs`]), and the
//!   units it leaves short show in the next term;
//! - *expected units short*: the larger of the units short before the candidate
//!   arrives and the units short over the protection interval with what it brings, so
//!   a candidate covering part of the need scores the part it leaves short. Before it
//!   arrives in `A` days, demand over `A` is normal with mean `d A` and deviation
//!   `σd √A`; the expected shortfall of free stock `F` against it is
//!   `σ G((F − d A) / σ)` with `G` the standard normal loss function (plus backorders
//!   already open, which only supply clears). Over the protection interval `H` (the
//!   policy's `L` or `R + L`, at least `A`), the same with the inventory position plus
//!   the candidate's quantity against demand over `H`;
//! - *priority units at risk*: priority demand that free stock will not cover before
//!   arrival: unprotected, free stock is shared by all demand over `A` days, so priority
//!   demand gets the same fill rate `min(1, F / d A)` as the rest; protected (allocation
//!   control), it is served first and only what exceeds `F` is at risk;
//! - *stock-out risk*: `P(demand over A > F)`, reported with each candidate;
//! - *urgency*: days until stock-out `F / d` against the arrival.
//!
//! Ties go to the earlier arrival, then the kind (transfer, purchase, substitute,
//! allocation control), then the source code, so the result is the same every run.

// Scores use floating-point statistics; quantities and money stay exact.
#![allow(clippy::float_arithmetic, clippy::cast_precision_loss)]

use std::sync::Arc;

use onhand_master::hash::{Map, map};
use onhand_master::{
    Catalog, CurrencyCode, ItemCode, ItemIx, ItemSitePolicy, LaneSource, Money, SiteCode, SiteIx,
    SourcingLane, SupplierCode,
};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use crate::error::{Bound, Field, ReplenishError};
use crate::exact::Exact;
use crate::normal;
use crate::policy::{Costs, Parameters, Position, order_need, parameters};
use crate::stats::DemandStats;

type Res<T> = Result<T, ReplenishError>;

/// What the caller knows about one item at one site.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteState {
    /// The item.
    pub item: ItemCode,
    /// The site.
    pub site: SiteCode,
    /// Its demand statistics.
    pub stats: DemandStats,
    /// Its inventory position.
    pub position: Position,
    /// Demand of priority customers expected over the lead time (what allocation
    /// control would protect).
    pub priority_demand: Decimal,
    /// Its costs (without them: no economic order quantity and a penalty of 1 a unit).
    pub costs: Option<Costs>,
}

/// A rate to convert costs between currencies: `rate` units of `to` per unit of `from`.
/// A rate converts one way; give both directions where both are needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeRate {
    /// The currency converted from.
    pub from: CurrencyCode,
    /// The currency converted to.
    pub to: CurrencyCode,
    /// Units of `to` per unit of `from` (positive).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub rate: Decimal,
}

/// A way to cover a need.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Action {
    /// Transfer from another site with excess.
    Transfer {
        /// The source site.
        from: SiteCode,
    },
    /// Purchase from a supplier.
    Purchase {
        /// The supplier.
        supplier: SupplierCode,
    },
    /// Use a substitute item with excess at the site.
    Substitute {
        /// The substitute.
        item: ItemCode,
    },
    /// Protect the stock left for priority demand until supply arrives.
    ProtectAllocation,
}

impl Action {
    fn rank(&self) -> u8 {
        match self {
            Action::Transfer { .. } => 0,
            Action::Purchase { .. } => 1,
            Action::Substitute { .. } => 2,
            Action::ProtectAllocation => 3,
        }
    }

    /// The stable snake-case name of the kind, as serialized (`transfer`, `purchase`,
    /// `substitute`, `protect_allocation`): what reports and scenario files name an
    /// action by, so they need not match every variant of this growing enum.
    ///
    /// ```
    /// use onhand_replenish::Action;
    /// assert_eq!(Action::ProtectAllocation.kind(), "protect_allocation");
    /// ```
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Transfer { .. } => "transfer",
            Action::Purchase { .. } => "purchase",
            Action::Substitute { .. } => "substitute",
            Action::ProtectAllocation => "protect_allocation",
        }
    }
}

/// One scored way to cover a need, with its reasons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// What to do.
    pub action: Action,
    /// How much, in base units of the item needed (a substitute covers this much of it).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub qty: Decimal,
    /// Days until it is available at the site.
    pub arrives_in_days: u32,
    /// What it costs in the site's currency: the price plus the freight.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub cost: Decimal,
    /// The purchase price of the quantity in the site's currency (`None`: not a
    /// purchase, or a purchase for a site without [`Costs`], whose price is unknown and
    /// not counted).
    #[serde(default, with = "onhand_master::decimal::serde_str::option")]
    pub price: Option<Decimal>,
    /// The lane's cost for the quantity (freight), in the site's currency.
    #[serde(default, with = "onhand_master::decimal::serde_str")]
    pub freight: Decimal,
    /// The share of the need it covers (0 to 1; allocation control brings nothing).
    #[serde(default)]
    pub coverage: f64,
    /// Units expected short before it arrives.
    pub expected_short: f64,
    /// Priority demand not covered before it arrives.
    pub priority_at_risk: f64,
    /// Probability of a stock-out before it arrives.
    pub stockout_risk: f64,
    /// The score (lower is better).
    pub score: f64,
    /// Days until free stock at the receiving site runs out (`None`: no demand).
    pub days_to_stockout: Option<f64>,
    /// Why, in words, with the figures.
    pub reasons: Vec<String>,
}

/// A recommendation for one item-site below its reorder point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// The item.
    pub item: ItemCode,
    /// The site.
    pub site: SiteCode,
    /// Its inventory position.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub position: Decimal,
    /// Its reorder point.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub reorder_point: Decimal,
    /// Its safety stock.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub safety_stock: Decimal,
    /// What the policy asks for.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub need: Decimal,
    /// Days until free stock runs out at the average rate (`None`: no demand).
    pub days_to_stockout: Option<f64>,
    /// The best candidate.
    pub best: Candidate,
    /// The others, best first.
    pub alternatives: Vec<Candidate>,
    /// Allocation control to apply as well, when priority demand is at risk before the
    /// best supply arrives (protecting stock brings none, so it accompanies a supply
    /// candidate; it is the best only when nothing can supply the site).
    pub also: Option<Candidate>,
}

/// A transfer someone proposes, to score as the planner scores its own candidates
/// ([`Planner::score_transfer`], [`Planner::rank_transfers`]). Not the ledger's
/// `TransferRequest` event, which requests a transfer order; this one only asks what a
/// transfer would be worth.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposedTransfer {
    /// The item.
    pub item: ItemCode,
    /// From.
    pub from: SiteCode,
    /// To.
    pub to: SiteCode,
    /// How much, in base units.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub qty: Decimal,
}

struct Evaluated {
    item: ItemIx,
    site: SiteIx,
    params: Parameters,
    policy: ItemSitePolicy,
    position: Decimal,
    free: Decimal,
}

/// The network planner: every item-site's state and parameters, indexed densely.
#[derive(Debug)]
pub struct Planner {
    catalog: Arc<Catalog>,
    states: Vec<SiteState>,
    params: Vec<Parameters>,
    policies: Vec<ItemSitePolicy>,
    positions: Vec<Decimal>,
    free: Vec<Decimal>,
    handles: Vec<(ItemIx, SiteIx)>,
    index: Map<(u32, u16), u32>,
    rates: Vec<ExchangeRate>,
}

impl std::fmt::Debug for Evaluated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evaluated").field("position", &self.position).finish_non_exhaustive()
    }
}

fn f(v: Decimal) -> f64 {
    v.to_f64().unwrap_or(0.0)
}

impl Planner {
    /// A planner over `states` (one per item-site; an item-site without a policy in
    /// the catalog is planned as manual with no safety stock: it can still be a
    /// source).
    ///
    /// # Errors
    /// [`ReplenishError::UnknownItem`], [`ReplenishError::UnknownSite`],
    /// [`ReplenishError::DuplicateItemSite`] for a repeated item-site, and whatever
    /// [`parameters`] refuses.
    pub fn new(catalog: Arc<Catalog>, states: Vec<SiteState>) -> Res<Self> {
        let mut index = map();
        let mut params = Vec::with_capacity(states.len());
        let mut policies = Vec::with_capacity(states.len());
        let mut positions = Vec::with_capacity(states.len());
        let mut free = Vec::with_capacity(states.len());
        let mut handles = Vec::with_capacity(states.len());
        for (k, s) in states.iter().enumerate() {
            let i = catalog
                .item_ix(&s.item)
                .ok_or_else(|| ReplenishError::UnknownItem(s.item.clone()))?;
            let site = catalog
                .site_ix(&s.site)
                .ok_or_else(|| ReplenishError::UnknownSite(s.site.clone()))?;
            let key = (i.raw(), site.raw());
            let slot =
                u32::try_from(k).map_err(|_| ReplenishError::Overflow("the item-site count"))?;
            if index.insert(key, slot).is_some() {
                return Err(ReplenishError::DuplicateItemSite {
                    item: s.item.clone(),
                    site: s.site.clone(),
                });
            }
            let policy = catalog
                .policy(i, site)
                .cloned()
                .unwrap_or_else(|| ItemSitePolicy::new(s.item.clone(), s.site.clone()));
            let units =
                catalog.item_units(i).ok_or_else(|| ReplenishError::UnknownItem(s.item.clone()))?;
            params.push(parameters(&policy, units, &s.stats, s.costs.as_ref())?);
            policies.push(policy);
            positions.push(s.position.value()?);
            free.push(s.position.free()?);
            handles.push((i, site));
        }
        Ok(Planner {
            catalog,
            states,
            params,
            policies,
            positions,
            free,
            handles,
            index,
            rates: Vec::new(),
        })
    }

    /// The planner with `rates` to convert lane costs into a site's currency (without
    /// them, a lane cost in another currency is refused when it is compared). Where two
    /// rates are given for the same pair, the first is used.
    ///
    /// # Errors
    /// [`ReplenishError::InvalidInput`] for a rate that is not positive.
    pub fn with_rates(mut self, rates: Vec<ExchangeRate>) -> Res<Self> {
        if let Some(r) = rates.iter().find(|r| r.rate <= Decimal::ZERO) {
            return Err(ReplenishError::input(Field::ExchangeRate, Bound::Positive, r.rate));
        }
        self.rates = rates;
        Ok(self)
    }

    /// Checks that every lane into every planned item-site can be costed in the
    /// site's currency: a lane cost in another currency needs a rate (see
    /// [`with_rates`](Self::with_rates)). A host that checks when it builds the planner
    /// learns of a missing rate from its configuration, not from the first
    /// [`evaluate`](Self::evaluate) that needs it.
    ///
    /// # Errors
    /// [`ReplenishError::NoRate`] for the first lane (in item-site, then lane order)
    /// without one; [`ReplenishError::NoEntity`] for a site without an entity.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use onhand_master::{seed, Catalog, Decimal};
    /// use onhand_replenish::{DemandStats, ExchangeRate, Planner, Position, ReplenishError, SiteState};
    ///
    /// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// // Toronto books in CAD; its transfer lane from Chicago is costed in USD.
    /// let toronto = SiteState {
    ///     item: "BOLT-M8".parse()?, site: "YYZ".parse()?,
    ///     stats: DemandStats::daily(100.0, 30.0), position: Position::default(),
    ///     priority_demand: Decimal::ZERO, costs: None,
    /// };
    /// let planner = Planner::new(catalog, vec![toronto])?;
    /// assert!(matches!(planner.check_rates(), Err(ReplenishError::NoRate { .. })));
    /// let usd_cad = ExchangeRate {
    ///     from: "USD".parse()?, to: "CAD".parse()?, rate: Decimal::new(137, 2),
    /// };
    /// planner.with_rates(vec![usd_cad])?.check_rates()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check_rates(&self) -> Res<()> {
        for &(item, site) in &self.handles {
            for lane in self.catalog.lanes_into(site, item) {
                self.in_site_currency(site, lane.cost_per_unit, lane)?;
            }
        }
        Ok(())
    }

    /// `money` per unit in the currency of `site`.
    fn in_site_currency(&self, site: SiteIx, money: Money, lane: &SourcingLane) -> Res<Decimal> {
        let to = self
            .catalog
            .site_entity(site)
            .and_then(|e| self.catalog.entity(e))
            .map(|e| e.currency)
            .ok_or_else(|| ReplenishError::NoEntity { site: lane.to.clone() })?;
        if money.currency() == to {
            return Ok(money.amount());
        }
        let rate =
            self.rates.iter().find(|r| r.from == money.currency() && r.to == to).ok_or_else(
                || ReplenishError::NoRate {
                    from: money.currency(),
                    to,
                    origin: lane.from.clone(),
                    site: lane.to.clone(),
                },
            )?;
        money.amount().mul_x(rate.rate).ok_or(ReplenishError::Overflow("a currency conversion"))
    }

    /// The parameters computed for an item-site.
    #[must_use]
    pub fn parameters(&self, item: &ItemCode, site: &SiteCode) -> Option<&Parameters> {
        let i = self.catalog.item_ix(item)?;
        let s = self.catalog.site_ix(site)?;
        let k = *self.index.get(&(i.raw(), s.raw()))?;
        self.params.get(k as usize)
    }

    fn slot(&self, item: ItemIx, site: SiteIx) -> Option<usize> {
        self.index.get(&(item.raw(), site.raw())).map(|k| *k as usize)
    }

    fn evaluated(&self, k: usize) -> Option<Evaluated> {
        let (item, site) = *self.handles.get(k)?;
        Some(Evaluated {
            item,
            site,
            params: self.params.get(k)?.clone(),
            policy: self.policies.get(k)?.clone(),
            position: *self.positions.get(k)?,
            free: *self.free.get(k)?,
        })
    }

    /// Excess a site can ship now for a transfer taking `transit` days: free stock above
    /// its safety stock plus its demand over the transit, rounded down to its step.
    fn excess(&self, k: usize, transit: u32) -> Res<Decimal> {
        let (Some(p), Some(free)) = (self.params.get(k), self.free.get(k)) else {
            return Ok(Decimal::ZERO);
        };
        let protected = p.steps.up(f(p.safety_stock) + p.daily_demand * f64::from(transit))?;
        let above = free.sub_x(protected).ok_or(ReplenishError::Overflow("excess"))?;
        p.steps.down_exact(above)
    }

    /// The currency of `site` (its entity's), for the reasons.
    fn site_currency(&self, site: SiteIx) -> String {
        self.catalog
            .site_entity(site)
            .and_then(|e| self.catalog.entity(e))
            .map_or_else(String::new, |e| e.currency.to_string())
    }

    /// The level a transfer of `transit` days must leave at source slot `k`.
    fn protected_level(&self, k: usize, transit: u32) -> Res<Decimal> {
        let Some(p) = self.params.get(k) else { return Ok(Decimal::ZERO) };
        p.steps.up(f(p.safety_stock) + p.daily_demand * f64::from(transit))
    }

    /// Scores a candidate arriving in `days` with `qty` at `price` plus `freight` for
    /// slot `k`, against `need`.
    #[allow(clippy::too_many_arguments)] // the parts of one candidate
    fn score(
        &self,
        k: usize,
        action: Action,
        qty: Decimal,
        days: u32,
        (price, freight): (Option<Decimal>, Decimal),
        need: Decimal,
        mut reasons: Vec<String>,
    ) -> Res<Candidate> {
        let cost =
            price.unwrap_or_default().add_x(freight).ok_or(ReplenishError::Overflow("a cost"))?;
        let brings = if matches!(action, Action::ProtectAllocation) { Decimal::ZERO } else { qty };
        let coverage =
            if need > Decimal::ZERO { (f(brings) / f(need)).clamp(0.0, 1.0) } else { 1.0 };
        let (Some(state), Some(p), Some(free), Some(position)) =
            (self.states.get(k), self.params.get(k), self.free.get(k), self.positions.get(k))
        else {
            return Ok(Candidate {
                action,
                qty,
                arrives_in_days: days,
                cost,
                price,
                freight,
                coverage,
                expected_short: 0.0,
                priority_at_risk: 0.0,
                stockout_risk: 0.0,
                score: f(cost),
                days_to_stockout: None,
                reasons,
            });
        };
        let a = f64::from(days);
        let mean = p.daily_demand * a;
        let sigma = p.daily_std_dev * a.sqrt();
        let free_f = f(*free).max(0.0);
        let backorders = f(state.position.backorders);
        let (short, risk) = if sigma > 0.0 {
            let z = (free_f - mean) / sigma;
            (sigma * normal::loss(z), normal::sf(z))
        } else {
            ((mean - free_f).max(0.0), if mean > free_f { 1.0 } else { 0.0 })
        };
        let priority = f(state.priority_demand);
        let protects = matches!(action, Action::ProtectAllocation);
        // Unprotected, free stock is shared by everyone who orders before supply
        // arrives: priority demand gets the same fill as the rest. Protected, it is
        // served first.
        let priority_at_risk = if protects {
            (priority - free_f).max(0.0)
        } else {
            let fill = if mean > 0.0 { (free_f / mean).min(1.0) } else { 1.0 };
            priority * (1.0 - fill)
        };
        // Over the protection interval (at least until it arrives): the position plus
        // what it brings against the demand over the interval. What it leaves of the need
        // shows here.
        let horizon = p.interval_days.max(a);
        let (mean_h, sigma_h) = (p.daily_demand * horizon, p.daily_std_dev * horizon.sqrt());
        let stock_h = f(*position) + f(brings);
        let short_h = if sigma_h > 0.0 {
            sigma_h * normal::loss((stock_h - mean_h) / sigma_h)
        } else {
            (mean_h - stock_h).max(0.0)
        };
        let penalty = state.costs.map_or(1.0, |c| f(c.shortage_penalty));
        let expected_short = (short + backorders).max(short_h);
        // The part of the need it leaves is still to be bought, at the unit cost.
        let uncovered = (f(need) - f(brings)).max(0.0);
        let rest = state.costs.map_or(0.0, |c| f(c.unit_cost)) * uncovered;
        let score = f(cost) + rest + penalty * (expected_short + priority_at_risk);
        reasons.push(format!(
            "available in {days} day(s): {:.1} unit(s) expected short before then, \
             stock-out risk {:.0}%",
            short + backorders,
            risk * 100.0
        ));
        if need > Decimal::ZERO && brings < need && !protects {
            reasons.push(format!(
                "covers {:.0}% of the need of {need}: {short_h:.1} unit(s) expected short over \
                 the {horizon:.0}-day protection interval",
                coverage * 100.0
            ));
        }
        if priority_at_risk > 0.0 {
            reasons.push(format!("{priority_at_risk:.1} unit(s) of priority demand at risk"));
        }
        Ok(Candidate {
            action,
            qty,
            arrives_in_days: days,
            cost,
            price,
            freight,
            coverage,
            expected_short,
            priority_at_risk,
            stockout_risk: risk,
            score,
            days_to_stockout: (p.daily_demand > 0.0).then(|| free_f / p.daily_demand),
            reasons,
        })
    }

    #[allow(clippy::too_many_lines)] // one block per kind of candidate
    fn candidates(
        &self,
        k: usize,
        ev: &Evaluated,
        need: Decimal,
        taken: &Map<usize, Decimal>,
    ) -> Res<(Vec<Candidate>, Option<Candidate>)> {
        let cat = &self.catalog;
        let mut out = Vec::new();
        let lanes: Vec<_> = cat.lanes_into(ev.site, ev.item).cloned().collect();
        let lead = ev.policy.lead_time.mean_days.ceil().to_u32().unwrap_or(0);
        for lane in &lanes {
            let cost_unit = self.in_site_currency(ev.site, lane.cost_per_unit, lane)?;
            let currency = self.site_currency(ev.site);
            match &lane.from {
                LaneSource::Site(code) => {
                    let Some(src) = cat.site_ix(code) else { continue };
                    let Some(sk) = self.slot(ev.item, src) else { continue };
                    // Less what more urgent recommendations already take from it.
                    let already = taken.get(&sk).copied().unwrap_or_default();
                    let excess =
                        self.excess(sk, lane.transit_days)?.sub_x(already).unwrap_or_default();
                    if excess <= Decimal::ZERO {
                        continue;
                    }
                    let qty = ev.params.steps.down_exact(excess.min(need))?;
                    if qty <= Decimal::ZERO {
                        continue;
                    }
                    let keeps = self.protected_level(sk, lane.transit_days)?;
                    let freight = cost_unit.mul_x(qty).ok_or(ReplenishError::Overflow("a cost"))?;
                    let reasons = vec![format!(
                        "transfer {qty} from {code} ({} day(s) in transit, {cost_unit} {currency} \
                         a unit): {code} keeps at least {keeps} (safety stock plus its demand in \
                         transit)",
                        lane.transit_days
                    )];
                    out.push(self.score(
                        k,
                        Action::Transfer { from: code.clone() },
                        qty,
                        lane.transit_days,
                        (None, freight),
                        need,
                        reasons,
                    )?);
                }
                LaneSource::Supplier(code) => {
                    let days = lead.max(lane.transit_days);
                    let qty = ev.params.steps.order(need)?;
                    if qty <= Decimal::ZERO {
                        continue;
                    }
                    let freight = cost_unit.mul_x(qty).ok_or(ReplenishError::Overflow("a cost"))?;
                    let unit_price = self.states.get(k).and_then(|s| s.costs).map(|c| c.unit_cost);
                    let price = unit_price
                        .map(|p| p.mul_x(qty).ok_or(ReplenishError::Overflow("a cost")))
                        .transpose()?;
                    let priced = match unit_price {
                        Some(p) => {
                            format!("{p} {currency} a unit plus {cost_unit} {currency} freight")
                        }
                        None => format!(
                            "{cost_unit} {currency} a unit of freight; no unit cost given, so \
                             the price is not counted"
                        ),
                    };
                    let reasons = vec![format!(
                        "buy {qty} from {code} (lead time {days} day(s), {priced}, rank {})",
                        lane.rank
                    )];
                    out.push(self.score(
                        k,
                        Action::Purchase { supplier: code.clone() },
                        qty,
                        days,
                        (price, freight),
                        need,
                        reasons,
                    )?);
                }
            }
        }
        if let Some(item) = cat.item(ev.item) {
            for sub in &item.substitutes {
                let Some(si) = cat.item_ix(&sub.item) else { continue };
                let Some(sk) = self.slot(si, ev.site) else { continue };
                // Less what more urgent recommendations already take from it.
                let already = taken.get(&sk).copied().unwrap_or_default();
                let excess = self.excess(sk, 0)?.sub_x(already).unwrap_or_default();
                if excess <= Decimal::ZERO || sub.ratio <= Decimal::ZERO {
                    continue;
                }
                // `ratio` substitute units replace one unit of the item.
                let covers = excess
                    .checked_div(sub.ratio)
                    .ok_or(ReplenishError::Overflow("a substitute"))?;
                let covers = ev.params.steps.down_exact(covers.min(need))?;
                if covers <= Decimal::ZERO {
                    continue;
                }
                let reasons = vec![format!(
                    "substitute {} at the site: {excess} in excess covers {covers} ({} for one)",
                    sub.item, sub.ratio
                )];
                out.push(self.score(
                    k,
                    Action::Substitute { item: sub.item.clone() },
                    covers,
                    0,
                    (None, Decimal::ZERO),
                    need,
                    reasons,
                )?);
            }
        }
        out.sort_by(|a, b| {
            a.score
                .total_cmp(&b.score)
                .then(a.arrives_in_days.cmp(&b.arrives_in_days))
                .then(a.action.rank().cmp(&b.action.rank()))
                .then(a.action.cmp(&b.action))
        });
        // Allocation control: protect what is left for priority demand until the best
        // supply arrives (or the lead time, when nothing can supply the site).
        let mut protect = None;
        if let Some(state) = self.states.get(k)
            && state.priority_demand > Decimal::ZERO
            && ev.free > Decimal::ZERO
        {
            let until = out.first().map_or(lead, |c| c.arrives_in_days);
            let at_risk = out.first().is_none_or(|c| c.priority_at_risk > 0.0);
            if at_risk {
                let keep = ev
                    .params
                    .steps
                    .down_exact(state.priority_demand.min(ev.free.max(Decimal::ZERO)))?;
                // Protecting nothing (less free stock or priority demand than one step) does
                // nothing: no such recommendation.
                if keep > Decimal::ZERO {
                    let reasons = vec![format!(
                        "protect {keep} of the free stock for priority demand ({} expected) for \
                         {until} day(s), until supply arrives; other orders wait",
                        state.priority_demand
                    )];
                    protect = Some(self.score(
                        k,
                        Action::ProtectAllocation,
                        keep,
                        until,
                        (None, Decimal::ZERO),
                        need,
                        reasons,
                    )?);
                }
            }
        }
        Ok((out, protect))
    }

    /// Evaluates every item-site: those at or below their reorder point (or, for
    /// periodic review, below their order-up-to level) get a recommendation, most
    /// urgent first (fewest days to stock-out, then item and site code). Sites are served
    /// in that order: what a recommended transfer takes from a source is not offered to
    /// the next site.
    ///
    /// # Errors
    /// [`ReplenishError::Overflow`] for figures out of range;
    /// [`ReplenishError::NoRate`] for a lane cost in another currency than the site's
    /// without a rate to convert it (see [`with_rates`](Self::with_rates)).
    pub fn evaluate(&self) -> Res<Vec<Recommendation>> {
        // Needs first, most urgent first: a source's excess goes to the most urgent
        // sites, and what one recommendation takes is not offered again.
        let mut needs = Vec::new();
        for k in 0..self.states.len() {
            let Some(ev) = self.evaluated(k) else { continue };
            let Some(need) = order_need(&ev.policy, &ev.params, ev.position)? else { continue };
            if need <= Decimal::ZERO {
                continue;
            }
            let d = ev.params.daily_demand;
            let days = (d > 0.0).then(|| f(ev.free).max(0.0) / d);
            needs.push((k, ev, need, days));
        }
        let code = |k: usize| self.states.get(k).map(|s| (&s.item, &s.site));
        needs.sort_by(|(ka, _, _, da), (kb, _, _, db)| {
            da.unwrap_or(f64::INFINITY)
                .total_cmp(&db.unwrap_or(f64::INFINITY))
                .then_with(|| code(*ka).cmp(&code(*kb)))
        });
        let mut taken: Map<usize, Decimal> = map();
        let mut out = Vec::with_capacity(needs.len());
        for (k, ev, need, days_to_stockout) in needs {
            let (mut cands, protect) = self.candidates(k, &ev, need, &taken)?;
            let (best, also) = if cands.is_empty() {
                match protect {
                    Some(p) => (p, None),
                    None => continue,
                }
            } else {
                (cands.remove(0), protect)
            };
            // What the best option takes from another slot's excess, so the next
            // recommendation does not offer it again: a transfer's units at its source,
            // a substitute's (its ratio for each unit covered) at this site.
            let drawn = match &best.action {
                Action::Transfer { from } => self
                    .catalog
                    .site_ix(from)
                    .and_then(|s| self.slot(ev.item, s))
                    .map(|sk| (sk, best.qty)),
                Action::Substitute { item } => {
                    let ratio = self
                        .catalog
                        .item(ev.item)
                        .and_then(|i| i.substitutes.iter().find(|s| s.item == *item))
                        .map(|s| s.ratio);
                    let slot = self.catalog.item_ix(item).and_then(|si| self.slot(si, ev.site));
                    match (slot, ratio) {
                        (Some(sk), Some(r)) => Some((
                            sk,
                            best.qty.mul_x(r).ok_or(ReplenishError::Overflow("a substitute"))?,
                        )),
                        _ => None,
                    }
                }
                _ => None,
            };
            if let Some((sk, qty)) = drawn {
                let t = taken.entry(sk).or_insert(Decimal::ZERO);
                *t = t.add_x(qty).ok_or(ReplenishError::Overflow("a transfer"))?;
            }
            let Some(state) = self.states.get(k) else { continue };
            out.push(Recommendation {
                item: state.item.clone(),
                site: state.site.clone(),
                position: ev.position,
                reorder_point: ev.params.reorder_point,
                safety_stock: ev.params.safety_stock,
                need,
                days_to_stockout,
                best,
                alternatives: cands,
                also,
            });
        }
        Ok(out)
    }

    /// Scores a proposed transfer like a candidate for the receiving site.
    ///
    /// # Errors
    /// [`ReplenishError::UnknownItem`], [`ReplenishError::UnknownSite`],
    /// [`ReplenishError::NoState`] when either site has no state for the item,
    /// [`ReplenishError::NoLane`] when no lane joins them,
    /// [`ReplenishError::InvalidInput`] when the quantity is not positive; [`ReplenishError::NoRate`] for
    /// the lane's cost in another currency than the receiving site's without a rate.
    pub fn score_transfer(&self, req: &ProposedTransfer) -> Res<Candidate> {
        let cat = &self.catalog;
        if req.qty <= Decimal::ZERO {
            return Err(ReplenishError::InvalidInput {
                field: Field::TransferQty,
                bound: Bound::Positive,
                value: Some(req.qty),
                item: Some(req.item.clone()),
                site: Some(req.to.clone()),
            });
        }
        let i =
            cat.item_ix(&req.item).ok_or_else(|| ReplenishError::UnknownItem(req.item.clone()))?;
        let from =
            cat.site_ix(&req.from).ok_or_else(|| ReplenishError::UnknownSite(req.from.clone()))?;
        let to = cat.site_ix(&req.to).ok_or_else(|| ReplenishError::UnknownSite(req.to.clone()))?;
        let missing =
            |s: &SiteCode| ReplenishError::NoState { item: req.item.clone(), site: s.clone() };
        let k = self.slot(i, to).ok_or_else(|| missing(&req.to))?;
        let sk = self.slot(i, from).ok_or_else(|| missing(&req.from))?;
        let lane = cat
            .lanes_into(to, i)
            .find(|l| matches!(&l.from, LaneSource::Site(c) if c == &req.from))
            .cloned()
            .ok_or_else(|| ReplenishError::NoLane { from: req.from.clone(), to: req.to.clone() })?;
        let excess = self.excess(sk, lane.transit_days)?;
        let cost_unit = self.in_site_currency(to, lane.cost_per_unit, &lane)?;
        let freight = cost_unit.mul_x(req.qty).ok_or(ReplenishError::Overflow("a cost"))?;
        // What the receiving site's policy asks for now (none: the request is its need).
        let need = match (self.params.get(k), self.policies.get(k), self.positions.get(k)) {
            (Some(p), Some(policy), Some(position)) => {
                order_need(policy, p, *position)?.unwrap_or(req.qty)
            }
            _ => req.qty,
        };
        let mut reasons = vec![format!(
            "transfer {} from {} ({} day(s) in transit); {} has {excess} in excess",
            req.qty, req.from, lane.transit_days, req.from
        )];
        if req.qty > excess {
            reasons.push(format!("takes {} below its protected level", req.from));
        }
        self.score(
            k,
            Action::Transfer { from: req.from.clone() },
            req.qty,
            lane.transit_days,
            (None, freight),
            need,
            reasons,
        )
    }

    /// Orders proposed transfers by impact and urgency: highest expected shortage and
    /// priority risk at the receiving site first, then the least slack (days until the
    /// site runs out less the transit), then score. Returns each request's
    /// index with its candidate.
    ///
    /// # Errors
    /// As [`score_transfer`](Self::score_transfer).
    pub fn rank_transfers(&self, requests: &[ProposedTransfer]) -> Res<Vec<(usize, Candidate)>> {
        let mut out = Vec::with_capacity(requests.len());
        for (n, r) in requests.iter().enumerate() {
            out.push((n, self.score_transfer(r)?));
        }
        // Impact to a tenth of a unit (finer differences are noise), then the slack
        // before the receiving site runs out, then the score.
        let impact = |c: &Candidate| ((c.expected_short + c.priority_at_risk) * 10.0).round();
        let slack = |c: &Candidate| {
            c.days_to_stockout.map_or(f64::INFINITY, |d| d - f64::from(c.arrives_in_days))
        };
        out.sort_by(|(na, a), (nb, b)| {
            impact(b)
                .total_cmp(&impact(a))
                .then(slack(a).total_cmp(&slack(b)))
                .then(a.score.total_cmp(&b.score))
                .then(na.cmp(nb))
        });
        Ok(out)
    }
}
