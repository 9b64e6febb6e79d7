//! Sequences of cost events against the valuation engine on the demo network.
//!
//! An input that parses as a JSON array of `CostEvent`s is applied as it is (on a fixed
//! configuration); any other input decodes into a configuration and a sequence of
//! events: receipts, issues, adjustments, customer returns, landed cost, standard cost
//! changes, transfer shipments, receipts and closes, reversals of any earlier id, returns
//! to supplier against any earlier id and costing method changes, plus consolidation
//! runs and period closes, with any site, item, unit, quantity (small, fractional, huge, zero), amount,
//! currency and rate, ids that repeat and times that go back.
//!
//! Before every event, `check_all` of it and the next answers as applying both in turn
//! to a copy of the engine does, and leaves the engine's snapshot as it was; `check_all`
//! of the event alone answers as its apply.
//! After every event: a refused event changes nothing a caller can see (pools,
//! transfers, documents, open items, values); an accepted one's postings balance per
//! entity and currency; re-applying it is a duplicate that changes nothing; the running
//! balance of the inventory postings of each entity equals `inventory_value`, and that
//! of its in-transit postings `in_transit_value`, and every amount is at its currency's
//! scale and within `MAX_AMOUNT`; consolidation
//! eliminations balance, and a second run straight after opens at the first's closing
//! with no revenue. At the end the accepted events replay on a fresh engine to the
//! same postings and pools, a snapshot (through JSON) restores to the same state, and
//! what each entity holds is its pools plus what it owns in transit; and the same steps
//! on a fresh engine, each run of events between two other steps through one
//! `apply_batch`, give every event the result its first `apply` gave and end in the
//! same state. Panics anywhere are crashes.
//!
//! Input layout: three configuration bytes, then per event a selector byte, a time byte
//! (below 200 forward; from 200 back-dated), an id byte (below 240 a new id; from 240
//! an id used before) and the event's own bytes (missing bytes read as zero).
#![no_main]

mod reader;

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;
use onhand_master::{
    Catalog, CurrencyCode, EntityCode, ItemCode, Money, Qty, QtyDelta, SiteCode, UomCode, seed,
};
use onhand_valuation::{
    Agreement, CostBody, CostEvent, IssueTo, Method, MethodOverride, NegativeCostPolicy, Outcome,
    Posting, PostingKey, PriceRule, Rate, TitlePoint, TransferNo, Valuation, ValuationConfig,
    ValuationSnapshot, balances, unbalanced,
};
use reader::Reader;
use rust_decimal::Decimal;

/// The most events one input applies.
const MAX_EVENTS: usize = 64;
const T0: i64 = 1_767_600_000;
const CURRENCIES: [&str; 3] = ["USD", "CAD", "EUR"];
const UNITS: [&str; 8] = ["EA", "CS", "PL", "BX", "KG", "M", "RL", "L"];

fn catalog() -> Arc<Catalog> {
    static CATALOG: OnceLock<Arc<Catalog>> = OnceLock::new();
    CATALOG
        .get_or_init(|| Arc::new(Catalog::new(seed::demo_network()).expect("demo network")))
        .clone()
}

