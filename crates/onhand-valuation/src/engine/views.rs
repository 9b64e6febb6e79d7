//! Reading the engine: pools, transfers, holdings, intercompany documents and open
//! items, as views that name everything by code.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use onhand_master::{EntityCode, EntityIx, ItemCode, ItemIx, SiteCode, SiteIx};
use rust_decimal::Decimal;

use super::{Held, PoolView, Seen, Transfer, TransitView, Valuation, at_scale, on_the_way, total};
use crate::code::TransferNo;
use crate::history::Slot;
use crate::intercompany::{IcDocument, OpenItem};

impl Valuation {
    /// What was recorded for an applied event.
    pub(crate) fn seen_of(&self, id: u64) -> Option<&Seen> {
        self.seen.get(id).and_then(|at| self.seen_log.get(at as usize))
    }

    fn view(&self, sl: &Slot) -> Option<PoolView> {
        let e = self.entities.get(usize::from(sl.entity))?;
        let (st, sc) = (&sl.pool.state, sl.pool.scales);
        Some(PoolView {
            entity: e.code.clone(),
            item: self.catalog.item(sl.item)?.code.clone(),
            site: sl.site.and_then(|s| self.catalog.site(s)).map(|s| s.code.clone()),
            method: st.method,
            qty: sc.qty_out(st.book_qty()),
            value: sc.value_out(st.book_value()),
            profit: sc.value_out(st.profit),
            currency: e.currency,
            layers: st.layers(&sl.pool, sc).collect(),
            unit_cost: st.unit_cost(&sl.pool, sc),
            shortfall: sc.qty_out(st.short.0),
            shortfall_value: sc.value_out(st.short.1),
        })
    }

