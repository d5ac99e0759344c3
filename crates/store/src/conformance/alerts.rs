//! What every backend of [`AlertRegister`] must do: one open alert per borrower and cause, re-tiered upward and never
//! duplicated; the workflow as `monitor` states it, with an append-only history in order; only a registered officer
//! of the alert's branch acts, and only its holder assigns, acknowledges or records an action; a refusal names its
//! reason and writes nothing; overdue alerts are listed until escalated; the board filters and pages red first,
//! then oldest first, without gaps or repeats; every write is audited. A monitoring run's day is written whole or not
//! at all, once; only a run resolves an alert, and a run's own step escalates or resolves in the store's name; the
//! open alerts page in number order; the histories of a page of alerts read at once are each alert's own.

use std::future::Future;

use domain::{HouseholdId, Money, Timestamp};
use monitor::{
    Alert, AlertEvent, Cause, Change, ChangeKind, NewAlert, RecommendedAction, Refusal, Status, Tier, WorkflowConfig,
};
use workflow::Officer;

use super::{oid, ts};
use crate::alerts::{
    AlertFilter, AlertRefusal, AlertRegister, BoardCursor, MAX_PAGE, Raised, Resolve, RunDay, RunRecord, RunStep,
};
use crate::{AuditLog, ReviewWorkflow, StoreError};

/// The branch of the alerts raised here and of officers li, zhao and wang.
pub const BRANCH: &str = "990101";

/// Registers officers li, zhao and wang at [`BRANCH`] and chen at another branch.
pub async fn with_officers<S: ReviewWorkflow>(store: &S) {
    for (id, branch) in [("li", BRANCH), ("zhao", BRANCH), ("wang", BRANCH), ("chen", "990202")] {
        let officer = Officer {
            officer_id: oid(id),
            name: format!("Officer {id}"),
            branch: branch.to_string(),
            authority: Money::from_fen(1_000_000),
            registered_at: ts("2026-12-01T00:00:00Z"),
        };
        store.register_officer(&officer).await.expect("officer");
    }
}

/// An alert for `household` of `cause` and `tier`, raised on `raised_on` (`YYYY-MM-DD`) with the default due date.
pub fn new_alert(household: &str, cause: Cause, tier: Tier, raised_on: &str) -> NewAlert {
    let on = domain::parse_date(raised_on).expect("date");
    NewAlert {
        household_id: HouseholdId::parse(household).expect("household id"),
        loan_id: Some(domain::LoanId::parse("L000001").expect("loan id")),
        branch: BRANCH.to_string(),
        tier,
        cause,
        evidence: serde_json::json!({ "dpd": 12, "threshold": { "days": 7 }, "village": "V01", "note": "雨季" }),
        actions: vec![RecommendedAction::VisitWithin3Days, RecommendedAction::FreezeUnusedLine],
        raised_on: on,
        raised_at: ts(&format!("{raised_on}T06:00:00+08:00")),
        config_version: 1,
        due_on: WorkflowConfig::default().due_on(tier, on).expect("date"),
    }
}

/// A step by `by` at 09:00 on 2026-07-01.
pub fn step(by: &str, change: Change) -> AlertEvent {
    AlertEvent { change, by: oid(by), at: ts("2026-07-01T09:00:00+08:00") }
}

fn refusal(result: Result<Alert, StoreError>) -> AlertRefusal {
    match result {
        Err(StoreError::Alert { refusal, .. }) => refusal,
        other => panic!("expected an alert refusal, got {other:?}"),
    }
}

async fn raise_new<S: AlertRegister>(store: &S, alert: &NewAlert) -> Alert {
    match store.raise(alert).await.expect("raise") {
        Raised::New(a) => a,
        other => panic!("expected a new alert, got {other:?}"),
    }
}

/// Runs every alert-register check, each on a fresh store from `fresh`. Officers are the review workflow's, so the
/// store provides that register too.
pub async fn check_alerts<S, F, Fut>(fresh: F)
where
    S: AlertRegister + ReviewWorkflow + AuditLog,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    one_open_alert_per_borrower_and_cause_re_tiered_upward(fresh().await).await;
    the_workflow_runs_to_closed_with_its_history_in_order(fresh().await).await;
    refusals_name_their_reason_and_write_nothing(fresh().await).await;
    overdue_alerts_are_listed_until_escalated(fresh().await).await;
    the_board_filters_and_pages_red_first_then_oldest_first(fresh().await).await;
    out_of_bounds_alerts_are_refused_naming_the_field(fresh().await).await;
    every_write_is_audited(fresh().await).await;
    a_run_writes_its_day_once_with_its_record(fresh().await).await;
    a_refused_day_writes_nothing(fresh().await).await;
    open_alerts_page_in_number_order(fresh().await).await;
    only_a_run_resolves_an_alert(fresh().await).await;
    a_run_escalates_and_resolves_in_its_own_name(fresh().await).await;
    histories_of_a_page_read_at_once_are_each_alert_s_history(fresh().await).await;
}

