//! Why an application could not be decided: a stable code, the field at fault and a message naming it.

use std::fmt;

/// The stable code of a refusal, as the API and the command line report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The request is not JSON, or not a JSON object.
    MalformedJson,
    /// A required field is absent or null.
    MissingField,
    /// A field has the wrong type or an unreadable value.
    InvalidField,
    /// A field's value is outside its allowed range.
    OutOfRange,
    /// The product asked for is not one the policy knows.
    UnknownProduct,
    /// The stated purpose is not a known purpose code.
    UnknownPurpose,
    /// No household with this id is on file.
    UnknownApplicant,
    /// The request id was used before for a different request.
    RequestReused,
    /// No policy is active for the applicant's region and product on the date.
    NoPolicy,
}

impl ErrorCode {
    /// The code as text (`snake_case`, never changed once published).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedJson => "malformed_json",
            ErrorCode::MissingField => "missing_field",
            ErrorCode::InvalidField => "invalid_field",
            ErrorCode::OutOfRange => "out_of_range",
            ErrorCode::UnknownProduct => "unknown_product",
            ErrorCode::UnknownPurpose => "unknown_purpose",
            ErrorCode::UnknownApplicant => "unknown_applicant",
            ErrorCode::RequestReused => "request_reused",
            ErrorCode::NoPolicy => "no_policy",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused application: nothing was decided or stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct DecideError {
    /// The stable code.
    pub code: ErrorCode,
    /// The request field at fault, as a dotted path (`applicant.amount_yuan` style names are the request's own).
    pub field: Option<String>,
    /// What is wrong, naming the field and the value.
    pub message: String,
}

impl DecideError {
    /// A refusal naming a field.
    pub fn field(code: ErrorCode, field: &str, message: impl Into<String>) -> DecideError {
        DecideError { code, field: Some(field.to_owned()), message: format!("{field}: {}", message.into()) }
    }

    /// A refusal of the whole request.
    pub fn whole(code: ErrorCode, message: impl Into<String>) -> DecideError {
        DecideError { code, field: None, message: message.into() }
    }
}
