//! Removal strategies: which bins and lots to pick a requested quantity from.
//!
//! Candidates are the item's `available` positions at the site, minus expired lots (a lot
//! expiring today is still pickable today). They are taken in the strategy's order until
//! the quantity is covered; what cannot be covered is the shortfall.
//!
//! | strategy | order | tie-breaks |
//! |---|---|---|
//! | FEFO | earliest expiry first (no expiry last) | first receipt, zone, pick path |
//! | FIFO | earliest first receipt of the lot first | zone, pick path |
//! | pick face first | pick face, staging, bulk, receiving, returns, quality; then pick path | expiry, first receipt |
//!
//! "Zone" ranks as in the pick-face row; "pick path" is the bin's sequence, then its
//! code. Last tie-breaks are lot code and owner, so the order is total. For items without
//! lots, FEFO and FIFO reduce to zone and pick path.

use chrono::{DateTime, NaiveDate, Utc};
use onhand_master::{BinCode, ItemIx, LotCode, SiteIx, ZoneKind};
use onhand_status::StockStatus;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ledger::Ledger;
use crate::position::PositionKey;

/// How to choose the stock to pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemovalStrategy {
    /// First expired, first out.
    Fefo,
    /// First in (by the lot's first receipt), first out.
    Fifo,
    /// Pick faces before bulk, along the pick path.
    PickFaceFirst,
}

/// One suggested pick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovalLine {
    /// The position to pick from.
    pub key: PositionKey,
    /// How much (base units).
    pub qty: Decimal,
    /// The lot's expiry, if any.
    pub expiry: Option<NaiveDate>,
}

/// Suggested picks for a quantity.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RemovalPlan {
    /// The picks, in the order to make them.
    pub lines: Vec<RemovalLine>,
    /// What could not be covered (base units).
    pub shortfall: Decimal,
}

fn zone_rank(kind: Option<ZoneKind>) -> u8 {
    match kind {
        Some(ZoneKind::PickFace) => 0,
        Some(ZoneKind::Staging) => 1,
        None | Some(ZoneKind::Bulk) => 2,
        Some(ZoneKind::Receiving) => 3,
        Some(ZoneKind::Returns) => 4,
        Some(ZoneKind::Quality) => 5,
    }
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Candidate {
    sort: (u8, u32, Option<BinCode>),
    expiry: (bool, Option<NaiveDate>),
    received: (bool, Option<DateTime<Utc>>),
    lot: Option<LotCode>,
    key: PositionKey,
    qty: Decimal,
}

impl Ledger {
    /// Suggests where to pick `qty` base units of `item` at `site` on `today`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use onhand_ledger::{Ledger, RemovalStrategy, Rules, testing};
    /// use onhand_master::{seed, Catalog, CurrencyCode, ItemCode, SiteCode};
    /// use rust_decimal::Decimal;
    ///
    /// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// let mut ledger = Ledger::new(catalog.clone(), Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors())?;
    /// ledger.apply(&testing::receipt_to(1, "ATL", "BOLT-M8", "100 EA", "BLK-01", "available")?)?;
    /// ledger.apply(&testing::receipt_to(2, "ATL", "BOLT-M8", "30 EA", "PF-A01", "available")?)?;
    /// let bolt = catalog.item_ix(&ItemCode::new("BOLT-M8")?).ok_or("item")?;
    /// let atl = catalog.site_ix(&SiteCode::new("ATL")?).ok_or("site")?;
    /// let today = testing::at(0).date_naive();
    /// let plan = ledger.suggest_removal(bolt, atl, Decimal::from(50), RemovalStrategy::PickFaceFirst, today);
    /// let picks: Vec<Decimal> = plan.lines.iter().map(|l| l.qty).collect();
    /// assert_eq!(picks, [Decimal::from(30), Decimal::from(20)]); // pick face first
    /// assert!(plan.shortfall.is_zero());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn suggest_removal(
        &self,
        item: ItemIx,
        site: SiteIx,
        qty: Decimal,
        strategy: RemovalStrategy,
        today: NaiveDate,
    ) -> RemovalPlan {
        let mut candidates: Vec<Candidate> = Vec::new();
        for (key, on_hand) in self.positions_at(item, site) {
            if key.status != StockStatus::Available || on_hand <= Decimal::ZERO {
                continue;
            }
            let lot = key.lot.and_then(|l| self.lot(l));
            let expiry = lot.and_then(|l| l.expiry);
            if expiry.is_some_and(|e| e < today) {
                continue;
            }
            let bin = key.bin.and_then(|b| self.catalog.bin(b));
            let path = (
                zone_rank(bin.map(|b| b.zone_kind)),
                bin.map_or(0, |b| b.sequence),
                bin.map(|b| b.code.clone()),
            );
            candidates.push(Candidate {
                sort: path,
                expiry: (expiry.is_none(), expiry),
                received: (lot.is_none(), lot.map(|l| l.first_receipt)),
                lot: lot.map(|l| l.code.clone()),
                key,
                qty: on_hand,
            });
        }
        match strategy {
            RemovalStrategy::Fefo => candidates.sort_by(|a, b| {
                (&a.expiry, &a.received, &a.sort, &a.lot, &a.key).cmp(&(
                    &b.expiry,
                    &b.received,
                    &b.sort,
                    &b.lot,
                    &b.key,
                ))
            }),
            RemovalStrategy::Fifo => candidates.sort_by(|a, b| {
                (&a.received, &a.sort, &a.lot, &a.key).cmp(&(&b.received, &b.sort, &b.lot, &b.key))
            }),
            RemovalStrategy::PickFaceFirst => candidates.sort_by(|a, b| {
                (&a.sort, &a.expiry, &a.received, &a.lot, &a.key).cmp(&(
                    &b.sort,
                    &b.expiry,
                    &b.received,
                    &b.lot,
                    &b.key,
                ))
            }),
        }
        let mut left = qty.max(Decimal::ZERO);
        let mut lines = Vec::new();
        for c in candidates {
            if left.is_zero() {
                break;
            }
            let take = left.min(c.qty);
            left -= take;
            let expiry = c.expiry.1;
            lines.push(RemovalLine { key: c.key, qty: take, expiry });
        }
        RemovalPlan { lines, shortfall: left }
    }
}
