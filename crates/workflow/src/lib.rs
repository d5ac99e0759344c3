//! The credit workflow after the automated decision, as pure types with their state machines.
//!
//! [`decision`] holds what a decision says ([`Outcome`]) and the record kept of it ([`DecisionRecord`]), with the
//! checks a record passes before it is kept; [`review`] the loan officers ([`Officer`]) and the manual review of
//! referred decisions ([`ReviewState::after`]: approve or decline, and above the maker's authority a second
//! officer's confirm or reject); [`disbursement`] when an approved decision may be paid out
//! ([`check_disbursable`]); [`claim`] the leases officers take on open cases of the review queue ([`Lease`],
//! [`check_claim`]); [`dual`] dual control, one person's proposal carried out only when another confirms it
//! ([`dual::check_decision`]).
//!
//! Boundary: pure — no I/O, no clock, no database. The store keeps these values as rows and calls these rules inside
//! its transactions; its refusals carry this crate's error types.

pub mod claim;
pub mod decision;
pub mod disbursement;
pub mod dual;
pub mod review;

pub use claim::{Claim, Hold, Lease, check_claim};
pub use decision::{DecisionRecord, Invalid, NotJson, Outcome, RecordJson, ReviewRequest, Subject, UnknownOutcome};
pub use disbursement::{Disbursement, DisbursementRefusal, check_disbursable};
pub use review::{Officer, QueueItem, ReviewAction, ReviewRefusal, ReviewState, ReviewStep, Reviewed, check_reason};
