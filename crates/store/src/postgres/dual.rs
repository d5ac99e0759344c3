//! [`DualControl`] for [`PgStore`]: the append-only `dual_proposals` and `dual_decisions` (migration
//! `0009_dual_control`), with the refusals and audit entries of the SQLite register.
//!
//! Concurrency: a proposal is kept under a lock on `dual_proposals` that conflicts with itself (`SHARE ROW
//! EXCLUSIVE`, which leaves reads free), so proposals are numbered one at a time and the one-open-proposal check
//! sees every proposal committed before it. A decision first locks its proposal's row (`FOR NO KEY UPDATE`), then
//! reads the proposal with its decision, so of two confirmations at once the second sees the first's decision and
//! is refused as decided; the primary key of `dual_decisions` holds that on its own.

use sqlx::Row;
use sqlx::postgres::PgRow;

use domain::Timestamp;
use workflow::dual::{Decision, NewProposal, Proposal, Verdict, check_decision};

use super::decisions::{offset_s, stored_at};
use super::{PgStore, append_in, corrupt};
use crate::StoreError;
use crate::dual::DualControl;

const SELECT: &str = "SELECT p.proposal_id, p.kind, p.target, p.payload_json, p.reason, p.proposed_by,
                             extract(epoch FROM p.proposed_at)::bigint AS proposed_at_epoch_s, p.proposed_at_offset_s,
                             d.verdict, d.decided_by, extract(epoch FROM d.decided_at)::bigint AS decided_at_epoch_s,
                             d.decided_at_offset_s, d.reason AS decision_reason
                      FROM dual_proposals AS p LEFT JOIN dual_decisions AS d ON d.proposal_id = p.proposal_id";

fn proposal_from_row(row: &PgRow) -> Result<Proposal, StoreError> {
    let id: String = row.try_get("proposal_id")?;
    let decision = match row.try_get::<Option<String>, _>("verdict")? {
        None => None,
        Some(verdict) => Some(Decision {
            verdict: verdict.parse().map_err(corrupt)?,
            decided_by: row.try_get("decided_by")?,
            decided_at: stored_at(
                &format!("decision on proposal {id}"),
                row.try_get("decided_at_epoch_s")?,
                row.try_get("decided_at_offset_s")?,
            )?,
            reason: row.try_get("decision_reason")?,
        }),
    };
    Ok(Proposal {
        proposal: NewProposal {
            kind: row.try_get::<String, _>("kind")?.parse().map_err(|e| corrupt(format!("proposal {id}: {e}")))?,
            target: row.try_get("target")?,
            payload: row.try_get("payload_json")?,
            reason: row.try_get("reason")?,
            proposed_by: row.try_get("proposed_by")?,
            proposed_at: stored_at(
                &format!("proposal {id}"),
                row.try_get("proposed_at_epoch_s")?,
                row.try_get("proposed_at_offset_s")?,
            )?,
        },
        id,
        decision,
    })
}

