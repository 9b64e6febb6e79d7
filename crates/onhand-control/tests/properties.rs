//! Property tests of the queue: the ranking is a total order independent of insertion
//! order; views show an actor exactly what it may act on (and every exception to someone
//! who may act on it); escalation is monotone in `now`; the lifecycle follows a naive
//! reference model, and closed exceptions are never reopened.

// Test helpers build fixtures from literals; unwrap names the failing literal.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use onhand_control::{
    Action, ClearReason, Clearance, Control, ControlError, Effect, Exception, ExceptionId,
    ExceptionKind, Filter, Hold, Impact, Route, Rules, ServiceClass, Signal, State, Subject,
};
use onhand_ledger::{Actor, ActorId, DocNumber, EventId, SiteScope};
use onhand_master::{CurrencyCode, EntityCode, ItemCode, Role, SiteCode};
use proptest::prelude::*;
use rust_decimal::Decimal;

const SITES: [&str; 3] = ["S1", "S2", "S3"];
const ITEMS: [&str; 3] = ["A", "B", "C"];

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap()
}

fn site(i: usize) -> SiteCode {
    SiteCode::new(SITES[i % 3]).unwrap()
}

fn usd() -> CurrencyCode {
    CurrencyCode::new("USD").unwrap()
}

/// The standard rules plus routes that depend on site and value band, and no recurrence
/// (so every raise comes from a signal the test made).
fn rules() -> Rules {
    let mut rules = Rules::standard(usd());
    let mut by_site = Route::to(Role::Warehouse, [ExceptionKind::StockoutRisk]);
    by_site.sites = vec![site(1)];
    let mut by_value = Route::to(Role::Supervisor, [ExceptionKind::LineShortOrLate]);
    by_value.min_value = Some(Decimal::from(5_000));
    rules.routes.insert(0, by_site);
    rules.routes.insert(0, by_value);
    rules.recurrence.count = 1_000;
    rules
}

/// The keys signals are about: (kind, subject, site the signal names, hold).
fn key(k: usize) -> (ExceptionKind, Subject, Option<SiteCode>, Option<Hold>) {
    let item_site = |i: usize| Subject::ItemSite {
        item: ItemCode::new(ITEMS[i % 3]).unwrap(),
        site: site(i / 3),
        lot: None,
    };
    match k % 20 {
        k @ 0..9 => (ExceptionKind::StockoutRisk, item_site(k), None, None),
        k @ 9..13 => {
            let order = DocNumber::new(format!("SO-{k}")).unwrap();
            (ExceptionKind::LineShortOrLate, Subject::Line { order, line: 1 }, Some(site(k)), None)
        }
        k @ 13..15 => {
            let transfer = DocNumber::new(format!("TO-{k}")).unwrap();
            (
                ExceptionKind::TransferOverdue,
                Subject::Transfer { transfer, item: None },
                Some(site(k)),
                None,
            )
        }
        15 => (
            ExceptionKind::IntercompanyMismatch,
            Subject::Entities {
                seller: EntityCode::new("NA01").unwrap(),
                buyer: EntityCode::new("CA01").unwrap(),
            },
            None,
            None,
        ),
        k => {
            let needs: &[Role] =
                if k % 2 == 0 { &[Role::Supervisor] } else { &[Role::Supervisor, Role::Finance] };
            let poster = ActorId::new(format!("u{}", k % 5)).unwrap();
            (
                ExceptionKind::PendingApproval,
                Subject::Event { event: EventId::from_u128(k as u128) },
                Some(site(k)),
                Some(Hold::new(poster, needs.iter().copied())),
            )
        }
    }
}

const KEYS: usize = 20;

#[derive(Debug, Clone)]
struct Sig {
    key: usize,
    value: i64,
    lines: u32,
    key_account: bool,
    minute: i64,
}

fn sig() -> impl Strategy<Value = Sig> {
    (
        0..KEYS,
        prop_oneof![Just(0_i64), Just(999), Just(5_000), 0..200_000_i64],
        0..3_u32,
        any::<bool>(),
        // Few distinct times, so ties on everything but the key are common.
        prop_oneof![Just(0_i64), Just(60), 0..600_i64],
    )
        .prop_map(|(key, value, lines, key_account, minute)| Sig {
            key,
            value,
            lines,
            key_account,
            minute,
        })
}

fn signal(s: &Sig) -> Signal {
    let (kind, subject, at_site, hold) = key(s.key);
    let class = if s.key_account { ServiceClass::Key } else { ServiceClass::Standard };
    let impact = Impact::value(Decimal::from(s.value), usd()).lines(s.lines, s.lines, class);
    let mut signal = Signal::new(kind, subject, t0() + Duration::minutes(s.minute), impact);
    signal.site = at_site;
    signal.hold = hold;
    signal
}

