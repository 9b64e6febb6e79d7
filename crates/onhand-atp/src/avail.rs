//! The hot structure: per item-site availability over time, in integer units.
//!
//! Every item-site has a 24-byte [`Cell`] in one contiguous array (item-major, so an
//! item's sites sit side by side): what is free now, what is protected and for whom, and
//! the checking horizon. An item-site with future supply (receipts, transfers in transit)
//! or future-dated demand also has a small [`Timeline`] of change points; most have
//! none. Availability at a day `d` *with look-ahead* (cumulative ATP with backward
//! consumption) is the smallest free balance from `d` on, up to the checking horizon:
//!
//! ```text
//! avail(d) = now + min( cum(d), min{ cum(t) : d < t < fence } )      fence = today + horizon
//! avail(d) = unlimited                                              for d ≥ fence
//! ```
//!
//! where `cum(t)` is the net change (supply minus demand) effective by `t`. It never
//! decreases as `d` moves later, so the earliest date a quantity is available is found by
//! walking the change points once. Promising `q` at `d` lowers `cum` from `d` on, so it
//! never takes what an earlier-dated promise still needs later.
//!
//! **Protection is nested**: what lines urgent enough to use an item-site's protected
//! stock (priority up to `protect_up_to`) hold there counts against the protection first.
//! Less urgent demand may take what is free as long as what less urgent lines hold
//! together stays within the supply less the protected quantity:
//!
//! ```text
//! avail_less_urgent(d) = min( avail(d), now + min{ cum(t) + urgent(t) : d ≤ t < fence } − protected )
//! ```
//!
//! where `urgent(t)` is what urgent lines hold available by `t`. With nothing held by
//! urgent lines this is `avail(d) − protected`. So what a less urgent line may have does
//! not depend on whether urgent lines were served before or after it, and giving a less
//! urgent line its stock back and promising it again gives it back what it had.

use onhand_master::hash::{Map, map};
use smallvec::SmallVec;

/// Availability beyond the checking horizon. No real balance reaches it: an item-site
/// holds at most [`MAX_UNITS`](crate::MAX_UNITS).
pub(crate) const UNLIMITED: i64 = i64::MAX / 4;

/// One change point: from `day` on, the balance differs from `now` by `net`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Point {
    pub(crate) day: i32,
    pub(crate) net: i64,
}

/// An item-site's future change points, in day order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Timeline {
    pub(crate) points: SmallVec<[Point; 3]>,
    /// Supply added to the timeline and not removed, counted as added (folding it into
    /// the free stock when today moves past it does not lower this until the timeline
    /// empties): with the free stock, a bound on every balance the item-site can show.
    pub(crate) supply: i64,
}

/// An item-site's hot state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Cell {
    /// Free today: available on hand minus what today's and past promises take.
    pub(crate) now: i64,
    /// Stock protected for priorities up to `protect_up_to`.
    pub(crate) protected: i64,
    /// Timeline index plus one (0: none).
    pub(crate) timeline: u32,
    /// Checking horizon in days from today (0: none).
    pub(crate) horizon: u16,
    /// The least urgent priority (largest number) that may use protected stock; 0: no
    /// protection.
    pub(crate) protect_up_to: u8,
}

impl Cell {
    /// The protection that applies to a demand of `priority` (1 is most urgent).
    pub(crate) fn protection_for(&self, priority: u8) -> i64 {
        if self.protect_up_to != 0 && priority > self.protect_up_to { self.protected } else { 0 }
    }
}

impl Timeline {
    /// The net change effective by `day`.
    fn cum(&self, day: i32) -> i64 {
        let i = self.points.partition_point(|p| p.day <= day);
        i.checked_sub(1).and_then(|j| self.points.get(j)).map_or(0, |p| p.net)
    }
}

