//! [`ReviewWorkflow`] for [`PgStore`]: immutable `officers`, the append-only `officer_authority`, `review_actions`
//! (each with the authority in force when it was taken) and `disbursements`, and the `review_states` view that
//! derives each decision's review state from its actions (migration `0008_workflow`). The workflow's rules are
//! applied here inside the writing transaction; the schema's triggers repeat them on their own.
//!
//! Concurrency: a review and a disbursement first lock their decision's row (`FOR NO KEY UPDATE`, which leaves the
//! key-share locks of rows referring to it free), so two officers acting on one referral, or two disbursements of
//! one decision, run one after the other and the second judges the first's committed action. A review also share-
//! locks its officer's row, which an authority change locks for update, so the authority a review keeps is the one
//! in force when it commits. A disbursement inserts its row with `ON CONFLICT DO NOTHING` before it books the loan,
//! so a request id or loan id taken meanwhile by another decision's disbursement is answered as on a retry. Locks are
//! taken decision, disbursement keys, loan, then the audit trail: the loan store's order (loan, then trail) within.
//!
//! The queue and the claims read `review_open` (migration `0013_open_reviews`), the open cases in queue order, which
//! the schema's triggers keep exact in the writing transaction of each decision and review action. A claim locks the
//! oldest free case it may give `FOR UPDATE SKIP LOCKED`: claimers at once each lock a different row and never wait
//! for one another's. A review locks its case's `review_open` row after the decision's (a claim being taken on it
//! is waited for and then judged), a claim or a release only that row; the audit trail comes last in each.

use sqlx::Row;
use sqlx::postgres::PgRow;

use domain::{Money, OfficerId, Timestamp};
use workflow::{
    Claim, Disbursement, DisbursementRefusal, Hold, Lease, Officer, Outcome, QueueItem, ReviewAction, ReviewRefusal,
    ReviewState, ReviewStep, Reviewed, check_claim, check_disbursable, check_reason,
};

use super::decisions::{decision_id, offset_s, outcome, stored_at};
use super::{PgStore, append_in, corrupt, insert_change, insert_event, to_u32};
use crate::StoreError;
use crate::audit::record_digest;
use crate::workflow::{Booking, Disbursed, ReviewWorkflow};

/// The columns of `review_states` as [`state_from_row`] reads them.
const STATE_COLUMNS: &str = "decision_id, subject, extract(epoch FROM decided_at)::bigint AS decided_at_epoch_s,
                             decided_at_offset_s, outcome, state, maker, amount_fen, checker";

/// An open case of `review_open` (`o`) with its decision (`d`), in the columns [`queue_item_from_row`] reads.
const OPEN_CASES: &str =
    "SELECT o.decision_id, d.subject, extract(epoch FROM o.decided_at)::bigint AS decided_at_epoch_s,
                                 d.decided_at_offset_s, 'refer' AS outcome, o.state, o.maker, o.amount_fen,
                                 NULL::text AS checker
                          FROM review_open AS o JOIN decisions AS d ON d.decision_id = o.decision_id";

/// The columns of `officers` as [`officer_from_row`] reads them.
const OFFICER_COLUMNS: &str = "officer_id, name, branch, authority_fen,
                               extract(epoch FROM registered_at)::bigint AS registered_at_epoch_s,
                               registered_at_offset_s";

/// The columns of `review_actions` as [`step_from_row`] reads them.
const STEP_COLUMNS: &str = "decision_id, seq, officer_id, action, amount_fen, reason,
                            extract(epoch FROM acted_at)::bigint AS acted_at_epoch_s, acted_at_offset_s";

/// The columns of `disbursements` as [`disbursement_from_row`] reads them.
const DISBURSEMENT_COLUMNS: &str = "decision_id, loan_id, request_id, amount_fen,
                                    extract(epoch FROM disbursed_at)::bigint AS disbursed_at_epoch_s,
                                    disbursed_at_offset_s, request_sha256";

/// A stored officer id.
fn officer_id(text: &str) -> Result<OfficerId, StoreError> {
    OfficerId::parse(text).map_err(|e| corrupt(format!("officer id {text:?}: {e}")))
}

