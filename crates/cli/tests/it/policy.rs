//! `agririsk policy`: static checks refuse a broken file naming node and rule; a submitted version runs only after
//! a second person approves it.

use super::{agririsk, agririsk_as, ok_json, proposal_id, snapshot, stderr};

const DEFAULT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../policies/default/rural-microcredit.json");
const GAP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../policy/tests/broken/gap.json");

#[test]
fn a_policy_is_checked_before_it_is_stored_and_approved_by_a_second_person() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    assert!(agririsk(&data, &["policy", "check", DEFAULT]).status.success());
    let broken = agririsk(&data, &["policy", "check", GAP]);
    assert_eq!(broken.status.code(), Some(2));
    assert!(stderr(&broken).contains("node \"Age check\""), "{}", stderr(&broken));

    let submit = |file: &str, version: &str| {
        agririsk_as(
            "risk.li",
            &data,
            &["policy", "submit", file, "--name", "rural", "--version", version, "--effective-from", "2026-12-01"],
        )
    };
    let refused = submit(GAP, "bad");
    assert_eq!(refused.status.code(), Some(2), "a file failing its checks is never stored");
    assert!(!data.join("agririsk.sqlite").exists());
    let stored = submit(DEFAULT, "2026.12");
    assert!(stored.status.success(), "{}", stderr(&stored));
    let list = ok_json(&data, &["policy", "list", "--format", "json"]);
    let id = list[0]["id"].as_str().expect("id").to_string();
    assert_eq!(list[0]["status"], "submitted");

    let before = snapshot(&data);
    for (to, by) in [("active", "chief.wang"), ("approved", "risk.li"), ("promoted", "chief.wang")] {
        let out = agririsk_as(by, &data, &["policy", "move", &id, "--to", to]);
        assert_eq!(out.status.code(), Some(2), "{to} by {by}");
    }
    assert!(snapshot(&data) == before, "refused moves write nothing");
    // Approval is the second person's check, so activating an approved version is one step.
    for to in ["approved", "active"] {
        let out = agririsk_as("chief.wang", &data, &["policy", "move", &id, "--to", to, "--reason", "reviewed"]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    assert_eq!(ok_json(&data, &["policy", "list", "--format", "json"])[0]["status"], "active");
}

#[test]
fn retiring_a_policy_waits_for_a_second_person() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let as_ = |user: &str, args: &[&str]| agririsk_as(user, &data, args);
    let submitted = as_(
        "risk.li",
        &["policy", "submit", DEFAULT, "--name", "rural", "--version", "1", "--effective-from", "2026-12-01"],
    );
    assert!(submitted.status.success(), "{}", stderr(&submitted));
    let id = ok_json(&data, &["policy", "list", "--format", "json"])[0]["id"].as_str().expect("id").to_string();
    let status = || {
        let listed = ok_json(&data, &["policy", "list", "--format", "json"]);
        let first = listed.as_array().expect("list").iter().find(|p| p["version"] == "1").expect("v1").clone();
        first["status"].as_str().map(str::to_string)
    };
    for to in ["approved", "active"] {
        assert!(as_("chief.wang", &["policy", "move", &id, "--to", to, "--reason", "ok"]).status.success());
    }
    // A retirement without a reason is refused; with one it is a proposal and the version stays active.
    assert_eq!(as_("chief.wang", &["policy", "move", &id, "--to", "retired"]).status.code(), Some(2));
    let proposed = as_("chief.wang", &["policy", "move", &id, "--to", "retired", "--reason", "superseded"]);
    assert!(proposed.status.success(), "{}", stderr(&proposed));
    let proposal = proposal_id(&proposed);
    assert!(String::from_utf8_lossy(&proposed.stdout).contains("waits for another person"));
    assert_eq!(status().as_deref(), Some("active"));
    let listed = as_("risk.li", &["approval", "list"]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains(&proposal), "{}", stderr(&listed));
    // Its proposer cannot confirm or reject it.
    let own = as_("chief.wang", &["approval", "confirm", &proposal]);
    assert_eq!(own.status.code(), Some(2));
    assert_eq!(as_("chief.wang", &["approval", "reject", &proposal, "--reason", "x"]).status.code(), Some(2));
    assert_eq!(status().as_deref(), Some("active"));
    // A rejection does nothing; the next proposal is confirmed by another person and carried out.
    assert!(as_("risk.li", &["approval", "reject", &proposal, "--reason", "not yet"]).status.success());
    assert_eq!(status().as_deref(), Some("active"));
    let again = proposal_id(&as_("chief.wang", &["policy", "move", &id, "--to", "retired", "--reason", "superseded"]));
    assert_ne!(again, proposal);
    // The last active version leaves only once a successor is active: the confirmation carries the move out and
    // the lifecycle refuses it, so the proposal stays open and nothing changes.
    let refused = as_("risk.li", &["approval", "confirm", &again]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert_eq!(status().as_deref(), Some("active"));
    let open = ok_json(&data, &["approval", "list", "--format", "json"]);
    assert_eq!(open[0]["id"], again.as_str());
    // With a successor active, confirming again carries the retirement out, as the confirming person.
    let successor = dir.path().join("successor.json");
    std::fs::write(&successor, format!("{}\n", std::fs::read_to_string(DEFAULT).expect("policy"))).expect("write");
    let args = ["policy", "submit", successor.to_str().expect("utf-8"), "--name", "rural", "--version", "2"];
    assert!(as_("risk.li", &[&args[..], &["--effective-from", "2026-12-01"]].concat()).status.success());
    let listed = ok_json(&data, &["policy", "list", "--format", "json"]);
    let next = listed.as_array().expect("list").iter().find(|p| p["version"] == "2").expect("v2")["id"]
        .as_str()
        .expect("id")
        .to_string();
    for to in ["approved", "active"] {
        assert!(as_("chief.wang", &["policy", "move", &next, "--to", to, "--reason", "ok"]).status.success());
    }
    let confirmed = as_("risk.li", &["approval", "confirm", &again]);
    assert!(confirmed.status.success(), "{}", stderr(&confirmed));
    assert_eq!(status().as_deref(), Some("retired"));
    assert!(ok_json(&data, &["approval", "list", "--format", "json"]).as_array().expect("list").is_empty());
}
