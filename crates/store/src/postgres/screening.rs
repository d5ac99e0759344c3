//! [`ScreeningRegister`] for [`PgStore`]: the append-only `screening_entries` table and the `screening_version` row
//! (migration `0006_screening`).
//!
//! A load locks the version row before it inserts, so two loads recording the same entries queue: the second inserts
//! nothing the first recorded (`ON CONFLICT DO NOTHING` against the key, which already holds the first one's rows),
//! appends no audit entry for them and counts them as not new. The version moves by the number of new entries in the
//! same transaction, so it grows in commit order; [`PgStore::screening_version`] reads it.

use sqlx::Row;

use super::{PgStore, append_in, corrupt, parse_date};
use crate::StoreError;
use crate::screening::{ConsentScope, ScreeningEntry, ScreeningRegister};

/// The columns of an entry as [`entry_from_row`] reads them, the day as the domain's text.
const COLUMNS: &str = "household_id, kind, to_char(effective_on, 'YYYY-MM-DD') AS effective_on, source, recorded_by,
                       recorded_at, note, data_source, purpose";

fn entry_from_row(row: &sqlx::postgres::PgRow) -> Result<ScreeningEntry, StoreError> {
    Ok(ScreeningEntry {
        household_id: row.try_get("household_id")?,
        kind: row.try_get::<String, _>("kind")?.parse().map_err(corrupt)?,
        effective_on: parse_date(&row.try_get::<String, _>("effective_on")?)?,
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

impl PgStore {
    /// The audit entry of a newly recorded screening entry: action `screening.record`, target `household:ID`, the
    /// entry's fields digested (the scope only when it has one) and its kind and day (and scope) in the detail,
    /// exactly as SQLite makes it.
    fn screening_entry(&self, e: &ScreeningEntry) -> ::audit::NewEntry {
        let (data_source, purpose) = ConsentScope::columns(e.scope);
        let effective_on = e.effective_on.to_string();
        let mut fields: Vec<&str> =
            vec![&e.household_id, e.kind.code(), &effective_on, &e.source, &e.recorded_by, &e.recorded_at, &e.note];
        // An unscoped entry's digest is what it was before scopes existed.
        if e.scope.is_some() {
            fields.extend([data_source, purpose]);
        }
        let digest = crate::audit::record_digest(&fields);
        let mut entry = self.context.entry("screening.record", format!("household:{}", e.household_id), Some(digest));
        let mut detail = serde_json::json!({ "kind": e.kind.code(), "effective_on": effective_on });
        if e.scope.is_some() {
            detail["data_source"] = data_source.into();
            detail["purpose"] = purpose.into();
        }
        entry.detail = detail.to_string();
        entry
    }

    /// A number that grows whenever an entry is added to the screening register, by any process or replica: the
    /// count of entries, moved in the transaction that records them. What the server's screening cache watches
    /// (`QuickReader::screening_version` on SQLite): a copy read at version N is whole while the version is N.
    pub async fn screening_version(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT version FROM screening_version WHERE id = 1").fetch_one(&self.pool).await?)
    }

    /// Every screening entry, by household then as [`ScreeningRegister::screening_of`] orders them, with the version
    /// they are the whole register at, read in one snapshot: what a server's screening cache holds
    /// (`QuickReader::all_screening` on SQLite, where the version is read apart).
    pub async fn all_screening(&self) -> Result<(i64, Vec<ScreeningEntry>), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
        let version: i64 =
            sqlx::query_scalar("SELECT version FROM screening_version WHERE id = 1").fetch_one(&mut *tx).await?;
        let sql = format!(
            "SELECT {COLUMNS} FROM screening_entries ORDER BY household_id, effective_on, kind, source, data_source, purpose"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *tx).await?;
        tx.commit().await?;
        let entries = rows.iter().map(entry_from_row).collect::<Result<Vec<_>, _>>()?;
        Ok((version, entries))
    }
}

impl ScreeningRegister for PgStore {
    async fn record_screening(&self, entries: &[ScreeningEntry]) -> Result<usize, StoreError> {
        let mut tx = self.pool.begin().await?;
        // Loads queue here: whoever holds the row inserts against every entry committed before it.
        sqlx::query("SELECT version FROM screening_version WHERE id = 1 FOR UPDATE").execute(&mut *tx).await?;
        let mut new = 0usize;
        let mut audited = Vec::new();
        for e in entries {
            let (data_source, purpose) = ConsentScope::columns(e.scope);
            let done = sqlx::query(
                "INSERT INTO screening_entries
                 (household_id, kind, effective_on, source, recorded_by, recorded_at, note, data_source, purpose)
                 VALUES ($1, $2, $3::date, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
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
            if done.rows_affected() == 1 {
                new += 1;
                audited.push(self.screening_entry(e));
            }
        }
        if new > 0 {
            sqlx::query("UPDATE screening_version SET version = version + $1 WHERE id = 1")
                .bind(i64::try_from(new).map_err(corrupt)?)
                .execute(&mut *tx)
                .await?;
        }
        append_in(&mut tx, &audited).await?;
        tx.commit().await?;
        Ok(new)
    }

    async fn screening_of(&self, household_id: &str) -> Result<Vec<ScreeningEntry>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM screening_entries WHERE household_id = $1
             ORDER BY effective_on, kind, source, data_source, purpose"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(household_id).fetch_all(&self.pool).await?;
        rows.iter().map(entry_from_row).collect()
    }
}
