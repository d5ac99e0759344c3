//! The one table of refusal codes ([`ErrorCode`]): each code's stable text, HTTP status, command-line exit code and
//! description, declared once in [`error_codes!`]. The server's responses, the OpenAPI document, `docs/api.md` and
//! the command line's exit codes all read this table (tests in the server and the binary check that they agree).
//!
//! [`Error`] is what every use case returns: a refusal the caller can fix (a code, the field at fault and a
//! message) or an internal failure, whose detail is logged and never shown to a remote caller.

use std::fmt;

use lending::{ServicingError, TermsError};
use store::StoreError;

/// Declares [`ErrorCode`] and its table from one list: variant, code, HTTP status, exit code, description.
macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident = ($code:literal, $status:literal, $exit:literal, $desc:literal); )*) => {
        /// A stable refusal code (`snake_case`, never changed once published).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )*
        }

        impl ErrorCode {
            /// Every code, in table order.
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant, )* ];

            /// The code as text.
            pub fn as_str(self) -> &'static str {
                match self { $( ErrorCode::$variant => $code, )* }
            }

            /// The HTTP status the server answers with.
            pub fn status(self) -> u16 {
                match self { $( ErrorCode::$variant => $status, )* }
            }

            /// The command line's exit code: 2 for anything the user can fix, 1 for failures of the machine.
            pub fn exit_code(self) -> u8 {
                match self { $( ErrorCode::$variant => $exit, )* }
            }

            /// When the code is given, for people (the text of docs/api.md's table).
            pub fn description(self) -> &'static str {
                match self { $( ErrorCode::$variant => $desc, )* }
            }
        }
    };
}

