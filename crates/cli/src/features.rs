//! `agririsk features build`: a point-in-time feature table from the ingested records, written as CSV.

use std::path::Path;

use store::SqliteStore;

use crate::emit;
use crate::error::CliError;

/// Builds the table as of `as_of` and writes it to `out` (via a hidden file renamed into place). With a label
/// horizon, only the labelled population with its label; without, every household.
pub async fn build_command(
    data_dir: &Path,
    as_of: &str,
    out: &Path,
    label_horizon_months: Option<u32>,
    threads: usize,
    quiet: bool,
) -> Result<(), CliError> {
    let as_of = domain::parse_date(as_of).map_err(|e| CliError::input("as-of", e))?;
    if label_horizon_months == Some(0) {
        return Err(CliError::input("horizon-months", "must be at least 1"));
    }
    if !data_dir.join(SqliteStore::FILE_NAME).exists() {
        return Err(CliError::input(
            "data-dir",
            format!("{} holds no database; run agririsk ingest first", data_dir.display()),
        ));
    }
    let started = std::time::Instant::now();
    let store = SqliteStore::open(data_dir).await?;
    let mut csv = Vec::new();
    let written = match label_horizon_months {
        Some(horizon) => {
            let result = integrate::feature_table::build_training(&store, as_of, horizon, threads).await;
            store.close().await;
            let table = result?;
            table.write_csv(&mut csv).map_err(|e| CliError::Internal(e.into()))?;
            let bad = table.labels.iter().filter(|l| **l).count();
            format!(
                "{} borrowers with a loan open on {as_of}, {bad} reached 90+ DPD within {horizon} months",
                table.labels.len()
            )
        }
        None => {
            let result = integrate::feature_table::build_features(&store, as_of, threads).await;
            store.close().await;
            let table = result?;
            table.write_csv(&mut csv).map_err(|e| CliError::Internal(e.into()))?;
            format!("{} households", table.rows.len())
        }
    };
    let text = String::from_utf8(csv).map_err(|e| CliError::Internal(e.into()))?;
    crate::model::write_atomically(out, &text, "out")?;
    if !quiet {
        emit(&format!(
            "wrote {} features of {written} as of {as_of} to {} in {:.1} s\n",
            features::CATALOGUE.len(),
            out.display(),
            started.elapsed().as_secs_f64()
        ))?;
    }
    Ok(())
}
