//! The alert register of post-loan monitoring: early-warning alerts per borrower and their append-only history.
//!
//! The values and the rules are `monitor`'s: what an alert carries and its bounds ([`NewAlert::check`]), which
//! workflow moves are legal ([`Status::after`]). The store adds the rules only it can check — one open alert per
//! borrower and cause, and who may act: an officer of the `officers` table (the review workflow's) who works at the
//! alert's branch and, for an assignment, an acknowledgement or an action on an alert someone holds, its holder —
//! and applies them inside its transactions; every write is audited in the same transaction.
//!
//! Where the current state lives: each alert is one row of `alerts` with its status, tier, holder and due date as
//! they stand now, and its history is the append-only `alert_events` table (triggers refuse updates and deletes on
//! both engines), one row per step with the status it left the alert in. The register writes the step first and then
//! updates the alert's row in the same transaction, and the schema refuses an update of the row whose status and
//! event count are not those of its latest step, so the row is always the history's last word. It is kept rather
//! than derived at each read because the one-open-alert rule is a unique partial index on it (`WHERE status <>
//! 'closed'`), which the database enforces even between two racing runs, and because the board reads and pages
//! alerts by their current tier.
//!
//! A daily monitoring run writes its whole day at once ([`AlertRegister::apply_run`]): every raise, re-tier and
//! resolve of the day in one transaction with one audit append, and the day's row in the append-only `monitor_runs`,
//! which makes the day idempotent: a day already there is not applied again. A run's other steps — escalating an
//! overdue alert, resolving a portfolio alert whose breach cleared — are [`AlertRegister::run_step`], one transaction
//! each, by the store's acting actor as the day's steps are. One transaction rather than one per
//! alert is what makes thousands of alerts a day affordable where every commit is synced (SQLite's
//! `synchronous=FULL`), and what lets a killed run leave its day either whole or absent.

use std::collections::HashMap;
use std::future::Future;

use domain::{Date, OfficerId, Timestamp};
use monitor::{Alert, AlertEvent, AlertStep, Cause, Change, NewAlert, Refusal, Status, Tier};
use serde::Serialize;

use crate::StoreError;

/// Most alerts a page of the board or of [`AlertRegister::overdue`] holds; a larger limit is cut to it, and a limit
/// of 0 is taken as 1.
pub const MAX_PAGE: u32 = 500;

/// Most alerts a page of [`AlertRegister::open_alerts`] holds: a monitoring run reads every open alert, so its pages
/// are larger than the board's. A larger limit is cut to it, and a limit of 0 is taken as 1.
pub const MAX_OPEN_PAGE: u32 = 10_000;

/// An alert a monitoring run resolves: its signal has cleared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolve {
    /// The alert.
    pub alert_id: i64,
    /// Why it is resolved (1 to [`monitor::alert::MAX_TEXT_CHARS`] characters, not blank).
    pub reason: String,
}

/// A step a run takes on an alert outside a day's writing ([`AlertRegister::run_step`]), by the store's acting actor
/// rather than an officer: only these two, so an officer's step cannot be taken in a run's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunStep {
    /// The alert is overdue: moved up to this officer (registered at the alert's branch), who holds it from now on.
    Escalate {
        /// The officer it is escalated to.
        to: OfficerId,
    },
    /// The alert's signal has cleared: closed without an officer's action.
    Resolve {
        /// Why (1 to [`monitor::alert::MAX_TEXT_CHARS`] characters, not blank).
        reason: String,
    },
}

impl RunStep {
    /// The workflow step it is.
    pub fn change(&self) -> Change {
        match self {
            RunStep::Escalate { to } => Change::Escalate { to: to.clone() },
            RunStep::Resolve { reason } => Change::Resolve { reason: reason.clone() },
        }
    }
}

/// What a monitoring run writes for one day, at once ([`AlertRegister::apply_run`]).
#[derive(Debug, Clone, PartialEq)]
pub struct RunDay {
    /// The day the run is for; a day is applied once.
    pub day: Date,
    /// The version of the monitoring configuration the run used.
    pub config_version: u32,
    /// When the run wrote it: the time of its resolve steps and of its row in `monitor_runs`.
    pub at: Timestamp,
    /// Alerts to raise, in order, each as [`AlertRegister::raise`] would.
    pub raise: Vec<NewAlert>,
    /// Open alerts to resolve, after the raises.
    pub resolve: Vec<Resolve>,
}

