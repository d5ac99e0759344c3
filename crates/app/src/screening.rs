//! What the lender's screening register says about an applicant on a date, and recording entries. An applicant
//! never asserts its own consent, list hits or fraud cases: a decision reads them here, as of its application date.
//!
//! Of each pair (listed / cleared, case opened / closed, consent / withdrawn) the entry with the latest effective
//! day on or before the date decides; on one day the closing entry wins (a withdrawal the same day as a consent
//! leaves no consent), so the register errs towards refusing.
//!
//! A consent entry scoped to a data source and purpose (`privacy::consent`) counts only for that source and
//! purpose; the unscoped consent is the credit-check consent. A decision withholds every source with no consent in
//! force for [`Purpose::CreditAssessment`] on its application date ([`decide::Screening::withheld`]).

use domain::{Clock, Date};
use privacy::consent::{self, ConsentEntry, DataSource, Purpose, Sources};
use store::{ConsentScope, ScreeningEntry, ScreeningKind, ScreeningRegister};

use crate::error::{Error, ErrorCode};
use crate::review::text;

/// The most entries one call records.
pub const MAX_ENTRIES: usize = 10_000;

/// The screening as of `on` from a household's entries.
pub fn as_of(entries: &[ScreeningEntry], on: Date) -> decide::Screening {
    let latest = |opens: ScreeningKind, closes: ScreeningKind| {
        let mut state: Option<(Date, bool)> = None;
        for e in entries.iter().filter(|e| e.effective_on <= on && e.scope.is_none()) {
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
        withheld: consent::withheld(scoped(entries), Purpose::CreditAssessment, on),
    }
}

/// A household's scoped consent entries, as `privacy::consent` reads them.
fn scoped(entries: &[ScreeningEntry]) -> impl Iterator<Item = ConsentEntry> + '_ {
    entries.iter().filter_map(|e| {
        let scope = e.scope?;
        let given = match e.kind {
            ScreeningKind::Consent => true,
            ScreeningKind::ConsentWithdrawn => false,
            _ => return None,
        };
        Some(ConsentEntry {
            data_source: scope.data_source,
            purpose: scope.purpose,
            effective_on: e.effective_on,
            given,
        })
    })
}

/// The sources consented to on `on`, per purpose (every purpose, in code order; an empty set when none).
pub fn consents_in_force(entries: &[ScreeningEntry], on: Date) -> Vec<(Purpose, Sources)> {
    Purpose::ALL.into_iter().map(|purpose| (purpose, consent::consented(scoped(entries), purpose, on))).collect()
}

/// The scope of an entry as a caller states it: a data source and a purpose, both or neither (empty text is
/// absent), only on a consent or its withdrawal; `at` names the entry (`entries[3]`, `FILE line 4`).
pub fn scope_of(
    at: &str,
    kind: ScreeningKind,
    data_source: Option<&str>,
    purpose: Option<&str>,
) -> Result<Option<ConsentScope>, Error> {
    let field = |name: &str| format!("{at}.{name}");
    let data_source = data_source.filter(|v| !v.is_empty());
    let purpose = purpose.filter(|v| !v.is_empty());
    let (data_source, purpose) = match (data_source, purpose) {
        (None, None) => return Ok(None),
        (Some(_), None) => {
            return Err(Error::coded(
                ErrorCode::MissingField,
                field("purpose"),
                "a consent scoped to a data source names the purpose it is given for",
            ));
        }
        (None, Some(_)) => {
            return Err(Error::coded(
                ErrorCode::MissingField,
                field("data_source"),
                "a consent scoped to a purpose names the data source it covers",
            ));
        }
        (Some(d), Some(p)) => (d, p),
    };
    if !matches!(kind, ScreeningKind::Consent | ScreeningKind::ConsentWithdrawn) {
        return Err(Error::input(
            field("data_source"),
            format!("only a consent or its withdrawal has a scope, not a {kind} entry"),
        ));
    }
    let data_source: DataSource = data_source.parse().map_err(|e| Error::input(field("data_source"), e))?;
    let purpose: Purpose = purpose.parse().map_err(|e| Error::input(field("purpose"), e))?;
    Ok(Some(ConsentScope { data_source, purpose }))
}

