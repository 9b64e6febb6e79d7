//! KPIs and explainable anomaly detection for multi-warehouse inventory.
//!
//! `onhand-insight` answers: *is the inventory truth holding, and where is it going
//! wrong?* It takes one [`Record`] per thing that happened (order lines created,
//! promised, shipped, delivered; transfers requested to closed; counts; adjustments;
//! supplier receipts, returns to supplier and damage; valuations, layers, in-transit
//! snapshots; intercompany mismatches; daily demand, positions, lead times; and
//! reversals of earlier records, which take them back out) and keeps, in O(1)
//! amortized per record:
//!
//! - the KPIs ([`kpi`] lists every formula): fill rates by unit,
//!   line and order against the requested and the promised date, order promise
//!   accuracy, perfect order fulfillment and order fulfillment cycle time (SCOR),
//!   transfer cycle times by lane as distributions, inventory record accuracy with net
//!   and absolute variance, count variance recurrence, in-transit visibility, aging,
//!   manual adjustment volume, reconciliation effort, and turns, days of inventory and
//!   average inventory — per day, week or month ([`Period`]) and dimension ([`Dim`]);
//! - anomaly detectors ([`Insight::detect`]; [`detect`] states each test, its
//!   minimum sample and false-positive rate) whose every finding ([`Anomaly`]) carries
//!   its evidence: recurring count variances by item-site, counter and shift, suppliers
//!   whose receipts are followed by adjustments or damage, unusual transfer volume or
//!   frequency by lane, items new to a lane;
//! - planning scores ([`plan`] gives the formulas): stockout risk by item-site, site and region
//!   ([`Insight::stockout_risk`]), transfer requests scored by urgency, customer impact
//!   and transport cost ([`Insight::score_transfers`]), and safety stock recommended
//!   from seasonal demand and lead-time variability ([`Insight::safety_stock`]).
//!
//! Main types: [`Insight`] (the state: `apply`, `merge`, the queries), [`Config`]
//! (sites with entity, region and shift calendar), [`Record`], [`Figure`] (a value or
//! "not enough data", never NaN), [`Ratio`], [`Sketch`] (the mergeable quantile
//! sketch), [`Report`], [`InsightSnapshot`] (the whole state, to keep across a restart:
//! [`Insight::snapshot`], [`Insight::restore`]).
//!
//! Counts, quantities and money are exact (`Decimal` and integers); statistics (the
//! p-values, bands, probabilities and safety stock inputs) are `f64`, in the modules
//! that say so. Nothing reads a clock or a random source: the same records give the
//! same figures, byte for byte. Every aggregate is a monoid: [`Insight::merge`]
//! combines two partitions exactly, and a week is the merge of its days.
//!
//! ```
//! use chrono::{DateTime, NaiveDate};
//! use onhand_insight::{
//!     Config, Dim, Figure, Grain, Insight, OrderLineCreated, OrderLineShipped, Period,
//!     Record, LineRef,
//! };
//! use onhand_master::Decimal;
//!
//! let mut insight = Insight::new(Config::from_master(&onhand_master::seed::demo_network())?)?;
//! let at = |h: i64| DateTime::from_timestamp(1_767_225_600 + h * 3600, 0).ok_or("time");
//! let day = NaiveDate::from_ymd_opt(2026, 1, 2).ok_or("date")?;
//! let line = |n| LineRef { order: "SO-1".parse().unwrap(), line: n };
//! for n in 1..=2 {
//!     insight.apply(&Record::OrderLineCreated(OrderLineCreated {
//!         at: at(0)?, line: line(n), customer: "C1".parse()?, group: "RETAIL".parse()?,
//!         item: "BOLT-M8".parse()?, qty: "10 EA".parse()?, requested: day, priority: 0,
//!     }))?;
//! }
//! // Line 1 ships in full on time, line 2 ships 6 of 10 on time and the rest late.
//! let ship = |n, h, qty: &str, complete| -> Result<Record, Box<dyn std::error::Error>> {
//!     Ok(Record::OrderLineShipped(OrderLineShipped {
//!         at: at(h)?, line: line(n), site: "ATL".parse()?, qty: qty.parse()?, complete }))
//! };
//! insight.apply(&ship(1, 20, "10 EA", true)?)?;
//! insight.apply(&ship(2, 30, "6 EA", false)?)?;
//! insight.apply(&ship(2, 60, "4 EA", true)?)?;
//!
//! let k = insight.orders(Period::containing(Grain::Month, day), &Dim::Network)?;
//! assert_eq!(k.fill_requested.units.value(), Figure::Value(Decimal::new(8, 1))); // 16 of 20
//! assert_eq!(k.fill_requested.lines.value(), Figure::Value(Decimal::new(5, 1))); // 1 of 2
//! assert_eq!(k.fill_requested.orders.map(|o| o.value()), Some(Figure::Value(Decimal::ZERO)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod config;
pub mod detect;
mod engine;
mod error;
mod exact;
mod figure;
mod finance;
pub mod kpi;
mod orders;
mod period;
pub mod plan;
mod record;
mod report;
mod sketch;
pub mod snapshot;
mod stats;
mod stock;
mod store;
mod transfers;

pub use config::{Basis, Config, SiteConfig};
pub use detect::{Anomaly, DetectConfig, Detector, Findings, Subject, Test, Thin};
pub use engine::Insight;
pub use error::InsightError;
pub use exact::{MAX_MAGNITUDE, MAX_SCALE};
pub use figure::{Amounts, Dist, Figure, Ratio};
pub use kpi::{
    AdjustmentKpis, AgingBucket, AgingKpis, CountKpis, CurrencyShare, Dim, Fill, InTransitKpis,
    OrderKpis, PerfectOrder, ReconciliationKpis, ReturnKpis, SupplierKpis, TransferKpis, Turns,
    TurnsKpis,
};
pub use period::{Grain, Period};
pub use plan::{
    DemandModel, Horizon, ItemSiteRisk, Missing, PlanConfig, RiskRollup, SafetyStockAdvice,
    StockoutRisk, TransferScore,
};
pub use record::{
    Adjusted, CostOfSales, CountRecorded, DamageKind, DemandObserved, InTransitHeld,
    LeadTimeObserved, LineRef, MismatchOpened, MismatchResolved, OrderLineCancelled,
    OrderLineCreated, OrderLineDelivered, OrderLinePromised, OrderLineReturned, OrderLineShipped,
    PositionObserved, Record, ReturnCondition, ReturnInspected, Reversed, Scheduled, StockDamaged,
    StockLayer, StockValued, SupplierReceipt, SupplierReturned, TransferApproved, TransferClosed,
    TransferReceived, TransferRef, TransferRequested, TransferShipped,
};
pub use report::Report;
pub use sketch::Sketch;
pub use snapshot::{INSIGHT_SNAPSHOT_FORMAT, InsightSnapshot};
pub use stats::{benjamini_hochberg, binomial_upper_tail};

// The crates this one's public signatures use, at the versions it was built with.
pub use chrono;
pub use rust_decimal;
