//! Sequences of promising operations against the ATP engine on the demo network.
//!
//! The input decodes into the operations of the property tests' model
//! (`onhand_testkit::atp_model`): loading and adding supply, protecting stock,
//! setting quotas (absolute, percent, ratio; discrete or cumulative; with or without a
//! collective pool), allocating single lines and batches (any item, region, date,
//! quantity and unit, valid or not), round trips, releases, reductions, conversions to
//! hard, sweeps, re-processing (fair share or not), moving today forward, picks of booked
//! lines (`consume`, the stock on hand lowered after) and their reversals
//! (`restore_consumed` with what the pick returned and took off). After every
//! operation the harness checks, from its own books and not from the engine's
//! availability, that failures are the typed errors the inputs call for, that no
//! item-site is confirmed beyond its supply on any day, that confirmed plus unconfirmed
//! is what was requested, that quotas and protected stock hold, that lead times and
//! today are respected, that dry runs, simulations and round trips change nothing, that
//! sweeps release exactly the expired reservations and that re-processing twice changes
//! nothing the second time, and that picks and reversals return, schedule and ask for
//! what the model derives from its own books.
//!
//! Input layout: one byte for the checking horizon (below 128: none; else 1 to 31 days),
//! then per operation a selector byte and the operation's own bytes (missing bytes read
//! as zero). Selectors from 240 are picks (even) and reversals (odd); below, the
//! selector modulo 16 picks the others.
#![no_main]

mod reader;

use libfuzzer_sys::fuzz_target;
use onhand_master::seed;
use reader::Reader;

use onhand_testkit::atp_model::{
    AmountSpec, Checks, Harness, LineQty, LineSpec, Op, PickQty, QtySpec, ReduceSpec, RuleSpec,
    World,
};

/// The most operations one input runs (longer inputs add little but time).
const MAX_OPS: usize = 48;

impl Reader<'_> {
    /// A small signed value `lo..lo + span`.
    fn small(&mut self, lo: i8, span: u8) -> i8 {
        let v = i16::from(self.byte() % span.max(1)) + i16::from(lo);
        i8::try_from(v).unwrap_or(lo)
    }
}

/// Two bytes: a value (mostly small, sometimes scaled, sometimes any), then its unit
/// (below 192 the base unit, 192 to 249 another the item is counted in, from 250 one it
/// is not) and, rarely, decimal places.
fn qty(r: &mut Reader<'_>) -> QtySpec {
    let a = r.byte();
    let value = match a >> 6 {
        0 => u32::from(a & 63),
        1 => u32::from(a & 63) * 12,
        2 => u32::from(u16::from_le_bytes(r.bytes())),
        _ => u32::from_le_bytes(r.bytes()),
    };
    let m = r.byte();
    let (unit, decimals) = if m >= 192 {
        (m, 0)
    } else if m & 7 == 7 {
        (0, (m >> 3) & 3)
    } else {
        (0, 0)
    };
    QtySpec { value, unit, decimals }
}

fn claim(r: &mut Reader<'_>) -> Option<i16> {
    let c = r.byte();
    (c >= 160).then(|| (i16::from(c) - 160) * 6 - 24)
}

fn line(r: &mut Reader<'_>) -> LineSpec {
    let flags = r.byte();
    let id = (flags & 8 != 0).then(|| r.byte());
    let item = r.byte();
    let region = r.byte();
    let requested = r.small(-4, 48);
    let qty = match flags >> 5 {
        0 | 1 => LineQty::Plain(qty(r)),
        2 => LineQty::Fit(-1),
        3 => LineQty::Fit(0),
        4 => LineQty::Fit(1),
        5 => LineQty::Everything(-1),
        6 => LineQty::Everything(0),
        _ => LineQty::Everything(1),
    };
    let priority = r.byte() % 12;
    let min_split = (flags & 4 != 0).then(|| u16::from(r.byte()));
    let how = r.byte();
    let seq = (flags & 16 != 0).then(|| u16::from(r.byte() % 8));
    LineSpec {
        id,
        item,
        region,
        requested,
        qty,
        priority,
        split: flags & 1 != 0,
        subs: flags & 2 != 0,
        min_split,
        rule: how % 3,
        strategy: (how / 3) % 5,
        class: how / 15,
        seq,
    }
}

