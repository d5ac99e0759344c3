//! The manual-review workflow over HTTP: loan officers with their authority (`POST /v1/officers`), the queue of
//! referred decisions awaiting a person (`GET /v1/review-queue`), and an officer's action on one
//! (`POST /v1/decisions/{id}/review`: approve with an amount, decline, or, as the second person, confirm or reject
//! an approval above the first officer's authority). Officers working the queue together claim cases
//! (`POST /v1/review-queue/claims`: the oldest open case nobody holds that the signed-in officer may act on, within
//! their branches, for a bounded lease) and give them back (`DELETE /v1/review-queue/claims/{decision_id}`); while a
//! lease runs, another officer's action on the case is refused `claimed`. The rules are `workflow`'s; the store
//! applies them in its transactions (`store::ReviewWorkflow`).

use app::ErrorCode;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::{Money, OfficerId};
use serde::Deserialize;
use store::{ReviewWorkflow, StoreError};
use workflow::{Officer, ReviewAction};

use super::Shared;
use super::error::{ApiError, ErrorBody, parse_body};
use crate::limits::JsonBody;

/// Amount in yuan (at most two decimals), naming the field.
fn amount(field: &str, text: &str) -> Result<Money, ApiError> {
    let money = Money::parse_yuan(text)
        .map_err(|e| ApiError::unprocessable(ErrorCode::InvalidField, field, format!("'{text}': {e}")))?;
    if money.is_negative() {
        return Err(ApiError::unprocessable(ErrorCode::OutOfRange, field, "is negative"));
    }
    Ok(money)
}

/// An officer to register.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfficerBody {
    /// The officer's id: the username of a user whose role reviews decisions (a loan officer or branch manager).
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub officer_id: String,
    /// Their name.
    #[schema(min_length = 1, max_length = 500, pattern = "^\\s*\\S[\\s\\S]*$")]
    pub name: String,
    /// Their branch.
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub branch: String,
    /// The largest amount they may approve alone, yuan (at most 10 billion).
    #[schema(pattern = "^(0|[1-9][0-9]{0,9})(\\.[0-9]{1,2})?$")]
    pub authority_yuan: String,
}

/// POST /v1/officers: registers a loan officer (the same officer again is a no-op; another with the same id is 409).
#[utoipa::path(post, path = "/v1/officers", request_body = OfficerBody, responses(
    (status = 201, description = "Registered"),
    (status = 409, description = "officer_exists", body = ErrorBody),
    (status = 422, description = "missing_field, invalid_field", body = ErrorBody)))]
pub async fn register(
    State(server): State<Shared>,
    axum::Extension(principal): axum::Extension<identity::Principal>,
    addr: crate::auth::ClientAddr,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let body: OfficerBody = parse_body(&body)?;
    crate::limits::identifier("officer_id", &body.officer_id)?;
    crate::limits::identifier("branch", &body.branch)?;
    app::review::text("name", &body.name)?;
    let officer_id = OfficerId::parse(&body.officer_id)
        .map_err(|e| ApiError::unprocessable(ErrorCode::InvalidField, "officer_id", e))?;
    // An officer is a person who signs in and reviews: their id is the username of a user whose role reviews.
    let user = match identity::Username::parse(&body.officer_id) {
        Ok(name) => store::IdentityStore::user(&server.store, &name).await?,
        Err(_) => None,
    };
    if !user.is_some_and(|u| u.role.grants(identity::Permission::ReviewDecisions)) {
        return Err(ApiError::unprocessable(
            ErrorCode::InvalidField,
            "officer_id",
            format!("'{}' is not the username of a user whose role reviews decisions", body.officer_id),
        ));
    }
    let officer = Officer {
        officer_id,
        name: body.name,
        branch: body.branch,
        authority: amount("authority_yuan", &body.authority_yuan)?,
        registered_at: server.clock.now(),
    };
    let existing = server.store.officer(officer.officer_id.as_str()).await?;
    let stored = match existing {
        // Registered before: the same officer is a no-op, whenever it was registered.
        Some(o) if Officer { registered_at: o.registered_at, ..officer.clone() } == o => o,
        Some(_) => return Err(StoreError::OfficerClash(officer.officer_id.to_string()).into()),
        None => {
            crate::auth::store_as(&server, &principal, addr).register_officer(&officer).await?;
            officer
        }
    };
    Ok((StatusCode::CREATED, axum::Json(stored)).into_response())
}

/// How many queue items to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Limit {
    /// At most this many (default 100, at most 1,000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// GET /v1/review-queue: referred decisions awaiting a person (pending, or an approval awaiting its check), oldest
/// first.
#[utoipa::path(get, path = "/v1/review-queue", params(Limit), responses(
    (status = 200, description = "Queue items, oldest first"),
    (status = 422, description = "out_of_range (limit)", body = ErrorBody)))]
