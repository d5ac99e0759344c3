//! `agririsk ingest`, `keys` and `features build` end to end on a tiny simulated county: the load summary, sealed
//! personal data (no plaintext ID, phone or name in the database file or in any output), idempotent re-ingest,
//! refusals with exit code 2 that leave the data directory as it was, GB18030 input and the feature table.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

use super::{agririsk, snapshot, stderr};

/// A tiny county simulated once per test binary, and a key file.
fn county() -> &'static (tempfile::TempDir, PathBuf, PathBuf) {
    static COUNTY: OnceLock<(tempfile::TempDir, PathBuf, PathBuf)> = OnceLock::new();
    COUNTY.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("county");
        let status = Command::new(env!("CARGO_BIN_EXE_agririsk"))
            .args(["simulate", "--preset", "tiny", "--quiet", "--format", "csv", "--out"])
            .arg(&out)
            .status()
            .expect("simulate runs");
        assert!(status.success());
        let keys = dir.path().join("keys");
        let made = Command::new(env!("CARGO_BIN_EXE_agririsk"))
            .args(["keys", "generate", "--out"])
            .arg(&keys)
            .output()
            .expect("keys generate runs");
        assert!(made.status.success(), "{}", stderr(&made));
        (dir, out, keys)
    })
}

fn ingest(data: &Path, args: &[&str]) -> Output {
    let (_, _, keys) = county();
    let mut all = vec!["ingest", "--quiet", "--key-file", keys.to_str().expect("utf-8 path")];
    all.extend_from_slice(args);
    agririsk(data, &all)
}

/// The plaintext personal values of the simulated members: national IDs, phones and names.
fn personal_values(county: &Path) -> Vec<String> {
    let mut reader = csv::Reader::from_path(county.join("members.csv")).expect("members.csv");
    let headers = reader.headers().expect("header").clone();
    let at = |name: &str| headers.iter().position(|h| h == name).expect("column");
    let (id, phone, name) = (at("national_id"), at("phone"), at("name"));
    let mut values = Vec::new();
    for record in reader.records() {
        let record = record.expect("row");
        values.push(record[id].to_string());
        if !record[phone].is_empty() {
            values.push(record[phone].to_string());
        }
        // Two-character names also occur inside other text by chance; three-character ones are specific enough.
        if record[name].chars().count() >= 3 {
            values.push(record[name].to_string());
        }
    }
    values
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// The first of `values` that occurs in `haystack`: one pass per distinct value length, looking each window up in
/// a set (a naive search per value would take minutes over a database file).
fn find_any<'a>(haystack: &[u8], values: &'a [String]) -> Option<&'a str> {
    use std::collections::{BTreeMap, HashMap};
    let mut by_len: BTreeMap<usize, HashMap<&[u8], &str>> = BTreeMap::new();
    for v in values {
        by_len.entry(v.len()).or_default().insert(v.as_bytes(), v.as_str());
    }
    for (len, set) in &by_len {
        let first: std::collections::HashSet<u8> = set.keys().map(|k| k[0]).collect();
        for window in haystack.windows(*len) {
            if first.contains(&window[0])
                && let Some(found) = set.get(window)
            {
                return Some(found);
            }
        }
    }
    None
}

