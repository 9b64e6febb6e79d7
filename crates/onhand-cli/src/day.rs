//! The demo's day of events: `onhand_ledger::seed::demo_day` applied to a ledger on the
//! demo network, journaled, and replayed to show the state is a fold of the journal.

use std::io::{self, Write};
use std::sync::Arc;

use onhand_ledger::seed::{DemoEvent, demo_day};
use onhand_ledger::{Applied, Body, Journal, Ledger, LedgerError, Rules, Signal};
use onhand_master::{Catalog, CurrencyCode, Decimal};
use onhand_status::{Measure, StockStatus};

use crate::demo::Demo;
use crate::table::Table;

/// What one event of the day came to.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Applied, with the number of position changes and the signals raised.
    Accepted {
        /// Positions changed.
        deltas: usize,
        /// Signals raised.
        signals: Vec<Signal>,
    },
    /// Held for approval by these roles.
    Pending(Vec<onhand_master::Role>),
    /// A repeat.
    Duplicate,
    /// Refused.
    Rejected(LedgerError),
}

/// The day, run.
#[derive(Debug, Clone)]
pub struct DayRun {
    /// The ledger at the end of the day.
    pub ledger: Ledger,
    /// The journal of every state-changing event.
    pub journal: Journal,
    /// Each event with its outcome, in submission order.
    pub outcomes: Vec<(DemoEvent, Outcome)>,
}

impl DayRun {
    /// Runs the demo day on `catalog`.
    ///
    /// # Errors
    /// A builder or journal error (the day is literals; the crate's tests run it).
    pub fn run(catalog: &Catalog) -> Result<Self, String> {
        let usd = CurrencyCode::new("USD").map_err(|e| e.to_string())?;
        let mut ledger =
            Ledger::new(Arc::new(catalog.clone()), Rules::standard(usd).trusting_event_actors())
                .map_err(|e| e.to_string())?;
        let mut journal = Journal::new();
        let mut outcomes = Vec::new();
        for e in demo_day().map_err(|e| e.to_string())? {
            let outcome = match ledger.apply(&e.event) {
                Ok(applied) => {
                    if applied.changed_state() {
                        journal.append(e.event.clone()).map_err(|err| err.to_string())?;
                    }
                    match applied {
                        Applied::Accepted(a) => {
                            Outcome::Accepted { deltas: a.deltas.len(), signals: a.signals }
                        }
                        Applied::Pending { needs, .. } => Outcome::Pending(needs),
                        Applied::Duplicate => Outcome::Duplicate,
                    }
                }
                Err(err) => Outcome::Rejected(err),
            };
            outcomes.push((e, outcome));
        }
        Ok(DayRun { ledger, journal, outcomes })
    }
}

fn site_of(body: &Body) -> String {
    if let Some(m) = body.movement() {
        return m.site.to_string();
    }
    match body {
        Body::CycleCount(c) => c.site.to_string(),
        Body::TransferRequest(r) => format!("{}>{}", r.from, r.to),
        _ => String::new(),
    }
}

fn roles(r: &[onhand_master::Role]) -> String {
    r.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(", ")
}

fn describe_signal(ledger: &Ledger, s: &Signal) -> (String, String) {
    match s {
        Signal::VarianceOverTolerance { key, book, counted, tolerance } => {
            let v = ledger.describe(key);
            (
                "count variance over tolerance".into(),
                format!(
                    "{} at {} {}: book {book}, counted {counted}, tolerance {tolerance}",
                    v.item,
                    v.site,
                    v.bin.map(|b| b.to_string()).unwrap_or_default()
                ),
            )
        }
        Signal::TransferDiscrepancy { transfer, item, short, over, damaged } => {
            let code = ledger.catalog().item(*item).map(|i| i.code.to_string()).unwrap_or_default();
            (
                "transfer discrepancy".into(),
                format!("{transfer} {code}: short {short}, over {over}, damaged {damaged}"),
            )
        }
        Signal::PendingApproval { event, needs } => {
            ("pending approval".into(), format!("{event} needs {}", roles(needs)))
        }
        Signal::NegativeStock { key, balance } => {
            let v = ledger.describe(key);
            ("negative stock".into(), format!("{} at {}: {balance}", v.item, v.site))
        }
        Signal::CountInvalidated { key, counted_at } => {
            let v = ledger.describe(key);
            (
                "count invalidated".into(),
                format!("{} at {} counted {}", v.item, v.site, counted_at.format("%H:%M")),
            )
        }
        _ => ("signal".into(), format!("{s:?}")),
    }
}

const STATUSES: [StockStatus; 8] = [
    StockStatus::Receiving,
    StockStatus::Available,
    StockStatus::Picked,
    StockStatus::QualityHold,
    StockStatus::Damaged,
    StockStatus::Blocked,
    StockStatus::ReturnPending,
    StockStatus::Scrapped,
];

