//! [`ReviewWorkflow`] for [`SqliteStore`]: immutable `officers`, the append-only `review_actions` and
//! `disbursements`, and the `review_states` view that derives each decision's review state from its actions
//! (migration `0006_workflow`). The workflow's rules (`workflow`) are applied here inside the writing transaction;
//! the schema's triggers repeat them on their own.
//!
//! The queue and the claims read `review_open` (migration `0016_open_reviews`), the open cases in queue order, which
//! the schema's triggers keep exact in the writing transaction of each decision and review action. A claim is one
//! immediate transaction: SQLite writes one at a time, so two claims are judged one after the other.

use crate::audit::record_digest;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use domain::{Money, OfficerId, Timestamp};
use workflow::{
    Claim, Disbursement, DisbursementRefusal, Hold, Lease, Officer, Outcome, QueueItem, ReviewAction, ReviewRefusal,
    ReviewState, ReviewStep, Reviewed, check_claim, check_disbursable, check_reason,
};

use super::decisions::{decision_id, outcome};
use super::{SqliteStore, corrupt, timestamp, to_u32};
use crate::StoreError;
use crate::workflow::{Booking, Disbursed, ReviewWorkflow};

const STATE_COLUMNS: &str = "decision_id, subject, decided_at, outcome, state, maker, amount_fen, checker";

/// An open case of `review_open` (`o`) with its decision (`d`), in the columns [`queue_item_from_row`] reads.
const OPEN_CASES: &str = "SELECT o.decision_id, d.subject, o.decided_at, 'refer' AS outcome, o.state, o.maker,
                                 o.amount_fen, NULL AS checker
                          FROM review_open AS o JOIN decisions AS d ON d.decision_id = o.decision_id";

/// A stored officer id.
fn officer_id(text: &str) -> Result<OfficerId, StoreError> {
    OfficerId::parse(text).map_err(|e| corrupt(format!("officer id {text:?}: {e}")))
}

/// A review action from its stored code and amount in fen.
fn action_from_columns(code: &str, amount_fen: Option<i64>) -> Result<ReviewAction, StoreError> {
    ReviewAction::from_parts(code, amount_fen.map(Money::from_fen))
        .ok_or_else(|| corrupt(format!("review action '{code}' with amount {amount_fen:?}")))
}

fn officer_from_row(row: &SqliteRow) -> Result<Officer, StoreError> {
    Ok(Officer {
        officer_id: officer_id(&row.try_get::<String, _>("officer_id")?)?,
        name: row.try_get("name")?,
        branch: row.try_get("branch")?,
        authority: Money::from_fen(row.try_get("authority_fen")?),
        registered_at: timestamp(&row.try_get::<String, _>("registered_at")?)?,
    })
}

fn step_from_row(row: &SqliteRow) -> Result<ReviewStep, StoreError> {
    Ok(ReviewStep {
        decision_id: decision_id(&row.try_get::<String, _>("decision_id")?)?,
        seq: to_u32(row.try_get("seq")?, "review action seq")?,
        officer_id: officer_id(&row.try_get::<String, _>("officer_id")?)?,
        action: action_from_columns(&row.try_get::<String, _>("action")?, row.try_get("amount_fen")?)?,
        reason: row.try_get("reason")?,
        acted_at: timestamp(&row.try_get::<String, _>("acted_at")?)?,
    })
}

fn disbursement_from_row(row: &SqliteRow) -> Result<Disbursement, StoreError> {
    Ok(Disbursement {
        decision_id: decision_id(&row.try_get::<String, _>("decision_id")?)?,
        loan_id: row.try_get("loan_id")?,
        request_id: row.try_get("request_id")?,
        amount: Money::from_fen(row.try_get("amount_fen")?),
        disbursed_at: timestamp(&row.try_get::<String, _>("disbursed_at")?)?,
        request_sha256: row.try_get("request_sha256")?,
    })
}

