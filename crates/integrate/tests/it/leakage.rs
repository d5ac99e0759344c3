//! The point-in-time guarantee end to end: features of every borrower as of D, built from the store, are the same
//! before and after the data dated after D is loaded, and after a correction that is in force only after D.

use integrate::feature_table::build_features;
use integrate::{Silent, load_directory, load_file};
use store::SqliteStore;

use crate::fixtures::{cipher, files, options};

/// The column whose date says when a row happened, per source (`None`: undated, always kept).
fn date_column(source: &str) -> Option<&'static str> {
    Some(match source {
        "ratings" => "rated_on",
        "bureau_reports" => "report_date",
        "applications" => "applied_on",
        "loans" => "start_date",
        "repayments" | "transactions" => "date",
        "prices" => "month",
        "weather_events" | "insurance_claims" => "harvest_month",
        "disease_events" | "employment_shocks" => "start_month",
        "news" => "date",
        _ => return None,
    })
}

/// The rows of a CSV file dated on or before `cutoff` (a month counts from its first day).
fn rows_until(source: &str, bytes: &[u8], cutoff: &str) -> Vec<u8> {
    let Some(column) = date_column(source) else { return bytes.to_vec() };
    let mut reader = csv::Reader::from_reader(bytes);
    let headers = reader.headers().expect("header").clone();
    let at = headers.iter().position(|h| h == column).expect("date column");
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&headers).expect("header");
    for record in reader.records() {
        let record = record.expect("record");
        let date = record[at].to_string();
        let date = if date.len() == 7 { format!("{date}-01") } else { date };
        if date.as_str() <= cutoff {
            writer.write_record(&record).expect("row");
        }
    }
    writer.into_inner().expect("flush")
}

fn write_dir(dir: &std::path::Path, cutoff: Option<&str>) {
    std::fs::create_dir_all(dir).expect("dir");
    let mut entries = Vec::new();
    for (source, bytes) in files() {
        let bytes = match cutoff {
            Some(cutoff) => rows_until(source, &bytes, cutoff),
            None => bytes,
        };
        std::fs::write(dir.join(format!("{source}.csv")), &bytes).expect("write");
        entries.push(serde_json::json!({"entity": source, "rows": 0, "model_facing": true}));
    }
    let manifest = serde_json::json!({"contract_version": ingest::CONTRACT_VERSION, "files": entries});
    std::fs::write(dir.join("manifest.json"), manifest.to_string()).expect("manifest");
}

async fn features_csv(store: &SqliteStore, as_of: domain::Date) -> String {
    let table = build_features(store, as_of, 2).await.expect("features build");
    let mut out = Vec::new();
    table.write_csv(&mut out).expect("csv");
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn features_as_of_d_do_not_change_when_later_data_arrives() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = domain::parse_date("2025-09-30").expect("date");
        let store = SqliteStore::open(&dir.path().join("data")).await.expect("store");

        // 1. Only what happened by D.
        let early = dir.path().join("early");
        write_dir(&early, Some("2025-09-30"));
        let first = load_directory(&store, &cipher(), &early, &options(dir.path(), "2025-09-30"), &mut Silent)
            .await
            .expect("early load");
        assert!(first.loads.iter().all(|l| l.info.counts.quarantined == 0));
        let before = features_csv(&store, d).await;

        // 2. Everything, including the rows dated after D (earlier rows are recognised as unchanged).
        let full = dir.path().join("full");
        write_dir(&full, None);
        let second = load_directory(&store, &cipher(), &full, &options(dir.path(), "2026-12-31"), &mut Silent)
            .await
            .expect("full load");
        let repayments = second.loads.iter().find(|l| l.info.source == "repayments").expect("repayments load");
        assert!(repayments.info.counts.new > 0, "later repayments arrived");
        assert_eq!(repayments.info.counts.corrected, 0);

        // 3. A correction of a household, in force from after D.
        let households = std::fs::read_to_string(full.join("households.csv")).expect("households");
        let header = households.lines().next().expect("header");
        let contract = ingest::contracts::by_name("households").expect("contract");
        let deposits = contract.column_index("deposits").expect("deposits");
        let mut fields: Vec<String> = households.lines().nth(1).expect("row").split(',').map(str::to_string).collect();
        fields[deposits] = "987654.00".to_string();
        let path = dir.path().join("correction.csv");
        std::fs::write(&path, format!("{header}\n{}\n", fields.join(","))).expect("write");
        let corrected = load_file(&store, &cipher(), contract, &path, &options(dir.path(), "2025-10-15"), &mut Silent)
            .await
            .expect("correction");
        assert_eq!(corrected.info.counts.corrected, 1);

        let after = features_csv(&store, d).await;
        assert_eq!(before.lines().count(), after.lines().count());
        for (b, a) in before.lines().zip(after.lines()) {
            assert_eq!(b, a, "a feature as of {d} changed after later data was loaded");
        }
        // The check can fail: a later date does see the new data.
        let later = domain::parse_date("2026-06-30").expect("date");
        assert_ne!(features_csv(&store, later).await, before.replace("2025-09-30", "2026-06-30"));
    });
}
