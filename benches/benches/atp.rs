#![allow(missing_docs)] // criterion_group! generates an undocumented function
//! ATP and allocation on 100,000 items x 8 sites (1,000,000 item-sites for the point
//! query). Every group runs a bare baseline in the same run: the same decision as a plain
//! greedy loop over a flat integer array with no rules, so the report can state our time
//! over the baseline's.

use std::hint::black_box;
use std::sync::Arc;

use chrono::NaiveDate;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use onhand_atp::{Atp, AtpConfig, Claim, Day, LineId, Mode, OrderLine, Prepared};
use onhand_benches::Lcg;
use onhand_master::{Catalog, ItemIx, RegionCode, SiteIx};
use onhand_testkit::scale;

const SITES: usize = 8;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 5).expect("date")
}

fn engine(items: usize, stock: i64) -> Atp {
    let catalog =
        Arc::new(Catalog::new(scale::network(items, SITES, false)).expect("valid network"));
    let mut atp = Atp::new(catalog, AtpConfig::default(), today()).expect("engine");
    for i in 0..items {
        for s in 0..SITES {
            let item = ItemIx::new(u32::try_from(i).expect("item"));
            let site = SiteIx::new(u16::try_from(s).expect("site"));
            atp.set_units(item, site, stock).expect("stock");
        }
    }
    atp
}

fn lines(atp: &mut Atp, n: usize, items: usize, rng: &mut Lcg) -> Vec<Prepared> {
    lines_on(atp, n, rng, |r| usize::try_from(r.below(items as u64)).unwrap_or(0))
}

fn lines_on(
    atp: &mut Atp,
    n: usize,
    rng: &mut Lcg,
    mut item_of: impl FnMut(&mut Lcg) -> usize,
) -> Vec<Prepared> {
    let region = RegionCode::new("R1").expect("region");
    (0..n)
        .map(|i| {
            let item = scale::item_code(item_of(rng));
            let qty = format!("{} EA", 1 + rng.below(40)).parse().expect("qty");
            let requested = today() + chrono::Days::new(3 + rng.below(10));
            let mut line = OrderLine::new(LineId(i as u64), item, qty, requested, region.clone());
            line.priority = u8::try_from(1 + rng.below(9)).unwrap_or(5);
            line.allow_split = rng.below(2) == 0;
            atp.prepare(&line).expect("valid line")
        })
        .collect()
}

/// The baseline: a flat array of free units, greedy first-fit over the sites.
fn baseline_allocate(flat: &mut [i64], item: usize, qty: i64) -> bool {
    let base = item * SITES;
    for s in 0..SITES {
        if let Some(free) = flat.get_mut(base + s)
            && *free >= qty
        {
            *free -= qty;
            return true;
        }
    }
    false
}

fn point_query(c: &mut Criterion) {
    let items = 125_000; // 1,000,000 item-sites
    let atp = engine(items, 50);
    let flat: Vec<i64> = vec![50; items * SITES];
    let day = Day::of(today()).expect("day");
    let mut rng = Lcg(7);
    let keys: Vec<(ItemIx, SiteIx)> = (0..4096)
        .map(|_| {
            (
                ItemIx::new(u32::try_from(rng.below(items as u64)).unwrap_or(0)),
                SiteIx::new(u16::try_from(rng.below(SITES as u64)).unwrap_or(0)),
            )
        })
        .collect();
    assert_eq!(onhand_atp::perf::atp_units(&atp, keys[0].0, keys[0].1, day, 5), 50);
    eprintln!(
        "atp memory: {} bytes per item-site cell ({} item-sites, {} MiB of cells)",
        onhand_atp::perf::HOT_BYTES_PER_ITEM_SITE,
        items * SITES,
        (items * SITES * onhand_atp::perf::HOT_BYTES_PER_ITEM_SITE) >> 20
    );
    let mut g = c.benchmark_group("atp_point_query_1m");
    g.throughput(Throughput::Elements(1));
    g.bench_function("onhand_same_key", |b| {
        b.iter(|| {
            onhand_atp::perf::atp_units(&atp, black_box(keys[0].0), black_box(keys[0].1), day, 5)
        });
    });
    g.bench_function("baseline_same_key", |b| {
        b.iter(|| flat[black_box(keys[0].0).index() * SITES + black_box(keys[0].1).index()]);
    });
    let mut i = 0usize;
    g.bench_function("onhand_random_keys", |b| {
        b.iter(|| {
            i = (i + 1) & 4095;
            let (it, st) = keys[i];
            onhand_atp::perf::atp_units(&atp, black_box(it), black_box(st), day, 5)
        });
    });
    let mut j = 0usize;
    g.bench_function("baseline_random_keys", |b| {
        b.iter(|| {
            j = (j + 1) & 4095;
            let (it, st) = keys[j];
            flat[black_box(it).index() * SITES + black_box(st).index()]
        });
    });
    g.finish();
}

