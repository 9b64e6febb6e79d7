//! The command line: arguments, usage text, exit codes, and the commands themselves.

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::PathBuf;

use onhand_master::seed;
use onhand_status::demo_status_maps;

use crate::input::{Format, NetworkDoc, read_file};
use crate::report::Report;

/// Exit code: done; for `validate`, the network is clean.
pub const EXIT_OK: u8 = 0;
/// Exit code: `validate` found violations.
pub const EXIT_VIOLATIONS: u8 = 1;
/// Exit code: an input file could not be read or parsed.
pub const EXIT_INPUT: u8 = 2;
/// Exit code: bad usage (`EX_USAGE`).
pub const EXIT_USAGE: u8 = 64;
/// Exit code: an internal error, a bug (`EX_SOFTWARE`).
pub const EXIT_SOFTWARE: u8 = 70;
/// Exit code: the output could not be written (`EX_IOERR`).
pub const EXIT_OUTPUT: u8 = 74;

/// The usage text printed by `onhand --help`.
pub const USAGE: &str = "\
onhand: master data and governance for multi-warehouse distribution inventory

Usage:
  onhand validate FILE... [--format text|json]
  onhand demo
  onhand export-demo [--format toml|json]
  onhand help | --help | -h
  onhand --version | -V

Commands:
  validate     Check network documents (.toml, .json) and item masters (.csv),
               merged into one network, against the master-data and status-map
               rules. The report lists each violation with its stable code.
  demo         Walk through the built-in demo network: sites, items, policies,
               sourcing lanes, status maps, status moves and governance checks.
  export-demo  Print the demo network as a document to start from (TOML by
               default).

Exit codes:
  0   done; for validate, no violations
  1   validate found violations
  2   an input file could not be read or parsed
  64  bad usage: unknown command or option, no file, unknown file extension
  70  internal error (a bug in onhand)
  74  the output could not be written
";

/// How `validate` prints its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReportFormat {
    /// For people: `[code] message` lines and counts.
    #[default]
    Text,
    /// One JSON object: `master`, `status_maps`, `counts`.
    Json,
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
    /// Validate files merged into one network.
    Validate {
        /// The files, each with its format.
        files: Vec<(PathBuf, Format)>,
        /// The report format.
        format: ReportFormat,
    },
    /// Print the demo.
    Demo,
    /// Print the demo network as a document.
    ExportDemo {
        /// The document format.
        format: ExportFormat,
    },
    /// Print the usage text.
    Help,
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
    /// A file whose extension says no format onhand reads.
    #[error("{file}: cannot tell the format from the extension (use .toml, .json or .csv)")]
    UnknownExtension {
        /// The file.
        file: String,
    },
    /// An option or command that is not valid UTF-8.
    #[error("argument {0:?} is not valid UTF-8")]
    NotUtf8(String),
}

/// Parses the arguments after the program name.
///
/// # Errors
/// A [`UsageError`] for anything but a runnable command line.
///
/// ```
/// use onhand_cli::{parse_args, Command, ExportFormat};
/// let cmd = parse_args(&["export-demo".into(), "--format=json".into()])?;
/// assert_eq!(cmd, Command::ExportDemo { format: ExportFormat::Json });
/// assert!(parse_args(&["frobnicate".into()]).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_args(args: &[OsString]) -> Result<Command, UsageError> {
    let text = |a: &OsString| {
        a.to_str().map(str::to_owned).ok_or_else(|| UsageError::NotUtf8(a.to_string_lossy().into()))
    };
    let Some((first, rest)) = args.split_first() else {
        return Err(UsageError::NoCommand);
    };
    // Help wins wherever it appears before a `--`.
    let before_dashes = args.iter().take_while(|a| *a != "--");
    if before_dashes.clone().any(|a| a == "--help" || a == "-h") {
        return Ok(Command::Help);
    }
    match text(first)?.as_str() {
        "help" => Ok(Command::Help),
        "--version" | "-V" => no_more("--version", rest, Command::Version),
        "demo" => no_more("demo", rest, Command::Demo),
        "export-demo" => {
            let mut format = ExportFormat::default();
            let mut it = rest.iter();
            while let Some(arg) = it.next() {
                let arg = text(arg)?;
                match option_value("export-demo", &arg, &mut it)? {
                    Some(value) => {
                        format = match value.as_str() {
                            "toml" => ExportFormat::Toml,
                            "json" => ExportFormat::Json,
                            _ => return Err(bad_format(value, "toml or json")),
                        }
                    }
                    None => {
                        return Err(UsageError::UnexpectedArgument { command: "export-demo", arg });
                    }
                }
            }
            Ok(Command::ExportDemo { format })
        }
        "validate" => {
            let mut format = ReportFormat::default();
            let mut files = Vec::new();
            let mut it = rest.iter();
            let mut only_files = false;
            while let Some(arg) = it.next() {
                if only_files || !arg.to_string_lossy().starts_with('-') || arg == "-" {
                    files.push(PathBuf::from(arg));
                    continue;
                }
                let arg = text(arg)?;
                if arg == "--" {
                    only_files = true;
                    continue;
                }
                match option_value("validate", &arg, &mut it)? {
                    Some(value) => {
                        format = match value.as_str() {
                            "text" => ReportFormat::Text,
                            "json" => ReportFormat::Json,
                            _ => return Err(bad_format(value, "text or json")),
                        }
                    }
                    None => {
                        return Err(UsageError::UnknownOption { command: "validate", option: arg });
                    }
                }
            }
            if files.is_empty() {
                return Err(UsageError::NoFiles);
            }
            let files = files
                .into_iter()
                .map(|path| match Format::from_path(&path) {
                    Some(f) => Ok((path, f)),
                    None => Err(UsageError::UnknownExtension { file: path.display().to_string() }),
                })
                .collect::<Result<_, _>>()?;
            Ok(Command::Validate { files, format })
        }
        other => Err(UsageError::UnknownCommand(other.to_owned())),
    }
}

