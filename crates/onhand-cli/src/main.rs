//! The `onhand` binary: parses the command line, runs it, and exits with its code. All
//! the work is in the `onhand_cli` library; see `onhand --help`.

use std::io::{BufWriter, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    let mut stdout = BufWriter::new(std::io::stdout().lock());
    let mut stderr = std::io::stderr().lock();
    let mut stdin = std::io::stdin().lock();
    let code = onhand_cli::run(&args, &mut stdin, &mut stdout, &mut stderr);
    // `run` flushed already; a failure here has been reported by its exit code.
    let _ = stdout.flush();
    ExitCode::from(code)
}
