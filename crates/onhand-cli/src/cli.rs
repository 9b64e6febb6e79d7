//! The command line: arguments, usage text, exit codes, and the commands themselves.

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::path::PathBuf;

use onhand_master::seed;
use onhand_status::demo_status_maps;
use serde::Serialize;

use crate::input::InputError;
use crate::input::{Format, Loaded, NetworkDoc};
use crate::read::{Input, read_input};
use crate::report::{JsonParts, LocatedReport};
use onhand::scenario::Played;

use crate::scenarios::FileOutcome;

/// Exit code: done; for `validate`, the network is clean.
pub const EXIT_OK: u8 = 0;
/// Exit code: `validate` found violations.
pub const EXIT_VIOLATIONS: u8 = 1;
/// Exit code: an input could not be read or parsed.
pub const EXIT_INPUT: u8 = 2;
/// Exit code: bad usage (`EX_USAGE`).
pub const EXIT_USAGE: u8 = 64;
/// Exit code: an internal error, a bug (`EX_SOFTWARE`).
pub const EXIT_SOFTWARE: u8 = 70;
/// Exit code: the output could not be written (`EX_IOERR`).
pub const EXIT_OUTPUT: u8 = 74;

/// The usage text printed by `onhand --help`.
pub const USAGE: &str = "\
onhand: master data, governance and a demo for multi-warehouse distribution inventory

Usage:
  onhand validate FILE... [--format text|json] [--input-format toml|json|csv]
  onhand demo [--html OUT.html]
  onhand export-demo [--format toml|json] [--scenario]
  onhand run FILE [--html OUT.html]
  onhand check PATH... [--format text|json|junit]
  onhand simulate [--seed N] [--days N] [--steps N] [--network demo|synthetic]
                  [--items N] [--sites N] [--checks full|steps|none]
  onhand help [COMMAND] | onhand COMMAND --help
  onhand --version | -V

Commands:
  validate     Check network documents (.toml, .json) and item masters (.csv),
               merged into one network, against the master-data and status-map
               rules. Each violation is listed with its stable code and the file
               and line of its record. `onhand validate --help` lists the CSV
               item-master columns.
  demo         A deterministic tour of the built-in demo network: its master
               data, status maps and governance, a day of stock events through
               the network (ledger, availability, costs and replenishment in
               one call per event), customer orders promised against the stock,
               the day costed in both legal entities' books, and replenishment.
               The day is a scenario file shipped with onhand (see export-demo
               --scenario), run as `onhand run` runs any scenario.
  export-demo  Print the demo network as a document to start from (TOML by
               default); with --scenario, the demo day as a scenario file.
  run          Run a scenario file (.toml, .json): each step, what happened,
               and each expectation checked, expected against actual; then the
               end-of-run reports (stock, transfers, books, exceptions, KPIs).
  check        Run every scenario file under the paths (files or folders) and
               print the failures as diffs, each with its file and line, then a
               summary.
  simulate     Play seeded, realistic days on a whole network and check, after
               every step, that the ledger, availability, allocations and books
               still agree; a failure names its seed, day and step.

Exit codes:
  0   done; for validate, no violations; for run and check, every
      expectation holds; for simulate, every check held
  1   validate found violations; run or check found a failed expectation;
      simulate found a broken invariant
  2   an input could not be read or parsed
  64  bad usage: unknown command or option, no file, unknown file extension
  70  internal error (a bug in onhand)
  74  the output could not be written
";

/// The usage text printed by `onhand validate --help` (and `onhand help validate`).
pub const VALIDATE_USAGE: &str = "\
onhand validate: check a network's master data and status maps

Usage:
  onhand validate FILE... [--format text|json] [--input-format toml|json|csv]

Reads every FILE (- for standard input), merges them into one network, and checks
it against the master-data and status-map rules. Every violation is reported, each
with its stable code and the file and line of its record; a duplicate also names
the record it repeats, in whichever file that is. When an input cannot be read or
parsed, every such input is reported (file, line, column and field) and nothing is
validated.

