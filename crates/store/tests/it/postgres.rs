//! The conformance suites against PostgreSQL, plus PostgreSQL-specific guarantees: the schema refuses edits of the
//! append-only tables, concurrent appends to one loan are serialised, audit times keep their offset, and the same
//! writes chain to the same hashes on both engines.
//!
//! The cluster is `AGRIRISK_TEST_POSTGRES_URL` (`bash xtask/pg.sh run cargo test -p store` starts a throwaway one).
//! Without it these tests pass after printing that they were skipped — unless `AGRIRISK_REQUIRE_POSTGRES=1` (as in
//! CI), when a missing URL fails them. Every store is a database of its own, created from the cluster URL and
//! dropped when its test is done.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use audit::{Entry, NewEntry};
use domain::{LoanId, Money, RepaymentId};
use lending::{DatedEvent, LoanEvent, Posting};
use sqlx::Connection;
use store::conformance::audit::{at, entry, read_all};
use store::{Appended, AuditLog, LoanStore, NewEvent, PgStore, SqliteStore, StoreError, conformance};

use super::error_chain;

/// A PostgreSQL cluster the tests make databases in.
pub(super) struct Cluster {
    /// The URL the cluster was given as, whose database the others are created from.
    url: String,
    /// The URL up to the database name, with a trailing `/`.
    prefix: String,
    /// Databases made so far, dropped by [`Cluster::drop_all`].
    made: std::sync::Mutex<Vec<String>>,
}

static DATABASES: AtomicU32 = AtomicU32::new(0);

/// The cluster of `AGRIRISK_TEST_POSTGRES_URL`, or `None` after printing that `test` was skipped; a missing URL
/// fails the test when `AGRIRISK_REQUIRE_POSTGRES=1`.
pub(super) fn cluster(test: &str) -> Option<Cluster> {
    let Some(url) = std::env::var("AGRIRISK_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty()) else {
        assert!(
            std::env::var("AGRIRISK_REQUIRE_POSTGRES").as_deref() != Ok("1"),
            "{test}: AGRIRISK_REQUIRE_POSTGRES=1 but AGRIRISK_TEST_POSTGRES_URL is not set (bash xtask/pg.sh start)"
        );
        eprintln!("{test}: skipped: AGRIRISK_TEST_POSTGRES_URL is not set (bash xtask/pg.sh run cargo test -p store)");
        return None;
    };
    let without_query = url.split('?').next().unwrap_or(&url);
    let (prefix, database) = without_query.rsplit_once('/').expect("a postgres:// URL");
    assert!(
        !database.is_empty() && prefix.contains("://") && !prefix.ends_with('/'),
        "AGRIRISK_TEST_POSTGRES_URL must name a database: {url}"
    );
    Some(Cluster { prefix: format!("{prefix}/"), url, made: std::sync::Mutex::new(Vec::new()) })
}

impl Cluster {
    async fn admin(&self) -> sqlx::PgConnection {
        sqlx::PgConnection::connect(&self.url).await.expect("connect to the test cluster")
    }

    /// A new, empty database and a store opened on it.
    pub(super) async fn fresh(&self) -> PgStore {
        PgStore::open(&self.fresh_url().await).await.expect("open the store")
    }

    /// A new, empty database (no schema yet), by URL.
    pub(super) async fn fresh_url(&self) -> String {
        let name = format!("agririsk_it_{}_{}", std::process::id(), DATABASES.fetch_add(1, Ordering::Relaxed));
        let mut admin = self.admin().await;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("create a test database");
        self.made.lock().expect("not poisoned").push(name.clone());
        format!("{}{name}", self.prefix)
    }

    /// Drops every database this cluster made, closing the connections still open on them.
    pub(super) async fn drop_all(&self) {
        let names = std::mem::take(&mut *self.made.lock().expect("not poisoned"));
        let mut admin = self.admin().await;
        for name in names {
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                .execute(&mut admin)
                .await
                .expect("drop a test database");
        }
    }
}

#[tokio::test]
async fn postgres_passes_the_conformance_suite() {
    let Some(cluster) = cluster("postgres_passes_the_conformance_suite") else { return };
    let c = &cluster;
    conformance::check_all(|| c.fresh()).await;
    cluster.drop_all().await;
}

