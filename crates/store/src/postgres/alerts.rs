//! [`AlertRegister`] for [`PgStore`]: the `alerts` and append-only `alert_events` tables (migration `0015_alerts`),
//! each write one transaction with its audit entry, as on SQLite.
//!
//! Concurrency: a raise first looks for the open alert and locks it (`FOR UPDATE`); finding none, it inserts with
//! `ON CONFLICT … DO NOTHING` against the unique index on open alerts, so of two runs raising the same borrower and
//! cause at once one inserts and the other waits for it, then finds its alert and locks it to re-tier it; should
//! that alert be closed in between, the raise starts over. Only a raise that lost such a race draws an alert id it
//! does not use: alert numbers can skip there, never repeat. A step locks
//! its alert's row before it reads it; locks are taken alert row first, then the audit trail.
//!
//! A run's day ([`AlertRegister::apply_run`]) is one transaction of a few statements whatever its size, each over
//! arrays (`UNNEST`): it first takes `monitor_runs` in `SHARE ROW EXCLUSIVE` mode, so two runs queue and the second
//! finds the first's day; then it locks the open alerts of the day's borrowers and causes, inserts the new alerts
//! (`ON CONFLICT DO NOTHING`, in the day's order), their raise steps and the re-tiers, brings the re-tiered rows to
//! their last step, does the same for the resolves (locking their alerts), and appends the audit trail last. The
//! rules are applied in Rust between the statements, item by item in the day's order, exactly as `raise` and `act`
//! apply them. Should another raise open an alert of the day in between, the day is refused whole and the caller runs
//! it again.

use std::collections::{BTreeMap, HashMap};

use domain::{Date, Timestamp};
use monitor::{Alert, AlertEvent, AlertStep, Cause, Change, NewAlert, Status};
use sqlx::Row;
use sqlx::postgres::PgRow;

use super::decisions::{offset_s, stored_at};
use super::{PgStore, append_in, corrupt};
use crate::StoreError;
use crate::alerts::{
    AlertColumns, AlertFilter, AlertRegister, BoardCursor, BoardPage, Raised, RunColumns, RunDay, RunOutcome,
    RunRecord, RunStep, StepColumns, actions_column, apply, check_run, count_new, histories_of, judge, judge_run_step,
    open_page_limit, page_limit, raise_digest, resolve_step, step_digest,
};

/// An alert's columns, as [`alert_from_row`] reads them: dates as the domain's text, the instant as seconds since the
/// epoch and its offset, the evidence as JSON text.
const COLUMNS: &str =
    "alert_id, household_id, loan_id, branch, tier, cause, evidence_json::text AS evidence_json, actions,
                       to_char(raised_on, 'YYYY-MM-DD') AS raised_on,
                       extract(epoch FROM raised_at)::bigint AS raised_at_epoch_s, raised_at_offset_s, config_version,
                       to_char(due_on, 'YYYY-MM-DD') AS due_on, status, holder, events::bigint AS events";

/// Times a raise starts over when the open alert it met was closed before it could lock it.
const RAISE_ATTEMPTS: u32 = 3;

/// The instant `column` of a row read as `<column>_epoch_s` and `<column>_offset_s`, as the domain's text.
fn instant(row: &PgRow, column: &str) -> Result<String, StoreError> {
    let epoch_s: i64 = row.try_get(format!("{column}_epoch_s").as_str())?;
    let offset: i32 = row.try_get(format!("{column}_offset_s").as_str())?;
    Ok(stored_at(column, epoch_s, offset)?.to_string())
}

/// A history row's columns, as [`step_from_row`] reads them.
const STEP_COLUMNS: &str = "alert_id, seq::bigint AS seq, kind, change_json, actor, \
                            extract(epoch FROM at)::bigint AS at_epoch_s, at_offset_s, status";

/// A history row: its alert's number and the step.
fn step_from_row(row: &PgRow) -> Result<(i64, AlertStep), StoreError> {
    let alert_id = row.try_get("alert_id")?;
    let step = StepColumns {
        alert_id,
        seq: row.try_get("seq")?,
        kind: row.try_get("kind")?,
        change_json: row.try_get("change_json")?,
        actor: row.try_get("actor")?,
        at: instant(row, "at")?,
        status: row.try_get("status")?,
    }
    .into_step()?;
    Ok((alert_id, step))
}

