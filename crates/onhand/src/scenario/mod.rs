//! Scenarios: business rules as data. A [`Scenario`] says "given this network and these
//! rules, when these events, orders and moves of time happen, then these positions,
//! promises, postings and signals result", as plain serde data that reads the same from
//! TOML or JSON. [`run`] plays it through one [`Network`](crate::Network) and returns a
//! [`Report`]: every expectation, passed or with expected and actual side by side.
//!
//! The module is pure: it takes a scenario already parsed and reads no file. The
//! `onhand` command line (`onhand run`, `onhand check`) reads files, and its library
//! runs a whole folder of them as a test.
//!
//! # The format (version 1)
//!
//! - `format = 1`, a `name`, and `start`: the network's time when the run begins.
//! - `[network]`: `builtin = "demo"` (the demo network) or `[network.master]` with the
//!   master-data lists inline (the lists of `onhand export-demo`, without status maps).
//! - `[rules]`: the ledger's standard rules in `currency` (default USD), with any
//!   `permissions`, `reasons`, `thresholds`, `count_tolerance` replaced and
//!   `reference_costs` added. `[config]`: the network's [`NetworkConfig`].
//! - `[actors]`: names and their roles (`clerk = { roles = ["warehouse"] }`). A step
//!   without `by` posts as `scenario`, an actor with every role. `trust_event_actors =
//!   true` under `[rules]` believes what events carry instead (the ledger's opt-in for
//!   hosts that authenticate upstream).
//! - `check_invariants = true`: every step also checks the network's cross-engine
//!   invariants.
//! - `[[steps]]`, in time order. Each step does at most one thing, named by its key
//!   ([`Step`] lists them all), at `at` (default: the previous step's time), and may
//!   carry `[steps.expect]` ([`Expect`]), checked right after it, and a `note` saying
//!   in words what it shows.
//!
//! Among the expectations, `exceptions` lists exceptions that must be in the network's
//! queue ([`ExceptionExpect`]): each by its kind's stable code (`count_variance`,
//! `line_short_or_late`, ...), and optionally the `item`, `site`, `order` and `line`,
//! `transfer`, or the step whose held `event` it is about, its `state` (default: any
//! active one) and its `owner` role. A missing one fails with what the queue holds.
//! `active_exceptions = N` expects exactly N active exceptions (`0`: nothing left to
//! act on); a wrong count fails listing them.
//! `kpis` lists KPI values of the network's report ([`KpiExpect`]):
//! `{ kpi = "line_fill_rate", period = "2026-01", value = "1/2" }`, for the network or
//! one `site`; the period is a day, an ISO week or a month as the report prints it, and
//! the value an exact ratio, an exact decimal, or `"no data"`.
//!
//! Quantities are written with their unit (`"10 CS"`) and compared exactly: equal
//! after conversion to the item's base unit by the item's own exact ratios. Money is
//! written with its currency (`"20.40 USD"`) and a different currency never matches.
//!
//! ```
//! use onhand::scenario::{self, Scenario};
//!
//! let s: Scenario = serde_json::from_str(r#"{
//!   "format": 1, "name": "one receipt", "start": "2026-01-05T08:00:00Z",
//!   "network": { "builtin": "demo" },
//!   "rules": { "reference_costs": { "BOLT-M8": "0.085" } },
//!   "steps": [
//!     { "receipt": { "site": "ATL", "item": "BOLT-M8", "qty": "2 CS", "bin": "PF-A01", "to": "available" },
//!       "expect": { "outcome": "accepted",
//!                   "positions": [{ "item": "BOLT-M8", "site": "ATL", "measure": "available", "qty": "240 EA" }],
//!                   "postings": [{ "entity": "NA01", "key": "inventory", "amount": "20.40 USD" }] } }
//!   ]
//! }"#)?;
//! let report = scenario::run(&s)?;
//! assert!(report.passed(), "{}", report.failures_text());
//! assert_eq!(report.checks(), 3);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod report;
mod run;
mod timeline;

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use onhand_control::{ExceptionKind, State};
use onhand_insight::{Grain, Period};
use onhand_ledger::{
    CountTolerance, DocNumber, Event, EventKind, ReasonCode, ReferenceCost, Threshold,
};
use onhand_master::{
    BinCode, CurrencyCode, EntityCode, ItemCode, LotCode, MasterData, Money, Qty, QtyDelta,
    RegionCode, Role, SiteCode, SupplierCode,
};
use onhand_status::{Measure, StockStatus};
use onhand_valuation::PostingKey;
use serde::{Deserialize, Serialize};

