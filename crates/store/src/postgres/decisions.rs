//! [`DecisionLog`] for [`PgStore`]: the immutable `decisions` table and the append-only `review_requests`
//! (migration `0004_decisions`), and `decision_records`, where a decision's record is kept packed (migration
//! `0012_compact_decisions`), with the refusals and audit entries of the SQLite log.
//!
//! Concurrency: the unique request id decides between two writers recording one request at once. Each inserts with
//! `ON CONFLICT DO NOTHING`; the second waits for the first to commit, inserts nothing, and then reads the stored
//! decision: the same request is answered with it ([`Recorded::Existing`]), another is refused
//! ([`StoreError::RequestReused`]), exactly as a retry after the fact is on SQLite. A review request locks its
//! decision's row (`FOR NO KEY UPDATE`) before it numbers the request, so two requests never take one number.

use chrono::{DateTime, FixedOffset};
use sqlx::Row;
use sqlx::postgres::PgRow;

use domain::{DecisionId, Timestamp};
use workflow::{DecisionRecord, Outcome, ReviewRequest};

use super::audit::{AuditColumns, chained};
use super::{PgStore, append_in, corrupt, to_u32};
use crate::StoreError;
use crate::decisions::{DecisionLog, Page, Recorded, decided_before, decision_id_taken};

/// The columns [`decision_from_row`] reads from [`DECISIONS`]: the decision time as whole seconds since the epoch
/// and its offset.
const COLUMNS: &str = "decision_id, request_id, request_sha256, subject, outcome, policy_version, model_id,
                       extract(epoch FROM decided_at)::bigint AS decided_at_epoch_s, decided_at_offset_s, record_json,
                       packed";

/// Decisions with their packed records (none for one recorded before packing).
const DECISIONS: &str = "decisions LEFT JOIN decision_records USING (decision_id)";

/// The columns [`review_from_row`] reads.
const REVIEW_COLUMNS: &str = "decision_id, seq, extract(epoch FROM requested_at)::bigint AS requested_at_epoch_s,
                              requested_at_offset_s, channel, note, request_id";

pub(super) fn decision_id(text: &str) -> Result<DecisionId, StoreError> {
    DecisionId::parse(text).map_err(|e| corrupt(format!("decision id {text:?}: {e}")))
}

pub(super) fn outcome(text: &str) -> Result<Outcome, StoreError> {
    text.parse().map_err(corrupt)
}

/// A stored instant of `what`, shown in the offset it was written with, so it reads back as the text recorded.
pub(super) fn stored_at(what: &str, epoch_s: i64, offset_s: i32) -> Result<Timestamp, StoreError> {
    let offset = FixedOffset::east_opt(offset_s).ok_or_else(|| corrupt(format!("{what}: offset {offset_s}")))?;
    let instant = DateTime::from_timestamp(epoch_s, 0).ok_or_else(|| corrupt(format!("{what}: time {epoch_s}")))?;
    Ok(Timestamp::from_instant(instant.with_timezone(&offset)))
}

/// The offset in seconds east of UTC a timestamp is written with.
pub(super) fn offset_s(at: &Timestamp) -> i32 {
    at.instant().offset().local_minus_utc()
}

fn decision_from_row(row: &PgRow) -> Result<DecisionRecord, StoreError> {
    let id: String = row.try_get("decision_id")?;
    Ok(DecisionRecord {
        decided_at: stored_at(
            &format!("decision {id}"),
            row.try_get("decided_at_epoch_s")?,
            row.try_get("decided_at_offset_s")?,
        )?,
        decision_id: decision_id(&id)?,
        request_id: row.try_get("request_id")?,
        request_sha256: row.try_get("request_sha256")?,
        subject: row.try_get("subject")?,
        outcome: outcome(&row.try_get::<String, _>("outcome")?)?,
        policy_version: row.try_get("policy_version")?,
        model_id: row.try_get("model_id")?,
        record_json: crate::decisions::stored_record(&id, row.try_get("record_json")?, row.try_get("packed")?)?,
    })
}

fn review_from_row(row: &PgRow) -> Result<ReviewRequest, StoreError> {
    let id: String = row.try_get("decision_id")?;
    let seq = to_u32(row.try_get("seq")?, "review request seq")?;
    Ok(ReviewRequest {
        requested_at: stored_at(
            &format!("review request {seq} of decision {id}"),
            row.try_get("requested_at_epoch_s")?,
            row.try_get("requested_at_offset_s")?,
        )?,
        decision_id: decision_id(&id)?,
        seq,
        channel: row.try_get("channel")?,
        note: row.try_get("note")?,
        request_id: row.try_get("request_id")?,
    })
}

