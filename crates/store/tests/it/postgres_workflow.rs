//! The review workflow and dual control on PostgreSQL: their conformance suites (each check on a fresh database),
//! the schema's own guards, the same audit entries as SQLite for the same writes, and the races that matter in them:
//! two officers acting on one referral at once, one disbursement sent twice at once, two confirmations of one
//! proposal at once, a review while the officer's authority changes, officers claiming from the queue at once.
//!
//! The cluster is `AGRIRISK_TEST_POSTGRES_URL` (`bash xtask/pg.sh run cargo test -p store`); without it these
//! tests pass after saying they were skipped, unless `AGRIRISK_REQUIRE_POSTGRES=1`.

use std::sync::Arc;

use audit::Entry;
use domain::{LoanId, Money};
use store::conformance::audit::read_all;
use store::conformance::dual::write_off;
use store::conformance::{self, disburse, disbursement, ts, with_officers_and_decisions};
use store::{AuditLog, DecisionLog, Disbursed, DualControl, LoanStore, ReviewWorkflow, SqliteStore, StoreError};
use workflow::dual::{DualRefusal, NewProposal, ProposalKind, Verdict};
use workflow::{DisbursementRefusal, Lease, Outcome, ReviewAction, ReviewRefusal, ReviewState};

use super::error_chain;
use super::postgres::cluster;

const AT: &str = "2026-12-02T09:00:00+08:00";

fn approve(fen: i64) -> ReviewAction {
    ReviewAction::Approve { amount: Money::from_fen(fen) }
}

#[tokio::test]
async fn postgres_passes_the_review_workflow_and_dual_control_suites() {
    let Some(cluster) = cluster("postgres_passes_the_review_workflow_and_dual_control_suites") else { return };
    let c = &cluster;
    conformance::check_workflow(|| c.fresh()).await;
    conformance::dual::check_dual(|| c.fresh()).await;
    conformance::dual::check_authority(|| c.fresh()).await;
    cluster.drop_all().await;
}

