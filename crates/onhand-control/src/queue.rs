//! The exception queue: raising and updating exceptions from signals, clearing them,
//! actors' transitions, escalation, ranked views per role, site and actor, backlog
//! figures, and the approval tasks of held events.
//!
//! Layout: exceptions live in one vector indexed by id; active ones are found by their
//! dedup key's fingerprint in one flat open-addressing table ([`Active`]); each (role,
//! site) pair has its own [`Ranked`](ranked::Ranked) queue of rank keys in [`Queues`]
//! (by a site number each exception keeps; a binary heap, with stale
//! entries skipped on read and compacted away, so a raise or an update adds one entry
//! and touches no large tree, and the top of a queue is a best-first walk of the heap's
//! first levels), and escalation deadlines grouped by second in an ordered map let
//! [`Control::escalate`] touch only what is due (a closed exception's deadline is left
//! where it lies and skipped when its second comes).

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use onhand_ledger::{Actor, ActorId, Body, EventId, SiteScope};
use onhand_master::hash::{Map, fingerprint, map};
use onhand_master::{EntityCode, ItemCode, Role, SiteCode, VelocityClass};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use crate::error::{ControlError, Refusal};
use crate::kind::{Action, ExceptionKind, Priority, RoleSet, State, transition};
use crate::rules::{Amount, Compiled, Routed, Rules};
use crate::signal::{ClearReason, Clearance, Hold, Impact, Signal, Subject};
use onhand_master::chunked::Chunked;

mod active;
mod queues;
mod ranked;
mod restore;
use active::Active;
use queues::Queues;
pub use restore::ControlSnapshot;

/// An exception's id: dense, in the order exceptions were raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ExceptionId(pub u64);

impl fmt::Display for ExceptionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EX-{:06}", self.0)
    }
}

/// Who changed an exception.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum By {
    /// A signal or clearance from the host.
    Signal,
    /// The escalation ladder.
    Escalation,
    /// An actor. Boxed: an actor id is 65 bytes inline, and with it in place every
    /// history step (most of them by signals) would be 84 bytes instead of 24.
    Actor(Box<ActorId>),
}

/// What changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Raised from a signal.
    Raised,
    /// Updated by repeated signals (new impact): a run of them with no other step
    /// between is one step, at the latest; [`Exception::signals`] counts them all.
    Updated,
    /// An actor's action and the state it led to.
    Moved {
        /// The action.
        action: Action,
        /// The state after it.
        to: State,
    },
    /// Escalated to a ladder step.
    Escalated {
        /// The step reached (1-based).
        level: u8,
        /// The roles added.
        roles: RoleSet,
    },
    /// Resolved by a clearing signal.
    Cleared {
        /// Why.
        reason: ClearReason,
    },
    /// An approver granted some of the roles a held event needs.
    Approved {
        /// The roles granted.
        granted: RoleSet,
        /// The roles still needed.
        remaining: RoleSet,
    },
    /// An approver rejected the held event.
    Rejected,
}

/// One entry of an exception's history: who did what, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub by: By,
    /// What.
    pub change: Change,
}

/// The queue order, smallest first: breach time, then value (larger first), then order
/// lines (more first), then age (older first), then a stable fingerprint of the dedup key,
/// then the id. Last, the exception's stamp when the entry was made (see
/// [`Control::stamps`]): it orders nothing (the id is unique), it tells a queue entry
/// that still stands for its exception from one that went stale.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Rank {
    breach: i64,
    neg_value: i64,
    /// `u32::MAX` less the order lines (more lines, smaller), in 4 bytes, so the rank
    /// with its stamp stays 48.
    lines: u32,
    raised: i64,
    key: u64,
    id: u64,
    stamp: u32,
}

impl Rank {
    /// Whether this queue entry carries its exception's current stamp in `stamps` (by
    /// id): whether it still stands for the exception.
    pub(crate) fn is_current(&self, stamps: &[u32]) -> bool {
        usize::try_from(self.id).ok().and_then(|i| stamps.get(i)) == Some(&self.stamp)
    }
}

/// The rank's order-lines key: more lines first.
fn lines_key(order_lines: u32) -> u32 {
    u32::MAX - order_lines
}

/// An exception: what is wrong, what is at stake, who owns it, where it stands, and its
/// history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Exception {
    /// Its id.
    pub id: ExceptionId,
    /// What is wrong.
    pub kind: ExceptionKind,
    /// What it is about (with the kind, its dedup key).
    pub subject: Subject,
    /// The site it is scoped to (`None`: network-wide).
    pub site: Option<SiteCode>,
    /// The entity carrying the value.
    pub entity: Option<EntityCode>,
    /// The item.
    pub item: Option<ItemCode>,
    /// The item's class.
    pub item_class: Option<VelocityClass>,
    /// What is at stake (from the latest signal).
    pub impact: Impact,
    /// The value at risk in the reference currency.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub reference_value: Decimal,
    /// Its priority.
    pub priority: Priority,
    /// The role routing gave it.
    pub owner: Role,
    /// Every role that may act on it: the owner, the roles a hold still needs, and the
    /// roles escalation added.
    pub roles: RoleSet,
    /// Escalation steps taken.
    pub level: u8,
    /// Where it stands.
    pub state: State,
    /// When it was raised.
    pub raised_at: DateTime<Utc>,
    /// When a signal last updated it.
    pub updated_at: DateTime<Utc>,
    /// When it was resolved or cancelled.
    pub closed_at: Option<DateTime<Utc>>,
    /// The service level's deadline to acknowledge.
    pub acknowledge_by: DateTime<Utc>,
    /// The service level's deadline to resolve.
    pub resolve_by: DateTime<Utc>,
    /// Signals merged into it (1 when raised).
    pub signals: u32,
    /// The closed exception with the same key it follows, if any.
    pub previous: Option<ExceptionId>,
    /// For a pending approval: the hold (its needs shrink as approvers grant roles).
    /// Boxed: few exceptions have one, and every other exception is smaller for it.
    pub hold: Option<Box<Hold>>,
    /// Who did what, when. The first two steps (the raise and the first update, act or
    /// close) are held in place, so raising an exception allocates nothing.
    pub history: History,
    /// Its value in the reference currency's minor units, negated (the rank's second
    /// key; the other keys are read off the exception, see [`Exception::rank_key`]).
    #[serde(skip)]
    neg_value: i64,
    /// The fingerprint of its dedup key (the rank's tie-break before the id).
    #[serde(skip)]
    print: u64,
    #[serde(skip)]
    next_due: Option<i64>,
    /// Its site's number in [`Queues`] (given at the raise, in id order).
    #[serde(skip)]
    site_no: u32,
}

/// An exception's history: its steps, oldest first (a slice, through `Deref`; in serde,
/// a plain list).
pub type History = SmallVec<[Step; 2]>;

impl Exception {
    /// Its place in the queue order (smaller first), from its state: kept as two
    /// figures rather than a whole [`Rank`], 32 bytes less per exception. The stamp is
    /// 0: the queue's stamp of it is [`Control::rank_of`]'s.
    pub(crate) fn rank_key(&self) -> Rank {
        Rank {
            breach: self.breach_at().timestamp(),
            neg_value: self.neg_value,
            lines: lines_key(self.impact.order_lines),
            raised: self.raised_at.timestamp(),
            key: self.print,
            id: self.id.0,
            stamp: 0,
        }
    }

    /// When the service level is breached next: the deadline to acknowledge while open,
    /// to resolve afterwards.
    #[must_use]
    pub fn breach_at(&self) -> DateTime<Utc> {
        breach_of(self.state, (self.acknowledge_by, self.resolve_by))
    }

