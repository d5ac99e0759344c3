//! Escalation when overdue: every alert still waiting for its action past its due date (`monitor::Alert::is_overdue`)
//! is moved up to its branch's escalation officer, as a step of the alert's own workflow (`monitor::Change::Escalate`)
//! taken by the run (`store::AlertRegister::run_step`: the store's acting actor, as the run's raises and resolves),
//! stamped as the run stamps the day ([`crate::monitoring::stamp_for`]), so it is audited and in the alert's history.
//!
//! The escalation officer of a branch is a registered officer (`workflow::review::Officer`) of that branch whose user
//! (the same name, as [`crate::alerts::acting_officer`] maps a signed-in person to the officer they are) is an
//! enabled branch manager whose branches cover it. With several, the first by officer id. An alert whose branch has
//! none is left as it is and reported with its branch; a later day escalates it once one is on file.
//!
//! The daily run escalates after each day it writes ([`escalate_overdue`] on that day), so a replay of a period
//! leaves the same history as running it day by day. An alert is escalated once ([`store::AlertRegister::overdue`]
//! lists only alerts never escalated), so re-running a day escalates nothing twice.

use std::collections::BTreeMap;

use domain::{Date, OfficerId, Timestamp};
use identity::Role;
use serde::Serialize;
use store::{AlertRegister, IdentityStore, ReviewWorkflow, RunStep};

use crate::error::Error;

/// Most branches an escalation report names.
pub const MAX_BRANCHES_REPORTED: usize = 100;

/// Most overdue alerts one day escalates; the rest wait for the next day (a guard: a day's overdue alerts are the
/// ones due the day before, far fewer on a real book).
pub const MAX_PER_DAY: usize = 50_000;

/// What escalating a day did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EscalationReport {
    /// Alerts escalated to their branch's escalation officer.
    pub escalated: u32,
    /// Alerts overdue on the last day and left as they were: their branch has no escalation officer on file.
    pub not_escalated: u32,
    /// Those alerts by branch (at most [`MAX_BRANCHES_REPORTED`] branches), in branch order.
    pub branches_without_manager: BTreeMap<String, u32>,
}

impl EscalationReport {
    /// This report followed by a later day's: the escalations add up, and what is left overdue is the later day's.
    pub fn then(&mut self, later: EscalationReport) {
        self.escalated = self.escalated.saturating_add(later.escalated);
        self.not_escalated = later.not_escalated;
        self.branches_without_manager = later.branches_without_manager;
    }
}

/// The escalation officer of each branch that has one: a registered officer of the branch whose user is an enabled
/// branch manager covering it; the first by officer id when there are several.
pub async fn escalation_officers<S: IdentityStore + ReviewWorkflow>(
    store: &S,
) -> Result<BTreeMap<String, OfficerId>, Error> {
    let mut officers: BTreeMap<String, OfficerId> = BTreeMap::new();
    for user in store.users().await? {
        if user.role != Role::BranchManager || !user.enabled {
            continue;
        }
        let Some(officer) = store.officer(user.username.as_str()).await? else { continue };
        if !user.branches.covers(&officer.branch) {
            continue;
        }
        match officers.get(&officer.branch) {
            Some(first) if first <= &officer.officer_id => {}
            _ => {
                officers.insert(officer.branch.clone(), officer.officer_id.clone());
            }
        }
    }
    Ok(officers)
}

/// Escalates every alert overdue on `day` to its branch's escalation officer, each step by the run at `now`'s stamp
/// for the day ([`crate::monitoring::stamp_for`]). `officers` is [`escalation_officers`]'s answer.
pub async fn escalate_overdue<S: AlertRegister>(
    store: &S,
    officers: &BTreeMap<String, OfficerId>,
    day: Date,
    now: Timestamp,
) -> Result<EscalationReport, Error> {
    let at = crate::monitoring::stamp_for(day, now);
    let mut report = EscalationReport::default();
    // An alert escalated leaves the list; one left (no officer for its branch) stays on it, so the pages continue
    // after the last alert read.
    let mut after: Option<(Date, i64)> = None;
    let mut seen = 0usize;
    while seen < MAX_PER_DAY {
        let page = store.overdue(day, after, store::alerts::MAX_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some((last.raised.due_on, last.alert_id));
        for alert in &page {
            seen += 1;
            match officers.get(&alert.raised.branch) {
                Some(to) => {
                    store.run_step(alert.alert_id, &RunStep::Escalate { to: to.clone() }, &at).await?;
                    report.escalated = report.escalated.saturating_add(1);
                }
                None => {
                    report.not_escalated = report.not_escalated.saturating_add(1);
                    let known = report.branches_without_manager.contains_key(&alert.raised.branch);
                    if known || report.branches_without_manager.len() < MAX_BRANCHES_REPORTED {
                        *report.branches_without_manager.entry(alert.raised.branch.clone()).or_default() += 1;
                    }
                }
            }
        }
    }
    Ok(report)
}

/// What the daily run did: the monitoring and the escalation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DailyReport {
    /// The days' raises, re-tiers and resolves.
    #[serde(flatten)]
    pub run: crate::monitoring::RunReport,
    /// The escalations after them.
    pub escalation: EscalationReport,
}

