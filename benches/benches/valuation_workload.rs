#![allow(missing_docs)] // criterion_group! generates an undocumented function
//! FIFO valuation at scale: the workload of issue 14, built exactly as it specifies, so
//! its figures compare with `ERPNext`'s `FIFOValuation` on the same machine.
//!
//! - **Generator**: `SplitMix64`, seed 42, a fresh generator per scenario;
//!   `draw(lo, hi) = lo + next() % (hi - lo + 1)`.
//! - **Each step draws**, in order: `item = draw(0, 9999)` (10,000-item shape only),
//!   `rq = draw(1, 100)`, `rc = draw(100, 5000)` (cents), `iq = draw(1, 80)`; it receives
//!   `rq` units at `rc / 100`, then issues `iq` units to a sale if the item holds at least
//!   `iq`. The scenario stops at exactly 1,000,000 movements (receipts and issues).
//! - **Check**: the final inventory value equals an exact integer FIFO model of the
//!   same steps (cents), from `onhand_testkit::fifo_workload` (which the
//!   `fifo_workload` example of `onhand-valuation` shares); every movement is accepted.
//!
//! Groups (throughput in movements, each valued with its postings produced):
//! - `workload/items_10000` and `workload/one_item`: an empty engine per iteration, all
//!   1,000,000 movements applied one by one (the events are built outside the timing).
//!   `workload/items_10000_into` and `workload/one_item_into`: the same through
//!   `Valuation::apply_into`, the posting lines going into one buffer the caller clears
//!   and reuses (no heap allocation per movement).
//!   `workload/items_10000_batch` and `workload/one_item_batch`: the same through
//!   `Valuation::apply_batch`, 256 events at a time into one buffer cleared after
//!   each run (the batch reads each run's pools ahead, 16 events at a time).
//!   `workload/items_10000_bare` and `workload/one_item_bare`: the bare baseline, in
//!   the same run: the same movements on a plain integer FIFO (one `VecDeque` of
//!   (units, cents) layers per item, a receipt at the newest layer's cost merging into
//!   it), each issue's value in cents summed, no engine and no postings. The engine's
//!   time over this one is what valuing, posting and keeping history cost.
//! - `deep_queue/{layers}`: one item whose FIFO queue holds `layers` layers at alternating
//!   costs; each movement is a receipt of 1 EA or an issue of 1 EA, so the queue length
//!   stays where it is. The time per movement is the same at 1,000 and 1,000,000
//!   layers: a receipt and an issue cost O(1) whatever the queue length.
//! - `dry_run/*`: `Valuation::check_all` of two returns to supplier against one receipt
//!   on the engine after the 10,000-item workload, beside `check` of one alone and a
//!   copy of the engine (what `check_all` cost before it undid instead of copying).
//! - `memory` (printed first, once, and asserted): the resident set growth and peak of
//!   an engine after the one-item scenario's 1,000,000 movements with no period close
//!   (events made on the fly, so only the engine is measured). The bound is 200 MB.

use std::collections::VecDeque;
use std::hint::black_box;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use onhand_master::{Catalog, CurrencyCode, EntityCode, Money, Qty, SiteCode, UomCode};
use onhand_testkit::fifo_workload::{Move, moves};
use onhand_testkit::scale;
use onhand_valuation::{
    CostBody, CostEvent, IssueTo, Outcome, PostingKey, Valuation, ValuationConfig,
};
use rust_decimal::Decimal;

const MOVEMENTS: usize = 1_000_000;
const T0: i64 = 1_767_600_000;

struct Setup {
    catalog: Arc<Catalog>,
    site: SiteCode,
    ea: UomCode,
    usd: CurrencyCode,
    items: usize,
}

impl Setup {
    fn new(items: usize) -> Self {
        Setup {
            catalog: Arc::new(
                Catalog::new(scale::network(items, 1, false)).expect("valid synthetic network"),
            ),
            site: scale::site_code(0),
            ea: UomCode::new("EA").expect("unit"),
            usd: CurrencyCode::new("USD").expect("currency"),
            items,
        }
    }

    fn engine(&self) -> Valuation {
        Valuation::new(self.catalog.clone(), ValuationConfig::default()).expect("valuation")
    }

