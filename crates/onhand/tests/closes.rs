//! Period closes (the network's and an entity's) and reopens through the facade: the
//! books (valuation) close and reopen with the ledger, so the two never diverge.
//!
//! The property drives receipts at both entities' sites at random, often back-dated,
//! effective times, interleaved with closes and approved reopens of the network's and of
//! each entity's period, and checks after every step that nothing diverged and that
//! [`Network::check`](onhand::Network::check) holds: the ledger's valuated quantities
//! equal the valuation's, entity by entity and item by item.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

mod common;

use onhand::Error;
use onhand::ledger::testing::{actor, at, doc, event, line, movement};
use onhand::ledger::{Body, DocKind, Event, EventId};
use onhand::master::{BinCode, EntityCode, Role};
use proptest::prelude::*;

/// The two sites and their entities.
const SITES: [(&str, &str); 2] = [("ATL", "NA01"), ("YYZ", "CA01")];

fn entity(k: usize) -> EntityCode {
    SITES[k].1.parse().unwrap()
}

/// An event by `who` (finance roles for closes), effective `eff` and recorded `rec`
/// minutes after the builders' epoch.
fn ev(id: u128, eff: i64, rec: i64, who: &str, body: Body) -> Event {
    let roles: &[Role] = if who == "clerk" { &[Role::Warehouse] } else { &[Role::Finance] };
    let mut e = event(
        id,
        rec,
        actor(who, roles).unwrap(),
        "OK",
        doc(DocKind::Internal, &format!("D-{id}")).unwrap(),
        body,
    )
    .unwrap();
    e.effective_at = at(eff);
    e
}

fn receipt(id: u128, eff: i64, rec: i64, site: usize, cases: u32) -> Event {
    let l = line("BOLT-M8", &format!("{cases} CS")).unwrap().at(BinCode::new("RCV-01").unwrap());
    let mut e = ev(id, eff, rec, "clerk", Body::Receipt(movement(SITES[site].0, vec![l]).unwrap()));
    e.reference = doc(DocKind::PurchaseOrder, &format!("PO-{id}")).unwrap();
    e
}

#[derive(Debug, Clone)]
enum Step {
    Receipt { site: usize, back: u16, cases: u32 },
    Close { entity: Option<usize>, back: u16 },
    Reopen { entity: Option<usize>, to: Option<u16> },
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let s = prop_oneof![
        6 => (0usize..2, 0u16..300, 1u32..=3).prop_map(|(site, back, cases)| Step::Receipt { site, back, cases }),
        2 => (prop::option::of(0usize..2), 0u16..200).prop_map(|(entity, back)| Step::Close { entity, back }),
        2 => (prop::option::of(0usize..2), prop::option::of(0u16..400))
            .prop_map(|(entity, to)| Step::Reopen { entity, to }),
    ];
    prop::collection::vec(s, 1..60)
}

/// Applies `e`: a refusal is fine, a divergence is not.
fn apply(n: &mut onhand::Network, e: &Event) -> Result<bool, TestCaseError> {
    match n.apply(e) {
        Ok(_) => Ok(true),
        Err(err @ Error::Diverged { .. }) => Err(TestCaseError::fail(format!("{err}"))),
        Err(_) => Ok(false),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn closes_and_reopens_keep_ledger_and_books_in_step(steps in steps()) {
        let mut n = common::network();
        let mut id: u128 = 0;
        // The recorded clock: every event is recorded a minute after the last.
        let mut clock: i64 = 400;
        for step in &steps {
            id += 1;
            clock += 1;
            match step {
                Step::Receipt { site, back, cases } => {
                    apply(&mut n, &receipt(id, clock - i64::from(*back), clock, *site, *cases))?;
                }
                Step::Close { entity, back } => {
                    let body = Body::ClosePeriod {
                        through: at(clock - i64::from(*back)),
                        entity: entity.map(self::entity),
                    };
                    apply(&mut n, &ev(id, clock, clock, "f1", body))?;
                }
                Step::Reopen { entity, to } => {
                    let body = Body::ReopenPeriod {
                        to: to.map(|m| at(i64::from(m))),
                        entity: entity.map(self::entity),
                    };
                    if apply(&mut n, &ev(id, clock, clock, "f1", body))? {
                        // A reopen waits for a second finance actor's approval.
                        let reopen = EventId::from_u128(id);
                        id += 1;
                        clock += 1;
                        apply(&mut n, &ev(id, clock, clock, "f2", Body::Approve { event: reopen }))?;
                    }
                }
            }
            if let Err(v) = n.check() {
                return Err(TestCaseError::fail(format!("after {step:?}: {v:?}")));
            }
        }
        // Both engines agree on what is closed.
        let ledger = n.ledger();
        let books = n.valuation();
        prop_assert_eq!(ledger.closed_through(), books.closed_through());
        for k in 0..2 {
            prop_assert_eq!(ledger.entity_closed_through(&entity(k)), books.entity_closed_through(&entity(k)));
        }
    }
}

/// A reopened period takes a back-dated receipt on both engines.
#[test]
fn a_reopen_lets_a_back_dated_receipt_into_both_engines() {
    let mut n = common::network();
    n.apply(&receipt(1, 100, 100, 0, 2)).unwrap();
    let close = Body::ClosePeriod { through: at(150), entity: Some(entity(0)) };
    n.apply(&ev(2, 200, 200, "f1", close)).unwrap();
    let err = n.apply(&receipt(3, 120, 201, 0, 1)).unwrap_err();
    assert!(!matches!(err, Error::Diverged { .. }), "{err}");
    let reopen = Body::ReopenPeriod { to: Some(at(110)), entity: Some(entity(0)) };
    n.apply(&ev(4, 202, 202, "f1", reopen)).unwrap();
    n.apply(&ev(5, 203, 203, "f2", Body::Approve { event: EventId::from_u128(4) })).unwrap();
    assert_eq!(n.valuation().entity_closed_through(&entity(0)), Some(at(110)));
    n.apply(&receipt(6, 120, 204, 0, 1)).unwrap();
    n.check().unwrap();
    let held = n.valuation().held(&entity(0), &"BOLT-M8".parse().unwrap());
    assert_eq!(held.on_hand, "360".parse().unwrap(), "three cases of 120");
}

/// A receipt effective exactly at the close time: both engines decide the same way.
#[test]
fn a_receipt_at_the_close_time_does_not_diverge() {
    for entity in [None, Some(self::entity(0))] {
        let mut n = common::network();
        n.apply(&receipt(1, 100, 100, 0, 2)).unwrap();
        n.apply(&ev(2, 200, 200, "f1", Body::ClosePeriod { through: at(150), entity })).unwrap();
        if let Err(err) = n.apply(&receipt(3, 150, 201, 0, 1)) {
            assert!(!matches!(err, Error::Diverged { .. }), "{err}");
        }
        n.check().unwrap();
    }
}
