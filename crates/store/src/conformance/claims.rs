//! The review queue's open cases and claims ([`ReviewWorkflow::claim_next`]): the queue's open cases are exactly the
//! referrals `review_states` says are open, after every write; each claim hands out the oldest free case its officer
//! may act on, once; a held case is acted on and released by its holder alone until the lease ends; claims are
//! audited. Run from [`super::check_workflow`], so every backend of the workflow passes them.

use std::future::Future;

use workflow::{Hold, Lease, Outcome, QueueItem, ReviewAction, ReviewRefusal, ReviewState};

use super::{at, decision, oid, ts, with_officers_and_decisions};
use crate::{AuditLog, DecisionLog, ReviewWorkflow, StoreError};

/// Runs every claim check, each on a fresh store from `fresh`.
pub async fn check_claims<S, F, Fut>(fresh: F)
where
    S: ReviewWorkflow + DecisionLog + AuditLog,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    the_open_cases_follow_every_decision_and_review(fresh().await).await;
    each_claim_hands_out_the_oldest_free_case_once(fresh().await).await;
    a_held_case_is_acted_on_by_its_holder_alone_until_the_lease_ends(fresh().await).await;
    a_check_is_given_only_to_another_officer_with_enough_authority(fresh().await).await;
    a_claim_is_released_by_its_holder_alone(fresh().await).await;
    a_claim_gives_only_a_case_within_the_callers_scope(fresh().await).await;
    claims_and_releases_are_audited(fresh().await).await;
}

/// Asserts that the queue (read from the open cases) lists exactly the decisions of `ids` whose review state
/// (derived from the review history) is open, in the order given, each in that state. `ids` are every decision of
/// the store, in decision-time order.
pub async fn assert_open_cases_agree<S: ReviewWorkflow>(store: &S, ids: &[&str]) {
    let mut expected = Vec::new();
    for id in ids {
        let state = store.review_state(id).await.expect("review state");
        if state.open() {
            expected.push((id.to_string(), state));
        }
    }
    let queue = store.review_queue(1_000).await.expect("queue");
    let listed: Vec<(String, ReviewState)> =
        queue.into_iter().map(|item| (item.decision_id.to_string(), item.state)).collect();
    assert_eq!(listed, expected, "the open cases differ from what the review history says");
}

/// A scope that holds every case.
pub fn all(_: &QueueItem) -> bool {
    true
}

fn claim_refusal<T: std::fmt::Debug>(result: Result<T, StoreError>) -> ReviewRefusal {
    match result {
        Err(StoreError::Review { refusal, .. }) => refusal,
        other => panic!("expected a review refusal, got {other:?}"),
    }
}

/// The time the default lease of a claim taken at [`at`] ends.
fn expiry() -> domain::Timestamp {
    ts("2026-12-02T09:30:00Z")
}

fn held_by(officer: &str) -> Hold {
    Hold { officer_id: oid(officer), claimed_at: at(), expires_at: expiry() }
}

/// A referral enters the open cases when it is decided, an approval above authority stays in them awaiting its
/// check, and a final review (approval, decline, confirmed or rejected check) takes it out; refused actions and
/// other outcomes change nothing.
pub async fn the_open_cases_follow_every_decision_and_review<S: ReviewWorkflow + DecisionLog>(store: S) {
    let ids = ["D1", "D2", "D3", "D4", "D5", "D6", "D7"];
    let outcomes = [
        Outcome::Refer,
        Outcome::Approve,
        Outcome::Refer,
        Outcome::Refer,
        Outcome::Decline,
        Outcome::Refer,
        Outcome::Refer,
    ];
    let decisions: Vec<(&str, Outcome)> = ids.iter().copied().zip(outcomes).collect();
    with_officers_and_decisions(&store, &decisions).await;
    assert_open_cases_agree(&store, &ids).await;
    let approve = |fen| ReviewAction::Approve { amount: domain::Money::from_fen(fen) };
    let steps = [
        ("D3", "li", approve(100)),
        ("D4", "li", approve(9_000_000)),
        ("D4", "zhao", ReviewAction::Confirm),
        ("D4", "wang", ReviewAction::Confirm),
        ("D6", "zhao", ReviewAction::Decline),
        ("D7", "li", approve(8_000_000)),
        ("D7", "wang", ReviewAction::Reject),
        ("D1", "wang", ReviewAction::Confirm),
    ];
    for (id, officer, action) in steps {
        let _refused_or_done = store.review(id, officer, action, "checked", &at()).await;
        assert_open_cases_agree(&store, &ids).await;
    }
    let open: Vec<String> =
        store.review_queue(10).await.expect("queue").into_iter().map(|q| q.decision_id.to_string()).collect();
    assert_eq!(open, ["D1"]);
}