/// The audit entry of a decision recorded: action `decision.record`, after digest
/// [`crate::audit::decision_digest`], detail the outcome, exactly as SQLite makes it.
fn decision_entry(store: &PgStore, record: &DecisionRecord) -> ::audit::NewEntry {
    let mut entry = store.context.entry(
        "decision.record",
        format!("decision:{}", record.decision_id.as_str()),
        Some(crate::audit::decision_digest(record)),
    );
    entry.detail = format!(r#"{{"outcome":"{}"}}"#, record.outcome.code());
    entry
}

async fn decision_by_request(
    conn: &mut sqlx::PgConnection,
    request_id: &str,
) -> Result<Option<DecisionRecord>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM {DECISIONS} WHERE request_id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(request_id).fetch_optional(conn).await?;
    row.as_ref().map(decision_from_row).transpose()
}

async fn review_by_request(
    conn: &mut sqlx::PgConnection,
    request_id: &str,
) -> Result<Option<ReviewRequest>, StoreError> {
    let sql = format!("SELECT {REVIEW_COLUMNS} FROM review_requests WHERE request_id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(request_id).fetch_optional(conn).await?;
    row.as_ref().map(review_from_row).transpose()
}

/// An earlier review request under the same request id: the same one again when the decision, channel and note
/// agree, refused otherwise.
fn reviewed_before(
    earlier: ReviewRequest,
    decision_id: &str,
    request_id: &str,
    channel: &str,
    note: &str,
) -> Result<ReviewRequest, StoreError> {
    if earlier.decision_id.as_str() == decision_id && earlier.channel == channel && earlier.note == note {
        return Ok(earlier);
    }
    Err(StoreError::RequestReused { request_id: request_id.to_string() })
}

/// Inserts a decision in `tx` unless its request id was seen: `Ok(None)` when inserted (its audit entry is the
/// caller's), the stored decision or a refusal otherwise. Another writer may store the same request id (or decision
/// id) at the same moment: the unique constraints make the insert wait for it and then insert nothing.
/// `packed` is the record's JSON packed (`crate::decisions::packed`), kept in `decision_records`; the decision row
/// keeps an empty `record_json`.
async fn insert_decision(
    tx: &mut sqlx::PgConnection,
    record: &DecisionRecord,
    packed: &[u8],
) -> Result<Option<Recorded>, StoreError> {
    record.check()?;
    if let Some(recorded) = decided_before(record, decision_by_request(tx, &record.request_id).await?)? {
        return Ok(Some(recorded));
    }
    let done = sqlx::query(
        "INSERT INTO decisions (decision_id, request_id, request_sha256, subject, outcome, policy_version, model_id,
                                decided_at, decided_at_offset_s, record_json)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::timestamptz, $9, $10) ON CONFLICT DO NOTHING",
    )
    .bind(record.decision_id.as_str())
    .bind(&record.request_id)
    .bind(&record.request_sha256)
    .bind(&record.subject)
    .bind(record.outcome.code())
    .bind(&record.policy_version)
    .bind(&record.model_id)
    .bind(record.decided_at.to_string())
    .bind(offset_s(&record.decided_at))
    .bind("")
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        if let Some(recorded) = decided_before(record, decision_by_request(tx, &record.request_id).await?)? {
            return Ok(Some(recorded));
        }
        return Err(decision_id_taken(record));
    }
    sqlx::query("INSERT INTO decision_records (decision_id, packed) VALUES ($1, $2)")
        .bind(record.decision_id.as_str())
        .bind(packed)
        .execute(&mut *tx)
        .await?;
    Ok(None)
}

