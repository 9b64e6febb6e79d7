//! The in-order path: a receipt, an issue or a loss at a site's own entity, into a pool
//! that exists, in the item's base unit and not back-dated, is by far the most common
//! event, and it needs none of the general planning (no replay, no step to box and
//! carry, no decimal round trips). [`Valuation::apply_in_order`] works it out straight
//! on the pool's integers and commits it, making exactly the postings, records and
//! outcome the general path makes; anything else, a refusal included, it leaves to the
//! general path without changing anything. A FIFO receipt into a pool that owes
//! nothing, or a FIFO issue of stock the pool holds (nearly every movement), is not
//! even planned: the pool works out the few figures it changes
//! ([`Quick`](crate::pool::Quick)) and applies them in place, instead of copying its
//! state into a plan and back. The
//! `in_order_is_the_general_path` property holds the two paths to the same results,
//! event by event and state by state.
//!
//! Notation as in the engine: `e` an entity handle, `i` an item handle, `s` a site.

// The engine's notation; spelled out it would hide the arithmetic.
#![allow(clippy::many_single_char_names)]

use onhand_master::hash::Map;
use onhand_master::{Catalog, CurrencyCode, ItemCode, ItemIx, SiteCode, SiteIx};
use rust_decimal::Decimal;

use crate::config::NegativeCostPolicy;
use crate::engine::{
    Entity, Outcome, ReceiptSeen, SaleSeen, Seen, Valuation, money, pool_key, tag_key,
};
use crate::event::{CostBody, CostEvent, IssueTo};
use crate::history::Slot;
use crate::pool::{Int, Scales, pow10};
use crate::posting::{Posting, PostingKey, PostingKind};

impl Valuation {
    /// The common case, a receipt, an issue or a loss (an issue to adjustment) at a
    /// site's own entity (named or not) into a pool that exists, in its base unit, not
    /// back-dated, worked out straight on the pool's integers: the same postings, records
    /// and outcome as the general planning, without its steps; the posting lines are
    /// appended to `lines`, and the outcome's own `postings` is empty. `None` (nothing
    /// a caller can see changed, `lines` included) for anything else, any refusal
    /// included: the general path then decides, and reports the error.
    pub(crate) fn apply_in_order(
        &mut self,
        ev: &CostEvent,
        fp: u64,
        lines: &mut Vec<Posting>,
    ) -> Option<Outcome> {
        let start = lines.len();
        let done = self.in_order(ev, fp, lines, true);
        if done.is_none() {
            lines.truncate(start);
        }
        done
    }

    /// Whether [`Valuation::apply_in_order`] would take `ev` (so [`Valuation::check`]
    /// passes it), worked out the same way and stopped before anything changes. A
    /// receipt the network checks before its ledger decides, then books, is planned
    /// twice; this makes the first the in-order path's few steps, not the general
    /// planning. Only a new event in no closed period, as the apply takes the path.
    pub(crate) fn in_order_takes(&mut self, ev: &CostEvent) -> bool {
        if self.seen_of(ev.id).is_some()
            || self.closed_through.is_some_and(|c| ev.at < c)
            || self.in_entity_closed(ev.at)
        {
            return false;
        }
        // No item handle from an unfinished batch (as `apply_with`).
        self.recent.item = None;
        let mut lines = Vec::new();
        self.in_order(ev, 0, &mut lines, false).is_some()
    }

    /// The entity and the pool's slot of an in-order event for `item` at `site`, with
    /// the site's and item's handles: from the last event's, when it named the same.
    fn in_order_pool(&mut self, site: &SiteCode, item: &ItemCode) -> Option<(u16, ItemIx, u32)> {
        let (s, e) = match &self.recent.site {
            Some((code, s, e)) if code == site => (*s, *e),
            _ => {
                let s = self.catalog.site_ix(site)?;
                let e = u16::try_from(self.catalog.site_entity(s)?.index()).ok()?;
                self.recent.site = Some((site.clone(), s, e));
                (s, e)
            }
        };
        let (i, slot) = match &self.recent.pool {
            Some((code, ps, i, slot)) if *ps == s && code == item => (*i, *slot),
            _ => {
                let ent = self.entities.get(usize::from(e))?;
                // A batch looked the item up already (see `Recent::item`).
                let i = match self.recent.item {
                    Some(i) => {
                        debug_assert_eq!(Some(i), self.catalog.item_ix(item), "a stale item hint");
                        i
                    }
                    None => self.catalog.item_ix(item)?,
                };
                let ps = if ent.per_site { Some(s) } else { None };
                let slot =
                    self.recent.slot(&self.slots, &self.slot_ix, &self.catalog, (e, i, ps))?;
                self.recent.pool = Some((item.clone(), s, i, slot));
                (i, slot)
            }
        };
        Some((e, i, slot))
    }