/// The daily run: monitoring over every day of `[from, to]` ([`crate::monitoring::run`]), each day followed by the
/// escalation of what is overdue on it ([`escalate_overdue`]), so a period replayed leaves the history a day-by-day
/// run would. With no escalation officer on file the escalation can change nothing, and the period is run at once
/// and escalated on its last day. `progress` hears of every day run.
pub async fn daily_run<S: AlertRegister + IdentityStore + ReviewWorkflow>(
    store: &S,
    book: &monitor::Book,
    from: Date,
    to: Date,
    config: &monitor::MonitorConfig,
    now: Timestamp,
    progress: &mut dyn FnMut(crate::monitoring::DayProgress),
) -> Result<DailyReport, Error> {
    crate::monitoring::check_period(book, from, to, "from", "to")?;
    let officers = escalation_officers(store).await?;
    if officers.is_empty() {
        let run = crate::monitoring::run(store, book, from, to, config, now, progress).await?;
        let escalation = escalate_overdue(store, &officers, to, now).await?;
        return Ok(DailyReport { run, escalation });
    }
    let total = u32::try_from((to - from).num_days() + 1).unwrap_or(u32::MAX);
    let mut report = DailyReport::default();
    report.run.from = Some(from);
    report.run.to = Some(to);
    for (n, day) in crate::monitoring::days(from, to).enumerate() {
        let mut quiet = |_: crate::monitoring::DayProgress| {};
        let r = crate::monitoring::run(store, book, day, day, config, now, &mut quiet).await?;
        let escalated = escalate_overdue(store, &officers, day, now).await?;
        report.escalation.then(escalated);
        let run = &mut report.run;
        run.days_run += r.days_run;
        run.days_already_run += r.days_already_run;
        run.raised += r.raised;
        run.retiered += r.retiered;
        run.resolved += r.resolved;
        run.open_after = r.open_after;
        if r.days_run > 0 {
            run.active_borrowers = r.active_borrowers;
            run.active_loans = r.active_loans;
            progress(crate::monitoring::DayProgress {
                day,
                done: u32::try_from(n + 1).unwrap_or(u32::MAX),
                total,
                open: r.open_after,
            });
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use identity::{Actor, Branches};
    use store::SqliteStore;

    use super::*;
    use crate::identity::{NewUser, add_user};

    fn t(text: &str) -> Timestamp {
        Timestamp::parse(text).expect("timestamp")
    }

    async fn user(store: &SqliteStore, name: &str, role: Role, branches: &str, registered_at: Option<&str>) {
        let new = NewUser {
            username: name.to_owned(),
            display_name: String::new(),
            role,
            branches: Branches::parse(branches).expect("branches"),
            password: "a long enough secret".to_owned(),
        };
        add_user(store, &new, &Actor::Os("root".to_owned()), t("2026-01-01T09:00:00+08:00"), [1; 16])
            .await
            .expect("add the user");
        if let Some(branch) = registered_at {
            let officer = workflow::Officer {
                officer_id: OfficerId::parse(name).expect("id"),
                name: name.to_owned(),
                branch: branch.to_owned(),
                authority: domain::Money::from_yuan(10_000),
                registered_at: t("2026-01-01T09:00:00+08:00"),
            };
            store.register_officer(&officer).await.expect("register");
        }
    }

    #[tokio::test]
    async fn a_branch_s_escalation_officer_is_its_first_enabled_registered_branch_manager() {
        let store = SqliteStore::open(&tempfile::tempdir().expect("temp dir").keep()).await.expect("open");
        user(&store, "bm-b", Role::BranchManager, "510311", Some("510311001")).await;
        user(&store, "bm-a", Role::BranchManager, "510311", Some("510311001")).await;
        user(&store, "lo-c", Role::LoanOfficer, "510311", Some("510311002")).await;
        user(&store, "bm-off", Role::BranchManager, "510311", Some("510311003")).await;
        let off = identity::Username::parse("bm-off").expect("name");
        store.set_user_enabled(&off, false, t("2026-02-01T09:00:00+08:00")).await.expect("disable");
        user(&store, "bm-far", Role::BranchManager, "510312", Some("510311004")).await;
        user(&store, "bm-none", Role::BranchManager, "510311", None).await;
        let officers = escalation_officers(&store).await.expect("officers");
        let expected = BTreeMap::from([("510311001".to_owned(), OfficerId::parse("bm-a").expect("id"))]);
        assert_eq!(
            officers, expected,
            "a loan officer, a disabled manager, one outside their branches and one not registered are none"
        );
    }
}