#[tokio::test]
async fn postgres_passes_the_audit_trail_suite() {
    let Some(cluster) = cluster("postgres_passes_the_audit_trail_suite") else { return };
    let c = &cluster;
    conformance::audit::check_audit(|| c.fresh()).await;
    cluster.drop_all().await;
}

fn repayment(date: &str, id: &str, fen: i64) -> NewEvent {
    let event = LoanEvent::Repaid { id: RepaymentId::parse(id).expect("id"), amount: Money::from_fen(fen) };
    NewEvent::keyed_by_id(DatedEvent { date: domain::parse_date(date).expect("date"), event })
}

#[tokio::test]
async fn financial_history_and_the_audit_trail_cannot_be_edited_in_place() {
    let Some(cluster) = cluster("financial_history_and_the_audit_trail_cannot_be_edited_in_place") else { return };
    let store = cluster.fresh().await;
    conformance::ledger_lines_round_trip_to_the_fen(store.clone()).await;
    conformance::status_changes_are_recorded_once(cluster.fresh().await).await;
    for sql in [
        "UPDATE ledger_postings SET amount_fen = 0",
        "DELETE FROM ledger_postings",
        "TRUNCATE ledger_postings",
        "UPDATE loan_events SET payload_json = '{}'",
        "DELETE FROM loan_events",
        "TRUNCATE loan_events CASCADE",
        "UPDATE loans SET principal_fen = 1",
        "DELETE FROM loans",
        "TRUNCATE loans CASCADE",
        "UPDATE audit_log SET actor = 'user:mallory' WHERE seq = 2",
        "DELETE FROM audit_log WHERE seq = 3",
        "TRUNCATE audit_log",
    ] {
        let err = store.execute_raw(sql).await.expect_err("append-only tables refuse edits");
        let text = error_chain(&err);
        assert!(
            text.contains("append-only") || text.contains("immutable") || text.contains("never deleted"),
            "{sql}: {text}"
        );
    }
    let status = cluster.fresh().await;
    conformance::status_changes_are_recorded_once(status.clone()).await;
    for sql in ["UPDATE status_changes SET cause = 'x'", "DELETE FROM status_changes", "TRUNCATE status_changes"] {
        let err = status.execute_raw(sql).await.expect_err("append-only");
        assert!(error_chain(&err).contains("append-only"), "{sql}: {}", error_chain(&err));
    }
    assert_eq!(store.ledger(&LoanId::parse("L1").expect("id")).await.expect("ledger").len(), 4, "nothing changed");
    read_all(&store, 100).await.1.expect("the trail is intact");
    cluster.drop_all().await;
}

#[tokio::test]
async fn two_appends_with_the_same_expected_count_exactly_one_wins() {
    let Some(cluster) = cluster("two_appends_with_the_same_expected_count_exactly_one_wins") else { return };
    let store = cluster.fresh().await;
    let loan = conformance::sample_loan("L000001");
    store.create_loan(&loan, &[]).await.expect("create");
    let rounds = 12u32;
    for round in 0..rounds {
        // Two writers saw `round` events and post different repayments: one is stored, the other refused.
        let (a, b) =
            (repayment("2026-04-10", &format!("ra{round}"), 100), repayment("2026-04-10", &format!("rb{round}"), 200));
        let lines = [Posting::new("current-interest", Money::from_fen(100))];
        let (first, second) = tokio::join!(
            store.append(&loan.id, round, &a, &lines, &[]),
            store.append(&loan.id, round, &b, &lines, &[])
        );
        let outcomes = [first, second];
        let won = outcomes.iter().filter(|o| matches!(o, Ok(Appended::New { seq }) if *seq == round + 1)).count();
        let refused = outcomes
            .iter()
            .filter_map(|o| match o {
                Err(StoreError::Conflict { expected, found, .. }) => Some((*expected, *found)),
                _ => None,
            })
            .filter(|seen| *seen == (round, round + 1))
            .count();
        assert_eq!((won, refused), (1, 1), "round {round}: {outcomes:?}");
    }
    // The same repayment posted twice at once (a retried request): stored once, the other told it is a duplicate.
    let pay = repayment("2026-05-10", "r-retried", 300);
    let lines = [Posting::new("current-interest", Money::from_fen(300))];
    let (first, second) = tokio::join!(
        store.append(&loan.id, rounds, &pay, &lines, &[]),
        store.append(&loan.id, rounds, &pay, &lines, &[])
    );
    let mut outcomes = [first.expect("first"), second.expect("second")];
    outcomes.sort_by_key(|o| matches!(o, Appended::Duplicate { .. }));
    assert_eq!(outcomes, [Appended::New { seq: rounds + 1 }, Appended::Duplicate { seq: rounds + 1 }]);

    assert_eq!(store.events(&loan.id).await.expect("events").len(), usize::try_from(rounds + 1).expect("small"));
    assert_eq!(store.ledger(&loan.id).await.expect("ledger").len(), usize::try_from(rounds + 1).expect("small"));
    let (entries, verified) = read_all(&store, 7).await;
    verified.expect("one chain");
    let repaid = entries.iter().filter(|e| e.entry.action == "loan.repaid").count();
    assert_eq!(
        repaid,
        usize::try_from(rounds + 1).expect("small"),
        "one entry per stored repayment, none for a refusal"
    );
    cluster.drop_all().await;
}