fn actor_strategy() -> impl Strategy<Value = Actor> {
    (
        0..5_usize,
        proptest::collection::vec(any::<bool>(), 7),
        prop::option::of(proptest::collection::vec(any::<bool>(), 3)),
    )
        .prop_map(|(id, roles, sites)| Actor {
            id: ActorId::new(format!("u{id}")).unwrap(),
            roles: Role::ALL.iter().zip(roles).filter(|(_, on)| *on).map(|(r, _)| *r).collect(),
            sites: match sites {
                None => SiteScope::All,
                Some(on) => SiteScope::Sites((0..3).filter(|i| on[*i]).map(site).collect()),
            },
        })
}

fn sort_key(
    e: &Exception,
) -> (DateTime<Utc>, std::cmp::Reverse<Decimal>, std::cmp::Reverse<u32>, DateTime<Utc>) {
    (
        e.breach_at(),
        std::cmp::Reverse(e.reference_value),
        std::cmp::Reverse(e.impact.order_lines),
        e.raised_at,
    )
}

/// Every queue's order, by key, over every role and site.
fn queues(control: &Control) -> Vec<Vec<(ExceptionKind, Subject)>> {
    let mut out = Vec::new();
    for role in Role::ALL {
        for s in [None, Some(site(0)), Some(site(1)), Some(site(2))] {
            let q: Vec<_> = control.top(role, s.as_ref(), usize::MAX).collect();
            for pair in q.windows(2) {
                assert!(sort_key(pair[0]) <= sort_key(pair[1]), "{role} {s:?} out of order");
            }
            out.push(q.iter().map(|e| (e.kind, e.subject.clone())).collect());
        }
    }
    out
}