    /// [`Valuation::apply_in_order`], leaving lines it made in `made` when it gives up;
    /// without `commit`, it stops where it would change the pool and answers an outcome
    /// with no postings (see [`Valuation::in_order_takes`]).
    #[allow(
        clippy::too_many_lines,
        reason = "a receipt's and an issue's steps side by side, each with where a dry run stops"
    )]
    fn in_order(
        &mut self,
        ev: &CostEvent,
        fp: u64,
        made: &mut Vec<Posting>,
        commit: bool,
    ) -> Option<Outcome> {
        let dry =
            || Some(Outcome::Posted { postings: Vec::new(), documents: Vec::new(), issued: None });
        let (site, item, qty, owner, to) = match &ev.body {
            CostBody::Receipt { site, item, qty, owner, .. } => (site, item, *qty, owner, None),
            CostBody::Issue { site, item, qty, owner, to } => (site, item, *qty, owner, Some(*to)),
            // A loss is an issue to adjustment, as the general path plans it.
            CostBody::Adjustment { site, item, delta, owner, .. }
                if delta.value().is_sign_negative() =>
            {
                let magnitude = onhand_master::Qty::new(delta.value().abs(), delta.uom()).ok()?;
                (site, item, magnitude, owner, Some(IssueTo::Adjustment))
            }
            _ => return None,
        };
        let (e, i, slot) = self.in_order_pool(site, item)?;
        let ent = self.entities.get(usize::from(e))?;
        // Stock of another owner (consignment) is that owner's pool: the general path's.
        // The site's own entity named as the owner is the pool no owner names (the
        // `onhand` facade names it on every event).
        if owner.as_ref().is_some_and(|o| *o != ent.code) {
            return None;
        }
        let sl = self.slots.get(slot as usize)?;
        if !sl.in_order(ev.at) {
            return None;
        }
        // In the base unit, at most at its scale, more than zero: what `base` takes
        // without a conversion.
        let &Some((base, scale)) = self.bases.get(i.index())? else { return None };
        if qty.uom() != base || qty.value().scale() > scale {
            return None;
        }
        let sc = sl.pool.scales;
        let q = sc.qty_in(qty.value()).ok().filter(|q| *q > 0)?;
        let m = PostingKind::Movement;
        let mut lines = Lines::new(ev.id, ent, item, site, sc, made);
        match &ev.body {
            CostBody::Receipt { unit_cost, .. } => {
                if unit_cost.currency() != ent.currency || unit_cost.amount().is_sign_negative() {
                    return None;
                }
                let value = exact_value(qty.value(), unit_cost.amount(), sc.value)?;
                // A FIFO pool that owes nothing (nearly always): its few figures, changed
                // in place.
                if let Some(quick) = sl.pool.quick_receive(ev.id, q, value) {
                    // All of the value is kept: no price variance, no residue.
                    lines.pair(
                        PostingKey::Inventory,
                        PostingKey::GoodsReceived,
                        quick.value(),
                        m,
                    )?;
                    if !commit {
                        return dry();
                    }
                    let sl = self.slots.get_mut(slot as usize)?;
                    let rcpt = sl.append_quick_receive(ev.at, ev.id, &quick);
                    return Some(self.received((ev.id, fp), (slot, rcpt), qty.value()));
                }
                // Borrowed where it lies: a plan is a few hundred bytes.
                let planned = sl.plan_receive_now(ev.id, q, value);
                let Ok(plan) = &planned else { return None };
                let o = &plan.out;
                // A receipt that covers a shortfall re-costs the issues that went out
                // short: the general path keeps their records in step.
                if !o.covered.is_empty() {
                    return None;
                }
                lines.line(PostingKey::Inventory, o.value, m)?;
                lines.line(PostingKey::PriceVariance, value.checked_sub(o.value)?, m)?;
                lines.line(PostingKey::GoodsReceived, value.checked_neg()?, m)?;
                for (tag, amount) in &o.trueups {
                    lines.pair(
                        tag_key(*tag),
                        PostingKey::Inventory,
                        *amount,
                        PostingKind::TrueUp,
                    )?;
                }
                lines.pair(PostingKey::Inventory, PostingKey::Rounding, o.residue, m)?;
                if !commit {
                    return dry();
                }
                let sl = self.slots.get_mut(slot as usize)?;
                let rcpt = sl.append_receive(ev.at, ev.id, plan);
                Some(self.received((ev.id, fp), (slot, rcpt), qty.value()))
            }
            CostBody::Issue { .. } | CostBody::Adjustment { .. } => {
                let to = to?;
                let key = issue_key(to);
                let negative = ent.negative == NegativeCostPolicy::LastCost;
                if let Some(quick) = sl.pool.quick_issue(q) {
                    lines.pair(key, PostingKey::Inventory, quick.value(), m)?;
                    let issued = (sc.value_out(quick.value()), ent.currency);
                    let profit = match quick.profit() {
                        0 => Decimal::ZERO,
                        p => sc.value_out(p),
                    };
                    if !commit {
                        return dry();
                    }
                    let sl = self.slots.get_mut(slot as usize)?;
                    sl.append_quick_issue(ev.at, ev.id, &quick, (q, negative, key));
                    let figures = (qty.value(), profit);
                    return Some(self.issued((ev.id, fp), (slot, to), figures, issued));
                }
                let planned = sl.plan_issue_now(ev.id, q, negative, key);
                let Ok(plan) = &planned else { return None };
                let o = &plan.out;
                lines.pair(key, PostingKey::Inventory, o.value, m)?;
                lines.pair(PostingKey::Rounding, PostingKey::Inventory, o.residue, m)?;
                let issued = (sc.value_out(o.value), ent.currency);
                let profit = if o.profit == 0 { Decimal::ZERO } else { sc.value_out(o.profit) };
                let figures = (qty.value(), profit);
                if !commit {
                    return dry();
                }
                let sl = self.slots.get_mut(slot as usize)?;
                sl.append_issue(ev.at, ev.id, plan, (q, negative, key));
                Some(self.issued((ev.id, fp), (slot, to), figures, issued))
            }
            _ => None,
        }
    }

    /// Remembers in-order receipt `id` of `qty` (fingerprint `fp`), applied as receipt
    /// record `rcpt` of the pool in `slot`; its outcome.
    fn received(
        &mut self,
        (id, fp): (u64, u64),
        (slot, rcpt): (u32, u32),
        qty: Decimal,
    ) -> Outcome {
        let at = u32::try_from(self.receipts.len()).unwrap_or(u32::MAX);
        self.receipts.push(ReceiptSeen { slot, rcpt, qty });
        self.seen_event(id, Seen { fingerprint: fp, kind: Seen::RECEIPT, idx: at });
        Outcome::Posted { postings: Vec::new(), documents: Vec::new(), issued: None }
    }

    /// Remembers in-order issue `id` of `qty` (fingerprint `fp`) to `to` from the pool in
    /// `slot`, which took `value` (in `currency`), `profit` of it intercompany profit;
    /// its outcome.
    fn issued(
        &mut self,
        (id, fp): (u64, u64),
        (slot, to): (u32, IssueTo),
        (qty, profit): (Decimal, Decimal),
        (value, currency): (Decimal, CurrencyCode),
    ) -> Outcome {
        let issued = money(value, currency);
        // Every issue is kept (a reversal names it); only a sale is returnable.
        let idx = u32::try_from(self.sales.len()).unwrap_or(u32::MAX);
        self.sales.push(SaleSeen { slot, qty, value });
        if !profit.is_zero() {
            self.sale_profit.insert(idx, profit);
        }
        let seen = Seen { fingerprint: fp, kind: Seen::issue_kind(to), idx };
        self.seen_event(id, seen);
        Outcome::Posted { postings: Vec::new(), documents: Vec::new(), issued: Some(issued) }
    }
}

