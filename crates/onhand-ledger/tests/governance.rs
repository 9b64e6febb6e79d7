//! Governance that cannot be bypassed (issue 13): canonical actor identity, distinct
//! approvers, the actor directory. Each regression test is named after its defect; a
//! property test pins the approval rule against a small reference model.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::sync::Arc;

use onhand_ledger::testing::{self, doc, line, movement};
use onhand_ledger::{
    Actor, ActorId, ActorRecord, Applied, Body, DocKind, Event, Identity, Ledger, LedgerError,
    Rules, Segregation, SiteScope, Threshold,
};
use onhand_ledger::{DocumentLimit, EventKind};
use onhand_master::{BinCode, Catalog, CurrencyCode, LotCode, Role, SiteCode, seed};
use onhand_status::StockStatus;
use proptest::prelude::*;
use rust_decimal::Decimal;

fn catalog() -> Arc<Catalog> {
    static DEMO: std::sync::OnceLock<Arc<Catalog>> = std::sync::OnceLock::new();
    DEMO.get_or_init(|| Arc::new(Catalog::new(seed::demo_network()).unwrap())).clone()
}

fn everywhere(roles: &[Role]) -> ActorRecord {
    ActorRecord::new(roles, SiteScope::All)
}

/// The standard rules with a small staff in the directory, and a status change of more
/// than 10 units needing a supervisor (so a quality release can need two people).
fn staffed() -> Rules {
    let mut rules = Rules::standard(CurrencyCode::new("USD").unwrap());
    rules.thresholds.push(Threshold {
        kind: onhand_ledger::EventKind::StatusChange,
        reason: None,
        max_qty: Some(Decimal::from(10)),
        max_value: None,
        max_event_qty: None,
        document: None,
        approver: Role::Supervisor,
    });
    [
        ("receiver", everywhere(&[Role::Warehouse])),
        ("w1", everywhere(&[Role::Warehouse])),
        ("w-atl", ActorRecord::new(&[Role::Warehouse], SiteScope::Sites(vec![site("ATL")]))),
        ("alice", everywhere(&[Role::InventoryControl])),
        ("carl", everywhere(&[Role::Warehouse])),
        ("bob", everywhere(&[Role::Quality, Role::Supervisor])),
        ("qa1", everywhere(&[Role::Quality])),
        ("sup1", everywhere(&[Role::Supervisor])),
    ]
    .into_iter()
    .fold(rules, |r, (id, rec)| r.with_actor(id.parse().unwrap(), rec))
}

fn site(code: &str) -> SiteCode {
    SiteCode::new(code).unwrap()
}

/// An actor as an event carries it (roles and sites as claimed).
fn claims(id: &str, roles: &[Role]) -> Actor {
    testing::actor(id, roles).unwrap()
}

fn ev(id: u128, minutes: i64, who: Actor, reason: &str, body: Body) -> Event {
    testing::event(
        id,
        minutes,
        who,
        reason,
        doc(DocKind::Internal, &format!("D-{id}")).unwrap(),
        body,
    )
    .unwrap()
}

fn approve(id: u128, minutes: i64, who: Actor, target: &Event) -> Event {
    ev(id, minutes, who, "OK", Body::Approve { event: target.id })
}

/// 240 bolts at ATL, available at PF-A01; 24 glue in quality hold at QA-01 (lot L-1).
fn stocked(rules: Rules) -> Ledger {
    let mut ledger = Ledger::new(catalog(), rules).unwrap();
    ledger.apply(&testing::receipt(1, "ATL", "BOLT-M8", "240 EA", "RCV-01").unwrap()).unwrap();
    let putaway = ev(
        2,
        2,
        claims("w1", &[Role::Warehouse]),
        "PUTAWAY",
        Body::Putaway(
            movement(
                "ATL",
                vec![line("BOLT-M8", "240 EA").unwrap().at(bin("RCV-01")).to_bin(bin("PF-A01"))],
            )
            .unwrap(),
        ),
    );
    assert!(matches!(ledger.apply(&putaway).unwrap(), Applied::Accepted(_)));
    let glue = ev(
        3,
        3,
        claims("w1", &[Role::Warehouse]),
        "RECEIPT",
        Body::Receipt(movement("ATL", vec![glue_line()]).unwrap()),
    );
    assert!(matches!(ledger.apply(&glue).unwrap(), Applied::Accepted(_)));
    ledger
}

fn bin(code: &str) -> BinCode {
    BinCode::new(code).unwrap()
}

fn glue_line() -> onhand_ledger::Line {
    line("GLUE-500", "24 EA").unwrap().at(bin("QA-01")).lot(LotCode::new("L-1").unwrap())
}