#[tokio::test]
async fn the_schema_refuses_edits_and_workflow_breaches_from_raw_statements() {
    let Some(cluster) = cluster("the_schema_refuses_edits_and_workflow_breaches_from_raw_statements") else { return };
    let store = cluster.fresh().await;
    let decisions = [("D1", Outcome::Approve), ("D2", Outcome::Refer), ("D3", Outcome::Refer), ("D4", Outcome::Refer)];
    with_officers_and_decisions(&store, &decisions).await;
    store.review("D2", "li", approve(8_000_000), "large", &ts(AT)).await.expect("awaits a check");
    store.review("D3", "li", ReviewAction::Decline, "no", &ts(AT)).await.expect("declined");
    disburse(&store, &disbursement("D1", "pay-1", 100)).await.expect("disburse");
    store.propose(&write_off("L000001", "user:alice")).await.expect("propose");
    store.decide_proposal("P000001", Verdict::Rejected, "user:bob", &ts(AT), "no").await.expect("reject");
    store.propose(&write_off("L000002", "user:alice")).await.expect("propose");
    // li's authority is 5,000,000 fen, wang's 20,000,000, zhao's 3,000,000.
    let insert = |decision: &str, seq: u32, officer: &str, action: &str, amount: &str, authority: i64| {
        format!(
            "INSERT INTO review_actions (decision_id, seq, officer_id, action, amount_fen, authority_fen, reason,
                                         acted_at, acted_at_offset_s)
             VALUES ('{decision}', {seq}, '{officer}', '{action}', {amount}, {authority}, 'raw', now(), 0)"
        )
    };
    let proposal = |id: &str, target: &str| {
        format!(
            "INSERT INTO dual_proposals (proposal_id, kind, target, payload_json, reason, proposed_by, proposed_at,
                                         proposed_at_offset_s)
             VALUES ('{id}', 'loan_write_off', '{target}', '{{}}', 'r', 'user:carol', now(), 0)"
        )
    };
    let decided = |id: &str, by: &str| {
        format!(
            "INSERT INTO dual_decisions (proposal_id, verdict, decided_by, decided_at, decided_at_offset_s, reason)
             VALUES ('{id}', 'confirmed', '{by}', now(), 0, '')"
        )
    };
    for (sql, refusal) in [
        ("UPDATE officers SET authority_fen = 0".to_string(), "immutable"),
        ("DELETE FROM officers".to_string(), "immutable"),
        ("TRUNCATE officers CASCADE".to_string(), "immutable"),
        ("UPDATE review_actions SET amount_fen = 1".to_string(), "append-only"),
        ("DELETE FROM review_actions".to_string(), "append-only"),
        ("TRUNCATE review_actions".to_string(), "append-only"),
        ("UPDATE disbursements SET amount_fen = 1".to_string(), "append-only"),
        ("DELETE FROM disbursements".to_string(), "append-only"),
        ("TRUNCATE disbursements".to_string(), "append-only"),
        ("UPDATE dual_proposals SET reason = 'x'".to_string(), "append-only"),
        ("DELETE FROM dual_proposals".to_string(), "append-only"),
        ("TRUNCATE dual_proposals CASCADE".to_string(), "append-only"),
        ("UPDATE dual_decisions SET verdict = 'confirmed'".to_string(), "append-only"),
        ("DELETE FROM dual_decisions".to_string(), "append-only"),
        ("TRUNCATE dual_decisions".to_string(), "append-only"),
        (insert("D1", 1, "wang", "decline", "NULL", 20_000_000), "only a referred decision"),
        (insert("D2", 2, "li", "confirm", "NULL", 5_000_000), "own approval"),
        (insert("D2", 2, "zhao", "confirm", "NULL", 3_000_000), "authority is below"),
        (insert("D2", 2, "wang", "confirm", "NULL", 90_000_000), "not the one in force"),
        (insert("D2", 2, "wang", "approve", "100", 20_000_000), "awaits its check"),
        (insert("D2", 3, "wang", "confirm", "NULL", 20_000_000), "seq"),
        (insert("D3", 2, "wang", "approve", "100", 20_000_000), "final"),
        (insert("D4", 1, "wang", "confirm", "NULL", 20_000_000), "no approval awaits"),
        (insert("D4", 1, "wang", "approve", "NULL", 20_000_000), "check constraint"),
        (insert("D4", 1, "wang", "decline", "100", 20_000_000), "check constraint"),
        (insert("D4", 1, "wang", "approve", "0", 20_000_000), "check constraint"),
        (
            "INSERT INTO disbursements VALUES ('D2', 'L-D2', 'pay-2', 100, now(), 0, '')".to_string(),
            "only an approved decision",
        ),
        ("INSERT INTO disbursements VALUES ('D1', 'L-D1b', 'pay-1b', 100, now(), 0, '')".to_string(), "duplicate key"),
        (decided("P000001", "user:carol"), "duplicate key"),
        (decided("P000002", "user:alice"), "not decided by its proposer"),
        (proposal("P000003", "loan:L000002"), "at most one open proposal"),
        (
            "INSERT INTO officer_authority VALUES ('zhao', 1, 1, now(), 0, 'user:root', 'P000002')".to_string(),
            "carries out a proposal",
        ),
    ] {
        let err = store.execute_raw(&sql).await.expect_err("the schema refuses it");
        let text = error_chain(&err);
        assert!(text.contains(refusal), "{sql}: {text}");
    }
    assert_eq!(store.review_actions("D2").await.expect("actions").len(), 1);
    assert_eq!(store.officer("li").await.expect("read").map(|o| o.authority), Some(Money::from_fen(5_000_000)));
    assert_eq!(store.disbursement_of("D1").await.expect("read").map(|d| d.amount), Some(Money::from_fen(100)));
    assert_eq!(store.proposals(false, 10).await.expect("list").len(), 2);
    read_all(&store, 100).await.1.expect("the trail is intact");
    cluster.drop_all().await;
}

