//! Tidy checks over the whole workspace, run as tests (in the manner of rust-analyzer's
//! `tidy`): they read the sources as text and fail with every offending line listed.
//!
//! - every module opens with docs (`//!`);
//! - every `allow` and `expect` (outer, inner or in `cfg_attr`) carries its reason
//!   (`reason = "..."`, a comment on the same line, or a comment on the line above); one
//!   on a statement or expression carries `reason = "..."`, since a comment above a
//!   statement explains the statement;
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
//!   variants, so a chain reporter never prints the same words twice;
//! - a deserialized `Decimal` field reads through the plain-decimal rule
//!   (`onhand_master::decimal::serde_str`), not `rust_decimal`'s own parser, which
//!   overflows the stack on a long run of `_`. A decimal nested in another type reads
//!   through `serde_str::Plain` in a field's own `deserialize_with` function, and the
//!   check reads that function: its body must name `Plain` or `serde_str`.

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

/// Whether `line` opens a lint attribute: `allow` or `expect`, outer or inner, bare or
/// inside `cfg_attr`.
fn opens_lint_attribute(line: &str) -> bool {
    let t = line.trim_start();
    let attr = t.starts_with("#[") || t.starts_with("#![");
    attr && ["allow(", "expect("].iter().any(|lint| {
        let rest = t.trim_start_matches("#![").trim_start_matches("#[");
        rest.starts_with(lint) || (rest.starts_with("cfg_attr(") && rest.contains(lint))
    })
}

/// Whether the code an outer attribute at line `i` applies to is a statement or an
/// expression inside a body rather than an item: the first line after the attributes is
/// not an item keyword. Inner attributes (`#![..]`) are not statements.
fn is_statement_level(lines: &[&str], i: usize) -> bool {
    const ITEM: &[&str] = &[
        "fn ",
        "pub ",
        "pub(",
        "struct ",
        "enum ",
        "impl",
        "mod ",
        "const ",
        "static ",
        "type ",
        "trait ",
        "use ",
        "unsafe ",
        "async ",
        "extern ",
        "macro_rules!",
        "union ",
    ];
    if lines.get(i).is_some_and(|l| l.trim_start().starts_with("#![")) {
        return false;
    }
    // Skip the attribute's own lines, further attributes and comments.
    let mut depth = 0i32;
    for l in &lines[i..] {
        let t = l.trim_start();
        if depth == 0 && !(t.starts_with("#[") || t.starts_with("//") || t.is_empty()) {
            return !ITEM.iter().any(|k| t.starts_with(k));
        }
        depth += i32::try_from(t.matches('[').count()).unwrap_or(0);
        depth -= i32::try_from(t.matches(']').count()).unwrap_or(0);
        depth = depth.max(0);
    }
    false
}

/// What is wrong with the lint attribute at line `i`, if anything: every one needs a
/// reason; one on a statement or expression needs it in the attribute or after it on its
/// line, since a comment above a statement explains the statement, not the lint.
fn lint_attribute_problem(lines: &[&str], i: usize) -> Option<&'static str> {
    // The attribute's text up to its closing `)]`, which may span lines, and what follows
    // the closing `)]` on its line.
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
    if attr.contains("reason =") {
        return None;
    }
    let trailing = after.trim_start().starts_with("//");
    if trailing {
        return None;
    }
    if is_statement_level(lines, i) {
        return Some("on a statement: needs `reason = \"...\"` or a comment after it");
    }
    let above = i > 0 && {
        let prev = lines[i - 1].trim_start();
        prev.starts_with("//") && !prev.starts_with("///") && !prev.starts_with("//!")
    };
    (!above).then_some("no reason")
}

/// The lint attributes of `text` that lack a reason, as `line: problem: attribute`.
fn lint_attribute_problems(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if opens_lint_attribute(line)
            && let Some(problem) = lint_attribute_problem(&lines, i)
        {
            out.push(format!("{}: {problem}: {}", i + 1, line.trim()));
        }
    }
    out
}

#[test]
fn every_allow_carries_a_reason() {
    let mut bad = Vec::new();
    for s in all_rust_files() {
        for p in lint_attribute_problems(&s.text) {
            bad.push(format!("{}:{p}", s.rel));
        }
    }
    assert!(bad.is_empty(), "`allow`/`expect` without a reason:\n{}", bad.join("\n"));
}

