//! The network journal: every call that changed the network, in order, each entry
//! chained to the one before by a SHA-256 digest.
//!
//! A network's state is not only the ledger's: order bookings, expected receipts and
//! the network's time change it too. So the journal records [`Command`]s (an inventory
//! event is one kind), and [`Network::replay`](crate::Network::replay) folds them back
//! into the same state, digest for digest.
//!
//! `digest(n) = SHA-256(digest(n − 1) ‖ n as 8 little-endian bytes ‖ the command's
//! canonical binary form)`, with `digest(0)` all zeros. The canonical form (see
//! [`Command::canonical_bytes`]) is the command's serde shape written compactly without
//! names: the same command gives the same bytes on every machine and build. The chain proves order and integrity relative to a
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

impl Command {
    /// The command's canonical binary form, the bytes its journal digest covers: its serde
    /// shape with integers little-endian, strings and sequences length-prefixed, enum
    /// variants by index, a presence byte per struct field, and no names.
    ///
    /// # Errors
    /// [`Error::Restore`] if the command cannot be encoded (every command can).
    pub fn canonical_bytes(&self) -> Result<Vec<u8>, Error> {
        crate::canonical::to_bytes(self)
            .map_err(|e| Error::Restore { what: format!("encoding a command: {e}") })
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
    let bytes = command.canonical_bytes()?;
    let mut h = Sha256::new();
    h.update(prev.0);
    h.update(seq.to_le_bytes());
    h.update(&bytes);
    Ok(Digest(h.finalize().into()))
}

/// Where a journal stands: the last entry's sequence number and digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Mark {
    /// The last entry's sequence number (0: none).
    pub seq: u64,
    /// The last entry's digest ([`Digest::ZERO`] for none).
    pub digest: Digest,
}

/// The network's journal: the head, and the entries kept in memory since the last
/// [`drain`](Journal::drain).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Journal {
    head: Mark,
    entries: Vec<Entry>,
}

impl Journal {
    /// An empty journal that continues after `head`.
    #[must_use]
    pub fn after(head: Mark) -> Self {
        Journal { head, entries: Vec::new() }
    }

    /// The last entry's sequence number and digest.
    #[must_use]
    pub fn head(&self) -> Mark {
        self.head
    }

    /// The entries kept since the last drain.
    #[must_use]
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Takes the entries kept so far (to persist them); the head stays.
    pub fn drain(&mut self) -> Vec<Entry> {
        std::mem::take(&mut self.entries)
    }

    /// The digest the next entry would have, without appending it.
    pub(crate) fn next(&self, command: &Command) -> Result<Mark, Error> {
        let seq = self.head.seq.checked_add(1).ok_or(Error::Overflow { operation: "journal" })?;
        Ok(Mark { seq, digest: entry_digest(&self.head.digest, seq, command)? })
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
pub fn verify(from: Mark, entries: &[Entry]) -> Result<Mark, Error> {
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
