//! Manual review and disbursement of credit decisions: what a backend stores about loan officers, their review
//! actions and the disbursements that follow.
//!
//! The values and the rules are `workflow`'s: who may approve what ([`ReviewState::after`]), when a decision may be
//! paid out ([`workflow::check_disbursable`]). The store keeps officers, the append-only history of actions and the
//! disbursements, derives the review state from that history (never storing it beside it, so it cannot disagree),
//! and applies the rules inside its transactions; a disbursement books its loan in the same transaction.

use std::future::Future;

use workflow::{Disbursement, Officer, QueueItem, ReviewAction, ReviewState, ReviewStep, Reviewed};

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

    /// Records an officer's action on a decision, checked against the workflow ([`ReviewState::after`]); a
    /// refusal is [`StoreError::Review`] and writes nothing.
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

    /// At most `limit` referred decisions still pending or awaiting a check, oldest decision first.
    fn review_queue(&self, limit: u32) -> impl Future<Output = Result<Vec<QueueItem>, StoreError>> + Send;

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
