//! Role lenses fed from the network's own state: the inputs `onhand-control`'s lenses
//! read ([`WarehouseInput`], [`SupplyInput`], [`FinanceInput`], [`ExecutiveInput`]),
//! gathered from the ledger, availability, valuation, the order book, expected receipts,
//! the planner and the queue, so a host never builds them by hand; and each lens opened
//! for an actor over them ([`Network::warehouse_lens`] and the others).
//!
//! A lens checks that the actor holds one of its roles before anything is gathered, so a
//! refused actor learns nothing from the network's answer (not even whether the site,
//! item or entity exists); the lens then checks the scope it is asked for.
//!
//! Every quantity is in the item's base unit; every value in the entity's currency.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveTime;
use onhand_control::{
    Arrival, BinStock, CountDue, ExceptionKind, ExecutiveInput, ExecutiveView, FinanceInput,
    FinanceView, IntercompanyBalance, Lens, NamedFigure, OpenTasks, Recommendation, SiteSupply,
    SupplyInput, SupplyView, WarehouseInput, WarehouseView,
};
use onhand_ledger::Actor;
use onhand_master::{BinCode, EntityCode, ItemCode, ItemIx, SiteCode, SiteIx};
use onhand_replenish::Action;
use onhand_status::StockStatus;
use rust_decimal::Decimal;

use crate::error::Error;
use crate::network::Network;

fn unknown(what: String) -> Error {
    Error::Config { what }
}

fn add(sum: &mut Decimal, v: Decimal) -> Result<(), Error> {
    *sum = sum
        .checked_add(v)
        .ok_or_else(|| Error::Config { what: format!("a lens figure overflows adding {v}") })?;
    Ok(())
}