/// A review action from its stored code and amount in fen.
fn action_from_columns(code: &str, amount_fen: Option<i64>) -> Result<ReviewAction, StoreError> {
    ReviewAction::from_parts(code, amount_fen.map(Money::from_fen))
        .ok_or_else(|| corrupt(format!("review action '{code}' with amount {amount_fen:?}")))
}

fn officer_from_row(row: &PgRow) -> Result<Officer, StoreError> {
    let id: String = row.try_get("officer_id")?;
    Ok(Officer {
        registered_at: stored_at(
            &format!("officer {id}"),
            row.try_get("registered_at_epoch_s")?,
            row.try_get("registered_at_offset_s")?,
        )?,
        officer_id: officer_id(&id)?,
        name: row.try_get("name")?,
        branch: row.try_get("branch")?,
        authority: Money::from_fen(row.try_get("authority_fen")?),
    })
}

fn step_from_row(row: &PgRow) -> Result<ReviewStep, StoreError> {
    let id: String = row.try_get("decision_id")?;
    let seq = to_u32(row.try_get("seq")?, "review action seq")?;
    Ok(ReviewStep {
        acted_at: stored_at(
            &format!("review action {seq} of decision {id}"),
            row.try_get("acted_at_epoch_s")?,
            row.try_get("acted_at_offset_s")?,
        )?,
        decision_id: decision_id(&id)?,
        seq,
        officer_id: officer_id(&row.try_get::<String, _>("officer_id")?)?,
        action: action_from_columns(&row.try_get::<String, _>("action")?, row.try_get("amount_fen")?)?,
        reason: row.try_get("reason")?,
    })
}

fn disbursement_from_row(row: &PgRow) -> Result<Disbursement, StoreError> {
    let id: String = row.try_get("decision_id")?;
    Ok(Disbursement {
        disbursed_at: stored_at(
            &format!("disbursement of decision {id}"),
            row.try_get("disbursed_at_epoch_s")?,
            row.try_get("disbursed_at_offset_s")?,
        )?,
        decision_id: decision_id(&id)?,
        loan_id: row.try_get("loan_id")?,
        request_id: row.try_get("request_id")?,
        amount: Money::from_fen(row.try_get("amount_fen")?),
        request_sha256: row.try_get("request_sha256")?,
    })
}

/// A decision's outcome and review state from its `review_states` row.
fn state_from_row(row: &PgRow) -> Result<(Outcome, ReviewState), StoreError> {
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

async fn state_in(conn: &mut sqlx::PgConnection, decision_id: &str) -> Result<(Outcome, ReviewState), StoreError> {
    let sql = format!("SELECT {STATE_COLUMNS} FROM review_states WHERE decision_id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(decision_id).fetch_optional(conn).await?;
    let row = row.ok_or_else(|| StoreError::DecisionNotFound(decision_id.to_string()))?;
    state_from_row(&row)
}

/// Locks a decision's row for the rest of the transaction, if there is one; its id as stored.
async fn lock_decision(conn: &mut sqlx::PgConnection, decision_id: &str) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar("SELECT decision_id FROM decisions WHERE decision_id = $1 FOR NO KEY UPDATE")
        .bind(decision_id)
        .fetch_optional(conn)
        .await?)
}