/// The same workflow and dual-control writes under the same actor and clock.
async fn write_the_workflow<S: ReviewWorkflow + DecisionLog + DualControl + LoanStore>(store: &S) {
    let decisions = [("D1", Outcome::Refer), ("D2", Outcome::Approve), ("D3", Outcome::Refer)];
    with_officers_and_decisions(store, &decisions).await;
    store.review("D1", "li", approve(8_000_000), "two greenhouses", &ts(AT)).await.expect("approve");
    store
        .review("D1", "wang", ReviewAction::Confirm, "collateral verified", &ts("2026-12-02T03:00:00Z"))
        .await
        .expect("confirm");
    store.review("D3", "zhao", ReviewAction::Decline, "no income proof", &ts(AT)).await.expect("decline");
    let paid = disbursement("D1", "pay-1", 8_000_000);
    assert_eq!(disburse(store, &paid).await.expect("disburse"), Disbursed::New);
    assert_eq!(disburse(store, &paid).await.expect("again"), Disbursed::Existing(paid.clone()));
    disburse(store, &disbursement("D2", "pay-2", 100)).await.expect("disburse");
    let raise = NewProposal {
        kind: ProposalKind::OfficerAuthority,
        target: "officer:zhao".into(),
        payload: r#"{"authority_fen":5000000}"#.into(),
        reason: "promoted".into(),
        proposed_by: "user:root".into(),
        proposed_at: ts("2026-12-07T10:00:00-05:00"),
    };
    let proposed = store.propose(&raise).await.expect("propose");
    store.decide_proposal(&proposed.id, Verdict::Confirmed, "user:root2", &ts(AT), "").await.expect("confirm");
    let carrying = store.for_proposal(&proposed.id);
    carrying.set_authority("zhao", Money::from_fen(5_000_000), &ts(AT), &proposed.id).await.expect("raise");
    store.propose(&write_off("L-D2", "user:alice")).await.expect("propose");
    store.decide_proposal("P000002", Verdict::Rejected, "user:bob", &ts(AT), "not yet").await.expect("reject");
}

