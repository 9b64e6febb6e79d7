//! Replenishment: when a site falls below its service level for an item, decide what to
//! do across the whole network, and explain why.
//!
//! `onhand-replenish` answers: *how much safety stock, when to reorder and how much, and
//! for a site running short — transfer, buy, substitute or restrict allocation?* It owns
//!
//! - demand and lead-time statistics from dated history ([`demand_stats`],
//!   [`lead_time_stats`]): mean and deviation per period, seasonality indices;
//! - the standard normal distribution and loss function to documented accuracy
//!   ([`normal`]);
//! - safety stock (fixed, days of supply, statistical for a cycle service level or a
//!   fill rate, with lead-time variability), reorder point, min-max and periodic-review
//!   levels, the economic order quantity, and order minimum, multiple and maximum
//!   ([`parameters`], [`order_need`], [`eoq`]); the inventory position identity
//!   ([`Position`]);
//! - the same from plain numbers, as a planner works it on paper ([`plain`]): safety
//!   stock, reorder point, order-up-to level and EOQ from a demand mean and deviation per
//!   period (any period: [`DemandStats::weekly`], [`DemandStats::monthly`]), a lead time
//!   and a cycle service level, fill rate (with its lot size) or safety factor, each level
//!   exact and rounded to a step; and the evaluation of a given (s, Q), (s, S) or (R, S)
//!   policy: service level, shortage, fill rate, stock, flow time and annual cost;
//! - network decisions ([`Planner`]): candidates (transfer from a site with excess,
//!   purchase, substitute, allocation control) scored on urgency, customer impact, cost
//!   and service risk, the best recommended with ranked alternatives and reasons;
//!   proposed transfers ([`ProposedTransfer`]) scored the same way;
//! - distribution requirements planning across a multi-echelon network with lot sizing
//!   ([`drp`]) and fair-share allocation of short supply by equal days of supply
//!   ([`fair_share`]).
//!
//! Statistics use floating point; every quantity that leaves the crate is an exact
//! decimal, rounded up to the order multiple (or the base unit's step).
//!
//! ```
//! use std::sync::Arc;
//! use onhand_master::{seed, Catalog, Decimal};
//! use onhand_replenish::{Action, DemandStats, Planner, Position, SiteState};
//!
//! let catalog = Arc::new(Catalog::new(seed::demo_network())?);
//! let state = |site: &str, daily: f64, on_hand: i64| -> Result<SiteState, Box<dyn std::error::Error>> {
//!     Ok(SiteState {
//!         item: "BOLT-M8".parse()?, site: site.parse()?,
//!         stats: DemandStats::daily(daily, daily * 0.3),
//!         position: Position { on_hand: Decimal::from(on_hand), ..Position::default() },
//!         priority_demand: Decimal::ZERO, costs: None,
//!     })
//! };
//! // Atlanta sells 400 bolts a day and has 900; Chicago, two days away, has plenty.
//! let planner = Planner::new(catalog, vec![state("ATL", 400.0, 900)?, state("ORD", 300.0, 20_000)?])?;
//! let recs = planner.evaluate()?;
//! assert_eq!(recs[0].site.as_str(), "ATL");
//! assert!(matches!(&recs[0].best.action, Action::Transfer { from } if from.as_str() == "ORD"));
//! assert!(!recs[0].alternatives.is_empty()); // buying from ACME, ranked below
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod drp;
mod error;
mod exact;
mod network;
pub mod normal;
pub mod plain;
mod policy;
mod stats;

pub use drp::{
    DrpNode, DrpRecord, FairClaim, FairShare, LIMIT, LotSizing, MAX_CELLS, MAX_PERIODS, drp,
    fair_share,
};
pub use error::{Bound, Field, ReplenishError};
pub use network::{
    Action, Candidate, ExchangeRate, Planner, ProposedTransfer, Recommendation, SiteState,
};
pub use policy::{
    Costs, Parameters, Position, Steps, Unrounded, eoq, order_need, parameters, parameters_for_lot,
};
pub use stats::{DemandStats, demand_stats, lead_time_stats};

// The crates this one's public signatures use, at the versions it was built with.
pub use chrono;
pub use rust_decimal;
