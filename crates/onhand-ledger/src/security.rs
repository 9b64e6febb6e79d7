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
//!
//! The host must guarantee that the actor id on an event is the authenticated caller:
//! the ledger cannot tell `alice` from someone typing `alice`. Under event-carried
//! identity it must also guarantee the roles and sites.
