//! The alert register on SQLite: the conformance suite, the schema's own guards, and `db copy` carrying alerts and
//! their history to another database with its checks passing.

use monitor::{Cause, Change, RecommendedAction, Tier};
use store::conformance::alerts::{check_alerts, new_alert, run_day, step, with_officers};
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

/// Raises an alert for H1 and takes it to action recorded, and a second one for H2, which a run's day (2026-06-30)
/// resolves as it raises one for H3; returns the first's id.
pub(super) async fn alerts_with_history<S: AlertRegister + store::ReviewWorkflow>(store: &S) -> i64 {
    with_officers(store).await;
    let raised = store.raise(&new_alert("H1", Cause::Overdue, Tier::Orange, "2026-06-28")).await.expect("raise");
    let id = raised.alert().alert_id;
    store.raise(&new_alert("H1", Cause::Overdue, Tier::Red, "2026-06-29")).await.expect("re-tier");
    store.act(id, &step("li", Change::Assign { to: oid("li") })).await.expect("assign");
    store.act(id, &step("li", Change::Acknowledge)).await.expect("ack");
    let visit = Change::RecordAction { action: RecommendedAction::VisitWithin3Days, outcome: "visited".into() };
    store.act(id, &step("li", visit)).await.expect("act");
    let h2 = store.raise(&new_alert("H2", Cause::Weather, Tier::Yellow, "2026-06-29")).await.expect("raise");
    let h3 = new_alert("H3", Cause::IncomeShock, Tier::Orange, "2026-06-30");
    let day = run_day("2026-06-30", vec![h3], &[(h2.alert().alert_id, "rain warning lifted")]);
    store.apply_run(&day).await.expect("run");
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
        ("UPDATE monitor_runs SET raised = 0".to_string(), "append-only"),
        ("DELETE FROM monitor_runs".to_string(), "append-only"),
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
    let (from_day, to_day) =
        (domain::parse_date("2026-01-01").expect("date"), domain::parse_date("2026-12-31").expect("date"));
    let runs = source.runs(from_day, to_day).await.expect("runs");
    assert_eq!(runs.len(), 1);
    source.close().await;
    let from = Location::Sqlite(from_dir.path().to_path_buf());
    let to = Location::Sqlite(to_dir.path().to_path_buf());
    let report = copy(&from, &to, CopyOptions::default()).await.expect("copy");
    let tables: Vec<&str> = report.verification.tables.iter().map(|t| t.table.as_str()).collect();
    assert!(tables.contains(&"alerts") && tables.contains(&"alert_events"), "{tables:?}");
    assert!(tables.contains(&"monitor_runs"), "{tables:?}");
    assert!(report.verification.tables.iter().all(|t| t.ok()), "{:?}", report.verification.tables);
    let target = SqliteStore::open(to_dir.path()).await.expect("open target");
    assert_eq!((target.alert(id).await.expect("read"), target.alert_history(id).await.expect("history")), before);
    assert_eq!(target.runs(from_day, to_day).await.expect("runs"), runs);
    // The one-open-alert rule holds in the copy too.
    let again = target.raise(&new_alert("H1", Cause::Overdue, Tier::Yellow, "2026-07-02")).await.expect("raise");
    assert_eq!(again.alert().alert_id, id);
    target.close().await;
}

/// A day of 5,000 raises and their resolves the next day, each one transaction: every alert written, counted in the
/// day's record. The time is printed, not asserted (`cargo test --release … -- --nocapture` to see it).
#[tokio::test]
async fn a_day_of_thousands_of_alerts_is_written_at_once() {
    thousands_in_a_day(&fresh().await, "SQLite").await;
}

