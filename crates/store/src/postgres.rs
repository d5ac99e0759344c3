//! The PostgreSQL backend: [`PgStore`], opened from a `postgres://` URL, with embedded migrations of its own
//! (`migrations/postgres/`, numbered from 0001 independently of SQLite's).
//!
//! It implements every register of the store, each passing the same conformance suite as [`crate::SqliteStore`]:
//! [`LoanStore`] (here), [`crate::AuditLog`] ([`audit`]), [`crate::ModelRegistry`], [`crate::DecisionLog`],
//! [`crate::PolicyRegister`], [`crate::IdentityStore`], [`crate::ScreeningRegister`], [`crate::ReviewWorkflow`],
//! [`crate::DualControl`], the record register, [`crate::ErasureRegister`] and [`crate::AlertRegister`] ([`alerts`]). The schema uses PostgreSQL's own
//! types (money `bigint` fen, dates `date`, instants `timestamptz`) but everything a trait returns reads back exactly as on
//! SQLite: dates are read as `YYYY-MM-DD` text and parsed by the domain, and an audit entry's time keeps its offset.
//!
//! Concurrency: each method is one transaction at PostgreSQL's default isolation (read committed). An append locks
//! its loan's row (`SELECT … FOR UPDATE`) before it reads the key and the event count, so a second writer with the
//! same expected count waits, then sees the first one's event and is refused; the audit chain is extended under a
//! table lock (see [`audit`]). Locks are always taken in that order (loan row, then audit trail), so writers never
//! deadlock. Append-only tables are enforced by triggers (`refuse_change`) on update, delete and truncate.
//!
//! Model and policy moves lock the rows of a model's name or a policy's group before they read a status
//! ([`models`], [`policies`]); user and key changes lock the identity version's row first ([`identity`]), and a
//! screening load the screening version's row ([`screening`]).
//!
//! [`crate::ReviewWorkflow`] ([`workflow`]) and [`crate::DualControl`] ([`dual`]) are here too: a review or a
//! disbursement locks its decision's row first, a proposal's decision the proposal's row.

use domain::{BorrowerId, Date, LoanId, Money};
use lending::{DatedEvent, LoanEvent, LoanTerms, Posting, StatusChange};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Connection, Row, SqlSafeStr};

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
mod records;
mod screening;
mod workflow;

pub(crate) use audit::append_in;
pub use records::PgLoad;
pub(crate) use records::table_ddl as record_table_ddl;

/// The latest migration this binary knows.
fn latest_migration() -> i64 {
    MIGRATIONS.last().map_or(0, |(version, _, _)| *version)
}

/// Schema migrations, embedded in the binary and applied in order on open.
pub(crate) const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "loans", include_str!("../migrations/postgres/0001_loans.sql")),
    (2, "audit", include_str!("../migrations/postgres/0002_audit.sql")),
    (3, "models", include_str!("../migrations/postgres/0003_models.sql")),
    (4, "decisions", include_str!("../migrations/postgres/0004_decisions.sql")),
    (5, "policies", include_str!("../migrations/postgres/0005_policies.sql")),
    (6, "screening", include_str!("../migrations/postgres/0006_screening.sql")),
    (7, "identity", include_str!("../migrations/postgres/0007_identity.sql")),
    (8, "workflow", include_str!("../migrations/postgres/0008_workflow.sql")),
    (9, "dual_control", include_str!("../migrations/postgres/0009_dual_control.sql")),
    (10, "loads", include_str!("../migrations/postgres/0010_loads.sql")),
    (11, "erasures", include_str!("../migrations/postgres/0011_erasures.sql")),
    (12, "compact decisions", include_str!("../migrations/postgres/0012_compact_decisions.sql")),
    (13, "open reviews", include_str!("../migrations/postgres/0013_open_reviews.sql")),
    (14, "one-trip decisions", include_str!("../migrations/postgres/0014_one_trip_decisions.sql")),
    (15, "alerts", include_str!("../migrations/postgres/0015_alerts.sql")),
    (16, "monitor runs", include_str!("../migrations/postgres/0016_monitor_runs.sql")),
];

/// Connections a store's pool opens at most. Small: a replica serves many requests on few connections, and the
/// server's `max_connections` is shared by every replica.
const MAX_CONNECTIONS: u32 = 8;