#[tokio::test]
async fn audit_times_read_back_with_the_offset_they_were_written_with() {
    let Some(cluster) = cluster("audit_times_read_back_with_the_offset_they_were_written_with") else { return };
    let store = cluster.fresh().await;
    let times =
        ["2026-12-01T09:00:00+08:00", "2026-12-01T01:00:01Z", "2026-11-30T20:00:02-05:00", "2026-12-01T06:45:03+05:45"];
    let entries: Vec<NewEntry> =
        times.iter().enumerate().map(|(i, t)| entry(u32::try_from(i).expect("small"), t)).collect();
    let chained = store.append_audit(&entries).await.expect("append");
    let back = store.audit_entries(0, 10).await.expect("read");
    assert_eq!(back, chained, "exactly as appended");
    let texts: Vec<String> = back.iter().map(|e| e.entry.at.to_string()).collect();
    assert_eq!(texts, times, "the text each entry was chained with");
    // The span is chosen by instant, whatever offset either side is written in.
    let span = store.audit_between(&at("2026-12-01T01:00:01Z"), &at("2026-12-01T09:00:04+08:00"), 0, 10).await;
    assert_eq!(span.expect("export").iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 3, 4]);
    cluster.drop_all().await;
}

/// The same loan writes under the same actor and clock, on SQLite and on PostgreSQL.
async fn write_a_loan<S: LoanStore>(store: &S) {
    let loan = conformance::sample_loan("L000001");
    let approved = NewEvent::keyed_by_id(DatedEvent {
        date: domain::parse_date("2026-03-09").expect("date"),
        event: LoanEvent::Approved { by: "officer".into() },
    });
    store.create_loan(&loan, &[approved]).await.expect("create");
    let disbursed = NewEvent::keyed_by_id(DatedEvent {
        date: domain::parse_date("2026-03-10").expect("date"),
        event: LoanEvent::Disbursed { amount: Money::from_yuan(50_000) },
    });
    let lines = [Posting::new("disbursement", Money::from_yuan(50_000))];
    store.append(&loan.id, 1, &disbursed, &lines, &[]).await.expect("disburse");
    let lines = [Posting::new("current-interest", Money::from_fen(21_528))];
    store.append(&loan.id, 2, &repayment("2026-04-10", "r1", 21_528), &lines, &[]).await.expect("repay");
}

#[tokio::test]
async fn the_same_writes_chain_to_the_same_hashes_on_both_engines() {
    let Some(cluster) = cluster("the_same_writes_chain_to_the_same_hashes_on_both_engines") else { return };
    let clock: Arc<dyn domain::Clock + Send + Sync> =
        Arc::new(domain::FixedClock(domain::parse_date("2026-03-09").expect("date")));
    let pg = cluster.fresh().await.acting("user:alice", "10.0.0.7").with_clock(clock.clone());
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = SqliteStore::open(dir.path()).await.expect("open").acting("user:alice", "10.0.0.7").with_clock(clock);
    write_a_loan(&pg).await;
    write_a_loan(&sqlite).await;
    let (on_pg, verified): (Vec<Entry>, _) = read_all(&pg, 100).await;
    verified.expect("the PostgreSQL chain verifies");
    let on_sqlite = read_all(&sqlite, 100).await.0;
    assert_eq!(on_pg.len(), 4, "loan.create, loan.approved, loan.disbursed, loan.repaid");
    assert_eq!(on_pg, on_sqlite, "entry for entry, hash for hash");
    assert_eq!(on_pg[0].entry.actor, "user:alice");
    assert_eq!(pg.record_counts().await.expect("counts").loans, 1);
    assert!(pg.unaudited_records(10).await.expect("anti-join").is_empty());
    // A loan written behind the store's back has no creating entry, and is named.
    let forged = "INSERT INTO loans
                  SELECT 'L000009', borrower_id, product, principal_fen, annual_rate, start_date, rules, terms_json,
                         booked_on
                  FROM loans WHERE id = 'L000001'";
    pg.execute_raw(forged).await.expect("forge");
    assert_eq!(pg.unaudited_records(10).await.expect("anti-join"), ["loan:L000009"]);
    cluster.drop_all().await;
}

