//! Cost pools: the stock of one item that one legal entity owns (at one site, when the
//! entity values per site), and what it is worth by the entity's costing method.
//!
//! A pool holds quantities in the item's base unit and values in the currency's minor
//! units, both as exact integers (`i128` counts of the base unit's smallest step and of
//! the currency's minor unit: the conversion from and to `Decimal` at the boundary is
//! exact, because base quantities fit their unit's scale and values are rounded to the
//! currency where they arise). Values never drift from quantities:
//!
//! - **FIFO**: one layer per receipt, oldest first; an issue takes whole layers and, from
//!   the last one it touches, the proportional value (rounded half up), leaving the
//!   remainder in the layer, so the last unit out takes the last cent.
//! - **Moving average**: one quantity and one value; an issue takes the proportional
//!   value, and the last unit out takes what is left.
//! - **Standard**: the value is always `quantity x standard` rounded; movements are
//!   valued at standard, and the cent the running rounding leaves over is reported as a
//!   rounding residue (posted to the rounding account), never hidden in a movement.
//!
//! Issuing more than the pool holds is either refused or, under the negative-stock
//! policy that allows it, valued at the last known cost and held as a **shortfall**; the
//! next receipt covers the shortfall first and reports the true-up (its actual cost
//! less the value the shortfall was issued at) for a correcting posting.
//!
//! Every pool also carries the **embedded intercompany profit** of the stock it holds:
//! what a buyer booked above the selling entity's cost. It moves with the stock exactly
//! like value does, so consolidation can eliminate what is still held.
//!
//! # Layout: append-only records and an O(1) state
//!
//! Every receipt is recorded once, as it came in ([`Rcpt`]), in an append-only arena;
//! so is every shortfall part ([`Short`]), and every withdrawal (a return to the
//! supplier, a receipt's reversal) from a FIFO layer behind the oldest one ([`Wdr`]:
//! the running total taken from that layer). A pool's [`State`] is a handful of
//! numbers: the totals held, the oldest receipt with units left (the FIFO **head**)
//! and what was taken from it, the same for the shortfall parts, and the arenas'
//! lengths. A FIFO receipt appends a record and an issue moves the head forward, so
//! both cost O(1) amortized whatever the queue length (the totals are kept, never
//! summed). A layer holds its record less its latest withdrawal record (found through
//! an index by receipt, only when the pool has any) less, at the head, what issues
//! took; an issue that reaches a layer takes only what is left of it, and the head
//! passes over a layer withdrawals emptied. Because
//! records never change (a landed cost is kept beside the record, in `landed`), a copy
//! of the state *is* a checkpoint of the whole pool: the engine keeps one every few
//! operations for back-dated movements, sharing every layer with the live pool instead
//! of cloning the queue.

use std::collections::BTreeMap;

mod method_change;
mod rcpts;
mod withdraw;

pub(crate) use rcpts::Rcpts;

use onhand_master::canonical::{Compact, EncodeError};
use onhand_master::{Rounding, RoundingMode, mul_div_round, mul_exact};
use rust_decimal::Decimal;

/// The integer figures a pool computes in.
pub(crate) type Int = i128;

/// The largest magnitude a pool figure may reach: a `Decimal`'s mantissa (2^96 − 1), so
/// every figure converts back exactly.
const LIMIT: Int = (1 << 96) - 1;

/// How a pool values its stock.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// First in, first out.
    Fifo,
    /// Moving (weighted) average.
    MovingAverage,
    /// Standard cost with variances.
    Standard,
}

impl Method {
    /// The stable name.
    ///
    /// ```
    /// use onhand_valuation::Method;
    /// assert_eq!(Method::Fifo.as_str(), "fifo");
    /// assert_eq!(serde_json::to_string(&Method::Fifo)?, "\"fifo\"");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Fifo => "fifo",
            Method::MovingAverage => "moving_average",
            Method::Standard => "standard",
        }
    }
}

impl From<onhand_master::CostingMethod> for Method {
    fn from(m: onhand_master::CostingMethod) -> Self {
        match m {
            onhand_master::CostingMethod::Fifo => Method::Fifo,
            onhand_master::CostingMethod::MovingAverage => Method::MovingAverage,
            onhand_master::CostingMethod::Standard => Method::Standard,
        }
    }
}

/// A FIFO receipt layer, as a pool view shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// The operation (receipt) that opened it.
    pub origin: u64,
    /// What the receipt brought in (units that covered a shortfall included).
    pub received: Decimal,
    /// What is left.
    pub qty: Decimal,
    /// What what is left is worth.
    pub value: Decimal,
    /// The intercompany profit embedded in what is left.
    pub profit: Decimal,
}

/// Why a pool refused an operation (the engine turns these into typed errors with the
/// pool's codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PoolError {
    /// Not enough stock and negative stock is refused.
    Insufficient { available: Decimal },
    /// Stock must be issued without stock and no cost is known to value it at.
    NoCost,
    /// The arithmetic left the range a pool carries.
    Overflow,
    /// A standard-only operation on another method, or the reverse.
    WrongMethod,
    /// A landed cost credit would leave the value below zero.
    Negative { value: Decimal },
    /// A method change on a pool that owes stock (a shortfall, a negative quantity).
    Short,
}

impl From<onhand_master::DecimalError> for PoolError {
    fn from(_: onhand_master::DecimalError) -> Self {
        PoolError::Overflow
    }
}

type R<T> = Result<T, PoolError>;

/// A receipt into a pool, as it came in: while any of its units are held, a FIFO layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Rcpt {
    /// The cost event.
    pub(crate) event: u64,
    /// Quantity, value and embedded profit received.
    pub(crate) qty: Int,
    pub(crate) value: Int,
    pub(crate) profit: Int,
    /// Landed cost added to the units still held when it was posted.
    pub(crate) landed: Int,
}

/// What withdrawals took from one FIFO layer while it was not the oldest held (the
/// head's are counted in [`State::used`] instead): the receipt record it names and, as
/// running totals over every such withdrawal from that receipt up to this one, the
/// quantity, value and embedded profit taken. Appended like the other records, so a
/// state's `wlen` says which of them it has seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Wdr {
    pub(crate) rcpt: u32,
    pub(crate) qty: Int,
    pub(crate) value: Int,
    pub(crate) profit: Int,
}

/// Whether a count is zero (a snapshot leaves such a field out).
#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if passes a reference"
)]
pub(crate) fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A part of a shortfall: issued without stock at the last known cost, to the account
/// `tag` stands for, by the issue `event` (whose recorded value its true-up changes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Short {
    pub(crate) qty: Int,
    pub(crate) value: Int,
    pub(crate) tag: u8,
    pub(crate) event: u64,
}

/// A pool's figures at one point. With the arenas' records before `rlen` and `slen` it
/// describes the pool entirely, so a copy is a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct State {
    pub(crate) method: Method,
    /// Held (standard: negative when short): quantity, value, embedded profit.
    pub(crate) qty: Int,
    pub(crate) value: Int,
    pub(crate) profit: Int,
    /// Standard: the cost per base unit.
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
    pub(crate) cost: Decimal,
    /// Receipts recorded (an absolute count).
    pub(crate) rlen: u32,
    /// FIFO: the oldest receipt with units held (`rlen` when none), and the quantity,
    /// value and profit already taken from it.
    pub(crate) head: u32,
    pub(crate) used: (Int, Int, Int),
    /// Shortfall parts recorded, the oldest open one, what was covered of it (quantity,
    /// value), and the open shortfall's quantity and value.
    pub(crate) slen: u32,
    pub(crate) shead: u32,
    pub(crate) sused: (Int, Int),
    pub(crate) short: (Int, Int),
    /// The last receipt's value and quantity (its unit cost values a shortfall).
    pub(crate) last: Option<(Int, Int)>,
    /// Withdrawal records ([`Wdr`]) recorded (an absolute count); left out of a
    /// snapshot while the pool never withdrew from a layer behind its head.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(crate) wlen: u32,
}

// The compact canonical form of the records a snapshot's digest is taken over, written
// by hand: the bytes their derived `Serialize` writes (the snapshot module's tests hold
// the two to the same digest), without the serde walk's generic steps.

/// A time as `crate::instant` writes it for a digest: seconds, then nanoseconds.
pub(crate) fn write_instant(w: &mut Compact<'_>, at: &chrono::DateTime<chrono::Utc>) {
    w.i64(at.timestamp());
    w.u64(u64::from(at.timestamp_subsec_nanos()));
}

impl Rcpt {
    pub(crate) fn write(&self, w: &mut Compact<'_>) {
        w.field();
        w.u64(self.event);
        for x in [self.qty, self.value, self.profit, self.landed] {
            w.field();
            w.i128(x);
        }
    }
}

impl Wdr {
    pub(crate) fn write(&self, w: &mut Compact<'_>) {
        w.field();
        w.u64(u64::from(self.rcpt));
        for x in [self.qty, self.value, self.profit] {
            w.field();
            w.i128(x);
        }
    }
}