fn everyone() -> Actor {
    Actor { id: ActorId::new("root").unwrap(), roles: Role::ALL.to_vec(), sites: SiteScope::All }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// The ranking is a total order, independent of insertion order.
    #[test]
    fn ranking_is_independent_of_insertion_order(
        (signals, shuffled) in proptest::collection::vec(sig(), 0..40).prop_flat_map(|v| {
            // One signal per key: with repeats, which one is latest would differ.
            let mut seen = std::collections::BTreeSet::new();
            let v: Vec<Sig> = v.into_iter().filter(|s| seen.insert(s.key)).collect();
            (Just(v.clone()), Just(v).prop_shuffle())
        })
    ) {
        let mut a = Control::new(rules()).unwrap();
        let mut b = Control::new(rules()).unwrap();
        for s in &signals {
            a.apply(&signal(s)).unwrap();
        }
        for s in &shuffled {
            b.apply(&signal(s)).unwrap();
        }
        prop_assert_eq!(queues(&a), queues(&b));
        let root = everyone();
        let view = |c: &Control| -> Vec<(ExceptionKind, Subject)> {
            c.view(&root, &Filter::default(), usize::MAX).unwrap().iter().map(|e| (e.kind, e.subject.clone())).collect()
        };
        prop_assert_eq!(view(&a), view(&b));
        prop_assert_eq!(view(&a).len(), signals.len());
    }

    /// An actor's view holds exactly the active exceptions it may act on; every active
    /// exception is visible to an actor holding its owner role at its site; refused actors
    /// change nothing.
    #[test]
    fn views_show_exactly_what_an_actor_may_act_on(
        signals in proptest::collection::vec(sig(), 0..60),
        actors in proptest::collection::vec(actor_strategy(), 1..6),
        hours in 0..80_i64,
    ) {
        let mut control = Control::new(rules()).unwrap();
        for s in &signals {
            control.apply(&signal(s)).unwrap();
        }
        control.escalate(t0() + Duration::hours(hours));
        let active: Vec<&Exception> = control.exceptions().filter(|e| e.state.is_active()).collect();
        for actor in &actors {
            let seen: Vec<ExceptionId> =
                control.view(actor, &Filter::default(), usize::MAX).unwrap().iter().map(|e| e.id).collect();
            let mut allowed: Vec<ExceptionId> =
                active.iter().filter(|e| e.allows(actor).is_ok()).map(|e| e.id).collect();
            let mut sorted = seen.clone();
            sorted.sort();
            allowed.sort();
            prop_assert_eq!(sorted, allowed);
            for e in &active {
                let roles: onhand_control::RoleSet = actor.roles.iter().copied().collect();
                let in_scope = match (&actor.sites, &e.site) {
                    (SiteScope::All, _) => true,
                    (SiteScope::Sites(l), Some(s)) => l.contains(s),
                    (SiteScope::Sites(_), None) => false,
                };
                let may = !roles.intersection(e.roles).is_empty() && in_scope;
                prop_assert_eq!(seen.contains(&e.id), may);
                if !may {
                    let before = (*e).clone();
                    let refused = control.clone().act(e.id, actor, Action::Acknowledge, t0());
                    prop_assert!(matches!(refused, Err(ControlError::Refused { .. })), "{:?}", refused);
                    prop_assert!(control.get_for(actor, e.id).is_err());
                    prop_assert_eq!(control.get(e.id).unwrap(), &before);
                }
            }
            for role in Role::ALL {
                let filtered = control.view(actor, &Filter { role: Some(role), site: None }, usize::MAX);
                prop_assert_eq!(filtered.is_ok(), actor.roles.contains(&role));
            }
        }
        for e in &active {
            let owner = Actor {
                id: ActorId::new("owner").unwrap(),
                roles: vec![e.owner],
                sites: e.site.clone().map_or(SiteScope::All, |s| SiteScope::Sites(vec![s])),
            };
            let view = control.view(&owner, &Filter::default(), usize::MAX).unwrap();
            prop_assert!(view.iter().any(|x| x.id == e.id), "{} invisible to its owner", e.id);
        }
    }

    /// Escalating at a later time escalates at least as far, and escalating in two steps
    /// ends where one step does.
    #[test]
    fn escalation_is_monotone_in_now(
        signals in proptest::collection::vec(sig(), 0..40),
        h1 in 0..100_i64,
        dh in 0..100_i64,
    ) {
        let mut control = Control::new(rules()).unwrap();
        for s in &signals {
            control.apply(&signal(s)).unwrap();
        }
        let (t1, t2) = (t0() + Duration::hours(h1), t0() + Duration::hours(h1 + dh));
        let mut a = control.clone();
        let mut b = control.clone();
        let mut c = control.clone();
        let ea = a.escalate(t1);
        let eb = b.escalate(t2);
        c.escalate(t1);
        c.escalate(t2);
        for x in &ea {
            let y = eb.iter().find(|y| y.id == x.id);
            prop_assert!(y.is_some_and(|y| y.to >= x.to && y.from == x.from), "{:?} {:?}", x, y);
        }
        for ((ea, eb), ec) in a.exceptions().zip(b.exceptions()).zip(c.exceptions()) {
            prop_assert!(ea.level <= eb.level);
            prop_assert_eq!(ea.roles.minus(eb.roles), onhand_control::RoleSet::EMPTY);
            prop_assert_eq!((ec.level, ec.roles), (eb.level, eb.roles));
        }
        prop_assert_eq!(queues(&b), queues(&c));
    }
}

/// One step of the lifecycle test.
#[derive(Debug, Clone)]
enum Op {
    Signal(Sig),
    /// A clearance of a key at a minute.
    Clear(usize, i64),
    /// An action on the n-th exception ever raised (modulo how many there are).
    Act(usize, Action),
}

fn op() -> impl Strategy<Value = Op> {
    let action = prop_oneof![
        Just(Action::Acknowledge),
        Just(Action::Start),
        Just(Action::Resolve),
        Just(Action::Cancel),
        Just(Action::Reopen),
    ];
    prop_oneof![
        3 => sig().prop_map(Op::Signal),
        1 => (0..KEYS, prop_oneof![Just(0_i64), Just(60), 0..600_i64])
            .prop_map(|(k, minute)| Op::Clear(k, minute)),
        4 => (0..50_usize, action).prop_map(|(n, a)| Op::Act(n, a)),
    ]
}

/// The reference model: per exception, its key, state, signals, last update and the
/// time of the clearance that closed it.
#[derive(Debug, Clone, PartialEq)]
struct ModelEx {
    key: usize,
    state: State,
    signals: u32,
    updated: i64,
    cleared: Option<i64>,
}

impl ModelEx {
    /// Up to when it knew of its condition: a later signal with its key raises a new
    /// exception once it is closed, an earlier one is stale.
    fn known(&self) -> i64 {
        self.cleared.map_or(self.updated, |c| c.max(self.updated))
    }
}

