//! Network snapshots: restore gives the original's digest (exception queue and KPIs
//! included), a snapshot taken anywhere in the journal plus the journal's tail gives the
//! full run's digest and KPI reports, and a snapshot that
//! was changed, or is restored under another configuration, is refused with a typed
//! error and never a panic.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::sync::Arc;

use onhand::sim::{Checks, Setup, Sim, SimConfig};
use onhand::{Entry, Network, NetworkSnapshot};
use proptest::prelude::*;
use proptest::sample::Index;

/// A simulated demo network after `days` days, with its setup and whole journal.
fn simulated(seed: u64, days: u32) -> (Setup, Network, Vec<Entry>) {
    let setup = Setup::demo().unwrap();
    let mut sim =
        Sim::new(setup.clone(), SimConfig::new(seed).steps_per_day(30).checks(Checks::None))
            .unwrap();
    sim.run(days).unwrap();
    let network = sim.network().clone();
    let entries = network.journal().entries().to_vec();
    (setup, network, entries)
}

fn restore(setup: &Setup, network: &Network, snapshot: &NetworkSnapshot) -> Network {
    Network::restore(network.catalog().clone(), setup.rules.clone(), setup.config.clone(), snapshot)
        .unwrap()
}

/// Why restoring `snapshot` over `network`'s catalog and `setup` is refused.
fn refusal(setup: &Setup, network: &Network, snapshot: &NetworkSnapshot) -> onhand::Error {
    Network::restore(network.catalog().clone(), setup.rules.clone(), setup.config.clone(), snapshot)
        .map(|_| ())
        .unwrap_err()
}

fn through_json(snapshot: &NetworkSnapshot) -> NetworkSnapshot {
    serde_json::from_str(&serde_json::to_string(snapshot).unwrap()).unwrap()
}

/// Every leaf of a JSON value that `pick` accepts, by path.
fn leaves(
    v: &serde_json::Value,
    pick: &dyn Fn(&serde_json::Value) -> bool,
    out: &mut Vec<Vec<String>>,
    path: &mut Vec<String>,
) {
    match v {
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                path.push(i.to_string());
                leaves(x, pick, out, path);
                path.pop();
            }
        }
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                path.push(k.clone());
                leaves(x, pick, out, path);
                path.pop();
            }
        }
        leaf if pick(leaf) => out.push(path.clone()),
        _ => {}
    }
}

/// Every number leaf of a JSON value, by path.
fn numbers(v: &serde_json::Value, out: &mut Vec<Vec<String>>, path: &mut Vec<String>) {
    leaves(v, &serde_json::Value::is_number, out, path);
}

/// Every string leaf of a JSON value that reads as a plain decimal (`"12.5"`), by path.
fn decimal_strings(v: &serde_json::Value, out: &mut Vec<Vec<String>>, path: &mut Vec<String>) {
    let decimal = |x: &serde_json::Value| {
        x.as_str().is_some_and(|t| {
            !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
        })
    };
    leaves(v, &decimal, out, path);
}

fn leaf<'a>(v: &'a mut serde_json::Value, path: &[String]) -> Option<&'a mut serde_json::Value> {
    path.iter().try_fold(v, |v, k| match v {
        serde_json::Value::Array(a) => a.get_mut(k.parse::<usize>().ok()?),
        serde_json::Value::Object(m) => m.get_mut(k),
        _ => None,
    })
}

/// Every day, week and month from the simulation's start to the network's time.
fn kpi_periods(setup: &Setup, network: &Network) -> Vec<onhand::insight::Period> {
    use onhand::insight::{Grain, Period};
    let mut out = Vec::new();
    let mut d = setup.start.date_naive();
    while d <= network.now().date_naive() {
        for g in [Grain::Day, Grain::Week, Grain::Month] {
            let p = Period::containing(g, d);
            if !out.contains(&p) {
                out.push(p);
            }
        }
        d = d.succ_opt().unwrap();
    }
    out
}

