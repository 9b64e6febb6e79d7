#![allow(missing_docs, reason = "criterion_group! generates an undocumented function")]
// Bench inputs are drawn with integer arithmetic; sizes print as floats.
#![allow(
    clippy::cast_precision_loss,
    clippy::float_arithmetic,
    clippy::too_many_lines,
    clippy::many_single_char_names
)]
//! KPIs and detectors (`onhand-insight`).
//!
//! - `insight_kpi/apply`: KPI updates, one `Insight::apply` per record (and
//!   `insight_kpi/apply_all`, the batch call with its look-ahead), over a mix of
//!   1,000,000 records in time order (order lines created, promised, shipped and
//!   delivered; transfers requested, approved, shipped, received and closed; counts;
//!   adjustments; supplier receipts; daily demand), against `insight_kpi/bare`, the
//!   same loop reading each record's time only. The target: at least
//!   5,000,000 records a second on one core.
//! - `insight_year/*`: a synthetic year of 8 sites × N items (the issue asks for
//!   100,000 item-sites and about 50 million records), generated day by day while it
//!   is taken in: `generate` is the generator alone, `ingest` generator plus
//!   `Insight::apply`, and `detect` every detector and score on the year's state
//!   (`detect`, `stockout_risk`, `score_transfers`, `safety_stock`). The target: under
//!   10 seconds. The default is 12,500 item-sites; `INSIGHT_ITEM_SITES=100000` runs
//!   the full size. The state's resident memory is printed once per size.
//!
//! Run: `cargo bench -p onhand-benches --bench insight`.

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use onhand_benches::Lcg;
use onhand_benches::insight_mix::{Codes, SITES, config, doc, kpi_mix, time};
use onhand_insight::{
    Adjusted, CountRecorded, DamageKind, DemandObserved, DetectConfig, Insight, LeadTimeObserved,
    LineRef, OrderLineCreated, OrderLinePromised, PlanConfig, PositionObserved, Record, Scheduled,
    StockDamaged, SupplierReceipt, TransferApproved, TransferReceived, TransferRef,
    TransferRequested, TransferShipped,
};
use onhand_master::{Decimal, LaneSource, QtyDelta, VelocityClass};

fn kpi(c: &mut Criterion) {
    const N: usize = 1_000_000;
    let recs = std::sync::OnceLock::new();
    let recs = || {
        recs.get_or_init(|| {
            let recs = kpi_mix(N);
            // Checked once, so a broken engine cannot post a fast time.
            let s = Insight::from_records(config(), &recs).expect("every record is accepted");
            assert_eq!(s.records(), N as u64);
            recs
        })
    };
    let mut g = c.benchmark_group("insight_kpi");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(10);
    g.bench_function("apply", |b| {
        let recs = recs();
        b.iter_batched(
            || Insight::new(config()).expect("config"),
            |mut s| {
                for r in recs {
                    let _ = s.apply(black_box(r));
                }
                s
            },
            BatchSize::LargeInput,
        );
    });
    g.bench_function("apply_all", |b| {
        let recs = recs();
        b.iter_batched(
            || Insight::new(config()).expect("config"),
            |mut s| {
                s.apply_all(black_box(recs)).expect("accepted");
                s
            },
            BatchSize::LargeInput,
        );
    });
    g.bench_function("bare", |b| {
        let recs = recs();
        b.iter(|| {
            let mut acc = 0i64;
            for r in recs {
                acc = acc.wrapping_add(black_box(r).at().timestamp());
            }
            acc
        });
    });
    g.finish();
}

/// A synthetic year, generated a day at a time in time order.
struct Year {
    c: Codes,
    items: usize,
    rng: Lcg,
    transfers: u64,
    lines: u64,
    /// Transfers shipped, waiting for their receipt day: (day, ref).
    in_flight: Vec<(i64, TransferRef)>,
}

const BAD_SUPPLIER: usize = 11;

