//! The record register and the erasures register on PostgreSQL: their conformance suites, the schema's own refusals
//! (append-only tables, a record table's update trigger that lets through nothing but personal columns set to NULL),
//! the same audit entries as SQLite for the same writes, the race that matters — two loads of the same file at once
//! record its rows once — and a timed bulk load. Skipped, saying so, without `AGRIRISK_TEST_POSTGRES_URL` (see
//! [`super::postgres`]).

use std::sync::Arc;

use audit::Entry;
use store::conformance::audit::read_all;
use store::conformance::erasure::{all_members, check_erasures, erasure, load_members, member, members_table};
use store::conformance::{file_sha, household, households_table, load_info, load_rows};
use store::{
    Cell, Erased, ErasureRegister, Filter, LoadCounts, LoanStore, PgStore, RecordLoad, RecordStore, SqliteStore,
    StoreError, Versions, conformance,
};

use super::error_chain;
use super::postgres::cluster;

#[tokio::test]
async fn postgres_passes_the_records_suite() {
    let Some(cluster) = cluster("postgres_passes_the_records_suite") else { return };
    let c = &cluster;
    conformance::check_records(|| c.fresh()).await;
    cluster.drop_all().await;
}

#[tokio::test]
async fn postgres_passes_the_erasure_register_suite() {
    let Some(cluster) = cluster("postgres_passes_the_erasure_register_suite") else { return };
    let c = &cluster;
    check_erasures(|| c.fresh()).await;
    cluster.drop_all().await;
}

#[tokio::test]
async fn the_schema_keeps_loads_records_and_erasures_from_raw_statements() {
    let Some(cluster) = cluster("the_schema_keeps_loads_records_and_erasures_from_raw_statements") else { return };
    let store = cluster.fresh().await;
    load_members(&store).await;
    let rows = vec![(household("H1", "V1", Some(5)), 1, None)];
    load_rows(&store, &households_table(), &file_sha(7), "2026-06-30", rows, vec![conformance::quarantined(3, "x")])
        .await;
    store.erase(&erasure("H1", "asked"), &[members_table()]).await.expect("erase");
    let refused = [
        ("UPDATE loads SET rows_new = rows_new", "loads are append-only"),
        ("DELETE FROM loads", "loads are append-only"),
        ("TRUNCATE loads CASCADE", "loads are append-only"),
        ("UPDATE load_quarantine SET value = 'x'", "load_quarantine is append-only"),
        ("DELETE FROM load_quarantine", "load_quarantine is append-only"),
        ("TRUNCATE load_quarantine", "load_quarantine is append-only"),
        ("UPDATE record_tables SET columns_json = '[]'", "record_tables is append-only"),
        ("DELETE FROM record_tables", "record_tables is append-only"),
        ("UPDATE erasures SET reason = 'other'", "erasures are append-only"),
        ("DELETE FROM erasures", "erasures are append-only"),
        ("TRUNCATE erasures", "erasures are append-only"),
        ("UPDATE rec_members SET birth_year = 1900 WHERE household_id = 'H2'", "rec_members is append-only"),
        ("UPDATE rec_members SET household_id = 'H7' WHERE household_id = 'H2'", "rec_members is append-only"),
        ("UPDATE rec_members SET _hash = 'forged' WHERE household_id = 'H2'", "rec_members is append-only"),
        ("UPDATE rec_members SET _row = DEFAULT WHERE household_id = 'H2'", "rec_members is append-only"),
        ("UPDATE rec_members SET name = 'v1:k1:name:other' WHERE household_id = 'H2'", "rec_members is append-only"),
        (
            "UPDATE rec_members SET name = NULL, birth_year = 1900 WHERE household_id = 'H2'",
            "rec_members is append-only",
        ),
        ("DELETE FROM rec_members WHERE household_id = 'H2'", "rec_members is append-only"),
        ("TRUNCATE rec_members", "rec_members is append-only"),
        ("UPDATE rec_households SET deposits_fen = 6", "rec_households is append-only"),
    ];
    for (sql, says) in refused {
        let err = store.execute_raw(sql).await.expect_err(sql);
        assert!(error_chain(&err).contains(says), "{sql}: {}", error_chain(&err));
    }
    let cleared = store.execute_raw("UPDATE rec_members SET phone = NULL, phone_bidx = NULL WHERE household_id = 'H2'");
    assert_eq!(cleared.await.expect("personal columns to NULL pass"), 1);
    cluster.drop_all().await;
}