fn alert_from_row(row: &PgRow) -> Result<Alert, StoreError> {
    AlertColumns {
        alert_id: row.try_get("alert_id")?,
        household_id: row.try_get("household_id")?,
        loan_id: row.try_get("loan_id")?,
        branch: row.try_get("branch")?,
        tier: row.try_get("tier")?,
        cause: row.try_get("cause")?,
        evidence_json: row.try_get("evidence_json")?,
        actions: row.try_get("actions")?,
        raised_on: row.try_get("raised_on")?,
        raised_at: instant(row, "raised_at")?,
        config_version: row.try_get("config_version")?,
        due_on: row.try_get("due_on")?,
        status: row.try_get("status")?,
        holder: row.try_get("holder")?,
        events: row.try_get("events")?,
    }
    .into_alert()
}

/// The alert, locked to the transaction's end (`FOR UPDATE`): a workflow step reads it and writes its next state.
async fn locked_alert(conn: &mut sqlx::PgConnection, alert_id: i64) -> Result<Alert, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM alerts WHERE alert_id = $1 FOR UPDATE");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(alert_id).fetch_optional(&mut *conn).await?;
    alert_from_row(&row.ok_or(StoreError::AlertNotFound(alert_id))?)
}

async fn branch_of(conn: &mut sqlx::PgConnection, officer: &str) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar("SELECT branch FROM officers WHERE officer_id = $1")
        .bind(officer)
        .fetch_optional(&mut *conn)
        .await?)
}

/// The borrower's open alert for the alert's cause, locked for the rest of the transaction.
async fn open_alert(conn: &mut sqlx::PgConnection, alert: &NewAlert) -> Result<Option<Alert>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM alerts WHERE household_id = $1 AND cause = $2 AND status <> 'closed' FOR UPDATE"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(alert.household_id.as_str())
        .bind(alert.cause.code())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(alert_from_row).transpose()
}

fn events_param(events: u32) -> Result<i32, StoreError> {
    i32::try_from(events).map_err(|_| corrupt(format!("alert event {events} out of range")))
}

/// Appends a step to an alert's history and brings its row to `after`, in the caller's transaction.
async fn write_step(
    conn: &mut sqlx::PgConnection,
    after: &Alert,
    change: &Change,
    actor: &str,
    at: &domain::Timestamp,
) -> Result<String, StoreError> {
    let change_json = serde_json::to_string(change).map_err(corrupt)?;
    let seq = events_param(after.events)?;
    sqlx::query(
        "INSERT INTO alert_events (alert_id, seq, kind, change_json, actor, at, at_offset_s, status)
         VALUES ($1, $2, $3, $4, $5, $6::timestamptz, $7, $8)",
    )
    .bind(after.alert_id)
    .bind(seq)
    .bind(change.kind().code())
    .bind(&change_json)
    .bind(actor)
    .bind(at.to_string())
    .bind(offset_s(at))
    .bind(after.status.code())
    .execute(&mut *conn)
    .await?;
    let rank = i32::try_from(after.raised.tier.board_rank()).map_err(corrupt)?;
    sqlx::query(
        "UPDATE alerts SET status = $1, tier = $2, tier_rank = $3, holder = $4, due_on = $5::date, events = $6
         WHERE alert_id = $7",
    )
    .bind(after.status.code())
    .bind(after.raised.tier.code())
    .bind(rank)
    .bind(after.holder.as_ref().map(|h| h.as_str()))
    .bind(after.raised.due_on.to_string())
    .bind(seq)
    .bind(after.alert_id)
    .execute(&mut *conn)
    .await?;
    Ok(change_json)
}

/// A step of a run's day waiting to be written with the others: the alert after it, the change and its JSON, when.
struct Pending {
    after: Alert,
    change: Change,
    change_json: String,
    at: Timestamp,
}

