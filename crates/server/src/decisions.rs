//! Applications, decisions and review requests: `POST /v1/applications` decides and durably records,
//! `GET /v1/decisions/{id}`, `GET /v1/households/{id}/decisions`, and `POST /v1/decisions/{id}/review-requests`
//! (PIPL art. 24: a person reviews a decline or a referral on the applicant's request).

use app::ErrorCode;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use decide::ApplicationRequest;
use serde::Deserialize;
use store::{Cursor, DecisionLog, Page, Recorded};

use super::Shared;
use super::error::{ApiError, ErrorBody, parse_body};
use super::telemetry::DecisionMark;
use crate::limits::JsonBody;
use crate::page::{PageQuery, link_next};

/// A stored record as the response body, byte for byte as it was stored.
fn record_response(status: StatusCode, record_json: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], record_json).into_response()
}

/// The answer to an application: what the applicant and the officer need (outcome, terms, reasons, versions,
/// whether a person may review it), with the full record — trace and feature values included — at
/// `GET /v1/decisions/{id}` (`links.record`). The parts are copied from the stored record as they are (the trace
/// and the features are skipped unread), so the answer agrees with the record byte for byte.
fn summary_response(status: StatusCode, record_json: &str) -> Result<Response, ApiError> {
    use serde_json::value::RawValue;
    type Part<'a> = Option<&'a RawValue>;
    #[derive(Deserialize, serde::Serialize)]
    struct Summary<'a> {
        decision_id: &'a str,
        #[serde(borrow)]
        decided_at: Part<'a>,
        #[serde(borrow)]
        outcome: Part<'a>,
        #[serde(borrow)]
        segment: Part<'a>,
        #[serde(borrow)]
        tier: Part<'a>,
        #[serde(borrow)]
        terms: Part<'a>,
        #[serde(borrow)]
        reasons: Part<'a>,
        #[serde(borrow)]
        human_review: Part<'a>,
        #[serde(borrow)]
        versions: Part<'a>,
        #[serde(borrow)]
        arm: Part<'a>,
        // The sources not read for want of consent: shown to the officer and the applicant when there are any.
        #[serde(borrow, skip_serializing_if = "Option::is_none")]
        withheld_sources: Part<'a>,
        #[serde(skip_deserializing)]
        links: Links,
    }
    #[derive(Default, serde::Serialize)]
    struct Links {
        record: String,
    }
    let mut summary: Summary<'_> = serde_json::from_str(record_json).map_err(ApiError::internal)?;
    summary.links.record = format!("/v1/decisions/{}", summary.decision_id);
    let body = serde_json::to_vec(&summary).map_err(ApiError::internal)?;
    Ok((status, [(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// An application, as `decide::ApplicationRequest::from_json` reads it. Consent, list hits and fraud cases are not
/// part of it: they come from the lender's screening register (`POST /v1/screening`), and an application that
/// asserts them is refused.
#[allow(dead_code)]
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Application {
    /// Client's id of this request: the same id and content again returns the stored decision.
    #[schema(pattern = "^[A-Za-z0-9._:-]{1,128}$")]
    request_id: String,
    /// The application's id.
    #[schema(pattern = "^[A-Za-z0-9._:-]{1,64}$")]
    application_id: String,
    /// The applying household.
    #[schema(pattern = "^[A-Za-z0-9._:-]{1,64}$")]
    household_id: String,
    /// Application date, YYYY-MM-DD; the decision is made as of it.
    #[schema(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    applied_on: String,
    /// The product asked for.
    #[schema(pattern = "^(crop|livestock|business|cooperative|poverty_microcredit)$")]
    product: String,
    /// Stated purpose code.
    #[schema(
        pattern = "^(crop-inputs|land-rent|machinery|livestock|greenhouse|small-business|house-building|wedding|medical|education|debt-repayment)$"
    )]
    purpose: String,
    /// The purpose in the applicant's words.
    #[schema(nullable = false, max_length = 2000)]
    purpose_text: Option<String>,
    /// Amount in yuan, at most two decimals, 1,000–3,000,000.
    #[schema(pattern = "^(([1-9][0-9]{3,5}|[12][0-9]{6})(\\.[0-9]{1,2})?|3000000(\\.00?)?)$")]
    amount_yuan: String,
    /// Term in months, 1–60.
    #[schema(minimum = 1, maximum = 60)]
    term_months: u32,
    /// Registered as lifted out of poverty.
    #[schema(nullable = false)]
    poverty_registered: Option<bool>,
    /// Appraised value of pledged land-management rights, yuan.
    #[schema(nullable = false, pattern = "^(0|[1-9][0-9]{0,9})(\\.[0-9]{1,2})?$")]
    land_right_appraised_yuan: Option<String>,
    /// Applying through a whole-village credit programme.
    #[schema(nullable = false)]
    whole_village_programme: Option<bool>,
}

/// A decision record (format `agririsk.decision/1`); the main fields are listed, the record holds more (trace,
/// features, shadow decisions). `POST /v1/applications` answers with these main fields and `links.record`.
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
pub struct DecisionRecord {
    /// The decision's id.
    decision_id: String,
    /// When it was decided, RFC 3339.
    decided_at: String,
    /// approve, refer or decline.
    outcome: String,
    /// Terms in fen: limit_fen, amount_fen, term_months, annual_rate, product, …
    terms: serde_json::Value,
    /// At most four reasons (code, zh, en, source).
    reasons: Vec<serde_json::Value>,
    /// Policy and model versions.
    versions: serde_json::Value,
    /// The policy's outputs and trace.
    policy: serde_json::Value,
    /// The data sources the decision did not read for want of the applicant's consent to them for credit
    /// assessment on the application date (`bureau_reports`, `transactions`, `insurance_claims`); absent when it
    /// read them all.
    #[schema(nullable = false)]
    withheld_sources: Option<Vec<String>>,
}

/// POST /v1/applications: decides an application and records the decision durably before answering.
#[utoipa::path(post, path = "/v1/applications", request_body = Application, responses(
    (status = 201, description = "Decided and recorded", body = DecisionRecord),
    (status = 200, description = "Decided before under this request id: the stored decision", body = DecisionRecord),
    (status = 400, description = "malformed_json (not JSON, a repeated key, nested too deep)", body = ErrorBody),
    (status = 404, description = "unknown_applicant", body = ErrorBody),
    (status = 409, description = "request_reused", body = ErrorBody),
    (status = 413, description = "body_too_large", body = ErrorBody),
    (status = 422, description = "missing_field, invalid_field, out_of_range, unknown_product, unknown_purpose, no_policy", body = ErrorBody),
    (status = 503, description = "not_ready", body = ErrorBody)))]
