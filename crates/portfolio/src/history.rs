//! What the book's past says, read loan by loan in the book's one pass: the PAR trend at month ends, roll rates
//! between DPD buckets from one month end to the next, vintage curves and the write-off ratio.
//!
//! - **Trend**: at each of the last `trend_months` month ends and on the as-of date, the outstanding, the balance
//!   at risk over 30 days (`lending::Exposure::at_risk`) and the non-performing balance
//!   (`FiveCategory::is_non_performing`), so PAR30 and the NPL ratio are the lending core's, month by month.
//! - **Roll rates**: for each pair of consecutive dates of the trend, the loans on the books at the first, counted
//!   by their bucket then (current, 1–30, 31–60, 61–90, 90+) and their bucket at the second (or `closed`: repaid
//!   or written off); the rate is the count over its row's total.
//! - **Vintage curves**: loans by origination quarter; at month on book *m* (the first month is 1), the share of
//!   the cohort's loans and original principal that have been 30+ (and 90+) days past due by then
//!   (`lending::crossing_date`), up to the cohort's age on the as-of date.
//! - **Write-off ratio**: the outstanding of the loans that reached the write-off DPD in the 12 months to the
//!   as-of date, taken the day before, over the average of the gross outstanding a year before and on the date.

use std::collections::BTreeMap;

use chrono::Datelike;
use domain::{Date, Money, add_months};
use features::input::{Loan, Repayment};
use lending::{ClassificationRules, NON_PERFORMING_DPD, crossing_date};

use crate::PortfolioError;
use crate::book::standing_on;
use crate::config::Config;

/// The roll-rate buckets, from-states, in order.
pub const ROLL_BUCKETS: [&str; 5] = ["current", "1-30", "31-60", "61-90", "90+"];
/// The to-states: the buckets and `closed`.
pub const ROLL_TO: [&str; 6] = ["current", "1-30", "31-60", "61-90", "90+", "closed"];

/// The roll bucket of a DPD figure.
pub fn roll_bucket(dpd: u32) -> usize {
    match dpd {
        0 => 0,
        1..=30 => 1,
        31..=60 => 2,
        61..=90 => 3,
        _ => 4,
    }
}

/// Totals on one date of the trend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrendPoint {
    /// The date.
    pub on: Date,
    /// Loans on the books.
    pub loans: u64,
    /// Gross outstanding principal.
    pub outstanding: Money,
    /// At risk over 30 days.
    pub at_risk_30: Money,
    /// In a non-performing class.
    pub non_performing: Money,
}

/// One origination quarter's counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cohort {
    /// Loans originated.
    pub loans: u64,
    /// Their original principal.
    pub principal: Money,
    /// Whole months from the quarter's first day to the as-of date.
    pub age_months: u32,
    /// Loans first 30+ DPD in month on book m (index m − 1).
    pub first_30: Vec<u64>,
    /// Their principal.
    pub first_30_principal: Vec<Money>,
    /// Loans first 90+ DPD in month on book m.
    pub first_90: Vec<u64>,
    /// Their principal.
    pub first_90_principal: Vec<Money>,
}

/// The history accumulated over the loans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    as_of: Date,
    write_off_dpd: u32,
    max_mob: u32,
    /// The trend dates, oldest first, the as-of date last.
    pub trend: Vec<TrendPoint>,
    /// Roll counts: `roll[from][to]` summed over every consecutive pair of trend dates.
    pub roll: [[u64; 6]; 5],
    /// Cohorts by (year, quarter 1–4).
    pub cohorts: BTreeMap<(i32, u32), Cohort>,
    /// Outstanding written off in the 12 months to the as-of date.
    pub written_off: Money,
    /// Loans written off then.
    pub written_off_loans: u64,
    /// Gross outstanding a year before the as-of date.
    pub outstanding_year_ago: Money,
}

/// Whole months from `from` to `to` (a part month not counted), 0 if `to` is earlier.
pub fn months_between(from: Date, to: Date) -> u32 {
    let whole = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32;
    let whole = if to.day() < from.day() { whole - 1 } else { whole };
    u32::try_from(whole.max(0)).unwrap_or(0)
}

fn add(total: Money, part: Money, field: &'static str) -> Result<Money, PortfolioError> {
    total.checked_add(part).map_err(|_| PortfolioError::Overflow { field })
}

