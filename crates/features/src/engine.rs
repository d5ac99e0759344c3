//! The engine: one per-borrower function that turns a borrower's records known by D, the context snapshot and the
//! social summary into a row of catalogue features; a batch ([`build`]) and a single applicant
//! ([`for_applicant`]) both go through it, so training and scoring cannot disagree.
//!
//! **Missing values.** A value is `Option<f64>`: `None` means "not defined for this borrower as of D" (no loan yet,
//! no bureau report, no price known, not a hog keeper…), never a number standing in for missing. No NaN or
//! infinity is ever stored: every division is guarded. In CSV a missing value is an empty cell.

use std::io::{self, Write};

use domain::Date;

use crate::catalogue::{CATALOGUE, Feature};
use crate::input::{Application, BorrowerRecords, Context};
use crate::known::KnownRecords;
use crate::snapshot::Snapshot;
use crate::social::{PeerState, Social, SocialDateMismatch};
use crate::{capacity, history, purpose, social, transactions};

/// The values of one row under construction, indexed by [`Feature`].
#[derive(Debug, Clone)]
pub(crate) struct RowValues(Vec<Option<f64>>);

impl RowValues {
    fn new() -> RowValues {
        RowValues(vec![None; CATALOGUE.len()])
    }

    /// Sets a feature's value; non-finite numbers become missing.
    pub(crate) fn set(&mut self, feature: Feature, value: Option<f64>) {
        self.0[feature.index()] = value.filter(|v| v.is_finite());
    }
}

/// One borrower's features as of a date, in catalogue order.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureRow {
    /// The household.
    pub household_id: String,
    values: Box<[Option<f64>]>,
}

impl FeatureRow {
    /// The value of a feature (`None`: missing).
    pub fn get(&self, feature: Feature) -> Option<f64> {
        self.values[feature.index()]
    }

    /// All values, in catalogue order.
    pub fn values(&self) -> &[Option<f64>] {
        &self.values
    }
}

/// Features of many borrowers as of one date.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureTable {
    /// The as-of date D.
    pub as_of: Date,
    /// One row per borrower, in input order.
    pub rows: Vec<FeatureRow>,
}

/// Formats a value deterministically: empty when missing, an integer when whole, else up to 6 decimals without
/// trailing zeros (`-0` is written `0`).
pub fn format_value(value: Option<f64>) -> String {
    let Some(v) = value else { return String::new() };
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return format!("{}", v as i64);
    }
    let text = format!("{v:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" { "0".to_owned() } else { text.to_owned() }
}

impl FeatureTable {
    /// Writes the table as CSV: `household_id,as_of`, then the catalogue's names, one row per borrower.
    pub fn write_csv<W: Write>(&self, out: &mut W) -> io::Result<()> {
        write_csv_with(out, self.as_of, &self.rows, None)
    }
}

