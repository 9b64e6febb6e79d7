//! # onhand-control
//!
//! Answers *what needs someone's attention, who must act on it, and in what order?*
//! Exceptions (a short or late line, a stockout risk, a count variance, a held event, an
//! overdue transfer, an intercompany mismatch, ...) are raised from data: the host
//! translates its engines' outcomes into [`Signal`]s (raise or update) and
//! [`Clearance`]s (the cause is gone), and the queue routes, ranks and escalates them
//! under [`Rules`] that are plain, validated data. It reads no clock: `now` and every
//! signal's time are arguments.
//!
//! It owns:
//! - the vocabulary: [`ExceptionKind`] with stable codes, [`Subject`] (with the kind, the
//!   dedup key: a second signal about the same line updates the active exception),
//!   [`Impact`] (value at risk in the entity's currency, order lines and customers,
//!   service class, quantity, days of supply), the lifecycle [`State`] and its one
//!   transition table ([`transition`]);
//! - the rules: service levels per kind and priority, escalation ladders, routing by
//!   kind, site, entity, item class and value band, thresholds, priority bands,
//!   count-variance recurrence ([`Rules::validate`] returns every [`Finding`]);
//! - the queue [`Control`]: [`apply`](Control::apply), [`clear`](Control::clear),
//!   [`act`](Control::act), [`escalate`](Control::escalate), views per role and site
//!   ([`top`](Control::top)) and per actor ([`view`](Control::view), a security boundary
//!   that refuses with a typed [`Refusal`]), [`backlog`](Control::backlog) figures;
//! - approval routing: held events become [`ApprovalTask`]s routed to actors who hold a
//!   needed role and the site scope, never the poster; [`approve`](Control::approve) and
//!   [`reject`](Control::reject) return the [`Decision`] the host posts to the ledger;
//! - snapshots: [`Control::snapshot`] gives the queue as plain serde data
//!   ([`ControlSnapshot`]); [`Control::restore`] checks it against the rules and builds
//!   every index and rank again, refusing a queue it could never have held;
//! - role lenses over plain inputs the host builds from network state
//!   ([`warehouse_lens`](Control::warehouse_lens),
//!   [`supply_chain_lens`](Control::supply_chain_lens),
//!   [`finance_lens`](Control::finance_lens), [`executive_lens`](Control::executive_lens)):
//!   figures with their definitions and the exceptions in scope; a role or scope the
//!   [`Lens`] does not allow is refused.
//!
//! It depends on `onhand-master` (codes, roles, currencies) and `onhand-ledger` (actors,
//! site scopes, event ids, document numbers) only; never on the facade.
//!
//! ## The ranking order
//!
//! Queues are ordered, first to last, by:
//! 1. the breach time of the service level (the deadline to acknowledge while open, to
//!    resolve once acknowledged), earliest first;
//! 2. the value at risk in the reference currency (whole minor units), largest first;
//! 3. the order lines affected, most first;
//! 4. the age (raise time, whole seconds), oldest first;
//! 5. a stable 64-bit fingerprint of the dedup key (kind and subject), so the order does
//!    not depend on arrival;
//! 6. the id, reached only when two different keys share a fingerprint.
//!
//! ## Visibility
//!
//! An actor may see and act on an exception when it holds one of the exception's roles
//! (the routed owner, the roles a hold still needs, the roles escalation added) and its
//! site scope covers the exception's site; network-wide exceptions (no site) need a scope
//! of every site.
//!
//! ## Example
//!
//! ```
//! use chrono::{Duration, TimeZone, Utc};
//! use onhand_control::{Action, Control, ExceptionKind, Hold, Impact, Rules, Signal, State};
//! use onhand_ledger::{Actor, ActorId, EventId, SiteScope};
//! use onhand_master::{CurrencyCode, Role, SiteCode};
//! use rust_decimal::Decimal;
//!
//! let usd = CurrencyCode::new("USD")?;
//! let mut control = Control::new(Rules::standard(usd))?;
//! let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap();
//! let site = SiteCode::new("DC-EAST")?;
//! let clerk = ActorId::new("clerk")?;
//!
//! // The ledger held an adjustment posted by the clerk; it needs a supervisor.
//! let event = EventId::from_u128(7);
//! let held = Signal::pending_approval(
//!     event,
//!     Hold::new(clerk.clone(), [Role::Supervisor]),
//!     site.clone(),
//!     t0,
//!     Impact::value(Decimal::from(2_500), usd),
//! );
//! let id = control.apply(&held)?.id.unwrap();
//!
//! let sue = Actor {
//!     id: ActorId::new("sue")?,
//!     roles: vec![Role::Supervisor],
//!     sites: SiteScope::Sites(vec![site.clone()]),
//! };
//! assert_eq!(control.approvals_for(&sue).len(), 1);
//! control.act(id, &sue, Action::Acknowledge, t0 + Duration::minutes(5))?;
//!
//! let decision = control.approve(event, &sue, t0 + Duration::minutes(20))?;
//! assert!(decision.remaining.is_empty()); // the host posts decision.ledger_body() as sue
//! assert_eq!(control.get(id).unwrap().state, State::Resolved);
//!
//! // Closed is final.
//! assert!(control.act(id, &sue, Action::Reopen, t0 + Duration::hours(1)).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod kind;
mod lens;
mod queue;
mod rules;
mod signal;

pub use error::{ControlError, Refusal};
pub use kind::{Action, ExceptionKind, Priority, RoleSet, ServiceClass, State, transition};
pub use lens::{
    Arrival, BinStock, CountDue, ExceptionLine, ExecutiveInput, ExecutiveView, Figure,
    FinanceInput, FinanceView, IntercompanyBalance, LENS_EXCEPTIONS, Lens, NamedFigure, OpenTasks,
    Recommendation, SiteSupply, SupplyInput, SupplyView, WarehouseInput, WarehouseView,
};
pub use queue::{
    Applied, ApprovalTask, BacklogRow, By, Change, Control, ControlSnapshot, Decision, Effect,
    Escalation, Exception, ExceptionId, Filter, History, Step, Verdict,
};
pub use rules::{
    Finding, Ladder, LadderStep, MAX_STEPS, PriorityBand, Rate, Recurrence, Route, Rules,
    ServiceLevel, Threshold,
};
pub use signal::{ClearReason, Clearance, Hold, Impact, RefCode, Signal, Subject, kind_accepts};

// The crates this one's public signatures use, at the versions it was built with.
pub use chrono;
pub use rust_decimal;
