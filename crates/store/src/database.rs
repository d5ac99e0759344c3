//! One store on either engine. [`Location`] is what `--database` names: a data directory (the embedded default),
//! `sqlite://PATH` or `postgres://…`; [`Database`] is the store opened there, implementing every register by handing
//! each call to the engine's own store, so the service layer, the server and the command line are written once.
//!
//! Opening migrates the schema (both engines run each migration in a transaction, so a migration cut short leaves
//! the schema as it was). A database whose schema is newer than this binary, or one with a migration recorded as
//! unfinished, is refused with an error saying so ([`StoreError::SchemaNewer`], [`StoreError::MigrationUnfinished`]);
//! [`status`] reports where a database stands without changing it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ::audit::{Entry, NewEntry};
use domain::{Clock, Date, LoanId, Timestamp};
use identity::Username;
use integrate::register::{
    Cell, Filter, LoadInfo, NewRecord, QuarantineRecord, RecordLoad, RecordStore, RecordTable, RecordVersion,
    RegisterError, Versions,
};
use lending::{Posting, StatusChange};
use monitor::{Alert, AlertEvent, AlertStep, NewAlert};
use policy::lifecycle::PolicyStatus;
use scoring::lifecycle::ModelStatus;
use workflow::dual::{NewProposal, Proposal, Verdict};
use workflow::{
    DecisionRecord, Disbursement, Officer, QueueItem, ReviewAction, ReviewRequest, ReviewState, ReviewStep, Reviewed,
};

use crate::alerts::{
    AlertFilter, AlertRegister, BoardCursor, BoardPage, Raised, RunDay, RunOutcome, RunRecord, RunStep,
};
use crate::erasure::{Erased, Erasure, ErasureRecord, LoanFacts};
use crate::postgres::PgLoad;
use crate::{
    Acting, ApiKeyRow, Appended, AuditLog, Booking, DecisionLog, Disbursed, DualControl, ErasureRegister,
    IdentityStore, LedgerLine, LoadWriter, LoanRecord, LoanStore, LoginAttempt, LoginFailures, ModelRecord,
    ModelRegistry, ModelStatusChange, ModelSummary, NewEvent, NewLoan, Page, PgStore, PolicyRegister, PolicySummary,
    PolicyVersion, RecentFailures, RecordCounts, Recorded, ReviewWorkflow, ScreeningEntry, ScreeningRegister,
    SessionRow, SqliteStore, StoreError, StoredEvent, UserRow,
};

/// Where a store lives, as `--database` (or `AGRIRISK_DATABASE_URL`) names it.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// An SQLite database in this data directory (its file is [`SqliteStore::FILE_NAME`]).
    Sqlite(PathBuf),
    /// A PostgreSQL database, by libpq URL.
    Postgres(String),
}

/// Longest location accepted, bytes.
pub const MAX_LOCATION_BYTES: usize = 4096;

impl Location {
    /// Reads a location: `postgres://…` or `postgresql://…`; `sqlite://PATH` where PATH is a data directory or the
    /// database file in one (`…/agririsk.sqlite`); or a plain path, a data directory. Anything else with a `://` is
    /// refused, naming what was expected.
    pub fn parse(text: &str) -> Result<Location, StoreError> {
        let bad = |problem: String| StoreError::BadLocation { location: mask(text), problem };
        if text.is_empty() {
            return Err(bad("is empty".into()));
        }
        if text.len() > MAX_LOCATION_BYTES {
            return Err(bad(format!("is over {MAX_LOCATION_BYTES} bytes")));
        }
        if text.chars().any(char::is_control) {
            return Err(bad("contains a control character".into()));
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            text.parse::<sqlx::postgres::PgConnectOptions>()
                .map_err(|e| bad(format!("is not a PostgreSQL URL: {e}")))?;
            return Ok(Location::Postgres(text.to_string()));
        }
        if let Some(path) = text.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(bad("names no path after sqlite://".into()));
            }
            let path = Path::new(path);
            if path.file_name().is_some_and(|name| name == SqliteStore::FILE_NAME) {
                let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
                return Ok(Location::Sqlite(dir.to_path_buf()));
            }
            if path.is_file() {
                return Err(bad(format!(
                    "names a file; name the data directory, or its database file {}",
                    SqliteStore::FILE_NAME
                )));
            }
            return Ok(Location::Sqlite(path.to_path_buf()));
        }
        if let Some((scheme, _)) = text.split_once("://") {
            return Err(bad(format!("scheme {scheme}:// is not one of sqlite://, postgres://, postgresql://")));
        }
        Ok(Location::Sqlite(PathBuf::from(text)))
    }

    /// The engine's name: `sqlite` or `postgres`.
    pub fn engine(&self) -> &'static str {
        match self {
            Location::Sqlite(_) => "sqlite",
            Location::Postgres(_) => "postgres",
        }
    }

    /// The migrations this binary knows for the engine, as (version, name).
    pub fn known_migrations(&self) -> Vec<(i64, &'static str)> {
        match self {
            Location::Sqlite(_) => crate::sqlite::MIGRATIONS.iter().map(|(v, n, _)| (*v, *n)).collect(),
            Location::Postgres(_) => crate::postgres::MIGRATIONS.iter().map(|(v, n, _)| (*v, *n)).collect(),
        }
    }
}

