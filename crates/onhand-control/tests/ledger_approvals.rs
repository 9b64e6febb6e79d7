//! Approval routing against the real ledger on the demo day: every event the ledger
//! holds becomes an approval task; every approval in the day goes through the queue
//! first, and the queue's decision is the very event the ledger then accepts, with the
//! same roles still needed. The poster is refused by both.

// Test helpers build fixtures from literals; unwrap names the failing literal.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use chrono::Duration;
use onhand_control::{Control, ControlError, ExceptionKind, Impact, Rules, Signal, State, Subject};
use onhand_ledger::{Applied, Body, Event, EventId, Ledger, LedgerError, seed::demo_day};
use onhand_master::{Catalog, CurrencyCode, Decimal, seed::demo_network};

#[test]
fn the_queue_decides_the_demo_days_approvals_as_the_ledger_does() {
    let usd = CurrencyCode::new("USD").unwrap();
    let catalog = Arc::new(Catalog::new(demo_network()).unwrap());
    // The demo day's actors carry their roles: the ledger believes them, as its hosts opt to.
    let rules = onhand_ledger::Rules::standard(usd).trusting_event_actors();
    let mut ledger = Ledger::new(catalog, rules).unwrap();
    let mut control = Control::new(Rules::standard(usd)).unwrap();
    let (mut held, mut decided) = (0, 0);
    for d in demo_day().unwrap() {
        let e = &d.event;
        if let Body::Approve { event } | Body::Reject { event } = &e.body {
            let decision = match &e.body {
                Body::Approve { .. } => control.approve(*event, &e.actor, e.recorded_at),
                _ => control.reject(*event, &e.actor, e.recorded_at),
            };
            let decision = decision.unwrap();
            assert_eq!(decision.ledger_body(), e.body);
            let outcome = ledger.apply(e).unwrap();
            let remaining: Vec<_> = decision.remaining.iter().collect();
            match outcome {
                Applied::Accepted(_) => assert!(remaining.is_empty()),
                Applied::Pending { needs, .. } => assert_eq!(needs, remaining),
                Applied::Duplicate => panic!("approval applied twice"),
            }
            decided += 1;
            continue;
        }
        if let Ok(Applied::Pending { needs, .. }) = ledger.apply(e) {
            let signal = Signal::held_event(e, needs, Impact::value(Decimal::ZERO, usd));
            let id = control.apply(&signal).unwrap().id.unwrap();
            held += 1;

            // The poster never gets the task, and both refuse its own approval.
            assert!(control.approvals_for(&e.actor).iter().all(|t| t.event != e.id));
            assert_eq!(
                control.clone().approve(e.id, &e.actor, e.recorded_at),
                Err(ControlError::SelfApproval { actor: e.actor.id.clone(), event: e.id })
            );
            let own = Event {
                id: EventId::from_u128(0xFFFF_0000 + held),
                recorded_at: e.recorded_at + Duration::minutes(1),
                effective_at: e.effective_at + Duration::minutes(1),
                body: Body::Approve { event: e.id },
                ..e.clone()
            };
            assert!(matches!(ledger.clone().apply(&own), Err(LedgerError::SelfApproval { .. })));
            let exception = control.get(id).unwrap();
            assert_eq!(exception.kind, ExceptionKind::PendingApproval);
            assert_eq!(exception.subject, Subject::Event { event: e.id });
            assert_eq!(exception.site, e.body.movement().map(|m| m.site.clone()));
        }
    }
    assert!(held >= 2, "the demo day holds events");
    assert!(decided >= 2, "and decides them");
    let resolved = control.exceptions().filter(|x| x.state == State::Resolved).count();
    assert_eq!(resolved, decided);
}