/// What applying a day did.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    /// What each raise did, in the order of [`RunDay::raise`]; empty when `already_run`.
    pub raised: Vec<Raised>,
    /// The resolved alerts as they stand after, in the order of [`RunDay::resolve`]; empty when `already_run`.
    pub resolved: Vec<Alert>,
    /// The day had been applied before: nothing was written now ([`AlertRegister::runs`] has its record).
    pub already_run: bool,
}

/// A day a monitoring run has applied, as `monitor_runs` keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    /// The day.
    pub day: Date,
    /// The monitoring configuration's version.
    pub config_version: u32,
    /// New alerts the day made.
    pub raised: u32,
    /// Open alerts it re-tiered upward.
    pub retiered: u32,
    /// Alerts it resolved.
    pub resolved: u32,
    /// When it was written.
    pub at: Timestamp,
}

/// What raising an alert did.
#[derive(Debug, Clone, PartialEq)]
pub enum Raised {
    /// A new alert, stored now.
    New(Alert),
    /// The borrower has an open alert for this cause already: this is it, re-tiered (with a `retier` step in its
    /// history) when the new tier was higher, else unchanged. No second alert is ever made.
    Existing(Alert),
}

impl Raised {
    /// The alert, new or existing.
    pub fn alert(&self) -> &Alert {
        match self {
            Raised::New(a) | Raised::Existing(a) => a,
        }
    }
}

/// Why the register refuses a step on an alert. A refusal writes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlertRefusal {
    /// The workflow does not allow the move.
    #[error(transparent)]
    Workflow(#[from] Refusal),
    /// No officer with this id (`officers` of the review workflow).
    #[error("officer {0} is not registered")]
    UnknownOfficer(String),
    /// The officer works at another branch than the alert's.
    #[error("officer {officer} works at branch {officer_branch}, not the alert's branch {alert_branch}")]
    OtherBranch {
        /// The officer.
        officer: String,
        /// Their branch.
        officer_branch: String,
        /// The alert's.
        alert_branch: String,
    },
    /// Another officer holds the alert.
    #[error("officer {officer} does not hold the alert; {holder} does")]
    NotHolder {
        /// The officer who tried.
        officer: String,
        /// The one who holds it.
        holder: String,
    },
    /// A re-tier that does not start from the alert's tier now.
    #[error("the alert is {now}, not {from}")]
    StaleTier {
        /// The tier the step starts from.
        from: Tier,
        /// The alert's tier now.
        now: Tier,
    },
    /// An officer tried to resolve: only a monitoring run resolves an alert ([`AlertRegister::apply_run`]).
    #[error("only a monitoring run resolves an alert")]
    RunOnly,
}

/// Which alerts the board shows; `None` fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertFilter {
    /// Only this tier.
    pub tier: Option<Tier>,
    /// Only this branch.
    pub branch: Option<String>,
    /// Only alerts this officer holds.
    pub holder: Option<OfficerId>,
    /// Only this status.
    pub status: Option<Status>,
    /// Only this cause.
    pub cause: Option<Cause>,
}

/// Where a board page ends: the last alert's place in board order (tier, then day raised, then number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BoardCursor {
    /// The last alert's tier.
    pub tier: Tier,
    /// The day it was raised.
    pub raised_on: Date,
    /// Its number.
    pub alert_id: i64,
}

impl BoardCursor {
    /// The cursor just after `alert`.
    pub fn after(alert: &Alert) -> BoardCursor {
        BoardCursor { tier: alert.raised.tier, raised_on: alert.raised.raised_on, alert_id: alert.alert_id }
    }
}

/// One page of the board.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardPage {
    /// The alerts, red first, then the oldest first.
    pub alerts: Vec<Alert>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<BoardCursor>,
}

/// The alert register every backend provides. Each method is one transaction.
pub trait AlertRegister: Send + Sync {
    /// Raises an alert, checked by [`NewAlert::check`] ([`StoreError::InvalidAlert`]); audited as `alert.raise`.
    /// When the borrower has an open alert for the cause, returns it as [`Raised::Existing`] instead: if the new tier
    /// is higher, re-tiered upward (its due date brought forward to the new one when earlier, a `retier` step in
    /// its history, audited as `alert.retier`), else untouched. Two runs raising at once make one alert.
    fn raise(&self, alert: &NewAlert) -> impl Future<Output = Result<Raised, StoreError>> + Send;

