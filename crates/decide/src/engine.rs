//! The decision itself: an applicant's features as of the application date, the model's probability of default,
//! and the policy evaluated over both, turned into terms in fen, a product and schedule aligned with the
//! household's crop calendar, and at most four reasons. Pure and deterministic: the same applicant, records and
//! versions give the same decision.

use std::sync::Arc;

use chrono::Datelike;

use domain::lpr::{LprTable, LprTenor};
use domain::{Crop, CropCalendar, Date, Money, Rate, Region};
use features::input::{Application, BorrowerRecords, FarmCrop};
use features::{Feature, FeatureRow, Snapshot, Social};
use lending::{InterestFrequency, LoanTerms, ProductKind, TermsError, TermsParts};
use policy::{CompiledPolicy, Input, Value};
use privacy::consent::{DataSource, Sources};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use scoring::artifact::{Artifact, Scored};
use scoring::data::{Column, Frame};
use serde::{Deserialize, Serialize};
use workflow::Outcome;

use crate::error::{DecideError, ErrorCode};
use crate::request::ApplicationRequest;

/// Why an engine could not be put together (a defect of the configuration, not of an application).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The model reads a column that is not a numeric feature of the catalogue.
    #[error("model {model}: input column '{column}' is not a feature of the catalogue (docs/features.md)")]
    ModelInput {
        /// The model's id.
        model: String,
        /// The column.
        column: String,
    },
    /// The policy's schema lacks a field the engine must provide.
    #[error("policy {policy}: the input schema has no field '{field}'")]
    SchemaField {
        /// The policy version.
        policy: String,
        /// The field.
        field: &'static str,
    },
    /// A field the engine fills has another type in the policy's schema.
    #[error("policy {policy}: the input schema declares '{field}' as other than {expected:?}")]
    FieldType {
        /// The policy version.
        policy: String,
        /// The field.
        field: &'static str,
        /// The type the engine provides.
        expected: policy::Type,
    },
    /// The policy names a feature the catalogue does not have, or not as a number.
    #[error("policy {policy}: field '{field}' names no feature of the catalogue, or not as a number")]
    UnknownFeature {
        /// The policy version.
        policy: String,
        /// The field.
        field: String,
    },
    /// The policy decided a value the lending core cannot take: a product it does not offer, a rate out of range,
    /// an unknown interest frequency. Found when a decision reaches that output, since the policy's outputs are
    /// computed.
    #[error("policy {policy}: output '{field}': {reason}")]
    Output {
        /// The policy version.
        policy: String,
        /// The output field (`decision.product`, `decision.annual_rate`, `decision.interest_every`).
        field: &'static str,
        /// Why the lending core refuses the value.
        reason: String,
    },
}

/// A model that scores one feature row: the artifact and, for each of its input columns, the feature it reads.
/// A scorecard is scored straight from the row (its card features' values, no frame built); other kinds through a
/// one-row frame.
#[derive(Debug, Clone)]
pub struct Scorer {
    model: Arc<Artifact>,
    names: Vec<String>,
    columns: Vec<Feature>,
    /// For a scorecard: the feature of each card feature, in card order.
    card: Option<Vec<Feature>>,
    /// For a scorecard: every reason it can give, by card feature and bin, made once.
    reasons: Vec<Vec<scoring::artifact::Reason>>,
}

