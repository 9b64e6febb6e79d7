//! The end-of-run reports of `onhand run`: after the steps, what the scenario left in the
//! network, read from the network itself: stock by status, transfer orders and pending
//! approvals; each entity's books and the trial balance of the run's postings; the
//! exception queue per role and the month's KPIs. The same tables close `onhand demo`'s
//! day, so the demo is a scenario run like any other.

use std::io::{self, Write};

use onhand::Network;
use onhand::valuation::Posting;

use crate::table::Table;

/// Writes the end-of-run reports of `network`, with `postings` the postings of the run's
/// steps in order.
///
/// # Errors
/// Whatever `out` reports.
pub fn write_end(network: &Network, postings: &[Posting], out: &mut dyn Write) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "End of run")?;
    writeln!(out, "==========")?;
    let ledger = network.ledger();
    crate::day::positions(ledger, out)?;
    if ledger.transfers().next().is_some() {
        crate::day::transfers(ledger, out)?;
    }
    if ledger.pending().next().is_some() {
        crate::day::pending(ledger, out)?;
    }
    books(network, out)?;
    if !postings.is_empty() {
        writeln!(out)?;
        writeln!(out, "Trial balance of the run's postings")?;
        crate::valuing::trial_balance(postings, out)?;
    }
    writeln!(out)?;
    writeln!(out, "Exceptions and KPIs")?;
    crate::queue::write_queue(network, "the run", out)
}

fn books(network: &Network, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "Books per entity (stock at cost)")?;
    let mut t = Table::new(&[
        "entity",
        "currency",
        ">inventory",
        ">in transit",
        ">unrealized profit",
        ">pools",
    ]);
    // The entities that own a site, in code order.
    let entities: std::collections::BTreeSet<_> =
        network.catalog().sites().filter_map(|(_, s)| s.entity.clone()).collect();
    for entity in &entities {
        let b = network.books(entity).map_err(io::Error::other)?;
        t.row(vec![
            b.entity.to_string(),
            b.currency.to_string(),
            b.inventory.amount().to_string(),
            b.in_transit.amount().to_string(),
            b.unrealized_profit.amount().to_string(),
            b.pools.iter().filter(|p| !p.qty.is_zero()).count().to_string(),
        ]);
    }
    t.write(out, 2)
}