    /// Takes a workflow step on an alert and returns it as it stands after; audited as `alert.<step>`. The step is
    /// checked by [`AlertEvent::check`], by [`Status::after`], and against the officers: the acting officer and the
    /// officer it makes the holder must be registered and work at the alert's branch, and only the holder may
    /// assign, acknowledge or record an action on an alert someone holds. A refusal is [`StoreError::Alert`] (or
    /// [`StoreError::AlertNotFound`], [`StoreError::InvalidAlert`]) and writes nothing.
    fn act(&self, alert_id: i64, event: &AlertEvent) -> impl Future<Output = Result<Alert, StoreError>> + Send;

    /// An alert as it stands now.
    fn alert(&self, alert_id: i64) -> impl Future<Output = Result<Option<Alert>, StoreError>> + Send;

    /// An alert's history, every step in order, the raise first; empty for an unknown alert.
    fn alert_history(&self, alert_id: i64) -> impl Future<Output = Result<Vec<AlertStep>, StoreError>> + Send;

    /// The histories of a page of alerts in one read: for each of `alert_ids` (at most [`MAX_PAGE`]) its
    /// [`AlertRegister::alert_history`], empty for an unknown alert. More ids than a page is
    /// [`StoreError::InvalidAlert`] naming `alert_ids`, and nothing is read.
    fn alert_histories(
        &self,
        alert_ids: &[i64],
    ) -> impl Future<Output = Result<HashMap<i64, Vec<AlertStep>>, StoreError>> + Send;

    /// A page of at most `limit` alerts (1 to [`MAX_PAGE`]) that `filter` accepts, after `after`: red first, then
    /// the oldest first (day raised, then number).
    fn alert_board(
        &self,
        filter: &AlertFilter,
        after: Option<&BoardCursor>,
        limit: u32,
    ) -> impl Future<Output = Result<BoardPage, StoreError>> + Send;

