//! Civil dates, month arithmetic, day-count conventions and the injected clock.
//!
//! Dates are `chrono::NaiveDate` (a civil date with no time zone): loans fall due on a day, not an instant.
//! Domain code never reads the system clock; it receives "today" from a [`Clock`] passed in by the caller.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A civil date (year, month, day) in the lender's local calendar.
pub type Date = NaiveDate;

/// Errors from parsing a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{text}' is not a date (expected YYYY-MM-DD, e.g. 2026-03-01)")]
pub struct DateError {
    /// The rejected text.
    pub text: String,
}

/// Parses a strict ISO date `YYYY-MM-DD` between the years 1900 and 2199.
pub fn parse_date(text: &str) -> Result<Date, DateError> {
    let err = || DateError { text: text.to_string() };
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes.iter().enumerate().all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shaped {
        return Err(err());
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| err())?;
    if !(1900..2200).contains(&date.year()) {
        return Err(err());
    }
    Ok(date)
}

/// Adds (or subtracts) whole months, clamping to the last day of a shorter month: 31 Jan + 1 month = 28 Feb.
///
/// Schedules anchor every due date on the start date (`start + k months`) rather than chaining, so a clamp in
/// February does not drag later due dates to the 28th.
///
/// # Panics
/// Outside chrono's representable years (±262,000), which validated inputs never reach.
pub fn add_months(date: Date, months: i32) -> Date {
    let total = date.year() * 12 + i32::try_from(date.month0()).expect("month0 < 12") + months;
    let year = total.div_euclid(12);
    let month = u32::try_from(total.rem_euclid(12)).expect("rem_euclid(12) is in 0..12") + 1;
    let last = last_day_of_month(year, month);
    NaiveDate::from_ymd_opt(year, month, date.day().min(last)).expect("year and month are in range; day is clamped")
}

/// The last day of a month: 28–31.
///
/// # Panics
/// If `month` is not in 1..=12.
pub fn last_day_of_month(year: i32, month: u32) -> u32 {
    let (next_year, next_month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    let first_next = NaiveDate::from_ymd_opt(next_year, next_month, 1).expect("valid month");
    first_next.pred_opt().expect("a day before the first of a month exists").day()
}

/// The last date of the given month.
///
/// # Panics
/// If `month` is not in 1..=12.
pub fn end_of_month(year: i32, month: u32) -> Date {
    NaiveDate::from_ymd_opt(year, month, last_day_of_month(year, month)).expect("valid month")
}

/// Days from `from` to `to` (negative when `to` is earlier).
pub fn days_between(from: Date, to: Date) -> i64 {
    (to - from).num_days()
}

/// How interest for a number of actual days is turned into a fraction of the annual rate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DayCount {
    /// Actual days ÷ 360: the default, since Chinese banks quote daily interest as annual rate ÷ 360.
    #[default]
    Act360,
    /// Actual days ÷ 365.
    Act365,
}

impl DayCount {
    /// Days in the conventional year.
    pub fn basis_days(self) -> u32 {
        match self {
            DayCount::Act360 => 360,
            DayCount::Act365 => 365,
        }
    }

    /// The exact fraction of a year that `days` actual days represent.
    pub fn year_fraction(self, days: i64) -> Decimal {
        Decimal::from(days) / Decimal::from(self.basis_days())
    }
}

/// A source of "today". Domain logic takes a clock (or a date) as an argument instead of reading the system time.
pub trait Clock {
    /// The current civil date.
    fn today(&self) -> Date;

    /// The current instant in China Standard Time (`2026-12-06T19:33:02+08:00`), for the times records are made
    /// at. A clock that only knows the date answers its midnight.
    fn now(&self) -> crate::Timestamp {
        crate::Timestamp::midnight_cst(self.today())
    }

    /// [`Clock::now`] as RFC 3339 text.
    fn now_rfc3339(&self) -> String {
        self.now().to_string()
    }
}

/// A clock stopped at one date: for tests, replays and "as of" computations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedClock(pub Date);

impl Clock for FixedClock {
    fn today(&self) -> Date {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Date {
        parse_date(text).expect("valid test date")
    }

    #[test]
    fn month_arithmetic_clamps_and_anchors() {
        assert_eq!(add_months(d("2026-01-31"), 1), d("2026-02-28"));
        assert_eq!(add_months(d("2024-01-31"), 1), d("2024-02-29"));
        assert_eq!(add_months(d("2026-01-31"), 2), d("2026-03-31"));
        assert_eq!(add_months(d("2026-11-15"), 3), d("2027-02-15"));
        assert_eq!(add_months(d("2026-03-15"), -3), d("2025-12-15"));
        assert_eq!(end_of_month(2026, 10), d("2026-10-31"));
    }

    #[test]
    fn strict_date_parsing() {
        assert!(parse_date("2026-02-29").is_err());
        assert!(parse_date("2026-2-1").is_err());
        assert!(parse_date("20260301").is_err());
        assert!(parse_date("2026-03-01T00:00").is_err());
        assert!(parse_date("1800-01-01").is_err());
        assert_eq!(parse_date("2024-02-29").map(|x| x.day()), Ok(29));
    }

    #[test]
    fn day_count_fractions() {
        assert_eq!(DayCount::Act360.year_fraction(90), Decimal::new(25, 2));
        assert_eq!(DayCount::Act365.year_fraction(73), Decimal::new(2, 1));
        assert_eq!(FixedClock(d("2026-03-01")).today(), d("2026-03-01"));
    }
}