impl History {
    /// An empty history for a report as of `as_of`.
    pub fn new(as_of: Date, config: &Config) -> History {
        let months = i32::try_from(config.trend_months).unwrap_or(12);
        let mut trend: Vec<TrendPoint> = (1..=months)
            .rev()
            .map(|k| {
                let month = add_months(as_of, -k);
                domain::end_of_month(month.year(), month.month())
            })
            .chain(std::iter::once(as_of))
            .map(|on| TrendPoint {
                on,
                loans: 0,
                outstanding: Money::ZERO,
                at_risk_30: Money::ZERO,
                non_performing: Money::ZERO,
            })
            .collect();
        trend.dedup_by_key(|p| p.on);
        History {
            as_of,
            write_off_dpd: config.write_off_dpd,
            max_mob: config.vintage_max_mob,
            trend,
            roll: [[0; 6]; 5],
            cohorts: BTreeMap::new(),
            written_off: Money::ZERO,
            written_off_loans: 0,
            outstanding_year_ago: Money::ZERO,
        }
    }

    /// Adds one loan with its rows in date order.
    pub fn add(&mut self, loan: &Loan, rows: &[&Repayment], rules: &ClassificationRules) -> Result<(), PortfolioError> {
        if loan.start_date > self.as_of {
            return Ok(());
        }
        // Trend and rolls.
        let mut previous: Option<usize> = None;
        for (k, point) in self.trend.iter_mut().enumerate() {
            let standing = standing_on(loan, rows, point.on, rules, self.write_off_dpd);
            let bucket = standing.map(|s| roll_bucket(s.dpd));
            if let Some(s) = standing {
                point.loans += 1;
                point.outstanding = add(point.outstanding, s.outstanding, "trend outstanding")?;
                if lending::Exposure::new(s.outstanding, s.dpd, s.class, false)?.at_risk(30) {
                    point.at_risk_30 = add(point.at_risk_30, s.outstanding, "trend par30")?;
                }
                if s.class.is_non_performing() {
                    point.non_performing = add(point.non_performing, s.outstanding, "trend npl")?;
                }
            }
            if k > 0
                && let Some(from) = previous
            {
                self.roll[from][bucket.unwrap_or(5)] += 1;
            }
            previous = bucket;
        }
        // Write-offs in the last year, and the book a year ago.
        let year_ago = add_months(self.as_of, -12);
        if let Some(s) = standing_on(loan, rows, year_ago, rules, self.write_off_dpd) {
            self.outstanding_year_ago = add(self.outstanding_year_ago, s.outstanding, "outstanding a year ago")?;
        }
        if let Some(day) = crossing_date(rows, self.write_off_dpd, self.as_of)
            && day > year_ago
            && let Some(s) = standing_on(loan, rows, day - chrono::Duration::days(1), rules, self.write_off_dpd)
        {
            self.written_off = add(self.written_off, s.outstanding, "written off")?;
            self.written_off_loans += 1;
        }
        // Vintage.
        let start = loan.start_date;
        let quarter = (start.year(), (start.month() - 1) / 3 + 1);
        let quarter_start = Date::from_ymd_opt(quarter.0, (quarter.1 - 1) * 3 + 1, 1).unwrap_or(start);
        let age = months_between(quarter_start, self.as_of).min(self.max_mob);
        let width = self.max_mob as usize;
        let cohort = self.cohorts.entry(quarter).or_insert_with(|| Cohort {
            loans: 0,
            principal: Money::ZERO,
            age_months: age,
            first_30: vec![0; width],
            first_30_principal: vec![Money::ZERO; width],
            first_90: vec![0; width],
            first_90_principal: vec![Money::ZERO; width],
        });
        cohort.loans += 1;
        cohort.principal = add(cohort.principal, loan.principal, "cohort principal")?;
        for (threshold, counts, principal) in [
            (30, &mut cohort.first_30, &mut cohort.first_30_principal),
            (NON_PERFORMING_DPD, &mut cohort.first_90, &mut cohort.first_90_principal),
        ] {
            if let Some(day) = crossing_date(rows, threshold, self.as_of) {
                let mob = months_between(start, day) as usize;
                if let (Some(c), Some(p)) = (counts.get_mut(mob), principal.get_mut(mob)) {
                    *c += 1;
                    *p = add(*p, loan.principal, "cohort principal")?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use features::input::{CollateralCode, LoanClass};
    use lending::ProductKind;
    use rust_decimal::Decimal;

    fn d(text: &str) -> Date {
        domain::parse_date(text).expect("valid date")
    }

    fn loan(id: &str, start: &str, maturity: &str, yuan: i64) -> Loan {
        Loan {
            loan_id: id.into(),
            household_id: "H0000001".into(),
            application_id: "A1".into(),
            product: ProductKind::HarvestBullet,
            principal: Money::from_yuan(yuan),
            annual_rate: Decimal::new(5, 2),
            start_date: d(start),
            maturity_date: d(maturity),
            collateral: CollateralCode::CreditOnly,
            crop: None,
        }
    }

    fn row(id: &str, on: &str, dpd: u32, due_yuan: i64) -> Repayment {
        Repayment {
            loan_id: id.into(),
            date: d(on),
            amount_due: Money::from_yuan(due_yuan),
            amount_paid: Money::ZERO,
            dpd_after: dpd,
            class_after: if dpd == 0 { LoanClass::Normal } else { LoanClass::SpecialMention },
        }
    }

    #[test]
    fn a_tiny_book_gives_its_vintage_curve_and_roll_rates() {
        let config = Config { trend_months: 2, vintage_max_mob: 12, ..Config::default() };
        let rules = ClassificationRules::CBIRC_2023;
        let mut h = History::new(d("2026-03-31"), &config);
        assert_eq!(
            h.trend.iter().map(|p| p.on).collect::<Vec<_>>(),
            [d("2026-01-31"), d("2026-02-28"), d("2026-03-31")]
        );
        // A: current throughout. B: 1 DPD on 2026-01-20, never pays, so 30 DPD on 2026-02-18 and 90 on 2026-04-19
        // (after the date). C: starts 2026-02-01, current.
        let a = loan("A", "2025-10-01", "2026-09-30", 10_000);
        let b = loan("B", "2025-11-15", "2026-09-30", 30_000);
        let c = loan("C", "2026-02-01", "2026-12-31", 5_000);
        let b_rows = [row("B", "2026-01-20", 1, 1_000)];
        h.add(&a, &[], &rules).expect("small");
        h.add(&b, &b_rows.iter().collect::<Vec<_>>(), &rules).expect("small");
        h.add(&c, &[], &rules).expect("small");
        // Trend: January end A current, B 12 DPD; February end B 41 DPD (PAR30); March end B 72 DPD.
        assert_eq!(h.trend[0].loans, 2);
        assert_eq!(h.trend[1].at_risk_30, Money::from_yuan(30_000));
        assert_eq!(h.trend[2].outstanding, Money::from_yuan(45_000));
        // Rolls: Jan→Feb: A current→current, B 1-30→31-60; Feb→Mar: A, C current→current, B 31-60→61-90.
        assert_eq!(h.roll[0][0], 3);
        assert_eq!(h.roll[1][2], 1);
        assert_eq!(h.roll[2][3], 1);
        assert_eq!(h.roll.iter().flatten().sum::<u64>(), 5);
        // Vintage: Q4 2025 holds A and B; B first 30+ DPD on 2026-02-18, month on book 4 (index 3).
        let q4 = &h.cohorts[&(2025, 4)];
        assert_eq!((q4.loans, q4.principal, q4.age_months), (2, Money::from_yuan(40_000), 5));
        assert_eq!(q4.first_30[3], 1);
        assert_eq!(q4.first_30_principal[3], Money::from_yuan(30_000));
        assert_eq!(q4.first_90.iter().sum::<u64>(), 0);
        assert_eq!(h.cohorts[&(2026, 1)].loans, 1);
    }

    #[test]
    fn written_off_loans_leave_the_book_and_count_once() {
        let config = Config { trend_months: 1, ..Config::default() };
        let rules = ClassificationRules::CBIRC_2023;
        let mut h = History::new(d("2026-06-30"), &config);
        let a = loan("A", "2022-01-01", "2022-12-31", 10_000);
        // 1 DPD on 2023-01-01: 1,080 DPD on 2025-12-15, within the year to 2026-06-30.
        let rows = [row("A", "2023-01-01", 1, 12_000)];
        h.add(&a, &rows.iter().collect::<Vec<_>>(), &rules).expect("small");
        assert_eq!((h.written_off_loans, h.written_off), (1, Money::from_yuan(10_000)));
        assert_eq!(h.outstanding_year_ago, Money::from_yuan(10_000));
        assert_eq!(h.trend.last().map(|p| p.loans), Some(0));
    }
}
