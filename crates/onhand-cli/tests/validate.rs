//! `onhand validate`: valid inputs, every defect kind, and every kind of malformed input.

mod common;

use std::collections::BTreeSet;

use common::{check, onhand};

const CLEAN: &str = "summary: clean, no violations";

#[test]
fn valid_toml_json_and_merged_csv_are_clean() {
    check(&["validate", "network.toml"], 0, &[CLEAN], &[]);
    check(&["validate", "network.json"], 0, &[CLEAN], &[]);
    check(&["validate", "network-without-items.json", "items.csv"], 0, &[CLEAN], &[]);
    check(&["validate", "--format", "json", "network.toml"], 0, &["\"master\": []"], &[]);
}

#[test]
fn toml_and_json_fixtures_hold_the_same_network() {
    let dir = common::fixtures();
    let read = |name: &str, format| {
        let path = dir.join(name);
        onhand_cli::read_file(&path, name, format).unwrap()
    };
    assert_eq!(
        read("network.toml", onhand_cli::Format::Toml),
        read("network.json", onhand_cli::Format::Json)
    );
}

#[test]
fn without_its_item_master_the_network_refers_to_unknown_items() {
    let run = check(
        &["validate", "network-without-items.json"],
        1,
        &["[unknown_reference] policy BOLT@DC1: item BOLT does not exist (field item)"],
        &[],
    );
    assert!(run.stderr.is_empty(), "{run:#?}");
}

/// The codes in a JSON report, from both parts.
fn json_codes(stdout: &str) -> BTreeSet<String> {
    let json: serde_json::Value = serde_json::from_str(stdout).expect("the report is JSON");
    let mut codes = BTreeSet::new();
    for part in ["master", "status_maps"] {
        for v in json[part].as_array().expect("an array") {
            codes.insert(v["code"].as_str().expect("a code").to_owned());
            assert!(v["record"]["kind"].is_string() && v["record"]["key"].is_string(), "{v}");
            assert!(v["message"].is_string(), "{v}");
        }
    }
    let counted: BTreeSet<String> =
        json["counts"].as_object().expect("counts").keys().cloned().collect();
    assert_eq!(codes, counted, "counts cover exactly the codes found");
    codes
}

#[test]
fn each_defect_gives_its_code_and_exit_1() {
    let codes = [
        "duplicate_code",
        "unknown_reference",
        "unit_without_conversion",
        "fractional_whole_unit",
        "inconsistent_conversion",
        "policy_on_unstocked_item",
        "sourcing_cycle",
        "site_without_entity",
        "duplicate_lane_rank",
        "invalid_value",
        "unmapped_local_code",
        "conflicting_local_code",
        "inexpressible_status",
    ];
    for code in codes {
        let defect = format!("defects/{code}.toml");
        let tag = format!("[{code}] ");
        check(&["validate", "network.toml", &defect], 1, &[&tag, "summary: "], &[]);
        let run = check(&["validate", "network.toml", &defect, "--format", "json"], 1, &[], &[]);
        assert_eq!(json_codes(&run.stdout), BTreeSet::from([code.to_owned()]), "{defect}");
    }
}

#[test]
fn text_report_groups_master_data_then_status_maps_then_counts() {
    let run = check(
        &[
            "validate",
            "network.toml",
            "defects/site_without_entity.toml",
            "defects/unmapped_local_code.toml",
        ],
        1,
        &[],
        &[],
    );
    assert_eq!(
        run.stdout,
        "master data: 1 violation(s)\n  [site_without_entity] site DC2 has no owning legal entity\n\
         status maps: 1 violation(s)\n  [unmapped_local_code] site DC3: local status XX maps to no canonical status\n\
         summary: 2 violation(s)\n  site_without_entity     1\n  unmapped_local_code     1\n"
    );
}

#[test]
fn malformed_inputs_exit_2_naming_file_line_and_field() {
    // (file, the start of the error line on stderr)
    let cases = [
        ("bad/syntax.toml", "bad/syntax.toml:5:14: invalid basic string"),
        ("bad/syntax.json", "bad/syntax.json:4:23: regions[1]: expected `,` or `}`"),
        (
            "bad/wrong_type.toml",
            "bad/wrong_type.toml:11:16: lanes[1].transit_days: invalid type: string \"two\", expected u32",
        ),
        (
            "bad/unknown_field.json",
            "bad/unknown_field.json:7:14: items[1].colour: unknown field `colour`",
        ),
        (
            "bad/bad_code.toml",
            "bad/bad_code.toml:12:12: items[3].base_uom: invalid unit of measure \"ea\": use 1 to 8 of A-Z, 0-9 and _",
        ),
        (
            "bad/bad_decimal.json",
            "bad/bad_decimal.json:6:48: items[0].units[0].factor: \"12,5\" is not a decimal number",
        ),
        (
            "bad/float.toml",
            "bad/float.toml:5:27: items[0].units[0].factor: write decimals as strings (\"12.5\"), not floats",
        ),
        (
            "bad/float.json",
            "bad/float.json:15:37: policies[0].lead_time.mean_days: write decimals as strings (\"5.5\")",
        ),
        ("bad/not_utf8.toml", "bad/not_utf8.toml:3:11: the file is not valid UTF-8"),
        ("bad/empty.toml", "bad/empty.toml: the file is empty"),
        ("bad/blank.json", "bad/blank.json: the file is empty"),
        ("bad/missing.toml", "bad/missing.toml: cannot read the file: no such file"),
        (
            "bad/bad_cell.csv",
            "bad/bad_cell.csv:3: units: entry 1 \"CS=twelve EA\": \"twelve\" is not a decimal number",
        ),
        ("bad/unknown_column.csv", "bad/unknown_column.csv:1: colour: unknown column \"colour\""),
        ("bad/short_row.csv", "bad/short_row.csv:3: the row has 2 cell(s), the header 3"),
    ];
    for (file, message) in cases {
        let run = check(&["validate", file], 2, &[], &[&format!("error: {message}")]);
        assert!(run.stdout.is_empty(), "nothing is validated when a file is bad: {run:#?}");
        assert!(!run.stderr.contains("panicked"), "{run:#?}");
    }
}

#[test]
fn every_bad_file_is_reported_not_just_the_first() {
    let run = check(
        &["validate", "network.toml", "bad/empty.toml", "bad/bad_code.toml"],
        2,
        &[],
        &["bad/empty.toml", "bad/bad_code.toml:12:12", "2 of 3 file(s) could not be read"],
    );
    assert!(run.stdout.is_empty());
}

#[test]
fn unknown_extension_is_a_usage_error_naming_the_file() {
    check(
        &["validate", "network.toml", "items.xlsx"],
        64,
        &[],
        &["items.xlsx: cannot tell the format from the extension (use .toml, .json or .csv)"],
    );
}

#[test]
fn json_report_parses_and_counts_per_code() {
    let run = check(
        &[
            "validate",
            "--format=json",
            "network.toml",
            "defects/unit_without_conversion.toml",
            "defects/duplicate_code.toml",
        ],
        1,
        &[],
        &[],
    );
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["counts"]["unit_without_conversion"], 2);
    assert_eq!(json["counts"]["duplicate_code"], 1);
    assert_eq!(json["master"][0]["record"], serde_json::json!({"kind": "region", "key": "US-SE"}));
    assert_eq!(json["status_maps"], serde_json::json!([]));
    let clean = onhand(&["validate", "--format", "json", "network.json"]);
    let json: serde_json::Value = serde_json::from_str(&clean.stdout).unwrap();
    assert_eq!(json, serde_json::json!({"master": [], "status_maps": [], "counts": {}}));
}
