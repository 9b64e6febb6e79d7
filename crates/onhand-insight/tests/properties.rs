//! Properties: the incremental figures equal a naive recomputation from the full record
//! list; merging partitions equals one state fed everything; refused records change
//! nothing.

#![allow(
    clippy::unwrap_used,
    clippy::float_arithmetic,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss,
    clippy::too_many_lines,
    clippy::type_complexity,
    clippy::similar_names,
    clippy::many_single_char_names
)] // tests: a failed unwrap is a failed test; generators mix integer and float arithmetic

mod common;

use std::collections::BTreeMap;

use common::*;
use onhand_insight::*;
use onhand_master::{Decimal, VelocityClass};
use proptest::prelude::*;

const SITES: [&str; 3] = ["ATL", "ORD", "DFW"];
const GROUPS: [&str; 2] = ["RETAIL", "WHOLESALE"];
const ITEMS: [&str; 4] = ["BOLT", "NUT", "GLUE", "TAPE"];

/// A generated history: records offered in time order (some of them invalid).
fn history(ops: &[(u8, u32, u32)]) -> Vec<Record> {
    let mut out = Vec::new();
    let mut now = 0.0f64;
    let mut lines: Vec<(LineRef, i64)> = Vec::new(); // (line, ordered)
    let mut orders = 0u32;
    let mut transfers = 0u32;
    for &(op, a, b) in ops {
        now += f64::from(a % 13) / 24.0;
        let at = at(now);
        let pick = |n: usize| usize::try_from(b).unwrap_or(0) % n.max(1);
        match op % 10 {
            0 | 1 => {
                let order = if orders == 0 || a % 3 == 0 {
                    orders += 1;
                    orders
                } else {
                    1 + b % orders
                };
                let l = line(&format!("SO-{order}"), u32::try_from(lines.len()).unwrap_or(0));
                let qty = i64::from(1 + a % 20);
                let item = ITEMS[pick(ITEMS.len())];
                let group = GROUPS[(order % 2) as usize];
                let req = (at + chrono::Days::new(u64::from(b % 5))).date_naive();
                out.push(created(at, l.clone(), group, item, &format!("{qty} EA"), req));
                lines.push((l, qty));
            }
            2 if !lines.is_empty() => {
                let (l, q) = lines[pick(lines.len())].clone();
                let first = (q * i64::from(a % 4) / 3).max(0);
                let d1 = (at + chrono::Days::new(u64::from(b % 3))).date_naive();
                let d2 = (at + chrono::Days::new(u64::from(b % 3 + a % 4))).date_naive();
                let s1 = SITES[pick(3)];
                let mut sched = vec![(s1, format!("{first} EA"), d1)];
                if a % 2 == 0 {
                    sched.push((SITES[(pick(3) + 1) % 3], format!("{} EA", q - first), d2));
                }
                let sched: Vec<(&str, &str, chrono::NaiveDate)> =
                    sched.iter().map(|(s, q, d)| (*s, q.as_str(), *d)).collect();
                out.push(promised(at, l, &sched));
            }
            3 | 4 if !lines.is_empty() => {
                let (l, q) = lines[pick(lines.len())].clone();
                let qty = 1 + i64::from(a) % q;
                out.push(shipped(at, l, SITES[pick(3)], &format!("{qty} EA"), a % 4 == 0));
            }
            // Customer returns (some refused: nothing shipped yet, more than shipped)
            // and their inspections.
            5 if !lines.is_empty() && a % 6 == 1 => {
                let (l, _) = lines[pick(lines.len())].clone();
                let condition =
                    [ReturnCondition::Pending, ReturnCondition::Sound, ReturnCondition::Damaged]
                        [(b % 3) as usize];
                out.push(Record::OrderLineReturned(OrderLineReturned {
                    at,
                    line: l,
                    site: SITES[pick(3)].parse().unwrap(),
                    qty: format!("{} EA", 1 + a % 3).parse().unwrap(),
                    reason: ["DEFECT", "CHANGED"][(b % 2) as usize].parse().unwrap(),
                    condition,
                }));
            }
            5 if !lines.is_empty() && a % 6 == 4 => {
                let (l, _) = lines[pick(lines.len())].clone();
                let condition =
                    [ReturnCondition::Sound, ReturnCondition::Damaged][(b % 2) as usize];
                out.push(Record::ReturnInspected(ReturnInspected {
                    at,
                    line: l,
                    site: SITES[pick(3)].parse().unwrap(),
                    qty: "1 EA".parse().unwrap(),
                    reason: ["DEFECT", "CHANGED"][(b % 2) as usize].parse().unwrap(),
                    condition,
                }));
            }
            5 if !lines.is_empty() => {
                let (l, q) = lines[pick(lines.len())].clone();
                let qty = 1 + i64::from(a) % q;
                let dmg = i64::from(a % 7 == 0);
                out.push(delivered(
                    at,
                    l,
                    &format!("{qty} EA"),
                    &format!("{dmg} EA"),
                    a % 5 != 0,
                    a % 3 == 0,
                ));
            }
            6 if !lines.is_empty() => {
                let (l, _) = lines[pick(lines.len())].clone();
                out.push(Record::OrderLineCancelled(OrderLineCancelled { at, line: l }));
            }
            7 => {
                let class = [VelocityClass::A, VelocityClass::B, VelocityClass::C][pick(3)];
                let book = i64::from(a % 50);
                let counted = book + i64::from(b % 7) - 3;
                out.push(count(
                    at,
                    ITEMS[pick(4)],
                    SITES[(a % 3) as usize],
                    class,
                    ["ANN", "BOB"][(a % 2) as usize],
                    book,
                    counted.max(0),
                    1,
                    &format!("{}.50 USD", counted.max(0) - book),
                ));
            }
            8 => {
                let d = i64::from(a % 9) - 4;
                out.push(adjusted(
                    at,
                    ITEMS[pick(4)],
                    SITES[(a % 3) as usize],
                    ["DAMAGED", "FOUND"][(b % 2) as usize],
                    ["ANN", "BOB"][(a % 2) as usize],
                    d,
                    &format!("{d}.25 USD"),
                ));
            }
            _ => {
                // Transfers: request a new one, or move an existing one a step.
                if transfers == 0 || a % 3 == 0 {
                    transfers += 1;
                    let from = pick(3);
                    out.push(requested(
                        at,
                        tref(&format!("TO-{transfers}"), 1),
                        SITES[from],
                        SITES[(from + 1) % 3],
                        ITEMS[(a % 4) as usize],
                        "10 EA",
                        "99.00 USD",
                    ));
                } else {
                    let r = tref(&format!("TO-{}", 1 + b % transfers), 1);
                    out.push(match a % 4 {
                        0 => Record::TransferApproved(TransferApproved { at, transfer: r }),
                        1 => Record::TransferShipped(TransferShipped {
                            at,
                            transfer: r,
                            qty: "10 EA".parse().unwrap(),
                            expected_arrival: None,
                        }),
                        2 => Record::TransferReceived(TransferReceived {
                            at,
                            transfer: r,
                            qty: format!("{} EA", 5 + b % 6).parse().unwrap(),
                            short: format!("{} EA", b % 2).parse().unwrap(),
                            over: "0 EA".parse().unwrap(),
                            damaged: "0 EA".parse().unwrap(),
                        }),
                        _ => Record::TransferClosed(TransferClosed {
                            at,
                            transfer: r,
                            written_off: (b % 3 == 0).then(|| "2 EA".parse().unwrap()),
                        }),
                    });
                }
            }
        }
    }
    out
}

