//! Typed values: the text of one CSV field parsed once, at the edge, against its [`ColumnType`]. A field that does
//! not parse yields a [`Problem`] with the [`Reason`] the quarantine records.

use std::fmt;

use chrono::NaiveDate;
use domain::{Money, NationalId};
use rust_decimal::Decimal;

use crate::contract::{ColumnType, DecimalRange, IntRange};
use crate::quarantine::Reason;

/// A field's value after validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// An empty optional field.
    Absent,
    /// Free text.
    Text(String),
    /// A record identifier.
    Id(String),
    /// An integer.
    Int(i64),
    /// A decimal (shares, km, mu, prices).
    Decimal(Decimal),
    /// An amount of money.
    Amount(Money),
    /// An annual rate as a fraction.
    Rate(Decimal),
    /// A civil date.
    Date(NaiveDate),
    /// A calendar month.
    Month {
        /// Year.
        year: i32,
        /// Month, 1–12.
        month: u32,
    },
    /// A boolean.
    Bool(bool),
    /// A code from the column's closed list.
    Code(&'static str),
    /// Codes from the column's closed list.
    Codes(Vec<&'static str>),
    /// Record identifiers.
    Ids(Vec<String>),
    /// A national ID with a valid check character.
    NationalId(NationalId),
    /// A phone number.
    Phone(Phone),
    /// A bank card number with a valid Luhn check digit.
    CardNumber(CardNumber),
}

/// A phone number as the contract defines it: 11 ASCII digits with a leading `1`. Looser than
/// `domain::MobileNumber` on purpose (the synthetic numbers use the unallocated prefixes 10–12); like it, personal
/// data: `Debug` is masked and there is no `Display`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// Parses 11 digits starting with `1`.
    pub fn parse(text: &str) -> Option<Phone> {
        let ok = text.len() == 11 && text.bytes().all(|b| b.is_ascii_digit()) && text.starts_with('1');
        ok.then(|| Phone(text.to_owned()))
    }

    /// The first 3 and last 4 digits, e.g. `103****5678` (as `domain::MobileNumber::masked`).
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }

    /// The full number; call only where the plain text is required.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

/// A bank card number (银行卡号): 16–19 ASCII digits, the last a Luhn (ISO/IEC 7812-1) check digit. Personal data
/// (a financial account, PIPL art. 28): `Debug` is masked and there is no `Display`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CardNumber(String);

impl CardNumber {
    /// Parses 16–19 digits with a valid check digit; `Err` says which of the two failed.
    pub fn parse(text: &str) -> Result<CardNumber, Problem> {
        if !(16..=19).contains(&text.len()) || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(problem(Reason::WrongType, "not a card number of 16–19 digits"));
        }
        if !luhn_valid(text) {
            return Err(problem(Reason::BadCheckDigit, "the last digit is not the card number's Luhn check digit"));
        }
        Ok(CardNumber(text.to_owned()))
    }

    /// The first 4 and last 4 digits in the fixed grouping `6222 **** **** **** 3256`, which hides the length too
    /// (the convention of `privacy::mask_bank_card`).
    pub fn masked(&self) -> String {
        mask_card(&self.0)
    }

    /// The full number; call only where the plain text is required.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardNumber({})", self.masked())
    }
}

/// Whether a string of ASCII digits ends in a valid Luhn check digit: from the right, every second digit is
/// doubled (minus 9 above 9), and the sum of all digits is a multiple of 10.
fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .map(|b| u32::from(b - b'0'))
        .enumerate()
        .map(|(i, d)| if i % 2 == 1 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d })
        .sum();
    sum % 10 == 0
}

/// A card-like text masked as `6222 **** **** **** 3256` when it has at least 12 characters, entirely otherwise.
fn mask_card(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() < 12 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head} **** **** **** {tail}")
}

/// Why one field was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The reason category.
    pub reason: Reason,
    /// A human explanation that never repeats a personal value.
    pub detail: String,
}

fn problem(reason: Reason, detail: impl Into<String>) -> Problem {
    Problem { reason, detail: detail.into() }
}