/// A loss of 150 bolts by `who`: over the 100-unit line threshold, so a supervisor must
/// approve.
fn big_loss(id: u128, who: Actor) -> Event {
    let mut loss = line("BOLT-M8", "150 EA").unwrap().at(bin("PF-A01"));
    loss.from = Some(StockStatus::Available);
    ev(id, 10, who, "LOST", Body::Adjustment(movement("ATL", vec![loss]).unwrap()))
}

/// A warehouse worker releasing the 24 glue from quality hold: the status move needs
/// quality, the size a supervisor.
fn release(id: u128, who: Actor) -> Event {
    let mut l = glue_line();
    l.from = Some(StockStatus::QualityHold);
    l.to = Some(StockStatus::Available);
    ev(id, 10, who, "RELEASE", Body::StatusChange(movement("ATL", vec![l]).unwrap()))
}

fn pending_needs(r: Result<Applied, LedgerError>) -> Vec<Role> {
    match r {
        Ok(Applied::Pending { needs, .. }) => needs,
        other => panic!("expected pending, got {other:?}"),
    }
}

/// Issue 13: "Alice" approved alice's adjustment, and "CARL" carl's count: ids were
/// compared byte for byte. Both are the same person under the canonical identity, in
/// either identity mode.
#[test]
fn actor_ids_compared_byte_for_byte() {
    for rules in [staffed(), staffed().trusting_event_actors()] {
        let mut ledger = stocked(rules);
        // alice's adjustment, "Alice" (claiming supervisor) approves it.
        let loss = big_loss(10, claims("alice", &[Role::InventoryControl]));
        assert_eq!(pending_needs(ledger.apply(&loss)), vec![Role::Supervisor]);
        let alice = ledger.apply(&approve(11, 11, claims("Alice", &[Role::Supervisor]), &loss));
        assert!(matches!(alice, Err(LedgerError::SelfApproval { .. })), "{alice:?}");
        // carl's count with a variance over 500 units; "CARL" approves it.
        let count = ev(
            12,
            12,
            claims("carl", &[Role::Warehouse]),
            "CYCLE",
            Body::CycleCount(onhand_ledger::Count {
                site: site("ATL"),
                lines: vec![onhand_ledger::CountLine {
                    item: "BOLT-M8".parse().unwrap(),
                    bin: Some(bin("PF-A01")),
                    lot: None,
                    status: None,
                    counted: "900 EA".parse().unwrap(),
                    serials: Vec::new(),
                    owner: None,
                }],
            }),
        );
        assert_eq!(pending_needs(ledger.apply(&count)), vec![Role::Supervisor]);
        let carl = ledger.apply(&approve(13, 13, claims("CARL", &[Role::Supervisor]), &count));
        assert!(matches!(carl, Err(LedgerError::SelfApproval { .. })), "{carl:?}");
        // Somebody else may.
        let sup = ledger.apply(&approve(14, 14, claims("sup1", &[Role::Supervisor]), &loss));
        assert!(matches!(sup, Ok(Applied::Accepted(_))), "{sup:?}");
    }
}

/// Issue 13: "bob" approved as quality, then again as supervisor, and an event needing
/// both was released. Each role now needs a different person (the default rule).
#[test]
fn one_person_fills_two_required_roles() {
    let mut ledger = stocked(staffed());
    let e = release(10, claims("w1", &[Role::Warehouse]));
    assert_eq!(pending_needs(ledger.apply(&e)), vec![Role::Quality, Role::Supervisor]);
    let bob = claims("bob", &[Role::Quality, Role::Supervisor]);
    assert_eq!(
        pending_needs(ledger.apply(&approve(11, 11, bob.clone(), &e))),
        vec![Role::Supervisor]
    );
    let again = ledger.apply(&approve(12, 12, bob, &e));
    assert!(matches!(again, Err(LedgerError::AlreadyApproved { .. })), "{again:?}");
    let as_bob = ledger.apply(&approve(13, 13, claims("BOB", &[Role::Supervisor]), &e));
    assert!(matches!(as_bob, Err(LedgerError::AlreadyApproved { .. })), "{as_bob:?}");
    let sup = ledger.apply(&approve(14, 14, claims("sup1", &[Role::Supervisor]), &e));
    assert!(matches!(sup, Ok(Applied::Accepted(_))), "{sup:?}");

    // Four eyes, as a declared rule: one approver may fill both roles.
    let mut four = staffed();
    four.segregation = Segregation::FourEyes;
    let mut ledger = stocked(four);
    let e = release(10, claims("w1", &[Role::Warehouse]));
    ledger.apply(&e).unwrap();
    let bob = claims("bob", &[Role::Quality, Role::Supervisor]);
    assert!(matches!(ledger.apply(&approve(11, 11, bob, &e)), Ok(Applied::Accepted(_))));
}

