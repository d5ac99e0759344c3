//! Manual review and disbursement of credit decisions: what a backend stores about loan officers, their review
//! actions and the disbursements that follow, and which moves the workflow allows.
//!
//! A decision referred by the automated policy goes to a loan officer. An officer approves (with an amount in fen)
//! or declines; an approval above the officer's authority waits for a second, different officer whose authority
//! covers the amount to confirm or reject it (maker-checker). Approved and declined are final. The review state is
//! derived from the append-only history of actions, never stored beside it, so it cannot disagree with it. A
//! decision approved automatically or by review is disbursed once; the client's request id makes that idempotent.

use std::fmt;
use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::StoreError;
use crate::decisions::Outcome;

/// A loan officer who reviews referred decisions. Registered once and never changed: a new authority is a new id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Officer {
    /// The officer's id.
    pub officer_id: String,
    /// Their name.
    pub name: String,
    /// The branch they work at.
    pub branch: String,
    /// The largest amount they may approve alone, in fen.
    pub authority_fen: i64,
    /// When they were registered (RFC 3339).
    pub registered_at: String,
}

/// What an officer does to a referred decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum ReviewAction {
    /// Approve the application for `amount_fen`; above the officer's authority it awaits a check.
    Approve {
        /// The approved amount, in fen.
        amount_fen: i64,
    },
    /// Decline the application.
    Decline,
    /// As checker, confirm another officer's approval.
    Confirm,
    /// As checker, reject another officer's approval: the application is declined.
    Reject,
}

impl ReviewAction {
    /// The stable code, as stored.
    pub fn code(self) -> &'static str {
        match self {
            ReviewAction::Approve { .. } => "approve",
            ReviewAction::Decline => "decline",
            ReviewAction::Confirm => "confirm",
            ReviewAction::Reject => "reject",
        }
    }

    /// The amount an approval states; none for the other actions.
    pub fn amount_fen(self) -> Option<i64> {
        match self {
            ReviewAction::Approve { amount_fen } => Some(amount_fen),
            _ => None,
        }
    }

    /// Rebuilds an action from its stored code and amount.
    pub fn from_columns(code: &str, amount_fen: Option<i64>) -> Result<ReviewAction, StoreError> {
        match (code, amount_fen) {
            ("approve", Some(amount_fen)) => Ok(ReviewAction::Approve { amount_fen }),
            ("decline", None) => Ok(ReviewAction::Decline),
            ("confirm", None) => Ok(ReviewAction::Confirm),
            ("reject", None) => Ok(ReviewAction::Reject),
            _ => Err(StoreError::Corrupt(format!("review action '{code}' with amount {amount_fen:?}"))),
        }
    }
}

impl fmt::Display for ReviewAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One stored review action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewStep {
    /// The decision reviewed.
    pub decision_id: String,
    /// Position in the decision's review, from 1.
    pub seq: u32,
    /// The acting officer.
    pub officer_id: String,
    /// What they did.
    pub action: ReviewAction,
    /// Why, in their words.
    pub reason: String,
    /// When (RFC 3339).
    pub acted_at: String,
}

/// Where a decision stands in manual review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum ReviewState {
    /// Approved or declined automatically: final, nothing to review.
    NotReferred,
    /// Referred, waiting for an officer.
    Pending,
    /// Approved above the maker's authority, waiting for a second officer.
    AwaitingCheck {
        /// The approving officer.
        maker: String,
        /// The amount approved, in fen.
        amount_fen: i64,
    },
    /// Approved by review (final).
    Approved {
        /// The approved amount, in fen.
        amount_fen: i64,
        /// The maker, then the checker if there was one.
        by: Vec<String>,
    },
    /// Declined by review (final).
    Declined {
        /// The officer who declined, or the maker then the rejecting checker.
        by: Vec<String>,
    },
}

