//! Post-loan monitoring, the pure part: what an early-warning alert is and how it may move.
//!
//! [`alert`] holds the vocabulary (a [`Tier`], the [`Cause`] family of signal it comes from, the
//! [`RecommendedAction`]s a loan officer reads), the workflow as one pure function ([`Status::after`]), due dates by
//! tier in a versioned [`WorkflowConfig`], and the bounds a [`NewAlert`] must keep before it is stored.
//!
//! Boundary: no I/O, no clock, no database. Signals, detectors and runs build on this crate; the `store` crate keeps
//! alerts and their append-only history and applies [`Status::after`] inside its transactions.

pub mod alert;

pub use alert::{
    Alert, AlertEvent, AlertStep, Cause, Change, ChangeKind, InvalidAlert, NewAlert, RecommendedAction, Refusal,
    Status, Tier, UnknownCode, WorkflowConfig,
};
