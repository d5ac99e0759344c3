//! The stored record of a decision: outcome, terms in fen, tier, product and schedule, at most four reasons, the
//! full trace, the feature values, the model's result and the exact policy and model versions, plus what shadow
//! policies would have decided. Written once; the store refuses to change it.

use domain::{DecisionId, Timestamp};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::engine::{Decided, Terms};
use crate::request::ApplicationRequest;
use crate::split::Arm;

/// The record format's version.
pub const RECORD_FORMAT: &str = "agririsk.decision/1";

/// A short summary of a decision (used for shadow policies and in listings).
pub fn summary_json(decided: &Decided) -> Value {
    json!({
        "policy_version": decided.policy_version,
        "outcome": decided.outcome.code(),
        "segment": decided.segment,
        "tier": decided.tier,
        "terms": decided.terms,
        "reason_codes": decided.reasons.iter().map(|r| r.code.as_str()).collect::<Vec<_>>(),
    })
}

/// Who and when, added to a decision to make its record.
#[derive(Debug, Clone)]
pub struct RecordMeta<'a> {
    /// The decision id.
    pub decision_id: &'a DecisionId,
    /// When it was decided.
    pub decided_at: &'a Timestamp,
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
    decision_id: &'a DecisionId,
    decided_at: &'a Timestamp,
    request: Value,
    /// The sources not read for want of consent; absent when every source was read, so earlier records are unchanged.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    withheld_sources: Vec<&'static str>,
    outcome: &'static str,
    segment: &'a Option<String>,
    tier: &'a Option<String>,
    terms: &'a Terms,
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
        withheld_sources: request.withheld.codes(),
        outcome: decided.outcome.code(),
        segment: &decided.segment,
        tier: &decided.tier,
        terms: &decided.terms,
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
pub fn decision_record(
    request: &ApplicationRequest,
    decided: &Decided,
    model_id: &str,
    meta: &RecordMeta<'_>,
) -> workflow::DecisionRecord {
    workflow::DecisionRecord {
        decision_id: meta.decision_id.clone(),
        request_id: request.request_id.clone(),
        request_sha256: request.sha256(),
        subject: request.household_id.clone(),
        outcome: decided.outcome,
        policy_version: decided.policy_version.clone(),
        model_id: Some(model_id.to_owned()),
        decided_at: *meta.decided_at,
        record_json: workflow::RecordJson::of(&record(request, decided, model_id, meta)).expect("a record serialises"),
    }
}

/// The decided terms of a stored record (its `terms`), typed: what a disbursement or a review reads back.
pub fn terms_of(record: &Value) -> Result<Terms, serde_json::Error> {
    Terms::deserialize(&record["terms"])
}

/// A decision id derived from the request id: the same request always gets the same id.
pub fn decision_id_of(request_id: &str) -> DecisionId {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(request_id.as_bytes());
    DecisionId::parse(&format!("D{}", integrate::schema::hex(&digest[..10])))
        .expect("'D' and 20 hex digits is a valid decision id")
}

#[cfg(test)]
mod tests {
    use domain::{Crop, Money, Rate, Region};
    use lending::{InterestFrequency, ProductKind};

    use super::*;
    use crate::engine::HarvestOf;

    /// A record as `agririsk.decision/1` was written before the terms were typed (by `json!`, field by field),
    /// its feature values and policy trace left out for brevity.
    const RECORD_BEFORE: &str = r#"{"format":"agririsk.decision/1","decision_id":"D04a3444af0cc0c1014b8","decided_at":"t","request":{"request_id":"r-H0000001","application_id":"A-new-H0000001","household_id":"H0000001","applied_on":"2025-09-20","product":"crop","purpose":"crop-inputs","purpose_text":"购买冬小麦种子和化肥","amount_yuan":"30000.00","term_months":10,"consent":true,"blacklisted":false,"fraud_suspected":false,"poverty_registered":false,"land_right_appraised_yuan":null,"whole_village_programme":false},"outcome":"approve","segment":"planting","tier":"prime","terms":{"limit_fen":2800000,"amount_fen":2800000,"term_months":10,"annual_rate":"0.04","product":"harvest-bullet","interest_every":"quarterly","harvest":{"crop":"winter-wheat","region":"north-china-plain"},"batch_months":[]},"reasons":[{"code":"CAPACITY_CAP","zh":"额度受还款能力限制；增加收入或减少负债可提高额度。","en":"The limit is capped by repayment capacity; more income or less debt raises it.","source":"policy"}],"human_review":{"available":false,"how":"POST /v1/decisions/{id}/review-requests (PIPL art. 24)"},"score":{"pd":"0.015174","points":607,"reasons":[{"feature":"rating_score_points","weight":30.0,"zh":"信用评级得分（≥ 92 分）；保持良好信用可提高","en":"credit rating score (≥ 92 points); a good record raises it"},{"feature":"main_price_volatility_3m","weight":24.0,"zh":"主要作物近3个月价格波动（< 0.02）","en":"main crop's 3-month price volatility (< 0.02)"},{"feature":"has_business","weight":23.0,"zh":"家庭经营情况","en":"whether the household runs a business"},{"feature":"fattening_pigs_head","weight":19.0,"zh":"生猪养殖规模（< 13 头）","en":"fattening pigs per batch (< 13)"}]},"market":{"lpr_1y":"0.0300"},"versions":{"policy":"p","model":"302223e5966b6c94431a0d1ea967f8ff83442b670c5354127d96130a3eb34971","features":77,"record":"agririsk.decision/1"},"arm":"champion","shadow":[],"features":{},"policy":{}}"#;

