//! Snapshots and replay: the ledger's state serialized with a format version and a
//! digest, restored to an identical state (same digest); and the state rebuilt by folding
//! the journal, from empty or from a snapshot plus the entries after it.
//!
//! Internally the state uses dense catalog handles. A snapshot carries the dictionary of
//! the codes behind them, so it restores against a catalog whose records were added to or
//! reordered since; a code the catalog no longer has is an error.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use onhand_master::hash::{Map, map};
use onhand_master::{
    BinCode, BinIx, Catalog, EntityCode, EntityIx, ItemCode, ItemIx, SerialNo, SiteCode, SiteIx,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::LedgerError;
use crate::event::EventId;
use crate::journal::{Digest, JournalEntry, entry_digest};
use crate::ledger::{Applied, Ledger, PendingEvent};
use crate::lot::{LotInfo, Lots};
use crate::position::{Hist, PositionKey, Positions};
use crate::rules::Rules;
use crate::transfer::{TransferOrder, Transfers, TransitKey};

/// The snapshot format this version writes and reads.
pub const SNAPSHOT_FORMAT: u32 = 1;

/// The codes behind the handles a snapshot's state uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dictionary {
    /// Item codes, by handle.
    pub items: Vec<ItemCode>,
    /// Site codes, by handle.
    pub sites: Vec<SiteCode>,
    /// Entity codes, by handle.
    pub entities: Vec<EntityCode>,
    /// Bins (site and bin code), by handle.
    pub bins: Vec<(SiteCode, BinCode)>,
}

/// One position in a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionRecord {
    /// The position.
    pub key: PositionKey,
    /// Balance at the last close.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub base: Decimal,
    /// Current balance.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub qty: Decimal,
    /// Open-period history.
    hist: Vec<Hist>,
    /// Latest count time (microseconds since the epoch).
    pub counted_at: Option<i64>,
}

/// The ledger's whole state, in deterministic order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Positions in key order.
    pub positions: Vec<PositionRecord>,
    /// Lots in handle order.
    pub lots: Vec<LotInfo>,
    /// Serials: item, serial, where it is; sorted.
    pub serials: Vec<(ItemIx, SerialNo, PositionKey)>,
    /// Transfer orders by number.
    pub transfers: Vec<TransferOrder>,
    /// Pending events by id.
    pub pending: Vec<(EventId, PendingEvent)>,
    /// Event ids seen, with their fingerprints; sorted.
    pub seen: Vec<(EventId, u64)>,
    /// The close time of the last closed period.
    pub closed_through: Option<DateTime<Utc>>,
    /// State-changing events applied.
    pub seq: u64,
}

/// Where in the journal a snapshot was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalMark {
    /// The last entry included.
    pub seq: u64,
    /// Its digest.
    pub digest: Digest,
}

/// A serialized ledger state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The format version ([`SNAPSHOT_FORMAT`]).
    pub format: u32,
    /// The codes behind the handles.
    pub dictionary: Dictionary,
    /// The state.
    pub state: State,
    /// The journal position the state corresponds to, if the host keeps a journal.
    pub journal: Option<JournalMark>,
    /// SHA-256 over the dictionary and state (compact JSON).
    pub digest: Digest,
}

fn dictionary(catalog: &Catalog) -> Dictionary {
    Dictionary {
        items: catalog.items().map(|(_, i)| i.code.clone()).collect(),
        sites: catalog.sites().map(|(_, s)| s.code.clone()).collect(),
        entities: catalog.data().entities.iter().map(|e| e.code.clone()).collect(),
        bins: (0..catalog.bin_count())
            .filter_map(|i| {
                let b = catalog.bin(BinIx::new(u32::try_from(i).ok()?))?;
                Some((catalog.site(b.site)?.code.clone(), b.code.clone()))
            })
            .collect(),
    }
}

fn digest_of(dictionary: &Dictionary, state: &State) -> Result<Digest, LedgerError> {
    let bytes = serde_json::to_vec(&(dictionary, state))
        .map_err(|e| LedgerError::Restore { what: format!("encoding state: {e}") })?;
    Ok(Digest::of(&bytes))
}

impl Ledger {
    /// The whole state in deterministic order.
    #[must_use]
    pub fn state(&self) -> State {
        let mut serials: Vec<(ItemIx, SerialNo, PositionKey)> = self
            .serials
            .iter()
            .flat_map(|(item, m)| m.iter().map(move |(s, k)| (*item, s.clone(), *k)))
            .collect();
        serials.sort();
        let mut seen: Vec<(EventId, u64)> = self.seen.iter().map(|(k, v)| (*k, *v)).collect();
        seen.sort_unstable();
        State {
            positions: self
                .positions
                .all()
                .map(|(key, s)| PositionRecord {
                    key,
                    base: s.base(),
                    qty: s.qty,
                    hist: s.hist.to_vec(),
                    counted_at: s.counted_at(),
                })
                .collect(),
            lots: self.lots.all().to_vec(),
            serials,
            transfers: self.transfers().cloned().collect(),
            pending: self.pending.iter().map(|(k, v)| (*k, v.clone())).collect(),
            seen,
            closed_through: self.closed_through,
            seq: self.seq,
        }
    }

