//! The demo's day of events: `onhand::ledger::seed::demo_day` applied to an
//! [`onhand::Network`] on the demo network, one call per event, so availability, costs,
//! replenishment and signals follow the ledger; journaled, and replayed to show the whole
//! network is a fold of its journal.
//!
//! The network's settings are the demo's input ([`settings`]): the standard rules, NA01
//! selling to CA01 at cost plus 10%, the day's exchange rates, availability and
//! replenishment settings. There is no price list: the day's receipts carry their
//! purchase orders' prices.

use std::io::{self, Write};
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use onhand::atp::{
    AtpConfig, Consumption, DemandClass, Horizon, QuotaAmount, QuotaEntry, QuotaRule,
};
use onhand::ledger::Event;
use onhand::ledger::seed::{Expect, demo_day};
use onhand::ledger::{Body, Ledger, Rules, testing};
use onhand::master::{Catalog, CurrencyCode, Decimal};
use onhand::scenario::{
    Builtin, Expect as ScenarioExpect, NetworkSpec, OutcomeKind, Report, RulesSpec, Scenario, Step,
    Timeline,
};
use onhand::status::{Measure, StockStatus};
use onhand::valuation::{Agreement, PriceRule, Rate, TitlePoint, ValuationConfig};
use onhand::{
    AtpSettings, Decision, Error, Network, NetworkConfig, Outcome, ReplenishSettings, Signal,
};

use crate::demo::Demo;
use crate::table::Table;

/// The demo's exchange rate, CAD per USD.
pub const USD_CAD: &str = "1.36";

/// The demo's rate back, USD per CAD (1 / 1.36 to four places).
pub const CAD_USD: &str = "0.7353";

/// The demo day as a scenario file, shipped with the CLI: the demo's settings and each
/// of the day's events with the outcome it must have. `onhand demo` runs it; `onhand run`
/// runs it step by step (`onhand export-demo --scenario` prints it).
pub const DEMO_SCENARIO: &str = include_str!("../scenarios/demo-day.toml");

/// The name [`DEMO_SCENARIO`] goes by in messages.
pub const DEMO_SCENARIO_FILE: &str = "demo-day.toml";

/// One event of the day, as the scenario narrates it.
#[derive(Debug, Clone)]
pub struct DayEvent {
    /// What happens, in a few words (the step's note).
    pub what: String,
    /// The event.
    pub event: Event,
    /// What the network should do with it.
    pub expect: Expect,
}

/// A customer order booked during the day, as the scenario run reports it.
#[derive(Debug, Clone)]
pub struct DayBooking {
    /// How many of the day's events came before it.
    pub after: usize,
    /// What it is (the step's note).
    pub what: String,
    /// What happened, a line each: the confirmation, its schedule lines, its signals.
    pub happened: Vec<String>,
}

