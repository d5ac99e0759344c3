//! Retention rules: which ingested columns hold personal data, how long each is kept after what event, and whether
//! one household's personal data is past retention on a date or which rule still holds it.
//!
//! PIPL art. 19 keeps personal data no longer than its purpose needs; the law of that purpose sets the minimum.
//! Identity data (a member's name, national ID and phone; an account number) is customer identification under the
//! Anti-Money Laundering Law and is kept [`AML_IDENTITY_YEARS`] after the business relationship ends. A household
//! with a negative credit record (a loan overdue or written off) keeps it attributable for
//! [`NEGATIVE_RECORD_YEARS`] after the event ends (征信业管理条例 art. 16). An open loan always holds it: the
//! contract is still being performed (PIPL art. 13 (2)). A household that never borrowed (an applicant
//! declined, or one surveyed for whole-village credit) is kept [`NEVER_BORROWED_YEARS`] after its last
//! application or record.
//!
//! Everything else ingested about a household (its farm, its loans' terms and outcomes, its ratings) is keyed by
//! the household id, a pseudonymous internal id, and stays: it is what anonymous aggregates, features and the
//! portfolio are computed from. Pure: the caller gathers the facts and passes the date.

use domain::{Date, add_months};

/// Years identity data is kept after the business relationship ends (Anti-Money Laundering Law of the PRC, revised
/// 2024, in force 2025-01-01, art. 40: customer identification data at least ten years; the 2006 law said five).
/// Not from the project's domain notes: to be confirmed by the lender's compliance officer.
pub const AML_IDENTITY_YEARS: i32 = 10;
/// Years a negative credit record is kept from the end of the event (征信业管理条例 art. 16).
pub const NEGATIVE_RECORD_YEARS: i32 = 5;
/// Years a household that never borrowed is kept after its last application or record. Our assumption (no law
/// sets a minimum for a declined application or a survey; a year covers a complaint, a review of the decision
/// or the next season's credit granting).
pub const NEVER_BORROWED_YEARS: i32 = 1;

/// A rule that keeps personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    /// A loan is open: the contract is being performed.
    OpenLoan,
    /// Customer identification kept after the business relationship ends (anti-money laundering).
    AmlIdentity,
    /// A negative credit record kept from the end of the event (credit reporting).
    NegativeRecord,
    /// A household that never borrowed, kept after its last application or record (our assumption).
    NeverBorrowed,
}

impl Rule {
    /// Every rule.
    pub const ALL: [Rule; 4] = [Rule::OpenLoan, Rule::AmlIdentity, Rule::NegativeRecord, Rule::NeverBorrowed];

    /// The stable code shown and stored.
    pub fn code(self) -> &'static str {
        match self {
            Rule::OpenLoan => "open_loan",
            Rule::AmlIdentity => "aml_identity",
            Rule::NegativeRecord => "negative_record",
            Rule::NeverBorrowed => "never_borrowed",
        }
    }

    /// What the rule keeps, after what event, and why, in one sentence.
    pub fn describe(self) -> &'static str {
        match self {
            Rule::OpenLoan => "kept while a loan is open (the contract is being performed, PIPL art. 13)",
            Rule::AmlIdentity => {
                "identity data kept 10 years after the business relationship ends (Anti-Money Laundering Law art. 40)"
            }
            Rule::NegativeRecord => {
                "a negative credit record kept 5 years from the end of the event (征信业管理条例 art. 16)"
            }
            Rule::NeverBorrowed => {
                "a household that never borrowed kept 1 year after its last application or record (our policy)"
            }
        }
    }

    /// Years kept after its event; `None` for as long as the event lasts.
    pub fn years(self) -> Option<i32> {
        match self {
            Rule::OpenLoan => None,
            Rule::AmlIdentity => Some(AML_IDENTITY_YEARS),
            Rule::NegativeRecord => Some(NEGATIVE_RECORD_YEARS),
            Rule::NeverBorrowed => Some(NEVER_BORROWED_YEARS),
        }
    }
}

/// The personal columns of one source and the rules that keep them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceRetention {
    /// The source (its record table is `rec_<source>`).
    pub source: &'static str,
    /// Its personal columns (each sealed, with its blind index beside it when it has one).
    pub columns: &'static [&'static str],
    /// The rules that keep them, besides an open loan.
    pub rules: &'static [Rule],
}

/// Every source holding personal data. The other sources hold none: they are keyed by pseudonymous ids.
pub const SOURCES: &[SourceRetention] = &[
    SourceRetention {
        source: "members",
        columns: &["name", "national_id", "phone"],
        rules: &[Rule::AmlIdentity, Rule::NegativeRecord, Rule::NeverBorrowed],
    },
    SourceRetention {
        source: "accounts",
        columns: &["account_no"],
        rules: &[Rule::AmlIdentity, Rule::NegativeRecord, Rule::NeverBorrowed],
    },
];

/// One of a household's loans, as retention sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoanFact {
    /// Not repaid, written off or otherwise closed yet.
    Open,
    /// Ended on a day.
    Closed {
        /// The day it ended (repaid, written off or matured and closed).
        ended_on: Date,
        /// Whether it was ever overdue or written off: a negative credit record.
        adverse: bool,
    },
}

/// What retention needs to know about a household.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// Its loans, ingested and booked.
    pub loans: Vec<LoanFact>,
    /// The latest day it applied or a record of it is dated, if any.
    pub last_activity: Option<Date>,
}

