//! Dual control: an act that changes what the lender does (retiring a policy, moving a model, changing an officer's
//! authority, overriding a loan's class, writing a loan off) is first a [`Proposal`] by one person and is carried
//! out only when a second, different person confirms it ([`check_decision`]).
//!
//! A proposal names its [`ProposalKind`], its target (`policy:ID`, `model:ID`, `officer:ID`, `loan:ID`), a bounded
//! JSON payload saying what will be done and the proposer's reason. It is decided once: confirmed or rejected
//! ([`Verdict`]); the decision is final. People are compared by name ([`same_person`]): `user:alice` (signed in over
//! HTTP) and `os:alice` (the command line) are the same person, so nobody checks their own proposal by switching
//! surfaces. An API key is nobody's person: `key:ID` is only ever the same as itself.

use std::fmt;
use std::str::FromStr;

use domain::Timestamp;
use serde::{Deserialize, Serialize};

use crate::decision::{Invalid, Subject};

/// The longest payload kept, in bytes of JSON text.
pub const MAX_PAYLOAD_BYTES: usize = 4096;
/// The longest target, reason or actor name kept, in characters.
pub const MAX_TEXT_CHARS: usize = 500;

/// What a proposal does once confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposalKind {
    /// A policy version moved to retired, or out of active.
    PolicyMove,
    /// A credit model moved to champion, challenger or retired.
    ModelMove,
    /// A loan officer's authority set to a new amount.
    OfficerAuthority,
    /// A loan's five-category class overridden (a reclassification).
    LoanReclassify,
    /// A loan written off.
    LoanWriteOff,
}

impl ProposalKind {
    /// Every kind.
    pub const ALL: [ProposalKind; 5] = [
        ProposalKind::PolicyMove,
        ProposalKind::ModelMove,
        ProposalKind::OfficerAuthority,
        ProposalKind::LoanReclassify,
        ProposalKind::LoanWriteOff,
    ];

    /// The stable code, as stored.
    pub fn code(self) -> &'static str {
        match self {
            ProposalKind::PolicyMove => "policy_move",
            ProposalKind::ModelMove => "model_move",
            ProposalKind::OfficerAuthority => "officer_authority",
            ProposalKind::LoanReclassify => "loan_reclassify",
            ProposalKind::LoanWriteOff => "loan_write_off",
        }
    }

    /// The prefix of the targets a proposal of this kind names (`policy:`, `model:`, `officer:`, `loan:`).
    pub fn target_prefix(self) -> &'static str {
        match self {
            ProposalKind::PolicyMove => "policy:",
            ProposalKind::ModelMove => "model:",
            ProposalKind::OfficerAuthority => "officer:",
            ProposalKind::LoanReclassify | ProposalKind::LoanWriteOff => "loan:",
        }
    }
}

impl fmt::Display for ProposalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for ProposalKind {
    type Err = String;

    fn from_str(s: &str) -> Result<ProposalKind, String> {
        ProposalKind::ALL.into_iter().find(|k| k.code() == s).ok_or_else(|| format!("'{s}' is not a proposal kind"))
    }
}

/// How a proposal was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// A second person confirmed it: it was carried out.
    Confirmed,
    /// A second person rejected it: nothing was done.
    Rejected,
}

