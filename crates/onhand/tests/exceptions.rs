//! The network's exception queue, fed by the network itself: a day on the demo network
//! raises, updates, clears, ranks and escalates exceptions from what its events report;
//! held events are approval tasks decided through the network; actors' actions are
//! journaled; and on simulated days every open approval task is an event the ledger
//! holds, and the other way round.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::loss;

use chrono::{DateTime, Duration, Utc};
use onhand::control::{
    Action, By, Change, ClearReason, ControlError, Exception, ExceptionKind, Filter, Priority,
    ServiceClass, State, Subject,
};
use onhand::ledger::seed::demo_day;
use onhand::ledger::testing::{actor, at, doc, event, line, receipt_to};
use onhand::ledger::{
    Actor, ActorId, Body, Count, CountLine, DocKind, Event, EventId, SiteLines, SiteScope,
};
use onhand::master::{BinCode, Role, SiteCode};
use onhand::sim::{Setup, Sim, SimConfig};
use onhand::{Decision, Error, Network, OrderRequest};
use proptest::prelude::*;

fn site(code: &str) -> SiteCode {
    code.parse().unwrap()
}

fn item_site(item: &str, at: &str) -> Subject {
    Subject::ItemSite { item: item.parse().unwrap(), site: site(at), lot: None }
}

/// The demo network after the demo day.
fn after_the_demo_day() -> (Network, Vec<onhand::ledger::seed::DemoEvent>) {
    let mut n = common::network();
    let day = demo_day().unwrap();
    for d in &day {
        let _ = n.apply(&d.event);
    }
    (n, day)
}

/// The event the demo day holds for a supervisor: the loss of 200 bolts at Dallas.
fn held_loss(day: &[onhand::ledger::seed::DemoEvent]) -> Event {
    day.iter().find(|d| d.event.reference.number.as_str() == "ADJ-41").unwrap().event.clone()
}

/// A cycle count of bolts in the Los Angeles pick face at `minutes`.
fn count(id: u128, minutes: i64, counted: &str) -> Event {
    let line = CountLine {
        item: "BOLT-M8".parse().unwrap(),
        bin: Some(BinCode::new("PF-A01").unwrap()),
        lot: None,
        status: None,
        counted: counted.parse().unwrap(),
        serials: vec![],
        owner: None,
    };
    let body = Body::CycleCount(Count { site: site("LAX"), lines: vec![line] });
    let who = actor("picker", &[Role::Warehouse]).unwrap();
    event(id, minutes, who, "CYCLE", doc(DocKind::Count, &format!("CNT-{id}")).unwrap(), body)
        .unwrap()
}

fn decide(id: u128, minutes: i64, who: Actor, body: Body) -> Event {
    event(id, minutes, who, "APPROVE", doc(DocKind::Internal, "APPR").unwrap(), body).unwrap()
}

fn supervisor(id: &str, sites: SiteScope) -> Actor {
    Actor { id: ActorId::new(id).unwrap(), roles: vec![Role::Supervisor], sites }
}

/// The documented queue order of two exceptions in the same queue.
fn rank(e: &Exception) -> (DateTime<Utc>, std::cmp::Reverse<onhand::rust_decimal::Decimal>) {
    (e.breach_at(), std::cmp::Reverse(e.reference_value))
}

/// Every role's queue at every site is in the documented order.
fn assert_ranked(n: &Network) {
    let sites: Vec<Option<SiteCode>> = std::iter::once(None)
        .chain(n.catalog().sites().map(|(_, s)| Some(s.code.clone())))
        .collect();
    for role in Role::ALL {
        for s in &sites {
            let queue: Vec<&Exception> = n.control().top(role, s.as_ref(), usize::MAX).collect();
            assert!(queue.iter().all(|e| e.state.is_active() && e.roles.contains(role)));
            for pair in queue.windows(2) {
                assert!(rank(pair[0]) <= rank(pair[1]), "{role:?} at {s:?}: {pair:?}");
            }
        }
    }
}