/// All cells, item-major, and the timelines they point to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Store {
    pub(crate) sites: usize,
    pub(crate) cells: Vec<Cell>,
    pub(crate) timelines: Vec<Timeline>,
    /// Per protected item-site (by cell): what lines that may use its protected stock
    /// hold there, as (availability day, units), in day order, no zero entries. Derived
    /// from the book, never saved.
    pub(crate) urgent: Map<usize, SmallVec<[(i32, i64); 2]>>,
}

impl Store {
    pub(crate) fn new(items: usize, sites: usize) -> Self {
        Store {
            sites,
            cells: vec![Cell::default(); items * sites],
            timelines: Vec::new(),
            urgent: map(),
        }
    }

    #[inline]
    pub(crate) fn index(&self, item: usize, site: usize) -> usize {
        item * self.sites + site
    }

    #[inline]
    pub(crate) fn cell(&self, ix: usize) -> Option<&Cell> {
        self.cells.get(ix)
    }

    fn timeline(&self, cell: &Cell) -> Option<&Timeline> {
        cell.timeline.checked_sub(1).and_then(|t| self.timelines.get(t as usize))
    }

    fn fence(cell: &Cell, today: i32) -> i32 {
        if cell.horizon == 0 { i32::MAX } else { today.saturating_add(i32::from(cell.horizon)) }
    }

    /// Free quantity at `day` with look-ahead, before protection.
    #[inline]
    pub(crate) fn avail(&self, ix: usize, today: i32, day: i32) -> i64 {
        let Some(cell) = self.cell(ix) else { return 0 };
        let fence = Self::fence(cell, today);
        let day = day.max(today);
        if day >= fence {
            return UNLIMITED;
        }
        let Some(tl) = self.timeline(cell) else { return cell.now };
        // One pass: the balance in force on `day`, and the least balance after it.
        let (mut cum, mut later) = (0, i64::MAX);
        for p in &tl.points {
            if p.day <= day {
                cum = p.net;
            } else if p.day < fence {
                later = later.min(p.net);
            } else {
                break;
            }
        }
        cell.now.saturating_add(cum.min(later))
    }

    /// Free quantity at `day` for a demand of `priority`: with look-ahead, less any stock
    /// protected from it (nested: see the module docs), never below zero.
    #[inline]
    pub(crate) fn avail_for(&self, ix: usize, today: i32, day: i32, priority: u8) -> i64 {
        let a = self.avail(ix, today, day);
        if a >= UNLIMITED {
            return a;
        }
        let prot = self.cell(ix).map_or(0, |c| c.protection_for(priority));
        if prot == 0 {
            return a.max(0);
        }
        self.protected_avail(ix, today, day, a, prot)
    }

    /// [`avail_for`](Self::avail_for) where `prot` (above zero) is protected from the
    /// demand and `a` is free (kept out of line: the point query stays small).
    #[cold]
    #[inline(never)]
    pub(crate) fn protected_avail(
        &self,
        ix: usize,
        today: i32,
        day: i32,
        a: i64,
        prot: i64,
    ) -> i64 {
        match self.urgent.get(&ix) {
            None => a.saturating_sub(prot).max(0),
            Some(held) => a.min(self.with_urgent(ix, today, day, held).saturating_sub(prot)).max(0),
        }
    }

    /// Availability at `day` with look-ahead, counting what urgent lines hold there
    /// (`held`) as free: the supply less what less urgent lines hold.
    fn with_urgent(&self, ix: usize, today: i32, day: i32, held: &[(i32, i64)]) -> i64 {
        let Some(cell) = self.cell(ix) else { return 0 };
        let fence = Self::fence(cell, today);
        let day = day.max(today);
        if day >= fence {
            return UNLIMITED;
        }
        let tl = self.timeline(cell);
        let points: &[Point] = tl.map_or(&[], |tl| &tl.points);
        let urgent_by = |t: i32| -> i64 {
            held.iter().take_while(|(d, _)| *d <= t).fold(0i64, |s, (_, u)| s.saturating_add(*u))
        };
        let cum = |t: i32| tl.map_or(0, |tl| tl.cum(t));
        let mut least = cum(day).saturating_add(urgent_by(day));
        for t in points.iter().map(|p| p.day).chain(held.iter().map(|(d, _)| *d)) {
            if t > day && t < fence {
                least = least.min(cum(t).saturating_add(urgent_by(t)));
            }
        }
        cell.now.saturating_add(least)
    }

