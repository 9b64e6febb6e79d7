//! The invariants that hold *between* the engines, checked on demand.
//!
//! The engines each keep their own invariants (the ledger never goes negative where the
//! policy forbids it, postings balance, no line is over-allocated). Kept in step by the
//! network, they also agree with each other:
//!
//! 1. **Availability = ledger.** At every item-site this network holds, free stock now
//!    plus what booked lines hold of it equals the ledger's available stock.
//! 2. **Books = ledger, at sites.** Per entity and item, the quantity in the cost pools
//!    equals the ledger's valuated stock that entity owns at its sites.
//! 3. **Books = ledger, in transit.** Per transfer order and item, what the ledger has in
//!    transit equals what valuation's open shipments hold and what the availability
//!    engine was given as supply.
//! 4. **Purchases.** Every open expected receipt has a positive open quantity, and the
//!    network's item-site indexes of expected receipts and open shipments name exactly
//!    the records it holds.
//! 5. **Bookings.** Every booked order line is known to the availability engine, and no
//!    line is confirmed beyond what it requested.
//! 6. **Insight.** The KPI engine took every record the network fed it (see
//!    [`insight_feed`](crate::insight_feed)).
//! 7. **Approvals.** Every event the ledger holds for approval has exactly one open
//!    approval task in the exception queue, needing the roles the ledger still needs,
//!    posted by its poster; and every open approval task is such an event.
//! 8. **Supply.** At every item-site this network holds, the availability engine's
//!    dated changes after today are exactly the open expected receipts and transfer
//!    shipments on the days they are held (their due date or arrival, or tomorrow when
//!    that has passed), less what booked lines take on their availability dates.
//!
//! [`Network::check`] returns the first one that fails, with its figures.

use std::collections::{BTreeMap, BTreeSet};

use onhand_atp::LineId;
use onhand_master::{EntityIx, ItemIx, SiteIx};
use onhand_status::{Measure, StockStatus};
use onhand_valuation::TransferNo;
use rust_decimal::Decimal;
use smallvec::SmallVec;

use crate::network::Network;

/// An invariant that does not hold, with the figures that show it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invariant {invariant} fails: {detail}")]
pub struct Violation {
    /// Which invariant (`availability`, `books_at_sites`, `books_in_transit`, `supply`,
    /// `purchases`, `bookings`, `insight`, `approvals`).
    pub invariant: &'static str,
    /// The figures.
    pub detail: String,
}

fn fail(invariant: &'static str, detail: String) -> Result<(), Violation> {
    Err(Violation { invariant, detail })
}

/// `a + b`, or the invariant failing: figures a snapshot restored from storage brings
/// may each be in range and their sum not (a live network never gets there).
fn add(a: Decimal, b: Decimal, invariant: &'static str) -> Result<Decimal, Violation> {
    a.checked_add(b).ok_or_else(|| Violation {
        invariant,
        detail: format!("{a} + {b} is beyond the decimal range"),
    })
}

/// Values per item-site, listed in item then site order, read at item-sites visited in
/// the same order: each listed value is passed once.
struct Merge<V, I: Iterator<Item = ((ItemIx, SiteIx), V)>>(std::iter::Peekable<I>);

impl<V, I: Iterator<Item = ((ItemIx, SiteIx), V)>> Merge<V, I> {
    fn new(listed: I) -> Self {
        Merge(listed.peekable())
    }

    /// The value at `(item, site)` (`None`: not listed), at or after every item-site
    /// read before.
    fn at(&mut self, item: ItemIx, site: SiteIx) -> Option<V> {
        // Item-sites visited past (another partition's items) are skipped.
        while self.0.next_if(|(k, _)| *k < (item, site)).is_some() {}
        self.0.next_if(|(k, _)| *k == (item, site)).map(|(_, v)| v)
    }
}

/// Figures per item-site as [`Merge`] lists them, from `(item, site, figure)`.
fn figures(
    listed: impl Iterator<Item = (ItemIx, SiteIx, Decimal)>,
) -> Merge<Decimal, impl Iterator<Item = ((ItemIx, SiteIx), Decimal)>> {
    Merge::new(listed.map(|(i, s, q)| ((i, s), q)))
}