use crate::config::NetworkConfig;
use crate::orders::{OrderRef, OrderRequest};
use crate::purchasing::{ExpectedReceipt, ReceiptChange};

pub use report::{Check, Report, StepReport};
pub use run::{Played, ScenarioError, play, run, run_with_timeline};
pub use timeline::{
    ATP_DAYS, ATP_PRIORITY, AtpDay, AtpSeries, ExceptionLine, Frame, KpiLine, Promised, Recorder,
    StockLine, Timeline, TransferLine, TrialBalanceLine,
};

/// The format version this crate reads and writes.
pub const FORMAT: u32 = 1;

/// A scenario: a network, its rules, and steps with expectations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The format version ([`FORMAT`]).
    pub format: u32,
    /// What it shows, in a few words.
    #[serde(default)]
    pub name: String,
    /// The network's time when the run begins.
    pub start: DateTime<Utc>,
    /// The network.
    pub network: NetworkSpec,
    /// The ledger's rules.
    #[serde(default)]
    pub rules: RulesSpec,
    /// Valuation, availability and replenishment configuration.
    #[serde(default)]
    pub config: NetworkConfig,
    /// Named actors, by name.
    #[serde(default)]
    pub actors: BTreeMap<String, ActorSpec>,
    /// After every step, also check the network's cross-engine invariants
    /// ([`Network::check`](crate::Network::check)): one more check per step, named
    /// `cross-engine invariants`. Off by default: the invariants are the engine's
    /// promise, not a business rule, and every step pays a full check.
    #[serde(default, skip_serializing_if = "is_false")]
    pub check_invariants: bool,
    /// The steps, in time order.
    #[serde(default)]
    pub steps: Vec<Step>,
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if passes a reference"
)]
fn is_false(b: &bool) -> bool {
    !*b
}

/// A built-in network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Builtin {
    /// The demo network ([`seed::demo_network`](onhand_master::seed::demo_network)).
    Demo,
}

/// Which network a scenario runs on: exactly one of `builtin` and `master`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// A built-in network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub builtin: Option<Builtin>,
    /// Master data written out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master: Option<Box<MasterData>>,
}

/// The ledger's rules: the standard rules in `currency`, with what is given replacing or
/// adding to them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesSpec {
    /// The ledger's currency (default USD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<CurrencyCode>,
    /// Who may post each kind: replaces the standard roles of the kinds given.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub permissions: BTreeMap<EventKind, Vec<Role>>,
    /// The reasons each kind accepts: replaces the standard list of the kinds given.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub reasons: BTreeMap<EventKind, Vec<ReasonCode>>,
    /// Approval thresholds: replaces the standard ones when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thresholds: Option<Vec<Threshold>>,
    /// Count tolerances: replaces the standard ones when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count_tolerance: Option<Vec<CountTolerance>>,
    /// Reference costs per item (in `currency`, per base unit), added.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub reference_costs: BTreeMap<ItemCode, ReferenceCost>,
    /// Opt-in: believe the roles and sites each event carries
    /// ([`Identity::EventCarried`](onhand_ledger::Identity::EventCarried)), as a host that
    /// authenticates actors upstream does, instead of checking them against `[actors]`.
    /// Events written out in full (`event`) then post with the roles they name; compact
    /// steps carry their actor's roles from `[actors]` as before.
    #[serde(default, skip_serializing_if = "is_false")]
    pub trust_event_actors: bool,
}

