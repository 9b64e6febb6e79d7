//! A fixed run of [`Control::apply`] raising or updating stockout-risk exceptions on a
//! queue of 1,000,000 open ones for the planning role over 8 sites, the same queue the
//! criterion bench `control` in `onhand-benches` times, for instruction counts per
//! signal under callgrind (which counts what a loaded machine's timings blur).
//!
//! ```text
//! cargo build --release -p onhand-control --example control_calls
//! for phase in raise update fill; do
//!   valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     --toggle-collect=control_calls::measured target/release/examples/control_calls $phase
//! done
//! ```
//!
//! The phase named on the command line (`raise`: signals with new keys; `update`:
//! repeated signals for open exceptions, picked at random) goes through `measured`;
//! building the queue and the signals is not counted. Each phase applies [`SIGNALS`]
//! signals: divide the instruction count by that. An optional second argument sets the
//! queue's size, and a third the number of signals (for `update`, a few million reach
//! the steady state: role queues compacting, histories growing). Phase `fill` counts
//! building the queue itself instead (every raise from
//! empty, so each table's growth is amortized): divide by the queue's size. Each phase
//! also prints its wall-clock time per signal: run two builds alternately for a quick
//! comparison (the criterion bench is the measurement); `perf record` of it on the
//! hardware shows where an update waits on memory.

use std::hint::black_box;

use chrono::{DateTime, Duration, TimeZone, Utc};
use onhand_control::{Control, Effect, ExceptionKind, Impact, Rules, Signal, Subject};
use onhand_master::{CurrencyCode, ItemCode, SiteCode};
use rust_decimal::Decimal;

/// Open exceptions before the measured phase (unless the command line says otherwise).
const OPEN: usize = 1_000_000;
const SITES: usize = 8;
/// Signals per measured phase.
pub const SIGNALS: usize = 100_000;

/// The bench's deterministic generator (`onhand_benches::Lcg`, which this crate does
/// not depend on): a 64-bit LCG's top 31 bits.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 =
            self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }

    fn int(&mut self, n: u64) -> i64 {
        i64::try_from(self.below(n)).unwrap_or(0)
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).single().expect("start time")
}

fn usd() -> CurrencyCode {
    CurrencyCode::new("USD").expect("USD")
}

/// The `n`-th stockout-risk signal: item `n / SITES` at site `n % SITES`.
fn signal(n: usize, rng: &mut Lcg, at: DateTime<Utc>) -> Signal {
    let subject = Subject::ItemSite {
        item: ItemCode::new(format!("I{:07}", n / SITES)).expect("item code"),
        site: SiteCode::new(format!("S{:02}", n % SITES)).expect("site code"),
        lot: None,
    };
    let value = Decimal::new(rng.int(20_000_000), 2);
    let impact = Impact::value(value, usd()).quantity(Decimal::from(rng.int(500)));
    Signal::new(ExceptionKind::StockoutRisk, subject, at, impact)
}

// Always inlined: an outlined copy would be identical to `measured`, and the two would
// be merged into one symbol.
#[allow(clippy::inline_always, reason = "keeps `measured` the only symbol of its kind")]
#[inline(always)]
fn apply_all(control: &mut Control, signals: &[Signal], expect: Effect) -> usize {
    let mut n = 0;
    for s in signals {
        if control.apply(black_box(s)).is_ok_and(|a| a.effect == expect) {
            n += 1;
        }
    }
    n
}

/// The phase callgrind counts.
#[inline(never)]
fn measured(control: &mut Control, signals: &[Signal], expect: Effect) -> usize {
    apply_all(control, signals, expect)
}

/// Runs `measured` and returns what it returns with the wall-clock nanoseconds per
/// signal (an example, not the core: it may read the clock; the criterion bench is the
/// measurement, this only a quick look).
fn timed(control: &mut Control, signals: &[Signal], expect: Effect) -> (usize, u128) {
    #[allow(clippy::disallowed_methods, reason = "an example timing itself, not the core")]
    let start = std::time::Instant::now();
    let done = measured(control, signals, expect);
    let ns = start.elapsed().as_nanos();
    (done, ns / done.max(1) as u128)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let phase = args.next().unwrap_or_else(|| "raise".to_owned());
    let open = args.next().and_then(|a| a.parse::<usize>().ok()).unwrap_or(OPEN);
    let count = args.next().and_then(|a| a.parse::<usize>().ok()).unwrap_or(SIGNALS);
    let mut control = Control::new(Rules::standard(usd())).expect("standard rules");
    let mut rng = Lcg(7);
    let start = |n: usize| t0() + Duration::seconds(i64::try_from(n % 3_600).unwrap_or(0));
    if phase == "fill" {
        // Every raise from an empty queue to `open`: amortizes every table's growth.
        let signals: Vec<Signal> = (0..open).map(|n| signal(n, &mut rng, start(n))).collect();
        let (done, ns) = timed(&mut control, &signals, Effect::Raised);
        assert_eq!(done, open, "every signal raised");
        println!("fill: {done} signals from an empty queue; {ns} ns a signal (wall clock)");
        return;
    }
    for n in 0..open {
        let s = signal(n, &mut rng, start(n));
        assert_eq!(apply_all(&mut control, std::slice::from_ref(&s), Effect::Raised), 1);
    }
    let later = t0() + Duration::hours(2);
    let (signals, expect): (Vec<Signal>, Effect) = match phase.as_str() {
        "raise" => {
            ((open..open + count).map(|n| signal(n, &mut rng, later)).collect(), Effect::Raised)
        }
        "update" => (
            (0..count)
                .map(|k| {
                    let n = usize::try_from(rng.below(open as u64)).unwrap_or(0);
                    let tick = i64::try_from(k).unwrap_or(0);
                    signal(n, &mut rng, later + Duration::seconds(tick))
                })
                .collect(),
            Effect::Updated,
        ),
        other => panic!("unknown phase {other}: raise, update or fill"),
    };
    let (done, ns) = timed(&mut control, &signals, expect);
    assert_eq!(done, count, "every signal {expect:?}");
    println!(
        "{phase}: {done} signals on a queue of {open}; {} active; {ns} ns a signal (wall clock)",
        control.active_len(),
    );
}
