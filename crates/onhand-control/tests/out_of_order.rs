//! Signals and clearances that arrive out of time order: two defects a review found,
//! kept ignored until the queue's rule for them is decided (`cargo test -- --ignored`
//! shows them failing).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use chrono::{DateTime, TimeZone, Utc};
use onhand_control::{
    ClearReason, Clearance, Control, Effect, ExceptionKind, Impact, Rules, Signal, Subject,
};
use onhand_master::{CurrencyCode, ItemCode, SiteCode};
use rust_decimal::Decimal;

fn at(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, hour, 0, 0).unwrap()
}

fn risk(hour: u32) -> Signal {
    let usd = CurrencyCode::new("USD").unwrap();
    let subject = Subject::ItemSite {
        item: ItemCode::new("BOLT").unwrap(),
        site: SiteCode::new("ATL").unwrap(),
        lot: None,
    };
    Signal::new(
        ExceptionKind::StockoutRisk,
        subject,
        at(hour),
        Impact::value(Decimal::from(800), usd),
    )
}

/// Raised at 09:00, updated at 10:00, cleared at 14:00. A signal stamped 11:00 (before
/// the clearance) that arrives late describes a condition the clearance already
/// resolved: it must not bring the exception back (the same signal arriving before the
/// clearance would merely have updated the exception that the clearance then closed).
#[test]
#[ignore = "known: a cleared exception keeps no clearance time, so a late signal stamped \
          before the clearance raises it again (next stop)"]
fn a_signal_older_than_the_clearance_does_not_reraise() {
    let usd = CurrencyCode::new("USD").unwrap();
    let mut control = Control::new(Rules::standard(usd)).unwrap();
    assert_eq!(control.apply(&risk(9)).unwrap().effect, Effect::Raised);
    assert_eq!(control.apply(&risk(10)).unwrap().effect, Effect::Updated);
    let clearance = Clearance {
        kind: ExceptionKind::StockoutRisk,
        subject: risk(9).subject.clone(),
        at: at(14),
        reason: ClearReason::StockArrived,
    };
    assert!(control.clear(&clearance).unwrap().is_some());
    assert_eq!(control.active_len(), 0);
    // Late-arriving signal from 11:00, before the 14:00 clearance.
    let late = control.apply(&risk(11)).unwrap();
    assert_eq!(control.active_len(), 0, "a pre-clearance signal re-raised the exception: {late:?}");
}

/// A clearance stamped before the exception's last update closes it anyway: the
/// condition was signalled again after the clearance's time.
#[test]
#[ignore = "known: a clearance is not compared with the exception's last update, so a \
          stale clearance closes it (next stop)"]
fn a_clearance_older_than_the_last_update_does_not_close() {
    let usd = CurrencyCode::new("USD").unwrap();
    let mut control = Control::new(Rules::standard(usd)).unwrap();
    control.apply(&risk(9)).unwrap();
    control.apply(&risk(12)).unwrap();
    let clearance = Clearance {
        kind: ExceptionKind::StockoutRisk,
        subject: risk(9).subject.clone(),
        at: at(10),
        reason: ClearReason::StockArrived,
    };
    let cleared = control.clear(&clearance).unwrap();
    assert_eq!(cleared, None, "a 10:00 clearance closed an exception signalled again at 12:00");
}
