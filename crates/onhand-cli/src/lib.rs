//! The `onhand` command line, and the only onhand crate that does I/O.
//!
//! `onhand-cli` answers: *is this network's master data sound, and what does the demo
//! network look like?* It reads network documents (TOML or JSON, shaped as
//! [`NetworkDoc`]) and CSV item masters, merges them into one network, and reports every
//! violation that [`onhand_master::validate`] and [`onhand_status::validate_maps`] find
//! ([`Report`]). A file that cannot be read or parsed is an [`InputError`] naming the
//! file, line, column and field, never a panic.
//!
//! The binary is a thin shell over [`run`]; the parsers ([`parse_network`],
//! [`parse_items_csv`], [`parse_bytes`]) are public so tests and fuzz targets can drive
//! them directly.
//!
//! | command | what it does | exit codes |
//! |---|---|---|
//! | `onhand validate FILE... [--format text\|json]` | validate the merged files | 0 clean, 1 violations, 2 unreadable input |
//! | `onhand demo` | a deterministic tour of the demo network | 0 |
//! | `onhand export-demo [--format toml\|json]` | the demo network as a document | 0 |
//!
//! Bad usage exits with 64 ([`USAGE`] has the full text).
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

mod cli;
mod csv_items;
/// The README's examples, run as doctests so they cannot go stale (this crate sees
/// every crate they use).
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

pub mod day;
pub mod demo;
mod error;
mod input;
pub mod promising;
pub mod replenishing;
mod report;
mod table;
pub mod valuing;

pub use cli::{
    Command, EXIT_INPUT, EXIT_OK, EXIT_OUTPUT, EXIT_SOFTWARE, EXIT_USAGE, EXIT_VIOLATIONS,
    ExportFormat, ReportFormat, USAGE, UsageError, export_demo_text, parse_args, run,
};
pub use csv_items::{COLUMNS as CSV_COLUMNS, parse_items_csv};
pub use error::InputError;
pub use input::{Format, NetworkDoc, decode, line_col, parse_bytes, parse_network, read_file};
pub use report::Report;
