//! [`AuditLog`] for [`SqliteStore`] (table `audit_log`, migration `0010_audit`), the acting context every write is
//! recorded under ([`Acting`], [`SqliteStore::acting`]) and the helpers that chain entries inside another write's
//! transaction: [`append_in`] on an sqlx connection, [`Chain`] on the decision writer's rusqlite one. Each reads the
//! head once inside the transaction (which holds the write lock from `BEGIN IMMEDIATE`) and chains in memory.

use std::sync::Arc;

use ::audit::{Digest, Entry, NewEntry};
use domain::{Clock, Timestamp};

use super::{SqliteStore, corrupt};
use crate::StoreError;
pub use crate::acting::Acting;
pub(super) use crate::acting::Context;
use crate::acting::WallClock;
use crate::audit::{AuditLog, RecordCounts};

/// The columns of `audit_log`, in the order [`entry_from_row`] and the inserts use.
const COLUMNS: &str =
    "seq, at, actor, origin, action, target, outcome, before_sha256, after_sha256, detail, prev, hash";

const INSERT: &str = "INSERT INTO audit_log (seq, at, actor, origin, action, target, outcome, before_sha256,
                                             after_sha256, detail, prev, hash)
                      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";

impl SqliteStore {
    /// This store acting as `actor` from `origin`: a cheap clone (the same pool) whose writes record them in the
    /// audit trail.
    pub fn acting(&self, actor: impl Into<String>, origin: impl Into<String>) -> SqliteStore {
        let mut store = self.clone();
        store.context.acting = Acting { actor: actor.into(), origin: origin.into() };
        store
    }

    /// This store carrying out dual-control proposal `id`: the audit entries of its writes that carry an act out
    /// (a policy or model moved, a loan event appended, an officer's authority set) name the proposal in their
    /// detail (`"proposal": ID`).
    pub fn carrying_out(&self, id: &str) -> SqliteStore {
        let mut store = self.clone();
        store.context.proposal = Some(id.to_string());
        store
    }

    /// Adds the proposal this store carries out, if any, to each entry's JSON detail.
    pub(crate) fn note_proposal(&self, entries: &mut [NewEntry]) {
        self.context.note_proposal(entries);
    }

    /// This store stamping audit entries with `clock` (by default the wall clock).
    pub fn with_clock(&self, clock: Arc<dyn Clock + Send + Sync>) -> SqliteStore {
        let mut store = self.clone();
        store.context.clock = clock;
        store
    }

    /// The clock audit entries are stamped with unless a store is given another.
    pub(crate) fn default_clock() -> Arc<dyn Clock + Send + Sync> {
        Arc::new(WallClock)
    }

    /// Who this store's writes are recorded as.
    pub fn acting_as(&self) -> &Acting {
        &self.context.acting
    }

    /// An audit entry of this store's actor and origin, now, with outcome `ok`.
    pub(crate) fn audit_entry(&self, action: &str, target: String, after: Option<Digest>) -> NewEntry {
        self.context.entry(action, target, after)
    }

    /// The clock audit entries are stamped with.
    pub(crate) fn audit_clock(&self) -> Arc<dyn Clock + Send + Sync> {
        self.context.clock.clone()
    }
}

/// Where the next entry goes: its number and the hash it chains to. Read once per transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Chain {
    next: u64,
    prev: Digest,
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

impl Chain {
    fn from_head(head: Option<(i64, String)>) -> Result<Chain, StoreError> {
        Ok(match head {
            None => Chain { next: 1, prev: Digest::GENESIS },
            Some((seq, hash)) => Chain { next: seq_from(seq)? + 1, prev: digest(&hash, seq, "hash")? },
        })
    }

    /// The head, read inside the transaction of `conn`.
    pub(crate) async fn read(conn: &mut sqlx::SqliteConnection) -> Result<Chain, StoreError> {
        let head: Option<(i64, String)> =
            sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(conn).await?;
        Chain::from_head(head)
    }

