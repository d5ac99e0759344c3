//! Consent per data source and purpose: which of a borrower's records a decision may read only with the borrower's
//! own consent to that source for that purpose, and which sources such consents cover on a date.
//!
//! The credit-check consent (the screening register's unscoped `consent`) covers the lender's own records: the
//! application, its loans and repayments, its village rating and the household's static file. Data that a third
//! party holds or that the law counts as sensitive needs a separate consent per source ([`CLASSIFICATION`] says
//! which, and why). A consent is given for one [`Purpose`]: a consent to credit assessment does not let the same
//! data train a model (PIPL art. 14: fresh consent when the purpose changes).
//!
//! [`consented`] is the pure reading of a household's scoped entries on a date: of each source and purpose, the
//! entry with the latest effective day on or before the date decides, and on one day a withdrawal beats a consent,
//! so the register errs towards not reading.

use std::fmt;
use std::str::FromStr;

use domain::Date;

/// A source of a borrower's records that a decision may read only with the borrower's consent to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DataSource {
    /// Credit-bureau reports (征信报告, `bureau_reports`).
    BureauReports,
    /// Account movements (`transactions`).
    Transactions,
    /// Crop-insurance indemnities from the insurer (`insurance_claims`).
    InsuranceClaims,
}

impl DataSource {
    /// Every source, in code order.
    pub const ALL: [DataSource; 3] = [DataSource::BureauReports, DataSource::Transactions, DataSource::InsuranceClaims];

    /// The stored code: the name of the source file whose records it covers.
    pub fn code(self) -> &'static str {
        match self {
            DataSource::BureauReports => "bureau_reports",
            DataSource::Transactions => "transactions",
            DataSource::InsuranceClaims => "insurance_claims",
        }
    }

    fn bit(self) -> u8 {
        match self {
            DataSource::BureauReports => 1,
            DataSource::Transactions => 2,
            DataSource::InsuranceClaims => 4,
        }
    }
}

/// What a consent lets the lender use the data for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Purpose {
    /// Deciding a credit application.
    CreditAssessment,
    /// Watching a loan after it is paid out.
    PostLoanMonitoring,
    /// Building and validating credit models.
    ModelDevelopment,
}

impl Purpose {
    /// Every purpose, in code order.
    pub const ALL: [Purpose; 3] = [Purpose::CreditAssessment, Purpose::PostLoanMonitoring, Purpose::ModelDevelopment];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Purpose::CreditAssessment => "credit_assessment",
            Purpose::PostLoanMonitoring => "post_loan_monitoring",
            Purpose::ModelDevelopment => "model_development",
        }
    }
}

/// A code that names no source or purpose.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{text}' is not a {kind} (known: {known})")]
pub struct UnknownCode {
    /// `data source` or `purpose`.
    pub kind: &'static str,
    /// The refused text, at most 64 characters of it.
    pub text: String,
    /// The known codes, comma-separated.
    pub known: String,
}

fn parse_code<T: Copy>(
    text: &str,
    all: &[T],
    code: fn(T) -> &'static str,
    kind: &'static str,
) -> Result<T, UnknownCode> {
    all.iter().copied().find(|v| code(*v) == text).ok_or_else(|| UnknownCode {
        kind,
        text: text.chars().take(64).collect(),
        known: all.iter().map(|v| code(*v)).collect::<Vec<_>>().join(", "),
    })
}

impl FromStr for DataSource {
    type Err = UnknownCode;

    fn from_str(s: &str) -> Result<DataSource, UnknownCode> {
        parse_code(s, &DataSource::ALL, DataSource::code, "data source")
    }
}

impl FromStr for Purpose {
    type Err = UnknownCode;

    fn from_str(s: &str) -> Result<Purpose, UnknownCode> {
        parse_code(s, &Purpose::ALL, Purpose::code, "purpose")
    }
}

impl fmt::Display for DataSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// What reading a per-borrower source needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// The lender's own records: the credit-check consent covers them.
    CreditCheckConsent,
    /// A separate consent to this source for the purpose.
    SeparateConsent(DataSource),
}

/// One per-borrower source of the feature engine's input, classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classified {
    /// The source file's name (`features::input`'s record source).
    pub source: &'static str,
    /// What reading it needs.
    pub needs: Needs,
    /// Why, in one sentence.
    pub basis: &'static str,
}

