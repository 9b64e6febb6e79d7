//! The FIFO workload of issue 14 (the `valuation_workload` bench's), without criterion:
//! for profiling with instruction counts.
//!
//! ```text
//! cargo build --release -p onhand-valuation --example fifo_workload
//! valgrind --tool=callgrind --toggle-collect='*apply_all*' \
//!     target/release/examples/fifo_workload items 50000
//! ```
//!
//! The first argument is the shape (`items`: 10,000 items; `one`: one item), the second
//! the number of movements (receipts and issues), the third the costing method of every
//! item (`fifo`, the default, checked against an integer FIFO model; `average`;
//! `standard`, at 25.50), the fourth the entry point (`apply`, the default; `into`:
//! [`Valuation::apply_into`] with one reused buffer; `batch`: [`Valuation::apply_batch`],
//! 256 events at a time into one reused buffer). Only `apply_all` (the engine's work,
//! postings included) is what `--toggle-collect` counts; the events are built before.
//! It also prints the wall-clock time `apply_all` took, which means little on a busy
//! machine (the criterion bench is the measurement), and the minor page faults it took:
//! the fresh pages the engine's growing state touched, a count that does not depend on
//! the machine's load.

use std::hint::black_box;
use std::sync::Arc;

use chrono::DateTime;
use onhand_master::synthetic;
use onhand_master::{Catalog, CurrencyCode, EntityCode, Money, Qty, UomCode};
use onhand_testkit::fifo_workload::{self, Move};
use onhand_valuation::{
    CostBody, CostEvent, IssueTo, Method, MethodOverride, Outcome, Standard, Valuation,
    ValuationConfig,
};
use rust_decimal::Decimal;

/// The events of the scenario and the final value by an integer FIFO model, in cents
/// (the workload and the model: `onhand_testkit::fifo_workload`, shared with the bench).
fn scenario(items: usize, movements: usize) -> (Vec<CostEvent>, i128) {
    let site = synthetic::site_code(0);
    let ea = UomCode::new("EA").expect("unit");
    let usd = CurrencyCode::new("USD").expect("currency");
    let (moves, value) = fifo_workload::moves(items, movements);
    let events = moves
        .iter()
        .enumerate()
        .map(|(n, m)| {
            let body = match *m {
                Move::Receive { item, qty, cents } => CostBody::Receipt {
                    site: site.clone(),
                    item: synthetic::item_code(item),
                    qty: Qty::new(Decimal::from(qty), ea).expect("qty"),
                    unit_cost: Money::new(
                        Decimal::new(i64::try_from(cents).expect("small"), 2),
                        usd,
                    ),
                    owner: None,
                },
                Move::Issue { item, qty } => CostBody::Issue {
                    site: site.clone(),
                    item: synthetic::item_code(item),
                    qty: Qty::new(Decimal::from(qty), ea).expect("qty"),
                    to: IssueTo::Sale,
                    owner: None,
                },
            };
            CostEvent {
                id: n as u64 + 1,
                at: DateTime::from_timestamp(1_767_600_000 + i64::try_from(n).expect("small"), 0)
                    .expect("time"),
                body,
            }
        })
        .collect();
    (events, value)
}

/// Applies every event; the posting lines made. With `into`, through
/// [`Valuation::apply_into`] and one buffer, cleared after each event's lines are counted.
#[inline(never)]
fn apply_all(v: &mut Valuation, events: &[CostEvent], into: Entry) -> usize {
    let mut lines = 0;
    let mut buffer = Vec::new();
    if into == Entry::Batch {
        for run in events.chunks(256) {
            buffer.clear();
            v.apply_batch(run, &mut buffer, |n, done| {
                if let Err(err) = done {
                    panic!("event {} not posted: {err:?}", run.get(n).map_or(0, |e| e.id));
                }
            });
            lines += black_box(&buffer).len();
        }
        return lines;
    }
    let into = into == Entry::Into;
    for e in events {
        let done = if into {
            buffer.clear();
            v.apply_into(e, &mut buffer)
        } else {
            v.apply(e)
        };
        match done {
            Ok(Outcome::Posted { postings, .. }) => {
                lines += black_box(postings).len() + black_box(&buffer).len();
            }
            other => panic!("event {} not posted: {other:?}", e.id),
        }
    }
    lines
}

