#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test
//! Defects found by review 3: each test failed on the code it was written against.

mod common;

use common::*;
use onhand_insight::*;
use onhand_master::VelocityClass;

/// 28 days alternating 8 and 12 (mean 10, σd² = 4.148148) and lead times of 2, 2, 3
/// and 3 days (mean L = 2.5, σL² = 1/3).
fn fractional_lead() -> Insight {
    let mut recs = Vec::new();
    for d in 0..28u32 {
        let day = jan(5) + chrono::Days::new(u64::from(d));
        let q = if d % 2 == 0 { 8 } else { 12 };
        recs.push(demand(day.and_hms_opt(23, 0, 0).unwrap().and_utc(), day, "BOLT", "ORD", q));
    }
    for (o, r) in [(1, 3), (2, 4), (3, 6), (4, 7)] {
        recs.push(lead(t(5, 1), "BOLT", "ACME", "ORD", jan(o), jan(r)));
    }
    let end = t(31, 23) + chrono::Duration::hours(72);
    recs.push(position(end, "BOLT", "ORD", 30, 30, None, None));
    recs.sort_by_key(Record::at);
    Insight::from_records(config(), &recs).unwrap()
}

/// Safety stock is `z √(L σd² + d² σL²)` with the mean lead time `L` (DOMAIN.md,
/// the plan module's table): over L = 2.5 days, lead-time demand is 25, not the
/// 30 of a 3-day horizon, and SS = 1.644854 · √(2.5 · 4.148148 + 100 / 3) = 10.87 → 11.
#[test]
fn safety_stock_uses_the_mean_lead_time_not_its_rounding() {
    let s = fractional_lead();
    let a = &s.safety_stock(date(2026, 2, 3), &PlanConfig::default()).unwrap()[0];
    assert!((a.lead_time_days - 2.5).abs() < 1e-12);
    assert!((a.lead_time_demand - 25.0).abs() < 1e-9, "{}", a.lead_time_demand);
    assert_eq!(a.recommended, dec("11"), "{a:?}");
    assert_eq!(a.without_season, dec("11"), "{a:?}");
}

/// Stockout risk over the lead time: expected demand over L = 2.5 days is 25 with
/// variance 2.5 · 4.148148 + 10² / 3 (the horizon it reports is 2.5 days).
#[test]
fn stockout_risk_over_the_lead_time_uses_the_mean_lead_time() {
    let s = fractional_lead();
    let r = &s.stockout_risk(date(2026, 2, 3), &PlanConfig::default()).item_sites[0];
    assert_eq!(r.horizon, Horizon::LeadTime);
    assert!((r.horizon_days - 2.5).abs() < 1e-12);
    assert!((r.expected_demand - 25.0).abs() < 1e-9, "{r:?}");
    let var = 2.5 * 112.0 / 27.0 + 100.0 / 3.0;
    assert!((r.std_dev - f64::sqrt(var)).abs() < 1e-9, "{r:?}");
}

/// Supplier BAD: 20 receipts on 01-05 at 10:00, each followed an hour later by a
/// negative adjustment; GOOD: 50 receipts the same day, 5 of them followed.
fn suppliers() -> Insight {
    let mut recs = Vec::new();
    for i in 0..20 {
        let item = format!("B{i}");
        recs.push(receipt(t(5, 10), "BAD", &item, "ATL", 5));
        recs.push(adjusted(t(5, 11), &item, "ATL", "DAMAGE", "ANN", -1, "-1 USD"));
    }
    for i in 0..50 {
        let item = format!("G{i}");
        recs.push(receipt(t(5, 10), "GOOD", &item, "ATL", 5));
        if i < 5 {
            recs.push(adjusted(t(5, 11), &item, "ATL", "DAMAGE", "ANN", -1, "-1 USD"));
        }
    }
    recs.sort_by_key(Record::at);
    Insight::from_records(config(), &recs).unwrap()
}

/// With 7 follow-up days, a receipt of 01-05 has had its whole window (to 01-12 at
/// the receipt's time) by the end of 01-12: the supplier detector tests it then.
#[test]
fn a_receipt_whose_window_closed_on_as_of_is_matured() {
    let s = suppliers();
    let on_time = s.detect(jan(13), &DetectConfig::default()).unwrap();
    assert!(on_time.anomalies.iter().any(|a| a.detector == Detector::SupplierFollowUps));
    let f = s.detect(jan(12), &DetectConfig::default()).unwrap();
    let found = f.anomalies.iter().filter(|a| a.detector == Detector::SupplierFollowUps);
    assert_eq!(found.count(), 1, "{:?}", f.thin);
}