/// The location as it may be shown: a URL's password replaced by `***`.
impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Sqlite(dir) => write!(f, "sqlite://{}", dir.join(SqliteStore::FILE_NAME).display()),
            Location::Postgres(url) => f.write_str(&mask(url)),
        }
    }
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Location({self})")
    }
}

/// A URL with the password of its user part (`user:password@`) and any `password=` parameter replaced by `***`.
pub fn mask(text: &str) -> String {
    let mut shown = text.to_string();
    if let Some((scheme, rest)) = text.split_once("://") {
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        if let Some(at) = authority.rfind('@') {
            let user = &authority[..at];
            if let Some((name, _)) = user.split_once(':') {
                shown = format!("{scheme}://{name}:***@{}", &rest[at + 1..]);
            }
        }
    }
    if let Some(start) = shown.find("password=") {
        let value_start = start + "password=".len();
        let end = shown[value_start..].find('&').map_or(shown.len(), |i| value_start + i);
        shown.replace_range(value_start..end, "***");
    }
    shown
}

/// Where a database's schema stands against this binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaStatus {
    /// The engine.
    pub engine: &'static str,
    /// The location, password masked.
    pub location: String,
    /// Migrations applied, as (version, name, finished).
    pub applied: Vec<(i64, String, bool)>,
    /// The latest version this binary knows.
    pub latest_known: i64,
    /// Versions this binary knows that are not applied yet.
    pub pending: Vec<i64>,
}

impl SchemaStatus {
    /// `current`, `pending` (open migrates it), `newer` (a later binary's schema: refused), `unfinished` (a
    /// migration recorded as not finished: refused), or `empty` (no schema yet).
    pub fn state(&self) -> &'static str {
        if self.applied.iter().any(|(_, _, finished)| !finished) {
            "unfinished"
        } else if self.applied.iter().any(|(v, _, _)| *v > self.latest_known) {
            "newer"
        } else if self.applied.is_empty() {
            "empty"
        } else if self.pending.is_empty() {
            "current"
        } else {
            "pending"
        }
    }
}

/// Where the database at `location` stands, read without creating or changing anything. An SQLite data directory
/// with no database file is `empty`.
pub async fn status(location: &Location) -> Result<SchemaStatus, StoreError> {
    use sqlx::{Connection, Row};
    let known = location.known_migrations();
    let rows: Vec<(i64, String, bool)> = match location {
        Location::Sqlite(dir) => {
            let file = dir.join(SqliteStore::FILE_NAME);
            if !file.is_file() {
                Vec::new()
            } else {
                let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&file).read_only(true);
                let mut connection = sqlx::SqliteConnection::connect_with(&options).await?;
                let exists: Option<String> = sqlx::query_scalar(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
                )
                .fetch_optional(&mut connection)
                .await?;
                let rows = if exists.is_some() {
                    sqlx::query("SELECT version, description, success FROM _sqlx_migrations ORDER BY version")
                        .fetch_all(&mut connection)
                        .await?
                        .iter()
                        .map(|r| Ok((r.try_get::<i64, _>(0)?, r.try_get::<String, _>(1)?, r.try_get::<bool, _>(2)?)))
                        .collect::<Result<Vec<_>, sqlx::Error>>()?
                } else {
                    Vec::new()
                };
                connection.close().await?;
                rows
            }
        }
        Location::Postgres(url) => {
            let options: sqlx::postgres::PgConnectOptions = url.parse()?;
            let mut connection = sqlx::PgConnection::connect_with(&options).await?;
            let exists: Option<String> =
                sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations')::text").fetch_one(&mut connection).await?;
            let rows = if exists.is_some() {
                sqlx::query("SELECT version, description, success FROM _sqlx_migrations ORDER BY version")
                    .fetch_all(&mut connection)
                    .await?
                    .iter()
                    .map(|r| Ok((r.try_get::<i64, _>(0)?, r.try_get::<String, _>(1)?, r.try_get::<bool, _>(2)?)))
                    .collect::<Result<Vec<_>, sqlx::Error>>()?
            } else {
                Vec::new()
            };
            connection.close().await?;
            rows
        }
    };
    let latest_known = known.last().map_or(0, |(v, _)| *v);
    let pending = known.iter().map(|(v, _)| *v).filter(|v| !rows.iter().any(|(a, _, _)| a == v)).collect();
    Ok(SchemaStatus { engine: location.engine(), location: location.to_string(), applied: rows, latest_known, pending })
}