impl Scorer {
    /// A scorer for a model trained on the feature table (its inputs are catalogue feature names).
    pub fn new(model: Arc<Artifact>) -> Result<Scorer, EngineError> {
        let input_error =
            |column: &str| EngineError::ModelInput { model: model.content_hash.clone(), column: column.to_owned() };
        let mut names = Vec::new();
        let mut columns = Vec::new();
        for input in &model.inputs {
            let feature = Feature::by_name(&input.name)
                .filter(|_| input.kind == "numeric")
                .ok_or_else(|| input_error(&input.name))?;
            names.push(input.name.clone());
            columns.push(feature);
        }
        let card = match &model.model {
            scoring::artifact::Model::Scorecard { card } => Some(
                card.features()
                    .iter()
                    .map(|f| Feature::by_name(f.name()).ok_or_else(|| input_error(f.name())))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            _ => None,
        };
        let reasons = model.scorecard_reasons().unwrap_or_default();
        Ok(Scorer { model, names, columns, card, reasons })
    }

    /// The model's id (its content hash).
    pub fn model_id(&self) -> &str {
        &self.model.content_hash
    }

    /// The artifact.
    pub fn model(&self) -> &Arc<Artifact> {
        &self.model
    }

    /// PD, points and the model's own reasons for one row.
    pub fn score(&self, row: &FeatureRow) -> Scored {
        let value = |f: &Feature| row.get(*f).unwrap_or(f64::NAN);
        if let Some(card) = &self.card {
            let values: Vec<f64> = card.iter().map(value).collect();
            return self
                .model
                .score_scorecard_values_with(&values, |_, k, bin| self.reasons[k][bin].clone())
                .expect("a scorecard model");
        }
        let columns = self.columns.iter().map(|f| Column::Numeric(vec![value(f)])).collect::<Vec<_>>();
        let frame = Frame::new(self.names.clone(), columns).expect("one row per column and distinct catalogue names");
        self.model
            .score(&frame)
            .ok()
            .and_then(|mut scored| scored.pop())
            .expect("the scorer's columns are exactly the model's numeric inputs")
    }
}

/// A compiled policy with the version id it was registered under.
#[derive(Debug, Clone)]
pub struct VersionedPolicy {
    /// The version id (e.g. `rural-microcredit@3` or a content hash).
    pub version: String,
    /// The compiled graph.
    pub policy: Arc<CompiledPolicy>,
    /// Schema fields read from features, with their feature.
    features: Vec<(usize, Feature)>,
    /// The slot of each of [`ENGINE_FIELDS`] in the schema, if the schema has it.
    slots: [Option<usize>; ENGINE_FIELDS.len()],
    /// The position of each of [`OUTPUT_FIELDS`] among the policy's outputs.
    outputs: [Option<usize>; OUTPUT_FIELDS.len()],
}

/// The outputs the engine reads, by position in this list.
const OUTPUT_FIELDS: [&str; 11] = [
    "decision.outcome",
    "decision.segment",
    "decision.tier",
    "decision.limit_yuan",
    "decision.term_months",
    "decision.annual_rate",
    "decision.product",
    "decision.interest_every",
    "reasons.code",
    "reasons.zh",
    "reasons.en",
];
const OUTCOME: usize = 0;
const SEGMENT: usize = 1;
const TIER: usize = 2;
const LIMIT: usize = 3;
const TERM: usize = 4;
const RATE: usize = 5;
const PRODUCT: usize = 6;
const INTEREST_EVERY: usize = 7;
const REASON_CODE: usize = 8;
const REASON_ZH: usize = 9;
const REASON_EN: usize = 10;

/// The type of each of [`ENGINE_FIELDS`].
const ENGINE_TYPES: [policy::Type; 13] = {
    use policy::Type::{Bool, Number, String};
    [Number, Bool, Bool, Bool, Bool, String, Number, Number, Number, Bool, Number, Number, Number]
};

/// The fields the engine fills from the application, the score and the market, in the order
/// `Engine::input` lists their values.
const ENGINE_FIELDS: [&str; 13] = [
    "applicant.age",
    "applicant.consent",
    "applicant.blacklisted",
    "applicant.fraud_suspected",
    "applicant.poverty_registered",
    "applicant.product",
    "applicant.requested_amount_yuan",
    "applicant.term_months",
    "applicant.land_right_appraised_yuan",
    "applicant.whole_village_programme",
    "score.pd",
    "score.points",
    "market.lpr_1y",
];

/// Fields every policy the engine runs must declare.
const REQUIRED_FIELDS: &[&str] = &[
    "applicant.age",
    "applicant.consent",
    "applicant.blacklisted",
    "applicant.product",
    "applicant.requested_amount_yuan",
    "applicant.term_months",
    "score.pd",
    "market.lpr_1y",
];

impl VersionedPolicy {
    /// Binds a compiled policy to the engine's inputs: every `features.*` field must name a catalogue feature.
    pub fn new(version: impl Into<String>, policy: Arc<CompiledPolicy>) -> Result<VersionedPolicy, EngineError> {
        let version = version.into();
        let schema = policy.schema();
        for field in REQUIRED_FIELDS {
            if schema.slot(field).is_none() {
                return Err(EngineError::SchemaField { policy: version, field });
            }
        }
        let mut features = Vec::new();
        for (slot, def) in schema.fields().iter().enumerate() {
            if let Some(name) = def.field.strip_prefix("features.") {
                let feature = Feature::by_name(name)
                    .ok_or_else(|| EngineError::UnknownFeature { policy: version.clone(), field: def.field.clone() })?;
                features.push((slot, feature));
            }
        }
        let slots = ENGINE_FIELDS.map(|field| schema.slot(field));
        for ((field, slot), ty) in ENGINE_FIELDS.iter().zip(slots).zip(ENGINE_TYPES) {
            if slot.is_some_and(|slot| schema.fields()[slot].ty != ty) {
                return Err(EngineError::FieldType { policy: version, field, expected: ty });
            }
        }
        for &(slot, _) in &features {
            if schema.fields()[slot].ty != policy::Type::Number {
                let field = schema.fields()[slot].field.clone();
                return Err(EngineError::UnknownFeature { policy: version, field });
            }
        }
        let outputs = OUTPUT_FIELDS.map(|field| policy.output_position(field));
        Ok(VersionedPolicy { version, policy, features, slots, outputs })
    }
}

/// Everything the engine knows about one applicant besides the request.
#[derive(Debug, Clone, Copy)]
pub struct Applicant<'a> {
    /// The household's records.
    pub records: &'a BorrowerRecords,
    /// The household head's year of birth (from the KYC file), for the age rule.
    pub head_birth_year: Option<i32>,
    /// The growing region of the household's county, for the crop calendar.
    pub region: Option<Region>,
}

