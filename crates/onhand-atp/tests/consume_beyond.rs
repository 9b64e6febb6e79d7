//! Stock picked for a line beyond what it confirmed at that site: the line asks for
//! that much less, and a confirmation elsewhere it no longer needs is given back.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::sync::Arc;

use chrono::NaiveDate;
use onhand_atp::{Atp, AtpConfig, Claim, LineId, OrderLine};
use onhand_master::{Catalog, ItemCode, SiteCode, seed};
use rust_decimal::Decimal;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, d).unwrap()
}

/// A line for 100 confirmed 50 at one site and 50 at another (split). 80 are picked at
/// the first: 50 from its confirmation there, 30 beyond. The line now needs 20, so
/// 30 of the other site's 50 go back to free stock there.
#[test]
fn a_pick_beyond_the_confirmation_gives_back_what_is_no_longer_needed() {
    let catalog = Arc::new(Catalog::new(seed::demo_network()).unwrap());
    let mut atp = Atp::new(catalog.clone(), AtpConfig::default(), day(5)).unwrap();
    let glove: ItemCode = "GLOVE-NIT".parse().unwrap();
    let mut line = OrderLine::new(
        LineId(1),
        glove.clone(),
        "100 EA".parse().unwrap(),
        day(12),
        "US-SE".parse().unwrap(),
    );
    line.allow_split = true;
    // Find two sites that serve the region: stock 50 at each of them.
    let sites: Vec<SiteCode> = ["ATL", "DFW", "CHI", "NJ1", "LAX", "SEA"]
        .iter()
        .filter_map(|s| s.parse().ok())
        .filter(|s: &SiteCode| catalog.site_ix(s).is_some())
        .collect();
    for s in &sites {
        atp.set_available(&glove, s, "50 EA".parse().unwrap()).unwrap();
    }
    let p = atp.allocate(&line, Claim::Hard).unwrap();
    assert_eq!(p.confirmed, Decimal::from(100));
    let first = p.schedule()[0].site;
    let other = p.schedule().iter().find(|s| s.site != first).map(|s| s.site).unwrap();
    let first_code = catalog.site(first).unwrap().code.clone();
    let at_other = |p: &onhand_atp::Promise| -> Vec<Decimal> {
        p.schedule().iter().filter(|s| s.site == other).map(|s| s.qty).collect()
    };
    assert_eq!(at_other(&p), [Decimal::from(50)]);
    let g = catalog.item_ix(&glove).unwrap();
    let free_other = atp.free_now(g, other);
    // 80 picked at the first site: its 50, and 30 of its free stock (none is free
    // there, so set some more first).
    atp.set_available(&glove, &first_code, "80 EA".parse().unwrap()).unwrap();
    let used = atp.consume(LineId(1), &glove, &first_code, "80 EA".parse().unwrap()).unwrap();
    assert_eq!(used, Decimal::from(50));
    atp.set_available(&glove, &first_code, "0 EA".parse().unwrap()).unwrap();
    let after = atp.booked(LineId(1)).unwrap();
    assert_eq!(after.confirmed, Decimal::from(20));
    assert_eq!(at_other(&after), [Decimal::from(20)]);
    // Held from a later day there: what is free today does not move.
    assert_eq!(atp.free_now(g, other), free_other);
}

/// Free now plus what the line holds of today's stock at `site`.
fn on_hand_seen(atp: &Atp, catalog: &Catalog, item: &ItemCode, site: &SiteCode) -> Decimal {
    let (g, s) = (catalog.item_ix(item).unwrap(), catalog.site_ix(site).unwrap());
    let held: Decimal = atp
        .booked(LineId(1))
        .map(|p| {
            p.schedule()
                .iter()
                .filter(|l| l.site == s && l.available_on <= atp.today())
                .map(|l| l.qty)
                .sum()
        })
        .unwrap_or_default();
    atp.free_now(g, s) + held
}

