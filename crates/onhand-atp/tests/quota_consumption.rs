//! Quotas and stock consumed by picks: a defect a review found. The rule: a served
//! line's quota use stays, and what it used stays in the period's supply, so the
//! shipment counts once.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::sync::Arc;

use chrono::NaiveDate;
use onhand_atp::{
    Atp, AtpConfig, Claim, Consumption, DemandClass, LineId, OrderLine, QuotaAmount, QuotaEntry,
    QuotaRule,
};
use onhand_master::{Catalog, ItemCode, SiteCode, seed};
use rust_decimal::Decimal;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, d).unwrap()
}

fn class(g: &str) -> DemandClass {
    DemandClass { group: Some(g.parse().unwrap()), ..DemandClass::default() }
}

/// 100 gloves at Atlanta, shared half and half by customer groups A and B.
fn two_groups() -> Atp {
    let catalog = Arc::new(Catalog::new(seed::demo_network()).unwrap());
    let mut atp = Atp::new(catalog, AtpConfig::default(), day(5)).unwrap();
    atp.set_available(&glove(), &atl(), "100 EA".parse().unwrap()).unwrap();
    let half = QuotaAmount::Percent("0.5".parse().unwrap());
    atp.set_quotas(&[QuotaRule {
        item: glove(),
        periods: vec![day(1)],
        consumption: Consumption::Discrete,
        entries: vec![
            QuotaEntry { class: class("A"), amount: half.clone() },
            QuotaEntry { class: class("B"), amount: half },
        ],
        collective: None,
    }])
    .unwrap();
    atp
}

fn glove() -> ItemCode {
    "GLOVE-NIT".parse().unwrap()
}

fn atl() -> SiteCode {
    "ATL".parse().unwrap()
}

/// A line of group `g` for `qty` gloves, split allowed.
fn line(id: u64, g: &str, qty: &str) -> OrderLine {
    let mut l =
        OrderLine::new(LineId(id), glove(), qty.parse().unwrap(), day(8), "US-SE".parse().unwrap());
    l.class = class(g);
    l.allow_split = true;
    l
}

/// Two customer groups share the period's glove supply half and half. Group A's 50 are
/// picked: `consume` keeps A's quota use ("the demand was served"). The stock that left
/// used to lower the period's supply when it was set again, so the shipment counted
/// twice and group B, which had used nothing, could have only a quarter.
#[test]
fn stock_consumed_by_one_group_leaves_the_other_groups_quota() {
    let mut atp = two_groups();
    let (glove, atl) = (glove(), atl());
    assert_eq!(
        atp.allocate(&line(1, "A", "50 EA"), Claim::Hard).unwrap().confirmed,
        Decimal::from(50)
    );
    // Before A's stock leaves, B could have its 50.
    assert_eq!(atp.promise(&line(2, "B", "50 EA")).unwrap().confirmed, Decimal::from(50));
    // A's 50 are picked: the line's allocation is used up and the stock set again.
    let used = atp.consume(LineId(1), &glove, &atl, "50 EA".parse().unwrap()).unwrap();
    assert_eq!(used, Decimal::from(50));
    atp.set_available(&glove, &atl, "50 EA".parse().unwrap()).unwrap();
    let p = atp.allocate(&line(2, "B", "50 EA"), Claim::Hard).unwrap();
    assert_eq!(p.confirmed, Decimal::from(50), "B's half of the period was 50: {p:?}");
}

/// A's pick reversed: the line holds its 50 again and the stock is back, and B's half is
/// still 50: the period's supply and A's quota use are as they were before the pick.
#[test]
fn a_consumption_restored_leaves_the_quota_as_before() {
    let mut atp = two_groups();
    let (glove, atl) = (glove(), atl());
    atp.allocate(&line(1, "A", "50 EA"), Claim::Hard).unwrap();
    atp.consume(LineId(1), &glove, &atl, "50 EA".parse().unwrap()).unwrap();
    atp.set_available(&glove, &atl, "50 EA".parse().unwrap()).unwrap();
    let served = Decimal::from(50);
    atp.restore_consumed(LineId(1), &glove, &atl, "50 EA".parse().unwrap(), served).unwrap();
    atp.set_available(&glove, &atl, "100 EA".parse().unwrap()).unwrap();
    assert_eq!(atp.booked(LineId(1)).unwrap().confirmed, Decimal::from(50));
    // A may not take more than its half; B still has its 50.
    assert_eq!(atp.promise(&line(3, "A", "10 EA")).unwrap().confirmed, Decimal::ZERO);
    let p = atp.allocate(&line(2, "B", "50 EA"), Claim::Hard).unwrap();
    assert_eq!(p.confirmed, Decimal::from(50), "{p:?}");
}
