//! Dual control as use cases: one person proposes an act ([`propose`]), another confirms it ([`confirm`], which
//! carries the act out as the confirming person) or rejects it ([`reject`], which does nothing). The acts ([`Act`]):
//! a policy version retired or taken out of active (`policy::lifecycle::PolicyStatus::needs_confirmation`), a model
//! moved to champion, challenger or retired, an officer's authority set, a loan reclassified or written off.
//!
//! A proposal is checked against the current state when it is made (the policy's lifecycle, the model's, the
//! lending core's), so one that cannot be carried out is refused at once. Carrying out is idempotent, so a crash
//! between the act and the recorded confirmation is repaired by confirming again: a policy or model already in the
//! target status counts as done, a loan event carries the key `proposal:ID` and is not posted twice, an officer's
//! authority change is kept once per proposal. The rules of who may decide are `workflow::dual`'s, applied by the
//! store; the audit entries of the act name the proposal.

use domain::{Clock, Date, LoanId, Money, OfficerId};
use identity::Permission;
use lending::{DatedEvent, FiveCategory, LoanEvent};
use policy::lifecycle::PolicyStatus;
use scoring::lifecycle::ModelStatus;
use serde::{Deserialize, Serialize};
use store::{DualControl, LoanStore, ModelRegistry, PolicyRegister, ReviewWorkflow};
use workflow::dual::{NewProposal, Proposal, ProposalKind, Verdict, check_decision};

use crate::error::{Error, ErrorCode};
use crate::loans::Loans;

/// What a proposal does once confirmed, typed; its JSON form is the proposal's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "act", rename_all = "snake_case", deny_unknown_fields)]
pub enum Act {
    /// Move a policy version to a status that stops it deciding (retired, or out of active).
    PolicyMove {
        /// The version.
        policy_id: String,
        /// The status it moves to.
        to: PolicyStatus,
    },
    /// Move a model to champion, challenger or retired.
    ModelMove {
        /// The model.
        model_id: String,
        /// The status it moves to.
        to: ModelStatus,
    },
    /// Set a loan officer's authority (the largest amount they may approve alone) from now on.
    OfficerAuthority {
        /// The officer.
        officer_id: OfficerId,
        /// The new authority (whole fen in JSON, as `authority_fen`).
        #[serde(rename = "authority_fen", with = "domain::money::as_fen")]
        authority: Money,
    },
    /// Override a loan's five-category class from a date.
    LoanReclassify {
        /// The loan.
        loan_id: LoanId,
        /// The date it takes effect.
        date: Date,
        /// The class.
        class: FiveCategory,
    },
    /// Write a loan off on a date.
    LoanWriteOff {
        /// The loan.
        loan_id: LoanId,
        /// The date it takes effect.
        date: Date,
    },
}

impl Act {
    /// Its proposal kind.
    pub fn kind(&self) -> ProposalKind {
        match self {
            Act::PolicyMove { .. } => ProposalKind::PolicyMove,
            Act::ModelMove { .. } => ProposalKind::ModelMove,
            Act::OfficerAuthority { .. } => ProposalKind::OfficerAuthority,
            Act::LoanReclassify { .. } => ProposalKind::LoanReclassify,
            Act::LoanWriteOff { .. } => ProposalKind::LoanWriteOff,
        }
    }

    /// The record it acts on: `policy:ID`, `model:ID`, `officer:ID` or `loan:ID`.
    pub fn target(&self) -> String {
        match self {
            Act::PolicyMove { policy_id, .. } => format!("policy:{policy_id}"),
            Act::ModelMove { model_id, .. } => format!("model:{model_id}"),
            Act::OfficerAuthority { officer_id, .. } => format!("officer:{officer_id}"),
            Act::LoanReclassify { loan_id, .. } | Act::LoanWriteOff { loan_id, .. } => format!("loan:{loan_id}"),
        }
    }

