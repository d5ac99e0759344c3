//! The portfolio report and stress runs over HTTP, end to end, on a tiny simulated county ingested with the shipped
//! decision model as champion: the report's JSON is the command's for the same date, its HTML page is whole and
//! loads nothing, a drought raises the projected figures, a branch manager reads their branch's book only, and every
//! refusal (a bad scenario, date or query field; a role without `read_portfolio`) is a 4xx naming the field; none
//! of them adds, removes or audits a record. Runs on SQLite, and on PostgreSQL with `AGRIRISK_TEST_ENGINE=postgres`.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use super::serve::{self, http_with, ok, start};
use super::{agririsk, database_of, stderr};

const ON: &str = "2026-06-30";

fn fen(v: &Value) -> i64 {
    v["fen"].as_i64().unwrap_or_else(|| panic!("an amount: {v}"))
}

fn ratio(v: &Value) -> f64 {
    v.as_str().and_then(|t| t.parse().ok()).unwrap_or_else(|| panic!("a ratio as text: {v}"))
}

/// A request that is refused: method, path, body, and the status, code and field expected ("": no field named).
type Refusal = (&'static str, String, Value, (u16, &'static str, &'static str));

/// One request as the signed-in `user`: status, head (lower-cased) and body.
fn call(addr: &str, user: &str, method: &str, path: &str, body: &Value) -> (u16, String, String) {
    let lines = serve::session(addr, user);
    let body = if body.is_null() { String::new() } else { body.to_string() };
    http_with(addr, method, path, &[&lines[0], &lines[1]], body.as_bytes())
}

/// A request that must answer 200 with JSON.
fn ok_json(addr: &str, user: &str, method: &str, path: &str, body: &Value) -> Value {
    let (status, _, answer) = call(addr, user, method, path, body);
    assert_eq!(status, 200, "{method} {path}: {answer}");
    serde_json::from_str(&answer).unwrap_or_else(|e| panic!("{e}: {answer}"))
}

/// A refusal: its status, code and field.
fn refused(addr: &str, user: &str, method: &str, path: &str, body: &Value) -> (u16, String, Option<String>) {
    let (status, _, answer) = call(addr, user, method, path, body);
    let v: Value = serde_json::from_str(&answer).unwrap_or_else(|e| panic!("{e}: {answer}"));
    let error = &v["error"];
    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()), "{answer}");
    (status, error["code"].as_str().unwrap_or_default().to_owned(), error["field"].as_str().map(str::to_owned))
}

/// The number of rows of every table of the data directory's database (the audit trail's included), read beside the
/// running server. Counts rather than bytes: the server's checkpointer moves SQLite's log into the file whenever it
/// likes, changing bytes but no record.
fn record_counts(data: &Path) -> BTreeMap<String, i64> {
    use sqlx::Connection;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let mut counts = BTreeMap::new();
        match database_of(data) {
            Some(url) => {
                let mut c = sqlx::PgConnection::connect(&url).await.expect("connect");
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT table_name::text FROM information_schema.tables \
                     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
                )
                .fetch_all(&mut c)
                .await
                .expect("the tables");
                for table in tables {
                    let sql = format!("SELECT COUNT(*) FROM \"{table}\"");
                    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&mut c).await.expect("count");
                    counts.insert(table, n);
                }
            }
            None => {
                let url = format!("sqlite://{}?mode=ro", data.join("agririsk.sqlite").display());
                let mut c = sqlx::SqliteConnection::connect(&url).await.expect("connect");
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                )
                .fetch_all(&mut c)
                .await
                .expect("the tables");
                for table in tables {
                    let sql = format!("SELECT COUNT(*) FROM \"{table}\"");
                    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&mut c).await.expect("count");
                    counts.insert(table, n);
                }
            }
        }
        assert!(counts.len() > 10 && counts.values().sum::<i64>() > 1_000, "the county is stored: {counts:?}");
        counts
    })
}

/// The first household's township (a branch of 9 digits) and the county's agro-zone.
fn township_and_zone(dir: &Path) -> (String, String) {
    let households = super::county::rows(&dir.join("county/households.csv"));
    let township = households[0]["village_code"][..9].to_owned();
    let zone = super::county::rows(&dir.join("county/counties.csv"))[0]["zone"].clone();
    (township, zone)
}

