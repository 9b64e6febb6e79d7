//! The fuzz targets' JSON editor: walks a JSON tree along input bytes and edits the
//! node it reaches (a boundary number or decimal, a string taken from elsewhere in the
//! tree, an element removed, repeated or swapped, a node grafted from the unedited
//! tree, null, a flag flipped, a number nudged, a string cut short), so a target starts
//! from a realistic document (a snapshot, a journal) and reaches what lies behind its
//! parser.
//!
//! Input layout: per edit, a byte choosing the operation, then path bytes (below 24:
//! stop at this node; otherwise the child at that byte, with a second byte for a list
//! or map of more than 200, modulo the node's length), then the operation's own bytes.

use serde_json::Value;

/// Every distinct string of at most 40 bytes in `v`, sorted: what edits that move a
/// code elsewhere pick from.
pub(crate) fn strings_of(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    collect_strings(v, &mut out);
    out.sort();
    out.dedup();
    out
}

fn collect_strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if s.len() <= 40 => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}

/// Reads the input a byte at a time (zero once it runs out).
pub(crate) struct Bytes<'a>(pub(crate) &'a [u8]);

impl Bytes<'_> {
    pub(crate) fn next(&mut self) -> u8 {
        let (&b, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        b
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// An index below `len`: one byte for a short list, two for a long one, so every
    /// element of a list of a few thousand is reachable.
    pub(crate) fn index(&mut self, len: usize) -> usize {
        let b = usize::from(self.next());
        let k = if len > 200 { b << 8 | usize::from(self.next()) } else { b };
        k % len.max(1)
    }
}

/// Which child the path takes at a container of `len`, or `None` to stop here (a
/// first byte below 24).
fn step(bytes: &mut Bytes<'_>, len: usize) -> Option<usize> {
    let b = bytes.next();
    if len == 0 || b < 24 {
        return None;
    }
    let k = if len > 200 { usize::from(b - 24) << 8 | usize::from(bytes.next()) } else { usize::from(b) };
    Some(k % len)
}

/// The node the path bytes lead to.
fn walk<'v>(mut v: &'v mut Value, bytes: &mut Bytes<'_>) -> &'v mut Value {
    for _ in 0..64 {
        let len = match v {
            Value::Array(a) => a.len(),
            Value::Object(o) => o.len(),
            _ => return v,
        };
        let Some(k) = step(bytes, len) else { return v };
        v = match v {
            Value::Array(a) => &mut a[k],
            Value::Object(o) => o.values_mut().nth(k).expect("k is below the length"),
            _ => unreachable!("containers only"),
        };
    }
    v
}

/// A copy of the node the path bytes lead to in the unedited tree.
fn pick(mut v: &Value, bytes: &mut Bytes<'_>) -> Value {
    for _ in 0..64 {
        let next = match v {
            Value::Array(a) => step(bytes, a.len()).and_then(|k| a.get(k)),
            Value::Object(o) => step(bytes, o.len()).and_then(|k| o.values().nth(k)),
            _ => None,
        };
        match next {
            Some(n) => v = n,
            None => break,
        }
    }
    v.clone()
}

/// Numbers and decimals at the edges of what the engines hold.
fn boundary(b: u8) -> Value {
    match b % 24 {
        0 => Value::from(0),
        1 => Value::from(1),
        2 => Value::from(-1),
        3 => Value::from(u32::MAX),
        4 => Value::from(u64::MAX),
        5 => Value::from(i64::MIN),
        6 => Value::from(i64::MAX),
        7 => Value::from(u32::MAX as u64 + 1),
        8 => Value::from(255),
        9 => Value::from(65_536),
        10 => Value::from("0"),
        11 => Value::from("-1"),
        12 => Value::from("0.0000000000000000000000000001"),
        13 => Value::from("79228162514264337593543950335"),
        14 => Value::from("-79228162514264337593543950335"),
        15 => Value::from("1000000000000000"),
        16 => Value::from("-0.5"),
        17 => Value::from("2.5"),
        18 => Value::from(""),
        19 => Value::from("1e3"),
        20 => Value::from(1.5),
        21 => Value::from(1_000_000_000),
        22 => Value::from(-86_400),
        _ => Value::from(253_402_300_799_i64),
    }
}

/// One edit of `tree` (see the module docs); `original` is where grafts come from.
pub(crate) fn edit(tree: &mut Value, bytes: &mut Bytes<'_>, strings: &[String], original: &Value) {
    let op = bytes.next();
    let node = walk(tree, bytes);
    match op % 9 {
        0 | 1 => *node = boundary(bytes.next()),
        2 => {
            if let Some(s) = strings.get(bytes.index(strings.len())) {
                *node = Value::from(s.clone());
            }
        }
        3 => match node {
            Value::Array(a) if !a.is_empty() => {
                a.remove(bytes.index(a.len()));
            }
            Value::Object(o) if !o.is_empty() => {
                let key = o.keys().nth(bytes.index(o.len())).cloned();
                if let Some(key) = key {
                    o.remove(&key);
                }
            }
            _ => *node = Value::Null,
        },
        4 => {
            if let Value::Array(a) = node
                && !a.is_empty()
            {
                let k = bytes.index(a.len());
                let copy = a[k].clone();
                a.insert(k, copy);
            }
        }
        5 => {
            if let Value::Array(a) = node
                && a.len() > 1
            {
                let (i, j) = (bytes.index(a.len()), bytes.index(a.len()));
                a.swap(i, j);
            }
        }
        6 => {
            *node = match node {
                Value::Bool(b) => Value::Bool(!*b),
                _ => Value::Null,
            }
        }
        7 => *node = pick(original, bytes),
        _ => {
            // A number nudged by one either way, a string cut short.
            let arg = bytes.next();
            match node {
                Value::Number(n) => {
                    if let Some(i) = n.as_i64() {
                        let d = if arg % 2 == 0 { 1 } else { -1 };
                        *node = Value::from(i.saturating_add(d));
                    } else if let Some(u) = n.as_u64() {
                        *node = Value::from(u.wrapping_add(1));
                    }
                }
                Value::String(s) => {
                    let keep = usize::from(arg) % (s.len() + 1);
                    let cut: String = s.chars().take(keep).collect();
                    *node = Value::from(cut);
                }
                _ => {}
            }
        }
    }
}
