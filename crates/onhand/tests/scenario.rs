//! Scenario expectations compare quantities exactly, whatever unit they are written in:
//! a property test against the plain rule "equal in base units".

use onhand::scenario::{self, Scenario};
use proptest::prelude::*;

/// A receipt of `cases` cases of bolts (120 each) at Atlanta, then an expectation of
/// `expected` available there.
fn scenario(cases: u32, expected: &str) -> Scenario {
    let text = format!(
        r#"{{ "format": 1, "start": "2026-01-05T08:00:00Z", "network": {{ "builtin": "demo" }},
             "steps": [
               {{ "receipt": {{ "site": "ATL", "item": "BOLT-M8", "qty": "{cases} CS",
                               "bin": "PF-A01", "to": "available", "unit_cost": "10.20 USD" }} }},
               {{ "expect": {{ "positions": [ {{ "item": "BOLT-M8", "site": "ATL",
                   "measure": "available", "qty": "{expected}" }} ] }} }} ] }}"#
    );
    serde_json::from_str(&text).expect("a well-formed scenario")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// The expectation holds exactly when it names the same number of bolts: 120 per
    /// case, 40 cases per pallet, in any of the three units.
    #[test]
    fn a_quantity_expectation_holds_iff_equal_in_base_units(
        cases in 1u32..=80,
        value in prop_oneof![Just(0u32), 1u32..=9600],
        unit in prop_oneof![Just("EA"), Just("CS"), Just("PL")],
        near in any::<bool>(),
    ) {
        let per = match unit { "EA" => 1, "CS" => 120, _ => 4800 };
        // Weighted toward the edge: half the time the exact figure, or one unit off it.
        let value = if near && (cases * 120) % per == 0 {
            (cases * 120) / per + u32::from(value % 3 == 0)
        } else {
            value
        };
        let report = scenario::run(&scenario(cases, &format!("{value} {unit}"))).unwrap();
        let holds = value * per == cases * 120;
        prop_assert_eq!(report.passed(), holds, "{}", report.failures_text());
        if !holds {
            let (_, check) = report.failures().next().unwrap();
            prop_assert_eq!(&check.actual, &format!("{} EA", cases * 120));
        }
    }
}