impl Reader<'_> {
    fn u64(&mut self) -> u64 {
        let mut v = 0u64;
        for _ in 0..8 {
            v = (v << 8) | u64::from(self.byte());
        }
        v
    }

    /// A decimal: mostly small whole or two-place values; sometimes huge, finely
    /// scaled, zero or negative.
    fn decimal(&mut self) -> Decimal {
        let sel = self.byte();
        match sel % 16 {
            0..=7 => Decimal::from(1 + u32::from(self.byte())),
            8..=10 => Decimal::new(i64::from(u16::from_le_bytes([self.byte(), self.byte()])), 2),
            11 => Decimal::new(i64::from(self.byte()), u32::from(self.byte() % 8)),
            12 => {
                // Up to 28 digits, at any scale.
                let m = ((u128::from(self.u64()) << 32) | u128::from(self.u64() >> 32))
                    % 10u128.pow(28);
                let m = i128::try_from(m).unwrap_or(i128::MAX);
                Decimal::try_from_i128_with_scale(m, u32::from(self.byte() % 29))
                    .unwrap_or(Decimal::MAX)
            }
            13 => Decimal::ZERO,
            14 => -Decimal::from(1 + u32::from(self.byte())),
            _ => Decimal::new(i64::from(self.byte()) + 1, 3),
        }
    }

    fn pick<'s>(&mut self, xs: &'s [&'s str]) -> &'s str {
        xs[usize::from(self.byte()) % xs.len()]
    }

    fn site(&mut self) -> SiteCode {
        let c = catalog();
        let sites = &c.data().sites;
        sites[usize::from(self.byte()) % sites.len()].code.clone()
    }

    fn item(&mut self) -> (ItemCode, UomCode) {
        let c = catalog();
        let items = &c.data().items;
        let it = &items[usize::from(self.byte()) % items.len()];
        (it.code.clone(), it.base_uom)
    }

    fn entity(&mut self) -> EntityCode {
        ["NA01", "CA01"][usize::from(self.byte() % 2)].parse().expect("entity")
    }

    fn currency(&mut self) -> CurrencyCode {
        self.pick(&CURRENCIES).parse().expect("currency")
    }

    /// A quantity of the item: in its base unit mostly, else any unit.
    fn qty(&mut self, base: UomCode) -> Qty {
        let unit = if self.byte() < 200 { base } else { self.pick(&UNITS).parse().expect("unit") };
        let v = self.decimal();
        Qty::new(v, unit).unwrap_or_else(|_| Qty::zero(unit))
    }

    fn money(&mut self, usual: CurrencyCode) -> Money {
        let c = if self.byte() < 230 { usual } else { self.currency() };
        Money::new(self.decimal(), c)
    }

    fn rates(&mut self) -> Vec<Rate> {
        let n = self.byte() % 4;
        (0..n)
            .map(|k| {
                if self.byte() < 200 {
                    // The usual pair, both ways.
                    let (from, to, rate) =
                        if k % 2 == 0 { ("USD", "CAD", "1.35") } else { ("CAD", "USD", "0.74") };
                    Rate {
                        from: from.parse().expect("currency"),
                        to: to.parse().expect("currency"),
                        rate: rate.parse().expect("rate"),
                    }
                } else {
                    Rate { from: self.currency(), to: self.currency(), rate: self.decimal() }
                }
            })
            .collect()
    }
}

fn usd() -> CurrencyCode {
    "USD".parse().expect("usd")
}

/// The configuration three bytes describe.
fn config(a: u8, b: u8, c: u8) -> ValuationConfig {
    let mut cfg = ValuationConfig::default();
    let (na, ca): (EntityCode, EntityCode) =
        ("NA01".parse().expect("entity"), "CA01".parse().expect("entity"));
    for (bit, e) in [(1u8, &na), (2, &ca)] {
        if a & bit != 0 {
            cfg.negative_stock.insert(e.clone(), NegativeCostPolicy::LastCost);
        }
        if a & (bit << 2) != 0 {
            cfg.per_site.insert(e.clone());
        }
    }
    if a & 16 != 0 {
        cfg.methods.push(MethodOverride {
            entity: na.clone(),
            item: "GLUE-500".parse().expect("item"),
            method: Method::Standard,
        });
    }
    if a & 32 != 0 {
        cfg.methods.push(MethodOverride {
            entity: ca.clone(),
            item: "BOLT-M8".parse().expect("item"),
            method: Method::Standard,
        });
    }
    for (byte, seller, buyer) in [(b, &na, &ca), (c, &ca, &na)] {
        if byte & 3 == 3 {
            continue; // no agreement this way
        }
        let price = match byte & 3 {
            0 => PriceRule::AtCost,
            1 => PriceRule::CostPlus { markup: Decimal::new(i64::from(byte >> 2), 2) },
            _ => PriceRule::PriceList {
                prices: [("BOLT-M8", 9), ("GLUE-500", 950), ("NUT-M8", 3)]
                    .into_iter()
                    .map(|(i, p)| (i.parse().expect("item"), Decimal::new(p, 2)))
                    .collect(),
            },
        };
        cfg.agreements.push(Agreement {
            seller: seller.clone(),
            buyer: buyer.clone(),
            price,
            currency: if byte & 4 == 0 { usd() } else { "CAD".parse().expect("cad") },
            title: if byte & 8 == 0 { TitlePoint::Shipment } else { TitlePoint::Receipt },
        });
    }
    cfg
}

