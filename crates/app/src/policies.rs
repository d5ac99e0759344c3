//! Policy versions as use cases: the static checks of a JDM file against its input schema, and the lifecycle of
//! stored versions (submit, move, list) over `store::PolicyRegister`, which holds maker-checker and dispatch.
//! Checking and compiling are the `policy` crate's. A version is stored only after its file passes every static
//! check; its id is the SHA-256 of its text.

use std::path::Path;
use std::sync::Arc;

use decide::VersionedPolicy;
use domain::Clock;
use policy::lifecycle::PolicyStatus;
use policy::{CompiledPolicy, Schema};
use sha2::{Digest, Sha256};
use store::{PolicyRegister, PolicySummary, PolicyVersion};

use crate::error::{Error, ErrorCode};
use crate::page::{Page, PageRequest};

fn read(path: &Path, field: &str) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| Error::input(field, format!("{}: {e}", path.display())))
}

/// The input schema: a file, or the shipped default.
fn schema(path: Option<&Path>) -> Result<Arc<Schema>, Error> {
    let parsed = match path {
        Some(path) => Schema::from_json(&read(path, "schema")?),
        None => Schema::from_json(policy::default_set::SCHEMA_JSON),
    };
    parsed.map(Arc::new).map_err(|e| Error::input("schema", e))
}

/// Loads and checks a policy file against a schema file (none: the shipped one); returns its text and the compiled
/// policy. The error names the file, node, rule and column.
pub fn check(file: &Path, schema_file: Option<&Path>) -> Result<(String, CompiledPolicy), Error> {
    let text = read(file, "file")?;
    let compiled = policy::load(&file.display().to_string(), &text, &schema(schema_file)?)
        .map_err(|e| Error::input("policy", e))?;
    Ok((text, compiled))
}

/// A candidate policy file, checked and bound to the decision engine's inputs, for a replay
/// (`crate::policy_sim`).
pub fn candidate(file: &Path) -> Result<VersionedPolicy, Error> {
    let (_, compiled) = check(file, None)?;
    VersionedPolicy::new(format!("candidate {}", file.display()), Arc::new(compiled))
        .map_err(|e| Error::input("policy", format!("{}: {e}", file.display())))
}

/// What to submit: the file and how the version serves.
#[derive(Debug, Clone)]
pub struct Submission<'a> {
    /// The JDM file.
    pub file: &'a Path,
    /// The schema file (none: the shipped one).
    pub schema: Option<&'a Path>,
    /// Policy name.
    pub name: String,
    /// Version label.
    pub version: String,
    /// County-code prefix served (empty: every region).
    pub region: String,
    /// Segment served (empty: every segment).
    pub segment: String,
    /// The date it takes effect, `YYYY-MM-DD`.
    pub effective_from: String,
    /// Who submits it.
    pub by: String,
}

impl Submission<'_> {
    /// The version this submission stores, once its date and file pass every check; nothing is opened before.
    pub fn check(self, clock: &dyn Clock) -> Result<PolicyVersion, Error> {
        domain::parse_date(&self.effective_from).map_err(|e| Error::input("effective-from", e))?;
        let (text, _) = check(self.file, self.schema)?;
        Ok(PolicyVersion {
            policy_id: domain::hex(&Sha256::digest(text.as_bytes())),
            name: self.name,
            version: self.version,
            region: self.region,
            segment: self.segment,
            effective_from: self.effective_from,
            submitted_by: self.by,
            submitted_at: clock.now_rfc3339(),
            jdm_json: text,
        })
    }
}

/// Stores a checked version as submitted, awaiting a second person's approval.
pub async fn submit<S: PolicyRegister>(store: &S, version: &PolicyVersion) -> Result<PolicySummary, Error> {
    Ok(store.submit_policy(version).await?)
}

/// A move of a version: to a status after submission, by someone, for a reason.
#[derive(Debug, Clone)]
pub struct Move {
    to: PolicyStatus,
    by: String,
    reason: String,
}