    /// A digest of the whole state: equal digests mean equal states.
    ///
    /// # Errors
    /// [`LedgerError::Restore`] if the state cannot be encoded (it always can).
    pub fn state_digest(&self) -> Result<Digest, LedgerError> {
        digest_of(&dictionary(&self.catalog), &self.state())
    }

    /// A snapshot of the state, marked with the journal position it corresponds to.
    ///
    /// # Errors
    /// As [`state_digest`](Self::state_digest).
    pub fn snapshot(&self, journal: Option<JournalMark>) -> Result<Snapshot, LedgerError> {
        let dictionary = dictionary(&self.catalog);
        let state = self.state();
        let digest = digest_of(&dictionary, &state)?;
        Ok(Snapshot { format: SNAPSHOT_FORMAT, dictionary, state, journal, digest })
    }

    /// Restores a snapshot against `catalog` and `rules`.
    ///
    /// # Errors
    /// [`LedgerError::Restore`] for another format version, a digest that does not match
    /// the content, or a code the catalog no longer has; [`LedgerError::InvalidRules`].
    pub fn restore(
        catalog: Arc<Catalog>,
        rules: Rules,
        snapshot: &Snapshot,
    ) -> Result<Ledger, LedgerError> {
        if snapshot.format != SNAPSHOT_FORMAT {
            return Err(LedgerError::Restore {
                what: format!(
                    "snapshot format {} (this version reads {SNAPSHOT_FORMAT})",
                    snapshot.format
                ),
            });
        }
        if digest_of(&snapshot.dictionary, &snapshot.state)? != snapshot.digest {
            return Err(LedgerError::Restore { what: "snapshot does not match its digest".into() });
        }
        let remap = Remap::new(&catalog, &snapshot.dictionary)?;
        let mut ledger = Ledger::new(catalog, rules)?;
        let st = &snapshot.state;
        let mut lots = Lots::default();
        for lot in &st.lots {
            let mut lot = lot.clone();
            lot.item = remap.item(lot.item)?;
            lots.insert(lot).ok_or_else(|| LedgerError::Restore { what: "lot table".into() })?;
        }
        let mut positions = Positions::with_items(ledger.catalog.item_count());
        for p in &st.positions {
            let key = remap.key(&p.key)?;
            // A balance is its base plus its history, in effective-time order: the
            // ledger reads figures as of a time back from the balance and relies on it.
            let summed = p.hist.iter().try_fold(p.base, |acc, h| acc.checked_add(h.change));
            if summed != Some(p.qty) || !p.hist.is_sorted_by_key(|h| h.at) {
                return Err(LedgerError::Restore {
                    what: format!("position {:?}: balance is not its base plus its history", p.key),
                });
            }
            // Times are microseconds of a representable instant: `i64::MIN` (the slot's
            // "never counted") and its neighbours are not, and would read back as another
            // state.
            let bad_time = |t: i64| DateTime::from_timestamp_micros(t).is_none();
            if p.counted_at.is_some_and(bad_time) || p.hist.iter().any(|h| bad_time(h.at)) {
                return Err(LedgerError::InvalidSnapshot {
                    part: "positions",
                    why: format!("position {:?} holds a time that is not one", p.key),
                });
            }
            positions.restore(&key, p.qty, p.hist.iter().copied().collect(), p.counted_at);
        }
        let mut serials: Map<ItemIx, Map<SerialNo, PositionKey>> = map();
        for (item, serial, key) in &st.serials {
            serials
                .entry(remap.item(*item)?)
                .or_insert_with(map)
                .insert(serial.clone(), remap.key(key)?);
        }
        let mut transfers = Transfers::default();
        for order in &st.transfers {
            let mut o = order.clone();
            o.from = remap.site(o.from)?;
            o.to = remap.site(o.to)?;
            for line in &mut o.lines {
                line.item = remap.item(line.item)?;
                let mut moved = BTreeMap::new();
                for (tk, q) in &line.in_transit {
                    moved.insert(TransitKey { lot: tk.lot, owner: remap.entity(tk.owner)? }, *q);
                }
                line.in_transit = moved;
            }
            transfers.insert(o);
        }
        ledger.positions = positions;
        ledger.lots = lots;
        ledger.serials = serials;
        ledger.transfers = transfers;
        ledger.pending = st.pending.iter().cloned().collect();
        let mut seen = map();
        seen.extend(st.seen.iter().copied());
        ledger.seen = seen;
        ledger.closed_through = st.closed_through;
        ledger.seq = st.seq;
        Ok(ledger)
    }