impl Network {
    /// Checks the invariants between the engines (see the module docs). It reads every
    /// item-site, pool and booking: a test and audit tool, not a per-event call.
    ///
    /// # Errors
    /// The first [`Violation`].
    pub fn check(&self) -> Result<(), Violation> {
        self.check_agreement()?;
        self.check_pool_views()?;
        if let Some(f) = self.insight_feed()
            && f.refused > 0
        {
            return fail(
                "insight",
                format!("{} record(s) refused, the first: {:?}", f.refused, f.first_refusal),
            );
        }
        Ok(())
    }

    /// Every invariant but the KPI feed's (1 to 5, 7 and 8): that the engines hold one
    /// truth. [`Network::restore`] checks these, so a snapshot edited behind its
    /// digests is refused; a KPI record refused before the snapshot is not a reason to
    /// refuse the stock.
    pub(crate) fn check_agreement(&self) -> Result<(), Violation> {
        self.check_availability()?;
        self.check_books()?;
        self.check_transit()?;
        self.check_bookings()?;
        self.check_approvals()?;
        self.check_supply()?;
        if !self.indexes_agree() {
            return fail(
                "purchases",
                "the item-site index of expected receipts or shipments is stale".into(),
            );
        }
        for r in self.receipts.values() {
            if r.open <= Decimal::ZERO {
                return fail(
                    "purchases",
                    format!("{}/{} is open with {}", r.expected.order, r.expected.line, r.open),
                );
            }
        }
        Ok(())
    }

    fn check_availability(&self) -> Result<(), Violation> {
        // What booked lines hold of today's stock, per item-site.
        let today = self.atp.today();
        let mut held: BTreeMap<(ItemIx, SiteIx), Decimal> = BTreeMap::new();
        for b in self.bookings.values() {
            let Some(p) = self.atp.booked(LineId(b.id)) else { continue };
            for s in p.schedule().iter().filter(|s| s.available_on <= today) {
                let sum = held.entry((s.item, s.site)).or_default();
                *sum = add(*sum, s.qty, "availability")?;
            }
        }
        // Every item-site is read, in item then site order: the ledger's figures, the
        // engine's held index and the booked lines' sums each in one ordered pass
        // (a look-up per item-site in each was most of a restore's check).
        let indexed_now = self.atp.held_now_all();
        let mut ledger = figures(self.ledger.measure_each(Measure::Available));
        let mut indexed = figures(indexed_now.iter());
        let mut booked = Merge::new(held.iter().map(|(&k, &q)| (k, q)));
        for (item, _) in self.catalog.items() {
            if !self.holds(item) {
                continue;
            }
            for (site, _) in self.catalog.sites() {
                let ledger = ledger.at(item, site).unwrap_or_default();
                let free = self.atp.free_now(item, site);
                let h = booked.at(item, site).unwrap_or_default();
                let indexed = indexed.at(item, site).unwrap_or_default();
                if indexed != h {
                    return fail(
                        "availability",
                        format!(
                            "item {} at site {}: the availability engine's held index says {indexed}, its booked lines hold {h}",
                            self.item_code(item).map(|c| c.to_string()).unwrap_or_default(),
                            self.site_code(site).map(|c| c.to_string()).unwrap_or_default(),
                        ),
                    );
                }
                if free.checked_add(h) != Some(ledger) {
                    return fail(
                        "availability",
                        format!(
                            "item {} at site {}: free now {free} + held {h} != ledger available {ledger}",
                            self.item_code(item).map(|c| c.to_string()).unwrap_or_default(),
                            self.site_code(site).map(|c| c.to_string()).unwrap_or_default(),
                        ),
                    );
                }
            }
        }
        Ok(())
    }

