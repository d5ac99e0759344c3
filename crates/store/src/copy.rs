//! Moving a lender's whole store from one database to another (`agririsk db copy`): SQLite to PostgreSQL, back, or
//! between two SQLite files, verified and resumable.
//!
//! [`copy`] reads the source inside one read-only snapshot (SQLite opened read-only; PostgreSQL `REPEATABLE READ
//! READ ONLY`), so it sees one state of the store and never changes it. It writes every table of the target in
//! foreign-key order, in pages of rows each committed in a transaction of its own together with how far the copy
//! has come (the `_copy_progress` table it creates in the target, keyed by a fingerprint of the source). Run again
//! after an interruption, the same command finds its progress and goes on where the last committed page ended.
//! Every row is copied as stored: audit entries keep their numbers and hashes (no entry is made for a copied row),
//! instants keep the offset they were written with, bytes are copied byte for byte; PostgreSQL's identity counters
//! are moved past the copied ids at the end.
//!
//! A target that holds rows and is not an unfinished copy of the same source is refused before anything is
//! written ([`CopyError::TargetNotEmpty`], [`CopyError::OtherCopy`]). At the end, and alone through [`verify()`],
//! both sides are checked ([`Verification`]): row counts and a content hash per table, ledger sums per loan and
//! component, and the audit chain on each side.
//!
//! Module map: `schema` reads each engine's live schema into logical tables and pairs them; `rows` reads and
//! writes pages of logical values; `records` creates record tables on the target; [`verify`](mod@verify) holds
//! the checks.

mod records;
mod rows;
pub(crate) mod schema;
pub mod verify;

use std::collections::BTreeMap;

use ::audit::Digest;
use serde::Serialize;
use sqlx::{ConnectOptions, Connection};

pub use verify::{ChainCheck, LedgerCheck, TableCheck, Verification};

use crate::database::{Location, status};
use crate::{Database, SqliteStore, StoreError};
use schema::{Plan, Schema};

/// The table a copy keeps its progress in, in the target.
pub(crate) const PROGRESS_TABLE: &str = "_copy_progress";

/// The progress row of the copy as a whole (the others are named after their tables).
const WHOLE: &str = "*";

/// Rows per page (one target transaction) unless told otherwise.
pub const DEFAULT_PAGE_ROWS: usize = 5_000;

/// What a copy is asked to do beyond its two locations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyOptions {
    /// Rows per page: each page is one transaction in the target.
    pub page_rows: usize,
    /// Stop with [`CopyError::Stopped`] after this many pages were committed: an interruption at a known point,
    /// for tests of resumption.
    pub stop_after_pages: Option<u64>,
}

impl Default for CopyOptions {
    fn default() -> CopyOptions {
        CopyOptions { page_rows: DEFAULT_PAGE_ROWS, stop_after_pages: None }
    }
}

/// Why a copy did not run, or stopped.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// Both locations name one database.
    #[error("--from and --to name the same database ({0}); copy into another one")]
    SameLocation(String),
    /// The source has no database.
    #[error("the source {0} holds no database")]
    NoSource(String),
    /// A side's schema is not at this binary's latest migration.
    #[error("the {side} database's schema is {state}, not current; run `agririsk db migrate` on it with this release")]
    SchemaState {
        /// `source` or `target`.
        side: &'static str,
        /// Its state as `db status` names it.
        state: &'static str,
    },
    /// The target holds rows and no copy of this source in progress.
    #[error(
        "the target is not empty: table {table} holds {rows} rows; copy into an empty database (nothing was written)"
    )]
    TargetNotEmpty {
        /// The first table found holding rows.
        table: String,
        /// How many.
        rows: u64,
    },
    /// The target holds a copy, finished or not, of another source (or of this one since changed).
    #[error(
        "the target holds a copy of another source, or of this one as it was before it changed (fingerprint \
         {found}, this source {expected}); copy into an empty database (nothing was written)"
    )]
    OtherCopy {
        /// The fingerprint in the target's progress.
        found: String,
        /// This source's.
        expected: String,
    },
    /// A table the two schemas do not agree on, or cannot be copied.
    #[error("table {table}: {problem}")]
    Schema {
        /// The table.
        table: String,
        /// What is wrong.
        problem: String,
    },
    /// A stored value that cannot be carried to the other engine.
    #[error("table {table}, column {column}: {problem}")]
    Value {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// What is wrong.
        problem: String,
    },
    /// Stopped as [`CopyOptions::stop_after_pages`] asked.
    #[error("stopped after {0} pages, as asked; run the copy again to resume")]
    Stopped(u64),
    /// Opening a store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl CopyError {
    /// Whether the copy was refused before it wrote anything, for something the operator asked (exit 2), rather
    /// than failed while it ran.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            CopyError::SameLocation(_)
                | CopyError::NoSource(_)
                | CopyError::SchemaState { .. }
                | CopyError::TargetNotEmpty { .. }
                | CopyError::OtherCopy { .. }
        )
    }
}