/// One reason shown to the applicant.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ShownReason {
    /// Stable code (`KO_AGE`, `SCORE_DECLINE`, `MODEL_DPD_MAX_12M`, …).
    pub code: String,
    /// Chinese text.
    pub zh: String,
    /// English text.
    pub en: String,
    /// `policy` or `model`.
    pub source: &'static str,
}

/// The most reasons an applicant is shown.
pub const MAX_REASONS: usize = 4;

/// The crop and region whose calendar sets a harvest-aligned loan's principal date (its harvest month).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HarvestOf {
    /// The crop.
    pub crop: Crop,
    /// The growing region.
    pub region: Region,
}

/// The decided terms: the typed contract from a decision to a loan. They serialise with serde into the record's
/// `terms` (format `agririsk.decision/1`: amounts as whole fen, the rate as a decimal string, the product and the
/// interest frequency as their codes) and read back from it; [`Terms::loan_terms`] makes the lending core's
/// [`LoanTerms`] from them for a start date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    /// The credit line granted (0 when declined).
    #[serde(rename = "limit_fen", with = "fen")]
    pub limit: Money,
    /// The amount to lend: the request capped by the limit (0 when declined).
    #[serde(rename = "amount_fen", with = "fen")]
    pub amount: Money,
    /// Term in months.
    pub term_months: u32,
    /// Annual rate; `None` when declined.
    pub annual_rate: Option<Rate>,
    /// The lending product; `None` when declined.
    pub product: Option<ProductKind>,
    /// How often interest falls due, as the policy set it (the loan takes it only for a product that pays interest
    /// apart from principal).
    pub interest_every: Option<InterestFrequency>,
    /// For a harvest-aligned loan: the crop and region whose calendar sets the principal date.
    pub harvest: Option<HarvestOf>,
    /// For a livestock loan: months after the start at which each batch is sold.
    pub batch_months: Vec<u32>,
}

