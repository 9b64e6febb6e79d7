//! Cost pools: the stock of one item that one legal entity owns (at one site, when the
//! entity values per site), and what it is worth by the entity's costing method.
//!
//! A pool holds exact decimal quantities in the item's base unit and values rounded to
//! the currency's minor units. Values never drift from quantities:
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

use std::collections::VecDeque;

use onhand_master::{Rounding, RoundingMode, add_exact, mul_div_round, sub_exact};
use rust_decimal::Decimal;

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

/// A FIFO receipt layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// The operation (receipt) that opened it.
    pub origin: u64,
    /// What the receipt brought in.
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
    /// The arithmetic left the decimal range.
    Overflow,
    /// A standard-only operation on another method, or the reverse.
    WrongMethod,
}

impl From<onhand_master::DecimalError> for PoolError {
    fn from(_: onhand_master::DecimalError) -> Self {
        PoolError::Overflow
    }
}

type R<T> = Result<T, PoolError>;

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Fifo(VecDeque<Layer>),
    Average { qty: Decimal, value: Decimal, profit: Decimal },
    Standard { qty: Decimal, value: Decimal, profit: Decimal, cost: Decimal },
}

/// One pool's stock and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pool {
    state: State,
    /// Issued without stock (FIFO and average), oldest first: quantity, the value it
    /// left at, and the caller's tag for where it went.
    short: VecDeque<Short>,
    /// The unit cost of the last receipt, for valuing a shortfall.
    /// The last receipt's value and quantity (its unit cost is worked out only when a
    /// shortfall needs it).
    last_receipt: Option<(Decimal, Decimal)>,
    rounding: Rounding,
}

/// A part of a shortfall: issued without stock, at the last known cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Short {
    qty: Decimal,
    value: Decimal,
    tag: u8,
}

/// What a receipt did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Received {
    /// The debit to inventory (FIFO, average: the receipt's value; standard: at standard).
    pub(crate) inventory: Decimal,
    /// Standard only: actual − standard (purchase price variance).
    pub(crate) variance: Decimal,
    /// The shortfall true-ups, by the tag of each issue covered: actual cost of the
    /// covered units less what they were issued at (debit the issue's account, credit
    /// inventory when positive).
    pub(crate) trueups: Vec<(u8, Decimal)>,
    /// Standard only: the running-rounding residue (debit inventory, credit rounding
    /// when positive).
    pub(crate) residue: Decimal,
}

/// A receipt worked out but not applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReceivePlan {
    pub(crate) out: Received,
    /// Shortfall parts covered whole, and what is taken from the next one.
    short_full: usize,
    short_partial: Option<(Decimal, Decimal)>,
    /// FIFO: the new layer; average and standard: the new totals.
    rest: (Decimal, Decimal, Decimal),
    last_receipt: (Decimal, Decimal),
}

/// An issue worked out but not applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IssuePlan {
    pub(crate) out: Issued,
    full: usize,
    partial: Option<(Decimal, Decimal, Decimal)>,
    rest: (Decimal, Decimal, Decimal),
    short: Option<Short>,
}

/// A landed cost worked out but not applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AddCostPlan {
    layer: Option<usize>,
    /// The part that stays in inventory.
    pub(crate) kept: Decimal,
    new_value: Decimal,
}

/// Any pool change worked out but not applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PoolPlan {
    Receive(u64, ReceivePlan),
    Issue(IssuePlan),
    AddCost(AddCostPlan),
    SetStandard { value: Decimal, cost: Decimal },
}

/// What an issue took.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Issued {
    /// The value issued (credit inventory).
    pub(crate) value: Decimal,
    /// The embedded intercompany profit that left with it.
    pub(crate) profit: Decimal,
    /// How much was issued without stock.
    pub(crate) short: Decimal,
    /// Standard only: running-rounding residue (credit inventory, debit rounding when
    /// positive).
    pub(crate) residue: Decimal,
}

