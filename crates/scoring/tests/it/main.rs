//! Integration tests of the scoring crate, in one test binary: binning invariants as properties over random data
//! (`binning_properties`), the scorecard on the public credit datasets (`credit_data`), tree-model import against
//! the Python libraries' own predictions (`import`), training behaviour of our gradient-boosted trees (`gbdt`), and
//! the HTML model report (`report`).

mod binning_properties;
mod credit_data;
mod gbdt;
mod import;
mod report;

use std::path::{Path, PathBuf};

/// The committed test fixtures.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The public credit datasets committed under `data/credit` in the workspace, or `$AGRIRISK_CREDIT_DATA`.
pub fn credit_data() -> PathBuf {
    let dir = std::env::var_os("AGRIRISK_CREDIT_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/credit"));
    assert!(dir.join("german.csv").is_file(), "credit datasets not found at {}", dir.display());
    dir
}