    fn check_supply(&self) -> Result<(), Violation> {
        type Dated = BTreeMap<chrono::NaiveDate, Decimal>;
        let today = self.atp.today();
        let mut want: BTreeMap<(ItemIx, SiteIx), Dated> = BTreeMap::new();
        let mut put = |key, day, q: Decimal| -> Result<(), Violation> {
            let sum = want.entry(key).or_default().entry(day).or_default();
            *sum = add(*sum, q, "supply")?;
            Ok(())
        };
        for r in self.receipts.values().filter(|r| r.open > Decimal::ZERO) {
            let (Some(i), Some(s)) =
                (self.catalog.item_ix(&r.expected.item), self.catalog.site_ix(&r.expected.site))
            else {
                return fail(
                    "supply",
                    format!(
                        "{}/{} names an unknown item or site",
                        r.expected.order, r.expected.line
                    ),
                );
            };
            put((i, s), self.supply_day(r.expected.due), r.open)?;
        }
        for ((_, item), list) in &self.shipments {
            for sh in list.iter().filter(|sh| sh.open > Decimal::ZERO) {
                put((*item, sh.to), self.supply_day(sh.arrival), sh.open)?;
            }
        }
        for b in self.bookings.values() {
            let Some(p) = self.atp.booked(LineId(b.id)) else { continue };
            for l in p.schedule().iter().filter(|l| l.available_on > today) {
                put((l.item, l.site), l.available_on, -l.qty)?;
            }
        }
        // Read in item then site order, as the item-sites are.
        let mut wanted = Merge::new(want.iter().map(|(&k, dated)| (k, dated)));
        for (item, _) in self.catalog.items() {
            if !self.holds(item) {
                continue;
            }
            for (site, _) in self.catalog.sites() {
                let mut expected: Vec<(chrono::NaiveDate, Decimal)> = wanted
                    .at(item, site)
                    .into_iter()
                    .flatten()
                    .filter(|(_, q)| !q.is_zero())
                    .map(|(d, q)| (*d, *q))
                    .collect();
                expected.sort_unstable();
                let held = self.atp.timeline(item, site);
                if held != expected {
                    return fail(
                        "supply",
                        format!(
                            "item {} at site {}: the availability engine holds {held:?}, open supply less booked lines is {expected:?}",
                            self.item_code(item).map(|c| c.to_string()).unwrap_or_default(),
                            self.site_code(site).map(|c| c.to_string()).unwrap_or_default(),
                        ),
                    );
                }
            }
        }
        Ok(())
    }

    fn check_books(&self) -> Result<(), Violation> {
        // Per item (a dense table: the catalog's items), each owning entity's sum: a
        // restore checks this over every position and pool, and an item has one or two
        // owners, so the sums sit inline and a look-up is a step along a short list.
        type Owners = SmallVec<[(EntityIx, Decimal); 1]>;
        fn owned(owners: &Owners, e: EntityIx) -> Option<Decimal> {
            owners.iter().find(|(x, _)| *x == e).map(|x| x.1)
        }
        fn put(sums: &mut [Owners], e: EntityIx, i: ItemIx, q: Decimal) -> Result<(), Violation> {
            let Some(owners) = sums.get_mut(i.index()) else {
                return fail("books_at_sites", format!("item handle {} out of range", i.index()));
            };
            match owners.iter_mut().find(|(x, _)| *x == e) {
                Some((_, sum)) => *sum = add(*sum, q, "books_at_sites")?,
                None => owners.push((e, q)),
            }
            Ok(())
        }
        let items = self.catalog.item_count();
        let mut ledger: Vec<Owners> = vec![Owners::new(); items];
        for (key, q) in self.ledger.positions() {
            if key.status == StockStatus::InTransit || !key.status.is_valuated() {
                continue;
            }
            put(&mut ledger, key.owner, key.item, q)?;
        }
        let mut books: Vec<Owners> = vec![Owners::new(); items];
        for (e, i, q) in self.valuation.pool_quantities() {
            put(&mut books, e, i, q)?;
        }
        // Each side's non-zero sums in entity order, compared item by item.
        let mut keys: Vec<(EntityIx, ItemIx)> = Vec::new();
        for (i, (l, b)) in ledger.iter_mut().zip(books.iter_mut()).enumerate() {
            for side in [&mut *l, &mut *b] {
                side.retain(|(_, q)| !q.is_zero());
                side.sort_unstable_by_key(|(e, _)| *e);
            }
            if l != b {
                let item = ItemIx::new(u32::try_from(i).unwrap_or(u32::MAX));
                keys.extend(
                    l.iter()
                        .chain(b.iter())
                        .map(|(e, _)| *e)
                        .filter(|e| owned(l, *e) != owned(b, *e))
                        .map(|e| (e, item)),
                );
            }
        }
        if keys.is_empty() {
            return Ok(());
        }
        keys.sort_unstable();
        keys.dedup();
        let sum = |side: &[Owners], e: EntityIx, i: ItemIx| {
            side.get(i.index()).and_then(|o| owned(o, e)).unwrap_or_default()
        };
        let diff: Vec<String> = keys
            .iter()
            .take(3)
            .map(|&(e, i)| {
                format!(
                    "entity {} item {}: ledger {} books {}",
                    self.catalog.entity(e).map(|x| x.code.to_string()).unwrap_or_default(),
                    self.item_code(i).map(|c| c.to_string()).unwrap_or_default(),
                    sum(&ledger, e, i),
                    sum(&books, e, i),
                )
            })
            .collect();
        fail("books_at_sites", diff.join("; "))
    }

