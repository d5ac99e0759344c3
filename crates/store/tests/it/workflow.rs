//! The review workflow on SQLite beyond the conformance suite: the schema's own guards refuse edits and workflow
//! breaches from raw statements.

use domain::Money;
use store::conformance::ts;
use store::conformance::{disburse, disbursement, with_officers_and_decisions};
use store::{ReviewWorkflow, SqliteStore};
use workflow::{Outcome, ReviewAction};

use super::error_chain;

const AT: &str = "2026-12-02T09:00:00Z";

/// A store with officers li (authority 50,000 yuan), zhao (30,000) and wang (200,000), and the decisions given.
async fn store_with(decisions: &[(&str, Outcome)]) -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).await.expect("store");
    with_officers_and_decisions(&store, decisions).await;
    (dir, store)
}

#[tokio::test]
async fn the_schema_refuses_edits_and_workflow_breaches_from_raw_statements() {
    let decisions = [("D1", Outcome::Approve), ("D2", Outcome::Refer), ("D3", Outcome::Refer), ("D4", Outcome::Refer)];
    let (_dir, store) = store_with(&decisions).await;
    store
        .review("D2", "li", ReviewAction::Approve { amount: Money::from_fen(8_000_000) }, "large", &ts(AT))
        .await
        .expect("awaits a check");
    store.review("D3", "li", ReviewAction::Decline, "no", &ts(AT)).await.expect("declined");
    disburse(&store, &disbursement("D1", "pay-1", 100)).await.expect("disburse");
    let insert = |decision: &str, seq: u32, officer: &str, action: &str, amount: &str| {
        format!(
            "INSERT INTO review_actions (decision_id, seq, officer_id, action, amount_fen, reason, acted_at)
             VALUES ('{decision}', {seq}, '{officer}', '{action}', {amount}, 'raw', 't')"
        )
    };
    for (sql, refusal) in [
        ("UPDATE officers SET authority_fen = 0".to_string(), "immutable"),
        ("DELETE FROM officers".to_string(), "immutable"),
        ("UPDATE review_actions SET amount_fen = 1".to_string(), "append-only"),
        ("DELETE FROM review_actions".to_string(), "append-only"),
        ("UPDATE disbursements SET amount_fen = 1".to_string(), "append-only"),
        ("DELETE FROM disbursements".to_string(), "append-only"),
        (insert("D1", 1, "wang", "decline", "NULL"), "only a referred decision"),
        (insert("D2", 2, "li", "confirm", "NULL"), "own approval"),
        (insert("D2", 2, "zhao", "confirm", "NULL"), "authority"),
        (insert("D2", 2, "wang", "approve", "100"), "awaits its check"),
        (insert("D2", 3, "wang", "confirm", "NULL"), "seq"),
        (insert("D3", 2, "wang", "approve", "100"), "final"),
        (insert("D4", 1, "wang", "confirm", "NULL"), "no approval awaits"),
        (insert("D4", 1, "wang", "approve", "NULL"), "CHECK"),
        (insert("D4", 1, "wang", "decline", "100"), "CHECK"),
        (insert("D4", 1, "wang", "approve", "0"), "CHECK"),
        (
            "INSERT INTO disbursements VALUES ('D2', 'L-D2', 'pay-2', 100, 't', '')".to_string(),
            "only an approved decision",
        ),
    ] {
        let err = store.execute_raw(&sql).await.expect_err("the schema refuses it");
        let text = error_chain(&err);
        assert!(text.contains(refusal), "{sql}: {text}");
    }
    assert_eq!(store.review_actions("D2").await.expect("actions").len(), 1);
    assert_eq!(store.officer("li").await.expect("read").map(|o| o.authority), Some(Money::from_fen(5_000_000)));
    assert_eq!(store.disbursement_of("D1").await.expect("read").map(|d| d.amount), Some(Money::from_fen(100)));
    store.close().await;
}