/// What a copy did and how it verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The source, password masked.
    pub from: String,
    /// The target, password masked.
    pub to: String,
    /// The source's fingerprint (SHA-256 of its row counts and audit head).
    pub fingerprint: String,
    /// Rows written by this run (0 for `--verify-only`, or for a copy found finished).
    pub copied_rows: u64,
    /// Whether this run went on from an earlier, interrupted one.
    pub resumed: bool,
    /// Whether an earlier run had finished the copy already (this one only verified it again).
    pub finished_before: bool,
    /// The checks.
    pub verification: Verification,
}

impl Report {
    /// Whether every check passed.
    pub fn ok(&self) -> bool {
        self.verification.ok()
    }
}

/// A connection to either engine.
pub(crate) enum Conn {
    /// SQLite.
    Sqlite(sqlx::SqliteConnection),
    /// PostgreSQL.
    Postgres(sqlx::PgConnection),
}

impl Conn {
    fn is_postgres(&self) -> bool {
        matches!(self, Conn::Postgres(_))
    }

    async fn execute(&mut self, sql: &str) -> Result<(), CopyError> {
        match self {
            Conn::Sqlite(c) => {
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(&mut *c).await?;
            }
            Conn::Postgres(c) => {
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(&mut *c).await?;
            }
        }
        Ok(())
    }

    async fn begin_write(&mut self) -> Result<(), CopyError> {
        self.execute(if self.is_postgres() { "BEGIN" } else { "BEGIN IMMEDIATE" }).await
    }

    async fn close(self) -> Result<(), CopyError> {
        match self {
            Conn::Sqlite(c) => c.close().await?,
            Conn::Postgres(c) => c.close().await?,
        }
        Ok(())
    }
}

fn same_place(from: &Location, to: &Location) -> bool {
    match (from, to) {
        (Location::Sqlite(a), Location::Sqlite(b)) => {
            a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
        }
        (a, b) => a == b,
    }
}

/// A connection that only reads: SQLite opened read-only (which never checkpoints or rewrites the file).
async fn read_only(location: &Location) -> Result<Conn, CopyError> {
    Ok(match location {
        Location::Sqlite(dir) => {
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(dir.join(SqliteStore::FILE_NAME))
                .read_only(true)
                .busy_timeout(std::time::Duration::from_secs(10));
            Conn::Sqlite(options.connect().await?)
        }
        Location::Postgres(url) => Conn::Postgres(sqlx::PgConnection::connect(url).await?),
    })
}

/// Opens the source for reading only, inside one snapshot.
async fn open_source(from: &Location) -> Result<Conn, CopyError> {
    let state = status(from).await?.state();
    if state == "empty" {
        return Err(CopyError::NoSource(from.to_string()));
    }
    if state != "current" {
        return Err(CopyError::SchemaState { side: "source", state });
    }
    let mut conn = read_only(from).await?;
    conn.execute(if conn.is_postgres() { "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" } else { "BEGIN" }).await?;
    Ok(conn)
}

