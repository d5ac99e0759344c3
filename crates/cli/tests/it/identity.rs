//! `agririsk init`, `user …` and `apikey …` end to end: the first administrator once, look-alike usernames and
//! weak passwords refused with exit 2 and nothing written, no password without a file or a terminal, and API key
//! tokens printed once and never listed.

use std::path::Path;

use serde_json::Value;

use super::{agririsk, ok_json, snapshot, stderr};

const PASSWORD: &str = "a long enough secret";

fn password_file(dir: &Path, text: &str) -> String {
    let file = dir.join(format!("pw-{}", text.len()));
    std::fs::write(&file, format!("{text}\n")).expect("write password file");
    file.display().to_string()
}

fn ok(data: &Path, args: &[&str]) -> String {
    let out = agririsk(data, args);
    assert!(out.status.success(), "{args:?} failed: {}", stderr(&out));
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Runs a command expected to be refused: exit 2, the field named, the data directory untouched.
fn refused(data: &Path, args: &[&str], field: &str) -> String {
    let before = snapshot(data);
    let out = agririsk(data, args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?} must exit 2: {err}");
    assert!(err.contains(&format!("error: {field}:")), "{args:?} must name {field}: {err}");
    assert_eq!(snapshot(data), before, "{args:?} changed the data directory");
    err
}

fn run(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

fn initialised(dir: &Path) -> std::path::PathBuf {
    let data = dir.join("data");
    let pw = password_file(dir, PASSWORD);
    let out = ok(&data, &["init", "--admin", "Admin", "--password-file", &pw]);
    assert!(out.contains("administrator admin created"), "{out}");
    data
}

#[test]
fn init_makes_the_first_administrator_once_and_never_without_a_password() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    // No file and no terminal (the test's stdin is not one): refused before anything is created.
    refused(&data, &["init", "--admin", "admin"], "password-file");
    assert!(!data.exists(), "no data directory was made");
    let short = password_file(dir.path(), "too short");
    let err = refused(&data, &["init", "--admin", "admin", "--password-file", &short], "password");
    assert!(!err.contains("too short"), "the password is never echoed: {err}");
    refused(&data, &["init", "--admin", "adm\u{200B}in", "--password-file", &short], "admin");

    let data = initialised(dir.path());
    let users = ok_json(&data, &["user", "list", "--format", "json"]);
    assert_eq!(users.as_array().map(Vec::len), Some(1));
    assert_eq!((users[0]["username"].as_str(), users[0]["role"].as_str()), (Some("admin"), Some("admin")));
    assert_eq!(users[0]["branches"], "*");
    assert!(users[0]["created_by"].as_str().is_some_and(|by| by.starts_with("os:")), "{users}");
    assert!(!users.to_string().contains("argon2"), "no hash is listed");
    let pw = password_file(dir.path(), PASSWORD);
    refused(&data, &["init", "--admin", "second", "--password-file", &pw], "admin");
}

#[test]
fn users_are_added_checked_disabled_and_reset() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = initialised(dir.path());
    let pw = password_file(dir.path(), PASSWORD);
    let add = |name: &str, role: &str, branches: &str| {
        vec!["user", "add", name, "--role", role, "--branches", branches, "--password-file", &pw]
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let out = ok(&data, &run(&add("Li.Wei", "loan_officer", "510311")));
    assert!(out.contains("user li.wei added"), "{out}");
    let err = refused(&data, &run(&add("l1wei", "loan_officer", "510311")), "username");
    assert!(err.contains("looks like an existing account"), "{err}");
    let err = refused(&data, &run(&add("\u{0430}my", "auditor", "*")), "username");
    assert!(err.contains("U+0430"), "{err}");
    refused(&data, &run(&add("amy", "root", "*")), "role");
    refused(&data, &run(&add("amy", "auditor", "51031x")), "branches");
    refused(&data, &run(&add("amy", "loan_officer", "*")), "branches");
    let own = password_file(dir.path(), "amy's own password");
    refused(
        &data,
        &["user", "add", "amy", "--role", "auditor", "--branches", "*", "--password-file", &own],
        "password",
    );

    ok(&data, &["user", "disable", "li.wei"]);
    let users = ok_json(&data, &["user", "list", "--format", "json"]);
    let li = users.as_array().expect("list").iter().find(|u| u["username"] == "li.wei").expect("listed").clone();
    assert_eq!(li["enabled"], Value::Bool(false));
    ok(&data, &["user", "enable", "li.wei"]);
    let new = password_file(dir.path(), "a brand new long password");
    ok(&data, &["user", "reset", "li.wei", "--password-file", &new]);
    refused(&data, &["user", "disable", "nobody"], "username");
    refused(&data, &["user", "reset", "li.wei"], "password-file");
    let table = ok(&data, &["user", "list"]);
    assert!(table.contains("li.wei") && table.contains("loan_officer"), "{table}");
}

#[test]
fn api_keys_are_shown_once_listed_without_secrets_and_revoked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = initialised(dir.path());
    let create = [
        "apikey",
        "create",
        "--name",
        "core banking",
        "--role",
        "system",
        "--only",
        "post_repayments,read_loans",
        "--branches",
        "*",
        "--expires-in-days",
        "90",
    ];
    let token = ok(&data, &create).trim().to_owned();
    let (id, secret) = {
        let rest = token.strip_prefix("agr_").expect("agr_ prefix");
        rest.split_once('_').expect("id and secret")
    };
    assert_eq!((id.len(), secret.len()), (12, 64), "{token}");
    let keys = ok_json(&data, &["apikey", "list", "--format", "json"]);
    assert_eq!(keys[0]["id"], id);
    assert_eq!(keys[0]["only"], serde_json::json!(["read_loans", "post_repayments"]));
    assert_eq!(keys[0]["revoked_at"], Value::Null);
    assert!(!keys.to_string().contains(secret), "the secret is never listed");
    assert_ne!(ok(&data, &create).trim(), token, "every key is new");

    let mut bad = create;
    bad[11] = "401";
    refused(&data, &bad, "expires-in-days");
    let mut bad = create;
    bad[7] = "post_repayments,fly";
    refused(&data, &bad, "only");
    let unlisted = ["apikey", "create", "--name", "x", "--role", "system", "--branches", "*", "--expires-in-days", "9"];
    refused(&data, &unlisted, "only");

    ok(&data, &["apikey", "revoke", id]);
    let keys = ok_json(&data, &["apikey", "list", "--format", "json"]);
    let revoked = keys.as_array().expect("list").iter().find(|k| k["id"] == id).expect("listed").clone();
    assert!(revoked["revoked_at"].is_string(), "{revoked}");
    refused(&data, &["apikey", "revoke", "ffffffffffff"], "id");
}
