//! Integration tests of the scoring crate, in one test binary: tree-model import against the Python libraries'
//! own predictions (`import`), and training behaviour of our gradient-boosted trees (`gbdt`).

mod gbdt;
mod import;

use std::path::{Path, PathBuf};

/// The committed test fixtures.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The public credit datasets: `$CREDIT_DATA`, or `shared/data/credit` beside the workspace.
pub fn credit_data() -> PathBuf {
    let dir = std::env::var_os("CREDIT_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/credit"));
    assert!(dir.join("german.csv").is_file(), "credit datasets not found at {} (set CREDIT_DATA)", dir.display());
    dir
}
