//! The parsers as a fuzz target drives them: every input gives a document or a typed
//! error, never a panic.

use onhand_cli::{Format, InputError, parse_bytes, parse_items_csv, parse_network};

const NETWORK_TOML: &str = include_str!("fixtures/network.toml");
const NETWORK_JSON: &str = include_str!("fixtures/network.json");
const ITEMS_CSV: &str = include_str!("fixtures/items.csv");

/// Asserts `result` is a document or an error that names the file and, where it has a
/// line, a line inside the text.
fn sane(result: Result<onhand_cli::NetworkDoc, InputError>, text: &str) {
    if let Err(e) = result {
        assert_eq!(e.file(), "f", "{e}");
        let lines = text.split('\n').count();
        if let Some(line) = e.line() {
            assert!((1..=lines).contains(&line), "line {line} of {lines}: {e}");
        }
        assert!(!e.to_string().is_empty());
    }
}

#[test]
fn every_truncation_of_a_valid_file_parses_or_errs() {
    for (text, format) in
        [(NETWORK_TOML, Format::Toml), (NETWORK_JSON, Format::Json), (ITEMS_CSV, Format::Csv)]
    {
        assert!(parse_network("f", text, format).is_ok(), "{format:?}");
        for (end, _) in text.char_indices() {
            let cut = &text[..end];
            sane(parse_network("f", cut, format), cut);
        }
    }
}

#[test]
fn every_truncation_of_the_bytes_parses_or_errs() {
    // Cutting inside a multi-byte character leaves invalid UTF-8.
    let text = "[[regions]]\ncode = \"US-SE\"\nname = \"São Paulo – Süd\"\n";
    for end in 0..=text.len() {
        let bytes = &text.as_bytes()[..end];
        let result = parse_bytes("f", bytes, Format::Toml);
        if std::str::from_utf8(bytes).is_err() {
            assert!(matches!(result, Err(InputError::NotUtf8 { line: 3, .. })), "{result:?}");
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let depth = 100_000;
    let json = format!("{{\"items\": {}{}}}", "[".repeat(depth), "]".repeat(depth));
    let err = parse_network("f", &json, Format::Json).unwrap_err();
    assert_eq!(err.line(), Some(1), "{err}");
    let json = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    assert!(parse_network("f", &json, Format::Json).is_err());
    let toml = format!("items = {}{}", "[".repeat(depth), "]".repeat(depth));
    let err = parse_network("f", &toml, Format::Toml).unwrap_err();
    assert!(err.to_string().contains("recursion"), "{err}");
    let toml = format!("{}= 1", "a.".repeat(depth));
    assert!(parse_network("f", &toml, Format::Toml).is_err());
}

#[test]
fn huge_numbers_are_errors() {
    let item = |field: &str| format!("[[items]]\ncode = \"A\"\nbase_uom = \"EA\"\n{field}\n");
    for field in [
        "shelf_life_days = 99999999999",
        "shelf_life_days = 999999999999999999999999999",
        "shelf_life_days = -1",
        "units = [{ unit = \"CS\", factor = \"99999999999999999999999999999999\", per = \"EA\" }]",
        "units = [{ unit = \"CS\", factor = \"1e400\", per = \"EA\" }]",
    ] {
        let err = parse_network("f", &item(field), Format::Toml).unwrap_err();
        assert_eq!(err.line(), Some(4), "{field}: {err}");
        assert!(err.field().is_some_and(|f| f.starts_with("items[0].")), "{field}: {err}");
    }
    let json = r#"{"items": [{"code": "A", "base_uom": "EA", "shelf_life_days": 1e400}]}"#;
    let err = parse_network("f", json, Format::Json).unwrap_err();
    assert_eq!(err.field(), Some("items[0].shelf_life_days"), "{err}");
    let csv = "code,base_uom,shelf_life_days\nA,EA,99999999999\n";
    let err = parse_items_csv("f", csv).unwrap_err();
    assert_eq!((err.line(), err.field()), (Some(2), Some("shelf_life_days")), "{err}");
}

#[test]
fn trailing_content_and_byte_order_marks() {
    let err = parse_network("f", "{} {}", Format::Json).unwrap_err();
    assert!(err.to_string().contains("trailing characters"), "{err}");
    let doc = parse_bytes("f", b"\xEF\xBB\xBF{\"regions\": []}", Format::Json).unwrap();
    assert_eq!(doc, onhand_cli::NetworkDoc::default());
    let items = parse_bytes("f", b"\xEF\xBB\xBFcode,base_uom\nA,EA\n", Format::Csv).unwrap();
    assert_eq!(items.master.items.len(), 1);
}

#[test]
fn csv_items_match_the_toml_items() {
    let toml = parse_network("f", NETWORK_TOML, Format::Toml).unwrap();
    let csv = parse_items_csv("f", ITEMS_CSV).unwrap();
    // The CSV has a third item, the substitute of the first.
    assert_eq!(csv.len(), 3);
    for (a, b) in toml.master.items.iter().zip(&csv) {
        assert_eq!(
            (&a.code, a.base_uom, &a.units, a.tracking),
            (&b.code, b.base_uom, &b.units, b.tracking)
        );
        assert_eq!((a.shelf_life_days, a.velocity), (b.shelf_life_days, b.velocity));
    }
}