    /// The earliest day from `from` on when a demand of `priority` may take `need`
    /// (see [`avail_for`](Self::avail_for)): `None` when it never may.
    pub(crate) fn earliest_for(
        &self,
        ix: usize,
        today: i32,
        from: i32,
        need: i64,
        priority: u8,
    ) -> Option<i32> {
        if need <= 0 {
            return self.cell(ix).map(|_| from.max(today));
        }
        let prot = self.cell(ix).map_or(0, |c| c.protection_for(priority));
        let Some(held) = self.urgent.get(&ix).filter(|_| prot > 0) else {
            return self.earliest(ix, today, from, need.saturating_add(prot));
        };
        // Both bounds only grow with the day: from the first day the free stock allows,
        // the first change point on which the nested bound allows too.
        let first = self.earliest(ix, today, from, need)?;
        let fits =
            |d: i32| self.with_urgent(ix, today, d, held).saturating_sub(prot).max(0) >= need;
        if fits(first) {
            return Some(first);
        }
        let mut days: SmallVec<[i32; 8]> = held.iter().map(|(d, _)| *d).collect();
        self.later_days(ix, today, first, |d| {
            days.push(d);
            false
        });
        days.retain(|d| *d > first);
        days.sort_unstable();
        days.dedup();
        days.into_iter().find(|d| fits(*d))
    }

    /// Records `delta` units held (negative: given back) at `day` by a line of
    /// `priority`, if that line may use the item-site's protected stock.
    pub(crate) fn hold(&mut self, ix: usize, day: i32, delta: i64, priority: u8) {
        let Some(cell) = self.cells.get(ix) else { return };
        if cell.protect_up_to == 0 || priority > cell.protect_up_to || delta == 0 {
            return;
        }
        let held = self.urgent.entry(ix).or_default();
        let i = held.partition_point(|(d, _)| *d < day);
        match held.get_mut(i) {
            Some(e) if e.0 == day => {
                e.1 = e.1.saturating_add(delta);
                if e.1 == 0 {
                    held.remove(i);
                }
            }
            _ => held.insert(i, (day, delta)),
        }
        if held.is_empty() {
            self.urgent.remove(&ix);
        }
    }

    /// The days at which availability may change after `from` (change points before the
    /// fence, then the fence), ascending; calls `f` for each until it returns `true`.
    pub(crate) fn later_days(
        &self,
        ix: usize,
        today: i32,
        from: i32,
        mut f: impl FnMut(i32) -> bool,
    ) {
        let Some(cell) = self.cell(ix) else { return };
        let fence = Self::fence(cell, today);
        if let Some(tl) = self.timeline(cell) {
            for p in &tl.points {
                if p.day > from && p.day < fence && f(p.day) {
                    return;
                }
            }
        }
        if fence != i32::MAX && fence > from {
            f(fence);
        }
    }

    /// The earliest day from `from` on when availability (with look-ahead) reaches
    /// `need`, in one pass over the change points: `None` when it never does. Beyond the
    /// fence supply is unlimited, so the fence is the latest answer there can be.
    pub(crate) fn earliest(&self, ix: usize, today: i32, from: i32, need: i64) -> Option<i32> {
        let cell = self.cell(ix)?;
        let fence = Self::fence(cell, today);
        let from = from.max(today);
        if from >= fence {
            return Some(from);
        }
        let at_fence = (fence != i32::MAX).then_some(fence);
        let points: &[Point] = self.timeline(cell).map_or(&[], |tl| &tl.points);
        // Availability on `d` is `now` plus the least balance from `d` on, so the answer
        // is the first candidate day after the last change point (before the fence) whose
        // balance is short of `need`.
        let target = need.saturating_sub(cell.now);
        let before_fence = points.partition_point(|p| p.day < fence);
        let live = points.get(..before_fence).unwrap_or(&[]);
        if let Some(last_short) = live.iter().rposition(|p| p.net < target) {
            return live.get(last_short + 1).map_or(at_fence, |p| Some(p.day.max(from)));
        }
        // Never short after a change point: short only before the first one, if at all.
        if target <= 0 || live.first().is_some_and(|p| p.day <= from) {
            Some(from)
        } else {
            live.first().map(|p| p.day).or(at_fence)
        }
    }