/// A monitoring run's day `day` (`YYYY-MM-DD`), written at 07:00 that morning.
pub fn run_day(day: &str, raise: Vec<NewAlert>, resolve: &[(i64, &str)]) -> RunDay {
    RunDay {
        day: domain::parse_date(day).expect("date"),
        config_version: 1,
        at: ts(&format!("{day}T07:00:00+08:00")),
        raise,
        resolve: resolve
            .iter()
            .map(|(alert_id, reason)| Resolve { alert_id: *alert_id, reason: reason.to_string() })
            .collect(),
    }
}

/// What a refused day must leave: the open alerts, the audit head and the runs, read before and after.
async fn snapshot<S: AlertRegister + AuditLog>(store: &S) -> (Vec<Alert>, Option<u64>, Vec<RunRecord>) {
    let from = domain::parse_date("2026-01-01").expect("date");
    let to = domain::parse_date("2026-12-31").expect("date");
    (
        store.open_alerts(0, 1_000).await.expect("open"),
        store.audit_head().await.expect("head").map(|e| e.seq),
        store.runs(from, to).await.expect("runs"),
    )
}

/// A day of three raises (two for one borrower and cause: one alert, re-tiered by the higher second) and a resolve of
/// an earlier alert is written at once, each step by the store's actor, audited as `raise` and `act` audit, with the
/// day's record; the day again is `already_run` and changes nothing.
pub async fn a_run_writes_its_day_once_with_its_record<S: AlertRegister + ReviewWorkflow + AuditLog>(store: S) {
    with_officers(&store).await;
    let earlier = raise_new(&store, &new_alert("H9", Cause::Weather, Tier::Yellow, "2026-07-01")).await;
    let day = run_day(
        "2026-07-02",
        vec![
            new_alert("H1", Cause::Overdue, Tier::Yellow, "2026-07-02"),
            new_alert("H2", Cause::IncomeShock, Tier::Orange, "2026-07-02"),
            new_alert("H1", Cause::Overdue, Tier::Red, "2026-07-02"),
        ],
        &[(earlier.alert_id, "rain warning lifted")],
    );
    let outcome = store.apply_run(&day).await.expect("run");
    assert!(!outcome.already_run);
    let [Raised::New(first), Raised::New(second), Raised::Existing(again)] = &outcome.raised[..] else {
        panic!("expected new, new, existing: {:?}", outcome.raised)
    };
    assert_eq!(second.raised.cause, Cause::IncomeShock);
    assert_eq!((again.alert_id, again.raised.tier, again.events), (first.alert_id, Tier::Red, 2), "re-tiered");
    assert_eq!(store.alert(first.alert_id).await.expect("read").as_ref(), Some(again));
    assert_eq!(outcome.resolved.len(), 1);
    let resolved = &outcome.resolved[0];
    assert_eq!((resolved.alert_id, resolved.status, resolved.events), (earlier.alert_id, Status::Closed, 2));
    assert_eq!(store.alert(earlier.alert_id).await.expect("read").as_ref(), Some(resolved));
    let history = store.alert_history(earlier.alert_id).await.expect("history");
    assert_eq!(history[1].change, Some(Change::Resolve { reason: "rain warning lifted".into() }));
    assert_eq!((history[1].status, history[1].at), (Status::Closed, day.at));
    assert_eq!(history[1].by, history[0].by, "the run's steps are by the store's actor, as its raises");
    let retier = store.alert_history(first.alert_id).await.expect("history");
    assert_eq!(retier[1].change, Some(Change::Retier { from: Tier::Yellow, to: Tier::Red }));
    let record = RunRecord { day: day.day, config_version: 1, raised: 2, retiered: 1, resolved: 1, at: day.at };
    assert_eq!(store.runs(day.day, day.day).await.expect("runs"), [record]);
    let (entries, chain) = super::audit::read_all(&store, 100).await;
    assert!(chain.is_ok(), "the chain verifies");
    let actions = |id: i64| {
        let target = format!("alert:{id}");
        entries.iter().filter(|e| e.entry.target == target).map(|e| e.entry.action.clone()).collect::<Vec<_>>()
    };
    assert_eq!(actions(first.alert_id), ["alert.raise", "alert.retier"]);
    assert_eq!(actions(second.alert_id), ["alert.raise"]);
    assert_eq!(actions(earlier.alert_id), ["alert.raise", "alert.resolve"]);

    let before = snapshot(&store).await;
    let rerun = store.apply_run(&day).await.expect("again");
    assert!(rerun.already_run && rerun.raised.is_empty() && rerun.resolved.is_empty(), "{rerun:?}");
    assert_eq!(snapshot(&store).await, before, "the day again writes nothing");
    assert_eq!(store.alert_history(first.alert_id).await.expect("history").len(), 2);
    let next = run_day("2026-07-03", vec![new_alert("H1", Cause::Overdue, Tier::Red, "2026-07-03")], &[]);
    let outcome = store.apply_run(&next).await.expect("next day");
    assert_eq!(outcome.raised, [Raised::Existing(again.clone())], "an open alert at its tier stays as it is");
    let from = domain::parse_date("2026-07-01").expect("date");
    let days: Vec<_> = store.runs(from, next.day).await.expect("runs").iter().map(|r| r.day).collect();
    assert_eq!(days, [day.day, next.day]);
    assert!(store.runs(from, from).await.expect("runs").is_empty());
}

