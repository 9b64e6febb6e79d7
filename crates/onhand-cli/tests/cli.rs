//! Help, version and usage errors.

mod common;

use common::check;

#[test]
fn help_lists_commands_and_exit_codes() {
    for args in [&["--help"][..], &["help"], &["-h"]] {
        let run = check(
            args,
            0,
            &[
                "onhand validate FILE... [--format text|json] [--input-format toml|json|csv]",
                "export-demo",
                "Exit codes:",
                "64",
            ],
            &[],
        );
        assert_eq!(run.stdout, onhand_cli::USAGE);
    }
}

/// Issue 12: `onhand --help` described `demo` as master data only.
#[test]
fn global_help_describes_what_the_demo_shows() {
    let run = check(&["--help"], 0, &[], &[]);
    let demo: String = run
        .stdout
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("demo "))
        .take_while(|l| !l.trim_start().starts_with("export-demo"))
        .collect();
    for shown in ["ledger", "promised", "costed", "replenishment"] {
        assert!(demo.contains(shown), "the demo's description lacks {shown:?}: {demo}");
    }
}

/// Issue 12: subcommand help printed the global help; each command has its own, and
/// `validate`'s lists the CSV item-master columns.
#[test]
fn each_command_has_its_own_help() {
    let cases: [(&[&str], &str); 7] = [
        (&["validate", "--help"], onhand_cli::VALIDATE_USAGE),
        (&["validate", "items.csv", "-h"], onhand_cli::VALIDATE_USAGE),
        (&["help", "validate"], onhand_cli::VALIDATE_USAGE),
        (&["demo", "--help"], onhand_cli::DEMO_USAGE),
        (&["help", "demo"], onhand_cli::DEMO_USAGE),
        (&["export-demo", "-h"], onhand_cli::EXPORT_DEMO_USAGE),
        (&["help", "export-demo"], onhand_cli::EXPORT_DEMO_USAGE),
    ];
    for (args, usage) in cases {
        let run = check(args, 0, &[], &[]);
        assert_eq!(run.stdout, usage, "{args:?}");
        assert_ne!(run.stdout, onhand_cli::USAGE);
    }
    let run = check(&["validate", "--help"], 0, &["CSV item-master columns:"], &[]);
    for column in onhand_cli::CSV_COLUMNS {
        assert!(run.stdout.contains(&format!("\n  {column} ")), "{column} is not listed");
    }
    check(&["help", "frob"], 64, &[], &["unknown command \"frob\""]);
}

#[test]
fn version_prints_the_package_version() {
    let run = check(&["--version"], 0, &[], &[]);
    assert_eq!(run.stdout, format!("onhand {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn bad_usage_exits_64_with_a_hint() {
    let cases: [(&[&str], &str); 11] = [
        (&[], "no command given"),
        (&["frobnicate"], "unknown command \"frobnicate\""),
        (&["--frob"], "unknown command \"--frob\""),
        (&["demo", "--frob"], "demo: unknown option \"--frob\""),
        (&["validate"], "validate: no file given"),
        (&["validate", "network.toml", "--strict"], "validate: unknown option \"--strict\""),
        (
            &["validate", "network.toml", "--format", "xml"],
            "--format takes text or json, not \"xml\"",
        ),
        (&["export-demo", "--format", "yaml"], "--format takes toml or json, not \"yaml\""),
        (&["validate", "-"], "reading standard input (-) needs --input-format toml, json or csv"),
        (&["validate", "-", "-", "--input-format=csv"], "standard input (-) can be read only once"),
        (
            &["validate", "-", "--input-format", "xlsx"],
            "--input-format takes toml, json or csv, not \"xlsx\"",
        ),
    ];
    for (args, message) in cases {
        let run = check(args, 64, &[], &[message, "onhand --help"]);
        assert!(run.stdout.is_empty(), "{run:#?}");
    }
}

/// Issue 17: `onhand simulate` ends with the exception queue by kind and the month's
/// KPIs, the same bytes for the same seed.
#[test]
fn simulate_ends_with_exceptions_and_kpis() {
    let args = ["simulate", "--days", "3", "--steps", "40", "--checks", "none"];
    let run = check(
        &args,
        0,
        &[
            "\nexceptions: 19 active, 21 raised\n  stockout_risk                  18 active     18 raised\n  count_variance                  1 active      1 raised\n",
            "\nkpis 2026-01:\n  unit fill rate             1.5% (3/205)\n  line fill rate             14.3% (1/7)\n",
            "  transfer receipt accuracy  n/a\ntrace digest ",
        ],
        &[],
    );
    assert_eq!(check(&args, 0, &[], &[]).stdout, run.stdout);
}