/// A decision's outcome and review state from its `review_states` row.
fn state_from_row(row: &SqliteRow) -> Result<(Outcome, ReviewState), StoreError> {
    let decision: String = row.try_get("decision_id")?;
    let outcome = outcome(&row.try_get::<String, _>("outcome")?)?;
    let label: String = row.try_get("state")?;
    let maker = row.try_get::<Option<String>, _>("maker")?.as_deref().map(officer_id).transpose()?;
    let amount = row.try_get::<Option<i64>, _>("amount_fen")?.map(Money::from_fen);
    let checker = row.try_get::<Option<String>, _>("checker")?.as_deref().map(officer_id).transpose()?;
    let missing = |what: &str| corrupt(format!("decision {decision}: review state {label} without its {what}"));
    let state = match label.as_str() {
        "not-referred" => ReviewState::NotReferred,
        "pending" => ReviewState::Pending,
        "awaiting-check" => ReviewState::AwaitingCheck {
            maker: maker.ok_or_else(|| missing("maker"))?,
            amount: amount.ok_or_else(|| missing("amount"))?,
        },
        "approved" => ReviewState::Approved {
            amount: amount.ok_or_else(|| missing("amount"))?,
            by: maker.into_iter().chain(checker).collect(),
        },
        "declined" => ReviewState::Declined { by: maker.into_iter().chain(checker).collect() },
        _ => return Err(corrupt(format!("decision {decision}: '{label}' is not a review state"))),
    };
    Ok((outcome, state))
}

async fn state_in(conn: &mut SqliteConnection, decision_id: &str) -> Result<(Outcome, ReviewState), StoreError> {
    let sql = format!("SELECT {STATE_COLUMNS} FROM review_states WHERE decision_id = ?");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(decision_id).fetch_optional(conn).await?;
    let row = row.ok_or_else(|| StoreError::DecisionNotFound(decision_id.to_string()))?;
    state_from_row(&row)
}

/// A decision's id as stored (the one the caller named, typed).
async fn decision_id_in(conn: &mut SqliteConnection, text: &str) -> Result<domain::DecisionId, StoreError> {
    let stored: Option<String> = sqlx::query_scalar("SELECT decision_id FROM decisions WHERE decision_id = ?")
        .bind(text)
        .fetch_optional(conn)
        .await?;
    decision_id(&stored.ok_or_else(|| StoreError::DecisionNotFound(text.to_string()))?)
}

/// An officer as registered.
async fn registered_in(conn: &mut SqliteConnection, officer_id: &str) -> Result<Option<Officer>, StoreError> {
    let row = sqlx::query("SELECT * FROM officers WHERE officer_id = ?").bind(officer_id).fetch_optional(conn).await?;
    row.as_ref().map(officer_from_row).transpose()
}

/// An officer with the authority in force: the latest change (migration `0014`), else the registered one.
async fn officer_in(conn: &mut SqliteConnection, officer_id: &str) -> Result<Option<Officer>, StoreError> {
    let Some(mut officer) = registered_in(&mut *conn, officer_id).await? else { return Ok(None) };
    let latest: Option<i64> = sqlx::query_scalar(
        "SELECT authority_fen FROM officer_authority WHERE officer_id = ? ORDER BY seq DESC LIMIT 1",
    )
    .bind(officer_id)
    .fetch_optional(conn)
    .await?;
    if let Some(fen) = latest {
        officer.authority = Money::from_fen(fen);
    }
    Ok(Some(officer))
}

async fn disbursement_where(
    conn: &mut SqliteConnection,
    column: &'static str,
    value: &str,
) -> Result<Option<Disbursement>, StoreError> {
    let sql = format!("SELECT * FROM disbursements WHERE {column} = ?");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(value).fetch_optional(conn).await?;
    row.as_ref().map(disbursement_from_row).transpose()
}

