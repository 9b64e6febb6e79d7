//! The network bench's mixed events (`cargo bench -p onhand-benches --bench network --
//! mixed`: a third receipts with a purchase cost, a third picks, a third cycle counts)
//! through [`Ledger::apply`] alone and through [`Network::apply`], on a network of
//! 10,000 items across 9 sites, for instruction counts per event under callgrind.
//!
//! ```text
//! cargo build --release -p onhand --example network_apply_calls
//! for run in ledger network network_no_insight; do
//!   valgrind --tool=callgrind --callgrind-out-file=/tmp/mix.$run.cg \
//!     --toggle-collect=network_apply_calls::measured_* \
//!     target/release/examples/network_apply_calls $run
//! done
//! callgrind_annotate --inclusive=yes /tmp/mix.network.cg | head -60
//! ```
//!
//! The run named on the command line is measured (the others are not run); each applies
//! [`ITEMS`] events: divide the instruction count by that.
//!
//! Under valgrind the CPU reports no SHA extensions, so `sha2` takes its portable path:
//! callgrind then puts more than half of a network event's instructions in SHA-256,
//! where on a CPU with them (`grep sha_ni /proc/cpuinfo`) a `perf record` of the
//! `network` bench finds about 3% of its time there. Read SHA-256's share from a
//! profile on the hardware, not from these counts.

use std::hint::black_box;
use std::sync::Arc;

use onhand::ledger::{
    Actor, ActorId, Applied, Body, Count, CountLine, DocKind, DocNumber, DocumentRef, Event,
    EventId, Ledger, Line, ReasonCode, Rules, SiteLines, SiteScope,
};
use onhand::master::{Catalog, CurrencyCode, LotCode, Money, Qty, Role};
use onhand::status::StockStatus;
use onhand::{Network, NetworkConfig};
use onhand_testkit::scale;

/// Items, and events per measured run.
pub const ITEMS: usize = 10_000;
const SITES: usize = 9;

struct Setup {
    catalog: Arc<Catalog>,
    actor: Actor,
    reason: ReasonCode,
    lot: LotCode,
}

impl Setup {
    fn event(&self, id: u128, minute: i64, kind: DocKind, body: Body) -> Event {
        let at = onhand::ledger::testing::at(minute);
        Event {
            id: EventId::from_u128(id),
            effective_at: at,
            recorded_at: at,
            actor: self.actor.clone(),
            reason: self.reason.clone(),
            reference: DocumentRef { kind, number: DocNumber::new("DOC-1").expect("doc") },
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

    fn receipt(&self, id: u128, minute: i64, i: usize, qty: &str) -> Event {
        let site = i % SITES;
        let currency = self
            .catalog
            .site_ix(&scale::site_code(site))
            .and_then(|s| self.catalog.site_entity(s))
            .and_then(|e| self.catalog.entity(e))
            .map(|e| e.currency)
            .expect("every synthetic site has an entity");
        let cost = Money::new("1.25".parse().expect("cost"), currency);
        let line = self.line(i, qty).statuses(None, Some(StockStatus::Available)).cost(cost);
        let body = Body::Receipt(SiteLines { site: scale::site_code(site), lines: vec![line] });
        self.event(id, minute, DocKind::PurchaseOrder, body)
    }

    fn mixed(&self) -> Vec<Event> {
        (0..ITEMS)
            .map(|i| {
                let id = 1_000_000 + i as u128;
                let site = scale::site_code(i % SITES);
                match i % 3 {
                    0 => self.receipt(id, 10, i, "12 EA"),
                    1 => {
                        let line = self.line(i, "3 EA");
                        let body = Body::Pick(SiteLines { site, lines: vec![line] });
                        self.event(id, 10, DocKind::SalesOrder, body)
                    }
                    _ => {
                        let line = CountLine {
                            item: scale::item_code(i),
                            bin: None,
                            lot: i.is_multiple_of(5).then(|| self.lot.clone()),
                            status: Some(StockStatus::Available),
                            counted: "999 EA".parse().expect("qty"),
                            serials: Vec::new(),
                            owner: None,
                        };
                        let body = Body::CycleCount(Count { site, lines: vec![line] });
                        self.event(id, 10, DocKind::Count, body)
                    }
                }
            })
            .collect()
    }
}

/// The ledger alone.
#[inline(never)]
fn measured_ledger(ledger: &mut Ledger, events: &[Event]) -> usize {
    let mut accepted = 0;
    for e in events {
        if matches!(ledger.apply(black_box(e)), Ok(Applied::Accepted(_))) {
            accepted += 1;
        }
    }
    accepted
}

/// The network (with the KPI feed or without).
#[inline(never)]
fn measured_network(network: &mut Network, events: &[Event]) -> usize {
    let mut accepted = 0;
    for e in events {
        if network.apply(black_box(e)).is_ok_and(|o| o.accepted()) {
            accepted += 1;
        }
    }
    accepted
}

fn main() {
    let catalog =
        Arc::new(Catalog::new(scale::network(ITEMS, SITES, false)).expect("synthetic network"));
    let setup = Setup {
        catalog: catalog.clone(),
        actor: Actor {
            id: ActorId::new("bench").expect("id"),
            roles: vec![Role::Warehouse, Role::InventoryControl, Role::Supervisor],
            sites: SiteScope::All,
        },
        reason: ReasonCode::new("BENCH").expect("reason"),
        lot: LotCode::new("L1").expect("lot"),
    };
    let rules = Rules::standard(CurrencyCode::new("USD").expect("usd")).trusting_event_actors();
    let stock: Vec<Event> =
        (0..ITEMS).map(|i| setup.receipt(i as u128 + 1, 0, i, "1000 EA")).collect();
    let events = setup.mixed();
    let run = std::env::args().nth(1).unwrap_or_else(|| "network".to_owned());
    let accepted = if run == "ledger" {
        let mut ledger = Ledger::new(catalog, rules).expect("ledger");
        for e in &stock {
            ledger.apply(e).expect("stock");
        }
        let n = measured_ledger(&mut ledger, &events);
        black_box(ledger);
        n
    } else {
        let mut config = NetworkConfig::default();
        config.insight.enabled = run != "network_no_insight";
        let mut network =
            Network::with_catalog(catalog, rules, config, onhand::ledger::testing::at(-60))
                .expect("network");
        for e in &stock {
            network.apply(e).expect("stock");
        }
        let n = measured_network(&mut network, &events);
        black_box(network);
        n
    };
    assert_eq!(accepted, ITEMS, "{run}");
}