#[tokio::test]
async fn the_same_writes_give_the_same_audit_entries_on_both_engines() {
    let Some(cluster) = cluster("workflow: the_same_writes_give_the_same_audit_entries_on_both_engines") else {
        return;
    };
    let clock: Arc<dyn domain::Clock + Send + Sync> =
        Arc::new(domain::FixedClock(domain::parse_date("2026-12-02").expect("date")));
    let pg = cluster.fresh().await.acting("user:alice", "10.0.0.7").with_clock(clock.clone());
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = SqliteStore::open(dir.path()).await.expect("open").acting("user:alice", "10.0.0.7").with_clock(clock);
    write_the_workflow(&pg).await;
    write_the_workflow(&sqlite).await;
    let (on_pg, verified): (Vec<Entry>, _) = read_all(&pg, 7).await;
    verified.expect("the PostgreSQL chain verifies");
    let on_sqlite = read_all(&sqlite, 100).await.0;
    let actions: Vec<&str> = on_pg.iter().map(|e| e.entry.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "officer.register",
            "officer.register",
            "officer.register",
            "decision.record",
            "decision.record",
            "decision.record",
            "decision.review",
            "decision.review",
            "decision.review",
            "loan.create",
            "loan.approved",
            "loan.disbursed",
            "decision.disburse",
            "loan.create",
            "loan.approved",
            "loan.disbursed",
            "decision.disburse",
            "approval.propose",
            "approval.confirm",
            "officer.authority",
            "approval.propose",
            "approval.reject",
        ],
        "one entry per write, none for the repeated disbursement"
    );
    assert_eq!(on_pg, on_sqlite, "entry for entry, hash for hash");
    assert!(on_pg[19].entry.detail.contains(r#""proposal":"P000001""#), "{}", on_pg[19].entry.detail);
    // What each engine reads back is the same too, times in the offsets they were written with.
    for id in ["D1", "D2", "D3"] {
        assert_eq!(pg.review_state(id).await.expect("state"), sqlite.review_state(id).await.expect("state"));
        assert_eq!(pg.review_actions(id).await.expect("read"), sqlite.review_actions(id).await.expect("read"));
        assert_eq!(pg.disbursement_of(id).await.expect("read"), sqlite.disbursement_of(id).await.expect("read"));
    }
    assert_eq!(pg.review_actions("D1").await.expect("read")[1].acted_at.to_string(), "2026-12-02T03:00:00Z");
    for officer in ["li", "zhao", "wang"] {
        assert_eq!(pg.officer(officer).await.expect("read"), sqlite.officer(officer).await.expect("read"));
    }
    assert_eq!(pg.proposals(false, 10).await.expect("read"), sqlite.proposals(false, 10).await.expect("read"));
    assert_eq!(
        pg.proposal("P000001").await.expect("read").expect("kept").proposal.proposed_at.to_string(),
        "2026-12-07T10:00:00-05:00"
    );
    assert_eq!(pg.loans().await.expect("loans"), sqlite.loans().await.expect("loans"));
    assert_eq!(pg.record_counts().await.expect("counts"), sqlite.record_counts().await.expect("counts"));
    assert!(pg.unaudited_records(10).await.expect("anti-join").is_empty());
    cluster.drop_all().await;
}

/// The queue orders by instant, whatever offset each decision time is written in, ties by id in byte order.
#[tokio::test]
async fn the_queue_is_in_instant_order_whatever_the_offsets() {
    let Some(cluster) = cluster("the_queue_is_in_instant_order_whatever_the_offsets") else { return };
    let store = cluster.fresh().await;
    with_officers_and_decisions(&store, &[]).await;
    for (id, at) in [
        ("Da", "2026-12-01T09:00:00+08:00"),
        ("DB", "2026-12-01T01:00:00Z"),
        ("Dc", "2026-11-30T19:30:00-05:00"),
        ("D0", "2026-12-01T00:30:00Z"),
    ] {
        store.record_decision(&conformance::decision(id, Outcome::Refer, at)).await.expect("record");
    }
    let queue = store.review_queue(10).await.expect("queue");
    let listed: Vec<(&str, String)> =
        queue.iter().map(|q| (q.decision_id.as_str(), q.decided_at.to_string())).collect();
    assert_eq!(
        listed,
        [
            ("D0", "2026-12-01T00:30:00Z".to_string()),
            ("Dc", "2026-11-30T19:30:00-05:00".to_string()),
            ("DB", "2026-12-01T01:00:00Z".to_string()),
            ("Da", "2026-12-01T09:00:00+08:00".to_string()),
        ]
    );
    cluster.drop_all().await;
}

#[tokio::test]
async fn two_officers_acting_on_one_referral_at_once_are_judged_one_after_the_other() {
    let Some(cluster) = cluster("two_officers_acting_on_one_referral_at_once_are_judged_one_after_the_other") else {
        return;
    };
    let store = cluster.fresh().await;
    with_officers_and_decisions(&store, &[]).await;
    let at = ts(AT);
    for round in 0..8 {
        let (a, b) = (format!("DA{round}"), format!("DB{round}"));
        for id in [&a, &b] {
            store.record_decision(&conformance::decision(id, Outcome::Refer, AT)).await.expect("record");
        }
        // Two makers at once: one approval is final, the other is told so; one action stored.
        let (first, second) = tokio::join!(
            store.review(&a, "li", approve(100), "small", &at),
            store.review(&a, "wang", ReviewAction::Decline, "no", &at)
        );
        let outcomes = [first, second];
        assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1, "round {round}: {outcomes:?}");
        assert!(
            outcomes.iter().any(|o| matches!(o, Err(StoreError::Review { refusal: ReviewRefusal::Final, .. }))),
            "round {round}: {outcomes:?}"
        );
        assert_eq!(store.review_actions(&a).await.expect("read").len(), 1, "round {round}");
        // Two checkers at once on an approval above the maker's authority: one check, the other told it is final.
        store.review(&b, "zhao", approve(4_000_000), "large", &ts(AT)).await.expect("awaits a check");
        let (first, second) = tokio::join!(
            store.review(&b, "li", ReviewAction::Confirm, "checked", &at),
            store.review(&b, "wang", ReviewAction::Reject, "too much", &at)
        );
        let outcomes = [first, second];
        let done: Vec<&ReviewState> = outcomes.iter().filter_map(|o| o.as_ref().ok().map(|r| &r.state)).collect();
        assert_eq!(done.len(), 1, "round {round}: {outcomes:?}");
        assert!(
            outcomes.iter().any(|o| matches!(o, Err(StoreError::Review { refusal: ReviewRefusal::Final, .. }))),
            "round {round}: {outcomes:?}"
        );
        assert_eq!(store.review_state(&b).await.expect("state"), *done[0], "round {round}");
        assert_eq!(store.review_actions(&b).await.expect("read").len(), 2, "round {round}");
    }
    let (entries, verified) = read_all(&store, 50).await;
    verified.expect("one chain");
    let reviews = entries.iter().filter(|e| e.entry.action == "decision.review").count();
    assert_eq!(reviews, 8 * 3, "one entry per stored action, none for a refusal");
    cluster.drop_all().await;
}