/// A named actor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActorSpec {
    /// Its roles.
    pub roles: Vec<Role>,
    /// The sites it may post at (default: every site).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sites: Option<Vec<SiteCode>>,
}

/// One step: at most one action (none for a step that only checks), then what to
/// expect.
///
/// Inventory events get the id of their step's position (step 1: id 1) and the
/// reference document given as `doc` (default `SCN-<step>`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// A name other steps refer to (`approve = "big-gain"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What the step shows, in words: printed by `onhand run` and kept in the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// When it is recorded (default: the previous step's time, or the start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<Utc>>,
    /// When an event takes effect, if earlier than `at` (a back-dated event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective: Option<DateTime<Utc>>,
    /// Who posts an event (a name from `[actors]`; default: every role).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// Why (default: the event kind's name in capitals; adjustments `CORRECTION`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<ReasonCode>,

    /// Goods received from outside.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<MoveSpec>,
    /// A bin-to-bin move or put-away (from receiving to available by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub putaway: Option<MoveSpec>,
    /// Available stock picked for a sales order (`doc`, `doc_line`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pick: Option<MoveSpec>,
    /// Picked stock shipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship: Option<MoveSpec>,
    /// A customer return.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_return: Option<MoveSpec>,
    /// An inspection's outcome (`from`, `to`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition: Option<MoveSpec>,
    /// A hold, release or block (`from`, `to`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_change: Option<MoveSpec>,
    /// Scrapping (`from`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scrap: Option<MoveSpec>,
    /// A gain (`+`) or loss (`-`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjust: Option<AdjustSpec>,
    /// A cycle count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<CountSpec>,
    /// A transfer order requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_request: Option<TransferSpec>,
    /// A transfer order approved (its number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_approve: Option<DocNumber>,
    /// Stock shipped on a transfer order (`doc` is the transfer order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_ship: Option<MoveSpec>,
    /// Stock received on a transfer order (`doc`); `to = "damaged"` for damage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_receipt: Option<MoveSpec>,
    /// A transfer order closed (its number): what is still in transit is written off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_close: Option<DocNumber>,
    /// Goods back to the supplier: the line's `original` names the receipt's step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier_return: Option<MoveSpec>,
    /// The event of the named step reversed (a receipt, pick, shipment, scrap or
    /// adjustment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reverse: Option<String>,
    /// The held event of the named step approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approve: Option<String>,
    /// The held event of the named step rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject: Option<String>,
    /// The period closed through this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_period: Option<DateTime<Utc>>,
    /// Any ledger event written out in full (its own id, times and actor).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<Box<Event>>,

    /// An order line promised without booking anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promise: Option<OrderRequest>,
    /// An order line reserved until `expires`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserve: Option<ReserveSpec>,
    /// An order line allocated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocate: Option<OrderRequest>,
    /// A reservation made a hard allocation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub make_hard: Option<OrderRef>,
    /// A booking released.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<OrderRef>,
    /// A booking reduced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reduce: Option<ReduceSpec>,
    /// A purchase order line expected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_receipt: Option<ExpectedReceipt>,
    /// An expected receipt changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_receipt: Option<ReceiptChange>,
    /// An expected receipt cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_receipt: Option<OrderRef>,
    /// The network's time moved to this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advance: Option<DateTime<Utc>>,
    /// Backorder re-processing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reprocess: Option<ReprocessSpec>,
    /// A consolidation run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consolidate: Option<ConsolidateSpec>,
    /// A live item's costing method changed, effective at the step's `effective` time
    /// (default: its time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_method: Option<MethodChangeSpec>,

    /// What must hold after the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Expect>,
}