/// Why a review action is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewRefusal {
    /// The decision was not referred (it was approved or declined automatically).
    #[error("only a referred decision is reviewed")]
    NotReferred,
    /// The review reached approved or declined.
    #[error("the review is final")]
    Final,
    /// An approval awaits its check; only confirm or reject are accepted.
    #[error("an approval awaits a second officer's confirm or reject")]
    AwaitingCheck,
    /// Confirm or reject without an approval awaiting a check.
    #[error("no approval awaits a check")]
    NothingToCheck,
    /// The maker tried to check their own approval.
    #[error("officer {officer} cannot check their own approval")]
    OwnApproval {
        /// The officer.
        officer: String,
    },
    /// The checker's authority does not cover the approved amount.
    #[error("officer {officer}'s authority of {authority_fen} fen is below the approved {amount_fen} fen")]
    CheckerAuthority {
        /// The checker.
        officer: String,
        /// Their authority, in fen.
        authority_fen: i64,
        /// The amount awaiting the check, in fen.
        amount_fen: i64,
    },
    /// An approval's amount is zero or negative.
    #[error("an approval's amount must be positive, not {amount_fen} fen")]
    AmountNotPositive {
        /// The amount given.
        amount_fen: i64,
    },
    /// The reason is empty.
    #[error("a review action needs a reason")]
    EmptyReason,
}

impl ReviewState {
    /// The state after `officer` takes `action`, or the rule it breaks.
    pub fn after(&self, officer: &Officer, action: ReviewAction) -> Result<ReviewState, ReviewRefusal> {
        let me = || officer.officer_id.clone();
        match (self, action) {
            (ReviewState::NotReferred, _) => Err(ReviewRefusal::NotReferred),
            (ReviewState::Approved { .. } | ReviewState::Declined { .. }, _) => Err(ReviewRefusal::Final),
            (ReviewState::Pending, ReviewAction::Approve { amount_fen }) if amount_fen <= 0 => {
                Err(ReviewRefusal::AmountNotPositive { amount_fen })
            }
            (ReviewState::Pending, ReviewAction::Approve { amount_fen }) if amount_fen <= officer.authority_fen => {
                Ok(ReviewState::Approved { amount_fen, by: vec![me()] })
            }
            (ReviewState::Pending, ReviewAction::Approve { amount_fen }) => {
                Ok(ReviewState::AwaitingCheck { maker: me(), amount_fen })
            }
            (ReviewState::Pending, ReviewAction::Decline) => Ok(ReviewState::Declined { by: vec![me()] }),
            (ReviewState::Pending, ReviewAction::Confirm | ReviewAction::Reject) => Err(ReviewRefusal::NothingToCheck),
            (ReviewState::AwaitingCheck { .. }, ReviewAction::Approve { .. } | ReviewAction::Decline) => {
                Err(ReviewRefusal::AwaitingCheck)
            }
            (ReviewState::AwaitingCheck { maker, .. }, _) if *maker == officer.officer_id => {
                Err(ReviewRefusal::OwnApproval { officer: me() })
            }
            (ReviewState::AwaitingCheck { amount_fen, .. }, _) if officer.authority_fen < *amount_fen => {
                Err(ReviewRefusal::CheckerAuthority {
                    officer: me(),
                    authority_fen: officer.authority_fen,
                    amount_fen: *amount_fen,
                })
            }
            (ReviewState::AwaitingCheck { maker, amount_fen }, ReviewAction::Confirm) => {
                Ok(ReviewState::Approved { amount_fen: *amount_fen, by: vec![maker.clone(), me()] })
            }
            (ReviewState::AwaitingCheck { maker, .. }, ReviewAction::Reject) => {
                Ok(ReviewState::Declined { by: vec![maker.clone(), me()] })
            }
        }
    }

    /// Whether the case still waits for an officer (pending or awaiting a check).
    pub fn open(&self) -> bool {
        matches!(self, ReviewState::Pending | ReviewState::AwaitingCheck { .. })
    }
}

/// The outcome of a review action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reviewed {
    /// The stored action, with its sequence number.
    pub step: ReviewStep,
    /// The review state it led to.
    pub state: ReviewState,
}

/// A referred decision still waiting for an officer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueItem {
    /// The decision.
    pub decision_id: String,
    /// Who or what was decided on.
    pub subject: String,
    /// When it was decided (RFC 3339).
    pub decided_at: String,
    /// [`ReviewState::Pending`] or [`ReviewState::AwaitingCheck`].
    pub state: ReviewState,
}

