//! [`ModelRegistry`] for [`PgStore`]: the `models` table, the append-only `model_status_changes` history and the
//! `model_summaries` view (migration `0003_models`), with the checks and audit entries of the SQLite registry.
//!
//! Concurrency: a move locks every model row of its name (`FOR NO KEY UPDATE`, in id order) before it reads any
//! status, so two promotions under one name run one after the other: the second sees the first's champion and
//! demotes it, and a name never has two champions. Registration relies on the primary key: of two writers
//! registering one id, one inserts and the other finds its row once it commits.

use sqlx::Row;
use sqlx::postgres::PgRow;

use super::{PgStore, append_in, corrupt, to_u32};
use crate::models::{check_change, check_record, instant};
use crate::{ModelRecord, ModelRegistry, ModelStatusChange, ModelSummary, StoreError};
use scoring::lifecycle::ModelStatus;

const SUMMARY_COLUMNS: &str = "s.id, s.name, s.kind, s.format_version, s.created_at, s.status";

fn status(text: &str) -> Result<ModelStatus, StoreError> {
    text.parse().map_err(corrupt)
}

fn summary_from_row(row: &PgRow) -> Result<ModelSummary, StoreError> {
    Ok(ModelSummary {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        kind: row.try_get("kind")?,
        format_version: u32::try_from(row.try_get::<i64, _>("format_version")?)
            .map_err(|_| corrupt("model format version out of range"))?,
        created_at: row.try_get("created_at")?,
        status: status(&row.try_get::<String, _>("status")?)?,
    })
}

fn change_from_row(row: &PgRow) -> Result<ModelStatusChange, StoreError> {
    Ok(ModelStatusChange {
        model_id: row.try_get("model_id")?,
        seq: to_u32(row.try_get("seq")?, "model status seq")?,
        from: row.try_get::<Option<String>, _>("from_status")?.as_deref().map(status).transpose()?,
        to: status(&row.try_get::<String, _>("to_status")?)?,
        at: row.try_get("changed_at")?,
        by: row.try_get("changed_by")?,
        reason: row.try_get("reason")?,
    })
}

