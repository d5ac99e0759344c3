//! The conformance suite against SQLite, plus SQLite-specific guarantees.

mod alerts;
mod audit;
mod decision_storage;
mod decisions;
mod erasure;
mod identity;
mod policies;
mod postgres;
mod postgres_alerts;
mod postgres_decisions;
mod postgres_identity_screening;
mod postgres_records;
mod postgres_workflow;
mod workflow;

use scoring::lifecycle::ModelStatus;
use store::{LoanStore, ModelRecord, ModelRegistry, SqliteStore, StoreError, conformance};

async fn fresh() -> SqliteStore {
    // Each store lives in its own temporary directory, kept for the life of the test process.
    let dir = tempfile::tempdir().expect("temp dir").keep();
    SqliteStore::open(&dir).await.expect("open store")
}

#[tokio::test]
async fn sqlite_passes_the_conformance_suite() {
    conformance::check_all(fresh).await;
}

#[tokio::test]
async fn sqlite_passes_the_model_registry_suite() {
    conformance::check_registry(fresh).await;
}

#[tokio::test]
async fn sqlite_passes_the_screening_register_suite() {
    conformance::check_screening(fresh).await;
}

#[tokio::test]
async fn sqlite_passes_the_decision_log_suite() {
    conformance::check_decisions(fresh).await;
}

#[tokio::test]
async fn sqlite_passes_the_policy_register_suite() {
    conformance::check_policies(fresh).await;
}

#[tokio::test]
async fn sqlite_passes_the_review_workflow_suite() {
    conformance::check_workflow(fresh).await;
}

#[tokio::test]
async fn sqlite_passes_the_records_suite() {
    conformance::check_records(fresh).await;
}

#[tokio::test]
async fn sqlite_passes_the_dual_control_suite() {
    conformance::dual::check_dual(fresh).await;
    conformance::dual::check_authority(fresh).await;
}

#[tokio::test]
async fn proposals_and_decisions_are_append_only() {
    use store::DualControl;
    let store = fresh().await;
    store.propose(&conformance::dual::write_off("L000001", "user:alice")).await.expect("propose");
    let at = domain::Timestamp::parse("2026-12-07T11:00:00+08:00").expect("at");
    store.decide_proposal("P000001", ::workflow::dual::Verdict::Rejected, "user:bob", &at, "no").await.expect("reject");
    for sql in [
        "UPDATE dual_proposals SET reason = 'x'",
        "DELETE FROM dual_proposals",
        "UPDATE dual_decisions SET verdict = 'confirmed'",
        "DELETE FROM dual_decisions",
        "INSERT INTO dual_decisions VALUES ('P000001', 'confirmed', 'user:carol', 't', '')",
    ] {
        assert!(store.execute_raw(sql).await.is_err(), "{sql} was allowed");
    }
    store.propose(&conformance::dual::write_off("L000002", "user:alice")).await.expect("propose");
    let own = "INSERT INTO dual_decisions VALUES ('P000002', 'confirmed', 'user:alice', 't', '')";
    assert!(store.execute_raw(own).await.is_err(), "the proposer decided by a raw insert");
    let twice = "INSERT INTO dual_proposals VALUES ('P000003', 'loan_write_off', 'loan:L000002', '{}', 'r', 'u', 't')";
    assert!(store.execute_raw(twice).await.is_err(), "a second open proposal by a raw insert");
}

#[tokio::test]
async fn screening_entries_are_append_only() {
    let store = fresh().await;
    let entry = store::ScreeningEntry {
        household_id: "H1".into(),
        kind: store::ScreeningKind::Consent,
        effective_on: domain::parse_date("2026-01-01").expect("date"),
        source: "branch-01".into(),
        recorded_by: "risk.li".into(),
        recorded_at: "2026-01-01T09:00:00+08:00".into(),
        note: String::new(),
        scope: None,
    };
    store::ScreeningRegister::record_screening(&store, &[entry]).await.expect("record");
    assert!(store.execute_raw("UPDATE screening_entries SET kind = 'consent_withdrawn'").await.is_err());
    assert!(store.execute_raw("DELETE FROM screening_entries").await.is_err());
}

/// The error's message with its whole source chain, where SQLite puts a trigger's message.
fn error_chain(err: &StoreError) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