#[tokio::test]
async fn one_disbursement_sent_twice_at_once_books_one_loan() {
    let Some(cluster) = cluster("one_disbursement_sent_twice_at_once_books_one_loan") else { return };
    let store = cluster.fresh().await;
    with_officers_and_decisions(&store, &[]).await;
    for round in 0..8 {
        let (a, b, c) = (format!("DA{round}"), format!("DB{round}"), format!("DC{round}"));
        for id in [&a, &b, &c] {
            store.record_decision(&conformance::decision(id, Outcome::Approve, AT)).await.expect("record");
        }
        // A retried request: the same disbursement twice at once. One books the loan; the other is given it.
        let paid = disbursement(&a, &format!("pay-a{round}"), 4_000_000);
        let (first, second) = tokio::join!(disburse(&store, &paid), disburse(&store, &paid));
        let mut outcomes = [first.expect("first"), second.expect("second")];
        outcomes.sort_by_key(|o| matches!(o, Disbursed::Existing(_)));
        assert_eq!(outcomes, [Disbursed::New, Disbursed::Existing(paid.clone())], "round {round}");
        let loan = LoanId::parse(&paid.loan_id).expect("loan id");
        assert_eq!(store.events(&loan).await.expect("events").len(), 2, "round {round}: booked once");
        // Two requests for one decision at once: one disbursed, the other told which request did it.
        let (one, two) =
            (disbursement(&b, &format!("pay-b{round}"), 100), disbursement(&b, &format!("pay-b{round}x"), 100));
        let (first, second) = tokio::join!(disburse(&store, &one), disburse(&store, &two));
        let outcomes = [first, second];
        assert_eq!(outcomes.iter().filter(|o| matches!(o, Ok(Disbursed::New))).count(), 1, "{outcomes:?}");
        assert!(
            outcomes.iter().any(|o| matches!(
                o,
                Err(StoreError::Disbursement { refusal: DisbursementRefusal::AlreadyDisbursed { .. }, .. })
            )),
            "{outcomes:?}"
        );
        // One request id for two decisions at once: the decisions' locks do not meet, the unique key decides.
        let reused = format!("pay-c{round}");
        let (one, two) = (disbursement(&c, &reused, 100), disbursement(&format!("DC{round}x"), &reused, 200));
        store
            .record_decision(&conformance::decision(&format!("DC{round}x"), Outcome::Approve, AT))
            .await
            .expect("record");
        let (first, second) = tokio::join!(disburse(&store, &one), disburse(&store, &two));
        let outcomes = [first, second];
        assert_eq!(outcomes.iter().filter(|o| matches!(o, Ok(Disbursed::New))).count(), 1, "{outcomes:?}");
        assert!(
            outcomes
                .iter()
                .any(|o| matches!(o, Err(StoreError::RequestReused { request_id }) if *request_id == reused)),
            "{outcomes:?}"
        );
    }
    let loans = store.loans().await.expect("loans");
    assert_eq!(loans.len(), 8 * 3, "one loan per disbursement");
    let (entries, verified) = read_all(&store, 50).await;
    verified.expect("one chain");
    let disbursed = entries.iter().filter(|e| e.entry.action == "decision.disburse").count();
    let booked = entries.iter().filter(|e| e.entry.action == "loan.create").count();
    assert_eq!((disbursed, booked), (8 * 3, 8 * 3), "one entry per stored disbursement and loan");
    assert!(store.unaudited_records(10).await.expect("anti-join").is_empty());
    cluster.drop_all().await;
}

