//! The model's state.

use super::*;

/// A position by business codes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct MKey {
    pub(crate) item: String,
    pub(crate) site: String,
    pub(crate) status: StockStatus,
    pub(crate) owner: String,
    pub(crate) bin: Option<String>,
    pub(crate) lot: Option<String>,
}

impl MKey {
    /// The key of a ledger position, by its codes.
    pub(crate) fn of(ledger: &Ledger, k: &PositionKey) -> MKey {
        let v = ledger.describe(k);
        MKey {
            item: v.item.to_string(),
            site: v.site.to_string(),
            status: v.status,
            owner: v.owner.to_string(),
            bin: v.bin.map(|b| b.to_string()),
            lot: v.lot.map(|l| l.to_string()),
        }
    }
}

/// A lot as the model knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MLot {
    pub(crate) item: String,
    pub(crate) code: String,
    pub(crate) expiry: Option<NaiveDate>,
    pub(crate) first: DateTime<Utc>,
}

/// One line of a transfer order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MLine {
    pub(crate) item: String,
    pub(crate) requested: Decimal,
    pub(crate) shipped: Decimal,
    pub(crate) received: Decimal,
    pub(crate) damaged: Decimal,
    pub(crate) over: Decimal,
    pub(crate) written_off: Decimal,
    /// In transit per (lot, owner); no zero entries.
    pub(crate) in_transit: BTreeMap<(Option<String>, String), Decimal>,
}

impl MLine {
    pub(crate) fn outstanding(&self) -> Decimal {
        self.in_transit.values().copied().sum()
    }
}

/// A transfer order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MOrder {
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) state: TransferState,
    pub(crate) requested_by: String,
    pub(crate) lines: Vec<MLine>,
    /// When it first shipped: nothing of it can be received before.
    pub(crate) shipped_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl MOrder {
    /// The state its quantities imply once approved (the `TransferState` docs).
    pub(crate) fn settle(&mut self) {
        if matches!(self.state, TransferState::Requested | TransferState::Closed) {
            return;
        }
        let any_shipped = self.lines.iter().any(|l| !l.shipped.is_zero());
        let all_shipped = self.lines.iter().all(|l| l.shipped >= l.requested);
        let any_received = self.lines.iter().any(|l| !l.received.is_zero() || !l.over.is_zero());
        let in_transit = self.lines.iter().any(|l| !l.outstanding().is_zero());
        self.state = if !any_shipped {
            TransferState::Approved
        } else if any_received {
            if all_shipped && !in_transit {
                TransferState::Received
            } else {
                TransferState::PartlyReceived
            }
        } else if all_shipped {
            TransferState::Shipped
        } else {
            TransferState::PartlyShipped
        };
    }
}

/// A line the model refused; why is recorded in the plan.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Refused;

/// A value of a line, or [`Refused`].
pub(crate) type Checked<T> = Result<T, Refused>;

/// A serial moving: to a position, or out of the network (`None`); `order` is the
/// transfer order it travels on, when it goes into transit.
#[derive(Debug, Clone)]
pub(crate) struct SerialMove {
    pub(crate) item: String,
    pub(crate) serial: String,
    pub(crate) to: Option<MKey>,
    pub(crate) order: Option<String>,
}

/// Everything an accepted (or pending) event changes in the model.
#[derive(Debug, Clone, Default)]
pub(crate) struct Effect {
    pub(crate) at: i64,
    pub(crate) changes: Vec<(MKey, Decimal)>,
    pub(crate) new_lots: Vec<MLot>,
    pub(crate) serial_moves: Vec<SerialMove>,
    pub(crate) order: Option<(String, MOrder)>,
    pub(crate) pending_needs: Option<(EventId, Vec<Role>)>,
    pub(crate) pending_remove: Option<EventId>,
    pub(crate) closed: Option<DateTime<Utc>>,
    /// A shipment's id and effective time (micros), which customer returns may name.
    pub(crate) shipped: Option<(EventId, i64)>,
    /// Expected change of each item's network total, from the event's meaning
    /// (receipts, shipments, adjustments, count variances, scrap, over-receipts,
    /// write-offs).
    pub(crate) net: BTreeMap<String, Decimal>,
}

/// What the model expects of an event.
#[derive(Debug, Clone)]
pub(crate) enum Verdict {
    /// A repeat of an event applied before.
    Duplicate,
    /// Rejected, with one of these errors.
    Reject(Vec<&'static str>),
    /// Held for (more) approval by these roles.
    Pending(Vec<Role>, Effect),
    /// Applied.
    Accept(Effect),
    /// The model does not decide (numbers at the edge of the decimal range): the ledger
    /// does, and only the model-free invariants are checked.
    Unsure,
}

/// The reference model.
#[derive(Debug, Clone)]
pub struct Model {
    pub(crate) cat: Arc<Catalog>,
    /// Every position's history: (effective micros, change), in time order, ties in
    /// arrival order.
    pub(crate) pos: BTreeMap<MKey, Vec<(i64, Decimal)>>,
    pub(crate) lots: Vec<MLot>,
    pub(crate) serials: BTreeMap<(String, String), MKey>,
    /// The transfer order each serial in transit travels on.
    pub(crate) transit_order: BTreeMap<(String, String), String>,
    pub(crate) orders: BTreeMap<String, MOrder>,
    pub(crate) pending: BTreeMap<EventId, (Event, Vec<Role>)>,
    pub(crate) seen: BTreeMap<EventId, Event>,
    pub(crate) closed: Option<DateTime<Utc>>,
    /// Every shipment applied (directly or once approved): its effective time (micros).
    /// A customer return naming one may not be dated before it.
    pub(crate) shipped: BTreeMap<EventId, i64>,
}

/// An event being judged.
pub(crate) struct Plan {
    pub(crate) errs: Vec<&'static str>,
    pub(crate) needs: Vec<Role>,
    pub(crate) granted_all: bool,
    pub(crate) unsure: bool,
    pub(crate) max_line: Decimal,
    /// The sum of the lines' measured quantities.
    pub(crate) total: Decimal,
    pub(crate) partial: Option<(EventId, Vec<Role>)>,
    pub(crate) fx: Effect,
}

impl Plan {
    pub(crate) fn new(ev: &Event, granted_all: bool) -> Self {
        Plan {
            errs: Vec::new(),
            needs: Vec::new(),
            granted_all,
            unsure: false,
            max_line: Decimal::ZERO,
            total: Decimal::ZERO,
            partial: None,
            fx: Effect { at: micros(ev.effective_at), ..Effect::default() },
        }
    }