fn time_phased_query(c: &mut Criterion) {
    let items = 100_000;
    let mut atp = engine(items, 20);
    // Every 10th item-site has four receipts and two dated promises ahead.
    let mut rng = Lcg(11);
    let catalog = atp.catalog().clone();
    for i in (0..items).step_by(10) {
        let code =
            catalog.item(ItemIx::new(u32::try_from(i).expect("item"))).expect("item").code.clone();
        for s in 0..SITES {
            let site = catalog
                .site(SiteIx::new(u16::try_from(s).expect("site")))
                .expect("site")
                .code
                .clone();
            for _ in 0..4 {
                let when = today() + chrono::Days::new(1 + rng.below(30));
                atp.add_supply(&code, &site, when, "25 EA".parse().expect("qty")).expect("supply");
            }
        }
    }
    // Promises on the items with timelines, so the query walks real change points.
    let batch = lines_on(&mut atp, 20_000, &mut Lcg(3), |r| {
        10 * usize::try_from(r.below((items / 10) as u64)).unwrap_or(0)
    });
    let mut n = 0;
    atp.allocate_stream(&batch, Claim::Hard, |_| n += 1);
    assert_eq!(n, batch.len());
    let item = ItemIx::new(0);
    let site = SiteIx::new(3);
    let day = Day::of(today() + chrono::Days::new(12)).expect("day");
    let flat_cum: Vec<i64> = vec![20, 45, 45, 70, 95, 120, 120];
    let mut g = c.benchmark_group("atp_time_phased_query");
    g.bench_function("onhand", |b| {
        b.iter(|| {
            onhand_atp::perf::atp_units(&atp, black_box(item), black_box(site), black_box(day), 5)
        });
    });
    g.bench_function("baseline_min_over_future", |b| {
        b.iter(|| black_box(&flat_cum).iter().skip(black_box(3)).copied().min().unwrap_or(0));
    });
    g.finish();
}

fn allocate_one(c: &mut Criterion) {
    let items = 100_000;
    // The first seven candidate sites hold too little: every line checks all eight.
    let mut atp = engine(items, 0);
    for i in 0..items {
        let item = ItemIx::new(u32::try_from(i).expect("item"));
        for s in 0..SITES - 1 {
            atp.set_units(item, SiteIx::new(u16::try_from(s).expect("site")), 5).expect("stock");
        }
        atp.set_units(item, SiteIx::new(u16::try_from(SITES - 1).expect("site")), 1_000_000)
            .expect("stock");
    }
    let region = RegionCode::new("R1").expect("region");
    let batch: Vec<Prepared> = (0..10_000u64)
        .map(|i| {
            let item = scale::item_code(usize::try_from(i * 7 % items as u64).unwrap_or(0));
            let line = OrderLine::new(
                LineId(i),
                item,
                "10 EA".parse().expect("qty"),
                today() + chrono::Days::new(9),
                region.clone(),
            );
            atp.prepare(&line).expect("line")
        })
        .collect();
    let mut probe = atp.clone();
    let p = probe.allocate_prepared(&batch[0], Claim::Hard).expect("allocates");
    assert!(p.on_time && p.schedule()[0].site == SiteIx::new(7), "served by the eighth site");
    let flat: Vec<i64> =
        (0..items * SITES).map(|i| if i % SITES == SITES - 1 { 1_000_000 } else { 5 }).collect();
    let mut g = c.benchmark_group("atp_allocate_one_line_8_sites");
    g.throughput(Throughput::Elements(batch.len() as u64));
    g.bench_function("onhand_prepared", |b| {
        b.iter_batched(
            || atp.clone(),
            |mut a| {
                for l in &batch {
                    black_box(a.allocate_prepared(l, Claim::Hard).ok());
                }
                a
            },
            BatchSize::PerIteration,
        );
    });
    g.bench_function("baseline_greedy", |b| {
        b.iter_batched(
            || flat.clone(),
            |mut f| {
                for i in 0..batch.len() {
                    black_box(baseline_allocate(&mut f, i * 7 % items, 10));
                }
                f
            },
            BatchSize::PerIteration,
        );
    });
    g.finish();
}