/// Every per-borrower source the feature engine reads (`features::input::BorrowerRecords`), classified. The legal
/// basis:
/// - 征信业管理条例 (2013) art. 18: a credit report is queried only with the person's written consent; art. 14:
///   income, deposits, securities, insurance, property and tax data are collected only with written consent.
/// - PIPL art. 23: data received from another processor (a bureau, a bank, an insurer) needs a separate consent;
///   art. 28–29: financial accounts are sensitive and need a separate consent; art. 14: a new purpose needs a new
///   consent.
/// - The lender's own records of its relationship with the borrower (application, loans, repayments, its village
///   rating, the household file taken with the application) are processed to perform the credit contract the
///   borrower asks for (PIPL art. 13 (1)–(2)) under the credit-check consent.
pub const CLASSIFICATION: &[Classified] = &[
    Classified {
        source: "households",
        needs: Needs::CreditCheckConsent,
        basis: "the household file taken with the application (PIPL art. 13)",
    },
    Classified {
        source: "ratings",
        needs: Needs::CreditCheckConsent,
        basis: "the lender's own village rating (PIPL art. 13)",
    },
    Classified {
        source: "applications",
        needs: Needs::CreditCheckConsent,
        basis: "the borrower's own applications to the lender (PIPL art. 13)",
    },
    Classified { source: "loans", needs: Needs::CreditCheckConsent, basis: "the lender's own loans (PIPL art. 13)" },
    Classified {
        source: "repayments",
        needs: Needs::CreditCheckConsent,
        basis: "repayments of the lender's own loans (PIPL art. 13)",
    },
    Classified {
        source: "bureau_reports",
        needs: Needs::SeparateConsent(DataSource::BureauReports),
        basis: "a credit report is queried only with written consent (征信业管理条例 art. 18; PIPL art. 23)",
    },
    Classified {
        source: "transactions",
        needs: Needs::SeparateConsent(DataSource::Transactions),
        basis: "financial accounts are sensitive (PIPL art. 28–29); deposits need written consent (征信业管理条例 art. 14)",
    },
    Classified {
        source: "insurance_claims",
        needs: Needs::SeparateConsent(DataSource::InsuranceClaims),
        basis: "data from another processor, the insurer (PIPL art. 23); insurance data need written consent (征信业管理条例 art. 14)",
    },
];

/// A set of data sources (a copyable bit set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Sources(u8);

impl Sources {
    /// No source.
    pub const NONE: Sources = Sources(0);
    /// Every source.
    pub const ALL: Sources = Sources(7);

    /// Whether the set holds `source`.
    pub fn contains(self, source: DataSource) -> bool {
        self.0 & source.bit() != 0
    }

    /// The set with `source` added.
    #[must_use]
    pub fn with(self, source: DataSource) -> Sources {
        Sources(self.0 | source.bit())
    }

    /// The sources of [`Sources::ALL`] not in this set.
    #[must_use]
    pub fn complement(self) -> Sources {
        Sources(Sources::ALL.0 & !self.0)
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The sources, in code order.
    pub fn iter(self) -> impl Iterator<Item = DataSource> {
        DataSource::ALL.into_iter().filter(move |s| self.contains(*s))
    }

    /// The sources' codes, in code order.
    pub fn codes(self) -> Vec<&'static str> {
        self.iter().map(DataSource::code).collect()
    }
}

impl FromIterator<DataSource> for Sources {
    fn from_iter<I: IntoIterator<Item = DataSource>>(iter: I) -> Sources {
        iter.into_iter().fold(Sources::NONE, Sources::with)
    }
}

/// One scoped consent entry of a household: given or withdrawn, for a source and a purpose, from a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsentEntry {
    /// The source.
    pub data_source: DataSource,
    /// The purpose.
    pub purpose: Purpose,
    /// From which day.
    pub effective_on: Date,
    /// `true`: consent given; `false`: withdrawn.
    pub given: bool,
}

/// The sources a household's scoped entries consent to for `purpose` on `on`: per source, the entry with the latest
/// effective day on or before `on` decides; on one day a withdrawal beats a consent. Entries of other purposes do
/// not count.
pub fn consented(entries: impl IntoIterator<Item = ConsentEntry>, purpose: Purpose, on: Date) -> Sources {
    let mut latest: [Option<(Date, bool)>; 3] = [None; 3];
    for e in entries.into_iter().filter(|e| e.purpose == purpose && e.effective_on <= on) {
        let slot = &mut latest[DataSource::ALL.iter().position(|s| *s == e.data_source).unwrap_or_default()];
        *slot = match *slot {
            Some((day, given)) if day > e.effective_on || (day == e.effective_on && !given) => Some((day, given)),
            _ => Some((e.effective_on, e.given)),
        };
    }
    DataSource::ALL
        .into_iter()
        .zip(latest)
        .filter(|(_, state)| state.is_some_and(|(_, given)| given))
        .map(|(s, _)| s)
        .collect()
}