    /// Adds `delta` (supply: positive; demand: negative) effective from `day`.
    pub(crate) fn apply(&mut self, ix: usize, today: i32, day: i32, delta: i64) {
        let Some(cell) = self.cells.get_mut(ix) else { return };
        if day <= today {
            cell.now = cell.now.saturating_add(delta);
            return;
        }
        let t = if let Some(t) = cell.timeline.checked_sub(1) {
            t as usize
        } else {
            let t = self.timelines.len();
            self.timelines.push(Timeline::default());
            cell.timeline = u32::try_from(t + 1).unwrap_or(0);
            t
        };
        let Some(tl) = self.timelines.get_mut(t) else { return };
        let i = tl.points.partition_point(|p| p.day < day);
        let exists = tl.points.get(i).is_some_and(|p| p.day == day);
        if !exists {
            let before = i.checked_sub(1).and_then(|j| tl.points.get(j)).map_or(0, |p| p.net);
            tl.points.insert(i, Point { day, net: before });
        }
        for p in tl.points.iter_mut().skip(i) {
            p.net = p.net.saturating_add(delta);
        }
    }

    /// Supply on an item-site's timeline, as [`Timeline::supply`] counts it.
    pub(crate) fn supply(&self, ix: usize) -> i64 {
        self.cell(ix).and_then(|c| self.timeline(c)).map_or(0, |t| t.supply)
    }

    /// Counts `units` of supply added to (negative: removed from) an item-site's
    /// timeline, for the bound on its balances.
    pub(crate) fn count_supply(&mut self, ix: usize, units: i64) {
        let Some(t) = self.cells.get(ix).and_then(|c| c.timeline.checked_sub(1)) else { return };
        if let Some(tl) = self.timelines.get_mut(t as usize) {
            tl.supply = tl.supply.saturating_add(units).max(0);
        }
    }

    /// Drops the change point at `day` if it no longer changes anything (after a promise
    /// was given back), so dry runs leave timelines as they found them.
    pub(crate) fn prune(&mut self, ix: usize, day: i32) {
        let Some(t) = self.cells.get(ix).and_then(|c| c.timeline.checked_sub(1)) else { return };
        let Some(tl) = self.timelines.get_mut(t as usize) else { return };
        let i = tl.points.partition_point(|p| p.day < day);
        let before = i.checked_sub(1).and_then(|j| tl.points.get(j)).map_or(0, |p| p.net);
        if tl.points.get(i).is_some_and(|p| p.day == day && p.net == before) {
            tl.points.remove(i);
        }
    }

    /// Moves "today" to `new_today`: change points on or before it fold into `now`.
    pub(crate) fn advance(&mut self, new_today: i32) {
        for cell in &mut self.cells {
            let Some(t) = cell.timeline.checked_sub(1) else { continue };
            let Some(tl) = self.timelines.get_mut(t as usize) else { continue };
            let c = tl.cum(new_today);
            if c == 0 && tl.points.first().is_none_or(|p| p.day > new_today) {
                continue;
            }
            cell.now = cell.now.saturating_add(c);
            tl.points.retain(|p| p.day > new_today);
            for p in &mut tl.points {
                p.net = p.net.saturating_sub(c);
            }
            if tl.points.is_empty() {
                tl.supply = 0;
            }
        }
    }