/// One line of stock moving at one site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveSpec {
    /// The site.
    pub site: SiteCode,
    /// The item.
    pub item: ItemCode,
    /// How much, in any unit of the item.
    pub qty: Qty,
    /// The bin it is in (or arrives in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bin: Option<BinCode>,
    /// The bin it moves to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_bin: Option<BinCode>,
    /// The status it leaves (default: the kind's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<StockStatus>,
    /// The status it arrives in (default: the kind's, or the item-site's policy).
    #[serde(default, alias = "status", skip_serializing_if = "Option::is_none")]
    pub to: Option<StockStatus>,
    /// The lot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot: Option<LotCode>,
    /// The owning entity (default: the site's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<EntityCode>,
    /// The cost per `qty` unit of stock arriving from outside.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_cost: Option<Money>,
    /// The reference document (purchase, sales or transfer order; default `SCN-<step>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<DocNumber>,
    /// The line of the reference document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_line: Option<u32>,
    /// For a return: the step whose shipment comes back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original: Option<String>,
}

/// A gain or loss of stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdjustSpec {
    /// The site.
    pub site: SiteCode,
    /// The item.
    pub item: ItemCode,
    /// `+` gains, `-` loses (`"+5 EA"`, `"-3 EA"`).
    pub qty: QtyDelta,
    /// The bin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bin: Option<BinCode>,
    /// The status gained into or lost from (default available).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StockStatus>,
    /// The cost per unit of a gain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_cost: Option<Money>,
}

/// A cycle count of one item in one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountSpec {
    /// The site.
    pub site: SiteCode,
    /// The item.
    pub item: ItemCode,
    /// What was counted.
    pub counted: Qty,
    /// The bin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bin: Option<BinCode>,
    /// The status counted (default available).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StockStatus>,
}

/// A transfer order request for one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferSpec {
    /// The transfer order number.
    pub transfer: DocNumber,
    /// The shipping site.
    pub from: SiteCode,
    /// The receiving site.
    pub to: SiteCode,
    /// The item.
    pub item: ItemCode,
    /// How much.
    pub qty: Qty,
    /// When it is expected to arrive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrival: Option<DateTime<Utc>>,
}

/// A reservation: the order line and when it lapses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReserveSpec {
    /// The line.
    pub request: OrderRequest,
    /// When it lapses.
    pub expires: DateTime<Utc>,
}

/// A booking reduced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReduceSpec {
    /// The sales order.
    pub order: DocNumber,
    /// The line.
    pub line: u32,
    /// By how much.
    pub qty: Qty,
}

/// Backorder re-processing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReprocessSpec {
    /// How lines competing for short supply share it: `first_come` (the default) or
    /// `fair_share` (in proportion to need).
    #[serde(default)]
    pub sharing: onhand_atp::Sharing,
}

/// A consolidation run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsolidateSpec {
    /// The run's number.
    #[serde(default)]
    pub run: u64,
    /// The group entity the elimination is booked in.
    pub group: EntityCode,
    /// The group currency.
    pub currency: CurrencyCode,
}

/// A change of a live item's costing method (see
/// [`Network::change_costing_method`](crate::Network::change_costing_method)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MethodChangeSpec {
    /// The entity.
    pub entity: EntityCode,
    /// The item.
    pub item: ItemCode,
    /// The site, for an entity valued per site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<SiteCode>,
    /// The new method (`fifo`, `moving_average`, `standard`).
    pub method: onhand_valuation::Method,
    /// The standard cost per base unit, for a change to standard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard: Option<onhand_master::Money>,
}

/// What a step's call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// Applied.
    Accepted,
    /// Held for approval.
    Pending,
    /// Applied before: nothing happened again.
    Duplicate,
    /// Refused with an error.
    Rejected,
}

