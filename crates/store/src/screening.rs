//! The lender's screening register: list hits, fraud cases and credit-check consents per household, each with the
//! day it took effect and the source that asserted it (a dishonest-debtor list, the fraud team, the branch that took
//! the signed consent). What the entries mean on a date — the latest entry of each pair decides — is the service
//! layer's (`app::screening`); a backend stores rows.
//!
//! A consent entry may carry a [`ConsentScope`]: the data source it covers and the purpose it is given for
//! (`privacy::consent`). Without one it is the general credit-check consent.

use std::fmt;
use std::future::Future;
use std::str::FromStr;

use domain::Date;
use privacy::consent::{DataSource, Purpose};
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// What an entry says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScreeningKind {
    /// The household is on a list of dishonest debtors or the lender's blacklist.
    Blacklisted,
    /// It has left that list.
    BlacklistCleared,
    /// A fraud case is open against it.
    FraudCase,
    /// The case is closed without a finding.
    FraudCaseClosed,
    /// It consented to the credit check and the use of its data for the decision (PIPL art. 13–14).
    Consent,
    /// It withdrew that consent (PIPL art. 15).
    ConsentWithdrawn,
}

impl ScreeningKind {
    /// Every kind.
    pub const ALL: [ScreeningKind; 6] = [
        ScreeningKind::Blacklisted,
        ScreeningKind::BlacklistCleared,
        ScreeningKind::FraudCase,
        ScreeningKind::FraudCaseClosed,
        ScreeningKind::Consent,
        ScreeningKind::ConsentWithdrawn,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            ScreeningKind::Blacklisted => "blacklisted",
            ScreeningKind::BlacklistCleared => "blacklist_cleared",
            ScreeningKind::FraudCase => "fraud_case",
            ScreeningKind::FraudCaseClosed => "fraud_case_closed",
            ScreeningKind::Consent => "consent",
            ScreeningKind::ConsentWithdrawn => "consent_withdrawn",
        }
    }
}

impl fmt::Display for ScreeningKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for ScreeningKind {
    type Err = String;

    fn from_str(s: &str) -> Result<ScreeningKind, String> {
        ScreeningKind::ALL.into_iter().find(|k| k.code() == s).ok_or_else(|| {
            let known: Vec<&str> = ScreeningKind::ALL.iter().map(|k| k.code()).collect();
            format!("'{s}' is not a screening kind (known: {})", known.join(", "))
        })
    }
}

/// One entry of the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreeningEntry {
    /// The household.
    pub household_id: String,
    /// What it says.
    pub kind: ScreeningKind,
    /// From which day.
    pub effective_on: Date,
    /// Who asserted it: a list, a team, a branch, a system.
    pub source: String,
    /// Who recorded it.
    pub recorded_by: String,
    /// When (RFC 3339).
    pub recorded_at: String,
    /// Free text.
    pub note: String,
    /// The source and purpose a consent entry covers; `None`: the general credit-check consent, or not a consent.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub scope: Option<ConsentScope>,
}

/// What a scoped consent entry covers: one data source, for one purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ConsentScope {
    /// The source.
    #[serde(with = "codes::data_source")]
    pub data_source: DataSource,
    /// The purpose.
    #[serde(with = "codes::purpose")]
    pub purpose: Purpose,
}

impl ConsentScope {
    /// The scope of a stored row's two columns (both empty: none); an error says which value is wrong.
    pub fn from_columns(data_source: &str, purpose: &str) -> Result<Option<ConsentScope>, String> {
        match (data_source, purpose) {
            ("", "") => Ok(None),
            ("", _) | (_, "") => {
                Err(format!("a scope needs both a data source and a purpose: '{data_source}', '{purpose}'"))
            }
            (d, p) => Ok(Some(ConsentScope {
                data_source: d.parse().map_err(|e: privacy::consent::UnknownCode| e.to_string())?,
                purpose: p.parse().map_err(|e: privacy::consent::UnknownCode| e.to_string())?,
            })),
        }
    }

    /// The stored columns of an optional scope (empty when none).
    pub fn columns(scope: Option<ConsentScope>) -> (&'static str, &'static str) {
        scope.map_or(("", ""), |s| (s.data_source.code(), s.purpose.code()))
    }
}

/// Serde by code for the consent vocabulary, which has no serde of its own (`privacy` is pure).
mod codes {
    macro_rules! by_code {
        ($name:ident, $ty:ty) => {
            pub mod $name {
                use serde::{Deserialize, Deserializer, Serializer};

                pub fn serialize<S: Serializer>(value: &$ty, serializer: S) -> Result<S::Ok, S::Error> {
                    serializer.serialize_str(value.code())
                }

                pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<$ty, D::Error> {
                    let text = String::deserialize(deserializer)?;
                    text.parse().map_err(serde::de::Error::custom)
                }
            }
        };
    }
    by_code!(data_source, privacy::consent::DataSource);
    by_code!(purpose, privacy::consent::Purpose);
}

/// The screening register.
pub trait ScreeningRegister {
    /// Records entries in one transaction; an entry already recorded (same household, kind, day, source and scope)
    /// is skipped; a scope on an entry that is not a consent is refused. Returns how many were new.
    fn record_screening(&self, entries: &[ScreeningEntry]) -> impl Future<Output = Result<usize, StoreError>> + Send;

    /// A household's entries, oldest effective day first.
    fn screening_of(&self, household_id: &str) -> impl Future<Output = Result<Vec<ScreeningEntry>, StoreError>> + Send;
}
