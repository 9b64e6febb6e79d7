//! The whole-network simulation (`onhand::sim`): seeded days on the demo network and on
//! a synthetic one, every cross-engine invariant checked after every step, replay from
//! empty and tail replay at the end of every day. A failure names its seed, day and
//! step.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use onhand::sim::{Checks, Mix, Setup, Sim, SimConfig, StepKind};
use proptest::prelude::*;

fn run(setup: Setup, config: SimConfig, days: u32) -> Sim {
    let mut sim = Sim::new(setup, config).unwrap();
    if let Err(f) = sim.run(days) {
        panic!("{f}\nstats so far: {:?}", sim.stats());
    }
    sim
}

// Each case is a few simulated days with every check on: a handful of cases keeps
// the file well under a minute in debug whatever PROPTEST_CASES says; the fuzz
// target and the long run below go further (`pinned::check`: the environment cannot
// raise the count).
#[test]
fn any_seed_keeps_every_engine_in_step_on_the_demo_network() {
    onhand_testkit::pinned::check(8, any::<u64>(), |seed| {
        let sim = run(Setup::demo().unwrap(), SimConfig::new(seed).steps_per_day(40), 3);
        prop_assert!(sim.stats().accepted > 0);
        Ok(())
    });
}

#[test]
fn any_mix_keeps_every_engine_in_step() {
    onhand_testkit::pinned::check(
        8,
        (any::<u64>(), proptest::collection::vec(0u8..8, 27)),
        |(seed, weights)| {
            let config = SimConfig::new(seed).steps_per_day(30).mix(Mix::from_bytes(&weights));
            run(Setup::demo().unwrap(), config, 2);
            Ok(())
        },
    );
}

#[test]
fn a_long_seeded_run_covers_every_kind_of_step() {
    // A seed whose run draws every kind (a run follows the outcomes: once FIFO returns
    // could take from any layer, 20_260_105's drew no reversal).
    let sim = run(Setup::demo().unwrap(), SimConfig::new(20_260_106).steps_per_day(60), 8);
    let s = sim.stats();
    for kind in StepKind::ALL {
        assert!(s.by_kind.get(&kind).copied().unwrap_or(0) > 0, "{kind} never ran: {s:?}");
    }
    // Every deliberately invalid step was refused; periods closed; approvals and
    // duplicates happened.
    assert!(s.invalid > 0 && s.pending > 0 && s.duplicates > 0, "{s:?}");
    // Ids of refused events were used again, and those events were taken.
    assert!(s.reused_ids > 0, "{s:?}");
    assert!(sim.network().ledger().closed_through().is_some());
    assert!(sim.network().ledger().transfers().count() > 0);
}

#[test]
fn the_same_seed_gives_byte_identical_outcomes() {
    let go = |seed| {
        let mut sim = Sim::new(Setup::demo().unwrap(), SimConfig::new(seed).steps_per_day(40))
            .unwrap()
            .keep_records();
        sim.run(3).unwrap();
        (sim.records().to_vec(), sim.trace_digest(), sim.network().digest().unwrap())
    };
    let (a, b) = (go(77), go(77));
    assert!(a.0.len() > 100);
    assert_eq!(a.0, b.0);
    assert_eq!(a.1, b.1);
    assert_eq!(a.2, b.2);
    let c = go(78);
    assert_ne!(a.1, c.1, "another seed, another run");
}

#[test]
fn a_synthetic_network_runs_with_every_check() {
    let sim = run(Setup::synthetic(150, 6).unwrap(), SimConfig::new(5).steps_per_day(60), 3);
    let s = sim.stats();
    assert!(s.accepted > 100, "{s:?}");
    // Transfers crossed entities both ways (E1 sells at title on shipment, E2 on
    // receipt), and the books reconcile.
    assert!(sim.network().ledger().transfers().count() > 0, "{s:?}");
}

#[test]
fn throughput_mode_checks_nothing_but_still_runs_deterministically() {
    let go = || {
        let config = SimConfig::new(9).steps_per_day(80).checks(Checks::None);
        let mut sim = Sim::new(Setup::synthetic(300, 9).unwrap(), config).unwrap();
        sim.run(3).unwrap();
        sim.trace_digest()
    };
    assert_eq!(go(), go());
}

#[test]
fn a_failure_names_its_seed_day_and_step() {
    // A setup that cannot be simulated fails at day 0, step 0, with its seed.
    let mut setup = Setup::demo().unwrap();
    setup.prices.clear();
    let f = Sim::new(setup, SimConfig::new(31)).unwrap_err();
    let text = f.to_string();
    assert!(text.contains("seed 31") && text.contains("day 0, step 0"), "{text}");
}

#[test]
fn an_item_without_a_reference_cost_keeps_every_engine_in_step() {
    for seed in 0..16 {
        let setup = Setup::demo().unwrap().without_reference_cost(&"GLOVE-LTX".parse().unwrap());
        run(setup, SimConfig::new(seed).steps_per_day(60), 4);
    }
}

/// Forty days on the synthetic network fill orders: every month's line fill rate against
/// the requested date is a real share, not zero. (It was 0% in February: customers
/// ordered from sites whose stock could not reach them, for delivery sooner than any
/// lane could bring it, and the warehouse picked part of a few random lines, so lines
/// were never shipped in full on time.) Shipments name their order line, and transfer
/// lines may ship in parts, so the feed matches every shipment.
#[test]
fn forty_synthetic_days_fill_order_lines() {
    use onhand::insight::{Dim, Grain, Period};
    use onhand::rust_decimal::Decimal;
    let setup = Setup::synthetic(200, 9).unwrap();
    let first = Period::containing(Grain::Month, setup.start.date_naive());
    let sim = run(setup, SimConfig::new(1).steps_per_day(60).checks(Checks::None), 40);
    let net = sim.network();
    let stats = net.insight_feed().unwrap();
    // Every record taken, every shipment matched (transfer lines shipped in parts too).
    assert_eq!((stats.refused, stats.unmatched), (0, 0), "{stats:?}");
    for period in [first, first.next()] {
        let report = net.kpi_report(period).unwrap();
        let orders = report.orders.iter().find(|(d, _)| *d == Dim::Network).map(|(_, o)| o);
        let lines = orders.unwrap().fill_requested.lines;
        assert!(lines.denominator >= Decimal::from(50), "{period}: {lines:?}");
        // At least a quarter of the lines shipped in full by their ship-by date.
        assert!(
            lines.numerator * Decimal::from(4) >= lines.denominator,
            "{period}: line fill {lines:?}"
        );
    }
}
