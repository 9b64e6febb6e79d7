//! The journal: an append-only, tamper-evident log of every event that changed the
//! ledger's state, each entry chained to the one before by a SHA-256 digest.
//!
//! `digest(n) = SHA-256("OHJE" ‖ format ‖ digest(n − 1) ‖ n as 8 little-endian bytes ‖
//! event)`, with `digest(0)` all zeros, the format one byte ([`JOURNAL_FORMAT`], 2), and
//! the event in the ledger's canonical encoding (the bytes of its content digest, see
//! [`Event::content_digest`](crate::Event::content_digest)) followed by its
//! `recorded_at`, so no dependency's serialization decides the digest. Altering, dropping, reordering or inserting an
//! entry breaks the chain at that point, and [`verify`] names the first entry that does
//! not fit: a gap as a gap ([`LedgerError::JournalGap`]), an entry repeated or out of
//! order as such ([`LedgerError::JournalRepeat`]), an altered entry or a broken link as
//! [`LedgerError::JournalBroken`]. The ledger itself stays a pure state machine: the
//! host appends what [`Ledger::apply`](crate::Ledger::apply) accepted (see
//! [`Applied::changed_state`](crate::Applied::changed_state)) and persists the entries;
//! [`Ledger::replay`](crate::Ledger::replay) folds them back into the same state.
//!
//! # What the chain proves
//!
//! A chain that verifies proves that its entries are in this order and unaltered
//! *relative to a digest you already trust*: the genesis (all zeros) for the start, a
//! checkpoint ([`JournalMark`]: seq and digest) for a later start, a trusted head for the
//! end. It proves nothing on its own about the end: whoever can write the journal can
//! rewrite it from any entry on and recompute every digest after it, and such a chain
//! verifies up to its (new) end. Only a head or checkpoint kept where that writer
//! cannot reach (another system, a signed log, a printed report) catches the rewrite:
//! [`verify`] with that head, or [`verify_from`] between two checkpoints. A host should
//! anchor checkpoints outside regularly ([`Journal::checkpoints`], [`Journal::mark`]);
//! a rewrite is then confined to the entries after the last anchored one.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::error::LedgerError;
use crate::event::Event;
use crate::snapshot::JournalMark;

/// A SHA-256 digest, written as 64 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// The digest before the first entry: all zeros.
    pub const ZERO: Digest = Digest([0; 32]);

    /// SHA-256 of `bytes`.
    ///
    /// ```
    /// use onhand_ledger::Digest;
    /// assert_eq!(Digest::of(b"abc").to_string(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /// assert_ne!(Digest::of(b"abc"), Digest::ZERO);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn of(bytes: &[u8]) -> Self {
        Digest(Sha256::digest(bytes).into())
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

impl Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_hex(&text).ok_or_else(|| serde::de::Error::custom("a digest is 64 hex digits"))
    }
}

fn parse_hex(text: &str) -> Option<Digest> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, slot) in out.iter_mut().enumerate() {
        let hi = char::from(*bytes.get(2 * i)?).to_digit(16)?;
        let lo = char::from(*bytes.get(2 * i + 1)?).to_digit(16)?;
        *slot = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(Digest(out))
}

/// One journal entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// Its position, from 1.
    pub seq: u64,
    /// The event.
    pub event: Event,
    /// The previous entry's digest.
    pub prev: Digest,
    /// This entry's digest.
    pub digest: Digest,
}

/// The digest format of journal entries this version computes and verifies.
///
/// | format | an entry's digest covers |
/// |---|---|
/// | 1 (up to this version) | the previous digest, seq, and the event as compact JSON (`serde_json`) |
/// | 2 | `OHJE` and the format byte, the previous digest, seq, and the event in the canonical encoding then its `recorded_at` |
///
/// Format 1 hashed `serde_json`'s output, which a serializer upgrade or an embedding
/// service's serde features could change; format 2 hashes the ledger's own encoding,
/// fixed by its version. An entry still in format 1 is reported as such
/// ([`LedgerError::JournalFormat`]), not as altered.
pub const JOURNAL_FORMAT: u32 = 2;

