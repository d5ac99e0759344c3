//! Dual control over HTTP, end to end with two signed-in people: an officer's authority proposed by one
//! administrator and confirmed by another; a policy retirement answered 202 and decided by a second risk manager;
//! one's own proposal refused with 403 `same_person` whether proposed over HTTP or at the command line; an unknown
//! proposal 404; a decided one 409; the list shows each caller only what they may decide.

use serde_json::Value;

use super::serve::{PASSWORD, http_with, ok, prepared, s, session, start};
use super::{agririsk_as, proposal_id, stderr};

/// One request as the signed-in `user`: status and body as JSON.
fn call(addr: &str, user: &str, method: &str, path: &str, body: &Value) -> (u16, Value) {
    let lines = session(addr, user);
    let text = if method == "GET" { String::new() } else { body.to_string() };
    let (status, _, answer) = http_with(addr, method, path, &[&lines[0], &lines[1]], text.as_bytes());
    (status, serde_json::from_str(&answer).unwrap_or(Value::Null))
}

fn code(answer: &Value) -> &str {
    answer["error"]["code"].as_str().unwrap_or("")
}

/// The audit entries as exported, one JSON object a line.
fn audit(data: &std::path::Path) -> Vec<Value> {
    let text = ok(data, &["audit", "export", "--from", "2000-01-01", "--to", "2099-12-31"]);
    text.lines().map(|l| serde_json::from_str(l).expect("json line")).collect()
}