/// Writes a day's `steps` (in order; an alert may take several) to the history in one statement, then brings each
/// alert's row to its last step in another, in the caller's transaction.
async fn write_steps(conn: &mut sqlx::PgConnection, steps: &[Pending], actor: &str) -> Result<(), StoreError> {
    if steps.is_empty() {
        return Ok(());
    }
    let mut ids = Vec::with_capacity(steps.len());
    let mut seqs = Vec::with_capacity(steps.len());
    let mut kinds = Vec::with_capacity(steps.len());
    let mut changes = Vec::with_capacity(steps.len());
    let mut ats = Vec::with_capacity(steps.len());
    let mut offsets = Vec::with_capacity(steps.len());
    let mut statuses = Vec::with_capacity(steps.len());
    let mut last: BTreeMap<i64, &Alert> = BTreeMap::new();
    for step in steps {
        ids.push(step.after.alert_id);
        seqs.push(events_param(step.after.events)?);
        kinds.push(step.change.kind().code());
        changes.push(step.change_json.as_str());
        ats.push(step.at.to_string());
        offsets.push(offset_s(&step.at));
        statuses.push(step.after.status.code());
        last.insert(step.after.alert_id, &step.after);
    }
    sqlx::query(
        "INSERT INTO alert_events (alert_id, seq, kind, change_json, actor, at, at_offset_s, status)
         SELECT e.alert_id, e.seq, e.kind, e.change_json, $5, e.at::timestamptz, e.at_offset_s, e.status
         FROM UNNEST($1::bigint[], $2::integer[], $3::text[], $4::text[], $6::text[], $7::integer[], $8::text[])
              AS e(alert_id, seq, kind, change_json, at, at_offset_s, status)",
    )
    .bind(&ids)
    .bind(&seqs)
    .bind(&kinds)
    .bind(&changes)
    .bind(actor)
    .bind(&ats)
    .bind(&offsets)
    .bind(&statuses)
    .execute(&mut *conn)
    .await?;
    let mut ids = Vec::with_capacity(last.len());
    let mut statuses = Vec::with_capacity(last.len());
    let mut tiers = Vec::with_capacity(last.len());
    let mut ranks = Vec::with_capacity(last.len());
    let mut holders = Vec::with_capacity(last.len());
    let mut dues = Vec::with_capacity(last.len());
    let mut events = Vec::with_capacity(last.len());
    for (id, after) in last {
        ids.push(id);
        statuses.push(after.status.code());
        tiers.push(after.raised.tier.code());
        ranks.push(i32::try_from(after.raised.tier.board_rank()).map_err(corrupt)?);
        holders.push(after.holder.as_ref().map(|h| h.as_str().to_string()));
        dues.push(after.raised.due_on.to_string());
        events.push(events_param(after.events)?);
    }
    sqlx::query(
        "UPDATE alerts AS a
         SET status = u.status, tier = u.tier, tier_rank = u.tier_rank, holder = u.holder, due_on = u.due_on::date,
             events = u.events
         FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::integer[], $5::text[], $6::text[], $7::integer[])
              AS u(alert_id, status, tier, tier_rank, holder, due_on, events)
         WHERE a.alert_id = u.alert_id",
    )
    .bind(&ids)
    .bind(&statuses)
    .bind(&tiers)
    .bind(&ranks)
    .bind(&holders)
    .bind(&dues)
    .bind(&events)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What a day's raises did: each raise's outcome in order, their audit entries in order, and the re-tiers.
struct DayRaises {
    raised: Vec<Raised>,
    entries: Vec<audit::NewEntry>,
    retiered: i32,
}

