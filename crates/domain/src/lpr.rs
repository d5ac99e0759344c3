//! The Loan Prime Rate (贷款市场报价利率, LPR) as a dated table: the rate in force on a date is the latest fixing on
//! or before it. Loan prices are quoted as LPR plus a spread, so pricing a loan on its application date needs the
//! fixing of that date, not today's.
//!
//! [`LprTable::published`] holds the fixings the National Interbank Funding Center published for the PBOC from the
//! August 2019 reform (the first fixing on 2019-08-20) to the last change before this table was written
//! (2025-05-20). Fixings are announced on the 20th of each month (the next working day when it falls on a holiday);
//! only the dates on which a rate changed are listed, since an unchanged fixing keeps the rate in force. A lender
//! adds later fixings with [`LprTable::with_fixing`].

use crate::calendar::Date;
use crate::rate::Rate;

/// The tenor of a Loan Prime Rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LprTenor {
    /// The 1-year LPR, the reference for short-term and most rural loans.
    OneYear,
    /// The over-5-year LPR, the reference for mortgages.
    OverFiveYears,
}

/// One fixing: the date it took effect and the two rates, in basis points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LprFixing {
    /// The announcement date, from which the rates are in force.
    pub date: Date,
    /// The 1-year LPR, basis points.
    pub one_year_bp: u32,
    /// The over-5-year LPR, basis points.
    pub over_five_years_bp: u32,
}

/// Fixings in date order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LprTable {
    fixings: Vec<LprFixing>,
}

/// Why a fixing cannot be added or a rate looked up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LprError {
    /// A fixing not after the table's last one.
    #[error("a fixing on {date} is not after the table's last fixing on {last}")]
    OutOfOrder {
        /// The new fixing's date.
        date: Date,
        /// The table's last date.
        last: Date,
    },
    /// A date before the first fixing of the table.
    #[error("no LPR was in force on {date}: the table starts on {first}")]
    BeforeFirst {
        /// The date asked for.
        date: Date,
        /// The first fixing's date.
        first: Date,
    },
}

/// (year, month, day, 1-year bp, over-5-year bp) of each published change since the 2019 reform.
const PUBLISHED: &[(i32, u32, u32, u32, u32)] = &[
    (2019, 8, 20, 425, 485),
    (2019, 9, 20, 420, 485),
    (2019, 11, 20, 415, 480),
    (2020, 2, 20, 405, 475),
    (2020, 4, 20, 385, 465),
    (2021, 12, 20, 380, 465),
    (2022, 1, 20, 370, 460),
    (2022, 5, 20, 370, 445),
    (2022, 8, 22, 365, 430),
    (2023, 6, 20, 355, 420),
    (2023, 8, 21, 345, 420),
    (2024, 2, 20, 345, 395),
    (2024, 7, 22, 335, 385),
    (2024, 10, 21, 310, 360),
    (2025, 5, 20, 300, 350),
];

impl LprTable {
    /// The published fixings from 2019-08-20 to 2025-05-20 (see the module docs).
    pub fn published() -> LprTable {
        let fixings = PUBLISHED
            .iter()
            .map(|&(y, m, d, one, five)| LprFixing {
                date: Date::from_ymd_opt(y, m, d).expect("published fixing dates are valid"),
                one_year_bp: one,
                over_five_years_bp: five,
            })
            .collect();
        LprTable { fixings }
    }

    /// The table with a later fixing appended.
    pub fn with_fixing(mut self, fixing: LprFixing) -> Result<LprTable, LprError> {
        if let Some(last) = self.fixings.last()
            && fixing.date <= last.date
        {
            return Err(LprError::OutOfOrder { date: fixing.date, last: last.date });
        }
        self.fixings.push(fixing);
        Ok(self)
    }

    /// The fixings, oldest first.
    pub fn fixings(&self) -> &[LprFixing] {
        &self.fixings
    }

    /// The rate of `tenor` in force on `date`: the latest fixing on or before it.
    pub fn rate_on(&self, date: Date, tenor: LprTenor) -> Result<Rate, LprError> {
        let after = self.fixings.partition_point(|f| f.date <= date);
        let Some(fixing) = after.checked_sub(1).map(|i| self.fixings[i]) else {
            let first = self.fixings.first().map_or(date, |f| f.date);
            return Err(LprError::BeforeFirst { date, first });
        };
        Ok(Rate::from_basis_points(match tenor {
            LprTenor::OneYear => fixing.one_year_bp,
            LprTenor::OverFiveYears => fixing.over_five_years_bp,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Date {
        crate::parse_date(text).expect("date")
    }

    #[test]
    fn the_rate_in_force_is_the_latest_fixing_on_or_before_the_date() {
        let table = LprTable::published();
        assert_eq!(table.rate_on(day("2025-05-20"), LprTenor::OneYear), Ok(Rate::from_basis_points(300)));
        assert_eq!(table.rate_on(day("2025-05-19"), LprTenor::OneYear), Ok(Rate::from_basis_points(310)));
        assert_eq!(table.rate_on(day("2026-11-29"), LprTenor::OverFiveYears), Ok(Rate::from_basis_points(350)));
        assert_eq!(table.rate_on(day("2022-06-01"), LprTenor::OneYear), Ok(Rate::from_basis_points(370)));
        assert_eq!(table.rate_on(day("2022-06-01"), LprTenor::OverFiveYears), Ok(Rate::from_basis_points(445)));
        assert!(matches!(table.rate_on(day("2019-08-19"), LprTenor::OneYear), Err(LprError::BeforeFirst { .. })));
    }

    #[test]
    fn published_fixings_are_in_order_and_only_fall() {
        let table = LprTable::published();
        for pair in table.fixings().windows(2) {
            assert!(pair[0].date < pair[1].date);
            assert!(
                pair[1].one_year_bp <= pair[0].one_year_bp && pair[1].over_five_years_bp <= pair[0].over_five_years_bp
            );
            assert_ne!(
                (pair[0].one_year_bp, pair[0].over_five_years_bp),
                (pair[1].one_year_bp, pair[1].over_five_years_bp)
            );
        }
    }

    #[test]
    fn later_fixings_are_appended_in_order_only() {
        let next = LprFixing { date: day("2026-01-20"), one_year_bp: 290, over_five_years_bp: 340 };
        let table = LprTable::published().with_fixing(next).expect("later fixing");
        assert_eq!(table.rate_on(day("2026-02-01"), LprTenor::OneYear), Ok(Rate::from_basis_points(290)));
        let stale = LprFixing { date: day("2025-01-20"), one_year_bp: 310, over_five_years_bp: 360 };
        assert!(matches!(table.with_fixing(stale), Err(LprError::OutOfOrder { .. })));
    }
}