    /// The `terms` of records written then, one per product the default policy chooses and a decline. These (and
    /// the record above) are text as stored, so their product codes are literals: they stand for what is on disk.
    const TERMS_BEFORE: [&str; 4] = [
        r#"{"limit_fen":2800000,"amount_fen":2800000,"term_months":10,"annual_rate":"0.045","product":"livestock-batch","interest_every":"quarterly","harvest":null,"batch_months":[5,10]}"#,
        r#"{"limit_fen":2800000,"amount_fen":2800000,"term_months":10,"annual_rate":"0.04","product":"equal-installment","interest_every":"monthly","harvest":null,"batch_months":[]}"#,
        r#"{"limit_fen":2800000,"amount_fen":2800000,"term_months":10,"annual_rate":"0.04","product":"revolving","interest_every":"monthly","harvest":null,"batch_months":[]}"#,
        r#"{"limit_fen":0,"amount_fen":0,"term_months":10,"annual_rate":null,"product":null,"interest_every":null,"harvest":null,"batch_months":[]}"#,
    ];

    #[test]
    fn a_record_written_before_reads_back_into_the_typed_terms() {
        let record: Value = serde_json::from_str(RECORD_BEFORE).expect("json");
        assert_eq!(record["format"], RECORD_FORMAT);
        let terms = terms_of(&record).expect("typed terms");
        assert_eq!(
            terms,
            Terms {
                limit: Money::from_yuan(28_000),
                amount: Money::from_yuan(28_000),
                term_months: 10,
                annual_rate: Some(Rate::parse("0.04").expect("rate")),
                product: Some(ProductKind::HarvestBullet),
                interest_every: Some(InterestFrequency::Quarterly),
                harvest: Some(HarvestOf { crop: Crop::WinterWheat, region: Region::NorthChinaPlain }),
                batch_months: Vec::new(),
            }
        );
        // Written again, the terms are the very text they were read from.
        assert_eq!(serde_json::to_value(&terms).expect("serialises"), record["terms"]);
        let start = domain::parse_date("2025-09-25").expect("date");
        let loan = terms.loan_terms(start, &domain::CropCalendar::china_default()).expect("lends").expect("valid");
        assert_eq!((loan.product(), loan.principal()), (ProductKind::HarvestBullet, terms.amount));
    }

    #[test]
    fn the_terms_of_every_product_written_before_read_back_and_write_the_same() {
        let mut products = Vec::new();
        for text in TERMS_BEFORE {
            let value: Value = serde_json::from_str(text).expect("json");
            let terms: Terms = serde_json::from_value(value.clone()).expect("typed terms");
            assert_eq!(serde_json::to_string(&terms).expect("serialises"), text);
            products.push(terms.product);
        }
        assert_eq!(
            products,
            [
                Some(ProductKind::LivestockBatch),
                Some(ProductKind::EqualInstallment),
                Some(ProductKind::Revolving),
                None
            ]
        );
    }

    #[test]
    fn typed_terms_round_trip_for_every_product() {
        let start = domain::parse_date("2026-03-01").expect("date");
        let calendar = domain::CropCalendar::china_default();
        for product in ProductKind::ALL {
            let terms = Terms {
                limit: Money::from_yuan(50_000),
                amount: Money::from_fen(3_000_055),
                term_months: 12,
                annual_rate: Some(Rate::parse("0.0435").expect("rate")),
                product: Some(product),
                interest_every: Some(InterestFrequency::Quarterly),
                harvest: (product == ProductKind::HarvestBullet)
                    .then_some(HarvestOf { crop: Crop::SummerMaize, region: Region::NorthChinaPlain }),
                batch_months: if product == ProductKind::LivestockBatch { vec![6, 12] } else { Vec::new() },
            };
            let value = serde_json::to_value(&terms).expect("serialises");
            assert_eq!(value["product"], product.code(), "the product is written as its code");
            assert_eq!((&value["amount_fen"], &value["annual_rate"]), (&json!(3_000_055), &json!("0.0435")));
            let back: Terms = serde_json::from_value(value).expect("reads back");
            assert_eq!(back, terms, "{product}");
            let loan = back.loan_terms(start, &calendar).expect("lends").unwrap_or_else(|e| panic!("{product}: {e}"));
            assert_eq!((loan.product(), loan.principal(), loan.start()), (product, terms.amount, start));
        }
    }

    #[test]
    fn terms_that_are_not_the_record_format_are_refused() {
        let good: Value = serde_json::from_str(TERMS_BEFORE[0]).expect("json");
        for (field, bad) in [
            ("product", json!("balloon")),
            ("annual_rate", json!(0.045)),
            ("annual_rate", json!("-0.01")),
            ("interest_every", json!("weekly")),
            ("limit_fen", json!(-1)),
            ("amount_fen", json!("28000.00")),
            ("harvest", json!({"crop": "winter-wheat"})),
        ] {
            let mut value = good.clone();
            value[field] = bad;
            assert!(serde_json::from_value::<Terms>(value).is_err(), "{field}");
        }
    }
}
