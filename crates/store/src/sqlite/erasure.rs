//! [`ErasureRegister`] for [`SqliteStore`]: personal columns of `rec_<source>` rows set to NULL under the record
//! tables' erasure trigger, the append-only `erasures` table (migration `0013_erasures`) and the `privacy.erase`
//! audit entry, in one `BEGIN IMMEDIATE` transaction on a connection with `secure_delete` on, so SQLite overwrites
//! the old tokens' bytes with zeros instead of leaving them in free space; then the WAL, which still holds the pages
//! as they were, is checkpointed into the database and truncated.
//!
//! `secure_delete` zeroes what a write frees, not what earlier writes left behind: when a B-tree page splits,
//! SQLite rebuilds it without clearing the bytes the moved cells occupied, so an index over a blind index (whose
//! order is the key's, random to the page layout) keeps stale copies of values in pages' unused space. The same
//! transaction therefore `REINDEX`es each table erased from, which frees the old index pages (zeroed, under
//! `secure_delete`) and builds new ones from what is left. After the checkpoint the database and WAL files are
//! searched for every erased value; if one is still there (a table page that split once), the whole database is
//! `VACUUM`ed, which rewrites every page from live data, and searched again. An erasure whose values cannot be shown
//! gone is an error, though the rows stay erased.
//!
//! The update trigger of each table erased from is re-created in the same transaction from the caller's table
//! (whose columns must be the stored ones): a database made before erasure existed has the trigger that refuses
//! every update, and this is the one write that needs the new one. Opening the store leaves the triggers alone.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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
    ) -> Result<(Erased, Vec<String>), StoreError> {
        let mut tx = sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE").await?;
        if loan_facts_in(&mut tx, &erasure.household_id).await? != erasure.seen {
            tx.rollback().await?;
            return Err(StoreError::HouseholdChanged(erasure.household_id.clone()));
        }
        let mut rows = BTreeMap::new();
        let mut values = Vec::new();
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
            values.extend(personal_values(&mut tx, table, &erasure.household_id, &left).await?);
            let sql = format!("UPDATE {} SET {set} WHERE household_id = ? AND ({left})", table.table_name());
            let done = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&erasure.household_id).execute(&mut *tx).await?;
            if done.rows_affected() > 0 {
                rows.insert(table.source.clone(), done.rows_affected());
                // Index pages may hold stale copies of the values from earlier splits: built anew, under
                // secure_delete the old pages are zeroed.
                let sql = format!("REINDEX {}", table.table_name());
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await?;
            }
        }
        if rows.is_empty() {
            // Nothing personal was left: the triggers renewed are the same rule, so nothing is worth committing.
            tx.rollback().await?;
            let earlier = self.erasures_of(&erasure.household_id).await?.pop();
            return Ok((Erased::NothingLeft(earlier), Vec::new()));
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
        Ok((Erased::Done(record), values))
    }

    /// Copies the WAL into the database and cuts it to nothing. Readers in flight could stop it: it is retried.
    async fn checkpoint(&self) -> Result<(), StoreError> {
        for attempt in 0..5 {
            let (busy, _, _): (i64, i64, i64) =
                sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(&self.pool).await?;
            if busy == 0 {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(100 << attempt)).await;
        }
        Err(StoreError::Corrupt(
            "the write-ahead log could not be checkpointed after an erasure: readers held it".into(),
        ))
    }

    /// How many of the erased values are still found in the bytes of the database file or its WAL.
    fn still_in_files(&self, values: &[String]) -> Result<usize, StoreError> {
        let wal = PathBuf::from(format!("{}-wal", self.path.display()));
        let mut finders: Vec<_> = values.iter().map(|v| Some(memchr::memmem::Finder::new(v.as_bytes()))).collect();
        let mut left = 0;
        for file in [self.path.clone(), wal] {
            left += scan_file(&file, &mut finders)
                .map_err(|source| StoreError::Io { path: file.display().to_string(), source })?;
        }
        Ok(left)
    }
}

/// Searches `file` (absent: nothing) for the values whose finders are still `Some`, in chunks that overlap by the
/// longest value less one, and takes each found value's finder out: how many were found.
fn scan_file(file: &Path, finders: &mut [Option<memchr::memmem::Finder<'_>>]) -> std::io::Result<usize> {
    use std::io::Read;
    let mut reader = match std::fs::File::open(file) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let overlap = finders.iter().flatten().map(|f| f.needle().len()).max().unwrap_or(0).saturating_sub(1);
    let mut buffer = vec![0u8; (8 << 20) + overlap];
    let (mut kept, mut found) = (0, 0);
    loop {
        let read = reader.read(&mut buffer[kept..])?;
        if read == 0 {
            return Ok(found);
        }
        let end = kept + read;
        for slot in finders.iter_mut() {
            if slot.as_ref().is_some_and(|f| f.find(&buffer[..end]).is_some()) {
                *slot = None;
                found += 1;
            }
        }
        kept = overlap.min(end);
        buffer.copy_within(end - kept..end, 0);
    }
}

/// The non-null personal values of the household's rows in `table` (`left`: its "anything left" test).
async fn personal_values(
    conn: &mut sqlx::SqliteConnection,
    table: &RecordTable,
    household_id: &str,
    left: &str,
) -> Result<Vec<String>, StoreError> {
    let personal = crate::erasure::personal_columns(table);
    let sql = format!("SELECT {} FROM {} WHERE household_id = ? AND ({left})", personal.join(", "), table.table_name());
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(household_id).fetch_all(&mut *conn).await?;
    let mut values = Vec::new();
    for row in &rows {
        for i in 0..personal.len() {
            // Personal columns are text (tokens and blind indexes); another type is left to the REINDEX and VACUUM.
            if let Ok(Some(text)) = row.try_get::<Option<String>, _>(i) {
                values.push(text);
            }
        }
    }
    Ok(values)
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
        let (erased, values) = result?;
        if matches!(erased, Erased::Done(_)) {
            // The WAL still holds the pages with the old tokens: copy it into the database (whose freed space
            // secure_delete zeroed) and cut it to nothing; then make sure, and rewrite everything if not.
            self.checkpoint().await?;
            if self.still_in_files(&values)? > 0 {
                let mut conn = self.pool.acquire().await?;
                sqlx::query("PRAGMA secure_delete = ON").execute(&mut *conn).await?;
                let vacuumed = sqlx::query("VACUUM").execute(&mut *conn).await;
                if sqlx::query("PRAGMA secure_delete = OFF").execute(&mut *conn).await.is_err() {
                    conn.detach();
                }
                vacuumed?;
                self.checkpoint().await?;
                let left = self.still_in_files(&values)?;
                if left > 0 {
                    return Err(StoreError::Corrupt(format!(
                        "household {}'s personal data is erased from its rows, but {left} of its values are still \
                         in the database file's free space after VACUUM",
                        erasure.household_id
                    )));
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