impl Short {
    pub(crate) fn write(&self, w: &mut Compact<'_>) {
        w.field();
        w.i128(self.qty);
        w.field();
        w.i128(self.value);
        w.field();
        w.u64(u64::from(self.tag));
        w.field();
        w.u64(self.event);
    }
}

impl State {
    /// # Errors
    /// The standard cost's encoding error (a decimal always encodes).
    pub(crate) fn write(&self, w: &mut Compact<'_>) -> Result<(), EncodeError> {
        w.field();
        // The variant's index, as serde writes a unit variant.
        w.u64(match self.method {
            Method::Fifo => 0,
            Method::MovingAverage => 1,
            Method::Standard => 2,
        });
        for x in [self.qty, self.value, self.profit] {
            w.field();
            w.i128(x);
        }
        w.field();
        w.value(&self.cost)?;
        w.field();
        w.u64(u64::from(self.rlen));
        w.field();
        w.u64(u64::from(self.head));
        w.field();
        for x in [self.used.0, self.used.1, self.used.2] {
            w.i128(x);
        }
        w.field();
        w.u64(u64::from(self.slen));
        w.field();
        w.u64(u64::from(self.shead));
        for (a, b) in [self.sused, self.short] {
            w.field();
            w.i128(a);
            w.i128(b);
        }
        w.field();
        match self.last {
            None => w.skipped(),
            Some((a, b)) => {
                w.field();
                w.i128(a);
                w.i128(b);
            }
        }
        if self.wlen == 0 {
            w.skipped();
        } else {
            w.field();
            w.u64(u64::from(self.wlen));
        }
        Ok(())
    }
}

/// The fixed facts of a pool: the scales its integers count in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scales {
    /// Decimal places of a quantity (the item's base unit).
    pub(crate) qty: u32,
    /// Decimal places of a value (the currency's minor units).
    pub(crate) value: u32,
    rounding: Rounding,
}

impl Scales {
    /// Scales for quantities with `qty` places and values with `value` places.
    ///
    /// # Errors
    /// [`PoolError::Overflow`] for a scale beyond 28.
    pub(crate) fn new(qty: u32, value: u32) -> R<Self> {
        if qty > 28 {
            return Err(PoolError::Overflow);
        }
        Ok(Scales { qty, value, rounding: Rounding::new(value, RoundingMode::HalfUp)? })
    }

    /// A quantity as an integer count (exact, or an error).
    #[inline]
    pub(crate) fn qty_in(self, d: Decimal) -> R<Int> {
        // At the unit's own scale (nearly always) the mantissa is the count, and a
        // mantissa never exceeds [`LIMIT`].
        if d.scale() == self.qty {
            return Ok(d.mantissa());
        }
        to_int(d, self.qty).ok_or(PoolError::Overflow)
    }

    /// A value as an integer count of minor units (exact, or an error).
    pub(crate) fn value_in(self, d: Decimal) -> R<Int> {
        to_int(d, self.value).ok_or(PoolError::Overflow)
    }

    /// A quantity count as a decimal.
    pub(crate) fn qty_out(self, i: Int) -> Decimal {
        to_dec(i, self.qty)
    }

    /// A value count as a decimal, written at the currency's scale.
    pub(crate) fn value_out(self, i: Int) -> Decimal {
        to_dec(i, self.value)
    }

    /// `value x part / whole` rounded half up (`value` itself when `part == whole`).
    /// Inline, so an issue's split of its last layer is a multiply and a division at
    /// its caller; anything past 64 bits goes out of line.
    #[inline]
    fn share(self, value: Int, part: Int, whole: Int) -> R<Int> {
        if part == whole {
            return Ok(value);
        }
        if whole <= 0 {
            return Err(PoolError::Overflow);
        }
        if let Some(x) = mul_div_64(value, part, whole) {
            return Ok(x);
        }
        self.share_wide(value, part, whole)
    }

    /// [`Scales::share`] past 64 bits (`whole > 0`).
    #[inline(never)]
    fn share_wide(self, value: Int, part: Int, whole: Int) -> R<Int> {
        if let Some(x) = mul_div(value, part, whole) {
            return Ok(x);
        }
        // Beyond 128 bits: the decimal routine reduces trailing zeros first.
        let d = mul_div_round(
            self.value_out(value),
            self.qty_out(part),
            self.qty_out(whole),
            self.rounding,
        )?;
        self.value_in(d)
    }
}

/// The powers of ten a `Decimal`'s scale can reach (`10^0..=10^28`).
const POW10: [Int; 29] = {
    let mut t = [1; 29];
    let mut k = 1;
    while k < 29 {
        t[k] = t[k - 1] * 10;
        k += 1;
    }
    t
};

/// `10^k`, for `k` up to 28 (a `Decimal`'s largest scale).
pub(crate) fn pow10(k: u32) -> Option<Int> {
    POW10.get(usize::try_from(k).ok()?).copied()
}

/// `d` as a count of `10^-scale`, if exact and within [`LIMIT`].
fn to_int(d: Decimal, scale: u32) -> Option<Int> {
    let s = d.scale();
    let m = d.mantissa();
    let v = match s.cmp(&scale) {
        std::cmp::Ordering::Equal => m,
        std::cmp::Ordering::Less => mul(m, pow10(scale - s)?)?,
        std::cmp::Ordering::Greater => {
            let k = pow10(s - scale)?;
            if m % k != 0 {
                return None;
            }
            m / k
        }
    };
    (v.abs() <= LIMIT).then_some(v)
}

/// `i x 10^-scale` (figures stay within [`LIMIT`], so this is exact).
fn to_dec(i: Int, scale: u32) -> Decimal {
    debug_assert!(i.abs() <= LIMIT && scale <= 28, "pool figure {i} at scale {scale}");
    Decimal::try_from_i128_with_scale(i, scale).unwrap_or(if i < 0 {
        Decimal::MIN
    } else {
        Decimal::MAX
    })
}

/// [`mul_div`] when all three and the product fit 64 bits (nearly always: one 64-bit
/// multiply and division); `None` otherwise.
#[inline]
#[allow(clippy::many_single_char_names)] // the formula's own names
fn mul_div_64(a: Int, b: Int, c: Int) -> Option<Int> {
    if let (Ok(a), Ok(b), Ok(c)) = (i64::try_from(a), i64::try_from(b), i64::try_from(c))
        && c > 0
        && let Some(n) = a.checked_mul(b)
    {
        let (q, r) = (n / c, n % c);
        // |r| < c < 2^63, so twice it fits 64 unsigned bits.
        let up = 2 * r.unsigned_abs() >= c.unsigned_abs();
        return Some(Int::from(if up { q + n.signum() } else { q }));
    }
    None
}

/// `a x b / c` rounded half away from zero (`c > 0`), if it fits 128 bits.
#[allow(clippy::many_single_char_names)] // the formula's own names
fn mul_div(a: Int, b: Int, c: Int) -> Option<Int> {
    if let Some(x) = mul_div_64(a, b, c) {
        return Some(x);
    }
    let n = mul(a, b)?;
    let (q, r) = match (i64::try_from(n), i64::try_from(c)) {
        (Ok(n), Ok(c)) => (Int::from(n / c), Int::from(n % c)),
        _ => (n / c, n % c),
    };
    Some(if 2 * r.abs() >= c { q + n.signum() } else { q })
}

/// `a x b`, if it fits 128 bits. Two factors within 64 bits (nearly always) multiply
/// without the overflow check, which for 128 bits is a call to a slow routine.
#[inline]
fn mul(a: Int, b: Int) -> Option<Int> {
    match (i64::try_from(a), i64::try_from(b)) {
        (Ok(a), Ok(b)) => Some(Int::from(a) * Int::from(b)),
        _ => a.checked_mul(b),
    }
}

/// `a + b` within [`LIMIT`].
fn add(a: Int, b: Int) -> R<Int> {
    let s = a.checked_add(b).ok_or(PoolError::Overflow)?;
    if s.abs() <= LIMIT { Ok(s) } else { Err(PoolError::Overflow) }
}

/// `a − b` within [`LIMIT`].
fn sub(a: Int, b: Int) -> R<Int> {
    add(a, -b)
}

/// Sums what records `from..to` hold: quantity, and the first two other figures, less
/// what was taken from the first (`used_qty`, `used_value`); `None` when a record is
/// missing or the first's use is not less than it.
fn sums(
    from: u32,
    to: u32,
    used_qty: Int,
    used_value: Int,
    record: impl Fn(u32) -> Option<(Int, Int, Int)>,
) -> Option<(Int, (Int, Int))> {
    let (mut q, mut v, mut p) = (0 as Int, 0 as Int, 0 as Int);
    if from == to {
        return (used_qty == 0 && used_value == 0).then_some((0, (0, 0)));
    }
    for k in from..to {
        let (rq, rv, rp) = record(k)?;
        if k == from && !(0..rq).contains(&used_qty) {
            return None;
        }
        q = q.checked_add(rq)?;
        v = v.checked_add(rv)?;
        p = p.checked_add(rp)?;
    }
    Some((q - used_qty, (v - used_value, p)))
}

