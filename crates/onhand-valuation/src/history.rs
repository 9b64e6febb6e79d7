//! The history each pool keeps so a back-dated movement revalues exactly what it
//! affects: the operations since the last period close, in effective-time order, and a
//! checkpoint of the pool's [`State`] every [`CHECKPOINT_EVERY`] operations.
//!
//! A checkpoint is the pool's O(1) state; the receipts and shortfall parts it refers to
//! are the pool's own append-only records, shared, never copied (a landed cost posted
//! after a checkpoint is taken off again when a replay starts there). A back-dated
//! operation is planned by replaying from the nearest checkpoint at or before its place:
//! the operations up to it once, then the later ones twice from there (as they were, to
//! know what was posted, and with the new operation in place, to know what they are
//! worth now); every later operation whose outcome changed gets a correction. Nothing
//! changes until the plan is committed.
//!
//! Memory per pool: one [`Op`] (48 bytes) per operation since the last close, one
//! receipt record (80 bytes) per receipt from the oldest still held on (or, for other
//! methods than FIFO, since the last close), one shortfall part (48 bytes) per open part,
//! and one checkpoint (`size_of::<State>()`) per [`CHECKPOINT_EVERY`] operations; the
//! `memory_per_operation_is_what_the_docs_say` test pins the sizes.

use chrono::{DateTime, Utc};
use onhand_master::{ItemIx, SiteIx};
use rust_decimal::Decimal;

use crate::pool::{Book, Int, Plan, Pool, PoolError, Quick, Replay, Scales, State};
use crate::posting::PostingKey;

mod checkpoints;

pub(crate) use checkpoints::{Checkpoints, empty_of};

/// A checkpoint every this many operations: a back-dated movement replays at most this
/// many operations before its place.
pub(crate) const CHECKPOINT_EVERY: usize = 64;

/// Where the value an issue takes goes, for corrections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Counter {
    /// An account.
    Key(PostingKey),
    /// A transfer (its index), through in transit.
    Transfer(u32),
}

/// An operation to plan, in the engine's decimals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Request {
    Receive {
        qty: Decimal,
        value: Decimal,
        profit: Decimal,
    },
    Issue {
        qty: Decimal,
        negative: bool,
        counter: Counter,
    },
    /// A landed cost on receipt `origin` (record `rcpt` of this pool, if it has it).
    AddCost {
        origin: u64,
        rcpt: Option<u32>,
        received: Decimal,
        amount: Decimal,
        rest: PostingKey,
    },
    SetStandard {
        cost: Decimal,
    },
    /// Units of receipt `origin` (record `rcpt` of this pool) leaving at its cost: a
    /// return to the supplier or a receipt's reversal (see
    /// [`State::plan_withdraw`](crate::pool::State::plan_withdraw)); `key` is the
    /// account a later correction of its value goes to.
    Withdraw {
        origin: u64,
        rcpt: Option<u32>,
        qty: Decimal,
        value: Decimal,
        key: PostingKey,
    },
    /// The pool's costing method changes to `method` (standard: at `cost`); see
    /// [`State::plan_change_method`](crate::pool::State::plan_change_method).
    ChangeMethod {
        method: crate::pool::Method,
        cost: Decimal,
    },
}

impl Request {
    /// The quantity it moves (for error reports).
    pub(crate) fn qty(&self) -> Decimal {
        match self {
            Request::Receive { qty, .. }
            | Request::Issue { qty, .. }
            | Request::Withdraw { qty, .. } => *qty,
            _ => Decimal::ZERO,
        }
    }
}

/// An operation in a pool's integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OpKind {
    Receive { qty: Int, value: Int, profit: Int },
    Issue { qty: Int, negative: bool, counter: Counter },
    AddCost { rcpt: Option<u32>, received: Int, amount: Int },
    SetStandard { cost: Decimal },
    Withdraw { rcpt: Option<u32>, qty: Int, value: Int },
    ChangeMethod { method: crate::pool::Method, cost: Decimal },
}

/// What a recorded operation was, for corrections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum What {
    Receive,
    Issue(Counter),
    AddCost(PostingKey),
    SetStandard,
    /// A withdrawal at a receipt's cost; corrections go to the account given.
    Withdraw(PostingKey),
    /// A costing method change (its revaluation).
    ChangeMethod,
}

/// Details of the rarer operations, kept beside the compact records.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum Extra {
    AddCost {
        origin: u64,
        rcpt: Option<u32>,
        received: Int,
        amount: Int,
        rest: PostingKey,
        /// What stayed in inventory (taken off when a replay starts before it).
        kept: Int,
    },
    SetStandard(Decimal),
    Withdraw {
        origin: u64,
        rcpt: Option<u32>,
        qty: Int,
        value: Int,
        key: PostingKey,
    },
    /// A method change, and the receipt record it opened (a FIFO pool's one layer).
    ChangeMethod {
        method: crate::pool::Method,
        #[serde(deserialize_with = "onhand_master::decimal::serde_str::deserialize")]
        cost: Decimal,
        rcpt: Option<u32>,
    },
}

const RECEIVE: u8 = 0;
const ISSUE: u8 = 1;
const ADD_COST: u8 = 2;
const SET_STANDARD: u8 = 3;
const WITHDRAW: u8 = 4;
const CHANGE_METHOD: u8 = 5;
const NEGATIVE: u8 = 1;
const TRANSFER: u8 = 2;

