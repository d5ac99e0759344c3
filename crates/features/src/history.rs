//! The borrower's own credit history as of D: days past due reconstructed from repayment rows, repayment
//! behaviour, the latest rating and bureau report, and the debt service of the loans open on D.
//!
//! DPD is observed only on the dates of repayment rows (due dates and month-end cure attempts). A row is a dated
//! observation of the lending core's DPD clock (`lending::arrears`): between rows a past-due loan keeps ageing, so
//! a loan's DPD on D is its last row's `dpd_after` plus the days since that row when that row was past due.
//! Everything here reads only [`KnownRecords`].

use domain::{Date, Money, add_months, days_between};
use lending::dpd_on;
use rust_decimal::prelude::ToPrimitive;

use crate::catalogue::Feature as F;
use crate::engine::RowValues;
use crate::input::{Loan, Repayment};
use crate::known::KnownRecords;

/// Money as yuan for a feature value.
pub(crate) fn yuan(money: Money) -> f64 {
    money.fen() as f64 / 100.0
}

/// True if `date` lies in the window (D − months, D].
pub(crate) fn in_window(date: Date, as_of: Date, months: i32) -> bool {
    date > add_months(as_of, -months) && date <= as_of
}

fn flag(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

/// A loan is open on D if it has started and either has not matured or is still past due.
pub(crate) fn is_open(loan: &Loan, rows: &[&Repayment], as_of: Date) -> bool {
    loan.start_date <= as_of && (loan.maturity_date >= as_of || dpd_on(rows, as_of) > 0)
}

/// Worst DPD on D over all loans known by D (`None` without loans).
pub(crate) fn dpd_now(known: &KnownRecords) -> Option<u32> {
    known.loans.iter().map(|(_, rows)| dpd_on(rows, known.as_of)).max()
}

/// Worst DPD reached in (D − months, D]: rows in the window and the DPD on D.
fn dpd_max(known: &KnownRecords, months: i32) -> Option<u32> {
    let now = dpd_now(known)?;
    let rows = known.loans.iter().flat_map(|(_, rows)| rows.iter());
    Some(rows.filter(|r| in_window(r.date, known.as_of, months)).map(|r| r.dpd_after).fold(now, u32::max))
}

/// Whether the borrower had a loan open at some time in (D − months, D].
pub(crate) fn borrowed_within(known: &KnownRecords, months: i32) -> bool {
    let from = add_months(known.as_of, -months);
    known.loans.iter().any(|(loan, rows)| {
        loan.maturity_date > from || rows.iter().any(|r| r.date > from) || dpd_on(rows, known.as_of) > 0
    })
}

/// Scheduled debt service over the next year of one loan (see the catalogue's `debt_service_annual_yuan`).
fn annual_service_yuan(loan: &Loan) -> f64 {
    let days = days_between(loan.start_date, loan.maturity_date).max(1) as f64;
    let term_months = (days / (365.0 / 12.0)).round().max(1.0);
    let rate = loan.annual_rate.to_f64().unwrap_or(0.0);
    yuan(loan.principal) * ((12.0 / term_months).min(1.0) + rate * term_months.min(12.0) / 12.0)
}

/// The debt service over the next year of the loans open on D.
pub(crate) fn debt_service_yuan(known: &KnownRecords) -> f64 {
    known
        .loans
        .iter()
        .filter(|(loan, rows)| is_open(loan, rows, known.as_of))
        .map(|(loan, _)| annual_service_yuan(loan))
        .sum()
}

/// Repayment behaviour, rating and bureau features.
pub(crate) fn write(known: &KnownRecords, out: &mut RowValues) {
    let as_of = known.as_of;
    let open = known.loans.iter().filter(|(loan, rows)| is_open(loan, rows, as_of)).count();
    out.set(F::LoansOpen, Some(open as f64));
    out.set(F::DpdCurrent, dpd_now(known).map(f64::from));
    out.set(F::DpdMax6m, dpd_max(known, 6).map(f64::from));
    out.set(F::DpdMax12m, dpd_max(known, 12).map(f64::from));
    out.set(F::DpdMax24m, dpd_max(known, 24).map(f64::from));

    let rows_12m = || known.loans.iter().flat_map(|(_, rows)| rows.iter()).filter(|r| in_window(r.date, as_of, 12));
    let n = rows_12m().count();
    let full = rows_12m().filter(|r| r.amount_paid >= r.amount_due).count();
    out.set(F::OnTimeRatio12m, (n > 0).then(|| full as f64 / n as f64));

    let cured: usize = known
        .loans
        .iter()
        .map(|(_, rows)| {
            rows.windows(2)
                .filter(|w| w[0].dpd_after > 0 && w[1].dpd_after == 0 && in_window(w[1].date, as_of, 24))
                .count()
        })
        .sum();
    out.set(F::CuredEpisodes24m, Some(cured as f64));

    let last_late = if dpd_now(known).unwrap_or(0) > 0 {
        Some(as_of)
    } else {
        known.loans.iter().flat_map(|(_, rows)| rows.iter()).filter(|r| r.dpd_after > 0).map(|r| r.date).max()
    };
    let months_since = |d: Date| crate::input::Month::of(as_of).months_since(crate::input::Month::of(d));
    out.set(F::SinceDelinquencyMonths, last_late.map(|d| f64::from(months_since(d))));

    let rating = known.ratings.iter().max_by_key(|r| r.rated_on);
    out.set(F::RatingScorePoints, rating.map(|r| f64::from(r.score)));
    out.set(F::RatingLimitYuan, rating.map(|r| yuan(r.limit)));
    out.set(F::IsCreditHousehold, rating.map(|r| flag(r.credit_household)));

    let pulls = |months| known.bureau_reports.iter().filter(|b| in_window(b.report_date, as_of, months)).count() as f64;
    out.set(F::Inquiries3m, Some(pulls(3)));
    out.set(F::Inquiries6m, Some(pulls(6)));
    let report = known.bureau_reports.iter().max_by_key(|b| b.report_date);
    out.set(F::BureauInquiries6m, report.map(|b| f64::from(b.inquiries_6m)));
    out.set(F::BureauOpenAccounts, report.map(|b| f64::from(b.open_accounts)));
    out.set(F::BureauWorstDpd24m, report.map(|b| f64::from(b.worst_dpd_24m)));
    out.set(F::BureauHasRecord, report.map(|b| flag(b.has_record)));
    out.set(F::BureauOtherBalanceYuan, report.map(|b| yuan(b.other_balance)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::LoanClass;

    fn d(y: i32, m: u32, day: u32) -> Date {
        Date::from_ymd_opt(y, m, day).expect("valid test date")
    }

    fn row(date: Date, dpd: u32) -> Repayment {
        Repayment {
            loan_id: "L1".into(),
            date,
            amount_due: Money::from_yuan(100),
            amount_paid: Money::ZERO,
            dpd_after: dpd,
            class_after: LoanClass::SpecialMention,
        }
    }

    #[test]
    fn dpd_ages_between_rows_and_resets_on_cure() {
        let late = row(d(2026, 3, 31), 30);
        let cured = row(d(2026, 4, 30), 0);
        let rows = [&late, &cured];
        assert_eq!(dpd_on(&rows, d(2026, 3, 30)), 0);
        assert_eq!(dpd_on(&rows, d(2026, 3, 31)), 30);
        assert_eq!(dpd_on(&rows, d(2026, 4, 10)), 40);
        assert_eq!(dpd_on(&rows, d(2026, 5, 1)), 0);
    }

    #[test]
    fn windows_are_open_at_the_start_and_closed_at_d() {
        let as_of = d(2026, 6, 30);
        assert!(in_window(as_of, as_of, 6));
        assert!(!in_window(d(2025, 12, 30), as_of, 6));
        assert!(in_window(d(2025, 12, 31), as_of, 6));
        assert!(!in_window(d(2026, 7, 1), as_of, 6));
    }
}