/// A household's screening on `on`, read from the register.
pub async fn screening_of<S: ScreeningRegister>(
    store: &S,
    household_id: &str,
    on: Date,
) -> Result<decide::Screening, Error> {
    Ok(as_of(&store.screening_of(household_id).await?, on))
}

/// The sources withheld from a credit assessment of a household on a date: what a batch of assessments (a
/// village's pre-credit, a policy replay) reads from the register, in memory.
pub type WithheldOn<'a> = &'a (dyn Fn(&str, Date) -> Sources + Sync);

/// A household's whole screening on a date, for a use case that assesses many households (village pre-credit).
pub type ScreeningOn<'a> = &'a (dyn Fn(&str, Date) -> decide::Screening + Sync);

/// The whole register's entries by household, to screen many households without a read each.
#[derive(Debug, Clone, Default)]
pub struct Register {
    entries: std::collections::HashMap<String, Vec<ScreeningEntry>>,
}

impl Register {
    /// The register from its entries (in any order of households; each household's in the register's order).
    pub fn new(entries: impl IntoIterator<Item = ScreeningEntry>) -> Register {
        let mut by_household: std::collections::HashMap<String, Vec<ScreeningEntry>> = Default::default();
        for entry in entries {
            by_household.entry(entry.household_id.clone()).or_default().push(entry);
        }
        Register { entries: by_household }
    }

    /// A household's entries.
    pub fn of(&self, household_id: &str) -> &[ScreeningEntry] {
        self.entries.get(household_id).map_or(&[][..], Vec::as_slice)
    }

    /// What a household's entries say on a date.
    pub fn as_of(&self, household_id: &str, on: Date) -> decide::Screening {
        as_of(self.of(household_id), on)
    }

    /// The sources withheld from a credit assessment of a household on a date.
    pub fn withheld(&self, household_id: &str, on: Date) -> Sources {
        self.as_of(household_id, on).withheld
    }
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
    /// The data source and purpose a consent covers ([`scope_of`]); `None`: the credit-check consent.
    pub scope: Option<ConsentScope>,
}

/// The columns of a screening file; a file may add [`SCOPE_COLUMNS`] after them.
pub const FILE_COLUMNS: [&str; 5] = ["household_id", "kind", "effective_on", "source", "note"];
/// The optional scope columns of a screening file.
pub const SCOPE_COLUMNS: [&str; 2] = ["data_source", "purpose"];