/// A loan by id, the columns [`PgStore::loan_from_row`] reads, the date as the domain's text.
const LOAN_BY_ID: &str =
    "SELECT id, borrower_id, rules, terms_json, to_char(booked_on, 'YYYY-MM-DD') AS booked_on FROM loans WHERE id = $1";

/// Every loan in id order, as [`LOAN_BY_ID`].
const LOANS_BY_ID: &str =
    "SELECT id, borrower_id, rules, terms_json, to_char(booked_on, 'YYYY-MM-DD') AS booked_on FROM loans ORDER BY id";

/// The PostgreSQL store.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    /// Who its writes are recorded as in the audit trail ([`PgStore::acting`]).
    context: crate::acting::Context,
    /// Sources whose record table exists, as last seen (shared by every clone). A record table is never dropped (a
    /// first load's own table replaces the empty one in one transaction), so a source once seen needs no query
    /// again; one not seen yet is looked up.
    sources: std::sync::Arc<std::sync::RwLock<std::collections::HashSet<String>>>,
}

/// Names the backend and who it acts as, never the pool: its connect options hold the URL's password.
impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("context", &self.context).finish_non_exhaustive()
    }
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

fn parse_date(text: &str) -> Result<Date, StoreError> {
    domain::parse_date(text).map_err(corrupt)
}

fn to_u32(value: i32, what: &str) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| corrupt(format!("{what} {value} out of range")))
}

fn seq_param(seq: u32, what: &str) -> Result<i32, StoreError> {
    i32::try_from(seq).map_err(|_| corrupt(format!("{what} {seq} out of range")))
}

/// The pool every store opens: at most [`MAX_CONNECTIONS`], and a request waits at most 5 s for one, so a database
/// that went away is answered as not ready (503) well within a request's 10 s rather than by the request timeout.
fn pool_options() -> PgPoolOptions {
    PgPoolOptions::new().max_connections(MAX_CONNECTIONS).acquire_timeout(std::time::Duration::from_secs(5))
}

/// The connection options of `url`, with every statement planned for the values it runs with
/// (`plan_cache_mode = force_custom_plan`). A prepared statement's cached generic plan is made once per connection,
/// from the table as it was then: a server started on a young database kept a sequential scan of `decisions` for
/// the batch's request-id lookup as the table grew (the whole table compared per batch: the top of a `perf` profile
/// of PostgreSQL under load), until an autovacuum analyze happened to invalidate it. Planning each execution costs
/// tens of microseconds on these statements; a stale plan cost a scan.
fn connect_options(url: &str) -> Result<PgConnectOptions, StoreError> {
    let options: PgConnectOptions = url.parse()?;
    Ok(options.options([("plan_cache_mode", "force_custom_plan")]))
}

impl PgStore {
    /// Opens the store at `url` (`postgres://USER@HOST:PORT/DATABASE`, any form libpq accepts as a URL) and applies
    /// pending migrations. The database must exist; its schema is created on first open.
    pub async fn open(url: &str) -> Result<PgStore, StoreError> {
        let options = connect_options(url)?;
        // One connection first, which fails at once on a server that is not there (a pool would retry until its
        // acquire timeout), and migrates the schema before the pool opens.
        let mut first = sqlx::PgConnection::connect_with(&options).await?;
        let migrations = MIGRATIONS
            .iter()
            .map(|(version, name, sql)| {
                Migration::new(*version, (*name).into(), MigrationType::Simple, sql.into_sql_str(), false)
            })
            .collect();
        Migrator::with_migrations(migrations)
            .run(&mut first)
            .await
            .map_err(|e| crate::database::migration_error(e, latest_migration()))?;
        first.close().await?;
        let pool = pool_options().connect_with(options).await?;
        Ok(PgStore { pool, context: crate::acting::Context::default(), sources: std::sync::Arc::default() })
    }

    /// The pool's connections now: (open, of which idle); read-only, for the server's metrics.
    pub fn pool_connections(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }

