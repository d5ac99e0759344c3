//! [`DecisionLog`] for [`SqliteStore`]: the immutable `decisions` table and the append-only `review_requests`
//! (migration `0004_decisions`). Triggers refuse updates and deletes, and a review of an approval.

use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::{SqliteStore, to_u32};
use crate::StoreError;
use crate::decisions::{DecisionLog, DecisionRecord, Recorded, ReviewRequest, check_record};

const COLUMNS: &str =
    "decision_id, request_id, request_sha256, subject, outcome, policy_version, model_id, decided_at, record_json";

fn decision_from_row(row: &SqliteRow) -> Result<DecisionRecord, StoreError> {
    Ok(DecisionRecord {
        decision_id: row.try_get("decision_id")?,
        request_id: row.try_get("request_id")?,
        request_sha256: row.try_get("request_sha256")?,
        subject: row.try_get("subject")?,
        outcome: row.try_get::<String, _>("outcome")?.parse()?,
        policy_version: row.try_get("policy_version")?,
        model_id: row.try_get("model_id")?,
        decided_at: row.try_get("decided_at")?,
        record_json: row.try_get("record_json")?,
    })
}

fn review_from_row(row: &SqliteRow) -> Result<ReviewRequest, StoreError> {
    Ok(ReviewRequest {
        decision_id: row.try_get("decision_id")?,
        seq: to_u32(row.try_get("seq")?, "review request seq")?,
        requested_at: row.try_get("requested_at")?,
        channel: row.try_get("channel")?,
        note: row.try_get("note")?,
    })
}

/// Records one decision inside an open transaction (see [`DecisionLog::record_decision`]); a refusal writes nothing.
async fn record_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    record: &DecisionRecord,
) -> Result<Recorded, StoreError> {
    check_record(record)?;
    let sql = format!("SELECT {COLUMNS} FROM decisions WHERE request_id = ?");
    let earlier = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&record.request_id).fetch_optional(&mut **tx).await?;
    if let Some(row) = earlier {
        let stored = decision_from_row(&row)?;
        if stored.request_sha256 == record.request_sha256 {
            return Ok(Recorded::Existing(stored));
        }
        return Err(StoreError::RequestReused { request_id: record.request_id.clone() });
    }
    let clash: Option<String> = sqlx::query_scalar("SELECT decision_id FROM decisions WHERE decision_id = ?")
        .bind(&record.decision_id)
        .fetch_optional(&mut **tx)
        .await?;
    if clash.is_some() {
        return Err(StoreError::InvalidDecision {
            decision: record.decision_id.clone(),
            field: "decision_id",
            problem: "is taken by another request's decision",
        });
    }
    sqlx::query(
        "INSERT INTO decisions (decision_id, request_id, request_sha256, subject, outcome, policy_version, model_id,
                                decided_at, record_json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&record.decision_id)
    .bind(&record.request_id)
    .bind(&record.request_sha256)
    .bind(&record.subject)
    .bind(record.outcome.code())
    .bind(&record.policy_version)
    .bind(&record.model_id)
    .bind(&record.decided_at)
    .bind(&record.record_json)
    .execute(&mut **tx)
    .await?;
    Ok(Recorded::New)
}

