//! A day on the demo network: a shortage on a promised line, a stockout risk that stock
//! arrival clears, a count variance that recurs, a held adjustment, and an intercompany
//! mismatch. The day ends with the expected escalations, queues per role and backlog.

// Test helpers build fixtures from literals; unwrap names the failing literal.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use onhand_control::{
    Action, Change, ClearReason, Clearance, Control, ControlError, Effect, ExceptionKind, Filter,
    Hold, Impact, Priority, Rate, Refusal, Rules, ServiceClass, Signal, State, Subject, Threshold,
    Verdict,
};
use onhand_ledger::{Actor, ActorId, DocNumber, EventId, SiteScope};
use onhand_master::{CurrencyCode, EntityCode, ItemCode, Role, SiteCode};
use rust_decimal::Decimal;

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    let month = if day > 28 { 2 } else { 3 };
    let day = if day > 28 { day - 28 } else { day };
    Utc.with_ymd_and_hms(2026, month, day, hour, 0, 0).unwrap()
}

fn site(s: &str) -> SiteCode {
    SiteCode::new(s).unwrap()
}

fn actor(id: &str, roles: &[Role], sites: &[&str]) -> Actor {
    Actor {
        id: ActorId::new(id).unwrap(),
        roles: roles.to_vec(),
        sites: if sites.is_empty() {
            SiteScope::All
        } else {
            SiteScope::Sites(sites.iter().map(|s| site(s)).collect())
        },
    }
}

fn item_site(item: &str, s: &str) -> Subject {
    Subject::ItemSite { item: ItemCode::new(item).unwrap(), site: site(s), lot: None }
}

fn kinds(list: &[&onhand_control::Exception]) -> Vec<(ExceptionKind, Option<String>)> {
    list.iter().map(|e| (e.kind, e.site.as_ref().map(ToString::to_string))).collect()
}

