//! [`ErasureRegister`] for [`PgStore`]: personal columns of `rec_<source>` rows set to NULL under the record tables'
//! erasure trigger, the append-only `erasures` table (migration `0011_erasures`) and the `privacy.erase` audit entry,
//! in one transaction, as on SQLite.
//!
//! The guard: the transaction first locks `rec_loans` (when it exists), then `loans` and `loan_events`, in `SHARE`
//! mode, which waits for every writer of them in flight and keeps new ones out until it ends, and only then reads the
//! household's [`LoanFacts`]; a loan booked, an event posted or a loan file loaded after the judgement's read is seen
//! and refuses the erasure, as SQLite's write lock makes it. Erasures are rare; loan writers wait for one at most,
//! and none waits while the erasure waits for a load of loans to finish.
//!
//! What SQLite's `secure_delete` and WAL checkpoint do has no direct equivalent here: an `UPDATE` writes a new row
//! version and leaves the old one, tokens and all, in the table's pages (and in the WAL and any base backup or
//! archive) until it is vacuumed and its space reused. After the commit the tables erased from are `VACUUM`ed, which
//! makes the old versions' space free for reuse but does not overwrite it at once; `VACUUM FULL` (which rewrites the
//! table under an exclusive lock) or a dump and restore removes them from the data files, and WAL archives and
//! backups age out under the operator's retention. `docs/operations.md` is the place to say so to operators.

use std::collections::BTreeMap;

use sqlx::Row;
use sqlx::postgres::PgRow;

use super::records::renew_update_trigger;
use super::{PgStore, append_in, corrupt, parse_date};
use crate::erasure::{Erased, Erasure, ErasureRecord, ErasureRegister, LoanFacts, check};
use crate::{RecordTable, StoreError};

/// The columns of an erasure as [`record_from_row`] reads them.
const COLUMNS: &str = "erasure_id, household_id, erased_at, actor, to_char(as_of, 'YYYY-MM-DD') AS as_of, rule, reason,
                       override_hold, rows_json::text AS rows_json";

fn record_from_row(row: &PgRow) -> Result<ErasureRecord, StoreError> {
    let rows_json: String = row.try_get("rows_json")?;
    Ok(ErasureRecord {
        erasure_id: row.try_get("erasure_id")?,
        household_id: row.try_get("household_id")?,
        erased_at: row.try_get("erased_at")?,
        actor: row.try_get("actor")?,
        as_of: parse_date(&row.try_get::<String, _>("as_of")?)?,
        rule: row.try_get("rule")?,
        reason: row.try_get("reason")?,
        override_hold: row.try_get("override_hold")?,
        rows: serde_json::from_str(&rows_json).map_err(corrupt)?,
    })
}

impl PgStore {
    /// The erasure's transaction; returns what it did and the tables it cleared rows of.
    async fn erase_in(&self, erasure: &Erasure, tables: &[RecordTable]) -> Result<(Erased, Vec<String>), StoreError> {
        let mut tx = self.pool.begin().await?;
        if loan_facts_in(&mut tx, &erasure.household_id, true).await? != erasure.seen {
            tx.rollback().await?;
            return Err(StoreError::HouseholdChanged(erasure.household_id.clone()));
        }
        let mut rows = BTreeMap::new();
        let mut cleared = Vec::new();
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
            let sql = format!("UPDATE {} SET {set} WHERE household_id = $1 AND ({left})", table.table_name());
            let done = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&erasure.household_id).execute(&mut *tx).await?;
            if done.rows_affected() > 0 {
                rows.insert(table.source.clone(), done.rows_affected());
                cleared.push(table.table_name());
            }
        }
        if rows.is_empty() {
            // Nothing personal was left: the triggers renewed are the same rule, so nothing is worth committing.
            tx.rollback().await?;
            let earlier = self.erasures_of(&erasure.household_id).await?.pop();
            return Ok((Erased::NothingLeft(earlier), cleared));
        }
        let rows_json = serde_json::to_string(&rows).map_err(corrupt)?;
        let as_of = erasure.as_of.to_string();
        let override_hold = erasure.override_hold.as_deref().unwrap_or("");
        // The same digest and detail as SQLite's, over the same texts.
        let digest = crate::audit::record_digest(&[
            &erasure.household_id,
            &as_of,
            &erasure.rule,
            &erasure.reason,
            override_hold,
            &rows_json,
        ]);
        let mut entry =
            self.context.entry("privacy.erase", format!("household:{}", erasure.household_id), Some(digest));
        entry.detail = serde_json::json!({
            "rule": erasure.rule,
            "reason": erasure.reason,
            "override_hold": erasure.override_hold,
            "as_of": as_of,
            "rows": rows,
        })
        .to_string();
        let erased_at = entry.at.to_string();
        let erasure_id: i64 = sqlx::query_scalar(
            "INSERT INTO erasures (household_id, erased_at, actor, as_of, rule, reason, override_hold, rows_json)
             VALUES ($1, $2, $3, $4::date, $5, $6, $7, $8::jsonb) RETURNING erasure_id",
        )
        .bind(&erasure.household_id)
        .bind(&erased_at)
        .bind(&entry.actor)
        .bind(&as_of)
        .bind(&erasure.rule)
        .bind(&erasure.reason)
        .bind(erasure.override_hold.as_deref())
        .bind(&rows_json)
        .fetch_one(&mut *tx)
        .await?;
        let record = ErasureRecord {
            erasure_id,
            household_id: erasure.household_id.clone(),
            erased_at,
            actor: entry.actor.clone(),
            as_of: erasure.as_of,
            rule: erasure.rule.clone(),
            reason: erasure.reason.clone(),
            override_hold: erasure.override_hold.clone(),
            rows,
        };
        append_in(&mut tx, &[entry]).await?;
        tx.commit().await?;
        Ok((Erased::Done(record), cleared))
    }
}