/// Cut the journal anywhere: replaying the head, snapshotting, restoring and
/// replaying the tail reaches the full run's digest, and the restored network has
/// the digest of the one it was taken from.
#[test]
fn a_snapshot_anywhere_plus_the_tail_gives_the_full_runs_digest() {
    onhand_testkit::pinned::check(16, (any::<u64>(), any::<Index>()), |(seed, cut)| {
        let (setup, network, entries) = simulated(seed, 2);
        let at = cut.index(entries.len() + 1);
        let (head, tail) = entries.split_at(at);
        let before = Network::replay(
            setup.master.clone(),
            setup.rules.clone(),
            setup.config.clone(),
            setup.start,
            head,
        )
        .unwrap();
        let snapshot = through_json(&before.snapshot().unwrap());
        prop_assert_eq!(snapshot.journal(), before.journal().head());
        let mut restored = restore(&setup, &network, &snapshot);
        prop_assert_eq!(restored.digest().unwrap(), before.digest().unwrap());
        prop_assert_eq!(restored.snapshot().unwrap(), before.snapshot().unwrap());
        restored.check().unwrap();
        restored.replay_onto(tail).unwrap();
        prop_assert_eq!(restored.digest().unwrap(), network.digest().unwrap());
        prop_assert_eq!(restored.journal().head(), network.journal().head());
        // The KPIs carried in the snapshot: every report the straight run gives.
        prop_assert!(network.insight_feed().unwrap().records > 0);
        for p in kpi_periods(&setup, &network) {
            prop_assert_eq!(restored.kpi_report(p).unwrap(), network.kpi_report(p).unwrap());
        }
        prop_assert_eq!(restored.insight_feed(), network.insight_feed());
        Ok(())
    });
}

/// One number changed anywhere: refused by its digest. With the digest made to
/// match, restored or refused with a typed error, never a panic.
#[test]
fn a_changed_snapshot_is_refused_with_a_typed_error() {
    onhand_testkit::pinned::check(
        16,
        (
            any::<u64>(),
            any::<Index>(),
            prop_oneof![Just(-1i64), Just(0), Just(1), Just(i64::MAX), 2i64..100],
        ),
        |(seed, pick, value)| {
            let (setup, network, _) = simulated(seed, 1);
            let snapshot = network.snapshot().unwrap();
            let mut json = serde_json::to_value(&snapshot).unwrap();
            let mut paths = Vec::new();
            numbers(&json["content"], &mut paths, &mut vec!["content".to_string()]);
            let path = &paths[pick.index(paths.len())];
            let slot = leaf(&mut json, path).unwrap();
            prop_assume!(slot.as_i64() != Some(value));
            *slot = serde_json::Value::from(value);
            let Ok(changed) = serde_json::from_value::<NetworkSnapshot>(json) else {
                return Ok(());
            };
            let catalog = network.catalog().clone();
            let restore = |s: &NetworkSnapshot| {
                Network::restore(catalog.clone(), setup.rules.clone(), setup.config.clone(), s)
            };
            let refused = restore(&changed).map(|_| ()).unwrap_err();
            prop_assert_eq!(refused.code(), "snapshot_digest");
            let mut json = serde_json::to_value(&changed).unwrap();
            json["digest"] = serde_json::to_value(changed.content_digest().unwrap()).unwrap();
            let resealed: NetworkSnapshot = serde_json::from_value(json).unwrap();
            // The network's seal holds; the ledger's and the books' own digests still refuse
            // a change to their part.
            let part = (path.get(1).map(String::as_str), path.get(2).map(String::as_str));
            let sealed_by_engine = matches!(
                part,
                (Some("ledger"), Some("dictionary" | "state"))
                    | (Some("valuation"), Some("content"))
            );
            match restore(&resealed) {
                Err(e) if sealed_by_engine => prop_assert_eq!(e.code(), "snapshot_digest"),
                Err(e) => {
                    prop_assert!(!matches!(e, onhand::Error::SnapshotDigest), "{:?}: {}", path, e);
                }
                Ok(_) => prop_assert!(!sealed_by_engine, "{:?} changed and restored", path),
            }
            Ok(())
        },
    );
}

