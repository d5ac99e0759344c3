//! `agririsk approval list | confirm | reject`: dual control from the command line (`app::approvals`), and the
//! proposals the other commands make (`policy move` to retired or out of active, `model promote`, `loan reclassify`,
//! `loan write-off`). The acting person is the operating-system user (`os:NAME`); a proposal is decided by another.

use app::approvals::{self, Act};

use crate::Place;
use crate::args::{ApprovalCommand, Format};
use crate::error::CliError;
use crate::table::{Align, Table};
use crate::{SystemClock, emit, print_json, with_store};

/// Who the command line acts as on `store`.
fn actor(store: &store::Database) -> String {
    store.acting_as().actor.clone()
}

/// Proposes `act` for `reason` as the operating-system user and says what it waits for.
pub async fn propose_command(at: &Place, act: &Act, reason: &str) -> Result<(), CliError> {
    let proposal =
        with_store(at, async |store| approvals::propose(store, act, reason, &actor(store), &SystemClock).await).await?;
    emit(&format!(
        "proposal {id}: {what}; it waits for another person than {by} to run `agririsk approval confirm {id}` \
         (or `agririsk approval reject {id} --reason …`)\n",
        id = proposal.id,
        what = act.describe(),
        by = proposal.proposal.proposed_by,
    ))
}

/// Runs an approval command.
pub async fn run(command: ApprovalCommand, at: &Place) -> Result<(), CliError> {
    match command {
        ApprovalCommand::List { all, format } => {
            let proposals = with_store(at, async |store| Ok(approvals::list(store, all).await?)).await?;
            if format == Format::Json {
                return print_json(&serde_json::Value::Array(proposals.iter().map(approvals::view).collect()));
            }
            if proposals.is_empty() {
                return emit(if all { "no proposals\n" } else { "no proposals wait for a decision\n" });
            }
            let mut table = Table::new(&[
                ("id", Align::Left),
                ("kind", Align::Left),
                ("target", Align::Left),
                ("proposed by", Align::Left),
                ("proposed at", Align::Left),
                ("state", Align::Left),
                ("reason", Align::Left),
            ]);
            for p in &proposals {
                let state = p
                    .decision
                    .as_ref()
                    .map_or_else(|| "open".to_string(), |d| format!("{} by {}", d.verdict, d.decided_by));
                table.row(vec![
                    p.id.clone(),
                    p.proposal.kind.code().to_string(),
                    p.proposal.target.clone(),
                    p.proposal.proposed_by.clone(),
                    p.proposal.proposed_at.to_string(),
                    state,
                    p.proposal.reason.clone(),
                ]);
            }
            emit(&table.render())
        }
        ApprovalCommand::Confirm { id } => {
            let (proposal, act) =
                with_store(at, async |store| approvals::confirm(store, &id, &actor(store), &SystemClock).await).await?;
            let by = proposal.decision.map(|d| d.decided_by).unwrap_or_default();
            emit(&format!("proposal {id} confirmed by {by}: done: {}\n", act.describe()))
        }
        ApprovalCommand::Reject { id, reason } => {
            let proposal =
                with_store(at, async |store| approvals::reject(store, &id, &actor(store), &reason, &SystemClock).await)
                    .await?;
            let by = proposal.decision.map(|d| d.decided_by).unwrap_or_default();
            emit(&format!("proposal {id} rejected by {by}; nothing was done\n"))
        }
    }
}
