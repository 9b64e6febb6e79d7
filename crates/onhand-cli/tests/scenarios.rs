//! Scenario files: the repository's `scenarios/` folder holds, a wrong expectation fails
//! with a diff naming its file and line, and a malformed file names line and field.

use std::path::PathBuf;

use onhand_cli::{
    EXIT_INPUT, EXIT_OK, EXIT_VIOLATIONS, Format, assert_scenarios, parse_scenario, run,
    run_scenario,
};

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/scenarios/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn cli(args: &[&str]) -> (u8, String, String) {
    let args: Vec<_> = args.iter().map(Into::into).collect();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run(&args, &mut std::io::empty(), &mut out, &mut err);
    (code, String::from_utf8_lossy(&out).into_owned(), String::from_utf8_lossy(&err).into_owned())
}

/// Every scenario in the repository's `scenarios/` folder holds.
#[test]
fn the_scenarios_folder_holds() {
    assert_scenarios(repo("scenarios"));
}

#[test]
fn a_wrong_expectation_fails_with_a_diff_naming_file_and_line() {
    let file = fixture("wrong.toml");
    let (code, out, _) = cli(&["check", &file]);
    assert_eq!(code, EXIT_VIOLATIONS, "{out}");
    assert!(
        out.contains(&format!(
            "{file}:12: step 2 (check): position BOLT-M8 at ATL available\n  - expected 250 EA\n  + actual   240 EA\n"
        )),
        "{out}"
    );
    assert!(
        out.ends_with("1 scenario(s), 1 check(s): 0 passed, 1 failed, 0 could not run\n"),
        "{out}"
    );
    let (code, out, _) = cli(&["run", &file]);
    assert_eq!(code, EXIT_VIOLATIONS);
    assert!(out.contains("  FAIL position BOLT-M8 at ATL available\n"), "{out}");
    let panic = std::panic::catch_unwind(|| assert_scenarios(fixture(""))).unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(message.contains("- expected 250 EA"), "{message}");
}

#[test]
fn a_malformed_scenario_names_file_line_and_field() {
    let text = "format = 1\nstart = \"2026-01-05T08:00:00Z\"\n[network]\nbuiltin = \"demo\"\n\n\
                [[steps]]\npick = { site = \"ATL\", item = \"BOLT-M8\", qty = \"1 CS\", bine = \"X\" }\n";
    let err = parse_scenario("bad.toml", text, Format::Toml).unwrap_err();
    assert_eq!(err.line(), Some(7));
    assert_eq!(err.field(), Some("steps[0].pick.bine"));
    assert!(err.to_string().contains("unknown field `bine`"), "{err}");

    let json = "{\"format\": 1, \"start\": \"2026-01-05T08:00:00Z\",\n \"network\": {\"builtin\": \"demo\"},\n \"steps\": [\n  {\"advance\": \"tomorrow\"}]}";
    let err = parse_scenario("bad.json", json, Format::Json).unwrap_err();
    assert_eq!((err.line(), err.field()), (Some(4), Some("steps[0].advance")), "{err}");

    // Well formed but unrunnable: the step's line and field are named.
    let text = "format = 1\nstart = \"2026-01-05T08:00:00Z\"\n[network]\nbuiltin = \"demo\"\n\n\
                [[steps]]\napprove = \"nothing\"\n";
    let f = parse_scenario("bad.toml", text, Format::Toml).unwrap();
    let out = run_scenario(&f);
    assert_eq!(
        out.failures_text(),
        "error: bad.toml:6: steps[0].approve: no step is named \"nothing\"\n"
    );
}

#[test]
fn check_exit_codes() {
    let (code, out, _) = cli(&["check", &repo("scenarios").display().to_string()]);
    assert_eq!(code, EXIT_OK, "{out}");
    // Run in parallel, reported in path order.
    let files: Vec<&str> = out.lines().filter_map(|l| l.strip_prefix("ok    ")).collect();
    let mut sorted = files.clone();
    sorted.sort_unstable();
    assert_eq!(files, sorted);
    assert!(files.len() >= 11, "{out}");
    let (code, _, err) = cli(&["check", "no/such/file.toml"]);
    assert_eq!(code, EXIT_INPUT, "{err}");
    assert!(err.contains("no/such/file.toml: cannot read the file"), "{err}");
}

/// The format is one model in two syntaxes: every shipped TOML scenario, written out as
/// JSON and read back, runs to the same report; and a run is deterministic, byte for
/// byte.
#[test]
fn every_scenario_reads_the_same_as_json_and_runs_deterministically() {
    let files = onhand_cli::scenario_files(&[repo("scenarios")]).unwrap();
    assert!(files.len() >= 11, "{files:?}");
    for path in files {
        let toml = onhand_cli::read_scenario(&path).unwrap();
        let json_text = serde_json::to_string_pretty(&toml.scenario).unwrap();
        let json = parse_scenario("same.json", &json_text, Format::Json).unwrap();
        assert_eq!(json.scenario, toml.scenario, "{}", path.display());
        assert_eq!(json.step_lines.len(), toml.step_lines.len());
        let a = onhand::scenario::run(&toml.scenario).unwrap();
        let b = onhand::scenario::run(&json.scenario).unwrap();
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap(),
            "{}",
            path.display()
        );
    }
}

#[test]
fn check_reports_as_json_and_junit() {
    let file = fixture("wrong.toml");
    let (code, out, _) = cli(&["check", &file, "--format", "json"]);
    assert_eq!(code, EXIT_VIOLATIONS);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let f = &v["scenarios"][0];
    assert_eq!(f["outcome"], "fail");
    assert_eq!(f["failures"][0]["line"], 12);
    assert_eq!(f["failures"][0]["expected"], "250 EA");
    assert_eq!(f["failures"][0]["actual"], "240 EA");
    let (code, out, _) = cli(&["check", &file, "--format=junit"]);
    assert_eq!(code, EXIT_VIOLATIONS);
    assert!(out.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n"), "{out}");
    assert!(out.contains("tests=\"1\" failures=\"1\" errors=\"0\""), "{out}");
    assert!(out.contains("<failure message=\"expected 250 EA but was 240 EA\">"), "{out}");
    let (code, _, err) = cli(&["check", &file, "--format", "xml"]);
    assert_eq!(
        (code, err.lines().next()),
        (onhand_cli::EXIT_USAGE, Some("error: --format takes text, json or junit, not \"xml\""))
    );
}
