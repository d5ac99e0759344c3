//! [`PolicyRegister`] for [`PgStore`]: immutable `policy_versions`, the append-only `policy_status_changes` history
//! and the `policy_summaries` view (migration `0005_policies`), with the checks and audit entries of the SQLite
//! register. The effective date is a `date`, read back as `YYYY-MM-DD`.
//!
//! Concurrency: a move locks every version of its name, region and segment (`FOR NO KEY UPDATE`, in id order) before
//! it reads any status, so moves within one group run one after the other. Two moves of one version cannot both
//! apply from the same status, and two active versions cannot both be retired at once on the strength of each
//! other: the second mover sees the first's change and the lifecycle refuses it. Submission relies on the primary
//! key and the unique (name, version): of two writers, one inserts and the other compares with its row.

use sqlx::Row;
use sqlx::postgres::PgRow;

use super::{PgStore, append_in, corrupt};
use crate::StoreError;
use crate::policies::{PolicyRegister, PolicySummary, PolicyVersion, check_version, specificity};
use policy::lifecycle::{self, PolicyStatus};

const COLUMNS: &str = "s.policy_id, s.name, s.version, s.region, s.segment,
                       to_char(s.effective_from, 'YYYY-MM-DD') AS effective_from, s.submitted_by, s.submitted_at,
                       s.status, p.jdm_json";

fn summary_from_row(row: &PgRow) -> Result<PolicySummary, StoreError> {
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
        status: row.try_get::<String, _>("status")?.parse().map_err(corrupt)?,
    })
}

async fn find(conn: &mut sqlx::PgConnection, policy_id: &str) -> Result<Option<PolicySummary>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM policy_summaries AS s JOIN policy_versions AS p ON p.policy_id = s.policy_id
         WHERE s.policy_id = $1"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(policy_id).fetch_optional(conn).await?;
    row.as_ref().map(summary_from_row).transpose()
}

/// The refusal of a policy id stored already with other content.
fn id_clash(version: &PolicyVersion) -> StoreError {
    StoreError::InvalidPolicy {
        policy: version.name.clone(),
        field: "policy_id",
        problem: "is stored already with other metadata",
    }
}

impl PolicyRegister for PgStore {
    async fn submit_policy(&self, version: &PolicyVersion) -> Result<PolicySummary, StoreError> {
        check_version(version)?;
        let mut tx = self.pool.begin().await?;
        if let Some(existing) = find(&mut tx, &version.policy_id).await? {
            return if existing.version == *version { Ok(existing) } else { Err(id_clash(version)) };
        }
        // A writer submitting the same id or label meanwhile makes this insert wait and then insert nothing.
        let done = sqlx::query(
            "INSERT INTO policy_versions (policy_id, name, version, region, segment, effective_from, submitted_by,
                                          submitted_at, jdm_json)
             VALUES ($1, $2, $3, $4, $5, $6::date, $7, $8, $9) ON CONFLICT DO NOTHING",
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
        .await?;
        if done.rows_affected() == 0 {
            return match find(&mut tx, &version.policy_id).await? {
                Some(existing) if existing.version == *version => Ok(existing),
                Some(_) => Err(id_clash(version)),
                None => Err(StoreError::InvalidPolicy {
                    policy: version.name.clone(),
                    field: "version",
                    problem: "is taken by another document of this policy",
                }),
            };
        }
        sqlx::query(
            "INSERT INTO policy_status_changes (policy_id, seq, to_status, changed_by, changed_at, reason)
             VALUES ($1, 1, 'submitted', $2, $3, 'submitted')",
        )
        .bind(&version.policy_id)
        .bind(&version.submitted_by)
        .bind(&version.submitted_at)
        .execute(&mut *tx)
        .await?;
        let summary = find(&mut tx, &version.policy_id).await?.ok_or_else(|| corrupt("lost"))?;
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
        let entry = self.context.entry("policy.submit", format!("policy:{}", version.policy_id), Some(digest));
        append_in(&mut tx, &[entry]).await?;
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
        let mut tx = self.pool.begin().await?;
        // The versions of its name, region and segment, locked in id order; a version's group never changes, so
        // reading it before the lock is safe. After the lock every status read is as committed by earlier movers.
        let group = sqlx::query("SELECT name, region, segment FROM policy_versions WHERE policy_id = $1")
            .bind(policy_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::PolicyNotFound(policy_id.to_string()))?;
        let (name, region, segment): (String, String, String) =
            (group.try_get("name")?, group.try_get("region")?, group.try_get("segment")?);
        sqlx::query(
            "SELECT policy_id FROM policy_versions WHERE name = $1 AND region = $2 AND segment = $3
             ORDER BY policy_id FOR NO KEY UPDATE",
        )
        .bind(&name)
        .bind(&region)
        .bind(&segment)
        .fetch_all(&mut *tx)
        .await?;
        let current =
            find(&mut tx, policy_id).await?.ok_or_else(|| StoreError::PolicyNotFound(policy_id.to_string()))?;
        if current.status == to {
            return Ok(current);
        }
        // The other versions of the group, for the rule that the last active one leaves only once a successor is
        // active.
        let others: Vec<String> = sqlx::query_scalar(
            "SELECT s.status FROM policy_summaries AS s
             WHERE s.name = $1 AND s.region = $2 AND s.segment = $3 AND s.policy_id <> $4",
        )
        .bind(&name)
        .bind(&region)
        .bind(&segment)
        .bind(policy_id)
        .fetch_all(&mut *tx)
        .await?;
        let others = others.iter().map(|s| s.parse().map_err(corrupt)).collect::<Result<Vec<PolicyStatus>, _>>()?;
        // People are compared by name, so `user:alice` and `os:alice` are one person (`workflow::dual::person`).
        let (mover, author) = (workflow::dual::person(by), workflow::dual::person(&current.version.submitted_by));
        lifecycle::check_move(current.status, to, &mover, &author, &others)
            .map_err(|refusal| StoreError::PolicyMove { policy: policy_id.to_string(), refusal })?;
        let seq: i32 =
            sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM policy_status_changes WHERE policy_id = $1")
                .bind(policy_id)
                .fetch_one(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO policy_status_changes (policy_id, seq, to_status, changed_by, changed_at, reason)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(policy_id)
        .bind(seq)
        .bind(to.code())
        .bind(by)
        .bind(at)
        .bind(reason)
        .execute(&mut *tx)
        .await?;
        let summary = find(&mut tx, policy_id).await?.ok_or_else(|| corrupt("lost"))?;
        let digest = crate::audit::record_digest(&[policy_id, &seq.to_string(), to.code(), by, at, reason]);
        let mut entry = self.context.entry("policy.move", format!("policy:{policy_id}"), Some(digest));
        entry.detail = serde_json::json!({ "seq": seq, "from": current.status.code(), "to": to.code() }).to_string();
        let mut entries = [entry];
        self.context.note_proposal(&mut entries);
        append_in(&mut tx, &entries).await?;
        tx.commit().await?;
        Ok(summary)
    }

    async fn policies(&self, name: Option<&str>) -> Result<Vec<PolicySummary>, StoreError> {
        // `COLLATE "C"` orders the submission times byte by byte, as SQLite does, whatever the database's locale.
        let sql = format!(
            "SELECT {COLUMNS} FROM policy_summaries AS s JOIN policy_versions AS p ON p.policy_id = s.policy_id
             WHERE $1::text IS NULL OR s.name = $1
             ORDER BY s.submitted_at COLLATE \"C\", s.policy_id COLLATE \"C\""
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
