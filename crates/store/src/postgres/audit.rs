//! [`AuditLog`] for [`PgStore`] (table `audit_log`, migration `0002_audit`), the acting context its writes are
//! recorded under ([`PgStore::acting`], [`PgStore::with_clock`], [`PgStore::carrying_out`]: the same context and
//! the same entries as [`crate::SqliteStore`]'s) and [`append_in`], which chains entries inside another write's
//! transaction.
//!
//! The database chains: `audit_append` (migration `0014_one_trip_decisions`) takes
//! `LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE`, a lock that conflicts with itself and with every insert but
//! not with reads, so appenders queue for it and the one holding it reads the head as committed by all before it and
//! the chain never forks; it links the entries with `audit::link`'s bytes and inserts them, all in one round trip.
//! Every link it returns to [`append_in`] is checked against [`Entry::chain`] before the caller commits (the
//! one-statement decision batch, its own transaction, checks its links after). An entry is stored with its
//! time as an instant plus the offset it was written with, and read back as the same text, so `audit::Verifier`
//! checks a PostgreSQL chain exactly as a SQLite one.

use std::sync::Arc;

use ::audit::{Digest, Entry, NewEntry};
use chrono::{DateTime, FixedOffset};
use domain::{Clock, Timestamp};
use sqlx::Row;

use super::{PgStore, corrupt};
use crate::StoreError;
use crate::acting::Acting;
use crate::audit::{AuditLog, RecordCounts};

/// The columns of `audit_log` as [`entry_from_row`] reads them: the time as whole seconds since the epoch and the
/// offset it was written with.
const COLUMNS: &str = "seq, extract(epoch FROM at)::bigint AS at_epoch_s, at_offset_s, actor, origin, action, target,
                       outcome, before_sha256, after_sha256, detail, prev, hash";

/// Appends a run of entries in one call of `audit_append` (migration `0014_one_trip_decisions`): the database locks
/// the trail, reads its head, chains the entries and inserts them, so an append is one round trip.
const APPEND: &str = "SELECT chained_seq, chained_prev, chained_hash
                      FROM audit_append($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[],
                                        $7::text[], $8::text[], $9::text[], $10::text[])";

impl PgStore {
    /// This store acting as `actor` from `origin`: a cheap clone (the same pool) whose writes record them in the
    /// audit trail.
    pub fn acting(&self, actor: impl Into<String>, origin: impl Into<String>) -> PgStore {
        let mut store = self.clone();
        store.context.acting = Acting { actor: actor.into(), origin: origin.into() };
        store
    }

    /// This store carrying out dual-control proposal `id`: the audit entries of its writes that carry an act out
    /// name the proposal in their detail (`"proposal": ID`).
    pub fn carrying_out(&self, id: &str) -> PgStore {
        let mut store = self.clone();
        store.context.proposal = Some(id.to_string());
        store
    }

    /// This store stamping audit entries with `clock` (by default the wall clock).
    pub fn with_clock(&self, clock: Arc<dyn Clock + Send + Sync>) -> PgStore {
        let mut store = self.clone();
        store.context.clock = clock;
        store
    }

    /// Who this store's writes are recorded as.
    pub fn acting_as(&self) -> &Acting {
        &self.context.acting
    }
}

fn digest(text: &str, seq: i64, column: &str) -> Result<Digest, StoreError> {
    Digest::parse(text).map_err(|e| corrupt(format!("audit entry {seq}: {column}: {e}")))
}

fn seq_from(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| corrupt(format!("audit entry number {value}")))
}

fn seq_to(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| corrupt(format!("audit entry number {value} out of range")))
}

