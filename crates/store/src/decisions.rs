//! The decision log: every automated credit decision stored once, immutably, with the record that explains it, and
//! the applicants' requests for a person to review a decline or referral (PIPL art. 24).
//!
//! The values are `workflow`'s ([`DecisionRecord`], [`ReviewRequest`], checked by their own rules before they are
//! kept); the store keeps the decision record as opaque JSON, as it keeps model artifacts: deciding belongs to the
//! policy and scoring crates. What the store guarantees is idempotency and immutability: a client request id is recorded
//! with the SHA-256 of its request, so submitting the same request again returns the stored decision (never a second
//! one), and reusing the id for a different request is refused.
//!
//! A record is stored [`packed`] (deflate with a preset dictionary) beside its decision's row, whose JSON column is
//! then empty; decisions recorded before packing keep their JSON text. Either way it reads back as the very text
//! recorded.

use std::future::Future;

pub(crate) mod packed;

use workflow::{DecisionRecord, RecordJson, ReviewRequest};

use crate::StoreError;

/// What recording a decision did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// Stored now.
    New,
    /// The same request was decided before: this is that decision, and nothing was written.
    Existing(DecisionRecord),
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
    pub decided_at: domain::Timestamp,
    /// Its decision id.
    pub decision_id: domain::DecisionId,
}

impl Cursor {
    /// The position just after `record`.
    pub fn after(record: &DecisionRecord) -> Cursor {
        Cursor { decided_at: record.decided_at, decision_id: record.decision_id.clone() }
    }
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

/// A stored decision's record from its two stored forms: the JSON text of a decision recorded before packing, or
/// an empty text beside the packed form. Anything else is corruption.
pub(crate) fn stored_record(
    decision_id: &str,
    json: String,
    packed: Option<Vec<u8>>,
) -> Result<RecordJson, StoreError> {
    let corrupt = |problem: String| StoreError::Corrupt(format!("decision {decision_id}: {problem}"));
    match (json.is_empty(), packed) {
        (true, Some(packed)) => packed::unpack(&packed).map(RecordJson::stored).map_err(|e| corrupt(e.to_string())),
        (false, None) => Ok(RecordJson::stored(json)),
        (true, None) => Err(corrupt("the record is neither stored as JSON nor packed".into())),
        (false, Some(_)) => Err(corrupt("the record is stored both as JSON and packed".into())),
    }
}

/// The refusal of a record whose decision id another request's decision already has.
pub(crate) fn decision_id_taken(record: &DecisionRecord) -> StoreError {
    StoreError::DecisionTaken(record.decision_id.clone())
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
        requested_at: &domain::Timestamp,
        channel: &str,
        note: &str,
    ) -> impl Future<Output = Result<ReviewRequest, StoreError>> + Send;

    /// A decision's review requests, in order.
    fn review_requests(&self, decision_id: &str)
    -> impl Future<Output = Result<Vec<ReviewRequest>, StoreError>> + Send;
}