#[tokio::test]
async fn two_confirmations_of_one_proposal_at_once_record_one_decision() {
    let Some(cluster) = cluster("two_confirmations_of_one_proposal_at_once_record_one_decision") else { return };
    let store = cluster.fresh().await;
    let at = ts(AT);
    for round in 0..8 {
        let loan = format!("L{round:06}");
        let proposed = store.propose(&write_off(&loan, "user:alice")).await.expect("propose");
        let (first, second) = tokio::join!(
            store.decide_proposal(&proposed.id, Verdict::Confirmed, "user:bob", &at, ""),
            store.decide_proposal(&proposed.id, Verdict::Confirmed, "user:carol", &at, "")
        );
        let outcomes = [first, second];
        let decided: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
        assert_eq!(decided.len(), 1, "round {round}: {outcomes:?}");
        assert!(
            outcomes.iter().any(|o| matches!(
                o,
                Err(StoreError::Dual { refusal: DualRefusal::Decided { verdict: Verdict::Confirmed, .. } })
            )),
            "round {round}: {outcomes:?}"
        );
        assert_eq!(store.proposal(&proposed.id).await.expect("read").as_ref(), Some(decided[0]), "round {round}");
        // Two proposals of one kind and target at once: one kept, the other told which is open.
        let target = format!("M{round:06}");
        let (one, two) = (write_off(&target, "user:alice"), write_off(&target, "user:dave"));
        let (first, second) = tokio::join!(store.propose(&one), store.propose(&two));
        let outcomes = [first, second];
        assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1, "round {round}: {outcomes:?}");
        assert!(outcomes.iter().any(|o| matches!(o, Err(StoreError::ProposalOpen { .. }))), "{outcomes:?}");
    }
    assert_eq!(store.proposals(false, 100).await.expect("all").len(), 16);
    assert_eq!(store.proposals(true, 100).await.expect("open").len(), 8);
    let (entries, verified) = read_all(&store, 50).await;
    verified.expect("one chain");
    let confirmed = entries.iter().filter(|e| e.entry.action == "approval.confirm").count();
    assert_eq!(confirmed, 8, "one entry per decision, none for a refusal");
    cluster.drop_all().await;
}

