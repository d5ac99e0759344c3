//! The alert register on SQLite: the conformance suite, the schema's own guards, and `db copy` carrying alerts and
//! their history to another database with its checks passing.

use monitor::{Cause, Change, RecommendedAction, Tier};
use store::conformance::alerts::{check_alerts, new_alert, step, with_officers};
use store::conformance::oid;
use store::copy::{CopyOptions, copy};
use store::{AlertRegister, Location, SqliteStore};

use super::{error_chain, fresh};

#[tokio::test]
async fn sqlite_passes_the_alert_register_suite() {
    check_alerts(fresh).await;
}

/// The engine-picking `Database` hands every alert method to its store: the same suite through it.
#[tokio::test]
async fn a_database_on_sqlite_passes_the_alert_register_suite() {
    check_alerts(|| async { store::Database::Sqlite(fresh().await) }).await;
}

/// Raises an alert for H1 and takes it to action recorded, and a second one for H2; returns the first's id.
pub(super) async fn alerts_with_history<S: AlertRegister + store::ReviewWorkflow>(store: &S) -> i64 {
    with_officers(store).await;
    let raised = store.raise(&new_alert("H1", Cause::Overdue, Tier::Orange, "2026-06-28")).await.expect("raise");
    let id = raised.alert().alert_id;
    store.raise(&new_alert("H1", Cause::Overdue, Tier::Red, "2026-06-29")).await.expect("re-tier");
    store.act(id, &step("li", Change::Assign { to: oid("li") })).await.expect("assign");
    store.act(id, &step("li", Change::Acknowledge)).await.expect("ack");
    let visit = Change::RecordAction { action: RecommendedAction::VisitWithin3Days, outcome: "visited".into() };
    store.act(id, &step("li", visit)).await.expect("act");
    store.raise(&new_alert("H2", Cause::Weather, Tier::Yellow, "2026-06-29")).await.expect("raise");
    id
}

#[tokio::test]
async fn the_history_is_append_only_and_the_alert_row_follows_it() {
    let store = fresh().await;
    let id = alerts_with_history(&store).await;
    for (sql, refusal) in [
        (format!("UPDATE alert_events SET status = 'closed' WHERE alert_id = {id}"), "append-only"),
        (format!("DELETE FROM alert_events WHERE alert_id = {id}"), "append-only"),
        (format!("DELETE FROM alerts WHERE alert_id = {id}"), "never deleted"),
        (format!("UPDATE alerts SET status = 'closed' WHERE alert_id = {id}"), "follow the latest"),
        (format!("UPDATE alerts SET cause = 'weather' WHERE alert_id = {id}"), "never changes"),
        (
            "INSERT INTO alerts (household_id, branch, cause, tier, tier_rank, evidence_json, actions, raised_on,
                                 raised_at, config_version, due_on, status, events)
             VALUES ('H1', '990101', 'overdue', 'red', 0, '{}', 'watch_list', '2026-07-01', 't', 1, '2026-07-04',
                     'open', 1)"
                .to_string(),
            "UNIQUE",
        ),
    ] {
        let err = store.execute_raw(&sql).await.expect_err("refused");
        let text = error_chain(&err);
        assert!(text.contains(refusal), "{sql}: {text}");
    }
    assert_eq!(store.alert_history(id).await.expect("history").len(), 5);
}

#[tokio::test]
async fn db_copy_carries_alerts_and_their_history() {
    let from_dir = tempfile::tempdir().expect("dir");
    let to_dir = tempfile::tempdir().expect("dir");
    let source = SqliteStore::open(from_dir.path()).await.expect("open");
    let id = alerts_with_history(&source).await;
    let before = (source.alert(id).await.expect("read"), source.alert_history(id).await.expect("history"));
    source.close().await;
    let from = Location::Sqlite(from_dir.path().to_path_buf());
    let to = Location::Sqlite(to_dir.path().to_path_buf());
    let report = copy(&from, &to, CopyOptions::default()).await.expect("copy");
    let tables: Vec<&str> = report.verification.tables.iter().map(|t| t.table.as_str()).collect();
    assert!(tables.contains(&"alerts") && tables.contains(&"alert_events"), "{tables:?}");
    assert!(report.verification.tables.iter().all(|t| t.ok()), "{:?}", report.verification.tables);
    let target = SqliteStore::open(to_dir.path()).await.expect("open target");
    assert_eq!((target.alert(id).await.expect("read"), target.alert_history(id).await.expect("history")), before);
    // The one-open-alert rule holds in the copy too.
    let again = target.raise(&new_alert("H1", Cause::Overdue, Tier::Yellow, "2026-07-02")).await.expect("raise");
    assert_eq!(again.alert().alert_id, id);
    target.close().await;
}
