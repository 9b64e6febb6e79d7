//! A scenario run's [`Report`]: per step, what happened in a few lines and every check
//! with its expected and actual value.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// One expectation checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// What was checked (`position BOLT-M8 at ATL available`).
    pub what: String,
    /// The expected value, as written.
    pub expected: String,
    /// The actual value.
    pub actual: String,
    /// Whether they agree.
    pub pass: bool,
}

/// One step of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepReport {
    /// Its position, from 1.
    pub step: usize,
    /// Its name, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What it shows, in words (the step's `note`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// What it did (`receipt`, `allocate`, ...; `check` for a step with no action).
    pub action: String,
    /// What happened, a line each.
    pub happened: Vec<String>,
    /// Its checks, in the order the expectation lists them.
    pub checks: Vec<Check>,
}

/// What a scenario run found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The scenario's name.
    pub name: String,
    /// Every step.
    pub steps: Vec<StepReport>,
}

impl Report {
    /// Whether every check passed.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.steps.iter().all(|s| s.checks.iter().all(|c| c.pass))
    }

    /// How many checks ran.
    #[must_use]
    pub fn checks(&self) -> usize {
        self.steps.iter().map(|s| s.checks.len()).sum()
    }

    /// The failed checks with their step.
    pub fn failures(&self) -> impl Iterator<Item = (&StepReport, &Check)> {
        self.steps.iter().flat_map(|s| s.checks.iter().filter(|c| !c.pass).map(move |c| (s, c)))
    }

    /// The failures as a diff, one block each:
    ///
    /// ```text
    /// step 3 (pick): position BOLT-M8 at ATL available
    ///   - expected 240 EA
    ///   + actual   230 EA
    /// ```
    #[must_use]
    pub fn failures_text(&self) -> String {
        let mut out = String::new();
        for (s, c) in self.failures() {
            let _ = writeln!(out, "{}: {}", s.label(), c.what);
            let _ = writeln!(out, "  - expected {}", c.expected);
            let _ = writeln!(out, "  + actual   {}", c.actual);
        }
        out
    }

    /// The whole run as text: each step, what happened, and its checks.
    #[must_use]
    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "scenario: {}", self.name);
        for s in &self.steps {
            let _ = writeln!(out, "{}", s.label());
            if let Some(note) = &s.note {
                let _ = writeln!(out, "  # {note}");
            }
            for h in &s.happened {
                let _ = writeln!(out, "    {h}");
            }
            for c in &s.checks {
                if c.pass {
                    let _ = writeln!(out, "  ok   {} = {}", c.what, c.actual);
                } else {
                    let _ = writeln!(out, "  FAIL {}", c.what);
                    let _ = writeln!(out, "    - expected {}", c.expected);
                    let _ = writeln!(out, "    + actual   {}", c.actual);
                }
            }
        }
        let failed = self.failures().count();
        let _ = writeln!(
            out,
            "{} check(s), {} passed, {failed} failed",
            self.checks(),
            self.checks() - failed
        );
        out
    }
}

impl StepReport {
    /// `step N (action)` or `step N "name" (action)`.
    #[must_use]
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => format!("step {} {n:?} ({})", self.step, self.action),
            None => format!("step {} ({})", self.step, self.action),
        }
    }
}