/// Read access to a pool's records: the live arenas, or a replay's overlay of them.
pub(crate) trait Book {
    /// Receipt `k` (absolute), with its landed cost as of this book's point.
    fn rcpt(&self, k: u32) -> Option<Rcpt>;
    /// Shortfall part `k` (absolute).
    fn short(&self, k: u32) -> Option<Short>;
    /// What the withdrawal records before `wlen` took from receipt `k`'s layer:
    /// quantity, value, embedded profit.
    fn taken(&self, k: u32, wlen: u32) -> (Int, Int, Int);
}

/// What an operation reports.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Out {
    /// Receive: debit to inventory (standard: at standard); issue: value taken;
    /// add-cost: the part kept in inventory; set-standard: the revaluation.
    pub(crate) value: Int,
    /// Issue: embedded profit that left.
    pub(crate) profit: Int,
    /// Issue: how much went out without stock.
    pub(crate) short: Int,
    /// Receive: shortfall true-ups by the tag of each issue covered (actual cost of the
    /// covered units less what they were issued at).
    pub(crate) trueups: Vec<(u8, Int)>,
    /// Receive: the same true-ups by the event of each issue covered.
    pub(crate) covered: Vec<(u64, Int)>,
    /// Standard: the running-rounding residue (receive: debit inventory; issue: credit
    /// inventory, when positive).
    pub(crate) residue: Int,
}

/// An operation worked out but not applied: the state after it and the records it adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    pub(crate) state: State,
    pub(crate) rcpt: Option<Rcpt>,
    pub(crate) short: Option<Short>,
    /// A receipt's landed cost after the operation.
    pub(crate) landed: Option<(u32, Int)>,
    /// A withdrawal from a layer behind the head.
    pub(crate) wdr: Option<Wdr>,
    pub(crate) out: Out,
}

impl State {
    /// An empty pool's state.
    pub(crate) fn empty(method: Method, standard: Decimal) -> Self {
        State {
            method,
            qty: 0,
            value: 0,
            profit: 0,
            cost: if method == Method::Standard { standard } else { Decimal::ZERO },
            rlen: 0,
            head: 0,
            used: (0, 0, 0),
            slen: 0,
            shead: 0,
            sused: (0, 0),
            short: (0, 0),
            last: None,
            wlen: 0,
        }
    }

    /// The last receipt's unit cost, to 10 places.
    fn last_cost(&self, sc: Scales) -> Option<Decimal> {
        let (value, qty) = self.last?;
        let rule = Rounding::new(10, RoundingMode::HalfUp).ok()?;
        mul_div_round(sc.value_out(value), Decimal::ONE, sc.qty_out(qty), rule).ok()
    }

    /// The quantity on the books (negative after issuing without stock).
    pub(crate) fn book_qty(&self) -> Int {
        self.qty - self.short.0
    }

    /// The value on the books (held less the open shortfall).
    pub(crate) fn book_value(&self) -> Int {
        self.value - self.short.1
    }

    /// Receipt `k`'s units, value and profit still held, if it is a live FIFO layer.
    fn layer(&self, book: &impl Book, k: u32) -> Option<(Rcpt, Int, Int, Int)> {
        if self.method != Method::Fifo || k < self.head || k >= self.rlen {
            return None;
        }
        let r = book.rcpt(k)?;
        let (wq, wv, wp) = book.taken(k, self.wlen);
        let (uq, uv, up) = if k == self.head { self.used } else { (0, 0, 0) };
        Some((r, r.qty - wq - uq, r.value + r.landed - wv - uv, r.profit - wp - up))
    }

    /// The first receipt from `k` on (`k` past the head) whose layer withdrawals left
    /// units in, `rlen` when none: where the FIFO head goes once the layers before `k`
    /// are gone.
    pub(crate) fn next_held(&self, book: &impl Book, mut k: u32) -> u32 {
        while k < self.rlen && book.rcpt(k).is_some_and(|r| r.qty <= book.taken(k, self.wlen).0) {
            k += 1;
        }
        k
    }

