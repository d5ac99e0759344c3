//! Money as whole fen (分, 1/100 of a yuan) with checked arithmetic, explicit rounding and exact allocation.
//!
//! Nothing here uses floating point. Multiplying money by a rate gives an [`UnroundedMoney`], an exact decimal
//! number of fen, which becomes [`Money`] again only through [`UnroundedMoney::round`] with a named [`Rounding`].
//! Splitting an amount ([`Money::allocate`]) always yields parts that sum to the whole, to the fen.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, Neg, Sub};
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Errors from parsing or computing money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The text is not a decimal amount of yuan.
    #[error("'{text}' is not an amount in yuan (expected digits with at most two decimal places, e.g. 8530.99)")]
    Malformed {
        /// The rejected text.
        text: String,
    },
    /// The text has more than two decimal places, i.e. fractions of a fen.
    #[error("'{text}' has fractions of a fen (at most two decimal places)")]
    SubFen {
        /// The rejected text.
        text: String,
    },
    /// The amount is outside what agririsk accepts as input ([`Money::MAX_INPUT`]: ±10 billion yuan).
    #[error("'{text}' is out of range (at most 10,000,000,000 yuan either way)")]
    OutOfRange {
        /// The rejected text.
        text: String,
    },
    /// A computation overflowed 64-bit fen.
    #[error("money arithmetic overflowed")]
    Overflow,
    /// An allocation had no weights, or only zero weights.
    #[error("cannot allocate over no parts or only zero weights")]
    NoWeights,
}

/// An amount of Chinese yuan (CNY) held as a signed whole number of fen.
///
/// Invariant: amounts parsed from input are within ±[`Money::MAX_INPUT`] (10 billion yuan), so more than nine
/// million of them sum without overflowing `i64` (see [`Money::MAX_INPUT_FEN`]). The operators check and panic on
/// overflow as a programmer error; code that sums an unbounded number of amounts (every posting of a loan, every
/// loan of a portfolio) uses [`Money::checked_add`], [`Money::checked_sub`] or [`Money::checked_sum`], which
/// return [`MoneyError::Overflow`] instead.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

impl Money {
    /// Zero yuan.
    pub const ZERO: Money = Money(0);
    /// The largest magnitude accepted from input, in fen: 10 billion yuan (100亿元).
    ///
    /// Why this figure: no single amount a rural lender handles comes near it (a bank may lend one borrower at
    /// most 10% of its net capital, which for the largest rural commercial banks is of this order), and it leaves
    /// room in `i64` for `i64::MAX / MAX_INPUT_FEN` = 9,223,372 maximal amounts in one sum, far more postings than
    /// one loan or one portfolio view ever adds up. Interest and penalty on a bounded principal stay bounded too:
    /// at the highest rate a loan can have (below 1000% a year, × 2 for penalty) a maximal principal takes
    /// thousands of years of accrual to leave `i64`.
    pub const MAX_INPUT_FEN: i64 = 1_000_000_000_000;
    /// The largest magnitude accepted from input: 10 billion yuan. Anything larger is refused at parse time with
    /// [`MoneyError::OutOfRange`].
    pub const MAX_INPUT: Money = Money(Money::MAX_INPUT_FEN);

    /// Money from a whole number of fen.
    pub const fn from_fen(fen: i64) -> Money {
        Money(fen)
    }

    /// Money from a whole number of yuan.
    ///
    /// # Panics
    /// If the amount overflows; callers pass constants or validated values.
    pub const fn from_yuan(yuan: i64) -> Money {
        match yuan.checked_mul(100) {
            Some(fen) => Money(fen),
            None => panic!("yuan amount overflows fen"),
        }
    }

    /// The amount in fen.
    pub const fn fen(self) -> i64 {
        self.0
    }

    /// True for zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// True for amounts above zero.
    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// True for amounts below zero.
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// The amount as an exact decimal number of yuan.
    pub fn to_yuan_decimal(self) -> Decimal {
        Decimal::new(self.0, 2)
    }

