//! Picks and their reversals: [`onhand_atp::Atp::consume`] and
//! [`onhand_atp::Atp::restore_consumed`].
//!
//! The model states what each does from its own books (the schedule lines it
//! remembers for the line, its requested quantity, the stock on hand):
//!
//! - a pick of `qty` of `item` at `site` uses up the line's schedule lines there, earliest
//!   (availability, delivery) first, in whole covered units; each covered unit lowers the
//!   requested quantity by one. What is left (taken from free stock) lowers the requested
//!   quantity by what it covers (none for an item that is neither the ordered one nor one
//!   of its substitutes), never below zero; confirmations the line then no longer needs
//!   are given back, latest (delivery, availability) first. It returns what it used.
//!   The quota use of what it used stays (served demand), and so does the supply it
//!   counts against; the stock on hand then goes down by `qty`;
//! - its reversal holds what the pick used again from today at that site (delivered
//!   after the lane's lead time), unless the line has no room for another schedule line,
//!   and raises the requested quantity by what the pick took off it (at least what the
//!   used part covers). The quota use the line's picks of that item kept goes, as much
//!   as the pick used, the latest confirmation day first; what is held again counts in
//!   today's period; the stock on hand goes up by `qty` again.
//!
//! Schedule lines tied on (delivery, availability) at different item-sites may be trimmed
//! in either order: the checks then hold the tie's total and that no line grew.

use super::books::{Booking, Key, Rec};
use super::{
    BTreeMap, Decimal, DemandClass, ErrKind, Harness, LineId, PickQty, Qty, QtySpec,
    expect_outcome, offset,
};

/// A pick performed, that a reversal may undo.
#[derive(Debug, Clone)]
pub(crate) struct Consumed {
    pub(crate) line: LineId,
    pub(crate) item: usize,
    pub(crate) site: usize,
    /// Base steps of `item` that left.
    pub(crate) qty: i128,
    /// What `consume` returned: base steps of `item` the line had confirmed there.
    pub(crate) used: Decimal,
    /// What it took off the line's requested quantity (the ordered item's base units,
    /// `requested` before less after, as the facade records it).
    pub(crate) served: Decimal,
    /// When the units it used were first seen (the oldest): held again, they are the
    /// same allocation.
    pub(crate) step: u64,
}

/// Quota use a pick keeps: `qty` of `item` for `line`, of `class`, confirmed for `day`.
#[derive(Debug, Clone)]
pub(crate) struct Kept {
    pub(crate) line: LineId,
    pub(crate) item: usize,
    pub(crate) class: DemandClass,
    pub(crate) day: i64,
    pub(crate) qty: i128,
}

/// What a pick does to a line, by the model.
struct Picked {
    /// Base steps of the picked item the line had confirmed there.
    used: i128,
    /// The line's requested quantity after.
    requested: i128,
    /// Its schedule after the pick, before confirmations it no longer needs go.
    used_up: BTreeMap<Key, i128>,
    /// Its schedule after.
    after: BTreeMap<Key, i128>,
    /// The schedule lines it used, and how much of each.
    taken: Vec<(Key, i128)>,
}

impl Harness {
    /// Units of `shipped` that stand for one unit of the `ordered` item, in base steps:
    /// one for the item itself; for a substitute whose ratio is a whole number, the
    /// ratio shifted by the difference of their scales (none when the substitute counts
    /// coarser); `None` for another item.
    pub(crate) fn per_cover(&self, ordered: usize, shipped: usize) -> Option<i128> {
        if ordered == shipped {
            return Some(1);
        }
        let (o, s) = (&self.world.items[ordered], &self.world.items[shipped]);
        let ratio = o.subs.iter().find(|(i, _)| *i == shipped)?.1.normalize();
        if ratio.scale() != 0 || s.scale < o.scale {
            return None;
        }
        let per = ratio.mantissa().checked_mul(10i128.checked_pow(s.scale - o.scale)?)?;
        (per > 0).then_some(per)
    }