impl Year {
    fn new(items: usize) -> Year {
        Year {
            c: Codes::new(items),
            items,
            rng: Lcg(99),
            transfers: 0,
            lines: 0,
            in_flight: Vec::new(),
        }
    }

    fn item_sites(&self) -> usize {
        self.items * SITES
    }

    /// Appends day `d`'s records, in time order, to `out` (cleared first).
    fn day(&mut self, d: i64, out: &mut Vec<Record>) {
        out.clear();
        let base = d * 86_400;
        let c = &self.c;
        let n = self.item_sites();
        // 01:00 transfers received, 02:00 requested, approved 03:00, shipped 04:00.
        let mut still = Vec::with_capacity(self.in_flight.len());
        for (due, tr) in self.in_flight.drain(..) {
            if due <= d {
                out.push(Record::TransferReceived(TransferReceived {
                    at: time(base + 3_600),
                    transfer: tr,
                    qty: c.qty(10),
                    short: c.qty(0),
                    over: c.qty(0),
                    damaged: c.qty(0),
                }));
            } else {
                still.push((due, tr));
            }
        }
        self.in_flight = still;
        let lanes = SITES * (SITES - 1);
        let mut new = Vec::new();
        for lane in 0..lanes {
            let (from, k) = (lane / (SITES - 1), lane % (SITES - 1));
            let to = (from + 1 + k) % SITES;
            let mut count = 4 + self.rng.below(5);
            if lane == 3 && d == 200 {
                count = 60; // a planted spike
            }
            for _ in 0..count {
                self.transfers += 1;
                let tr = TransferRef { transfer: doc("TO", self.transfers), line: 1 };
                let item = &c.items[usize::try_from(self.rng.below(40)).unwrap_or(0) + lane % 50];
                out.push(Record::TransferRequested(TransferRequested {
                    at: time(base + 7_200),
                    transfer: tr.clone(),
                    from: c.sites[from].clone(),
                    to: c.sites[to].clone(),
                    item: item.clone(),
                    qty: c.qty(10),
                    value: c.usd(10_000),
                    expected_arrival: None,
                    transport_cost: Some(c.usd(2_000)),
                    purchase_cost: Some(c.usd(12_000)),
                }));
                new.push(tr);
            }
        }
        for tr in &new {
            out.push(Record::TransferApproved(TransferApproved {
                at: time(base + 10_800),
                transfer: tr.clone(),
            }));
        }
        for tr in new {
            out.push(Record::TransferShipped(TransferShipped {
                at: time(base + 14_400),
                transfer: tr.clone(),
                qty: c.qty(10),
                expected_arrival: None,
            }));
            let due = d + 1 + self.rng.int(4);
            self.in_flight.push((due, tr));
        }
        // 05:00-20:00: counts (every item-site about monthly), at hours spread over
        // shifts, then receipts (every two weeks) with lead times, then adjustments.
        let mut counts: Vec<(i64, usize)> = Vec::new();
        for i in (usize::try_from(d % 30).unwrap_or(0)..n).step_by(30) {
            counts.push((5 + i64::try_from(i % 15).unwrap_or(0), i));
        }
        counts.sort_unstable();
        for (h, i) in counts {
            let (item, s) = (i / SITES, i % SITES);
            let bad = i % 1_000 == 7; // a planted recurring variance every 1,000 item-sites
            let out_of_tol = self.rng.below(100) < if bad { 60 } else { 3 };
            out.push(Record::CountRecorded(CountRecorded {
                at: time(base + h * 3_600),
                item: c.items[item].clone(),
                site: c.sites[s].clone(),
                bin: None,
                class: VelocityClass::B,
                counter: c.counters[s * 3 + item % 3].clone(),
                book: c.qty(100),
                counted: c.qty(if out_of_tol { 95 } else { 100 }),
                tolerance: c.qty(2),
                variance_value: c.usd(if out_of_tol { -500 } else { 0 }),
            }));
        }
        for i in (usize::try_from(d % 14).unwrap_or(0)..n).step_by(14) {
            let (item, s) = (i / SITES, i % SITES);
            let sup = i % 12;
            let at = time(base + 72_000);
            out.push(Record::SupplierReceipt(SupplierReceipt {
                at,
                supplier: c.suppliers[sup].clone(),
                item: c.items[item].clone(),
                site: c.sites[s].clone(),
                qty: c.qty(100),
                value: c.usd(100_000),
            }));
            let lt = 5 + self.rng.int(5);
            let received = at.date_naive();
            out.push(Record::LeadTimeObserved(LeadTimeObserved {
                at,
                item: c.items[item].clone(),
                source: LaneSource::Supplier(c.suppliers[sup].clone()),
                site: c.sites[s].clone(),
                ordered: received - chrono::Days::new(u64::try_from(lt).unwrap_or(0)),
                received,
            }));
        }
        // 21:00: damage after the bad supplier's receipts (two days after), and
        // background shrink on 0.5 % of item-sites.
        for i in (usize::try_from((d + 12) % 14).unwrap_or(0)..n).step_by(14) {
            if i % 12 == BAD_SUPPLIER && self.rng.below(100) < 40 {
                out.push(Record::StockDamaged(StockDamaged {
                    at: time(base + 75_600),
                    item: c.items[i / SITES].clone(),
                    site: c.sites[i % SITES].clone(),
                    kind: DamageKind::Damaged,
                    qty: c.qty(5),
                    value: c.usd(5_000),
                }));
            }
        }
        for _ in 0..n / 200 {
            let i = usize::try_from(self.rng.below(n as u64)).unwrap_or(0);
            out.push(Record::Adjusted(Adjusted {
                at: time(base + 75_600),
                item: c.items[i / SITES].clone(),
                site: c.sites[i % SITES].clone(),
                reason: c.reasons[2].clone(),
                actor: c.counters[0].clone(),
                delta: QtyDelta::new(Decimal::from(-1), c.ea),
                value: c.usd(-1_000),
            }));
        }
        // 22:00: a few promised order lines (for transfer scoring's customer impact).
        for _ in 0..n / 100 {
            self.lines += 1;
            let i = usize::try_from(self.rng.below(n as u64)).unwrap_or(0);
            let line = LineRef { order: doc("SO", self.lines), line: 1 };
            let req = time(base + 86_400 * 5).date_naive();
            out.push(Record::OrderLineCreated(OrderLineCreated {
                at: time(base + 79_200),
                line: line.clone(),
                customer: c.customer.clone(),
                group: c.groups[0].clone(),
                item: c.items[i / SITES].clone(),
                qty: c.qty(5),
                requested: req,
                priority: 1,
            }));
            out.push(Record::OrderLinePromised(OrderLinePromised {
                at: time(base + 79_200),
                line,
                schedule: vec![Scheduled {
                    site: c.sites[i % SITES].clone(),
                    qty: c.qty(5),
                    date: req,
                }],
            }));
        }
        // 23:00: the day's demand of every item-site; weekly positions.
        let day = time(base).date_naive();
        for i in 0..n {
            let q = 5 + self.rng.int(20);
            out.push(Record::DemandObserved(DemandObserved {
                at: time(base + 82_800),
                day,
                item: c.items[i / SITES].clone(),
                site: c.sites[i % SITES].clone(),
                qty: c.qty(q),
            }));
        }
        for i in (usize::try_from(d % 7).unwrap_or(0)..n).step_by(7) {
            let oh = self.rng.int(300);
            out.push(Record::PositionObserved(PositionObserved {
                at: time(base + 84_600),
                item: c.items[i / SITES].clone(),
                site: c.sites[i % SITES].clone(),
                on_hand: c.qty(oh),
                position: QtyDelta::new(Decimal::from(oh + 100), c.ea),
                safety_stock: Some(c.qty(40)),
                next_receipt: None,
            }));
        }
    }
}