    /// The amount as an exact (unrounded) decimal number of fen.
    pub fn to_unrounded(self) -> UnroundedMoney {
        UnroundedMoney(Decimal::from(self.0))
    }

    /// Sum, or [`MoneyError::Overflow`].
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.0.checked_add(other.0).map(Money).ok_or(MoneyError::Overflow)
    }

    /// Difference, or [`MoneyError::Overflow`].
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.0.checked_sub(other.0).map(Money).ok_or(MoneyError::Overflow)
    }

    /// Negation, or [`MoneyError::Overflow`] (only for `i64::MIN` fen).
    pub fn checked_neg(self) -> Result<Money, MoneyError> {
        self.0.checked_neg().map(Money).ok_or(MoneyError::Overflow)
    }

    /// The sum of any number of amounts, or [`MoneyError::Overflow`] instead of a panic.
    pub fn checked_sum<I: IntoIterator<Item = Money>>(amounts: I) -> Result<Money, MoneyError> {
        amounts.into_iter().try_fold(Money::ZERO, Money::checked_add)
    }

    /// The smaller of two amounts.
    pub fn min(self, other: Money) -> Money {
        Money(self.0.min(other.0))
    }

    /// The larger of two amounts.
    pub fn max(self, other: Money) -> Money {
        Money(self.0.max(other.0))
    }

    /// Multiplies by an exact decimal factor (a rate, a share, a day fraction), leaving the result unrounded.
    pub fn times(self, factor: Decimal) -> UnroundedMoney {
        UnroundedMoney(Decimal::from(self.0) * factor)
    }

    /// Splits this amount into parts proportional to `weights`, so that the parts sum exactly to the whole.
    ///
    /// Each part is first rounded toward zero; [`Allocation`] says where the remaining fen go. A zero weight gets
    /// a zero part.
    pub fn allocate(self, weights: &[u64], method: Allocation) -> Result<Vec<Money>, MoneyError> {
        let total_weight: u128 = weights.iter().map(|w| u128::from(*w)).sum();
        if total_weight == 0 {
            return Err(MoneyError::NoWeights);
        }
        let sign: i128 = if self.0 < 0 { -1 } else { 1 };
        let magnitude = i128::from(self.0).abs();
        let mut parts = Vec::with_capacity(weights.len());
        let mut remainders = Vec::with_capacity(weights.len());
        let mut assigned: i128 = 0;
        for w in weights {
            let numerator = magnitude * i128::from(*w);
            let denominator = i128::try_from(total_weight).map_err(|_| MoneyError::Overflow)?;
            let part = numerator / denominator;
            remainders.push(numerator % denominator);
            assigned += part;
            parts.push(part);
        }
        let mut left = magnitude - assigned;
        match method {
            Allocation::RemainderToLast => {
                let last = weights.iter().rposition(|w| *w > 0).ok_or(MoneyError::NoWeights)?;
                parts[last] += left;
            }
            Allocation::LargestRemainder => {
                // Ties go to the earlier part, so the result is deterministic.
                let mut order: Vec<usize> = (0..weights.len()).filter(|i| weights[*i] > 0).collect();
                order.sort_by(|a, b| remainders[*b].cmp(&remainders[*a]).then(a.cmp(b)));
                for i in order.into_iter().cycle() {
                    if left == 0 {
                        break;
                    }
                    parts[i] += 1;
                    left -= 1;
                }
            }
        }
        parts.into_iter().map(|p| i64::try_from(sign * p).map(Money).map_err(|_| MoneyError::Overflow)).collect()
    }

    /// Parses an amount of yuan such as `100000`, `8530.99` or `-0.5`; at most two decimal places.
    pub fn parse_yuan(text: &str) -> Result<Money, MoneyError> {
        let trimmed = text.trim();
        let malformed = || MoneyError::Malformed { text: text.to_string() };
        let (negative, digits) = match trimmed.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
        };
        let (whole, fraction) = match digits.split_once('.') {
            Some((w, f)) => (w, f),
            None => (digits, ""),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || !all_digits(whole)
            || !all_digits(fraction)
            || (digits.contains('.') && fraction.is_empty())
        {
            return Err(malformed());
        }
        if fraction.len() > 2 {
            if fraction[2..].bytes().all(|b| b == b'0') {
                // "12.3400" is still whole fen.
            } else {
                return Err(MoneyError::SubFen { text: text.to_string() });
            }
        }
        let out_of_range = || MoneyError::OutOfRange { text: text.to_string() };
        let whole_trimmed = whole.trim_start_matches('0');
        // More digits than any bounded amount has; the exact bound is checked below.
        if whole_trimmed.len() > 14 {
            return Err(out_of_range());
        }
        let yuan: i64 = if whole_trimmed.is_empty() { 0 } else { whole_trimmed.parse().map_err(|_| malformed())? };
        let mut fen_part = 0i64;
        for (i, b) in fraction.bytes().take(2).enumerate() {
            let digit = i64::from(b - b'0');
            fen_part += if i == 0 { digit * 10 } else { digit };
        }
        let fen = yuan.checked_mul(100).and_then(|f| f.checked_add(fen_part)).ok_or_else(out_of_range)?;
        if fen > Money::MAX_INPUT_FEN {
            // The same bound both ways: -10 billion yuan is as far from zero as a reversal of +10 billion.
            return Err(out_of_range());
        }
        Ok(Money(if negative { -fen } else { fen }))
    }
}

