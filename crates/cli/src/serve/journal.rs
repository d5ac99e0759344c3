//! Group commit of decisions. Every decision is acknowledged only after the SQLite transaction holding it has
//! committed (WAL, `synchronous = FULL`: the commit syncs the write-ahead log, so a killed process or a power cut
//! never loses an acknowledged decision). One commit per decision would cap the server at the disk's syncs per
//! second; instead one writer task takes every decision that arrived while the previous batch was being made
//! durable and records them in one transaction (`SqliteStore::record_decisions`), then answers each.

use store::{DecisionLog, DecisionRecord, Recorded, SqliteStore, StoreError};
use tokio::sync::{mpsc, oneshot};

/// Most decisions in one transaction.
pub const MAX_BATCH: usize = 256;

type Reply = oneshot::Sender<Result<Recorded, StoreError>>;

/// The handle handlers record decisions through.
#[derive(Debug, Clone)]
pub struct Journal {
    queue: mpsc::Sender<(DecisionRecord, Reply)>,
}

impl Journal {
    /// Starts the writer task on the current runtime.
    pub fn start(store: SqliteStore) -> Journal {
        let (queue, mut incoming) = mpsc::channel::<(DecisionRecord, Reply)>(4 * MAX_BATCH);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            while incoming.recv_many(&mut batch, MAX_BATCH).await > 0 {
                let (records, replies): (Vec<DecisionRecord>, Vec<Reply>) = batch.drain(..).unzip();
                match store.record_decisions(&records).await {
                    Ok(results) => {
                        for (reply, result) in replies.into_iter().zip(results) {
                            let _ = reply.send(result);
                        }
                    }
                    // The batch wrote nothing: record each alone so each gets its own answer.
                    Err(_) => {
                        for (reply, record) in replies.into_iter().zip(&records) {
                            let _ = reply.send(store.record_decision(record).await);
                        }
                    }
                }
            }
        });
        Journal { queue }
    }

    /// Records a decision durably; returns once it is committed (or refused).
    pub async fn record(&self, record: DecisionRecord) -> Result<Recorded, StoreError> {
        let (reply, answer) = oneshot::channel();
        let stopped = || StoreError::Corrupt("the decision writer has stopped".into());
        self.queue.send((record, reply)).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}
