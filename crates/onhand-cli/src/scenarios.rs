//! Scenario files: reading them (TOML or JSON, with errors that name the file, line and
//! field), running them with [`onhand::scenario::run`], and checking whole folders, for
//! `onhand run`, `onhand check` and a project's own `cargo test`
//! ([`assert_scenarios`]), with reports as text, JSON ([`check_json`]) or `JUnit` XML
//! ([`check_junit`]).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use onhand::scenario::{Played, Report, Scenario, ScenarioError, Timeline};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::input::InputError;
use crate::input::{Format, decode, line_col};
use crate::read::read_bytes;

/// A scenario as read from a file, with the line where each step starts.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioFile {
    /// The file, as the user named it.
    pub file: String,
    /// The scenario.
    pub scenario: Scenario,
    /// The 1-based line where each step starts (0 where not known).
    pub step_lines: Vec<usize>,
}

/// Parses a scenario (TOML or JSON).
///
/// # Errors
/// [`InputError::Empty`]; [`InputError::Invalid`] for a syntax error, an unknown field or
/// a value its type refuses, naming the line, column and field path
/// (`steps[2].receipt.qty`). CSV is not a scenario format.
///
/// ```
/// use onhand_cli::{Format, parse_scenario};
/// let text = "format = 1\nstart = \"2026-01-05T08:00:00Z\"\n[network]\nbuiltin = \"demo\"\n\
///             [[steps]]\nreceipt = { site = \"ATL\", item = \"BOLT-M8\", qty = \"two CS\" }\n";
/// let err = parse_scenario("s.toml", text, Format::Toml).unwrap_err();
/// assert!(err.to_string().starts_with("s.toml:6:"), "{err}");
/// assert_eq!(err.field(), Some("steps[0].receipt.qty"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_scenario(name: &str, text: &str, format: Format) -> Result<ScenarioFile, InputError> {
    if text.trim().is_empty() {
        return Err(InputError::Empty { file: name.to_owned() });
    }
    let Some(text_format) = format.text() else {
        return Err(InputError::Invalid {
            file: name.to_owned(),
            line: None,
            column: None,
            field: None,
            message: "a scenario is a .toml or .json file".into(),
        });
    };
    let scenario: Scenario = onhand::files::parse_text(name, text, text_format)?;
    let step_lines = step_lines(text, format).unwrap_or_default();
    Ok(ScenarioFile { file: name.to_owned(), scenario, step_lines })
}

#[derive(Deserialize)]
struct Outline<T> {
    #[serde(default = "Vec::new")]
    steps: Vec<T>,
}

fn step_lines(text: &str, format: Format) -> Option<Vec<usize>> {
    match format {
        Format::Toml => {
            let o: Outline<toml::Spanned<IgnoredAny>> = toml::from_str(text).ok()?;
            Some(o.steps.iter().map(|s| line_col(text, s.span().start).0).collect())
        }
        Format::Json => {
            let o: Outline<&RawValue> = serde_json::from_str(text).ok()?;
            let start = text.as_ptr().addr();
            Some(
                o.steps
                    .iter()
                    .map(|r| line_col(text, r.get().as_ptr().addr().saturating_sub(start)).0)
                    .collect(),
            )
        }
        Format::Csv => None,
    }
}

/// Reads and parses the scenario file at `path`.
///
/// # Errors
/// As [`parse_scenario`], and [`InputError::Read`] for a file that cannot be read.
pub fn read_scenario(path: &Path) -> Result<ScenarioFile, InputError> {
    let name = path.display().to_string();
    let format = Format::from_path(path).ok_or_else(|| InputError::Invalid {
        file: name.clone(),
        line: None,
        column: None,
        field: None,
        message: "a scenario is a .toml or .json file".into(),
    })?;
    let bytes = read_bytes(path, &name)?;
    let text = decode(&name, &bytes)?;
    parse_scenario(&name, text, format)
}