    /// The line's schedule as the model remembers it, per item-site and dates.
    fn held_lines(b: &Booking) -> BTreeMap<Key, i128> {
        b.recs
            .iter()
            .map(|(k, r)| (*k, r.iter().map(|r| r.qty).sum::<i128>()))
            .filter(|(_, q)| *q > 0)
            .collect()
    }

    fn covered(&self, ordered: usize, lines: &BTreeMap<Key, i128>) -> i128 {
        lines.iter().map(|(k, q)| q / self.per_cover(ordered, k.0).unwrap_or(1)).sum()
    }

    /// What picking `qty` base steps of `item` at `site` does to `b`.
    fn pick_effect(&self, b: &Booking, item: usize, site: usize, qty: i128) -> Picked {
        let ordered = b.item;
        let per = |k: &Key| self.per_cover(ordered, k.0).unwrap_or(1);
        let mut lines = Self::held_lines(b);
        let mut requested = b.qty;
        let (mut left, mut used, mut taken) = (qty, 0i128, Vec::new());
        // Keys order by (item, site, availability, delivery): earliest first.
        for (k, q) in lines.iter_mut().filter(|(k, _)| k.0 == item && k.1 == site) {
            if left == 0 {
                break;
            }
            let p = per(k);
            let c = (left / p).min(*q / p);
            if c == 0 {
                continue;
            }
            *q -= c * p;
            requested -= c;
            left -= c * p;
            used += c * p;
            taken.push((*k, c * p));
        }
        lines.retain(|_, q| *q > 0);
        let used_up = lines.clone();
        if left > 0
            && let Some(p) = self.per_cover(ordered, item)
        {
            requested -= (left / p).min(requested).max(0);
            let mut cut = self.covered(ordered, &lines) - requested;
            let mut order: Vec<Key> = lines.keys().copied().collect();
            order.sort_by_key(|k| std::cmp::Reverse((k.3, k.2)));
            for k in order {
                if cut <= 0 {
                    break;
                }
                let p = per(&k);
                let q = lines.get_mut(&k).expect("a key of the map");
                let c = cut.min(*q / p);
                *q -= c * p;
                cut -= c;
            }
            lines.retain(|_, q| *q > 0);
        }
        Picked { used, requested, used_up, after: lines, taken }
    }

    /// The engine's schedule of a booked line, per item-site and dates.
    fn engine_lines(&self, id: LineId) -> BTreeMap<Key, i128> {
        let p = self.atp.booked(id).expect("booked");
        let mut out: BTreeMap<Key, i128> = BTreeMap::new();
        for l in p.schedule() {
            assert!(l.qty > Decimal::ZERO, "{id}: an empty schedule line: {p:?}");
            let item = l.item.index();
            let key = (item, l.site.index(), offset(l.available_on), offset(l.delivery));
            *out.entry(key).or_default() += self.steps(item, l.qty).expect("whole steps");
        }
        out
    }

    /// The engine's schedule of `id` is `want`, except that schedule lines tied on
    /// (delivery, availability) may have been trimmed in either order: per tie the
    /// covered total is `want`'s, and no line holds more than in `bound`.
    fn check_trimmed(
        &self,
        what: &str,
        id: LineId,
        ordered: usize,
        bound: &BTreeMap<Key, i128>,
        want: &BTreeMap<Key, i128>,
    ) {
        let got = self.engine_lines(id);
        let per = |k: &Key| self.per_cover(ordered, k.0).unwrap_or(1);
        let mut tiers: BTreeMap<(i64, i64), (usize, i128, i128)> = BTreeMap::new();
        for k in bound.keys() {
            tiers.entry((k.3, k.2)).or_default().0 += 1;
        }
        for (k, q) in &got {
            assert!(
                *q <= bound.get(k).copied().unwrap_or(0),
                "{what} {id}: {k:?} holds {q}, more than before the trim: {got:?} vs {bound:?}"
            );
            tiers.entry((k.3, k.2)).or_default().1 += q / per(k);
        }
        for (k, q) in want {
            tiers.entry((k.3, k.2)).or_default().2 += q / per(k);
        }
        for (t, (keys, g, w)) in &tiers {
            assert_eq!(
                g, w,
                "{what} {id}: covered on (delivery, availability) {t:?}: {got:?}, model {want:?}"
            );
            if *keys <= 1 {
                let only = |m: &BTreeMap<Key, i128>| -> Vec<(Key, i128)> {
                    m.iter().filter(|(k, _)| (k.3, k.2) == *t).map(|(k, q)| (*k, *q)).collect()
                };
                assert_eq!(only(&got), only(want), "{what} {id}: schedule on {t:?}");
            }
        }
    }

