//! The `snapshot` bench's network (1,000,000 positions with their pools, bookings and
//! expected receipts), its snapshot and restore timed part by part, without criterion:
//! where the time of `snapshot/network` goes.
//!
//! ```text
//! cargo run --release -p onhand-benches --example snapshot_parts
//! ```
//!
//! Each part runs three times; the best time is printed, in microseconds, with the minor
//! page faults of the last run (each a fresh 4 KiB page the kernel zeroed and mapped: on
//! a virtual machine that can cost more than encoding the page's worth of state). The
//! criterion bench (`cargo bench -p onhand-benches --bench snapshot`) is the measurement.

#![allow(
    clippy::disallowed_methods,
    reason = "a timing tool outside the core: it reads the clock on purpose"
)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use onhand::atp::Atp;
use onhand::ledger::Ledger;
use onhand::master::Catalog;
use onhand::valuation::{Valuation, ValuationConfig};
use onhand::{Network, NetworkConfig};
use onhand_benches::snapshot_network::{ITEMS, SITES, network, rules};
use onhand_testkit::scale;

/// The minor page faults this process has taken (Linux's `stat`, field 10): each is a
/// page of fresh memory the kernel zeroed and mapped.
fn minor_faults() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) is in parentheses and may hold spaces.
    stat.rsplit_once(')')?.1.split_whitespace().nth(7)?.parse().ok()
}

/// The best of three runs of `f`, with the page faults of the last.
fn best<T>(what: &str, mut f: impl FnMut() -> T) -> T {
    let mut fastest = Duration::MAX;
    let mut last = None;
    let mut faults = None;
    for _ in 0..3 {
        drop(last.take());
        let before = minor_faults();
        let t = Instant::now();
        let out = f();
        fastest = fastest.min(t.elapsed());
        faults = minor_faults().zip(before).map(|(b, a)| b.saturating_sub(a));
        last = Some(out);
    }
    let faults = faults.map_or_else(|| "?".to_owned(), |f| f.to_string());
    eprintln!("{what:>28}: {:>8} µs {faults:>8} page faults", fastest.as_micros());
    last.expect("three runs")
}

fn main() {
    let catalog =
        Arc::new(Catalog::new(scale::network(ITEMS, SITES, false)).expect("synthetic network"));
    let n = network(&catalog);
    let ledger = n.ledger();
    let s = best("ledger snapshot", || ledger.snapshot(None).expect("snapshot"));
    best("ledger content digest", || s.content_digest().expect("digest"));
    let bytes = best("ledger serde walk, no hash", || {
        let mut n = 0usize;
        onhand_master::canonical::stream_compact(&s, |c| n += c.len()).expect("encode");
        n
    });
    eprintln!("ledger form: {bytes} bytes");
    drop(best("ledger restore", || {
        Ledger::restore(catalog.clone(), rules(), &s).expect("restore")
    }));
    drop(s);
    let atp = n.atp();
    let s = best("atp snapshot", || atp.snapshot());
    drop(best("atp restore", || Atp::restore(catalog.clone(), &s).expect("restore")));
    drop(s);
    let valuation = n.valuation();
    let s = best("valuation snapshot", || valuation.snapshot());
    best("valuation content digest", || s.content_digest());
    let bytes = best("valuation serde walk, no hash", || {
        let mut n = 0usize;
        onhand_master::canonical::stream_compact(&s, |c| n += c.len()).expect("encode");
        n
    });
    eprintln!("valuation form: {bytes} bytes");
    let config = ValuationConfig::default();
    drop(best("valuation restore", || {
        Valuation::restore(catalog.clone(), config.clone(), &s).expect("restore")
    }));
    drop(s);
    best("network digest", || n.digest().expect("digest"));
    best("network check", || n.check().is_ok());
    let s = best("network snapshot", || n.snapshot().expect("snapshot"));
    best("network content digest", || s.content_digest().expect("digest"));
    let restored = best("network restore", || {
        Network::restore(catalog.clone(), rules(), NetworkConfig::default(), &s).expect("restore")
    });
    let t = Instant::now();
    drop(black_box(restored));
    eprintln!("{:>28}: {:>8} µs", "drop a network", t.elapsed().as_micros());
}
