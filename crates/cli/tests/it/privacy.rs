//! `agririsk privacy retention | erase` end to end on a tiny simulated county: an erasure leaves none of the
//! household's sealed names, ID numbers, phones or blind indexes in the database or WAL bytes, its profile says it
//! was erased, loans, ledgers and features are as they were, `audit verify` passes with the erase entry naming who
//! and why; an open loan refuses it with nothing changed (unless the hold is overridden, recorded); another
//! household is untouched; erasing twice is a no-op.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use store::{Cell, Filter, RecordStore, Versions};

use super::{agririsk, ok_json, snapshot, stderr};

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// A fresh county of its own (erasing changes it), its files and key file: simulated from 2012 and loaded as of
/// 2014-06-30, so that anti-money-laundering's ten years have run out today for households whose loans are closed.
struct County {
    _dir: tempfile::TempDir,
    data: PathBuf,
    files: PathBuf,
    keys: PathBuf,
}

fn county() -> County {
    let dir = tempfile::tempdir().expect("temp dir");
    let (data, files, keys) = (dir.path().join("data"), dir.path().join("county"), dir.path().join("keys"));
    let config = dir.path().join("config.json");
    std::fs::write(&config, r#"{"start_year": 2012}"#).expect("write the configuration");
    let (config, out) = (s(&config), s(&files));
    for args in [
        vec![
            "simulate", "--preset", "tiny", "--config", config, "--seed", "1", "--quiet", "--format", "csv", "--out",
            out,
        ],
        vec!["keys", "generate", "--out", s(&keys)],
        vec!["ingest", "--all", s(&files), "--key-file", s(&keys), "--as-of", "2014-06-30", "--quiet"],
    ] {
        let out = agririsk(&data, &args);
        assert!(out.status.success(), "{args:?} failed: {}", stderr(&out));
    }
    County { _dir: dir, data, files, keys }
}

fn rows(file: &Path) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(file).expect("csv");
    let header: Vec<String> = reader.headers().expect("header").iter().map(str::to_string).collect();
    reader
        .records()
        .map(|r| header.iter().cloned().zip(r.expect("record").iter().map(str::to_string)).collect())
        .collect()
}

/// Every stored `members` row as (household id, its personal cells: tokens and blind indexes), read through the
/// store as someone with the database file would.
fn stored_members(data: &Path) -> Vec<(String, Vec<Cell>)> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let store = super::store_of(data).await;
        let table = integrate::schema::record_table(ingest::contracts::by_name("members").expect("contract"));
        let columns = ["household_id", "name", "national_id", "national_id_bidx", "phone", "phone_bidx"];
        let rows =
            store.scan_records(&table, &columns, Filter::All, Versions::Current, None).await.expect("scan members");
        store.close().await;
        rows.into_iter()
            .map(|mut cells| {
                let personal = cells.split_off(1);
                let Cell::Text(id) = &cells[0] else { panic!("a household id") };
                (id.clone(), personal)
            })
            .collect()
    })
}

fn texts(cells: &[Cell]) -> Vec<String> {
    cells.iter().filter_map(|c| if let Cell::Text(t) = c { Some(t.clone()) } else { None }).collect()
}

/// Whether `needle` occurs in the bytes of the database file or its WAL.
fn in_files(data: &Path, needle: &str) -> bool {
    super::database_bytes(data).windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Households whose loans in the county files are all closed and never overdue, and households with an open loan.
fn households_by_loans(files: &Path) -> (Vec<String>, Vec<String>) {
    let mut open = Vec::new();
    let mut clean: HashMap<String, bool> = HashMap::new();
    for loan in rows(&files.join("loans.csv")) {
        let household = loan["household_id"].clone();
        let closed_clean = loan["status_at_end"] == "closed" && loan["max_dpd"] == "0";
        if ["disbursed", "active", "overdue"].contains(&loan["status_at_end"].as_str()) {
            open.push(household.clone());
        }
        *clean.entry(household).or_insert(true) &= closed_clean;
    }
    let mut closed: Vec<String> = clean.into_iter().filter(|(_, ok)| *ok).map(|(h, _)| h).collect();
    closed.sort();
    open.sort();
    open.dedup();
    (closed, open)
}

fn run(data: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = agririsk(data, args);
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned(), stderr(&out))
}