/// A record table, a load with a correction and a quarantined row, and an erasure, through `store`.
async fn write_records_and_erase<S: RecordStore + ErasureRegister>(store: &S) {
    let first = vec![(household("H1", "V1", Some(5)), 1, None), (household("H2", "V2", None), 1, None)];
    load_rows(store, &households_table(), &file_sha(1), "2026-06-30", first, vec![conformance::quarantined(4, "x")])
        .await;
    let second = vec![(household("H1", "V1", Some(9)), 2, Some("2026-07-31".to_string()))];
    load_rows(store, &households_table(), &file_sha(2), "2026-07-31", second, Vec::new()).await;
    load_members(store).await;
    let mut asked = erasure("H1", "the borrower asked (PIPL art. 47)");
    asked.override_hold = Some("court order 17".to_string());
    let done = store.erase(&asked, &[members_table()]).await.expect("erase");
    assert!(matches!(done, Erased::Done(_)), "{done:?}");
}

#[tokio::test]
async fn the_same_record_and_erasure_writes_chain_to_the_same_hashes_on_both_engines() {
    let test = "the_same_record_and_erasure_writes_chain_to_the_same_hashes_on_both_engines";
    let Some(cluster) = cluster(test) else { return };
    let clock: Arc<dyn domain::Clock + Send + Sync> =
        Arc::new(domain::FixedClock(domain::parse_date("2026-08-01").expect("date")));
    let pg = cluster.fresh().await.acting("user:alice", "10.0.0.7").with_clock(clock.clone());
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = SqliteStore::open(dir.path()).await.expect("open").acting("user:alice", "10.0.0.7").with_clock(clock);
    write_records_and_erase(&pg).await;
    write_records_and_erase(&sqlite).await;
    let (on_pg, verified): (Vec<Entry>, _) = read_all(&pg, 100).await;
    verified.expect("the PostgreSQL chain verifies");
    let on_sqlite = read_all(&sqlite, 100).await.0;
    let actions: Vec<&str> = on_pg.iter().map(|e| e.entry.action.as_str()).collect();
    assert_eq!(
        actions,
        ["records.table", "records.load", "records.load", "records.table", "records.load", "privacy.erase"],
        "every write audited once"
    );
    assert_eq!(on_pg, on_sqlite, "entry for entry, hash for hash");
    assert_eq!(pg.erasures().await.expect("pg"), sqlite.erasures().await.expect("sqlite"), "the same erasure record");
    assert_eq!(pg.loads().await.expect("pg"), sqlite.loads().await.expect("sqlite"), "the same load records");
    assert_eq!(all_members(&pg).await, all_members(&sqlite).await, "the same cells left");
    cluster.drop_all().await;
}

/// What the loader does with one file of `rows` households: skip it if loaded, else write the keys not stored yet
/// and record the load.
async fn load_like_the_loader(store: &PgStore, sha: &str, rows: u64) -> Result<bool, store::RegisterError> {
    if store.load_of_file("households", sha).await?.is_some() {
        return Ok(false);
    }
    let table = households_table();
    RecordStore::ensure_record_table(store, &table).await?;
    let mut load = RecordStore::begin_load(store, &table).await?;
    let latest = load.take_latest();
    let mut counts = LoadCounts::default();
    for n in 0..rows {
        let record = household(&format!("H{n:06}"), "V1", i64::try_from(n).ok());
        counts.read += 1;
        if latest.get(&record.key).is_some_and(|v| v.hash == record.hash) {
            counts.unchanged += 1;
        } else {
            counts.new += 1;
            RecordLoad::write(&mut load, record, 1, None).await?;
        }
    }
    let info = load_info(load.load_id(), "households", sha, "2026-06-30", counts);
    let committing = std::time::Instant::now();
    RecordLoad::commit(load, &info).await?;
    if rows >= 100_000 {
        eprintln!("load_like_the_loader: commit of {rows} rows took {:.2} s", committing.elapsed().as_secs_f64());
    }
    Ok(true)
}

#[tokio::test]
async fn two_loads_of_the_same_file_at_once_record_its_rows_once() {
    let Some(cluster) = cluster("two_loads_of_the_same_file_at_once_record_its_rows_once") else { return };
    let store = cluster.fresh().await;
    let sha = file_sha(99);
    let (a, b) = tokio::join!(load_like_the_loader(&store, &sha, 3000), load_like_the_loader(&store, &sha, 3000));
    assert!(a.expect("first") && b.expect("second"), "both saw no earlier load and loaded");
    let loads = store.loads().await.expect("loads");
    assert_eq!(loads.len(), 2, "{loads:?}");
    let news: Vec<u64> = loads.iter().map(|l| l.counts.new).collect();
    assert_eq!(news, [3000, 0], "the second load waited for the first and found every row stored");
    assert_eq!(loads[1].counts.unchanged, 3000);
    assert_eq!(store.record_keys("households").await.expect("keys").len(), 3000);
    let table = households_table();
    let rows = store.scan_records(&table, &["household_id"], Filter::All, Versions::Current, None);
    assert_eq!(rows.await.expect("scan").len(), 3000, "each row once");
    // A third load of the same bytes is recognised and writes nothing.
    assert!(!load_like_the_loader(&store, &sha, 3000).await.expect("third"));
    assert_eq!(store.loads().await.expect("loads").len(), 2);
    cluster.drop_all().await;
}

