//! The network journal: every call that changed the network, in order, each entry
//! chained to the one before by a SHA-256 digest.
//!
//! A network's state is not only the ledger's: order bookings, expected receipts and
//! the network's time change it too. So the journal records [`Command`]s (an inventory
//! event is one kind), and [`Network::replay`](crate::Network::replay) folds them back
//! into the same state, digest for digest.
//!
//! `digest(n) = SHA-256(digest(n − 1) ‖ n as 8 little-endian bytes ‖ the command's
//! journal form)`, with `digest(0)` all zeros. The journal form (format
//! [`JOURNAL_FORMAT`], see [`Command::canonical_bytes`]) is compact, binary and
//! canonical: the same command gives the same bytes on every machine and build, and two
//! commands the network tells apart never give the same bytes.
//!
//! | command | journal form |
//! |---|---|
//! | an inventory event | `JOURNAL_FORMAT` (1 byte), `0`, the event's content digest ([`Event::content_digest`], 32 bytes), its `recorded_at` as seconds (`i64` LE) and nanoseconds (`u32` LE) since the Unix epoch |
//! | any other command | `JOURNAL_FORMAT` (1 byte), `1`, the command's serde shape in the canonical binary form (integers little-endian, strings and sequences length-prefixed, enum variants by index, a presence byte per struct field, no names) |
//!
//! An event enters the chain by the digest the ledger keeps for it (the ledger's own
//! compact encoding of every field but `recorded_at`, decimals by value), so accepting
//! it hashes its content once, not once for the ledger and again for the journal. Like
//! the ledger, the journal therefore treats `12` and `12.0` as the same quantity.
//!
//! The chain proves order and integrity relative to a
//! head the host trusts (keep the latest `(seq, digest)` somewhere the journal's writer
//! cannot rewrite); it does not prove who wrote it.

use chrono::{DateTime, Utc};
use onhand_ledger::{Digest, Event};
use onhand_master::Qty;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::error::Error;
use crate::orders::{OrderRef, OrderRequest};
use crate::purchasing::{ExpectedReceipt, ReceiptChange};

/// A call that changed the network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Command {
    /// An inventory event the ledger accepted or held for approval.
    Event(Event),
    /// A new expected receipt.
    Expect(ExpectedReceipt),
    /// A change to an expected receipt.
    ChangeExpected(ReceiptChange),
    /// An expected receipt cancelled.
    CancelExpected {
        /// The purchase order.
        order: onhand_ledger::DocNumber,
        /// The line.
        line: u32,
    },
    /// An order line reserved (a soft claim that lapses at `expires`).
    Reserve {
        /// The line.
        request: OrderRequest,
        /// When the reservation lapses.
        expires: DateTime<Utc>,
    },
    /// An order line allocated (a hard claim).
    Allocate {
        /// The line.
        request: OrderRequest,
    },
    /// A reservation made hard.
    MakeHard {
        /// The line.
        line: OrderRef,
    },
    /// A booking released.
    Release {
        /// The line.
        line: OrderRef,
    },
    /// A booking reduced.
    Reduce {
        /// The line.
        line: OrderRef,
        /// By how much, in any unit of the item.
        qty: Qty,
    },
    /// The network's time moved forward.
    Advance {
        /// The new time.
        now: DateTime<Utc>,
    },
    /// A consolidation run: intercompany revenue and unrealized profit eliminated.
    Consolidate {
        /// The run's id.
        run: u64,
        /// The group entity the elimination is booked in.
        group: onhand_master::EntityCode,
        /// The group currency.
        currency: onhand_master::CurrencyCode,
    },
    /// Backorder re-processing applied.
    Reprocess {
        /// How lines competing for short supply shared it.
        sharing: onhand_atp::Sharing,
    },
    /// A live item's costing method changed
    /// ([`Network::change_costing_method`](crate::Network::change_costing_method)).
    ChangeCostingMethod(crate::costing::MethodChange),
    /// KPI history imported ([`Network::import_insight`](crate::Network::import_insight)).
    ImportInsight {
        /// The records, in the order taken in.
        records: Vec<onhand_insight::Record>,
    },
    /// An actor's action on an exception (acknowledge, start, resolve, cancel).
    Act {
        /// The exception.
        exception: onhand_control::ExceptionId,
        /// Who.
        actor: onhand_ledger::Actor,
        /// What.
        action: onhand_control::Action,
        /// When.
        at: DateTime<Utc>,
    },
}

