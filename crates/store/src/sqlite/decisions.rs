//! [`DecisionLog`] for [`SqliteStore`]: the immutable `decisions` table and the append-only `review_requests`
//! (migration `0004_decisions`), and `decision_records`, where a decision's record is kept packed (migration
//! `0015_compact_decisions`). Triggers refuse updates and deletes, and a review of an approval.

use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use domain::DecisionId;
use workflow::{DecisionRecord, Outcome, ReviewRequest};

use super::{SqliteStore, corrupt, timestamp, to_u32};
use crate::StoreError;
use crate::decisions::{DecisionLog, Page, Recorded, decided_before, decision_id_taken};

/// The columns [`decision_from_row`] reads, from [`DECISIONS`].
pub(super) const COLUMNS: &str = "decision_id, request_id, request_sha256, subject, outcome, policy_version, model_id, \
                                  decided_at, record_json, packed";

/// Decisions with their packed records (none for one recorded before packing).
pub(super) const DECISIONS: &str = "decisions LEFT JOIN decision_records USING (decision_id)";

/// A stored decision id.
pub(super) fn decision_id(text: &str) -> Result<DecisionId, StoreError> {
    DecisionId::parse(text).map_err(|e| corrupt(format!("decision id {text:?}: {e}")))
}

/// A stored outcome.
pub(super) fn outcome(text: &str) -> Result<Outcome, StoreError> {
    text.parse().map_err(corrupt)
}

fn decision_from_row(row: &SqliteRow) -> Result<DecisionRecord, StoreError> {
    Ok(DecisionRecord {
        decision_id: decision_id(&row.try_get::<String, _>("decision_id")?)?,
        request_id: row.try_get("request_id")?,
        request_sha256: row.try_get("request_sha256")?,
        subject: row.try_get("subject")?,
        outcome: outcome(&row.try_get::<String, _>("outcome")?)?,
        policy_version: row.try_get("policy_version")?,
        model_id: row.try_get("model_id")?,
        decided_at: timestamp(&row.try_get::<String, _>("decided_at")?)?,
        record_json: crate::decisions::stored_record(
            &row.try_get::<String, _>("decision_id")?,
            row.try_get("record_json")?,
            row.try_get("packed")?,
        )?,
    })
}

fn review_from_row(row: &SqliteRow) -> Result<ReviewRequest, StoreError> {
    Ok(ReviewRequest {
        decision_id: decision_id(&row.try_get::<String, _>("decision_id")?)?,
        seq: to_u32(row.try_get("seq")?, "review request seq")?,
        requested_at: timestamp(&row.try_get::<String, _>("requested_at")?)?,
        channel: row.try_get("channel")?,
        note: row.try_get("note")?,
        request_id: row.try_get("request_id")?,
    })
}

/// The audit entry of a decision recorded by `store`'s actor: action `decision.record`, after digest
/// [`crate::audit::decision_digest`].
pub(super) fn decision_entry(store: &SqliteStore, record: &DecisionRecord) -> ::audit::NewEntry {
    let acting = store.acting_as();
    decision_entry_by(
        &acting.actor,
        &acting.origin,
        store.audit_clock().now(),
        record,
        crate::audit::decision_digest(record),
    )
}

