//! The audit trail on SQLite beyond the conformance suite: the schema refuses edits, and an edit or deletion made
//! behind the store's back (its triggers dropped with raw SQL) is named by the verifier.

use audit::BreakKind;
use store::conformance::audit::{entry, read_all};
use store::{AuditLog, SqliteStore, conformance};

use super::{error_chain, fresh};

const AT: &str = "2026-12-01T09:00:00+08:00";

#[tokio::test]
async fn sqlite_passes_the_audit_trail_suite() {
    conformance::audit::check_audit(fresh).await;
    conformance::audit::check_record_counts(fresh().await).await;
}

async fn store_with_entries(n: u32) -> SqliteStore {
    let store = fresh().await;
    let entries: Vec<_> = (1..=n).map(|i| entry(i, AT)).collect();
    store.append_audit(&entries).await.expect("append");
    store
}

#[tokio::test]
async fn the_schema_refuses_edits_and_deletions() {
    let store = store_with_entries(3).await;
    for sql in ["UPDATE audit_log SET actor = 'user:mallory' WHERE seq = 2", "DELETE FROM audit_log WHERE seq = 3"] {
        let err = store.execute_raw(sql).await.expect_err("append-only");
        assert!(error_chain(&err).contains("append-only"), "{sql}: {}", error_chain(&err));
    }
    read_all(&store, 10).await.1.expect("intact");
}

#[tokio::test]
async fn an_entry_edited_behind_the_stores_back_is_named() {
    let store = store_with_entries(5).await;
    store.execute_raw("DROP TRIGGER audit_log_no_update").await.expect("drop the guard");
    store.execute_raw("UPDATE audit_log SET actor = 'user:mallory' WHERE seq = 3").await.expect("forge");
    let found = read_all(&store, 2).await.1.expect_err("the edit is found");
    assert_eq!(found.seq, 3);
    assert!(matches!(found.kind, BreakKind::Edited { .. }), "{found}");
    assert!(found.to_string().contains("audit entry 3 was edited"), "{found}");
}

#[tokio::test]
async fn an_entry_deleted_behind_the_stores_back_is_named() {
    let store = store_with_entries(5).await;
    store.execute_raw("DROP TRIGGER audit_log_no_delete").await.expect("drop the guard");
    store.execute_raw("DELETE FROM audit_log WHERE seq = 2").await.expect("forge");
    let found = read_all(&store, 2).await.1.expect_err("the deletion is found");
    assert_eq!(found.seq, 2);
    assert!(matches!(found.kind, BreakKind::Missing { found: 3 }), "{found}");
}

#[tokio::test]
async fn entries_renumbered_behind_the_stores_back_are_named() {
    let store = store_with_entries(5).await;
    store.execute_raw("DROP TRIGGER audit_log_no_delete").await.expect("drop the guard");
    store.execute_raw("DROP TRIGGER audit_log_no_update").await.expect("drop the guard");
    store.execute_raw("DELETE FROM audit_log WHERE seq = 2").await.expect("forge");
    store.execute_raw("UPDATE audit_log SET seq = seq - 1 WHERE seq > 2").await.expect("renumber");
    let found = read_all(&store, 10).await.1.expect_err("the deletion is found");
    assert_eq!(found.seq, 2);
    assert!(matches!(found.kind, BreakKind::Renumbered { was: 3 }), "{found}");
}

