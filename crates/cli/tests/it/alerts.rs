//! The early-warning alert board over HTTP, end to end: alerts put in the data directory's store through the
//! register (`store::AlertRegister::raise`, as a monitoring run does), then read and worked through the real server
//! by signed-in officers: the board filtered and paged, one alert, an alert walked from open to closed by its holder,
//! and every refusal a 4xx with its code that leaves the alert's history as it was. Runs on SQLite, and on
//! PostgreSQL with `AGRIRISK_TEST_ENGINE=postgres`.

use std::path::Path;

use serde_json::{Value, json};
use store::{AlertRegister, AuditLog};

use super::serve::{self, http_with, ok, start, token_of};

/// The townships of the alerts: ours (990101001) and another (990102001).
const OURS: &str = "990101001";
const THEIRS: &str = "990102001";

/// Raises an alert of `household` in `branch` through the store's register; returns its number.
fn raise(data: &Path, household: &str, branch: &str, tier: &str, cause: &str, day: &str) -> i64 {
    let due = match tier {
        "red" => 3,
        "orange" => 7,
        _ => 30,
    };
    let raised_on = domain::parse_date(day).expect("a date");
    let due_on = raised_on.checked_add_days(chrono::Days::new(due)).expect("a due date");
    let alert = json!({
        "household_id": household, "loan_id": null, "branch": branch, "tier": tier, "cause": cause,
        "evidence": {"dpd": 12, "threshold_dpd": 7, "contact": "13812345678"},
        "actions": ["visit_within_3_days", "freeze_unused_line"],
        "raised_on": day, "raised_at": format!("{day}T06:00:00+08:00"), "config_version": 1,
        "due_on": due_on.to_string(),
    });
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let store = super::store_of(data).await;
        let raised = store.raise(&serde_json::from_value(alert).expect("an alert")).await.expect("raised");
        raised.alert().alert_id
    })
}

/// The audit trail's entries about `target`, as (action, actor), oldest first.
fn audited(data: &Path, target: &str) -> Vec<(String, String)> {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let store = super::store_of(data).await;
        let entries = store.audit_entries(0, 10_000).await.expect("the audit trail");
        entries.into_iter().filter(|e| e.entry.target == target).map(|e| (e.entry.action, e.entry.actor)).collect()
    })
}

/// The data directory: an administrator, the officers and readers, and four alerts. Returns the directory, the
/// data directory and the alerts' numbers (H1 red, H2 orange, H3 yellow of ours; H4 red of theirs).
fn prepared() -> (tempfile::TempDir, std::path::PathBuf, [i64; 4]) {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let password = dir.path().join("password");
    std::fs::write(&password, serve::PASSWORD).expect("password file");
    let password = serve::s(&password);
    ok(&data, &["init", "--admin", "al-admin", "--password-file", password]);
    for (user, role, branches) in [
        ("al-li", "loan_officer", OURS),
        ("al-zhang", "loan_officer", OURS),
        // Covers both townships but is registered at theirs.
        ("al-wang", "loan_officer", "990101,990102"),
        ("al-far", "loan_officer", THEIRS),
        ("al-audit", "auditor", "*"),
    ] {
        ok(&data, &["user", "add", user, "--role", role, "--branches", branches, "--password-file", password]);
    }
    let ids = [
        raise(&data, "H0000001", OURS, "red", "overdue", "2026-06-29"),
        raise(&data, "H0000002", OURS, "orange", "fund_diversion", "2026-06-30"),
        raise(&data, "H0000003", OURS, "yellow", "weather", "2026-06-28"),
        raise(&data, "H0000004", THEIRS, "red", "overdue", "2026-06-27"),
    ];
    (dir, data, ids)
}

/// One request as the signed-in `user`; the answer's status, head (lower-cased) and JSON body.
fn as_user(addr: &str, user: &str, method: &str, path: &str, body: &Value) -> (u16, String, Value) {
    let lines = serve::session(addr, user);
    let body = if body.is_null() { String::new() } else { body.to_string() };
    let (status, head, answer) = http_with(addr, method, path, &[&lines[0], &lines[1]], body.as_bytes());
    let answer = if answer.is_empty() { Value::Null } else { serde_json::from_str(&answer).expect("json") };
    (status, head, answer)
}

/// The households of a board page, in order, and the next page's path from its `Link` header.
fn page(addr: &str, user: &str, path: &str) -> (Vec<String>, Option<String>) {
    let (status, head, answer) = as_user(addr, user, "GET", path, &Value::Null);
    assert_eq!(status, 200, "{path}: {answer}");
    let households =
        answer.as_array().expect("a list").iter().map(|a| a["household_id"].as_str().expect("id").to_owned());
    let next = head
        .lines()
        .find_map(|l| l.strip_prefix("link: <"))
        .and_then(|l| l.split_once(">; rel=\"next\""))
        .map(|(path, _)| path.to_owned());
    (households.collect(), next)
}

