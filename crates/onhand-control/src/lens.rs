//! Role lenses: one function per role over the same network state, each returning a
//! serde view that lists its figures with their definitions, plus the exceptions the
//! actor may act on in that scope. The network state comes in as plain data
//! ([`WarehouseInput`], [`SupplyInput`], [`FinanceInput`], [`ExecutiveInput`]), built by
//! the host from its engines, so this crate depends on none of them.
//!
//! Who may open what ([`Lens::roles`]) and where:
//!
//! | Lens | Roles | Scope |
//! |---|---|---|
//! | warehouse | warehouse, inventory control, quality, supervisor | the site must be in scope |
//! | supply chain | planning, supervisor | rows only for sites in scope |
//! | finance | finance | every site of the entity must be in scope |
//! | executive | supervisor, finance | every site |
//!
//! Anything else is a typed refusal ([`ControlError::Refused`]).

use chrono::{DateTime, Utc};
use onhand_ledger::{Actor, SiteScope};
use onhand_master::{BinCode, CurrencyCode, EntityCode, ItemCode, Role, SiteCode};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{ControlError, Refusal};
use crate::kind::{ExceptionKind, Priority, RoleSet, State};
use crate::queue::{Control, Exception, ExceptionId};
use crate::signal::Subject;

/// A role's lens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lens {
    /// By site and bin: stock by status, counts due, open tasks.
    Warehouse,
    /// By item across the network: available to promise, in transit, on order.
    SupplyChain,
    /// By entity: stock value, in-transit value, intercompany.
    Finance,
    /// A handful of network figures and the worst exceptions.
    Executive,
}

impl Lens {
    /// The roles that may open the lens.
    #[must_use]
    pub fn roles(self) -> RoleSet {
        let roles: &[Role] = match self {
            Lens::Warehouse => {
                &[Role::Warehouse, Role::InventoryControl, Role::Quality, Role::Supervisor]
            }
            Lens::SupplyChain => &[Role::Planning, Role::Supervisor],
            Lens::Finance => &[Role::Finance],
            Lens::Executive => &[Role::Supervisor, Role::Finance],
        };
        roles.iter().copied().collect()
    }

    /// Whether `actor` may open the lens at all (it holds one of [`Lens::roles`]); the
    /// lens itself also checks the scope it is asked for. A host checks this before it
    /// gathers the lens's input, so a refused actor learns nothing from how that fails.
    ///
    /// # Errors
    /// [`ControlError::Refused`] with [`Refusal::NoRole`].
    pub fn allows(self, actor: &Actor) -> Result<(), ControlError> {
        open(actor, self)
    }
}

/// A figure and what it means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Figure {
    /// Its name.
    pub name: String,
    /// Its definition.
    pub definition: String,
    /// Its value.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub value: Decimal,
}

fn figure(name: &str, definition: &str, value: Decimal) -> Figure {
    Figure { name: name.to_owned(), definition: definition.to_owned(), value }
}

/// An exception as a lens lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExceptionLine {
    /// Its id.
    pub id: ExceptionId,
    /// Its kind.
    pub kind: ExceptionKind,
    /// What it is about.
    pub subject: Subject,
    /// Its site.
    pub site: Option<SiteCode>,
    /// Its priority.
    pub priority: Priority,
    /// Its state.
    pub state: State,
    /// When its service level is breached next.
    pub breach_at: DateTime<Utc>,
    /// Value at risk in the reference currency.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub value: Decimal,
}

impl From<&Exception> for ExceptionLine {
    fn from(e: &Exception) -> Self {
        ExceptionLine {
            id: e.id,
            kind: e.kind,
            subject: e.subject.clone(),
            site: e.site.clone(),
            priority: e.priority,
            state: e.state,
            breach_at: e.breach_at(),
            value: e.reference_value,
        }
    }
}