    /// Which item and site a pick is of (see [`Op::Consume`]).
    fn pick_source(
        &self,
        id: LineId,
        source: u8,
        item: u8,
        site: u8,
    ) -> (Option<usize>, Option<usize>) {
        let b = self.book.get(&id);
        let ordered = b.map(|b| b.item).or_else(|| self.item(item));
        let keys: Vec<Key> =
            b.map(|b| Self::held_lines(b).into_keys().collect()).unwrap_or_default();
        match source {
            0..200 if !keys.is_empty() => {
                let k = keys[usize::from(source) % keys.len()];
                (Some(k.0), Some(k.1))
            }
            0..225 => (ordered, self.site(site)),
            225..250 => {
                let subs = ordered.map(|o| &self.world.items[o].subs);
                let sub = subs.filter(|s| !s.is_empty()).map(|s| s[usize::from(item) % s.len()].0);
                (sub.or(ordered), self.site(site))
            }
            _ => (self.item(item), self.site(site)),
        }
    }

    /// Base steps on hand at an item-site.
    fn on_hand(&self, item: usize, site: usize) -> i128 {
        self.supply.get(&(item, site)).map_or(0, |s| s.at(self.today)).max(0)
    }

    /// `steps` of an item in its base unit.
    fn base_qty(&self, item: usize, steps: i128) -> Qty {
        Qty::new(self.decimal(item, steps), self.world.items[item].base).expect("non-negative")
    }

    /// The stock on hand at an item-site set to `to` base steps in engine and model, as
    /// a stock movement does. `lowers`: whether lines taken before may now stand on
    /// stock that is not there (their over-allocation is then no longer checked).
    fn stock_moved(&mut self, item: usize, site: usize, to: i128, lowers: bool) {
        let (ic, sc) = (self.item_code(Some(item)), self.site_code(Some(site)));
        let q = self.base_qty(item, to);
        self.atp.set_available(&ic, &sc, q).expect("stock on hand of a known item-site");
        let today = self.today;
        let sup = self.supply.entry((item, site)).or_default();
        let before = sup.at(today);
        sup.base = to;
        sup.receipts.retain(|(d, _)| *d > today);
        if lowers {
            self.lowered.insert((item, site), self.step);
        }
        self.quota_supply_changed(item, None, to - before);
    }

    /// The quantity a pick of `item` at `site` for `id` takes (see [`PickQty`]).
    fn pick_qty(&self, id: LineId, item: Option<usize>, site: Option<usize>, how: PickQty) -> Qty {
        let (Some(it), Some(st)) = (item, site) else {
            return match how {
                PickQty::Raw(spec) => self.qty(item, spec),
                PickQty::Held(_) | PickQty::Beyond(_) => self.qty(item, QtySpec::base(1)),
            };
        };
        let held: i128 = self.book.get(&id).map_or(0, |b| {
            Self::held_lines(b).iter().filter(|(k, _)| k.0 == it && k.1 == st).map(|(_, q)| q).sum()
        });
        let on_hand = self.on_hand(it, st);
        match how {
            PickQty::Held(pct) => self.base_qty(it, (held * i128::from(pct) / 100).min(on_hand)),
            PickQty::Beyond(more) => self.base_qty(it, (held + i128::from(more)).min(on_hand)),
            PickQty::Raw(spec) => {
                let qty = self.qty(item, spec);
                match self.base_steps(it, qty) {
                    Ok(steps) if steps > on_hand => self.base_qty(it, on_hand),
                    _ => qty,
                }
            }
        }
    }