/// What the input asks for next.
#[allow(clippy::large_enum_variant)] // at most `MAX_EVENTS`
enum Step {
    Event(CostEvent),
    Consolidate(u8),
    Close(DateTime<Utc>),
}

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(T0 + secs, 0).expect("time")
}

fn decode(data: &[u8]) -> (ValuationConfig, Vec<Step>) {
    let mut r = Reader::new(data);
    let cfg = config(r.byte(), r.byte(), r.byte());
    let mut steps = Vec::new();
    let (mut now, mut next_id) = (0i64, 1u64);
    while !r.done() && steps.len() < MAX_EVENTS {
        let sel = r.byte();
        let when = r.byte();
        let idb = r.byte();
        let secs = if when < 200 {
            now += 3600;
            now
        } else {
            now - 3600 * i64::from(when - 199)
        };
        let id = if idb >= 240 && next_id > 1 {
            1 + u64::from(idb) % (next_id - 1)
        } else {
            next_id += 1;
            next_id - 1
        };
        let transfer =
            |b: u8| format!("T{}", b % 8).parse::<TransferNo>().expect("transfer number");
        let body = match sel % 14 {
            0 => {
                let site = r.site();
                let (item, base) = r.item();
                let qty = r.qty(base);
                let unit_cost = r.money(usd());
                let owner = (r.byte() > 230).then(|| r.entity());
                // The owner's currency, mostly.
                let unit_cost = match (&owner, site_currency(&site)) {
                    (None, Some(c)) if unit_cost.currency() == usd() => {
                        Money::new(unit_cost.amount(), c)
                    }
                    _ => unit_cost,
                };
                CostBody::Receipt { site, item, qty, unit_cost, owner }
            }
            1 => {
                let site = r.site();
                let (item, base) = r.item();
                let qty = r.qty(base);
                let to =
                    [IssueTo::Sale, IssueTo::Scrap, IssueTo::Adjustment][usize::from(r.byte() % 3)];
                let owner = (r.byte() > 230).then(|| r.entity());
                CostBody::Issue { site, item, qty, to, owner }
            }
            2 => {
                let site = r.site();
                let (item, base) = r.item();
                let q = r.qty(base);
                let delta = if r.byte().is_multiple_of(2) {
                    QtyDelta::increase(q)
                } else {
                    QtyDelta::decrease(q)
                };
                let c = site_currency(&site).unwrap_or(usd());
                let unit_cost = (r.byte().is_multiple_of(2)).then(|| r.money(c));
                CostBody::Adjustment { site, item, delta, unit_cost, owner: None }
            }
            3 => {
                let site = r.site();
                let (item, base) = r.item();
                let qty = r.qty(base);
                let original =
                    (r.byte().is_multiple_of(2)).then(|| 1 + u64::from(r.byte()) % next_id);
                let c = site_currency(&site).unwrap_or(usd());
                let unit_cost = (r.byte().is_multiple_of(2)).then(|| r.money(c));
                CostBody::CustomerReturn { site, item, qty, original, unit_cost, owner: None }
            }
            4 => {
                let receipt = 1 + u64::from(r.byte()) % next_id;
                let c =
                    if r.byte().is_multiple_of(2) { usd() } else { "CAD".parse().expect("cad") };
                CostBody::LandedCost { receipt, amount: r.money(c) }
            }
            5 => {
                let entity = r.entity();
                let (item, _) = r.item();
                let site = (r.byte().is_multiple_of(2)).then(|| r.site());
                let c = if entity.as_str() == "NA01" { usd() } else { "CAD".parse().expect("cad") };
                CostBody::StandardCost { entity, item, site, cost: r.money(c) }
            }
            6 => {
                let number = transfer(r.byte());
                let (from, to) = (r.site(), r.site());
                let (item, base) = r.item();
                let qty = r.qty(base);
                CostBody::TransferShip { transfer: number, from, to, item, qty, rates: r.rates() }
            }
            7 => {
                let number = transfer(r.byte());
                let base = r.pick(&UNITS).parse().expect("unit");
                let qty = r.qty(base);
                CostBody::TransferReceipt { transfer: number, qty, rates: r.rates() }
            }
            8 => CostBody::TransferClose { transfer: transfer(r.byte()) },
            9 => {
                steps.push(Step::Consolidate(r.byte()));
                continue;
            }
            11 => CostBody::Reversal { original: 1 + u64::from(r.byte()) % next_id },
            12 => {
                let receipt = 1 + u64::from(r.byte()) % next_id;
                let base = r.pick(&UNITS).parse().expect("unit");
                CostBody::SupplierReturn { receipt, qty: r.qty(base) }
            }
            13 => {
                let entity = r.entity();
                let (item, _) = r.item();
                let site = (r.byte().is_multiple_of(2)).then(|| r.site());
                let method = [Method::Fifo, Method::MovingAverage, Method::Standard]
                    [usize::from(r.byte() % 3)];
                let c = if entity.as_str() == "NA01" { usd() } else { "CAD".parse().expect("cad") };
                let standard = (r.byte() % 4 != 0).then(|| r.money(c));
                CostBody::MethodChange { entity, item, site, method, standard }
            }
            _ => {
                steps.push(Step::Close(at(secs)));
                continue;
            }
        };
        steps.push(Step::Event(CostEvent { id, at: at(secs), body }));
    }
    (cfg, steps)
}

