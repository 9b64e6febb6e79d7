//! Sequences of inventory events against the ledger on the demo network.
//!
//! The input decodes into operations like the state-machine test's generator (receipts,
//! moves, counts, transfers, approvals, re-submissions, period closes, planted defects),
//! turned into events by the same harness (`onhand_testkit::ledger_model`); selector
//! 255 instead reads a raw JSON `Event` from the bytes that follow, so malformed and
//! unusual events are covered too. After every event the harness checks the outcome
//! against a reference model, that a rejected event changes nothing and a pending one
//! moves no stock, that no position is negative (the demo sites forbid it), that every
//! serial-tracked position holds one serial per unit, that network totals change only as
//! the event means, and that re-applying an applied event is a duplicate that changes
//! nothing. At the end the journal must replay to the same state, a snapshot restore to
//! it, and `verify` name the first altered entry.
//!
//! Input layout: one byte picks the entry to alter at the end; then per operation a
//! selector byte, an actor byte, a time byte (below 200 forward, from 200 back-dated),
//! and the operation's own bytes (missing bytes read as zero).
#![no_main]

mod reader;

use libfuzzer_sys::fuzz_target;
use reader::Reader;

use onhand_testkit::ledger_model::{Harness, MOVE_KINDS, Op, Step, transfer_flow};

/// One operation (without a planted defect) from its selector and the bytes after it.
fn leaf(sel: u8, r: &mut Reader<'_>) -> Op {
    match sel {
        0..=29 => {
            let [site, item, bin, lot, qty, unit, expiry, to, serial] = r.bytes();
            Op::Receipt { site, item, bin, lot, qty, unit, expiry, to, serial }
        }
        30..=99 => {
            let [kind, pos, qty, to, bin] = r.bytes();
            Op::Move { kind: MOVE_KINDS[usize::from(kind) % MOVE_KINDS.len()], pos, qty, to, bin }
        }
        100..=109 => {
            let [site, item, bin, lot, qty, to] = r.bytes();
            Op::Gain { site, item, bin, lot, qty, to }
        }
        110..=124 => {
            let [pos, qty, fresh, site, item, bin, lot] = r.bytes();
            Op::Count { pos, qty, fresh, site, item, bin, lot }
        }
        125..=129 => {
            let [site, item, bin, qty, original] = r.bytes();
            Op::Return { site, item, bin, qty, original }
        }
        130..=134 => Op::ReleaseTwo { pos: r.byte() },
        135..=144 => {
            let [lane, items, qty] = r.bytes();
            Op::TransferRequest { lane, items, qty }
        }
        145..=154 => Op::TransferApprove { order: r.byte() },
        155..=169 => {
            let [order, pos, qty] = r.bytes();
            Op::TransferShip { order, pos, qty }
        }
        170..=184 => {
            let [order, mode, bin, to] = r.bytes();
            Op::TransferReceive { order, mode, bin, to }
        }
        185..=189 => Op::TransferClose { order: r.byte() },
        190..=204 => Op::Approve { pending: r.byte() },
        205..=209 => Op::Reject { pending: r.byte() },
        210..=217 => Op::Resubmit { past: r.byte() },
        218..=223 => Op::ReuseId { past: r.byte() },
        _ => Op::ClosePeriod { back: r.byte() },
    }
}

/// The operations an input encodes, and which journal entry to alter at the end.
fn decode(data: &[u8]) -> (Vec<Step>, usize) {
    let mut r = Reader::new(data);
    let tamper = usize::from(r.byte());
    let mut steps = Vec::new();
    while !r.done() && steps.len() < 100 {
        let sel = r.byte();
        let actor = r.byte();
        let when = r.byte();
        match sel {
            // A raw JSON event: two length bytes, then the text.
            255 => {
                let n = usize::from(u16::from_le_bytes(r.bytes()));
                steps.push(Step { op: Op::Raw(r.take(n)), actor, when });
            }
            // A whole transfer, which random single operations rarely line up.
            254 => steps.extend(transfer_flow(r.bytes())),
            // A planted defect in the next operation.
            240..=253 => {
                let defect = r.byte();
                let inner = r.byte();
                let base = Box::new(leaf(inner, &mut r));
                steps.push(Step { op: Op::Malformed { defect, base }, actor, when });
            }
            _ => steps.push(Step { op: leaf(sel, &mut r), actor, when }),
        }
    }
    (steps, tamper)
}

fuzz_target!(|data: &[u8]| {
    let (steps, tamper) = decode(data);
    let mut h = Harness::new();
    for s in &steps {
        if let Err(failure) = h.step(s) {
            panic!("{failure}");
        }
    }
    if let Err(failure) = h.finish(tamper) {
        panic!("{failure}");
    }
});
