//! `agririsk policy`: static checks refuse a broken file naming node and rule; a submitted version runs only after
//! a second person approves it.

use super::{agririsk, ok_json, snapshot, stderr};

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
        agririsk(
            &data,
            &[
                "policy",
                "submit",
                file,
                "--name",
                "rural",
                "--version",
                version,
                "--effective-from",
                "2026-12-01",
                "--by",
                "risk.li",
            ],
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
        let out = agririsk(&data, &["policy", "move", &id, "--to", to, "--by", by]);
        assert_eq!(out.status.code(), Some(2), "{to} by {by}");
    }
    assert!(snapshot(&data) == before, "refused moves write nothing");
    for to in ["approved", "active"] {
        let out = agririsk(&data, &["policy", "move", &id, "--to", to, "--by", "chief.wang", "--reason", "reviewed"]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    assert_eq!(ok_json(&data, &["policy", "list", "--format", "json"])[0]["status"], "active");
}