/// Whether `text` has the shape of `pattern` (`#` any ASCII digit, anything else literal).
pub fn matches_pattern(text: &str, pattern: &str) -> bool {
    text.len() == pattern.len()
        && text.bytes().zip(pattern.bytes()).all(|(t, p)| if p == b'#' { t.is_ascii_digit() } else { t == p })
}

fn is_plain_integer(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `text` is `-`?digits with exactly `places` decimals (`places` = 0: no point).
fn has_decimal_shape(text: &str, places: u32) -> bool {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    match unsigned.split_once('.') {
        None => places == 0 && is_plain_integer(unsigned),
        Some((whole, fraction)) => {
            places > 0
                && is_plain_integer(whole)
                && !whole.starts_with('-')
                && fraction.len() == places as usize
                && fraction.bytes().all(|b| b.is_ascii_digit())
        }
    }
}

fn bound(value: (i64, u32, bool)) -> (Decimal, bool) {
    (Decimal::new(value.0, value.1), value.2)
}

fn check_decimal_range(value: Decimal, range: &DecimalRange) -> Result<(), Problem> {
    if let Some((min, exclusive)) = range.min.map(bound) {
        if value < min || (exclusive && value == min) {
            let op = if exclusive { ">" } else { "≥" };
            return Err(problem(Reason::OutOfRange, format!("{value} is not {op} {min}")));
        }
    }
    if let Some((max, exclusive)) = range.max.map(bound) {
        if value > max || (exclusive && value == max) {
            let op = if exclusive { "<" } else { "≤" };
            return Err(problem(Reason::OutOfRange, format!("{value} is not {op} {max}")));
        }
    }
    Ok(())
}

fn check_int_range(value: i64, range: &IntRange) -> Result<(), Problem> {
    let low = range.min.is_some_and(|min| value < min);
    let high = range.max.is_some_and(|max| value > max);
    if low || high {
        let show = |b: Option<i64>| b.map_or_else(|| "…".to_owned(), |b| b.to_string());
        return Err(problem(Reason::OutOfRange, format!("{value} is outside {}–{}", show(range.min), show(range.max))));
    }
    Ok(())
}

fn code_of(text: &str, codes: &'static [&'static str]) -> Result<&'static str, Problem> {
    codes
        .iter()
        .copied()
        .find(|c| *c == text)
        .ok_or_else(|| problem(Reason::UnknownCode, format!("`{text}` is not one of {}", codes.join(", "))))
}

