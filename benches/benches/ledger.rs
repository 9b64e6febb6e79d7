#![allow(missing_docs)] // criterion_group! generates an undocumented function
//! Ledger event application on a network of 100,000 items across 9 sites: receipts,
//! picks, transfers (request, approve, ship, receive) and counts, each one at a time
//! (`apply`) and as a batch (`apply_batch`, the `_batch` variants), rejected events, and
//! the journal's chained digest, and the idempotency digest of an event alone
//! (`content_digest`). Each iteration applies a batch of pre-built events to a
//! ledger cloned outside the timed section; throughput is in events.
//!
//! Also prints, once, the memory the ledger holds per position (from the process's
//! resident set, measured around building a ledger of 900,000 positions).

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use onhand_ledger::{
    Actor, ActorId, Applied, Body, Count, CountLine, DocKind, DocNumber, DocumentRef, Event,
    EventId, Journal, Ledger, Line, ReasonCode, Rules, SiteLines, SiteScope, TransferLine,
    TransferRequest,
};
use onhand_master::{Catalog, CurrencyCode, ItemCode, LotCode, Qty, Role, SiteCode};
use onhand_status::StockStatus;
use onhand_testkit::scale;

const ITEMS: usize = 100_000;
const SITES: usize = 9;
const BATCH: usize = 100_000;

struct Setup {
    catalog: Arc<Catalog>,
    actor: Actor,
    reason: ReasonCode,
    lot: LotCode,
}

impl Setup {
    fn new() -> Self {
        let data = scale::network(ITEMS, SITES, false);
        Setup {
            catalog: Arc::new(Catalog::new(data).expect("valid synthetic network")),
            actor: Actor {
                id: ActorId::new("bench").expect("id"),
                roles: vec![
                    Role::Warehouse,
                    Role::InventoryControl,
                    Role::Planning,
                    Role::Supervisor,
                ],
                sites: SiteScope::All,
            },
            reason: ReasonCode::new("BENCH").expect("reason"),
            lot: LotCode::new("L1").expect("lot"),
        }
    }

    fn ledger(&self) -> Ledger {
        Ledger::new(
            self.catalog.clone(),
            Rules::standard(CurrencyCode::new("USD").expect("usd")).trusting_event_actors(),
        )
        .expect("ledger")
    }

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

    /// One available receipt per item, spread over the sites: item i at site i % SITES.
    fn receipts(&self, base_id: u128, qty: &str) -> Vec<Event> {
        (0..BATCH)
            .map(|i| {
                let mut line = self.line(i, qty);
                line.to = Some(StockStatus::Available);
                self.event(
                    base_id + i as u128,
                    0,
                    DocKind::PurchaseOrder,
                    "PO-1",
                    Body::Receipt(Self::mv(i % SITES, vec![line])),
                )
            })
            .collect()
    }

    fn stocked(&self) -> Ledger {
        let mut ledger = self.ledger();
        for e in self.receipts(1, "1000 EA") {
            ledger.apply(&e).expect("receipt");
        }
        ledger
    }
}

fn apply_all(ledger: &mut Ledger, events: &[Event]) -> usize {
    let mut accepted = 0;
    for e in events {
        if matches!(ledger.apply(e), Ok(Applied::Accepted(_))) {
            accepted += 1;
        }
    }
    accepted
}

/// As `apply_all`, through `Ledger::apply_batch` (reads ahead what each run of events
/// looks up).
fn apply_batch(ledger: &mut Ledger, events: &[Event]) -> usize {
    let mut accepted = 0;
    ledger.apply_batch(events, |_, r| {
        if matches!(r, Ok(Applied::Accepted(_))) {
            accepted += 1;
        }
    });
    accepted
}

fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn memory_per_position(setup: &Setup) {
    let before = rss_bytes();
    let mut ledger = setup.ledger();
    for s in 0..SITES {
        for i in 0..ITEMS {
            let mut line = setup.line(i, "5 EA");
            line.to = Some(StockStatus::Available);
            let e = setup.event(
                ((s * ITEMS + i) as u128) + 10_000_000,
                0,
                DocKind::PurchaseOrder,
                "PO-M",
                Body::Receipt(Setup::mv(s, vec![line])),
            );
            ledger.apply(&e).expect("receipt");
        }
    }
    let after = rss_bytes();
    let positions = ledger.position_count();
    if let (Some(b), Some(a)) = (before, after) {
        let growth = a.saturating_sub(b);
        let per = growth / u64::try_from(positions.max(1)).unwrap_or(1);
        eprintln!(
            "ledger memory: {positions} positions, {} MiB resident growth, {per} bytes per position \
             (position, one open-period history entry, and the event-id index entry)",
            growth >> 20
        );
    }
    black_box(ledger);
}