impl Network {
    /// What the warehouse lens reads about `site`, from the network's state:
    ///
    /// - **bins**: every non-zero position at the site, by bin and item: available,
    ///   held (quality hold and blocked), damaged and in receiving;
    /// - **counts**: an item to count for each active count-variance or recurring
    ///   count-variance exception at the site, due since it was raised (a recount is
    ///   what clears it);
    /// - **tasks**: `putaway` (positions in receiving), `pick` (promised order lines
    ///   to serve from the site) and `receive` (transfer lines in transit to it).
    ///
    /// # Errors
    /// [`Error::Config`] for an unknown site.
    pub fn warehouse_input(&self, site: &SiteCode) -> Result<WarehouseInput, Error> {
        let s =
            self.catalog.site_ix(site).ok_or_else(|| unknown(format!("unknown site {site}")))?;
        let mut rows: BTreeMap<(Option<BinCode>, ItemCode), BinStock> = BTreeMap::new();
        let mut putaway = 0u32;
        for (key, qty) in self.ledger.positions().filter(|(k, _)| k.site == s) {
            let bin = match key.bin {
                Some(b) => Some(
                    self.catalog
                        .bin(b)
                        .map(|b| b.code.clone())
                        .ok_or_else(|| unknown(format!("no bin with handle {}", b.index())))?,
                ),
                None => None,
            };
            let item = self.item_code(key.item)?;
            let row = rows.entry((bin.clone(), item.clone())).or_insert_with(|| BinStock {
                bin,
                item,
                available: Decimal::ZERO,
                held: Decimal::ZERO,
                damaged: Decimal::ZERO,
                receiving: Decimal::ZERO,
            });
            match key.status {
                StockStatus::Available => add(&mut row.available, qty)?,
                StockStatus::QualityHold | StockStatus::Blocked => add(&mut row.held, qty)?,
                StockStatus::Damaged => add(&mut row.damaged, qty)?,
                StockStatus::Receiving => {
                    add(&mut row.receiving, qty)?;
                    putaway += u32::from(qty > Decimal::ZERO);
                }
                StockStatus::Picked
                | StockStatus::ReturnPending
                | StockStatus::InTransit
                | StockStatus::Scrapped => {}
            }
        }
        let bins: Vec<BinStock> = rows.into_values().collect();
        let counts = self
            .control()
            .exceptions()
            .filter(|e| {
                e.state.is_active()
                    && e.site.as_ref() == Some(site)
                    && matches!(
                        e.kind,
                        ExceptionKind::CountVariance | ExceptionKind::RecurringCountVariance
                    )
            })
            .filter_map(|e| {
                let item = e.subject.item().or(e.item.as_ref())?.clone();
                Some(CountDue { item, bin: None, due: e.raised_at })
            })
            .collect();
        let mut pick = 0u32;
        for b in self.bookings.values() {
            let Some(p) = self.atp.booked(onhand_atp::LineId(b.id)) else { continue };
            let open = p.schedule().iter().filter(|l| l.site == s && l.qty > Decimal::ZERO).count();
            pick = pick.saturating_add(u32::try_from(open).unwrap_or(u32::MAX));
        }
        let receive = u32::try_from(self.ledger.in_transit_to(s).len()).unwrap_or(u32::MAX);
        let tasks = [("pick", pick), ("putaway", putaway), ("receive", receive)]
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(kind, open)| OpenTasks { kind: kind.to_owned(), open })
            .collect();
        Ok(WarehouseInput { site: site.clone(), bins, counts, tasks })
    }

    /// What the supply-chain lens reads about `item`, from the network's state: one row
    /// per site where the item has stock, supply, a shortage or a plan, with available
    /// to promise today (to the least urgent demand, with look-ahead), open expected
    /// receipts, demand promised beyond supply (overcommitted), transfer shipments on the
    /// way with the day availability expects them and their shipping site, and, for a
    /// planned site at or below its reorder point, the planner's best recommendation.
    ///
    /// # Errors
    /// [`Error::NotInPartition`] for an item of another partition; [`Error::Atp`] for an
    /// unknown item; [`Error::Replenish`] when the planner refuses the positions.
    pub fn supply_input(&self, item: &ItemCode) -> Result<SupplyInput, Error> {
        self.check_item(item)?;
        let i = self
            .catalog
            .item_ix(item)
            .ok_or_else(|| Error::Atp(onhand_atp::AtpError::UnknownItem { item: item.clone() }))?;
        let today = self.atp.today();
        let mut sites = Vec::new();
        for (s, _) in self.catalog.sites() {
            let row = self.site_supply(i, s, today)?;
            let planned = self.below.contains_key(&(i, s));
            let empty = row.available_to_promise.is_zero()
                && row.on_order.is_zero()
                && row.shortage.is_zero()
                && row.in_transit.is_empty()
                && self.ledger.positions_at(i, s).next().is_none();
            if planned || !empty {
                sites.push(row);
            }
        }
        Ok(SupplyInput { item: item.clone(), sites })
    }

    fn site_supply(
        &self,
        i: ItemIx,
        s: SiteIx,
        today: chrono::NaiveDate,
    ) -> Result<SiteSupply, Error> {
        let (item, site) = (self.item_code(i)?, self.site_code(s)?);
        // Today is inside every checking horizon (its fence is at least a day ahead),
        // so today's figure is always limited.
        let today_atp = self.atp.atp(&item, &site, today, u8::MAX)?;
        debug_assert!(!today_atp.is_unlimited(), "ATP today is limited");
        let available_to_promise = today_atp.limited().unwrap_or(Decimal::MAX);
        let mut on_order = Decimal::ZERO;
        for key in self.receipts_at.get(&(i, s)).into_iter().flatten() {
            if let Some(r) = self.receipts.get(key) {
                add(&mut on_order, r.open)?;
            }
        }
        let mut in_transit = Vec::new();
        for number in self.shipped.get(&i).into_iter().flatten() {
            let from = match self.ledger.transfer(number) {
                Some(o) => Some(self.site_code(o.from)?),
                None => None,
            };
            for sh in self.shipments.get(&(number.clone(), i)).into_iter().flatten() {
                if sh.to == s && sh.open > Decimal::ZERO {
                    in_transit.push(Arrival {
                        qty: sh.open,
                        arrival: sh.arrival.and_time(NaiveTime::MIN).and_utc(),
                        from: from.clone(),
                    });
                }
            }
        }
        let mut recommendations = Vec::new();
        if self.below.get(&(i, s)) == Some(&true)
            && let Some(rec) = self.recommend((i, s))?
        {
            for c in std::iter::once(&rec.best).chain(rec.also.as_ref()) {
                let from = match &c.action {
                    Action::Transfer { from } => Some(from.clone()),
                    _ => None,
                };
                recommendations.push(Recommendation {
                    action: c.action.kind().to_owned(),
                    qty: c.qty,
                    from,
                });
            }
        }
        Ok(SiteSupply {
            site,
            available_to_promise,
            on_order,
            shortage: self.atp.overcommitted(i, s),
            in_transit,
            recommendations,
        })
    }

    /// What the finance lens reads about `entity`, from the network's books: its sites,
    /// stock value, the value of goods in transit it holds title to, intercompany profit
    /// still in its stock, and per buyer it sold to, its receivables against the buyer's
    /// payables (documents still in transit, which only timing separates, are left out
    /// on both sides); the value of the month's adjustments at its sites when the insight
    /// feed is on ([`NetworkConfig::insight`](crate::NetworkConfig::insight)), none
    /// otherwise.
    ///
    /// # Errors
    /// [`Error::Config`] for an unknown entity.
    pub fn finance_input(&self, entity: &EntityCode) -> Result<FinanceInput, Error> {
        let e = self
            .catalog
            .entity_ix(entity)
            .ok_or_else(|| unknown(format!("unknown entity {entity}")))?;
        let currency = self
            .catalog
            .entity(e)
            .map(|x| x.currency)
            .ok_or_else(|| unknown(format!("unknown entity {entity}")))?;
        let sites = self
            .catalog
            .sites()
            .filter(|(s, _)| self.catalog.site_entity(*s) == Some(e))
            .map(|(_, site)| site.code.clone())
            .collect();
        let in_transit = self.valuation.open_transfers();
        let booked: BTreeSet<&str> = self
            .valuation
            .payables()
            .iter()
            .filter(|p| p.seller == *entity)
            .map(|p| p.document.as_str())
            .collect();
        let mut pairs: BTreeMap<EntityCode, (Decimal, Decimal)> = BTreeMap::new();
        for r in self.valuation.receivables().iter().filter(|r| r.seller == *entity) {
            let timing = in_transit.contains(&r.transfer) && !booked.contains(r.document.as_str());
            if !timing {
                add(&mut pairs.entry(r.buyer.clone()).or_default().0, r.functional.amount())?;
            }
        }
        for p in self.valuation.payables().iter().filter(|p| p.seller == *entity) {
            let owed = if p.amount.currency() == currency {
                p.amount
            } else {
                self.in_currency_of(p.functional, e)?
            };
            add(&mut pairs.entry(p.buyer.clone()).or_default().1, owed.amount())?;
        }
        let intercompany = pairs
            .into_iter()
            .map(|(counterparty, (receivable, counterparty_payable))| IntercompanyBalance {
                counterparty,
                receivable,
                counterparty_payable,
            })
            .collect();
        let adjustment_value = match self.insight() {
            Some(insight) => {
                let period = onhand_insight::Period::containing(
                    onhand_insight::Grain::Month,
                    self.now.date_naive(),
                );
                let dim = onhand_insight::Dim::Entity(entity.clone());
                Some(insight.adjustments(period, &dim)?.net_value.get(currency))
            }
            None => None,
        };
        Ok(FinanceInput {
            entity: entity.clone(),
            currency,
            sites,
            stock_value: self.valuation.inventory_value(entity),
            in_transit_owned: self.valuation.in_transit_value(entity),
            intercompany,
            unrealized_profit: self.valuation.unrealized_profit(entity),
            adjustment_value,
        })
    }

    /// The network figures the executive lens shows beside the queue's: booked order
    /// lines, lines with demand beyond supply, events held for approval, planned
    /// item-sites at or below their reorder point, and each entity's stock value.
    ///
    /// # Errors
    /// [`Error::Config`] when a figure overflows.
    pub fn executive_input(&self) -> Result<ExecutiveInput, Error> {
        let count = |n: usize| Decimal::from(n);
        let named = |name: &str, definition: &str, value: Decimal| NamedFigure {
            name: name.to_owned(),
            definition: definition.to_owned(),
            value,
        };
        let short = self
            .bookings
            .values()
            .filter(|b| {
                self.atp
                    .booked(onhand_atp::LineId(b.id))
                    .is_some_and(|p| p.unconfirmed > Decimal::ZERO)
            })
            .count();
        let mut figures = vec![
            named(
                "order_lines",
                "order lines booked and not yet shipped in full",
                count(self.bookings.len()),
            ),
            named(
                "lines_unconfirmed",
                "booked order lines with quantity not yet confirmed",
                count(short),
            ),
            named("held_events", "events held for approval", count(self.ledger.pending().count())),
            named(
                "below_reorder_point",
                "planned item-sites at or below their reorder point",
                count(self.below.values().filter(|b| **b).count()),
            ),
        ];
        for entity in &self.catalog.data().entities {
            figures.push(named(
                &format!("stock_value_{}", entity.code),
                &format!("value of {}'s stock on hand, in {}", entity.code, entity.currency),
                self.valuation.inventory_value(&entity.code),
            ));
        }
        Ok(ExecutiveInput { figures })
    }

    /// The warehouse lens of `site` for `actor`, over [`warehouse_input`](Self::warehouse_input).
    ///
    /// ```
    /// use onhand::ledger::testing::{actor, at};
    /// use onhand::ledger::Rules;
    /// use onhand::master::{seed, CurrencyCode, Role};
    /// use onhand::{Network, NetworkConfig};
    ///
    /// let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// let network = Network::new(seed::demo_network(), rules, NetworkConfig::default(), at(0))?;
    /// let clerk = actor("clerk", &[Role::Warehouse])?;
    /// let view = network.warehouse_lens(&clerk, &"ATL".parse()?)?;
    /// assert!(view.bins.is_empty());
    /// // A planner may not open the warehouse lens: a typed refusal.
    /// let planner = actor("plan", &[Role::Planning])?;
    /// assert!(network.warehouse_lens(&planner, &"ATL".parse()?).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Control`] with a refusal when the actor holds no warehouse-lens role or
    /// the site is outside its scope; as [`warehouse_input`](Self::warehouse_input).
    pub fn warehouse_lens(&self, actor: &Actor, site: &SiteCode) -> Result<WarehouseView, Error> {
        Lens::Warehouse.allows(actor)?;
        let input = self.warehouse_input(site)?;
        Ok(self.control().warehouse_lens(actor, &input, self.now)?)
    }

    /// The supply-chain lens of `item` for `actor`, over the sites in its scope, from
    /// [`supply_input`](Self::supply_input).
    ///
    /// # Errors
    /// [`Error::Control`] with a refusal when the actor holds no supply-chain-lens role;
    /// as [`supply_input`](Self::supply_input).
    pub fn supply_chain_lens(&self, actor: &Actor, item: &ItemCode) -> Result<SupplyView, Error> {
        Lens::SupplyChain.allows(actor)?;
        let input = self.supply_input(item)?;
        Ok(self.control().supply_chain_lens(actor, &input)?)
    }

    /// The finance lens of `entity` for `actor`, from [`finance_input`](Self::finance_input).
    ///
    /// # Errors
    /// [`Error::Control`] with a refusal when the actor is not in finance or a site of
    /// the entity is outside its scope; as [`finance_input`](Self::finance_input).
    pub fn finance_lens(&self, actor: &Actor, entity: &EntityCode) -> Result<FinanceView, Error> {
        Lens::Finance.allows(actor)?;
        let input = self.finance_input(entity)?;
        Ok(self.control().finance_lens(actor, &input)?)
    }

    /// The executive lens for `actor`, from [`executive_input`](Self::executive_input).
    ///
    /// # Errors
    /// [`Error::Control`] with a refusal when the actor holds no executive-lens role or
    /// is not scoped to every site.
    pub fn executive_lens(&self, actor: &Actor) -> Result<ExecutiveView, Error> {
        Lens::Executive.allows(actor)?;
        let input = self.executive_input()?;
        Ok(self.control().executive_lens(actor, &input, self.now)?)
    }
}
