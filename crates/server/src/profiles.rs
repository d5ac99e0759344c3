//! A borrower's profile over HTTP (`GET /v1/households/{id}/profile`): the household, its members, village, farm,
//! income, assets, insurance, bureau, rating, loans, transactions, group peers and features as of a date, through
//! `app::profile`. Personal data (members' names, ID numbers, phones) is masked; `unmask=PURPOSE` shows it in the
//! clear to a caller whose role may unmask, and only after an audit entry naming who, from where, whose and why is
//! committed: no unmasked answer leaves without its entry. The server reads the privacy key file given to
//! `serve --key-file` for each such request; without one the route answers 503.

use app::ErrorCode;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use identity::{Permission, Principal};
use serde::Deserialize;

use crate::Shared;
use crate::auth::ClientAddr;
use crate::error::{ApiError, ErrorBody};

/// Longest stated purpose of an unmasking, characters.
pub const MAX_PURPOSE_CHARS: usize = 200;

/// The profile's date and, to see personal data, why.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProfileQuery {
    /// YYYY-MM-DD; default today (China Standard Time).
    #[param(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub as_of: Option<String>,
    /// Show personal data in the clear, for this stated purpose (1–200 characters; needs the `unmask` permission;
    /// recorded in the audit trail).
    #[param(min_length = 1, max_length = 200)]
    pub unmask: Option<String>,
}

/// GET /v1/households/{id}/profile: the borrower's profile, masked unless `unmask` states a purpose.
#[utoipa::path(get, path = "/v1/households/{id}/profile",
    params(("id" = String, Path, description = "Household id"), ProfileQuery),
    responses(
        (status = 200, description = "The profile (personal data masked, or in the clear with `unmask`)"),
        (status = 404, description = "unknown_applicant", body = ErrorBody),
        (status = 422, description = "invalid_field (as_of, unmask)", body = ErrorBody),
        (status = 503, description = "not_ready (no privacy key file)", body = ErrorBody)))]
pub async fn profile(
    State(server): State<Shared>,
    axum::Extension(principal): axum::Extension<Principal>,
    addr: ClientAddr,
    Path(id): Path<String>,
    Query(query): Query<ProfileQuery>,
) -> Result<Response, ApiError> {
    crate::scope::household(&server, &principal, &id, ErrorCode::UnknownApplicant)?;
    let as_of = match &query.as_of {
        Some(text) => crate::loans::date("as_of", text)?,
        None => server.clock.today(),
    };
    let purpose = query.unmask.as_deref().map(str::trim);
    if let Some(purpose) = purpose {
        if !principal.may(Permission::Unmask) {
            return Err(ApiError::whole(
                ErrorCode::Forbidden,
                format!("role {} may not see personal data unmasked", principal.role),
            ));
        }
        let chars = purpose.chars().count();
        if chars == 0 || chars > MAX_PURPOSE_CHARS {
            let reason = format!("the purpose must be 1 to {MAX_PURPOSE_CHARS} characters, not {chars}");
            return Err(ApiError::unprocessable(ErrorCode::InvalidField, "unmask", reason));
        }
    }
    let Some(key_file) = &server.privacy_keys else {
        return Err(ApiError::whole(
            ErrorCode::NotReady,
            "the server holds no privacy key file (serve --key-file): profiles cannot be opened",
        ));
    };
    let keys = privacy::Keyring::load(key_file).map_err(ApiError::internal)?;
    let mut request = app::profile::ProfileRequest::new(&id, as_of)?;
    if let Some(purpose) = purpose {
        // The entry first: an unmasked answer never leaves without it.
        let entry = audit::NewEntry {
            at: server.clock.now(),
            actor: principal.actor.to_string(),
            origin: addr.0.to_string(),
            action: "pii.unmask".to_owned(),
            target: format!("household:{id}"),
            outcome: "ok".to_owned(),
            before: None,
            after: None,
            detail: serde_json::json!({"purpose": purpose, "as_of": as_of.to_string()}).to_string(),
        };
        store::AuditLog::append_audit(&server.store, std::slice::from_ref(&entry)).await?;
        request = request.unmasked();
    }
    let profile = app::profile::profile(&server.reads, keys, &request).await?;
    Ok(axum::Json(profile).into_response())
}
