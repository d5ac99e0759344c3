//! Storage for agririsk.
//!
//! [`LoanStore`] is the backend-neutral contract: loans are created once, their history is a per-loan sequence of
//! events that only ever grows, each money-moving event posts ledger lines in the same transaction, and every
//! write is idempotent by key and guarded against lost updates by the expected sequence number. [`SqliteStore`] is
//! the embedded implementation (a file under the data directory, created on first use); [`PgStore`] the PostgreSQL
//! one, which implements the registers one by one ([`postgres`] says which so far). [`conformance`] holds the checks
//! every backend must pass, and both backends run the very same suites.
//!
//! [`ModelRegistry`] is the same kind of contract for credit-model artifacts: opaque JSON keyed by its content
//! hash, registered once, with an append-only history of lifecycle statuses (`scoring::lifecycle`) and at most one
//! champion per model name. [`PolicyRegister`] keeps credit-policy versions and their history
//! (`policy::lifecycle`), [`DecisionLog`] the decisions and [`ReviewWorkflow`] loan officers' reviews and
//! disbursements (`workflow`). [`AlertRegister`] keeps post-loan monitoring's alerts and their history (`monitor`). [`AuditLog`] is the hash-chained audit trail every write of the store appends to in
//! its own transaction, under the store's acting context ([`SqliteStore::acting`]).
//!
//! Boundary: this crate turns domain values into rows and back and runs transactions; it owns no business rule.
//! Whether an event may be appended is decided by `lending::Loan::check_append` before `append` is called; which
//! status moves, review actions and disbursements are legal is decided by the pure functions of `workflow`,
//! `scoring::lifecycle` and `policy::lifecycle`, which the store calls inside its transactions.

mod acting;
pub mod alerts;
pub mod audit;
pub mod conformance;
pub mod copy;
pub mod database;
pub mod decisions;
pub mod dual;
pub mod erasure;
pub mod identity;
mod models;
pub mod policies;
pub mod postgres;
pub mod screening;
mod sqlite;
pub mod workflow;

use std::future::Future;

use domain::{BorrowerId, Date, DecisionId, LoanId, Money};
use lending::{DatedEvent, LoanEvent, LoanTerms, Posting, StatusChange};
use serde::{Deserialize, Serialize};

pub use alerts::{
    AlertFilter, AlertRefusal, AlertRegister, BoardCursor, BoardPage, Raised, Resolve, RunDay, RunOutcome, RunRecord,
    RunStep,
};
pub use audit::{AuditLog, RecordCounts};
pub use database::{AnyLoad, Database, Location, SchemaStatus};
pub use decisions::{Cursor, DecisionLog, Page, Recorded};
pub use dual::DualControl;
pub use erasure::{Erased, Erasure, ErasureRecord, ErasureRegister, LoanFacts};
pub use identity::{ApiKeyRow, IdentityStore, LoginAttempt, LoginFailures, RecentFailures, SessionRow, UserRow};
pub use models::{ModelRecord, ModelRegistry, ModelStatusChange, ModelSummary};
pub use policies::{PolicyRegister, PolicySummary, PolicyVersion};
pub use postgres::PgStore;
// The record register's contract is `integrate`'s; re-exported for this crate's callers.
pub use integrate::register::{
    Cell, CellType, LoadCounts, LoadInfo, NewRecord, QuarantineRecord, RecordColumn, RecordLoad, RecordStore,
    RecordTable, RecordVersion, RegisterError,
};
pub use screening::{ConsentScope, ScreeningEntry, ScreeningKind, ScreeningRegister};
// `Filter` and `Versions` are `integrate::register`'s; `sqlite` re-exports them for its own callers.
pub use sqlite::{
    Acting, Checkpointer, DecisionWriter, Durability, Filter, LoadWriter, Queued, QuickReader, ROWS_PER_STATEMENT,
    SqliteStore, Versions,
};
pub use workflow::{Booking, Disbursed, ReviewWorkflow};