/// The naive model of one order line, rebuilt from the accepted records.
#[derive(Debug, Clone, Default)]
struct NLine {
    order: String,
    number: u32,
    group: String,
    created: i64,
    ordered: i64,
    requested: chrono::NaiveDate,
    schedule: Vec<(String, i64, chrono::NaiveDate)>,
    ships: Vec<(String, i64, chrono::NaiveDate)>,
    delivs: Vec<(i64, chrono::NaiveDate, i64)>,
    damaged: i64,
    docs_ok: bool,
    cancelled: bool,
    fulfilled: Option<i64>,
}

impl NLine {
    fn site(&self) -> Option<String> {
        self.schedule
            .first()
            .map(|s| s.0.clone())
            .or_else(|| self.ships.first().map(|s| s.0.clone()))
    }

    /// Units shipped on time against the promise, unit by unit.
    fn on_time_promised(&self) -> i64 {
        let confirmed: i64 = self.schedule.iter().map(|s| s.1).sum();
        let mut dates = Vec::new();
        for s in &self.schedule {
            for _ in 0..s.1 {
                dates.push(s.2);
            }
        }
        let mut unit = 0usize;
        let mut on_time = 0;
        for (_, q, d) in &self.ships {
            for _ in 0..*q {
                if (unit as i64) < confirmed.min(self.ordered) && dates[unit] >= *d {
                    on_time += 1;
                }
                unit += 1;
            }
        }
        on_time
    }

    fn on_time_requested(&self) -> i64 {
        self.ships
            .iter()
            .filter(|s| s.2 <= self.requested)
            .map(|s| s.1)
            .sum::<i64>()
            .min(self.ordered)
    }
}

fn naive_lines(records: &[Record]) -> Vec<NLine> {
    let mut lines: BTreeMap<(String, u32), NLine> = BTreeMap::new();
    let key = |l: &LineRef| (l.order.to_string(), l.line);
    let int = |q: &onhand_master::Qty| i64::try_from(q.value().mantissa()).unwrap();
    for r in records {
        match r {
            Record::OrderLineCreated(c) => {
                lines.insert(
                    key(&c.line),
                    NLine {
                        order: c.line.order.to_string(),
                        number: c.line.line,
                        group: c.group.to_string(),
                        created: c.at.timestamp(),
                        ordered: int(&c.qty),
                        requested: c.requested,
                        docs_ok: true,
                        ..NLine::default()
                    },
                );
            }
            Record::OrderLinePromised(p) => {
                let l = lines.get_mut(&key(&p.line)).unwrap();
                let mut s: Vec<_> =
                    p.schedule.iter().map(|s| (s.site.to_string(), int(&s.qty), s.date)).collect();
                s.sort_by(|a, b| (a.2, &a.0).cmp(&(b.2, &b.0)));
                // Sites sort by their configured order, which is alphabetical here
                // only by accident; keep the engine's (date, site index) order.
                s.sort_by_key(|x| (x.2, SITES.iter().position(|c| *c == x.0)));
                l.schedule = s;
            }
            Record::OrderLineShipped(s) => {
                let l = lines.get_mut(&key(&s.line)).unwrap();
                l.ships.push((s.site.to_string(), int(&s.qty), s.at.date_naive()));
            }
            Record::OrderLineDelivered(d) => {
                let l = lines.get_mut(&key(&d.line)).unwrap();
                l.delivs.push((int(&d.qty), d.at.date_naive(), d.at.timestamp()));
                l.damaged += int(&d.damaged);
                l.docs_ok &= d.documents_ok;
                let total: i64 = l.delivs.iter().map(|x| x.0).sum();
                if l.fulfilled.is_none() && (d.complete || total >= l.ordered) {
                    l.fulfilled = Some(d.at.timestamp());
                }
            }
            Record::OrderLineCancelled(c) => lines.get_mut(&key(&c.line)).unwrap().cancelled = true,
            // Returned goods found damaged take the line out of perfect condition.
            Record::OrderLineReturned(r) if r.condition == ReturnCondition::Damaged => {
                lines.get_mut(&key(&r.line)).unwrap().damaged += int(&r.qty);
            }
            Record::ReturnInspected(r) if r.condition == ReturnCondition::Damaged => {
                lines.get_mut(&key(&r.line)).unwrap().damaged += int(&r.qty);
            }
            _ => {}
        }
    }
    lines.into_values().collect()
}