#[test]
fn another_format_or_configuration_is_refused() {
    let (setup, network, _) = simulated(11, 1);
    let snapshot = network.snapshot().unwrap();
    let catalog: Arc<_> = network.catalog().clone();
    let mut json = serde_json::to_value(&snapshot).unwrap();
    json["format"] = (onhand::NETWORK_SNAPSHOT_FORMAT + 1).into();
    let other: NetworkSnapshot = serde_json::from_value(json).unwrap();
    let e = Network::restore(catalog.clone(), setup.rules.clone(), setup.config.clone(), &other)
        .map(|_| ())
        .unwrap_err();
    assert_eq!(e.code(), "snapshot_format");
    let mut config = setup.config.clone();
    config.atp.protect_safety_stock = Some(1);
    let e = Network::restore(catalog.clone(), setup.rules.clone(), config, &snapshot)
        .map(|_| ())
        .unwrap_err();
    assert_eq!(e.code(), "snapshot_mismatch");
    assert_eq!(
        restore(&setup, &network, &snapshot).state_digest().unwrap(),
        network.state_digest().unwrap()
    );
}

/// A booking the availability engine does not hold, sealed with a matching digest, is
/// refused as invalid network state.
#[test]
fn a_resealed_snapshot_with_a_dangling_booking_is_refused() {
    let (setup, network, _) = simulated(3, 1);
    let snapshot = network.snapshot().unwrap();
    let mut json = serde_json::to_value(&snapshot).unwrap();
    let bookings = json["content"]["bookings"].as_array_mut().unwrap();
    assert!(!bookings.is_empty(), "the day booked order lines");
    let mut extra = bookings[0].clone();
    extra["request"]["order"] = "SO-NOWHERE".into();
    extra["id"] = json["content"]["next_line"].clone();
    json["content"]["bookings"].as_array_mut().unwrap().push(extra);
    let changed: NetworkSnapshot = serde_json::from_value(json).unwrap();
    let mut json = serde_json::to_value(&changed).unwrap();
    json["digest"] = serde_json::to_value(changed.content_digest().unwrap()).unwrap();
    let resealed: NetworkSnapshot = serde_json::from_value(json).unwrap();
    let e = refusal(&setup, &network, &resealed);
    assert_eq!(e.code(), "invalid_snapshot", "{e}");
}

/// A change inside the ledger's or the books' part is refused by their own digest, which
/// the network digest covers, as a changed network snapshot.
#[test]
fn a_change_inside_an_engines_part_is_refused_by_its_digest() {
    let (setup, network, _) = simulated(5, 1);
    let snapshot = network.snapshot().unwrap();
    for (part, change) in [
        ("ledger", serde_json::json!(["state", "seq"])),
        ("valuation", serde_json::json!(["content", "seq"])),
    ] {
        let mut json = serde_json::to_value(&snapshot).unwrap();
        let path: Vec<String> = std::iter::once("content".to_string())
            .chain(std::iter::once(part.to_string()))
            .chain(change.as_array().unwrap().iter().map(|k| k.as_str().unwrap().to_string()))
            .collect();
        let slot = leaf(&mut json, &path).unwrap();
        *slot = serde_json::Value::from(slot.as_u64().unwrap() + 1);
        let changed: NetworkSnapshot = serde_json::from_value(json).unwrap();
        assert_eq!(
            changed.content_digest().unwrap(),
            snapshot.digest,
            "{part} is sealed by its own digest"
        );
        let e = Network::restore(
            network.catalog().clone(),
            setup.rules.clone(),
            setup.config.clone(),
            &changed,
        )
        .map(|_| ())
        .unwrap_err();
        assert_eq!(e.code(), "snapshot_digest", "{part}: {e}");
    }
}

/// A format 2 snapshot (before the KPIs travelled) is refused with a typed error, and so
/// is a resealed snapshot whose KPI part insight cannot restore.
#[test]
fn an_old_format_or_a_bad_kpi_part_is_refused() {
    let (setup, network, _) = simulated(5, 1);
    let snapshot = network.snapshot().unwrap();
    let catalog: Arc<_> = network.catalog().clone();
    let restore = |s: &NetworkSnapshot| {
        Network::restore(catalog.clone(), setup.rules.clone(), setup.config.clone(), s)
            .map(|_| ())
            .unwrap_err()
            .code()
    };
    let mut old = serde_json::to_value(&snapshot).unwrap();
    old["format"] = 2.into();
    old["content"].as_object_mut().unwrap().remove("insight");
    // Format 2 has no KPI part: it reads, and is refused by its format.
    assert_eq!(restore(&serde_json::from_value(old).unwrap()), "snapshot_format");
    let reseal = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut json = serde_json::to_value(&snapshot).unwrap();
        change(&mut json["content"]["insight"]);
        let changed: NetworkSnapshot = serde_json::from_value(json.clone()).unwrap();
        json["digest"] = serde_json::to_value(changed.content_digest().unwrap()).unwrap();
        serde_json::from_value::<NetworkSnapshot>(json).unwrap()
    };
    assert_eq!(restore(&reseal(&|k| k["insight"]["format"] = 9.into())), "snapshot_format");
    let twice = reseal(&|k| {
        let lines = k["lines"].as_array_mut().unwrap();
        let first = lines[0].clone();
        lines.push(first);
    });
    assert_eq!(restore(&twice), "invalid_snapshot");
    let dangling = reseal(&|k| k["insight"]["orders"]["lines"][0][1]["order"] = 99_999.into());
    assert_eq!(restore(&dangling), "invalid_snapshot");
}

