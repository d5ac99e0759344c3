//! Feature tables from the store: every household's records read as of a date and run through the feature engine
//! in one batch, optionally restricted to the labelled population with the default label over a horizon.
//!
//! The versions read are those in force on the as-of date, so a correction loaded later cannot change a feature
//! of that date; the engine's known-on rules do the same for records dated after it.

use crate::register::{RecordStore, Versions};
use domain::Date;
use features::{FeatureTable, TrainingTable};

use crate::IntegrateError;
use crate::history::{Scope, load_borrowers, load_context};

/// Features of every stored household as of `as_of`, on `threads` worker threads.
pub async fn build_features(
    store: &impl RecordStore,
    as_of: Date,
    threads: usize,
) -> Result<FeatureTable, IntegrateError> {
    let day = as_of.format("%Y-%m-%d").to_string();
    let context = load_context(store, Versions::AsOf(&day)).await?;
    let borrowers = load_borrowers(store, Scope::All, Versions::AsOf(&day)).await?;
    Ok(features::build_parallel(as_of, &context, &borrowers, threads))
}

/// The training table as of `as_of`: features of the labelled population and the 90+ DPD label over
/// `horizon_months`.
pub async fn build_training(
    store: &impl RecordStore,
    as_of: Date,
    horizon_months: u32,
    threads: usize,
) -> Result<TrainingTable, IntegrateError> {
    let day = as_of.format("%Y-%m-%d").to_string();
    let context = load_context(store, Versions::AsOf(&day)).await?;
    let borrowers = load_borrowers(store, Scope::All, Versions::AsOf(&day)).await?;
    // A label reads the horizon after D; a horizon past the end of the data would call every later default `false`.
    let needed = domain::add_months(as_of, i32::try_from(horizon_months).unwrap_or(i32::MAX / 24));
    let data_end = borrowers.iter().flat_map(|b| b.repayments.iter().map(|r| r.date)).max();
    match data_end {
        Some(end) if end >= needed => {}
        _ => return Err(IntegrateError::HorizonBeyondData { as_of, horizon_months, needed, data_end }),
    }
    Ok(features::training_table_parallel(as_of, horizon_months, &context, &borrowers, threads))
}