/// Every write of the store appends its entry in the same transaction, under the acting context, with the digest
/// of what it stored; the decision writer's entries chain into the same chain, each under its own actor.
#[tokio::test]
async fn every_write_appends_its_entry_under_the_acting_context() {
    use domain::{Money, RepaymentId, parse_date};
    use lending::{DatedEvent, LoanEvent};
    use store::{Acting, DecisionLog, LoanStore, NewEvent, ReviewWorkflow};
    use workflow::Outcome;

    let base = fresh().await;
    let store = base.acting("os:jdoe", "cli");
    let loan = conformance::sample_loan("L000001");
    store.create_loan(&loan, &[]).await.expect("create");
    let repaid = NewEvent::keyed_by_id(DatedEvent {
        date: parse_date("2026-04-10").expect("date"),
        event: LoanEvent::Repaid { id: RepaymentId::parse("R1").expect("id"), amount: Money::from_fen(100) },
    });
    store.append(&loan.id, 0, &repaid, &[], &[]).await.expect("append");
    store.register_officer(&conformance::officer("li", 5_000_000)).await.expect("officer");
    let first = conformance::decision("D1", Outcome::Refer, "2026-12-01T09:00:00+08:00");
    store.record_decision(&first).await.expect("decision");
    // A repeated decision is not a state change: no entry.
    store.record_decision(&first).await.expect("again");
    let mut writer = base.decision_writer(store::Durability::PowerLoss).expect("writer");
    let queued = [
        store::Queued::new(
            conformance::decision("D2", Outcome::Approve, "2026-12-01T09:00:01+08:00"),
            Acting { actor: "key:AB12".into(), origin: "10.0.0.9".into() },
        ),
        store::Queued::new(
            conformance::decision("D3", Outcome::Decline, "2026-12-01T09:00:02+08:00"),
            Acting { actor: "key:CD34".into(), origin: "10.0.0.8".into() },
        ),
    ];
    let results = writer.record_decisions_as(&queued).expect("batch");
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    writer
        .record_decisions(&[conformance::decision("D4", Outcome::Refer, "2026-12-01T09:00:03+08:00")])
        .expect("batch");

    let (entries, verified) = read_all(&base, 3).await;
    verified.expect("one chain");
    let seen: Vec<(&str, &str, &str, &str)> = entries
        .iter()
        .map(|e| (e.entry.actor.as_str(), e.entry.origin.as_str(), e.entry.action.as_str(), e.entry.target.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("os:jdoe", "cli", "loan.create", "loan:L000001"),
            ("os:jdoe", "cli", "loan.repaid", "loan:L000001"),
            ("os:jdoe", "cli", "officer.register", "officer:li"),
            ("os:jdoe", "cli", "decision.record", "decision:D1"),
            ("key:AB12", "10.0.0.9", "decision.record", "decision:D2"),
            ("key:CD34", "10.0.0.8", "decision.record", "decision:D3"),
            ("system", "local", "decision.record", "decision:D4"),
        ]
    );
    let stored = &store.events(&loan.id).await.expect("events")[0];
    let payload = serde_json::to_string(&stored.dated.event).expect("json");
    let digest = store::audit::event_digest(stored.seq, stored.dated.date, stored.key.as_deref(), &payload, &[]);
    assert_eq!(entries[1].entry.after, Some(digest), "the event's digest as stored");
    assert_eq!(entries[1].entry.detail, r#"{"event":1}"#);
    let d2 = store.decision("D2").await.expect("read").expect("stored");
    assert_eq!(entries[4].entry.after, Some(store::audit::decision_digest(&d2)));
}

/// A write refused by its own rules appends nothing; a failed write leaves no entry behind.
#[tokio::test]
async fn a_refused_write_appends_no_entry() {
    use store::LoanStore;
    let store = fresh().await;
    let loan = conformance::sample_loan("L000001");
    store.create_loan(&loan, &[]).await.expect("create");
    let head = store.audit_head().await.expect("head");
    store.create_loan(&loan, &[]).await.expect_err("duplicate");
    let long = store.acting("user:".to_string() + &"x".repeat(200), "cli");
    long.create_loan(&conformance::sample_loan("L000002"), &[]).await.expect_err("actor out of bounds");
    assert!(
        long.loan(&domain::LoanId::parse("L000002").expect("id")).await.expect("read").is_none(),
        "nothing half-written"
    );
    assert_eq!(store.audit_head().await.expect("head"), head);
}