    /// What it does, for people: `retire policy …`, `write off loan L000001 on 2026-12-01`.
    pub fn describe(&self) -> String {
        match self {
            Act::PolicyMove { policy_id, to } => format!("move policy {policy_id} to {to}"),
            Act::ModelMove { model_id, to } => format!("move model {model_id} to {to}"),
            Act::OfficerAuthority { officer_id, authority } => {
                format!("set officer {officer_id}'s authority to {authority}")
            }
            Act::LoanReclassify { loan_id, date, class } => {
                format!("reclassify loan {loan_id} as {} from {date}", class.name_zh())
            }
            Act::LoanWriteOff { loan_id, date } => format!("write off loan {loan_id} on {date}"),
        }
    }

    /// The act a kept proposal holds; a payload that does not read back is a corrupt store.
    pub fn of(proposal: &Proposal) -> Result<Act, Error> {
        let act: Act = serde_json::from_str(&proposal.proposal.payload)
            .map_err(|e| Error::internal(format!("proposal {}: payload: {e}", proposal.id)))?;
        if act.kind() != proposal.proposal.kind || act.target() != proposal.proposal.target {
            return Err(Error::internal(format!(
                "proposal {}: payload does not match its kind and target",
                proposal.id
            )));
        }
        Ok(act)
    }
}

/// The permission a person needs to propose or decide a proposal of `kind` over HTTP; `None` for the kinds decided
/// only on the command line (model moves, loan reclassifications and write-offs: no route grants them).
pub fn permission(kind: ProposalKind) -> Option<Permission> {
    match kind {
        ProposalKind::PolicyMove => Some(Permission::MovePolicies),
        ProposalKind::OfficerAuthority => Some(Permission::ManageOfficers),
        ProposalKind::ModelMove | ProposalKind::LoanReclassify | ProposalKind::LoanWriteOff => None,
    }
}

/// The most proposals one list returns.
pub const MAX_LIST: u32 = 200;

/// The store's registers dual control acts on.
pub trait Registers: DualControl + PolicyRegister + ModelRegistry + LoanStore + ReviewWorkflow + Clone {}

impl<S: DualControl + PolicyRegister + ModelRegistry + LoanStore + ReviewWorkflow + Clone> Registers for S {}

fn key_of(id: &str) -> String {
    format!("proposal:{id}")
}

/// Refuses an act that could not be carried out now: an unknown record, a move the lifecycle forbids or that needs
/// no second person, an event the lending core refuses.
async fn check_act<S: Registers>(store: &S, act: &Act, reason: &str) -> Result<(), Error> {
    match act {
        Act::PolicyMove { policy_id, to } => {
            let current =
                store.policies(None).await?.into_iter().find(|p| &p.version.policy_id == policy_id).ok_or_else(
                    || Error::coded(ErrorCode::UnknownPolicy, "policy", format!("policy {policy_id} not found")),
                )?;
            current.status.check_edge(*to).map_err(|refusal| {
                Error::coded(ErrorCode::IllegalMove, "to", format!("policy {policy_id}: {refusal}"))
            })?;
            if !current.status.needs_confirmation(*to) {
                return Err(Error::coded(
                    ErrorCode::IllegalMove,
                    "to",
                    format!("a move from {} to {to} is made directly, not proposed", current.status),
                ));
            }
        }
        Act::ModelMove { model_id, to } => {
            let (summary, _) = store
                .model(model_id)
                .await?
                .ok_or_else(|| Error::coded(ErrorCode::UnknownModel, "id", format!("model {model_id} not found")))?;
            summary.status.check_move(*to).map_err(|refusal| {
                Error::coded(ErrorCode::IllegalMove, "to", format!("model {model_id}: {refusal}"))
            })?;
            if summary.status == *to {
                return Err(Error::coded(ErrorCode::IllegalMove, "to", format!("model {model_id} is {to} already")));
            }
        }
        Act::OfficerAuthority { officer_id, authority } => {
            if authority.is_negative() {
                return Err(Error::coded(ErrorCode::OutOfRange, "authority", "is negative"));
            }
            store.officer(officer_id.as_str()).await?.ok_or_else(|| {
                Error::coded(ErrorCode::UnknownOfficer, "officer_id", format!("officer {officer_id} not found"))
            })?;
        }
        Act::LoanReclassify { loan_id, date, .. } | Act::LoanWriteOff { loan_id, date } => {
            let event = loan_event(act, reason, "checker")?;
            Loans::new(store.clone()).check_post(loan_id, &DatedEvent { date: *date, event }).await?;
        }
    }
    Ok(())
}