/// A rule holding a household's personal data on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hold {
    /// The rule.
    pub rule: Rule,
    /// The first day the rule no longer holds it; `None` while a loan is open.
    pub until: Option<Date>,
}

/// Whether a household's personal data may go on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retention {
    /// Every rule has run out; since this day (`None`: no rule ever applied, nothing is on file to keep).
    Past {
        /// The day the last rule ran out.
        since: Option<Date>,
    },
    /// A rule still holds it: the one holding it longest.
    Held(Hold),
}

fn years_after(date: Date, years: i32) -> Date {
    add_months(date, years * 12)
}

/// Every rule that applies to a household and the first day each no longer holds it (`None`: while a loan is open).
pub fn rules_of(facts: &Facts) -> Vec<Hold> {
    let mut holds = Vec::new();
    if facts.loans.iter().any(|l| matches!(l, LoanFact::Open)) {
        holds.push(Hold { rule: Rule::OpenLoan, until: None });
    }
    let ended = facts.loans.iter().filter_map(|l| match l {
        LoanFact::Open => None,
        LoanFact::Closed { ended_on, adverse } => Some((*ended_on, *adverse)),
    });
    let last_end = ended.clone().map(|(on, _)| on).max();
    let last_adverse = ended.filter(|(_, adverse)| *adverse).map(|(on, _)| on).max();
    if facts.loans.is_empty() {
        if let Some(last) = facts.last_activity {
            holds.push(Hold { rule: Rule::NeverBorrowed, until: Some(years_after(last, NEVER_BORROWED_YEARS)) });
        }
    } else {
        // The relationship ends with its last loan or its last application, whichever is later.
        let relationship_end = last_end.into_iter().chain(facts.last_activity).max();
        if let Some(end) = relationship_end {
            holds.push(Hold { rule: Rule::AmlIdentity, until: Some(years_after(end, AML_IDENTITY_YEARS)) });
        }
    }
    if let Some(end) = last_adverse {
        holds.push(Hold { rule: Rule::NegativeRecord, until: Some(years_after(end, NEGATIVE_RECORD_YEARS)) });
    }
    holds
}

/// Whether a household's personal data is past retention on `on`, or the rule holding it longest.
pub fn assess(facts: &Facts, on: Date) -> Retention {
    let holds = rules_of(facts);
    let holding = holds.iter().filter(|h| h.until.is_none_or(|until| on < until)).max_by_key(|h| match h.until {
        None => (1, None),
        Some(until) => (0, Some(until)),
    });
    match holding {
        Some(hold) => Retention::Held(*hold),
        None => Retention::Past { since: holds.iter().filter_map(|h| h.until).max() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Date {
        domain::parse_date(text).expect("date")
    }

    fn closed(on: &str, adverse: bool) -> LoanFact {
        LoanFact::Closed { ended_on: d(on), adverse }
    }

    #[test]
    fn an_open_loan_always_holds() {
        let facts = Facts { loans: vec![closed("2000-01-01", false), LoanFact::Open], last_activity: None };
        assert_eq!(assess(&facts, d("2099-12-31")), Retention::Held(Hold { rule: Rule::OpenLoan, until: None }));
    }

    #[test]
    fn identity_is_kept_ten_years_after_the_last_loan_or_application() {
        let facts = Facts { loans: vec![closed("2020-03-31", false)], last_activity: Some(d("2021-06-30")) };
        let hold = Hold { rule: Rule::AmlIdentity, until: Some(d("2031-06-30")) };
        assert_eq!(assess(&facts, d("2031-06-29")), Retention::Held(hold));
        assert_eq!(assess(&facts, d("2031-06-30")), Retention::Past { since: Some(d("2031-06-30")) });
    }

    #[test]
    fn a_negative_record_is_reported_as_a_hold_but_anti_money_laundering_outlasts_it() {
        let facts = Facts { loans: vec![closed("2020-01-15", true)], last_activity: None };
        let holds = rules_of(&facts);
        assert!(holds.contains(&Hold { rule: Rule::NegativeRecord, until: Some(d("2025-01-15")) }));
        assert_eq!(
            assess(&facts, d("2026-01-01")),
            Retention::Held(Hold { rule: Rule::AmlIdentity, until: Some(d("2030-01-15")) })
        );
    }

    #[test]
    fn a_household_that_never_borrowed_is_kept_a_year() {
        let facts = Facts { loans: Vec::new(), last_activity: Some(d("2024-02-29")) };
        assert_eq!(
            assess(&facts, d("2025-02-27")),
            Retention::Held(Hold { rule: Rule::NeverBorrowed, until: Some(d("2025-02-28")) })
        );
        assert_eq!(assess(&facts, d("2025-02-28")), Retention::Past { since: Some(d("2025-02-28")) });
    }

    #[test]
    fn nothing_on_file_holds_nothing() {
        assert_eq!(assess(&Facts::default(), d("2026-01-01")), Retention::Past { since: None });
    }

    #[test]
    fn every_rule_has_a_distinct_code_and_every_source_a_rule() {
        let mut codes: Vec<&str> = Rule::ALL.iter().map(|r| r.code()).collect();
        codes.dedup();
        assert_eq!(codes.len(), Rule::ALL.len());
        assert!(SOURCES.iter().all(|s| !s.columns.is_empty() && !s.rules.is_empty()));
    }
}