/// Appends `entries` after the head inside the open transaction of `conn`: every entry is checked before any is
/// written, then the database chains and inserts them in one call ([`APPEND`]) and each hash it made is checked
/// against [`Entry::chain`]'s, so a chain the verifier would refuse is never committed.
pub(crate) async fn append_in(conn: &mut sqlx::PgConnection, entries: &[NewEntry]) -> Result<Vec<Entry>, StoreError> {
    for entry in entries {
        entry.check()?;
    }
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let columns = AuditColumns::of(entries.iter());
    let links: Vec<(i64, String, String)> = columns.bind(sqlx::query_as(APPEND)).fetch_all(conn).await?;
    chained(entries, links)
}

/// The audit columns of a run of entries, a column an array, as `audit_append` and `record_decisions` take them.
pub(crate) struct AuditColumns {
    at: Vec<String>,
    at_offset_s: Vec<i32>,
    actor: Vec<String>,
    origin: Vec<String>,
    action: Vec<String>,
    target: Vec<String>,
    outcome: Vec<String>,
    before: Vec<Option<String>>,
    after: Vec<Option<String>>,
    detail: Vec<String>,
}

impl AuditColumns {
    /// The columns of `entries`, in order.
    pub(crate) fn of<'a>(entries: impl Iterator<Item = &'a NewEntry>) -> AuditColumns {
        let mut columns = AuditColumns {
            at: Vec::new(),
            at_offset_s: Vec::new(),
            actor: Vec::new(),
            origin: Vec::new(),
            action: Vec::new(),
            target: Vec::new(),
            outcome: Vec::new(),
            before: Vec::new(),
            after: Vec::new(),
            detail: Vec::new(),
        };
        for entry in entries {
            columns.at.push(entry.at.to_string());
            columns.at_offset_s.push(entry.at.instant().offset().local_minus_utc());
            columns.actor.push(entry.actor.clone());
            columns.origin.push(entry.origin.clone());
            columns.action.push(entry.action.clone());
            columns.target.push(entry.target.clone());
            columns.outcome.push(entry.outcome.clone());
            columns.before.push(entry.before.map(|d| d.to_string()));
            columns.after.push(entry.after.map(|d| d.to_string()));
            columns.detail.push(entry.detail.clone());
        }
        columns
    }

    /// Binds the ten columns, in `audit_append`'s order, as the query's next parameters.
    pub(crate) fn bind<'q, O>(
        self,
        query: sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>,
    ) -> sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments> {
        query
            .bind(self.at)
            .bind(self.at_offset_s)
            .bind(self.actor)
            .bind(self.origin)
            .bind(self.action)
            .bind(self.target)
            .bind(self.outcome)
            .bind(self.before)
            .bind(self.after)
            .bind(self.detail)
    }
}

/// `entries` as the database chained them (`links`: number, previous hash and hash, in order), each link checked:
/// numbers consecutive, each entry after the one before, and every hash [`Entry::chain`]'s own.
pub(crate) fn chained(entries: &[NewEntry], links: Vec<(i64, String, String)>) -> Result<Vec<Entry>, StoreError> {
    if links.len() != entries.len() {
        return Err(corrupt(format!("the trail chained {} of {} entries", links.len(), entries.len())));
    }
    let mut chained: Vec<Entry> = Vec::with_capacity(entries.len());
    for (entry, (seq, prev, hash)) in entries.iter().zip(links) {
        let linked = Entry::chain(digest(&prev, seq, "prev")?, seq_from(seq)?, entry.clone());
        let follows = chained.last().is_none_or(|last| last.seq + 1 == linked.seq && last.hash == linked.prev);
        if !follows || linked.hash != digest(&hash, seq, "hash")? {
            return Err(corrupt(format!("audit entry {seq}: the database's link disagrees with the chain's")));
        }
        chained.push(linked);
    }
    Ok(chained)
}

/// The stored time of entry `seq`: the instant, shown in the offset it was written with.
fn stored_at(seq: i64, epoch_s: i64, offset_s: i32) -> Result<Timestamp, StoreError> {
    let offset = FixedOffset::east_opt(offset_s).ok_or_else(|| corrupt(format!("audit entry {seq}: at offset")))?;
    let instant = DateTime::from_timestamp(epoch_s, 0).ok_or_else(|| corrupt(format!("audit entry {seq}: at")))?;
    Ok(Timestamp::from_instant(instant.with_timezone(&offset)))
}