/// Opens the target, first creating its schema if it has none, or completing it if a run was interrupted while it
/// was being made.
async fn open_target(to: &Location) -> Result<Conn, CopyError> {
    match status(to).await?.state() {
        "empty" | "pending" => Database::open(to).await?.close().await,
        "current" => {}
        state => return Err(CopyError::SchemaState { side: "target", state }),
    }
    Ok(match to {
        Location::Sqlite(dir) => {
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(dir.join(SqliteStore::FILE_NAME))
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(std::time::Duration::from_secs(10));
            Conn::Sqlite(options.connect().await?)
        }
        Location::Postgres(url) => Conn::Postgres(sqlx::PgConnection::connect(url).await?),
    })
}

/// SHA-256 of every copied table's row count and the audit trail's head: two runs over an unchanged source agree.
async fn fingerprint(source: &mut Conn, schema: &Schema) -> Result<String, CopyError> {
    let mut text = String::new();
    for name in schema.tables.keys() {
        text.push_str(&format!("{name}={}\n", rows::count(source, name).await?));
    }
    let head: Option<String> = match source {
        Conn::Sqlite(c) => {
            sqlx::query_scalar("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(&mut *c).await?
        }
        Conn::Postgres(c) => {
            sqlx::query_scalar("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(&mut *c).await?
        }
    };
    text.push_str(&format!("audit_head={}\n", head.unwrap_or_default()));
    Ok(Digest::of(text.as_bytes()).to_string())
}

/// The target's progress: (fingerprint, finished) of the copy, and rows done per table. `None` without a progress
/// table.
type Progress = (String, bool, BTreeMap<String, u64>);

async fn read_progress(target: &mut Conn) -> Result<Option<Progress>, CopyError> {
    let sql = format!("SELECT item, fingerprint, rows_done, done FROM {PROGRESS_TABLE}");
    let rows: Vec<(String, String, i64, i64)> = match target {
        Conn::Sqlite(c) => {
            let exists: Option<String> =
                sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?1")
                    .bind(PROGRESS_TABLE)
                    .fetch_optional(&mut *c)
                    .await?;
            if exists.is_none() {
                return Ok(None);
            }
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *c).await?
        }
        Conn::Postgres(c) => {
            let exists: Option<String> =
                sqlx::query_scalar("SELECT to_regclass($1)::text").bind(PROGRESS_TABLE).fetch_one(&mut *c).await?;
            if exists.is_none() {
                return Ok(None);
            }
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *c).await?
        }
    };
    let mut whole = (String::new(), false);
    let mut done = BTreeMap::new();
    for (item, fingerprint, rows_done, finished) in rows {
        if item == WHOLE {
            whole = (fingerprint, finished != 0);
        } else {
            done.insert(item, u64::try_from(rows_done).unwrap_or(0));
        }
    }
    Ok(Some((whole.0, whole.1, done)))
}

/// Sets a progress row inside the caller's transaction.
async fn set_progress(
    target: &mut Conn,
    item: &str,
    fingerprint: &str,
    rows_done: u64,
    done: bool,
) -> Result<(), CopyError> {
    let rows_done = i64::try_from(rows_done).unwrap_or(i64::MAX);
    let done = i64::from(done);
    match target {
        Conn::Sqlite(c) => {
            sqlx::query(
                "INSERT INTO _copy_progress (item, fingerprint, rows_done, done) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (item) DO UPDATE SET rows_done = excluded.rows_done, done = excluded.done",
            )
            .bind(item)
            .bind(fingerprint)
            .bind(rows_done)
            .bind(done)
            .execute(&mut *c)
            .await?;
        }
        Conn::Postgres(c) => {
            sqlx::query(
                "INSERT INTO _copy_progress (item, fingerprint, rows_done, done) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (item) DO UPDATE SET rows_done = excluded.rows_done, done = excluded.done",
            )
            .bind(item)
            .bind(fingerprint)
            .bind(rows_done)
            .bind(done)
            .execute(&mut *c)
            .await?;
        }
    }
    Ok(())
}