    pub(crate) fn err(&mut self, e: &'static str) {
        if !self.errs.contains(&e) {
            self.errs.push(e);
        }
    }

    pub(crate) fn need(&mut self, r: Role) {
        if !self.granted_all && !self.needs.contains(&r) {
            self.needs.push(r);
        }
    }

    pub(crate) fn change(&mut self, key: MKey, c: Decimal) {
        match self.fx.changes.iter_mut().find(|(k, _)| *k == key) {
            Some((_, x)) => *x += c,
            None => self.fx.changes.push((key, c)),
        }
    }

    pub(crate) fn net(&mut self, item: &str, c: Decimal) {
        *self.fx.net.entry(item.to_owned()).or_default() += c;
    }

    /// Checks a move against the status table; a move needing a role the poster lacks
    /// waits for it.
    pub(crate) fn transition(
        &mut self,
        kind: EventKind,
        from: Option<StockStatus>,
        to: Option<StockStatus>,
        actor: &Actor,
    ) {
        let Some(mv) = movement_of(kind) else {
            self.err("WrongStatuses");
            return;
        };
        match check_move(mv, from, to) {
            Err(_) => self.err("IllegalMove"),
            Ok(Approval::Role(r)) if !actor.has(r) => self.need(r),
            Ok(_) => {}
        }
    }

    pub(crate) fn finish(mut self) -> Verdict {
        if self.unsure {
            Verdict::Unsure
        } else if !self.errs.is_empty() {
            Verdict::Reject(self.errs)
        } else if let Some((id, rem)) = self.partial.take() {
            self.fx.pending_needs = Some((id, rem.clone()));
            Verdict::Pending(rem, self.fx)
        } else if !self.needs.is_empty() {
            Verdict::Pending(self.needs, self.fx)
        } else {
            Verdict::Accept(self.fx)
        }
    }
}

/// Quantities above this, or with more decimals than this, are left to the ledger.
pub(crate) const BIG: Decimal = Decimal::from_parts(0x4876_E800, 0x0000_0918, 0, false, 0); // 10^13
pub(crate) const MAX_SCALE: u32 = 6;

impl Model {
    pub(crate) fn new(cat: Arc<Catalog>) -> Self {
        Model {
            cat,
            pos: BTreeMap::new(),
            lots: Vec::new(),
            serials: BTreeMap::new(),
            transit_order: BTreeMap::new(),
            orders: BTreeMap::new(),
            pending: BTreeMap::new(),
            seen: BTreeMap::new(),
            closed: None,
            shipped: BTreeMap::new(),
        }
    }

    // -- reading ------------------------------------------------------------------------

    pub(crate) fn qty(&self, k: &MKey) -> Decimal {
        self.pos.get(k).map_or(Decimal::ZERO, |h| h.iter().map(|x| x.1).sum())
    }

    /// The balance as of `at`: every change effective at or before it.
    pub(crate) fn as_of(&self, k: &MKey, at: i64) -> Decimal {
        self.pos.get(k).map_or(Decimal::ZERO, |h| h.iter().filter(|x| x.0 <= at).map(|x| x.1).sum())
    }

    /// The lowest balance from `at` on: the balance at `at`, then after each later change.
    pub(crate) fn min_from(&self, k: &MKey, at: i64) -> Decimal {
        let mut run = self.as_of(k, at);
        let mut min = run;
        for (t, c) in self.pos.get(k).into_iter().flatten() {
            if *t > at {
                run += *c;
                min = min.min(run);
            }
        }
        min
    }

    /// Every non-zero position.
    pub(crate) fn positions(&self) -> BTreeMap<MKey, Decimal> {
        self.pos.keys().map(|k| (k.clone(), self.qty(k))).filter(|(_, q)| !q.is_zero()).collect()
    }

    /// Positions with stock at a site (not in transit).
    pub(crate) fn stock(&self) -> Vec<(MKey, Decimal)> {
        self.positions()
            .into_iter()
            .filter(|(k, q)| *q > Decimal::ZERO && k.status != StockStatus::InTransit)
            .collect()
    }

    /// A measure of an item at a site as of `at` (statuses by the canonical rules).
    pub fn measure_as_of(
        &self,
        item: &str,
        site: &str,
        keep: impl Fn(StockStatus) -> bool,
        at: i64,
    ) -> Decimal {
        self.pos
            .keys()
            .filter(|k| k.item == item && k.site == site && keep(k.status))
            .map(|k| self.as_of(k, at))
            .sum()
    }

    pub(crate) fn serials_at(&self, key: &MKey) -> Vec<String> {
        self.serials.iter().filter(|(_, k)| *k == key).map(|((_, s), _)| s.clone()).collect()
    }

    pub(crate) fn serials_on(&self, order: &str, item: &str) -> Vec<String> {
        self.transit_order
            .iter()
            .filter(|((i, _), o)| i == item && *o == order)
            .map(|((_, s), _)| s.clone())
            .collect()
    }

    pub(crate) fn all_serials(&self) -> Vec<(String, String)> {
        self.serials.keys().cloned().collect()
    }

    pub(crate) fn orders(&self) -> &BTreeMap<String, MOrder> {
        &self.orders
    }

    pub(crate) fn pending(&self) -> &BTreeMap<EventId, (Event, Vec<Role>)> {
        &self.pending
    }

    pub(crate) fn lot(&self, item: &str, code: &str) -> Option<&MLot> {
        self.lots.iter().find(|l| l.item == item && l.code == code)
    }

