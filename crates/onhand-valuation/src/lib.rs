//! Inventory valuation: turns physical movements into the financial truth of each legal
//! entity, keeping physical movement and financial ownership as separate flows.
//!
//! `onhand-valuation` answers: *what is the stock worth, what does each entity book when
//! it moves, and what must consolidation eliminate?* It owns
//!
//! - cost pools per legal entity and item (per site for entities that value per site):
//!   FIFO layers, moving average, and standard cost with purchase price variance,
//!   revaluation on a standard change, and rounding residues posted to a named account
//!   so pool values always equal the books ([`Valuation`], [`Pool`]);
//! - the postings of every movement ([`CostEvent`] → [`Posting`]s, balanced per entity
//!   and currency, on accounts mapped per entity from [`PostingKey`]s): receipts,
//!   issues to sales, scrap and adjustments, count gains, customer returns at the cost
//!   they left with, landed cost after the fact, and the negative-stock policy (refuse,
//!   or issue at the last cost and true up on the next receipt);
//! - back-dated movements, replayed into the affected pool's history from the nearest
//!   snapshot, with a correction posting for every later movement whose value changed;
//! - transfers: at cost through in transit inside an entity; across entities by an
//!   intercompany [`Agreement`] (at cost, cost plus a markup, or a price list; the
//!   invoice currency and the caller's rates; title at shipment or at receipt), with the
//!   document set ([`IcDocument`]), both sides' postings and open items;
//! - consolidation ([`Valuation::consolidate`]): intercompany revenue eliminated against
//!   cost of sales, unrealized profit in buyers' inventory removed and released when
//!   sold outside the group; and reconciliation of receivables against payables
//!   ([`reconcile`]).
//!
//! The engine reads no clock and no rates of its own: times, ids and exchange rates come
//! in on the events.
//!
//! ```
//! use std::sync::Arc;
//! use onhand_master::{seed, Catalog, Decimal};
//! use onhand_valuation::{unbalanced, CostBody, CostEvent, IssueTo, Valuation, ValuationConfig};
//!
//! let catalog = Arc::new(Catalog::new(seed::demo_network())?);
//! let mut v = Valuation::new(catalog, ValuationConfig::default())?;
//! let at = |h: u32| chrono::DateTime::from_timestamp(1_767_600_000 + i64::from(h) * 3600, 0).ok_or("time");
//! let receipt = |id, qty: &str, cost: &str| -> Result<CostEvent, Box<dyn std::error::Error>> {
//!     Ok(CostEvent { id, at: at(id as u32)?, body: CostBody::Receipt {
//!         site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: qty.parse()?,
//!         unit_cost: cost.parse()?, owner: None } })
//! };
//! // Atlanta belongs to NA01, which values at FIFO in USD.
//! v.apply(&receipt(1, "100 EA", "0.10 USD")?)?;
//! v.apply(&receipt(2, "200 EA", "0.12 USD")?)?;
//! let sale = CostEvent { id: 3, at: at(3)?, body: CostBody::Issue {
//!     site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: "150 EA".parse()?,
//!     to: IssueTo::Sale, owner: None } };
//! let out = v.apply(&sale)?;
//! // 100 at 0.10 and 50 at 0.12: 16.00 to cost of sales.
//! let cogs: Vec<String> = out.postings().iter().map(|p| format!("{} {}", p.key, p.amount)).collect();
//! assert_eq!(cogs, ["cost_of_sales 16.00", "inventory -16.00"]);
//! assert!(unbalanced(out.postings()).is_empty());
//! assert_eq!(v.inventory_value(&"NA01".parse()?), Decimal::new(1800, 2));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod config;
mod engine;
mod error;
mod event;
mod intercompany;
mod pool;
mod posting;

pub use config::{
    Agreement, MethodOverride, NegativeStock, PriceRule, Standard, TitlePoint, ValuationConfig,
};
pub use engine::{
    Consolidation, MAX_AMOUNT, Outcome, PoolView, TransitView, Unrealized, Valuation,
};
pub use error::ValuationError;
pub use event::{CostBody, CostEvent, IssueTo, Rate};
pub use intercompany::{
    Difference, DocKind, IcDocument, Mismatch, OpenItem, Reconciliation, reconcile,
};
pub use pool::{Layer, Method, Pool};
pub use posting::{Accounts, Posting, PostingKey, PostingKind, balances, unbalanced};