/// A day with an invalid alert, a resolve with a blank reason, a resolve of a closed alert or of an unknown one is
/// refused whole: no alert, step, audit entry or run record of it is written, and the day may be run again after.
pub async fn a_refused_day_writes_nothing<S: AlertRegister + ReviewWorkflow + AuditLog>(store: S) {
    with_officers(&store).await;
    let open = raise_new(&store, &new_alert("H1", Cause::Overdue, Tier::Yellow, "2026-07-01")).await;
    let closed = raise_new(&store, &new_alert("H2", Cause::Weather, Tier::Red, "2026-07-01")).await;
    close(&store, closed.alert_id).await;
    let before = snapshot(&store).await;
    let good = || {
        vec![
            new_alert("H3", Cause::Disease, Tier::Red, "2026-07-02"),
            new_alert("H1", Cause::Overdue, Tier::Red, "2026-07-02"),
        ]
    };
    let mut invalid = good();
    invalid.push(NewAlert { actions: Vec::new(), ..new_alert("H4", Cause::Disease, Tier::Red, "2026-07-02") });
    match store.apply_run(&run_day("2026-07-02", invalid, &[(open.alert_id, "cleared")])).await {
        Err(StoreError::InvalidAlert(e)) => assert_eq!(e.field, "actions"),
        other => panic!("expected an invalid alert, got {other:?}"),
    }
    match store.apply_run(&run_day("2026-07-02", good(), &[(open.alert_id, " ")])).await {
        Err(StoreError::InvalidAlert(e)) => assert_eq!(e.field, "reason"),
        other => panic!("expected an invalid reason, got {other:?}"),
    }
    match store
        .apply_run(&run_day("2026-07-02", good(), &[(open.alert_id, "cleared"), (closed.alert_id, "cleared")]))
        .await
    {
        Err(StoreError::Alert { alert, refusal }) => {
            assert_eq!(alert, closed.alert_id);
            assert_eq!(refusal, AlertRefusal::Workflow(Refusal { status: Status::Closed, event: ChangeKind::Resolve }));
        }
        other => panic!("expected the closed alert refused, got {other:?}"),
    }
    let twice = [(open.alert_id, "cleared"), (open.alert_id, "cleared again")];
    assert!(matches!(store.apply_run(&run_day("2026-07-02", good(), &twice)).await, Err(StoreError::Alert { .. })));
    match store.apply_run(&run_day("2026-07-02", good(), &[(closed.alert_id + 1000, "cleared")])).await {
        Err(StoreError::AlertNotFound(n)) => assert_eq!(n, closed.alert_id + 1000),
        other => panic!("expected alert not found, got {other:?}"),
    }
    assert_eq!(snapshot(&store).await, before, "no alert, audit entry or run record of a refused day");
    assert_eq!(store.alert(open.alert_id).await.expect("read"), Some(open.clone()), "not re-tiered");
    assert_eq!(store.alert_history(open.alert_id).await.expect("history").len(), 1);
    assert_eq!(store.alert_history(closed.alert_id).await.expect("history").len(), 5);
    let outcome = store.apply_run(&run_day("2026-07-02", good(), &[(open.alert_id, "cleared")])).await.expect("run");
    assert!(!outcome.already_run);
    assert_eq!(
        outcome.resolved.iter().map(|a| (a.alert_id, a.status)).collect::<Vec<_>>(),
        [(open.alert_id, Status::Closed)]
    );
    let (_, chain) = super::audit::read_all(&store, 100).await;
    assert!(chain.is_ok(), "the chain verifies");
}

/// `open_alerts` pages every alert not closed, in number order, without gaps or repeats; a limit of 0 is one.
pub async fn open_alerts_page_in_number_order<S: AlertRegister + ReviewWorkflow>(store: S) {
    with_officers(&store).await;
    let mut ids = Vec::new();
    for household in ["H1", "H2", "H3", "H4", "H5"] {
        ids.push(raise_new(&store, &new_alert(household, Cause::Overdue, Tier::Orange, "2026-07-01")).await.alert_id);
    }
    close(&store, ids[2]).await;
    let mut paged = Vec::new();
    let mut after = 0;
    loop {
        let page = store.open_alerts(after, 2).await.expect("page");
        assert!(page.len() <= 2);
        assert!(page.iter().all(|a| a.status != Status::Closed));
        match page.last() {
            Some(last) => after = last.alert_id,
            None => break,
        }
        paged.extend(page.iter().map(|a| a.alert_id));
    }
    assert_eq!(paged, [ids[0], ids[1], ids[3], ids[4]]);
    assert_eq!(store.open_alerts(0, 0).await.expect("a limit of 0 is one").len(), 1);
    assert_eq!(store.open_alerts(ids[4], 10).await.expect("past the end"), []);
}

