//! The demo's last section: the exception queue the day left, per role, with the reasons,
//! and the month's KPIs as the network's insight computed them from the same day.

use std::io::{self, Write};

use onhand::Network;
use onhand::control::{By, Change, Exception, Subject};
use onhand::insight::{Dim, Dist, Figure, Grain, Period, Report};
use onhand::master::Role;

use crate::demo::Demo;
use crate::table::Table;

/// What an exception is about, in a few words: a held event by its kind, document and
/// reason (the ledger's pending event), as an approver would look for it, rather than by
/// its id.
fn about(net: &Network, s: &Subject) -> String {
    match s {
        Subject::Event { event } => match net.ledger().pending_event(event) {
            Some(held) => {
                let e = &held.event;
                format!("{} {} ({})", e.kind(), e.reference.number, e.reason)
            }
            None => format!("event {event}"),
        },
        Subject::Line { order, line } => format!("{order}/{line}"),
        Subject::ItemSite { item, site, lot: None } => format!("{item} at {site}"),
        Subject::ItemSite { item, site, lot: Some(lot) } => format!("{item} lot {lot} at {site}"),
        Subject::Transfer { transfer, item: None } => transfer.to_string(),
        Subject::Transfer { transfer, item: Some(item) } => format!("{transfer} {item}"),
        Subject::Receipt { order } => order.to_string(),
        Subject::Entities { seller, buyer } => format!("{seller} -> {buyer}"),
        Subject::Record { violation, record } => format!("{violation} on {record}"),
    }
}

/// Why an exception is where it is: its last step.
fn reason(e: &Exception) -> String {
    let Some(step) = e.history.last() else { return String::new() };
    let by = match &step.by {
        By::Signal => "signal".to_owned(),
        By::Escalation => "escalation".to_owned(),
        By::Actor(a) => a.to_string(),
    };
    let what = match &step.change {
        Change::Raised => "raised".to_owned(),
        Change::Updated => format!("updated ({} signals)", e.signals),
        Change::Escalated { level, .. } => format!("escalated to level {level}"),
        other => format!("{other:?}").to_lowercase(),
    };
    format!("{what} by {by} at {}", step.at.format("%H:%M"))
}

/// The exception queue at the end of the demo day, per role in rank order, and the
/// month's KPI table.
///
/// # Errors
/// Whatever `out` reports.
pub fn queue(demo: &Demo, out: &mut dyn Write) -> io::Result<()> {
    let Some(run) = &demo.day else {
        return writeln!(out, "(no day of events for this network)");
    };
    write_queue(&run.network, "the day", out)?;
    writeln!(
        out,
        "\nThe order figures are the day's five customer orders, booked before their picks\n\
         (section 9; the morning's orders in section 10 were allocated on a copy). The\n\
         next section has the order KPIs of the weeks before the day."
    )
}

/// The network's exception queue, per role in rank order, and the KPI table of the
/// month it is in; `what` names the run in the opening line ("the day").
///
/// # Errors
/// Whatever `out` reports.
pub fn write_queue(net: &Network, what: &str, out: &mut dyn Write) -> io::Result<()> {
    let control = net.control();
    writeln!(
        out,
        "The outcomes of {what} raised {} exception(s); {} are active at the end. Each\nrole's queue is ranked by service-level breach, then value at risk, then order lines,\nthen age (every site's queue merged).",
        control.exceptions().count(),
        control.active_len(),
    )?;
    for role in Role::ALL {
        let mut mine: Vec<&Exception> = control
            .exceptions()
            .filter(|e| e.state.is_active() && e.roles.contains(role))
            .collect();
        if mine.is_empty() {
            continue;
        }
        mine.sort_by_key(|e| {
            (e.breach_at(), std::cmp::Reverse(e.reference_value), e.raised_at, e.id)
        });
        writeln!(out, "\n{role:?}")?;
        let mut t =
            Table::new(&["#", "kind", "about", "site", "priority", "at risk", "breach", "why"]);
        for e in mine {
            t.row(vec![
                e.id.to_string(),
                e.kind.code().to_owned(),
                about(net, &e.subject),
                e.site.as_ref().map_or_else(|| "network".to_owned(), ToString::to_string),
                format!("{:?}", e.priority).to_lowercase(),
                format!("{} {}", e.impact.value, e.impact.currency),
                e.breach_at().format("%a %H:%M").to_string(),
                reason(e),
            ]);
        }
        t.write(out, 2)?;
    }
    let period = Period::containing(Grain::Month, net.now().date_naive());
    match net.kpi_report(period) {
        Ok(report) => {
            writeln!(
                out,
                "\nKPIs of {period} across the network (exact ratios; n/a: no data yet)"
            )?;
            write_kpis(&report, out)
        }
        Err(e) => writeln!(out, "\nKPIs {period}: {e}"),
    }
}

