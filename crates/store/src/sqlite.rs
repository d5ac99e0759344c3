//! The embedded SQLite backend: one file, `agririsk.sqlite`, under the data directory.
//!
//! Durability: WAL journal with `synchronous = FULL`, so a committed command survives a killed process and a power
//! cut. Writers take the write lock up front (`BEGIN IMMEDIATE`) so the read-check-write of an append cannot
//! interleave with another writer. Append-only tables are enforced by triggers in the schema itself. The model
//! registry's implementation lives in [`models`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use domain::{BorrowerId, Date, LoanId, Money};
use lending::{DatedEvent, LoanEvent, LoanTerms, Posting, StatusChange};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlSafeStr};

use crate::{
    Appended, LedgerLine, LoanRecord, LoanStore, NewEvent, NewLoan, StoreError, StoredEvent, change_columns,
    change_from_columns, event_columns,
};

mod alerts;
mod audit;
mod decisions;
mod dual;
mod erasure;
mod identity;
mod models;
mod policies;
mod reader;
mod records;
mod screening;
mod workflow;
mod writer;

pub use audit::Acting;
pub(crate) use audit::{Chain, append_in};
pub use reader::QuickReader;
pub(crate) use records::table_ddl as record_table_ddl;
pub use records::{Filter, LoadWriter, ROWS_PER_STATEMENT, Versions};
pub use writer::{Checkpointer, DecisionWriter, Durability, Queued};

/// The latest migration this binary knows.
fn latest_migration() -> i64 {
    MIGRATIONS.last().map_or(0, |(version, _, _)| *version)
}

/// Schema migrations, embedded in the binary and applied in order on open.
pub(crate) const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "loans", include_str!("../migrations/sqlite/0001_loans.sql")),
    (2, "models", include_str!("../migrations/sqlite/0002_models.sql")),
    (3, "loads", include_str!("../migrations/sqlite/0003_loads.sql")),
    (4, "decisions", include_str!("../migrations/sqlite/0004_decisions.sql")),
    (5, "policies", include_str!("../migrations/sqlite/0005_policies.sql")),
    (6, "workflow", include_str!("../migrations/sqlite/0006_workflow.sql")),
    (7, "disbursement requests", include_str!("../migrations/sqlite/0007_disbursement_requests.sql")),
    (8, "review request ids", include_str!("../migrations/sqlite/0008_review_request_ids.sql")),
    (9, "screening", include_str!("../migrations/sqlite/0009_screening.sql")),
    (10, "audit", include_str!("../migrations/sqlite/0010_audit.sql")),
    (11, "identity", include_str!("../migrations/sqlite/0011_identity.sql")),
    (12, "consent scope", include_str!("../migrations/sqlite/0012_consent_scope.sql")),
    (13, "erasures", include_str!("../migrations/sqlite/0013_erasures.sql")),
    (14, "dual control", include_str!("../migrations/sqlite/0014_dual_control.sql")),
    (15, "compact decisions", include_str!("../migrations/sqlite/0015_compact_decisions.sql")),
    (16, "open reviews", include_str!("../migrations/sqlite/0016_open_reviews.sql")),
    (17, "alerts", include_str!("../migrations/sqlite/0017_alerts.sql")),
    (18, "monitor runs", include_str!("../migrations/sqlite/0018_monitor_runs.sql")),
];

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    path: PathBuf,
    /// Who its writes are recorded as in the audit trail ([`SqliteStore::acting`]).
    context: audit::Context,
    /// One quick reader shared by every clone, so the screening cache's polls reuse its connections.
    reader: std::sync::Arc<std::sync::OnceLock<QuickReader>>,
    /// Sources whose record table exists, as last seen (shared by every clone). A record table is never dropped,
    /// so a source once seen needs no query again; one not seen yet is looked up.
    sources: std::sync::Arc<std::sync::RwLock<std::collections::HashSet<String>>>,
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

fn parse_date(text: &str) -> Result<Date, StoreError> {
    domain::parse_date(text).map_err(corrupt)
}

