//! Credit-policy versions and their history: what a backend stores about a policy version.
//!
//! A version is an opaque JDM document keyed by its content hash (evaluating it belongs to the `policy` crate),
//! with the region and segment it serves and the date it takes effect. Its lifecycle is `policy::lifecycle`'s
//! (submitted → approved → shadow | active → retired, maker-checker on approval, no leaving active without an
//! active successor); the store keeps the history and applies `policy::lifecycle::check_move` inside the moving
//! transaction. Dispatch picks, for a region, a segment and a date, the active version of a policy name with the most specific match and the latest effective date.

use std::future::Future;

use policy::lifecycle::PolicyStatus;
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// A policy version to submit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyVersion {
    /// SHA-256 of `jdm_json`, 64 lowercase hex digits.
    pub policy_id: String,
    /// The policy's name (versions of one name replace each other).
    pub name: String,
    /// The version label.
    pub version: String,
    /// County-code prefix served; empty for every region.
    pub region: String,
    /// Segment served; empty for every segment.
    pub segment: String,
    /// The date it takes effect (`YYYY-MM-DD`).
    pub effective_from: String,
    /// Who submitted it.
    pub submitted_by: String,
    /// When (RFC 3339).
    pub submitted_at: String,
    /// The JDM document, stored byte for byte.
    pub jdm_json: String,
}

/// A stored version with its current status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicySummary {
    /// The version.
    pub version: PolicyVersion,
    /// Its status.
    pub status: PolicyStatus,
}

/// Checks a version before it is stored; the error names the field.
pub(crate) fn check_version(v: &PolicyVersion) -> Result<(), StoreError> {
    let invalid = |field: &'static str, problem: &'static str| StoreError::InvalidPolicy {
        policy: v.name.clone(),
        field,
        problem,
    };
    if v.policy_id.len() != 64 || !v.policy_id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(invalid("policy_id", "is not 64 lowercase hex digits"));
    }
    if v.name.is_empty() {
        return Err(invalid("name", "is empty"));
    }
    if v.version.is_empty() {
        return Err(invalid("version", "is empty"));
    }
    if !v.region.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("region", "is not a county-code prefix (digits)"));
    }
    if domain::parse_date(&v.effective_from).is_err() {
        return Err(invalid("effective_from", "is not a date (YYYY-MM-DD)"));
    }
    if v.submitted_by.is_empty() {
        return Err(invalid("submitted_by", "is empty"));
    }
    if serde_json::from_str::<serde_json::Value>(&v.jdm_json).is_err() {
        return Err(invalid("jdm_json", "is not JSON"));
    }
    Ok(())
}

/// How specifically a version serves a (region, segment): `None` when it does not serve it at all; otherwise a
/// larger value for a longer region prefix and for a named segment.
pub fn specificity(version: &PolicyVersion, region: &str, segment: &str) -> Option<(usize, bool)> {
    let region_ok = region.starts_with(&version.region);
    let segment_ok = version.segment.is_empty() || version.segment == segment;
    (region_ok && segment_ok).then_some((version.region.len(), !version.segment.is_empty()))
}

/// The policy register every backend provides. Each method is one transaction.
pub trait PolicyRegister: Send + Sync {
    /// Stores a version as submitted; the same id again with the same content is a no-op.
    fn submit_policy(&self, version: &PolicyVersion) -> impl Future<Output = Result<PolicySummary, StoreError>> + Send;

    /// Moves a version to a new status, checked against the lifecycle and maker-checker (the approver is not the
    /// submitter). Several versions of a name may be active: each decides from its effective date (see dispatch).
    fn move_policy(
        &self,
        policy_id: &str,
        to: PolicyStatus,
        by: &str,
        at: &str,
        reason: &str,
    ) -> impl Future<Output = Result<PolicySummary, StoreError>> + Send;

    /// Every version of a name (or all), oldest first.
    fn policies(&self, name: Option<&str>) -> impl Future<Output = Result<Vec<PolicySummary>, StoreError>> + Send;

    /// The version that decides for a region (county code) and segment on a date: among the active versions of the
    /// name in effect by then, the most specific match, then the latest effective date.
    fn dispatch_policy(
        &self,
        name: &str,
        region: &str,
        segment: &str,
        on: &str,
    ) -> impl Future<Output = Result<Option<PolicySummary>, StoreError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specificity_prefers_longer_regions_and_named_segments() {
        let v = |region: &str, segment: &str| PolicyVersion {
            policy_id: "a".repeat(64),
            name: "p".into(),
            version: "1".into(),
            region: region.into(),
            segment: segment.into(),
            effective_from: "2026-01-01".into(),
            submitted_by: "x".into(),
            submitted_at: "t".into(),
            jdm_json: "{}".into(),
        };
        assert_eq!(specificity(&v("", ""), "990101", "planting"), Some((0, false)));
        assert_eq!(specificity(&v("9901", "planting"), "990101", "planting"), Some((4, true)));
        assert_eq!(specificity(&v("9902", ""), "990101", "planting"), None);
        assert_eq!(specificity(&v("", "livestock"), "990101", "planting"), None);
    }
}