#[tokio::test]
async fn financial_history_cannot_be_edited_in_place() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path()).await.expect("open");
    conformance::ledger_lines_round_trip_to_the_fen(store.clone()).await;
    for sql in [
        "UPDATE ledger_postings SET amount_fen = 0",
        "DELETE FROM ledger_postings",
        "UPDATE loan_events SET payload_json = '{}'",
        "DELETE FROM loan_events",
        "UPDATE loans SET principal_fen = 1",
        "DELETE FROM loans",
    ] {
        let err = store.execute_raw(sql).await.expect_err("append-only tables refuse edits");
        let text = error_chain(&err);
        assert!(
            text.contains("append-only") || text.contains("immutable") || text.contains("never deleted"),
            "{sql}: {text}"
        );
    }
    assert_eq!(store.ledger(&domain::LoanId::parse("L1").expect("id")).await.expect("ledger").len(), 4);
}

#[tokio::test]
async fn reopening_keeps_data_and_applies_no_migration_twice() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path()).await.expect("open");
    conformance::loans_round_trip(store.clone()).await;
    store.close().await;
    let again = SqliteStore::open(dir.path()).await.expect("reopen");
    assert_eq!(again.loans().await.expect("list").len(), 3);
    again.close().await;
    let files: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files, [SqliteStore::FILE_NAME], "a cleanly closed store leaves only its database file");
}

fn model(n: u64, name: &str) -> ModelRecord {
    ModelRecord {
        id: format!("{n:064x}"),
        name: name.into(),
        kind: "gbdt".into(),
        format_version: 2,
        created_at: "2026-05-01T09:00:00+08:00".into(),
        artifact_json: format!(r#"{{"trees": [], "n": {n}}}"#),
    }
}

const AT: &str = "2026-05-02T10:00:00+08:00";

#[tokio::test]
async fn model_history_cannot_be_edited_in_place() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path()).await.expect("open");
    let (champion, candidate) = (model(1, "smallholder-pd"), model(2, "smallholder-pd"));
    for record in [&champion, &candidate] {
        store.register_model(record, AT, "analyst").await.expect("register");
    }
    store.set_model_status(&champion.id, ModelStatus::Champion, AT, "committee", "first").await.expect("promote");
    let (one, two) = (&champion.id, &candidate.id);
    for (sql, refusal) in [
        (format!("UPDATE models SET artifact_json = '{{}}' WHERE id = '{one}'"), "immutable"),
        ("UPDATE models SET name = 'other'".into(), "immutable"),
        ("DELETE FROM models".into(), "never deleted"),
        ("UPDATE model_status_changes SET to_status = 'retired'".into(), "append-only"),
        ("UPDATE model_status_changes SET reason = 'rewritten' WHERE seq = 2".into(), "append-only"),
        ("DELETE FROM model_status_changes".into(), "append-only"),
        // Raw inserts cannot forge the lifecycle's chain or a second champion either.
        (
            format!("INSERT INTO model_status_changes VALUES ('{two}', 2, 'candidate', 'champion', 't', 'x', 'y')"),
            "one champion",
        ),
        (
            format!("INSERT INTO model_status_changes VALUES ('{two}', 3, 'candidate', 'retired', 't', 'x', 'y')"),
            "current status",
        ),
        (
            format!("INSERT INTO model_status_changes VALUES ('{two}', 2, 'challenger', 'retired', 't', 'x', 'y')"),
            "current status",
        ),
        (
            format!("INSERT INTO model_status_changes VALUES ('{two}', 1, NULL, 'candidate', 't', 'x', 'y')"),
            "current status",
        ),
    ] {
        let err = store.execute_raw(&sql).await.expect_err("the schema refuses it");
        let text = error_chain(&err);
        assert!(text.contains(refusal), "{sql}: {text}");
    }
    let (summary, json) = store.model(one).await.expect("read").expect("registered");
    assert_eq!((summary.status, json), (ModelStatus::Champion, champion.artifact_json.clone()));
    assert_eq!(store.model_history(one).await.expect("history").len(), 2);
    assert_eq!(store.model_history(two).await.expect("history").len(), 1);
}

#[tokio::test]
async fn the_model_registry_survives_reopening() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path()).await.expect("open");
    let (old, new) = (model(1, "smallholder-pd"), model(2, "smallholder-pd"));
    for record in [&old, &new] {
        store.register_model(record, AT, "analyst").await.expect("register");
    }
    store.set_model_status(&old.id, ModelStatus::Champion, AT, "committee", "first").await.expect("promote");
    store.set_model_status(&new.id, ModelStatus::Champion, AT, "committee", "better").await.expect("promote");
    let before = (store.models(None).await.expect("list"), store.model_history(&old.id).await.expect("history"));
    store.close().await;
    let again = SqliteStore::open(dir.path()).await.expect("reopen");
    assert_eq!((again.models(None).await.expect("list"), again.model_history(&old.id).await.expect("history")), before);
    assert_eq!(again.champion("smallholder-pd").await.expect("champion").map(|m| m.id), Some(new.id.clone()));
    let (_, json) = again.model(&new.id).await.expect("read").expect("registered");
    assert_eq!(json, new.artifact_json);
    // Still idempotent after the reopen.
    assert_eq!(again.register_model(&old, AT, "analyst").await.expect("again").status, ModelStatus::Challenger);
    again.close().await;
}