/// What running one scenario file gave.
#[derive(Debug, Clone, PartialEq)]
pub enum FileOutcome {
    /// It ran: the report (which may hold failed checks) and each step's line.
    Ran {
        /// The file.
        file: String,
        /// The report.
        report: Report,
        /// The line where each step starts.
        step_lines: Vec<usize>,
    },
    /// It could not be read, parsed or run.
    Broken(InputError),
}

impl FileOutcome {
    /// The file it is about.
    #[must_use]
    pub fn file(&self) -> &str {
        match self {
            FileOutcome::Ran { file, .. } => file,
            FileOutcome::Broken(e) => e.file(),
        }
    }

    /// Whether it ran and every check passed.
    #[must_use]
    pub fn passed(&self) -> bool {
        matches!(self, FileOutcome::Ran { report, .. } if report.passed())
    }

    /// The failures as a diff naming the file and line of each step, or the error.
    #[must_use]
    pub fn failures_text(&self) -> String {
        let mut out = String::new();
        match self {
            FileOutcome::Broken(e) => {
                let _ = writeln!(out, "error: {e}");
            }
            FileOutcome::Ran { file, report, step_lines } => {
                for (s, c) in report.failures() {
                    let line = step_lines.get(s.step.saturating_sub(1)).copied().unwrap_or(0);
                    let place = if line > 0 { format!("{file}:{line}") } else { file.clone() };
                    let _ = writeln!(out, "{place}: {}: {}", s.label(), c.what);
                    let _ = writeln!(out, "  - expected {}", c.expected);
                    let _ = writeln!(out, "  + actual   {}", c.actual);
                }
            }
        }
        out
    }
}

/// Runs a parsed scenario file. A scenario that cannot run is an error naming the file,
/// the line of the step at fault and its field.
#[must_use]
pub fn run_scenario(f: &ScenarioFile) -> FileOutcome {
    match onhand::scenario::run(&f.scenario) {
        Ok(report) => {
            FileOutcome::Ran { file: f.file.clone(), report, step_lines: f.step_lines.clone() }
        }
        Err(e) => broken(f, &e),
    }
}

/// Runs a parsed scenario file as [`run_scenario`] does, recording the [`Timeline`] a
/// visual report draws (`None` when it did not run).
#[must_use]
pub fn run_scenario_with_timeline(f: &ScenarioFile) -> (FileOutcome, Option<Timeline>) {
    match onhand::scenario::run_with_timeline(&f.scenario) {
        Ok((report, timeline)) => (
            FileOutcome::Ran { file: f.file.clone(), report, step_lines: f.step_lines.clone() },
            Some(timeline),
        ),
        Err(e) => (broken(f, &e), None),
    }
}

/// Runs a parsed scenario file as [`run_scenario`] does, and hands back what the run
/// left ([`Played`]: the network, each event's outcome and, with `record`, the
/// [`Timeline`]), `None` when it did not run.
#[must_use]
pub fn play_scenario(f: &ScenarioFile, record: bool) -> (FileOutcome, Option<Played>) {
    match onhand::scenario::play(&f.scenario, record) {
        Ok(played) => (
            FileOutcome::Ran {
                file: f.file.clone(),
                report: played.report.clone(),
                step_lines: f.step_lines.clone(),
            },
            Some(played),
        ),
        Err(e) => (broken(f, &e), None),
    }
}

fn broken(f: &ScenarioFile, e: &ScenarioError) -> FileOutcome {
    let (line, field) = match e {
        ScenarioError::Step { step, field, .. } => (
            f.step_lines.get(step.saturating_sub(1)).copied().filter(|l| *l > 0),
            Some(format!("steps[{}].{field}", step.saturating_sub(1))),
        ),
        ScenarioError::Record { step, .. } => (
            f.step_lines.get(step.saturating_sub(1)).copied().filter(|l| *l > 0),
            Some(format!("steps[{}]", step.saturating_sub(1))),
        ),
        ScenarioError::Format { .. } => (None, Some("format".into())),
        _ => (None, Some("network".into())),
    };
    let message = match e {
        ScenarioError::Step { what, .. } => what.clone(),
        other => other.to_string(),
    };
    FileOutcome::Broken(InputError::Invalid {
        file: f.file.clone(),
        line,
        column: None,
        field,
        message,
    })
}

