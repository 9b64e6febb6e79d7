//! Property tests for `onhand-status`: site status maps translate both ways and report
//! every planted defect; the transition table keeps its invariants. Strategies come from
//! `onhand_testkit::strategies`.

use onhand_master::{LocalStatusCode, Role};
use onhand_status::{
    Approval, Movement, SiteStatusMap, StatusError, StatusMaps, StockStatus, all_moves, check_move,
    moves_from, validate_maps,
};
use onhand_testkit::strategies::{Defect, inject, network_with_maps};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------
// Site status maps
// ---------------------------------------------------------------------------------------

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Doc {
    status_maps: Vec<SiteStatusMap>,
}

proptest! {
    /// For valid maps, translation works both ways: every expressible status goes to its
    /// primary local code and back to itself, only `in_transit` may be inexpressible,
    /// every declared local code translates to the status that lists it, and a site
    /// without a map reads the canonical names.
    #[test]
    fn translation_works_both_ways((data, maps) in network_with_maps()) {
        prop_assert!(validate_maps(&maps, &data).is_empty());
        let built = StatusMaps::new(&maps, &data)?;
        for spec in &maps {
            let m = built.get(&spec.site).ok_or_else(|| TestCaseError::fail("no map"))?;
            prop_assert_eq!(m.site(), &spec.site);
            for status in StockStatus::ALL {
                let listed = spec.map.get(&status).and_then(|codes| codes.first());
                match m.to_local(status) {
                    Ok(local) => {
                        prop_assert_eq!(Some(local), listed);
                        prop_assert_eq!(m.to_canonical(local)?, status);
                    }
                    Err(StatusError::Inexpressible { site, status: s }) => {
                        prop_assert_eq!((&site, s), (&spec.site, status));
                        prop_assert_eq!(status, StockStatus::InTransit);
                        prop_assert!(listed.is_none());
                    }
                    Err(e) => prop_assert!(false, "{status}: {e}"),
                }
            }
            for (status, codes) in &spec.map {
                for code in codes {
                    prop_assert_eq!(m.to_canonical(code)?, *status);
                    prop_assert_eq!(built.to_canonical(&spec.site, code)?, *status);
                }
            }
            for code in &spec.codes {
                prop_assert!(m.to_canonical(code).is_ok(), "declared {} does not translate", code);
            }
            let stranger = LocalStatusCode::new("NOT-A-CODE-HERE")?;
            if !spec.codes.contains(&stranger) {
                let unknown = matches!(m.to_canonical(&stranger), Err(StatusError::UnknownLocalCode { .. }));
                prop_assert!(unknown);
            }
        }
        for site in data.sites.iter().filter(|s| built.get(&s.code).is_none()) {
            for status in StockStatus::ALL {
                let name = LocalStatusCode::new(status.as_str())?;
                prop_assert_eq!(built.to_canonical(&site.code, &name)?, status);
            }
        }
    }

    /// Valid maps survive JSON and TOML unchanged and still validate.
    #[test]
    fn maps_survive_json_and_toml((data, maps) in network_with_maps()) {
        let doc = Doc { status_maps: maps };
        let json = serde_json::to_string(&doc)?;
        let back: Doc = serde_json::from_str(&json)?;
        prop_assert_eq!(&back, &doc);
        let text = toml::to_string(&doc)?;
        let back: Doc = toml::from_str(&text)?;
        prop_assert_eq!(&back, &doc);
        prop_assert!(validate_maps(&back.status_maps, &data).is_empty());
    }

    /// Each status-map defect planted into valid maps is reported with its code and
    /// record, and the maps no longer build.
    #[test]
    fn each_status_map_defect_is_reported((data, maps) in network_with_maps(), pick in any::<Index>()) {
        for defect in Defect::STATUS_MAP {
            let (mut d, mut m) = (data.clone(), maps.clone());
            let planted = inject(defect, &mut d, &mut m, pick);
            prop_assert_eq!(&d, &data, "a status-map defect changed the master data");
            prop_assert_eq!(planted.code, defect.code());
            let found = validate_maps(&m, &data);
            let reported = found.iter().any(|v| {
                v.code() == planted.code && v.record_kind() == planted.kind && v.record_key() == planted.key
            });
            prop_assert!(reported, "{:?} planted {:?}, found {:?}", defect, planted, found);
            prop_assert!(StatusMaps::new(&m, &data).is_err());
            let again = validate_maps(&m, &data);
            prop_assert_eq!(again, found);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Transition table
// ---------------------------------------------------------------------------------------

/// The approval a row must carry, by the rules the table's docs state: quality decides
/// what leaves quality hold for use, damage or scrap, what re-enters inspection from
/// damage, and what a return releases to available; inventory control releases blocks,
/// scraps usable or blocked stock and writes off stock lost in transit; everything else
/// (receipts above all) needs no approver.
fn required_approval(from: Option<StockStatus>, to: Option<StockStatus>) -> Approval {
    use StockStatus::{
        Available, Blocked, Damaged, InTransit, QualityHold, ReturnPending, Scrapped,
    };
    let quality = Approval::Role(Role::Quality);
    let control = Approval::Role(Role::InventoryControl);
    match (from, to) {
        (Some(QualityHold), Some(Available | Damaged | Scrapped))
        | (Some(Damaged), Some(QualityHold))
        | (Some(ReturnPending), Some(Available)) => quality,
        (Some(Blocked), Some(Available | Scrapped))
        | (Some(Available), Some(Scrapped))
        | (Some(InTransit), None) => control,
        _ => Approval::None,
    }
}

#[test]
fn every_row_carries_the_approval_its_rule_requires() {
    for (from, m) in all_moves() {
        assert_eq!(
            m.approval,
            required_approval(from, m.to),
            "{:?} --{}--> {:?}",
            from,
            m.movement,
            m.to
        );
        if let Approval::Role(role) = m.approval {
            assert!(matches!(role, Role::Quality | Role::InventoryControl), "{role}");
            assert!(from.is_some(), "a move from outside needs {role}");
        }
        assert_eq!(check_move(m.movement, from, m.to), Ok(m.approval), "first matching row");
    }
}

#[test]
fn damaged_never_reaches_available_in_one_move() {
    for (from, m) in all_moves() {
        assert!(
            !(from == Some(StockStatus::Damaged) && m.to == Some(StockStatus::Available)),
            "{} takes damaged stock to available",
            m.movement
        );
    }
    for movement in Movement::ALL {
        assert!(
            check_move(movement, Some(StockStatus::Damaged), Some(StockStatus::Available)).is_err()
        );
    }
}

#[test]
fn every_on_hand_status_can_be_counted_in_and_out() {
    for s in StockStatus::ALL {
        let counted_in = check_move(Movement::CycleCount, None, Some(s));
        let counted_out = check_move(Movement::CycleCount, Some(s), None);
        let written_off = check_move(Movement::Adjustment, Some(s), None);
        if s.is_on_hand() {
            assert_eq!(counted_in, Ok(Approval::None), "count gain into {s}");
            assert_eq!(counted_out, Ok(Approval::None), "count loss out of {s}");
            assert_eq!(written_off, Ok(Approval::None), "adjustment out of {s}");
        } else {
            assert!(counted_in.is_err() && counted_out.is_err(), "{s} is at no site to count");
        }
    }
}

fn side() -> impl Strategy<Value = Option<StockStatus>> {
    prop::option::of(select(StockStatus::ALL.to_vec()))
}

proptest! {
    /// `check_move` allows exactly the table's rows, with their approval, and refuses
    /// everything else with `IllegalMove` naming the move.
    #[test]
    fn check_move_agrees_with_the_table(
        movement in select(Movement::ALL.to_vec()), from in side(), to in side(),
    ) {
        let row = moves_from(from).iter().find(|m| m.movement == movement && m.to == to);
        match (check_move(movement, from, to), row) {
            (Ok(approval), Some(m)) => prop_assert_eq!(approval, m.approval),
            (Err(StatusError::IllegalMove { movement: mv, from: f, to: t }), None) => {
                prop_assert_eq!((mv, f, t), (movement, from, to));
            }
            (got, row) => prop_assert!(false, "{movement} {from:?} -> {to:?}: {got:?} vs {row:?}"),
        }
        let listed = all_moves().any(|(f, m)| f == from && m.movement == movement && m.to == to);
        prop_assert_eq!(listed, row.is_some());
    }
}