#[tokio::test]
async fn a_large_load_commits_every_row_and_is_timed() {
    let Some(cluster) = cluster("a_large_load_commits_every_row_and_is_timed") else { return };
    let store = cluster.fresh().await;
    let rows = 200_000;
    let started = std::time::Instant::now();
    assert!(load_like_the_loader(&store, &file_sha(5), rows).await.expect("load"));
    let took = started.elapsed();
    eprintln!(
        "a_large_load_commits_every_row_and_is_timed: {rows} rows in {:.2} s, {:.0} rows/s",
        took.as_secs_f64(),
        rows as f64 / took.as_secs_f64()
    );
    let filter = Filter::Eq("household_id", "H199999");
    let table = households_table();
    let last = store.scan_records(&table, &["deposits_fen"], filter, Versions::Current, None);
    assert_eq!(last.await.expect("scan"), [vec![Cell::Int(199_999)]]);
    assert_eq!(store.record_keys("households").await.expect("keys").len(), 200_000);
    cluster.drop_all().await;
}

#[tokio::test]
async fn an_erasure_racing_a_loan_booking_is_refused_or_comes_first() {
    let Some(cluster) = cluster("an_erasure_racing_a_loan_booking_is_refused_or_comes_first") else { return };
    let store = cluster.fresh().await;
    let households: Vec<String> = (0..20).map(|n| format!("R{n}")).collect();
    let rows = households.iter().map(|h| (member(h, 1), 1, None)).collect();
    load_rows(&store, &members_table(), &file_sha(3), "2026-06-30", rows, Vec::new()).await;
    let mut refused = 0;
    for h in &households {
        let seen = store.loan_facts(h).await.expect("facts");
        let mut loan = conformance::sample_loan(&format!("L-{h}"));
        loan.borrower = domain::BorrowerId::parse(h).expect("id");
        let mut judged = erasure(h, "asked");
        judged.seen = seen;
        let tables = [members_table()];
        let (booked, erased) = tokio::join!(store.create_loan(&loan, &[]), store.erase(&judged, &tables));
        booked.expect("the booking goes through either way");
        match erased {
            Ok(Erased::Done(_)) => {}
            Err(StoreError::HouseholdChanged(who)) => {
                assert_eq!(&who, h);
                refused += 1;
            }
            other => panic!("{h}: {other:?}"),
        }
    }
    // Whatever won each race, an erasure that went through committed before the loan it was not judged on: the
    // trail, in commit order, never shows a household's loan booked before its erasure.
    let (trail, verified) = read_all(&store, 1000).await;
    verified.expect("the chain verifies");
    for h in &households {
        let at = |action: &str, target: String| {
            trail.iter().position(|e| e.entry.action == action && e.entry.target == target)
        };
        let booked = at("loan.create", format!("loan:L-{h}")).expect("booked");
        if let Some(erased) = at("privacy.erase", format!("household:{h}")) {
            assert!(erased < booked, "{h}: erased at {erased} after its loan was booked at {booked}");
        }
    }
    eprintln!("an_erasure_racing_a_loan_booking_is_refused_or_comes_first: {refused} of 20 refused");
    cluster.drop_all().await;
}

#[tokio::test]
async fn a_record_table_whose_names_postgresql_would_cut_short_is_refused() {
    let Some(cluster) = cluster("a_record_table_whose_names_postgresql_would_cut_short_is_refused") else { return };
    let store = cluster.fresh().await;
    let mut table = households_table();
    table.columns[0].name = "household_identifier_as_issued_by_the_county_registry".to_string();
    let err = store.ensure_record_table(&table).await.expect_err("an index name of 71 bytes");
    assert!(error_chain(&err).contains("63 bytes"), "{}", error_chain(&err));
    assert!(store.record_sources().await.expect("sources").is_empty(), "nothing made");
    cluster.drop_all().await;
}

#[tokio::test]
async fn an_erasure_vacuums_the_tables_it_cleared() {
    let Some(cluster) = cluster("an_erasure_vacuums_the_tables_it_cleared") else { return };
    let store = cluster.fresh().await;
    load_members(&store).await;
    let vacuumed = "SELECT 1 FROM pg_stat_user_tables WHERE relname = 'rec_members' AND last_vacuum IS NOT NULL";
    assert_eq!(store.execute_raw(vacuumed).await.expect("stats"), 0, "not vacuumed by hand before");
    store.erase(&erasure("H1", "asked"), &[members_table()]).await.expect("erase");
    assert_eq!(store.execute_raw(vacuumed).await.expect("stats"), 1, "vacuumed after the erasure");
    cluster.drop_all().await;
}
