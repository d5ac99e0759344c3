//! `agririsk profile` and `agririsk export` end to end: a tiny simulated county ingested with a key file, a profile
//! by household id and by national ID (table and JSON, nothing personal in clear), exit 2 for an unknown id without
//! echoing it, and the export's refusal without `--pseudonymised`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

use super::{agririsk, stderr};

/// A data directory with a tiny county loaded, its county files and its key file, built once for these tests.
struct Loaded {
    _dir: tempfile::TempDir,
    data: PathBuf,
    county: PathBuf,
    keys: PathBuf,
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn loaded() -> &'static Loaded {
    static LOADED: OnceLock<Loaded> = OnceLock::new();
    LOADED.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let (data, county, keys) = (dir.path().join("data"), dir.path().join("county"), dir.path().join("keys"));
        for args in [
            vec!["simulate", "--preset", "tiny", "--seed", "1", "--quiet", "--format", "csv", "--out", s(&county)],
            vec!["keys", "generate", "--out", s(&keys)],
            vec!["ingest", "--all", s(&county), "--key-file", s(&keys), "--as-of", "2026-11-28", "--quiet"],
        ] {
            let out = agririsk(&data, &args);
            assert!(out.status.success(), "{args:?} failed: {}", stderr(&out));
        }
        Loaded { _dir: dir, data, county, keys }
    })
}

/// Rows of a county CSV file as header → value maps.
fn rows(file: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(file).expect("csv");
    let header: Vec<String> = reader.headers().expect("header").iter().map(str::to_string).collect();
    reader
        .records()
        .map(|r| header.iter().cloned().zip(r.expect("record").iter().map(str::to_string)).collect())
        .collect()
}

fn profile(args: &[&str]) -> std::process::Output {
    let l = loaded();
    let mut all = vec!["profile"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--key-file", s(&l.keys)]);
    agririsk(&l.data, &all)
}

#[test]
fn profile_by_household_id_and_national_id_in_table_and_json() {
    let l = loaded();
    let loans = rows(&l.county.join("loans.csv"));
    let loan = &loans[0];
    let household = &loan["household_id"];
    let members: Vec<_> =
        rows(&l.county.join("members.csv")).into_iter().filter(|m| &m["household_id"] == household).collect();
    let head = members.iter().find(|m| m["member_no"] == "1").expect("a head");
    let as_of = "2026-06-30";

    let out = profile(&[household, "--as-of", as_of, "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    for m in &members {
        assert!(!text.contains(&m["national_id"]) && !text.contains(&m["name"]), "personal data in clear");
        assert!(m["phone"].is_empty() || !text.contains(&m["phone"]), "a phone in clear");
    }
    let v: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["household"]["household_id"], household.as_str());
    assert_eq!(v["as_of"], as_of);
    assert_eq!(v["members"].as_array().expect("members").len(), members.len());
    assert!(v["members"][0]["national_id"].as_str().expect("masked id").contains("********"));
    assert!(v["alerts"]["items"].as_array().expect("alerts").is_empty());
    assert!(v["alerts"]["note"].as_str().expect("note").contains("not built yet"));
    let features = v["features"].as_array().expect("features");
    assert!(!features.is_empty() && features.iter().all(|f| f["name"].is_string()));
    for l in v["loans"].as_array().expect("loans") {
        assert!(l["start_date"].as_str().expect("date") <= as_of, "no loan starting after the date");
        let paid = l["paid"].as_str().expect("amounts are strings");
        assert!(paid.split_once('.').is_some_and(|(_, f)| f.len() == 2), "{paid}");
    }

    // The same household by its head's national ID, as a table.
    let out = profile(&[&head["national_id"], "--as-of", as_of]);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.starts_with(&format!("household {household} as of {as_of}")), "{table}");
    assert!(!table.contains(&head["national_id"]) && !table.contains(&head["name"]));
    assert!(table.contains("features as of") && table.contains("alerts: post-loan monitoring is not built yet"));
}

#[test]
fn an_unknown_id_exits_2_without_echoing_it() {
    let unknown = "990101199001011234";
    let out = profile(&[unknown, "--as-of", "2026-06-30"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.starts_with("error: id: "), "{err}");
    assert!(!err.contains(unknown) && err.contains("990101********1234"), "{err}");
    let out = profile(&["13800001234", "--as-of", "2026-06-30"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!stderr(&out).contains("13800001234"), "{}", stderr(&out));
    let out = profile(&["H9999999", "--as-of", "2026-06-30"]);
    assert_eq!(out.status.code(), Some(2));
    let out = profile(&["nobody", "--as-of", "2026-06-30"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn export_refuses_without_pseudonymised_and_writes_pseudonyms_with_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out_dir = dir.path().join("export");
    let out = agririsk(&dir.path().join("data"), &["export", "--out", s(&out_dir)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("only pseudonymised exports are offered"), "{}", stderr(&out));
    assert!(!out_dir.exists() && !dir.path().join("data").exists(), "nothing written");

    let l = loaded();
    let args = ["export", "--pseudonymised", "--out", s(&out_dir), "--scope", "t1", "--key-file", s(&l.keys)];
    let out = agririsk(&l.data, &args);
    assert!(out.status.success(), "{}", stderr(&out));
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("manifest.json")).expect("manifest")).expect("json");
    assert_eq!(manifest["pseudonymised"], true);
    assert_eq!(manifest["scope"], "t1");
    let households = std::fs::read_to_string(out_dir.join("households.csv")).expect("households");
    assert!(households.lines().nth(1).expect("a row").starts_with("P-"));
    // A second export into the same directory is refused.
    let again = agririsk(&l.data, &args);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).starts_with("error: out: "), "{}", stderr(&again));
}