/// The loan event a loan act posts, with the proposal's reason and the confirming person as approver.
fn loan_event(act: &Act, reason: &str, approver: &str) -> Result<LoanEvent, Error> {
    let (reason, approver) = (reason.to_string(), approver.to_string());
    match act {
        Act::LoanReclassify { class, .. } => Ok(LoanEvent::Reclassified { class: *class, reason, approver }),
        Act::LoanWriteOff { .. } => Ok(LoanEvent::WrittenOff { reason, approver }),
        _ => Err(Error::internal("not a loan act")),
    }
}

/// Proposes `act` for `reason` as `by` (the acting person). Refused at once when the act could not be carried out
/// now, and while another proposal of the same kind and target waits (`proposal_open`).
pub async fn propose<S: Registers>(
    store: &S,
    act: &Act,
    reason: &str,
    by: &str,
    clock: &(dyn Clock + Send + Sync),
) -> Result<Proposal, Error> {
    crate::review::text("reason", reason)?;
    check_act(store, act, reason).await?;
    let payload = serde_json::to_string(act).map_err(Error::internal)?;
    let proposal = NewProposal {
        kind: act.kind(),
        target: act.target(),
        payload,
        reason: reason.to_string(),
        proposed_by: by.to_string(),
        proposed_at: clock.now(),
    };
    Ok(store.propose(&proposal).await?)
}

/// A proposal as the JSON both surfaces show: id, kind, target, the payload as an object, reason, who proposed it
/// and when, and its decision (`null` while open).
pub fn view(p: &Proposal) -> serde_json::Value {
    let payload: serde_json::Value = serde_json::from_str(&p.proposal.payload).unwrap_or(serde_json::Value::Null);
    serde_json::json!({
        "id": p.id,
        "kind": p.proposal.kind.code(),
        "target": p.proposal.target,
        "payload": payload,
        "reason": p.proposal.reason,
        "proposed_by": p.proposal.proposed_by,
        "proposed_at": p.proposal.proposed_at.to_string(),
        "decision": p.decision.as_ref().map(|d| serde_json::json!({
            "verdict": d.verdict.code(),
            "decided_by": d.decided_by,
            "decided_at": d.decided_at.to_string(),
            "reason": d.reason,
        })),
    })
}

/// Whether `principal` may decide `proposal` over HTTP: the permission its kind needs ([`permission`]), and not
/// their own proposal.
pub fn decidable_by(proposal: &Proposal, principal: &identity::Principal) -> bool {
    permission(proposal.proposal.kind).is_some_and(|p| principal.may(p))
        && !workflow::dual::same_person(&principal.actor.to_string(), &proposal.proposal.proposed_by)
}

/// A proposal by id (`unknown_proposal` if none).
pub async fn get<S: DualControl>(store: &S, id: &str) -> Result<Proposal, Error> {
    store
        .proposal(id)
        .await?
        .ok_or_else(|| Error::coded(ErrorCode::UnknownProposal, "id", format!("proposal {id} not found")))
}

/// At most [`MAX_LIST`] proposals, oldest first; only the open ones unless `all`.
pub async fn list<S: DualControl>(store: &S, all: bool) -> Result<Vec<Proposal>, Error> {
    Ok(store.proposals(!all, MAX_LIST).await?)
}

/// Carries `act` out as `by` through `acting` (the store carrying out proposal `id`); idempotent.
async fn carry_out<S: Registers>(
    acting: &S,
    id: &str,
    act: &Act,
    reason: &str,
    by: &str,
    clock: &(dyn Clock + Send + Sync),
) -> Result<(), Error> {
    let reason = format!("{reason} (proposal {id})");
    match act {
        Act::PolicyMove { policy_id, to } => {
            acting.move_policy(policy_id, *to, by, &clock.now_rfc3339(), &reason).await?;
        }
        Act::ModelMove { model_id, to } => {
            acting.set_model_status(model_id, *to, &clock.now_rfc3339(), by, &reason).await?;
        }
        Act::OfficerAuthority { officer_id, authority } => {
            acting.set_authority(officer_id.as_str(), *authority, &clock.now(), id).await?;
        }
        Act::LoanReclassify { loan_id, date, .. } | Act::LoanWriteOff { loan_id, date } => {
            let loans = Loans::new(acting.clone());
            let key = key_of(id);
            if !loans.has_key(loan_id, &key).await? {
                let event = loan_event(act, &reason, by)?;
                loans.post(loan_id, DatedEvent { date: *date, event }, Some(key)).await?;
            }
        }
    }
    Ok(())
}

