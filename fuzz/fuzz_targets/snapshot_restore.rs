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
//! Input layout: edits as `json_edit` reads them, one after the other until the input
//! runs out (at most 8).
#![no_main]

mod json_edit;

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use onhand::ledger::Rules;
use onhand::master::Catalog;
use onhand::sim::{Setup, Sim, SimConfig};
use onhand::valuation::ValuationSnapshot;
use onhand::{Network, NetworkConfig, NetworkSnapshot};
use json_edit::{Bytes, edit, strings_of};
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
        let strings = strings_of(&tree);
        Base { catalog: network.catalog().clone(), rules, config, tree, strings }
    })
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