/// The payment of an approved loan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disbursement {
    /// The approved decision.
    pub decision_id: String,
    /// The loan booked for it.
    pub loan_id: String,
    /// The client's request id (idempotency key).
    pub request_id: String,
    /// The amount paid out, in fen.
    pub amount_fen: i64,
    /// When (RFC 3339).
    pub disbursed_at: String,
    /// SHA-256 (hex) of the request's canonical form: the same request id with another request is refused.
    pub request_sha256: String,
}

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
    #[error("{amount_fen} fen is above the approved {approved_fen} fen")]
    AboveApproved {
        /// The amount asked for, in fen.
        amount_fen: i64,
        /// The approved amount, in fen.
        approved_fen: i64,
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
    #[error("the amount must be positive, not {amount_fen} fen")]
    AmountNotPositive {
        /// The amount given.
        amount_fen: i64,
    },
    /// A required field is empty.
    #[error("{field} is empty")]
    Empty {
        /// The field.
        field: &'static str,
    },
}

/// Whether a decision with this outcome and review state may be disbursed `amount_fen`. An automated approval's
/// amount is the caller's to take from the decision record; a reviewed one is capped by the approved amount.
pub fn check_disbursable(outcome: Outcome, state: &ReviewState, amount_fen: i64) -> Result<(), DisbursementRefusal> {
    if amount_fen <= 0 {
        return Err(DisbursementRefusal::AmountNotPositive { amount_fen });
    }
    match state {
        ReviewState::NotReferred if outcome == Outcome::Approve => Ok(()),
        ReviewState::Approved { amount_fen: approved_fen, .. } if amount_fen > *approved_fen => {
            Err(DisbursementRefusal::AboveApproved { amount_fen, approved_fen: *approved_fen })
        }
        ReviewState::Approved { .. } => Ok(()),
        _ => Err(DisbursementRefusal::NotApproved { outcome, state: state.clone() }),
    }
}

/// Checks an officer before they are stored; the error names the field.
pub(crate) fn check_officer(officer: &Officer) -> Result<(), StoreError> {
    let invalid = |field: &'static str, problem: &'static str| StoreError::InvalidOfficer {
        officer: officer.officer_id.clone(),
        field,
        problem,
    };
    if officer.officer_id.is_empty() {
        return Err(invalid("officer_id", "is empty"));
    }
    if officer.name.is_empty() {
        return Err(invalid("name", "is empty"));
    }
    if officer.branch.is_empty() {
        return Err(invalid("branch", "is empty"));
    }
    if officer.authority_fen < 0 {
        return Err(invalid("authority_fen", "is negative"));
    }
    Ok(())
}

/// Checks a disbursement's own fields before the decision is looked at.
pub(crate) fn check_disbursement(d: &Disbursement) -> Result<(), StoreError> {
    let refuse = |refusal| StoreError::Disbursement { decision: d.decision_id.clone(), refusal };
    for (field, value) in [("decision_id", &d.decision_id), ("loan_id", &d.loan_id), ("request_id", &d.request_id)] {
        if value.is_empty() {
            return Err(refuse(DisbursementRefusal::Empty { field }));
        }
    }
    if d.amount_fen <= 0 {
        return Err(refuse(DisbursementRefusal::AmountNotPositive { amount_fen: d.amount_fen }));
    }
    Ok(())
}

/// The review workflow every backend provides. Each method is one transaction.
pub trait ReviewWorkflow: Send + Sync {
    /// Registers an officer; the same officer again is a no-op, the same id with other data
    /// [`StoreError::OfficerClash`].
    fn register_officer(&self, officer: &Officer) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// An officer by id.
    fn officer(&self, officer_id: &str) -> impl Future<Output = Result<Option<Officer>, StoreError>> + Send;