impl fmt::Display for Money {
    /// Yuan with exactly two decimal places: `8530.99`, `-0.50`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let magnitude = self.0.unsigned_abs();
        let text = format!("{sign}{}.{:02}", magnitude / 100, magnitude % 100);
        f.pad(&text)
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse_yuan(s)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Money::parse_yuan(&text).map_err(serde::de::Error::custom)
    }
}

/// Serde for money held as whole fen (an integer) rather than yuan text, for the formats that store and show
/// `*_fen` integers (review actions, officers' authority, disbursements): `#[serde(with = "domain::money::as_fen")]`.
pub mod as_fen {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Money;

    /// Writes the amount as its whole fen.
    pub fn serialize<S: Serializer>(value: &Money, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(value.fen())
    }

    /// Reads whole fen.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Money, D::Error> {
        i64::deserialize(deserializer).map(Money::from_fen)
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        self.checked_add(rhs).expect("money overflow: input amounts are bounded at parse time")
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        self.checked_sub(rhs).expect("money overflow: input amounts are bounded at parse time")
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(self.0.checked_neg().expect("money overflow: input amounts are bounded at parse time"))
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, |a, b| a + b)
    }
}

impl<'a> Sum<&'a Money> for Money {
    fn sum<I: Iterator<Item = &'a Money>>(iter: I) -> Money {
        iter.copied().sum()
    }
}

/// How an exact amount becomes whole fen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rounding {
    /// Round half to even (banker's rounding): the default, unbiased over many postings.
    #[default]
    HalfEven,
    /// Round half away from zero (四舍五入), as many contracts state.
    HalfUp,
    /// Toward zero: never charge a fraction the borrower did not owe.
    Down,
    /// Away from zero.
    Up,
}

impl Rounding {
    fn strategy(self) -> RoundingStrategy {
        match self {
            Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
            Rounding::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            Rounding::Down => RoundingStrategy::ToZero,
            Rounding::Up => RoundingStrategy::AwayFromZero,
        }
    }
}

/// Where the fen left over by proportional splitting go.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Allocation {
    /// All of the remainder to the last part with a non-zero weight (schedules: the last installment).
    #[default]
    RemainderToLast,
    /// One fen each to the parts with the largest fractional remainders (Hamilton's method).
    LargestRemainder,
}

/// An exact, not yet rounded amount of fen: the result of money × rate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct UnroundedMoney(Decimal);

impl UnroundedMoney {
    /// Zero.
    pub const ZERO: UnroundedMoney = UnroundedMoney(Decimal::ZERO);