pub async fn queue(
    State(server): State<Shared>,
    axum::Extension(principal): axum::Extension<identity::Principal>,
    Query(limit): Query<Limit>,
) -> Result<Response, ApiError> {
    let limit = limit.limit.unwrap_or(100);
    if !(1..=1_000).contains(&limit) {
        return Err(ApiError::unprocessable(ErrorCode::OutOfRange, "limit", format!("{limit} is outside 1–1000")));
    }
    // Only the caller's branches' items. The queue is read whole-page and filtered; a branch with few referrals among
    // many of others' sees fewer than `limit` (the queue is short: it holds only decisions awaiting a person).
    let all = principal.branches == identity::Branches::All;
    let mut items = server.store.review_queue(if all { limit } else { 1_000 }).await?;
    items.retain(|item| crate::scope::covers_household(&server, &principal, &item.subject));
    items.truncate(limit as usize);
    Ok(axum::Json(items).into_response())
}

/// An officer's action on a referred decision, told apart by `action`: an approval names its amount, the others
/// do not.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum ReviewBody {
    /// Approve the amount (above the officer's authority it waits for a second officer).
    Approve {
        /// The approved amount, yuan: at most the decision's limit and the product's cap.
        #[schema(pattern = "^(0\\.(0[1-9]|[1-9][0-9]?)|[1-9][0-9]{0,9}(\\.[0-9]{1,2})?)$")]
        amount_yuan: String,
        /// Why.
        #[schema(min_length = 1, max_length = 500, pattern = "^\\s*\\S[\\s\\S]*$")]
        reason: String,
    },
    /// Decline the referral.
    Decline {
        /// Why.
        #[schema(min_length = 1, max_length = 500, pattern = "^\\s*\\S[\\s\\S]*$")]
        reason: String,
    },
    /// As the second officer, confirm an approval above the first officer's authority.
    Confirm {
        /// Why.
        #[schema(min_length = 1, max_length = 500, pattern = "^\\s*\\S[\\s\\S]*$")]
        reason: String,
    },
    /// As the second officer, reject it.
    Reject {
        /// Why.
        #[schema(min_length = 1, max_length = 500, pattern = "^\\s*\\S[\\s\\S]*$")]
        reason: String,
    },
}

/// POST /v1/decisions/{id}/review: an officer approves (above their authority it waits for a second officer),
/// declines, confirms or rejects.
#[utoipa::path(post, path = "/v1/decisions/{id}/review", params(("id" = String, Path, description = "Decision id")),
    request_body = ReviewBody, responses(
    (status = 201, description = "Recorded; the body has the step and the new state"),
    (status = 404, description = "unknown_decision, unknown_officer", body = ErrorBody),
    (status = 409, description = "review_refused: not referred, final, awaiting a check, own approval, authority; claimed: another officer holds the case under a running lease", body = ErrorBody),
    (status = 422, description = "missing_field, invalid_field (blank or over-long reason), out_of_range (an approval above the decision's limit or the product's cap)", body = ErrorBody)))]
pub async fn review(
    State(server): State<Shared>,
    axum::Extension(principal): axum::Extension<identity::Principal>,
    addr: crate::auth::ClientAddr,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    // The acting officer is the signed-in person: maker and checker are two authenticated people, never two names.
    let officer_id = acting_officer(&principal)?;
    crate::scope::decision(&server, &principal, &id).await?;
    let (action, reason) = match parse_body::<ReviewBody>(&body)? {
        ReviewBody::Approve { amount_yuan, reason } => {
            (ReviewAction::Approve { amount: amount("amount_yuan", &amount_yuan)? }, reason)
        }
        ReviewBody::Decline { reason } => (ReviewAction::Decline, reason),
        ReviewBody::Confirm { reason } => (ReviewAction::Confirm, reason),
        ReviewBody::Reject { reason } => (ReviewAction::Reject, reason),
    };
    let reviewed = app::review::review(
        &crate::auth::store_as(&server, &principal, addr),
        server.clock.as_ref(),
        &id,
        officer_id.as_str(),
        action,
        &reason,
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(reviewed)).into_response())
}

/// A claim on the review queue.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimBody {
    /// How long the case is held, whole seconds: 60 to 28,800 (one minute to eight hours); 1,800 when absent.
    #[schema(value_type = Option<u32>, minimum = 60, maximum = 28800)]
    pub lease_s: Option<serde_json::Number>,
}

