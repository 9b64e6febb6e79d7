//! The network's state digest: one SHA-256 over everything its calls can change, so two
//! networks with the same digest answer every query the same way. Replaying a journal
//! from empty, or a snapshot plus the journal's tail, must give the digest of the
//! network that wrote it.

use onhand_atp::LineId;
use onhand_ledger::Digest;
use rust_decimal::Decimal;
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use smallvec::SmallVec;

use crate::error::Error;
use crate::network::Network;

/// Feeds `value`'s canonical form, after its length, to the hash. The form is written
/// into the hasher's `scratch` buffer, reused from part to part: a million pools are a
/// million parts.
fn feed<T: Serialize + ?Sized>(
    (h, scratch): &mut (Sha256, Vec<u8>),
    what: &str,
    value: &T,
) -> Result<(), Error> {
    scratch.clear();
    crate::canonical::encode(value, scratch)
        .map_err(|e| Error::Restore { what: format!("encoding {what}: {e}") })?;
    h.update((scratch.len() as u64).to_le_bytes());
    h.update(&scratch[..]);
    Ok(())
}

impl Network {
    /// The digest of the network's state: the ledger's state digest, the network's
    /// time, journal head, bookings, expected receipts, open shipments and shipment
    /// costs, every booked line's promise, availability per item-site (free now, held,
    /// and the availability on every date supply or a promise is dated), the books (every
    /// pool's quantity, value and layers, every transfer, every intercompany document
    /// and open item), every exception in the queue with its history, and the KPIs
    /// (insight's whole state and the feed's, see
    /// [`insight_feed`](crate::insight_feed)).
    ///
    /// # Errors
    /// [`Error::Ledger`] or [`Error::Restore`] if a part cannot be encoded (it always
    /// can).
    pub fn digest(&self) -> Result<Digest, Error> {
        self.digest_of(true)
    }

    /// Everything [`digest`](Network::digest) covers but the exception queue and the
    /// KPIs: the inventory truth alone, equal between networks whose queues were fed or
    /// acted on differently, or that keep their KPIs under other settings. A restored network has both digests of the one the snapshot was
    /// taken from.
    ///
    /// # Errors
    /// As [`digest`](Network::digest).
    pub fn state_digest(&self) -> Result<Digest, Error> {
        self.digest_of(false)
    }

    fn digest_of(&self, with_queue: bool) -> Result<Digest, Error> {
        let mut h = (Sha256::new(), Vec::new());
        h.0.update(self.ledger.state_digest()?.0);
        feed(&mut h, "time", &self.now)?;
        feed(&mut h, "journal head", &self.journal.head())?;
        feed(&mut h, "bookings", &self.bookings.iter().collect::<Vec<_>>())?;
        feed(&mut h, "receipts", &self.receipts.values().collect::<Vec<_>>())?;
        feed(&mut h, "shipments", &self.shipments.iter().collect::<Vec<_>>())?;
        // Keyed by the event's id, as the maps were before they kept its 128-bit value.
        let issues: Vec<_> = self.issues.iter().map(|((e, i), ids)| ((e.id(), *i), ids)).collect();
        feed(&mut h, "issues", &issues)?;
        if !self.costed.is_empty() {
            let costed: Vec<_> = self.costed.iter().map(|(e, ids)| (e.id(), ids)).collect();
            feed(&mut h, "costed", &costed)?;
        }
        if !self.withdrawn.is_empty() {
            feed(&mut h, "withdrawn", &self.withdrawn.iter().collect::<Vec<_>>())?;
        }
        if !self.used.is_empty() {
            feed(&mut h, "used", &self.used.iter().collect::<Vec<_>>())?;
        }
        if !self.closed_receipts.is_empty() {
            feed(&mut h, "closed receipts", &self.closed_receipts.values().collect::<Vec<_>>())?;
        }
        feed(&mut h, "replenishment", &self.below.iter().collect::<Vec<_>>())?;
        for b in self.bookings.values() {
            feed(&mut h, "promise", &self.atp.booked(LineId(b.id)))?;
        }
        let today = self.atp.today();
        let held_now = self.atp.held_now_all();
        for (item, _) in self.catalog.items() {
            if !self.holds(item) {
                continue;
            }
            for (site, _) in self.catalog.sites() {
                let free = self.atp.free_now(item, site);
                let held = held_now.get(item, site);
                h.0.update(free.serialize());
                h.0.update(held.serialize());
            }
        }
        // Dated availability wherever the network put something on a timeline.
        let mut dated = std::collections::BTreeSet::new();
        for ((_, item), list) in &self.shipments {
            for s in list {
                dated.insert((*item, s.to, s.arrival));
            }
        }
        for r in self.receipts.values() {
            if let (Some(i), Some(s)) =
                (self.catalog.item_ix(&r.expected.item), self.catalog.site_ix(&r.expected.site))
            {
                dated.insert((i, s, r.expected.due.max(today)));
            }
        }
        for b in self.bookings.values() {
            if let Some(p) = self.atp.booked(LineId(b.id)) {
                for s in p.schedule() {
                    dated.insert((s.item, s.site, s.available_on));
                }
            }
        }
        for (item, site, date) in dated {
            let (Ok(i), Ok(s)) = (self.item_code(item), self.site_code(site)) else { continue };
            // Encoded as the digest always had it: unlimited as the largest decimal.
            let dated = self.atp.atp(&i, &s, date, u8::MAX)?.limited().unwrap_or(Decimal::MAX);
            feed(&mut h, "dated", &dated)?;
        }
        for p in self.valuation.pools() {
            // Each layer's figures in their canonical form: never a `Debug` rendering,
            // whose shape Rust does not promise to keep from one release to the next.
            let layers: SmallVec<[_; 4]> =
                p.layers.iter().map(|l| (l.origin, l.received, l.qty, l.value, l.profit)).collect();
            feed(
                &mut h,
                "pool",
                &(p.entity, p.item, p.site, p.qty, p.value, p.profit, &layers[..]),
            )?;
        }
        for t in self.valuation.transfers() {
            feed(
                &mut h,
                "transfer",
                &(t.transfer, t.item, t.owner, t.shipped, t.received, t.value, t.profit, t.closed),
            )?;
        }
        feed(&mut h, "documents", self.valuation.documents())?;
        feed(&mut h, "receivables", self.valuation.receivables())?;
        feed(&mut h, "payables", self.valuation.payables())?;
        if with_queue {
            feed(&mut h, "exceptions", &self.control().exceptions().collect::<Vec<_>>())?;
            if let Some(f) = self.insight.as_deref() {
                feed(&mut h, "insight", &f.state())?;
            }
        }
        Ok(Digest(h.0.finalize().into()))
    }
}
