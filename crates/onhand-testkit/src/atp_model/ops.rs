//! Operations.

//!
//! Fields are raw generator bytes (selectors taken modulo the length of a list, or out of
//! range on purpose); the type's docs say how each is read.
#![allow(
    missing_docs,
    reason = "fields are generator bytes; their reading is documented on the type"
)]

use super::*;

/// A quantity: `value / 10^decimals` in a unit picked by `unit` (0: the base unit, below
/// 250: one the item is counted in, from 250: one it is not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QtySpec {
    pub value: u32,
    pub unit: u8,
    pub decimals: u8,
}

impl QtySpec {
    /// Whole base units.
    #[must_use]
    pub fn base(value: u32) -> QtySpec {
        QtySpec { value, unit: 0, decimals: 0 }
    }
}

/// How much a line asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineQty {
    /// As given.
    Plain(QtySpec),
    /// What the first candidate site can promise on the requested date, plus `delta`
    /// base steps (−1: one short, 0: exact fit, 1: one over).
    Fit(i8),
    /// All supply of the item in the network, plus `delta` base steps.
    Everything(i8),
}

/// An order line; indices from 250 point to unknown items and regions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineSpec {
    /// `None`: a new id; `Some(k)`: the k-th id handed out so far (a duplicate while it
    /// is booked).
    pub id: Option<u8>,
    pub item: u8,
    pub region: u8,
    /// Requested delivery, in days from today.
    pub requested: i8,
    pub qty: LineQty,
    pub priority: u8,
    pub split: bool,
    pub subs: bool,
    /// Minimum split in base units.
    pub min_split: Option<u16>,
    /// 0 ranked, 1 least cost, 2 shortest transit (modulo 3).
    pub rule: u8,
    /// win, gain, redistribute, fill, lose (modulo 5).
    pub strategy: u8,
    /// Index into the world's demand classes (modulo).
    pub class: u8,
    /// Creation order (`None`: the id).
    pub seq: Option<u16>,
}

/// A quota amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountSpec {
    Absolute(QtySpec),
    /// Hundredths (above 100 is invalid).
    Percent(u8),
    Ratio(u8),
}

/// A quota rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSpec {
    pub item: u8,
    /// Period starts in days from today (should ascend).
    pub periods: Vec<i8>,
    pub cumulative: bool,
    pub entries: Vec<(u8, AmountSpec)>,
    pub collective: Option<AmountSpec>,
}

/// How much to reduce a line by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReduceSpec {
    /// That percentage of what is confirmed (rounded down; above 100 counts as 100).
    Percent(u8),
    /// One base step more than is confirmed (refused).
    Over,
    /// A quantity finer than the base unit (refused).
    Fine,
}

/// How much a pick takes, before it is capped at the stock on hand at the item-site
/// (a pick takes only stock that is there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickQty {
    /// That percentage of what the line holds at the item-site (above 100: more than it
    /// holds, the rest from free stock).
    Held(u8),
    /// What the line holds at the item-site plus that many base steps from free stock.
    Beyond(u16),
    /// As given, in any unit (may be refused); capped only when it converts.
    Raw(QtySpec),
}

/// One operation against the engine. `pick` selects a line id: below 200 a booked one,
/// else any id handed out so far, from 250 an unknown one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    SetAvailable {
        item: u8,
        site: u8,
        qty: QtySpec,
    },
    /// Supply `day` days from today (before today: effective today).
    AddSupply {
        item: u8,
        site: u8,
        day: i8,
        qty: QtySpec,
    },
    Protect {
        item: u8,
        site: u8,
        qty: QtySpec,
        up_to: u8,
    },
    SetQuotas(Vec<RuleSpec>),
    /// `claim`: `None` hard, `Some(h)` soft, expiring `h` hours after midnight today.
    Allocate {
        line: LineSpec,
        claim: Option<i16>,
    },
    Batch {
        lines: Vec<LineSpec>,
        claim: Option<i16>,
    },
    /// Allocate and release at once: availability must come back exactly.
    RoundTrip {
        line: LineSpec,
    },
    Release {
        pick: u8,
    },
    Reduce {
        pick: u8,
        how: ReduceSpec,
    },
    MakeHard {
        pick: u8,
    },
    /// Sweep at `hours` after midnight today.
    Sweep {
        hours: i16,
    },
    Reprocess {
        fair: bool,
    },
    Advance {
        days: i8,
    },
    /// Stock picked for a line (`consume`), then the stock on hand there lowered by what
    /// left (as the `onhand` facade does for a pick or shipment). `source` below 200: the
    /// item and site of one of the line's schedule lines (the ordered item at `site`
    /// when it has none); 200 to 224: the ordered item at `site`; 225 to 249: one of its
    /// substitutes (`item` picks which) at `site`; from 250: `item` and `site` as given.
    Consume {
        pick: u8,
        source: u8,
        item: u8,
        site: u8,
        qty: PickQty,
    },
    /// A pick reversed (`restore_consumed` with what the performed `consume` returned
    /// and took off the line's request, as the facade does), then the stock on hand
    /// there raised by what came back. `pick` selects one of the performed picks whose
    /// line is still booked and that used or served something; none: nothing happens.
    RestoreConsumed {
        pick: u8,
    },
}
