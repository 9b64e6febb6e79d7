//! Snapshots: a restored engine continues exactly as the original (the properties in
//! `tests/properties.rs` check that on random sequences); here, a snapshot that was
//! changed after it was taken is refused with a typed error, never a panic, and one
//! whose every number was tampered with (digest recomputed) either restores to an
//! engine that works or is refused.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::sync::Arc;

use onhand_master::{Catalog, seed};
use onhand_valuation::{
    Agreement, CostBody, CostEvent, IssueTo, NegativeCostPolicy, PriceRule, Rate, TitlePoint,
    Valuation, ValuationConfig, ValuationSnapshot,
};
use proptest::prelude::*;
use serde_json::Value;

fn config() -> ValuationConfig {
    let mut c = ValuationConfig::default();
    c.negative_stock.insert("NA01".parse().unwrap(), NegativeCostPolicy::LastCost);
    c.agreements.push(Agreement {
        seller: "NA01".parse().unwrap(),
        buyer: "CA01".parse().unwrap(),
        price: PriceRule::CostPlus { markup: "0.2".parse().unwrap() },
        currency: "USD".parse().unwrap(),
        title: TitlePoint::Receipt,
    });
    c
}

fn catalog() -> Arc<Catalog> {
    Arc::new(Catalog::new(seed::demo_network()).unwrap())
}

fn ev(id: u64, hour: i64, body: CostBody) -> CostEvent {
    let at = chrono::DateTime::from_timestamp(1_767_600_000 + hour * 3600, 0).unwrap();
    CostEvent { id, at, body }
}

fn receipt(site: &str, item: &str, qty: &str, cost: &str) -> CostBody {
    CostBody::Receipt {
        site: site.parse().unwrap(),
        item: item.parse().unwrap(),
        qty: qty.parse().unwrap(),
        unit_cost: cost.parse().unwrap(),
        owner: None,
    }
}

fn issue(site: &str, item: &str, qty: &str) -> CostBody {
    CostBody::Issue {
        site: site.parse().unwrap(),
        item: item.parse().unwrap(),
        qty: qty.parse().unwrap(),
        to: IssueTo::Sale,
        owner: None,
    }
}

/// An engine with FIFO and moving-average pools, a shortfall, a landed cost, a
/// back-dated receipt, a period close and a cross-entity transfer half received.
fn busy() -> Valuation {
    let mut v = Valuation::new(catalog(), config()).unwrap();
    let rates = vec![Rate {
        from: "USD".parse().unwrap(),
        to: "CAD".parse().unwrap(),
        rate: "1.35".parse().unwrap(),
    }];
    let events = vec![
        ev(1, 1, receipt("ATL", "BOLT-M8", "10 EA", "1.00 USD")),
        ev(2, 2, receipt("ATL", "BOLT-M8", "10 EA", "1.50 USD")),
        ev(3, 3, issue("ATL", "BOLT-M8", "12 EA")),
        ev(4, 4, receipt("YYZ", "NUT-M8", "50 EA", "0.05 CAD")),
        ev(5, 5, issue("YYZ", "NUT-M8", "20 EA")),
        ev(6, 6, CostBody::LandedCost { receipt: 2, amount: "3.00 USD".parse().unwrap() }),
        ev(7, 7, issue("ATL", "BOLT-M8", "12 EA")),
        ev(8, 8, receipt("ATL", "BOLT-M8", "20 EA", "2.00 USD")),
        ev(9, 2, receipt("ATL", "BOLT-M8", "5 EA", "0.90 USD")),
        ev(
            10,
            9,
            CostBody::TransferShip {
                transfer: "T1".parse().unwrap(),
                from: "ATL".parse().unwrap(),
                to: "YYZ".parse().unwrap(),
                item: "BOLT-M8".parse().unwrap(),
                qty: "6 EA".parse().unwrap(),
                rates: rates.clone(),
            },
        ),
        ev(
            11,
            10,
            CostBody::TransferReceipt {
                transfer: "T1".parse().unwrap(),
                qty: "3 EA".parse().unwrap(),
                rates: rates.clone(),
            },
        ),
    ];
    for e in &events {
        v.apply(e).unwrap();
    }
    v.close_period(chrono::DateTime::from_timestamp(1_767_600_000 + 3 * 3600, 0).unwrap()).unwrap();
    v.apply(&ev(12, 11, issue("ATL", "BOLT-M8", "2 EA"))).unwrap();
    v
}

