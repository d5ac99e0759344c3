//! The default label: the only code in this crate allowed to look past the as-of date D.
//!
//! **Population.** A household is in the population as of D if, from the records known by D, it has a loan open on
//! D (started by D and not matured, or still past due) and is not already in default (its DPD on D is below 90).
//! This is a behavioural snapshot: every open borrower, scored on D. Outside the population the label is `None`.
//!
//! **Label.** `true` if any of the household's loans reaches 90 or more days past due in (D, D + horizon]: a
//! repayment row in that window with `dpd_after` ≥ 90, or a loan whose last row on or before D + horizon was past due
//! and has aged to 90 days by D + horizon. The caller must only ask for horizons its data covers (the records run at
//! least to D + horizon), otherwise a default after the end of the data reads as `false`.

use std::io::{self, Write};

use domain::{Date, add_months};

use crate::engine::{FeatureRow, FeatureTable, build_parallel, write_csv_with};
use lending::{dpd_on, is_non_performing};

use crate::history::{dpd_now, is_open};
use crate::input::{BorrowerRecords, Context, Repayment};
use crate::known::KnownRecords;

/// Days past due that count as default: the lending core's non-performing threshold, 90 or more.
pub const DEFAULT_DPD: u32 = lending::NON_PERFORMING_DPD;

/// Whether the household is in the labelled population as of `as_of` (uses only records known by then).
pub fn in_population(as_of: Date, records: &BorrowerRecords) -> bool {
    let known = KnownRecords::new(as_of, records);
    let open = known.loans.iter().any(|(loan, rows)| is_open(loan, rows, as_of));
    open && !is_non_performing(dpd_now(&known).unwrap_or(0))
}

/// The default label as of `as_of` over `horizon_months`; `None` outside the population.
pub fn label(as_of: Date, horizon_months: u32, records: &BorrowerRecords) -> Option<bool> {
    if !in_population(as_of, records) {
        return None;
    }
    let end = add_months(as_of, i32::try_from(horizon_months).unwrap_or(i32::MAX / 24));
    // Look-ahead is the point here: every row up to the end of the horizon, on loans known by D.
    let defaulted = records.loans.iter().filter(|l| l.start_date <= as_of).any(|loan| {
        let mut rows: Vec<&Repayment> =
            records.repayments.iter().filter(|r| r.loan_id == loan.loan_id && r.date <= end).collect();
        rows.sort_by_key(|r| r.date);
        rows.iter().any(|r| r.date > as_of && is_non_performing(r.dpd_after)) || is_non_performing(dpd_on(&rows, end))
    });
    Some(defaulted)
}

/// Features as of D of the population, each with its label.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingTable {
    /// Features of the households in the population, in input order.
    pub features: FeatureTable,
    /// The label of each row of `features`.
    pub labels: Vec<bool>,
    /// The label horizon, months.
    pub horizon_months: u32,
}

/// Builds a training table: features as of D (computed over all borrowers, so social aggregates see everyone),
/// restricted to the population, with labels over the horizon.
pub fn training_table(
    as_of: Date,
    horizon_months: u32,
    context: &Context,
    borrowers: &[BorrowerRecords],
) -> TrainingTable {
    training_table_parallel(as_of, horizon_months, context, borrowers, 1)
}

/// [`training_table`] with the features built on `threads` worker threads (same rows, same order).
pub fn training_table_parallel(
    as_of: Date,
    horizon_months: u32,
    context: &Context,
    borrowers: &[BorrowerRecords],
    threads: usize,
) -> TrainingTable {
    let table = build_parallel(as_of, context, borrowers, threads);
    let (rows, labels): (Vec<FeatureRow>, Vec<bool>) = table
        .rows
        .into_iter()
        .zip(borrowers)
        .filter_map(|(row, b)| label(as_of, horizon_months, b).map(|l| (row, l)))
        .unzip();
    TrainingTable { features: FeatureTable { as_of, rows }, labels, horizon_months }
}

impl TrainingTable {
    /// The label column's name: `default_90dpd_<horizon>m`.
    pub fn label_name(&self) -> String {
        format!("default_{DEFAULT_DPD}dpd_{}m", self.horizon_months)
    }

    /// Writes the table as CSV: the feature table's columns, then the label (1 or 0).
    pub fn write_csv<W: Write>(&self, out: &mut W) -> io::Result<()> {
        let name = self.label_name();
        write_csv_with(out, self.features.as_of, &self.features.rows, Some((&name, &self.labels)))
    }
}
