//! The pure validation core of data integration: source files checked against their data contracts before anything
//! is loaded. [`contracts`] holds contract version 2 as data, for the simulator's files and for the external
//! sources a lender receives from other systems; [`validate`] (CSV) and [`validate_jsonl`] (JSON Lines) decode a
//! file (UTF-8 or GB18030), refuse a CSV file whole if its header does not match, and stream its rows as typed
//! [`ValidRow`]s or [`Quarantined`] records, checking types, ranges, ID and card check digits, code lists, row
//! shape, encoding, cross-column rules, duplicate keys and references to already-known keys. No I/O: callers hand
//! in bytes.
//!
//! Boundary: no clock, no randomness, no database; the same bytes and keys always give the same outcomes.

pub mod contract;
pub mod contracts;
pub mod decode;
pub mod keys;
pub mod quarantine;
mod rules;
pub mod validate;
pub mod value;

pub use contract::{
    CONTRACT_VERSION, Column, ColumnType, Condition, Contract, DecimalRange, ForeignKey, IntRange, Rule,
};
pub use decode::TextEncoding;
pub use keys::{KeyLookup, KnownKeys, join_key};
pub use quarantine::{LoadSummary, Quarantined, Reason};
pub use validate::{Format, HeaderError, Outcome, ValidRow, Validation, validate, validate_as, validate_jsonl};
pub use value::{CardNumber, Phone, Value};
