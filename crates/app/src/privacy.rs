//! Retention and erasure of borrowers' personal data, as use cases: which households are past retention on a date
//! and which rule holds the others (`privacy::retention` over the ingested records, `integrate::retention`, and the
//! loans booked here), and `erase`, which clears one household's personal data through the store's erasures
//! register once no rule holds it, or a hold is overridden with a stated reason.
//!
//! What stays after an erasure, and why: the household id (a pseudonymous internal id) and every record keyed by it
//! — farm, loans' terms and outcomes, repayments, ratings, bureau summaries —, loans booked here with their events
//! and ledgers, decisions (their requests name the household id, no personal value), screening entries, the
//! quarantine of loads (masked values only, never a full ID or phone) and the audit trail (entries name household
//! ids). None holds a name, an ID number, a phone or an account number in clear or sealed, so anonymous aggregates,
//! features, the portfolio and `audit verify` are what they were.

use std::collections::BTreeMap;

use domain::{Date, LoanId};
use integrate::RecordStore;
use integrate::history::Scope;
use integrate::profile::{ErasureNote, Profile};
use integrate::schema::record_table;
use lending::{Change, LoanStatus};
use privacy::retention::{self, Facts, Hold, LoanFact, Retention, Rule};
use serde::Serialize;
use store::{Erased, Erasure, ErasureRecord, ErasureRegister, LoanStore, RecordTable};

use crate::error::{Error, ErrorCode};
use crate::loans::Loans;

/// Longest reason for an erasure or an overridden hold.
pub const MAX_REASON_CHARS: usize = store::erasure::MAX_REASON_CHARS;

/// A household id as the commands take it: `H` and 7 digits.
fn household_id(text: &str) -> Result<String, Error> {
    let t = text.trim();
    if t.len() == 8 && t.starts_with('H') && t[1..].bytes().all(|b| b.is_ascii_digit()) {
        Ok(t.to_string())
    } else {
        // Not echoed: it may be an ID number or a phone typed by mistake.
        Err(Error::input("household", "is not a household id (H and 7 digits, e.g. H0000001)"))
    }
}

fn reason(field: &str, text: &str) -> Result<String, Error> {
    let chars = text.chars().count();
    if text.trim().is_empty() || chars > MAX_REASON_CHARS {
        return Err(Error::input(
            field,
            format!("must be 1 to {MAX_REASON_CHARS} characters, not blank (got {chars})"),
        ));
    }
    Ok(text.trim().to_string())
}

/// Loans booked here, as retention sees them on `as_of`, by borrower.
async fn booked_loans<S: LoanStore + Clone>(store: &S, as_of: Date) -> Result<BTreeMap<String, Vec<LoanFact>>, Error> {
    let loans = Loans::new(store.clone());
    let mut out: BTreeMap<String, Vec<LoanFact>> = BTreeMap::new();
    for record in store.loans().await? {
        let id: &LoanId = &record.id;
        let state = loans.position(id, as_of).await?.state;
        let dates_to = |wanted: &[LoanStatus]| -> Vec<Date> {
            state
                .changes
                .iter()
                .filter(|c| matches!(c.change, Change::Status { to, .. } if wanted.contains(&to)))
                .map(|c| c.date)
                .collect()
        };
        let fact = match state.status {
            LoanStatus::Closed | LoanStatus::WrittenOff | LoanStatus::Declined => LoanFact::Closed {
                ended_on: dates_to(&[LoanStatus::Closed, LoanStatus::WrittenOff, LoanStatus::Declined])
                    .into_iter()
                    .max()
                    .unwrap_or(as_of),
                adverse: !dates_to(&[LoanStatus::Overdue, LoanStatus::WrittenOff]).is_empty(),
            },
            _ => LoanFact::Open,
        };
        out.entry(record.borrower.as_str().to_string()).or_default().push(fact);
    }
    Ok(out)
}

/// One household's standing: its facts, whether anything personal is left, and what retention says on the date.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Standing {
    facts: Facts,
    personal_left: bool,
    retention: Retention,
}

async fn standings<S>(store: &S, scope: Scope<'_>, as_of: Date) -> Result<BTreeMap<String, Standing>, Error>
where
    S: RecordStore + LoanStore + Clone,
{
    let mut booked = booked_loans(store, as_of).await?;
    let on_file = integrate::retention::on_file(store, scope).await?;
    Ok(on_file
        .into_iter()
        .map(|(id, mut found)| {
            found.facts.loans.extend(booked.remove(&id).unwrap_or_default());
            let retention = retention::assess(&found.facts, as_of);
            (id, Standing { facts: found.facts, personal_left: found.personal_left, retention })
        })
        .collect())
}

/// A household past retention whose personal data is still stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PastRetention {
    /// The household.
    pub household_id: String,
    /// The day its last rule ran out (`None`: no rule ever applied).
    pub since: Option<Date>,
}

