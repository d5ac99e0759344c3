//! `agririsk db migrate | status`: where the database's schema stands against this binary, and bringing it up to
//! date. Both act on `--database` (a data directory, `sqlite://PATH` or `postgres://…`).

use store::{Database, SchemaStatus};

use crate::Place;
use crate::args::{DbCommand, Format};
use crate::error::CliError;
use crate::table::{Align, Table};
use crate::{emit, print_json};

/// Runs a database command.
pub async fn run(command: DbCommand, at: &Place) -> Result<(), CliError> {
    match command {
        DbCommand::Migrate => {
            // Opening migrates: each pending migration in its own transaction, refused on a newer or unfinished schema.
            Database::open(&at.location).await?.close().await;
            show(&store::database::status(&at.location).await.map_err(|e| reached(at, e))?, Format::Table)
        }
        DbCommand::Status { format } => {
            show(&store::database::status(&at.location).await.map_err(|e| reached(at, e))?, format)
        }
    }
}

/// A failure to read the status, named as the database not answering when it is a connection failure.
fn reached(at: &Place, e: store::StoreError) -> CliError {
    match e {
        store::StoreError::Database(source) if store::database::is_connection_failure(&source) => {
            store::StoreError::Unreachable { location: at.location.to_string(), reason: source.to_string() }.into()
        }
        other => other.into(),
    }
}

fn show(status: &SchemaStatus, format: Format) -> Result<(), CliError> {
    match format {
        Format::Json => print_json(&serde_json::json!({
            "engine": status.engine,
            "location": status.location,
            "state": status.state(),
            "latest_known": status.latest_known,
            "applied": status.applied.iter().map(|(version, name, finished)| serde_json::json!({
                "version": version, "name": name, "finished": finished,
            })).collect::<Vec<_>>(),
            "pending": status.pending,
        })),
        Format::Table => {
            let mut text = format!(
                "{} database {}: {} (this binary knows migrations up to {})\n",
                status.engine,
                status.location,
                status.state(),
                status.latest_known
            );
            let mut table =
                Table::new(&[("version", Align::Right), ("migration", Align::Left), ("state", Align::Left)]);
            for (version, name, finished) in &status.applied {
                let state = match (finished, *version > status.latest_known) {
                    (false, _) => "unfinished",
                    (true, true) => "newer than this binary",
                    (true, false) => "applied",
                };
                table.row(vec![version.to_string(), name.clone(), state.to_string()]);
            }
            for version in &status.pending {
                table.row(vec![version.to_string(), String::new(), "pending".to_string()]);
            }
            text.push_str(&table.render());
            emit(&text)
        }
    }
}