fn site_currency(site: &SiteCode) -> Option<CurrencyCode> {
    let c = catalog();
    let ix = c.site_ix(site)?;
    let e = c.site_entity(ix)?;
    c.data().entities.get(e.index()).map(|e| e.currency)
}

/// Everything a caller can see.
#[derive(Debug, PartialEq)]
struct Snapshot {
    pools: Vec<onhand_valuation::PoolView>,
    transfers: Vec<onhand_valuation::TransitView>,
    documents: Vec<onhand_valuation::IcDocument>,
    receivables: Vec<onhand_valuation::OpenItem>,
    payables: Vec<onhand_valuation::OpenItem>,
    values: Vec<(Decimal, Decimal, Decimal)>,
}

fn entities() -> [EntityCode; 2] {
    ["NA01".parse().expect("entity"), "CA01".parse().expect("entity")]
}

fn snapshot(v: &Valuation) -> Snapshot {
    Snapshot {
        pools: v.pools(),
        transfers: v.transfers(),
        documents: v.documents().to_vec(),
        receivables: v.receivables().to_vec(),
        payables: v.payables().to_vec(),
        values: entities()
            .iter()
            .map(|e| (v.inventory_value(e), v.in_transit_value(e), v.unrealized_profit(e)))
            .collect(),
    }
}

fn check_books(v: &Valuation, postings: &[Posting]) {
    for p in postings {
        assert_eq!(p.amount.scale(), p.currency.minor_units(), "{p:?}");
        assert!(p.amount.abs() <= onhand_valuation::MAX_AMOUNT, "{p:?}");
    }
    let inventory = balances(postings, PostingKey::Inventory);
    let transit = balances(postings, PostingKey::InTransit);
    for e in entities() {
        let booked = inventory.get(&e).copied().unwrap_or_default();
        assert_eq!(booked, v.inventory_value(&e), "{e}: inventory postings vs pools");
        let moving = transit.get(&e).copied().unwrap_or_default();
        assert_eq!(moving, v.in_transit_value(&e), "{e}: in-transit postings vs transfers");
    }
}