impl ErasureRegister for PgStore {
    async fn erase(&self, erasure: &Erasure, tables: &[RecordTable]) -> Result<Erased, StoreError> {
        check(erasure)?;
        let (erased, cleared) = self.erase_in(erasure, tables).await?;
        // The old row versions still hold the tokens: make their space free for reuse now rather than whenever
        // autovacuum comes by (see the module on what this does not do). Outside any transaction, as VACUUM must be.
        for table in cleared {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("VACUUM {table}"))).execute(&self.pool).await?;
        }
        Ok(erased)
    }

    async fn loan_facts(&self, household_id: &str) -> Result<LoanFacts, StoreError> {
        let mut conn = self.pool.acquire().await?;
        loan_facts_in(&mut conn, household_id, false).await
    }

    async fn erasures_of(&self, household_id: &str) -> Result<Vec<ErasureRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM erasures WHERE household_id = $1 ORDER BY erasure_id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(household_id).fetch_all(&self.pool).await?;
        rows.iter().map(record_from_row).collect()
    }

    async fn erasures(&self) -> Result<Vec<ErasureRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM erasures ORDER BY erasure_id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool).await?;
        rows.iter().map(record_from_row).collect()
    }
}

/// A household's loan facts as `conn` sees them; with `lock`, after locking `rec_loans` (when it exists), then
/// `loans` and `loan_events`, in `SHARE` mode, as the erasure's transaction does.
async fn loan_facts_in(conn: &mut sqlx::PgConnection, household_id: &str, lock: bool) -> Result<LoanFacts, StoreError> {
    let count = |n: i64| u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("a negative count {n}")));
    let ingested_table: bool =
        sqlx::query_scalar("SELECT to_regclass('rec_loans') IS NOT NULL").fetch_one(&mut *conn).await?;
    if lock {
        // `rec_loans` first: waiting for a long load of loans there, the erasure holds up no loan writer.
        if ingested_table {
            sqlx::query("LOCK TABLE rec_loans IN SHARE MODE").execute(&mut *conn).await?;
        }
        sqlx::query("LOCK TABLE loans, loan_events IN SHARE MODE").execute(&mut *conn).await?;
    }
    let (loans, events): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM loans WHERE borrower_id = $1),
                (SELECT COUNT(*) FROM loan_events e JOIN loans l ON l.id = e.loan_id WHERE l.borrower_id = $1)",
    )
    .bind(household_id)
    .fetch_one(&mut *conn)
    .await?;
    let ingested: i64 = if ingested_table {
        sqlx::query_scalar("SELECT COUNT(*) FROM rec_loans WHERE household_id = $1")
            .bind(household_id)
            .fetch_one(&mut *conn)
            .await?
    } else {
        0
    };
    Ok(LoanFacts { booked_loans: count(loans)?, booked_events: count(events)?, ingested_loans: count(ingested)? })
}
