//! The `valuation_workload` bench's FIFO workload (issue 14), applied once through
//! [`Valuation::apply_into`], for instruction counts and simulated cache misses per
//! movement under callgrind (which counts what a loaded machine's timings blur).
//!
//! ```text
//! cargo build --release -p onhand-benches --example valuation_calls
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/valuation.cg \
//!   --toggle-collect=valuation_calls::measured target/release/examples/valuation_calls 10000
//! ```
//!
//! The argument is the item count (10,000 or 1); a second one cuts the movements short
//! (1,000,000 by default). Only `measured` is counted (building the events is not):
//! divide the instruction count by the movement count printed.

use std::hint::black_box;

use onhand_benches::fifo_workload::{Setup, scenario};
use onhand_valuation::{CostEvent, Posting, Valuation};

/// The counted part: every movement through `Valuation::apply_into`, the posting lines
/// into one buffer.
#[inline(never)]
fn measured(v: &mut Valuation, events: &[CostEvent], buffer: &mut Vec<Posting>) -> usize {
    let mut refused = 0;
    for e in events {
        buffer.clear();
        refused += usize::from(v.apply_into(black_box(e), buffer).is_err());
    }
    refused
}

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>().ok());
    let items = args.next().flatten().unwrap_or(10_000);
    let cut = args.next().flatten();
    let setup = Setup::new(items);
    let (moves, _) = scenario(items);
    let events: Vec<CostEvent> = moves
        .iter()
        .take(cut.unwrap_or(usize::MAX))
        .enumerate()
        .map(|(n, m)| setup.event(n, *m))
        .collect();
    let mut v = setup.engine();
    let mut buffer = Vec::new();
    let refused = measured(&mut v, &events, &mut buffer);
    assert_eq!(refused, 0, "every movement is accepted");
    println!("{} movements on {items} items applied", events.len());
}
