//! # onhand
//!
//! Multi-warehouse distribution inventory as **one system**: a governed ledger of every
//! stock movement, availability to promise and allocation, costing and intercompany
//! books, and replenishment, kept in step by one call per event.
//!
//! A [`Network`] owns the engines. [`Network::apply`] hands an inventory event to the
//! ledger, which decides; on acceptance the same call updates availability, uses up
//! the allocations of order lines whose stock left, moves transfer and purchase supply,
//! values the movement with its postings and intercompany documents, re-plans the
//! item-sites that fell below their reorder point, raises, updates and clears the
//! exceptions its signals stand for in the network's queue ([`Network::control`]), and
//! returns one [`Outcome`] in business codes and units. Orders, expected receipts and time go through the network
//! too, and every change is journaled, so the whole network replays and snapshots.
//!
//! The network keeps its KPIs as it goes: every outcome and order call is translated
//! into [`insight`] records ([`insight_feed`] has the table), so fill rates, promise
//! accuracy, record accuracy and transfer cycle times are a query away
//! ([`Network::insight`], [`Network::kpi_report`]), and a journal replays into the same
//! figures ([`Network::replay_insight`]).
//!
//! The engines are re-exported by module: [`master`], [`status`], [`ledger`], [`atp`],
//! [`valuation`], [`replenish`], [`insight`], [`control`]. Their names never clash: use `onhand::ledger::Event`,
//! `onhand::atp::Limit`, and so on.
//!
//! The core does no I/O and reads no clock: the host passes time and ids in and gets
//! the same answer on every machine, every time.
//!
//! ```
//! use onhand::ledger::{testing, Rules};
//! use onhand::master::{seed, CurrencyCode};
//! use onhand::{Network, NetworkConfig, OrderRequest};
//!
//! let usd = CurrencyCode::new("USD")?;
//! let mut rules = Rules::standard(usd).trusting_event_actors();
//! // Stock arriving from outside needs a cost: on the line, its purchase order, or here.
//! rules.reference_costs.insert("BOLT-M8".parse()?, onhand::ledger::ReferenceCost("0.085".parse()?));
//! let mut network = Network::new(seed::demo_network(), rules, NetworkConfig::default(), testing::at(-60))?;
//!
//! // One receipt: the ledger takes it, availability and the books follow in the same call.
//! let receipt = testing::receipt_to(1, "ATL", "BOLT-M8", "2 CS", "PF-A01", "available")?;
//! let outcome = network.apply(&receipt)?;
//! assert_eq!(outcome.availability[0].after.to_string(), "+240 EA");
//! assert_eq!(outcome.postings.iter().map(|p| p.amount.to_string()).collect::<Vec<_>>(), ["20.40", "-20.40"]);
//!
//! // An order by code, answered in its own unit.
//! let order = OrderRequest::new("SO-1".parse()?, 1, "HOMEPRO".parse()?, "BOLT-M8".parse()?,
//!     "1 CS".parse()?, chrono::NaiveDate::from_ymd_opt(2026, 1, 8).ok_or("date")?);
//! let booked = network.allocate(&order)?;
//! assert_eq!(booked.promise.confirmed.to_string(), "1 CS");
//! assert_eq!(booked.promise.schedule[0].site.as_str(), "ATL");
//!
//! // The engines agree with each other, and the journal replays to the same state.
//! network.check()?;
//! assert_eq!(network.journal().head().seq, 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Start from [`Network`] (what one call does, and the threading model), then
//! [`Outcome`] and [`Signal`]. [`Network::check`] states the invariants between the
//! engines; [`partition`] says how a network splits across processes and [`Figures`]
//! how their reports merge.
//!
//! [`files`] parses the network files the command line reads (TOML or JSON master data
//! and status maps) from text, with errors that name the file, line and field.
//!
//! To unit-test business rules without writing Rust against the engines, write them as
//! data: [`scenario`] runs a [`Scenario`](scenario::Scenario) (a network, its rules, steps
//! in time order and what to expect after each) and reports every expectation, passed or
//! with expected against actual. The `onhand` command line reads them from TOML or JSON
//! files (`onhand run`, `onhand check`).

pub use onhand_atp as atp;
pub use onhand_control as control;
pub use onhand_insight as insight;
pub use onhand_ledger as ledger;
pub use onhand_master as master;
pub use onhand_replenish as replenish;
pub use onhand_status as status;
pub use onhand_valuation as valuation;

pub use chrono;
pub use rust_decimal;
pub use uuid;

mod booking;
mod canonical;
mod config;
mod cost_plan;
pub mod costing;
mod digest;
mod error;
mod exceptions;
mod figures;
pub mod files;
pub mod insight_feed;
mod invariants;
pub mod journal;
mod lens;
mod network;
mod orders;
mod outcome;
pub mod partition;
mod purchasing;
mod query;
pub mod scenario;
pub mod sim;
pub mod snapshot;

pub use config::{AtpSettings, ControlSettings, ItemSitePlan, NetworkConfig, ReplenishSettings};
pub use error::Error;
pub use figures::{Counts, EntityFigures, Figures, IntercompanyFigures, ItemFigures};
pub use insight_feed::{FeedStats, InsightSettings, SiteCalendar};
pub use invariants::Violation;
pub use journal::{Command, Entry, JOURNAL_FORMAT, Mark};
pub use network::{COST_EVENTS_PER_ENTRY, Network, cost_event_id};
pub use orders::{
    Booked, ChangeView, OrderRef, OrderRequest, PromiseView, Reprocessed, Schedule, ScheduleView,
};
pub use outcome::{
    Advanced, AllocationUse, AvailabilityChange, Decision, Outcome, PositionChange, Signal,
    SupplyChange, SupplyUpdate,
};
pub use partition::Partition;
pub use purchasing::{ExpectedReceipt, OpenReceipt, ReceiptChange};
pub use query::{Availability, EntityBooks, PoolLine, SiteAvailability, TransitLine};
pub use snapshot::{NETWORK_SNAPSHOT_FORMAT, NetworkSnapshot};