/// A stored timestamp.
fn timestamp(text: &str) -> Result<domain::Timestamp, StoreError> {
    domain::Timestamp::parse(text).map_err(corrupt)
}

fn to_u32(value: i64, what: &str) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| corrupt(format!("{what} {value} out of range")))
}

/// The data directory and the database file readable by their owner only: a directory this makes is mode 700; the
/// database file is made mode 600 before SQLite opens it (SQLite gives its `-wal` and `-shm` files the database
/// file's mode), and a database file or log found readable by others is narrowed to 600. A directory that exists
/// already is left as it is: it may be one the user keeps other things in.
fn private_files(data_dir: &Path, database: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
        if !data_dir.exists() {
            std::fs::DirBuilder::new().recursive(true).mode(0o700).create(data_dir)?;
        }
        match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(database) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        for suffix in ["", "-wal", "-shm"] {
            let file = PathBuf::from(format!("{}{suffix}", database.display()));
            if let Ok(meta) = std::fs::metadata(&file)
                && meta.permissions().mode() & 0o077 != 0
            {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))?;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = database;
        std::fs::create_dir_all(data_dir)?;
    }
    Ok(())
}

impl SqliteStore {
    /// The database file name inside a data directory.
    pub const FILE_NAME: &'static str = "agririsk.sqlite";