    pub(crate) fn consume(&mut self, pick: u8, source: u8, item: u8, site: u8, how: PickQty) {
        let id = self.pick(pick);
        let (it, st) = self.pick_source(id, source, item, site);
        let (ic, sc) = (self.item_code(it), self.site_code(st));
        let qty = self.pick_qty(id, it, st, how);
        let expected = (|| {
            let it = it.ok_or(ErrKind::UnknownItem)?;
            let st = st.ok_or(ErrKind::UnknownSite)?;
            let steps = self.base_steps(it, qty)?;
            if !self.book.contains_key(&id) {
                return Err(ErrKind::UnknownLine);
            }
            Ok((it, st, steps))
        })();
        let before = self.atp.booked(id);
        let requested_before = self.atp.requested(id);
        let got = self.atp.consume(id, &ic, &sc, qty);
        expect_outcome("consume", &expected, &got);
        let (Ok((it, st, steps)), Ok(used)) = (expected, got) else {
            assert_eq!(self.atp.booked(id), before, "a refused pick changed {id}");
            return;
        };
        let what = format!("consume {qty} of {ic} at {sc}");
        let effect = self.check_pick(&what, id, it, st, steps, used);
        let served =
            requested_before.unwrap_or_default() - self.atp.requested(id).unwrap_or_default();
        self.book_pick(id, it, st, steps, &effect, used, served);
    }

    /// Checks the engine's answer and the line after a pick against the model's.
    fn check_pick(
        &self,
        what: &str,
        id: LineId,
        item: usize,
        site: usize,
        steps: i128,
        used: Decimal,
    ) -> Picked {
        let b = self.book.get(&id).expect("booked");
        let ordered = b.item;
        let effect = self.pick_effect(b, item, site, steps);
        let want_used = self.decimal(item, effect.used);
        assert_eq!(used, want_used, "{what} for {id}: what its confirmation covered");
        let requested = self.decimal(ordered, effect.requested);
        assert_eq!(self.atp.requested(id), Some(requested), "{what}: {id} requested");
        let promise = self.atp.booked(id).expect("booked");
        assert_eq!(promise.requested, requested, "{what}: {id} promise requested");
        let confirmed = self.decimal(ordered, self.covered(ordered, &effect.after));
        assert_eq!(promise.confirmed, confirmed, "{what}: {id} confirmed");
        self.check_trimmed(what, id, ordered, &effect.used_up, &effect.after);
        effect
    }

    /// The model's books after a pick the engine agreed on; the stock then leaves.
    #[allow(clippy::too_many_arguments, reason = "the pick, as the engine was given it")]
    fn book_pick(
        &mut self,
        id: LineId,
        item: usize,
        site: usize,
        steps: i128,
        effect: &Picked,
        used: Decimal,
        served: Decimal,
    ) {
        let b = self.book.get(&id).expect("booked");
        // Units taken from lines available today and counted by the checks, and nothing
        // beyond: the balance at the item-site is what it was on every day. Otherwise the
        // pick took stock other lines may stand on.
        let since = self.lowered.get(&(item, site)).copied().unwrap_or(0);
        let counted = effect
            .taken
            .iter()
            .all(|(k, _)| k.2 <= self.today && b.recs[k].iter().all(|r| r.step > since));
        let clean = effect.used == steps && counted;
        let oldest = effect.taken.iter().flat_map(|(k, _)| b.recs[k].iter().map(|r| r.step)).min();
        let class = b.line.class.clone();
        for (k, q) in &effect.taken {
            self.kept.push(Kept { line: id, item: k.0, class: class.clone(), day: k.2, qty: *q });
        }
        let b = self.book.get_mut(&id).expect("booked");
        if effect.requested != b.qty || effect.used > 0 {
            b.reduced = true;
        }
        b.qty = effect.requested;
        if !used.is_zero() || !served.is_zero() {
            self.consumed.push(Consumed {
                line: id,
                item,
                site,
                qty: steps,
                used,
                served,
                step: oldest.unwrap_or(self.step),
            });
        }
        // What it used stays in the period's supply for quota shares.
        self.quota_supply_changed(item, None, effect.used);
        // The stock leaves. Protected stock a more urgent line held left with it: less
        // urgent lines taken before are not held to the protection from here.
        if steps > 0
            && let Some(p) = self.protection.get_mut(&(item, site))
        {
            p.since = self.step;
        }
        let to = (self.on_hand(item, site) - steps).max(0);
        self.stock_moved(item, site, to, !clean);
    }