impl PgStore {
    /// Raises a day's alerts (checked already; `evidence` their JSON text) in the caller's transaction, each as
    /// [`AlertRegister::raise`] would, one after the other: the open alerts of their borrowers and causes are read and
    /// locked at once, the new alerts inserted at once in the day's order, and the steps written by [`write_steps`].
    async fn raise_day(
        &self,
        conn: &mut sqlx::PgConnection,
        raises: &[NewAlert],
        evidence: &[String],
    ) -> Result<DayRaises, StoreError> {
        let mut day = DayRaises { raised: Vec::with_capacity(raises.len()), entries: Vec::new(), retiered: 0 };
        if raises.is_empty() {
            return Ok(day);
        }
        let key = |alert: &NewAlert| (alert.household_id.as_str().to_string(), alert.cause);
        let households: Vec<&str> = raises.iter().map(|a| a.household_id.as_str()).collect();
        let causes: Vec<&str> = raises.iter().map(|a| a.cause.code()).collect();
        let sql = format!(
            "SELECT {COLUMNS} FROM alerts
             WHERE status <> 'closed'
               AND (household_id, cause) IN (SELECT k.h, k.c FROM UNNEST($1::text[], $2::text[]) AS k(h, c))
             ORDER BY alert_id FOR UPDATE"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&households).bind(&causes).fetch_all(&mut *conn).await?;
        let mut now: HashMap<(String, Cause), Alert> = HashMap::with_capacity(raises.len());
        for row in &rows {
            let alert = alert_from_row(row)?;
            now.insert(key(&alert.raised), alert);
        }
        // The new alerts: the first raise of each borrower and cause with no open alert.
        let mut fresh: Vec<usize> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, alert) in raises.iter().enumerate() {
            let k = key(alert);
            if !now.contains_key(&k) && seen.insert(k) {
                fresh.push(i);
            }
        }
        let ids = self.insert_new(&mut *conn, raises, evidence, &fresh).await?;
        let actor = self.context.acting.actor.clone();
        let mut raise_rows: (Vec<i64>, Vec<String>, Vec<i32>) = (Vec::new(), Vec::new(), Vec::new());
        let mut steps = Vec::new();
        for (i, alert) in raises.iter().enumerate() {
            let k = key(alert);
            let Some(existing) = now.get(&k) else {
                let alert_id = *ids.get(&k).ok_or_else(|| corrupt(format!("raise {i} of the day made no alert")))?;
                let digest = raise_digest(alert_id, alert, &evidence[i]);
                let mut entry = self.context.entry("alert.raise", format!("alert:{alert_id}"), Some(digest));
                entry.detail = serde_json::json!({
                    "household_id": alert.household_id.as_str(),
                    "cause": alert.cause.code(),
                    "tier": alert.tier.code(),
                })
                .to_string();
                day.entries.push(entry);
                raise_rows.0.push(alert_id);
                raise_rows.1.push(alert.raised_at.to_string());
                raise_rows.2.push(offset_s(&alert.raised_at));
                let new = Alert { alert_id, raised: alert.clone(), status: Status::Open, holder: None, events: 1 };
                now.insert(k, new.clone());
                day.raised.push(Raised::New(new));
                continue;
            };
            let Some((change, after)) = crate::alerts::retier(existing, alert)? else {
                day.raised.push(Raised::Existing(existing.clone()));
                continue;
            };
            let change_json = serde_json::to_string(&change).map_err(corrupt)?;
            day.entries.push(self.step_entry(&after, &change, &change_json, &actor));
            day.retiered += 1;
            now.insert(k, after.clone());
            day.raised.push(Raised::Existing(after.clone()));
            steps.push(Pending { after, change, change_json, at: alert.raised_at });
        }
        if !raise_rows.0.is_empty() {
            sqlx::query(
                "INSERT INTO alert_events (alert_id, seq, kind, change_json, actor, at, at_offset_s, status)
                 SELECT e.alert_id, 1, 'raise', NULL, $2, e.at::timestamptz, e.at_offset_s, 'open'
                 FROM UNNEST($1::bigint[], $3::text[], $4::integer[]) AS e(alert_id, at, at_offset_s)",
            )
            .bind(&raise_rows.0)
            .bind(&actor)
            .bind(&raise_rows.1)
            .bind(&raise_rows.2)
            .execute(&mut *conn)
            .await?;
        }
        write_steps(conn, &steps, &actor).await?;
        Ok(day)
    }