Inputs, by extension:
  .toml, .json  A network document. Top-level lists, each optional: units,
                entities, regions, sites (with zones and bins), suppliers,
                customers, items, policies, lanes, delivery_lanes, status_maps.
                Unknown fields are errors. Decimals are strings (\"12.5\").
  .csv          An item master: a header row naming the columns, in any order,
                then one item per row. Cells are trimmed.

CSV item-master columns:
  column           required  example               empty means
  code             yes       BOLT-M8               -
  description      no        Hex bolt M8x40        no description
  base_uom         yes       EA                    -
  tracking         no        none | lot | serial   none
  shelf_life_days  no        365                   no expiry
  velocity         no        A | B | C | D | unclassified   unclassified
  units            no        CS=12 EA;PL=40 CS     no packaging units
                             (entries UNIT=FACTOR PER, separated by ;)
  substitutes      no        BOLT-M8-SS:1;OTHER:2  none
                             (entries ITEM[:RATIO], ratio 1 when left out)

Options:
  --format text|json
      text (default): each violation as `[code] file:line: message`, then a
      count per code.
      json: one JSON object on standard output for every outcome, errors
      included, and nothing on standard error:
        { \"schema_version\": 1,
          \"outcome\": \"clean\" | \"violations\" | \"unreadable\" | \"usage\" | \"internal\",
          \"exit_code\": 0,
          \"errors\": [ { \"code\", \"file\", \"line\", \"column\", \"field\", \"message\" } ],
          \"master\": [ { \"code\", \"record\": { \"kind\", \"key\" }, \"message\",
                        \"locations\": [ { \"file\", \"line\" } ] } ],
          \"status_maps\": [ the same shape ],
          \"counts\": { \"<code>\": <how many> } }
      Every key is always present; file, line, column and field are null when
      unknown. A duplicate's locations list itself, then the record it repeats.
  --input-format toml|json|csv
      The format of standard input, and of files whose extension names none.
      Needed when a FILE is -.

Limits:
  Each input is at most 268435456 bytes (256 MiB); a larger one is refused
  before it is parsed. A network is validated whole, in memory: about 160
  bytes per item, so a 50 MB item master peaks at 340 to 700 MB.

Exit codes:
  0   no violations
  1   violations found
  2   an input could not be read or parsed (nothing validated)
  64  bad usage
  70  internal error (a bug in onhand)
  74  the output could not be written
";

/// The usage text printed by `onhand demo --help`.
pub const DEMO_USAGE: &str = "\
onhand demo: a deterministic tour of the built-in demo network

Usage:
  onhand demo [--html OUT.html]

Prints, section by section: the network (entities, regions, sites, items,
item-site policies, sourcing lanes), its site status maps and status moves,
validation and governance checks, a day of stock events through the network
(the `onhand` facade: the ledger decides, availability, costs, replenishment and
signals follow in the same call), customer orders promised against the stock,
the day costed into both legal entities' books at its purchase orders' prices,
and replenishment recommendations from the network's planner. Every run prints
the same bytes.

--html OUT.html also writes the demo day as one self-contained page, as `onhand
run --html` does for a scenario: stock by status, availability, transfers,
postings, the exception queue and the KPIs after every event, and two checks per
event (its outcome as the demo expects it, and the network's cross-engine
invariants).

Exit codes:
  0   done
  1   a check of the demo day failed (with --html)
  70  internal error (a bug in onhand)
  74  the output could not be written
";

/// The usage text printed by `onhand export-demo --help`.
pub const EXPORT_DEMO_USAGE: &str = "\
onhand export-demo: print the demo network as a document to start from

Usage:
  onhand export-demo [--format toml|json] [--scenario]

Prints the demo network's master data and site status maps as one network
document, TOML by default, JSON with --format json. Edit it, then check it with
`onhand validate FILE`.

With --scenario, prints instead the demo day as a scenario file: the demo's
settings and each of the day's events with the outcome it must have. This is the
file `onhand demo` runs; `onhand run FILE` prints it step by step.

Exit codes:
  0   done
  64  bad usage
  70  internal error (a bug in onhand)
  74  the output could not be written
";

/// The usage text printed by `onhand run --help`.
pub const RUN_USAGE: &str = "\
onhand run: run a scenario file

Usage:
  onhand run FILE [--html OUT.html]

Runs the scenario in FILE (.toml or .json) on a fresh network: each step, what it
did, and each expectation after it, passed or with expected against actual; then
the end-of-run reports, read from the network the run left: positions by status,
transfer orders, pending approvals, each entity's books, the trial balance of the
run's postings, the exception queue per role and the month's KPIs. A scenario
names its network (the built-in demo or inline master data), its rules and
configuration, and its steps in time order; `scenarios/` in the repository has
one per rule family, and `onhand export-demo --scenario` prints the demo day.

--html OUT.html also writes the run as one self-contained page (charts drawn as
inline SVG, no script, nothing fetched): stock by status per site after each
step, each item's dated availability against its promises, the transfers with
what is in transit, the postings per entity and the trial balance, and every
check per step. It is written even when an expectation fails.

Exit codes:
  0   every expectation holds
  1   an expectation failed (the diffs follow the run)
  2   the file could not be read, parsed or run (file, line and field named)
  64  bad usage
  74  the output could not be written
";

/// The usage text printed by `onhand check --help`.
pub const CHECK_USAGE: &str = "\
onhand check: run every scenario file under the paths

Usage:
  onhand check PATH... [--format text|json|junit]

Runs every .toml and .json scenario file named or found under the folders
(searched recursively, in path order), prints `ok` or the failures as diffs,
each with the file and line of its step, then a summary. With --format json,
one JSON document (`scenarios`: file, outcome pass|fail|error, checks,
failures with step, line, what, expected and actual; `summary`); with
--format junit, JUnit XML (a test suite per file, a test case per check).

Exit codes:
  0   every expectation of every scenario holds
  1   an expectation failed
  2   a file could not be read, parsed or run
  64  bad usage
  74  the output could not be written
";

/// The usage text printed by `onhand simulate --help`.
pub const SIMULATE_USAGE: &str = "\
onhand simulate: seeded, realistic days on a whole network, checked step by step

Usage:
  onhand simulate [--seed N] [--days N] [--steps N] [--network demo|synthetic]
                  [--items N] [--sites N] [--checks full|steps|none]

Plays DAYS days (default 5) of STEPS steps each (default 60) on the network:
purchase orders and receipts, promises, expiring reservations and allocations,
picks and shipments, transfers within and across entities (short, over,
damaged), counts, holds and releases, returns, approvals, back-dated events,
period closes, and deliberately invalid events that must be refused with
nothing changed. After every step it checks that the engines agree (ATP free
stock plus allocations equals the ledger's available stock; the books equal the
ledger's valued stock; every posting balances; intercompany balances
reconcile); with --checks full (the default), each day's journal also replays
to the same digest. The same seed prints the same bytes, including the trace
digest. A failure names its seed, day and step: days run in order, so the
first failing day is the shortest failing prefix. The output ends with the
exception queue (active and raised, per kind) and the fill rates, promise
accuracy, inventory record accuracy and transfer receipt accuracy of each month
played (the last three at most).

Progress (a bar on a terminal, a line per day otherwise) and the throughput in
events per second go to standard error, so standard output stays the same for
the same seed. Size the engine for a network like yours with --items, --sites
and --checks none.

Options:
  --seed N         the seed (default 1)
  --days N         days to play (default 5)
  --steps N        steps per day (default 60)
  --network NAME   demo (default): the demo network; synthetic: a generated
                   network of 200 items at 9 sites
  --items N        a synthetic network of N items (1 to 1000000)
  --sites N        a synthetic network of N sites (2 to 1000; default 9)
  --checks LEVEL   full (default), steps (after every step, digests only
                   around invalid steps), or none (throughput)

Exit codes:
  0   every check held
  1   a check failed (the failure is printed)
  64  bad usage
  70  internal error (a bug in onhand)
  74  the output could not be written
";

/// A command whose help can be asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelpTopic {
    /// `onhand validate --help`.
    Validate,
    /// `onhand demo --help`.
    Demo,
    /// `onhand export-demo --help`.
    ExportDemo,
    /// `onhand run --help`.
    Run,
    /// `onhand check --help`.
    Check,
    /// `onhand simulate --help`.
    Simulate,
}

impl HelpTopic {
    /// The topic of a command name.
    #[must_use]
    pub fn of(command: &str) -> Option<HelpTopic> {
        match command {
            "validate" => Some(HelpTopic::Validate),
            "demo" => Some(HelpTopic::Demo),
            "export-demo" => Some(HelpTopic::ExportDemo),
            "run" => Some(HelpTopic::Run),
            "check" => Some(HelpTopic::Check),
            "simulate" => Some(HelpTopic::Simulate),
            _ => None,
        }
    }

    /// The help text.
    #[must_use]
    pub fn usage(self) -> &'static str {
        match self {
            HelpTopic::Validate => VALIDATE_USAGE,
            HelpTopic::Demo => DEMO_USAGE,
            HelpTopic::ExportDemo => EXPORT_DEMO_USAGE,
            HelpTopic::Run => RUN_USAGE,
            HelpTopic::Check => CHECK_USAGE,
            HelpTopic::Simulate => SIMULATE_USAGE,
        }
    }
}

/// How `validate` prints its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReportFormat {
    /// For people: `[code] message` lines and counts.
    #[default]
    Text,
    /// One JSON object: `master`, `status_maps`, `counts`.
    Json,
}

/// How `check` prints its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CheckFormat {
    /// For people: `ok` or the failures as diffs, then a summary.
    #[default]
    Text,
    /// One JSON document.
    Json,
    /// `JUnit` XML, for CI systems.
    Junit,
}

/// Which network `simulate` plays on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SimNetwork {
    /// The built-in demo network.
    #[default]
    Demo,
    /// A generated network (the testkit's shape) of so many items at so many sites.
    Synthetic {
        /// Items.
        items: usize,
        /// Sites.
        sites: usize,
    },
}

/// The synthetic network's items when `--network synthetic` names no size.
const SIM_ITEMS: usize = 200;
/// The synthetic network's sites when `--network synthetic` names no size.
const SIM_SITES: usize = 9;
/// The most items `simulate --items` takes.
const MAX_SIM_ITEMS: usize = 1_000_000;
/// The most sites `simulate --sites` takes.
const MAX_SIM_SITES: usize = 1_000;

/// What `simulate` checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SimChecks {
    /// Every step, with digests, and each day's replays.
    #[default]
    Full,
    /// Every step; digests only around invalid steps.
    Steps,
    /// Nothing beyond the network's own refusals.
    None,
}

/// How `export-demo` writes the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExportFormat {
    /// TOML.
    #[default]
    Toml,
    /// Pretty JSON.
    Json,
}

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Validate inputs merged into one network.
    Validate {
        /// The inputs, each with its format.
        inputs: Vec<(Input, Format)>,
        /// The report format.
        format: ReportFormat,
    },
    /// Print the demo.
    Demo {
        /// Where to write the demo day as a visual report (`--html OUT.html`), if
        /// asked for.
        html: Option<PathBuf>,
    },
    /// Print the demo network as a document, or the demo day as a scenario.
    ExportDemo {
        /// The document format.
        format: ExportFormat,
        /// Print the demo day's scenario instead of the network (`--scenario`).
        scenario: bool,
    },
    /// Run one scenario file.
    Run {
        /// The file.
        file: PathBuf,
        /// Where to write the visual report (`--html OUT.html`), if asked for.
        html: Option<PathBuf>,
    },
    /// Run every scenario file under the paths.
    Check {
        /// Files or folders.
        paths: Vec<PathBuf>,
        /// The report format.
        format: CheckFormat,
    },
    /// Play seeded days on a network, checking the engines agree.
    Simulate {
        /// The seed.
        seed: u64,
        /// Days to play.
        days: u32,
        /// Steps per day.
        steps: u32,
        /// The network.
        network: SimNetwork,
        /// What is checked.
        checks: SimChecks,
    },
    /// Print a usage text: the global one, or a command's.
    Help {
        /// The command asked about; `None` for the global usage.
        topic: Option<HelpTopic>,
    },
    /// Print the version.
    Version,
}