impl Verdict {
    /// The stable code, as stored.
    pub fn code(self) -> &'static str {
        match self {
            Verdict::Confirmed => "confirmed",
            Verdict::Rejected => "rejected",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Verdict {
    type Err = String;

    fn from_str(s: &str) -> Result<Verdict, String> {
        match s {
            "confirmed" => Ok(Verdict::Confirmed),
            "rejected" => Ok(Verdict::Rejected),
            _ => Err(format!("'{s}' is not a verdict")),
        }
    }
}

/// A proposal before it is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewProposal {
    /// What it does.
    pub kind: ProposalKind,
    /// What it does it to: `policy:ID`, `model:ID`, `officer:ID` or `loan:ID`.
    pub target: String,
    /// What will be done, as a JSON object (at most [`MAX_PAYLOAD_BYTES`]).
    pub payload: String,
    /// Why, in the proposer's words.
    pub reason: String,
    /// Who proposes it (`user:…`, `os:…`, `key:…`).
    pub proposed_by: String,
    /// When.
    pub proposed_at: Timestamp,
}

fn bounded_text(
    value: &str,
    field: &'static str,
    invalid: &dyn Fn(&'static str, &'static str) -> Invalid,
) -> Result<(), Invalid> {
    if value.trim().is_empty() {
        return Err(invalid(field, "is empty"));
    }
    if value.chars().count() > MAX_TEXT_CHARS {
        return Err(invalid(field, "is over 500 characters"));
    }
    if value.chars().any(char::is_control) && field != "reason" {
        return Err(invalid(field, "contains a control character"));
    }
    Ok(())
}

impl NewProposal {
    /// Checks a proposal before it is kept; the error names the field.
    pub fn check(&self) -> Result<(), Invalid> {
        let invalid = |field, problem| Invalid::field(Subject::Proposal, &self.target, field, problem);
        bounded_text(&self.target, "target", &invalid)?;
        let id = self.target.strip_prefix(self.kind.target_prefix()).unwrap_or("");
        if id.is_empty() || id.chars().any(char::is_whitespace) {
            return Err(invalid("target", "does not name a record of the proposal's kind"));
        }
        bounded_text(&self.reason, "reason", &invalid)?;
        bounded_text(&self.proposed_by, "proposed_by", &invalid)?;
        if self.payload.len() > MAX_PAYLOAD_BYTES {
            return Err(invalid("payload", "is over 4096 bytes"));
        }
        match serde_json::from_str::<serde_json::Value>(&self.payload) {
            Ok(serde_json::Value::Object(_)) => Ok(()),
            _ => Err(invalid("payload", "is not a JSON object")),
        }
    }
}

/// The final decision on a proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Confirmed or rejected.
    pub verdict: Verdict,
    /// Who decided (never the proposer).
    pub decided_by: String,
    /// When.
    pub decided_at: Timestamp,
    /// Why (a rejection's reason; empty for a confirmation given none).
    pub reason: String,
}

/// A kept proposal and its decision, if it has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    /// Its id, `P` and six or more digits, given by the register.
    pub id: String,
    /// What was proposed.
    #[serde(flatten)]
    pub proposal: NewProposal,
    /// How it was decided; none while it is open.
    pub decision: Option<Decision>,
}

impl Proposal {
    /// Whether it waits for a decision.
    pub fn is_open(&self) -> bool {
        self.decision.is_none()
    }
}

/// The person an actor name stands for: the name after `user:` or `os:`, lower-cased; a key (`key:ID`) or any other
/// actor stands only for itself.
pub fn person(actor: &str) -> String {
    match actor.strip_prefix("user:").or_else(|| actor.strip_prefix("os:")) {
        Some(name) => format!("person:{}", name.trim().to_lowercase()),
        None => actor.to_string(),
    }
}

/// Whether two actor names are the same person ([`person`]).
pub fn same_person(a: &str, b: &str) -> bool {
    person(a) == person(b)
}

/// Why a decision on a proposal is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DualRefusal {
    /// The proposal was decided before.
    #[error("proposal {id} was {verdict} already")]
    Decided {
        /// The proposal.
        id: String,
        /// How it was decided.
        verdict: Verdict,
    },
    /// The decider is the proposer.
    #[error("proposal {id}: {by} proposed it, so another person must decide it")]
    SamePerson {
        /// The proposal.
        id: String,
        /// The decider.
        by: String,
    },
    /// A rejection without a reason.
    #[error("proposal {id}: a rejection needs a reason")]
    NoReason {
        /// The proposal.
        id: String,
    },
}