/// The day, run through the network.
#[derive(Debug, Clone)]
pub struct DayRun {
    /// The network at the end of the day.
    pub network: Network,
    /// The ledger's rules the network was built with.
    pub rules: Rules,
    /// The rest of its settings.
    pub config: NetworkConfig,
    /// When the network started (the day's first event).
    pub start: DateTime<Utc>,
    /// Each event with what the network made of it, in submission order (an `Err` is
    /// refused: nothing changed).
    pub outcomes: Vec<(DayEvent, Result<Outcome, Error>)>,
    /// The customer orders booked between the events, in order.
    pub bookings: Vec<DayBooking>,
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn date(d: u32) -> Result<NaiveDate, String> {
    NaiveDate::from_ymd_opt(2026, 1, d).ok_or_else(|| format!("no date 2026-01-{d}"))
}

/// The demo network's rules and settings: the standard rules in USD (actors as the
/// events name them); NA01 sells to CA01 at cost plus 10% in USD with title at shipment;
/// USD 1 = CAD 1.36 and CAD 1 = USD 0.7353; promises check up to each item-site's lead
/// time, protect fixed safety stock for priorities 1 and 2, and share nuts 3:1 between
/// retail and everyone else this week and next; the regional warehouses, the branch
/// and the 3PL plan their items against reorder points
/// ([`crate::replenishing::plans`]).
///
/// # Errors
/// A code literal that does not parse (a defect here; the crate's tests run it).
pub fn settings(catalog: &Catalog) -> Result<(Rules, NetworkConfig), String> {
    let usd: CurrencyCode = "USD".parse().map_err(err)?;
    let cad: CurrencyCode = "CAD".parse().map_err(err)?;
    let dec = |s: &str| s.parse::<Decimal>().map_err(err);
    let retail =
        DemandClass { group: Some("RETAIL".parse().map_err(err)?), ..DemandClass::default() };
    let nuts = QuotaRule {
        item: "NUT-M8".parse().map_err(err)?,
        periods: vec![date(5)?, date(12)?],
        consumption: Consumption::Cumulative,
        entries: vec![QuotaEntry { class: retail, amount: QuotaAmount::Ratio(3) }],
        collective: Some(QuotaAmount::Ratio(1)),
    };
    let config = NetworkConfig {
        valuation: ValuationConfig {
            agreements: vec![Agreement {
                seller: "NA01".parse().map_err(err)?,
                buyer: "CA01".parse().map_err(err)?,
                price: PriceRule::CostPlus { markup: dec("0.10")? },
                currency: usd,
                title: TitlePoint::Shipment,
            }],
            ..ValuationConfig::default()
        },
        atp: AtpSettings {
            engine: AtpConfig { horizon: Horizon::LeadTime },
            quotas: vec![nuts],
            protect_safety_stock: Some(2),
        },
        replenish: ReplenishSettings { item_sites: crate::replenishing::plans(catalog)? },
        rates: vec![
            Rate { from: usd, to: cad, rate: dec(USD_CAD)? },
            Rate { from: cad, to: usd, rate: dec(CAD_USD)? },
        ],
        partition: None,
        insight: onhand::InsightSettings::default(),
        control: onhand::ControlSettings::default(),
    };
    Ok((Rules::standard(usd).trusting_event_actors(), config))
}

/// The network's time before the day's first event (04:00; the first receipt is
/// recorded at 06:00).
fn day_start() -> DateTime<Utc> {
    testing::at(0) - Duration::hours(2)
}

/// The demo day as a scenario: [`settings`] and the ledger's seed day
/// ([`demo_day`]), one step per event with its narration as the note and the outcome
/// the network gives it (with the error code of a refusal) as the expectation.
/// [`DEMO_SCENARIO`] is this, written out; a test keeps the two the same.
///
/// # Errors
/// As [`settings`], and a seed event the network cannot decide (a defect).
pub fn demo_scenario(catalog: &Catalog) -> Result<Scenario, String> {
    let (rules, config) = settings(catalog)?;
    let start = day_start();
    let mut network =
        Network::with_catalog(Arc::new(catalog.clone()), rules.clone(), config.clone(), start)
            .map_err(err)?;
    let mut steps = Vec::new();
    // A step's `at` is when the event reaches the network: its recorded time, or later
    // for one recorded before an event already submitted (written only when time moves).
    let mut now = start;
    let orders = day_orders()?;
    for e in demo_day().map_err(err)? {
        // A customer order is booked just before its first pick, so the pick and the
        // shipment use up its allocation and the day has order lines to measure.
        if let Body::Pick(_) = &e.event.body
            && let Some(req) = orders.iter().find(|r| r.order == e.event.reference.number)
            && network.booked(&req.reference()).is_err()
        {
            network.allocate(req).map_err(err)?;
            steps.push(Step {
                note: Some(format!(
                    "{} orders {} {}",
                    req.customer
                        .as_ref()
                        .map(onhand::master::CustomerCode::as_str)
                        .unwrap_or_default(),
                    req.qty,
                    req.item
                )),
                allocate: Some(req.clone()),
                ..Step::default()
            });
        }
        let at = (e.event.recorded_at > now).then_some(e.event.recorded_at);
        now = now.max(e.event.recorded_at);
        // A refusal the seed expects is written as its error code; anything else as the
        // outcome the seed narrates (the test of the shipped file checks they agree).
        let (error, outcome) = match (&e.expect, network.apply(&e.event)) {
            (Expect::Rejected, Err(x)) => (Some(x.code().to_owned()), None),
            _ => (None, Some(expected_kind(e.expect))),
        };
        steps.push(Step {
            note: Some(e.what.to_owned()),
            at,
            event: Some(Box::new(e.event)),
            expect: Some(ScenarioExpect { outcome, error, ..ScenarioExpect::default() }),
            ..Step::default()
        });
    }
    Ok(Scenario {
        format: onhand::scenario::FORMAT,
        name: "The demo day: Monday 5 January 2026 on the demo network".to_owned(),
        start,
        network: NetworkSpec { builtin: Some(Builtin::Demo), master: None },
        rules: RulesSpec {
            currency: Some(rules.currency),
            trust_event_actors: true,
            ..RulesSpec::default()
        },
        config,
        actors: std::collections::BTreeMap::new(),
        check_invariants: true,
        steps,
    })
}

/// The day's customer orders, one line each (the seed day picks and ships them): order,
/// customer, item, quantity, wanted on (January).
const DAY_ORDERS: [(&str, &str, &str, &str, u32); 5] = [
    ("SO-5001", "HOMEPRO", "BOLT-M8", "180 EA", 7),
    ("SO-5002", "HOMEPRO", "GLOVE-NIT", "25 EA", 7),
    ("SO-5003", "BUILDCO", "NUT-M8", "600 EA", 7),
    ("SO-5004", "WESTFAB", "BOLT-M8", "120 EA", 7),
    ("SO-5005", "LONESTAR", "GLOVE-NIT", "40 EA", 7),
];

fn day_orders() -> Result<Vec<onhand::OrderRequest>, String> {
    DAY_ORDERS
        .iter()
        .map(|(order, customer, item, qty, day)| {
            Ok(onhand::OrderRequest::new(
                order.parse().map_err(err)?,
                1,
                customer.parse().map_err(err)?,
                item.parse().map_err(err)?,
                qty.parse().map_err(err)?,
                NaiveDate::from_ymd_opt(2026, 1, *day).ok_or("date")?,
            ))
        })
        .collect()
}

/// The first lines of [`DEMO_SCENARIO`].
const SCENARIO_HEADER: &str = "\
# The onhand demo day as a scenario: the built-in demo network, the demo's settings, and
# Monday 5 January 2026's events, each with the outcome it must have. `onhand demo` runs
# this file; `onhand run demo-day.toml` prints it step by step; `onhand check` checks it.
#
# The events are written out in full (`event`), with their own ids, times and actors:
# the ledger's seed day (`onhand::ledger::seed::demo_day`) as data. The rules trust the
# roles events carry (`trust_event_actors`): the demo's host authenticates upstream.
# Generated from the seed by `demo_scenario_text` (ONHAND_BLESS=1 cargo test -p
# onhand-cli the_shipped_scenario); a test fails when the two differ.

";

/// [`demo_scenario`] as the TOML text of [`DEMO_SCENARIO`].
///
/// # Errors
/// As [`demo_scenario`], and a serializer error (a defect).
pub fn demo_scenario_text(catalog: &Catalog) -> Result<String, String> {
    let s = demo_scenario(catalog)?;
    toml::to_string(&s).map(|t| format!("{SCENARIO_HEADER}{t}")).map_err(err)
}

fn expected_kind(e: Expect) -> OutcomeKind {
    match e {
        Expect::Accepted => OutcomeKind::Accepted,
        Expect::Pending => OutcomeKind::Pending,
        Expect::Duplicate => OutcomeKind::Duplicate,
        Expect::Rejected => OutcomeKind::Rejected,
    }
}

fn seed_expect(k: OutcomeKind) -> Expect {
    match k {
        OutcomeKind::Accepted => Expect::Accepted,
        OutcomeKind::Pending => Expect::Pending,
        OutcomeKind::Duplicate => Expect::Duplicate,
        OutcomeKind::Rejected => Expect::Rejected,
    }
}

/// [`DEMO_SCENARIO`], parsed.
///
/// # Errors
/// The parse error (a defect: the crate's tests parse it).
pub fn shipped_scenario() -> Result<Scenario, String> {
    crate::scenarios::parse_scenario(DEMO_SCENARIO_FILE, DEMO_SCENARIO, crate::input::Format::Toml)
        .map(|f| f.scenario)
        .map_err(err)
}

impl DayRun {
    /// Runs the shipped demo-day scenario ([`DEMO_SCENARIO`]) with
    /// [`onhand::scenario::play`] on the network it names (the built-in demo network).
    ///
    /// # Errors
    /// The scenario does not parse or cannot run, or a step is neither an event nor an
    /// order booked (defects; the crate's tests run it).
    pub fn run() -> Result<Self, String> {
        Self::play(false).map(|(day, _)| day)
    }