/// Binds the decision columns of `batch[rows]`, in `rows`' order, as the query's next nine parameters: decision id,
/// request id, request hash, subject, outcome, policy version, model id, decision time as text and its offset.
fn bind_decisions<'q, O>(
    query: sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>,
    batch: &[crate::Queued],
    rows: &[usize],
) -> sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments> {
    let column =
        |f: &dyn Fn(&DecisionRecord) -> String| -> Vec<String> { rows.iter().map(|i| f(&batch[*i].record)).collect() };
    query
        .bind(column(&|r| r.decision_id.as_str().to_string()))
        .bind(column(&|r| r.request_id.clone()))
        .bind(column(&|r| r.request_sha256.clone()))
        .bind(column(&|r| r.subject.clone()))
        .bind(column(&|r| r.outcome.code().to_string()))
        .bind(column(&|r| r.policy_version.clone()))
        .bind(rows.iter().map(|i| batch[*i].record.model_id.clone()).collect::<Vec<Option<String>>>())
        .bind(column(&|r| r.decided_at.to_string()))
        .bind(rows.iter().map(|i| offset_s(&batch[*i].record.decided_at)).collect::<Vec<i32>>())
}

impl PgStore {
    /// Records many decisions in one transaction (group commit, as [`crate::DecisionWriter::record_decisions_as`]
    /// does on SQLite): each gets the answer [`DecisionLog::record_decision`] would give it, in order; a refused
    /// record writes nothing and does not stop the others; a database failure fails the whole batch and writes
    /// nothing. The audit entries of the decisions stored are appended together at the end, in order.
    ///
    /// The usual batch, all new, is one statement and one round trip (`record_in_one_trip`); a batch with a retry
    /// or a request id another writer stored takes the careful path below, which reads what was stored first.
    pub async fn record_decisions_as(
        &self,
        batch: &[crate::Queued],
    ) -> Result<Vec<Result<Recorded, StoreError>>, StoreError> {
        // Set at a time, so a batch costs a few round trips whatever its size: the earlier decisions of all its
        // request ids in one read, the new ones in one insert (in request-id order, so two writers' batches take
        // their unique-index locks in one order and wait for each other instead of deadlocking), their records in
        // another, then the audit entries.
        let mut results: Vec<Option<Result<Recorded, StoreError>>> = batch.iter().map(|_| None).collect();
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        for (slot, queued) in results.iter_mut().zip(batch) {
            if let Err(refused) = queued.record.check() {
                *slot = Some(Err(refused.into()));
            }
        }
        let at = self.context.clock.now();
        if self.record_in_one_trip(batch, &mut results, at).await? {
            return results
                .into_iter()
                .map(|r| r.ok_or_else(|| corrupt("a decision of the batch was left without an answer")))
                .collect();
        }
        let mut tx = self.pool.begin().await?;
        let wanted: Vec<&str> = batch.iter().map(|q| q.record.request_id.as_str()).collect();
        // Which request ids were decided before: on the unique index alone (joined with the records, the planner
        // hashed the whole records table: 2.5 ms a batch, measured with pg_stat_statements). Usually none; those
        // found are read whole one by one.
        let seen: Vec<String> = sqlx::query_scalar("SELECT request_id FROM decisions WHERE request_id = ANY($1)")
            .bind(&wanted)
            .fetch_all(&mut *tx)
            .await?;
        let mut earlier = std::collections::HashMap::new();
        for request_id in seen {
            if let Some(record) = decision_by_request(&mut tx, &request_id).await? {
                earlier.insert(request_id, record);
            }
        }
        // In batch order: a request decided before (or earlier in this batch) is answered as a retry would be.
        let mut fresh: Vec<usize> = Vec::new();
        let mut in_batch: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for (i, queued) in batch.iter().enumerate() {
            if results[i].is_some() {
                continue;
            }
            let record = &queued.record;
            let before = match in_batch.get(record.request_id.as_str()) {
                Some(first) => Some(batch[*first].record.clone()),
                None => earlier.get(&record.request_id).cloned(),
            };
            match decided_before(record, before) {
                Ok(Some(recorded)) => results[i] = Some(Ok(recorded)),
                Err(refused) => results[i] = Some(Err(refused)),
                Ok(None) => {
                    in_batch.insert(record.request_id.as_str(), i);
                    fresh.push(i);
                }
            }
        }
        fresh.sort_by(|a, b| batch[*a].record.request_id.cmp(&batch[*b].record.request_id));
        let inserted: Vec<(String,)> = bind_decisions(
            sqlx::query_as(
                "INSERT INTO decisions (decision_id, request_id, request_sha256, subject, outcome, policy_version,
                                        model_id, decided_at, decided_at_offset_s, record_json)
                 SELECT d, r, h, s, o, p, m, t::timestamptz, z, ''
                 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                             $8::text[], $9::int[]) AS u(d, r, h, s, o, p, m, t, z)
                 ON CONFLICT DO NOTHING RETURNING decision_id",
            ),
            batch,
            &fresh,
        )
        .fetch_all(&mut *tx)
        .await?;
        let inserted: std::collections::HashSet<String> = inserted.into_iter().map(|(id,)| id).collect();
        let mut stored = Vec::with_capacity(fresh.len());
        for i in fresh {
            let record = &batch[i].record;
            if inserted.contains(record.decision_id.as_str()) {
                stored.push(i);
                continue;
            }
            // Another writer stored the request id (or the decision id) since the read above.
            results[i] = Some(match decided_before(record, decision_by_request(&mut tx, &record.request_id).await?) {
                Ok(Some(recorded)) => Ok(recorded),
                Ok(None) => Err(decision_id_taken(record)),
                Err(refused) => Err(refused),
            });
        }
        stored.sort_unstable();
        if !stored.is_empty() {
            sqlx::query(
                "INSERT INTO decision_records (decision_id, packed) SELECT * FROM UNNEST($1::text[], $2::bytea[])",
            )
            .bind(stored.iter().map(|i| batch[*i].record.decision_id.as_str().to_string()).collect::<Vec<String>>())
            .bind(stored.iter().map(|i| batch[*i].packed()).collect::<Vec<&[u8]>>())
            .execute(&mut *tx)
            .await?;
            let entries: Vec<::audit::NewEntry> = stored.iter().map(|i| batch[*i].entry(at)).collect();
            append_in(&mut tx, &entries).await?;
            for i in &stored {
                results[*i] = Some(Ok(Recorded::New));
            }
        }
        tx.commit().await?;
        results
            .into_iter()
            .map(|r| r.ok_or_else(|| corrupt("a decision of the batch was left without an answer")))
            .collect()
    }
}

