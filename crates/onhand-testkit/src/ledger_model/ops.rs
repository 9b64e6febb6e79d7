//! Operations, and turning them into events.

//!
//! Fields are raw generator bytes (selectors taken modulo the length of a list, or out of
//! range on purpose); the type's docs say how each is read.
#![allow(
    missing_docs,
    reason = "fields are generator bytes; their reading is documented on the type"
)]

use super::*;

/// A stock movement taking stock from an existing position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveKind {
    Putaway,
    Pick,
    Ship,
    StatusChange,
    Scrap,
    Loss,
    Disposition,
}

pub const MOVE_KINDS: [MoveKind; 7] = [
    MoveKind::Putaway,
    MoveKind::Pick,
    MoveKind::Ship,
    MoveKind::StatusChange,
    MoveKind::Scrap,
    MoveKind::Loss,
    MoveKind::Disposition,
];

/// One generated operation. The small numbers are selectors: they pick a site, item,
/// position, quantity (see `amount`) ... modulo the list they choose from, so any byte
/// is meaningful.
#[derive(Debug, Clone)]
pub enum Op {
    Receipt {
        site: u8,
        item: u8,
        bin: u8,
        lot: u8,
        qty: u8,
        unit: u8,
        expiry: u8,
        to: u8,
        serial: u8,
    },
    Move {
        kind: MoveKind,
        pos: u8,
        qty: u8,
        to: u8,
        bin: u8,
    },
    Gain {
        site: u8,
        item: u8,
        bin: u8,
        lot: u8,
        qty: u8,
        to: u8,
    },
    Count {
        pos: u8,
        qty: u8,
        fresh: u8,
        site: u8,
        item: u8,
        bin: u8,
        lot: u8,
    },
    /// A customer return; `original` from 128 on names a shipment the model saw applied
    /// (modulo how many), below it none.
    Return {
        site: u8,
        item: u8,
        bin: u8,
        qty: u8,
        original: u8,
    },
    ReleaseTwo {
        pos: u8,
    },
    TransferRequest {
        lane: u8,
        items: u8,
        qty: u8,
    },
    TransferApprove {
        order: u8,
    },
    TransferShip {
        order: u8,
        pos: u8,
        qty: u8,
    },
    TransferReceive {
        order: u8,
        mode: u8,
        bin: u8,
        to: u8,
    },
    TransferClose {
        order: u8,
    },
    Approve {
        pending: u8,
    },
    Reject {
        pending: u8,
    },
    Resubmit {
        past: u8,
    },
    ReuseId {
        past: u8,
    },
    ClosePeriod {
        back: u8,
    },
    Malformed {
        defect: u8,
        base: Box<Op>,
    },
    /// A raw JSON event (fuzzing).
    Raw(Vec<u8>),
}

/// An operation with who posts it and when: `actor` below 232 picks among the actors
/// allowed to post the kind, above it any actor; `when` below 200 moves the clock
/// forward by `when % 4` minutes, from 200 on back-dates by `(when - 200) * 4` minutes.
#[derive(Debug, Clone)]
pub struct Step {
    pub op: Op,
    pub actor: u8,
    pub when: u8,
}

