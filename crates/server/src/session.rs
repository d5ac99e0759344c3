//! Signing in and out for people (the coming console): `POST /v1/session` checks a username and password
//! (throttled and locked out per account and per address by `app::identity::login`) and sets the session cookie —
//! `HttpOnly`, `SameSite=Strict`, `Secure` under TLS, a new token at every sign-in — and answers the session's CSRF
//! token, which every later request that changes something must carry in `x-csrf-token`. `DELETE /v1/session` ends
//! it; `GET /v1/me` says who the caller is. Every sign-in, failed or not, is an audit entry.

use app::ErrorCode;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use identity::Principal;
use serde::Deserialize;
use serde_json::json;

use crate::Shared;
use crate::auth::{ClientAddr, SESSION_COOKIE, session_cookie};
use crate::error::{ApiError, ErrorBody, parse_body};
use crate::limits::JsonBody;

/// Largest sign-in body, bytes.
const LOGIN_BODY_BYTES: usize = 4 * 1024;

/// A sign-in.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    /// The username.
    #[schema(min_length = 1, max_length = 64)]
    pub username: String,
    /// The password.
    #[schema(min_length = 1, max_length = 128)]
    pub password: String,
}

/// POST /v1/session: signs a person in.
#[utoipa::path(post, path = "/v1/session", request_body = LoginBody, responses(
    (status = 200, description = "Signed in: the session cookie is set; the body names the user and the CSRF token"),
    (status = 401, description = "unauthenticated (unknown user, wrong password or disabled: one answer)", body = ErrorBody),
    (status = 422, description = "missing_field, invalid_field (an unknown field)", body = ErrorBody),
    (status = 429, description = "account_locked, too_many_attempts (with Retry-After)", body = ErrorBody)))]
pub async fn login(
    State(server): State<Shared>,
    addr: ClientAddr,
    JsonBody(body): JsonBody<LOGIN_BODY_BYTES>,
) -> Result<Response, ApiError> {
    let body: LoginBody = parse_body(&body)?;
    if body.username.chars().count() > 64 || body.password.chars().count() > 128 {
        return Err(ApiError::whole(ErrorCode::Unauthenticated, "the username or password is not valid"));
    }
    let now = server.clock.now();
    let mut random = [0u8; 32];
    getrandom::fill(&mut random).map_err(ApiError::internal)?;
    let result =
        app::identity::login(&server.store, &body.username, &body.password, &addr.0.to_string(), now, random).await;
    let (outcome, target) = match &result {
        Ok(login) => ("ok".to_owned(), login.principal.actor.to_string()),
        Err(e) => {
            (e.code().as_str().to_owned(), format!("login:{}", body.username.chars().take(64).collect::<String>()))
        }
    };
    let entry = audit::NewEntry {
        at: now,
        actor: target.clone(),
        origin: addr.0.to_string(),
        action: "auth.login".to_owned(),
        target,
        outcome,
        before: None,
        after: None,
        detail: "{}".to_owned(),
    };
    if let Err(e) = store::AuditLog::append_audit(&server.store, std::slice::from_ref(&entry)).await {
        tracing::error!(error = %e, "the audit entry of a sign-in could not be written");
    }
    let login = match result {
        Ok(login) => login,
        Err(e) => {
            let retry = e.retry_after_secs();
            let mut response = ApiError::from(app::Error::from(e)).into_response();
            if let Some(secs) = retry {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            return Ok(response);
        }
    };
    let secure = if server.tls.is_some() { "; Secure" } else { "" };
    let max_age = (login.absolute_expires_at.instant() - now.instant()).num_seconds().max(0);
    let cookie =
        format!("{SESSION_COOKIE}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}", login.token);
    let mut response = axum::Json(json!({
        "user": principal_json(&login.principal),
        "csrf_token": login.csrf,
        "idle_expires_at": login.idle_expires_at,
        "absolute_expires_at": login.absolute_expires_at,
    }))
    .into_response();
    response.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).map_err(ApiError::internal)?);
    Ok(response)
}

/// DELETE /v1/session: signs out (the cookie's session ends; a key's caller has none to end).
#[utoipa::path(delete, path = "/v1/session", responses(
    (status = 204, description = "Signed out"),
    (status = 401, description = "unauthenticated", body = ErrorBody)))]
pub async fn logout(State(server): State<Shared>, headers: axum::http::HeaderMap) -> Result<Response, ApiError> {
    if let Some(token) = session_cookie(&headers) {
        app::identity::logout(&server.store, token, server.clock.now()).await.map_err(app::Error::from)?;
    }
    let secure = if server.tls.is_some() { "; Secure" } else { "" };
    let expired = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{secure}");
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&expired).map_err(ApiError::internal)?);
    Ok(response)
}

/// GET /v1/me: who the caller is.
#[utoipa::path(get, path = "/v1/me", responses(
    (status = 200, description = "The caller: actor, role, branches and for a key its permissions"),
    (status = 401, description = "unauthenticated", body = ErrorBody)))]
pub async fn me(axum::Extension(principal): axum::Extension<Principal>) -> Response {
    axum::Json(principal_json(&principal)).into_response()
}

fn principal_json(principal: &Principal) -> serde_json::Value {
    json!({
        "actor": principal.actor.to_string(),
        "role": principal.role.code(),
        "branches": principal.branches.to_string(),
        "permissions": identity::Permission::ALL.iter().filter(|p| principal.may(**p)).map(|p| p.code()).collect::<Vec<_>>(),
    })
}
