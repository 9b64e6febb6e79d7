//! Backorder re-processing: when supply or priorities change, re-check every booked line
//! in a deterministic order, segment by segment, and report who gains and who loses.
//!
//! Lines are served in the order priority, requested date, creation order, id, within
//! each strategy segment, and the segments go in this order:
//!
//! | strategy | what happens |
//! |---|---|
//! | win | released and promised first, before every other line |
//! | gain | keeps its confirmation (it is never released) and tries to improve what is missing |
//! | redistribute | released and promised again: may gain or lose |
//! | fill | keeps its schedule if every line of it can still be had (same item, site and day); otherwise released and promised again, but only up to what it had: may lose, never gains |
//! | lose | released: gives everything up |
//!
//! With [`Sharing::FairShare`], redistribute lines that compete for the same item and
//! region at the same priority and requested date split short supply in proportion to
//! what they ask for, rounded to whole units max-min fair ([`fair_share`], the rule of
//! `onhand-replenish`'s fair share), instead of first come, first served. A line that
//! may not be split is never confirmed in part: it gets all it asks or nothing, in
//! serve order, and the lines that may be split share the rest.
//!
//! Re-processing is deterministic, and running it twice changes nothing the second
//! time: not the confirmations and not the schedules (the reasons a line was held back
//! describe the run that promised it, so they may read differently). [`Mode::Simulate`]
//! computes the same result and leaves the engine as it was.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::demand::{LineId, ServeKey, Strategy};
use crate::engine::{Atp, Demand};
use crate::promise::{Promise, RawPromise};
use crate::share::{Sharing, fair_share};
use crate::units::Day;

/// Whether re-processing changes the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Apply the new confirmations.
    Apply,
    /// Compute them and the diff, change nothing.
    Simulate,
}

/// How one line's confirmation changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The line.
    pub line: LineId,
    /// Its strategy.
    pub strategy: Strategy,
    /// Confirmed before (ordered item's base units).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub before: Decimal,
    /// Confirmed after.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub after: Decimal,
    /// Last delivery date before.
    pub before_delivery: Option<NaiveDate>,
    /// Last delivery date after.
    pub after_delivery: Option<NaiveDate>,
}

impl Change {
    /// What the line gained (zero if it lost).
    ///
    /// ```
    /// use onhand_atp::{Change, LineId, Strategy};
    /// let c = Change { line: LineId(1), strategy: Strategy::Redistribute, before: 10.into(), after: 25.into(),
    ///                  before_delivery: None, after_delivery: None };
    /// assert_eq!((c.gained(), c.lost()), (15.into(), 0.into()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn gained(&self) -> Decimal {
        (self.after - self.before).max(Decimal::ZERO)
    }

    /// What the line lost (zero if it gained).
    ///
    /// ```
    /// use onhand_atp::{Change, LineId, Strategy};
    /// let c = Change { line: LineId(1), strategy: Strategy::Lose, before: 10.into(), after: 0.into(),
    ///                  before_delivery: None, after_delivery: None };
    /// assert_eq!((c.lost(), c.gained()), (10.into(), 0.into()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn lost(&self) -> Decimal {
        (self.before - self.after).max(Decimal::ZERO)
    }
}

/// The outcome of a re-processing run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reprocess {
    /// Every booked line's new promise, in serve order.
    pub promises: Vec<Promise>,
    /// The lines whose confirmed quantity or last delivery date changed, in serve order.
    pub changes: Vec<Change>,
    /// Whether the engine now holds the new confirmations.
    pub applied: bool,
}