/// The "A day of events" section.
///
/// # Errors
/// Whatever `out` reports.
pub fn day(demo: &Demo, out: &mut dyn Write) -> io::Result<()> {
    let Some(run) = &demo.day else {
        return writeln!(out, "(no day of events for this network)");
    };
    let ledger = &run.ledger;
    let count = |f: fn(&Outcome) -> bool| run.outcomes.iter().filter(|(_, o)| f(o)).count();
    writeln!(
        out,
        "Monday 5 January 2026 on the demo network: {} events submitted; {} accepted, {} held for\napproval, {} duplicate, {} rejected. Each is validated whole before anything moves.",
        run.outcomes.len(),
        count(|o| matches!(o, Outcome::Accepted { .. })),
        count(|o| matches!(o, Outcome::Pending(_))),
        count(|o| matches!(o, Outcome::Duplicate)),
        count(|o| matches!(o, Outcome::Rejected(_))),
    )?;
    writeln!(out)?;
    let mut t = Table::new(&["time", "site", "event", "outcome", "what"]);
    let mut signals: Vec<(String, String, String)> = Vec::new();
    for (e, o) in &run.outcomes {
        let time = e.event.effective_at.format("%H:%M").to_string();
        let outcome = match o {
            Outcome::Accepted { deltas, signals: s } => {
                for sig in s {
                    let (kind, detail) = describe_signal(ledger, sig);
                    signals.push((time.clone(), kind, detail));
                }
                match deltas {
                    0 => "accepted".to_owned(),
                    1 => "accepted (1 position)".to_owned(),
                    n => format!("accepted ({n} positions)"),
                }
            }
            Outcome::Pending(needs) => format!("pending: {}", roles(needs)),
            Outcome::Duplicate => "duplicate".to_owned(),
            Outcome::Rejected(_) => "rejected".to_owned(),
        };
        t.row(vec![
            time,
            site_of(&e.event.body),
            e.event.kind().to_string(),
            outcome,
            e.what.to_owned(),
        ]);
        if let Outcome::Rejected(err) = o {
            t.row(vec![
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                format!("  -> {err}"),
            ]);
        }
    }
    t.write(out, 2)?;
    signals_table(signals, out)?;
    positions(ledger, out)?;
    transfers(ledger, out)?;
    pending(ledger, out)?;
    journal(run, out)
}

fn signals_table(signals: Vec<(String, String, String)>, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "Signals raised")?;
    let mut t = Table::new(&["time", "signal", "details"]);
    for (time, kind, detail) in signals {
        t.row(vec![time, kind, detail]);
    }
    t.write(out, 2)
}

fn positions(ledger: &Ledger, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "Positions at the end of the day, in base units, by status (items with stock only)"
    )?;
    let mut t = Table::new(&[
        "site",
        "item",
        ">receiving",
        ">available",
        ">picked",
        ">quality",
        ">damaged",
        ">blocked",
        ">returns",
        ">scrapped",
        ">on hand",
    ]);
    let cat = ledger.catalog();
    for (six, site) in cat.sites() {
        let mut first = true;
        for (iix, item) in cat.items() {
            let by_status: Vec<Decimal> = STATUSES
                .iter()
                .map(|s| {
                    ledger
                        .positions_at(iix, six)
                        .filter(|(k, _)| k.status == *s)
                        .map(|(_, q)| q)
                        .sum()
                })
                .collect();
            if by_status.iter().all(Decimal::is_zero) {
                continue;
            }
            let mut row = vec![
                if first { site.code.to_string() } else { String::new() },
                item.code.to_string(),
            ];
            first = false;
            row.extend(
                by_status.iter().map(|q| if q.is_zero() { String::new() } else { q.to_string() }),
            );
            row.push(ledger.measure(iix, six, Measure::OnHand).to_string());
            t.row(row);
        }
    }
    t.write(out, 2)
}

fn transfers(ledger: &Ledger, out: &mut dyn Write) -> io::Result<()> {
    let cat = ledger.catalog();
    writeln!(out)?;
    writeln!(out, "Transfer orders")?;
    let mut t = Table::new(&[
        "order",
        "from",
        "to",
        "state",
        "item",
        ">requested",
        ">shipped",
        ">received",
        ">in transit",
        "expected",
    ]);
    for order in ledger.transfers() {
        for line in &order.lines {
            let name = |s| cat.site(s).map(|x| x.code.to_string()).unwrap_or_default();
            t.row(vec![
                order.number.to_string(),
                name(order.from),
                name(order.to),
                order.state.to_string(),
                cat.item(line.item).map(|i| i.code.to_string()).unwrap_or_default(),
                line.requested.to_string(),
                line.shipped.to_string(),
                line.received.to_string(),
                line.outstanding().to_string(),
                order
                    .expected_arrival
                    .map(|t| t.format("%a %d %b %H:%M").to_string())
                    .unwrap_or_default(),
            ]);
        }
    }
    t.write(out, 2)
}

fn pending(ledger: &Ledger, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "Pending approvals")?;
    let mut t = Table::new(&["event", "kind", "submitted by", "needs"]);
    for (id, p) in ledger.pending() {
        t.row(vec![
            id.to_string(),
            p.event.kind().to_string(),
            p.event.actor.id.to_string(),
            roles(&p.needs),
        ]);
    }
    t.write(out, 2)
}

fn journal(run: &DayRun, out: &mut dyn Write) -> io::Result<()> {
    let ledger = &run.ledger;
    writeln!(out)?;
    let live = ledger.state_digest().map_err(io::Error::other)?;
    let replayed =
        Ledger::replay(ledger.catalog().clone(), ledger.rules().clone(), run.journal.entries())
            .and_then(|l| l.state_digest())
            .map_err(io::Error::other)?;
    writeln!(
        out,
        "Journal: {} entries chained by SHA-256, head {}",
        run.journal.len(),
        short(&run.journal.head().to_string())
    )?;
    writeln!(
        out,
        "Replayed from empty, the journal rebuilds the same state: digest {} {} live {}",
        short(&replayed.to_string()),
        if replayed == live { "==" } else { "!=" },
        short(&live.to_string()),
    )
}

fn short(hex: &str) -> &str {
    hex.get(..16).unwrap_or(hex)
}
