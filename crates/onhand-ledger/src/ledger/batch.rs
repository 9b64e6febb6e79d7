//! [`Ledger::apply_batch`]: events applied in runs, with what each run will look up read
//! ahead together.

use smallvec::SmallVec;

use super::{Applied, Ledger};
use crate::error::LedgerError;
use crate::event::{Body, Event};

/// How many events [`Ledger::apply_batch`] reads ahead at a time.
pub(crate) const READ_AHEAD: usize = 16;

/// What the first line of an event names, for [`Ledger::apply_batch`]'s read-ahead.
pub(crate) struct FirstLine<'a> {
    item: &'a onhand_master::ItemCode,
    lot: Option<&'a onhand_master::LotCode>,
}

pub(crate) fn first_line(body: &Body) -> Option<FirstLine<'_>> {
    if let Some(mv) = body.movement() {
        let line = mv.lines.first()?;
        return Some(FirstLine { item: &line.item, lot: line.lot.as_ref() });
    }
    let Body::CycleCount(count) = body else { return None };
    let line = count.lines.first()?;
    Some(FirstLine { item: &line.item, lot: line.lot.as_ref() })
}

impl Ledger {
    /// Applies `events` in order, exactly as [`apply`](Self::apply) would one at a time,
    /// handing each result to `f` with the event's index.
    ///
    /// On a large network almost every event touches memory no recent event touched (its
    /// item's record, its positions, the event-id index), and applying one event at a
    /// time fetches those one after another. Here, before each run of a few events, the
    /// ledger reads ahead what they will look up, each kind of look-up in its own short
    /// loop, so the processor fetches them together; the read-ahead changes nothing.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use onhand_ledger::{seed, Ledger, Rules};
    /// use onhand_master::{seed::demo_network, Catalog, CurrencyCode};
    ///
    /// let catalog = Arc::new(Catalog::new(demo_network())?);
    /// let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
    /// let events: Vec<_> = seed::demo_day()?.into_iter().map(|d| d.event).collect();
    ///
    /// let mut one_by_one = Ledger::new(catalog.clone(), rules.clone())?;
    /// let singly: Vec<String> = events.iter().map(|e| format!("{:?}", one_by_one.apply(e))).collect();
    /// let mut batched = Ledger::new(catalog, rules)?;
    /// let mut together = Vec::new();
    /// batched.apply_batch(&events, |_, r| together.push(format!("{r:?}")));
    /// assert_eq!(together, singly);
    /// assert!(batched.state() == one_by_one.state());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn apply_batch(
        &mut self,
        events: &[Event],
        mut f: impl FnMut(usize, Result<Applied, LedgerError>),
    ) {
        let mut at = 0;
        for run in events.chunks(READ_AHEAD) {
            // `black_box` only keeps the read-ahead from being optimized away: its sum is
            // used nowhere else, and reads whose values nobody uses may be deleted by
            // the compiler. It changes no answer (batched and one-by-one results are
            // equal: the example above, and the ledger model's check after every
            // generated sequence), only how early the memory the run needs is fetched.
            std::hint::black_box(self.read_ahead(run));
            for e in run {
                f(at, self.apply(e));
                at += 1;
            }
        }
    }

    /// Reads what `events` will look up, each kind of look-up in its own short loop: the
    /// event-id index, the items of their first lines (all together, see
    /// [`Catalog::lookup_items`](onhand_master::Catalog::lookup_items)), those items' positions and the lines' lots. Returns a
    /// value that depends on every read, so none is left out.
    pub(crate) fn read_ahead(&self, events: &[Event]) -> u64 {
        let mut acc = 0u64;
        for e in events {
            acc = acc.wrapping_add(self.seen.get(&e.id).map_or(0, |d| u64::from(d.0[0])));
        }
        let lines: SmallVec<[FirstLine<'_>; READ_AHEAD]> =
            events.iter().filter_map(|e| first_line(&e.body)).collect();
        let codes: SmallVec<[&onhand_master::ItemCode; READ_AHEAD]> =
            lines.iter().map(|l| l.item).collect();
        let mut found = [None; READ_AHEAD];
        for (slot, hit) in found.iter_mut().zip(self.catalog.lookup_items(&codes)) {
            *slot = hit;
        }
        for (ix, _) in found.iter().flatten() {
            acc = acc.wrapping_add(self.positions.first_qty(*ix));
        }
        for (line, hit) in lines.iter().zip(found) {
            if let (Some(lot), Some((ix, _))) = (line.lot, hit) {
                let info = self.lots.find(ix, lot).and_then(|l| self.lots.get(l));
                acc = acc.wrapping_add(info.map_or(0, |i| u64::from(i.expiry.is_some())));
            }
        }
        acc
    }
}
