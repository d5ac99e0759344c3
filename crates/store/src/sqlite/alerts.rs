//! [`AlertRegister`] for [`SqliteStore`]: the `alerts` and append-only `alert_events` tables (migration
//! `0017_alerts`), each write one `BEGIN IMMEDIATE` transaction with its audit entry. SQLite's writes are one at a
//! time, so a raise reads whether the borrower has an open alert for the cause and inserts one only if not, with no
//! other raise in between; the unique index on open alerts stands behind it all the same.
//!
//! A run's day ([`AlertRegister::apply_run`]) is one `BEGIN IMMEDIATE` transaction of the very statements `raise` and
//! `act` use, in a loop: sqlx keeps each connection's prepared statements, so the loop prepares each once, and the
//! one commit is the one sync of the day.

use std::collections::HashMap;

use domain::Date;
use monitor::{Alert, AlertEvent, AlertStep, Change, NewAlert, Status};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::SqliteStore;
use crate::StoreError;
use crate::alerts::{
    AlertColumns, AlertFilter, AlertRegister, BoardCursor, BoardPage, Raised, RunColumns, RunDay, RunOutcome,
    RunRecord, RunStep, StepColumns, actions_column, apply, check_run, count_new, histories_of, judge, judge_run_step,
    open_page_limit, page_limit, raise_digest, resolve_step, step_digest,
};

/// An alert's columns, as [`alert_from_row`] reads them.
const COLUMNS: &str =
    "alert_id, household_id, loan_id, branch, tier, cause, evidence_json, actions, raised_on, raised_at,
                       config_version, due_on, status, holder, events";

fn alert_from_row(row: &SqliteRow) -> Result<Alert, StoreError> {
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
        raised_at: row.try_get("raised_at")?,
        config_version: row.try_get("config_version")?,
        due_on: row.try_get("due_on")?,
        status: row.try_get("status")?,
        holder: row.try_get("holder")?,
        events: row.try_get("events")?,
    }
    .into_alert()
}

/// A history row's columns, as [`step_from_row`] reads them.
const STEP_COLUMNS: &str = "alert_id, seq, kind, change_json, actor, at, status";

/// A history row: its alert's number and the step.
fn step_from_row(row: &SqliteRow) -> Result<(i64, AlertStep), StoreError> {
    let alert_id = row.try_get("alert_id")?;
    let step = StepColumns {
        alert_id,
        seq: row.try_get("seq")?,
        kind: row.try_get("kind")?,
        change_json: row.try_get("change_json")?,
        actor: row.try_get("actor")?,
        at: row.try_get("at")?,
        status: row.try_get("status")?,
    }
    .into_step()?;
    Ok((alert_id, step))
}

async fn alert_in(conn: &mut sqlx::SqliteConnection, alert_id: i64) -> Result<Option<Alert>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM alerts WHERE alert_id = ?");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(alert_id).fetch_optional(&mut *conn).await?;
    row.as_ref().map(alert_from_row).transpose()
}

async fn branch_of(conn: &mut sqlx::SqliteConnection, officer: &str) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar("SELECT branch FROM officers WHERE officer_id = ?")
        .bind(officer)
        .fetch_optional(&mut *conn)
        .await?)
}

/// Appends a step to an alert's history and brings its row to `after`, in the caller's transaction.
async fn write_step(
    conn: &mut sqlx::SqliteConnection,
    after: &Alert,
    change: &Change,
    actor: &str,
    at: &domain::Timestamp,
) -> Result<String, StoreError> {
    let change_json = serde_json::to_string(change).map_err(super::corrupt)?;
    sqlx::query(
        "INSERT INTO alert_events (alert_id, seq, kind, change_json, actor, at, status) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(after.alert_id)
    .bind(i64::from(after.events))
    .bind(change.kind().code())
    .bind(&change_json)
    .bind(actor)
    .bind(at.to_string())
    .bind(after.status.code())
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE alerts SET status = ?, tier = ?, tier_rank = ?, holder = ?, due_on = ?, events = ? WHERE alert_id = ?",
    )
    .bind(after.status.code())
    .bind(after.raised.tier.code())
    .bind(after.raised.tier.board_rank())
    .bind(after.holder.as_ref().map(|h| h.as_str()))
    .bind(after.raised.due_on.to_string())
    .bind(i64::from(after.events))
    .bind(after.alert_id)
    .execute(&mut *conn)
    .await?;
    Ok(change_json)
}