#[test]
fn portfolio_report_and_stress_over_http_match_the_command_and_write_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = serve::prepared(dir.path());
    let (township, zone) = township_and_zone(dir.path());
    let password = dir.path().join("password");
    for (user, role, branches) in [
        ("pf-risk", "risk_manager", "*"),
        ("pf-audit", "auditor", "*"),
        ("pf-branch", "branch_manager", township.as_str()),
        ("pf-officer", "loan_officer", township.as_str()),
        ("pf-model", "model_builder", "*"),
    ] {
        ok(
            &data,
            &["user", "add", user, "--role", role, "--branches", branches, "--password-file", serve::s(&password)],
        );
    }
    // The command's report, before the server holds the store.
    let out = agririsk(&data, &["portfolio", "report", "--as-of", ON, "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let command: Value = serde_json::from_slice(&out.stdout).expect("the command's JSON");

    let (_server, addr) = start(&data, &["--today", "2026-11-30", "--rate-limit", "0", "--address-rate-limit", "0"]);
    for user in ["pf-risk", "pf-audit", "pf-branch", "pf-officer", "pf-model"] {
        serve::session(&addr, user);
    }
    // From here on, nothing but a role's refusal (an audit entry) may add a record.
    let before = record_counts(&data);

    // The report over HTTP is the command's, for the whole book and for an auditor alike.
    let report = ok_json(&addr, "pf-risk", "GET", &format!("/v1/portfolio/report?as_of={ON}"), &Value::Null);
    assert_eq!(report, command, "the API's report is the command's");
    let loans = report["quality"]["loans"].as_u64().expect("loans");
    assert!(loans > 50, "the tiny county has a book: {}", report["quality"]);
    let audited =
        ok_json(&addr, "pf-audit", "GET", &format!("/v1/portfolio/report?as_of={ON}&format=json"), &Value::Null);
    assert_eq!(audited, command);

    // The HTML page: whole, loading nothing, showing the same book.
    let (status, head, page) =
        call(&addr, "pf-risk", "GET", &format!("/v1/portfolio/report?format=html&as_of={ON}"), &Value::Null);
    assert_eq!(status, 200, "{page}");
    assert!(head.contains("content-type: text/html; charset=utf-8"), "{head}");
    assert!(head.contains(&format!("filename=\"portfolio-report-{ON}.html\"")), "{head}");
    assert!(page.starts_with("<!DOCTYPE html>") && page.trim_end().ends_with("</html>"), "a whole page");
    for chart in ["trend", "classes", "vintages"] {
        assert!(page.contains(&format!("<svg data-chart=\"{chart}\"")), "chart {chart} missing");
    }
    for external in ["<script", "src=", "href=", "url(", "@import"] {
        assert!(!page.contains(external), "the page loads nothing: {external}");
    }
    assert!(page.contains(&format!("data-metric=\"loans\">{loans}<")), "the page's loan count is the JSON's");

    // A branch manager reads their branch's book: fewer loans, every one of their township.
    let branch = ok_json(&addr, "pf-branch", "GET", &format!("/v1/portfolio/report?as_of={ON}"), &Value::Null);
    let branch_loans = branch["quality"]["loans"].as_u64().expect("loans");
    assert!(branch_loans > 0 && branch_loans < loans, "{branch_loans} of {loans}");
    let by_branch = branch["breakdowns"].as_array().expect("breakdowns").iter().find(|b| b["dimension"] == "branch");
    let groups = by_branch.expect("the branch breakdown")["groups"].as_array().expect("groups");
    assert_eq!(groups.iter().map(|g| g["key"].as_str().expect("key")).collect::<Vec<_>>(), [township.as_str()]);
    let whole = report["breakdowns"].as_array().expect("breakdowns").iter().find(|b| b["dimension"] == "branch");
    let own = whole.expect("branch")["groups"].as_array().expect("groups").iter().find(|g| g["key"] == township);
    assert_eq!(own.expect("the township in the whole book")["loans"].as_u64(), Some(branch_loans));

    // A drought: stressed ECL, NPL and provision above the base; the base ECL is the report's.
    let drought = json!({"as_of": ON, "scenario": {"version": 1, "name": "drought",
        "shocks": [{"kind": "drought", "zone": zone, "loss": "0.4"}]}});
    let stressed = ok_json(&addr, "pf-risk", "POST", "/v1/portfolio/stress", &drought);
    let t = &stressed["total"];
    assert!(stressed["households_shocked"].as_u64() > Some(0), "{stressed}");
    assert_eq!(fen(&t["ecl_base"]), fen(&report["ecl"]["total"]), "the base ECL is the report's");
    assert!(fen(&t["ecl_stressed"]) > fen(&t["ecl_base"]), "a drought raises ECL: {t}");
    assert!(ratio(&t["npl_ratio_stressed"]) >= ratio(&t["npl_ratio_base"]), "the projected NPL: {t}");
    assert!(ratio(&t["npl_ratio_base"]) >= ratio(&t["npl_ratio_current"]), "{t}");
    assert!(fen(&t["provision_stressed"]) >= fen(&t["provision_current"]), "{t}");
    let defaults = (ratio(&t["defaults_base"]), ratio(&t["defaults_stressed"]));
    assert!(defaults.1 > defaults.0, "more defaults expected: {t}");
    let segments = stressed["segments"].as_array().expect("segments");
    assert_eq!(segments.iter().map(|g| fen(&g["ecl_stressed"])).sum::<i64>(), fen(&t["ecl_stressed"]));
    let branch_stress = ok_json(&addr, "pf-branch", "POST", "/v1/portfolio/stress", &drought);
    assert_eq!(branch_stress["total"]["loans"].as_u64(), Some(branch_loans), "the branch's book is stressed");

    // Refusals: a 4xx with its code, naming the field.
    let scenario = |shock: Value| json!({"as_of": ON, "scenario": {"version": 1, "name": "bad", "shocks": [shock]}});
    let cases: Vec<Refusal> = vec![
        ("GET", "/v1/portfolio/report?as_of=2026-02-30".into(), Value::Null, (422, "invalid_field", "as_of")),
        ("GET", "/v1/portfolio/report?as_of=2001-01-01".into(), Value::Null, (422, "invalid_field", "as_of")),
        ("GET", "/v1/portfolio/report".into(), Value::Null, (422, "missing_field", "as_of")),
        (
            "GET",
            format!("/v1/portfolio/report?as_of={ON}&branch=990101"),
            Value::Null,
            (422, "invalid_field", "branch"),
        ),
        ("GET", format!("/v1/portfolio/report?as_of={ON}&format=pdf"), Value::Null, (422, "invalid_field", "format")),
        (
            "POST",
            "/v1/portfolio/stress".into(),
            scenario(json!({"kind": "drought", "zone": "moon", "loss": "0.4"})),
            (422, "invalid_field", "scenario.shocks[0].zone"),
        ),
        (
            "POST",
            "/v1/portfolio/stress".into(),
            scenario(json!({"kind": "price_fall", "county": "990101", "crop": "tobacco", "fall": "0.2"})),
            (422, "invalid_field", "scenario.shocks[0].crop"),
        ),
        (
            "POST",
            "/v1/portfolio/stress".into(),
            scenario(json!({"kind": "price_fall", "county": "999999", "crop": "wheat", "fall": "0.2"})),
            (422, "invalid_field", "scenario.shocks[0].county"),
        ),
        (
            "POST",
            "/v1/portfolio/stress".into(),
            scenario(json!({"kind": "price_fall", "county": "990101", "crop": "wheat", "fall": "1.5"})),
            (422, "invalid_field", "scenario.shocks[0].fall"),
        ),
        (
            "POST",
            "/v1/portfolio/stress".into(),
            scenario(json!({"kind": "drought", "zone": zone, "loss": "0.4", "rain_mm": 3})),
            (422, "invalid_field", "scenario"),
        ),
        (
            "POST",
            "/v1/portfolio/stress".into(),
            json!({"as_of": "2001-01-01", "scenario": drought["scenario"]}),
            (422, "invalid_field", "as_of"),
        ),
        (
            "POST",
            "/v1/portfolio/stress".into(),
            json!({"scenario": drought["scenario"]}),
            (422, "missing_field", "as_of"),
        ),
        (
            "POST",
            "/v1/portfolio/stress".into(),
            json!({"as_of": ON, "scenario": drought["scenario"], "config": {}}),
            (422, "invalid_field", ""),
        ),
    ];
    for (method, path, body, (status, code, field)) in &cases {
        let (got, got_code, got_field) = refused(&addr, "pf-risk", method, path, body);
        assert_eq!((got, got_code.as_str()), (*status, *code), "{method} {path} {body}");
        if !field.is_empty() {
            assert_eq!(got_field.as_deref(), Some(*field), "{method} {path} {body}");
        }
    }
    // A body over its bound is refused before it is read.
    let long = json!({"as_of": ON, "scenario": {"version": 1, "name": "x".repeat(20_000), "shocks": []}}).to_string();
    let lines = serve::session(&addr, "pf-risk");
    let request = format!(
        "POST /v1/portfolio/stress HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{}\r\n{}\r\nConnection: close\r\n\r\n{long}",
        long.len(),
        lines[0],
        lines[1]
    );
    let (status, answer) = serve::raw_at(&addr, request.as_bytes());
    assert_eq!(status, 413, "{answer}");
    assert!(answer.contains("body_too_large"), "{answer}");

    assert_eq!(record_counts(&data), before, "neither a report, a stress run nor a refusal wrote anything");

    // Roles without `read_portfolio`: 403 on both routes.
    for user in ["pf-officer", "pf-model"] {
        let (status, code, _) = refused(&addr, user, "GET", &format!("/v1/portfolio/report?as_of={ON}"), &Value::Null);
        assert_eq!((status, code.as_str()), (403, "forbidden"), "{user}");
        let (status, code, _) = refused(&addr, user, "POST", "/v1/portfolio/stress", &drought);
        assert_eq!((status, code.as_str()), (403, "forbidden"), "{user}");
    }
    // The counts can fail: each of those refusals is an audit entry.
    let after = record_counts(&data);
    let grown: Vec<(&String, i64)> =
        after.iter().filter_map(|(t, n)| before.get(t).filter(|b| *b != n).map(|b| (t, n - b))).collect();
    assert_eq!(grown.len(), 1, "only the audit trail grew: {grown:?}");
    assert_eq!(grown[0].1, 4, "one entry per refusal: {grown:?}");
}