#[test]
fn the_allow_check_catches_statement_level_inner_and_expect_attributes() {
    // `@` stands for `#`, so this file's own lines are not attributes.
    let text = "\
//! A module.
@![allow(dead_code)]

// Items may give their reason in a comment above.
@[allow(clippy::too_many_lines)]
fn a() {}

fn b(h: u64) -> u32 {
    // The high half.
    @[allow(clippy::cast_possible_truncation)]
    let high = (h >> 32) as u32;
    @[allow(clippy::cast_possible_truncation, reason = \"the high half, on purpose\")]
    let ok = (h >> 32) as u32;
    @[allow(clippy::cast_possible_truncation)] // the low half, on purpose
    let low = h as u32;
    high + ok + low
}

mod m {
    @![expect(clippy::float_arithmetic)]
    @[cfg_attr(test, allow(dead_code))]
    struct S;
}
"
    .replace('@', "#");
    assert_eq!(
        lint_attribute_problems(&text),
        vec![
            "2: no reason: #![allow(dead_code)]".to_owned(),
            concat!(
                "10: on a statement: needs `reason = \"...\"` or a comment after it: ",
                "#[allow(clippy::cast_possible_truncation)]"
            )
            .to_owned(),
            "20: no reason: #![expect(clippy::float_arithmetic)]".to_owned(),
            "21: no reason: #[cfg_attr(test, allow(dead_code))]".to_owned(),
        ]
    );
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

/// Public functions of ledger, ATP and valuation that still have no doc example of their
/// own, per crate: the check fails when a crate has more (a new function without one)
/// or fewer (lower the figure, so it only goes down). A getter documented by its type's
/// example still counts here.
const WITHOUT_EXAMPLE: &[(&str, usize)] =
    &[("onhand-ledger", 0), ("onhand-atp", 0), ("onhand-valuation", 0)];

/// Whether the doc comment above line `i` (back over attributes, which may span lines,
/// and plain comments) holds a code block.
fn doc_above_has_example(lines: &[&str], i: usize) -> bool {
    let mut example = false;
    for prev in lines[..i].iter().rev().map(|l| l.trim()) {
        if prev.starts_with("///") {
            example |= prev.contains("```");
            continue;
        }
        let code =
            prev.is_empty() || prev.ends_with('}') || prev.ends_with('{') || prev.ends_with(';');
        if code && !prev.starts_with("#[") {
            break;
        }
    }
    example
}

/// The public functions (`pub fn`, `pub const fn`) of `text` whose doc comment has no
/// code block, as `line: name`; a `#[cfg(test)]` at the start of a line ends the scan.
/// A function a macro defines (`pub fn $name`) is documented where the macro is invoked:
/// each invocation entry of the form `name => Kind;` counts as one function, with the doc
/// comment above it.
fn public_fns_without_example(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut templates = false;
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("#[cfg(test)]") {
            break;
        }
        let t = line.trim_start();
        let Some(rest) = t.strip_prefix("pub fn ").or_else(|| t.strip_prefix("pub const fn "))
        else {
            continue;
        };
        if rest.starts_with('$') {
            templates = true;
            continue;
        }
        let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        if !doc_above_has_example(&lines, i) {
            out.push(format!("{}: {name}", i + 1));
        }
    }
    if templates {
        for (i, line) in lines.iter().enumerate() {
            let t = line.trim();
            let Some((name, rest)) = t.split_once(" => ") else { continue };
            let entry = name.chars().all(|c| c.is_alphanumeric() || c == '_')
                && rest.ends_with(';')
                && rest.trim_end_matches(';').chars().all(char::is_alphanumeric);
            if entry && !doc_above_has_example(&lines, i) {
                out.push(format!("{}: {name} (macro)", i + 1));
            }
        }
    }
    out
}

#[test]
fn public_functions_of_ledger_atp_and_valuation_have_examples() {
    let mut problems = Vec::new();
    for (krate, allowed) in WITHOUT_EXAMPLE {
        let mut sources = Vec::new();
        common::walk(&workspace_root().join("crates").join(krate).join("src"), &mut sources);
        let missing: Vec<String> = sources
            .iter()
            .flat_map(|s| {
                public_fns_without_example(&s.text).into_iter().map(|m| format!("{}:{m}", s.rel))
            })
            .collect();
        if missing.len() != *allowed {
            problems.push(format!(
                "{krate}: {} public functions without a doc example, {allowed} allowed in \
                 WITHOUT_EXAMPLE (write the example, or lower the figure):\n  {}",
                missing.len(),
                missing.join("\n  ")
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_example_check_reads_docs_through_attributes() {
    let text = "\
impl X {
    /// With one.
    ///
    /// ```
    /// assert!(true);
    /// ```
    #[must_use]
    #[allow(
        clippy::too_many_arguments,
        reason = \"...\"
    )]
    pub fn a() {}

    /// Without.
    #[must_use]
    pub const fn b() {}

    pub(crate) fn c() {}
}
#[cfg(test)]
mod tests {
    pub fn d() {}
}
";
    assert_eq!(public_fns_without_example(text), vec!["16: b".to_owned()]);

    // Functions a macro defines count once per invocation entry.
    let text = "\
macro_rules! ctors {
    ($($(#[$meta:meta])* $name:ident => $kind:ident;)*) => {
        $(
            $(#[$meta])*
            pub fn $name() -> Kind { Kind::$kind }
        )*
    };
}
ctors! {
    /// One.
    ///
    /// ```
    /// ```
    one => One;
    /// Two.
    two => Two;
}
";
    assert_eq!(public_fns_without_example(text), vec!["16: two (macro)".to_owned()]);
}

/// The body of the brace block that opens at or after `from` (without its braces), and
/// the offset just past it.
fn brace_body(text: &str, from: usize) -> Option<(&str, usize)> {
    let open = from + text.get(from..)?.find('{')?;
    let mut depth = 0usize;
    for (k, c) in text.get(open..)?.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some((text.get(open + 1..open + k)?, open + k + 1));
                }
            }
            _ => {}
        }
    }
    None
}

/// The fields of a brace body (split at depth-0 commas, line comments dropped) typed
/// with `Decimal`, alone or inside another type, whose attributes have no `with` or
/// `skip`, and no `deserialize_with` naming a function that `reads_plain` accepts.
fn plain_decimals_in(body: &str, reads_plain: &dyn Fn(&str) -> bool) -> Vec<String> {
    let (mut depth, mut field) = (0i32, String::new());
    let mut fields = Vec::new();
    for line in body.lines().filter(|l| !l.trim_start().starts_with("//")) {
        for c in line.chars().chain(std::iter::once('\n')) {
            match c {
                '<' | '(' | '[' | '{' => depth += 1,
                '>' | ')' | ']' | '}' => depth -= 1,
                _ => {}
            }
            if c == ',' && depth == 0 {
                fields.push(std::mem::take(&mut field));
            } else {
                field.push(c);
            }
        }
    }
    fields.push(field);
    let mut out = Vec::new();
    for f in fields {
        let decl = f.lines().rfind(|l| !l.trim().is_empty()).unwrap_or_default();
        let Some((lhs, ty)) = decl.split_once(':') else { continue };
        let is_decimal =
            ty.split(|c: char| !(c.is_alphanumeric() || c == '_')).any(|w| w == "Decimal");
        if !is_decimal || lhs.contains('#') {
            continue;
        }
        let name = lhs.trim().rsplit(' ').next().unwrap_or_default();
        let attrs = f.get(..f.rfind(decl).unwrap_or(0)).unwrap_or_default();
        if let Some(at) = attrs.find("deserialize_with = \"") {
            let path = attrs.get(at + 20..).and_then(|r| r.split('"').next()).unwrap_or_default();
            if reads_plain(path) {
                continue;
            }
        } else if ["with =", "serde(skip"].iter().any(|a| attrs.contains(a)) {
            continue;
        }
        out.push(name.to_owned());
    }
    out
}

/// `Type.field` (or `Enum::Variant.field`) for every field [`plain_decimals_in`] finds in
/// a struct or enum that derives `Deserialize`. A type read through `try_from`/`from` at
/// the container level is skipped (it parses its own text).
fn plain_decimal_fields(text: &str, reads_plain: &dyn Fn(&str) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(d) = text.get(at..).and_then(|t| t.find("#[derive(")).map(|d| d + at) {
        at = d + 9;
        let derive = text.get(d..).and_then(|t| t.split(")]").next()).unwrap_or_default();
        if !derive.contains("Deserialize") {
            continue;
        }
        let rest = text.get(d..).unwrap_or_default();
        let (h, is_enum) = match (rest.find("struct "), rest.find("enum ")) {
            (Some(s), Some(e)) if e < s => (e + 5, true),
            (Some(s), _) => (s + 7, false),
            (None, Some(e)) => (e + 5, true),
            (None, None) => continue,
        };
        let header = rest.get(h..).unwrap_or_default();
        let name: String =
            header.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        let before = rest.get(..h).unwrap_or_default();
        // Another item between the derive and this type: not its derive.
        if before.contains("fn ") || before.contains("impl ") {
            continue;
        }
        if before.contains("try_from") || before.contains("from =") {
            continue;
        }
        let after_name = header.get(name.len()..).unwrap_or_default().trim_start();
        if !after_name.starts_with('{') && !after_name.starts_with('<') {
            continue;
        }
        let Some((body, _)) = brace_body(text, d + h) else { continue };
        if !is_enum {
            out.extend(
                plain_decimals_in(body, reads_plain).into_iter().map(|f| format!("{name}.{f}")),
            );
            continue;
        }
        // An enum: each variant with named fields.
        let mut from = 0;
        while let Some((fields, end)) = brace_body(body, from) {
            let open = body.get(..end).and_then(|b| b.rfind(fields)).unwrap_or(0);
            let head = body.get(from..open.saturating_sub(1)).unwrap_or_default();
            let variant = head
                .trim_end()
                .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
                .next()
                .unwrap_or_default();
            out.extend(
                plain_decimals_in(fields, reads_plain)
                    .into_iter()
                    .map(|f| format!("{name}::{variant}.{f}")),
            );
            from = end;
        }
    }
    out
}

/// Whether the `deserialize_with` function at `path` reads through the plain-decimal
/// rule: one of `serde_str`'s own, or a function (found by name in `texts`) whose body
/// names `Plain` or `serde_str`.
fn reads_through_plain(path: &str, texts: &[&str]) -> bool {
    if path.contains("serde_str") {
        return true;
    }
    let name = path.rsplit("::").next().unwrap_or(path);
    texts.iter().any(|text| {
        [format!("fn {name}<"), format!("fn {name}(")].iter().any(|head| {
            text.match_indices(head.as_str()).any(|(at, _)| {
                brace_body(text, at)
                    .is_some_and(|(body, _)| body.contains("Plain") || body.contains("serde_str"))
            })
        })
    })
}

#[test]
fn deserialized_decimals_read_through_the_plain_decimal_rule() {
    let sources = library_sources();
    let texts: Vec<&str> = sources.iter().map(|s| s.text.as_str()).collect();
    let reads_plain = |path: &str| reads_through_plain(path, &texts);
    let mut found = Vec::new();
    for s in &sources {
        for f in plain_decimal_fields(&s.text, &reads_plain) {
            found.push(format!("{} {f}", s.rel));
        }
    }
    assert!(
        found.is_empty(),
        "a deserialized `Decimal` field without `#[serde(with = \"onhand_master::decimal::serde_str\")]` \
         (or `::option`, `::vec`): rust_decimal's parser overflows the stack on a long run of \
         `_`:\n{found:#?}"
    );
}

#[test]
fn the_plain_decimal_check_reads_attributes_and_nested_types() {
    let text = r#"
#[derive(Debug, Serialize, Deserialize)]
pub struct Plan {
    /// Safe.
    #[serde(
        default,
        with = "onhand_master::decimal::serde_str::option"
    )]
    pub max: Option<Decimal>,
    pub gross: Vec<Decimal>,
    pub pairs: BTreeMap<u64, (Decimal, Decimal)>,
    #[serde(skip)]
    cache: Decimal,
    pub name: String,
}
#[derive(Debug, Serialize)]
pub struct Out { pub v: Decimal }
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    Margin {
        #[serde(with = "onhand_master::decimal::serde_str")]
        margin: Decimal,
    },
    List { prices: BTreeMap<ItemCode, Decimal> },
    None,
}
"#;
    let all = |_: &str| true;
    assert_eq!(plain_decimal_fields(text, &all), ["Plan.gross", "Plan.pairs", "Rule::List.prices"]);
    // A `deserialize_with` function must read through the rule itself.
    let own = r#"
fn mine<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Decimal>, D::Error> {
    Vec::<Decimal>::deserialize(d)
}
fn safe<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Decimal>, D::Error> {
    Ok(Vec::<Plain>::deserialize(d)?.into_iter().map(|p| p.0).collect())
}
#[derive(Deserialize)]
struct Figures {
    #[serde(deserialize_with = "mine")]
    a: Vec<Decimal>,
    #[serde(deserialize_with = "crate::figures::safe")]
    b: Vec<Decimal>,
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::vec")]
    c: Vec<Decimal>,
}
"#;
    let reads_plain = |path: &str| reads_through_plain(path, &[own]);
    assert_eq!(plain_decimal_fields(own, &reads_plain), ["Figures.a"]);
}
