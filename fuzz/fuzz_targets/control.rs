//! The exception queue (`onhand-control`) from arbitrary bytes: its rules (JSON, else the
//! standard rules), a run of calls (signals of every kind about a few subjects, with
//! values that may be huge, negative or fractional, currencies without a rate, times at
//! the ends of the calendar, sites that disagree and holds that are missing or
//! misplaced; clearances; actors' actions, approvals and rejections; escalation; views
//! and backlog), then its snapshot, restored as taken and with a few bytes of its JSON
//! changed. Nothing may panic, and:
//!
//! - a call refused with an error leaves the queue exactly as it was (its snapshot);
//! - a view shows an actor only exceptions it may act on;
//! - escalating again at the same time moves nothing;
//! - the queue's own snapshot restores to the same queue, snapshot for snapshot.
//!
//! Input layout: a two-byte length (low byte first) and that many bytes of rules JSON, then
//! one selector byte and its operands per call (missing bytes read as zero), then the
//! edits to the snapshot's JSON.
#![no_main]

mod reader;

use chrono::{DateTime, Duration, TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use onhand::control::{
    Action, ClearReason, Clearance, Control, ControlSnapshot, ExceptionId, ExceptionKind, Filter,
    Hold, Impact, RefCode, Rules, ServiceClass, Signal, Subject,
};
use onhand::ledger::{Actor, ActorId, DocNumber, EventId, SiteScope};
use onhand::master::{CurrencyCode, EntityCode, ItemCode, LotCode, Role, SiteCode, VelocityClass};
use reader::Reader;

const ITEMS: [&str; 2] = ["BOLT", "NUT"];
const SITES: [&str; 3] = ["S1", "S2", "S3"];
const ACTORS: [&str; 3] = ["pat", "sam", "poster"];

fn usd() -> Option<CurrencyCode> {
    CurrencyCode::new("USD").ok()
}

impl Reader<'_> {
    /// A time: minutes into a working week, sometimes at the ends of the calendar.
    fn time(&mut self) -> DateTime<Utc> {
        let start = Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).single().unwrap_or_default();
        match self.byte() % 32 {
            0 => DateTime::<Utc>::MAX_UTC,
            1 => DateTime::<Utc>::MIN_UTC,
            _ => {
                let minutes = i64::from(self.byte()) | (i64::from(self.byte()) << 8);
                start + Duration::minutes(minutes)
            }
        }
    }

    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        let n = list.len().max(1);
        list.get(usize::from(self.byte()) % n).copied().unwrap_or("X")
    }

    fn site(&mut self) -> Option<SiteCode> {
        SiteCode::new(self.pick(&SITES)).ok()
    }

    fn item(&mut self) -> Option<ItemCode> {
        ItemCode::new(self.pick(&ITEMS)).ok()
    }

    fn doc(&mut self) -> Option<DocNumber> {
        DocNumber::new(format!("DOC-{}", self.byte() % 3)).ok()
    }

    fn event(&mut self) -> EventId {
        EventId::from_u128(u128::from(self.byte() % 4))
    }

    fn roles(&mut self) -> Vec<Role> {
        let bits = self.byte();
        Role::ALL
            .iter()
            .enumerate()
            .filter(|(i, _)| bits & (1 << i) != 0)
            .map(|(_, r)| *r)
            .collect()
    }

    fn kind(&mut self) -> ExceptionKind {
        let all = ExceptionKind::ALL;
        all.get(usize::from(self.byte()) % all.len())
            .copied()
            .unwrap_or(ExceptionKind::StockoutRisk)
    }

    fn subject(&mut self) -> Option<Subject> {
        Some(match self.byte() % 7 {
            0 => Subject::Line { order: self.doc()?, line: u32::from(self.byte() % 3) },
            1 => Subject::Event { event: self.event() },
            2 => Subject::Transfer {
                transfer: self.doc()?,
                item: if self.byte() % 2 == 0 { None } else { self.item() },
            },
            3 => Subject::Receipt { order: self.doc()? },
            4 => Subject::Entities {
                seller: EntityCode::new("NA01").ok()?,
                buyer: EntityCode::new(if self.byte() % 2 == 0 { "CA01" } else { "NA01" }).ok()?,
            },
            5 => Subject::Record {
                violation: RefCode::new("V1").ok()?,
                record: RefCode::new(format!("R{}", self.byte() % 3)).ok()?,
            },
            _ => Subject::ItemSite {
                item: self.item()?,
                site: self.site()?,
                lot: if self.byte() % 4 == 0 { LotCode::new("L1").ok() } else { None },
            },
        })
    }

    fn currency(&mut self) -> Option<CurrencyCode> {
        match self.byte() % 8 {
            0 => CurrencyCode::new("CAD").ok(),
            1 => CurrencyCode::new("EUR").ok(),
            _ => usd(),
        }
    }

    fn signal(&mut self) -> Option<Signal> {
        let kind = self.kind();
        let subject = self.subject()?;
        let at = self.time();
        let mut impact = Impact::value(self.figure(), self.currency()?).quantity(self.figure());
        if self.byte() % 2 == 0 {
            let class = match self.byte() % 3 {
                0 => ServiceClass::Key,
                1 => ServiceClass::Economy,
                _ => ServiceClass::Standard,
            };
            impact = impact.lines(u32::from(self.byte()), u32::from(self.byte() % 4), class);
        }
        if self.byte() % 4 == 0 {
            impact = impact.days_of_supply(self.figure());
        }
        let mut signal = Signal::new(kind, subject, at, impact);
        let extras = self.byte();
        if extras & 1 != 0 {
            signal = signal.at_site(self.site()?);
        }
        if extras & 2 != 0 {
            signal = signal.for_entity(EntityCode::new("NA01").ok()?);
        }
        if extras & 4 != 0 {
            signal = signal.for_item(self.item()?);
        }
        if extras & 8 != 0 {
            signal = signal.item_class(VelocityClass::A);
        }
        // A pending approval comes with a hold, mostly; anything else seldom does.
        let held = (kind == ExceptionKind::PendingApproval) != (extras & 16 != 0);
        if held {
            let poster = ActorId::new(self.pick(&ACTORS)).ok()?;
            signal = signal.held(Hold::new(poster, self.roles()));
        }
        Some(signal)
    }

    fn actor(&mut self) -> Option<Actor> {
        let id = ActorId::new(self.pick(&ACTORS)).ok()?;
        let roles = self.roles();
        let sites = if self.byte() % 3 == 0 {
            SiteScope::All
        } else {
            let bits = self.byte();
            let list = SITES
                .iter()
                .enumerate()
                .filter(|(i, _)| bits & (1 << i) != 0)
                .filter_map(|(_, s)| SiteCode::new(*s).ok())
                .collect();
            SiteScope::Sites(list)
        };
        Some(Actor { id, roles, sites })
    }

    fn action(&mut self) -> Action {
        match self.byte() % 5 {
            0 => Action::Acknowledge,
            1 => Action::Start,
            2 => Action::Resolve,
            3 => Action::Cancel,
            _ => Action::Reopen,
        }
    }

    fn reason(&mut self) -> ClearReason {
        match self.byte() % 10 {
            0 => ClearReason::StockArrived,
            1 => ClearReason::Fulfilled,
            2 => ClearReason::Recounted,
            3 => ClearReason::Released,
            4 => ClearReason::Approved,
            5 => ClearReason::Rejected,
            6 => ClearReason::Received,
            7 => ClearReason::Reconciled,
            8 => ClearReason::Corrected,
            _ => ClearReason::Decided,
        }
    }
}