    /// Whether `actor` may see and act on it, or why not.
    ///
    /// # Errors
    /// The [`Refusal`]: none of its roles, or its site out of the actor's scope.
    pub fn allows(&self, actor: &Actor) -> Result<(), Refusal> {
        let held: RoleSet = actor.roles.iter().copied().collect();
        if held.intersection(self.roles).is_empty() {
            return Err(Refusal::NoRole { allowed: self.roles });
        }
        if !in_scope(&actor.sites, self.site.as_ref()) {
            return Err(Refusal::OutOfScope { site: self.site.clone() });
        }
        Ok(())
    }
}

/// The deadline an exception in `state` breaches next, of its `(acknowledge, resolve)`
/// deadlines: to acknowledge while open, to resolve afterwards.
fn breach_of(
    state: State,
    (acknowledge_by, resolve_by): (DateTime<Utc>, DateTime<Utc>),
) -> DateTime<Utc> {
    match state {
        State::Open => acknowledge_by,
        State::Acknowledged | State::InProgress | State::Resolved | State::Cancelled => resolve_by,
    }
}

/// The time up to which exception `e` knew of its condition: its last update, or, if a
/// clearance closed it, that clearance's time when later. A signal with its key older
/// than this, arriving once it is closed, is stale ([`Effect::Stale`]). An actor's close
/// does not count: an actor's time is when someone acted, not when the condition was
/// observed.
fn known_at(e: &Exception) -> DateTime<Utc> {
    match (e.history.last(), e.closed_at) {
        (Some(Step { change: Change::Cleared { .. }, .. }), Some(closed)) => {
            closed.max(e.updated_at)
        }
        _ => e.updated_at,
    }
}

/// Whether a scope covers a site (`None`: network-wide, covered by `All` only).
fn in_scope(scope: &SiteScope, site: Option<&SiteCode>) -> bool {
    match (scope, site) {
        (SiteScope::All, _) => true,
        (SiteScope::Sites(list), Some(site)) => list.contains(site),
        (SiteScope::Sites(_), None) => false,
    }
}

/// What a signal did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// A new exception was raised.
    Raised,
    /// The active exception was updated.
    Updated,
    /// The signal is older than what the queue already knows of its kind and subject:
    /// the active exception's last update, or, when none is active, the last update of
    /// the latest closed one or the clearance that closed it. Nothing changed (a late
    /// signal about a condition already cleared does not raise it again).
    Stale,
    /// Below the kind's threshold: nothing raised.
    BelowThreshold,
}

/// The outcome of [`Control::apply`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// What happened.
    pub effect: Effect,
    /// The exception raised or updated; for a stale signal, the exception it is older
    /// than (none below threshold).
    pub id: Option<ExceptionId>,
    /// A recurring count variance this signal raised or updated.
    pub recurring: Option<(Effect, ExceptionId)>,
}

/// One exception moved up its ladder by [`Control::escalate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    /// The exception.
    pub id: ExceptionId,
    /// Its level before.
    pub from: u8,
    /// Its level after.
    pub to: u8,
    /// The roles added.
    pub added: RoleSet,
}

/// A view's filter: one role, one site, or both; `None` means every one the actor holds
/// or covers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    /// Only this role's queue.
    pub role: Option<Role>,
    /// Only this site (`None` also includes network-wide exceptions, for actors scoped to
    /// every site).
    pub site: Option<SiteCode>,
}

/// One row of the backlog: exceptions of a kind at a site in a state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BacklogRow {
    /// The kind.
    pub kind: ExceptionKind,
    /// The site (`None`: network-wide).
    pub site: Option<SiteCode>,
    /// The state.
    pub state: State,
    /// How many.
    pub count: u64,
    /// The oldest age in minutes (active: raise to `now`; closed: raise to close).
    pub oldest_minutes: i64,
    /// The mean age in minutes, rounded down.
    pub mean_minutes: i64,
}

/// How a held event was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Approve (grants the approver's needed roles).
    Approve,
    /// Reject.
    Reject,
}

/// What the host sends back to the ledger: the approver posts [`ledger_body`](Self::ledger_body)
/// as its own event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The held event.
    pub event: EventId,
    /// The verdict.
    pub verdict: Verdict,
    /// The approver.
    pub by: ActorId,
    /// The roles its approval grants (empty for a rejection).
    pub granted: RoleSet,
    /// The roles still needed after it (empty: decided).
    pub remaining: RoleSet,
    /// When.
    pub at: DateTime<Utc>,
}

impl Decision {
    /// The ledger event body that carries the decision.
    #[must_use]
    pub fn ledger_body(&self) -> Body {
        match self.verdict {
            Verdict::Approve => Body::Approve { event: self.event },
            Verdict::Reject => Body::Reject { event: self.event },
        }
    }
}

/// An event held for approval, as its approvers see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalTask {
    /// The exception tracking it.
    pub exception: ExceptionId,
    /// The held event.
    pub event: EventId,
    /// Its poster (who may not decide it).
    pub poster: ActorId,
    /// The roles still needed.
    pub needs: RoleSet,
    /// Its site.
    pub site: Option<SiteCode>,
    /// When it was held.
    pub raised_at: DateTime<Utc>,
    /// The service level's deadline.
    pub breach_at: DateTime<Utc>,
}

type Key = (ExceptionKind, Subject);

/// What an update reads of the exception it updates, read in `prepare` as soon as the
/// look-up has found it, all together. The exception is a random one of up to millions,
/// its fields lie on several cache lines, and loads issued together wait for memory
/// together; read where `update` uses them, hundreds of instructions later, each line
/// was waited for on its own (an update of one of a million took 0.98-1.02 µs that way,
/// 0.78-0.84 µs this way).
#[derive(Clone, Copy)]
struct Current {
    kind: ExceptionKind,
    state: State,
    priority: Priority,
    level: u8,
    roles: RoleSet,
    raised_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deadlines: (DateTime<Utc>, DateTime<Utc>),
    neg_value: i64,
    order_lines: u32,
    print: u64,
    /// Its stamp (in the dense list beside the exceptions).
    stamp: u32,
}

impl Current {
    fn of(e: &Exception, stamp: u32) -> Current {
        Current {
            kind: e.kind,
            state: e.state,
            priority: e.priority,
            level: e.level,
            roles: e.roles,
            raised_at: e.raised_at,
            updated_at: e.updated_at,
            deadlines: (e.acknowledge_by, e.resolve_by),
            neg_value: e.neg_value,
            order_lines: e.impact.order_lines,
            print: e.print,
            stamp,
        }
    }

    /// [`Exception::breach_at`] as it stood.
    fn breach_at(&self) -> DateTime<Utc> {
        breach_of(self.state, self.deadlines)
    }
}

/// Everything a signal needs, computed before anything changes.
struct Prepared {
    /// The reference value and its minor units.
    amount: Amount,
    priority: Priority,
    /// The dedup key's fingerprint.
    print: u64,
    target: Target,
    /// The service level's deadlines (acknowledge, resolve), from the raise time.
    deadlines: (DateTime<Utc>, DateTime<Utc>),
    /// The same, in Unix seconds (for the rank).
    deadline_secs: (i64, i64),
    /// The raise time in Unix seconds.
    raised: i64,
    /// The latest closed exception with the signal's key (what a raise names as its
    /// `previous`).
    previous: Option<ExceptionId>,
}

/// What committing a prepared signal does.
enum Target {
    /// Update the active exception at this index, as it stood when prepared.
    Update(usize, Current),
    /// Nothing: below the kind's threshold.
    Below,
    /// Nothing: older than what this closed exception with its key knew (see
    /// [`Effect::Stale`]).
    Stale(ExceptionId),
    /// Raise a new exception owned by this role.
    Raise(Role),
}