/// `Test::Binomial::threshold` is documented as "the largest p-value the procedure
/// rejected in this family": BAD alone is tested (GOOD's peers, 20 receipts, are
/// below the 50 peers needed) and rejected at p = 0.1^20, so that is the threshold,
/// not the step-up bound 1 · 0.01 / 1 = 0.01.
#[test]
fn the_binomial_threshold_is_the_largest_rejected_p_value() {
    let s = suppliers();
    let f = s.detect(jan(13), &DetectConfig::default()).unwrap();
    let a = f.anomalies.iter().find(|a| a.detector == Detector::SupplierFollowUps).unwrap();
    let Test::Binomial { p_value, threshold, family, .. } = a.test else { panic!("{a:?}") };
    assert_eq!(family, 1);
    assert!((p_value - 1e-20).abs() < 1e-30, "{p_value}");
    assert_eq!(threshold.to_bits(), p_value.to_bits(), "{threshold} vs {p_value}");
}

fn late_config() -> Config {
    let mut c = config();
    c.lateness_secs = 86_400;
    c
}

/// Counts of one item-site out (08:00), out (09:00), within (10:00), window 1: the
/// 09:00 count recurs. Taken with the 09:00 count an hour late, it must still recur.
#[test]
#[ignore = "known: recurrence reads the item-site's counts in arrival order, not time order"]
fn a_late_count_recurs_as_in_time_order() {
    let mut c = late_config();
    c.recurrence_window = 1;
    let rec = |h, counted| {
        count(t(5, h), "BOLT", "DFW", VelocityClass::A, "ANN", 10, counted, 0, "0 USD")
    };
    let in_order = [rec(8, 9), rec(9, 9), rec(10, 10)];
    let late = [rec(8, 9), rec(10, 10), rec(9, 9)];
    let p = Period::containing(Grain::Day, jan(5));
    let a = Insight::from_records(c.clone(), &in_order).unwrap().counts(p, &Dim::Network).unwrap();
    let b = Insight::from_records(c, &late).unwrap().counts(p, &Dim::Network).unwrap();
    assert_eq!(a.recurrence.numerator, dec("1"));
    assert_eq!(b.recurrence, a.recurrence);
}

/// A receipt at 10:00 followed by a negative adjustment at 11:00 is "followed"; taken
/// with the receipt late (after the adjustment), it must be too.
#[test]
#[ignore = "known: a late receipt is not charged with trouble already taken in"]
fn a_late_receipt_is_followed_as_in_time_order() {
    let r = receipt(t(5, 10), "ACME", "BOLT", "ATL", 5);
    let adj = adjusted(t(5, 11), "BOLT", "ATL", "DAMAGE", "ANN", -1, "-1 USD");
    let p = Period::containing(Grain::Day, jan(5));
    let a = Insight::from_records(late_config(), &[r.clone(), adj.clone()]).unwrap();
    let b = Insight::from_records(late_config(), &[adj, r]).unwrap();
    assert_eq!(a.supplier_receipts(p, None).unwrap().followed, 1);
    assert_eq!(b.supplier_receipts(p, None).unwrap().followed, 1);
}

/// A receipt on 01-05 00:00 (window to 01-12 00:00), a negative adjustment on
/// 01-12 01:00 (outside it) and one on 01-11 23:00 (inside it) taken an hour late: the
/// receipt is followed, as in time order.
#[test]
#[ignore = "known: trouble past a receipt's window drops it, so late trouble inside the window misses it"]
fn late_trouble_inside_the_window_follows_the_receipt() {
    let r = receipt(t(5, 0), "ACME", "BOLT", "ATL", 5);
    let outside = adjusted(t(12, 1), "BOLT", "ATL", "DAMAGE", "ANN", -1, "-1 USD");
    let inside = adjusted(t(11, 23), "BOLT", "ATL", "DAMAGE", "ANN", -1, "-1 USD");
    let p = Period::containing(Grain::Day, jan(5));
    let s = Insight::from_records(late_config(), &[r, outside, inside]).unwrap();
    assert_eq!(s.supplier_receipts(p, None).unwrap().followed, 1);
}
