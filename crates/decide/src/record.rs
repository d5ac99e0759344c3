//! The stored record of a decision: outcome, terms in fen, tier, product and schedule, at most four reasons, the
//! full trace, the feature values, the model's result and the exact policy and model versions, plus what shadow
//! policies would have decided. Written once; the store refuses to change it.

use serde_json::{Value, json};

use crate::engine::{Decided, Terms};
use crate::request::ApplicationRequest;
use crate::split::Arm;

/// The record format's version.
pub const RECORD_FORMAT: &str = "agririsk.decision/1";

fn terms_json(terms: &Terms) -> Value {
    json!({
        "limit_fen": terms.limit.fen(),
        "amount_fen": terms.amount.fen(),
        "term_months": terms.term_months,
        "annual_rate": terms.annual_rate.map(|r| r.to_string()),
        "product": terms.product,
        "interest_every": terms.interest_every,
        "harvest": terms.harvest.map(|(crop, region)| json!({"crop": crop.code(), "region": region.code()})),
        "batch_months": terms.batch_months,
    })
}

/// A short summary of a decision (used for shadow policies and in listings).
pub fn summary_json(decided: &Decided) -> Value {
    json!({
        "policy_version": decided.policy_version,
        "outcome": decided.outcome.code(),
        "segment": decided.segment,
        "tier": decided.tier,
        "terms": terms_json(&decided.terms),
        "reason_codes": decided.reasons.iter().map(|r| r.code.as_str()).collect::<Vec<_>>(),
    })
}

/// Who and when, added to a decision to make its record.
#[derive(Debug, Clone)]
pub struct RecordMeta<'a> {
    /// The decision id.
    pub decision_id: &'a str,
    /// When it was decided, RFC 3339.
    pub decided_at: &'a str,
    /// The arm of the champion/challenger split that decided.
    pub arm: Arm,
    /// The shadow policies' decisions.
    pub shadows: &'a [Decided],
}

/// Every feature value, as the feature table writes it (missing = null).
struct FeatureValues<'a>(&'a features::FeatureRow);

impl serde::Serialize for FeatureValues<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(features::CATALOGUE.len()))?;
        for def in features::CATALOGUE {
            let value = self.0.get(def.feature).map(|v| features::format_value(Some(v)));
            map.serialize_entry(def.name, &value)?;
        }
        map.end()
    }
}

/// The record, serialised field by field (no JSON tree is built: the trace alone has hundreds of values).
#[derive(serde::Serialize)]
struct Record<'a> {
    format: &'static str,
    decision_id: &'a str,
    decided_at: &'a str,
    request: Value,
    outcome: &'static str,
    segment: &'a Option<String>,
    tier: &'a Option<String>,
    terms: Value,
    reasons: &'a [crate::engine::ShownReason],
    human_review: Value,
    score: Value,
    market: Value,
    versions: Value,
    arm: crate::split::Arm,
    shadow: Vec<Value>,
    features: FeatureValues<'a>,
    policy: &'a policy::Decision,
}

fn record<'a>(request: &ApplicationRequest, decided: &'a Decided, model_id: &str, meta: &RecordMeta<'a>) -> Record<'a> {
    Record {
        format: RECORD_FORMAT,
        decision_id: meta.decision_id,
        decided_at: meta.decided_at,
        request: request.to_json(),
        outcome: decided.outcome.code(),
        segment: &decided.segment,
        tier: &decided.tier,
        terms: terms_json(&decided.terms),
        reasons: &decided.reasons,
        human_review: json!({
            "available": decided.outcome.reviewable(),
            "how": "POST /v1/decisions/{id}/review-requests (PIPL art. 24)",
        }),
        score: json!({
            "pd": format!("{:.6}", decided.pd),
            "points": decided.score,
            "reasons": decided.model_reasons,
        }),
        market: json!({ "lpr_1y": decided.lpr_1y.to_string() }),
        versions: json!({
            "policy": decided.policy_version,
            "model": model_id,
            "features": features::CATALOGUE.len(),
            "record": RECORD_FORMAT,
        }),
        arm: meta.arm,
        shadow: meta.shadows.iter().map(summary_json).collect(),
        features: FeatureValues(&decided.features),
        policy: &decided.policy,
    }
}

/// The whole record as JSON text.
pub fn record_text(request: &ApplicationRequest, decided: &Decided, model_id: &str, meta: &RecordMeta<'_>) -> String {
    serde_json::to_string(&record(request, decided, model_id, meta)).expect("a record serialises")
}

/// The record ready for the decision log.
pub fn to_store_record(
    request: &ApplicationRequest,
    decided: &Decided,
    model_id: &str,
    meta: &RecordMeta<'_>,
) -> store::DecisionRecord {
    store::DecisionRecord {
        decision_id: meta.decision_id.to_owned(),
        request_id: request.request_id.clone(),
        request_sha256: request.sha256(),
        subject: request.household_id.clone(),
        outcome: decided.outcome,
        policy_version: decided.policy_version.clone(),
        model_id: Some(model_id.to_owned()),
        decided_at: meta.decided_at.to_owned(),
        record_json: record_text(request, decided, model_id, meta),
    }
}

/// A decision id derived from the request id: the same request always gets the same id.
pub fn decision_id_of(request_id: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(request_id.as_bytes());
    format!("D{}", integrate::schema::hex(&digest[..10]))
}
