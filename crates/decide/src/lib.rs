//! Automated credit decisions. An application ([`ApplicationRequest`]) is decided in one pass: the household's
//! features as of the application date (only what was known that day), the model's probability of default, and
//! the credit policy (a JDM graph run by the `policy` crate) over both, which sets the outcome, segment, tier,
//! limit, price, product and term. The result ([`Decided`]) is turned into an immutable record with at most four
//! reasons a farmer can read, the full trace, the feature values, and the exact policy and model versions.
//!
//! [`Lineup`] says which policy decides (champion, a deterministic challenger share, shadows); [`World`] holds
//! what the decider reads, in memory; [`Decider`] ties them together. Deciding is pure: storing the record is the
//! caller's (the decision log in `store` makes it idempotent by request id).

pub mod engine;
pub mod error;
pub mod model;
pub mod record;
pub mod request;
pub mod split;
pub mod world;

use std::sync::Arc;

use domain::Timestamp;

pub use engine::{
    Applicant, Assessment, Decided, Engine, EngineError, HarvestOf, Scorer, ShownReason, Terms, VersionedPolicy,
};
pub use error::{DecideError, ErrorCode};
pub use record::{RecordMeta, decision_id_of, decision_record, record_text, terms_of};
pub use request::{ApplicationRequest, Screening};
pub use split::{Arm, Entry, Lineup};
pub use world::{Market, World};

/// The decider: an engine, the policies in play and the applicants' world.
#[derive(Debug, Clone)]
pub struct Decider {
    /// Model, LPR table, crop calendar.
    pub engine: Arc<Engine>,
    /// Champion, challenger, shadows.
    pub lineup: Arc<Lineup>,
    /// Applicants' records.
    pub world: Arc<World>,
}

/// A decision with its record.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The record for the decision log.
    pub record: workflow::DecisionRecord,
    /// The acting policy's decision.
    pub decided: Decided,
    /// The arm that decided.
    pub arm: Arm,
}

impl Decider {
    /// Decides an application; `decided_at` is the decision time. Refuses an unknown applicant, a
    /// date without a rate or market data, and (`no_policy`) an acting policy that decides terms the lending core
    /// cannot take; otherwise every application gets a decision. A shadow policy that cannot decide is left out of
    /// the record: it only watches, and must not stop a real decision.
    pub fn decide(&self, request: &ApplicationRequest, decided_at: &Timestamp) -> Result<Outcome, DecideError> {
        let applicant = self.world.applicant(&request.household_id).ok_or_else(|| {
            DecideError::field(
                ErrorCode::UnknownApplicant,
                "household_id",
                format!("no household {} is on file", request.household_id),
            )
        })?;
        let market = self.world.market(request.applied_on);
        let assessment = self.engine.assess(&market.snapshot, &market.social, request, &applicant)?;
        let village = &applicant.records.household.village_code;
        let (policy, arm) = self
            .lineup
            .acting(&request.household_id, village, &request.product, request.applied_on)
            .ok_or_else(|| {
                DecideError::whole(
                    ErrorCode::NoPolicy,
                    format!(
                        "no active policy serves village {village}, product {} on {}",
                        request.product, request.applied_on
                    ),
                )
            })?;
        let decided = self.engine.decide(policy, request, &applicant, &assessment).map_err(|e| {
            DecideError::whole(ErrorCode::NoPolicy, format!("the acting policy cannot decide this application: {e}"))
        })?;
        let shadows: Vec<Decided> = self
            .lineup
            .shadows
            .iter()
            .filter_map(|p| self.engine.decide(p, request, &applicant, &assessment).ok())
            .collect();
        let decision_id = decision_id_of(&request.request_id);
        let meta = RecordMeta { decision_id: &decision_id, decided_at, arm, shadows: &shadows };
        let record = decision_record(request, &decided, self.engine.scorer().model_id(), &meta);
        Ok(Outcome { record, decided, arm })
    }
}