impl SqliteStore {
    /// The audit entry of a step that brought an alert to `after`.
    fn step_entry(&self, after: &Alert, change: &Change, change_json: &str, by: &str) -> audit::NewEntry {
        let kind = change.kind().code();
        let digest = step_digest(after.alert_id, after.events, kind, change_json, after.status);
        let mut entry = self.audit_entry(&format!("alert.{kind}"), format!("alert:{}", after.alert_id), Some(digest));
        entry.detail = serde_json::json!({ "seq": after.events, "by": by, "status": after.status.code() }).to_string();
        entry
    }
}

impl SqliteStore {
    /// Raises `alert` (checked already) in the caller's transaction: what it did and the audit entry to append, if
    /// it wrote anything (a new alert, or a re-tier).
    async fn raise_in(
        &self,
        conn: &mut sqlx::SqliteConnection,
        alert: &NewAlert,
    ) -> Result<(Raised, Option<audit::NewEntry>), StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM alerts WHERE household_id = ? AND cause = ? AND status <> 'closed'");
        let open = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(alert.household_id.as_str())
            .bind(alert.cause.code())
            .fetch_optional(&mut *conn)
            .await?;
        if let Some(row) = open {
            let existing = alert_from_row(&row)?;
            let Some((change, after)) = crate::alerts::retier(&existing, alert)? else {
                return Ok((Raised::Existing(existing), None));
            };
            let actor = self.context.acting.actor.clone();
            let change_json = write_step(&mut *conn, &after, &change, &actor, &alert.raised_at).await?;
            let entry = self.step_entry(&after, &change, &change_json, &actor);
            return Ok((Raised::Existing(after), Some(entry)));
        }
        let evidence_json = serde_json::to_string(&alert.evidence).map_err(super::corrupt)?;
        let done = sqlx::query(
            "INSERT INTO alerts (household_id, loan_id, branch, cause, tier, tier_rank, evidence_json, actions, raised_on,
                                 raised_at, config_version, due_on, status, holder, events)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', NULL, 1)",
        )
        .bind(alert.household_id.as_str())
        .bind(alert.loan_id.as_ref().map(|l| l.as_str()))
        .bind(&alert.branch)
        .bind(alert.cause.code())
        .bind(alert.tier.code())
        .bind(alert.tier.board_rank())
        .bind(&evidence_json)
        .bind(actions_column(alert))
        .bind(alert.raised_on.to_string())
        .bind(alert.raised_at.to_string())
        .bind(i64::from(alert.config_version))
        .bind(alert.due_on.to_string())
        .execute(&mut *conn)
        .await?;
        let alert_id = done.last_insert_rowid();
        let mut entry = self.audit_entry(
            "alert.raise",
            format!("alert:{alert_id}"),
            Some(raise_digest(alert_id, alert, &evidence_json)),
        );
        entry.detail = serde_json::json!({
            "household_id": alert.household_id.as_str(),
            "cause": alert.cause.code(),
            "tier": alert.tier.code(),
        })
        .to_string();
        sqlx::query("INSERT INTO alert_events (alert_id, seq, kind, change_json, actor, at, status) VALUES (?, 1, 'raise', NULL, ?, ?, 'open')")
            .bind(alert_id)
            .bind(&entry.actor)
            .bind(alert.raised_at.to_string())
            .execute(&mut *conn)
            .await?;
        let new = Alert { alert_id, raised: alert.clone(), status: Status::Open, holder: None, events: 1 };
        Ok((Raised::New(new), Some(entry)))
    }
}

