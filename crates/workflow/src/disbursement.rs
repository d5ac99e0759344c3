//! The payment of an approved decision: what is recorded of it ([`Disbursement`]) and when it is allowed
//! ([`check_disbursable`]). A decision approved automatically or by review is disbursed once, a reviewed one at
//! most at the approved amount; the client's request id makes that idempotent.

use domain::{DecisionId, Money, Timestamp};
use serde::{Deserialize, Serialize};

use crate::decision::Outcome;
use crate::review::ReviewState;

/// The payment of an approved loan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disbursement {
    /// The approved decision.
    pub decision_id: DecisionId,
    /// The loan booked for it.
    pub loan_id: String,
    /// The client's request id (idempotency key).
    pub request_id: String,
    /// The amount paid out (whole fen in JSON, as `amount_fen`).
    #[serde(rename = "amount_fen", with = "domain::money::as_fen")]
    pub amount: Money,
    /// When.
    pub disbursed_at: Timestamp,
    /// SHA-256 (hex) of the request's canonical form: the same request id with another request is refused.
    pub request_sha256: String,
}

impl Disbursement {
    /// Checks a disbursement's own fields before the decision is looked at.
    pub fn check(&self) -> Result<(), DisbursementRefusal> {
        for (field, value) in [("loan_id", &self.loan_id), ("request_id", &self.request_id)] {
            if value.is_empty() {
                return Err(DisbursementRefusal::Empty { field });
            }
        }
        if !self.amount.is_positive() {
            return Err(DisbursementRefusal::AmountNotPositive { amount: self.amount });
        }
        Ok(())
    }
}

/// Why a disbursement is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DisbursementRefusal {
    /// The decision is not approved, automatically or by review.
    #[error("the decision is not approved (outcome {outcome}, review state {state:?})")]
    NotApproved {
        /// The automated outcome.
        outcome: Outcome,
        /// The review state.
        state: ReviewState,
    },
    /// The amount exceeds what the review approved.
    #[error("{} fen is above the approved {} fen", .amount.fen(), .approved.fen())]
    AboveApproved {
        /// The amount asked for.
        amount: Money,
        /// The approved amount.
        approved: Money,
    },
    /// The decision was disbursed before under another request id.
    #[error("it was disbursed already by request {request_id}")]
    AlreadyDisbursed {
        /// The earlier request id.
        request_id: String,
    },
    /// The loan id is taken by another decision's disbursement.
    #[error("loan {loan_id} is taken by another decision's disbursement")]
    LoanTaken {
        /// The loan id.
        loan_id: String,
    },
    /// The amount is zero or negative.
    #[error("the amount must be positive, not {} fen", .amount.fen())]
    AmountNotPositive {
        /// The amount given.
        amount: Money,
    },
    /// A required field is empty.
    #[error("{field} is empty")]
    Empty {
        /// The field.
        field: &'static str,
    },
}

/// Whether a decision with this outcome and review state may be disbursed `amount`. An automated approval's amount
/// is the caller's to take from the decision record; a reviewed one is capped by the approved amount.
pub fn check_disbursable(outcome: Outcome, state: &ReviewState, amount: Money) -> Result<(), DisbursementRefusal> {
    if !amount.is_positive() {
        return Err(DisbursementRefusal::AmountNotPositive { amount });
    }
    match state {
        ReviewState::NotReferred if outcome == Outcome::Approve => Ok(()),
        ReviewState::Approved { amount: approved, .. } if amount > *approved => {
            Err(DisbursementRefusal::AboveApproved { amount, approved: *approved })
        }
        ReviewState::Approved { .. } => Ok(()),
        _ => Err(DisbursementRefusal::NotApproved { outcome, state: state.clone() }),
    }
}

#[cfg(test)]
mod tests {
    use domain::OfficerId;

    use super::*;

    #[test]
    fn only_approvals_are_disbursed_and_reviewed_ones_up_to_the_approved_amount() {
        let li = || vec![OfficerId::parse("li").expect("id")];
        let fen = Money::from_fen;
        let approved = ReviewState::Approved { amount: fen(100), by: li() };
        assert_eq!(check_disbursable(Outcome::Approve, &ReviewState::NotReferred, fen(1_000_000)), Ok(()));
        assert_eq!(check_disbursable(Outcome::Refer, &approved, fen(100)), Ok(()));
        assert_eq!(
            check_disbursable(Outcome::Refer, &approved, fen(101)),
            Err(DisbursementRefusal::AboveApproved { amount: fen(101), approved: fen(100) })
        );
        let maker = OfficerId::parse("li").expect("id");
        for (outcome, state) in [
            (Outcome::Decline, ReviewState::NotReferred),
            (Outcome::Refer, ReviewState::Pending),
            (Outcome::Refer, ReviewState::AwaitingCheck { maker, amount: fen(100) }),
            (Outcome::Refer, ReviewState::Declined { by: li() }),
        ] {
            let refused = check_disbursable(outcome, &state, fen(1));
            assert!(matches!(refused, Err(DisbursementRefusal::NotApproved { .. })), "{outcome} {state:?}");
        }
        assert!(matches!(
            check_disbursable(Outcome::Approve, &ReviewState::NotReferred, fen(0)),
            Err(DisbursementRefusal::AmountNotPositive { .. })
        ));
    }

    #[test]
    fn a_disbursement_needs_its_ids_and_a_positive_amount() {
        let d = Disbursement {
            decision_id: DecisionId::parse("D1").expect("id"),
            loan_id: "L-D1".into(),
            request_id: "r".into(),
            amount: Money::from_fen(1),
            disbursed_at: Timestamp::parse("2026-12-01T08:00:00+08:00").expect("timestamp"),
            request_sha256: String::new(),
        };
        assert_eq!(d.check(), Ok(()));
        let nameless = Disbursement { loan_id: String::new(), ..d.clone() };
        assert_eq!(nameless.check(), Err(DisbursementRefusal::Empty { field: "loan_id" }));
        let zero = Disbursement { amount: Money::ZERO, ..d };
        assert_eq!(zero.check(), Err(DisbursementRefusal::AmountNotPositive { amount: Money::ZERO }));
        assert_eq!(
            DisbursementRefusal::AboveApproved { amount: Money::from_fen(101), approved: Money::from_fen(100) }
                .to_string(),
            "101 fen is above the approved 100 fen"
        );
    }
}