    /// The FIFO layers, oldest first (a layer withdrawals emptied is gone).
    pub(crate) fn layers<'a>(
        &'a self,
        book: &'a impl Book,
        sc: Scales,
    ) -> impl Iterator<Item = Layer> + 'a {
        let ks = if self.method == Method::Fifo { self.head..self.rlen } else { 0..0 };
        ks.filter_map(move |k| {
            let (r, q, v, p) = self.layer(book, k).filter(|l| l.1 > 0)?;
            Some(Layer {
                origin: r.event,
                received: sc.qty_out(r.qty),
                qty: sc.qty_out(q),
                value: sc.value_out(v),
                profit: sc.value_out(p),
            })
        })
    }

    /// The cost per unit an issue of one unit would take now: the oldest layer's, the
    /// average, or the standard; the last receipt's when nothing is held.
    pub(crate) fn unit_cost(&self, book: &impl Book, sc: Scales) -> Option<Decimal> {
        let six = Rounding::new(6, RoundingMode::HalfUp).ok()?;
        let per =
            |v: Int, q: Int| onhand_master::div_round(sc.value_out(v), sc.qty_out(q), six).ok();
        match self.method {
            Method::Fifo => {
                self.layer(book, self.head).and_then(|(_, q, v, _)| per(v, q)).or_else(|| {
                    self.last_cost(sc)
                        .and_then(|c| onhand_master::div_round(c, Decimal::ONE, six).ok())
                })
            }
            Method::MovingAverage if self.qty > 0 => per(self.value, self.qty),
            Method::MovingAverage => {
                self.last_cost(sc).and_then(|c| onhand_master::div_round(c, Decimal::ONE, six).ok())
            }
            Method::Standard => Some(self.cost),
        }
    }

    /// `qty` at the standard cost, rounded half up to the currency's minor units.
    fn at_standard(&self, sc: Scales, qty: Int) -> R<Int> {
        // In integers when the decimal product would be exact too (at most 28 places, a
        // mantissa within 96 bits): qty x cost's mantissa, over 10^(places - minor).
        let places = sc.qty + self.cost.scale();
        if places <= 28
            && let Some(n) = mul(qty, self.cost.mantissa())
            && n.unsigned_abs() < 1 << 96
        {
            let v = match places.checked_sub(sc.value) {
                Some(down) => pow10(down).and_then(|k| mul_div(qty, self.cost.mantissa(), k)),
                None => pow10(sc.value - places).and_then(|k| mul(n, k)),
            };
            if let Some(v) = v.filter(|v| v.abs() <= LIMIT) {
                return Ok(v);
            }
        }
        self.at_standard_decimal(sc, qty)
    }

    /// [`State::at_standard`] in decimals.
    fn at_standard_decimal(&self, sc: Scales, qty: Int) -> R<Int> {
        let v = mul_exact(sc.qty_out(qty), self.cost)?;
        sc.value_in(sc.rounding.apply(v)?)
    }

    /// Whether this state is one the pool's operations can reach over `book`'s records:
    /// figures in range, the totals the sums of what the records still hold, nothing
    /// held worth nothing, a FIFO pool layered or short but not both, a standard pool
    /// worth its quantity at standard. A restored snapshot's base is checked with it.
    pub(crate) fn is_consistent(&self, book: &impl Book, sc: Scales) -> bool {
        let figures = [
            self.qty,
            self.value,
            self.profit,
            self.used.0,
            self.used.1,
            self.used.2,
            self.sused.0,
            self.sused.1,
            self.short.0,
            self.short.1,
        ];
        if figures.iter().any(|x| x.abs() > LIMIT)
            || self.head > self.rlen
            || self.shead > self.slen
        {
            return false;
        }
        if let Some((v, q)) = self.last
            && (q <= 0 || v.abs() > LIMIT)
        {
            return false;
        }
        // The open shortfall: its parts less what was covered of the oldest.
        let Some((sq, sv)) = sums(self.shead, self.slen, self.sused.0, self.sused.1, |k| {
            book.short(k).map(|p| (p.qty, p.value, 0))
        }) else {
            return false;
        };
        if (sq, sv.0) != self.short {
            return false;
        }
        match self.method {
            Method::Fifo => {
                // Every layer holds what its record, its withdrawals and (the head) what
                // issues took leave: nothing below zero, nothing empty worth anything,
                // the head not empty.
                let (mut q, mut v, mut p) = (0 as Int, 0 as Int, 0 as Int);
                if (self.head == self.rlen && self.used != (0, 0, 0)) || self.used.0 < 0 {
                    return false;
                }
                for k in self.head..self.rlen {
                    let Some((_, lq, lv, lp)) = self.layer(book, k) else {
                        return false;
                    };
                    let empty_ok = lq > 0 || (lq == 0 && lv == 0 && lp == 0 && k != self.head);
                    let (Some(q2), Some(v2), Some(p2)) =
                        (q.checked_add(lq), v.checked_add(lv), p.checked_add(lp))
                    else {
                        return false;
                    };
                    if !empty_ok {
                        return false;
                    }
                    (q, v, p) = (q2, v2, p2);
                }
                (q, v, p) == (self.qty, self.value, self.profit)
                    && (self.short.0 == 0 || self.head == self.rlen)
                    && (self.qty != 0 || (self.value == 0 && self.profit == 0))
            }
            Method::MovingAverage => {
                self.qty >= 0
                    && self.used == (0, 0, 0)
                    && (self.qty != 0 || (self.value == 0 && self.profit == 0))
            }
            Method::Standard => {
                self.short == (0, 0)
                    && self.slen == self.shead
                    && !self.cost.is_sign_negative()
                    && self.at_standard(sc, self.qty) == Ok(self.value)
            }
        }
    }

    /// Works out a receipt of `qty` (> 0) worth `value`, `profit` of it intercompany
    /// profit, as cost event `event`.
    pub(crate) fn plan_receive(
        &self,
        book: &impl Book,
        sc: Scales,
        event: u64,
        qty: Int,
        value: Int,
        profit: Int,
    ) -> R<Plan> {
        if qty <= 0 {
            return Err(PoolError::Overflow);
        }
        let mut st = *self;
        let mut out = Out::default();
        let rlen = self.rlen.checked_add(1).ok_or(PoolError::Overflow)?;
        let rcpt = Some(Rcpt { event, qty, value, profit, landed: 0 });
        if self.method == Method::Standard {
            let at_std = self.at_standard(sc, qty)?;
            let new_qty = add(self.qty, qty)?;
            let new_value = self.at_standard(sc, new_qty)?;
            out.value = at_std;
            out.residue = sub(sub(new_value, self.value)?, at_std)?;
            // Units that cover a negative quantity are gone already: their profit was
            // realized with them.
            let covered = if self.qty < 0 { qty.min(-self.qty) } else { 0 };
            let kept_profit = sub(profit, sc.share(profit, covered, qty)?)?;
            st.qty = new_qty;
            st.value = new_value;
            st.profit = add(self.profit, kept_profit)?;
            st.rlen = rlen;
            return Ok(Plan { state: st, rcpt, short: None, landed: None, wdr: None, out });
        }
        out.value = value;
        let (mut covered, mut covered_value, mut covered_profit) = (0, 0, 0);
        if self.short.0 > 0 {
            covered = qty.min(self.short.0);
            covered_value = sc.share(value, covered, qty)?;
            covered_profit = sc.share(profit, covered, qty)?;
            // Oldest part first; each part's actual cost is its share of the covered
            // value, the last part taking what is left.
            let (mut rem, mut left) = (covered, covered_value);
            let (mut k, mut used) = (self.shead, self.sused);
            while rem > 0 {
                let part = book.short(k).ok_or(PoolError::Overflow)?;
                let (pq, pv) = (part.qty - used.0, part.value - used.1);
                let take = rem.min(pq);
                let actual =
                    if take == rem { left } else { sc.share(covered_value, take, covered)? };
                let issued = sc.share(pv, take, pq)?;
                let trueup = sub(actual, issued)?;
                out.trueups.push((part.tag, trueup));
                out.covered.push((part.event, trueup));
                if take == pq {
                    k += 1;
                    used = (0, 0);
                } else {
                    used = (used.0 + take, used.1 + issued);
                }
                rem -= take;
                left = sub(left, actual)?;
                st.short = (st.short.0 - take, sub(st.short.1, issued)?);
            }
            st.shead = k;
            st.sused = used;
        }
        // The covered units are gone already: their profit was realized with them.
        st.qty = add(self.qty, qty - covered)?;
        st.value = add(self.value, sub(value, covered_value)?)?;
        st.profit = add(self.profit, sub(profit, covered_profit)?)?;
        if self.method == Method::Fifo {
            // A pool is layered or short, never both: a receipt that covers a shortfall
            // is the only layer, and the cover is what was taken from it first.
            debug_assert!(covered == 0 || self.head == self.rlen, "short and layered");
            if covered == qty {
                if self.head == self.rlen {
                    st.head = rlen;
                }
            } else if covered > 0 {
                st.used = (covered, covered_value, covered_profit);
            }
        }
        st.rlen = rlen;
        st.last = Some((value, qty));
        Ok(Plan { state: st, rcpt, short: None, landed: None, wdr: None, out })
    }

    /// Works out an issue of `qty` (> 0). With `allow_negative`, what the pool does not
    /// hold is issued at the last known cost (a shortfall part tagged `tag`); otherwise a
    /// shortage is refused.
    pub(crate) fn plan_issue(
        &self,
        book: &impl Book,
        sc: Scales,
        qty: Int,
        allow_negative: bool,
        tag: u8,
        event: u64,
    ) -> R<Plan> {
        if qty <= 0 {
            return Err(PoolError::Overflow);
        }
        let held = self.qty.max(0);
        if qty > held && !allow_negative {
            return Err(PoolError::Insufficient { available: sc.qty_out(held) });
        }
        let mut st = *self;
        let mut out = Out::default();
        if self.method == Method::Standard {
            let at_std = self.at_standard(sc, qty)?;
            let new_qty = sub(self.qty, qty)?;
            let new_value = self.at_standard(sc, new_qty)?;
            let took_profit = if self.qty > 0 {
                let part = qty.min(self.qty);
                sc.share(self.profit, part, self.qty)?
            } else {
                0
            };
            out.value = at_std;
            out.profit = took_profit;
            out.short = (qty - held).max(0);
            // old − new = at_std + residue.
            out.residue = sub(sub(self.value, new_value)?, at_std)?;
            st.qty = new_qty;
            st.value = new_value;
            st.profit = sub(self.profit, took_profit)?;
            return Ok(Plan { state: st, rcpt: None, short: None, landed: None, wdr: None, out });
        }
        let short = (qty - held).max(0);
        let short_value = if short > 0 {
            let unit = if self.method == Method::MovingAverage && self.qty > 0 {
                let rule = Rounding::new(10, RoundingMode::HalfUp)?;
                Some(mul_div_round(
                    sc.value_out(self.value),
                    Decimal::ONE,
                    sc.qty_out(self.qty),
                    rule,
                )?)
            } else {
                self.last_cost(sc)
            };
            let unit = unit.ok_or(PoolError::NoCost)?;
            let v = mul_exact(sc.qty_out(short), unit)?;
            sc.value_in(sc.rounding.apply(v)?)?
        } else {
            0
        };
        let take = qty - short;
        let (value, profit) = if self.method == Method::Fifo {
            let (mut value, mut profit, mut rem) = (0, 0, take);
            let (mut k, mut used) = (self.head, self.used);
            while rem > 0 {
                let r = book.rcpt(k).ok_or(PoolError::Overflow)?;
                let (wq, wv, wp) = book.taken(k, self.wlen);
                let (lq, lv, lp) =
                    (r.qty - wq - used.0, r.value + r.landed - wv - used.1, r.profit - wp - used.2);
                if lq <= rem {
                    rem -= lq;
                    value = add(value, lv)?;
                    profit = add(profit, lp)?;
                    k += 1;
                    used = (0, 0, 0);
                } else {
                    let v = sc.share(lv, rem, lq)?;
                    let p = if lp == 0 { 0 } else { sc.share(lp, rem, lq)? };
                    value = add(value, v)?;
                    profit = add(profit, p)?;
                    used = (used.0 + rem, used.1 + v, used.2 + p);
                    rem = 0;
                }
            }
            // A layer withdrawals emptied is passed over.
            st.head = if used.0 == 0 { self.next_held(book, k) } else { k };
            st.used = used;
            (value, profit)
        } else if take == 0 {
            (0, 0)
        } else {
            let v = sc.share(self.value, take, self.qty)?;
            let p = if self.profit == 0 { 0 } else { sc.share(self.profit, take, self.qty)? };
            (v, p)
        };
        st.qty = self.qty - take;
        st.value = sub(self.value, value)?;
        st.profit = sub(self.profit, profit)?;
        // Nothing held: nothing worth anything (the last unit out took the last cent).
        debug_assert!(st.qty != 0 || (st.value == 0 && st.profit == 0), "empty but valued");
        out.value = add(value, short_value)?;
        out.profit = profit;
        out.short = short;
        let mut part = None;
        if short > 0 {
            st.short = (add(self.short.0, short)?, add(self.short.1, short_value)?);
            st.slen = self.slen.checked_add(1).ok_or(PoolError::Overflow)?;
            part = Some(Short { qty: short, value: short_value, tag, event });
        }
        Ok(Plan { state: st, rcpt: None, short: part, landed: None, wdr: None, out })
    }

    /// Works out a landed cost of `amount` on receipt `k` (if the pool still has its
    /// record): the part that stays in inventory is the receipt's units still held over
    /// its units received (FIFO: that layer's; moving average: the pool's, capped at
    /// the receipt); the rest belongs to units already gone (cost of sales) or, for
    /// standard pools, to the purchase price variance.
    pub(crate) fn plan_add_cost(
        &self,
        book: &impl Book,
        sc: Scales,
        k: Option<u32>,
        received: Int,
        amount: Int,
    ) -> R<Plan> {
        let plan = |state: State, kept: Int, landed| Plan {
            state,
            rcpt: None,
            short: None,
            landed,
            wdr: None,
            out: Out { value: kept, ..Out::default() },
        };
        let mut st = *self;
        match self.method {
            Method::Fifo => {
                let Some((r, q, v, _)) = k.and_then(|k| self.layer(book, k)) else {
                    return Ok(plan(st, 0, None));
                };
                let kept = sc.share(amount, q, r.qty)?;
                let new_value = add(v, kept)?;
                if new_value < 0 {
                    return Err(PoolError::Negative { value: sc.value_out(new_value) });
                }
                st.value = add(self.value, kept)?;
                let k = k.unwrap_or_default();
                Ok(plan(st, kept, Some((k, add(r.landed, kept)?))))
            }
            Method::MovingAverage => {
                if self.qty <= 0 || received <= 0 {
                    return Ok(plan(st, 0, None));
                }
                let kept = sc.share(amount, self.qty.min(received), received)?;
                let new_value = add(self.value, kept)?;
                if new_value < 0 {
                    return Err(PoolError::Negative { value: sc.value_out(new_value) });
                }
                st.value = new_value;
                Ok(plan(st, kept, None))
            }
            Method::Standard => Ok(plan(st, 0, None)),
        }
    }

    /// Works out a new standard cost; the plan's value is the revaluation (new value −
    /// old value).
    pub(crate) fn plan_set_standard(&self, sc: Scales, cost: Decimal) -> R<Plan> {
        if self.method != Method::Standard {
            return Err(PoolError::WrongMethod);
        }
        let mut st = *self;
        st.cost = cost;
        st.value = st.at_standard(sc, self.qty)?;
        let reval = sub(st.value, self.value)?;
        Ok(Plan {
            state: st,
            rcpt: None,
            short: None,
            landed: None,
            wdr: None,
            out: Out { value: reval, ..Out::default() },
        })
    }
}