/// Whether `by` may decide `proposal` with `verdict` and `reason`: it must be open, `by` must be another person than
/// its proposer ([`same_person`]), and a rejection must say why.
pub fn check_decision(proposal: &Proposal, verdict: Verdict, by: &str, reason: &str) -> Result<(), DualRefusal> {
    if let Some(decision) = &proposal.decision {
        return Err(DualRefusal::Decided { id: proposal.id.clone(), verdict: decision.verdict });
    }
    if same_person(by, &proposal.proposal.proposed_by) {
        return Err(DualRefusal::SamePerson { id: proposal.id.clone(), by: by.to_string() });
    }
    if verdict == Verdict::Rejected && reason.trim().is_empty() {
        return Err(DualRefusal::NoReason { id: proposal.id.clone() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> Timestamp {
        Timestamp::parse("2026-12-07T10:00:00+08:00").expect("timestamp")
    }

    fn proposal(by: &str) -> Proposal {
        Proposal {
            id: "P000001".into(),
            proposal: NewProposal {
                kind: ProposalKind::LoanWriteOff,
                target: "loan:L000001".into(),
                payload: r#"{"date":"2026-12-01"}"#.into(),
                reason: "uncollectable".into(),
                proposed_by: by.into(),
                proposed_at: at(),
            },
            decision: None,
        }
    }

    #[test]
    fn the_same_person_on_two_surfaces_is_one_person() {
        assert!(same_person("user:alice", "os:alice"));
        assert!(same_person("os:Alice", "user:alice"));
        assert!(!same_person("user:alice", "user:bob"));
        assert!(!same_person("key:k1", "user:k1"));
        assert!(same_person("key:k1", "key:k1"));
    }

    #[test]
    fn a_proposer_cannot_decide_their_own_proposal() {
        let p = proposal("os:alice");
        assert!(matches!(
            check_decision(&p, Verdict::Confirmed, "user:alice", ""),
            Err(DualRefusal::SamePerson { .. })
        ));
        assert!(matches!(check_decision(&p, Verdict::Rejected, "os:alice", "no"), Err(DualRefusal::SamePerson { .. })));
        assert_eq!(check_decision(&p, Verdict::Confirmed, "user:bob", ""), Ok(()));
    }

    #[test]
    fn a_decision_is_final_and_a_rejection_says_why() {
        let mut p = proposal("os:alice");
        assert!(matches!(check_decision(&p, Verdict::Rejected, "os:bob", " "), Err(DualRefusal::NoReason { .. })));
        p.decision = Some(Decision {
            verdict: Verdict::Rejected,
            decided_by: "os:bob".into(),
            decided_at: at(),
            reason: "no".into(),
        });
        assert!(!p.is_open());
        assert_eq!(
            check_decision(&p, Verdict::Confirmed, "os:carol", ""),
            Err(DualRefusal::Decided { id: "P000001".into(), verdict: Verdict::Rejected })
        );
    }

    #[test]
    fn a_proposal_is_bounded_and_names_its_kind_of_target() {
        assert_eq!(proposal("os:a").proposal.check(), Ok(()));
        let with = |f: &dyn Fn(&mut NewProposal)| {
            let mut p = proposal("os:a").proposal;
            f(&mut p);
            p.check().map_err(|e| e.field_name())
        };
        assert_eq!(with(&|p| p.target = "policy:abc".into()), Err("target"));
        assert_eq!(with(&|p| p.target = "loan:".into()), Err("target"));
        assert_eq!(with(&|p| p.payload = "[1]".into()), Err("payload"));
        assert_eq!(with(&|p| p.payload = format!(r#"{{"x":"{}"}}"#, "y".repeat(5000))), Err("payload"));
        assert_eq!(with(&|p| p.reason = "  ".into()), Err("reason"));
        assert_eq!(with(&|p| p.reason = "r".repeat(501)), Err("reason"));
        assert_eq!(with(&|p| p.proposed_by = String::new()), Err("proposed_by"));
    }

    #[test]
    fn codes_round_trip() {
        for kind in ProposalKind::ALL {
            assert_eq!(kind.code().parse::<ProposalKind>(), Ok(kind));
        }
        for verdict in [Verdict::Confirmed, Verdict::Rejected] {
            assert_eq!(verdict.code().parse::<Verdict>(), Ok(verdict));
        }
    }
}