impl Pool {
    /// An empty pool valuing by `method` in a currency with `scale` minor units.
    ///
    /// # Errors
    /// [`PoolError::Overflow`] for a scale beyond 28.
    pub(crate) fn new(method: Method, scale: u32, standard: Decimal) -> R<Self> {
        let rounding = Rounding::new(scale, RoundingMode::HalfUp)?;
        let zero = Decimal::ZERO;
        let state = match method {
            Method::Fifo => State::Fifo(VecDeque::new()),
            Method::MovingAverage => State::Average { qty: zero, value: zero, profit: zero },
            Method::Standard => {
                State::Standard { qty: zero, value: zero, profit: zero, cost: standard }
            }
        };
        Ok(Pool { state, short: VecDeque::new(), last_receipt: None, rounding })
    }

    /// The last receipt's unit cost, to 10 places.
    fn last_cost(&self) -> Option<Decimal> {
        let (value, qty) = self.last_receipt?;
        let rule = Rounding::new(10, RoundingMode::HalfUp).ok()?;
        mul_div_round(value, Decimal::ONE, qty, rule).ok()
    }

    fn short_qty(&self) -> Decimal {
        total(self.short.iter().map(|s| s.qty))
    }

    fn short_value(&self) -> Decimal {
        total(self.short.iter().map(|s| s.value))
    }

    /// The method.
    #[must_use]
    pub fn method(&self) -> Method {
        match self.state {
            State::Fifo(_) => Method::Fifo,
            State::Average { .. } => Method::MovingAverage,
            State::Standard { .. } => Method::Standard,
        }
    }

    /// The quantity held (negative after issuing without stock).
    #[must_use]
    pub fn qty(&self) -> Decimal {
        let held = match &self.state {
            State::Fifo(layers) => total(layers.iter().map(|l| l.qty)),
            State::Average { qty, .. } | State::Standard { qty, .. } => *qty,
        };
        held.checked_sub(self.short_qty()).unwrap_or(Decimal::MIN)
    }

    /// The value held (the sum of the layers, less a shortfall).
    #[must_use]
    pub fn value(&self) -> Decimal {
        let held = match &self.state {
            State::Fifo(layers) => total(layers.iter().map(|l| l.value)),
            State::Average { value, .. } | State::Standard { value, .. } => *value,
        };
        held.checked_sub(self.short_value()).unwrap_or(Decimal::MIN)
    }

    /// The intercompany profit embedded in what is held.
    #[must_use]
    pub fn profit(&self) -> Decimal {
        match &self.state {
            State::Fifo(layers) => total(layers.iter().map(|l| l.profit)),
            State::Average { profit, .. } | State::Standard { profit, .. } => *profit,
        }
    }

    /// The FIFO layers, oldest first (empty for other methods).
    pub fn layers(&self) -> impl Iterator<Item = &Layer> {
        let layers = match &self.state {
            State::Fifo(l) => Some(l.iter()),
            _ => None,
        };
        layers.into_iter().flatten()
    }

    /// The standard unit cost (standard pools).
    #[must_use]
    pub fn standard(&self) -> Option<Decimal> {
        match self.state {
            State::Standard { cost, .. } => Some(cost),
            _ => None,
        }
    }

    /// The cost per unit an issue of one unit would take now: the oldest layer's, the
    /// average, or the standard; the last receipt's when nothing is held.
    #[must_use]
    pub fn unit_cost(&self) -> Option<Decimal> {
        let scale = Rounding::new(6, RoundingMode::HalfUp).ok()?;
        match &self.state {
            State::Fifo(layers) => layers
                .iter()
                .find(|l| l.qty > Decimal::ZERO)
                .and_then(|l| onhand_master::div_round(l.value, l.qty, scale).ok())
                .or_else(|| self.last_cost()),
            State::Average { qty, value, .. } if *qty > Decimal::ZERO => {
                onhand_master::div_round(*value, *qty, scale).ok()
            }
            State::Average { .. } => self.last_cost(),
            State::Standard { cost, .. } => Some(*cost),
        }
    }

    fn round(&self, v: Decimal) -> R<Decimal> {
        Ok(self.rounding.apply(v)?)
    }

