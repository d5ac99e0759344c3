//! The erasures register: a household's personal data erased from the ingested records — the sealed tokens and
//! blind indexes of its `members` and `accounts` rows set to NULL, nothing else touched — with a record of when, by
//! whom, on which retention rule and why, in one transaction with the `privacy.erase` audit entry. Which columns
//! are personal is the record table's (`RecordColumn::personal`); whether the household may be erased is
//! `privacy::retention`'s, judged by the service layer (`app::privacy`) before it calls [`ErasureRegister::erase`].

use std::collections::BTreeMap;
use std::future::Future;

use domain::Date;
use serde::Serialize;

use crate::{RecordTable, StoreError};

/// Longest household id, rule code, reason or override reason stored.
pub const MAX_REASON_CHARS: usize = 500;

/// An erasure to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erasure {
    /// The household (a pseudonymous internal id, kept).
    pub household_id: String,
    /// The date retention was judged on.
    pub as_of: Date,
    /// The retention rule whose period ran out, or whose hold was overridden (`privacy::retention::Rule::code`), or
    /// `none` when no rule ever applied.
    pub rule: String,
    /// Why it is erased (e.g. the borrower's request under PIPL art. 47).
    pub reason: String,
    /// The reason a hold was overridden, when one was.
    pub override_hold: Option<String>,
    /// What the retention judgement read of the household's loans ([`ErasureRegister::loan_facts`], read before it
    /// judged): the erasure is refused if they moved before its transaction, so a loan booked, an event posted or
    /// a loan file loaded in between is never erased past.
    pub seen: LoanFacts,
}

/// How many loans a household has, booked here and ingested, and how many events its booked loans hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoanFacts {
    /// Loans booked here for the household (as borrower).
    pub booked_loans: u64,
    /// Events of those loans.
    pub booked_events: u64,
    /// Versions of ingested `loans` records of the household.
    pub ingested_loans: u64,
}

/// A stored erasure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErasureRecord {
    /// Its number, from 1.
    pub erasure_id: i64,
    /// The household.
    pub household_id: String,
    /// When (the audit entry's time, RFC 3339).
    pub erased_at: String,
    /// Who (the audit entry's actor).
    pub actor: String,
    /// The date retention was judged on.
    pub as_of: Date,
    /// The rule (see [`Erasure::rule`]).
    pub rule: String,
    /// Why.
    pub reason: String,
    /// The reason a hold was overridden, if one was.
    pub override_hold: Option<String>,
    /// Rows cleared, by source.
    pub rows: BTreeMap<String, u64>,
}

/// What an erasure did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Erased {
    /// Personal data was erased and recorded.
    Done(ErasureRecord),
    /// No personal value of the household was left: nothing was written. The latest earlier erasure, if any.
    NothingLeft(Option<ErasureRecord>),
}

/// The erasures register.
pub trait ErasureRegister {
    /// Sets every personal column of the household's rows in `tables` to NULL (tables never loaded are skipped; a
    /// table without a `household_id` column is refused), records the erasure and its audit entry, all in one
    /// transaction; afterwards the old values are gone from the files too (SQLite: `secure_delete`, then the WAL
    /// checkpointed and truncated). With no personal value left, writes nothing.
    fn erase(
        &self,
        erasure: &Erasure,
        tables: &[RecordTable],
    ) -> impl Future<Output = Result<Erased, StoreError>> + Send;

    /// What the store holds of the household's loans now (read before a retention judgement, checked again in the
    /// erasure's transaction).
    fn loan_facts(&self, household_id: &str) -> impl Future<Output = Result<LoanFacts, StoreError>> + Send;

    /// The household's erasures, oldest first.
    fn erasures_of(&self, household_id: &str) -> impl Future<Output = Result<Vec<ErasureRecord>, StoreError>> + Send;

    /// Every erasure, oldest first.
    fn erasures(&self) -> impl Future<Output = Result<Vec<ErasureRecord>, StoreError>> + Send;
}

/// Refuses an erasure whose texts are empty or too long, naming the field.
pub fn check(erasure: &Erasure) -> Result<(), StoreError> {
    let bounded = |field: &'static str, text: &str, max: usize| {
        let n = text.chars().count();
        if n == 0 || n > max || text.trim().is_empty() {
            Err(StoreError::InvalidErasure {
                household: erasure.household_id.chars().take(64).collect(),
                field,
                problem: format!("must be 1 to {max} characters, not blank (got {n})"),
            })
        } else {
            Ok(())
        }
    };
    bounded("household_id", &erasure.household_id, 64)?;
    bounded("rule", &erasure.rule, 64)?;
    bounded("reason", &erasure.reason, MAX_REASON_CHARS)?;
    if let Some(text) = &erasure.override_hold {
        bounded("override_hold", text, MAX_REASON_CHARS)?;
    }
    Ok(())
}

/// A table's personal columns as quoted identifiers.
pub(crate) fn personal_columns(table: &RecordTable) -> Vec<String> {
    table.columns.iter().filter(|c| c.personal).map(|c| format!("\"{}\"", c.name.replace('"', "\"\""))).collect()
}

/// The `NULL` assignments and the "anything left" test of a table's personal columns, as SQL both engines take
/// (quoted identifiers); `None` for a table with no personal column.
pub(crate) fn personal_sql(table: &RecordTable) -> Option<(String, String)> {
    let personal = personal_columns(table);
    if personal.is_empty() {
        return None;
    }
    let set = personal.iter().map(|c| format!("{c} = NULL")).collect::<Vec<_>>().join(", ");
    let left = personal.iter().map(|c| format!("{c} IS NOT NULL")).collect::<Vec<_>>().join(" OR ");
    Some((set, left))
}