#[tokio::test]
async fn migrations_apply_on_a_database_from_before_the_model_registry() {
    use sqlx::SqlSafeStr;
    use sqlx::migrate::{Migration, MigrationType, Migrator};
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

    let dir = tempfile::tempdir().expect("temp dir");
    let options = SqliteConnectOptions::new()
        .filename(dir.path().join(SqliteStore::FILE_NAME))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal);
    let connect = || SqlitePoolOptions::new().max_connections(1).connect_with(options.clone());
    // The database as the release before the registry left it: migration 0001 only, and a loan in it.
    let old = connect().await.expect("old database");
    let loans_sql = include_str!("../../migrations/sqlite/0001_loans.sql");
    let first = Migration::new(1, "loans".into(), MigrationType::Simple, loans_sql.into_sql_str(), false);
    Migrator::with_migrations(vec![first]).run(&old).await.expect("migration 0001");
    let request = lending::TermsRequest {
        product: Some(lending::ProductKind::HarvestBullet.code().into()),
        principal: Some("50000".into()),
        annual_rate: Some("0.05".into()),
        start: Some("2026-03-10".into()),
        crop: Some("summer-maize".into()),
        region: Some("north-china-plain".into()),
        grace_months: Some(1),
        ..lending::TermsRequest::default()
    };
    let terms = lending::LoanTerms::new(&request, &domain::CropCalendar::china_default()).expect("terms");
    sqlx::query(
        "INSERT INTO loans (id, borrower_id, product, principal_fen, annual_rate, start_date, rules, terms_json, booked_on)
         VALUES ('L000001', 'B-0001', ?, ?, ?, ?, 'cbirc-2023', ?, '2026-03-09')",
    )
    .bind(terms.product().code())
    .bind(terms.principal().fen())
    .bind(terms.annual_rate().to_string())
    .bind(terms.start().to_string())
    .bind(serde_json::to_string(&terms).expect("json"))
    .execute(&old)
    .await
    .expect("old loan");
    old.close().await;

    let store = SqliteStore::open(dir.path()).await.expect("open applies 0002");
    let loans = store.loans().await.expect("loans");
    assert_eq!(loans.len(), 1, "the old data is kept");
    assert_eq!(loans[0].terms, terms);
    assert!(store.models(None).await.expect("models").is_empty());
    let record = model(1, "smallholder-pd");
    store.register_model(&record, AT, "analyst").await.expect("register");
    store.close().await;
    let again = SqliteStore::open(dir.path()).await.expect("reopen applies nothing twice");
    assert_eq!(again.models(None).await.expect("models").len(), 1);
    again.close().await;
    let db = connect().await.expect("database");
    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version").fetch_all(&db).await.expect("read");
    assert_eq!(
        versions,
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18],
        "each migration applied once, in order"
    );
    db.close().await;
}

#[tokio::test]
async fn the_quick_reader_reads_the_screening_register_as_the_pool_does() {
    let store = fresh().await;
    let reader = store.quick_reader();
    assert!(reader.screening_of("H1").expect("empty").is_empty());
    let entry = |kind, on: &str| store::ScreeningEntry {
        household_id: "H1".into(),
        kind,
        effective_on: domain::parse_date(on).expect("date"),
        source: "branch-01".into(),
        recorded_by: "risk.li".into(),
        recorded_at: "2026-01-01T09:00:00+08:00".into(),
        note: "signed".into(),
        scope: None,
    };
    let scope = store::ConsentScope {
        data_source: privacy::consent::DataSource::Transactions,
        purpose: privacy::consent::Purpose::CreditAssessment,
    };
    let entries = [
        entry(store::ScreeningKind::ConsentWithdrawn, "2026-03-01"),
        entry(store::ScreeningKind::Consent, "2026-01-01"),
        store::ScreeningEntry { scope: Some(scope), ..entry(store::ScreeningKind::Consent, "2026-01-01") },
    ];
    store::ScreeningRegister::record_screening(&store, &entries).await.expect("record");
    let pooled = store::ScreeningRegister::screening_of(&store, "H1").await.expect("pool");
    assert_eq!(reader.screening_of("H1").expect("quick"), pooled);
    assert_eq!(reader.all_screening().expect("quick"), pooled);
    assert_eq!(pooled.len(), 3);
    assert_eq!(pooled.iter().filter(|e| e.scope == Some(scope)).count(), 1, "the scope is read back");
    // A write after the reader's connection was opened is seen by its next read.
    store::ScreeningRegister::record_screening(&store, &[entry(store::ScreeningKind::Blacklisted, "2026-04-01")])
        .await
        .expect("record");
    assert_eq!(reader.screening_of("H1").expect("quick").len(), 4);
}

