#![allow(missing_docs, reason = "criterion_group! generates an undocumented function")]
//! The exception queue (`onhand-control`), on a queue of 1,000,000 open stockout-risk
//! exceptions for the planning role over 8 sites (125,000 per site), values drawn
//! deterministically, raised over an hour.
//!
//! - `control/raise`: a signal with a new key raises an exception (routing, priority,
//!   service level, rank, dedup index, role queue, escalation index). Target: at most
//!   1 µs.
//! - `control/update`: a repeated signal for an open exception updates it (new impact,
//!   priority and rank, moved in its queue). Target: at most 1 µs.
//! - `control/top50_site`: the first 50 of one role's queue at one site; and
//!   `control/top50_actor`, the same through `Control::view` for a planner scoped to
//!   that site, and `control/top50_all_sites` for a planner scoped to all 8 (a merge).
//!   Target: at most 100 µs.
//! - `control/escalate`: `escalate(now)` when every one of the 1,000,000 is due for its
//!   first ladder step (the worst case; the queue is cloned outside the timing). Target:
//!   under 1 s.
//!
//! Run: `cargo bench -p onhand-benches --bench control`.

use std::hint::black_box;

use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use onhand_benches::Lcg;
use onhand_control::{Control, Effect, ExceptionKind, Filter, Impact, Rules, Signal, Subject};
use onhand_ledger::{Actor, ActorId, SiteScope};
use onhand_master::{CurrencyCode, Decimal, ItemCode, Role, SiteCode};

const OPEN: usize = 1_000_000;
const SITES: usize = 8;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).single().expect("start time")
}

fn usd() -> CurrencyCode {
    CurrencyCode::new("USD").expect("USD")
}

fn site(s: usize) -> SiteCode {
    SiteCode::new(format!("S{s:02}")).expect("site code")
}

/// The `n`-th stockout-risk signal: item `n / SITES` at site `n % SITES`.
fn signal(n: usize, rng: &mut Lcg, at: DateTime<Utc>) -> Signal {
    let subject = Subject::ItemSite {
        item: ItemCode::new(format!("I{:07}", n / SITES)).expect("item code"),
        site: site(n % SITES),
        lot: None,
    };
    let value = Decimal::new(rng.int(20_000_000), 2);
    let impact = Impact::value(value, usd()).quantity(Decimal::from(rng.int(500)));
    Signal::new(ExceptionKind::StockoutRisk, subject, at, impact)
}

fn queue() -> Control {
    let mut control = Control::new(Rules::standard(usd())).expect("standard rules");
    let mut rng = Lcg(7);
    for n in 0..OPEN {
        let at = t0() + Duration::seconds(i64::try_from(n % 3_600).unwrap_or(0));
        let applied = control.apply(&signal(n, &mut rng, at)).expect("signal");
        assert_eq!(applied.effect, Effect::Raised);
    }
    assert_eq!(control.active_len(), OPEN);
    control
}

fn planner(sites: SiteScope) -> Actor {
    Actor { id: ActorId::new("planner").expect("actor id"), roles: vec![Role::Planning], sites }
}

fn bench(c: &mut Criterion) {
    let base = queue();
    let mut g = c.benchmark_group("control");

    let mut control = base.clone();
    let mut next = OPEN;
    let mut rng = Lcg(11);
    let later = t0() + Duration::hours(2);
    g.bench_function("raise", |b| {
        b.iter_batched(
            || {
                next += 1;
                signal(next, &mut rng, later)
            },
            |s| {
                let applied = control.apply(&s).expect("signal");
                debug_assert_eq!(applied.effect, Effect::Raised);
                applied
            },
            BatchSize::SmallInput,
        );
    });
    drop(control);

    let mut control = base.clone();
    let mut tick = 0_i64;
    g.bench_function("update", |b| {
        b.iter_batched(
            || {
                tick += 1;
                let n = usize::try_from(rng.below(OPEN as u64)).unwrap_or(0);
                signal(n, &mut rng, later + Duration::seconds(tick))
            },
            |s| {
                let applied = control.apply(&s).expect("signal");
                debug_assert_eq!(applied.effect, Effect::Updated);
                applied
            },
            BatchSize::SmallInput,
        );
    });
    drop(control);

    let s0 = site(0);
    let top: Vec<_> = base.top(Role::Planning, Some(&s0), 50).collect();
    assert_eq!(top.len(), 50);
    assert!(top.windows(2).all(|w| w[0].breach_at() <= w[1].breach_at()));
    g.bench_function("top50_site", |b| {
        b.iter(|| base.top(Role::Planning, Some(black_box(&s0)), 50).map(|e| e.id.0).sum::<u64>());
    });
    let one = planner(SiteScope::Sites(vec![s0.clone()]));
    let all = planner(SiteScope::All);
    let viewed = base.view(&one, &Filter::default(), 50).expect("view");
    assert_eq!(
        viewed.iter().map(|e| e.id).collect::<Vec<_>>(),
        top.iter().map(|e| e.id).collect::<Vec<_>>()
    );
    assert_eq!(base.view(&all, &Filter::default(), 50).expect("view").len(), 50);
    g.bench_function("top50_actor", |b| {
        b.iter(|| base.view(black_box(&one), &Filter::default(), 50).map(|v| v.len()));
    });
    g.bench_function("top50_all_sites", |b| {
        b.iter(|| base.view(black_box(&all), &Filter::default(), 50).map(|v| v.len()));
    });

    let now = t0() + Duration::hours(9);
    assert_eq!(base.clone().escalate(now).len(), OPEN);
    g.sample_size(10);
    g.bench_function("escalate", |b| {
        b.iter_batched(
            || base.clone(),
            |mut c| {
                let moved = c.escalate(now);
                (c, moved)
            },
            BatchSize::LargeInput,
        );
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