/// An officer's resolve is refused (`RunOnly`) and writes nothing.
pub async fn only_a_run_resolves_an_alert<S: AlertRegister + ReviewWorkflow>(store: S) {
    with_officers(&store).await;
    let alert = raise_new(&store, &new_alert("H1", Cause::Overdue, Tier::Orange, "2026-07-01")).await;
    let resolve = Change::Resolve { reason: "repaid".into() };
    assert_eq!(refusal(store.act(alert.alert_id, &step("li", resolve)).await), AlertRefusal::RunOnly);
    assert_eq!(store.alert(alert.alert_id).await.expect("read"), Some(alert.clone()));
    assert_eq!(store.alert_history(alert.alert_id).await.expect("history").len(), 1);
}

/// A run's own step ([`AlertRegister::run_step`]) is by the store's actor, as its raises, and audited: it escalates
/// an overdue alert to an officer of the alert's branch (then no longer overdue) and resolves an alert outside a day.
/// An officer not registered or of another branch, a closed alert, a blank reason and an unknown alert are refused
/// and write nothing.
pub async fn a_run_escalates_and_resolves_in_its_own_name<S: AlertRegister + ReviewWorkflow + AuditLog>(store: S) {
    with_officers(&store).await;
    let late = raise_new(&store, &new_alert("H1", Cause::Overdue, Tier::Red, "2026-06-28")).await;
    let cleared = raise_new(&store, &new_alert("H2", Cause::Concentration, Tier::Yellow, "2026-06-28")).await;
    let at = ts("2026-07-02T23:59:59+08:00");
    let head = store.audit_head().await.expect("head").map(|e| e.seq);
    let escalate = |to: &str| RunStep::Escalate { to: oid(to) };
    let refused = |r: Result<Alert, StoreError>| refusal(r);
    assert_eq!(
        refused(store.run_step(late.alert_id, &escalate("nobody"), &at).await),
        AlertRefusal::UnknownOfficer("nobody".into())
    );
    assert!(matches!(
        refused(store.run_step(late.alert_id, &escalate("chen"), &at).await),
        AlertRefusal::OtherBranch { .. }
    ));
    let blank = RunStep::Resolve { reason: " ".into() };
    assert!(matches!(store.run_step(cleared.alert_id, &blank, &at).await, Err(StoreError::InvalidAlert(_))));
    assert!(matches!(
        store.run_step(late.alert_id + 100, &escalate("wang"), &at).await,
        Err(StoreError::AlertNotFound(_))
    ));
    assert_eq!(store.audit_head().await.expect("head").map(|e| e.seq), head, "a refusal audits nothing");
    assert_eq!(store.alert_history(late.alert_id).await.expect("history").len(), 1, "a refusal writes nothing");

    let escalated = store.run_step(late.alert_id, &escalate("wang"), &at).await.expect("escalate");
    assert_eq!(
        (escalated.status, escalated.holder.clone(), escalated.events),
        (Status::Escalated, Some(oid("wang")), 2)
    );
    assert_eq!(store.alert(late.alert_id).await.expect("read"), Some(escalated.clone()));
    let history = store.alert_history(late.alert_id).await.expect("history");
    assert_eq!(history[1].change, Some(Change::Escalate { to: oid("wang") }));
    assert_eq!((history[1].by.as_str(), history[1].at), (history[0].by.as_str(), at), "by the store's actor");
    let on = domain::parse_date("2026-08-01").expect("date");
    assert!(store.overdue(on, None, 10).await.expect("overdue").iter().all(|a| a.alert_id != late.alert_id));
    assert_eq!(refused(store.run_step(late.alert_id, &escalate("wang"), &at).await).to_string(), {
        AlertRefusal::Workflow(Refusal { status: Status::Escalated, event: ChangeKind::Escalate }).to_string()
    });

    let reason = RunStep::Resolve { reason: "the share is under its limit".into() };
    let resolved = store.run_step(cleared.alert_id, &reason, &at).await.expect("resolve");
    assert_eq!(resolved.status, Status::Closed);
    assert_eq!(
        refused(store.run_step(cleared.alert_id, &reason, &at).await),
        AlertRefusal::Workflow(Refusal { status: Status::Closed, event: ChangeKind::Resolve })
    );
    let audited = store.audit_head().await.expect("head").map(|e| e.seq);
    assert_eq!(audited, head.map(|h| h + 2), "each step audited once");
}