/// The exception queue. Pure: it reads no clock; every time comes in as an argument.
///
/// ```
/// use chrono::{Duration, TimeZone, Utc};
/// use onhand_control::{Control, ExceptionKind, Filter, Impact, Rules, Signal, Subject};
/// use onhand_ledger::{Actor, ActorId, SiteScope};
/// use onhand_master::{CurrencyCode, ItemCode, Role, SiteCode};
/// use rust_decimal::Decimal;
///
/// let usd = CurrencyCode::new("USD")?;
/// let mut control = Control::new(Rules::standard(usd))?;
/// let at = Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap();
/// let site = SiteCode::new("DC-EAST")?;
/// let risk = |item: &str, value: i64| -> Result<Signal, Box<dyn std::error::Error>> {
///     let subject = Subject::ItemSite { item: ItemCode::new(item)?, site: site.clone(), lot: None };
///     Ok(Signal::new(ExceptionKind::StockoutRisk, subject, at, Impact::value(Decimal::from(value), usd)))
/// };
/// control.apply(&risk("BOLT", 500)?)?;
/// control.apply(&risk("NUT", 20_000)?)?; // high priority: breaches first
/// control.apply(&risk("BOLT", 800)?)?;   // same key: updates, does not duplicate
///
/// let planner = Actor {
///     id: ActorId::new("pat")?, roles: vec![Role::Planning], sites: SiteScope::Sites(vec![site.clone()]),
/// };
/// let top = control.view(&planner, &Filter::default(), 10)?;
/// let items: Vec<_> = top.iter().map(|e| e.subject.item().unwrap().as_str()).collect();
/// assert_eq!(items, ["NUT", "BOLT"]);
/// assert_eq!(top[1].signals, 2);
///
/// // Eight hours on, the supervisor is on the ladder.
/// let moved = control.escalate(at + Duration::hours(8));
/// assert_eq!(moved.len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Control {
    rules: Compiled,
    items: Chunked<Exception>,
    active: Active,
    closed: Map<Key, ExceptionId>,
    queues: Queues,
    /// Escalation deadlines: per second (Unix), the ids whose next ladder step falls due
    /// then, in the order they were added. A closed exception's id stays until
    /// escalation passes its second and is skipped then: its `next_due` no longer names
    /// that second.
    due: BTreeMap<i64, Vec<u64>>,
    holds: BTreeMap<EventId, usize>,
    variances: Map<(ItemCode, SiteCode), Vec<i64>>,
    /// Per exception (by id), its stamp: bumped whenever its rank changes, it loses a
    /// role or it closes, which is when its queue entries stop standing for it. A queue
    /// entry is live exactly when it carries its exception's stamp, so a queue compacts
    /// by reading this dense list, not the exceptions (derived: never saved, 0 on
    /// restore).
    stamps: Vec<u32>,
}

impl Control {
    /// An empty queue under `rules`.
    ///
    /// # Errors
    /// [`ControlError::InvalidRules`] with every finding when the rules are not sound.
    pub fn new(rules: Rules) -> Result<Control, ControlError> {
        Ok(Control {
            rules: Compiled::new(rules)?,
            items: Chunked::new(),
            active: Active::default(),
            closed: map(),
            queues: Queues::default(),
            due: BTreeMap::new(),
            holds: BTreeMap::new(),
            variances: map(),
            stamps: Vec::new(),
        })
    }

    /// The rules in force.
    #[must_use]
    pub fn rules(&self) -> &Rules {
        &self.rules.source
    }

    /// The exception with `id` (unrestricted: for the host, not for actors).
    #[must_use]
    pub fn get(&self, id: ExceptionId) -> Option<&Exception> {
        usize::try_from(id.0).ok().and_then(|i| self.items.get(i))
    }

    /// Every exception ever raised, in id order.
    pub fn exceptions(&self) -> impl Iterator<Item = &Exception> {
        self.items.iter()
    }

    /// The active exception of `kind` about `subject`, if any.
    #[must_use]
    pub fn active(&self, kind: ExceptionKind, subject: &Subject) -> Option<&Exception> {
        let print = fingerprint(&(kind, subject));
        self.active.get((kind, subject), print, &self.items).and_then(|i| self.items.get(i))
    }

    /// How many exceptions are active.
    #[must_use]
    pub fn active_len(&self) -> usize {
        self.active.len()
    }

    /// Checks a signal and computes everything its commit needs, changing nothing:
    /// the reference value, the priority, the active exception it updates, or else
    /// whether it clears its threshold and the owner routing gives it.
    fn prepare(&self, signal: &Signal) -> Result<Prepared, ControlError> {
        signal.check()?;
        let reference = self.rules.to_reference(signal.impact.value, signal.impact.currency)?;
        let amount = self.rules.amount(reference)?;
        let priority = self.rules.priority(&amount, signal.impact.service_class);
        // The fingerprint of the dedup key `(kind, subject)`: a reference hashes as what
        // it refers to.
        let print = fingerprint(&(signal.kind, &signal.subject));
        let found = self.active.get((signal.kind, &signal.subject), print, &self.items);
        let current = found.and_then(|i| Some((i, Current::of(self.items.get(i)?, self.stamp(i)))));
        let previous = match current {
            Some(_) => None,
            None => self.previous(signal.kind, &signal.subject),
        };
        let stale = previous.filter(|&id| self.get(id).is_some_and(|e| signal.at < known_at(e)));
        let target = match (current, stale) {
            (Some((i, current)), _) => Target::Update(i, current),
            (None, Some(id)) => Target::Stale(id),
            (None, None)
                if self.rules.below_threshold(signal.kind, &amount, signal.impact.quantity) =>
            {
                Target::Below
            }
            (None, None) => {
                let routed = Routed {
                    kind: signal.kind,
                    site: signal.site(),
                    entity: signal.entity.as_ref(),
                    item_class: signal.item_class,
                    value: reference,
                };
                Target::Raise(self.rules.route(&routed)?)
            }
        };
        // The raise time, and the deadlines already set when the priority (so the
        // service level) is unchanged.
        let (raised_at, raised, kept) = match &target {
            Target::Update(_, e) => {
                let kept = (e.priority == priority).then_some(e.deadlines);
                (e.raised_at, e.raised_at.timestamp(), kept)
            }
            Target::Below | Target::Stale(_) | Target::Raise(_) => {
                (signal.at, signal.at.timestamp(), None)
            }
        };
        let (ack, res) = self.rules.sla(signal.kind, priority);
        let out = || ControlError::TimeOutOfRange { at: signal.at };
        let deadlines = match kept {
            Some(kept) => kept,
            None => (
                add_seconds(raised_at, ack).ok_or_else(out)?,
                add_seconds(raised_at, res).ok_or_else(out)?,
            ),
        };
        let deadline_secs =
            (raised.checked_add(ack).ok_or_else(out)?, raised.checked_add(res).ok_or_else(out)?);
        Ok(Prepared { amount, priority, print, target, deadlines, deadline_secs, raised, previous })
    }

    /// Raises an exception from `signal`, or updates the active one with the same kind
    /// and subject. A signal older than its last update changes nothing, and so does
    /// one, with none active, older than the last update of the latest closed
    /// exception with its kind and subject or than the clearance that closed it
    /// ([`Effect::Stale`]): it arrived late, about a condition already known. A count
    /// variance also counts toward recurrence, and may raise or update a recurring count
    /// variance about the same item and site.
    ///
    /// # Errors
    /// A malformed signal (subject of the wrong shape, sites that disagree, a hold
    /// missing or misplaced, a negative figure), a currency without a rate, a value too
    /// large to rank. The queue is unchanged.
    pub fn apply(&mut self, signal: &Signal) -> Result<Applied, ControlError> {
        let prepared = self.prepare(signal)?;
        let recurring = match self.recurrence(signal) {
            Some(s) => Some((self.prepare(&s)?, s)),
            None => None,
        };
        let (effect, id) = self.commit(signal, &prepared);
        if signal.kind == ExceptionKind::CountVariance {
            self.record_variance(signal);
        }
        let recurring = recurring.and_then(|(p, s)| {
            let (effect, id) = self.commit(&s, &p);
            id.map(|id| (effect, id))
        });
        Ok(Applied { effect, id, recurring })
    }