/// Households by what retention says on a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetentionReport {
    /// The date.
    pub as_of: Date,
    /// Households on file.
    pub households: usize,
    /// Those past retention with personal data still stored: the ones `privacy erase` may clear.
    pub past: Vec<PastRetention>,
    /// Households some rule still holds, with personal data stored.
    pub held_households: usize,
    /// Households each rule holds (rule code → count; a household held by several rules counts under each).
    pub held: BTreeMap<&'static str, usize>,
    /// Households with no personal value left (erased, or never given one).
    pub nothing_left: usize,
}

/// Which households are past retention on `as_of`, and how many each rule holds.
pub async fn retention_report<S>(store: &S, as_of: Date) -> Result<RetentionReport, Error>
where
    S: RecordStore + LoanStore + Clone,
{
    let all = standings(store, Scope::All, as_of).await?;
    let mut report = RetentionReport {
        as_of,
        households: all.len(),
        past: Vec::new(),
        held_households: 0,
        held: Rule::ALL.iter().map(|r| (r.code(), 0)).collect(),
        nothing_left: 0,
    };
    for (household_id, standing) in all {
        match standing.retention {
            _ if !standing.personal_left => report.nothing_left += 1,
            Retention::Past { since } => report.past.push(PastRetention { household_id, since }),
            Retention::Held(_) => {
                report.held_households += 1;
                let holding = retention::rules_of(&standing.facts)
                    .into_iter()
                    .filter(|h| h.until.is_none_or(|until| as_of < until));
                for hold in holding {
                    *report.held.entry(hold.rule.code()).or_default() += 1;
                }
            }
        }
    }
    Ok(report)
}

/// An erasure as a caller asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EraseRequest {
    household_id: String,
    reason: String,
    as_of: Date,
    override_hold: Option<String>,
}

impl EraseRequest {
    /// Erase the personal data of `household` (an id, `H` and 7 digits) for `reason`, judging retention on `as_of`
    /// (default `today`; never a later day, which would let a hold run out early without an override);
    /// `override_hold` states why a rule still holding it is set aside. Texts are checked here.
    pub fn new(
        household: &str,
        why: &str,
        as_of: Option<Date>,
        today: Date,
        override_hold: Option<&str>,
    ) -> Result<EraseRequest, Error> {
        let as_of = as_of.unwrap_or(today);
        if as_of > today {
            return Err(Error::input(
                "as-of",
                format!(
                    "retention is judged on today ({today}) or an earlier day, not {as_of}: a later day would let a \
                     hold run out early"
                ),
            ));
        }
        Ok(EraseRequest {
            household_id: household_id(household)?,
            reason: reason("reason", why)?,
            as_of,
            override_hold: override_hold.map(|o| reason("override-hold", o)).transpose()?,
        })
    }
}

/// What an erasure did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum EraseOutcome {
    /// Erased and recorded.
    Erased {
        /// The stored erasure.
        erasure: ErasureRecord,
        /// The rule whose hold was overridden, if one was.
        overridden: Option<&'static str>,
    },
    /// Nothing personal was left; nothing was written.
    NothingLeft {
        /// The latest earlier erasure, if any.
        earlier: Option<ErasureRecord>,
    },
}

fn hold_text(hold: &Hold) -> String {
    match hold.until {
        None => format!("{} ({})", hold.rule.code(), hold.rule.describe()),
        Some(until) => format!("{} until {until} ({})", hold.rule.code(), hold.rule.describe()),
    }
}

/// The record tables an erasure clears: every source `privacy::retention::SOURCES` names.
fn personal_tables() -> Result<Vec<RecordTable>, Error> {
    retention::SOURCES
        .iter()
        .map(|s| {
            ingest::contracts::by_name(s.source)
                .map(record_table)
                .ok_or_else(|| Error::internal(format!("no contract for the retention source {}", s.source)))
        })
        .collect()
}

