//! The decision itself: an applicant's features as of the application date, the model's probability of default,
//! and the policy evaluated over both, turned into terms in fen, a product and schedule aligned with the
//! household's crop calendar, and at most four reasons. Pure and deterministic: the same applicant, records and
//! versions give the same decision.

use std::sync::Arc;

use chrono::Datelike;

use domain::lpr::{LprTable, LprTenor};
use domain::{Crop, CropCalendar, Date, Money, Region};
use features::input::{Application, BorrowerRecords, FarmCrop, Product};
use features::{Feature, FeatureRow, Snapshot, Social};
use policy::{CompiledPolicy, Input, Value};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use scoring::artifact::{Artifact, Scored};
use scoring::data::{Column, Frame};
use store::Outcome;

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
    /// The policy names a feature the catalogue does not have.
    #[error("policy {policy}: field '{field}' names no feature of the catalogue")]
    UnknownFeature {
        /// The policy version.
        policy: String,
        /// The field.
        field: String,
    },
}

/// A model that scores one feature row: the artifact and, for each of its input columns, the feature it reads.
#[derive(Debug, Clone)]
pub struct Scorer {
    model: Arc<Artifact>,
    names: Vec<String>,
    columns: Vec<Feature>,
}

impl Scorer {
    /// A scorer for a model trained on the feature table (its inputs are catalogue feature names).
    pub fn new(model: Arc<Artifact>) -> Result<Scorer, EngineError> {
        let mut names = Vec::new();
        let mut columns = Vec::new();
        for input in &model.inputs {
            let feature = Feature::by_name(&input.name).filter(|_| input.kind == "numeric").ok_or_else(|| {
                EngineError::ModelInput { model: model.content_hash.clone(), column: input.name.clone() }
            })?;
            names.push(input.name.clone());
            columns.push(feature);
        }
        Ok(Scorer { model, names, columns })
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
        let columns =
            self.columns.iter().map(|f| Column::Numeric(vec![row.get(*f).unwrap_or(f64::NAN)])).collect::<Vec<_>>();
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
}

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
        Ok(VersionedPolicy { version, policy, features })
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

/// The decided terms, in fen and exact rates.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Terms {
    /// The credit line granted (0 when declined).
    pub limit: Money,
    /// The amount to lend: the request capped by the limit (0 when declined).
    pub amount: Money,
    /// Term in months.
    pub term_months: u32,
    /// Annual rate, exact decimal fraction; `None` when declined.
    pub annual_rate: Option<Decimal>,
    /// Lending-core product code; `None` when declined.
    pub product: Option<String>,
    /// How often interest falls due (`monthly`, `quarterly`).
    pub interest_every: Option<String>,
    /// For a harvest-aligned loan: the crop and region whose calendar sets the principal date.
    pub harvest: Option<(Crop, Region)>,
    /// For a livestock loan: months after the start at which each batch is sold.
    pub batch_months: Vec<u32>,
}

impl Terms {
    /// The lending core's request for these terms, starting on `start` (the disbursement date).
    pub fn terms_request(&self, start: Date) -> Option<lending::TermsRequest> {
        let product = self.product.as_deref()?;
        let rate = self.annual_rate?;
        let mut request = lending::TermsRequest::new(
            product,
            &self.amount.to_yuan_decimal().to_string(),
            &rate.normalize().to_string(),
            &start.to_string(),
        );
        request.interest_every = self.interest_every.clone();
        match product {
            "harvest-bullet" => {
                let (crop, region) = self.harvest?;
                request.crop = Some(crop.code().to_owned());
                request.region = Some(region.code().to_owned());
            }
            "livestock-batch" => request.batch_months = Some(self.batch_months.iter().map(|&m| i64::from(m)).collect()),
            "revolving" => {
                request.term_months = Some(i64::from(self.term_months));
                request.draw_term_months = Some(i64::from(self.term_months.min(12)));
            }
            _ => request.term_months = Some(i64::from(self.term_months)),
        }
        Some(request)
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
    pub features: FeatureRow,
    /// The one-year LPR in force on the application date.
    pub lpr_1y: Decimal,
    /// The policy's outputs and trace.
    pub policy: policy::Decision,
    /// The version of the policy that decided.
    pub policy_version: String,
}

/// The policy's product for a lending product and purpose, for replaying applications recorded with a lending
/// product code (the simulator's and the core's files): livestock and business purposes keep their programme,
/// otherwise the lending product says which programme the loan came from.
pub fn programme_of(product: Product, purpose: features::input::StatedPurpose) -> &'static str {
    use features::input::StatedPurpose as P;
    match (purpose, product) {
        (P::Livestock, _) | (_, Product::LivestockBatch) => "livestock",
        (P::SmallBusiness, _) => "business",
        (_, Product::Revolving) => "cooperative",
        (_, Product::EqualInstallment | Product::EqualPrincipal) => "business",
        (_, Product::HarvestBullet | Product::InterestOnly) => "crop",
    }
}