/// A batch of new decisions, their records and audit entries in one statement, its own transaction: migration
/// `0014_one_trip_decisions`'s `record_decisions`, answering the entries' links.
const RECORD_DECISIONS: &str = "SELECT chained_seq, chained_prev, chained_hash
     FROM record_decisions($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                           $8::text[], $9::int[], $10::bytea[], $11::text[], $12::int[], $13::text[], $14::text[],
                           $15::text[], $16::text[], $17::text[], $18::text[], $19::text[], $20::text[])";

impl PgStore {
    /// The common case of [`PgStore::record_decisions_as`] in one round trip: every decision not yet answered is new
    /// (no request id seen before, none twice in the batch), so all are stored with their audit entries by one
    /// statement that commits alone. `Ok(false)` when the batch is not that case, nothing written: a request id
    /// repeated in the batch, or a unique constraint that refused the statement (a retry, or another writer's
    /// request); the careful path then answers each decision as a retry is answered.
    async fn record_in_one_trip(
        &self,
        batch: &[crate::Queued],
        results: &mut [Option<Result<Recorded, StoreError>>],
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut fresh: Vec<usize> = (0..batch.len()).filter(|i| results[*i].is_none()).collect();
        if fresh.is_empty() {
            return Ok(false);
        }
        // In request-id order, so two writers' batches take the unique index's locks in one order.
        fresh.sort_by(|a, b| batch[*a].record.request_id.cmp(&batch[*b].record.request_id));
        if fresh.windows(2).any(|w| batch[w[0]].record.request_id == batch[w[1]].record.request_id) {
            return Ok(false);
        }
        // The audit entries in the batch's order, as the careful path appends them.
        let mut in_order = fresh.clone();
        in_order.sort_unstable();
        let entries: Vec<::audit::NewEntry> = in_order.iter().map(|i| batch[*i].entry(at)).collect();
        if entries.iter().any(|entry| entry.check().is_err()) {
            return Ok(false);
        }
        let query = bind_decisions(sqlx::query_as::<_, (i64, String, String)>(RECORD_DECISIONS), batch, &fresh)
            .bind(fresh.iter().map(|i| batch[*i].packed()).collect::<Vec<&[u8]>>());
        let links = match AuditColumns::of(entries.iter()).bind(query).fetch_all(&self.pool).await {
            Ok(links) => links,
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some(UNIQUE_VIOLATION) => return Ok(false),
            Err(e) => return Err(e.into()),
        };
        chained(&entries, links)?;
        for i in fresh {
            results[i] = Some(Ok(Recorded::New));
        }
        Ok(true)
    }
}

/// SQLSTATE `unique_violation`.
const UNIQUE_VIOLATION: &str = "23505";