    /// Inserts the new alerts of a day (`fresh`: their places in `raises`) in one statement, in the day's order, and
    /// returns their numbers by borrower and cause. Refuses the day if another raise opened one of them meanwhile.
    async fn insert_new(
        &self,
        conn: &mut sqlx::PgConnection,
        raises: &[NewAlert],
        evidence: &[String],
        fresh: &[usize],
    ) -> Result<HashMap<(String, Cause), i64>, StoreError> {
        if fresh.is_empty() {
            return Ok(HashMap::new());
        }
        let pick = |f: &dyn Fn(&NewAlert) -> String| fresh.iter().map(|&i| f(&raises[i])).collect::<Vec<String>>();
        let households = pick(&|a| a.household_id.as_str().to_string());
        let loans: Vec<Option<String>> =
            fresh.iter().map(|&i| raises[i].loan_id.as_ref().map(|l| l.as_str().to_string())).collect();
        let branches = pick(&|a| a.branch.clone());
        let causes = pick(&|a| a.cause.code().to_string());
        let tiers = pick(&|a| a.tier.code().to_string());
        let ranks = fresh
            .iter()
            .map(|&i| i32::try_from(raises[i].tier.board_rank()).map_err(corrupt))
            .collect::<Result<Vec<_>, _>>()?;
        let evidence: Vec<&str> = fresh.iter().map(|&i| evidence[i].as_str()).collect();
        let actions = pick(&actions_column);
        let raised_on = pick(&|a| a.raised_on.to_string());
        let raised_at = pick(&|a| a.raised_at.to_string());
        let offsets: Vec<i32> = fresh.iter().map(|&i| offset_s(&raises[i].raised_at)).collect();
        let versions: Vec<i64> = fresh.iter().map(|&i| i64::from(raises[i].config_version)).collect();
        let dues = pick(&|a| a.due_on.to_string());
        let rows: Vec<(i64, String, String)> = sqlx::query_as(
            "INSERT INTO alerts (household_id, loan_id, branch, cause, tier, tier_rank, evidence_json, actions,
                                 raised_on, raised_at, raised_at_offset_s, config_version, due_on, status, holder,
                                 events)
             SELECT n.household_id, n.loan_id, n.branch, n.cause, n.tier, n.tier_rank, n.evidence::jsonb, n.actions,
                    n.raised_on::date, n.raised_at::timestamptz, n.offset_s, n.config_version, n.due_on::date, 'open',
                    NULL, 1
             FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::integer[], $7::text[],
                         $8::text[], $9::text[], $10::text[], $11::integer[], $12::bigint[], $13::text[])
                  WITH ORDINALITY AS n(household_id, loan_id, branch, cause, tier, tier_rank, evidence, actions,
                                       raised_on, raised_at, offset_s, config_version, due_on, ord)
             ORDER BY n.ord
             ON CONFLICT (household_id, cause) WHERE status <> 'closed' DO NOTHING
             RETURNING alert_id, household_id, cause",
        )
        .bind(&households)
        .bind(&loans)
        .bind(&branches)
        .bind(&causes)
        .bind(&tiers)
        .bind(&ranks)
        .bind(&evidence)
        .bind(&actions)
        .bind(&raised_on)
        .bind(&raised_at)
        .bind(&offsets)
        .bind(&versions)
        .bind(&dues)
        .fetch_all(&mut *conn)
        .await?;
        if rows.len() != fresh.len() {
            return Err(corrupt(format!(
                "{} of the day's {} new alerts were opened by another raise meanwhile; run the day again",
                fresh.len() - rows.len(),
                fresh.len()
            )));
        }
        rows.into_iter().map(|(id, household, cause)| Ok(((household, cause.parse().map_err(corrupt)?), id))).collect()
    }

    /// Resolves a day's alerts in the caller's transaction, one after the other, after its raises: their alerts read
    /// and locked at once, the steps written by [`write_steps`]. Returns the alerts after and the audit entries.
    async fn resolve_day(
        &self,
        conn: &mut sqlx::PgConnection,
        day: &RunDay,
    ) -> Result<(Vec<Alert>, Vec<audit::NewEntry>), StoreError> {
        if day.resolve.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let ids: Vec<i64> = day.resolve.iter().map(|r| r.alert_id).collect();
        let sql =
            format!("SELECT {COLUMNS} FROM alerts WHERE alert_id = ANY($1::bigint[]) ORDER BY alert_id FOR UPDATE");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&ids).fetch_all(&mut *conn).await?;
        let mut now: HashMap<i64, Alert> = HashMap::with_capacity(rows.len());
        for row in &rows {
            let alert = alert_from_row(row)?;
            now.insert(alert.alert_id, alert);
        }
        let actor = self.context.acting.actor.clone();
        let mut resolved = Vec::with_capacity(day.resolve.len());
        let mut entries = Vec::with_capacity(day.resolve.len());
        let mut steps = Vec::with_capacity(day.resolve.len());
        for resolve in &day.resolve {
            let Some(alert) = now.get(&resolve.alert_id) else {
                return Err(StoreError::AlertNotFound(resolve.alert_id));
            };
            let (change, after) = resolve_step(alert, resolve)?;
            let change_json = serde_json::to_string(&change).map_err(corrupt)?;
            entries.push(self.step_entry(&after, &change, &change_json, &actor));
            now.insert(after.alert_id, after.clone());
            resolved.push(after.clone());
            steps.push(Pending { after, change, change_json, at: day.at });
        }
        write_steps(conn, &steps, &actor).await?;
        Ok((resolved, entries))
    }

    /// The audit entry of a step that brought an alert to `after`, as SQLite makes it.
    fn step_entry(&self, after: &Alert, change: &Change, change_json: &str, by: &str) -> audit::NewEntry {
        let kind = change.kind().code();
        let digest = step_digest(after.alert_id, after.events, kind, change_json, after.status);
        let mut entry = self.context.entry(&format!("alert.{kind}"), format!("alert:{}", after.alert_id), Some(digest));
        entry.detail = serde_json::json!({ "seq": after.events, "by": by, "status": after.status.code() }).to_string();
        entry
    }

    /// One attempt at a raise: `None` when the open alert it met was closed before it could lock it.
    async fn raise_once(&self, alert: &NewAlert, evidence_json: &str) -> Result<Option<Raised>, StoreError> {
        let mut tx = self.pool.begin().await?;
        match self.raise_in(&mut tx, alert, evidence_json).await? {
            Some((raised, Some(entry))) => {
                append_in(&mut tx, &[entry]).await?;
                tx.commit().await?;
                Ok(Some(raised))
            }
            Some((raised, None)) => {
                tx.rollback().await?;
                Ok(Some(raised))
            }
            None => {
                tx.rollback().await?;
                Ok(None)
            }
        }
    }

    /// Raises `alert` (checked already) in the caller's transaction: what it did and the audit entry to append, if it
    /// wrote anything (a new alert, or a re-tier); `None` when the open alert it met was closed before it could lock
    /// it.
    async fn raise_in(
        &self,
        conn: &mut sqlx::PgConnection,
        alert: &NewAlert,
        evidence_json: &str,
    ) -> Result<Option<(Raised, Option<audit::NewEntry>)>, StoreError> {
        // The open alert first: a raise that finds one inserts nothing, so it draws no alert id, as on SQLite.
        if let Some(existing) = open_alert(&mut *conn, alert).await? {
            return self.raise_on(conn, existing, alert).await.map(Some);
        }
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO alerts (household_id, loan_id, branch, cause, tier, tier_rank, evidence_json, actions,
                                 raised_on, raised_at, raised_at_offset_s, config_version, due_on, status, holder,
                                 events)
             VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9::date, $10::timestamptz, $13, $11, $12::date, 'open',
                     NULL, 1)
             ON CONFLICT (household_id, cause) WHERE status <> 'closed' DO NOTHING
             RETURNING alert_id",
        )
        .bind(alert.household_id.as_str())
        .bind(alert.loan_id.as_ref().map(|l| l.as_str()))
        .bind(&alert.branch)
        .bind(alert.cause.code())
        .bind(alert.tier.code())
        .bind(i32::try_from(alert.tier.board_rank()).map_err(corrupt)?)
        .bind(evidence_json)
        .bind(actions_column(alert))
        .bind(alert.raised_on.to_string())
        .bind(alert.raised_at.to_string())
        .bind(i64::from(alert.config_version))
        .bind(alert.due_on.to_string())
        .bind(offset_s(&alert.raised_at))
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(alert_id) = inserted {
            let digest = raise_digest(alert_id, alert, evidence_json);
            let mut entry = self.context.entry("alert.raise", format!("alert:{alert_id}"), Some(digest));
            entry.detail = serde_json::json!({
                "household_id": alert.household_id.as_str(),
                "cause": alert.cause.code(),
                "tier": alert.tier.code(),
            })
            .to_string();
            sqlx::query(
                "INSERT INTO alert_events (alert_id, seq, kind, change_json, actor, at, at_offset_s, status)
                 VALUES ($1, 1, 'raise', NULL, $2, $3::timestamptz, $4, 'open')",
            )
            .bind(alert_id)
            .bind(&entry.actor)
            .bind(alert.raised_at.to_string())
            .bind(offset_s(&alert.raised_at))
            .execute(&mut *conn)
            .await?;
            let new = Alert { alert_id, raised: alert.clone(), status: Status::Open, holder: None, events: 1 };
            return Ok(Some((Raised::New(new), Some(entry))));
        }
        // Another raise inserted the open alert after this one looked: it is the one to answer with.
        match open_alert(&mut *conn, alert).await? {
            Some(existing) => self.raise_on(conn, existing, alert).await.map(Some),
            None => Ok(None),
        }
    }

    /// A raise that met the open alert `existing`, locked in the caller's transaction: re-tiers it upward when the
    /// new tier is higher, returning the re-tier's audit entry.
    async fn raise_on(
        &self,
        conn: &mut sqlx::PgConnection,
        existing: Alert,
        alert: &NewAlert,
    ) -> Result<(Raised, Option<audit::NewEntry>), StoreError> {
        let Some((change, after)) = crate::alerts::retier(&existing, alert)? else {
            return Ok((Raised::Existing(existing), None));
        };
        let actor = self.context.acting.actor.clone();
        let change_json = write_step(conn, &after, &change, &actor, &alert.raised_at).await?;
        let entry = self.step_entry(&after, &change, &change_json, &actor);
        Ok((Raised::Existing(after), Some(entry)))
    }
}