    /// `value x part / whole`, rounded; `value` itself when `part == whole`.
    fn share(&self, value: Decimal, part: Decimal, whole: Decimal) -> R<Decimal> {
        if part == whole {
            Ok(value)
        } else if whole.is_zero() {
            Err(PoolError::Overflow)
        } else {
            Ok(mul_div_round(value, part, whole, self.rounding)?)
        }
    }

    /// Receives `qty` (> 0) worth `value` (already rounded), with `profit` of it
    /// intercompany profit, as operation `origin`.
    #[cfg(test)]
    pub(crate) fn receive(
        &mut self,
        origin: u64,
        qty: Decimal,
        value: Decimal,
        profit: Decimal,
    ) -> R<Received> {
        let plan = self.plan_receive(qty, value, profit)?;
        let out = plan.out.clone();
        self.commit_receive(origin, &plan);
        Ok(out)
    }

    /// Works out a receipt without changing anything.
    pub(crate) fn plan_receive(
        &self,
        qty: Decimal,
        value: Decimal,
        profit: Decimal,
    ) -> R<ReceivePlan> {
        if qty <= Decimal::ZERO {
            return Err(PoolError::Overflow);
        }
        let mut out = Received::default();
        let (value_in, qty_in) = (value, qty);
        if let State::Standard { qty: q, value: v, profit: p, cost } = &self.state {
            let at_std = self.rounding.apply(mul_exact_r(qty, *cost)?)?;
            let new_qty = add_exact(*q, qty)?;
            let new_value = self.rounding.apply(mul_exact_r(new_qty, *cost)?)?;
            out.inventory = at_std;
            out.variance = sub_exact(value, at_std)?;
            out.residue = sub_exact(sub_exact(new_value, *v)?, at_std)?;
            // Units that cover a negative quantity are gone already: their profit was
            // realized with them.
            let covered = if *q < Decimal::ZERO { qty.min(-*q) } else { Decimal::ZERO };
            let kept_profit = sub_exact(profit, self.share(profit, covered, qty)?)?;
            return Ok(ReceivePlan {
                out,
                short_full: 0,
                short_partial: None,
                rest: (new_qty, new_value, add_exact(*p, kept_profit)?),
                last_receipt: (*cost, Decimal::ONE),
            });
        }
        out.inventory = value;
        let (mut qty, mut value, mut profit) = (qty, value, profit);
        let (mut short_full, mut short_partial) = (0usize, None);
        let short_qty = self.short_qty();
        if short_qty > Decimal::ZERO {
            let covered = qty.min(short_qty);
            let covered_value = self.share(value, covered, qty)?;
            let covered_profit = self.share(profit, covered, qty)?;
            // Oldest part first; each part's actual cost is its share of the covered
            // value, the last part taking what is left.
            let (mut rem, mut left) = (covered, covered_value);
            for part in &self.short {
                if rem <= Decimal::ZERO {
                    break;
                }
                let take = rem.min(part.qty);
                let actual =
                    if take == rem { left } else { self.share(covered_value, take, covered)? };
                let issued = self.share(part.value, take, part.qty)?;
                out.trueups.push((part.tag, sub_exact(actual, issued)?));
                if take == part.qty {
                    short_full += 1;
                } else {
                    short_partial = Some((take, issued));
                }
                rem = sub_exact(rem, take)?;
                left = sub_exact(left, actual)?;
            }
            qty = sub_exact(qty, covered)?;
            value = sub_exact(value, covered_value)?;
            // The covered units are gone already: their profit was realized with them.
            profit = sub_exact(profit, covered_profit)?;
        }
        let rest = match &self.state {
            State::Average { qty: q, value: v, profit: p } => {
                (add_exact(*q, qty)?, add_exact(*v, value)?, add_exact(*p, profit)?)
            }
            _ => (qty, value, profit),
        };
        Ok(ReceivePlan { out, short_full, short_partial, rest, last_receipt: (value_in, qty_in) })
    }

