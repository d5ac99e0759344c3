//! Loading files: counts, idempotence, corrections as versions, quarantine, refusal of a wrong header.

use integrate::{Silent, load_file};
use store::{Filter, Versions};

use crate::fixtures::{cipher, loaded_store, options, write_county};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

#[test]
fn a_county_loads_clean_and_a_second_load_changes_nothing() {
    rt().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = loaded_store(dir.path()).await;
        let before = store.loads().await.expect("loads");
        assert_eq!(before.len(), 17, "one load per model-facing file");
        // The same directory again: every file is recognised by its bytes and nothing is written.
        let data = dir.path().join("county");
        let again =
            integrate::load_directory(&store, &cipher(), &data, &options(dir.path(), "2026-11-29"), &mut Silent)
                .await
                .expect("second load");
        assert!(again.loads.iter().all(|l| l.already_loaded));
        assert_eq!(store.loads().await.expect("loads").len(), before.len());
        // Manifest entries that are not model-facing are skipped with a reason.
        assert!(again.skipped.iter().any(|s| s.entity == "household_truth"));
        // Deferred references hold in a clean county.
        assert!(again.dangling.is_empty(), "{:?}", again.dangling.first());
    });
}

#[test]
fn a_changed_row_becomes_a_new_version_in_force_from_the_load_date() {
    rt().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = loaded_store(dir.path()).await;
        let contract = ingest::contracts::by_name("households").expect("contract");
        let original = std::fs::read_to_string(dir.path().join("county/households.csv")).expect("read");
        let first_row = original.lines().nth(1).expect("a household").to_string();
        let id = first_row.split(',').next().expect("id").to_string();
        // Same household, more deposits: a correction. Plus an untouched second household (unchanged).
        let mut fields: Vec<String> = first_row.split(',').map(str::to_string).collect();
        let deposits = contract.column_index("deposits").expect("deposits column");
        fields[deposits] = "123456.00".to_string();
        let header = original.lines().next().expect("header");
        let second = original.lines().nth(2).expect("second household");
        let path = dir.path().join("households-correction.csv");
        std::fs::write(&path, format!("{header}\n{}\n{second}\n", fields.join(","))).expect("write");
        let report = load_file(&store, &cipher(), contract, &path, &options(dir.path(), "2026-12-15"), &mut Silent)
            .await
            .expect("correction loads");
        let c = report.info.counts;
        assert_eq!((c.read, c.new, c.corrected, c.unchanged), (2, 0, 1, 1));

        let table = integrate::schema::record_table(contract);
        let read = |versions| {
            let store = store.clone();
            let table = table.clone();
            let id = id.clone();
            async move {
                store
                    .scan_records(&table, &["deposits"], Filter::Eq("household_id", &id), versions, None)
                    .await
                    .expect("scan")
            }
        };
        let current = read(Versions::Current).await;
        assert_eq!(current, vec![vec![store::Cell::Int(12_345_600)]]);
        // Before the correction's as-of date the original version is in force; never overwritten.
        let earlier = read(Versions::AsOf("2026-12-14")).await;
        assert_ne!(earlier, current);
        assert_eq!(read(Versions::AsOf("2026-12-15")).await, current);
        // The history table refuses updates.
        let err = store.execute_raw("UPDATE rec_households SET deposits = 0").await;
        assert!(err.is_err(), "record tables are append-only");
    });
}

#[test]
fn bad_rows_are_quarantined_with_reasons_while_good_rows_load() {
    rt().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = loaded_store(dir.path()).await;
        let contract = ingest::contracts::by_name("members").expect("contract");
        let original = std::fs::read_to_string(dir.path().join("county/members.csv")).expect("read");
        let header = original.lines().next().expect("header");
        let good = original.lines().nth(1).expect("row").to_string();
        let cols: Vec<&str> = header.split(',').collect();
        let at = |name: &str| cols.iter().position(|c| *c == name).expect("column");
        let edit = |column: &str, value: &str| {
            let mut f: Vec<String> = good.split(',').map(str::to_string).collect();
            f[at(column)] = value.to_string();
            f.join(",")
        };
        let mut bad_id = good.split(',').map(str::to_string).collect::<Vec<_>>();
        let national = bad_id[at("national_id")].clone();
        let last = national.chars().last().expect("check char");
        let wrong = if last == '0' { '1' } else { '0' };
        bad_id[at("national_id")] = format!("{}{wrong}", &national[..17]);
        let rows = [
            edit("birth_year", "nineteen"),                        // wrong type
            edit("relation", "表亲"),                              // unknown code
            edit("household_id", "H9999999"),                      // dangling reference
            bad_id.join(","),                                      // bad check digit
            good.split(',').take(3).collect::<Vec<_>>().join(","), // truncated line
        ];
        let path = dir.path().join("members-bad.csv");
        std::fs::write(&path, format!("{header}\n{}\n", rows.join("\n"))).expect("write");
        let report = load_file(&store, &cipher(), contract, &path, &options(dir.path(), "2026-12-01"), &mut Silent)
            .await
            .expect("file loads with quarantine");
        let reasons: Vec<&str> = report.quarantined.iter().map(|q| q.reason.as_str()).collect();
        for reason in ["wrong-type", "unknown-code", "dangling-reference", "bad-check-digit", "field-count"] {
            assert!(reasons.contains(&reason), "{reason} missing from {reasons:?}");
        }
        let file = report.quarantine_file.expect("a quarantine file");
        let text = std::fs::read_to_string(&file).expect("quarantine file");
        assert!(text.starts_with("file,line,field,value,reason,detail\n"));
        assert!(!text.contains(&national), "the quarantine file shows IDs masked");
        assert_eq!(store.load_quarantine(report.info.load_id).await.expect("stored").len(), 5);
    });
}