// One group over one fixture: splitting it would rebuild the 100,000-item ledger per part.
#[allow(clippy::too_many_lines)]
fn events(c: &mut Criterion) {
    let setup = Setup::new();
    memory_per_position(&setup);
    let empty = setup.ledger();
    let stocked = setup.stocked();

    let mut g = c.benchmark_group("ledger");
    g.sample_size(10);
    g.throughput(Throughput::Elements(BATCH as u64));

    let receipts = setup.receipts(1, "1000 EA");
    assert_eq!(apply_all(&mut empty.clone(), &receipts), BATCH);
    g.bench_function("receipt", |b| {
        b.iter_batched(
            || empty.clone(),
            |mut l| {
                apply_all(&mut l, &receipts);
                l
            },
            BatchSize::PerIteration,
        );
    });

    let picks: Vec<Event> = (0..BATCH)
        .map(|i| {
            let line = setup.line(i, "3 EA");
            setup.event(
                1_000_000 + i as u128,
                10,
                DocKind::SalesOrder,
                "SO-1",
                Body::Pick(Setup::mv(i % SITES, vec![line])),
            )
        })
        .collect();
    assert_eq!(apply_all(&mut stocked.clone(), &picks), BATCH);
    g.bench_function("receipt_batch", |b| {
        b.iter_batched(
            || empty.clone(),
            |mut l| {
                apply_batch(&mut l, &receipts);
                l
            },
            BatchSize::PerIteration,
        );
    });
    g.bench_function("pick", |b| {
        b.iter_batched(
            || stocked.clone(),
            |mut l| {
                apply_all(&mut l, &picks);
                l
            },
            BatchSize::PerIteration,
        );
    });

    let counts: Vec<Event> = (0..BATCH)
        .map(|i| {
            let line = CountLine {
                item: scale::item_code(i),
                bin: None,
                lot: (i % 5 == 0).then(|| setup.lot.clone()),
                status: None,
                counted: if i % 2 == 0 { "1000 EA" } else { "999 EA" }.parse().expect("qty"),
                serials: vec![],
                owner: None,
            };
            let site = SiteCode::new(scale::site_code(i % SITES).as_str()).expect("site");
            setup.event(
                2_000_000 + i as u128,
                20,
                DocKind::Count,
                "CNT-1",
                Body::CycleCount(Count { site, lines: vec![line] }),
            )
        })
        .collect();
    assert_eq!(apply_all(&mut stocked.clone(), &counts), BATCH);
    g.bench_function("pick_batch", |b| {
        b.iter_batched(
            || stocked.clone(),
            |mut l| {
                apply_batch(&mut l, &picks);
                l
            },
            BatchSize::PerIteration,
        );
    });
    g.bench_function("count", |b| {
        b.iter_batched(
            || stocked.clone(),
            |mut l| {
                apply_all(&mut l, &counts);
                l
            },
            BatchSize::PerIteration,
        );
    });
    g.bench_function("count_batch", |b| {
        b.iter_batched(
            || stocked.clone(),
            |mut l| {
                apply_batch(&mut l, &counts);
                l
            },
            BatchSize::PerIteration,
        );
    });

    // A transfer per item from its site to the next: request, approve, ship, receive.
    let mut transfers = Vec::with_capacity(BATCH);
    let n = BATCH / 4;
    let planner = Actor { id: ActorId::new("planner2").expect("id"), ..setup.actor.clone() };
    for i in 0..n {
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
        transfers.push(setup.event(
            id,
            30,
            DocKind::TransferOrder,
            &number,
            Body::TransferRequest(req),
        ));
        let mut approve =
            setup.event(id + 1, 31, DocKind::TransferOrder, &number, Body::TransferApprove);
        approve.actor = planner.clone();
        transfers.push(approve);
        transfers.push(setup.event(
            id + 2,
            32,
            DocKind::TransferOrder,
            &number,
            Body::TransferShip(Setup::mv(from, vec![setup.line(i, "10 EA")])),
        ));
        transfers.push(setup.event(
            id + 3,
            33,
            DocKind::TransferOrder,
            &number,
            Body::TransferReceipt(Setup::mv(to, vec![setup.line(i, "10 EA")])),
        ));
    }
    assert_eq!(apply_all(&mut stocked.clone(), &transfers), transfers.len());
    g.bench_function("transfer", |b| {
        b.iter_batched(
            || stocked.clone(),
            |mut l| {
                apply_all(&mut l, &transfers);
                l
            },
            BatchSize::PerIteration,
        );
    });
    g.bench_function("transfer_batch", |b| {
        b.iter_batched(
            || stocked.clone(),
            |mut l| {
                apply_batch(&mut l, &transfers);
                l
            },
            BatchSize::PerIteration,
        );
    });

    // Rejected: picks of more than is there, and of an unknown item, alternately.
    let rejected: Vec<Event> = (0..BATCH)
        .map(|i| {
            let mut line = setup.line(i, "5000 EA");
            if i % 2 == 1 {
                line.item = ItemCode::new("NO-SUCH-ITEM").expect("item");
                line.lot = None;
            }
            setup.event(
                4_000_000 + i as u128,
                40,
                DocKind::SalesOrder,
                "SO-2",
                Body::Pick(Setup::mv(i % SITES, vec![line])),
            )
        })
        .collect();
    assert_eq!(apply_all(&mut stocked.clone(), &rejected), 0);
    g.bench_function("rejected", |b| {
        b.iter_batched(
            || stocked.clone(),
            |mut l| {
                apply_all(&mut l, &rejected);
                l
            },
            BatchSize::PerIteration,
        );
    });

    // The idempotency digest alone (SHA-256 over each receipt's canonical encoding), the
    // part of `receipt` the duplicate check costs.
    g.bench_function("content_digest", |b| {
        b.iter(|| {
            let mut acc = 0u8;
            for e in &receipts {
                acc ^= e.content_digest().0[0];
            }
            black_box(acc)
        });
    });

    g.bench_function("journal_append", |b| {
        b.iter_batched(
            Journal::new,
            |mut j| {
                for e in &picks {
                    j.append(e.clone()).expect("append");
                }
                j
            },
            BatchSize::PerIteration,
        );
    });
    g.finish();
}

