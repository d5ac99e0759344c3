//! [`DecisionWriter`]: a connection of its own, used synchronously from one thread, that records batches of
//! decisions (group commit). A server deciding thousands of applications a second spends its store time here, so
//! the writer avoids what an async pool costs per statement: every statement is a cached prepared statement of
//! fixed shape run in-process (no hop to a worker thread and back), and the connection is the only one that
//! writes decisions, so its page cache stays valid from one batch to the next.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

use super::decisions::{COLUMNS, DECISIONS, decision_entry_by};
use super::{Acting, Chain, SqliteStore};
use crate::StoreError;
use crate::decisions::{Recorded, decided_before, decision_id_taken, packed, stored_record};
use workflow::DecisionRecord;

/// A decision queued for the writer: the record, who asked for it and from where, the digest its audit entry
/// records and the record packed — made by the caller's thread when it is queued ([`Queued::new`]), so the single
/// writer thread neither hashes nor deflates every record's ten kilobytes of JSON itself.
#[derive(Debug, Clone)]
pub struct Queued {
    /// The decision.
    pub record: DecisionRecord,
    /// Who recorded it, from where.
    pub acting: Acting,
    /// `store::audit::decision_digest` of the record.
    digest: ::audit::Digest,
    /// The record's JSON, packed (`crate::decisions::packed`).
    packed: Vec<u8>,
}

impl Queued {
    /// A decision to queue, its digest and packed form made now.
    pub fn new(record: DecisionRecord, acting: Acting) -> Queued {
        let digest = crate::audit::decision_digest(&record);
        let packed = packed::pack(record.record_json.as_str());
        Queued { record, acting, digest, packed }
    }

    /// The record's JSON, packed.
    pub(crate) fn packed(&self) -> &[u8] {
        &self.packed
    }

    /// Its audit entry, stamped `at`: the same on every engine.
    pub(crate) fn entry(&self, at: domain::Timestamp) -> ::audit::NewEntry {
        decision_entry_by(&self.acting.actor, &self.acting.origin, at, &self.record, self.digest)
    }
}

/// What an acknowledged decision survives. The store's own pool (loans, repayments, disbursements: everything
/// that moves money) always syncs at every commit; this chooses only for the decision writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous = FULL`: the log is synced at every commit; a committed decision survives a killed process, a
    /// crash of the operating system and a power cut.
    #[default]
    PowerLoss,
    /// `synchronous = NORMAL`: a commit hands the log to the operating system, which syncs it before each
    /// checkpoint; a committed decision survives a killed or crashed process, but a power cut or an operating
    /// system crash can lose the decisions committed since the last sync (SQLite, "PRAGMA synchronous").
    ProcessCrash,
}

impl Durability {
    fn synchronous(self) -> &'static str {
        match self {
            Durability::PowerLoss => "FULL",
            Durability::ProcessCrash => "NORMAL",
        }
    }
}

/// A connection of its own to an existing store database, used from one thread, waiting up to 10 s for a lock.
fn connect(path: &Path, synchronous: &str) -> Result<Connection, StoreError> {
    let connection =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    connection.pragma_update(None, "synchronous", synchronous)?;
    connection.busy_timeout(Duration::from_secs(10))?;
    Ok(connection)
}

/// Records decisions on a connection of its own; see [`DecisionWriter::record_decisions`].
pub struct DecisionWriter {
    connection: Connection,
    /// Who decisions recorded without an actor of their own are recorded as (the store's acting context).
    acting: Acting,
    /// The clock audit entries are stamped with, read once per batch.
    clock: std::sync::Arc<dyn domain::Clock + Send + Sync>,
}

impl std::fmt::Debug for DecisionWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecisionWriter").field("acting", &self.acting).finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// A decision writer on this store's database (already migrated by [`SqliteStore::open`]).
    pub fn decision_writer(&self, durability: Durability) -> Result<DecisionWriter, StoreError> {
        let mut writer = DecisionWriter::open(self.path(), durability)?;
        writer.acting = self.acting_as().clone();
        writer.clock = self.audit_clock();
        Ok(writer)
    }
}

