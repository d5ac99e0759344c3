//! [`ErasureRegister`] for [`SqliteStore`]: personal columns of `rec_<source>` rows set to NULL under the record
//! tables' erasure trigger, the append-only `erasures` table (migration `0013_erasures`) and the `privacy.erase`
//! audit entry, in one `BEGIN IMMEDIATE` transaction on a connection with `secure_delete` on, so SQLite overwrites
//! the old tokens' bytes with zeros instead of leaving them in free space; then the WAL, which still holds the pages
//! as they were, is checkpointed into the database and truncated.
//!
//! The update trigger of each table erased from is re-created in the same transaction from the caller's table
//! (whose columns must be the stored ones): a database made before erasure existed has the trigger that refuses
//! every update, and this is the one write that needs the new one. Opening the store leaves the triggers alone.

use std::collections::BTreeMap;

use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::records::renew_update_trigger;
use super::{SqliteStore, corrupt};
use crate::erasure::{Erased, Erasure, ErasureRecord, ErasureRegister, LoanFacts, check};
use crate::{RecordTable, StoreError};

fn record_from_row(row: &SqliteRow) -> Result<ErasureRecord, StoreError> {
    let as_of: String = row.try_get("as_of")?;
    let rows_json: String = row.try_get("rows_json")?;
    Ok(ErasureRecord {
        erasure_id: row.try_get("erasure_id")?,
        household_id: row.try_get("household_id")?,
        erased_at: row.try_get("erased_at")?,
        actor: row.try_get("actor")?,
        as_of: domain::parse_date(&as_of).map_err(corrupt)?,
        rule: row.try_get("rule")?,
        reason: row.try_get("reason")?,
        override_hold: row.try_get("override_hold")?,
        rows: serde_json::from_str(&rows_json).map_err(corrupt)?,
    })
}

impl SqliteStore {
    async fn erase_in(
        &self,
        conn: &mut sqlx::SqliteConnection,
        erasure: &Erasure,
        tables: &[RecordTable],
    ) -> Result<Erased, StoreError> {
        let mut tx = sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE").await?;
        if loan_facts_in(&mut tx, &erasure.household_id).await? != erasure.seen {
            tx.rollback().await?;
            return Err(StoreError::HouseholdChanged(erasure.household_id.clone()));
        }
        let mut rows = BTreeMap::new();
        for table in tables {
            let Some((set, left)) = crate::erasure::personal_sql(table) else { continue };
            if !table.columns.iter().any(|c| c.name == "household_id") {
                return Err(StoreError::InvalidErasure {
                    household: erasure.household_id.clone(),
                    field: "table",
                    problem: format!("{} has no household_id column", table.table_name()),
                });
            }
            if !renew_update_trigger(&mut tx, table).await? {
                continue;
            }
            let sql = format!("UPDATE {} SET {set} WHERE household_id = ? AND ({left})", table.table_name());
            let done = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&erasure.household_id).execute(&mut *tx).await?;
            if done.rows_affected() > 0 {
                rows.insert(table.source.clone(), done.rows_affected());
            }
        }
        if rows.is_empty() {
            // Nothing personal was left: the triggers renewed are the same rule, so nothing is worth committing.
            tx.rollback().await?;
            let earlier = self.erasures_of(&erasure.household_id).await?.pop();
            return Ok(Erased::NothingLeft(earlier));
        }
        let rows_json = serde_json::to_string(&rows).map_err(corrupt)?;
        let as_of = erasure.as_of.to_string();
        let override_hold = erasure.override_hold.as_deref().unwrap_or("");
        let digest = crate::audit::record_digest(&[
            &erasure.household_id,
            &as_of,
            &erasure.rule,
            &erasure.reason,
            override_hold,
            &rows_json,
        ]);
        let mut entry = self.audit_entry("privacy.erase", format!("household:{}", erasure.household_id), Some(digest));
        entry.detail = serde_json::json!({
            "rule": erasure.rule,
            "reason": erasure.reason,
            "override_hold": erasure.override_hold,
            "as_of": as_of,
            "rows": rows,
        })
        .to_string();
        let erased_at = entry.at.to_string();
        let done = sqlx::query(
            "INSERT INTO erasures (household_id, erased_at, actor, as_of, rule, reason, override_hold, rows_json)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&erasure.household_id)
        .bind(&erased_at)
        .bind(&entry.actor)
        .bind(&as_of)
        .bind(&erasure.rule)
        .bind(&erasure.reason)
        .bind(erasure.override_hold.as_deref())
        .bind(&rows_json)
        .execute(&mut *tx)
        .await?;
        let record = ErasureRecord {
            erasure_id: done.last_insert_rowid(),
            household_id: erasure.household_id.clone(),
            erased_at,
            actor: entry.actor.clone(),
            as_of: erasure.as_of,
            rule: erasure.rule.clone(),
            reason: erasure.reason.clone(),
            override_hold: erasure.override_hold.clone(),
            rows,
        };
        super::append_in(&mut tx, &[entry]).await?;
        tx.commit().await?;
        Ok(Erased::Done(record))
    }
}