    /// The recurring-variance signal `signal` triggers, if any.
    fn recurrence(&self, signal: &Signal) -> Option<Signal> {
        let Subject::ItemSite { item, site, .. } = &signal.subject else { return None };
        if signal.kind != ExceptionKind::CountVariance {
            return None;
        }
        let at = signal.at.timestamp();
        let window = i64::from(self.rules.source.recurrence.window_days) * 86_400;
        let times = self.variances.get(&(item.clone(), site.clone()));
        let earlier = times
            .map_or(0, |t| t.iter().filter(|&&x| x < at && x > at.saturating_sub(window)).count());
        let needed = usize::try_from(self.rules.source.recurrence.count).unwrap_or(usize::MAX);
        if earlier.saturating_add(1) < needed {
            return None;
        }
        let mut s = signal.clone();
        s.kind = ExceptionKind::RecurringCountVariance;
        s.subject = Subject::ItemSite { item: item.clone(), site: site.clone(), lot: None };
        Some(s)
    }

    fn record_variance(&mut self, signal: &Signal) {
        let Subject::ItemSite { item, site, .. } = &signal.subject else { return };
        let at = signal.at.timestamp();
        let window = i64::from(self.rules.source.recurrence.window_days) * 86_400;
        let times = self.variances.entry((item.clone(), site.clone())).or_default();
        if let Err(pos) = times.binary_search(&at) {
            times.insert(pos, at);
        }
        // Keep what a later (or slightly late) variance can still count: one window
        // back from the latest.
        let latest = times.last().copied().unwrap_or(at);
        times.retain(|&x| x > latest.saturating_sub(window.saturating_mul(2)));
    }

    fn commit(&mut self, signal: &Signal, p: &Prepared) -> (Effect, Option<ExceptionId>) {
        let owner = match p.target {
            Target::Update(i, current) => {
                return (self.update(i, &current, signal, p), Some(ExceptionId(i as u64)));
            }
            Target::Below => return (Effect::BelowThreshold, None),
            Target::Stale(id) => return (Effect::Stale, Some(id)),
            Target::Raise(owner) => owner,
        };
        let impact = &signal.impact;
        let i = self.items.len();
        let id = ExceptionId(i as u64);
        let raised = p.raised;
        let needs = signal.hold.as_ref().map_or(RoleSet::EMPTY, |h| h.needs);
        let next_due =
            self.rules.ladder(signal.kind).first().map(|(s, _)| raised.saturating_add(*s));
        let mut history = History::new();
        history.push(Step { at: signal.at, by: By::Signal, change: Change::Raised });
        let site_no = self.queues.number(signal.site());
        let e = Exception {
            id,
            kind: signal.kind,
            subject: signal.subject.clone(),
            site: signal.site().cloned(),
            entity: signal.entity.clone(),
            item: signal.item_code().cloned(),
            item_class: signal.item_class,
            impact: impact.clone(),
            reference_value: p.amount.value,
            priority: p.priority,
            owner,
            roles: RoleSet::one(owner).union(needs),
            level: 0,
            state: State::Open,
            raised_at: signal.at,
            updated_at: signal.at,
            closed_at: None,
            acknowledge_by: p.deadlines.0,
            resolve_by: p.deadlines.1,
            signals: 1,
            previous: p.previous,
            hold: signal.hold.clone().map(Box::new),
            history,
            neg_value: p.amount.minor.saturating_neg(),
            print: p.print,
            next_due,
            site_no,
        };
        // The rank from the figures at hand (what `rank_key` reads off the exception).
        let rank = Rank {
            // Open: the deadline to acknowledge.
            breach: p.deadline_secs.0,
            neg_value: e.neg_value,
            lines: lines_key(impact.order_lines),
            raised,
            key: p.print,
            id: id.0,
            stamp: 0,
        };
        debug_assert_eq!(rank, e.rank_key());
        for role in e.roles.iter() {
            if let Some(q) = self.queues.get_mut(role, site_no) {
                q.insert(rank);
            }
        }
        self.stamps.push(0);
        if let Some(due) = next_due {
            match self.due.last_entry() {
                // Raises mostly come in time order: their second is the latest.
                Some(mut last) if *last.key() == due => last.get_mut().push(id.0),
                _ => self.due.entry(due).or_default().push(id.0),
            }
        }
        if let Subject::Event { event } = &e.subject {
            self.holds.insert(*event, i);
        }
        self.items.push(e);
        // `prepare` found no active exception with this key.
        self.active.insert_absent(p.print, i);
        (Effect::Raised, Some(id))
    }

    /// Updates exception `i`, which stood as `e` when the signal was prepared.
    fn update(&mut self, i: usize, e: &Current, signal: &Signal, p: &Prepared) -> Effect {
        if signal.at < e.updated_at {
            return Effect::Stale;
        }
        let breach = if e.state == State::Open { p.deadline_secs.0 } else { p.deadline_secs.1 };
        // The rank its queue entries hold, from the figures at hand where they are the
        // same (`prepare` read the raise time off it; an unchanged priority keeps the
        // deadlines).
        let old_rank = Rank {
            breach: if e.priority == p.priority { breach } else { e.breach_at().timestamp() },
            neg_value: e.neg_value,
            lines: lines_key(e.order_lines),
            raised: p.raised,
            key: e.print,
            id: i as u64,
            stamp: e.stamp,
        };
        debug_assert_eq!(Some(old_rank), self.rank_of(i));
        let old_roles = e.roles;
        let escalated = self.escalated_roles(e.kind, e.level);
        let Some(e) = self.items.get_mut(i) else { return Effect::Stale };
        e.impact = signal.impact.clone();
        e.reference_value = p.amount.value;
        e.priority = p.priority;
        (e.acknowledge_by, e.resolve_by) = p.deadlines;
        e.updated_at = signal.at;
        e.signals = e.signals.saturating_add(1);
        if let Some(hold) = &signal.hold {
            e.hold = Some(Box::new(hold.clone()));
        }
        let needs = e.hold.as_ref().map_or(RoleSet::EMPTY, |h| h.needs);
        e.roles = RoleSet::one(e.owner).union(needs).union(escalated);
        // A run of repeated signals is one step, at the latest (`signals` counts them),
        // so an exception signalled on every event keeps a bounded history.
        match e.history.last_mut() {
            Some(last) if last.by == By::Signal && last.change == Change::Updated => {
                last.at = signal.at;
            }
            _ => e.history.push(Step { at: signal.at, by: By::Signal, change: Change::Updated }),
        }
        e.neg_value = p.amount.minor.saturating_neg();
        let new_rank = Rank {
            breach,
            neg_value: e.neg_value,
            lines: lines_key(e.impact.order_lines),
            ..old_rank
        };
        debug_assert_eq!(Rank { stamp: 0, ..new_rank }, e.rank_key());
        let (new_roles, site) = (e.roles, e.site_no);
        self.reindex(i, site, old_rank, old_roles, new_rank, new_roles);
        Effect::Updated
    }

    /// The roles escalation has added up to `level`.
    fn escalated_roles(&self, kind: ExceptionKind, level: u8) -> RoleSet {
        self.rules.ladder(kind).iter().take(usize::from(level)).map(|(_, r)| *r).collect()
    }