fn run(cfg: ValuationConfig, steps: &[Step]) {
    let Ok(mut v) = Valuation::new(catalog(), cfg.clone()) else { return };
    let mut postings: Vec<Posting> = Vec::new();
    let mut accepted: Vec<&Step> = Vec::new();
    // What the first `apply` of each event gave, for the batched run below.
    let mut first: Vec<Result<Outcome, onhand_valuation::ValuationError>> = Vec::new();
    let mut runs = 0u64;
    for (k, step) in steps.iter().enumerate() {
        match step {
            Step::Event(ev) => {
                // A dry run of this event and the next answers as applying them in turn
                // to a copy, and leaves the engine exactly as it was.
                if let Some(Step::Event(next)) = steps.get(k + 1) {
                    let pair = [ev.clone(), next.clone()];
                    let inner = v.snapshot();
                    let mut copy = v.clone();
                    let want = pair.iter().try_for_each(|e| copy.apply(e).map(|_| ()));
                    assert_eq!(v.check_all(&pair), want, "check_all {pair:?}");
                    assert_eq!(v.snapshot(), inner, "check_all {pair:?} changed the engine");
                }
                // Checked alone (as the network checks a receipt before its ledger
                // decides; the in-order path's dry run answers for most): as applying it.
                let alone = v.check_all(std::slice::from_ref(ev));
                let before = snapshot(&v);
                let done = v.apply(ev);
                let applied = done.as_ref().map(|_| ()).map_err(Clone::clone);
                assert_eq!(alone, applied, "check_all of {ev:?} alone");
                first.push(done.clone());
                match done {
                    Err(_) => assert_eq!(before, snapshot(&v), "refused {ev:?} changed state"),
                    Ok(Outcome::Duplicate) => {
                        assert_eq!(before, snapshot(&v), "duplicate changed state")
                    }
                    Ok(out) => {
                        let lines = out.postings();
                        assert!(unbalanced(lines).is_empty(), "{ev:?}: {:?}", unbalanced(lines));
                        postings.extend_from_slice(lines);
                        accepted.push(step);
                        let after = snapshot(&v);
                        assert_eq!(v.apply(ev), Ok(Outcome::Duplicate), "{ev:?} again");
                        assert_eq!(after, snapshot(&v), "a duplicate changed state");
                    }
                }
            }
            Step::Consolidate(b) => {
                runs += 1;
                let (group, currency, rates) = consolidation(*b);
                if let Ok(c) = v.consolidate(runs, &group, currency, &rates) {
                    assert!(unbalanced(&c.postings).is_empty(), "eliminations {:?}", c.postings);
                    let again = v.consolidate(runs + 1_000_000, &group, currency, &rates);
                    let again = again.expect("a second run with the same rates");
                    assert!(again.revenue.is_empty());
                    let closing: BTreeMap<_, _> =
                        c.buyers.iter().map(|(b, u)| (b.clone(), u.closing)).collect();
                    let opening: BTreeMap<_, _> =
                        again.buyers.iter().map(|(b, u)| (b.clone(), u.opening)).collect();
                    assert_eq!(closing, opening, "second run opens at the first's closing");
                }
            }
            Step::Close(t) => {
                let before = snapshot(&v);
                if v.close_period(*t).is_ok() {
                    accepted.push(step);
                } else {
                    assert_eq!(before, snapshot(&v), "refused close changed state");
                }
            }
        }
        check_books(&v, &postings);
    }
    batched(&cfg, steps, &first, &v);
    ends(&v, cfg, accepted, &postings);
}

/// The group, currency and rates of consolidation step `b`.
fn consolidation(b: u8) -> (EntityCode, CurrencyCode, Vec<Rate>) {
    let (group, currency, rate) = if b % 2 == 0 {
        (
            "NA01",
            "USD",
            Rate { from: "CAD".parse().expect("c"), to: usd(), rate: Decimal::new(74, 2) },
        )
    } else {
        (
            "CA01",
            "CAD",
            Rate { from: usd(), to: "CAD".parse().expect("c"), rate: Decimal::new(135, 2) },
        )
    };
    let group: EntityCode = group.parse().expect("entity");
    let currency: CurrencyCode = currency.parse().expect("currency");
    let rates = if b & 2 == 0 { vec![rate] } else { Vec::new() };
    (group, currency, rates)
}