impl ErasureRegister for SqliteStore {
    async fn erase(&self, erasure: &Erasure, tables: &[RecordTable]) -> Result<Erased, StoreError> {
        check(erasure)?;
        let mut conn = self.pool.acquire().await?;
        sqlx::query("PRAGMA secure_delete = ON").execute(&mut *conn).await?;
        let result = self.erase_in(&mut conn, erasure, tables).await;
        // The connection goes back to the pool as the others are; a failed reset closes it instead.
        if sqlx::query("PRAGMA secure_delete = OFF").execute(&mut *conn).await.is_err() {
            conn.detach();
        }
        let erased = result?;
        if matches!(erased, Erased::Done(_)) {
            // The WAL still holds the pages with the old tokens: copy it into the database (whose freed space
            // secure_delete zeroed) and cut it to nothing. Readers in flight could stop it: it is retried once.
            for _ in 0..2 {
                let (busy, _, _): (i64, i64, i64) =
                    sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(&self.pool).await?;
                if busy == 0 {
                    break;
                }
            }
        }
        Ok(erased)
    }

    async fn loan_facts(&self, household_id: &str) -> Result<LoanFacts, StoreError> {
        let mut conn = self.pool.acquire().await?;
        loan_facts_in(&mut conn, household_id).await
    }

    async fn erasures_of(&self, household_id: &str) -> Result<Vec<ErasureRecord>, StoreError> {
        let rows = sqlx::query("SELECT * FROM erasures WHERE household_id = ? ORDER BY erasure_id")
            .bind(household_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(record_from_row).collect()
    }

    async fn erasures(&self) -> Result<Vec<ErasureRecord>, StoreError> {
        let rows = sqlx::query("SELECT * FROM erasures ORDER BY erasure_id").fetch_all(&self.pool).await?;
        rows.iter().map(record_from_row).collect()
    }
}

/// A household's loan facts as `conn` sees them (inside a transaction: as of its snapshot).
async fn loan_facts_in(conn: &mut sqlx::SqliteConnection, household_id: &str) -> Result<LoanFacts, StoreError> {
    let count = |n: i64| u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("a negative count {n}")));
    let (loans, events): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM loans WHERE borrower_id = ?1),
                (SELECT COUNT(*) FROM loan_events e JOIN loans l ON l.id = e.loan_id WHERE l.borrower_id = ?1)",
    )
    .bind(household_id)
    .fetch_one(&mut *conn)
    .await?;
    let ingested_table: Option<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'rec_loans'")
            .fetch_optional(&mut *conn)
            .await?;
    let ingested: i64 = match ingested_table {
        Some(_) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM rec_loans WHERE household_id = ?")
                .bind(household_id)
                .fetch_one(&mut *conn)
                .await?
        }
        None => 0,
    };
    Ok(LoanFacts { booked_loans: count(loans)?, booked_events: count(events)?, ingested_loans: count(ingested)? })
}