#[tokio::test]
async fn a_review_during_an_authority_change_keeps_the_authority_it_was_judged_by() {
    let Some(cluster) = cluster("a_review_during_an_authority_change_keeps_the_authority_it_was_judged_by") else {
        return;
    };
    let store = cluster.fresh().await;
    with_officers_and_decisions(&store, &[]).await;
    let at = ts(AT);
    let mut authority = 3_000_000;
    for round in 0..8 {
        let id = format!("D{round}");
        store.record_decision(&conformance::decision(&id, Outcome::Refer, AT)).await.expect("record");
        let raise = NewProposal {
            kind: ProposalKind::OfficerAuthority,
            target: "officer:zhao".into(),
            payload: format!(r#"{{"authority_fen":{}}}"#, authority + 1_000_000),
            reason: "promoted".into(),
            proposed_by: "user:root".into(),
            proposed_at: at,
        };
        let proposed = store.propose(&raise).await.expect("propose");
        store.decide_proposal(&proposed.id, Verdict::Confirmed, "user:root2", &at, "").await.expect("confirm");
        // zhao approves exactly the raised amount while the raise is carried out: within the new authority the
        // approval is final, within the old one it awaits a check; either way what is stored says the same.
        let amount = authority + 1_000_000;
        let (reviewed, raised) = tokio::join!(
            store.review(&id, "zhao", approve(amount), "at the edge", &at),
            store.set_authority("zhao", Money::from_fen(amount), &at, &proposed.id)
        );
        let reviewed = reviewed.expect("review");
        assert_eq!(raised.expect("raise").authority, Money::from_fen(amount));
        assert!(
            matches!(reviewed.state, ReviewState::Approved { .. } | ReviewState::AwaitingCheck { .. }),
            "round {round}: {:?}",
            reviewed.state
        );
        assert_eq!(store.review_state(&id).await.expect("state"), reviewed.state, "round {round}");
        authority = amount;
    }
    cluster.drop_all().await;
}

#[tokio::test]
async fn officers_claiming_at_once_on_their_own_connections_get_distinct_cases() {
    let Some(cluster) = cluster("officers_claiming_at_once_on_their_own_connections_get_distinct_cases") else {
        return;
    };
    let store = cluster.fresh().await;
    with_officers_and_decisions(&store, &[]).await;
    let officers: Vec<String> = (1..=6).map(|n| format!("officer{n}")).collect();
    for id in &officers {
        store.register_officer(&conformance::officer(id, 1_000_000)).await.expect("officer");
    }
    let at = ts(AT);
    for round in 0..3 {
        let cases: Vec<String> = (0..10).map(|n| format!("DR{round}x{n:02}")).collect();
        for id in &cases {
            store.record_decision(&conformance::decision(id, Outcome::Refer, AT)).await.expect("record");
        }
        // Six officers, two claims each, all at once, each claim a transaction on a connection of its own: ten
        // cases for twelve claims.
        let mut tasks = Vec::new();
        for officer in officers.iter().chain(&officers) {
            let (store, officer) = (store.clone(), officer.clone());
            tasks.push(tokio::spawn(async move { store.claim_next(&officer, &at, Lease::DEFAULT, &|_| true).await }));
        }
        let mut given = Vec::new();
        for task in tasks {
            if let Some(claim) = task.await.expect("task").expect("claim") {
                given.push(claim.item.decision_id.to_string());
            }
        }
        given.sort();
        let mut unique = given.clone();
        unique.dedup();
        assert_eq!(given, unique, "round {round}: a case was given twice");
        assert_eq!(given, cases, "round {round}: every case is given once");
        for id in &cases {
            let hold = store.claim_on(id).await.expect("hold").expect("held");
            // Each claim's review: the holder acts, the case closes.
            store.review(id, hold.officer_id.as_str(), ReviewAction::Decline, "no", &at).await.expect("review");
        }
        assert!(store.review_queue(100).await.expect("queue").is_empty(), "round {round}");
    }
    let (entries, verified) = read_all(&store, 100).await;
    verified.expect("one chain");
    assert_eq!(entries.iter().filter(|e| e.entry.action == "decision.claim").count(), 30, "one entry a claim");
    cluster.drop_all().await;
}