/// What each entry digest of format 2 starts with.
const ENTRY_HEADER: [u8; 5] = *b"OHJE\x02";

/// The digest of an entry with `seq` and `event` after `prev` (format
/// [`JOURNAL_FORMAT`]).
///
/// ```
/// use onhand_ledger::{Digest, entry_digest, testing};
/// let receipt = testing::receipt(1, "ATL", "BOLT-M8", "240 EA", "RCV-01")?;
/// let first = entry_digest(&Digest::ZERO, 1, &receipt)?;
/// assert_ne!(first, entry_digest(&Digest::ZERO, 2, &receipt)?);
/// let mut later = receipt.clone();
/// later.recorded_at = testing::at(99);
/// assert_ne!(first, entry_digest(&Digest::ZERO, 1, &later)?, "recorded_at is covered");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// None today: the canonical encoding encodes every event. The `Result` is kept so a
/// later format may refuse an event without changing the signature.
pub fn entry_digest(prev: &Digest, seq: u64, event: &Event) -> Result<Digest, LedgerError> {
    let mut h = Sha256::new();
    h.update(ENTRY_HEADER);
    h.update(prev.0);
    h.update(seq.to_le_bytes());
    let mut e = crate::canonical::Encoder::new();
    e.event_recorded(event);
    h.update(e.as_slice());
    Ok(Digest(h.finalize().into()))
}

/// The format-1 digest of an entry (over the event's JSON), to tell an entry of an old
/// journal from an altered one. `None` if the event does not encode as JSON.
fn format_1_digest(prev: &Digest, seq: u64, event: &Event) -> Option<Digest> {
    let json = serde_json::to_vec(event).ok()?;
    let mut h = Sha256::new();
    h.update(prev.0);
    h.update(seq.to_le_bytes());
    h.update(&json);
    Some(Digest(h.finalize().into()))
}

/// An in-memory journal (hosts with their own storage can keep entries themselves and
/// use [`entry_digest`] and [`verify`]).
///
/// ```
/// use onhand_ledger::{Journal, testing, verify};
/// let mut journal = Journal::new();
/// journal.append(testing::receipt(1, "ATL", "BOLT-M8", "240 EA", "RCV-01")?)?;
/// journal.append(testing::receipt(2, "ATL", "NUT-M8", "500 EA", "RCV-01")?)?;
/// assert!(verify(journal.entries(), None).is_ok());
///
/// let mut tampered = journal.entries().to_vec();
/// tampered[0].event.recorded_at = testing::at(99);
/// assert_eq!(verify(&tampered, None).unwrap_err().to_string(),
///            "journal entry 1 does not match its digest");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Journal {
    entries: Vec<JournalEntry>,
}

