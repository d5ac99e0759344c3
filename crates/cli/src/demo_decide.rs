//! The demo's decision step: the shipped decision scorecard registered and promoted (proposed by one person,
//! confirmed by another), the default policy submitted
//! by one person and activated by another, every simulated application of the county decided again by rules plus
//! model and recorded (idempotently), the reasons of a few, and a human-review request on a declined one.

use std::collections::BTreeMap;
use std::path::Path;

use decide::ApplicationRequest;
use policy::lifecycle::PolicyStatus;
use scoring::lifecycle::ModelStatus;
use store::{DecisionLog, ModelRegistry, PolicyRegister, PolicyVersion, SqliteStore};
use workflow::Outcome;

use app::decisions::{MODEL_NAME, POLICY_NAME, Setup, decider};

use crate::decide::decision_text;
use crate::emit;
use crate::error::CliError;

/// The decision model shipped with agririsk (see docs/decisions.md for how it was trained).
pub const SHIPPED_MODEL: &str = include_str!("../../../models/decision-scorecard.json");

fn internal(e: impl std::fmt::Display) -> CliError {
    CliError::Internal(anyhow::anyhow!("{e}"))
}

/// Registers the shipped model and activates the default policy, with two people for each step.
pub async fn install_defaults(store: &SqliteStore, at: &str) -> Result<(String, String), CliError> {
    let artifact = scoring::artifact::Artifact::from_json(SHIPPED_MODEL, Path::new("models/decision-scorecard.json"))
        .map_err(internal)?;
    let record = app::models::registry_record(&artifact);
    debug_assert_eq!(artifact.name, MODEL_NAME);
    store.register_model(&record, at, "model-builder").await?;
    // The promotion is dual control, as at the command line: proposed by one person, carried out as another.
    let champion = store.models(Some(MODEL_NAME)).await?.iter().any(|m| m.status == ModelStatus::Champion);
    if !champion {
        let act = app::approvals::Act::ModelMove { model_id: record.id.clone(), to: ModelStatus::Champion };
        let builder = store.acting("demo:model-builder", "demo");
        let proposal =
            app::approvals::propose(&builder, &act, "shipped model", "demo:model-builder", &crate::SystemClock).await?;
        let manager = store.acting("demo:risk-manager", "demo");
        app::approvals::confirm(&manager, &proposal.id, "demo:risk-manager", &crate::SystemClock).await?;
    }
    let text = policy::default_set::GRAPH_JSON.to_owned();
    let id = scoring::artifact::fingerprint(text.as_bytes());
    let version = PolicyVersion {
        policy_id: id.clone(),
        name: POLICY_NAME.into(),
        version: "default".into(),
        region: String::new(),
        segment: String::new(),
        effective_from: "2019-08-20".into(),
        submitted_by: "risk-analyst".into(),
        submitted_at: at.into(),
        jdm_json: text,
    };
    store.submit_policy(&version).await?;
    for to in [PolicyStatus::Approved, PolicyStatus::Active] {
        store.move_policy(&id, to, "chief-risk-officer", at, "the shipped default policy").await?;
    }
    Ok((record.id, id))
}

/// Step 5 of the demo.
pub async fn decisions(dir: &Path) -> Result<(), CliError> {
    emit("5. Automated decisions: rules plus model, explained and recorded\n\n")?;
    let store = SqliteStore::open(&crate::demo::data_dir(dir)).await?;
    let result = run(&store).await;
    store.close().await;
    result
}

