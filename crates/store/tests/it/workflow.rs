//! The review workflow on SQLite: officers, maker-checker above an officer's authority, final states, the review
//! queue, idempotent disbursement of approved decisions, and the schema's own guards.

use domain::{LoanId, Money};
use lending::{DatedEvent, LoanEvent};
use store::{
    Booking, DecisionLog, DecisionRecord, Disbursed, Disbursement, DisbursementRefusal, Officer, Outcome, ReviewAction,
    ReviewRefusal, ReviewState, ReviewWorkflow, SqliteStore, StoreError,
};
use store::{NewEvent, NewLoan};

use super::error_chain;

const AT: &str = "2026-12-02T09:00:00Z";

fn decision(id: &str, outcome: Outcome, decided_at: &str) -> DecisionRecord {
    DecisionRecord {
        decision_id: id.to_string(),
        request_id: format!("req-{id}"),
        request_sha256: "a".repeat(64),
        subject: format!("A00001-{id}"),
        outcome,
        policy_version: "rural-default@2026-12-01".to_string(),
        model_id: None,
        decided_at: decided_at.to_string(),
        record_json: format!(r#"{{"outcome":"{}"}}"#, outcome.code()),
    }
}

fn officer(id: &str, authority_fen: i64) -> Officer {
    Officer {
        officer_id: id.to_string(),
        name: format!("Officer {id}"),
        branch: "990101".to_string(),
        authority_fen,
        registered_at: "2026-12-01T00:00:00Z".to_string(),
    }
}

fn approve(amount_fen: i64) -> ReviewAction {
    ReviewAction::Approve { amount_fen }
}

fn disbursement(decision_id: &str, request_id: &str, amount_fen: i64) -> Disbursement {
    Disbursement {
        decision_id: decision_id.to_string(),
        loan_id: format!("L-{decision_id}"),
        request_id: request_id.to_string(),
        amount_fen,
        disbursed_at: "2026-12-03T10:00:00Z".to_string(),
        request_sha256: format!("{:064}", amount_fen),
    }
}

/// The loan a disbursement books: approved, then disbursed, each event without ledger lines (the store writes what
/// it is given; what an event posts is the lending core's).
fn booking(d: &Disbursement) -> Booking {
    let loan = NewLoan { id: LoanId::parse(&d.loan_id).expect("loan id"), ..store::conformance::sample_loan("L1") };
    let day = loan.terms.start();
    let approved =
        NewEvent { dated: DatedEvent { date: day, event: LoanEvent::Approved { by: "li".into() } }, key: None };
    let paid = DatedEvent { date: day, event: LoanEvent::Disbursed { amount: Money::from_fen(d.amount_fen) } };
    Booking {
        loan,
        events: vec![(approved, Vec::new()), (NewEvent { dated: paid, key: Some(d.request_id.clone()) }, Vec::new())],
        changes: Vec::new(),
    }
}

async fn disburse(store: &SqliteStore, d: &Disbursement) -> Result<Disbursed, StoreError> {
    store.record_disbursement(d, &booking(d)).await
}

/// A store with officers li (authority 50,000 yuan), zhao (30,000) and wang (200,000), and the decisions given.
async fn store_with(decisions: &[(&str, Outcome)]) -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).await.expect("store");
    for o in [officer("li", 5_000_000), officer("zhao", 3_000_000), officer("wang", 20_000_000)] {
        store.register_officer(&o).await.expect("officer");
    }
    for (n, (id, outcome)) in decisions.iter().enumerate() {
        store.record_decision(&decision(id, *outcome, &format!("2026-12-01T08:00:{n:02}Z"))).await.expect("decision");
    }
    (dir, store)
}

fn refusal(result: Result<store::Reviewed, StoreError>) -> ReviewRefusal {
    match result {
        Err(StoreError::Review { refusal, .. }) => refusal,
        other => panic!("expected a review refusal, got {other:?}"),
    }
}

