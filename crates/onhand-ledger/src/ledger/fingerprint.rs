//! The event fingerprint: the digest that tells a repeated submission of an event from a
//! different event reusing its id.

use super::Ledger;
use crate::event::{Event, EventId};
use crate::journal::Digest;

/// The SHA-256 digest of an event's canonical encoding (every field but its recorded
/// time), to tell a repeated submission from a different event reusing the id. Two
/// events with the same digest are the same event unless SHA-256 collides; it is kept
/// in snapshots (see [`Event::content_digest`] for the encoding).
pub(crate) fn fingerprint(event: &Event) -> Digest {
    event.content_digest()
}

impl Ledger {
    /// The content digest ([`Event::content_digest`]) the ledger keeps for an event id
    /// it applied or holds for approval, or `None` for an id it has not taken. A host
    /// that hashes the event again (a journal of its own, say) reads it here instead.
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
    /// let receipt = testing::receipt(1, "ATL", "BOLT-M8", "5 EA", "RCV-01")?;
    /// ledger.apply(&receipt)?;
    /// assert_eq!(ledger.content_digest_of(&receipt.id), Some(receipt.content_digest()));
    /// assert_eq!(ledger.content_digest_of(&onhand_ledger::EventId::from_u128(2)), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn content_digest_of(&self, id: &EventId) -> Option<Digest> {
        self.seen.get(id).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::fingerprint;
    use crate::event::Body;

    /// Content digests are written into snapshots: they must not change between
    /// versions or machines. These values were taken when format 3 (the hand-written
    /// encoding, version 1) was introduced.
    #[test]
    fn content_digests_are_stable() -> Result<(), Box<dyn std::error::Error>> {
        let receipt = crate::testing::receipt(1, "ATL", "BOLT-M8", "240 EA", "RCV-01")?;
        let mut lot = crate::testing::receipt(7, "ATL", "MILK-1L", "12 EA", "RCV-2024-0001")?;
        if let Body::Receipt(mv) = &mut lot.body
            && let Some(line) = mv.lines.first_mut()
        {
            line.lot = Some(onhand_master::LotCode::new("LOT-A1")?);
        }
        assert_eq!(
            fingerprint(&receipt).to_string(),
            "71f62e1396751e83eac500e36e433285afca7baad13331b935d76e32dac34271"
        );
        assert_eq!(
            fingerprint(&lot).to_string(),
            "718255a0cd68c1a53b6e78ff0e4c5920bf6eebb6aa19e0ffe4a2088349ba7011"
        );
        Ok(())
    }
}
