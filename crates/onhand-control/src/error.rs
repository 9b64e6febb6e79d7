//! What the queue refuses, and why. Every refusal leaves the queue unchanged.

use onhand_ledger::{ActorId, EventId};
use onhand_master::{CurrencyCode, SiteCode};
use rust_decimal::Decimal;

use crate::kind::{Action, ExceptionKind, RoleSet, State};
use crate::queue::ExceptionId;
use crate::rules::Finding;

/// Why an actor may not see or act on something: the security boundary's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// The actor holds none of the roles that may act on it.
    NoRole {
        /// The roles that may act.
        allowed: RoleSet,
    },
    /// The site lies outside the actor's scope (`None`: a network-wide exception, for
    /// actors scoped to every site only).
    OutOfScope {
        /// The site.
        site: Option<SiteCode>,
    },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::NoRole { allowed } => write!(f, "holds none of the roles {allowed:?}"),
            Refusal::OutOfScope { site: Some(site) } => write!(f, "site {site} is out of scope"),
            Refusal::OutOfScope { site: None } => {
                f.write_str("network-wide exceptions need every site in scope")
            }
        }
    }
}

/// Why the queue refused an input, an action or a view.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ControlError {
    /// The rules have findings; nothing was built.
    #[error("the control rules have {} finding(s), the first: {}", findings.len(),
        findings.first().map_or_else(String::new, ToString::to_string))]
    InvalidRules {
        /// Every finding, in rule order.
        findings: Vec<Finding>,
    },
    /// A code broke the business-code rule.
    #[error("invalid {kind}: {value:?}")]
    InvalidCode {
        /// What the code names.
        kind: &'static str,
        /// The refused text.
        value: String,
    },
    /// A kind was signalled about a subject of the wrong shape.
    #[error("{kind} is not about a {subject}")]
    SubjectMismatch {
        /// The kind.
        kind: ExceptionKind,
        /// The subject's shape.
        subject: &'static str,
    },
    /// The signal names a site that differs from its subject's.
    #[error("the subject is at {subject}, the signal says {signal}")]
    SiteMismatch {
        /// The subject's site.
        subject: SiteCode,
        /// The signal's.
        signal: SiteCode,
    },
    /// A pending approval without a hold (or with no role to approve it).
    #[error("a pending approval needs a hold naming its poster and at least one role")]
    MissingHold,
    /// A hold on a kind other than a pending approval.
    #[error("{kind} carries no hold")]
    UnexpectedHold {
        /// The kind.
        kind: ExceptionKind,
    },
    /// A negative figure in an impact.
    #[error("impact {field} is negative: {value}")]
    NegativeImpact {
        /// The field.
        field: &'static str,
        /// Its value.
        value: Decimal,
    },
    /// A value in a currency the rules give no rate for.
    #[error("no rate to the reference currency for {currency}")]
    UnknownCurrency {
        /// The currency.
        currency: CurrencyCode,
    },
    /// A value too large to rank (beyond 2^63 minor units of the reference currency).
    #[error("value at risk {value} is too large to rank")]
    ValueTooLarge {
        /// The value, in its currency.
        value: Decimal,
    },
    /// A time so late that a service-level deadline after it cannot be represented.
    #[error("{at} leaves no room for a service-level deadline")]
    TimeOutOfRange {
        /// The signal's time.
        at: chrono::DateTime<chrono::Utc>,
    },
    /// No route matches the exception.
    #[error("no route for {kind}")]
    NoRoute {
        /// The kind.
        kind: ExceptionKind,
    },
    /// No exception has this id.
    #[error("no exception {id}")]
    UnknownException {
        /// The id.
        id: ExceptionId,
    },
    /// No approval task for this event.
    #[error("no approval task for event {event}")]
    UnknownApproval {
        /// The event.
        event: EventId,
    },
    /// The actor may not see or act on it.
    #[error("{actor} is refused: {reason}")]
    Refused {
        /// The actor.
        actor: ActorId,
        /// Why.
        reason: Refusal,
    },
    /// The action is illegal in the exception's state.
    #[error("exception {id} is {from:?}; {action:?} is not allowed")]
    IllegalTransition {
        /// The exception.
        id: ExceptionId,
        /// Its state.
        from: State,
        /// The refused action.
        action: Action,
    },
    /// A pending approval is decided by approving or rejecting its task, not by resolving
    /// or cancelling the exception.
    #[error("exception {id} is decided through its approval task")]
    DecidedByApproval {
        /// The exception.
        id: ExceptionId,
    },
    /// Segregation of duties: the poster may not approve or reject its own event.
    #[error("{actor} posted {event} and may not decide it")]
    SelfApproval {
        /// The actor.
        actor: ActorId,
        /// The event.
        event: EventId,
    },
    /// The approval task is already decided.
    #[error("the approval of {event} is already decided")]
    AlreadyDecided {
        /// The event.
        event: EventId,
    },
    /// A snapshot holds what the queue could never have held (see
    /// [`Control::restore`](crate::Control::restore)); nothing was built.
    #[error("invalid control snapshot: {what}")]
    InvalidSnapshot {
        /// What is wrong, and where.
        what: String,
    },
}

impl ControlError {
    /// The error's stable code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            ControlError::InvalidRules { .. } => "invalid_rules",
            ControlError::InvalidCode { .. } => "invalid_code",
            ControlError::SubjectMismatch { .. } => "subject_mismatch",
            ControlError::SiteMismatch { .. } => "site_mismatch",
            ControlError::MissingHold => "missing_hold",
            ControlError::UnexpectedHold { .. } => "unexpected_hold",
            ControlError::NegativeImpact { .. } => "negative_impact",
            ControlError::UnknownCurrency { .. } => "unknown_currency",
            ControlError::ValueTooLarge { .. } => "value_too_large",
            ControlError::TimeOutOfRange { .. } => "time_out_of_range",
            ControlError::NoRoute { .. } => "no_route",
            ControlError::UnknownException { .. } => "unknown_exception",
            ControlError::UnknownApproval { .. } => "unknown_approval",
            ControlError::Refused { .. } => "refused",
            ControlError::IllegalTransition { .. } => "illegal_transition",
            ControlError::DecidedByApproval { .. } => "decided_by_approval",
            ControlError::SelfApproval { .. } => "self_approval",
            ControlError::AlreadyDecided { .. } => "already_decided",
            ControlError::InvalidSnapshot { .. } => "invalid_snapshot",
        }
    }
}