/// A lease in whole seconds: JSON does not tell 600 from 600.0, so a number without a fraction is whole, as JSON
/// Schema's `integer` says; a fraction is `invalid_field`, a whole number beyond any lease `out_of_range`.
fn lease_seconds(number: &serde_json::Number) -> Result<u32, ApiError> {
    let whole = number.as_u64().or_else(|| {
        number.as_f64().filter(|f| f.fract() == 0.0 && (0.0..=9_007_199_254_740_992.0).contains(f)).map(|f| f as u64)
    });
    match whole {
        Some(seconds) => u32::try_from(seconds).map_err(|_| {
            ApiError::unprocessable(ErrorCode::OutOfRange, "lease_s", format!("{number} is outside 60–28800 seconds"))
        }),
        None => {
            Err(ApiError::unprocessable(ErrorCode::InvalidField, "lease_s", format!("{number} is not a whole number")))
        }
    }
}

/// The signed-in officer, or 403 `forbidden` for a caller who is not a person who reviews decisions.
fn acting_officer(principal: &identity::Principal) -> Result<OfficerId, ApiError> {
    principal.officer_id().ok_or_else(|| {
        ApiError::whole(ErrorCode::Forbidden, format!("{} is not a person who reviews decisions", principal.actor))
    })
}

/// POST /v1/review-queue/claims: gives the signed-in officer the oldest open case that nobody holds under a running
/// lease, that they may act on (not a check of their own approval, nor one above their authority) and that is within
/// their branches, and holds it for them for the lease. Each claim gives one more case; claimers at once, on any
/// replica, never get the same one. While the lease runs, another officer's review of the case is refused
/// (`claimed`); the holder's review, or the lease's end, frees it.
#[utoipa::path(post, path = "/v1/review-queue/claims", request_body = ClaimBody, responses(
    (status = 200, description = "Claimed: the queue item (decision_id, subject, decided_at, state) and `hold` (officer_id, claimed_at, expires_at)"),
    (status = 204, description = "No open case the officer may take now"),
    (status = 404, description = "unknown_officer: the signed-in reviewer is not registered as an officer", body = ErrorBody),
    (status = 422, description = "invalid_field (an unknown field, a lease that is not a whole number), out_of_range (lease_s outside 60–28800)", body = ErrorBody)))]
pub async fn claim(
    State(server): State<Shared>,
    axum::Extension(principal): axum::Extension<identity::Principal>,
    addr: crate::auth::ClientAddr,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let officer_id = acting_officer(&principal)?;
    let body: ClaimBody = parse_body(&body)?;
    let lease_s = body.lease_s.as_ref().map(lease_seconds).transpose()?;
    let within = |item: &workflow::QueueItem| crate::scope::covers_household(&server, &principal, &item.subject);
    let store = crate::auth::store_as(&server, &principal, addr);
    match app::review::claim(&store, server.clock.as_ref(), officer_id.as_str(), lease_s, &within).await? {
        Some(claim) => Ok((StatusCode::OK, axum::Json(claim)).into_response()),
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

/// DELETE /v1/review-queue/claims/{decision_id}: gives back the signed-in officer's claim on a case before its lease
/// ends, so another officer may take it. Answered 204 whether or not the officer held a claim on it (a release
/// repeated, or of a case closed or taken over after the lease ended, changes nothing).
#[utoipa::path(delete, path = "/v1/review-queue/claims/{decision_id}",
    params(("decision_id" = String, Path, description = "Decision id", pattern = "^[A-Za-z0-9._-]{1,64}$")),
    responses(
    (status = 204, description = "The officer holds no claim on the case now"),
    (status = 404, description = "unknown_decision", body = ErrorBody),
    (status = 409, description = "claimed: another officer holds the case under a running lease", body = ErrorBody),
    (status = 422, description = "invalid_field (decision_id)", body = ErrorBody)))]
pub async fn release(
    State(server): State<Shared>,
    axum::Extension(principal): axum::Extension<identity::Principal>,
    addr: crate::auth::ClientAddr,
    Path(decision_id): Path<String>,
) -> Result<Response, ApiError> {
    let officer_id = acting_officer(&principal)?;
    crate::limits::identifier("decision_id", &decision_id)?;
    crate::scope::decision(&server, &principal, &decision_id).await?;
    let store = crate::auth::store_as(&server, &principal, addr);
    app::review::release(&store, server.clock.as_ref(), &decision_id, officer_id.as_str()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_is_a_whole_number_of_seconds_with_or_without_a_zero_fraction() {
        let number = |text: &str| serde_json::from_str::<serde_json::Number>(text).expect("a number");
        assert_eq!(lease_seconds(&number("600")).expect("whole"), 600);
        assert_eq!(lease_seconds(&number("600.0")).expect("whole"), 600);
        assert_eq!(lease_seconds(&number("600.5")).expect_err("a fraction").code, ErrorCode::InvalidField);
        assert_eq!(lease_seconds(&number("-1")).expect_err("negative").code, ErrorCode::InvalidField);
        assert_eq!(lease_seconds(&number("4294967296")).expect_err("too long").code, ErrorCode::OutOfRange);
    }
}