/// The audit entry of a decision recorded by `actor` from `origin` at `at`, its digest `digest` (see
/// [`decision_entry`]).
pub(super) fn decision_entry_by(
    actor: &str,
    origin: &str,
    at: domain::Timestamp,
    record: &DecisionRecord,
    digest: ::audit::Digest,
) -> ::audit::NewEntry {
    let mut entry = ::audit::NewEntry::new(
        at,
        actor,
        origin,
        "decision.record",
        format!("decision:{}", record.decision_id.as_str()),
    );
    entry.after = Some(digest);
    entry.detail = format!(r#"{{"outcome":"{}"}}"#, record.outcome.code());
    entry
}

/// Records one decision inside an open transaction (see [`DecisionLog::record_decision`]); a refusal writes nothing.
async fn record_in(
    store: &SqliteStore,
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    record: &DecisionRecord,
) -> Result<Recorded, StoreError> {
    record.check()?;
    let sql = format!("SELECT {COLUMNS} FROM {DECISIONS} WHERE request_id = ?");
    let earlier = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&record.request_id).fetch_optional(&mut **tx).await?;
    if let Some(recorded) = decided_before(record, earlier.as_ref().map(decision_from_row).transpose()?)? {
        return Ok(recorded);
    }
    let clash: Option<String> = sqlx::query_scalar("SELECT decision_id FROM decisions WHERE decision_id = ?")
        .bind(record.decision_id.as_str())
        .fetch_optional(&mut **tx)
        .await?;
    if clash.is_some() {
        return Err(decision_id_taken(record));
    }
    sqlx::query(
        "INSERT INTO decisions (decision_id, request_id, request_sha256, subject, outcome, policy_version, model_id,
                                decided_at, record_json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(record.decision_id.as_str())
    .bind(&record.request_id)
    .bind(&record.request_sha256)
    .bind(&record.subject)
    .bind(record.outcome.code())
    .bind(&record.policy_version)
    .bind(&record.model_id)
    .bind(record.decided_at.to_string())
    .bind("")
    .execute(&mut **tx)
    .await?;
    sqlx::query("INSERT INTO decision_records (decision_id, packed) VALUES (?, ?)")
        .bind(record.decision_id.as_str())
        .bind(crate::decisions::packed::pack(record.record_json.as_str()))
        .execute(&mut **tx)
        .await?;
    super::append_in(tx, &[decision_entry(store, record)]).await?;
    Ok(Recorded::New)
}

impl DecisionLog for SqliteStore {
    async fn record_decision(&self, record: &DecisionRecord) -> Result<Recorded, StoreError> {
        record.check()?;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let recorded = record_in(self, &mut tx, record).await?;
        if recorded == Recorded::New {
            tx.commit().await?;
        }
        Ok(recorded)
    }

    async fn decision(&self, decision_id: &str) -> Result<Option<DecisionRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM {DECISIONS} WHERE decision_id = ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(decision_id).fetch_optional(&self.pool).await?;
        row.as_ref().map(decision_from_row).transpose()
    }

    async fn decision_for_request(&self, request_id: &str) -> Result<Option<DecisionRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM {DECISIONS} WHERE request_id = ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(request_id).fetch_optional(&self.pool).await?;
        row.as_ref().map(decision_from_row).transpose()
    }

    async fn decisions_of(&self, subject: &str, page: &Page) -> Result<Vec<DecisionRecord>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM {DECISIONS} WHERE subject = ?1 AND (?2 IS NULL OR (decided_at, decision_id) > (?2, ?3))
             ORDER BY decided_at, decision_id LIMIT ?4"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(subject)
            .bind(page.after.as_ref().map(|c| c.decided_at.to_string()))
            .bind(page.after.as_ref().map(|c| c.decision_id.as_str()))
            .bind(i64::from(page.limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(decision_from_row).collect()
    }

    async fn request_review(
        &self,
        decision_id: &str,
        request_id: &str,
        requested_at: &domain::Timestamp,
        channel: &str,
        note: &str,
    ) -> Result<ReviewRequest, StoreError> {
        ReviewRequest::check_fields(decision_id, request_id, channel)?;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let earlier = sqlx::query("SELECT * FROM review_requests WHERE request_id = ?")
            .bind(request_id)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = earlier {
            let earlier = review_from_row(&row)?;
            if earlier.decision_id.as_str() == decision_id && earlier.channel == channel && earlier.note == note {
                return Ok(earlier);
            }
            return Err(StoreError::RequestReused { request_id: request_id.to_string() });
        }
        let stored = sqlx::query("SELECT decision_id, outcome FROM decisions WHERE decision_id = ?")
            .bind(decision_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::DecisionNotFound(decision_id.to_string()))?;
        let decision = self::decision_id(&stored.try_get::<String, _>("decision_id")?)?;
        outcome(&stored.try_get::<String, _>("outcome")?)?.check_reviewable(&decision)?;
        let seq: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM review_requests WHERE decision_id = ?")
                .bind(decision_id)
                .fetch_one(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO review_requests (decision_id, seq, requested_at, channel, note, request_id)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(decision_id)
        .bind(seq)
        .bind(requested_at.to_string())
        .bind(channel)
        .bind(note)
        .bind(request_id)
        .execute(&mut *tx)
        .await?;
        let digest = crate::audit::record_digest(&[
            decision_id,
            &seq.to_string(),
            &requested_at.to_string(),
            channel,
            note,
            request_id,
        ]);
        let mut entry = self.audit_entry("decision.review_request", format!("decision:{decision_id}"), Some(digest));
        entry.detail = serde_json::json!({ "seq": seq }).to_string();
        super::append_in(&mut tx, &[entry]).await?;
        tx.commit().await?;
        Ok(ReviewRequest {
            decision_id: decision,
            seq: to_u32(seq, "review request seq")?,
            requested_at: *requested_at,
            channel: channel.to_string(),
            note: note.to_string(),
            request_id: Some(request_id.to_string()),
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
