//! Source records: the rows of ingested files, stored one table per source (`rec_<source>`) with every version a
//! correction ever made.
//!
//! A record is identified by its key (the contract's key columns, joined; for sources without a key, a hash of
//! the row's content and its occurrence number). Loading a row whose key is stored with the same content hash
//! changes nothing; with a different hash, the row is stored as the next version, in force from the load's
//! `as_of` date. Nothing is updated or deleted: the current state of a record is its latest version, and the state
//! as of a date is its latest version in force then ([`RecordVersion::valid_from`]).
//!
//! [`RecordStore`] is the contract every backend fulfils for this register (record tables, loads and the reads
//! the features use), and [`RecordLoad`] one file's load in progress. The contract belongs here, with the code
//! that loads and reads records; `store` implements it (`store::SqliteStore`) and holds its conformance suite
//! (`store::conformance::check_records`), so this crate names no database.
//!
//! **Invariant:** a load is one transaction: its rows, its quarantine and its `loads` row commit together or not at
//! all, so a killed process never leaves half a file behind.

use std::collections::HashMap;
use std::future::Future;

use serde::{Deserialize, Serialize};

/// Why a record register refused or failed an operation.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// A source's record table exists with other columns than its contract now has.
    #[error("source {name}: its stored table has columns {stored}; the contract has changed and needs a migration")]
    SchemaChanged {
        /// The source.
        name: String,
        /// The stored columns.
        stored: String,
    },
    /// The backend failed (its own error, kept as the source).
    #[error("record store: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

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
    /// Whether it holds personal data (a sealed token or its blind index): the one kind of column an erasure may
    /// set to NULL. Left out of the stored column list when false, so tables without personal data keep theirs.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub personal: bool,
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

/// Which rows a [`RecordStore::scan_records`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter<'a> {
    /// Every row.
    All,
    /// Rows whose column equals the text.
    Eq(&'a str, &'a str),
    /// Rows whose column is one of the texts.
    In(&'a str, &'a [String]),
    /// Rows stored after the row numbered so by [`RecordStore::last_row`]: what later loads wrote (rows are
    /// numbered in the order they are stored, and loads of one source are stored one after the other).
    After(i64),
}

/// Which versions a [`RecordStore::scan_records`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Versions<'a> {
    /// The latest version of every key.
    Current,
    /// The latest version of every key in force on that date (`YYYY-MM-DD`): first versions always, corrections
    /// from their load's `as_of`.
    AsOf(&'a str),
}

/// One file's load in progress, holding the write lock of its source. Nothing it writes is visible to others
/// until [`RecordLoad::commit`]; dropping it without a commit writes nothing.
pub trait RecordLoad: Send {
    /// The id this load will be recorded under; ids grow from load to load.
    fn load_id(&self) -> i64;

    /// The latest stored version of every key of the source, as read when the load began (under the write lock),
    /// handed to the caller once (later calls return an empty map).
    fn take_latest(&mut self) -> HashMap<String, RecordVersion>;

    /// Queues a row as `version` of its key (in force from `valid_from` for versions after the first). A row whose
    /// cells do not match the table's columns is refused.
    fn write(
        &mut self,
        record: NewRecord,
        version: u32,
        valid_from: Option<String>,
    ) -> impl Future<Output = Result<(), RegisterError>> + Send;

    /// Records a row set aside by validation.
    fn quarantine(&mut self, record: QuarantineRecord);

    /// Writes the queued rows, the quarantine and the load record, and commits, all or nothing. `info.load_id`
    /// must be this load's id and its counts must add up.
    fn commit(self, info: &LoadInfo) -> impl Future<Output = Result<(), RegisterError>> + Send;
}

/// The register of ingested records every backend provides: one record table per source with every version of
/// every record, the loads that wrote them with their quarantine, and the reads the features use.
pub trait RecordStore: Send + Sync {
    /// A load in progress.
    type Load: RecordLoad;

    /// Creates the record table of a source on first use; afterwards checks that it still has the same columns
    /// ([`RegisterError::SchemaChanged`] otherwise).
    fn ensure_record_table(&self, table: &RecordTable) -> impl Future<Output = Result<(), RegisterError>> + Send;

    /// The committed load of exactly these bytes for this source, if any.
    fn load_of_file(
        &self,
        source: &str,
        file_sha256: &str,
    ) -> impl Future<Output = Result<Option<LoadInfo>, RegisterError>> + Send;

    /// Every committed load, oldest first.
    fn loads(&self) -> impl Future<Output = Result<Vec<LoadInfo>, RegisterError>> + Send;

    /// The rows a load set aside, in line order.
    fn load_quarantine(
        &self,
        load_id: i64,
    ) -> impl Future<Output = Result<Vec<QuarantineRecord>, RegisterError>> + Send;

    /// Every stored key of a source (each key once, whatever its versions), or nothing when the source was never
    /// loaded: what references to the source are checked against.
    fn record_keys(&self, source: &str) -> impl Future<Output = Result<Vec<String>, RegisterError>> + Send;

    /// The sources that have a record table, by name.
    fn record_sources(&self) -> impl Future<Output = Result<Vec<String>, RegisterError>> + Send;

    /// Reads `columns` of a source's records, the latest version of each key as `versions` says, the rows
    /// `filter` selects, ordered by `order_by` (a column name) then insertion order, or in insertion order (within
    /// a load, the file's row order). Returns nothing when the source was never loaded.
    fn scan_records(
        &self,
        table: &RecordTable,
        columns: &[&str],
        filter: Filter<'_>,
        versions: Versions<'_>,
        order_by: Option<&str>,
    ) -> impl Future<Output = Result<Vec<Vec<Cell>>, RegisterError>> + Send;

    /// The number of the last row stored in the source's table (0 when none or never loaded): with
    /// [`Filter::After`], how a reader that keeps records in memory finds what was stored since it read. An
    /// erasure may renumber a table's rows (SQLite's `VACUUM`), so such a reader reads everything again after one.
    fn last_row(&self, table: &RecordTable) -> impl Future<Output = Result<i64, RegisterError>> + Send;

    /// Starts a load of one file into `table` (which must exist: [`RecordStore::ensure_record_table`]), taking the
    /// source's write lock and reading the latest version of every stored key.
    fn begin_load(&self, table: &RecordTable) -> impl Future<Output = Result<Self::Load, RegisterError>> + Send;
}