/// Issue 13: roles and site scope were believed as sent on each event. With the
/// directory (the standard rules' default), the ledger reads them from its rules.
#[test]
fn roles_and_site_scope_trusted_as_sent() {
    let mut ledger = stocked(staffed());
    // w1 is a warehouse worker whatever the event claims.
    let claimed = big_loss(10, claims("w1", &[Role::Supervisor, Role::InventoryControl]));
    let r = ledger.apply(&claimed);
    assert!(matches!(r, Err(LedgerError::NotPermitted { .. })), "{r:?}");
    // w-atl may act at ATL only, whatever the event claims.
    let dfw = testing::event(
        11,
        11,
        claims("w-atl", &[Role::Warehouse]),
        "RECEIPT",
        doc(DocKind::PurchaseOrder, "PO-9").unwrap(),
        Body::Receipt(
            movement("DFW", vec![line("BOLT-M8", "1 EA").unwrap().at(bin("RCV-01"))]).unwrap(),
        ),
    )
    .unwrap();
    let r = ledger.apply(&dfw);
    assert!(matches!(r, Err(LedgerError::OutOfScope { .. })), "{r:?}");
    // Nobody outside the directory posts anything.
    let stranger = big_loss(12, claims("mallory", &[Role::Supervisor]));
    assert_eq!(
        ledger.apply(&stranger),
        Err(LedgerError::UnknownActor { actor: ActorId::new("mallory").unwrap() })
    );
    // A record that has ended refuses what is recorded after it.
    let mut rules = staffed();
    if let Identity::Directory(dir) = &mut rules.identity {
        let rec = dir.get_mut(&ActorId::new("alice").unwrap()).unwrap();
        rec.valid_to = Some(testing::at(5));
    }
    let mut ledger = stocked(rules);
    let late = big_loss(13, claims("ALICE", &[Role::InventoryControl]));
    let r = ledger.apply(&late);
    assert!(matches!(r, Err(LedgerError::ActorNotValid { .. })), "{r:?}");
}

#[test]
fn the_directory_refuses_one_person_twice() {
    let rules = staffed().with_actor("BOB".parse().unwrap(), everywhere(&[Role::Finance]));
    let err = Ledger::new(catalog(), rules).err().unwrap();
    assert_eq!(err.code(), "invalid_rules");
}

/// The id of one of a few people, spelled in any case.
fn spelled(who: usize, case: u8) -> String {
    const PEOPLE: [&str; 5] = ["w1", "bob", "qa1", "sup1", "carl"];
    PEOPLE[who % PEOPLE.len()]
        .chars()
        .enumerate()
        .map(|(i, c)| if case >> (i % 8) & 1 == 1 { c.to_ascii_uppercase() } else { c })
        .collect()
}

fn roles_of(canonical: &str) -> &'static [Role] {
    match canonical {
        "bob" => &[Role::Quality, Role::Supervisor],
        "qa1" => &[Role::Quality],
        "sup1" => &[Role::Supervisor],
        _ => &[Role::Warehouse],
    }
}

