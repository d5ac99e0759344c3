//! A tiny simulated county ready for decisions, built once and shared by the `village` and `policy simulate`
//! tests: its files ingested, the shipped decision model registered and promoted to champion, and the default
//! policy submitted, approved and activated by two people.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Mutex, MutexGuard, OnceLock};

use super::{agririsk, agririsk_as, dual, ok_json, stderr};

/// The shipped decision model (trained on a `--preset county` simulation; the tiny county has too few defaults).
pub const MODEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/decision-scorecard.json");
/// The shipped default policy.
pub const DEFAULT_POLICY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../policies/default/rural-microcredit.json");

/// The loaded county.
pub struct County {
    _dir: tempfile::TempDir,
    /// The data directory.
    pub data: PathBuf,
    /// The simulated county files.
    pub files: PathBuf,
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn ok(data: &Path, args: &[&str]) -> String {
    let out = agririsk(data, args);
    assert!(out.status.success(), "{args:?} failed: {}", stderr(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The data sources a decision reads only with a consent to them (`privacy::consent`).
pub const SOURCES: [&str; 3] = ["bureau_reports", "transactions", "insurance_claims"];

/// A screening file with the signed consent forms of each of the tiny county's households (H0000001–H0000500),
/// effective 2020-01-01: the credit-check consent and a consent to each data source for credit assessment. Consent
/// comes from the lender's register, never from an application.
pub fn consents(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("consents.csv");
    let mut text = String::from("household_id,kind,effective_on,source,note,data_source,purpose\n");
    for h in 1..=500 {
        text.push_str(&format!("H{h:07},consent,2020-01-01,branch-forms,signed at the branch,,\n"));
        for source in SOURCES {
            text.push_str(&format!(
                "H{h:07},consent,2020-01-01,branch-forms,signed at the branch,{source},credit_assessment\n"
            ));
        }
    }
    std::fs::write(&path, text).expect("write the consent file");
    path
}

/// The county, set up on first use.
pub fn county() -> &'static County {
    static COUNTY: OnceLock<County> = OnceLock::new();
    COUNTY.get_or_init(|| {
        assert!(Path::new(MODEL).exists(), "the decision model {MODEL} is shipped with the repository");
        let dir = tempfile::tempdir().expect("temp dir");
        let (data, files, keys) = (dir.path().join("data"), dir.path().join("county"), dir.path().join("keys"));
        ok(&data, &["simulate", "--preset", "tiny", "--seed", "1", "--quiet", "--format", "csv", "--out", s(&files)]);
        ok(&data, &["keys", "generate", "--out", s(&keys)]);
        ok(&data, &["ingest", "--all", s(&files), "--key-file", s(&keys), "--as-of", "2026-11-28", "--quiet"]);
        ok(&data, &["screening", "load", s(&consents(dir.path()))]);
        ok(&data, &["model", "register", "--model", MODEL]);
        let models = ok_json(&data, &["model", "list", "--format", "json"]);
        let model = models[0]["id"].as_str().expect("model id").to_owned();
        dual(&data, "alice", "bob", &["model", "promote", "--id", &model, "--to", "champion", "--reason", "tests"]);
        let submitted = agririsk_as(
            "alice",
            &data,
            &[
                "policy",
                "submit",
                DEFAULT_POLICY,
                "--name",
                "rural-microcredit",
                "--version",
                "default",
                "--effective-from",
                "2000-01-01",
            ],
        );
        assert!(submitted.status.success(), "{}", stderr(&submitted));
        let policies = ok_json(&data, &["policy", "list", "--format", "json"]);
        let policy = policies[0]["id"].as_str().expect("policy id").to_owned();
        for to in ["approved", "active"] {
            let moved = agririsk_as("bob", &data, &["policy", "move", &policy, "--to", to]);
            assert!(moved.status.success(), "{}", stderr(&moved));
        }
        County { _dir: dir, data, files }
    })
}

/// Rows of a county CSV file as header → value maps.
pub fn rows(file: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(file).expect("csv");
    let header: Vec<String> = reader.headers().expect("header").iter().map(str::to_string).collect();
    reader
        .records()
        .map(|r| header.iter().cloned().zip(r.expect("record").iter().map(str::to_string)).collect())
        .collect()
}

/// Held while a command runs on the county, so that a test comparing the data directory before and after a
/// command sees only its own command's effect.
pub fn exclusive() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs a command on the county.
pub fn run(args: &[&str]) -> Output {
    let c = county();
    let _guard = exclusive();
    agririsk(&c.data, args)
}

/// Runs a command on the county that must succeed with JSON.
pub fn run_json(args: &[&str]) -> serde_json::Value {
    let out = run(args);
    assert!(out.status.success(), "{args:?} failed: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}
