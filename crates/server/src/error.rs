//! The API's one error shape, `{"error": {"code", "field", "message"}}`, and the one table mapping every refusal to
//! a stable `snake_case` code from `app::ErrorCode`'s table, which also gives the status. 5xx bodies are generic;
//! the detail goes to the log.

use app::ErrorCode;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use decide::DecideError;
use serde::Serialize;
use store::StoreError;

/// An API error: a stable code (its status from the table), the field at fault and a message.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The stable code; the HTTP status is its `status()`.
    pub code: ErrorCode,
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
    pub fn field(code: ErrorCode, field: &str, message: impl Into<String>) -> ApiError {
        ApiError { code, field: Some(field.to_owned()), message: message.into() }
    }

    /// An error for one field, with the problem after the field's name: `amount_yuan: is required`.
    pub fn unprocessable(code: ErrorCode, field: &str, problem: impl std::fmt::Display) -> ApiError {
        ApiError::field(code, field, format!("{field}: {problem}"))
    }

    /// An error of the whole request.
    pub fn whole(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError { code, field: None, message: message.into() }
    }

    /// A failure of the server: logged in full, answered with a generic 500.
    pub fn internal(detail: impl std::fmt::Display) -> ApiError {
        tracing::error!(detail = %detail, "internal error");
        ApiError::whole(ErrorCode::Internal, "the server could not complete the request")
    }

    /// The HTTP status, from the code's row of the table.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl From<DecideError> for ApiError {
    fn from(e: DecideError) -> ApiError {
        ApiError { code: e.code.into(), field: e.field, message: e.message }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        app::Error::from(e).into()
    }
}

impl From<app::Error> for ApiError {
    fn from(e: app::Error) -> ApiError {
        match e {
            app::Error::Refused { code, field, message } => ApiError { code, field, message },
            app::Error::Internal(e) => ApiError::internal(format!("{e:#}")),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = ErrorBody {
            error: ErrorDetail { code: self.code.as_str().to_owned(), field: self.field, message: self.message },
        };
        let mut response = (status, axum::Json(body)).into_response();
        // The code travels with the response, so the request log can name it.
        response.extensions_mut().insert(self.code);
        response
    }
}

/// Reads a JSON body into `T`: 400 `malformed_json` when it is not JSON (or repeats a key, or nests too deep), 422
/// naming the field otherwise.
pub fn parse_body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    crate::limits::strict_json(bytes)?;
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::whole(ErrorCode::MalformedJson, format!("the body is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::whole(ErrorCode::MalformedJson, "the body must be a JSON object"));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        // serde reports a missing field at the enclosing object; name the field itself.
        let missing = inner.strip_prefix("missing field `").and_then(|rest| rest.split('`').next()).map(str::to_owned);
        match missing {
            Some(field) => ApiError::unprocessable(ErrorCode::MissingField, &field, "is required"),
            None => ApiError::unprocessable(ErrorCode::InvalidField, &path, inner),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_field_is_named() {
        #[derive(serde::Deserialize, Debug)]
        struct Body {
            #[allow(dead_code)]
            channel: String,
        }
        let e = parse_body::<Body>(b"{}").expect_err("missing");
        assert_eq!((e.code, e.field.as_deref()), (ErrorCode::MissingField, Some("channel")));
        let e = parse_body::<Body>(b"{").expect_err("malformed");
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
    }
}