/// Input the ledger once took quadratic time over (issue 13), at ten times the sizes
/// measured there, each beside the ordinary case of the same work as its baseline: one
/// receipt of 640,000 lines with distinct lots against 640,000 one-line receipts; one
/// line of 320,000 serials against 320,000 one-serial receipts; 200,000 events on one
/// position each back-dated before all the others against the same events in time
/// order. Throughput is in lines, serials and events.
fn bounded(c: &mut Criterion) {
    use onhand_ledger::testing::{actor, doc, event, movement};
    const LOTS: usize = 640_000;
    const SERIALS: usize = 320_000;
    const BACK_DATED: i64 = 200_000;

    let catalog =
        Arc::new(Catalog::new(onhand_master::seed::demo_network()).expect("demo network"));
    let empty = Ledger::new(
        catalog,
        Rules::standard(CurrencyCode::new("USD").expect("usd")).trusting_event_actors(),
    )
    .expect("ledger");
    let who = actor("bench", &[Role::Warehouse, Role::InventoryControl]).expect("actor");
    let bin = onhand_master::BinCode::new("PF-A01").expect("bin");
    let receipt = |id: u128, minute: i64, lines: Vec<Line>| {
        let mv = movement("ATL", lines).expect("movement");
        let reference = doc(DocKind::PurchaseOrder, "PO-B").expect("doc");
        event(id, minute, who.clone(), "BENCH", reference, Body::Receipt(mv)).expect("event")
    };
    let line = |item: &str, qty: &str| {
        let mut l = Line::new(ItemCode::new(item).expect("item"), qty.parse().expect("qty"))
            .at(bin.clone());
        l.to = Some(StockStatus::Available);
        l
    };
    let lot_line =
        |i: usize| line("GLUE-500", "1 EA").lot(LotCode::new(format!("L{i}")).expect("lot"));
    let serial_line = |range: std::ops::Range<usize>| {
        let mut l = line("DRILL-18V", &format!("{} EA", range.len()));
        l.serials = range
            .map(|i| onhand_master::SerialNo::new(format!("SN-{i}")).expect("serial"))
            .collect();
        l
    };
    let run = |events: &[Event]| {
        let mut l = empty.clone();
        let n = apply_all(&mut l, events);
        assert_eq!(n, events.len(), "every event accepted");
        l
    };

    let mut g = c.benchmark_group("ledger_bounded");
    g.sample_size(10);

    g.throughput(Throughput::Elements(LOTS as u64));
    let one = vec![receipt(1, 0, (0..LOTS).map(lot_line).collect())];
    let each: Vec<Event> =
        (0..LOTS).map(|i| receipt(i as u128 + 1, 0, vec![lot_line(i)])).collect();
    g.bench_function("lots_one_per_event", |b| b.iter(|| run(&each)));
    g.bench_function("lots_one_event", |b| b.iter(|| run(&one)));
    drop((one, each));

    g.throughput(Throughput::Elements(SERIALS as u64));
    let one = vec![receipt(1, 0, vec![serial_line(0..SERIALS)])];
    let each: Vec<Event> =
        (0..SERIALS).map(|i| receipt(i as u128 + 1, 0, vec![serial_line(i..i + 1)])).collect();
    g.bench_function("serials_one_per_event", |b| b.iter(|| run(&each)));
    g.bench_function("serials_one_line", |b| b.iter(|| run(&one)));
    drop((one, each));

    g.throughput(Throughput::Elements(BACK_DATED as u64));
    let id = |i: i64| u128::try_from(i).expect("non-negative") + 1;
    let forward: Vec<Event> =
        (0..BACK_DATED).map(|i| receipt(id(i), i, vec![line("BOLT-M8", "1 EA")])).collect();
    let back: Vec<Event> = (0..BACK_DATED)
        .map(|i| receipt(id(i), BACK_DATED - i, vec![line("BOLT-M8", "1 EA")]))
        .collect();
    g.bench_function("one_position_forward", |b| b.iter(|| run(&forward)));
    g.bench_function("one_position_back_dated", |b| b.iter(|| run(&back)));
    drop((forward, back));
    g.finish();
    bounded_documents_counts_orders(c);
}