/// The lending product a programme's application is booked as for the feature engine, before the policy chooses.
fn provisional_product(programme: &str) -> Product {
    match programme {
        "livestock" => Product::LivestockBatch,
        "business" => Product::EqualInstallment,
        "cooperative" => Product::Revolving,
        "poverty_microcredit" => Product::InterestOnly,
        _ => Product::HarvestBullet,
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
        let features = features::for_application(snapshot, social, applicant.records, &application).map_err(|e| {
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
        Ok(Assessment { features, scored, lpr_1y: lpr.annual(), age })
    }

    /// Evaluates a policy over an assessment and turns its outputs into a decision.
    pub fn decide(
        &self,
        policy: &VersionedPolicy,
        request: &ApplicationRequest,
        applicant: &Applicant<'_>,
        assessment: &Assessment,
    ) -> Decided {
        let input = self.input(policy, request, assessment);
        let decision = policy.policy.evaluate(&input);
        self.finish(policy, request, applicant, assessment, decision)
    }

    fn input(&self, policy: &VersionedPolicy, request: &ApplicationRequest, assessment: &Assessment) -> Input {
        let schema = policy.policy.schema();
        let mut input = schema.empty_input();
        let yuan = |m: Money| Value::Number(m.to_yuan_decimal());
        let pd = decimal_of(assessment.scored.pd).unwrap_or(Decimal::ONE);
        let fields: [(&str, Value); 13] = [
            ("applicant.age", Value::Number(Decimal::from(assessment.age))),
            ("applicant.consent", request.consent.into()),
            ("applicant.blacklisted", request.blacklisted.into()),
            ("applicant.fraud_suspected", request.fraud_suspected.into()),
            ("applicant.poverty_registered", request.poverty_registered.into()),
            ("applicant.product", request.product.as_str().into()),
            ("applicant.requested_amount_yuan", yuan(request.amount)),
            ("applicant.term_months", Value::Number(Decimal::from(request.term_months))),
            ("applicant.land_right_appraised_yuan", request.land_right_appraised.map_or(Value::Null, yuan)),
            ("applicant.whole_village_programme", request.whole_village_programme.into()),
            ("score.pd", Value::Number(pd)),
            ("score.points", Value::Number(Decimal::from(assessment.scored.score))),
            ("market.lpr_1y", Value::Number(assessment.lpr_1y)),
        ];
        for (field, value) in fields {
            if schema.slot(field).is_some() {
                input.set(field, value).expect("the engine's fields have the types of the default schema");
            }
        }
        for &(slot, feature) in &policy.features {
            let value = assessment.features.get(feature).and_then(decimal_of).map_or(Value::Null, Value::Number);
            input.set(&schema.fields()[slot].field, value).expect("feature fields are numbers");
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
    ) -> Decided {
        let text = |field: &str| decision.get(field).and_then(Value::as_str).map(str::to_owned);
        let number = |field: &str| decision.get(field).and_then(Value::as_number);
        let outcome = match text("decision.outcome").as_deref() {
            Some("approve") => Outcome::Approve,
            Some("refer") => Outcome::Refer,
            // A policy that reaches no outcome declines: nothing is lent on an undecided application.
            _ => Outcome::Decline,
        };
        let lends = outcome != Outcome::Decline;
        let limit = if lends { number("decision.limit_yuan").map_or(Money::ZERO, fen_of_yuan) } else { Money::ZERO };
        let amount = if lends { request.amount.min(limit) } else { Money::ZERO };
        let term_months = number("decision.term_months").and_then(|t| t.to_u32()).unwrap_or(request.term_months);
        let product = if lends { text("decision.product") } else { None };
        let mut terms = Terms {
            limit,
            amount,
            term_months,
            annual_rate: if lends { number("decision.annual_rate").map(|r| r.normalize()) } else { None },
            product,
            interest_every: if lends { text("decision.interest_every") } else { None },
            harvest: None,
            batch_months: Vec::new(),
        };
        match terms.product.as_deref() {
            Some("harvest-bullet") => {
                if let Some((crop, region, ahead)) =
                    harvest_crop(&self.calendar, applicant.records, applicant.region, request.applied_on)
                {
                    terms.harvest = Some((crop, region));
                    terms.term_months = ahead + 1;
                }
            }
            Some("livestock-batch") => {
                // A fattening batch takes about five months (shared/domain/products.md); sell at each one inside
                // the term, the last at maturity.
                let term = terms.term_months.max(1);
                let mut months: Vec<u32> = (1..).map(|i| i * 5).take_while(|m| *m < term).collect();
                months.push(term);
                terms.batch_months = months;
            }
            _ => {}
        }
        let reasons = shown_reasons(&decision, &assessment.scored, &assessment.features);
        Decided {
            outcome,
            segment: text("decision.segment"),
            tier: if lends { text("decision.tier") } else { None },
            terms,
            reasons,
            pd: assessment.scored.pd,
            score: assessment.scored.score,
            model_reasons: assessment.scored.reasons.clone(),
            features: assessment.features.clone(),
            lpr_1y: assessment.lpr_1y,
            policy: decision,
            policy_version: policy.version.clone(),
        }
    }
}

/// What is known of an applicant before a policy runs.
#[derive(Debug, Clone)]
pub struct Assessment {
    /// Feature values as of the application date.
    pub features: FeatureRow,
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
fn shown_reasons(decision: &policy::Decision, scored: &Scored, features: &FeatureRow) -> Vec<ShownReason> {
    let list = |field: &str| decision.get(field).and_then(Value::as_list).unwrap_or(&[]).to_vec();
    let (codes, zh, en) = (list("reasons.code"), list("reasons.zh"), list("reasons.en"));
    let mut out = Vec::new();
    let mut score_reason = false;
    for (i, code) in codes.iter().enumerate() {
        let Some(code) = code.as_str() else { continue };
        let at = |v: &Vec<Value>| v.get(i).and_then(Value::as_str).unwrap_or_default().to_owned();
        out.push(ShownReason { code: code.to_owned(), zh: at(&zh), en: at(&en), source: "policy" });
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
