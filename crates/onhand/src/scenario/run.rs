//! Playing a scenario: building its network, turning each step into one network call,
//! and checking each expectation against the network's answer.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use onhand_control::{Exception, Subject};
use onhand_insight::{Dim, Figure, Ratio, Report as KpiReport};
use onhand_ledger::{
    Actor, ActorId, ActorRecord, Body, Count, CountLine, DocKind, DocNumber, DocumentRef, Event,
    EventId, Identity, LedgerError, Line, ReasonCode, Rules, SiteLines, SiteScope, TransferLine,
    TransferRequest,
};
use onhand_master::{CurrencyCode, ItemCode, MasterError, Money, Qty, Role, seed};
use onhand_status::StockStatus;
use onhand_valuation::{IcDocument, Posting, PostingKey};
use rust_decimal::Decimal;

use super::report::{Check, Report, StepReport};
use super::timeline::{self, ExceptionLine, Recorder, Timeline};
use super::{
    AdjustSpec, AmountExpect, Builtin, CountSpec, ExceptionExpect, Expect, Expected, FORMAT,
    KpiExpect, KpiName, KpiValue, MoveSpec, OutcomeKind, PromiseExpect, Scenario, Step,
    TransferSpec,
};
use crate::error::Error;
use crate::network::Network;
use crate::orders::{ChangeView, OrderRef, PromiseView};
use crate::outcome::{Decision, Outcome, Signal};
use crate::query::Availability;

/// Why a scenario could not run (as opposed to an expectation that failed, which the
/// [`Report`] holds).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The format version is not one this build reads.
    #[error("format version {found} is not supported (this build reads version {FORMAT})")]
    Format {
        /// The version the scenario gave.
        found: u32,
    },
    /// The network section names neither or both of a built-in network and master data.
    #[error("network: give exactly one of `builtin` and `master`")]
    NetworkSpec,
    /// The network could not be built from the scenario's master data, rules and
    /// configuration.
    #[error("the network cannot be built: {0}")]
    Build(Box<Error>),
    /// The figures after a step could not be read back for the timeline.
    #[error("step {step}: the timeline cannot read the network: {error}")]
    Record {
        /// The step, from 1.
        step: usize,
        /// The network's error.
        error: Box<Error>,
    },
    /// A step is malformed.
    #[error("step {step}, field `{field}`: {what}")]
    Step {
        /// The step, from 1.
        step: usize,
        /// The field at fault.
        field: String,
        /// What is wrong.
        what: String,
    },
}

impl ScenarioError {
    /// A stable snake-case name for the kind of error (`format`, `step`, ...), for logs,
    /// metrics and tests that match on kinds.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            ScenarioError::Format { .. } => "format",
            ScenarioError::NetworkSpec => "network_spec",
            ScenarioError::Build(_) => "build",
            ScenarioError::Record { .. } => "record",
            ScenarioError::Step { .. } => "step",
        }
    }
}

fn step_err(step: usize, field: &str, what: impl std::fmt::Display) -> ScenarioError {
    ScenarioError::Step { step, field: field.to_owned(), what: what.to_string() }
}

/// Runs `scenario` on a fresh network and checks every expectation.
///
/// A step whose call is refused changes nothing (the network's own guarantee); the run
/// goes on, and the refusal fails the step unless it expected it. A failed expectation
/// never stops the run.
///
/// # Errors
/// [`ScenarioError`] when the scenario cannot run at all: an unknown format version, a
/// network that cannot be built, a step with two actions or naming an unknown actor or
/// step.
pub fn run(scenario: &Scenario) -> Result<Report, ScenarioError> {
    play_with(scenario, None, false).map(|p| p.report)
}

/// Runs `scenario` as [`run`] does, and records after every step the figures a report
/// draws: a [`Timeline`]. Recording reads the network after each step, so it costs
/// what [`run`] does not pay.
///
/// # Errors
/// As [`run`]; [`ScenarioError::Record`] when a figure cannot be read back (a defect
/// of the network, never of the scenario).
pub fn run_with_timeline(scenario: &Scenario) -> Result<(Report, Timeline), ScenarioError> {
    let p = play_with(scenario, Some(Recorder::default()), false)?;
    let timeline =
        p.timeline.unwrap_or_else(|| Recorder::default().finish(&scenario.name, scenario.start));
    Ok((p.report, timeline))
}

/// Everything a run leaves behind: its [`Report`], the network as the last step left it,
/// what the network answered to each step that applied a ledger event, and, when asked
/// for, the [`Timeline`].
#[derive(Debug, Clone)]
pub struct Played {
    /// Every step with its checks.
    pub report: Report,
    /// The network after the last step: query it, snapshot it, go on applying to it.
    pub network: Network,
    /// Per step (index 0 is step 1): the network's answer to the ledger event the step
    /// applied (`Err` when it was refused, so nothing changed), or `None` for a step that
    /// applied no event (an order call, a move of time, a check).
    pub events: Vec<Option<Result<Outcome, Error>>>,
    /// The figures after every step, when [`play`] was asked to record them.
    pub timeline: Option<Timeline>,
}

/// Runs `scenario` as [`run`] does and hands back the network and each event's outcome
/// as well as the report ([`Played`]); with `record`, also the [`Timeline`]. This is how
/// a host builds on a scenario: run the rules as data, then read or extend the network
/// in Rust.
///
/// ```
/// use onhand::scenario::{self, Scenario};
///
/// let s: Scenario = serde_json::from_str(r#"{
///   "format": 1, "name": "a receipt", "start": "2026-01-05T08:00:00Z",
///   "network": { "builtin": "demo" }, "check_invariants": true,
///   "rules": { "reference_costs": { "BOLT-M8": "0.085" } },
///   "steps": [ { "note": "two cases arrive at Atlanta",
///                "receipt": { "site": "ATL", "item": "BOLT-M8", "qty": "2 CS", "bin": "PF-A01", "to": "available" } } ]
/// }"#)?;
/// let played = scenario::play(&s, false)?;
/// assert!(played.report.passed(), "{}", played.report.failures_text());
/// // A step without expectations is checked only for being refused, which counts
/// // as a failure, not a check; `check_invariants` adds one check per step.
/// assert_eq!(played.report.checks(), 1);
/// let outcome = played.events[0].clone().expect("the receipt is an event")?;
/// assert_eq!(outcome.positions.len(), 1);
/// assert!(played.network.check().is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// As [`run_with_timeline`].
pub fn play(scenario: &Scenario, record: bool) -> Result<Played, ScenarioError> {
    play_with(scenario, record.then(Recorder::default), true)
}

fn play_with(
    scenario: &Scenario,
    recorder: Option<Recorder>,
    keep: bool,
) -> Result<Played, ScenarioError> {
    if scenario.format != FORMAT {
        return Err(ScenarioError::Format { found: scenario.format });
    }
    let master = match (&scenario.network.builtin, &scenario.network.master) {
        (Some(Builtin::Demo), None) => seed::demo_network(),
        (None, Some(m)) => (**m).clone(),
        _ => return Err(ScenarioError::NetworkSpec),
    };
    let rules = rules(scenario).map_err(|e| ScenarioError::Build(Box::new(e)))?;
    let net = Network::new(master, rules, scenario.config.clone(), scenario.start)
        .map_err(|e| ScenarioError::Build(Box::new(e)))?;
    let mut names = BTreeMap::new();
    for (i, s) in scenario.steps.iter().enumerate() {
        if let Some(n) = &s.name
            && names.insert(n.clone(), i + 1).is_some()
        {
            return Err(step_err(i + 1, "name", format!("the name {n:?} is used twice")));
        }
    }
    let mut runner = Runner {
        scenario,
        net,
        now: scenario.start,
        names,
        postings: Vec::new(),
        recorder,
        keep,
        last: None,
    };
    let mut steps = Vec::with_capacity(scenario.steps.len());
    let mut events = Vec::with_capacity(if keep { scenario.steps.len() } else { 0 });
    for (i, step) in scenario.steps.iter().enumerate() {
        steps.push(runner.step(i + 1, step)?);
        if keep {
            events.push(runner.last.take());
        }
    }
    let timeline = runner.recorder.map(|r| r.finish(&scenario.name, scenario.start));
    Ok(Played {
        report: Report { name: scenario.name.clone(), steps },
        network: runner.net,
        events,
        timeline,
    })
}

/// Who posts a step's event when the step names no actor: holds every role everywhere.
const DEFAULT_ACTOR: &str = "scenario";

