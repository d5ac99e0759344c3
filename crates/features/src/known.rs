//! Point-in-time rules: the date from which each kind of record is known to the lender, and the one filter that
//! applies them.
//!
//! Every record kind implements [`KnownOn`] with its documented rule. The engine reaches records only through
//! [`known`] (or the [`BorrowerRecords::known_as_of`] / [`Context::known_as_of`] truncations built on it), so a
//! feature computed as of D cannot see a record that was not known on D: look-ahead is impossible by construction,
//! and the leakage property test checks that the features of truncated records equal those of the full records.
//!
//! The rules are deliberately conservative where a file gives only a month: a month's price is known when the
//! month has ended, a weather loss when its harvest month has ended. Static household and village attributes are
//! always known (they describe the household at the start of the lender's records).

use domain::Date;

use crate::input::{
    Application, BorrowerRecords, BureauReport, Context, DiseaseEvent, EmploymentShock, Household, InsuranceClaim,
    Loan, NewsItem, PriceRow, Rating, Repayment, Transaction, WeatherEvent,
};

/// A record that becomes known to the lender on a definite date.
pub trait KnownOn {
    /// The first date on which the record is known; a record is usable as of D iff `known_on() <= D`.
    fn known_on(&self) -> Date;
}

/// A rating is known on its rating date.
impl KnownOn for Rating {
    fn known_on(&self) -> Date {
        self.rated_on
    }
}

/// A bureau report is known on its report date.
impl KnownOn for BureauReport {
    fn known_on(&self) -> Date {
        self.report_date
    }
}

/// An application (its product, amount, purpose and text) is known on its application date.
impl KnownOn for Application {
    fn known_on(&self) -> Date {
        self.applied_on
    }
}

/// A loan's terms are known on its value (start) date.
impl KnownOn for Loan {
    fn known_on(&self) -> Date {
        self.start_date
    }
}

/// A repayment row is known on its date.
impl KnownOn for Repayment {
    fn known_on(&self) -> Date {
        self.date
    }
}

/// A transaction is known on its value date.
impl KnownOn for Transaction {
    fn known_on(&self) -> Date {
        self.date
    }
}

/// An indemnity is known at the end of its harvest month, when the simulator (and a real insurer's quick
/// settlement) pays it.
impl KnownOn for InsuranceClaim {
    fn known_on(&self) -> Date {
        self.harvest_month.last_day()
    }
}

/// A month's price (and its pig-grain ratio and alert tier) is known at the end of that month.
impl KnownOn for PriceRow {
    fn known_on(&self) -> Date {
        self.month.last_day()
    }
}

/// A weather loss is known at the end of the harvest month it hits, once the harvest is in.
impl KnownOn for WeatherEvent {
    fn known_on(&self) -> Date {
        self.harvest_month.last_day()
    }
}

/// An outbreak is known on the first day of its start month (bans are announced at once). Its `end_month` may
/// lie after D; features read it only as "has the ban ended by D", which is known on D.
impl KnownOn for DiseaseEvent {
    fn known_on(&self) -> Date {
        self.start_month.first_day()
    }
}

/// An employment shock is known on the first day of its start month; like a disease ban, its end is read only as
/// "has it ended by D".
impl KnownOn for EmploymentShock {
    fn known_on(&self) -> Date {
        self.start_month.first_day()
    }
}

/// A satellite pass is known on the day it is observed (the provider delivers within the day).
impl KnownOn for crate::input::CropPass {
    fn known_on(&self) -> Date {
        self.observed_on
    }
}

/// A news item is known on its publication date.
impl KnownOn for NewsItem {
    fn known_on(&self) -> Date {
        self.date
    }
}

/// The single point-in-time filter: the records known on or before `as_of`.
pub fn known<T: KnownOn>(records: &[T], as_of: Date) -> impl Iterator<Item = &T> {
    records.iter().filter(move |r| r.known_on() <= as_of)
}

fn known_vec<T: KnownOn + Clone>(records: &[T], as_of: Date) -> Vec<T> {
    known(records, as_of).cloned().collect()
}

impl BorrowerRecords {
    /// A copy holding only the records known on or before `as_of` (the static file is always known).
    pub fn known_as_of(&self, as_of: Date) -> BorrowerRecords {
        BorrowerRecords {
            household: self.household.clone(),
            ratings: known_vec(&self.ratings, as_of),
            bureau_reports: known_vec(&self.bureau_reports, as_of),
            applications: known_vec(&self.applications, as_of),
            loans: known_vec(&self.loans, as_of),
            repayments: known_vec(&self.repayments, as_of),
            transactions: known_vec(&self.transactions, as_of),
            insurance_claims: known_vec(&self.insurance_claims, as_of),
        }
    }
}