    /// Applies a planned receipt (nothing can fail here).
    pub(crate) fn commit_receive(&mut self, origin: u64, plan: &ReceivePlan) {
        self.short.drain(..plan.short_full.min(self.short.len()));
        if let (Some((q, v)), Some(front)) = (plan.short_partial, self.short.front_mut()) {
            // At most the part's own figures: no overflow.
            front.qty -= q;
            front.value -= v;
        }
        self.last_receipt = Some(plan.last_receipt);
        let (qty, value, profit) = plan.rest;
        match &mut self.state {
            State::Fifo(layers) => {
                if !qty.is_zero() {
                    layers.push_back(Layer { origin, received: qty, qty, value, profit });
                }
            }
            State::Average { qty: q, value: v, profit: p }
            | State::Standard { qty: q, value: v, profit: p, .. } => {
                *q = qty;
                *v = value;
                *p = profit;
            }
        }
    }

    /// What can be issued without a shortfall.
    fn held(&self) -> Decimal {
        match &self.state {
            State::Fifo(layers) => total(layers.iter().map(|l| l.qty)),
            State::Average { qty, .. } | State::Standard { qty, .. } => *qty,
        }
    }

    /// Issues `qty` (> 0). With `allow_negative`, what the pool does not hold is issued
    /// at the last known cost; otherwise a shortage is refused and nothing changes.
    #[cfg(test)]
    pub(crate) fn issue(&mut self, qty: Decimal, allow_negative: bool) -> R<Issued> {
        let plan = self.plan_issue(qty, allow_negative, 0)?;
        let out = plan.out;
        self.commit_issue(plan);
        Ok(out)
    }

    /// Works out an issue without changing anything.
    pub(crate) fn plan_issue(&self, qty: Decimal, allow_negative: bool, tag: u8) -> R<IssuePlan> {
        if qty <= Decimal::ZERO {
            return Err(PoolError::Overflow);
        }
        let held = self.held().max(Decimal::ZERO);
        if qty > held && !allow_negative {
            return Err(PoolError::Insufficient { available: held });
        }
        let rounding = self.rounding;
        let mut out = Issued::default();
        if let State::Standard { qty: q, value: v, profit: p, cost } = &self.state {
            let at_std = rounding.apply(mul_exact_r(qty, *cost)?)?;
            let new_qty = sub_exact(*q, qty)?;
            let new_value = rounding.apply(mul_exact_r(new_qty, *cost)?)?;
            let took_profit = if *q > Decimal::ZERO {
                let part = qty.min(*q);
                if part == *q { *p } else { mul_div_round(*p, part, *q, rounding)? }
            } else {
                Decimal::ZERO
            };
            out.value = at_std;
            out.profit = took_profit;
            out.short = (qty - held).max(Decimal::ZERO);
            // old − new = at_std + residue.
            out.residue = sub_exact(sub_exact(*v, new_value)?, at_std)?;
            return Ok(IssuePlan {
                out,
                full: 0,
                partial: None,
                rest: (new_qty, new_value, sub_exact(*p, took_profit)?),
                short: None,
            });
        }
        let short = (qty - held).max(Decimal::ZERO);
        let short_value = if short > Decimal::ZERO {
            let unit = match &self.state {
                State::Average { qty: q, value: v, .. } if *q > Decimal::ZERO => Some(
                    mul_div_round(*v, Decimal::ONE, *q, Rounding::new(10, RoundingMode::HalfUp)?)?,
                ),
                _ => self.last_cost(),
            };
            let unit = unit.ok_or(PoolError::NoCost)?;
            self.round(mul_exact_r(short, unit)?)?
        } else {
            Decimal::ZERO
        };
        let take = qty - short;
        let (mut value, mut profit) = (Decimal::ZERO, Decimal::ZERO);
        let mut full = 0usize;
        let mut partial = None;
        let mut rest = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        match &self.state {
            State::Fifo(layers) => {
                let mut rem = take;
                for layer in layers {
                    if rem <= Decimal::ZERO {
                        break;
                    }
                    if layer.qty <= rem {
                        rem -= layer.qty;
                        value = add_exact(value, layer.value)?;
                        profit = add_exact(profit, layer.profit)?;
                        full += 1;
                    } else {
                        let v = mul_div_round(layer.value, rem, layer.qty, rounding)?;
                        let p = mul_div_round(layer.profit, rem, layer.qty, rounding)?;
                        value = add_exact(value, v)?;
                        profit = add_exact(profit, p)?;
                        partial = Some((rem, v, p));
                        rem = Decimal::ZERO;
                    }
                }
            }
            State::Average { qty: q, value: v, profit: p } => {
                let (tv, tp) = if take.is_zero() {
                    (Decimal::ZERO, Decimal::ZERO)
                } else if take == *q {
                    (*v, *p)
                } else {
                    (mul_div_round(*v, take, *q, rounding)?, mul_div_round(*p, take, *q, rounding)?)
                };
                rest = (sub_exact(*q, take)?, sub_exact(*v, tv)?, sub_exact(*p, tp)?);
                value = tv;
                profit = tp;
            }
            State::Standard { .. } => return Err(PoolError::WrongMethod),
        }
        // The totals must stay in range too.
        add_exact(self.short_qty(), short)?;
        add_exact(self.short_value(), short_value)?;
        out.value = add_exact(value, short_value)?;
        out.profit = profit;
        out.short = short;
        let short =
            (short > Decimal::ZERO).then_some(Short { qty: short, value: short_value, tag });
        Ok(IssuePlan { out, full, partial, rest, short })
    }