/// One call; a refused one must leave the queue as it was.
fn step(control: &mut Control, r: &mut Reader<'_>) {
    let before = control.snapshot();
    let refused = match r.byte() % 8 {
        0..=2 => r.signal().map(|s| control.apply(&s).is_err()),
        3 => r.subject().map(|subject| {
            let clearance = Clearance { kind: r.kind(), subject, at: r.time(), reason: r.reason() };
            control.clear(&clearance).is_err()
        }),
        4 => {
            let id = ExceptionId(u64::from(r.byte() % 24));
            let (action, at) = (r.action(), r.time());
            r.actor().map(|a| control.act(id, &a, action, at).is_err())
        }
        5 => {
            let (event, approve, at) = (r.event(), r.byte() % 2 == 0, r.time());
            r.actor().map(|a| {
                let decided = if approve {
                    control.approve(event, &a, at)
                } else {
                    control.reject(event, &a, at)
                };
                decided.is_err()
            })
        }
        6 => {
            let now = r.time();
            control.escalate(now);
            assert!(control.escalate(now).is_empty(), "escalating again at {now} moved something");
            Some(false)
        }
        _ => {
            let filter = Filter {
                role: r.roles().first().copied(),
                site: if r.byte() % 2 == 0 { None } else { r.site() },
            };
            let now = r.time();
            r.actor().map(|a| {
                if let Ok(list) = control.view(&a, &filter, usize::from(r.byte())) {
                    for e in list {
                        assert!(
                            e.allows(&a).is_ok(),
                            "{} shown to {} who may not act on it",
                            e.id,
                            a.id
                        );
                    }
                }
                for task in control.approvals_for(&a) {
                    assert_ne!(task.poster, a.id, "a poster is routed its own event");
                }
                let _ = control.backlog(now);
                false
            })
        }
    };
    if refused == Some(true) {
        assert!(control.snapshot() == before, "a refused call changed the queue");
    }
}

fuzz_target!(|data: &[u8]| {
    let mut r = Reader::new(data);
    let len = usize::from(r.byte()) | (usize::from(r.byte()) << 8);
    let json = r.take(len);
    let Some(usd) = usd() else { return };
    let rules = serde_json::from_slice::<Rules>(&json).unwrap_or_else(|_| Rules::standard(usd));
    let Ok(mut control) = Control::new(rules.clone()) else { return };
    for _ in 0..48 {
        if r.done() {
            break;
        }
        step(&mut control, &mut r);
    }
    let snapshot = control.snapshot();
    let restored = Control::restore(rules.clone(), &snapshot).expect("a queue's own snapshot");
    assert!(restored.snapshot() == snapshot, "restored, the queue is another");
    // The snapshot's JSON with a few bytes changed: read and restored, or refused.
    let Ok(mut text) = serde_json::to_vec(&snapshot) else { return };
    for _ in 0..usize::from(r.byte() % 4) {
        let at = (usize::from(r.byte()) | (usize::from(r.byte()) << 8)) % text.len().max(1);
        let with = b"0123456789-.e\",:{}[]nul aA"[usize::from(r.byte()) % 26];
        if let Some(b) = text.get_mut(at) {
            *b = with;
        }
    }
    if let Ok(edited) = serde_json::from_slice::<ControlSnapshot>(&text) {
        if let Ok(back) = Control::restore(rules, &edited) {
            // Restored, it takes calls like any queue.
            let mut back = back;
            let _ = back.escalate(DateTime::<Utc>::MAX_UTC);
            let _ = back.backlog(DateTime::<Utc>::MAX_UTC);
        }
    }
});