/// An officer as registered.
async fn registered_in(conn: &mut sqlx::PgConnection, officer_id: &str) -> Result<Option<Officer>, StoreError> {
    let sql = format!("SELECT {OFFICER_COLUMNS} FROM officers WHERE officer_id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(officer_id).fetch_optional(conn).await?;
    row.as_ref().map(officer_from_row).transpose()
}

/// An officer with the authority in force: the latest change, else the registered one.
async fn officer_in(conn: &mut sqlx::PgConnection, officer_id: &str) -> Result<Option<Officer>, StoreError> {
    let Some(mut officer) = registered_in(&mut *conn, officer_id).await? else { return Ok(None) };
    let latest: Option<i64> = sqlx::query_scalar(
        "SELECT authority_fen FROM officer_authority WHERE officer_id = $1 ORDER BY seq DESC LIMIT 1",
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
    conn: &mut sqlx::PgConnection,
    column: &'static str,
    value: &str,
) -> Result<Option<Disbursement>, StoreError> {
    let sql = format!("SELECT {DISBURSEMENT_COLUMNS} FROM disbursements WHERE {column} = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(value).fetch_optional(conn).await?;
    row.as_ref().map(disbursement_from_row).transpose()
}

/// The answer to a disbursement whose request id is stored already: the stored one for the same request (the same
/// hash, or for a record from before request hashes the same fields), a refusal for another.
fn disbursed_before(earlier: Disbursement, disbursement: &Disbursement) -> Result<Disbursed, StoreError> {
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
    Err(StoreError::RequestReused { request_id: disbursement.request_id.clone() })
}

/// Why a disbursement's row was not inserted: which of its unique keys another disbursement holds.
async fn disbursement_clash(conn: &mut sqlx::PgConnection, d: &Disbursement) -> Result<Disbursed, StoreError> {
    let decision = d.decision_id.as_str();
    let refuse = |refusal| StoreError::Disbursement { decision: decision.to_string(), refusal };
    if let Some(earlier) = disbursement_where(&mut *conn, "request_id", &d.request_id).await? {
        return disbursed_before(earlier, d);
    }
    if let Some(earlier) = disbursement_where(&mut *conn, "decision_id", decision).await? {
        return Err(refuse(DisbursementRefusal::AlreadyDisbursed { request_id: earlier.request_id }));
    }
    if disbursement_where(&mut *conn, "loan_id", &d.loan_id).await?.is_some() {
        return Err(refuse(DisbursementRefusal::LoanTaken { loan_id: d.loan_id.clone() }));
    }
    Err(corrupt(format!("disbursement of {decision}: refused by a key no disbursement holds")))
}

/// Inserts a booked loan; [`StoreError::DuplicateLoan`] if its id is taken (the primary key decides between two
/// writers at once, as in `LoanStore::create_loan`).
async fn insert_loan(conn: &mut sqlx::PgConnection, loan: &crate::NewLoan) -> Result<(), StoreError> {
    let terms_json = serde_json::to_string(&loan.terms).map_err(corrupt)?;
    let done = sqlx::query(
        "INSERT INTO loans (id, borrower_id, product, principal_fen, annual_rate, start_date, rules, terms_json,
                            booked_on)
         VALUES ($1, $2, $3, $4, $5::numeric, $6::date, $7, $8, $9::date) ON CONFLICT (id) DO NOTHING",
    )
    .bind(loan.id.as_str())
    .bind(loan.borrower.as_str())
    .bind(loan.terms.product().code())
    .bind(loan.terms.principal().fen())
    .bind(loan.terms.annual_rate().to_string())
    .bind(loan.terms.start().to_string())
    .bind(&loan.rules)
    .bind(terms_json)
    .bind(loan.booked_on.to_string())
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::DuplicateLoan(loan.id.clone()));
    }
    Ok(())
}

fn queue_item_from_row(row: &PgRow) -> Result<QueueItem, StoreError> {
    let id: String = row.try_get("decision_id")?;
    Ok(QueueItem {
        decided_at: stored_at(
            &format!("decision {id}"),
            row.try_get("decided_at_epoch_s")?,
            row.try_get("decided_at_offset_s")?,
        )?,
        decision_id: decision_id(&id)?,
        subject: row.try_get("subject")?,
        state: state_from_row(row)?.1,
    })
}