    /// The head, read inside the decision writer's transaction.
    pub(crate) fn read_rusqlite(tx: &rusqlite::Transaction<'_>) -> Result<Chain, StoreError> {
        use rusqlite::OptionalExtension;
        let head = tx
            .prepare_cached("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")?
            .query_row([], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)))
            .optional()?;
        Chain::from_head(head)
    }

    /// Chains `entry`, which the caller has checked, as the next entry.
    pub(crate) fn link(&mut self, entry: NewEntry) -> Entry {
        let chained = Entry::chain(self.prev, self.next, entry);
        self.next += 1;
        self.prev = chained.hash;
        chained
    }

    /// Chains `entry` and inserts it on the decision writer's transaction.
    pub(crate) fn append_rusqlite(
        &mut self,
        tx: &rusqlite::Transaction<'_>,
        entry: NewEntry,
    ) -> Result<Entry, StoreError> {
        entry.check()?;
        let mut probe = *self;
        let chained = probe.link(entry);
        let e = &chained.entry;
        tx.prepare_cached(INSERT)?.execute(rusqlite::params![
            seq_to(chained.seq)?,
            e.at.to_string(),
            e.actor,
            e.origin,
            e.action,
            e.target,
            e.outcome,
            e.before.map(|d| d.to_string()),
            e.after.map(|d| d.to_string()),
            e.detail,
            chained.prev.to_string(),
            chained.hash.to_string(),
        ])?;
        *self = probe;
        Ok(chained)
    }
}

