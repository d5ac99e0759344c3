//! End-to-end tests of the `agririsk` binary: acceptance figures, JSON shape, exit codes, idempotency, and that bad
//! input leaves the data directory byte-for-byte unchanged.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// Whether this run of the suite puts every data directory's store on PostgreSQL (`AGRIRISK_TEST_ENGINE=postgres`,
/// CI's second run over the cluster of `AGRIRISK_TEST_POSTGRES_URL`); otherwise each is the data directory's SQLite
/// file, the default.
fn on_postgres() -> bool {
    std::env::var("AGRIRISK_TEST_ENGINE").as_deref() == Ok("postgres")
}

/// The database of a data directory in this run: on PostgreSQL, a database of its own on the test cluster, made the
/// first time it is asked for (one per data directory, so tests stay as independent as their temporary
/// directories); `None` on SQLite.
fn database_of(data_dir: &Path) -> Option<String> {
    static MADE: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    if let Some(url) = chosen().lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&key_of(data_dir)) {
        return Some(url.clone());
    }
    if !on_postgres() {
        return None;
    }
    let cluster = std::env::var("AGRIRISK_TEST_POSTGRES_URL")
        .expect("AGRIRISK_TEST_ENGINE=postgres needs AGRIRISK_TEST_POSTGRES_URL (bash xtask/pg.sh run …)");
    let absolute = std::path::absolute(data_dir).expect("an absolute path");
    // FNV-1a of the path: a stable name within the identifier limit.
    let hash = absolute
        .as_os_str()
        .as_encoded_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3));
    let name = format!("agririsk_cli_{}_{hash:016x}", std::process::id());
    let (prefix, _) = cluster.split('?').next().unwrap_or(&cluster).rsplit_once('/').expect("a database URL");
    let url = format!("{prefix}/{name}");
    let mut made = MADE.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if !made.contains(&name) {
        let created = Command::new("psql")
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &cluster, "-c", &format!("CREATE DATABASE {name}")])
            .output()
            .expect("psql runs");
        assert!(created.status.success(), "CREATE DATABASE {name}: {}", stderr(&created));
        made.push(name);
    }
    Some(url)
}

/// Makes `to`'s database a copy of `from`'s on PostgreSQL (`CREATE DATABASE … TEMPLATE`; nothing may be connected
/// to `from`'s meanwhile); nothing on SQLite, whose database is a file in the directory.
fn copy_database(from: &Path, to: &Path) {
    let (Some(source), Some(_)) = (database_of(from), database_of(to)) else { return };
    let cluster = std::env::var("AGRIRISK_TEST_POSTGRES_URL").expect("the cluster");
    let name = |url: &str| url.rsplit('/').next().expect("a database name").to_string();
    let target = name(&database_of(to).expect("a database"));
    let script = format!("DROP DATABASE {target}; CREATE DATABASE {target} TEMPLATE {}", name(&source));
    for sql in script.split("; ") {
        let out = Command::new("psql").args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &cluster, "-c", sql]).output();
        let out = out.expect("psql runs");
        assert!(out.status.success(), "{sql}: {}", stderr(&out));
    }
}

/// Data directories whose database a test chose itself ([`use_database`]).
fn chosen() -> &'static std::sync::Mutex<std::collections::HashMap<PathBuf, String>> {
    static CHOSEN: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<PathBuf, String>>> =
        std::sync::OnceLock::new();
    CHOSEN.get_or_init(Default::default)
}

fn key_of(data_dir: &Path) -> PathBuf {
    std::path::absolute(data_dir).expect("an absolute path")
}

/// Puts a data directory's store in the database at `url` (a cluster of the test's own) for every command.
fn use_database(data_dir: &Path, url: &str) {
    chosen().lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(key_of(data_dir), url.to_owned());
}

/// The binary on a data directory (and, on PostgreSQL, the directory's database).
fn bin(data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_agririsk"));
    command.arg("--data-dir").arg(data_dir);
    match database_of(data_dir) {
        Some(url) => command.env("AGRIRISK_DATABASE_URL", url),
        None => command.env_remove("AGRIRISK_DATABASE_URL"),
    };
    command
}

