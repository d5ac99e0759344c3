//! The lender's screening register over HTTP, for the systems that hold the facts (the consent forms' register,
//! the dishonest-debtor list feed, the fraud team's cases): `POST /v1/screening` records entries, and
//! `GET /v1/households/{id}/screening` shows a household's entries and what they say today. An applicant never
//! asserts these in an application; who may post them is the identity issue's roles (a system key).
//!
//! Every application reads its applicant's screening, so the server holds the register in memory ([`Cache`]) rather
//! than read it per application (a read per application, on a database whose every decision commit empties a
//! reader's page cache, cost about a sixth of the server's throughput). The register is append-only, so a number
//! that only grows tells whether the copy is whole ([`store::Database::screening_version`]): an entry posted here
//! is in the copy before `POST /v1/screening` answers; one recorded by another process (`agririsk screening load`,
//! or another replica on the same PostgreSQL database) within [`POLL`], when a task of the cache's own looks again.

use app::ErrorCode;
use app::screening::NewEntry;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use domain::Date;
use serde::Deserialize;
use store::{Database, ScreeningEntry, ScreeningKind, ScreeningRegister, StoreError};

use super::Shared;
use super::error::{ApiError, ErrorBody, parse_body};
use super::loans::date;
use crate::limits::JsonBody;
use crate::page::{PageQuery, link_next};

/// One entry.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryBody {
    /// The household.
    #[schema(pattern = "^[A-Za-z0-9._:-]{1,64}$")]
    pub household_id: String,
    /// What it says.
    #[schema(pattern = "^(blacklisted|blacklist_cleared|fraud_case|fraud_case_closed|consent|consent_withdrawn)$")]
    pub kind: String,
    /// From which day, YYYY-MM-DD (a later day is recorded and counts from then).
    #[schema(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub effective_on: String,
    /// Who asserted it: a list, a team, a branch, a system.
    #[schema(pattern = "^[A-Za-z0-9._:-]{1,64}$")]
    pub source: String,
    /// Free text.
    #[serde(default)]
    #[schema(max_length = 500, pattern = "^(|\\s*\\S[\\s\\S]*)$")]
    pub note: String,
    /// The data source a `consent` or `consent_withdrawn` entry covers; given with `purpose`, or neither (the
    /// credit-check consent). On another kind, or without `purpose`, the entry is refused (422 `invalid_field` /
    /// `missing_field` naming the field).
    #[serde(default)]
    #[schema(nullable = false, pattern = "^(bureau_reports|transactions|insurance_claims)$")]
    pub data_source: Option<String>,
    /// The purpose the consent is given for; given with `data_source`, or neither.
    #[serde(default)]
    #[schema(nullable = false, pattern = "^(credit_assessment|post_loan_monitoring|model_development)$")]
    pub purpose: Option<String>,
}

/// What [`EntryBody`]'s schema cannot say field by field, as JSON Schema for the OpenAPI document: `data_source`
/// and `purpose` come together and only on a consent or its withdrawal, or neither comes.
pub fn scope_rule() -> serde_json::Value {
    serde_json::json!([
        {"required": ["data_source", "purpose"], "properties": {"kind": {"pattern": "^(consent|consent_withdrawn)$"}}},
        {"not": {"anyOf": [{"required": ["data_source"]}, {"required": ["purpose"]}]}}
    ])
}

/// Entries to record (who records them is the authenticated caller).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreeningBody {
    /// The entries, at most 100.
    #[schema(min_items = 1, max_items = 100)]
    pub entries: Vec<EntryBody>,
}

/// Most entries one request records.
pub const MAX_ENTRIES: usize = 100;
/// Largest body of a screening request, bytes: room for [`MAX_ENTRIES`] + 1 entries with the longest notes, so an
/// over-long list is refused for its length (422), not its size.
pub const BODY_LIMIT_BYTES: usize = 1024 * 1024;

/// POST /v1/screening: records entries in one transaction; an entry recorded before is skipped.
#[utoipa::path(post, path = "/v1/screening", request_body = ScreeningBody, responses(
    (status = 201, description = "Recorded; the body says how many were new"),
    (status = 422, description = "missing_field (a data_source without its purpose or the reverse), invalid_field (an unknown kind, data source or purpose, a scope on an entry that is not a consent), out_of_range (too many entries)", body = ErrorBody)))]
