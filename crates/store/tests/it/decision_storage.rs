//! What a decision costs on disk. Real records, made as the server makes them: the tiny simulated county (2,000
//! households, seed 1) loaded into a store, every application decided by the shipped decision scorecard and the
//! default policy, each record holding its trace, features and versions. The figures test records 20,000 of them
//! (the county's applications again and again under new request ids) on SQLite through the server's
//! `DecisionWriter` and on PostgreSQL through `DecisionLog::record_decision`, and prints the bytes per decision.
//!
//! Ignored by default (it simulates and decides a county): `cargo test -p store --test it decision_storage --
//! --ignored --nocapture`, and under `bash xtask/pg.sh run …` for PostgreSQL too.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use decide::{ApplicationRequest, Engine, Lineup, RecordMeta, Scorer, VersionedPolicy, World};
use integrate::{LoadOptions, Silent};
use privacy::{CounterNonces, FieldCipher, Keyring};
use serde::Serialize;
use store::{DecisionLog, SqliteStore};
use workflow::DecisionRecord;

/// Test keys (never used outside tests).
const KEYS: &str =
    "index:YWdyaXJpc2sgdGVzdCBpbmRleCBrZXksIDMyIGJ5dGU=\nk1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// Decisions recorded per engine for the figures.
const N: usize = 20_000;

fn csv_of<T: Serialize>(rows: &[T]) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer.serialize(row).expect("rows serialise");
    }
    writer.into_inner().expect("flush to memory")
}

/// The tiny county's model-facing files and their manifest, written into `dir`.
fn write_county(dir: &Path, seed: u64) -> PathBuf {
    let sim = simulate::run(&simulate::Config::preset(simulate::Preset::Tiny), seed, 2, &|_, _| {});
    let t = &sim.tables;
    let files = [
        ("counties", csv_of(&t.counties)),
        ("villages", csv_of(&t.villages)),
        ("households", csv_of(&t.households)),
        ("members", csv_of(&t.members)),
        ("groups", csv_of(&t.groups)),
        ("ratings", csv_of(&t.ratings)),
        ("bureau_reports", csv_of(&t.bureau)),
        ("applications", csv_of(&t.applications)),
        ("loans", csv_of(&t.loans)),
        ("repayments", csv_of(&t.repayments)),
        ("transactions", csv_of(&t.transactions)),
        ("prices", csv_of(&t.prices)),
        ("weather_events", csv_of(&t.weather)),
        ("disease_events", csv_of(&t.disease)),
        ("employment_shocks", csv_of(&t.employment)),
        ("insurance_claims", csv_of(&t.insurance)),
        ("news", csv_of(&t.news)),
    ];
    std::fs::create_dir_all(dir).expect("create dir");
    let mut entries = Vec::new();
    for (entity, bytes) in files {
        std::fs::write(dir.join(format!("{entity}.csv")), &bytes).expect("write file");
        let rows = bytes.iter().filter(|&&b| b == b'\n').count().saturating_sub(1);
        entries.push(serde_json::json!({"entity": entity, "rows": rows, "model_facing": true}));
    }
    entries.push(serde_json::json!({"entity": "household_truth", "rows": 0, "model_facing": false}));
    let manifest = serde_json::json!({
        "contract_version": ingest::CONTRACT_VERSION,
        "synthetic": true,
        "formats": ["csv"],
        "files": entries,
    });
    std::fs::write(dir.join("manifest.json"), serde_json::to_string_pretty(&manifest).expect("json")).expect("write");
    dir.to_path_buf()
}

