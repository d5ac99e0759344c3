//! Command errors and their exit codes: 2 for anything the user can fix (bad input, an illegal move, an unknown
//! loan), 1 for failures of the machine (disk, database).

use std::fmt;

use lending::{ServicingError, TermsError};
use store::StoreError;

/// An error that ends a command.
#[derive(Debug)]
pub enum CliError {
    /// Bad input: names the field and why. Exit code 2.
    Input {
        /// The offending field or argument.
        field: String,
        /// Why it was rejected.
        reason: String,
    },
    /// Anything else. Exit code 1.
    Internal(anyhow::Error),
}

impl CliError {
    /// A bad-input error.
    pub fn input(field: impl Into<String>, reason: impl fmt::Display) -> CliError {
        CliError::Input { field: field.into(), reason: reason.to_string() }
    }

    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Input { .. } => 2,
            CliError::Internal(_) => 1,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Input { field, reason } => write!(f, "{field}: {reason}"),
            CliError::Internal(e) => write!(f, "{e:#}"),
        }
    }
}

impl From<TermsError> for CliError {
    fn from(e: TermsError) -> Self {
        CliError::input(e.field, e.reason)
    }
}

impl From<ServicingError> for CliError {
    fn from(e: ServicingError) -> Self {
        match e {
            ServicingError::Invalid { date, field, reason } => CliError::input(field, format!("{reason} (on {date})")),
            ServicingError::Transition { date, source } => CliError::input("loan", format!("{source} (on {date})")),
        }
    }
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::DuplicateLoan(_) => CliError::input("id", e),
            StoreError::LoanNotFound(_) => CliError::input("loan", e),
            StoreError::KeyConflict { .. } => CliError::input("id", e),
            StoreError::Conflict { .. } => CliError::input("loan", e),
            StoreError::ModelNotFound(_) => CliError::input("id", e),
            StoreError::ModelClash(_) => CliError::input("model", e),
            StoreError::IllegalModelMove { .. } => CliError::input("to", e),
            StoreError::InvalidModel { field, .. } => CliError::input(field, e),
            StoreError::DecisionNotFound(_) => CliError::input("decision", e),
            StoreError::PolicyNotFound(_) => CliError::input("policy", e),
            StoreError::IllegalPolicyMove { .. } => CliError::input("to", e),
            StoreError::InvalidPolicy { field, .. } => CliError::input(field, e),
            StoreError::RequestReused { .. } => CliError::input("request_id", e),
            StoreError::InvalidDecision { field, .. } => CliError::input(field, e),
            other => CliError::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<anyhow::Error> for CliError {
    fn from(e: anyhow::Error) -> Self {
        CliError::Internal(e)
    }
}
