//! [`Insight`]: the incremental state. One call per record ([`Insight::apply`]) updates
//! every figure in O(1) amortized; [`Insight::merge`] combines two states exactly.

use chrono::{DateTime, Utc};
use onhand_master::{EntityCode, RegionCode, SiteCode, hash::Map};

use crate::config::{Config, SiteConfig};
use crate::error::InsightError;
use crate::finance::Finance;
use crate::orders::Orders;
use crate::record::Record;
use crate::stock::Stock;
use crate::transfers::Transfers;

/// The KPI and anomaly state of a network (or of one partition of it).
///
/// Feed it every record in time order with [`Insight::apply`]; ask it for figures
/// ([`Insight::orders`], [`Insight::counts`], ...), for anomalies
/// ([`Insight::detect`]) and for planning scores ([`Insight::stockout_risk`],
/// [`Insight::score_transfers`], [`Insight::safety_stock`]). It reads no clock: every
/// time comes from the records or the caller.
///
/// **Merging.** `a.merge(&b)` gives exactly the state of one `Insight` fed both record
/// streams, when each order line, transfer line, intercompany mismatch and item-site
/// has all its records in one of the two (partitioning by item does that; orders
/// whose lines fall in both are combined). Per-period figures of two disjoint periods
/// merge the same way: a week is the merge of its days.
#[derive(Debug, Clone)]
pub struct Insight {
    pub(crate) config: Config,
    site_ix: Map<SiteCode, u16>,
    site_entity: Vec<u16>,
    site_region: Vec<u16>,
    entities: Vec<EntityCode>,
    regions: Vec<RegionCode>,
    pub(crate) newest: Option<i64>,
    pub(crate) records: u64,
    pub(crate) orders: Orders,
    pub(crate) transfers: Transfers,
    pub(crate) stock: Stock,
    pub(crate) finance: Finance,
}

impl Insight {
    /// An empty state for `config`.
    ///
    /// # Errors
    /// [`InsightError::InvalidConfig`] (see [`Config::validate`]).
    pub fn new(config: Config) -> Result<Insight, InsightError> {
        config.validate()?;
        let mut entities: Vec<EntityCode> = config.sites.iter().map(|s| s.entity.clone()).collect();
        entities.sort();
        entities.dedup();
        let mut regions: Vec<RegionCode> = config.sites.iter().map(|s| s.region.clone()).collect();
        regions.sort();
        regions.dedup();
        let mut site_ix = onhand_master::hash::map();
        let (mut site_entity, mut site_region) = (Vec::new(), Vec::new());
        for (i, s) in config.sites.iter().enumerate() {
            site_ix.insert(s.site.clone(), u16::try_from(i).unwrap_or(u16::MAX));
            let e = entities.binary_search(&s.entity).unwrap_or(0);
            let r = regions.binary_search(&s.region).unwrap_or(0);
            site_entity.push(u16::try_from(e).unwrap_or(u16::MAX));
            site_region.push(u16::try_from(r).unwrap_or(u16::MAX));
        }
        Ok(Insight {
            config,
            site_ix,
            site_entity,
            site_region,
            entities,
            regions,
            newest: None,
            records: 0,
            orders: Orders::default(),
            transfers: Transfers::default(),
            stock: Stock::default(),
            finance: Finance::default(),
        })
    }