    /// Rebuilds the state by applying journal entries to an empty ledger.
    ///
    /// # Errors
    /// As [`replay_onto`](Self::replay_onto).
    pub fn replay<'a>(
        catalog: Arc<Catalog>,
        rules: Rules,
        entries: impl IntoIterator<Item = &'a JournalEntry>,
    ) -> Result<Ledger, LedgerError> {
        let mut ledger = Ledger::new(catalog, rules)?;
        ledger.replay_onto(entries, None)?;
        Ok(ledger)
    }

    /// Applies journal entries on top of this state (a restored snapshot, say),
    /// checking each entry's digest and its link to the one before (starting from
    /// `after`, the snapshot's journal mark, when given).
    ///
    /// # Errors
    /// [`LedgerError::JournalBroken`] for a broken chain, [`LedgerError::Restore`] when
    /// an entry is rejected or found to be a duplicate on replay (the journal and the
    /// state do not belong together).
    pub fn replay_onto<'a>(
        &mut self,
        entries: impl IntoIterator<Item = &'a JournalEntry>,
        after: Option<JournalMark>,
    ) -> Result<(), LedgerError> {
        let mut prev = after.map_or((0, Digest::ZERO), |m| (m.seq, m.digest));
        for e in entries {
            if e.seq != prev.0.saturating_add(1) {
                return Err(LedgerError::JournalBroken {
                    seq: prev.0.saturating_add(1),
                    why: "is missing",
                });
            }
            if e.prev != prev.1 {
                return Err(LedgerError::JournalBroken {
                    seq: e.seq,
                    why: "does not follow the entry before it",
                });
            }
            if entry_digest(&e.prev, e.seq, &e.event)? != e.digest {
                return Err(LedgerError::JournalBroken {
                    seq: e.seq,
                    why: "does not match its digest",
                });
            }
            match self.apply(&e.event) {
                Ok(Applied::Duplicate) => {
                    return Err(LedgerError::Restore {
                        what: format!("journal entry {} was already applied", e.seq),
                    });
                }
                Ok(_) => {}
                Err(err) => {
                    return Err(LedgerError::Restore {
                        what: format!("journal entry {} was rejected on replay: {err}", e.seq),
                    });
                }
            }
            prev = (e.seq, e.digest);
        }
        Ok(())
    }
}

/// Maps a snapshot's handles to a catalog's.
struct Remap {
    items: Vec<ItemIx>,
    sites: Vec<SiteIx>,
    entities: Vec<EntityIx>,
    bins: Vec<BinIx>,
}

fn missing(kind: &str, code: &impl std::fmt::Display) -> LedgerError {
    LedgerError::Restore {
        what: format!("the catalog has no {kind} {code}, which the snapshot uses"),
    }
}

impl Remap {
    fn new(catalog: &Catalog, d: &Dictionary) -> Result<Self, LedgerError> {
        let items = d
            .items
            .iter()
            .map(|c| catalog.item_ix(c).ok_or_else(|| missing("item", c)))
            .collect::<Result<_, _>>()?;
        let sites = d
            .sites
            .iter()
            .map(|c| catalog.site_ix(c).ok_or_else(|| missing("site", c)))
            .collect::<Result<_, _>>()?;
        let entities = d
            .entities
            .iter()
            .map(|c| catalog.entity_ix(c).ok_or_else(|| missing("entity", c)))
            .collect::<Result<_, _>>()?;
        let bins = d
            .bins
            .iter()
            .map(|(s, b)| {
                catalog
                    .site_ix(s)
                    .and_then(|six| catalog.bin_ix(six, b))
                    .ok_or_else(|| missing("bin", &format!("{s}/{b}")))
            })
            .collect::<Result<_, _>>()?;
        Ok(Remap { items, sites, entities, bins })
    }

    fn item(&self, ix: ItemIx) -> Result<ItemIx, LedgerError> {
        self.items.get(ix.index()).copied().ok_or_else(|| missing("item handle", &ix.raw()))
    }

    fn site(&self, ix: SiteIx) -> Result<SiteIx, LedgerError> {
        self.sites.get(ix.index()).copied().ok_or_else(|| missing("site handle", &ix.raw()))
    }

    fn entity(&self, ix: EntityIx) -> Result<EntityIx, LedgerError> {
        self.entities.get(ix.index()).copied().ok_or_else(|| missing("entity handle", &ix.raw()))
    }

