//! Dual control over HTTP (`app::approvals`): `GET /v1/approvals` lists the open proposals the caller may decide
//! (their kind's permission, and not their own), `POST /v1/approvals/{id}/confirm` carries one out as the caller,
//! `POST /v1/approvals/{id}/reject` closes one doing nothing, and `POST /v1/officers/{id}/authority` proposes a
//! loan officer's new authority (an administrator's; another administrator confirms). A proposal of a kind no role
//! decides over HTTP (model moves, loan reclassifications and write-offs: the command line's) answers 403. The
//! deciding person is the authenticated caller, compared with the proposer by name: deciding one's own is 403
//! `same_person`.

use app::ErrorCode;
use app::approvals::{self, Act};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::{Money, OfficerId};
use identity::Principal;
use serde::Deserialize;
use serde_json::Value;
use workflow::dual::Proposal;

use super::Shared;
use super::error::{ApiError, ErrorBody, parse_body};
use crate::auth::ClientAddr;
use crate::limits::JsonBody;

/// GET /v1/approvals: the open proposals the caller may decide, oldest first (at most 200).
#[utoipa::path(get, path = "/v1/approvals", responses(
    (status = 200, description = "Open proposals the caller may confirm or reject, oldest first")))]
pub async fn list(
    State(server): State<Shared>,
    axum::Extension(principal): axum::Extension<Principal>,
) -> Result<Response, ApiError> {
    let open = approvals::list(&server.store, false).await?;
    let mine: Vec<Value> =
        open.iter().filter(|p| approvals::decidable_by(p, &principal)).map(approvals::view).collect();
    Ok(axum::Json(Value::Array(mine)).into_response())
}

/// The proposal `id`, if the caller may decide it: 404 `unknown_proposal`, 403 `forbidden` for a kind the caller's
/// role does not decide here, 403 `same_person` for their own.
async fn decidable(server: &Shared, principal: &Principal, id: &str) -> Result<Proposal, ApiError> {
    // Any text may name a proposal; one that names none is 404, like every other record's id.
    let proposal = approvals::get(&server.store, id).await?;
    let kind = proposal.proposal.kind;
    if !approvals::permission(kind).is_some_and(|p| principal.may(p)) {
        return Err(ApiError::whole(
            ErrorCode::Forbidden,
            format!("role {} does not decide {kind} proposals here", principal.role),
        ));
    }
    if workflow::dual::same_person(&principal.actor.to_string(), &proposal.proposal.proposed_by) {
        return Err(ApiError::whole(
            ErrorCode::SamePerson,
            format!("proposal {id}: {} proposed it, so another person must decide it", proposal.proposal.proposed_by),
        ));
    }
    Ok(proposal)
}

/// POST /v1/approvals/{id}/confirm: carries the proposal out as the caller and records the confirmation.
#[utoipa::path(post, path = "/v1/approvals/{id}/confirm", params(("id" = String, Path, description = "Proposal id")),
    responses(
    (status = 200, description = "Confirmed and carried out: the proposal with its decision"),
    (status = 403, description = "forbidden (the kind is not the caller's to decide), same_person (the caller's own proposal)", body = ErrorBody),
    (status = 404, description = "unknown_proposal", body = ErrorBody),
    (status = 409, description = "proposal_decided, illegal_move, loan_refused, conflict (the act is not possible now; the proposal stays open)", body = ErrorBody)))]
pub async fn confirm(
    State(server): State<Shared>,
    axum::Extension(principal): axum::Extension<Principal>,
    addr: ClientAddr,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    decidable(&server, &principal, &id).await?;
    let store = crate::auth::store_as(&server, &principal, addr);
    let (decided, act) = approvals::confirm(&store, &id, &principal.actor.to_string(), server.clock.as_ref()).await?;
    if matches!(act, Act::PolicyMove { .. } | Act::ModelMove { .. }) {
        server.reload().await;
    }
    Ok(axum::Json(approvals::view(&decided)).into_response())
}

