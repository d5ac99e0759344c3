//! `agririsk db migrate | status | copy`: where the database's schema stands against this binary, bringing it up to
//! date, and moving a whole store to another database. `migrate` and `status` act on `--database` (a data
//! directory, `sqlite://PATH` or `postgres://…`); `copy` on its own `--from` and `--to` (`store::copy`).

use store::copy::{CopyError, CopyOptions, Report};
use store::{Database, Location, SchemaStatus};

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
        DbCommand::Copy { from, to, verify_only, format } => copy(&from, &to, verify_only, format).await,
    }
}

/// `db copy`: copies (or with `verify_only` only verifies) and prints the report; exit 2 when refused, 1 when a
/// check fails.
async fn copy(from: &str, to: &str, verify_only: bool, format: Format) -> Result<(), CliError> {
    let from = Location::parse(from).map_err(|e| CliError::input("from", e))?;
    let to = Location::parse(to).map_err(|e| CliError::input("to", e))?;
    let done = if verify_only {
        store::copy::verify(&from, &to).await
    } else {
        store::copy::copy(&from, &to, CopyOptions::default()).await
    };
    let report = done.map_err(copy_error)?;
    match format {
        Format::Json => print_json(&serde_json::json!({ "ok": report.ok(), "report": report }))?,
        Format::Table => emit(&report_text(&report, verify_only))?,
    }
    if report.ok() {
        Ok(())
    } else {
        Err(CliError::internal(format!("{} does not hold what {} holds: see the checks above", report.to, report.from)))
    }
}

/// A refusal names the side at fault (exit 2); anything else is a failure (exit 1).
fn copy_error(e: CopyError) -> CliError {
    match &e {
        CopyError::NoSource(_) | CopyError::SchemaState { side: "source", .. } => CliError::input("from", e),
        _ if e.is_refusal() => CliError::input("to", e),
        _ => CliError::internal(format!("db copy: {e}")),
    }
}

fn report_text(report: &Report, verify_only: bool) -> String {
    let v = &report.verification;
    let mut text = if verify_only {
        format!("verified {} against {}\n", report.to, report.from)
    } else {
        format!(
            "copied {} rows from {} to {}{}\n",
            report.copied_rows,
            report.from,
            report.to,
            if report.finished_before {
                " (copied by an earlier run; verified again)"
            } else if report.resumed {
                " (resumed)"
            } else {
                ""
            }
        )
    };
    let mut table = Table::new(&[
        ("table", Align::Left),
        ("source rows", Align::Right),
        ("target rows", Align::Right),
        ("sha256", Align::Left),
        ("check", Align::Left),
    ]);
    for t in &v.tables {
        let hash = if t.source_sha256 == t.target_sha256 {
            t.source_sha256.chars().take(16).collect()
        } else {
            format!("{:.16} ≠ {:.16}", t.source_sha256, t.target_sha256)
        };
        let check = if t.ok() { "ok" } else { "DIFFERS" };
        table.row(vec![t.table.clone(), t.source_rows.to_string(), t.target_rows.to_string(), hash, check.into()]);
    }
    text.push_str(&table.render());
    let ledger = &v.ledger;
    text.push_str(&format!(
        "ledger sums per loan and component: {} / {} {}\n",
        ledger.source_sums,
        ledger.target_sums,
        if ledger.ok() { "ok".to_string() } else { format!("DIFFER ({})", ledger.differing.join(", ")) }
    ));
    for (side, chain) in [("source", &v.source_audit), ("target", &v.target_audit)] {
        let state = chain.broken.as_deref().map_or("verifies".to_string(), |why| format!("BROKEN: {why}"));
        text.push_str(&format!("audit chain ({side}): {} entries, {state}\n", chain.entries));
    }
    text.push_str(if report.ok() { "all checks passed\n" } else { "CHECKS FAILED\n" });
    text
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
