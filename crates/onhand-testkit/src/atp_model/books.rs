//! The model's books.

use super::*;

/// Supply at an item-site, in base steps: available now (as set, on `since`) plus
/// receipts effective on their day.
#[derive(Debug, Clone, Default)]
pub(crate) struct Supply {
    pub(crate) base: i128,
    pub(crate) receipts: Vec<(i64, i128)>,
}

impl Supply {
    pub(crate) fn at(&self, t: i64) -> i128 {
        self.base + self.receipts.iter().filter(|(d, _)| *d <= t).map(|(_, q)| q).sum::<i128>()
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Protection {
    pub(crate) qty: i128,
    pub(crate) up_to: u8,
    pub(crate) since: u64,
}

/// Schedule lines of a booked line are aggregated by (item, site, available on,
/// delivery).
pub(crate) type Key = (usize, usize, i64, i64);

/// Units of a schedule line first seen at `step`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rec {
    pub(crate) qty: i128,
    pub(crate) step: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct Booking {
    pub(crate) line: OrderLine,
    pub(crate) item: usize,
    /// Requested, in base steps.
    pub(crate) qty: i128,
    pub(crate) claim: Claim,
    pub(crate) recs: BTreeMap<Key, Vec<Rec>>,
    /// Reduced by the caller at some point (no longer all or nothing).
    pub(crate) reduced: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct QuotaModel {
    pub(crate) item: usize,
    pub(crate) starts: Vec<i64>,
    pub(crate) cumulative: bool,
    pub(crate) patterns: Vec<DemandClass>,
    pub(crate) collective: bool,
    /// Capacity per bucket (entries, then the collective pool) and period, from the
    /// supply when the rules were loaded.
    pub(crate) caps: Vec<Vec<i128>>,
    /// The amounts, to recompute capacities as supply changes.
    pub(crate) amounts: Vec<QuotaAmount>,
    /// Network supply per period, bookings not deducted: on hand when the rules were
    /// loaded, and supply dated today or earlier, in the period holding today (then);
    /// receipts in the period of their date. Later supply changes land in theirs.
    pub(crate) supply: Vec<i128>,
    /// When the rules were loaded.
    pub(crate) since: u64,
}

impl QuotaModel {
    pub(crate) fn period(&self, day: i64) -> usize {
        self.starts.iter().filter(|s| **s <= day).count().saturating_sub(1)
    }

    pub(crate) fn bucket(&self, class: &DemandClass) -> Option<usize> {
        fn ok<T: PartialEq>(have: Option<&T>, want: Option<&T>) -> bool {
            want.is_none() || have == want
        }
        let mut best: Option<(usize, usize)> = None;
        for (i, p) in self.patterns.iter().enumerate() {
            let matches = ok(class.channel.as_ref(), p.channel.as_ref())
                && ok(class.group.as_ref(), p.group.as_ref())
                && ok(class.region.as_ref(), p.region.as_ref());
            let specific = usize::from(p.channel.is_some())
                + usize::from(p.group.is_some())
                + usize::from(p.region.is_some());
            if matches && best.is_none_or(|(_, s)| specific > s) {
                best = Some((i, specific));
            }
        }
        best.map(|(i, _)| i).or(self.collective.then_some(self.patterns.len()))
    }

    /// Whether use within `bucket` from `period` on stays within capacity.
    pub(crate) fn within(&self, used: &[i128], bucket: usize, period: usize) -> Result<(), String> {
        let caps = &self.caps[bucket];
        if self.cumulative {
            let (mut cum_cap, mut cum_used) = (0i128, 0i128);
            for (k, (c, u)) in caps.iter().zip(used).enumerate() {
                cum_cap += c;
                cum_used += u;
                if k >= period && cum_used > cum_cap {
                    return Err(format!(
                        "cumulative quota bucket {bucket} used {cum_used} > {cum_cap} by period {k}"
                    ));
                }
            }
        } else if used[period] > caps[period] {
            return Err(format!(
                "discrete quota bucket {bucket} period {period} used {} > {}",
                used[period], caps[period]
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Quotas {
    pub(crate) rules: BTreeMap<usize, QuotaModel>,
    /// Loaded with nothing booked: every bucket must stay within capacity. Otherwise
    /// existing confirmations may already exceed it, and only new ones are checked.
    pub(crate) global: bool,
}

/// The engine and the model, side by side.
#[derive(Clone)]
pub struct Harness {
    /// The network under test.
    pub world: World,
    /// The engine under test.
    pub atp: Atp,
    pub(crate) checks: Checks,
    pub(crate) horizon: i64,
    pub(crate) today: i64,
    pub(crate) step: u64,
    pub(crate) ids: Vec<LineId>,
    pub(crate) next_id: u64,
    pub(crate) supply: BTreeMap<(usize, usize), Supply>,
    /// The last step supply at an item-site went down.
    pub(crate) lowered: BTreeMap<(usize, usize), u64>,
    pub(crate) protection: BTreeMap<(usize, usize), Protection>,
    pub(crate) book: BTreeMap<LineId, Booking>,
    pub(crate) quotas: Option<Quotas>,
    pub(crate) fair_ran: bool,
    /// Picks performed whose line is still booked and that a reversal may undo.
    pub(crate) consumed: Vec<super::consume::Consumed>,
    /// Quota use that picks keep (served demand), until reversed or the rules reload.
    pub(crate) kept: Vec<super::consume::Kept>,
}

impl Harness {
    /// An engine on `world` as of the base date, with a checking horizon of `horizon` days
    /// (0: none).
    #[must_use]
    pub fn new(world: World, horizon: u16, checks: Checks) -> Harness {
        let config = AtpConfig {
            horizon: if horizon == 0 { Horizon::None } else { Horizon::Days(horizon) },
        };
        let atp = Atp::new(world.catalog.clone(), config, date(0)).expect("engine");
        Harness {
            world,
            atp,
            checks,
            horizon: i64::from(horizon),
            today: 0,
            step: 0,
            ids: Vec::new(),
            next_id: 0,
            supply: BTreeMap::new(),
            lowered: BTreeMap::new(),
            protection: BTreeMap::new(),
            book: BTreeMap::new(),
            quotas: None,
            fair_ran: false,
            consumed: Vec::new(),
            kept: Vec::new(),
        }
    }

    /// The ids of the booked lines, in id order.
    #[must_use]
    pub fn booked(&self) -> Vec<LineId> {
        self.book.keys().copied().collect()
    }

    /// Total supply of an item across the network (base steps).
    pub(crate) fn total_supply(&self, item: usize) -> i128 {
        self.supply.iter().filter(|((i, _), _)| *i == item).map(|(_, s)| s.at(FAR)).sum()
    }

    pub(crate) fn fence(&self) -> i64 {
        if self.horizon == 0 { FAR } else { self.today + self.horizon }
    }

    pub(crate) fn item(&self, b: u8) -> Option<usize> {
        (b < 250 && !self.world.items.is_empty()).then(|| usize::from(b) % self.world.items.len())
    }

    pub(crate) fn site(&self, b: u8) -> Option<usize> {
        (b < 250 && !self.world.sites.is_empty()).then(|| usize::from(b) % self.world.sites.len())
    }

    pub(crate) fn region(&self, b: u8) -> Option<usize> {
        (b < 250 && !self.world.regions.is_empty())
            .then(|| usize::from(b) % self.world.regions.len())
    }

    pub(crate) fn item_code(&self, i: Option<usize>) -> ItemCode {
        i.map_or_else(
            || ItemCode::new("NO-SUCH-ITEM").expect("code"),
            |i| self.world.items[i].code.clone(),
        )
    }

    pub(crate) fn site_code(&self, s: Option<usize>) -> SiteCode {
        s.map_or_else(|| SiteCode::new("NOSITE").expect("code"), |s| self.world.sites[s].0.clone())
    }

    pub(crate) fn region_code(&self, r: Option<usize>) -> RegionCode {
        r.map_or_else(
            || RegionCode::new("NOWHERE").expect("code"),
            |r| self.world.regions[r].code.clone(),
        )
    }

    pub(crate) fn qty(&self, item: Option<usize>, q: QtySpec) -> Qty {
        let value = Decimal::new(i64::from(q.value), u32::from(q.decimals % 6));
        let unit = match item.map(|i| &self.world.items[i]) {
            None => UomCode::new("EA").expect("unit"),
            Some(it) if q.unit >= 250 => it.wrong,
            Some(it) if q.unit == 0 => it.base,
            Some(it) => it.units[usize::from(q.unit) % it.units.len()],
        };
        Qty::new(value, unit).expect("non-negative")
    }

    /// A quantity in base steps, or the error the engine must give for it.
    pub(crate) fn base_steps(&self, item: usize, q: Qty) -> Result<i128, ErrKind> {
        let it = &self.world.items[item];
        let units = self.world.catalog.item_units(it.ix).expect("units");
        let base = units.to_base(q).map_err(|_| ErrKind::Quantity)?;
        self.steps(item, base.value()).ok_or(ErrKind::NotRepresentable)
    }

    /// A base quantity in base steps, if it is a whole number of them that fits an i64.
    pub(crate) fn steps(&self, item: usize, v: Decimal) -> Option<i128> {
        let scale = self.world.items[item].scale;
        let v = v.normalize();
        if v.scale() > scale {
            return None;
        }
        let steps = v.mantissa().checked_mul(10i128.checked_pow(scale - v.scale())?)?;
        i64::try_from(steps).ok().map(i128::from)
    }

    pub(crate) fn decimal(&self, item: usize, steps: i128) -> Decimal {
        Decimal::from_i128_with_scale(steps, self.world.items[item].scale).normalize()
    }

    pub(crate) fn claim(hours: Option<i16>, today: i64) -> Claim {
        match hours {
            None => Claim::Hard,
            Some(h) => Claim::Soft { expires: instant(today * 24 + i64::from(h)) },
        }
    }

    pub(crate) fn pick(&self, pick: u8) -> LineId {
        if pick < 200 && !self.book.is_empty() {
            let ids: Vec<LineId> = self.book.keys().copied().collect();
            ids[usize::from(pick) % ids.len()]
        } else if pick < 250 && !self.ids.is_empty() {
            self.ids[usize::from(pick) % self.ids.len()]
        } else {
            LineId(u64::MAX)
        }
    }

    /// The engine's availability per item, site and day from yesterday to 45 days out,
    /// for the most and the least urgent priority: equal snapshots mean equal engines.
    #[must_use]
    pub fn snapshot(&self) -> Vec<i64> {
        let mut out = Vec::new();
        for it in &self.world.items {
            for (_, six) in &self.world.sites {
                for d in -1..=45 {
                    let day = Day::of(date(self.today + d)).expect("day");
                    // Most urgent (never protected against) and least urgent.
                    for prio in [0, u8::MAX] {
                        out.push(onhand_atp::perf::atp_units(&self.atp, it.ix, *six, day, prio));
                    }
                }
            }
        }
        out
    }

    // ---- operations ------------------------------------------------------------------

    /// Applies one operation and asserts the invariants the checks ask for.
    ///
    /// # Panics
    /// When the engine breaks one.
    pub fn run(&mut self, op: &Op) {
        self.step += 1;
        match op {
            Op::SetAvailable { item, site, qty } => self.set_available(*item, *site, *qty),
            Op::AddSupply { item, site, day, qty } => self.add_supply(*item, *site, *day, *qty),
            Op::Protect { item, site, qty, up_to } => self.protect(*item, *site, *qty, *up_to),
            Op::SetQuotas(rules) => self.set_quotas(rules),
            Op::Allocate { line, claim } => self.allocate(line, *claim),
            Op::Batch { lines, claim } => self.batch(lines, *claim),
            Op::RoundTrip { line } => self.round_trip(line),
            Op::Release { pick } => self.release(*pick),
            Op::Reduce { pick, how } => self.reduce(*pick, *how),
            Op::MakeHard { pick } => self.make_hard(*pick),
            Op::Sweep { hours } => self.sweep(*hours),
            Op::Reprocess { fair } => self.reprocess(*fair),
            Op::Advance { days } => self.advance(*days),
            Op::Consume { pick, source, item, site, qty } => {
                self.consume(*pick, *source, *item, *site, *qty);
            }
            Op::RestoreConsumed { pick } => self.restore_consumed(*pick),
        }
        // A pick of a line no longer booked is not reversed through the engine (the
        // facade's booking leaves with it); a new line may reuse the id.
        let book = &self.book;
        self.consumed.retain(|c| book.contains_key(&c.line));
        self.reconcile();
        self.check_invariants();
    }

    pub(crate) fn item_site(
        &self,
        item: u8,
        site: u8,
    ) -> (Option<usize>, Option<usize>, ItemCode, SiteCode) {
        let (i, s) = (self.item(item), self.site(site));
        (i, s, self.item_code(i), self.site_code(s))
    }

    pub(crate) fn expect_item_site_qty(
        &self,
        i: Option<usize>,
        s: Option<usize>,
        q: Qty,
    ) -> Result<(usize, usize, i128), ErrKind> {
        let i = i.ok_or(ErrKind::UnknownItem)?;
        let s = s.ok_or(ErrKind::UnknownSite)?;
        Ok((i, s, self.base_steps(i, q)?))
    }

    pub(crate) fn set_available(&mut self, item: u8, site: u8, qty: QtySpec) {
        let (i, s, ic, sc) = self.item_site(item, site);
        let q = self.qty(i, qty);
        let expected = self.expect_item_site_qty(i, s, q);
        let got = self.atp.set_available(&ic, &sc, q);
        expect_outcome("set_available", &expected, &got);
        if let Ok((i, s, units)) = expected {
            let today = self.today;
            let sup = self.supply.entry((i, s)).or_default();
            let before = sup.at(today);
            sup.base = units;
            sup.receipts.retain(|(d, _)| *d > today);
            if units < before {
                self.lowered.insert((i, s), self.step);
            }
            // What is on hand counts in the quota period holding today.
            self.quota_supply_changed(i, None, units - before);
        }
    }

    /// Supply of an item changed by `units` on `day` (`None`: on hand): the loaded quota
    /// rule's period supply follows.
    pub(crate) fn quota_supply_changed(&mut self, item: usize, day: Option<i64>, units: i128) {
        let today = self.today;
        if let Some(rule) = self.quotas.as_mut().and_then(|q| q.rules.get_mut(&item)) {
            let p = match day {
                Some(d) if d > today => rule.period(d),
                _ => rule.period(today),
            };
            rule.supply[p] += units;
        }
    }

    pub(crate) fn add_supply(&mut self, item: u8, site: u8, day: i8, qty: QtySpec) {
        let (i, s, ic, sc) = self.item_site(item, site);
        let q = self.qty(i, qty);
        let expected = self.expect_item_site_qty(i, s, q);
        let on = self.today + i64::from(day);
        let got = self.atp.add_supply(&ic, &sc, date(on), q);
        expect_outcome("add_supply", &expected, &got);
        if let Ok((i, s, units)) = expected {
            let eff = on.max(self.today);
            self.supply.entry((i, s)).or_default().receipts.push((eff, units));
            self.quota_supply_changed(i, Some(on), units);
        }
    }

    pub(crate) fn protect(&mut self, item: u8, site: u8, qty: QtySpec, up_to: u8) {
        let (i, s, ic, sc) = self.item_site(item, site);
        let q = self.qty(i, qty);
        let expected = self.expect_item_site_qty(i, s, q);
        let got = self.atp.protect(&ic, &sc, q, up_to);
        expect_outcome("protect", &expected, &got);
        if let Ok((i, s, units)) = expected {
            self.protection.insert((i, s), Protection { qty: units, up_to, since: self.step });
        }
    }

    /// The amount as the engine receives it (valid or not).
    pub(crate) fn raw_amount(&self, i: Option<usize>, a: AmountSpec) -> QuotaAmount {
        match a {
            AmountSpec::Absolute(q) => QuotaAmount::Absolute(self.qty(i, q)),
            AmountSpec::Percent(p) => QuotaAmount::Percent(Decimal::new(i64::from(p), 2)),
            AmountSpec::Ratio(w) => QuotaAmount::Ratio(u32::from(w)),
        }
    }

    /// The error the engine must give for an amount, if any.
    pub(crate) fn check_amount(&self, item: usize, a: AmountSpec) -> Result<(), ErrKind> {
        match a {
            AmountSpec::Absolute(q) => self.base_steps(item, self.qty(Some(item), q)).map(|_| ()),
            AmountSpec::Percent(p) if p > 100 => Err(ErrKind::QuotaShare),
            AmountSpec::Percent(_) | AmountSpec::Ratio(_) => Ok(()),
        }
    }

    /// A rule as the engine receives it, and its model or the error the engine must give.
    pub(crate) fn quota_model(&self, spec: &RuleSpec) -> (QuotaRule, Result<QuotaModel, ErrKind>) {
        let i = self.item(spec.item);
        let starts: Vec<i64> = spec.periods.iter().map(|p| self.today + i64::from(*p)).collect();
        let classes: Vec<DemandClass> = spec
            .entries
            .iter()
            .map(|(c, _)| self.world.classes[usize::from(*c) % self.world.classes.len()].clone())
            .collect();
        let mut specs: Vec<AmountSpec> = spec.entries.iter().map(|(_, a)| *a).collect();
        specs.extend(spec.collective);
        let amounts: Vec<QuotaAmount> = specs.iter().map(|a| self.raw_amount(i, *a)).collect();
        let rule = QuotaRule {
            item: self.item_code(i),
            periods: starts.iter().map(|d| date(*d)).collect(),
            consumption: if spec.cumulative {
                Consumption::Cumulative
            } else {
                Consumption::Discrete
            },
            entries: classes
                .iter()
                .zip(&amounts)
                .map(|(class, amount)| QuotaEntry { class: class.clone(), amount: amount.clone() })
                .collect(),
            collective: spec.collective.map(|a| self.raw_amount(i, a)),
        };
        let model = (|| {
            let i = i.ok_or(ErrKind::UnknownItem)?;
            if starts.is_empty() || starts.windows(2).any(|w| w[0] >= w[1]) {
                return Err(ErrKind::QuotaPeriods);
            }
            for a in &specs {
                self.check_amount(i, *a)?;
            }
            let supply = self.quota_supply(i, &starts);
            Ok(self.capacities(i, &starts, spec.cumulative, &classes, &amounts, supply))
        })();
        (rule, model)
    }

    /// Supply per quota period of an item, as the rules see it when they load.
    pub(crate) fn quota_supply(&self, item: usize, starts: &[i64]) -> Vec<i128> {
        let period = |day: i64| starts.iter().filter(|s| **s <= day).count().saturating_sub(1);
        let mut supply = vec![0i128; starts.len()];
        for ((i, _), sup) in &self.supply {
            if *i != item {
                continue;
            }
            supply[period(self.today)] += sup.at(self.today);
            for (d, q) in sup.receipts.iter().filter(|(d, _)| *d > self.today) {
                supply[period(*d)] += q;
            }
        }
        supply
    }

    /// Capacities per bucket and period from the supply per period.
    pub(crate) fn capacities(
        &self,
        item: usize,
        starts: &[i64],
        cumulative: bool,
        patterns: &[DemandClass],
        amounts: &[QuotaAmount],
        supply: Vec<i128>,
    ) -> QuotaModel {
        let periods: Vec<i128> = supply.iter().map(|s| (*s).max(0)).collect();
        let weights: i128 = amounts
            .iter()
            .map(|a| if let QuotaAmount::Ratio(w) = a { i128::from(*w) } else { 0 })
            .sum();
        let mut caps: Vec<Vec<i128>> = amounts
            .iter()
            .map(|a| {
                periods
                    .iter()
                    .map(|s| match a {
                        QuotaAmount::Absolute(q) => self.base_steps(item, *q).unwrap_or(0),
                        QuotaAmount::Percent(p) => {
                            // p is hundredths: floor(s × p).
                            let hundredths = (p * Decimal::from(100)).normalize().mantissa();
                            s * hundredths / 100
                        }
                        QuotaAmount::Ratio(w) => {
                            if weights == 0 {
                                0
                            } else {
                                s * i128::from(*w) / weights
                            }
                        }
                    })
                    .collect()
            })
            .collect();
        // What the ratio shares leave goes to the earlier ratio entries, a step each.
        if weights > 0 {
            for (k, s) in periods.iter().enumerate() {
                let given: i128 = amounts
                    .iter()
                    .zip(&caps)
                    .filter(|(a, _)| matches!(a, QuotaAmount::Ratio(_)))
                    .map(|(_, c)| c[k])
                    .sum();
                let mut left = s - given;
                for (a, c) in amounts.iter().zip(caps.iter_mut()) {
                    if left <= 0 {
                        break;
                    }
                    if matches!(a, QuotaAmount::Ratio(w) if *w > 0) {
                        c[k] += 1;
                        left -= 1;
                    }
                }
            }
        }
        QuotaModel {
            item,
            starts: starts.to_vec(),
            cumulative,
            patterns: patterns.to_vec(),
            collective: amounts.len() > patterns.len(),
            caps,
            amounts: amounts.to_vec(),
            supply,
            since: self.step,
        }
    }

    pub(crate) fn set_quotas(&mut self, specs: &[RuleSpec]) {
        let mut rules = Vec::new();
        let mut expected: Result<BTreeMap<usize, QuotaModel>, ErrKind> = Ok(BTreeMap::new());
        for spec in specs {
            let (rule, model) = self.quota_model(spec);
            rules.push(rule);
            if let Ok(map) = &mut expected {
                match model {
                    Ok(m) => {
                        map.insert(m.item, m);
                    }
                    Err(k) => expected = Err(k),
                }
            }
        }
        let got = self.atp.set_quotas(&rules);
        expect_outcome("set_quotas", &expected, &got);
        if let Ok(rules) = expected {
            // Lines booked before the rules count as use, but may already exceed them
            // (the engine takes no confirmation back): then only new use is checked.
            self.quotas = Some(Quotas { rules, global: self.book.is_empty() });
            // The engine counts the booked lines' use again: what picks kept is gone.
            self.kept.clear();
        }
    }

    /// Builds a line; with what it asks for in base steps, or the error the engine must
    /// give for it (duplicates aside).
    pub(crate) fn line(&mut self, spec: &LineSpec) -> (OrderLine, Expect) {
        let id = match spec.id {
            Some(k) if !self.ids.is_empty() => self.ids[usize::from(k) % self.ids.len()],
            _ => {
                self.next_id += 1;
                LineId(self.next_id)
            }
        };
        if !self.ids.contains(&id) {
            self.ids.push(id);
        }
        let (i, r) = (self.item(spec.item), self.region(spec.region));
        let requested = self.today + i64::from(spec.requested);
        let priority = spec.priority;
        let qty = match spec.qty {
            LineQty::Plain(q) => self.qty(i, q),
            LineQty::Fit(delta) | LineQty::Everything(delta) => {
                let steps = match (i, spec.qty) {
                    (Some(i), LineQty::Fit(_)) => self
                        .atp
                        .network_atp(
                            &self.item_code(Some(i)),
                            &self.region_code(r),
                            date(requested),
                            priority,
                        )
                        .ok()
                        .and_then(|o| o.first().map(|o| o.qty))
                        .and_then(onhand_atp::Availability::limited)
                        .and_then(|q| self.steps(i, q))
                        .unwrap_or(1),
                    (Some(i), _) => self.total_supply(i),
                    (None, _) => 1,
                };
                let steps = (steps + i128::from(delta)).clamp(0, i128::from(u32::MAX));
                let item = i.map(|i| &self.world.items[i]);
                let value = Decimal::from_i128_with_scale(steps, item.map_or(0, |it| it.scale));
                Qty::new(value, item.map_or(UomCode::new("EA").expect("unit"), |it| it.base))
                    .expect("non-negative")
            }
        };
        let mut line =
            OrderLine::new(id, self.item_code(i), qty, date(requested), self.region_code(r));
        line.priority = priority;
        line.allow_split = spec.split;
        line.allow_substitutes = spec.subs;
        line.min_split = spec.min_split.map(|m| {
            Qty::new(
                Decimal::from(m),
                i.map_or(UomCode::new("EA").expect("unit"), |i| self.world.items[i].base),
            )
            .expect("non-negative")
        });
        line.rule = match spec.rule % 3 {
            0 => SourcingRule::Ranked,
            1 => SourcingRule::LeastCost,
            _ => SourcingRule::ShortestTransit,
        };
        line.strategy = match spec.strategy % 5 {
            0 => Strategy::Win,
            1 => Strategy::Gain,
            2 => Strategy::Redistribute,
            3 => Strategy::Fill,
            _ => Strategy::Lose,
        };
        line.class = self.world.classes[usize::from(spec.class) % self.world.classes.len()].clone();
        if let Some(seq) = spec.seq {
            line.seq = u64::from(seq);
        }
        let expected = (|| {
            let i = i.ok_or(ErrKind::UnknownItem)?;
            r.ok_or(ErrKind::UnknownRegion)?;
            let steps = self.base_steps(i, qty)?;
            if steps <= 0 {
                return Err(ErrKind::ZeroQuantity);
            }
            Ok((i, steps))
        })();
        (line, expected)
    }

    /// Builds order lines from specs, without booking them.
    pub fn lines(&mut self, specs: &[LineSpec]) -> Vec<OrderLine> {
        specs.iter().map(|s| self.line(s).0).collect()
    }

    pub(crate) fn book_line(&mut self, line: OrderLine, item: usize, qty: i128, claim: Claim) {
        let id = line.id;
        let booking = Booking { line, item, qty, claim, recs: BTreeMap::new(), reduced: false };
        assert!(self.book.insert(id, booking).is_none(), "{id} booked twice");
    }

    pub(crate) fn allocate(&mut self, spec: &LineSpec, hours: Option<i16>) {
        let (line, expected) = self.line(spec);
        let expected =
            if self.book.contains_key(&line.id) { Err(ErrKind::DuplicateLine) } else { expected };
        let dry = if self.checks.has(Checks::DRY_RUN) && expected.is_ok() {
            let before = self.snapshot();
            let p = self.atp.promise(&line).expect("a dry run of a valid line");
            assert!(self.snapshot() == before, "a dry run of {line:?} changed availability");
            Some(p)
        } else {
            None
        };
        let claim = Self::claim(hours, self.today);
        let got = self.atp.allocate(&line, claim);
        expect_outcome("allocate", &expected, &got);
        if let (Ok(p), Ok((item, qty))) = (got, expected) {
            if let Some(d) = dry {
                assert_eq!(d, p, "the dry run of {line:?} differs from its allocation");
            }
            assert_eq!(self.atp.booked(line.id).as_ref(), Some(&p), "booked promise");
            self.fresh(&line, item, &p);
            self.book_line(line, item, qty, claim);
        }
    }

    pub(crate) fn batch(&mut self, specs: &[LineSpec], hours: Option<i16>) {
        let built: Vec<(OrderLine, Expect)> = specs.iter().map(|s| self.line(s)).collect();
        // The engine serves in (priority, requested, seq, id) order, input order on ties.
        let mut order: Vec<usize> = (0..built.len()).collect();
        order.sort_by_key(|&k| {
            let l = &built[k].0;
            (l.priority, l.requested, l.seq, l.id, k)
        });
        let mut expected: Vec<Expect> = vec![Err(ErrKind::Other); built.len()];
        let mut taken: BTreeSet<LineId> = self.book.keys().copied().collect();
        for k in order {
            let (line, e) = &built[k];
            expected[k] = if taken.contains(&line.id) { Err(ErrKind::DuplicateLine) } else { *e };
            if expected[k].is_ok() {
                taken.insert(line.id);
            }
        }
        let lines: Vec<OrderLine> = built.iter().map(|(l, _)| l.clone()).collect();
        let claim = Self::claim(hours, self.today);
        // The same lines streamed (prepared, served item group by item group) on a copy.
        let mut streamed = self.atp.clone();
        let prepared: Vec<(usize, Prepared)> = lines
            .iter()
            .enumerate()
            .filter_map(|(k, l)| streamed.prepare(l).ok().map(|p| (k, p)))
            .collect();
        let only: Vec<Prepared> = prepared.iter().map(|(_, p)| p.clone()).collect();
        let mut stream_out: Vec<String> = Vec::new();
        streamed.allocate_stream(&only, claim, |r| stream_out.push(format!("{r:?}")));
        let got = self.atp.allocate_batch(&lines, claim);
        assert_eq!(got.len(), lines.len(), "one result per line");
        let mut batch_out: Vec<String> =
            prepared.iter().map(|(k, _)| format!("{:?}", got[*k])).collect();
        stream_out.sort();
        batch_out.sort();
        assert_eq!(stream_out, batch_out, "streaming differs from the batch");
        assert_eq!(streamed.booked_lines(), self.atp.booked_lines(), "streamed bookings");
        let batch_state = self.snapshot();
        std::mem::swap(&mut self.atp, &mut streamed);
        let stream_state = self.snapshot();
        std::mem::swap(&mut self.atp, &mut streamed);
        assert!(stream_state == batch_state, "streaming left different availability");
        for ((line, e), g) in lines.into_iter().zip(expected).zip(got) {
            expect_outcome("allocate_batch", &e, &g);
            if let (Ok(p), Ok((item, qty))) = (g, e) {
                assert_eq!(self.atp.booked(line.id).as_ref(), Some(&p), "booked promise");
                self.fresh(&line, item, &p);
                self.book_line(line, item, qty, claim);
            }
        }
    }

    pub(crate) fn round_trip(&mut self, spec: &LineSpec) {
        let (line, expected) = self.line(spec);
        if !self.checks.has(Checks::ROUND_TRIP)
            || expected.is_err()
            || self.book.contains_key(&line.id)
        {
            return;
        }
        let before = self.snapshot();
        let dry = self.atp.promise(&line).expect("a dry run of a valid line");
        let p = self.atp.allocate(&line, Claim::Hard).expect("a valid line");
        assert_eq!(dry, p, "the dry run of {line:?} differs from its allocation");
        self.atp.release(line.id).expect("release of a booked line");
        assert!(self.snapshot() == before, "releasing {line:?} did not restore availability");
        let again = self.atp.promise(&line).expect("a dry run of a valid line");
        assert_eq!(dry, again, "after releasing {line:?}, promising it again differs");
    }

    pub(crate) fn release(&mut self, pick: u8) {
        let id = self.pick(pick);
        let expected = if self.book.contains_key(&id) { Ok(()) } else { Err(ErrKind::UnknownLine) };
        let got = self.atp.release(id);
        expect_outcome("release", &expected, &got);
        if got.is_ok() {
            self.book.remove(&id);
        }
    }

    pub(crate) fn reduce(&mut self, pick: u8, how: ReduceSpec) {
        let id = self.pick(pick);
        let Some(b) = self.book.get(&id) else {
            let got = self.atp.reduce(id, Decimal::ONE);
            expect_outcome::<(), ()>("reduce", &Err(ErrKind::UnknownLine), &got);
            return;
        };
        let item = b.item;
        let before = self.atp.booked(id).expect("booked");
        let scale = self.world.items[item].scale;
        let conf = before.confirmed;
        let step = Decimal::new(1, scale);
        let (cut, expected) = match how {
            ReduceSpec::Percent(p) => (
                (conf * Decimal::from(p.min(100)) / Decimal::from(100))
                    .round_dp_with_strategy(scale, RoundingStrategy::ToZero),
                Ok(()),
            ),
            ReduceSpec::Over => (conf + step, Err(ErrKind::InvalidClaim)),
            ReduceSpec::Fine => {
                (conf / Decimal::from(2) + step / Decimal::from(10), Err(ErrKind::NotRepresentable))
            }
        };
        let expected = if expected.is_ok() && self.steps(item, cut).is_none() {
            Err(ErrKind::NotRepresentable)
        } else {
            expected
        };
        let got = self.atp.reduce(id, cut);
        expect_outcome("reduce", &expected, &got);
        let after = self.atp.booked(id).expect("still booked");
        if got.is_err() {
            assert_eq!(before, after, "a refused reduction changed {id}");
            return;
        }
        if self.checks.has(Checks::CONSERVATION) {
            assert_eq!(after.confirmed, conf - cut, "reducing {id} by {cut}");
        }
        if self.checks.has(Checks::SPLITS) {
            // Only quantities go down, latest schedule lines first.
            let agg = |p: &Promise| {
                let mut m: BTreeMap<(i64, i64, usize, usize), Decimal> = BTreeMap::new();
                for l in p.schedule() {
                    *m.entry((
                        offset(l.delivery),
                        offset(l.available_on),
                        l.site.index(),
                        l.item.index(),
                    ))
                    .or_default() += l.qty;
                }
                m
            };
            let (old, new) = (agg(&before), agg(&after));
            for (k, q) in &new {
                assert!(old.get(k).is_some_and(|o| q <= o), "reducing {id} added {k:?}");
            }
            let cut_keys: Vec<_> = old
                .iter()
                .filter(|(k, q)| new.get(k).is_none_or(|n| n < *q))
                .map(|(k, _)| *k)
                .collect();
            for k in new.keys() {
                for c in &cut_keys {
                    assert!(
                        (k.0, k.1) <= (c.0, c.1),
                        "reducing {id} cut {c:?} before the later {k:?}: {before:?} -> {after:?}"
                    );
                }
            }
        }
        if cut > Decimal::ZERO {
            self.book.get_mut(&id).expect("booked").reduced = true;
        }
    }

    pub(crate) fn make_hard(&mut self, pick: u8) {
        let id = self.pick(pick);
        let expected = match self.book.get(&id).map(|b| b.claim) {
            None => Err(ErrKind::UnknownLine),
            Some(Claim::Hard) => Err(ErrKind::InvalidClaim),
            Some(Claim::Soft { .. }) => Ok(()),
        };
        let got = self.atp.make_hard(id);
        expect_outcome("make_hard", &expected, &got);
        if got.is_ok() {
            self.book.get_mut(&id).expect("booked").claim = Claim::Hard;
        }
    }

    pub(crate) fn sweep(&mut self, hours: i16) {
        let now = instant(self.today * 24 + i64::from(hours));
        let mut expected: Vec<(DateTime<Utc>, LineId)> = self
            .book
            .iter()
            .filter_map(|(id, b)| match b.claim {
                Claim::Soft { expires } if expires <= now => Some((expires, *id)),
                _ => None,
            })
            .collect();
        expected.sort();
        let expected: Vec<LineId> = expected.into_iter().map(|(_, id)| id).collect();
        let got = self.atp.sweep(now);
        if self.checks.has(Checks::SWEEP) {
            assert_eq!(got, expected, "sweep at {now}");
        }
        for id in got {
            assert!(self.book.remove(&id).is_some(), "sweep released unknown {id}");
        }
    }

    pub(crate) fn promises(&self) -> Vec<(LineId, Promise)> {
        self.atp
            .booked_lines()
            .into_iter()
            .map(|id| (id, self.atp.booked(id).expect("booked")))
            .collect()
    }

    pub(crate) fn reprocess(&mut self, fair: bool) {
        let before = self.promises();
        let snap = self.snapshot();
        let sharing =
            if fair { onhand_atp::Sharing::FairShare } else { onhand_atp::Sharing::FirstCome };
        let sim = self.atp.reprocess(Mode::Simulate, sharing);
        if self.checks.has(Checks::SIMULATE) {
            assert!(!sim.applied, "a simulation says it applied");
            assert!(self.snapshot() == snap, "a simulation changed availability");
            assert_eq!(self.promises(), before, "a simulation changed booked promises");
        }
        let run = self.atp.reprocess(Mode::Apply, sharing);
        if fair {
            self.fair_ran = true;
        }
        let after = self.promises();
        if self.checks.has(Checks::SIMULATE) {
            assert!(run.applied);
            assert_eq!(run.promises, sim.promises, "simulated and applied promises differ");
            assert_eq!(run.changes, sim.changes, "simulated and applied changes differ");
        }
        if self.checks.has(Checks::STRATEGIES) {
            let promises: Vec<Promise> = after.iter().map(|(_, p)| p.clone()).collect();
            assert_eq!(run.promises, promises, "the run's promises are not the booked ones");
            let mut changes = Vec::new();
            for ((id, old), (_, new)) in before.iter().zip(&after) {
                let b = &self.book[id];
                let last = |p: &Promise| p.schedule().iter().map(|s| s.delivery).max();
                if old.confirmed != new.confirmed || last(old) != last(new) {
                    changes.push(Change {
                        line: *id,
                        strategy: b.line.strategy,
                        before: old.confirmed,
                        after: new.confirmed,
                        before_delivery: last(old),
                        after_delivery: last(new),
                    });
                }
                match b.line.strategy {
                    Strategy::Gain => {
                        assert!(new.confirmed >= old.confirmed, "gain line {id} lost");
                    }
                    Strategy::Fill => {
                        assert!(new.confirmed <= old.confirmed, "fill line {id} gained");
                    }
                    Strategy::Lose => assert!(new.confirmed.is_zero(), "lose line {id} kept some"),
                    Strategy::Win | Strategy::Redistribute => {}
                }
            }
            assert_eq!(run.changes, changes, "the diff does not match the promises");
        }
        self.reconcile();
        self.check_invariants();
        let again = self.atp.reprocess(Mode::Apply, sharing);
        if self.checks.has(Checks::REPROCESS_TWICE) {
            assert_eq!(
                again.changes,
                vec![],
                "re-processing (fair share: {fair}) twice changed lines"
            );
            // The same promises, schedules and all (a fill line keeps its schedule); only
            // the reasons may differ, as they describe the run that made the promise (a
            // win line with nothing met other lines' older promises in the first run).
            let outcome = |ps: &[Promise]| -> Vec<_> {
                ps.iter()
                    .map(|p| (p.line, p.confirmed, p.unconfirmed, p.on_time, p.schedule().to_vec()))
                    .collect()
            };
            assert_eq!(
                outcome(&again.promises),
                outcome(&run.promises),
                "re-processing twice changed promises"
            );
        }
    }

    pub(crate) fn advance(&mut self, days: i8) {
        let to = self.today + i64::from(days);
        let expected = if days < 0 { Err(ErrKind::DayBackwards) } else { Ok(()) };
        let got = self.atp.advance_to(date(to));
        expect_outcome("advance_to", &expected, &got);
        if got.is_ok() {
            self.today = to;
        }
    }

    // ---- invariants ----------------------------------------------------------------

    /// Remembers when each unit of each schedule line was first seen.
    pub(crate) fn reconcile(&mut self) {
        let step = self.step;
        let ids = self.booked();
        for id in ids {
            let p =
                self.atp.booked(id).unwrap_or_else(|| panic!("{id} is not booked in the engine"));
            let mut agg: BTreeMap<Key, i128> = BTreeMap::new();
            for l in p.schedule() {
                let item = l.item.index();
                let units = self.steps(item, l.qty).expect("whole steps");
                let key = (item, l.site.index(), offset(l.available_on), offset(l.delivery));
                *agg.entry(key).or_default() += units;
            }
            let b = self.book.get_mut(&id).expect("booked");
            let mut recs = BTreeMap::new();
            for (key, q) in agg {
                let mut old = b.recs.remove(&key).unwrap_or_default();
                let total: i128 = old.iter().map(|r| r.qty).sum();
                if q <= total {
                    let mut excess = total - q;
                    while excess > 0 {
                        let last = old.last_mut().expect("records");
                        let c = excess.min(last.qty);
                        last.qty -= c;
                        excess -= c;
                        if last.qty == 0 {
                            old.pop();
                        }
                    }
                } else {
                    old.push(Rec { qty: q - total, step });
                }
                recs.insert(key, old);
            }
            b.recs = recs;
        }
    }

    /// Checks a promise just made.
    pub(crate) fn fresh(&self, line: &OrderLine, item: usize, p: &Promise) {
        if self.checks.has(Checks::LEAD_TIMES) {
            for l in p.schedule() {
                assert!(
                    offset(l.available_on) >= self.today,
                    "{} available on {} before today {}",
                    line.id,
                    l.available_on,
                    date(self.today)
                );
            }
        }
        if self.checks.has(Checks::SPLITS) {
            let min = line.min_split.map_or(1, |m| self.steps(item, m.value()).unwrap_or(1).max(1));
            let requested = self.decimal(item, self.steps(item, p.requested).unwrap_or(0));
            assert!(p.schedule().len() <= onhand_atp::MAX_SCHEDULE_LINES, "too many lines");
            if line.allow_split {
                for l in p.schedule() {
                    let covers = self.covers(item, l.item.index(), l.qty);
                    assert!(
                        covers >= min || p.confirmed == requested,
                        "{}: a schedule line of {} under the minimum split {min} and the line is short: {p:?}",
                        line.id,
                        l.qty
                    );
                }
            }
        }
    }

    pub(crate) fn covers(&self, item: usize, shipped: usize, qty: Decimal) -> i128 {
        let ratio = if shipped == item {
            Decimal::ONE
        } else {
            self.world.items[item]
                .subs
                .iter()
                .find(|(s, _)| *s == shipped)
                .map_or(Decimal::ONE, |(_, r)| *r)
        };
        self.steps(item, qty / ratio).unwrap_or(0)
    }

    pub(crate) fn check_invariants(&self) {
        // The engine's booked lines are the model's, in serve order, held as the model says.
        let engine = self.atp.booked_lines();
        let mut expected: Vec<(u8, NaiveDate, u64, LineId)> = self
            .book
            .values()
            .map(|b| (b.line.priority, b.line.requested, b.line.seq, b.line.id))
            .collect();
        expected.sort();
        let expected: Vec<LineId> = expected.into_iter().map(|k| k.3).collect();
        assert_eq!(engine, expected, "booked lines in serve order");
        // What the engine says booked lines hold of today's stock (from its own index)
        // equals what their schedules say, at every item-site.
        let today = self.atp.today();
        let mut held: std::collections::BTreeMap<(u32, u16), Decimal> =
            std::collections::BTreeMap::new();
        for (id, b) in &self.book {
            assert_eq!(self.atp.claim(*id), Some(b.claim), "claim of {id}");
            let p = self.atp.booked(*id).expect("booked");
            self.check_line(b, &p);
            for l in p.schedule().iter().filter(|l| l.available_on <= today) {
                *held.entry((l.item.raw(), l.site.raw())).or_default() += l.qty;
            }
        }
        let held_all = self.atp.held_now_all();
        for it in &self.world.items {
            for (code, s) in &self.world.sites {
                let want = held.get(&(it.ix.raw(), s.raw())).copied().unwrap_or_default();
                assert_eq!(self.atp.held(it.ix, *s), want, "held now: {} at {code}", it.code);
                assert_eq!(held_all.get(it.ix, *s), want, "held now (all): {} at {code}", it.code);
            }
        }
        // Listed: exactly the item-sites holding something, in order.
        let listed: Vec<(u32, u16, Decimal)> =
            held_all.iter().map(|(i, s, q)| (i.raw(), s.raw(), q)).collect();
        let want: Vec<(u32, u16, Decimal)> =
            held.iter().filter(|(_, q)| !q.is_zero()).map(|(&(i, s), &q)| (i, s, q)).collect();
        assert_eq!(listed, want, "held now (listed)");
        if self.checks.has(Checks::OVER_ALLOCATION) {
            self.check_over_allocation();
        }
        if self.checks.has(Checks::PROTECTION) {
            self.check_protection();
        }
        if self.checks.has(Checks::QUOTAS) {
            self.check_quotas();
        }
    }

    pub(crate) fn check_line(&self, b: &Booking, p: &Promise) {
        let id = b.line.id;
        let item = b.item;
        if self.checks.has(Checks::CONSERVATION) {
            let requested = self.decimal(item, b.qty);
            assert_eq!(p.requested, requested, "{id} requested");
            assert_eq!(p.confirmed + p.unconfirmed, p.requested, "{id}: confirmed + unconfirmed");
            assert!(p.confirmed >= Decimal::ZERO && p.unconfirmed >= Decimal::ZERO, "{id}: {p:?}");
            let covered: i128 =
                p.schedule().iter().map(|l| self.covers(item, l.item.index(), l.qty)).sum();
            assert_eq!(
                self.decimal(item, covered),
                p.confirmed,
                "{id}: the schedule covers the confirmation"
            );
            assert!(
                p.schedule().iter().all(|l| l.qty > Decimal::ZERO),
                "{id}: an empty schedule line"
            );
            let on_time = p.confirmed == p.requested
                && p.schedule().iter().all(|l| l.delivery <= b.line.requested);
            assert_eq!(p.on_time, on_time, "{id}: on time");
        }
        if self.checks.has(Checks::LEAD_TIMES) {
            for l in p.schedule() {
                let lead = self.world.lead(l.site.index(), &b.line.ship_to);
                let lead = lead.unwrap_or_else(|| {
                    panic!("{id} ships from a site not delivering to its region: {p:?}")
                });
                assert_eq!(
                    offset(l.delivery) - offset(l.available_on),
                    lead,
                    "{id}: delivery minus availability is handling plus transit"
                );
                let shipped = l.item.index();
                if shipped != item {
                    assert!(
                        b.line.allow_substitutes
                            && self.world.items[item].subs.iter().any(|(s, _)| *s == shipped),
                        "{id} ships an item that is not its substitute"
                    );
                    assert!(l.delivery <= b.line.requested, "{id}: a substitute confirmed late");
                }
            }
        }
        if self.checks.has(Checks::SPLITS) && !self.fair_ran && !b.reduced && !b.line.allow_split {
            assert!(p.schedule().len() <= 1, "{id} allows no split but has {p:?}");
            assert!(
                p.confirmed.is_zero() || p.confirmed == p.requested,
                "{id} allows no split but is partly confirmed: {p:?}"
            );
        }
    }

    /// Item-sites with supply, schedule lines or protection.
    pub(crate) fn item_sites(&self) -> BTreeSet<(usize, usize)> {
        let mut out: BTreeSet<(usize, usize)> = self.supply.keys().copied().collect();
        out.extend(self.protection.keys().copied());
        for b in self.book.values() {
            out.extend(b.recs.keys().map(|(i, s, _, _)| (*i, *s)));
        }
        out
    }

    /// Days on which an item-site's balance may change, from today on.
    pub(crate) fn days(&self, item: usize, site: usize) -> BTreeSet<i64> {
        let mut days = BTreeSet::from([self.today]);
        if let Some(s) = self.supply.get(&(item, site)) {
            days.extend(s.receipts.iter().map(|(d, _)| *d).filter(|d| *d > self.today));
        }
        for b in self.book.values() {
            days.extend(
                b.recs
                    .keys()
                    .filter(|(i, s, d, _)| *i == item && *s == site && *d > self.today)
                    .map(|k| k.2),
            );
        }
        days
    }

    /// Schedule units at an item-site that count for a check: taken after `since`, not
    /// beyond today's fence, from lines `filter` accepts. (day, qty). A line confirmed
    /// beyond the fence against assumed supply counts once the fence passes it: moving
    /// today re-checks it against real supply.
    pub(crate) fn counted(
        &self,
        item: usize,
        site: usize,
        since: u64,
        filter: impl Fn(&Booking) -> bool,
    ) -> Vec<(i64, i128)> {
        let mut out = Vec::new();
        let fence = self.fence();
        for b in self.book.values().filter(|b| filter(b)) {
            for ((i, s, d, _), recs) in &b.recs {
                if *i == item && *s == site {
                    out.extend(
                        recs.iter().filter(|r| r.step > since && *d < fence).map(|r| (*d, r.qty)),
                    );
                }
            }
        }
        out
    }

    pub(crate) fn check_over_allocation(&self) {
        for (item, site) in self.item_sites() {
            let since = self.lowered.get(&(item, site)).copied().unwrap_or(0);
            let taken = self.counted(item, site, since, |_| true);
            let supply = self.supply.get(&(item, site)).cloned().unwrap_or_default();
            for t in self.days(item, site) {
                let out: i128 = taken.iter().filter(|(d, _)| *d <= t).map(|(_, q)| q).sum();
                assert!(
                    supply.at(t) >= out,
                    "over-allocated: {} at {} on {}: supply {} < confirmed {out}\n{}",
                    self.world.items[item].code,
                    self.world.sites[site].0,
                    date(t),
                    supply.at(t),
                    self.describe(item, site)
                );
            }
        }
    }

    pub(crate) fn check_protection(&self) {
        for ((item, site), p) in &self.protection {
            if p.up_to == 0 || p.qty <= 0 {
                continue;
            }
            let since = p.since.max(self.lowered.get(&(*item, *site)).copied().unwrap_or(0));
            let low = self.counted(*item, *site, since, |b| b.line.priority > p.up_to);
            let supply = self.supply.get(&(*item, *site)).cloned().unwrap_or_default();
            for t in self.days(*item, *site) {
                let out: i128 = low.iter().filter(|(d, _)| *d <= t).map(|(_, q)| q).sum();
                assert!(
                    out == 0 || supply.at(t) - out >= p.qty,
                    "protected stock taken: {} at {} on {}: supply {} − less urgent {out} < protected {} (up to priority {})\n{}",
                    self.world.items[*item].code,
                    self.world.sites[*site].0,
                    date(t),
                    supply.at(t),
                    p.qty,
                    p.up_to,
                    self.describe(*item, *site)
                );
            }
        }
    }

    pub(crate) fn check_quotas(&self) {
        let Some(q) = &self.quotas else { return };
        for (item, loaded) in &q.rules {
            // Capacities as the engine has them now: from the current supply.
            let rule = &self.capacities(
                *item,
                &loaded.starts,
                loaded.cumulative,
                &loaded.patterns,
                &loaded.amounts,
                loaded.supply.clone(),
            );
            let mut used = vec![vec![0i128; rule.starts.len()]; rule.caps.len()];
            let mut fresh = BTreeSet::new();
            for b in self.book.values() {
                let Some(bucket) = rule.bucket(&b.line.class) else { continue };
                for ((i, _, d, _), recs) in &b.recs {
                    if i != item {
                        continue;
                    }
                    let p = rule.period(*d);
                    for r in recs {
                        used[bucket][p] += r.qty;
                        if r.step == self.step {
                            fresh.insert((bucket, p));
                        }
                    }
                }
            }
            // What picks used counts as served demand in the period it was confirmed for.
            for k in self.kept.iter().filter(|k| k.item == *item) {
                if let Some(bucket) = rule.bucket(&k.class) {
                    used[bucket][rule.period(k.day)] += k.qty;
                }
            }
            let all: Vec<(usize, usize)> = (0..rule.caps.len())
                .flat_map(|b| (0..rule.starts.len()).map(move |p| (b, p)))
                .collect();
            // Lowering supply can leave earlier bookings over a shrunken capacity: the
            // engine does not take confirmations back, so only new use is checked then.
            let lowered =
                self.lowered.iter().any(|((i, _), step)| i == item && *step >= loaded.since);
            let which: Vec<(usize, usize)> =
                if q.global && !lowered { all } else { fresh.into_iter().collect() };
            for (bucket, p) in which {
                if let Err(e) = rule.within(&used[bucket], bucket, p) {
                    panic!(
                        "quota of {} exceeded: {e}\ncaps {:?}\nused {used:?}\nrule {rule:?}",
                        self.world.items[*item].code, rule.caps
                    );
                }
            }
        }
    }

    pub(crate) fn describe(&self, item: usize, site: usize) -> String {
        let mut s = format!(
            "today {}, supply {:?}, protection {:?}\n",
            self.today,
            self.supply.get(&(item, site)),
            self.protection.get(&(item, site))
        );
        for (id, b) in &self.book {
            for ((i, st, d, dl), recs) in &b.recs {
                if *i == item && *st == site {
                    let _ = writeln!(
                        s,
                        "  {id} prio {} on {d} (delivery {dl}): {recs:?}",
                        b.line.priority
                    );
                }
            }
        }
        s
    }
}