/// A migration run's failure, told as what the operator can do about it.
pub(crate) fn migration_error(e: sqlx::migrate::MigrateError, latest_known: i64) -> StoreError {
    use sqlx::migrate::MigrateError as M;
    match e {
        M::VersionMissing(version) => StoreError::SchemaNewer { version, latest_known },
        M::Dirty(version) => StoreError::MigrationUnfinished { version },
        M::VersionMismatch(version) => StoreError::SchemaMismatch { version },
        other => StoreError::Migration(other),
    }
}

/// The store on either engine.
#[derive(Debug, Clone)]
pub enum Database {
    /// The embedded store.
    Sqlite(SqliteStore),
    /// The PostgreSQL store.
    Postgres(PgStore),
}

/// Runs the same expression on whichever store is inside.
macro_rules! each {
    ($database:expr, $store:ident => $body:expr) => {
        match $database {
            Database::Sqlite($store) => $body,
            Database::Postgres($store) => $body,
        }
    };
}

impl Database {
    /// Opens the store at `location`, creating an SQLite data directory on first use and migrating the schema.
    pub async fn open(location: &Location) -> Result<Database, StoreError> {
        Ok(match location {
            Location::Sqlite(dir) => Database::Sqlite(SqliteStore::open(dir).await?),
            Location::Postgres(url) => {
                Database::Postgres(PgStore::open(url).await.map_err(|e| unreachable(location, e))?)
            }
        })
    }

    /// Opens a store for reading only, as `--read-database` names it: a PostgreSQL streaming standby is opened
    /// without migrating (it takes no writes) after checking its schema is exactly this binary's; an SQLite
    /// location is opened as [`Database::open`] opens it.
    pub async fn open_reader(location: &Location) -> Result<Database, StoreError> {
        match location {
            Location::Sqlite(_) => Database::open(location).await,
            Location::Postgres(url) => {
                let reached = status(location).await.map_err(|e| unreachable(location, e))?;
                match reached.state() {
                    "current" => {}
                    "newer" => {
                        let version = reached.applied.last().map_or(0, |(v, _, _)| *v);
                        return Err(StoreError::SchemaNewer { version, latest_known: reached.latest_known });
                    }
                    state => {
                        return Err(StoreError::BadLocation {
                            location: location.to_string(),
                            problem: format!(
                                "its schema is {state}, not this binary's: migrate the primary (agririsk db migrate) \
                                 and let the standby catch up"
                            ),
                        });
                    }
                }
                Ok(Database::Postgres(PgStore::open_unmigrated(url).await.map_err(|e| unreachable(location, e))?))
            }
        }
    }

