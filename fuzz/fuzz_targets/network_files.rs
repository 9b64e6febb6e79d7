//! Arbitrary bytes through the file parsers (TOML, JSON, CSV item masters) and the
//! validators, exactly as `onhand validate` reads them: never a panic; every error names
//! its file and a line inside the input; what parses validates deterministically and
//! reports with stable codes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onhand_cli::{Format, InputError, Report, parse_bytes};
use onhand_master::Violation;
use onhand_status::StatusMapViolation;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the format, so one corpus covers all three.
    let Some((&selector, bytes)) = data.split_first() else { return };
    let format = match selector % 3 {
        0 => Format::Toml,
        1 => Format::Json,
        _ => Format::Csv,
    };
    match parse_bytes("input", bytes, format) {
        Ok(doc) => {
            let (master, maps) = doc.into_parts();
            let report = Report::of(&master, &maps);
            assert_eq!(report, Report::of(&master, &maps), "validation is deterministic");
            for (code, _) in report.counts() {
                assert!(
                    Violation::CODES.contains(&code) || StatusMapViolation::CODES.contains(&code),
                    "unknown code {code}"
                );
            }
            let _ = report.to_string();
        }
        Err(err) => {
            let text = err.to_string();
            assert!(text.starts_with("input"), "error names the file: {text}");
            if let InputError::Invalid { line: Some(line), .. } = &err {
                let lines = bytes.split(|b| *b == b'\n').count();
                assert!(*line >= 1 && *line <= lines + 1, "line {line} of {lines}: {text}");
            }
        }
    }
});
