//! Reading the workspace as text for the tidy checks: files, code lines outside test
//! modules and comments, manifests, the CHANGELOG's headings and the error enums with
//! their `code()` arms.
#![allow(dead_code, reason = "two test targets include this module; each uses part of it")]

use std::path::{Path, PathBuf};

/// A source file: its path from the workspace root and its text.
pub(crate) struct Source {
    pub(crate) rel: String,
    pub(crate) text: String,
}

/// The workspace root (two levels above this crate).
pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

/// Every `.rs` file under `dir`, except build output.
pub(crate) fn walk(dir: &Path, out: &mut Vec<Source>) {
    let root = workspace_root();
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            let rel = p.strip_prefix(&root).unwrap_or(&p).to_string_lossy().replace('\\', "/");
            let text = std::fs::read_to_string(&p).expect("readable source");
            out.push(Source { rel, text });
        }
    }
}

/// The sources of the published library crates (`crates/*/src`, not the test-support
/// crate).
pub(crate) fn library_sources() -> Vec<Source> {
    let root = workspace_root();
    let mut out = Vec::new();
    for m in crate_manifests() {
        if m.text.contains("publish = false") {
            continue;
        }
        let dir = Path::new(&m.rel).parent().expect("crate folder").join("src");
        walk(&root.join(dir), &mut out);
    }
    out
}

/// The manifest of each crate under `crates/`, with its path from the root.
pub(crate) fn crate_manifests() -> Vec<Source> {
    let root = workspace_root();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
        .expect("crates folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .filter_map(|d| {
            let p = d.join("Cargo.toml");
            let text = std::fs::read_to_string(&p).ok()?;
            let rel = p.strip_prefix(&root).ok()?.to_string_lossy().replace('\\', "/");
            Some(Source { rel, text })
        })
        .collect()
}

/// The manifest of crate `name` (`onhand-ledger` lives in `crates/onhand-ledger`).
pub(crate) fn crate_manifest(name: &str) -> String {
    std::fs::read_to_string(workspace_root().join("crates").join(name).join("Cargo.toml"))
        .unwrap_or_default()
}

/// `version` of `[workspace.package]`.
pub(crate) fn package_version(manifest: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines() {
        if line.starts_with('[') {
            in_package = line.trim() == "[workspace.package]";
        } else if in_package && let Some(v) = line.strip_prefix("version = ") {
            return Some(v.trim().trim_matches('"').to_owned());
        }
    }
    None
}

/// The lines (numbered from 1) that are code: not comments, and not inside a
/// `#[cfg(test)]` module.
pub(crate) fn code_lines(text: &str) -> Vec<(usize, &str)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.trim() == "#[cfg(test)]"
            && let Some(next) = lines.get(i + 1)
            && next.trim_start().starts_with("mod ")
            && next.trim_end().ends_with('{')
        {
            let indent = next.len() - next.trim_start().len();
            let close = format!("{}}}", " ".repeat(indent));
            let end = lines[i + 2..].iter().position(|l| l.trim_end() == close);
            i = end.map_or(lines.len(), |e| i + 2 + e + 1);
            continue;
        }
        if !line.trim_start().starts_with("//") {
            out.push((i + 1, line));
        }
        i += 1;
    }
    out
}

/// The kinds of change Keep a Changelog names, in its order.
pub(crate) const KINDS: [&str; 6] =
    ["Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"];

/// What is wrong with the CHANGELOG's headings: a kind heading twice in a release
/// section, out of order, or not one of [`KINDS`].
pub(crate) fn changelog_problems(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut release = String::new();
    let mut seen: Vec<usize> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if let Some(r) = line.strip_prefix("## ") {
            release = format!("## {}", r.trim());
            seen.clear();
        } else if let Some(k) = line.strip_prefix("### ") {
            let k = k.trim();
            let Some(ix) = KINDS.iter().position(|x| *x == k) else {
                out.push(format!("line {n}: `### {k}` is not a Keep a Changelog heading"));
                continue;
            };
            if seen.contains(&ix) {
                out.push(format!("line {n}: `### {k}` appears twice in `{release}`"));
            } else if let Some(last) = seen.last()
                && *last > ix
            {
                out.push(format!(
                    "line {n}: `### {k}` after `### {}` (order: {})",
                    KINDS[*last],
                    KINDS.join(", ")
                ));
            }
            seen.push(ix);
        }
    }
    out
}