impl Terms {
    /// The lending core's terms for a loan of these terms starting on `start` (the disbursement date), validated
    /// by [`LoanTerms::from_parts`]; `None` when nothing is lent (no product or rate).
    pub fn loan_terms(&self, start: Date, calendar: &CropCalendar) -> Option<Result<LoanTerms, TermsError>> {
        let (product, rate) = (self.product?, self.annual_rate?);
        let mut parts = TermsParts::new(product, self.amount, rate, start);
        if product.pays_interest_apart() {
            parts.interest_every = self.interest_every;
        }
        match product {
            ProductKind::HarvestBullet => {
                parts.harvest = self.harvest.map(|h| lending::Harvest::Calendar { crop: h.crop, region: h.region });
            }
            ProductKind::LivestockBatch => parts.batch_months = Some(self.batch_months.clone()),
            ProductKind::Revolving => {
                parts.term_months = Some(self.term_months);
                parts.draw_term_months = Some(self.term_months.min(12));
            }
            ProductKind::EqualInstallment | ProductKind::EqualPrincipal | ProductKind::InterestOnly => {
                parts.term_months = Some(self.term_months);
            }
        }
        Some(LoanTerms::from_parts(parts, calendar))
    }
}

/// Money as whole fen in the record (`limit_fen`, `amount_fen`): never negative, at most [`Money::MAX_INPUT`].
mod fen {
    use domain::Money;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Money, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(value.fen())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Money, D::Error> {
        let fen = i64::deserialize(deserializer)?;
        if !(0..=Money::MAX_INPUT_FEN).contains(&fen) {
            return Err(serde::de::Error::custom(format!("{fen} fen is out of range (0–{})", Money::MAX_INPUT_FEN)));
        }
        Ok(Money::from_fen(fen))
    }
}

/// A decision, before it is stored.
#[derive(Debug, Clone)]
pub struct Decided {
    /// Approve, refer or decline.
    pub outcome: Outcome,
    /// The policy's segment.
    pub segment: Option<String>,
    /// Customer tier (`prime`, `standard`, `watch`).
    pub tier: Option<String>,
    /// The terms.
    pub terms: Terms,
    /// At most [`MAX_REASONS`] reasons, the most important first.
    pub reasons: Vec<ShownReason>,
    /// The model's probability of default.
    pub pd: f64,
    /// The model's score (points, higher is safer).
    pub score: i32,
    /// The model's own reasons.
    pub model_reasons: Vec<scoring::artifact::Reason>,
    /// The feature values used.
    pub features: Arc<FeatureRow>,
    /// The one-year LPR in force on the application date.
    pub lpr_1y: Decimal,
    /// The policy's outputs and trace.
    pub policy: policy::Decision,
    /// The version of the policy that decided.
    pub policy_version: String,
    /// The sources not read for want of the applicant's consent (the request's [`ApplicationRequest::withheld`]).
    pub withheld: Sources,
}

/// The policy's product for a lending product and purpose, for replaying applications recorded with a lending
/// product code (the simulator's and the core's files): livestock and business purposes keep their programme,
/// otherwise the lending product says which programme the loan came from.
pub fn programme_of(product: ProductKind, purpose: features::input::StatedPurpose) -> &'static str {
    use features::input::StatedPurpose as P;
    match (purpose, product) {
        (P::Livestock, _) | (_, ProductKind::LivestockBatch) => "livestock",
        (P::SmallBusiness, _) => "business",
        (_, ProductKind::Revolving) => "cooperative",
        (_, ProductKind::EqualInstallment | ProductKind::EqualPrincipal) => "business",
        (_, ProductKind::HarvestBullet | ProductKind::InterestOnly) => "crop",
    }
}