/// Stock of one item in one bin of a site, by status (base units).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BinStock {
    /// The bin (`None`: the site without bins).
    #[serde(default)]
    pub bin: Option<BinCode>,
    /// The item.
    pub item: ItemCode,
    /// Available.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub available: Decimal,
    /// On quality hold or blocked.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub held: Decimal,
    /// Damaged.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub damaged: Decimal,
    /// In receiving (not yet put away).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub receiving: Decimal,
}

/// A count due at a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountDue {
    /// The item.
    pub item: ItemCode,
    /// The bin.
    #[serde(default)]
    pub bin: Option<BinCode>,
    /// When it is due.
    pub due: DateTime<Utc>,
}

/// Open warehouse tasks of one kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenTasks {
    /// The task kind, as the warehouse names it (`putaway`, `pick`, ...).
    pub kind: String,
    /// How many are open.
    pub open: u32,
}

/// What the warehouse lens reads about one site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarehouseInput {
    /// The site.
    pub site: SiteCode,
    /// Stock by bin and item.
    pub bins: Vec<BinStock>,
    /// Counts due.
    #[serde(default)]
    pub counts: Vec<CountDue>,
    /// Open tasks.
    #[serde(default)]
    pub tasks: Vec<OpenTasks>,
}

/// The warehouse lens of one site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WarehouseView {
    /// The site.
    pub site: SiteCode,
    /// Totals with definitions.
    pub figures: Vec<Figure>,
    /// Stock by bin and item, ordered by bin then item.
    pub bins: Vec<BinStock>,
    /// Counts due by `now`, earliest first.
    pub counts_due: Vec<CountDue>,
    /// Open tasks, by kind.
    pub tasks: Vec<OpenTasks>,
    /// The site's exceptions the actor may act on, in rank order.
    pub exceptions: Vec<ExceptionLine>,
}

/// Where supply of an item is coming from at one site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arrival {
    /// Quantity (base units).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub qty: Decimal,
    /// Expected arrival.
    pub arrival: DateTime<Utc>,
    /// Shipping site, for a transfer.
    #[serde(default)]
    pub from: Option<SiteCode>,
}

/// An open replenishment recommendation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recommendation {
    /// What it proposes, as the planner names it (`transfer`, `purchase`, ...).
    pub action: String,
    /// Quantity (base units).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub qty: Decimal,
    /// The source site, for a transfer.
    #[serde(default)]
    pub from: Option<SiteCode>,
}

/// An item's supply picture at one site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteSupply {
    /// The site.
    pub site: SiteCode,
    /// Available to promise now (base units).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub available_to_promise: Decimal,
    /// Open purchase receipts (base units).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub on_order: Decimal,
    /// Demand not covered (base units).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub shortage: Decimal,
    /// Inbound transfers with arrival.
    #[serde(default)]
    pub in_transit: Vec<Arrival>,
    /// Open recommendations.
    #[serde(default)]
    pub recommendations: Vec<Recommendation>,
}

/// What the supply-chain lens reads about one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupplyInput {
    /// The item.
    pub item: ItemCode,
    /// Its sites.
    pub sites: Vec<SiteSupply>,
}

/// The supply-chain lens of one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupplyView {
    /// The item.
    pub item: ItemCode,
    /// Totals over the sites shown, with definitions.
    pub figures: Vec<Figure>,
    /// The sites in the actor's scope, by site code.
    pub sites: Vec<SiteSupply>,
    /// The item's exceptions the actor may act on, in rank order.
    pub exceptions: Vec<ExceptionLine>,
}

/// One intercompany pair as the entity's books see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntercompanyBalance {
    /// The other entity.
    pub counterparty: EntityCode,
    /// What the counterparty owes this entity, in this entity's books.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub receivable: Decimal,
    /// What the counterparty's books say it owes (converted to this currency).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub counterparty_payable: Decimal,
}