    /// Movement `n` (from 0) as cost event `n + 1`, one second after the previous one.
    fn event(&self, n: usize, m: Move) -> CostEvent {
        let id = n as u64 + 1;
        let at = DateTime::<Utc>::from_timestamp(T0 + i64::try_from(n).expect("small"), 0)
            .expect("time");
        let body = match m {
            Move::Receive { item, qty, cents } => CostBody::Receipt {
                site: self.site.clone(),
                item: scale::item_code(item),
                qty: Qty::new(Decimal::from(qty), self.ea).expect("qty"),
                unit_cost: Money::new(
                    Decimal::new(i64::try_from(cents).expect("small"), 2),
                    self.usd,
                ),
                owner: None,
            },
            Move::Issue { item, qty } => CostBody::Issue {
                site: self.site.clone(),
                item: scale::item_code(item),
                qty: Qty::new(Decimal::from(qty), self.ea).expect("qty"),
                to: IssueTo::Sale,
                owner: None,
            },
        };
        CostEvent { id, at, body }
    }

    fn entity() -> EntityCode {
        EntityCode::new("E1").expect("entity")
    }
}

/// The bare baseline: `moves` on a plain integer FIFO, one queue of (units, cents)
/// layers per item; the value issued and the value left, in cents. Every issue must be
/// covered (the scenario issues only what the item holds).
fn bare_fifo(items: usize, moves: &[Move]) -> (i128, i128) {
    let mut queues: Vec<VecDeque<(u64, u64)>> = vec![VecDeque::new(); items];
    let mut issued: i128 = 0;
    for m in moves {
        match *m {
            Move::Receive { item, qty, cents } => {
                let q = &mut queues[item];
                match q.back_mut() {
                    Some(last) if last.1 == cents => last.0 += qty,
                    _ => q.push_back((qty, cents)),
                }
            }
            Move::Issue { item, qty } => {
                let q = &mut queues[item];
                let mut left = qty;
                while left > 0 {
                    let front = q.front_mut().expect("the scenario issues only held stock");
                    let take = left.min(front.0);
                    issued += i128::from(take) * i128::from(front.1);
                    front.0 -= take;
                    left -= take;
                    if front.0 == 0 {
                        q.pop_front();
                    }
                }
            }
        }
    }
    let left = queues.iter().flatten().map(|&(qty, cents)| i128::from(qty) * i128::from(cents));
    (issued, left.sum())
}

/// Applies every event; the posting lines made (every event must be accepted).
fn apply_all(v: &mut Valuation, events: &[CostEvent]) -> usize {
    let mut lines = 0;
    for e in events {
        match v.apply(e) {
            Ok(Outcome::Posted { postings, .. }) => lines += postings.len(),
            other => panic!("event {} not posted: {other:?}", e.id),
        }
    }
    lines
}

fn statm_pages(field: usize) -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    statm.split_whitespace().nth(field)?.parse().ok()
}

/// The process's peak resident set (`VmHWM`), in bytes.
fn peak_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The one-item scenario on one engine, no period close, events made on the fly: the
/// engine's resident growth and the process's peak growth must stay under 200 MB.
fn memory(_: &mut Criterion) {
    let setup = Setup::new(1);
    let (moves, want) = moves(1, MOVEMENTS);
    let mut v = setup.engine();
    let before = statm_pages(1).map(|p| p * 4096);
    let peak_before = peak_bytes();
    for (n, m) in moves.iter().enumerate() {
        let e = setup.event(n, *m);
        assert!(matches!(v.apply(&e), Ok(Outcome::Posted { .. })), "event {} refused", e.id);
    }
    let after = statm_pages(1).map(|p| p * 4096);
    let peak = peak_bytes();
    let value = v.inventory_value(&Setup::entity());
    assert_eq!(value, Decimal::from_i128_with_scale(want, 2), "one item: value vs reference");
    if let (Some(b), Some(a), Some(pb), Some(p)) = (before, after, peak_before, peak) {
        let growth = a.saturating_sub(b);
        // The events' vector is freed before the engine is measured; the peak counts
        // from the resident set at the start (never below it).
        let peak_growth = p.saturating_sub(pb.max(b));
        let layers = v.pools().first().map_or(0, |p| p.layers.len());
        eprintln!(
            "valuation memory: {MOVEMENTS} movements on one item, no period close: \
             {}.{} MB resident growth, peak {}.{} MB above the start \
             ({layers} live layers at the end); bound 200 MB",
            growth / 1_000_000,
            growth / 100_000 % 10,
            peak_growth / 1_000_000,
            peak_growth / 100_000 % 10,
        );
        assert!(growth < 200_000_000, "the engine holds {growth} bytes after 1M movements");
    }
    black_box(v);
}