/// An in-order FIFO receipt or issue worked out by [`Pool::quick_receive`] or
/// [`Pool::quick_issue`]: the few figures it changes, applied in place by
/// [`Pool::commit_quick`]. The same result as [`State::plan_receive`] or
/// [`State::plan_issue`] and [`Pool::commit`], without copying the state twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Quick {
    /// A receipt of `qty` worth `value` (no profit) as cost event `event`.
    Receive { event: u64, qty: Int, value: Int },
    /// An issue of `qty` worth `value`, `profit` of it embedded profit, leaving the FIFO
    /// head at `head` with `used` taken from it.
    Issue { qty: Int, value: Int, profit: Int, head: u32, used: (Int, Int, Int) },
}

impl Quick {
    /// What the movement debits (a receipt) or credits (an issue) to inventory.
    pub(crate) fn value(&self) -> Int {
        match *self {
            Quick::Receive { value, .. } | Quick::Issue { value, .. } => value,
        }
    }

    /// The intercompany profit an issue took out of the pool (none for a receipt).
    pub(crate) fn profit(&self) -> Int {
        match *self {
            Quick::Receive { .. } => 0,
            Quick::Issue { profit, .. } => profit,
        }
    }
}

/// One pool's stock and value: its state and its records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pool {
    pub(crate) state: State,
    pub(crate) scales: Scales,
    /// Receipts `rbase..state.rlen`.
    rcpts: Rcpts,
    rbase: u32,
    /// Shortfall parts `sbase..state.slen`.
    shorts: Vec<Short>,
    sbase: u32,
    /// Withdrawal records `wbase..state.wlen`, and their index: for each receipt, the
    /// (absolute, ascending) numbers of the records that name it. Empty while no
    /// withdrawal took from a layer behind the head, which keeps issues on their
    /// plain path.
    wdrs: Vec<Wdr>,
    wbase: u32,
    wix: BTreeMap<u32, Vec<u32>>,
}

impl Book for Pool {
    fn rcpt(&self, k: u32) -> Option<Rcpt> {
        self.rcpts.get(k.checked_sub(self.rbase)? as usize)
    }

    fn short(&self, k: u32) -> Option<Short> {
        self.shorts.get(k.checked_sub(self.sbase)? as usize).copied()
    }

    #[inline]
    fn taken(&self, k: u32, wlen: u32) -> (Int, Int, Int) {
        if self.wix.is_empty() {
            return (0, 0, 0);
        }
        self.wix
            .get(&k)
            .and_then(|ixs| {
                let n = ixs.partition_point(|&i| i < wlen);
                let i = *ixs.get(n.checked_sub(1)?)?;
                self.wdrs.get(i.checked_sub(self.wbase)? as usize)
            })
            .map_or((0, 0, 0), |w| (w.qty, w.value, w.profit))
    }
}

impl Pool {
    /// An empty pool valuing by `method`.
    pub(crate) fn new(method: Method, scales: Scales, standard: Decimal) -> Self {
        Pool {
            state: State::empty(method, standard),
            scales,
            rcpts: Rcpts::default(),
            rbase: 0,
            shorts: Vec::new(),
            sbase: 0,
            wdrs: Vec::new(),
            wbase: 0,
            wix: BTreeMap::new(),
        }
    }

    /// Reads the oldest layer held and the newest receipt (for a batch's read-ahead); a
    /// value that depends on both.
    pub(crate) fn touch(&self) -> u64 {
        let head =
            self.state.head.checked_sub(self.rbase).and_then(|i| self.rcpts.event(i as usize));
        head.unwrap_or(0).wrapping_add(self.rcpts.last_event().unwrap_or(0))
    }

    /// Reads the lengths of the pool's records (for a batch's read-ahead).
    pub(crate) fn touch_lens(&self) -> u64 {
        (self.rcpts.len() + self.wdrs.len() + self.shorts.len()) as u64
    }

    /// Records withdrawal `w` as number `wbase + wdrs.len()`.
    fn push_wdr(&mut self, w: Wdr) {
        let i = self.wbase + u32::try_from(self.wdrs.len()).unwrap_or(u32::MAX);
        self.wdrs.push(w);
        self.wix.entry(w.rcpt).or_default().push(i);
    }

    /// Forgets the withdrawal records from number `from` on (the newest first).
    fn truncate_wdrs(&mut self, from: u32) {
        let keep = from.saturating_sub(self.wbase) as usize;
        while self.wdrs.len() > keep {
            let Some(w) = self.wdrs.pop() else { break };
            if let Some(ixs) = self.wix.get_mut(&w.rcpt) {
                ixs.pop();
                if ixs.is_empty() {
                    self.wix.remove(&w.rcpt);
                }
            }
        }
    }

    /// A pool from its parts (a restored snapshot); `None` when they do not fit
    /// together. `wdrs` are the withdrawal records from number `wbase` on.
    #[expect(clippy::too_many_arguments, reason = "one pool's parts, as a snapshot keeps them")]
    pub(crate) fn from_parts(
        state: State,
        scales: Scales,
        rbase: u32,
        rcpts: Rcpts,
        sbase: u32,
        shorts: Vec<Short>,
        wbase: u32,
        wdrs: Vec<Wdr>,
    ) -> Option<Self> {
        let rend = rbase.checked_add(u32::try_from(rcpts.len()).ok()?)?;
        let send = sbase.checked_add(u32::try_from(shorts.len()).ok()?)?;
        let ok = rend == state.rlen
            && send == state.slen
            && (state.method != Method::Fifo || state.head >= rbase)
            && state.head <= state.rlen
            && state.shead >= sbase
            && state.shead <= state.slen
            && rcpts.iter_from(0).all(|r| {
                r.qty > 0 && [r.qty, r.value, r.profit, r.landed].iter().all(|x| x.abs() <= LIMIT)
            })
            && shorts.iter().all(|p| p.qty > 0 && p.value.abs() <= LIMIT)
            && wbase.checked_add(u32::try_from(wdrs.len()).ok()?)? == state.wlen
            && wdrs.iter().all(|w| {
                w.rcpt < state.rlen
                    && w.qty > 0
                    && [w.qty, w.value, w.profit].iter().all(|x| x.abs() <= LIMIT)
            });
        if !ok {
            return None;
        }
        let mut pool = Pool {
            state,
            scales,
            rcpts,
            rbase,
            shorts,
            sbase,
            wdrs: Vec::with_capacity(wdrs.len()),
            wbase,
            wix: BTreeMap::new(),
        };
        for w in wdrs {
            // Running totals: each record of a receipt takes more than the one before.
            let (before, _, _) = pool.taken(w.rcpt, pool.state.wlen);
            if w.qty <= before {
                return None;
            }
            pool.push_wdr(w);
        }
        Some(pool)
    }

