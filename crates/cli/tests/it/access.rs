//! Who may call what, end to end: every route of the server's route table (`server::auth::table`, from which the
//! router is built, so a route added without a rule is in this matrix at once) × every role × a record of the
//! caller's own branch or of another, against the real binary. Each role is a user signed in by cookie (a key for
//! the system role), scoped to one township of the tiny county.
//!
//! Expected: without credentials 401; a role whose grants lack the route's permission 403; a granted role meets a
//! record of another branch as 404 (as if it did not exist) and one of its own branch as neither 401, 403 nor 404.

use std::collections::BTreeSet;
use std::path::Path;

use identity::{Permission, Role};
use serde_json::Value;

use super::serve::{self, PASSWORD, http_with, ok, prepared, start, token_of};

/// A township's records: a household, one of its decisions, a loan, the village.
#[derive(Debug, Clone)]
struct Branch {
    household: String,
    decision: String,
    loan: String,
    village: String,
}

/// The households of the tiny county with their village codes (from the simulated `households.csv`).
fn households(dir: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(dir.join("county/households.csv")).expect("households.csv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let id = header.iter().position(|c| *c == "household_id").expect("household_id column");
    let village = header.iter().position(|c| *c == "village_code").expect("village_code column");
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .map(|cells| (cells[id].to_owned(), cells[village].to_owned()))
        .collect()
}

fn application(request_id: &str, household: &str) -> Value {
    serde_json::json!({
        "request_id": request_id, "application_id": "A1", "household_id": household, "applied_on": "2025-10-05",
        "product": "crop", "purpose": "crop-inputs", "purpose_text": "买化肥", "amount_yuan": "7400.00",
        "term_months": 9
    })
}

/// A household of `township` with an approved, disbursed decision.
fn branch_records(addr: &str, key: &str, all: &[(String, String)], township: &str) -> Branch {
    let auth = format!("Authorization: Bearer {key}");
    for (household, village) in all.iter().filter(|(_, v)| v.starts_with(township)) {
        let body = application(&format!("acc-{household}"), household).to_string();
        let (status, _, answer) = http_with(addr, "POST", "/v1/applications", &[&auth], body.as_bytes());
        let decision: Value = serde_json::from_str(&answer).expect("json");
        if !(status == 201 || status == 200) || decision["outcome"] != "approve" {
            continue;
        }
        let id = decision["decision_id"].as_str().expect("id").to_owned();
        let request = serde_json::json!({"request_id": format!("acc-d-{household}"), "disbursed_on": "2025-10-10"});
        let (status, _, loan) = http_with(
            addr,
            "POST",
            &format!("/v1/decisions/{id}/disbursement"),
            &[&auth],
            request.to_string().as_bytes(),
        );
        assert!(status == 201 || status == 200, "{loan}");
        let loan: Value = serde_json::from_str(&loan).expect("json");
        return Branch {
            household: household.clone(),
            decision: id,
            loan: loan["id"].as_str().expect("loan id").to_owned(),
            village: village.clone(),
        };
    }
    panic!("no approved household in township {township}");
}

/// The path with its parameters filled from `records`.
fn filled(path: &str, records: &Branch) -> String {
    let id = if path.starts_with("/v1/households/") {
        &records.household
    } else if path.starts_with("/v1/loans/") {
        &records.loan
    } else if path.starts_with("/v1/policies/") {
        "no-such-policy"
    } else {
        &records.decision
    };
    path.replace("{id}", id).replace("{code}", &records.village)
}

/// Whether a route reaches records of a branch (and so answers 404 for another branch's).
fn branch_scoped(method: &str, path: &str) -> bool {
    path.contains("{id}") && !path.starts_with("/v1/policies/")
        || path.contains("{code}")
        || (method == "POST" && (path == "/v1/applications" || path == "/v1/screening"))
}

/// The body a route is sent: a real application or screening entry for the branch's household, else `{}`.
fn body_for(method: &str, path: &str, records: &Branch, n: usize) -> String {
    match (method, path) {
        ("POST", "/v1/applications") => application(&format!("acc-m-{n}"), &records.household).to_string(),
        ("POST", "/v1/screening") => serde_json::json!({"entries": [{"household_id": records.household,
            "kind": "consent", "effective_on": "2025-01-01", "source": "acc", "note": ""}]})
        .to_string(),
        ("POST", _) => "{}".to_owned(),
        _ => String::new(),
    }
}

#[test]
fn every_route_answers_every_role_by_its_rule_and_branch() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = prepared(dir.path());
    let all = households(dir.path());
    let township = |h: &(String, String)| h.1[..9].to_owned();
    let own = township(&all[0]);
    let other = all.iter().map(township).find(|t| *t != own).expect("a second township");

    // One user per person role and a system key, each scoped to the own township.
    let password = dir.path().join("password");
    let people: Vec<Role> = Role::ALL.iter().copied().filter(|r| *r != Role::System).collect();
    for role in &people {
        let user = format!("acc-{}", role.code().replace('_', "-"));
        ok(
            &data,
            &["user", "add", &user, "--role", role.code(), "--branches", &own, "--password-file", serve::s(&password)],
        );
    }
    let system_perms: Vec<&str> =
        Permission::ALL.iter().filter(|p| Role::System.grants(**p)).map(|p| p.code()).collect();
    let system_key = token_of(&ok(
        &data,
        &["apikey", "create", "--name", "acc-system", "--role", "system", "--only", &system_perms.join(",")]
            .into_iter()
            .chain(["--branches", own.as_str(), "--expires-in-days", "30"])
            .collect::<Vec<_>>(),
    ));
    let (_server, addr) = start(&data, &["--today", "2025-10-12", "--rate-limit", "0", "--address-rate-limit", "0"]);
    let setup_key = serve::system_key(&addr);
    let mine = branch_records(&addr, &setup_key, &all, &own);
    let theirs = branch_records(&addr, &setup_key, &all, &other);

    // Reviewers are registered officers, so a review reaches the decision (and its branch check).
    let admin_auth = serve::authorization(&addr, "/v1/officers").expect("admin key");
    for role in [Role::LoanOfficer, Role::BranchManager] {
        let officer = format!("acc-{}", role.code().replace('_', "-"));
        let body = serde_json::json!({"officer_id": officer, "name": "o", "branch": own, "authority_yuan": "10000"});
        let (status, _, answer) = http_with(&addr, "POST", "/v1/officers", &[&admin_auth], body.to_string().as_bytes());
        assert_eq!(status, 201, "{answer}");
    }

    // Credentials by role: a session (cookie and CSRF token) for people, the key for the system.
    let mut callers: Vec<(Role, Vec<String>)> = Vec::new();
    for role in &people {
        let user = format!("acc-{}", role.code().replace('_', "-"));
        let body = serde_json::json!({"username": user, "password": PASSWORD}).to_string();
        let (status, head, answer) = http_with(&addr, "POST", "/v1/session", &[], body.as_bytes());
        assert_eq!(status, 200, "{user}: {answer}");
        let cookie = head.lines().find_map(|l| l.strip_prefix("set-cookie: ")).expect("cookie");
        assert!(cookie.contains("httponly") && cookie.contains("samesite=strict"), "{cookie}");
        let cookie = cookie.split(';').next().expect("pair").to_owned();
        let csrf: Value = serde_json::from_str(&answer).expect("json");
        let csrf = csrf["csrf_token"].as_str().expect("csrf").to_owned();
        callers.push((*role, vec![format!("Cookie: {cookie}"), format!("x-csrf-token: {csrf}")]));
    }
    callers.push((Role::System, vec![format!("Authorization: Bearer {system_key}")]));

    let table = server::auth::table();
    let mut checked = 0;
    let mut failures = Vec::new();
    for (n, route) in table.iter().enumerate() {
        let method = route.method.as_str();
        // Signing out would end the session the rest of the matrix uses; it has its own test.
        if route.path == "/v1/session" && method == "DELETE" {
            continue;
        }
        let scoped = branch_scoped(method, route.path);
        let path = filled(route.path, &mine);
        let body = body_for(method, route.path, &mine, n);
        let (status, _, answer) = http_with(&addr, method, &path, &["Authorization: Bearer nope"], body.as_bytes());
        let expected_anonymous = if route.access == server::auth::Access::Public { None } else { Some(401) };
        if let Some(code) = expected_anonymous {
            if status != code {
                failures.push(format!("{method} {path} with a forged key: {status} {answer}"));
            }
        }
        if route.access == server::auth::Access::Public {
            continue;
        }
        for (role, headers) in &callers {
            let lines: Vec<&str> = headers.iter().map(String::as_str).collect();
            let granted = match route.access {
                server::auth::Access::Needs(p) => role.grants(p),
                _ => true,
            };
            for (which, records) in [("own", &mine), ("other", &theirs)] {
                let path = filled(route.path, records);
                let body = body_for(method, route.path, records, n * 100 + checked);
                let (status, _, answer) = http_with(&addr, method, &path, &lines, body.as_bytes());
                checked += 1;
                let fine = match (granted, which, scoped) {
                    (false, _, _) => status == 403,
                    (true, "other", true) => status == 404,
                    (true, _, true) => ![401, 403, 404].contains(&status),
                    (true, _, false) => ![401, 403].contains(&status),
                };
                if !fine {
                    failures
                        .push(format!("{role} {method} {path} ({which} branch, granted {granted}): {status} {answer}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {checked} checks failed:\n{}", failures.len(), failures.join("\n"));
    // Every guarded route (but signing out) × every role × both branches.
    let guarded = table.iter().filter(|r| r.access != server::auth::Access::Public).count() - 1;
    assert_eq!(checked, guarded * callers.len() * 2, "the matrix covers every guarded route");
    assert!(guarded >= 18, "{guarded} guarded routes");

    // The OpenAPI document and the route table name the same routes.
    let (_, _, doc) = http_with(&addr, "GET", "/openapi.json", &[], b"");
    let doc: Value = serde_json::from_str(&doc).expect("json");
    let documented: BTreeSet<String> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object().expect("item").keys().map(move |m| format!("{} {path}", m.to_ascii_uppercase()))
        })
        .collect();
    // The document and its page describe the API; they are not operations of it.
    let routed: BTreeSet<String> = table
        .iter()
        .filter(|r| !(r.path == "/openapi.json" || r.path.starts_with("/docs")))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(documented, routed, "every route is documented and every documented route exists");
}
