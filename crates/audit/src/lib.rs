//! The tamper-evident audit trail, as pure types and functions: every state change is a [`NewEntry`] (who, from
//! where, what, on which record, with what outcome, the record's digests before and after); the store numbers it and
//! chains it to the entry before by [`link`] into an [`Entry`]; a [`Verifier`] walks a chain in order, entry by
//! entry, and names the first entry that was edited, deleted, inserted or moved ([`Break`]); a [`Checkpoint`] is the
//! chain head signed with an Ed25519 [`AuditKey`] kept apart from the database, so a chain rewritten from some
//! point on, or cut short, no longer matches what was signed.
//!
//! Boundary: pure — no I/O, no clock, no randomness. Times come in as [`domain::Timestamp`]; a signing key is made
//! from 32 bytes the caller reads from the operating system; the store keeps the entries and the edges write the
//! checkpoint file.

mod checkpoint;
mod digest;
mod entry;
mod verify;

pub use checkpoint::{AuditKey, Checkpoint, KeyError, PublicKey};
pub use digest::{Digest, DigestError};
pub use entry::{Entry, EntryError, NewEntry, link};
pub use verify::{Break, BreakKind, Summary, Verifier};