#[test]
#[allow(clippy::too_many_lines)] // a day, read top to bottom
fn a_day_on_the_demo_network_ends_with_the_expected_queue_and_escalations() {
    let (mut n, day) = after_the_demo_day();
    let held = held_loss(&day);

    // The demo day left: a transfer received short and damaged, a count variance, and
    // the loss waiting for a supervisor. The two approvals decided during the day, and
    // the hold released the same day, left nothing open.
    let active = |n: &Network| -> Vec<(ExceptionKind, Subject)> {
        let mut v: Vec<_> = n
            .control()
            .exceptions()
            .filter(|e| e.state.is_active())
            .map(|e| (e.kind, e.subject.clone()))
            .collect();
        v.sort();
        v
    };
    let discrepancy = Subject::Transfer {
        transfer: "TO-7003".parse().unwrap(),
        item: Some("GLOVE-NIT".parse().unwrap()),
    };
    assert_eq!(
        active(&n),
        [
            (ExceptionKind::CountVariance, item_site("BOLT-M8", "LAX")),
            (ExceptionKind::PendingApproval, Subject::Event { event: held.id }),
            (ExceptionKind::TransferDiscrepancy, discrepancy.clone()),
        ]
    );
    let task = n
        .control()
        .active(ExceptionKind::PendingApproval, &Subject::Event { event: held.id })
        .unwrap()
        .clone();
    // 200 bolts at the Dallas pool's cost, in the owner's currency, to the supervisor.
    assert_eq!(task.impact.quantity, "200".parse().unwrap());
    assert_eq!(task.impact.value.to_string(), "17.00");
    assert_eq!(task.impact.currency.as_str(), "USD");
    assert_eq!(task.site, Some(site("DFW")));
    assert_eq!(task.item, Some("BOLT-M8".parse().unwrap()));
    assert_eq!(task.owner, Role::Supervisor);
    let variance =
        n.control().active(ExceptionKind::CountVariance, &item_site("BOLT-M8", "LAX")).unwrap();
    assert_eq!((variance.owner, variance.impact.quantity), (Role::InventoryControl, 9.into()));

    // A shortage: Atlanta's bolts are all allocated to an urgent line, then 50 are lost.
    n.apply(&receipt_to(500, "ATL", "BOLT-M8", "100 EA", "PF-A01", "available").unwrap()).unwrap();
    let (bolt, atl) = (
        n.catalog().item_ix(&"BOLT-M8".parse().unwrap()).unwrap(),
        n.catalog().site_ix(&site("ATL")).unwrap(),
    );
    let free = n.atp().free_now(bolt, atl);
    let mut urgent = OrderRequest::new(
        "SO-9001".parse().unwrap(),
        1,
        "HOMEPRO".parse().unwrap(),
        "BOLT-M8".parse().unwrap(),
        format!("{free} EA").parse().unwrap(),
        chrono::NaiveDate::from_ymd_opt(2026, 1, 9).unwrap(),
    );
    urgent.priority = 1;
    let booked = n.allocate(&urgent).unwrap();
    assert_eq!(booked.promise.schedule[0].site, site("ATL"));
    n.apply(&loss(510, 510, "50 EA")).unwrap();
    let line_subject = Subject::Line { order: "SO-9001".parse().unwrap(), line: 1 };
    let short = n.control().active(ExceptionKind::LineShortOrLate, &line_subject).unwrap().clone();
    assert_eq!(short.impact.quantity, 50.into());
    assert_eq!(short.impact.value.to_string(), "4.25"); // 50 x 0.085
    assert_eq!((short.impact.order_lines, short.impact.customers), (1, 1));
    assert_eq!(short.impact.service_class, ServiceClass::Key);
    assert_eq!(short.priority, Priority::Medium, "a key account is one step more urgent");
    assert_eq!((short.owner, short.site.clone()), (Role::Planning, Some(site("ATL"))));
    // The same line short again updates, never duplicates.
    n.apply(&loss(511, 511, "10 EA")).unwrap();
    let again = n.control().active(ExceptionKind::LineShortOrLate, &line_subject).unwrap();
    assert_eq!((again.id, again.signals, again.impact.quantity), (short.id, 2, 60.into()));

    // Counts at Los Angeles keep finding less: the third variance in 30 days recurs.
    for (id, minute, counted) in [(520, 520, "103 EA"), (530, 530, "96 EA")] {
        let o = n.apply(&count(id, minute, counted)).unwrap();
        assert_eq!(o.decision, Decision::Accepted);
    }
    let recurring = n
        .control()
        .active(ExceptionKind::RecurringCountVariance, &item_site("BOLT-M8", "LAX"))
        .unwrap();
    assert_eq!(recurring.owner, Role::InventoryControl);
    let variance = n
        .control()
        .active(ExceptionKind::CountVariance, &item_site("BOLT-M8", "LAX"))
        .unwrap()
        .clone();
    assert_eq!((variance.signals, variance.impact.quantity), (3, 7.into()));
    // A count that agrees with the book clears the variance (the pattern stays).
    n.apply(&count(540, 540, "96 EA")).unwrap();
    let cleared = n.control().get(variance.id).unwrap();
    assert_eq!(cleared.state, State::Resolved);
    assert_eq!(
        cleared.history.last().map(|s| &s.change),
        Some(&Change::Cleared { reason: ClearReason::Recounted })
    );
    assert!(
        n.control()
            .active(ExceptionKind::RecurringCountVariance, &item_site("BOLT-M8", "LAX"))
            .is_some()
    );

    // Stock arrives at Atlanta: the line is covered again and its exception clears.
    n.apply(&receipt_to(550, "ATL", "BOLT-M8", "100 EA", "PF-A01", "available").unwrap()).unwrap();
    let covered = n.control().get(short.id).unwrap();
    assert_eq!(covered.state, State::Resolved);
    assert_eq!(
        covered.history.last().map(|s| &s.change),
        Some(&Change::Cleared { reason: ClearReason::StockArrived })
    );

    // The queues are in the documented order, and each actor sees only its scope.
    assert_ranked(&n);
    let ic_lax = Actor {
        id: ActorId::new("ic.lax").unwrap(),
        roles: vec![Role::InventoryControl],
        sites: SiteScope::Sites(vec![site("LAX")]),
    };
    let seen: Vec<ExceptionKind> =
        n.control().view(&ic_lax, &Filter::default(), 10).unwrap().iter().map(|e| e.kind).collect();
    assert_eq!(seen, [ExceptionKind::RecurringCountVariance]);
    let refused = n.control().view(&ic_lax, &Filter { role: None, site: Some(site("DFW")) }, 10);
    assert!(matches!(refused, Err(ControlError::Refused { .. })));

    // The next morning: what has waited 8 hours climbs to the supervisor.
    let morning = at(24 * 60);
    let advanced = n.advance_to(morning).unwrap();
    let escalated: Vec<_> = advanced.escalations.iter().map(|e| e.id).collect();
    let open: Vec<&Exception> = n.control().exceptions().filter(|e| e.state.is_active()).collect();
    let due: Vec<_> =
        open.iter().filter(|e| morning - e.raised_at >= Duration::hours(8)).map(|e| e.id).collect();
    assert_eq!(escalated, due);
    assert!(escalated.contains(&task.id) && !escalated.is_empty());
    for e in &open {
        let up = escalated.contains(&e.id);
        assert_eq!(e.roles.contains(Role::Supervisor), up || e.owner == Role::Supervisor);
        assert_eq!(e.level, u8::from(up));
    }
    assert!(n.advance_to(morning).unwrap().escalations.is_empty(), "the same time, no change");

    // The supervisor approves the held loss through the network: the task is done.
    let sue = supervisor("sue", SiteScope::Sites(vec![site("DFW")]));
    assert_eq!(n.approval_tasks(&sue).iter().map(|t| t.event).collect::<Vec<_>>(), [held.id]);
    let o =
        n.apply(&decide(560, 24 * 60 + 5, sue.clone(), Body::Approve { event: held.id })).unwrap();
    assert_eq!(o.released, Some(held.id));
    let done = n.control().get(task.id).unwrap();
    assert_eq!(done.state, State::Resolved);
    assert_eq!(
        done.history.last().map(|s| (&s.by, &s.change)),
        Some((&By::Signal, &Change::Cleared { reason: ClearReason::Approved }))
    );
    assert!(n.approval_tasks(&sue).is_empty());

    // The day ends with the transfer discrepancy and the recurring variance, ranked.
    assert_eq!(
        active(&n),
        [
            (ExceptionKind::RecurringCountVariance, item_site("BOLT-M8", "LAX")),
            (ExceptionKind::TransferDiscrepancy, discrepancy),
        ]
    );
    assert_ranked(&n);
    n.check().unwrap();
}

