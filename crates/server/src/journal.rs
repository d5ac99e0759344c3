//! Group commit of decisions. Every decision is acknowledged only after the SQLite transaction holding it has
//! committed (WAL; by default `synchronous = FULL`: the commit syncs the write-ahead log, so a killed process or a
//! power cut never loses an acknowledged decision; `--decision-durability process-crash` gives `NORMAL`, which a
//! killed process cannot lose but a power cut can, see [`store::Durability`]). One commit per decision would cap
//! the server at the disk's syncs per second; instead one writer takes every decision that arrived while the
//! previous batch was being made durable and records them in one transaction
//! ([`store::DecisionWriter::record_decisions`]), then answers each.
//!
//! The writer is a thread of its own with a connection of its own, used synchronously: through the async pool a
//! batch was five round trips to a connection thread, and on the server's runtime each waited its turn behind the
//! requests being decided, which put several milliseconds into every answer (see docs/benchmarks.md).
//!
//! The journal reports its queue depth and each batch's commit latency to `GET /metrics` ([`crate::telemetry`]).

use std::sync::Arc;
use std::time::Instant;

use store::{Acting, Database, DecisionWriter, Durability, PgStore, Queued, Recorded, SqliteStore, StoreError};
use tokio::sync::{mpsc, oneshot};
use workflow::DecisionRecord;

use crate::telemetry::Histogram;

/// Writers committing batches at once on PostgreSQL (each holds one of the pool's connections while it commits).
/// Two: a batch is one statement now, and its audit entries hold the trail's lock to the commit, so a third writer
/// only queued for the lock (median latency 10.0–10.4 ms with three against 8.9–9.7 ms with two, same saturation;
/// docs/benchmarks.md, 2026-12-07 13:20).
const PG_WRITERS: usize = 2;

/// Most times a batch is tried on PostgreSQL when its connection dropped or it was a deadlock victim.
const RETRIES: u32 = 3;

/// Most decisions in one transaction.
pub const MAX_BATCH: usize = 256;

type Reply = oneshot::Sender<Result<Recorded, StoreError>>;

/// The handle handlers record decisions through.
#[derive(Debug, Clone)]
pub struct Journal {
    queue: mpsc::Sender<(Queued, Reply)>,
    commits: Arc<Histogram>,
}

impl Journal {
    /// Starts the writer; it stops when the last handle is dropped. On SQLite it is a thread with a connection of
    /// its own; on PostgreSQL a task on the server's runtime, committing each batch through the pool (the server
    /// waits for the database there, not for a file sync of its own).
    pub fn start(store: &Database, durability: Durability) -> Result<Journal, StoreError> {
        let (queue, incoming) = mpsc::channel::<(Queued, Reply)>(4 * MAX_BATCH);
        let commits = Arc::new(Histogram::default());
        match store {
            Database::Sqlite(store) => start_sqlite(store, durability, incoming, &queue, &commits)?,
            Database::Postgres(store) => {
                // `synchronous_commit` is the server's (on by default): a commit is acknowledged once its log is
                // flushed, so an acknowledged decision survives a crash of PostgreSQL or its machine.
                // Several writers, each committing a batch on a connection of its own while the next gathers: a
                // commit waits for PostgreSQL's log flush, and PostgreSQL flushes concurrent commits together.
                let _ = durability;
                let incoming = Arc::new(tokio::sync::Mutex::new(incoming));
                for _ in 0..PG_WRITERS {
                    let timed = Timed { writer: Writer::Postgres(store.clone()), commits: Arc::clone(&commits) };
                    tokio::spawn(write_shared(timed, Arc::clone(&incoming)));
                }
            }
        }
        Ok(Journal { queue, commits })
    }

    /// Decisions waiting for the writer, not counting the batch it is committing.
    pub fn queue_depth(&self) -> usize {
        self.queue.max_capacity().saturating_sub(self.queue.capacity())
    }

    /// How long the writer's transactions took, one observation per transaction.
    pub fn commit_durations(&self) -> &Histogram {
        &self.commits
    }