/// The store of a data directory, opened as the binary opens it.
async fn store_of(data_dir: &Path) -> store::Database {
    let location = match database_of(data_dir) {
        Some(url) => store::Location::Postgres(url),
        None => store::Location::Sqlite(data_dir.to_path_buf()),
    };
    store::Database::open(&location).await.expect("open the store")
}

/// Every byte the data directory's database holds as stored: the SQLite file and its log, or a plain `pg_dump` of
/// the PostgreSQL database (what someone with the database's storage or a backup of it would see), less the
/// `\restrict` key lines newer `pg_dump`s write with a fresh random key on every dump.
fn database_bytes(data_dir: &Path) -> Vec<u8> {
    match database_of(data_dir) {
        Some(url) => {
            let dump = Command::new("pg_dump").args(["--no-owner", "-d", &url]).output().expect("pg_dump runs");
            assert!(dump.status.success(), "pg_dump: {}", stderr(&dump));
            let kept: Vec<&[u8]> = dump
                .stdout
                .split(|b| *b == b'\n')
                .filter(|l| !l.starts_with(b"\\restrict") && !l.starts_with(b"\\unrestrict"))
                .collect();
            kept.join(&b'\n')
        }
        None => ["agririsk.sqlite", "agririsk.sqlite-wal"]
            .iter()
            .flat_map(|name| std::fs::read(data_dir.join(name)).unwrap_or_default())
            .collect(),
    }
}

fn agririsk(data_dir: &Path, args: &[&str]) -> Output {
    bin(data_dir).args(args).output().expect("the binary runs")
}

/// Runs the binary as the operating-system user `user` (`USER` and `LOGNAME`): the command line acts as `os:USER`.
fn agririsk_as(user: &str, data_dir: &Path, args: &[&str]) -> Output {
    bin(data_dir).args(args).env("USER", user).env("LOGNAME", user).output().expect("the binary runs")
}

/// The proposal id a proposing command printed (`proposal P000001: …`).
fn proposal_id(out: &Output) -> String {
    let text = String::from_utf8_lossy(&out.stdout);
    let id = text.strip_prefix("proposal ").and_then(|t| t.split(':').next()).map(str::to_string);
    id.unwrap_or_else(|| panic!("no proposal in {text:?} ({})", stderr(out)))
}

/// Runs a proposing command as `maker`, then confirms its proposal as `checker`; returns the proposal id.
fn dual(data_dir: &Path, maker: &str, checker: &str, args: &[&str]) -> String {
    let proposed = agririsk_as(maker, data_dir, args);
    assert!(proposed.status.success(), "{args:?} failed: {}", stderr(&proposed));
    let id = proposal_id(&proposed);
    let confirmed = agririsk_as(checker, data_dir, &["approval", "confirm", &id]);
    assert!(confirmed.status.success(), "confirming {id} failed: {}", stderr(&confirmed));
    id
}

fn ok_json(data_dir: &Path, args: &[&str]) -> Value {
    let out = agririsk(data_dir, args);
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

/// Books and disburses loan L1 (1,200 yuan to B1, equal installments over two months from 2026-01-01).
fn disbursed_l1(data: &Path) {
    let terms =
        ["--product", "equal-installment", "--principal", "1200", "--annual-rate", "0.06", "--term-months", "2"];
    let create = [&["loan", "create", "--borrower", "B1", "--id", "L1"][..], &terms, &["--start", "2026-01-01"]];
    ok_json(data, &[&create.concat()[..], &["--format", "json"]].concat());
    assert!(agririsk(data, &["loan", "disburse", "L1"]).status.success());
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every file under a directory with its bytes (empty when the directory does not exist).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.filter_map(Result::ok) {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.insert(p.clone(), std::fs::read(&p).expect("readable"));
            }
        }
    }
    files
}

fn money(v: &Value) -> i64 {
    let text = v.as_str().expect("amounts are strings");
    let (whole, frac) = text.split_once('.').expect("two decimal places");
    assert_eq!(frac.len(), 2, "amount {text} has two decimal places");
    whole.parse::<i64>().expect("digits") * 100 + frac.parse::<i64>().expect("digits")
}