/// The claim on an open case, expired or not; with `lock`, its row is locked for the rest of the transaction.
async fn hold_in(conn: &mut sqlx::PgConnection, decision_id: &str, lock: bool) -> Result<Option<Hold>, StoreError> {
    let sql = format!(
        "SELECT claimed_by, extract(epoch FROM claimed_at)::bigint AS claimed_at_epoch_s, claimed_at_offset_s,
                extract(epoch FROM claim_expires)::bigint AS claim_expires_epoch_s
         FROM review_open WHERE decision_id = $1{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(decision_id).fetch_optional(conn).await?;
    let Some(row) = row else { return Ok(None) };
    let Some(holder) = row.try_get::<Option<String>, _>("claimed_by")? else { return Ok(None) };
    let what = format!("claim on decision {decision_id}");
    let offset: i32 = row.try_get::<Option<i32>, _>("claimed_at_offset_s")?.unwrap_or_default();
    let at = |column: &str| -> Result<Timestamp, StoreError> {
        let epoch = row.try_get::<Option<i64>, _>(column)?.ok_or_else(|| corrupt(format!("{what}: no {column}")))?;
        stored_at(&what, epoch, offset)
    };
    Ok(Some(Hold {
        officer_id: officer_id(&holder)?,
        claimed_at: at("claimed_at_epoch_s")?,
        expires_at: at("claim_expires_epoch_s")?,
    }))
}

/// The audit entry of a claim taken or released.
fn claim_entry(store: &PgStore, action: &str, decision_id: &str, hold: &Hold) -> ::audit::NewEntry {
    let (claimed, expires) = (hold.claimed_at.to_string(), hold.expires_at.to_string());
    let digest = record_digest(&[decision_id, hold.officer_id.as_str(), &claimed, &expires]);
    let mut entry = store.context.entry(action, format!("decision:{decision_id}"), Some(digest));
    entry.detail = serde_json::json!({ "officer": hold.officer_id.as_str(), "expires_at": expires }).to_string();
    entry
}

impl ReviewWorkflow for PgStore {
    async fn register_officer(&self, officer: &Officer) -> Result<(), StoreError> {
        officer.check()?;
        let mut tx = self.pool.begin().await?;
        // The primary key decides between two registrations at once; the loser compares with the stored officer.
        let done = sqlx::query(
            "INSERT INTO officers (officer_id, name, branch, authority_fen, registered_at, registered_at_offset_s)
             VALUES ($1, $2, $3, $4, $5::timestamptz, $6) ON CONFLICT (officer_id) DO NOTHING",
        )
        .bind(officer.officer_id.as_str())
        .bind(&officer.name)
        .bind(&officer.branch)
        .bind(officer.authority.fen())
        .bind(officer.registered_at.to_string())
        .bind(offset_s(&officer.registered_at))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            let existing = registered_in(&mut tx, officer.officer_id.as_str()).await?;
            if existing.as_ref() == Some(officer) {
                return Ok(());
            }
            return Err(StoreError::OfficerClash(officer.officer_id.to_string()));
        }
        let digest = record_digest(&[
            officer.officer_id.as_str(),
            &officer.name,
            &officer.branch,
            &officer.authority.fen().to_string(),
            &officer.registered_at.to_string(),
        ]);
        let entry =
            self.context.entry("officer.register", format!("officer:{}", officer.officer_id.as_str()), Some(digest));
        append_in(&mut tx, &[entry]).await?;
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
        at: &Timestamp,
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
        let mut tx = self.pool.begin().await?;
        // The officer's row lock numbers the changes one at a time and waits for reviews that read the authority.
        let locked: Option<i32> = sqlx::query_scalar("SELECT 1 FROM officers WHERE officer_id = $1 FOR NO KEY UPDATE")
            .bind(officer_id)
            .fetch_optional(&mut *tx)
            .await?;
        if locked.is_none() {
            return Err(StoreError::OfficerNotFound(officer_id.to_string()));
        }
        let mut officer = officer_in(&mut tx, officer_id)
            .await?
            .ok_or_else(|| StoreError::OfficerNotFound(officer_id.to_string()))?;
        let done: Option<i64> =
            sqlx::query_scalar("SELECT authority_fen FROM officer_authority WHERE proposal_id = $1")
                .bind(proposal_id)
                .fetch_optional(&mut *tx)
                .await?;
        if done.is_some() {
            return Ok(officer);
        }
        let seq: i64 = sqlx::query_scalar("SELECT COUNT(*) + 1 FROM officer_authority WHERE officer_id = $1")
            .bind(officer_id)
            .fetch_one(&mut *tx)
            .await?;
        let by = self.acting_as().actor.clone();
        sqlx::query(
            "INSERT INTO officer_authority (officer_id, seq, authority_fen, effective_at, effective_at_offset_s, set_by,
                                            proposal_id)
             VALUES ($1, $2, $3, $4::timestamptz, $5, $6, $7)",
        )
        .bind(officer_id)
        .bind(i32::try_from(seq).map_err(corrupt)?)
        .bind(authority.fen())
        .bind(at.to_string())
        .bind(offset_s(at))
        .bind(&by)
        .bind(proposal_id)
        .execute(&mut *tx)
        .await?;
        let at = at.to_string();
        let digest =
            record_digest(&[officer_id, &seq.to_string(), &authority.fen().to_string(), &at, &by, proposal_id]);
        let mut entry = self.context.entry("officer.authority", format!("officer:{officer_id}"), Some(digest));
        entry.detail =
            serde_json::json!({ "seq": seq, "from_fen": officer.authority.fen(), "to_fen": authority.fen() })
                .to_string();
        let mut entries = [entry];
        self.context.note_proposal(&mut entries);
        append_in(&mut tx, &entries).await?;
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
        acted_at: &Timestamp,
    ) -> Result<Reviewed, StoreError> {
        let refuse = |refusal| StoreError::Review { decision: decision_id.to_string(), refusal };
        check_reason(reason).map_err(refuse)?;
        let mut tx = self.pool.begin().await?;
        // Whoever holds the decision's row judges the action against every action committed before it.
        let stored_id = lock_decision(&mut tx, decision_id)
            .await?
            .ok_or_else(|| StoreError::DecisionNotFound(decision_id.to_string()))?;
        let (_, state) = state_in(&mut tx, decision_id).await?;
        sqlx::query("SELECT 1 FROM officers WHERE officer_id = $1 FOR SHARE")
            .bind(officer_id)
            .execute(&mut *tx)
            .await?;
        let officer = officer_in(&mut tx, officer_id)
            .await?
            .ok_or_else(|| StoreError::OfficerNotFound(officer_id.to_string()))?;
        // Locked, so a claim being taken on the case is waited for and judged, and none is taken until this commits.
        let hold = hold_in(&mut tx, decision_id, true).await?;
        check_claim(hold.as_ref(), &officer.officer_id, acted_at).map_err(refuse)?;
        let next = state.after(&officer, action).map_err(refuse)?;
        let seq: i32 =
            sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM review_actions WHERE decision_id = $1")
                .bind(decision_id)
                .fetch_one(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO review_actions (decision_id, seq, officer_id, action, amount_fen, authority_fen, reason,
                                         acted_at, acted_at_offset_s)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8::timestamptz, $9)",
        )
        .bind(decision_id)
        .bind(seq)
        .bind(officer_id)
        .bind(action.code())
        .bind(action.amount().map(Money::fen))
        .bind(officer.authority.fen())
        .bind(reason)
        .bind(acted_at.to_string())
        .bind(offset_s(acted_at))
        .execute(&mut *tx)
        .await?;
        // The Rust transition and the schema's view must agree; if they do not, nothing is written.
        let (_, derived) = state_in(&mut tx, decision_id).await?;
        if derived != next {
            return Err(corrupt(format!("decision {decision_id}: review state {derived:?}, expected {next:?}")));
        }
        let amount = action.amount().map(|a| a.fen().to_string()).unwrap_or_default();
        let acted = acted_at.to_string();
        let digest =
            record_digest(&[decision_id, &seq.to_string(), officer_id, action.code(), &amount, reason, &acted]);
        let mut entry = self.context.entry("decision.review", format!("decision:{decision_id}"), Some(digest));
        entry.detail = serde_json::json!({ "seq": seq, "action": action.code() }).to_string();
        append_in(&mut tx, &[entry]).await?;
        tx.commit().await?;
        let step = ReviewStep {
            decision_id: self::decision_id(&stored_id)?,
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
        let sql = format!("SELECT {STEP_COLUMNS} FROM review_actions WHERE decision_id = $1 ORDER BY seq");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(decision_id).fetch_all(&self.pool).await?;
        rows.iter().map(step_from_row).collect()
    }

    async fn review_queue(&self, limit: u32) -> Result<Vec<QueueItem>, StoreError> {
        // Oldest instant first, whatever offset each time is written in, ties by id in byte order: the index
        // `review_open_in_queue_order`, which holds only open cases.
        let sql = format!("{OPEN_CASES} ORDER BY o.decided_at, o.decision_id COLLATE \"C\" LIMIT $1");
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
        let mut tx = self.pool.begin().await?;
        let officer = officer_in(&mut tx, officer_id)
            .await?
            .ok_or_else(|| StoreError::OfficerNotFound(officer_id.to_string()))?;
        let hold = Hold { officer_id: officer.officer_id.clone(), claimed_at: *at, expires_at: lease.expiry(at) };
        // Candidates are read without locks, a page at a time in queue order: free or expired, and cases this
        // officer may act on (`ReviewState::actionable_by`). The first that `within` accepts and that no other
        // transaction holds is locked, judged again on its latest version, and claimed; a row another claimer or a
        // review holds is skipped, never waited for.
        let candidates = format!(
            "{OPEN_CASES}
             WHERE (o.claimed_by IS NULL OR o.claim_expires <= $1::timestamptz)
               AND (o.state = 'pending' OR (o.maker <> $2 AND o.amount_fen <= $3))
               AND (o.decided_at, o.decision_id COLLATE \"C\") > ($4::timestamptz, $5)
             ORDER BY o.decided_at, o.decision_id COLLATE \"C\" LIMIT $6"
        );
        let (mut after_at, mut after_id) = ("-infinity".to_string(), String::new());
        let claimed = 'pages: loop {
            let rows = sqlx::query(sqlx::AssertSqlSafe(candidates.as_str()))
                .bind(at.to_string())
                .bind(officer_id)
                .bind(officer.authority.fen())
                .bind(&after_at)
                .bind(&after_id)
                .bind(i64::from(crate::workflow::CLAIM_PAGE))
                .fetch_all(&mut *tx)
                .await?;
            if rows.is_empty() {
                return Ok(None);
            }
            for row in &rows {
                let item = queue_item_from_row(row)?;
                (after_at, after_id) = (item.decided_at.to_string(), item.decision_id.to_string());
                if !within(&item) {
                    continue;
                }
                let taken = sqlx::query(
                    "UPDATE review_open AS o
                     SET claimed_by = $2, claimed_at = $1::timestamptz, claimed_at_offset_s = $4,
                         claim_expires = $5::timestamptz
                     WHERE o.decision_id = (
                         SELECT decision_id FROM review_open
                         WHERE decision_id = $6
                           AND (claimed_by IS NULL OR claim_expires <= $1::timestamptz)
                           AND (state = 'pending' OR (maker <> $2 AND amount_fen <= $3))
                         FOR UPDATE SKIP LOCKED)",
                )
                .bind(at.to_string())
                .bind(officer_id)
                .bind(officer.authority.fen())
                .bind(offset_s(at))
                .bind(hold.expires_at.to_string())
                .bind(item.decision_id.as_str())
                .execute(&mut *tx)
                .await?;
                if taken.rows_affected() == 1 {
                    break 'pages item.decision_id;
                }
            }
        };
        // The case as it is now that it is locked (a review may have moved it on since the page was read).
        let sql = format!("{OPEN_CASES} WHERE o.decision_id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(claimed.as_str()).fetch_one(&mut *tx).await?;
        let item = queue_item_from_row(&row)?;
        if !item.state.actionable_by(&officer) {
            return Err(corrupt(format!("decision {claimed}: claimed for {officer_id}, who may not act on it")));
        }
        append_in(&mut tx, &[claim_entry(self, "decision.claim", claimed.as_str(), &hold)]).await?;
        tx.commit().await?;
        Ok(Some(Claim { item, hold }))
    }

    async fn release_claim(&self, decision_id: &str, officer_id: &str, at: &Timestamp) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let known: Option<i32> = sqlx::query_scalar("SELECT 1 FROM decisions WHERE decision_id = $1")
            .bind(decision_id)
            .fetch_optional(&mut *tx)
            .await?;
        if known.is_none() {
            return Err(StoreError::DecisionNotFound(decision_id.to_string()));
        }
        let Some(hold) = hold_in(&mut tx, decision_id, true).await? else { return Ok(false) };
        if hold.officer_id.as_str() != officer_id {
            if hold.live_at(at) {
                let refusal = ReviewRefusal::Claimed { holder: hold.officer_id, until: hold.expires_at };
                return Err(StoreError::Review { decision: decision_id.to_string(), refusal });
            }
            return Ok(false);
        }
        sqlx::query(
            "UPDATE review_open
             SET claimed_by = NULL, claimed_at = NULL, claimed_at_offset_s = NULL, claim_expires = NULL
             WHERE decision_id = $1",
        )
        .bind(decision_id)
        .execute(&mut *tx)
        .await?;
        append_in(&mut tx, &[claim_entry(self, "decision.release", decision_id, &hold)]).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn claim_on(&self, decision_id: &str) -> Result<Option<Hold>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        hold_in(&mut conn, decision_id, false).await
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
        let mut tx = self.pool.begin().await?;
        // Two disbursements of one decision queue here; an unknown decision is reported below, after the request id
        // is looked up, in SQLite's order.
        lock_decision(&mut tx, decision_id).await?;
        if let Some(earlier) = disbursement_where(&mut tx, "request_id", &disbursement.request_id).await? {
            return disbursed_before(earlier, disbursement);
        }
        if let Some(earlier) = disbursement_where(&mut tx, "decision_id", decision_id).await? {
            return Err(refuse(DisbursementRefusal::AlreadyDisbursed { request_id: earlier.request_id }));
        }
        let (outcome, state) = state_in(&mut tx, decision_id).await?;
        check_disbursable(outcome, &state, disbursement.amount).map_err(refuse)?;
        if disbursement_where(&mut tx, "loan_id", &disbursement.loan_id).await?.is_some() {
            return Err(refuse(DisbursementRefusal::LoanTaken { loan_id: disbursement.loan_id.clone() }));
        }
        // Another decision's disbursement may hold the request id or the loan id meanwhile: the unique keys make
        // this insert wait for it, then insert nothing, and the answer is the one a retry would get.
        let done = sqlx::query(
            "INSERT INTO disbursements (decision_id, loan_id, request_id, amount_fen, disbursed_at,
                                        disbursed_at_offset_s, request_sha256)
             VALUES ($1, $2, $3, $4, $5::timestamptz, $6, $7) ON CONFLICT DO NOTHING",
        )
        .bind(decision_id)
        .bind(&disbursement.loan_id)
        .bind(&disbursement.request_id)
        .bind(disbursement.amount.fen())
        .bind(disbursement.disbursed_at.to_string())
        .bind(offset_s(&disbursement.disbursed_at))
        .bind(&disbursement.request_sha256)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return disbursement_clash(&mut tx, disbursement).await;
        }
        insert_loan(&mut tx, &booking.loan).await?;
        let mut entries = vec![self.context.entry(
            "loan.create",
            format!("loan:{}", booking.loan.id),
            Some(crate::audit::loan_digest(&booking.loan)?),
        )];
        for (i, (event, postings)) in booking.events.iter().enumerate() {
            let seq = u32::try_from(i + 1).map_err(corrupt)?;
            entries.push(insert_event(self, &mut tx, &booking.loan.id, seq, event, postings).await?);
        }
        for change in &booking.changes {
            if insert_change(&mut tx, &booking.loan.id, change).await? == 1 {
                entries.push(self.change_entry(&booking.loan.id, change));
            }
        }
        let digest = record_digest(&[
            decision_id,
            &disbursement.loan_id,
            &disbursement.request_id,
            &disbursement.amount.fen().to_string(),
            &disbursement.disbursed_at.to_string(),
            &disbursement.request_sha256,
        ]);
        let mut entry = self.context.entry("decision.disburse", format!("decision:{decision_id}"), Some(digest));
        entry.detail = serde_json::json!({ "loan": disbursement.loan_id }).to_string();
        entries.push(entry);
        append_in(&mut tx, &entries).await?;
        tx.commit().await?;
        Ok(Disbursed::New)
    }

    async fn disbursement_of(&self, decision_id: &str) -> Result<Option<Disbursement>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        disbursement_where(&mut conn, "decision_id", decision_id).await
    }
}
