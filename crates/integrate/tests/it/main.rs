//! Integration tests of data integration against a real SQLite file: loads, idempotence, corrections, quarantine,
//! sealed personal data, point-in-time histories, the borrower profile and the pseudonymised export.

mod export;
mod fixtures;
mod leakage;
mod loads;
mod profile;