    /// The parts a snapshot keeps: the first receipt and shortfall part held, and the
    /// records from them on.
    pub(crate) fn parts(&self) -> (u32, &Rcpts, u32, &[Short]) {
        (self.rbase, &self.rcpts, self.sbase, &self.shorts)
    }

    /// The withdrawal records a snapshot keeps: the number of the first, and the records.
    pub(crate) fn wdr_parts(&self) -> (u32, &[Wdr]) {
        (self.wbase, &self.wdrs)
    }

    /// A FIFO receipt of `qty` (> 0) worth `value`, with no profit, as cost event
    /// `event`, into a pool that owes nothing (no shortfall): what
    /// [`State::plan_receive`] works out then, without the plan. `None` for any other
    /// case, a refusal included (the plan then decides).
    pub(crate) fn quick_receive(&self, event: u64, qty: Int, value: Int) -> Option<Quick> {
        let st = &self.state;
        if st.method != Method::Fifo || st.short.0 != 0 || qty <= 0 || value.abs() > LIMIT {
            return None;
        }
        st.rlen.checked_add(1)?;
        add(st.qty, qty).ok()?;
        add(st.value, value).ok()?;
        Some(Quick::Receive { event, qty, value })
    }

    /// A FIFO issue of `qty` (> 0) that the pool holds: what [`State::plan_issue`] works
    /// out then (oldest layers first, the last one touched giving its proportional
    /// value), without the plan. `None` for any other case, a refusal included, and
    /// for a pool with withdrawal records (its layers are read through them: the plan
    /// does it).
    pub(crate) fn quick_issue(&self, qty: Int) -> Option<Quick> {
        let st = &self.state;
        if st.method != Method::Fifo
            || qty <= 0
            || qty > st.qty
            || st.short.0 != 0
            || !self.wdrs.is_empty()
        {
            return None;
        }
        let (mut value, mut profit, mut rem) = (0, 0, qty);
        let (mut k, mut used) = (st.head, st.used);
        // Without withdrawal records every layer holds its record less the head's use.
        while rem > 0 {
            let r = self.rcpt(k)?;
            let (lq, lv, lp) = (r.qty - used.0, r.value + r.landed - used.1, r.profit - used.2);
            if lq <= rem {
                rem -= lq;
                value = add(value, lv).ok()?;
                profit = add(profit, lp).ok()?;
                k += 1;
                used = (0, 0, 0);
            } else {
                let v = self.scales.share(lv, rem, lq).ok()?;
                let p = if lp == 0 { 0 } else { self.scales.share(lp, rem, lq).ok()? };
                value = add(value, v).ok()?;
                profit = add(profit, p).ok()?;
                used = (used.0 + rem, used.1 + v, used.2 + p);
                rem = 0;
            }
        }
        sub(st.value, value).ok()?;
        sub(st.profit, profit).ok()?;
        Some(Quick::Issue { qty, value, profit, head: k, used })
    }

    /// Applies a movement worked out by [`Pool::quick_receive`] or
    /// [`Pool::quick_issue`] on this pool's current state (nothing can fail here: the
    /// figures were checked then).
    pub(crate) fn commit_quick(&mut self, quick: &Quick) {
        let st = &mut self.state;
        match *quick {
            Quick::Receive { event, qty, value } => {
                self.rcpts.push(Rcpt { event, qty, value, profit: 0, landed: 0 });
                st.qty += qty;
                st.value += value;
                st.rlen += 1;
                st.last = Some((value, qty));
            }
            Quick::Issue { qty, value, profit, head, used } => {
                st.qty -= qty;
                st.value -= value;
                st.profit -= profit;
                st.head = head;
                st.used = used;
            }
        }
        debug_assert_eq!(self.rbase as usize + self.rcpts.len(), st.rlen as usize);
    }

    /// Applies a plan worked out on this pool's current state (nothing can fail here).
    pub(crate) fn commit(&mut self, plan: &Plan) {
        debug_assert_eq!(plan.state.rlen, self.state.rlen + u32::from(plan.rcpt.is_some()));
        debug_assert_eq!(plan.state.slen, self.state.slen + u32::from(plan.short.is_some()));
        debug_assert_eq!(plan.state.wlen, self.state.wlen + u32::from(plan.wdr.is_some()));
        if let Some(r) = plan.rcpt {
            self.rcpts.push(r);
        }
        if let Some(s) = plan.short {
            self.shorts.push(s);
        }
        if let Some(w) = plan.wdr {
            self.push_wdr(w);
        }
        if let Some((k, landed)) = plan.landed {
            let set = k
                .checked_sub(self.rbase)
                .is_some_and(|i| self.rcpts.set_landed(i as usize, landed));
            debug_assert!(set, "landed cost on receipt {k} not held");
        }
        self.state = plan.state;
    }

    /// Replaces everything after a replay's starting point with what the replay made.
    pub(crate) fn adopt(&mut self, replay: Adopt) {
        let Adopt { state, rfrom, rcpts, sfrom, shorts, wfrom, wdrs, landed } = replay;
        self.rcpts.truncate(rfrom.saturating_sub(self.rbase) as usize);
        self.rcpts.extend(rcpts);
        self.shorts.truncate(sfrom.saturating_sub(self.sbase) as usize);
        self.shorts.extend(shorts);
        self.truncate_wdrs(wfrom);
        for w in wdrs {
            self.push_wdr(w);
        }
        for (k, l) in landed {
            if let Some(i) = k.checked_sub(self.rbase) {
                self.rcpts.set_landed(i as usize, l);
            }
        }
        debug_assert_eq!(self.rbase as usize + self.rcpts.len(), state.rlen as usize);
        debug_assert_eq!(self.sbase as usize + self.shorts.len(), state.slen as usize);
        debug_assert_eq!(self.wbase as usize + self.wdrs.len(), state.wlen as usize);
        self.state = state;
    }

    /// What puts this pool back as it is now once `replay` is adopted: its state, its
    /// records from the replay's starting points on, and the landed cost the replay
    /// sets on receipts before them. Adopting it undoes the replay exactly.
    pub(crate) fn inverse_of(&self, replay: &Adopt) -> Adopt {
        let landed = replay.landed.keys().filter(|&&k| k < replay.rfrom);
        self.mark(replay.rfrom, replay.sfrom, replay.wfrom, landed.copied())
    }

    /// What puts this pool back as it is now once `plan` is committed (see
    /// [`Pool::inverse_of`]).
    pub(crate) fn inverse_of_plan(&self, plan: &Plan) -> Adopt {
        let st = &self.state;
        self.mark(st.rlen, st.slen, st.wlen, plan.landed.map(|(k, _)| k).into_iter())
    }

    /// The pool now, from receipt `rfrom`, shortfall part `sfrom` and withdrawal record
    /// `wfrom` on, with the landed cost of receipts `landed` (before `rfrom`).
    fn mark(&self, rfrom: u32, sfrom: u32, wfrom: u32, landed: impl Iterator<Item = u32>) -> Adopt {
        let tail = |from: u32, base: u32| from.saturating_sub(base) as usize;
        Adopt {
            state: self.state,
            rfrom,
            rcpts: self.rcpts.iter_from(tail(rfrom, self.rbase)).collect(),
            sfrom,
            shorts: self.shorts.get(tail(sfrom, self.sbase)..).unwrap_or_default().to_vec(),
            wfrom,
            wdrs: self.wdrs.get(tail(wfrom, self.wbase)..).unwrap_or_default().to_vec(),
            landed: landed.filter_map(|k| Some((k, self.rcpt(k)?.landed))).collect(),
        }
    }

    /// Forgets the records a pool at `base` no longer needs (a period close): receipts
    /// before its FIFO head (for other methods, before its end), shortfall parts
    /// before its oldest open one, and the oldest withdrawal records up to the first
    /// that `base` saw and that names a receipt kept.
    pub(crate) fn forget_before(&mut self, base: &State) {
        let keep_from = if base.method == Method::Fifo { base.head } else { base.rlen };
        let gone = self
            .wdrs
            .iter()
            .zip(self.wbase..base.wlen)
            .take_while(|(w, _)| w.rcpt < keep_from)
            .count();
        for w in self.wdrs.drain(..gone) {
            if let Some(ixs) = self.wix.get_mut(&w.rcpt) {
                if !ixs.is_empty() {
                    ixs.remove(0);
                }
                if ixs.is_empty() {
                    self.wix.remove(&w.rcpt);
                }
            }
        }
        self.wbase += u32::try_from(gone).unwrap_or(0);
        let drop = keep_from.saturating_sub(self.rbase);
        self.rcpts.drop_front(drop as usize);
        self.rbase += drop;
        let drop = base.shead.saturating_sub(self.sbase);
        self.shorts.drain(..(drop as usize).min(self.shorts.len()));
        self.sbase += drop;
    }