/// Every household of the board from `path` on, following the links.
fn walk(addr: &str, user: &str, path: &str) -> Vec<String> {
    let (mut seen, mut next) = page(addr, user, path);
    while let Some(path) = next {
        let (more, after) = page(addr, user, &path);
        seen.extend(more);
        next = after;
    }
    seen
}

/// The kinds of an alert's steps, as an auditor reads them; none for an unknown alert.
fn history(addr: &str, id: i64) -> Vec<String> {
    let (status, _, alert) = as_user(addr, "al-audit", "GET", &format!("/v1/alerts/{id}"), &Value::Null);
    if status == 404 {
        return Vec::new(); // No such alert: no history.
    }
    assert_eq!(status, 200, "{alert}");
    alert["history"].as_array().expect("history").iter().map(|s| s["kind"].as_str().expect("kind").to_owned()).collect()
}

#[test]
fn alerts_board_step_and_refusals_over_http() {
    let (_dir, data, [h1, h2, h3, _h4]) = prepared();
    let admin = token_of(&ok(
        &data,
        &["apikey", "create", "--name", "al-admin-key", "--role", "admin", "--only", "manage_officers"]
            .into_iter()
            .chain(["--branches", "*", "--expires-in-days", "30"])
            .collect::<Vec<_>>(),
    ));
    let (_server, addr) = start(&data, &["--today", "2026-07-02", "--rate-limit", "0", "--address-rate-limit", "0"]);
    for (officer, branch) in [("al-li", OURS), ("al-zhang", OURS), ("al-wang", THEIRS), ("al-far", THEIRS)] {
        let body = json!({"officer_id": officer, "name": "officer", "branch": branch, "authority_yuan": "10000"});
        let auth = format!("Authorization: Bearer {admin}");
        let (status, _, answer) = http_with(&addr, "POST", "/v1/officers", &[&auth], body.to_string().as_bytes());
        assert_eq!(status, 201, "{answer}");
    }

    // The board: red first, then the oldest first; each caller sees their branches only; pages follow the links.
    assert_eq!(walk(&addr, "al-audit", "/v1/alerts"), ["H0000004", "H0000001", "H0000002", "H0000003"]);
    let (first, next) = page(&addr, "al-li", "/v1/alerts?limit=2");
    assert_eq!(first, ["H0000001", "H0000002"]);
    assert!(next.as_deref().is_some_and(|n| n.contains("limit=2&cursor=")), "{next:?}");
    assert_eq!(walk(&addr, "al-li", "/v1/alerts?limit=2"), ["H0000001", "H0000002", "H0000003"]);
    assert_eq!(walk(&addr, "al-far", "/v1/alerts?limit=1"), ["H0000004"]);
    assert_eq!(walk(&addr, "al-li", "/v1/alerts?tier=red"), ["H0000001"]);
    assert_eq!(walk(&addr, "al-li", "/v1/alerts?status=open&cause=weather&limit=1"), ["H0000003"]);
    assert!(walk(&addr, "al-li", &format!("/v1/alerts?branch={THEIRS}")).is_empty(), "another branch's: none");
    assert_eq!(walk(&addr, "al-audit", &format!("/v1/alerts?branch={THEIRS}")), ["H0000004"]);
    for (query, field) in
        [("tier=purple", "tier"), ("cursor=nonsense", "cursor"), ("limit=201", "limit"), ("officer=a%20b", "officer")]
    {
        let (status, _, answer) = as_user(&addr, "al-li", "GET", &format!("/v1/alerts?{query}"), &Value::Null);
        assert_eq!((status, answer["error"]["field"].as_str()), (422, Some(field)), "{query}: {answer}");
    }

    // One alert: household id, evidence with the phone masked, actions with labels, its history.
    let (status, _, alert) = as_user(&addr, "al-li", "GET", &format!("/v1/alerts/{h1}"), &Value::Null);
    assert_eq!(status, 200, "{alert}");
    assert_eq!(alert["household_id"], "H0000001");
    assert_eq!(alert["tier"]["code"], "red");
    assert_eq!(alert["evidence"]["contact"], "138****5678");
    assert_eq!(alert["recommended_actions"][0]["code"], "visit_within_3_days");
    assert_eq!(alert["recommended_actions"][0]["label_zh"], "3日内实地走访");
    assert_eq!(alert["history"][0]["kind"], "raise");
    for (user, path, expected) in [
        ("al-far", format!("/v1/alerts/{h1}"), (404, "alert_not_found")),
        ("al-li", "/v1/alerts/999999".to_owned(), (404, "alert_not_found")),
        ("al-li", "/v1/alerts/first".to_owned(), (422, "invalid_field")),
    ] {
        let (status, _, answer) = as_user(&addr, user, "GET", &path, &Value::Null);
        assert_eq!((status, answer["error"]["code"].as_str().unwrap_or_default()), expected, "{user} {path}: {answer}");
    }

    // The holder walks an alert from open to closed.
    let step =
        |user: &str, id: i64, body: Value| as_user(&addr, user, "POST", &format!("/v1/alerts/{id}/actions"), &body);
    for (body, status) in [
        (json!({"kind": "assign", "to": "al-li"}), "assigned"),
        (json!({"kind": "acknowledge"}), "acknowledged"),
        (
            json!({"kind": "record_action", "action": "visit_within_3_days", "outcome": "visited: the crop is flooded"}),
            "action_recorded",
        ),
        (json!({"kind": "close", "reason": "insurance claim started, repayment rescheduled"}), "closed"),
    ] {
        let (code, _, alert) = step("al-li", h1, body);
        assert_eq!((code, alert["status"]["code"].as_str()), (200, Some(status)), "{alert}");
    }
    assert_eq!(history(&addr, h1), ["raise", "assign", "acknowledge", "record_action", "close"]);
    // Each step is audited as taken by the signed-in officer.
    let steps: Vec<(String, String)> =
        audited(&data, &format!("alert:{h1}")).into_iter().filter(|(action, _)| action != "alert.raise").collect();
    let by_li = |action: &str| (format!("alert.{action}"), "user:al-li".to_owned());
    assert_eq!(steps, ["assign", "acknowledge", "record_action", "close"].map(by_li));

    // Every refusal: its status and code (and the field, where one is named), and the alert's history as it was.
    let refused = |user: &str, id: i64, body: Value, status: u16, code: &str, field: Option<&str>| {
        let before = history(&addr, id);
        let (got, _, answer) = step(user, id, body.clone());
        let error = &answer["error"];
        assert_eq!((got, error["code"].as_str()), (status, Some(code)), "{user} {body}: {answer}");
        if let Some(field) = field {
            assert_eq!(error["field"].as_str(), Some(field), "{user} {body}: {answer}");
        }
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()), "{answer}");
        assert_eq!(history(&addr, id), before, "{user} {body} wrote nothing");
    };
    refused("al-li", h2, json!({"kind": "assign", "to": "al-wang"}), 403, "alert_other_branch", Some("to"));
    refused("al-li", h2, json!({"kind": "acknowledge"}), 409, "alert_transition_refused", Some("kind"));
    refused("al-li", h1, json!({"kind": "close", "reason": "again"}), 409, "alert_transition_refused", Some("kind"));
    refused("al-li", 999_999, json!({"kind": "acknowledge"}), 404, "alert_not_found", Some("alert_id"));
    let (code, _, _) = step("al-li", h2, json!({"kind": "assign", "to": "al-li"}));
    assert_eq!(code, 200);
    refused("al-zhang", h2, json!({"kind": "acknowledge"}), 403, "alert_not_holder", Some("officer"));
    refused("al-wang", h2, json!({"kind": "acknowledge"}), 403, "alert_other_branch", Some("officer"));
    refused("al-far", h2, json!({"kind": "acknowledge"}), 404, "alert_not_found", Some("alert_id"));
    let long = json!({"kind": "record_action", "action": "cut_limit", "outcome": "字".repeat(1_001)});
    refused("al-li", h2, long, 422, "alert_invalid", Some("outcome"));
    refused("al-li", h2, json!({"kind": "close", "reason": "  "}), 422, "alert_invalid", Some("reason"));
    refused("al-li", h2, json!({"kind": "retier", "from": "orange", "to": "red"}), 422, "invalid_field", None);
    refused("al-li", h2, json!({"kind": "acknowledge", "by": "al-zhang"}), 422, "invalid_field", None);
    refused("al-audit", h3, json!({"kind": "assign", "to": "al-li"}), 403, "forbidden", None);

    // A cookie session's step without its CSRF token is refused before anything is read.
    let lines = serve::session(&addr, "al-li");
    let body = json!({"kind": "acknowledge"}).to_string();
    let (status, _, answer) =
        http_with(&addr, "POST", &format!("/v1/alerts/{h2}/actions"), &[&lines[0]], body.as_bytes());
    assert_eq!(status, 403, "{answer}");
    assert!(answer.contains("csrf_failed"), "{answer}");
    assert_eq!(history(&addr, h2), ["raise", "assign"]);
    let steps: Vec<(String, String)> =
        audited(&data, &format!("alert:{h2}")).into_iter().filter(|(action, _)| action != "alert.raise").collect();
    assert_eq!(steps, [("alert.assign".to_owned(), "user:al-li".to_owned())], "no refusal left an entry of a step");
}
