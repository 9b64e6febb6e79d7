//! `onhand validate`: valid inputs, every defect kind, and every kind of malformed input.

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};

use common::{Run, check, onhand};
use serde_json::{Value, json};

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
        &[
            "[unknown_reference] network-without-items.json:83: policy BOLT@DC1: item BOLT does not exist (field item)",
        ],
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
        "master data: 1 violation(s)\n  [site_without_entity] defects/site_without_entity.toml:2: site DC2 has no owning legal entity\n\
         status maps: 1 violation(s)\n  [unmapped_local_code] defects/unmapped_local_code.toml:8: site DC3: local status XX maps to no canonical status\n\
         summary: 2 violation(s)\n  site_without_entity     1\n  unmapped_local_code     1\n"
    );
}

/// Issue 12: rule violations (an unknown unit, a duplicate item) named the record but
/// not the file and line that hold it, as syntax errors do.
#[test]
fn rule_violations_name_the_file_and_line_of_their_record() {
    let run = check(&["validate", "network.toml", "defects/unknown_unit.csv"], 1, &[], &[]);
    for line in [
        "  [unknown_reference] defects/unknown_unit.csv:3: item WASHER: unit XX does not exist (field base_uom)",
        "  [unit_without_conversion] defects/unknown_unit.csv:4: item SPACER: unit BX has no conversion to the base unit",
        "  [unit_without_conversion] defects/unknown_unit.csv:4: item SPACER: unit ZZ has no conversion to the base unit",
    ] {
        assert!(run.stdout.lines().any(|l| l == line), "no line {line:?} in\n{}", run.stdout);
    }
    // Every finding of every defect fixture names a file and a line.
    let mut args = vec!["validate", "network.toml", "--format", "json"];
    let defects: Vec<String> = std::fs::read_dir(common::fixtures().join("defects"))
        .unwrap()
        .map(|e| format!("defects/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    args.extend(defects.iter().map(String::as_str));
    let run = check(&args, 1, &[], &[]);
    let json: Value = serde_json::from_str(&run.stdout).unwrap();
    for part in ["master", "status_maps"] {
        for finding in json[part].as_array().unwrap() {
            let at = finding["locations"].as_array().unwrap();
            assert!(!at.is_empty(), "{finding}");
            for l in at {
                assert!(l["file"].is_string() && l["line"].as_u64().is_some_and(|n| n > 0), "{l}");
            }
        }
    }
}

/// Issue 12: a duplicate across files names both files and lines, in the text report and
/// in the JSON one.
#[test]
fn a_duplicate_across_files_names_both_files_and_lines() {
    let run = check(&["validate", "network.toml", "items.csv"], 1, &[], &[]);
    assert!(
        run.stdout.contains(
            "  [duplicate_code] items.csv:2: item BOLT is defined more than once (first defined at network.toml:54)\n"
        ),
        "{}",
        run.stdout
    );
    let run = check(&["validate", "--format=json", "network.toml", "items.csv"], 1, &[], &[]);
    let json: Value = serde_json::from_str(&run.stdout).unwrap();
    let bolt =
        json["master"].as_array().unwrap().iter().find(|f| f["record"]["key"] == "BOLT").unwrap();
    assert_eq!(
        bolt["locations"],
        json!([{"file": "items.csv", "line": 2}, {"file": "network.toml", "line": 54}])
    );
    // Within one file, and in the file order given: the later record is the duplicate.
    let run = check(&["validate", "items.csv", "network.toml"], 1, &[], &[]);
    assert!(
        run.stdout.contains(
            "  [duplicate_code] network.toml:54: item BOLT is defined more than once (first defined at items.csv:2)\n"
        ),
        "{}",
        run.stdout
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
        &["bad/empty.toml", "bad/bad_code.toml:12:12", "2 of 3 input(s) could not be read"],
    );
    assert!(run.stdout.is_empty());
}

#[test]
fn unknown_extension_is_a_usage_error_naming_the_file() {
    check(
        &["validate", "network.toml", "items.xlsx"],
        64,
        &[],
        &[
            "items.xlsx: cannot tell the format from the extension (use .toml, .json or .csv, or --input-format)",
        ],
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
    let json: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["counts"]["unit_without_conversion"], 2);
    assert_eq!(json["counts"]["duplicate_code"], 1);
    assert_eq!(json["master"][0]["record"], json!({"kind": "region", "key": "US-SE"}));
    assert_eq!(json["status_maps"], json!([]));
    let clean = onhand(&["validate", "--format", "json", "network.json"]);
    let json: Value = serde_json::from_str(&clean.stdout).unwrap();
    assert_eq!(
        json,
        json!({
            "schema_version": 1, "outcome": "clean", "exit_code": 0, "errors": [],
            "master": [], "status_maps": [], "counts": {}
        })
    );
}

/// Checks that a `--format json` run printed one JSON object of the documented shape on
/// stdout and nothing on stderr, with the exit code the process exited with.
fn json_outcome(run: &Run, outcome: &str) -> Value {
    assert!(run.stderr.is_empty(), "{run:#?}");
    let json: Value = serde_json::from_str(&run.stdout).expect("stdout is one JSON value");
    let keys: BTreeSet<&str> =
        json.as_object().expect("an object").keys().map(String::as_str).collect();
    let expected =
        ["counts", "errors", "exit_code", "master", "outcome", "schema_version", "status_maps"];
    assert_eq!(keys, BTreeSet::from(expected), "{json}");
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["outcome"], outcome, "{json}");
    assert_eq!(json["exit_code"], run.code, "{json}");
    for e in json["errors"].as_array().expect("errors is an array") {
        let keys: BTreeSet<&str> =
            e.as_object().expect("an error is an object").keys().map(String::as_str).collect();
        let expected = ["code", "column", "field", "file", "line", "message"];
        assert_eq!(keys, BTreeSet::from(expected), "{e}");
        assert!(e["code"].is_string() && e["message"].is_string(), "{e}");
    }
    json
}

/// Issue 12: `--format json` printed parse errors as text on stderr. Every outcome is one
/// JSON object on stdout.
#[test]
fn under_format_json_every_outcome_is_json_on_stdout() {
    let run = check(&["validate", "--format", "json", "network.toml"], 0, &[], &[]);
    json_outcome(&run, "clean");
    let run = check(&["validate", "--format", "json", "network-without-items.json"], 1, &[], &[]);
    let json = json_outcome(&run, "violations");
    assert_eq!(json["errors"], json!([]));

    // Parse errors: every unreadable input, with its file, line, column and field.
    let run = check(
        &[
            "validate",
            "network.toml",
            "bad/bad_code.toml",
            "bad/empty.toml",
            "bad/missing.toml",
            "--format=json",
        ],
        2,
        &[],
        &[],
    );
    let json = json_outcome(&run, "unreadable");
    assert_eq!(
        json["errors"],
        json!([
            {"code": "invalid", "file": "bad/bad_code.toml", "line": 12, "column": 12,
             "field": "items[3].base_uom",
             "message": "invalid unit of measure \"ea\": use 1 to 8 of A-Z, 0-9 and _"},
            {"code": "empty", "file": "bad/empty.toml", "line": null, "column": null,
             "field": null, "message": "the file is empty"},
            {"code": "read", "file": "bad/missing.toml", "line": null, "column": null,
             "field": null, "message": "cannot read the file: no such file"},
        ])
    );
    assert_eq!((json["master"].clone(), json["counts"].clone()), (json!([]), json!({})));

    // Usage errors, when the command line asks for JSON.
    let usage: [(&[&str], &str); 5] = [
        (&["validate", "--format", "json"], "no_files"),
        (&["validate", "--format", "json", "network.toml", "--strict"], "unknown_option"),
        (&["validate", "--format=json", "items.xlsx"], "unknown_extension"),
        (&["validate", "--format=json", "-"], "stdin_without_format"),
        (&["validate", "--format=json", "-", "--input-format", "yaml"], "bad_value"),
    ];
    for (args, code) in usage {
        let run = check(args, 64, &[], &[]);
        let json = json_outcome(&run, "usage");
        assert_eq!(json["errors"][0]["code"], code, "{args:?}");
    }
    let run = check(&["validate", "--format=json", "items.xlsx"], 64, &[], &[]);
    assert_eq!(json_outcome(&run, "usage")["errors"][0]["file"], "items.xlsx");
}

/// Runs `onhand args...` in the fixtures folder with `input` on standard input.
fn onhand_with_stdin(args: &[&str], input: &[u8]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_onhand"))
        .args(args)
        .current_dir(common::fixtures())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the onhand binary runs");
    let mut stdin = child.stdin.take().expect("a piped stdin");
    stdin.write_all(input).expect("onhand reads its input");
    drop(stdin);
    let out = child.wait_with_output().expect("onhand exits");
    Run {
        code: out.status.code().expect("onhand exits with a code"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// Issue 12: `-` reads standard input, in the format `--input-format` names.
#[test]
fn a_dash_reads_standard_input_in_the_input_format() {
    let items = std::fs::read(common::fixtures().join("items.csv")).unwrap();
    let run = onhand_with_stdin(
        &["validate", "network-without-items.json", "-", "--input-format", "csv"],
        &items,
    );
    assert_eq!((run.code, run.stdout.contains(CLEAN)), (0, true), "{run:#?}");

    let network = std::fs::read(common::fixtures().join("network.toml")).unwrap();
    let run = onhand_with_stdin(&["validate", "--input-format=toml", "-", "items.csv"], &network);
    assert_eq!(run.code, 1, "{run:#?}");
    assert!(
        run.stdout.contains(
            "[duplicate_code] items.csv:2: item BOLT is defined more than once (first defined at <stdin>:54)"
        ),
        "{run:#?}"
    );

    let run = onhand_with_stdin(&["validate", "-", "--input-format", "json"], b"{\"items\": [}");
    assert_eq!(run.code, 2, "{run:#?}");
    assert!(run.stderr.contains("error: <stdin>:1:12: "), "{run:#?}");
    let run =
        onhand_with_stdin(&["validate", "-", "--input-format", "csv", "--format", "json"], b"");
    let json = json_outcome(&run, "unreadable");
    assert_eq!(json["errors"][0]["file"], "<stdin>");
    assert_eq!(json["errors"][0]["code"], "empty");
}

/// Issue 12: a 50 MB item master took 2.9 GB; an input beyond the stated limit is
/// refused before it is read, with a clear error.
#[test]
fn an_input_beyond_the_limit_is_refused_with_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("onhand-limit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("huge.csv");
    // A sparse file: as long as the limit and one byte more, without using the disk.
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(onhand_cli::MAX_INPUT_BYTES + 1).unwrap();
    let name = path.display().to_string();
    let run = onhand(&["validate", &name]);
    let message = format!(
        "error: {name}: the input is larger than the limit of {} bytes",
        onhand_cli::MAX_INPUT_BYTES
    );
    assert_eq!(run.code, 2, "{run:#?}");
    assert!(run.stderr.contains(&message), "{run:#?}");
    let run = onhand(&["validate", "--format", "json", &name]);
    assert_eq!(json_outcome(&run, "unreadable")["errors"][0]["code"], "too_large");
    std::fs::remove_dir_all(&dir).unwrap();
}
