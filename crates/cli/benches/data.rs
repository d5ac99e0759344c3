//! Data integration end to end, as `agririsk ingest --all` and `agririsk features build` run it:
//!
//! 1. **Ingest**: every model-facing file of a simulated county, in manifest order, into a fresh SQLite database:
//!    decoding, validation, sealing of personal data (AES-256-GCM, one random nonce per value), blind indexes,
//!    content hashes, batched inserts and the commit (WAL, `synchronous = FULL`). Rows per second per source and
//!    overall, median of three fresh loads.
//! 2. **Features**: every household's records read back from the store as of one date and the point-in-time
//!    feature engine run over all of them (training table with the 12-month label), median of three runs, with the
//!    read and the computation timed apart.
//!
//! By default the county preset (50,000 households) is simulated into a temporary directory. For the province
//! figure, simulate once and point the benchmark at it:
//!
//! ```text
//! agririsk simulate --preset province --format csv --out /tmp/province
//! AGRIRISK_BENCH_DIR=/tmp/province AGRIRISK_BENCH_RUNS=1 cargo bench -p cli --bench data
//! ```
//!
//! Run with `cargo bench -p cli --bench data` (or `cargo xtask bench data`). Uses mimalloc, like the binary.

mod common;

use std::collections::BTreeMap;
use std::time::Instant;

use integrate::history::{Scope, load_borrowers, load_context};
use integrate::{Silent, load_file, read_manifest};
use store::{SqliteStore, Versions};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let runs: usize = std::env::var("AGRIRISK_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    let as_of = domain::parse_date(&std::env::var("AGRIRISK_BENCH_AS_OF").unwrap_or_else(|_| "2025-06-30".into()))
        .expect("AGRIRISK_BENCH_AS_OF is a date");
    let scratch = tempfile::tempdir().expect("temp dir");
    let county = common::county(scratch.path());
    let manifest = read_manifest(&county).expect("manifest");
    let cipher = common::cipher();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");

    // 1. Ingest.
    let mut per_source: BTreeMap<usize, (String, u64, Vec<f64>)> = BTreeMap::new();
    let mut totals = Vec::new();
    let mut total_rows = 0;
    let mut last_data = None;
    for run in 0..runs {
        let data = scratch.path().join(format!("data-{run}"));
        let options = integrate::LoadOptions {
            encoding: None,
            as_of: domain::parse_date("2026-12-31").expect("date"),
            loaded_at: "2026-12-31T00:00:00Z".into(),
            quarantine_dir: data.join("quarantine"),
        };
        let started = Instant::now();
        total_rows = rt.block_on(async {
            let store = SqliteStore::open(&data).await.expect("store");
            let mut rows = 0;
            for (i, entry) in manifest.files.iter().enumerate().filter(|(_, e)| e.model_facing) {
                let contract = ingest::contracts::by_name(&entry.entity).expect("a contract per model-facing file");
                let path = county.join(format!("{}.csv", entry.entity));
                let t = Instant::now();
                let report = load_file(&store, &cipher, contract, &path, &options, &mut Silent).await.expect("load");
                let secs = t.elapsed().as_secs_f64();
                let slot =
                    per_source.entry(i).or_insert_with(|| (entry.entity.clone(), report.info.counts.read, Vec::new()));
                slot.2.push(secs);
                rows += report.info.counts.read;
            }
            store.close().await;
            rows
        });
        totals.push(started.elapsed().as_secs_f64());
        last_data = Some(data);
    }
    println!("ingest ({runs} runs, median), {} rows from {}:", total_rows, county.display());
    println!("| source | rows | s | rows/s |\n|---|---|---|---|");
    for (source, rows, secs) in per_source.into_values() {
        let s = common::median(secs);
        println!("| {source} | {rows} | {s:.2} | {:.0} |", rows as f64 / s);
    }
    let total = common::median(totals);
    println!("| **all** | {total_rows} | {total:.2} | {:.0} |\n", total_rows as f64 / total);

    // 2. Features as of one date.
    let data = last_data.expect("at least one run");
    let (mut reads, mut builds_1, mut builds_2) = (Vec::new(), Vec::new(), Vec::new());
    let mut borrowers_n = 0;
    let mut population = 0;
    for _ in 0..runs {
        let day = as_of.to_string();
        let t = Instant::now();
        let (context, borrowers) = rt.block_on(async {
            let store = SqliteStore::open(&data).await.expect("store");
            let context = load_context(&store, Versions::AsOf(&day)).await.expect("context");
            let borrowers = load_borrowers(&store, Scope::All, Versions::AsOf(&day)).await.expect("borrowers");
            store.close().await;
            (context, borrowers)
        });
        reads.push(t.elapsed().as_secs_f64());
        borrowers_n = borrowers.len();
        let t = Instant::now();
        let table = features::training_table_parallel(as_of, 12, &context, &borrowers, 2);
        builds_2.push(t.elapsed().as_secs_f64());
        population = table.labels.len();
        let t = Instant::now();
        let one = features::build(as_of, &context, &borrowers);
        builds_1.push(t.elapsed().as_secs_f64());
        assert_eq!(one.rows.len(), borrowers_n);
    }
    let (read, b2, b1) = (common::median(reads), common::median(builds_2), common::median(builds_1));
    println!(
        "features as of {as_of} ({runs} runs, median): {borrowers_n} households, {} features, {population} in the \
         labelled population",
        features::CATALOGUE.len()
    );
    println!("| step | s |\n|---|---|");
    println!("| read records from SQLite | {read:.2} |");
    println!("| build + labels, 2 threads | {b2:.2} |");
    println!("| build, 1 thread | {b1:.2} |");
    println!("| **read + build (2 threads)** | {:.2} |", read + b2);
}