impl AlertRegister for PgStore {
    async fn raise(&self, alert: &NewAlert) -> Result<Raised, StoreError> {
        alert.check()?;
        let evidence_json = serde_json::to_string(&alert.evidence).map_err(corrupt)?;
        for _ in 0..RAISE_ATTEMPTS {
            if let Some(raised) = self.raise_once(alert, &evidence_json).await? {
                return Ok(raised);
            }
        }
        Err(corrupt(format!(
            "alert of {} for {}: its open alert kept closing while it was raised",
            alert.household_id.as_str(),
            alert.cause
        )))
    }

    async fn act(&self, alert_id: i64, event: &AlertEvent) -> Result<Alert, StoreError> {
        event.check()?;
        let mut tx = self.pool.begin().await?;
        let alert = locked_alert(&mut tx, alert_id).await?;
        let by_branch = branch_of(&mut tx, event.by.as_str()).await?;
        let to_branch = match event.change.new_holder() {
            Some(to) => Some(branch_of(&mut tx, to.as_str()).await?),
            None => None,
        };
        let status = judge(&alert, event, by_branch, to_branch)
            .map_err(|refusal| StoreError::Alert { alert: alert_id, refusal })?;
        let after = apply(&alert, &event.change, status);
        let change_json = write_step(&mut tx, &after, &event.change, event.by.as_str(), &event.at).await?;
        let entry = self.step_entry(&after, &event.change, &change_json, event.by.as_str());
        append_in(&mut tx, &[entry]).await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn run_step(&self, alert_id: i64, step: &RunStep, at: &Timestamp) -> Result<Alert, StoreError> {
        step.change().check()?;
        let mut tx = self.pool.begin().await?;
        let alert = locked_alert(&mut tx, alert_id).await?;
        let to_branch = match step {
            RunStep::Escalate { to } => Some(branch_of(&mut tx, to.as_str()).await?),
            RunStep::Resolve { .. } => None,
        };
        let (change, after) = judge_run_step(&alert, step, to_branch)?;
        let actor = self.context.acting.actor.clone();
        let change_json = write_step(&mut tx, &after, &change, &actor, at).await?;
        let entry = self.step_entry(&after, &change, &change_json, &actor);
        append_in(&mut tx, &[entry]).await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn alert(&self, alert_id: i64) -> Result<Option<Alert>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM alerts WHERE alert_id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(alert_id).fetch_optional(&self.pool).await?;
        row.as_ref().map(alert_from_row).transpose()
    }

    async fn alert_history(&self, alert_id: i64) -> Result<Vec<AlertStep>, StoreError> {
        let sql = format!("SELECT {STEP_COLUMNS} FROM alert_events WHERE alert_id = $1 ORDER BY seq");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(alert_id).fetch_all(&self.pool).await?;
        rows.iter().map(|row| step_from_row(row).map(|(_, step)| step)).collect()
    }

    async fn alert_histories(&self, alert_ids: &[i64]) -> Result<HashMap<i64, Vec<AlertStep>>, StoreError> {
        let mut histories = histories_of(alert_ids)?;
        if histories.is_empty() {
            return Ok(histories);
        }
        let ids: Vec<i64> = histories.keys().copied().collect();
        let sql = format!(
            "SELECT {STEP_COLUMNS} FROM alert_events WHERE alert_id = ANY($1::bigint[]) ORDER BY alert_id, seq"
        );
        for row in &sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&ids).fetch_all(&self.pool).await? {
            let (alert_id, step) = step_from_row(row)?;
            histories.entry(alert_id).or_default().push(step);
        }
        Ok(histories)
    }