/// The day of 5,000 raises, then their resolves, on `store` (of `engine`, for the printed times).
pub(super) async fn thousands_in_a_day<S: AlertRegister>(store: &S, engine: &str) {
    let alerts: Vec<_> =
        (0..5_000).map(|n| new_alert(&format!("H{n}"), Cause::Overdue, Tier::Yellow, "2026-07-01")).collect();
    let started = std::time::Instant::now();
    let outcome = store.apply_run(&run_day("2026-07-01", alerts, &[])).await.expect("run");
    eprintln!("a day of 5,000 raises on {engine}: {:?}", started.elapsed());
    let ids: Vec<i64> = outcome.raised.iter().map(|r| r.alert().alert_id).collect();
    let open = store.open_alerts(0, 10_000).await.expect("open");
    assert_eq!(open.iter().map(|a| a.alert_id).collect::<Vec<_>>(), ids);
    let resolve: Vec<(i64, &str)> = ids.iter().map(|id| (*id, "paid up")).collect();
    let started = std::time::Instant::now();
    let outcome = store.apply_run(&run_day("2026-07-02", Vec::new(), &resolve)).await.expect("resolve");
    eprintln!("a day of 5,000 resolves on {engine}: {:?}", started.elapsed());
    assert_eq!(outcome.resolved.len(), 5_000);
    assert!(store.open_alerts(0, 10_000).await.expect("open").is_empty());
    let on = |d: &str| domain::parse_date(d).expect("date");
    let counts: Vec<_> = store
        .runs(on("2026-07-01"), on("2026-07-02"))
        .await
        .expect("runs")
        .iter()
        .map(|r| (r.raised, r.resolved))
        .collect();
    assert_eq!(counts, [(5_000, 0), (0, 5_000)]);
}

/// Migration 0018 rebuilds `alerts` and `alert_events` to widen their checks: on a database made by 0017 with an
/// alert and its history in it, every row is kept, the history still refers to its alert, and the new cause and step
/// are accepted.
#[tokio::test]
async fn monitor_runs_migration_keeps_the_alerts_of_a_database_from_before() {
    use sqlx::SqlSafeStr;
    use sqlx::migrate::{Migration, MigrationType, Migrator};

    let dir = tempfile::tempdir().expect("dir");
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(dir.path().join(SqliteStore::FILE_NAME))
        .create_if_missing(true)
        .foreign_keys(true);
    let old = sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect_with(options).await.expect("old");
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    let mut files: Vec<_> = std::fs::read_dir(&folder).expect("migrations").map(|e| e.expect("entry").path()).collect();
    files.sort();
    let before: Vec<Migration> = files
        .iter()
        .filter(|f| f.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.get(..4).is_some_and(|v| v <= "0017")))
        .map(|f| {
            let name = f.file_stem().and_then(|n| n.to_str()).expect("name");
            let version: i64 = name[..4].parse().expect("version");
            let sql = std::fs::read_to_string(f).expect("sql");
            Migration::new(
                version,
                name[5..].replace('_', " ").into(),
                MigrationType::Simple,
                sqlx::AssertSqlSafe(sql).into_sql_str(),
                false,
            )
        })
        .collect();
    assert_eq!(before.len(), 17);
    Migrator::with_migrations(before).run(&old).await.expect("migrations 0001 to 0017");
    sqlx::query(
        "INSERT INTO alerts (alert_id, household_id, branch, cause, tier, tier_rank, evidence_json, actions, raised_on,
                             raised_at, config_version, due_on, status, events)
         VALUES (7, 'H1', '990101', 'weather', 'red', 0, '{\"v\":1}', 'watch_list', '2026-07-01',
                 '2026-07-01T06:00:00+08:00', 1, '2026-07-04', 'open', 1)",
    )
    .execute(&old)
    .await
    .expect("old alert");
    sqlx::query(
        "INSERT INTO alert_events (alert_id, seq, kind, actor, at, status)
         VALUES (7, 1, 'raise', 'system', '2026-07-01T06:00:00+08:00', 'open')",
    )
    .execute(&old)
    .await
    .expect("old step");
    old.close().await;

    let store = SqliteStore::open(dir.path()).await.expect("open applies 0018");
    let alert = store.alert(7).await.expect("read").expect("kept");
    assert_eq!((alert.raised.cause, alert.status, alert.events), (Cause::Weather, monitor::Status::Open, 1));
    assert_eq!(store.alert_history(7).await.expect("history").len(), 1);
    let orphan =
        "INSERT INTO alert_events (alert_id, seq, kind, actor, at, status) VALUES (8, 1, 'raise', 's', 't', 'open')";
    assert!(error_chain(&store.execute_raw(orphan).await.expect_err("refused")).contains("FOREIGN KEY"));
    let day =
        run_day("2026-07-02", vec![new_alert("H1", Cause::IncomeShock, Tier::Red, "2026-07-02")], &[(7, "lifted")]);
    let outcome = store.apply_run(&day).await.expect("the new cause and step are accepted");
    assert_eq!(outcome.resolved[0].status, monitor::Status::Closed);
    store.close().await;
}