/// Reads entries from a CSV file with the header `household_id,kind,effective_on,source,note`, or that header and
/// `,data_source,purpose` (both empty on a row: unscoped); an error names the file, line and field.
pub fn read_file(file: &std::path::Path) -> Result<Vec<NewEntry>, Error> {
    let shown = file.display().to_string();
    let mut reader = csv::Reader::from_path(file).map_err(|e| Error::input("file", format!("{shown}: {e}")))?;
    let header = reader.headers().map_err(|e| Error::input("file", format!("{shown}: {e}")))?.clone();
    let header: Vec<&str> = header.iter().collect();
    let scoped: Vec<&str> = FILE_COLUMNS.iter().chain(SCOPE_COLUMNS.iter()).copied().collect();
    let with_scope = header == scoped;
    if header != FILE_COLUMNS && !with_scope {
        return Err(Error::input(
            "file",
            format!("{shown}: the header must be {} or {}", FILE_COLUMNS.join(","), scoped.join(",")),
        ));
    }
    let mut entries = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let line = i + 2;
        let row = row.map_err(|e| Error::input("file", format!("{shown} line {line}: {e}")))?;
        let field = |n: usize| row.get(n).unwrap_or_default().to_owned();
        let at = |name: &str| format!("{shown} line {line}: {name}");
        let kind = field(1).parse().map_err(|e| Error::input(at("kind"), e))?;
        let effective_on = domain::parse_date(&field(2)).map_err(|e| Error::input(at("effective_on"), e))?;
        let scope =
            if with_scope { scope_of(&format!("{shown} line {line}"), kind, row.get(5), row.get(6))? } else { None };
        entries.push(NewEntry { household_id: field(0), kind, effective_on, source: field(3), note: field(4), scope });
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
        if e.scope.is_some() && !matches!(e.kind, ScreeningKind::Consent | ScreeningKind::ConsentWithdrawn) {
            return Err(Error::input(field("data_source"), format!("only a consent has a scope, not a {}", e.kind)));
        }
        rows.push(ScreeningEntry {
            household_id: e.household_id,
            kind: e.kind,
            effective_on: e.effective_on,
            source: e.source,
            recorded_by: by.to_owned(),
            recorded_at: at.clone(),
            note: e.note,
            scope: e.scope,
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
            scope: None,
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

    fn scoped(kind: ScreeningKind, on: &str, data_source: DataSource, purpose: Purpose) -> ScreeningEntry {
        ScreeningEntry { scope: Some(ConsentScope { data_source, purpose }), ..entry(kind, on) }
    }

    #[test]
    fn scoped_consents_withhold_their_sources_and_leave_the_credit_check_consent_alone() {
        use DataSource::{BureauReports as Bureau, InsuranceClaims as Claims, Transactions as Tx};
        use Purpose::{CreditAssessment as Credit, ModelDevelopment as Models};
        use ScreeningKind as K;
        let d = |s: &str| domain::parse_date(s).expect("date");
        let entries = [
            entry(K::Consent, "2025-01-01"),
            scoped(K::Consent, "2025-01-01", Bureau, Credit),
            scoped(K::Consent, "2025-01-01", Tx, Credit),
            scoped(K::Consent, "2025-01-01", Claims, Models),
            scoped(K::ConsentWithdrawn, "2025-06-01", Bureau, Credit),
        ];
        let march = as_of(&entries, d("2025-03-01"));
        assert!(march.consent);
        assert_eq!(march.withheld.codes(), ["insurance_claims"], "a consent for model development does not count");
        let july = as_of(&entries, d("2025-07-01"));
        assert!(july.consent, "withdrawing one source's consent leaves the credit-check consent");
        assert_eq!(july.withheld.codes(), ["bureau_reports", "insurance_claims"]);
        // A scoped withdrawal does not withdraw the credit-check consent, nor a scoped consent give it.
        let only_scoped = [scoped(K::Consent, "2025-01-01", Bureau, Credit)];
        assert!(!as_of(&only_scoped, d("2025-02-01")).consent);
        let in_force = consents_in_force(&entries, d("2025-03-01"));
        assert_eq!(in_force[0], (Credit, [Bureau, Tx].into_iter().collect()));
        assert_eq!(in_force[2], (Models, [Claims].into_iter().collect()));
    }

    #[test]
    fn a_scope_needs_both_parts_a_consent_and_known_codes() {
        use ScreeningKind as K;
        let refused = |kind, d: Option<&str>, p: Option<&str>| {
            let Err(Error::Refused { code, field, .. }) = scope_of("entries[2]", kind, d, p) else {
                panic!("{kind:?} {d:?} {p:?} is refused");
            };
            (code, field.unwrap_or_default())
        };
        assert_eq!(scope_of("e", K::Consent, None, Some("")).expect("absent"), None);
        let scope = scope_of("e", K::ConsentWithdrawn, Some("transactions"), Some("model_development")).expect("ok");
        assert_eq!(scope.map(|s| s.data_source), Some(DataSource::Transactions));
        assert_eq!(
            refused(K::Consent, Some("bureau_reports"), None),
            (ErrorCode::MissingField, "entries[2].purpose".into())
        );
        assert_eq!(
            refused(K::Consent, None, Some("credit_assessment")),
            (ErrorCode::MissingField, "entries[2].data_source".into())
        );
        assert_eq!(
            refused(K::FraudCase, Some("bureau_reports"), Some("credit_assessment")),
            (ErrorCode::InvalidField, "entries[2].data_source".into())
        );
        assert_eq!(
            refused(K::Consent, Some("gps_traces"), Some("credit_assessment")),
            (ErrorCode::InvalidField, "entries[2].data_source".into())
        );
        assert_eq!(
            refused(K::Consent, Some("bureau_reports"), Some("marketing")),
            (ErrorCode::InvalidField, "entries[2].purpose".into())
        );
    }
}