/// One operation of a pool's history, compact: a receipt names its record (which
/// holds its figures), an issue carries its quantity, the rarer kinds an [`Extra`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Op {
    #[serde(with = "crate::instant")]
    pub(crate) at: DateTime<Utc>,
    tag: u8,
    flags: u8,
    /// Receive: the receipt record; issue: the posting key or the transfer; others:
    /// the extra.
    arg: u32,
    pub(crate) event: u64,
    /// Issue: the quantity, as two halves (so the record stays 8-byte aligned).
    qty: [u64; 2],
}

impl Op {
    /// A receipt's record in the pool (`None`: not a receipt).
    fn receipt_record(&self) -> Option<u32> {
        (self.tag == RECEIVE).then_some(self.arg)
    }

    /// A receipt's record: `rcpt` is its receipt record in the pool.
    fn receive(at: DateTime<Utc>, event: u64, rcpt: u32) -> Self {
        Op { at, tag: RECEIVE, flags: 0, arg: rcpt, event, qty: [0, 0] }
    }

    /// An issue's record.
    fn issue(at: DateTime<Utc>, event: u64, qty: Int, negative: bool, counter: Counter) -> Self {
        let (flags, arg) = match counter {
            Counter::Key(k) => (0, u32::from(k as u8)),
            Counter::Transfer(t) => (TRANSFER, t),
        };
        Op {
            at,
            tag: ISSUE,
            flags: flags | (u8::from(negative) * NEGATIVE),
            arg,
            event,
            qty: split(qty),
        }
    }
}

impl Op {
    /// The compact canonical form its derived `Serialize` writes (see `pool::State::write`).
    pub(crate) fn write(&self, w: &mut onhand_master::canonical::Compact<'_>) {
        w.field();
        crate::pool::write_instant(w, &self.at);
        w.field();
        w.u64(u64::from(self.tag));
        w.field();
        w.u64(u64::from(self.flags));
        w.field();
        w.u64(u64::from(self.arg));
        w.field();
        w.u64(self.event);
        w.field();
        w.u64(self.qty[0]);
        w.u64(self.qty[1]);
    }
}

#[allow(clippy::cast_possible_truncation)] // the two halves, on purpose
fn split(q: Int) -> [u64; 2] {
    let bits = q.cast_unsigned();
    [(bits >> 64) as u64, bits as u64]
}

fn join(q: [u64; 2]) -> Int {
    ((u128::from(q[0]) << 64) | u128::from(q[1])).cast_signed()
}

/// What an operation reported, in the entity's decimals.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct OpOut {
    /// Issue: how much went out without stock.
    pub(crate) short: Decimal,
    /// Receive: debit to inventory; issue: value taken; add-cost: part kept in
    /// inventory; standard: the revaluation.
    pub(crate) value: Decimal,
    pub(crate) profit: Decimal,
    /// Shortfall true-ups by the tag (posting key) of the issue covered.
    pub(crate) trueups: Vec<(u8, Decimal)>,
    /// The same true-ups by the event of the issue covered.
    pub(crate) covered: Vec<(u64, Decimal)>,
    pub(crate) residue: Decimal,
}

impl OpOut {
    fn of(out: &crate::pool::Out, sc: Scales) -> Self {
        OpOut {
            short: sc.qty_out(out.short),
            value: sc.value_out(out.value),
            profit: sc.value_out(out.profit),
            trueups: out.trueups.iter().map(|(t, v)| (*t, sc.value_out(*v))).collect(),
            covered: out.covered.iter().map(|(e, v)| (*e, sc.value_out(*v))).collect(),
            residue: sc.value_out(out.residue),
        }
    }
}

/// A later operation whose outcome a back-dated one changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Correction {
    pub(crate) event: u64,
    pub(crate) what: What,
    /// As posted.
    pub(crate) old: OpOut,
    /// As it is now.
    pub(crate) new: OpOut,
}

/// Why planning failed: the pool's reason, and the later operation that would fail, for
/// a back-dated one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fail {
    pub(crate) err: PoolError,
    pub(crate) later: Option<u64>,
}

impl From<PoolError> for Fail {
    fn from(err: PoolError) -> Self {
        Fail { err, later: None }
    }
}

/// An operation planned on a pool.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub(crate) out: OpOut,
    pub(crate) corrections: Vec<Correction>,
    pub(crate) change: Change,
}

/// What committing a planned operation does to its pool's history.
// One per event, short-lived: boxing the larger variant buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub(crate) enum Change {
    /// The pool's latest: apply the plan and append the operation.
    Append { plan: Plan, op: Op, extra: Option<Extra> },
    /// Back-dated: the history from `at` on is rewritten.
    Rewrite(Box<Rewrite>),
}

impl Change {
    /// The receipt record a planned receipt makes.
    pub(crate) fn receipt_record(&self) -> Option<u32> {
        let op = match self {
            Change::Append { op, .. } => op,
            Change::Rewrite(w) => &w.op,
        };
        op.receipt_record()
    }
}

/// A back-dated operation's rewrite of a pool's history.
#[derive(Debug, Clone)]
pub(crate) struct Rewrite {
    /// Its place.
    at: usize,
    op: Op,
    extra: Option<Extra>,
    /// The operations after it, as re-recorded.
    later: Vec<Op>,
    extras: Vec<(u32, Extra)>,
    /// Checkpoints kept (those at or before `at`), and the new ones after it.
    keep: usize,
    checkpoints: Vec<(u32, State)>,
    /// The replayed pool: state and records from the starting checkpoint on.
    replay: crate::pool::Adopt,
    /// Receipts whose record moved: (cost event, new record).
    pub(crate) moved: Vec<(u64, u32)>,
}

