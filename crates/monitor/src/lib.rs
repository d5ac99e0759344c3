//! Post-loan monitoring, the pure part: what an early-warning alert is and how it may move, the book as monitoring
//! reads it, the detectors that turn it into signals, and a day's assessment that combines them into alerts.
//!
//! [`alert`] holds the vocabulary (a [`Tier`], the [`Cause`] family of signal it comes from, the
//! [`RecommendedAction`]s a loan officer reads), the workflow as one pure function ([`Status::after`]), due dates by
//! tier in a versioned [`WorkflowConfig`], and the bounds a [`NewAlert`] must keep before it is stored. [`config`] is
//! every detector's parameters, versioned ([`MonitorConfig`]); [`book`] the whole book indexed for a day's reads;
//! [`signals`] the named detectors; [`engine`] a day's assessment ([`assess_day`]); [`evaluate`] the scoring of
//! alerts against the simulator's planted truth.
//!
//! Boundary: no I/O, no clock, no database. The `store` crate keeps alerts and their append-only history and
//! applies [`Status::after`] inside its transactions; `app` loads the book and runs the days.

pub mod alert;
pub mod book;
pub mod config;
pub mod engine;
pub mod evaluate;
pub mod replay;
pub mod signals;

pub use alert::{
    Alert, AlertEvent, AlertStep, Cause, Change, ChangeKind, InvalidAlert, NewAlert, RecommendedAction, Refusal,
    Status, Tier, UnknownCode, WorkflowConfig,
};
pub use book::{Book, BookLoan, BorrowerFile, Environment};
pub use config::{InvalidConfig, MonitorConfig};
pub use engine::{DayAssessment, assess_borrower, assess_day, assess_day_on, combine};
pub use replay::{DayPlan, OpenAlert, OpenAlerts, Replay, plan_day};
pub use signals::{DayView, Signal, detect};

#[cfg(test)]
mod tests;