#[test]
fn a_county_ingests_with_personal_data_sealed_and_a_second_ingest_changes_nothing() {
    let (_, county, _) = county();
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let out = ingest(&data, &["--all", county.to_str().expect("path"), "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON summary");
    let loads = report["loads"].as_array().expect("loads");
    assert_eq!(loads.len(), 18, "every model-facing file of the manifest");
    for load in loads {
        assert_eq!(load["quarantined"], 0, "{load}");
        let read = load["read"].as_u64().expect("read");
        assert_eq!(load["new"].as_u64(), Some(read), "{load}");
    }
    assert!(report["skipped"].as_array().expect("skipped").iter().any(|s| s["entity"] == "household_truth"));

    // No plaintext ID, phone or (three-character) name anywhere in the data directory or in the output.
    let values = personal_values(county);
    assert!(values.len() > 5_000, "the scan has something to look for");
    let mut places: Vec<(String, Vec<u8>)> =
        snapshot(&data).into_iter().map(|(p, bytes)| (p.display().to_string(), bytes)).collect();
    places.push(("stdout".into(), out.stdout.clone()));
    places.push(("stderr".into(), out.stderr.clone()));
    places.push(("the database".into(), super::database_bytes(&data)));
    for (place, bytes) in &places {
        // The value itself is not printed: even a synthetic ID is not echoed in full.
        assert!(find_any(bytes, &values).is_none(), "plaintext personal value found in {place}");
    }
    // The scan can fail: the simulator's own members file holds the values in clear.
    let members = std::fs::read(county.join("members.csv")).expect("members.csv");
    assert!(find_any(&members, &values).is_some());
    // The sealed columns are there (tokens), and so are their blind indexes.
    let db = super::database_bytes(&data);
    assert!(contains(&db, "v1:k1:national_id:"), "national IDs are stored as tokens");

    // Again: recognised file by file, nothing written.
    let again = ingest(&data, &["--all", county.to_str().expect("path"), "--format", "json"]);
    assert!(again.status.success(), "{}", stderr(&again));
    let report: Value = serde_json::from_slice(&again.stdout).expect("JSON");
    assert!(report["loads"].as_array().expect("loads").iter().all(|l| l["already_loaded"] == true));
    let ids: Vec<i64> =
        report["loads"].as_array().expect("loads").iter().map(|l| l["load_id"].as_i64().expect("id")).collect();
    assert_eq!(ids, (1..=18).collect::<Vec<_>>(), "the earlier loads are reported, no new ones");
}

#[test]
fn wrong_header_missing_key_and_unknown_source_exit_2_and_leave_the_data_directory_unchanged() {
    let (_, county, _) = county();
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let first = ingest(&data, &["counties", county.join("counties.csv").to_str().expect("path")]);
    assert!(first.status.success(), "{}", stderr(&first));
    let before = snapshot(&data);

    let wrong = ingest(&data, &["repayments", county.join("loans.csv").to_str().expect("path")]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(stderr(&wrong).contains("loans.csv"), "{}", stderr(&wrong));
    assert!(snapshot(&data) == before, "a refused file writes nothing");

    let unknown = ingest(&data, &["cattle", county.join("counties.csv").to_str().expect("path")]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("unknown source `cattle`"), "{}", stderr(&unknown));

    let no_key = super::bin(&data)
        .args(["ingest", "villages"])
        .arg(county.join("villages.csv"))
        .env_remove("AGRIRISK_KEYS")
        .output()
        .expect("runs");
    assert_eq!(no_key.status.code(), Some(2));
    assert!(stderr(&no_key).contains("key-file"), "{}", stderr(&no_key));
    assert!(snapshot(&data) == before, "a refused command writes nothing");
}

#[test]
fn bad_rows_go_to_a_quarantine_file_and_gb18030_input_is_read() {
    let (_, county, _) = county();
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    for source in ["counties", "villages"] {
        let file = county.join(format!("{source}.csv"));
        let out = ingest(&data, &[source, file.to_str().expect("path")]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    // Households in GB18030, with one row whose village does not exist and one with a negative deposit.
    let text = std::fs::read_to_string(county.join("households.csv")).expect("households");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let village = header.iter().position(|h| *h == "village_code").expect("village_code");
    let deposits = header.iter().position(|h| *h == "deposits").expect("deposits");
    let mut dangling: Vec<String> = lines[1].split(',').map(str::to_string).collect();
    dangling[village] = "999999999999".to_string();
    lines[1] = dangling.join(",");
    let mut negative: Vec<String> = lines[2].split(',').map(str::to_string).collect();
    negative[deposits] = "-5.00".to_string();
    lines[2] = negative.join(",");
    let utf8 = lines.join("\n") + "\n";
    let (gb, _, _) = encoding_rs::GB18030.encode(&utf8);
    let path = dir.path().join("households.csv");
    std::fs::write(&path, &gb).expect("write");
    let out = ingest(&data, &["households", path.to_str().expect("path"), "--encoding", "gb18030", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let load = &report["loads"][0];
    assert_eq!(load["encoding"], "gb18030");
    assert_eq!(load["quarantined"], 2);
    assert_eq!(load["quarantined_by_reason"]["dangling-reference"], 1);
    assert_eq!(load["quarantined_by_reason"]["out-of-range"], 1);
    let file = load["quarantine_file"].as_str().expect("quarantine file");
    let quarantine = std::fs::read_to_string(file).expect("read quarantine");
    assert!(quarantine.lines().any(|l| l.contains(",village_code,999999999999,dangling-reference,")), "{quarantine}");
    assert!(quarantine.lines().any(|l| l.contains(",deposits,-5.00,out-of-range,")), "{quarantine}");
}

#[test]
fn features_build_writes_a_labelled_table_and_refuses_a_horizon_past_the_data() {
    let (_, county, _) = county();
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let out = ingest(&data, &["--all", county.to_str().expect("path")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = dir.path().join("features.csv");
    let built = agririsk(
        &data,
        &[
            "features",
            "build",
            "--as-of",
            "2025-09-30",
            "--horizon-months",
            "12",
            "--out",
            table.to_str().expect("path"),
        ],
    );
    assert!(built.status.success(), "{}", stderr(&built));
    let text = std::fs::read_to_string(&table).expect("table");
    let header = text.lines().next().expect("header");
    assert!(header.starts_with("household_id,as_of,"));
    assert!(header.ends_with(",default_90dpd_12m"));
    assert_eq!(header.split(',').count(), 2 + features::CATALOGUE.len() + 1);
    assert!(text.lines().count() > 50, "borrowers with a loan open on the date");
    for banned in ["head_gender", "minority", "head_age", "national_id", "phone"] {
        assert!(!header.split(',').any(|c| c == banned), "{banned} is not a feature");
    }

    let past = agririsk(&data, &["features", "build", "--as-of", "2026-06-30", "--out", table.to_str().expect("path")]);
    assert_eq!(past.status.code(), Some(2));
    assert!(stderr(&past).contains("needs repayment history to 2027-06-30"), "{}", stderr(&past));
}

#[test]
fn after_a_key_rotation_new_values_use_the_new_key_and_old_ones_stay_readable() {
    let (_, county, _) = county();
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let keys = dir.path().join("keys");
    let keys_arg = keys.to_str().expect("path");
    assert!(agririsk(&data, &["keys", "generate", "--out", keys_arg]).status.success());
    for source in ["counties", "villages", "households", "members"] {
        let file = county.join(format!("{source}.csv"));
        let out = agririsk(&data, &["ingest", "--quiet", "--key-file", keys_arg, source, file.to_str().expect("path")]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let rotated = agririsk(&data, &["keys", "rotate", "--key-file", keys_arg, "--id", "k2"]);
    assert!(rotated.status.success(), "{}", stderr(&rotated));
    assert_eq!(agririsk(&data, &["keys", "rotate", "--key-file", keys_arg, "--id", "k2"]).status.code(), Some(2));
    // A corrected phone for the first household's head, sealed under the new key.
    let text = std::fs::read_to_string(county.join("members.csv")).expect("members");
    let header = text.lines().next().expect("header");
    let phone = header.split(',').position(|h| h == "phone").expect("phone");
    let mut head: Vec<String> = text.lines().nth(1).expect("head").split(',').map(str::to_string).collect();
    head[phone] = "12000000000".to_string();
    let household = head[0].clone();
    let path = dir.path().join("members-fix.csv");
    std::fs::write(&path, format!("{header}\n{}\n", head.join(","))).expect("write");
    let out = agririsk(
        &data,
        &[
            "ingest",
            "--quiet",
            "--key-file",
            keys_arg,
            "--as-of",
            "2026-01-01",
            "--format",
            "json",
            "members",
            path.to_str().expect("path"),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["loads"][0]["corrected"], 1);
    let db = super::database_bytes(&data);
    assert!(contains(&db, "v1:k2:phone:"), "the correction is sealed under the new key");
    assert!(contains(&db, "v1:k1:national_id:"), "earlier values keep their key");
    // Both are readable: the profile shows the corrected phone (masked) and the other members' IDs.
    let profile =
        agririsk(&data, &["profile", &household, "--key-file", keys_arg, "--as-of", "2026-06-30", "--format", "json"]);
    assert!(profile.status.success(), "{}", stderr(&profile));
    let p: Value = serde_json::from_slice(&profile.stdout).expect("JSON");
    assert_eq!(p["members"][0]["phone"], "120****0000");
    assert!(
        p["members"]
            .as_array()
            .expect("members")
            .iter()
            .all(|m| m["national_id"].as_str().is_some_and(|id| id.contains("****")))
    );
    // Looked up by the new phone's blind index, the same household.
    let by_phone = agririsk(
        &data,
        &["profile", "12000000000", "--key-file", keys_arg, "--as-of", "2026-06-30", "--format", "json"],
    );
    assert!(by_phone.status.success(), "{}", stderr(&by_phone));
    let q: Value = serde_json::from_slice(&by_phone.stdout).expect("JSON");
    assert_eq!(q["household"]["household_id"], household.as_str());
}

#[test]
fn the_same_records_as_json_lines_are_recognised_as_unchanged() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("county");
    let status = Command::new(env!("CARGO_BIN_EXE_agririsk"))
        .args(["simulate", "--preset", "tiny", "--quiet", "--format", "both", "--out"])
        .arg(&out)
        .status()
        .expect("simulate runs");
    assert!(status.success());
    let data = dir.path().join("data");
    let first = ingest(&data, &["--all", out.to_str().expect("path")]);
    assert!(first.status.success(), "{}", stderr(&first));
    for source in ["households", "members", "loans", "repayments", "prices"] {
        let file = out.join(format!("{source}.jsonl"));
        let again = ingest(&data, &["--format", "json", source, file.to_str().expect("path")]);
        assert!(again.status.success(), "{}", stderr(&again));
        let report: Value = serde_json::from_slice(&again.stdout).expect("JSON");
        let load = &report["loads"][0];
        assert_eq!(load["already_loaded"], false, "other bytes than the CSV file");
        assert_eq!(load["new"], 0, "{source}: {load}");
        assert_eq!(load["corrected"], 0, "{source}: {load}");
        assert_eq!(load["unchanged"], load["read"], "{source}: {load}");
    }
}
