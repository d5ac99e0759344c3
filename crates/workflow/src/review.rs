//! Manual review of referred decisions: loan officers ([`Officer`]), their actions ([`ReviewAction`]) and the state
//! machine of a decision's review ([`ReviewState::after`]).
//!
//! A decision referred by the automated policy goes to a loan officer. An officer approves (with an amount) or
//! declines; an approval above the officer's authority waits for a second, different officer whose authority covers
//! the amount to confirm or reject it (maker-checker). Approved and declined are final. The review state is a replay
//! of the append-only history of actions, never stored beside it, so it cannot disagree with it.

use std::fmt;

use domain::{DecisionId, Money, OfficerId, Timestamp};
use serde::{Deserialize, Serialize};

use crate::decision::{Invalid, Subject};

/// A loan officer who reviews referred decisions. Registered once; their authority changes only through dual control
/// (an administrator proposes, another confirms), and each review action keeps the authority in force when taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Officer {
    /// The officer's id.
    pub officer_id: OfficerId,
    /// Their name.
    pub name: String,
    /// The branch they work at.
    pub branch: String,
    /// The largest amount they may approve alone (whole fen in JSON, as `authority_fen`).
    #[serde(rename = "authority_fen", with = "domain::money::as_fen")]
    pub authority: Money,
    /// When they were registered.
    pub registered_at: Timestamp,
}

impl Officer {
    /// Checks an officer before they are registered; the error names the field.
    pub fn check(&self) -> Result<(), Invalid> {
        let invalid = |field, problem| Invalid::field(Subject::Officer, self.officer_id.as_str(), field, problem);
        if self.name.is_empty() {
            return Err(invalid("name", "is empty"));
        }
        if self.branch.is_empty() {
            return Err(invalid("branch", "is empty"));
        }
        if self.authority.is_negative() {
            return Err(invalid("authority_fen", "is negative"));
        }
        Ok(())
    }
}

/// What an officer does to a referred decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum ReviewAction {
    /// Approve the application for `amount`; above the officer's authority it awaits a check.
    Approve {
        /// The approved amount (whole fen in JSON, as `amount_fen`).
        #[serde(rename = "amount_fen", with = "domain::money::as_fen")]
        amount: Money,
    },
    /// Decline the application.
    Decline,
    /// As checker, confirm another officer's approval.
    Confirm,
    /// As checker, reject another officer's approval: the application is declined.
    Reject,
}

impl ReviewAction {
    /// Every action's code, as stored.
    pub const CODES: [&'static str; 4] = ["approve", "decline", "confirm", "reject"];

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
    pub fn amount(self) -> Option<Money> {
        match self {
            ReviewAction::Approve { amount } => Some(amount),
            _ => None,
        }
    }

    /// The action with this code and amount: an approval states an amount, the other actions none.
    pub fn from_parts(code: &str, amount: Option<Money>) -> Option<ReviewAction> {
        match (code, amount) {
            ("approve", Some(amount)) => Some(ReviewAction::Approve { amount }),
            ("decline", None) => Some(ReviewAction::Decline),
            ("confirm", None) => Some(ReviewAction::Confirm),
            ("reject", None) => Some(ReviewAction::Reject),
            _ => None,
        }
    }
}

impl fmt::Display for ReviewAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One recorded review action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewStep {
    /// The decision reviewed.
    pub decision_id: DecisionId,
    /// Position in the decision's review, from 1.
    pub seq: u32,
    /// The acting officer.
    pub officer_id: OfficerId,
    /// What they did.
    pub action: ReviewAction,
    /// Why, in their words.
    pub reason: String,
    /// When.
    pub acted_at: Timestamp,
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
        maker: OfficerId,
        /// The amount approved (whole fen in JSON, as `amount_fen`).
        #[serde(rename = "amount_fen", with = "domain::money::as_fen")]
        amount: Money,
    },
    /// Approved by review (final).
    Approved {
        /// The approved amount (whole fen in JSON, as `amount_fen`).
        #[serde(rename = "amount_fen", with = "domain::money::as_fen")]
        amount: Money,
        /// The maker, then the checker if there was one.
        by: Vec<OfficerId>,
    },
    /// Declined by review (final).
    Declined {
        /// The officer who declined, or the maker then the rejecting checker.
        by: Vec<OfficerId>,
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
        officer: OfficerId,
    },
    /// The checker's authority does not cover the approved amount.
    #[error("officer {officer}'s authority of {} fen is below the approved {} fen", .authority.fen(), .amount.fen())]
    CheckerAuthority {
        /// The checker.
        officer: OfficerId,
        /// Their authority.
        authority: Money,
        /// The amount awaiting the check.
        amount: Money,
    },
    /// An approval's amount is zero or negative.
    #[error("an approval's amount must be positive, not {} fen", .amount.fen())]
    AmountNotPositive {
        /// The amount given.
        amount: Money,
    },
    /// The reason is empty.
    #[error("a review action needs a reason")]
    EmptyReason,
    /// Another officer holds the case under a claim whose lease still runs (`crate::claim`).
    #[error("officer {holder} holds the case under a claim until {until}")]
    Claimed {
        /// The officer holding the claim.
        holder: OfficerId,
        /// When their lease ends.
        until: Timestamp,
    },
}

