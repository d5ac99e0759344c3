//! The conformance suite against SQLite, plus SQLite-specific guarantees.

use store::{LoanStore, SqliteStore, conformance};

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
        // The trigger's message is in the error's source chain.
        let mut text = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(s) = source {
            text.push_str(&format!(": {s}"));
            source = s.source();
        }
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
    assert_eq!(again.loans().await.expect("list").len(), 2);
    again.close().await;
    let files: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files, [SqliteStore::FILE_NAME], "a cleanly closed store leaves only its database file");
}