/// Raising again for an open (borrower, cause) returns the open alert; a higher tier re-tiers it with a step in its
/// history and an earlier due date, a lower or equal one leaves it; another cause or a closed alert makes a new one.
pub async fn one_open_alert_per_borrower_and_cause_re_tiered_upward<S: AlertRegister + ReviewWorkflow>(store: S) {
    with_officers(&store).await;
    let first = raise_new(&store, &new_alert("H1", Cause::Overdue, Tier::Yellow, "2026-06-28")).await;
    assert_eq!((first.status, first.events, first.holder.clone()), (Status::Open, 1, None));
    assert_eq!(store.alert(first.alert_id).await.expect("read"), Some(first.clone()), "reads back as raised");
    let same = store.raise(&new_alert("H1", Cause::Overdue, Tier::Yellow, "2026-06-29")).await.expect("again");
    assert_eq!(same, Raised::Existing(first.clone()), "the same tier again changes nothing");
    let red = new_alert("H1", Cause::Overdue, Tier::Red, "2026-06-30");
    let Raised::Existing(up) = store.raise(&red).await.expect("stronger") else { panic!("a second alert was made") };
    assert_eq!((up.alert_id, up.raised.tier, up.events), (first.alert_id, Tier::Red, 2));
    assert_eq!(up.raised.due_on, red.due_on, "the red due date is earlier than the yellow one");
    assert_eq!(up.raised.raised_on, first.raised.raised_on, "what was raised first stays");
    let orange = store.raise(&new_alert("H1", Cause::Overdue, Tier::Orange, "2026-07-01")).await.expect("weaker");
    assert_eq!(orange, Raised::Existing(up.clone()), "a lower tier never re-tiers down");
    assert_eq!(store.alert(first.alert_id).await.expect("read"), Some(up.clone()));
    let history = store.alert_history(first.alert_id).await.expect("history");
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].change, None, "the raise comes first");
    assert_eq!(history[1].change, Some(Change::Retier { from: Tier::Yellow, to: Tier::Red }));
    assert_eq!(history[1].at, red.raised_at);
    let other = raise_new(&store, &new_alert("H1", Cause::Weather, Tier::Yellow, "2026-06-30")).await;
    assert_ne!(other.alert_id, first.alert_id, "another cause is another alert");
    let elsewhere = raise_new(&store, &new_alert("H2", Cause::Overdue, Tier::Yellow, "2026-06-30")).await;
    assert_ne!(elsewhere.alert_id, first.alert_id, "another borrower is another alert");
    // Closed, the cause may be raised again as a new alert.
    close(&store, first.alert_id).await;
    let again = raise_new(&store, &new_alert("H1", Cause::Overdue, Tier::Yellow, "2026-07-10")).await;
    assert_ne!(again.alert_id, first.alert_id);
}

/// Assigns, acknowledges, records an action and closes `alert_id` as li.
async fn close<S: AlertRegister>(store: &S, alert_id: i64) -> Alert {
    store.act(alert_id, &step("li", Change::Assign { to: oid("li") })).await.expect("assign");
    store.act(alert_id, &step("li", Change::Acknowledge)).await.expect("acknowledge");
    let action = Change::RecordAction { action: RecommendedAction::VisitWithin3Days, outcome: "visited".into() };
    store.act(alert_id, &step("li", action)).await.expect("action");
    store.act(alert_id, &step("li", Change::Close { reason: "repaid".into() })).await.expect("close")
}

/// Open → assigned → acknowledged → action recorded → closed; handing over by assigning again; every step in the
/// history in order, with who, when and the status it left.
pub async fn the_workflow_runs_to_closed_with_its_history_in_order<S: AlertRegister + ReviewWorkflow>(store: S) {
    with_officers(&store).await;
    let alert = raise_new(&store, &new_alert("H1", Cause::FundDiversion, Tier::Red, "2026-06-28")).await;
    let id = alert.alert_id;
    let assigned = store.act(id, &step("wang", Change::Assign { to: oid("zhao") })).await.expect("assign");
    assert_eq!((assigned.status, assigned.holder.clone()), (Status::Assigned, Some(oid("zhao"))));
    let handed = store.act(id, &step("zhao", Change::Assign { to: oid("li") })).await.expect("hand over");
    assert_eq!(handed.holder, Some(oid("li")));
    assert_eq!(store.act(id, &step("li", Change::Acknowledge)).await.expect("ack").status, Status::Acknowledged);
    let action = Change::RecordAction { action: RecommendedAction::FreezeUnusedLine, outcome: "line frozen".into() };
    assert_eq!(store.act(id, &step("li", action.clone())).await.expect("act").status, Status::ActionRecorded);
    let closed = store.act(id, &step("li", Change::Close { reason: "funds returned".into() })).await.expect("close");
    assert_eq!((closed.status, closed.events), (Status::Closed, 6));
    assert_eq!(store.alert(id).await.expect("read"), Some(closed));
    let history = store.alert_history(id).await.expect("history");
    let kinds: Vec<Option<ChangeKind>> = history.iter().map(|s| s.change.as_ref().map(Change::kind)).collect();
    use ChangeKind as K;
    assert_eq!(
        kinds,
        [None, Some(K::Assign), Some(K::Assign), Some(K::Acknowledge), Some(K::RecordAction), Some(K::Close)]
    );
    let statuses: Vec<Status> = history.iter().map(|s| s.status).collect();
    use Status as S;
    assert_eq!(statuses, [S::Open, S::Assigned, S::Assigned, S::Acknowledged, S::ActionRecorded, S::Closed]);
    assert_eq!(history.iter().map(|s| s.seq).collect::<Vec<_>>(), [1, 2, 3, 4, 5, 6]);
    assert_eq!((history[1].by.as_str(), history[4].by.as_str()), ("wang", "li"));
    assert_eq!(history[4].change, Some(action));
    assert_eq!(history[4].at, ts("2026-07-01T09:00:00+08:00"));
    assert!(store.alert_history(id + 1000).await.expect("unknown").is_empty());
}

