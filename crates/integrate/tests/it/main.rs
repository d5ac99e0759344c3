//! Integration tests of data integration against a real SQLite file: loads, idempotence, corrections, quarantine,
//! sealed personal data and point-in-time histories.

mod fixtures;
mod leakage;
mod loads;
