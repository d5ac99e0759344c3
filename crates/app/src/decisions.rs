//! Deciding applications: the one place the decider is put together from the registers (used by the server,
//! village rosters, policy replay, the commands and the demo): the champion
//! decision model from the model registry, the active and shadow policy versions from the policy register, and
//! every household's records from the ingested data.

use std::path::Path;
use std::sync::Arc;

use decide::{ApplicationRequest, Decided, Decider, Engine, Entry, Lineup, Scorer, VersionedPolicy, World};
use domain::{Clock, CropCalendar, LprTable};
use integrate::RecordStore;
use policy::lifecycle::PolicyStatus;
use store::{DecisionLog, ModelRegistry, PolicyRegister, PolicySummary, Recorded, ScreeningRegister};

use crate::error::{Error, ErrorCode};

/// The model name the decider scores with (its champion decides).
pub const MODEL_NAME: &str = "decision-scorecard";
/// The policy name the decider dispatches.
pub const POLICY_NAME: &str = "rural-microcredit";

/// How the decider is set up beyond what the registers say.
#[derive(Debug, Clone, Default)]
pub struct Setup {
    /// A policy version id deciding a share of applicants, with the share in basis points.
    pub challenger: Option<(String, u32)>,
    /// Salt of the champion/challenger split.
    pub salt: String,
}

/// Compiles a stored policy version against the shipped input schema.
fn compile(summary: &PolicySummary) -> Result<VersionedPolicy, Error> {
    let schema = policy::default_set::schema().map_err(|e| Error::Internal(e.into()))?;
    let v = &summary.version;
    let file = format!("{} {} ({})", v.name, v.version, v.policy_id);
    let compiled = policy::load(&file, &v.jdm_json, &schema).map_err(|e| Error::input("policy", e))?;
    VersionedPolicy::new(format!("{}@{}", v.name, v.version), Arc::new(compiled)).map_err(|e| Error::input("policy", e))
}

/// The policies in play from the register.
pub async fn lineup(store: &impl PolicyRegister, setup: &Setup) -> Result<Lineup, Error> {
    let versions = store.policies(Some(POLICY_NAME)).await?;
    let mut active = Vec::new();
    let mut shadows = Vec::new();
    for summary in &versions {
        match summary.status {
            PolicyStatus::Active => {
                let effective_from = domain::parse_date(&summary.version.effective_from)
                    .map_err(|e| Error::Internal(anyhow::anyhow!("stored effective date: {e}")))?;
                active.push(Entry {
                    region: summary.version.region.clone(),
                    segment: summary.version.segment.clone(),
                    effective_from,
                    policy: compile(summary)?,
                });
            }
            PolicyStatus::Shadow => shadows.push(compile(summary)?),
            _ => {}
        }
    }
    let challenger = match &setup.challenger {
        None => None,
        Some((id, share)) => {
            let summary = versions
                .iter()
                .find(|s| &s.version.policy_id == id)
                .filter(|s| matches!(s.status, PolicyStatus::Approved | PolicyStatus::Shadow | PolicyStatus::Active))
                .ok_or_else(|| {
                    Error::input(
                        "challenger",
                        format!("{id} is not an approved, shadow or active {POLICY_NAME} version"),
                    )
                })?;
            Some((compile(summary)?, *share))
        }
    };
    Ok(Lineup { active, challenger, shadows, salt: setup.salt.clone() })
}

/// The champion decision model.
pub async fn scorer(store: &impl ModelRegistry) -> Result<Scorer, Error> {
    let champion = store.champion(MODEL_NAME).await?.ok_or_else(|| {
        Error::input(
            "model",
            format!(
                "no champion model named {MODEL_NAME}: train one with `agririsk decide train`, register and promote it"
            ),
        )
    })?;
    let (_, text) = store
        .model(&champion.id)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("champion {} has no artifact", champion.id)))?;
    let artifact = scoring::artifact::Artifact::from_json(&text, Path::new(&champion.id))
        .map_err(|e| Error::Internal(anyhow::anyhow!("stored model: {e}")))?;
    Scorer::new(Arc::new(artifact)).map_err(|e| Error::input("model", e))
}

/// The decider of a data directory's store.
pub async fn decider<S: ModelRegistry + PolicyRegister + RecordStore>(
    store: &S,
    setup: &Setup,
) -> Result<Decider, Error> {
    let scorer = scorer(store).await?;
    let lineup = lineup(store, setup).await?;
    let world = World::load(store).await?;
    let engine = Engine::new(scorer, LprTable::published(), CropCalendar::china_default());
    Ok(Decider { engine: Arc::new(engine), lineup: Arc::new(lineup), world: Arc::new(world) })
}

/// Decides one application with the registers' champion model and active policies, and records the decision; the
/// same request again answers the recorded decision (`true`: nothing new was recorded).
pub async fn apply<S: ModelRegistry + PolicyRegister + RecordStore + DecisionLog + ScreeningRegister>(
    store: &S,
    request: &ApplicationRequest,
    clock: &dyn Clock,
) -> Result<(workflow::DecisionRecord, Decided, bool), Error> {
    let decider = decider(store, &Setup::default()).await?;
    let screening = crate::screening::screening_of(store, &request.household_id, request.applied_on).await?;
    let request = request.clone().screened(screening);
    let outcome = decider.decide(&request, &clock.now())?;
    match store.record_decision(&outcome.record).await {
        Ok(Recorded::New) => Ok((outcome.record, outcome.decided, false)),
        Ok(Recorded::Existing(stored)) => Ok((stored, outcome.decided, true)),
        Err(store::StoreError::RequestReused { request_id }) => Err(Error::coded(
            ErrorCode::RequestReused,
            "request_id",
            format!("{request_id} was used before for a different application"),
        )),
        Err(e) => Err(e.into()),
    }
}