/// Errors from a store, by concern: what is or is not stored (not found, taken, changed meanwhile, reused), a
/// value refused before it is stored (a malformed row, or a rule of the crate that owns it: `workflow`,
/// `scoring::lifecycle`, `policy::lifecycle`), and the storage itself failing.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    // What is stored.
    /// A loan with this id exists already.
    #[error("loan {0} already exists")]
    DuplicateLoan(LoanId),
    /// No loan with this id.
    #[error("loan {0} not found")]
    LoanNotFound(LoanId),
    /// Another writer appended to the loan between read and write.
    #[error("loan {loan} changed while the command ran (expected {expected} events, found {found}); run it again")]
    Conflict {
        /// The loan.
        loan: LoanId,
        /// Events the caller had seen.
        expected: u32,
        /// Events found at write time.
        found: u32,
    },
    /// An idempotency key was reused for a different event.
    #[error("key {key} was already used on loan {loan} for a different posting")]
    KeyConflict {
        /// The loan.
        loan: LoanId,
        /// The reused key.
        key: String,
    },
    /// No model with this id.
    #[error("model {0} not found")]
    ModelNotFound(String),
    /// A model id was registered before with a different name, kind, format version, creation time or artifact.
    #[error("model {0} is registered already with different metadata or a different artifact")]
    ModelClash(String),
    /// No policy version with this id.
    #[error("policy {0} not found")]
    PolicyNotFound(String),
    /// No decision with this id.
    #[error("decision {0} not found")]
    DecisionNotFound(String),
    /// The decision id is taken by another request's decision.
    #[error("decision {0}: decision_id is taken by another request's decision")]
    DecisionTaken(DecisionId),
    /// A client request id was used before for a different request.
    #[error("request id {request_id} was used before for a different request")]
    RequestReused {
        /// The request id.
        request_id: String,
    },
    /// No alert with this id.
    #[error("alert {0} not found")]
    AlertNotFound(i64),
    /// No officer with this id.
    #[error("officer {0} not found")]
    OfficerNotFound(String),
    /// An officer id was registered before with a different name, branch, authority or registration time.
    #[error("officer {0} is registered already with different data")]
    OfficerClash(String),
    /// A username is taken.
    #[error("user {0} already exists")]
    UserExists(String),
    /// A username looks like an existing one (the same `identity::Username::skeleton`).
    #[error("user {username}: username looks like an existing account ({existing})")]
    UserLooksLike {
        /// The username refused.
        username: String,
        /// The existing account it could be taken for.
        existing: String,
    },
    /// The first user can be added only while there is none.
    #[error("users exist already")]
    UsersExist,
    /// No user with this username.
    #[error("user {0} not found")]
    UserNotFound(String),
    /// An API key id is taken.
    #[error("api key {0} already exists")]
    KeyExists(String),
    /// No API key with this id.
    #[error("api key {0} not found")]
    KeyNotFound(String),
    /// No dual-control proposal with this id.
    #[error("proposal {0} not found")]
    ProposalNotFound(String),
    /// A proposal of the same kind and target is open already.
    #[error("{target}: proposal {existing} of the same kind waits for a decision already")]
    ProposalOpen {
        /// The target.
        target: String,
        /// The open proposal.
        existing: String,
    },
    /// A source's record table exists with other columns than its contract now has.
    #[error("source {name}: its stored table has columns {stored}; the contract has changed and needs a migration")]
    SchemaChanged {
        /// The source.
        name: String,
        /// The stored columns.
        stored: String,
    },

    // Values refused before they are stored.
    /// A model record or status change is malformed.
    #[error("model {model}: {field} {problem}")]
    InvalidModel {
        /// The model id as given.
        model: String,
        /// The offending field.
        field: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A policy version is malformed, or its id or version label is stored already with other content.
    #[error("policy {policy}: {field} {problem}")]
    InvalidPolicy {
        /// The policy name as given.
        policy: String,
        /// The offending field.
        field: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A decision record, review request or officer the workflow refuses.
    #[error(transparent)]
    Invalid(#[from] ::workflow::Invalid),
    /// The model lifecycle does not allow the move.
    #[error("model {model}: {refusal}")]
    ModelMove {
        /// The model.
        model: String,
        /// The lifecycle rule the move breaks.
        refusal: scoring::lifecycle::IllegalModelMove,
    },
    /// The policy lifecycle does not allow the move.
    #[error("policy {policy}: {refusal}")]
    PolicyMove {
        /// The version.
        policy: String,
        /// The lifecycle rule the move breaks.
        refusal: policy::lifecycle::IllegalPolicyMove,
    },
    /// The review workflow refuses an action on a decision.
    #[error("decision {decision}: {refusal}")]
    Review {
        /// The decision.
        decision: String,
        /// The rule the action breaks.
        refusal: ::workflow::ReviewRefusal,
    },
    /// An erasure with a field out of its bounds, or of a table it cannot erase from.
    #[error("erasure of household {household}: {field} {problem}")]
    InvalidErasure {
        /// The household as given.
        household: String,
        /// The offending field.
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// A household's loans changed between a retention judgement and its erasure.
    #[error("household {0}: its loans changed while the erasure was judged; nothing was erased, run it again")]
    HouseholdChanged(String),
    /// Dual control refuses a decision on a proposal (decided before, or by its proposer).
    #[error(transparent)]
    Dual {
        /// The rule the decision breaks.
        refusal: ::workflow::dual::DualRefusal,
    },
    /// An alert or an alert's step out of its bounds.
    #[error(transparent)]
    InvalidAlert(#[from] ::monitor::InvalidAlert),
    /// The alert register refuses a step on an alert (the workflow, or who is acting).
    #[error("alert {alert}: {refusal}")]
    Alert {
        /// The alert.
        alert: i64,
        /// Why.
        refusal: alerts::AlertRefusal,
    },
    /// An audit entry out of its bounds.
    #[error(transparent)]
    InvalidAudit(#[from] ::audit::EntryError),
    /// A disbursement is refused.
    #[error("decision {decision}: cannot disburse: {refusal}")]
    Disbursement {
        /// The decision.
        decision: String,
        /// Why.
        refusal: ::workflow::DisbursementRefusal,
    },

    // The storage itself.
    /// The data directory could not be created or read.
    #[error("data directory {path}")]
    Io {
        /// The directory.
        path: String,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },
    /// A stored row could not be read back into a domain value.
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error("database error")]
    Database(#[from] sqlx::Error),
    /// The decision writer's connection failed.
    #[error("database error (decision writer)")]
    Writer(#[from] rusqlite::Error),
    /// A schema migration failed.
    #[error("migration failed")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A `--database` location that names no store this binary can open.
    #[error("database {location}: {problem}")]
    BadLocation {
        /// The location as given, password masked.
        location: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The database could not be reached, or refused the connection.
    #[error("database {location} does not answer: {reason}")]
    Unreachable {
        /// The location, password masked.
        location: String,
        /// The driver's reason.
        reason: String,
    },
    /// The database's schema is at a version this binary does not know: a later release migrated it.
    #[error(
        "the database's schema has migration {version}, newer than this binary knows (up to {latest_known}); run a \
         release at least as new as the one that migrated it"
    )]
    SchemaNewer {
        /// The applied migration this binary does not know.
        version: i64,
        /// The latest migration this binary knows.
        latest_known: i64,
    },
    /// A migration is recorded as started and not finished.
    #[error(
        "migration {version} is recorded as unfinished; nothing after it was applied. Restore the backup taken \
         before the upgrade, or see docs/operations.md (upgrades)"
    )]
    MigrationUnfinished {
        /// The migration.
        version: i64,
    },
    /// An applied migration differs from this binary's migration of the same version.
    #[error("migration {version} was applied from a different text than this binary's; the schema is not one it knows")]
    SchemaMismatch {
        /// The migration.
        version: i64,
    },
}

impl From<StoreError> for RegisterError {
    fn from(e: StoreError) -> RegisterError {
        match e {
            StoreError::SchemaChanged { name, stored } => RegisterError::SchemaChanged { name, stored },
            other => RegisterError::Backend(Box::new(other)),
        }
    }
}

/// A loan to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewLoan {
    /// Its id.
    pub id: LoanId,
    /// The borrower.
    pub borrower: BorrowerId,
    /// Validated terms.
    pub terms: LoanTerms,
    /// The classification rule set it is judged by.
    pub rules: String,
    /// The day it was booked.
    pub booked_on: Date,
}

/// A stored loan.
pub type LoanRecord = NewLoan;

/// An event to append, with its idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEvent {
    /// The dated event.
    pub dated: DatedEvent,
    /// Idempotency key: the same key on the same loan is applied once.
    pub key: Option<String>,
}

impl NewEvent {
    /// An event whose key is its repayment id (for repayments and reversals) or none.
    pub fn keyed_by_id(dated: DatedEvent) -> NewEvent {
        let key = match &dated.event {
            LoanEvent::Repaid { id, .. } | LoanEvent::Reversed { id, .. } => Some(id.as_str().to_string()),
            _ => None,
        };
        NewEvent { dated, key }
    }
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredEvent {
    /// Position in the loan's history, from 1.
    pub seq: u32,
    /// The dated event.
    pub dated: DatedEvent,
    /// Its idempotency key.
    pub key: Option<String>,
}

/// What an append did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// Stored as event `seq`.
    New {
        /// The new event's sequence number.
        seq: u32,
    },
    /// The same key and event were stored before as event `seq`; nothing was written.
    Duplicate {
        /// The earlier event's sequence number.
        seq: u32,
    },
}

/// One line of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerLine {
    /// The event that posted it.
    pub event_seq: u32,
    /// Effective date.
    pub date: Date,
    /// Component, e.g. `disbursement` or `overdue-principal`.
    pub component: String,
    /// Signed amount.
    pub amount: Money,
    /// On reallocation lines, the earlier repayment whose split changed.
    pub reallocates: Option<String>,
}