    /// Every pool's view names known codes, and its unit cost read alone is its view's
    /// (the books' own consistency, for [`check`](Network::check) only).
    fn check_pool_views(&self) -> Result<(), Violation> {
        for p in self.valuation.pools() {
            if self.catalog.entity_ix(&p.entity).is_none()
                || self.catalog.item_ix(&p.item).is_none()
            {
                return fail(
                    "books_at_sites",
                    format!("a pool of unknown {} / {}", p.entity, p.item),
                );
            }
            if self.valuation.unit_cost(&p.entity, &p.item, p.site.as_ref()) != p.unit_cost {
                return fail(
                    "books_at_sites",
                    format!(
                        "{} / {}: the pool's unit cost read alone differs from its view",
                        p.entity, p.item
                    ),
                );
            }
        }
        Ok(())
    }

    fn check_transit(&self) -> Result<(), Violation> {
        let views: BTreeMap<TransferNo, onhand_valuation::TransitView> =
            self.valuation.transfers().into_iter().map(|t| (t.transfer.clone(), t)).collect();
        for order in self.ledger.transfers() {
            for line in &order.lines {
                let ledger = line.outstanding();
                let list = self.shipments.get(&(order.number.clone(), line.item));
                let (mut mine, mut books) = (Decimal::ZERO, Decimal::ZERO);
                for s in list.into_iter().flatten() {
                    mine = add(mine, s.open, "books_in_transit")?;
                    if let Some(v) = views.get(&s.key).filter(|v| !v.closed) {
                        let left = add(v.shipped, -v.received, "books_in_transit")?;
                        books = add(books, left, "books_in_transit")?;
                    }
                }
                if ledger != mine || ledger != books {
                    return fail(
                        "books_in_transit",
                        format!(
                            "transfer {} item {}: ledger {ledger}, network {mine}, books {books}",
                            order.number,
                            self.item_code(line.item).map(|c| c.to_string()).unwrap_or_default()
                        ),
                    );
                }
            }
        }
        Ok(())
    }

    fn check_bookings(&self) -> Result<(), Violation> {
        for (r, b) in &self.bookings {
            let Some(p) = self.atp.booked(LineId(b.id)) else {
                return fail("bookings", format!("{r} is not booked in the availability engine"));
            };
            if p.confirmed > p.requested || p.confirmed < Decimal::ZERO {
                return fail(
                    "bookings",
                    format!("{r}: confirmed {} of {}", p.confirmed, p.requested),
                );
            }
            // What the line still asks for: what was ordered less what its picks and
            // shipments took off the request (what they took beyond its allocation).
            let ordered = self
                .catalog
                .item_ix(&b.request.item)
                .and_then(|i| self.to_base(i, b.request.qty).ok());
            let served = b.uses.iter().try_fold(Decimal::ZERO, |a, u| a.checked_add(u.served));
            let asks = ordered.zip(served).and_then(|(o, s)| o.checked_sub(s));
            if asks != Some(p.requested) {
                return fail(
                    "bookings",
                    format!(
                        "{r}: availability asks for {} where {} ordered less {} served is {asks:?}",
                        p.requested,
                        b.request.qty,
                        served.unwrap_or_default()
                    ),
                );
            }
            if self.line_refs.get(&b.id) != Some(r) {
                return fail("bookings", format!("{r}: line id {} maps elsewhere", b.id));
            }
            let indexed = self
                .catalog
                .item_ix(&b.request.item)
                .and_then(|i| self.booked_in_group.get(&self.group_of(i)))
                .is_some_and(|set| set.contains(r));
            if !indexed {
                return fail("bookings", format!("{r} is missing from its group's index"));
            }
        }
        let indexed: usize = self.booked_in_group.values().map(BTreeSet::len).sum();
        if indexed != self.bookings.len() {
            return fail(
                "bookings",
                format!("{indexed} indexed lines for {} bookings", self.bookings.len()),
            );
        }
        Ok(())
    }