fn batch_and_reprocess(c: &mut Criterion) {
    let items = 100_000;
    let n = 1_000_000;
    let mut atp = engine(items, 20);
    let batch = lines(&mut atp, n, items, &mut Lcg(42));
    // Baseline inputs: (priority, requested, seq, item, qty), sorted the same way.
    let mut rng = Lcg(42);
    let mut base_lines: Vec<(u8, u64, usize, usize, i64)> = (0..n)
        .map(|i| {
            let item = usize::try_from(rng.below(items as u64)).unwrap_or(0);
            let qty = i64::try_from(1 + rng.below(40)).unwrap_or(1);
            let requested = rng.below(10);
            let prio = u8::try_from(1 + rng.below(9)).unwrap_or(5);
            let _split = rng.below(2);
            (prio, requested, i, item, qty)
        })
        .collect();
    base_lines.sort_unstable();
    let flat: Vec<i64> = vec![20; items * SITES];

    let mut g = c.benchmark_group("atp_batch_1m_lines");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("onhand_prepared", |b| {
        b.iter_batched(
            || atp.clone(),
            |mut a| {
                let mut confirmed = 0usize;
                a.allocate_stream(&batch, Claim::Hard, |p| {
                    confirmed += usize::from(p.is_ok_and(|p| !p.confirmed.is_zero()));
                });
                black_box(confirmed);
                a
            },
            BatchSize::PerIteration,
        );
    });
    g.bench_function("baseline_greedy", |b| {
        b.iter_batched(
            || flat.clone(),
            |mut f| {
                let mut confirmed = 0usize;
                for (_, _, _, item, qty) in &base_lines {
                    confirmed += usize::from(baseline_allocate(&mut f, *item, *qty));
                }
                black_box(confirmed);
                f
            },
            BatchSize::PerIteration,
        );
    });
    g.finish();

    // Book every line, then a late receipt: re-process all 1,000,000.
    let mut booked = atp.clone();
    booked.allocate_stream(&batch, Claim::Hard, |_| {});
    let late = today() + chrono::Days::new(4);
    for i in (0..items).step_by(3) {
        let code = scale::item_code(i);
        booked
            .add_supply(&code, &scale::site_code(0), late, "30 EA".parse().expect("qty"))
            .expect("supply");
    }
    let first = booked.clone().reprocess(Mode::Apply, onhand_atp::Sharing::FirstCome);
    assert_eq!(first.promises.len(), n);
    let mut g = c.benchmark_group("atp_reprocess_1m_lines");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("onhand_apply", |b| {
        b.iter_batched(
            || booked.clone(),
            |mut a| {
                black_box(a.reprocess(Mode::Apply, onhand_atp::Sharing::FirstCome).changes.len());
                a
            },
            BatchSize::PerIteration,
        );
    });
    g.bench_function("baseline_reset_and_greedy", |b| {
        b.iter_batched(
            || flat.clone(),
            |mut f| {
                let mut confirmed = 0usize;
                for (_, _, _, item, qty) in &base_lines {
                    confirmed += usize::from(baseline_allocate(&mut f, *item, *qty));
                }
                black_box(confirmed);
                f
            },
            BatchSize::PerIteration,
        );
    });
    g.finish();
}

criterion_group!(benches, point_query, time_phased_query, allocate_one, batch_and_reprocess);
criterion_main!(benches);