/// A rejection.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    /// Why.
    #[schema(min_length = 1, max_length = 500, pattern = "^\\s*\\S[\\s\\S]*$")]
    pub reason: String,
}

/// POST /v1/approvals/{id}/reject: closes the proposal; nothing is done.
#[utoipa::path(post, path = "/v1/approvals/{id}/reject", params(("id" = String, Path, description = "Proposal id")),
    request_body = RejectBody, responses(
    (status = 200, description = "Rejected: the proposal with its decision"),
    (status = 403, description = "forbidden (the kind is not the caller's to decide), same_person (the caller's own proposal)", body = ErrorBody),
    (status = 404, description = "unknown_proposal", body = ErrorBody),
    (status = 409, description = "proposal_decided", body = ErrorBody),
    (status = 422, description = "missing_field, invalid_field", body = ErrorBody)))]
pub async fn reject(
    State(server): State<Shared>,
    axum::Extension(principal): axum::Extension<Principal>,
    addr: ClientAddr,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let body: RejectBody = parse_body(&body)?;
    app::review::text("reason", &body.reason)?;
    decidable(&server, &principal, &id).await?;
    let store = crate::auth::store_as(&server, &principal, addr);
    let decided =
        approvals::reject(&store, &id, &principal.actor.to_string(), &body.reason, server.clock.as_ref()).await?;
    Ok(axum::Json(approvals::view(&decided)).into_response())
}

/// A new authority for an officer.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorityBody {
    /// The largest amount they may approve alone from the confirmation on, yuan (at most 10 billion).
    #[schema(pattern = "^(0|[1-9][0-9]{0,9})(\\.[0-9]{1,2})?$")]
    pub authority_yuan: String,
    /// Why.
    #[schema(min_length = 1, max_length = 500, pattern = "^\\s*\\S[\\s\\S]*$")]
    pub reason: String,
}

/// At most 64 characters of an id from the path, for a message.
fn bounded(id: &str) -> String {
    id.chars().take(64).collect()
}

/// POST /v1/officers/{id}/authority: proposes an officer's new authority; it applies once another administrator
/// confirms it (`POST /v1/approvals/{id}/confirm`).
#[utoipa::path(post, path = "/v1/officers/{id}/authority", params(("id" = String, Path, description = "Officer id")),
    request_body = AuthorityBody, responses(
    (status = 202, description = "Proposed: the proposal, waiting for another administrator"),
    (status = 404, description = "unknown_officer", body = ErrorBody),
    (status = 409, description = "proposal_open (a change of this officer's authority waits already)", body = ErrorBody),
    (status = 422, description = "missing_field, invalid_field, out_of_range", body = ErrorBody)))]
pub async fn propose_authority(
    State(server): State<Shared>,
    axum::Extension(principal): axum::Extension<Principal>,
    addr: ClientAddr,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let body: AuthorityBody = parse_body(&body)?;
    app::review::text("reason", &body.reason)?;
    // An id that cannot be an officer's names no officer.
    let officer_id = OfficerId::parse(&id)
        .map_err(|_| ApiError::whole(ErrorCode::UnknownOfficer, format!("officer {} not found", bounded(&id))))?;
    let authority = Money::parse_yuan(&body.authority_yuan).map_err(|e| {
        ApiError::unprocessable(ErrorCode::InvalidField, "authority_yuan", format!("'{}': {e}", body.authority_yuan))
    })?;
    if authority.is_negative() || authority > Money::from_yuan(10_000_000_000) {
        return Err(ApiError::unprocessable(ErrorCode::OutOfRange, "authority_yuan", "is outside 0 to 10 billion"));
    }
    let store = crate::auth::store_as(&server, &principal, addr);
    let act = Act::OfficerAuthority { officer_id, authority };
    let proposal =
        approvals::propose(&store, &act, &body.reason, &principal.actor.to_string(), server.clock.as_ref()).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(approvals::view(&proposal))).into_response())
}