    /// The engine's name: `sqlite` or `postgres`.
    pub fn engine(&self) -> &'static str {
        match self {
            Database::Sqlite(_) => "sqlite",
            Database::Postgres(_) => "postgres",
        }
    }

    /// The same store, its writes recorded in the audit trail as `actor` from `origin`.
    pub fn acting(&self, actor: impl Into<String>, origin: impl Into<String>) -> Database {
        match self {
            Database::Sqlite(s) => Database::Sqlite(s.acting(actor, origin)),
            Database::Postgres(s) => Database::Postgres(s.acting(actor, origin)),
        }
    }

    /// The same store, its audit entries noting that they carry out proposal `id`.
    pub fn carrying_out(&self, id: &str) -> Database {
        match self {
            Database::Sqlite(s) => Database::Sqlite(s.carrying_out(id)),
            Database::Postgres(s) => Database::Postgres(s.carrying_out(id)),
        }
    }

    /// The same store, its audit entries stamped by `clock`.
    pub fn with_clock(&self, clock: Arc<dyn Clock + Send + Sync>) -> Database {
        match self {
            Database::Sqlite(s) => Database::Sqlite(s.with_clock(clock)),
            Database::Postgres(s) => Database::Postgres(s.with_clock(clock)),
        }
    }

    /// Who its writes are recorded as.
    pub fn acting_as(&self) -> &Acting {
        each!(self, s => s.acting_as())
    }

    /// Closes every connection (on SQLite, checkpointing the log so only the database file remains).
    pub async fn close(self) {
        each!(self, s => s.close().await)
    }

    /// The screening register whole with its version: the version read first, so the entries hold at least
    /// everything up to it.
    pub async fn screening_snapshot(&self) -> Result<(i64, Vec<ScreeningEntry>), StoreError> {
        match self {
            Database::Sqlite(s) => {
                let reader = s.shared_reader();
                let version = reader.screening_version()?;
                Ok((version, reader.all_screening()?))
            }
            Database::Postgres(s) => s.all_screening().await,
        }
    }

    /// The screening register's version: it grows with every entry recorded.
    pub async fn screening_version(&self) -> Result<i64, StoreError> {
        match self {
            Database::Sqlite(s) => s.shared_reader().screening_version(),
            Database::Postgres(s) => s.screening_version().await,
        }
    }

    /// A number that changes whenever what the decider is built from changes: models and policies registered or
    /// moved. A server compares it to reload its decider when another process moved one.
    pub async fn decider_version(&self) -> Result<i64, StoreError> {
        const SQL: &str = "SELECT (SELECT count(*) FROM models) + (SELECT count(*) FROM model_status_changes) \
                           + (SELECT count(*) FROM policy_versions) + (SELECT count(*) FROM policy_status_changes)";
        match self {
            Database::Sqlite(s) => s.scalar_i64(SQL).await,
            Database::Postgres(s) => s.scalar_i64(SQL).await,
        }
    }

    /// The pool's connections now: (open, of which idle).
    pub fn pool_connections(&self) -> (u32, usize) {
        each!(self, s => s.pool_connections())
    }

    /// Runs a raw statement; for tests that prove the schema's own guards.
    pub async fn execute_raw(&self, sql: &str) -> Result<u64, StoreError> {
        each!(self, s => s.execute_raw(sql).await)
    }
}

/// A PostgreSQL store that could not be opened: a connection failure names the location (password masked).
fn unreachable(location: &Location, e: StoreError) -> StoreError {
    match e {
        StoreError::Database(source) if is_connection_failure(&source) => {
            StoreError::Unreachable { location: location.to_string(), reason: source.to_string() }
        }
        other => other,
    }
}

/// Whether a whole transaction that failed with this error may be run again: the connection dropped, or PostgreSQL
/// chose it as a serialisation failure (40001) or a deadlock victim (40P01). Only for writes that are idempotent by
/// key, such as decisions by request id.
pub fn is_retryable(e: &sqlx::Error) -> bool {
    is_connection_failure(e)
        || matches!(e, sqlx::Error::Database(db) if db.code().is_some_and(|code| code == "40001" || code == "40P01"))
}

/// Whether a driver error means the database could not be reached or refused the connection.
pub fn is_connection_failure(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => true,
        sqlx::Error::Database(db) => {
            // 28xxx: invalid authorisation; 3D000: no such database; 57P0x: the server is shutting down or starting.
            db.code().is_some_and(|code| code.starts_with("28") || code == "3D000" || code.starts_with("57P0"))
        }
        _ => false,
    }
}

impl LoanStore for Database {
    async fn create_loan(&self, loan: &NewLoan, events: &[NewEvent]) -> Result<(), StoreError> {
        each!(self, s => s.create_loan(loan, events).await)
    }

    async fn next_loan_id(&self) -> Result<LoanId, StoreError> {
        each!(self, s => s.next_loan_id().await)
    }

    async fn loan(&self, id: &LoanId) -> Result<Option<LoanRecord>, StoreError> {
        each!(self, s => s.loan(id).await)
    }

    async fn loans(&self) -> Result<Vec<LoanRecord>, StoreError> {
        each!(self, s => s.loans().await)
    }

    async fn loans_of(&self, borrower: &domain::BorrowerId) -> Result<Vec<LoanRecord>, StoreError> {
        each!(self, s => s.loans_of(borrower).await)
    }

    async fn event_counts(&self) -> Result<std::collections::HashMap<String, u32>, StoreError> {
        each!(self, s => s.event_counts().await)
    }

    async fn events(&self, id: &LoanId) -> Result<Vec<StoredEvent>, StoreError> {
        each!(self, s => s.events(id).await)
    }

    async fn append(
        &self,
        id: &LoanId,
        expected: u32,
        event: &NewEvent,
        postings: &[Posting],
        changes: &[StatusChange],
    ) -> Result<Appended, StoreError> {
        each!(self, s => s.append(id, expected, event, postings, changes).await)
    }

    async fn ledger(&self, id: &LoanId) -> Result<Vec<LedgerLine>, StoreError> {
        each!(self, s => s.ledger(id).await)
    }

