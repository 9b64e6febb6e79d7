//! Two loader gaps a review found, kept ignored until fixed (`cargo test -- --ignored`
//! shows them failing).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use onhand::files::{TextFormat, parse_network};

#[test]
#[ignore = "known: the network document reads its keys as plain strings, so TOML can \
          only place an unknown top-level list at the document's start (next stop)"]
fn toml_unknown_top_level_list_names_its_line() {
    let text = "[[regions]]\ncode = \"US-SE\"\n\n[[regionz]]\ncode = \"US-NE\"\n";
    let err = parse_network("net.toml", text, TextFormat::Toml).unwrap_err();
    assert_eq!(err.line(), Some(4), "{err}");
}

#[test]
#[ignore = "known: a status map's JSON object keeps the last of a repeated key \
          (TOML refuses it; next stop)"]
fn json_duplicate_status_key_in_map_is_refused() {
    let text = "{\"status_maps\": [{\"site\": \"ATL\", \"codes\": [\"UR\", \"QI\"],\n \"map\": {\"available\": [\"UR\"], \"available\": [\"QI\"]}}]}";
    let r = parse_network("n.json", text, TextFormat::Json);
    assert!(r.is_err());
}