/// Refuses a review action without a reason.
pub fn check_reason(reason: &str) -> Result<(), ReviewRefusal> {
    if reason.is_empty() { Err(ReviewRefusal::EmptyReason) } else { Ok(()) }
}

impl ReviewState {
    /// The state after `officer` takes `action`, or the rule it breaks.
    pub fn after(&self, officer: &Officer, action: ReviewAction) -> Result<ReviewState, ReviewRefusal> {
        let me = || officer.officer_id.clone();
        match (self, action) {
            (ReviewState::NotReferred, _) => Err(ReviewRefusal::NotReferred),
            (ReviewState::Approved { .. } | ReviewState::Declined { .. }, _) => Err(ReviewRefusal::Final),
            (ReviewState::Pending, ReviewAction::Approve { amount }) if !amount.is_positive() => {
                Err(ReviewRefusal::AmountNotPositive { amount })
            }
            (ReviewState::Pending, ReviewAction::Approve { amount }) if amount <= officer.authority => {
                Ok(ReviewState::Approved { amount, by: vec![me()] })
            }
            (ReviewState::Pending, ReviewAction::Approve { amount }) => {
                Ok(ReviewState::AwaitingCheck { maker: me(), amount })
            }
            (ReviewState::Pending, ReviewAction::Decline) => Ok(ReviewState::Declined { by: vec![me()] }),
            (ReviewState::Pending, ReviewAction::Confirm | ReviewAction::Reject) => Err(ReviewRefusal::NothingToCheck),
            (ReviewState::AwaitingCheck { .. }, ReviewAction::Approve { .. } | ReviewAction::Decline) => {
                Err(ReviewRefusal::AwaitingCheck)
            }
            (ReviewState::AwaitingCheck { maker, .. }, _) if *maker == officer.officer_id => {
                Err(ReviewRefusal::OwnApproval { officer: me() })
            }
            (ReviewState::AwaitingCheck { amount, .. }, _) if officer.authority < *amount => {
                Err(ReviewRefusal::CheckerAuthority { officer: me(), authority: officer.authority, amount: *amount })
            }
            (ReviewState::AwaitingCheck { maker, amount }, ReviewAction::Confirm) => {
                Ok(ReviewState::Approved { amount: *amount, by: vec![maker.clone(), me()] })
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
    /// The recorded action, with its sequence number.
    pub step: ReviewStep,
    /// The review state it led to.
    pub state: ReviewState,
}

/// A referred decision still waiting for an officer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueItem {
    /// The decision.
    pub decision_id: DecisionId,
    /// Who or what was decided on.
    pub subject: String,
    /// When it was decided.
    pub decided_at: Timestamp,
    /// [`ReviewState::Pending`] or [`ReviewState::AwaitingCheck`].
    pub state: ReviewState,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn id(text: &str) -> OfficerId {
        OfficerId::parse(text).expect("officer id")
    }

    /// An officer of branch 990101 with the given authority, registered 2026-12-01.
    pub(crate) fn officer(officer_id: &str, authority_fen: i64) -> Officer {
        Officer {
            officer_id: id(officer_id),
            name: officer_id.into(),
            branch: "990101".into(),
            authority: Money::from_fen(authority_fen),
            registered_at: Timestamp::parse("2026-12-01T08:00:00Z").expect("timestamp"),
        }
    }

    fn fen(fen: i64) -> Money {
        Money::from_fen(fen)
    }

    #[test]
    fn an_approval_within_authority_is_final_and_above_it_awaits_a_check() {
        let li = officer("li", 5_000_000);
        let approve = |amount_fen| ReviewAction::Approve { amount: fen(amount_fen) };
        let within = ReviewState::Pending.after(&li, approve(5_000_000));
        assert_eq!(within, Ok(ReviewState::Approved { amount: fen(5_000_000), by: vec![id("li")] }));
        let above = ReviewState::Pending.after(&li, approve(5_000_001));
        assert_eq!(above, Ok(ReviewState::AwaitingCheck { maker: id("li"), amount: fen(5_000_001) }));
        assert_eq!(
            ReviewState::Pending.after(&li, approve(0)),
            Err(ReviewRefusal::AmountNotPositive { amount: fen(0) })
        );
    }

    #[test]
    fn a_check_needs_a_second_officer_with_enough_authority() {
        let awaiting = ReviewState::AwaitingCheck { maker: id("li"), amount: fen(8_000_000) };
        let own = awaiting.after(&officer("li", 10_000_000), ReviewAction::Confirm);
        assert_eq!(own, Err(ReviewRefusal::OwnApproval { officer: id("li") }));
        let weak = awaiting.after(&officer("zhao", 7_999_999), ReviewAction::Reject);
        assert!(matches!(weak, Err(ReviewRefusal::CheckerAuthority { .. })), "{weak:?}");
        let chief = officer("wang", 8_000_000);
        let by = vec![id("li"), id("wang")];
        assert_eq!(
            awaiting.after(&chief, ReviewAction::Confirm),
            Ok(ReviewState::Approved { amount: fen(8_000_000), by: by.clone() })
        );
        assert_eq!(awaiting.after(&chief, ReviewAction::Reject), Ok(ReviewState::Declined { by }));
        assert_eq!(awaiting.after(&chief, ReviewAction::Decline), Err(ReviewRefusal::AwaitingCheck));
    }

    #[test]
    fn final_and_unreferred_states_accept_nothing() {
        let chief = officer("wang", i64::MAX);
        let actions = [ReviewAction::Approve { amount: fen(1) }, ReviewAction::Decline, ReviewAction::Confirm];
        for action in actions {
            assert_eq!(ReviewState::NotReferred.after(&chief, action), Err(ReviewRefusal::NotReferred));
            let approved = ReviewState::Approved { amount: fen(1), by: vec![id("li")] };
            assert_eq!(approved.after(&chief, action), Err(ReviewRefusal::Final));
            assert_eq!(ReviewState::Declined { by: vec![] }.after(&chief, action), Err(ReviewRefusal::Final));
        }
        assert_eq!(ReviewState::Pending.after(&chief, ReviewAction::Confirm), Err(ReviewRefusal::NothingToCheck));
    }

    #[test]
    fn actions_round_trip_through_their_parts() {
        for action in [ReviewAction::Approve { amount: fen(7) }, ReviewAction::Decline, ReviewAction::Confirm] {
            assert_eq!(ReviewAction::from_parts(action.code(), action.amount()), Some(action));
        }
        assert_eq!(ReviewAction::from_parts("confirm", Some(fen(7))), None);
        assert_eq!(ReviewAction::from_parts("approve", None), None);
    }

    #[test]
    fn amounts_show_as_whole_fen_as_before_they_were_typed() {
        let awaiting = ReviewState::AwaitingCheck { maker: id("li"), amount: fen(8_000_000) };
        let json = serde_json::to_string(&awaiting).expect("json");
        assert_eq!(json, r#"{"state":"awaiting-check","maker":"li","amount_fen":8000000}"#);
        let action = serde_json::to_string(&ReviewAction::Approve { amount: fen(7) }).expect("json");
        assert_eq!(action, r#"{"action":"approve","amount_fen":7}"#);
        let li = serde_json::to_value(officer("li", 5)).expect("json");
        assert_eq!(li["authority_fen"], 5);
        let weak = ReviewRefusal::CheckerAuthority { officer: id("zhao"), authority: fen(1), amount: fen(2) };
        assert_eq!(weak.to_string(), "officer zhao's authority of 1 fen is below the approved 2 fen");
    }

    #[test]
    fn an_officer_is_checked_field_by_field() {
        assert_eq!(officer("li", 0).check(), Ok(()));
        let negative = officer("li", -1).check().expect_err("negative");
        assert_eq!(negative.field_name(), "authority_fen");
        let nameless = Officer { name: String::new(), ..officer("li", 1) };
        assert_eq!(nameless.check().map_err(|e| e.field_name()), Err("name"));
        assert_eq!(check_reason(""), Err(ReviewRefusal::EmptyReason));
    }
}