/// The storage contract every backend fulfils. Each method is one transaction.
pub trait LoanStore: Send + Sync {
    /// Creates a loan with its first events (e.g. its approval) atomically.
    fn create_loan(&self, loan: &NewLoan, events: &[NewEvent]) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The next free loan id of the form `L000001`.
    fn next_loan_id(&self) -> impl Future<Output = Result<LoanId, StoreError>> + Send;

    /// A loan by id.
    fn loan(&self, id: &LoanId) -> impl Future<Output = Result<Option<LoanRecord>, StoreError>> + Send;

    /// Every loan, ordered by id.
    fn loans(&self) -> impl Future<Output = Result<Vec<LoanRecord>, StoreError>> + Send;

    /// One borrower's loans, ordered by id.
    fn loans_of(&self, borrower: &BorrowerId) -> impl Future<Output = Result<Vec<LoanRecord>, StoreError>> + Send;

    /// A loan's events in sequence order.
    fn events(&self, id: &LoanId) -> impl Future<Output = Result<Vec<StoredEvent>, StoreError>> + Send;

    /// How many events each loan has, by loan id (loans without events are left out): events are only ever
    /// appended, so a count that grew tells a reader that keeps loans in memory which to read again.
    fn event_counts(&self) -> impl Future<Output = Result<std::collections::HashMap<String, u32>, StoreError>> + Send;