/// The network-wide figures of a KPI report, a row each (`n/a`: no data yet).
///
/// # Errors
/// Whatever `out` reports.
pub fn write_kpis(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let na = || "n/a".to_owned();
    let network = |d: &Dim| *d == Dim::Network;
    let orders = report.orders.iter().find(|(d, _)| network(d)).map(|(_, o)| o);
    let counts = report.counts.iter().find(|(d, _)| network(d)).map(|(_, c)| c);
    let transfers = report.transfers.iter().find(|(d, _)| network(d)).map(|(_, t)| t);
    let adjustments = report.adjustments.iter().find(|(d, _)| network(d)).map(|(_, a)| a);
    let hours = |f: &Figure<Dist>| match f {
        Figure::Value(d) => format!(
            "{}h median, {}h p90 ({} orders)",
            Dist::hours(d.p50_secs),
            Dist::hours(d.p90_secs),
            d.count
        ),
        Figure::NotEnoughData { .. } => na(),
    };
    let mut t = Table::new(&["figure", "value"]);
    for (name, value) in [
        ("unit fill rate (requested date)", orders.map(|o| o.fill_requested.units.to_string())),
        ("line fill rate (requested date)", orders.map(|o| o.fill_requested.lines.to_string())),
        (
            "order fill rate (requested date)",
            orders.and_then(|o| o.fill_requested.orders.as_ref()).map(ToString::to_string),
        ),
        ("order promise accuracy", orders.map(|o| o.promise_accuracy.to_string())),
        (
            "perfect order fulfillment",
            orders.and_then(|o| o.perfect_order.as_ref()).map(|p| p.perfect.to_string()),
        ),
        ("order fulfillment cycle time", orders.and_then(|o| o.cycle_time.as_ref()).map(hours)),
        ("inventory record accuracy", counts.map(|c| c.accuracy.to_string())),
        ("count variance recurrence", counts.map(|c| c.recurrence.to_string())),
        (
            "transfer lines requested / shipped",
            transfers.map(|t| format!("{} / {}", t.requested, t.shipped)),
        ),
        ("transfer receipt accuracy", transfers.map(|t| t.receipt_accuracy.to_string())),
        ("manual adjustments", adjustments.map(|a| a.count.to_string())),
    ] {
        t.row(vec![name.to_owned(), value.unwrap_or_else(na)]);
    }
    t.write(out, 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The day's held adjustment is listed for the supervisor by what an approver looks
    // for (its kind, document and reason), not by its event id.
    #[test]
    fn a_held_event_is_shown_by_its_document() {
        let demo = Demo::builtin().unwrap();
        let mut out = Vec::new();
        queue(&demo, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let supervisor = text.split("\nSupervisor\n").nth(1).unwrap();
        let row = supervisor.lines().find(|l| l.contains("pending_approval")).unwrap();
        assert!(row.contains("adjustment ADJ-41 (LOST)"), "{row}");
        assert!(!text.contains("event 0000"), "an event shown by its id");
    }
}