fn rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn ingest(items: usize) -> (Insight, u64) {
    let mut y = Year::new(items);
    let mut s = Insight::new(config()).expect("config");
    let mut buf = Vec::new();
    let mut n = 0u64;
    for d in 0..365 {
        y.day(d, &mut buf);
        s.apply_all(&buf).expect("accepted");
        n += buf.len() as u64;
    }
    (s, n)
}

fn detect_all(s: &Insight) -> usize {
    let as_of = NaiveDate::from_ymd_opt(2027, 1, 3).expect("date");
    let f = s.detect(as_of, &DetectConfig::default()).expect("detect");
    let plan = PlanConfig::default();
    let risk = s.stockout_risk(as_of, &plan);
    let scores = s.score_transfers(as_of, &plan);
    let ss = s.safety_stock(as_of, &plan).expect("safety stock");
    f.anomalies.len() + risk.item_sites.len() + scores.len() + ss.len()
}

fn year(c: &mut Criterion) {
    let item_sites: usize =
        std::env::var("INSIGHT_ITEM_SITES").ok().and_then(|v| v.parse().ok()).unwrap_or(12_500);
    let items = (item_sites / SITES).max(1);
    // The year's record count, from one generation pass (cheap beside the ingest).
    let records = {
        let mut y = Year::new(items);
        let mut buf = Vec::new();
        (0..365)
            .map(|d| {
                y.day(d, &mut buf);
                buf.len() as u64
            })
            .sum::<u64>()
    };
    let mut g = c.benchmark_group("insight_year");
    g.sample_size(10);
    g.throughput(Throughput::Elements(records));
    let id = |name| BenchmarkId::new(name, items * SITES);
    g.bench_function(id("generate"), |b| {
        b.iter(|| {
            let mut y = Year::new(items);
            let mut buf = Vec::new();
            let mut n = 0usize;
            for d in 0..365 {
                y.day(d, &mut buf);
                n += black_box(&buf).len();
            }
            n
        });
    });
    g.bench_function(id("ingest"), |b| b.iter(|| ingest(items).1));
    g.throughput(Throughput::Elements((items * SITES) as u64));
    let built = std::sync::OnceLock::new();
    g.bench_function(id("detect"), |b| {
        let state = built.get_or_init(|| build(items, records));
        b.iter(|| detect_all(black_box(state)));
    });
    g.finish();
}

