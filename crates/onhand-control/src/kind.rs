//! The vocabulary of exceptions: their kinds with stable codes, priorities, the service
//! class of the demand at stake, the lifecycle states and the one transition table, and
//! sets of roles.

use std::fmt;

use onhand_master::Role;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What is wrong. Each kind has a stable code ([`code`](Self::code)), written in files
/// and reports, that never changes once released.
///
/// | Kind | Code | About ([`Subject`](crate::Subject)) |
/// |---|---|---|
/// | a promised line short or late | `line_short_or_late` | `line` |
/// | stockout risk at a site | `stockout_risk` | `item_site` |
/// | below reorder point, recommendation awaiting a decision | `below_reorder_point` | `item_site` |
/// | a count variance beyond tolerance | `count_variance` | `item_site` |
/// | a count variance recurring (N in a window) | `recurring_count_variance` | `item_site` |
/// | stock on quality hold beyond its limit | `quality_hold_overdue` | `item_site` |
/// | an event pending approval | `pending_approval` | `event` |
/// | a transfer overdue | `transfer_overdue` | `transfer` |
/// | a transfer received short, over or damaged | `transfer_discrepancy` | `transfer` |
/// | an expected receipt overdue | `receipt_overdue` | `receipt` |
/// | negative stock trued up | `negative_stock` | `item_site` |
/// | intercompany receivable and payable that do not reconcile | `intercompany_mismatch` | `entities` |
/// | a master-data violation that blocks events | `master_data_violation` | `record` |
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionKind {
    /// A promised order line will ship short or late.
    LineShortOrLate,
    /// A site is at risk of running out of an item.
    StockoutRisk,
    /// A site is below its reorder point and a recommendation awaits a decision.
    BelowReorderPoint,
    /// A count differed from the book by more than the tolerance.
    CountVariance,
    /// Count variances on the same item and site recur: N of them inside the window of
    /// [`Recurrence`](crate::Recurrence). Raised by the queue itself from
    /// [`CountVariance`](Self::CountVariance) signals.
    RecurringCountVariance,
    /// Stock has sat on quality hold longer than its limit.
    QualityHoldOverdue,
    /// An event is held for approval; an [`ApprovalTask`](crate::ApprovalTask) goes with
    /// it.
    PendingApproval,
    /// A transfer has not arrived by its expected date.
    TransferOverdue,
    /// A transfer was received short, over or damaged.
    TransferDiscrepancy,
    /// An expected (purchase) receipt is overdue.
    ReceiptOverdue,
    /// A position went negative and was trued up.
    NegativeStock,
    /// Intercompany receivable and payable do not reconcile.
    IntercompanyMismatch,
    /// A master-data violation blocks events.
    MasterDataViolation,
}

impl ExceptionKind {
    /// Every kind, in declaration order (the order of [`index`](Self::index)).
    pub const ALL: [ExceptionKind; 13] = [
        ExceptionKind::LineShortOrLate,
        ExceptionKind::StockoutRisk,
        ExceptionKind::BelowReorderPoint,
        ExceptionKind::CountVariance,
        ExceptionKind::RecurringCountVariance,
        ExceptionKind::QualityHoldOverdue,
        ExceptionKind::PendingApproval,
        ExceptionKind::TransferOverdue,
        ExceptionKind::TransferDiscrepancy,
        ExceptionKind::ReceiptOverdue,
        ExceptionKind::NegativeStock,
        ExceptionKind::IntercompanyMismatch,
        ExceptionKind::MasterDataViolation,
    ];