/// The site and the pool the last in-order event named, so a run of events for one
/// site (or one item at one site) skips their code look-ups, and each item's last pool,
/// so events over many items skip the pool index's hash probe. Codes map to the same
/// handles for an engine's life (its catalog does not change), and a pool keeps its slot.
#[derive(Debug, Clone, Default)]
pub(crate) struct Recent {
    /// A site code, its handle and its entity.
    site: Option<(SiteCode, SiteIx, u16)>,
    /// An item code and the site it was named at, the item's handle and the pool's slot.
    pool: Option<(ItemCode, SiteIx, ItemIx, u32)>,
    /// Per item handle: the slot of the pool an in-order event last named for it, plus
    /// one (0: none yet). Empty until the first look-up, then one `u32` per catalog
    /// item. A hint only: checked against the slot's entity, item and site before use.
    by_item: Vec<u32>,
    /// The handle of the item the event being applied names, when a batch's read-ahead
    /// looked it up (set and cleared around that one event by
    /// [`Valuation::apply_batch`]).
    pub(crate) item: Option<ItemIx>,
}

/// The posting lines of one in-order receipt or issue (see
/// [`Valuation::apply_in_order`]), from the pool's integers: what the general path makes of the
/// same amounts, with the event's own item and site codes.
struct Lines<'a> {
    event: u64,
    ent: &'a Entity,
    item: &'a ItemCode,
    site: &'a SiteCode,
    sc: Scales,
    /// The largest amount, in minor units ([`MAX_AMOUNT`](crate::MAX_AMOUNT)).
    max: Int,
    /// Where the lines go (the caller's buffer).
    made: &'a mut Vec<Posting>,
}