    pub(crate) fn restore_consumed(&mut self, pick: u8) {
        if self.consumed.is_empty() {
            return;
        }
        let c = self.consumed.remove(usize::from(pick) % self.consumed.len());
        let b = self.book.get(&c.line).expect("a pick's line is booked");
        let ordered = b.item;
        let (ic, sc) = (self.item_code(Some(c.item)), self.site_code(Some(c.site)));
        let used_qty = Qty::new(c.used, self.world.items[c.item].base).expect("non-negative");
        let used = self.steps(c.item, c.used).expect("whole steps");
        let served = self.steps(ordered, c.served).expect("whole steps");
        let expected = (|| {
            let per = self.per_cover(ordered, c.item).ok_or(ErrKind::InvalidClaim)?;
            let covers = used / per;
            let asked = b.qty + served.max(covers);
            if asked > i128::from(onhand_atp::MAX_UNITS) {
                return Err(ErrKind::InvalidClaim);
            }
            Ok((covers, covers * per, asked))
        })();
        let before = Self::held_lines(b);
        let got = self.atp.restore_consumed(c.line, &ic, &sc, used_qty, c.served);
        expect_outcome("restore_consumed", &expected, &got);
        let what = format!("restore_consumed {} of {ic} at {sc} (served {})", c.used, c.served);
        if let Ok((covers, units, asked)) = expected {
            // Only what the line had confirmed at a site serving it is held again.
            let held = (units > 0).then(|| {
                let lead =
                    self.world.lead(c.site, &b.line.ship_to).expect("a site serving the line");
                let key = (c.item, c.site, self.today, self.today + lead);
                let fits =
                    before.contains_key(&key) || before.len() < onhand_atp::MAX_SCHEDULE_LINES;
                (key, fits)
            });
            let fits = held.is_some_and(|(_, f)| f);
            let mut want = before.clone();
            if let Some((key, true)) = held {
                *want.entry(key).or_default() += units;
            }
            assert_eq!(
                self.atp.requested(c.line),
                Some(self.decimal(ordered, asked)),
                "{what}: {} requested",
                c.line
            );
            let p = self.atp.booked(c.line).expect("booked");
            let covered = self.covered(ordered, &before) + if fits { covers } else { 0 };
            assert_eq!(p.confirmed, self.decimal(ordered, covered), "{what}: {} confirmed", c.line);
            assert_eq!(self.engine_lines(c.line), want, "{what}: {} schedule", c.line);
            let b = self.book.get_mut(&c.line).expect("booked");
            b.qty = asked;
            b.reduced = true;
            if let Some((key, true)) = held {
                // The same allocation held again: as old as the units the pick used.
                b.recs.entry(key).or_default().push(Rec { qty: units, step: c.step });
            }
            // The quota use the line's picks of this item kept goes with the stock that
            // came back, as much as the pick used, the latest confirmation day first
            // (the engine does not tell one pick's days from another's); what is held
            // again counts in today's period as a schedule line.
            let mut back = used;
            let mut mine: Vec<&mut Kept> =
                self.kept.iter_mut().filter(|k| k.line == c.line && k.item == c.item).collect();
            mine.sort_by_key(|k| std::cmp::Reverse(k.day));
            for k in mine {
                let take = back.min(k.qty);
                k.qty -= take;
                back -= take;
            }
            self.kept.retain(|k| k.qty > 0);
            // The stock coming back adds what the pick kept to the period's supply again.
            self.quota_supply_changed(c.item, None, -used);
        }
        let to = self.on_hand(c.item, c.site) + c.qty;
        self.stock_moved(c.item, c.site, to, false);
    }
}
