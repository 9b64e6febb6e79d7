//! Reading the ledger: positions with their codes, the measures of the status crate per
//! site and across the network, figures as of a time, what is in transit, and who owns
//! what.
//!
//! Site figures count only stock *at* the site: in-transit stock, though keyed by its
//! destination, is at no site. Network figures add in-transit stock to the measures it
//! counts toward (valuated, and the network total).

use chrono::{DateTime, NaiveDate, Utc};
use onhand_master::{
    BinCode, EntityCode, EntityIx, ItemCode, ItemIx, LotCode, SerialNo, SiteCode, SiteIx, UomCode,
};
use onhand_status::{Measure, StatusSet, StockStatus};
use rust_decimal::Decimal;

use crate::event::{DocNumber, EventId};
use crate::ledger::{InTransit, Ledger, PendingEvent, add};
use crate::lot::LotInfo;
use crate::position::{LotIx, PositionKey, micros};
use crate::transfer::TransferOrder;

/// A position with its business codes, for reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositionView {
    /// The item.
    pub item: ItemCode,
    /// The site.
    pub site: SiteCode,
    /// The bin.
    pub bin: Option<BinCode>,
    /// The lot.
    pub lot: Option<LotCode>,
    /// The status.
    pub status: StockStatus,
    /// The owning entity.
    pub owner: EntityCode,
    /// The item's base unit, the unit of every quantity the ledger reports.
    pub uom: UomCode,
}

/// Whether stock in `status` counts in a measure of statuses `set` at a site: in-transit
/// stock is at no site.
fn at_site_in(set: StatusSet, status: StockStatus) -> bool {
    status != StockStatus::InTransit && set.contains(status)
}

fn sum(values: impl Iterator<Item = Decimal>) -> Decimal {
    values.fold(Decimal::ZERO, |acc, v| add(acc, v, "sum").unwrap_or(Decimal::MAX))
}