    async fn record_changes(&self, changes: &[(LoanId, StatusChange)]) -> Result<usize, StoreError> {
        each!(self, s => s.record_changes(changes).await)
    }

    async fn changes(&self, id: &LoanId) -> Result<Vec<StatusChange>, StoreError> {
        each!(self, s => s.changes(id).await)
    }
}

impl AuditLog for Database {
    async fn append_audit(&self, entries: &[NewEntry]) -> Result<Vec<Entry>, StoreError> {
        each!(self, s => s.append_audit(entries).await)
    }

    async fn audit_entries(&self, after_seq: u64, limit: u32) -> Result<Vec<Entry>, StoreError> {
        each!(self, s => s.audit_entries(after_seq, limit).await)
    }

    async fn audit_head(&self) -> Result<Option<Entry>, StoreError> {
        each!(self, s => s.audit_head().await)
    }

    async fn audit_between(
        &self,
        from: &Timestamp,
        to: &Timestamp,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<Entry>, StoreError> {
        each!(self, s => s.audit_between(from, to, after_seq, limit).await)
    }

    async fn record_counts(&self) -> Result<RecordCounts, StoreError> {
        each!(self, s => s.record_counts().await)
    }

    async fn unaudited_records(&self, limit: u32) -> Result<Vec<String>, StoreError> {
        each!(self, s => s.unaudited_records(limit).await)
    }
}

impl ModelRegistry for Database {
    async fn register_model(&self, record: &ModelRecord, at: &str, by: &str) -> Result<ModelSummary, StoreError> {
        each!(self, s => s.register_model(record, at, by).await)
    }

    async fn model(&self, id: &str) -> Result<Option<(ModelSummary, String)>, StoreError> {
        each!(self, s => s.model(id).await)
    }

    async fn models(&self, name: Option<&str>) -> Result<Vec<ModelSummary>, StoreError> {
        each!(self, s => s.models(name).await)
    }

    async fn set_model_status(
        &self,
        id: &str,
        to: ModelStatus,
        at: &str,
        by: &str,
        reason: &str,
    ) -> Result<Vec<ModelStatusChange>, StoreError> {
        each!(self, s => s.set_model_status(id, to, at, by, reason).await)
    }

    async fn model_history(&self, id: &str) -> Result<Vec<ModelStatusChange>, StoreError> {
        each!(self, s => s.model_history(id).await)
    }

    async fn champion(&self, name: &str) -> Result<Option<ModelSummary>, StoreError> {
        each!(self, s => s.champion(name).await)
    }
}

impl DecisionLog for Database {
    async fn record_decision(&self, record: &DecisionRecord) -> Result<Recorded, StoreError> {
        each!(self, s => s.record_decision(record).await)
    }

    async fn decision(&self, decision_id: &str) -> Result<Option<DecisionRecord>, StoreError> {
        each!(self, s => s.decision(decision_id).await)
    }

    async fn decision_for_request(&self, request_id: &str) -> Result<Option<DecisionRecord>, StoreError> {
        each!(self, s => s.decision_for_request(request_id).await)
    }

    async fn decisions_of(&self, subject: &str, page: &Page) -> Result<Vec<DecisionRecord>, StoreError> {
        each!(self, s => s.decisions_of(subject, page).await)
    }

    async fn request_review(
        &self,
        decision_id: &str,
        request_id: &str,
        requested_at: &Timestamp,
        channel: &str,
        note: &str,
    ) -> Result<ReviewRequest, StoreError> {
        each!(self, s => s.request_review(decision_id, request_id, requested_at, channel, note).await)
    }

    async fn review_requests(&self, decision_id: &str) -> Result<Vec<ReviewRequest>, StoreError> {
        each!(self, s => s.review_requests(decision_id).await)
    }
}

impl PolicyRegister for Database {
    async fn submit_policy(&self, version: &PolicyVersion) -> Result<PolicySummary, StoreError> {
        each!(self, s => s.submit_policy(version).await)
    }

    async fn move_policy(
        &self,
        policy_id: &str,
        to: PolicyStatus,
        by: &str,
        at: &str,
        reason: &str,
    ) -> Result<PolicySummary, StoreError> {
        each!(self, s => s.move_policy(policy_id, to, by, at, reason).await)
    }

    async fn policies(&self, name: Option<&str>) -> Result<Vec<PolicySummary>, StoreError> {
        each!(self, s => s.policies(name).await)
    }

