//! Running the `onhand` binary from integration tests.

// Each test file uses a different part of this module, and its items are `pub` for
// those files, not for any public API.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// What one run of `onhand` did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// The fixtures folder; runs start there, so messages name files as `bad/x.toml`.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("fixtures")
}

/// Runs `onhand args...` in the fixtures folder.
pub fn onhand(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_onhand"))
        .args(args)
        .current_dir(fixtures())
        .output()
        .expect("the onhand binary runs");
    Run {
        code: out.status.code().expect("onhand exits with a code"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// Runs `onhand args...` and checks the exit code and that each needle appears in
/// stdout or stderr respectively. Returns the run for further checks.
pub fn check(args: &[&str], code: i32, in_stdout: &[&str], in_stderr: &[&str]) -> Run {
    let run = onhand(args);
    assert_eq!(run.code, code, "onhand {args:?}: exit code\n{run:#?}");
    for needle in in_stdout {
        assert!(run.stdout.contains(needle), "onhand {args:?}: stdout lacks {needle:?}\n{run:#?}");
    }
    for needle in in_stderr {
        assert!(run.stderr.contains(needle), "onhand {args:?}: stderr lacks {needle:?}\n{run:#?}");
    }
    run
}