/// What the finance lens reads about one entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinanceInput {
    /// The entity.
    pub entity: EntityCode,
    /// Its currency.
    pub currency: CurrencyCode,
    /// Its sites (the actor's scope must cover every one).
    pub sites: Vec<SiteCode>,
    /// Stock value at its sites.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub stock_value: Decimal,
    /// Value of goods in transit it holds title to.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub in_transit_owned: Decimal,
    /// Intercompany balances.
    #[serde(default)]
    pub intercompany: Vec<IntercompanyBalance>,
    /// Intercompany profit in its stock that consolidation eliminates.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub unrealized_profit: Decimal,
    /// Value of adjustments in the period (signed), when the host knows it: the figure
    /// is left out of the view otherwise.
    #[serde(with = "onhand_master::decimal::serde_str::option", default)]
    pub adjustment_value: Option<Decimal>,
}

/// The finance lens of one entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FinanceView {
    /// The entity.
    pub entity: EntityCode,
    /// Its currency.
    pub currency: CurrencyCode,
    /// Figures with definitions.
    pub figures: Vec<Figure>,
    /// Intercompany pairs that do not reconcile, by counterparty.
    pub mismatches: Vec<IntercompanyBalance>,
    /// The entity's exceptions the actor may act on, in rank order.
    pub exceptions: Vec<ExceptionLine>,
}

/// Network figures the executive lens shows beside the queue's own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecutiveInput {
    /// Figures the host computed (fill rate, stock value, ...), with definitions.
    #[serde(default)]
    pub figures: Vec<NamedFigure>,
}

/// A figure the host names and defines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedFigure {
    /// Its name.
    pub name: String,
    /// Its definition.
    pub definition: String,
    /// Its value.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub value: Decimal,
}

/// The executive lens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExecutiveView {
    /// Figures with definitions: the host's, then the queue's.
    pub figures: Vec<Figure>,
    /// The worst active exceptions network-wide, in rank order.
    pub worst: Vec<ExceptionLine>,
}

/// How many exceptions a lens lists.
pub const LENS_EXCEPTIONS: usize = 50;

fn open(actor: &Actor, lens: Lens) -> Result<(), ControlError> {
    let held: RoleSet = actor.roles.iter().copied().collect();
    if held.intersection(lens.roles()).is_empty() {
        return Err(ControlError::Refused {
            actor: actor.id.clone(),
            reason: Refusal::NoRole { allowed: lens.roles() },
        });
    }
    Ok(())
}

fn out_of_scope(actor: &Actor, site: Option<SiteCode>) -> ControlError {
    ControlError::Refused { actor: actor.id.clone(), reason: Refusal::OutOfScope { site } }
}

fn sum(values: impl IntoIterator<Item = Decimal>) -> Result<Decimal, ControlError> {
    values.into_iter().try_fold(Decimal::ZERO, |acc, v| {
        acc.checked_add(v).ok_or(ControlError::ValueTooLarge { value: v })
    })
}

impl Control {
    /// The active exceptions `actor` may act on that `keep` accepts, in rank order, at
    /// most [`LENS_EXCEPTIONS`].
    fn lens_exceptions(
        &self,
        actor: &Actor,
        keep: impl Fn(&Exception) -> bool,
    ) -> Vec<ExceptionLine> {
        let mut found: Vec<&Exception> = self
            .exceptions()
            .filter(|e| e.state.is_active() && keep(e) && e.allows(actor).is_ok())
            .collect();
        found.sort_by_key(|e| e.rank_key());
        found.into_iter().take(LENS_EXCEPTIONS).map(ExceptionLine::from).collect()
    }