impl Journal {
    /// An empty journal.
    ///
    /// ```
    /// use onhand_ledger::Journal;
    /// let journal = Journal::new();
    /// assert!(journal.is_empty());
    /// assert_eq!(journal.mark().seq, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Journal::default()
    }

    /// The digest of the last entry (zeros when empty).
    ///
    /// ```
    /// use onhand_ledger::{Journal, testing};
    /// let mut journal = Journal::new();
    /// let empty = journal.head();
    /// journal.append(testing::receipt(1, "ATL", "BOLT-M8", "5 EA", "RCV-01")?)?;
    /// assert_ne!(journal.head(), empty);
    /// assert_eq!(journal.head(), journal.entries()[0].digest);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn head(&self) -> Digest {
        self.entries.last().map_or(Digest::ZERO, |e| e.digest)
    }

    /// Number of entries.
    ///
    /// ```
    /// use onhand_ledger::{Journal, testing};
    /// let mut journal = Journal::new();
    /// journal.append(testing::receipt(1, "ATL", "BOLT-M8", "5 EA", "RCV-01")?)?;
    /// assert_eq!(journal.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it is empty.
    ///
    /// ```
    /// use onhand_ledger::{Journal, testing};
    /// let mut journal = Journal::new();
    /// assert!(journal.is_empty());
    /// journal.append(testing::receipt(1, "ATL", "BOLT-M8", "5 EA", "RCV-01")?)?;
    /// assert!(!journal.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries, in order.
    ///
    /// ```
    /// use onhand_ledger::{Journal, testing};
    /// let mut journal = Journal::new();
    /// journal.append(testing::receipt(1, "ATL", "BOLT-M8", "5 EA", "RCV-01")?)?;
    /// journal.append(testing::receipt(2, "ATL", "BOLT-M8", "7 EA", "RCV-01")?)?;
    /// let seqs: Vec<u64> = journal.entries().iter().map(|e| e.seq).collect();
    /// assert_eq!(seqs, [1, 2]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn entries(&self) -> &[JournalEntry] {
        &self.entries
    }

    /// The journal's position: its last entry's seq and digest (seq 0 and zeros when
    /// empty), a checkpoint the host can anchor outside.
    ///
    /// ```
    /// use onhand_ledger::{Journal, testing};
    /// let mut journal = Journal::new();
    /// journal.append(testing::receipt(1, "ATL", "BOLT-M8", "5 EA", "RCV-01")?)?;
    /// let mark = journal.mark();
    /// assert_eq!((mark.seq, mark.digest), (1, journal.head()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn mark(&self) -> JournalMark {
        self.entries
            .last()
            .map_or(JournalMark::GENESIS, |e| JournalMark { seq: e.seq, digest: e.digest })
    }

    /// A checkpoint every `every` entries (entries `every`, `2 × every`, ...; none when
    /// `every` is 0), for a host to anchor outside: the chain proves integrity only
    /// relative to a digest the host trusts (see the [security model](crate::security)).
    ///
    /// ```
    /// use onhand_ledger::{Journal, testing, verify_from};
    /// let mut journal = Journal::new();
    /// for i in 1..=5 {
    ///     journal.append(testing::receipt(i, "ATL", "BOLT-M8", "1 EA", "RCV-01")?)?;
    /// }
    /// let marks = journal.checkpoints(2);
    /// assert_eq!(marks.iter().map(|m| m.seq).collect::<Vec<_>>(), [2, 4]);
    /// // The entries after a trusted checkpoint verify from it to the trusted head.
    /// verify_from(marks[1], &journal.entries()[4..], Some(journal.head()))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn checkpoints(&self, every: u64) -> Vec<JournalMark> {
        if every == 0 {
            return Vec::new();
        }
        self.entries
            .iter()
            .filter(|e| e.seq % every == 0)
            .map(|e| JournalMark { seq: e.seq, digest: e.digest })
            .collect()
    }

    /// Appends an event, chaining its digest.
    ///
    /// ```
    /// use onhand_ledger::{Journal, LedgerError, testing, verify};
    ///
    /// let mut journal = Journal::new();
    /// journal.append(testing::receipt(1, "ATL", "BOLT-M8", "5 EA", "RCV-01")?)?;
    /// journal.append(testing::receipt(2, "ATL", "BOLT-M8", "7 EA", "RCV-01")?)?;
    /// assert_eq!(journal.len(), 2);
    /// verify(journal.entries(), Some(journal.head()))?;
    ///
    /// // An entry changed after the fact no longer matches its digest.
    /// let mut tampered = journal.entries().to_vec();
    /// tampered[0].event = testing::receipt(1, "ATL", "BOLT-M8", "500 EA", "RCV-01")?;
    /// assert!(matches!(verify(&tampered, None), Err(LedgerError::JournalBroken { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`entry_digest`].
    pub fn append(&mut self, event: Event) -> Result<&JournalEntry, LedgerError> {
        let prev = self.head();
        let seq = u64::try_from(self.entries.len()).unwrap_or(u64::MAX).saturating_add(1);
        let digest = entry_digest(&prev, seq, &event)?;
        self.entries.push(JournalEntry { seq, event, prev, digest });
        self.entries.last().ok_or(LedgerError::Restore { what: "journal append".into() })
    }
}

