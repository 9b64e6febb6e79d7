//! A network journal as untrusted input: the commands a seeded simulation of the demo
//! network ran (events of every kind, promises, reservations, allocations, expected
//! receipts, time moving on, consolidation runs), edited the way `json_edit` edits a
//! document and run again, command by command, on a fresh network. Whatever the edits
//! (a quantity at its bounds, a code moved to another place, an event repeated or
//! dropped, dates swapped), every command ends in its result or a typed error, never a
//! panic and never `Error::Diverged` or `Error::CallDiverged`, and after every command the engines still agree
//! ([`Network::check`]): what the network accepts keeps one truth, whoever wrote the
//! events.
//!
//! At the end the network's own journal replays from empty to the same digest.
//!
//! Input layout: one byte of how many commands run (from the start of the journal; the
//! simulation ran about 80), then edits as `json_edit` reads them until the input runs
//! out (at most 8).
#![no_main]

mod json_edit;

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use onhand::sim::{Checks, Setup, Sim, SimConfig};
use onhand::{Command, Network};
use json_edit::{Bytes, edit, strings_of};
use serde_json::Value;

struct Base {
    setup: Setup,
    /// The simulation's commands, in order, as a JSON list.
    tree: Value,
    strings: Vec<String>,
}

fn base() -> &'static Base {
    static BASE: OnceLock<Base> = OnceLock::new();
    BASE.get_or_init(|| {
        let mut setup = Setup::demo().expect("the demo setup");
        setup.config.insight.enabled = true;
        let config = SimConfig::new(11).steps_per_day(40).checks(Checks::None);
        let mut sim = Sim::new(setup.clone(), config).expect("simulates");
        sim.run(2).expect("the seeded days run");
        let commands: Vec<&Command> =
            sim.network().journal().entries().iter().map(|e| &e.command).collect();
        let tree = serde_json::to_value(&commands).expect("commands are JSON");
        let strings = strings_of(&tree);
        Base { setup, tree, strings }
    })
}

fuzz_target!(|data: &[u8]| {
    let base = base();
    let mut bytes = Bytes(data);
    let count = usize::from(bytes.next());
    let mut tree = base.tree.clone();
    for _ in 0..8 {
        if bytes.is_empty() {
            break;
        }
        edit(&mut tree, &mut bytes, &base.strings, &base.tree);
    }
    let Value::Array(list) = tree else { return };
    let commands: Vec<Command> =
        list.into_iter().take(count).filter_map(|c| serde_json::from_value(c).ok()).collect();
    let s = &base.setup;
    let mut network =
        Network::new(s.master.clone(), s.rules.clone(), s.config.clone(), s.start)
            .expect("the demo network");
    for (n, command) in commands.iter().enumerate() {
        if let Err(e @ (onhand::Error::Diverged { .. } | onhand::Error::CallDiverged { .. })) =
            network.run(command)
        {
            panic!("command {n} ({command:?}): the engines diverged: {e}");
        }
        if let Err(v) = network.check() {
            panic!("command {n} ({command:?}) left the engines disagreeing: {v}");
        }
    }
    // What the network journaled replays from empty to the same state.
    let entries = network.journal().entries().to_vec();
    let replayed =
        Network::replay(s.master.clone(), s.rules.clone(), s.config.clone(), s.start, &entries)
            .expect("a network's own journal replays");
    assert_eq!(
        replayed.digest().expect("digest"),
        network.digest().expect("digest"),
        "replay from empty gave another network"
    );
});
