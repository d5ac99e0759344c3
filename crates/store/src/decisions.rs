//! The decision log: every automated credit decision stored once, immutably, with the record that explains it, and
//! the applicants' requests for a person to review a decline or referral (PIPL art. 24).
//!
//! The store keeps the decision record as opaque JSON, as it keeps model artifacts: deciding belongs to the policy
//! and scoring crates. What the store guarantees is idempotency and immutability: a client request id is recorded
//! with the SHA-256 of its request, so submitting the same request again returns the stored decision (never a second
//! one), and reusing the id for a different request is refused.

use std::fmt;
use std::future::Future;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::StoreError;

/// What a decision says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Approved on the decided terms.
    Approve,
    /// Sent to a loan officer's review queue.
    Refer,
    /// Declined.
    Decline,
}

impl Outcome {
    /// Every outcome.
    pub const ALL: [Outcome; 3] = [Outcome::Approve, Outcome::Refer, Outcome::Decline];

    /// The stable code, as stored.
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Approve => "approve",
            Outcome::Refer => "refer",
            Outcome::Decline => "decline",
        }
    }

    /// Whether the applicant may ask a person to review it (a decline or a referral).
    pub fn reviewable(self) -> bool {
        self != Outcome::Approve
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Outcome {
    type Err = StoreError;

    fn from_str(text: &str) -> Result<Outcome, StoreError> {
        Outcome::ALL
            .into_iter()
            .find(|o| o.code() == text)
            .ok_or_else(|| StoreError::Corrupt(format!("'{text}' is not a decision outcome")))
    }
}

/// A decision to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRecord {
    /// The decision's id.
    pub decision_id: String,
    /// The client's request id (idempotency key).
    pub request_id: String,
    /// SHA-256 of the submitted request, 64 lowercase hex digits.
    pub request_sha256: String,
    /// Who or what was decided on (an application or household id).
    pub subject: String,
    /// The outcome.
    pub outcome: Outcome,
    /// The exact policy version that decided.
    pub policy_version: String,
    /// The model artifact's id (content hash), when a model scored the applicant.
    pub model_id: Option<String>,
    /// When it was decided (RFC 3339).
    pub decided_at: String,
    /// The whole record: terms, reasons, trace, features, versions. Stored and returned byte for byte.
    pub record_json: String,
}

/// What recording a decision did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// Stored now.
    New,
    /// The same request was decided before: this is that decision, and nothing was written.
    Existing(DecisionRecord),
}

/// A request for a person to review a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewRequest {
    /// The decision.
    pub decision_id: String,
    /// Position in the decision's requests, from 1.
    pub seq: u32,
    /// When it was asked (RFC 3339).
    pub requested_at: String,
    /// How it was asked (e.g. `branch`, `phone`, `app`).
    pub channel: String,
    /// What the applicant said.
    pub note: String,
    /// The client's request id (idempotency key); none on requests recorded before ids were kept.
    pub request_id: Option<String>,
}

/// A page of a list ordered by decision time and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Start after this row (none: from the first).
    pub after: Option<Cursor>,
    /// At most this many rows.
    pub limit: u32,
}

/// A position in a list of decisions: the last row of the previous page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// Its decision time.
    pub decided_at: String,
    /// Its decision id.
    pub decision_id: String,
}

impl Cursor {
    /// The position just after `record`.
    pub fn after(record: &DecisionRecord) -> Cursor {
        Cursor { decided_at: record.decided_at.clone(), decision_id: record.decision_id.clone() }
    }
}

/// Checks a record before it is stored; the error names the field.
pub(crate) fn check_record(record: &DecisionRecord) -> Result<(), StoreError> {
    let invalid = |field: &'static str, problem: &'static str| StoreError::InvalidDecision {
        decision: record.decision_id.clone(),
        field,
        problem,
    };
    if record.decision_id.is_empty() {
        return Err(invalid("decision_id", "is empty"));
    }
    if record.request_id.is_empty() {
        return Err(invalid("request_id", "is empty"));
    }
    if record.request_sha256.len() != 64
        || !record.request_sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(invalid("request_sha256", "is not 64 lowercase hex digits"));
    }
    if record.subject.is_empty() {
        return Err(invalid("subject", "is empty"));
    }
    if record.policy_version.is_empty() {
        return Err(invalid("policy_version", "is empty"));
    }
    // Checked for well-formedness without building it: records are ~10 KB and a server checks thousands a second.
    if serde_json::from_str::<serde::de::IgnoredAny>(&record.record_json).is_err() {
        return Err(invalid("record_json", "is not JSON"));
    }
    Ok(())
}

/// What an earlier decision under the record's request id makes of recording it: that decision again when the
/// request is the same, a refusal when the id was used for another request, nothing (go on) when there is none.
/// The one rule of idempotent submission, for every backend and writer.
pub(crate) fn decided_before(
    record: &DecisionRecord,
    earlier: Option<DecisionRecord>,
) -> Result<Option<Recorded>, StoreError> {
    match earlier {
        Some(stored) if stored.request_sha256 == record.request_sha256 => Ok(Some(Recorded::Existing(stored))),
        Some(_) => Err(StoreError::RequestReused { request_id: record.request_id.clone() }),
        None => Ok(None),
    }
}

/// The refusal of a record whose decision id another request's decision already has.
pub(crate) fn decision_id_taken(record: &DecisionRecord) -> StoreError {
    StoreError::InvalidDecision {
        decision: record.decision_id.clone(),
        field: "decision_id",
        problem: "is taken by another request's decision",
    }
}

/// The decision log every backend provides. Each method is one transaction.
pub trait DecisionLog: Send + Sync {
    /// Records a decision, unless its request id was seen: then the stored decision is returned when the request is
    /// the same ([`Recorded::Existing`]), and [`StoreError::RequestReused`] when it differs.
    fn record_decision(&self, record: &DecisionRecord) -> impl Future<Output = Result<Recorded, StoreError>> + Send;

    /// A decision by id.
    fn decision(&self, decision_id: &str) -> impl Future<Output = Result<Option<DecisionRecord>, StoreError>> + Send;

    /// The decision made for a client request id.
    fn decision_for_request(
        &self,
        request_id: &str,
    ) -> impl Future<Output = Result<Option<DecisionRecord>, StoreError>> + Send;

    /// At most `page.limit` of a subject's decisions, oldest first, after `page.after` (keyset pagination: the
    /// position is the last row's decision time and id, so pages neither skip nor repeat while decisions are added).
    fn decisions_of(
        &self,
        subject: &str,
        page: &Page,
    ) -> impl Future<Output = Result<Vec<DecisionRecord>, StoreError>> + Send;

    /// Records a request for human review of a declined or referred decision; returns it with its sequence number.
    /// A request id seen before answers the stored request when the decision, channel and note are the same, and
    /// [`StoreError::RequestReused`] when they differ; nothing is written either way.
    fn request_review(
        &self,
        decision_id: &str,
        request_id: &str,
        requested_at: &str,
        channel: &str,
        note: &str,
    ) -> impl Future<Output = Result<ReviewRequest, StoreError>> + Send;

    /// A decision's review requests, in order.
    fn review_requests(&self, decision_id: &str)
    -> impl Future<Output = Result<Vec<ReviewRequest>, StoreError>> + Send;
}
