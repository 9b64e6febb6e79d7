//! Tidy checks over the whole workspace, run as tests (in the manner of rust-analyzer's
//! `tidy`): they read the sources as text and fail with every offending line listed.
//!
//! - every module opens with docs (`//!`);
//! - every `allow` carries its reason (`reason = "..."`, a comment on the same line, or a
//!   comment on the line above);
//! - library code has no `unwrap()`, and `expect` only on documented literals (a message
//!   that says "literal", or one of the few listed in [`EXPECT_ALLOWED`]);
//! - internal dependencies come from the workspace, whose versions match the workspace
//!   version;
//! - CHANGELOG.md is well formed: each release section has each kind heading once, in
//!   Keep a Changelog's order;
//! - every public error enum has `code()`, whose match names every variant with a
//!   snake-case code and no catch-all; the codes per crate are listed in
//!   `error_codes.rs`;
//! - a variant that wraps another error either prints it (`{0}`) or is
//!   `#[error(transparent)]`; `#[source]` and `#[from]` appear only on transparent
//!   variants, so a chain reporter never prints the same words twice.

mod common;

use common::{Source, library_sources, workspace_root};

/// `expect` calls in library code whose message does not say "literal", with why they
/// cannot fail.
const EXPECT_ALLOWED: &[(&str, &str)] = &[
    // The built-in account codes are constants of the posting module.
    ("crates/onhand-valuation/src/posting.rs", "built-in account codes are valid"),
    // Scales 0..=6 are all below the 28 a decimal holds.
    ("crates/onhand-master/src/uom.rs", "scale below 28"),
];

/// Files whose every line is code a test or a fuzz target reads, walked for module docs
/// and allow reasons too.
fn all_rust_files() -> Vec<Source> {
    let root = workspace_root();
    let mut out = Vec::new();
    for dir in ["crates", "benches", "fuzz/fuzz_targets"] {
        common::walk(&root.join(dir), &mut out);
    }
    out
}

#[test]
fn every_module_opens_with_docs() {
    let bad: Vec<String> = all_rust_files()
        .iter()
        .filter(|s| s.rel.contains("/src/") || s.rel.starts_with("fuzz/"))
        .filter(|s| !s.text.trim_start().starts_with("//!"))
        .map(|s| s.rel.clone())
        .collect();
    assert!(bad.is_empty(), "modules without opening docs (`//!`):\n{}", bad.join("\n"));
}

#[test]
fn every_allow_carries_a_reason() {
    let mut bad = Vec::new();
    for s in all_rust_files() {
        let lines: Vec<&str> = s.text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let t = line.trim_start();
            if !(t.starts_with("#[allow(") || t.starts_with("#![allow(")) {
                continue;
            }
            // The attribute's text up to its closing `)]`, which may span lines, and what
            // follows the closing `)]` on its line.
            let mut attr = String::new();
            let mut after = "";
            for l in &lines[i..] {
                attr.push_str(l);
                attr.push('\n');
                if let Some((_, rest)) = l.split_once(")]") {
                    after = rest;
                    break;
                }
            }
            let trailing = after.trim_start().starts_with("//");
            let above = i > 0 && {
                let prev = lines[i - 1].trim_start();
                prev.starts_with("//") && !prev.starts_with("///") && !prev.starts_with("//!")
            };
            if !(attr.contains("reason =") || trailing || above) {
                bad.push(format!("{}:{}: {}", s.rel, i + 1, t));
            }
        }
    }
    assert!(bad.is_empty(), "`allow` without a reason:\n{}", bad.join("\n"));
}

#[test]
fn library_code_has_no_unwrap_and_expects_only_documented_literals() {
    let mut bad = Vec::new();
    for s in library_sources() {
        for (n, line) in common::code_lines(&s.text) {
            let t = line.trim();
            if t.contains(".unwrap()") {
                bad.push(format!("{}:{n}: {t}", s.rel));
            }
            let mut rest = t;
            while let Some(at) = rest.find(".expect(\"") {
                let msg = &rest[at + 9..];
                let msg = &msg[..msg.find('"').unwrap_or(msg.len())];
                let listed = EXPECT_ALLOWED.iter().any(|(f, m)| *f == s.rel && *m == msg);
                if !msg.contains("literal") && !listed {
                    bad.push(format!("{}:{n}: {t}", s.rel));
                }
                rest = &rest[at + 9..];
            }
        }
    }
    assert!(
        bad.is_empty(),
        "`unwrap`, or `expect` on something not a documented literal, in library code:\n{}",
        bad.join("\n")
    );
}

#[test]
fn internal_dependencies_come_from_the_workspace_at_its_version() {
    let root = workspace_root();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("workspace manifest");
    let version = common::package_version(&manifest).expect("workspace.package.version");
    let mut bad = Vec::new();
    let mut in_deps = false;
    for line in manifest.lines() {
        if line.starts_with('[') {
            in_deps = line.trim() == "[workspace.dependencies]";
            continue;
        }
        if in_deps && line.starts_with("onhand") {
            let name = line.split_whitespace().next().unwrap_or_default();
            let publish = !common::crate_manifest(name).contains("publish = false");
            let has = line.contains(&format!("version = \"{version}\""));
            if publish != has {
                bad.push(format!(
                    "Cargo.toml: {name}: a published crate needs version = \"{version}\", an \
                     unpublished one none: {line}"
                ));
            }
        }
    }
    for s in common::crate_manifests() {
        let mut section = String::new();
        for line in s.text.lines() {
            if line.starts_with('[') {
                section = line.trim().to_owned();
                continue;
            }
            if section.ends_with("dependencies]")
                && line.starts_with("onhand")
                && !line.contains("workspace = true")
            {
                bad.push(format!("{}: [{section}] not from the workspace: {line}", s.rel));
            }
        }
    }
    assert!(bad.is_empty(), "internal dependencies out of line:\n{}", bad.join("\n"));
}

#[test]
fn changelog_sections_are_well_formed() {
    let text = std::fs::read_to_string(workspace_root().join("CHANGELOG.md")).expect("CHANGELOG");
    let problems = common::changelog_problems(&text);
    assert!(problems.is_empty(), "CHANGELOG.md:\n{}", problems.join("\n"));
}

#[test]
fn the_changelog_check_catches_a_repeated_heading() {
    let text =
        "# Changelog\n\n## Unreleased\n\n### Added\n- a\n\n### Fixed\n- b\n\n### Added\n- c\n";
    assert_eq!(
        common::changelog_problems(text),
        vec!["line 11: `### Added` appears twice in `## Unreleased`".to_owned()]
    );
    let text = "# Changelog\n\n## Unreleased\n\n### Fixed\n- b\n\n### Added\n- c\n\n### Other\n";
    assert_eq!(
        common::changelog_problems(text),
        vec![
            "line 8: `### Added` after `### Fixed` (order: Added, Changed, Deprecated, Removed, \
             Fixed, Security)"
                .to_owned(),
            "line 11: `### Other` is not a Keep a Changelog heading".to_owned(),
        ]
    );
}

#[test]
fn wrapped_errors_are_printed_or_transparent_never_both() {
    let mut bad = Vec::new();
    for e in common::error_enums() {
        for v in &e.variants {
            let wraps = v.text.contains("#[source]") || v.text.contains("#[from]");
            if wraps && !v.text.contains("#[error(transparent)]") {
                bad.push(format!("{}: {}::{}", e.file, e.name, v.name));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "variants that return their source and may also print it (make them \
         `#[error(transparent)]`, or print the error and drop `#[source]`):\n{}",
        bad.join("\n")
    );
}
