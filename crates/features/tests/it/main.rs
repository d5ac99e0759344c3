//! Integration tests of the feature engine: hand-built histories with known answers for every feature group, the
//! point-in-time (leakage) property, the catalogue against `docs/features.md`, and an end-to-end run on a tiny
//! simulated county.

mod crop_condition;
mod docs;
mod fixtures;
mod groups;
mod leakage;
mod simulated;