    /// Records a decision durably, with its audit entry naming who asked and from where; returns once it is
    /// committed (or refused).
    pub async fn record(&self, record: DecisionRecord, acting: Acting) -> Result<Recorded, StoreError> {
        let (reply, answer) = oneshot::channel();
        let stopped = || StoreError::Corrupt("the decision writer has stopped".into());
        // The record's digest for its audit entry is made here, on the request's thread, not the writer's.
        self.queue.send((Queued::new(record, acting), reply)).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// The SQLite writer: a thread of its own over a connection of its own, and a checkpointer beside it.
fn start_sqlite(
    store: &SqliteStore,
    durability: Durability,
    incoming: mpsc::Receiver<(Queued, Reply)>,
    queue: &mpsc::Sender<(Queued, Reply)>,
    commits: &Arc<Histogram>,
) -> Result<(), StoreError> {
    let writer = store.decision_writer(durability)?;
    // Only the channel is awaited on this runtime; the writing itself is synchronous.
    let runtime = tokio::runtime::Builder::new_current_thread().build().map_err(io_error)?;
    let timed = Timed { writer: Writer::Sqlite(writer), commits: Arc::clone(commits) };
    std::thread::Builder::new()
        .name("decision-writer".into())
        .spawn(move || runtime.block_on(write_batches(timed, incoming)))
        .map_err(io_error)?;
    let checkpointer = store.checkpointer()?;
    let alive = queue.downgrade();
    std::thread::Builder::new()
        .name("wal-checkpointer".into())
        .spawn(move || {
            // Copies as long as there is something new to copy, then looks again every 20 ms.
            let mut copied_before = 0;
            let mut last_failure = String::new();
            while alive.upgrade().is_some() {
                let copied = match checkpointer.checkpoint() {
                    Ok((_, copied)) => copied,
                    Err(e) => {
                        // Said once, not every 20 ms; the writer's own checkpoints still bound the log.
                        let failure = e.to_string();
                        if failure != last_failure {
                            tracing::warn!(error = %failure, "background checkpoint failed");
                            last_failure = failure;
                        }
                        0
                    }
                };
                if copied <= 0 || copied == copied_before {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                copied_before = copied;
            }
        })
        .map_err(io_error)?;
    Ok(())
}

fn io_error(source: std::io::Error) -> StoreError {
    StoreError::Io { path: "decision writer thread".into(), source }
}

/// The engine's writer.
enum Writer {
    /// SQLite's connection of its own, used synchronously on the writer's thread.
    Sqlite(DecisionWriter),
    /// PostgreSQL's pool.
    Postgres(PgStore),
}

/// The writer, timing each transaction.
struct Timed {
    writer: Writer,
    commits: Arc<Histogram>,
}

impl Timed {
    async fn record_decisions(&mut self, records: &[Queued]) -> Result<Vec<Result<Recorded, StoreError>>, StoreError> {
        let started = Instant::now();
        let recorded = match &mut self.writer {
            Writer::Sqlite(writer) => writer.record_decisions_as(records),
            Writer::Postgres(store) => {
                // A dropped connection or a deadlock victim is tried again, a bounded number of times: every decision
                // is keyed by its request id, so a batch that did commit answers its decisions the second time.
                let mut attempt = 1;
                loop {
                    match store.record_decisions_as(records).await {
                        Err(StoreError::Database(e)) if attempt < RETRIES && store::database::is_retryable(&e) => {
                            tracing::warn!(error = %e, attempt, "a batch of decisions is tried again");
                            tokio::time::sleep(std::time::Duration::from_millis(50 * u64::from(attempt))).await;
                            attempt += 1;
                        }
                        other => break other,
                    }
                }
            }
        };
        self.commits.observe(started.elapsed());
        recorded
    }
}

/// The writer's loop: one transaction for everything that is waiting, then the answers.
async fn write_batches(writer: Timed, incoming: mpsc::Receiver<(Queued, Reply)>) {
    write_shared(writer, Arc::new(tokio::sync::Mutex::new(incoming))).await;
}

/// [`write_batches`] for one of several writers taking turns at the queue: each takes what is waiting, lets the
/// next take what arrives while it commits, and answers once its own batch committed.
async fn write_shared(mut writer: Timed, incoming: Arc<tokio::sync::Mutex<mpsc::Receiver<(Queued, Reply)>>>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        if incoming.lock().await.recv_many(&mut batch, MAX_BATCH).await == 0 {
            return;
        }
        let (records, replies): (Vec<Queued>, Vec<Reply>) = batch.drain(..).unzip();
        match writer.record_decisions(&records).await {
            Ok(results) => {
                for (reply, result) in replies.into_iter().zip(results) {
                    let _ = reply.send(result);
                }
            }
            // The batch wrote nothing: record each alone so each gets its own answer.
            Err(_) => {
                for (reply, record) in replies.into_iter().zip(records) {
                    let alone = writer.record_decisions(std::slice::from_ref(&record)).await;
                    let _ = reply.send(alone.and_then(|mut results| results.remove(0)));
                }
            }
        }
    }
}