/// The record tables the source holds, as (source, columns_json).
async fn record_tables(source: &mut Conn) -> Result<Vec<(String, String)>, CopyError> {
    const SQL: &str = "SELECT source, columns_json FROM record_tables ORDER BY source";
    Ok(match source {
        Conn::Sqlite(c) => sqlx::query_as(SQL).fetch_all(&mut *c).await?,
        Conn::Postgres(c) => sqlx::query_as(SQL).fetch_all(&mut *c).await?,
    })
}

/// Moves each PostgreSQL identity counter past the largest copied id, inside the caller's transaction.
async fn advance_identities(target: &mut Conn, plans: &[Plan]) -> Result<(), CopyError> {
    let Conn::Postgres(c) = target else { return Ok(()) };
    for plan in plans {
        if let Some(identity) = &plan.target.identity {
            let table = rows::quoted(plan.name());
            let column = rows::quoted(identity);
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT MAX({column}) FROM {table}), 0) + 1, \
                 false)"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&table).bind(identity).execute(&mut *c).await?;
        }
    }
    Ok(())
}

/// Whether the target may take this copy: it holds none of its tables' rows, or an unfinished (or finished) copy of
/// the source with this `fingerprint`. Returns (resumed, finished, rows done per table).
async fn admit(
    target: &mut Conn,
    schema: &Schema,
    fingerprint: &str,
) -> Result<(bool, bool, BTreeMap<String, u64>), CopyError> {
    match read_progress(target).await? {
        Some((found, finished, done)) => {
            if found != fingerprint {
                return Err(CopyError::OtherCopy { found, expected: fingerprint.to_string() });
            }
            Ok((true, finished, done))
        }
        None => {
            for name in schema.foreign_key_order() {
                let rows = rows::count(target, &name).await?;
                if rows > 0 {
                    return Err(CopyError::TargetNotEmpty { table: name, rows });
                }
            }
            Ok((false, false, BTreeMap::new()))
        }
    }
}

/// Copies the whole store at `from` into `to`, then verifies both sides; see the module's description. A copy
/// found finished is verified again; one found unfinished goes on.
pub async fn copy(from: &Location, to: &Location, options: CopyOptions) -> Result<Report, CopyError> {
    if same_place(from, to) {
        return Err(CopyError::SameLocation(from.to_string()));
    }
    let mut source = open_source(from).await?;
    let source_schema = Schema::read(&mut source).await?;
    let fingerprint = fingerprint(&mut source, &source_schema).await?;
    // A target that already has a schema is judged on a read-only connection first, so a refusal leaves its
    // files exactly as they were.
    if status(to).await?.state() == "current" {
        let mut probe = read_only(to).await?;
        let probe_schema = Schema::read(&mut probe).await?;
        admit(&mut probe, &probe_schema, &fingerprint).await?;
        probe.close().await?;
    }
    let mut target = open_target(to).await?;
    let target_schema = Schema::read(&mut target).await?;
    let (resumed, finished, mut done) = admit(&mut target, &target_schema, &fingerprint).await?;

    // Every table is paired before anything is written, so a schema the copy cannot carry writes nothing.
    schema::plan(&source_schema, !source.is_postgres(), &target_schema, !target.is_postgres(), !resumed)?;
    // The first transaction: the progress table and the record tables the target lacks.
    if !resumed {
        target.begin_write().await?;
        target
            .execute(&format!(
                "CREATE TABLE {PROGRESS_TABLE} (item TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, \
                 rows_done BIGINT NOT NULL, done BIGINT NOT NULL)"
            ))
            .await?;
        set_progress(&mut target, WHOLE, &fingerprint, 0, false).await?;
        for (source_name, columns_json) in record_tables(&mut source).await? {
            let table = records::table_of(&source_name, &columns_json)?;
            if !target_schema.tables.contains_key(&table.table_name()) {
                records::create(&mut target, &table).await?;
            }
        }
        target.execute("COMMIT").await?;
    }
    let target_schema = Schema::read(&mut target).await?;
    let plans = schema::plan(&source_schema, !source.is_postgres(), &target_schema, !target.is_postgres(), false)?;

    let mut copied_rows = 0;
    let mut pages = 0;
    if !finished {
        let page_rows = options.page_rows.max(1) as u64;
        for plan in &plans {
            let mut offset = done.remove(plan.name()).unwrap_or(0);
            loop {
                let page = rows::read_page(&mut source, &plan.source, &plan.order, offset, page_rows).await?;
                if page.is_empty() {
                    break;
                }
                target.begin_write().await?;
                rows::write_page(&mut target, &plan.target, &page).await?;
                offset += page.len() as u64;
                set_progress(&mut target, plan.name(), &fingerprint, offset, false).await?;
                target.execute("COMMIT").await?;
                copied_rows += page.len() as u64;
                pages += 1;
                if options.stop_after_pages == Some(pages) {
                    return Err(CopyError::Stopped(pages));
                }
                if (page.len() as u64) < page_rows {
                    break;
                }
            }
        }
        target.begin_write().await?;
        advance_identities(&mut target, &plans).await?;
        set_progress(&mut target, WHOLE, &fingerprint, copied_rows, true).await?;
        target.execute("COMMIT").await?;
    }

    let verification = check(&mut source, &mut target, &plans).await?;
    source.execute("COMMIT").await?;
    source.close().await?;
    target.close().await?;
    Ok(Report {
        from: from.to_string(),
        to: to.to_string(),
        fingerprint,
        copied_rows,
        resumed: resumed && !finished,
        finished_before: finished,
        verification,
    })
}

