#![allow(missing_docs)] // criterion_group! generates an undocumented function
//! Throughput of the whole-network simulation (`onhand::sim`): days of generated steps
//! applied through the facade, with the checks off (`Checks::None`: the generator and
//! the network only) and with the per-step checks on (`Checks::Steps`: the network's
//! invariants, balanced postings and reconciliation after every step), on the demo
//! network and on a synthetic network of 1,000 items x 9 sites. One iteration is one
//! simulated day of 200 steps (plus the day's fixed steps), continuing the same run, so
//! the network fills up as a real one does; the element count is the steps run.
//!
//! Run: `cargo bench -p onhand-benches --bench sim`.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use onhand::sim::{Checks, Setup, Sim, SimConfig};

const STEPS: u32 = 200;

/// A named way to build the simulated network.
type NamedSetup = (&'static str, fn() -> Setup);

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("sim");
    group.sample_size(10);
    let setups: [NamedSetup; 2] = [
        ("demo", || Setup::demo().expect("demo setup")),
        ("synthetic_1000x9", || Setup::synthetic(1000, 9).expect("synthetic setup")),
    ];
    for (name, setup) in setups {
        for checks in [Checks::None, Checks::Steps] {
            // Warm the network up with a few days, then time one more day at a time.
            let config = SimConfig::new(42).steps_per_day(STEPS).checks(checks);
            let mut sim = Sim::new(setup(), config).expect("a simulation");
            sim.run(3).expect("the warm-up days pass");
            let before = sim.stats().steps;
            sim.run(1).expect("a day passes");
            let per_day = sim.stats().steps - before;
            assert!(per_day >= u64::from(STEPS));
            group.throughput(Throughput::Elements(per_day));
            group.bench_function(format!("{name}/{checks:?}"), |b| {
                b.iter_batched(
                    || sim.clone(),
                    |mut s| {
                        s.run(1).expect("a day passes");
                        s
                    },
                    BatchSize::LargeInput,
                );
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
