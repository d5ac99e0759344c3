//! [`PolicyRegister`] for [`SqliteStore`]: immutable `policy_versions`, the append-only `policy_status_changes`
//! history and the `policy_summaries` view (migration `0005_policies`). The lifecycle (`policy::lifecycle`) is
//! checked here inside the writing transaction; the schema repeats maker-checker on its own.

use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::SqliteStore;
use crate::StoreError;
use crate::policies::{PolicyRegister, PolicySummary, PolicyVersion, check_version, specificity};
use policy::lifecycle::{self, PolicyStatus};

const COLUMNS: &str = "s.policy_id, s.name, s.version, s.region, s.segment, s.effective_from, s.submitted_by, \
                       s.submitted_at, s.status, p.jdm_json";

fn summary_from_row(row: &SqliteRow) -> Result<PolicySummary, StoreError> {
    Ok(PolicySummary {
        version: PolicyVersion {
            policy_id: row.try_get("policy_id")?,
            name: row.try_get("name")?,
            version: row.try_get("version")?,
            region: row.try_get("region")?,
            segment: row.try_get("segment")?,
            effective_from: row.try_get("effective_from")?,
            submitted_by: row.try_get("submitted_by")?,
            submitted_at: row.try_get("submitted_at")?,
            jdm_json: row.try_get("jdm_json")?,
        },
        status: row.try_get::<String, _>("status")?.parse().map_err(super::corrupt)?,
    })
}

async fn find(conn: &mut sqlx::SqliteConnection, policy_id: &str) -> Result<Option<PolicySummary>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM policy_summaries AS s JOIN policy_versions AS p ON p.policy_id = s.policy_id
         WHERE s.policy_id = ?"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(policy_id).fetch_optional(conn).await?;
    row.as_ref().map(summary_from_row).transpose()
}

impl PolicyRegister for SqliteStore {
    async fn submit_policy(&self, version: &PolicyVersion) -> Result<PolicySummary, StoreError> {
        check_version(version)?;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        if let Some(existing) = find(&mut tx, &version.policy_id).await? {
            if existing.version == *version {
                return Ok(existing);
            }
            return Err(StoreError::InvalidPolicy {
                policy: version.name.clone(),
                field: "policy_id",
                problem: "is stored already with other metadata",
            });
        }
        sqlx::query(
            "INSERT INTO policy_versions (policy_id, name, version, region, segment, effective_from, submitted_by,
                                          submitted_at, jdm_json)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&version.policy_id)
        .bind(&version.name)
        .bind(&version.version)
        .bind(&version.region)
        .bind(&version.segment)
        .bind(&version.effective_from)
        .bind(&version.submitted_by)
        .bind(&version.submitted_at)
        .bind(&version.jdm_json)
        .execute(&mut *tx)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(ref d) if d.is_unique_violation() => StoreError::InvalidPolicy {
                policy: version.name.clone(),
                field: "version",
                problem: "is taken by another document of this policy",
            },
            other => StoreError::Database(other),
        })?;
        sqlx::query(
            "INSERT INTO policy_status_changes (policy_id, seq, to_status, changed_by, changed_at, reason)
             VALUES (?, 1, 'submitted', ?, ?, 'submitted')",
        )
        .bind(&version.policy_id)
        .bind(&version.submitted_by)
        .bind(&version.submitted_at)
        .execute(&mut *tx)
        .await?;
        let summary = find(&mut tx, &version.policy_id).await?.ok_or_else(|| StoreError::Corrupt("lost".into()))?;
        let digest = crate::audit::record_digest(&[
            &version.policy_id,
            &version.name,
            &version.version,
            &version.region,
            &version.segment,
            &version.effective_from,
            &version.submitted_by,
            &version.submitted_at,
            &version.jdm_json,
        ]);
        let entry = self.audit_entry("policy.submit", format!("policy:{}", version.policy_id), Some(digest));
        super::append_in(&mut tx, &[entry]).await?;
        tx.commit().await?;
        Ok(summary)
    }

    async fn move_policy(
        &self,
        policy_id: &str,
        to: PolicyStatus,
        by: &str,
        at: &str,
        reason: &str,
    ) -> Result<PolicySummary, StoreError> {
        if by.is_empty() {
            return Err(StoreError::InvalidPolicy { policy: policy_id.to_string(), field: "by", problem: "is empty" });
        }
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let current =
            find(&mut tx, policy_id).await?.ok_or_else(|| StoreError::PolicyNotFound(policy_id.to_string()))?;
        if current.status == to {
            return Ok(current);
        }
        // The other versions of its name, region and segment, for the rule that the last active one leaves only
        // once a successor is active.
        let others: Vec<String> = sqlx::query_scalar(
            "SELECT s.status FROM policy_summaries AS s JOIN policy_versions AS p ON p.policy_id = s.policy_id
             WHERE p.name = ? AND p.region = ? AND p.segment = ? AND p.policy_id <> ?",
        )
        .bind(&current.version.name)
        .bind(&current.version.region)
        .bind(&current.version.segment)
        .bind(policy_id)
        .fetch_all(&mut *tx)
        .await?;
        let others =
            others.iter().map(|s| s.parse().map_err(super::corrupt)).collect::<Result<Vec<PolicyStatus>, _>>()?;
        // People are compared by name, so `user:alice` and `os:alice` are one person (`workflow::dual::person`).
        let (mover, author) = (workflow::dual::person(by), workflow::dual::person(&current.version.submitted_by));
        lifecycle::check_move(current.status, to, &mover, &author, &others)
            .map_err(|refusal| StoreError::PolicyMove { policy: policy_id.to_string(), refusal })?;
        let seq: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM policy_status_changes WHERE policy_id = ?")
                .bind(policy_id)
                .fetch_one(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO policy_status_changes (policy_id, seq, to_status, changed_by, changed_at, reason)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(policy_id)
        .bind(seq)
        .bind(to.code())
        .bind(by)
        .bind(at)
        .bind(reason)
        .execute(&mut *tx)
        .await?;
        let summary = find(&mut tx, policy_id).await?.ok_or_else(|| StoreError::Corrupt("lost".into()))?;
        let digest = crate::audit::record_digest(&[policy_id, &seq.to_string(), to.code(), by, at, reason]);
        let mut entry = self.audit_entry("policy.move", format!("policy:{policy_id}"), Some(digest));
        entry.detail = serde_json::json!({ "seq": seq, "from": current.status.code(), "to": to.code() }).to_string();
        let mut entries = [entry];
        self.note_proposal(&mut entries);
        super::append_in(&mut tx, &entries).await?;
        tx.commit().await?;
        Ok(summary)
    }

    async fn policies(&self, name: Option<&str>) -> Result<Vec<PolicySummary>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM policy_summaries AS s JOIN policy_versions AS p ON p.policy_id = s.policy_id
             WHERE ?1 IS NULL OR s.name = ?1 ORDER BY s.submitted_at, s.policy_id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(name).fetch_all(&self.pool).await?;
        rows.iter().map(summary_from_row).collect()
    }

    async fn dispatch_policy(
        &self,
        name: &str,
        region: &str,
        segment: &str,
        on: &str,
    ) -> Result<Option<PolicySummary>, StoreError> {
        let active = self.policies(Some(name)).await?;
        let best = active
            .into_iter()
            .filter(|p| p.status == PolicyStatus::Active && p.version.effective_from.as_str() <= on)
            .filter_map(|p| specificity(&p.version, region, segment).map(|s| (s, p.version.effective_from.clone(), p)))
            .max_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)))
            .map(|(_, _, p)| p);
        Ok(best)
    }
}