fn rules(s: &Scenario) -> Result<Rules, Error> {
    let currency = match s.rules.currency {
        Some(c) => c,
        None => CurrencyCode::new("USD")?,
    };
    let mut rules = Rules::standard(currency);
    // The scenario's `[actors]` are the ledger's directory, with the default actor of
    // steps that name none: the ledger checks roles and sites against it, never against
    // what an event carries (unless the scenario opts in to trusting events).
    let mut directory = BTreeMap::new();
    directory.insert(ActorId::new(DEFAULT_ACTOR)?, ActorRecord::new(&Role::ALL, SiteScope::All));
    for (name, spec) in &s.actors {
        let sites = spec.sites.clone().map_or(SiteScope::All, SiteScope::Sites);
        directory.insert(ActorId::new(name)?, ActorRecord::new(&spec.roles, sites));
    }
    rules.identity = if s.rules.trust_event_actors {
        Identity::EventCarried
    } else {
        Identity::Directory(directory)
    };
    for (kind, roles) in &s.rules.permissions {
        rules.permissions.insert(*kind, roles.clone());
    }
    for (kind, reasons) in &s.rules.reasons {
        rules.reasons.insert(*kind, reasons.clone());
    }
    if let Some(t) = &s.rules.thresholds {
        rules.thresholds.clone_from(t);
    }
    if let Some(t) = &s.rules.count_tolerance {
        rules.count_tolerance.clone_from(t);
    }
    for (item, cost) in &s.rules.reference_costs {
        rules.reference_costs.insert(item.clone(), *cost);
    }
    Ok(rules)
}

/// What a step's call gave back, whatever its kind.
#[derive(Default)]
struct Effect {
    decision: Option<Decision>,
    promise: Option<PromiseView>,
    postings: Vec<Posting>,
    documents: Vec<IcDocument>,
    signals: Vec<Signal>,
    changes: Vec<ChangeView>,
    happened: Vec<String>,
}

struct Runner<'a> {
    scenario: &'a Scenario,
    net: Network,
    now: DateTime<Utc>,
    names: BTreeMap<String, usize>,
    postings: Vec<Posting>,
    recorder: Option<Recorder>,
    /// Whether to keep each event's outcome for [`Played::events`].
    keep: bool,
    /// The outcome of the ledger event the current step applied.
    last: Option<Result<Outcome, Error>>,
}

