//! Quick reads for the server's hot path on connections of their own (rusqlite, synchronous, cached statements):
//! the screening entries every application reads. A read through the sqlx pool hops to the pool's worker thread and
//! back, which on two cores cost a quarter of the server's throughput; a read here is a few microseconds on an
//! index, done where the request runs. Every read sees what was committed before it began, by any process, so a
//! consent withdrawn from the command line counts at once.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::SqliteStore;
use crate::StoreError;
use crate::screening::ScreeningEntry;

/// Most idle connections kept for reuse.
const POOL: usize = 8;

/// Synchronous readers over the store's database.
#[derive(Debug)]
pub struct QuickReader {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl SqliteStore {
    /// A quick reader over this store's database (already migrated by [`SqliteStore::open`]).
    pub fn quick_reader(&self) -> QuickReader {
        QuickReader { path: self.path().to_path_buf(), idle: Mutex::new(Vec::new()) }
    }

    /// The quick reader every clone of this store shares (made on first use), whose idle connections are kept.
    pub fn shared_reader(&self) -> &QuickReader {
        self.reader.get_or_init(|| self.quick_reader())
    }
}

fn connect(path: &Path) -> Result<Connection, StoreError> {
    let connection =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    connection.busy_timeout(Duration::from_secs(10))?;
    Ok(connection)
}

impl QuickReader {
    /// Closes the idle connections kept for reuse.
    pub fn release(&self) {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }

    fn with_connection<T>(&self, read: impl FnOnce(&Connection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let taken = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let connection = match taken {
            Some(connection) => connection,
            None => connect(&self.path)?,
        };
        let result = read(&connection);
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < POOL {
            idle.push(connection);
        }
        result
    }

    /// A household's screening entries, oldest effective day first (as [`crate::ScreeningRegister::screening_of`]).
    pub fn screening_of(&self, household_id: &str) -> Result<Vec<ScreeningEntry>, StoreError> {
        self.with_connection(|connection| {
            let mut statement = connection.prepare_cached(&format!(
                "SELECT {ENTRY_COLUMNS} FROM screening_entries WHERE household_id = ?1 ORDER BY effective_on, kind, source, data_source, purpose"
            ))?;
            let rows = statement.query_map([household_id], entry_columns)?;
            rows.map(|row| entry_of(row?)).collect()
        })
    }

    /// Every screening entry, by household then as [`QuickReader::screening_of`] orders them: what a server holds in
    /// memory to screen applicants without a read per application.
    pub fn all_screening(&self) -> Result<Vec<ScreeningEntry>, StoreError> {
        self.with_connection(|connection| {
            let mut statement = connection.prepare_cached(&format!(
                "SELECT {ENTRY_COLUMNS} FROM screening_entries ORDER BY household_id, effective_on, kind, source, data_source, purpose"
            ))?;
            let rows = statement.query_map([], entry_columns)?;
            rows.map(|row| entry_of(row?)).collect()
        })
    }

    /// A number that grows whenever an entry is added to the screening register, by any process (the register is
    /// append-only, so its largest row id only grows): whether what was read before is still the whole register.
    pub fn screening_version(&self) -> Result<i64, StoreError> {
        self.with_connection(|connection| {
            let mut statement = connection.prepare_cached("SELECT COALESCE(MAX(rowid), 0) FROM screening_entries")?;
            Ok(statement.query_row([], |row| row.get(0))?)
        })
    }
}

/// The columns of an entry, in the order [`entry_columns`] reads them.
const ENTRY_COLUMNS: &str =
    "household_id, kind, effective_on, source, recorded_by, recorded_at, note, data_source, purpose";

type EntryColumns = (String, String, String, String, String, String, String, String, String);

fn entry_columns(row: &rusqlite::Row<'_>) -> rusqlite::Result<EntryColumns> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
    ))
}

fn entry_of(columns: EntryColumns) -> Result<ScreeningEntry, StoreError> {
    let (household_id, kind, effective_on, source, recorded_by, recorded_at, note, data_source, purpose) = columns;
    Ok(ScreeningEntry {
        household_id,
        kind: kind.parse().map_err(super::corrupt)?,
        effective_on: domain::parse_date(&effective_on).map_err(super::corrupt)?,
        source,
        recorded_by,
        recorded_at,
        note,
        scope: crate::ConsentScope::from_columns(&data_source, &purpose).map_err(super::corrupt)?,
    })
}