    /// Runs the day as [`DayRun::run`] does, recording the network's figures after every
    /// event. Each event is a scenario step with two checks: its outcome against the one
    /// the scenario expects, and the network's cross-engine invariants
    /// ([`Network::check`]). The report and timeline are what `onhand demo --html`
    /// draws.
    ///
    /// # Errors
    /// As [`DayRun::run`], and a figure the network cannot read back (a defect).
    pub fn recorded() -> Result<(Self, Report, Timeline), String> {
        let (day, played) = Self::play(true)?;
        let timeline = played.1.ok_or("the run recorded no timeline")?;
        Ok((day, played.0, timeline))
    }

    fn play(record: bool) -> Result<(Self, (Report, Option<Timeline>)), String> {
        let s = shipped_scenario()?;
        let played = onhand::scenario::play(&s, record).map_err(err)?;
        // The rules and settings are the file's, as the network was built with them.
        let rules = played.network.ledger().rules().clone();
        let config = s.config;
        let mut outcomes = Vec::with_capacity(s.steps.len());
        let mut bookings = Vec::new();
        for ((n, step), outcome) in s.steps.into_iter().enumerate().zip(played.events) {
            // The day's customer orders are booked between its events.
            if step.event.is_none() && step.allocate.is_some() {
                let happened =
                    played.report.steps.get(n).map(|r| r.happened.clone()).unwrap_or_default();
                let what = step.note.unwrap_or_default();
                bookings.push(DayBooking { after: outcomes.len(), what, happened });
                continue;
            }
            let (Some(event), Some(outcome)) = (step.event, outcome) else {
                return Err(format!("{DEMO_SCENARIO_FILE}: step {} is not an event", n + 1));
            };
            let x = step.expect.unwrap_or_default();
            let expect = seed_expect(x.outcome.unwrap_or(OutcomeKind::Rejected));
            let what = step.note.unwrap_or_default();
            outcomes.push((DayEvent { what, event: *event, expect }, outcome));
        }
        let day =
            DayRun { network: played.network, rules, config, start: s.start, outcomes, bookings };
        Ok((day, (played.report, played.timeline)))
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

fn roles(r: &[onhand::master::Role]) -> String {
    r.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(", ")
}

/// A signal's kind and details, in one line each.
pub(crate) fn describe_signal(s: &Signal) -> (String, String) {
    let (kind, detail) = match s {
        Signal::BelowReorderPoint { recommendation: r } => (
            "below reorder point",
            format!(
                "{} at {}: position {}, reorder point {}; best: {} {}",
                r.item,
                r.site,
                r.position,
                r.reorder_point,
                r.best.action.kind(),
                r.best.qty
            ),
        ),
        Signal::LineShort { line, item, site, short } => {
            ("booked line short", format!("{line} {item} at {site}: short {short}"))
        }
        Signal::VarianceOverTolerance { item, site, bin, book, counted, tolerance } => (
            "count variance over tolerance",
            format!(
                "{item} at {site} {}: book {book}, counted {counted}, tolerance {tolerance}",
                bin.as_ref().map(ToString::to_string).unwrap_or_default()
            ),
        ),
        Signal::StockOnHold { item, site, status, qty } => {
            ("stock on hold", format!("{qty} {item} at {site} in {status}"))
        }
        Signal::StockReleased { item, site, status, qty } => {
            ("stock released", format!("{qty} {item} at {site} from {status}"))
        }
        Signal::PendingApproval { event, needs } => {
            ("pending approval", format!("{event} needs {}", roles(needs)))
        }
        Signal::Released { event } => ("approved and applied", event.to_string()),
        Signal::Rejected { event } => ("approval refused", event.to_string()),
        Signal::TransferDiscrepancy { transfer, item, short, over, damaged } => (
            "transfer discrepancy",
            format!("{transfer} {item}: short {short}, over {over}, damaged {damaged}"),
        ),
        Signal::TransferOverdue { transfer, from, to, expected } => (
            "transfer overdue",
            format!("{transfer} {from} -> {to} expected {}", expected.format("%d %b %H:%M")),
        ),
        Signal::ExpectedReceiptOverdue { order, line, item, site, due, open, .. } => (
            "purchase order overdue",
            format!("{order}/{line} {item} at {site}: {open} due {}", due.format("%d %b")),
        ),
        Signal::NegativeStock { item, site, balance } => {
            ("negative stock", format!("{item} at {site}: {balance}"))
        }
        Signal::CountInvalidated { item, site, counted_at } => (
            "count invalidated",
            format!("{item} at {site} counted {}", counted_at.format("%H:%M")),
        ),
        Signal::ReservationExpired { line } => ("reservation expired", line.to_string()),
        other => ("signal", format!("{other:?}")),
    };
    (kind.to_owned(), detail)
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
    let decided =
        |f: fn(&Result<Outcome, Error>) -> bool| run.outcomes.iter().filter(|(_, o)| f(o)).count();
    writeln!(
        out,
        "Monday 5 January 2026 on the demo network: {} events submitted; {} accepted, {} held for\napproval, {} duplicate, {} rejected. Each is validated whole before anything moves, and\none call per event keeps availability, costs, replenishment and signals in step.",
        run.outcomes.len(),
        decided(|o| o.as_ref().is_ok_and(|o| o.decision == Decision::Accepted)),
        decided(|o| o.as_ref().is_ok_and(|o| matches!(o.decision, Decision::Pending { .. }))),
        decided(|o| o.as_ref().is_ok_and(|o| o.decision == Decision::Duplicate)),
        decided(Result::is_err),
    )?;
    writeln!(
        out,
        "The day is a scenario file shipped with onhand, {DEMO_SCENARIO_FILE} (`onhand export-demo\n--scenario` prints it; `onhand run` on it prints every step and checks each outcome)."
    )?;
    writeln!(out)?;
    let mut t = Table::new(&["time", "site", "event", "outcome", "what"]);
    let mut signals: Vec<(String, String, String)> = Vec::new();
    let mut bookings = run.bookings.iter().peekable();
    for (i, (e, o)) in run.outcomes.iter().enumerate() {
        let time = e.event.effective_at.format("%H:%M").to_string();
        // The orders booked before this event, at its time.
        while let Some(b) = bookings.next_if(|b| b.after <= i) {
            let mut lines = b.happened.iter().map(|l| l.trim());
            let confirmed = lines.next().unwrap_or_default();
            let site = b
                .happened
                .get(1)
                .and_then(|l| l.split_whitespace().next())
                .unwrap_or_default()
                .to_owned();
            let line = confirmed.split(':').next().unwrap_or_default();
            for sig in lines.filter_map(|l| l.strip_prefix("signal ")) {
                let kind = sig.replace('_', " ");
                signals.push((time.clone(), kind, format!("booking {line}: {}", b.what)));
            }
            t.row(vec![
                time.clone(),
                site,
                "order".to_owned(),
                "booked".to_owned(),
                format!("{}: {confirmed}", b.what),
            ]);
        }
        let outcome = match o {
            Ok(o) => {
                for sig in &o.signals {
                    let (kind, detail) = describe_signal(sig);
                    signals.push((time.clone(), kind, detail));
                }
                match &o.decision {
                    Decision::Accepted => match o.positions.len() {
                        0 => "accepted".to_owned(),
                        1 => "accepted (1 position)".to_owned(),
                        n => format!("accepted ({n} positions)"),
                    },
                    Decision::Pending { needs } => format!("pending: {}", roles(needs)),
                    Decision::Duplicate => "duplicate".to_owned(),
                }
            }
            Err(_) => "rejected".to_owned(),
        };
        t.row(vec![
            time,
            site_of(&e.event.body),
            e.event.kind().to_string(),
            outcome,
            e.what.clone(),
        ]);
        if let Err(err) = o {
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
    let ledger = run.network.ledger();
    positions(ledger, out)?;
    transfers(ledger, out)?;
    pending(ledger, out)?;
    journal(demo, run, out)
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

pub(crate) fn positions(ledger: &Ledger, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "Positions at the end, in base units, by status (items with stock only)")?;
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

pub(crate) fn transfers(ledger: &Ledger, out: &mut dyn Write) -> io::Result<()> {
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

pub(crate) fn pending(ledger: &Ledger, out: &mut dyn Write) -> io::Result<()> {
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

fn journal(demo: &Demo, run: &DayRun, out: &mut dyn Write) -> io::Result<()> {
    let network = &run.network;
    writeln!(out)?;
    let live = network.digest().map_err(io::Error::other)?;
    let entries = network.journal().entries();
    let replayed = Network::replay(
        demo.master.clone(),
        run.rules.clone(),
        run.config.clone(),
        run.start,
        entries,
    )
    .and_then(|n| n.digest())
    .map_err(io::Error::other)?;
    writeln!(
        out,
        "Journal: {} entries chained by SHA-256, head {}",
        entries.len(),
        short(&network.journal().head().digest.to_string())
    )?;
    writeln!(
        out,
        "Replayed from empty, the journal rebuilds the whole network (stock, bookings, costs):"
    )?;
    writeln!(
        out,
        "digest {} {} live {}",
        short(&replayed.to_string()),
        if replayed == live { "==" } else { "!=" },
        short(&live.to_string()),
    )
}

fn short(hex: &str) -> &str {
    hex.get(..16).unwrap_or(hex)
}

#[cfg(test)]
mod tests {
    use onhand::ledger::seed::Expect;

    use super::*;

    // The network decides every event as the seed narrates it, with no price list: the
    // receipts carry their prices, the return names its shipment.
    #[test]
    fn the_day_runs_through_the_network_as_narrated_without_a_price_list() {
        let demo = Demo::builtin().unwrap();
        let run = demo.day.as_ref().unwrap();
        assert!(run.rules.reference_costs.is_empty());
        for (e, o) in &run.outcomes {
            let got = match o {
                Ok(o) => match o.decision {
                    Decision::Accepted => Expect::Accepted,
                    Decision::Pending { .. } => Expect::Pending,
                    Decision::Duplicate => Expect::Duplicate,
                },
                Err(Error::Ledger(_)) => Expect::Rejected,
                Err(other) => panic!("{}: {other}", e.what),
            };
            assert_eq!(got, e.expect, "{}", e.what);
        }
        run.network.check().unwrap();
        // Every receipt was costed: goods received at the purchase prices.
        let received: Decimal = run
            .outcomes
            .iter()
            .filter(|(e, _)| matches!(e.event.body, Body::Receipt(_)))
            .filter_map(|(_, o)| o.as_ref().ok())
            .flat_map(|o| &o.postings)
            .filter(|p| p.key == onhand::valuation::PostingKey::Inventory)
            .filter(|p| p.entity.as_str() == "NA01")
            .map(|p| p.amount)
            .sum();
        // ATL, DFW, ORD, LAX: 480 bolts at 0.085, 1000 nuts at 0.04, 60 gloves at 0.15;
        // 72 and 48 adhesive tubes at 4.20.
        assert_eq!(received.to_string(), "863.20");
    }

    // The shipped file is the seed day with the demo's settings, byte for byte; with
    // ONHAND_BLESS=1 the test writes it instead.
    #[test]
    fn the_shipped_scenario_is_the_seed_day() {
        // Not `Demo::builtin`: that runs the shipped file this test may have to rewrite.
        let demo = Demo::from_network(
            onhand::master::seed::demo_network(),
            onhand::status::demo_status_maps(),
        )
        .unwrap();
        let text = demo_scenario_text(&demo.catalog).unwrap();
        if std::env::var_os("ONHAND_BLESS").is_some() {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/demo-day.toml");
            std::fs::write(path, &text).unwrap();
            return;
        }
        assert!(DEMO_SCENARIO == text, "scenarios/demo-day.toml is stale: run with ONHAND_BLESS=1");
        let parsed = shipped_scenario().unwrap();
        assert_eq!(parsed, demo_scenario(&demo.catalog).unwrap());
    }

    #[test]
    fn the_settings_plan_every_stocked_item_site_with_a_demand() {
        let demo = Demo::builtin().unwrap();
        let (rules, config) = settings(&demo.catalog).unwrap();
        assert!(rules.reference_costs.is_empty());
        let plans = &config.replenish.item_sites;
        assert!(plans.len() > 40, "{}", plans.len());
        // Canadian sites hold at their CAD cost: the USD price at 1.36.
        let cost = |item: &str, site: &str| {
            plans
                .iter()
                .find(|p| p.item.as_str() == item && p.site.as_str() == site)
                .and_then(|p| p.costs)
                .map(|c| c.unit_cost.to_string())
        };
        assert_eq!(cost("BOLT-M8", "ATL").as_deref(), Some("0.085"));
        assert_eq!(cost("BOLT-M8", "YYZ").as_deref(), Some("0.1156"));
    }
}