pub async fn submit(
    State(server): State<Shared>,
    axum::Extension(principal): axum::Extension<identity::Principal>,
    addr: crate::auth::ClientAddr,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    crate::limits::strict_json(&body)?;
    let request = ApplicationRequest::from_json(&body)?;
    crate::scope::household(&server, &principal, &request.household_id, ErrorCode::UnknownApplicant)?;
    let decider = server.decider()?;
    // Consent (to the credit check and to each source), list hits and fraud cases come from the lender's register as
    // of the application date.
    let screening = server.screening.as_of(&request.household_id, request.applied_on);
    let request = request.screened(screening);
    let outcome = decider.decide(&request, &server.clock.now())?;
    let record_json = outcome.record.record_json.clone();
    let made = DecisionMark::made(
        outcome.record.decision_id.to_string(),
        outcome.decided.outcome.code(),
        outcome.decided.segment.clone(),
    );
    // The decision's id (and, when made now, its outcome and segment) for the request log and the metrics.
    let (mut response, mark) =
        match server.journal.record(outcome.record, crate::auth::acting(&principal, addr)).await? {
            Recorded::New => (summary_response(StatusCode::CREATED, record_json.as_str())?, made),
            Recorded::Existing(stored) => (
                summary_response(StatusCode::OK, stored.record_json.as_str())?,
                DecisionMark::returned(stored.decision_id.into()),
            ),
        };
    response.extensions_mut().insert(mark);
    Ok(response)
}

/// GET /v1/decisions/{id}.
#[utoipa::path(get, path = "/v1/decisions/{id}", params(("id" = String, Path, description = "Decision id")), responses(
    (status = 200, description = "The decision record", body = DecisionRecord),
    (status = 404, description = "unknown_decision", body = ErrorBody)))]