/// The year's state, built once, with its ingest time and resident memory printed.
fn build(items: usize, records: u64) -> Insight {
    let before = rss_kib();
    // One ingest, timed once (criterion times `ingest` itself; at the full size its
    // ten samples take minutes, so this single figure is printed beside them).
    #[allow(clippy::disallowed_methods, reason = "a one-off setup timing, printed")]
    let started = std::time::Instant::now();
    let (state, _) = ingest(items);
    let ingest_secs = started.elapsed().as_secs_f64();
    let after = rss_kib();
    // Checked once: the planted supplier and a planted item-site are found.
    let as_of = NaiveDate::from_ymd_opt(2027, 1, 3).expect("date");
    let f = state.detect(as_of, &DetectConfig::default()).expect("detect");
    assert!(f.anomalies.iter().any(
        |a| matches!(&a.subject, onhand_insight::Subject::Supplier(s) if s.as_str() == "SUP11")
    ));
    assert!(
        f.anomalies.iter().any(|a| matches!(&a.subject, onhand_insight::Subject::ItemSite { .. }))
    );
    eprintln!(
        "insight_year: {} item-sites, {records} records; one ingest {ingest_secs:.1} s; state resident memory {} MiB",
        items * SITES,
        match (before, after) {
            (Some(b), Some(a)) => format!("{:.0}", a.saturating_sub(b) as f64 / 1024.0),
            _ => "?".into(),
        }
    );
    state
}

criterion_group!(benches, kpi, year);
criterion_main!(benches);