/// Recomputes every digest of a snapshot's JSON: the ledger's and the books' own, then
/// the network's over them (what someone editing a stored snapshot can always do).
fn reseal_all(mut json: serde_json::Value) -> Option<NetworkSnapshot> {
    let ledger = &mut json["content"]["ledger"];
    let mut l: onhand::ledger::Snapshot = serde_json::from_value(ledger.clone()).ok()?;
    l.digest = l.content_digest().ok()?;
    *ledger = serde_json::to_value(&l).ok()?;
    let books = &mut json["content"]["valuation"];
    let mut v: onhand::valuation::ValuationSnapshot = serde_json::from_value(books.clone()).ok()?;
    v.digest = v.content_digest();
    *books = serde_json::to_value(&v).ok()?;
    let mut s: NetworkSnapshot = serde_json::from_value(json).ok()?;
    s.digest = s.content_digest().ok()?;
    Some(s)
}

/// A number or a decimal (a quantity, a value) changed anywhere in the ledger's, the availability engine's or the books'
/// part, with every digest recomputed, passes the digests: restore then refuses the
/// snapshot with a typed error, or gives a network whose engines agree. Changed stock
/// figures of the availability engine do restore as that part alone, and are refused
/// as engines that disagree (found by the `snapshot_restore` fuzz target: a restored
/// network promised free stock the ledger did not have).
#[test]
fn a_snapshot_resealed_at_every_level_restores_only_to_engines_that_agree() {
    let (setup, network, _) = simulated(7, 1);
    let snapshot = network.snapshot().unwrap();
    let base = serde_json::to_value(&snapshot).unwrap();
    let catalog: Arc<_> = network.catalog().clone();
    let (mut paths, mut decimals) = (Vec::new(), Vec::new());
    for part in ["ledger", "atp", "valuation"] {
        let mut path = vec!["content".to_string(), part.to_string()];
        numbers(&base["content"][part], &mut paths, &mut path);
        decimal_strings(&base["content"][part], &mut decimals, &mut path);
    }
    assert!(decimals.len() > 100, "quantities and values are decimal strings");
    // Every 7th leaf of each kind, so the test stays quick in a debug build.
    let (mut restored, mut disagreeing) = (0, 0);
    let leaves = paths.iter().step_by(7).chain(decimals.iter().step_by(7));
    for path in leaves {
        let mut json = base.clone();
        let slot = leaf(&mut json, path).unwrap();
        // A number, or a decimal written as a string (quantities, values), plus one.
        *slot = match (slot.as_i64(), slot.as_str().map(str::parse::<rust_decimal::Decimal>)) {
            (Some(n), _) => serde_json::Value::from(n.saturating_add(1)),
            (None, Some(Ok(d))) => {
                serde_json::Value::from((d + rust_decimal::Decimal::ONE).to_string())
            }
            _ => continue,
        };
        let Some(resealed) = reseal_all(json) else { continue };
        match Network::restore(
            catalog.clone(),
            setup.rules.clone(),
            setup.config.clone(),
            &resealed,
        ) {
            Ok(n) => {
                restored += 1;
                if let Err(v) = n.check() {
                    panic!("{path:?} + 1 restored with engines that disagree: {v}");
                }
            }
            Err(onhand::Error::InvalidSnapshot { part: "invariants", .. }) => disagreeing += 1,
            Err(e) => assert!(!matches!(e, onhand::Error::SnapshotDigest), "{path:?}: {e}"),
        }
    }
    assert!(restored > 0, "some changes are harmless (a time, a counter)");
    assert!(disagreeing > 0, "some changes only the invariants between the engines catch");
}