    /// The warehouse lens of `input.site` at `now`.
    ///
    /// # Errors
    /// [`ControlError::Refused`] when the actor holds no warehouse-lens role or the site
    /// is outside its scope.
    pub fn warehouse_lens(
        &self,
        actor: &Actor,
        input: &WarehouseInput,
        now: DateTime<Utc>,
    ) -> Result<WarehouseView, ControlError> {
        open(actor, Lens::Warehouse)?;
        if !actor.sites.covers(&input.site) {
            return Err(out_of_scope(actor, Some(input.site.clone())));
        }
        let mut bins = input.bins.clone();
        bins.sort_by(|a, b| (&a.bin, &a.item).cmp(&(&b.bin, &b.item)));
        let mut counts_due: Vec<CountDue> =
            input.counts.iter().filter(|c| c.due <= now).cloned().collect();
        counts_due.sort_by(|a, b| (a.due, &a.item, &a.bin).cmp(&(b.due, &b.item, &b.bin)));
        let mut tasks = input.tasks.clone();
        tasks.sort_by(|a, b| a.kind.cmp(&b.kind));
        let figures = vec![
            figure(
                "available",
                "quantity in the available status, summed over bins and items (base units)",
                sum(bins.iter().map(|b| b.available))?,
            ),
            figure(
                "held",
                "quantity on quality hold or blocked (base units)",
                sum(bins.iter().map(|b| b.held))?,
            ),
            figure(
                "damaged",
                "quantity in the damaged status (base units)",
                sum(bins.iter().map(|b| b.damaged))?,
            ),
            figure(
                "in_receiving",
                "quantity received and not yet put away (base units)",
                sum(bins.iter().map(|b| b.receiving))?,
            ),
            figure("counts_due", "counts due by now", Decimal::from(counts_due.len())),
            figure(
                "open_tasks",
                "open warehouse tasks of every kind",
                sum(tasks.iter().map(|t| Decimal::from(t.open)))?,
            ),
        ];
        let site = input.site.clone();
        let exceptions = self.lens_exceptions(actor, |e| e.site.as_ref() == Some(&site));
        Ok(WarehouseView { site: input.site.clone(), figures, bins, counts_due, tasks, exceptions })
    }

    /// The supply-chain lens of `input.item`, over the sites in the actor's scope.
    ///
    /// # Errors
    /// [`ControlError::Refused`] when the actor holds no supply-chain-lens role.
    pub fn supply_chain_lens(
        &self,
        actor: &Actor,
        input: &SupplyInput,
    ) -> Result<SupplyView, ControlError> {
        open(actor, Lens::SupplyChain)?;
        let mut sites: Vec<SiteSupply> =
            input.sites.iter().filter(|s| actor.sites.covers(&s.site)).cloned().collect();
        sites.sort_by(|a, b| a.site.cmp(&b.site));
        for s in &mut sites {
            s.in_transit.sort_by(|a, b| (a.arrival, &a.from).cmp(&(b.arrival, &b.from)));
        }
        let in_transit = sum(sites.iter().flat_map(|s| s.in_transit.iter().map(|a| a.qty)))?;
        let figures = vec![
            figure(
                "available_to_promise",
                "available to promise now, summed over the sites shown (base units)",
                sum(sites.iter().map(|s| s.available_to_promise))?,
            ),
            figure("in_transit", "inbound transfers not yet received (base units)", in_transit),
            figure(
                "on_order",
                "open purchase receipts (base units)",
                sum(sites.iter().map(|s| s.on_order))?,
            ),
            figure(
                "shortage",
                "demand not covered (base units)",
                sum(sites.iter().map(|s| s.shortage))?,
            ),
            figure(
                "recommendations",
                "open replenishment recommendations",
                Decimal::from(sites.iter().map(|s| s.recommendations.len()).sum::<usize>()),
            ),
        ];
        let item = input.item.clone();
        let exceptions = self.lens_exceptions(actor, |e| e.item.as_ref() == Some(&item));
        Ok(SupplyView { item: input.item.clone(), figures, sites, exceptions })
    }