    /// Wraps an exact decimal number of fen.
    pub fn from_fen_decimal(fen: Decimal) -> UnroundedMoney {
        UnroundedMoney(fen)
    }

    /// The exact decimal number of fen.
    pub fn fen_decimal(self) -> Decimal {
        self.0
    }

    /// Multiplies by another exact factor.
    pub fn times(self, factor: Decimal) -> UnroundedMoney {
        UnroundedMoney(self.0 * factor)
    }

    /// Divides by a non-zero exact divisor.
    ///
    /// # Panics
    /// If `divisor` is zero: callers divide by day counts and period counts, which are never zero.
    pub fn divided_by(self, divisor: Decimal) -> UnroundedMoney {
        assert!(!divisor.is_zero(), "division of money by zero");
        UnroundedMoney(self.0 / divisor)
    }

    /// Rounds to whole fen with the given rule.
    ///
    /// # Panics
    /// If the result does not fit in `i64` fen, which bounded inputs cannot reach.
    pub fn round(self, rounding: Rounding) -> Money {
        let rounded = self.0.round_dp_with_strategy(0, rounding.strategy());
        let fen = i64::try_from(rounded).expect("rounded money fits in i64 fen for bounded inputs");
        Money(fen)
    }
}

impl Add for UnroundedMoney {
    type Output = UnroundedMoney;
    fn add(self, rhs: UnroundedMoney) -> UnroundedMoney {
        UnroundedMoney(self.0 + rhs.0)
    }
}

