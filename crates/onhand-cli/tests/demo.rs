//! `onhand demo` and `onhand export-demo`.

mod common;

use std::path::Path;

use common::{check, onhand};
use onhand_cli::{Format, NetworkDoc, Report, parse_network};

#[test]
fn demo_is_byte_identical_across_runs() {
    let first = check(&["demo"], 0, &[], &[]);
    let second = onhand(&["demo"]);
    assert_eq!(first.stdout, second.stdout);
    assert!(first.stderr.is_empty(), "{first:#?}");
}

#[test]
fn demo_has_every_section() {
    let run = check(&["demo"], 0, &[], &[]);
    for (n, section) in onhand_cli::demo::SECTIONS.iter().enumerate() {
        let heading = format!("\n{}. {}\n", n + 1, section.title);
        assert!(run.stdout.contains(&heading), "missing {heading:?}");
    }
    for needle in [
        "Legal entities",
        "moving_average",
        "third_party_logistics",
        "3PL LOGIQ",
        "PL*=4800",
        "GAL=0.7570823568",
        "BOLT-M8-SS (x1)",
        "reorder_point",
        "every other item",
        "site ORD",
        "QUAR      quality_hold    alias",
        "quality_hold    status_change     available",
        "summary: clean, no violations",
    ] {
        assert!(run.stdout.contains(needle), "demo lacks {needle:?}");
    }
}

#[test]
fn governance_section_shows_every_code() {
    let run = check(&["demo"], 0, &[], &[]);
    let governance = run.stdout.split("Governance in action").nth(1).expect("the section");
    for code in [
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
    ] {
        assert!(governance.contains(&format!("  [{code}] ")), "governance lacks {code}");
    }
}

fn demo_doc() -> NetworkDoc {
    NetworkDoc::from_parts(onhand_master::seed::demo_network(), onhand_status::demo_status_maps())
}

#[test]
fn export_demo_round_trips_in_both_formats() {
    let toml = check(&["export-demo"], 0, &[], &[]);
    let doc = parse_network("export.toml", &toml.stdout, Format::Toml).unwrap();
    assert_eq!(doc, demo_doc());
    let json = check(&["export-demo", "--format", "json"], 0, &[], &[]);
    let doc = parse_network("export.json", &json.stdout, Format::Json).unwrap();
    assert_eq!(doc, demo_doc());
}

#[test]
fn committed_example_equals_the_export_and_validates_clean() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo-network.toml");
    let committed = std::fs::read_to_string(&path).unwrap();
    let exported = onhand_cli::export_demo_text(onhand_cli::ExportFormat::Toml).unwrap();
    assert!(
        committed == exported,
        "examples/demo-network.toml is stale: regenerate it with \
         `cargo run -p onhand-cli -- export-demo > crates/onhand-cli/examples/demo-network.toml`"
    );
    let (master, maps) =
        parse_network("demo-network.toml", &committed, Format::Toml).unwrap().into_parts();
    assert!(Report::of(&master, &maps).is_clean());
    let path = path.to_str().unwrap();
    check(&["validate", path], 0, &["summary: clean, no violations"], &[]);
}

/// Issue 16: the demo runs the day through the facade, so its sections agree with each
/// other and with the network's own checks.
#[test]
fn the_facade_sections_agree_with_themselves() {
    let run = check(&["demo"], 0, &[], &[]);
    let out = &run.stdout;
    for needle in [
        // The journal replays the whole network to the same digest.
        "the journal rebuilds the whole network",
        // The books balance, and the receipts are costed at their purchase prices.
        "balanced per entity and currency: yes",
        "NA01    2100     goods_received          863.20  USD",
        "CA01    2100     goods_received          607.38  CAD",
        // Signals come from the same call as the event.
        "stock on hold                  72 EA GLUE-500 at ORD in quality_hold",
        "below reorder point",
        // Orders by code, in their own unit.
        "SO-6010/1  WESTFAB   CABLE-CU      3 RL",
        "Simulation predicted the same result: yes. Re-processing again changes 0 line(s).",
        "Intercompany reconciliation: 1 invoice(s) matched, 0 difference(s); eliminations balanced: yes",
    ] {
        assert!(out.contains(needle), "demo lacks {needle:?}");
    }
    assert!(!out.contains(" != live "), "the replayed digest differs");
    assert!(!out.contains("error:"), "a section reports an error");
    // Each entity's inventory account equals its cost pools.
    for line in out.lines().filter(|l| l.contains(": inventory account ")) {
        // "E: inventory account A = cost pools A; in transit account T = transfers T"
        let words: Vec<&str> = line.split_whitespace().map(|w| w.trim_end_matches(';')).collect();
        assert_eq!(words.get(3), words.get(7), "{line}");
        assert_eq!(words.get(11), words.get(14), "{line}");
    }
}

/// Issues 18 and 19: the demo ends with the exception queue per role, with the reasons,
/// and the month's KPI table.
#[test]
fn demo_ends_with_the_exception_queue_and_kpis() {
    let run = check(&["demo"], 0, &[], &[]);
    let last = run.stdout.split("Exceptions and KPIs").nth(1).expect("the section");
    for needle in [
        "\nSupervisor\n",
        "pending_approval",
        "count_variance",
        "raised by signal at",
        "KPIs of 2026-01",
        "inventory record accuracy",
        // The closed-short line counts as a receipt discrepancy (issue 19 defect).
        "transfer receipt accuracy           33.3% (1/3)",
    ] {
        assert!(last.contains(needle), "the section lacks {needle:?}:\n{last}");
    }
}

/// The demo day is a scenario file shipped with the CLI: `export-demo --scenario`
/// prints it, and `onhand run` on it passes every check (each event's outcome and the
/// cross-engine invariants after it and after each customer order booked), then prints
/// the end-of-run reports. The demo's
/// tour reports the same day.
#[test]
fn the_demo_day_is_a_scenario_onhand_run_passes() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("demo-day");
    std::fs::create_dir_all(&dir).unwrap();
    let toml = check(&["export-demo", "--scenario"], 0, &["format = 1", "[[steps]]"], &[]);
    assert_eq!(toml.stdout, onhand_cli::day::DEMO_SCENARIO);
    let json = check(&["export-demo", "--scenario", "--format", "json"], 0, &["\"steps\""], &[]);
    let events = onhand_ledger::seed::demo_day().unwrap().len();
    // Two checks per event (outcome, invariants), one per customer order booked
    // (invariants).
    let orders = 5;
    let summary = format!("{n} check(s), {n} passed, 0 failed", n = 2 * events + orders);
    let mut texts = Vec::new();
    for (name, text) in [("demo-day.toml", &toml.stdout), ("demo-day.json", &json.stdout)] {
        let file = dir.join(name);
        std::fs::write(&file, text).unwrap();
        let run = check(
            &["run", file.to_str().unwrap()],
            0,
            &[
                &summary,
                "# ACME delivers fasteners and gloves",
                "End of run",
                "Books per entity (stock at cost)",
                "Trial balance of the run's postings",
                "KPIs of 2026-01",
            ],
            &[],
        );
        texts.push(run.stdout);
    }
    // TOML and JSON are one model: the same run, byte for byte.
    assert_eq!(texts[0], texts[1]);
    let demo = check(&["demo"], 0, &[&format!("{events} events submitted"), "demo-day.toml"], &[]);
    assert!(demo.stderr.is_empty());
}