/// Reads and runs the scenario file at `path`.
#[must_use]
pub fn run_file(path: &Path) -> FileOutcome {
    match read_scenario(path) {
        Ok(f) => run_scenario(&f),
        Err(e) => FileOutcome::Broken(e),
    }
}

/// Every `.toml` and `.json` file under `paths` (files as given, folders searched
/// recursively), in path order within each folder.
///
/// # Errors
/// [`InputError::Read`] for a path or folder that cannot be read.
pub fn scenario_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, InputError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), InputError> {
    let read_err = |e: std::io::Error| InputError::Read {
        file: dir.display().to_string(),
        reason: e.to_string(),
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(read_err)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(read_err)?;
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else if matches!(Format::from_path(&p), Some(Format::Toml | Format::Json)) {
            out.push(p);
        }
    }
    Ok(())
}

/// Runs every scenario file under `paths` in parallel across the machine's cores, and
/// returns the outcomes in path order whatever order they finished in.
///
/// # Errors
/// [`InputError::Read`] for a path that cannot be listed.
pub fn check_paths(paths: &[PathBuf]) -> Result<Vec<FileOutcome>, InputError> {
    let files = scenario_files(paths)?;
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let workers = workers.min(files.len()).max(1);
    let mut slots: Vec<Option<FileOutcome>> = vec![None; files.len()];
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let files = &files;
                scope.spawn(move || {
                    files
                        .iter()
                        .enumerate()
                        .skip(w)
                        .step_by(workers)
                        .map(|(i, p)| (i, run_file(p)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            // A worker that panicked is a bug in the engine; run its files again here so
            // the panic surfaces on this thread with its own message.
            let done = h.join().unwrap_or_default();
            for (i, o) in done {
                if let Some(slot) = slots.get_mut(i) {
                    *slot = Some(o);
                }
            }
        }
    });
    Ok(files.iter().zip(slots).map(|(p, o)| o.unwrap_or_else(|| run_file(p))).collect())
}

/// For a project's tests: runs every scenario file under `dir` and panics with every
/// failure as a diff (file, line, step, expected and actual) when any fails or cannot
/// be read.
///
/// ```no_run
/// #[test]
/// fn business_rules_hold() {
///     onhand_cli::assert_scenarios("scenarios");
/// }
/// ```
///
/// # Panics
/// When a scenario fails, cannot be read, or `dir` holds none.
pub fn assert_scenarios(dir: impl AsRef<Path>) {
    let dir = dir.as_ref();
    let outcomes = match check_paths(&[dir.to_path_buf()]) {
        Ok(o) => o,
        Err(e) => panic!("{e}"),
    };
    assert!(!outcomes.is_empty(), "no scenario files under {}", dir.display());
    let failed: String =
        outcomes.iter().filter(|o| !o.passed()).map(FileOutcome::failures_text).collect();
    assert!(failed.is_empty(), "scenarios failed:\n{failed}");
}

/// The summary `onhand check` prints after the failures.
#[must_use]
pub fn summary(outcomes: &[FileOutcome]) -> String {
    let passed = outcomes.iter().filter(|o| o.passed()).count();
    let broken = outcomes.iter().filter(|o| matches!(o, FileOutcome::Broken(_))).count();
    let failed = outcomes.len() - passed - broken;
    let checks: usize = outcomes
        .iter()
        .map(|o| match o {
            FileOutcome::Ran { report, .. } => report.checks(),
            FileOutcome::Broken(_) => 0,
        })
        .sum();
    format!(
        "{} scenario(s), {checks} check(s): {passed} passed, {failed} failed, {broken} could not run",
        outcomes.len()
    )
}

/// What `onhand check --format json` prints.
#[derive(Debug, Serialize)]
struct CheckJson<'a> {
    scenarios: Vec<FileJson<'a>>,
    summary: String,
}