proptest::proptest! {
    /// Stock picked for a line (from its confirmation, and beyond it from free stock)
    /// lowers what it asks for by exactly what left, never below zero, and never leaves
    /// it confirmed beyond what it asks for; the engine's stock stays the available
    /// stock. Reversing the pick (`restore_consumed` with what `consume` used and took
    /// off) brings back what the line asked for and had confirmed, and the stock.
    #[test]
    fn consume_then_restore_gives_the_line_back(
        stock in 0u32..200,
        qty in 1u32..150,
        pick in 0u32..200,
        split in proptest::bool::ANY,
    ) {
        let pick = pick.min(stock);
        let catalog = Arc::new(Catalog::new(seed::demo_network()).unwrap());
        let mut atp = Atp::new(catalog.clone(), AtpConfig::default(), day(5)).unwrap();
        let (glove, atl): (ItemCode, SiteCode) = ("GLOVE-NIT".parse().unwrap(), "ATL".parse().unwrap());
        let q = |n: u32| format!("{n} EA").parse::<onhand_master::Qty>().unwrap();
        atp.set_available(&glove, &atl, q(stock)).unwrap();
        let mut line = OrderLine::new(LineId(1), glove.clone(), q(qty), day(8), "US-SE".parse().unwrap());
        line.allow_split = split;
        let p0 = atp.allocate(&line, Claim::Hard).unwrap();
        let before = atp.requested(LineId(1)).unwrap();
        proptest::prop_assert_eq!(before, Decimal::from(qty));
        let used = atp.consume(LineId(1), &glove, &atl, q(pick)).unwrap();
        atp.set_available(&glove, &atl, q(stock - pick)).unwrap();
        let after = atp.requested(LineId(1)).unwrap();
        proptest::prop_assert_eq!(after, (before - Decimal::from(pick)).max(Decimal::ZERO));
        let p1 = atp.booked(LineId(1)).unwrap();
        proptest::prop_assert!(p1.confirmed <= after, "confirmed {} of {}", p1.confirmed, after);
        proptest::prop_assert_eq!(on_hand_seen(&atp, &catalog, &glove, &atl), Decimal::from(stock - pick));
        // The pick reversed.
        let used_qty = format!("{used} EA").parse::<onhand_master::Qty>().unwrap();
        atp.restore_consumed(LineId(1), &glove, &atl, used_qty, before - after).unwrap();
        atp.set_available(&glove, &atl, q(stock)).unwrap();
        let p2 = atp.booked(LineId(1)).unwrap();
        proptest::prop_assert_eq!(atp.requested(LineId(1)).unwrap(), before);
        proptest::prop_assert_eq!(on_hand_seen(&atp, &catalog, &glove, &atl), Decimal::from(stock));
        // What it had confirmed at the site that took the pick is held again; what a pick
        // beyond gave back elsewhere is not (re-processing may confirm it again).
        proptest::prop_assert!(p2.confirmed <= p0.confirmed);
        proptest::prop_assert_eq!(p2.confirmed, p1.confirmed + used);
    }
}

/// A line picked in full asks for nothing. Re-processing then promises it nothing, and
/// must not give it a schedule line of nothing (found by the model's `Consume` op:
/// `fill_from` takes `need = 0` as met by any offer).
#[test]
fn reprocessing_a_line_picked_in_full_adds_no_empty_schedule_line() {
    let catalog = Arc::new(Catalog::new(seed::demo_network()).unwrap());
    let mut atp = Atp::new(catalog.clone(), AtpConfig::default(), day(5)).unwrap();
    let (glove, atl): (ItemCode, SiteCode) = ("GLOVE-NIT".parse().unwrap(), "ATL".parse().unwrap());
    let q = |s: &str| s.parse::<onhand_master::Qty>().unwrap();
    atp.set_available(&glove, &atl, q("22 EA")).unwrap();
    let line =
        OrderLine::new(LineId(1), glove.clone(), q("22 EA"), day(8), "US-SE".parse().unwrap());
    atp.allocate(&line, Claim::Hard).unwrap();
    assert_eq!(atp.consume(LineId(1), &glove, &atl, q("22 EA")).unwrap(), Decimal::from(22));
    atp.set_available(&glove, &atl, q("0 EA")).unwrap();
    assert_eq!(atp.requested(LineId(1)), Some(Decimal::ZERO));
    assert!(atp.booked(LineId(1)).unwrap().schedule().is_empty());
    atp.reprocess(onhand_atp::Mode::Apply, onhand_atp::Sharing::FirstCome);
    let p = atp.booked(LineId(1)).unwrap();
    assert!(p.schedule().iter().all(|l| l.qty > Decimal::ZERO), "an empty schedule line: {p:?}");
}

