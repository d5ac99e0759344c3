//! The point-in-time feature table as a use case: built from the ingested records by
//! `integrate::feature_table` as of a date (every household, or the labelled population with a label horizon) and
//! written as CSV through [`crate::files`].

use std::path::Path;

use domain::Date;
use integrate::RecordStore;

use crate::error::Error;
use crate::files::write_atomically;

/// What a written table holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Every household, unlabelled.
    Households {
        /// Rows.
        households: usize,
    },
    /// Borrowers with a loan open on the date, labelled by whether they reached 90+ DPD within the horizon.
    Labelled {
        /// Rows.
        borrowers: usize,
        /// Rows labelled bad.
        bad: usize,
        /// The label horizon, months.
        horizon_months: u32,
    },
}

/// A label horizon: at least one month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelHorizon(u32);

impl LabelHorizon {
    /// A horizon of `months` months (refused when zero).
    pub fn new(months: u32) -> Result<LabelHorizon, Error> {
        if months == 0 {
            return Err(Error::input("horizon-months", "must be at least 1"));
        }
        Ok(LabelHorizon(months))
    }

    /// The horizon in months.
    pub fn months(self) -> u32 {
        self.0
    }
}

/// Builds the table as of `as_of` on `threads` threads and writes it to `out`. With a label horizon, only the
/// labelled population with its label; without, every household.
pub async fn build(
    store: &impl RecordStore,
    as_of: Date,
    label_horizon: Option<LabelHorizon>,
    threads: usize,
    out: &Path,
) -> Result<Written, Error> {
    let mut csv = Vec::new();
    let written = match label_horizon.map(LabelHorizon::months) {
        Some(horizon_months) => {
            let table = integrate::feature_table::build_training(store, as_of, horizon_months, threads).await?;
            table.write_csv(&mut csv).map_err(|e| Error::Internal(e.into()))?;
            let bad = table.labels.iter().filter(|l| **l).count();
            Written::Labelled { borrowers: table.labels.len(), bad, horizon_months }
        }
        None => {
            let table = integrate::feature_table::build_features(store, as_of, threads).await?;
            table.write_csv(&mut csv).map_err(|e| Error::Internal(e.into()))?;
            Written::Households { households: table.rows.len() }
        }
    };
    let text = String::from_utf8(csv).map_err(|e| Error::Internal(e.into()))?;
    write_atomically(out, &text, "out")?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_horizon_is_refused() {
        assert_eq!(LabelHorizon::new(0).expect_err("zero").field(), Some("horizon-months"));
        assert_eq!(LabelHorizon::new(12).expect("twelve").months(), 12);
    }
}