impl Runner<'_> {
    fn step(&mut self, n: usize, step: &Step) -> Result<StepReport, ScenarioError> {
        if let Some(at) = step.at {
            if at < self.now {
                return Err(step_err(
                    n,
                    "at",
                    format!("steps go in time order: {at} is before {}", self.now),
                ));
            }
            self.now = at;
        }
        for e in step.expect.iter().flat_map(|x| &x.exceptions) {
            if let Some(name) = &e.event {
                match self.names.get(name) {
                    Some(&i) if i <= n => {}
                    Some(_) => {
                        return Err(step_err(
                            n,
                            "expect.exceptions.event",
                            format!("step {name:?} comes later"),
                        ));
                    }
                    None => {
                        return Err(step_err(
                            n,
                            "expect.exceptions.event",
                            format!("no step is named {name:?}"),
                        ));
                    }
                }
            }
        }
        let (action, result) = self.act(n, step)?;
        let effect = result;
        let mut happened = Vec::new();
        if let Ok(e) = &effect {
            self.postings.extend(e.postings.iter().cloned());
            happened.clone_from(&e.happened);
        } else if let Err(e) = &effect {
            happened.push(format!("rejected: {}: {e}", e.code()));
        }
        let mut checks = match &step.expect {
            Some(x) => self.check(x, &effect, action),
            None => implicit(&effect, action),
        };
        if self.scenario.check_invariants {
            let held = self.net.check();
            checks.push(Check {
                what: "cross-engine invariants".to_owned(),
                expected: "hold".to_owned(),
                actual: held.as_ref().map_or_else(ToString::to_string, |()| "hold".to_owned()),
                pass: held.is_ok(),
            });
        }
        if let Some(mut r) = self.recorder.take() {
            let queue = (self.queue_lines(), timeline::month_kpis(&self.net, self.now));
            let postings = effect.as_ref().map(|e| e.postings.clone()).unwrap_or_default();
            let recorded = r.record_frame(&self.net, n, self.now, postings, queue);
            self.recorder = Some(r);
            recorded.map_err(|e| ScenarioError::Record { step: n, error: Box::new(e) })?;
        }
        // A full event's step is named by its kind (`receipt`), like a compact one.
        let action = match (&step.event, action) {
            (Some(e), "event") => e.kind().to_string(),
            _ => action.to_owned(),
        };
        Ok(StepReport {
            step: n,
            name: step.name.clone(),
            note: step.note.clone(),
            action,
            happened,
            checks,
        })
    }

    /// Does the step's one action. The outer error is a malformed step; the inner one is
    /// the network refusing the call.
    #[allow(clippy::too_many_lines, reason = "one arm per kind of step, read top to bottom")]
    fn act(
        &mut self,
        n: usize,
        step: &Step,
    ) -> Result<(&'static str, Result<Effect, Error>), ScenarioError> {
        use DocKind::{
            Count as CountDoc, Internal, PurchaseOrder, ReturnAuthorisation, SalesOrder,
            TransferOrder,
        };
        let actions = present(step);
        if actions.len() > 1 {
            return Err(step_err(n, actions.join(", ").as_str(), "a step does one thing"));
        }
        let Some(&action) = actions.first() else {
            return Ok(("check", Ok(Effect::default())));
        };
        let body = match action {
            "receipt" => {
                self.movement(n, step, step.receipt.as_ref(), PurchaseOrder, Body::Receipt)?
            }
            "putaway" => self.movement(n, step, step.putaway.as_ref(), Internal, Body::Putaway)?,
            "pick" => self.movement(n, step, step.pick.as_ref(), SalesOrder, Body::Pick)?,
            "ship" => self.movement(n, step, step.ship.as_ref(), SalesOrder, Body::Ship)?,
            "customer_return" => self.movement(
                n,
                step,
                step.customer_return.as_ref(),
                ReturnAuthorisation,
                Body::CustomerReturn,
            )?,
            "disposition" => {
                self.movement(n, step, step.disposition.as_ref(), Internal, Body::Disposition)?
            }
            "status_change" => {
                self.movement(n, step, step.status_change.as_ref(), Internal, Body::StatusChange)?
            }
            "scrap" => self.movement(n, step, step.scrap.as_ref(), Internal, Body::Scrap)?,
            "transfer_ship" => self.movement(
                n,
                step,
                step.transfer_ship.as_ref(),
                TransferOrder,
                Body::TransferShip,
            )?,
            "transfer_receipt" => self.movement(
                n,
                step,
                step.transfer_receipt.as_ref(),
                TransferOrder,
                Body::TransferReceipt,
            )?,
            "adjust" => match &step.adjust {
                Some(a) => Some((adjustment(n, a)?, Internal, None)),
                None => None,
            },
            "count" => step.count.as_ref().map(|c| (count(c), CountDoc, None)),
            "transfer_request" => step
                .transfer_request
                .as_ref()
                .map(|t| (transfer(t), TransferOrder, Some(t.transfer.clone()))),
            "transfer_approve" => step
                .transfer_approve
                .clone()
                .map(|t| (Body::TransferApprove, TransferOrder, Some(t))),
            "transfer_close" => {
                step.transfer_close.clone().map(|t| (Body::TransferClose, TransferOrder, Some(t)))
            }
            "supplier_return" => self.movement(
                n,
                step,
                step.supplier_return.as_ref(),
                PurchaseOrder,
                Body::SupplierReturn,
            )?,
            "reverse" => match &step.reverse {
                Some(name) => Some((
                    Body::Reversal { event: self.event_of(n, "reverse", name)? },
                    Internal,
                    None,
                )),
                None => None,
            },
            "approve" => match &step.approve {
                Some(name) => Some((
                    Body::Approve { event: self.event_of(n, "approve", name)? },
                    Internal,
                    None,
                )),
                None => None,
            },
            "reject" => match &step.reject {
                Some(name) => Some((
                    Body::Reject { event: self.event_of(n, "reject", name)? },
                    Internal,
                    None,
                )),
                None => None,
            },
            "close_period" => step
                .close_period
                .map(|through| (Body::ClosePeriod { through, entity: None }, Internal, None)),
            _ => None,
        };
        if let Some((body, kind, doc)) = body {
            let event = self.event(n, step, action, body, kind, doc)?;
            return Ok((action, self.apply(&event)));
        }
        if let Some(event) = &step.event {
            return Ok((action, self.apply(event)));
        }
        let net = &mut self.net;
        let result = match action {
            "promise" => step.promise.as_ref().map(|r| {
                net.promise(r).map(|p| Effect {
                    happened: promise_lines(&p),
                    promise: Some(p),
                    ..Effect::default()
                })
            }),
            "reserve" => step.reserve.as_ref().map(|r| {
                net.reserve(&r.request, r.expires).map(|b| Effect {
                    happened: promise_lines(&b.promise),
                    promise: Some(b.promise),
                    signals: b.signals,
                    ..Effect::default()
                })
            }),
            "allocate" => step.allocate.as_ref().map(|r| {
                net.allocate(r).map(|b| Effect {
                    happened: promise_lines(&b.promise),
                    promise: Some(b.promise),
                    signals: b.signals,
                    ..Effect::default()
                })
            }),
            "make_hard" => {
                step.make_hard.as_ref().map(|r| net.make_hard(r).map(|()| Effect::default()))
            }
            "release" => step.release.as_ref().map(|r| net.release(r).map(|()| Effect::default())),
            "reduce" => step.reduce.as_ref().map(|r| {
                net.reduce(&OrderRef { order: r.order.clone(), line: r.line }, r.qty)
                    .map(|()| Effect::default())
            }),
            "expect_receipt" => step.expect_receipt.as_ref().map(|r| {
                net.expect(r.clone()).map(|c| Effect {
                    happened: vec![format!(
                        "supply {} at {} on {}: {}",
                        c.item, c.site, c.date, c.change
                    )],
                    ..Effect::default()
                })
            }),
            "change_receipt" => step.change_receipt.as_ref().map(|c| {
                net.change_expected(c).map(|u| Effect { signals: u.signals, ..Effect::default() })
            }),
            "cancel_receipt" => step.cancel_receipt.as_ref().map(|r| {
                net.cancel_expected(&r.order, r.line)
                    .map(|u| Effect { signals: u.signals, ..Effect::default() })
            }),
            "advance" => step.advance.map(|to| {
                self.now = self.now.max(to);
                net.advance_to(to).map(|a| Effect { signals: a.signals, ..Effect::default() })
            }),
            "reprocess" => step.reprocess.map(|r| {
                net.reprocess(r.sharing).map(|p| Effect {
                    happened: p
                        .changes
                        .iter()
                        .map(|c| format!("{}: {} -> {}", c.line, c.before, c.after))
                        .collect(),
                    changes: p.changes,
                    signals: p.signals,
                    ..Effect::default()
                })
            }),
            "change_method" => step.change_method.as_ref().map(|c| {
                let change = crate::costing::MethodChange {
                    entity: c.entity.clone(),
                    item: c.item.clone(),
                    site: c.site.clone(),
                    method: c.method,
                    standard: c.standard,
                    at: step.effective.unwrap_or(self.now),
                };
                net.change_costing_method(&change).map(|postings| Effect {
                    happened: postings.iter().map(posting_line).collect(),
                    postings,
                    ..Effect::default()
                })
            }),
            "consolidate" => step.consolidate.as_ref().map(|c| {
                net.consolidate(c.run, &c.group, c.currency).map(|k| Effect {
                    happened: k.postings.iter().map(posting_line).collect(),
                    postings: k.postings,
                    ..Effect::default()
                })
            }),
            _ => None,
        };
        match result {
            Some(mut r) => {
                if let Ok(e) = &mut r {
                    e.happened
                        .extend(e.signals.iter().map(|s| format!("signal {}", signal_kind(s))));
                }
                Ok((action, r))
            }
            None => Err(step_err(n, action, "unknown action")),
        }
    }

    fn movement(
        &self,
        n: usize,
        step: &Step,
        m: Option<&MoveSpec>,
        kind: DocKind,
        body: fn(SiteLines) -> Body,
    ) -> Result<Option<(Body, DocKind, Option<DocNumber>)>, ScenarioError> {
        let Some(m) = m else { return Ok(None) };
        let mut line = Line::new(m.item.clone(), m.qty);
        line.bin.clone_from(&m.bin);
        line.to_bin.clone_from(&m.to_bin);
        line.lot.clone_from(&m.lot);
        line.from = m.from;
        line.to = m.to;
        line.owner.clone_from(&m.owner);
        line.unit_cost = m.unit_cost;
        line.doc_line = m.doc_line;
        if let Some(name) = &m.original {
            line.original = Some(self.event_of(n, "original", name)?);
        }
        let _ = step;
        Ok(Some((body(SiteLines { site: m.site.clone(), lines: vec![line] }), kind, m.doc.clone())))
    }

    /// The id of step `i`'s event (numbered from 1): a full event's own, else the one
    /// the runner gives it.
    fn step_event(&self, i: usize) -> EventId {
        let step = i.checked_sub(1).and_then(|k| self.scenario.steps.get(k));
        match step.and_then(|s| s.event.as_ref()) {
            Some(e) => e.id,
            None => event_id(i),
        }
    }

    fn event_of(&self, n: usize, field: &str, name: &str) -> Result<EventId, ScenarioError> {
        match self.names.get(name) {
            Some(&i) if i < n => Ok(self.step_event(i)),
            Some(_) => Err(step_err(n, field, format!("step {name:?} comes later"))),
            None => Err(step_err(n, field, format!("no step is named {name:?}"))),
        }
    }

    fn event(
        &self,
        n: usize,
        step: &Step,
        action: &str,
        body: Body,
        kind: DocKind,
        doc: Option<DocNumber>,
    ) -> Result<Event, ScenarioError> {
        let actor = match &step.by {
            None => Actor {
                id: ActorId::new(DEFAULT_ACTOR).map_err(|e| step_err(n, "by", e))?,
                roles: Role::ALL.to_vec(),
                sites: SiteScope::All,
            },
            Some(name) => {
                let spec = self
                    .scenario
                    .actors
                    .get(name)
                    .ok_or_else(|| step_err(n, "by", format!("no actor is named {name:?}")))?;
                Actor {
                    id: ActorId::new(name).map_err(|e| step_err(n, "by", e))?,
                    roles: spec.roles.clone(),
                    sites: spec.sites.clone().map_or(SiteScope::All, SiteScope::Sites),
                }
            }
        };
        let reason = if let Some(r) = &step.reason {
            r.clone()
        } else {
            let default =
                if action == "adjust" { "CORRECTION".to_owned() } else { action.to_uppercase() };
            ReasonCode::new(default).map_err(|e: LedgerError| step_err(n, "reason", e))?
        };
        let number = match doc {
            Some(d) => d,
            None => DocNumber::new(format!("SCN-{n}")).map_err(|e| step_err(n, "doc", e))?,
        };
        Ok(Event {
            id: event_id(n),
            effective_at: step.effective.unwrap_or(self.now),
            recorded_at: self.now,
            actor,
            reason,
            reference: DocumentRef { kind, number },
            body,
        })
    }

    fn apply(&mut self, event: &Event) -> Result<Effect, Error> {
        let applied = self.net.apply(event);
        if self.keep {
            self.last = Some(applied.clone());
        }
        let o = applied?;
        let mut happened = vec![match &o.decision {
            Decision::Accepted => "accepted".to_owned(),
            Decision::Pending { needs } => format!("pending, needs {}", roles(needs)),
            Decision::Duplicate => "duplicate".to_owned(),
        }];
        for p in &o.positions {
            happened.push(format!(
                "{} at {} {}: {}, balance {}",
                p.item, p.site, p.status, p.change, p.balance
            ));
        }
        happened.extend(o.postings.iter().map(posting_line));
        happened.extend(o.signals.iter().map(|s| format!("signal {}", signal_kind(s))));
        Ok(Effect {
            decision: Some(o.decision),
            postings: o.postings,
            documents: o.documents,
            signals: o.signals,
            happened,
            ..Effect::default()
        })
    }

    #[allow(clippy::too_many_lines, reason = "one block per kind of expectation")]
    fn check(&self, x: &Expect, effect: &Result<Effect, Error>, action: &str) -> Vec<Check> {
        let mut out = Vec::new();
        let actual = actual_outcome(effect);
        if x.outcome.is_some() || x.error.is_some() {
            let kind = x.outcome.unwrap_or(OutcomeKind::Rejected);
            let expected = match &x.error {
                Some(code) => format!("{} {code}", outcome_name(kind)),
                None => outcome_name(kind).to_owned(),
            };
            let pass = actual.0 == kind
                && x.error.as_ref().is_none_or(|code| actual.1.as_deref() == Some(code.as_str()));
            out.push(Check { what: "outcome".into(), expected, actual: actual.2.clone(), pass });
        } else if action != "check" {
            out.extend(implicit(effect, action));
        }
        if let Some(needs) = &x.needs {
            let got = match effect {
                Ok(Effect { decision: Some(Decision::Pending { needs }), .. }) => roles(needs),
                _ => "nothing pending".to_owned(),
            };
            let want = roles(needs);
            out.push(Check {
                what: "needs".into(),
                pass: want == got,
                expected: want,
                actual: got,
            });
        }
        for p in &x.positions {
            let what = match p.as_of {
                Some(t) => {
                    format!("position {} at {} {} as of {t}", p.item, p.site, name(&p.measure))
                }
                None => format!("position {} at {} {}", p.item, p.site, name(&p.measure)),
            };
            let got = self.net.position(&p.item, &p.site, p.measure, p.as_of);
            out.push(self.qty_check(what, &p.item, p.qty, got));
        }
        for a in &x.atp {
            let what =
                format!("atp {} at {} on {} (priority {})", a.item, a.site, a.date, a.priority);
            let got = self.net.available(&a.item, &a.site, a.date, a.priority);
            out.push(match got {
                Ok(v) => Check {
                    what,
                    pass: self.expected_eq(&a.item, a.qty, v),
                    expected: String::from(a.qty),
                    actual: availability(v),
                },
                Err(e) => failed(what, String::from(a.qty), &e),
            });
        }
        for a in &x.network_atp {
            let what = format!(
                "network atp {} for {} on {} (priority {})",
                a.item, a.region, a.requested, a.priority
            );
            let expected = a
                .sites
                .iter()
                .map(|s| match s.delivery {
                    Some(d) => format!("{} {} by {d}", s.site, String::from(s.qty)),
                    None => format!("{} {}", s.site, String::from(s.qty)),
                })
                .collect::<Vec<_>>()
                .join("; ");
            match self.net.network_available(&a.item, &a.region, a.requested, a.priority) {
                Ok(offers) => {
                    let pass = offers.len() == a.sites.len()
                        && offers.iter().zip(&a.sites).all(|(o, s)| {
                            o.site == s.site
                                && self.expected_eq(&a.item, s.qty, o.available)
                                && s.delivery.is_none_or(|d| d == o.delivery)
                        });
                    let actual = offers
                        .iter()
                        .zip(a.sites.iter().map(Some).chain(std::iter::repeat(None)))
                        .map(|(o, s)| {
                            if s.is_some_and(|s| s.delivery.is_some()) {
                                format!(
                                    "{} {} by {}",
                                    o.site,
                                    availability(o.available),
                                    o.delivery
                                )
                            } else {
                                format!("{} {}", o.site, availability(o.available))
                            }
                        })
                        .collect::<Vec<_>>()
                        .join("; ");
                    out.push(Check { what, expected, actual, pass });
                }
                Err(e) => out.push(failed(what, expected, &e)),
            }
        }
        if let Some(p) = &x.promise {
            match effect.as_ref().ok().and_then(|e| e.promise.as_ref()) {
                Some(got) => self.promise_checks("promise", p, got, &mut out),
                None => out.push(Check {
                    what: "promise".into(),
                    expected: "a promise".into(),
                    actual: "this step made no promise".into(),
                    pass: false,
                }),
            }
        }
        for p in &x.booked {
            let (Some(order), Some(line)) = (&p.order, p.line) else {
                out.push(Check {
                    what: "booked".into(),
                    expected: "an order and a line".into(),
                    actual: "none given".into(),
                    pass: false,
                });
                continue;
            };
            let r = OrderRef { order: order.clone(), line };
            let what = format!("booked {r}");
            match self.net.booked(&r) {
                Ok(got) => self.promise_checks(&what, p, &got, &mut out),
                Err(e) => out.push(failed(what, "booked".into(), &e)),
            }
        }
        let step_postings = effect.as_ref().map(|e| e.postings.as_slice()).unwrap_or_default();
        for a in &x.postings {
            out.push(amount_check("posting", a, step_postings));
        }
        for a in &x.balances {
            out.push(amount_check("balance", a, &self.postings));
        }
        for b in &x.books {
            match self.net.books(&b.entity) {
                Ok(books) => {
                    let money = [
                        ("inventory", b.inventory, books.inventory),
                        ("in transit", b.in_transit, books.in_transit),
                        ("unrealized profit", b.unrealized_profit, books.unrealized_profit),
                    ];
                    for (name, want, got) in money {
                        if let Some(want) = want {
                            out.push(Check {
                                what: format!("books {} {name}", b.entity),
                                pass: want == got,
                                expected: want.to_string(),
                                actual: got.to_string(),
                            });
                        }
                    }
                    for p in &b.pools {
                        let what = match &p.site {
                            Some(s) => format!("pool {} {} at {s}", b.entity, p.item),
                            None => format!("pool {} {}", b.entity, p.item),
                        };
                        let pool =
                            books.pools.iter().find(|l| l.item == p.item && l.site == p.site);
                        if let Some(q) = p.qty {
                            let got = pool.map(|l| l.qty).unwrap_or_default();
                            let pass = self.base(&p.item, q).is_some_and(|v| v == got);
                            out.push(Check {
                                what: format!("{what} qty"),
                                pass,
                                expected: q.to_string(),
                                actual: self.base_text(&p.item, got),
                            });
                        }
                        if let Some(v) = p.value {
                            let got =
                                pool.map_or_else(|| "no pool".into(), |l| l.value.to_string());
                            out.push(Check {
                                what: format!("{what} value"),
                                pass: pool.is_some_and(|l| l.value == v),
                                expected: v.to_string(),
                                actual: got,
                            });
                        }
                    }
                }
                Err(e) => out.push(failed(format!("books {}", b.entity), "books".into(), &e)),
            }
        }
        if let Some(docs) = &x.documents {
            let got: Vec<String> = effect
                .as_ref()
                .map(|e| {
                    e.documents
                        .iter()
                        .map(|d| {
                            let kind = d.kind.as_str();
                            format!(
                                "{kind} {} -> {} {} {}",
                                d.entity, d.counterparty, d.item, d.amount
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let want: Vec<String> = docs
                .iter()
                .map(|d| {
                    let kind = d.kind.map_or("", onhand_valuation::IcDocKind::as_str);
                    format!("{kind} {} -> {} {} {}", d.entity, d.counterparty, d.item, d.amount)
                })
                .collect();
            let pass = effect.as_ref().is_ok_and(|e| {
                e.documents.len() == docs.len()
                    && e.documents.iter().zip(docs).all(|(d, w)| {
                        w.kind.is_none_or(|k| k == d.kind)
                            && d.entity == w.entity
                            && d.counterparty == w.counterparty
                            && d.item == w.item
                            && d.amount == w.amount
                    })
            });
            out.push(Check {
                what: "intercompany documents".into(),
                expected: list(&want),
                actual: list(&got),
                pass,
            });
        }
        let signals = effect.as_ref().map(|e| e.signals.as_slice()).unwrap_or_default();
        if let Some(want) = &x.signals {
            let got: Vec<String> = signals.iter().map(signal_kind).collect();
            out.push(Check {
                what: "signals".into(),
                pass: &got == want,
                expected: list(want),
                actual: list(&got),
            });
        }
        for r in &x.recommendations {
            out.push(self.recommendation_check(r, signals));
        }
        if let Some(want) = &x.changes {
            let got = effect.as_ref().map(|e| e.changes.as_slice()).unwrap_or_default();
            let pass = got.len() == want.len()
                && got.iter().zip(want).all(|(g, w)| {
                    g.line.order == w.order
                        && g.line.line == w.line
                        && w.before.is_none_or(|b| self.line_qty_eq(&g.line, b, g.before))
                        && self.line_qty_eq(&g.line, w.after, g.after)
                        && w.after_delivery.is_none_or(|d| Some(d) == g.after_delivery)
                });
            let expected: Vec<String> = want
                .iter()
                .map(|w| {
                    let mut t = match w.before {
                        Some(b) => format!("{}/{}: {b} -> {}", w.order, w.line, w.after),
                        None => format!("{}/{}: -> {}", w.order, w.line, w.after),
                    };
                    if let Some(d) = w.after_delivery {
                        let _ = write!(t, " by {d}");
                    }
                    t
                })
                .collect();
            let actual: Vec<String> = got
                .iter()
                .map(|g| {
                    let mut t = format!("{}: {} -> {}", g.line, g.before, g.after);
                    if let Some(d) = g.after_delivery {
                        let _ = write!(t, " by {d}");
                    }
                    t
                })
                .collect();
            out.push(Check {
                what: "re-processing changes".into(),
                expected: list(&expected),
                actual: list(&actual),
                pass,
            });
        }
        for t in &x.in_transit {
            let what = match &t.owner {
                Some(o) => format!("in transit {} to {} owned by {o}", t.item, t.to),
                None => format!("in transit {} to {}", t.item, t.to),
            };
            match self.net.in_transit_to(&t.to) {
                Ok(lines) => {
                    let mut sum = Decimal::ZERO;
                    for l in lines.iter().filter(|l| {
                        l.item == t.item && t.owner.as_ref().is_none_or(|o| *o == l.owner)
                    }) {
                        sum += self.base(&l.item, l.qty).unwrap_or_default();
                    }
                    out.push(Check {
                        what,
                        pass: self.base(&t.item, t.qty) == Some(sum),
                        expected: t.qty.to_string(),
                        actual: self.base_text(&t.item, sum),
                    });
                }
                Err(e) => out.push(failed(what, t.qty.to_string(), &e)),
            }
        }
        for e in &x.exceptions {
            out.push(self.exception_check(e));
        }
        if let Some(n) = x.active_exceptions {
            out.push(self.active_check(n));
        }
        for k in &x.kpis {
            out.push(self.kpi_check(k));
        }
        out
    }

    /// The number of active exceptions; a failure lists them.
    fn active_check(&self, n: usize) -> Check {
        let active: Vec<&Exception> =
            self.net.control().exceptions().filter(|e| e.state.is_active()).collect();
        let mut actual = active.len().to_string();
        if active.len() != n && !active.is_empty() {
            let mut there: Vec<String> = active
                .iter()
                .take(LISTED)
                .map(|e| exception_line(e, &self.scenario.steps))
                .collect();
            if active.len() > LISTED {
                there.push(format!("and {} more", active.len() - LISTED));
            }
            let _ = write!(actual, ": {}", list(&there));
        }
        Check {
            what: "active exceptions".to_owned(),
            expected: n.to_string(),
            pass: active.len() == n,
            actual,
        }
    }

    /// An exception expected in the queue: passes when one of its kind, about its
    /// subject, in its state (default: active) and with its owner is there.
    fn exception_check(&self, x: &ExceptionExpect) -> Check {
        let event = x.event.as_ref().map(|n| self.names.get(n).map(|&i| self.step_event(i)));
        let about = |e: &Exception| {
            e.kind == x.kind
                && x.item.as_ref().is_none_or(|i| e.item.as_ref() == Some(i))
                && x.site.as_ref().is_none_or(|s| e.site.as_ref() == Some(s))
                && x.order.as_ref().is_none_or(|o| match &e.subject {
                    Subject::Line { order, .. } | Subject::Receipt { order } => order == o,
                    _ => false,
                })
                && x.line
                    .is_none_or(|l| matches!(&e.subject, Subject::Line { line, .. } if *line == l))
                && x.transfer.as_ref().is_none_or(
                    |t| matches!(&e.subject, Subject::Transfer { transfer, .. } if transfer == t),
                )
                && event.is_none_or(
                    |id| matches!(&e.subject, Subject::Event { event } if Some(*event) == id),
                )
        };
        let held = |e: &Exception| {
            x.state.map_or(e.state.is_active(), |s| e.state == s)
                && x.owner.is_none_or(|o| e.owner == o)
        };
        let mut what = format!("exception {}", x.kind.code());
        for (label, v) in [
            ("item", x.item.as_ref().map(ToString::to_string)),
            ("site", x.site.as_ref().map(ToString::to_string)),
            ("order", x.order.as_ref().map(ToString::to_string)),
            ("line", x.line.map(|l| l.to_string())),
            ("transfer", x.transfer.as_ref().map(ToString::to_string)),
            ("event of step", x.event.clone()),
        ] {
            if let Some(v) = v {
                let _ = write!(what, " {label} {v}");
            }
        }
        let mut expected = x.state.map_or_else(|| "active".to_owned(), |s| name(&s));
        if let Some(o) = x.owner {
            let _ = write!(expected, ", owned by {}", o.as_str());
        }
        let queue = self.net.control();
        if queue.exceptions().any(|e| about(e) && held(e)) {
            return Check { what, actual: expected.clone(), expected, pass: true };
        }
        // The latest exception about the subject, as it stands; else the whole queue.
        let actual = if let Some(e) = queue.exceptions().filter(|e| about(e)).last() {
            format!("{}, owned by {}", name(&e.state), e.owner.as_str())
        } else {
            let mut there: Vec<String> = queue
                .exceptions()
                .take(LISTED)
                .map(|e| exception_line(e, &self.scenario.steps))
                .collect();
            let total = queue.exceptions().count();
            if total > LISTED {
                there.push(format!("and {} more", total - LISTED));
            }
            format!("no such exception in the queue, which holds: {}", list(&there))
        };
        Check { what, expected, actual, pass: false }
    }

    /// The queue as a report lists it.
    fn queue_lines(&self) -> Vec<ExceptionLine> {
        timeline::queue_lines(&self.net, |e| subject_text(e, &self.scenario.steps))
    }

    /// A KPI of the network's report.
    fn kpi_check(&self, k: &KpiExpect) -> Check {
        let mut what = format!("kpi {} {}", name(&k.kpi), k.period.0);
        if let Some(s) = &k.site {
            let _ = write!(what, " at {s}");
        }
        let expected = String::from(k.value);
        let report = match self.net.kpi_report(k.period.0) {
            Ok(r) => r,
            Err(e) => return failed(what, expected, &e),
        };
        let dim = k.site.clone().map_or(Dim::Network, Dim::Site);
        let ratio = kpi_ratio(&report, k.kpi, &dim);
        let (actual, pass) = match ratio {
            // No figures in the period (or none for the site): nothing was counted.
            KpiFigure::NoData => ("no data".to_owned(), k.value == KpiValue::NoData),
            KpiFigure::NotReported => ("not reported by site".to_owned(), false),
            KpiFigure::Ratio(r) => {
                let pass = match (k.value, r.value()) {
                    (KpiValue::Ratio(n, d), _) => n == r.numerator && d == r.denominator,
                    (KpiValue::Value(v), Figure::Value(got)) => v == got,
                    (KpiValue::NoData, Figure::NotEnoughData { .. }) => true,
                    _ => false,
                };
                (ratio_text(&r), pass)
            }
        };
        Check { what, expected, actual, pass }
    }

    fn promise_checks(
        &self,
        what: &str,
        p: &PromiseExpect,
        got: &PromiseView,
        out: &mut Vec<Check>,
    ) {
        if let Some(q) = p.confirmed {
            out.push(self.qty_check(format!("{what} confirmed"), &got.item, q, Ok(got.confirmed)));
        }
        if let Some(q) = p.unconfirmed {
            out.push(self.qty_check(
                format!("{what} unconfirmed"),
                &got.item,
                q,
                Ok(got.unconfirmed),
            ));
        }
        if let Some(b) = p.on_time {
            out.push(Check {
                what: format!("{what} on time"),
                pass: b == got.on_time,
                expected: b.to_string(),
                actual: got.on_time.to_string(),
            });
        }
        if let Some(want) = &p.schedule {
            let pass = want.len() == got.schedule.len()
                && want.iter().zip(&got.schedule).all(|(w, g)| {
                    w.site == g.site
                        && w.item.as_ref().is_none_or(|i| *i == g.item)
                        && self.qty_eq(&g.item, w.qty, g.qty)
                        && w.available_on.is_none_or(|d| d == g.available_on)
                        && w.delivery.is_none_or(|d| d == g.delivery)
                });
            let expected: Vec<String> = want
                .iter()
                .map(|w| {
                    let mut s = format!("{} {}", w.site, w.qty);
                    if let Some(i) = &w.item {
                        let _ = write!(s, " of {i}");
                    }
                    if let Some(d) = w.available_on {
                        let _ = write!(s, " available {d}");
                    }
                    if let Some(d) = w.delivery {
                        let _ = write!(s, " delivered {d}");
                    }
                    s
                })
                .collect();
            let actual: Vec<String> = got
                .schedule
                .iter()
                .map(|g| {
                    format!(
                        "{} {} of {} available {} delivered {}",
                        g.site, g.qty, g.item, g.available_on, g.delivery
                    )
                })
                .collect();
            out.push(Check {
                what: format!("{what} schedule"),
                expected: list(&expected),
                actual: list(&actual),
                pass,
            });
        }
        let limits: Vec<String> = got.limits.iter().map(|l| l.as_str().to_owned()).collect();
        if let Some(want) = &p.limits {
            out.push(Check {
                what: format!("{what} limits"),
                pass: &limits == want,
                expected: list(want),
                actual: list(&limits),
            });
        }
        if let Some(want) = &p.limited_by {
            out.push(Check {
                what: format!("{what} limited by"),
                pass: want.iter().all(|w| limits.contains(w)),
                expected: format!("at least {}", list(want)),
                actual: list(&limits),
            });
        }
    }

    fn recommendation_check(&self, r: &super::RecommendationExpect, signals: &[Signal]) -> Check {
        let what = format!("recommendation for {} at {}", r.item, r.site);
        let mut expected = r.action.clone();
        if let Some(f) = &r.from {
            let _ = write!(expected, " from {f}");
        }
        if let Some(s) = &r.supplier {
            let _ = write!(expected, " from supplier {s}");
        }
        if let Some(q) = r.qty {
            let _ = write!(expected, " of {q}");
        }
        if let Some(q) = r.position {
            let _ = write!(expected, " at position {q}");
        }
        let found = signals.iter().find_map(|s| match s {
            Signal::BelowReorderPoint { recommendation } => (recommendation.item == r.item
                && recommendation.site == r.site)
                .then_some(recommendation),
            _ => None,
        });
        let Some(rec) = found else {
            return Check { what, expected, actual: "no recommendation".into(), pass: false };
        };
        let best = &rec.best;
        let name = best.action.kind();
        let (from, supplier) = match &best.action {
            onhand_replenish::Action::Transfer { from } => (Some(from), None),
            onhand_replenish::Action::Purchase { supplier } => (None, Some(supplier)),
            _ => (None, None),
        };
        let mut actual = name.to_owned();
        if let Some(f) = from {
            let _ = write!(actual, " from {f}");
        }
        if let Some(s) = supplier {
            let _ = write!(actual, " from supplier {s}");
        }
        let _ = write!(actual, " of {}", self.base_text(&r.item, best.qty));
        if r.position.is_some() {
            let _ = write!(actual, " at position {}", self.base_text(&r.item, rec.position));
        }
        let pass = r.action == name
            && r.from.as_ref().is_none_or(|f| Some(f) == from)
            && r.supplier.as_ref().is_none_or(|s| Some(s) == supplier)
            && r.qty.is_none_or(|q| self.base(&r.item, q) == Some(best.qty))
            && r.position.is_none_or(|q| self.base(&r.item, q) == Some(rec.position));
        Check { what, expected, actual, pass }
    }

    /// `qty` in `item`'s base unit (`None`: unknown item or a unit it is not counted in).
    fn base(&self, item: &ItemCode, qty: Qty) -> Option<Decimal> {
        let ix = self.net.catalog().item_ix(item)?;
        let units = self.net.catalog().item_units(ix)?;
        units.to_base(qty).ok().map(Qty::value)
    }

    fn base_text(&self, item: &ItemCode, value: Decimal) -> String {
        let uom = self
            .net
            .catalog()
            .item_ix(item)
            .and_then(|ix| self.net.catalog().profile(ix))
            .map(|p| p.base_uom);
        match uom {
            Some(u) => format!("{} {u}", value.normalize()),
            None => value.normalize().to_string(),
        }
    }

    fn qty_eq(&self, item: &ItemCode, want: Qty, got: Qty) -> bool {
        want == got || self.base(item, want).is_some_and(|w| self.base(item, got) == Some(w))
    }

    /// Equality of two quantities of a booked line's item (same unit and value when
    /// the line is no longer booked).
    fn line_qty_eq(&self, line: &OrderRef, want: Qty, got: Qty) -> bool {
        match self.net.booked(line) {
            Ok(p) => self.qty_eq(&p.item, want, got),
            Err(_) => want == got,
        }
    }

    fn expected_eq(&self, item: &ItemCode, want: Expected, got: Availability<Qty>) -> bool {
        match (want, got) {
            (Expected::Unlimited, Availability::Unlimited) => true,
            (Expected::Qty(w), Availability::Limited(g)) => self.qty_eq(item, w, g),
            _ => false,
        }
    }

    fn qty_check(
        &self,
        what: String,
        item: &ItemCode,
        want: Qty,
        got: Result<Qty, Error>,
    ) -> Check {
        match got {
            Ok(g) => Check {
                what,
                pass: self.qty_eq(item, want, g),
                expected: want.to_string(),
                actual: g.to_string(),
            },
            Err(e) => failed(what, want.to_string(), &e),
        }
    }
}

fn event_id(step: usize) -> EventId {
    EventId(uuid::Uuid::from_u128(step as u128))
}

/// The actions a step names, in declaration order.
fn present(s: &Step) -> Vec<&'static str> {
    let flags = [
        ("receipt", s.receipt.is_some()),
        ("putaway", s.putaway.is_some()),
        ("pick", s.pick.is_some()),
        ("ship", s.ship.is_some()),
        ("customer_return", s.customer_return.is_some()),
        ("disposition", s.disposition.is_some()),
        ("status_change", s.status_change.is_some()),
        ("scrap", s.scrap.is_some()),
        ("adjust", s.adjust.is_some()),
        ("count", s.count.is_some()),
        ("transfer_request", s.transfer_request.is_some()),
        ("transfer_approve", s.transfer_approve.is_some()),
        ("transfer_ship", s.transfer_ship.is_some()),
        ("transfer_receipt", s.transfer_receipt.is_some()),
        ("transfer_close", s.transfer_close.is_some()),
        ("supplier_return", s.supplier_return.is_some()),
        ("reverse", s.reverse.is_some()),
        ("approve", s.approve.is_some()),
        ("reject", s.reject.is_some()),
        ("close_period", s.close_period.is_some()),
        ("event", s.event.is_some()),
        ("promise", s.promise.is_some()),
        ("reserve", s.reserve.is_some()),
        ("allocate", s.allocate.is_some()),
        ("make_hard", s.make_hard.is_some()),
        ("release", s.release.is_some()),
        ("reduce", s.reduce.is_some()),
        ("expect_receipt", s.expect_receipt.is_some()),
        ("change_receipt", s.change_receipt.is_some()),
        ("cancel_receipt", s.cancel_receipt.is_some()),
        ("advance", s.advance.is_some()),
        ("reprocess", s.reprocess.is_some()),
        ("consolidate", s.consolidate.is_some()),
        ("change_method", s.change_method.is_some()),
    ];
    flags.into_iter().filter(|(_, on)| *on).map(|(n, _)| n).collect()
}

fn adjustment(n: usize, a: &AdjustSpec) -> Result<Body, ScenarioError> {
    let v = a.qty.value();
    let qty =
        Qty::new(v.abs(), a.qty.uom()).map_err(|e: MasterError| step_err(n, "adjust.qty", e))?;
    let status = a.status.unwrap_or(StockStatus::Available);
    let mut line = Line::new(a.item.clone(), qty);
    line.bin.clone_from(&a.bin);
    line.unit_cost = a.unit_cost;
    if v.is_sign_negative() {
        line.from = Some(status);
    } else {
        line.to = Some(status);
    }
    Ok(Body::Adjustment(SiteLines { site: a.site.clone(), lines: vec![line] }))
}

fn count(c: &CountSpec) -> Body {
    Body::CycleCount(Count {
        site: c.site.clone(),
        lines: vec![CountLine {
            item: c.item.clone(),
            bin: c.bin.clone(),
            lot: None,
            status: c.status,
            counted: c.counted,
            serials: Vec::new(),
            owner: None,
        }],
    })
}

fn transfer(t: &TransferSpec) -> Body {
    Body::TransferRequest(TransferRequest {
        from: t.from.clone(),
        to: t.to.clone(),
        lines: vec![TransferLine { item: t.item.clone(), qty: t.qty }],
        expected_arrival: t.arrival,
    })
}

/// The checks a step makes with no expectation: its call was not refused.
fn implicit(effect: &Result<Effect, Error>, action: &str) -> Vec<Check> {
    match effect {
        Err(_) if action != "check" => vec![Check {
            what: "outcome".into(),
            expected: "not rejected".into(),
            actual: actual_outcome(effect).2,
            pass: false,
        }],
        _ => Vec::new(),
    }
}

fn actual_outcome(effect: &Result<Effect, Error>) -> (OutcomeKind, Option<String>, String) {
    match effect {
        Err(e) => (
            OutcomeKind::Rejected,
            Some(e.code().to_owned()),
            format!("rejected {}: {e}", e.code()),
        ),
        Ok(Effect { decision: Some(Decision::Pending { needs }), .. }) => {
            (OutcomeKind::Pending, None, format!("pending (needs {})", roles(needs)))
        }
        Ok(Effect { decision: Some(Decision::Duplicate), .. }) => {
            (OutcomeKind::Duplicate, None, "duplicate".into())
        }
        Ok(_) => (OutcomeKind::Accepted, None, "accepted".into()),
    }
}

fn outcome_name(k: OutcomeKind) -> &'static str {
    match k {
        OutcomeKind::Accepted => "accepted",
        OutcomeKind::Pending => "pending",
        OutcomeKind::Duplicate => "duplicate",
        OutcomeKind::Rejected => "rejected",
    }
}

fn roles(r: &[Role]) -> String {
    let mut v: Vec<&str> = r.iter().map(|r| r.as_str()).collect();
    v.sort_unstable();
    v.join(", ")
}

fn failed(what: String, expected: String, e: &Error) -> Check {
    Check { what, expected, actual: format!("error {}: {e}", e.code()), pass: false }
}

fn list(v: &[String]) -> String {
    if v.is_empty() { "(none)".into() } else { v.join("; ") }
}

fn availability(a: Availability<Qty>) -> String {
    match a {
        Availability::Limited(q) => q.to_string(),
        Availability::Unlimited => "unlimited".into(),
    }
}

fn amount_check(what: &str, a: &AmountExpect, postings: &[Posting]) -> Check {
    let mut sum = Decimal::ZERO;
    let mut currencies = Vec::new();
    for p in postings.iter().filter(|p| p.entity == a.entity && p.key == a.key) {
        sum += p.amount;
        if !currencies.contains(&p.currency) {
            currencies.push(p.currency);
        }
    }
    let (actual, pass) = match currencies.as_slice() {
        [] => (format!("no {} postings", a.key), false),
        [c] => {
            let got = Money::new(sum, *c);
            (got.to_string(), got == a.amount)
        }
        _ => (format!("{sum} in {} currencies", currencies.len()), false),
    };
    Check {
        what: format!("{what} {} {}", a.entity, key_name(a.key)),
        expected: a.amount.to_string(),
        actual,
        pass,
    }
}

fn key_name(k: PostingKey) -> &'static str {
    k.as_str()
}

fn posting_line(p: &Posting) -> String {
    format!("posting {} {} ({}) {} {}", p.entity, p.account, p.key, p.amount, p.currency)
}

fn promise_lines(p: &PromiseView) -> Vec<String> {
    let mut v = vec![format!("{}: confirmed {} of {}", p.line, p.confirmed, p.requested)];
    for s in &p.schedule {
        v.push(format!(
            "  {} {} of {} available {} delivered {}",
            s.site, s.qty, s.item, s.available_on, s.delivery
        ));
    }
    if !p.limits.is_empty() {
        v.push(format!(
            "  limited by {}",
            p.limits.iter().map(|l| l.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    v
}

/// A KPI as a report gives it for one dimension.
pub(super) enum KpiFigure {
    /// The period has no figures for the dimension.
    NoData,
    /// The KPI is not reported by that dimension (the order fill rate per site).
    NotReported,
    /// The ratio.
    Ratio(Ratio),
}

/// A KPI's figure in `report` for `dim`.
pub(super) fn kpi_ratio(report: &KpiReport, kpi: KpiName, dim: &Dim) -> KpiFigure {
    let orders = || report.orders.iter().find(|(d, _)| d == dim).map(|(_, o)| o);
    let found = match kpi {
        KpiName::UnitFillRate => orders().map(|o| Some(o.fill_requested.units)),
        KpiName::LineFillRate => orders().map(|o| Some(o.fill_requested.lines)),
        KpiName::OrderFillRate => orders().map(|o| o.fill_requested.orders),
        KpiName::PromiseAccuracy => orders().map(|o| Some(o.promise_accuracy)),
        KpiName::InventoryRecordAccuracy => {
            report.counts.iter().find(|(d, _)| d == dim).map(|(_, c)| Some(c.accuracy))
        }
        KpiName::TransferReceiptAccuracy => {
            report.transfers.iter().find(|(d, _)| d == dim).map(|(_, t)| Some(t.receipt_accuracy))
        }
    };
    match found {
        None => KpiFigure::NoData,
        Some(None) => KpiFigure::NotReported,
        Some(Some(r)) => KpiFigure::Ratio(r),
    }
}

/// How many exceptions a failed exception check lists.
const LISTED: usize = 20;

/// An exception as a failure lists it: kind, subject, state and owner.
fn exception_line(e: &Exception, steps: &[Step]) -> String {
    let subject = subject_text(e, steps);
    format!("{} {subject} ({}, owned by {})", e.kind.code(), name(&e.state), e.owner.as_str())
}

/// What an exception is about, in the scenario's terms (a held event by its step).
pub(super) fn subject_text(e: &Exception, steps: &[Step]) -> String {
    match &e.subject {
        Subject::Line { order, line } => format!("order {order} line {line}"),
        Subject::ItemSite { item, site, lot: None } => format!("item {item} site {site}"),
        Subject::ItemSite { item, site, lot: Some(lot) } => {
            format!("item {item} site {site} lot {lot}")
        }
        Subject::Event { event } => {
            // A step's event has the step's number for id, unless written out in full.
            let n = usize::try_from(event.0.as_u128()).unwrap_or(0);
            match n.checked_sub(1).and_then(|i| steps.get(i)) {
                Some(s) if s.event.is_none() => format!("event of step {n}"),
                _ => format!("event {event}"),
            }
        }
        Subject::Transfer { transfer, item: None } => format!("transfer {transfer}"),
        Subject::Transfer { transfer, item: Some(item) } => {
            format!("transfer {transfer} item {item}")
        }
        Subject::Receipt { order } => format!("order {order}"),
        Subject::Entities { seller, buyer } => format!("seller {seller} buyer {buyer}"),
        Subject::Record { violation, record } => format!("{violation} {record}"),
    }
}

/// A ratio as a KPI check shows it: exact (`3/4 = 0.75`), or `no data`.
pub(super) fn ratio_text(r: &Ratio) -> String {
    match r.value() {
        Figure::Value(v) => {
            format!("{}/{} = {v}", r.numerator.normalize(), r.denominator.normalize())
        }
        Figure::NotEnoughData { .. } => "no data".into(),
    }
}

/// A unit enum's name, as the format writes it (`on_hand`).
pub(super) fn name<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// A signal's kind, as the format writes it (`below_reorder_point`, `stock_on_hold`).
fn signal_kind(s: &Signal) -> String {
    match serde_json::to_value(s) {
        Ok(serde_json::Value::Object(m)) => m.keys().next().cloned().unwrap_or_default(),
        Ok(serde_json::Value::String(k)) => k,
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(steps: &str) -> Scenario {
        let text = format!(
            r#"{{ "format": 1, "name": "t", "start": "2026-01-05T08:00:00Z",
                 "network": {{ "builtin": "demo" }},
                 "rules": {{ "reference_costs": {{ "BOLT-M8": "0.085" }} }},
                 "steps": {steps} }}"#
        );
        serde_json::from_str(&text).unwrap()
    }

    const RECEIPT: &str = r#"{ "receipt": { "site": "ATL", "item": "BOLT-M8", "qty": "2 CS", "bin": "PF-A01", "to": "available" }"#;

    #[test]
    fn a_wrong_expectation_fails_with_expected_and_actual() {
        let s = scenario(&format!(
            r#"[{RECEIPT}, "expect": {{ "positions": [
                {{ "item": "BOLT-M8", "site": "ATL", "measure": "available", "qty": "3 CS" }},
                {{ "item": "BOLT-M8", "site": "ATL", "measure": "on_hand", "qty": "2 CS" }} ] }} }}]"#
        ));
        let report = run(&s).unwrap();
        assert!(!report.passed());
        assert_eq!(report.checks(), 2);
        assert_eq!(
            report.failures_text(),
            "step 1 (receipt): position BOLT-M8 at ATL available\n  - expected 3 CS\n  + actual   240 EA\n"
        );
    }

    #[test]
    fn a_refused_step_fails_unless_expected() {
        let pick =
            r#"{ "pick": { "site": "ATL", "item": "BOLT-M8", "qty": "1 CS", "bin": "PF-A01" }"#;
        let report = run(&scenario(&format!("[{pick} }}]"))).unwrap();
        assert!(!report.passed());
        let (_, check) = report.failures().next().unwrap();
        assert!(check.actual.starts_with("rejected insufficient_stock"), "{}", check.actual);
        let report = run(&scenario(&format!(
            r#"[{pick}, "expect": {{ "error": "insufficient_stock" }} }}]"#
        )))
        .unwrap();
        assert!(report.passed(), "{}", report.failures_text());
    }

    #[test]
    fn a_step_doing_two_things_is_malformed() {
        let s = scenario(
            r#"[{ "advance": "2026-01-06T08:00:00Z", "reprocess": { "sharing": "fair_share" } }]"#,
        );
        assert_eq!(
            run(&s).unwrap_err().to_string(),
            "step 1, field `advance, reprocess`: a step does one thing"
        );
    }

    #[test]
    fn steps_out_of_time_order_are_malformed() {
        let s = scenario(r#"[{ "at": "2026-01-06T08:00:00Z" }, { "at": "2026-01-05T09:00:00Z" }]"#);
        let err = run(&s).unwrap_err();
        assert_eq!(
            err.to_string(),
            "step 2, field `at`: steps go in time order: 2026-01-05 09:00:00 UTC is before 2026-01-06 08:00:00 UTC"
        );
    }

    /// 240 bolts received, a count finds 230: 10 short, beyond the 1 % tolerance of a
    /// class-A item, below the approval threshold.
    fn short_count(expect: &str) -> Scenario {
        scenario(&format!(
            r#"[{RECEIPT} }}, {{ "count": {{ "site": "ATL", "item": "BOLT-M8", "bin": "PF-A01", "counted": "230 EA" }},
                "expect": {expect} }}]"#
        ))
    }

    #[test]
    fn an_exception_in_the_queue_is_expected_by_kind_subject_state_and_owner() {
        let report = run(&short_count(
            r#"{ "exceptions": [
                { "kind": "count_variance" },
                { "kind": "count_variance", "item": "BOLT-M8", "site": "ATL", "state": "open", "owner": "inventory_control" } ] }"#,
        ))
        .unwrap();
        assert!(report.passed(), "{}", report.failures_text());
        assert_eq!(report.checks(), 2);
    }

    #[test]
    fn a_missing_exception_fails_listing_the_queue() {
        let report = run(&short_count(
            r#"{ "exceptions": [
                { "kind": "count_variance", "site": "DFW" },
                { "kind": "count_variance", "site": "ATL", "state": "acknowledged" },
                { "kind": "line_short_or_late", "order": "SO-1", "line": 1 } ] }"#,
        ))
        .unwrap();
        assert_eq!(
            report.failures_text(),
            "step 2 (count): exception count_variance site DFW\n  \
             - expected active\n  \
             + actual   no such exception in the queue, which holds: count_variance item BOLT-M8 site ATL (open, owned by inventory_control)\n\
             step 2 (count): exception count_variance site ATL\n  \
             - expected acknowledged\n  \
             + actual   open, owned by inventory_control\n\
             step 2 (count): exception line_short_or_late order SO-1 line 1\n  \
             - expected active\n  \
             + actual   no such exception in the queue, which holds: count_variance item BOLT-M8 site ATL (open, owned by inventory_control)\n"
        );
    }

    #[test]
    fn an_empty_queue_is_expected_by_the_active_count() {
        let report = run(&short_count(r#"{ "active_exceptions": 0 }"#)).unwrap();
        assert_eq!(
            report.failures_text(),
            "step 2 (count): active exceptions\n  \
             - expected 0\n  \
             + actual   1: count_variance item BOLT-M8 site ATL (open, owned by inventory_control)\n"
        );
        let report = run(&short_count(r#"{ "active_exceptions": 1 }"#)).unwrap();
        assert!(report.passed(), "{}", report.failures_text());
    }

    #[test]
    fn a_held_event_is_named_by_its_step() {
        let s = scenario(
            r#"[{ "receipt": { "site": "ATL", "item": "BOLT-M8", "qty": "10 CS", "bin": "PF-A01", "to": "available" } },
                { "name": "big", "count": { "site": "ATL", "item": "BOLT-M8", "bin": "PF-A01", "counted": "100 EA" },
                  "expect": { "outcome": "pending", "exceptions": [
                    { "kind": "pending_approval", "event": "big", "owner": "supervisor" },
                    { "kind": "count_variance" } ] } }]"#,
        );
        let report = run(&s).unwrap();
        assert_eq!(report.checks(), 3);
        assert_eq!(
            report.failures_text(),
            "step 2 \"big\" (count): exception count_variance\n  \
             - expected active\n  \
             + actual   no such exception in the queue, which holds: pending_approval event of step 2 (open, owned by supervisor)\n"
        );
    }

    #[test]
    fn an_exception_about_an_unknown_step_is_malformed() {
        let s =
            short_count(r#"{ "exceptions": [ { "kind": "pending_approval", "event": "big" } ] }"#);
        assert_eq!(
            run(&s).unwrap_err().to_string(),
            "step 2, field `expect.exceptions.event`: no step is named \"big\""
        );
    }

    #[test]
    fn a_kpi_is_expected_as_a_ratio_a_decimal_or_no_data() {
        let report = run(&short_count(
            r#"{ "kpis": [
                { "kpi": "inventory_record_accuracy", "period": "2026-01", "value": "0/1" },
                { "kpi": "inventory_record_accuracy", "period": "2026-W02", "site": "ATL", "value": "0" },
                { "kpi": "inventory_record_accuracy", "period": "2026-01-06", "value": "no data" },
                { "kpi": "unit_fill_rate", "period": "2026-01", "value": "no data" } ] }"#,
        ))
        .unwrap();
        assert!(report.passed(), "{}", report.failures_text());
        assert_eq!(report.checks(), 4);
    }

    #[test]
    fn a_wrong_kpi_fails_with_the_exact_ratio() {
        let report = run(&short_count(
            r#"{ "kpis": [
                { "kpi": "inventory_record_accuracy", "period": "2026-01", "value": "1/1" },
                { "kpi": "inventory_record_accuracy", "period": "2026-01", "site": "DFW", "value": "0/1" },
                { "kpi": "line_fill_rate", "period": "2026-01-05", "value": "1" } ] }"#,
        ))
        .unwrap();
        assert_eq!(
            report.failures_text(),
            "step 2 (count): kpi inventory_record_accuracy 2026-01\n  \
             - expected 1/1\n  \
             + actual   0/1 = 0\n\
             step 2 (count): kpi inventory_record_accuracy 2026-01 at DFW\n  \
             - expected 0/1\n  \
             + actual   no data\n\
             step 2 (count): kpi line_fill_rate 2026-01-05\n  \
             - expected 1\n  \
             + actual   no data\n"
        );
    }

    #[test]
    fn periods_and_kpi_values_are_read_strictly() {
        use super::super::{KpiValue, PeriodSpec};
        for bad in
            ["2026-1", "2026-13", "2026-W54", "2026-01-32", "January", "2026-01-05T00:00:00Z"]
        {
            assert!(PeriodSpec::try_from(bad.to_owned()).is_err(), "{bad}");
        }
        assert_eq!(
            KpiValue::try_from("3/4".to_owned()),
            Ok(KpiValue::Ratio(Decimal::new(3, 0), Decimal::new(4, 0)))
        );
        assert!(KpiValue::try_from("three quarters".to_owned()).is_err());
        assert!(KpiValue::try_from("1/".to_owned()).is_err());
    }

    proptest::proptest! {
        /// A period written as the report prints it reads back as the same period.
        #[test]
        fn a_period_reads_back_as_printed(days in 0i64..200_000, grain in 0u8..3) {
            use onhand_insight::{Grain, Period};
            let date = chrono::NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono::Duration::days(days);
            let grain = [Grain::Day, Grain::Week, Grain::Month][usize::from(grain)];
            let p = Period::containing(grain, date);
            let read = super::super::PeriodSpec::try_from(p.to_string()).unwrap();
            proptest::prop_assert_eq!(read.0, p);
        }
    }

    #[test]
    fn an_unknown_format_version_is_refused() {
        let mut s = scenario("[]");
        s.format = 2;
        assert_eq!(run(&s).unwrap_err(), ScenarioError::Format { found: 2 });
    }
}