/// What an engine can still do: a few more movements, back-dated among them.
fn exercise(v: &mut Valuation) {
    let more = [
        ev(100, 20, receipt("ATL", "BOLT-M8", "4 EA", "1.10 USD")),
        ev(101, 21, issue("ATL", "BOLT-M8", "30 EA")),
        ev(102, 5, receipt("ATL", "BOLT-M8", "1 EA", "9.00 USD")),
        ev(103, 22, issue("YYZ", "NUT-M8", "5 EA")),
        ev(104, 23, CostBody::LandedCost { receipt: 8, amount: "1.00 USD".parse().unwrap() }),
        ev(
            105,
            24,
            CostBody::TransferReceipt {
                transfer: "T1".parse().unwrap(),
                qty: "3 EA".parse().unwrap(),
                rates: vec![Rate {
                    from: "USD".parse().unwrap(),
                    to: "CAD".parse().unwrap(),
                    rate: "1.35".parse().unwrap(),
                }],
            },
        ),
    ];
    for e in &more {
        let _ = v.apply(e);
    }
    let _ = v.pools();
    let _ = v.held_all();
    let _ = v.snapshot();
}

#[test]
fn a_snapshot_restores_to_an_engine_that_continues_identically() {
    let mut original = busy();
    let snap = original.snapshot();
    let back: ValuationSnapshot =
        serde_json::from_str(&serde_json::to_string(&snap).unwrap()).unwrap();
    let mut restored = Valuation::restore(catalog(), config(), &back).unwrap();
    assert_eq!(restored.snapshot(), snap);
    exercise(&mut original);
    exercise(&mut restored);
    assert_eq!(restored.snapshot(), original.snapshot());
    assert_eq!(restored.pools(), original.pools());
}

/// The pools' records lie in one list per kind, each pool counting its own: counts
/// that do not add up to the lists (the digest made to match) are refused, whether a
/// pool claims more than is left or records are left that no pool claims.
#[test]
fn record_counts_that_do_not_add_up_are_refused() {
    let snap = busy().snapshot();
    let json: Value = serde_json::to_value(&snap).unwrap();
    let pools = json["content"]["pools"].as_array().unwrap().len();
    assert!(pools > 1);
    for (pool, step) in [(0, 1i64), (pools - 1, -1), (pools - 1, 1)] {
        let mut json = json.clone();
        let ops = &mut json["content"]["pools"][pool]["ops"];
        *ops = Value::from(ops.as_i64().unwrap() + step);
        let mut changed: ValuationSnapshot = serde_json::from_value(json).unwrap();
        changed.digest = changed.content_digest();
        let err = Valuation::restore(catalog(), config(), &changed).unwrap_err();
        assert_eq!(err.code(), "restore", "pool {pool}, {step}: {err}");
    }
    // A record no pool claims.
    let mut json = json;
    let ops = json["content"]["ops"].as_array_mut().unwrap();
    ops.push(ops.last().unwrap().clone());
    let mut changed: ValuationSnapshot = serde_json::from_value(json).unwrap();
    changed.digest = changed.content_digest();
    let err = Valuation::restore(catalog(), config(), &changed).unwrap_err();
    assert_eq!(err.code(), "restore", "{err}");
}

#[test]
fn a_snapshot_changed_after_it_was_taken_is_refused() {
    let snap = busy().snapshot();
    let mut json: Value = serde_json::to_value(&snap).unwrap();
    json["content"]["seq"] = Value::from(999);
    let changed: ValuationSnapshot = serde_json::from_value(json).unwrap();
    let err = Valuation::restore(catalog(), config(), &changed).unwrap_err();
    assert_eq!(err.code(), "snapshot_digest");
    let mut other = snap.clone();
    other.format = 1; // the JSON-digest format before this one
    let err = Valuation::restore(catalog(), config(), &other).unwrap_err();
    assert_eq!(err.code(), "snapshot_format");
    // Another configuration: BOLT-M8 valued at moving average by NA01.
    let mut c = config();
    c.methods.push(onhand_valuation::MethodOverride {
        entity: "NA01".parse().unwrap(),
        item: "BOLT-M8".parse().unwrap(),
        method: onhand_valuation::Method::MovingAverage,
    });
    let err = Valuation::restore(catalog(), c, &snap).unwrap_err();
    assert_eq!(err.code(), "restore", "{err}");
}