    /// Exception `i`'s current stamp.
    fn stamp(&self, i: usize) -> u32 {
        self.stamps.get(i).copied().unwrap_or(0)
    }

    /// The rank exception `i`'s live queue entries carry (its stamp included).
    fn rank_of(&self, i: usize) -> Option<Rank> {
        let e = self.items.get(i)?;
        Some(Rank { stamp: self.stamp(i), ..e.rank_key() })
    }

    /// Gives exception `i` a new stamp: every queue entry it had goes stale. Returns it.
    fn bump(&mut self, i: usize) -> u32 {
        match self.stamps.get_mut(i) {
            Some(s) => {
                // Wrapping: a stale entry usually goes at its queue's next compaction,
                // long before 2^32 bumps; one that outlives them (in a queue too small to
                // compact, or of a role the exception lost) is still not read as live
                // unless it is an exact copy of the live entry, and at worst the queue's
                // count of stale entries is one short.
                *s = s.wrapping_add(1);
                *s
            }
            None => 0,
        }
    }

    /// Moves exception `i`'s entries between role queues: `old` (its stamp current) in
    /// the queues of `old_roles` before, `new` (any stamp) in those of `new_roles` after.
    fn reindex(
        &mut self,
        i: usize,
        site: u32,
        old: Rank,
        old_roles: RoleSet,
        new: Rank,
        new_roles: RoleSet,
    ) {
        let same = Rank { stamp: old.stamp, ..new } == old;
        let lost = old_roles.minus(new_roles);
        // Same rank, no role lost: the entries stand; only roles gained get one.
        let (gone, added, new) = if same && lost.is_empty() {
            (RoleSet::EMPTY, new_roles.minus(old_roles), Rank { stamp: old.stamp, ..new })
        } else {
            // Every old entry goes stale at once; each current role gets a new one.
            let stamp = self.bump(i);
            (old_roles, new_roles, Rank { stamp, ..new })
        };
        // One look-up per queue, whether it gains the new entry, loses the old or both.
        for role in gone.union(added).iter() {
            let Some(q) = self.queues.get_mut(role, site) else { continue };
            if added.contains(role) {
                q.insert(new);
            }
            if gone.contains(role) {
                q.forget(&self.stamps);
            }
        }
    }

    /// Takes an exception out of every index and closes it.
    fn close(&mut self, i: usize, state: State, at: DateTime<Utc>, step: Step) {
        let Some(e) = self.items.get_mut(i) else { return };
        debug_assert!(e.state.is_active(), "closing a closed exception");
        // The rank its queue entries hold (a closed exception is in no queue; the rank
        // read off it follows its state all the same).
        let (roles, site) = (e.roles, e.site_no);
        e.state = state;
        e.closed_at = Some(at);
        e.history.push(step);
        // Its escalation deadline goes stale where it lies (see `due`).
        e.next_due = None;
        let (id, print) = (e.id, e.print);
        if let Subject::Event { event } = &e.subject {
            self.holds.remove(event);
        }
        self.bump(i);
        for role in roles.iter() {
            if let Some(q) = self.queues.get_mut(role, site) {
                q.forget(&self.stamps);
            }
        }
        let Some(e) = self.items.get(i) else { return };
        self.active.remove((e.kind, &e.subject), print, &self.items);
        self.closed.insert((e.kind, e.subject.clone()), id);
    }

    /// Resolves the active exception the clearance names, with its reason; `None` when
    /// none is active (already resolved, or never raised) or the clearance is older
    /// than its last update (the condition was signalled again after the clearance's
    /// time; nothing changes).
    ///
    /// # Errors
    /// [`ControlError::SubjectMismatch`] when the kind is never about such a subject.
    pub fn clear(&mut self, clearance: &Clearance) -> Result<Option<ExceptionId>, ControlError> {
        if !crate::signal::kind_accepts(clearance.kind, &clearance.subject) {
            return Err(ControlError::SubjectMismatch {
                kind: clearance.kind,
                subject: clearance.subject.shape(),
            });
        }
        let key = (clearance.kind, &clearance.subject);
        let Some(i) = self.active.get(key, fingerprint(&key), &self.items) else {
            return Ok(None);
        };
        if self.items.get(i).is_none_or(|e| clearance.at < e.updated_at) {
            return Ok(None);
        }
        let step = Step {
            at: clearance.at,
            by: By::Signal,
            change: Change::Cleared { reason: clearance.reason },
        };
        self.close(i, State::Resolved, clearance.at, step);
        Ok(Some(ExceptionId(i as u64)))
    }

    /// The latest closed exception with dedup key `(kind, subject)`, if any.
    fn previous(&self, kind: ExceptionKind, subject: &Subject) -> Option<ExceptionId> {
        if self.closed.is_empty() {
            return None;
        }
        self.closed.get(&(kind, subject.clone())).copied()
    }

    fn index_of(&self, id: ExceptionId) -> Result<usize, ControlError> {
        usize::try_from(id.0)
            .ok()
            .filter(|&i| i < self.items.len())
            .ok_or(ControlError::UnknownException { id })
    }

    /// `actor` takes `action` on exception `id` at `at`; returns the new state.
    ///
    /// # Errors
    /// [`ControlError::UnknownException`]; [`ControlError::Refused`] when the actor holds
    /// none of its roles or its site is out of scope; [`ControlError::DecidedByApproval`]
    /// for resolving or cancelling a pending approval (approve or reject its task);
    /// [`ControlError::IllegalTransition`] otherwise, including any reopening.
    pub fn act(
        &mut self,
        id: ExceptionId,
        actor: &Actor,
        action: Action,
        at: DateTime<Utc>,
    ) -> Result<State, ControlError> {
        let i = self.index_of(id)?;
        let e = self.items.get(i).ok_or(ControlError::UnknownException { id })?;
        e.allows(actor)
            .map_err(|reason| ControlError::Refused { actor: actor.id.clone(), reason })?;
        if e.kind == ExceptionKind::PendingApproval
            && matches!(action, Action::Resolve | Action::Cancel)
            && e.state.is_active()
        {
            return Err(ControlError::DecidedByApproval { id });
        }
        let to = transition(e.state, action).ok_or(ControlError::IllegalTransition {
            id,
            from: e.state,
            action,
        })?;
        let step = Step {
            at,
            by: By::Actor(Box::new(actor.id.clone())),
            change: Change::Moved { action, to },
        };
        if !to.is_active() {
            self.close(i, to, at, step);
            return Ok(to);
        }
        let old = self.rank_of(i).ok_or(ControlError::UnknownException { id })?;
        let Some(e) = self.items.get_mut(i) else {
            return Err(ControlError::UnknownException { id });
        };
        e.state = to;
        e.history.push(step);
        let (new, roles, site) = (e.rank_key(), e.roles, e.site_no);
        self.reindex(i, site, old, roles, new, roles);
        Ok(to)
    }

