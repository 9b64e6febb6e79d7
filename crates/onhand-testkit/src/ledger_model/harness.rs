//! The harness.

use super::*;

/// A failure with what led to it.
pub(crate) type Failure = String;

/// The ledger and the model side by side, with the journal of state-changing events.
pub struct Harness {
    /// The demo catalog both run on.
    pub cat: Arc<Catalog>,
    pub(crate) rules: Rules,
    /// The ledger under test.
    pub ledger: Ledger,
    /// The reference model.
    pub model: Model,
    /// False once an event the model could not judge was applied: from then on only the
    /// model-free invariants are checked.
    pub(crate) in_sync: bool,
    pub(crate) journal: Journal,
    /// Every event applied, in order.
    pub history: Vec<Event>,
    /// The outcome of each event in `history`.
    pub(crate) log: Vec<String>,
    /// Outcome counts by kind, for coverage reports.
    pub(crate) outcomes: BTreeMap<String, usize>,
    pub(crate) clock: i64,
    pub(crate) next_id: u128,
    pub(crate) next_doc: u32,
    pub(crate) next_serial: u32,
}

/// An outcome as the harness logs it.
pub(crate) fn outcome_of(got: &Result<Applied, LedgerError>) -> String {
    match got {
        Ok(Applied::Accepted(_)) => "accepted".to_owned(),
        Ok(Applied::Pending { needs, .. }) => format!("pending {needs:?}"),
        Ok(Applied::Duplicate) => "duplicate".to_owned(),
        Err(e) => format!("rejected {}: {e}", class(e)),
    }
}

impl Harness {
    /// A ledger and a model, both empty, on the demo network.
    #[must_use]
    pub fn new() -> Self {
        // The demo catalog is built (and validated) once per process.
        static DEMO: std::sync::OnceLock<Arc<Catalog>> = std::sync::OnceLock::new();
        let cat = DEMO
            .get_or_init(|| Arc::new(Catalog::new(seed::demo_network()).expect("demo network")))
            .clone();
        // Every actor the generators use, in the rules' directory: the ledger reads roles
        // and sites from here, not from the events.
        let rules = (0..ACTORS.len()).fold(
            Rules::standard(CurrencyCode::new("USD").expect("USD")),
            |rules, i| {
                let a = actor(i);
                rules.with_actor(a.id, ActorRecord::new(&a.roles, a.sites))
            },
        );
        let ledger = Ledger::new(cat.clone(), rules.clone()).expect("standard rules");
        Harness {
            model: Model::new(cat.clone()),
            cat,
            rules,
            ledger,
            in_sync: true,
            journal: Journal::new(),
            history: Vec::new(),
            log: Vec::new(),
            outcomes: BTreeMap::new(),
            clock: 0,
            next_id: 0,
            next_doc: 0,
            next_serial: 0,
        }
    }

    pub(crate) fn fail(&self, what: &str) -> Failure {
        let mut s = String::new();
        let _ = writeln!(s, "{what}\n--- events so far (oldest first):");
        for (ev, outcome) in self.history.iter().zip(&self.log) {
            let _ = writeln!(
                s,
                "{} t={} {} by {} -> {outcome}\n    {}",
                ev.id.0.as_u128(),
                (ev.effective_at - testing::at(0)).num_minutes(),
                ev.kind(),
                ev.actor.id,
                serde_json::to_string(&ev.body).unwrap_or_default()
            );
        }
        s
    }

    /// Minutes after the builders' epoch for an event posted now, and the clock after it.
    pub(crate) fn time(&mut self, when: u8) -> i64 {
        if when < 200 {
            self.clock += i64::from(when % 4);
            self.clock
        } else {
            self.clock - i64::from(when - 200) * 4
        }
    }

    pub(crate) fn doc(&mut self, kind: DocKind, prefix: &str) -> DocumentRef {
        self.next_doc += 1;
        DocumentRef { kind, number: code(&format!("{prefix}-{}", self.next_doc)) }
    }

    pub(crate) fn fresh_serial(&mut self) -> SerialNo {
        self.next_serial += 1;
        code(&format!("SN-{}", self.next_serial))
    }

    pub(crate) fn event(
        &mut self,
        t: i64,
        actor: Actor,
        reason: &str,
        reference: DocumentRef,
        body: Body,
    ) -> Event {
        self.next_id += 1;
        Event {
            id: EventId::from_u128(self.next_id),
            effective_at: testing::at(t),
            recorded_at: testing::at(self.clock.max(t)),
            actor,
            reason: code(reason),
            reference,
            body,
        }
    }

    /// An actor for `kind`: one allowed to post it, or (for high selectors) anyone.
    pub(crate) fn actor_for(kind: EventKind, sel: u8) -> Actor {
        if sel >= 232 {
            return actor(usize::from(sel - 232));
        }
        let scoped = ACTORS.len() - 1;
        let ok: Vec<usize> = (0..ACTORS.len())
            .filter(|i| may_post(kind, ACTORS[*i].1) && (*i != scoped || sel.is_multiple_of(16)))
            .collect();
        pick(&ok, sel).map_or_else(|| actor(0), actor)
    }

    /// A line taking `qty` from position `key`, with the serials that are there (and, if
    /// it takes more than there are, others that are not).
    pub(crate) fn pos_line(&mut self, key: &MKey, qty: Decimal) -> Line {
        let mut l = Line::new(code(&key.item), ea(qty));
        l.bin = key.bin.as_deref().map(code);
        l.lot = key.lot.as_deref().map(code);
        if key.item == ITEMS[2] {
            let n = qty.min(d(8)).try_into().unwrap_or(0usize);
            let mut s: Vec<SerialNo> =
                self.model.serials_at(key).iter().take(n).map(|x| code(x)).collect();
            while s.len() < n {
                let f = self.fresh_serial();
                s.push(f);
            }
            l.serials = s;
        }
        l
    }