    /// Opens the store under `data_dir`, creating the directory and database on first use and applying pending
    /// migrations.
    pub async fn open(data_dir: &Path) -> Result<SqliteStore, StoreError> {
        let path = data_dir.join(Self::FILE_NAME);
        private_files(data_dir, &path)
            .map_err(|source| StoreError::Io { path: data_dir.display().to_string(), source })?;
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            // A bulk load's dirty pages stay in memory until commit instead of spilling to the WAL page by page
            // (negative = KiB: 256 MiB per connection at most, allocated only as used).
            .pragma("cache_size", "-262144")
            // Reading a source's records streams millions of rows from SQLite's thread; a deep buffer lets it run
            // ahead instead of waking the reader for every row (the default is 50).
            .row_buffer_size(8192)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await?;
        let migrations = MIGRATIONS
            .iter()
            .map(|(version, name, sql)| {
                Migration::new(*version, (*name).into(), MigrationType::Simple, sql.into_sql_str(), false)
            })
            .collect();
        Migrator::with_migrations(migrations)
            .run(&pool)
            .await
            .map_err(|e| crate::database::migration_error(e, latest_migration()))?;
        Ok(SqliteStore {
            pool,
            path,
            context: audit::Context::default(),
            reader: std::sync::Arc::default(),
            sources: std::sync::Arc::default(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The pool's connections now: (open, of which idle); read-only, for the server's metrics.
    pub fn pool_connections(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }

    /// Closes every connection, checkpointing the WAL so only the database file remains.
    pub async fn close(self) {
        // The shared reader's connections close first, so that the pool's last one checkpoints the write-ahead log
        // and removes it: a command that only read leaves the directory as it found it.
        if let Some(reader) = self.reader.get() {
            reader.release();
        }
        self.pool.close().await;
    }

    /// One whole number a query answers; for counters such as [`crate::Database::decider_version`].
    pub(crate) async fn scalar_i64(&self, sql: &'static str) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar::<_, i64>(sql).fetch_one(&self.pool).await?)
    }

    /// Runs a raw statement; for tests that prove the schema's own guards (e.g. append-only triggers).
    pub async fn execute_raw(&self, sql: &str) -> Result<u64, StoreError> {
        let done = sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }

    fn loan_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<LoanRecord, StoreError> {
        let id: String = row.try_get("id")?;
        let terms_json: String = row.try_get("terms_json")?;
        let terms: LoanTerms =
            serde_json::from_str(&terms_json).map_err(|e| corrupt(format!("loan {id} terms: {e}")))?;
        Ok(NewLoan {
            id: LoanId::parse(&id).map_err(corrupt)?,
            borrower: BorrowerId::parse(&row.try_get::<String, _>("borrower_id")?).map_err(corrupt)?,
            terms,
            rules: row.try_get("rules")?,
            booked_on: parse_date(&row.try_get::<String, _>("booked_on")?)?,
        })
    }
}

/// Inserts event `seq` of a loan with its ledger lines; returns the audit entry that records it (action
/// `loan.<kind>`, detail `{"event":seq}`, after digest [`crate::audit::event_digest`]) for the caller to append.
pub(crate) async fn insert_event(
    store: &SqliteStore,
    tx: &mut sqlx::SqliteConnection,
    loan: &LoanId,
    seq: u32,
    event: &NewEvent,
    postings: &[Posting],
) -> Result<::audit::NewEntry, StoreError> {
    let (kind, amount) = event_columns(&event.dated.event);
    let payload = serde_json::to_string(&event.dated.event).map_err(corrupt)?;
    let lines: Vec<crate::audit::LineDigest<'_>> = postings
        .iter()
        .map(|p| crate::audit::LineDigest {
            date: event.dated.date,
            component: p.component,
            amount: p.amount,
            reallocates: p.reallocates.as_ref().map(|r| r.as_str()),
        })
        .collect();
    let digest = crate::audit::event_digest(seq, event.dated.date, event.key.as_deref(), &payload, &lines);
    let mut entry =
        store.audit_entry(&format!("loan.{}", kind.replace('-', "_")), format!("loan:{loan}"), Some(digest));
    entry.detail = serde_json::json!({ "event": seq }).to_string();
    sqlx::query(
        "INSERT INTO loan_events (loan_id, seq, effective_date, kind, amount_fen, idempotency_key, payload_json)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(loan.as_str())
    .bind(i64::from(seq))
    .bind(event.dated.date.to_string())
    .bind(kind)
    .bind(amount)
    .bind(event.key.as_deref())
    .bind(payload)
    .execute(&mut *tx)
    .await?;
    for (line, posting) in postings.iter().enumerate() {
        sqlx::query(
            "INSERT INTO ledger_postings (loan_id, event_seq, line, posting_date, component, amount_fen, reallocates)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(loan.as_str())
        .bind(i64::from(seq))
        .bind(i64::try_from(line).map_err(corrupt)? + 1)
        .bind(event.dated.date.to_string())
        .bind(posting.component)
        .bind(posting.amount.fen())
        .bind(posting.reallocates.as_ref().map(|r| r.as_str().to_string()))
        .execute(&mut *tx)
        .await?;
    }
    Ok(entry)
}

/// The audit entry of a loan booked: action `loan.create`, after digest [`crate::audit::loan_digest`].
pub(crate) fn loan_entry(store: &SqliteStore, loan: &NewLoan) -> Result<::audit::NewEntry, StoreError> {
    Ok(store.audit_entry("loan.create", format!("loan:{}", loan.id), Some(crate::audit::loan_digest(loan)?)))
}

/// The audit entry of a status change recorded: action `loan.change`, the change's columns digested.
pub(crate) fn change_entry(store: &SqliteStore, id: &LoanId, c: &StatusChange) -> ::audit::NewEntry {
    let (kind, from, to) = change_columns(&c.change);
    let date = c.date.to_string();
    let digest = crate::audit::record_digest(&[id.as_str(), &date, kind, &from, &to, &c.cause]);
    let mut entry = store.audit_entry("loan.change", format!("loan:{id}"), Some(digest));
    entry.detail = serde_json::json!({ "kind": kind, "date": date }).to_string();
    entry
}

/// Inserts a new loan; [`StoreError::DuplicateLoan`] if its id is taken.
pub(crate) async fn insert_loan(tx: &mut sqlx::SqliteConnection, loan: &NewLoan) -> Result<(), StoreError> {
    let exists: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM loans WHERE id = ?").bind(loan.id.as_str()).fetch_optional(&mut *tx).await?;
    if exists.is_some() {
        return Err(StoreError::DuplicateLoan(loan.id.clone()));
    }
    let terms_json = serde_json::to_string(&loan.terms).map_err(corrupt)?;
    sqlx::query(
        "INSERT INTO loans (id, borrower_id, product, principal_fen, annual_rate, start_date, rules, terms_json, booked_on)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(loan.id.as_str())
    .bind(loan.borrower.as_str())
    .bind(loan.terms.product().code())
    .bind(loan.terms.principal().fen())
    .bind(loan.terms.annual_rate().to_string())
    .bind(loan.terms.start().to_string())
    .bind(&loan.rules)
    .bind(terms_json)
    .bind(loan.booked_on.to_string())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Inserts a status change unless the same one is recorded already; returns 1 if it was new.
pub(crate) async fn insert_change(
    tx: &mut sqlx::SqliteConnection,
    id: &LoanId,
    c: &StatusChange,
) -> Result<usize, StoreError> {
    let (kind, from, to) = change_columns(&c.change);
    let done = sqlx::query(
        "INSERT OR IGNORE INTO status_changes (loan_id, change_date, kind, from_value, to_value, cause)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(id.as_str())
    .bind(c.date.to_string())
    .bind(kind)
    .bind(from)
    .bind(to)
    .bind(&c.cause)
    .execute(&mut *tx)
    .await?;
    usize::try_from(done.rows_affected()).map_err(corrupt)
}

impl LoanStore for SqliteStore {
    async fn create_loan(&self, loan: &NewLoan, events: &[NewEvent]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        insert_loan(&mut tx, loan).await?;
        let mut entries = vec![loan_entry(self, loan)?];
        for (i, event) in events.iter().enumerate() {
            let seq = u32::try_from(i + 1).map_err(corrupt)?;
            entries.push(insert_event(self, &mut tx, &loan.id, seq, event, &[]).await?);
        }
        append_in(&mut tx, &entries).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn next_loan_id(&self) -> Result<LoanId, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM loans").fetch_one(&self.pool).await?;
        let mut n = count + 1;
        loop {
            let candidate = LoanId::parse(&format!("L{n:06}")).map_err(corrupt)?;
            let taken: Option<i64> = sqlx::query_scalar("SELECT 1 FROM loans WHERE id = ?")
                .bind(candidate.as_str())
                .fetch_optional(&self.pool)
                .await?;
            if taken.is_none() {
                return Ok(candidate);
            }
            n += 1;
        }
    }

    async fn loan(&self, id: &LoanId) -> Result<Option<LoanRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM loans WHERE id = ?").bind(id.as_str()).fetch_optional(&self.pool).await?;
        row.as_ref().map(Self::loan_from_row).transpose()
    }

    async fn loans(&self) -> Result<Vec<LoanRecord>, StoreError> {
        let rows = sqlx::query("SELECT * FROM loans ORDER BY id").fetch_all(&self.pool).await?;
        rows.iter().map(Self::loan_from_row).collect()
    }

    async fn loans_of(&self, borrower: &BorrowerId) -> Result<Vec<LoanRecord>, StoreError> {
        let rows = sqlx::query("SELECT * FROM loans WHERE borrower_id = ? ORDER BY id")
            .bind(borrower.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(Self::loan_from_row).collect()
    }

    async fn event_counts(&self) -> Result<std::collections::HashMap<String, u32>, StoreError> {
        let rows = sqlx::query("SELECT loan_id, MAX(seq) AS n FROM loan_events GROUP BY loan_id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| Ok((row.try_get::<String, _>("loan_id")?, to_u32(row.try_get("n")?, "event seq")?)))
            .collect()
    }

    async fn events(&self, id: &LoanId) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, effective_date, idempotency_key, payload_json FROM loan_events WHERE loan_id = ? ORDER BY seq",
        )
        .bind(id.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let seq = to_u32(row.try_get("seq")?, "event seq")?;
                let payload: String = row.try_get("payload_json")?;
                let event: LoanEvent =
                    serde_json::from_str(&payload).map_err(|e| corrupt(format!("loan {id} event {seq}: {e}")))?;
                Ok(StoredEvent {
                    seq,
                    dated: DatedEvent { date: parse_date(&row.try_get::<String, _>("effective_date")?)?, event },
                    key: row.try_get("idempotency_key")?,
                })
            })
            .collect()
    }

    async fn append(
        &self,
        id: &LoanId,
        expected: u32,
        event: &NewEvent,
        postings: &[Posting],
        changes: &[StatusChange],
    ) -> Result<Appended, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM loans WHERE id = ?").bind(id.as_str()).fetch_optional(&mut *tx).await?;
        if exists.is_none() {
            return Err(StoreError::LoanNotFound(id.clone()));
        }
        if let Some(key) = &event.key {
            let earlier = sqlx::query(
                "SELECT seq, effective_date, payload_json FROM loan_events WHERE loan_id = ? AND idempotency_key = ?",
            )
            .bind(id.as_str())
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = earlier {
                let payload = serde_json::to_string(&event.dated.event).map_err(corrupt)?;
                let same = row.try_get::<String, _>("payload_json")? == payload
                    && row.try_get::<String, _>("effective_date")? == event.dated.date.to_string();
                return if same {
                    Ok(Appended::Duplicate { seq: to_u32(row.try_get("seq")?, "event seq")? })
                } else {
                    Err(StoreError::KeyConflict { loan: id.clone(), key: key.clone() })
                };
            }
        }
        let found: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM loan_events WHERE loan_id = ?")
            .bind(id.as_str())
            .fetch_one(&mut *tx)
            .await?;
        let found = to_u32(found, "event count")?;
        if found != expected {
            return Err(StoreError::Conflict { loan: id.clone(), expected, found });
        }
        let seq = expected + 1;
        let mut entries = vec![insert_event(self, &mut tx, id, seq, event, postings).await?];
        for change in changes {
            if insert_change(&mut tx, id, change).await? == 1 {
                entries.push(change_entry(self, id, change));
            }
        }
        self.note_proposal(&mut entries);
        append_in(&mut tx, &entries).await?;
        tx.commit().await?;
        Ok(Appended::New { seq })
    }

    async fn ledger(&self, id: &LoanId) -> Result<Vec<LedgerLine>, StoreError> {
        let rows = sqlx::query(
            "SELECT event_seq, posting_date, component, amount_fen, reallocates FROM ledger_postings
             WHERE loan_id = ? ORDER BY event_seq, line",
        )
        .bind(id.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(LedgerLine {
                    event_seq: to_u32(row.try_get("event_seq")?, "event seq")?,
                    date: parse_date(&row.try_get::<String, _>("posting_date")?)?,
                    component: row.try_get("component")?,
                    amount: Money::from_fen(row.try_get("amount_fen")?),
                    reallocates: row.try_get("reallocates")?,
                })
            })
            .collect()
    }

    async fn record_changes(&self, changes: &[(LoanId, StatusChange)]) -> Result<usize, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut added = 0;
        let mut entries = Vec::new();
        for (id, change) in changes {
            if insert_change(&mut tx, id, change).await? == 1 {
                added += 1;
                entries.push(change_entry(self, id, change));
            }
        }
        append_in(&mut tx, &entries).await?;
        tx.commit().await?;
        Ok(added)
    }

    async fn changes(&self, id: &LoanId) -> Result<Vec<StatusChange>, StoreError> {
        let rows = sqlx::query(
            "SELECT change_date, kind, from_value, to_value, cause FROM status_changes
             WHERE loan_id = ? ORDER BY change_date, rowid",
        )
        .bind(id.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let kind: String = row.try_get("kind")?;
                let from: String = row.try_get("from_value")?;
                let to: String = row.try_get("to_value")?;
                Ok(StatusChange {
                    date: parse_date(&row.try_get::<String, _>("change_date")?)?,
                    change: change_from_columns(&kind, &from, &to)?,
                    cause: row.try_get("cause")?,
                })
            })
            .collect()
    }
}