/// Claims give the oldest case nobody holds, one more each time (an officer's own held case is not given again),
/// nothing when every case is held; a lease that ran out is claimed over. Held cases stay in the queue.
pub async fn each_claim_hands_out_the_oldest_free_case_once<S: ReviewWorkflow + DecisionLog>(store: S) {
    let ids = ["D1", "D2", "D3", "D4"];
    let decisions: Vec<(&str, Outcome)> = ids.iter().map(|id| (*id, Outcome::Refer)).collect();
    with_officers_and_decisions(&store, &decisions).await;
    let claim = |officer: &'static str| {
        let store = &store;
        async move { store.claim_next(officer, &at(), Lease::DEFAULT, &all).await.expect("claim") }
    };
    let first = claim("li").await.expect("a case");
    assert_eq!((first.decision_id().as_str(), &first.hold), ("D1", &held_by("li")));
    assert_eq!((first.item.subject.as_str(), first.item.state.clone()), ("A00001-D1", ReviewState::Pending));
    assert_eq!(first.item.decided_at.to_string(), "2026-12-01T08:00:00Z");
    assert_eq!(claim("zhao").await.map(|c| c.item.decision_id.to_string()).as_deref(), Some("D2"));
    assert_eq!(claim("li").await.map(|c| c.item.decision_id.to_string()).as_deref(), Some("D3"), "one more case");
    assert_eq!(claim("wang").await.map(|c| c.item.decision_id.to_string()).as_deref(), Some("D4"));
    assert_eq!(claim("zhao").await, None, "every case is held");
    assert_eq!(store.claim_on("D1").await.expect("hold"), Some(held_by("li")));
    assert_eq!(store.claim_on("D404").await.expect("hold"), None);
    assert_eq!(store.review_queue(10).await.expect("queue").len(), 4, "held cases are still in the queue");
    assert_open_cases_agree(&store, &ids).await;

    let just_before = store.claim_next("wang", &ts("2026-12-02T09:29:59Z"), Lease::DEFAULT, &all).await.expect("claim");
    assert_eq!(just_before, None, "every lease still runs");
    let short = Lease::seconds(60).expect("a minute");
    let over = store.claim_next("wang", &expiry(), short, &all).await.expect("claim").expect("an expired lease");
    let taken_over = Hold { officer_id: oid("wang"), claimed_at: expiry(), expires_at: ts("2026-12-02T09:31:00Z") };
    assert_eq!((over.decision_id().as_str(), &over.hold), ("D1", &taken_over));
    assert_eq!(store.claim_on("D1").await.expect("hold"), Some(taken_over));
    let stranger = store.claim_next("nobody", &at(), Lease::DEFAULT, &all).await;
    assert!(matches!(stranger, Err(StoreError::OfficerNotFound(_))), "{stranger:?}");
}