/// The data directory the store makes is its owner's alone (700), and so are the database and its log (600), the
/// log taking the database file's mode; a database found readable by others is narrowed.
#[cfg(unix)]
#[tokio::test]
async fn the_database_and_its_directory_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &std::path::Path| std::fs::metadata(path).expect("metadata").permissions().mode() & 0o777;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("made").join("data");
    let store = SqliteStore::open(&data).await.expect("open");
    store.create_loan(&conformance::sample_loan("L-modes"), &[]).await.expect("a write, so the log exists");
    let database = data.join(SqliteStore::FILE_NAME);
    assert_eq!(mode(&data), 0o700, "the data directory");
    assert_eq!(mode(&database), 0o600, "the database");
    let wal = data.join(format!("{}-wal", SqliteStore::FILE_NAME));
    assert_eq!(mode(&wal), 0o600, "the write-ahead log");
    store.close().await;
    std::fs::set_permissions(&database, std::fs::Permissions::from_mode(0o644)).expect("loosen");
    let store = SqliteStore::open(&data).await.expect("open again");
    assert_eq!(mode(&database), 0o600, "narrowed on opening");
    store.close().await;
}

/// A command that only reads (a policy replay, a village roster) reads the screening register through the store's
/// shared quick reader; closing the store closes those connections too, so the write-ahead log is checkpointed and
/// removed and the data directory is left as it was found.
#[tokio::test]
async fn closing_a_store_that_only_read_leaves_the_directory_as_it_was() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    SqliteStore::open(&data).await.expect("create").close().await;
    let files = || {
        let mut names: Vec<String> = std::fs::read_dir(&data)
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let before = files();
    assert_eq!(before, [SqliteStore::FILE_NAME], "a closed store is its database file alone");
    let store = store::Database::Sqlite(SqliteStore::open(&data).await.expect("open"));
    let (version, entries) = store.screening_snapshot().await.expect("snapshot");
    assert_eq!((version, entries.len()), (0, 0));
    assert_eq!(store.screening_version().await.expect("version"), 0);
    store.close().await;
    assert_eq!(files(), before, "the reader's connections closed with the store");
}

/// Migration 0012 rebuilds the screening table to put the consent scope in its key: entries recorded before it stay,
/// unscoped (general credit-check consents), with their row ids, which the server's copy counts by.
#[tokio::test]
async fn screening_entries_from_before_consent_scopes_survive_migration_0012_unscoped() {
    use sqlx::SqlSafeStr;
    use sqlx::migrate::{Migration, MigrationType, Migrator};
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

    let dir = tempfile::tempdir().expect("temp dir");
    let options = SqliteConnectOptions::new().filename(dir.path().join(SqliteStore::FILE_NAME)).create_if_missing(true);
    let old = SqlitePoolOptions::new().max_connections(1).connect_with(options).await.expect("old database");
    let sql = include_str!("../../migrations/sqlite/0009_screening.sql");
    let screening = Migration::new(9, "screening".into(), MigrationType::Simple, sql.into_sql_str(), false);
    Migrator::with_migrations(vec![screening]).run(&old).await.expect("migration 0009");
    sqlx::query(
        "INSERT INTO screening_entries (rowid, household_id, kind, effective_on, source, recorded_by, recorded_at, note)
         VALUES (41, 'H1', 'consent', '2020-01-01', 'branch-forms', 'clerk', '2020-01-01T09:00:00+08:00', 'signed')",
    )
    .execute(&old)
    .await
    .expect("old entry");
    old.close().await;

    let store = SqliteStore::open(dir.path()).await.expect("open applies the rest");
    let entries = store::ScreeningRegister::screening_of(&store, "H1").await.expect("read");
    assert_eq!(entries.len(), 1, "the old entry is kept");
    assert_eq!(
        (entries[0].kind, entries[0].scope, entries[0].note.as_str()),
        (store::ScreeningKind::Consent, None, "signed")
    );
    assert_eq!(store.quick_reader().screening_version().expect("version"), 41, "its row id is kept");
    assert!(store.execute_raw("DELETE FROM screening_entries").await.is_err(), "still append-only");
    let scoped = store::ScreeningEntry {
        scope: Some(store::ConsentScope {
            data_source: privacy::consent::DataSource::BureauReports,
            purpose: privacy::consent::Purpose::CreditAssessment,
        }),
        ..entries[0].clone()
    };
    assert_eq!(store::ScreeningRegister::record_screening(&store, &[scoped]).await.expect("scoped"), 1);
}