#[test]
fn an_erasure_removes_the_households_personal_data_and_nothing_else() {
    let c = county();
    let (closed, open) = households_by_loans(&c.files);
    let members = stored_members(&c.data);
    // The household to erase: all loans repaid on time, with a phone on file; another with an open loan.
    let target = closed
        .iter()
        .find(|h| members.iter().any(|(id, cells)| id == *h && matches!(cells[3], Cell::Text(_))))
        .expect("a household with closed loans and a phone")
        .clone();
    let held = open.first().expect("a household with an open loan").clone();
    let national_id = rows(&c.files.join("members.csv"))
        .into_iter()
        .find(|m| m["household_id"] == target)
        .map(|m| m["national_id"].clone())
        .expect("a member");
    let own: Vec<String> = members.iter().filter(|(id, _)| *id == target).flat_map(|(_, c)| texts(c)).collect();
    assert!(own.len() >= 4, "tokens and blind indexes of {target}: {own:?}");
    assert!(own.iter().all(|t| in_files(&c.data, t)), "the scan sees them before");
    let others: Vec<(String, Vec<Cell>)> = members.iter().filter(|(id, _)| *id != target).cloned().collect();

    // A booked loan of the held household, repaid once: the portfolio and its ledger must not move.
    let terms =
        ["--product", "equal-installment", "--principal", "1200", "--annual-rate", "0.06", "--term-months", "2"];
    let create = [&["loan", "create", "--borrower", &held, "--id", "L1"][..], &terms, &["--start", "2026-01-01"]];
    ok_json(&c.data, &[&create.concat()[..], &["--format", "json"]].concat());
    assert!(agririsk(&c.data, &["loan", "disburse", "L1"]).status.success());
    ok_json(&c.data, &["loan", "repay", "L1", "--amount", "100", "--date", "2026-01-10", "--format", "json"]);
    let portfolio = || ok_json(&c.data, &["loan", "list", "--as-of", "2026-06-30", "--format", "json"]);
    let loan = || ok_json(&c.data, &["loan", "show", "L1", "--as-of", "2026-06-30", "--format", "json"]);
    let profile = |id: &str, extra: &[&str]| {
        let mut args = vec!["profile", id, "--as-of", "2026-06-30", "--key-file", s(&c.keys)];
        args.extend_from_slice(extra);
        agririsk(&c.data, &args)
    };
    let profile_json = |id: &str| -> Value {
        let out = profile(id, &["--format", "json"]);
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_slice(&out.stdout).expect("json")
    };
    let (portfolio_before, loan_before, profile_before) = (portfolio(), loan(), profile_json(&target));
    assert!(profile_before.get("erasure").is_none(), "no erasure note before");

    // (d) An open loan holds the data: exit 2 naming the rule, nothing changed.
    let before = snapshot(&c.data);
    let (code, _, err) = run(&c.data, &["privacy", "erase", &held, "--reason", "asked"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("open_loan"), "the rule is named: {err}");
    assert_eq!(snapshot(&c.data), before, "a refused erasure changes nothing");
    // A legal minimum not yet passed holds it too; an unknown household or a malformed id is bad input.
    let (code, _, err) = run(&c.data, &["privacy", "erase", &target, "--reason", "asked", "--as-of", "2020-01-01"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("aml_identity"), "{err}");
    for args in [
        vec!["privacy", "erase", "H9999999", "--reason", "asked"],
        vec!["privacy", "erase", &national_id, "--reason", "asked"],
        vec!["privacy", "erase", &target, "--reason", " "],
        vec!["privacy", "erase", &target, "--reason", "asked", "--as-of", "2099-01-01"],
    ] {
        let (code, _, err) = run(&c.data, &args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(!err.contains(&national_id), "an ID number typed by mistake is not echoed: {err}");
    }
    assert_eq!(snapshot(&c.data), before, "refusals change nothing");

    // The retention report lists the household as past retention today, and the held one under open_loan.
    let report = ok_json(&c.data, &["privacy", "retention", "--format", "json"]);
    let past: Vec<&str> =
        report["past"].as_array().expect("past").iter().filter_map(|p| p["household_id"].as_str()).collect();
    assert!(past.contains(&target.as_str()) && !past.contains(&held.as_str()), "{report}");
    assert!(report["held"]["open_loan"].as_u64().expect("count") >= 1, "{report}");

    let (code, out, err) =
        run(&c.data, &["privacy", "erase", &target, "--reason", "borrower's request (PIPL art. 47)"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("personal data erased") && out.contains("members"), "{out}");

    // (a) Gone from the bytes of the database and its WAL; the profile says so, masked or unmasked.
    for token in &own {
        assert!(!in_files(&c.data, token), "{target}'s {token} is still in the files");
    }
    let after = profile_json(&target);
    assert!(after["erasure"]["note"].as_str().expect("note").contains("erased"), "{after}");
    assert!(after["erasure"]["erased_at"].is_string());
    for m in after["members"].as_array().expect("members") {
        assert_eq!((m["name"].as_str(), m["national_id"].as_str(), &m["phone"]), (Some(""), Some(""), &Value::Null));
    }
    let out = agririsk(&c.data, &["profile", &national_id, "--key-file", s(&c.keys), "--as-of", "2026-06-30"]);
    assert_eq!(out.status.code(), Some(2), "the erased ID number no longer finds the household");
    let table = profile(&target, &["--format", "table"]);
    assert!(String::from_utf8_lossy(&table.stdout).contains("personal data erased"));

    let report = ok_json(&c.data, &["privacy", "retention", "--format", "json"]);
    assert!(!report["past"].as_array().expect("past").iter().any(|p| p["household_id"] == target.as_str()));
    assert_eq!(report["nothing_left"], 1, "{report}");

    // (b) Loans, ledgers, the portfolio and the household's features are unchanged.
    assert_eq!(portfolio(), portfolio_before);
    assert_eq!(loan(), loan_before);
    assert_eq!(after["features"], profile_before["features"], "features never read personal values");
    assert_eq!(after["loans"], profile_before["loans"]);
    assert_eq!(after["household"], profile_before["household"]);

    // (e) Every other household's personal data is as it was.
    let now: Vec<(String, Vec<Cell>)> = stored_members(&c.data).into_iter().filter(|(id, _)| *id != target).collect();
    assert_eq!(now, others);
    assert!(texts(&others[0].1).iter().all(|t| in_files(&c.data, t)), "another household's tokens are still there");

    // (c) The trail verifies and holds the erase entry naming who and why.
    let (code, out, err) = run(&c.data, &["audit", "verify"]);
    assert_eq!(code, Some(0), "{out}{err}");
    let export = c.data.parent().expect("parent").join("trail.jsonl");
    let args = ["audit", "export", "--from", "2000-01-01", "--to", "2099-12-31", "--out", s(&export)];
    assert!(agririsk(&c.data, &args).status.success());
    let trail = std::fs::read_to_string(&export).expect("export");
    let erase: Vec<Value> = trail
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("json"))
        .filter(|e| e["action"] == "privacy.erase")
        .collect();
    assert_eq!(erase.len(), 1, "{trail}");
    assert_eq!(erase[0]["target"], format!("household:{target}"));
    assert!(erase[0]["actor"].as_str().expect("actor").starts_with("os:"));
    let detail: Value = serde_json::from_str(erase[0]["detail"].as_str().expect("detail")).expect("json");
    assert_eq!(detail["reason"], "borrower's request (PIPL art. 47)");
    assert_eq!(detail["rule"], "aml_identity");

    // Erasing twice is a no-op that says so.
    let before = snapshot(&c.data);
    let (code, out, _) = run(&c.data, &["privacy", "erase", &target, "--reason", "again"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("no personal data left"), "{out}");
    assert_eq!(snapshot(&c.data), before, "nothing written the second time");

    // An override sets the open loan's hold aside, recorded with its reason.
    let args = [
        "privacy",
        "erase",
        &held,
        "--reason",
        "court order",
        "--override-hold",
        "court order 2039-17",
        "--format",
        "json",
    ];
    let done = ok_json(&c.data, &args);
    assert_eq!(done["outcome"], "erased");
    assert_eq!(done["overridden"], "open_loan");
    assert_eq!(done["erasure"]["override_hold"], "court order 2039-17");
    assert_eq!(portfolio(), portfolio_before, "the loan itself is untouched");
    assert!(agririsk(&c.data, &["audit", "verify"]).status.success());
}

/// Over HTTP, the profile of an erased household answers with the erasure note instead of failing, masked or
/// unmasked; unmasking finds nothing left to show.
#[test]
fn an_erased_profile_over_http_says_nothing_is_left_to_unmask() {
    use super::serve::{http_with, prepared, session, start};
    let dir = tempfile::tempdir().expect("temp dir");
    let data = prepared(dir.path());
    let keys = dir.path().join("keys");
    let (code, _, err) = run(&data, &["privacy", "erase", "H0000002", "--reason", "asked", "--override-hold", "test"]);
    assert_eq!(code, Some(0), "{err}");
    let (_server, addr) = start(&data, &["--today", "2025-10-12", "--key-file", s(&keys)]);
    let manager = session(&addr, "it-checker");
    let headers: Vec<&str> = manager.iter().map(String::as_str).collect();
    let path = "/v1/households/H0000002/profile?as_of=2025-10-01";
    for (query, says) in [("", "no longer stored"), ("&unmask=identity%20check", "left to unmask")] {
        let (status, _, body) = http_with(&addr, "GET", &format!("{path}{query}"), &headers, b"");
        assert_eq!(status, 200, "{body}");
        let profile: Value = serde_json::from_str(&body).expect("json");
        assert!(profile["erasure"]["note"].as_str().expect("a note").contains(says), "{profile}");
        let members = profile["members"].as_array().expect("members");
        assert!(!members.is_empty() && members.iter().all(|m| m["national_id"] == "" && m["name"] == ""), "{profile}");
    }
}
