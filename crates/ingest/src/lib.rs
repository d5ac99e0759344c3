//! The pure validation core of data integration: source files checked against their data contracts before anything
//! is loaded. [`contracts`] holds the simulator's contract (version 2) as data; [`validate`] decodes a file
//! (UTF-8 or GB18030), refuses it whole if its header does not match, and streams its rows as typed
//! [`ValidRow`]s or [`Quarantined`] records, checking types, ranges, ID check digits, code lists, row shape,
//! encoding, duplicate keys and references to already-known keys. No I/O: callers hand in bytes.
//!
//! Boundary: no clock, no randomness, no database; the same bytes and keys always give the same outcomes.

pub mod contract;
pub mod contracts;
pub mod decode;
pub mod keys;
pub mod quarantine;
pub mod validate;
pub mod value;

pub use contract::{CONTRACT_VERSION, Column, ColumnType, Contract, DecimalRange, ForeignKey, IntRange};
pub use decode::TextEncoding;
pub use keys::{KeyLookup, KnownKeys, join_key};
pub use quarantine::{LoadSummary, Quarantined, Reason};
pub use validate::{HeaderError, Outcome, ValidRow, Validation, validate};
pub use value::{Phone, Value};