    /// At most `limit` alerts (1 to [`MAX_PAGE`]) overdue on `on` ([`Alert::is_overdue`]) and never escalated
    /// before: what an escalation run moves up. Earliest due first (due date, then number), after `after` (the due
    /// date and number of the last alert of the page before) when given.
    fn overdue(
        &self,
        on: Date,
        after: Option<(Date, i64)>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Alert>, StoreError>> + Send;

    /// Writes a monitoring run's day in one transaction: every raise as [`AlertRegister::raise`] does it (a raise for
    /// a borrower and cause an earlier raise of the day opened meets that alert), then every resolve (a `resolve`
    /// step closing an alert not closed), each step by the store's acting actor and audited as `raise` and `act`
    /// audit it, all entries in one append, and the day's row in `monitor_runs` with its counts. A day already
    /// there is not applied again: `already_run`, nothing written. Every alert ([`NewAlert::check`]) and reason is
    /// checked before anything is written; an invalid item ([`StoreError::InvalidAlert`]), a resolve of an unknown
    /// alert ([`StoreError::AlertNotFound`]) or of a closed one ([`StoreError::Alert`]) refuses the whole day, and
    /// nothing of it is written.
    fn apply_run(&self, day: &RunDay) -> impl Future<Output = Result<RunOutcome, StoreError>> + Send;

    /// Takes a run's step on an alert at `at`, by the store's acting actor, and returns the alert as it stands after;
    /// audited as `alert.<step>`. The step is checked by [`Change::check`] and [`Status::after`], and an escalation's
    /// officer must be registered and work at the alert's branch. A refusal is [`StoreError::Alert`] (or
    /// [`StoreError::AlertNotFound`], [`StoreError::InvalidAlert`]) and writes nothing.
    fn run_step(
        &self,
        alert_id: i64,
        step: &RunStep,
        at: &Timestamp,
    ) -> impl Future<Output = Result<Alert, StoreError>> + Send;

    /// The days a monitoring run has applied from `from` to `to` (both included), in day order.
    fn runs(&self, from: Date, to: Date) -> impl Future<Output = Result<Vec<RunRecord>, StoreError>> + Send;

    /// At most `limit` alerts (1 to [`MAX_OPEN_PAGE`]) not closed, numbered after `after_alert_id`, in number order:
    /// what a monitoring run pages through to know what is open.
    fn open_alerts(
        &self,
        after_alert_id: i64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Alert>, StoreError>> + Send;
}

/// Checks everything a run's day carries before anything is written: every alert and every resolve's reason.
pub(crate) fn check_run(day: &RunDay) -> Result<(), StoreError> {
    for alert in &day.raise {
        alert.check()?;
    }
    for resolve in &day.resolve {
        Change::Resolve { reason: resolve.reason.clone() }.check()?;
    }
    Ok(())
}

/// A resolve of `alert`, judged: the step and the alert after it, or the refusal of a closed alert.
pub(crate) fn resolve_step(alert: &Alert, resolve: &Resolve) -> Result<(Change, Alert), StoreError> {
    let change = Change::Resolve { reason: resolve.reason.clone() };
    let status = alert
        .status
        .after(&change)
        .map_err(|refusal| StoreError::Alert { alert: alert.alert_id, refusal: refusal.into() })?;
    let after = apply(alert, &change, status);
    Ok((change, after))
}

/// Judges a run's step on `alert`, given the registered branch of the officer an escalation names: the change and
/// the alert after it, or the refusal.
pub(crate) fn judge_run_step(
    alert: &Alert,
    step: &RunStep,
    to_branch: Option<OfficerBranch>,
) -> Result<(Change, Alert), StoreError> {
    let change = step.change();
    change.check()?;
    let refused = |refusal: AlertRefusal| StoreError::Alert { alert: alert.alert_id, refusal };
    if let (RunStep::Escalate { to }, Some(branch)) = (step, to_branch) {
        match branch {
            None => return Err(refused(AlertRefusal::UnknownOfficer(to.as_str().to_string()))),
            Some(b) if b != alert.raised.branch => {
                return Err(refused(AlertRefusal::OtherBranch {
                    officer: to.as_str().to_string(),
                    officer_branch: b,
                    alert_branch: alert.raised.branch.clone(),
                }));
            }
            Some(_) => {}
        }
    }
    let status = alert.status.after(&change).map_err(|r| refused(r.into()))?;
    let after = apply(alert, &change, status);
    Ok((change, after))
}

/// The ids of [`AlertRegister::alert_histories`], each with an empty history to fill, or the refusal of more ids than
/// a page.
pub(crate) fn histories_of(alert_ids: &[i64]) -> Result<HashMap<i64, Vec<AlertStep>>, StoreError> {
    if alert_ids.len() > MAX_PAGE as usize {
        return Err(StoreError::InvalidAlert(monitor::InvalidAlert {
            field: "alert_ids",
            problem: format!("at most {MAX_PAGE} alerts at once, not {}", alert_ids.len()),
        }));
    }
    Ok(alert_ids.iter().map(|id| (*id, Vec::new())).collect())
}

/// A page limit within 1 to [`MAX_OPEN_PAGE`].
pub(crate) fn open_page_limit(limit: u32) -> i64 {
    i64::from(limit.clamp(1, MAX_OPEN_PAGE))
}

/// How many of a day's raises made a new alert.
pub(crate) fn count_new(raised: &[Raised]) -> i64 {
    raised.iter().filter(|r| matches!(r, Raised::New(_))).count().try_into().unwrap_or(i64::MAX)
}

/// A `monitor_runs` row's columns as both engines store them.
pub(crate) struct RunColumns {
    pub day: String,
    pub config_version: i64,
    pub raised: i64,
    pub retiered: i64,
    pub resolved: i64,
    pub at: String,
}

impl RunColumns {
    /// The record these columns hold.
    pub(crate) fn into_record(self) -> Result<RunRecord, StoreError> {
        let day = self.day;
        let bad = |field: &str, e: &dyn std::fmt::Display| corrupt(format!("monitor run {day}: {field}: {e}"));
        let count = |field: &str, n: i64| u32::try_from(n).map_err(|e| bad(field, &e));
        Ok(RunRecord {
            day: domain::parse_date(&day).map_err(|e| bad("day", &e))?,
            config_version: count("config_version", self.config_version)?,
            raised: count("raised", self.raised)?,
            retiered: count("retiered", self.retiered)?,
            resolved: count("resolved", self.resolved)?,
            at: Timestamp::parse(&self.at).map_err(|e| bad("at", &e))?,
        })
    }
}

/// A page limit within 1 to [`MAX_PAGE`].
pub(crate) fn page_limit(limit: u32) -> i64 {
    i64::from(limit.clamp(1, MAX_PAGE))
}

/// The registered branch of an officer, as the engine read it (`None`: not registered).
pub(crate) type OfficerBranch = Option<String>;

/// Judges a step on `alert` given the branches of the acting officer and of the officer the step makes the holder
/// (if it names one): the status after it, or why it is refused.
pub(crate) fn judge(
    alert: &Alert,
    event: &AlertEvent,
    by_branch: OfficerBranch,
    to_branch: Option<OfficerBranch>,
) -> Result<Status, AlertRefusal> {
    let in_branch = |officer: &OfficerId, branch: OfficerBranch| match branch {
        None => Err(AlertRefusal::UnknownOfficer(officer.as_str().to_string())),
        Some(b) if b != alert.raised.branch => Err(AlertRefusal::OtherBranch {
            officer: officer.as_str().to_string(),
            officer_branch: b,
            alert_branch: alert.raised.branch.clone(),
        }),
        Some(_) => Ok(()),
    };
    if let Change::Resolve { .. } = event.change {
        return Err(AlertRefusal::RunOnly);
    }
    in_branch(&event.by, by_branch)?;
    if let (Some(to), Some(branch)) = (event.change.new_holder(), to_branch) {
        in_branch(to, branch)?;
    }
    let needs_holder =
        matches!(event.change, Change::Assign { .. } | Change::Acknowledge | Change::RecordAction { .. });
    if needs_holder
        && let Some(holder) = &alert.holder
        && *holder != event.by
    {
        return Err(AlertRefusal::NotHolder {
            officer: event.by.as_str().to_string(),
            holder: holder.as_str().to_string(),
        });
    }
    let next = alert.status.after(&event.change)?;
    if let Change::Retier { from, .. } = event.change
        && from != alert.raised.tier
    {
        return Err(AlertRefusal::StaleTier { from, now: alert.raised.tier });
    }
    Ok(next)
}

/// The alert after a step judged legal, which left it in `status`.
pub(crate) fn apply(alert: &Alert, change: &Change, status: Status) -> Alert {
    let mut next = alert.clone();
    next.status = status;
    next.events += 1;
    if let Some(to) = change.new_holder() {
        next.holder = Some(to.clone());
    }
    if let Change::Retier { to, .. } = change {
        next.raised.tier = *to;
    }
    next
}

/// What raising `alert` again does to the open alert `existing` of its borrower and cause: `None` when the new tier
/// is not higher (the open alert stands as it is), else the re-tier step and the alert after it, its due date brought
/// forward to the new one when that is earlier.
pub(crate) fn retier(existing: &Alert, alert: &NewAlert) -> Result<Option<(Change, Alert)>, StoreError> {
    if alert.tier <= existing.raised.tier {
        return Ok(None);
    }
    let change = Change::Retier { from: existing.raised.tier, to: alert.tier };
    let status = existing
        .status
        .after(&change)
        .map_err(|refusal| StoreError::Alert { alert: existing.alert_id, refusal: refusal.into() })?;
    let mut after = apply(existing, &change, status);
    after.raised.due_on = after.raised.due_on.min(alert.due_on);
    Ok(Some((change, after)))
}

/// An alert's columns as both engines store them, read back into an [`Alert`].
pub(crate) struct AlertColumns {
    pub alert_id: i64,
    pub household_id: String,
    pub loan_id: Option<String>,
    pub branch: String,
    pub tier: String,
    pub cause: String,
    pub evidence_json: String,
    pub actions: String,
    pub raised_on: String,
    pub raised_at: String,
    pub config_version: i64,
    pub due_on: String,
    pub status: String,
    pub holder: Option<String>,
    pub events: i64,
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

/// The stored form of a list of recommended actions: their codes joined by commas.
pub(crate) fn actions_column(alert: &NewAlert) -> String {
    alert.actions.iter().map(|a| a.code()).collect::<Vec<_>>().join(",")
}

impl AlertColumns {
    /// The alert these columns hold.
    pub(crate) fn into_alert(self) -> Result<Alert, StoreError> {
        let id = self.alert_id;
        let bad = |what: &str, e: &dyn std::fmt::Display| corrupt(format!("alert {id}: {what}: {e}"));
        let actions = self
            .actions
            .split(',')
            .map(|code| code.parse().map_err(|e| bad("actions", &e)))
            .collect::<Result<Vec<_>, _>>()?;
        let raised = NewAlert {
            household_id: domain::HouseholdId::parse(&self.household_id).map_err(|e| bad("household_id", &e))?,
            loan_id: match self.loan_id {
                Some(l) => Some(domain::LoanId::parse(&l).map_err(|e| bad("loan_id", &e))?),
                None => None,
            },
            branch: self.branch,
            tier: self.tier.parse().map_err(|e| bad("tier", &e))?,
            cause: self.cause.parse().map_err(|e| bad("cause", &e))?,
            evidence: serde_json::from_str(&self.evidence_json).map_err(|e| bad("evidence", &e))?,
            actions,
            raised_on: domain::parse_date(&self.raised_on).map_err(|e| bad("raised_on", &e))?,
            raised_at: domain::Timestamp::parse(&self.raised_at).map_err(|e| bad("raised_at", &e))?,
            config_version: u32::try_from(self.config_version).map_err(|e| bad("config_version", &e))?,
            due_on: domain::parse_date(&self.due_on).map_err(|e| bad("due_on", &e))?,
        };
        Ok(Alert {
            alert_id: id,
            raised,
            status: self.status.parse().map_err(|e| bad("status", &e))?,
            holder: match self.holder {
                Some(h) => Some(OfficerId::parse(&h).map_err(|e| bad("holder", &e))?),
                None => None,
            },
            events: u32::try_from(self.events).map_err(|e| bad("events", &e))?,
        })
    }
}

/// The `kind` of the history row of the raise.
pub(crate) const RAISE: &str = "raise";

/// A history row's columns as both engines store them.
pub(crate) struct StepColumns {
    pub alert_id: i64,
    pub seq: i64,
    pub kind: String,
    pub change_json: Option<String>,
    pub actor: String,
    pub at: String,
    pub status: String,
}

impl StepColumns {
    /// The step these columns hold.
    pub(crate) fn into_step(self) -> Result<AlertStep, StoreError> {
        let what = format!("alert {} step {}", self.alert_id, self.seq);
        let bad = |field: &str, e: &dyn std::fmt::Display| corrupt(format!("{what}: {field}: {e}"));
        let change: Option<Change> = match &self.change_json {
            Some(json) => Some(serde_json::from_str(json).map_err(|e| bad("change", &e))?),
            None => None,
        };
        let kind = change.as_ref().map_or(RAISE, |c| c.kind().code());
        if kind != self.kind {
            return Err(bad("kind", &format!("{} does not match its change {kind}", self.kind)));
        }
        Ok(AlertStep {
            seq: u32::try_from(self.seq).map_err(|e| bad("seq", &e))?,
            change,
            by: self.actor,
            at: domain::Timestamp::parse(&self.at).map_err(|e| bad("at", &e))?,
            status: self.status.parse().map_err(|e| bad("status", &e))?,
        })
    }
}

/// The audit digest of an alert's step: the alert, the step's number, kind, change and status.
pub(crate) fn step_digest(alert_id: i64, seq: u32, kind: &str, change_json: &str, status: Status) -> ::audit::Digest {
    crate::audit::record_digest(&[&alert_id.to_string(), &seq.to_string(), kind, change_json, status.code()])
}

/// The audit digest of a raise: the alert's number and its stored columns.
pub(crate) fn raise_digest(alert_id: i64, alert: &NewAlert, evidence_json: &str) -> ::audit::Digest {
    crate::audit::record_digest(&[
        &alert_id.to_string(),
        alert.household_id.as_str(),
        alert.loan_id.as_ref().map_or("", |l| l.as_str()),
        &alert.branch,
        alert.tier.code(),
        alert.cause.code(),
        evidence_json,
        &actions_column(alert),
        &alert.raised_on.to_string(),
        &alert.raised_at.to_string(),
        &alert.config_version.to_string(),
        &alert.due_on.to_string(),
    ])
}