fn workload(c: &mut Criterion) {
    let mut g = c.benchmark_group("workload");
    g.sample_size(10);
    for (name, items) in [("items_10000", 10_000), ("one_item", 1)] {
        let setup = Setup::new(items);
        let (moves, want) = moves(setup.items, MOVEMENTS);
        let events: Vec<CostEvent> =
            moves.iter().enumerate().map(|(n, m)| setup.event(n, *m)).collect();
        let mut v = setup.engine();
        let lines = apply_all(&mut v, &events);
        let value = v.inventory_value(&Setup::entity());
        assert_eq!(value, Decimal::from_i128_with_scale(want, 2), "{name}: value vs reference");
        let issues = moves.iter().filter(|m| matches!(m, Move::Issue { .. })).count();
        eprintln!(
            "valuation/workload/{name}: {} movements ({issues} issues), {lines} posting lines, \
             final value {value} USD (reference {want} cents)",
            events.len()
        );
        drop(v);
        g.throughput(Throughput::Elements(events.len() as u64));
        // The bare baseline first: the same movements on a plain integer FIFO.
        assert_eq!(bare_fifo(items, &moves).1, want, "{name}: bare FIFO vs reference");
        g.bench_function(format!("{name}_bare"), |b| {
            b.iter(|| black_box(bare_fifo(items, black_box(&moves))));
        });
        g.bench_function(name, |b| {
            b.iter_batched(
                || setup.engine(),
                |mut v| {
                    for e in &events {
                        black_box(v.apply(e).ok());
                    }
                    v
                },
                BatchSize::PerIteration,
            );
        });
        // The same through `apply_into`, the lines into one buffer the caller reuses: no
        // heap allocation per movement. The same lines and the same final value.
        let mut v = setup.engine();
        let mut buffer = Vec::new();
        let mut into_lines = 0;
        let mut cost_of_sales = Decimal::ZERO;
        for e in &events {
            buffer.clear();
            assert!(v.apply_into(e, &mut buffer).is_ok(), "event {} not posted", e.id);
            into_lines += buffer.len();
            for p in buffer.iter().filter(|p| p.key == PostingKey::CostOfSales) {
                cost_of_sales += p.amount;
            }
        }
        assert_eq!((into_lines, v.inventory_value(&Setup::entity())), (lines, value));
        // The baseline issues what the engine issues, to the cent.
        let (bare_issued, _) = bare_fifo(items, &moves);
        assert_eq!(cost_of_sales, Decimal::from_i128_with_scale(bare_issued, 2), "{name}: issued");
        drop(v);
        g.bench_function(format!("{name}_into"), |b| {
            b.iter_batched(
                || (setup.engine(), Vec::new()),
                |(mut v, mut buffer)| {
                    for e in &events {
                        buffer.clear();
                        black_box(v.apply_into(e, &mut buffer).ok());
                    }
                    (v, buffer)
                },
                BatchSize::PerIteration,
            );
        });
        // The same through `apply_batch`, runs of `RUN` events into one buffer cleared
        // after each run: the same lines and the same final value.
        let mut v = setup.engine();
        let (mut batch_lines, mut refused) = (0, 0);
        for run in events.chunks(RUN) {
            buffer.clear();
            v.apply_batch(run, &mut buffer, |_, done| refused += usize::from(done.is_err()));
            batch_lines += buffer.len();
        }
        assert_eq!((refused, batch_lines, v.inventory_value(&Setup::entity())), (0, lines, value));
        drop(v);
        g.bench_function(format!("{name}_batch"), |b| {
            b.iter_batched(
                || (setup.engine(), Vec::new()),
                |(mut v, mut buffer)| {
                    for run in events.chunks(RUN) {
                        buffer.clear();
                        v.apply_batch(run, &mut buffer, |_, done| {
                            black_box(done.ok());
                        });
                    }
                    (v, buffer)
                },
                BatchSize::PerIteration,
            );
        });
    }
    g.finish();
}