/// What must hold after a step. Every field is optional; each entry is one check.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The step's outcome (default: a step with an action must not be rejected).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<OutcomeKind>,
    /// The error code of a rejected step (implies `outcome = "rejected"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The roles a pending event still needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needs: Option<Vec<Role>>,
    /// Positions by measure.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub positions: Vec<PositionExpect>,
    /// Dated availability to promise at a site.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub atp: Vec<AtpExpect>,
    /// Dated availability across the network for a region.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network_atp: Vec<NetworkAtpExpect>,
    /// The promise this step made (a `promise`, `reserve` or `allocate` step).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promise: Option<PromiseExpect>,
    /// Booked order lines, by order and line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub booked: Vec<PromiseExpect>,
    /// This step's postings, summed per entity and account key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub postings: Vec<AmountExpect>,
    /// Balances over every posting so far, per entity and account key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub balances: Vec<AmountExpect>,
    /// Entities' books.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub books: Vec<BooksExpect>,
    /// The intercompany documents this step issued, in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documents: Option<Vec<DocumentExpect>>,
    /// The kinds of the signals this step raised, in order (`"stock_on_hold"`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signals: Option<Vec<String>>,
    /// The replenishment recommendations this step raised.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recommendations: Vec<RecommendationExpect>,
    /// The lines backorder re-processing changed, in serve order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<Vec<ChangeExpect>>,
    /// Stock in transit to sites.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub in_transit: Vec<TransitExpect>,
    /// Exceptions in the network's queue ([`Network::control`](crate::Network::control)).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<ExceptionExpect>,
    /// How many exceptions in the queue are active (open, acknowledged, in progress or
    /// escalated): `active_exceptions = 0` expects nothing left to act on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_exceptions: Option<usize>,
    /// KPI values of the network's report ([`Network::kpi_report`](crate::Network::kpi_report)).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kpis: Vec<KpiExpect>,
}

/// A position: an item's measure at a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PositionExpect {
    /// The item.
    pub item: ItemCode,
    /// The site.
    pub site: SiteCode,
    /// The measure.
    pub measure: Measure,
    /// The expected quantity.
    pub qty: Qty,
    /// As of this time (default: now).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<DateTime<Utc>>,
}

/// Available to promise at a site on a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AtpExpect {
    /// The item.
    pub item: ItemCode,
    /// The site.
    pub site: SiteCode,
    /// The date.
    pub date: NaiveDate,
    /// The demand priority (default 5).
    #[serde(default = "default_priority")]
    pub priority: u8,
    /// The expected quantity, or `"unlimited"`.
    pub qty: Expected,
}

/// A quantity, or unlimited beyond the checking horizon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Expected {
    /// This much.
    Qty(Qty),
    /// As much as is asked.
    Unlimited,
}

impl TryFrom<String> for Expected {
    type Error = onhand_master::MasterError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        if s == "unlimited" { Ok(Expected::Unlimited) } else { Ok(Expected::Qty(s.parse()?)) }
    }
}

impl From<Expected> for String {
    fn from(e: Expected) -> String {
        match e {
            Expected::Qty(q) => q.to_string(),
            Expected::Unlimited => "unlimited".into(),
        }
    }
}

fn default_priority() -> u8 {
    5
}

/// What each candidate site can promise for a region, in rank order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkAtpExpect {
    /// The item.
    pub item: ItemCode,
    /// The ship-to region.
    pub region: RegionCode,
    /// The requested delivery date.
    pub requested: NaiveDate,
    /// The demand priority (default 5).
    #[serde(default = "default_priority")]
    pub priority: u8,
    /// The sites, in rank order.
    pub sites: Vec<SiteOfferExpect>,
}

/// One site's offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteOfferExpect {
    /// The site.
    pub site: SiteCode,
    /// What it can promise.
    pub qty: Expected,
    /// When it would be delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<NaiveDate>,
}

/// A promise: what is confirmed, when and from where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromiseExpect {
    /// The sales order (required under `booked`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<DocNumber>,
    /// The line (required under `booked`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// Confirmed, in any unit of the item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed: Option<Qty>,
    /// Not confirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unconfirmed: Option<Qty>,
    /// Whether all of it arrives on time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_time: Option<bool>,
    /// The schedule lines, in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Vec<ScheduleExpect>>,
    /// What limited it (`"stock"`, `"quota"`, `"protection"`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<Vec<String>>,
    /// Limits it must name among others (`limits` lists them all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limited_by: Option<Vec<String>>,
}