    /// Applies a planned issue (nothing can fail here).
    pub(crate) fn commit_issue(&mut self, plan: IssuePlan) {
        if let Some(part) = plan.short {
            self.short.push_back(part);
        }
        match &mut self.state {
            State::Fifo(layers) => {
                layers.drain(..plan.full.min(layers.len()));
                if let (Some((q, v, p)), Some(front)) = (plan.partial, layers.front_mut()) {
                    // Each part is at most the layer's own figure: no overflow.
                    front.qty -= q;
                    front.value -= v;
                    front.profit -= p;
                }
            }
            State::Average { qty, value, profit } | State::Standard { qty, value, profit, .. } => {
                (*qty, *value, *profit) = plan.rest;
            }
        }
    }

    /// Adds `amount` to what receipt `origin` (of `received` units) cost, after the
    /// fact (landed cost). Returns the part that stays in inventory; the rest belongs to
    /// units already gone (cost of sales) or, for standard pools, to the purchase price
    /// variance.
    #[cfg(test)]
    pub(crate) fn add_cost(
        &mut self,
        origin: u64,
        received: Decimal,
        amount: Decimal,
    ) -> R<Decimal> {
        let plan = self.plan_add_cost(origin, received, amount)?;
        let kept = plan.kept;
        self.commit(PoolPlan::AddCost(plan));
        Ok(kept)
    }

    /// Works out [`add_cost`](Self::add_cost) without changing anything.
    pub(crate) fn plan_add_cost(
        &self,
        origin: u64,
        received: Decimal,
        amount: Decimal,
    ) -> R<AddCostPlan> {
        let rounding = self.rounding;
        let none = AddCostPlan { layer: None, kept: Decimal::ZERO, new_value: Decimal::ZERO };
        match &self.state {
            State::Fifo(layers) => {
                let Some((ix, layer)) = layers.iter().enumerate().find(|(_, l)| l.origin == origin)
                else {
                    return Ok(none);
                };
                let kept = if layer.qty == layer.received {
                    amount
                } else {
                    mul_div_round(amount, layer.qty, layer.received, rounding)?
                };
                Ok(AddCostPlan { layer: Some(ix), kept, new_value: add_exact(layer.value, kept)? })
            }
            State::Average { qty, value, .. } => {
                if *qty <= Decimal::ZERO || received <= Decimal::ZERO {
                    return Ok(none);
                }
                let kept = if *qty >= received {
                    amount
                } else {
                    mul_div_round(amount, *qty, received, rounding)?
                };
                Ok(AddCostPlan { layer: None, kept, new_value: add_exact(*value, kept)? })
            }
            State::Standard { .. } => Ok(none),
        }
    }

