//! Repayment schedules, exact to the fen.
//!
//! A schedule is built in two steps. First a *skeleton* lays out the due dates the product calls for, each with the
//! length of its period and the share of principal due on it. Then [`amortize`] turns a balance into installments
//! over those periods with one of three interest methods. Servicing reuses the same two steps after a prepayment or
//! restructuring, so a re-amortised schedule follows exactly the rules of the original.
//!
//! Rounding: every interest amount is rounded with the product's rule (half-even by default); principal parts are
//! rounded toward zero and the remainder falls in the last installment, so the principal always sums to the
//! balance exactly.

use chrono::Datelike;
use domain::{Allocation, Date, Decimal, Money, add_months, days_between, end_of_month};
use serde::{Deserialize, Serialize};

use crate::product::{LoanTerms, Plan};

/// One installment: what falls due on one date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Installment {
    /// Position in the schedule, from 1.
    pub seq: u32,
    /// The day interest for this installment starts to accrue.
    pub period_start: Date,
    /// The due date.
    pub due_date: Date,
    /// Principal due.
    pub principal: Money,
    /// Interest due.
    pub interest: Money,
}

impl Installment {
    /// Principal plus interest.
    pub fn total(&self) -> Money {
        self.principal + self.interest
    }
}

/// A full repayment schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// Installments in due-date order.
    pub installments: Vec<Installment>,
}

impl Schedule {
    /// Sum of principal over all installments.
    pub fn total_principal(&self) -> Money {
        self.installments.iter().map(|i| i.principal).sum()
    }

    /// Sum of interest over all installments.
    pub fn total_interest(&self) -> Money {
        self.installments.iter().map(|i| i.interest).sum()
    }

    /// The last due date.
    pub fn maturity(&self) -> Option<Date> {
        self.installments.last().map(|i| i.due_date)
    }
}

/// How interest is computed for each period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// 等额本息: a level payment at the monthly rate (annual ÷ 12) per month of the period.
    Annuity,
    /// 等额本金: principal split by weight, interest at the monthly rate per month on the balance.
    Linear,
    /// Interest by actual days at the daily rate (annual ÷ day-count basis) on the balance; principal by weight.
    ActualDays,
}

/// One period of a skeleton.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// The due date ending the period.
    pub due_date: Date,
    /// Whole months the period spans (for monthly-rate methods).
    pub months: u32,
    /// Share of principal due at this date (0 for interest-only dates).
    pub principal_weight: u32,
}

/// The due dates and interest method a product lays out for a loan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skeleton {
    /// Interest method.
    pub method: Method,
    /// Periods in order.
    pub periods: Vec<Period>,
}

/// The principal due date of a harvest-aligned loan: `days_after_harvest` days after the end of the first harvest
/// month that comes after the start month. For other products, the start date (unused).
pub fn harvest_maturity(terms: &LoanTerms) -> Date {
    match terms.plan() {
        Plan::HarvestBullet { harvest_month, days_after_harvest, .. } => {
            let start = terms.start();
            let year = if *harvest_month > start.month() { start.year() } else { start.year() + 1 };
            end_of_month(year, *harvest_month) + chrono::Duration::days(i64::from(*days_after_harvest))
        }
        _ => terms.start(),
    }
}

/// Interest dates every `every` months after `start`, strictly before `until` and after the grace period.
fn interest_dates(start: Date, every: u32, until: Date, grace_months: u32) -> Vec<Date> {
    (1..)
        .map(|k: u32| (k * every, add_months(start, i32::try_from(k * every).unwrap_or(i32::MAX))))
        .take_while(|(_, date)| *date < until)
        .filter(|(months, _)| *months > grace_months)
        .map(|(_, date)| date)
        .collect()
}

