//! A fixed run of the exception queue's raise and update paths, for instruction counts
//! under callgrind (the criterion bench `control` times the same calls on 1,000,000 open
//! exceptions; this one builds a smaller queue so callgrind finishes in seconds).
//!
//! ```text
//! cargo build --profile bench -p onhand-benches --example control_calls
//! valgrind --tool=callgrind --toggle-collect='control_calls::raise_phase' \
//!     target/release/examples/control_calls
//! valgrind --tool=callgrind --toggle-collect='control_calls::update_phase' \
//!     target/release/examples/control_calls
//! ```
//!
//! Each phase makes [`CALLS`] calls: divide its instruction count by that.

use std::hint::black_box;

use chrono::{DateTime, Duration, TimeZone, Utc};
use onhand_benches::Lcg;
use onhand_control::{Control, Effect, ExceptionKind, Impact, Rules, Signal, Subject};
use onhand_master::{CurrencyCode, Decimal, ItemCode, SiteCode};

/// Open exceptions before the measured calls.
const OPEN: usize = 100_000;
/// Calls per measured phase.
pub const CALLS: usize = 10_000;
const SITES: usize = 8;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).single().expect("start time")
}

fn usd() -> CurrencyCode {
    CurrencyCode::new("USD").expect("USD")
}

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

#[inline(never)]
fn raise_phase(control: &mut Control, signals: &[Signal]) -> usize {
    let mut raised = 0;
    for s in signals {
        let applied = control.apply(black_box(s)).expect("signal");
        raised += usize::from(applied.effect == Effect::Raised);
    }
    raised
}

#[inline(never)]
fn update_phase(control: &mut Control, signals: &[Signal]) -> usize {
    let mut updated = 0;
    for s in signals {
        let applied = control.apply(black_box(s)).expect("signal");
        updated += usize::from(applied.effect == Effect::Updated);
    }
    updated
}

fn main() {
    let mut control = Control::new(Rules::standard(usd())).expect("standard rules");
    let mut rng = Lcg(7);
    for n in 0..OPEN {
        let at = t0() + Duration::seconds(i64::try_from(n % 3_600).unwrap_or(0));
        control.apply(&signal(n, &mut rng, at)).expect("signal");
    }
    let later = t0() + Duration::hours(2);
    let fresh: Vec<Signal> = (OPEN..OPEN + CALLS).map(|n| signal(n, &mut rng, later)).collect();
    let repeat: Vec<Signal> = (0..CALLS)
        .map(|i| {
            let n = usize::try_from(rng.below(OPEN as u64)).unwrap_or(0);
            signal(n, &mut rng, later + Duration::seconds(i64::try_from(i).unwrap_or(0) + 1))
        })
        .collect();
    assert_eq!(raise_phase(&mut control, &fresh), CALLS);
    assert_eq!(update_phase(&mut control, &repeat), CALLS);
    println!("{} active", control.active_len());
}
