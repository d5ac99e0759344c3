//! The decision log on SQLite: recorded once, idempotent by request id, immutable, reviews only of declines and
//! referrals.

const ALL: store::Page = store::Page { after: None, limit: 1_000 };

use store::{DecisionLog, DecisionRecord, Outcome, Recorded, SqliteStore, StoreError};

fn record(id: &str, request: &str, request_hash: char, outcome: Outcome) -> DecisionRecord {
    DecisionRecord {
        decision_id: id.to_string(),
        request_id: request.to_string(),
        request_sha256: request_hash.to_string().repeat(64),
        subject: "A00001-0001".to_string(),
        outcome,
        policy_version: "rural-default@2026-12-01".to_string(),
        model_id: Some("a".repeat(64)),
        decided_at: format!("2026-12-01T08:00:0{}Z", id.len() % 10),
        record_json: format!(r#"{{"outcome":"{}","reasons":[]}}"#, outcome.code()),
    }
}

#[tokio::test]
async fn a_request_is_decided_once_and_a_reused_id_for_another_request_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).await.expect("store");
    let first = record("D1", "req-1", 'a', Outcome::Approve);
    assert_eq!(store.record_decision(&first).await.expect("recorded"), Recorded::New);
    // The same request again, even with another decision computed for it: the stored one comes back.
    let again = DecisionRecord { decision_id: "D2".to_string(), outcome: Outcome::Decline, ..first.clone() };
    assert_eq!(store.record_decision(&again).await.expect("idempotent"), Recorded::Existing(first.clone()));
    assert!(store.decision("D2").await.expect("read").is_none(), "no second decision");
    // The same id for a different request: refused.
    let other = record("D3", "req-1", 'b', Outcome::Approve);
    assert!(matches!(store.record_decision(&other).await, Err(StoreError::RequestReused { .. })));
    assert_eq!(store.decision_for_request("req-1").await.expect("read"), Some(first.clone()));
    assert_eq!(store.decisions_of("A00001-0001", &ALL).await.expect("read"), vec![first]);
    // Malformed records name the field.
    let bad = DecisionRecord { record_json: "not json".to_string(), ..record("D4", "req-4", 'c', Outcome::Refer) };
    assert!(matches!(store.record_decision(&bad).await, Err(StoreError::InvalidDecision { field: "record_json", .. })));
    store.close().await;
}

#[tokio::test]
async fn decisions_are_immutable_and_only_declines_and_referrals_can_be_reviewed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).await.expect("store");
    store.record_decision(&record("D1", "req-1", 'a', Outcome::Approve)).await.expect("approve");
    store.record_decision(&record("D22", "req-2", 'b', Outcome::Decline)).await.expect("decline");
    assert!(store.execute_raw("UPDATE decisions SET outcome = 'approve' WHERE decision_id = 'D22'").await.is_err());
    assert!(store.execute_raw("DELETE FROM decisions").await.is_err());

    let review = store.request_review("D22", "rr-1", "2026-12-02T09:00:00Z", "branch", "my harvest was insured").await;
    let review = review.expect("a decline can be reviewed");
    assert_eq!(review.seq, 1);
    let second = store.request_review("D22", "rr-2", "2026-12-03T09:00:00Z", "phone", "").await.expect("again");
    assert_eq!(second.seq, 2);
    // The same request again is recorded once; its id for another request is refused.
    let replay = store.request_review("D22", "rr-2", "2026-12-04T09:00:00Z", "phone", "").await.expect("replay");
    assert_eq!(replay, second);
    let reused = store.request_review("D22", "rr-2", "2026-12-04T09:00:00Z", "phone", "changed").await;
    assert!(matches!(reused, Err(StoreError::RequestReused { .. })), "{reused:?}");
    assert_eq!(store.review_requests("D22").await.expect("read").len(), 2);
    assert!(matches!(
        store.request_review("D1", "rr-3", "2026-12-02T09:00:00Z", "branch", "").await,
        Err(StoreError::InvalidDecision { field: "outcome", .. })
    ));
    assert!(matches!(
        store.request_review("D404", "rr-4", "2026-12-02T09:00:00Z", "branch", "").await,
        Err(StoreError::DecisionNotFound(_))
    ));
    // The schema refuses a review of an approval even from a raw statement.
    let raw = "INSERT INTO review_requests (decision_id, seq, requested_at, channel, note)
               VALUES ('D1', 1, '2026-12-02T09:00:00Z', 'branch', '')";
    assert!(store.execute_raw(raw).await.is_err());
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
        DecisionRecord { decision_id: "D1b".into(), ..first.clone() },
        // A request decided before the batch.
        DecisionRecord { decision_id: "D0b".into(), ..earlier.clone() },
        // A reused request id and a malformed record: refused alone, the rest still recorded.
        record("D2", "req-0", 'c', Outcome::Decline),
        DecisionRecord { record_json: "{".into(), ..record("D3", "req-3", 'd', Outcome::Refer) },
        record("D4", "req-4", 'e', Outcome::Decline),
    ];
    let mut writer = store.decision_writer(store::Durability::PowerLoss).expect("a writer");
    let results = writer.record_decisions(&batch).expect("the batch commits");
    assert_eq!(results.len(), batch.len());
    assert_eq!(results[0].as_ref().ok(), Some(&Recorded::New));
    assert_eq!(results[1].as_ref().ok(), Some(&Recorded::Existing(first.clone())));
    assert_eq!(results[2].as_ref().ok(), Some(&Recorded::Existing(earlier.clone())));
    assert!(matches!(results[3], Err(StoreError::RequestReused { .. })));
    assert!(matches!(results[4], Err(StoreError::InvalidDecision { field: "record_json", .. })));
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