    /// The finance lens of `input.entity`.
    ///
    /// # Errors
    /// [`ControlError::Refused`] when the actor is not in finance or a site of the
    /// entity is outside its scope; [`ControlError::ValueTooLarge`] when a sum
    /// overflows.
    pub fn finance_lens(
        &self,
        actor: &Actor,
        input: &FinanceInput,
    ) -> Result<FinanceView, ControlError> {
        open(actor, Lens::Finance)?;
        if let Some(site) = input.sites.iter().find(|s| !actor.sites.covers(s)) {
            return Err(out_of_scope(actor, Some(site.clone())));
        }
        let mut mismatches: Vec<IntercompanyBalance> = input
            .intercompany
            .iter()
            .filter(|b| b.receivable != b.counterparty_payable)
            .cloned()
            .collect();
        mismatches.sort_by(|a, b| a.counterparty.cmp(&b.counterparty));
        let gaps = mismatches.iter().map(|b| {
            b.receivable
                .checked_sub(b.counterparty_payable)
                .map(|g| g.abs())
                .ok_or(ControlError::ValueTooLarge { value: b.receivable })
        });
        let gap = sum(gaps.collect::<Result<Vec<_>, _>>()?)?;
        let owned = sum([input.stock_value, input.in_transit_owned])?;
        let mut figures = vec![
            figure("stock_value", "value of stock at the entity's sites", input.stock_value),
            figure(
                "in_transit_owned",
                "value of goods in transit the entity holds title to",
                input.in_transit_owned,
            ),
            figure("owned_value", "stock value plus in-transit value owned", owned),
            figure(
                "intercompany_receivable",
                "what the other entities owe, in the entity's books",
                sum(input.intercompany.iter().map(|b| b.receivable))?,
            ),
            figure(
                "intercompany_mismatch",
                "sum over counterparties of |receivable - counterparty's payable|",
                gap,
            ),
            figure(
                "unrealized_profit",
                "intercompany profit still in stock, eliminated on consolidation",
                input.unrealized_profit,
            ),
        ];
        if let Some(value) = input.adjustment_value {
            figures.push(figure(
                "adjustment_value",
                "value of adjustments in the period (signed)",
                value,
            ));
        }
        let entity = input.entity.clone();
        let exceptions = self.lens_exceptions(actor, |e| {
            e.entity.as_ref() == Some(&entity)
                || matches!(&e.subject, Subject::Entities { seller, buyer } if *seller == entity || *buyer == entity)
        });
        Ok(FinanceView {
            entity: input.entity.clone(),
            currency: input.currency,
            figures,
            mismatches,
            exceptions,
        })
    }