    fn key(&self, k: &PositionKey) -> Result<PositionKey, LedgerError> {
        Ok(PositionKey {
            item: self.item(k.item)?,
            site: self.site(k.site)?,
            status: k.status,
            owner: self.entity(k.owner)?,
            bin: match k.bin {
                Some(b) => Some(
                    self.bins
                        .get(b.index())
                        .copied()
                        .ok_or_else(|| missing("bin handle", &b.raw()))?,
                ),
                None => None,
            },
            lot: k.lot,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use onhand_master::{Catalog, CurrencyCode, seed};

    use super::*;

    fn counted() -> Result<(Arc<Catalog>, Rules, Snapshot), Box<dyn std::error::Error>> {
        let catalog = Arc::new(Catalog::new(seed::demo_network())?);
        let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
        let mut ledger = Ledger::new(catalog.clone(), rules.clone())?;
        ledger.apply(&crate::testing::receipt(1, "ATL", "BOLT-M8", "240 EA", "RCV-01")?)?;
        let snapshot = ledger.snapshot(None)?;
        Ok((catalog, rules, snapshot))
    }

    /// Issue 12: a snapshot whose `counted_at` is `i64::MIN` (the slot's "never counted")
    /// restored as a position never counted: a state other than the one written. It is
    /// now refused, as is any time that is not a representable instant.
    #[test]
    fn a_snapshot_that_loses_a_count() -> Result<(), Box<dyn std::error::Error>> {
        let (catalog, rules, good) = counted()?;
        let mut bad = good;
        bad.state.positions.first_mut().ok_or("a position")?.counted_at = Some(i64::MIN);
        bad.digest = digest_of(&bad.dictionary, &bad.state)?;
        let err = Ledger::restore(catalog, rules, &bad).err().ok_or("refused")?;
        assert_eq!(err.code(), "invalid_snapshot", "{err}");
        Ok(())
    }

    proptest::proptest! {
        /// Whatever count time a snapshot holds, restore either refuses it or gives back
        /// exactly the state written (same digest).
        #[test]
        fn a_restored_count_time_reads_back_as_written(
            at in proptest::prop_oneof![
                proptest::prelude::any::<i64>(),
                proptest::strategy::Just(i64::MIN),
                proptest::strategy::Just(i64::MIN + 1),
                proptest::strategy::Just(i64::MAX),
                -8_300_000_000_000_000_000i64..8_300_000_000_000_000_000,
            ],
        ) {
            let (catalog, rules, good) = counted().unwrap();
            let mut snap = good;
            snap.state.positions.first_mut().unwrap().counted_at = Some(at);
            snap.digest = digest_of(&snap.dictionary, &snap.state).unwrap();
            if let Ok(ledger) = Ledger::restore(catalog, rules, &snap) {
                proptest::prop_assert_eq!(ledger.state(), snap.state);
            }
        }
    }

    /// A snapshot whose balance is not its base plus its history is refused, even with a
    /// digest that matches (the ledger reads figures back from the balance).
    #[test]
    fn restore_refuses_a_balance_that_is_not_its_history() -> Result<(), Box<dyn std::error::Error>>
    {
        let catalog = Arc::new(Catalog::new(seed::demo_network())?);
        let rules = Rules::standard(CurrencyCode::new("USD")?).trusting_event_actors();
        let mut ledger = Ledger::new(catalog.clone(), rules.clone())?;
        ledger.apply(&crate::testing::receipt(1, "ATL", "BOLT-M8", "240 EA", "RCV-01")?)?;
        let good = ledger.snapshot(None)?;
        assert!(Ledger::restore(catalog.clone(), rules.clone(), &good).is_ok());

        let mut bad = good.clone();
        let p = bad.state.positions.first_mut().ok_or("a position")?;
        p.qty += Decimal::ONE;
        bad.digest = digest_of(&bad.dictionary, &bad.state)?;
        let err = Ledger::restore(catalog.clone(), rules.clone(), &bad).err().ok_or("refused")?;
        assert!(matches!(err, LedgerError::Restore { .. }), "{err}");

        let mut unsorted = good;
        let p = unsorted.state.positions.first_mut().ok_or("a position")?;
        let h = *p.hist.first().ok_or("a change")?;
        p.hist = vec![Hist { at: h.at + 1, change: Decimal::ONE }, Hist { at: h.at, ..h }];
        p.qty += Decimal::ONE;
        unsorted.digest = digest_of(&unsorted.dictionary, &unsorted.state)?;
        assert!(Ledger::restore(catalog, rules, &unsorted).is_err());
        Ok(())
    }
}