#[test]
fn approving_or_rejecting_a_held_event_through_the_network_clears_its_task() {
    let (mut n, day) = after_the_demo_day();
    let held = held_loss(&day);
    let subject = Subject::Event { event: held.id };
    let id = n.control().active(ExceptionKind::PendingApproval, &subject).unwrap().id;

    // Routed to supervisors covering Dallas, never to the poster.
    let atl_only = supervisor("ann", SiteScope::Sites(vec![site("ATL")]));
    assert!(n.approval_tasks(&atl_only).is_empty());
    assert!(n.approval_tasks(&held.actor).is_empty());
    let sue = supervisor("sue", SiteScope::All);
    let tasks = n.approval_tasks(&sue);
    assert_eq!(tasks.len(), 1);
    assert_eq!((tasks[0].event, &tasks[0].poster), (held.id, &held.actor.id));

    // A task is decided by approving or rejecting it, not by resolving the exception.
    assert!(matches!(
        n.act(id, &sue, Action::Resolve, at(400)),
        Err(Error::Control(ControlError::DecidedByApproval { .. }))
    ));

    // Rejecting (on a what-if clone) clears it too, with that reason.
    let mut what_if = n.clone();
    what_if.apply(&decide(900, 400, sue.clone(), Body::Reject { event: held.id })).unwrap();
    let rejected = what_if.control().get(id).unwrap();
    assert_eq!(
        (rejected.state, rejected.history.last().map(|s| s.change.clone())),
        (State::Resolved, Some(Change::Cleared { reason: ClearReason::Rejected }))
    );
    what_if.check().unwrap();

    // The poster cannot approve: the ledger refuses, and the task stays open.
    let own = decide(901, 400, held.actor.clone(), Body::Approve { event: held.id });
    assert!(matches!(n.apply(&own), Err(Error::Ledger(_))));
    assert!(n.control().get(id).unwrap().state.is_active());
    n.apply(&decide(902, 401, sue.clone(), Body::Approve { event: held.id })).unwrap();
    assert_eq!(n.control().get(id).unwrap().state, State::Resolved);
    assert_eq!(n.ledger().pending().count(), 0);
    n.check().unwrap();
}