#[tokio::test]
async fn reopening_applies_no_migration_twice() {
    let Some(cluster) = cluster("reopening_applies_no_migration_twice") else { return };
    let store = cluster.fresh().await;
    conformance::loans_round_trip(store.clone()).await;
    let loans = store.loans().await.expect("loans");
    let url = format!("{}{}", cluster.prefix, cluster.made.lock().expect("not poisoned")[0]);
    store.close().await;
    let again = PgStore::open(&url).await.expect("reopen");
    assert_eq!(again.loans().await.expect("loans"), loans, "the data is still there");
    let applied = again.execute_raw("SELECT version FROM _sqlx_migrations").await.expect("migrations");
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres")).expect("dir").count();
    assert_eq!(applied, u64::try_from(files).expect("small"), "each migration applied once");
    cluster.drop_all().await;
}

#[tokio::test]
async fn a_malformed_or_unreachable_url_is_an_error_not_a_panic() {
    for url in ["not a url", "mysql://agririsk@127.0.0.1/agririsk", "postgres://agririsk@127.0.0.1:1/agririsk"] {
        let refused = PgStore::open(url).await.expect_err(url);
        assert!(matches!(refused, StoreError::Database(_)), "{url}: {refused:?}");
    }
}

#[tokio::test]
async fn two_writers_booking_one_loan_id_at_once_book_it_once() {
    let Some(cluster) = cluster("two_writers_booking_one_loan_id_at_once_book_it_once") else { return };
    let store = cluster.fresh().await;
    let loan = conformance::sample_loan("L000001");
    let approved = |by: &str| {
        NewEvent::keyed_by_id(DatedEvent {
            date: domain::parse_date("2026-03-09").expect("date"),
            event: LoanEvent::Approved { by: by.into() },
        })
    };
    let (a, b) = (approved("officer-a"), approved("officer-b"));
    let (first, second) = tokio::join!(
        store.create_loan(&loan, std::slice::from_ref(&a)),
        store.create_loan(&loan, std::slice::from_ref(&b))
    );
    let outcomes = [first, second];
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1, "{outcomes:?}");
    assert!(outcomes.iter().any(|o| matches!(o, Err(StoreError::DuplicateLoan(id)) if *id == loan.id)), "{outcomes:?}");
    let events = store.events(&loan.id).await.expect("events");
    assert_eq!(events.len(), 1, "the loser wrote nothing");
    let (entries, verified) = read_all(&store, 10).await;
    verified.expect("one chain");
    let actions: Vec<&str> = entries.iter().map(|e| e.entry.action.as_str()).collect();
    assert_eq!(actions, ["loan.create", "loan.approved"], "only the winner's writes are audited");
    cluster.drop_all().await;
}

#[tokio::test]
async fn the_schema_keeps_money_in_bigint_fen_and_dates_and_instants_in_their_types() {
    let Some(cluster) = cluster("the_schema_keeps_money_in_bigint_fen_and_dates_and_instants_in_their_types") else {
        return;
    };
    let store = cluster.fresh().await;
    drop(store);
    let url = format!("{}{}", cluster.prefix, cluster.made.lock().expect("not poisoned")[0]);
    let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
    let columns: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations' ORDER BY table_name, column_name",
    )
    .fetch_all(&mut conn)
    .await
    .expect("columns");
    assert!(columns.len() > 30, "the schema is there: {columns:?}");
    for (table, column, kind) in &columns {
        let expected = if column.ends_with("_fen") {
            "bigint"
        } else if column.ends_with("_date") || column.ends_with("_on") {
            "date"
        } else if column == "at" {
            "timestamp with time zone"
        } else {
            continue;
        };
        assert_eq!(kind, expected, "{table}.{column}");
    }
    conn.close().await.expect("close");
    cluster.drop_all().await;
}