    async fn alert_board(
        &self,
        filter: &AlertFilter,
        after: Option<&BoardCursor>,
        limit: u32,
    ) -> Result<BoardPage, StoreError> {
        let limit = page_limit(limit);
        let cursor = if after.is_some() {
            "AND (tier_rank, raised_on, alert_id) > ($6::integer, $7::date, $8::bigint)"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM alerts
             WHERE ($1::text IS NULL OR tier = $1) AND ($2::text IS NULL OR branch = $2)
               AND ($3::text IS NULL OR holder = $3) AND ($4::text IS NULL OR status = $4)
               AND ($5::text IS NULL OR cause = $5) {cursor}
             ORDER BY tier_rank, raised_on, alert_id LIMIT $9"
        );
        let rank = after.map(|c| i32::try_from(c.tier.board_rank())).transpose().map_err(corrupt)?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(filter.tier.map(|t| t.code()))
            .bind(filter.branch.as_deref())
            .bind(filter.holder.as_ref().map(|h| h.as_str()))
            .bind(filter.status.map(|s| s.code()))
            .bind(filter.cause.map(|c| c.code()))
            .bind(rank)
            .bind(after.map(|c| c.raised_on.to_string()))
            .bind(after.map(|c| c.alert_id))
            .bind(limit + 1)
            .fetch_all(&self.pool)
            .await?;
        let mut alerts = rows.iter().map(alert_from_row).collect::<Result<Vec<_>, _>>()?;
        let keep = usize::try_from(limit).unwrap_or(usize::MAX);
        let more = alerts.len() > keep;
        alerts.truncate(keep);
        let next = if more { alerts.last().map(BoardCursor::after) } else { None };
        Ok(BoardPage { alerts, next })
    }