#[test]
fn actors_actions_are_journaled_and_replay_to_the_same_queue() {
    let (mut n, _) = after_the_demo_day();
    let clerk = Actor {
        id: ActorId::new("bo").unwrap(),
        roles: vec![Role::Warehouse],
        sites: SiteScope::Sites(vec![site("BOS-BR")]),
    };
    let discrepancy =
        n.control().exceptions().find(|e| e.kind == ExceptionKind::TransferDiscrepancy).unwrap().id;
    assert_eq!(
        n.act(discrepancy, &clerk, Action::Acknowledge, at(400)).unwrap(),
        State::Acknowledged
    );
    assert_eq!(n.act(discrepancy, &clerk, Action::Start, at(410)).unwrap(), State::InProgress);
    // An actor outside the site is refused; nothing is journaled.
    let head = n.journal().head();
    let far = Actor { sites: SiteScope::Sites(vec![site("LAX")]), ..clerk.clone() };
    assert!(matches!(
        n.act(discrepancy, &far, Action::Resolve, at(420)),
        Err(Error::Control(ControlError::Refused { .. }))
    ));
    assert_eq!(n.journal().head(), head);
    assert_eq!(n.act(discrepancy, &clerk, Action::Resolve, at(420)).unwrap(), State::Resolved);
    // Closed is final: reopening is refused.
    assert!(matches!(
        n.act(discrepancy, &clerk, Action::Reopen, at(430)),
        Err(Error::Control(ControlError::IllegalTransition { .. }))
    ));

    let replayed = Network::replay(
        onhand::master::seed::demo_network(),
        common::rules(),
        common::config(),
        common::start(),
        n.journal().entries(),
    )
    .unwrap();
    let a: Vec<&Exception> = n.control().exceptions().collect();
    let b: Vec<&Exception> = replayed.control().exceptions().collect();
    assert_eq!(a, b);
    assert_eq!(replayed.digest().unwrap(), n.digest().unwrap());
}

