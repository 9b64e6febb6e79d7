#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test
//! Defects found in review, each with the smallest case that shows it.

use onhand_replenish::{DrpNode, LotSizing, drp};
use rust_decimal::Decimal;

fn d(v: i64) -> Decimal {
    Decimal::from(v)
}

fn node(site: &str, source: Option<&str>, on_hand: i64, lead: u32, gross: &[i64]) -> DrpNode {
    DrpNode {
        site: site.parse().unwrap(),
        source: source.map(|s| s.parse().unwrap()),
        on_hand: d(on_hand),
        safety_stock: Decimal::ZERO,
        lead_periods: lead,
        lot: LotSizing::LotForLot,
        gross: gross.iter().map(|g| d(*g)).collect(),
        scheduled: vec![],
        period_days: 7,
        constrained: false,
    }
}

// A child's releases already past due are wanted from its source now. An unconstrained
// source adds them to its first period's gross requirements; a constrained one ignored
// them: it neither gave the units (its stock stayed untouched) nor reported them short,
// and the child's projection counted on a receipt nobody supplied.
#[test]
fn a_constrained_source_accounts_for_its_childrens_past_due_releases() {
    let mut dc = node("CDC", None, 60, 0, &[0, 0]);
    dc.constrained = true;
    // A needs 70 in period 0 with a lead time of one period: released before the plan.
    let a = node("A", Some("CDC"), 0, 1, &[70, 0]);
    let recs = drp(2, &[dc, a]).unwrap();
    // What the source gave in period 0 plus what it reports short covers the 70.
    let (src, child) = (&recs[0], &recs[1]);
    assert_eq!(src.gross[0] + src.shortfall[0], d(70), "source record: {src:?}");
    assert_eq!((src.gross[0], src.projected[0]), (d(60), d(0)), "source record: {src:?}");
    // And the child's record says what it gets: 60 past due, 10 short, and no stock it
    // will not get.
    assert_eq!(child.past_due, d(60), "child record: {child:?}");
    assert_eq!(child.planned_receipts[0], d(60), "child record: {child:?}");
    assert_eq!(child.shortfall[0], d(10), "child record: {child:?}");
    assert_eq!(child.projected[0], d(-10), "child record: {child:?}");
}

// A constrained source shared its stock among its children in whole units whatever the
// figures' precision: with 10.5 kg for two children asking 6.5 each, it gave 5 and 5,
// kept 0.5 it could have given, and reported 3 short instead of 2.5.
#[test]
fn a_constrained_source_shares_fractional_quantities_without_keeping_a_remainder() {
    let dec = |s: &str| s.parse::<Decimal>().unwrap();
    let mut dc = node("CDC", None, 0, 0, &[0, 0]);
    dc.on_hand = dec("10.5");
    dc.constrained = true;
    let mut a = node("A", Some("CDC"), 0, 1, &[0, 0]);
    a.gross = vec![Decimal::ZERO, dec("6.5")];
    let mut b = a.clone();
    b.site = "B".parse().unwrap();
    let recs = drp(2, &[dc, a, b]).unwrap();
    let src = &recs[0];
    assert_eq!(src.gross[0], dec("10.5"), "source record: {src:?}");
    assert_eq!(src.shortfall[0], dec("2.5"), "source record: {src:?}");
    assert_eq!(src.projected[0], Decimal::ZERO, "source record: {src:?}");
}
