//! The whole-network simulation (`onhand::sim`) driven by the fuzzer: the input picks
//! the seed, the network (the demo, or a small synthetic one), the number of days and
//! steps, and the weight of every kind of step, so the fuzzer steers the mix towards
//! the sequences that reach new code. Every step runs with every check on (invariants
//! between the engines after every step, balanced postings, intercompany reconciliation,
//! refusals that change nothing; replay from empty and tail replay at the end of every
//! day); any failure panics with its seed, day and step.
//!
//! Input layout: 8 bytes of seed; one byte choosing the network (below 192: the demo;
//! else a synthetic network of 20 to 80 items at 2 to 5 sites); one byte of days (1 to
//! 4); one byte of steps per day (10 to 73); then one weight byte per step kind, in
//! `StepKind::ALL` order (missing kinds weigh 1; all zero is the realistic mix).
#![no_main]

use libfuzzer_sys::fuzz_target;
use onhand::sim::{Mix, Setup, Sim, SimConfig};

fuzz_target!(|data: &[u8]| {
    let byte = |i: usize| data.get(i).copied().unwrap_or(0);
    let mut seed = [0u8; 8];
    for (i, b) in seed.iter_mut().enumerate() {
        *b = byte(i);
    }
    let seed = u64::from_le_bytes(seed);
    let net = byte(8);
    let setup = if net < 192 {
        Setup::demo()
    } else {
        Setup::synthetic(20 + 4 * usize::from((net >> 2) & 0xf), 2 + usize::from(net & 0x3))
    }
    .expect("a valid setup");
    let days = 1 + u32::from(byte(9) % 4);
    let steps = 10 + u32::from(byte(10) % 64);
    let mix = Mix::from_bytes(data.get(11..).unwrap_or(&[]));
    let config = SimConfig::new(seed).steps_per_day(steps).mix(mix);
    let mut sim = Sim::new(setup, config).expect("the setup simulates");
    if let Err(failure) = sim.run(days) {
        panic!("{failure}");
    }
});