    pub(crate) fn lot_index(&self, item: &str, code: Option<&String>) -> Option<usize> {
        code.and_then(|c| self.lots.iter().position(|l| l.item == item && l.code == *c))
    }

    pub(crate) fn site_entity(&self, site: SiteIx) -> String {
        self.cat
            .site_entity(site)
            .and_then(|e| self.cat.entity(e))
            .map_or_else(String::new, |e| e.code.to_string())
    }

    pub(crate) fn policy_status(&self, item: onhand_master::ItemIx, site: SiteIx) -> StockStatus {
        match self.cat.receive_into(item, site) {
            ReceiveInto::Receiving => StockStatus::Receiving,
            ReceiveInto::Available => StockStatus::Available,
            ReceiveInto::QualityHold => StockStatus::QualityHold,
        }
    }

    // -- judging ------------------------------------------------------------------------

    /// What the ledger should do with `ev`.
    pub(crate) fn judge(&self, ev: &Event) -> Verdict {
        // Event times carry at most microsecond precision: checked before anything else.
        let mut times = vec![ev.effective_at, ev.recorded_at];
        match &ev.body {
            Body::ClosePeriod { through, .. } => times.push(*through),
            Body::ReopenPeriod { to, .. } => times.extend(*to),
            Body::TransferRequest(r) => times.extend(r.expected_arrival),
            _ => {}
        }
        if times.iter().any(|t| !t.timestamp_subsec_nanos().is_multiple_of(1_000)) {
            return Verdict::Reject(vec!["TimePrecision"]);
        }
        if let Some(old) = self.seen.get(&ev.id) {
            // The same event recorded again later is still the same event.
            let mut again = ev.clone();
            again.recorded_at = old.recorded_at;
            return if *old == again {
                Verdict::Duplicate
            } else {
                Verdict::Reject(vec!["IdReused"])
            };
        }
        // Roles and sites come from the directory (the generators' actors), by canonical id.
        let Some(resolved) = resolve(ev) else { return Verdict::Reject(vec!["UnknownActor"]) };
        let ev = &resolved;
        let mut p = Plan::new(ev, false);
        let kind = ev.kind();
        if kind != EventKind::ClosePeriod && self.closed.is_some_and(|c| ev.effective_at < c) {
            p.err("PeriodClosed");
        }
        if !reason_ok(kind, &ev.reason) {
            p.err("ReasonNotAllowed");
        }
        if !matches!(kind, EventKind::Approve | EventKind::Reject)
            && !may_post(kind, &ev.actor.roles)
        {
            p.err("NotPermitted");
        }
        match &ev.body {
            Body::Approve { event } => self.approve(ev, *event, &mut p),
            Body::Reject { event } => self.reject(ev, *event, &mut p),
            // An entity's own close and a reopen (which waits for a second finance
            // person, and moves the close back) are left to the ledger, as reversals
            // are: the generators make neither, raw events may, and the ledger's own
            // tests (tests/governance.rs) check them. An accepted or held one ends the
            // comparison for the rest of the sequence.
            Body::ClosePeriod { entity: Some(_), .. } | Body::ReopenPeriod { .. } => {
                p.unsure = true;
            }
            Body::ClosePeriod { through, entity: None } => {
                if *through > ev.effective_at {
                    p.err("CloseInFuture");
                }
                // Nor past the latest recorded time of the events taken (applied or
                // held), this one's included: an event may be recorded before it takes
                // effect, so the close's own effective time does not bound it.
                let recorded =
                    self.seen.values().map(|e| e.recorded_at).fold(ev.recorded_at, Ord::max);
                if *through > recorded {
                    p.err("CloseBeyondRecorded");
                }
                if self.closed.is_some_and(|c| *through <= c) {
                    p.err("CloseNotForward");
                }
                p.fx.closed = Some(*through);
            }
            Body::TransferRequest(req) => self.transfer_request(ev, req, &mut p),
            Body::TransferApprove => self.transfer_approve(ev, &mut p),
            _ => {
                self.plan_stock(ev, &mut p);
                // Standard thresholds; reference costs are empty, so values are zero.
                let over = match kind {
                    EventKind::Adjustment => p.max_line > d(100) || p.total > d(100),
                    EventKind::CycleCount => p.max_line > d(500),
                    _ => false,
                };
                if over && !p.needs.contains(&Role::Supervisor) {
                    p.needs.push(Role::Supervisor);
                }
            }
        }
        p.finish()
    }

    pub(crate) fn approve(&self, ev: &Event, target: EventId, p: &mut Plan) {
        let Some((orig, needs)) = self.pending.get(&target) else {
            p.err("NoSuchPending");
            return;
        };
        if orig.actor.id.same_as(&ev.actor.id) {
            p.err("SelfApproval");
        }
        let Some(orig) = resolve(orig) else {
            p.err("UnknownActor");
            return;
        };
        let orig = &orig;
        let granted: Vec<Role> = needs.iter().copied().filter(|r| ev.actor.has(*r)).collect();
        if granted.is_empty() {
            p.err("ApproverLacksRole");
        }
        for site in self.sites_of(orig) {
            if !ev.actor.sites.covers(&site) {
                p.err("OutOfScope");
            }
        }
        if !p.errs.is_empty() {
            return;
        }
        let remaining: Vec<Role> = needs.iter().copied().filter(|r| !granted.contains(r)).collect();
        if !remaining.is_empty() {
            p.partial = Some((target, remaining));
            return;
        }
        if self.closed.is_some_and(|c| orig.effective_at < c) {
            p.err("PeriodClosed");
            return;
        }
        let mut inner = Plan::new(orig, true);
        self.plan_stock(orig, &mut inner);
        p.unsure |= inner.unsure;
        for e in inner.errs {
            p.err(e);
        }
        p.fx = inner.fx;
        p.fx.pending_remove = Some(target);
    }

