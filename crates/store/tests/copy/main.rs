//! `store::copy` over a store filled by the registers' own writes (the conformance suites' scenarios: a champion
//! replaced and restored, an authority raised between a review's actions, proposals decided in turn, an erasure,
//! users, keys and sessions, loads with quarantined rows): a copy keeps every table's content hash and the audit
//! chain, refuses a target with rows and writes nothing, resumes after an interruption to the same result, and its
//! verification catches a tampered row. SQLite to PostgreSQL and back runs when `AGRIRISK_TEST_POSTGRES_URL` names
//! a cluster (`bash xtask/pg.sh run cargo test -p store copy`); without it that test says it was skipped, unless
//! `AGRIRISK_REQUIRE_POSTGRES=1`.

use std::collections::BTreeMap;
use std::path::Path;

use sqlx::{Connection, Row};
use store::conformance::{self, dual, erasure, identity};
use store::copy::{CopyError, CopyOptions, Report, copy, verify};
use store::{Location, SqliteStore};

/// A store in `dir` holding rows in every register, written through the registers; closed when it returns.
async fn filled(dir: &Path) {
    let store = SqliteStore::open(dir).await.expect("open");
    conformance::a_name_has_one_champion(store.clone()).await;
    dual::an_authority_change_applies_from_then_on_once_per_proposal(store.clone()).await;
    // Open review cases, one awaiting its check, and a claim: the copy rebuilds the open cases, not the claims.
    {
        use store::ReviewWorkflow;
        use workflow::{Lease, Outcome, ReviewAction};
        let open = [("Q1", Outcome::Refer), ("Q2", Outcome::Refer), ("Q3", Outcome::Refer)];
        conformance::with_officers_and_decisions(&store, &open).await;
        let at = conformance::ts("2026-12-02T09:00:00+08:00");
        let large = ReviewAction::Approve { amount: domain::Money::from_fen(9_000_000) };
        store.review("Q2", "li", large, "two greenhouses", &at).await.expect("awaits a check");
        store.claim_next("wang", &at, Lease::DEFAULT, &|_| true).await.expect("claim").expect("an open case");
    }
    conformance::ledger_lines_round_trip_to_the_fen(store.clone()).await;
    let changed = lending::StatusChange {
        date: domain::parse_date("2026-04-11").expect("date"),
        change: lending::Change::Status { from: lending::LoanStatus::Active, to: lending::LoanStatus::Overdue },
        cause: "1 days past due".into(),
    };
    let loan = domain::LoanId::parse("L1").expect("id");
    store::LoanStore::record_changes(&store, &[(loan, changed)]).await.expect("a status change");
    conformance::an_active_version_leaves_only_for_a_successor_and_retired_is_final(store.clone()).await;
    conformance::screening_entries_round_trip_in_day_order(store.clone()).await;
    conformance::quarantined_rows_are_kept_with_their_load(store.clone()).await;
    erasure::an_erasure_clears_the_households_personal_columns_only(store.clone()).await;
    identity::disabling_and_new_passwords_end_sessions(store.clone()).await;
    identity::keys_round_trip_and_are_revoked_once(store.clone()).await;
    identity::failures_count_per_account_since_its_last_success_and_per_address(store.clone()).await;
    store.close().await;
}

fn location(dir: &Path) -> Location {
    Location::Sqlite(dir.to_path_buf())
}

/// Every table's (rows, content hash) on the target side of a report.
fn target_hashes(report: &Report) -> BTreeMap<String, (u64, String)> {
    let tables = &report.verification.tables;
    tables.iter().map(|t| (t.table.clone(), (t.target_rows, t.target_sha256.clone()))).collect()
}

fn assert_verified(report: &Report) {
    let failed: Vec<_> = report.verification.tables.iter().filter(|t| !t.ok()).collect();
    assert!(
        report.ok(),
        "failed checks: {failed:#?}\nledger {:?}\naudit {:?} / {:?}",
        report.verification.ledger,
        report.verification.source_audit,
        report.verification.target_audit
    );
}