impl Ledger {
    /// The business codes of a position (handles the catalog does not know show as
    /// `UNKNOWN`, which only happens for keys made up by the caller).
    ///
    /// # Panics
    /// Never: the fallback codes are valid literals.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_ledger::{Applied, Ledger, Rules, testing};
    /// # use onhand_master::{seed, Catalog, CurrencyCode, Decimal};
    /// # use onhand_status::Measure;
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// # let mut ledger = Ledger::new(catalog.clone(), rules.clone())?;
    /// # let item = catalog.item_ix(&"BOLT-M8".parse()?).ok_or("item")?;
    /// # let site = catalog.site_ix(&"ATL".parse()?).ok_or("site")?;
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// ledger.apply(&testing::receipt_to(1, "ATL", "BOLT-M8", "30 EA", "RCV-01", "available")?)?;
    /// let (key, _) = ledger.positions().next().ok_or("position")?;
    /// let view = ledger.describe(&key);
    /// assert_eq!((view.item.as_str(), view.site.as_str(), view.owner.as_str()), ("BOLT-M8", "ATL", "NA01"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn describe(&self, key: &PositionKey) -> PositionView {
        let c = &self.catalog;
        let item = c.item(key.item);
        PositionView {
            item: item
                .map_or_else(|| ItemCode::new("UNKNOWN").expect("literal"), |i| i.code.clone()),
            site: c
                .site(key.site)
                .map_or_else(|| SiteCode::new("UNKNOWN").expect("literal"), |s| s.code.clone()),
            bin: key.bin.and_then(|b| c.bin(b)).map(|b| b.code.clone()),
            lot: key.lot.and_then(|l| self.lots.get(l)).map(|l| l.code.clone()),
            status: key.status,
            owner: c
                .entity(key.owner)
                .map_or_else(|| EntityCode::new("UNKNOWN").expect("literal"), |e| e.code.clone()),
            uom: item.map_or_else(|| UomCode::new("EA").expect("literal"), |i| i.base_uom),
        }
    }

    /// The current balance of one position (base units; zero if it never existed).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_ledger::{Applied, Ledger, Rules, testing};
    /// # use onhand_master::{seed, Catalog, CurrencyCode, Decimal};
    /// # use onhand_status::Measure;
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// # let mut ledger = Ledger::new(catalog.clone(), rules.clone())?;
    /// # let item = catalog.item_ix(&"BOLT-M8".parse()?).ok_or("item")?;
    /// # let site = catalog.site_ix(&"ATL".parse()?).ok_or("site")?;
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// ledger.apply(&testing::receipt_to(1, "ATL", "BOLT-M8", "30 EA", "RCV-01", "available")?)?;
    /// let (key, qty) = ledger.positions().next().ok_or("position")?;
    /// assert_eq!(ledger.qty(&key), qty);
    /// assert_eq!(qty, n("30")?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn qty(&self, key: &PositionKey) -> Decimal {
        self.positions.qty(key)
    }

    /// The balance of one position as of `at` (since the last period close).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_ledger::{Applied, Ledger, Rules, testing};
    /// # use onhand_master::{seed, Catalog, CurrencyCode, Decimal};
    /// # use onhand_status::Measure;
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// # let mut ledger = Ledger::new(catalog.clone(), rules.clone())?;
    /// # let item = catalog.item_ix(&"BOLT-M8".parse()?).ok_or("item")?;
    /// # let site = catalog.site_ix(&"ATL".parse()?).ok_or("site")?;
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// ledger.apply(&testing::receipt_to(1, "ATL", "BOLT-M8", "30 EA", "RCV-01", "available")?)?;
    /// ledger.apply(&testing::receipt_to(50, "ATL", "BOLT-M8", "5 EA", "RCV-01", "available")?)?;
    /// let (key, _) = ledger.positions().next().ok_or("position")?;
    /// // Before the second receipt (minute 50), and after it.
    /// assert_eq!(ledger.qty_as_of(&key, testing::at(10)), n("30")?);
    /// assert_eq!(ledger.qty_as_of(&key, testing::at(60)), n("35")?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn qty_as_of(&self, key: &PositionKey, at: DateTime<Utc>) -> Decimal {
        self.positions.slot(key).map_or(Decimal::ZERO, |s| s.as_of(micros(at)))
    }

    /// Every position with a non-zero balance, in key order.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_ledger::{Applied, Ledger, Rules, testing};
    /// # use onhand_master::{seed, Catalog, CurrencyCode, Decimal};
    /// # use onhand_status::Measure;
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// # let mut ledger = Ledger::new(catalog.clone(), rules.clone())?;
    /// # let item = catalog.item_ix(&"BOLT-M8".parse()?).ok_or("item")?;
    /// # let site = catalog.site_ix(&"ATL".parse()?).ok_or("site")?;
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// ledger.apply(&testing::receipt_to(1, "ATL", "BOLT-M8", "30 EA", "RCV-01", "available")?)?;
    /// ledger.apply(&testing::receipt_to(2, "ATL", "NUT-M8", "10 EA", "RCV-01", "available")?)?;
    /// assert_eq!(ledger.positions().count(), 2);
    /// assert_eq!(ledger.positions().map(|(_, q)| q).sum::<Decimal>(), n("40")?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn positions(&self) -> impl Iterator<Item = (PositionKey, Decimal)> + '_ {
        self.positions.all().filter(|(_, s)| !s.qty.is_zero()).map(|(k, s)| (k, s.qty))
    }

    /// The non-zero positions of one item, in key order.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_ledger::{Applied, Ledger, Rules, testing};
    /// # use onhand_master::{seed, Catalog, CurrencyCode, Decimal};
    /// # use onhand_status::Measure;
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// # let mut ledger = Ledger::new(catalog.clone(), rules.clone())?;
    /// # let item = catalog.item_ix(&"BOLT-M8".parse()?).ok_or("item")?;
    /// # let site = catalog.site_ix(&"ATL".parse()?).ok_or("site")?;
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// ledger.apply(&testing::receipt_to(1, "ATL", "BOLT-M8", "30 EA", "RCV-01", "available")?)?;
    /// ledger.apply(&testing::receipt_to(2, "ATL", "NUT-M8", "10 EA", "RCV-01", "available")?)?;
    /// let bolts: Vec<Decimal> = ledger.positions_of(item).map(|(_, q)| q).collect();
    /// assert_eq!(bolts, [n("30")?]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn positions_of(&self, item: ItemIx) -> impl Iterator<Item = (PositionKey, Decimal)> + '_ {
        self.positions.of_item(item).filter(|(_, s)| !s.qty.is_zero()).map(|(k, s)| (k, s.qty))
    }

    /// The non-zero positions of one item at one site (in-transit stock bound for the site
    /// included, with status `in_transit`), in key order.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_ledger::{Applied, Ledger, Rules, testing};
    /// # use onhand_master::{seed, Catalog, CurrencyCode, Decimal};
    /// # use onhand_status::Measure;
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// # let mut ledger = Ledger::new(catalog.clone(), rules.clone())?;
    /// # let item = catalog.item_ix(&"BOLT-M8".parse()?).ok_or("item")?;
    /// # let site = catalog.site_ix(&"ATL".parse()?).ok_or("site")?;
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// ledger.apply(&testing::receipt_to(1, "ATL", "BOLT-M8", "30 EA", "RCV-01", "available")?)?;
    /// ledger.apply(&testing::receipt_to(2, "ATL", "BOLT-M8", "10 EA", "RCV-01", "quality_hold")?)?;
    /// let at_atl: Decimal = ledger.positions_at(item, site).map(|(_, q)| q).sum();
    /// assert_eq!(at_atl, n("40")?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn positions_at(
        &self,
        item: ItemIx,
        site: SiteIx,
    ) -> impl Iterator<Item = (PositionKey, Decimal)> + '_ {
        self.positions
            .of_item_site(item, site)
            .filter(|(_, s)| !s.qty.is_zero())
            .map(|(k, s)| (k, s.qty))
    }

    /// Number of positions held (including empty ones kept for their open-period history).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_ledger::{Applied, Ledger, Rules, testing};
    /// # use onhand_master::{seed, Catalog, CurrencyCode, Decimal};
    /// # use onhand_status::Measure;
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// # let mut ledger = Ledger::new(catalog.clone(), rules.clone())?;
    /// # let item = catalog.item_ix(&"BOLT-M8".parse()?).ok_or("item")?;
    /// # let site = catalog.site_ix(&"ATL".parse()?).ok_or("site")?;
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// assert_eq!(ledger.position_count(), 0);
    /// ledger.apply(&testing::receipt_to(1, "ATL", "BOLT-M8", "30 EA", "RCV-01", "available")?)?;
    /// assert_eq!(ledger.position_count(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn position_count(&self) -> usize {
        self.positions.len()
    }

    /// A measure of an item at a site (base units), by the rules' measure definitions;
    /// in-transit stock is at no site and never counts here.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use onhand_ledger::{Ledger, Rules, testing};
    /// use onhand_master::{seed, Catalog, CurrencyCode};
    /// use onhand_status::Measure;
    ///
    /// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// let mut ledger = Ledger::new(catalog.clone(), rules)?;
    /// ledger.apply(&testing::receipt_to(1, "ATL", "BOLT-M8", "30 EA", "RCV-01", "available")?)?;
    /// ledger.apply(&testing::receipt_to(2, "ATL", "BOLT-M8", "10 EA", "RCV-01", "quality_hold")?)?;
    /// let item = catalog.item_ix(&"BOLT-M8".parse()?).ok_or("item")?;
    /// let site = catalog.site_ix(&"ATL".parse()?).ok_or("site")?;
    /// assert_eq!(ledger.measure(item, site, Measure::OnHand), "40".parse()?);
    /// assert_eq!(ledger.measure(item, site, Measure::Available), "30".parse()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn measure(&self, item: ItemIx, site: SiteIx, measure: Measure) -> Decimal {
        let set = self.rules.measures.statuses(measure);
        sum(self
            .positions
            .of_item_site(item, site)
            .filter(|(k, _)| at_site_in(set, k.status))
            .map(|(_, s)| s.qty))
    }

    /// [`measure`](Self::measure) at every item-site that has positions, in item then
    /// site order, in one pass over the positions: what reading every item-site of the
    /// network costs once, instead of a look-up per item-site (an item-site it leaves
    /// out measures zero).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use onhand_ledger::{Ledger, Rules, testing};
    /// use onhand_master::{seed, Catalog, CurrencyCode};
    /// use onhand_status::Measure;
    ///
    /// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// let mut ledger = Ledger::new(catalog.clone(), rules)?;
    /// ledger.apply(&testing::receipt_to(1, "ATL", "BOLT-M8", "30 EA", "RCV-01", "available")?)?;
    /// ledger.apply(&testing::receipt_to(2, "ATL", "BOLT-M8", "10 EA", "RCV-01", "quality_hold")?)?;
    /// ledger.apply(&testing::receipt_to(3, "DFW", "BOLT-M8", "5 EA", "RCV-01", "quality_hold")?)?;
    /// let each: Vec<_> = ledger.measure_each(Measure::Available).collect();
    /// let item = catalog.item_ix(&"BOLT-M8".parse()?).ok_or("item")?;
    /// let (atl, dfw) = (catalog.site_ix(&"ATL".parse()?).ok_or("site")?, catalog.site_ix(&"DFW".parse()?).ok_or("site")?);
    /// let mut want = vec![(item, atl, "30".parse()?), (item, dfw, "0".parse()?)];
    /// want.sort_by_key(|(i, s, _)| (*i, *s));
    /// assert_eq!(each, want);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn measure_each(
        &self,
        measure: Measure,
    ) -> impl Iterator<Item = (ItemIx, SiteIx, Decimal)> + '_ {
        let set = self.rules.measures.statuses(measure);
        let mut all = self.positions.all().peekable();
        std::iter::from_fn(move || {
            let &(PositionKey { item, site, .. }, _) = all.peek()?;
            let here =
                std::iter::from_fn(|| all.next_if(|(k, _)| k.item == item && k.site == site));
            Some((
                item,
                site,
                sum(here.filter(|(k, _)| at_site_in(set, k.status)).map(|(_, s)| s.qty)),
            ))
        })
    }

    /// A measure of an item at a site as of `at` (since the last period close).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_ledger::{Applied, Ledger, Rules, testing};
    /// # use onhand_master::{seed, Catalog, CurrencyCode, Decimal};
    /// # use onhand_status::Measure;
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// # let mut ledger = Ledger::new(catalog.clone(), rules.clone())?;
    /// # let item = catalog.item_ix(&"BOLT-M8".parse()?).ok_or("item")?;
    /// # let site = catalog.site_ix(&"ATL".parse()?).ok_or("site")?;
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// ledger.apply(&testing::receipt_to(1, "ATL", "BOLT-M8", "30 EA", "RCV-01", "available")?)?;
    /// ledger.apply(&testing::receipt_to(50, "ATL", "BOLT-M8", "5 EA", "RCV-01", "available")?)?;
    /// assert_eq!(ledger.measure_as_of(item, site, Measure::Available, testing::at(10)), n("30")?);
    /// assert_eq!(ledger.measure_as_of(item, site, Measure::Available, testing::at(60)), n("35")?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn measure_as_of(
        &self,
        item: ItemIx,
        site: SiteIx,
        measure: Measure,
        at: DateTime<Utc>,
    ) -> Decimal {
        let set = self.rules.measures.statuses(measure);
        let t = micros(at);
        sum(self
            .positions
            .of_item_site(item, site)
            .filter(|(k, _)| at_site_in(set, k.status))
            .map(|(_, s)| s.as_of(t)))
    }

    /// A measure of an item across the network: the sites' figures, plus in-transit stock
    /// where the measure counts it (valuated).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_ledger::{Applied, Ledger, Rules, testing};
    /// # use onhand_master::{seed, Catalog, CurrencyCode, Decimal};
    /// # use onhand_status::Measure;
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// # let mut ledger = Ledger::new(catalog.clone(), rules.clone())?;
    /// # let item = catalog.item_ix(&"BOLT-M8".parse()?).ok_or("item")?;
    /// # let site = catalog.site_ix(&"ATL".parse()?).ok_or("site")?;
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// ledger.apply(&testing::receipt_to(1, "ATL", "BOLT-M8", "30 EA", "RCV-01", "available")?)?;
    /// ledger.apply(&testing::receipt_to(2, "DFW", "BOLT-M8", "12 EA", "RCV-01", "available")?)?;
    /// assert_eq!(ledger.network_measure(item, Measure::OnHand), n("42")?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn network_measure(&self, item: ItemIx, measure: Measure) -> Decimal {
        let set = self.rules.measures.statuses(measure);
        sum(self
            .positions
            .of_item(item)
            .filter(|(k, _)| set.contains(k.status))
            .map(|(_, s)| s.qty))
    }

    /// Everything of an item in the network: on hand at sites plus in transit. Only
    /// receipts, shipments, adjustments, count variances and scrap change it.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_ledger::{Applied, Ledger, Rules, testing};
    /// # use onhand_master::{seed, Catalog, CurrencyCode, Decimal};
    /// # use onhand_status::Measure;
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// # let mut ledger = Ledger::new(catalog.clone(), rules.clone())?;
    /// # let item = catalog.item_ix(&"BOLT-M8".parse()?).ok_or("item")?;
    /// # let site = catalog.site_ix(&"ATL".parse()?).ok_or("site")?;
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// ledger.apply(&testing::receipt_to(1, "ATL", "BOLT-M8", "30 EA", "RCV-01", "available")?)?;
    /// ledger.apply(&testing::receipt_to(2, "DFW", "BOLT-M8", "12 EA", "RCV-01", "quality_hold")?)?;
    /// assert_eq!(ledger.network_total(item), n("42")?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn network_total(&self, item: ItemIx) -> Decimal {
        sum(self
            .positions
            .of_item(item)
            .filter(|(k, _)| k.status.is_on_hand() || k.status == StockStatus::InTransit)
            .map(|(_, s)| s.qty))
    }

    /// What an entity owns of an item: valuated stock at any site, and in transit.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_ledger::{Applied, Ledger, Rules, testing};
    /// # use onhand_master::{seed, Catalog, CurrencyCode, Decimal};
    /// # use onhand_status::Measure;
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// # let mut ledger = Ledger::new(catalog.clone(), rules.clone())?;
    /// # let item = catalog.item_ix(&"BOLT-M8".parse()?).ok_or("item")?;
    /// # let site = catalog.site_ix(&"ATL".parse()?).ok_or("site")?;
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// ledger.apply(&testing::receipt_to(1, "ATL", "BOLT-M8", "30 EA", "RCV-01", "available")?)?;
    /// let na01 = catalog.entity_ix(&"NA01".parse()?).ok_or("entity")?;
    /// let ca01 = catalog.entity_ix(&"CA01".parse()?).ok_or("entity")?;
    /// assert_eq!(ledger.owned(item, na01), n("30")?);
    /// assert_eq!(ledger.owned(item, ca01), Decimal::ZERO);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn owned(&self, item: ItemIx, entity: EntityIx) -> Decimal {
        sum(self
            .positions
            .of_item(item)
            .filter(|(k, _)| k.owner == entity && k.status.is_valuated())
            .map(|(_, s)| s.qty))
    }

    /// Every transfer order, by number.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_ledger::{Applied, Ledger, Rules, testing};
    /// # use onhand_master::{seed, Catalog, CurrencyCode, Decimal};
    /// # use onhand_status::Measure;
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// # let mut ledger = Ledger::new(catalog.clone(), rules.clone())?;
    /// # let item = catalog.item_ix(&"BOLT-M8".parse()?).ok_or("item")?;
    /// # let site = catalog.site_ix(&"ATL".parse()?).ok_or("site")?;
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// #
    /// # for e in onhand_ledger::seed::demo_day()? {
    /// #     let _ = ledger.apply(&e.event); // the day includes postings the rules refuse
    /// # }
    /// # let to = |n: &str| -> Result<onhand_ledger::DocNumber, Box<dyn std::error::Error>> { Ok(n.parse()?) };
    /// # let ix = |s: &str| catalog.site_ix(&s.parse().ok()?);
    /// let numbers: Vec<&str> = ledger.transfers().map(|t| t.number.as_str()).collect();
    /// assert_eq!(numbers, ["TO-7001", "TO-7002", "TO-7003"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn transfers(&self) -> impl Iterator<Item = &TransferOrder> {
        self.transfers.by_number(|_| true).into_iter()
    }

    /// The transfer orders shipped and not yet fully received (partly shipped, shipped,
    /// partly received), by number: every order with stock in transit is among them.
    /// Kept as an index, so a look for overdue transfers reads these, not every order
    /// ever requested.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_ledger::{Ledger, Rules};
    /// # use onhand_master::{seed, Catalog, CurrencyCode, Decimal};
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// # let mut ledger = Ledger::new(catalog.clone(), rules.clone())?;
    /// # for e in onhand_ledger::seed::demo_day()? {
    /// #     let _ = ledger.apply(&e.event); // the day includes postings the rules refuse
    /// # }
    /// let flying: Vec<&str> = ledger.transfers_in_flight().map(|t| t.number.as_str()).collect();
    /// let in_transit: Vec<&str> = ledger
    ///     .transfers()
    ///     .filter(|t| t.lines.iter().any(|l| l.outstanding() > Decimal::ZERO))
    ///     .map(|t| t.number.as_str())
    ///     .collect();
    /// assert!(!in_transit.is_empty());
    /// assert!(in_transit.iter().all(|n| flying.contains(n)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn transfers_in_flight(&self) -> impl Iterator<Item = &TransferOrder> {
        self.transfers.in_flight_by_number().into_iter()
    }

    /// One transfer order.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_ledger::{Applied, Ledger, Rules, testing};
    /// # use onhand_master::{seed, Catalog, CurrencyCode, Decimal};
    /// # use onhand_status::Measure;
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// # let mut ledger = Ledger::new(catalog.clone(), rules.clone())?;
    /// # let item = catalog.item_ix(&"BOLT-M8".parse()?).ok_or("item")?;
    /// # let site = catalog.site_ix(&"ATL".parse()?).ok_or("site")?;
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// #
    /// # for e in onhand_ledger::seed::demo_day()? {
    /// #     let _ = ledger.apply(&e.event); // the day includes postings the rules refuse
    /// # }
    /// # let to = |n: &str| -> Result<onhand_ledger::DocNumber, Box<dyn std::error::Error>> { Ok(n.parse()?) };
    /// # let ix = |s: &str| catalog.site_ix(&s.parse().ok()?);
    /// let t = ledger.transfer(&to("TO-7002")?).ok_or("TO-7002")?;
    /// assert_eq!((t.from, t.to), (ix("ORD").ok_or("ORD")?, ix("YYZ").ok_or("YYZ")?));
    /// assert!(ledger.transfer(&to("TO-9999")?).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn transfer(&self, number: &DocNumber) -> Option<&TransferOrder> {
        self.transfers.get(number)
    }

    fn in_transit_where(&self, pick: impl Fn(&TransferOrder) -> bool) -> Vec<InTransit<'_>> {
        let mut out = Vec::new();
        for order in self.transfers.by_number(pick) {
            for line in &order.lines {
                for (tk, q) in &line.in_transit {
                    if !q.0.is_zero() {
                        out.push(InTransit {
                            order,
                            item: line.item,
                            lot: tk.lot,
                            owner: tk.owner,
                            qty: q.0,
                        });
                    }
                }
            }
        }
        out
    }

    /// Everything in transit to a site, by transfer number, with expected arrival on the
    /// order.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_ledger::{Applied, Ledger, Rules, testing};
    /// # use onhand_master::{seed, Catalog, CurrencyCode, Decimal};
    /// # use onhand_status::Measure;
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// # let mut ledger = Ledger::new(catalog.clone(), rules.clone())?;
    /// # let item = catalog.item_ix(&"BOLT-M8".parse()?).ok_or("item")?;
    /// # let site = catalog.site_ix(&"ATL".parse()?).ok_or("site")?;
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// #
    /// # for e in onhand_ledger::seed::demo_day()? {
    /// #     let _ = ledger.apply(&e.event); // the day includes postings the rules refuse
    /// # }
    /// # let to = |n: &str| -> Result<onhand_ledger::DocNumber, Box<dyn std::error::Error>> { Ok(n.parse()?) };
    /// # let ix = |s: &str| catalog.site_ix(&s.parse().ok()?);
    /// // Chicago shipped 400 of Toronto's 500 nuts; none has arrived.
    /// let coming = ledger.in_transit_to(ix("YYZ").ok_or("YYZ")?);
    /// let nuts: Decimal = coming.iter().filter(|t| t.order.number.as_str() == "TO-7002").map(|t| t.qty).sum();
    /// assert_eq!(nuts, n("400")?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn in_transit_to(&self, site: SiteIx) -> Vec<InTransit<'_>> {
        self.in_transit_where(|o| o.to == site)
    }

    /// Everything in transit from a site, by transfer number.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_ledger::{Applied, Ledger, Rules, testing};
    /// # use onhand_master::{seed, Catalog, CurrencyCode, Decimal};
    /// # use onhand_status::Measure;
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// # let mut ledger = Ledger::new(catalog.clone(), rules.clone())?;
    /// # let item = catalog.item_ix(&"BOLT-M8".parse()?).ok_or("item")?;
    /// # let site = catalog.site_ix(&"ATL".parse()?).ok_or("site")?;
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// #
    /// # for e in onhand_ledger::seed::demo_day()? {
    /// #     let _ = ledger.apply(&e.event); // the day includes postings the rules refuse
    /// # }
    /// # let to = |n: &str| -> Result<onhand_ledger::DocNumber, Box<dyn std::error::Error>> { Ok(n.parse()?) };
    /// # let ix = |s: &str| catalog.site_ix(&s.parse().ok()?);
    /// let leaving = ledger.in_transit_from(ix("ORD").ok_or("ORD")?);
    /// assert!(leaving.iter().any(|t| t.order.number.as_str() == "TO-7002" && t.qty == Decimal::from(400)));
    /// assert!(ledger.in_transit_from(ix("DFW").ok_or("DFW")?).is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn in_transit_from(&self, site: SiteIx) -> Vec<InTransit<'_>> {
        self.in_transit_where(|o| o.from == site)
    }

    /// Events waiting for approval, by id.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_ledger::{Applied, Ledger, Rules, testing};
    /// # use onhand_master::{seed, Catalog, CurrencyCode, Decimal};
    /// # use onhand_status::Measure;
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// # let mut ledger = Ledger::new(catalog.clone(), rules.clone())?;
    /// # let item = catalog.item_ix(&"BOLT-M8".parse()?).ok_or("item")?;
    /// # let site = catalog.site_ix(&"ATL".parse()?).ok_or("site")?;
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// #
    /// # for e in onhand_ledger::seed::demo_day()? {
    /// #     let _ = ledger.apply(&e.event); // the day includes postings the rules refuse
    /// # }
    /// # let to = |n: &str| -> Result<onhand_ledger::DocNumber, Box<dyn std::error::Error>> { Ok(n.parse()?) };
    /// # let ix = |s: &str| catalog.site_ix(&s.parse().ok()?);
    /// // The day ends with postings waiting for approval, each naming the roles it needs.
    /// assert!(ledger.pending().count() > 0);
    /// assert!(ledger.pending().all(|(id, p)| !p.needs.is_empty() && p.event.id == *id));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pending(&self) -> impl Iterator<Item = (&EventId, &PendingEvent)> {
        self.pending.iter()
    }

    /// The event `id` waiting for approval, if it is (a look-up, not a walk over
    /// [`pending`](Self::pending)).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_ledger::{Ledger, Rules};
    /// # use onhand_master::{seed, Catalog, CurrencyCode};
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// # let mut ledger = Ledger::new(catalog.clone(), rules.clone())?;
    /// # for e in onhand_ledger::seed::demo_day()? {
    /// #     let _ = ledger.apply(&e.event); // the day includes postings the rules refuse
    /// # }
    /// let (id, _) = ledger.pending().next().ok_or("a held event")?;
    /// let held = ledger.pending_event(id).ok_or("held")?;
    /// assert_eq!(held.event.id, *id);
    /// assert!(ledger.pending_event(&onhand_ledger::EventId::from_u128(u128::MAX)).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn pending_event(&self, id: &EventId) -> Option<&PendingEvent> {
        self.pending.get(id)
    }

    /// A lot by handle.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_ledger::{Applied, Ledger, Rules, testing};
    /// # use onhand_master::{seed, Catalog, CurrencyCode, Decimal};
    /// # use onhand_status::Measure;
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// # let mut ledger = Ledger::new(catalog.clone(), rules.clone())?;
    /// # let item = catalog.item_ix(&"BOLT-M8".parse()?).ok_or("item")?;
    /// # let site = catalog.site_ix(&"ATL".parse()?).ok_or("site")?;
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// #
    /// # for e in onhand_ledger::seed::demo_day()? {
    /// #     let _ = ledger.apply(&e.event); // the day includes postings the rules refuse
    /// # }
    /// # let to = |n: &str| -> Result<onhand_ledger::DocNumber, Box<dyn std::error::Error>> { Ok(n.parse()?) };
    /// # let ix = |s: &str| catalog.site_ix(&s.parse().ok()?);
    /// let glue = catalog.item_ix(&"GLUE-500".parse()?).ok_or("item")?;
    /// let ix = ledger.lot_ix(glue, &"G-0412".parse()?).ok_or("lot")?;
    /// let lot = ledger.lot(ix).ok_or("lot info")?;
    /// // No expiry on the receipt: the item's shelf life from the first receipt.
    /// assert_eq!((lot.item, lot.code.as_str()), (glue, "G-0412"));
    /// assert_eq!(lot.expiry, chrono::NaiveDate::from_ymd_opt(2027, 1, 5));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn lot(&self, ix: LotIx) -> Option<&LotInfo> {
        self.lots.get(ix)
    }

    /// The handle of an item's lot.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_ledger::{Applied, Ledger, Rules, testing};
    /// # use onhand_master::{seed, Catalog, CurrencyCode, Decimal};
    /// # use onhand_status::Measure;
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// # let mut ledger = Ledger::new(catalog.clone(), rules.clone())?;
    /// # let item = catalog.item_ix(&"BOLT-M8".parse()?).ok_or("item")?;
    /// # let site = catalog.site_ix(&"ATL".parse()?).ok_or("site")?;
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// #
    /// # for e in onhand_ledger::seed::demo_day()? {
    /// #     let _ = ledger.apply(&e.event); // the day includes postings the rules refuse
    /// # }
    /// # let to = |n: &str| -> Result<onhand_ledger::DocNumber, Box<dyn std::error::Error>> { Ok(n.parse()?) };
    /// # let ix = |s: &str| catalog.site_ix(&s.parse().ok()?);
    /// let glue = catalog.item_ix(&"GLUE-500".parse()?).ok_or("item")?;
    /// let ix = ledger.lot_ix(glue, &"G-0398".parse()?).ok_or("lot")?;
    /// assert_eq!(ledger.lot(ix).map(|l| l.code.as_str()), Some("G-0398"));
    /// assert!(ledger.lot_ix(glue, &"G-9999".parse()?).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn lot_ix(&self, item: ItemIx, code: &LotCode) -> Option<LotIx> {
        self.lots.find(item, code)
    }

    /// Every lot, in handle order.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_ledger::{Applied, Ledger, Rules, testing};
    /// # use onhand_master::{seed, Catalog, CurrencyCode, Decimal};
    /// # use onhand_status::Measure;
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// # let mut ledger = Ledger::new(catalog.clone(), rules.clone())?;
    /// # let item = catalog.item_ix(&"BOLT-M8".parse()?).ok_or("item")?;
    /// # let site = catalog.site_ix(&"ATL".parse()?).ok_or("site")?;
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// #
    /// # for e in onhand_ledger::seed::demo_day()? {
    /// #     let _ = ledger.apply(&e.event); // the day includes postings the rules refuse
    /// # }
    /// # let to = |n: &str| -> Result<onhand_ledger::DocNumber, Box<dyn std::error::Error>> { Ok(n.parse()?) };
    /// # let ix = |s: &str| catalog.site_ix(&s.parse().ok()?);
    /// let codes: Vec<&str> = ledger.lots().iter().map(|l| l.code.as_str()).collect();
    /// assert_eq!(codes, ["G-0412", "G-0398"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn lots(&self) -> &[LotInfo] {
        self.lots.all()
    }

    /// Where a serial number is.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_ledger::{Applied, Ledger, Rules, testing};
    /// # use onhand_master::{seed, Catalog, CurrencyCode, Decimal};
    /// # use onhand_status::Measure;
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// # let mut ledger = Ledger::new(catalog.clone(), rules.clone())?;
    /// # let item = catalog.item_ix(&"BOLT-M8".parse()?).ok_or("item")?;
    /// # let site = catalog.site_ix(&"ATL".parse()?).ok_or("site")?;
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// #
    /// # for e in onhand_ledger::seed::demo_day()? {
    /// #     let _ = ledger.apply(&e.event); // the day includes postings the rules refuse
    /// # }
    /// # let to = |n: &str| -> Result<onhand_ledger::DocNumber, Box<dyn std::error::Error>> { Ok(n.parse()?) };
    /// # let ix = |s: &str| catalog.site_ix(&s.parse().ok()?);
    /// let drill = catalog.item_ix(&"DRILL-18V".parse()?).ok_or("item")?;
    /// let key = ledger.serial(drill, &"VT-1001".parse()?).ok_or("serial")?;
    /// assert_eq!(key.site, ix("YYZ").ok_or("YYZ")?);
    /// assert!(ledger.serial(drill, &"VT-9999".parse()?).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn serial(&self, item: ItemIx, serial: &SerialNo) -> Option<PositionKey> {
        self.serials.get(&item).and_then(|m| m.get(serial)).copied()
    }

    /// Lots of an item that have expired by `today` and are still in stock somewhere.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_ledger::{Applied, Ledger, Rules, testing};
    /// # use onhand_master::{seed, Catalog, CurrencyCode, Decimal};
    /// # use onhand_status::Measure;
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// # let mut ledger = Ledger::new(catalog.clone(), rules.clone())?;
    /// # let item = catalog.item_ix(&"BOLT-M8".parse()?).ok_or("item")?;
    /// # let site = catalog.site_ix(&"ATL".parse()?).ok_or("site")?;
    /// # let n = |s: &str| s.parse::<Decimal>();
    /// #
    /// # for e in onhand_ledger::seed::demo_day()? {
    /// #     let _ = ledger.apply(&e.event); // the day includes postings the rules refuse
    /// # }
    /// # let to = |n: &str| -> Result<onhand_ledger::DocNumber, Box<dyn std::error::Error>> { Ok(n.parse()?) };
    /// # let ix = |s: &str| catalog.site_ix(&s.parse().ok()?);
    /// let glue = catalog.item_ix(&"GLUE-500".parse()?).ok_or("item")?;
    /// let may = chrono::NaiveDate::from_ymd_opt(2026, 5, 1).ok_or("date")?;
    /// let expired = ledger.expired_lots(glue, may);
    /// let lots: Vec<&str> = expired.iter().filter_map(|(l, _)| ledger.lot(*l)).map(|l| l.code.as_str()).collect();
    /// // G-0398 expired on 30 April; G-0412 keeps until January 2027.
    /// assert_eq!(lots, ["G-0398"]);
    /// assert!(ledger.expired_lots(glue, may - chrono::Duration::days(2)).is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn expired_lots(&self, item: ItemIx, today: NaiveDate) -> Vec<(LotIx, Decimal)> {
        let mut out: Vec<(LotIx, Decimal)> = Vec::new();
        for (key, qty) in self.positions_of(item) {
            let Some(lot) = key.lot else { continue };
            if self.lots.get(lot).and_then(|l| l.expiry).is_some_and(|e| e < today)
                && key.status.is_on_hand()
            {
                match out.iter_mut().find(|(l, _)| *l == lot) {
                    Some((_, q)) => *q = add(*q, qty, "expired stock").unwrap_or(Decimal::MAX),
                    None => out.push((lot, qty)),
                }
            }
        }
        out
    }
}
