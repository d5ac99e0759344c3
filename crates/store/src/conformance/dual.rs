//! Dual control's conformance checks ([`DualControl`]): proposals come back as kept with ids in order, a kind and
//! target have one open proposal at a time, a proposal is decided once and never by its proposer (by name, across
//! `user:` and `os:`), and every refusal writes nothing.

use std::future::Future;

use domain::Timestamp;
use workflow::dual::{DualRefusal, NewProposal, ProposalKind, Verdict};

use crate::{DecisionLog, DualControl, ReviewWorkflow, StoreError};

/// Runs every dual-control check, each on a fresh store from `fresh`.
pub async fn check_dual<S, F, Fut>(fresh: F)
where
    S: DualControl,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    proposals_come_back_as_kept_in_order(fresh().await).await;
    a_target_has_one_open_proposal_of_a_kind(fresh().await).await;
    a_proposal_is_decided_once_by_another_person(fresh().await).await;
    a_malformed_proposal_is_refused(fresh().await).await;
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).expect("a valid timestamp")
}

/// Runs the officer-authority check: the register of proposals and the review workflow together.
pub async fn check_authority<S, F, Fut>(fresh: F)
where
    S: DualControl + ReviewWorkflow + DecisionLog,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    an_authority_change_applies_from_then_on_once_per_proposal(fresh().await).await;
}

/// A write-off of `loan` proposed by `by`.
pub fn write_off(loan: &str, by: &str) -> NewProposal {
    NewProposal {
        kind: ProposalKind::LoanWriteOff,
        target: format!("loan:{loan}"),
        payload: r#"{"date":"2026-12-01"}"#.to_string(),
        reason: "uncollectable after 360 days".to_string(),
        proposed_by: by.to_string(),
        proposed_at: at("2026-12-07T10:00:00+08:00"),
    }
}

/// Ids are given in order; a proposal reads back exactly as kept, open; the list is oldest first.
pub async fn proposals_come_back_as_kept_in_order<S: DualControl>(store: S) {
    let first = store.propose(&write_off("L000001", "user:alice")).await.expect("first");
    let second = store.propose(&write_off("L000002", "user:alice")).await.expect("second");
    assert_eq!((first.id.as_str(), second.id.as_str()), ("P000001", "P000002"));
    let read = store.proposal("P000001").await.expect("read").expect("kept");
    assert_eq!(read, first);
    assert_eq!(read.proposal, write_off("L000001", "user:alice"));
    assert!(read.is_open());
    assert!(store.proposal("P000009").await.expect("read").is_none());
    let listed = store.proposals(true, 10).await.expect("list");
    assert_eq!(listed.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), ["P000001", "P000002"]);
    assert_eq!(store.proposals(true, 1).await.expect("limit").len(), 1);
}

/// A second proposal of the same kind and target waits until the first is decided; another kind or target is free.
pub async fn a_target_has_one_open_proposal_of_a_kind<S: DualControl>(store: S) {
    store.propose(&write_off("L000001", "user:alice")).await.expect("first");
    match store.propose(&write_off("L000001", "user:carol")).await {
        Err(StoreError::ProposalOpen { existing, .. }) => assert_eq!(existing, "P000001"),
        other => panic!("a second open proposal of one kind and target was kept: {other:?}"),
    }
    let reclassify = NewProposal { kind: ProposalKind::LoanReclassify, ..write_off("L000001", "user:alice") };
    store.propose(&reclassify).await.expect("another kind");
    store
        .decide_proposal("P000001", Verdict::Rejected, "user:bob", &at("2026-12-07T11:00:00+08:00"), "not yet")
        .await
        .expect("reject");
    let again = store.propose(&write_off("L000001", "user:carol")).await.expect("after the decision");
    assert_eq!(again.id, "P000003");
    assert_eq!(store.proposals(true, 10).await.expect("open").len(), 2);
    assert_eq!(store.proposals(false, 10).await.expect("all").len(), 3);
}

/// The proposer cannot decide, under either surface's name; another person decides once; a rejection needs a
/// reason; an unknown id is not found. Refusals write nothing.
pub async fn a_proposal_is_decided_once_by_another_person<S: DualControl>(store: S) {
    let when = at("2026-12-07T11:00:00+08:00");
    store.propose(&write_off("L000001", "os:alice")).await.expect("propose");
    for by in ["os:alice", "user:alice", "user:Alice"] {
        match store.decide_proposal("P000001", Verdict::Confirmed, by, &when, "").await {
            Err(StoreError::Dual { refusal: DualRefusal::SamePerson { .. } }) => {}
            other => panic!("{by} decided their own proposal: {other:?}"),
        }
    }
    match store.decide_proposal("P000001", Verdict::Rejected, "user:bob", &when, " ").await {
        Err(StoreError::Dual { refusal: DualRefusal::NoReason { .. } }) => {}
        other => panic!("a rejection without a reason was kept: {other:?}"),
    }
    assert!(store.proposal("P000001").await.expect("read").expect("kept").is_open(), "a refusal wrote");
    let decided = store.decide_proposal("P000001", Verdict::Confirmed, "user:bob", &when, "").await.expect("confirm");
    let decision = decided.decision.clone().expect("decided");
    assert_eq!((decision.verdict, decision.decided_by.as_str()), (Verdict::Confirmed, "user:bob"));
    assert_eq!(store.proposal("P000001").await.expect("read"), Some(decided));
    match store.decide_proposal("P000001", Verdict::Rejected, "user:carol", &when, "late").await {
        Err(StoreError::Dual { refusal: DualRefusal::Decided { verdict: Verdict::Confirmed, .. } }) => {}
        other => panic!("a proposal was decided twice: {other:?}"),
    }
    assert!(matches!(
        store.decide_proposal("P000404", Verdict::Confirmed, "user:bob", &when, "").await,
        Err(StoreError::ProposalNotFound(_))
    ));
    assert!(store.proposals(true, 10).await.expect("open").is_empty());
}