proptest! {
    /// Any sequence of approvals, by anyone spelled any way, against the reference rule:
    /// the poster never approves; each approval grants the first still-needed role the
    /// approver holds, and nobody (canonically) approves twice; the event is released
    /// exactly when no role is left, by as many distinct people as it needed roles.
    #[test]
    fn approvals_come_from_distinct_people_none_the_poster(
        poster_case in any::<u8>(),
        approvals in proptest::collection::vec((0usize..5, any::<u8>()), 1..8),
    ) {
        let mut ledger = stocked(staffed());
        let poster = spelled(0, poster_case);
        let e = release(10, claims(&poster, &[Role::Warehouse]));
        let mut needs = pending_needs(ledger.apply(&e));
        let mut approved: Vec<String> = Vec::new();
        let mut released = false;
        for (i, (who, case)) in approvals.into_iter().enumerate() {
            let id = spelled(who, case);
            let canonical = id.to_ascii_lowercase();
            let n = u128::try_from(i).unwrap() + 100;
            let got = ledger.apply(&approve(n, 20, claims(&id, &[]), &e));
            let held = roles_of(&canonical);
            let expected = if released {
                "no_such_pending"
            } else if canonical == "w1" {
                "self_approval"
            } else if !needs.iter().any(|r| held.contains(r)) {
                "approver_lacks_role"
            } else if approved.contains(&canonical) {
                "already_approved"
            } else {
                let role = needs.iter().copied().find(|r| held.contains(r)).unwrap();
                needs.retain(|r| *r != role);
                approved.push(canonical);
                if needs.is_empty() {
                    released = true;
                    "accepted"
                } else {
                    "pending"
                }
            };
            let got = match got {
                Ok(Applied::Accepted(_)) => "accepted",
                Ok(Applied::Pending { .. }) => "pending",
                Ok(Applied::Duplicate) => "duplicate",
                Err(e) => e.code(),
            };
            prop_assert_eq!(got, expected);
        }
        if released {
            prop_assert_eq!(approved.len(), 2, "two roles, two people");
            prop_assert!(!approved.contains(&"w1".to_owned()));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Thresholds on the document's totals

/// A loss of `qty` bolts from PF-A01 per line, on document `number`, at `minutes`.
fn loss_on(id: u128, minutes: i64, number: &str, lines: &[&str]) -> Event {
    let lines = lines
        .iter()
        .map(|q| {
            let mut l = line("BOLT-M8", q).unwrap().at(bin("PF-A01"));
            l.from = Some(StockStatus::Available);
            l
        })
        .collect();
    testing::event(
        id,
        minutes,
        claims("alice", &[Role::InventoryControl]),
        "LOST",
        doc(DocKind::Internal, number).unwrap(),
        Body::Adjustment(movement("ATL", lines).unwrap()),
    )
    .unwrap()
}

/// The standard rules with the adjustment threshold limiting each document to 100 units
/// within `hours`.
fn document_limited(hours: u32) -> Rules {
    let mut rules = staffed();
    for t in &mut rules.thresholds {
        if t.kind == EventKind::Adjustment {
            t.document = Some(DocumentLimit {
                max_qty: Some(Decimal::from(100)),
                max_value: None,
                window_hours: hours,
            });
        }
    }
    rules
}

/// Issue 13: approval thresholds applied per line only, so a loss of 150 split into two
/// lines of 75 needed no approval. The standard rules now limit the event's total too.
#[test]
fn a_loss_split_over_lines_needs_no_approval() {
    let mut ledger = stocked(staffed());
    let split = loss_on(10, 10, "ADJ-1", &["75 EA", "75 EA"]);
    assert_eq!(pending_needs(ledger.apply(&split)), vec![Role::Supervisor]);
    // Two lines of 50 stay under it.
    let small = loss_on(11, 11, "ADJ-2", &["50 EA", "50 EA"]);
    assert!(matches!(ledger.apply(&small), Ok(Applied::Accepted(_))));
}

/// Issue 13: a loss of 150 split into two events of 75 on one document needed no
/// approval. With a document limit, the second event within the window waits for a
/// supervisor; another document, or the same one outside the window, does not add up.
#[test]
fn a_loss_split_over_events_on_one_document_needs_no_approval() {
    let mut ledger = stocked(document_limited(24));
    assert!(matches!(
        ledger.apply(&loss_on(10, 10, "ADJ-1", &["75 EA"])),
        Ok(Applied::Accepted(_))
    ));
    let second = loss_on(11, 20, "ADJ-1", &["75 EA"]);
    assert_eq!(pending_needs(ledger.apply(&second)), vec![Role::Supervisor]);
    // Another document does not add up with ADJ-1.
    assert!(matches!(
        ledger.apply(&loss_on(12, 30, "ADJ-2", &["75 EA"])),
        Ok(Applied::Accepted(_))
    ));
    // ADJ-1 two days later is outside the window.
    assert!(matches!(
        ledger.apply(&loss_on(13, 48 * 60 + 10, "ADJ-1", &["10 EA"])),
        Ok(Applied::Accepted(_))
    ));
    // Once approved, the second counts toward later events on the document.
    let ok = approve(14, 40, claims("sup1", &[Role::Supervisor]), &second);
    assert!(matches!(ledger.apply(&ok), Ok(Applied::Accepted(_))));
    assert_eq!(
        pending_needs(ledger.apply(&loss_on(15, 50, "ADJ-1", &["1 EA"]))),
        vec![Role::Supervisor]
    );
    // The totals survive a snapshot.
    let snap = ledger.snapshot(None).unwrap();
    let restored = Ledger::restore(catalog(), document_limited(24), &snap).unwrap();
    assert_eq!(restored.state(), ledger.state());
}

/// Without a document limit (the default, and what rules written before it read as), the
/// events of one document do not add up.
#[test]
fn document_limits_are_off_unless_set() {
    let json = serde_json::to_string(&staffed()).unwrap();
    assert!(!json.contains("document"), "an unset limit is not written");
    let back: Rules = serde_json::from_str(&json).unwrap();
    assert_eq!(back, staffed());
    let mut ledger = stocked(staffed());
    assert!(matches!(
        ledger.apply(&loss_on(10, 10, "ADJ-1", &["75 EA"])),
        Ok(Applied::Accepted(_))
    ));
    assert!(matches!(
        ledger.apply(&loss_on(11, 20, "ADJ-1", &["75 EA"])),
        Ok(Applied::Accepted(_))
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// For any run of small losses over two documents at any times, an event waits for a
    /// supervisor exactly when a line is over 100, its lines together are over 100, or
    /// the applied events of its document within 6 hours of it and it together are over
    /// 100 (a reference sum over every applied event); nothing else is held.
    #[test]
    fn document_totals_hold_exactly_what_the_limits_say(
        events in proptest::collection::vec(
            (0usize..2, -300i64..300, proptest::collection::vec(1u32..60, 1..3)),
            1..12,
        ),
    ) {
        let rules = document_limited(6);
        let mut ledger = Ledger::new(catalog(), rules).unwrap();
        ledger.apply(&testing::receipt_to(1, "ATL", "BOLT-M8", "100000 EA", "PF-A01", "available").unwrap()).unwrap();
        let mut applied: Vec<(usize, i64, u32)> = Vec::new();
        for (n, (docn, minutes, lines)) in events.iter().enumerate() {
            let qtys: Vec<String> = lines.iter().map(|q| format!("{q} EA")).collect();
            let refs: Vec<&str> = qtys.iter().map(String::as_str).collect();
            let at = 1000 + minutes;
            let event = loss_on(100 + n as u128, at, &format!("ADJ-{docn}"), &refs);
            let total: u32 = lines.iter().sum();
            let window = 6 * 60;
            let on_doc: u32 = applied
                .iter()
                .filter(|(d, t, _)| d == docn && (t - at).abs() < window)
                .map(|(_, _, q)| q)
                .sum();
            let held = total > 100 || on_doc + total > 100;
            match ledger.apply(&event) {
                Ok(Applied::Accepted(_)) => {
                    prop_assert!(!held, "event {n} applied over the limits");
                    applied.push((*docn, at, total));
                }
                Ok(Applied::Pending { needs, .. }) => {
                    prop_assert!(held, "event {n} held under the limits");
                    prop_assert_eq!(needs, vec![Role::Supervisor]);
                }
                other => prop_assert!(false, "{other:?}"),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Period close

/// The staffed rules with finance: `fin` and `fin2` everywhere, `fin-atl` at ATL only.
fn with_finance(rules: Rules) -> Rules {
    rules
        .with_actor("fin".parse().unwrap(), everywhere(&[Role::Finance]))
        .with_actor("fin2".parse().unwrap(), everywhere(&[Role::Finance]))
        .with_actor(
            "fin-atl".parse().unwrap(),
            ActorRecord::new(&[Role::Finance], SiteScope::Sites(vec![site("ATL")])),
        )
}

fn period(id: u128, minutes: i64, who: &str, body: Body) -> Event {
    ev(id, minutes, claims(who, &[Role::Finance]), "PERIOD-END", body)
}

/// Issue 13: closing ignored site scope: a finance actor scoped to one site closed the
/// whole network. A close now needs network-wide authority.
#[test]
fn a_site_scoped_finance_actor_closes_the_whole_network() {
    let mut ledger = stocked(with_finance(staffed()));
    let before = ledger.state_digest().unwrap();
    let close =
        period(10, 60, "fin-atl", Body::ClosePeriod { through: testing::at(30), entity: None });
    assert_eq!(ledger.apply(&close).map_err(|e| e.code()), Err("not_network_wide"));
    assert_eq!(ledger.state_digest().unwrap(), before);
    assert_eq!(ledger.closed_through(), None);
}

/// Issue 13: a close had no upper bound: effective in the year 9999 and closing through
/// it, it froze the ledger for ever. A close may not pass the latest recorded time.
#[test]
fn a_close_through_the_year_9999_freezes_the_ledger() {
    let mut ledger = stocked(with_finance(staffed()));
    let far: chrono::DateTime<chrono::Utc> = "9999-12-31T00:00:00Z".parse().unwrap();
    let mut close = period(10, 60, "fin", Body::ClosePeriod { through: far, entity: None });
    close.effective_at = far;
    assert_eq!(ledger.apply(&close).map_err(|e| e.code()), Err("close_beyond_recorded"));
    assert_eq!(ledger.closed_through(), None);
    // A receipt at the usual time is still taken.
    let late = testing::receipt(11, "ATL", "BOLT-M8", "1 EA", "RCV-01").unwrap();
    assert!(matches!(ledger.apply(&late), Ok(Applied::Accepted(_))));
}

/// Issue 13: a close needed no approval. With `period_close.approver` set it waits for
/// another person holding the role, who must also have network-wide authority.
#[test]
fn a_close_needs_no_approval() {
    let mut rules = with_finance(staffed());
    rules.period_close.approver = Some(Role::Finance);
    let mut ledger = stocked(rules);
    let close = period(10, 60, "fin", Body::ClosePeriod { through: testing::at(30), entity: None });
    assert_eq!(pending_needs(ledger.apply(&close)), vec![Role::Finance]);
    assert_eq!(ledger.closed_through(), None);
    let own = ev(11, 61, claims("fin", &[Role::Finance]), "OK", Body::Approve { event: close.id });
    assert_eq!(ledger.apply(&own).map_err(|e| e.code()), Err("self_approval"));
    let scoped =
        ev(12, 61, claims("fin-atl", &[Role::Finance]), "OK", Body::Approve { event: close.id });
    assert_eq!(ledger.apply(&scoped).map_err(|e| e.code()), Err("not_network_wide"));
    let ok = ev(13, 62, claims("fin2", &[Role::Finance]), "OK", Body::Approve { event: close.id });
    assert!(matches!(ledger.apply(&ok), Ok(Applied::Accepted(_))));
    assert_eq!(ledger.closed_through(), Some(testing::at(30)));
}

/// Issue 13: a close could not be reopened. A reopen always waits for a second finance
/// person, and stays in the journal: replaying the journal reopens again.
#[test]
fn a_closed_period_cannot_be_reopened() {
    let rules = with_finance(staffed());
    let mut ledger = stocked(rules.clone());
    let mut journal = onhand_ledger::Journal::new();
    let mut post = |ledger: &mut Ledger, e: &Event| {
        let r = ledger.apply(e);
        if r.as_ref().is_ok_and(Applied::changed_state) {
            journal.append(e.clone()).unwrap();
        }
        r
    };
    let close = period(10, 60, "fin", Body::ClosePeriod { through: testing::at(30), entity: None });
    assert!(matches!(post(&mut ledger, &close), Ok(Applied::Accepted(_))));
    let back = testing::receipt_to(11, "ATL", "BOLT-M8", "5 EA", "PF-A01", "available").unwrap();
    let mut back = back;
    back.effective_at = testing::at(20);
    assert_eq!(ledger.apply(&back).map_err(|e| e.code()), Err("period_closed"));

    let reopen =
        period(12, 70, "fin", Body::ReopenPeriod { to: Some(testing::at(10)), entity: None });
    assert_eq!(pending_needs(post(&mut ledger, &reopen)), vec![Role::Finance]);
    assert_eq!(ledger.closed_through(), Some(testing::at(30)), "nothing reopened yet");
    let ahead =
        period(13, 71, "fin", Body::ReopenPeriod { to: Some(testing::at(40)), entity: None });
    assert_eq!(ledger.apply(&ahead).map_err(|e| e.code()), Err("reopen_not_back"));
    let ok = ev(14, 72, claims("fin2", &[Role::Finance]), "OK", Body::Approve { event: reopen.id });
    assert!(matches!(post(&mut ledger, &ok), Ok(Applied::Accepted(_))));
    assert_eq!(ledger.closed_through(), Some(testing::at(10)));
    assert!(matches!(post(&mut ledger, &back), Ok(Applied::Accepted(_))));

    // The reopen and its approval are journal entries: a replay reopens the same way.
    let replayed = Ledger::replay(catalog(), rules, journal.entries()).unwrap();
    assert_eq!(replayed.closed_through(), Some(testing::at(10)));
    assert!(journal.entries().iter().any(|e| matches!(e.event.body, Body::ReopenPeriod { .. })));
}

/// `fin-ca` holds finance at every site of CA01 (YYZ, YVR, YUL-3PL) and no other.
fn with_entity_finance(rules: Rules) -> Rules {
    let ca = SiteScope::Sites(vec![site("YYZ"), site("YVR"), site("YUL-3PL")]);
    with_finance(rules)
        .with_actor("fin-ca".parse().unwrap(), ActorRecord::new(&[Role::Finance], ca))
}

fn back_dated(id: u128, at_site: &str, minutes: i64) -> Event {
    let mut e = testing::receipt_to(id, at_site, "BOLT-M8", "5 EA", "PF-A01", "available").unwrap();
    e.effective_at = testing::at(minutes);
    e
}

fn entity(code: &str) -> onhand_master::EntityCode {
    onhand_master::EntityCode::new(code).unwrap()
}

/// Issue 13: only the whole network's period could be closed, so one legal entity's
/// books could not be closed while another's stayed open. An entity's close now freezes
/// the stock it owns, governed as a network close (authority over the entity's sites
/// under `CloseScope::Entity`, an approval, not past the latest recorded time, forward
/// only), survives a snapshot, and is reopened with its own approval and journal entry.
#[test]
fn one_entity_cannot_close_while_another_stays_open() {
    let mut rules = with_entity_finance(staffed());
    rules.period_close.scope = onhand_ledger::CloseScope::Entity;
    rules.period_close.approver = Some(Role::Finance);
    let mut ledger = stocked(rules.clone());
    let mut journal = onhand_ledger::Journal::new();
    let mut post = |ledger: &mut Ledger, e: &Event| {
        let r = ledger.apply(e);
        if r.as_ref().is_ok_and(Applied::changed_state) {
            journal.append(e.clone()).unwrap();
        }
        r
    };
    let ca01 = entity("CA01");
    // CA01's finance may close CA01, not NA01 nor the network.
    let na = period(
        10,
        60,
        "fin-ca",
        Body::ClosePeriod { through: testing::at(30), entity: Some(entity("NA01")) },
    );
    assert_eq!(ledger.apply(&na).map_err(|e| e.code()), Err("not_network_wide"));
    let net =
        period(11, 60, "fin-ca", Body::ClosePeriod { through: testing::at(30), entity: None });
    assert_eq!(ledger.apply(&net).map_err(|e| e.code()), Err("not_network_wide"));
    let unknown = period(
        12,
        60,
        "fin",
        Body::ClosePeriod { through: testing::at(30), entity: Some(entity("XX99")) },
    );
    assert_eq!(ledger.apply(&unknown).map_err(|e| e.code()), Err("unknown_entity"));
    let far = period(
        13,
        60,
        "fin-ca",
        Body::ClosePeriod { through: testing::at(90), entity: Some(entity("CA01")) },
    );
    assert_eq!(ledger.apply(&far).map_err(|e| e.code()), Err("close_in_future"));

    // The close waits for a second finance person with authority over CA01's sites.
    let close = period(
        14,
        60,
        "fin-ca",
        Body::ClosePeriod { through: testing::at(30), entity: Some(entity("CA01")) },
    );
    assert_eq!(pending_needs(post(&mut ledger, &close)), vec![Role::Finance]);
    assert_eq!(ledger.entity_closed_through(&ca01), None);
    let scoped =
        ev(15, 61, claims("fin-atl", &[Role::Finance]), "OK", Body::Approve { event: close.id });
    assert_eq!(ledger.apply(&scoped).map_err(|e| e.code()), Err("not_network_wide"));
    let ok = ev(16, 62, claims("fin2", &[Role::Finance]), "OK", Body::Approve { event: close.id });
    assert!(matches!(post(&mut ledger, &ok), Ok(Applied::Accepted(_))));
    assert_eq!(ledger.entity_closed_through(&ca01), Some(testing::at(30)));
    assert_eq!(ledger.closed_through(), None, "the network's period stays open");

    // CA01's stock before the close is frozen; NA01's is not.
    let before = ledger.state_digest().unwrap();
    let refused = ledger.apply(&back_dated(17, "YYZ", 20));
    assert!(
        matches!(&refused, Err(LedgerError::EntityPeriodClosed { entity, .. }) if *entity == ca01),
        "{refused:?}"
    );
    assert_eq!(ledger.state_digest().unwrap(), before);
    assert!(matches!(post(&mut ledger, &back_dated(18, "ATL", 20)), Ok(Applied::Accepted(_))));
    assert!(matches!(post(&mut ledger, &back_dated(19, "YYZ", 40)), Ok(Applied::Accepted(_))));
    // The boundary is the network close's: an event exactly at the close time is in the
    // open period, one a minute before it is not.
    let edge = ledger.apply(&back_dated(121, "YYZ", 29)).map_err(|e| e.code());
    assert_eq!(edge.err(), Some("entity_period_closed"));
    assert!(matches!(post(&mut ledger, &back_dated(122, "YYZ", 30)), Ok(Applied::Accepted(_))));
    let backwards = period(
        20,
        63,
        "fin-ca",
        Body::ClosePeriod { through: testing::at(25), entity: Some(entity("CA01")) },
    );
    assert_eq!(ledger.apply(&backwards).map_err(|e| e.code()), Err("close_not_forward"));

    // A snapshot keeps the entity's close.
    let snapshot = ledger.snapshot(None).unwrap();
    let mut restored = Ledger::restore(catalog(), rules.clone(), &snapshot).unwrap();
    assert_eq!(restored.entity_closed_through(&ca01), Some(testing::at(30)));
    assert_eq!(
        restored.apply(&back_dated(21, "YYZ", 20)).map_err(|e| e.code()),
        Err("entity_period_closed")
    );

    // A reopen waits for its own approval, then CA01's past is open again.
    let reopen =
        period(22, 70, "fin-ca", Body::ReopenPeriod { to: None, entity: Some(entity("CA01")) });
    assert_eq!(pending_needs(post(&mut ledger, &reopen)), vec![Role::Finance]);
    assert_eq!(ledger.entity_closed_through(&ca01), Some(testing::at(30)), "nothing reopened yet");
    let nothing =
        period(23, 70, "fin", Body::ReopenPeriod { to: None, entity: Some(entity("NA01")) });
    assert_eq!(ledger.apply(&nothing).map_err(|e| e.code()), Err("nothing_to_reopen"));
    let ok = ev(24, 72, claims("fin2", &[Role::Finance]), "OK", Body::Approve { event: reopen.id });
    assert!(matches!(post(&mut ledger, &ok), Ok(Applied::Accepted(_))));
    assert_eq!(ledger.entity_closed_through(&ca01), None);
    assert!(matches!(post(&mut ledger, &back_dated(25, "YYZ", 20)), Ok(Applied::Accepted(_))));

    // Close, approval, reopen and its approval are journal entries: a replay closes and
    // reopens the same way.
    let entries = journal.entries();
    let approved = entries.iter().position(|e| e.event.id == ok.id).unwrap();
    let closed_at = entries.iter().position(|e| e.event.id.0.as_u128() == 16).unwrap();
    let half = Ledger::replay(catalog(), rules.clone(), &entries[..=closed_at]).unwrap();
    assert_eq!(half.entity_closed_through(&ca01), Some(testing::at(30)));
    let replayed = Ledger::replay(catalog(), rules, &entries[..=approved]).unwrap();
    assert_eq!(replayed.entity_closed_through(&ca01), None);
    assert!(entries.iter().any(|e| matches!(e.event.body, Body::ReopenPeriod { .. })));
}

/// A host's veto is asked when an approval would release a held event: refused, the
/// approval changes nothing and the event stays held, needing the same roles; allowed,
/// the event commits. It is shown the held event's changes, not the approval's (none).
#[test]
fn a_veto_on_an_approval_keeps_the_event_held() {
    let mut ledger = stocked(staffed());
    let e = release(10, claims("w1", &[Role::Warehouse]));
    assert_eq!(pending_needs(ledger.apply(&e)), vec![Role::Quality, Role::Supervisor]);
    let bob = claims("bob", &[Role::Quality, Role::Supervisor]);
    let mut four = staffed();
    four.segregation = Segregation::FourEyes;
    let mut ledger4 = stocked(four);
    ledger4.apply(&e).unwrap();
    let before = ledger4.state();
    let mut shown = Vec::new();
    let mut no = |_: &Ledger, changes: &[(onhand_ledger::PositionKey, Decimal)]| {
        shown.extend(changes.iter().map(|(_, c)| *c));
        false
    };
    let refused = ledger4.apply_vetted(&approve(11, 11, bob.clone(), &e), &mut no);
    assert!(matches!(refused, Err(LedgerError::Vetoed { id }) if id == e.id), "{refused:?}");
    // The release's two changes: 24 out of quality hold, 24 into available.
    shown.sort();
    assert_eq!(shown, vec![Decimal::from(-24), Decimal::from(24)]);
    assert!(ledger4.state() == before);
    assert_eq!(ledger4.pending().count(), 1);
    let mut yes = |_: &Ledger, _: &[(onhand_ledger::PositionKey, Decimal)]| true;
    let ok = ledger4.apply_vetted(&approve(11, 11, bob, &e), &mut yes);
    assert!(matches!(ok, Ok(Applied::Accepted(_))), "{ok:?}");
    assert_eq!(ledger4.pending().count(), 0);
    // A held event is not shown to the veto when it is posted (nothing commits then).
    let mut never = |_: &Ledger, _: &[(onhand_ledger::PositionKey, Decimal)]| -> bool {
        panic!("asked for an event that only waits")
    };
    let again = release(20, claims("w1", &[Role::Warehouse]));
    assert!(matches!(ledger.apply_vetted(&again, &mut never), Ok(Applied::Pending { .. })));
}