/// The SHA-256 of the database file in `dir` and the length of its write-ahead log (SQLite may create an empty
/// one, and its shared-memory index, beside a database it reads).
fn files(dir: &Path) -> (String, u64) {
    let file = dir.join(SqliteStore::FILE_NAME);
    let bytes = std::fs::read(&file).expect("read the database file");
    let wal = std::fs::metadata(format!("{}-wal", file.display())).map_or(0, |m| m.len());
    (audit::Digest::of(&bytes).to_string(), wal)
}

async fn sqlite(dir: &Path) -> sqlx::SqliteConnection {
    sqlx::SqliteConnection::connect(&format!("sqlite://{}", dir.join(SqliteStore::FILE_NAME).display()))
        .await
        .expect("connect")
}

#[tokio::test]
async fn copy_between_sqlite_stores_keeps_every_table_and_the_audit_chain() {
    let (from, to) = (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
    filled(from.path()).await;
    let before = files(from.path());
    let report = copy(&location(from.path()), &location(to.path()), CopyOptions::default()).await.expect("copy");
    assert_verified(&report);
    assert_eq!(files(from.path()), before, "the source is only read");
    for table in [
        "audit_log",
        "model_status_changes",
        "review_actions",
        "officer_authority",
        "dual_proposals",
        "erasures",
        "users",
        "api_keys",
        "sessions",
        "login_attempts",
        "ledger_postings",
        "load_quarantine",
    ] {
        let check = report.verification.tables.iter().find(|t| t.table == table).expect(table);
        assert!(check.source_rows > 0, "the fixture holds rows in {table}");
    }
    assert!(report.verification.tables.iter().any(|t| t.table.starts_with("rec_") && t.source_rows > 0));
    assert!(report.verification.ledger.source_sums > 0);

    // The copy reads back through the registers as the source does, and its audit chain verifies there too.
    let (a, b) =
        (SqliteStore::open(from.path()).await.expect("open"), SqliteStore::open(to.path()).await.expect("open"));
    let (entries, verified) = conformance::audit::read_all(&b, 100).await;
    assert!(verified.is_ok(), "{verified:?}");
    assert_eq!(entries, conformance::audit::read_all(&a, 100).await.0, "the same entries, numbers and hashes");
    use store::{ModelRegistry, ReviewWorkflow};
    assert_eq!(a.models(None).await.expect("models"), b.models(None).await.expect("models"));
    assert_eq!(a.review_state("D1").await.expect("state"), b.review_state("D1").await.expect("state"));
    assert_eq!(a.review_state("D3").await.expect("state"), b.review_state("D3").await.expect("state"));
    let queue = a.review_queue(100).await.expect("queue");
    assert!(queue.len() >= 3, "the source has open cases: {queue:?}");
    assert_eq!(b.review_queue(100).await.expect("queue"), queue, "the open cases are rebuilt on the target");
    assert!(a.claim_on(queue[0].decision_id.as_str()).await.expect("hold").is_some(), "claimed at the source");
    assert_eq!(b.claim_on(queue[0].decision_id.as_str()).await.expect("hold"), None, "claims are not carried");

    // Run again, the finished copy is verified again and nothing is written.
    let again = copy(&location(from.path()), &location(to.path()), CopyOptions::default()).await.expect("again");
    assert!(again.finished_before && again.copied_rows == 0 && again.ok());
    let alone = verify(&location(from.path()), &location(to.path())).await.expect("verify");
    assert_eq!(target_hashes(&alone), target_hashes(&report));
}

#[tokio::test]
async fn copy_into_a_store_with_rows_is_refused_and_writes_nothing() {
    let (from, to) = (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
    filled(from.path()).await;
    let other = SqliteStore::open(to.path()).await.expect("open");
    conformance::loans_round_trip(other.clone()).await;
    other.close().await;
    let (source, target) = (files(from.path()), files(to.path()));
    let refused = copy(&location(from.path()), &location(to.path()), CopyOptions::default()).await;
    match refused {
        Err(e @ CopyError::TargetNotEmpty { .. }) => {
            assert!(e.is_refusal());
            assert!(e.to_string().contains("table audit_log holds"), "{e}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(files(from.path()), source);
    assert_eq!(files(to.path()), target, "nothing written");
    let same = copy(&location(from.path()), &location(from.path()), CopyOptions::default()).await;
    assert!(matches!(same, Err(CopyError::SameLocation(_))), "{same:?}");
}

#[tokio::test]
async fn copy_interrupted_resumes_to_the_same_verified_result() {
    let (from, whole, cut) =
        (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
    filled(from.path()).await;
    let reference = copy(&location(from.path()), &location(whole.path()), CopyOptions::default()).await.expect("copy");
    let small = CopyOptions { page_rows: 7, stop_after_pages: Some(5) };
    let stopped = copy(&location(from.path()), &location(cut.path()), small).await;
    assert!(matches!(stopped, Err(CopyError::Stopped(5))), "{stopped:?}");
    let progress = |dir: std::path::PathBuf| async move {
        let mut conn = sqlite(&dir).await;
        let done: i64 = sqlx::query_scalar("SELECT SUM(rows_done) FROM _copy_progress WHERE item <> '*'")
            .fetch_one(&mut conn)
            .await
            .expect("progress");
        conn.close().await.expect("close");
        u64::try_from(done).expect("a count")
    };
    let first = progress(cut.path().to_path_buf()).await;
    assert!(first > 5 && first <= 35, "five pages of up to seven rows committed with their progress: {first}");
    // Another source is refused by the unfinished copy.
    let another = tempfile::tempdir().expect("dir");
    let store = SqliteStore::open(another.path()).await.expect("open");
    conformance::loans_round_trip(store.clone()).await;
    store.close().await;
    let refused = copy(&location(another.path()), &location(cut.path()), CopyOptions::default()).await;
    assert!(matches!(refused, Err(CopyError::OtherCopy { .. })), "{refused:?}");
    // The same command again goes on and ends where the uninterrupted copy did.
    let resumed = copy(&location(from.path()), &location(cut.path()), CopyOptions { page_rows: 7, ..small })
        .await
        .expect_err("stops again after five more pages");
    assert!(matches!(resumed, CopyError::Stopped(5)));
    let second = progress(cut.path().to_path_buf()).await;
    assert!(second > first, "the second run went on from the first: {first} then {second}");
    let finished = copy(&location(from.path()), &location(cut.path()), CopyOptions::default()).await.expect("resume");
    assert!(finished.resumed);
    assert_verified(&finished);
    assert_eq!(target_hashes(&finished), target_hashes(&reference));
    let total: u64 = reference.verification.tables.iter().map(|t| t.source_rows).sum();
    assert_eq!(finished.copied_rows + second, total, "rows committed before are not copied twice");
}

#[tokio::test]
async fn copy_verification_catches_a_tampered_row() {
    let (from, to) = (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
    filled(from.path()).await;
    copy(&location(from.path()), &location(to.path()), CopyOptions::default()).await.expect("copy");
    let mut conn = sqlite(to.path()).await;
    // Behind the schema's back: the append-only trigger dropped, a posting's amount changed by one fen.
    sqlx::raw_sql(
        "DROP TRIGGER ledger_postings_no_update;
         UPDATE ledger_postings SET amount_fen = amount_fen + 1
         WHERE rowid = (SELECT MIN(rowid) FROM ledger_postings)",
    )
    .execute(&mut conn)
    .await
    .expect("tamper");
    conn.close().await.expect("close");
    let report = verify(&location(from.path()), &location(to.path())).await.expect("verify");
    assert!(!report.ok());
    let failed: Vec<&str> = report.verification.tables.iter().filter(|t| !t.ok()).map(|t| t.table.as_str()).collect();
    assert_eq!(failed, ["ledger_postings"]);
    assert_eq!(report.verification.ledger.differing.len(), 1, "{:?}", report.verification.ledger);
}

#[tokio::test]
async fn copy_makes_record_tables_as_the_record_register_does_on_sqlite() {
    let (from, to) = (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
    filled(from.path()).await;
    copy(&location(from.path()), &location(to.path()), CopyOptions::default()).await.expect("copy");
    let mut source = sqlite(from.path()).await;
    let mut copied = sqlite(to.path()).await;
    let schema = "SELECT type, name, sql FROM sqlite_master
                  WHERE (tbl_name LIKE 'rec\\_%' ESCAPE '\\' OR name LIKE 'cur\\_%' ESCAPE '\\') ORDER BY name";
    let read = |rows: Vec<sqlx::sqlite::SqliteRow>| -> Vec<(String, String, String)> {
        rows.iter()
            .map(|r| {
                let sql: Option<String> = r.get(2);
                let sql = sql.unwrap_or_default().split_whitespace().collect::<Vec<_>>().join(" ");
                (r.get(0), r.get(1), sql)
            })
            .collect()
    };
    let a = read(sqlx::query(schema).fetch_all(&mut source).await.expect("schema"));
    let b = read(sqlx::query(schema).fetch_all(&mut copied).await.expect("schema"));
    assert!(!a.is_empty());
    assert_eq!(a, b);
}

/// A fresh PostgreSQL database per call, made in `AGRIRISK_TEST_POSTGRES_URL`'s cluster; `None` (saying so) without
/// one, unless `AGRIRISK_REQUIRE_POSTGRES=1`.
struct Cluster {
    url: String,
    prefix: String,
    made: Vec<String>,
}

impl Cluster {
    fn from_env(test: &str) -> Option<Cluster> {
        let Some(url) = std::env::var("AGRIRISK_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty()) else {
            assert!(
                std::env::var("AGRIRISK_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "{test}: AGRIRISK_REQUIRE_POSTGRES=1 but AGRIRISK_TEST_POSTGRES_URL is not set"
            );
            eprintln!(
                "{test}: skipped: AGRIRISK_TEST_POSTGRES_URL is not set (bash xtask/pg.sh run cargo test -p store)"
            );
            return None;
        };
        let base = url.split('?').next().unwrap_or(&url).to_string();
        let (prefix, _) = base.rsplit_once('/').expect("a postgres:// URL naming a database");
        Some(Cluster { prefix: format!("{prefix}/"), url, made: Vec::new() })
    }

    async fn fresh(&mut self) -> String {
        let name = format!("agririsk_copy_{}_{}", std::process::id(), self.made.len());
        let mut admin = sqlx::PgConnection::connect(&self.url).await.expect("connect");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut admin).await.expect("create");
        self.made.push(name.clone());
        format!("{}{name}", self.prefix)
    }

    async fn drop_all(self) {
        let mut admin = sqlx::PgConnection::connect(&self.url).await.expect("connect");
        for name in self.made {
            let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut admin).await.expect("drop");
        }
    }
}

#[tokio::test]
async fn copy_sqlite_to_postgres_and_back_keeps_the_content_hashes() {
    let Some(mut cluster) = Cluster::from_env("copy_sqlite_to_postgres_and_back_keeps_the_content_hashes") else {
        return;
    };
    let (from, back) = (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
    filled(from.path()).await;
    let pg = Location::parse(&cluster.fresh().await).expect("url");

    // Interrupted on the way in, resumed, verified.
    let small = CopyOptions { page_rows: 11, stop_after_pages: Some(4) };
    let stopped = copy(&location(from.path()), &pg, small).await;
    assert!(matches!(stopped, Err(CopyError::Stopped(4))), "{stopped:?}");
    let there = copy(&location(from.path()), &pg, CopyOptions::default()).await.expect("to postgres");
    assert!(there.resumed);
    assert_verified(&there);

    // The registers read the same on PostgreSQL, its audit chain verifies, and its identity counters moved on.
    let store = store::PgStore::open(&match &pg {
        Location::Postgres(url) => url.clone(),
        Location::Sqlite(_) => unreachable!("a postgres location"),
    })
    .await
    .expect("open");
    let (entries, verified) = conformance::audit::read_all(&store, 100).await;
    assert!(verified.is_ok(), "{verified:?}");
    let sqlite_store = SqliteStore::open(from.path()).await.expect("open");
    assert_eq!(entries, conformance::audit::read_all(&sqlite_store, 100).await.0);
    use store::{IdentityStore, ModelRegistry, ReviewWorkflow};
    assert_eq!(store.models(None).await.expect("models"), sqlite_store.models(None).await.expect("models"));
    assert_eq!(store.review_state("D3").await.expect("state"), sqlite_store.review_state("D3").await.expect("state"));
    let queue = sqlite_store.review_queue(100).await.expect("queue");
    assert_eq!(store.review_queue(100).await.expect("queue"), queue, "the open cases are rebuilt on PostgreSQL");
    assert_eq!(store.users().await.expect("users"), sqlite_store.users().await.expect("users"));
    sqlite_store.close().await;
    let attempt = store::LoginAttempt {
        username: "late".into(),
        address: "10.0.0.9".into(),
        at: identity::at(59, 0),
        succeeded: false,
    };
    store.record_login(&attempt).await.expect("a new attempt after the copied ones gets a fresh number");
    store.close().await;

    // And back: every table hashes as it did in the first SQLite store.
    let pg_after_attempt = verify(&location(from.path()), &pg).await.expect("verify");
    assert!(!pg_after_attempt.ok(), "the attempt made after the copy shows");
    let returned = copy(&pg, &location(back.path()), CopyOptions::default()).await.expect("back");
    assert_verified(&returned);
    let home = verify(&location(from.path()), &location(back.path())).await.expect("verify");
    let differing: Vec<&str> = home.verification.tables.iter().filter(|t| !t.ok()).map(|t| t.table.as_str()).collect();
    assert_eq!(differing, ["login_attempts"], "only the attempt made on PostgreSQL differs");

    // Record tables made by the copy are the register's.
    let made = cluster.fresh().await;
    let register = store::PgStore::open(&made).await.expect("open");
    use store::RecordStore;
    for table in [conformance::households_table(), erasure::members_table(), erasure::accounts_table()] {
        RecordStore::ensure_record_table(&register, &table).await.expect("table");
    }
    register.close().await;
    let shape = "SELECT c.table_name::text, c.column_name::text, c.data_type::text, c.is_identity::text,
                        COALESCE(c.collation_name::text, '')
                 FROM information_schema.columns AS c
                 WHERE c.table_schema = current_schema() AND c.table_name IN ('rec_households', 'rec_members')
                 UNION ALL
                 SELECT tgrelid::regclass::text, tgname::text, pg_get_triggerdef(oid), '', ''
                 FROM pg_trigger WHERE NOT tgisinternal AND tgrelid::regclass::text IN ('rec_households', 'rec_members')
                 UNION ALL
                 SELECT tablename::text, indexname::text, indexdef, '', '' FROM pg_indexes
                 WHERE tablename IN ('rec_households', 'rec_members')
                 ORDER BY 1, 2";
    let read = |url: String| async move {
        let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
        let rows: Vec<(String, String, String, String, String)> =
            sqlx::query_as(shape).fetch_all(&mut conn).await.expect("shape");
        conn.close().await.expect("close");
        rows
    };
    let Location::Postgres(copied) = &pg else { unreachable!("a postgres location") };
    let (by_copy, by_register) = (read(copied.clone()).await, read(made).await);
    assert!(by_copy.iter().any(|r| r.0 == "rec_members"), "{by_copy:?}");
    assert_eq!(by_copy, by_register);
    cluster.drop_all().await;
}
