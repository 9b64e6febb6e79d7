//! Inventory valuation: turns physical movements into the financial truth of each legal
//! entity, keeping physical movement and financial ownership as separate flows.
//!
//! `onhand-valuation` answers: *what is the stock worth, what does each entity book when
//! it moves, and what must consolidation eliminate?* It owns
//!
//! - cost pools per legal entity and item (per site for entities that value per site):
//!   FIFO layers, moving average, and standard cost with purchase price variance,
//!   revaluation on a standard change, and rounding residues posted to a named account
//!   so pool values always equal the books ([`Valuation`], [`PoolView`]);
//! - the postings of every movement ([`CostEvent`] → [`Posting`]s, balanced per entity
//!   and currency, on accounts mapped per entity from [`PostingKey`]s): receipts,
//!   issues to sales, scrap and adjustments, count gains, customer returns at the cost
//!   they left with, landed cost after the fact, and the negative-stock policy (refuse,
//!   or issue at the last cost and true up on the next receipt);
//! - returns to supplier at the cost of the receipt returned, against goods received
//!   ([`CostBody::SupplierReturn`]); exact reversals of receipts, issues and
//!   adjustments, refused when later movements make them impossible
//!   ([`CostBody::Reversal`]); and a change of a live item's costing method with the
//!   revaluation it implies ([`CostBody::MethodChange`]);
//! - back-dated movements, replayed into the affected pool's history from the nearest
//!   checkpoint, with a correction posting for every later movement whose value changed;
//!   a re-costed issue is later reversed or returned at the value it now left with, and
//!   re-costing one that was already returned or reversed is refused
//!   ([`ValuationError::ReturnedIssueRecosted`]), as re-costing an arrived transfer is;
//! - transfers: at cost through in transit inside an entity; across entities by an
//!   intercompany [`Agreement`] (at cost, cost plus a markup on cost or a margin on the
//!   price, or a price list; the
//!   invoice currency and the caller's rates; title at shipment or at receipt), with the
//!   document set ([`IcDocument`]), both sides' postings and open items;
//! - consolidation ([`Valuation::consolidate`]): intercompany revenue eliminated against
//!   cost of sales, unrealized profit in buyers' inventory removed and released when
//!   sold outside the group; and reconciliation of receivables against payables
//!   ([`reconcile`]).
//!
//! - snapshots ([`Valuation::snapshot`], [`Valuation::restore`]): the whole state,
//!   versioned and digested, restored (and checked) to an engine that continues exactly
//!   as the original; and what each entity holds of each item, on hand and owned in
//!   transit ([`Valuation::held`]).
//!
//! The engine reads no clock and no rates of its own: times, ids and exchange rates come
//! in on the events.
//!
//! # Cost and memory
//!
//! A receipt or an issue costs O(1) amortized whatever a FIFO queue's length: a pool
//! keeps its totals and the head of its queue, and records each receipt once, in an
//! append-only arena. A back-dated movement costs O(64 + the later movements of its
//! pool) (it replays from the nearest checkpoint; every later movement is revalued).
//! The common case, a receipt or an issue in time order, at the site's own entity, in
//! the item's base unit, into a pool that already exists, is worked out straight on the
//! pool's integers with the same postings as every other event; the engine remembers
//! the last site and pool it named, so a run of events for one site skips those look-ups,
//! and each item's last pool, so events over many items find their pool without a hash
//! probe. Over many items, most of an event's time is waiting for memory no recent
//! event touched; [`Valuation::apply_batch`] applies a run of events exactly as
//! [`Valuation::apply_into`] would, reading each few events' pools ahead together so
//! those waits overlap.
//!
//! Periods close for the whole network ([`Valuation::close_period`]: no event effective
//! before the close time) or for one entity ([`Valuation::close_entity_period`]: no
//! movement of its pools effective at or before it), as a ledger's do, and reopen
//! ([`Valuation::reopen_period`], [`Valuation::reopen_entity_period`]). A close folds
//! the history it covers; a reopen does not bring it back, so a movement back-dated into
//! a reopened span is valued as at the old close, and corrects only what came after it.
//!
//! Memory is the live layers plus the history kept for back-dating, which a period close
//! (the network's, or an entity's for its pools) forgets. Without a close it grows
//! linearly, never with the square of the movements:
//!
//! | what | bytes |
//! |---|---|
//! | per pool (its slot, and its entry in the pool index) | about 550 |
//! | per pool closed at least once, or valued at standard cost (its base checkpoint: a new pool's is read back from its method, not stored) | 272 |
//! | per pool operation since the last close | 48 |
//! | per receipt since the last close (FIFO: since the oldest layer held then), live layers included | 40 (80 in a pool once any of its receipts carries intercompany profit or a landed cost) |
//! | per open shortfall part (and those since the close) | 48 |
//! | per 64 operations of a pool (a checkpoint) | 260 |
//! | per applied event (idempotency: fingerprint and id index, ids in increasing order; an id out of order takes a hash-map entry instead) | 24 |
//! | per receipt into a pool (what a landed cost or a supplier return names) / per issue (what a return or a reversal names) | 24 / 36 |
//! | per issue that took intercompany profit out of its pool (what a return or a reversal brings back; an ordered map entry) | about 40 |
//! | per catalog item, once any in-order event has run (each item's last pool, a dense table) | 4 |
//!
//! So 1,000,000 movements on one item (half receipts, half sales) with no close take
//! about 150 MB, measured in the `valuation_workload` bench.
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

mod code;
mod config;
mod engine;
mod error;
mod event;
mod history;
mod in_order;
mod instant;
mod intercompany;
mod pool;
mod posting;
mod snapshot;

pub use code::TransferNo;
pub use config::{
    Agreement, MethodOverride, NegativeCostPolicy, PriceRule, Standard, TitlePoint, ValuationConfig,
};
pub use engine::{
    Consolidation, Held, MAX_AMOUNT, Outcome, PoolView, TransitView, Unrealized, Valuation,
};
pub use error::{ConfigProblem, ValuationError};
pub use event::{CostBody, CostEvent, IssueTo, Rate};
pub use intercompany::{
    Difference, IcDocKind, IcDocument, Mismatch, OpenItem, Reconciliation, reconcile,
};
pub use pool::{Layer, Method};
pub use posting::{Accounts, Posting, PostingKey, PostingKind, balances, unbalanced};
pub use snapshot::{VALUATION_SNAPSHOT_FORMAT, ValuationSnapshot};

// The crates this one's public signatures use, at the versions it was built with.
pub use chrono;
pub use rust_decimal;