    /// Works out a new standard cost without changing anything: the revaluation (new
    /// value − old value) and the plan.
    pub(crate) fn plan_set_standard(&self, new_cost: Decimal) -> R<(Decimal, PoolPlan)> {
        let State::Standard { qty, value, .. } = &self.state else {
            return Err(PoolError::WrongMethod);
        };
        let new_value = self.rounding.apply(mul_exact_r(*qty, new_cost)?)?;
        let reval = sub_exact(new_value, *value)?;
        Ok((reval, PoolPlan::SetStandard { value: new_value, cost: new_cost }))
    }

    /// Sets a new standard cost; returns the revaluation (new value − old value).
    #[cfg(test)]
    pub(crate) fn set_standard(&mut self, new_cost: Decimal) -> R<Decimal> {
        let (reval, plan) = self.plan_set_standard(new_cost)?;
        self.commit(plan);
        Ok(reval)
    }

    /// Applies any plan (nothing can fail here).
    pub(crate) fn commit(&mut self, plan: PoolPlan) {
        match plan {
            PoolPlan::Receive(origin, p) => self.commit_receive(origin, &p),
            PoolPlan::Issue(p) => self.commit_issue(p),
            PoolPlan::AddCost(p) => match &mut self.state {
                State::Fifo(layers) => {
                    if let Some(l) = p.layer.and_then(|ix| layers.get_mut(ix)) {
                        l.value = p.new_value;
                    }
                }
                State::Average { value, .. } => {
                    if !p.kept.is_zero() {
                        *value = p.new_value;
                    }
                }
                State::Standard { .. } => {}
            },
            PoolPlan::SetStandard { value: v, cost: c } => {
                if let State::Standard { value, cost, .. } = &mut self.state {
                    *value = v;
                    *cost = c;
                }
            }
        }
    }

    /// What was issued without stock and not yet covered: quantity and value.
    #[must_use]
    pub fn shortfall(&self) -> (Decimal, Decimal) {
        (self.short_qty(), self.short_value())
    }
}

/// The sum of `values`, saturating at the decimal range instead of panicking (only
/// sums over many pools can get there, and only with absurd amounts).
pub(crate) fn total(values: impl Iterator<Item = Decimal>) -> Decimal {
    values.fold(Decimal::ZERO, |acc, v| {
        acc.checked_add(v).unwrap_or(if v.is_sign_negative() { Decimal::MIN } else { Decimal::MAX })
    })
}