#[test]
fn control_rules_in_the_configuration_are_checked_when_the_network_is_built() {
    let usd = common::usd();
    let mut config = common::config();
    // Explicit rules without a CAD rate: the Canadian entity's values could not rank.
    config.control.rules = Some(onhand::control::Rules::standard(usd));
    let err = Network::new(
        onhand::master::seed::demo_network(),
        common::rules(),
        config.clone(),
        common::start(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "config");
    assert!(err.to_string().contains("CAD"), "{err}");
    // With the rate, but a threshold that could leave a held event without its task.
    let mut rules = onhand::control::Rules::standard(usd);
    rules
        .rates
        .push(onhand::control::Rate { currency: common::cad(), rate: "0.74".parse().unwrap() });
    rules.thresholds.push(onhand::control::Threshold {
        kind: ExceptionKind::PendingApproval,
        min_value: Some(100.into()),
        min_quantity: None,
    });
    config.control.rules = Some(rules.clone());
    let err = Network::new(
        onhand::master::seed::demo_network(),
        common::rules(),
        config.clone(),
        common::start(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("pending approvals"), "{err}");
    rules.thresholds.clear();
    config.control.rules = Some(rules);
    let json = serde_json::to_string(&config).unwrap();
    let back: onhand::NetworkConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(back, config);
    let n =
        Network::new(onhand::master::seed::demo_network(), common::rules(), back, common::start())
            .unwrap();
    assert_eq!(n.control().rules().rates.len(), 1);
    // The default: the ledger's currency, CAD at the configured rate.
    let n = common::network();
    let rates = &n.control().rules().rates;
    assert_eq!(n.control().rules().reference_currency, usd);
    assert_eq!(
        (rates[0].currency, rates[0].rate.round_dp(4)),
        (common::cad(), "0.7353".parse().unwrap())
    );
}

/// Every open approval task is an event the ledger holds, needing what the ledger still
/// needs, and every held event has one (both directions, stated here without
/// `Network::check`, which the simulation runs after every step as well).
fn tasks_match_held_events(n: &Network) -> Result<(), String> {
    let tasks: std::collections::BTreeMap<EventId, Vec<Role>> = n
        .control()
        .exceptions()
        .filter(|e| e.kind == ExceptionKind::PendingApproval && e.state.is_active())
        .map(|e| match (&e.subject, &e.hold) {
            (Subject::Event { event }, Some(h)) => (*event, h.needs.iter().collect()),
            other => panic!("an approval task without an event or hold: {other:?}"),
        })
        .collect();
    let held: std::collections::BTreeMap<EventId, Vec<Role>> = n
        .ledger()
        .pending()
        .map(|(id, p)| {
            let mut needs = p.needs.clone();
            needs.sort_by_key(|r| Role::ALL.iter().position(|x| x == r));
            (*id, needs)
        })
        .collect();
    if tasks == held { Ok(()) } else { Err(format!("tasks {tasks:?}\nheld {held:?}")) }
}

// Each case is three simulated days: six cases, whatever PROPTEST_CASES says.
#[test]
fn every_open_approval_task_is_a_held_event_and_back() {
    onhand_testkit::pinned::check(6, any::<u64>(), |seed| {
        let mut sim =
            Sim::new(Setup::demo().unwrap(), SimConfig::new(seed).steps_per_day(40)).unwrap();
        let mut raised = 0;
        for _ in 0..3 {
            if let Err(f) = sim.run_day() {
                panic!("{f}");
            }
            prop_assert_eq!(tasks_match_held_events(sim.network()), Ok(()));
            raised = sim
                .network()
                .control()
                .exceptions()
                .filter(|e| e.kind == ExceptionKind::PendingApproval)
                .count();
        }
        // Every held event the simulation saw became a task.
        prop_assert!(raised as u64 >= sim.stats().pending.min(1));
        Ok(())
    });
}

#[test]
fn an_overdue_purchase_order_is_raised_once_and_cleared_by_its_receipt() {
    use onhand::ExpectedReceipt;
    use onhand::master::Money;
    let mut n = common::network();
    let due = common::start().date_naive();
    for line in [1, 2] {
        n.expect(ExpectedReceipt {
            order: "PO-77".parse().unwrap(),
            line,
            supplier: Some("ACME".parse().unwrap()),
            item: "BOLT-M8".parse().unwrap(),
            site: site("ATL"),
            qty: "1 CS".parse().unwrap(),
            due,
            unit_cost: Some(Money::new("10.20".parse().unwrap(), common::usd())),
        })
        .unwrap();
    }
    let subject = Subject::Receipt { order: "PO-77".parse().unwrap() };
    assert!(n.control().active(ExceptionKind::ReceiptOverdue, &subject).is_none());
    // Two days on, both lines are late: one exception for the order, both lines' worth.
    n.advance_to(common::start() + Duration::days(2)).unwrap();
    let late = n.control().active(ExceptionKind::ReceiptOverdue, &subject).unwrap().clone();
    assert_eq!(late.impact.quantity, 240.into());
    assert_eq!(late.impact.value.to_string(), "20.40"); // 240 at the bolts' 0.085
    // The standard rules route overdue purchase orders to planning (the buyer chases).
    assert_eq!((late.owner, late.site.clone()), (Role::Planning, Some(site("ATL"))));
    // Half of it arrives: still late.
    let receive = |id: u128, doc_line: u32| {
        let l =
            line("BOLT-M8", "1 CS").unwrap().at(BinCode::new("RCV-01").unwrap()).doc_line(doc_line);
        let who = actor("dock", &[Role::Warehouse]).unwrap();
        event(
            id,
            3 * 24 * 60 + i64::try_from(id).unwrap(),
            who,
            "RECEIPT",
            doc(DocKind::PurchaseOrder, "PO-77").unwrap(),
            Body::Receipt(SiteLines { site: site("ATL"), lines: vec![l] }),
        )
        .unwrap()
    };
    n.apply(&receive(1, 1)).unwrap();
    assert!(n.control().get(late.id).unwrap().state.is_active());
    n.apply(&receive(2, 2)).unwrap();
    let done = n.control().get(late.id).unwrap();
    assert_eq!(done.state, State::Resolved);
    assert_eq!(
        done.history.last().map(|s| &s.change),
        Some(&Change::Cleared { reason: ClearReason::Received })
    );
    assert_eq!(
        n.control().exceptions().filter(|e| e.kind == ExceptionKind::ReceiptOverdue).count(),
        1
    );
    n.check().unwrap();
}