async fn run(store: &SqliteStore) -> Result<(), CliError> {
    let now = domain::Clock::now(&crate::SystemClock);
    let at = now.to_string();
    let (model_id, policy_id) = install_defaults(store, &at).await?;
    emit(&format!(
        "   champion model {MODEL_NAME} {} (registered by model-builder, promoted by risk-manager)\n   \
         active policy {POLICY_NAME} {} (submitted by risk-analyst, approved and activated by chief-risk-officer)\n\n",
        &model_id[..12],
        &policy_id[..12]
    ))?;
    let decider = decider(store, &Setup::default()).await?;
    let requests: Vec<ApplicationRequest> = decider
        .world
        .borrowers()
        .iter()
        .flat_map(|b| b.applications.iter().map(|a| ApplicationRequest::replay(a, &b.loans)))
        .collect();
    let started = std::time::Instant::now();
    let mut outcomes = Vec::with_capacity(requests.len());
    for request in &requests {
        outcomes.push(decider.decide(request, &now).map_err(|e| crate::decide::refused(e.into()))?);
    }
    let decide_secs = started.elapsed().as_secs_f64();
    let started = std::time::Instant::now();
    for outcome in &outcomes {
        store.record_decision(&outcome.record).await?;
    }
    let store_secs = started.elapsed().as_secs_f64();

    // Outcomes by segment.
    let mut by_segment: BTreeMap<String, [usize; 3]> = BTreeMap::new();
    for o in &outcomes {
        let row = by_segment.entry(o.decided.segment.clone().unwrap_or_else(|| "knocked out".into())).or_default();
        row[Outcome::ALL.iter().position(|x| *x == o.decided.outcome).unwrap_or(2)] += 1;
    }
    let mut table = crate::table::Table::new(&[
        ("segment", crate::table::Align::Left),
        ("approve", crate::table::Align::Right),
        ("refer", crate::table::Align::Right),
        ("decline", crate::table::Align::Right),
    ]);
    for (segment, counts) in &by_segment {
        table.row(vec![segment.clone(), counts[0].to_string(), counts[1].to_string(), counts[2].to_string()]);
    }
    emit(&format!(
        "   {} applications of the simulated county decided again in {:.2} s ({:.0} µs each, features as of each \
         application date) and recorded in {:.2} s:\n{}\n",
        outcomes.len(),
        decide_secs,
        decide_secs * 1e6 / outcomes.len().max(1) as f64,
        store_secs,
        table.render()
    ))?;
    // A few decisions with their reasons: one of each outcome.
    emit("   A few of them, with the reasons the applicant is given (at most four):\n\n")?;
    let mut declined = None;
    for wanted in Outcome::ALL {
        if let Some(o) = outcomes.iter().find(|o| o.decided.outcome == wanted) {
            let text = decision_text(o.record.decision_id.as_str(), &o.record.subject, &o.decided);
            emit(&format!("{}\n", text.lines().map(|l| format!("   {l}")).collect::<Vec<_>>().join("\n")))?;
            if wanted == Outcome::Decline {
                declined = Some(o.record.decision_id.clone());
            }
        }
    }
    // Whole-village pre-credit for the village with the most households, as of the last application date.
    let last = requests.iter().map(|r| r.applied_on).max();
    let mut sizes: BTreeMap<&str, usize> = BTreeMap::new();
    for b in decider.world.borrowers() {
        *sizes.entry(b.household.village_code.as_str()).or_default() += 1;
    }
    if let (Some(on), Some((village, _))) =
        (last, sizes.iter().max_by_key(|(code, n)| (**n, std::cmp::Reverse(**code))))
    {
        let register = app::screening::Register::new(store.quick_reader().all_screening()?);
        let roster =
            app::village::credit_roster(&decider, village, on, &|household, on| register.as_of(household, on))?;
        emit(&format!(
            "   Whole-village pre-credit (整村授信) of village {village} as of {on}, every household through the policy \
             in one batch:\n\n{}\n",
            crate::village::roster_text(&roster)
        ))?;
    }
    if let Some(id) = declined {
        let review = store
            .request_review(
                id.as_str(),
                &format!("demo-review-{id}"),
                &now,
                "branch",
                "我家去年新增了养殖收入，请人工复核",
            )
            .await?;
        emit(&format!(
            "   The declined applicant asked for a person to review it (PIPL art. 24): request #{} on {id} is queued.\n\n",
            review.seq
        ))?;
    }
    Ok(())
}