impl Atp {
    /// Re-checks every booked line against current supply (see the module docs).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use onhand_atp::{Atp, AtpConfig, Claim, LineId, Mode, OrderLine, Sharing, Strategy};
    /// use onhand_master::{seed, Catalog};
    /// use chrono::NaiveDate;
    ///
    /// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// let day = |d| NaiveDate::from_ymd_opt(2026, 1, d).ok_or("date");
    /// let mut atp = Atp::new(catalog, AtpConfig::default(), day(5)?)?;
    /// atp.set_available(&"NUT-M8".parse()?, &"ORD".parse()?, "100 EA".parse()?)?;
    /// let line = |id, prio| -> Result<OrderLine, Box<dyn std::error::Error>> {
    ///     let mut l = OrderLine::new(LineId(id), "NUT-M8".parse()?, "100 EA".parse()?, day(9)?, "US-MW".parse()?);
    ///     l.priority = prio;
    ///     Ok(l)
    /// };
    /// atp.allocate(&line(1, 5)?, Claim::Hard)?; // the first line takes all 100
    /// atp.allocate(&line(2, 1)?, Claim::Hard)?; // a more urgent line arrives: nothing left
    /// let run = atp.reprocess(Mode::Simulate, Sharing::FirstCome);
    /// let moves: Vec<(u64, String, String)> =
    ///     run.changes.iter().map(|c| (c.line.0, c.before.to_string(), c.after.to_string())).collect();
    /// assert_eq!(moves, [(2, "0".into(), "100".into()), (1, "100".into(), "0".into())]);
    /// assert_eq!(atp.booked(LineId(1)).ok_or("line")?.confirmed.to_string(), "100", "simulation changes nothing");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reprocess(&mut self, mode: Mode, sharing: Sharing) -> Reprocess {
        let saved = (mode == Mode::Simulate)
            .then(|| (self.store.clone(), self.quotas.clone(), self.book.clone()));
        // Serve order over the book's slab positions, group by group (an item with the
        // items linked to it by substitution): groups share no state, so this is the
        // outcome of one serve order over all lines, with each group's lines together
        // (and in cache).
        let mut order: Vec<(u32, ServeKey, u32, Strategy)> = self
            .book
            .positions()
            .map(|(ix, b)| (self.group_of(b.demand.item), b.demand.key(), ix, b.demand.strategy))
            .collect();
        order.sort_unstable();
        // Release everything but the gain lines, keeping the old promises.
        let mut old: Vec<RawPromise> = Vec::with_capacity(order.len());
        for (_, _, ix, strategy) in &order {
            if *strategy == Strategy::Gain {
                old.push(self.book.at(*ix).map(|b| b.promise.clone()).unwrap_or_default());
                continue;
            }
            let Some((d, p)) = self.book.take_promise(*ix) else {
                old.push(RawPromise::default());
                continue;
            };
            self.give_back(&d, &p);
            old.push(p);
        }
        let segment = |s: Strategy| -> Vec<(usize, u32)> {
            order
                .iter()
                .enumerate()
                .filter(|(_, (_, _, _, st))| *st == s)
                .map(|(k, (_, _, ix, _))| (k, *ix))
                .collect()
        };
        for (_, ix) in segment(Strategy::Win) {
            self.refill_at(ix, None);
        }
        for (_, ix) in segment(Strategy::Gain) {
            self.improve_at(ix, None);
        }
        let redistribute: Vec<u32> =
            segment(Strategy::Redistribute).into_iter().map(|(_, ix)| ix).collect();
        match sharing {
            Sharing::FairShare => self.share_fairly(&redistribute),
            Sharing::FirstCome => {
                for ix in redistribute {
                    self.refill_at(ix, None);
                }
            }
        }
        for (k, ix) in segment(Strategy::Fill) {
            let Some(before) = old.get(k) else { continue };
            if before.confirmed == 0 {
                // Nothing to keep, and a fill line gains nothing: what held it back still
                // explains it.
                if let Some(mut b) = self.book.at_mut(ix) {
                    b.promise.limits = before.limits;
                }
            } else if !self.keep_at(ix, before) {
                self.refill_at(ix, Some(before.confirmed));
            }
        }
        // Report in serve order over all lines.
        let mut report: Vec<(ServeKey, usize)> =
            order.iter().enumerate().map(|(k, (_, key, _, _))| (*key, k)).collect();
        report.sort_unstable();
        let mut promises = Vec::with_capacity(order.len());
        let mut changes = Vec::new();
        for (_, k) in report {
            let (Some((_, _, ix, _)), Some(before)) = (order.get(k), old.get(k)) else { continue };
            let Some(b) = self.book.at(*ix) else { continue };
            let after = &b.promise;
            if before.confirmed != after.confirmed
                || before.last_delivery() != after.last_delivery()
            {
                changes.push(Change {
                    line: b.demand.id,
                    strategy: b.demand.strategy,
                    before: self.decimal(b.demand.item, before.confirmed),
                    after: self.decimal(b.demand.item, after.confirmed),
                    before_delivery: before.last_delivery().map(|d| Day(d).date()),
                    after_delivery: after.last_delivery().map(|d| Day(d).date()),
                });
            }
            promises.push(self.to_promise(&b.demand, &b.promise));
        }
        let applied = saved.is_none();
        if let Some((store, quotas, book)) = saved {
            self.store = store;
            self.quotas = quotas;
            self.book = book;
        }
        Reprocess { promises, changes, applied }
    }

    /// After today moved from `old_today`: re-checks every booked line with a schedule
    /// line that the checking horizon just passed (dated from an item-site's old fence
    /// to before its new one). Those were confirmed against assumed supply; now real
    /// supply must cover them. They are given back together, then, in serve order, each
    /// keeps its schedule where stock (with look-ahead), protection and quota still allow
    /// it, and is otherwise promised again as a new line would be, up to what it had
    /// (usually later: at the new fence at the latest). Returns the lines whose
    /// schedule changed, in serve order.
    pub(crate) fn recheck_passed(&mut self, old_today: i32) -> Vec<Change> {
        let today = self.today;
        let passed = |store: &crate::avail::Store, item: u32, site: u16, day: i32| {
            let Some(c) = store.cell(store.index(item as usize, usize::from(site))) else {
                return false;
            };
            let h = i32::from(c.horizon);
            c.horizon != 0 && day >= old_today.saturating_add(h) && day < today.saturating_add(h)
        };
        let mut slots: Vec<(ServeKey, u32)> = self
            .book
            .positions()
            .filter(|(_, b)| {
                b.promise.lines.iter().any(|l| passed(&self.store, l.item, l.site, l.avail_day))
            })
            .map(|(ix, b)| (b.demand.key(), ix))
            .collect();
        if slots.is_empty() {
            return Vec::new();
        }
        slots.sort_unstable();
        let mut old: Vec<RawPromise> = Vec::with_capacity(slots.len());
        for (_, ix) in &slots {
            let Some((d, p)) = self.book.take_promise(*ix) else {
                old.push(RawPromise::default());
                continue;
            };
            self.give_back(&d, &p);
            old.push(p);
        }
        let mut changes = Vec::new();
        for ((_, ix), before) in slots.iter().zip(&old) {
            if !self.keep_at(*ix, before) {
                self.refill_at(*ix, Some(before.confirmed));
            }
            let Some(b) = self.book.at(*ix) else { continue };
            if b.promise.lines != before.lines {
                changes.push(Change {
                    line: b.demand.id,
                    strategy: b.demand.strategy,
                    before: self.decimal(b.demand.item, before.confirmed),
                    after: self.decimal(b.demand.item, b.promise.confirmed),
                    before_delivery: before.last_delivery().map(|d| Day(d).date()),
                    after_delivery: b.promise.last_delivery().map(|d| Day(d).date()),
                });
            }
        }
        changes
    }

    /// Promises a booked line afresh (up to `cap` units of the ordered item).
    fn refill_at(&mut self, ix: u32, cap: Option<i64>) {
        let Some(b) = self.book.at(ix) else { return };
        let mut d = b.demand.clone();
        if let Some(c) = cap {
            d.units = d.units.min(c);
        }
        let p = self.fill(&d);
        if let Some(mut b) = self.book.at_mut(ix) {
            b.promise = p;
        }
    }

    /// Books `before` again for a line, schedule line by schedule line, if each can still
    /// be had where and when it was (stock with look-ahead, protection and quota as for
    /// a new promise); otherwise takes nothing and says so.
    fn keep_at(&mut self, ix: u32, before: &RawPromise) -> bool {
        let Some(d) = self.book.at(ix).map(|b| b.demand.clone()) else { return false };
        let mut kept = RawPromise::default();
        for l in &before.lines {
            if self.offer(l.item, l.site, l.avail_day, &d).0 < l.units {
                self.give_back(&d, &kept);
                return false;
            }
            self.take_line(&d, *l, &mut kept);
        }
        kept.limits = before.limits;
        if let Some(mut b) = self.book.at_mut(ix) {
            b.promise = kept;
        }
        true
    }

    /// Keeps a line's confirmation and tries to confirm what it is missing (up to
    /// `target` units, or its whole quantity).
    fn improve_at(&mut self, ix: u32, target: Option<i64>) {
        let Some(b) = self.book.at(ix) else { return };
        let goal = target.unwrap_or(b.demand.units).min(b.demand.units);
        let missing = goal.saturating_sub(b.promise.confirmed);
        if missing <= 0 {
            return;
        }
        let mut d = b.demand.clone();
        d.units = missing;
        let extra = self.fill(&d);
        if let Some(mut b) = self.book.at_mut(ix) {
            b.promise.confirmed = b.promise.confirmed.saturating_add(extra.confirmed);
            b.promise.lines.extend(extra.lines);
            b.promise.limits = extra.limits;
        }
    }

    /// Fair share among lines competing for the same item, region, priority and
    /// requested date, the lines released beforehand. A group is served at the place of
    /// its first line in serve order, and holds every line of `slots` with its key, in
    /// serve order, whether or not lines of other keys (another region, say) come
    /// between them.
    pub(crate) fn share_fairly(&mut self, slots: &[u32]) {
        let group_key = |d: &Demand| (d.item, d.region, d.priority, d.requested);
        let mut groups: Vec<Vec<u32>> = Vec::new();
        let mut group_of: std::collections::BTreeMap<(u32, u16, u8, i32), usize> =
            std::collections::BTreeMap::new();
        for ix in slots {
            let Some(key) = self.book.at(*ix).map(|b| group_key(&b.demand)) else { continue };
            let g = *group_of.entry(key).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            if let Some(list) = groups.get_mut(g) {
                list.push(*ix);
            }
        }
        for group in groups {
            let Some(first) =
                group.first().and_then(|ix| self.book.at(*ix)).map(|b| b.demand.clone())
            else {
                continue;
            };
            let needs: Vec<i64> =
                group.iter().map(|ix| self.book.at(*ix).map_or(0, |b| b.demand.units)).collect();
            let total: i64 = needs.iter().sum();
            // What the group could get together, split freely.
            let mut probe = first.clone();
            probe.units = total;
            probe.split = true;
            probe.min_split = 1;
            let got = self.fill(&probe);
            self.give_back(&probe, &got);
            if group.len() < 2 || got.confirmed >= total {
                for ix in group {
                    self.refill_at(ix, None);
                }
                continue;
            }
            // A line that may not be split gets all or nothing (in serve order, while the
            // group's supply lasts); the lines that may be split share the rest in
            // proportion to what they ask.
            let splits: Vec<bool> =
                group.iter().map(|ix| self.book.at(*ix).is_some_and(|b| b.demand.split)).collect();
            let mut pool = got.confirmed;
            for ((ix, need), split) in group.iter().zip(&needs).zip(&splits) {
                if !split && *need <= pool {
                    self.refill_at(*ix, None);
                    pool -= need;
                }
            }
            let split_lines: Vec<(u32, i64)> = group
                .iter()
                .zip(&needs)
                .zip(&splits)
                .filter(|(_, split)| **split)
                .map(|((ix, need), _)| (*ix, *need))
                .collect();
            let asks: Vec<i64> = split_lines.iter().map(|(_, need)| *need).collect();
            for ((ix, _), share) in split_lines.iter().zip(fair_share(pool, &asks)) {
                if share > 0 {
                    self.refill_at(*ix, Some(share));
                }
            }
            for ix in &group {
                self.improve_at(*ix, None);
            }
        }
    }
}
