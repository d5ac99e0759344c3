//! What the data and decision benchmarks share: the simulated county they read, its keys, the median.

use std::path::{Path, PathBuf};

use privacy::{BatchedOsNonces, FieldCipher, Keyring};

/// Benchmark-only keys.
const KEYS: &str =
    "index:YWdyaXJpc2sgdGVzdCBpbmRleCBrZXksIDMyIGJ5dGU=\nk1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// A field cipher under the benchmark's keys.
pub fn cipher() -> FieldCipher<BatchedOsNonces> {
    FieldCipher::new(Keyring::parse("bench", KEYS).expect("keys"), BatchedOsNonces::new())
}

/// The county to read: `AGRIRISK_BENCH_DIR` if set, else the county preset (seed 1) simulated under `scratch`.
pub fn county(scratch: &Path) -> PathBuf {
    match std::env::var("AGRIRISK_BENCH_DIR") {
        Ok(dir) => PathBuf::from(dir),
        Err(_) => {
            let out = scratch.join("county");
            let config = simulate::Config::preset(simulate::Preset::County);
            app::simulation::write(&config, 1, &out, app::simulation::OutputFormat::Csv, 2, &|_| {}).expect("simulate");
            out
        }
    }
}

/// The median (the upper one of an even count).
pub fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}
