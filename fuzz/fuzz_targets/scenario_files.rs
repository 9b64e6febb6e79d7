//! Arbitrary bytes as a scenario file, exactly as `onhand check` reads one: never a
//! panic; every parse error names the file and, where it gives a line, a line inside the
//! input; a scenario that parses runs without panicking (it may be refused as malformed,
//! with a typed error) and runs the same way twice, byte for byte.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onhand_cli::{Format, parse_scenario};

/// Scenarios with more steps than this parse but are not run: a run builds the whole demo
/// network, and the fuzzer's time is better spent on many small ones.
const MAX_STEPS: usize = 64;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the format, so one corpus covers both.
    let Some((&selector, bytes)) = data.split_first() else { return };
    let format = if selector % 2 == 0 { Format::Toml } else { Format::Json };
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    let lines = text.split('\n').count();
    match parse_scenario("input", text, format) {
        Err(e) => {
            assert_eq!(e.file(), "input");
            if let Some(line) = e.line() {
                assert!((1..=lines).contains(&line), "line {line} of {lines}: {e}");
            }
        }
        Ok(file) => {
            assert_eq!(file.step_lines.len(), file.scenario.steps.len());
            if file.scenario.steps.len() > MAX_STEPS {
                return;
            }
            let first = onhand::scenario::run(&file.scenario);
            let again = onhand::scenario::run(&file.scenario);
            match (first, again) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(a, b, "a scenario runs the same way twice");
                    assert_eq!(a.text(), b.text());
                    let _ = a.failures_text();
                }
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                (a, b) => panic!("two runs disagree: {a:?} / {b:?}"),
            }
        }
    }
});