    /// Opens the store at `url` without migrating it: for a read-only streaming standby, which takes no writes of
    /// its own (its schema is the primary's, which [`crate::Database::open_reader`] checks is this binary's).
    pub async fn open_unmigrated(url: &str) -> Result<PgStore, StoreError> {
        let options = connect_options(url)?;
        let pool = pool_options().connect_with(options).await?;
        Ok(PgStore { pool, context: crate::acting::Context::default(), sources: std::sync::Arc::default() })
    }

    /// Closes every connection.
    pub async fn close(self) {
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

    fn loan_from_row(row: &sqlx::postgres::PgRow) -> Result<LoanRecord, StoreError> {
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

    /// The audit entry of event `seq` of a loan: action `loan.<kind>`, detail `{"event":seq}`, after digest
    /// [`crate::audit::event_digest`] over the event and its ledger lines, exactly as SQLite makes it.
    fn event_entry(
        &self,
        loan: &LoanId,
        seq: u32,
        event: &NewEvent,
        payload: &str,
        postings: &[Posting],
    ) -> ::audit::NewEntry {
        let (kind, _) = event_columns(&event.dated.event);
        let lines: Vec<crate::audit::LineDigest<'_>> = postings
            .iter()
            .map(|p| crate::audit::LineDigest {
                date: event.dated.date,
                component: p.component,
                amount: p.amount,
                reallocates: p.reallocates.as_ref().map(|r| r.as_str()),
            })
            .collect();
        let digest = crate::audit::event_digest(seq, event.dated.date, event.key.as_deref(), payload, &lines);
        let mut entry =
            self.context.entry(&format!("loan.{}", kind.replace('-', "_")), format!("loan:{loan}"), Some(digest));
        entry.detail = serde_json::json!({ "event": seq }).to_string();
        entry
    }

    /// The audit entry of a status change recorded: action `loan.change`, the change's columns digested.
    fn change_entry(&self, id: &LoanId, c: &StatusChange) -> ::audit::NewEntry {
        let (kind, from, to) = change_columns(&c.change);
        let date = c.date.to_string();
        let digest = crate::audit::record_digest(&[id.as_str(), &date, kind, &from, &to, &c.cause]);
        let mut entry = self.context.entry("loan.change", format!("loan:{id}"), Some(digest));
        entry.detail = serde_json::json!({ "kind": kind, "date": date }).to_string();
        entry
    }
}

/// Inserts event `seq` of a loan with its ledger lines; returns the audit entry that records it for the caller to
/// append.
async fn insert_event(
    store: &PgStore,
    tx: &mut sqlx::PgConnection,
    loan: &LoanId,
    seq: u32,
    event: &NewEvent,
    postings: &[Posting],
) -> Result<::audit::NewEntry, StoreError> {
    let (kind, amount) = event_columns(&event.dated.event);
    let payload = serde_json::to_string(&event.dated.event).map_err(corrupt)?;
    let entry = store.event_entry(loan, seq, event, &payload, postings);
    sqlx::query(
        "INSERT INTO loan_events (loan_id, seq, effective_date, kind, amount_fen, idempotency_key, payload_json)
         VALUES ($1, $2, $3::date, $4, $5, $6, $7)",
    )
    .bind(loan.as_str())
    .bind(seq_param(seq, "event seq")?)
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
             VALUES ($1, $2, $3, $4::date, $5, $6, $7)",
        )
        .bind(loan.as_str())
        .bind(seq_param(seq, "event seq")?)
        .bind(i32::try_from(line + 1).map_err(corrupt)?)
        .bind(event.dated.date.to_string())
        .bind(posting.component)
        .bind(posting.amount.fen())
        .bind(posting.reallocates.as_ref().map(|r| r.as_str().to_string()))
        .execute(&mut *tx)
        .await?;
    }
    Ok(entry)
}