    /// Calls `f(day, delta)` for each change point of an item-site's timeline, in day
    /// order: what the balance changes by on that day.
    pub(crate) fn changes(&self, ix: usize, mut f: impl FnMut(i32, i64)) {
        let Some(tl) = self.cell(ix).and_then(|c| self.timeline(c)) else { return };
        let mut prev = 0i64;
        for p in &tl.points {
            f(p.day, p.net.saturating_sub(prev));
            prev = p.net;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(now: i64) -> Store {
        let mut s = Store::new(1, 1);
        if let Some(c) = s.cells.get_mut(0) {
            c.now = now;
        }
        s
    }

    #[test]
    fn look_ahead_protects_later_promises() {
        let mut s = store(10);
        s.apply(0, 0, 5, 20); // a receipt of 20 on day 5
        s.apply(0, 0, 7, -25); // a promise of 25 on day 7
        // Today: 10 free, but day 7 needs 25 of the 30 by then: only 5 can go today.
        assert_eq!(s.avail(0, 0, 0), 5);
        assert_eq!(s.avail(0, 0, 5), 5);
        assert_eq!(s.avail(0, 0, 7), 5);
        s.apply(0, 0, 0, -5);
        assert_eq!(s.avail(0, 0, 0), 0);
        assert_eq!(s.avail(0, 0, 9), 0);
    }

    #[test]
    fn availability_never_decreases_with_the_date() {
        let mut s = store(3);
        for (day, delta) in [(2, 4), (4, -6), (6, 10), (8, -2), (3, -1)] {
            s.apply(0, 0, day, delta);
        }
        let mut prev = i64::MIN;
        for d in 0..12 {
            let a = s.avail(0, 0, d);
            assert!(a >= prev, "day {d}: {a} < {prev}");
            prev = a;
        }
    }

    #[test]
    fn the_horizon_fences_off_later_shortages() {
        let mut s = store(5);
        if let Some(c) = s.cells.get_mut(0) {
            c.horizon = 10;
        }
        s.apply(0, 0, 12, -100); // promised beyond the horizon: assumed supply covers it
        assert_eq!(s.avail(0, 0, 0), 5);
        assert_eq!(s.avail(0, 0, 10), UNLIMITED);
        let mut days = Vec::new();
        s.later_days(0, 0, 0, |d| {
            days.push(d);
            false
        });
        assert_eq!(days, vec![10]);
    }

    #[test]
    fn protection_applies_to_less_urgent_demand_only() {
        let mut s = store(10);
        if let Some(c) = s.cells.get_mut(0) {
            c.protected = 4;
            c.protect_up_to = 2;
        }
        assert_eq!(s.avail_for(0, 0, 0, 1), 10);
        assert_eq!(s.avail_for(0, 0, 0, 2), 10);
        assert_eq!(s.avail_for(0, 0, 0, 3), 6);
    }

    /// A deterministic generator: each call draws a number below `n`.
    fn xorshift(mut seed: u64) -> impl FnMut(u64) -> i64 {
        move |n| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            i64::try_from(seed % n).unwrap()
        }
    }

    /// What urgent lines hold counts against the protection first; what less urgent
    /// lines hold does not.
    #[test]
    fn protection_is_nested() {
        let protected = |urgent: bool| {
            let mut s = store(40);
            if let Some(c) = s.cells.get_mut(0) {
                c.protected = 30;
                c.protect_up_to = 1;
            }
            let priority = if urgent { 1 } else { 5 };
            s.apply(0, 0, 0, -20);
            s.hold(0, 0, 20, priority);
            s
        };
        // An urgent line took 20 of the 30 kept for it: 10 of the 20 free are not kept.
        let s = protected(true);
        assert_eq!((s.avail_for(0, 0, 0, 1), s.avail_for(0, 0, 0, 5)), (20, 10));
        // A less urgent line took 20: all 20 free are kept.
        let s = protected(false);
        assert_eq!((s.avail_for(0, 0, 0, 1), s.avail_for(0, 0, 0, 5)), (20, 0));
        assert!(s.urgent.is_empty(), "less urgent holdings are not counted");
        // Given back, the urgent holding is gone without a trace.
        let mut s = protected(true);
        s.apply(0, 0, 0, 20);
        s.hold(0, 0, -20, 1);
        assert!(s.urgent.is_empty());
        assert_eq!(s.avail_for(0, 0, 0, 5), 10);
    }

    /// The nested bound with dated supply and holdings, and `earliest_for`, agree with
    /// the definition evaluated day by day.
    #[test]
    fn nested_protection_matches_its_definition_day_by_day() {
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        for _ in 0..3_000 {
            let mut s = store(next(20));
            let prot = next(12);
            if let Some(c) = s.cells.get_mut(0) {
                c.horizon = u16::try_from(next(3) * 8).unwrap();
                c.protected = prot;
                c.protect_up_to = 2;
            }
            let mut urgent: Vec<(i32, i64)> = Vec::new();
            for _ in 0..next(6) {
                let day = i32::try_from(next(16)).unwrap();
                let units = next(15);
                if next(2) == 0 {
                    s.apply(0, 0, day, units); // supply
                } else {
                    s.apply(0, 0, day, -units); // a promise, urgent or not
                    let priority = if next(2) == 0 { 1 } else { 4 };
                    s.hold(0, day, units, priority);
                    if priority == 1 {
                        urgent.push((day, units));
                    }
                }
            }
            let fence = s.cells[0].horizon;
            let fence = if fence == 0 { 40 } else { i32::from(fence) };
            for d in 0..30 {
                let a = s.avail(0, 0, d);
                // The balance by `t` with what urgent lines hold counted as free.
                let bal = |t: i32| -> i64 {
                    let mut c = s.cells[0].now;
                    s.changes(0, |day, delta| {
                        if day <= t {
                            c += delta;
                        }
                    });
                    c + urgent.iter().filter(|(u, _)| *u <= t).map(|(_, q)| q).sum::<i64>()
                };
                let want = if d >= fence {
                    UNLIMITED
                } else {
                    a.min((d..fence).map(bal).min().unwrap_or(0) - prot).max(0)
                };
                assert_eq!(s.avail_for(0, 0, d, 4), want, "day {d}: {s:?}");
                assert_eq!(s.avail_for(0, 0, d, 1), a.max(0), "urgent demand sees it all");
            }
            let from = i32::try_from(next(14)).unwrap();
            let need = next(25);
            let brute = (from..60).find(|&d| s.avail_for(0, 0, d, 4) >= need);
            assert_eq!(s.earliest_for(0, 0, from, need, 4), brute, "{s:?} from {from} need {need}");
        }
    }

    /// The one-pass `earliest` agrees with trying every candidate day in turn.
    #[test]
    fn earliest_matches_a_day_by_day_search() {
        let mut next = xorshift(0x2545_f491_4f6c_dd1d);
        for _ in 0..5_000 {
            let mut s = store(next(20) - 5);
            if let Some(c) = s.cells.get_mut(0) {
                c.horizon = u16::try_from(next(3) * 6).unwrap();
            }
            for _ in 0..next(6) {
                let day = i32::try_from(next(16)).unwrap();
                s.apply(0, 0, day, next(30) - 18);
            }
            let from = i32::try_from(next(14)).unwrap() - 1;
            let need = next(25) - 3;
            let brute = (from.max(0)..40).find(|&d| s.avail(0, 0, d) >= need);
            assert_eq!(s.earliest(0, 0, from, need), brute, "{s:?} from {from} need {need}");
        }
    }

    #[test]
    fn advancing_today_folds_past_points() {
        let mut s = store(1);
        s.apply(0, 0, 2, 5);
        s.apply(0, 0, 4, -3);
        s.advance(3);
        assert_eq!(s.cells[0].now, 6);
        assert_eq!(s.avail(0, 3, 3), 3);
        assert_eq!(s.timelines[0].points.as_slice(), &[Point { day: 4, net: -3 }]);
        let mut changes = Vec::new();
        s.changes(0, |day, delta| changes.push((day, delta)));
        assert_eq!(changes, [(4, -3)]);
    }
}