fn bad_format(value: String, expected: &'static str) -> UsageError {
    UsageError::BadValue { option: "--format", value, expected }
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

/// The value of `--format VALUE` or `--format=VALUE`; `None` for a non-option argument.
fn option_value<'a>(
    command: &'static str,
    arg: &str,
    rest: &mut impl Iterator<Item = &'a OsString>,
) -> Result<Option<String>, UsageError> {
    const EXPECTED: &str = "a format name";
    if let Some(value) = arg.strip_prefix("--format=") {
        return Ok(Some(value.to_owned()));
    }
    if arg == "--format" {
        let value = rest
            .next()
            .ok_or(UsageError::MissingValue { option: "--format", expected: EXPECTED })?;
        return value
            .to_str()
            .map(|v| Some(v.to_owned()))
            .ok_or_else(|| UsageError::NotUtf8(value.to_string_lossy().into()));
    }
    if arg.starts_with('-') {
        return Err(UsageError::UnknownOption { command, option: arg.to_owned() });
    }
    Ok(None)
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

/// Runs the command line `args` (after the program name), writing to `stdout` and
/// `stderr`, and returns the exit code.
///
/// ```
/// use onhand_cli::{run, EXIT_OK, EXIT_USAGE};
/// let (mut out, mut err) = (Vec::new(), Vec::new());
/// assert_eq!(run(&["--version".into()], &mut out, &mut err), EXIT_OK);
/// assert!(String::from_utf8(out)?.starts_with("onhand "));
/// assert_eq!(run(&["nope".into()], &mut Vec::new(), &mut err), EXIT_USAGE);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn run(args: &[OsString], stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    let command = match parse_args(args) {
        Ok(c) => c,
        Err(e) => {
            // Nothing useful is left to do when even stderr fails.
            let _ = writeln!(stderr, "error: {e}\nrun `onhand --help` for usage");
            return EXIT_USAGE;
        }
    };
    let result = match command {
        Command::Help => {
            stdout.write_all(USAGE.as_bytes()).map(|()| EXIT_OK).map_err(Failure::from)
        }
        Command::Version => writeln!(stdout, "onhand {}", env!("CARGO_PKG_VERSION"))
            .map(|()| EXIT_OK)
            .map_err(Failure::from),
        Command::Validate { files, format } => validate(&files, format, stdout, stderr),
        Command::Demo => demo(stdout),
        Command::ExportDemo { format } => export_demo(format, stdout),
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
        Err(Failure::Internal(message)) => {
            let _ = writeln!(stderr, "error: internal error (a bug in onhand): {message}");
            EXIT_SOFTWARE
        }
    }
}

fn validate(
    files: &[(PathBuf, Format)],
    format: ReportFormat,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<u8, Failure> {
    let mut doc = NetworkDoc::default();
    let mut unreadable = 0;
    for (path, file_format) in files {
        match read_file(path, &path.display().to_string(), *file_format) {
            Ok(part) => doc.merge(part),
            Err(e) => {
                writeln!(stderr, "error: {e}")?;
                unreadable += 1;
            }
        }
    }
    if unreadable > 0 {
        writeln!(
            stderr,
            "{unreadable} of {} file(s) could not be read; nothing validated",
            files.len()
        )?;
        return Ok(EXIT_INPUT);
    }
    let (master, maps) = doc.into_parts();
    let report = Report::of(&master, &maps);
    match format {
        ReportFormat::Text => report.write_text(stdout)?,
        ReportFormat::Json => {
            let json = report.to_json().map_err(|e| Failure::Internal(e.to_string()))?;
            writeln!(stdout, "{json}")?;
        }
    }
    Ok(if report.is_clean() { EXIT_OK } else { EXIT_VIOLATIONS })
}

fn demo(stdout: &mut dyn Write) -> Result<u8, Failure> {
    let demo = crate::demo::Demo::builtin().map_err(|r| Failure::Internal(r.to_string()))?;
    crate::demo::write_sections(&demo, crate::demo::SECTIONS, stdout)?;
    Ok(EXIT_OK)
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
        let file = |p: &str, f| (PathBuf::from(p), f);
        check(&[], &Err(UsageError::NoCommand));
        check(&["help"], &Ok(Command::Help));
        check(&["demo", "--help"], &Ok(Command::Help));
        check(&["-V"], &Ok(Command::Version));
        check(&["demo"], &Ok(Command::Demo));
        check(
            &["demo", "--fast"],
            &Err(UsageError::UnknownOption { command: "demo", option: "--fast".into() }),
        );
        check(
            &["demo", "x"],
            &Err(UsageError::UnexpectedArgument { command: "demo", arg: "x".into() }),
        );
        check(&["export-demo"], &Ok(Command::ExportDemo { format: ExportFormat::Toml }));
        check(
            &["export-demo", "--format", "json"],
            &Ok(Command::ExportDemo { format: ExportFormat::Json }),
        );
        check(
            &["export-demo", "--format", "yaml"],
            &Err(bad_format("yaml".into(), "toml or json")),
        );
        check(
            &["export-demo", "--format"],
            &Err(UsageError::MissingValue { option: "--format", expected: "a format name" }),
        );
        check(
            &["validate", "a.toml", "--format=json", "b.CSV"],
            &Ok(Command::Validate {
                files: vec![file("a.toml", Format::Toml), file("b.CSV", Format::Csv)],
                format: ReportFormat::Json,
            }),
        );
        check(
            &["validate", "--", "--odd.json"],
            &Ok(Command::Validate {
                files: vec![file("--odd.json", Format::Json)],
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
}