    /// Stock to take from: a position with a preferred status, else any, else an empty
    /// pick face.
    pub(crate) fn choose(&self, sel: u8, prefer: impl Fn(StockStatus) -> bool) -> (MKey, Decimal) {
        let all = self.model.stock();
        let preferred: Vec<(MKey, Decimal)> =
            all.iter().filter(|(k, _)| prefer(k.status)).cloned().collect();
        let list = if sel < 220 && !preferred.is_empty() { &preferred } else { &all };
        pick(list, sel).unwrap_or_else(|| {
            (
                MKey {
                    item: ITEMS[0].into(),
                    site: SITES[0].into(),
                    status: StockStatus::Available,
                    owner: "NA01".into(),
                    bin: Some(BINS[1].into()),
                    lot: None,
                },
                Decimal::ZERO,
            )
        })
    }

    pub(crate) fn choose_order(
        &self,
        sel: u8,
        prefer: impl Fn(&MOrder) -> bool,
    ) -> Option<(String, MOrder)> {
        let all: Vec<(String, MOrder)> =
            self.model.orders().iter().map(|(n, o)| (n.clone(), o.clone())).collect();
        let preferred: Vec<(String, MOrder)> =
            all.iter().filter(|(_, o)| prefer(o)).cloned().collect();
        let list = if sel < 220 && !preferred.is_empty() { &preferred } else { &all };
        pick(list, sel)
    }

