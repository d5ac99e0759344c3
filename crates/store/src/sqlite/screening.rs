//! [`ScreeningRegister`] for [`SqliteStore`]: the append-only `screening_entries` table (migrations `0009_screening`
//! and `0012_consent_scope`).

use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::{SqliteStore, corrupt};
use crate::StoreError;
use crate::screening::{ConsentScope, ScreeningEntry, ScreeningRegister};

fn entry_from_row(row: &SqliteRow) -> Result<ScreeningEntry, StoreError> {
    let effective_on: String = row.try_get("effective_on")?;
    Ok(ScreeningEntry {
        household_id: row.try_get("household_id")?,
        kind: row.try_get::<String, _>("kind")?.parse().map_err(corrupt)?,
        effective_on: domain::parse_date(&effective_on).map_err(corrupt)?,
        source: row.try_get("source")?,
        recorded_by: row.try_get("recorded_by")?,
        recorded_at: row.try_get("recorded_at")?,
        note: row.try_get("note")?,
        scope: ConsentScope::from_columns(
            &row.try_get::<String, _>("data_source")?,
            &row.try_get::<String, _>("purpose")?,
        )
        .map_err(corrupt)?,
    })
}

impl ScreeningRegister for SqliteStore {
    async fn record_screening(&self, entries: &[ScreeningEntry]) -> Result<usize, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut new = 0;
        let mut audited = Vec::new();
        for e in entries {
            let (data_source, purpose) = ConsentScope::columns(e.scope);
            let done = sqlx::query(
                "INSERT INTO screening_entries
                 (household_id, kind, effective_on, source, recorded_by, recorded_at, note, data_source, purpose)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            )
            .bind(&e.household_id)
            .bind(e.kind.code())
            .bind(e.effective_on.to_string())
            .bind(&e.source)
            .bind(&e.recorded_by)
            .bind(&e.recorded_at)
            .bind(&e.note)
            .bind(data_source)
            .bind(purpose)
            .execute(&mut *tx)
            .await?;
            new += usize::try_from(done.rows_affected()).map_err(corrupt)?;
            if done.rows_affected() == 1 {
                let effective_on = e.effective_on.to_string();
                let mut fields: Vec<&str> = vec![
                    &e.household_id,
                    e.kind.code(),
                    &effective_on,
                    &e.source,
                    &e.recorded_by,
                    &e.recorded_at,
                    &e.note,
                ];
                // An unscoped entry's digest is what it was before scopes existed.
                if e.scope.is_some() {
                    fields.extend([data_source, purpose]);
                }
                let digest = crate::audit::record_digest(&fields);
                let mut entry =
                    self.audit_entry("screening.record", format!("household:{}", e.household_id), Some(digest));
                let mut detail = serde_json::json!({ "kind": e.kind.code(), "effective_on": effective_on });
                if e.scope.is_some() {
                    detail["data_source"] = data_source.into();
                    detail["purpose"] = purpose.into();
                }
                entry.detail = detail.to_string();
                audited.push(entry);
            }
        }
        super::append_in(&mut tx, &audited).await?;
        tx.commit().await?;
        Ok(new)
    }

    async fn screening_of(&self, household_id: &str) -> Result<Vec<ScreeningEntry>, StoreError> {
        let rows =
            sqlx::query("SELECT * FROM screening_entries WHERE household_id = ? ORDER BY effective_on, kind, source, data_source, purpose")
                .bind(household_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(entry_from_row).collect()
    }
}
