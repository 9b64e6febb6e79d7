//! Signals and clearances that arrive out of time order. A signal older than what the
//! queue knows of its kind and subject changes nothing, whether the exception is still
//! active or was cleared; a clearance older than the exception's last update closes
//! nothing. At equal times, the one that arrives later wins.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use chrono::{DateTime, TimeZone, Utc};
use onhand_control::{
    Action, ClearReason, Clearance, Control, Effect, ExceptionId, ExceptionKind, Impact, Rules,
    Signal, Subject,
};
use onhand_ledger::{Actor, ActorId, SiteScope};
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
    assert_eq!(late.effect, Effect::Stale);
    assert_eq!(late.id, Some(ExceptionId(0)), "names the exception it is older than");
    assert_eq!(control.exceptions().count(), 1);
    // After a snapshot and restore the queue still knows when it was cleared.
    let restored = Control::restore(Rules::standard(usd), &control.snapshot()).unwrap();
    let mut restored = restored;
    assert_eq!(restored.apply(&risk(13)).unwrap().effect, Effect::Stale);
    // A signal after the clearance raises a new exception that follows the closed one.
    let again = control.apply(&risk(15)).unwrap();
    assert_eq!(again.effect, Effect::Raised);
    let new = control.get(again.id.unwrap()).unwrap();
    assert_eq!(new.previous, Some(ExceptionId(0)));
    assert_eq!(restored.apply(&risk(15)).unwrap(), again);
}

fn clear(control: &mut Control, hour: u32) -> Option<ExceptionId> {
    let clearance = Clearance {
        kind: ExceptionKind::StockoutRisk,
        subject: risk(9).subject.clone(),
        at: at(hour),
        reason: ClearReason::StockArrived,
    };
    control.clear(&clearance).unwrap()
}

/// A host that stamps what it feeds with one clock that never goes back (as the
/// network does) feeds a clearance and a later call's signal at the same time: the
/// signal arrived after the clearance, so it raises the exception again.
#[test]
fn a_signal_at_the_clearance_time_raises_again() {
    let usd = CurrencyCode::new("USD").unwrap();
    let mut control = Control::new(Rules::standard(usd)).unwrap();
    control.apply(&risk(9)).unwrap();
    assert_eq!(clear(&mut control, 14), Some(ExceptionId(0)));
    let again = control.apply(&risk(14)).unwrap();
    assert_eq!(again.effect, Effect::Raised);
    // And a clearance at the time of the last update closes (it arrived after it).
    assert_eq!(clear(&mut control, 14), again.id);
}

/// An actor's close is when someone acted, not when the condition was seen: a signal
/// newer than the exception's last update raises it again, one older is stale.
#[test]
fn after_an_actor_closed_it_a_signal_is_stale_only_before_the_last_update() {
    let usd = CurrencyCode::new("USD").unwrap();
    let mut control = Control::new(Rules::standard(usd)).unwrap();
    let id = control.apply(&risk(9)).unwrap().id.unwrap();
    control.apply(&risk(12)).unwrap();
    let owner = control.get(id).unwrap().owner;
    let pat = Actor { id: ActorId::new("pat").unwrap(), roles: vec![owner], sites: SiteScope::All };
    control.act(id, &pat, Action::Cancel, at(20)).unwrap();
    assert_eq!(control.apply(&risk(11)).unwrap().effect, Effect::Stale);
    assert_eq!(control.active_len(), 0);
    assert_eq!(control.apply(&risk(13)).unwrap().effect, Effect::Raised);
}

/// A stale clearance changes nothing: the exception stays active with its history, and
/// a clearance after its last update still closes it.
#[test]
fn a_stale_clearance_leaves_the_exception_as_it_was() {
    let usd = CurrencyCode::new("USD").unwrap();
    let mut control = Control::new(Rules::standard(usd)).unwrap();
    control.apply(&risk(9)).unwrap();
    control.apply(&risk(12)).unwrap();
    let before = control.snapshot();
    assert_eq!(clear(&mut control, 10), None);
    assert_eq!(control.snapshot(), before);
    assert_eq!(clear(&mut control, 13), Some(ExceptionId(0)));
    assert_eq!(control.active_len(), 0);
}

/// A clearance stamped before the exception's last update closes it anyway: the
/// condition was signalled again after the clearance's time.
#[test]
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