#[test]
fn equal_installment_acceptance_figures() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let v = ok_json(
        &data,
        &[
            "schedule",
            "--product",
            "equal-installment",
            "--principal",
            "100000",
            "--annual-rate",
            "0.0435",
            "--term-months",
            "12",
            "--start",
            "2026-03-01",
            "--format",
            "json",
        ],
    );
    let installments = v["installments"].as_array().expect("installments");
    assert_eq!(installments.len(), 12);
    let principal: i64 = installments.iter().map(|i| money(&i["principal"])).sum();
    assert_eq!(principal, 10_000_000, "principal sums to exactly 100000.00");
    assert_eq!(v["total_principal"], "100000.00");
    for i in &installments[..11] {
        assert_eq!(i["total"], "8530.99");
    }
    assert_eq!(
        installments[11]["principal"], installments[10]["balance_after"],
        "the last takes the remaining balance"
    );
    assert_eq!(installments[11]["balance_after"], "0.00");
    assert!(!data.exists(), "schedule stores nothing");
}

#[test]
fn harvest_bullet_acceptance_figures() {
    let dir = tempfile::tempdir().expect("temp dir");
    let v = ok_json(
        dir.path(),
        &[
            "schedule",
            "--product",
            "harvest-bullet",
            "--principal",
            "50000",
            "--annual-rate",
            "0.05",
            "--start",
            "2026-03-10",
            "--harvest-month",
            "10",
            "--format",
            "json",
        ],
    );
    let installments = v["installments"].as_array().expect("installments");
    let (last, interest_only) = installments.split_last().expect("installments");
    assert!(interest_only.iter().all(|i| i["principal"] == "0.00" && money(&i["interest"]) > 0));
    assert_eq!(last["principal"], "50000.00");
    let due = last["due_date"].as_str().expect("date");
    assert!(due > "2026-10-31", "principal falls due after October: {due}");
    assert_eq!(due, "2026-11-30");
    assert_eq!(v["maturity"], "2026-11-30");
}

