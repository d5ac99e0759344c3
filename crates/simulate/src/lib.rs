//! A synthetic rural county whose defaults have real causes.
//!
//! Specification: `shared/domain/synthetic-population.md`. Pure: takes a configuration and a seed, returns data;
//! every run is determined by (config, seed). Loans are booked and serviced by the `lending` crate itself, so
//! DPD and classification here are the product's own.

pub mod config;
pub mod features;
pub mod market;
pub mod report;
pub mod rng;
pub mod run;
pub mod satellite;
pub mod tables;
pub mod text;
pub mod world;

pub use config::{Config, ConfigError, Preset};
pub use report::{Report, report};
pub use run::{Simulation, run, run_streaming};
pub use tables::Tables;