/// Unknown officers, officers of another branch (acting or made holder), an officer who does not hold the alert, an
/// illegal move, a stale re-tier and an unknown alert are refused, each naming its reason, and nothing is written.
pub async fn refusals_name_their_reason_and_write_nothing<S: AlertRegister + ReviewWorkflow + AuditLog>(store: S) {
    with_officers(&store).await;
    let alert = raise_new(&store, &new_alert("H1", Cause::PriceShock, Tier::Orange, "2026-06-28")).await;
    let id = alert.alert_id;
    let head = store.audit_head().await.expect("head").map(|e| e.seq);
    let assign_to = |to: &str| Change::Assign { to: oid(to) };
    assert_eq!(
        refusal(store.act(id, &step("nobody", assign_to("li"))).await),
        AlertRefusal::UnknownOfficer("nobody".into())
    );
    assert_eq!(
        refusal(store.act(id, &step("li", assign_to("nobody"))).await),
        AlertRefusal::UnknownOfficer("nobody".into())
    );
    let other_branch = AlertRefusal::OtherBranch {
        officer: "chen".into(),
        officer_branch: "990202".into(),
        alert_branch: BRANCH.into(),
    };
    assert_eq!(refusal(store.act(id, &step("chen", assign_to("chen"))).await), other_branch);
    assert_eq!(refusal(store.act(id, &step("li", assign_to("chen"))).await), other_branch, "the assignee too");
    let workflow = |status, event| AlertRefusal::Workflow(Refusal { status, event });
    assert_eq!(
        refusal(store.act(id, &step("li", Change::Acknowledge)).await),
        workflow(Status::Open, ChangeKind::Acknowledge)
    );
    let close = Change::Close { reason: "fine".into() };
    assert_eq!(refusal(store.act(id, &step("li", close.clone())).await), workflow(Status::Open, ChangeKind::Close));
    let stale = Change::Retier { from: Tier::Yellow, to: Tier::Red };
    assert_eq!(
        refusal(store.act(id, &step("li", stale)).await),
        AlertRefusal::StaleTier { from: Tier::Yellow, now: Tier::Orange }
    );
    assert_eq!(store.alert(id).await.expect("read"), Some(alert.clone()), "nothing changed");
    assert_eq!(store.alert_history(id).await.expect("history").len(), 1, "nothing appended");
    assert_eq!(store.audit_head().await.expect("head").map(|e| e.seq), head, "nothing audited");

    store.act(id, &step("li", assign_to("li"))).await.expect("assign");
    let not_holder = AlertRefusal::NotHolder { officer: "zhao".into(), holder: "li".into() };
    assert_eq!(refusal(store.act(id, &step("zhao", Change::Acknowledge)).await), not_holder);
    assert_eq!(refusal(store.act(id, &step("zhao", assign_to("zhao"))).await), not_holder, "nor take it over");
    store.act(id, &step("li", Change::Acknowledge)).await.expect("ack");
    let action = Change::RecordAction { action: RecommendedAction::CutLimit, outcome: "limit cut".into() };
    assert_eq!(refusal(store.act(id, &step("zhao", action)).await), not_holder);
    assert_eq!(store.alert_history(id).await.expect("history").len(), 3);
    match store.act(id + 1000, &step("li", Change::Acknowledge)).await {
        Err(StoreError::AlertNotFound(n)) => assert_eq!(n, id + 1000),
        other => panic!("expected alert not found, got {other:?}"),
    }
    let blank = Change::Close { reason: " ".into() };
    match store.act(id, &step("li", blank)).await {
        Err(StoreError::InvalidAlert(e)) => assert_eq!(e.field, "reason"),
        other => panic!("expected an invalid step, got {other:?}"),
    }
}

/// An alert past its due date while it waits for its action is overdue until it is escalated; the escalated alert is
/// held by the risk manager, who acknowledges, acts and closes it. One that is acted on in time is never overdue.
pub async fn overdue_alerts_are_listed_until_escalated<S: AlertRegister + ReviewWorkflow>(store: S) {
    with_officers(&store).await;
    let red = raise_new(&store, &new_alert("H1", Cause::Weather, Tier::Red, "2026-06-28")).await;
    let yellow = raise_new(&store, &new_alert("H2", Cause::Weather, Tier::Yellow, "2026-06-28")).await;
    let acted = raise_new(&store, &new_alert("H3", Cause::Weather, Tier::Red, "2026-06-28")).await;
    let on = |d: &str| domain::parse_date(d).expect("date");
    assert!(store.overdue(on("2026-07-01"), None, 10).await.expect("due").is_empty(), "due today is not overdue");
    store.act(acted.alert_id, &step("li", Change::Assign { to: oid("li") })).await.expect("assign");
    store.act(acted.alert_id, &step("li", Change::Acknowledge)).await.expect("ack");
    let visit = Change::RecordAction { action: RecommendedAction::VisitWithin3Days, outcome: "visited".into() };
    store.act(acted.alert_id, &step("li", visit.clone())).await.expect("act");
    let ids = |alerts: Vec<Alert>| alerts.iter().map(|a| a.alert_id).collect::<Vec<_>>();
    assert_eq!(ids(store.overdue(on("2026-07-02"), None, 10).await.expect("overdue")), [red.alert_id]);
    assert_eq!(ids(store.overdue(on("2026-08-01"), None, 10).await.expect("overdue")), [red.alert_id, yellow.alert_id]);
    let first = store.overdue(on("2026-08-01"), None, 1).await.expect("limit");
    assert_eq!(ids(first.clone()), [red.alert_id]);
    let cursor = first.last().map(|a| (a.raised.due_on, a.alert_id));
    assert_eq!(ids(store.overdue(on("2026-08-01"), cursor, 10).await.expect("next page")), [yellow.alert_id]);
    let escalated =
        store.act(red.alert_id, &step("zhao", Change::Escalate { to: oid("wang") })).await.expect("escalate");
    assert_eq!((escalated.status, escalated.holder.clone()), (Status::Escalated, Some(oid("wang"))));
    assert_eq!(ids(store.overdue(on("2026-08-01"), None, 10).await.expect("overdue")), [yellow.alert_id]);
    let acked = store.act(red.alert_id, &step("wang", Change::Acknowledge)).await.expect("risk manager acks");
    assert_eq!(acked.status, Status::Acknowledged);
    assert_eq!(
        ids(store.overdue(on("2026-08-01"), None, 10).await.expect("overdue")),
        [yellow.alert_id],
        "escalated once"
    );
    store.act(red.alert_id, &step("wang", visit)).await.expect("act");
    let closed =
        store.act(red.alert_id, &step("wang", Change::Close { reason: "claim filed".into() })).await.expect("close");
    assert_eq!(closed.status, Status::Closed);
}

