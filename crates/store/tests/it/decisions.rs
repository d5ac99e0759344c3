//! The decision log on SQLite beyond the conformance suite: the schema's own guards against raw statements, the
//! batch `DecisionWriter` and the `Checkpointer`.

const ALL: store::Page = store::Page { after: None, limit: 1_000 };

use store::conformance::decision_record as record;
use store::conformance::did;
use store::{DecisionLog, Recorded, SqliteStore, StoreError};
use workflow::{DecisionRecord, Invalid, Outcome};

#[tokio::test]
async fn decisions_are_immutable_and_a_review_of_an_approval_is_refused_even_from_raw_statements() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).await.expect("store");
    store.record_decision(&record("D1", "req-1", 'a', Outcome::Approve)).await.expect("approve");
    store.record_decision(&record("D22", "req-2", 'b', Outcome::Decline)).await.expect("decline");
    assert!(store.execute_raw("UPDATE decisions SET outcome = 'approve' WHERE decision_id = 'D22'").await.is_err());
    assert!(store.execute_raw("DELETE FROM decisions").await.is_err());
    assert_eq!(store.decision("D22").await.expect("read").map(|d| d.outcome), Some(Outcome::Decline));
    // The schema refuses a review of an approval even from a raw statement.
    let raw = "INSERT INTO review_requests (decision_id, seq, requested_at, channel, note)
               VALUES ('D1', 1, '2026-12-02T09:00:00Z', 'branch', '')";
    assert!(store.execute_raw(raw).await.is_err());
    assert!(store.review_requests("D1").await.expect("read").is_empty());
    store.close().await;
}

#[tokio::test]
async fn a_batch_records_each_decision_as_if_one_after_another_in_one_commit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).await.expect("store");
    let earlier = record("D0", "req-0", 'a', Outcome::Approve);
    store.record_decision(&earlier).await.expect("recorded");
    let first = record("D1", "req-1", 'b', Outcome::Refer);
    let batch = vec![
        first.clone(),
        // The same request twice in one batch: the second finds the first.
        DecisionRecord { decision_id: did("D1b"), ..first.clone() },
        // A request decided before the batch.
        DecisionRecord { decision_id: did("D0b"), ..earlier.clone() },
        // A reused request id and a malformed record: refused alone, the rest still recorded.
        record("D2", "req-0", 'c', Outcome::Decline),
        DecisionRecord { policy_version: String::new(), ..record("D3", "req-3", 'd', Outcome::Refer) },
        record("D4", "req-4", 'e', Outcome::Decline),
    ];
    let mut writer = store.decision_writer(store::Durability::PowerLoss).expect("a writer");
    let results = writer.record_decisions(&batch).expect("the batch commits");
    assert_eq!(results.len(), batch.len());
    assert_eq!(results[0].as_ref().ok(), Some(&Recorded::New));
    assert_eq!(results[1].as_ref().ok(), Some(&Recorded::Existing(first.clone())));
    assert_eq!(results[2].as_ref().ok(), Some(&Recorded::Existing(earlier.clone())));
    assert!(matches!(results[3], Err(StoreError::RequestReused { .. })));
    assert!(matches!(results[4], Err(StoreError::Invalid(Invalid::Field { field: "policy_version", .. }))));
    assert_eq!(results[5].as_ref().ok(), Some(&Recorded::New));
    for (id, stored) in [("D1", true), ("D1b", false), ("D0b", false), ("D2", false), ("D3", false), ("D4", true)] {
        assert_eq!(store.decision(id).await.expect("read").is_some(), stored, "{id}");
    }
    store.close().await;
}