fn mul_exact_r(a: Decimal, b: Decimal) -> R<Decimal> {
    Ok(onhand_master::mul_exact(a, b)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    // A FIFO sequence: receive 10 @ 1.00, 20 @ 1.20; issue 15 takes 10.00 + 6.00.
    #[test]
    fn fifo_issues_the_oldest_layers_first() {
        let mut p = Pool::new(Method::Fifo, 2, Decimal::ZERO).unwrap();
        p.receive(1, d("10"), d("10.00"), Decimal::ZERO).unwrap();
        p.receive(2, d("20"), d("24.00"), Decimal::ZERO).unwrap();
        let i = p.issue(d("15"), false).unwrap();
        assert_eq!(i.value, d("16.00"));
        assert_eq!((p.qty(), p.value()), (d("15"), d("18.00")));
    }

    #[test]
    fn a_partial_layer_keeps_the_remainder_so_the_last_unit_takes_the_last_cent() {
        let mut p = Pool::new(Method::Fifo, 2, Decimal::ZERO).unwrap();
        p.receive(1, d("3"), d("1.00"), Decimal::ZERO).unwrap();
        let a = p.issue(d("1"), false).unwrap().value;
        let b = p.issue(d("1"), false).unwrap().value;
        let c = p.issue(d("1"), false).unwrap().value;
        assert_eq!((a, b, c), (d("0.33"), d("0.34"), d("0.33")));
        assert_eq!(p.value(), Decimal::ZERO);
    }

    #[test]
    fn moving_average_recomputes_on_receipt() {
        let mut p = Pool::new(Method::MovingAverage, 2, Decimal::ZERO).unwrap();
        p.receive(1, d("100"), d("1000.00"), Decimal::ZERO).unwrap();
        p.receive(2, d("100"), d("1200.00"), Decimal::ZERO).unwrap();
        assert_eq!(p.issue(d("50"), false).unwrap().value, d("550.00"));
        assert_eq!(p.unit_cost(), Some(d("11")));
    }

    #[test]
    fn standard_books_price_variance_and_revaluation() {
        let mut p = Pool::new(Method::Standard, 2, d("5.00")).unwrap();
        let r = p.receive(1, d("10"), d("52.00"), Decimal::ZERO).unwrap();
        assert_eq!((r.inventory, r.variance), (d("50.00"), d("2.00")));
        assert_eq!(p.set_standard(d("5.50")).unwrap(), d("5.00"));
        assert_eq!(p.issue(d("4"), false).unwrap().value, d("22.00"));
    }

    #[test]
    fn a_standard_residue_is_reported_not_hidden() {
        let mut p = Pool::new(Method::Standard, 2, d("0.333")).unwrap();
        let r = p.receive(1, d("3"), d("1.00"), Decimal::ZERO).unwrap();
        assert_eq!(r.inventory, d("1.00"));
        let mut total = r.residue;
        for _ in 0..3 {
            let i = p.issue(d("1"), false).unwrap();
            assert_eq!(i.value, d("0.33"));
            total -= i.residue;
        }
        // 1.00 in, 0.99 out at standard: the cent is a residue.
        assert_eq!(p.value(), Decimal::ZERO);
        assert_eq!(total.abs(), d("0.01"));
    }

    #[test]
    fn refusing_negative_stock_changes_nothing() {
        let mut p = Pool::new(Method::Fifo, 2, Decimal::ZERO).unwrap();
        p.receive(1, d("5"), d("5.00"), Decimal::ZERO).unwrap();
        let before = p.clone();
        assert_eq!(p.issue(d("6"), false), Err(PoolError::Insufficient { available: d("5") }));
        assert_eq!(p, before);
    }

    #[test]
    fn a_shortfall_is_trued_up_by_the_next_receipt() {
        let mut p = Pool::new(Method::Fifo, 2, Decimal::ZERO).unwrap();
        p.receive(1, d("5"), d("5.00"), Decimal::ZERO).unwrap();
        let i = p.issue(d("8"), true).unwrap();
        assert_eq!((i.value, i.short), (d("8.00"), d("3")));
        assert_eq!((p.qty(), p.value()), (d("-3"), d("-3.00")));
        let r = p.receive(2, d("10"), d("12.00"), Decimal::ZERO).unwrap();
        // 3 of the 10 @ 1.20 cover the shortfall issued at 1.00: 0.60 to true up.
        assert_eq!(r.trueups.as_slice(), [(0, d("0.60"))]);
        assert_eq!((p.qty(), p.value()), (d("7"), d("8.40")));
        // Inventory moved by +12.00 − 0.60 from −3.00: 8.40.
    }

    #[test]
    fn no_cost_known_for_a_shortfall_is_refused() {
        let mut p = Pool::new(Method::MovingAverage, 2, Decimal::ZERO).unwrap();
        assert_eq!(p.issue(d("1"), true), Err(PoolError::NoCost));
        assert_eq!(p.qty(), Decimal::ZERO);
    }

    #[test]
    fn landed_cost_splits_between_what_is_held_and_what_is_gone() {
        let mut p = Pool::new(Method::Fifo, 2, Decimal::ZERO).unwrap();
        p.receive(7, d("10"), d("100.00"), Decimal::ZERO).unwrap();
        p.issue(d("4"), false).unwrap();
        assert_eq!(p.add_cost(7, d("10"), d("20.00")).unwrap(), d("12.00"));
        assert_eq!(p.value(), d("72.00"));
    }

    #[test]
    fn profit_moves_with_the_stock() {
        let mut p = Pool::new(Method::MovingAverage, 2, Decimal::ZERO).unwrap();
        p.receive(1, d("10"), d("120.00"), d("20.00")).unwrap();
        let i = p.issue(d("4"), false).unwrap();
        assert_eq!((i.profit, p.profit()), (d("8.00"), d("12.00")));
    }
}
