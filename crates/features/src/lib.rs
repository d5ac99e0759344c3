//! The point-in-time feature engine: what the lender knew about each borrower on a date D, as one row of named
//! features.
//!
//! - [`input`]: the records, one owned type per model-facing source file, mirroring `docs/data-contracts.md`;
//!   protected attributes and the loans' outcome columns have no field.
//! - [`known`]: the known-on rule of each record kind and the single filter that applies them.
//! - [`catalogue`]: every feature's name, definition, sources, window and unit, in column order.
//! - [`build`] (a batch) and [`for_applicant`] (one borrower) share one per-borrower function; a [`Snapshot`] holds
//!   the market and environment as of D, a [`Social`] summary the repayment state of groups and villages.
//! - [`label`]: the default label, the one place allowed to look past D.
//! - [`crop_condition`]: the remote-sensing detector, a village's NDVI series for a crop to a signal of sustained
//!   poor canopy as of a date.
//!
//! The crate is pure: no I/O except writing CSV to a caller's writer, no clock, no randomness.

pub mod capacity;
pub mod catalogue;
pub mod crop_condition;
mod engine;
mod history;
pub mod input;
pub mod known;
pub mod label;
pub mod purpose;
pub mod record;
mod snapshot;
pub mod social;
pub mod transactions;

pub use catalogue::{CATALOGUE, Feature, FeatureDef, Group, Source, Unit, Window};
pub use engine::{FeatureRow, FeatureTable, build, build_parallel, for_applicant, for_application, format_value};
pub use input::{
    Application, BorrowerRecords, BureauReport, Context, CropPass, DiseaseEvent, EmploymentShock, Household,
    InputError, InsuranceClaim, Loan, Month, NewsItem, PriceRow, Rating, Repayment, Transaction, Village, WeatherEvent,
};
pub use known::KnownOn;
pub use label::{TrainingTable, in_population, label, training_table, training_table_parallel};
pub use snapshot::Snapshot;
pub use social::{PeerState, Social, SocialDateMismatch};