/// Every number leaf of a JSON value, as a path of keys and indices.
fn numbers(v: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match v {
        Value::Number(_) => out.push(path.clone()),
        Value::Array(a) => {
            for (k, x) in a.iter().enumerate() {
                path.push(Value::from(k));
                numbers(x, path, out);
                path.pop();
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                path.push(Value::from(k.as_str()));
                numbers(x, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn at<'a>(v: &'a mut Value, path: &[Value]) -> &'a mut Value {
    path.iter().fold(v, |v, k| match k {
        Value::String(s) => &mut v[s.as_str()],
        _ => &mut v[usize::try_from(k.as_u64().unwrap()).unwrap()],
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// A number changed anywhere in the content, the digest recomputed: restore refuses
    /// it with a typed error or gives an engine that keeps working; nothing panics (debug
    /// assertions included).
    #[test]
    fn a_tampered_snapshot_is_refused_or_works(pick in any::<usize>(), how in 0u8..6) {
        let snap = busy().snapshot();
        let mut json = serde_json::to_value(&snap).unwrap();
        let mut paths = Vec::new();
        numbers(&json["content"], &mut vec![Value::from("content")], &mut paths);
        let path = &paths[pick % paths.len()];
        let leaf = at(&mut json, path);
        let n = leaf.as_i64().map(i128::from).or_else(|| leaf.as_u64().map(i128::from)).unwrap_or(0);
        let changed = match how {
            0 => n + 1,
            1 => n - 1,
            2 => 0,
            3 => n * 2 + 7,
            4 => -n - 1,
            _ => i128::from(u32::MAX),
        };
        // A JSON value holds 64-bit numbers only.
        let Ok(changed) = serde_json::to_value(changed) else { return Ok(()) };
        *leaf = changed;
        let Ok(mut tampered) = serde_json::from_value::<ValuationSnapshot>(json) else {
            return Ok(());
        };
        tampered.digest = tampered.content_digest();
        if let Ok(mut v) = Valuation::restore(catalog(), config(), &tampered) {
            // The deep check refuses or passes; either way the engine keeps working.
            let _ = v.verify_histories();
            exercise(&mut v);
        }
    }

    /// An engine's histories, snapshotted and restored after any number of its events,
    /// replay to its pools exactly, and the restored engine is the original (same
    /// snapshot digest, same pools).
    #[test]
    fn a_restored_engine_is_its_history_and_the_original(steps in 0usize..4) {
        let mut v = busy();
        for _ in 0..steps {
            exercise(&mut v);
        }
        prop_assert!(v.verify_histories().is_ok(), "{:?}", v.verify_histories());
        let snap = v.snapshot();
        let restored = Valuation::restore(catalog(), config(), &snap).unwrap();
        prop_assert!(restored.verify_histories().is_ok(), "{:?}", restored.verify_histories());
        prop_assert_eq!(restored.snapshot().digest, snap.digest);
        prop_assert_eq!(restored.pools(), v.pools());
    }
}

/// A landed cost on a moving-average pool adds to the pool's value, not to its
/// receipt's record; a replay from a checkpoint before it took its share off the
/// receipt's record anyway, so a back-dated movement left a landed cost on a record
/// that never had one and the pool stopped being its history (found by the snapshot
/// property: restore refused "the pool is not its history").
#[test]
fn a_replay_takes_a_moving_average_landed_cost_off_a_receipt_record() {
    let mut v = Valuation::new(catalog(), ValuationConfig::default()).unwrap();
    for k in 0..70 {
        v.apply(&ev(
            k + 1,
            i64::try_from(k).unwrap(),
            receipt("YYZ", "NUT-M8", "2 EA", "1.00 CAD"),
        ))
        .unwrap();
    }
    v.apply(&ev(100, 80, CostBody::LandedCost { receipt: 1, amount: "0.50 CAD".parse().unwrap() }))
        .unwrap();
    // Back-dated before the landed cost: a replay from the checkpoint at 64.
    v.apply(&ev(101, 75, receipt("YYZ", "NUT-M8", "1 EA", "2.00 CAD"))).unwrap();
    let restored = Valuation::restore(catalog(), ValuationConfig::default(), &v.snapshot());
    assert!(restored.is_ok(), "{:?}", restored.err());
}

/// The facade keeps engines in threads and clones them for what-if runs.
#[test]
fn a_valuation_is_clone_and_send() {
    fn check<T: Clone + Send + Sync>() {}
    check::<Valuation>();
    check::<ValuationSnapshot>();
}

/// A restored transfer whose invoice count is the largest a `u32` holds: the next
/// receipt under title at receipt numbers its invoice one past it, which panicked on
/// overflow (found by `a_tampered_snapshot_is_refused_or_works`); it is now refused with
/// a typed error and changes nothing.
#[test]
fn an_invoice_count_at_its_limit_is_refused_not_a_panic() {
    let snap = busy().snapshot();
    let mut json = serde_json::to_value(&snap).unwrap();
    let transfers = json["content"]["transfers"].as_array_mut().unwrap();
    assert!(!transfers.is_empty(), "the busy engine has a transfer in transit");
    for t in transfers {
        t["invoices"] = Value::from(u32::MAX);
    }
    let mut tampered: ValuationSnapshot = serde_json::from_value(json).unwrap();
    tampered.digest = tampered.content_digest();
    let mut v = Valuation::restore(catalog(), config(), &tampered).unwrap();
    let before = v.snapshot();
    let arrival = ev(
        105,
        24,
        CostBody::TransferReceipt {
            transfer: "T1".parse().unwrap(),
            qty: "3 EA".parse().unwrap(),
            rates: vec![Rate {
                from: "USD".parse().unwrap(),
                to: "CAD".parse().unwrap(),
                rate: "1.35".parse().unwrap(),
            }],
        },
    );
    let err = v.apply(&arrival).unwrap_err();
    assert_eq!(err.code(), "overflow", "{err}");
    assert_eq!(v.snapshot(), before);
}