/// The same steps on a fresh engine, each run of events between two other steps through
/// one `apply_batch`: every event's result is what its first `apply` gave (`first`),
/// and the engine ends as `v` did.
fn batched(
    cfg: &ValuationConfig,
    steps: &[Step],
    first: &[Result<Outcome, onhand_valuation::ValuationError>],
    v: &Valuation,
) {
    let Ok(mut b) = Valuation::new(catalog(), cfg.clone()) else { return };
    let (mut runs, mut at, mut k) = (0u64, 0usize, 0usize);
    while let Some(step) = steps.get(k) {
        match step {
            Step::Event(_) => {
                let run: Vec<CostEvent> = steps
                    .get(k..)
                    .unwrap_or_default()
                    .iter()
                    .map_while(|s| if let Step::Event(e) = s { Some(e.clone()) } else { None })
                    .collect();
                let mut lines = Vec::new();
                b.apply_batch(&run, &mut lines, |n, got| {
                    let want = first.get(at + n).cloned().map(|w| {
                        w.map(|mut o| {
                            if let Outcome::Posted { postings, .. } = &mut o {
                                postings.clear();
                            }
                            o
                        })
                    });
                    assert_eq!(Some(got), want, "batched {:?}", run.get(n));
                });
                // (The first run applied each accepted event twice; the second was a
                // duplicate that changed nothing, so it is not repeated here.)
                at += run.len();
                k += run.len();
            }
            Step::Consolidate(x) => {
                runs += 1;
                let (group, currency, rates) = consolidation(*x);
                if b.consolidate(runs, &group, currency, &rates).is_ok() {
                    b.consolidate(runs + 1_000_000, &group, currency, &rates)
                        .expect("a second run with the same rates");
                }
                k += 1;
            }
            Step::Close(t) => {
                let _ = b.close_period(*t);
                k += 1;
            }
        }
    }
    assert_eq!(snapshot(&b), snapshot(v), "batched state");
}

/// What must hold at the end of a run: the snapshot restores, holdings add up, and a
/// replay of the accepted steps gives the same postings and state.
fn ends(v: &Valuation, cfg: ValuationConfig, accepted: Vec<&Step>, postings: &[Posting]) {
    // A snapshot restores (through JSON) to the same state.
    let snap = v.snapshot();
    let json = serde_json::to_string(&snap).expect("a snapshot serializes");
    let back: ValuationSnapshot = serde_json::from_str(&json).expect("and reads back");
    let restored = Valuation::restore(catalog(), cfg.clone(), &back)
        .unwrap_or_else(|e| panic!("restore refused its own snapshot: {e}"));
    assert_eq!(restored.snapshot(), snap, "restored state");
    assert_eq!(snapshot(&restored), snapshot(&v), "restored views");
    // What each entity holds is its pools plus what it owns in transit.
    for ((e, i), held) in v.held_all() {
        let pools: Decimal =
            v.pools().iter().filter(|p| p.entity == e && p.item == i).map(|p| p.qty).sum();
        assert_eq!(held.on_hand, pools, "{e} {i} held on hand");
        assert_eq!(held, v.held(&e, &i), "{e} {i} held");
    }
    // Replay.
    let mut fresh = Valuation::new(catalog(), cfg).expect("config accepted before");
    let mut again = Vec::new();
    for step in accepted {
        match step {
            Step::Event(ev) => {
                let out = fresh.apply(ev).unwrap_or_else(|e| panic!("replay refused {ev:?}: {e}"));
                again.extend_from_slice(out.postings());
            }
            Step::Close(t) => fresh.close_period(*t).expect("replayed close"),
            Step::Consolidate(_) => {}
        }
    }
    assert_eq!(again, postings, "replay postings");
    assert_eq!(snapshot(&fresh), snapshot(&v), "replay state");
}

fuzz_target!(|data: &[u8]| {
    if let Ok(events) = serde_json::from_slice::<Vec<CostEvent>>(data) {
        // NA01 short at the last cost; agreements both ways at cost plus 10%, in USD,
        // title at receipt.
        let steps: Vec<Step> = events.into_iter().take(MAX_EVENTS).map(Step::Event).collect();
        run(config(0b1, 0b10_1001, 0b10_1001), &steps);
        return;
    }
    let (cfg, steps) = decode(data);
    run(cfg, &steps);
});
