//! The criterion bench `insight_kpi`'s record stream (1,000,000 records in time order:
//! order lines created, promised, shipped and delivered; transfers requested,
//! approved, shipped, received and closed; counts; adjustments; supplier receipts;
//! daily demand), applied once through [`Insight::apply`], for instruction counts per
//! record under callgrind (which counts what a loaded machine's timings blur).
//!
//! ```text
//! cargo build --release -p onhand-benches --example insight_calls
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/insight.cg \
//!   --toggle-collect=insight_calls::measured target/release/examples/insight_calls
//! ```
//!
//! Only `measured` is counted (generating the records is not): divide the instruction
//! count by the record count printed. An optional argument sets the record count.

use std::hint::black_box;

use onhand_benches::insight_mix::{config, kpi_mix};
use onhand_insight::{Insight, Record};

/// The counted part: every record through `Insight::apply`.
#[inline(never)]
fn measured(s: &mut Insight, recs: &[Record]) -> usize {
    let mut refused = 0;
    for r in recs {
        refused += usize::from(s.apply(black_box(r)).is_err());
    }
    refused
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let recs = kpi_mix(n);
    let mut s = Insight::new(config()).expect("config");
    let refused = measured(&mut s, &recs);
    assert_eq!(refused, 0, "every record is accepted");
    println!("{} records applied", s.records());
}