    /// Appends one event, its ledger lines and the status changes it caused, in one transaction, provided the loan
    /// still has `expected` events. A key seen before with the same event is a no-op reported as
    /// [`Appended::Duplicate`]; with a different event, an error.
    fn append(
        &self,
        id: &LoanId,
        expected: u32,
        event: &NewEvent,
        postings: &[Posting],
        changes: &[StatusChange],
    ) -> impl Future<Output = Result<Appended, StoreError>> + Send;

    /// The loan's ledger lines in posting order.
    fn ledger(&self, id: &LoanId) -> impl Future<Output = Result<Vec<LedgerLine>, StoreError>> + Send;

    /// Records status changes of any number of loans not recorded before, in one transaction; returns how many
    /// were new.
    fn record_changes(
        &self,
        changes: &[(LoanId, StatusChange)],
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;

    /// Recorded status changes, by date.
    fn changes(&self, id: &LoanId) -> impl Future<Output = Result<Vec<StatusChange>, StoreError>> + Send;
}

/// The kind label and the value labels of a change, as stored.
fn change_columns(change: &lending::Change) -> (&'static str, String, String) {
    use lending::Change;
    match change {
        Change::Status { from, to } => ("status", from.code().to_string(), to.code().to_string()),
        Change::Bucket { from, to } => ("bucket", from.label().to_string(), to.label().to_string()),
        Change::Class { from, to } => ("class", from.code().to_string(), to.code().to_string()),
        Change::Stage { from, to } => ("stage", from.to_string(), to.to_string()),
    }
}

/// Rebuilds a change from its stored columns through the domain's own serde names.
fn change_from_columns(kind: &str, from: &str, to: &str) -> Result<lending::Change, StoreError> {
    let json = serde_json::json!({ "kind": kind, "from": from, "to": to });
    serde_json::from_value(json).map_err(|e| StoreError::Corrupt(format!("status change {kind} {from}->{to}: {e}")))
}

/// The kind and amount columns of an event.
fn event_columns(event: &LoanEvent) -> (&'static str, Option<i64>) {
    match event {
        LoanEvent::Approved { .. } => ("approved", None),
        LoanEvent::Referred { .. } => ("referred", None),
        LoanEvent::Declined { .. } => ("declined", None),
        LoanEvent::Disbursed { amount } => ("disbursed", Some(amount.fen())),
        LoanEvent::Repaid { amount, .. } => ("repaid", Some(amount.fen())),
        LoanEvent::Reversed { .. } => ("reversed", None),
        LoanEvent::Restructured { .. } => ("restructured", None),
        LoanEvent::Deferred { .. } => ("deferred", None),
        LoanEvent::Reclassified { .. } => ("reclassified", None),
        LoanEvent::WrittenOff { .. } => ("written-off", None),
    }
}