    async fn dispatch_policy(
        &self,
        name: &str,
        region: &str,
        segment: &str,
        on: &str,
    ) -> Result<Option<PolicySummary>, StoreError> {
        each!(self, s => s.dispatch_policy(name, region, segment, on).await)
    }
}

impl IdentityStore for Database {
    async fn add_user(&self, user: &UserRow) -> Result<(), StoreError> {
        each!(self, s => s.add_user(user).await)
    }

    async fn add_first_user(&self, user: &UserRow) -> Result<(), StoreError> {
        each!(self, s => s.add_first_user(user).await)
    }

    async fn user(&self, username: &Username) -> Result<Option<UserRow>, StoreError> {
        each!(self, s => s.user(username).await)
    }

    async fn users(&self) -> Result<Vec<UserRow>, StoreError> {
        each!(self, s => s.users().await)
    }

    async fn user_count(&self) -> Result<u64, StoreError> {
        each!(self, s => s.user_count().await)
    }

    async fn set_user_enabled(&self, username: &Username, enabled: bool, at: Timestamp) -> Result<(), StoreError> {
        each!(self, s => s.set_user_enabled(username, enabled, at).await)
    }

    async fn set_password(&self, username: &Username, password_hash: &str, at: Timestamp) -> Result<(), StoreError> {
        each!(self, s => s.set_password(username, password_hash, at).await)
    }

    async fn record_login(&self, attempt: &LoginAttempt) -> Result<(), StoreError> {
        each!(self, s => s.record_login(attempt).await)
    }

    async fn login_failures(
        &self,
        username: &str,
        address: &str,
        since: Timestamp,
    ) -> Result<LoginFailures, StoreError> {
        each!(self, s => s.login_failures(username, address, since).await)
    }

    async fn recent_failures(
        &self,
        username: &str,
        address: &str,
        since: Timestamp,
        limit: u32,
    ) -> Result<RecentFailures, StoreError> {
        each!(self, s => s.recent_failures(username, address, since, limit).await)
    }

    async fn create_session(&self, session: &SessionRow) -> Result<(), StoreError> {
        each!(self, s => s.create_session(session).await)
    }

    async fn session(&self, digest: &str) -> Result<Option<SessionRow>, StoreError> {
        each!(self, s => s.session(digest).await)
    }

    async fn touch_session(&self, digest: &str, idle_expires_at: Timestamp) -> Result<(), StoreError> {
        each!(self, s => s.touch_session(digest, idle_expires_at).await)
    }

    async fn end_session(&self, digest: &str, at: Timestamp) -> Result<(), StoreError> {
        each!(self, s => s.end_session(digest, at).await)
    }

    async fn add_key(&self, key: &ApiKeyRow) -> Result<(), StoreError> {
        each!(self, s => s.add_key(key).await)
    }

    async fn api_key(&self, id: &str) -> Result<Option<ApiKeyRow>, StoreError> {
        each!(self, s => s.api_key(id).await)
    }

    async fn api_keys(&self) -> Result<Vec<ApiKeyRow>, StoreError> {
        each!(self, s => s.api_keys().await)
    }

    async fn revoke_key(&self, id: &str, at: Timestamp) -> Result<(), StoreError> {
        each!(self, s => s.revoke_key(id, at).await)
    }

    async fn touch_keys(&self, used: &[(String, Timestamp)]) -> Result<(), StoreError> {
        each!(self, s => s.touch_keys(used).await)
    }

    async fn identity_version(&self) -> Result<i64, StoreError> {
        each!(self, s => s.identity_version().await)
    }
}

impl ScreeningRegister for Database {
    async fn record_screening(&self, entries: &[ScreeningEntry]) -> Result<usize, StoreError> {
        each!(self, s => s.record_screening(entries).await)
    }

    async fn screening_of(&self, household_id: &str) -> Result<Vec<ScreeningEntry>, StoreError> {
        each!(self, s => s.screening_of(household_id).await)
    }
}

impl ReviewWorkflow for Database {
    async fn register_officer(&self, officer: &Officer) -> Result<(), StoreError> {
        each!(self, s => s.register_officer(officer).await)
    }

    async fn officer(&self, officer_id: &str) -> Result<Option<Officer>, StoreError> {
        each!(self, s => s.officer(officer_id).await)
    }

    async fn set_authority(
        &self,
        officer_id: &str,
        authority: domain::Money,
        at: &Timestamp,
        proposal_id: &str,
    ) -> Result<Officer, StoreError> {
        each!(self, s => s.set_authority(officer_id, authority, at, proposal_id).await)
    }

    async fn review(
        &self,
        decision_id: &str,
        officer_id: &str,
        action: ReviewAction,
        reason: &str,
        acted_at: &Timestamp,
    ) -> Result<Reviewed, StoreError> {
        each!(self, s => s.review(decision_id, officer_id, action, reason, acted_at).await)
    }

