//! The manual-review workflow over HTTP: loan officers with their authority (`POST /v1/officers`), the queue of
//! referred decisions awaiting a person (`GET /v1/review-queue`), and an officer's action on one
//! (`POST /v1/decisions/{id}/review`: approve with an amount, decline, or, as the second person, confirm or reject
//! an approval above the first officer's authority). The store enforces every rule (`store::ReviewWorkflow`).

use app::ErrorCode;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::Money;
use serde::Deserialize;
use store::{Officer, ReviewAction, ReviewWorkflow, StoreError};

use super::Shared;
use super::error::{ApiError, ErrorBody, parse_body};

/// Amount in yuan (at most two decimals) to fen, naming the field.
fn fen(field: &str, text: &str) -> Result<i64, ApiError> {
    let money = Money::parse_yuan(text)
        .map_err(|e| ApiError::unprocessable(ErrorCode::InvalidField, field, format!("'{text}': {e}")))?;
    if money.is_negative() {
        return Err(ApiError::unprocessable(ErrorCode::OutOfRange, field, "is negative"));
    }
    Ok(money.fen())
}

/// The workflow's refusals: 404 for an unknown officer, 409 for a move the workflow does not allow.
fn refusal(e: StoreError) -> ApiError {
    let message = e.to_string();
    match e {
        StoreError::OfficerClash(_) => ApiError::field(ErrorCode::OfficerExists, "officer_id", message),
        StoreError::InvalidOfficer { field, .. } => ApiError::field(ErrorCode::InvalidField, field, message),
        other => other.into(),
    }
}

/// An officer to register.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfficerBody {
    /// The officer's id.
    pub officer_id: String,
    /// Their name.
    pub name: String,
    /// Their branch.
    pub branch: String,
    /// The largest amount they may approve alone, yuan.
    pub authority_yuan: String,
}

/// POST /v1/officers: registers a loan officer (the same officer again is a no-op; another with the same id is 409).
#[utoipa::path(post, path = "/v1/officers", request_body = OfficerBody, responses(
    (status = 201, description = "Registered"),
    (status = 409, description = "officer_exists", body = ErrorBody),
    (status = 422, description = "missing_field, invalid_field", body = ErrorBody)))]
pub async fn register(State(server): State<Shared>, body: Bytes) -> Result<Response, ApiError> {
    let body: OfficerBody = parse_body(&body)?;
    let officer = Officer {
        officer_id: body.officer_id,
        name: body.name,
        branch: body.branch,
        authority_fen: fen("authority_yuan", &body.authority_yuan)?,
        registered_at: server.clock.now_rfc3339(),
    };
    let existing = server.store.officer(&officer.officer_id).await?;
    let stored = match existing {
        // Registered before: the same officer is a no-op, whenever it was registered.
        Some(o) if Officer { registered_at: o.registered_at.clone(), ..officer.clone() } == o => o,
        Some(_) => return Err(refusal(StoreError::OfficerClash(officer.officer_id))),
        None => {
            server.store.register_officer(&officer).await.map_err(refusal)?;
            officer
        }
    };
    Ok((StatusCode::CREATED, axum::Json(stored)).into_response())
}

/// How many queue items to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct Limit {
    /// At most this many (default 100, at most 1,000).
    pub limit: Option<u32>,
}

/// GET /v1/review-queue: referred decisions awaiting a person (pending, or an approval awaiting its check), oldest
/// first.
#[utoipa::path(get, path = "/v1/review-queue", params(Limit), responses(
    (status = 200, description = "Queue items, oldest first")))]
pub async fn queue(State(server): State<Shared>, Query(limit): Query<Limit>) -> Result<Response, ApiError> {
    let items = server.store.review_queue(limit.limit.unwrap_or(100).min(1_000)).await?;
    Ok(axum::Json(items).into_response())
}

/// An officer's action on a referred decision.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// The acting officer.
    pub officer_id: String,
    /// approve, decline, confirm or reject.
    pub action: String,
    /// For approve: the approved amount, yuan.
    pub amount_yuan: Option<String>,
    /// Why (required).
    pub reason: String,
}

/// POST /v1/decisions/{id}/review: an officer approves (above their authority it waits for a second officer),
/// declines, confirms or rejects.
#[utoipa::path(post, path = "/v1/decisions/{id}/review", params(("id" = String, Path, description = "Decision id")),
    request_body = ReviewBody, responses(
    (status = 201, description = "Recorded; the body has the step and the new state"),
    (status = 404, description = "unknown_decision, unknown_officer", body = ErrorBody),
    (status = 409, description = "review_refused: not referred, final, awaiting a check, own approval, authority", body = ErrorBody),
    (status = 422, description = "missing_field, invalid_field (blank or over-long reason), out_of_range (an approval above the decision's limit or the product's cap)", body = ErrorBody)))]
pub async fn review(State(server): State<Shared>, Path(id): Path<String>, body: Bytes) -> Result<Response, ApiError> {
    let body: ReviewBody = parse_body(&body)?;
    let action = match (body.action.as_str(), body.amount_yuan.as_deref()) {
        ("approve", Some(amount)) => ReviewAction::Approve { amount_fen: fen("amount_yuan", amount)? },
        ("approve", None) => {
            return Err(ApiError::unprocessable(ErrorCode::MissingField, "amount_yuan", "is required to approve"));
        }
        (_, Some(_)) => {
            return Err(ApiError::unprocessable(
                ErrorCode::InvalidField,
                "amount_yuan",
                "only an approval has an amount",
            ));
        }
        ("decline", None) => ReviewAction::Decline,
        ("confirm", None) => ReviewAction::Confirm,
        ("reject", None) => ReviewAction::Reject,
        (other, None) => {
            return Err(ApiError::unprocessable(
                ErrorCode::InvalidField,
                "action",
                format!("'{other}' is not approve, decline, confirm or reject"),
            ));
        }
    };
    let reviewed =
        app::review::review(&server.store, server.clock.as_ref(), &id, &body.officer_id, action, &body.reason)
            .await
            .map_err(|e| match e {
                app::Error::Refused { code: ErrorCode::OfficerExists, field, message } => {
                    ApiError { code: ErrorCode::OfficerExists, field, message }
                }
                other => other.into(),
            })?;
    Ok((StatusCode::CREATED, axum::Json(reviewed)).into_response())
}