/// Lays out the due dates of a loan from its terms, starting at `terms.start()`.
pub fn skeleton(terms: &LoanTerms) -> Skeleton {
    let start = terms.start();
    let grace = terms.grace_months();
    let month = |k: u32| add_months(start, i32::try_from(k).unwrap_or(i32::MAX));
    let monthly = |term: u32| -> Vec<Period> {
        (1..=term)
            .map(|k| Period {
                due_date: month(grace + k),
                months: if k == 1 { grace + 1 } else { 1 },
                principal_weight: 1,
            })
            .collect()
    };
    let with_principal_at = |interest: Vec<Date>, principal: &[(Date, u32)]| -> Vec<Period> {
        let mut periods: Vec<Period> =
            interest.into_iter().map(|due_date| Period { due_date, months: 0, principal_weight: 0 }).collect();
        for (due_date, weight) in principal {
            match periods.iter_mut().find(|p| p.due_date == *due_date) {
                Some(p) => p.principal_weight += weight,
                None => periods.push(Period { due_date: *due_date, months: 0, principal_weight: *weight }),
            }
        }
        periods.sort_by_key(|p| p.due_date);
        periods
    };
    match terms.plan() {
        Plan::EqualInstallment { term_months } => Skeleton { method: Method::Annuity, periods: monthly(*term_months) },
        Plan::EqualPrincipal { term_months } => Skeleton { method: Method::Linear, periods: monthly(*term_months) },
        Plan::InterestOnly { term_months, interest_every } => {
            let maturity = month(*term_months);
            let dates = interest_dates(start, interest_every.months(), maturity, grace);
            Skeleton { method: Method::ActualDays, periods: with_principal_at(dates, &[(maturity, 1)]) }
        }
        Plan::HarvestBullet { interest_every, .. } => {
            let maturity = harvest_maturity(terms);
            let dates = interest_dates(start, interest_every.months(), maturity, grace);
            Skeleton { method: Method::ActualDays, periods: with_principal_at(dates, &[(maturity, 1)]) }
        }
        Plan::LivestockBatch { batch_months, interest_every } => {
            let last = month(*batch_months.last().unwrap_or(&1));
            let dates = interest_dates(start, interest_every.months(), last, grace);
            let batches: Vec<(Date, u32)> = batch_months.iter().map(|m| (month(*m), 1)).collect();
            Skeleton { method: Method::ActualDays, periods: with_principal_at(dates, &batches) }
        }
        Plan::Revolving { draw_term_months, .. } => {
            // Illustrative: the whole limit drawn at the start and held for one draw term.
            let maturity = month(*draw_term_months);
            let dates = interest_dates(start, 1, maturity, grace);
            Skeleton { method: Method::ActualDays, periods: with_principal_at(dates, &[(maturity, 1)]) }
        }
    }
}

/// The schedule of a loan drawn in full at its start date.
pub fn build(terms: &LoanTerms) -> Schedule {
    let skeleton = skeleton(terms);
    Schedule { installments: amortize(terms, skeleton.method, terms.principal(), terms.start(), &skeleton.periods, 1) }
}

/// The first day on which interest accrues (after the interest-free window).
fn interest_free_until(terms: &LoanTerms) -> Date {
    terms.start() + chrono::Duration::days(i64::from(terms.interest_free_days()))
}

/// Turns `balance`, outstanding from `accrual_start`, into installments over `periods`, numbered from `first_seq`.
///
/// The principal parts always sum to `balance` exactly.
///
/// # Panics
/// If `periods` is empty or has no principal weight while `balance` is not zero: skeletons always end with a
/// principal date.
pub fn amortize(
    terms: &LoanTerms,
    method: Method,
    balance: Money,
    accrual_start: Date,
    periods: &[Period],
    first_seq: u32,
) -> Vec<Installment> {
    assert!(!periods.is_empty(), "a skeleton has at least one period");
    let rounding = terms.conventions().rounding;
    let monthly_rate = terms.annual_rate().monthly();
    let annual = terms.annual_rate().annual();
    // Monthly interest multiplies before it divides (balance × annual × months ÷ 12), so it is exact to the fen.
    let monthly_interest = |balance: Money, months: u32| {
        balance.times(annual * Decimal::from(months.max(1))).divided_by(Decimal::from(12)).round(rounding)
    };
    let weights: Vec<u64> = match method {
        Method::Annuity => vec![1; periods.len()],
        Method::Linear | Method::ActualDays => periods.iter().map(|p| u64::from(p.principal_weight)).collect(),
    };
    let principal_parts = if balance.is_zero() {
        vec![Money::ZERO; periods.len()]
    } else {
        balance.allocate(&weights, Allocation::RemainderToLast).expect("skeletons always carry principal weight")
    };
    let level_payment = match method {
        Method::Annuity => Some(level_payment(balance, monthly_rate, periods.len(), rounding)),
        _ => None,
    };
    let free_until = interest_free_until(terms);
    let mut installments = Vec::with_capacity(periods.len());
    let mut remaining = balance;
    let mut period_start = accrual_start;
    for (i, period) in periods.iter().enumerate() {
        let last = i + 1 == periods.len();
        let (principal, interest) = match method {
            Method::Annuity => {
                let one_month = monthly_interest(remaining, 1);
                let interest = monthly_interest(remaining, period.months);
                let payment = level_payment.unwrap_or(Money::ZERO);
                let principal = if last { remaining } else { (payment - one_month).max(Money::ZERO).min(remaining) };
                (principal, interest)
            }
            Method::Linear => {
                let interest = monthly_interest(remaining, period.months);
                (if last { remaining } else { principal_parts[i].min(remaining) }, interest)
            }
            Method::ActualDays => {
                let from = period_start.max(free_until);
                let days = days_between(from, period.due_date).max(0);
                let interest =
                    terms.annual_rate().simple_interest(remaining, days, terms.conventions().day_count).round(rounding);
                (if last { remaining } else { principal_parts[i].min(remaining) }, interest)
            }
        };
        installments.push(Installment {
            seq: first_seq + u32::try_from(i).expect("schedules have far fewer than 2^32 installments"),
            period_start,
            due_date: period.due_date,
            principal,
            interest,
        });
        remaining = remaining - principal;
        period_start = period.due_date;
    }
    debug_assert!(remaining.is_zero());
    installments
}

