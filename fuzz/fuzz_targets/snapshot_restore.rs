//! Network snapshots as untrusted input: a snapshot read back from storage may have been
//! edited, and its digests recomputed to match (SHA-256 is a check against accidents,
//! not a signature). Restoring one must end in the restored network or a typed error:
//! never a panic, an overflow, a hang or an allocation the snapshot's size does not
//! justify.
//!
//! Once per process, a seeded two-day simulation of the demo network (bookings,
//! reservations, transfers, counts, holds and approvals, the KPI feed on) gives a
//! snapshot, kept as a JSON tree. Each input edits a copy of the tree: it walks to a
//! node and replaces it with a boundary number or decimal, a code or another node taken
//! from elsewhere in the tree, null or a flipped flag, or removes, repeats or swaps an
//! element of a list. The ledger's, the books' and the network's digests are then
//! recomputed ([`onhand::ledger::Snapshot::content_digest`],
//! [`onhand::valuation::ValuationSnapshot::content_digest`],
//! [`NetworkSnapshot::content_digest`]), so the edit reaches every check behind the
//! digest. A network that restores must have engines that agree ([`Network::check`]),
//! must snapshot again to a snapshot that restores to the same digest, and must run:
//! its figures, two days moving on, and a re-promise of every booked line end in a
//! result, never a panic.
//!
//! Input layout: per edit, a byte choosing the operation, then path bytes (below 24:
//! stop at this node; otherwise the child at that byte, with a second byte for a list
//! or map of more than 200, modulo the node's length), then the operation's own bytes;
//! edits follow each other until the input runs out (at most 8).
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use onhand::ledger::Rules;
use onhand::master::Catalog;
use onhand::sim::{Setup, Sim, SimConfig};
use onhand::valuation::ValuationSnapshot;
use onhand::{Network, NetworkConfig, NetworkSnapshot};
use serde_json::Value;

struct Base {
    catalog: Arc<Catalog>,
    rules: Rules,
    config: NetworkConfig,
    tree: Value,
    /// Every string in the tree, for edits that put one code where another stood.
    strings: Vec<String>,
}

fn base() -> &'static Base {
    static BASE: OnceLock<Base> = OnceLock::new();
    BASE.get_or_init(|| {
        let mut setup = Setup::demo().expect("the demo setup");
        setup.config.insight.enabled = true;
        let (rules, config) = (setup.rules.clone(), setup.config.clone());
        let mut sim = Sim::new(setup, SimConfig::new(7).steps_per_day(60)).expect("simulates");
        sim.run(2).expect("the seeded days pass their checks");
        let network = sim.network();
        let snapshot = network.snapshot().expect("a live network snapshots");
        let tree = serde_json::to_value(&snapshot).expect("a snapshot is JSON");
        let mut strings = Vec::new();
        collect_strings(&tree, &mut strings);
        strings.sort();
        strings.dedup();
        Base { catalog: network.catalog().clone(), rules, config, tree, strings }
    })
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
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn next(&mut self) -> u8 {
        let (&b, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        b
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// An index below `len`: one byte for a short list, two for a long one, so every
    /// element of a list of a few thousand is reachable.
    fn index(&mut self, len: usize) -> usize {
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

fn edit(tree: &mut Value, bytes: &mut Bytes<'_>, strings: &[String], original: &Value) {
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

/// Recomputes the digests the edit broke: the ledger's and the books' own, then the
/// network's over them. `None` when the tree is no longer a snapshot at all.
fn reseal(mut tree: Value) -> Option<NetworkSnapshot> {
    let content = tree.get_mut("content")?;
    if let Some(ledger) = content.get_mut("ledger") {
        let mut s: onhand::ledger::Snapshot = serde_json::from_value(ledger.clone()).ok()?;
        s.digest = s.content_digest().ok()?;
        *ledger = serde_json::to_value(&s).ok()?;
    }
    if let Some(books) = content.get_mut("valuation") {
        let mut s: ValuationSnapshot = serde_json::from_value(books.clone()).ok()?;
        s.digest = s.content_digest();
        *books = serde_json::to_value(&s).ok()?;
    }
    let mut snapshot: NetworkSnapshot = serde_json::from_value(tree).ok()?;
    snapshot.digest = snapshot.content_digest().ok()?;
    Some(snapshot)
}

fuzz_target!(|data: &[u8]| {
    let base = base();
    let mut tree = base.tree.clone();
    let mut bytes = Bytes(data);
    for _ in 0..8 {
        if bytes.is_empty() {
            break;
        }
        edit(&mut tree, &mut bytes, &base.strings, &base.tree);
    }
    let Some(snapshot) = reseal(tree) else { return };
    let restore = |s: &NetworkSnapshot| {
        Network::restore(base.catalog.clone(), base.rules.clone(), base.config.clone(), s)
    };
    let Ok(network) = restore(&snapshot) else { return };
    // Restore checks that the engines agree; only a KPI record counted as refused may
    // stand (it does not refuse the stock).
    if let Err(v) = network.check() {
        assert_eq!(v.invariant, "insight", "restored with engines that disagree: {v}");
    }
    // What restored is a network: it snapshots, and that snapshot restores to it.
    let again = network.snapshot().expect("a restored network snapshots");
    let back = restore(&again).expect("a restored network's own snapshot restores");
    assert_eq!(
        back.digest().expect("digest"),
        network.digest().expect("digest"),
        "snapshot and restore of a restored network changed it"
    );
    // And it runs: the whole-network passes (figures, time moving on with its
    // expiries and escalations, every booked line re-promised) end in a result, never
    // a panic.
    let mut network = network;
    let _ = network.figures();
    let _ = network.advance_to(network.now() + chrono::Duration::days(2));
    let _ = network.reprocess(onhand::atp::Sharing::FairShare);
});