    fn check_approvals(&self) -> Result<(), Violation> {
        use onhand_control::{ExceptionKind, RoleSet, Subject};
        let held: BTreeMap<onhand_ledger::EventId, (RoleSet, &onhand_ledger::ActorId)> = self
            .ledger
            .pending()
            .map(|(id, p)| (*id, (p.needs.iter().copied().collect(), &p.event.actor.id)))
            .collect();
        let mut tasks = 0usize;
        for e in self.control().exceptions() {
            if e.kind != ExceptionKind::PendingApproval || !e.state.is_active() {
                continue;
            }
            tasks += 1;
            let Subject::Event { event } = &e.subject else {
                return fail("approvals", format!("task {} is not about an event", e.id));
            };
            let Some((needs, poster)) = held.get(event) else {
                return fail(
                    "approvals",
                    format!(
                        "task {} is open for event {event}, which the ledger does not hold",
                        e.id
                    ),
                );
            };
            match &e.hold {
                Some(h) if h.needs == *needs && h.poster == **poster => {}
                other => {
                    return fail(
                        "approvals",
                        format!(
                            "task {} for event {event} has hold {other:?}; the ledger needs {needs:?} from others than {poster}",
                            e.id
                        ),
                    );
                }
            }
        }
        if tasks != held.len() {
            let missing = held
                .keys()
                .find(|id| {
                    self.control()
                        .active(ExceptionKind::PendingApproval, &Subject::Event { event: **id })
                        .is_none()
                })
                .map(ToString::to_string)
                .unwrap_or_default();
            return fail(
                "approvals",
                format!(
                    "the ledger holds {} event(s), the queue has {tasks} open task(s); no task for {missing}",
                    held.len()
                ),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

    use std::sync::Arc;

    use onhand_ledger::{Rules, testing};
    use onhand_master::{Catalog, CurrencyCode, seed};
    use onhand_valuation::{CostBody, CostEvent, Rate};

    use crate::{Network, NetworkConfig};

    /// Books that hold more than the ledger's valued stock of one owner and item are
    /// named, with both figures, and only that owner and item: the check compares
    /// owner by owner, not item totals.
    #[test]
    fn books_apart_from_the_ledger_name_the_owner_and_item() {
        let catalog = Arc::new(Catalog::new(seed::demo_network()).unwrap());
        let mut rules = Rules::standard(CurrencyCode::new("USD").unwrap()).trusting_event_actors();
        rules.reference_costs.insert(
            "BOLT-M8".parse().unwrap(),
            onhand_ledger::ReferenceCost("0.085".parse().unwrap()),
        );
        let (usd, cad) = (CurrencyCode::new("USD").unwrap(), CurrencyCode::new("CAD").unwrap());
        let config = NetworkConfig {
            rates: vec![
                Rate { from: usd, to: cad, rate: "1.25".parse().unwrap() },
                Rate { from: cad, to: usd, rate: "0.8".parse().unwrap() },
            ],
            ..NetworkConfig::default()
        };
        let mut n = Network::with_catalog(catalog, rules, config, testing::at(-60)).unwrap();
        for (id, site) in [(1, "ATL"), (2, "YYZ")] {
            let receipt = testing::receipt_to(id, site, "BOLT-M8", "2 CS", "PF-A01", "available");
            assert!(n.apply(&receipt.unwrap()).unwrap().accepted());
        }
        assert_eq!(n.check_agreement(), Ok(()));
        // Three more bolts in the books at Atlanta only, behind the ledger's back.
        let receipt = CostBody::Receipt {
            site: "ATL".parse().unwrap(),
            item: "BOLT-M8".parse().unwrap(),
            qty: "3 EA".parse().unwrap(),
            unit_cost: "0.10 USD".parse().unwrap(),
            owner: None,
        };
        n.valuation.apply(&CostEvent { id: 99, at: testing::at(0), body: receipt }).unwrap();
        let v = n.check_agreement().unwrap_err();
        assert_eq!(v.invariant, "books_at_sites");
        assert_eq!(v.detail, "entity NA01 item BOLT-M8: ledger 240 books 243", "{v}");
    }
}
