//! The alert register on PostgreSQL: its conformance suite, the schema's own guards, raises racing on one borrower
//! and cause, and `db copy` from SQLite carrying alerts and their history.
//!
//! The cluster is `AGRIRISK_TEST_POSTGRES_URL` (`bash xtask/pg.sh run cargo test -p store`); without it these
//! tests pass after saying they were skipped, unless `AGRIRISK_REQUIRE_POSTGRES=1`.

use std::sync::Arc;

use monitor::{Cause, Tier};
use store::conformance::alerts::{check_alerts, new_alert, with_officers};
use store::copy::{CopyOptions, copy};
use store::{AlertRegister, Location, PgStore, Raised, SqliteStore};

use store::conformance::audit::read_all;

use super::alerts::{alerts_with_history, thousands_in_a_day};
use super::error_chain;
use super::postgres::cluster;

#[tokio::test]
async fn postgres_passes_the_alert_register_suite() {
    let Some(cluster) = cluster("postgres_passes_the_alert_register_suite") else { return };
    let c = &cluster;
    check_alerts(|| c.fresh()).await;
    check_alerts(|| async { store::Database::Postgres(c.fresh().await) }).await;
    cluster.drop_all().await;
}

#[tokio::test]
async fn the_schema_keeps_the_history_append_only_and_the_alert_row_following_it() {
    let Some(cluster) = cluster("the_schema_keeps_the_history_append_only_and_the_alert_row_following_it") else {
        return;
    };
    let store = cluster.fresh().await;
    let id = alerts_with_history(&store).await;
    for (sql, refusal) in [
        (format!("UPDATE alert_events SET status = 'closed' WHERE alert_id = {id}"), "append-only"),
        (format!("DELETE FROM alert_events WHERE alert_id = {id}"), "append-only"),
        ("TRUNCATE alert_events".to_string(), "append-only"),
        (format!("DELETE FROM alerts WHERE alert_id = {id}"), "never deleted"),
        (format!("UPDATE alerts SET status = 'closed' WHERE alert_id = {id}"), "follow the latest"),
        (format!("UPDATE alerts SET cause = 'weather' WHERE alert_id = {id}"), "never changes"),
        ("UPDATE monitor_runs SET raised = 0".to_string(), "append-only"),
        ("DELETE FROM monitor_runs".to_string(), "append-only"),
        ("TRUNCATE monitor_runs".to_string(), "append-only"),
        (
            "INSERT INTO alerts (household_id, branch, cause, tier, tier_rank, evidence_json, actions, raised_on,
                                 raised_at, raised_at_offset_s, config_version, due_on, status, events)
             VALUES ('H1', '990101', 'overdue', 'red', 0, '{}', 'watch_list', '2026-07-01', now(), 0, 1, '2026-07-04',
                     'open', 1)"
                .to_string(),
            "alerts_one_open",
        ),
    ] {
        let err = store.execute_raw(&sql).await.expect_err("refused");
        let text = error_chain(&err);
        assert!(text.contains(refusal), "{sql}: {text}");
    }
    assert_eq!(store.alert_history(id).await.expect("history").len(), 5);
    cluster.drop_all().await;
}

/// Eight runs raise the same borrower and cause at once, some at a higher tier: one alert is made, every raise
/// answers with it, and its history holds the raise and at most one re-tier per tier climbed.
#[tokio::test]
async fn raises_racing_on_one_borrower_and_cause_make_one_alert() {
    let Some(cluster) = cluster("raises_racing_on_one_borrower_and_cause_make_one_alert") else { return };
    let store = Arc::new(cluster.fresh().await);
    for round in 0..5 {
        let household = format!("H{round}");
        let mut tasks = Vec::new();
        for n in 0..8 {
            let store = Arc::clone(&store);
            let tier = [Tier::Yellow, Tier::Orange, Tier::Red][n % 3];
            let alert = new_alert(&household, Cause::FundDiversion, tier, "2026-06-28");
            tasks.push(tokio::spawn(async move { store.raise(&alert).await }));
        }
        let mut ids = Vec::new();
        let mut new = 0;
        for task in tasks {
            let raised = task.await.expect("task").expect("raise");
            if matches!(raised, Raised::New(_)) {
                new += 1;
            }
            ids.push(raised.alert().alert_id);
        }
        assert_eq!(new, 1, "exactly one raise made the alert");
        ids.dedup();
        assert_eq!(ids.len(), 1, "every raise answered with the one alert");
        let alert = store.alert(ids[0]).await.expect("read").expect("stored");
        assert_eq!(alert.raised.tier, Tier::Red, "it ends at the highest tier raised");
        let history = store.alert_history(ids[0]).await.expect("history");
        assert!((1..=3).contains(&history.len()), "{history:?}");
        assert_eq!(u32::try_from(history.len()).expect("len"), alert.events);
    }
    let board = store.alert_board(&store::AlertFilter::default(), None, 100).await.expect("board");
    assert_eq!(board.alerts.len(), 5, "one alert per borrower");
    drop(board);
    if let Ok(store) = Arc::try_unwrap(store) {
        store.close().await;
    }
    cluster.drop_all().await;
}