    /// A state fed `records` in order.
    ///
    /// # Errors
    /// The position of the first refused record and why.
    pub fn from_records<'a>(
        config: Config,
        records: impl IntoIterator<Item = &'a Record>,
    ) -> Result<Insight, (usize, InsightError)> {
        let mut s = Insight::new(config).map_err(|e| (0, e))?;
        let records: Vec<&Record> = records.into_iter().collect();
        s.apply_all(&records)?;
        Ok(s)
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Records taken in.
    #[must_use]
    pub fn records(&self) -> u64 {
        self.records
    }

    /// The newest record's time.
    #[must_use]
    pub fn newest(&self) -> Option<DateTime<Utc>> {
        self.newest.and_then(|t| DateTime::from_timestamp(t, 0))
    }

    /// Whether transfer line `line` still takes shipments and receipts: `Some(true)`
    /// until it is complete (everything requested shipped, and everything shipped
    /// received, short or damaged, as of a receipt) or closed; `None` for a line no
    /// record requested. A feed that must not send a step insight would refuse asks
    /// this, rather than keeping its own copy of the rule.
    #[must_use]
    pub fn transfer_open(&self, line: &crate::TransferRef) -> Option<bool> {
        self.transfers.lines.get(line).map(|t| t.completed.is_none() && t.closed.is_none())
    }

    pub(crate) fn site(&self, code: &SiteCode) -> Result<u16, InsightError> {
        self.site_ix.get(code).copied().ok_or_else(|| InsightError::UnknownSite(code.clone()))
    }

    pub(crate) fn site_config(&self, ix: u16) -> Option<&SiteConfig> {
        self.config.sites.get(usize::from(ix))
    }

    pub(crate) fn site_code(&self, ix: u16) -> Option<&SiteCode> {
        self.site_config(ix).map(|s| &s.site)
    }

    pub(crate) fn entity(&self, code: &EntityCode) -> Result<u16, InsightError> {
        self.entities
            .binary_search(code)
            .ok()
            .and_then(|i| u16::try_from(i).ok())
            .ok_or_else(|| InsightError::UnknownEntity(code.clone()))
    }

    pub(crate) fn entity_code(&self, ix: u16) -> Option<&EntityCode> {
        self.entities.get(usize::from(ix))
    }

    pub(crate) fn entity_of_site(&self, site: u16) -> Option<u16> {
        self.site_entity.get(usize::from(site)).copied()
    }

    pub(crate) fn region_of_site(&self, site: u16) -> Option<u16> {
        self.site_region.get(usize::from(site)).copied()
    }

    pub(crate) fn region_ix(&self, code: &RegionCode) -> Option<u16> {
        self.regions.binary_search(code).ok().and_then(|i| u16::try_from(i).ok())
    }

    pub(crate) fn entity_count(&self) -> usize {
        self.entities.len()
    }

    pub(crate) fn region_code(&self, ix: u16) -> Option<&RegionCode> {
        self.regions.get(usize::from(ix))
    }

    /// Takes in one record. A refused record changes nothing.
    ///
    /// # Errors
    /// [`InsightError::OutOfOrder`] for a record older than the newest taken in (beyond
    /// the configured lateness) or than its document's last record;
    /// [`InsightError::UnknownSite`], [`InsightError::UnknownEntity`],
    /// [`InsightError::UnknownLine`], [`InsightError::UnknownTransfer`],
    /// [`InsightError::UnknownMismatch`] for codes and documents not known;
    /// [`InsightError::DuplicateLine`], [`InsightError::DuplicateTransfer`],
    /// [`InsightError::DuplicateMismatch`] for documents opened twice;
    /// [`InsightError::LineClosed`], [`InsightError::TransferStep`] for steps that do
    /// not follow; [`InsightError::UnitMismatch`], [`InsightError::InvalidRecord`] and
    /// [`InsightError::Overflow`] for quantities that cannot be used.
    pub fn apply(&mut self, record: &Record) -> Result<(), InsightError> {
        let at = record.at();
        let t = at.timestamp();
        if let Some(newest) = self.newest {
            let floor = newest.saturating_sub(i64::from(self.config.lateness_secs));
            if t < floor {
                return Err(InsightError::OutOfOrder {
                    what: "record",
                    at,
                    after: DateTime::from_timestamp(floor, 0).unwrap_or_default(),
                });
            }
        }
        self.dispatch(record)?;
        self.newest = Some(self.newest.map_or(t, |n| n.max(t)));
        self.records = self.records.saturating_add(1);
        Ok(())
    }

    /// Takes in `records` in order, as [`Insight::apply`] one after the other, and
    /// stops at the first refused one (the records before it stay taken in). Before
    /// each run of 16 records it reads what they will look up (their order lines and
    /// item-sites) in one short loop, so those memory reads overlap instead of
    /// queueing; the figures are exactly those of the one-by-one loop.
    ///
    /// # Errors
    /// The position of the first refused record and why (see [`Insight::apply`]).
    pub fn apply_all<R: std::borrow::Borrow<Record>>(
        &mut self,
        records: &[R],
    ) -> Result<(), (usize, InsightError)> {
        for (run, chunk) in records.chunks(16).enumerate() {
            let mut touched = 0u64;
            for r in chunk {
                touched = touched.wrapping_add(self.touch(r.borrow()));
            }
            // `black_box` keeps the reads in `touch`: their sum is used nowhere else, so
            // the compiler could delete them. It changes no answer, only when the
            // state the run needs is fetched.
            std::hint::black_box(touched);
            for (i, r) in chunk.iter().enumerate() {
                self.apply(r.borrow()).map_err(|e| (run * 16 + i, e))?;
            }
        }
        Ok(())
    }

    /// Reads the state a record will look up (nothing is changed).
    fn touch(&self, record: &Record) -> u64 {
        let line = |l| self.orders.touch(l);
        let item_site = |item: &onhand_master::ItemCode, site: &SiteCode| {
            self.site_ix.get(site).map_or(0, |s| self.stock.touch(item, *s))
        };
        match record {
            Record::OrderLinePromised(r) => line(&r.line),
            Record::OrderLineShipped(r) => line(&r.line),
            Record::OrderLineDelivered(r) => line(&r.line),
            Record::OrderLineCancelled(r) => line(&r.line),
            Record::OrderLineReturned(r) => line(&r.line),
            Record::ReturnInspected(r) => line(&r.line),
            Record::CountRecorded(r) => item_site(&r.item, &r.site),
            Record::SupplierReceipt(r) => item_site(&r.item, &r.site),
            Record::DemandObserved(r) => item_site(&r.item, &r.site),
            Record::PositionObserved(r) => item_site(&r.item, &r.site),
            Record::TransferApproved(r) => self.transfers.touch(&r.transfer),
            Record::TransferShipped(r) => self.transfers.touch(&r.transfer),
            Record::TransferReceived(r) => self.transfers.touch(&r.transfer),
            Record::TransferClosed(r) => self.transfers.touch(&r.transfer),
            _ => 0,
        }
    }

    fn dispatch(&mut self, record: &Record) -> Result<(), InsightError> {
        let basis = self.config.basis;
        let follow = i64::from(self.config.follow_days) * 86_400;
        match record {
            Record::OrderLineCreated(r) => self.orders.created(r, basis),
            Record::OrderLinePromised(r) => {
                let ix = &self.site_ix;
                self.orders.promised(r, |s| ix.get(s).copied(), basis)
            }
            Record::OrderLineShipped(r) => {
                let site = self.site(&r.site)?;
                self.orders.shipped(r, site, basis)
            }
            Record::OrderLineDelivered(r) => self.orders.delivered(r, basis),
            Record::OrderLineCancelled(r) => self.orders.cancelled(r, basis),
            Record::OrderLineReturned(r) => {
                let site = self.site(&r.site)?;
                self.orders.returned(r, site, basis)
            }
            Record::ReturnInspected(r) => {
                let site = self.site(&r.site)?;
                self.orders.inspected(r, site, basis)
            }
            Record::TransferRequested(r) => {
                let (from, to) = (self.site(&r.from)?, self.site(&r.to)?);
                self.transfers.requested(r, from, to)
            }
            Record::TransferApproved(r) => self.transfers.approved(r),
            Record::TransferShipped(r) => self.transfers.shipped(r),
            Record::TransferReceived(r) => self.transfers.received(r),
            Record::TransferClosed(r) => self.transfers.closed(r),
            Record::CountRecorded(r) => {
                let site = self.site(&r.site)?;
                let shift = self.site_config(site).map_or(0, |s| s.shift_of(r.at));
                self.stock.count(r, site, shift, self.config.recurrence_window)
            }
            Record::Adjusted(r) => {
                let site = self.site(&r.site)?;
                self.stock.adjusted(r, site, follow)
            }
            Record::SupplierReceipt(r) => {
                let site = self.site(&r.site)?;
                self.stock.receipt(r, site, follow)
            }
            Record::StockDamaged(r) => {
                let site = self.site(&r.site)?;
                self.stock.damaged(r, site, follow)
            }
            Record::SupplierReturned(r) => {
                let site = self.site(&r.site)?;
                self.stock.supplier_returned(r, site, follow)
            }
            Record::Reversed(r) => self.reverse(r, basis, follow),
            Record::CostOfSales(r) => {
                let (site, entity) = (self.site(&r.site)?, self.entity(&r.entity)?);
                self.finance.cost_of_sales(r, site, entity)
            }
            Record::StockValued(r) => {
                let (site, entity) = (self.site(&r.site)?, self.entity(&r.entity)?);
                self.finance.valued(r, site, entity)
            }
            Record::StockLayer(r) => {
                let (site, entity) = (self.site(&r.site)?, self.entity(&r.entity)?);
                self.finance.layer(r, site, entity, &self.config.aging_buckets)
            }
            Record::InTransitHeld(r) => {
                let owner = self.entity(&r.owner)?;
                self.finance.in_transit(r, owner)
            }
            Record::MismatchOpened(r) => {
                let entity = self.entity(&r.entity)?;
                self.entity(&r.counterparty)?;
                self.finance.opened(r, entity)
            }
            Record::MismatchResolved(r) => self.finance.resolved(r),
            Record::DemandObserved(r) => {
                let site = self.site(&r.site)?;
                self.stock.demand(r, site)
            }
            Record::PositionObserved(r) => {
                let site = self.site(&r.site)?;
                self.stock.position(r, site)
            }
            Record::LeadTimeObserved(r) => {
                let site = self.site(&r.site)?;
                if let onhand_master::LaneSource::Site(from) = &r.source {
                    self.site(from)?;
                }
                self.stock.lead_time(r, site)
            }
        }
    }

    /// Takes a reversed record's contribution out of the figures it fed (see
    /// [`Reversed`](crate::Reversed)).
    fn reverse(
        &mut self,
        r: &crate::record::Reversed,
        basis: crate::config::Basis,
        follow: i64,
    ) -> Result<(), InsightError> {
        if r.original.at() > r.at {
            return Err(InsightError::InvalidRecord {
                field: "original",
                reason: "later than its reversal",
            });
        }
        match r.original.as_ref() {
            Record::OrderLineShipped(o) => {
                let site = self.site(&o.site)?;
                self.orders.unshipped(o, site, r.at, basis)
            }
            Record::SupplierReceipt(o) => {
                let site = self.site(&o.site)?;
                self.stock.receipt_reversed(o, site, r.at, follow)
            }
            Record::Adjusted(o) => {
                let site = self.site(&o.site)?;
                self.stock.adjustment_reversed(o, site)
            }
            Record::StockDamaged(o) => {
                let site = self.site(&o.site)?;
                self.stock.damage_reversed(o, site)
            }
            _ => Err(InsightError::InvalidRecord {
                field: "original",
                reason: "not a record insight can reverse",
            }),
        }
    }

    /// Adds `other`'s state to this one (see the type's docs for when the result is
    /// exact). Nothing changes on error.
    ///
    /// # Errors
    /// [`InsightError::ConfigMismatch`] for different configurations;
    /// [`InsightError::MergeOverlap`] when both hold the same order line, transfer
    /// line, mismatch or item-site.
    pub fn merge(&mut self, other: &Insight) -> Result<(), InsightError> {
        if self.config != other.config {
            return Err(InsightError::ConfigMismatch);
        }
        if let Some(e) = self
            .orders
            .overlap(&other.orders)
            .or_else(|| self.transfers.overlap(&other.transfers))
            .or_else(|| self.stock.overlap(&other.stock))
            .or_else(|| self.finance.overlap(&other.finance))
        {
            return Err(e);
        }
        self.orders.merge(&other.orders);
        self.transfers.merge(&other.transfers);
        self.stock.merge(&other.stock);
        self.finance.merge(&other.finance);
        self.newest = match (self.newest, other.newest) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self.records = self.records.saturating_add(other.records);
        Ok(())
    }
}
