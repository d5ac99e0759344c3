//! Identifiers, validated when parsed.
//!
//! Two kinds live here. Personal identifiers ([`NationalId`], [`MobileNumber`]) are personal data: their `Debug`
//! output is masked and they have no `Display`, so they cannot slip into a log by accident; the plain text is only
//! reachable through an explicit `expose()`. Record identifiers ([`LoanId`], [`BorrowerId`], …) are opaque
//! codes (letters, digits, `.`, `_`, `-`) whose type says what they name, so a loan id can never be passed where a
//! borrower id is expected.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Why an identifier was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Wrong length or characters.
    #[error("{kind} must be {expected}")]
    Shape {
        /// What was being parsed.
        kind: &'static str,
        /// What a valid one looks like.
        expected: &'static str,
    },
    /// An 18-digit national ID whose last character is not the GB 11643 check code of the first 17.
    #[error("national ID check digit is wrong (GB 11643 expects '{expected}')")]
    CheckDigit {
        /// The check character the first 17 digits call for.
        expected: char,
    },
    /// A national ID whose birth-date digits are not a real date.
    #[error("national ID birth date (digits 7–14) is not a valid date")]
    BirthDate,
}

/// GB 11643-1999 weights for the first 17 digits: 2^(17-i) mod 11.
const GB11643_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check code for (weighted sum mod 11).
const GB11643_CODES: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// The GB 11643 check character for the first 17 digits of a national ID.
///
/// # Panics
/// If `first17` is not 17 ASCII digits (callers check the shape first).
pub fn gb11643_check_char(first17: &str) -> char {
    assert!(first17.len() == 17 && first17.bytes().all(|b| b.is_ascii_digit()), "17 digits expected");
    let sum: u32 = first17.bytes().zip(GB11643_WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
    GB11643_CODES[(sum % 11) as usize]
}

/// A PRC resident identity card number (居民身份证号码): 18 characters, GB 11643-1999.
///
/// Invariant: 17 digits whose 7th–14th form a valid birth date, then the correct check character (a digit or
/// upper-case `X`). The area prefix is not checked against the official list, so synthetic IDs (prefix `99`) are
/// accepted.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NationalId(String);

impl NationalId {
    /// Parses and validates; a lower-case `x` check character is accepted and normalised.
    pub fn parse(text: &str) -> Result<NationalId, IdError> {
        let upper = text.trim().to_ascii_uppercase();
        let bytes = upper.as_bytes();
        let shaped = bytes.len() == 18
            && bytes[..17].iter().all(u8::is_ascii_digit)
            && (bytes[17].is_ascii_digit() || bytes[17] == b'X');
        if !shaped {
            return Err(IdError::Shape { kind: "national ID", expected: "18 characters: 17 digits then a digit or X" });
        }
        NaiveDate::parse_from_str(&upper[6..14], "%Y%m%d").map_err(|_| IdError::BirthDate)?;
        let expected = gb11643_check_char(&upper[..17]);
        if char::from(bytes[17]) != expected {
            return Err(IdError::CheckDigit { expected });
        }
        Ok(NationalId(upper))
    }

    /// The birth date encoded in digits 7–14.
    pub fn birth_date(&self) -> NaiveDate {
        NaiveDate::parse_from_str(&self.0[6..14], "%Y%m%d").expect("validated at parse time")
    }

    /// The 6-digit administrative area code of first registration.
    pub fn area_code(&self) -> &str {
        &self.0[..6]
    }

    /// Masked for display: the first 6 and last 4 characters, e.g. `430703********123X`.
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.0[..6], &self.0[14..])
    }

    /// The full number. Call only where the plain text is required (encryption, the credit bureau).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NationalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NationalId({})", self.masked())
    }
}

impl TryFrom<String> for NationalId {
    type Error = IdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        NationalId::parse(&value)
    }
}

impl From<NationalId> for String {
    fn from(value: NationalId) -> Self {
        value.0
    }
}

/// A mainland China mobile number: 11 digits starting with 1 and a second digit 3–9; `+86` or `86` is stripped.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MobileNumber(String);

impl MobileNumber {
    /// Parses and validates; spaces and dashes are ignored.
    pub fn parse(text: &str) -> Result<MobileNumber, IdError> {
        let compact: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let digits = compact.strip_prefix("+86").or_else(|| compact.strip_prefix("0086")).unwrap_or(&compact);
        let digits = if digits.len() == 13 { digits.strip_prefix("86").unwrap_or(digits) } else { digits };
        let bytes = digits.as_bytes();
        let valid = bytes.len() == 11
            && bytes.iter().all(u8::is_ascii_digit)
            && bytes[0] == b'1'
            && (b'3'..=b'9').contains(&bytes[1]);
        if !valid {
            return Err(IdError::Shape { kind: "mobile number", expected: "11 digits starting 13–19" });
        }
        Ok(MobileNumber(digits.to_string()))
    }

    /// Masked for display: first 3 and last 4 digits, e.g. `138****5678`.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }

    /// The full number. Call only where the plain text is required.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for MobileNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MobileNumber({})", self.masked())
    }
}

impl TryFrom<String> for MobileNumber {
    type Error = IdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        MobileNumber::parse(&value)
    }
}

impl From<MobileNumber> for String {
    fn from(value: MobileNumber) -> Self {
        value.0
    }
}