/// Order KPIs by definition, for the network or one customer group, over a day range.
fn naive_orders(
    lines: &[NLine],
    group: Option<&str>,
    site: Option<&str>,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> (Ratio, Ratio, Ratio, Ratio, Ratio, Option<Ratio>, Option<Ratio>) {
    let inside = |d: chrono::NaiveDate| d >= from && d < to;
    let live: Vec<&NLine> = lines
        .iter()
        .filter(|l| {
            !l.cancelled
                && group.is_none_or(|g| l.group == g)
                && site.is_none_or(|s| l.site().as_deref() == Some(s))
        })
        .collect();
    let (mut u, mut uo, mut ln, mut lf) = (0, 0, 0, 0);
    let (mut pu, mut puo, mut pl, mut plf, mut acc) = (0, 0, 0, 0, 0);
    for l in &live {
        if inside(l.requested) {
            u += l.ordered;
            uo += l.on_time_requested();
            ln += 1;
            lf += i64::from(l.on_time_requested() >= l.ordered);
        }
        if let Some(last) = l.schedule.last()
            && inside(last.2)
        {
            let ot = l.on_time_promised();
            pu += l.ordered;
            puo += ot;
            pl += 1;
            plf += i64::from(ot >= l.ordered);
            let confirmed: i64 = l.schedule.iter().map(|s| s.1).sum();
            let by: i64 = l.delivs.iter().filter(|d| d.1 <= last.2).map(|d| d.0).sum();
            acc += i64::from(confirmed > 0 && by >= confirmed);
        }
    }
    let r = |a: i64, b: i64| Ratio::new(Decimal::from(a), Decimal::from(b));
    // Orders (network or group only).
    let (orders_req, orders_perfect) = if site.is_none() {
        let mut by_order: BTreeMap<&str, Vec<&NLine>> = BTreeMap::new();
        for l in lines {
            by_order.entry(&l.order).or_default().push(l);
        }
        let (mut on, mut of, mut done, mut perfect) = (0, 0, 0, 0);
        for ls in by_order.values() {
            let first = ls.iter().min_by_key(|l| (l.created, l.number)).unwrap();
            if group.is_some_and(|g| first.group != g) {
                continue;
            }
            let live: Vec<&&NLine> = ls.iter().filter(|l| !l.cancelled).collect();
            if live.is_empty() {
                continue;
            }
            if inside(first.requested) {
                on += 1;
                of += i64::from(live.iter().all(|l| l.on_time_requested() >= l.ordered));
            }
            if live.iter().all(|l| l.fulfilled.is_some()) {
                let t = live.iter().filter_map(|l| l.fulfilled).max().unwrap();
                let day = chrono::DateTime::from_timestamp(t, 0).unwrap().date_naive();
                if inside(day) {
                    done += 1;
                    perfect += i64::from(live.iter().all(|l| {
                        let delivered: i64 = l.delivs.iter().map(|d| d.0).sum();
                        let commit = l.schedule.last().map_or(l.requested, |s| s.2);
                        let fday = chrono::DateTime::from_timestamp(l.fulfilled.unwrap(), 0)
                            .unwrap()
                            .date_naive();
                        delivered >= l.ordered && fday <= commit && l.damaged == 0 && l.docs_ok
                    }));
                }
            }
        }
        (Some(r(of, on)), Some(r(perfect, done)))
    } else {
        (None, None)
    };
    (r(uo, u), r(lf, ln), r(puo, pu), r(plf, pl), r(acc, pl), orders_req, orders_perfect)
}

fn normalize(r: Ratio) -> (Decimal, Decimal) {
    (r.numerator.normalize(), r.denominator.normalize())
}

fn accepted(records: &[Record]) -> (Insight, Vec<Record>) {
    let mut s = Insight::new(config()).unwrap();
    let mut ok = Vec::new();
    for r in records {
        if s.apply(r).is_ok() {
            ok.push(r.clone());
        }
    }
    (s, ok)
}

fn periods() -> Vec<Period> {
    let mut v = vec![
        Period::containing(Grain::Month, jan(5)),
        Period::containing(Grain::Month, date(2026, 2, 1)),
    ];
    for d in 3..20 {
        v.push(Period::containing(Grain::Day, jan(d)));
    }
    v.push(Period::containing(Grain::Week, jan(5)));
    v.push(Period::containing(Grain::Week, jan(12)));
    v
}

fn ops() -> impl Strategy<Value = Vec<(u8, u32, u32)>> {
    prop::collection::vec((any::<u8>(), any::<u32>(), any::<u32>()), 1..120)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// The incremental order KPIs equal their definitions computed from every accepted
    /// record at once.
    #[test]
    fn incremental_order_kpis_equal_a_full_recomputation(ops in ops()) {
        let (s, ok) = accepted(&history(&ops));
        let lines = naive_lines(&ok);
        let mut dims: Vec<(Dim, Option<&str>, Option<&str>)> = vec![(Dim::Network, None, None)];
        for g in GROUPS { dims.push((Dim::CustomerGroup(g.parse().unwrap()), Some(g), None)); }
        for x in SITES { dims.push((Dim::Site(x.parse().unwrap()), None, Some(x))); }
        for p in periods() {
            for (dim, g, site) in &dims {
                let k = s.orders(p, dim).unwrap();
                let (u, l, pu, pl, acc, o, perfect) = naive_orders(&lines, *g, *site, p.start(), p.end());
                prop_assert_eq!(normalize(k.fill_requested.units), normalize(u), "units {} {}", p, dim);
                prop_assert_eq!(normalize(k.fill_requested.lines), normalize(l));
                prop_assert_eq!(normalize(k.fill_promised.units), normalize(pu), "promised units {} {}", p, dim);
                prop_assert_eq!(normalize(k.fill_promised.lines), normalize(pl));
                prop_assert_eq!(normalize(k.promise_accuracy), normalize(acc));
                prop_assert_eq!(k.fill_requested.orders.map(normalize), o.map(normalize), "orders {} {}", p, dim);
                prop_assert_eq!(k.perfect_order.map(|x| normalize(x.perfect)), perfect.map(normalize), "perfect {} {}", p, dim);
            }
        }
    }

    /// Counts and adjustments: the incremental sums equal direct sums over the records.
    #[test]
    fn incremental_count_and_adjustment_kpis_equal_direct_sums(ops in ops()) {
        let (s, ok) = accepted(&history(&ops));
        for p in periods() {
            let (a, b) = (p.start(), p.end());
            let counts: Vec<&CountRecorded> = ok.iter().filter_map(|r| match r {
                Record::CountRecorded(c) if c.at.date_naive() >= a && c.at.date_naive() < b => Some(c),
                _ => None,
            }).collect();
            let within = counts.iter().filter(|c| (c.counted.value() - c.book.value()).abs() <= c.tolerance.value()).count() as u64;
            let net: Decimal = counts.iter().map(|c| c.counted.value() - c.book.value()).sum();
            let k = s.counts(p, &Dim::Network).unwrap();
            prop_assert_eq!(k.accuracy, Ratio::of_counts(within, counts.len() as u64));
            prop_assert_eq!(k.net_units, net);
            let adj: Vec<&Adjusted> = ok.iter().filter_map(|r| match r {
                Record::Adjusted(x) if x.at.date_naive() >= a && x.at.date_naive() < b => Some(x),
                _ => None,
            }).collect();
            let k = s.adjustments(p, &Dim::Network).unwrap();
            prop_assert_eq!(k.count, adj.len() as u64);
            prop_assert_eq!(k.abs_units, adj.iter().map(|x| x.delta.value().abs()).sum::<Decimal>());
        }
    }

    /// Partition by item, feed each part to its own state, merge: the same report as
    /// one state fed everything (orders span both parts).
    #[test]
    fn merging_item_partitions_equals_one_state(ops in ops()) {
        let (whole, ok) = accepted(&history(&ops));
        let item_of = |r: &Record, lines: &BTreeMap<String, String>| -> String {
            match r {
                Record::OrderLineCreated(c) => c.item.to_string(),
                Record::OrderLinePromised(x) => lines[&format!("{}/{}", x.line.order, x.line.line)].clone(),
                Record::OrderLineShipped(x) => lines[&format!("{}/{}", x.line.order, x.line.line)].clone(),
                Record::OrderLineDelivered(x) => lines[&format!("{}/{}", x.line.order, x.line.line)].clone(),
                Record::OrderLineCancelled(x) => lines[&format!("{}/{}", x.line.order, x.line.line)].clone(),
                Record::OrderLineReturned(x) => lines[&format!("{}/{}", x.line.order, x.line.line)].clone(),
                Record::ReturnInspected(x) => lines[&format!("{}/{}", x.line.order, x.line.line)].clone(),
                Record::CountRecorded(c) => c.item.to_string(),
                Record::Adjusted(c) => c.item.to_string(),
                Record::TransferRequested(t) => t.item.to_string(),
                Record::TransferApproved(t) => lines[&format!("T{}", t.transfer.transfer)].clone(),
                Record::TransferShipped(t) => lines[&format!("T{}", t.transfer.transfer)].clone(),
                Record::TransferReceived(t) => lines[&format!("T{}", t.transfer.transfer)].clone(),
                Record::TransferClosed(t) => lines[&format!("T{}", t.transfer.transfer)].clone(),
                _ => String::new(),
            }
        };
        let mut items = BTreeMap::new();
        let (mut a, mut b) = (Insight::new(config()).unwrap(), Insight::new(config()).unwrap());
        for r in &ok {
            match r {
                Record::OrderLineCreated(c) => { items.insert(format!("{}/{}", c.line.order, c.line.line), c.item.to_string()); }
                Record::TransferRequested(t) => { items.insert(format!("T{}", t.transfer.transfer), t.item.to_string()); }
                _ => {}
            }
            let item = item_of(r, &items);
            if item == "BOLT" || item == "GLUE" { a.apply(r).unwrap() } else { b.apply(r).unwrap() }
        }
        let empty = Insight::new(config()).unwrap();
        let mut ab = a.clone();
        ab.merge(&b).unwrap();
        let mut ba = b.clone();
        ba.merge(&a).unwrap();
        ba.merge(&empty).unwrap();
        for p in periods() {
            let w = whole.report(p).unwrap();
            prop_assert_eq!(&ab.report(p).unwrap(), &w, "{}", p);
            prop_assert_eq!(&ba.report(p).unwrap(), &w, "{}", p);
        }
        // A merged state restores: its cells are the sum of its lines' and orders'.
        let restored = Insight::restore(&through_json(&ab.snapshot())).unwrap();
        prop_assert_eq!(restored.snapshot(), ab.snapshot());
        // Overlapping partitions are refused and change nothing.
        let before = ab.report(periods()[0]).unwrap();
        if ab.merge(&whole).is_err() {
            prop_assert_eq!(ab.report(periods()[0]).unwrap(), before);
        }
    }

    /// `apply_all` (with its look-ahead) gives the figures of `apply` in a loop.
    #[test]
    fn apply_all_equals_apply_one_by_one(ops in ops()) {
        let (one_by_one, ok) = accepted(&history(&ops));
        let mut batched = Insight::new(config()).unwrap();
        batched.apply_all(&ok).unwrap();
        for p in periods() {
            prop_assert_eq!(batched.report(p).unwrap(), one_by_one.report(p).unwrap());
        }
        // A refused record stops the batch where `apply` would refuse it.
        let all = history(&ops);
        let mut s = Insight::new(config()).unwrap();
        match s.apply_all(&all) {
            Ok(()) => prop_assert_eq!(s.records() as usize, all.len()),
            Err((i, _)) => prop_assert_eq!(s.records() as usize, i),
        }
    }

    /// A refused record leaves every figure as it was.
    #[test]
    fn refused_records_change_nothing(ops in ops()) {
        let mut s = Insight::new(config()).unwrap();
        for r in history(&ops) {
            let before = s.report(Period::containing(Grain::Month, jan(5))).unwrap();
            let n = s.records();
            if s.apply(&r).is_err() {
                prop_assert_eq!(s.records(), n);
                prop_assert_eq!(s.report(Period::containing(Grain::Month, jan(5))).unwrap(), before);
            }
        }
    }
}

#[test]
fn typed_errors_for_bad_records() {
    let mut s = Insight::new(config()).unwrap();
    s.apply(&created(t(5, 8), line("SO-1", 1), "RETAIL", "BOLT", "10 EA", jan(7))).unwrap();
    let codes = |s: &mut Insight, r: Record| s.apply(&r).unwrap_err().code();
    assert_eq!(
        codes(&mut s, created(t(5, 7), line("SO-2", 1), "RETAIL", "BOLT", "10 EA", jan(7))),
        "out_of_order"
    );
    assert_eq!(
        codes(&mut s, created(t(5, 9), line("SO-1", 1), "RETAIL", "BOLT", "10 EA", jan(7))),
        "duplicate_line"
    );
    assert_eq!(
        codes(&mut s, shipped(t(5, 9), line("SO-9", 1), "ATL", "1 EA", false)),
        "unknown_line"
    );
    assert_eq!(
        codes(&mut s, shipped(t(5, 9), line("SO-1", 1), "XYZ", "1 EA", false)),
        "unknown_site"
    );
    assert_eq!(
        codes(&mut s, shipped(t(5, 9), line("SO-1", 1), "ATL", "1 KG", false)),
        "unit_mismatch"
    );
    assert_eq!(
        codes(&mut s, shipped(t(5, 9), line("SO-1", 1), "ATL", "10000000000000 EA", false)),
        "beyond_range"
    );
    s.apply(&shipped(t(5, 9), line("SO-1", 1), "ATL", "10 EA", true)).unwrap();
    assert_eq!(
        codes(&mut s, shipped(t(5, 10), line("SO-1", 1), "ATL", "1 EA", false)),
        "line_closed"
    );
    assert_eq!(
        codes(
            &mut s,
            Record::TransferShipped(TransferShipped {
                at: t(5, 10),
                transfer: tref("TO-1", 1),
                qty: "1 EA".parse().unwrap(),
                expected_arrival: None
            })
        ),
        "unknown_transfer"
    );
    s.apply(&requested(t(5, 10), tref("TO-1", 1), "ATL", "ORD", "BOLT", "1 EA", "1 USD")).unwrap();
    assert_eq!(
        codes(
            &mut s,
            Record::TransferReceived(TransferReceived {
                at: t(5, 11),
                transfer: tref("TO-1", 1),
                qty: "1 EA".parse().unwrap(),
                short: "0 EA".parse().unwrap(),
                over: "0 EA".parse().unwrap(),
                damaged: "0 EA".parse().unwrap()
            })
        ),
        "transfer_step"
    );
    assert_eq!(
        codes(
            &mut s,
            Record::MismatchResolved(MismatchResolved {
                at: t(5, 11),
                id: "IC-1".parse().unwrap()
            })
        ),
        "unknown_mismatch"
    );
    assert_eq!(
        codes(
            &mut s,
            Record::CostOfSales(CostOfSales {
                at: t(5, 11),
                entity: "XX01".parse().unwrap(),
                site: "ATL".parse().unwrap(),
                value: "1 USD".parse().unwrap()
            })
        ),
        "unknown_entity"
    );
    s.apply(&demand(t(5, 11), jan(5), "BOLT", "ATL", 1)).unwrap();
    assert_eq!(codes(&mut s, demand(t(5, 11), jan(4), "BOLT", "ATL", 1)), "out_of_order");
    assert_eq!(
        codes(&mut s, lead(t(5, 12), "BOLT", "ACME", "ATL", jan(5), jan(3))),
        "invalid_record"
    );
    assert_eq!(s.records(), 4);
    // With lateness, a record an hour late is taken.
    let mut c = config();
    c.lateness_secs = 3600;
    let mut s = Insight::new(c).unwrap();
    s.apply(&adjusted(t(5, 8), "BOLT", "ATL", "FOUND", "ANN", 1, "1 USD")).unwrap();
    s.apply(&adjusted(t(5, 7), "BOLT", "ATL", "FOUND", "ANN", 1, "1 USD")).unwrap();
    assert!(s.apply(&adjusted(t(5, 6), "BOLT", "ATL", "FOUND", "ANN", 1, "1 USD")).is_err());
}

#[test]
fn records_round_trip_through_json() {
    let recs =
        history(&[(0, 5, 1), (2, 4, 0), (3, 7, 0), (5, 9, 0), (7, 3, 3), (8, 2, 1), (9, 3, 0)]);
    for r in &recs {
        let j = serde_json::to_string(r).unwrap();
        let back: Record = serde_json::from_str(&j).unwrap();
        assert_eq!(&back, r);
        assert!(j.starts_with(&format!("{{\"{}\"", r.kind())), "{j}");
    }
    // Unknown fields are refused.
    assert!(
        serde_json::from_str::<Record>(
            r#"{"mismatch_resolved":{"at":"2026-01-05T00:00:00Z","id":"IC-1","x":1}}"#
        )
        .is_err()
    );
}

#[test]
fn same_records_give_byte_identical_reports() {
    let recs = history(
        &(0..200u32)
            .map(|i| ((i * 7 % 10) as u8, i.wrapping_mul(2_654_435_761), i.wrapping_mul(40_503)))
            .collect::<Vec<_>>(),
    );
    let (a, _) = accepted(&recs);
    let (b, _) = accepted(&recs);
    let p = Period::containing(Grain::Month, jan(5));
    assert_eq!(
        serde_json::to_string(&a.report(p).unwrap()).unwrap(),
        serde_json::to_string(&b.report(p).unwrap()).unwrap()
    );
}

/// `history` with stock-side and financial records woven in at the same times: supplier
/// receipts, demand, positions, lead times, valuations, layers, in-transit and
/// intercompany mismatches, so a snapshot carries every part of the state.
fn full_history(ops: &[(u8, u32, u32)]) -> Vec<Record> {
    let mut out = Vec::new();
    for (i, r) in history(ops).into_iter().enumerate() {
        let at = r.at();
        out.push(r);
        let (item, site) = (ITEMS[i % 4], SITES[i % 3]);
        let n = i64::try_from(i).unwrap();
        match i % 6 {
            0 => out.push(receipt(at, ["ACME", "GLOBEX"][i % 2], item, site, 1 + n % 9)),
            1 => out.push(demand(at, at.date_naive(), item, site, n % 7)),
            2 => out.push(position(at, item, site, n % 40, n % 50 - 5, Some(3), None)),
            3 => out.push(lead(at, item, "ACME", site, jan(1), at.date_naive())),
            4 => {
                out.push(Record::StockValued(StockValued {
                    at,
                    entity: "NA01".parse().unwrap(),
                    site: site.parse().unwrap(),
                    value: format!("{}.00 USD", 100 + n).parse().unwrap(),
                }));
                out.push(Record::StockLayer(StockLayer {
                    at,
                    entity: "NA01".parse().unwrap(),
                    site: site.parse().unwrap(),
                    item: item.parse().unwrap(),
                    qty: format!("{} EA", 1 + n % 5).parse().unwrap(),
                    value: format!("{}.50 USD", 1 + n % 5).parse().unwrap(),
                    received: jan(1),
                }));
            }
            _ => {
                let id = format!("IC-{}", i / 6);
                out.push(Record::MismatchOpened(MismatchOpened {
                    at,
                    id: id.parse().unwrap(),
                    entity: "NA01".parse().unwrap(),
                    counterparty: "NA01".parse().unwrap(),
                    value: "5.00 USD".parse().unwrap(),
                }));
                if i % 12 == 5 {
                    out.push(Record::MismatchResolved(MismatchResolved {
                        at,
                        id: id.parse().unwrap(),
                    }));
                }
            }
        }
    }
    out
}

fn through_json(s: &InsightSnapshot) -> InsightSnapshot {
    serde_json::from_str(&serde_json::to_string(s).unwrap()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Snapshot anywhere, through JSON, restore, feed the rest: the same state byte for
    /// byte, and the same reports, as one state fed everything.
    #[test]
    fn a_snapshot_anywhere_plus_the_rest_equals_a_straight_run(ops in ops(), cut in any::<prop::sample::Index>()) {
        let all = full_history(&ops);
        let (straight, _) = accepted(&all);
        let at = cut.index(all.len() + 1);
        let (head, tail) = all.split_at(at);
        let (before, _) = accepted(head);
        let mut restored = Insight::restore(&through_json(&before.snapshot())).unwrap();
        prop_assert_eq!(restored.snapshot(), before.snapshot());
        prop_assert_eq!(
            onhand_master::canonical::to_bytes(&restored.state()).unwrap(),
            onhand_master::canonical::to_bytes(&before.snapshot()).unwrap()
        );
        for r in tail {
            let _ = restored.apply(r);
        }
        prop_assert_eq!(restored.snapshot(), straight.snapshot());
        prop_assert_eq!(restored.records(), straight.records());
        for p in periods() {
            prop_assert_eq!(restored.report(p).unwrap(), straight.report(p).unwrap(), "{}", p);
        }
        let detect = DetectConfig::default();
        prop_assert_eq!(
            format!("{:?}", restored.detect(date(2026, 2, 1), &detect)),
            format!("{:?}", straight.detect(date(2026, 2, 1), &detect))
        );
    }
}

/// A snapshot of another format, or with an index pointing nowhere, is refused with a
/// typed error; a key twice does not even read.
#[test]
fn a_bad_snapshot_is_refused_with_a_typed_error() {
    let ops: Vec<(u8, u32, u32)> =
        (0..80u32).map(|i| ((i * 7 % 10) as u8, i.wrapping_mul(2_654_435_761), i * 3)).collect();
    let (s, _) = accepted(&full_history(&ops));
    let good = serde_json::to_value(s.snapshot()).unwrap();
    assert!(Insight::restore(&serde_json::from_value(good.clone()).unwrap()).is_ok());
    let refused = |json: serde_json::Value| {
        let snap: InsightSnapshot = serde_json::from_value(json).unwrap();
        Insight::restore(&snap).map(|_| ()).unwrap_err().code()
    };
    let mut j = good.clone();
    j["format"] = 0.into();
    assert_eq!(refused(j), "snapshot_format");
    // A line whose order index points past the orders.
    let mut j = good.clone();
    j["orders"]["lines"][0][1]["order"] = 100_000.into();
    assert_eq!(refused(j), "invalid_snapshot");
    // A transfer line from a site the configuration does not have.
    let mut j = good.clone();
    j["transfers"]["lines"][0][1]["from"] = 7.into();
    assert_eq!(refused(j), "invalid_snapshot");
    // A valuation of an entity index past the entities.
    let mut j = good.clone();
    j["finance"]["valued"][0][0][0] = 9.into();
    assert_eq!(refused(j), "invalid_snapshot");
    // Two orders with one number.
    let mut j = good.clone();
    let first = j["orders"]["orders"][0].clone();
    j["orders"]["orders"].as_array_mut().unwrap().push(first);
    assert_eq!(refused(j), "invalid_snapshot");
    // Cells or order counters that are not what the lines give (a live line's
    // contribution missing would be retracted from nothing on its next record).
    let mut j = good.clone();
    let n = j["orders"]["cells"][0][1]["req_lines"].as_i64().unwrap();
    j["orders"]["cells"][0][1]["req_lines"] = (n + 1).into();
    assert_eq!(refused(j), "invalid_snapshot");
    let mut j = good.clone();
    j["orders"]["cells"].as_array_mut().unwrap().remove(0);
    assert_eq!(refused(j), "invalid_snapshot");
    let mut j = good.clone();
    let n = j["orders"]["orders"][0]["counts"][0].as_u64().unwrap();
    j["orders"]["orders"][0]["counts"][0] = (n + 1).into();
    assert_eq!(refused(j), "invalid_snapshot");
    let mut j = good.clone();
    j["orders"]["orders"][0]["first"][0] = (-1).into();
    assert_eq!(refused(j), "invalid_snapshot");
    // The same cell key twice, and an unknown field: not a snapshot at all.
    let mut j = good.clone();
    let cell = j["orders"]["cells"][0].clone();
    j["orders"]["cells"].as_array_mut().unwrap().push(cell);
    assert!(serde_json::from_value::<InsightSnapshot>(j).is_err());
    let mut j = good;
    j["extra"] = 1.into();
    assert!(serde_json::from_value::<InsightSnapshot>(j).is_err());
}

/// The integer leaves of `v` that are fields of an object (not map keys or tuple
/// members), as JSON pointers.
fn integer_fields(v: &serde_json::Value, path: &str, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                let p = format!("{path}/{k}");
                if x.is_i64() || x.is_u64() {
                    out.push(p);
                } else {
                    integer_fields(x, &p, out);
                }
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                integer_fields(x, &format!("{path}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// A pointer's shape: its array positions left out (every leaf of one shape has one
/// type).
fn shape(pointer: &str) -> String {
    let parts: Vec<&str> =
        pointer.split('/').map(|s| if s.parse::<usize>().is_ok() { "*" } else { s }).collect();
    parts.join("/")
}

/// Every duration sketch of `v` outside the order figures replaced by one holding
/// `u64::MAX` durations.
fn sketches(v: &mut serde_json::Value, path: &str) {
    let is_sketch = v.as_object().is_some_and(|m| {
        m.len() == 3 && ["buckets", "count", "sum"].iter().all(|k| m.contains_key(*k))
    });
    if is_sketch && !path.starts_with("/orders") {
        // Durations of 0 and 1 s: the sum fits a JSON number, the count is u64::MAX.
        *v = serde_json::json!({
            "buckets": [[0, 1], [1, u64::MAX - 1]],
            "count": u64::MAX,
            "sum": u64::MAX - 1,
        });
        return;
    }
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                sketches(x, &format!("{path}/{k}"));
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter_mut().enumerate() {
                sketches(x, &format!("{path}/{i}"));
            }
        }
        _ => {}
    }
}

/// `good` with every integer field `pick` chooses set to the first of its candidates
/// that still reads as a snapshot (tried once per shape, alone), and every duration
/// sketch outside the order figures (which restore recomputes) replaced by one
/// holding `u64::MAX` durations whose buckets add up to the count exactly.
fn pushed(
    good: &serde_json::Value,
    pick: impl Fn(&str) -> Option<Vec<serde_json::Value>>,
) -> serde_json::Value {
    let mut leaves = Vec::new();
    integer_fields(good, "", &mut leaves);
    let mut by_shape: BTreeMap<String, Option<serde_json::Value>> = BTreeMap::new();
    let mut j = good.clone();
    for p in leaves {
        let Some(candidates) = pick(&p) else { continue };
        let v = by_shape
            .entry(shape(&p))
            .or_insert_with(|| {
                candidates.into_iter().find(|c| {
                    let mut t = good.clone();
                    *t.pointer_mut(&p).unwrap() = c.clone();
                    serde_json::from_value::<InsightSnapshot>(t).is_ok()
                })
            })
            .clone();
        if let Some(v) = v {
            *j.pointer_mut(&p).unwrap() = v;
        }
    }
    sketches(&mut j, "");
    j
}

/// `records` again under other document numbers (order, transfer and mismatch ids
/// suffixed), at the same times: they land in the same day cells as the originals.
fn renamed(records: &[Record]) -> Vec<Record> {
    fn rename(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    match x {
                        serde_json::Value::String(s)
                            if ["order", "transfer", "id"].contains(&k.as_str()) =>
                        {
                            s.push_str("-R");
                        }
                        _ => rename(x),
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(rename),
            _ => {}
        }
    }
    records
        .iter()
        .map(|r| {
            let mut j = serde_json::to_value(r).unwrap();
            rename(&mut j);
            serde_json::from_value(j).unwrap()
        })
        .collect()
}

/// `records` with in-transit snapshots (some overdue), damage, returns to supplier and
/// cost of sales woven in at the same times, so every kind of cell is held.
fn with_trouble(records: Vec<Record>) -> Vec<Record> {
    let mut out = Vec::new();
    for (i, r) in records.into_iter().enumerate() {
        let at = r.at();
        // A position where there is demand, so item-sites are scored.
        let scored = match &r {
            Record::DemandObserved(d) => Some(position(
                at,
                d.item.as_ref(),
                d.site.as_ref(),
                5 + (i % 10) as i64,
                3,
                Some(2),
                (i % 2 == 0).then(|| d.day + chrono::Days::new(3)),
            )),
            _ => None,
        };
        out.push(r);
        out.extend(scored);
        let (item, site) = (ITEMS[i % 4], SITES[i % 3]);
        out.push(match i % 4 {
            0 => Record::InTransitHeld(InTransitHeld {
                at,
                transfer: tref(&format!("TO-H{i}"), 1),
                owner: "NA01".parse().unwrap(),
                qty: "3 EA".parse().unwrap(),
                value: "30.00 USD".parse().unwrap(),
                expected_arrival: (i % 3 != 0)
                    .then(|| at + chrono::Duration::hours(if i % 2 == 0 { -30 } else { 30 })),
            }),
            1 => Record::StockDamaged(StockDamaged {
                at,
                item: item.parse().unwrap(),
                site: site.parse().unwrap(),
                kind: [DamageKind::Damaged, DamageKind::Hold][i % 2],
                qty: "1 EA".parse().unwrap(),
                value: "2.00 USD".parse().unwrap(),
            }),
            2 => Record::CostOfSales(CostOfSales {
                at,
                entity: "NA01".parse().unwrap(),
                site: site.parse().unwrap(),
                value: "7.00 USD".parse().unwrap(),
            }),
            _ => Record::SupplierReturned(SupplierReturned {
                at,
                supplier: "ACME".parse().unwrap(),
                item: item.parse().unwrap(),
                site: site.parse().unwrap(),
                qty: "1 EA".parse().unwrap(),
                value: "2.00 USD".parse().unwrap(),
            }),
        });
    }
    out
}

/// Every query the other tests make, on a state restored from a tampered snapshot:
/// records taken in, a merge, reports (and their text), detectors, planning scores,
/// and the snapshot again. Errors are fine; a panic is the failure.
fn exercise(s: &mut Insight, more: &[Record], other: Option<&Insight>) {
    for r in more {
        let _ = s.apply(r);
    }
    let _ = s.apply_all(more);
    if let Some(o) = other {
        let _ = s.merge(o);
        let mut copy = o.clone();
        let _ = copy.merge(o);
    }
    let plans = [
        PlanConfig::default(),
        PlanConfig {
            min_demand_days: 2,
            season_min_days: 2,
            min_lead_obs: 2,
            ..PlanConfig::default()
        },
    ];
    let detect = DetectConfig::default();
    for p in periods() {
        if let Ok(r) = s.report(p) {
            let _ = r.to_string();
            serde_json::to_string(&r).unwrap();
        }
        let _ = s.supplier_receipts(p, None);
        for g in GROUPS {
            let _ = s.orders(p, &Dim::CustomerGroup(g.parse().unwrap()));
        }
        for x in SITES {
            let site = Dim::Site(x.parse().unwrap());
            let _ = s.counts(p, &site);
            let _ = s.adjustments(p, &site);
            let _ = s.returns(p, &site);
            let _ = s.turns(p, &site);
        }
    }
    for d in [jan(4), jan(12), date(2026, 2, 1), date(2026, 6, 30)] {
        let _ = s.detect(d, &detect);
        let _ = s.in_transit(d, &Dim::Network);
        let _ = s.aging(d, &Dim::Network);
        for plan in &plans {
            let _ = s.stockout_risk(d, plan);
            let _ = s.score_transfers(d, plan);
            let _ = s.safety_stock(d, plan);
            for item in ITEMS {
                for site in SITES {
                    let _ = s.demand_model(&item.parse().unwrap(), &site.parse().unwrap(), plan);
                }
            }
        }
    }
    let _ = serde_json::to_string(&s.snapshot());
    let _ = onhand_master::canonical::to_bytes(&s.state());
    let _ = Insight::restore(&s.snapshot());
}

/// Cell counters: what is counted, and what it is counted against.
const COUNTED: [&str; 14] = [
    "approved",
    "shipped",
    "completed",
    "closed",
    "receipts_exact",
    "within",
    "recurrences",
    "increases",
    "decreases",
    "followed",
    "out",
    "n",
    "opened",
    "resolved",
];
const AGAINST: [&str; 9] = [
    "records",
    "requested",
    "receipts",
    "counts",
    "count",
    "lines",
    "eta_lines",
    "overdue_lines",
    "returns",
];

/// A snapshot whose counters are near their type's largest value (as a fuzzer or a
/// tampered store gives) is refused or restored, and whatever is restored takes in
/// more records, merges and answers every query without panicking: counters saturate
/// in the state and sums at query time are checked ([`InsightError::Overflow`]).
#[test]
fn a_snapshot_with_counters_at_their_limit_never_panics() {
    let ops: Vec<(u8, u32, u32)> = (0..200u32)
        .map(|i| ((i * 7 % 10) as u8, i.wrapping_mul(2_654_435_761), i.wrapping_mul(40_503)))
        .collect();
    let (s, ok) = accepted(&with_trouble(full_history(&ops)));
    let more = renamed(&ok);
    let mut good = serde_json::to_value(s.snapshot()).unwrap();
    // Records as old as the snapshot's are taken in (the renamed ones land in the same
    // day cells), and the last aging bucket ends at the largest bound.
    good["config"]["lateness_secs"] = u32::MAX.into();
    good["config"]["aging_buckets"].as_array_mut().unwrap().push(u32::MAX.into());
    let largest = || -> Vec<serde_json::Value> {
        vec![
            u64::MAX.into(),
            i64::MAX.into(),
            u32::MAX.into(),
            i32::MAX.into(),
            u16::MAX.into(),
            i16::MAX.into(),
            u8::MAX.into(),
        ]
    };
    // Not the order figures, which restore recomputes from the lines (and refuses
    // when they differ); not indexes and line numbers (refused, or a key twice); not
    // the newest time (every record after would be out of order); not the demand
    // and position days (a history or horizon of millions of years is no panic, but
    // the planning scores walk it day by day or month by month).
    let unverified = |p: &str| {
        !["/config", "/format", "/newest", "/orders/lines", "/orders/orders", "/orders/cells"]
            .iter()
            .any(|s| p.starts_with(s))
            && !["/line", "/from", "/to", "/entity"].iter().any(|f| p.ends_with(f))
            && !["/demand/", "/position/"].iter().any(|f| p.contains(f))
    };

    // 1. Every integer field at its largest (times and days too): refused or not, no
    // panic.
    let mut all = pushed(&good, |p| unverified(p).then(largest));
    all["config"]["follow_days"] = u32::MAX.into();
    let snap: InsightSnapshot = serde_json::from_value(all).unwrap();
    if let Ok(mut r) = Insight::restore(&snap) {
        exercise(&mut r, &more, None);
    }

    // 2. Every integer field at its smallest.
    let smallest = || -> Vec<serde_json::Value> {
        vec![i64::MIN.into(), i32::MIN.into(), i16::MIN.into(), i8::MIN.into(), 0.into()]
    };
    let snap: InsightSnapshot =
        serde_json::from_value(pushed(&good, |p| unverified(p).then(smallest))).unwrap();
    if let Ok(mut r) = Insight::restore(&snap) {
        exercise(&mut r, &more, None);
    }

    // 3. The record count and every cell counter (not the order figures, which
    // restore recomputes from the lines): what is counted at the largest value, what
    // it is counted against one below, so shares come out above one. This restores.
    let cells = |p: &str| {
        let field = p.rsplit('/').next().unwrap_or("");
        let documents =
            ["/config", "/orders/lines", "/orders/orders", "/orders/cells", "/finance/mismatches"];
        // A transfer line's times share names with its lane's counters.
        let times = ["/demand/", "/position/", "/pending/"].iter().any(|s| p.contains(s))
            || (p.starts_with("/transfers/lines") && field != "receipts");
        if documents.iter().any(|s| p.starts_with(s)) || times {
            None
        } else if COUNTED.contains(&field) {
            Some(largest())
        } else if AGAINST.contains(&field) {
            Some(vec![(u64::MAX - 1).into(), (u32::MAX - 1).into()])
        } else {
            None
        }
    };
    let counters = pushed(&good, cells);
    assert_eq!(counters["records"], u64::MAX - 1);
    assert_eq!(counters["stock"]["counts"][0][1]["within"], u64::MAX);
    let snap: InsightSnapshot = serde_json::from_value(counters.clone()).unwrap();
    let mut restored = Insight::restore(&snap).unwrap();
    // A second state with the same cells and no documents or item-sites, to merge in.
    let mut cells_only = counters;
    for p in [
        "/orders/lines",
        "/orders/orders",
        "/orders/cells",
        "/transfers/lines",
        "/stock/item_sites",
        "/finance/mismatches",
    ] {
        *cells_only.pointer_mut(p).unwrap() = serde_json::json!([]);
    }
    let other =
        Insight::restore(&serde_json::from_value::<InsightSnapshot>(cells_only).unwrap()).unwrap();
    exercise(&mut restored, &more, Some(&other));
    assert_eq!(restored.records(), u64::MAX);
    // A month sums day cells: beyond u64, a typed error.
    let month = Period::containing(Grain::Month, jan(5));
    assert_eq!(restored.report(month).unwrap_err().code(), "overflow");
    assert_eq!(restored.counts(month, &Dim::Network).unwrap_err().code(), "overflow");

    // 4. Every decimal figure of the cells at the end of the decimal range, either way
    // (not the order figures, which restore recomputes): it restores, and sums into
    // those cells saturate where they panicked in debug builds.
    for edge in [Decimal::MAX, Decimal::MIN] {
        let mut j = good.clone();
        let n = set_decimals(&mut j, "", edge, &|p| {
            !["/config", "/orders/lines", "/orders/orders", "/orders/cells"]
                .iter()
                .any(|s| p.starts_with(s))
        });
        assert!(n > 20, "{n} decimal figures set");
        let snap: InsightSnapshot = serde_json::from_value(j).unwrap();
        let mut r = Insight::restore(&snap).unwrap();
        exercise(&mut r, &more, None);
    }
}

/// Sets every string leaf of `v` that reads as a decimal, under a path `pick` keeps,
/// to `to`: how many.
fn set_decimals(
    v: &mut serde_json::Value,
    path: &str,
    to: Decimal,
    pick: &dyn Fn(&str) -> bool,
) -> usize {
    match v {
        serde_json::Value::String(s) if pick(path) && s.parse::<Decimal>().is_ok() => {
            *s = to.to_string();
            1
        }
        serde_json::Value::Array(a) => a
            .iter_mut()
            .enumerate()
            .map(|(i, x)| set_decimals(x, &format!("{path}/{i}"), to, pick))
            .sum(),
        serde_json::Value::Object(m) => {
            m.iter_mut().map(|(k, x)| set_decimals(x, &format!("{path}/{k}"), to, pick)).sum()
        }
        _ => 0,
    }
}