pub async fn record(
    State(server): State<Shared>,
    axum::Extension(principal): axum::Extension<identity::Principal>,
    addr: crate::auth::ClientAddr,
    JsonBody(body): JsonBody<BODY_LIMIT_BYTES>,
) -> Result<Response, ApiError> {
    let body: ScreeningBody = parse_body(&body)?;
    if body.entries.is_empty() || body.entries.len() > MAX_ENTRIES {
        let message = format!("{} entries; between 1 and {MAX_ENTRIES}", body.entries.len());
        return Err(ApiError::unprocessable(ErrorCode::OutOfRange, "entries", message));
    }
    let mut entries = Vec::with_capacity(body.entries.len());
    for (i, e) in body.entries.into_iter().enumerate() {
        let kind: ScreeningKind = e.kind.parse().map_err(|problem| {
            ApiError::unprocessable(ErrorCode::InvalidField, &format!("entries[{i}].kind"), problem)
        })?;
        let effective_on = date(&format!("entries[{i}].effective_on"), &e.effective_on)?;
        let scope =
            app::screening::scope_of(&format!("entries[{i}]"), kind, e.data_source.as_deref(), e.purpose.as_deref())?;
        crate::scope::household(&server, &principal, &e.household_id, ErrorCode::UnknownApplicant)
            .map_err(|error| ApiError { field: Some(format!("entries[{i}].household_id")), ..error })?;
        entries.push(NewEntry {
            household_id: e.household_id,
            kind,
            effective_on,
            source: e.source,
            note: e.note,
            scope,
        });
    }
    let new = app::screening::record(
        &crate::auth::store_as(&server, &principal, addr),
        server.clock.as_ref(),
        &principal.actor.to_string(),
        entries,
    )
    .await?;
    // The next application sees these entries: the copy is renewed before the answer.
    server.screening.refresh().await?;
    Ok((StatusCode::CREATED, axum::Json(serde_json::json!({"recorded": new}))).into_response())
}

/// An entry's key in its household's list (the register keeps one entry per household, day, kind, source and
/// scope, in that order): the cursor of a page of entries. An unscoped entry's key is what it was before scopes.
fn entry_key(entry: &ScreeningEntry) -> String {
    match entry.scope {
        None => format!("{}:{}:{}", entry.effective_on, entry.kind, entry.source),
        Some(scope) => {
            format!("{}:{}:{}:{}:{}", entry.effective_on, entry.kind, entry.source, scope.data_source, scope.purpose)
        }
    }
}

/// GET /v1/households/{id}/screening: what the household's entries say today (the credit-check consent, list hits,
/// fraud cases, the sources consented to per purpose and those a decision today would withhold), and a page of the
/// entries, in the register's order (day, kind, source, scope).
#[utoipa::path(get, path = "/v1/households/{id}/screening",
    params(("id" = String, Path, description = "Household id"), PageQuery),
    responses(
        (status = 200, description = "Today's screening (over every entry: `consent`, `blacklisted`, `fraud_suspected`, `consents` — the data sources consented to per purpose — and `withheld_sources` — those a credit decision today would not read) and one page of the entries (a scoped consent with its `data_source` and `purpose`)",
            headers(("link" = String, description = "The next page: `</v1/households/{id}/screening?limit=N&cursor=…>; rel=\"next\"`"))),
        (status = 404, description = "unknown_entry (the cursor is not an entry's key)", body = ErrorBody),
        (status = 422, description = "out_of_range (limit)", body = ErrorBody)))]
pub async fn of_household(
    State(server): State<Shared>,
    axum::Extension(principal): axum::Extension<identity::Principal>,
    Path(id): Path<String>,
    Query(page): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = page.request()?;
    crate::scope::household(&server, &principal, &id, ErrorCode::UnknownApplicant)?;
    let entries = server.store.screening_of(&id).await?;
    let on = server.clock.today();
    let today = app::screening::as_of(&entries, on);
    let consents: serde_json::Map<String, serde_json::Value> = app::screening::consents_in_force(&entries, on)
        .into_iter()
        .map(|(purpose, sources)| (purpose.code().to_owned(), sources.codes().into()))
        .collect();
    let keyed: Vec<(String, ScreeningEntry)> = entries.into_iter().map(|e| (entry_key(&e), e)).collect();
    let limit = page.limit();
    let page = page.of(keyed, |(key, _)| key, ErrorCode::UnknownEntry)?;
    let entries: Vec<ScreeningEntry> = page.items.into_iter().map(|(_, entry)| entry).collect();
    let body = serde_json::json!({
        "household_id": id,
        "today": {
            "consent": today.consent,
            "blacklisted": today.blacklisted,
            "fraud_suspected": today.fraud_suspected,
            "consents": consents,
            "withheld_sources": today.withheld.codes(),
        },
        "entries": entries,
    });
    let mut response = axum::Json(body).into_response();
    if let Some(last) = &page.next {
        link_next(&mut response, &format!("/v1/households/{id}/screening"), limit, last);
    }
    Ok(response)
}