/// One file's result in `onhand check --format json`.
#[derive(Debug, Serialize)]
struct FileJson<'a> {
    file: &'a str,
    outcome: &'static str,
    checks: usize,
    failures: Vec<FailureJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// One failed check in `onhand check --format json`.
#[derive(Debug, Serialize)]
struct FailureJson<'a> {
    step: usize,
    line: Option<usize>,
    action: &'a str,
    what: &'a str,
    expected: &'a str,
    actual: &'a str,
}

/// The results as one JSON document: `{"scenarios": [{file, outcome, checks, failures,
/// error}], "summary": "..."}`, files in the order they ran; `outcome` is `pass`, `fail`
/// or `error`.
///
/// # Errors
/// A serializer error (a bug).
pub fn check_json(outcomes: &[FileOutcome]) -> Result<String, serde_json::Error> {
    let files: Vec<FileJson<'_>> = outcomes
        .iter()
        .map(|o| match o {
            FileOutcome::Ran { file, report, step_lines } => FileJson {
                file,
                outcome: if report.passed() { "pass" } else { "fail" },
                checks: report.checks(),
                failures: report
                    .failures()
                    .map(|(s, c)| FailureJson {
                        step: s.step,
                        line: step_lines.get(s.step.saturating_sub(1)).copied().filter(|l| *l > 0),
                        action: &s.action,
                        what: &c.what,
                        expected: &c.expected,
                        actual: &c.actual,
                    })
                    .collect(),
                error: None,
            },
            FileOutcome::Broken(e) => FileJson {
                file: e.file(),
                outcome: "error",
                checks: 0,
                failures: Vec::new(),
                error: Some(e.to_string()),
            },
        })
        .collect();
    serde_json::to_string_pretty(&CheckJson { scenarios: files, summary: summary(outcomes) })
}

/// The results as `JUnit` XML, which CI systems read: a test suite per file, a test case
/// per check (named `step N (action): what`), a failure with expected and actual, an
/// error for a file that could not run.
#[must_use]
pub fn check_junit(outcomes: &[FileOutcome]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for o in outcomes {
        match o {
            FileOutcome::Ran { file, report, step_lines } => {
                let failures = report.failures().count();
                let _ = writeln!(
                    out,
                    "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\">",
                    xml(file),
                    report.checks()
                );
                for s in &report.steps {
                    let line = step_lines.get(s.step.saturating_sub(1)).copied().unwrap_or(0);
                    for c in &s.checks {
                        let name = format!("{}: {}", s.label(), c.what);
                        let _ = write!(
                            out,
                            "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{line}\"",
                            xml(file),
                            xml(&name),
                            xml(file)
                        );
                        if c.pass {
                            out.push_str("/>\n");
                        } else {
                            let _ = writeln!(
                                out,
                                ">\n      <failure message=\"expected {} but was {}\">{}:{line}: {}\n- expected {}\n+ actual   {}</failure>\n    </testcase>",
                                xml(&c.expected),
                                xml(&c.actual),
                                xml(file),
                                xml(&name),
                                xml(&c.expected),
                                xml(&c.actual)
                            );
                        }
                    }
                }
                out.push_str("  </testsuite>\n");
            }
            FileOutcome::Broken(e) => {
                let _ = writeln!(
                    out,
                    "  <testsuite name=\"{}\" tests=\"1\" failures=\"0\" errors=\"1\">\n    <testcase classname=\"{}\" name=\"load\">\n      <error message=\"{}\"/>\n    </testcase>\n  </testsuite>",
                    xml(e.file()),
                    xml(e.file()),
                    xml(&e.to_string())
                );
            }
        }
    }
    out.push_str("</testsuites>\n");
    out
}

/// `text` escaped for an XML attribute or text node.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}