/// The lending product a programme's application is booked as for the feature engine, before the policy chooses.
fn provisional_product(programme: &str) -> ProductKind {
    match programme {
        "livestock" => ProductKind::LivestockBatch,
        "business" => ProductKind::EqualInstallment,
        "cooperative" => ProductKind::Revolving,
        "poverty_microcredit" => ProductKind::InterestOnly,
        _ => ProductKind::HarvestBullet,
    }
}

/// The growing region of a county's agricultural zone (`counties.zone`).
pub fn region_of_zone(zone: &str) -> Option<Region> {
    Some(match zone {
        "hhh" | "livestock" => Region::NorthChinaPlain,
        "yangtze" | "hill" => Region::Yangtze,
        "south" => Region::South,
        "northeast" => Region::Northeast,
        _ => return None,
    })
}

/// The crop-calendar crop of a household's crop season (`None` for orchards, which have no calendar entry).
fn calendar_crop(crop: FarmCrop) -> Option<Crop> {
    Some(match crop {
        FarmCrop::WinterWheat => Crop::WinterWheat,
        FarmCrop::SummerMaize => Crop::SummerMaize,
        FarmCrop::SingleRice => Crop::SingleRice,
        FarmCrop::EarlyRice => Crop::EarlyRice,
        FarmCrop::LateRice => Crop::LateRice,
        FarmCrop::SpringMaize => Crop::SpringMaize,
        FarmCrop::Soybean => Crop::Soybean,
        FarmCrop::Fruit => return None,
    })
}

/// Months from `start` to the end of the next `harvest_month` at least three months away (a loan financing inputs
/// needs the crop to grow).
fn months_to_harvest(start: Date, harvest_month: u32) -> u32 {
    let mut ahead = (harvest_month + 12 - start.month()) % 12;
    if ahead < 3 {
        ahead += 12;
    }
    ahead
}

/// The crop whose calendar a harvest-aligned loan follows: of the household's crops with a season in its region
/// (or, failing that, in any region), the one harvested soonest but at least three months after the start.
fn harvest_crop(
    calendar: &CropCalendar,
    records: &BorrowerRecords,
    region: Option<Region>,
    start: Date,
) -> Option<(Crop, Region, u32)> {
    let mut best: Option<(u32, Crop, Region)> = None;
    for farm in &records.household.crops {
        let Some(crop) = calendar_crop(*farm) else { continue };
        let season = region
            .and_then(|r| calendar.season(crop, r).ok())
            .or_else(|| Region::ALL.iter().find_map(|r| calendar.season(crop, *r).ok()));
        let Some(season) = season else { continue };
        let ahead = months_to_harvest(start, season.harvest_month);
        if best.is_none_or(|(b, _, _)| ahead < b) {
            best = Some((ahead, crop, season.region));
        }
    }
    best.map(|(ahead, crop, region)| (crop, region, ahead))
}

/// A decimal from a feature value, to six places (the feature table's precision).
fn decimal_of(value: f64) -> Option<Decimal> {
    // Counts, flags and whole amounts (most features) convert exactly without the binary expansion.
    if value.fract() == 0.0 && value.abs() < 1e15 {
        return Some(Decimal::from(value as i64));
    }
    // The float's exact value rounded to six places: the millionths are the float times 10^6 rounded to the
    // nearest integer. The product is off the exact one by at most half a unit in its last place, so when it lies
    // clearly away from the halfway point between two integers (and is an exact integer's size) both round to the
    // same integer, and the binary expansion is not needed; at the halfway point (banker's rounding decides) it is.
    let millionths = value * 1e6;
    let margin = 4.0 * millionths.abs() * f64::EPSILON;
    let from_half = (millionths - millionths.floor() - 0.5).abs();
    if millionths.is_finite() && millionths.abs() < 9e15 && from_half > margin {
        return Some(Decimal::new(millionths.round() as i64, 6).normalize());
    }
    exact_decimal_of(value)
}