/// How many events the `_batch` groups hand [`Valuation::apply_batch`] at a time.
const RUN: usize = 256;

#[allow(clippy::many_single_char_names)] // criterion's `c`, `g`, `b`; the engine `v`; counter `n`
fn deep_queue(c: &mut Criterion) {
    const BATCH: usize = 10_000;
    let setup = Setup::new(1);
    let mut g = c.benchmark_group("deep_queue");
    g.sample_size(10);
    for layers in [1_000usize, 1_000_000] {
        let mut v = setup.engine();
        let mut n = 0usize;
        let next = |issue: bool, n: &mut usize| {
            let m = if issue {
                Move::Issue { item: 0, qty: 1 }
            } else {
                Move::Receive { item: 0, qty: 1, cents: 100 + (*n as u64 % 2) }
            };
            let e = setup.event(*n, m);
            *n += 1;
            e
        };
        for _ in 0..layers {
            let e = next(false, &mut n);
            v.apply(&e).expect("receipt");
        }
        let held = v.pools().first().map_or(0, |p| p.layers.len());
        assert_eq!(held, layers, "one layer per receipt");
        g.throughput(Throughput::Elements(BATCH as u64));
        g.bench_function(BenchmarkId::from_parameter(layers), |b| {
            b.iter_batched(
                || (0..BATCH).map(|k| next(k % 2 == 1, &mut n)).collect::<Vec<_>>(),
                |batch| {
                    for e in &batch {
                        black_box(v.apply(e).ok());
                    }
                    batch
                },
                BatchSize::PerIteration,
            );
        });
        let held = v.pools().first().map_or(0, |p| p.layers.len());
        assert!(held.abs_diff(layers) <= 1, "the queue stays {layers} long: {held}");
    }
    g.finish();
}

/// `dry_run/*`: on the engine after the 10,000-item workload (1,000,000 movements), two
/// returns to supplier of 1 EA against one receipt (one pool, so `check_all` applies
/// them in turn and undoes them). In the same run: `check_one`, planning one of them
/// alone (`check`, the least a dry run costs); and `clone_engine`, copying the engine,
/// which is what `check_all` did before it could undo.
#[allow(clippy::many_single_char_names)] // criterion's `c`, `g`, `b`; the engine `v`
fn dry_run(c: &mut Criterion) {
    let setup = Setup::new(10_000);
    let (moves, _) = moves(setup.items, MOVEMENTS);
    let mut v = setup.engine();
    for (n, m) in moves.iter().enumerate() {
        let e = setup.event(n, *m);
        assert!(matches!(v.apply(&e), Ok(Outcome::Posted { .. })), "event {} refused", e.id);
    }
    // The newest receipt of at least 2 EA with no issue of its item after it: its
    // layer still holds what it brought.
    let issued_after = |k: usize, item: usize| {
        moves[k..].iter().any(|m| matches!(m, Move::Issue { item: i, .. } if *i == item))
    };
    let receipt = moves
        .iter()
        .enumerate()
        .rev()
        .find_map(|(n, m)| match *m {
            Move::Receive { item, qty, .. } if qty >= 2 && !issued_after(n, item) => Some(n),
            _ => None,
        })
        .expect("a receipt still held");
    let back = |k: usize| {
        let n = moves.len() + k;
        let at = DateTime::<Utc>::from_timestamp(T0 + i64::try_from(n).expect("small"), 0)
            .expect("time");
        let qty = Qty::new(Decimal::ONE, setup.ea).expect("qty");
        CostEvent {
            id: n as u64 + 1,
            at,
            body: CostBody::SupplierReturn { receipt: receipt as u64 + 1, qty },
        }
    };
    let evs = [back(0), back(1)];
    assert_eq!(v.check_all(&evs), Ok(()), "two returns within the receipt");
    let mut g = c.benchmark_group("dry_run");
    g.sample_size(10);
    g.bench_function("check_one", |b| b.iter(|| black_box(v.check(black_box(&evs[0])))));
    g.bench_function("check_all_two", |b| b.iter(|| black_box(v.check_all(black_box(&evs)))));
    g.bench_function("clone_engine", |b| b.iter(|| black_box(v.clone())));
    g.finish();
}

criterion_group!(benches, memory, workload, deep_queue, dry_run);
criterion_main!(benches);