/// What undoes one change to a slot ([`Slot::commit_undoable`]): the pool's inverse,
/// and the history the change truncated or overwrote.
#[derive(Debug)]
pub(crate) struct SlotUndo {
    pool: crate::pool::Adopt,
    /// Operations from `ops_at` on, as they were.
    ops_at: usize,
    ops: Vec<Op>,
    /// How many extras there were, and the old values of those the change rewrote.
    extras_len: usize,
    extras: Vec<(u32, Extra)>,
    /// Checkpoints from `keep` on, as they were.
    keep: usize,
    checkpoints: Vec<(u32, State)>,
    last_at: Option<DateTime<Utc>>,
    method_changed: bool,
}

/// One pool with its history.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    pub(crate) entity: u16,
    pub(crate) item: ItemIx,
    pub(crate) site: Option<SiteIx>,
    /// When the latest operation took effect (kept here so the common, in-order event
    /// does not read the history).
    pub(crate) last_at: Option<DateTime<Utc>>,
    pub(crate) pool: Pool,
    ops: Vec<Op>,
    extras: Vec<Extra>,
    /// `(n, state after ops[..n])`, ascending; the first is `(0, the state at the last
    /// close)`.
    checkpoints: Checkpoints,
    /// Whether a method change was ever applied to the pool, so a pool left under
    /// another method than the configuration's is told from a mismatched configuration
    /// after the close that forgot the change.
    pub(crate) method_changed: bool,
}

/// Runs one operation's plan on `state` over `book` (no change).
fn run(
    book: &impl Book,
    state: &State,
    sc: Scales,
    event: u64,
    kind: &OpKind,
) -> Result<Plan, PoolError> {
    match *kind {
        OpKind::Receive { qty, value, profit } => {
            state.plan_receive(book, sc, event, qty, value, profit)
        }
        OpKind::Issue { qty, negative, counter } => {
            // A transfer never ships without stock (see the engine's `plan_ship`).
            let tag = match counter {
                Counter::Key(k) => k as u8,
                Counter::Transfer(_) => PostingKey::InTransit as u8,
            };
            state.plan_issue(book, sc, qty, negative, tag, event)
        }
        OpKind::AddCost { rcpt, received, amount } => {
            state.plan_add_cost(book, sc, rcpt, received, amount)
        }
        OpKind::SetStandard { cost } => state.plan_set_standard(sc, cost),
        OpKind::Withdraw { rcpt, qty, value } => state.plan_withdraw(book, sc, rcpt, qty, value),
        OpKind::ChangeMethod { method, cost } => state.plan_change_method(sc, event, method, cost),
    }
}

