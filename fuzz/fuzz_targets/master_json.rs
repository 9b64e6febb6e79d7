//! Master data and status maps from arbitrary JSON: deserializing and validating never
//! panic; valid data always builds a catalog and survives a serde round trip; the report
//! is deterministic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onhand_master::{Catalog, MasterData, validate};
use onhand_status::{SiteStatusMap, StatusMaps, validate_maps};

fuzz_target!(|data: &[u8]| {
    let Some((head, tail)) = split(data) else { return };
    let Ok(master) = serde_json::from_slice::<MasterData>(head) else { return };
    let report = validate(&master);
    assert_eq!(report, validate(&master), "validation is deterministic");
    for v in &report.violations {
        assert!(!v.code().is_empty());
        let _ = v.record().to_string();
        let _ = v.to_string();
    }
    match Catalog::new(master.clone()) {
        Ok(catalog) => {
            assert!(report.is_clean());
            for (ix, item) in catalog.items() {
                assert_eq!(catalog.item_ix(&item.code), Some(ix));
                assert!(catalog.item_units(ix).is_some());
            }
            let json = serde_json::to_vec(&master).unwrap_or_default();
            let back: Option<MasterData> = serde_json::from_slice(&json).ok();
            assert_eq!(back.as_ref(), Some(&master), "serde round trip");
        }
        Err(r) => assert_eq!(r, report),
    }
    if let Ok(maps) = serde_json::from_slice::<Vec<SiteStatusMap>>(tail) {
        let found = validate_maps(&maps, &master);
        match StatusMaps::new(&maps, &master) {
            Ok(built) => {
                assert!(found.is_empty());
                for m in &maps {
                    let Some(site) = built.get(&m.site) else { panic!("built map missing") };
                    for code in &m.codes {
                        let status = site.to_canonical(code).ok();
                        assert!(status.is_some(), "declared code translates");
                    }
                }
            }
            Err(_) => assert!(!found.is_empty()),
        }
    }
});

/// Splits the input at the first NUL: master data before it, status maps after.
fn split(data: &[u8]) -> Option<(&[u8], &[u8])> {
    match data.iter().position(|b| *b == 0) {
        Some(i) => Some((data.get(..i)?, data.get(i + 1..)?)),
        None => Some((data, &[])),
    }
}
