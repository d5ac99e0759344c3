//! What the lender's screening register says about an applicant on a date, and recording entries. An applicant
//! never asserts its own consent, list hits or fraud cases: a decision reads them here, as of its application date.
//!
//! Of each pair (listed / cleared, case opened / closed, consent / withdrawn) the entry with the latest effective
//! day on or before the date decides; on one day the closing entry wins (a withdrawal the same day as a consent
//! leaves no consent), so the register errs towards refusing.

use domain::{Clock, Date};
use store::{ScreeningEntry, ScreeningKind, ScreeningRegister};

use crate::error::{Error, ErrorCode};
use crate::review::text;

/// The most entries one call records.
pub const MAX_ENTRIES: usize = 10_000;

/// The screening as of `on` from a household's entries.
pub fn as_of(entries: &[ScreeningEntry], on: Date) -> decide::Screening {
    let latest = |opens: ScreeningKind, closes: ScreeningKind| {
        let mut state: Option<(Date, bool)> = None;
        for e in entries.iter().filter(|e| e.effective_on <= on) {
            let open = if e.kind == opens {
                true
            } else if e.kind == closes {
                false
            } else {
                continue;
            };
            state = match state {
                // A later day decides; on the same day a closing entry beats an opening one.
                Some((day, was)) if day > e.effective_on || (day == e.effective_on && !was) => Some((day, was)),
                _ => Some((e.effective_on, open)),
            };
        }
        state.is_some_and(|(_, open)| open)
    };
    decide::Screening {
        consent: latest(ScreeningKind::Consent, ScreeningKind::ConsentWithdrawn),
        blacklisted: latest(ScreeningKind::Blacklisted, ScreeningKind::BlacklistCleared),
        fraud_suspected: latest(ScreeningKind::FraudCase, ScreeningKind::FraudCaseClosed),
    }
}

/// A household's screening on `on`, read from the register.
pub async fn screening_of<S: ScreeningRegister>(
    store: &S,
    household_id: &str,
    on: Date,
) -> Result<decide::Screening, Error> {
    Ok(as_of(&store.screening_of(household_id).await?, on))
}

/// An entry to record, as a caller states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    /// The household.
    pub household_id: String,
    /// What it says.
    pub kind: ScreeningKind,
    /// From which day.
    pub effective_on: Date,
    /// Who asserted it.
    pub source: String,
    /// Free text (may be empty).
    pub note: String,
}

/// Reads entries from a CSV file with the header `household_id,kind,effective_on,source,note`; an error names the
/// file, line and field.
pub fn read_file(file: &std::path::Path) -> Result<Vec<NewEntry>, Error> {
    let shown = file.display().to_string();
    let mut reader = csv::Reader::from_path(file).map_err(|e| Error::input("file", format!("{shown}: {e}")))?;
    let expected = ["household_id", "kind", "effective_on", "source", "note"];
    let header = reader.headers().map_err(|e| Error::input("file", format!("{shown}: {e}")))?.clone();
    if header.iter().collect::<Vec<_>>() != expected {
        return Err(Error::input("file", format!("{shown}: the header must be {}", expected.join(","))));
    }
    let mut entries = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let line = i + 2;
        let row = row.map_err(|e| Error::input("file", format!("{shown} line {line}: {e}")))?;
        let field = |n: usize| row.get(n).unwrap_or_default().to_owned();
        let at = |name: &str| format!("{shown} line {line}: {name}");
        let kind = field(1).parse().map_err(|e| Error::input(at("kind"), e))?;
        let effective_on = domain::parse_date(&field(2)).map_err(|e| Error::input(at("effective_on"), e))?;
        entries.push(NewEntry { household_id: field(0), kind, effective_on, source: field(3), note: field(4) });
    }
    Ok(entries)
}

/// Records entries in one transaction after checking each (an id-shaped household and source, a note of at most
/// 500 characters); a later day is recorded and counts from then. Returns how many were new. `by` is who records them.
pub async fn record<S: ScreeningRegister>(
    store: &S,
    clock: &(dyn Clock + Send + Sync),
    by: &str,
    entries: Vec<NewEntry>,
) -> Result<usize, Error> {
    if entries.len() > MAX_ENTRIES {
        return Err(Error::coded(
            ErrorCode::OutOfRange,
            "entries",
            format!("{} entries in one call; at most {MAX_ENTRIES}", entries.len()),
        ));
    }
    let at = clock.now_rfc3339();
    let mut rows = Vec::with_capacity(entries.len());
    for (i, e) in entries.into_iter().enumerate() {
        let field = |name: &str| format!("entries[{i}].{name}");
        for (name, value) in [("household_id", &e.household_id), ("source", &e.source)] {
            let shaped = (1..=64).contains(&value.len())
                && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b));
            if !shaped {
                return Err(Error::input(field(name), "must be 1–64 letters, digits, '.', '_', ':' or '-'"));
            }
        }
        if !e.note.is_empty() {
            text(&field("note"), &e.note)?;
        }
        rows.push(ScreeningEntry {
            household_id: e.household_id,
            kind: e.kind,
            effective_on: e.effective_on,
            source: e.source,
            recorded_by: by.to_owned(),
            recorded_at: at.clone(),
            note: e.note,
        });
    }
    Ok(store.record_screening(&rows).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: ScreeningKind, on: &str) -> ScreeningEntry {
        ScreeningEntry {
            household_id: "H1".into(),
            kind,
            effective_on: domain::parse_date(on).expect("date"),
            source: "branch".into(),
            recorded_by: "t".into(),
            recorded_at: "t".into(),
            note: String::new(),
        }
    }

    #[test]
    fn the_latest_entry_on_or_before_the_day_decides_and_closing_wins_a_tie() {
        use ScreeningKind as K;
        let d = |s: &str| domain::parse_date(s).expect("date");
        let entries = [
            entry(K::Consent, "2025-01-01"),
            entry(K::ConsentWithdrawn, "2025-06-01"),
            entry(K::Consent, "2025-09-01"),
            entry(K::Blacklisted, "2025-03-01"),
            entry(K::BlacklistCleared, "2025-04-01"),
            entry(K::FraudCase, "2025-05-01"),
            entry(K::FraudCaseClosed, "2025-05-01"),
        ];
        assert_eq!(as_of(&entries, d("2024-12-31")), decide::Screening::default(), "nothing on file yet");
        let march = as_of(&entries, d("2025-03-15"));
        assert!(march.consent && march.blacklisted && !march.fraud_suspected);
        let july = as_of(&entries, d("2025-07-01"));
        assert!(!july.consent && !july.blacklisted && !july.fraud_suspected, "withdrawn, cleared, closed the same day");
        assert!(as_of(&entries, d("2025-09-01")).consent, "consented again");
    }
}