#[test]
#[allow(clippy::too_many_lines)] // one day, told in order
fn a_day_on_the_demo_network_ends_with_the_expected_queue_and_escalations() {
    let usd = CurrencyCode::new("USD").unwrap();
    let cad = CurrencyCode::new("CAD").unwrap();
    let mut rules = Rules::standard(usd);
    rules.rates.push(Rate { currency: cad, rate: Decimal::new(74, 2) });
    rules.thresholds.push(Threshold {
        kind: ExceptionKind::CountVariance,
        min_value: Some(Decimal::from(50)),
        min_quantity: None,
    });
    let mut control = Control::new(rules).unwrap();

    let pat = actor("pat", &[Role::Planning], &["ATL", "DFW"]);
    let ivy = actor("ivy", &[Role::InventoryControl], &["YYZ"]);
    let clerk = actor("clerk", &[Role::Warehouse, Role::InventoryControl], &["YYZ"]);
    let sue = actor("sue", &[Role::Supervisor], &[]);
    let fin = actor("fin", &[Role::Finance], &[]);

    // Earlier in February, NUT-M8 at YYZ miscounted twice; the first was recounted.
    let variance = |day, value| {
        Signal::new(
            ExceptionKind::CountVariance,
            item_site("NUT-M8", "YYZ"),
            at(day, 10),
            Impact::value(Decimal::from(value), cad).quantity(Decimal::from(40)),
        )
        .for_entity(EntityCode::new("CA01").unwrap())
    };
    let first = control.apply(&variance(28 + 10, 200)).unwrap();
    assert_eq!(first.effect, Effect::Raised);
    let cleared = Clearance {
        kind: ExceptionKind::CountVariance,
        subject: item_site("NUT-M8", "YYZ"),
        at: at(28 + 11, 9),
        reason: ClearReason::Recounted,
    };
    assert_eq!(control.clear(&cleared).unwrap(), first.id);
    let second = control.apply(&variance(28 + 20, 200)).unwrap();
    assert_eq!(second.effect, Effect::Raised);
    assert_eq!(control.get(second.id.unwrap()).unwrap().previous, first.id);
    assert_eq!(second.recurring, None);

    // 08:00 a key-account line at ATL will ship short; 08:30 it gets worse.
    let line = Subject::Line { order: DocNumber::new("SO-1001").unwrap(), line: 1 };
    let short = |hour, value| {
        Signal::new(
            ExceptionKind::LineShortOrLate,
            line.clone(),
            at(2, hour),
            Impact::value(Decimal::from(value), usd)
                .lines(1, 1, ServiceClass::Key)
                .quantity(Decimal::from(400)),
        )
        .at_site(site("ATL"))
        .for_item(ItemCode::new("BOLT-M8").unwrap())
    };
    let line_id = control.apply(&short(8, 2_400)).unwrap().id.unwrap();
    let mut worse = short(8, 3_000);
    worse.at += Duration::minutes(30);
    assert_eq!(control.apply(&worse).unwrap().effect, Effect::Updated);
    let e = control.get(line_id).unwrap();
    assert_eq!((e.signals, e.priority, e.owner), (2, Priority::High, Role::Planning));
    // A run of repeated signals is one history step, at the latest; an action between
    // two runs keeps them apart.
    let mut again = short(8, 3_100);
    again.at += Duration::minutes(45);
    assert_eq!(control.apply(&again).unwrap().effect, Effect::Updated);
    let steps = |control: &Control| -> Vec<(Change, DateTime<Utc>)> {
        control.get(line_id).unwrap().history.iter().map(|s| (s.change.clone(), s.at)).collect()
    };
    let updated_at = at(2, 8) + Duration::minutes(45);
    assert_eq!(steps(&control), [(Change::Raised, at(2, 8)), (Change::Updated, updated_at)]);
    assert_eq!(control.get(line_id).unwrap().signals, 3);
    control.act(line_id, &pat, Action::Acknowledge, at(2, 9)).unwrap();
    let mut later = short(9, 3_200);
    later.at += Duration::minutes(10);
    assert_eq!(control.apply(&later).unwrap().effect, Effect::Updated);
    let history = steps(&control);
    assert_eq!(history.len(), 4, "{history:?}");
    assert_eq!(history.last(), Some(&(Change::Updated, at(2, 9) + Duration::minutes(10))));

    // 09:00 stockout risk for BOLT-M8 at ATL, cleared when stock arrives at 14:00.
    let risk = Signal::new(
        ExceptionKind::StockoutRisk,
        item_site("BOLT-M8", "ATL"),
        at(2, 9),
        Impact::value(Decimal::from(800), usd).days_of_supply(Decimal::new(15, 1)),
    );
    let risk_id = control.apply(&risk).unwrap().id.unwrap();

    // 10:00 the third variance in the window: a recurring variance is raised too. A
    // variance worth less than the threshold on GLUE-500 raises nothing.
    let third = control.apply(&variance(2, 200)).unwrap();
    assert_eq!(third.effect, Effect::Updated);
    let (recurring_effect, recurring_id) = third.recurring.unwrap();
    assert_eq!(recurring_effect, Effect::Raised);
    let small = Signal::new(
        ExceptionKind::CountVariance,
        item_site("GLUE-500", "YYZ"),
        at(2, 10),
        Impact::value(Decimal::from(10), usd),
    );
    assert_eq!(control.apply(&small).unwrap().effect, Effect::BelowThreshold);

    // 11:00 the clerk's adjustment at YYZ is held for a supervisor.
    let event = EventId::from_u128(0xAD1);
    let held = Signal::pending_approval(
        event,
        Hold::new(clerk.id.clone(), [Role::Supervisor]),
        site("YYZ"),
        at(2, 11),
        Impact::value(Decimal::from(5_000), cad),
    );
    let held_id = control.apply(&held).unwrap().id.unwrap();
    assert_eq!(control.approvals_for(&clerk), vec![], "never routed to its poster");
    assert_eq!(control.approvals_for(&sue).len(), 1);

    // 12:00 intercompany receivable and payable disagree: network-wide, finance owns it.
    let ic = Signal::new(
        ExceptionKind::IntercompanyMismatch,
        Subject::Entities {
            seller: EntityCode::new("NA01").unwrap(),
            buyer: EntityCode::new("CA01").unwrap(),
        },
        at(2, 12),
        Impact::value(Decimal::from(12_000), usd),
    )
    .for_entity(EntityCode::new("NA01").unwrap());
    let ic_id = control.apply(&ic).unwrap().id.unwrap();
    assert_eq!(control.get(ic_id).unwrap().site, None);

    // 14:00 stock arrives at ATL.
    let arrived = Clearance {
        kind: ExceptionKind::StockoutRisk,
        subject: item_site("BOLT-M8", "ATL"),
        at: at(2, 14),
        reason: ClearReason::StockArrived,
    };
    assert_eq!(control.clear(&arrived).unwrap(), Some(risk_id));
    assert_eq!(control.clear(&arrived).unwrap(), None, "clearing twice is a no-op");

    // 15:00 the approval: the poster and a planner are refused, the supervisor decides.
    assert_eq!(
        control.approve(event, &clerk, at(2, 15)),
        Err(ControlError::SelfApproval { actor: clerk.id.clone(), event })
    );
    assert!(matches!(
        control.approve(event, &pat, at(2, 15)),
        Err(ControlError::Refused { reason: Refusal::NoRole { .. }, .. })
    ));
    assert_eq!(
        control.act(held_id, &sue, Action::Resolve, at(2, 15)),
        Err(ControlError::DecidedByApproval { id: held_id })
    );
    let decision = control.approve(event, &sue, at(2, 15)).unwrap();
    assert_eq!((decision.verdict, decision.remaining.is_empty()), (Verdict::Approve, true));
    assert_eq!(control.get(held_id).unwrap().state, State::Resolved);
    assert_eq!(
        control.approve(event, &sue, at(2, 16)),
        Err(ControlError::AlreadyDecided { event })
    );

    // 20:00 escalation: everything active raised 8 hours ago or more goes to the
    // supervisor; the February variance also reached finance (48 hours).
    let moved = control.escalate(at(2, 20));
    let summary: Vec<_> = moved.iter().map(|m| (m.id, m.from, m.to)).collect();
    assert_eq!(
        summary,
        vec![(second.id.unwrap(), 0, 2), (line_id, 0, 1), (recurring_id, 0, 1), (ic_id, 0, 1)]
    );
    assert_eq!(control.escalate(at(2, 20)), vec![], "nothing is due twice");

    // The queues at the end of the day.
    let all = Filter::default();
    assert_eq!(
        kinds(&control.view(&sue, &all, 50).unwrap()),
        vec![
            (ExceptionKind::CountVariance, Some("YYZ".into())), // ack was due Feb 21
            (ExceptionKind::IntercompanyMismatch, None),        // ack due 14:00
            (ExceptionKind::LineShortOrLate, Some("ATL".into())), // acknowledged: resolve by Mar 3 08:00
            (ExceptionKind::RecurringCountVariance, Some("YYZ".into())), // ack due Mar 3 10:00
        ]
    );
    assert_eq!(
        kinds(&control.view(&fin, &all, 50).unwrap()),
        vec![
            (ExceptionKind::CountVariance, Some("YYZ".into())),
            (ExceptionKind::IntercompanyMismatch, None)
        ]
    );
    assert_eq!(
        kinds(&control.view(&ivy, &all, 50).unwrap()),
        vec![
            (ExceptionKind::CountVariance, Some("YYZ".into())),
            (ExceptionKind::RecurringCountVariance, Some("YYZ".into()))
        ]
    );
    assert_eq!(
        kinds(&control.view(&pat, &all, 50).unwrap()),
        vec![(ExceptionKind::LineShortOrLate, Some("ATL".into()))]
    );
    let yyz = Filter { role: None, site: Some(site("YYZ")) };
    assert_eq!(
        control.view(&pat, &yyz, 50).unwrap_err(),
        ControlError::Refused {
            actor: pat.id.clone(),
            reason: Refusal::OutOfScope { site: Some(site("YYZ")) }
        }
    );
    assert!(matches!(
        control.get_for(&pat, ic_id),
        Err(ControlError::Refused { reason: Refusal::NoRole { .. }, .. })
    ));

    // Backlog: four active, three resolved (recount, stock arrived, approved).
    let rows = control.backlog(at(2, 20));
    let active: u64 = rows.iter().filter(|r| r.state.is_active()).map(|r| r.count).sum();
    let resolved: u64 = rows.iter().filter(|r| r.state == State::Resolved).map(|r| r.count).sum();
    assert_eq!((active, resolved), (4, 3));
    let line_row = rows.iter().find(|r| r.kind == ExceptionKind::LineShortOrLate).unwrap();
    assert_eq!((line_row.state, line_row.oldest_minutes), (State::Acknowledged, 12 * 60));
}