/// [`decimal_of`] by the float's exact binary expansion, rounded half to even to six places.
fn exact_decimal_of(value: f64) -> Option<Decimal> {
    Decimal::from_f64_retain(value).map(|d| d.round_dp(6).normalize())
}

/// Yuan as an exact decimal to whole fen, rounding toward zero (a limit is never rounded up).
fn fen_of_yuan(yuan: Decimal) -> Money {
    let fen = (yuan * Decimal::ONE_HUNDRED).round_dp_with_strategy(0, RoundingStrategy::ToZero);
    Money::from_fen(fen.to_i64().unwrap_or(0).max(0))
}

/// The engine: the model, the LPR table and the crop calendar; the policy is passed per decision (champion,
/// challenger or shadow).
#[derive(Debug, Clone)]
pub struct Engine {
    scorer: Scorer,
    lpr: LprTable,
    calendar: CropCalendar,
}

impl Engine {
    /// An engine over a scorer, the dated LPR table and the crop calendar.
    pub fn new(scorer: Scorer, lpr: LprTable, calendar: CropCalendar) -> Engine {
        Engine { scorer, lpr, calendar }
    }

    /// The scorer.
    pub fn scorer(&self) -> &Scorer {
        &self.scorer
    }

    /// Features and score of an applicant as of the application date (`snapshot` and `social` must be of that
    /// date): the part of a decision that does not depend on the policy.
    pub fn assess(
        &self,
        snapshot: &Snapshot,
        social: &Social,
        request: &ApplicationRequest,
        applicant: &Applicant<'_>,
    ) -> Result<Assessment, DecideError> {
        let application = Application {
            application_id: request.application_id.clone(),
            household_id: request.household_id.clone(),
            applied_on: request.applied_on,
            product: provisional_product(&request.product),
            amount_requested: request.amount,
            stated_purpose: request.purpose,
            purpose_text: request.purpose_text.clone(),
            decision: None,
            loan_id: None,
        };
        // A source without the applicant's consent is not read: its records are gone before any feature is computed,
        // so its features are missing, as for a thin file.
        let cleared;
        let records = if request.withheld.is_empty() {
            applicant.records
        } else {
            cleared = withhold(applicant.records, request.withheld);
            &cleared
        };
        let features = features::for_application(snapshot, social, records, &application).map_err(|e| {
            DecideError::field(ErrorCode::OutOfRange, "applied_on", format!("no market snapshot for the date: {e}"))
        })?;
        let scored = self.scorer.score(&features);
        let lpr = self.lpr.rate_on(request.applied_on, LprTenor::OneYear).map_err(|e| {
            DecideError::field(ErrorCode::OutOfRange, "applied_on", format!("no loan prime rate in force: {e}"))
        })?;
        let age = applicant.head_birth_year.map(|year| request.applied_on.year() - year);
        let Some(age) = age else {
            return Err(DecideError::field(
                ErrorCode::UnknownApplicant,
                "household_id",
                format!("household {} has no household head on file (the age rule needs one)", request.household_id),
            ));
        };
        Ok(Assessment { features: Arc::new(features), scored, lpr_1y: lpr.annual(), age })
    }

    /// Evaluates a policy over an assessment and turns its outputs into a decision; refuses a policy whose
    /// outputs the lending core cannot take ([`EngineError::Output`]).
    pub fn decide(
        &self,
        policy: &VersionedPolicy,
        request: &ApplicationRequest,
        applicant: &Applicant<'_>,
        assessment: &Assessment,
    ) -> Result<Decided, EngineError> {
        let input = self.input(policy, request, assessment);
        let decision = policy.policy.evaluate(&input);
        self.finish(policy, request, applicant, assessment, decision)
    }

