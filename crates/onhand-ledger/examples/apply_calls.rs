//! A fixed run of [`Ledger::apply`] over receipts, picks, counts and transfers on a
//! network of 10,000 items across 9 sites, for instruction counts per event under
//! callgrind (the criterion bench `ledger` in `onhand-benches` times the same kinds of
//! event on 100,000 items; this one is small enough for callgrind to finish in seconds
//! and builds only this crate and its dependencies).
//!
//! ```text
//! cargo build --release -p onhand-ledger --example apply_calls
//! for phase in receipts picks counts transfers; do
//!   valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     --toggle-collect=apply_calls::measured target/release/examples/apply_calls $phase
//! done
//! ```
//!
//! The phase named on the command line is applied through `measured`, the others
//! inline; each applies [`EVENTS`] events: divide the instruction count by that.

use std::hint::black_box;
use std::sync::Arc;

use onhand_ledger::{
    Actor, ActorId, Applied, Body, Count, CountLine, DocKind, DocNumber, DocumentRef, Event,
    EventId, Ledger, Line, ReasonCode, Rules, SiteLines, SiteScope, TransferLine, TransferRequest,
};
use onhand_master::{Catalog, CurrencyCode, ItemCode, LotCode, Qty, Role, SiteCode};
use onhand_status::StockStatus;
use onhand_testkit::scale;

const ITEMS: usize = 10_000;
const SITES: usize = 9;
/// Events per measured phase.
pub const EVENTS: usize = 10_000;

struct Setup {
    actor: Actor,
    reason: ReasonCode,
    lot: LotCode,
}

impl Setup {
    fn event(&self, id: u128, minute: i64, kind: DocKind, number: &str, body: Body) -> Event {
        let at = onhand_ledger::testing::at(minute);
        Event {
            id: EventId::from_u128(id),
            effective_at: at,
            recorded_at: at,
            actor: self.actor.clone(),
            reason: self.reason.clone(),
            reference: DocumentRef { kind, number: DocNumber::new(number).expect("doc") },
            body,
        }
    }

    fn line(&self, i: usize, qty: &str) -> Line {
        let mut line = Line::new(scale::item_code(i), qty.parse::<Qty>().expect("qty"));
        if i.is_multiple_of(5) {
            line.lot = Some(self.lot.clone());
        }
        line
    }

    fn mv(site: usize, lines: Vec<Line>) -> SiteLines {
        SiteLines { site: scale::site_code(site), lines }
    }
}

// Always inlined: an outlined copy would be identical to `measured`, and the two would
// be merged into one symbol.
#[allow(clippy::inline_always, reason = "keeps `measured` the only symbol of its kind")]
#[inline(always)]
fn apply_all(ledger: &mut Ledger, events: &[Event]) -> usize {
    let mut accepted = 0;
    for e in events {
        if matches!(ledger.apply(black_box(e)), Ok(Applied::Accepted(_))) {
            accepted += 1;
        }
    }
    accepted
}

/// The phase being measured: the only call of `apply_all` not inlined into `main`, so
/// it alone has a symbol for `--toggle-collect`.
#[inline(never)]
fn measured(ledger: &mut Ledger, events: &[Event]) -> usize {
    apply_all(ledger, events)
}

fn main() {
    let catalog =
        Arc::new(Catalog::new(scale::network(ITEMS, SITES, false)).expect("synthetic network"));
    let setup = Setup {
        actor: Actor {
            id: ActorId::new("bench").expect("id"),
            roles: vec![Role::Warehouse, Role::InventoryControl, Role::Planning, Role::Supervisor],
            sites: SiteScope::All,
        },
        reason: ReasonCode::new("BENCH").expect("reason"),
        lot: LotCode::new("L1").expect("lot"),
    };
    let mut ledger = Ledger::new(
        catalog,
        Rules::standard(CurrencyCode::new("USD").expect("usd")).trusting_event_actors(),
    )
    .expect("ledger");

    let receipts: Vec<Event> = (0..EVENTS)
        .map(|i| {
            let mut line = setup.line(i, "1000 EA");
            line.to = Some(StockStatus::Available);
            let body = Body::Receipt(Setup::mv(i % SITES, vec![line]));
            setup.event(1 + i as u128, 0, DocKind::PurchaseOrder, "PO-1", body)
        })
        .collect();
    let picks: Vec<Event> = (0..EVENTS)
        .map(|i| {
            let body = Body::Pick(Setup::mv(i % SITES, vec![setup.line(i, "3 EA")]));
            setup.event(1_000_000 + i as u128, 10, DocKind::SalesOrder, "SO-1", body)
        })
        .collect();
    let counts: Vec<Event> = (0..EVENTS)
        .map(|i| {
            let line = CountLine {
                item: scale::item_code(i),
                bin: None,
                lot: (i % 5 == 0).then(|| setup.lot.clone()),
                status: None,
                counted: if i % 2 == 0 { "997 EA" } else { "990 EA" }.parse().expect("qty"),
                serials: vec![],
                owner: None,
            };
            let site = SiteCode::new(scale::site_code(i % SITES).as_str()).expect("site");
            let body = Body::CycleCount(Count { site, lines: vec![line] });
            setup.event(2_000_000 + i as u128, 20, DocKind::Count, "CNT-1", body)
        })
        .collect();
    // A transfer per item from its site to the next: request, approve, ship, receive.
    let planner = Actor { id: ActorId::new("planner2").expect("id"), ..setup.actor.clone() };
    let mut transfers = Vec::with_capacity(EVENTS);
    for i in 0..EVENTS / 4 {
        let (from, to) = (i % SITES, (i + 1) % SITES);
        let number = format!("TO-{i}");
        let id = 3_000_000 + 4 * i as u128;
        let req = TransferRequest {
            from: scale::site_code(from),
            to: scale::site_code(to),
            lines: vec![TransferLine {
                item: ItemCode::new(scale::item_code(i).as_str()).expect("item"),
                qty: "10 EA".parse().expect("qty"),
            }],
            expected_arrival: None,
        };
        let order = DocKind::TransferOrder;
        transfers.push(setup.event(id, 30, order, &number, Body::TransferRequest(req)));
        let mut approve = setup.event(id + 1, 31, order, &number, Body::TransferApprove);
        approve.actor = planner.clone();
        transfers.push(approve);
        let ship = Body::TransferShip(Setup::mv(from, vec![setup.line(i, "10 EA")]));
        transfers.push(setup.event(id + 2, 32, order, &number, ship));
        let receive = Body::TransferReceipt(Setup::mv(to, vec![setup.line(i, "10 EA")]));
        transfers.push(setup.event(id + 3, 33, order, &number, receive));
    }

    let phases = [
        ("receipts", &receipts),
        ("picks", &picks),
        ("counts", &counts),
        ("transfers", &transfers),
    ];
    let measure = std::env::args().nth(1).unwrap_or_default();
    for (name, events) in phases {
        let accepted = if name == measure {
            measured(&mut ledger, events)
        } else {
            apply_all(&mut ledger, events)
        };
        assert_eq!(accepted, EVENTS, "{name}");
    }
    black_box(ledger);
}