/// More input the ledger once took quadratic time over (issue 13), each beside the
/// ordinary case: 200,000 receipts on one document under a document limit, each
/// back-dated before the others, against the same in time order; 10,000 counts of a
/// bin holding one serial of an item with 320,000 serials in another bin, against the
/// same counts of an item with that one serial; and one transfer order of 100,000
/// lines shipped and received in one event each, against 6,250 orders of 16 lines.
/// Throughput is in events, counts and lines.
#[allow(
    clippy::too_many_lines,
    reason = "three fixtures of one criterion group, each beside its baseline"
)]
fn bounded_documents_counts_orders(c: &mut Criterion) {
    use onhand_ledger::testing::{actor, doc, event, movement};
    const ON_DOCUMENT: i64 = 200_000;
    const SERIALS: usize = 320_000;
    const COUNTS: usize = 10_000;
    const ORDER_LINES: usize = 100_000;
    const SHORT: usize = 16;

    let catalog =
        Arc::new(Catalog::new(onhand_master::seed::demo_network()).expect("demo network"));
    let usd = || CurrencyCode::new("USD").expect("usd");
    let mut limited = Rules::standard(usd()).trusting_event_actors();
    limited.thresholds.push(onhand_ledger::Threshold {
        kind: onhand_ledger::EventKind::Receipt,
        reason: None,
        max_qty: None,
        max_value: None,
        max_event_qty: None,
        // A year either side: every receipt counts toward every other; none is held.
        document: Some(onhand_ledger::DocumentLimit {
            max_qty: Some(rust_decimal::Decimal::from(1_000_000_000_i64)),
            max_value: None,
            window_hours: 8_760,
        }),
        approver: Role::Supervisor,
    });
    let limited = Ledger::new(catalog.clone(), limited).expect("ledger");
    let plain = Ledger::new(catalog.clone(), Rules::standard(usd()).trusting_event_actors())
        .expect("ledger");
    let who = actor("bench", &[Role::Warehouse, Role::InventoryControl]).expect("actor");
    let bin = |b: &str| onhand_master::BinCode::new(b).expect("bin");
    let line = |item: &str, qty: &str, at: &str| {
        let mut l =
            Line::new(ItemCode::new(item).expect("item"), qty.parse().expect("qty")).at(bin(at));
        l.to = Some(StockStatus::Available);
        l
    };
    let receipt = |id: u128, minute: i64, lines: Vec<Line>| {
        let mv = movement("ATL", lines).expect("movement");
        let reference = doc(DocKind::PurchaseOrder, "PO-D").expect("doc");
        event(id, minute, who.clone(), "BENCH", reference, Body::Receipt(mv)).expect("event")
    };
    let all_accepted = |ledger: &mut Ledger, events: &[Event]| {
        assert_eq!(apply_all(ledger, events), events.len(), "every event accepted");
    };

    let mut g = c.benchmark_group("ledger_bounded");
    g.sample_size(10);

    g.throughput(Throughput::Elements(ON_DOCUMENT as u64));
    let id = |i: i64| u128::try_from(i).expect("non-negative") + 1;
    let forward: Vec<Event> = (0..ON_DOCUMENT)
        .map(|i| receipt(id(i), i, vec![line("BOLT-M8", "1 EA", "PF-A01")]))
        .collect();
    let back: Vec<Event> = (0..ON_DOCUMENT)
        .map(|i| receipt(id(i), ON_DOCUMENT - i, vec![line("BOLT-M8", "1 EA", "PF-A01")]))
        .collect();
    all_accepted(&mut limited.clone(), &back);
    g.bench_function("one_document_forward", |b| {
        b.iter(|| {
            let mut l = limited.clone();
            all_accepted(&mut l, &forward);
            l
        });
    });
    g.bench_function("one_document_back_dated", |b| {
        b.iter(|| {
            let mut l = limited.clone();
            all_accepted(&mut l, &back);
            l
        });
    });
    drop((forward, back));

    g.throughput(Throughput::Elements(COUNTS as u64));
    let serial = |i: usize| onhand_master::SerialNo::new(format!("SN-{i}")).expect("serial");
    let drills = |range: std::ops::Range<usize>, at: &str| {
        let mut l = line("DRILL-18V", &format!("{} EA", range.len()), at);
        l.serials = range.map(serial).collect();
        l
    };
    let mut one_serial = plain.clone();
    all_accepted(&mut one_serial, &[receipt(1, 0, vec![drills(0..1, "PF-A02")])]);
    let mut many_serials = one_serial.clone();
    all_accepted(&mut many_serials, &[receipt(2, 0, vec![drills(1..SERIALS + 1, "PF-A01")])]);
    let counts: Vec<Event> = (0..COUNTS)
        .map(|i| {
            let line = CountLine {
                item: ItemCode::new("DRILL-18V").expect("item"),
                bin: Some(bin("PF-A02")),
                lot: None,
                status: None,
                counted: "1 EA".parse().expect("qty"),
                serials: vec![serial(0)],
                owner: None,
            };
            let site = SiteCode::new("ATL").expect("site");
            let reference = doc(DocKind::Count, "CNT-S").expect("doc");
            let body = Body::CycleCount(Count { site, lines: vec![line] });
            let minute = 1 + i64::try_from(i).expect("small");
            event(10 + i as u128, minute, who.clone(), "BENCH", reference, body).expect("count")
        })
        .collect();
    for ledger in [&one_serial, &many_serials] {
        all_accepted(&mut ledger.clone(), &counts);
    }
    g.bench_function("serial_counts_item_of_one_serial", |b| {
        b.iter_batched(
            || one_serial.clone(),
            |mut l| {
                all_accepted(&mut l, &counts);
                l
            },
            BatchSize::PerIteration,
        );
    });
    g.bench_function("serial_counts_item_of_many_serials", |b| {
        b.iter_batched(
            || many_serials.clone(),
            |mut l| {
                all_accepted(&mut l, &counts);
                l
            },
            BatchSize::PerIteration,
        );
    });
    drop((counts, one_serial, many_serials));

    // Transfer orders on a synthetic network of ORDER_LINES untracked items, stocked at
    // the first site; requested and approved outside the timed section.
    let network = scale::network(ORDER_LINES, 2, false);
    let big = Arc::new(Catalog::new(network).expect("synthetic network"));
    let mut stocked =
        Ledger::new(big.clone(), Rules::standard(usd()).trusting_event_actors()).expect("ledger");
    let items: Vec<ItemCode> = (0..ORDER_LINES)
        .map(scale::item_code)
        .filter(|code| {
            let ix = big.item_ix(code).expect("item");
            big.item(ix).is_some_and(|i| i.tracking == onhand_master::Tracking::None)
        })
        .collect();
    // Lines of every item; at the first site received into available stock.
    let at_site = |site: usize, qty: &str| -> Vec<Line> {
        items
            .iter()
            .map(|code| {
                let mut l = Line::new(code.clone(), qty.parse().expect("qty"));
                if site == 0 {
                    l.to = Some(StockStatus::Available);
                }
                l
            })
            .collect()
    };
    let stock = SiteLines { site: scale::site_code(0), lines: at_site(0, "10 EA") };
    let po = doc(DocKind::PurchaseOrder, "PO-S").expect("doc");
    all_accepted(
        &mut stocked,
        &[event(1, 0, who.clone(), "BENCH", po, Body::Receipt(stock)).expect("event")],
    );
    let planner = actor("planner", &[Role::Planning]).expect("actor");
    let order = |number: &str, id: u128, lines: &[Line]| -> Vec<Event> {
        let reference = doc(DocKind::TransferOrder, number).expect("doc");
        let req = TransferRequest {
            from: scale::site_code(0),
            to: scale::site_code(1),
            lines: lines
                .iter()
                .map(|l| TransferLine { item: l.item.clone(), qty: l.qty })
                .collect(),
            expected_arrival: None,
        };
        let by = actor("bench", &[Role::Planning]).expect("actor");
        vec![
            event(id, 1, by, "BENCH", reference.clone(), Body::TransferRequest(req)).expect("req"),
            event(id + 1, 2, planner.clone(), "BENCH", reference, Body::TransferApprove)
                .expect("approve"),
        ]
    };
    let moves = |number: &str, id: u128, ship: Vec<Line>, receive: Vec<Line>| -> Vec<Event> {
        let reference = doc(DocKind::TransferOrder, number).expect("doc");
        let ship = SiteLines { site: scale::site_code(0), lines: ship };
        let receive = SiteLines { site: scale::site_code(1), lines: receive };
        vec![
            event(id, 3, who.clone(), "BENCH", reference.clone(), Body::TransferShip(ship))
                .expect("ship"),
            event(id + 1, 4, who.clone(), "BENCH", reference, Body::TransferReceipt(receive))
                .expect("receive"),
        ]
    };
    // Lines with no statuses: out of available stock, into the receiving site's default.
    let moving = at_site(1, "2 EA");
    let (ship_lines, receive_lines) = (moving.clone(), moving);
    let mut one_order = stocked.clone();
    all_accepted(&mut one_order, &order("TO-LONG", 10, &ship_lines));
    let long = moves("TO-LONG", 20, ship_lines.clone(), receive_lines.clone());
    let mut short_orders = stocked;
    let mut short = Vec::new();
    for (k, (s, r)) in ship_lines.chunks(SHORT).zip(receive_lines.chunks(SHORT)).enumerate() {
        let number = format!("TO-{k}");
        let id = 100 + 4 * k as u128;
        all_accepted(&mut short_orders, &order(&number, id, s));
        short.extend(moves(&number, id + 2, s.to_vec(), r.to_vec()));
    }
    g.throughput(Throughput::Elements(2 * items.len() as u64));
    g.bench_function("transfer_lines_short_orders", |b| {
        b.iter_batched(
            || short_orders.clone(),
            |mut l| {
                all_accepted(&mut l, &short);
                l
            },
            BatchSize::PerIteration,
        );
    });
    g.bench_function("transfer_lines_one_order", |b| {
        b.iter_batched(
            || one_order.clone(),
            |mut l| {
                all_accepted(&mut l, &long);
                l
            },
            BatchSize::PerIteration,
        );
    });
    g.finish();
}

criterion_group!(benches, events, bounded);
criterion_main!(benches);
