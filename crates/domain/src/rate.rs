//! Annual interest rates as exact decimals.
//!
//! A [`Rate`] is a nominal annual rate such as `0.0435` (4.35% a year). Periodic rates derive from it exactly:
//! monthly as annual ÷ 12, daily as annual ÷ the day-count basis (360 for ACT/360, as Chinese banks quote daily
//! interest). No float ever touches a rate.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::calendar::DayCount;
use crate::money::{Money, UnroundedMoney};

/// Errors from parsing a rate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    /// Not a decimal number or percentage.
    #[error("'{text}' is not a rate (expected a decimal fraction such as 0.0435 or a percentage such as 4.35%)")]
    Malformed {
        /// The rejected text.
        text: String,
    },
    /// Negative, or absurdly high (10 = 1000% a year or more).
    #[error("'{text}' is out of range (a rate must be at least 0 and below 10)")]
    OutOfRange {
        /// The rejected text.
        text: String,
    },
}

/// A nominal annual interest rate, exact.
///
/// Invariant: `0 <= rate < 10`. Business limits (such as the 0.36 ceiling the CLI applies unless told otherwise)
/// are checked by the caller, since they are policy, not arithmetic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rate(Decimal);

impl Rate {
    /// Zero interest.
    pub const ZERO: Rate = Rate(Decimal::ZERO);

    /// The highest annual rate the lending commands accept without an explicit override: 36%.
    pub fn standard_ceiling() -> Rate {
        Rate(Decimal::new(36, 2))
    }

    /// A rate from an exact annual fraction.
    pub fn from_annual(annual: Decimal) -> Result<Rate, RateError> {
        if annual.is_sign_negative() && !annual.is_zero() || annual >= Decimal::from(10) {
            return Err(RateError::OutOfRange { text: annual.to_string() });
        }
        Ok(Rate(annual.normalize()))
    }

    /// A rate from basis points (1 bp = 0.0001).
    pub fn from_basis_points(bp: u32) -> Rate {
        Rate(Decimal::new(i64::from(bp), 4))
    }

    /// Parses `0.0435` or `4.35%`.
    pub fn parse(text: &str) -> Result<Rate, RateError> {
        let trimmed = text.trim();
        let malformed = || RateError::Malformed { text: text.to_string() };
        let (number, percent) = match trimmed.strip_suffix('%') {
            Some(n) => (n.trim(), true),
            None => (trimmed, false),
        };
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-') {
            return Err(malformed());
        }
        let value = Decimal::from_str_exact(number).map_err(|_| malformed())?;
        let annual = if percent { value / Decimal::ONE_HUNDRED } else { value };
        Rate::from_annual(annual).map_err(|_| RateError::OutOfRange { text: text.to_string() })
    }

    /// The annual rate as an exact decimal fraction.
    pub fn annual(self) -> Decimal {
        self.0
    }

    /// The monthly rate: annual ÷ 12, exact to 28 significant digits.
    pub fn monthly(self) -> Decimal {
        self.0 / Decimal::from(12)
    }

    /// The daily rate under a day-count convention: annual ÷ basis.
    pub fn daily(self, day_count: DayCount) -> Decimal {
        self.0 / Decimal::from(day_count.basis_days())
    }

    /// Simple interest on `principal` for `days` actual days: principal × annual × days ÷ basis, dividing last so
    /// that the result is exact whenever it can be.
    pub fn simple_interest(self, principal: Money, days: i64, day_count: DayCount) -> UnroundedMoney {
        principal.times(self.0 * Decimal::from(days)).divided_by(Decimal::from(day_count.basis_days()))
    }

    /// This rate multiplied by an exact factor, e.g. 1.5 for penalty interest at contract rate + 50%.
    pub fn scaled(self, factor: Decimal) -> Rate {
        Rate((self.0 * factor).normalize())
    }

    /// True when this rate is zero.
    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }
}

impl fmt::Display for Rate {
    /// The annual fraction, normalised: `0.0435`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0.normalize().to_string())
    }
}

impl FromStr for Rate {
    type Err = RateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Rate::parse(s)
    }
}

impl Serialize for Rate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Rate::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fractions_and_percentages() {
        assert_eq!(Rate::parse("0.0435").map(Rate::annual), Ok(Decimal::new(435, 4)));
        assert_eq!(Rate::parse("4.35%"), Rate::parse("0.0435"));
        assert_eq!(Rate::parse("0"), Ok(Rate::ZERO));
        assert!(matches!(Rate::parse("-0.01"), Err(RateError::OutOfRange { .. })));
        assert!(matches!(Rate::parse("abc"), Err(RateError::Malformed { .. })));
        assert!(matches!(Rate::parse("1e-2"), Err(RateError::Malformed { .. })));
        assert!(matches!(Rate::parse(""), Err(RateError::Malformed { .. })));
    }

    #[test]
    fn periodic_rates_are_exact() {
        let rate = Rate::parse("0.0435").expect("valid");
        assert_eq!(rate.monthly(), Decimal::new(3625, 6));
        assert_eq!(rate.daily(DayCount::Act360), Decimal::new(435, 4) / Decimal::from(360));
        // Dividing last keeps simple interest exact: 100000.00 × 0.0435 × 30 / 360 = 362.50 exactly.
        let interest = rate.simple_interest(Money::from_yuan(100_000), 30, DayCount::Act360);
        assert_eq!(interest.round(crate::Rounding::HalfEven), Money::from_fen(36_250));
        assert_eq!(interest.fen_decimal(), Decimal::from(36_250));
        assert_eq!(rate.scaled(Decimal::new(15, 1)).to_string(), "0.06525");
        assert_eq!(Rate::from_basis_points(315).to_string(), "0.0315");
    }
}