#[test]
fn bad_input_exits_2_names_the_field_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    // A data directory with a loan in it, closed by full repayment.
    disbursed_l1(&data);
    let payoff =
        ok_json(&data, &["loan", "show", "L1", "--as-of", "2026-01-10", "--format", "json"])["balances"]["payoff"]
            .as_str()
            .expect("payoff")
            .to_string();
    let paid =
        ok_json(&data, &["loan", "repay", "L1", "--amount", &payoff, "--date", "2026-01-10", "--format", "json"]);
    assert_eq!(paid["status"], "closed");
    let terms = |product: &str, principal: &str, rate: &str, start: &str, term: &str| -> Vec<String> {
        [
            "loan",
            "create",
            "--borrower",
            "B2",
            "--product",
            product,
            "--principal",
            principal,
            "--annual-rate",
            rate,
            "--start",
            start,
            "--term-months",
            term,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (terms("equal-installment", "-5000", "0.05", "2026-03-01", "12"), "principal:"),
        (terms("equal-installment", "0", "0.05", "2026-03-01", "12"), "principal:"),
        (terms("equal-installment", "5000", "0.5", "2026-03-01", "12"), "annual-rate:"),
        (terms("equal-installment", "5000", "-0.01", "2026-03-01", "12"), "annual-rate:"),
        (terms("balloon", "5000", "0.05", "2026-03-01", "12"), "product:"),
        (terms("equal-installment", "5000", "0.05", "2026-02-30", "12"), "start:"),
        (terms("equal-installment", "5000", "0.05", "01/03/2026", "12"), "start:"),
        (terms("equal-installment", "5000", "0.05", "2026-03-01", "0"), "term-months:"),
        (
            [
                "schedule",
                "--product",
                "equal-installment",
                "--principal",
                "5000",
                "--annual-rate",
                "0.05",
                "--start",
                "2026-03-01",
                "--term-months",
                "0",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            "term-months:",
        ),
        (
            ["loan", "repay", "L1", "--amount", "100", "--date", "2026-02-01"].iter().map(|s| s.to_string()).collect(),
            "loan:",
        ),
        (
            ["loan", "repay", "L1", "--amount", "-100", "--date", "2026-02-01"].iter().map(|s| s.to_string()).collect(),
            "amount:",
        ),
        (
            ["loan", "repay", "NOPE", "--amount", "100", "--date", "2026-02-01"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            "loan:",
        ),
        (["loan", "show", "L1", "--as-of", "yesterday"].iter().map(|s| s.to_string()).collect(), "as-of:"),
        (
            [
                "schedule",
                "--product",
                "interest-only",
                "--principal",
                "5000",
                "--annual-rate",
                "0.05",
                "--start",
                "2026-03-01",
                "--term-months",
                "6",
                "--waterfall",
                "penalty,overdue-interest",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            "waterfall:",
        ),
        (["loan", "disburse", "L1", "--date", "2026-01-02"].iter().map(|s| s.to_string()).collect(), "loan:"),
    ];
    for (args, field) in cases {
        let before = snapshot(&data);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = agririsk(&data, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?} must exit 2; stderr: {}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{args:?}: one line, got {err:?}");
        assert!(err.starts_with(&format!("error: {field}")), "{args:?}: {err:?} should name {field}");
        assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
        assert_eq!(snapshot(&data), before, "{args:?} changed the data directory");
    }
    // The same high rate is accepted when asked for explicitly.
    let mut high = terms("equal-installment", "5000", "0.5", "2026-03-01", "12");
    high.push("--allow-high-rate".into());
    let args: Vec<&str> = high.iter().map(String::as_str).collect();
    assert!(agririsk(&data, &args).status.success());
}

#[test]
fn a_loan_lifecycle_through_the_cli_is_idempotent_and_classified() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let created = ok_json(
        &data,
        &[
            "loan",
            "create",
            "--borrower",
            "HH-7",
            "--product",
            "harvest-bullet",
            "--principal",
            "50000",
            "--annual-rate",
            "0.05",
            "--start",
            "2026-03-10",
            "--crop",
            "summer-maize",
            "--region",
            "north-china-plain",
            "--format",
            "json",
        ],
    );
    assert_eq!(created["id"], "L000001");
    assert!(agririsk(&data, &["loan", "disburse", "L000001"]).status.success());
    let first =
        ok_json(&data, &["loan", "repay", "L000001", "--amount", "215.28", "--date", "2026-04-10", "--format", "json"]);
    assert_eq!(first["duplicate"], false);
    assert_eq!(first["postings"][0], serde_json::json!({"component": "current-interest", "amount": "215.28"}));
    let before = snapshot(&data);
    let again =
        ok_json(&data, &["loan", "repay", "L000001", "--amount", "215.28", "--date", "2026-04-10", "--format", "json"]);
    assert_eq!(again["duplicate"], true, "the same posting twice is applied once");
    assert_eq!(again["seq"], first["seq"]);
    assert_eq!(snapshot(&data), before, "a duplicate writes nothing");
    // A different posting under a used key is refused.
    let clash = agririsk(
        &data,
        &["loan", "repay", "L000001", "--amount", "1", "--date", "2026-04-10", "--id", "R20260410-21528"],
    );
    assert_eq!(clash.status.code(), Some(2));
    // Nothing more is paid: as of 2026-07-10 the May installment is 61 days past due.
    let shown = ok_json(&data, &["loan", "show", "L000001", "--as-of", "2026-07-10", "--format", "json"]);
    assert_eq!(
        (shown["dpd"].as_u64(), shown["class"].as_str(), shown["stage"].as_str()),
        (Some(61), Some("special-mention"), Some("stage-2"))
    );
    let classified = ok_json(&data, &["loan", "classify", "--as-of", "2026-08-10", "--format", "json"]);
    assert_eq!(classified["loans"][0]["class"], "substandard");
    assert_eq!(classified["summary"]["npl_ratio"], "1.0000");
    // Reverse the April payment; the loan is then overdue from 2026-04-11.
    let out = agririsk(
        &data,
        &[
            "loan",
            "reverse",
            "L000001",
            "--repayment",
            "R20260410-21528",
            "--date",
            "2026-04-20",
            "--reason",
            "returned",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let shown = ok_json(&data, &["loan", "show", "L000001", "--as-of", "2026-04-20", "--format", "json"]);
    assert_eq!(shown["dpd"], 10);
    assert_eq!(shown["repayments"][0]["reversed"], true);
    // Manual downgrade below the floor is refused; one at or above it is recorded.
    let better = agririsk(
        &data,
        &["loan", "reclassify", "L000001", "--date", "2026-08-10", "--class", "normal", "--reason", "x"],
    );
    assert_eq!(better.status.code(), Some(2));
    assert!(stderr(&better).starts_with("error: class:"), "{}", stderr(&better));
    // A downgrade is proposed by one person and recorded when another confirms it, with them as its approver.
    let worse = ["loan", "reclassify", "L000001", "--date", "2026-08-10", "--class", "可疑", "--reason", "drought"];
    let proposal = proposal_id(&agririsk_as("officer.li", &data, &worse));
    let pending = ok_json(&data, &["loan", "list", "--as-of", "2026-08-10", "--format", "json"]);
    assert_eq!(pending["loans"][0]["class"], "substandard", "a proposal changes nothing");
    let own = agririsk_as("officer.li", &data, &["approval", "confirm", &proposal]);
    assert_eq!(own.status.code(), Some(2), "the proposer cannot confirm their own proposal");
    assert!(agririsk_as("chief.wang", &data, &["approval", "confirm", &proposal]).status.success());
    let shown = ok_json(&data, &["loan", "show", "L000001", "--as-of", "2026-08-10", "--format", "json"]);
    let approved = &shown["classification_override"];
    assert_eq!((approved["approver"].as_str(), approved["class"].as_str()), (Some("os:chief.wang"), Some("doubtful")));
    assert!(approved["reason"].as_str().is_some_and(|r| r.contains("drought") && r.contains(&proposal)), "{approved}");
    let before = snapshot(&data);
    let again = agririsk_as("chief.zhao", &data, &["approval", "confirm", &proposal]);
    assert_eq!(again.status.code(), Some(2), "confirming twice is refused");
    assert!(snapshot(&data) == before, "and writes nothing");
    let listed = ok_json(&data, &["loan", "list", "--as-of", "2026-08-10", "--format", "json"]);
    assert_eq!(listed["loans"][0]["class"], "doubtful");
}

#[test]
fn table_output_is_aligned_with_chinese_text() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = agririsk(
        dir.path(),
        &[
            "schedule",
            "--product",
            "livestock-batch",
            "--principal",
            "90000",
            "--annual-rate",
            "0.055",
            "--start",
            "2026-04-01",
            "--batch-months",
            "6,12,18",
        ],
    );
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(text.contains("养殖分批还本"));
    let lines: Vec<&str> = text.lines().skip(1).collect();
    let width = |s: &str| s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum::<usize>();
    let rule = width(lines[1]);
    for l in &lines[2..lines.len() - 1] {
        assert_eq!(width(l), rule, "row is as wide as the rule: {l}");
    }
}

#[test]
fn the_demo_runs_and_classifies_the_portfolio() {
    let dir = tempfile::tempdir().expect("temp dir");
    let demo = dir.path().join("demo");
    let out = Command::new(env!("CARGO_BIN_EXE_agririsk")).args(["demo", "--dir"]).arg(&demo).output().expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    for needle in [
        "calibration report",
        "purpose_text",
        "8530.99",
        "portfolio as of 2026-12-31",
        "NPL ratio",
        "次级 substandard",
        "closed",
        "restructured 06-15",
        "6. Post-loan monitoring",
        "The alert board",
        "evidence",
        "Against the simulator's truth",
        "7. The portfolio on",
        "portfolio.html",
    ] {
        assert!(text.contains(needle), "demo output lacks {needle:?}");
    }
    // The key file is kept apart from the database, and both are their owner's alone.
    let (data, keys) = (demo.join("data"), demo.join("keys"));
    assert!(data.join("agririsk.sqlite").exists() && keys.exists(), "the database in data/, the key file beside it");
    let in_data: Vec<String> = std::fs::read_dir(&data)
        .expect("data")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    assert!(in_data.iter().all(|name| name.starts_with("agririsk.sqlite")), "only the database: {in_data:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
        assert_eq!((mode(&demo), mode(&data), mode(&keys)), (0o700, 0o700, 0o600));
        assert_eq!(mode(&data.join("agririsk.sqlite")), 0o600);
    }
    // A rerun replaces its own directory; a foreign non-empty directory is refused.
    assert!(
        Command::new(env!("CARGO_BIN_EXE_agririsk"))
            .args(["demo", "--dir"])
            .arg(&demo)
            .output()
            .expect("runs")
            .status
            .success()
    );
    let foreign = dir.path().join("mine");
    std::fs::create_dir_all(&foreign).expect("dir");
    std::fs::write(foreign.join("notes.txt"), "keep me").expect("write");
    let out =
        Command::new(env!("CARGO_BIN_EXE_agririsk")).args(["demo", "--dir"]).arg(&foreign).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(foreign.join("notes.txt")).expect("kept"), "keep me");
}

#[test]
fn restructure_defer_and_write_off_through_the_cli() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    for id in ["A", "B"] {
        ok_json(
            &data,
            &[
                "loan",
                "create",
                "--borrower",
                "HH-1",
                "--id",
                id,
                "--product",
                "equal-installment",
                "--principal",
                "40000",
                "--annual-rate",
                "0.06",
                "--term-months",
                "12",
                "--start",
                "2026-01-20",
                "--format",
                "json",
            ],
        );
        assert!(agririsk(&data, &["loan", "disburse", id]).status.success());
    }
    let out = agririsk(
        &data,
        &[
            "loan",
            "restructure",
            "A",
            "--date",
            "2026-06-15",
            "--product",
            "equal-installment",
            "--term-months",
            "18",
            "--capitalise-arrears",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let a = ok_json(&data, &["loan", "show", "A", "--as-of", "2026-06-15", "--format", "json"]);
    assert_eq!(
        (a["dpd"].as_u64(), a["class"].as_str(), a["stage"].as_str()),
        (Some(0), Some("special-mention"), Some("stage-2"))
    );
    assert_eq!(a["restructured"], true);
    assert!(money(&a["balances"]["principal_outstanding"]) > 4_000_000, "arrears were capitalised");
    // B: deferral of 3 months with interest waived moves the next due date from 2026-02-20 to 2026-05-20.
    let out = agririsk(
        &data,
        &["loan", "defer", "B", "--date", "2026-02-01", "--months", "3", "--interest", "waived", "--reason", "flood"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let b = ok_json(&data, &["loan", "show", "B", "--as-of", "2026-02-01", "--format", "json"]);
    assert_eq!(b["installments"][0]["due_date"], "2026-05-20");
    let bad = agririsk(
        &data,
        &["loan", "defer", "B", "--date", "2026-02-02", "--months", "13", "--interest", "waived", "--reason", "x"],
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).starts_with("error: months:"));
    // Proposing to write off a performing loan is refused at once; an overdue one is proposed, rejected (nothing
    // happens), proposed again and written off when a second person confirms it.
    let before = snapshot(&data);
    let early = agririsk_as("officer.li", &data, &["loan", "write-off", "B", "--date", "2026-03-01", "--reason", "x"]);
    assert_eq!(early.status.code(), Some(2));
    assert!(snapshot(&data) == before, "a refused proposal writes nothing");
    let write_off = ["loan", "write-off", "B", "--date", "2027-09-01", "--reason", "uncollectable"];
    let first = proposal_id(&agririsk_as("officer.li", &data, &write_off));
    let rejected = agririsk_as("chief.wang", &data, &["approval", "reject", &first, "--reason", "try once more"]);
    assert!(rejected.status.success(), "{}", stderr(&rejected));
    let b = ok_json(&data, &["loan", "show", "B", "--as-of", "2027-09-01", "--format", "json"]);
    assert_ne!(b["status"].as_str(), Some("written-off"), "a rejected proposal does nothing");
    assert_eq!(agririsk_as("chief.wang", &data, &["approval", "confirm", &first]).status.code(), Some(2));
    dual(&data, "officer.li", "chief.wang", &write_off);
    let b = ok_json(&data, &["loan", "show", "B", "--as-of", "2027-09-01", "--format", "json"]);
    assert_eq!((b["status"].as_str(), b["class"].as_str()), (Some("written-off"), Some("loss")));
}

#[test]
fn simulate_is_deterministic_and_rejects_bad_config_before_writing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = |out: &str, seed: &str| {
        let out_dir = dir.path().join(out);
        let o = Command::new(env!("CARGO_BIN_EXE_agririsk"))
            .args(["simulate", "--preset", "tiny", "--seed", seed, "--quiet", "--format", "csv", "--out"])
            .arg(&out_dir)
            .output()
            .expect("runs");
        assert!(o.status.success(), "{}", stderr(&o));
        out_dir
    };
    let a = run("a", "11");
    let b = run("b", "11");
    let strip = |m: BTreeMap<PathBuf, Vec<u8>>, root: &Path| -> BTreeMap<PathBuf, Vec<u8>> {
        m.into_iter().map(|(p, v)| (p.strip_prefix(root).expect("inside").to_path_buf(), v)).collect()
    };
    let (sa, sb) = (strip(snapshot(&a), &a), strip(snapshot(&b), &b));
    assert!(sa.len() >= 22, "21 entity files and the manifest, got {}", sa.len());
    assert_eq!(sa, sb, "the same config and seed give byte-identical files");
    let loans = String::from_utf8(sa[&PathBuf::from("loans.csv")].clone()).expect("utf-8");
    assert!(loans.starts_with("loan_id,household_id,application_id,product,"));

    let report =
        Command::new(env!("CARGO_BIN_EXE_agririsk")).args(["simulate", "--report"]).arg(&a).output().expect("runs");
    assert!(report.status.success(), "{}", stderr(&report));
    assert!(String::from_utf8_lossy(&report.stdout).contains("NPL ratio at the end"));

    for (json, key) in [
        (r#"{"weather": {"county_event_probability": 1.5}}"#, "config: weather.county_event_probability"),
        (r#"{"weather": {"no_such_key": 1}}"#, "config: weather.no_such_key"),
        (r#"{"households": -3}"#, "config: households"),
        (r#"{"scenarios": {"s4_disease": {"enabled": true, "month": 99}}}"#, "config: scenarios.s4_disease.month"),
    ] {
        let cfg = dir.path().join("bad.json");
        std::fs::write(&cfg, json).expect("write");
        let out_dir = dir.path().join("never");
        let o = Command::new(env!("CARGO_BIN_EXE_agririsk"))
            .args(["simulate", "--preset", "tiny", "--quiet", "--config"])
            .arg(&cfg)
            .arg("--out")
            .arg(&out_dir)
            .output()
            .expect("runs");
        assert_eq!(o.status.code(), Some(2), "{json}");
        assert!(stderr(&o).starts_with(&format!("error: {key}:")), "{json}: {}", stderr(&o));
        assert!(!out_dir.exists(), "{json}: nothing is written");
    }
}
mod access;
mod alerts;
mod approvals;
mod audit;
mod consent;
mod county;
mod db;
mod decide;
mod drift_alerts;
mod identity;
mod ingest;
mod model;
mod monitor;
mod monitor_api;
mod monitor_events;
mod policy;
mod policy_sim;
mod portfolio;
mod portfolio_api;
mod privacy;
mod profile;
mod resident;
mod serve;
mod village;

#[test]
fn this_run_stores_on_the_engine_it_was_asked_for_and_db_status_says_where_the_schema_stands() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let status = ok_json(&data, &["db", "status", "--format", "json"]);
    let engine = if on_postgres() { "postgres" } else { "sqlite" };
    assert_eq!(status["engine"], engine, "{status}");
    assert_eq!(status["state"], "empty", "nothing is created by looking: {status}");
    assert!(!data.join("agririsk.sqlite").exists(), "status creates no database file");
    let migrated = agririsk(&data, &["db", "migrate"]);
    assert!(migrated.status.success(), "{}", stderr(&migrated));
    let status = ok_json(&data, &["db", "status", "--format", "json"]);
    assert_eq!(status["state"], "current", "{status}");
    assert_eq!(status["pending"], serde_json::json!([]));
    let applied = status["applied"].as_array().expect("applied");
    assert_eq!(applied.last().expect("a migration")["version"], status["latest_known"]);
    assert_eq!(data.join("agririsk.sqlite").exists(), !on_postgres(), "the store is where --database says");
}

#[test]
fn a_bad_database_url_is_refused_naming_it_with_exit_2_and_nothing_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    for (url, says) in [
        ("mysql://db/agririsk", "is not one of sqlite://, postgres://, postgresql://"),
        ("postgres://agririsk:hunter2@127.0.0.1:notaport/x", "is not a PostgreSQL URL"),
        ("sqlite://", "names no path"),
        ("", "is empty"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_agririsk"))
            .args(["--data-dir", data.to_str().expect("utf-8"), "--database", url, "loan", "list"])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{url}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{url}: {}", stderr(&out));
        assert!(!stderr(&out).contains("hunter2"), "the password is never printed: {}", stderr(&out));
    }
    // A closed port: the database does not answer.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let url = format!("postgres://agririsk:hunter2@127.0.0.1:{port}/agririsk");
    let out = Command::new(env!("CARGO_BIN_EXE_agririsk"))
        .args(["--data-dir", data.to_str().expect("utf-8"), "--database", &url, "loan", "list"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("does not answer"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("hunter2"), "{}", stderr(&out));
    assert!(!data.exists(), "nothing was created");
    // The schedule needs no database: a bad one does not stop it.
    let out = Command::new(env!("CARGO_BIN_EXE_agririsk"))
        .args(["--database", "mysql://x", "schedule", "--product", "equal-installment", "--principal", "1000"])
        .args(["--annual-rate", "0.05", "--term-months", "6", "--start", "2026-01-01"])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_schema_newer_than_the_binary_or_a_migration_left_unfinished_is_refused_and_left_as_it_is() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    assert!(agririsk(&data, &["db", "migrate"]).status.success());
    let status = ok_json(&data, &["db", "status", "--format", "json"]);
    let latest = status["latest_known"].as_i64().expect("a version");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    // Straight to the database, not through the store (which refuses to open it once it is newer).
    let mark = |sql: String| {
        use sqlx::Connection;
        runtime.block_on(async {
            match database_of(&data) {
                Some(url) => {
                    let mut connection = sqlx::PgConnection::connect(&url).await.expect("connect");
                    let query = sqlx::query(sqlx::AssertSqlSafe(sql));
                    query.execute(&mut connection).await.expect("edit the migrations table");
                }
                None => {
                    let url = format!("sqlite://{}", data.join("agririsk.sqlite").display());
                    let mut connection = sqlx::SqliteConnection::connect(&url).await.expect("connect");
                    let query = sqlx::query(sqlx::AssertSqlSafe(sql));
                    query.execute(&mut connection).await.expect("edit the migrations table");
                }
            }
        })
    };
    // A later release's migration.
    let checksum = if on_postgres() { r"'\x00'::bytea" } else { "x'00'" };
    let success = if on_postgres() { "true" } else { "1" };
    mark(format!(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES ({}, 'from the future', {success}, {checksum}, 0)",
        latest + 1
    ));
    let before = ok_json(&data, &["db", "status", "--format", "json"]);
    let out = agririsk(&data, &["loan", "list"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("migration {}, newer than this binary knows", latest + 1)),
        "{}",
        stderr(&out)
    );
    let after = ok_json(&data, &["db", "status", "--format", "json"]);
    assert_eq!(after["state"], "newer");
    assert_eq!(after, before, "the schema is left as it was");
    // A migration recorded as unfinished.
    mark(format!("DELETE FROM _sqlx_migrations WHERE version = {}", latest + 1));
    let failed = if on_postgres() { "false" } else { "0" };
    mark(format!("UPDATE _sqlx_migrations SET success = {failed} WHERE version = {latest}"));
    let out = agririsk(&data, &["db", "migrate"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!("migration {latest} is recorded as unfinished")), "{}", stderr(&out));
    assert_eq!(ok_json(&data, &["db", "status", "--format", "json"])["state"], "unfinished");
}