    pub(crate) fn reject(&self, ev: &Event, target: EventId, p: &mut Plan) {
        let Some((orig, needs)) = self.pending.get(&target) else {
            p.err("NoSuchPending");
            return;
        };
        let own = orig.actor.id.same_as(&ev.actor.id);
        if !own && !needs.iter().any(|r| ev.actor.has(*r)) {
            p.err("ApproverLacksRole");
        }
        p.fx.pending_remove = Some(target);
    }

    /// The sites an event acts on, for an approver's scope.
    pub(crate) fn sites_of(&self, ev: &Event) -> Vec<SiteCode> {
        match &ev.body {
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
            | Body::Scrap(m)
            | Body::SupplierReturn(m) => vec![m.site.clone()],
            Body::CycleCount(c) => vec![c.site.clone()],
            Body::TransferClose => self
                .orders
                .get(ev.reference.number.as_str())
                .map(|o| vec![code(&o.to)])
                .unwrap_or_default(),
            Body::TransferRequest(r) => vec![r.to.clone()],
            // A reversal's site is its original's, of which the model keeps no record
            // (see `plan_stock`).
            Body::TransferApprove
            | Body::Approve { .. }
            | Body::Reject { .. }
            | Body::ClosePeriod { .. }
            | Body::ReopenPeriod { .. }
            | Body::Reversal { .. } => Vec::new(),
        }
    }

    pub(crate) fn transfer_request(&self, ev: &Event, req: &TransferRequest, p: &mut Plan) {
        if ev.reference.kind != DocKind::TransferOrder {
            p.err("WrongDocument");
            return;
        }
        let number = ev.reference.number.to_string();
        if self.orders.contains_key(&number) {
            p.err("TransferExists");
        }
        let from = self.cat.site_ix(&req.from);
        let to = self.cat.site_ix(&req.to);
        if from.is_none() || to.is_none() {
            p.err("UnknownSite");
        }
        if req.from == req.to {
            p.err("TransferToSelf");
        }
        if !(ev.actor.sites.covers(&req.from) || ev.actor.sites.covers(&req.to)) {
            p.err("OutOfScope");
        }
        if req.lines.is_empty() {
            p.err("NoLines");
        }
        let mut lines: Vec<MLine> = Vec::new();
        for l in &req.lines {
            let Some(base) = self.base(&l.item, l.qty, p) else { continue };
            if base <= Decimal::ZERO {
                p.err("ZeroQuantity");
                continue;
            }
            let item = l.item.to_string();
            match lines.iter_mut().find(|x| x.item == item) {
                Some(x) => x.requested += base,
                None => lines.push(MLine {
                    item,
                    requested: base,
                    shipped: Decimal::ZERO,
                    received: Decimal::ZERO,
                    damaged: Decimal::ZERO,
                    over: Decimal::ZERO,
                    written_off: Decimal::ZERO,
                    in_transit: BTreeMap::new(),
                }),
            }
        }
        let order = MOrder {
            from: req.from.to_string(),
            to: req.to.to_string(),
            state: TransferState::Requested,
            requested_by: ev.actor.id.to_string(),
            lines,
            shipped_at: None,
        };
        p.fx.order = Some((number, order));
    }

    pub(crate) fn transfer_approve(&self, ev: &Event, p: &mut Plan) {
        if ev.reference.kind != DocKind::TransferOrder {
            p.err("WrongDocument");
            return;
        }
        let number = ev.reference.number.to_string();
        let Some(order) = self.orders.get(&number) else {
            p.err("UnknownTransfer");
            return;
        };
        if order.state != TransferState::Requested {
            p.err("TransferState");
        }
        if order.requested_by.eq_ignore_ascii_case(ev.actor.id.as_str()) {
            p.err("SelfApproval");
        }
        if !(ev.actor.sites.covers(&code(&order.from)) || ev.actor.sites.covers(&code(&order.to))) {
            p.err("OutOfScope");
        }
        let mut o = order.clone();
        o.state = TransferState::Approved;
        p.fx.order = Some((number, o));
    }

    /// An item's quantity in base units (`None` after recording why not).
    pub(crate) fn base(&self, item: &ItemCode, qty: Qty, p: &mut Plan) -> Option<Decimal> {
        let Some(ix) = self.cat.item_ix(item) else {
            p.err("UnknownItem");
            return None;
        };
        let units = self.cat.item_units(ix)?;
        let Ok(base) = units.to_base(qty) else {
            p.err("Quantity");
            return None;
        };
        let base = base.value();
        if base > MAX_LINE_QTY {
            p.err("Quantity");
            return None;
        }
        if base > BIG || base.scale() > MAX_SCALE {
            p.unsure = true;
        }
        Some(base)
    }

    /// A bin on a line: sites with bins need one they have; others take none.
    pub(crate) fn bin(
        &self,
        site: SiteIx,
        bin: Option<&BinCode>,
        p: &mut Plan,
    ) -> Checked<Option<String>> {
        let has_bins = self.cat.site(site).is_some_and(|s| !s.bins.is_empty());
        match (bin, has_bins) {
            (Some(b), true) => {
                if self.cat.bin_ix(site, b).is_some() {
                    Ok(Some(b.to_string()))
                } else {
                    p.err("UnknownBin");
                    Err(Refused)
                }
            }
            (None, false) => Ok(None),
            _ => {
                p.err("BinMismatch");
                Err(Refused)
            }
        }
    }

    /// The owner of a line: the one named (it must exist), else the site's entity.
    pub(crate) fn owner(
        &self,
        site: SiteIx,
        owner: Option<&onhand_master::EntityCode>,
        p: &mut Plan,
    ) -> Option<String> {
        match owner {
            Some(o) if self.cat.entity_ix(o).is_some() => Some(o.to_string()),
            Some(_) => {
                p.err("UnknownEntity");
                None
            }
            None => Some(self.site_entity(site)),
        }
    }