/// Checks a chain of entries from the genesis: the first entry is entry 1 after the
/// all-zero digest, each is numbered one after the one before and linked to it, each
/// matches its digest, and (with `head`) the last is the trusted head. A journal with
/// its start cut off does not verify here: verify it from a trusted checkpoint with
/// [`verify_from`].
///
/// # Errors
/// The first entry that does not fit: [`LedgerError::JournalGap`] for an entry missing
/// (at the start or in between), [`LedgerError::JournalRepeat`] for an entry repeated
/// or out of order, [`LedgerError::JournalFormat`] for an entry of an old journal
/// (chained in digest format 1), [`LedgerError::JournalBroken`] for an entry that does
/// not match its digest or does not follow the one before, or a chain that ends before
/// the head.
///
/// ```
/// use onhand_ledger::{Journal, testing, verify};
/// let mut journal = Journal::new();
/// journal.append(testing::receipt(1, "ATL", "BOLT-M8", "5 EA", "RCV-01")?)?;
/// journal.append(testing::receipt(2, "ATL", "BOLT-M8", "7 EA", "RCV-01")?)?;
/// verify(journal.entries(), Some(journal.head()))?;
/// // Against a head the host trusts that is not this chain's: refused.
/// assert!(verify(journal.entries(), Some(onhand_ledger::Digest::of(b"other"))).is_err());
/// // An entry dropped from the middle breaks the chain.
/// let gap = [journal.entries()[1].clone()];
/// assert!(verify(&gap, None).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verify(entries: &[JournalEntry], head: Option<Digest>) -> Result<(), LedgerError> {
    verify_from(JournalMark::GENESIS, entries, head)
}