pub async fn get_decision(
    State(server): State<Shared>,
    axum::Extension(principal): axum::Extension<identity::Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let record = server
        .store
        .decision(&id)
        .await?
        .filter(|record| crate::scope::covers_household(&server, &principal, &record.subject))
        .ok_or_else(|| ApiError::whole(ErrorCode::UnknownDecision, format!("decision {id} not found")))?;
    Ok(record_response(StatusCode::OK, record.record_json.into_string()))
}

/// GET /v1/households/{id}/decisions: a household's decisions, oldest first, a page at a time; the next page is named
/// by the `Link` header (`rel="next"`), absent on the last page.
#[utoipa::path(get, path = "/v1/households/{id}/decisions", params(("id" = String, Path, description = "Household id"), PageQuery), responses(
    (status = 200, description = "Decision records, oldest first", body = [DecisionRecord],
        headers(("link" = String, description = "The next page: `</v1/households/{id}/decisions?limit=N&cursor=…>; rel=\"next\"`"))),
    (status = 404, description = "unknown_decision (the cursor is not one of the household's decisions)", body = ErrorBody),
    (status = 422, description = "out_of_range (limit)", body = ErrorBody)))]
pub async fn of_household(
    State(server): State<Shared>,
    axum::Extension(principal): axum::Extension<identity::Principal>,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = query.request()?;
    crate::scope::household(&server, &principal, &id, ErrorCode::UnknownApplicant)?;
    let limit = page.limit();
    let after = match page.after() {
        None => None,
        Some(last) => {
            let record = server.store.decision(last).await?.filter(|r| r.subject == id).ok_or_else(|| {
                ApiError::field(ErrorCode::UnknownDecision, "cursor", format!("household {id} has no decision {last}"))
            })?;
            Some(Cursor::after(&record))
        }
    };
    // One more than the page, to know whether a next page exists: the last page names none.
    let mut records = server.store.decisions_of(&id, &Page { after, limit: limit + 1 }).await?;
    let more = records.len() > limit as usize;
    records.truncate(limit as usize);
    let body = format!("[{}]", records.iter().map(|r| r.record_json.as_str()).collect::<Vec<_>>().join(","));
    let mut response = record_response(StatusCode::OK, body);
    if let Some(last) = records.last().filter(|_| more) {
        link_next(&mut response, &format!("/v1/households/{id}/decisions"), limit, last.decision_id.as_str());
    }
    Ok(response)
}

/// A request for a person to review a decision.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequestBody {
    /// The client's id of this request (idempotency key): the same request twice is recorded once.
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub request_id: String,
    /// How it was asked: branch, phone, app, …
    #[schema(min_length = 1, max_length = 500, pattern = "^\\s*\\S[\\s\\S]*$")]
    pub channel: String,
    /// What the applicant said.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub note: String,
}

/// POST /v1/decisions/{id}/review-requests: PIPL art. 24; only a decline or a referral.
#[utoipa::path(post, path = "/v1/decisions/{id}/review-requests", params(("id" = String, Path, description = "Decision id")),
    request_body = ReviewRequestBody, responses(
    (status = 201, description = "Recorded"),
    (status = 404, description = "unknown_decision", body = ErrorBody),
    (status = 409, description = "not_reviewable: the decision is an approval; request_reused", body = ErrorBody),
    (status = 422, description = "missing_field, invalid_field (blank or over-long text)", body = ErrorBody)))]
pub async fn request_review(
    State(server): State<Shared>,
    axum::Extension(principal): axum::Extension<identity::Principal>,
    addr: crate::auth::ClientAddr,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    crate::scope::decision(&server, &principal, &id).await?;
    let body: ReviewRequestBody = parse_body(&body)?;
    if body.channel.trim().is_empty() {
        return Err(ApiError::unprocessable(ErrorCode::MissingField, "channel", "is required"));
    }
    app::review::text("channel", &body.channel)?;
    app::review::text("request_id", &body.request_id)?;
    if body.note.chars().count() > app::review::MAX_TEXT_CHARS {
        app::review::text("note", &body.note)?;
    }
    let at = server.clock.now();
    let review = crate::auth::store_as(&server, &principal, addr)
        .request_review(&id, &body.request_id, &at, &body.channel, &body.note)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(review)).into_response())
}