/// How the events go in: [`Valuation::apply`], [`Valuation::apply_into`] or
/// [`Valuation::apply_batch`] (runs of 256 events, one buffer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    Apply,
    Into,
    Batch,
}

/// The time this thread has spent on a CPU, in nanoseconds (Linux's schedstat): on a
/// busy machine, the time it would have taken with a core to itself, near enough.
fn on_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

/// The minor page faults this thread has taken (Linux's `stat`, field 10): each is a
/// page of fresh memory the kernel zeroed and mapped.
fn minor_faults() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // The command name (field 2) is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')')?.1;
    rest.split_whitespace().nth(7)?.parse().ok()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let items = match args.next().as_deref() {
        Some("one") => 1,
        Some("items") | None => 10_000,
        Some(other) => panic!("shape `{other}`: `items` or `one`"),
    };
    let movements: usize = args.next().map_or(1_000_000, |n| n.parse().expect("a count"));
    let method = match args.next().as_deref() {
        Some("fifo") | None => Method::Fifo,
        Some("average") => Method::MovingAverage,
        Some("standard") => Method::Standard,
        Some(other) => panic!("method `{other}`: `fifo`, `average` or `standard`"),
    };
    let into = match args.next().as_deref() {
        Some("apply") | None => Entry::Apply,
        Some("into") => Entry::Into,
        Some("batch") => Entry::Batch,
        Some(other) => panic!("entry point `{other}`: `apply`, `into` or `batch`"),
    };
    let catalog =
        Arc::new(Catalog::new(synthetic::network(items, 1, false)).expect("synthetic network"));
    let (events, want) = scenario(items, movements);
    let entity = EntityCode::new("E1").expect("entity");
    let mut config = ValuationConfig::default();
    if method != Method::Fifo {
        for k in 0..items {
            let item = synthetic::item_code(k);
            config.methods.push(MethodOverride {
                entity: entity.clone(),
                item: item.clone(),
                method,
            });
            let cost =
                Money::new(Decimal::new(2550, 2), CurrencyCode::new("USD").expect("currency"));
            config.standards.push(Standard { entity: entity.clone(), item, site: None, cost });
        }
    }
    let mut v = Valuation::new(catalog, config).expect("valuation");
    #[allow(
        clippy::disallowed_methods,
        reason = "an example timing itself (the library crates read no clock)"
    )]
    let start = std::time::Instant::now();
    let cpu_start = on_cpu_ns();
    let faults_start = minor_faults();
    let lines = apply_all(&mut v, &events, into);
    let took = start.elapsed();
    let cpu = on_cpu_ns().zip(cpu_start).map(|(b, a)| b.saturating_sub(a));
    let faults = minor_faults().zip(faults_start).map(|(b, a)| b.saturating_sub(a));
    let value = v.inventory_value(&entity);
    if method == Method::Fifo {
        assert_eq!(value, Decimal::from_i128_with_scale(want, 2), "value vs the integer model");
    }
    let n = u128::try_from(events.len()).unwrap_or(0);
    let rate = |ns: u128| {
        let per_sec = n * 1_000_000_000 / ns.max(1);
        format!(
            "{} ms, {}.{:02} M movements/s",
            ns / 1_000_000,
            per_sec / 1_000_000,
            per_sec / 10_000 % 100
        )
    };
    println!(
        "{items} items, {} movements, {lines} posting lines, value {value}; applied: wall clock \
         {}; on the CPU {}; {} page faults",
        events.len(),
        rate(took.as_nanos()),
        cpu.map_or_else(|| "unknown".to_owned(), |ns| rate(u128::from(ns))),
        faults.map_or_else(|| "unknown".to_owned(), |f| f.to_string()),
    );
}