    /// Moves every active exception whose next ladder step is due at `now` up its
    /// ladder (several steps if several are due), adds the steps' roles, and returns what
    /// changed, in the order the steps fell due. Only what is due is touched; calling it
    /// again with the same `now` changes nothing, and an earlier `now` never undoes a
    /// step.
    pub fn escalate(&mut self, now: DateTime<Utc>) -> Vec<Escalation> {
        let t = now.timestamp();
        let later = self.due.split_off(&t.saturating_add(1));
        let due = std::mem::replace(&mut self.due, later);
        // Each exception's step depends on it alone: visit them in id order (the order
        // they lie in memory), report them in due order (second, then id).
        let mut visit: Vec<(u64, usize, i64)> = Vec::new();
        for (at, mut ids) in due {
            ids.sort_unstable();
            visit.extend(ids.into_iter().map(|id| (id, 0, at)));
        }
        for (pos, v) in visit.iter_mut().enumerate() {
            v.1 = pos;
        }
        visit.sort_unstable();
        let mut moved: Vec<Option<Escalation>> = vec![None; visit.len()];
        // Ranks to add per queue, added afterwards as one sorted run per queue (due order
        // is not rank order).
        let mut adds: Map<(Role, u32), Vec<Rank>> = map();
        // Next deadlines, added at the end grouped by second.
        let mut next: Vec<(i64, u64)> = Vec::with_capacity(visit.len());
        for (id, pos, at) in visit {
            let Ok(i) = usize::try_from(id) else { continue };
            let Some(e) = self.items.get(i) else { continue };
            if e.next_due != Some(at) {
                // Stale: the exception closed after this deadline was set.
                continue;
            }
            let ladder = self.rules.ladder(e.kind);
            let from = e.level;
            let mut level = usize::from(from);
            let mut added = RoleSet::EMPTY;
            let raised = e.raised_at.timestamp();
            while let Some((after, role)) = ladder.get(level) {
                if raised.saturating_add(*after) > t {
                    break;
                }
                added = added.with(*role);
                level += 1;
            }
            let next_due = ladder.get(level).map(|(after, _)| raised.saturating_add(*after));
            // A ladder has at most `MAX_STEPS` steps (validated).
            debug_assert!(level <= crate::rules::MAX_STEPS);
            let to = u8::try_from(level).unwrap_or(u8::MAX);
            let new_roles = added.minus(e.roles);
            // Roles only gained: the entries it has stand, and the new ones carry its
            // stamp.
            let rank = Rank { stamp: self.stamp(i), ..e.rank_key() };
            for role in new_roles.iter() {
                adds.entry((role, e.site_no)).or_default().push(rank);
            }
            if let Some(due) = next_due {
                next.push((due, id));
            }
            if let Some(e) = self.items.get_mut(i) {
                e.level = to;
                e.roles = e.roles.union(added);
                e.next_due = next_due;
                e.history.push(Step {
                    at: now,
                    by: By::Escalation,
                    change: Change::Escalated { level: to, roles: added },
                });
            }
            if let Some(slot) = moved.get_mut(pos) {
                *slot = Some(Escalation { id: ExceptionId(id), from, to, added });
            }
        }
        let out: Vec<Escalation> = moved.into_iter().flatten().collect();
        next.sort_unstable();
        for run in next.chunk_by(|a, b| a.0 == b.0) {
            if let Some(&(at, _)) = run.first() {
                self.due.entry(at).or_default().extend(run.iter().map(|&(_, id)| id));
            }
        }
        for ((role, site), mut ranks) in adds {
            // One exception per rank: sorted, they are strictly ascending.
            ranks.sort_unstable();
            if let Some(q) = self.queues.get_mut(role, site) {
                q.extend_sorted(ranks);
            }
        }
        out
    }

    /// The first `limit` active exceptions in the queue of `role` at `site` (`None`: the
    /// network-wide queue), in rank order. Unrestricted: for the host; actors use
    /// [`view`](Self::view).
    pub fn top(
        &self,
        role: Role,
        site: Option<&SiteCode>,
        limit: usize,
    ) -> impl Iterator<Item = &Exception> {
        let ranks = self
            .queues
            .get(role, site)
            .map(|q| q.top(limit, live(&self.items, &self.stamps, role)))
            .unwrap_or_default();
        ranks.into_iter().filter_map(|r| usize::try_from(r.id).ok().and_then(|i| self.items.get(i)))
    }

    /// The first `limit` active exceptions `actor` may act on, narrowed by `filter`, in
    /// rank order: the merge of its roles' queues at the sites in its scope.
    ///
    /// # Errors
    /// [`ControlError::Refused`] when the filter names a role the actor does not hold or
    /// a site outside its scope.
    pub fn view(
        &self,
        actor: &Actor,
        filter: &Filter,
        limit: usize,
    ) -> Result<Vec<&Exception>, ControlError> {
        let held: RoleSet = actor.roles.iter().copied().collect();
        let refuse = |reason| ControlError::Refused { actor: actor.id.clone(), reason };
        if let Some(role) = filter.role
            && !held.contains(role)
        {
            return Err(refuse(Refusal::NoRole { allowed: RoleSet::one(role) }));
        }
        if let Some(site) = &filter.site
            && !actor.sites.covers(site)
        {
            return Err(refuse(Refusal::OutOfScope { site: Some(site.clone()) }));
        }
        let roles = filter.role.map_or(held, |r| held.intersection(RoleSet::one(r)));
        let queues: Vec<_> = self
            .queues
            .iter()
            .filter(|(r, s, q)| {
                roles.contains(*r)
                    && !q.is_empty()
                    && match &filter.site {
                        Some(site) => *s == Some(site),
                        None => in_scope(&actor.sites, *s),
                    }
            })
            .map(|(role, _, q)| (q, live(&self.items, &self.stamps, role)))
            .collect();
        let ranks = ranked::top_of(&queues, limit);
        Ok(ranks
            .iter()
            .filter_map(|r| usize::try_from(r.id).ok().and_then(|i| self.items.get(i)))
            .collect())
    }

    /// Exception `id`, if `actor` may see it.
    ///
    /// # Errors
    /// [`ControlError::UnknownException`], or [`ControlError::Refused`] with the reason.
    pub fn get_for(&self, actor: &Actor, id: ExceptionId) -> Result<&Exception, ControlError> {
        let e = self.get(id).ok_or(ControlError::UnknownException { id })?;
        e.allows(actor)
            .map_err(|reason| ControlError::Refused { actor: actor.id.clone(), reason })?;
        Ok(e)
    }

    /// Counts and ages by kind, site and state, ordered by kind, site, state.
    #[must_use]
    pub fn backlog(&self, now: DateTime<Utc>) -> Vec<BacklogRow> {
        // (kind, site, state) -> (count, oldest, total age), in minutes.
        type Cell = (u64, i64, i64);
        let mut cells: BTreeMap<(ExceptionKind, Option<&SiteCode>, State), Cell> = BTreeMap::new();
        for e in &self.items {
            let end = e.closed_at.unwrap_or(now);
            let age = (end - e.raised_at).num_minutes().max(0);
            let cell = cells.entry((e.kind, e.site.as_ref(), e.state)).or_insert((0, 0, 0));
            cell.0 += 1;
            cell.1 = cell.1.max(age);
            cell.2 = cell.2.saturating_add(age);
        }
        cells
            .into_iter()
            .map(|((kind, site, state), (count, oldest, total))| BacklogRow {
                kind,
                site: site.cloned(),
                state,
                count,
                oldest_minutes: oldest,
                mean_minutes: total / i64::try_from(count.max(1)).unwrap_or(i64::MAX),
            })
            .collect()
    }

    /// The approval tasks routed to `actor`: held events needing a role it holds, at a
    /// site in its scope, that it did not post; in rank order.
    #[must_use]
    pub fn approvals_for(&self, actor: &Actor) -> Vec<ApprovalTask> {
        let held: RoleSet = actor.roles.iter().copied().collect();
        let mut tasks: Vec<(Rank, ApprovalTask)> = self
            .holds
            .values()
            .filter_map(|&i| self.items.get(i))
            .filter_map(|e| {
                let h = e.hold.as_ref()?;
                let Subject::Event { event } = &e.subject else { return None };
                let routed = h.poster != actor.id
                    && !h.needs.intersection(held).is_empty()
                    && in_scope(&actor.sites, e.site.as_ref());
                routed.then(|| {
                    let task = ApprovalTask {
                        exception: e.id,
                        event: *event,
                        poster: h.poster.clone(),
                        needs: h.needs,
                        site: e.site.clone(),
                        raised_at: e.raised_at,
                        breach_at: e.breach_at(),
                    };
                    (e.rank_key(), task)
                })
            })
            .collect();
        tasks.sort_unstable_by_key(|(r, _)| *r);
        tasks.into_iter().map(|(_, t)| t).collect()
    }