#[tokio::test]
async fn the_checkpointer_copies_the_writers_log_into_the_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).await.expect("store");
    let mut writer = store.decision_writer(store::Durability::ProcessCrash).expect("a writer");
    let batch: Vec<DecisionRecord> =
        (0..50).map(|n| record(&format!("D{n}"), &format!("req-{n}"), 'a', Outcome::Refer)).collect();
    assert!(writer.record_decisions(&batch).expect("committed").iter().all(|r| matches!(r, Ok(Recorded::New))));
    let checkpointer = store.checkpointer().expect("a checkpointer");
    let (in_log, copied) = checkpointer.checkpoint().expect("checkpoint");
    assert!(in_log > 0, "the batch is in the log");
    assert_eq!(copied, in_log, "nothing reads or writes meanwhile, so every page is copied");
    // Nothing new: copies nothing more.
    assert_eq!(checkpointer.checkpoint().expect("checkpoint again"), (in_log, copied));
    // The pool reads what the writer wrote.
    let all = store.decisions_of("A00001-0001", &ALL).await.expect("read");
    assert_eq!(all.len(), 50);
    // Pages of 7 give every decision once, in the same order.
    let mut paged = Vec::new();
    let mut page = store::Page { after: None, limit: 7 };
    loop {
        let rows = store.decisions_of("A00001-0001", &page).await.expect("page");
        let Some(last) = rows.last() else { break };
        page.after = Some(store::Cursor::after(last));
        paged.extend(rows);
    }
    assert_eq!(paged, all);
    store.close().await;
}

/// Migration 0015 packs the records of decisions recorded after it and leaves the ones before it as they were: a
/// decision stored as JSON text before the migration reads back unchanged beside one packed after it, through the
/// pool and the batch writer, and the packed records refuse raw edits and a second form.
#[tokio::test]
async fn decisions_recorded_before_packing_stay_readable_beside_packed_ones() {
    use sqlx::SqlSafeStr;
    use sqlx::migrate::{Migration, MigrationType, Migrator};
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

    let dir = tempfile::tempdir().expect("temp dir");
    let options = SqliteConnectOptions::new().filename(dir.path().join(SqliteStore::FILE_NAME)).create_if_missing(true);
    let old = SqlitePoolOptions::new().max_connections(1).connect_with(options).await.expect("old database");
    let sql = include_str!("../../migrations/sqlite/0004_decisions.sql");
    let decisions = Migration::new(4, "decisions".into(), MigrationType::Simple, sql.into_sql_str(), false);
    Migrator::with_migrations(vec![decisions]).run(&old).await.expect("migration 0004");
    let before = workflow::DecisionRecord {
        record_json: workflow::RecordJson::parse(store::conformance::COUNTY_RECORD_JSON.to_string()).expect("JSON"),
        ..record("D1", "req-1", 'a', Outcome::Decline)
    };
    sqlx::query(
        "INSERT INTO decisions (decision_id, request_id, request_sha256, subject, outcome, policy_version, model_id,
                                decided_at, record_json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(before.decision_id.as_str())
    .bind(&before.request_id)
    .bind(&before.request_sha256)
    .bind(&before.subject)
    .bind(before.outcome.code())
    .bind(&before.policy_version)
    .bind(&before.model_id)
    .bind(before.decided_at.to_string())
    .bind(before.record_json.as_str())
    .execute(&old)
    .await
    .expect("a decision recorded before packing");
    old.close().await;

    let store = SqliteStore::open(dir.path()).await.expect("open applies the rest");
    let after = workflow::DecisionRecord {
        record_json: before.record_json.clone(),
        ..record("D2", "req-2", 'b', Outcome::Decline)
    };
    assert_eq!(store.record_decision(&after).await.expect("recorded"), Recorded::New);
    assert_eq!(store.decision("D1").await.expect("read"), Some(before.clone()), "the JSON text, as it was");
    assert_eq!(store.decision("D2").await.expect("read"), Some(after.clone()), "the packed record, as recorded");
    assert_eq!(store.decisions_of(&before.subject, &ALL).await.expect("read"), vec![before.clone(), after.clone()]);
    let mut writer = store.decision_writer(store::Durability::PowerLoss).expect("writer");
    let again = writer.record_decisions(&[before.clone(), after.clone()]).expect("batch");
    assert_eq!(
        again.into_iter().map(|r| r.expect("recorded")).collect::<Vec<_>>(),
        [Recorded::Existing(before), Recorded::Existing(after)],
        "the writer reads both forms back"
    );
    drop(writer);
    for (sql, refusal) in [
        ("UPDATE decision_records SET packed = X'0100'", "immutable"),
        ("DELETE FROM decision_records", "immutable"),
        ("INSERT INTO decision_records VALUES ('D1', X'0100')", "without its JSON"),
    ] {
        let err = store.execute_raw(sql).await.expect_err("the schema refuses it");
        let text = super::error_chain(&err);
        assert!(text.contains(refusal), "{sql}: {text}");
    }
    store.close().await;
}