/// How often the cache looks for entries other processes recorded.
pub const POLL: Duration = Duration::from_millis(100);

/// The screening register as the server last read it whole.
#[derive(Debug, Default)]
struct Held {
    /// The register's version when read ([`Database::screening_version`]).
    version: i64,
    /// Entries by household, in the register's order.
    register: app::screening::Register,
}

/// The screening register held in memory, renewed when it grows.
#[derive(Debug)]
pub struct Cache {
    store: Database,
    copy: RwLock<Arc<Held>>,
}

impl Cache {
    /// The register read whole, with a task that looks for new entries every [`POLL`] while the cache lives.
    pub async fn start(store: Database) -> Result<Arc<Cache>, StoreError> {
        let cache = Arc::new(Cache { store, copy: RwLock::default() });
        cache.refresh().await?;
        let weak = Arc::downgrade(&cache);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(POLL).await;
                let Some(cache) = weak.upgrade() else { return };
                if let Err(e) = cache.refresh().await {
                    tracing::warn!(error = %e, "the screening register could not be read again; the last copy stays");
                }
            }
        });
        Ok(cache)
    }

    /// Reads the register again if it grew since the copy was made.
    pub async fn refresh(&self) -> Result<(), StoreError> {
        let version = self.store.screening_version().await?;
        if version == self.current().version {
            return Ok(());
        }
        // The snapshot reads its version first: the copy holds at least everything up to it.
        let (version, entries) = self.store.screening_snapshot().await?;
        let register = app::screening::Register::new(entries);
        let mut copy = self.copy.write().unwrap_or_else(PoisonError::into_inner);
        // Two renewals at once (the poller and a POST): the later version stays.
        if version > copy.version {
            *copy = Arc::new(Held { version, register });
        }
        Ok(())
    }

    /// What a household's entries say on a date.
    pub fn as_of(&self, household_id: &str, on: Date) -> decide::Screening {
        self.current().register.as_of(household_id, on)
    }

    fn current(&self) -> Arc<Held> {
        self.copy.read().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether an entry satisfies [`scope_rule`], read as JSON Schema (`required`, a `kind` pattern that is a list
    /// of alternatives, `not`, `anyOf`: the keywords it uses).
    fn satisfies(rule: &serde_json::Value, entry: &serde_json::Value) -> bool {
        if let Some(any) = rule.as_array() {
            return any.iter().any(|r| satisfies(r, entry));
        }
        if let Some(any) = rule.get("anyOf") {
            return satisfies(any, entry);
        }
        if let Some(not) = rule.get("not") {
            return !satisfies(not, entry);
        }
        let required = rule["required"].as_array().expect("required").iter();
        let present = required.clone().all(|f| entry.get(f.as_str().expect("a name")).is_some());
        let kind = rule.pointer("/properties/kind/pattern").and_then(|p| p.as_str()).is_none_or(|pattern| {
            let alternatives = pattern.trim_start_matches("^(").trim_end_matches(")$");
            alternatives.split('|').any(|k| entry["kind"] == k)
        });
        present && kind
    }

    #[test]
    fn the_documented_scope_rule_accepts_exactly_the_scopes_the_handler_accepts() {
        let rule = scope_rule();
        for kind in ScreeningKind::ALL {
            for (data_source, purpose) in [
                (None, None),
                (Some("bureau_reports"), None),
                (None, Some("credit_assessment")),
                (Some("bureau_reports"), Some("credit_assessment")),
            ] {
                let mut entry = serde_json::json!({"kind": kind.code()});
                if let Some(d) = data_source {
                    entry["data_source"] = d.into();
                }
                if let Some(p) = purpose {
                    entry["purpose"] = p.into();
                }
                let handler = app::screening::scope_of("e", kind, data_source, purpose).is_ok();
                assert_eq!(satisfies(&rule, &entry), handler, "{entry}");
            }
        }
    }
}
