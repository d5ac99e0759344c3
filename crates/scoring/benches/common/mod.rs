//! What the benchmarks and the tuning example share: where the public credit datasets are, their special codes,
//! and summary statistics.

#![allow(dead_code)] // each user takes what it needs

use std::path::PathBuf;

use scoring::scorecard::ScorecardConfig;

/// The public credit datasets committed under `data/credit` in the workspace, or `$AGRIRISK_CREDIT_DATA`.
pub fn data_dir() -> PathBuf {
    match std::env::var_os("AGRIRISK_CREDIT_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/credit"),
    }
}

/// Declares a dataset's special codes: bloan's late-payment counts use 96 and 98 as codes, not counts (as in
/// "Give Me Some Credit").
pub fn special_codes(dataset: &str, config: &mut ScorecardConfig) {
    if dataset == "bloan" {
        for column in ["due30", "due60", "due90"] {
            config.special_codes.entry(column.into()).or_insert_with(|| vec![96.0, 98.0]);
        }
    }
}

/// Median (the mean of the middle two for an even count).
pub fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}