/// A command line that cannot be run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UsageError {
    /// No command was given.
    #[error("no command given")]
    NoCommand,
    /// The command is not one onhand has.
    #[error("unknown command {0:?}")]
    UnknownCommand(String),
    /// The option is not one the command takes.
    #[error("{command}: unknown option {option:?}")]
    UnknownOption {
        /// The command.
        command: &'static str,
        /// The option.
        option: String,
    },
    /// An option was given without its value.
    #[error("{option} needs a value: {expected}")]
    MissingValue {
        /// The option.
        option: &'static str,
        /// The values it takes.
        expected: &'static str,
    },
    /// An option was given a value it does not take.
    #[error("{option} takes {expected}, not {value:?}")]
    BadValue {
        /// The option.
        option: &'static str,
        /// The value given.
        value: String,
        /// The values it takes.
        expected: &'static str,
    },
    /// The command takes no further arguments.
    #[error("{command}: unexpected argument {arg:?}")]
    UnexpectedArgument {
        /// The command.
        command: &'static str,
        /// The argument.
        arg: String,
    },
    /// `validate` was given no file.
    #[error("validate: no file given")]
    NoFiles,
    /// A file whose extension says no format onhand reads, and no `--input-format`.
    #[error(
        "{file}: cannot tell the format from the extension (use .toml, .json or .csv, or --input-format)"
    )]
    UnknownExtension {
        /// The file.
        file: String,
    },
    /// Standard input (`-`) was named without `--input-format`.
    #[error("reading standard input (-) needs --input-format toml, json or csv")]
    StdinWithoutFormat,
    /// Standard input (`-`) was named more than once.
    #[error("standard input (-) can be read only once")]
    StdinTwice,
    /// An option or command that is not valid UTF-8.
    #[error("argument {0:?} is not valid UTF-8")]
    NotUtf8(String),
}

impl UsageError {
    /// Every stable code a usage error can carry, sorted.
    pub const CODES: [&'static str; 11] = [
        "argument_not_utf8",
        "bad_value",
        "missing_value",
        "no_command",
        "no_files",
        "stdin_twice",
        "stdin_without_format",
        "unexpected_argument",
        "unknown_command",
        "unknown_extension",
        "unknown_option",
    ];

    /// The stable code of the error (for tools: the JSON report's `errors[].code`).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            UsageError::NoCommand => "no_command",
            UsageError::UnknownCommand(_) => "unknown_command",
            UsageError::UnknownOption { .. } => "unknown_option",
            UsageError::MissingValue { .. } => "missing_value",
            UsageError::BadValue { .. } => "bad_value",
            UsageError::UnexpectedArgument { .. } => "unexpected_argument",
            UsageError::NoFiles => "no_files",
            UsageError::UnknownExtension { .. } => "unknown_extension",
            UsageError::StdinWithoutFormat => "stdin_without_format",
            UsageError::StdinTwice => "stdin_twice",
            UsageError::NotUtf8(_) => "argument_not_utf8",
        }
    }
}

/// Parses the arguments after the program name.
///
/// # Errors
/// A [`UsageError`] for anything but a runnable command line.
///
/// ```
/// use onhand_cli::{parse_args, Command, ExportFormat, HelpTopic};
/// let cmd = parse_args(&["export-demo".into(), "--format=json".into()])?;
/// assert_eq!(cmd, Command::ExportDemo { format: ExportFormat::Json, scenario: false });
/// let help = parse_args(&["validate".into(), "--help".into()])?;
/// assert_eq!(help, Command::Help { topic: Some(HelpTopic::Validate) });
/// assert!(parse_args(&["frobnicate".into()]).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_args(args: &[OsString]) -> Result<Command, UsageError> {
    let Some((first, rest)) = args.split_first() else {
        return Err(UsageError::NoCommand);
    };
    // Help wins wherever it appears before a `--`, about the command it follows.
    let before_dashes = args.iter().take_while(|a| *a != "--");
    if before_dashes.clone().any(|a| a == "--help" || a == "-h") {
        return Ok(Command::Help { topic: first.to_str().and_then(HelpTopic::of) });
    }
    match text(first)?.as_str() {
        "help" => match rest {
            [] => Ok(Command::Help { topic: None }),
            [command] => {
                let command = text(command)?;
                match HelpTopic::of(&command) {
                    Some(topic) => Ok(Command::Help { topic: Some(topic) }),
                    None => Err(UsageError::UnknownCommand(command)),
                }
            }
            [_, extra, ..] => Err(UsageError::UnexpectedArgument {
                command: "help",
                arg: extra.to_string_lossy().into_owned(),
            }),
        },
        "--version" | "-V" => no_more("--version", rest, Command::Version),
        "demo" => parse_demo(rest),
        "export-demo" => {
            let mut format = ExportFormat::default();
            let mut scenario = false;
            let mut it = rest.iter();
            while let Some(arg) = it.next() {
                let arg = text(arg)?;
                if arg == "--scenario" {
                    scenario = true;
                } else if let Some(value) = option_value("--format", &arg, &mut it)? {
                    format = match value.as_str() {
                        "toml" => ExportFormat::Toml,
                        "json" => ExportFormat::Json,
                        _ => return Err(bad_value("--format", value, "toml or json")),
                    };
                } else if arg.starts_with('-') {
                    return Err(UsageError::UnknownOption { command: "export-demo", option: arg });
                } else {
                    return Err(UsageError::UnexpectedArgument { command: "export-demo", arg });
                }
            }
            Ok(Command::ExportDemo { format, scenario })
        }
        "validate" => parse_validate(rest),
        "simulate" => parse_simulate(rest),
        "run" | "check" => {
            let command = if text(first)? == "run" { "run" } else { "check" };
            let mut paths = Vec::new();
            let mut only_files = false;
            let mut format = CheckFormat::default();
            let mut html = None;
            let mut it = rest.iter();
            while let Some(arg) = it.next() {
                if only_files || !arg.to_string_lossy().starts_with('-') {
                    paths.push(PathBuf::from(arg));
                } else if arg == "--" {
                    only_files = true;
                } else if command == "run"
                    && let Some(out) = html_option(arg, &mut it)?
                {
                    html = Some(out);
                } else if command == "check"
                    && let Some(value) = option_value("--format", &text(arg)?, &mut it)?
                {
                    format = match value.as_str() {
                        "text" => CheckFormat::Text,
                        "json" => CheckFormat::Json,
                        "junit" => CheckFormat::Junit,
                        _ => return Err(bad_value("--format", value, "text, json or junit")),
                    };
                } else {
                    let option = arg.to_string_lossy().into_owned();
                    return Err(UsageError::UnknownOption { command, option });
                }
            }
            match (command, paths.as_slice()) {
                (_, []) => Err(UsageError::NoFiles),
                ("run", [file]) => Ok(Command::Run { file: file.clone(), html }),
                ("run", [_, extra, ..]) => Err(UsageError::UnexpectedArgument {
                    command,
                    arg: extra.display().to_string(),
                }),
                _ => Ok(Command::Check { paths, format }),
            }
        }
        other => Err(UsageError::UnknownCommand(other.to_owned())),
    }
}