/// Confirms proposal `id` as `by`: refused (nothing done) if it is unknown, decided before or `by`'s own;
/// otherwise the act is carried out as `by`, its audit entries naming the proposal, and then the confirmation is
/// recorded. Confirming again after a crash between the two finishes the confirmation without acting twice;
/// confirming a confirmed proposal is refused (`proposal_decided`).
pub async fn confirm<S: Registers>(
    store: &S,
    id: &str,
    by: &str,
    clock: &(dyn Clock + Send + Sync),
) -> Result<(Proposal, Act), Error> {
    let proposal = get(store, id).await?;
    check_decision(&proposal, Verdict::Confirmed, by, "")
        .map_err(|refusal| Error::from(store::StoreError::Dual { refusal }))?;
    let act = Act::of(&proposal)?;
    carry_out(&store.for_proposal(id), id, &act, &proposal.proposal.reason, by, clock).await?;
    let decided = store.decide_proposal(id, Verdict::Confirmed, by, &clock.now(), "").await?;
    Ok((decided, act))
}

/// Rejects proposal `id` as `by` for `reason`: nothing is done, and the proposal is closed.
pub async fn reject<S: DualControl>(
    store: &S,
    id: &str,
    by: &str,
    reason: &str,
    clock: &(dyn Clock + Send + Sync),
) -> Result<Proposal, Error> {
    crate::review::text("reason", reason)?;
    get(store, id).await?;
    Ok(store.decide_proposal(id, Verdict::Rejected, by, &clock.now(), reason).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_act_round_trips_through_its_payload() {
        let acts = [
            Act::PolicyMove { policy_id: "a".repeat(64), to: PolicyStatus::Retired },
            Act::ModelMove { model_id: "m1".into(), to: ModelStatus::Champion },
            Act::OfficerAuthority {
                officer_id: OfficerId::parse("O1").expect("id"),
                authority: Money::from_fen(5_000_000),
            },
            Act::LoanReclassify {
                loan_id: LoanId::parse("L000001").expect("id"),
                date: domain::parse_date("2026-12-01").expect("date"),
                class: FiveCategory::Doubtful,
            },
            Act::LoanWriteOff {
                loan_id: LoanId::parse("L000001").expect("id"),
                date: domain::parse_date("2026-12-01").expect("date"),
            },
        ];
        for act in acts {
            let proposal = Proposal {
                id: "P000001".into(),
                proposal: NewProposal {
                    kind: act.kind(),
                    target: act.target(),
                    payload: serde_json::to_string(&act).expect("json"),
                    reason: "r".into(),
                    proposed_by: "os:a".into(),
                    proposed_at: domain::Timestamp::parse("2026-12-07T10:00:00+08:00").expect("at"),
                },
                decision: None,
            };
            assert_eq!(proposal.proposal.check(), Ok(()));
            assert_eq!(Act::of(&proposal).expect("reads back"), act);
        }
    }

    /// A clock stopped at one instant.
    struct Stopped;

    impl Clock for Stopped {
        fn today(&self) -> Date {
            domain::parse_date("2026-01-15").expect("date")
        }

        fn now(&self) -> domain::Timestamp {
            domain::Timestamp::parse("2026-01-15T10:00:00+08:00").expect("at")
        }
    }

    #[tokio::test]
    async fn a_confirmation_repeated_after_a_crash_carries_the_act_out_once() {
        use store::SqliteStore;
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(dir.path()).await.expect("open");
        let loans = Loans::new(store.clone());
        let mut request = lending::TermsRequest::new("equal-installment", "1200", "0.06", "2026-01-01");
        request.term_months = Some(2);
        let terms = lending::LoanTerms::new(&request, &domain::CropCalendar::china_default()).expect("terms");
        let borrower = domain::BorrowerId::parse("B1").expect("borrower");
        let loan = loans.create_loan(None, borrower, terms, "cbirc-2023", "os:officer").await.expect("book");
        loans.disburse(&loan, None, None).await.expect("disburse");
        let date = domain::parse_date("2026-01-15").expect("date");
        let act = Act::LoanReclassify { loan_id: loan.clone(), date, class: FiveCategory::Doubtful };
        let alice = store.acting("os:alice", "cli");
        let proposal = propose(&alice, &act, "drought", "os:alice", &Stopped).await.expect("propose");
        // The act was carried out, then the process died before the confirmation was recorded.
        carry_out(&alice.for_proposal(&proposal.id), &proposal.id, &act, "drought", "os:bob", &Stopped)
            .await
            .expect("act");
        assert!(get(&store, &proposal.id).await.expect("read").is_open());
        // Another person confirms it this time: the event stored under the proposal's key stands.
        let bob = store.acting("os:carol", "cli");
        let (decided, _) = confirm(&bob, &proposal.id, "os:carol", &Stopped).await.expect("confirm again");
        assert_eq!(decided.decision.map(|d| d.verdict), Some(Verdict::Confirmed));
        let events = store.events(&loan).await.expect("events");
        let reclassified = events.iter().filter(|e| matches!(e.dated.event, LoanEvent::Reclassified { .. })).count();
        assert_eq!(reclassified, 1, "the act was carried out once");
        let again = confirm(&bob, &proposal.id, "os:dave", &Stopped).await.expect_err("decided");
        assert_eq!(again.code(), ErrorCode::ProposalDecided);
        assert_eq!(store.events(&loan).await.expect("events").len(), events.len());
    }

    #[tokio::test]
    async fn the_proposer_is_refused_before_anything_is_done() {
        use store::SqliteStore;
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(dir.path()).await.expect("open");
        let loans = Loans::new(store.clone());
        let mut request = lending::TermsRequest::new("equal-installment", "1200", "0.06", "2026-01-01");
        request.term_months = Some(2);
        let terms = lending::LoanTerms::new(&request, &domain::CropCalendar::china_default()).expect("terms");
        let borrower = domain::BorrowerId::parse("B1").expect("borrower");
        let loan = loans.create_loan(None, borrower, terms, "cbirc-2023", "os:officer").await.expect("book");
        loans.disburse(&loan, None, None).await.expect("disburse");
        let date = domain::parse_date("2026-01-15").expect("date");
        let act = Act::LoanReclassify { loan_id: loan.clone(), date, class: FiveCategory::Doubtful };
        let proposal = propose(&store, &act, "drought", "os:alice", &Stopped).await.expect("propose");
        let before = store.events(&loan).await.expect("events").len();
        let own = confirm(&store, &proposal.id, "user:alice", &Stopped).await.expect_err("own");
        assert_eq!(own.code(), ErrorCode::SamePerson);
        assert_eq!(store.events(&loan).await.expect("events").len(), before, "nothing was posted");
        let unknown = confirm(&store, "P999999", "os:bob", &Stopped).await.expect_err("unknown");
        assert_eq!(unknown.code(), ErrorCode::UnknownProposal);
    }

    #[test]
    fn a_payload_that_disagrees_with_its_target_is_corrupt() {
        let act = Act::ModelMove { model_id: "m1".into(), to: ModelStatus::Retired };
        let proposal = Proposal {
            id: "P000001".into(),
            proposal: NewProposal {
                kind: ProposalKind::ModelMove,
                target: "model:m2".into(),
                payload: serde_json::to_string(&act).expect("json"),
                reason: "r".into(),
                proposed_by: "os:a".into(),
                proposed_at: domain::Timestamp::parse("2026-12-07T10:00:00+08:00").expect("at"),
            },
            decision: None,
        };
        assert_eq!(Act::of(&proposal).expect_err("corrupt").code(), ErrorCode::Internal);
    }
}