    /// The lot of a line: a known lot, or a new one for stock coming from outside.
    pub(crate) fn lot_for(
        &self,
        item: &Item,
        lot: Option<&LotCode>,
        expiry: Option<NaiveDate>,
        inbound: bool,
        ev: &Event,
        p: &mut Plan,
    ) -> Checked<Option<String>> {
        let tracked = item.tracking == Tracking::Lot;
        let Some(code) = lot else {
            if tracked {
                p.err("LotMismatch");
                return Err(Refused);
            }
            return Ok(None);
        };
        if !tracked {
            p.err("LotMismatch");
            return Err(Refused);
        }
        let (i, c) = (item.code.to_string(), code.to_string());
        let existing = self.lot(&i, &c).map(|l| l.expiry).or_else(|| {
            p.fx.new_lots.iter().find(|l| l.item == i && l.code == c).map(|l| l.expiry)
        });
        if let Some(existing) = existing {
            if expiry.is_some_and(|given| existing != Some(given)) {
                p.err("LotExpiryConflict");
                return Err(Refused);
            }
            return Ok(Some(c));
        }
        if !inbound {
            p.err("UnknownLot");
            return Err(Refused);
        }
        let expiry = expiry.or_else(|| {
            item.shelf_life_days.and_then(|days| {
                ev.effective_at.date_naive().checked_add_days(Days::new(u64::from(days)))
            })
        });
        p.fx.new_lots.push(MLot { item: i, code: c.clone(), expiry, first: ev.effective_at });
        Ok(Some(c))
    }

    pub(crate) fn expired(
        &self,
        item: &str,
        lot: Option<&String>,
        p: &Plan,
        today: NaiveDate,
    ) -> bool {
        let Some(lot) = lot else { return false };
        let info = self
            .lot(item, lot)
            .or_else(|| p.fx.new_lots.iter().find(|l| l.item == item && l.code == *lot));
        info.and_then(|l| l.expiry).is_some_and(|e| e < today)
    }

    pub(crate) fn repeated(p: &Plan, item: &str, serial: &str) -> bool {
        p.fx.serial_moves.iter().any(|m| m.item == item && m.serial == serial)
    }

    /// Serials on a movement line: one per base unit of a serial-tracked item (none
    /// otherwise), none listed twice, each where the line takes it from (or nowhere, for
    /// stock coming in). Returns false after recording why not.
    #[allow(clippy::too_many_arguments)] // each is a distinct fact of the line
    pub(crate) fn plan_serials(
        &self,
        item: &Item,
        serials: &[SerialNo],
        base: Decimal,
        from: Option<&MKey>,
        to: Option<&MKey>,
        order: Option<&str>,
        p: &mut Plan,
    ) -> bool {
        let tracked = item.tracking == Tracking::Serial;
        let expected = if tracked { base } else { Decimal::ZERO };
        if Decimal::from(serials.len()) != expected {
            p.err("SerialCount");
            return false;
        }
        let i = item.code.to_string();
        for s in serials {
            let s = s.to_string();
            if Self::repeated(p, &i, &s) {
                p.err("SerialRepeated");
                return false;
            }
            let here = self.serials.get(&(i.clone(), s.clone()));
            match from {
                None if here.is_some() => {
                    p.err("SerialInNetwork");
                    return false;
                }
                Some(f) if here != Some(f) => {
                    p.err("SerialNotHere");
                    return false;
                }
                _ => {}
            }
            p.fx.serial_moves.push(SerialMove {
                item: i.clone(),
                serial: s,
                to: to.cloned(),
                order: order.map(str::to_owned),
            });
        }
        true
    }

    pub(crate) fn order_for(
        &self,
        ev: &Event,
        site: &SiteCode,
        kind: EventKind,
        p: &mut Plan,
    ) -> Option<MOrder> {
        if ev.reference.kind != DocKind::TransferOrder {
            p.err("WrongDocument");
            return None;
        }
        let Some(order) = self.orders.get(ev.reference.number.as_str()) else {
            p.err("UnknownTransfer");
            return None;
        };
        let ship = kind == EventKind::TransferShip;
        if !(if ship { may_ship(order.state) } else { may_receive(order.state) }) {
            p.err("TransferState");
            return None;
        }
        let expected = if ship { &order.from } else { &order.to };
        if site.as_str() != expected {
            p.err(if self.cat.site_ix(site).is_some() { "TransferSite" } else { "UnknownSite" });
            return None;
        }
        if !ship && order.shipped_at.is_some_and(|s| ev.effective_at < s) {
            p.err("ReceivedBeforeShipped");
            return None;
        }
        Some(order.clone())
    }

    /// A stock event (what `Ledger::plan` does): lines, counts or a transfer close, then
    /// the balance check.
    pub(crate) fn plan_stock(&self, ev: &Event, p: &mut Plan) {
        let kind = ev.kind();
        match &ev.body {
            Body::CycleCount(c) => self.plan_count(ev, c, p),
            Body::TransferClose => self.plan_close(ev, p),
            Body::CustomerReturn(m) => {
                self.plan_lines(ev, kind, m, p);
                // Goods come back after they left: a line naming a shipment applied
                // later than the return is refused.
                for line in &m.lines {
                    let left = line.original.and_then(|o| self.shipped.get(&o));
                    if left.is_some_and(|t| p.fx.at < *t) {
                        p.err("ReturnBeforeOriginal");
                    }
                }
            }
            Body::Ship(m) => {
                self.plan_lines(ev, kind, m, p);
                p.fx.shipped = Some((ev.id, p.fx.at));
            }
            Body::Receipt(m)
            | Body::Putaway(m)
            | Body::Pick(m)
            | Body::TransferShip(m)
            | Body::TransferReceipt(m)
            | Body::Disposition(m)
            | Body::Adjustment(m)
            | Body::StatusChange(m)
            | Body::Scrap(m) => self.plan_lines(ev, kind, m, p),
            // Reversals and returns to supplier act on what an earlier event did, which
            // the model does not record: it leaves them to the ledger (an accepted one
            // ends the comparison for the rest of the sequence). The generators make
            // none; the ledger's own tests (tests/reversal.rs) check them.
            Body::Reversal { .. } | Body::SupplierReturn(_) => p.unsure = true,
            Body::TransferRequest(_)
            | Body::TransferApprove
            | Body::Approve { .. }
            | Body::Reject { .. }
            | Body::ClosePeriod { .. }
            | Body::ReopenPeriod { .. } => {}
        }
        if !p.errs.is_empty() {
            return;
        }
        // No position may go below zero, now or at any later point of its history.
        for (key, change) in &p.fx.changes {
            if *change >= Decimal::ZERO {
                continue;
            }
            if self.min_from(key, p.fx.at) + *change >= Decimal::ZERO {
                continue;
            }
            let item = self.cat.item_ix(&code(&key.item));
            let site = self.cat.site_ix(&code(&key.site));
            let serial =
                item.and_then(|i| self.cat.item(i)).is_some_and(|i| i.tracking == Tracking::Serial);
            let allowed = key.status != StockStatus::InTransit
                && !serial
                && matches!((item, site), (Some(i), Some(s)) if self.cat.negative_stock(i, s) == NegativeStock::Allow);
            if !allowed {
                p.errs.push("InsufficientStock");
                return;
            }
        }
    }