    async fn overdue(&self, on: Date, after: Option<(Date, i64)>, limit: u32) -> Result<Vec<Alert>, StoreError> {
        let cursor = if after.is_some() { "AND (due_on, alert_id) > ($3::date, $4::bigint)" } else { "" };
        let sql = format!(
            "SELECT {COLUMNS} FROM alerts AS a
             WHERE status IN ('open', 'assigned', 'acknowledged') AND due_on < $1::date {cursor}
               AND NOT EXISTS (SELECT 1 FROM alert_events AS e WHERE e.alert_id = a.alert_id AND e.kind = 'escalate')
             ORDER BY due_on, alert_id LIMIT $2"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(on.to_string())
            .bind(page_limit(limit))
            .bind(after.map(|(due, _)| due.to_string()))
            .bind(after.map(|(_, id)| id))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(alert_from_row).collect()
    }

    async fn apply_run(&self, day: &RunDay) -> Result<RunOutcome, StoreError> {
        check_run(day)?;
        let evidence = day
            .raise
            .iter()
            .map(|alert| serde_json::to_string(&alert.evidence).map_err(corrupt))
            .collect::<Result<Vec<_>, _>>()?;
        let mut tx = self.pool.begin().await?;
        sqlx::query("LOCK TABLE monitor_runs IN SHARE ROW EXCLUSIVE MODE").execute(&mut *tx).await?;
        let done: Option<i32> = sqlx::query_scalar("SELECT 1 FROM monitor_runs WHERE day = $1::date")
            .bind(day.day.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        if done.is_some() {
            tx.rollback().await?;
            return Ok(RunOutcome { raised: Vec::new(), resolved: Vec::new(), already_run: true });
        }
        let DayRaises { raised, mut entries, retiered } = self.raise_day(&mut tx, &day.raise, &evidence).await?;
        let (resolved, resolve_entries) = self.resolve_day(&mut tx, day).await?;
        entries.extend(resolve_entries);
        sqlx::query(
            "INSERT INTO monitor_runs (day, config_version, raised, retiered, resolved, at, at_offset_s)
             VALUES ($1::date, $2, $3, $4, $5, $6::timestamptz, $7)",
        )
        .bind(day.day.to_string())
        .bind(i64::from(day.config_version))
        .bind(i32::try_from(count_new(&raised)).map_err(corrupt)?)
        .bind(retiered)
        .bind(i32::try_from(resolved.len()).map_err(corrupt)?)
        .bind(day.at.to_string())
        .bind(offset_s(&day.at))
        .execute(&mut *tx)
        .await?;
        append_in(&mut tx, &entries).await?;
        tx.commit().await?;
        Ok(RunOutcome { raised, resolved, already_run: false })
    }

    async fn runs(&self, from: Date, to: Date) -> Result<Vec<RunRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT to_char(day, 'YYYY-MM-DD') AS day, config_version, raised::bigint AS raised,
                    retiered::bigint AS retiered, resolved::bigint AS resolved,
                    extract(epoch FROM at)::bigint AS at_epoch_s, at_offset_s
             FROM monitor_runs WHERE day BETWEEN $1::date AND $2::date ORDER BY day",
        )
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                RunColumns {
                    day: row.try_get("day")?,
                    config_version: row.try_get("config_version")?,
                    raised: row.try_get("raised")?,
                    retiered: row.try_get("retiered")?,
                    resolved: row.try_get("resolved")?,
                    at: instant(row, "at")?,
                }
                .into_record()
            })
            .collect()
    }

    async fn open_alerts(&self, after_alert_id: i64, limit: u32) -> Result<Vec<Alert>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM alerts WHERE status <> 'closed' AND alert_id > $1 ORDER BY alert_id LIMIT $2"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(after_alert_id)
            .bind(open_page_limit(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(alert_from_row).collect()
    }
}
