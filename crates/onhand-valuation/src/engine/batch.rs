//! [`Valuation::apply_batch`]: cost events applied in runs, with what each run will
//! read fetched ahead together.
//!
//! Over many items, nearly every receipt or issue touches memory no recent event
//! touched: its item's entry in the catalog's code index, its pool's slot, the pool's
//! oldest layer and the ends of its records. One event at a time, the processor fetches
//! those one after another and waits for each. Before each run of a few events, the
//! batch reads them ahead, each kind of read in its own short loop (the code index, then
//! the pools' slots, then their records), so the fetches of a whole run overlap. The
//! read-ahead changes nothing: every event is then applied exactly as
//! [`Valuation::apply_into`] applies it.

use onhand_master::{ItemCode, ItemIx};

use crate::engine::{Outcome, Res, Valuation};
use crate::event::{CostBody, CostEvent};
use crate::history::Slot;
use crate::posting::Posting;

/// The item a receipt or an issue names (the events a batch reads ahead for).
fn named(e: &CostEvent) -> Option<&ItemCode> {
    match &e.body {
        CostBody::Receipt { item, .. } | CostBody::Issue { item, .. } => Some(item),
        _ => None,
    }
}

/// How many events [`Valuation::apply_batch`] reads ahead at a time.
const READ_AHEAD: usize = 16;

impl Valuation {
    /// Applies `events` in order, exactly as [`apply_into`](Valuation::apply_into) would
    /// one at a time (each event's posting lines appended to `postings`, a refused
    /// event's none), handing each result to `f` with the event's index. Faster over
    /// many items: see the module docs.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use onhand_master::{seed, Catalog};
    /// use onhand_valuation::{CostBody, CostEvent, IssueTo, Valuation, ValuationConfig};
    /// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// let at = chrono::DateTime::from_timestamp(1_767_600_000, 0).ok_or("a time")?;
    /// let ev = |id, body| CostEvent { id, at, body };
    /// let receipt = |qty: &str| -> Result<CostBody, Box<dyn std::error::Error>> {
    ///     Ok(CostBody::Receipt { site: "ATL".parse()?, item: "BOLT-M8".parse()?,
    ///         qty: qty.parse()?, unit_cost: "0.10 USD".parse()?, owner: None })
    /// };
    /// let sale = |qty: &str| -> Result<CostBody, Box<dyn std::error::Error>> {
    ///     Ok(CostBody::Issue { site: "ATL".parse()?, item: "BOLT-M8".parse()?,
    ///         qty: qty.parse()?, to: IssueTo::Sale, owner: None })
    /// };
    /// let events = [ev(1, receipt("100 EA")?), ev(2, sale("150 EA")?), ev(3, sale("30 EA")?)];
    ///
    /// let mut batched = Valuation::new(catalog.clone(), ValuationConfig::default())?;
    /// let (mut postings, mut results) = (Vec::new(), Vec::new());
    /// batched.apply_batch(&events, &mut postings, |n, r| results.push((n, r.map_err(|e| e.code()))));
    /// // The oversized sale is refused on its own; the others are booked.
    /// assert_eq!(results.iter().map(|(n, r)| (*n, r.is_ok())).collect::<Vec<_>>(),
    ///            [(0, true), (1, false), (2, true)]);
    /// assert_eq!(results[1].1.as_ref().unwrap_err(), &"insufficient");
    ///
    /// let mut singly = Valuation::new(catalog, ValuationConfig::default())?;
    /// let mut one_by_one = Vec::new();
    /// for e in &events {
    ///     let _ = singly.apply_into(e, &mut one_by_one);
    /// }
    /// assert_eq!(postings, one_by_one);
    /// assert_eq!(batched.pools(), singly.pools());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn apply_batch(
        &mut self,
        events: &[CostEvent],
        postings: &mut Vec<Posting>,
        mut f: impl FnMut(usize, Res<Outcome>),
    ) {
        let mut at = 0;
        for run in events.chunks(READ_AHEAD) {
            let mut items = [None; READ_AHEAD];
            // `black_box` only keeps the read-ahead from being optimized away (its sum is
            // used nowhere else); it changes no answer.
            std::hint::black_box(self.read_ahead(run, &mut items));
            for (e, item) in run.iter().zip(items) {
                // The item's handle, looked up once: the in-order path takes it instead
                // of hashing the code again.
                self.recent.item = item;
                let done = self.apply_to(e, true, postings);
                self.recent.item = None;
                f(at, done);
                at += 1;
            }
        }
    }

    /// Reads what the receipts and issues among `events` will read, each kind of read
    /// in its own short loop: their items in the code index, their pools' slots, then
    /// the pools' records. Returns a value that depends on every read, and leaves in
    /// `items` each event's item handle (`None` for an event that names no item, none
    /// the catalog knows, or the item the last event applied named).
    fn read_ahead(&self, events: &[CostEvent], items: &mut [Option<ItemIx>; READ_AHEAD]) -> u64 {
        // An event for the item the last one named finds its pool without a look-up (and
        // its memory is at hand): nothing to read ahead.
        let wanted = |e| named(e).filter(|item| !self.recent.is_last_item(item));
        let mut codes: [Option<&ItemCode>; READ_AHEAD] = [None; READ_AHEAD];
        // Which of the events asked for a look-up (the k-th that did gets the k-th
        // answer).
        let mut asked = [false; READ_AHEAD];
        let mut n = 0;
        for (e, ask) in events.iter().zip(&mut asked) {
            if let (Some(item), Some(c)) = (wanted(e), codes.get_mut(n)) {
                *c = Some(item);
                *ask = true;
                n += 1;
            }
        }
        let Some(first) = codes.first().copied().flatten() else { return 0 };
        let codes = codes.map(|c| c.unwrap_or(first));
        let mut answers = self.catalog.item_ixs(codes.get(..n).unwrap_or_default());
        let (mut slots, mut m) = ([0u32; READ_AHEAD], 0);
        for (slot, ask) in items.iter_mut().zip(asked) {
            *slot = if ask { answers.next().flatten() } else { None };
            if let Some(ix) = *slot
                && let (Some(k), Some(s)) = (self.recent.hint(ix), slots.get_mut(m))
            {
                *s = k;
                m += 1;
            }
        }
        let slots = slots.get(..m).unwrap_or_default();
        let mut acc = 0u64;
        for &k in slots {
            acc = acc.wrapping_add(self.slots.get(k as usize).map_or(0, Slot::touch));
        }
        for &k in slots {
            acc = acc.wrapping_add(self.slots.get(k as usize).map_or(0, Slot::touch_records));
        }
        acc
    }
}