impl Sub for UnroundedMoney {
    type Output = UnroundedMoney;
    fn sub(self, rhs: UnroundedMoney) -> UnroundedMoney {
        UnroundedMoney(self.0 - rhs.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_prints_yuan() {
        assert_eq!(Money::parse_yuan("8530.99"), Ok(Money::from_fen(853_099)));
        assert_eq!(Money::parse_yuan("100000"), Ok(Money::from_yuan(100_000)));
        assert_eq!(Money::parse_yuan("0.5"), Ok(Money::from_fen(50)));
        assert_eq!(Money::parse_yuan("-1.05"), Ok(Money::from_fen(-105)));
        assert_eq!(Money::parse_yuan("12.3400"), Ok(Money::from_fen(1234)));
        assert_eq!(Money::from_fen(-50).to_string(), "-0.50");
        assert_eq!(Money::from_fen(853_099).to_string(), "8530.99");
        assert_eq!(format!("{:>10}", Money::from_fen(5)), "      0.05");
    }

    #[test]
    fn rejects_bad_amounts() {
        for bad in ["", "abc", "1.", ".5", "1e5", "1,000", "--1", "12.345", "0x10"] {
            assert!(Money::parse_yuan(bad).is_err(), "{bad} should be rejected");
        }
        assert!(matches!(Money::parse_yuan("12.345"), Err(MoneyError::SubFen { .. })));
        assert!(matches!(Money::parse_yuan("99999999999999999"), Err(MoneyError::OutOfRange { .. })));
    }

    #[test]
    fn input_is_bounded_at_ten_billion_yuan_either_way() {
        assert_eq!(Money::parse_yuan("10000000000"), Ok(Money::MAX_INPUT));
        assert_eq!(Money::parse_yuan("-10000000000.00"), Ok(Money::from_fen(-Money::MAX_INPUT_FEN)));
        for too_big in ["10000000000.01", "-10000000000.01", "9999999999999.99", "00000099999999999"] {
            let err = Money::parse_yuan(too_big).expect_err(too_big);
            assert!(matches!(err, MoneyError::OutOfRange { .. }), "{too_big}: {err:?}");
            assert_eq!(
                err.to_string(),
                format!("'{too_big}' is out of range (at most 10,000,000,000 yuan either way)")
            );
        }
        // The documented headroom: more than nine million maximal amounts fit in one sum.
        assert_eq!(i64::MAX / Money::MAX_INPUT_FEN, 9_223_372);
        let many = std::iter::repeat_n(Money::MAX_INPUT, 9_223_372);
        assert_eq!(Money::checked_sum(many).map(Money::fen), Ok(9_223_372 * Money::MAX_INPUT_FEN));
    }

    #[test]
    fn checked_arithmetic_reports_overflow_instead_of_panicking() {
        let top = Money::from_fen(i64::MAX);
        assert_eq!(top.checked_add(Money::from_fen(1)), Err(MoneyError::Overflow));
        assert_eq!(Money::from_fen(i64::MIN).checked_sub(Money::from_fen(1)), Err(MoneyError::Overflow));
        assert_eq!(Money::from_fen(i64::MIN).checked_neg(), Err(MoneyError::Overflow));
        assert_eq!(Money::checked_sum([top, Money::from_fen(1)]), Err(MoneyError::Overflow));
        assert_eq!(Money::checked_sum([top, Money::from_fen(-1)]), Ok(Money::from_fen(i64::MAX - 1)));
        assert_eq!(Money::checked_sum([]), Ok(Money::ZERO));
    }

    #[test]
    fn rounding_rules_differ_only_at_midpoints() {
        let half = UnroundedMoney::from_fen_decimal(Decimal::new(25, 1)); // 2.5 fen
        assert_eq!(half.round(Rounding::HalfEven), Money::from_fen(2));
        assert_eq!(half.round(Rounding::HalfUp), Money::from_fen(3));
        assert_eq!(half.round(Rounding::Down), Money::from_fen(2));
        assert_eq!(half.round(Rounding::Up), Money::from_fen(3));
        let negative = UnroundedMoney::from_fen_decimal(Decimal::new(-35, 1));
        assert_eq!(negative.round(Rounding::HalfEven), Money::from_fen(-4));
        assert_eq!(negative.round(Rounding::Down), Money::from_fen(-3));
    }

    #[test]
    fn remainder_goes_to_the_last_part() {
        let parts = Money::from_fen(100).allocate(&[1, 1, 1], Allocation::RemainderToLast).expect("weights");
        assert_eq!(parts, vec![Money::from_fen(33), Money::from_fen(33), Money::from_fen(34)]);
        let parts = Money::from_fen(100).allocate(&[1, 1, 1], Allocation::LargestRemainder).expect("weights");
        assert_eq!(parts, vec![Money::from_fen(34), Money::from_fen(33), Money::from_fen(33)]);
        let parts = Money::from_fen(10).allocate(&[1, 0], Allocation::RemainderToLast).expect("weights");
        assert_eq!(parts, vec![Money::from_fen(10), Money::ZERO]);
        assert_eq!(Money::from_fen(10).allocate(&[0, 0], Allocation::RemainderToLast), Err(MoneyError::NoWeights));
    }

    #[test]
    fn serde_uses_two_place_strings() {
        let json = serde_json::to_string(&Money::from_fen(853_099)).expect("serialise");
        assert_eq!(json, "\"8530.99\"");
        let back: Money = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, Money::from_fen(853_099));
    }

    proptest! {
        #[test]
        fn allocation_sums_to_the_whole(
            fen in -1_000_000_000_000i64..1_000_000_000_000,
            weights in proptest::collection::vec(0u64..1_000_000, 1..40),
            largest in any::<bool>(),
        ) {
            prop_assume!(weights.iter().any(|w| *w > 0));
            let method = if largest { Allocation::LargestRemainder } else { Allocation::RemainderToLast };
            let parts = Money::from_fen(fen).allocate(&weights, method).expect("non-zero weights");
            prop_assert_eq!(parts.iter().sum::<Money>(), Money::from_fen(fen));
            for (part, weight) in parts.iter().zip(&weights) {
                if *weight == 0 { prop_assert!(part.is_zero()); }
                prop_assert!(part.fen().signum() * fen.signum() >= 0);
            }
        }

        #[test]
        fn display_parse_round_trip(fen in -Money::MAX_INPUT_FEN..=Money::MAX_INPUT_FEN) {
            let money = Money::from_fen(fen);
            prop_assert_eq!(Money::parse_yuan(&money.to_string()), Ok(money));
        }
    }
}