fn parse_validate(rest: &[OsString]) -> Result<Command, UsageError> {
    let mut format = ReportFormat::default();
    let mut input_format = None;
    let mut inputs = Vec::new();
    let mut it = rest.iter();
    let mut only_files = false;
    while let Some(arg) = it.next() {
        if arg == "-" {
            if inputs.contains(&Input::Stdin) {
                return Err(UsageError::StdinTwice);
            }
            inputs.push(Input::Stdin);
            continue;
        }
        if only_files || !arg.to_string_lossy().starts_with('-') {
            inputs.push(Input::File(PathBuf::from(arg)));
            continue;
        }
        let arg = text(arg)?;
        if arg == "--" {
            only_files = true;
        } else if let Some(value) = option_value("--format", &arg, &mut it)? {
            format = match value.as_str() {
                "text" => ReportFormat::Text,
                "json" => ReportFormat::Json,
                _ => return Err(bad_value("--format", value, "text or json")),
            };
        } else if let Some(value) = option_value("--input-format", &arg, &mut it)? {
            input_format = Some(match value.as_str() {
                "toml" => Format::Toml,
                "json" => Format::Json,
                "csv" => Format::Csv,
                _ => return Err(bad_value("--input-format", value, "toml, json or csv")),
            });
        } else {
            return Err(UsageError::UnknownOption { command: "validate", option: arg });
        }
    }
    if inputs.is_empty() {
        return Err(UsageError::NoFiles);
    }
    let inputs = inputs
        .into_iter()
        .map(|input| {
            let format = match &input {
                Input::Stdin => input_format.ok_or(UsageError::StdinWithoutFormat)?,
                Input::File(path) => Format::from_path(path).or(input_format).ok_or_else(|| {
                    UsageError::UnknownExtension { file: path.display().to_string() }
                })?,
            };
            Ok((input, format))
        })
        .collect::<Result<_, _>>()?;
    Ok(Command::Validate { inputs, format })
}

fn parse_simulate(rest: &[OsString]) -> Result<Command, UsageError> {
    let (mut seed, mut days, mut steps) = (1_u64, 5_u32, 60_u32);
    let (mut network, mut checks) = (SimNetwork::default(), SimChecks::default());
    let (mut items, mut sites, mut named_demo) = (None, None, false);
    let mut it = rest.iter();
    while let Some(arg) = it.next() {
        let arg = text(arg)?;
        if let Some(v) = option_value("--seed", &arg, &mut it)? {
            seed = v.parse().map_err(|_| bad_value("--seed", v, "a whole number"))?;
        } else if let Some(v) = option_value("--days", &arg, &mut it)? {
            days = match v.parse() {
                Ok(n) if (1..=MAX_SIM_DAYS).contains(&n) => n,
                _ => return Err(bad_value("--days", v, "a whole number from 1 to 3650")),
            };
        } else if let Some(v) = option_value("--steps", &arg, &mut it)? {
            steps = match v.parse() {
                Ok(n) if n <= MAX_SIM_STEPS => n,
                _ => return Err(bad_value("--steps", v, "a whole number from 0 to 100000")),
            };
        } else if let Some(v) = option_value("--network", &arg, &mut it)? {
            network = match v.as_str() {
                "demo" => {
                    named_demo = true;
                    SimNetwork::Demo
                }
                "synthetic" => SimNetwork::Synthetic { items: SIM_ITEMS, sites: SIM_SITES },
                _ => return Err(bad_value("--network", v, "demo or synthetic")),
            };
        } else if let Some(v) = option_value("--items", &arg, &mut it)? {
            items = match v.parse() {
                Ok(n) if (1..=MAX_SIM_ITEMS).contains(&n) => Some(n),
                _ => return Err(bad_value("--items", v, "a whole number from 1 to 1000000")),
            };
        } else if let Some(v) = option_value("--sites", &arg, &mut it)? {
            sites = match v.parse() {
                Ok(n) if (2..=MAX_SIM_SITES).contains(&n) => Some(n),
                _ => return Err(bad_value("--sites", v, "a whole number from 2 to 1000")),
            };
        } else if let Some(v) = option_value("--checks", &arg, &mut it)? {
            checks = match v.as_str() {
                "full" => SimChecks::Full,
                "steps" => SimChecks::Steps,
                "none" => SimChecks::None,
                _ => return Err(bad_value("--checks", v, "full, steps or none")),
            };
        } else if arg.starts_with('-') {
            return Err(UsageError::UnknownOption { command: "simulate", option: arg });
        } else {
            return Err(UsageError::UnexpectedArgument { command: "simulate", arg });
        }
    }
    if items.is_some() || sites.is_some() {
        if named_demo {
            let expected = "synthetic when --items or --sites is given";
            return Err(bad_value("--network", "demo".into(), expected));
        }
        network = SimNetwork::Synthetic {
            items: items.unwrap_or(SIM_ITEMS),
            sites: sites.unwrap_or(SIM_SITES),
        };
    }
    Ok(Command::Simulate { seed, days, steps, network, checks })
}

/// The most days `simulate` plays (ten years).
const MAX_SIM_DAYS: u32 = 3650;
/// The most steps a day `simulate` plays.
const MAX_SIM_STEPS: u32 = 100_000;

fn bad_value(option: &'static str, value: String, expected: &'static str) -> UsageError {
    UsageError::BadValue { option, value, expected }
}

/// `onhand demo [--html OUT.html]`.
fn parse_demo(rest: &[OsString]) -> Result<Command, UsageError> {
    let mut html = None;
    let mut it = rest.iter();
    while let Some(arg) = it.next() {
        if let Some(out) = html_option(arg, &mut it)? {
            html = Some(out);
        } else if arg.to_string_lossy().starts_with('-') {
            let option = arg.to_string_lossy().into_owned();
            return Err(UsageError::UnknownOption { command: "demo", option });
        } else {
            let arg = arg.to_string_lossy().into_owned();
            return Err(UsageError::UnexpectedArgument { command: "demo", arg });
        }
    }
    Ok(Command::Demo { html })
}

/// An argument as text, or [`UsageError::NotUtf8`].
fn text(a: &OsString) -> Result<String, UsageError> {
    a.to_str().map(str::to_owned).ok_or_else(|| UsageError::NotUtf8(a.to_string_lossy().into()))
}

/// The file of `--html OUT` or `--html=OUT` when `arg` is that option; `None` when it
/// is another argument.
fn html_option<'a>(
    arg: &OsString,
    it: &mut impl Iterator<Item = &'a OsString>,
) -> Result<Option<PathBuf>, UsageError> {
    if arg == "--html" {
        let out = it.next().ok_or(UsageError::MissingValue {
            option: "--html",
            expected: "an output file name",
        })?;
        return Ok(Some(PathBuf::from(out)));
    }
    Ok(text(arg)?.strip_prefix("--html=").map(PathBuf::from))
}

fn no_more(command: &'static str, rest: &[OsString], cmd: Command) -> Result<Command, UsageError> {
    match rest.first() {
        None => Ok(cmd),
        Some(arg) => {
            let arg = arg.to_string_lossy().into_owned();
            if arg.starts_with('-') {
                Err(UsageError::UnknownOption { command, option: arg })
            } else {
                Err(UsageError::UnexpectedArgument { command, arg })
            }
        }
    }
}

/// The value of `OPTION VALUE` or `OPTION=VALUE` when `arg` is `option`; `None` when it
/// is another argument.
fn option_value<'a>(
    option: &'static str,
    arg: &str,
    rest: &mut impl Iterator<Item = &'a OsString>,
) -> Result<Option<String>, UsageError> {
    const EXPECTED: &str = "a format name";
    if let Some(value) = arg.strip_prefix(option).and_then(|v| v.strip_prefix('=')) {
        return Ok(Some(value.to_owned()));
    }
    if arg == option {
        let value = rest.next().ok_or(UsageError::MissingValue { option, expected: EXPECTED })?;
        return value
            .to_str()
            .map(|v| Some(v.to_owned()))
            .ok_or_else(|| UsageError::NotUtf8(value.to_string_lossy().into()));
    }
    Ok(None)
}

/// Whether the arguments ask `validate` for a JSON report, read loosely so that even a
/// command line that does not parse gets its error as JSON.
fn wants_json(args: &[OsString]) -> bool {
    if args.first().is_none_or(|a| a != "validate") {
        return false;
    }
    let mut before_dashes = args.iter().take_while(|a| *a != "--");
    let mut json = false;
    while let Some(arg) = before_dashes.next() {
        if arg == "--format=json" {
            json = true;
        } else if arg == "--format" || arg.to_str().is_some_and(|a| a.starts_with("--format=")) {
            let value = if arg == "--format" { before_dashes.next() } else { None };
            json = value.is_some_and(|v| v == "json");
        }
    }
    json
}