/// The lifecycle, written out independently of the crate's table.
fn model_move(from: State, action: Action) -> Option<State> {
    use Action as A;
    use State as S;
    match (from, action) {
        (S::Open, A::Acknowledge) => Some(S::Acknowledged),
        (S::Acknowledged, A::Start) => Some(S::InProgress),
        (S::Acknowledged | S::InProgress, A::Resolve) => Some(S::Resolved),
        (S::Open | S::Acknowledged | S::InProgress, A::Cancel) => Some(S::Cancelled),
        _ => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// The queue follows a naive model of the lifecycle step by step: repeats update,
    /// clearing resolves, actions follow the table, and nothing closed ever reopens (a
    /// new signal opens a new exception that names the closed one). Out of time order,
    /// a signal older than what its key's exception knew and a clearance older than its
    /// last update change nothing.
    #[test]
    fn lifecycle_matches_the_model_and_closed_is_final(ops in proptest::collection::vec(op(), 1..80)) {
        let mut control = Control::new(rules()).unwrap();
        let root = everyone();
        let mut model: Vec<ModelEx> = Vec::new();
        let mut active: BTreeMap<usize, usize> = BTreeMap::new();
        let mut last_closed: BTreeMap<usize, usize> = BTreeMap::new();
        for op in &ops {
            match op {
                Op::Signal(s) => {
                    let at = s.minute * 60 + t0().timestamp();
                    let applied = control.apply(&signal(s)).unwrap();
                    if let Some(&i) = active.get(&s.key) {
                        if at >= model[i].updated {
                            model[i].signals += 1;
                            model[i].updated = at;
                        }
                        prop_assert_eq!(applied.id, Some(ExceptionId(i as u64)));
                    } else if let Some(&c) = last_closed.get(&s.key).filter(|&&c| at < model[c].known()) {
                        prop_assert_eq!(applied.effect, Effect::Stale);
                        prop_assert_eq!(applied.id, Some(ExceptionId(c as u64)));
                    } else {
                        model.push(ModelEx { key: s.key, state: State::Open, signals: 1, updated: at, cleared: None });
                        active.insert(s.key, model.len() - 1);
                        let e = control.get(ExceptionId(model.len() as u64 - 1)).unwrap();
                        prop_assert_eq!(e.previous, last_closed.get(&s.key).map(|&i| ExceptionId(i as u64)));
                    }
                }
                Op::Clear(k, minute) => {
                    let (kind, subject, _, _) = key(*k);
                    let at = t0() + Duration::minutes(*minute);
                    let cleared = control
                        .clear(&Clearance { kind, subject, at, reason: ClearReason::Received })
                        .unwrap();
                    let at = at.timestamp();
                    let expected = active.get(k).copied().filter(|&i| at >= model[i].updated);
                    if let Some(i) = expected {
                        active.remove(k);
                        model[i].state = State::Resolved;
                        model[i].cleared = Some(at);
                        last_closed.insert(*k, i);
                    }
                    prop_assert_eq!(cleared, expected.map(|i| ExceptionId(i as u64)));
                }
                Op::Act(n, action) => {
                    if model.is_empty() {
                        continue;
                    }
                    let i = n % model.len();
                    let id = ExceptionId(i as u64);
                    let before = control.get(id).unwrap().clone();
                    let result = control.act(id, &root, *action, t0());
                    let approval = key(model[i].key).0 == ExceptionKind::PendingApproval;
                    let decided_elsewhere = approval
                        && matches!(action, Action::Resolve | Action::Cancel)
                        && model[i].state.is_active();
                    match model_move(model[i].state, *action) {
                        _ if decided_elsewhere => {
                            prop_assert_eq!(result, Err(ControlError::DecidedByApproval { id }));
                        }
                        Some(to) => {
                            prop_assert_eq!(result, Ok(to));
                            model[i].state = to;
                            if !to.is_active() {
                                active.remove(&model[i].key);
                                last_closed.insert(model[i].key, i);
                            }
                        }
                        None => {
                            prop_assert_eq!(
                                result,
                                Err(ControlError::IllegalTransition { id, from: model[i].state, action: *action })
                            );
                            prop_assert_eq!(control.get(id).unwrap(), &before);
                        }
                    }
                }
            }
            prop_assert_eq!(control.active_len(), active.len());
            prop_assert_eq!(control.exceptions().count(), model.len());
            for (i, (m, e)) in model.iter().zip(control.exceptions()).enumerate() {
                prop_assert_eq!((e.state, e.signals, e.updated_at.timestamp()), (m.state, m.signals, m.updated), "exception {}", i);
            }
        }
        // Closed is final: every action on every closed exception is refused.
        for (i, m) in model.iter().enumerate() {
            if !m.state.is_active() {
                let id = ExceptionId(i as u64);
                for action in [Action::Reopen, Action::Acknowledge, Action::Start, Action::Resolve, Action::Cancel] {
                    prop_assert_eq!(
                        control.act(id, &root, action, t0()),
                        Err(ControlError::IllegalTransition { id, from: m.state, action })
                    );
                }
            }
        }
    }
}

fn covers(scope: &SiteScope, s: &SiteCode) -> bool {
    scope.covers(s)
}

fn refused(e: Option<&ControlError>) -> bool {
    matches!(e, Some(ControlError::Refused { .. }))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Lenses are a security boundary: each opens exactly for the roles and scopes its
    /// table allows, and lists nothing the actor may not see.
    #[test]
    fn lenses_open_only_for_allowed_roles_and_scopes(
        signals in proptest::collection::vec(sig(), 0..40),
        actor in actor_strategy(),
        s in 0..3_usize,
        entity_sites in proptest::collection::vec(0..3_usize, 1..3),
        hours in 0..60_i64,
    ) {
        use onhand_control::{
            ExecutiveInput, FinanceInput, Lens, SiteSupply, SupplyInput, WarehouseInput,
        };
        let mut control = Control::new(rules()).unwrap();
        for x in &signals {
            control.apply(&signal(x)).unwrap();
        }
        let now = t0() + Duration::hours(hours);
        control.escalate(now);
        let held: onhand_control::RoleSet = actor.roles.iter().copied().collect();
        let may = |lens: Lens| !held.intersection(lens.roles()).is_empty();

        let input = WarehouseInput { site: site(s), bins: vec![], counts: vec![], tasks: vec![] };
        let view = control.warehouse_lens(&actor, &input, now);
        let allowed = may(Lens::Warehouse) && covers(&actor.sites, &site(s));
        prop_assert_eq!(view.is_ok(), allowed);
        prop_assert!(allowed || refused(view.as_ref().err()));
        if let Ok(v) = view {
            for line in &v.exceptions {
                let e = control.get(line.id).unwrap();
                prop_assert!(e.allows(&actor).is_ok());
                prop_assert_eq!(e.site.as_ref(), Some(&site(s)));
            }
        }

        let zero = Decimal::ZERO;
        let row = |i: usize| SiteSupply {
            site: site(i),
            available_to_promise: zero,
            on_order: zero,
            shortage: zero,
            in_transit: vec![],
            recommendations: vec![],
        };
        let input = SupplyInput { item: ItemCode::new("A").unwrap(), sites: (0..3).map(row).collect() };
        let view = control.supply_chain_lens(&actor, &input);
        prop_assert_eq!(view.is_ok(), may(Lens::SupplyChain));
        if let Ok(v) = view {
            prop_assert!(v.sites.iter().all(|r| covers(&actor.sites, &r.site)));
            for line in &v.exceptions {
                prop_assert!(control.get(line.id).unwrap().allows(&actor).is_ok());
            }
        }

        let input = FinanceInput {
            entity: EntityCode::new("NA01").unwrap(),
            currency: usd(),
            sites: entity_sites.iter().map(|&i| site(i)).collect(),
            stock_value: zero,
            in_transit_owned: zero,
            intercompany: vec![],
            unrealized_profit: zero,
            adjustment_value: Some(zero),
        };
        let view = control.finance_lens(&actor, &input);
        let allowed = may(Lens::Finance) && input.sites.iter().all(|x| covers(&actor.sites, x));
        prop_assert_eq!(view.is_ok(), allowed);
        prop_assert!(allowed || refused(view.as_ref().err()));
        if let Ok(v) = view {
            for line in &v.exceptions {
                prop_assert!(control.get(line.id).unwrap().allows(&actor).is_ok());
            }
        }

        let view = control.executive_lens(&actor, &ExecutiveInput::default(), now);
        let allowed = may(Lens::Executive) && actor.sites == SiteScope::All;
        prop_assert_eq!(view.is_ok(), allowed);
        prop_assert!(allowed || refused(view.as_ref().err()));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Same inputs, byte-identical output: exceptions, escalations, views and backlog.
    #[test]
    fn same_inputs_give_byte_identical_output(
        signals in proptest::collection::vec(sig(), 0..40),
        hours in 0..80_i64,
    ) {
        let run = || {
            let mut control = Control::new(rules()).unwrap();
            for s in &signals {
                control.apply(&signal(s)).unwrap();
            }
            let now = t0() + Duration::hours(hours);
            let moved = control.escalate(now);
            let view = control.view(&everyone(), &Filter::default(), usize::MAX).unwrap();
            serde_json::to_string(&(
                control.exceptions().collect::<Vec<_>>(),
                moved,
                view,
                control.backlog(now),
            ))
            .unwrap()
        };
        prop_assert_eq!(run(), run());
    }
}