/// Another officer's action on a held case is refused naming the holder and the lease's end, and writes nothing;
/// the holder acts, and a final action ends the claim with the case; once the lease ends anyone acts.
pub async fn a_held_case_is_acted_on_by_its_holder_alone_until_the_lease_ends<S: ReviewWorkflow + DecisionLog>(
    store: S,
) {
    let ids = ["D1", "D2"];
    with_officers_and_decisions(&store, &[("D1", Outcome::Refer), ("D2", Outcome::Refer)]).await;
    store.claim_next("li", &at(), Lease::DEFAULT, &all).await.expect("claim").expect("D1");
    let refused = claim_refusal(store.review("D1", "wang", ReviewAction::Decline, "no", &at()).await);
    assert_eq!(refused, ReviewRefusal::Claimed { holder: oid("li"), until: expiry() });
    assert!(store.review_actions("D1").await.expect("actions").is_empty(), "the refusal wrote nothing");
    let approve = ReviewAction::Approve { amount: domain::Money::from_fen(100) };
    store.review("D1", "li", approve, "small", &at()).await.expect("the holder acts");
    assert_eq!(store.claim_on("D1").await.expect("hold"), None, "the case is closed, and its claim with it");
    assert_open_cases_agree(&store, &ids).await;

    store.claim_next("li", &at(), Lease::DEFAULT, &all).await.expect("claim").expect("D2");
    let before = ts("2026-12-02T09:29:59Z");
    let refused = claim_refusal(store.review("D2", "zhao", ReviewAction::Decline, "no", &before).await);
    assert!(matches!(refused, ReviewRefusal::Claimed { .. }), "{refused:?}");
    store.review("D2", "zhao", ReviewAction::Decline, "no", &expiry()).await.expect("the lease ran out");
    assert_open_cases_agree(&store, &ids).await;
    assert!(store.review_queue(10).await.expect("queue").is_empty());
}

/// An approval above the maker's authority ends the maker's claim; the check is never given to the maker nor to an
/// officer whose authority is below the amount, and is given to one whose authority covers it.
pub async fn a_check_is_given_only_to_another_officer_with_enough_authority<S: ReviewWorkflow + DecisionLog>(store: S) {
    with_officers_and_decisions(&store, &[("D1", Outcome::Refer)]).await;
    store.claim_next("li", &at(), Lease::DEFAULT, &all).await.expect("claim").expect("D1");
    let amount = domain::Money::from_fen(8_000_000);
    store.review("D1", "li", ReviewAction::Approve { amount }, "two greenhouses", &at()).await.expect("awaits");
    assert_eq!(store.claim_on("D1").await.expect("hold"), None, "the maker's claim ended with the approval");
    assert_eq!(store.claim_next("li", &at(), Lease::DEFAULT, &all).await.expect("claim"), None, "not the maker");
    assert_eq!(
        store.claim_next("zhao", &at(), Lease::DEFAULT, &all).await.expect("claim"),
        None,
        "too little authority"
    );
    let check = store.claim_next("wang", &at(), Lease::DEFAULT, &all).await.expect("claim").expect("the check");
    assert_eq!(check.item.state, ReviewState::AwaitingCheck { maker: oid("li"), amount });
    store.review("D1", "wang", ReviewAction::Confirm, "verified", &at()).await.expect("confirm");
    assert_open_cases_agree(&store, &["D1"]).await;
    assert_eq!(store.claim_next("wang", &at(), Lease::DEFAULT, &all).await.expect("claim"), None);
}