impl Recent {
    /// Whether `item` is the item the last in-order event named.
    pub(crate) fn is_last_item(&self, item: &ItemCode) -> bool {
        self.pool.as_ref().is_some_and(|(code, ..)| code == item)
    }

    /// The slot an in-order event last named for item `i`, if any: a hint for reading
    /// ahead (see [`Recent::slot`]).
    pub(crate) fn hint(&self, i: ItemIx) -> Option<u32> {
        self.by_item.get(i.index()).and_then(|&c| c.checked_sub(1))
    }

    /// The slot of pool `(e, i, ps)`: the item's last pool, if it is this one; else
    /// from the pool index (and the item remembers it). A dense table instead of a hash
    /// probe, for events over many items.
    fn slot(
        &mut self,
        slots: &[Slot],
        index: &Map<u64, u32>,
        catalog: &Catalog,
        (e, i, ps): (u16, ItemIx, Option<SiteIx>),
    ) -> Option<u32> {
        let known = self.by_item.get(i.index()).and_then(|&c| c.checked_sub(1));
        if let Some(k) = known
            && let Some(sl) = slots.get(k as usize)
            && sl.entity == e
            && sl.item == i
            && sl.site == ps
        {
            return Some(k);
        }
        let k = *index.get(&pool_key(e, i, ps))?;
        if self.by_item.is_empty() {
            self.by_item.resize(catalog.item_count(), 0);
        }
        if let (Some(c), Some(k1)) = (self.by_item.get_mut(i.index()), k.checked_add(1)) {
            *c = k1;
        }
        Some(k)
    }
}

impl<'a> Lines<'a> {
    fn new(
        event: u64,
        ent: &'a Entity,
        item: &'a ItemCode,
        site: &'a SiteCode,
        sc: Scales,
        made: &'a mut Vec<Posting>,
    ) -> Self {
        // `MAX_AMOUNT` is a whole number: at the currency's minor units, times 10^places.
        let max = MAX_AT.get(sc.value as usize).copied().unwrap_or(Int::MAX);
        Lines { event, ent, item, site, sc, max, made }
    }

    /// A line of `amount` minor units (none for zero); `None` for an amount beyond
    /// [`MAX_AMOUNT`](crate::MAX_AMOUNT) (the general path refuses it).
    fn line(&mut self, key: PostingKey, amount: Int, kind: PostingKind) -> Option<()> {
        if amount == 0 {
            return Some(());
        }
        if amount.unsigned_abs() > self.max.unsigned_abs() {
            return None;
        }
        let line = self.posting(key, self.sc.value_out(amount), kind)?;
        self.made.push(line);
        Some(())
    }

    /// The posting of `amount` to `key` (`None` for a key without an account).
    fn posting(&self, key: PostingKey, amount: Decimal, kind: PostingKind) -> Option<Posting> {
        Some(Posting {
            event: self.event,
            entity: self.ent.code.clone(),
            key,
            account: self.ent.accounts.get(key as usize)?.clone(),
            amount,
            currency: self.ent.currency,
            kind,
            item: Some(self.item.clone()),
            site: Some(self.site.clone()),
            document: None,
        })
    }

    /// Debit `dr`, credit `cr`, by `amount`: two lines that differ only in their key,
    /// account and sign, so the amount is checked and converted once and the credit
    /// copies the debit.
    fn pair(
        &mut self,
        dr: PostingKey,
        cr: PostingKey,
        amount: Int,
        kind: PostingKind,
    ) -> Option<()> {
        if amount == 0 {
            return Some(());
        }
        if amount.unsigned_abs() > self.max.unsigned_abs() {
            return None;
        }
        let debit = self.posting(dr, self.sc.value_out(amount), kind)?;
        let account = self.ent.accounts.get(cr as usize)?.clone();
        let credit = Posting { key: cr, account, amount: -debit.amount, ..debit.clone() };
        self.made.push(debit);
        self.made.push(credit);
        Some(())
    }
}