/// Why a command stopped short.
enum Failure {
    Output(io::Error),
    Internal(String),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Output(e)
    }
}

/// Runs the command line `args` (after the program name), reading standard input from
/// `stdin` when an input is `-`, writing to `stdout` and `stderr`, and returns the exit
/// code.
///
/// ```
/// use onhand_cli::{run, EXIT_OK, EXIT_USAGE, EXIT_VIOLATIONS};
/// let (mut out, mut err) = (Vec::new(), Vec::new());
/// assert_eq!(run(&["--version".into()], &mut std::io::empty(), &mut out, &mut err), EXIT_OK);
/// assert!(String::from_utf8(out)?.starts_with("onhand "));
/// assert_eq!(run(&["nope".into()], &mut std::io::empty(), &mut Vec::new(), &mut err), EXIT_USAGE);
///
/// // An item master on standard input, with an item whose substitute does not exist.
/// let args = ["validate".into(), "-".into(), "--input-format".into(), "csv".into()];
/// let mut stdin = &b"code,base_uom,substitutes\nBOLT,EA,NUT\n"[..];
/// let mut out = Vec::new();
/// assert_eq!(run(&args, &mut stdin, &mut out, &mut Vec::new()), EXIT_VIOLATIONS);
/// assert!(String::from_utf8(out)?.contains(
///     "[unknown_reference] <stdin>:2: item BOLT: item NUT does not exist (field substitutes)"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn run(
    args: &[OsString],
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    let json = wants_json(args);
    let result = match parse_args(args) {
        Err(e) if json => {
            let outcome = JsonOutcome::failed(EXIT_USAGE, vec![ErrorJson::usage(&e)]);
            write_outcome(&outcome, stdout)
        }
        Err(e) => {
            // Nothing useful is left to do when even stderr fails.
            let _ = writeln!(stderr, "error: {e}\nrun `onhand --help` for usage");
            return EXIT_USAGE;
        }
        Ok(Command::Help { topic }) => {
            let text = topic.map_or(USAGE, HelpTopic::usage);
            stdout.write_all(text.as_bytes()).map(|()| EXIT_OK).map_err(Failure::from)
        }
        Ok(Command::Version) => writeln!(stdout, "onhand {}", env!("CARGO_PKG_VERSION"))
            .map(|()| EXIT_OK)
            .map_err(Failure::from),
        Ok(Command::Validate { inputs, format }) => {
            validate(&inputs, format, stdin, stdout, stderr)
        }
        Ok(Command::Demo { html }) => demo(html.as_deref(), stdout, stderr),
        Ok(Command::ExportDemo { format, scenario: false }) => export_demo(format, stdout),
        Ok(Command::ExportDemo { format, scenario: true }) => export_scenario(format, stdout),
        Ok(Command::Run { file, html }) => {
            run_scenario_file(&file, html.as_deref(), stdout, stderr)
        }
        Ok(Command::Check { paths, format }) => check(&paths, format, stdout, stderr),
        Ok(Command::Simulate { seed, days, steps, network, checks }) => {
            simulate(seed, days, steps, network, checks, stdout, stderr)
        }
    };
    let result = result.and_then(|code| stdout.flush().map(|()| code).map_err(Failure::from));
    match result {
        Ok(code) => code,
        Err(Failure::Output(e)) => {
            if e.kind() != io::ErrorKind::BrokenPipe {
                let _ = writeln!(stderr, "error: cannot write the output: {e}");
            }
            EXIT_OUTPUT
        }
        Err(Failure::Internal(message)) if json => {
            let outcome = JsonOutcome::failed(EXIT_SOFTWARE, vec![ErrorJson::internal(message)]);
            match write_outcome(&outcome, stdout).and_then(|_| Ok(stdout.flush()?)) {
                Ok(()) => EXIT_SOFTWARE,
                Err(_) => EXIT_OUTPUT,
            }
        }
        Err(Failure::Internal(message)) => {
            let _ = writeln!(stderr, "error: internal error (a bug in onhand): {message}");
            EXIT_SOFTWARE
        }
    }
}

/// What `validate --format json` prints, whatever happens: the shape `VALIDATE_USAGE`
/// documents, every key always present.
#[derive(Serialize)]
struct JsonOutcome<'a> {
    schema_version: u32,
    outcome: &'static str,
    exit_code: u8,
    errors: Vec<ErrorJson>,
    #[serde(flatten)]
    report: JsonParts<'a>,
}

/// The version of the JSON report's shape; a change that could break a reader raises it.
const SCHEMA_VERSION: u32 = 1;

impl JsonOutcome<'_> {
    /// An outcome with no report: the run stopped at `errors`.
    fn failed(exit_code: u8, errors: Vec<ErrorJson>) -> JsonOutcome<'static> {
        let outcome = match exit_code {
            EXIT_INPUT => "unreadable",
            EXIT_USAGE => "usage",
            _ => "internal",
        };
        JsonOutcome {
            schema_version: SCHEMA_VERSION,
            outcome,
            exit_code,
            errors,
            report: JsonParts::empty(),
        }
    }
}

/// One error in the JSON report.
#[derive(Serialize)]
struct ErrorJson {
    code: &'static str,
    file: Option<String>,
    line: Option<usize>,
    column: Option<usize>,
    field: Option<String>,
    message: String,
}

impl ErrorJson {
    fn input(e: &InputError) -> Self {
        ErrorJson {
            code: e.code(),
            file: Some(e.file().to_owned()),
            line: e.line(),
            column: e.column(),
            field: e.field().map(str::to_owned),
            message: e.message(),
        }
    }

    fn usage(e: &UsageError) -> Self {
        let file = match e {
            UsageError::UnknownExtension { file } => Some(file.clone()),
            _ => None,
        };
        let message = e.to_string();
        ErrorJson { code: e.code(), file, line: None, column: None, field: None, message }
    }

    fn internal(message: String) -> Self {
        ErrorJson { code: "internal", file: None, line: None, column: None, field: None, message }
    }
}

/// Writes `outcome` as pretty JSON, streamed: a report of a million findings is never
/// held as one string.
fn write_outcome(outcome: &JsonOutcome<'_>, stdout: &mut dyn Write) -> Result<u8, Failure> {
    serde_json::to_writer_pretty(&mut *stdout, outcome).map_err(|e| {
        if e.is_io() { Failure::Output(e.into()) } else { Failure::Internal(e.to_string()) }
    })?;
    writeln!(stdout)?;
    Ok(outcome.exit_code)
}