/// The version of the journal form each entry's digest covers (see the
/// [module docs](crate::journal)). Format 1 hashed every command in its serde canonical
/// form; format 2 hashes an event by its content digest.
pub const JOURNAL_FORMAT: u8 = 2;

/// The journal form's tag for an inventory event.
const TAG_EVENT: u8 = 0;
/// The journal form's tag for any other command.
const TAG_OTHER: u8 = 1;

/// The journal form of an event whose content digest is `content`.
fn event_form(content: &Digest, recorded_at: DateTime<Utc>) -> [u8; 46] {
    let mut out = [0u8; 46];
    let (head, rest) = out.split_at_mut(2);
    head.copy_from_slice(&[JOURNAL_FORMAT, TAG_EVENT]);
    let (digest, rest) = rest.split_at_mut(32);
    digest.copy_from_slice(&content.0);
    let (secs, nanos) = rest.split_at_mut(8);
    secs.copy_from_slice(&recorded_at.timestamp().to_le_bytes());
    nanos.copy_from_slice(&recorded_at.timestamp_subsec_nanos().to_le_bytes());
    out
}

impl Command {
    /// The command's journal form, the bytes its journal digest covers (see the
    /// [module docs](crate::journal)): for an event, the format, a tag, the event's
    /// content digest and its recorded time; for any other command, the format, a tag
    /// and its serde shape with integers little-endian, strings and sequences
    /// length-prefixed, enum variants by index, a presence byte per struct field, and no
    /// names.
    ///
    /// ```
    /// use onhand::{Command, JOURNAL_FORMAT};
    /// use onhand::ledger::testing;
    ///
    /// let event = testing::receipt_to(1, "ATL", "BOLT-M8", "2 CS", "PF-A01", "available")?;
    /// let bytes = Command::Event(event.clone()).canonical_bytes()?;
    /// assert_eq!(bytes.len(), 46);
    /// assert_eq!(bytes[..2], [JOURNAL_FORMAT, 0]);
    /// assert_eq!(bytes[2..34], event.content_digest().0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Restore`] if the command cannot be encoded (every command can).
    pub fn canonical_bytes(&self) -> Result<Vec<u8>, Error> {
        if let Command::Event(e) = self {
            return Ok(event_form(&e.content_digest(), e.recorded_at).to_vec());
        }
        let mut out = vec![JOURNAL_FORMAT, TAG_OTHER];
        crate::canonical::encode(self, &mut out)
            .map_err(|e| Error::Restore { what: format!("encoding a command: {e}") })?;
        Ok(out)
    }
}

/// One journal entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Its position, from 1.
    pub seq: u64,
    /// What was done.
    pub command: Command,
    /// This entry's digest.
    pub digest: Digest,
}

/// The digest of `command` as entry `seq` after `prev`.
///
/// # Errors
/// [`Error::Restore`] if the command cannot be encoded (it always can).
pub fn entry_digest(prev: &Digest, seq: u64, command: &Command) -> Result<Digest, Error> {
    Ok(chain(prev, seq, &command.canonical_bytes()?))
}

/// `SHA-256(prev ‖ seq ‖ form)`.
fn chain(prev: &Digest, seq: u64, form: &[u8]) -> Digest {
    let mut h = Sha256::new();
    h.update(prev.0);
    h.update(seq.to_le_bytes());
    h.update(form);
    Digest(h.finalize().into())
}

