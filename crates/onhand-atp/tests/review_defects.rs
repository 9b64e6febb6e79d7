#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test
//! Defects found in review, each with the smallest case that shows it.

use std::sync::Arc;

use chrono::NaiveDate;
use onhand_atp::{Atp, AtpConfig, Claim, LineId, Mode, OrderLine, Sharing};
use onhand_master::{Catalog, seed};
use rust_decimal::Decimal;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, d).unwrap()
}

fn engine() -> Atp {
    let catalog = Arc::new(Catalog::new(seed::demo_network()).unwrap());
    Atp::new(catalog, AtpConfig::default(), day(5)).unwrap()
}

fn line(id: u64, qty: &str, region: &str) -> OrderLine {
    let mut l = OrderLine::new(
        LineId(id),
        "NUT-M8".parse().unwrap(),
        qty.parse().unwrap(),
        day(12),
        region.parse().unwrap(),
    );
    l.allow_split = true;
    l
}

// Fair share grouped only lines next to each other in serve order: a line of another
// region booked between two competing lines kept them from sharing, so the first took
// everything, first come, first served.
#[test]
fn fair_share_is_not_broken_up_by_a_line_of_another_region_in_between() {
    let mut atp = engine();
    atp.set_available(
        &"NUT-M8".parse().unwrap(),
        &"ORD".parse().unwrap(),
        "90 EA".parse().unwrap(),
    )
    .unwrap();
    // Line 2 is for the west (LAX, then DFW: no stock), booked between lines 1 and 3,
    // which compete for ORD's 90 (same item, region, priority and date).
    for l in [line(1, "100 EA", "US-MW"), line(2, "10 EA", "US-W"), line(3, "50 EA", "US-MW")] {
        atp.allocate(&l, Claim::Hard).unwrap();
    }
    atp.reprocess(Mode::Apply, Sharing::FairShare);
    let got = |id| atp.booked(LineId(id)).unwrap().confirmed;
    assert_eq!((got(1), got(3)), (Decimal::from(60), Decimal::from(30)));
    assert_eq!(got(2), Decimal::ZERO);
}