/// A date of ten characters as chrono's `%Y-%m-%d` reads it. The usual shape, `####-##-##`, is read by hand (chrono
/// parses its format string on every call, a visible cost in bulk loads) and means exactly the date chrono would
/// make of it; any other text of that length goes to chrono, so what is accepted does not change.
fn parse_date(text: &str) -> Option<NaiveDate> {
    if !matches_pattern(text, "####-##-##") {
        return NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
    }
    let number = |range: std::ops::Range<usize>| text.get(range).and_then(|digits| digits.parse::<u32>().ok());
    let year = i32::try_from(number(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(5..7)?, number(8..10)?)
}

/// Parses a non-empty field's text against its column type.
pub fn parse(ty: &ColumnType, text: &str) -> Result<Value, Problem> {
    match *ty {
        ColumnType::Text => Ok(Value::Text(text.to_owned())),
        ColumnType::Id { pattern } => {
            if matches_pattern(text, pattern) {
                Ok(Value::Id(text.to_owned()))
            } else {
                Err(problem(Reason::WrongType, format!("not an identifier shaped like {pattern}")))
            }
        }
        ColumnType::Int(range) => {
            let value: i64 = if is_plain_integer(text) { text.parse().ok() } else { None }
                .ok_or_else(|| problem(Reason::WrongType, "not an integer"))?;
            check_int_range(value, &range)?;
            Ok(Value::Int(value))
        }
        ColumnType::Decimal { places, range } => {
            let value = if has_decimal_shape(text, places) { text.parse::<Decimal>().ok() } else { None }
                .ok_or_else(|| problem(Reason::WrongType, format!("not a decimal with {places} decimal place(s)")))?;
            check_decimal_range(value, &range)?;
            Ok(Value::Decimal(value))
        }
        ColumnType::Amount { range, nonzero } => {
            let money = if has_decimal_shape(text, 2) { Money::parse_yuan(text).ok() } else { None }
                .ok_or_else(|| problem(Reason::WrongType, "not an amount in yuan with two decimals"))?;
            check_decimal_range(money.to_yuan_decimal(), &range)?;
            if nonzero && money.is_zero() {
                return Err(problem(Reason::OutOfRange, "amount must not be zero"));
            }
            Ok(Value::Amount(money))
        }
        ColumnType::Rate => {
            let shaped = text.starts_with("0.") && text.len() > 2 && !text.ends_with('0');
            let value = if shaped && has_decimal_shape(text, (text.len() - 2) as u32) {
                text.parse::<Decimal>().ok()
            } else {
                None
            }
            .ok_or_else(|| problem(Reason::WrongType, "not a normalised decimal fraction such as 0.055"))?;
            if value.is_zero() {
                return Err(problem(Reason::OutOfRange, "rate must be > 0"));
            }
            Ok(Value::Rate(value))
        }
        ColumnType::Date => {
            let date = if text.len() == 10 { parse_date(text) } else { None }
                .ok_or_else(|| problem(Reason::WrongType, "not a date YYYY-MM-DD"))?;
            Ok(Value::Date(date))
        }
        ColumnType::Month => {
            let parsed = matches_pattern(text, "####-##")
                .then(|| Some((text[..4].parse::<i32>().ok()?, text[5..].parse::<u32>().ok()?)))
                .flatten()
                .filter(|(_, month)| (1..=12).contains(month));
            let (year, month) = parsed.ok_or_else(|| problem(Reason::WrongType, "not a month YYYY-MM"))?;
            Ok(Value::Month { year, month })
        }
        ColumnType::Bool => match text {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(problem(Reason::WrongType, "not `true` or `false`")),
        },
        ColumnType::Code(codes) => code_of(text, codes).map(Value::Code),
        ColumnType::CodeList { codes } => {
            text.split(';').map(|part| code_of(part, codes)).collect::<Result<_, _>>().map(Value::Codes)
        }
        ColumnType::IdList { pattern, min, max } => {
            let parts: Vec<&str> = text.split(';').collect();
            if let Some(bad) = parts.iter().find(|p| !matches_pattern(p, pattern)) {
                return Err(problem(Reason::WrongType, format!("list entry `{bad}` is not shaped like {pattern}")));
            }
            if !(min..=max).contains(&parts.len()) {
                return Err(problem(Reason::OutOfRange, format!("{} entries, expected {min}–{max}", parts.len())));
            }
            Ok(Value::Ids(parts.into_iter().map(str::to_owned).collect()))
        }
        ColumnType::NationalId => NationalId::parse(text).map(Value::NationalId).map_err(|err| {
            let reason = if matches!(err, domain::IdError::CheckDigit { .. }) {
                Reason::BadCheckDigit
            } else {
                Reason::WrongType
            };
            // The error texts name the expected shape or check character, never the ID itself.
            problem(reason, err.to_string())
        }),
        ColumnType::Phone => Phone::parse(text)
            .map(Value::Phone)
            .ok_or_else(|| problem(Reason::WrongType, "not 11 digits starting with 1")),
        ColumnType::CardNumber => CardNumber::parse(text).map(Value::CardNumber),
    }
}

/// The text of a field as it may appear in a quarantine record: personal identifiers are masked (a valid national
/// ID by `NationalId::masked`, an invalid one of 14 or more characters as its first 6 and last 4, anything shorter
/// entirely; phones as first 3 and last 4 of 11 digits, anything else entirely; card numbers as
/// `6222 **** **** **** 3256` from 12 characters on, anything shorter entirely); other values are shown as read.
pub fn masked_for_report(ty: &ColumnType, text: &str) -> String {
    match ty {
        ColumnType::NationalId => match NationalId::parse(text) {
            Ok(id) => id.masked(),
            Err(_) => mask_keeping(text, 6, 4, 14),
        },
        ColumnType::Phone => mask_keeping(text, 3, 4, 11),
        ColumnType::CardNumber => mask_card(text),
        _ => text.to_owned(),
    }
}

/// Keeps the first `head` and last `tail` characters if there are at least `min_len`; stars otherwise.
fn mask_keeping(text: &str, head: usize, tail: usize, min_len: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() < min_len {
        return "*".repeat(chars.len());
    }
    let start: String = chars[..head].iter().collect();
    let end: String = chars[chars.len() - tail..].iter().collect();
    format!("{start}{}{end}", "*".repeat(chars.len() - head - tail))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_decimals_rates_months() {
        assert!(matches_pattern("L00012-0003", "L#####-####"));
        assert!(!matches_pattern("L0012-0003", "L#####-####"));
        assert!(has_decimal_shape("-2897.86", 2));
        assert!(!has_decimal_shape("2897.8", 2));
        assert!(!has_decimal_shape("--1.00", 2));
        assert!(parse(&ColumnType::Rate, "0.055").is_ok());
        assert!(parse(&ColumnType::Rate, "0.0550").is_err());
        assert!(parse(&ColumnType::Rate, "1.05").is_err());
        assert!(parse(&ColumnType::Month, "2026-13").is_err());
        assert_eq!(parse(&ColumnType::Month, "2026-03"), Ok(Value::Month { year: 2026, month: 3 }));
    }

    /// The hand-read dates agree with chrono's `%Y-%m-%d` on the usual shape and on the odd texts it also takes.
    #[test]
    fn dates_are_read_as_chrono_reads_them() {
        for text in [
            "2026-03-31",
            "2024-02-29",
            "2023-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-04-31",
            "0000-01-01",
            "9999-12-31",
            "2026-1-011",
            "+2026-1-01",
            "2026-03-3x",
            "2026/03/31",
        ] {
            assert_eq!(parse_date(text), NaiveDate::parse_from_str(text, "%Y-%m-%d").ok(), "{text}");
        }
    }

    #[test]
    fn masking_never_shows_a_whole_identifier() {
        assert_eq!(mask_keeping("99000119900101123X", 6, 4, 14), "990001********123X");
        assert_eq!(masked_for_report(&ColumnType::Phone, "10312345678"), "103****5678");
        assert_eq!(masked_for_report(&ColumnType::Phone, "1031234"), "*******");
        assert_eq!(masked_for_report(&ColumnType::CardNumber, "6222021234567893256"), "6222 **** **** **** 3256");
        assert_eq!(masked_for_report(&ColumnType::CardNumber, "62220212345678"), "6222 **** **** **** 5678");
        assert_eq!(masked_for_report(&ColumnType::CardNumber, "62220212"), "********");
    }

    #[test]
    fn card_numbers_need_16_to_19_digits_and_a_luhn_check_digit() {
        // 4111 1111 1111 1111 is the textbook Luhn-valid test number.
        let card = CardNumber::parse("4111111111111111").expect("valid");
        assert_eq!(format!("{card:?}"), "CardNumber(4111 **** **** **** 1111)");
        assert_eq!(CardNumber::parse("4111111111111112").map_err(|p| p.reason), Err(Reason::BadCheckDigit));
        assert_eq!(CardNumber::parse("411111111111111").map_err(|p| p.reason), Err(Reason::WrongType));
        assert_eq!(CardNumber::parse("41111111111111111111").map_err(|p| p.reason), Err(Reason::WrongType));
        assert_eq!(CardNumber::parse("4111-1111-1111-1111").map_err(|p| p.reason), Err(Reason::WrongType));
        assert!(luhn_valid("79927398713"), "the Luhn example of ISO/IEC 7812-1");
        assert!(!luhn_valid("79927398710"));
    }
}