error_codes! {
    /// The body is not JSON, not an object, or has a duplicate key.
    MalformedJson = ("malformed_json", 400, 2, "the body is not JSON, not an object, or repeats a key");
    /// The request line, a header or the query could not be read.
    BadRequest = ("bad_request", 400, 2, "the request line, a header or the query string could not be read");
    /// A required field is absent or null.
    MissingField = ("missing_field", 422, 2, "a required field is absent or null (`field` names it)");
    /// A field has the wrong type, an unreadable value or is unknown.
    InvalidField = ("invalid_field", 422, 2, "wrong type, unreadable value, unknown field, text too long or blank");
    /// A value is outside its allowed range.
    OutOfRange = ("out_of_range", 422, 2, "a value outside its bounds: amount, term, date window, authority, list size");
    /// The product is not one the policy knows.
    UnknownProduct = ("unknown_product", 422, 2, "product not one of crop, livestock, business, cooperative, poverty_microcredit");
    /// The stated purpose is not a known purpose code.
    UnknownPurpose = ("unknown_purpose", 422, 2, "purpose not a known purpose code");
    /// No policy serves the applicant.
    NoPolicy = ("no_policy", 422, 2, "no active policy serves the applicant's village and product on the date");
    /// The candidate policy fails the static checks.
    PolicyCheckFailed = ("policy_check_failed", 422, 2, "the policy fails the static checks (the message names node, rule and column)");
    /// No household with this id is on file.
    UnknownApplicant = ("unknown_applicant", 404, 2, "no household with this id is on file");
    /// No such decision.
    UnknownDecision = ("unknown_decision", 404, 2, "no decision with this id");
    /// No such loan.
    UnknownLoan = ("unknown_loan", 404, 2, "no loan with this id");
    /// No such policy version.
    UnknownPolicy = ("unknown_policy", 404, 2, "no policy version with this id");
    /// No such officer.
    UnknownOfficer = ("unknown_officer", 404, 2, "no officer with this id");
    /// No such village.
    UnknownVillage = ("unknown_village", 404, 2, "no village with this code is on file");
    /// No such model.
    UnknownModel = ("unknown_model", 404, 2, "no model with this id");
    /// No such screening entry (a page's cursor).
    UnknownEntry = ("unknown_entry", 404, 2, "no screening entry of the household with this key");
    /// The caller's role or key does not grant the route.
    Forbidden = ("forbidden", 403, 2, "the caller's role (or the API key's list of permissions) does not grant this route");
    /// A cookie session's unsafe request without its CSRF token.
    CsrfFailed = ("csrf_failed", 403, 2, "a request signed in by cookie that changes something must carry the session's token in `x-csrf-token`");
    /// No such endpoint.
    NotFound = ("not_found", 404, 2, "no such endpoint");
    /// The path does not take that method.
    MethodNotAllowed = ("method_not_allowed", 405, 2, "the path does not take that method");
    /// The request took too long.
    Timeout = ("timeout", 408, 2, "the request took over its time limit (10 s; a monitoring run 600 s)");
    /// An idempotency key was used before for a different request.
    RequestReused = ("request_reused", 409, 2, "the request id (or repayment id) was used before for a different body");
    /// A review request for an approval.
    NotReviewable = ("not_reviewable", 409, 2, "a review request for an approval");
    /// A disbursement of a decision that is not approved.
    NotApproved = ("not_approved", 409, 2, "a disbursement of a decline, or of a referral not (yet) approved on review");
    /// A disbursement of a decision disbursed under another request id.
    AlreadyDisbursed = ("already_disbursed", 409, 2, "a disbursement of a decision already disbursed under another request id");
    /// A review action the workflow does not allow.
    ReviewRefused = ("review_refused", 409, 2, "a review action the workflow does not allow (not referred, final, awaiting a check, own approval, checker's authority too low)");
    /// Another officer holds the case under a claim whose lease still runs.
    Claimed = ("claimed", 409, 2, "another officer holds the case under a claim of the review queue whose lease still runs (the message names them and when the lease ends); wait for it, or ask them to release it");
    /// Another officer was registered under this id.
    OfficerExists = ("officer_exists", 409, 2, "another officer was registered under this id");
    /// The policy lifecycle forbids the move.
    IllegalMove = ("illegal_move", 409, 2, "the lifecycle or maker-checker forbids the move, or it would leave a region and segment without an active policy");
    /// The lending core refuses the event on this loan.
    LoanRefused = ("loan_refused", 409, 2, "the loan's state does not allow the event (closed, not disbursed, more than it can take)");
    /// Another writer changed the record first; the request may be sent again.
    Conflict = ("conflict", 409, 2, "another request changed the record at the same time; send it again");
    /// A record with this id exists.
    AlreadyExists = ("already_exists", 409, 2, "a record with this id exists");
    /// The body is too large.
    BodyTooLarge = ("body_too_large", 413, 2, "body over 64 KiB");
    /// The request target is too long.
    UriTooLong = ("uri_too_long", 414, 2, "the request target is too long");
    /// The body is not JSON.
    UnsupportedMediaType = ("unsupported_media_type", 415, 2, "a body without `content-type: application/json`");
    /// The request headers are too large.
    HeadersTooLarge = ("headers_too_large", 431, 2, "the request headers are too large");
    /// No valid credentials: a wrong or unknown username or password, a disabled account, or a missing, expired,
    /// forged or revoked session or key (one answer for all, so it tells nothing).
    Unauthenticated = ("unauthenticated", 401, 2, "no valid credentials: wrong username or password, disabled account, or a missing, expired, ended or revoked session or key");
    /// Too many failed sign-ins for the account.
    AccountLocked = ("account_locked", 429, 2, "5 failed sign-ins for the account within 15 minutes: locked for 15 minutes (`Retry-After` says how long)");
    /// Too many failed sign-ins from the address.
    TooManyAttempts = ("too_many_attempts", 429, 2, "20 failed sign-ins from the address within 15 minutes (`Retry-After` says how long)");
    /// The username is taken, or looks like an existing one.
    UserExists = ("user_exists", 409, 2, "the username is taken, or looks like an existing account");
    /// No such user.
    UnknownUser = ("unknown_user", 404, 2, "no user with this username");
    /// No such API key.
    UnknownKey = ("unknown_key", 404, 2, "no API key with this id");
    /// The password breaks a rule.
    WeakPassword = ("weak_password", 422, 2, "the password is under 12 or over 128 characters, or contains the username");
    /// The username is not a valid one.
    InvalidUsername = ("invalid_username", 422, 2, "the username is not 3 to 32 characters of a-z, 0-9, '.', '_', '-', or has an invisible or look-alike character");
    /// Too many requests from this key, user or address.
    RateLimited = ("rate_limited", 429, 2, "too many requests from this key, user or address; wait `Retry-After` seconds");
    /// A retention rule holds the personal data an erasure asked to clear.
    RetentionHold = ("retention_hold", 409, 2, "a retention rule holds the household's personal data (an open loan, or a legal minimum keeping period not yet over); the message names the rule");
    /// No such dual-control proposal.
    UnknownProposal = ("unknown_proposal", 404, 2, "no dual-control proposal with this id");
    /// The proposer tried to confirm or reject their own proposal.
    SamePerson = ("same_person", 403, 2, "a proposal is decided by another person than its proposer (`user:NAME` and `os:NAME` are one person)");
    /// The proposal was confirmed or rejected before.
    ProposalDecided = ("proposal_decided", 409, 2, "the proposal was confirmed or rejected before; a decision is final");
    /// A proposal of the same kind and target waits for a decision.
    ProposalOpen = ("proposal_open", 409, 2, "a proposal of the same kind and target waits for a decision already");
    /// No such alert, or one of a branch outside the caller's.
    AlertNotFound = ("alert_not_found", 404, 2, "no alert with this number, or one of a branch outside the caller's (answered alike)");
    /// The alert's workflow does not allow the step from the status it is in.
    AlertTransitionRefused = ("alert_transition_refused", 409, 2, "the alert's workflow does not allow the step from its status (the message names both): open → assigned → acknowledged → action_recorded → closed, escalation before the action");
    /// The acting officer, or the officer a step makes the holder, works at another branch than the alert's.
    AlertOtherBranch = ("alert_other_branch", 403, 2, "the acting officer (`field` officer) or the officer the step hands the alert to (`field` to) works at another branch than the alert's");
    /// Another officer holds the alert.
    AlertNotHolder = ("alert_not_holder", 403, 2, "another officer holds the alert: only its holder assigns, acknowledges or records an action on it");
    /// A step out of its bounds.
    AlertInvalid = ("alert_invalid", 422, 2, "a step out of its bounds (`field` names it): an outcome or reason blank or over 1,000 characters, a re-tier (a monitoring run's, not a person's)");
    /// The server failed.
    Internal = ("internal", 500, 1, "the server could not complete the request (the detail is in the server's log)");
    /// The database named cannot be used: a malformed URL, a database that does not answer, a schema newer than
    /// this binary or a migration left unfinished.
    BadDatabase = ("bad_database", 400, 2, "the database named at start cannot be used: a malformed URL, a database that does not answer, a schema newer than this binary or a migration left unfinished (the message says which; nothing was written). A command exits 2 with it and a server refuses to start; a running server whose database stops answering says 503 not_ready");
    /// Not ready: no decider, no active policy or the store does not answer.
    NotReady = ("not_ready", 503, 1, "no decider is loaded (no champion model or no active policy), or the store does not answer");
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<decide::ErrorCode> for ErrorCode {
    fn from(code: decide::ErrorCode) -> ErrorCode {
        use decide::ErrorCode as D;
        match code {
            D::MalformedJson => ErrorCode::MalformedJson,
            D::MissingField => ErrorCode::MissingField,
            D::InvalidField => ErrorCode::InvalidField,
            D::OutOfRange => ErrorCode::OutOfRange,
            D::UnknownProduct => ErrorCode::UnknownProduct,
            D::UnknownPurpose => ErrorCode::UnknownPurpose,
            D::UnknownApplicant => ErrorCode::UnknownApplicant,
            D::RequestReused => ErrorCode::RequestReused,
            D::NoPolicy => ErrorCode::NoPolicy,
        }
    }
}

/// Why a use case did not complete.
#[derive(Debug)]
pub enum Error {
    /// A refusal the caller can fix: nothing was written.
    Refused {
        /// The stable code.
        code: ErrorCode,
        /// The request field or argument at fault, if one is.
        field: Option<String>,
        /// What is wrong, for a person.
        message: String,
    },
    /// A failure of the machine (disk, database, a stored record that no longer reads).
    Internal(anyhow::Error),
}

impl Error {
    /// A bad value of `field` (`invalid_field`).
    pub fn input(field: impl Into<String>, reason: impl fmt::Display) -> Error {
        Error::coded(ErrorCode::InvalidField, field, reason)
    }

    /// A refusal with `code` naming `field`.
    pub fn coded(code: ErrorCode, field: impl Into<String>, reason: impl fmt::Display) -> Error {
        Error::Refused { code, field: Some(field.into()), message: reason.to_string() }
    }

    /// A refusal of the whole request, naming no field.
    pub fn whole(code: ErrorCode, message: impl fmt::Display) -> Error {
        Error::Refused { code, field: None, message: message.to_string() }
    }

    /// An internal failure.
    pub fn internal(detail: impl fmt::Display) -> Error {
        Error::Internal(anyhow::anyhow!("{detail}"))
    }

    /// The refusal's code (`internal` for a failure).
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Refused { code, .. } => *code,
            Error::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The field at fault.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::Refused { field, .. } => field.as_deref(),
            Error::Internal(_) => None,
        }
    }

    /// The process exit code, from the table.
    pub fn exit_code(&self) -> u8 {
        self.code().exit_code()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Refused { field: Some(field), message, .. } => write!(f, "{field}: {message}"),
            Error::Refused { field: None, message, .. } => f.write_str(message),
            Error::Internal(e) => write!(f, "{e:#}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<TermsError> for Error {
    fn from(e: TermsError) -> Self {
        Error::input(e.field, e.reason)
    }
}

impl From<ServicingError> for Error {
    fn from(e: ServicingError) -> Self {
        match e {
            ServicingError::Invalid { date, field, reason } => {
                Error::coded(ErrorCode::InvalidField, field, format!("{reason} (on {date})"))
            }
            ServicingError::Transition { date, source } => {
                Error::coded(ErrorCode::LoanRefused, "loan", format!("{source} (on {date})"))
            }
        }
    }
}

impl From<decide::DecideError> for Error {
    fn from(e: decide::DecideError) -> Self {
        Error::Refused { code: e.code.into(), field: e.field, message: e.message }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        use ErrorCode as C;
        let (code, field) = match &e {
            StoreError::DuplicateLoan(_) => (C::AlreadyExists, "id"),
            StoreError::LoanNotFound(_) => (C::UnknownLoan, "loan"),
            StoreError::KeyConflict { .. } => (C::RequestReused, "id"),
            StoreError::Conflict { .. } => (C::Conflict, "loan"),
            StoreError::ModelNotFound(_) => (C::UnknownModel, "id"),
            StoreError::ModelClash(_) => (C::AlreadyExists, "model"),
            StoreError::ModelMove { .. } => (C::IllegalMove, "to"),
            StoreError::InvalidModel { field, .. } => (C::InvalidField, *field),
            StoreError::DecisionNotFound(_) => (C::UnknownDecision, "decision"),
            StoreError::PolicyNotFound(_) => (C::UnknownPolicy, "policy"),
            StoreError::PolicyMove { .. } => (C::IllegalMove, "to"),
            StoreError::InvalidPolicy { field, .. } => (C::InvalidField, *field),
            StoreError::RequestReused { .. } => (C::RequestReused, "request_id"),
            StoreError::DecisionTaken(_) => (C::InvalidField, "decision_id"),
            StoreError::Invalid(workflow::Invalid::NotReviewable { .. }) => (C::NotReviewable, "outcome"),
            StoreError::Invalid(workflow::Invalid::Field { field, .. }) => (C::InvalidField, *field),
            StoreError::Review { refusal: workflow::ReviewRefusal::Claimed { .. }, .. } => (C::Claimed, "decision_id"),
            StoreError::Review { .. } => (C::ReviewRefused, "action"),
            StoreError::Disbursement { .. } => (C::NotApproved, "outcome"),
            StoreError::OfficerNotFound(_) => (C::UnknownOfficer, "officer_id"),
            StoreError::OfficerClash(_) => (C::OfficerExists, "officer_id"),
            StoreError::UserExists(_) | StoreError::UserLooksLike { .. } => (C::UserExists, "username"),
            StoreError::UsersExist => (C::UserExists, "admin"),
            StoreError::UserNotFound(_) => (C::UnknownUser, "username"),
            StoreError::KeyExists(_) => (C::AlreadyExists, "id"),
            StoreError::KeyNotFound(_) => (C::UnknownKey, "id"),
            StoreError::InvalidAudit(refused) => (C::InvalidField, refused.field),
            StoreError::InvalidErasure { field, .. } => (C::InvalidField, *field),
            StoreError::HouseholdChanged(_) => (C::Conflict, "household"),
            StoreError::ProposalNotFound(_) => (C::UnknownProposal, "id"),
            StoreError::ProposalOpen { .. } => (C::ProposalOpen, "target"),
            StoreError::Dual { refusal: workflow::dual::DualRefusal::SamePerson { .. } } => (C::SamePerson, "id"),
            StoreError::Dual { refusal: workflow::dual::DualRefusal::Decided { .. } } => (C::ProposalDecided, "id"),
            StoreError::Dual { refusal: workflow::dual::DualRefusal::NoReason { .. } } => (C::MissingField, "reason"),
            StoreError::AlertNotFound(_) => (C::AlertNotFound, "alert_id"),
            StoreError::InvalidAlert(invalid) => (C::AlertInvalid, invalid.field),
            StoreError::Alert { refusal, .. } => match refusal {
                store::AlertRefusal::Workflow(_) => (C::AlertTransitionRefused, "kind"),
                store::AlertRefusal::StaleTier { .. } => (C::AlertTransitionRefused, "from"),
                store::AlertRefusal::RunOnly => (C::AlertTransitionRefused, "kind"),
                store::AlertRefusal::UnknownOfficer(_) => (C::UnknownOfficer, "officer"),
                store::AlertRefusal::OtherBranch { .. } => (C::AlertOtherBranch, "officer"),
                store::AlertRefusal::NotHolder { .. } => (C::AlertNotHolder, "officer"),
            },
            StoreError::BadLocation { .. }
            | StoreError::Unreachable { .. }
            | StoreError::SchemaNewer { .. }
            | StoreError::MigrationUnfinished { .. }
            | StoreError::SchemaMismatch { .. } => (C::BadDatabase, "database"),
            // The database went away under a running command or server: not ready, worth trying again.
            StoreError::Database(source) if store::database::is_connection_failure(source) => (C::NotReady, "database"),
            _ => return Error::Internal(anyhow::Error::new(e)),
        };
        Error::coded(code, field, e)
    }
}

impl From<integrate::RegisterError> for Error {
    /// A backend's own error keeps the classification it has when it comes straight from the store.
    fn from(e: integrate::RegisterError) -> Self {
        match e {
            integrate::RegisterError::Backend(source) => match source.downcast::<StoreError>() {
                Ok(store) => (*store).into(),
                Err(other) => Error::Internal(anyhow::anyhow!(other)),
            },
            schema => Error::Internal(anyhow::Error::new(schema)),
        }
    }
}

impl From<integrate::IntegrateError> for Error {
    fn from(e: integrate::IntegrateError) -> Self {
        match e {
            integrate::IntegrateError::Header(h) => Error::input("file", h),
            integrate::IntegrateError::Manifest { ref path, .. } => Error::input(path.display().to_string(), e),
            integrate::IntegrateError::UnknownSource(_) => Error::input("source", e),
            integrate::IntegrateError::HorizonBeyondData { .. } => Error::input("horizon-months", e),
            integrate::IntegrateError::Input { field, reason } => Error::input(field, reason),
            integrate::IntegrateError::Unseal { .. } => Error::input("key-file", e),
            integrate::IntegrateError::Io { ref path, .. } if !path.exists() => {
                Error::input(path.display().to_string(), "no such file")
            }
            integrate::IntegrateError::Store(s) => s.into(),
            other => Error::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<anyhow::Error> for Error {
    fn from(e: anyhow::Error) -> Self {
        Error::Internal(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_classified() {
        let mut seen = std::collections::BTreeSet::new();
        for code in ErrorCode::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "{text} twice");
            assert!(text.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{text}");
            assert!((400..600).contains(&code.status()), "{text}");
            // A refusal the caller can fix exits 2; a failure of the machine 1.
            assert_eq!(code.exit_code() == 2, code.status() < 500, "{text}");
            assert!(!code.description().is_empty());
        }
    }

    #[test]
    fn every_decide_code_has_a_client_status() {
        use decide::ErrorCode as D;
        for code in [
            D::MalformedJson,
            D::MissingField,
            D::InvalidField,
            D::OutOfRange,
            D::UnknownProduct,
            D::UnknownPurpose,
            D::UnknownApplicant,
            D::RequestReused,
            D::NoPolicy,
        ] {
            let ours = ErrorCode::from(code);
            assert_eq!(ours.as_str(), code.as_str());
            assert!((400..500).contains(&ours.status()));
        }
    }
}