fn queue_item_from_row(row: &SqliteRow) -> Result<QueueItem, StoreError> {
    Ok(QueueItem {
        decision_id: decision_id(&row.try_get::<String, _>("decision_id")?)?,
        subject: row.try_get("subject")?,
        decided_at: timestamp(&row.try_get::<String, _>("decided_at")?)?,
        state: state_from_row(row)?.1,
    })
}

/// The claim on an open case, expired or not.
async fn hold_in(conn: &mut SqliteConnection, decision_id: &str) -> Result<Option<Hold>, StoreError> {
    let row = sqlx::query(
        "SELECT claimed_by, claimed_at, claim_expires FROM review_open
         WHERE decision_id = ? AND claimed_by IS NOT NULL",
    )
    .bind(decision_id)
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(Hold {
        officer_id: officer_id(&row.try_get::<String, _>("claimed_by")?)?,
        claimed_at: timestamp(&row.try_get::<String, _>("claimed_at")?)?,
        expires_at: timestamp(&row.try_get::<String, _>("claim_expires")?)?,
    }))
}

/// The audit entry of a claim taken or released.
fn claim_entry(store: &SqliteStore, action: &str, decision_id: &str, hold: &Hold) -> ::audit::NewEntry {
    let (claimed, expires) = (hold.claimed_at.to_string(), hold.expires_at.to_string());
    let digest = record_digest(&[decision_id, hold.officer_id.as_str(), &claimed, &expires]);
    let mut entry = store.audit_entry(action, format!("decision:{decision_id}"), Some(digest));
    entry.detail = serde_json::json!({ "officer": hold.officer_id.as_str(), "expires_at": expires }).to_string();
    entry
}