async fn proposal_in(conn: &mut sqlx::PgConnection, id: &str) -> Result<Option<Proposal>, StoreError> {
    let sql = format!("{SELECT} WHERE p.proposal_id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(conn).await?;
    row.as_ref().map(proposal_from_row).transpose()
}

/// The digest of a proposal as stored, for its audit entry (as SQLite's).
fn proposal_digest(id: &str, p: &NewProposal) -> audit::Digest {
    let at = p.proposed_at.to_string();
    crate::audit::record_digest(&[id, p.kind.code(), &p.target, &p.payload, &p.reason, &p.proposed_by, &at])
}

impl DualControl for PgStore {
    fn for_proposal(&self, id: &str) -> PgStore {
        self.carrying_out(id)
    }

    async fn propose(&self, proposal: &NewProposal) -> Result<Proposal, StoreError> {
        proposal.check()?;
        let mut tx = self.pool.begin().await?;
        sqlx::query("LOCK TABLE dual_proposals IN SHARE ROW EXCLUSIVE MODE").execute(&mut *tx).await?;
        let open: Option<String> = sqlx::query_scalar(
            "SELECT p.proposal_id FROM dual_proposals AS p
             WHERE p.kind = $1 AND p.target = $2
               AND NOT EXISTS (SELECT 1 FROM dual_decisions AS d WHERE d.proposal_id = p.proposal_id)",
        )
        .bind(proposal.kind.code())
        .bind(&proposal.target)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(existing) = open {
            return Err(StoreError::ProposalOpen { target: proposal.target.clone(), existing });
        }
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM dual_proposals").fetch_one(&mut *tx).await?;
        let id = format!("P{:06}", count + 1);
        sqlx::query(
            "INSERT INTO dual_proposals (proposal_id, kind, target, payload_json, reason, proposed_by, proposed_at,
                                         proposed_at_offset_s)
             VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz, $8)",
        )
        .bind(&id)
        .bind(proposal.kind.code())
        .bind(&proposal.target)
        .bind(&proposal.payload)
        .bind(&proposal.reason)
        .bind(&proposal.proposed_by)
        .bind(proposal.proposed_at.to_string())
        .bind(offset_s(&proposal.proposed_at))
        .execute(&mut *tx)
        .await?;
        let mut entry =
            self.context.entry("approval.propose", proposal.target.clone(), Some(proposal_digest(&id, proposal)));
        entry.detail = serde_json::json!({ "proposal": id, "kind": proposal.kind.code() }).to_string();
        append_in(&mut tx, &[entry]).await?;
        tx.commit().await?;
        Ok(Proposal { id, proposal: proposal.clone(), decision: None })
    }

    async fn proposal(&self, id: &str) -> Result<Option<Proposal>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        proposal_in(&mut conn, id).await
    }

    async fn proposals(&self, open_only: bool, limit: u32) -> Result<Vec<Proposal>, StoreError> {
        let sql = format!("{SELECT} WHERE NOT $1 OR d.verdict IS NULL ORDER BY p.n LIMIT $2");
        let rows =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(open_only).bind(i64::from(limit)).fetch_all(&self.pool).await?;
        rows.iter().map(proposal_from_row).collect()
    }

    async fn decide_proposal(
        &self,
        id: &str,
        verdict: Verdict,
        by: &str,
        at: &Timestamp,
        reason: &str,
    ) -> Result<Proposal, StoreError> {
        let mut tx = self.pool.begin().await?;
        // Locked first and read after, in a statement of its own, so the read sees a decision committed while this
        // transaction waited for the lock.
        sqlx::query("SELECT 1 FROM dual_proposals WHERE proposal_id = $1 FOR NO KEY UPDATE")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let mut proposal =
            proposal_in(&mut tx, id).await?.ok_or_else(|| StoreError::ProposalNotFound(id.to_string()))?;
        check_decision(&proposal, verdict, by, reason).map_err(|refusal| StoreError::Dual { refusal })?;
        let reason: String = reason.chars().take(workflow::dual::MAX_TEXT_CHARS).collect();
        sqlx::query(
            "INSERT INTO dual_decisions (proposal_id, verdict, decided_by, decided_at, decided_at_offset_s, reason)
             VALUES ($1, $2, $3, $4::timestamptz, $5, $6)",
        )
        .bind(id)
        .bind(verdict.code())
        .bind(by)
        .bind(at.to_string())
        .bind(offset_s(at))
        .bind(&reason)
        .execute(&mut *tx)
        .await?;
        let text_at = at.to_string();
        let digest = crate::audit::record_digest(&[id, verdict.code(), by, &text_at, &reason]);
        let action = match verdict {
            Verdict::Confirmed => "approval.confirm",
            Verdict::Rejected => "approval.reject",
        };
        let mut entry = self.context.entry(action, proposal.proposal.target.clone(), Some(digest));
        entry.detail = serde_json::json!({ "proposal": id, "kind": proposal.proposal.kind.code() }).to_string();
        append_in(&mut tx, &[entry]).await?;
        tx.commit().await?;
        proposal.decision = Some(Decision { verdict, decided_by: by.to_string(), decided_at: *at, reason });
        Ok(proposal)
    }
}