    /// The pool of `entity`'s `item` (at `site`, for an entity valued per site; the
    /// site is ignored otherwise).
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
    /// let pool = v.pool(&na01, &bolt, None).ok_or("pool")?;
    /// assert_eq!((pool.qty, pool.value), ("100".parse()?, "10.00".parse()?));
    /// assert!(v.pool(&na01, &"NUT-M8".parse()?, None).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn pool(
        &self,
        entity: &EntityCode,
        item: &ItemCode,
        site: Option<&SiteCode>,
    ) -> Option<PoolView> {
        self.view(self.slot_by_codes(entity, item, site)?)
    }

    /// The slot of a pool by codes (the site counts only for an entity valued per site).
    fn slot_by_codes(
        &self,
        entity: &EntityCode,
        item: &ItemCode,
        site: Option<&SiteCode>,
    ) -> Option<&Slot> {
        let e = self.entity(entity).ok()?;
        let i = self.item(item).ok()?;
        let ps = match site {
            Some(code) if self.ent(e).ok()?.per_site => Some(self.site(code).ok()?),
            _ => None,
        };
        self.slots.get(self.slot_of(e, i, ps)? as usize)
    }

    /// The unit cost of a pool ([`PoolView::unit_cost`]) without building its view (no
    /// layers are collected): `None` for no such pool or a pool with no cost yet.
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
    /// v.apply(&receipt(2, "100 EA", "0.20 USD")?)?;
    /// // FIFO: the next unit out is the oldest, at 0.10.
    /// assert_eq!(v.unit_cost(&na01, &bolt, None), Some("0.10".parse()?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn unit_cost(
        &self,
        entity: &EntityCode,
        item: &ItemCode,
        site: Option<&SiteCode>,
    ) -> Option<Decimal> {
        let sl = self.slot_by_codes(entity, item, site)?;
        sl.pool.state.unit_cost(&sl.pool, sl.pool.scales)
    }

    /// Every pool, by entity, item and site code.
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
    /// let pools = v.pools();
    /// assert_eq!(pools.len(), 1);
    /// assert_eq!((pools[0].entity.as_str(), pools[0].item.as_str()), ("NA01", "BOLT-M8"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn pools(&self) -> Vec<PoolView> {
        let mut out: Vec<PoolView> = self.slots.iter().filter_map(|sl| self.view(sl)).collect();
        out.sort_by(|a, b| (&a.entity, &a.item, &a.site).cmp(&(&b.entity, &b.item, &b.site)));
        out
    }

    /// The value of `entity`'s inventory on hand (the sum of its pools).
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
    /// v.apply(&sale(2, "25 EA")?)?;
    /// assert_eq!(v.inventory_value(&na01), "7.50".parse()?);
    /// assert_eq!(v.inventory_value(&"CA01".parse()?), Decimal::ZERO);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn inventory_value(&self, entity: &EntityCode) -> Decimal {
        let Ok(e) = self.entity(entity) else { return Decimal::ZERO };
        let Ok(currency) = self.ent(e).map(|x| x.currency) else { return Decimal::ZERO };
        at_scale(
            total(
                self.slots
                    .iter()
                    .filter(|s| s.entity == e)
                    .map(|s| s.pool.scales.value_out(s.pool.state.book_value())),
            ),
            currency,
        )
    }

    /// Every transfer, by document number.
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
    /// let t = &v.transfers()[0];
    /// assert_eq!((t.transfer.as_str(), t.item.as_str()), ("IC-7", "DRILL-18V"));
    /// assert!(!t.closed);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn transfers(&self) -> Vec<TransitView> {
        let code = |e: u16| self.entities.get(usize::from(e)).map(|x| x.code.clone());
        let mut out: Vec<TransitView> = self
            .transfers
            .iter()
            .filter_map(|t| {
                Some(TransitView {
                    transfer: t.number.clone(),
                    item: self.catalog.item(t.item)?.code.clone(),
                    seller: code(t.seller)?,
                    buyer: code(t.buyer)?,
                    owner: code(t.owner)?,
                    shipped: t.shipped,
                    received: t.received,
                    value: t.value,
                    profit: t.profit,
                    closed: t.closed,
                })
            })
            .collect();
        out.sort_by(|a, b| a.transfer.cmp(&b.transfer));
        out
    }

    /// The value `entity` carries in transit (goods it owns on the way).
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
    /// // Title passed at shipment: the goods are the buyer's, in transit, at the
    /// // agreement's price converted (10,000 USD at 1.35).
    /// assert_eq!(v.in_transit_value(&ca01), "13500.00".parse()?);
    /// assert_eq!(v.in_transit_value(&na01), Decimal::ZERO);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn in_transit_value(&self, entity: &EntityCode) -> Decimal {
        let Ok(e) = self.entity(entity) else { return Decimal::ZERO };
        let Ok(currency) = self.ent(e).map(|x| x.currency) else { return Decimal::ZERO };
        at_scale(total(self.transfers.iter().filter(|t| t.owner == e).map(|t| t.value)), currency)
    }

    /// What `entity` holds of `item`, in base units: on hand at its sites (its pools of
    /// the item) and on the way in transfers it owns. O(sites of the entity).
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
    /// let drill = "DRILL-18V".parse()?;
    /// let held = v.held(&ca01, &drill);
    /// assert_eq!((held.on_hand, held.in_transit), (Decimal::ZERO, "100".parse()?));
    /// assert_eq!(v.held(&na01, &drill).total(), Decimal::ZERO);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn held(&self, entity: &EntityCode, item: &ItemCode) -> Held {
        let (Ok(e), Ok(i)) = (self.entity(entity), self.item(item)) else {
            return Held::default();
        };
        let qty = |site: Option<SiteIx>| {
            self.slot_of(e, i, site)
                .and_then(|s| self.slots.get(s as usize))
                .map_or(Decimal::ZERO, |sl| sl.pool.scales.qty_out(sl.pool.state.book_qty()))
        };
        let on_hand = if self.entities.get(usize::from(e)).is_some_and(|x| x.per_site) {
            total(
                self.catalog
                    .sites()
                    .filter(|(s, _)| {
                        self.catalog.site_entity(*s).and_then(|x| u16::try_from(x.index()).ok())
                            == Some(e)
                    })
                    .map(|(s, _)| qty(Some(s)))
                    .chain(
                        // A per-site entity's stock at sites of others (an owner given).
                        self.slots
                            .iter()
                            .filter(|sl| {
                                sl.entity == e
                                    && sl.item == i
                                    && sl
                                        .site
                                        .and_then(|s| self.catalog.site_entity(s))
                                        .and_then(|x| u16::try_from(x.index()).ok())
                                        != Some(e)
                            })
                            .map(|sl| sl.pool.scales.qty_out(sl.pool.state.book_qty())),
                    ),
            )
        } else {
            qty(None)
        };
        let in_transit = self.transit_qty.get(&(e, i.raw())).copied().unwrap_or_default();
        Held { on_hand, in_transit }
    }

    /// What every entity holds of every item it ever valued, by entity and item code.
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
    /// let all = v.held_all();
    /// let drill: onhand_master::ItemCode = "DRILL-18V".parse()?;
    /// assert_eq!(all.get(&(ca01.clone(), drill.clone())).map(|h| h.total()), Some("100".parse()?));
    /// // The seller shipped all it had.
    /// assert_eq!(all.get(&(na01.clone(), drill)).map_or(Decimal::ZERO, |h| h.total()), Decimal::ZERO);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn held_all(&self) -> BTreeMap<(EntityCode, ItemCode), Held> {
        let mut out: BTreeMap<(EntityCode, ItemCode), Held> = BTreeMap::new();
        let code = |e: u16, i: ItemIx| {
            Some((
                self.entities.get(usize::from(e))?.code.clone(),
                self.catalog.item(i)?.code.clone(),
            ))
        };
        for (e, i, q) in self.pool_quantities() {
            if let Some(k) = code(e.raw(), i) {
                let h = out.entry(k).or_default();
                h.on_hand = h.on_hand.checked_add(q).unwrap_or(Decimal::MAX);
            }
        }
        for (&(e, i), q) in &self.transit_qty {
            if let Some(k) = code(e, ItemIx::new(i)) {
                out.entry(k).or_default().in_transit = *q;
            }
        }
        out
    }

    /// Every pool's entity and item handles and the quantity it holds (base units;
    /// negative after a shortfall), in no particular order: what [`held_all`] sums per
    /// entity and item, without codes or a map, for a host that checks the books
    /// against a ledger by handle over many pools.
    ///
    /// [`held_all`]: Valuation::held_all
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_master::{seed, Catalog, Decimal};
    /// # use onhand_valuation::{CostBody, CostEvent, Valuation, ValuationConfig};
    /// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// let mut v = Valuation::new(catalog.clone(), ValuationConfig::default())?;
    /// let at = chrono::DateTime::from_timestamp(1_767_600_000, 0).ok_or("time")?;
    /// v.apply(&CostEvent { id: 1, at, body: CostBody::Receipt {
    ///     site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: "100 EA".parse()?,
    ///     unit_cost: "0.10 USD".parse()?, owner: None } })?;
    /// let bolt = catalog.item_ix(&"BOLT-M8".parse()?).ok_or("item")?;
    /// let pools: Vec<_> = v.pool_quantities().collect();
    /// assert_eq!(pools.len(), 1);
    /// assert_eq!((pools[0].1, pools[0].2), (bolt, Decimal::from(100)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pool_quantities(&self) -> impl Iterator<Item = (EntityIx, ItemIx, Decimal)> + '_ {
        self.slots.iter().map(|sl| {
            let q = sl.pool.scales.qty_out(sl.pool.state.book_qty());
            (EntityIx::new(sl.entity), sl.item, q)
        })
    }

    /// How many events the engine has applied (restored with its snapshot): every
    /// accepted event adds one, a duplicate or a refusal none, and nothing else moves
    /// it (a dry run, [`check_all`](Valuation::check_all), puts it back). The books,
    /// the transfers and the intercompany open items change only with it, so a host
    /// can keep what it derives from them (a reconciliation) until it moves.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_master::{seed, Catalog};
    /// # use onhand_valuation::{CostBody, CostEvent, Valuation, ValuationConfig};
    /// let mut v = Valuation::new(Arc::new(Catalog::new(seed::demo_network())?), ValuationConfig::default())?;
    /// let at = chrono::DateTime::from_timestamp(1_767_600_000, 0).ok_or("a time")?;
    /// let receipt = CostEvent { id: 1, at, body: CostBody::Receipt {
    ///     site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: "10 EA".parse()?,
    ///     unit_cost: "0.10 USD".parse()?, owner: None } };
    /// v.apply(&receipt)?;
    /// v.apply(&receipt)?; // a duplicate
    /// assert_eq!(v.applied(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn applied(&self) -> u64 {
        self.seq
    }

    /// Counts a transfer's goods on the way into (or, `add` false, out of) its owner's
    /// in-transit quantity.
    pub(crate) fn count_transit(&mut self, t: &Transfer, add: bool) {
        let q = on_the_way(t);
        if q.is_zero() {
            return;
        }
        let sum = self.transit_qty.entry((t.owner, t.item.raw())).or_default();
        let next = if add { sum.checked_add(q) } else { sum.checked_sub(q) };
        debug_assert!(next.is_some(), "in-transit quantity beyond the decimal range");
        *sum = next.unwrap_or(*sum);
        if sum.is_zero() {
            self.transit_qty.remove(&(t.owner, t.item.raw()));
        }
    }

    /// The intercompany documents issued, in order.
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
    /// let numbers: Vec<&str> = v.documents().iter().map(|d| d.number.as_str()).collect();
    /// assert_eq!(numbers, ["ICSO-IC-7", "ICPO-IC-7", "SHP-IC-7", "INV-IC-7-1"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn documents(&self) -> &[IcDocument] {
        &self.documents
    }

    /// The sellers' intercompany receivables, in order.
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
    /// let r = &v.receivables()[0];
    /// assert_eq!((r.seller.as_str(), r.buyer.as_str(), r.document.as_str()), ("NA01", "CA01", "INV-IC-7-1"));
    /// assert_eq!(r.amount.to_string(), "10000.00 USD");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn receivables(&self) -> &[OpenItem] {
        &self.receivables
    }

    /// The buyers' intercompany payables, in order.
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
    /// let p = &v.payables()[0];
    /// assert_eq!((p.buyer.as_str(), p.transfer.as_str()), ("CA01", "IC-7"));
    /// // The same invoice on both sides.
    /// assert_eq!(p.document, v.receivables()[0].document);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn payables(&self) -> &[OpenItem] {
        &self.payables
    }

    /// Transfers with goods still on the way (for [`reconcile`](crate::reconcile)).
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
    /// assert!(v.open_transfers().contains(&"IC-7".parse()?));
    /// v.apply(&CostEvent { id: 3, at: at(3)?, body: CostBody::TransferReceipt {
    ///     transfer: "IC-7".parse()?, qty: "100 EA".parse()?, rates: vec![] } })?;
    /// assert!(v.open_transfers().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn open_transfers(&self) -> std::collections::BTreeSet<TransferNo> {
        self.transfers
            .iter()
            .filter(|t| !t.closed && t.received < t.shipped)
            .map(|t| t.number.clone())
            .collect()
    }

    /// The intercompany profit still embedded in what `buyer` holds: on hand, and in
    /// transit that it already owns, in its own currency.
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
    /// // 13,500 CAD paid for goods that cost the group 8,000 USD (10,800 CAD).
    /// assert_eq!(v.unrealized_profit(&ca01), "2700.00".parse()?);
    /// assert_eq!(v.unrealized_profit(&na01), Decimal::ZERO);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn unrealized_profit(&self, buyer: &EntityCode) -> Decimal {
        let Ok(b) = self.entity(buyer) else { return Decimal::ZERO };
        let held = self
            .slots
            .iter()
            .filter(|s| s.entity == b)
            .map(|s| s.pool.scales.value_out(s.pool.state.profit));
        let moving = self.transfers.iter().filter(|t| t.owner == b).map(|t| t.profit);
        let Ok(currency) = self.ent(b).map(|x| x.currency) else { return Decimal::ZERO };
        at_scale(total(held.chain(moving)), currency)
    }

    /// The period is closed through this time, if any.
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
    /// assert_eq!(v.closed_through(), None);
    /// v.close_period(at(10)?)?;
    /// assert_eq!(v.closed_through(), Some(at(10)?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn closed_through(&self) -> Option<DateTime<Utc>> {
        self.closed_through
    }
}