impl ReviewWorkflow for SqliteStore {
    async fn register_officer(&self, officer: &Officer) -> Result<(), StoreError> {
        officer.check()?;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        if let Some(existing) = registered_in(&mut tx, officer.officer_id.as_str()).await? {
            if existing == *officer {
                return Ok(());
            }
            return Err(StoreError::OfficerClash(officer.officer_id.to_string()));
        }
        sqlx::query(
            "INSERT INTO officers (officer_id, name, branch, authority_fen, registered_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(officer.officer_id.as_str())
        .bind(&officer.name)
        .bind(&officer.branch)
        .bind(officer.authority.fen())
        .bind(officer.registered_at.to_string())
        .execute(&mut *tx)
        .await?;
        let digest = record_digest(&[
            officer.officer_id.as_str(),
            &officer.name,
            &officer.branch,
            &officer.authority.fen().to_string(),
            &officer.registered_at.to_string(),
        ]);
        let entry =
            self.audit_entry("officer.register", format!("officer:{}", officer.officer_id.as_str()), Some(digest));
        super::append_in(&mut tx, &[entry]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn officer(&self, officer_id: &str) -> Result<Option<Officer>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        officer_in(&mut conn, officer_id).await
    }

    async fn set_authority(
        &self,
        officer_id: &str,
        authority: Money,
        at: &domain::Timestamp,
        proposal_id: &str,
    ) -> Result<Officer, StoreError> {
        if authority.is_negative() {
            return Err(workflow::Invalid::field(
                workflow::Subject::Officer,
                officer_id,
                "authority_fen",
                "is negative",
            )
            .into());
        }
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let Some(mut officer) = officer_in(&mut tx, officer_id).await? else {
            return Err(StoreError::OfficerNotFound(officer_id.to_string()));
        };
        let done: Option<i64> = sqlx::query_scalar("SELECT authority_fen FROM officer_authority WHERE proposal_id = ?")
            .bind(proposal_id)
            .fetch_optional(&mut *tx)
            .await?;
        if done.is_some() {
            return Ok(officer);
        }
        let seq: i64 = sqlx::query_scalar("SELECT COUNT(*) + 1 FROM officer_authority WHERE officer_id = ?")
            .bind(officer_id)
            .fetch_one(&mut *tx)
            .await?;
        let by = self.acting_as().actor.clone();
        sqlx::query(
            "INSERT INTO officer_authority (officer_id, seq, authority_fen, effective_at, set_by, proposal_id)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(officer_id)
        .bind(seq)
        .bind(authority.fen())
        .bind(at.to_string())
        .bind(&by)
        .bind(proposal_id)
        .execute(&mut *tx)
        .await?;
        let at = at.to_string();
        let digest =
            record_digest(&[officer_id, &seq.to_string(), &authority.fen().to_string(), &at, &by, proposal_id]);
        let mut entry = self.audit_entry("officer.authority", format!("officer:{officer_id}"), Some(digest));
        entry.detail =
            serde_json::json!({ "seq": seq, "from_fen": officer.authority.fen(), "to_fen": authority.fen() })
                .to_string();
        let mut entries = [entry];
        self.note_proposal(&mut entries);
        super::append_in(&mut tx, &entries).await?;
        tx.commit().await?;
        officer.authority = authority;
        Ok(officer)
    }

    async fn review(
        &self,
        decision_id: &str,
        officer_id: &str,
        action: ReviewAction,
        reason: &str,
        acted_at: &domain::Timestamp,
    ) -> Result<Reviewed, StoreError> {
        let refuse = |refusal| StoreError::Review { decision: decision_id.to_string(), refusal };
        check_reason(reason).map_err(refuse)?;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let (_, state) = state_in(&mut tx, decision_id).await?;
        let officer = officer_in(&mut tx, officer_id)
            .await?
            .ok_or_else(|| StoreError::OfficerNotFound(officer_id.to_string()))?;
        let hold = hold_in(&mut tx, decision_id).await?;
        check_claim(hold.as_ref(), &officer.officer_id, acted_at).map_err(refuse)?;
        let next = state.after(&officer, action).map_err(refuse)?;
        let seq: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM review_actions WHERE decision_id = ?")
            .bind(decision_id)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO review_actions (decision_id, seq, officer_id, action, amount_fen, reason, acted_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(decision_id)
        .bind(seq)
        .bind(officer_id)
        .bind(action.code())
        .bind(action.amount().map(Money::fen))
        .bind(reason)
        .bind(acted_at.to_string())
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO review_authority (decision_id, seq, authority_fen) VALUES (?, ?, ?)")
            .bind(decision_id)
            .bind(seq)
            .bind(officer.authority.fen())
            .execute(&mut *tx)
            .await?;
        // The Rust transition and the schema's view must agree; if they do not, nothing is written.
        let (_, derived) = state_in(&mut tx, decision_id).await?;
        let stored_id = decision_id_in(&mut tx, decision_id).await?;
        if derived != next {
            return Err(corrupt(format!("decision {decision_id}: review state {derived:?}, expected {next:?}")));
        }
        let amount = action.amount().map(|a| a.fen().to_string()).unwrap_or_default();
        let acted = acted_at.to_string();
        let digest =
            record_digest(&[decision_id, &seq.to_string(), officer_id, action.code(), &amount, reason, &acted]);
        let mut entry = self.audit_entry("decision.review", format!("decision:{decision_id}"), Some(digest));
        entry.detail = serde_json::json!({ "seq": seq, "action": action.code() }).to_string();
        super::append_in(&mut tx, &[entry]).await?;
        tx.commit().await?;
        let step = ReviewStep {
            decision_id: stored_id,
            seq: to_u32(seq, "review action seq")?,
            officer_id: officer.officer_id,
            action,
            reason: reason.to_string(),
            acted_at: *acted_at,
        };
        Ok(Reviewed { step, state: next })
    }

    async fn review_state(&self, decision_id: &str) -> Result<ReviewState, StoreError> {
        let mut conn = self.pool.acquire().await?;
        Ok(state_in(&mut conn, decision_id).await?.1)
    }

    async fn review_actions(&self, decision_id: &str) -> Result<Vec<ReviewStep>, StoreError> {
        let rows = sqlx::query("SELECT * FROM review_actions WHERE decision_id = ? ORDER BY seq")
            .bind(decision_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(step_from_row).collect()
    }

    async fn review_queue(&self, limit: u32) -> Result<Vec<QueueItem>, StoreError> {
        // The index `review_open_in_queue_order` is the queue's order: only open cases are read.
        let sql = format!("{OPEN_CASES} ORDER BY o.decided_at, o.decision_id LIMIT ?");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(i64::from(limit)).fetch_all(&self.pool).await?;
        rows.iter().map(queue_item_from_row).collect()
    }

    async fn claim_next(
        &self,
        officer_id: &str,
        at: &Timestamp,
        lease: Lease,
        within: &(dyn Fn(&QueueItem) -> bool + Sync),
    ) -> Result<Option<Claim>, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let officer = officer_in(&mut tx, officer_id)
            .await?
            .ok_or_else(|| StoreError::OfficerNotFound(officer_id.to_string()))?;
        // Free or expired, and a case this officer may act on (`ReviewState::actionable_by`), oldest first, a page
        // at a time until `within` accepts one.
        let sql = format!(
            "{OPEN_CASES}
             WHERE (o.claimed_by IS NULL OR o.claim_expires_unix <= ?1)
               AND (o.state = 'pending' OR (o.maker <> ?2 AND o.amount_fen <= ?3))
               AND (o.decided_at, o.decision_id) > (?4, ?5)
             ORDER BY o.decided_at, o.decision_id LIMIT ?6"
        );
        let (mut after_at, mut after_id) = (String::new(), String::new());
        let item = 'pages: loop {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(at.instant().timestamp())
                .bind(officer_id)
                .bind(officer.authority.fen())
                .bind(&after_at)
                .bind(&after_id)
                .bind(i64::from(crate::workflow::CLAIM_PAGE))
                .fetch_all(&mut *tx)
                .await?;
            let Some(last) = rows.last() else { return Ok(None) };
            (after_at, after_id) = (last.try_get("decided_at")?, last.try_get("decision_id")?);
            for row in &rows {
                let item = queue_item_from_row(row)?;
                if within(&item) {
                    break 'pages item;
                }
            }
        };
        if !item.state.actionable_by(&officer) {
            return Err(corrupt(format!(
                "decision {}: claimed for {officer_id}, who may not act on it",
                item.decision_id
            )));
        }
        let hold = Hold { officer_id: officer.officer_id, claimed_at: *at, expires_at: lease.expiry(at) };
        sqlx::query(
            "UPDATE review_open SET claimed_by = ?, claimed_at = ?, claim_expires = ?, claim_expires_unix = ?
             WHERE decision_id = ?",
        )
        .bind(officer_id)
        .bind(hold.claimed_at.to_string())
        .bind(hold.expires_at.to_string())
        .bind(hold.expires_at.instant().timestamp())
        .bind(item.decision_id.as_str())
        .execute(&mut *tx)
        .await?;
        super::append_in(&mut tx, &[claim_entry(self, "decision.claim", item.decision_id.as_str(), &hold)]).await?;
        tx.commit().await?;
        Ok(Some(Claim { item, hold }))
    }

    async fn release_claim(&self, decision_id: &str, officer_id: &str, at: &Timestamp) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        decision_id_in(&mut tx, decision_id).await?;
        let Some(hold) = hold_in(&mut tx, decision_id).await? else { return Ok(false) };
        if hold.officer_id.as_str() != officer_id {
            if hold.live_at(at) {
                let refusal = ReviewRefusal::Claimed { holder: hold.officer_id, until: hold.expires_at };
                return Err(StoreError::Review { decision: decision_id.to_string(), refusal });
            }
            return Ok(false);
        }
        sqlx::query(
            "UPDATE review_open
             SET claimed_by = NULL, claimed_at = NULL, claim_expires = NULL, claim_expires_unix = NULL
             WHERE decision_id = ?",
        )
        .bind(decision_id)
        .execute(&mut *tx)
        .await?;
        super::append_in(&mut tx, &[claim_entry(self, "decision.release", decision_id, &hold)]).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn claim_on(&self, decision_id: &str) -> Result<Option<Hold>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        hold_in(&mut conn, decision_id).await
    }

    async fn record_disbursement(
        &self,
        disbursement: &Disbursement,
        booking: &Booking,
    ) -> Result<Disbursed, StoreError> {
        let decision_id = disbursement.decision_id.as_str();
        let refuse = |refusal| StoreError::Disbursement { decision: decision_id.to_string(), refusal };
        disbursement.check().map_err(refuse)?;
        if booking.loan.id.as_str() != disbursement.loan_id {
            return Err(corrupt(format!(
                "disbursement of {decision_id}: loan {} booked for loan {}",
                booking.loan.id, disbursement.loan_id
            )));
        }
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        if let Some(earlier) = disbursement_where(&mut tx, "request_id", &disbursement.request_id).await? {
            // The same request: the same hash (or, for a record from before request hashes, the same fields).
            let same = if earlier.request_sha256.is_empty() {
                earlier.decision_id == disbursement.decision_id
                    && earlier.loan_id == disbursement.loan_id
                    && earlier.amount == disbursement.amount
            } else {
                earlier.request_sha256 == disbursement.request_sha256
            };
            if same {
                return Ok(Disbursed::Existing(earlier));
            }
            return Err(StoreError::RequestReused { request_id: disbursement.request_id.clone() });
        }
        if let Some(earlier) = disbursement_where(&mut tx, "decision_id", decision_id).await? {
            return Err(refuse(DisbursementRefusal::AlreadyDisbursed { request_id: earlier.request_id }));
        }
        let (outcome, state) = state_in(&mut tx, decision_id).await?;
        check_disbursable(outcome, &state, disbursement.amount).map_err(refuse)?;
        if disbursement_where(&mut tx, "loan_id", &disbursement.loan_id).await?.is_some() {
            return Err(refuse(DisbursementRefusal::LoanTaken { loan_id: disbursement.loan_id.clone() }));
        }
        super::insert_loan(&mut tx, &booking.loan).await?;
        let mut entries = vec![super::loan_entry(self, &booking.loan)?];
        for (i, (event, postings)) in booking.events.iter().enumerate() {
            let seq = u32::try_from(i + 1).map_err(corrupt)?;
            entries.push(super::insert_event(self, &mut tx, &booking.loan.id, seq, event, postings).await?);
        }
        for change in &booking.changes {
            if super::insert_change(&mut tx, &booking.loan.id, change).await? == 1 {
                entries.push(super::change_entry(self, &booking.loan.id, change));
            }
        }
        sqlx::query(
            "INSERT INTO disbursements (decision_id, loan_id, request_id, amount_fen, disbursed_at, request_sha256)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(decision_id)
        .bind(&disbursement.loan_id)
        .bind(&disbursement.request_id)
        .bind(disbursement.amount.fen())
        .bind(disbursement.disbursed_at.to_string())
        .bind(&disbursement.request_sha256)
        .execute(&mut *tx)
        .await?;
        let digest = record_digest(&[
            decision_id,
            &disbursement.loan_id,
            &disbursement.request_id,
            &disbursement.amount.fen().to_string(),
            &disbursement.disbursed_at.to_string(),
            &disbursement.request_sha256,
        ]);
        let mut entry = self.audit_entry("decision.disburse", format!("decision:{decision_id}"), Some(digest));
        entry.detail = serde_json::json!({ "loan": disbursement.loan_id }).to_string();
        entries.push(entry);
        super::append_in(&mut tx, &entries).await?;
        tx.commit().await?;
        Ok(Disbursed::New)
    }

    async fn disbursement_of(&self, decision_id: &str) -> Result<Option<Disbursement>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        disbursement_where(&mut conn, "decision_id", decision_id).await
    }
}
