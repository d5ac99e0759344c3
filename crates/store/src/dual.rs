//! Dual control: what a backend stores of one person's proposals and another person's decisions on them.
//!
//! The values and rules are `workflow::dual`'s: what a proposal holds ([`NewProposal::check`]), who may decide it
//! ([`workflow::dual::check_decision`]: an open proposal, decided by another person than its proposer). The store
//! keeps proposals and decisions append-only, at most one open proposal per kind and target, and applies those rules
//! inside its transactions; carrying a confirmed proposal out is the service layer's, as the deciding person.

use std::future::Future;

use domain::Timestamp;
use workflow::dual::{NewProposal, Proposal, Verdict};

use crate::StoreError;

/// The dual-control register every backend provides. Each method is one transaction.
pub trait DualControl: Send + Sync + Sized {
    /// A handle on the same store whose writes carry out proposal `id`: the audit entries of the acts it writes (a
    /// policy or model moved, a loan event, an officer's authority) name the proposal.
    fn for_proposal(&self, id: &str) -> Self;

    /// Keeps a proposal and gives it the next id (`P000001`, …). Refused with [`StoreError::ProposalOpen`] while
    /// another proposal of the same kind and target is open, and with [`StoreError::Invalid`] if
    /// [`NewProposal::check`] refuses it.
    fn propose(&self, proposal: &NewProposal) -> impl Future<Output = Result<Proposal, StoreError>> + Send;

    /// A proposal by id, with its decision if it has one.
    fn proposal(&self, id: &str) -> impl Future<Output = Result<Option<Proposal>, StoreError>> + Send;

    /// At most `limit` proposals, oldest first: only the open ones when `open_only`.
    fn proposals(&self, open_only: bool, limit: u32) -> impl Future<Output = Result<Vec<Proposal>, StoreError>> + Send;

    /// Records the final decision on a proposal, checked by `workflow::dual::check_decision` inside the transaction:
    /// [`StoreError::ProposalNotFound`] for an unknown id, [`StoreError::Dual`] for a proposal decided before or
    /// decided by its proposer; a refusal writes nothing.
    fn decide_proposal(
        &self,
        id: &str,
        verdict: Verdict,
        by: &str,
        at: &Timestamp,
        reason: &str,
    ) -> impl Future<Output = Result<Proposal, StoreError>> + Send;
}