/// Erases the household's personal data as the request says, as the store's acting user: refused
/// (`retention_hold`) while a rule holds it and no override is given, `unknown_applicant` for a household not on
/// file, and a no-op when nothing personal is left.
pub async fn erase<S>(store: &S, request: &EraseRequest) -> Result<EraseOutcome, Error>
where
    S: RecordStore + LoanStore + ErasureRegister + Clone,
{
    // What the judgement reads of the household's loans, read first: the erasure is refused if it moved since.
    let seen = store.loan_facts(&request.household_id).await?;
    let ids = [request.household_id.clone()];
    let standing = standings(store, Scope::Households(&ids), request.as_of)
        .await?
        .remove(&request.household_id)
        .ok_or_else(|| {
            Error::coded(
                ErrorCode::UnknownApplicant,
                "household",
                format!("household {} is not on file", request.household_id),
            )
        })?;
    if !standing.personal_left {
        let earlier = store.erasures_of(&request.household_id).await?.pop();
        return Ok(EraseOutcome::NothingLeft { earlier });
    }
    let (rule, overridden) = match standing.retention {
        Retention::Held(hold) if request.override_hold.is_none() => {
            return Err(Error::coded(
                ErrorCode::RetentionHold,
                "household",
                format!(
                    "household {}'s personal data is held on {} by {}; nothing was erased (--override-hold REASON \
                     sets the hold aside, recorded)",
                    request.household_id,
                    request.as_of,
                    hold_text(&hold)
                ),
            ));
        }
        Retention::Held(hold) => (hold.rule.code(), Some(hold.rule.code())),
        Retention::Past { .. } => {
            let last = retention::rules_of(&standing.facts).into_iter().max_by_key(|h| h.until);
            (last.map_or("none", |h| h.rule.code()), None)
        }
    };
    let erasure = Erasure {
        household_id: request.household_id.clone(),
        as_of: request.as_of,
        rule: rule.to_string(),
        reason: request.reason.clone(),
        // An override is recorded only when it set a hold aside.
        override_hold: overridden.and(request.override_hold.clone()),
        seen,
    };
    Ok(match store.erase(&erasure, &personal_tables()?).await? {
        Erased::Done(erasure) => EraseOutcome::Erased { erasure, overridden },
        Erased::NothingLeft(earlier) => EraseOutcome::NothingLeft { earlier },
    })
}

/// Marks a profile whose household's personal data was erased, saying what that means for a masked or an unmasked
/// answer.
pub async fn note_erasure<S: ErasureRegister>(store: &S, profile: &mut Profile, unmasked: bool) -> Result<(), Error> {
    let Some(latest) = store.erasures_of(&profile.household.household_id).await?.pop() else { return Ok(()) };
    let note = if unmasked {
        "personal data erased: no name, ID number or phone is left to unmask"
    } else {
        "personal data erased: names, ID numbers and phones are no longer stored"
    };
    profile.erasure = Some(ErasureNote { erased_at: latest.erased_at, note: note.to_string() });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> Date {
        domain::parse_date("2040-01-01").expect("date")
    }

    #[test]
    fn an_erase_request_names_the_field_at_fault() {
        assert!(EraseRequest::new(" H0000001 ", "asked", None, day(), None).is_ok());
        let later = domain::parse_date("2040-01-02").expect("date");
        let e = EraseRequest::new("H0000001", "asked", Some(later), day(), None).expect_err("a later day");
        assert_eq!(e.field(), Some("as-of"));
        for (household, why, hold, field) in [
            ("H000001", "asked", None, "household"),
            ("110101199001011234", "asked", None, "household"),
            ("H0000001", "  ", None, "reason"),
            ("H0000001", "asked", Some(""), "override-hold"),
        ] {
            let e = EraseRequest::new(household, why, Some(day()), day(), hold).expect_err(household);
            assert_eq!((e.code(), e.field()), (ErrorCode::InvalidField, Some(field)), "{e}");
            assert!(!e.to_string().contains("19900101"), "an ID number is not echoed: {e}");
        }
        let long = "x".repeat(MAX_REASON_CHARS + 1);
        let e = EraseRequest::new("H0000001", &long, None, day(), None).expect_err("long");
        assert_eq!(e.field(), Some("reason"));
    }

    #[test]
    fn every_retention_source_has_a_record_table_with_personal_columns() {
        let tables = personal_tables().expect("tables");
        assert_eq!(tables.len(), retention::SOURCES.len());
        assert!(tables.iter().all(|t| t.columns.iter().any(|c| c.personal)));
        assert!(tables.iter().all(|t| t.columns.iter().any(|c| c.name == "household_id")));
    }
}