    async fn review_state(&self, decision_id: &str) -> Result<ReviewState, StoreError> {
        each!(self, s => s.review_state(decision_id).await)
    }

    async fn review_actions(&self, decision_id: &str) -> Result<Vec<ReviewStep>, StoreError> {
        each!(self, s => s.review_actions(decision_id).await)
    }

    async fn review_queue(&self, limit: u32) -> Result<Vec<QueueItem>, StoreError> {
        each!(self, s => s.review_queue(limit).await)
    }

    async fn claim_next(
        &self,
        officer_id: &str,
        at: &domain::Timestamp,
        lease: workflow::Lease,
        within: &(dyn Fn(&QueueItem) -> bool + Sync),
    ) -> Result<Option<workflow::Claim>, StoreError> {
        each!(self, s => s.claim_next(officer_id, at, lease, within).await)
    }

    async fn release_claim(
        &self,
        decision_id: &str,
        officer_id: &str,
        at: &domain::Timestamp,
    ) -> Result<bool, StoreError> {
        each!(self, s => s.release_claim(decision_id, officer_id, at).await)
    }

    async fn claim_on(&self, decision_id: &str) -> Result<Option<workflow::Hold>, StoreError> {
        each!(self, s => s.claim_on(decision_id).await)
    }

    async fn record_disbursement(
        &self,
        disbursement: &Disbursement,
        booking: &Booking,
    ) -> Result<Disbursed, StoreError> {
        each!(self, s => s.record_disbursement(disbursement, booking).await)
    }

    async fn disbursement_of(&self, decision_id: &str) -> Result<Option<Disbursement>, StoreError> {
        each!(self, s => s.disbursement_of(decision_id).await)
    }
}

impl DualControl for Database {
    fn for_proposal(&self, id: &str) -> Database {
        match self {
            Database::Sqlite(s) => Database::Sqlite(s.for_proposal(id)),
            Database::Postgres(s) => Database::Postgres(s.for_proposal(id)),
        }
    }

    async fn propose(&self, proposal: &NewProposal) -> Result<Proposal, StoreError> {
        each!(self, s => s.propose(proposal).await)
    }

    async fn proposal(&self, id: &str) -> Result<Option<Proposal>, StoreError> {
        each!(self, s => s.proposal(id).await)
    }

    async fn proposals(&self, open_only: bool, limit: u32) -> Result<Vec<Proposal>, StoreError> {
        each!(self, s => s.proposals(open_only, limit).await)
    }

    async fn decide_proposal(
        &self,
        id: &str,
        verdict: Verdict,
        by: &str,
        at: &Timestamp,
        reason: &str,
    ) -> Result<Proposal, StoreError> {
        each!(self, s => s.decide_proposal(id, verdict, by, at, reason).await)
    }
}

impl ErasureRegister for Database {
    async fn erase(&self, erasure: &Erasure, tables: &[RecordTable]) -> Result<Erased, StoreError> {
        each!(self, s => s.erase(erasure, tables).await)
    }

    async fn loan_facts(&self, household_id: &str) -> Result<LoanFacts, StoreError> {
        each!(self, s => s.loan_facts(household_id).await)
    }

    async fn erasures_of(&self, household_id: &str) -> Result<Vec<ErasureRecord>, StoreError> {
        each!(self, s => s.erasures_of(household_id).await)
    }

    async fn erasures(&self) -> Result<Vec<ErasureRecord>, StoreError> {
        each!(self, s => s.erasures().await)
    }
}

impl AlertRegister for Database {
    async fn raise(&self, alert: &NewAlert) -> Result<Raised, StoreError> {
        each!(self, s => s.raise(alert).await)
    }

    async fn act(&self, alert_id: i64, event: &AlertEvent) -> Result<Alert, StoreError> {
        each!(self, s => s.act(alert_id, event).await)
    }

    async fn alert(&self, alert_id: i64) -> Result<Option<Alert>, StoreError> {
        each!(self, s => s.alert(alert_id).await)
    }

    async fn alert_history(&self, alert_id: i64) -> Result<Vec<AlertStep>, StoreError> {
        each!(self, s => s.alert_history(alert_id).await)
    }

    async fn alert_histories(&self, alert_ids: &[i64]) -> Result<HashMap<i64, Vec<AlertStep>>, StoreError> {
        each!(self, s => s.alert_histories(alert_ids).await)
    }

    async fn alert_board(
        &self,
        filter: &AlertFilter,
        after: Option<&BoardCursor>,
        limit: u32,
    ) -> Result<BoardPage, StoreError> {
        each!(self, s => s.alert_board(filter, after, limit).await)
    }