/// One schedule line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleExpect {
    /// The shipping site.
    pub site: SiteCode,
    /// The quantity.
    pub qty: Qty,
    /// The item shipped, when a substitute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<ItemCode>,
    /// When it is available at the site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_on: Option<NaiveDate>,
    /// When it is delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<NaiveDate>,
}

/// A sum of postings for an entity and account key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmountExpect {
    /// The entity.
    pub entity: EntityCode,
    /// The account key.
    pub key: PostingKey,
    /// The sum (debits positive), with its currency.
    pub amount: Money,
}

/// An entity's books.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BooksExpect {
    /// The entity.
    pub entity: EntityCode,
    /// The value of its stock on hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory: Option<Money>,
    /// The value of goods it owns in transit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_transit: Option<Money>,
    /// Intercompany profit in what it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unrealized_profit: Option<Money>,
    /// Cost pools (item, site for per-site entities).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pools: Vec<PoolExpect>,
}

/// One cost pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolExpect {
    /// The item.
    pub item: ItemCode,
    /// The site, for an entity valued per site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<SiteCode>,
    /// The quantity on the books.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qty: Option<Qty>,
    /// Its value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Money>,
}

/// An intercompany document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentExpect {
    /// Its kind (`sales_order`, `purchase_order`, `shipment`, `invoice`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<onhand_valuation::IcDocKind>,
    /// The issuing entity.
    pub entity: EntityCode,
    /// The other side.
    pub counterparty: EntityCode,
    /// The item.
    pub item: ItemCode,
    /// The amount.
    pub amount: Money,
}

/// A replenishment recommendation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecommendationExpect {
    /// The item.
    pub item: ItemCode,
    /// The site.
    pub site: SiteCode,
    /// The best action: `transfer`, `purchase`, `substitute` or `protect_allocation`.
    pub action: String,
    /// The source site of a transfer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<SiteCode>,
    /// The supplier of a purchase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier: Option<SupplierCode>,
    /// The quantity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qty: Option<Qty>,
    /// The inventory position it was raised on (on hand, on order and in transit, less
    /// allocations and backorders).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Qty>,
}

/// How re-processing changed one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeExpect {
    /// The sales order.
    pub order: DocNumber,
    /// The line.
    pub line: u32,
    /// Confirmed before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Qty>,
    /// Confirmed after.
    pub after: Qty,
    /// The last delivery date after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_delivery: Option<NaiveDate>,
}

/// Stock in transit to a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitExpect {
    /// The receiving site.
    pub to: SiteCode,
    /// The item.
    pub item: ItemCode,
    /// How much in total.
    pub qty: Qty,
    /// The entity that owns it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<EntityCode>,
}

/// An exception in the queue: one of `kind` about the subject the other fields name, in
/// `state` (default: any active state: open, acknowledged or in progress), owned by
/// `owner`. Fields left out match anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExceptionExpect {
    /// The kind's stable code (`line_short_or_late`, `count_variance`, ...).
    pub kind: ExceptionKind,
    /// The item it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<ItemCode>,
    /// The site it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<SiteCode>,
    /// The sales order of a line, or the purchase order of an expected receipt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<DocNumber>,
    /// The line of `order`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// The transfer order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<DocNumber>,
    /// The step whose held event it is about (a pending approval).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// Its state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<State>,
    /// The role that owns it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Role>,
}

