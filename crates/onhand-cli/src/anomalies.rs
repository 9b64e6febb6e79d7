//! The demo's last section, the anomalies of its day: the day's events played again on
//! a network that first imported the twelve weeks before it ([`crate::history`], the
//! figures of the system onhand replaces, with four anomalies planted), then every
//! detector run as of the day. Each flag names its figure, the baseline it was held
//! against, by how much, and the test; the detectors that lacked data say so. The KPIs
//! of the history's last full month come first: the baseline the day is read against.

use std::io::{self, Write};

use onhand::Network;
use onhand::insight::{DetectConfig, Detector, Findings, Grain, Period, Report};

use crate::day::DayRun;
use crate::demo::Demo;
use crate::table::Table;

/// Writes the section.
///
/// # Errors
/// Whatever `out` reports.
pub fn anomalies(demo: &Demo, out: &mut dyn Write) -> io::Result<()> {
    let Some(run) = &demo.day else {
        return writeln!(out, "(no day of events for this network)");
    };
    let OnHistory { findings, records, month, kpis } = match day_on_history(demo, run) {
        Ok(f) => f,
        Err(e) => return writeln!(out, "The detectors could not run: {e}"),
    };
    writeln!(
        out,
        "The day's events played again on a network that first imported the {} weeks\n\
         before it: {records} KPI records of the system onhand replaces, generated with\n\
         anomalies planted. The KPIs of the history's last full month come first; then\n\
         every detector, run as of {}.\n\
         Each flag names its figure, the baseline it was held against and the test.",
        crate::history::WEEKS,
        findings.as_of.format("%A %-d %B %Y"),
    )?;
    writeln!(out, "\nKPIs of {month} across the network (exact ratios; n/a: no data)")?;
    crate::queue::write_kpis(&kpis, out)?;
    writeln!(out, "\nAnomalies as of the day")?;
    if findings.anomalies.is_empty() {
        writeln!(out, "  nothing out of the ordinary")?;
    } else {
        let mut t = Table::new(&["detector", "finding"]);
        for a in &findings.anomalies {
            t.row(vec![detector(a.detector).to_owned(), a.to_string()]);
        }
        t.write(out, 2)?;
    }
    let thin: Vec<String> = findings
        .thin
        .iter()
        .filter(|t| t.count > 0)
        .map(|t| {
            format!(
                "{} {}(s) for {} (each under {})",
                t.count,
                t.subjects.replace('_', "-"),
                detector(t.detector),
                t.min_sample
            )
        })
        .collect();
    if !thin.is_empty() {
        writeln!(out, "\nNot tested for want of data: {}.", thin.join("; "))?;
    }
    Ok(())
}

/// The day played over its history: what the detectors find as of the day, how many
/// history records were imported, and the KPIs of the last full month before the day.
pub struct OnHistory {
    /// The detectors' findings as of the day.
    pub findings: Findings,
    /// History records imported.
    pub records: usize,
    /// The last full month before the day.
    pub month: Period,
    /// Its KPIs.
    pub kpis: Report,
}

/// Plays the day on top of its history (see [`OnHistory`]).
///
/// # Errors
/// The history not generating or importing, an event of the day refused on the
/// history's network where the day's own network took it (or the other way round), or
/// a detector refusing its configuration, as text (defects: the crate's tests run it).
pub fn day_on_history(demo: &Demo, run: &DayRun) -> Result<OnHistory, String> {
    let history = crate::history::demo_history()?;
    let mut n = Network::new(demo.master.clone(), run.rules.clone(), run.config.clone(), run.start)
        .map_err(|e| e.to_string())?;
    n.import_insight(&history).map_err(|e| e.to_string())?;
    for (e, outcome) in &run.outcomes {
        // The same day: each event fares as it did on the day's own network.
        if n.apply(&e.event).is_ok() != outcome.is_ok() {
            return Err(format!("{}: another outcome on top of the history", e.what));
        }
    }
    let insight = n.insight().ok_or("insight is off")?;
    let as_of = run.network.now().date_naive();
    // Lanes: the last complete week, the one the day's Monday report looks back on (the
    // weeks before it are its baseline).
    let cfg = DetectConfig {
        report_from: as_of.checked_sub_days(chrono::Days::new(7)),
        ..DetectConfig::default()
    };
    let findings = insight.detect(as_of, &cfg).map_err(|e| e.to_string())?;
    let this = Period::containing(Grain::Month, as_of);
    let month = Period::containing(Grain::Month, this.start().pred_opt().unwrap_or(as_of));
    let kpis = insight.report(month).map_err(|e| e.to_string())?;
    Ok(OnHistory { findings, records: history.len(), month, kpis })
}

fn detector(d: Detector) -> &'static str {
    match d {
        Detector::RecurringCountVariance => "recurring count variance",
        Detector::SupplierFollowUps => "trouble after receipts",
        Detector::TransferFrequency => "unusual transfer count",
        Detector::TransferValue => "unusual transfer value",
        Detector::ItemNewToLane => "item new to a lane",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use onhand::insight::Subject;

    /// The four anomalies planted in the history (and the day) are found, and nothing
    /// about what was planted clean: the lane Atlanta to Boston, ACME, inventory
    /// control's counts.
    #[test]
    fn the_planted_anomalies_are_found_and_nothing_else() {
        let demo = Demo::builtin().unwrap();
        let OnHistory { findings, records, kpis, .. } =
            day_on_history(&demo, demo.day.as_ref().unwrap()).unwrap();
        // The month before the day has order figures: fill rates below one (some lines
        // late or short), every order promised.
        let orders = kpis.orders.iter().find(|(d, _)| *d == onhand::insight::Dim::Network);
        let fill = orders.unwrap().1.fill_requested.lines;
        assert!(
            fill.numerator < fill.denominator
                && fill.numerator * onhand::master::Decimal::TWO > fill.denominator
        );
        assert!(records > 1_000, "{records}");
        let about: Vec<(Detector, String)> = findings
            .anomalies
            .iter()
            .map(|a| {
                let s = match &a.subject {
                    Subject::ItemSite { item, site } => format!("{item}@{site}"),
                    Subject::Counter(c) => c.to_string(),
                    Subject::Supplier(s) => s.to_string(),
                    Subject::Lane { from, to } => format!("{from}>{to}"),
                    Subject::LaneItem { from, to, item, .. } => format!("{item} {from}>{to}"),
                    Subject::Shift { site, shift } => format!("{site}#{shift}"),
                };
                (a.detector, s)
            })
            .collect();
        let want = [
            (Detector::RecurringCountVariance, "BOLT-M8@LAX"),
            (Detector::RecurringCountVariance, "picker"),
            (Detector::SupplierFollowUps, "POLYCHEM"),
            (Detector::TransferValue, "ORD>YYZ"),
            (Detector::ItemNewToLane, "BOLT-M8 ORD>ATL"),
        ];
        let want: Vec<(Detector, String)> =
            want.iter().map(|(d, s)| (*d, (*s).to_owned())).collect();
        assert_eq!(about, want);
        // Each rate or band flag says what it was held against: a baseline below what was
        // seen (an item new to a lane is the other way: none before, against the lane's
        // requests).
        for a in &findings.anomalies {
            let above = a.observed > a.baseline;
            assert_eq!(above, a.detector != Detector::ItemNewToLane, "{a:?}");
        }
        let mut out = Vec::new();
        anomalies(&demo, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("supplier POLYCHEM") && text.contains("lane ORD>YYZ in 2026-W01"));
    }
}