    /// The executive lens at `now`: the host's figures, the queue's (active, breached,
    /// critical, value at risk) and the ten worst active exceptions network-wide.
    ///
    /// # Errors
    /// [`ControlError::Refused`] when the actor holds no executive-lens role or is not
    /// scoped to every site; [`ControlError::ValueTooLarge`] when a sum overflows.
    pub fn executive_lens(
        &self,
        actor: &Actor,
        input: &ExecutiveInput,
        now: DateTime<Utc>,
    ) -> Result<ExecutiveView, ControlError> {
        open(actor, Lens::Executive)?;
        if actor.sites != SiteScope::All {
            return Err(out_of_scope(actor, None));
        }
        let active: Vec<&Exception> = self.exceptions().filter(|e| e.state.is_active()).collect();
        let mut figures: Vec<Figure> = input
            .figures
            .iter()
            .map(|f| Figure {
                name: f.name.clone(),
                definition: f.definition.clone(),
                value: f.value,
            })
            .collect();
        figures.extend([
            figure(
                "open_exceptions",
                "exceptions open, acknowledged or in progress",
                Decimal::from(active.len()),
            ),
            figure(
                "breached",
                "active exceptions past their service level's next deadline",
                Decimal::from(active.iter().filter(|e| e.breach_at() <= now).count()),
            ),
            figure(
                "critical",
                "active exceptions of critical priority",
                Decimal::from(active.iter().filter(|e| e.priority == Priority::Critical).count()),
            ),
            figure(
                "value_at_risk",
                "value at risk of the active exceptions, in the reference currency",
                sum(active.iter().map(|e| e.reference_value))?,
            ),
        ]);
        let mut worst = active;
        worst.sort_by_key(|e| e.rank_key());
        let worst = worst.into_iter().take(10).map(ExceptionLine::from).collect();
        Ok(ExecutiveView { figures, worst })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use onhand_ledger::ActorId;

    use super::*;
    use crate::rules::Rules;
    use crate::signal::{Impact, Signal};

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, h, 0, 0).unwrap()
    }

    fn site(s: &str) -> SiteCode {
        SiteCode::new(s).unwrap()
    }

    fn actor(roles: &[Role], sites: Option<&[&str]>) -> Actor {
        Actor {
            id: ActorId::new("a").unwrap(),
            roles: roles.to_vec(),
            sites: sites
                .map_or(SiteScope::All, |l| SiteScope::Sites(l.iter().map(|s| site(s)).collect())),
        }
    }

    fn d(v: i64) -> Decimal {
        Decimal::from(v)
    }

    fn control() -> Control {
        let usd = CurrencyCode::new("USD").unwrap();
        let mut c = Control::new(Rules::standard(usd)).unwrap();
        for (item, s, value) in [("A", "ATL", 500), ("B", "ATL", 50_000), ("A", "DFW", 200_000)] {
            let subject =
                Subject::ItemSite { item: ItemCode::new(item).unwrap(), site: site(s), lot: None };
            let impact = Impact::value(d(value), usd);
            c.apply(&Signal::new(ExceptionKind::StockoutRisk, subject, at(8), impact)).unwrap();
        }
        c
    }

    fn warehouse() -> WarehouseInput {
        let bin = |b: &str, item: &str, avail| BinStock {
            bin: Some(BinCode::new(b).unwrap()),
            item: ItemCode::new(item).unwrap(),
            available: d(avail),
            held: d(2),
            damaged: d(1),
            receiving: d(0),
        };
        WarehouseInput {
            site: site("ATL"),
            bins: vec![bin("PF-A02", "A", 10), bin("PF-A01", "B", 5)],
            counts: vec![
                CountDue { item: ItemCode::new("A").unwrap(), bin: None, due: at(7) },
                CountDue { item: ItemCode::new("B").unwrap(), bin: None, due: at(20) },
            ],
            tasks: vec![OpenTasks { kind: "pick".into(), open: 4 }],
        }
    }

    fn value(figures: &[Figure], name: &str) -> Decimal {
        figures.iter().find(|f| f.name == name).unwrap().value
    }

    #[test]
    fn the_warehouse_lens_sums_its_site_and_lists_its_exceptions() {
        let c = control();
        let v = c.warehouse_lens(&actor(&[Role::Supervisor], Some(&["ATL"])), &warehouse(), at(9));
        let v = v.unwrap();
        assert_eq!(value(&v.figures, "available"), d(15));
        assert_eq!(value(&v.figures, "held"), d(4));
        assert_eq!(value(&v.figures, "counts_due"), d(1));
        assert_eq!(v.bins[0].bin.as_ref().unwrap().as_str(), "PF-A01");
        // The supervisor sees nothing yet: planning owns stockout risks until escalation.
        assert!(v.exceptions.is_empty());
        let v = c
            .warehouse_lens(&actor(&[Role::Warehouse], Some(&["ATL"])), &warehouse(), at(9))
            .unwrap();
        assert!(v.exceptions.is_empty());
        let mut c = c;
        c.escalate(at(16));
        let v = c
            .warehouse_lens(&actor(&[Role::Supervisor], Some(&["ATL"])), &warehouse(), at(16))
            .unwrap();
        let items: Vec<_> = v.exceptions.iter().map(|e| e.value).collect();
        assert_eq!(items, vec![d(50_000), d(500)], "ATL only, in rank order");
    }

    #[test]
    fn lenses_refuse_roles_and_scopes_they_do_not_allow() {
        let c = control();
        let refused = |r: Result<(), ControlError>| matches!(r, Err(ControlError::Refused { .. }));
        let wh = |a: &Actor| c.warehouse_lens(a, &warehouse(), at(9)).map(|_| ());
        assert!(refused(wh(&actor(&[Role::Planning], None))));
        assert!(refused(wh(&actor(&[Role::Warehouse], Some(&["DFW"])))));
        assert!(wh(&actor(&[Role::Quality], Some(&["ATL"]))).is_ok());
        let fin = FinanceInput {
            entity: EntityCode::new("NA01").unwrap(),
            currency: CurrencyCode::new("USD").unwrap(),
            sites: vec![site("ATL"), site("DFW")],
            stock_value: d(1_000),
            in_transit_owned: d(200),
            intercompany: vec![IntercompanyBalance {
                counterparty: EntityCode::new("CA01").unwrap(),
                receivable: d(500),
                counterparty_payable: d(450),
            }],
            unrealized_profit: d(30),
            adjustment_value: Some(d(-12)),
        };
        assert!(refused(
            c.finance_lens(&actor(&[Role::Finance], Some(&["ATL"])), &fin).map(|_| ())
        ));
        assert!(refused(c.finance_lens(&actor(&[Role::Supervisor], None), &fin).map(|_| ())));
        let v = c.finance_lens(&actor(&[Role::Finance], Some(&["ATL", "DFW"])), &fin).unwrap();
        assert_eq!(value(&v.figures, "owned_value"), d(1_200));
        assert_eq!(value(&v.figures, "intercompany_mismatch"), d(50));
        let exec = |a: &Actor| c.executive_lens(a, &ExecutiveInput::default(), at(9)).map(|_| ());
        assert!(refused(exec(&actor(&[Role::Supervisor], Some(&["ATL"])))));
        assert!(refused(exec(&actor(&[Role::Planning], None))));
        let v = c.executive_lens(&actor(&[Role::Finance], None), &ExecutiveInput::default(), at(9));
        let v = v.unwrap();
        assert_eq!(value(&v.figures, "open_exceptions"), d(3));
        assert_eq!(value(&v.figures, "value_at_risk"), d(250_500));
        assert_eq!(v.worst.first().map(|e| e.value), Some(d(200_000)));
        assert!(refused(
            c.supply_chain_lens(&actor(&[Role::Warehouse], None), &supply()).map(|_| ())
        ));
    }

    #[test]
    fn an_intercompany_gap_too_large_to_compute_is_refused_not_a_panic() {
        let c = control();
        let fin = FinanceInput {
            entity: EntityCode::new("NA01").unwrap(),
            currency: CurrencyCode::new("USD").unwrap(),
            sites: vec![],
            stock_value: d(0),
            in_transit_owned: d(0),
            intercompany: vec![IntercompanyBalance {
                counterparty: EntityCode::new("CA01").unwrap(),
                receivable: Decimal::MAX,
                counterparty_payable: Decimal::MIN,
            }],
            unrealized_profit: d(0),
            adjustment_value: None,
        };
        let err = c.finance_lens(&actor(&[Role::Finance], None), &fin).unwrap_err();
        assert_eq!(err.code(), "value_too_large");
    }

    fn supply() -> SupplyInput {
        let row = |s: &str, atp| SiteSupply {
            site: site(s),
            available_to_promise: d(atp),
            on_order: d(10),
            shortage: d(0),
            in_transit: vec![Arrival { qty: d(7), arrival: at(12), from: Some(site("ORD")) }],
            recommendations: vec![],
        };
        SupplyInput { item: ItemCode::new("A").unwrap(), sites: vec![row("DFW", 3), row("ATL", 4)] }
    }

    #[test]
    fn the_supply_chain_lens_shows_only_sites_in_scope() {
        let c = control();
        let v = c.supply_chain_lens(&actor(&[Role::Planning], Some(&["ATL"])), &supply()).unwrap();
        assert_eq!(v.sites.len(), 1);
        assert_eq!(value(&v.figures, "available_to_promise"), d(4));
        assert_eq!(value(&v.figures, "in_transit"), d(7));
        assert_eq!(v.exceptions.len(), 1, "item A at ATL only");
        let v = c.supply_chain_lens(&actor(&[Role::Planning], None), &supply()).unwrap();
        let sites: Vec<_> = v.sites.iter().map(|s| s.site.as_str()).collect();
        assert_eq!(sites, ["ATL", "DFW"]);
        assert_eq!(v.exceptions.len(), 2);
        assert_eq!(v.exceptions[0].value, d(200_000));
        assert!(serde_json::to_string(&v).unwrap().contains("\"definition\""));
    }
}