/// Verifies that `to` holds what `from` holds, changing neither: the checks a copy ends with.
pub async fn verify(from: &Location, to: &Location) -> Result<Report, CopyError> {
    if same_place(from, to) {
        return Err(CopyError::SameLocation(from.to_string()));
    }
    let mut source = open_source(from).await?;
    let source_schema = Schema::read(&mut source).await?;
    let fingerprint = fingerprint(&mut source, &source_schema).await?;
    let mut target = open_source(to).await.map_err(|e| match e {
        CopyError::SchemaState { state, .. } => CopyError::SchemaState { side: "target", state },
        CopyError::NoSource(_) => CopyError::SchemaState { side: "target", state: "empty" },
        other => other,
    })?;
    let target_schema = Schema::read(&mut target).await?;
    let plans = schema::plan(&source_schema, !source.is_postgres(), &target_schema, !target.is_postgres(), false)?;
    let verification = check(&mut source, &mut target, &plans).await?;
    source.execute("COMMIT").await?;
    target.execute("COMMIT").await?;
    source.close().await?;
    target.close().await?;
    Ok(Report {
        from: from.to_string(),
        to: to.to_string(),
        fingerprint,
        copied_rows: 0,
        resumed: false,
        finished_before: false,
        verification,
    })
}

async fn check(source: &mut Conn, target: &mut Conn, plans: &[Plan]) -> Result<Verification, CopyError> {
    let mut tables = Vec::new();
    let mut audits = (None, None);
    for plan in plans {
        let (source_rows, source_sha256, source_chain) = verify::hash_table(source, &plan.source, &plan.order).await?;
        let (target_rows, target_sha256, target_chain) = verify::hash_table(target, &plan.target, &plan.order).await?;
        if source_chain.is_some() {
            audits = (source_chain, target_chain);
        }
        tables.push(TableCheck {
            table: plan.name().to_string(),
            source_rows,
            target_rows,
            source_sha256,
            target_sha256,
        });
    }
    let ledger = verify::compare_ledgers(&verify::ledger_sums(source).await?, &verify::ledger_sums(target).await?);
    let missing = || ChainCheck { entries: 0, broken: Some("no audit_log table".into()) };
    Ok(Verification {
        tables,
        ledger,
        source_audit: audits.0.unwrap_or_else(missing),
        target_audit: audits.1.unwrap_or_else(missing),
    })
}
