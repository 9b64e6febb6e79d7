//! Arbitrary bytes through the file parsers (TOML, JSON, CSV item masters) and the
//! validators, exactly as `onhand validate` reads them: never a panic; every error names
//! its file and a line inside the input; what parses validates deterministically, reports
//! with stable codes, and places every finding on a line inside the input; the located
//! document is the plain parser's.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onhand_cli::{Format, InputError, LocatedReport, Report, load_bytes, parse_bytes};
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
    let lines = bytes.split(|b| *b == b'\n').count();
    let loaded = load_bytes("input", bytes, format);
    match parse_bytes("input", bytes, format) {
        Ok(doc) => {
            let loaded = loaded.expect("what parses loads");
            assert_eq!(loaded.doc, doc, "loading parses the same document");
            let (master, maps) = doc.into_parts();
            let located = LocatedReport::new(&master, &maps, &loaded.sources);
            for i in 0..located.report.len() {
                assert!(!located.locations(i).is_empty(), "finding {i} has no place");
                for at in located.locations(i) {
                    assert_eq!(at.file, "input");
                    assert!((1..=lines).contains(&at.line), "line {} of {lines}", at.line);
                }
            }
            let report = Report::of(&master, &maps);
            assert_eq!(located.report, report, "locating changes no finding");
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
            assert_eq!(loaded.err(), Some(err.clone()), "loading fails the same way");
            let text = err.to_string();
            assert!(text.starts_with("input"), "error names the file: {text}");
            if let InputError::Invalid { line: Some(line), .. } = &err {
                assert!(*line >= 1 && *line <= lines + 1, "line {line} of {lines}: {text}");
            }
        }
    }
});