    pub(crate) fn plan_lines(&self, ev: &Event, kind: EventKind, mv: &SiteLines, p: &mut Plan) {
        let site_ix = self.cat.site_ix(&mv.site);
        if site_ix.is_none() {
            p.err("UnknownSite");
        }
        let site = mv.site.to_string();
        if !ev.actor.sites.covers(&mv.site) {
            p.err("OutOfScope");
        }
        if mv.lines.is_empty() {
            p.err("NoLines");
        }
        let mut order = match kind {
            EventKind::TransferShip | EventKind::TransferReceipt => {
                match self.order_for(ev, &mv.site, kind, p) {
                    Some(o) => Some(o),
                    None => return,
                }
            }
            _ => None,
        };
        let Some(site_ix) = site_ix else { return };
        let number = ev.reference.number.to_string();
        let today = ev.effective_at.date_naive();
        for line in &mv.lines {
            let Some(item_ix) = self.cat.item_ix(&line.item) else {
                p.err("UnknownItem");
                continue;
            };
            let Some(item) = self.cat.item(item_ix) else { continue };
            let Some(base) = self.base(&line.item, line.qty, p) else { continue };
            if base <= Decimal::ZERO {
                p.err("ZeroQuantity");
                continue;
            }
            let Some((from, to)) = statuses(kind, line, self.policy_status(item_ix, site_ix))
            else {
                p.err("WrongStatuses");
                continue;
            };
            // The fields a line carries for other engines: a unit cost only on stock
            // from outside and never below zero, an original shipment only on a customer
            // return (returns to supplier are left to the ledger).
            if let Some(cost) = line.unit_cost {
                if from.is_some() {
                    p.err("FieldNotAllowed");
                } else if cost.amount() < Decimal::ZERO {
                    p.err("NegativeCost");
                }
            }
            if line.original.is_some() && kind != EventKind::CustomerReturn {
                p.err("FieldNotAllowed");
            }
            let Some(owner) = self.owner(site_ix, line.owner.as_ref(), p) else { continue };
            let Ok(lot) = self.lot_for(item, line.lot.as_ref(), line.expiry, from.is_none(), ev, p)
            else {
                continue;
            };
            let i = item.code.to_string();
            if matches!(kind, EventKind::Pick | EventKind::Ship | EventKind::TransferShip)
                && self.expired(&i, lot.as_ref(), p, today)
            {
                p.err("LotExpired");
            }
            p.max_line = p.max_line.max(base);
            p.total = p.total.saturating_add(base);
            let key = |status: StockStatus, site: &str, owner: &str, bin: Option<String>| MKey {
                item: i.clone(),
                site: site.to_owned(),
                status,
                owner: owner.to_owned(),
                bin,
                lot: lot.clone(),
            };
            match (kind, order.as_mut()) {
                (EventKind::TransferShip, Some(order)) => {
                    let at = ev.effective_at;
                    order.shipped_at = Some(order.shipped_at.map_or(at, |s| s.min(at)));
                    p.transition(kind, from, to, &ev.actor);
                    let Ok(from_bin) = self.bin(site_ix, line.bin.as_ref(), p) else { continue };
                    let from_key = from.map(|s| key(s, &site, &owner, from_bin));
                    let to_key = key(StockStatus::InTransit, &order.to, &owner, None);
                    let Some(ol) = order.lines.iter_mut().find(|l| l.item == i) else {
                        p.err("NotOnTransfer");
                        continue;
                    };
                    if ol.shipped + base > ol.requested {
                        p.err("OverShipment");
                        continue;
                    }
                    ol.shipped += base;
                    *ol.in_transit.entry((lot.clone(), owner.clone())).or_default() += base;
                    if !self.plan_serials(
                        item,
                        &line.serials,
                        base,
                        from_key.as_ref(),
                        Some(&to_key),
                        Some(&number),
                        p,
                    ) {
                        continue;
                    }
                    if let Some(k) = from_key {
                        p.change(k, -base);
                    }
                    p.change(to_key, base);
                }
                (EventKind::TransferReceipt, Some(order)) => {
                    let Ok(to_bin) =
                        self.bin(site_ix, line.to_bin.as_ref().or(line.bin.as_ref()), p)
                    else {
                        continue;
                    };
                    let to = to.unwrap_or(StockStatus::Receiving);
                    let to_key = key(to, &site, &owner, to_bin);
                    let lot_ix = |l: &Option<String>| self.lot_index(&i, l.as_ref());
                    let owner_ix = |o: &String| {
                        self.cat
                            .entity_ix(&code(o))
                            .map_or(usize::MAX, onhand_master::EntityIx::index)
                    };
                    let Some(ol) = order.lines.iter_mut().find(|l| l.item == i) else {
                        p.err("NotOnTransfer");
                        continue;
                    };
                    let mut taken: Vec<((Option<String>, String), Decimal)> = Vec::new();
                    let mut over = Decimal::ZERO;
                    if item.tracking == Tracking::Serial {
                        if Decimal::from(line.serials.len()) != base {
                            p.err("SerialCount");
                            continue;
                        }
                        let mut bad = false;
                        for s in &line.serials {
                            let s = s.to_string();
                            if Self::repeated(p, &i, &s) {
                                p.err("SerialRepeated");
                                bad = true;
                                break;
                            }
                            match self.serials.get(&(i.clone(), s.clone())) {
                                Some(k)
                                    if k.status == StockStatus::InTransit
                                        && k.site == site
                                        && k.lot == lot =>
                                {
                                    let tk = (lot.clone(), k.owner.clone());
                                    match taken.iter_mut().find(|(t, _)| *t == tk) {
                                        Some((_, q)) => *q += Decimal::ONE,
                                        None => taken.push((tk, Decimal::ONE)),
                                    }
                                }
                                None => over += Decimal::ONE,
                                Some(_) => {
                                    p.err("SerialInNetwork");
                                    bad = true;
                                    break;
                                }
                            }
                            p.fx.serial_moves.push(SerialMove {
                                item: i.clone(),
                                serial: s,
                                to: Some(to_key.clone()),
                                order: None,
                            });
                        }
                        if bad {
                            continue;
                        }
                    } else {
                        if !line.serials.is_empty() {
                            p.err("SerialCount");
                            continue;
                        }
                        // Take from what this order has in transit for the lot, owners in
                        // order; the rest came on top of what was shipped.
                        let mut entries: Vec<(&(Option<String>, String), &Decimal)> =
                            ol.in_transit.iter().filter(|((l, _), _)| *l == lot).collect();
                        entries.sort_by_key(|((l, o), _)| (lot_ix(l), owner_ix(o)));
                        let mut left = base;
                        for (tk, q) in entries {
                            let t = left.min(*q);
                            if !t.is_zero() {
                                taken.push((tk.clone(), t));
                                left -= t;
                            }
                        }
                        over = left;
                    }
                    let mut from_transit = Decimal::ZERO;
                    let mut short = false;
                    for (tk, t) in &taken {
                        match ol.in_transit.get_mut(tk) {
                            Some(q) if *q >= *t => {
                                *q -= *t;
                                from_transit += *t;
                                p.change(key(StockStatus::InTransit, &site, &tk.1, None), -*t);
                            }
                            _ => short = true,
                        }
                    }
                    if short {
                        p.err("InsufficientStock");
                        continue;
                    }
                    ol.in_transit.retain(|_, q| !q.is_zero());
                    ol.received += from_transit;
                    ol.over += over;
                    if to == StockStatus::Damaged {
                        ol.damaged += base;
                    }
                    if !from_transit.is_zero() {
                        p.transition(kind, Some(StockStatus::InTransit), Some(to), &ev.actor);
                    }
                    if !over.is_zero() {
                        p.transition(kind, None, Some(to), &ev.actor);
                        // No over-receipt tolerance in the standard rules.
                        p.need(Role::Supervisor);
                    }
                    p.change(to_key, base);
                    p.net(&i, over);
                }
                _ => {
                    p.transition(kind, from, to, &ev.actor);
                    let from_bin = match from {
                        Some(_) => match self.bin(site_ix, line.bin.as_ref(), p) {
                            Ok(b) => b,
                            Err(Refused) => continue,
                        },
                        None => None,
                    };
                    let to_bin = match to {
                        Some(_) => {
                            match self.bin(site_ix, line.to_bin.as_ref().or(line.bin.as_ref()), p) {
                                Ok(b) => b,
                                Err(Refused) => continue,
                            }
                        }
                        None => None,
                    };
                    let from_key = from.map(|s| key(s, &site, &owner, from_bin));
                    let to_key = to.map(|s| key(s, &site, &owner, to_bin));
                    if from_key == to_key {
                        p.err("WrongStatuses");
                        continue;
                    }
                    if !self.plan_serials(
                        item,
                        &line.serials,
                        base,
                        from_key.as_ref(),
                        to_key.as_ref(),
                        None,
                        p,
                    ) {
                        continue;
                    }
                    if let Some(k) = from_key {
                        p.change(k, -base);
                    }
                    if let Some(k) = to_key {
                        p.change(k, base);
                    }
                    match (in_network(from), in_network(to)) {
                        (false, true) => p.net(&i, base),
                        (true, false) => p.net(&i, -base),
                        _ => {}
                    }
                }
            }
        }
        if let Some(mut o) = order {
            o.settle();
            p.fx.order = Some((number, o));
        }
    }