fn validate(
    inputs: &[(Input, Format)],
    format: ReportFormat,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<u8, Failure> {
    let mut network = Loaded::default();
    let mut errors = Vec::new();
    for (input, input_format) in inputs {
        match read_input(input, *input_format, stdin) {
            Ok(part) => network.merge(part),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        if format == ReportFormat::Json {
            let errors = errors.iter().map(ErrorJson::input).collect();
            return write_outcome(&JsonOutcome::failed(EXIT_INPUT, errors), stdout);
        }
        for e in &errors {
            writeln!(stderr, "error: {e}")?;
        }
        writeln!(
            stderr,
            "{} of {} input(s) could not be read; nothing validated",
            errors.len(),
            inputs.len()
        )?;
        return Ok(EXIT_INPUT);
    }
    let Loaded { doc, sources } = network;
    let (master, maps) = doc.into_parts();
    let report = LocatedReport::new(&master, &maps, &sources);
    // The network is not needed any more; free it before writing a large report.
    drop((master, maps, sources));
    let code = if report.report.is_clean() { EXIT_OK } else { EXIT_VIOLATIONS };
    match format {
        ReportFormat::Text => report.write_text(stdout)?,
        ReportFormat::Json => {
            let outcome = JsonOutcome {
                schema_version: SCHEMA_VERSION,
                outcome: if code == EXIT_OK { "clean" } else { "violations" },
                exit_code: code,
                errors: Vec::new(),
                report: report.json_parts(),
            };
            write_outcome(&outcome, stdout)?;
        }
    }
    Ok(code)
}

fn simulate(
    seed: u64,
    days: u32,
    steps: u32,
    network: SimNetwork,
    checks: SimChecks,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<u8, Failure> {
    use onhand::sim::{Checks, Setup, Sim, SimConfig};
    let (setup, name) = match network {
        SimNetwork::Demo => (Setup::demo(), "the demo network".to_owned()),
        SimNetwork::Synthetic { items, sites } => (
            Setup::synthetic(items, sites),
            format!("a synthetic network ({items} items, {sites} sites)"),
        ),
    };
    let setup = setup.map_err(|e| Failure::Internal(format!("the network does not build: {e}")))?;
    let checks = match checks {
        SimChecks::Full => Checks::Full,
        SimChecks::Steps => Checks::Steps,
        SimChecks::None => Checks::None,
    };
    let first = setup.start.date_naive();
    let config = SimConfig::new(seed).steps_per_day(steps).checks(checks);
    writeln!(stdout, "simulating {days} day(s) of {steps} step(s) on {name}, seed {seed}")?;
    let mut sim = match Sim::new(setup, config) {
        Ok(sim) => sim,
        Err(f) => {
            writeln!(stdout, "FAILED: {f}")?;
            return Ok(EXIT_VIOLATIONS);
        }
    };
    let result = run_days(&mut sim, days, stderr)?;
    let st = sim.stats();
    writeln!(
        stdout,
        "{} step(s): {} accepted, {} refused ({} of them deliberately invalid); \
         {} inventory event(s): {} held for approval, {} duplicate; {} signal(s)",
        st.steps,
        st.accepted,
        st.refused,
        st.invalid,
        st.events,
        st.pending,
        st.duplicates,
        st.signals
    )?;
    writeln!(stdout, "steps by kind:")?;
    for (kind, n) in &st.by_kind {
        writeln!(stdout, "  {:<20} {n}", kind.as_str())?;
    }
    if !st.refusals.is_empty() {
        writeln!(stdout, "refusals by code:")?;
        for (code, n) in &st.refusals {
            writeln!(stdout, "  {code:<28} {n}")?;
        }
    }
    sim_summary(sim.network(), first, stdout)?;
    writeln!(stdout, "trace digest {}", sim.trace_digest())?;
    match result {
        Ok(()) => {
            writeln!(stdout, "every check held")?;
            Ok(EXIT_OK)
        }
        Err(f) => {
            writeln!(stdout, "FAILED: {f}")?;
            Ok(EXIT_VIOLATIONS)
        }
    }
}

/// How many months of KPIs `simulate` prints at most (the last ones).
const SIM_KPI_MONTHS: usize = 3;

/// The end of a simulation's output: the exception queue by kind, and the main KPIs of
/// each month the run covered (from `first` to the network's day), at most the last
/// [`SIM_KPI_MONTHS`].
fn sim_summary(
    net: &onhand::Network,
    first: chrono::NaiveDate,
    stdout: &mut dyn Write,
) -> Result<(), Failure> {
    use onhand::control::ExceptionKind;
    use onhand::insight::{Dim, Grain, Period};
    let queue = net.control();
    let mut raised = [0u64; ExceptionKind::ALL.len()];
    let mut active = [0u64; ExceptionKind::ALL.len()];
    for e in queue.exceptions() {
        let i = e.kind.index();
        if let Some(n) = raised.get_mut(i) {
            *n += 1;
        }
        if let (true, Some(n)) = (e.state.is_active(), active.get_mut(i)) {
            *n += 1;
        }
    }
    writeln!(
        stdout,
        "exceptions: {} active, {} raised",
        active.iter().sum::<u64>(),
        raised.iter().sum::<u64>()
    )?;
    let mut kinds: Vec<(ExceptionKind, u64, u64)> = ExceptionKind::ALL
        .iter()
        .zip(active.iter().zip(raised.iter()))
        .filter(|(_, (_, r))| **r > 0)
        .map(|(k, (a, r))| (*k, *a, *r))
        .collect();
    // Most active first, then most raised, then in the kinds' order.
    kinds.sort_by(|x, y| y.1.cmp(&x.1).then(y.2.cmp(&x.2)));
    for (kind, a, r) in kinds {
        writeln!(stdout, "  {:<26} {a:>6} active {r:>6} raised", kind.code())?;
    }
    let last = net.now().date_naive();
    let mut months = vec![Period::containing(Grain::Month, first)];
    while let Some(p) = months.last().copied()
        && p.end() <= last
    {
        months.push(p.next());
    }
    for period in months.iter().skip(months.len().saturating_sub(SIM_KPI_MONTHS)) {
        let report = match net.kpi_report(*period) {
            Ok(r) => r,
            Err(e) => {
                writeln!(stdout, "kpis {period}: {e}")?;
                continue;
            }
        };
        writeln!(stdout, "kpis {period}:")?;
        let na = "n/a".to_owned();
        let orders = report.orders.iter().find(|(d, _)| *d == Dim::Network).map(|(_, o)| o);
        let counts = report.counts.iter().find(|(d, _)| *d == Dim::Network).map(|(_, c)| c);
        let transfers = report.transfers.iter().find(|(d, _)| *d == Dim::Network).map(|(_, t)| t);
        for (name, value) in [
            ("unit fill rate", orders.map(|o| o.fill_requested.units.to_string())),
            ("line fill rate", orders.map(|o| o.fill_requested.lines.to_string())),
            (
                "order fill rate",
                orders.and_then(|o| o.fill_requested.orders.map(|r| r.to_string())),
            ),
            ("promise accuracy", orders.map(|o| o.promise_accuracy.to_string())),
            ("inventory record accuracy", counts.map(|c| c.accuracy.to_string())),
            ("transfer receipt accuracy", transfers.map(|t| t.receipt_accuracy.to_string())),
        ] {
            writeln!(stdout, "  {name:<26} {}", value.as_ref().unwrap_or(&na))?;
        }
    }
    Ok(())
}

/// Runs the days, showing progress and the throughput on `stderr`: a bar redrawn in
/// place on a terminal, a line per day otherwise. The wall clock is read here, in the
/// CLI, and only for what goes to `stderr`.
#[allow(clippy::disallowed_methods)] // the CLI times the run for the user; the core never does
fn run_days(
    sim: &mut onhand::sim::Sim,
    days: u32,
    stderr: &mut dyn Write,
) -> Result<Result<(), onhand::sim::Failure>, Failure> {
    // A bar only where a person watches: the process's standard error is a terminal.
    let bar = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let started = std::time::Instant::now();
    #[allow(
        clippy::cast_precision_loss,
        clippy::float_arithmetic,
        reason = "events per second, for display only"
    )]
    let rate = |events: u64, secs: f64| if secs > 0.0 { events as f64 / secs } else { 0.0 };
    let mut result = Ok(());
    for day in 1..=days {
        if let Err(f) = sim.run_day() {
            result = Err(f);
            break;
        }
        let events = sim.stats().events;
        let per_sec = rate(events, started.elapsed().as_secs_f64());
        if bar {
            let done = usize::try_from(u64::from(day) * 30 / u64::from(days.max(1))).unwrap_or(30);
            let filled = "#".repeat(done);
            write!(
                stderr,
                "\r[{filled:<30}] day {day}/{days}  {events} events  {per_sec:.0} events/s"
            )?;
        } else {
            writeln!(stderr, "day {day}/{days}: {events} events, {per_sec:.0} events/s")?;
        }
    }
    if bar {
        writeln!(stderr)?;
    }
    let secs = started.elapsed().as_secs_f64();
    let st = sim.stats();
    writeln!(
        stderr,
        "throughput: {} inventory events and {} steps in {secs:.2} s: {:.0} events/s",
        st.events,
        st.steps,
        rate(st.events, secs)
    )?;
    Ok(result)
}

fn run_scenario_file(
    file: &std::path::Path,
    html: Option<&std::path::Path>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<u8, Failure> {
    let (outcome, played) = match crate::scenarios::read_scenario(file) {
        Err(e) => (FileOutcome::Broken(e), None),
        Ok(f) => crate::scenarios::play_scenario(&f, html.is_some()),
    };
    if let (Some(out), FileOutcome::Ran { report, .. }, Some(Played { timeline: Some(t), .. })) =
        (html, &outcome, &played)
    {
        let page = crate::html::render(report, t);
        if let Err(e) = std::fs::write(out, page) {
            writeln!(stderr, "error: cannot write {}: {e}", out.display())?;
            return Ok(EXIT_OUTPUT);
        }
    }
    match outcome {
        FileOutcome::Broken(e) => {
            writeln!(stderr, "error: {e}")?;
            Ok(EXIT_INPUT)
        }
        outcome @ FileOutcome::Ran { .. } => {
            if let FileOutcome::Ran { report, .. } = &outcome {
                stdout.write_all(report.text().as_bytes())?;
            }
            if let Some(played) = &played {
                let postings: Vec<_> = played
                    .events
                    .iter()
                    .flatten()
                    .filter_map(|o| o.as_ref().ok())
                    .flat_map(|o| o.postings.iter().cloned())
                    .collect();
                crate::end::write_end(&played.network, &postings, stdout)?;
            }
            if let Some(out) = html {
                writeln!(stdout, "report written to {}", out.display())?;
            }
            if outcome.passed() {
                Ok(EXIT_OK)
            } else {
                writeln!(stdout)?;
                stdout.write_all(outcome.failures_text().as_bytes())?;
                Ok(EXIT_VIOLATIONS)
            }
        }
    }
}

fn check(
    paths: &[PathBuf],
    format: CheckFormat,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<u8, Failure> {
    let outcomes = match crate::scenarios::check_paths(paths) {
        Ok(o) => o,
        Err(e) => {
            writeln!(stderr, "error: {e}")?;
            return Ok(EXIT_INPUT);
        }
    };
    let code = outcomes.iter().fold(EXIT_OK, |code, o| match o {
        FileOutcome::Broken(_) => EXIT_INPUT,
        FileOutcome::Ran { .. } if !o.passed() => code.max(EXIT_VIOLATIONS),
        FileOutcome::Ran { .. } => code,
    });
    match format {
        CheckFormat::Text => {}
        CheckFormat::Json => {
            let text = crate::scenarios::check_json(&outcomes)
                .map_err(|e| Failure::Internal(e.to_string()))?;
            writeln!(stdout, "{text}")?;
            return Ok(code);
        }
        CheckFormat::Junit => {
            stdout.write_all(crate::scenarios::check_junit(&outcomes).as_bytes())?;
            return Ok(code);
        }
    }
    for o in &outcomes {
        match o {
            FileOutcome::Ran { report, .. } if o.passed() => {
                writeln!(stdout, "ok    {} ({} checks)", o.file(), report.checks())?;
            }
            FileOutcome::Ran { .. } => {
                writeln!(stdout, "FAIL  {}", o.file())?;
                stdout.write_all(o.failures_text().as_bytes())?;
            }
            FileOutcome::Broken(e) => {
                writeln!(stdout, "ERROR {}", o.file())?;
                writeln!(stderr, "error: {e}")?;
            }
        }
    }
    writeln!(stdout, "{}", crate::scenarios::summary(&outcomes))?;
    Ok(code)
}

fn demo(
    html: Option<&std::path::Path>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<u8, Failure> {
    let mut demo = crate::demo::Demo::builtin().map_err(Failure::Internal)?;
    let Some(out) = html else {
        crate::demo::write_sections(&demo, crate::demo::SECTIONS, stdout)?;
        return Ok(EXIT_OK);
    };
    // The recorded day is the same day (the same events through the same network), so
    // the printed tour and the page agree.
    let (day, report, timeline) = crate::day::DayRun::recorded().map_err(Failure::Internal)?;
    demo.day = Some(day);
    crate::demo::write_sections(&demo, crate::demo::SECTIONS, stdout)?;
    let page = crate::html::render(&report, &timeline);
    if let Err(e) = std::fs::write(out, page) {
        writeln!(stderr, "error: cannot write {}: {e}", out.display())?;
        return Ok(EXIT_OUTPUT);
    }
    writeln!(stdout, "report written to {}", out.display())?;
    if report.passed() {
        Ok(EXIT_OK)
    } else {
        writeln!(stdout, "{} check(s) of the demo day failed", report.failures().count())?;
        Ok(EXIT_VIOLATIONS)
    }
}

/// The first lines of the TOML export.
const TOML_HEADER: &str = "\
# The onhand demo network, as printed by `onhand export-demo`: master data and site
# status maps. Edit it, then check it with `onhand validate demo-network.toml`.

";

/// The demo network as a document in `format`.
///
/// # Errors
/// A serializer error (a bug).
pub fn export_demo_text(format: ExportFormat) -> Result<String, String> {
    let doc = NetworkDoc::from_parts(seed::demo_network(), demo_status_maps());
    match format {
        ExportFormat::Toml => {
            toml::to_string(&doc).map(|t| format!("{TOML_HEADER}{t}")).map_err(|e| e.to_string())
        }
        ExportFormat::Json => {
            serde_json::to_string_pretty(&doc).map(|j| j + "\n").map_err(|e| e.to_string())
        }
    }
}

/// The demo day as a scenario in `format`: the shipped file as it is for TOML, the same
/// scenario as pretty JSON.
///
/// # Errors
/// The shipped file does not parse, or a serializer error (bugs).
pub fn export_scenario_text(format: ExportFormat) -> Result<String, String> {
    match format {
        ExportFormat::Toml => Ok(crate::day::DEMO_SCENARIO.to_owned()),
        ExportFormat::Json => {
            let s = crate::day::shipped_scenario()?;
            serde_json::to_string_pretty(&s).map(|j| j + "\n").map_err(|e| e.to_string())
        }
    }
}

fn export_scenario(format: ExportFormat, stdout: &mut dyn Write) -> Result<u8, Failure> {
    let text = export_scenario_text(format).map_err(Failure::Internal)?;
    stdout.write_all(text.as_bytes())?;
    Ok(EXIT_OK)
}

fn export_demo(format: ExportFormat, stdout: &mut dyn Write) -> Result<u8, Failure> {
    let text = export_demo_text(format).map_err(Failure::Internal)?;
    stdout.write_all(text.as_bytes())?;
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    fn check(list: &[&str], expected: &Result<Command, UsageError>) {
        assert_eq!(&parse_args(&args(list)), expected, "{list:?}");
    }

    #[test]
    fn argument_table() {
        let file = |p: &str, f| (Input::File(PathBuf::from(p)), f);
        let help = |topic| Ok(Command::Help { topic });
        check(&[], &Err(UsageError::NoCommand));
        check(&["help"], &help(None));
        check(&["-h"], &help(None));
        check(&["help", "validate"], &help(Some(HelpTopic::Validate)));
        check(&["help", "frob"], &Err(UsageError::UnknownCommand("frob".into())));
        check(&["demo", "--help"], &help(Some(HelpTopic::Demo)));
        check(&["validate", "a.toml", "-h"], &help(Some(HelpTopic::Validate)));
        check(&["export-demo", "--format", "json", "--help"], &help(Some(HelpTopic::ExportDemo)));
        check(&["frob", "--help"], &help(None));
        check(&["-V"], &Ok(Command::Version));
        check(&["demo"], &Ok(Command::Demo { html: None }));
        check(
            &["demo", "--html", "day.html"],
            &Ok(Command::Demo { html: Some(PathBuf::from("day.html")) }),
        );
        check(
            &["demo", "--html=day.html"],
            &Ok(Command::Demo { html: Some(PathBuf::from("day.html")) }),
        );
        check(
            &["demo", "--fast"],
            &Err(UsageError::UnknownOption { command: "demo", option: "--fast".into() }),
        );
        check(
            &["demo", "x"],
            &Err(UsageError::UnexpectedArgument { command: "demo", arg: "x".into() }),
        );
        check(
            &["export-demo"],
            &Ok(Command::ExportDemo { format: ExportFormat::Toml, scenario: false }),
        );
        check(
            &["export-demo", "--scenario"],
            &Ok(Command::ExportDemo { format: ExportFormat::Toml, scenario: true }),
        );
        check(
            &["export-demo", "--format", "json"],
            &Ok(Command::ExportDemo { format: ExportFormat::Json, scenario: false }),
        );
        check(
            &["export-demo", "--format", "yaml"],
            &Err(bad_value("--format", "yaml".into(), "toml or json")),
        );
        check(
            &["export-demo", "--format"],
            &Err(UsageError::MissingValue { option: "--format", expected: "a format name" }),
        );
        check(
            &["export-demo", "--formats=json"],
            &Err(UsageError::UnknownOption {
                command: "export-demo",
                option: "--formats=json".into(),
            }),
        );
        check(
            &["validate", "a.toml", "--format=json", "b.CSV"],
            &Ok(Command::Validate {
                inputs: vec![file("a.toml", Format::Toml), file("b.CSV", Format::Csv)],
                format: ReportFormat::Json,
            }),
        );
        check(
            &["validate", "--", "--odd.json"],
            &Ok(Command::Validate {
                inputs: vec![file("--odd.json", Format::Json)],
                format: ReportFormat::Text,
            }),
        );
        check(&["validate"], &Err(UsageError::NoFiles));
        check(&["validate", "--format", "json"], &Err(UsageError::NoFiles));
        check(
            &["validate", "items.xlsx"],
            &Err(UsageError::UnknownExtension { file: "items.xlsx".into() }),
        );
        check(
            &["validate", "a.toml", "--strict"],
            &Err(UsageError::UnknownOption { command: "validate", option: "--strict".into() }),
        );
        check(&["frob"], &Err(UsageError::UnknownCommand("frob".into())));
    }

    #[test]
    fn standard_input_and_input_format() {
        let file = |p: &str, f| (Input::File(PathBuf::from(p)), f);
        check(
            &["validate", "network.toml", "-", "--input-format", "csv"],
            &Ok(Command::Validate {
                inputs: vec![file("network.toml", Format::Toml), (Input::Stdin, Format::Csv)],
                format: ReportFormat::Text,
            }),
        );
        // The input format also names the format of a file without a known extension,
        // never overrides a known one.
        check(
            &["validate", "--input-format=json", "/dev/fd/3", "a.toml"],
            &Ok(Command::Validate {
                inputs: vec![file("/dev/fd/3", Format::Json), file("a.toml", Format::Toml)],
                format: ReportFormat::Text,
            }),
        );
        check(&["validate", "-"], &Err(UsageError::StdinWithoutFormat));
        check(&["validate", "-", "-", "--input-format", "csv"], &Err(UsageError::StdinTwice));
        check(
            &["validate", "-", "--input-format", "xlsx"],
            &Err(bad_value("--input-format", "xlsx".into(), "toml, json or csv")),
        );
        check(
            &["validate", "-", "--input-format"],
            &Err(UsageError::MissingValue { option: "--input-format", expected: "a format name" }),
        );
    }

    #[test]
    fn json_is_wanted_by_validate_with_format_json_only() {
        let cases: [(&[&str], bool); 8] = [
            (&["validate", "--format", "json"], true),
            (&["validate", "x.toml", "--format=json"], true),
            (&["validate", "--format=json", "--format", "text"], false),
            (&["validate", "--format"], false),
            (&["validate", "--", "--format=json"], false),
            (&["validate", "--input-format", "json", "-"], false),
            (&["export-demo", "--format", "json"], false),
            (&[], false),
        ];
        for (list, want) in cases {
            assert_eq!(wants_json(&args(list)), want, "{list:?}");
        }
    }

    #[test]
    fn every_usage_error_code_is_listed() {
        let errors = [
            UsageError::NoCommand,
            UsageError::UnknownCommand(String::new()),
            UsageError::UnknownOption { command: "demo", option: String::new() },
            UsageError::MissingValue { option: "--format", expected: "" },
            UsageError::BadValue { option: "--format", value: String::new(), expected: "" },
            UsageError::UnexpectedArgument { command: "demo", arg: String::new() },
            UsageError::NoFiles,
            UsageError::UnknownExtension { file: String::new() },
            UsageError::StdinWithoutFormat,
            UsageError::StdinTwice,
            UsageError::NotUtf8(String::new()),
        ];
        let mut codes: Vec<&str> = errors.iter().map(UsageError::code).collect();
        codes.sort_unstable();
        assert_eq!(codes, UsageError::CODES);
    }

    /// Issue 12: `onhand validate --help` printed the global help, which does not list
    /// the CSV item-master columns.
    #[test]
    fn validate_help_lists_every_csv_column() {
        let columns = VALIDATE_USAGE
            .split("CSV item-master columns:")
            .nth(1)
            .and_then(|rest| rest.split("\n\n").next())
            .unwrap();
        for column in crate::csv_items::COLUMNS {
            let row = columns.lines().find(|l| l.split_whitespace().next() == Some(column));
            assert!(row.is_some(), "{column} is not listed:\n{columns}");
            let required = crate::csv_items::REQUIRED.contains(&column);
            assert_eq!(row.unwrap().split_whitespace().nth(1) == Some("yes"), required, "{column}");
        }
        let limit = format!("at most {} bytes", crate::read::MAX_INPUT_BYTES);
        assert!(VALIDATE_USAGE.contains(&limit), "the help states the input limit");
    }

    #[test]
    fn simulate_arguments() {
        let sim = |seed, days, steps, network, checks| {
            Ok(Command::Simulate { seed, days, steps, network, checks })
        };
        check(&["simulate"], &sim(1, 5, 60, SimNetwork::Demo, SimChecks::Full));
        check(
            &["simulate", "--seed=9", "--days", "2", "--steps", "0", "--network", "synthetic"],
            &sim(9, 2, 0, SimNetwork::Synthetic { items: 200, sites: 9 }, SimChecks::Full),
        );
        check(
            &["simulate", "--items", "1000", "--sites", "4"],
            &sim(1, 5, 60, SimNetwork::Synthetic { items: 1000, sites: 4 }, SimChecks::Full),
        );
        check(
            &["simulate", "--items", "50"],
            &sim(1, 5, 60, SimNetwork::Synthetic { items: 50, sites: 9 }, SimChecks::Full),
        );
        assert!(parse_args(&args(&["simulate", "--network", "demo", "--items", "5"])).is_err());
        check(&["simulate", "--checks", "none"], &sim(1, 5, 60, SimNetwork::Demo, SimChecks::None));
        check(&["simulate", "--help"], &Ok(Command::Help { topic: Some(HelpTopic::Simulate) }));
        for (option, value) in [
            ("--days", "0"),
            ("--days", "3651"),
            ("--steps", "100001"),
            ("--seed", "-1"),
            ("--network", "mars"),
            ("--checks", "some"),
            ("--items", "0"),
            ("--sites", "1"),
            ("--sites", "1001"),
        ] {
            let got = parse_args(&args(&["simulate", option, value]));
            assert!(matches!(got, Err(UsageError::BadValue { .. })), "{option} {value}: {got:?}");
        }
        check(
            &["simulate", "--days"],
            &Err(UsageError::MissingValue { option: "--days", expected: "a format name" }),
        );
        check(
            &["simulate", "extra"],
            &Err(UsageError::UnexpectedArgument { command: "simulate", arg: "extra".into() }),
        );
    }

    #[test]
    fn simulate_prints_the_same_bytes_for_the_same_seed() {
        let go = |seed: &str| {
            let mut out = Vec::new();
            let list = ["simulate", "--seed", seed, "--days", "2", "--steps", "25"];
            let code = run(&args(&list), &mut std::io::empty(), &mut out, &mut Vec::new());
            (code, String::from_utf8(out).unwrap_or_default())
        };
        let (code, first) = go("3");
        assert_eq!(code, EXIT_OK, "{first}");
        assert!(first.contains("every check held"), "{first}");
        assert!(first.contains("trace digest "), "{first}");
        assert_eq!(go("3"), (EXIT_OK, first.clone()));
        assert_ne!(go("4").1, first, "another seed plays other days");
    }
}