    /// Records an officer's action on a decision, checked against the workflow ([`ReviewState::after`]); a
    /// refusal is [`StoreError::Review`] and writes nothing.
    fn review(
        &self,
        decision_id: &str,
        officer_id: &str,
        action: ReviewAction,
        reason: &str,
        acted_at: &str,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn officer(id: &str, authority_fen: i64) -> Officer {
        Officer {
            officer_id: id.into(),
            name: id.into(),
            branch: "990101".into(),
            authority_fen,
            registered_at: "2026-12-01T08:00:00Z".into(),
        }
    }

    #[test]
    fn an_approval_within_authority_is_final_and_above_it_awaits_a_check() {
        let li = officer("li", 5_000_000);
        let approve = |amount_fen| ReviewAction::Approve { amount_fen };
        let within = ReviewState::Pending.after(&li, approve(5_000_000));
        assert_eq!(within, Ok(ReviewState::Approved { amount_fen: 5_000_000, by: vec!["li".into()] }));
        let above = ReviewState::Pending.after(&li, approve(5_000_001));
        assert_eq!(above, Ok(ReviewState::AwaitingCheck { maker: "li".into(), amount_fen: 5_000_001 }));
        assert_eq!(
            ReviewState::Pending.after(&li, approve(0)),
            Err(ReviewRefusal::AmountNotPositive { amount_fen: 0 })
        );
    }

    #[test]
    fn a_check_needs_a_second_officer_with_enough_authority() {
        let awaiting = ReviewState::AwaitingCheck { maker: "li".into(), amount_fen: 8_000_000 };
        let own = awaiting.after(&officer("li", 10_000_000), ReviewAction::Confirm);
        assert_eq!(own, Err(ReviewRefusal::OwnApproval { officer: "li".into() }));
        let weak = awaiting.after(&officer("zhao", 7_999_999), ReviewAction::Reject);
        assert!(matches!(weak, Err(ReviewRefusal::CheckerAuthority { .. })), "{weak:?}");
        let chief = officer("wang", 8_000_000);
        let by = vec!["li".to_string(), "wang".to_string()];
        assert_eq!(
            awaiting.after(&chief, ReviewAction::Confirm),
            Ok(ReviewState::Approved { amount_fen: 8_000_000, by: by.clone() })
        );
        assert_eq!(awaiting.after(&chief, ReviewAction::Reject), Ok(ReviewState::Declined { by }));
        assert_eq!(awaiting.after(&chief, ReviewAction::Decline), Err(ReviewRefusal::AwaitingCheck));
    }

    #[test]
    fn final_and_unreferred_states_accept_nothing() {
        let chief = officer("wang", i64::MAX);
        let actions = [ReviewAction::Approve { amount_fen: 1 }, ReviewAction::Decline, ReviewAction::Confirm];
        for action in actions {
            assert_eq!(ReviewState::NotReferred.after(&chief, action), Err(ReviewRefusal::NotReferred));
            let approved = ReviewState::Approved { amount_fen: 1, by: vec!["li".into()] };
            assert_eq!(approved.after(&chief, action), Err(ReviewRefusal::Final));
            assert_eq!(ReviewState::Declined { by: vec![] }.after(&chief, action), Err(ReviewRefusal::Final));
        }
        assert_eq!(ReviewState::Pending.after(&chief, ReviewAction::Confirm), Err(ReviewRefusal::NothingToCheck));
    }

    #[test]
    fn only_approvals_are_disbursed_and_reviewed_ones_up_to_the_approved_amount() {
        let approved = ReviewState::Approved { amount_fen: 100, by: vec!["li".into()] };
        assert_eq!(check_disbursable(Outcome::Approve, &ReviewState::NotReferred, 1_000_000), Ok(()));
        assert_eq!(check_disbursable(Outcome::Refer, &approved, 100), Ok(()));
        assert!(matches!(
            check_disbursable(Outcome::Refer, &approved, 101),
            Err(DisbursementRefusal::AboveApproved { approved_fen: 100, .. })
        ));
        for (outcome, state) in [
            (Outcome::Decline, ReviewState::NotReferred),
            (Outcome::Refer, ReviewState::Pending),
            (Outcome::Refer, ReviewState::AwaitingCheck { maker: "li".into(), amount_fen: 100 }),
            (Outcome::Refer, ReviewState::Declined { by: vec!["li".into()] }),
        ] {
            let refused = check_disbursable(outcome, &state, 1);
            assert!(matches!(refused, Err(DisbursementRefusal::NotApproved { .. })), "{outcome} {state:?}");
        }
        assert!(matches!(
            check_disbursable(Outcome::Approve, &ReviewState::NotReferred, 0),
            Err(DisbursementRefusal::AmountNotPositive { .. })
        ));
    }

    #[test]
    fn actions_round_trip_through_their_columns() {
        for action in [ReviewAction::Approve { amount_fen: 7 }, ReviewAction::Decline, ReviewAction::Confirm] {
            assert_eq!(ReviewAction::from_columns(action.code(), action.amount_fen()).ok(), Some(action));
        }
        assert!(ReviewAction::from_columns("confirm", Some(7)).is_err());
        assert!(ReviewAction::from_columns("approve", None).is_err());
    }
}