/// `n` decision records of the tiny county simulated with `seed`, as the server records them.
pub async fn county_decisions(seed: u64, n: usize) -> Vec<DecisionRecord> {
    let scratch = tempfile::tempdir().expect("temp dir");
    let county = write_county(&scratch.path().join("county"), seed);
    let store = SqliteStore::open(&scratch.path().join("data")).await.expect("store");
    let cipher = FieldCipher::new(Keyring::parse("test", KEYS).expect("keys"), CounterNonces::new(*b"test"));
    let options = LoadOptions {
        encoding: None,
        as_of: domain::parse_date("2026-11-28").expect("date"),
        loaded_at: "2026-11-28T12:00:00Z".into(),
        quarantine_dir: scratch.path().join("quarantine"),
    };
    integrate::load_directory(&store, &cipher, &county, &options, &mut Silent).await.expect("the county loads");
    let world = World::load(&store).await.expect("world");
    store.close().await;

    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = root.join("models/decision-scorecard.json");
    let text = std::fs::read_to_string(&path).expect("shipped model");
    let artifact = scoring::artifact::Artifact::from_json(&text, &path).expect("model reads");
    let scorer = Scorer::new(Arc::new(artifact)).expect("model inputs are features");
    let model_id = scorer.model_id().to_owned();
    let engine = Engine::new(scorer, domain::LprTable::published(), domain::CropCalendar::china_default());
    let policy = VersionedPolicy::new("default", Arc::new(policy::default_set::policy().expect("default policy")))
        .expect("binds");
    let lineup = Lineup::single(policy);
    let requests: Vec<ApplicationRequest> = world
        .borrowers()
        .iter()
        .flat_map(|b| b.applications.iter().map(|a| ApplicationRequest::replay(a, &b.loans)))
        .collect();
    assert!(!requests.is_empty(), "the county has applications");

    let mut records = Vec::with_capacity(n);
    for (i, request) in requests.iter().cycle().take(n).enumerate() {
        let pass = i / requests.len();
        let request = ApplicationRequest { request_id: format!("{}-{pass}", request.request_id), ..request.clone() };
        let applicant = world.applicant(&request.household_id).expect("on file");
        let market = world.market(request.applied_on);
        let assessment = engine.assess(&market.snapshot, &market.social, &request, &applicant).expect("assess");
        let village = &applicant.records.household.village_code;
        let (policy, arm) =
            lineup.acting(&request.household_id, village, &request.product, request.applied_on).expect("a policy");
        let decided = engine.decide(policy, &request, &applicant, &assessment).expect("the policy decides");
        let id = decide::decision_id_of(&request.request_id);
        let at =
            domain::Timestamp::parse(&format!("2026-11-{:02}T{:02}:{:02}:00+08:00", 1 + pass % 28, i % 24, i % 60))
                .expect("a timestamp");
        let meta = RecordMeta { decision_id: &id, decided_at: &at, arm, shadows: &[] };
        records.push(decide::decision_record(&request, &decided, &model_id, &meta));
    }
    records
}

fn summary(name: &str, mut sizes: Vec<usize>) {
    sizes.sort_unstable();
    let mean = sizes.iter().sum::<usize>() as f64 / sizes.len() as f64;
    println!(
        "{name}: mean {mean:.0} B, p50 {} B, p99 {} B, max {} B",
        sizes[sizes.len() / 2],
        sizes[sizes.len() * 99 / 100],
        sizes[sizes.len() - 1]
    );
}

/// Raw deflate of `text` at `level` with the preset `dictionary` (none when empty): its length.
fn deflated(text: &[u8], dictionary: &[u8], level: u32) -> usize {
    let mut deflate = flate2::Compress::new(flate2::Compression::new(level), false);
    if !dictionary.is_empty() {
        deflate.set_dictionary(dictionary).expect("dictionary");
    }
    let mut out = Vec::with_capacity(text.len() + 1024);
    let status = deflate.compress_vec(text, &mut out, flate2::FlushCompress::Finish).expect("deflate");
    assert_eq!(status, flate2::Status::StreamEnd);
    out.len()
}

/// The preset dictionary new records are packed with (`store::decisions::packed`).
const DICTIONARY_1: &[u8] = include_bytes!("../../src/decisions/dictionary-1.json");