    /// The kind's stable code (equal to its serde name).
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            ExceptionKind::LineShortOrLate => "line_short_or_late",
            ExceptionKind::StockoutRisk => "stockout_risk",
            ExceptionKind::BelowReorderPoint => "below_reorder_point",
            ExceptionKind::CountVariance => "count_variance",
            ExceptionKind::RecurringCountVariance => "recurring_count_variance",
            ExceptionKind::QualityHoldOverdue => "quality_hold_overdue",
            ExceptionKind::PendingApproval => "pending_approval",
            ExceptionKind::TransferOverdue => "transfer_overdue",
            ExceptionKind::TransferDiscrepancy => "transfer_discrepancy",
            ExceptionKind::ReceiptOverdue => "receipt_overdue",
            ExceptionKind::NegativeStock => "negative_stock",
            ExceptionKind::IntercompanyMismatch => "intercompany_mismatch",
            ExceptionKind::MasterDataViolation => "master_data_violation",
        }
    }

    /// The kind's position in [`ALL`](Self::ALL), for dense per-kind tables.
    #[must_use]
    pub fn index(self) -> usize {
        match self {
            ExceptionKind::LineShortOrLate => 0,
            ExceptionKind::StockoutRisk => 1,
            ExceptionKind::BelowReorderPoint => 2,
            ExceptionKind::CountVariance => 3,
            ExceptionKind::RecurringCountVariance => 4,
            ExceptionKind::QualityHoldOverdue => 5,
            ExceptionKind::PendingApproval => 6,
            ExceptionKind::TransferOverdue => 7,
            ExceptionKind::TransferDiscrepancy => 8,
            ExceptionKind::ReceiptOverdue => 9,
            ExceptionKind::NegativeStock => 10,
            ExceptionKind::IntercompanyMismatch => 11,
            ExceptionKind::MasterDataViolation => 12,
        }
    }
}

impl fmt::Display for ExceptionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// How urgent an exception is, from its value at risk ([`PriorityBand`](crate::PriorityBand))
/// and the service class of the demand at stake. Ordered most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Act now.
    Critical,
    /// Act today.
    High,
    /// Act within the service level.
    Medium,
    /// Act when the queue allows.
    Low,
}

impl Priority {
    /// Every priority, most urgent first (the order of [`index`](Self::index)).
    pub const ALL: [Priority; 4] =
        [Priority::Critical, Priority::High, Priority::Medium, Priority::Low];

    /// The priority's position in [`ALL`](Self::ALL).
    #[must_use]
    pub fn index(self) -> usize {
        match self {
            Priority::Critical => 0,
            Priority::High => 1,
            Priority::Medium => 2,
            Priority::Low => 3,
        }
    }

    /// One step more urgent (critical stays critical).
    #[must_use]
    pub fn raised(self) -> Priority {
        match self {
            Priority::Critical | Priority::High => Priority::Critical,
            Priority::Medium => Priority::High,
            Priority::Low => Priority::Medium,
        }
    }
}

/// The service class of the customers or demand at stake. A key-account exception is one
/// priority more urgent than its value alone makes it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ServiceClass {
    /// Key accounts, contractual service levels.
    Key,
    /// The ordinary class (also: no customer demand at stake).
    #[default]
    Standard,
    /// Best-effort demand.
    Economy,
}

/// Where an exception is in its lifecycle.
///
/// ```text
/// open --acknowledge--> acknowledged --start--> in_progress --resolve--> resolved
///   |                        |                       |
///   +------------------------+--------cancel---------+--> cancelled
/// ```
///
/// A clearing signal resolves an exception from any active state. Resolved and cancelled
/// are final: reopening is refused, and a recurrence of the cause opens a new exception
/// that names the closed one ([`Exception::previous`](crate::Exception::previous)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Raised; nobody has taken it.
    Open,
    /// Someone has seen it and owns it.
    Acknowledged,
    /// Someone is working on it.
    InProgress,
    /// The cause is gone (cleared by a signal, or resolved by an actor).
    Resolved,
    /// Withdrawn by an actor: no action will be taken.
    Cancelled,
}

impl State {
    /// Every state, in lifecycle order.
    pub const ALL: [State; 5] =
        [State::Open, State::Acknowledged, State::InProgress, State::Resolved, State::Cancelled];

    /// Whether the exception still waits for someone (open, acknowledged or in progress).
    #[must_use]
    pub fn is_active(self) -> bool {
        match self {
            State::Open | State::Acknowledged | State::InProgress => true,
            State::Resolved | State::Cancelled => false,
        }
    }
}

/// What an actor (or a signal) does to an exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Take ownership.
    Acknowledge,
    /// Start working on it.
    Start,
    /// Declare the cause gone.
    Resolve,
    /// Withdraw it.
    Cancel,
    /// Bring a closed exception back: always refused (closed is final).
    Reopen,
}

