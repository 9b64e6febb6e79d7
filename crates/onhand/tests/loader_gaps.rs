//! Two loader gaps a review found: an unknown top-level list in TOML was placed at the
//! document's first line, and a JSON status map kept the last of a repeated status.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use onhand::files::{InputError, TextFormat, parse_network};

#[test]
fn toml_unknown_top_level_list_names_its_line() {
    let text = "[[regions]]\ncode = \"US-SE\"\n\n[[regionz]]\ncode = \"US-NE\"\n";
    let err = parse_network("net.toml", text, TextFormat::Toml).unwrap_err();
    assert_eq!(err.line(), Some(4), "{err}");
    let message = err.to_string();
    assert!(message.starts_with("net.toml:4:"), "{message}");
    assert!(message.contains("unknown field `regionz`, expected one of `units`"), "{message}");
    // As a JSON key, too (JSON placed it already).
    let json = "{\"regions\": [],\n \"regionz\": []}";
    let err = parse_network("net.json", json, TextFormat::Json).unwrap_err();
    assert_eq!(err.line(), Some(2), "{err}");
}

#[test]
fn json_duplicate_status_key_in_map_is_refused() {
    let text = "{\"status_maps\": [{\"site\": \"ATL\", \"codes\": [\"UR\", \"QI\"],\n \"map\": {\"available\": [\"UR\"], \"available\": [\"QI\"]}}]}";
    let err = parse_network("n.json", text, TextFormat::Json).unwrap_err();
    let InputError::Invalid { file, line, field, message, .. } = &err else {
        panic!("not an invalid document: {err:?}");
    };
    assert_eq!((file.as_str(), *line), ("n.json", Some(2)), "{err}");
    assert_eq!(field.as_deref(), Some("status_maps[0].map"), "{err}");
    assert_eq!(message, "duplicate key `available`", "{err}");
    // TOML refused it already, in the same words.
    let toml = "[[status_maps]]\nsite = \"ATL\"\ncodes = [\"UR\", \"QI\"]\n\
                map = { available = [\"UR\"], available = [\"QI\"] }\n";
    let err = parse_network("n.toml", toml, TextFormat::Toml).unwrap_err();
    assert_eq!(err.line(), Some(4), "{err}");
    assert!(err.to_string().contains("duplicate key"), "{err}");
    // Each status once still reads.
    let once = text.replace("\"available\": [\"QI\"]", "\"quality_hold\": [\"QI\"]");
    assert_eq!(
        parse_network("n.json", &once, TextFormat::Json).unwrap().status_maps[0].map.len(),
        2
    );
}