/// Sizes of the county's records under general compression and under the shipped dictionary, which was made of
/// three records of another county (seed 1), measured on the records of the first pass.
fn compression_trials(records: &[DecisionRecord]) {
    let first: Vec<&[u8]> =
        records.iter().filter(|r| r.request_id.ends_with("-0")).map(|r| r.record_json.as_str().as_bytes()).collect();
    println!("trials on the {} records of the first pass", first.len());
    for (name, dictionary, level) in [
        ("deflate 6", &b""[..], 6),
        ("deflate 9", &b""[..], 9),
        ("deflate 6, dictionary 1", DICTIONARY_1, 6),
        ("deflate 9, dictionary 1", DICTIONARY_1, 9),
    ] {
        let started = std::time::Instant::now();
        let sizes = first.iter().map(|t| deflated(t, dictionary, level)).collect::<Vec<_>>();
        let us = started.elapsed().as_secs_f64() * 1e6 / first.len() as f64;
        summary(&format!("{name} ({us:.0} µs a record, debug build)"), sizes);
    }
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Bytes per decision on SQLite: the file's growth (decisions, their indexes and their audit entries) over `N`
/// decisions recorded by the server's writer, after a truncating checkpoint.
async fn sqlite_bytes_per_decision(records: &[DecisionRecord]) -> (f64, f64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path()).await.expect("open");
    let file = dir.path().join(SqliteStore::FILE_NAME);
    store.execute_raw("PRAGMA wal_checkpoint(TRUNCATE)").await.expect("checkpoint");
    let empty = file_size(&file);
    let mut writer = store.decision_writer(store::Durability::ProcessCrash).expect("writer");
    for batch in records.chunks(100) {
        for result in writer.record_decisions(batch).expect("batch") {
            assert_eq!(result.expect("recorded"), store::Recorded::New);
        }
    }
    drop(writer);
    store.execute_raw("PRAGMA wal_checkpoint(TRUNCATE)").await.expect("checkpoint");
    let grown = (file_size(&file) - empty) as f64 / records.len() as f64;
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", file.display())).await.expect("connect");
    let (mean, max): (f64, i64) =
        sqlx::query_as("SELECT avg(length(packed)), max(length(packed)) FROM decision_records")
            .fetch_one(&pool)
            .await
            .unwrap_or((0.0, 0));
    pool.close().await;
    println!("packed records: mean {mean:.0} B, max {max} B");
    let sample = &records[records.len() / 2];
    let back = store.decision(sample.decision_id.as_str()).await.expect("read").expect("recorded");
    assert_eq!(back.record_json.as_str(), sample.record_json.as_str(), "read back byte-identical");
    store.close().await;
    (grown, empty as f64)
}

#[tokio::test]
#[ignore = "simulates and decides a county; prints figures"]
async fn decision_storage_figures() {
    // Another county than the one the dictionary was made from.
    let records = county_decisions(2, N).await;
    summary("record JSON", records.iter().map(|r| r.record_json.as_str().len()).collect());
    if std::env::var("AGRIRISK_DUMP_DECISIONS").is_ok() {
        let dump: Vec<&str> = records.iter().take(500).map(|r| r.record_json.as_str()).collect();
        std::fs::write("/tmp/decisions.jsonl", dump.join("\n")).expect("dump");
    }
    compression_trials(&records);
    let (sqlite, empty) = sqlite_bytes_per_decision(&records).await;
    println!("SQLite: {sqlite:.0} B per decision over {N} (file growth after checkpoint; empty file {empty} B)");
    if let Some(pg) = super::postgres_decisions::pg_bytes_per_decision(&records).await {
        println!(
            "PostgreSQL: {:.0} B per decision in decisions and decision_records (tables, TOAST, indexes), {:.0} B in audit_log",
            pg.0, pg.1
        );
    }
}
