//! Cycle counts: a counted quantity (and its serials) against the book, planned as the
//! variance.

use onhand_master::hash::{Set, set};
use onhand_master::{SerialNo, SiteCode, Tracking};
use onhand_status::StockStatus;
use rust_decimal::Decimal;

use super::{ItemCtx, Ledger, Plan, negative, positive};
use crate::error::LedgerError;
use crate::event::{Count, Event, EventKind};
use crate::position::{PositionKey, from_micros};
use crate::signal::Signal;

impl Ledger {
    pub(crate) fn plan_count(
        &self,
        event: &Event,
        count: &Count,
        plan: &mut Plan,
    ) -> Result<(), LedgerError> {
        let site = &count.site;
        let site_ix = self.site(site)?;
        Self::check_scope(event, site)?;
        if count.lines.is_empty() {
            return Err(LedgerError::NoLines { kind: EventKind::CycleCount });
        }
        for line in &count.lines {
            let it = self.item(&line.item)?;
            let counted = self.to_base(&it, line.counted)?;
            let status = line.status.unwrap_or(StockStatus::Available);
            if !status.is_on_hand() {
                return Err(LedgerError::WrongStatuses {
                    kind: EventKind::CycleCount,
                    from: Some(status),
                    to: None,
                });
            }
            let owner = self.owner(site_ix, line.owner.as_ref())?;
            let bin = self.bin(site_ix, site, &line.item, line.bin.as_ref())?;
            let lot = self.resolve_lot(
                &it,
                line.lot.as_ref(),
                None,
                counted > Decimal::ZERO,
                event,
                plan,
            )?;
            let key = PositionKey { item: it.ix, site: site_ix, status, owner, bin, lot };
            if !plan.count_key(key) {
                return Err(LedgerError::WrongStatuses {
                    kind: EventKind::CycleCount,
                    from: Some(status),
                    to: Some(status),
                });
            }
            let book = self.positions.slot(&key).map_or(Decimal::ZERO, |s| s.as_of(plan.at));
            let variance = onhand_master::sub_exact(counted, book)
                .map_err(|_| LedgerError::Overflow { operation: "count variance" })?;
            if it.profile.tracking == Tracking::Serial {
                self.plan_count_serials(&it, site, line, counted, key, plan)?;
            } else if !line.serials.is_empty() {
                return Err(LedgerError::SerialCount {
                    item: line.item.clone(),
                    expected: Decimal::ZERO,
                    given: line.serials.len(),
                });
            }
            if positive(variance) {
                Self::check_transition(event, EventKind::CycleCount, None, Some(status), plan)?;
            } else if negative(variance) {
                Self::check_transition(event, EventKind::CycleCount, Some(status), None, plan)?;
            }
            let (abs, pct) = self.rules.tolerance(it.profile.velocity);
            let tolerance = abs.max(pct.checked_mul(book.abs()).unwrap_or(Decimal::MAX));
            if variance.abs() > tolerance {
                plan.signals.push(Signal::VarianceOverTolerance { key, book, counted, tolerance });
            }
            plan.measure(variance.abs(), self.cost(it.ix));
            if !variance.is_zero() {
                plan.change(key, variance)?;
            }
        }
        Ok(())
    }

    pub(crate) fn plan_count_serials(
        &self,
        it: &ItemCtx<'_>,
        site: &SiteCode,
        line: &crate::event::CountLine,
        counted: Decimal,
        key: PositionKey,
        plan: &mut Plan,
    ) -> Result<(), LedgerError> {
        if Decimal::from(line.serials.len()) != counted {
            return Err(LedgerError::SerialCount {
                item: line.item.clone(),
                expected: counted,
                given: line.serials.len(),
            });
        }
        // Serials are known as they are now: the count must not be back-dated before the
        // position's latest change, or quantity and serials would describe two times.
        if let Some(last) = self.positions.slot(&key).and_then(|s| s.hist.last())
            && last.at > plan.at
        {
            return Err(LedgerError::BackDatedSerialCount {
                item: line.item.clone(),
                site: site.clone(),
                latest: from_micros(last.at),
            });
        }
        let mut on_line: Set<&SerialNo> = set();
        for serial in &line.serials {
            if !on_line.insert(serial) {
                return Err(LedgerError::SerialRepeated {
                    item: line.item.clone(),
                    serial: serial.clone(),
                });
            }
        }
        // The position's serials from the reverse index: a scan of the item's serials
        // per count line made counts of an item with many serials quadratic (issue 13).
        let booked = self.serials_at.get(&key).into_iter().flatten();
        for serial in &line.serials {
            if plan.moves_serial(it.ix, serial) {
                return Err(LedgerError::SerialRepeated {
                    item: line.item.clone(),
                    serial: serial.clone(),
                });
            }
            match self.serials.get(&it.ix).and_then(|m| m.get(serial)) {
                Some(at) if *at == key => {}
                Some(at) => {
                    let at_site =
                        self.catalog.site(at.site).map_or_else(|| site.clone(), |s| s.code.clone());
                    return Err(LedgerError::SerialInNetwork {
                        item: line.item.clone(),
                        serial: serial.clone(),
                        site: at_site,
                    });
                }
                None => plan.move_serial(it.ix, serial, Some(key)),
            }
        }
        for serial in booked {
            if !on_line.contains(serial) {
                plan.move_serial(it.ix, serial, None);
            }
        }
        Ok(())
    }
}