impl Slot {
    /// Reads what an in-order event reads of the slot itself (for a batch's read-ahead);
    /// a value that depends on every read.
    pub(crate) fn touch(&self) -> u64 {
        let st = &self.pool.state;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "a checksum")]
        let q = st.qty as u64;
        q.wrapping_add(u64::from(st.head))
            .wrapping_add(self.ops.len() as u64)
            .wrapping_add(self.pool.touch_lens())
    }

    /// Reads the records an in-order event reads next: the oldest layer held, the
    /// newest receipt and the newest operation (for a batch's read-ahead).
    pub(crate) fn touch_records(&self) -> u64 {
        self.pool.touch().wrapping_add(self.ops.last().map_or(0, |op| op.event))
    }

    /// A new pool's slot, empty.
    pub(crate) fn new(entity: u16, item: ItemIx, site: Option<SiteIx>, pool: Pool) -> Self {
        let base = pool.state;
        Slot {
            entity,
            item,
            site,
            last_at: None,
            pool,
            ops: Vec::new(),
            extras: Vec::new(),
            checkpoints: Checkpoints::new(base),
            method_changed: false,
        }
    }

    fn kind_of_request(&self, req: &Request) -> Result<OpKind, PoolError> {
        let sc = self.pool.scales;
        Ok(match req {
            Request::Receive { qty, value, profit } => OpKind::Receive {
                qty: sc.qty_in(*qty)?,
                value: sc.value_in(*value)?,
                profit: sc.value_in(*profit)?,
            },
            Request::Issue { qty, negative, counter } => {
                OpKind::Issue { qty: sc.qty_in(*qty)?, negative: *negative, counter: *counter }
            }
            Request::AddCost { rcpt, received, amount, .. } => OpKind::AddCost {
                rcpt: *rcpt,
                received: sc.qty_in(*received)?,
                amount: sc.value_in(*amount)?,
            },
            Request::SetStandard { cost } => OpKind::SetStandard { cost: *cost },
            Request::Withdraw { rcpt, qty, value, .. } => {
                OpKind::Withdraw { rcpt: *rcpt, qty: sc.qty_in(*qty)?, value: sc.value_in(*value)? }
            }
            Request::ChangeMethod { method, cost } => {
                OpKind::ChangeMethod { method: *method, cost: *cost }
            }
        })
    }

    /// The compact record of an operation planned as `plan`, and its extra.
    fn record(
        at: DateTime<Utc>,
        event: u64,
        req: &Request,
        kind: &OpKind,
        plan: &Plan,
        extra_ix: u32,
    ) -> (Op, Option<Extra>) {
        let mut op = Op::receive(at, event, 0);
        let mut extra = None;
        match (req, kind) {
            (_, OpKind::Receive { .. }) => op.arg = plan.state.rlen - 1,
            (_, OpKind::Issue { qty, negative, counter }) => {
                op = Op::issue(at, event, *qty, *negative, *counter);
            }
            (Request::AddCost { origin, rest, .. }, OpKind::AddCost { rcpt, received, amount }) => {
                op.tag = ADD_COST;
                op.arg = extra_ix;
                extra = Some(Extra::AddCost {
                    origin: *origin,
                    rcpt: *rcpt,
                    received: *received,
                    amount: *amount,
                    rest: *rest,
                    kept: plan.out.value,
                });
            }
            (_, OpKind::SetStandard { cost }) => {
                op.tag = SET_STANDARD;
                op.arg = extra_ix;
                extra = Some(Extra::SetStandard(*cost));
            }
            (Request::Withdraw { origin, key, .. }, OpKind::Withdraw { rcpt, qty, value }) => {
                op.tag = WITHDRAW;
                op.arg = extra_ix;
                extra = Some(Extra::Withdraw {
                    origin: *origin,
                    rcpt: *rcpt,
                    qty: *qty,
                    value: *value,
                    key: *key,
                });
            }
            (_, OpKind::ChangeMethod { method, cost }) => {
                op.tag = CHANGE_METHOD;
                op.arg = extra_ix;
                extra = Some(Extra::ChangeMethod {
                    method: *method,
                    cost: *cost,
                    rcpt: plan.rcpt.map(|_| plan.state.rlen - 1),
                });
            }
            (_, OpKind::AddCost { .. } | OpKind::Withdraw { .. }) => {
                debug_assert!(false, "request and operation mismatch");
            }
        }
        (op, extra)
    }

    /// A recorded operation's inputs (a receipt's figures from its record).
    fn kind_of(&self, op: &Op) -> Option<(OpKind, What)> {
        Some(match op.tag {
            RECEIVE => {
                let r = self.pool.rcpt(op.arg)?;
                (OpKind::Receive { qty: r.qty, value: r.value, profit: r.profit }, What::Receive)
            }
            ISSUE => {
                let counter = if op.flags & TRANSFER == 0 {
                    Counter::Key(*PostingKey::ALL.get(op.arg as usize)?)
                } else {
                    Counter::Transfer(op.arg)
                };
                let negative = op.flags & NEGATIVE != 0;
                (OpKind::Issue { qty: join(op.qty), negative, counter }, What::Issue(counter))
            }
            ADD_COST => match self.extras.get(op.arg as usize)? {
                Extra::AddCost { rcpt, received, amount, rest, .. } => (
                    OpKind::AddCost { rcpt: *rcpt, received: *received, amount: *amount },
                    What::AddCost(*rest),
                ),
                Extra::SetStandard(_) | Extra::Withdraw { .. } | Extra::ChangeMethod { .. } => {
                    return None;
                }
            },
            WITHDRAW => match self.extras.get(op.arg as usize)? {
                Extra::Withdraw { rcpt, qty, value, key, .. } => (
                    OpKind::Withdraw { rcpt: *rcpt, qty: *qty, value: *value },
                    What::Withdraw(*key),
                ),
                Extra::SetStandard(_) | Extra::AddCost { .. } | Extra::ChangeMethod { .. } => {
                    return None;
                }
            },
            CHANGE_METHOD => match self.extras.get(op.arg as usize)? {
                Extra::ChangeMethod { method, cost, .. } => {
                    (OpKind::ChangeMethod { method: *method, cost: *cost }, What::ChangeMethod)
                }
                Extra::SetStandard(_) | Extra::AddCost { .. } | Extra::Withdraw { .. } => {
                    return None;
                }
            },
            _ => match self.extras.get(op.arg as usize)? {
                Extra::SetStandard(cost) => {
                    (OpKind::SetStandard { cost: *cost }, What::SetStandard)
                }
                Extra::AddCost { .. } | Extra::Withdraw { .. } | Extra::ChangeMethod { .. } => {
                    return None;
                }
            },
        })
    }

    /// Plans operation `req` of cost event `event`, effective `at`: appended when it is
    /// the pool's latest, otherwise replayed into the history.
    pub(crate) fn plan(
        &self,
        at: DateTime<Utc>,
        event: u64,
        req: &Request,
    ) -> Result<Planned, Fail> {
        let kind = self.kind_of_request(req)?;
        if self.last_at.is_some_and(|last| at < last) {
            return self.plan_backdated(at, event, req, &kind);
        }
        let sc = self.pool.scales;
        let plan = run(&self.pool, &self.pool.state, sc, event, &kind)?;
        let extra_ix = u32::try_from(self.extras.len()).map_err(|_| PoolError::Overflow)?;
        let (op, extra) = Self::record(at, event, req, &kind, &plan, extra_ix);
        Ok(Planned {
            out: OpOut::of(&plan.out, sc),
            corrections: Vec::new(),
            change: Change::Append { plan, op, extra },
        })
    }

    /// Whether an operation effective `at` would be the pool's latest (planned on the
    /// current state, appended) rather than back-dated.
    pub(crate) fn in_order(&self, at: DateTime<Utc>) -> bool {
        self.last_at.is_none_or(|last| at >= last)
    }

    /// An in-order receipt of `qty` worth `value` (the pool's integers) as cost event
    /// `event` (see [`Slot::in_order`]): its plan, to [`Slot::append_receive`]. What
    /// [`Slot::plan`] does for a receipt, without its conversions.
    pub(crate) fn plan_receive_now(
        &self,
        event: u64,
        qty: Int,
        value: Int,
    ) -> Result<Plan, PoolError> {
        self.pool.state.plan_receive(&self.pool, self.pool.scales, event, qty, value, 0)
    }

    /// Applies an in-order receipt planned by [`Slot::plan_receive_now`], effective `at`;
    /// its receipt record.
    pub(crate) fn append_receive(&mut self, at: DateTime<Utc>, event: u64, plan: &Plan) -> u32 {
        let rcpt = plan.state.rlen - 1;
        self.append(plan, Op::receive(at, event, rcpt), None);
        rcpt
    }

    /// An in-order issue of `qty` to the account `key` (see [`Slot::plan_receive_now`]).
    pub(crate) fn plan_issue_now(
        &self,
        event: u64,
        qty: Int,
        negative: bool,
        key: PostingKey,
    ) -> Result<Plan, PoolError> {
        self.pool.state.plan_issue(&self.pool, self.pool.scales, qty, negative, key as u8, event)
    }

    /// Applies an in-order issue planned by [`Slot::plan_issue_now`] with the same
    /// figures, effective `at`.
    pub(crate) fn append_issue(
        &mut self,
        at: DateTime<Utc>,
        event: u64,
        plan: &Plan,
        (qty, negative, key): (Int, bool, PostingKey),
    ) {
        self.append(plan, Op::issue(at, event, qty, negative, Counter::Key(key)), None);
    }

    /// Applies an in-order FIFO receipt worked out by [`Pool::quick_receive`], effective
    /// `at`, as [`Slot::append_receive`] applies its plan; its receipt record.
    pub(crate) fn append_quick_receive(
        &mut self,
        at: DateTime<Utc>,
        event: u64,
        quick: &Quick,
    ) -> u32 {
        let rcpt = self.pool.state.rlen;
        self.pool.commit_quick(quick);
        self.push_op(Op::receive(at, event, rcpt), None);
        rcpt
    }

    /// Applies an in-order FIFO issue worked out by [`Pool::quick_issue`] with the same
    /// figures, effective `at`, as [`Slot::append_issue`] applies its plan.
    pub(crate) fn append_quick_issue(
        &mut self,
        at: DateTime<Utc>,
        event: u64,
        quick: &Quick,
        (qty, negative, key): (Int, bool, PostingKey),
    ) {
        self.pool.commit_quick(quick);
        self.push_op(Op::issue(at, event, qty, negative, Counter::Key(key)), None);
    }

    /// Applies an in-order operation's plan and appends its record (nothing can fail).
    fn append(&mut self, plan: &Plan, op: Op, extra: Option<Extra>) {
        self.pool.commit(plan);
        self.push_op(op, extra);
    }

    /// Appends an applied operation's record, and a checkpoint every
    /// [`CHECKPOINT_EVERY`] operations.
    fn push_op(&mut self, op: Op, extra: Option<Extra>) {
        if let Some(x) = extra {
            self.extras.push(x);
        }
        self.last_at = Some(op.at);
        self.method_changed |= op.tag == CHANGE_METHOD;
        self.ops.push(op);
        if self.ops.len().is_multiple_of(CHECKPOINT_EVERY) {
            let n = u32::try_from(self.ops.len()).unwrap_or(u32::MAX);
            self.checkpoints.push((n, self.pool.state));
        }
    }

    /// The replay from the latest checkpoint at or before operation `n`, and that
    /// checkpoint's index.
    fn replay_to(&self, n: usize) -> Result<(Replay<'_>, usize), PoolError> {
        let ci = self.checkpoints.partition_point(|m| m as usize <= n).saturating_sub(1);
        let (c, state) = self.checkpoints.get(ci).ok_or(PoolError::Overflow)?;
        let c = c as usize;
        // Landed cost the operations after the checkpoint kept on a receipt is taken off
        // again: only what they kept while the pool was FIFO (under the other methods
        // the pool's value took it, and the receipt's record never saw it).
        let mut method = state.method;
        let later = self.ops.get(c..).unwrap_or_default().iter().filter_map(move |o| {
            match (o.tag, self.extras.get(o.arg as usize)) {
                (ADD_COST, Some(Extra::AddCost { rcpt: Some(k), kept, .. }))
                    if method == crate::pool::Method::Fifo =>
                {
                    Some((*k, *kept))
                }
                (CHANGE_METHOD, Some(Extra::ChangeMethod { method: to, .. })) => {
                    method = *to;
                    None
                }
                _ => None,
            }
        });
        let mut r = self.pool.replay_from(state, later);
        let sc = self.pool.scales;
        for op in self.ops.get(c..n).unwrap_or_default() {
            let (kind, _) = self.kind_of(op).ok_or(PoolError::Overflow)?;
            let plan = run(&r, &r.state, sc, op.event, &kind)?;
            r.commit(&plan);
        }
        Ok((r, ci))
    }

    /// Replays the history with the back-dated operation in its place.
    #[allow(clippy::too_many_lines)] // two passes over the later operations
    fn plan_backdated(
        &self,
        at: DateTime<Utc>,
        event: u64,
        req: &Request,
        kind: &OpKind,
    ) -> Result<Planned, Fail> {
        let sc = self.pool.scales;
        let p = self.ops.partition_point(|o| o.at <= at);
        let (mut r, ci) = self.replay_to(p)?;
        // As they were: what each later operation posted.
        let mut old = Vec::with_capacity(self.ops.len() - p);
        {
            let mut was = r.clone();
            for op in self.ops.get(p..).unwrap_or_default() {
                let (k, _) = self.kind_of(op).ok_or(PoolError::Overflow)?;
                // A restored history is not replayed at restore (its digest vouches for
                // it); one that does not replay is refused here, with nothing changed.
                let plan = run(&was, &was.state, sc, op.event, &k)?;
                old.push(OpOut::of(&plan.out, sc));
                was.commit(&plan);
            }
        }
        // With the new operation in place.
        let plan = run(&r, &r.state, sc, event, kind)?;
        let out = OpOut::of(&plan.out, sc);
        let extra_ix = u32::try_from(self.extras.len()).map_err(|_| PoolError::Overflow)?;
        let (op, extra) = Self::record(at, event, req, kind, &plan, extra_ix);
        // Receipts recorded before the new operation keep their records.
        let unmoved = r.state.rlen;
        r.commit(&plan);
        let rfrom = r.rfrom();
        let mut placed: std::collections::BTreeMap<u64, u32> = std::collections::BTreeMap::new();
        let mut moved = Vec::new();
        let mut later = Vec::with_capacity(self.ops.len() - p);
        let mut extras = Vec::new();
        let mut corrections = Vec::new();
        let mut checkpoints = Vec::new();
        let mut done = p + 1;
        if done.is_multiple_of(CHECKPOINT_EVERY) {
            checkpoints.push((u32::try_from(done).map_err(|_| PoolError::Overflow)?, r.state));
        }
        for (op, was) in self.ops.get(p..).unwrap_or_default().iter().zip(old) {
            let (mut k, what) = self.kind_of(op).ok_or(PoolError::Overflow)?;
            // A landed cost names its receipt's record: where the replay put it.
            if let OpKind::AddCost { rcpt: Some(ix), .. } = &mut k
                && *ix >= rfrom.max(unmoved)
                && let Some(Extra::AddCost { origin, .. }) = self.extras.get(op.arg as usize)
            {
                let found = placed.get(origin).copied();
                if let OpKind::AddCost { rcpt, .. } = &mut k {
                    *rcpt = found;
                }
            }
            // So does a withdrawal.
            if let OpKind::Withdraw { rcpt: Some(ix), .. } = &mut k
                && *ix >= rfrom.max(unmoved)
                && let Some(Extra::Withdraw { origin, .. }) = self.extras.get(op.arg as usize)
            {
                let found = placed.get(origin).copied();
                if let OpKind::Withdraw { rcpt, .. } = &mut k {
                    *rcpt = found;
                }
            }
            let plan = run(&r, &r.state, sc, op.event, &k).map_err(|err| Fail {
                err,
                later: matches!(err, PoolError::Insufficient { .. } | PoolError::NoCost)
                    .then_some(op.event),
            })?;
            let now = OpOut::of(&plan.out, sc);
            let mut rec = *op;
            match k {
                OpKind::Receive { .. } => {
                    let ix = plan.state.rlen - 1;
                    placed.insert(op.event, ix);
                    if ix != op.arg {
                        moved.push((op.event, ix));
                    }
                    rec.arg = ix;
                }
                OpKind::AddCost { rcpt, .. } => {
                    if let Some(Extra::AddCost { origin, received, amount, rest, .. }) =
                        self.extras.get(op.arg as usize)
                    {
                        extras.push((
                            op.arg,
                            Extra::AddCost {
                                origin: *origin,
                                rcpt,
                                received: *received,
                                amount: *amount,
                                rest: *rest,
                                kept: plan.out.value,
                            },
                        ));
                    }
                }
                OpKind::ChangeMethod { method, cost } => {
                    let rcpt = plan.rcpt.map(|_| plan.state.rlen - 1);
                    extras.push((op.arg, Extra::ChangeMethod { method, cost, rcpt }));
                }
                OpKind::Withdraw { rcpt, .. } => {
                    if let Some(Extra::Withdraw { origin, qty, value, key, .. }) =
                        self.extras.get(op.arg as usize)
                    {
                        extras.push((
                            op.arg,
                            Extra::Withdraw {
                                origin: *origin,
                                rcpt,
                                qty: *qty,
                                value: *value,
                                key: *key,
                            },
                        ));
                    }
                }
                _ => {}
            }
            r.commit(&plan);
            if now != was {
                corrections.push(Correction { event: op.event, what, old: was, new: now });
            }
            later.push(rec);
            done += 1;
            if done.is_multiple_of(CHECKPOINT_EVERY) {
                checkpoints.push((u32::try_from(done).map_err(|_| PoolError::Overflow)?, r.state));
            }
        }
        // Keep the checkpoints at or before the new operation's place.
        let keep = self.checkpoints.partition_point(|m| m as usize <= p).max(ci + 1);
        Ok(Planned {
            out,
            corrections,
            change: Change::Rewrite(Box::new(Rewrite {
                at: p,
                op,
                extra,
                later,
                extras,
                keep,
                checkpoints,
                replay: r.into_adopt(),
                moved,
            })),
        })
    }

    /// Applies a planned change (nothing can fail here); the receipts whose record moved.
    pub(crate) fn commit(&mut self, change: Change) -> Vec<(u64, u32)> {
        match change {
            Change::Append { plan, op, extra } => {
                self.append(&plan, op, extra);
                Vec::new()
            }
            Change::Rewrite(w) => {
                let Rewrite { at, op, extra, later, extras, keep, checkpoints, replay, moved } = *w;
                self.pool.adopt(replay);
                if let Some(x) = extra {
                    self.extras.push(x);
                }
                for (ix, x) in extras {
                    if let Some(slot) = self.extras.get_mut(ix as usize) {
                        *slot = x;
                    }
                }
                self.ops.truncate(at);
                self.method_changed |= op.tag == CHANGE_METHOD;
                self.ops.push(op);
                self.ops.extend(later);
                self.last_at = self.ops.last().map(|o| o.at);
                self.checkpoints.truncate(keep);
                self.checkpoints.extend(checkpoints);
                moved
            }
        }
    }

    /// [`Slot::commit`], and what undoes it ([`Slot::undo`]): the pool's inverse and
    /// what the change replaces of the history, so undoing costs what the change did,
    /// not the pool's whole history.
    pub(crate) fn commit_undoable(&mut self, change: Change) -> (Vec<(u64, u32)>, SlotUndo) {
        // An append only adds: the history is truncated back to its lengths now.
        let (pool, ops_at, keep, extras) = match &change {
            Change::Append { plan, .. } => {
                (self.pool.inverse_of_plan(plan), self.ops.len(), self.checkpoints.len(), None)
            }
            Change::Rewrite(w) => (self.pool.inverse_of(&w.replay), w.at, w.keep, Some(&w.extras)),
        };
        let undo = SlotUndo {
            pool,
            ops_at,
            ops: self.ops.get(ops_at..).unwrap_or_default().to_vec(),
            extras_len: self.extras.len(),
            extras: extras
                .into_iter()
                .flatten()
                .filter_map(|(ix, _)| Some((*ix, self.extras.get(*ix as usize)?.clone())))
                .collect(),
            keep,
            checkpoints: self.checkpoints.tail(keep),
            last_at: self.last_at,
            method_changed: self.method_changed,
        };
        (self.commit(change), undo)
    }

    /// Puts the slot back as it was before the change [`Slot::commit_undoable`]
    /// returned `undo` for (the latest change to it).
    pub(crate) fn undo(&mut self, undo: SlotUndo) {
        let SlotUndo {
            pool,
            ops_at,
            ops,
            extras_len,
            extras,
            keep,
            checkpoints,
            last_at,
            method_changed,
        } = undo;
        self.pool.adopt(pool);
        self.extras.truncate(extras_len);
        for (ix, x) in extras {
            if let Some(slot) = self.extras.get_mut(ix as usize) {
                *slot = x;
            }
        }
        self.ops.truncate(ops_at);
        self.ops.extend(ops);
        self.checkpoints.truncate(keep);
        self.checkpoints.extend(checkpoints);
        self.last_at = last_at;
        self.method_changed = method_changed;
    }

    /// The state after the operations effective at or before `through`, and how many
    /// there are (none: `None`).
    pub(crate) fn state_through(
        &self,
        through: DateTime<Utc>,
    ) -> Result<Option<(usize, State)>, PoolError> {
        let n = self.ops.partition_point(|o| o.at <= through);
        if n == 0 {
            return Ok(None);
        }
        if n == self.ops.len() {
            return Ok(Some((n, self.pool.state)));
        }
        let (r, _) = self.replay_to(n)?;
        Ok(Some((n, r.state)))
    }

    /// Closes the history through its first `n` operations, which leave `base`.
    pub(crate) fn close(&mut self, n: usize, base: State) {
        self.ops.drain(..n.min(self.ops.len()));
        let shift = u32::try_from(n).unwrap_or(u32::MAX);
        let mut cps = vec![(0, base)];
        cps.extend(
            self.checkpoints.iter().filter(|(m, _)| *m > shift).map(|(m, s)| (m - shift, s)),
        );
        self.checkpoints = Checkpoints::from_list(cps);
        self.last_at = self.ops.last().map(|o| o.at);
        self.pool.forget_before(&base);
        // Extras only the closed operations used go too.
        let mut extras = Vec::new();
        for op in &mut self.ops {
            if matches!(op.tag, ADD_COST | SET_STANDARD | WITHDRAW | CHANGE_METHOD)
                && let Some(x) = self.extras.get(op.arg as usize)
            {
                op.arg = u32::try_from(extras.len()).unwrap_or(u32::MAX);
                extras.push(x.clone());
            }
        }
        self.extras = extras;
    }
}