    fn input(&self, policy: &VersionedPolicy, request: &ApplicationRequest, assessment: &Assessment) -> Input {
        let schema = policy.policy.schema();
        let mut input = schema.empty_input();
        let yuan = |m: Money| Value::Number(m.to_yuan_decimal());
        let pd = decimal_of(assessment.scored.pd).unwrap_or(Decimal::ONE);
        let values: [Value; ENGINE_FIELDS.len()] = [
            Value::Number(Decimal::from(assessment.age)),
            request.consent.into(),
            request.blacklisted.into(),
            request.fraud_suspected.into(),
            request.poverty_registered.into(),
            request.product.as_str().into(),
            yuan(request.amount),
            Value::Number(Decimal::from(request.term_months)),
            request.land_right_appraised.map_or(Value::Null, yuan),
            request.whole_village_programme.into(),
            Value::Number(pd),
            Value::Number(Decimal::from(assessment.scored.score)),
            Value::Number(assessment.lpr_1y),
        ];
        for (slot, value) in policy.slots.iter().zip(values) {
            if let Some(slot) = slot {
                input.set_at(*slot, value).expect("the engine's fields have the types of the default schema");
            }
        }
        for &(slot, feature) in &policy.features {
            let value = assessment.features.get(feature).and_then(decimal_of).map_or(Value::Null, Value::Number);
            input.set_at(slot, value).expect("feature fields are numbers");
        }
        input
    }

    fn finish(
        &self,
        policy: &VersionedPolicy,
        request: &ApplicationRequest,
        applicant: &Applicant<'_>,
        assessment: &Assessment,
        decision: policy::Decision,
    ) -> Result<Decided, EngineError> {
        let output = |k: usize| policy.outputs[k].map_or(&Value::Null, |position| decision.output(position));
        let text = |k: usize| output(k).as_str().map(str::to_owned);
        let number = |k: usize| output(k).as_number();
        let outcome = match text(OUTCOME).as_deref() {
            Some("approve") => Outcome::Approve,
            Some("refer") => Outcome::Refer,
            // A policy that reaches no outcome declines: nothing is lent on an undecided application.
            _ => Outcome::Decline,
        };
        let lends = outcome != Outcome::Decline;
        let limit = if lends { number(LIMIT).map_or(Money::ZERO, fen_of_yuan) } else { Money::ZERO };
        let amount = if lends { request.amount.min(limit) } else { Money::ZERO };
        let term_months = number(TERM).and_then(|t| t.to_u32()).unwrap_or(request.term_months);
        // The policy's outputs are text and numbers: they become the lending core's types here, once.
        let refused =
            |field: &'static str, reason: String| EngineError::Output { policy: policy.version.clone(), field, reason };
        let product = match text(PRODUCT) {
            Some(code) if lends => {
                Some(code.parse::<ProductKind>().map_err(|e| refused("decision.product", e.to_string()))?)
            }
            _ => None,
        };
        let interest_every = match text(INTEREST_EVERY) {
            Some(code) if lends => {
                Some(code.parse::<InterestFrequency>().map_err(|reason| refused("decision.interest_every", reason))?)
            }
            _ => None,
        };
        let annual_rate = match number(RATE) {
            Some(rate) if lends => {
                Some(Rate::from_annual(rate).map_err(|e| refused("decision.annual_rate", e.to_string()))?)
            }
            _ => None,
        };
        let mut terms = Terms {
            limit,
            amount,
            term_months,
            annual_rate,
            product,
            interest_every,
            harvest: None,
            batch_months: Vec::new(),
        };
        match terms.product {
            Some(ProductKind::HarvestBullet) => {
                if let Some((crop, region, ahead)) =
                    harvest_crop(&self.calendar, applicant.records, applicant.region, request.applied_on)
                {
                    terms.harvest = Some(HarvestOf { crop, region });
                    terms.term_months = ahead + 1;
                }
            }
            Some(ProductKind::LivestockBatch) => {
                // A fattening batch takes about five months (shared/domain/products.md); sell at each one inside
                // the term, the last at maturity.
                let term = terms.term_months.max(1);
                let mut months: Vec<u32> = (1..).map(|i| i * 5).take_while(|m| *m < term).collect();
                months.push(term);
                terms.batch_months = months;
            }
            _ => {}
        }
        let list = |k: usize| output(k).as_list().unwrap_or(&[]);
        let reasons = shown_reasons(
            [list(REASON_CODE), list(REASON_ZH), list(REASON_EN)],
            &assessment.scored,
            &assessment.features,
        );
        Ok(Decided {
            outcome,
            segment: text(SEGMENT),
            tier: if lends { text(TIER) } else { None },
            terms,
            reasons,
            pd: assessment.scored.pd,
            score: assessment.scored.score,
            model_reasons: assessment.scored.reasons.clone(),
            features: Arc::clone(&assessment.features),
            lpr_1y: assessment.lpr_1y,
            policy: decision,
            policy_version: policy.version.clone(),
            withheld: request.withheld,
        })
    }
}

