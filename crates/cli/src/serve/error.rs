//! The API's one error shape, `{"error": {"code", "field", "message"}}`, and the one table mapping every refusal to
//! a status and a stable `snake_case` code. 5xx bodies are generic; the detail goes to standard error.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use decide::{DecideError, ErrorCode};
use serde::Serialize;
use store::StoreError;

use crate::error::CliError;

/// An API error: a status, a stable code, the field at fault and a message.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The HTTP status (always 4xx or 5xx).
    pub status: StatusCode,
    /// The stable code.
    pub code: &'static str,
    /// The request field at fault.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// The body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// An error's detail.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable `snake_case` code (see docs/api.md).
    pub code: String,
    /// The request field at fault, if one is.
    pub field: Option<String>,
    /// What is wrong, for a person.
    pub message: String,
}

impl ApiError {
    /// An error naming a field.
    pub fn field(status: StatusCode, code: &'static str, field: &str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, field: Some(field.to_owned()), message: message.into() }
    }

    /// A 422 for one field, with a stable `code` (`missing_field`, `invalid_field`, `out_of_range`, …) and the
    /// problem after the field's name: `amount_yuan: is required`.
    pub fn unprocessable(code: &'static str, field: &str, problem: impl std::fmt::Display) -> ApiError {
        ApiError::field(StatusCode::UNPROCESSABLE_ENTITY, code, field, format!("{field}: {problem}"))
    }

    /// An error of the whole request.
    pub fn whole(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, field: None, message: message.into() }
    }

    /// A failure of the server: logged in full, answered with a generic 500.
    pub fn internal(detail: impl std::fmt::Display) -> ApiError {
        eprintln!("serve: internal error: {detail}");
        ApiError::whole(StatusCode::INTERNAL_SERVER_ERROR, "internal", "the server could not complete the request")
    }

    /// Not found.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::whole(StatusCode::NOT_FOUND, code, message)
    }
}

/// The status of each refusal code of an application. The one place that decides it.
pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::MalformedJson => StatusCode::BAD_REQUEST,
        ErrorCode::MissingField
        | ErrorCode::InvalidField
        | ErrorCode::OutOfRange
        | ErrorCode::UnknownProduct
        | ErrorCode::UnknownPurpose => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::UnknownApplicant => StatusCode::NOT_FOUND,
        ErrorCode::RequestReused => StatusCode::CONFLICT,
        ErrorCode::NoPolicy => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

impl From<DecideError> for ApiError {
    fn from(e: DecideError) -> ApiError {
        ApiError { status: status_of(e.code), code: e.code.as_str(), field: e.field, message: e.message }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        let message = e.to_string();
        match e {
            StoreError::RequestReused { .. } => {
                ApiError::field(StatusCode::CONFLICT, ErrorCode::RequestReused.as_str(), "request_id", message)
            }
            StoreError::DecisionNotFound(_) => ApiError::not_found("unknown_decision", message),
            StoreError::PolicyNotFound(_) => ApiError::not_found("unknown_policy", message),
            StoreError::LoanNotFound(_) => ApiError::not_found("unknown_loan", message),
            StoreError::IllegalPolicyMove { .. } => {
                ApiError::field(StatusCode::CONFLICT, "illegal_move", "to", message)
            }
            StoreError::InvalidPolicy { field, .. } => {
                ApiError::field(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", field, message)
            }
            StoreError::InvalidDecision { field: "outcome", .. } => {
                ApiError::field(StatusCode::CONFLICT, "not_reviewable", "outcome", message)
            }
            StoreError::InvalidDecision { field, .. } => {
                ApiError::field(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", field, message)
            }
            StoreError::KeyConflict { .. } => ApiError::field(StatusCode::CONFLICT, "request_reused", "id", message),
            StoreError::Review { .. } => ApiError::field(StatusCode::CONFLICT, "review_refused", "action", message),
            StoreError::Disbursement { .. } => ApiError::whole(StatusCode::CONFLICT, "not_disbursable", message),
            StoreError::OfficerNotFound(_) => {
                ApiError::field(StatusCode::NOT_FOUND, "unknown_officer", "officer_id", message)
            }
            StoreError::Conflict { .. } => ApiError::whole(StatusCode::CONFLICT, "conflict", message),
            other => ApiError::internal(other),
        }
    }
}

impl From<CliError> for ApiError {
    fn from(e: CliError) -> ApiError {
        match e {
            CliError::Input { field, reason } => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "invalid_field",
                field: Some(field),
                message: reason,
            },
            CliError::Internal(e) => ApiError::internal(format!("{e:#}")),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body =
            ErrorBody { error: ErrorDetail { code: self.code.to_owned(), field: self.field, message: self.message } };
        (self.status, axum::Json(body)).into_response()
    }
}

/// Reads a JSON body into `T`: 400 `malformed_json` when it is not JSON, 422 naming the field otherwise.
pub fn parse_body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::whole(
            StatusCode::BAD_REQUEST,
            ErrorCode::MalformedJson.as_str(),
            format!("the body is not valid JSON: {e}"),
        )
    })?;
    if !value.is_object() {
        return Err(ApiError::whole(
            StatusCode::BAD_REQUEST,
            ErrorCode::MalformedJson.as_str(),
            "the body must be a JSON object",
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        // serde reports a missing field at the enclosing object; name the field itself.
        let missing = inner.strip_prefix("missing field `").and_then(|rest| rest.split('`').next()).map(str::to_owned);
        match missing {
            Some(field) => ApiError::unprocessable("missing_field", &field, "is required"),
            None => ApiError::unprocessable("invalid_field", &path, inner),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_code_maps_to_a_client_error() {
        for code in [
            ErrorCode::MalformedJson,
            ErrorCode::MissingField,
            ErrorCode::InvalidField,
            ErrorCode::OutOfRange,
            ErrorCode::UnknownProduct,
            ErrorCode::UnknownPurpose,
            ErrorCode::UnknownApplicant,
            ErrorCode::RequestReused,
            ErrorCode::NoPolicy,
        ] {
            assert!(status_of(code).is_client_error(), "{code}");
        }
    }

    #[test]
    fn a_missing_field_is_named() {
        #[derive(serde::Deserialize, Debug)]
        struct Body {
            #[allow(dead_code)]
            channel: String,
        }
        let e = parse_body::<Body>(b"{}").expect_err("missing");
        assert_eq!((e.code, e.field.as_deref()), ("missing_field", Some("channel")));
        let e = parse_body::<Body>(b"{").expect_err("malformed");
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
    }
}
