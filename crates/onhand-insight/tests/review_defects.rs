#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test
//! Defects found by review 3: each test failed on the code it was written against.

mod common;

use common::*;
use onhand_insight::*;

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
