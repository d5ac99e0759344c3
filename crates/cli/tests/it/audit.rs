//! `agririsk audit`: a trail written by the command line verifies, exports and is checkpointed; a repayment or an
//! entry changed behind the product's back (its trigger dropped through the store's raw statement, no `sqlite3`
//! needed) makes `verify` exit 1 naming the entry.

use std::path::Path;

use super::{agririsk, ok_json, stderr};

/// A data directory with loan L1 booked (entries 1 to 3: the loan, its approval, its disbursement), its status
/// changes (4, 5) and a repayment (6, event 3), all by the command line.
fn data_with_a_loan(dir: &Path) -> std::path::PathBuf {
    let data = dir.join("data");
    super::disbursed_l1(&data);
    ok_json(&data, &["loan", "repay", "L1", "--amount", "100", "--date", "2026-01-10", "--format", "json"]);
    data
}

/// Runs raw SQL on the data directory's database, as someone with write access to the file (SQLite) or the
/// database owner's login (PostgreSQL). `DROP TRIGGER` statements are SQLite's way past the append-only triggers;
/// on PostgreSQL the owner turns every trigger off for the session instead (`session_replication_role`).
fn tamper(data: &Path, statements: &[&str]) {
    if let Some(url) = super::database_of(data) {
        let edits: Vec<&str> = statements.iter().copied().filter(|sql| !sql.starts_with("DROP TRIGGER")).collect();
        let script = format!("SET session_replication_role = replica; {};", edits.join("; "));
        let out = std::process::Command::new("psql")
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &url, "-c", &script])
            .output()
            .expect("psql runs");
        assert!(out.status.success(), "{script}: {}", stderr(&out));
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let store = super::store_of(data).await;
        for sql in statements {
            store.execute_raw(sql).await.expect(sql);
        }
        store.close().await;
    });
}

#[test]
fn a_trail_written_by_the_command_line_verifies_and_names_the_os_user() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = data_with_a_loan(dir.path());
    let out = agririsk(&data, &["audit", "verify"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("audit trail intact: 6 entries verified"), "{text}");
    assert!(text.contains("4 loan records"), "{text}");

    let export = dir.path().join("export.jsonl");
    let out = agririsk(&data, &["audit", "export", "--from", "2000-01-01", "--to", "2099-12-31", "--out"]);
    assert_eq!(out.status.code(), Some(2), "a missing value is bad input");
    let args =
        ["audit", "export", "--from", "2000-01-01", "--to", "2099-12-31", "--out", export.to_str().expect("utf-8")];
    assert!(agririsk(&data, &args).status.success());
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&export)
        .expect("export")
        .lines()
        .map(|line| serde_json::from_str(line).expect("JSON"))
        .collect();
    assert_eq!(lines.len(), 6);
    assert_eq!(lines[0]["action"], "loan.create");
    assert_eq!(lines[5]["action"], "loan.repaid");
    assert_eq!(lines[5]["detail"], r#"{"event":3}"#);
    assert_eq!(lines[0]["origin"], "cli");
    assert!(lines[0]["actor"].as_str().expect("actor").starts_with("os:"), "{}", lines[0]);
    assert_eq!(lines[1]["prev"], lines[0]["hash"], "exported as chained");

    let out = agririsk(&data, &["audit", "export", "--from", "2026-13-01", "--to", "2026-12-31"]);
    assert_eq!(out.status.code(), Some(2), "a bad date exits 2: {}", stderr(&out));
}

#[test]
fn a_repayment_edited_behind_the_products_back_fails_verify_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = data_with_a_loan(dir.path());
    tamper(
        &data,
        &[
            "DROP TRIGGER loan_events_no_update",
            r#"UPDATE loan_events SET payload_json = replace(payload_json, '"100.00"', '"1.00"') WHERE seq = 3"#,
        ],
    );
    let out = agririsk(&data, &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("loan L1 event 3 was changed: audit entry 6 (loan.repaid)"), "{}", stderr(&out));
}

#[test]
fn an_entry_edited_behind_the_products_back_fails_verify_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = data_with_a_loan(dir.path());
    tamper(
        &data,
        &["DROP TRIGGER audit_log_no_update", "UPDATE audit_log SET actor = 'os:someone-else' WHERE seq = 2"],
    );
    let out = agririsk(&data, &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("audit entry 2 was edited"), "{}", stderr(&out));
}

#[test]
fn checkpoints_catch_a_tail_deleted_behind_the_products_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = data_with_a_loan(dir.path());
    let key = dir.path().join("audit.key");
    let out = agririsk(&data, &["audit", "keygen", "--out", key.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    let public = printed.lines().find_map(|l| l.strip_prefix("public key: ")).expect("public key printed").to_string();
    assert_eq!(agririsk(&data, &["audit", "keygen", "--out", key.to_str().expect("utf-8")]).status.code(), Some(2));
    let out = agririsk(&data, &["audit", "checkpoint", "--key", key.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let checkpoints = dir.path().join("agririsk-checkpoints.jsonl");
    assert!(checkpoints.exists(), "beside the data directory, outside it");
    let out = agririsk(&data, &["audit", "verify", "--public-key", &public]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 signed checkpoints match"));

    // The last entry and its repayment deleted: the chain alone still verifies, the checkpoint does not.
    tamper(
        &data,
        &[
            "DROP TRIGGER audit_log_no_delete",
            "DELETE FROM audit_log WHERE seq = 6",
            "DROP TRIGGER loan_events_no_delete",
            "DROP TRIGGER ledger_postings_no_delete",
            "DELETE FROM ledger_postings WHERE event_seq = 3",
            "DELETE FROM loan_events WHERE seq = 3",
        ],
    );
    assert!(agririsk(&data, &["audit", "verify"]).status.success(), "without checkpoints the cut is invisible");
    let out = agririsk(&data, &["audit", "verify", "--public-key", &public]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("audit entries 6 to 6 were deleted"), "{}", stderr(&out));
}
