//! Governed inventory transactions: the system of record of onhand.
//!
//! `onhand-ledger` answers: *is this stock change allowed, and what is the inventory
//! truth after it?* Every receipt, put-away, pick, shipment, transfer shipment and
//! receipt, customer return, disposition, adjustment, cycle count, status change and
//! scrap is an [`Event`]. The [`Ledger`] validates it against the catalog and the
//! governance [`Rules`] (who may post what where, reasons, approval thresholds, the
//! status transition table, units, lots, serials, negative-stock policy), then applies it
//! whole ([`Applied::Accepted`] with its position [`Delta`]s and [`Signal`]s), holds it
//! for approval ([`Applied::Pending`], nothing moved), recognises a repeat
//! ([`Applied::Duplicate`]), or rejects it with a typed [`LedgerError`] and no change.
//!
//! - **Positions** are keyed by item, site, status, owner, bin and lot
//!   ([`PositionKey`]), in base units, with the open period's history so any figure can
//!   be read as of a time ([`Ledger::measure_as_of`]). Back-dated events are checked
//!   against every later balance, read back from the current balance over the changes
//!   after their time; a period close ([`Body::ClosePeriod`]) drops the history before it
//!   and refuses events before it, so a late event never reads more than the open
//!   period.
//! - **Measures** (on hand, available, nettable, valuated) come from the status crate's
//!   rules ([`Ledger::measure`], [`Ledger::network_measure`], [`Ledger::owned`]).
//! - **Transfers** have a lifecycle ([`TransferState`]) and in-transit quantities with
//!   expected arrival ([`Ledger::in_transit_to`], [`Ledger::in_transit_from`]).
//! - **Governance** is data ([`Rules`]): who may post what, where (an actor directory
//!   keyed by canonical actor id), reasons, approval thresholds, and how approvals are
//!   spread over distinct people. What the ledger guarantees and what the host must is
//!   written down in [`security`].
//! - **Removal strategies** suggest bins and lots to pick ([`Ledger::suggest_removal`]).
//! - **The journal** ([`Journal`], [`verify`]) chains every state-changing event by
//!   SHA-256; [`Ledger::replay`] folds it back into the same state and
//!   [`Ledger::snapshot`] / [`Ledger::restore`] serialize it with a format version and a
//!   digest.
//!
//! The ledger reads no clock: time comes in on events. It does no I/O: the host persists
//! the journal.
//!
//! ```
//! use std::sync::Arc;
//! use onhand_ledger::{testing, ActorRecord, Applied, Body, DocKind, Ledger, Rules, SiteScope};
//! use onhand_master::{seed, Catalog, CurrencyCode, ItemCode, Role, SiteCode};
//! use onhand_status::{Measure, StockStatus};
//!
//! let catalog = Arc::new(Catalog::new(seed::demo_network())?);
//! // Who holds which role where is the rules' business, not the events'.
//! let everywhere = |roles: &[Role]| ActorRecord::new(roles, SiteScope::All);
//! let rules = Rules::standard(CurrencyCode::new("USD")?)
//!     .with_actor("receiver".parse()?, everywhere(&[Role::Warehouse]))
//!     .with_actor("w1".parse()?, everywhere(&[Role::Warehouse]))
//!     .with_actor("ic1".parse()?, everywhere(&[Role::InventoryControl]));
//! let mut ledger = Ledger::new(catalog.clone(), rules)?;
//!
//! // 240 bolts arrive at Atlanta (into receiving, as the item-site policy says) and are
//! // put away to a pick face.
//! ledger.apply(&testing::receipt(1, "ATL", "BOLT-M8", "2 CS", "RCV-01")?)?;
//! let putaway = testing::event(2, 10, testing::actor("w1", &[Role::Warehouse])?, "PUTAWAY",
//!     testing::doc(DocKind::Internal, "PA-1")?,
//!     Body::Putaway(testing::movement("ATL", vec![
//!         testing::line("BOLT-M8", "240 EA")?.at("RCV-01".parse()?).to_bin("PF-A01".parse()?),
//!     ])?))?;
//! assert!(matches!(ledger.apply(&putaway)?, Applied::Accepted(_)));
//!
//! let bolt = catalog.item_ix(&ItemCode::new("BOLT-M8")?).ok_or("item")?;
//! let atl = catalog.site_ix(&SiteCode::new("ATL")?).ok_or("site")?;
//! assert_eq!(ledger.measure(bolt, atl, Measure::Available).to_string(), "240");
//!
//! // A loss of 150 needs a supervisor (over the 100-unit threshold): pending, nothing moved.
//! let mut loss = testing::line("BOLT-M8", "150 EA")?.at("PF-A01".parse()?);
//! loss.from = Some(StockStatus::Available);
//! let adjust = testing::event(3, 20, testing::actor("ic1", &[Role::InventoryControl])?, "LOST",
//!     testing::doc(DocKind::Internal, "ADJ-1")?,
//!     Body::Adjustment(testing::movement("ATL", vec![loss])?))?;
//! assert!(matches!(ledger.apply(&adjust)?, Applied::Pending { .. }));
//! assert_eq!(ledger.measure(bolt, atl, Measure::Available).to_string(), "240");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod build;
mod canonical;
mod chunked;
mod error;
mod event;
mod figure;
mod history;
mod journal;
mod ledger;
mod lot;
mod position;
mod query;
mod removal;
mod reversal;
mod rules;
pub mod security;
pub mod seed;
mod signal;
mod snapshot;
pub mod testing;
mod transfer;

pub use build::StockEvent;
pub use error::LedgerError;
pub use event::{
    Actor, ActorId, Body, Count, CountLine, DocKind, DocNumber, DocumentRef, Event, EventId,
    EventKind, Line, ReasonCode, SiteLines, SiteScope, TransferLine, TransferRequest,
};
pub use journal::{
    Digest, JOURNAL_FORMAT, Journal, JournalEntry, entry_digest, verify, verify_from,
};
pub use ledger::{Accepted, Applied, Delta, InTransit, Ledger, MAX_LINE_QTY, PendingEvent, Veto};
pub use lot::LotInfo;
pub use position::{LotIx, PositionKey};
pub use query::PositionView;
pub use removal::{RemovalLine, RemovalPlan, RemovalStrategy};
pub use reversal::{Posted, PostedChange, PostedSerial, Received};
pub use rules::{
    ActorRecord, CloseScope, CountTolerance, DocumentLimit, Identity, OverReceiptAction,
    OverReceiptTolerance, PeriodClose, ReferenceCost, Rules, Segregation, Threshold,
};
pub use signal::Signal;
pub use snapshot::{
    Dictionary, DocumentEntry, JournalMark, PositionRecord, SNAPSHOT_FORMAT, Snapshot, State,
};
pub use transfer::{TransferOrder, TransferOrderLine, TransferState, TransitKey, TransitQty};

// The crates this one's public signatures use, at the versions it was built with.
pub use chrono;
pub use rust_decimal;
pub use uuid;