    /// A replay of this pool's history from `state` (a checkpoint), with the landed
    /// cost the receipts had then: `later` lists the landed cost kept on each receipt
    /// by the operations after the checkpoint, which are taken off.
    pub(crate) fn replay_from(
        &self,
        state: State,
        later: impl Iterator<Item = (u32, Int)>,
    ) -> Replay<'_> {
        let mut landed = BTreeMap::new();
        // Only a FIFO receipt keeps its landed cost (the other methods add it to the
        // pool's value): `later` names only what was kept while the pool was FIFO.
        for (k, kept) in later {
            if k < state.rlen
                && let Some(r) = self.rcpt(k)
            {
                let l = landed.entry(k).or_insert(r.landed);
                *l -= kept;
            }
        }
        Replay {
            pool: self,
            state,
            rfrom: state.rlen,
            rcpts: Vec::new(),
            sfrom: state.slen,
            shorts: Vec::new(),
            wfrom: state.wlen,
            wdrs: Vec::new(),
            wlast: BTreeMap::new(),
            landed,
        }
    }
}

/// What a replay made, detached from the pool it read (see [`Pool::adopt`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Adopt {
    state: State,
    rfrom: u32,
    rcpts: Vec<Rcpt>,
    sfrom: u32,
    shorts: Vec<Short>,
    wfrom: u32,
    wdrs: Vec<Wdr>,
    landed: BTreeMap<u32, Int>,
}

/// A pool's history being replayed: the state reached, over the pool's records before
/// the starting point and the records the replay made since.
#[derive(Debug, Clone)]
pub(crate) struct Replay<'a> {
    pool: &'a Pool,
    pub(crate) state: State,
    rfrom: u32,
    rcpts: Vec<Rcpt>,
    sfrom: u32,
    shorts: Vec<Short>,
    /// Withdrawal records from `wfrom` on, and the latest of them per receipt.
    wfrom: u32,
    wdrs: Vec<Wdr>,
    wlast: BTreeMap<u32, usize>,
    /// Landed cost of receipts before `rfrom`, as of the replay's point.
    landed: BTreeMap<u32, Int>,
}

impl Book for Replay<'_> {
    fn rcpt(&self, k: u32) -> Option<Rcpt> {
        if k < self.rfrom {
            let mut r = self.pool.rcpt(k)?;
            if let Some(l) = self.landed.get(&k) {
                r.landed = *l;
            }
            Some(r)
        } else {
            self.rcpts.get((k - self.rfrom) as usize).copied()
        }
    }

    fn short(&self, k: u32) -> Option<Short> {
        if k < self.sfrom {
            self.pool.short(k)
        } else {
            self.shorts.get((k - self.sfrom) as usize).copied()
        }
    }

    fn taken(&self, k: u32, wlen: u32) -> (Int, Int, Int) {
        let own = wlen.saturating_sub(self.wfrom) as usize;
        let latest = match self.wlast.get(&k) {
            Some(&j) if j < own => self.wdrs.get(j),
            None => None,
            // Seen as of an earlier point than the replay's own: look back.
            Some(_) => self.wdrs.iter().take(own).rev().find(|w| w.rcpt == k),
        };
        match latest {
            Some(w) => (w.qty, w.value, w.profit),
            None => self.pool.taken(k, wlen.min(self.wfrom)),
        }
    }
}

impl Replay<'_> {
    /// Applies a plan worked out on the replay's state.
    pub(crate) fn commit(&mut self, plan: &Plan) {
        if let Some(r) = plan.rcpt {
            self.rcpts.push(r);
        }
        if let Some(s) = plan.short {
            self.shorts.push(s);
        }
        if let Some(w) = plan.wdr {
            self.wlast.insert(w.rcpt, self.wdrs.len());
            self.wdrs.push(w);
        }
        if let Some((k, l)) = plan.landed {
            if k < self.rfrom {
                self.landed.insert(k, l);
            } else if let Some(r) = self.rcpts.get_mut((k - self.rfrom) as usize) {
                r.landed = l;
            }
        }
        self.state = plan.state;
    }

    /// The pool this replays.
    #[cfg(test)]
    pub(crate) fn scales(&self) -> Scales {
        self.pool.scales
    }

    /// The first receipt the replay recorded itself.
    pub(crate) fn rfrom(&self) -> u32 {
        self.rfrom
    }

    /// What the replay made, to adopt.
    pub(crate) fn into_adopt(self) -> Adopt {
        let Replay { state, rfrom, rcpts, sfrom, shorts, wfrom, wdrs, landed, .. } = self;
        Adopt { state, rfrom, rcpts, sfrom, shorts, wfrom, wdrs, landed }
    }
}

#[cfg(test)]
mod tests {
    use proptest::strategy::Strategy as _;

    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    /// A pool in dollars over whole units, driven through plan and commit.
    struct P(Pool);

    impl P {
        fn new(method: Method, standard: &str) -> Self {
            P(Pool::new(method, Scales::new(0, 2).unwrap(), d(standard)))
        }
        fn sc(&self) -> Scales {
            self.0.scales
        }
        fn receive(&mut self, event: u64, qty: i128, value: &str, profit: &str) -> Out {
            let v = self.sc().value_in(d(value)).unwrap();
            let p = self.sc().value_in(d(profit)).unwrap();
            let plan = self.0.state.plan_receive(&self.0, self.sc(), event, qty, v, p).unwrap();
            let out = plan.out.clone();
            self.0.commit(&plan);
            out
        }
        fn issue(&mut self, qty: i128, negative: bool) -> R<Out> {
            let plan = self.0.state.plan_issue(&self.0, self.sc(), qty, negative, 0, 0)?;
            let out = plan.out.clone();
            self.0.commit(&plan);
            Ok(out)
        }
        fn qty(&self) -> Decimal {
            self.sc().qty_out(self.0.state.book_qty())
        }
        fn value(&self) -> Decimal {
            self.sc().value_out(self.0.state.book_value())
        }
        fn v(&self, i: Int) -> Decimal {
            self.sc().value_out(i)
        }
    }

    // A FIFO sequence: receive 10 @ 1.00, 20 @ 1.20; issue 15 takes 10.00 + 6.00.
    #[test]
    fn fifo_issues_the_oldest_layers_first() {
        let mut p = P::new(Method::Fifo, "0");
        p.receive(1, 10, "10.00", "0");
        p.receive(2, 20, "24.00", "0");
        let i = p.issue(15, false).unwrap();
        assert_eq!(p.v(i.value), d("16.00"));
        assert_eq!((p.qty(), p.value()), (d("15"), d("18.00")));
    }

    #[test]
    fn a_partial_layer_keeps_the_remainder_so_the_last_unit_takes_the_last_cent() {
        let mut p = P::new(Method::Fifo, "0");
        p.receive(1, 3, "1.00", "0");
        let a = p.issue(1, false).unwrap().value;
        let b = p.issue(1, false).unwrap().value;
        let c = p.issue(1, false).unwrap().value;
        assert_eq!((p.v(a), p.v(b), p.v(c)), (d("0.33"), d("0.34"), d("0.33")));
        assert_eq!(p.value(), Decimal::ZERO);
    }

    #[test]
    fn moving_average_recomputes_on_receipt() {
        let mut p = P::new(Method::MovingAverage, "0");
        p.receive(1, 100, "1000.00", "0");
        p.receive(2, 100, "1200.00", "0");
        let i = p.issue(50, false).unwrap();
        assert_eq!(p.v(i.value), d("550.00"));
        assert_eq!(p.0.state.unit_cost(&p.0, p.sc()), Some(d("11")));
    }

    #[test]
    fn standard_books_price_variance_and_revaluation() {
        let mut p = P::new(Method::Standard, "5.00");
        let r = p.receive(1, 10, "52.00", "0");
        assert_eq!(p.v(r.value), d("50.00"));
        let plan = p.0.state.plan_set_standard(p.sc(), d("5.50")).unwrap();
        assert_eq!(p.v(plan.out.value), d("5.00"));
        p.0.commit(&plan);
        let i = p.issue(4, false).unwrap();
        assert_eq!(p.v(i.value), d("22.00"));
    }

    #[test]
    fn a_standard_residue_is_reported_not_hidden() {
        let mut p = P::new(Method::Standard, "0.333");
        let r = p.receive(1, 3, "1.00", "0");
        assert_eq!(p.v(r.value), d("1.00"));
        let mut total = r.residue;
        for _ in 0..3 {
            let i = p.issue(1, false).unwrap();
            assert_eq!(p.v(i.value), d("0.33"));
            total -= i.residue;
        }
        // 1.00 in, 0.99 out at standard: the cent is a residue.
        assert_eq!(p.value(), Decimal::ZERO);
        assert_eq!(p.v(total.abs()), d("0.01"));
    }