/// Two held positions of one owner and item near the decimal limit, resealed: each is
/// within range, their sum is not. Checking the engines' agreement on restore summed
/// them with a panicking `+=` (found in review); the snapshot is refused instead.
#[test]
fn positions_whose_sum_overflows_are_refused_not_a_panic() {
    let (setup, network, _) = simulated(7, 1);
    let mut json = serde_json::to_value(network.snapshot().unwrap()).unwrap();
    let positions = json["content"]["ledger"]["state"]["positions"].as_array_mut().unwrap();
    let mut near: Vec<&mut serde_json::Value> = positions
        .iter_mut()
        .filter(|p| {
            p["key"]["status"] == "quality_hold"
                && p["key"]["owner"] == 0
                && p["key"]["item"] == 3
                && p["hist"].as_array().is_some_and(|h| h.len() == 1)
        })
        .collect();
    assert!(near.len() >= 2, "the seeded day holds two lots of one item in quality");
    let max = rust_decimal::Decimal::MAX;
    for p in near.iter_mut().take(2) {
        let change: rust_decimal::Decimal =
            p["hist"][0]["change"].as_str().unwrap().parse().unwrap();
        p["base"] = (max - change).to_string().into();
        p["qty"] = max.to_string().into();
    }
    let resealed = reseal_all(json).expect("still a snapshot");
    let refused = refusal(&setup, &network, &resealed);
    assert!(
        matches!(refused, onhand::Error::InvalidSnapshot { .. } | onhand::Error::Ledger(_)),
        "{refused}"
    );
}

/// Found by the `snapshot_restore` fuzz target: counts restored at the top of their
/// range overflowed on the next event (a panic where overflow is checked, a wrap where
/// not). The shipment count is refused past `i64::MAX`. (The insight feed's counts now
/// stay at the top: the fuzz target's crashing input is kept among its seeds,
/// `fuzz/seeds/snapshot_restore/feed-stats-at-the-top`.)
#[test]
fn a_shipment_count_past_any_network_is_refused() {
    let (setup, network, _) = simulated(7, 1);
    let mut json = serde_json::to_value(network.snapshot().unwrap()).unwrap();
    assert!(json["content"]["shipment_count"].is_u64());
    json["content"]["shipment_count"] = u64::MAX.into();
    let resealed = reseal_all(json).expect("still a snapshot");
    let refused = refusal(&setup, &network, &resealed);
    assert!(matches!(refused, onhand::Error::InvalidSnapshot { .. }), "{refused}");
}

/// One item-site's free stock in the availability part raised by one unit, every digest
/// recomputed: each part restores alone, and the network refuses the snapshot because
/// free stock plus what booked lines hold is no longer the ledger's available stock
/// (the availability invariant, checked in item-site order against the ledger's
/// figures; leaving that comparison out fails this test).
#[test]
fn free_stock_the_ledger_does_not_have_is_refused_by_the_availability_invariant() {
    let (setup, network, _) = simulated(7, 1);
    let mut json = serde_json::to_value(network.snapshot().unwrap()).unwrap();
    let cells = json["content"]["atp"]["cells"].as_array_mut().unwrap();
    let cell = cells
        .iter_mut()
        .find(|c| c["timeline"].is_null())
        .expect("an item-site without dated supply");
    let now = cell["now"].as_i64().unwrap();
    cell["now"] = (now + 1).into();
    refused_by_invariant(&setup, &network, json, "availability");
}

/// One dated change on an item-site's timeline in the availability part moved by one
/// unit, every digest recomputed: the network refuses the snapshot because the
/// engine's dated supply is no longer the open expected receipts and shipments less
/// what booked lines take (the supply invariant; leaving it out fails this test).
#[test]
fn dated_supply_nothing_is_due_for_is_refused_by_the_supply_invariant() {
    let (setup, network, _) = simulated(7, 1);
    let mut json = serde_json::to_value(network.snapshot().unwrap()).unwrap();
    let cells = json["content"]["atp"]["cells"].as_array_mut().unwrap();
    let timeline = cells
        .iter_mut()
        .find_map(|c| c.get_mut("timeline")?.get_mut(0)?.as_array_mut().filter(|t| !t.is_empty()))
        .expect("an item-site with dated supply");
    let net = timeline[0][1].as_i64().unwrap();
    timeline[0][1] = (net + 1).into();
    refused_by_invariant(&setup, &network, json, "supply");
}