/// As [`verify`], from a trusted checkpoint instead of the genesis: the first entry is
/// the one after `from`, linked to its digest.
///
/// # Errors
/// As [`verify`].
///
/// ```
/// use onhand_ledger::{Journal, testing, verify_from};
/// let mut journal = Journal::new();
/// journal.append(testing::receipt(1, "ATL", "BOLT-M8", "5 EA", "RCV-01")?)?;
/// let mark = journal.mark();
/// journal.append(testing::receipt(2, "ATL", "BOLT-M8", "7 EA", "RCV-01")?)?;
/// // Only the entries after the mark, checked to continue from it.
/// verify_from(mark, &journal.entries()[1..], Some(journal.head()))?;
/// assert!(verify_from(mark, journal.entries(), None).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verify_from(
    from: JournalMark,
    entries: &[JournalEntry],
    head: Option<Digest>,
) -> Result<(), LedgerError> {
    let mut prev = from;
    for e in entries {
        let expected = prev.seq.saturating_add(1);
        if e.seq > expected {
            return Err(LedgerError::JournalGap { missing: expected, found: e.seq });
        }
        if e.seq < expected {
            return Err(LedgerError::JournalRepeat { seq: e.seq, after: prev.seq });
        }
        if e.prev != prev.digest {
            return Err(LedgerError::JournalBroken {
                seq: e.seq,
                why: if e.seq == 1 {
                    "does not start the chain"
                } else {
                    "does not follow the entry before it"
                },
            });
        }
        if entry_digest(&e.prev, e.seq, &e.event)? != e.digest {
            if format_1_digest(&e.prev, e.seq, &e.event) == Some(e.digest) {
                return Err(LedgerError::JournalFormat {
                    seq: e.seq,
                    found: 1,
                    reads: JOURNAL_FORMAT,
                });
            }
            return Err(LedgerError::JournalBroken {
                seq: e.seq,
                why: "does not match its digest",
            });
        }
        prev = JournalMark { seq: e.seq, digest: e.digest };
    }
    if let Some(expected) = head
        && prev.digest != expected
    {
        return Err(LedgerError::JournalBroken {
            seq: prev.seq.saturating_add(1),
            why: "is missing (the chain ends before the trusted head)",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    fn journal(n: u128) -> Journal {
        let mut j = Journal::new();
        for i in 1..=n {
            j.append(testing::receipt(i, "ATL", "BOLT-M8", "12 EA", "RCV-01").unwrap()).unwrap();
        }
        j
    }

    /// Entry digests are what hosts anchor outside: they must not change between
    /// versions or machines. Taken when format 2 was introduced.
    #[test]
    fn entry_digests_are_stable() {
        let j = journal(2);
        let digests: Vec<String> = j.entries().iter().map(|e| e.digest.to_string()).collect();
        assert_eq!(
            digests,
            [
                "24bd6cbfb6d4d84ad9df6d3c9a5f8e0e935fa2938b3027b4a7ccfc0a293686ab",
                "932c797bea0444a0210cc642caa33ce629388e9e454d4cafd9c44abd3250ac33"
            ]
        );
    }

    /// A journal chained in format 1 (over the events' JSON) is reported as an old
    /// journal from its first entry, not as altered; an entry altered after it was
    /// chained in format 1 is still reported as altered.
    #[test]
    fn a_format_1_journal_is_named_as_such() {
        let mut prev = Digest::ZERO;
        let mut old = Vec::new();
        for seq in 1..=3 {
            let event =
                testing::receipt(u128::from(seq), "ATL", "BOLT-M8", "1 EA", "RCV-01").unwrap();
            let digest = format_1_digest(&prev, seq, &event).unwrap();
            old.push(JournalEntry { seq, event, prev, digest });
            prev = digest;
        }
        assert_eq!(
            verify(&old, None),
            Err(LedgerError::JournalFormat { seq: 1, found: 1, reads: JOURNAL_FORMAT })
        );
        old[0].event.reason = crate::event::ReasonCode::new("OTHER").unwrap();
        assert_eq!(
            verify(&old, None),
            Err(LedgerError::JournalBroken { seq: 1, why: "does not match its digest" })
        );
        // Re-chained, the same events verify.
        let mut rechained = Journal::new();
        for e in &old {
            rechained.append(e.event.clone()).unwrap();
        }
        assert!(verify(rechained.entries(), Some(rechained.head())).is_ok());
    }

    #[test]
    fn digests_print_and_parse_as_hex() {
        let d = Digest::of(b"onhand");
        let text = d.to_string();
        assert_eq!(text.len(), 64);
        assert_eq!(parse_hex(&text), Some(d));
        assert_eq!(serde_json::from_str::<Digest>(&serde_json::to_string(&d).unwrap()).unwrap(), d);
        assert!(serde_json::from_str::<Digest>("\"xyz\"").is_err());
    }

    #[test]
    fn verify_names_the_first_altered_or_missing_entry() {
        let j = journal(5);
        assert!(verify(j.entries(), Some(j.head())).is_ok());

        let mut altered = j.entries().to_vec();
        altered[2].event.reason = crate::event::ReasonCode::new("OTHER").unwrap();
        assert_eq!(
            verify(&altered, None),
            Err(LedgerError::JournalBroken { seq: 3, why: "does not match its digest" })
        );

        let mut missing = j.entries().to_vec();
        missing.remove(1);
        assert_eq!(verify(&missing, None), Err(LedgerError::JournalGap { missing: 2, found: 3 }));

        let truncated = &j.entries()[..4];
        assert!(verify(truncated, None).is_ok(), "a clean prefix verifies on its own");
        assert_eq!(
            verify(truncated, Some(j.head())),
            Err(LedgerError::JournalBroken {
                seq: 5,
                why: "is missing (the chain ends before the trusted head)"
            })
        );

        let mut swapped = j.entries().to_vec();
        swapped.swap(1, 2);
        assert!(verify(&swapped, None).is_err());
    }
}