    pub(crate) fn plan_count(&self, ev: &Event, count: &Count, p: &mut Plan) {
        let Some(site_ix) = self.cat.site_ix(&count.site) else {
            p.err("UnknownSite");
            return;
        };
        let site = count.site.to_string();
        if !ev.actor.sites.covers(&count.site) {
            p.err("OutOfScope");
        }
        if count.lines.is_empty() {
            p.err("NoLines");
            return;
        }
        let mut counted_keys: Vec<MKey> = Vec::new();
        for line in &count.lines {
            let Some(item_ix) = self.cat.item_ix(&line.item) else {
                p.err("UnknownItem");
                continue;
            };
            let Some(item) = self.cat.item(item_ix) else { continue };
            let Some(counted) = self.base(&line.item, line.counted, p) else { continue };
            let status = line.status.unwrap_or(StockStatus::Available);
            if !status.is_on_hand() {
                p.err("WrongStatuses");
                continue;
            }
            let Some(owner) = self.owner(site_ix, line.owner.as_ref(), p) else { continue };
            let Ok(bin) = self.bin(site_ix, line.bin.as_ref(), p) else { continue };
            let Ok(lot) =
                self.lot_for(item, line.lot.as_ref(), None, counted > Decimal::ZERO, ev, p)
            else {
                continue;
            };
            let i = item.code.to_string();
            let key = MKey { item: i.clone(), site: site.clone(), status, owner, bin, lot };
            if counted_keys.contains(&key) {
                p.err("WrongStatuses");
                continue;
            }
            let book = self.as_of(&key, p.fx.at);
            let variance = counted - book;
            if item.tracking == Tracking::Serial {
                if Decimal::from(line.serials.len()) != counted {
                    p.err("SerialCount");
                    continue;
                }
                // Serials are known as they are now: no count before a later movement.
                if self.pos.get(&key).into_iter().flatten().any(|(t, _)| *t > p.fx.at) {
                    p.err("BackDatedSerialCount");
                    continue;
                }
                // As the ledger checks: a serial listed twice on the line first, then
                // each serial in turn (on another line of the event, then elsewhere in
                // the network).
                let mut listed: BTreeSet<String> = BTreeSet::new();
                if !line.serials.iter().all(|s| listed.insert(s.to_string())) {
                    p.err("SerialRepeated");
                    continue;
                }
                let mut bad = false;
                for s in &line.serials {
                    let s = s.to_string();
                    if Self::repeated(p, &i, &s) {
                        p.err("SerialRepeated");
                        bad = true;
                        break;
                    }
                    match self.serials.get(&(i.clone(), s.clone())) {
                        Some(k) if *k == key => {}
                        Some(_) => {
                            p.err("SerialInNetwork");
                            bad = true;
                            break;
                        }
                        None => p.fx.serial_moves.push(SerialMove {
                            item: i.clone(),
                            serial: s,
                            to: Some(key.clone()),
                            order: None,
                        }),
                    }
                }
                if bad {
                    continue;
                }
                for s in self.serials_at(&key) {
                    if !listed.contains(&s) {
                        p.fx.serial_moves.push(SerialMove {
                            item: i.clone(),
                            serial: s,
                            to: None,
                            order: None,
                        });
                    }
                }
            } else if !line.serials.is_empty() {
                p.err("SerialCount");
                continue;
            }
            if variance > Decimal::ZERO {
                p.transition(EventKind::CycleCount, None, Some(status), &ev.actor);
            } else if variance < Decimal::ZERO {
                p.transition(EventKind::CycleCount, Some(status), None, &ev.actor);
            }
            p.max_line = p.max_line.max(variance.abs());
            p.total = p.total.saturating_add(variance.abs());
            if !variance.is_zero() {
                p.change(key.clone(), variance);
                p.net(&i, variance);
            }
            counted_keys.push(key);
        }
    }