/// Inserts a status change unless the same one is recorded already; returns 1 if it was new.
async fn insert_change(tx: &mut sqlx::PgConnection, id: &LoanId, c: &StatusChange) -> Result<usize, StoreError> {
    let (kind, from, to) = change_columns(&c.change);
    let done = sqlx::query(
        "INSERT INTO status_changes (loan_id, change_date, kind, from_value, to_value, cause)
         VALUES ($1, $2::date, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
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

impl LoanStore for PgStore {
    async fn create_loan(&self, loan: &NewLoan, events: &[NewEvent]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let terms_json = serde_json::to_string(&loan.terms).map_err(corrupt)?;
        // The primary key decides between two writers booking one id at once: the loser inserts nothing.
        let done = sqlx::query(
            "INSERT INTO loans (id, borrower_id, product, principal_fen, annual_rate, start_date, rules, terms_json,
                                booked_on)
             VALUES ($1, $2, $3, $4, $5::numeric, $6::date, $7, $8, $9::date) ON CONFLICT (id) DO NOTHING",
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
        if done.rows_affected() == 0 {
            return Err(StoreError::DuplicateLoan(loan.id.clone()));
        }
        let mut entries = vec![self.context.entry(
            "loan.create",
            format!("loan:{}", loan.id),
            Some(crate::audit::loan_digest(loan)?),
        )];
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
            let taken: Option<i32> = sqlx::query_scalar("SELECT 1 FROM loans WHERE id = $1")
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
        let row = sqlx::query(LOAN_BY_ID).bind(id.as_str()).fetch_optional(&self.pool).await?;
        row.as_ref().map(Self::loan_from_row).transpose()
    }

    async fn loans(&self) -> Result<Vec<LoanRecord>, StoreError> {
        let rows = sqlx::query(LOANS_BY_ID).fetch_all(&self.pool).await?;
        rows.iter().map(Self::loan_from_row).collect()
    }

    async fn loans_of(&self, borrower: &BorrowerId) -> Result<Vec<LoanRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, borrower_id, rules, terms_json, to_char(booked_on, 'YYYY-MM-DD') AS booked_on FROM loans
             WHERE borrower_id = $1 ORDER BY id",
        )
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
            "SELECT seq, to_char(effective_date, 'YYYY-MM-DD') AS effective_date, idempotency_key, payload_json
             FROM loan_events WHERE loan_id = $1 ORDER BY seq",
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
        let mut tx = self.pool.begin().await?;
        // The loan's row lock serialises its writers: whoever holds it reads the key and the count as committed by
        // every writer before it (read committed takes a fresh snapshot per statement).
        let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM loans WHERE id = $1 FOR UPDATE")
            .bind(id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::LoanNotFound(id.clone()));
        }
        if let Some(key) = &event.key {
            let earlier = sqlx::query(
                "SELECT seq, to_char(effective_date, 'YYYY-MM-DD') AS effective_date, payload_json
                 FROM loan_events WHERE loan_id = $1 AND idempotency_key = $2",
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
        let found: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM loan_events WHERE loan_id = $1")
            .bind(id.as_str())
            .fetch_one(&mut *tx)
            .await?;
        let found = u32::try_from(found).map_err(|_| corrupt(format!("event count {found} out of range")))?;
        if found != expected {
            return Err(StoreError::Conflict { loan: id.clone(), expected, found });
        }
        let seq = expected + 1;
        let mut entries = vec![insert_event(self, &mut tx, id, seq, event, postings).await?];
        for change in changes {
            if insert_change(&mut tx, id, change).await? == 1 {
                entries.push(self.change_entry(id, change));
            }
        }
        self.context.note_proposal(&mut entries);
        append_in(&mut tx, &entries).await?;
        tx.commit().await?;
        Ok(Appended::New { seq })
    }

    async fn ledger(&self, id: &LoanId) -> Result<Vec<LedgerLine>, StoreError> {
        let rows = sqlx::query(
            "SELECT event_seq, to_char(posting_date, 'YYYY-MM-DD') AS posting_date, component, amount_fen, reallocates
             FROM ledger_postings WHERE loan_id = $1 ORDER BY event_seq, line",
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
        let mut tx = self.pool.begin().await?;
        let mut added = 0;
        let mut entries = Vec::new();
        for (id, change) in changes {
            if insert_change(&mut tx, id, change).await? == 1 {
                added += 1;
                entries.push(self.change_entry(id, change));
            }
        }
        append_in(&mut tx, &entries).await?;
        tx.commit().await?;
        Ok(added)
    }

    async fn changes(&self, id: &LoanId) -> Result<Vec<StatusChange>, StoreError> {
        let rows = sqlx::query(
            "SELECT to_char(change_date, 'YYYY-MM-DD') AS change_date, kind, from_value, to_value, cause
             FROM status_changes WHERE loan_id = $1 ORDER BY change_date, id",
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