/// A 12-digit statistical division code of a village (统计用区划代码): province 2, prefecture 2, county 2,
/// township 3, village 3.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct VillageCode(String);

impl VillageCode {
    /// Parses and validates 12 digits.
    pub fn parse(text: &str) -> Result<VillageCode, IdError> {
        let trimmed = text.trim();
        if trimmed.len() != 12 || !trimmed.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdError::Shape { kind: "village code", expected: "12 digits" });
        }
        Ok(VillageCode(trimmed.to_string()))
    }

    /// The 6-digit county code.
    pub fn county_code(&self) -> &str {
        &self.0[..6]
    }

    /// The 9-digit township code.
    pub fn township_code(&self) -> &str {
        &self.0[..9]
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for VillageCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl TryFrom<String> for VillageCode {
    type Error = IdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        VillageCode::parse(&value)
    }
}

impl From<VillageCode> for String {
    fn from(value: VillageCode) -> Self {
        value.0
    }
}

/// Checks the shape shared by record identifiers: 1–64 characters of `A–Z a–z 0–9 . _ -`.
fn valid_code(text: &str) -> bool {
    (1..=64).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

macro_rules! record_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        ///
        /// Invariant: 1–64 characters of `A–Z a–z 0–9 . _ -`.
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses and validates.
            pub fn parse(text: &str) -> Result<$name, IdError> {
                if valid_code(text) {
                    Ok($name(text.to_string()))
                } else {
                    Err(IdError::Shape { kind: $kind, expected: "1–64 letters, digits, '.', '_' or '-'" })
                }
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                $name::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::parse(s)
            }
        }
    };
}

record_id!(
    /// A farm household (农户), the unit rural lenders rate and lend to.
    HouseholdId,
    "household id"
);
record_id!(
    /// A borrower: the member of a household who signs the loan.
    BorrowerId,
    "borrower id"
);
record_id!(
    /// A joint-liability group (联保小组).
    GroupId,
    "group id"
);
record_id!(
    /// A piece of collateral or a guarantee.
    CollateralId,
    "collateral id"
);
record_id!(
    /// A loan application.
    ApplicationId,
    "application id"
);
record_id!(
    /// A loan (借据).
    LoanId,
    "loan id"
);
record_id!(
    /// A loan product.
    ProductId,
    "product id"
);
record_id!(
    /// A repayment schedule version.
    ScheduleId,
    "schedule id"
);
record_id!(
    /// One installment of a schedule.
    InstallmentId,
    "installment id"
);
record_id!(
    /// A repayment posting; doubles as its idempotency key.
    RepaymentId,
    "repayment id"
);
record_id!(
    /// An automated credit decision (e.g. `D04a3444af0cc0c1014b8`), derived from the client's request id.
    DecisionId,
    "decision id"
);
record_id!(
    /// A loan officer (信贷员) who reviews referred decisions.
    OfficerId,
    "officer id"
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn national_id_check_digit() {
        // The worked example of GB 11643-1999 (annex): 11010519491231002X.
        let id = NationalId::parse("11010519491231002x").expect("valid example");
        assert_eq!(id.expose(), "11010519491231002X");
        assert_eq!(id.masked(), "110105********002X");
        assert_eq!(format!("{id:?}"), "NationalId(110105********002X)");
        assert_eq!(id.birth_date(), NaiveDate::from_ymd_opt(1949, 12, 31).expect("date"));
        assert_eq!(NationalId::parse("110105194912310021"), Err(IdError::CheckDigit { expected: 'X' }));
        assert_eq!(NationalId::parse("110105194913310020").err(), Some(IdError::BirthDate));
        assert!(matches!(NationalId::parse("1101051949123100"), Err(IdError::Shape { .. })));
    }

    #[test]
    fn mobile_numbers() {
        let m = MobileNumber::parse("+86 138-0013-8000").expect("valid");
        assert_eq!(m.expose(), "13800138000");
        assert_eq!(m.masked(), "138****8000");
        assert!(MobileNumber::parse("12800138000").is_err());
        assert!(MobileNumber::parse("1380013800").is_err());
    }

    #[test]
    fn village_codes_and_record_ids() {
        let v = VillageCode::parse("430703100201").expect("valid");
        assert_eq!(v.county_code(), "430703");
        assert_eq!(v.township_code(), "430703100");
        assert!(VillageCode::parse("43070310020").is_err());
        assert!(LoanId::parse("L-000001").is_ok());
        assert!(LoanId::parse("").is_err());
        assert!(LoanId::parse("loan 1").is_err());
        assert!(serde_json::from_str::<LoanId>("\"a/b\"").is_err());
    }

    proptest! {
        #[test]
        fn every_generated_id_round_trips(area in 990000u32..999999, days in 0i64..30000, seq in 0u32..1000) {
            let birth = NaiveDate::from_ymd_opt(1940, 1, 1).expect("date") + chrono::Duration::days(days);
            let first17 = format!("{area:06}{}{seq:03}", birth.format("%Y%m%d"));
            let full = format!("{first17}{}", gb11643_check_char(&first17));
            let id = NationalId::parse(&full).expect("generated with the right check digit");
            prop_assert_eq!(id.birth_date(), birth);
            // Any other last character is rejected.
            for c in "0123456789X".chars().filter(|c| *c != gb11643_check_char(&first17)) {
                let wrong = format!("{first17}{c}");
                prop_assert!(NationalId::parse(&wrong).is_err());
            }
        }
    }
}
