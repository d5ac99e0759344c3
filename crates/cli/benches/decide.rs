//! In-process automated decisions, as `agririsk serve` and `agririsk decide apply` make them: for one applicant,
//! the point-in-time features as of the application date, the shipped decision scorecard
//! (`models/decision-scorecard.json`) and the default rural-microcredit policy, one decision at a time on one
//! thread. Every past application of a simulated county (county preset, 50,000 households, seed 1, ingested into
//! a temporary SQLite store) is replayed; the market snapshot and portfolio summary of each application date are
//! computed before timing (the server caches them per date).
//!
//! Prints decisions per second on one core and the p50 / p99 latency of (a) features + score + policy and (b) the
//! same plus the immutable decision record as JSON (reasons, trace, features, versions), median of three passes.
//!
//! Run with `cargo bench -p cli --bench decide` (or `cargo xtask bench decide`); `AGRIRISK_BENCH_DIR` points it
//! at an already simulated county directory.

mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use decide::{ApplicationRequest, Engine, Lineup, RecordMeta, Scorer, VersionedPolicy, World};
use integrate::{Silent, load_directory};
use store::SqliteStore;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let county = common::county(scratch.path());
    let cipher = common::cipher();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let world = rt.block_on(async {
        let store = SqliteStore::open(&scratch.path().join("data")).await.expect("store");
        let options = integrate::LoadOptions {
            encoding: None,
            as_of: domain::parse_date("2026-12-31").expect("date"),
            loaded_at: "2026-12-31T00:00:00Z".into(),
            quarantine_dir: scratch.path().join("quarantine"),
        };
        load_directory(&store, &cipher, &county, &options, &mut Silent).await.expect("load");
        let world = World::load(&store).await.expect("world");
        store.close().await;
        world
    });

    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let text = std::fs::read_to_string(root.join("models/decision-scorecard.json")).expect("shipped model");
    let artifact = scoring::artifact::Artifact::from_json(&text, &root.join("models/decision-scorecard.json"))
        .expect("model reads");
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
    let mut dates: Vec<_> = requests.iter().map(|r| r.applied_on).collect();
    dates.sort();
    dates.dedup();
    let t = Instant::now();
    for date in &dates {
        world.market(*date);
    }
    println!(
        "{} applications of {} households on {} dates; market snapshots and portfolio summaries {:.1} s (once per date)",
        requests.len(),
        world.households(),
        dates.len(),
        t.elapsed().as_secs_f64()
    );

    // One decision; with `record`, also its immutable record as JSON.
    let decided_at = domain::Timestamp::parse("2026-11-29T00:00:00+08:00").expect("a timestamp");
    let one = |request: &ApplicationRequest, record: bool| -> bool {
        let applicant = world.applicant(&request.household_id).expect("on file");
        let market = world.market(request.applied_on);
        let assessment = engine.assess(&market.snapshot, &market.social, request, &applicant).expect("assess");
        let village = &applicant.records.household.village_code;
        let (policy, arm) =
            lineup.acting(&request.household_id, village, &request.product, request.applied_on).expect("a policy");
        let decided = engine.decide(policy, request, &applicant, &assessment).expect("the policy decides");
        if record {
            let id = decide::decision_id_of(&request.request_id);
            let meta = RecordMeta { decision_id: &id, decided_at: &decided_at, arm, shadows: &[] };
            std::hint::black_box(decide::decision_record(request, &decided, &model_id, &meta));
        }
        std::hint::black_box(&decided).outcome == workflow::Outcome::Approve
    };
    let mut approved = 0;
    let (mut rates_core, mut rates_record) = (Vec::new(), Vec::new());
    let (mut lat_core, mut lat_record) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        for (record, rates, lat) in
            [(false, &mut rates_core, &mut lat_core), (true, &mut rates_record, &mut lat_record)]
        {
            let mut latencies = Vec::with_capacity(requests.len());
            let started = Instant::now();
            for request in &requests {
                let t = Instant::now();
                approved += usize::from(one(request, record));
                latencies.push(t.elapsed().as_secs_f64());
            }
            rates.push(requests.len() as f64 / started.elapsed().as_secs_f64());
            latencies.sort_by(f64::total_cmp);
            lat.push((percentile(&latencies, 0.5), percentile(&latencies, 0.99)));
        }
    }
    println!("approved {} of {} per pass", approved / 6, requests.len());
    let us = |x: f64| x * 1e6;
    let report = |name: &str, rates: Vec<f64>, lat: Vec<(f64, f64)>| {
        let p50 = common::median(lat.iter().map(|l| l.0).collect());
        let p99 = common::median(lat.iter().map(|l| l.1).collect());
        println!("| {name} | {:.0} | {:.1} | {:.1} |", common::median(rates), us(p50), us(p99));
    };
    println!("| one thread | decisions/s | p50 µs | p99 µs |\n|---|---|---|---|");
    report("features + score + policy", rates_core, lat_core);
    report("… + decision record (JSON)", rates_record, lat_record);
}