impl Context {
    /// A copy holding only the records known on or before `as_of` (villages are static and always known).
    pub fn known_as_of(&self, as_of: Date) -> Context {
        Context {
            villages: self.villages.clone(),
            prices: known_vec(&self.prices, as_of),
            weather_events: known_vec(&self.weather_events, as_of),
            disease_events: known_vec(&self.disease_events, as_of),
            employment_shocks: known_vec(&self.employment_shocks, as_of),
            news: known_vec(&self.news, as_of),
        }
    }
}

/// One borrower's records known by D, as the engine sees them: references filtered through [`known`], repayments
/// ordered by (loan, date) and transactions by date. Feature code receives only this view.
#[derive(Debug, Clone)]
pub(crate) struct KnownRecords<'a> {
    /// The as-of date D.
    pub as_of: Date,
    /// The static file.
    pub household: &'a Household,
    /// Ratings known by D.
    pub ratings: Vec<&'a Rating>,
    /// Bureau reports known by D.
    pub bureau_reports: Vec<&'a BureauReport>,
    /// Applications known by D.
    pub applications: Vec<&'a Application>,
    /// Loans known by D, each with its repayment rows known by D in date order.
    pub loans: Vec<(&'a Loan, Vec<&'a Repayment>)>,
    /// Transactions known by D, in date order.
    pub transactions: Vec<&'a Transaction>,
    /// Insurance claims known by D.
    pub insurance_claims: Vec<&'a InsuranceClaim>,
}

impl<'a> KnownRecords<'a> {
    /// Filters a borrower's records to those known by `as_of`.
    pub fn new(as_of: Date, records: &'a BorrowerRecords) -> KnownRecords<'a> {
        let mut repayments: Vec<&Repayment> = known(&records.repayments, as_of).collect();
        repayments.sort_by(|a, b| (a.loan_id.as_str(), a.date).cmp(&(b.loan_id.as_str(), b.date)));
        let mut loans: Vec<(&Loan, Vec<&Repayment>)> = known(&records.loans, as_of)
            .map(|loan| {
                let start = repayments.partition_point(|r| r.loan_id.as_str() < loan.loan_id.as_str());
                let end = repayments.partition_point(|r| r.loan_id.as_str() <= loan.loan_id.as_str());
                (loan, repayments[start..end].to_vec())
            })
            .collect();
        loans.sort_by(|a, b| (a.0.start_date, a.0.loan_id.as_str()).cmp(&(b.0.start_date, b.0.loan_id.as_str())));
        let mut transactions: Vec<&Transaction> = known(&records.transactions, as_of).collect();
        transactions.sort_by_key(|t| t.date);
        KnownRecords {
            as_of,
            household: &records.household,
            ratings: known(&records.ratings, as_of).collect(),
            bureau_reports: known(&records.bureau_reports, as_of).collect(),
            applications: known(&records.applications, as_of).collect(),
            loans,
            transactions,
            insurance_claims: known(&records.insurance_claims, as_of).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::input::{Commodity, Month, WeatherType};

    fn d(y: i32, m: u32, day: u32) -> Date {
        Date::from_ymd_opt(y, m, day).expect("valid test date")
    }

    #[test]
    fn a_months_price_is_known_only_once_the_month_has_ended() {
        let row = PriceRow {
            month: Month::new(2026, 3),
            commodity: Commodity::Maize,
            price_yuan_per_kg: Decimal::new(230, 2),
            pig_grain_ratio: None,
            hog_alert_tier: None,
        };
        let rows = [row];
        assert_eq!(known(&rows, d(2026, 3, 30)).count(), 0);
        assert_eq!(known(&rows, d(2026, 3, 31)).count(), 1);
    }

    #[test]
    fn weather_is_known_at_the_end_of_its_harvest_month() {
        let event = WeatherEvent {
            village_code: "990101100000".into(),
            harvest_month: Month::new(2026, 6),
            event_type: WeatherType::Drought,
            loss_share: Decimal::new(4, 1),
        };
        assert_eq!(event.known_on(), d(2026, 6, 30));
    }
}