fn disbursement_refusal(result: Result<Disbursed, StoreError>) -> DisbursementRefusal {
    match result {
        Err(StoreError::Disbursement { refusal, .. }) => refusal,
        other => panic!("expected a disbursement refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn officers_are_registered_once_and_a_clashing_id_is_refused() {
    let (_dir, store) = store_with(&[]).await;
    store.register_officer(&officer("li", 5_000_000)).await.expect("the same officer again is a no-op");
    assert_eq!(store.officer("li").await.expect("read"), Some(officer("li", 5_000_000)));
    assert!(store.officer("nobody").await.expect("read").is_none());
    let raised = store.register_officer(&officer("li", 9_000_000)).await;
    assert!(matches!(raised, Err(StoreError::OfficerClash(ref id)) if id == "li"), "{raised:?}");
    assert_eq!(store.officer("li").await.expect("read"), Some(officer("li", 5_000_000)), "unchanged");
    let negative = store.register_officer(&officer("sun", -1)).await;
    assert!(matches!(negative, Err(StoreError::InvalidOfficer { field: "authority_fen", .. })), "{negative:?}");
    store.close().await;
}

#[tokio::test]
async fn an_approval_within_the_officers_authority_is_final_at_once() {
    let (_dir, store) = store_with(&[("D1", Outcome::Refer)]).await;
    assert_eq!(store.review_state("D1").await.expect("state"), ReviewState::Pending);
    let done = store.review("D1", "li", approve(5_000_000), "harvest insured", AT).await.expect("approve");
    let approved = ReviewState::Approved { amount_fen: 5_000_000, by: vec!["li".to_string()] };
    assert_eq!((done.step.seq, &done.state), (1, &approved));
    assert_eq!(store.review_state("D1").await.expect("state"), approved);
    assert_eq!(store.review_actions("D1").await.expect("actions"), vec![done.step]);
    assert!(store.review_queue(10).await.expect("queue").is_empty());
    store.close().await;
}

#[tokio::test]
async fn an_approval_above_authority_needs_a_second_officer_with_enough_authority() {
    let (_dir, store) = store_with(&[("D1", Outcome::Refer)]).await;
    let made = store.review("D1", "li", approve(8_000_000), "two greenhouses", AT).await.expect("approve");
    let awaiting = ReviewState::AwaitingCheck { maker: "li".to_string(), amount_fen: 8_000_000 };
    assert_eq!(made.state, awaiting);
    assert_eq!(store.review_queue(10).await.expect("queue")[0].state, awaiting);

    let own = refusal(store.review("D1", "li", ReviewAction::Confirm, "looks right", AT).await);
    assert_eq!(own, ReviewRefusal::OwnApproval { officer: "li".to_string() });
    let weak = refusal(store.review("D1", "zhao", ReviewAction::Confirm, "looks right", AT).await);
    assert!(matches!(weak, ReviewRefusal::CheckerAuthority { amount_fen: 8_000_000, .. }), "{weak:?}");
    let again = refusal(store.review("D1", "wang", approve(1_000), "smaller", AT).await);
    assert_eq!(again, ReviewRefusal::AwaitingCheck);
    assert_eq!(store.review_actions("D1").await.expect("actions").len(), 1, "refusals write nothing");

    let checked = store.review("D1", "wang", ReviewAction::Confirm, "collateral verified", AT).await.expect("ok");
    let approved = ReviewState::Approved { amount_fen: 8_000_000, by: vec!["li".to_string(), "wang".to_string()] };
    assert_eq!((checked.step.seq, &checked.state), (2, &approved));
    assert_eq!(store.review_state("D1").await.expect("state"), approved);
    store.close().await;
}

#[tokio::test]
async fn a_rejected_check_declines_and_a_decline_is_final() {
    let (_dir, store) = store_with(&[("D1", Outcome::Refer), ("D2", Outcome::Refer)]).await;
    store.review("D1", "li", approve(8_000_000), "two greenhouses", AT).await.expect("approve");
    let rejected = store.review("D1", "wang", ReviewAction::Reject, "debt too high", AT).await.expect("reject");
    assert_eq!(rejected.state, ReviewState::Declined { by: vec!["li".to_string(), "wang".to_string()] });
    let declined = store.review("D2", "zhao", ReviewAction::Decline, "no income proof", AT).await.expect("decline");
    assert_eq!(declined.state, ReviewState::Declined { by: vec!["zhao".to_string()] });
    for (id, action) in
        [("D1", ReviewAction::Confirm), ("D1", approve(1)), ("D2", approve(1)), ("D2", ReviewAction::Reject)]
    {
        assert_eq!(refusal(store.review(id, "wang", action, "second thoughts", AT).await), ReviewRefusal::Final);
    }
    // Approved is final too.
    let (_dir2, other) = store_with(&[("D3", Outcome::Refer)]).await;
    other.review("D3", "wang", approve(100), "small", AT).await.expect("approve");
    assert_eq!(refusal(other.review("D3", "li", ReviewAction::Decline, "no", AT).await), ReviewRefusal::Final);
    assert_eq!(other.review_actions("D3").await.expect("actions").len(), 1);
    store.close().await;
    other.close().await;
}

#[tokio::test]
async fn only_referred_decisions_are_reviewed_and_malformed_actions_are_refused() {
    let (_dir, store) = store_with(&[("D1", Outcome::Approve), ("D2", Outcome::Decline), ("D3", Outcome::Refer)]).await;
    for id in ["D1", "D2"] {
        assert_eq!(store.review_state(id).await.expect("state"), ReviewState::NotReferred);
        let refused = refusal(store.review(id, "wang", ReviewAction::Decline, "policy exception", AT).await);
        assert_eq!(refused, ReviewRefusal::NotReferred);
    }
    let zero = refusal(store.review("D3", "li", approve(0), "nothing", AT).await);
    assert_eq!(zero, ReviewRefusal::AmountNotPositive { amount_fen: 0 });
    assert_eq!(refusal(store.review("D3", "li", ReviewAction::Decline, "", AT).await), ReviewRefusal::EmptyReason);
    assert_eq!(
        refusal(store.review("D3", "wang", ReviewAction::Confirm, "nothing to confirm", AT).await),
        ReviewRefusal::NothingToCheck
    );
    let unknown = store.review("D404", "li", ReviewAction::Decline, "who?", AT).await;
    assert!(matches!(unknown, Err(StoreError::DecisionNotFound(_))), "{unknown:?}");
    let stranger = store.review("D3", "nobody", ReviewAction::Decline, "who?", AT).await;
    assert!(matches!(stranger, Err(StoreError::OfficerNotFound(_))), "{stranger:?}");
    assert!(matches!(store.review_state("D404").await, Err(StoreError::DecisionNotFound(_))));
    for id in ["D1", "D2", "D3"] {
        assert!(store.review_actions(id).await.expect("actions").is_empty(), "{id}: nothing written");
    }
    store.close().await;
}

#[tokio::test]
async fn the_queue_lists_open_referrals_oldest_first() {
    let decisions = [
        ("D1", Outcome::Refer),
        ("D2", Outcome::Approve),
        ("D3", Outcome::Refer),
        ("D4", Outcome::Refer),
        ("D5", Outcome::Refer),
        ("D6", Outcome::Decline),
    ];
    let (_dir, store) = store_with(&decisions).await;
    store.review("D3", "li", approve(100), "small", AT).await.expect("approved at once");
    store.review("D4", "li", approve(9_000_000), "large", AT).await.expect("awaits a check");
    let queue = store.review_queue(10).await.expect("queue");
    let listed: Vec<(&str, &ReviewState)> = queue.iter().map(|q| (q.decision_id.as_str(), &q.state)).collect();
    let awaiting = ReviewState::AwaitingCheck { maker: "li".to_string(), amount_fen: 9_000_000 };
    assert_eq!(listed, [("D1", &ReviewState::Pending), ("D4", &awaiting), ("D5", &ReviewState::Pending)]);
    assert_eq!((queue[0].subject.as_str(), queue[0].decided_at.as_str()), ("A00001-D1", "2026-12-01T08:00:00Z"));
    let first: Vec<String> = store.review_queue(2).await.expect("queue").into_iter().map(|q| q.decision_id).collect();
    assert_eq!(first, ["D1", "D4"]);
    store.close().await;
}

#[tokio::test]
async fn a_disbursement_is_recorded_once_by_request_id() {
    let (_dir, store) = store_with(&[("D1", Outcome::Approve)]).await;
    let paid = disbursement("D1", "pay-1", 4_000_000);
    assert_eq!(disburse(&store, &paid).await.expect("disburse"), Disbursed::New);
    assert_eq!(disburse(&store, &paid).await.expect("again"), Disbursed::Existing(paid.clone()));
    let changed = Disbursement { request_sha256: "b".repeat(64), ..paid.clone() };
    let reused = disburse(&store, &changed).await;
    assert!(matches!(reused, Err(StoreError::RequestReused { ref request_id }) if request_id == "pay-1"), "{reused:?}");
    let second = disburse(&store, &disbursement("D1", "pay-2", 4_000_000)).await;
    assert!(matches!(&second, Err(StoreError::Disbursement { decision, .. }) if decision == "D1"), "{second:?}");
    assert_eq!(disbursement_refusal(second), DisbursementRefusal::AlreadyDisbursed { request_id: "pay-1".to_string() });
    assert_eq!(store.disbursement_of("D1").await.expect("read"), Some(paid));
    store.close().await;
}

#[tokio::test]
async fn only_approved_decisions_are_disbursed_and_reviewed_ones_up_to_the_approved_amount() {
    let decisions = [
        ("D1", Outcome::Decline),
        ("D2", Outcome::Refer),
        ("D3", Outcome::Refer),
        ("D4", Outcome::Refer),
        ("D5", Outcome::Refer),
    ];
    let (_dir, store) = store_with(&decisions).await;
    store.review("D3", "li", approve(9_000_000), "large", AT).await.expect("awaits a check");
    store.review("D4", "li", ReviewAction::Decline, "no income proof", AT).await.expect("decline");
    store.review("D5", "li", approve(4_000_000), "fits", AT).await.expect("approve");
    for id in ["D1", "D2", "D3", "D4"] {
        let refused = disbursement_refusal(disburse(&store, &disbursement(id, id, 100)).await);
        assert!(matches!(refused, DisbursementRefusal::NotApproved { .. }), "{id}: {refused:?}");
    }
    let above = disbursement_refusal(disburse(&store, &disbursement("D5", "pay-5", 4_000_001)).await);
    assert_eq!(above, DisbursementRefusal::AboveApproved { amount_fen: 4_000_001, approved_fen: 4_000_000 });
    let zero = disbursement_refusal(disburse(&store, &disbursement("D5", "pay-5", 0)).await);
    assert_eq!(zero, DisbursementRefusal::AmountNotPositive { amount_fen: 0 });
    let unknown = disburse(&store, &disbursement("D404", "pay-404", 100)).await;
    assert!(matches!(unknown, Err(StoreError::DecisionNotFound(_))), "{unknown:?}");
    assert_eq!(disburse(&store, &disbursement("D5", "pay-5", 4_000_000)).await.expect("ok"), Disbursed::New);
    for id in ["D1", "D2", "D3", "D4"] {
        assert!(store.disbursement_of(id).await.expect("read").is_none(), "{id}: nothing written");
    }
    store.close().await;
}

#[tokio::test]
async fn a_loan_id_is_disbursed_for_one_decision_only() {
    let (_dir, store) = store_with(&[("D1", Outcome::Approve), ("D2", Outcome::Approve)]).await;
    disburse(&store, &disbursement("D1", "pay-1", 100)).await.expect("disburse");
    let taken = Disbursement { loan_id: "L-D1".to_string(), ..disbursement("D2", "pay-2", 100) };
    let refused = disbursement_refusal(disburse(&store, &taken).await);
    assert_eq!(refused, DisbursementRefusal::LoanTaken { loan_id: "L-D1".to_string() });
    store.close().await;
}

#[tokio::test]
async fn the_schema_refuses_edits_and_workflow_breaches_from_raw_statements() {
    let decisions = [("D1", Outcome::Approve), ("D2", Outcome::Refer), ("D3", Outcome::Refer), ("D4", Outcome::Refer)];
    let (_dir, store) = store_with(&decisions).await;
    store.review("D2", "li", approve(8_000_000), "large", AT).await.expect("awaits a check");
    store.review("D3", "li", ReviewAction::Decline, "no", AT).await.expect("declined");
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
    assert_eq!(store.officer("li").await.expect("read").map(|o| o.authority_fen), Some(5_000_000));
    assert_eq!(store.disbursement_of("D1").await.expect("read").map(|d| d.amount_fen), Some(100));
    store.close().await;
}

#[tokio::test]
async fn a_refused_booking_leaves_neither_loan_nor_disbursement() {
    let (_dir, store) = store_with(&[("D1", Outcome::Approve)]).await;
    let paid = disbursement("D1", "pay-1", 4_000_000);
    // The loan id is taken already (booked some other way): the whole disbursement is refused.
    let taken = booking(&paid);
    store::LoanStore::create_loan(&store, &taken.loan, &[]).await.expect("booked elsewhere");
    let refused = disburse(&store, &paid).await;
    assert!(matches!(refused, Err(StoreError::DuplicateLoan(_))), "{refused:?}");
    assert_eq!(store.disbursement_of("D1").await.expect("read"), None, "no disbursement without its loan");
    let events = store::LoanStore::events(&store, &taken.loan.id).await.expect("events");
    assert!(events.is_empty(), "the refused booking wrote no event: {events:?}");
    store.close().await;
}