/// `json`, resealed at every level, is refused on restore by invariant `name` between
/// the engines.
fn refused_by_invariant(setup: &Setup, network: &Network, json: serde_json::Value, name: &str) {
    let resealed = reseal_all(json).expect("still a snapshot");
    match refusal(setup, network, &resealed) {
        onhand::Error::InvalidSnapshot { part: "invariants", what } => {
            assert!(what.contains(&format!("invariant {name} fails")), "{what}");
        }
        e => panic!("refused otherwise: {e}"),
    }
}

/// Restoring checks the configuration's availability settings as building a network
/// does, though it builds no empty engine to check them with: a snapshot sealed for a
/// configuration that protects safety stock restores; one sealed (by hand) for a
/// configuration with a quota for an item the catalog lacks is refused as building a
/// network from that configuration is.
#[test]
fn restoring_checks_the_configurations_availability_settings_as_building_does() {
    let setup = Setup::demo().unwrap();
    let catalog = Arc::new(onhand::master::Catalog::new(setup.master.clone()).unwrap());
    let mut protecting = setup.config.clone();
    protecting.atp.protect_safety_stock = Some(1);
    let network = Network::with_catalog(
        catalog.clone(),
        setup.rules.clone(),
        protecting.clone(),
        setup.start,
    )
    .unwrap();
    let snapshot = network.snapshot().unwrap();
    let restored =
        Network::restore(catalog.clone(), setup.rules.clone(), protecting.clone(), &snapshot)
            .unwrap();
    assert_eq!(restored.digest().unwrap(), network.digest().unwrap());

    let mut unbuildable = protecting;
    unbuildable.atp.quotas.push(onhand::atp::QuotaRule {
        item: "NO-SUCH-ITEM".parse().unwrap(),
        periods: vec![setup.start.date_naive()],
        consumption: onhand::atp::Consumption::Discrete,
        entries: vec![],
        collective: None,
    });
    let built = Network::with_catalog(
        catalog.clone(),
        setup.rules.clone(),
        unbuildable.clone(),
        setup.start,
    )
    .map(|_| ())
    .unwrap_err();
    // The snapshot sealed for that configuration: its digest, then every seal.
    let mut encoded = Vec::new();
    onhand::master::canonical::stream_compact(&unbuildable, |c| encoded.extend_from_slice(c))
        .unwrap();
    let mut json = serde_json::to_value(&snapshot).unwrap();
    json["content"]["config"] = serde_json::to_value(onhand::ledger::Digest::of(&encoded)).unwrap();
    let resealed = reseal_all(json).unwrap();
    let refused = Network::restore(catalog, setup.rules.clone(), unbuildable, &resealed)
        .map(|_| ())
        .unwrap_err();
    assert_eq!(refused.to_string(), built.to_string());
}

/// A running total an edit pushed to the top of the decimal range (a booking's picked
/// quantity, an expected receipt's received quantity, a KPI feed's shipped quantity),
/// resealed, is refused on restore: before, it restored, and the next pick or change
/// of the receipt panicked on the overflowing sum, after the ledger had committed the
/// pick (a defect a review found).
#[test]
fn restored_totals_at_the_top_of_the_range_are_refused() {
    let (setup, network, _) = simulated(7, 3);
    let json = serde_json::to_value(network.snapshot().unwrap()).unwrap();
    let top = serde_json::Value::from(onhand::master::Decimal::MAX.to_string());
    let paths = [
        "/content/bookings/0/picked",
        "/content/bookings/0/shipped",
        "/content/receipts/0/received",
        "/content/insight/lines/0/1/shipped",
    ];
    let mut edits = Vec::new();
    for what in paths {
        let mut edited = json.clone();
        // The simulated days may hold no open expected receipt or fed line.
        let Some(field) = edited.pointer_mut(what) else { continue };
        *field = top.clone();
        let s = reseal_all(edited).unwrap();
        assert_eq!(refusal(&setup, &network, &s).code(), "invalid_snapshot", "{what}");
        edits.push(what);
    }
    assert!(edits.len() >= 3, "edited only {edits:?}");
}
