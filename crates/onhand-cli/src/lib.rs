//! The `onhand` command line, and the only onhand crate that does I/O.
//!
//! `onhand-cli` answers: *is this network's master data sound, and what does the demo
//! network look like?* It reads network documents (TOML or JSON, shaped as
//! [`NetworkDoc`]) and CSV item masters, from files or standard input, merges them into
//! one network, and reports every violation that [`onhand_master::validate`] and
//! [`onhand_status::validate_maps`] find, each with the file and line of its record
//! ([`LocatedReport`]). An input that cannot be read or parsed is an [`InputError`]
//! naming the file, line, column and field, never a panic.
//!
//! The loader is two layers: parsing is pure, text in and typed document out
//! ([`parse_network`], [`parse_items_csv`], [`parse_bytes`]; [`load`] and [`load_bytes`]
//! also return where each record was read, as [`Sources`]); the I/O ([`read_input`],
//! [`read_file`]) only reads a file or standard input, at most [`MAX_INPUT_BYTES`] of
//! it, and hands the bytes to the parser. Network files (TOML, JSON) are parsed by the
//! library, [`onhand::files`], so a service loads the same files; CSV item masters are
//! parsed here. The binary is a thin shell over [`run`].
//!
//! `onhand demo` runs its day, orders, costs and replenishment through one
//! [`onhand::Network`]: the day is a scenario file shipped with the CLI
//! ([`day::DEMO_SCENARIO`]), run by [`onhand::scenario::play`] like any other; its
//! sections ([`day`], [`promising`], [`valuing`], [`replenishing`], [`queue`]) hold the
//! demo's other input and print, and nothing else.
//!
//! | command | what it does | exit codes |
//! |---|---|---|
//! | `onhand validate FILE... [--format text\|json] [--input-format toml\|json\|csv]` | validate the merged inputs (`-` is standard input) | 0 clean, 1 violations, 2 unreadable input |
//! | `onhand demo` | a deterministic tour of the demo network | 0 |
//! | `onhand export-demo [--format toml\|json] [--scenario]` | the demo network as a document, or the demo day as a scenario ([`day::DEMO_SCENARIO`]) | 0 |
//! | `onhand run FILE [--html OUT.html]` | run a scenario file, step by step, checking its expectations, then the end-of-run reports ([`end`]); optionally write the visual report | 0 all hold, 1 a failure, 2 unreadable |
//! | `onhand check PATH... [--format text\|json\|junit]` | run every scenario file under the paths; failures as diffs | 0 all hold, 1 a failure, 2 unreadable |
//! | `onhand help [COMMAND]`, `onhand COMMAND --help` | the usage text, global or the command's | 0 |
//!
//! Bad usage exits with 64 ([`USAGE`] has the full text, [`VALIDATE_USAGE`] the JSON
//! report's shape and the CSV columns).
//!
//! ```
//! use onhand_cli::{Format, Report, parse_network};
//!
//! let text = r#"
//! [[entities]]
//! code = "NA01"
//! currency = "USD"
//! costing = "fifo"
//!
//! [[regions]]
//! code = "US-SE"
//!
//! [[sites]]
//! code = "ATL"
//! kind = "regional_dc"
//! region = "US-SE"
//! "#;
//! let (master, maps) = parse_network("net.toml", text, Format::Toml)?.into_parts();
//! let report = Report::of(&master, &maps);
//! assert_eq!(report.counts().get("site_without_entity"), Some(&1));
//!
//! // A bad value is reported with its file, line, column and field.
//! let err = parse_network("net.toml", "[[items]]\ncode = \"X\"\nbase_uom = \"ea\"\n",
//!                         Format::Toml).unwrap_err();
//! assert_eq!(err.to_string(), "net.toml:3:12: items[0].base_uom: \
//!     invalid unit of measure \"ea\": use 1 to 8 of A-Z, 0-9 and _");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod anomalies;
mod cli;
mod csv_items;
/// The README's examples, run as doctests so they cannot go stale (this crate sees
/// every crate they use).
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

pub mod day;
pub mod demo;
pub mod end;
pub mod history;
mod html;
mod input;
pub mod promising;
pub mod queue;
mod read;
pub mod replenishing;
mod report;
mod scenarios;
mod table;
pub mod valuing;

pub use cli::{
    CHECK_USAGE, CheckFormat, Command, DEMO_USAGE, EXIT_INPUT, EXIT_OK, EXIT_OUTPUT, EXIT_SOFTWARE,
    EXIT_USAGE, EXIT_VIOLATIONS, EXPORT_DEMO_USAGE, ExportFormat, HelpTopic, RUN_USAGE,
    ReportFormat, SIMULATE_USAGE, SimChecks, SimNetwork, USAGE, UsageError, VALIDATE_USAGE,
    export_demo_text, export_scenario_text, parse_args, run,
};
pub use csv_items::{COLUMNS as CSV_COLUMNS, parse_items_csv};
pub use html::render as render_html;
pub use input::{
    Format, InputError, Loaded, NetworkDoc, decode, line_col, load, load_bytes, parse_bytes,
    parse_network,
};
pub use onhand::files::{Location, Sources};
pub use read::{Input, MAX_INPUT_BYTES, read_file, read_input};
pub use report::{LocatedReport, Report};
pub use scenarios::{
    FileOutcome, ScenarioFile, assert_scenarios, check_json, check_junit, check_paths,
    parse_scenario, play_scenario, read_scenario, run_file, run_scenario,
    run_scenario_with_timeline, scenario_files, summary,
};