/// Shared CSV writer: an optional extra trailing column (the label) with its name and values.
pub(crate) fn write_csv_with<W: Write>(
    out: &mut W,
    as_of: Date,
    rows: &[FeatureRow],
    extra: Option<(&str, &[bool])>,
) -> io::Result<()> {
    let mut header = String::from("household_id,as_of");
    for def in CATALOGUE {
        header.push(',');
        header.push_str(def.name);
    }
    if let Some((name, _)) = extra {
        header.push(',');
        header.push_str(name);
    }
    writeln!(out, "{header}")?;
    let mut line = String::new();
    for (i, row) in rows.iter().enumerate() {
        line.clear();
        line.push_str(&row.household_id);
        line.push(',');
        line.push_str(&as_of.to_string());
        for value in row.values.iter() {
            line.push(',');
            line.push_str(&format_value(*value));
        }
        if let Some((_, labels)) = extra {
            line.push_str(if labels.get(i).copied().unwrap_or(false) { ",1" } else { ",0" });
        }
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// The per-borrower function every path goes through.
fn row(snapshot: &Snapshot, social: &Social, known: &KnownRecords) -> FeatureRow {
    let mut values = RowValues::new();
    capacity::write(known, snapshot, &mut values);
    history::write(known, &mut values);
    transactions::write(known, &mut values);
    social::write(known, social, &mut values);
    purpose::write(known, &mut values);
    FeatureRow { household_id: known.household.household_id.clone(), values: values.0.into_boxed_slice() }
}

/// Features of every borrower as of `as_of` (the training batch), with the social summary computed from the same
/// borrowers. Single-threaded; see [`build_parallel`].
pub fn build(as_of: Date, context: &Context, borrowers: &[BorrowerRecords]) -> FeatureTable {
    build_parallel(as_of, context, borrowers, 1)
}

/// [`build`] on `threads` worker threads (the caller chooses; 0 and 1 both mean the calling thread). Rows keep the
/// input order and equal those of [`build`] exactly: each row is a pure function of its borrower, the snapshot and
/// the social summary.
pub fn build_parallel(as_of: Date, context: &Context, borrowers: &[BorrowerRecords], threads: usize) -> FeatureTable {
    let snapshot = Snapshot::new(as_of, context);
    let known = par_map(borrowers, threads, |b| KnownRecords::new(as_of, b));
    let states = par_map(&known, threads, |k| (k.household.household_id.clone(), PeerState::from_known(k)));
    let social = Social::from_states(as_of, states);
    let rows = par_map(&known, threads, |k| row(&snapshot, &social, k));
    FeatureTable { as_of, rows }
}

/// Maps `f` over `items` in contiguous chunks on scoped threads, keeping the order.
fn par_map<'a, T: Sync, U: Send>(items: &'a [T], threads: usize, f: impl Fn(&'a T) -> U + Sync) -> Vec<U> {
    if threads <= 1 || items.len() < 2 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let workers: Vec<_> =
            items.chunks(chunk).map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<U>>())).collect();
        workers.into_iter().flat_map(|w| w.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    })
}

/// Features of one borrower as of the snapshot's date: the single-applicant path. `social` must be a summary of the
/// same date (of the portfolio or of the applicant's village); the applicant itself is excluded from its peers.
pub fn for_applicant(
    snapshot: &Snapshot,
    social: &Social,
    borrower: &BorrowerRecords,
) -> Result<FeatureRow, SocialDateMismatch> {
    let as_of = snapshot.as_of();
    if social.as_of() != as_of {
        return Err(SocialDateMismatch { summary: social.as_of(), as_of });
    }
    Ok(row(snapshot, social, &KnownRecords::new(as_of, borrower)))
}

/// Features of an applicant for a decision on `application`, as of the snapshot's date (the application date):
/// the records known that day — the bureau report pulled for the application included — except anything booked
/// from the application itself (its loan, that loan's repayments and movements), which a replay of a past
/// application would otherwise see; and the application as the latest one (purpose and requested-amount features
/// read it).
pub fn for_application(
    snapshot: &Snapshot,
    social: &Social,
    borrower: &BorrowerRecords,
    application: &Application,
) -> Result<FeatureRow, SocialDateMismatch> {
    let as_of = snapshot.as_of();
    if social.as_of() != as_of {
        return Err(SocialDateMismatch { summary: social.as_of(), as_of });
    }
    // The application counts as made on the snapshot date: it is the latest one in every window.
    let moved;
    let pending = if application.applied_on <= as_of {
        application
    } else {
        moved = Application { applied_on: as_of, ..application.clone() };
        &moved
    };
    let mut known = KnownRecords::new(as_of, borrower);
    let own: Vec<&str> = known
        .loans
        .iter()
        .filter(|(loan, _)| loan.application_id == application.application_id)
        .map(|(loan, _)| loan.loan_id.as_str())
        .collect();
    if !own.is_empty() {
        known.transactions.retain(|t| !t.loan_id.as_deref().is_some_and(|id| own.contains(&id)));
        known.loans.retain(|(loan, _)| loan.application_id != application.application_id);
    }
    known.applications.retain(|a| a.application_id != application.application_id);
    known.applications.push(pending);
    Ok(row(snapshot, social, &known))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_format_deterministically() {
        assert_eq!(format_value(None), "");
        assert_eq!(format_value(Some(3.0)), "3");
        assert_eq!(format_value(Some(-0.0)), "0");
        assert_eq!(format_value(Some(0.25)), "0.25");
        assert_eq!(format_value(Some(1.0 / 3.0)), "0.333333");
        assert_eq!(format_value(Some(-1e-9)), "0");
        assert_eq!(format_value(Some(12345.678)), "12345.678");
    }
}
