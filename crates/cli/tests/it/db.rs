//! `agririsk db copy`: the demo county's store copied to another database (and, on a PostgreSQL run, through
//! PostgreSQL and back) verifies table by table and reads the same through the commands; a target with rows is
//! refused with exit 2 and left as it was; a tampered copy fails verification with exit 1; a malformed or
//! repeated location is refused naming `from` or `to`.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::{database_of, snapshot, stderr};

/// The binary with only the given arguments (no `--data-dir`, no database from the environment).
fn agririsk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_agririsk")).args(args).env_remove("AGRIRISK_DATABASE_URL").output().expect("runs")
}

fn text(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// `db copy` with JSON output: its exit code and report.
fn copy_json(from: &str, to: &str, extra: &[&str]) -> (Option<i32>, Value) {
    let mut args = vec!["db", "copy", "--from", from, "--to", to, "--format", "json"];
    args.extend_from_slice(extra);
    let out = agririsk(&args);
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("JSON: {}", stderr(&out)));
    (out.status.code(), report)
}

fn assert_all_ok(report: &Value) {
    assert_eq!(report["ok"], true, "{report:#}");
    let tables = report["report"]["verification"]["tables"].as_array().expect("tables");
    assert!(tables.iter().any(|t| t["table"] == "audit_log" && t["source_rows"].as_u64() > Some(1000)));
    for t in tables {
        assert_eq!(t["source_sha256"], t["target_sha256"], "{t}");
    }
}

#[test]
fn db_copy_moves_the_demo_store_verified_and_refuses_a_target_with_rows() {
    let dir = tempfile::tempdir().expect("temp dir");
    let demo = dir.path().join("demo");
    let out = Command::new(env!("CARGO_BIN_EXE_agririsk")).args(["demo", "--dir"]).arg(&demo).output().expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let (data, copied) = (demo.join("data"), dir.path().join("copied"));
    let source_file = std::fs::read(data.join("agririsk.sqlite")).expect("the demo database");

    let (code, report) = copy_json(text(&data), text(&copied), &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_all_ok(&report);
    assert_eq!(std::fs::read(data.join("agririsk.sqlite")).expect("read"), source_file, "the source is only read");
    let verified = agririsk(&["--data-dir", text(&copied), "audit", "verify"]);
    assert!(verified.status.success(), "{}", stderr(&verified));
    let show = |d: &Path| agririsk(&["--data-dir", text(d), "loan", "show", "L000005", "--as-of", "2026-12-31"]);
    let (a, b) = (show(&data), show(&copied));
    assert!(a.status.success(), "{}", stderr(&a));
    assert_eq!(a.stdout, b.stdout, "the copy reads as the original");

    // Killed part-way (SIGKILL, wherever it lands), the same command again ends with the same verified copy.
    let killed = dir.path().join("killed");
    let mut child = Command::new(env!("CARGO_BIN_EXE_agririsk"))
        .args(["db", "copy", "--from", text(&data), "--to", text(&killed)])
        .env_remove("AGRIRISK_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_millis(600));
    child.kill().expect("kill");
    child.wait().expect("reaped");
    let (code, resumed) = copy_json(text(&data), text(&killed), &[]);
    assert_eq!(code, Some(0), "{resumed:#}");
    assert_all_ok(&resumed);
    let hashes = |r: &Value| r["report"]["verification"]["tables"].clone();
    assert_eq!(hashes(&resumed), hashes(&report));

    // A target with rows (here the copy's own source) is refused, naming the table, and neither side changes.
    let before = snapshot(&data);
    let refused = agririsk(&["db", "copy", "--from", text(&copied), "--to", text(&data)]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("to: the target is not empty: table "), "{}", stderr(&refused));
    assert_eq!(snapshot(&data), before, "nothing written");

    // Through PostgreSQL and back, when this run has a cluster.
    if let Some(url) = database_of(&dir.path().join("pg")) {
        let (code, there) = copy_json(text(&data), &url, &[]);
        assert_eq!(code, Some(0), "{there:#}");
        assert_all_ok(&there);
        let verified = agririsk(&["--database", &url, "audit", "verify"]);
        assert!(verified.status.success(), "{}", stderr(&verified));
        let back = dir.path().join("back");
        let (code, returned) = copy_json(&url, text(&back), &[]);
        assert_eq!(code, Some(0), "{returned:#}");
        let (code, home) = copy_json(text(&data), text(&back), &["--verify-only"]);
        assert_eq!(code, Some(0), "{home:#}");
        assert_all_ok(&home);
    }

    // A posting changed behind the schema's back fails verification: exit 1, the table and the ledger named.
    tokio::runtime::Runtime::new().expect("runtime").block_on(async {
        let store = store::SqliteStore::open(&copied).await.expect("open");
        store.execute_raw("DROP TRIGGER ledger_postings_no_update").await.expect("drop the guard");
        let changed = store
            .execute_raw(
                "UPDATE ledger_postings SET amount_fen = amount_fen - 100
                 WHERE rowid = (SELECT MIN(rowid) FROM ledger_postings)",
            )
            .await
            .expect("tamper");
        assert_eq!(changed, 1);
        store.close().await;
    });
    let tampered = agririsk(&["db", "copy", "--from", text(&data), "--to", text(&copied), "--verify-only"]);
    assert_eq!(tampered.status.code(), Some(1), "{}", stderr(&tampered));
    let shown = String::from_utf8(tampered.stdout).expect("utf-8");
    assert!(shown.lines().any(|l| l.starts_with("ledger_postings") && l.ends_with("DIFFERS")), "{shown}");
    assert!(shown.contains("ledger sums per loan and component") && shown.contains("DIFFER ("), "{shown}");
}

#[test]
fn db_copy_names_the_location_at_fault() {
    let dir = tempfile::tempdir().expect("temp dir");
    let somewhere = text(dir.path());
    let cases: [(&[&str], &str); 4] = [
        (&["--from", "ftp://x", "--to", somewhere], "from: "),
        (&["--from", somewhere, "--to", "postgres://a:b@/"], "to: "),
        (&["--from", somewhere, "--to", somewhere], "the same database"),
        (&["--from", &format!("{somewhere}/none"), "--to", &format!("{somewhere}/new")], "from: "),
    ];
    for (args, says) in cases {
        let mut all = vec!["db", "copy"];
        all.extend_from_slice(args);
        let out = agririsk(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains(":b@"), "the password is never shown: {}", stderr(&out));
    }
    assert!(!dir.path().join("new").exists(), "a refused copy creates no target");
}