impl Move {
    /// The status coded `to`: approved, shadow, active or retired.
    pub fn status(to: &str) -> Result<PolicyStatus, Error> {
        PolicyStatus::ALL
            .into_iter()
            .filter(|s| *s != PolicyStatus::Submitted)
            .find(|s| s.code() == to)
            .ok_or_else(|| Error::input("to", format!("'{to}' is not one of approved, shadow, active, retired")))
    }

    /// A move to the status coded `to` (approved, shadow, active or retired) by `by` (not blank).
    pub fn new(to: &str, by: &str, reason: &str) -> Result<Move, Error> {
        let to = Move::status(to)?;
        if by.trim().is_empty() {
            return Err(Error::input("by", "is empty"));
        }
        Ok(Move { to, by: by.to_owned(), reason: reason.to_owned() })
    }
}

/// Moves version `id` as asked, checked against the lifecycle and maker-checker.
pub async fn move_version<S: PolicyRegister>(
    store: &S,
    id: &str,
    change: &Move,
    clock: &dyn Clock,
) -> Result<PolicySummary, Error> {
    Ok(store.move_policy(id, change.to, &change.by, &clock.now_rfc3339(), &change.reason).await?)
}

/// What asking for a move did.
#[derive(Debug, Clone)]
pub enum Moved {
    /// The move was made (approval, or activation or shadowing of an approved version).
    Now(PolicySummary),
    /// The move stops the version deciding, so it was proposed and waits for another person's confirmation.
    Proposed(workflow::dual::Proposal),
}

/// Moves version `id` to `to` as `by`, or, when the move stops it deciding (retired, or out of active:
/// `PolicyStatus::needs_confirmation`), proposes it for another person to confirm (`crate::approvals`).
/// Activating an approved version is made at once: its approval was already a second person's check.
pub async fn move_or_propose<S: crate::approvals::Registers>(
    store: &S,
    id: &str,
    to: PolicyStatus,
    by: &str,
    reason: &str,
    clock: &(dyn Clock + Send + Sync),
) -> Result<Moved, Error> {
    let current = store
        .policies(None)
        .await?
        .into_iter()
        .find(|p| p.version.policy_id == id)
        .ok_or_else(|| Error::coded(ErrorCode::UnknownPolicy, "policy", format!("policy {id} not found")))?;
    if current.status.needs_confirmation(to) {
        let act = crate::approvals::Act::PolicyMove { policy_id: id.to_string(), to };
        return Ok(Moved::Proposed(crate::approvals::propose(store, &act, reason, by, clock).await?));
    }
    Ok(Moved::Now(store.move_policy(id, to, by, &clock.now_rfc3339(), reason).await?))
}

/// The stored versions (of one name, if given) with their status.
pub async fn list<S: PolicyRegister>(store: &S, name: Option<&str>) -> Result<Vec<PolicySummary>, Error> {
    Ok(store.policies(name).await?)
}

/// A page of every stored version, oldest first; the cursor is a policy version id (`unknown_policy` if none).
pub async fn page<S: PolicyRegister>(store: &S, request: &PageRequest) -> Result<Page<PolicySummary>, Error> {
    let all = store.policies(None).await?;
    request.of(all, |s| s.version.policy_id.as_str(), ErrorCode::UnknownPolicy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_move_goes_to_a_status_after_submission_by_someone() {
        assert_eq!(Move::new("active", "li", "").expect("active").to, PolicyStatus::Active);
        assert_eq!(Move::new("submitted", "li", "").expect_err("submitted").field(), Some("to"));
        assert_eq!(Move::new("live", "li", "").expect_err("unknown").field(), Some("to"));
        assert_eq!(Move::new("active", "  ", "").expect_err("nobody").field(), Some("by"));
    }

    #[test]
    fn a_missing_policy_file_names_the_file_argument() {
        assert_eq!(check(Path::new("/no/such/policy.json"), None).expect_err("missing").field(), Some("file"));
    }
}
