//! Manual review and disbursement of credit decisions: what a backend stores about loan officers, their review
//! actions and the disbursements that follow.
//!
//! The values and the rules are `workflow`'s: who may approve what ([`ReviewState::after`]), when a decision may be
//! paid out ([`workflow::check_disbursable`]). The store keeps officers, the append-only history of actions and the
//! disbursements, derives the review state from that history (never storing it beside it, so it cannot disagree),
//! and applies the rules inside its transactions; a disbursement books its loan in the same transaction.
//!
//! The open cases — referrals whose review is not final — are also kept where the queue reads them directly (the
//! `review_open` table of each engine, kept by triggers in the transaction of the decision or review action that
//! changes it): a work index, derived from the history and never read as the truth of a case's state. It carries
//! the officers' claims ([`ReviewWorkflow::claim_next`]): bounded leases ([`workflow::Lease`]) under which one
//! officer works a case while the others are given the next ones. A review action on a case another officer holds
//! under a running lease is refused ([`workflow::ReviewRefusal::Claimed`]).

use std::future::Future;

use workflow::{Claim, Disbursement, Hold, Lease, Officer, QueueItem, ReviewAction, ReviewState, ReviewStep, Reviewed};

use crate::StoreError;

/// The loan a disbursement books, written in the disbursement's own transaction: the loan, its events (approval
/// and disbursement) with the ledger lines each posts, and the status changes they cause.
#[derive(Debug, Clone)]
pub struct Booking {
    /// The loan.
    pub loan: crate::NewLoan,
    /// Its first events in order, each with the ledger lines it posts.
    pub events: Vec<(crate::NewEvent, Vec<lending::Posting>)>,
    /// The status changes the events cause.
    pub changes: Vec<lending::StatusChange>,
}

/// What recording a disbursement did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disbursed {
    /// Stored now.
    New,
    /// The same request was recorded before: this is that disbursement, and nothing was written.
    Existing(Disbursement),
}

/// Open cases a claim reads at a time, in queue order, looking for one it may give.
pub const CLAIM_PAGE: u32 = 100;

/// The review workflow every backend provides. Each method is one transaction.
pub trait ReviewWorkflow: Send + Sync {
    /// Registers an officer; the same officer again is a no-op, the same id with other data
    /// [`StoreError::OfficerClash`].
    fn register_officer(&self, officer: &Officer) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// An officer by id, with the authority in force now (the latest [`ReviewWorkflow::set_authority`], else the
    /// registered one).
    fn officer(&self, officer_id: &str) -> impl Future<Output = Result<Option<Officer>, StoreError>> + Send;

    /// Sets an officer's authority from `at` on, carrying out the confirmed dual-control proposal `proposal_id` (of
    /// kind `officer_authority` on this officer); the same proposal again is a no-op, so a confirmation repeated
    /// after a crash changes nothing twice. Review actions keep the authority in force when they were taken, so a
    /// decision's review state never changes afterwards. Returns the officer as now in force.
    fn set_authority(
        &self,
        officer_id: &str,
        authority: domain::Money,
        at: &domain::Timestamp,
        proposal_id: &str,
    ) -> impl Future<Output = Result<Officer, StoreError>> + Send;

    /// Records an officer's action on a decision, checked against the workflow ([`ReviewState::after`]) and
    /// against the case's claim at `acted_at` ([`workflow::check_claim`]: another officer's running lease refuses
    /// it with [`workflow::ReviewRefusal::Claimed`]); a refusal is [`StoreError::Review`] and writes nothing. An
    /// action that leaves the case open ends its claim; one that makes it final takes it off the queue.
    fn review(
        &self,
        decision_id: &str,
        officer_id: &str,
        action: ReviewAction,
        reason: &str,
        acted_at: &domain::Timestamp,
    ) -> impl Future<Output = Result<Reviewed, StoreError>> + Send;

    /// A decision's review state.
    fn review_state(&self, decision_id: &str) -> impl Future<Output = Result<ReviewState, StoreError>> + Send;

    /// A decision's review actions, in order.
    fn review_actions(&self, decision_id: &str) -> impl Future<Output = Result<Vec<ReviewStep>, StoreError>> + Send;

    /// At most `limit` referred decisions still pending or awaiting a check, oldest decision first (claimed or not).
    fn review_queue(&self, limit: u32) -> impl Future<Output = Result<Vec<QueueItem>, StoreError>> + Send;

    /// Gives `officer_id` the oldest open case that nobody holds under a lease running at `at`, that the officer
    /// may act on ([`ReviewState::actionable_by`]: not a check of their own approval, nor one above their
    /// authority) and that `within` accepts (the caller's scope, such as the officer's branches; `&|_| true` for
    /// all), held for `lease` from `at`; `None` when there is no such case. A case the officer holds already is
    /// not given again: each claim hands out one more case, and two claimers at once never get the same one
    /// (PostgreSQL skips the rows other claimers have locked; SQLite's writes are one at a time). An expired lease
    /// is claimed over. Audited as `decision.claim`; an unknown officer is [`StoreError::OfficerNotFound`].
    fn claim_next(
        &self,
        officer_id: &str,
        at: &domain::Timestamp,
        lease: Lease,
        within: &(dyn Fn(&QueueItem) -> bool + Sync),
    ) -> impl Future<Output = Result<Option<Claim>, StoreError>> + Send;

    /// Ends `officer_id`'s claim on a decision: `true` when they held it (audited as `decision.release`), `false`
    /// when they held nothing to release (never claimed, released before, the case closed, or their lease expired
    /// and another officer claimed it). Another officer's claim under a lease running at `at` is refused with
    /// [`workflow::ReviewRefusal::Claimed`]; an unknown decision is [`StoreError::DecisionNotFound`].
    fn release_claim(
        &self,
        decision_id: &str,
        officer_id: &str,
        at: &domain::Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The claim on an open case, expired or not; `None` when nobody claimed it or the case is not open.
    fn claim_on(&self, decision_id: &str) -> impl Future<Output = Result<Option<Hold>, StoreError>> + Send;

    /// Books `booking`'s loan and records the disbursement of an approved decision, in one transaction, unless its
    /// request id was seen: then the stored one comes back when its request hash is the same
    /// ([`Disbursed::Existing`]), and [`StoreError::RequestReused`] when it differs. A refusal is
    /// [`StoreError::Disbursement`] (or [`StoreError::DuplicateLoan`]) and writes nothing: there is never a loan
    /// without its disbursement record, nor a record without its loan.
    fn record_disbursement(
        &self,
        disbursement: &Disbursement,
        booking: &Booking,
    ) -> impl Future<Output = Result<Disbursed, StoreError>> + Send;

    /// A decision's disbursement.
    fn disbursement_of(
        &self,
        decision_id: &str,
    ) -> impl Future<Output = Result<Option<Disbursement>, StoreError>> + Send;
}
