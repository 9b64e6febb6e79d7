//! The network of the `snapshot` bench and the `snapshot_parts` example: 1,000,000
//! positions (111,112 items stocked at each of 9 sites) with their cost pools, 20,000
//! booked order lines (half hard allocations, half soft reservations) and 1,000 expected
//! receipts.

use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use onhand::ledger::{
    Actor, ActorId, Body, DocKind, DocNumber, DocumentRef, Event, EventId, Line, ReasonCode, Rules,
    SiteLines, SiteScope,
};
use onhand::master::{Catalog, CurrencyCode, LotCode, Money, Role};
use onhand::status::StockStatus;
use onhand::{ExpectedReceipt, Network, NetworkConfig, OrderRequest};
use onhand_testkit::scale;

/// Items stocked at every site.
pub const ITEMS: usize = 111_112;
/// Sites.
pub const SITES: usize = 9;
/// Lines per receipt event while stocking.
const LINES: usize = 500;
const BOOKED: usize = 10_000;
const EXPECTED: usize = 1_000;

/// The ledger rules the network is built (and restored) with.
///
/// # Panics
/// Never: `USD` is a currency code.
#[must_use]
pub fn rules() -> Rules {
    Rules::standard(CurrencyCode::new("USD").expect("usd")).trusting_event_actors()
}

/// Every item stocked at every site, then order lines booked and receipts expected.
///
/// # Panics
/// If the synthetic network refuses one of its own events (a defect).
#[must_use]
pub fn network(catalog: &Arc<Catalog>) -> Network {
    let start = onhand::ledger::testing::at(-60);
    let mut n = Network::with_catalog(catalog.clone(), rules(), NetworkConfig::default(), start)
        .expect("network");
    let actor = Actor {
        id: ActorId::new("bench").expect("id"),
        roles: vec![Role::Warehouse, Role::InventoryControl, Role::Supervisor],
        sites: SiteScope::All,
    };
    let lot = LotCode::new("L1").expect("lot");
    let mut id = 0u128;
    for site in 0..SITES {
        let code = scale::site_code(site);
        let currency = catalog
            .site_ix(&code)
            .and_then(|s| catalog.site_entity(s))
            .and_then(|e| catalog.entity(e))
            .map(|e| e.currency)
            .expect("every synthetic site has an entity");
        let cost = Money::new("1.25".parse().expect("cost"), currency);
        for first in (0..ITEMS).step_by(LINES) {
            let lines = (first..(first + LINES).min(ITEMS))
                .map(|i| {
                    let mut line = Line::new(scale::item_code(i), "1000 EA".parse().expect("qty"))
                        .statuses(None, Some(StockStatus::Available))
                        .cost(cost);
                    // Every fifth synthetic item is lot-controlled.
                    if i.is_multiple_of(5) {
                        line.lot = Some(lot.clone());
                    }
                    line
                })
                .collect();
            id += 1;
            let at = onhand::ledger::testing::at(0);
            let event = Event {
                id: EventId::from_u128(id),
                effective_at: at,
                recorded_at: at,
                actor: actor.clone(),
                reason: ReasonCode::new("BENCH").expect("reason"),
                reference: DocumentRef {
                    kind: DocKind::PurchaseOrder,
                    number: DocNumber::new("PO-STOCK").expect("doc"),
                },
                body: Body::Receipt(SiteLines { site: code.clone(), lines }),
            };
            assert!(n.apply(&event).expect("receipt").accepted());
        }
        n.drain_journal();
    }
    let day = NaiveDate::from_ymd_opt(2026, 1, 9).expect("date");
    for i in 0..2 * BOOKED {
        let mut r = OrderRequest::new(
            DocNumber::new("SO-1").expect("doc"),
            u32::try_from(i).expect("line"),
            "C1".parse().expect("customer"),
            scale::item_code(i * 7 % ITEMS),
            "5 EA".parse().expect("qty"),
            day,
        );
        r.customer = None;
        r.ship_to = Some("R1".parse().expect("region"));
        let booked = if i < BOOKED {
            n.allocate(&r).expect("allocate")
        } else {
            n.reserve(&r, start + Duration::days(3)).expect("reserve")
        };
        assert!(booked.promise.on_time);
    }
    for i in 0..EXPECTED {
        n.expect(ExpectedReceipt {
            order: DocNumber::new("PO-OPEN").expect("doc"),
            line: u32::try_from(i).expect("line"),
            supplier: None,
            item: scale::item_code(i * 13 % ITEMS),
            site: scale::site_code(i % SITES),
            qty: "40 EA".parse().expect("qty"),
            due: day,
            unit_cost: None,
        })
        .expect("expected receipt");
    }
    n.drain_journal();
    n
}