/// A day of 5,000 raises, then their resolves, each one transaction (the times are printed, not asserted).
#[tokio::test]
async fn a_day_of_thousands_of_alerts_is_written_at_once() {
    let Some(cluster) = cluster("a_day_of_thousands_of_alerts_is_written_at_once") else { return };
    thousands_in_a_day(&cluster.fresh().await, "PostgreSQL").await;
    cluster.drop_all().await;
}

#[tokio::test]
async fn db_copy_carries_alerts_from_sqlite_to_postgres_and_back() {
    let Some(cluster) = cluster("db_copy_carries_alerts_from_sqlite_to_postgres_and_back") else { return };
    let dir = tempfile::tempdir().expect("dir");
    let sqlite = SqliteStore::open(dir.path()).await.expect("open");
    let id = alerts_with_history(&sqlite).await;
    let before = (sqlite.alert(id).await.expect("read"), sqlite.alert_history(id).await.expect("history"));
    let (from_day, to_day) =
        (domain::parse_date("2026-01-01").expect("date"), domain::parse_date("2026-12-31").expect("date"));
    let runs = sqlite.runs(from_day, to_day).await.expect("runs");
    sqlite.close().await;
    let url = cluster.fresh_url().await;
    PgStore::open(&url).await.expect("migrate the target").close().await;
    let from = Location::Sqlite(dir.path().to_path_buf());
    let to = Location::Postgres(url.clone());
    let report = copy(&from, &to, CopyOptions::default()).await.expect("copy");
    assert!(report.ok(), "{:?}", report.verification);
    let tables: Vec<&str> = report.verification.tables.iter().map(|t| t.table.as_str()).collect();
    assert!(tables.contains(&"alerts") && tables.contains(&"alert_events"), "{tables:?}");
    assert!(tables.contains(&"monitor_runs"), "{tables:?}");
    let pg = PgStore::open(&url).await.expect("open target");
    assert_eq!((pg.alert(id).await.expect("read"), pg.alert_history(id).await.expect("history")), before);
    assert_eq!(pg.runs(from_day, to_day).await.expect("runs"), runs);
    with_officers(&pg).await;
    let next = pg.raise(&new_alert("H9", Cause::Disease, Tier::Yellow, "2026-07-02")).await.expect("raise after copy");
    assert!(next.alert().alert_id > id, "the identity counter moved past the copied ids");
    pg.close().await;
    let back = tempfile::tempdir().expect("dir");
    let report = copy(&Location::Postgres(url), &Location::Sqlite(back.path().to_path_buf()), CopyOptions::default())
        .await
        .expect("copy back");
    assert!(report.ok(), "{:?}", report.verification);
    cluster.drop_all().await;
}

/// The same alert writes under the same actor and clock make the same audit entries, hash for hash, and the same
/// alerts and histories, on SQLite and on PostgreSQL.
#[tokio::test]
async fn the_same_alert_writes_chain_to_the_same_hashes_on_both_engines() {
    let Some(cluster) = cluster("the_same_alert_writes_chain_to_the_same_hashes_on_both_engines") else { return };
    let clock: Arc<dyn domain::Clock + Send + Sync> =
        Arc::new(domain::FixedClock(domain::parse_date("2026-06-28").expect("date")));
    let pg = cluster.fresh().await.acting("user:alice", "10.0.0.7").with_clock(clock.clone());
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = SqliteStore::open(dir.path()).await.expect("open").acting("user:alice", "10.0.0.7").with_clock(clock);
    let on_pg = alerts_with_history(&pg).await;
    let on_sqlite = alerts_with_history(&sqlite).await;
    assert_eq!(pg.alert(on_pg).await.expect("read"), sqlite.alert(on_sqlite).await.expect("read"));
    assert_eq!(pg.alert_history(on_pg).await.expect("read"), sqlite.alert_history(on_sqlite).await.expect("read"));
    let (entries, verified) = read_all(&pg, 100).await;
    verified.expect("the PostgreSQL chain verifies");
    assert!(entries.iter().any(|e| e.entry.action == "alert.retier"), "{entries:?}");
    assert_eq!(entries, read_all(&sqlite, 100).await.0, "entry for entry, hash for hash");
    cluster.drop_all().await;
}