    async fn overdue(&self, on: Date, after: Option<(Date, i64)>, limit: u32) -> Result<Vec<Alert>, StoreError> {
        each!(self, s => s.overdue(on, after, limit).await)
    }

    async fn run_step(&self, alert_id: i64, step: &RunStep, at: &Timestamp) -> Result<Alert, StoreError> {
        each!(self, s => s.run_step(alert_id, step, at).await)
    }

    async fn apply_run(&self, day: &RunDay) -> Result<RunOutcome, StoreError> {
        each!(self, s => s.apply_run(day).await)
    }

    async fn runs(&self, from: Date, to: Date) -> Result<Vec<RunRecord>, StoreError> {
        each!(self, s => s.runs(from, to).await)
    }

    async fn open_alerts(&self, after_alert_id: i64, limit: u32) -> Result<Vec<Alert>, StoreError> {
        each!(self, s => s.open_alerts(after_alert_id, limit).await)
    }
}

/// A load of records in progress on either engine.
pub enum AnyLoad {
    /// On SQLite.
    Sqlite(LoadWriter),
    /// On PostgreSQL.
    Postgres(PgLoad),
}

impl RecordLoad for AnyLoad {
    fn load_id(&self) -> i64 {
        match self {
            AnyLoad::Sqlite(l) => l.load_id(),
            AnyLoad::Postgres(l) => l.load_id(),
        }
    }

    fn take_latest(&mut self) -> std::collections::HashMap<String, RecordVersion> {
        match self {
            AnyLoad::Sqlite(l) => l.take_latest(),
            AnyLoad::Postgres(l) => l.take_latest(),
        }
    }

    async fn write(
        &mut self,
        record: NewRecord,
        version: u32,
        valid_from: Option<String>,
    ) -> Result<(), RegisterError> {
        match self {
            AnyLoad::Sqlite(l) => RecordLoad::write(l, record, version, valid_from).await,
            AnyLoad::Postgres(l) => RecordLoad::write(l, record, version, valid_from).await,
        }
    }

    fn quarantine(&mut self, record: QuarantineRecord) {
        match self {
            AnyLoad::Sqlite(l) => RecordLoad::quarantine(l, record),
            AnyLoad::Postgres(l) => RecordLoad::quarantine(l, record),
        }
    }

    async fn commit(self, info: &LoadInfo) -> Result<(), RegisterError> {
        match self {
            AnyLoad::Sqlite(l) => RecordLoad::commit(l, info).await,
            AnyLoad::Postgres(l) => RecordLoad::commit(l, info).await,
        }
    }
}

impl RecordStore for Database {
    type Load = AnyLoad;

    async fn ensure_record_table(&self, table: &RecordTable) -> Result<(), RegisterError> {
        each!(self, s => RecordStore::ensure_record_table(s, table).await)
    }

    async fn load_of_file(&self, source: &str, file_sha256: &str) -> Result<Option<LoadInfo>, RegisterError> {
        each!(self, s => RecordStore::load_of_file(s, source, file_sha256).await)
    }

    async fn loads(&self) -> Result<Vec<LoadInfo>, RegisterError> {
        each!(self, s => RecordStore::loads(s).await)
    }

    async fn load_quarantine(&self, load_id: i64) -> Result<Vec<QuarantineRecord>, RegisterError> {
        each!(self, s => RecordStore::load_quarantine(s, load_id).await)
    }

    async fn record_keys(&self, source: &str) -> Result<Vec<String>, RegisterError> {
        each!(self, s => RecordStore::record_keys(s, source).await)
    }

    async fn record_sources(&self) -> Result<Vec<String>, RegisterError> {
        each!(self, s => RecordStore::record_sources(s).await)
    }

    async fn scan_records(
        &self,
        table: &RecordTable,
        columns: &[&str],
        filter: Filter<'_>,
        versions: Versions<'_>,
        order_by: Option<&str>,
    ) -> Result<Vec<Vec<Cell>>, RegisterError> {
        each!(self, s => RecordStore::scan_records(s, table, columns, filter, versions, order_by).await)
    }

    async fn last_row(&self, table: &RecordTable) -> Result<i64, RegisterError> {
        each!(self, s => RecordStore::last_row(s, table).await)
    }

    async fn begin_load(&self, table: &RecordTable) -> Result<AnyLoad, RegisterError> {
        Ok(match self {
            Database::Sqlite(s) => AnyLoad::Sqlite(RecordStore::begin_load(s, table).await?),
            Database::Postgres(s) => AnyLoad::Postgres(RecordStore::begin_load(s, table).await?),
        })
    }
}