/// A stored entry, exactly as stored; a value that cannot be read names the entry.
fn entry_from_row(row: &sqlx::postgres::PgRow) -> Result<Entry, StoreError> {
    let seq: i64 = row.try_get("seq")?;
    let entry = NewEntry {
        at: stored_at(seq, row.try_get("at_epoch_s")?, row.try_get("at_offset_s")?)?,
        actor: row.try_get("actor")?,
        origin: row.try_get("origin")?,
        action: row.try_get("action")?,
        target: row.try_get("target")?,
        outcome: row.try_get("outcome")?,
        before: row
            .try_get::<Option<String>, _>("before_sha256")?
            .map(|t| digest(&t, seq, "before_sha256"))
            .transpose()?,
        after: row
            .try_get::<Option<String>, _>("after_sha256")?
            .map(|t| digest(&t, seq, "after_sha256"))
            .transpose()?,
        detail: row.try_get("detail")?,
    };
    Ok(Entry {
        seq: seq_from(seq)?,
        entry,
        prev: digest(&row.try_get::<String, _>("prev")?, seq, "prev")?,
        hash: digest(&row.try_get::<String, _>("hash")?, seq, "hash")?,
    })
}

impl AuditLog for PgStore {
    async fn append_audit(&self, entries: &[NewEntry]) -> Result<Vec<Entry>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let chained = append_in(&mut tx, entries).await?;
        tx.commit().await?;
        Ok(chained)
    }

    async fn audit_entries(&self, after_seq: u64, limit: u32) -> Result<Vec<Entry>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(seq_to(after_seq)?)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(entry_from_row).collect()
    }

    async fn audit_head(&self) -> Result<Option<Entry>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT 1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_optional(&self.pool).await?;
        row.as_ref().map(entry_from_row).transpose()
    }

    async fn audit_between(
        &self,
        from: &Timestamp,
        to: &Timestamp,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<Entry>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_log
             WHERE at >= $1::timestamptz AND at < $2::timestamptz AND seq > $3 ORDER BY seq LIMIT $4"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(from.to_string())
            .bind(to.to_string())
            .bind(seq_to(after_seq)?)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(entry_from_row).collect()
    }

    async fn record_counts(&self) -> Result<RecordCounts, StoreError> {
        let (loans, decisions): (i64, i64) =
            sqlx::query_as("SELECT (SELECT COUNT(*) FROM loans), (SELECT COUNT(*) FROM decisions)")
                .fetch_one(&self.pool)
                .await?;
        let count = |n: i64| u64::try_from(n).map_err(|_| corrupt(format!("a negative count {n}")));
        Ok(RecordCounts { loans: count(loans)?, decisions: count(decisions)? })
    }

    async fn unaudited_records(&self, limit: u32) -> Result<Vec<String>, StoreError> {
        // Only asked when the counts disagree, so the anti-join's scan of the trail is paid on a broken store alone.
        // Loans first, then decisions, each by target, as on SQLite.
        let sql = "SELECT target FROM (
                SELECT 0 AS kind, 'loan:' || id AS target FROM loans l WHERE NOT EXISTS
                    (SELECT 1 FROM audit_log a WHERE a.action = 'loan.create' AND a.target = 'loan:' || l.id)
                UNION ALL
                SELECT 1, 'decision:' || decision_id FROM decisions d WHERE NOT EXISTS
                    (SELECT 1 FROM audit_log a
                     WHERE a.action = 'decision.record' AND a.target = 'decision:' || d.decision_id)
            ) AS missing ORDER BY kind, target COLLATE \"C\" LIMIT $1";
        Ok(sqlx::query_scalar(sql).bind(i64::from(limit)).fetch_all(&self.pool).await?)
    }
}
