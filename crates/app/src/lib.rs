//! The agririsk service layer: the application's use cases over the store's registers, shared by the command line,
//! the HTTP server and the demo, so none of them keeps a rule of its own.
//!
//! Each use case takes typed requests and returns typed results or an [`Error`] carrying a stable [`ErrorCode`]
//! from the one table in [`error`]. The clock (`domain::Clock`) and the store are passed in: nothing here reads the
//! system time. Modules: [`alerts`] (the early-warning alert board and its workflow steps), [`approvals`] (dual control: one person proposes, another confirms and it is carried out),
//! [`audit`] (verify, export and checkpoint the audit trail), [`loans`] (book, post, position, portfolio, classify), [`decisions`] (the decider from the
//! registers; decide and record), [`disbursement`] (a decision to a loan, in one transaction), [`policy_sim`]
//! (replay past applications through a candidate), [`review`] (an officer's bounded action on a referral), [`screening`] (consents, list hits and
//! fraud cases on file),
//! [`village`] (whole-village pre-credit and the 信用村 rating), [`portfolio`] (portfolio risk and stress tests), [`escalation`] (overdue alerts moved up to the branch manager), [`portfolio_alerts`] (concentration and drift alerts), [`views`] (the JSON documents of loans and
//! postings), [`policies`] (static checks and the policy lifecycle), [`models`] (train, evaluate, score, report,
//! import and register credit models), [`ingest`] (loading files; key files), [`profile`] (a borrower's profile
//! and the pseudonymised export), [`privacy`] (retention and erasure of personal data), [`features`] (the point-in-time feature table), [`simulation`] (writing a
//! simulated county), [`files`] (outputs that arrive whole) and [`page`] (a page of an ordered list, for the lists
//! the store cannot page itself).

pub mod alerts;
pub mod approvals;
pub mod audit;
pub mod booked;
pub mod decisions;
pub mod disbursement;
pub mod error;
pub mod escalation;
pub mod features;
pub mod files;
pub mod identity;
pub mod ingest;
pub mod loans;
pub mod models;
pub mod monitoring;
pub mod page;
pub mod policies;
pub mod policy_sim;
pub mod portfolio;
pub mod portfolio_alerts;
pub mod privacy;
pub mod profile;
pub mod resident;
pub mod review;
pub mod screening;
pub mod simulation;
pub mod views;
pub mod village;

pub use error::{Error, ErrorCode};
