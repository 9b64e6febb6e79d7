//! The queues' ranking index against a plain sort: after every step of a random run of
//! raises, updates, acknowledgements, starts, resolutions, cancellations, clearances,
//! partial and full approvals and escalations at random times, the top `n` of every
//! role's queue at every site (and of actors' views) is exactly the first `n` of all
//! active exceptions holding that role at that site, sorted by the documented rank:
//! breach time, value (larger first), order lines (more first), raise time, the
//! fingerprint of the dedup key, the id. A restored snapshot ranks the same.

// Test helpers build fixtures from literals; unwrap names the failing literal.
#![allow(clippy::unwrap_used, reason = "test fixtures from literals")]

use std::cmp::Reverse;

use chrono::{DateTime, Duration, TimeZone, Utc};
use onhand_control::{
    Action, ClearReason, Clearance, Control, Exception, ExceptionKind, Filter, Hold, Impact, Rules,
    ServiceClass, Signal, Subject,
};
use onhand_ledger::{Actor, ActorId, DocNumber, EventId, SiteScope};
use onhand_master::hash::fingerprint;
use onhand_master::{CurrencyCode, ItemCode, Role, SiteCode};
use proptest::prelude::*;
use rust_decimal::Decimal;

const SITES: [&str; 3] = ["S1", "S2", "S3"];
/// Enough keys that queues outgrow the index's sorted head and merge runs.
const KEYS: usize = 150;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap()
}

fn site(i: usize) -> SiteCode {
    SiteCode::new(SITES[i % SITES.len()]).unwrap()
}

fn usd() -> CurrencyCode {
    CurrencyCode::new("USD").unwrap()
}

fn rules() -> Rules {
    let mut rules = Rules::standard(usd());
    rules.recurrence.count = 1_000;
    rules
}

