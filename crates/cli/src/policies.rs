//! `agririsk policy`: the command-line face of the service layer's `app::policies` (static checks of a JDM file,
//! submit, move and list stored versions). It opens the store only once every argument has passed its checks.

use std::path::Path;

use app::policies::{Move, Moved, Submission};
use store::PolicySummary;

use crate::Place;
use crate::args::SubmitArgs;
use crate::error::CliError;
use crate::table::{Align, Table};
use crate::{SystemClock, emit, print_json, with_store};

/// `agririsk policy check`.
pub fn check_command(file: &Path, schema_file: Option<&Path>) -> Result<(), CliError> {
    app::policies::check(file, schema_file)?;
    emit(&format!("{}: passes every static check\n", file.display()))
}

/// `agririsk policy submit`.
pub async fn submit_command(at: &Place, args: SubmitArgs) -> Result<(), CliError> {
    let submission = Submission {
        file: &args.file,
        schema: args.schema.as_deref(),
        name: args.name,
        version: args.version,
        region: args.region,
        segment: args.segment,
        effective_from: args.effective_from,
        by: crate::audit::os_actor(),
    };
    let version = submission.check(&SystemClock)?;
    let summary = with_store(at, async |store| app::policies::submit(store, &version).await).await?;
    emit(&format!(
        "policy {} {} submitted as {} ({}); it runs once someone other than {} approves it\n",
        summary.version.name,
        summary.version.version,
        summary.version.policy_id,
        summary.status,
        summary.version.submitted_by
    ))
}

/// `agririsk policy move`: a move that stops the version deciding is proposed (dual control); the others are made
/// at once, as the operating-system user.
pub async fn move_command(at: &Place, id: &str, to: &str, reason: &str) -> Result<(), CliError> {
    let to = Move::status(to)?;
    let moved = with_store(at, async |store| {
        let by = store.acting_as().actor.clone();
        app::policies::move_or_propose(store, id, to, &by, reason, &SystemClock).await
    })
    .await?;
    match moved {
        Moved::Now(summary) => emit(&format!(
            "policy {} {} ({}) is now {}\n",
            summary.version.name, summary.version.version, id, summary.status
        )),
        Moved::Proposed(proposal) => emit(&format!(
            "proposal {pid}: move policy {id} to {to}; it waits for another person than {by} to run \
             `agririsk approval confirm {pid}`\n",
            pid = proposal.id,
            by = proposal.proposal.proposed_by,
        )),
    }
}

fn summary_json(p: &PolicySummary) -> serde_json::Value {
    serde_json::json!({
        "id": p.version.policy_id,
        "name": p.version.name,
        "version": p.version.version,
        "region": p.version.region,
        "segment": p.version.segment,
        "effective_from": p.version.effective_from,
        "submitted_by": p.version.submitted_by,
        "submitted_at": p.version.submitted_at,
        "status": p.status.code(),
    })
}

/// `agririsk policy list`.
pub async fn list_command(at: &Place, name: Option<&str>, json: bool) -> Result<(), CliError> {
    let policies = with_store(at, async |store| app::policies::list(store, name).await).await?;
    if json {
        return print_json(&serde_json::Value::Array(policies.iter().map(summary_json).collect()));
    }
    let mut table = Table::new(&[
        ("id", Align::Left),
        ("name", Align::Left),
        ("version", Align::Left),
        ("region", Align::Left),
        ("segment", Align::Left),
        ("effective", Align::Left),
        ("status", Align::Left),
    ]);
    for p in &policies {
        let any = |s: &str| if s.is_empty() { "*".to_string() } else { s.to_string() };
        table.row(vec![
            p.version.policy_id[..12].to_string(),
            p.version.name.clone(),
            p.version.version.clone(),
            any(&p.version.region),
            any(&p.version.segment),
            p.version.effective_from.clone(),
            p.status.code().to_string(),
        ]);
    }
    emit(&table.render())
}