/// The level payment of an annuity: B·r·q / (q − 1) with q = (1 + r)^n, rounded once; B / n when r = 0.
pub fn level_payment(balance: Money, monthly_rate: Decimal, periods: usize, rounding: domain::Rounding) -> Money {
    let n = Decimal::from(periods.max(1));
    if monthly_rate.is_zero() {
        return balance.to_unrounded().divided_by(n).round(rounding);
    }
    let growth = Decimal::ONE + monthly_rate;
    let mut q = Decimal::ONE;
    for _ in 0..periods {
        q *= growth;
    }
    balance.times(monthly_rate * q).divided_by(q - Decimal::ONE).round(rounding)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::product::TermsRequest;
    use domain::{CropCalendar, parse_date};

    fn terms(product: &str, extra: impl FnOnce(&mut TermsRequest)) -> LoanTerms {
        let mut req =
            TermsRequest { term_months: Some(12), ..TermsRequest::new(product, "100000", "0.0435", "2026-03-01") };
        extra(&mut req);
        LoanTerms::new(&req, &CropCalendar::china_default()).expect("valid terms")
    }

    #[test]
    fn equal_installment_matches_the_annuity_formula() {
        let schedule = build(&terms("equal-installment", |_| {}));
        assert_eq!(schedule.installments.len(), 12);
        assert_eq!(schedule.total_principal(), Money::from_yuan(100_000));
        for i in &schedule.installments[..11] {
            assert_eq!(i.total(), Money::from_fen(853_099), "installment {}", i.seq);
        }
        let first = &schedule.installments[0];
        assert_eq!((first.interest, first.principal), (Money::from_fen(36_250), Money::from_fen(816_849)));
        assert_eq!(first.due_date, parse_date("2026-04-01").expect("date"));
    }

    #[test]
    fn equal_principal_puts_the_remainder_last() {
        let schedule = build(&terms("equal-principal", |r| r.principal = Some("1000.00".into())));
        let parts: Vec<i64> = schedule.installments.iter().map(|i| i.principal.fen()).collect();
        assert_eq!(parts[..11], [8333; 11]);
        assert_eq!(parts[11], 100_000 - 8333 * 11);
    }

    #[test]
    fn harvest_bullet_pays_principal_after_harvest() {
        let t = terms("harvest-bullet", |r| {
            r.principal = Some("50000".into());
            r.annual_rate = Some("0.05".into());
            r.start = Some("2026-03-10".into());
            r.term_months = None;
            r.harvest_month = Some(10);
        });
        let schedule = build(&t);
        let last = schedule.installments.last().expect("installments");
        assert_eq!(last.due_date, parse_date("2026-11-30").expect("date"));
        assert_eq!(last.principal, Money::from_yuan(50_000));
        assert!(schedule.installments[..schedule.installments.len() - 1].iter().all(|i| i.principal.is_zero()));
        // 31 days × 50000 × 0.05 / 360 = 215.2777… → 215.28
        assert_eq!(schedule.installments[0].interest, Money::from_fen(21_528));
    }

    #[test]
    fn grace_and_interest_free_window() {
        let t = terms("interest-only", |r| {
            r.grace_months = Some(2);
            r.interest_free_days = Some(60);
        });
        let schedule = build(&t);
        assert_eq!(schedule.installments[0].due_date, parse_date("2026-06-01").expect("date"));
        // Interest from 2026-04-30 (day 60) to 2026-06-01: 32 days.
        assert_eq!(schedule.installments[0].interest, Money::from_fen(38_667));
        let t = terms("equal-installment", |r| r.grace_months = Some(3));
        let schedule = build(&t);
        assert_eq!(schedule.installments.len(), 12);
        assert_eq!(schedule.installments[0].due_date, parse_date("2026-07-01").expect("date"));
        assert_eq!(schedule.installments[0].interest, Money::from_fen(36_250 * 4));
    }
}
