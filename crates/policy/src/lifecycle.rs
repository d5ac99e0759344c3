//! The lifecycle of a credit-policy version: where it stands ([`PolicyStatus`]) and which moves are legal
//! ([`check_move`]).
//!
//! A version moves submitted → approved → shadow | active → retired (shadow ↔ active allowed, retired final).
//! Approval needs a second person (maker-checker), so only a version someone other than its author approved ever
//! runs. The last active version of a name, region and segment leaves (to shadow or retired) only once a successor
//! is active, or every application it served would find no policy. The register that keeps the history applies
//! these rules inside its transactions.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where a policy version stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyStatus {
    /// Stored, awaiting a second person's approval.
    Submitted,
    /// Approved; not yet running.
    Approved,
    /// Evaluated beside the active version and recorded, never deciding.
    Shadow,
    /// Deciding.
    Active,
    /// Out of use for good.
    Retired,
}

impl PolicyStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [PolicyStatus; 5] = [
        PolicyStatus::Submitted,
        PolicyStatus::Approved,
        PolicyStatus::Shadow,
        PolicyStatus::Active,
        PolicyStatus::Retired,
    ];

    /// The stable code, as stored.
    pub fn code(self) -> &'static str {
        match self {
            PolicyStatus::Submitted => "submitted",
            PolicyStatus::Approved => "approved",
            PolicyStatus::Shadow => "shadow",
            PolicyStatus::Active => "active",
            PolicyStatus::Retired => "retired",
        }
    }

    /// Whether the move `self` → `to` stops a version deciding (retirement, or leaving active) and so waits for a
    /// second person's confirmation (dual control) before it is made. Approval needs no third step: it is itself the
    /// second person's check of the author's version, so an approved version is activated by one person.
    pub fn needs_confirmation(self, to: PolicyStatus) -> bool {
        self != to && (to == PolicyStatus::Retired || self == PolicyStatus::Active)
    }

    /// Whether the lifecycle's graph has the edge `self` → `to`; the error names the rule the move breaks. The
    /// rules about people and other versions are [`check_move`]'s.
    pub fn check_edge(self, to: PolicyStatus) -> Result<(), IllegalPolicyMove> {
        use PolicyStatus::*;
        let rule = match (self, to) {
            (Retired, _) => "retired is final",
            (_, Submitted) => "no version returns to submitted",
            (Submitted, Approved) | (Submitted, Retired) => return Ok(()),
            (Submitted, _) => "a version runs only once a second person has approved it",
            (Approved, Shadow | Active | Retired) => return Ok(()),
            (Shadow, Active | Retired) | (Active, Shadow | Retired) => return Ok(()),
            _ => "that move is not in the lifecycle",
        };
        Err(IllegalPolicyMove { from: self, to, rule })
    }
}

impl fmt::Display for PolicyStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A text that is not a policy status code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a policy status")]
pub struct UnknownPolicyStatus(pub String);

impl FromStr for PolicyStatus {
    type Err = UnknownPolicyStatus;

    fn from_str(text: &str) -> Result<PolicyStatus, UnknownPolicyStatus> {
        PolicyStatus::ALL.into_iter().find(|s| s.code() == text).ok_or_else(|| UnknownPolicyStatus(text.to_string()))
    }
}

/// A move the policy lifecycle does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{rule}; cannot move from {from} to {to}")]
pub struct IllegalPolicyMove {
    /// The current status.
    pub from: PolicyStatus,
    /// The status asked for.
    pub to: PolicyStatus,
    /// The lifecycle rule the move breaks.
    pub rule: &'static str,
}

/// Whether `by` may move a version written by `author` from `from` to `to`, given the statuses of the other
/// versions of its name, region and segment (`others`): the lifecycle's edge ([`PolicyStatus::check_edge`]),
/// maker-checker on approval, and no leaving active without an active successor. A move to the status a version
/// has is the caller's no-op and is not asked about.
pub fn check_move(
    from: PolicyStatus,
    to: PolicyStatus,
    by: &str,
    author: &str,
    others: &[PolicyStatus],
) -> Result<(), IllegalPolicyMove> {
    from.check_edge(to)?;
    if to == PolicyStatus::Approved && by == author {
        return Err(IllegalPolicyMove { from, to, rule: "a policy is approved by someone other than its author" });
    }
    if from == PolicyStatus::Active && !others.contains(&PolicyStatus::Active) {
        return Err(IllegalPolicyMove {
            from,
            to,
            rule: "the last active version of a region and segment leaves only once a successor is active",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_that_stop_a_version_deciding_wait_for_a_second_person() {
        use PolicyStatus::*;
        assert!(Active.needs_confirmation(Retired));
        assert!(Approved.needs_confirmation(Retired));
        assert!(Submitted.needs_confirmation(Retired));
        assert!(Active.needs_confirmation(Shadow));
        assert!(!Approved.needs_confirmation(Active));
        assert!(!Shadow.needs_confirmation(Active));
        assert!(!Submitted.needs_confirmation(Approved));
        assert!(!Retired.needs_confirmation(Retired));
    }

    #[test]
    fn the_lifecycle_allows_exactly_the_documented_moves() {
        use PolicyStatus::*;
        let allowed = [
            (Submitted, Approved),
            (Submitted, Retired),
            (Approved, Shadow),
            (Approved, Active),
            (Approved, Retired),
            (Shadow, Active),
            (Shadow, Retired),
            (Active, Shadow),
            (Active, Retired),
        ];
        for from in PolicyStatus::ALL {
            for to in PolicyStatus::ALL.into_iter().filter(|to| *to != from) {
                assert_eq!(from.check_edge(to).is_ok(), allowed.contains(&(from, to)), "{from} -> {to}");
                // With an active successor and a second person, the edge is the only rule left.
                let full = check_move(from, to, "checker", "maker", &[Active]);
                assert_eq!(full.is_ok(), allowed.contains(&(from, to)), "{from} -> {to}");
            }
        }
    }

    #[test]
    fn an_author_does_not_approve_their_own_version() {
        let own = check_move(PolicyStatus::Submitted, PolicyStatus::Approved, "li", "li", &[]);
        assert_eq!(own.map_err(|e| e.rule), Err("a policy is approved by someone other than its author"));
        assert_eq!(check_move(PolicyStatus::Submitted, PolicyStatus::Approved, "wang", "li", &[]), Ok(()));
    }

    #[test]
    fn the_last_active_version_leaves_only_once_a_successor_is_active() {
        use PolicyStatus::*;
        for to in [Shadow, Retired] {
            for others in [&[][..], &[Shadow, Approved, Retired][..]] {
                let alone = check_move(Active, to, "li", "wang", others).expect_err("the last active version");
                assert_eq!(
                    alone.to_string(),
                    format!(
                        "the last active version of a region and segment leaves only once a successor is active; \
                         cannot move from active to {to}"
                    )
                );
            }
            assert_eq!(check_move(Active, to, "li", "wang", &[Retired, Active]), Ok(()));
        }
        // Other versions' states matter only when an active one leaves.
        assert_eq!(check_move(Approved, Active, "li", "wang", &[]), Ok(()));
    }

    #[test]
    fn status_codes_round_trip() {
        for status in PolicyStatus::ALL {
            assert_eq!(status.code().parse::<PolicyStatus>(), Ok(status));
        }
        assert_eq!("Active".parse::<PolicyStatus>(), Err(UnknownPolicyStatus("Active".into())));
    }
}
