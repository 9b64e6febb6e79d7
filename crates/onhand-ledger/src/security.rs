//! The security model: what the ledger guarantees, and what the host must guarantee.
//!
//! This module holds no code; it is the contract between the ledger and the system
//! embedding it.
//!
//! # Identity and authority
//!
//! - **Canonical identity.** Actor ids are ASCII by construction (checked when parsed)
//!   and compared only by their ASCII-lowercase canonical form
//!   ([`ActorId::canonical`](crate::ActorId::canonical)): `Alice` and `alice` are one
//!   person everywhere the ledger tells people apart.
//! - **Who may do what.** With [`Identity::Directory`](crate::Identity::Directory) (the
//!   default of [`Rules::standard`](crate::Rules::standard)) the ledger reads an actor's
//!   roles, site scope and validity from its rules and ignores what the event claims.
//!   With [`Identity::EventCarried`](crate::Identity::EventCarried), an explicit opt-in,
//!   the ledger believes the event: any caller able to submit an event can claim any
//!   role.
//! - **Segregation of duties.** Nobody approves their own event; under
//!   [`Segregation::DistinctApprovers`](crate::Segregation::DistinctApprovers) (the
//!   default) each role a pending event needs is approved by another person.
//! - **Thresholds that cannot be split around.** A [`Threshold`](crate::Threshold)
//!   limits each line, the event's lines together
//!   ([`max_event_qty`](crate::Threshold::max_event_qty), on for adjustments in the
//!   standard rules) and its value, and, with a
//!   [`DocumentLimit`](crate::DocumentLimit) (off unless set), every applied event of the
//!   kind on one reference document within a time window. Splitting a movement over
//!   documents is not caught: a host that lets one person mint document numbers freely
//!   should limit by value per actor upstream.
//!
//! The host must guarantee that the actor id on an event is the authenticated caller:
//! the ledger cannot tell `alice` from someone typing `alice`. Under event-carried
//! identity it must also guarantee the roles and sites.
//! - **Period close.** A close ([`Body::ClosePeriod`](crate::Body::ClosePeriod)) freezes
//!   every site, so its poster (and approver) must be scoped to every site
//!   ([`CloseScope::Network`](crate::CloseScope::Network)); it waits for
//!   [`PeriodClose::approver`](crate::PeriodClose::approver) when the rules set one; it
//!   may not pass its own effective time nor the latest recorded time the ledger knows.
//!   A reopen ([`Body::ReopenPeriod`](crate::Body::ReopenPeriod)) always waits for a
//!   second person and is a journal entry like any other. The ledger reads no clock:
//!   the host must stamp `recorded_at` itself, or a close can be pushed as far as a
//!   forged `recorded_at` reaches (a reopen then undoes it).
//! - **Over-receipts.** A transfer receipt over what was shipped, counted over every
//!   receipt on the order line, beyond the tolerance of its site and item class
//!   ([`OverReceiptTolerance`](crate::OverReceiptTolerance); none in the standard rules)
//!   waits for approval or is refused, as the rules say; a fully received order takes
//!   no more receipts.
//!
//! # Idempotency
//!
//! The ledger remembers, per event id, the SHA-256 digest of the event's canonical
//! encoding (every field but `recorded_at`; see
//! [`Event::content_digest`](crate::Event::content_digest)). A re-submission is
//! [`Duplicate`](crate::Applied::Duplicate) only if its digest matches, which for a
//! different payload would take a SHA-256 collision; anything else under a known id is
//! refused as [`IdReused`](crate::LedgerError::IdReused). The encoding reads each field's
//! `Hash` (with fixed-width little-endian integers), so a dependency that changed how its
//! type hashes (a time, a decimal) would make a stored digest miss: the repeat is then
//! refused as `IdReused`, never accepted twice.
//!
//! # Journal, checkpoints and snapshots
//!
//! - **What the chain proves.** Order and integrity *relative to a digest the host
//!   already trusts*: the genesis, a checkpoint ([`JournalMark`](crate::JournalMark)) or
//!   a head. A writer able to rewrite the journal can recompute every digest after the
//!   entry it changes, and the rewritten chain verifies on its own. The host must keep
//!   checkpoints ([`Journal::checkpoints`](crate::Journal::checkpoints),
//!   [`Journal::mark`](crate::Journal::mark)) where that writer cannot reach, and verify
//!   against them ([`verify`](crate::verify) from the genesis with a trusted head,
//!   [`verify_from`](crate::verify_from) between checkpoints).
//! - **Gaps and repeats.** Verification starts at the genesis or a trusted checkpoint, so
//!   a journal with its start cut off is a [`JournalGap`](crate::LedgerError::JournalGap),
//!   and an entry inserted twice a [`JournalRepeat`](crate::LedgerError::JournalRepeat).
//! - **Snapshots.** A snapshot's digest covers its dictionary, state and journal mark,
//!   and the mark must be the state's position ([`MarkMismatch`](crate::LedgerError::MarkMismatch)
//!   otherwise), so replay onto a snapshot never skips an entry. The digest is unkeyed:
//!   it catches corruption, not a forger, who can recompute it. So restore also checks
//!   every handle and invariant the ledger relies on (lots of the position's item, bins
//!   of its site, serials of its item, balances that are their history, times that are
//!   times) and refuses the rest as
//!   [`InvalidSnapshot`](crate::LedgerError::InvalidSnapshot); a state that passes is one
//!   the ledger can work on safely, but only a snapshot the host stored where a forger
//!   cannot reach (or checked against a digest it anchored) is *its* state.