/// A KPI the network's report gives, for the whole network or one site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KpiName {
    /// Units shipped by the requested date / units ordered.
    UnitFillRate,
    /// Lines shipped complete by the requested date / lines.
    LineFillRate,
    /// Orders shipped complete by the requested date / orders (network only).
    OrderFillRate,
    /// Order promise accuracy: lines shipped as promised / lines.
    PromiseAccuracy,
    /// Inventory record accuracy: counts within tolerance / counts.
    InventoryRecordAccuracy,
    /// Transfer receipts without discrepancy / transfer receipts.
    TransferReceiptAccuracy,
}

impl KpiName {
    /// Every KPI a scenario can expect, in the order reports list them.
    pub const ALL: [KpiName; 6] = [
        KpiName::UnitFillRate,
        KpiName::LineFillRate,
        KpiName::OrderFillRate,
        KpiName::PromiseAccuracy,
        KpiName::InventoryRecordAccuracy,
        KpiName::TransferReceiptAccuracy,
    ];
}

/// A reporting period written as the report prints it: a day (`2026-01-05`), an ISO
/// week (`2026-W02`) or a month (`2026-01`).
///
/// ```
/// use onhand::scenario::PeriodSpec;
/// let p: PeriodSpec = serde_json::from_str(r#""2026-01""#)?;
/// assert_eq!(p.0.to_string(), "2026-01");
/// assert_eq!(p.0.days(), 31);
/// assert!(serde_json::from_str::<PeriodSpec>(r#""January""#).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PeriodSpec(pub Period);

impl TryFrom<String> for PeriodSpec {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        let bad = || {
            format!(
                "{s:?} is not a period: write a day (2026-01-05), an ISO week (2026-W02) or a month (2026-01)"
            )
        };
        let date = if let Some((y, w)) = s.split_once("-W") {
            let (y, w) =
                (y.parse::<i32>().map_err(|_| bad())?, w.parse::<u32>().map_err(|_| bad())?);
            (Grain::Week, NaiveDate::from_isoywd_opt(y, w, chrono::Weekday::Mon).ok_or_else(bad)?)
        } else if s.len() == 7 {
            (
                Grain::Month,
                NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d").map_err(|_| bad())?,
            )
        } else {
            (Grain::Day, NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|_| bad())?)
        };
        let p = Period::containing(date.0, date.1);
        if p.to_string() == s { Ok(PeriodSpec(p)) } else { Err(bad()) }
    }
}

impl From<PeriodSpec> for String {
    fn from(p: PeriodSpec) -> String {
        p.0.to_string()
    }
}

/// A KPI value: an exact ratio (`"3/4"`: numerator and denominator both as given), an
/// exact decimal (`"0.75"`: the ratio's value), or `"no data"` (nothing to count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum KpiValue {
    /// Numerator over denominator, both compared.
    Ratio(rust_decimal::Decimal, rust_decimal::Decimal),
    /// The value, compared exactly.
    Value(rust_decimal::Decimal),
    /// Nothing counted in the period.
    NoData,
}

impl TryFrom<String> for KpiValue {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        let bad = || {
            format!(
                "{s:?} is not a KPI value: write a ratio (3/4), a decimal (0.75) or \"no data\""
            )
        };
        let num = |t: &str| t.trim().parse::<rust_decimal::Decimal>().map_err(|_| bad());
        if s == "no data" {
            Ok(KpiValue::NoData)
        } else if let Some((n, d)) = s.split_once('/') {
            Ok(KpiValue::Ratio(num(n)?, num(d)?))
        } else {
            Ok(KpiValue::Value(num(&s)?))
        }
    }
}

impl From<KpiValue> for String {
    fn from(v: KpiValue) -> String {
        match v {
            KpiValue::Ratio(n, d) => format!("{n}/{d}"),
            KpiValue::Value(v) => v.to_string(),
            KpiValue::NoData => "no data".into(),
        }
    }
}

/// A KPI's value in a period, for the network or one site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KpiExpect {
    /// The KPI.
    pub kpi: KpiName,
    /// The period.
    pub period: PeriodSpec,
    /// One site's figure (default: the network's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<SiteCode>,
    /// The value.
    pub value: KpiValue,
}