/// The holder releases a claim (the case is free again); a second release, a release of nothing held or of
/// another's expired lease is `false`; another officer's running claim is refused (also once it took over the
/// releasing officer's expired one); an unknown decision is reported.
pub async fn a_claim_is_released_by_its_holder_alone<S: ReviewWorkflow + DecisionLog>(store: S) {
    with_officers_and_decisions(&store, &[("D1", Outcome::Refer)]).await;
    assert!(!store.release_claim("D1", "li", &at()).await.expect("release"), "nothing held");
    store.claim_next("li", &at(), Lease::DEFAULT, &all).await.expect("claim").expect("D1");
    let refused = claim_refusal(store.release_claim("D1", "wang", &at()).await);
    assert_eq!(refused, ReviewRefusal::Claimed { holder: oid("li"), until: expiry() });
    assert!(store.release_claim("D1", "li", &at()).await.expect("release"));
    assert_eq!(store.claim_on("D1").await.expect("hold"), None);
    assert!(!store.release_claim("D1", "li", &at()).await.expect("again"), "released before");
    let zhao = store.claim_next("zhao", &at(), Lease::DEFAULT, &all).await.expect("claim").expect("free again");
    assert_eq!(zhao.decision_id().as_str(), "D1");
    assert!(!store.release_claim("D1", "wang", &expiry()).await.expect("expired"), "an expired lease is no refusal");
    store.claim_next("li", &expiry(), Lease::DEFAULT, &all).await.expect("claim").expect("taken over");
    let taken_over = claim_refusal(store.release_claim("D1", "zhao", &expiry()).await);
    assert_eq!(taken_over, ReviewRefusal::Claimed { holder: oid("li"), until: ts("2026-12-02T10:00:00Z") });
    let unknown = store.release_claim("D404", "li", &at()).await;
    assert!(matches!(unknown, Err(StoreError::DecisionNotFound(_))), "{unknown:?}");
}

/// Each claim and each release is one audit entry on the decision, naming the officer; refusals write none.
pub async fn claims_and_releases_are_audited<S: ReviewWorkflow + DecisionLog + AuditLog>(store: S) {
    with_officers_and_decisions(&store, &[("D1", Outcome::Refer)]).await;
    let (before, _) = super::audit::read_all(&store, 100).await;
    store.claim_next("li", &at(), Lease::DEFAULT, &all).await.expect("claim").expect("D1");
    assert_eq!(store.claim_next("li", &at(), Lease::DEFAULT, &all).await.expect("claim"), None);
    let _refused = store.release_claim("D1", "wang", &at()).await;
    assert!(store.release_claim("D1", "li", &at()).await.expect("release"));
    let (after, chain) = super::audit::read_all(&store, 100).await;
    assert!(chain.is_ok(), "the audit chain holds: {chain:?}");
    let added: Vec<(&str, &str)> =
        after[before.len()..].iter().map(|e| (e.entry.action.as_str(), e.entry.target.as_str())).collect();
    assert_eq!(added, [("decision.claim", "decision:D1"), ("decision.release", "decision:D1")]);
    let detail: serde_json::Value = serde_json::from_str(&after[before.len()].entry.detail).expect("JSON detail");
    assert_eq!(detail["officer"], "li");
    assert_eq!(detail["expires_at"], "2026-12-02T09:30:00Z");
}

/// A claim gives the oldest case its scope accepts, reading past pages of cases outside it, and nothing when the
/// scope accepts none; the cases passed over stay free.
pub async fn a_claim_gives_only_a_case_within_the_callers_scope<S: ReviewWorkflow + DecisionLog>(store: S) {
    with_officers_and_decisions(&store, &[]).await;
    let count = crate::workflow::CLAIM_PAGE * 2 + 10;
    for n in 0..count {
        let at = format!("2026-12-01T{:02}:{:02}:00Z", n / 60, n % 60);
        store.record_decision(&decision(&format!("S{n:03}"), Outcome::Refer, &at)).await.expect("decision");
    }
    let last = format!("A00001-S{:03}", count - 1);
    let only_last = |item: &QueueItem| item.subject == last;
    let claim = store.claim_next("li", &at(), Lease::DEFAULT, &only_last).await.expect("claim").expect("in scope");
    assert_eq!(claim.item.subject, last);
    assert_eq!(store.claim_next("li", &at(), Lease::DEFAULT, &only_last).await.expect("claim"), None, "held now");
    assert_eq!(store.claim_next("li", &at(), Lease::DEFAULT, &|_| false).await.expect("claim"), None);
    assert_eq!(store.claim_on("S000").await.expect("hold"), None, "passed over, not held");
    let first = store.claim_next("zhao", &at(), Lease::DEFAULT, &all).await.expect("claim").expect("a case");
    assert_eq!(first.decision_id().as_str(), "S000");
}