/// A variant of an error enum: its name and its text (attributes, docs and fields).
pub(crate) struct Variant {
    pub(crate) name: String,
    pub(crate) text: String,
}

/// A public error enum of a library crate, with its `code()` arms.
pub(crate) struct ErrorEnum {
    pub(crate) file: String,
    pub(crate) name: String,
    pub(crate) variants: Vec<Variant>,
    /// `(variant, code)` from `code()`'s match, in its order; `None`: no `code()`.
    pub(crate) codes: Option<Vec<(String, String)>>,
    /// Whether `code()`'s match has a catch-all arm (`_ =>`).
    pub(crate) catch_all: bool,
}

/// Every `pub enum ...Error` in the published crates' sources.
pub(crate) fn error_enums() -> Vec<ErrorEnum> {
    let mut out = Vec::new();
    for s in library_sources() {
        let lines: Vec<&str> = s.text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(rest) = line.strip_prefix("pub enum ") else { continue };
            let name = rest.trim_end_matches(" {").trim();
            if !name.ends_with("Error") {
                continue;
            }
            let mut variants: Vec<Variant> = Vec::new();
            let mut pending = String::new();
            for l in &lines[i + 1..] {
                if *l == "}" {
                    break;
                }
                let t = l.strip_prefix("    ").unwrap_or(l);
                let starts_variant =
                    !t.starts_with(' ') && t.chars().next().is_some_and(|c| c.is_ascii_uppercase());
                if starts_variant {
                    let vname: String =
                        t.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                    pending.push_str(l);
                    pending.push('\n');
                    variants.push(Variant { name: vname, text: std::mem::take(&mut pending) });
                } else if t.starts_with(' ') || t.starts_with('}') || t.starts_with(')') {
                    if let Some(v) = variants.last_mut() {
                        v.text.push_str(l);
                        v.text.push('\n');
                    }
                } else {
                    pending.push_str(l);
                    pending.push('\n');
                }
            }
            let (codes, catch_all) = code_arms(&s.text, name);
            out.push(ErrorEnum {
                file: s.rel.clone(),
                name: name.to_owned(),
                variants,
                codes,
                catch_all,
            });
        }
    }
    out
}

/// The arms of `Name::code()`'s match: `(variant, code)`, where a delegating arm
/// (`Name::Wrapped(e) => e.code()`) has the code `*`.
fn code_arms(text: &str, name: &str) -> (Option<Vec<(String, String)>>, bool) {
    let Some(start) = text.find(&format!("impl {name} {{")) else { return (None, false) };
    let body = &text[start..];
    let Some(f) = body.find("pub fn code(&self) -> &'static str {") else {
        return (None, false);
    };
    let body = &body[f..];
    let end = body.find("\n    }\n").unwrap_or(body.len());
    let mut arms = Vec::new();
    let mut catch_all = false;
    let prefix = format!("{name}::");
    for line in body[..end].lines() {
        let t = line.trim();
        if t.starts_with("_ =>") {
            catch_all = true;
        }
        let Some(rest) = t.strip_prefix(&prefix) else { continue };
        let variant: String =
            rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        let code = t.split("=> ").nth(1).unwrap_or_default().trim_end_matches(',');
        let code =
            if code.starts_with('"') { code.trim_matches('"').to_owned() } else { "*".to_owned() };
        arms.push((variant, code));
    }
    (Some(arms), catch_all)
}