/// Where a journal stands: the last entry's sequence number and digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Mark {
    /// The last entry's sequence number (0: none).
    pub seq: u64,
    /// The last entry's digest ([`Digest::ZERO`] for none).
    pub digest: Digest,
}

/// Journal entries in memory, in order: chunks of 1,024 that never move, so an
/// append never copies the entries before it (a doubling `Vec` of them would, and would
/// hold both copies while it did). It iterates, indexes and serializes as the list of
/// its entries; [`into_vec`](onhand_master::chunked::Chunked::into_vec) and
/// [`to_vec`](onhand_master::chunked::Chunked::to_vec) give that list.
pub type Entries = onhand_master::chunked::Chunked<Entry, 10>;

/// The network's journal: the head, and the entries kept in memory since the last
/// [`drain`](Journal::drain).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Journal {
    head: Mark,
    entries: Entries,
}

impl Journal {
    /// An empty journal that continues after `head`.
    #[must_use]
    pub fn after(head: Mark) -> Self {
        Journal { head, entries: Entries::new() }
    }

    /// The last entry's sequence number and digest.
    #[must_use]
    pub fn head(&self) -> Mark {
        self.head
    }

    /// The entries kept since the last drain.
    #[must_use]
    pub fn entries(&self) -> &Entries {
        &self.entries
    }

    /// Takes the entries kept so far (to persist them); the head stays.
    pub fn drain(&mut self) -> Entries {
        std::mem::take(&mut self.entries)
    }

    /// The digest the next entry would have, without appending it.
    pub(crate) fn next(&self, command: &Command) -> Result<Mark, Error> {
        let seq = self.next_seq()?;
        Ok(Mark { seq, digest: entry_digest(&self.head.digest, seq, command)? })
    }

    /// The sequence number the next entry would have.
    pub(crate) fn next_seq(&self) -> Result<u64, Error> {
        self.head.seq.checked_add(1).ok_or(Error::Overflow { operation: "journal" })
    }

    /// The mark of an event as entry `seq` (from [`next_seq`](Journal::next_seq)), from
    /// the content digest the ledger keeps for it, so the event is not hashed again.
    pub(crate) fn event_mark(
        &self,
        seq: u64,
        content: &Digest,
        recorded_at: DateTime<Utc>,
    ) -> Mark {
        Mark { seq, digest: chain(&self.head.digest, seq, &event_form(content, recorded_at)) }
    }

    /// Appends a command whose mark [`next`](Journal::next) computed.
    pub(crate) fn push(&mut self, mark: Mark, command: Command) {
        debug_assert_eq!(mark.seq, self.head.seq + 1, "a journal mark out of turn");
        self.head = mark;
        self.entries.push(Entry { seq: mark.seq, command, digest: mark.digest });
    }
}

/// Checks that `entries` continue the chain from `from` without a gap, a repeat or a
/// change, and returns the head they end at.
///
/// # Errors
/// [`Error::Restore`] naming the first entry that does not fit: a gap or repeat in the
/// sequence numbers, or a digest that does not match.
pub fn verify<'a>(from: Mark, entries: impl IntoIterator<Item = &'a Entry>) -> Result<Mark, Error> {
    let mut head = from;
    for e in entries {
        let want = head.seq.checked_add(1).ok_or(Error::Overflow { operation: "journal" })?;
        if e.seq != want {
            let what = if e.seq <= head.seq {
                format!("entry {} repeats or goes back (after {})", e.seq, head.seq)
            } else {
                format!("entries {} to {} are missing", want, e.seq - 1)
            };
            return Err(Error::Restore { what });
        }
        let digest = entry_digest(&head.digest, e.seq, &e.command)?;
        if digest != e.digest {
            return Err(Error::Restore {
                what: format!("journal entry {} does not match its digest", e.seq),
            });
        }
        head = Mark { seq: e.seq, digest };
    }
    Ok(head)
}