impl SqliteStore {
    /// Records many decisions in one transaction — one commit, one sync of the journal, for all of them (group
    /// commit: a server batches the decisions that arrive while the previous batch is being made durable). Each
    /// record gets the result [`DecisionLog::record_decision`] would give it, in order, as if recorded one after
    /// another (a request repeated within the batch finds the first); a refused record writes nothing and does not
    /// stop the others. A database failure fails the whole batch and writes nothing. Three statements serve the
    /// whole batch: the earlier decisions of its request ids, the decision ids already taken, one insert.
    pub async fn record_decisions(
        &self,
        records: &[DecisionRecord],
    ) -> Result<Vec<Result<Recorded, StoreError>>, StoreError> {
        use std::collections::{HashMap, HashSet};
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let marks = |n: usize| vec!["?"; n].join(", ");
        let sql = format!("SELECT {COLUMNS} FROM decisions WHERE request_id IN ({})", marks(records.len()));
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for record in records {
            query = query.bind(&record.request_id);
        }
        let mut known: HashMap<String, DecisionRecord> = HashMap::new();
        for row in query.fetch_all(&mut *tx).await? {
            let stored = decision_from_row(&row)?;
            known.insert(stored.request_id.clone(), stored);
        }
        let sql = format!("SELECT decision_id FROM decisions WHERE decision_id IN ({})", marks(records.len()));
        let mut query = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
        for record in records {
            query = query.bind(&record.decision_id);
        }
        let mut taken: HashSet<String> = query.fetch_all(&mut *tx).await?.into_iter().collect();
        let mut results = Vec::with_capacity(records.len());
        let mut new = Vec::new();
        for record in records {
            let result = match (check_record(record), known.get(&record.request_id)) {
                (Err(e), _) => Err(e),
                (Ok(()), Some(stored)) if stored.request_sha256 == record.request_sha256 => {
                    Ok(Recorded::Existing(stored.clone()))
                }
                (Ok(()), Some(_)) => Err(StoreError::RequestReused { request_id: record.request_id.clone() }),
                (Ok(()), None) if taken.contains(&record.decision_id) => Err(StoreError::InvalidDecision {
                    decision: record.decision_id.clone(),
                    field: "decision_id",
                    problem: "is taken by another request's decision",
                }),
                (Ok(()), None) => {
                    known.insert(record.request_id.clone(), record.clone());
                    taken.insert(record.decision_id.clone());
                    new.push(record);
                    Ok(Recorded::New)
                }
            };
            results.push(result);
        }
        // SQLite allows 32,766 variables in one statement: 9 per row.
        for chunk in new.chunks(3_000) {
            let sql = format!(
                "INSERT INTO decisions ({COLUMNS}) VALUES {}",
                vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?)"; chunk.len()].join(", ")
            );
            let mut insert = sqlx::query(sqlx::AssertSqlSafe(sql));
            for record in chunk {
                insert = insert
                    .bind(&record.decision_id)
                    .bind(&record.request_id)
                    .bind(&record.request_sha256)
                    .bind(&record.subject)
                    .bind(record.outcome.code())
                    .bind(&record.policy_version)
                    .bind(&record.model_id)
                    .bind(&record.decided_at)
                    .bind(&record.record_json);
            }
            insert.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(results)
    }
}

impl DecisionLog for SqliteStore {
    async fn record_decision(&self, record: &DecisionRecord) -> Result<Recorded, StoreError> {
        check_record(record)?;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let recorded = record_in(&mut tx, record).await?;
        if recorded == Recorded::New {
            tx.commit().await?;
        }
        Ok(recorded)
    }

    async fn decision(&self, decision_id: &str) -> Result<Option<DecisionRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM decisions WHERE decision_id = ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(decision_id).fetch_optional(&self.pool).await?;
        row.as_ref().map(decision_from_row).transpose()
    }

    async fn decision_for_request(&self, request_id: &str) -> Result<Option<DecisionRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM decisions WHERE request_id = ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(request_id).fetch_optional(&self.pool).await?;
        row.as_ref().map(decision_from_row).transpose()
    }

    async fn decisions_of(&self, subject: &str) -> Result<Vec<DecisionRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM decisions WHERE subject = ? ORDER BY decided_at, decision_id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(subject).fetch_all(&self.pool).await?;
        rows.iter().map(decision_from_row).collect()
    }

    async fn request_review(
        &self,
        decision_id: &str,
        requested_at: &str,
        channel: &str,
        note: &str,
    ) -> Result<ReviewRequest, StoreError> {
        if channel.is_empty() {
            return Err(StoreError::InvalidDecision {
                decision: decision_id.to_string(),
                field: "channel",
                problem: "is empty",
            });
        }
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let outcome: Option<String> = sqlx::query_scalar("SELECT outcome FROM decisions WHERE decision_id = ?")
            .bind(decision_id)
            .fetch_optional(&mut *tx)
            .await?;
        let outcome: crate::decisions::Outcome =
            outcome.ok_or_else(|| StoreError::DecisionNotFound(decision_id.to_string()))?.parse()?;
        if !outcome.reviewable() {
            return Err(StoreError::InvalidDecision {
                decision: decision_id.to_string(),
                field: "outcome",
                problem: "is an approval; only a decline or a referral can be put to a person",
            });
        }
        let seq: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM review_requests WHERE decision_id = ?")
                .bind(decision_id)
                .fetch_one(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO review_requests (decision_id, seq, requested_at, channel, note) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(decision_id)
        .bind(seq)
        .bind(requested_at)
        .bind(channel)
        .bind(note)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(ReviewRequest {
            decision_id: decision_id.to_string(),
            seq: to_u32(seq, "review request seq")?,
            requested_at: requested_at.to_string(),
            channel: channel.to_string(),
            note: note.to_string(),
        })
    }

    async fn review_requests(&self, decision_id: &str) -> Result<Vec<ReviewRequest>, StoreError> {
        let rows = sqlx::query("SELECT * FROM review_requests WHERE decision_id = ? ORDER BY seq")
            .bind(decision_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(review_from_row).collect()
    }
}