/// The one transition table: the state `action` leads to from `from`, or `None` when the
/// move is illegal. Matched exhaustively, so a new state or action forces a decision
/// here.
#[must_use]
pub fn transition(from: State, action: Action) -> Option<State> {
    match (from, action) {
        (State::Open, Action::Acknowledge) => Some(State::Acknowledged),
        (State::Acknowledged, Action::Start) => Some(State::InProgress),
        (State::Acknowledged | State::InProgress, Action::Resolve) => Some(State::Resolved),
        (State::Open | State::Acknowledged | State::InProgress, Action::Cancel) => {
            Some(State::Cancelled)
        }
        (State::Open, Action::Start | Action::Resolve)
        | (State::Acknowledged | State::InProgress, Action::Acknowledge)
        | (State::InProgress, Action::Start)
        | (
            State::Open
            | State::Acknowledged
            | State::InProgress
            | State::Resolved
            | State::Cancelled,
            Action::Reopen,
        )
        | (
            State::Resolved | State::Cancelled,
            Action::Acknowledge | Action::Start | Action::Resolve | Action::Cancel,
        ) => None,
    }
}

/// A set of roles, one bit each; serialized as the list of roles in [`Role::ALL`] order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct RoleSet(u8);

/// The position of a role in [`Role::ALL`] (its bit in a [`RoleSet`], its queue at a
/// site).
pub(crate) fn role_index(role: Role) -> usize {
    match role {
        Role::Warehouse => 0,
        Role::InventoryControl => 1,
        Role::Quality => 2,
        Role::Supervisor => 3,
        Role::Planning => 4,
        Role::Finance => 5,
        Role::System => 6,
    }
}

/// The role's bit in a [`RoleSet`].
fn bit(role: Role) -> u8 {
    1 << role_index(role)
}

impl RoleSet {
    /// No role.
    pub const EMPTY: RoleSet = RoleSet(0);

    /// The set holding just `role`.
    #[must_use]
    pub fn one(role: Role) -> RoleSet {
        RoleSet(bit(role))
    }

    /// Whether `role` is in the set.
    #[must_use]
    pub fn contains(self, role: Role) -> bool {
        self.0 & bit(role) != 0
    }

    /// The set with `role` added.
    #[must_use]
    pub fn with(self, role: Role) -> RoleSet {
        RoleSet(self.0 | bit(role))
    }

    /// Roles in either set.
    #[must_use]
    pub fn union(self, other: RoleSet) -> RoleSet {
        RoleSet(self.0 | other.0)
    }

    /// Roles in both sets.
    #[must_use]
    pub fn intersection(self, other: RoleSet) -> RoleSet {
        RoleSet(self.0 & other.0)
    }

    /// Roles in `self` and not in `other`.
    #[must_use]
    pub fn minus(self, other: RoleSet) -> RoleSet {
        RoleSet(self.0 & !other.0)
    }

    /// Whether the set is empty.
    #[must_use]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The roles, in [`Role::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL.into_iter().filter(move |r| self.contains(*r))
    }
}

impl FromIterator<Role> for RoleSet {
    fn from_iter<I: IntoIterator<Item = Role>>(iter: I) -> Self {
        iter.into_iter().fold(RoleSet::EMPTY, RoleSet::with)
    }
}

impl fmt::Debug for RoleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Serialize for RoleSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for RoleSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Vec::<Role>::deserialize(d)?.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_serde_names_and_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for (i, kind) in ExceptionKind::ALL.into_iter().enumerate() {
            assert_eq!(kind.index(), i);
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.code()));
            assert!(seen.insert(kind.code()));
        }
    }

    #[test]
    fn closed_states_refuse_every_action() {
        let actions =
            [Action::Acknowledge, Action::Start, Action::Resolve, Action::Cancel, Action::Reopen];
        for state in [State::Resolved, State::Cancelled] {
            for action in actions {
                assert_eq!(transition(state, action), None, "{state:?} {action:?}");
            }
        }
        assert_eq!(transition(State::Open, Action::Acknowledge), Some(State::Acknowledged));
        assert_eq!(transition(State::Open, Action::Resolve), None);
        assert_eq!(transition(State::InProgress, Action::Resolve), Some(State::Resolved));
    }

    #[test]
    fn role_sets_round_trip_through_serde() {
        let set: RoleSet = [Role::Finance, Role::Warehouse].into_iter().collect();
        let json = serde_json::to_string(&set).unwrap();
        assert_eq!(json, "[\"warehouse\",\"finance\"]");
        assert_eq!(serde_json::from_str::<RoleSet>(&json).unwrap(), set);
        assert_eq!(set.minus(RoleSet::one(Role::Finance)), RoleSet::one(Role::Warehouse));
        assert_eq!(Priority::Low.raised(), Priority::Medium);
    }
}