async fn find_summary(conn: &mut sqlx::PgConnection, id: &str) -> Result<Option<ModelSummary>, StoreError> {
    let sql = format!("SELECT {SUMMARY_COLUMNS} FROM model_summaries AS s WHERE s.id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(conn).await?;
    row.as_ref().map(summary_from_row).transpose()
}

async fn find_champion(conn: &mut sqlx::PgConnection, name: &str) -> Result<Option<ModelSummary>, StoreError> {
    let sql = format!("SELECT {SUMMARY_COLUMNS} FROM model_summaries AS s WHERE s.name = $1 AND s.status = 'champion'");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(name).fetch_all(conn).await?;
    if rows.len() > 1 {
        return Err(corrupt(format!("name {name} has {} champions", rows.len())));
    }
    rows.first().map(summary_from_row).transpose()
}

/// The audit entry of a row of a model's history: action `model.move`, the row's columns digested, as on SQLite.
fn move_entry(store: &PgStore, change: &ModelStatusChange) -> ::audit::NewEntry {
    let (seq, from, to) = (change.seq.to_string(), change.from.map_or("", ModelStatus::code), change.to.code());
    let digest =
        crate::audit::record_digest(&[&change.model_id, &seq, from, to, &change.at, &change.by, &change.reason]);
    let mut entry = store.context.entry("model.move", format!("model:{}", change.model_id), Some(digest));
    entry.detail = serde_json::json!({ "seq": change.seq, "from": from, "to": to }).to_string();
    let mut entries = [entry];
    store.context.note_proposal(&mut entries);
    let [entry] = entries;
    entry
}

/// Appends the next row of a model's history and returns it; the caller holds the model's row lock.
async fn insert_change(
    conn: &mut sqlx::PgConnection,
    id: &str,
    from: Option<ModelStatus>,
    to: ModelStatus,
    at: &str,
    by: &str,
    reason: &str,
) -> Result<ModelStatusChange, StoreError> {
    let last: i32 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM model_status_changes WHERE model_id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    let seq = to_u32(last + 1, "model status seq")?;
    sqlx::query(
        "INSERT INTO model_status_changes (model_id, seq, from_status, to_status, changed_at, changed_by, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(last + 1)
    .bind(from.map(ModelStatus::code))
    .bind(to.code())
    .bind(at)
    .bind(by)
    .bind(reason)
    .execute(&mut *conn)
    .await?;
    Ok(ModelStatusChange {
        model_id: id.to_string(),
        seq,
        from,
        to,
        at: at.to_string(),
        by: by.to_string(),
        reason: reason.to_string(),
    })
}

impl ModelRegistry for PgStore {
    async fn register_model(&self, record: &ModelRecord, at: &str, by: &str) -> Result<ModelSummary, StoreError> {
        check_record(record)?;
        check_change(&record.id, at, by)?;
        let mut tx = self.pool.begin().await?;
        // The primary key decides between two writers registering one id: the second waits for the first to
        // commit, inserts nothing, and compares with what the first stored.
        let done = sqlx::query(
            "INSERT INTO models (id, name, kind, format_version, created_at, artifact_json)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&record.id)
        .bind(&record.name)
        .bind(&record.kind)
        .bind(i64::from(record.format_version))
        .bind(&record.created_at)
        .bind(&record.artifact_json)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            let row =
                sqlx::query("SELECT name, kind, format_version, created_at, artifact_json FROM models WHERE id = $1")
                    .bind(&record.id)
                    .fetch_one(&mut *tx)
                    .await?;
            let same = row.try_get::<String, _>("name")? == record.name
                && row.try_get::<String, _>("kind")? == record.kind
                && row.try_get::<i64, _>("format_version")? == i64::from(record.format_version)
                && row.try_get::<String, _>("created_at")? == record.created_at
                && row.try_get::<String, _>("artifact_json")? == record.artifact_json;
            if !same {
                return Err(StoreError::ModelClash(record.id.clone()));
            }
            return find_summary(&mut tx, &record.id)
                .await?
                .ok_or_else(|| corrupt(format!("model {} has no status history", record.id)));
        }
        let first = insert_change(&mut tx, &record.id, None, ModelStatus::Candidate, at, by, "registered").await?;
        let format_version = record.format_version.to_string();
        let digest = crate::audit::record_digest(&[
            &record.id,
            &record.name,
            &record.kind,
            &format_version,
            &record.created_at,
            &record.artifact_json,
        ]);
        let registered = self.context.entry("model.register", format!("model:{}", record.id), Some(digest));
        append_in(&mut tx, &[registered, move_entry(self, &first)]).await?;
        tx.commit().await?;
        Ok(ModelSummary {
            id: record.id.clone(),
            name: record.name.clone(),
            kind: record.kind.clone(),
            format_version: record.format_version,
            created_at: record.created_at.clone(),
            status: ModelStatus::Candidate,
        })
    }

    async fn model(&self, id: &str) -> Result<Option<(ModelSummary, String)>, StoreError> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS}, m.artifact_json FROM model_summaries AS s JOIN models AS m ON m.id = s.id
             WHERE s.id = $1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        row.map(|row| Ok((summary_from_row(&row)?, row.try_get("artifact_json")?))).transpose()
    }

    async fn models(&self, name: Option<&str>) -> Result<Vec<ModelSummary>, StoreError> {
        let sql = format!("SELECT {SUMMARY_COLUMNS} FROM model_summaries AS s WHERE $1::text IS NULL OR s.name = $1");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(name).fetch_all(&self.pool).await?;
        // Ordered by the instant, not the text: offsets and fraction lengths differ between callers.
        let mut keyed = rows
            .iter()
            .map(|row| {
                let model = summary_from_row(row)?;
                let when = instant(&model.created_at)
                    .ok_or_else(|| corrupt(format!("model {} created_at {:?}", model.id, model.created_at)))?;
                Ok((when, model))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        keyed.sort_by(|(a_when, a), (b_when, b)| a_when.cmp(b_when).then_with(|| a.id.cmp(&b.id)));
        Ok(keyed.into_iter().map(|(_, model)| model).collect())
    }

    async fn set_model_status(
        &self,
        id: &str,
        to: ModelStatus,
        at: &str,
        by: &str,
        reason: &str,
    ) -> Result<Vec<ModelStatusChange>, StoreError> {
        check_change(id, at, by)?;
        let mut tx = self.pool.begin().await?;
        // Every model of the name, locked in id order (so two movers never wait on each other crosswise): whoever
        // holds them reads the statuses as committed by every mover before it. A name never changes, so reading
        // it before the lock is safe.
        let name: Option<String> =
            sqlx::query_scalar("SELECT name FROM models WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
        let name = name.ok_or_else(|| StoreError::ModelNotFound(id.to_string()))?;
        sqlx::query("SELECT id FROM models WHERE name = $1 ORDER BY id FOR NO KEY UPDATE")
            .bind(&name)
            .fetch_all(&mut *tx)
            .await?;
        let model = find_summary(&mut tx, id).await?.ok_or_else(|| StoreError::ModelNotFound(id.to_string()))?;
        let from = model.status;
        if from == to {
            return Ok(Vec::new());
        }
        from.check_move(to).map_err(|refusal| StoreError::ModelMove { model: id.to_string(), refusal })?;
        let mut changes = Vec::new();
        let demotion = ModelStatus::demotes_champion(to);
        let replaced = if demotion.is_some() { find_champion(&mut tx, &model.name).await? } else { None };
        if let (Some(current), Some(demoted)) = (replaced, demotion) {
            let why = format!("replaced as champion by model {id}: {reason}");
            changes.push(insert_change(&mut tx, &current.id, Some(current.status), demoted, at, by, &why).await?);
        }
        changes.push(insert_change(&mut tx, id, Some(from), to, at, by, reason).await?);
        let entries: Vec<_> = changes.iter().map(|change| move_entry(self, change)).collect();
        append_in(&mut tx, &entries).await?;
        tx.commit().await?;
        Ok(changes)
    }

    async fn model_history(&self, id: &str) -> Result<Vec<ModelStatusChange>, StoreError> {
        let rows = sqlx::query(
            "SELECT model_id, seq, from_status, to_status, changed_at, changed_by, reason FROM model_status_changes
             WHERE model_id = $1 ORDER BY seq",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(change_from_row).collect()
    }

    async fn champion(&self, name: &str) -> Result<Option<ModelSummary>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        find_champion(&mut conn, name).await
    }
}
