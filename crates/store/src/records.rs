//! Source records: the rows of ingested files, stored one table per source (`rec_<source>`) with every version a
//! correction ever made.
//!
//! A record is identified by its key (the contract's key columns, joined; for sources without a key, a hash of
//! the row's content and its occurrence number). Loading a row whose key is stored with the same content hash
//! changes nothing; with a different hash, the row is stored as the next version, in force from the load's
//! `as_of` date. Nothing is updated or deleted: the current state of a record is its latest version, and the state
//! as of a date is its latest version in force then ([`RecordVersion::valid_from`]).
//!
//! **Invariant:** a load is one transaction: its rows, its quarantine and its `loads` row commit together or not at
//! all, so a killed process never leaves half a file behind.

use serde::{Deserialize, Serialize};

/// The storage class of a record column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CellType {
    /// Integers: counts, fen, booleans (0/1), decimals scaled by their column's places.
    Integer,
    /// Text: ids, codes, dates (`YYYY-MM-DD`), months (`YYYY-MM`), sealed personal data.
    Text,
}

/// One column of a record table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordColumn {
    /// The column name (the contract's, or `<column>_bidx` for a blind index).
    pub name: String,
    /// Its storage class.
    pub ty: CellType,
    /// Whether queries look rows up by it (an index is created).
    pub indexed: bool,
}

/// The shape of one source's record table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordTable {
    /// The source name; the table is `rec_<source>`.
    pub source: String,
    /// The data columns, in order.
    pub columns: Vec<RecordColumn>,
}

impl RecordTable {
    /// The SQL name of the table.
    pub fn table_name(&self) -> String {
        format!("rec_{}", self.source)
    }
}

/// One stored value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// No value.
    Null,
    /// An integer.
    Int(i64),
    /// Text.
    Text(String),
}

/// A row to store: its key, content hash and cells in [`RecordTable::columns`] order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecord {
    /// The record key.
    pub key: String,
    /// Hex content hash; equal hashes mean the same content.
    pub hash: String,
    /// The cells.
    pub cells: Vec<Cell>,
}

/// The latest stored version of a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordVersion {
    /// Version number, from 1.
    pub version: u32,
    /// The content hash of that version.
    pub hash: String,
    /// The date it is in force from; `None` for a first version, which is in force from its own business dates.
    pub valid_from: Option<String>,
}

/// A row set aside by validation, as recorded with its load (the value already masked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantineRecord {
    /// 1-based line in the file.
    pub line: u64,
    /// The field, or `(row)` when the row as a whole is at fault.
    pub field: String,
    /// The offending value, masked when it is personal data.
    pub value: String,
    /// Stable reason code.
    pub reason: String,
    /// Human-readable detail.
    pub detail: String,
}

/// The facts about a load recorded with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadInfo {
    /// Its id (assigned when the load begins).
    pub load_id: i64,
    /// The source.
    pub source: String,
    /// The file name as given.
    pub file_name: String,
    /// SHA-256 of the file's bytes.
    pub file_sha256: String,
    /// The contract version the file was checked against.
    pub contract_version: u32,
    /// `csv` or `jsonl`.
    pub format: String,
    /// The text encoding read.
    pub encoding: String,
    /// The date corrections of this load are in force from.
    pub as_of: String,
    /// When the load committed (RFC 3339).
    pub loaded_at: String,
    /// The counts.
    pub counts: LoadCounts,
}

/// What became of a file's rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadCounts {
    /// Data rows read.
    pub read: u64,
    /// Rows stored under a new key.
    pub new: u64,
    /// Rows stored as a new version of a known key.
    pub corrected: u64,
    /// Rows whose key was stored with the same content already.
    pub unchanged: u64,
    /// Rows repeating an earlier row of the same file.
    pub duplicate: u64,
    /// Rows set aside.
    pub quarantined: u64,
}

impl LoadCounts {
    /// Whether every read row is accounted for exactly once.
    pub fn is_consistent(&self) -> bool {
        self.read == self.new + self.corrected + self.unchanged + self.duplicate + self.quarantined
    }
}