    pub(crate) fn plan_close(&self, ev: &Event, p: &mut Plan) {
        if ev.reference.kind != DocKind::TransferOrder {
            p.err("WrongDocument");
            return;
        }
        let number = ev.reference.number.to_string();
        let Some(order) = self.orders.get(&number) else {
            p.err("UnknownTransfer");
            return;
        };
        if order.state == TransferState::Closed {
            p.err("TransferState");
            return;
        }
        if !(ev.actor.sites.covers(&code(&order.from)) || ev.actor.sites.covers(&code(&order.to))) {
            p.err("OutOfScope");
        }
        let mut o = order.clone();
        let mut any = false;
        for line in &mut o.lines {
            let short = line.outstanding();
            for ((lot, owner), q) in &line.in_transit {
                let key = MKey {
                    item: line.item.clone(),
                    site: o.to.clone(),
                    status: StockStatus::InTransit,
                    owner: owner.clone(),
                    bin: None,
                    lot: lot.clone(),
                };
                p.change(key, -*q);
            }
            // The serials this order still has in transit leave the network with it.
            for s in self.serials_on(&number, &line.item) {
                p.fx.serial_moves.push(SerialMove {
                    item: line.item.clone(),
                    serial: s,
                    to: None,
                    order: None,
                });
            }
            line.in_transit.clear();
            line.written_off += short;
            any |= !short.is_zero();
            p.max_line = p.max_line.max(short);
            let item = line.item.clone();
            p.net(&item, -short);
        }
        if any {
            p.transition(EventKind::TransferClose, Some(StockStatus::InTransit), None, &ev.actor);
        }
        o.state = TransferState::Closed;
        p.fx.order = Some((number, o));
    }

    // -- applying -----------------------------------------------------------------------

    /// Applies what the model decided (after the ledger agreed).
    pub(crate) fn commit(&mut self, ev: &Event, verdict: &Verdict) {
        let fx = match verdict {
            Verdict::Accept(fx) => fx,
            Verdict::Pending(needs, fx) => {
                self.seen.insert(ev.id, ev.clone());
                match &fx.pending_needs {
                    Some((id, rem)) => {
                        if let Some(p) = self.pending.get_mut(id) {
                            p.1.clone_from(rem);
                        }
                    }
                    None => {
                        self.pending.insert(ev.id, (ev.clone(), needs.clone()));
                    }
                }
                return;
            }
            Verdict::Duplicate | Verdict::Reject(_) | Verdict::Unsure => return,
        };
        self.seen.insert(ev.id, ev.clone());
        self.lots.extend(fx.new_lots.iter().cloned());
        for (k, c) in &fx.changes {
            if c.is_zero() {
                continue;
            }
            let hist = self.pos.entry(k.clone()).or_default();
            let i = hist.partition_point(|h| h.0 <= fx.at);
            hist.insert(i, (fx.at, *c));
        }
        for m in &fx.serial_moves {
            let id = (m.item.clone(), m.serial.clone());
            if let Some(k) = &m.to {
                self.serials.insert(id.clone(), k.clone());
                match &m.order {
                    Some(o) => self.transit_order.insert(id, o.clone()),
                    None => self.transit_order.remove(&id),
                };
            } else {
                self.serials.remove(&id);
                self.transit_order.remove(&id);
            }
        }
        if let Some((n, o)) = &fx.order {
            self.orders.insert(n.clone(), o.clone());
        }
        if let Some(id) = fx.pending_remove {
            self.pending.remove(&id);
        }
        if let Some(t) = fx.closed {
            self.closed = Some(t);
        }
        if let Some((id, at)) = fx.shipped {
            self.shipped.insert(id, at);
        }
    }
}