/// A line confirmed from a receipt in a later quota period is picked from today's stock,
/// and the pick is reversed: the line is held again from today, in today's period. The
/// quota use its pick kept stays in the later period, so today's period does not count
/// it, and another line is confirmed there beyond the quota.
#[test]
fn a_reversed_pick_held_again_today_counts_against_todays_quota() {
    use onhand_atp::{Consumption, DemandClass, QuotaAmount, QuotaEntry, QuotaRule};
    let catalog = Arc::new(Catalog::new(seed::demo_network()).unwrap());
    let mut atp = Atp::new(catalog.clone(), AtpConfig::default(), day(5)).unwrap();
    let (glove, atl): (ItemCode, SiteCode) = ("GLOVE-NIT".parse().unwrap(), "ATL".parse().unwrap());
    let q = |s: &str| s.parse::<onhand_master::Qty>().unwrap();
    atp.set_available(&glove, &atl, q("10 EA")).unwrap();
    atp.add_supply(&glove, &atl, day(12), q("10 EA")).unwrap();
    // 4 per period: the 5th to the 9th, and from the 10th.
    let rule = QuotaRule {
        item: glove.clone(),
        periods: vec![day(5), day(10)],
        consumption: Consumption::Discrete,
        entries: vec![QuotaEntry {
            class: DemandClass::default(),
            amount: QuotaAmount::Absolute(q("4 EA")),
        }],
        collective: None,
    };
    atp.set_quotas(&[rule]).unwrap();
    let line = |id, qty: &str, requested| {
        OrderLine::new(LineId(id), glove.clone(), q(qty), requested, "US-SE".parse().unwrap())
    };
    let in_first_period = |atp: &Atp| -> Decimal {
        atp.booked_lines()
            .into_iter()
            .flat_map(|id| atp.booked(id).unwrap().schedule().to_vec())
            .filter(|l| l.available_on < day(10))
            .map(|l| l.qty)
            .sum()
    };
    // Line 1 is confirmed in the later period.
    let p1 = atp.allocate(&line(1, "4 EA", day(14)), Claim::Hard).unwrap();
    assert_eq!(p1.confirmed, Decimal::from(4));
    assert_eq!(in_first_period(&atp), Decimal::ZERO, "{p1:?}");
    // Its 4 are picked from today's stock, and the pick is reversed: it is held again
    // from today, which uses up today's period's quota.
    let used = atp.consume(LineId(1), &glove, &atl, q("4 EA")).unwrap();
    assert_eq!(used, Decimal::from(4));
    atp.set_available(&glove, &atl, q("6 EA")).unwrap();
    atp.restore_consumed(LineId(1), &glove, &atl, q("4 EA"), Decimal::from(4)).unwrap();
    atp.set_available(&glove, &atl, q("10 EA")).unwrap();
    assert_eq!(in_first_period(&atp), Decimal::from(4));
    // So no further line may be confirmed in today's period.
    let p2 = atp.allocate(&line(2, "4 EA", day(7)), Claim::Hard).unwrap();
    assert_eq!(
        in_first_period(&atp),
        Decimal::from(4),
        "today's period holds more than its quota of 4: {p2:?}"
    );
}
