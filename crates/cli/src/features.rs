//! `agririsk features build`: the service layer's point-in-time feature table (`app::features`), written as CSV,
//! with a line saying what was written.

use std::path::Path;

use app::features::{LabelHorizon, Written};

use crate::Place;
use crate::error::CliError;
use crate::{emit, with_reader};

/// Builds the table as of `as_of` and writes it to `out`. With a label horizon, only the labelled population with
/// its label; without, every household.
pub async fn build_command(
    at: &Place,
    as_of: &str,
    out: &Path,
    label_horizon_months: Option<u32>,
    threads: usize,
    quiet: bool,
) -> Result<(), CliError> {
    let as_of = domain::parse_date(as_of).map_err(|e| CliError::input("as-of", e))?;
    let horizon = label_horizon_months.map(LabelHorizon::new).transpose()?;
    at.require_database("run agririsk ingest first")?;
    let started = std::time::Instant::now();
    let built = with_reader(at, async |store| app::features::build(store, as_of, horizon, threads, out).await);
    let written = match built.await? {
        Written::Labelled { borrowers, bad, horizon_months } => format!(
            "{borrowers} borrowers with a loan open on {as_of}, {bad} reached 90+ DPD within {horizon_months} months"
        ),
        Written::Households { households } => format!("{households} households"),
    };
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
