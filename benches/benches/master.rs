#![allow(missing_docs)] // criterion_group! generates an undocumented function
//! Master data: unit conversion (the boundary every quantity crosses), catalog look-ups,
//! and whole-network validation and catalog build at scale.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use onhand_master::{Catalog, ItemIx, Qty, UomCode, validate};
use onhand_testkit::scale;
use rust_decimal::Decimal;

fn convert(c: &mut Criterion) {
    let data = scale::network(10, 2, false);
    let catalog = Catalog::new(data).expect("valid synthetic network");
    let units = catalog.item_units(ItemIx::new(0)).expect("item 0");
    let ea = UomCode::new("EA").expect("unit");
    let pl = UomCode::new("PL").expect("unit");
    let pallets = Qty::new(Decimal::from(3), pl).expect("qty");
    assert_eq!(units.convert(pallets, ea).expect("converts").value(), Decimal::from(1440));
    let mut g = c.benchmark_group("convert");
    g.throughput(Throughput::Elements(1));
    g.bench_function("pallets_to_each", |b| {
        b.iter(|| units.convert(black_box(pallets), black_box(ea)));
    });
    let each = Qty::new(Decimal::from(1440), ea).expect("qty");
    g.bench_function("each_to_pallets", |b| {
        b.iter(|| units.convert(black_box(each), black_box(pl)));
    });
    g.bench_function("same_unit", |b| b.iter(|| units.convert(black_box(each), black_box(ea))));
    g.finish();
}

fn lookups(c: &mut Criterion) {
    let data = scale::network(100_000, 8, false);
    let catalog = Catalog::new(data).expect("valid synthetic network");
    let code = scale::item_code(73_421);
    assert_eq!(catalog.item_ix(&code), Some(ItemIx::new(73_421)));
    let mut g = c.benchmark_group("catalog");
    g.bench_function("item_ix_by_code_100k", |b| b.iter(|| catalog.item_ix(black_box(&code))));
    g.bench_function("item_by_ix_100k", |b| {
        b.iter(|| catalog.item(black_box(ItemIx::new(73_421))));
    });
    g.finish();
}

fn validate_network(c: &mut Criterion) {
    let mut g = c.benchmark_group("validate");
    g.sample_size(10);
    for (items, sites, policies) in [(10_000, 8, true), (100_000, 8, false), (100_000, 8, true)] {
        let data = scale::network(items, sites, policies);
        assert!(validate(&data).is_clean());
        let records = items + if policies { items * sites } else { 0 };
        g.throughput(Throughput::Elements(records as u64));
        let id = format!("{items}x{sites}{}", if policies { "+policies" } else { "" });
        g.bench_with_input(BenchmarkId::new("validate", &id), &data, |b, d| b.iter(|| validate(d)));
        g.bench_with_input(BenchmarkId::new("catalog_build", &id), &data, |b, d| {
            b.iter_batched(|| d.clone(), Catalog::new, criterion::BatchSize::LargeInput);
        });
    }
    g.finish();
}

criterion_group!(benches, convert, lookups, validate_network);
criterion_main!(benches);