/// A coherent chunk of steps from 12 selector bytes: stock arrives at ORD straight into
/// available, a transfer of it is requested to ATL or YYZ, approved, shipped (once or
/// twice), received (in full, short, over, damaged ... as `b[9]` says) and sometimes
/// closed. Each step can still be refused, as its selectors say.
#[must_use]
pub fn transfer_flow(b: [u8; 12]) -> Vec<Step> {
    let item = [0u8, 4, 6][usize::from(b[0] % 3)];
    let lane = if b[1] % 4 == 3 { 11 } else { 0 };
    let at = |op, actor| Step { op, actor, when: 1 };
    let mut out = vec![
        at(
            Op::Receipt {
                site: 0,
                item,
                bin: 4,
                lot: 0,
                qty: b[2] % 3,
                unit: 0,
                expiry: 0,
                to: 3,
                serial: 0,
            },
            b[3] % 200,
        ),
        at(Op::TransferRequest { lane, items: 1 << (b[0] % 3), qty: b[4] }, b[5] % 200),
        at(Op::TransferApprove { order: b[6] % 200 }, b[7] % 200),
        at(Op::TransferShip { order: 0, pos: b[8] % 200, qty: b[4] }, 0),
    ];
    if b[8].is_multiple_of(4) {
        out.push(at(Op::TransferShip { order: 0, pos: b[8] % 200, qty: 0 }, 1));
    }
    out.push(at(Op::TransferReceive { order: 0, mode: b[9], bin: b[10], to: b[11] }, 0));
    if b[11].is_multiple_of(4) {
        out.push(at(Op::TransferClose { order: 0 }, b[10]));
    }
    out
}

/// A quantity relative to what is there: exact, one short, one over, zero, half, or a
/// fixed amount around the thresholds (100 for adjustments).
pub(crate) fn amount(code: u8, have: Decimal) -> Decimal {
    match code % 16 {
        0..=2 => have,
        3 | 4 => (have - Decimal::ONE).max(Decimal::ZERO),
        5 | 6 => have + Decimal::ONE,
        7 => Decimal::ZERO,
        8 => (have / Decimal::TWO).ceil(),
        9 => Decimal::ONE,
        10 => d(2),
        11 => d(12),
        12 => d(100),
        13 => d(101),
        14 => d(150),
        _ => d(600),
    }
}

pub(crate) fn pick<T: Clone>(list: &[T], sel: u8) -> Option<T> {
    if list.is_empty() { None } else { list.get(usize::from(sel) % list.len()).cloned() }
}

pub(crate) fn site_sel(sel: u8) -> &'static str {
    match sel % 8 {
        0..=3 => SITES[0],
        4..=6 => SITES[1],
        _ => SITES[2],
    }
}

pub(crate) fn item_sel(sel: u8) -> &'static str {
    match sel % 8 {
        0..=3 => ITEMS[0],
        4 | 5 => ITEMS[1],
        _ => ITEMS[2],
    }
}

pub(crate) fn bin_sel(sel: u8) -> &'static str {
    match sel % 8 {
        0..=3 => BINS[0],
        4 | 5 => BINS[1],
        6 => BINS[2],
        _ => BINS[3],
    }
}

pub(crate) fn lot_sel(sel: u8) -> &'static str {
    match sel % 8 {
        0..=3 => LOTS[0],
        4 | 5 => LOTS[1],
        6 => LOTS[2],
        _ => LOTS[3],
    }
}

/// The lines of a stock event, to plant defects in.
pub(crate) fn lines_mut(body: &mut Body) -> Option<&mut Vec<Line>> {
    match body {
        Body::Receipt(m)
        | Body::Putaway(m)
        | Body::Pick(m)
        | Body::Ship(m)
        | Body::TransferShip(m)
        | Body::TransferReceipt(m)
        | Body::CustomerReturn(m)
        | Body::Disposition(m)
        | Body::Adjustment(m)
        | Body::StatusChange(m)
        | Body::Scrap(m) => Some(&mut m.lines),
        _ => None,
    }
}

pub(crate) fn site_mut(body: &mut Body) -> Option<&mut SiteCode> {
    match body {
        Body::Receipt(m)
        | Body::Putaway(m)
        | Body::Pick(m)
        | Body::Ship(m)
        | Body::TransferShip(m)
        | Body::TransferReceipt(m)
        | Body::CustomerReturn(m)
        | Body::Disposition(m)
        | Body::Adjustment(m)
        | Body::StatusChange(m)
        | Body::Scrap(m) => Some(&mut m.site),
        Body::CycleCount(c) => Some(&mut c.site),
        Body::TransferRequest(r) => Some(&mut r.to),
        _ => None,
    }
}