impl AlertRegister for SqliteStore {
    async fn raise(&self, alert: &NewAlert) -> Result<Raised, StoreError> {
        alert.check()?;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let (raised, entry) = self.raise_in(&mut tx, alert).await?;
        match entry {
            Some(entry) => {
                super::append_in(&mut tx, &[entry]).await?;
                tx.commit().await?;
            }
            None => tx.rollback().await?,
        }
        Ok(raised)
    }

    async fn act(&self, alert_id: i64, event: &AlertEvent) -> Result<Alert, StoreError> {
        event.check()?;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let Some(alert) = alert_in(&mut tx, alert_id).await? else {
            return Err(StoreError::AlertNotFound(alert_id));
        };
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
        super::append_in(&mut tx, &[entry]).await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn alert(&self, alert_id: i64) -> Result<Option<Alert>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        alert_in(&mut conn, alert_id).await
    }

    async fn alert_history(&self, alert_id: i64) -> Result<Vec<AlertStep>, StoreError> {
        let sql = format!("SELECT {STEP_COLUMNS} FROM alert_events WHERE alert_id = ? ORDER BY seq");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(alert_id).fetch_all(&self.pool).await?;
        rows.iter().map(|row| step_from_row(row).map(|(_, step)| step)).collect()
    }

    async fn alert_histories(&self, alert_ids: &[i64]) -> Result<HashMap<i64, Vec<AlertStep>>, StoreError> {
        let mut histories = histories_of(alert_ids)?;
        if histories.is_empty() {
            return Ok(histories);
        }
        // One placeholder per id: at most a page of them, well within SQLite's bound on parameters.
        let placeholders = vec!["?"; histories.len()].join(", ");
        let sql = format!(
            "SELECT {STEP_COLUMNS} FROM alert_events WHERE alert_id IN ({placeholders}) ORDER BY alert_id, seq"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in histories.keys() {
            query = query.bind(*id);
        }
        for row in &query.fetch_all(&self.pool).await? {
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
        let cursor = if after.is_some() { "AND (tier_rank, raised_on, alert_id) > (?6, ?7, ?8)" } else { "" };
        let sql = format!(
            "SELECT {COLUMNS} FROM alerts
             WHERE (?1 IS NULL OR tier = ?1) AND (?2 IS NULL OR branch = ?2) AND (?3 IS NULL OR holder = ?3)
               AND (?4 IS NULL OR status = ?4) AND (?5 IS NULL OR cause = ?5) {cursor}
             ORDER BY tier_rank, raised_on, alert_id LIMIT ?9"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(filter.tier.map(|t| t.code()))
            .bind(filter.branch.as_deref())
            .bind(filter.holder.as_ref().map(|h| h.as_str()))
            .bind(filter.status.map(|s| s.code()))
            .bind(filter.cause.map(|c| c.code()))
            .bind(after.map(|c| c.tier.board_rank()))
            .bind(after.map(|c| c.raised_on.to_string()))
            .bind(after.map(|c| c.alert_id))
            .bind(limit + 1)
            .fetch_all(&self.pool)
            .await?;
        let mut alerts = rows.iter().map(alert_from_row).collect::<Result<Vec<_>, _>>()?;
        let more = alerts.len() > usize::try_from(limit).unwrap_or(usize::MAX);
        alerts.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let next = if more { alerts.last().map(BoardCursor::after) } else { None };
        Ok(BoardPage { alerts, next })
    }

    async fn overdue(&self, on: Date, after: Option<(Date, i64)>, limit: u32) -> Result<Vec<Alert>, StoreError> {
        let cursor = if after.is_some() { "AND (due_on, alert_id) > (?3, ?4)" } else { "" };
        let sql = format!(
            "SELECT {COLUMNS} FROM alerts AS a
             WHERE status IN ('open', 'assigned', 'acknowledged') AND due_on < ?1 {cursor}
               AND NOT EXISTS (SELECT 1 FROM alert_events AS e WHERE e.alert_id = a.alert_id AND e.kind = 'escalate')
             ORDER BY due_on, alert_id LIMIT ?2"
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

    async fn run_step(&self, alert_id: i64, step: &RunStep, at: &domain::Timestamp) -> Result<Alert, StoreError> {
        step.change().check()?;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let Some(alert) = alert_in(&mut tx, alert_id).await? else {
            return Err(StoreError::AlertNotFound(alert_id));
        };
        let to_branch = match step {
            RunStep::Escalate { to } => Some(branch_of(&mut tx, to.as_str()).await?),
            RunStep::Resolve { .. } => None,
        };
        let (change, after) = judge_run_step(&alert, step, to_branch)?;
        let actor = self.context.acting.actor.clone();
        let change_json = write_step(&mut tx, &after, &change, &actor, at).await?;
        let entry = self.step_entry(&after, &change, &change_json, &actor);
        super::append_in(&mut tx, &[entry]).await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn apply_run(&self, day: &RunDay) -> Result<RunOutcome, StoreError> {
        check_run(day)?;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let done: Option<i64> = sqlx::query_scalar("SELECT 1 FROM monitor_runs WHERE day = ?")
            .bind(day.day.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        if done.is_some() {
            tx.rollback().await?;
            return Ok(RunOutcome { raised: Vec::new(), resolved: Vec::new(), already_run: true });
        }
        let mut entries = Vec::with_capacity(day.raise.len() + day.resolve.len());
        let mut raised = Vec::with_capacity(day.raise.len());
        let mut retiered = 0i64;
        for alert in &day.raise {
            let (outcome, entry) = self.raise_in(&mut tx, alert).await?;
            if let (Raised::Existing(_), Some(_)) = (&outcome, &entry) {
                retiered += 1;
            }
            entries.extend(entry);
            raised.push(outcome);
        }
        let actor = self.context.acting.actor.clone();
        let mut resolved = Vec::with_capacity(day.resolve.len());
        for resolve in &day.resolve {
            let Some(alert) = alert_in(&mut tx, resolve.alert_id).await? else {
                return Err(StoreError::AlertNotFound(resolve.alert_id));
            };
            let (change, after) = resolve_step(&alert, resolve)?;
            let change_json = write_step(&mut tx, &after, &change, &actor, &day.at).await?;
            entries.push(self.step_entry(&after, &change, &change_json, &actor));
            resolved.push(after);
        }
        sqlx::query(
            "INSERT INTO monitor_runs (day, config_version, raised, retiered, resolved, at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(day.day.to_string())
        .bind(i64::from(day.config_version))
        .bind(count_new(&raised))
        .bind(retiered)
        .bind(i64::try_from(resolved.len()).map_err(super::corrupt)?)
        .bind(day.at.to_string())
        .execute(&mut *tx)
        .await?;
        super::append_in(&mut tx, &entries).await?;
        tx.commit().await?;
        Ok(RunOutcome { raised, resolved, already_run: false })
    }

    async fn runs(&self, from: Date, to: Date) -> Result<Vec<RunRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT day, config_version, raised, retiered, resolved, at FROM monitor_runs
             WHERE day BETWEEN ? AND ? ORDER BY day",
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
                    at: row.try_get("at")?,
                }
                .into_record()
            })
            .collect()
    }

    async fn open_alerts(&self, after_alert_id: i64, limit: u32) -> Result<Vec<Alert>, StoreError> {
        let sql =
            format!("SELECT {COLUMNS} FROM alerts WHERE status <> 'closed' AND alert_id > ? ORDER BY alert_id LIMIT ?");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(after_alert_id)
            .bind(open_page_limit(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(alert_from_row).collect()
    }
}
