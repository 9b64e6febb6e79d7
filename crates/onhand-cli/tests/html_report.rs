//! `onhand run FILE --html OUT.html`: the page is written (even when a check fails), the
//! same scenario writes the same bytes, and a missing or unwritable output is reported.

use std::path::PathBuf;

use onhand_cli::{Command, EXIT_OK, EXIT_OUTPUT, EXIT_USAGE, EXIT_VIOLATIONS, parse_args, run};

fn scenario(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios").join(name)
}

fn out_dir(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("html-report").join(test);
    std::fs::create_dir_all(&dir).expect("a writable target folder");
    dir
}

fn onhand(args: &[&str]) -> (u8, String, String) {
    let args: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run(&args, &mut std::io::empty(), &mut out, &mut err);
    (code, String::from_utf8(out).expect("UTF-8"), String::from_utf8(err).expect("UTF-8"))
}

#[test]
fn the_option_is_parsed_for_run_only() {
    let args = |v: &[&str]| v.iter().map(Into::into).collect::<Vec<std::ffi::OsString>>();
    assert_eq!(
        parse_args(&args(&["run", "s.toml", "--html", "r.html"])).unwrap(),
        Command::Run { file: "s.toml".into(), html: Some("r.html".into()) }
    );
    assert_eq!(
        parse_args(&args(&["run", "--html=r.html", "s.toml"])).unwrap(),
        Command::Run { file: "s.toml".into(), html: Some("r.html".into()) }
    );
    assert_eq!(
        parse_args(&args(&["run", "s.toml"])).unwrap(),
        Command::Run { file: "s.toml".into(), html: None }
    );
    assert!(parse_args(&args(&["run", "s.toml", "--html"])).is_err());
    assert!(parse_args(&args(&["check", "s.toml", "--html", "r.html"])).is_err());
    let (code, _, err) = onhand(&["run", "s.toml", "--html"]);
    assert_eq!(code, EXIT_USAGE, "{err}");
}

#[test]
fn the_same_scenario_writes_the_same_bytes() {
    let dir = out_dir("same");
    let file = scenario("promise-split-across-sites.toml");
    let file = file.to_str().unwrap();
    let (a, b) = (dir.join("a.html"), dir.join("b.html"));
    for out in [&a, &b] {
        let (code, stdout, err) = onhand(&["run", file, "--html", out.to_str().unwrap()]);
        assert_eq!(code, EXIT_OK, "{stdout}{err}");
        assert!(stdout.ends_with(&format!("report written to {}\n", out.display())));
    }
    let (a, b) = (std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
    assert!(a == b);
    let page = String::from_utf8(a).unwrap();
    assert!(page.contains("data-chart=\"atp\""));
    assert!(page.contains("class=\"promise\""), "the split promise is drawn");
}

#[test]
fn a_failing_run_still_writes_its_page() {
    let dir = out_dir("failing");
    let file = dir.join("fails.toml");
    std::fs::write(
        &file,
        "format = 1\nname = \"fails\"\nstart = \"2026-01-05T08:00:00Z\"\n[network]\n\
         builtin = \"demo\"\n[[steps]]\npick = { site = \"ATL\", item = \"BOLT-M8\", \
         qty = \"1 CS\", bin = \"PF-A01\" }\n",
    )
    .unwrap();
    let out = dir.join("fails.html");
    let (code, _, _) = onhand(&["run", file.to_str().unwrap(), "--html", out.to_str().unwrap()]);
    assert_eq!(code, EXIT_VIOLATIONS);
    let page = std::fs::read_to_string(out).unwrap();
    assert!(page.contains("rejected insufficient_stock"));
    assert!(page.contains("class=\"summary fail\""));
}

#[test]
fn an_unwritable_output_is_reported() {
    let file = scenario("receipt-and-putaway.toml");
    let dir = out_dir("unwritable");
    let out = dir.join("no-such-folder").join("r.html");
    let (code, _, err) = onhand(&["run", file.to_str().unwrap(), "--html", out.to_str().unwrap()]);
    assert_eq!(code, EXIT_OUTPUT);
    assert!(err.starts_with(&format!("error: cannot write {}", out.display())), "{err}");
}

/// `onhand demo --html OUT.html`: the printed tour is unchanged, and the page draws
/// the demo day with two passing checks per event (its outcome as the demo expects it,
/// and the network's cross-engine invariants), the same bytes every run.
#[test]
fn the_demo_day_is_drawn_with_its_checks() {
    let (plain, plain_out, _) = onhand(&["demo"]);
    assert_eq!(plain, EXIT_OK);
    let dir = out_dir("demo");
    let (a, b) = (dir.join("a.html"), dir.join("b.html"));
    for out in [&a, &b] {
        let (code, stdout, err) = onhand(&["demo", "--html", out.to_str().unwrap()]);
        assert_eq!(code, EXIT_OK, "{err}");
        let tour = stdout.strip_suffix(&format!("report written to {}\n", out.display()));
        assert_eq!(tour, Some(plain_out.as_str()), "the tour is the same with --html");
    }
    let (a, b) = (std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
    assert!(a == b);
    let page = String::from_utf8(a).unwrap();
    let events = onhand_ledger::seed::demo_day().unwrap().len();
    // The events and the day's five customer orders, booked between them (one check
    // each: the invariants).
    let orders = 5;
    let summary = format!(
        "{} step(s) from 2026-01-05 06:00 UTC to 2026-01-05 15:20 UTC; {} check(s), {} passed, 0 failed",
        events + orders,
        2 * events + orders,
        2 * events + orders
    );
    assert!(page.contains(&summary), "{}", &page[..600]);
    assert!(page.contains("cross-engine invariants"));
    for chart in ["stock", "atp", "transfers", "exceptions"] {
        assert!(page.contains(&format!("data-chart=\"{chart}\"")), "{chart}");
    }
    assert!(page.contains("id=\"kpis\""));
}

#[test]
fn the_demo_option_is_parsed() {
    let args = |v: &[&str]| v.iter().map(Into::into).collect::<Vec<std::ffi::OsString>>();
    assert_eq!(
        parse_args(&args(&["demo", "--html=d.html"])).unwrap(),
        Command::Demo { html: Some("d.html".into()) }
    );
    assert!(parse_args(&args(&["demo", "--html"])).is_err());
    assert!(parse_args(&args(&["demo", "extra"])).is_err());
    assert!(parse_args(&args(&["demo", "--nope"])).is_err());
}