    /// `actor` approves held `event` at `at`: it grants the needed roles it holds. When
    /// none remain the exception resolves (reason: approved). The returned decision is
    /// what the host posts to the ledger as the actor's event.
    ///
    /// # Errors
    /// [`ControlError::UnknownApproval`] or [`ControlError::AlreadyDecided`];
    /// [`ControlError::SelfApproval`] for the poster; [`ControlError::Refused`] when the
    /// actor holds no needed role or the site is out of its scope.
    pub fn approve(
        &mut self,
        event: EventId,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> Result<Decision, ControlError> {
        self.decide(event, actor, at, Verdict::Approve)
    }

    /// `actor` rejects held `event` at `at`; the exception resolves (reason: rejected).
    ///
    /// # Errors
    /// As [`approve`](Self::approve).
    pub fn reject(
        &mut self,
        event: EventId,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> Result<Decision, ControlError> {
        self.decide(event, actor, at, Verdict::Reject)
    }

    /// The escalation deadlines that still stand, as (second, id), in order: those whose
    /// exception's next ladder step falls due at that second (for tests comparing
    /// queues).
    #[cfg(test)]
    pub(crate) fn due_live(&self) -> Vec<(i64, u64)> {
        let mut out: Vec<(i64, u64)> = self
            .due
            .iter()
            .flat_map(|(&at, ids)| ids.iter().map(move |&id| (at, id)))
            .filter(|&(at, id)| {
                usize::try_from(id)
                    .ok()
                    .and_then(|i| self.items.get(i))
                    .is_some_and(|e| e.next_due == Some(at))
            })
            .collect();
        out.sort_unstable();
        out
    }

    /// Every non-empty queue's live ranks, in order, without their stamps (which a
    /// restore starts again from 0): for tests comparing queues.
    #[cfg(test)]
    pub(crate) fn ranked_queues(&self) -> BTreeMap<(Role, Option<SiteCode>), Vec<Rank>> {
        self.queues
            .iter()
            .map(|(role, site, q)| {
                let live = live(&self.items, &self.stamps, role);
                let ranks = q.top(usize::MAX, live).into_iter();
                ((role, site.cloned()), ranks.map(|r| Rank { stamp: 0, ..r }).collect::<Vec<_>>())
            })
            .filter(|(_, ranks)| !ranks.is_empty())
            .collect()
    }

    fn decide(
        &mut self,
        event: EventId,
        actor: &Actor,
        at: DateTime<Utc>,
        verdict: Verdict,
    ) -> Result<Decision, ControlError> {
        let Some(&i) = self.holds.get(&event) else {
            let key = (ExceptionKind::PendingApproval, Subject::Event { event });
            return Err(if self.closed.contains_key(&key) {
                ControlError::AlreadyDecided { event }
            } else {
                ControlError::UnknownApproval { event }
            });
        };
        let e = self.items.get(i).ok_or(ControlError::UnknownApproval { event })?;
        let hold = e.hold.as_ref().ok_or(ControlError::UnknownApproval { event })?;
        if hold.poster == actor.id {
            return Err(ControlError::SelfApproval { actor: actor.id.clone(), event });
        }
        let refuse = |reason| ControlError::Refused { actor: actor.id.clone(), reason };
        let roles: RoleSet = actor.roles.iter().copied().collect();
        let granted = roles.intersection(hold.needs);
        if granted.is_empty() {
            return Err(refuse(Refusal::NoRole { allowed: hold.needs }));
        }
        if !in_scope(&actor.sites, e.site.as_ref()) {
            return Err(refuse(Refusal::OutOfScope { site: e.site.clone() }));
        }
        let by = By::Actor(Box::new(actor.id.clone()));
        let (granted, remaining) = match verdict {
            Verdict::Approve => (granted, hold.needs.minus(granted)),
            Verdict::Reject => (RoleSet::EMPTY, RoleSet::EMPTY),
        };
        match verdict {
            Verdict::Reject => {
                let step = Step { at, by, change: Change::Rejected };
                self.close(i, State::Resolved, at, step);
            }
            Verdict::Approve if remaining.is_empty() => {
                let step = Step { at, by, change: Change::Approved { granted, remaining } };
                self.close(i, State::Resolved, at, step);
            }
            Verdict::Approve => {
                let escalated = self.escalated_roles(e.kind, e.level);
                let rank = self.rank_of(i).ok_or(ControlError::UnknownApproval { event })?;
                let Some(e) = self.items.get_mut(i) else {
                    return Err(ControlError::UnknownApproval { event });
                };
                let old_roles = e.roles;
                if let Some(h) = e.hold.as_mut() {
                    h.needs = remaining;
                }
                e.roles = RoleSet::one(e.owner).union(remaining).union(escalated);
                e.history.push(Step { at, by, change: Change::Approved { granted, remaining } });
                let (roles, site) = (e.roles, e.site_no);
                self.reindex(i, site, rank, old_roles, rank, roles);
            }
        }
        Ok(Decision { event, verdict, by: actor.id.clone(), granted, remaining, at })
    }
}

/// Whether a queue entry of `role` stands for its exception: the exception is active,
/// holds the role, and has exactly this rank and its current stamp (see
/// [`Ranked`](ranked::Ranked)).
fn live<'a>(
    items: &'a Chunked<Exception>,
    stamps: &'a [u32],
    role: Role,
) -> impl Fn(&Rank) -> bool + 'a {
    move |r| {
        r.is_current(stamps)
            && usize::try_from(r.id).ok().and_then(|i| items.get(i)).is_some_and(|e| {
                e.state.is_active()
                    && e.rank_key() == Rank { stamp: 0, ..*r }
                    && e.roles.contains(role)
            })
    }
}