#[test]
fn a_file_with_the_wrong_header_is_refused_whole_and_nothing_is_recorded() {
    rt().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = loaded_store(dir.path()).await;
        let loads_before = store.loads().await.expect("loads").len();
        // The loans file offered as repayments.
        let path = write_county(&dir.path().join("again")).join("loans.csv");
        let contract = ingest::contracts::by_name("repayments").expect("contract");
        let err = load_file(&store, &cipher(), contract, &path, &options(dir.path(), "2026-12-01"), &mut Silent)
            .await
            .expect_err("wrong header");
        assert!(err.is_input_error());
        assert!(err.to_string().contains("loans.csv"), "{err}");
        assert_eq!(store.loads().await.expect("loads").len(), loads_before);
    });
}

#[test]
fn an_abandoned_load_leaves_nothing_behind() {
    rt().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = loaded_store(dir.path()).await;
        let contract = ingest::contracts::by_name("news").expect("contract");
        let table = integrate::schema::record_table(contract);
        let rows_before =
            store.scan_records(&table, &["date"], Filter::All, Versions::Current, None).await.expect("scan");
        let loads_before = store.loads().await.expect("loads");
        {
            // Rows written in several statements, then the load is dropped without its commit: what a killed
            // process or an error half-way through a file amounts to.
            let mut writer = store.begin_load(&table).await.expect("begin");
            for i in 0..1_000 {
                let cells = table
                    .columns
                    .iter()
                    .map(|c| match c.ty {
                        store::CellType::Integer => store::Cell::Int(1),
                        store::CellType::Text => store::Cell::Text(format!("x{i}")),
                    })
                    .collect();
                let record = store::NewRecord { key: format!("k{i}"), hash: format!("h{i}"), cells };
                writer.write(record, 1, None).await.expect("queued");
            }
        }
        let rows_after =
            store.scan_records(&table, &["date"], Filter::All, Versions::Current, None).await.expect("scan");
        assert_eq!(rows_after, rows_before, "no row of the abandoned load is visible");
        assert_eq!(store.loads().await.expect("loads"), loads_before, "and no load is recorded");
        // The write lock was released: the next load goes through.
        let path = dir.path().join("county/news.csv");
        let again = load_file(&store, &cipher(), contract, &path, &options(dir.path(), "2026-12-01"), &mut Silent)
            .await
            .expect("a later load");
        assert!(again.already_loaded, "the committed news file is still recognised");
    });
}

#[test]
fn a_deferred_reference_left_dangling_is_reported_after_the_directory_loads() {
    rt().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let county = write_county(&dir.path().join("county"));
        // Drop the first group: its households still name it, and households load before groups.
        let groups = std::fs::read_to_string(county.join("groups.csv")).expect("groups");
        let mut lines: Vec<&str> = groups.lines().collect();
        let dropped = lines.remove(1).split(',').next().expect("group id").to_string();
        std::fs::write(county.join("groups.csv"), lines.join("\n") + "\n").expect("write");
        let store = store::SqliteStore::open(&dir.path().join("data")).await.expect("store");
        let report =
            integrate::load_directory(&store, &cipher(), &county, &options(dir.path(), "2026-11-28"), &mut Silent)
                .await
                .expect("loads");
        assert!(!report.dangling.is_empty());
        assert!(
            report.dangling.iter().all(|d| d.source == "households" && d.column == "group_id" && d.value == dropped)
        );
    });
}

/// The simulator's row structs and the data contracts name the same columns in the same order, file by file (the
/// header is what the validator checks first; this says where they part, column by column).
#[test]
fn the_simulators_rows_have_their_contracts_columns() {
    for (entity, bytes) in crate::fixtures::files() {
        let contract = ingest::contracts::by_name(entity).expect("a model-facing file has a contract");
        let text = String::from_utf8(bytes).expect("utf-8");
        let header: Vec<&str> = text.lines().next().expect("header").split(',').collect();
        let columns: Vec<&str> = contract.columns.iter().map(|c| c.name).collect();
        assert_eq!(header, columns, "{entity}");
    }
}
