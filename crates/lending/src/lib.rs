//! The lending engine: products, exact schedules, repayments, the days-past-due clock (replayed, or read from
//! dated observations), five-category classification, IFRS 9 stages, portfolio quality and the loan state machine.
//!
//! Pure: no I/O, no clock reads, no randomness. Give it terms and a list of dated events and it returns the loan's
//! state on any date; storing the events is the caller's business (see the `store` crate).
#![deny(clippy::float_arithmetic)]

pub mod arrears;
pub mod classify;
pub mod portfolio;
pub mod product;
pub mod schedule;
pub mod servicing;
pub mod status;
pub mod village;

pub use arrears::{DpdObservation, NON_PERFORMING_DPD, Observed, crossing_date, dpd_on, is_non_performing};
pub use classify::{Bucket, ClassificationRules, FiveCategory, IfrsStage, Standing};
pub use portfolio::{Exposure, ParWindow, PortfolioError, PortfolioQuality};
pub use product::{
    Component, Conventions, Harvest, InterestFrequency, LoanTerms, Plan, ProductKind, TermsError, TermsParts,
    TermsRequest, UnknownProduct, Waterfall,
};
pub use schedule::{Installment, Schedule};
pub use servicing::{
    Breakdown, Change, DatedEvent, DeferralInterest, InstallmentState, Loan, LoanEvent, LoanState, Posting,
    RepaymentRecord, RestructureTerms, Servicer, ServicingError, StatusChange,
};
pub use status::{LoanStatus, TransitionError};
pub use village::{Criterion, VillageFacts, VillageRating, assess as assess_village};