/// The sources a decision for `purpose` on `on` must not read: every source needing a separate consent that the
/// entries do not consent to.
pub fn withheld(entries: impl IntoIterator<Item = ConsentEntry>, purpose: Purpose, on: Date) -> Sources {
    consented(entries, purpose, on).complement()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        domain::parse_date(s).expect("date")
    }

    fn entry(data_source: DataSource, purpose: Purpose, on: &str, given: bool) -> ConsentEntry {
        ConsentEntry { data_source, purpose, effective_on: d(on), given }
    }

    use DataSource::{BureauReports as Bureau, InsuranceClaims as Claims, Transactions as Tx};
    use Purpose::{CreditAssessment as Credit, ModelDevelopment as Models};

    #[test]
    fn nothing_on_file_withholds_every_source() {
        assert_eq!(consented([], Credit, d("2025-01-01")), Sources::NONE);
        assert_eq!(withheld([], Credit, d("2025-01-01")), Sources::ALL);
    }

    #[test]
    fn the_latest_entry_on_or_before_the_day_decides_per_source() {
        let entries = [
            entry(Bureau, Credit, "2025-01-01", true),
            entry(Tx, Credit, "2025-01-01", true),
            entry(Bureau, Credit, "2025-06-01", false),
            entry(Bureau, Credit, "2025-09-01", true),
        ];
        assert_eq!(consented(entries, Credit, d("2024-12-31")), Sources::NONE, "not yet");
        assert_eq!(consented(entries, Credit, d("2025-03-01")).codes(), ["bureau_reports", "transactions"]);
        assert_eq!(withheld(entries, Credit, d("2025-07-01")).codes(), ["bureau_reports", "insurance_claims"]);
        assert_eq!(consented(entries, Credit, d("2025-09-01")).codes(), ["bureau_reports", "transactions"]);
    }

    #[test]
    fn a_withdrawal_wins_a_tie_whatever_the_order() {
        let given = entry(Claims, Credit, "2025-05-01", true);
        let withdrawn = entry(Claims, Credit, "2025-05-01", false);
        assert!(!consented([given, withdrawn], Credit, d("2025-05-02")).contains(Claims));
        assert!(!consented([withdrawn, given], Credit, d("2025-05-02")).contains(Claims));
    }

    #[test]
    fn a_withdrawal_after_the_day_does_not_count_on_it() {
        let entries = [entry(Bureau, Credit, "2025-01-01", true), entry(Bureau, Credit, "2025-10-02", false)];
        assert!(consented(entries, Credit, d("2025-10-01")).contains(Bureau));
        assert!(!consented(entries, Credit, d("2025-10-02")).contains(Bureau));
    }

    #[test]
    fn a_consent_for_another_purpose_does_not_count() {
        let entries = [entry(Bureau, Models, "2025-01-01", true), entry(Tx, Credit, "2025-01-01", true)];
        assert_eq!(consented(entries, Credit, d("2025-02-01")).codes(), ["transactions"]);
        assert_eq!(consented(entries, Models, d("2025-02-01")).codes(), ["bureau_reports"]);
        // A withdrawal for another purpose leaves this one's consent standing.
        let more = [entry(Tx, Credit, "2025-01-01", true), entry(Tx, Models, "2025-03-01", false)];
        assert!(consented(more, Credit, d("2025-04-01")).contains(Tx));
    }

    #[test]
    fn codes_round_trip_and_unknown_ones_name_the_known() {
        for s in DataSource::ALL {
            assert_eq!(s.code().parse::<DataSource>(), Ok(s));
        }
        for p in Purpose::ALL {
            assert_eq!(p.code().parse::<Purpose>(), Ok(p));
        }
        let refused = "bank_statements".parse::<DataSource>().expect_err("unknown");
        assert_eq!(
            refused.to_string(),
            "'bank_statements' is not a data source (known: bureau_reports, transactions, insurance_claims)"
        );
        assert!("marketing".parse::<Purpose>().is_err());
    }

    #[test]
    fn every_separate_consent_source_is_classified_once_under_its_own_name() {
        for s in DataSource::ALL {
            let rows: Vec<&Classified> =
                CLASSIFICATION.iter().filter(|c| c.needs == Needs::SeparateConsent(s)).collect();
            assert_eq!(rows.len(), 1, "{s}");
            assert_eq!(rows[0].source, s.code());
        }
        let mut names: Vec<&str> = CLASSIFICATION.iter().map(|c| c.source).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CLASSIFICATION.len(), "a source is classified once");
    }

    #[test]
    fn a_set_holds_what_was_added_and_its_complement_the_rest() {
        let set: Sources = [Tx].into_iter().collect();
        assert!(set.contains(Tx) && !set.contains(Bureau));
        assert_eq!(set.complement().codes(), ["bureau_reports", "insurance_claims"]);
        assert_eq!(set.complement().complement(), set);
        assert!(Sources::NONE.is_empty() && !Sources::ALL.is_empty());
    }
}