/// A proposal whose target, payload or reason is refused by `workflow::dual` is not kept.
pub async fn a_malformed_proposal_is_refused<S: DualControl>(store: S) {
    let bad = [
        NewProposal { target: "policy:x".into(), ..write_off("L1", "user:a") },
        NewProposal { payload: "not json".into(), ..write_off("L1", "user:a") },
        NewProposal { payload: format!(r#"{{"x":"{}"}}"#, "y".repeat(5000)), ..write_off("L1", "user:a") },
        NewProposal { reason: String::new(), ..write_off("L1", "user:a") },
    ];
    for proposal in bad {
        assert!(matches!(store.propose(&proposal).await, Err(StoreError::Invalid(_))), "{proposal:?} was kept");
    }
    assert!(store.proposals(false, 10).await.expect("list").is_empty());
}

/// An authority change carries out a proposal of it, once; the review uses the authority in force when each action
/// is taken, and a review state derived before the change stays as it was.
pub async fn an_authority_change_applies_from_then_on_once_per_proposal<S>(store: S)
where
    S: DualControl + ReviewWorkflow + DecisionLog,
{
    use ::workflow::{Outcome, ReviewAction, ReviewState};
    use domain::Money;
    let when = at("2026-12-07T11:00:00+08:00");
    super::with_officers_and_decisions(&store, &[("D1", Outcome::Refer), ("D2", Outcome::Refer)]).await;
    let approve = ReviewAction::Approve { amount: Money::from_fen(4_000_000) };
    // zhao may approve 30,000 yuan alone: 40,000 awaits a check.
    let before = store.review("D1", "zhao", approve, "first", &when).await.expect("approve");
    assert!(matches!(before.state, ReviewState::AwaitingCheck { .. }));
    let raise = NewProposal {
        kind: ProposalKind::OfficerAuthority,
        target: "officer:zhao".into(),
        payload: r#"{"authority_fen":5000000}"#.into(),
        reason: "promoted".into(),
        proposed_by: "user:root".into(),
        proposed_at: when,
    };
    assert!(
        store.set_authority("zhao", Money::from_fen(5_000_000), &when, "P000001").await.is_err(),
        "an authority set without a proposal"
    );
    store.propose(&raise).await.expect("propose");
    let raised = store.set_authority("zhao", Money::from_fen(5_000_000), &when, "P000001").await.expect("set");
    assert_eq!(raised.authority, Money::from_fen(5_000_000));
    let again = store.set_authority("zhao", Money::from_fen(5_000_000), &when, "P000001").await.expect("again");
    assert_eq!(again.authority, Money::from_fen(5_000_000), "the same proposal again is a no-op");
    assert_eq!(store.officer("zhao").await.expect("read").expect("officer").authority, Money::from_fen(5_000_000));
    assert!(matches!(
        store.set_authority("nobody", Money::from_fen(1), &when, "P000001").await,
        Err(StoreError::OfficerNotFound(_))
    ));
    // The earlier approval still awaits its check; a new one within the new authority is final at once.
    assert!(matches!(store.review_state("D1").await.expect("state"), ReviewState::AwaitingCheck { .. }));
    let after = store.review("D2", "zhao", approve, "second", &when).await.expect("approve");
    assert!(matches!(after.state, ReviewState::Approved { .. }), "{:?}", after.state);
    assert_eq!(store.review_state("D2").await.expect("state"), after.state);
    // li (50,000) checks zhao's 40,000.
    let confirmed = store.review("D1", "li", ReviewAction::Confirm, "checked", &when).await.expect("confirm");
    assert!(matches!(confirmed.state, ReviewState::Approved { .. }));
    // A checker's authority is the one in force: zhao (50,000) cannot check li's 250,000 until raised to 300,000.
    super::with_officers_and_decisions(&store, &[("D3", Outcome::Refer)]).await;
    let big = ReviewAction::Approve { amount: Money::from_fen(25_000_000) };
    store.review("D3", "li", big, "large herd", &when).await.expect("approve");
    let low = store.review("D3", "zhao", ReviewAction::Confirm, "checked", &when).await;
    assert!(matches!(low, Err(StoreError::Review { .. })), "{low:?}");
    store.decide_proposal("P000001", Verdict::Confirmed, "user:root2", &when, "").await.expect("decide");
    let second = NewProposal { payload: r#"{"authority_fen":30000000}"#.into(), ..raise };
    let second = store.propose(&second).await.expect("propose again");
    store.set_authority("zhao", Money::from_fen(30_000_000), &when, &second.id).await.expect("raise");
    let checked = store.review("D3", "zhao", ReviewAction::Confirm, "checked", &when).await.expect("confirm");
    assert!(matches!(checked.state, ReviewState::Approved { .. }), "{:?}", checked.state);
}
