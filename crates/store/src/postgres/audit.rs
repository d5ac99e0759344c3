//! [`AuditLog`] for [`PgStore`] (table `audit_log`, migration `0002_audit`), the acting context its writes are
//! recorded under ([`PgStore::acting`], [`PgStore::with_clock`], [`PgStore::carrying_out`]: the same context and
//! the same entries as [`crate::SqliteStore`]'s) and [`append_in`], which chains entries inside another write's
//! transaction.
//!
//! The head is read under `LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE`, a lock that conflicts with itself and
//! with every insert but not with reads: appenders queue for it, and the one holding it reads the head as committed
//! by all before it, so the chain never forks. An entry is chained by `audit::Entry::chain`, stored with its time as
//! an instant plus the offset it was written with, and read back as the same text, so `audit::Verifier` checks a
//! PostgreSQL chain exactly as a SQLite one.

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

/// Inserts a run of chained entries in one statement, a column an array, so a batch of decisions holds the trail's
/// lock for one round trip, not one per entry.
const INSERT: &str = "INSERT INTO audit_log (seq, at, at_offset_s, actor, origin, action, target, outcome,
                                             before_sha256, after_sha256, detail, prev, hash)
                      SELECT * FROM UNNEST($1::bigint[], $2::timestamptz[], $3::int[], $4::text[], $5::text[],
                                           $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
                                           $12::text[], $13::text[])";

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
/// written, then the trail is locked, its head read once and the entries chained in memory and inserted.
pub(crate) async fn append_in(conn: &mut sqlx::PgConnection, entries: &[NewEntry]) -> Result<Vec<Entry>, StoreError> {
    for entry in entries {
        entry.check()?;
    }
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query("LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE").execute(&mut *conn).await?;
    let head: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(&mut *conn).await?;
    let (mut next, mut prev) = match head {
        None => (1, Digest::GENESIS),
        Some((seq, hash)) => (seq_from(seq)? + 1, digest(&hash, seq, "hash")?),
    };
    let mut chained = Vec::with_capacity(entries.len());
    for entry in entries {
        let linked = Entry::chain(prev, next, entry.clone());
        next += 1;
        prev = linked.hash;
        chained.push(linked);
    }
    insert(&mut *conn, &chained).await?;
    Ok(chained)
}

async fn insert(conn: &mut sqlx::PgConnection, chained: &[Entry]) -> Result<(), StoreError> {
    let column = |f: &dyn Fn(&Entry) -> String| -> Vec<String> { chained.iter().map(f).collect() };
    let optional = |f: &dyn Fn(&Entry) -> Option<String>| -> Vec<Option<String>> { chained.iter().map(f).collect() };
    sqlx::query(INSERT)
        .bind(chained.iter().map(|c| seq_to(c.seq)).collect::<Result<Vec<i64>, StoreError>>()?)
        .bind(column(&|c| c.entry.at.to_string()))
        .bind(chained.iter().map(|c| c.entry.at.instant().offset().local_minus_utc()).collect::<Vec<i32>>())
        .bind(column(&|c| c.entry.actor.clone()))
        .bind(column(&|c| c.entry.origin.clone()))
        .bind(column(&|c| c.entry.action.clone()))
        .bind(column(&|c| c.entry.target.clone()))
        .bind(column(&|c| c.entry.outcome.clone()))
        .bind(optional(&|c| c.entry.before.map(|d| d.to_string())))
        .bind(optional(&|c| c.entry.after.map(|d| d.to_string())))
        .bind(column(&|c| c.entry.detail.clone()))
        .bind(column(&|c| c.prev.to_string()))
        .bind(column(&|c| c.hash.to_string()))
        .execute(conn)
        .await?;
    Ok(())
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