/// A household's records without those of the withheld sources (`privacy::consent::CLASSIFICATION` names the
/// records each source covers).
pub fn withhold(records: &BorrowerRecords, withheld: Sources) -> BorrowerRecords {
    let mut kept = records.clone();
    for source in withheld.iter() {
        match source {
            DataSource::BureauReports => kept.bureau_reports.clear(),
            DataSource::Transactions => kept.transactions.clear(),
            DataSource::InsuranceClaims => kept.insurance_claims.clear(),
        }
    }
    kept
}

/// What is known of an applicant before a policy runs.
#[derive(Debug, Clone)]
pub struct Assessment {
    /// Feature values as of the application date.
    pub features: Arc<FeatureRow>,
    /// The model's result.
    pub scored: Scored,
    /// One-year LPR on the application date.
    pub lpr_1y: Decimal,
    /// The household head's age in the application year.
    pub age: i32,
}

/// The reasons shown: the policy's, in its priority order, then, when a score reason is among them, the model's
/// weightiest reasons (they say why the score is what it is), leaving out those about a value the applicant does
/// not have (a missing value is the thin file's reason, which the policy gives); at most [`MAX_REASONS`].
fn shown_reasons(lists: [&[Value]; 3], scored: &Scored, features: &FeatureRow) -> Vec<ShownReason> {
    let [codes, zh, en] = lists;
    let mut out = Vec::new();
    let mut score_reason = false;
    for (i, code) in codes.iter().enumerate() {
        let Some(code) = code.as_str() else { continue };
        let at = |v: &[Value]| v.get(i).and_then(Value::as_str).unwrap_or_default().to_owned();
        out.push(ShownReason { code: code.to_owned(), zh: at(zh), en: at(en), source: "policy" });
        score_reason |= code.starts_with("SCORE_");
    }
    if score_reason {
        let known = |name: &str| Feature::by_name(name).and_then(|f| features.get(f)).is_some();
        for reason in scored.reasons.iter().filter(|r| known(&r.feature)) {
            out.push(ShownReason {
                code: format!("MODEL_{}", reason.feature.to_ascii_uppercase()),
                zh: reason.zh.clone(),
                en: reason.en.clone(),
                source: "model",
            });
        }
    }
    out.truncate(MAX_REASONS);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_places_without_the_binary_expansion_agree_with_it() {
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut values = vec![0.5, 0.0000005, 0.0000015, 2.5e-7, 1.0000005, -0.0000025, 160967.878917, 0.074502];
        for _ in 0..200_000 {
            let magnitude = 10f64.powi(i32::try_from(next() % 22).unwrap_or(0) - 9);
            let unit = (next() >> 11) as f64 / (1u64 << 53) as f64;
            let sign = if next() % 2 == 0 { 1.0 } else { -1.0 };
            values.push(sign * unit * magnitude);
            // Halfway points in millionths, where the rounding rule decides.
            values.push(sign * ((next() % 10_000_000) as f64 + 0.5) / 1e6);
        }
        for value in values {
            assert_eq!(decimal_of(value), exact_decimal_of(value), "{value:e}");
        }
    }
}