fn amount(r: &mut Reader<'_>) -> AmountSpec {
    match r.byte() % 3 {
        0 => AmountSpec::Absolute(qty(r)),
        1 => AmountSpec::Percent(r.byte()),
        _ => AmountSpec::Ratio(r.byte() % 6),
    }
}

fn rule(r: &mut Reader<'_>) -> RuleSpec {
    let item = r.byte();
    let shape = r.byte();
    let mut periods: Vec<i8> = (0..shape % 4).map(|_| r.small(-3, 33)).collect();
    if shape & 4 == 0 {
        // Mostly valid: ascending and distinct.
        periods.sort_unstable();
        periods.dedup();
    }
    let entries = (0..(shape >> 3) % 4).map(|_| (r.byte(), amount(r))).collect();
    let collective = (shape & 32 != 0).then(|| amount(r));
    RuleSpec { item, periods, cumulative: shape & 64 != 0, entries, collective }
}

/// How much a pick takes: mostly a share of what the line holds there (over 100: more),
/// sometimes that plus some free stock, rarely any quantity.
fn pick_qty(r: &mut Reader<'_>) -> PickQty {
    match r.byte() % 4 {
        0 | 1 => PickQty::Held(r.byte()),
        2 => PickQty::Beyond(u16::from(r.byte())),
        _ => PickQty::Raw(qty(r)),
    }
}

fn op(sel: u8, r: &mut Reader<'_>) -> Op {
    if sel >= 240 {
        return if sel % 2 == 0 {
            Op::Consume {
                pick: r.byte(),
                source: r.byte(),
                item: r.byte(),
                site: r.byte(),
                qty: pick_qty(r),
            }
        } else {
            Op::RestoreConsumed { pick: r.byte() }
        };
    }
    match sel % 16 {
        0 => Op::SetAvailable { item: r.byte(), site: r.byte(), qty: qty(r) },
        1 | 2 => {
            Op::AddSupply { item: r.byte(), site: r.byte(), day: r.small(-3, 40), qty: qty(r) }
        }
        3 => Op::Protect { item: r.byte(), site: r.byte(), qty: qty(r), up_to: r.byte() % 12 },
        4 => Op::SetQuotas((0..1 + r.byte() % 3).map(|_| rule(r)).collect()),
        5..=7 => Op::Allocate { line: line(r), claim: claim(r) },
        8 => {
            let n = 1 + r.byte() % 6;
            Op::Batch { lines: (0..n).map(|_| line(r)).collect(), claim: claim(r) }
        }
        9 => Op::RoundTrip { line: line(r) },
        10 => Op::Release { pick: r.byte() },
        11 => {
            let pick = r.byte();
            let how = match r.byte() {
                b @ 0..=219 => ReduceSpec::Percent(b % 101),
                220..=239 => ReduceSpec::Over,
                _ => ReduceSpec::Fine,
            };
            Op::Reduce { pick, how }
        }
        12 => Op::MakeHard { pick: r.byte() },
        13 => {
            let h = i16::from_le_bytes(r.bytes());
            Op::Sweep { hours: h.rem_euclid(1000) - 48 }
        }
        14 => Op::Reprocess { fair: r.byte() & 1 == 1 },
        _ => Op::Advance { days: r.small(-1, 6) },
    }
}

/// The demo network's model, built once.
fn demo() -> World {
    static DEMO: std::sync::OnceLock<World> = std::sync::OnceLock::new();
    DEMO.get_or_init(|| World::new(seed::demo_network())).clone()
}

fuzz_target!(|data: &[u8]| {
    let mut r = Reader::new(data);
    let h = r.byte();
    let horizon = if h < 128 { 0 } else { u16::from(h & 31) };
    let mut harness = Harness::new(demo(), horizon, Checks::ALL);
    let mut ops = 0;
    while !r.done() && ops < MAX_OPS {
        let sel = r.byte();
        let op = op(sel, &mut r);
        harness.run(&op);
        ops += 1;
    }
});