/// The board shows red first, then the oldest first; filters by tier, branch, holder, status and cause; and pages
/// with a cursor through every alert once.
pub async fn the_board_filters_and_pages_red_first_then_oldest_first<S: AlertRegister + ReviewWorkflow>(store: S) {
    with_officers(&store).await;
    let raised = [
        ("H1", Cause::Overdue, Tier::Yellow, "2026-06-01"),
        ("H2", Cause::Overdue, Tier::Red, "2026-06-05"),
        ("H3", Cause::Weather, Tier::Orange, "2026-06-02"),
        ("H4", Cause::Weather, Tier::Red, "2026-06-03"),
        ("H5", Cause::Disease, Tier::Yellow, "2026-05-30"),
        ("H6", Cause::Disease, Tier::Orange, "2026-06-02"),
        ("H7", Cause::Overdue, Tier::Red, "2026-06-03"),
    ];
    let mut alerts = Vec::new();
    for (h, cause, tier, on) in raised {
        let mut alert = new_alert(h, cause, tier, on);
        if h == "H6" {
            alert.branch = "990202".into();
        }
        alerts.push(raise_new(&store, &alert).await);
    }
    let id = |h: &str| alerts.iter().find(|a| a.raised.household_id.as_str() == h).expect("raised").alert_id;
    store.act(id("H3"), &step("li", Change::Assign { to: oid("li") })).await.expect("assign");
    let mut expected: Vec<&Alert> = alerts.iter().collect();
    expected.sort_by_key(|a| (a.raised.tier.board_rank(), a.raised.raised_on, a.alert_id));
    let expected: Vec<i64> = expected.iter().map(|a| a.alert_id).collect();
    assert_eq!(expected[..3], [id("H4"), id("H7"), id("H2")], "red first, the oldest first");
    let all = AlertFilter::default();
    let mut paged = Vec::new();
    let mut after: Option<BoardCursor> = None;
    loop {
        let page = store.alert_board(&all, after.as_ref(), 2).await.expect("page");
        assert!(page.alerts.len() <= 2);
        paged.extend(page.alerts.iter().map(|a| a.alert_id));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(paged, expected, "every alert once, in board order");
    let whole = store.alert_board(&all, None, 0).await.expect("a limit of 0 is one");
    assert_eq!(whole.alerts.len(), 1);
    let ids_of = |page: crate::alerts::BoardPage| page.alerts.iter().map(|a| a.alert_id).collect::<Vec<_>>();
    let reds = AlertFilter { tier: Some(Tier::Red), ..all.clone() };
    assert_eq!(ids_of(store.alert_board(&reds, None, 50).await.expect("reds")), [id("H4"), id("H7"), id("H2")]);
    let branch = AlertFilter { branch: Some("990202".into()), ..all.clone() };
    assert_eq!(ids_of(store.alert_board(&branch, None, 50).await.expect("branch")), [id("H6")]);
    let held = AlertFilter { holder: Some(oid("li")), ..all.clone() };
    assert_eq!(ids_of(store.alert_board(&held, None, 50).await.expect("holder")), [id("H3")]);
    let assigned = AlertFilter { status: Some(Status::Assigned), ..all.clone() };
    assert_eq!(ids_of(store.alert_board(&assigned, None, 50).await.expect("status")), [id("H3")]);
    let disease = AlertFilter { cause: Some(Cause::Disease), ..all.clone() };
    assert_eq!(ids_of(store.alert_board(&disease, None, 50).await.expect("cause")), [id("H6"), id("H5")]);
    let both = AlertFilter { cause: Some(Cause::Overdue), tier: Some(Tier::Yellow), ..all.clone() };
    assert_eq!(ids_of(store.alert_board(&both, None, 50).await.expect("both")), [id("H1")]);
}

/// An alert out of its bounds is refused naming the field, and nothing is stored.
pub async fn out_of_bounds_alerts_are_refused_naming_the_field<S: AlertRegister + ReviewWorkflow>(store: S) {
    let good = new_alert("H1", Cause::Overdue, Tier::Red, "2026-06-28");
    let cases = [
        ("actions", NewAlert { actions: Vec::new(), ..good.clone() }),
        ("branch", NewAlert { branch: String::new(), ..good.clone() }),
        ("evidence", NewAlert { evidence: serde_json::json!({ "x": "y".repeat(20_000) }), ..good.clone() }),
        ("due_on", NewAlert { due_on: domain::parse_date("2026-06-01").expect("date"), ..good.clone() }),
    ];
    for (field, alert) in cases {
        match store.raise(&alert).await {
            Err(StoreError::InvalidAlert(e)) => assert_eq!(e.field, field),
            other => panic!("{field}: expected an invalid alert, got {other:?}"),
        }
    }
    let page = store.alert_board(&AlertFilter::default(), None, 10).await.expect("board");
    assert!(page.alerts.is_empty(), "nothing stored");
}

/// Each raise, re-tier and step makes one audit entry `alert.<kind>` on `alert:<id>`; an unchanged raise makes none.
pub async fn every_write_is_audited<S: AlertRegister + ReviewWorkflow + AuditLog>(store: S) {
    with_officers(&store).await;
    let alert = raise_new(&store, &new_alert("H1", Cause::CropCondition, Tier::Yellow, "2026-06-28")).await;
    store.raise(&new_alert("H1", Cause::CropCondition, Tier::Yellow, "2026-06-29")).await.expect("unchanged");
    store.raise(&new_alert("H1", Cause::CropCondition, Tier::Orange, "2026-06-30")).await.expect("re-tier");
    close(&store, alert.alert_id).await;
    let (entries, chain) = super::audit::read_all(&store, 100).await;
    assert!(chain.is_ok(), "the chain verifies");
    let target = format!("alert:{}", alert.alert_id);
    let actions: Vec<&str> =
        entries.iter().filter(|e| e.entry.target == target).map(|e| e.entry.action.as_str()).collect();
    assert_eq!(
        actions,
        ["alert.raise", "alert.retier", "alert.assign", "alert.acknowledge", "alert.record_action", "alert.close"]
    );
    let when: Timestamp = ts("2026-07-01T09:00:00+08:00");
    let history = store.alert_history(alert.alert_id).await.expect("history");
    assert_eq!(history.last().map(|s| s.at), Some(when));
}

/// The histories of several alerts read at once are, alert by alert, what [`AlertRegister::alert_history`] reads: the
/// steps of each in order and no other alert's, an unknown alert's empty, a repeated id read once; no ids read
/// nothing; a page of ids is read and one more refused, naming `alert_ids`.
pub async fn histories_of_a_page_read_at_once_are_each_alert_s_history<S: AlertRegister + ReviewWorkflow>(store: S) {
    with_officers(&store).await;
    let closed = raise_new(&store, &new_alert("H1", Cause::Overdue, Tier::Yellow, "2026-06-28")).await;
    store.raise(&new_alert("H1", Cause::Overdue, Tier::Red, "2026-06-29")).await.expect("re-tier");
    close(&store, closed.alert_id).await;
    let resolved = raise_new(&store, &new_alert("H2", Cause::Weather, Tier::Orange, "2026-06-29")).await;
    let day = run_day("2026-06-30", Vec::new(), &[(resolved.alert_id, "rain warning lifted")]);
    store.apply_run(&day).await.expect("run");
    let open = raise_new(&store, &new_alert("H3", Cause::PriceShock, Tier::Yellow, "2026-06-30")).await;
    let unknown = open.alert_id + 1000;
    let ids = [resolved.alert_id, closed.alert_id, unknown, open.alert_id, closed.alert_id];
    let histories = store.alert_histories(&ids).await.expect("histories");
    assert_eq!(histories.len(), 4, "one entry per alert asked for");
    for id in ids {
        assert_eq!(histories[&id], store.alert_history(id).await.expect("history"), "alert {id}");
    }
    assert_eq!(histories[&closed.alert_id].len(), 6, "raise, re-tier, assign, acknowledge, action, close");
    assert_eq!(histories[&resolved.alert_id].len(), 2);
    assert!(histories[&unknown].is_empty());
    assert!(store.alert_histories(&[]).await.expect("none").is_empty());

    let page: Vec<i64> = (1..=i64::from(MAX_PAGE)).collect();
    let read = store.alert_histories(&page).await.expect("a page");
    assert_eq!(read.len(), page.len());
    assert_eq!(read[&open.alert_id].len(), 1);
    let over: Vec<i64> = (1..=i64::from(MAX_PAGE) + 1).collect();
    match store.alert_histories(&over).await {
        Err(StoreError::InvalidAlert(e)) => assert_eq!(e.field, "alert_ids"),
        other => panic!("expected more than a page refused, got {other:?}"),
    }
}