/// `t` plus `secs` (at least 0) seconds; `None` beyond the last representable time.
/// Whole days are added to the date only when the time of day wraps, which costs far
/// less than chrono's general `checked_add_signed` (what it falls back to for a leap
/// second).
fn add_seconds(t: DateTime<Utc>, secs: i64) -> Option<DateTime<Utc>> {
    use chrono::{Days, NaiveTime, Timelike};
    let naive = t.naive_utc();
    let time = naive.time();
    let nano = time.nanosecond();
    if nano >= 1_000_000_000 || secs < 0 {
        return t.checked_add_signed(chrono::Duration::try_seconds(secs)?);
    }
    let total = i64::from(time.num_seconds_from_midnight()).checked_add(secs)?;
    let (days, rest) = (total / 86_400, total % 86_400);
    let date = match u64::try_from(days).ok()? {
        0 => naive.date(),
        days => naive.date().checked_add_days(Days::new(days))?,
    };
    let time = NaiveTime::from_num_seconds_from_midnight_opt(u32::try_from(rest).ok()?, nano)?;
    Some(date.and_time(time).and_utc())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use onhand_ledger::DocNumber;
    use onhand_master::CurrencyCode;

    use super::*;
    use crate::rules::Rate;

    fn at(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap() + chrono::Duration::minutes(minute)
    }

    fn usd() -> CurrencyCode {
        CurrencyCode::new("USD").unwrap()
    }

    fn risk(item: &str, value: i64, minute: i64) -> Signal {
        let subject = Subject::ItemSite {
            item: ItemCode::new(item).unwrap(),
            site: SiteCode::new("ATL").unwrap(),
            lot: None,
        };
        Signal::new(
            ExceptionKind::StockoutRisk,
            subject,
            at(minute),
            Impact::value(Decimal::from(value), usd()),
        )
    }

    /// Every queue's accounting holds through raises, updates that move ranks and
    /// priorities, acts, clearances and escalation: what it holds is its live entries
    /// plus the ones it counts dead, and compaction keeps no stale entry for long.
    #[test]
    fn queues_count_their_stale_entries_exactly() {
        let mut c = Control::new(Rules::standard(usd())).unwrap();
        let sue = Actor {
            id: onhand_ledger::ActorId::new("sue").unwrap(),
            roles: vec![Role::Planning, Role::Supervisor],
            sites: onhand_ledger::SiteScope::All,
        };
        let check = |c: &Control| {
            for (role, _, q) in c.queues.iter() {
                let live = q.top(usize::MAX, live(&c.items, &c.stamps, role)).len();
                let (held, dead) = q.counts();
                assert_eq!(held - dead, live, "{role:?}: {held} held, {dead} dead");
                assert!(dead * 2 <= held.max(64), "{role:?}: {dead} dead of {held}");
            }
        };
        for round in 0..6_i64 {
            for k in 0..300_i64 {
                // Values across the priority bands, so ranks and deadlines move.
                let value = (k * 7_919 + round * 104_729) % 60_000;
                c.apply(&risk(&format!("I{k}"), value, round * 10 + 1)).unwrap();
            }
            check(&c);
            for k in (0..300_u64).step_by(7) {
                let _ = c.act(ExceptionId(k), &sue, Action::Acknowledge, at(round * 10 + 2));
            }
            check(&c);
            for k in (round..300).step_by(11) {
                let clearance = Clearance {
                    kind: ExceptionKind::StockoutRisk,
                    subject: risk(&format!("I{k}"), 0, 0).subject,
                    at: at(round * 10 + 3),
                    reason: crate::ClearReason::StockArrived,
                };
                c.clear(&clearance).unwrap();
            }
            check(&c);
            // Approvals needing two roles: granting one takes a role away (the entries
            // of every role go stale at once), granting the other closes the exception.
            let fin = Actor {
                id: onhand_ledger::ActorId::new("fin").unwrap(),
                roles: vec![Role::Finance],
                ..sue.clone()
            };
            for k in 0..40_u128 {
                let event = EventId::from_u128(1 + 1_000 * u128::from(round.unsigned_abs()) + k);
                let hold = crate::Hold::new(
                    onhand_ledger::ActorId::new("clerk").unwrap(),
                    [Role::Supervisor, Role::Finance],
                );
                let site = SiteCode::new("ATL").unwrap();
                let value = Impact::value(Decimal::from(100 + 37 * k), usd());
                c.apply(&Signal::pending_approval(event, hold, site, at(round * 10 + 4), value))
                    .unwrap();
                if k % 2 == 0 {
                    c.approve(event, &fin, at(round * 10 + 5)).unwrap();
                }
                if k % 4 == 0 {
                    c.approve(event, &sue, at(round * 10 + 6)).unwrap();
                }
            }
            check(&c);
            c.escalate(at(round * 10 + 9 * 60));
            check(&c);
        }
    }

    fn snapshot(c: &Control) -> String {
        let all: Vec<_> = c.exceptions().collect();
        format!("{all:?} {:?} {:?} {:?}", c.queues, c.due, c.active.len())
    }

    #[test]
    fn refused_signals_leave_the_queue_unchanged() {
        let mut c = Control::new(Rules::standard(usd())).unwrap();
        c.apply(&risk("A", 10, 0)).unwrap();
        let before = snapshot(&c);
        let mut cad = risk("A", 10, 5);
        cad.impact.currency = CurrencyCode::new("CAD").unwrap();
        assert_eq!(
            c.apply(&cad),
            Err(ControlError::UnknownCurrency { currency: CurrencyCode::new("CAD").unwrap() })
        );
        let mut wrong = risk("B", 10, 5);
        wrong.subject = Subject::Receipt { order: DocNumber::new("PO-1").unwrap() };
        assert!(matches!(c.apply(&wrong), Err(ControlError::SubjectMismatch { .. })));
        let mut huge = risk("B", 0, 5);
        huge.impact.value = Decimal::MAX;
        assert!(matches!(c.apply(&huge), Err(ControlError::ValueTooLarge { .. })));
        assert_eq!(snapshot(&c), before);
    }

    #[test]
    fn a_signal_at_the_end_of_time_is_refused_not_a_panic() {
        let mut c = Control::new(Rules::standard(usd())).unwrap();
        let mut s = risk("A", 10, 0);
        s.at = DateTime::<Utc>::MAX_UTC;
        assert_eq!(c.apply(&s), Err(ControlError::TimeOutOfRange { at: s.at }));
        assert_eq!(c.active_len(), 0);
    }

    #[test]
    fn a_stale_signal_changes_nothing_and_a_later_one_moves_the_rank() {
        let mut c = Control::new(Rules::standard(usd())).unwrap();
        let a = c.apply(&risk("A", 500, 10)).unwrap().id.unwrap();
        c.apply(&risk("B", 600, 10)).unwrap();
        let before = snapshot(&c);
        assert_eq!(c.apply(&risk("A", 90_000, 5)).unwrap().effect, Effect::Stale);
        assert_eq!(snapshot(&c), before);
        let first = |c: &Control| {
            c.top(Role::Planning, SiteCode::new("ATL").ok().as_ref(), 1).next().map(|e| e.id)
        };
        assert_ne!(first(&c), Some(a));
        assert_eq!(c.apply(&risk("A", 90_000, 20)).unwrap().effect, Effect::Updated);
        assert_eq!(first(&c), Some(a), "high priority breaches first");
        assert_eq!(c.get(a).unwrap().priority, Priority::High);
    }

    #[test]
    fn values_in_other_currencies_rank_at_their_reference_value() {
        let mut rules = Rules::standard(usd());
        let cad = CurrencyCode::new("CAD").unwrap();
        rules.rates.push(Rate { currency: cad, rate: Decimal::new(74, 2) });
        let mut c = Control::new(rules).unwrap();
        let mut s = risk("A", 2_000, 0);
        s.impact.currency = cad;
        let id = c.apply(&s).unwrap().id.unwrap();
        let e = c.get(id).unwrap();
        assert_eq!(e.reference_value, Decimal::new(148_000, 2));
        assert_eq!(e.impact.value, Decimal::from(2_000));
        assert_eq!(e.priority, Priority::Medium);
    }

    proptest::proptest! {
        /// `add_seconds` is chrono's addition of seconds, wherever it lands.
        #[test]
        fn adding_seconds_agrees_with_chrono(
            start in -70_000_000_000_i64..70_000_000_000,
            nano in 0u32..1_000_000_000,
            secs in 0_i64..40_000_000,
        ) {
            let t = DateTime::<Utc>::from_timestamp(start, nano).unwrap();
            proptest::prop_assert_eq!(
                add_seconds(t, secs),
                t.checked_add_signed(chrono::Duration::seconds(secs))
            );
        }
    }

    #[test]
    fn adding_seconds_at_the_end_of_time_is_none() {
        let end = DateTime::<Utc>::MAX_UTC;
        assert_eq!(add_seconds(end, 0), Some(end));
        assert_eq!(add_seconds(end, 1), None);
        assert_eq!(add_seconds(end - chrono::Duration::days(3), 86_400 * 5), None);
    }

    #[test]
    fn rules_with_findings_build_no_queue() {
        let mut rules = Rules::standard(usd());
        rules.routes.clear();
        let err = Control::new(rules).unwrap_err();
        assert_eq!(err.code(), "invalid_rules");
        assert!(err.to_string().starts_with("the control rules have 13 finding(s)"));
    }
}
