//! Help, version and usage errors.

mod common;

use common::check;

#[test]
fn help_lists_commands_and_exit_codes() {
    for args in [&["--help"][..], &["help"], &["-h"], &["validate", "--help"]] {
        check(
            args,
            0,
            &["onhand validate FILE... [--format text|json]", "export-demo", "Exit codes:", "64"],
            &[],
        );
    }
}

#[test]
fn version_prints_the_package_version() {
    let run = check(&["--version"], 0, &[], &[]);
    assert_eq!(run.stdout, format!("onhand {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn bad_usage_exits_64_with_a_hint() {
    let cases: [(&[&str], &str); 8] = [
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
    ];
    for (args, message) in cases {
        let run = check(args, 64, &[], &[message, "onhand --help"]);
        assert!(run.stdout.is_empty(), "{run:#?}");
    }
}