    #[test]
    fn refusing_negative_stock_changes_nothing() {
        let mut p = P::new(Method::Fifo, "0");
        p.receive(1, 5, "5.00", "0");
        let before = p.0.clone();
        assert_eq!(p.issue(6, false), Err(PoolError::Insufficient { available: d("5") }));
        assert_eq!(p.0, before);
    }

    #[test]
    fn a_shortfall_is_trued_up_by_the_next_receipt() {
        let mut p = P::new(Method::Fifo, "0");
        p.receive(1, 5, "5.00", "0");
        let i = p.issue(8, true).unwrap();
        assert_eq!((p.v(i.value), i.short), (d("8.00"), 3));
        assert_eq!((p.qty(), p.value()), (d("-3"), d("-3.00")));
        let r = p.receive(2, 10, "12.00", "0");
        // 3 of the 10 @ 1.20 cover the shortfall issued at 1.00: 0.60 to true up.
        assert_eq!(r.trueups.as_slice(), [(0, 60)]);
        assert_eq!((p.qty(), p.value()), (d("7"), d("8.40")));
        // The layer shows the whole receipt, 7 of it left.
        let layers: Vec<Layer> = p.0.state.layers(&p.0, p.sc()).collect();
        assert_eq!(
            (layers[0].received, layers[0].qty, layers[0].value),
            (d("10"), d("7"), d("8.40"))
        );
    }

    #[test]
    fn no_cost_known_for_a_shortfall_is_refused() {
        let mut p = P::new(Method::MovingAverage, "0");
        assert_eq!(p.issue(1, true), Err(PoolError::NoCost));
        assert_eq!(p.qty(), Decimal::ZERO);
    }

    #[test]
    fn landed_cost_splits_between_what_is_held_and_what_is_gone() {
        let mut p = P::new(Method::Fifo, "0");
        p.receive(7, 10, "100.00", "0");
        p.issue(4, false).unwrap();
        let plan = p.0.state.plan_add_cost(&p.0, p.sc(), Some(0), 10, 2000).unwrap();
        assert_eq!(p.v(plan.out.value), d("12.00"));
        p.0.commit(&plan);
        assert_eq!(p.value(), d("72.00"));
    }

    #[test]
    fn profit_moves_with_the_stock() {
        let mut p = P::new(Method::MovingAverage, "0");
        p.receive(1, 10, "120.00", "20.00");
        let i = p.issue(4, false).unwrap();
        assert_eq!((p.v(i.profit), p.v(p.0.state.profit)), (d("8.00"), d("12.00")));
    }

    #[test]
    fn a_replay_sees_the_records_as_they_were() {
        let mut p = P::new(Method::Fifo, "0");
        p.receive(1, 10, "10.00", "0");
        let cp = p.0.state;
        p.receive(2, 10, "20.00", "0");
        p.issue(15, false).unwrap();
        // Replaying from the checkpoint and applying the same operations ends where the
        // pool is, and adopting it changes nothing.
        let mut r = p.0.replay_from(cp, std::iter::empty());
        let sc = r.scales();
        let plan = r.state.plan_receive(&r, sc, 2, 10, 2000, 0).unwrap();
        r.commit(&plan);
        let plan = r.state.plan_issue(&r, sc, 15, false, 0, 0).unwrap();
        r.commit(&plan);
        assert_eq!(r.state, p.0.state);
        let before = p.0.clone();
        let replay = p.0.replay_from(cp, std::iter::empty());
        let mut again = replay;
        let plan = again.state.plan_receive(&again, sc, 2, 10, 2000, 0).unwrap();
        again.commit(&plan);
        let plan = again.state.plan_issue(&again, sc, 15, false, 0, 0).unwrap();
        again.commit(&plan);
        let mut after = before.clone();
        after.adopt(again.into_adopt());
        assert_eq!(after, before);
    }

    proptest::proptest! {
        /// The standard value in integers is the decimal one, rounding and refusals
        /// included.
        #[test]
        fn at_standard_in_integers_is_the_decimal_value(
            qty in proptest::prelude::any::<i64>(),
            shift in 0u32..40,
            cost in proptest::prelude::any::<i64>(),
            cost_scale in 0u32..29,
            qty_scale in 0u32..12,
            minor in 0u32..5,
        ) {
            let sc = Scales::new(qty_scale, minor).unwrap();
            let mut st = State::empty(Method::Standard, Decimal::new(cost.abs(), cost_scale));
            st.cost = Decimal::new(cost.abs(), cost_scale);
            let q = Int::from(qty) << shift.min(30);
            proptest::prop_assert_eq!(st.at_standard(sc, q), st.at_standard_decimal(sc, q));
        }
    }

    /// [`mul_div`] all in 128 bits, as it was before its 64-bit path.
    #[allow(clippy::many_single_char_names)] // the formula's own names
    fn mul_div_wide(a: Int, b: Int, c: Int) -> Option<Int> {
        let n = a.checked_mul(b)?;
        let (q, r) = (n / c, n % c);
        Some(if 2 * r.abs() >= c { q + n.signum() } else { q })
    }

    proptest::proptest! {
        /// The 64-bit path of a share rounds exactly as the 128-bit one: every sign,
        /// halves, and products at the edge of 64 bits.
        #[test]
        fn a_share_in_64_bits_is_the_128_bit_one(
            a in proptest::prop_oneof![
                -1000i128..1000,
                proptest::prelude::any::<i64>().prop_map(i128::from),
                proptest::prelude::any::<i32>().prop_map(i128::from),
            ],
            b in proptest::prop_oneof![
                -1000i128..1000,
                proptest::prelude::any::<i64>().prop_map(i128::from),
                proptest::prelude::any::<i32>().prop_map(i128::from),
            ],
            c in proptest::prop_oneof![1i128..10, 1i128..1_000_000, 1i128..=i128::from(i64::MAX)],
        ) {
            proptest::prop_assert_eq!(mul_div(a, b, c), mul_div_wide(a, b, c));
            proptest::prop_assert_eq!(mul_div(a, 2 * b, 2 * c), mul_div_wide(a, 2 * b, 2 * c));
        }
    }

    /// A quantity at its unit's scale is its mantissa; at fewer places it is scaled up,
    /// at more it must be exact (the same as `to_int`).
    #[test]
    fn a_quantity_converts_exactly_at_its_units_scale() {
        let sc = |places| Scales::new(places, 2).unwrap();
        assert_eq!(sc(0).qty_in(d("12")), Ok(12));
        assert_eq!(sc(0).qty_in(d("-3")), Ok(-3));
        assert_eq!(sc(0).qty_in(d("1.5")), Err(PoolError::Overflow));
        assert_eq!(sc(0).qty_in(d("2.0")), Ok(2));
        assert_eq!(sc(2).qty_in(d("1.5")), Ok(150));
        assert_eq!(sc(3).qty_in(d("0.125")), Ok(125));
        let big = Decimal::from_i128_with_scale(LIMIT, 0);
        assert_eq!(sc(0).qty_in(big), Ok(LIMIT));
        assert_eq!(sc(0).qty_in(-big), Ok(-LIMIT));
        for x in ["0", "7", "-7.25", "0.001", "123456.789"] {
            for places in 0..5 {
                assert_eq!(sc(places).qty_in(d(x)).ok(), to_int(d(x), places), "{x} at {places}");
            }
        }
    }

    #[test]
    fn integer_shares_round_half_away_from_zero() {
        assert_eq!(mul_div(1, 1, 2), Some(1));
        assert_eq!(mul_div(-1, 1, 2), Some(-1));
        assert_eq!(mul_div(100, 1, 3), Some(33));
        assert_eq!(mul_div(200, 1, 3), Some(67));
        // Beyond 64 bits: the checked 128-bit product, and no result past 128 bits.
        assert_eq!(mul_div(1 << 70, 3, 2), Some(3 << 69));
        assert_eq!(mul_div(-(1 << 70), 1 << 40, 1 << 50), Some(-(1 << 60)));
        assert_eq!(mul_div(1 << 100, 1 << 30, 1), None);
        assert_eq!(mul(i128::from(i64::MIN), i128::from(i64::MIN)), Some(1 << 126));
        assert_eq!(mul(1 << 64, 1 << 64), None);
        assert_eq!(to_int(d("0.110"), 2), Some(11));
        assert_eq!(to_int(d("0.115"), 2), None);
        assert_eq!(to_dec(11, 2).to_string(), "0.11");
        assert_eq!(to_int(d("12"), 0), Some(12));
        assert_eq!(to_int(d("1.5"), 3), Some(1500));
        assert_eq!((pow10(0), pow10(28), pow10(29)), (Some(1), Some(10i128.pow(28)), None));
    }
}
