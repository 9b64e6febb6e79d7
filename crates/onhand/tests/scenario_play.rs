//! `scenario::play`: the network and each event's outcome handed back, the opt-in to
//! event-carried actors, the per-step invariant check and the step notes.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

use chrono::Duration;
use onhand::ledger::seed::demo_day;
use onhand::ledger::testing;
use onhand::scenario::{
    self, Builtin, Expect, NetworkSpec, OutcomeKind, RulesSpec, Scenario, Step,
};
use onhand::{Decision, Network, NetworkConfig};

/// The demo day's first `n` events as full-event steps, each expecting `accepted`.
fn day_scenario(n: usize, trust: bool, check_invariants: bool) -> Scenario {
    let steps = demo_day()
        .unwrap()
        .into_iter()
        .take(n)
        .map(|e| Step {
            note: Some(e.what.to_owned()),
            event: Some(Box::new(e.event)),
            expect: Some(Expect { outcome: Some(OutcomeKind::Accepted), ..Expect::default() }),
            ..Step::default()
        })
        .collect();
    Scenario {
        format: scenario::FORMAT,
        name: "the demo day's receipts".to_owned(),
        start: testing::at(0) - Duration::hours(2),
        network: NetworkSpec { builtin: Some(Builtin::Demo), master: None },
        rules: RulesSpec { trust_event_actors: trust, ..RulesSpec::default() },
        config: NetworkConfig::default(),
        actors: std::collections::BTreeMap::default(),
        check_invariants,
        steps,
    }
}

#[test]
fn events_carry_their_actors_only_when_the_scenario_opts_in() {
    // The seed's receiver is in no directory: refused unless the rules trust events.
    let refused = scenario::play(&day_scenario(1, false, false), false).unwrap();
    assert!(!refused.report.passed());
    let Some(Some(Err(e))) = refused.events.first() else { panic!("{:?}", refused.events) };
    assert_eq!(e.code(), "unknown_actor");
    let trusted = scenario::play(&day_scenario(1, true, false), false).unwrap();
    assert!(trusted.report.passed(), "{}", trusted.report.failures_text());
}

#[test]
fn play_hands_back_the_network_a_straight_run_builds() {
    // The first four receipts are at US sites (no exchange rate needed).
    let s = day_scenario(4, true, true);
    let played = scenario::play(&s, false).unwrap();
    assert!(played.report.passed(), "{}", played.report.failures_text());
    // Two checks per step: the outcome, and the cross-engine invariants.
    assert_eq!(played.report.checks(), 8);
    assert!(played.report.steps.iter().all(|r| r.checks[1].what == "cross-engine invariants"));
    // A full event's step is named by its kind, and keeps its note.
    assert_eq!(played.report.steps[0].action, "receipt");
    assert!(played.report.text().contains("  # ACME delivers fasteners and gloves\n"));

    let mut rules = onhand::ledger::Rules::standard("USD".parse().unwrap());
    rules = rules.trusting_event_actors();
    let mut straight = Network::new(
        onhand::master::seed::demo_network(),
        rules,
        NetworkConfig::default(),
        s.start,
    )
    .unwrap();
    for (step, kept) in s.steps.iter().zip(&played.events) {
        let outcome = straight.apply(step.event.as_deref().unwrap());
        assert_eq!(kept.as_ref(), Some(&outcome));
        assert_eq!(outcome.unwrap().decision, Decision::Accepted);
    }
    assert_eq!(played.network.digest().unwrap(), straight.digest().unwrap());
    // Without `check_invariants`, only the outcome is checked.
    let plain = scenario::run(&day_scenario(4, true, false)).unwrap();
    assert_eq!(plain.checks(), 4);
}

/// A step that names a full-event step (to reverse it) names that event's own id, not
/// the id the runner would have given the step: before, the reversal named an event
/// that never was and was refused.
#[test]
fn a_reversal_names_a_full_event_step_by_its_own_id() {
    let mut s = day_scenario(1, true, true);
    if let Some(first) = s.steps.first_mut() {
        first.name = Some("first".to_owned());
        // An id of its own, far from any the runner gives a step.
        if let Some(e) = first.event.as_mut() {
            e.id = onhand::ledger::EventId(uuid::Uuid::from_u128(0xFEED));
        }
    }
    s.steps.push(Step {
        reverse: Some("first".to_owned()),
        reason: Some("CORRECTION".parse().unwrap()),
        expect: Some(Expect { outcome: Some(OutcomeKind::Accepted), ..Expect::default() }),
        ..Step::default()
    });
    let played = scenario::play(&s, false).unwrap();
    assert!(played.report.passed(), "{}", played.report.failures_text());
}