    /// Turns an operation into an event, using the model to choose meaningful values.
    pub(crate) fn event_for(&mut self, step: &Step) -> Option<Event> {
        use StockStatus::{
            Available, Blocked, Damaged, Picked, QualityHold, Receiving, ReturnPending, Scrapped,
        };
        let sel = step.actor;
        let ev = match &step.op {
            Op::Receipt { site, item, bin, lot, qty, unit, expiry, to, serial } => {
                let t = self.time(step.when);
                let (site, item) = (site_sel(*site), item_sel(*item));
                let drill = item == ITEMS[2];
                let mut q = amount(*qty, if drill { d(1 + i64::from(*unit % 2)) } else { d(24) });
                if drill && q > d(3) && *qty % 16 != 15 {
                    q = d(3);
                }
                let mut l = Line::new(code(item), ea(q)).at(code(bin_sel(*bin)));
                match (unit % 8, drill) {
                    (6, false) => l.qty = "1 CS".parse().expect("qty"),
                    (7, false) => l.qty = "2 CS".parse().expect("qty"),
                    (7, true) if unit % 16 == 15 => l.qty = "1 CS".parse().expect("qty"),
                    _ => {}
                }
                if item == ITEMS[1] {
                    l.lot = Some(code(lot_sel(*lot)));
                }
                let today = testing::at(t).date_naive();
                l.expiry = match expiry % 8 {
                    6 => today.pred_opt(),
                    7 => Some(today),
                    _ => None,
                };
                l.to = match to % 8 {
                    3..=5 => Some(Available),
                    6 => Some(QualityHold),
                    7 => Some(Damaged),
                    _ => None,
                };
                if drill {
                    let n = q.min(d(8)).try_into().unwrap_or(0usize);
                    let mut s = Vec::new();
                    let known = self.model.all_serials();
                    for k in 0..n {
                        if k == 0 && serial % 8 == 7 && !known.is_empty() {
                            s.push(code(&known[usize::from(*serial) % known.len()].1));
                        } else {
                            s.push(self.fresh_serial());
                        }
                    }
                    l.serials = s;
                }
                let a = Self::actor_for(EventKind::Receipt, sel);
                let doc = self.doc(DocKind::PurchaseOrder, "PO");
                let body = Body::Receipt(SiteLines { site: code(site), lines: vec![l] });
                self.event(t, a, "RECEIPT", doc, body)
            }
            Op::Move { kind, pos, qty, to, bin } => {
                let prefer = |s: StockStatus| match kind {
                    MoveKind::Putaway => matches!(s, Receiving | QualityHold | Available),
                    MoveKind::Pick => s == Available,
                    MoveKind::Ship => s == Picked,
                    MoveKind::StatusChange => {
                        matches!(s, Available | QualityHold | Blocked | Damaged)
                    }
                    MoveKind::Scrap => matches!(s, Damaged | QualityHold | Scrapped | Available),
                    MoveKind::Loss => s.is_on_hand(),
                    MoveKind::Disposition => matches!(s, QualityHold | Damaged | ReturnPending),
                };
                let (key, have) = self.choose(*pos, prefer);
                let t = self.time(step.when);
                let mut l = self.pos_line(&key, amount(*qty, have));
                let st = key.status;
                let (ek, reason, dk, body): (EventKind, &str, DocKind, fn(SiteLines) -> Body) =
                    match kind {
                        MoveKind::Putaway => {
                            l.from = if st == Receiving && to % 4 == 0 { None } else { Some(st) };
                            l.to = match to % 4 {
                                0 => None,
                                1 => Some(Available),
                                2 => Some(QualityHold),
                                _ => Some(st),
                            };
                            l.to_bin = Some(code(bin_sel(bin.wrapping_add(4))));
                            (EventKind::Putaway, "PUTAWAY", DocKind::Internal, Body::Putaway)
                        }
                        MoveKind::Pick => {
                            l.from = if st == Available { None } else { Some(st) };
                            if bin % 4 == 3 {
                                l.to_bin = Some(code(bin_sel(*bin)));
                            }
                            (EventKind::Pick, "PICK", DocKind::SalesOrder, Body::Pick)
                        }
                        MoveKind::Ship => {
                            l.from = if st == Picked { None } else { Some(st) };
                            (EventKind::Ship, "SHIP", DocKind::SalesOrder, Body::Ship)
                        }
                        MoveKind::StatusChange => {
                            l.from = Some(st);
                            l.to = Some(match to % 8 {
                                0..=2 => Available,
                                3 => QualityHold,
                                4 => Blocked,
                                5 => Damaged,
                                6 => Receiving,
                                _ => Picked,
                            });
                            (EventKind::StatusChange, "HOLD", DocKind::Internal, Body::StatusChange)
                        }
                        MoveKind::Scrap => {
                            l.from = Some(st);
                            let r =
                                ["DAMAGED", "EXPIRED", "QUALITY", "DISPOSAL"][usize::from(*to % 4)];
                            (EventKind::Scrap, r, DocKind::Internal, Body::Scrap)
                        }
                        MoveKind::Loss => {
                            l.from = Some(st);
                            let r = if to % 4 == 3 { "THEFT" } else { "LOST" };
                            (EventKind::Adjustment, r, DocKind::Internal, Body::Adjustment)
                        }
                        MoveKind::Disposition => {
                            l.from = Some(st);
                            l.to = Some(
                                [Available, QualityHold, Damaged, Scrapped][usize::from(*to % 4)],
                            );
                            (
                                EventKind::Disposition,
                                "INSPECTED",
                                DocKind::Internal,
                                Body::Disposition,
                            )
                        }
                    };
                let a = Self::actor_for(ek, sel);
                let doc = self.doc(dk, "DOC");
                self.event(
                    t,
                    a,
                    reason,
                    doc,
                    body(SiteLines { site: code(&key.site), lines: vec![l] }),
                )
            }
            Op::Gain { site, item, bin, lot, qty, to } => {
                let t = self.time(step.when);
                let item = item_sel(*item);
                let drill = item == ITEMS[2];
                let mut q = amount(*qty, if drill { d(1) } else { d(24) });
                if drill && q > d(3) {
                    q = d(2);
                }
                let mut l = Line::new(code(item), ea(q)).at(code(bin_sel(*bin)));
                if item == ITEMS[1] {
                    l.lot = Some(code(lot_sel(*lot)));
                }
                l.to = Some(match to % 8 {
                    0..=2 => Available,
                    3 => QualityHold,
                    4 => Damaged,
                    5 => Blocked,
                    6 => Receiving,
                    _ => Picked,
                });
                if drill {
                    let n = q.try_into().unwrap_or(0usize);
                    l.serials = (0..n).map(|_| self.fresh_serial()).collect();
                }
                let a = Self::actor_for(EventKind::Adjustment, sel);
                let doc = self.doc(DocKind::Internal, "ADJ");
                let body =
                    Body::Adjustment(SiteLines { site: code(site_sel(*site)), lines: vec![l] });
                self.event(t, a, "FOUND", doc, body)
            }
            Op::Count { pos, qty, fresh, site, item, bin, lot } => {
                let (key, have) = if fresh % 4 == 3 {
                    let item = item_sel(*item);
                    let site_ix = self.cat.site_ix(&code(site_sel(*site)));
                    let owner = site_ix.map_or_else(String::new, |s| self.model.site_entity(s));
                    let k = MKey {
                        item: item.into(),
                        site: site_sel(*site).into(),
                        status: if fresh % 8 == 7 { QualityHold } else { Available },
                        owner,
                        bin: Some(bin_sel(*bin).into()),
                        lot: (item == ITEMS[1]).then(|| lot_sel(*lot).into()),
                    };
                    let q = self.model.qty(&k);
                    (k, q)
                } else {
                    self.choose(*pos, StockStatus::is_on_hand)
                };
                let t = self.time(step.when);
                let counted = amount(*qty, have);
                let mut serials: Vec<SerialNo> = Vec::new();
                if key.item == ITEMS[2] {
                    let n = counted.min(d(8)).try_into().unwrap_or(0usize);
                    serials = self.model.serials_at(&key).iter().take(n).map(|s| code(s)).collect();
                    while serials.len() < n {
                        let f = self.fresh_serial();
                        serials.push(f);
                    }
                }
                let line = CountLine {
                    item: code(&key.item),
                    bin: key.bin.as_deref().map(code),
                    lot: key.lot.as_deref().map(code),
                    status: (key.status != Available).then_some(key.status),
                    counted: ea(counted),
                    serials,
                    owner: None,
                };
                let a = Self::actor_for(EventKind::CycleCount, sel);
                let doc = self.doc(DocKind::Count, "CC");
                let body = Body::CycleCount(Count { site: code(&key.site), lines: vec![line] });
                self.event(t, a, "CYCLE", doc, body)
            }
            Op::Return { site, item, bin, qty, original } => {
                let mut t = self.time(step.when);
                let item = item_sel(*item);
                let drill = item == ITEMS[2];
                let q = if drill { Decimal::ONE } else { amount(*qty, d(6)) };
                let mut l = Line::new(code(item), ea(q)).at(code(bin_sel(*bin)));
                // A shipment seen applied; a back-dated return naming one is dated a
                // minute before it, at it or a minute after.
                let shipped = &self.model.shipped;
                let named = original
                    .checked_sub(128)
                    .filter(|_| !shipped.is_empty())
                    .and_then(|n| shipped.iter().nth(usize::from(n) % shipped.len()));
                if let Some((id, at)) = named {
                    l.original = Some(*id);
                    if step.when >= 200 {
                        let minute = (at - micros(testing::at(0))) / 60_000_000;
                        t = minute + i64::from(step.when % 3) - 1;
                    }
                }
                if item == ITEMS[1] {
                    l.lot = Some(code(lot_sel(*qty)));
                }
                if drill {
                    l.serials = vec![self.fresh_serial()];
                }
                let a = Self::actor_for(EventKind::CustomerReturn, sel);
                let doc = self.doc(DocKind::ReturnAuthorisation, "RMA");
                let body =
                    Body::CustomerReturn(SiteLines { site: code(site_sel(*site)), lines: vec![l] });
                self.event(t, a, "RETURN", doc, body)
            }
            Op::ReleaseTwo { pos } => {
                let (k1, q1) = self.choose(*pos, |s| s == QualityHold);
                let (k2, q2) = self.choose(pos.wrapping_add(1), |s| s == Blocked);
                let t = self.time(step.when);
                let mut l1 = self.pos_line(&k1, q1.min(d(5)).max(Decimal::ONE));
                l1.from = Some(k1.status);
                l1.to = Some(Available);
                let mut l2 = self.pos_line(&k2, q2.min(d(5)).max(Decimal::ONE));
                l2.from = Some(k2.status);
                l2.to = Some(Available);
                let lines = if k1.site == k2.site && k1 != k2 { vec![l1, l2] } else { vec![l1] };
                let a = Self::actor_for(EventKind::StatusChange, sel);
                let doc = self.doc(DocKind::Internal, "REL");
                self.event(
                    t,
                    a,
                    "RELEASE",
                    doc,
                    Body::StatusChange(SiteLines { site: code(&k1.site), lines }),
                )
            }
            Op::TransferRequest { lane, items, qty } => {
                let t = self.time(step.when);
                let (from, to) = match lane % 16 {
                    0..=7 => ("ORD", "ATL"),
                    8..=10 => ("ATL", "ORD"),
                    11..=13 => ("ORD", "YYZ"),
                    14 => ("ORD", "ORD"),
                    _ => ("ATL", "ZZZ"),
                };
                let mut lines = Vec::new();
                for (i, item) in ITEMS.iter().enumerate() {
                    if items & (1 << i) != 0 {
                        let dflt = [d(24), d(12), d(2)][i];
                        let mut q = amount(qty.wrapping_add(i as u8), dflt);
                        if i == 2 && q > d(3) {
                            q = d(3);
                        }
                        lines.push(TransferLine { item: code(item), qty: ea(q) });
                    }
                }
                let numbers: Vec<String> = self.model.orders().keys().cloned().collect();
                let number = match pick(&numbers, *lane) {
                    Some(n) if *lane >= 240 => n,
                    _ => {
                        self.next_doc += 1;
                        format!("TO-{}", self.next_doc)
                    }
                };
                let a = Self::actor_for(EventKind::TransferRequest, sel);
                let doc = DocumentRef { kind: DocKind::TransferOrder, number: code(&number) };
                let body = Body::TransferRequest(TransferRequest {
                    from: code(from),
                    to: code(to),
                    lines,
                    expected_arrival: None,
                });
                self.event(t, a, "REPLENISH", doc, body)
            }
            Op::TransferApprove { order } => {
                let number =
                    match self.choose_order(*order, |o| o.state == TransferState::Requested) {
                        Some(o) => o.0,
                        None if *order < 224 => return None,
                        None => "TO-404".to_owned(),
                    };
                let t = self.time(step.when);
                let a = Self::actor_for(EventKind::TransferApprove, sel);
                let doc = DocumentRef { kind: DocKind::TransferOrder, number: code(&number) };
                self.event(t, a, "APPROVED", doc, Body::TransferApprove)
            }
            Op::TransferShip { order, pos, qty } => {
                if *order < 224 && !self.model.orders().values().any(|o| may_ship(o.state)) {
                    return None;
                }
                let (number, o) = self.choose_order(*order, |o| may_ship(o.state))?;
                let all = self.model.stock();
                let status = if pos % 5 == 4 { Picked } else { Available };
                let stocked: Vec<MLine> = o
                    .lines
                    .iter()
                    .filter(|l| {
                        all.iter().any(|(k, _)| {
                            k.site == o.from && k.item == l.item && k.status == status
                        })
                    })
                    .cloned()
                    .collect();
                let line = if *pos < 200 && !stocked.is_empty() {
                    pick(&stocked, *pos)?
                } else {
                    pick(&o.lines, *pos)?
                };
                let cands: Vec<(MKey, Decimal)> = all
                    .into_iter()
                    .filter(|(k, _)| k.site == o.from && k.item == line.item && k.status == status)
                    .collect();
                let (key, have) = pick(&cands, pos.wrapping_mul(7)).unwrap_or_else(|| {
                    (
                        MKey {
                            item: line.item.clone(),
                            site: o.from.clone(),
                            status,
                            owner: "NA01".into(),
                            bin: Some(BINS[1].into()),
                            lot: (line.item == ITEMS[1]).then(|| LOTS[0].into()),
                        },
                        Decimal::ZERO,
                    )
                });
                let t = self.time(step.when);
                let room = line.requested - line.shipped;
                let mut l = self.pos_line(&key, amount(*qty, have.min(room)));
                l.from = (status != Available).then_some(status);
                let a = Self::actor_for(EventKind::TransferShip, sel);
                let doc = DocumentRef { kind: DocKind::TransferOrder, number: code(&number) };
                let body = Body::TransferShip(SiteLines { site: code(&o.from), lines: vec![l] });
                self.event(t, a, "TRANSFER", doc, body)
            }
            Op::TransferReceive { order, mode, bin, to } => {
                if *order < 224 && !self.model.orders().values().any(|o| may_receive(o.state)) {
                    return None;
                }
                let (number, o) = self.choose_order(*order, |o| may_receive(o.state))?;
                let t = self.time(step.when);
                let mode = mode % 10;
                let status = match to % 8 {
                    6 => Some(Available),
                    7 => Some(Blocked),
                    _ => None,
                };
                let mut lines = Vec::new();
                'outer: for ol in &o.lines {
                    for ((lot, _owner), q) in &ol.in_transit {
                        let q2 = match mode {
                            3 => *q - Decimal::ONE,
                            4 | 6 => *q + Decimal::ONE,
                            _ => *q,
                        };
                        if q2 <= Decimal::ZERO {
                            continue;
                        }
                        let mut l = Line::new(code(&ol.item), ea(q2)).at(code(bin_sel(*bin)));
                        l.lot = lot.as_deref().map(code);
                        l.to = if matches!(mode, 5 | 6) { Some(Damaged) } else { status };
                        if ol.item == ITEMS[2] {
                            let n = q2.min(d(8)).try_into().unwrap_or(0usize);
                            let mut s: Vec<SerialNo> = self
                                .model
                                .serials_on(&number, &ol.item)
                                .iter()
                                .take(n)
                                .map(|x| code(x))
                                .collect();
                            while s.len() < n {
                                let f = self.fresh_serial();
                                s.push(f);
                            }
                            l.serials = s;
                        }
                        if mode == 8 && ol.item == ITEMS[1] {
                            l.lot = Some(code(if bin % 2 == 0 { "L4" } else { "LZ-9" }));
                        }
                        lines.push(l);
                        if mode == 7 {
                            break 'outer;
                        }
                    }
                }
                if mode == 9
                    && let Some(missing) =
                        ITEMS.iter().find(|i| !o.lines.iter().any(|l| l.item == **i))
                {
                    let mut l = Line::new(code(missing), ea(Decimal::ONE)).at(code(bin_sel(*bin)));
                    if *missing == ITEMS[1] {
                        l.lot = Some(code(LOTS[0]));
                    }
                    if *missing == ITEMS[2] {
                        l.serials = vec![self.fresh_serial()];
                    }
                    lines.push(l);
                }
                if lines.is_empty() {
                    let ol = o.lines.first()?;
                    let mut l = Line::new(code(&ol.item), ea(Decimal::ONE)).at(code(bin_sel(*bin)));
                    if ol.item == ITEMS[1] {
                        l.lot = Some(code(LOTS[0]));
                    }
                    if ol.item == ITEMS[2] {
                        l.serials = vec![self.fresh_serial()];
                    }
                    lines.push(l);
                }
                let a = Self::actor_for(EventKind::TransferReceipt, sel);
                let doc = DocumentRef { kind: DocKind::TransferOrder, number: code(&number) };
                let body = Body::TransferReceipt(SiteLines { site: code(&o.to), lines });
                self.event(t, a, "TRANSFER", doc, body)
            }
            Op::TransferClose { order } => {
                // Mostly close orders that shipped something: closing fresh ones only
                // stops them shipping.
                let shipped = |o: &MOrder| {
                    o.state != TransferState::Closed && o.lines.iter().any(|l| !l.shipped.is_zero())
                };
                let number = match self.choose_order(*order, shipped) {
                    Some(o) => o.0,
                    None if *order < 224 => return None,
                    None => "TO-404".to_owned(),
                };
                let t = self.time(step.when);
                let a = Self::actor_for(EventKind::TransferClose, sel);
                let doc = DocumentRef { kind: DocKind::TransferOrder, number: code(&number) };
                self.event(t, a, "CLOSE", doc, Body::TransferClose)
            }
            Op::Approve { pending } | Op::Reject { pending } => {
                let approve = matches!(step.op, Op::Approve { .. });
                let list: Vec<(EventId, (Event, Vec<Role>))> =
                    self.model.pending().iter().map(|(k, v)| (*k, v.clone())).collect();
                let t = self.time(step.when);
                let (target, a) = match pick(&list, *pending) {
                    None if *pending < 224 => return None,
                    None => (EventId::from_u128(u128::from(*pending) + 1), actor(usize::from(sel))),
                    Some((id, (orig, needs))) => {
                        let holders: Vec<usize> = (0..ACTORS.len())
                            .filter(|i| needs.iter().any(|r| ACTORS[*i].1.contains(r)))
                            .filter(|i| ACTORS[*i].0 != orig.actor.id.as_str())
                            .collect();
                        let own = (approve && (180..220).contains(&sel)) || (!approve && sel < 100);
                        let a = if own {
                            orig.actor.clone()
                        } else if sel < 220 && !holders.is_empty() {
                            actor(pick(&holders, sel).unwrap_or(0))
                        } else {
                            actor(usize::from(sel))
                        };
                        (id, a)
                    }
                };
                let doc = self.doc(DocKind::Internal, "APR");
                let body = if approve {
                    Body::Approve { event: target }
                } else {
                    Body::Reject { event: target }
                };
                self.event(t, a, if approve { "APPROVED" } else { "REJECTED" }, doc, body)
            }
            Op::Resubmit { past } => pick(&self.history, *past)?,
            Op::ReuseId { past } => {
                // Another event under an old id: a different reason is enough (a new
                // recorded time alone is the same event, recorded again).
                let mut e = pick(&self.history, *past)?;
                e.recorded_at = nudge(e.recorded_at);
                e.reason = onhand_ledger::ReasonCode::new(format!("{}-AGAIN", e.reason)).ok()?;
                e
            }
            Op::ClosePeriod { back } => {
                let t = self.time(step.when.min(199));
                let through = testing::at(t - i64::from(back % 40));
                let a = Self::actor_for(EventKind::ClosePeriod, sel);
                let doc = self.doc(DocKind::Internal, "CLOSE");
                self.event(t, a, "PERIOD-END", doc, Body::ClosePeriod { through, entity: None })
            }
            Op::Malformed { defect, base } => {
                let inner = Step { op: (**base).clone(), actor: step.actor, when: step.when };
                let mut e = self.event_for(&inner)?;
                if matches!(**base, Op::Resubmit { .. } | Op::ReuseId { .. }) {
                    self.next_id += 1;
                    e.id = EventId::from_u128(self.next_id);
                }
                self.plant(&mut e, *defect);
                e
            }
            Op::Raw(bytes) => serde_json::from_slice(bytes).ok()?,
        };
        Some(ev)
    }

    /// Plants one defect in an event.
    pub(crate) fn plant(&mut self, e: &mut Event, defect: u8) {
        let first = lines_mut(&mut e.body).and_then(|l| l.first_mut());
        match defect % 17 {
            0 => {
                if let Some(l) = first {
                    l.item = code("NOPE-1");
                } else if let Body::CycleCount(c) = &mut e.body
                    && let Some(l) = c.lines.first_mut()
                {
                    l.item = code("NOPE-1");
                } else if let Body::TransferRequest(r) = &mut e.body
                    && let Some(l) = r.lines.first_mut()
                {
                    l.item = code("NOPE-1");
                }
            }
            1 => {
                if let Some(s) = site_mut(&mut e.body) {
                    *s = code("ZZZ");
                }
            }
            2 => {
                if let Some(l) = first {
                    l.bin = Some(code("BIN-99"));
                    l.to_bin = None;
                } else if let Body::CycleCount(c) = &mut e.body
                    && let Some(l) = c.lines.first_mut()
                {
                    l.bin = Some(code("BIN-99"));
                }
            }
            3 => {
                if let Some(l) = first {
                    l.bin = None;
                    l.to_bin = None;
                } else if let Body::CycleCount(c) = &mut e.body
                    && let Some(l) = c.lines.first_mut()
                {
                    l.bin = None;
                }
            }
            4 => {
                if let Some(l) = first {
                    l.lot = None;
                } else if let Body::CycleCount(c) = &mut e.body
                    && let Some(l) = c.lines.first_mut()
                {
                    l.lot = None;
                }
            }
            5 => {
                if let Some(l) = first {
                    l.lot = Some(code(LOTS[0]));
                }
            }
            6 => {
                if let Some(l) = first {
                    if l.serials.pop().is_none() {
                        let s = self.fresh_serial();
                        if let Some(l) = lines_mut(&mut e.body).and_then(|l| l.first_mut()) {
                            l.serials.push(s);
                        }
                    }
                } else if let Body::CycleCount(c) = &mut e.body
                    && let Some(l) = c.lines.first_mut()
                {
                    l.serials.pop();
                }
            }
            7 => {
                if let Some(l) = first {
                    if let Some(s) = l.serials.first().cloned() {
                        l.serials.push(s);
                        l.qty = ea(Decimal::from(l.serials.len()));
                    }
                } else if let Body::CycleCount(c) = &mut e.body
                    && let Some(l) = c.lines.first_mut()
                    && let Some(s) = l.serials.first().cloned()
                {
                    l.serials.push(s);
                    l.counted = ea(Decimal::from(l.serials.len()));
                }
            }
            8 => {
                if let Some(l) = first {
                    l.qty = ea(Decimal::ZERO);
                } else if let Body::TransferRequest(r) = &mut e.body
                    && let Some(l) = r.lines.first_mut()
                {
                    l.qty = ea(Decimal::ZERO);
                }
            }
            9 => {
                if let Some(l) = first {
                    l.qty = "1 KG".parse().expect("qty");
                } else if let Body::CycleCount(c) = &mut e.body
                    && let Some(l) = c.lines.first_mut()
                {
                    l.counted = "1 KG".parse().expect("qty");
                }
            }
            10 => e.reason = code("WHIM"),
            11 => e.actor = actor(10),
            12 => e.reference.kind = DocKind::Internal,
            13 => {
                if let Some(lines) = lines_mut(&mut e.body) {
                    lines.clear();
                } else if let Body::CycleCount(c) = &mut e.body {
                    c.lines.clear();
                } else if let Body::TransferRequest(r) = &mut e.body {
                    r.lines.clear();
                }
            }
            14 => {
                if let Some(l) = first {
                    l.qty = ea(Decimal::from(10_000_000_000_000_000_i64));
                }
            }
            15 => {
                if let Some(lines) = lines_mut(&mut e.body)
                    && let Some(l) = lines.first().cloned()
                {
                    lines.push(l);
                }
            }
            _ => e.actor.sites = SiteScope::Sites(vec![code("YYZ")]),
        }
    }

    pub(crate) fn totals(&self) -> BTreeMap<String, Decimal> {
        self.cat
            .items()
            .map(|(ix, item)| (item.code.to_string(), self.ledger.network_total(ix)))
            .collect()
    }

    /// Generates and applies one step.
    pub fn step(&mut self, step: &Step) -> Result<(), Failure> {
        match self.event_for(step) {
            Some(ev) => self.submit(&ev).map(|_| ()),
            None => Ok(()),
        }
    }

    /// Applies an event to the ledger and the model and checks every invariant.
    pub fn submit(&mut self, ev: &Event) -> Result<Result<Applied, LedgerError>, Failure> {
        let before = self.ledger.state();
        let totals_before = self.totals();
        let verdict = if self.in_sync { self.model.judge(ev) } else { Verdict::Unsure };
        // What an approval releases, for the conservation check.
        let released: Option<Event> = match &ev.body {
            Body::Approve { event } => {
                self.ledger.pending().find(|(id, _)| **id == *event).map(|(_, p)| p.event.clone())
            }
            _ => None,
        };
        let got = self.ledger.apply(ev);
        let outcome = outcome_of(&got);
        *self
            .outcomes
            .entry(format!("{} {}", ev.kind(), outcome.split(':').next().unwrap_or("")))
            .or_default() += 1;
        self.log.push(outcome.clone());
        self.history.push(ev.clone());

        // The outcome is the one the documented rules give.
        let agree = match (&verdict, &got) {
            (Verdict::Reject(errs), Err(e)) => errs.contains(&class(e)),
            (Verdict::Pending(needs, _), Ok(Applied::Pending { needs: got, .. })) => {
                let a: BTreeSet<&Role> = needs.iter().collect();
                let b: BTreeSet<&Role> = got.iter().collect();
                a == b
            }
            (v, g) => matches!(
                (v, g),
                (Verdict::Unsure, _)
                    | (Verdict::Duplicate, Ok(Applied::Duplicate))
                    | (Verdict::Accept(_), Ok(Applied::Accepted(_)))
            ),
        };
        if !agree {
            let expected = match &verdict {
                Verdict::Reject(e) => format!("rejected with one of {e:?}"),
                Verdict::Pending(n, _) => format!("pending on {n:?}"),
                Verdict::Accept(_) => "accepted".to_owned(),
                Verdict::Duplicate => "duplicate".to_owned(),
                Verdict::Unsure => "anything".to_owned(),
            };
            return Err(self.fail(&format!("last event: expected {expected}, got {outcome}")));
        }

        // (b) A rejected event changes nothing at all; a pending one moves no stock; a
        // duplicate changes nothing.
        let after = self.ledger.state();
        match &got {
            Err(_) | Ok(Applied::Duplicate) => {
                if after != before {
                    return Err(self.fail("a rejected or duplicate event changed the state"));
                }
            }
            Ok(Applied::Pending { .. }) => {
                if !same_stock(&after, &before) {
                    return Err(
                        self.fail("a pending event changed positions, lots, serials or transfers")
                    );
                }
                // `may_hold` never answers "no" for a kind the ledger holds.
                if !self.ledger.may_hold(ev.kind()) {
                    return Err(self.fail("held an event of a kind `may_hold` says is never held"));
                }
            }
            Ok(Applied::Accepted(_)) => {}
        }

        match &verdict {
            Verdict::Unsure => {
                if matches!(got, Ok(Applied::Accepted(_) | Applied::Pending { .. })) {
                    self.in_sync = false;
                }
            }
            v => self.model.commit(ev, v),
        }

        // (c) No position below zero: every demo site forbids negative stock.
        if let Some((k, q)) = self.ledger.positions().find(|(_, q)| *q < Decimal::ZERO) {
            return Err(
                self.fail(&format!("negative position {:?} = {q}", self.ledger.describe(&k)))
            );
        }
        // Serial-tracked stock: one serial per unit at every position.
        self.check_serial_counts(&after)?;

        // (d) Conservation of the network total.
        let totals = self.totals();
        let delta = |item: &str| {
            totals.get(item).copied().unwrap_or_default()
                - totals_before.get(item).copied().unwrap_or_default()
        };
        if let Ok(Applied::Accepted(acc)) = &got {
            // What the event means for each item's total, from its kind and lines.
            let meaning = match &ev.body {
                Body::Approve { .. } => released.as_ref().and_then(|r| event_net(&self.cat, r)),
                _ => event_net(&self.cat, ev),
            };
            if let Some(net) = meaning {
                for item in totals.keys() {
                    let want = net.get(item).copied().unwrap_or_default();
                    if delta(item) != want {
                        return Err(self.fail(&format!(
                            "network total of {item} changed by {}, the event means {want}",
                            delta(item)
                        )));
                    }
                }
            }
            // The deltas the ledger reports add up to the change.
            let mut by_item: BTreeMap<String, Decimal> = BTreeMap::new();
            for dl in acc.deltas() {
                if dl.key.status.is_on_hand() || dl.key.status == StockStatus::InTransit {
                    *by_item.entry(MKey::of(&self.ledger, &dl.key).item).or_default() += dl.change;
                }
            }
            for item in totals.keys() {
                if delta(item) != by_item.get(item).copied().unwrap_or_default() {
                    return Err(self
                        .fail(&format!("reported deltas of {item} do not add up to the change")));
                }
            }
        } else if totals != totals_before {
            return Err(self.fail("a rejected, pending or duplicate event changed a network total"));
        }
        if let (true, Verdict::Accept(fx)) = (self.in_sync, &verdict) {
            for item in totals.keys() {
                let want = fx.net.get(item).copied().unwrap_or_default();
                if delta(item) != want {
                    return Err(self.fail(&format!(
                        "network total of {item} changed by {}, the model expects {want}",
                        delta(item)
                    )));
                }
            }
        }

        // (a) Positions, lots, serials, transfers and pending approvals agree with the model.
        if self.in_sync {
            self.compare(&after)?;
        }

        // (e) Idempotency: the same event again is a duplicate and changes nothing.
        if let Ok(a) = &got
            && a.changed_state()
        {
            if let Err(e) = self.journal.append(ev.clone()) {
                return Err(self.fail(&e.to_string()));
            }
            let again = self.ledger.apply(ev);
            if again != Ok(Applied::Duplicate) {
                return Err(self.fail(&format!("re-applying the event gave {again:?}")));
            }
            if self.ledger.state() != after {
                return Err(self.fail("re-applying the event changed the state"));
            }
        }
        Ok(got)
    }

    pub(crate) fn check_serial_counts(&self, st: &State) -> Result<(), Failure> {
        let mut per_key: BTreeMap<PositionKey, Decimal> = BTreeMap::new();
        for (_, _, k) in &st.serials {
            *per_key.entry(*k).or_default() += Decimal::ONE;
        }
        for (ix, item) in self.cat.items() {
            if item.tracking != Tracking::Serial {
                continue;
            }
            for (k, q) in self.ledger.positions_of(ix) {
                let n = per_key.remove(&k).unwrap_or_default();
                if n != q {
                    return Err(self.fail(&format!(
                        "{:?} holds {q} but {n} serial(s)",
                        self.ledger.describe(&k)
                    )));
                }
            }
        }
        if let Some((k, n)) = per_key.into_iter().next() {
            return Err(self.fail(&format!(
                "{n} serial(s) at {:?}, which holds nothing",
                self.ledger.describe(&k)
            )));
        }
        Ok(())
    }

    /// Compares the ledger with the model.
    pub(crate) fn compare(&self, st: &State) -> Result<(), Failure> {
        let lp = ledger_positions(&self.ledger);
        let mp = self.model.positions();
        if lp != mp {
            let mut diff = String::new();
            for k in lp.keys().chain(mp.keys()).collect::<BTreeSet<_>>() {
                let (a, b) = (lp.get(k), mp.get(k));
                if a != b {
                    let _ = writeln!(diff, "  {k:?}: ledger {a:?}, model {b:?}");
                }
            }
            return Err(self.fail(&format!("positions differ from the model:\n{diff}")));
        }
        if ledger_lots(&self.ledger) != self.model.lots {
            return Err(self.fail(&format!(
                "lots differ: ledger {:?}, model {:?}",
                ledger_lots(&self.ledger),
                self.model.lots
            )));
        }
        let ls = ledger_serials(&self.ledger, st);
        if ls != self.model.serials {
            return Err(self
                .fail(&format!("serials differ: ledger {ls:?}, model {:?}", self.model.serials)));
        }
        let lo = ledger_orders(&self.ledger);
        if lo != self.model.orders {
            return Err(self.fail(&format!(
                "transfer orders differ: ledger {lo:?}, model {:?}",
                self.model.orders
            )));
        }
        let lpend: BTreeMap<EventId, BTreeSet<Role>> =
            self.ledger.pending().map(|(id, p)| (*id, p.needs.iter().copied().collect())).collect();
        let mpend: BTreeMap<EventId, BTreeSet<Role>> = self
            .model
            .pending
            .iter()
            .map(|(id, (_, n))| (*id, n.iter().copied().collect()))
            .collect();
        if lpend != mpend {
            return Err(self.fail(&format!("pending differ: ledger {lpend:?}, model {mpend:?}")));
        }
        if self.ledger.closed_through() != self.model.closed {
            return Err(self.fail("closed-through differs"));
        }
        Ok(())
    }

    /// End of a run: the journal replays to the same state, a snapshot restores to it,
    /// a snapshot half-way plus the rest of the journal gives it too, and the journal
    /// verifies and names the first entry that was altered.
    pub fn finish(&self, tamper: usize) -> Result<(), Failure> {
        let err = |what: &str, e: &dyn std::fmt::Display| self.fail(&format!("{what}: {e}"));
        let live = self.ledger.state();
        let entries = self.journal.entries();
        let rules = || self.rules.clone();
        let snapshot = |l: &Ledger, mark: Option<JournalMark>| {
            l.snapshot(mark).map(Some).map_err(|e| err("snapshot", &e))
        };

        // Every submitted event again, in one batch: the same outcomes, the same state.
        let mut batched =
            Ledger::new(self.cat.clone(), rules()).map_err(|e| err("a new ledger", &e))?;
        let mut outcomes = Vec::with_capacity(self.history.len());
        batched.apply_batch(&self.history, |_, r| outcomes.push(outcome_of(&r)));
        if outcomes != self.log {
            return Err(self.fail("apply_batch gives other outcomes than apply"));
        }
        if batched.state() != live {
            return Err(self.fail("apply_batch gives another state than apply"));
        }

        let replayed =
            Ledger::replay(self.cat.clone(), rules(), entries).map_err(|e| err("replay", &e))?;
        if replayed.state() != live {
            return Err(self.fail("replaying the journal gives another state"));
        }

        if let Some(snap) = snapshot(&self.ledger, None)? {
            let digest = self.ledger.state_digest().map_err(|e| err("digest", &e))?;
            if replayed.state_digest().map_err(|e| err("digest", &e))? != digest {
                return Err(self.fail("replaying the journal gives another digest"));
            }
            let json = serde_json::to_string(&snap).map_err(|e| err("snapshot json", &e))?;
            let back: onhand_ledger::Snapshot =
                serde_json::from_str(&json).map_err(|e| err("snapshot json", &e))?;
            let restored = Ledger::restore(self.cat.clone(), rules(), &back)
                .map_err(|e| err("restore", &e))?;
            if restored.state() != live
                || restored.state_digest().map_err(|e| err("digest", &e))? != digest
            {
                return Err(self.fail("restoring the snapshot gives another state"));
            }
        }

        let mid = entries.len() / 2;
        let first = Ledger::replay(self.cat.clone(), rules(), &entries[..mid])
            .map_err(|e| err("replay of the first half", &e))?;
        let mark = entries[..mid].last().map(|e| JournalMark { seq: e.seq, digest: e.digest });
        if let Some(snap) = snapshot(&first, mark)? {
            let mut resumed = Ledger::restore(self.cat.clone(), rules(), &snap)
                .map_err(|e| err("restore", &e))?;
            resumed
                .replay_onto(&entries[mid..], mark)
                .map_err(|e| err("replay onto snapshot", &e))?;
            if resumed.state() != live {
                return Err(self.fail("snapshot at the midpoint plus the rest gives another state"));
            }
        }

        verify(entries, Some(self.journal.head())).map_err(|e| err("verify", &e))?;
        if !entries.is_empty() {
            let i = tamper % entries.len();
            let mut altered = entries.to_vec();
            altered[i].event.recorded_at = nudge(altered[i].event.recorded_at);
            match verify(&altered, None) {
                Err(LedgerError::JournalBroken { seq, .. }) if seq == altered[i].seq => {}
                other => {
                    return Err(self.fail(&format!(
                        "verify of a journal altered at entry {} gave {other:?}",
                        altered[i].seq
                    )));
                }
            }
            // Re-sealing the altered entry moves the break to the entry after it.
            let prev = altered[i].prev;
            altered[i].digest =
                onhand_ledger::entry_digest(&prev, altered[i].seq, &altered[i].event)
                    .map_err(|e| err("digest", &e))?;
            let expected = if i + 1 < altered.len() { Some(altered[i].seq + 1) } else { None };
            match (verify(&altered, None), expected) {
                (Err(LedgerError::JournalBroken { seq, .. }), Some(s)) if seq == s => {}
                (Ok(()), None) => {}
                (other, _) => {
                    return Err(self.fail(&format!(
                        "verify of a re-sealed journal altered at entry {} gave {other:?}",
                        altered[i].seq
                    )));
                }
            }
            if verify(&altered, Some(self.journal.head())).is_ok() {
                return Err(self.fail("a re-sealed journal verified against the trusted head"));
            }
        }
        Ok(())
    }
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}
