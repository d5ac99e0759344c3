//! What an automated credit decision says ([`Outcome`]), the record kept of it ([`DecisionRecord`]) and an
//! applicant's request for a person to review it ([`ReviewRequest`], PIPL art. 24), with the checks each passes
//! before it is kept.
//!
//! The record's body (`record_json`) stays opaque here: deciding belongs to the policy and scoring crates, and the
//! record explains the decision byte for byte as it was made.

use std::fmt;
use std::str::FromStr;

use domain::{DecisionId, Timestamp};
use serde::{Deserialize, Serialize};

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

    /// Refuses a request for human review of `decision` unless it is reviewable ([`Outcome::reviewable`]).
    pub fn check_reviewable(self, decision: &DecisionId) -> Result<(), Invalid> {
        if self.reviewable() { Ok(()) } else { Err(Invalid::NotReviewable { decision: decision.to_string() }) }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A text that is not an outcome's code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a decision outcome")]
pub struct UnknownOutcome(pub String);

impl FromStr for Outcome {
    type Err = UnknownOutcome;

    fn from_str(text: &str) -> Result<Outcome, UnknownOutcome> {
        Outcome::ALL.into_iter().find(|o| o.code() == text).ok_or_else(|| UnknownOutcome(text.to_string()))
    }
}

/// A decision record's JSON text, well-formed by construction: made by serialising a value ([`RecordJson::of`]),
/// checked once when it comes from outside ([`RecordJson::parse`], and serde), or read back from the store that only
/// ever took one ([`RecordJson::stored`]). So the ~10 KB text is never parsed again just to be trusted: a server
/// records thousands a second.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct RecordJson(String);

/// Text that is not JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("is not JSON")]
pub struct NotJson;

impl RecordJson {
    /// The JSON text of a value.
    pub fn of<T: Serialize + ?Sized>(value: &T) -> Result<RecordJson, serde_json::Error> {
        serde_json::to_string(value).map(RecordJson)
    }

    /// Text from outside, checked for well-formedness (without building it).
    pub fn parse(text: String) -> Result<RecordJson, NotJson> {
        match serde_json::from_str::<serde::de::IgnoredAny>(&text) {
            Ok(_) => Ok(RecordJson(text)),
            Err(_) => Err(NotJson),
        }
    }

    /// Text read back from a decision log, which stores nothing but a `RecordJson` (its tables are append-only).
    pub fn stored(text: String) -> RecordJson {
        RecordJson(text)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl<'de> Deserialize<'de> for RecordJson {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<RecordJson, D::Error> {
        RecordJson::parse(String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

/// A decision to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRecord {
    /// The decision's id.
    pub decision_id: DecisionId,
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
    /// When it was decided.
    pub decided_at: Timestamp,
    /// The whole record: terms, reasons, trace, features, versions. Stored and returned byte for byte.
    pub record_json: RecordJson,
}

impl DecisionRecord {
    /// Checks the record before it is kept; the error names the field.
    pub fn check(&self) -> Result<(), Invalid> {
        let invalid = |field, problem| Invalid::field(Subject::Decision, self.decision_id.as_str(), field, problem);
        if self.request_id.is_empty() {
            return Err(invalid("request_id", "is empty"));
        }
        if !is_sha256_hex(&self.request_sha256) {
            return Err(invalid("request_sha256", "is not 64 lowercase hex digits"));
        }
        if self.subject.is_empty() {
            return Err(invalid("subject", "is empty"));
        }
        if self.policy_version.is_empty() {
            return Err(invalid("policy_version", "is empty"));
        }
        // `record_json` is well-formed by its type.
        Ok(())
    }
}

/// Whether `text` is a SHA-256 digest as 64 lowercase hex digits.
fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A request for a person to review a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewRequest {
    /// The decision.
    pub decision_id: DecisionId,
    /// Position in the decision's requests, from 1.
    pub seq: u32,
    /// When it was asked.
    pub requested_at: Timestamp,
    /// How it was asked (e.g. `branch`, `phone`, `app`).
    pub channel: String,
    /// What the applicant said.
    pub note: String,
    /// The client's request id (idempotency key); none on requests recorded before ids were kept.
    pub request_id: Option<String>,
}

impl ReviewRequest {
    /// Checks a request's own fields before the decision (its id as given) is looked at: a channel and a request id
    /// are required.
    pub fn check_fields(decision: &str, request_id: &str, channel: &str) -> Result<(), Invalid> {
        let invalid = |field, problem| Invalid::field(Subject::Decision, decision, field, problem);
        if channel.is_empty() {
            return Err(invalid("channel", "is empty"));
        }
        if request_id.is_empty() {
            return Err(invalid("request_id", "is empty"));
        }
        Ok(())
    }
}

/// What a workflow value is about, for the messages of [`Invalid`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// A decision, its record or a review request of it.
    Decision,
    /// A loan officer.
    Officer,
    /// A dual-control proposal (named by its target).
    Proposal,
    /// A claim on the review queue (named by its lease).
    Claim,
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Subject::Decision => "decision",
            Subject::Officer => "officer",
            Subject::Proposal => "proposal of",
            Subject::Claim => "claim with a lease of",
        })
    }
}

/// A decision record, review request or officer the workflow refuses before it is kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    /// A field is missing or malformed.
    #[error("{subject} {id}: {field} {problem}")]
    Field {
        /// What the value is about.
        subject: Subject,
        /// Its id as given.
        id: String,
        /// The offending field.
        field: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A human review was asked of an approval.
    #[error("decision {decision}: outcome is an approval; only a decline or a referral can be put to a person")]
    NotReviewable {
        /// The decision.
        decision: String,
    },
}

impl Invalid {
    /// A refused field.
    pub fn field(subject: Subject, id: &str, field: &'static str, problem: &'static str) -> Invalid {
        Invalid::Field { subject, id: id.to_string(), field, problem }
    }

    /// The field at fault: `outcome` for a review request of an approval.
    pub fn field_name(&self) -> &'static str {
        match self {
            Invalid::Field { field, .. } => field,
            Invalid::NotReviewable { .. } => "outcome",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> DecisionRecord {
        DecisionRecord {
            decision_id: DecisionId::parse("D1").expect("id"),
            request_id: "r1".into(),
            request_sha256: "a".repeat(64),
            subject: "H0000001".into(),
            outcome: Outcome::Refer,
            policy_version: "p".into(),
            model_id: None,
            decided_at: Timestamp::parse("2026-12-01T08:00:00+08:00").expect("timestamp"),
            record_json: RecordJson::parse("{}".into()).expect("JSON"),
        }
    }

    #[test]
    fn record_json_is_json_whichever_way_it_was_made() {
        assert_eq!(
            RecordJson::parse("{\"a\": [1, 2]}".into()).map(RecordJson::into_string),
            Ok("{\"a\": [1, 2]}".into())
        );
        assert_eq!(RecordJson::parse("{".into()), Err(NotJson));
        assert_eq!(RecordJson::of(&serde_json::json!({"a": 1})).expect("serialises").as_str(), r#"{"a":1}"#);
        let from_serde: Result<RecordJson, _> = serde_json::from_str(r#""{\"b\":2}""#);
        assert_eq!(from_serde.expect("a JSON string holding JSON").as_str(), r#"{"b":2}"#);
        assert!(serde_json::from_str::<RecordJson>(r#""not json""#).is_err(), "serde checks it too");
    }

    #[test]
    fn outcome_codes_round_trip_and_unknown_text_is_refused() {
        for outcome in Outcome::ALL {
            assert_eq!(outcome.code().parse::<Outcome>(), Ok(outcome));
            assert_eq!(serde_json::to_string(&outcome).expect("json"), format!("\"{}\"", outcome.code()));
        }
        assert_eq!("Approve".parse::<Outcome>(), Err(UnknownOutcome("Approve".into())));
    }

    #[test]
    fn a_record_is_checked_field_by_field() {
        assert_eq!(record().check(), Ok(()));
        type Spoil = fn(&mut DecisionRecord);
        let cases: [(Spoil, &str); 4] = [
            (|r| r.request_id.clear(), "request_id"),
            (|r| r.request_sha256 = "A".repeat(64), "request_sha256"),
            (|r| r.subject.clear(), "subject"),
            (|r| r.policy_version.clear(), "policy_version"),
        ];
        for (spoil, field) in cases {
            let mut bad = record();
            spoil(&mut bad);
            assert_eq!(bad.check().map_err(|e| e.field_name()), Err(field));
        }
    }

    #[test]
    fn only_declines_and_referrals_are_put_to_a_person() {
        let id = DecisionId::parse("D1").expect("id");
        assert_eq!(Outcome::Refer.check_reviewable(&id), Ok(()));
        assert_eq!(Outcome::Decline.check_reviewable(&id), Ok(()));
        let refused = Outcome::Approve.check_reviewable(&id).expect_err("an approval");
        assert_eq!(refused.field_name(), "outcome");
        assert_eq!(
            refused.to_string(),
            "decision D1: outcome is an approval; only a decline or a referral can be put to a person"
        );
        assert_eq!(ReviewRequest::check_fields("D1", "r", "").map_err(|e| e.field_name()), Err("channel"));
        assert_eq!(ReviewRequest::check_fields("D1", "", "app").map_err(|e| e.field_name()), Err("request_id"));
    }
}
