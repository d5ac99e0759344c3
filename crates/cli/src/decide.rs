//! `agririsk decide …`: the decision model and single applications, and the one place the decider is put together
//! from the data directory (used by `serve`, `village credit`, `policy simulate` and the demo): the champion
//! decision model from the model registry, the active and shadow policy versions from the policy register, and
//! every household's records from the ingested data.

use std::path::Path;
use std::sync::Arc;

use decide::{ApplicationRequest, Decided, Decider, Engine, Entry, Lineup, Scorer, VersionedPolicy, World};
use domain::{CropCalendar, LprTable};
use store::{DecisionLog, ModelRegistry, PolicyRegister, PolicyStatus, PolicySummary, Recorded, SqliteStore};

use crate::emit;
use crate::error::CliError;

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
fn compile(summary: &PolicySummary) -> Result<VersionedPolicy, CliError> {
    let schema = policy::default_set::schema().map_err(|e| CliError::Internal(e.into()))?;
    let v = &summary.version;
    let file = format!("{} {} ({})", v.name, v.version, v.policy_id);
    let compiled = policy::load(&file, &v.jdm_json, &schema).map_err(|e| CliError::input("policy", e))?;
    VersionedPolicy::new(format!("{}@{}", v.name, v.version), Arc::new(compiled))
        .map_err(|e| CliError::input("policy", e))
}

/// The policies in play from the register.
pub async fn lineup(store: &SqliteStore, setup: &Setup) -> Result<Lineup, CliError> {
    let versions = store.policies(Some(POLICY_NAME)).await?;
    let mut active = Vec::new();
    let mut shadows = Vec::new();
    for summary in &versions {
        match summary.status {
            PolicyStatus::Active => {
                let effective_from = domain::parse_date(&summary.version.effective_from)
                    .map_err(|e| CliError::Internal(anyhow::anyhow!("stored effective date: {e}")))?;
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
                    CliError::input(
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
pub async fn scorer(store: &SqliteStore) -> Result<Scorer, CliError> {
    let champion = store.champion(MODEL_NAME).await?.ok_or_else(|| {
        CliError::input(
            "model",
            format!(
                "no champion model named {MODEL_NAME}: train one with `agririsk decide train`, register and promote it"
            ),
        )
    })?;
    let (_, text) = store
        .model(&champion.id)
        .await?
        .ok_or_else(|| CliError::Internal(anyhow::anyhow!("champion {} has no artifact", champion.id)))?;
    let artifact = scoring::artifact::Artifact::from_json(&text, Path::new(&champion.id))
        .map_err(|e| CliError::Internal(anyhow::anyhow!("stored model: {e}")))?;
    Scorer::new(Arc::new(artifact)).map_err(|e| CliError::input("model", e))
}

/// The decider of a data directory's store.
pub async fn decider(store: &SqliteStore, setup: &Setup) -> Result<Decider, CliError> {
    let scorer = scorer(store).await?;
    let lineup = lineup(store, setup).await?;
    let world = World::load(store).await?;
    let engine = Engine::new(scorer, LprTable::published(), CropCalendar::china_default());
    Ok(Decider { engine: Arc::new(engine), lineup: Arc::new(lineup), world: Arc::new(world) })
}

/// A refused application as a command-line error (exit 2) naming the field.
pub fn refused(e: decide::DecideError) -> CliError {
    CliError::input(
        e.field.clone().unwrap_or_else(|| e.code.as_str().to_owned()),
        format!("[{}] {}", e.code, e.message),
    )
}

/// Money as yuan with two decimals.
fn yuan(m: domain::Money) -> String {
    format!("{:.2}", m.to_yuan_decimal())
}

/// A decision in a few lines a loan officer can read.
pub fn decision_text(decision_id: &str, household: &str, decided: &Decided) -> String {
    let t = &decided.terms;
    let mut out = format!("{decision_id}  {household}  {}", decided.outcome.code().to_uppercase());
    if let Some(segment) = &decided.segment {
        out.push_str(&format!("  segment {segment}"));
    }
    if let Some(tier) = &decided.tier {
        out.push_str(&format!("  tier {tier}"));
    }
    out.push('\n');
    if decided.outcome != store::Outcome::Decline {
        let rate = t.annual_rate.map_or("-".into(), |r| format!("{:.2}%", r * rust_decimal::Decimal::ONE_HUNDRED));
        out.push_str(&format!(
            "  limit {} yuan, amount {} yuan, {} months at {rate}, product {}{}\n",
            yuan(t.limit),
            yuan(t.amount),
            t.term_months,
            t.product.as_deref().unwrap_or("-"),
            t.harvest.map_or(String::new(), |(c, r)| format!(" (harvest of {} in {})", c.code(), r.code())),
        ));
    }
    out.push_str(&format!(
        "  PD {:.2}%, score {}, policy {}\n",
        decided.pd * 100.0,
        decided.score,
        decided.policy_version
    ));
    for r in &decided.reasons {
        out.push_str(&format!("  · {} {} / {}\n", r.code, r.zh, r.en));
    }
    out
}

/// `agririsk decide apply FILE`: decides one application (JSON) and records the decision; the same request id
/// again returns the recorded decision.
pub async fn apply_command(data_dir: &Path, file: &Path, json: bool) -> Result<(), CliError> {
    let bytes =
        std::fs::read(file).map_err(|e| CliError::input("file", format!("{}: cannot read: {e}", file.display())))?;
    let request = ApplicationRequest::from_json(&bytes).map_err(refused)?;
    let store = SqliteStore::open(data_dir).await?;
    let result = apply(&store, &request).await;
    store.close().await;
    let (record, decided, existing) = result?;
    if json {
        let value: serde_json::Value =
            serde_json::from_str(&record.record_json).map_err(|e| CliError::Internal(e.into()))?;
        return crate::print_json(&value);
    }
    let mut text = decision_text(&record.decision_id, &record.subject, &decided);
    if existing {
        text.push_str("  (decided before under this request id; nothing new was recorded)\n");
    }
    emit(&text)
}

async fn apply(
    store: &SqliteStore,
    request: &ApplicationRequest,
) -> Result<(store::DecisionRecord, Decided, bool), CliError> {
    let decider = decider(store, &Setup::default()).await?;
    let outcome = decider.decide(request, &crate::model::now_rfc3339()).map_err(refused)?;
    match store.record_decision(&outcome.record).await {
        Ok(Recorded::New) => Ok((outcome.record, outcome.decided, false)),
        Ok(Recorded::Existing(stored)) => Ok((stored, outcome.decided, true)),
        Err(store::StoreError::RequestReused { request_id }) => Err(CliError::input(
            "request_id",
            format!("[request_reused] {request_id} was used before for a different application"),
        )),
        Err(e) => Err(e.into()),
    }
}

/// `agririsk decide train`: trains the decision scorecard on the ingested applications and writes it.
pub async fn train_command(data_dir: &Path, up_to: &str, horizon: u32, out: &Path) -> Result<(), CliError> {
    let up_to = domain::parse_date(up_to).map_err(|e| CliError::input("as-of", e))?;
    let store = SqliteStore::open(data_dir).await?;
    let world = World::load(&store).await;
    store.close().await;
    let world = world?;
    let artifact = decide::model::train_on_applications(&world, up_to, horizon, &crate::model::now_rfc3339())
        .map_err(|e| CliError::input("as-of", e))?;
    crate::model::write_atomically(out, &artifact.to_json(), "out")?;
    emit(&crate::model::summary(&artifact, out))
}