#[test]
fn two_people_decide_authority_changes_and_policy_retirements_over_http() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = prepared(dir.path());
    let password = dir.path().join("password");
    std::fs::write(&password, PASSWORD).expect("password file");
    for (user, role) in [("it-admin2", "admin"), ("it-risk1", "risk_manager"), ("it-risk2", "risk_manager")] {
        ok(&data, &["user", "add", user, "--role", role, "--branches", "990101", "--password-file", s(&password)]);
    }
    let (_server, addr) = start(&data, &["--today", "2025-10-12"]);
    let none = Value::Null;

    // An officer, then a proposal to raise their authority by one administrator.
    let officer = serde_json::json!({"officer_id": "it-maker", "name": "Maker", "branch": "990101",
        "authority_yuan": "10000"});
    assert_eq!(call(&addr, "it-admin", "POST", "/v1/officers", &officer).0, 201);
    let raise = serde_json::json!({"authority_yuan": "50000", "reason": "promoted to senior officer"});
    let (status, proposal) = call(&addr, "it-admin", "POST", "/v1/officers/it-maker/authority", &raise);
    assert_eq!(status, 202, "{proposal}");
    let id = proposal["id"].as_str().expect("proposal id").to_owned();
    assert_eq!(
        (proposal["kind"].as_str(), proposal["proposed_by"].as_str()),
        (Some("officer_authority"), Some("user:it-admin"))
    );
    assert_eq!(proposal["payload"]["authority_fen"], 5_000_000);
    let (status, again) = call(&addr, "it-admin2", "POST", "/v1/officers/it-maker/authority", &raise);
    assert_eq!((status, code(&again)), (409, "proposal_open"), "one open proposal per officer");
    let unknown = call(&addr, "it-admin", "POST", "/v1/officers/nobody/authority", &raise);
    assert_eq!((unknown.0, code(&unknown.1)), (404, "unknown_officer"));

    // The list shows each caller what they may decide: not their own, not another role's.
    let listed = |user: &str| -> Vec<String> {
        let (status, list) = call(&addr, user, "GET", "/v1/approvals", &none);
        assert_eq!(status, 200, "{list}");
        list.as_array().expect("list").iter().map(|p| p["id"].as_str().expect("id").to_owned()).collect()
    };
    assert_eq!(listed("it-admin2"), std::slice::from_ref(&id));
    assert!(listed("it-admin").is_empty(), "the proposer does not decide it");
    assert!(listed("it-risk1").is_empty(), "a risk manager does not decide officers");

    // The proposer, another role and an unknown proposal are refused; nothing is done.
    let confirm = |user: &str, id: &str| call(&addr, user, "POST", &format!("/v1/approvals/{id}/confirm"), &none);
    let own = confirm("it-admin", &id);
    assert_eq!((own.0, code(&own.1)), (403, "same_person"), "{}", own.1);
    let other_role = confirm("it-risk1", &id);
    assert_eq!((other_role.0, code(&other_role.1)), (403, "forbidden"));
    let missing = confirm("it-admin2", "P999999");
    assert_eq!((missing.0, code(&missing.1)), (404, "unknown_proposal"));
    assert!(!audit(&data).iter().any(|e| e["action"] == "officer.authority"), "a refusal changed an authority");

    // Another administrator confirms: the authority changes, as them, naming the proposal; confirming twice is 409.
    let (status, decided) = confirm("it-admin2", &id);
    assert_eq!(status, 200, "{decided}");
    assert_eq!(
        (decided["decision"]["verdict"].as_str(), decided["decision"]["decided_by"].as_str()),
        (Some("confirmed"), Some("user:it-admin2"))
    );
    let twice = confirm("it-admin2", &id);
    assert_eq!((twice.0, code(&twice.1)), (409, "proposal_decided"));
    let changes: Vec<Value> = audit(&data).into_iter().filter(|e| e["action"] == "officer.authority").collect();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0]["actor"], "user:it-admin2");
    let detail: Value = serde_json::from_str(changes[0]["detail"].as_str().expect("detail")).expect("json");
    assert_eq!((detail["proposal"].as_str(), detail["to_fen"].as_i64()), (Some(id.as_str()), Some(5_000_000)));

    // A policy retirement is a proposal (202); the active version keeps deciding.
    let (_, policies) = call(&addr, "it-risk1", "GET", "/v1/policies", &none);
    let policy = policies[0]["policy_id"].as_str().expect("policy id").to_owned();
    let retire = serde_json::json!({"to": "retired", "reason": "superseded"});
    let moves = format!("/v1/policies/{policy}/moves");
    let (status, proposal) = call(&addr, "it-risk1", "POST", &moves, &retire);
    assert_eq!(status, 202, "{proposal}");
    let pid = proposal["id"].as_str().expect("proposal id").to_owned();
    let (_, policies) = call(&addr, "it-risk1", "GET", "/v1/policies", &none);
    assert_eq!(policies[0]["status"], "active");
    let own = confirm("it-risk1", &pid);
    assert_eq!((own.0, code(&own.1)), (403, "same_person"));
    // Confirmed by a second person, the retirement is carried out and refused by the lifecycle (the last active
    // version leaves only once a successor is active): 409, and the proposal stays open.
    let last = confirm("it-risk2", &pid);
    assert_eq!((last.0, code(&last.1)), (409, "illegal_move"), "{}", last.1);
    assert_eq!(listed("it-risk2"), std::slice::from_ref(&pid));
    let reject = |user: &str, id: &str, reason: &str| {
        call(&addr, user, "POST", &format!("/v1/approvals/{id}/reject"), &serde_json::json!({"reason": reason}))
    };
    let blank = reject("it-risk2", &pid, " ");
    assert_eq!((blank.0, code(&blank.1)), (422, "invalid_field"));
    let (status, rejected) = reject("it-risk2", &pid, "keep it until the successor is ready");
    assert_eq!((status, rejected["decision"]["verdict"].as_str()), (200, Some("rejected")));
    assert!(listed("it-risk2").is_empty());
    let (_, policies) = call(&addr, "it-risk1", "GET", "/v1/policies", &none);
    assert_eq!(policies[0]["status"], "active", "a rejected proposal does nothing");

    // The same person at the command line (os:it-risk2) and over HTTP (user:it-risk2) is one person.
    let proposed = agririsk_as("it-risk2", &data, &["policy", "move", &policy, "--to", "retired", "--reason", "x"]);
    assert!(proposed.status.success(), "{}", stderr(&proposed));
    let cli_id = proposal_id(&proposed);
    let own = confirm("it-risk2", &cli_id);
    assert_eq!((own.0, code(&own.1)), (403, "same_person"), "{}", own.1);
    assert_eq!(reject("it-risk1", &cli_id, "not now").0, 200);
}