/// [`MAX_AMOUNT`](crate::MAX_AMOUNT) as an integer (it is a whole number).
const MAX_WHOLE: Int = 1_000_000_000_000_000;

/// [`MAX_WHOLE`] in `10^-k`, for every scale `k` a value can have (`Int::MAX` where it
/// would not fit), so a line's check is one comparison.
const MAX_AT: [Int; 29] = {
    let mut t = [Int::MAX; 29];
    let mut k = 0;
    while k < 29 {
        #[allow(clippy::cast_possible_truncation)] // k < 29
        if let Some(p) = pow10_const(k as u32)
            && let Some(m) = MAX_WHOLE.checked_mul(p)
        {
            t[k] = m;
        }
        k += 1;
    }
    t
};

/// `10^k` at compile time (`None` beyond `Int`).
const fn pow10_const(k: u32) -> Option<Int> {
    (10 as Int).checked_pow(k)
}

/// The account an issue to `to` debits.
fn issue_key(to: IssueTo) -> PostingKey {
    match to {
        IssueTo::Sale => PostingKey::CostOfSales,
        IssueTo::Scrap => PostingKey::WriteOff,
        IssueTo::Adjustment => PostingKey::Adjustment,
    }
}

/// `qty x unit_cost` as a count of `10^-scale` (the currency's minor units), when the
/// product is exact at that scale and within what a pool carries; `None` otherwise
/// (the general path rounds it).
fn exact_value(qty: Decimal, unit_cost: Decimal, scale: u32) -> Option<Int> {
    let places = qty.scale() + unit_cost.scale();
    let k = scale.checked_sub(places)?;
    let (a, b) = (qty.mantissa(), unit_cost.mantissa());
    // Two 64-bit mantissas (nearly always) multiply without an overflow check, and a
    // product already at the value's scale (whole units at whole cents) needs no more.
    let product = match (i64::try_from(a), i64::try_from(b)) {
        (Ok(a), Ok(b)) => Int::from(a) * Int::from(b),
        _ => a.checked_mul(b)?,
    };
    let v = if k == 0 { product } else { product.checked_mul(pow10(k)?)? };
    (v.unsigned_abs() < 1 << 96).then_some(v)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{DateTime, Utc};
    use onhand_master::{Catalog, EntityCode, Money, Qty, seed};
    use proptest::prelude::*;

    use crate::config::{MethodOverride, Standard, ValuationConfig};
    use crate::pool::Method;

    use super::*;

    const T0: i64 = 1_767_600_000;
    const SITES: [(&str, &str); 3] = [("ATL", "USD"), ("DFW", "USD"), ("YYZ", "CAD")];
    const ITEMS: [&str; 3] = ["BOLT-M8", "GLUE-500", "CABLE-CU"];

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(T0 + secs, 0).unwrap()
    }

    fn engine(config: ValuationConfig) -> Valuation {
        let catalog = Arc::new(Catalog::new(seed::demo_network()).unwrap());
        Valuation::new(catalog, config).unwrap()
    }

    /// A quantity of item `i`: `n` base units, written many ways, some of them refused or
    /// in another unit.
    fn qty(i: usize, n: u32, how: u8) -> String {
        let base = if ITEMS[i] == "CABLE-CU" { "M" } else { "EA" };
        match how % 10 {
            0 => format!("{n}.00 {base}"),
            1 => format!("1 {}", if base == "M" { "RL" } else { "CS" }),
            2 => format!("0 {base}"),
            3 if base == "M" => format!("{n}.5 {base}"),
            _ => format!("{n} {base}"),
        }
    }

    /// A unit cost: cents, or (rarely) sub-cent, negative, huge or in the other currency.
    fn cost(site: usize, cents: u32, how: u8) -> String {
        let cur = SITES[site].1;
        let other = if cur == "USD" { "CAD" } else { "USD" };
        match how % 12 {
            0 => format!("{}.{:03} {cur}", cents / 1000, cents % 1000),
            1 => format!("-{}.{:02} {cur}", cents / 100, cents % 100),
            2 => format!("999999999999999.{:02} {cur}", cents % 100),
            3 => format!("{}.{:02} {other}", cents / 100, cents % 100),
            4 => format!("0.00 {cur}"),
            _ => format!("{}.{:02} {cur}", cents / 100, cents % 100),
        }
    }

    #[derive(Debug, Clone)]
    enum Step {
        Receipt { site: usize, item: usize, n: u32, qty_how: u8, cents: u32, how: u8, owner: bool },
        Issue { site: usize, item: usize, n: u32, qty_how: u8, to: u8, owner: bool },
        Adjust { site: usize, item: usize, n: u32, qty_how: u8, gain: bool, owner: bool },
        Landed { pick: usize, cents: u32 },
        Return { pick: usize, n: u32 },
        Again { pick: usize },
        Close,
    }

    fn step() -> impl Strategy<Value = Step> {
        // Mostly one busy pool (more operations than a checkpoint's interval).
        let site = prop_oneof![4 => Just(0usize), 1 => 0usize..3];
        let item = prop_oneof![4 => Just(0usize), 1 => 0usize..3];
        prop_oneof![
            8 => (site.clone(), item.clone(), 1u32..40, any::<u8>(), 1u32..5000, any::<u8>(),
                prop::bool::weighted(0.2))
                .prop_map(|(site, item, n, qty_how, cents, how, owner)| Step::Receipt {
                    site, item, n, qty_how, cents, how, owner
                }),
            8 => (site.clone(), item.clone(), 1u32..60, any::<u8>(), any::<u8>(), prop::bool::weighted(0.2))
                .prop_map(|(site, item, n, qty_how, to, owner)| {
                    Step::Issue { site, item, n, qty_how, to, owner }
                }),
            3 => (site.clone(), item.clone(), 1u32..60, any::<u8>(), prop::bool::weighted(0.3),
                prop::bool::weighted(0.2))
                .prop_map(|(site, item, n, qty_how, gain, owner)| {
                    Step::Adjust { site, item, n, qty_how, gain, owner }
                }),
            1 => (any::<usize>(), 1u32..3000).prop_map(|(pick, cents)| Step::Landed { pick, cents }),
            1 => (any::<usize>(), 1u32..10).prop_map(|(pick, n)| Step::Return { pick, n }),
            1 => any::<usize>().prop_map(|pick| Step::Again { pick }),
            1 => Just(Step::Close),
        ]
    }

    fn config() -> impl Strategy<Value = ValuationConfig> {
        (any::<[bool; 2]>(), any::<[bool; 2]>(), 0u8..3).prop_map(|(per_site, last_cost, glue)| {
            let mut c = ValuationConfig::default();
            for (k, e) in ["NA01", "CA01"].into_iter().enumerate() {
                let e: EntityCode = e.parse().unwrap();
                if per_site[k] {
                    c.per_site.insert(e.clone());
                }
                if last_cost[k] {
                    c.negative_stock.insert(e, NegativeCostPolicy::LastCost);
                }
            }
            let method = [Method::Fifo, Method::MovingAverage, Method::Standard][usize::from(glue)];
            for (e, cur) in [("NA01", "USD"), ("CA01", "CAD")] {
                c.methods.push(MethodOverride {
                    entity: e.parse().unwrap(),
                    item: "GLUE-500".parse().unwrap(),
                    method,
                });
                c.standards.push(Standard {
                    entity: e.parse().unwrap(),
                    item: "GLUE-500".parse().unwrap(),
                    site: None,
                    cost: format!("7.405 {cur}").parse().unwrap(),
                });
            }
            c
        })
    }

    /// The event a step makes as event `id`, `back` seconds back-dated.
    fn event(s: &Step, id: u64, back: i64, made: &[CostEvent]) -> Option<CostEvent> {
        let pick = |p: usize, f: &dyn Fn(&CostEvent) -> bool| {
            let found: Vec<&CostEvent> = made.iter().filter(|e| f(e)).collect();
            (!found.is_empty()).then(|| found[p % found.len()].clone())
        };
        let body = match s {
            Step::Receipt { site, item, n, qty_how, cents, how, owner } => CostBody::Receipt {
                site: SITES[*site].0.parse().unwrap(),
                item: ITEMS[*item].parse().unwrap(),
                qty: qty(*item, *n, *qty_how).parse().unwrap(),
                unit_cost: cost(*site, *cents, *how).parse::<Money>().unwrap(),
                owner: owner.then(|| "CA01".parse().unwrap()),
            },
            Step::Issue { site, item, n, qty_how, to, owner } => CostBody::Issue {
                site: SITES[*site].0.parse().unwrap(),
                item: ITEMS[*item].parse().unwrap(),
                qty: qty(*item, *n, *qty_how).parse().unwrap(),
                to: [IssueTo::Sale, IssueTo::Scrap, IssueTo::Adjustment][usize::from(*to % 3)],
                owner: owner.then(|| "CA01".parse().unwrap()),
            },
            Step::Adjust { site, item, n, qty_how, gain, owner } => {
                let q: Qty = qty(*item, *n, *qty_how).parse().unwrap();
                let v = if *gain { q.value() } else { -q.value() };
                let delta = onhand_master::QtyDelta::new(v, q.uom());
                CostBody::Adjustment {
                    site: SITES[*site].0.parse().unwrap(),
                    item: ITEMS[*item].parse().unwrap(),
                    delta,
                    unit_cost: None,
                    owner: owner.then(|| "CA01".parse().unwrap()),
                }
            }
            Step::Landed { pick: p, cents } => {
                let r = pick(*p, &|e| matches!(e.body, CostBody::Receipt { .. }))?;
                let CostBody::Receipt { unit_cost, .. } = r.body else { return None };
                CostBody::LandedCost {
                    receipt: r.id,
                    amount: Money::new(Decimal::new(i64::from(*cents), 2), unit_cost.currency()),
                }
            }
            Step::Return { pick: p, n } => {
                let sale =
                    |e: &CostEvent| matches!(e.body, CostBody::Issue { to: IssueTo::Sale, .. });
                let r = pick(*p, &sale)?;
                let CostBody::Issue { site, item, qty, .. } = r.body else { return None };
                CostBody::CustomerReturn {
                    site,
                    item,
                    qty: Qty::new(Decimal::from(*n), qty.uom()).ok()?,
                    original: Some(r.id),
                    unit_cost: None,
                    owner: None,
                }
            }
            Step::Again { pick: p } => return pick(*p, &|_| true),
            Step::Close => return None,
        };
        Some(CostEvent { id, at: at(i64::try_from(id).unwrap() * 60 - back), body })
    }

    proptest! {
        /// The in-order path and the general path give the same result for every event
        /// (postings, outcome or error) and leave the same engine (its snapshot); so does
        /// [`Valuation::apply_batch`], the events between two closes in one batch.
        #[test]
        fn in_order_is_the_general_path(
            config in config(),
            steps in prop::collection::vec((step(), prop::bool::weighted(0.15), 1i64..7200), 1..250),
        ) {
            let mut fast = engine(config.clone());
            let mut batched = engine(config.clone());
            // The events since the last close, with what `apply` gave for each.
            let mut pending: Vec<(CostEvent, Result<Outcome, crate::ValuationError>)> = Vec::new();
            let mut into = engine(config.clone());
            let mut general = engine(config);
            let mut made: Vec<CostEvent> = Vec::new();
            // `apply_into`'s buffer, cleared only now and then: earlier lines stay put.
            let mut buffer: Vec<Posting> = Vec::new();
            for (k, (s, back_dated, back)) in steps.iter().enumerate() {
                let id = k as u64 + 1;
                if let Step::Close = s {
                    let through = at(i64::try_from(id).unwrap() * 60 - 3600);
                    let closed = general.close_period(through);
                    apply_batch_as(&mut batched, &mut pending)?;
                    prop_assert_eq!(batched.close_period(through), closed.clone());
                    prop_assert_eq!(fast.close_period(through), closed.clone());
                    prop_assert_eq!(into.close_period(through), closed);
                    continue;
                }
                let Some(ev) = event(s, id, if *back_dated { *back } else { 0 }, &made) else {
                    continue;
                };
                // Checked alone, as the network checks a receipt before its ledger
                // decides: the in-order path's dry run answers as the general check
                // and as the apply (and changes nothing: the snapshots below).
                let checked = fast.check_all(std::slice::from_ref(&ev));
                prop_assert_eq!(&checked, &general.check(&ev), "checking {:?}", ev);
                let a = fast.apply_with(&ev, true);
                let b = general.apply_with(&ev, false);
                prop_assert_eq!(&checked, &a.as_ref().map(|_| ()).map_err(Clone::clone));
                prop_assert_eq!(&a, &b, "event {:?}", ev);
                pending.push((ev.clone(), a.clone()));
                if k % 7 == 0 {
                    buffer.clear();
                }
                let before = buffer.clone();
                let c = into.apply_into(&ev, &mut buffer).map(|mut done| {
                    if let Outcome::Posted { postings, .. } = &mut done {
                        prop_assert!(postings.is_empty());
                        *postings = buffer.split_off(before.len());
                        buffer.extend(postings.iter().cloned());
                    }
                    Ok(done)
                });
                let c = match c { Ok(r) => Ok(r?), Err(e) => Err(e) };
                prop_assert_eq!(&c, &a, "event {:?} into a buffer", ev);
                prop_assert_eq!(buffer.get(..before.len()), Some(before.as_slice()));
                if c.is_err() {
                    prop_assert_eq!(buffer.len(), before.len());
                }
                if a.is_ok() && ev.id == id {
                    made.push(ev);
                }
            }
            prop_assert_eq!(fast.snapshot(), general.snapshot());
            prop_assert_eq!(fast.pools(), general.pools());
            prop_assert_eq!(into.snapshot(), general.snapshot());
            apply_batch_as(&mut batched, &mut pending)?;
            prop_assert_eq!(batched.snapshot(), general.snapshot());
        }
    }

    /// Applies the `pending` events to `v` in one [`Valuation::apply_batch`] and checks
    /// each result and the lines against what `apply` gave one at a time; empties
    /// `pending`.
    fn apply_batch_as(
        v: &mut Valuation,
        pending: &mut Vec<(CostEvent, Result<Outcome, crate::ValuationError>)>,
    ) -> Result<(), TestCaseError> {
        let events: Vec<CostEvent> = pending.iter().map(|(e, _)| e.clone()).collect();
        let (mut lines, mut got) = (Vec::new(), Vec::new());
        v.apply_batch(&events, &mut lines, |n, r| got.push((n, r)));
        let mut want_lines = Vec::new();
        prop_assert_eq!(got.len(), pending.len());
        for ((n, r), (k, (ev, want))) in got.into_iter().zip(pending.drain(..).enumerate()) {
            prop_assert_eq!(n, k);
            let want = want.map(|mut done| {
                if let Outcome::Posted { postings, .. } = &mut done {
                    want_lines.append(postings);
                }
                done
            });
            prop_assert_eq!(r, want, "event {:?} in a batch", ev);
        }
        prop_assert_eq!(lines, want_lines);
        Ok(())
    }

    #[test]
    fn the_largest_amount_is_a_whole_number() {
        assert_eq!(Decimal::from_i128_with_scale(MAX_WHOLE, 0), crate::MAX_AMOUNT);
        assert_eq!(exact_value(Decimal::new(125, 1), Decimal::new(3, 2), 2), None);
        assert_eq!(exact_value(Decimal::new(12, 0), Decimal::new(3, 1), 2), Some(360));
    }

    /// The in-order path, its lines in the outcome as [`Valuation::apply`] returns them.
    fn in_order(v: &mut Valuation, ev: &CostEvent) -> Option<Outcome> {
        let mut lines = Vec::new();
        let mut done = v.apply_in_order(ev, 0, &mut lines)?;
        if let Outcome::Posted { postings, .. } = &mut done {
            *postings = lines;
        }
        Some(done)
    }

    /// The workload's receipts and issues, once their pool exists, take the in-order
    /// path (so the property above compares it, not the general path with itself).
    #[test]
    fn receipts_and_issues_into_a_pool_take_the_in_order_path() {
        let mut v = engine(ValuationConfig::default());
        let receipt = |id: u64, q: &str, c: &str| CostEvent {
            id,
            at: at(i64::try_from(id).unwrap()),
            body: CostBody::Receipt {
                site: "ATL".parse().unwrap(),
                item: "BOLT-M8".parse().unwrap(),
                qty: q.parse().unwrap(),
                unit_cost: c.parse().unwrap(),
                owner: None,
            },
        };
        let sale = CostEvent {
            id: 3,
            at: at(3),
            body: CostBody::Issue {
                site: "ATL".parse().unwrap(),
                item: "BOLT-M8".parse().unwrap(),
                qty: "15 EA".parse().unwrap(),
                to: IssueTo::Sale,
                owner: None,
            },
        };
        // The first receipt makes the pool (the general path).
        assert!(in_order(&mut v.clone(), &receipt(1, "10 EA", "1.00 USD")).is_none());
        v.apply(&receipt(1, "10 EA", "1.00 USD")).unwrap();
        let mut general = v.clone();
        let r = in_order(&mut v, &receipt(2, "20 EA", "1.20 USD")).unwrap();
        assert_eq!(Ok(r), general.apply_with(&receipt(2, "20 EA", "1.20 USD"), false));
        let s = in_order(&mut v, &sale).unwrap();
        let issued = s.issued().unwrap();
        assert_eq!(Ok(s), general.apply_with(&sale, false));
        assert_eq!(issued.amount(), Decimal::new(1600, 2));
        // Not the in-order path: back-dated, in another unit, more than is held.
        let mut late = receipt(4, "1 EA", "1.00 USD");
        late.at = at(0);
        assert!(in_order(&mut v, &late).is_none());
        assert!(in_order(&mut v, &receipt(4, "1 CS", "1.00 USD")).is_none());
        let mut big = sale.clone();
        big.id = 4;
        big.at = at(4);
        if let CostBody::Issue { qty, .. } = &mut big.body {
            *qty = "16 EA".parse().unwrap();
        }
        assert!(in_order(&mut v, &big).is_none());
    }
}
