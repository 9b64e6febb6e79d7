//! Period end: closing the books through a time, and consolidating the intercompany
//! activity of the period into the group currency.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use onhand_master::{AccountCode, CurrencyCode, EntityCode, add_exact, sub_exact};
use rust_decimal::Decimal;

use super::{Consolidation, Res, Unrealized, Valuation, at_scale, convert, dec, rate_of, total};
use crate::error::ValuationError;
use crate::event::Rate;
use crate::posting::{Posting, PostingKey, PostingKind};

impl Valuation {
    /// Closes the period through `through`: later events may not be effective before
    /// it (one effective at `through` itself is accepted, as a ledger's network close
    /// accepts it, and is placed after everything folded), and the history each pool
    /// keeps for back-dated movements starts after it.
    ///
    /// # Errors
    /// [`ValuationError::CloseNotForward`] for a close that does not move forward.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_master::{seed, Catalog, Decimal};
    /// # use onhand_valuation::{CostBody, CostEvent, IssueTo, Valuation, ValuationConfig};
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let at = |h: u64| chrono::DateTime::from_timestamp(1_767_600_000 + 3600 * h as i64, 0).ok_or("time");
    /// # let receipt = |id: u64, qty: &str, cost: &str| -> Result<CostEvent, Box<dyn std::error::Error>> {
    /// #     Ok(CostEvent { id, at: at(id)?, body: CostBody::Receipt {
    /// #         site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: qty.parse()?,
    /// #         unit_cost: cost.parse()?, owner: None } })
    /// # };
    /// # let sale = |id: u64, qty: &str| -> Result<CostEvent, Box<dyn std::error::Error>> {
    /// #     Ok(CostEvent { id, at: at(id)?, body: CostBody::Issue {
    /// #         site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: qty.parse()?,
    /// #         to: IssueTo::Sale, owner: None } })
    /// # };
    /// # let mut v = Valuation::new(catalog.clone(), ValuationConfig::default())?;
    /// # let (na01, bolt) = ("NA01".parse::<onhand_master::EntityCode>()?, "BOLT-M8".parse::<onhand_master::ItemCode>()?);
    /// v.apply(&receipt(1, "100 EA", "0.10 USD")?)?;
    /// v.close_period(at(5)?)?;
    /// // Nothing may be effective before the close any more.
    /// let mut late = sale(2, "10 EA")?;
    /// late.at = at(4)?;
    /// assert!(v.apply(&late).is_err());
    /// assert!(v.close_period(at(3)?).is_err(), "a close moves forward");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn close_period(&mut self, through: DateTime<Utc>) -> Res<()> {
        if let Some(c) = self.closed_through
            && through <= c
        {
            return Err(ValuationError::CloseNotForward(c));
        }
        self.fold_through(through, None)?;
        self.closed_through = Some(through);
        Ok(())
    }

    /// Closes `entity`'s period through `through`, while other entities' stay open: a
    /// later event may not move stock into or out of the entity's pools effective before
    /// it (as a network close, an event exactly at the close time is accepted), and the history those pools keep for back-dated movements starts after
    /// it (as a network close does for every pool). A change of value alone (a landed
    /// cost, a new standard cost) stays allowed, as a ledger's entity close governs
    /// stock, and is valued as at the close.
    ///
    /// # Errors
    /// [`ValuationError::UnknownEntity`]; [`ValuationError::CloseNotForward`] for a close
    /// not after the entity's own close and the network's. Nothing changes.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_master::{seed, Catalog, Decimal};
    /// # use onhand_valuation::{CostBody, CostEvent, IssueTo, Valuation, ValuationConfig};
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let at = |h: u64| chrono::DateTime::from_timestamp(1_767_600_000 + 3600 * h as i64, 0).ok_or("time");
    /// # let receipt = |id: u64, qty: &str, cost: &str| -> Result<CostEvent, Box<dyn std::error::Error>> {
    /// #     Ok(CostEvent { id, at: at(id)?, body: CostBody::Receipt {
    /// #         site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: qty.parse()?,
    /// #         unit_cost: cost.parse()?, owner: None } })
    /// # };
    /// # let sale = |id: u64, qty: &str| -> Result<CostEvent, Box<dyn std::error::Error>> {
    /// #     Ok(CostEvent { id, at: at(id)?, body: CostBody::Issue {
    /// #         site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: qty.parse()?,
    /// #         to: IssueTo::Sale, owner: None } })
    /// # };
    /// # let mut v = Valuation::new(catalog.clone(), ValuationConfig::default())?;
    /// # let (na01, bolt) = ("NA01".parse::<onhand_master::EntityCode>()?, "BOLT-M8".parse::<onhand_master::ItemCode>()?);
    /// v.apply(&receipt(1, "100 EA", "0.10 USD")?)?;
    /// v.close_entity_period(&na01, at(5)?)?;
    /// assert_eq!(v.entity_closed_through(&na01), Some(at(5)?));
    /// // A movement of NA01's pools dated in the closed span is refused.
    /// let mut late = sale(2, "10 EA")?;
    /// late.at = at(4)?;
    /// assert!(v.apply(&late).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn close_entity_period(&mut self, entity: &EntityCode, through: DateTime<Utc>) -> Res<()> {
        let e = self.entity(entity)?;
        if let Some(c) = self.closed_for(e)
            && through <= c
        {
            return Err(ValuationError::CloseNotForward(c));
        }
        self.fold_through(through, Some(e))?;
        self.entity_closed.insert(e, through);
        Ok(())
    }

    /// Reopens the network's closed period back to `to` (`None`: nothing stays closed),
    /// so events effective after `to` are accepted again. What the close folded stays
    /// folded: each pool's history restarts from its state at the old close, so a
    /// back-dated movement into the reopened span is valued as if it happened at the
    /// old close, before every movement kept since. It revalues those later movements
    /// with correction postings in the current books, and leaves the folded ones, and
    /// what they posted, as they were. Entities' own closes are not changed.
    ///
    /// # Errors
    /// [`ValuationError::NothingToReopen`] when the network's period is not closed;
    /// [`ValuationError::ReopenNotBack`] for a `to` not before the close. Nothing changes.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_master::{seed, Catalog, Decimal};
    /// # use onhand_valuation::{CostBody, CostEvent, IssueTo, Valuation, ValuationConfig};
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let at = |h: u64| chrono::DateTime::from_timestamp(1_767_600_000 + 3600 * h as i64, 0).ok_or("time");
    /// # let receipt = |id: u64, qty: &str, cost: &str| -> Result<CostEvent, Box<dyn std::error::Error>> {
    /// #     Ok(CostEvent { id, at: at(id)?, body: CostBody::Receipt {
    /// #         site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: qty.parse()?,
    /// #         unit_cost: cost.parse()?, owner: None } })
    /// # };
    /// # let sale = |id: u64, qty: &str| -> Result<CostEvent, Box<dyn std::error::Error>> {
    /// #     Ok(CostEvent { id, at: at(id)?, body: CostBody::Issue {
    /// #         site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: qty.parse()?,
    /// #         to: IssueTo::Sale, owner: None } })
    /// # };
    /// # let mut v = Valuation::new(catalog.clone(), ValuationConfig::default())?;
    /// # let (na01, bolt) = ("NA01".parse::<onhand_master::EntityCode>()?, "BOLT-M8".parse::<onhand_master::ItemCode>()?);
    /// v.close_period(at(10)?)?;
    /// v.reopen_period(Some(at(5)?))?;
    /// assert_eq!(v.closed_through(), Some(at(5)?));
    /// v.reopen_period(None)?;
    /// assert_eq!(v.closed_through(), None);
    /// assert!(v.reopen_period(None).is_err(), "nothing left to reopen");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reopen_period(&mut self, to: Option<DateTime<Utc>>) -> Res<()> {
        let closed = self.closed_through.ok_or(ValuationError::NothingToReopen)?;
        Self::check_back(to, closed)?;
        self.closed_through = to;
        Ok(())
    }

    /// Reopens `entity`'s own closed period back to `to` (`None`: its own close goes), as
    /// [`reopen_period`](Self::reopen_period) does for the network; the network's close
    /// still applies to it.
    ///
    /// # Errors
    /// [`ValuationError::UnknownEntity`]; [`ValuationError::NothingToReopen`] when the
    /// entity has no close of its own; [`ValuationError::ReopenNotBack`] for a `to` not
    /// before it. Nothing changes.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_master::{seed, Catalog, Decimal};
    /// # use onhand_valuation::{CostBody, CostEvent, IssueTo, Valuation, ValuationConfig};
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let at = |h: u64| chrono::DateTime::from_timestamp(1_767_600_000 + 3600 * h as i64, 0).ok_or("time");
    /// # let receipt = |id: u64, qty: &str, cost: &str| -> Result<CostEvent, Box<dyn std::error::Error>> {
    /// #     Ok(CostEvent { id, at: at(id)?, body: CostBody::Receipt {
    /// #         site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: qty.parse()?,
    /// #         unit_cost: cost.parse()?, owner: None } })
    /// # };
    /// # let sale = |id: u64, qty: &str| -> Result<CostEvent, Box<dyn std::error::Error>> {
    /// #     Ok(CostEvent { id, at: at(id)?, body: CostBody::Issue {
    /// #         site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: qty.parse()?,
    /// #         to: IssueTo::Sale, owner: None } })
    /// # };
    /// # let mut v = Valuation::new(catalog.clone(), ValuationConfig::default())?;
    /// # let (na01, bolt) = ("NA01".parse::<onhand_master::EntityCode>()?, "BOLT-M8".parse::<onhand_master::ItemCode>()?);
    /// v.close_entity_period(&na01, at(10)?)?;
    /// v.reopen_entity_period(&na01, None)?;
    /// assert_eq!(v.entity_closed_through(&na01), None);
    /// // Back-dating into the reopened span is accepted again.
    /// v.apply(&receipt(3, "10 EA", "0.10 USD")?)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reopen_entity_period(
        &mut self,
        entity: &EntityCode,
        to: Option<DateTime<Utc>>,
    ) -> Res<()> {
        let e = self.entity(entity)?;
        let closed = self.entity_closed.get(&e).copied().ok_or(ValuationError::NothingToReopen)?;
        Self::check_back(to, closed)?;
        match to {
            Some(to) => self.entity_closed.insert(e, to),
            None => self.entity_closed.remove(&e),
        };
        Ok(())
    }

    /// The time `entity`'s own period is closed through (`None`: it has no close of its
    /// own, or is not in the catalog); its stock is closed through this or the network's
    /// [`closed_through`](Self::closed_through), whichever is later (as a ledger's
    /// `entity_closed_through` reads).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_master::{seed, Catalog, Decimal};
    /// # use onhand_valuation::{CostBody, CostEvent, IssueTo, Valuation, ValuationConfig};
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let at = |h: u64| chrono::DateTime::from_timestamp(1_767_600_000 + 3600 * h as i64, 0).ok_or("time");
    /// # let receipt = |id: u64, qty: &str, cost: &str| -> Result<CostEvent, Box<dyn std::error::Error>> {
    /// #     Ok(CostEvent { id, at: at(id)?, body: CostBody::Receipt {
    /// #         site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: qty.parse()?,
    /// #         unit_cost: cost.parse()?, owner: None } })
    /// # };
    /// # let sale = |id: u64, qty: &str| -> Result<CostEvent, Box<dyn std::error::Error>> {
    /// #     Ok(CostEvent { id, at: at(id)?, body: CostBody::Issue {
    /// #         site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: qty.parse()?,
    /// #         to: IssueTo::Sale, owner: None } })
    /// # };
    /// # let mut v = Valuation::new(catalog.clone(), ValuationConfig::default())?;
    /// # let (na01, bolt) = ("NA01".parse::<onhand_master::EntityCode>()?, "BOLT-M8".parse::<onhand_master::ItemCode>()?);
    /// assert_eq!(v.entity_closed_through(&na01), None);
    /// v.close_entity_period(&na01, at(3)?)?;
    /// assert_eq!(v.entity_closed_through(&na01), Some(at(3)?));
    /// assert_eq!(v.entity_closed_through(&"CA01".parse()?), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn entity_closed_through(&self, entity: &EntityCode) -> Option<DateTime<Utc>> {
        self.entity_closed.get(&self.entity(entity).ok()?).copied()
    }

    /// The later of entity `e`'s own close and the network's.
    pub(crate) fn closed_for(&self, e: u16) -> Option<DateTime<Utc>> {
        self.entity_closed.get(&e).copied().max(self.closed_through)
    }

    /// Refuses a reopen to `to` that does not go back from `closed`.
    fn check_back(to: Option<DateTime<Utc>>, closed: DateTime<Utc>) -> Res<()> {
        match to {
            Some(to) if to >= closed => {
                Err(ValuationError::ReopenNotBack { to, closed_through: closed })
            }
            _ => Ok(()),
        }
    }

    /// Folds the history of every pool (of entity `only`, if given) through `through`.
    fn fold_through(&mut self, through: DateTime<Utc>, only: Option<u16>) -> Res<()> {
        // Work out every pool's new base before changing any.
        let mut bases = Vec::with_capacity(self.slots.len());
        for (k, sl) in self.slots.iter().enumerate() {
            if only.is_some_and(|e| e != sl.entity) {
                continue;
            }
            if let Some((n, base)) = sl
                .state_through(through)
                .map_err(|_| ValuationError::Overflow("a period close replay"))?
            {
                bases.push((k, n, base));
            }
        }
        for (k, n, base) in bases {
            if let Some(sl) = self.slots.get_mut(k) {
                sl.close(n, base);
            }
        }
        Ok(())
    }

    /// Consolidates the intercompany activity since the last run into the group
    /// currency: eliminates the period's intercompany revenue against cost of sales,
    /// removes the profit still held in buyers' inventory (on hand and owned in transit)
    /// at the end, and releases the profit that was held at the start (through retained
    /// earnings). `rates` convert each entity's currency into `currency`.
    ///
    /// # Errors
    /// [`ValuationError::MissingRate`] or [`ValuationError::Overflow`]; nothing changes.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_master::{seed, Catalog, Decimal};
    /// # use onhand_valuation::{CostBody, CostEvent, IssueTo, Valuation, ValuationConfig};
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let at = |h: u64| chrono::DateTime::from_timestamp(1_767_600_000 + 3600 * h as i64, 0).ok_or("time");
    /// # let receipt = |id: u64, qty: &str, cost: &str| -> Result<CostEvent, Box<dyn std::error::Error>> {
    /// #     Ok(CostEvent { id, at: at(id)?, body: CostBody::Receipt {
    /// #         site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: qty.parse()?,
    /// #         unit_cost: cost.parse()?, owner: None } })
    /// # };
    /// # let sale = |id: u64, qty: &str| -> Result<CostEvent, Box<dyn std::error::Error>> {
    /// #     Ok(CostEvent { id, at: at(id)?, body: CostBody::Issue {
    /// #         site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: qty.parse()?,
    /// #         to: IssueTo::Sale, owner: None } })
    /// # };
    /// # let mut v = Valuation::new(catalog.clone(), ValuationConfig::default())?;
    /// # let (na01, bolt) = ("NA01".parse::<onhand_master::EntityCode>()?, "BOLT-M8".parse::<onhand_master::ItemCode>()?);
    /// #
    /// # use onhand_valuation::{Agreement, PriceRule, Rate, TitlePoint};
    /// # let config = ValuationConfig {
    /// #     agreements: vec![Agreement {
    /// #         seller: "NA01".parse()?, buyer: "CA01".parse()?,
    /// #         price: PriceRule::CostPlus { markup: "0.25".parse()? },
    /// #         currency: "USD".parse()?, title: TitlePoint::Shipment,
    /// #     }],
    /// #     ..ValuationConfig::default()
    /// # };
    /// # let mut v = Valuation::new(catalog.clone(), config)?;
    /// # let ca01: onhand_master::EntityCode = "CA01".parse()?;
    /// # let rates = vec![Rate { from: "USD".parse()?, to: "CAD".parse()?, rate: "1.35".parse()? }];
    /// # // 100 drills at 80 USD in Chicago, shipped to Toronto at cost plus 25%.
    /// # v.apply(&CostEvent { id: 1, at: at(1)?, body: CostBody::Receipt {
    /// #     site: "ORD".parse()?, item: "DRILL-18V".parse()?, qty: "100 EA".parse()?,
    /// #     unit_cost: "80.00 USD".parse()?, owner: None } })?;
    /// # v.apply(&CostEvent { id: 2, at: at(2)?, body: CostBody::TransferShip {
    /// #     transfer: "IC-7".parse()?, from: "ORD".parse()?, to: "YYZ".parse()?,
    /// #     item: "DRILL-18V".parse()?, qty: "100 EA".parse()?, rates: rates.clone() } })?;
    /// let to_usd = vec![Rate { from: "CAD".parse()?, to: "USD".parse()?, rate: Decimal::ONE / Decimal::new(135, 2) }];
    /// let c = v.consolidate(1, &na01, "USD".parse()?, &to_usd)?;
    /// // The group eliminates NA01's sale to CA01 and the 2,000 USD of profit still held.
    /// assert_eq!(c.revenue.get(&(na01.clone(), ca01.clone())), Some(&"10000.00".parse()?));
    /// assert_eq!(c.buyers.get(&ca01).map(|u| u.closing), Some("2000.00".parse()?));
    /// assert!(onhand_valuation::unbalanced(&c.postings).is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn consolidate(
        &mut self,
        run: u64,
        group: &EntityCode,
        currency: CurrencyCode,
        rates: &[Rate],
    ) -> Res<Consolidation> {
        let mut buyers: BTreeMap<EntityCode, Unrealized> = BTreeMap::new();
        let mut revenue: BTreeMap<(EntityCode, EntityCode), Decimal> = BTreeMap::new();
        let mut postings = Vec::new();
        let mut closing_by: BTreeMap<u16, Decimal> = BTreeMap::new();
        let line = |key: PostingKey, amount: Decimal, doc: &str, postings: &mut Vec<Posting>| {
            if amount.is_zero() {
                return;
            }
            postings.push(Posting {
                event: run,
                entity: group.clone(),
                key,
                account: self.config_account(group, key),
                amount: at_scale(amount, currency),
                currency,
                kind: PostingKind::Elimination,
                item: None,
                site: None,
                document: Some(doc.to_owned()),
            });
        };
        for ((s, b), p) in &self.period {
            let (se, be) = (self.ent(*s)?, self.ent(*b)?);
            let rev = convert(p.revenue, rate_of(rates, se.currency, currency)?, currency)?;
            revenue.insert((se.code.clone(), be.code.clone()), at_scale(rev, currency));
            let doc = format!("intercompany sales {} -> {}", se.code, be.code);
            line(PostingKey::IcRevenue, rev, &doc, &mut postings);
            line(PostingKey::CostOfSales, -rev, &doc, &mut postings);
        }
        // Every entity that ever bought, or holds profit now.
        let mut involved: Vec<u16> = self.eliminated.keys().copied().collect();
        involved.extend(self.period.keys().map(|(_, b)| *b));
        involved.extend(self.slots.iter().filter(|s| s.pool.state.profit != 0).map(|s| s.entity));
        involved.extend(self.transfers.iter().filter(|t| !t.profit.is_zero()).map(|t| t.owner));
        involved.sort_unstable();
        involved.dedup();
        for b in involved {
            let be = self.ent(b)?;
            let rate = rate_of(rates, be.currency, currency)?;
            let held = self.unrealized_profit(&be.code);
            let closing = convert(held, rate, currency)?;
            let created_local =
                total(self.period.iter().filter(|((_, x), _)| *x == b).map(|(_, p)| p.created));
            let created = convert(created_local, rate, currency)?;
            let opening = self.eliminated.get(&b).copied().unwrap_or_default();
            let realized = add_exact(opening, created)
                .and_then(|x| sub_exact(x, closing))
                .map_err(dec("the realized intercompany profit"))?;
            let doc = format!("unrealized profit held by {}", be.code);
            line(PostingKey::CostOfSales, closing, &doc, &mut postings);
            line(PostingKey::Inventory, -closing, &doc, &mut postings);
            line(PostingKey::RetainedEarnings, opening, &doc, &mut postings);
            line(PostingKey::CostOfSales, -opening, &doc, &mut postings);
            let g = |x: Decimal| at_scale(x, currency);
            buyers.insert(
                be.code.clone(),
                Unrealized {
                    opening: g(opening),
                    created: g(created),
                    closing: g(closing),
                    realized: g(realized),
                },
            );
            closing_by.insert(b, closing);
        }
        self.eliminated = closing_by;
        self.period.clear();
        Ok(Consolidation { run, currency, buyers, revenue, postings })
    }

    pub(super) fn config_account(&self, entity: &EntityCode, key: PostingKey) -> AccountCode {
        self.accounts.account(entity, key)
    }
}