async fn insert(conn: &mut sqlx::SqliteConnection, chained: &Entry) -> Result<(), StoreError> {
    let e = &chained.entry;
    sqlx::query(INSERT)
        .bind(seq_to(chained.seq)?)
        .bind(e.at.to_string())
        .bind(&e.actor)
        .bind(&e.origin)
        .bind(&e.action)
        .bind(&e.target)
        .bind(&e.outcome)
        .bind(e.before.map(|d| d.to_string()))
        .bind(e.after.map(|d| d.to_string()))
        .bind(&e.detail)
        .bind(chained.prev.to_string())
        .bind(chained.hash.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// Appends `entries` after the head inside the open write transaction of `conn` (one query for the head, one insert
/// per entry); every entry is checked before any is written.
pub(crate) async fn append_in(
    conn: &mut sqlx::SqliteConnection,
    entries: &[NewEntry],
) -> Result<Vec<Entry>, StoreError> {
    for entry in entries {
        entry.check()?;
    }
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let mut chain = Chain::read(&mut *conn).await?;
    let mut chained = Vec::with_capacity(entries.len());
    for entry in entries {
        let linked = chain.link(entry.clone());
        insert(&mut *conn, &linked).await?;
        chained.push(linked);
    }
    Ok(chained)
}

fn optional_digest(text: Option<String>, seq: i64, column: &str) -> Result<Option<Digest>, StoreError> {
    text.map(|t| digest(&t, seq, column)).transpose()
}

/// A stored entry read by rusqlite, exactly as stored; a value that cannot be read names the entry.
fn entry_from_row(row: &rusqlite::Row<'_>) -> Result<Entry, StoreError> {
    let seq: i64 = row.get(0)?;
    let at: String = row.get(1)?;
    let entry = NewEntry {
        at: Timestamp::parse(&at).map_err(|e| corrupt(format!("audit entry {seq}: at: {e}")))?,
        actor: row.get(2)?,
        origin: row.get(3)?,
        action: row.get(4)?,
        target: row.get(5)?,
        outcome: row.get(6)?,
        before: optional_digest(row.get(7)?, seq, "before_sha256")?,
        after: optional_digest(row.get(8)?, seq, "after_sha256")?,
        detail: row.get(9)?,
    };
    Ok(Entry {
        seq: seq_from(seq)?,
        entry,
        prev: digest(&row.get::<_, String>(10)?, seq, "prev")?,
        hash: digest(&row.get::<_, String>(11)?, seq, "hash")?,
    })
}

/// Runs a read of entries on a read-only rusqlite connection of its own, on the runtime's blocking pool: a page of
/// thousands of rows decoded there costs a fraction of what the sqlx pool's per-row hop to its worker thread costs
/// (`audit verify` reads every entry of the chain).
async fn read_entries(
    path: &std::path::Path,
    sql: String,
    params: Vec<rusqlite::types::Value>,
) -> Result<Vec<Entry>, StoreError> {
    let path = path.to_path_buf();
    let read = move || -> Result<Vec<Entry>, StoreError> {
        let connection = rusqlite::Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        connection.busy_timeout(std::time::Duration::from_secs(10))?;
        let mut statement = connection.prepare(&sql)?;
        let mut rows = statement.query(rusqlite::params_from_iter(params))?;
        let mut entries = Vec::new();
        while let Some(row) = rows.next()? {
            entries.push(entry_from_row(row)?);
        }
        Ok(entries)
    };
    tokio::task::spawn_blocking(read).await.map_err(|e| corrupt(format!("audit read task: {e}")))?
}

/// A timestamp as stored text in China Standard Time, so text order is time order.
fn stored_instant(at: &Timestamp) -> String {
    Timestamp::from_instant(at.instant().with_timezone(&domain::china_standard_time())).to_string()
}

impl AuditLog for SqliteStore {
    async fn append_audit(&self, entries: &[NewEntry]) -> Result<Vec<Entry>, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let chained = append_in(&mut tx, entries).await?;
        tx.commit().await?;
        Ok(chained)
    }

    async fn audit_entries(&self, after_seq: u64, limit: u32) -> Result<Vec<Entry>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM audit_log WHERE seq > ?1 ORDER BY seq LIMIT ?2");
        read_entries(self.path(), sql, vec![seq_to(after_seq)?.into(), i64::from(limit).into()]).await
    }

    async fn audit_head(&self) -> Result<Option<Entry>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT 1");
        Ok(read_entries(self.path(), sql, Vec::new()).await?.pop())
    }

    async fn audit_between(
        &self,
        from: &Timestamp,
        to: &Timestamp,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<Entry>, StoreError> {
        let sql =
            format!("SELECT {COLUMNS} FROM audit_log WHERE at >= ?1 AND at < ?2 AND seq > ?3 ORDER BY seq LIMIT ?4");
        let params = vec![
            stored_instant(from).into(),
            stored_instant(to).into(),
            seq_to(after_seq)?.into(),
            i64::from(limit).into(),
        ];
        read_entries(self.path(), sql, params).await
    }

    async fn record_counts(&self) -> Result<RecordCounts, StoreError> {
        let (loans, decisions): (i64, i64) =
            sqlx::query_as("SELECT (SELECT COUNT(*) FROM loans), (SELECT COUNT(*) FROM decisions)")
                .fetch_one(&self.pool)
                .await?;
        let count = |n: i64| u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("a negative count {n}")));
        Ok(RecordCounts { loans: count(loans)?, decisions: count(decisions)? })
    }

    async fn unaudited_records(&self, limit: u32) -> Result<Vec<String>, StoreError> {
        // Only asked when the counts disagree, so the anti-join's scan of the trail is paid on a broken store alone.
        let sql = "SELECT target FROM (
                SELECT 0 AS kind, 'loan:' || id AS target FROM loans l WHERE NOT EXISTS
                    (SELECT 1 FROM audit_log a WHERE a.action = 'loan.create' AND a.target = 'loan:' || l.id)
                UNION ALL
                SELECT 1, 'decision:' || decision_id FROM decisions d WHERE NOT EXISTS
                    (SELECT 1 FROM audit_log a WHERE a.action = 'decision.record' AND a.target = 'decision:' || d.decision_id)
            ) ORDER BY kind, target LIMIT ?1";
        Ok(sqlx::query_scalar(sql).bind(i64::from(limit)).fetch_all(&self.pool).await?)
    }
}