impl Slot {
    /// The history's parts, for a snapshot: operations, extras, checkpoints.
    pub(crate) fn parts(&self) -> (&[Op], &[Extra], &Checkpoints) {
        (&self.ops, &self.extras, &self.checkpoints)
    }

    /// Whether operation `event` of this pool is dated after `at` (so an event dated
    /// `at` cannot return or reverse it). Only the operations after `at` are read.
    pub(crate) fn dated_after(&self, event: u64, at: DateTime<Utc>) -> bool {
        self.ops.iter().rev().take_while(|o| o.at > at).any(|o| o.event == event)
    }

    /// Whether the open history changes the pool's costing method.
    pub(crate) fn changes_method(&self) -> bool {
        self.ops.iter().any(|o| o.tag == CHANGE_METHOD)
    }

    /// The costing method at the base of the open history (the last close's state).
    pub(crate) fn base_method(&self) -> Option<crate::Method> {
        self.checkpoints.first().map(|(_, s)| s.method)
    }

    /// The transfers the history's issues name.
    pub(crate) fn transfers_named(&self) -> impl Iterator<Item = u32> + '_ {
        self.ops.iter().filter(|o| o.tag == ISSUE && o.flags & TRANSFER != 0).map(|o| o.arg)
    }

    /// Replays the history from its base and checks it reaches every later checkpoint,
    /// the landed cost each landed-cost operation recorded, and the pool (state and
    /// records) exactly: the deep check [`restore`](Self::restore) leaves out. `Err`
    /// names what did not hold.
    pub(crate) fn verify_history(&self) -> Result<(), &'static str> {
        let sc = self.pool.scales;
        let (mut r, _) = self.replay_to(0).map_err(|_| "the base checkpoint")?;
        let mut next_cp = 1;
        for (n, op) in self.ops.iter().enumerate() {
            let (kind, _) = self.kind_of(op).ok_or("an operation's record")?;
            if let OpKind::Receive { .. } = kind
                && op.arg != r.state.rlen
            {
                return Err("a receipt's record");
            }
            let plan = run(&r, &r.state, sc, op.event, &kind).map_err(|_| "an operation")?;
            if op.tag == ADD_COST
                && !matches!(self.extras.get(op.arg as usize),
                    Some(Extra::AddCost { kept, .. }) if *kept == plan.out.value)
            {
                return Err("a landed cost's recorded share");
            }
            if op.tag == CHANGE_METHOD
                && !matches!(self.extras.get(op.arg as usize),
                    Some(Extra::ChangeMethod { rcpt, .. })
                        if *rcpt == plan.rcpt.map(|_| plan.state.rlen - 1))
            {
                return Err("a method change's layer");
            }
            r.commit(&plan);
            if let Some((m, s)) = self.checkpoints.get(next_cp)
                && m as usize == n + 1
            {
                if s != r.state {
                    return Err("a checkpoint");
                }
                next_cp += 1;
            }
        }
        let mut replayed = self.pool.clone();
        replayed.adopt(r.into_adopt());
        if replayed != self.pool {
            return Err("the pool is not its history");
        }
        Ok(())
    }

    /// A slot from a snapshot's parts, checked in one pass without replaying: the base
    /// checkpoint must be a state the pool can be in, the pool's own state must be
    /// consistent with its records, every operation must name records and extras that
    /// exist, receipts must be numbered in order from the base to the pool's last, and
    /// every checkpoint must sit where its receipts put it. The snapshot's digest vouches
    /// that the history is the one the pool went through (it is not replayed). `Err`
    /// names what did not hold.
    #[allow(clippy::too_many_arguments)] // one slot's parts
    pub(crate) fn restore(
        entity: u16,
        item: ItemIx,
        site: Option<SiteIx>,
        last_at: Option<DateTime<Utc>>,
        pool: Pool,
        ops: Vec<Op>,
        extras: Vec<Extra>,
        checkpoints: Vec<(u32, State)>,
    ) -> Result<Slot, &'static str> {
        if last_at != ops.last().map(|o| o.at) {
            return Err("the latest operation's time");
        }
        if !ops.is_sorted_by_key(|o| o.at) {
            return Err("operations out of time order");
        }
        let positions_ok = checkpoints.first().is_some_and(|(n, _)| *n == 0)
            && checkpoints.windows(2).all(|w| matches!(w, [a, b] if a.0 < b.0))
            && checkpoints.last().is_some_and(|(n, _)| *n as usize <= ops.len());
        if !positions_ok {
            return Err("checkpoint positions");
        }
        // Withdrawal records only grow: every checkpoint saw those the pool kept and
        // none it does not have.
        let wbase = pool.wdr_parts().0;
        let wlens_ok = checkpoints.windows(2).all(|w| matches!(w, [a, b] if a.1.wlen <= b.1.wlen))
            && checkpoints.iter().all(|(_, s)| wbase <= s.wlen && s.wlen <= pool.state.wlen);
        if !wlens_ok {
            return Err("a checkpoint's withdrawal records");
        }
        let changes = ops.iter().any(|o| o.tag == CHANGE_METHOD);
        if !changes && checkpoints.iter().any(|(_, s)| s.method != pool.state.method) {
            return Err("a checkpoint of another costing method");
        }
        let slot = Slot {
            entity,
            item,
            site,
            last_at,
            pool,
            ops,
            extras,
            checkpoints: Checkpoints::from_list(checkpoints),
            method_changed: changes,
        };
        let sc = slot.pool.scales;
        let (r, _) = slot.replay_to(0).map_err(|_| "the base checkpoint")?;
        if !r.state.is_consistent(&r, sc) {
            return Err("the base checkpoint's figures");
        }
        let base_rlen = r.state.rlen;
        drop(r);
        if !slot.pool.state.is_consistent(&slot.pool, sc) {
            return Err("the pool's figures");
        }
        let mut next = base_rlen;
        let mut next_cp = 1;
        for (n, op) in slot.ops.iter().enumerate() {
            let (kind, _) = slot.kind_of(op).ok_or("an operation's record")?;
            if let OpKind::Receive { .. } = kind {
                if op.arg != next {
                    return Err("a receipt's record");
                }
                next = next.checked_add(1).ok_or("a receipt's record")?;
            }
            // A method change to FIFO may open a layer: its record comes next too.
            if let (CHANGE_METHOD, Some(Extra::ChangeMethod { rcpt: Some(k), .. })) =
                (op.tag, slot.extras.get(op.arg as usize))
            {
                if *k != next {
                    return Err("a method change's layer");
                }
                next = next.checked_add(1).ok_or("a receipt's record")?;
            }
            if let Some((m, s)) = slot.checkpoints.get(next_cp)
                && m as usize == n + 1
            {
                if s.rlen != next || !(s.head <= s.rlen && s.shead <= s.slen) {
                    return Err("a checkpoint");
                }
                next_cp += 1;
            }
        }
        if next != slot.pool.state.rlen {
            return Err("the pool is not its history");
        }
        Ok(slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_per_operation_is_what_the_docs_say() {
        assert_eq!(size_of::<Op>(), 48);
        assert_eq!(size_of::<crate::pool::Rcpt>(), 80);
        assert_eq!(size_of::<crate::pool::Short>(), 48);
    }

    #[test]
    fn quantities_split_and_join() {
        for q in [0, 1, -1, i128::from(i64::MAX) * 7, -(1 << 95)] {
            assert_eq!(join(split(q)), q);
        }
    }
}
