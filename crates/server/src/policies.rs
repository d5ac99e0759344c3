//! The policy register over HTTP: `GET /v1/policies` lists the versions, `POST /v1/policies/{id}/moves` moves one
//! through its lifecycle (activation is a move to `active`; the store enforces maker-checker); a retirement or a move
//! out of active answers 202 with a dual-control proposal that another person confirms (`crate::approvals`). After a move the
//! decider is reloaded, so an activation decides the next application. The mover is the authenticated caller, never
//! a name in the body.

use app::ErrorCode;
use app::policies::Moved;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use policy::lifecycle::PolicyStatus;
use serde::Deserialize;
use serde_json::{Value, json};
use store::PolicySummary;

use super::Shared;
use super::error::{ApiError, ErrorBody, parse_body};
use crate::limits::JsonBody;
use crate::page::{PageQuery, link_next};

fn summary_json(s: &PolicySummary) -> Value {
    let v = &s.version;
    json!({
        "policy_id": v.policy_id, "name": v.name, "version": v.version, "region": v.region, "segment": v.segment,
        "effective_from": v.effective_from, "submitted_by": v.submitted_by, "submitted_at": v.submitted_at,
        "status": s.status.code(),
    })
}

/// GET /v1/policies: the versions, oldest first (without the JDM documents), a page at a time; the next page is named
/// by the `Link` header (`rel="next"`), absent on the last page.
#[utoipa::path(get, path = "/v1/policies", params(PageQuery), responses(
    (status = 200, description = "Policy versions, oldest first",
        headers(("link" = String, description = "The next page: `</v1/policies?limit=N&cursor=…>; rel=\"next\"`"))),
    (status = 404, description = "unknown_policy (the cursor is not a policy version id)", body = ErrorBody),
    (status = 422, description = "out_of_range (limit)", body = ErrorBody)))]
pub async fn list(State(server): State<Shared>, Query(query): Query<PageQuery>) -> Result<Response, ApiError> {
    let request = query.request()?;
    let page = app::policies::page(&server.store, &request).await?;
    let mut response = axum::Json(Value::Array(page.items.iter().map(summary_json).collect())).into_response();
    if let Some(last) = &page.next {
        link_next(&mut response, "/v1/policies", request.limit(), last);
    }
    Ok(response)
}

/// A lifecycle move.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveBody {
    /// approved, shadow, active or retired.
    #[schema(pattern = "^(approved|shadow|active|retired)$")]
    pub to: String,
    /// Why.
    #[schema(min_length = 1, max_length = 500, pattern = "^\\s*\\S[\\s\\S]*$")]
    pub reason: String,
}

/// POST /v1/policies/{id}/moves.
#[utoipa::path(post, path = "/v1/policies/{id}/moves", params(("id" = String, Path, description = "Policy version id")),
    request_body = MoveBody, responses(
    (status = 200, description = "Moved (approval, shadow or activation of an approved version)"),
    (status = 202, description = "Proposed: a retirement or a move out of active waits for another person's confirmation (POST /v1/approvals/{id}/confirm); the proposal"),
    (status = 404, description = "unknown_policy", body = ErrorBody),
    (status = 409, description = "illegal_move (lifecycle or maker-checker), proposal_open (a proposal for this version waits)", body = ErrorBody),
    (status = 422, description = "missing_field, invalid_field", body = ErrorBody)))]
pub async fn move_policy(
    State(server): State<Shared>,
    axum::Extension(principal): axum::Extension<identity::Principal>,
    addr: crate::auth::ClientAddr,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let body: MoveBody = parse_body(&body)?;
    let to: PolicyStatus = body.to.parse().map_err(|_| {
        ApiError::unprocessable(ErrorCode::InvalidField, "to", format!("'{}' is not a policy status", body.to))
    })?;
    if body.reason.trim().is_empty() {
        return Err(ApiError::unprocessable(ErrorCode::MissingField, "reason", "is required"));
    }
    app::review::text("reason", &body.reason)?;
    // The mover is the authenticated caller (an approval must not be by the submitter: maker-checker between people).
    // A move that stops the version deciding is proposed instead, for another person to confirm (dual control).
    let by = principal.actor.to_string();
    let store = crate::auth::store_as(&server, &principal, addr);
    match app::policies::move_or_propose(&store, &id, to, &by, &body.reason, server.clock.as_ref()).await? {
        Moved::Now(moved) => {
            server.reload().await;
            Ok(axum::Json(summary_json(&moved)).into_response())
        }
        Moved::Proposed(proposal) => {
            Ok((axum::http::StatusCode::ACCEPTED, axum::Json(app::approvals::view(&proposal))).into_response())
        }
    }
}