impl DecisionWriter {
    fn open(path: &Path, durability: Durability) -> Result<DecisionWriter, StoreError> {
        let connection = connect(path, durability.synchronous())?;
        // WAL is a property of the file, set when the store was created.
        let mode: String = connection.pragma_update_and_check(None, "journal_mode", "wal", |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Corrupt(format!("{} is in journal mode {mode}, not WAL", path.display())));
        }
        connection.pragma_update(None, "foreign_keys", "ON")?;
        // The writer's own checkpoint is the one that rewinds the log to its start; with a [`Checkpointer`] copying
        // beside it, it finds the pages already copied and costs little more than its syncs, which stall the
        // commit they run in. Every 10,000 pages (~40 MiB of log, a few seconds of a busy server) keeps those
        // stalls out of the 99th percentile; SQLite's default (1,000) puts one about every 70 ms at 2,000 decisions/s
        // (about 7 pages a decision).
        connection.pragma_update(None, "wal_autocheckpoint", 10_000)?;
        // SQLite's default page cache (2 MiB) is kept on purpose: the writer needs only the index pages it is
        // inserting into, and with a 64 MiB cache SQLite spent a tenth of the server's time walking the cache at
        // every commit (pcache1TruncateUnsafe).
        connection.set_prepared_statement_cache_capacity(8);
        let clock = SqliteStore::default_clock();
        Ok(DecisionWriter { connection, acting: Acting::default(), clock })
    }

    /// Records many decisions in one transaction — one commit, one sync of the journal, for all of them. Each
    /// record gets the result [`crate::DecisionLog::record_decision`] would give it, in order, as if recorded one
    /// after another (a request repeated within the batch finds the first); a refused record writes nothing and
    /// does not stop the others. A database failure fails the whole batch and writes nothing.
    ///
    /// Each decision recorded appends its audit entry (`decision.record`) in the same transaction, as the acting
    /// context of the store the writer was made from; [`DecisionWriter::record_decisions_as`] names one per record.
    pub fn record_decisions(
        &mut self,
        records: &[DecisionRecord],
    ) -> Result<Vec<Result<Recorded, StoreError>>, StoreError> {
        let acting = self.acting.clone();
        let made = records.iter().map(|r| {
            (
                r,
                &acting,
                crate::audit::decision_digest(r),
                std::borrow::Cow::Owned(packed::pack(r.record_json.as_str())),
            )
        });
        self.record_batch(made, records.len())
    }

    /// [`DecisionWriter::record_decisions`], each record with who recorded it and from where (the caller that
    /// queued it) and its digest made beforehand, for its audit entry.
    pub fn record_decisions_as(&mut self, records: &[Queued]) -> Result<Vec<Result<Recorded, StoreError>>, StoreError> {
        let made = records.iter().map(|q| (&q.record, &q.acting, q.digest, std::borrow::Cow::Borrowed(&q.packed[..])));
        self.record_batch(made, records.len())
    }

    fn record_batch<'a>(
        &mut self,
        records: impl Iterator<Item = (&'a DecisionRecord, &'a Acting, ::audit::Digest, std::borrow::Cow<'a, [u8]>)>,
        count: usize,
    ) -> Result<Vec<Result<Recorded, StoreError>>, StoreError> {
        if count == 0 {
            return Ok(Vec::new());
        }
        // One clock read and one read of the chain's head per batch; entries are chained in memory.
        let at = self.clock.now();
        let tx = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut chain: Option<Chain> = None;
        let mut results = Vec::with_capacity(count);
        {
            let mut earlier = tx.prepare_cached(&format!("SELECT {COLUMNS} FROM {DECISIONS} WHERE request_id = ?1"))?;
            let mut taken = tx.prepare_cached("SELECT 1 FROM decisions WHERE decision_id = ?1")?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO decisions (decision_id, request_id, request_sha256, subject, outcome, policy_version,
                                        model_id, decided_at, record_json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, '')",
            )?;
            let mut insert_packed =
                tx.prepare_cached("INSERT INTO decision_records (decision_id, packed) VALUES (?1, ?2)")?;
            for (record, acting, digest, packed) in records {
                if let Err(refused) = record.check() {
                    results.push(Err(refused.into()));
                    continue;
                }
                let stored = earlier
                    .query_row([&record.request_id], |row| {
                        Ok(DecisionRecord {
                            decision_id: row.get::<_, String>(0)?.parse().map_err(|e: domain::IdError| {
                                rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
                            })?,
                            request_id: row.get(1)?,
                            request_sha256: row.get(2)?,
                            subject: row.get(3)?,
                            outcome: row.get::<_, String>(4)?.parse().map_err(|e: workflow::UnknownOutcome| {
                                rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, e.into())
                            })?,
                            policy_version: row.get(5)?,
                            model_id: row.get(6)?,
                            decided_at: row.get::<_, String>(7)?.parse().map_err(|e: domain::TimestampError| {
                                rusqlite::Error::FromSqlConversionFailure(7, rusqlite::types::Type::Text, e.into())
                            })?,
                            record_json: stored_record(&row.get::<_, String>(0)?, row.get(8)?, row.get(9)?).map_err(
                                |e| rusqlite::Error::FromSqlConversionFailure(8, rusqlite::types::Type::Text, e.into()),
                            )?,
                        })
                    })
                    .optional()?;
                match decided_before(record, stored) {
                    Ok(Some(recorded)) => {
                        results.push(Ok(recorded));
                        continue;
                    }
                    Err(refused) => {
                        results.push(Err(refused));
                        continue;
                    }
                    Ok(None) => {}
                }
                if taken.exists([record.decision_id.as_str()])? {
                    results.push(Err(decision_id_taken(record)));
                    continue;
                }
                insert.execute(params![
                    record.decision_id.as_str(),
                    record.request_id,
                    record.request_sha256,
                    record.subject,
                    record.outcome.code(),
                    record.policy_version,
                    record.model_id,
                    record.decided_at.to_string(),
                ])?;
                insert_packed.execute(params![record.decision_id.as_str(), &packed[..]])?;
                let chain = match &mut chain {
                    Some(chain) => chain,
                    None => chain.insert(Chain::read_rusqlite(&tx)?),
                };
                chain.append_rusqlite(&tx, decision_entry_by(&acting.actor, &acting.origin, at, record, digest))?;
                results.push(Ok(Recorded::New));
            }
        }
        tx.commit()?;
        Ok(results)
    }
}

/// Copies the write-ahead log back into the database file from a connection of its own, alongside the decision
/// writer. The writer keeps SQLite's automatic checkpoint (so the log is rewound from the start after each one and
/// stays a few MiB), but with this one running continuously the pages left for the writer to copy inside a commit
/// are few: a checkpoint of 1,300 pages inside the commit path took 6 ms (measured), and the server's p99
/// latency halved once this ran beside it (see docs/benchmarks.md).
#[derive(Debug)]
pub struct Checkpointer {
    connection: Connection,
}

impl SqliteStore {
    /// A checkpointer on this store's database.
    pub fn checkpointer(&self) -> Result<Checkpointer, StoreError> {
        Ok(Checkpointer { connection: connect(self.path(), "FULL")? })
    }
}

impl Checkpointer {
    /// A passive checkpoint: copies what no reader still needs, without waiting for or blocking the writer.
    /// Returns the pages in the log and the pages copied so far.
    pub fn checkpoint(&self) -> Result<(i64, i64), StoreError> {
        Ok(self.connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| Ok((row.get(1)?, row.get(2)?)))?)
    }
}