impl DecisionLog for PgStore {
    async fn record_decision(&self, record: &DecisionRecord) -> Result<Recorded, StoreError> {
        let mut tx = self.pool.begin().await?;
        let packed = crate::decisions::packed::pack(record.record_json.as_str());
        if let Some(recorded) = insert_decision(&mut tx, record, &packed).await? {
            return Ok(recorded);
        }
        append_in(&mut tx, &[decision_entry(self, record)]).await?;
        tx.commit().await?;
        Ok(Recorded::New)
    }

    async fn decision(&self, decision_id: &str) -> Result<Option<DecisionRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM {DECISIONS} WHERE decision_id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(decision_id).fetch_optional(&self.pool).await?;
        row.as_ref().map(decision_from_row).transpose()
    }

    async fn decision_for_request(&self, request_id: &str) -> Result<Option<DecisionRecord>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        decision_by_request(&mut conn, request_id).await
    }

    async fn decisions_of(&self, subject: &str, page: &Page) -> Result<Vec<DecisionRecord>, StoreError> {
        // The keyset compares instants, so a page boundary holds whatever offset the times are written in.
        let sql = format!(
            "SELECT {COLUMNS} FROM {DECISIONS}
             WHERE subject = $1 AND ($2::timestamptz IS NULL OR (decided_at, decision_id) > ($2::timestamptz, $3))
             ORDER BY decided_at, decision_id LIMIT $4"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(subject)
            .bind(page.after.as_ref().map(|c| c.decided_at.to_string()))
            .bind(page.after.as_ref().map(|c| c.decision_id.as_str().to_string()))
            .bind(i64::from(page.limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(decision_from_row).collect()
    }

    async fn request_review(
        &self,
        decision_id: &str,
        request_id: &str,
        requested_at: &Timestamp,
        channel: &str,
        note: &str,
    ) -> Result<ReviewRequest, StoreError> {
        ReviewRequest::check_fields(decision_id, request_id, channel)?;
        let mut tx = self.pool.begin().await?;
        if let Some(earlier) = review_by_request(&mut tx, request_id).await? {
            return reviewed_before(earlier, decision_id, request_id, channel, note);
        }
        // The decision's row lock numbers its requests one at a time; it does not block the key-share locks that
        // rows referring to the decision take.
        let stored = sqlx::query("SELECT decision_id, outcome FROM decisions WHERE decision_id = $1 FOR NO KEY UPDATE")
            .bind(decision_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::DecisionNotFound(decision_id.to_string()))?;
        let decision = self::decision_id(&stored.try_get::<String, _>("decision_id")?)?;
        outcome(&stored.try_get::<String, _>("outcome")?)?.check_reviewable(&decision)?;
        let seq: i32 =
            sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM review_requests WHERE decision_id = $1")
                .bind(decision_id)
                .fetch_one(&mut *tx)
                .await?;
        let done = sqlx::query(
            "INSERT INTO review_requests (decision_id, seq, requested_at, requested_at_offset_s, channel, note,
                                          request_id)
             VALUES ($1, $2, $3::timestamptz, $4, $5, $6, $7) ON CONFLICT (request_id) WHERE request_id IS NOT NULL
             DO NOTHING",
        )
        .bind(decision_id)
        .bind(seq)
        .bind(requested_at.to_string())
        .bind(offset_s(requested_at))
        .bind(channel)
        .bind(note)
        .bind(request_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            // The same request id was stored meanwhile (for this decision or another).
            let earlier = review_by_request(&mut tx, request_id)
                .await?
                .ok_or_else(|| corrupt(format!("review request {request_id} conflicts but is not stored")))?;
            return reviewed_before(earlier, decision_id, request_id, channel, note);
        }
        let digest = crate::audit::record_digest(&[
            decision_id,
            &seq.to_string(),
            &requested_at.to_string(),
            channel,
            note,
            request_id,
        ]);
        let mut entry = self.context.entry("decision.review_request", format!("decision:{decision_id}"), Some(digest));
        entry.detail = serde_json::json!({ "seq": seq }).to_string();
        append_in(&mut tx, &[entry]).await?;
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
        let sql = format!("SELECT {REVIEW_COLUMNS} FROM review_requests WHERE decision_id = $1 ORDER BY seq");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(decision_id).fetch_all(&self.pool).await?;
        rows.iter().map(review_from_row).collect()
    }
}