/// Key `k`: mostly stockout risks at three sites, some late lines, some held events
/// (needing one or two roles, so approvals can shrink an exception's roles).
fn signal(k: usize, value: i64, lines: u32, key_account: bool, minute: i64) -> Signal {
    let class = if key_account { ServiceClass::Key } else { ServiceClass::Standard };
    let impact = Impact::value(Decimal::new(value, 2), usd()).lines(lines, lines, class);
    let at = t0() + Duration::minutes(minute);
    match k % 10 {
        0..7 => {
            let subject = Subject::ItemSite {
                item: ItemCode::new(format!("I{k}")).unwrap(),
                site: site(k),
                lot: None,
            };
            Signal::new(ExceptionKind::StockoutRisk, subject, at, impact)
        }
        7 | 8 => {
            let order = DocNumber::new(format!("SO-{k}")).unwrap();
            let mut s = Signal::new(
                ExceptionKind::LineShortOrLate,
                Subject::Line { order, line: 1 },
                at,
                impact,
            );
            s.site = Some(site(k));
            s
        }
        _ => {
            let needs: &[Role] =
                if k % 20 == 9 { &[Role::Supervisor] } else { &[Role::Supervisor, Role::Finance] };
            Signal::pending_approval(
                EventId::from_u128(k as u128),
                Hold::new(ActorId::new("poster").unwrap(), needs.iter().copied()),
                site(k),
                at,
                impact,
            )
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    /// Raise or update key `k` with a value (in cents), order lines, key account, minute.
    Signal(usize, i64, u32, bool, i64),
    /// An action on the n-th exception ever raised (modulo how many).
    Act(usize, Action),
    /// Clear key `k`.
    Clear(usize),
    /// Approve or reject the held event of key `k` as an actor with one role.
    Decide(usize, Role, bool),
    /// Escalate at this many minutes.
    Escalate(i64),
}

fn op() -> impl Strategy<Value = Op> {
    let action = prop_oneof![
        Just(Action::Acknowledge),
        Just(Action::Start),
        Just(Action::Resolve),
        Just(Action::Cancel),
    ];
    prop_oneof![
        8 => (0..KEYS, prop_oneof![Just(50_000_i64), 0..3_000_000_i64], 0..3_u32, any::<bool>(), 0..900_i64)
            .prop_map(|(k, v, l, key, m)| Op::Signal(k, v, l, key, m)),
        3 => (0..400_usize, action).prop_map(|(n, a)| Op::Act(n, a)),
        1 => (0..KEYS).prop_map(Op::Clear),
        1 => (0..KEYS, prop_oneof![Just(Role::Supervisor), Just(Role::Finance)], any::<bool>())
            .prop_map(|(k, r, ok)| Op::Decide(k / 10 * 10 + 9, r, ok)),
        1 => (0..6_000_i64).prop_map(Op::Escalate),
    ]
}

/// The documented rank, from public fields only.
type Documented = (DateTime<Utc>, Reverse<Decimal>, Reverse<u32>, i64, u64, u64);

fn documented(e: &Exception) -> Documented {
    (
        e.breach_at(),
        Reverse(e.reference_value),
        Reverse(e.impact.order_lines),
        e.raised_at.timestamp(),
        fingerprint(&(e.kind, e.subject.clone())),
        e.id.0,
    )
}

/// Every active exception holding `role` at `site`, plainly sorted by the documented rank.
fn plain(control: &Control, role: Role, site: Option<&SiteCode>) -> Vec<u64> {
    let mut all: Vec<&Exception> = control
        .exceptions()
        .filter(|e| e.state.is_active() && e.roles.contains(role) && e.site.as_ref() == site)
        .collect();
    all.sort_by_key(|e| documented(e));
    all.iter().map(|e| e.id.0).collect()
}

fn sites() -> [Option<SiteCode>; 4] {
    [None, Some(site(0)), Some(site(1)), Some(site(2))]
}

/// Checks every queue's top `n` (and all of it) and two actors' views against the sort.
fn check(control: &Control, n: usize) -> Result<(), TestCaseError> {
    for role in Role::ALL.iter().copied() {
        for s in sites() {
            let expected = plain(control, role, s.as_ref());
            let ids = |limit| -> Vec<u64> {
                control.top(role, s.as_ref(), limit).map(|e| e.id.0).collect()
            };
            prop_assert_eq!(&ids(usize::MAX), &expected, "{} at {:?}", role, s);
            let first: Vec<u64> = expected.iter().copied().take(n).collect();
            prop_assert_eq!(ids(n), first, "top {} of {} at {:?}", n, role, s);
        }
    }
    let root = Actor {
        id: ActorId::new("root").unwrap(),
        roles: Role::ALL.to_vec(),
        sites: SiteScope::All,
    };
    let mut all: Vec<&Exception> = control.exceptions().filter(|e| e.state.is_active()).collect();
    all.sort_by_key(|e| documented(e));
    let seen: Vec<u64> =
        control.view(&root, &Filter::default(), n).unwrap().iter().map(|e| e.id.0).collect();
    prop_assert_eq!(seen, all.iter().take(n).map(|e| e.id.0).collect::<Vec<_>>());
    let sup = Actor {
        id: ActorId::new("sup").unwrap(),
        roles: vec![Role::Supervisor, Role::Planning],
        sites: SiteScope::Sites(vec![site(1)]),
    };
    let mine: Vec<u64> =
        all.iter().filter(|e| e.allows(&sup).is_ok()).take(n).map(|e| e.id.0).collect();
    let seen: Vec<u64> =
        control.view(&sup, &Filter::default(), n).unwrap().iter().map(|e| e.id.0).collect();
    prop_assert_eq!(seen, mine);
    Ok(())
}

// Runs of up to 150 steps: CI runs 1,024 cases (`PROPTEST_CASES`), and the check after
// every step sorts every queue, so longer runs cost minutes of CI for little more reach.
proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// The index's top `n` is a plain sort's first `n`, after every step.
    #[test]
    fn top_n_equals_a_plain_sort_of_the_open_exceptions(
        ops in proptest::collection::vec(op(), 1..150),
        n in prop_oneof![Just(1_usize), Just(5), 1..60_usize],
    ) {
        let mut control = Control::new(rules()).unwrap();
        let everyone = Actor {
            id: ActorId::new("root").unwrap(),
            roles: Role::ALL.to_vec(),
            sites: SiteScope::All,
        };
        let mut now = t0();
        for op in &ops {
            match op {
                Op::Signal(k, v, l, key, m) => {
                    control.apply(&signal(*k, *v, *l, *key, *m)).unwrap();
                }
                Op::Act(i, action) => {
                    let count = control.exceptions().count();
                    if count > 0 {
                        let id = onhand_control::ExceptionId((i % count) as u64);
                        // Illegal moves are refused and change nothing; both are fine here.
                        let _ = control.act(id, &everyone, *action, now);
                    }
                }
                Op::Clear(k) => {
                    let s = signal(*k, 0, 0, false, 0);
                    let clearance = Clearance {
                        kind: s.kind,
                        subject: s.subject,
                        at: now,
                        reason: ClearReason::Received,
                    };
                    control.clear(&clearance).unwrap();
                }
                Op::Decide(k, role, approve) => {
                    let approver = Actor {
                        id: ActorId::new("approver").unwrap(),
                        roles: vec![*role],
                        sites: SiteScope::All,
                    };
                    let event = EventId::from_u128(*k as u128);
                    // Unknown, decided or not this role's to grant: refused, unchanged.
                    let _ = if *approve {
                        control.approve(event, &approver, now)
                    } else {
                        control.reject(event, &approver, now)
                    };
                }
                Op::Escalate(m) => {
                    now = now.max(t0() + Duration::minutes(*m));
                    control.escalate(now);
                }
            }
            check(&control, n)?;
        }
        let restored = Control::restore(control.rules().clone(), &control.snapshot()).unwrap();
        for role in Role::ALL.iter().copied() {
            for s in sites() {
                let a: Vec<u64> = control.top(role, s.as_ref(), usize::MAX).map(|e| e.id.0).collect();
                let b: Vec<u64> = restored.top(role, s.as_ref(), usize::MAX).map(|e| e.id.0).collect();
                prop_assert_eq!(a, b);
            }
        }
    }
}
