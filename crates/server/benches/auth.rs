//! What authentication and authorisation cost a request, in process: an API key checked against the key rows held
//! in memory (parse, SHA-256 of the secret, constant-time compare, expiry and revocation, the principal built), the
//! route's permission asked of the principal, and the caller's token bucket. Prints the median of several runs of
//! many iterations each, in nanoseconds per request.
//!
//! `cargo bench -p server --bench auth`

use std::hint::black_box;
use std::time::Instant;

use identity::{Actor, Branches, Permission, Role};
use server::throttle::{Buckets, Rate};

const ITERATIONS: u32 = 200_000;
const RUNS: usize = 7;

fn median_ns(mut f: impl FnMut()) -> f64 {
    let mut runs: Vec<f64> = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..ITERATIONS {
                f();
            }
            started.elapsed().as_nanos() as f64 / f64::from(ITERATIONS)
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    runs[RUNS / 2]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let (cache, token, now) = runtime.block_on(async {
        let store = store::SqliteStore::open(dir.path()).await.expect("store");
        let clock = domain::FixedClock(domain::parse_date("2026-12-07").expect("date"));
        let now = domain::Clock::now(&clock);
        let expires = domain::Timestamp::midnight_cst(domain::parse_date("2027-01-01").expect("date"));
        // A thousand keys on file, as a lender with many systems and branches might have.
        let mut token = String::new();
        for i in 0..1_000u32 {
            let key = app::identity::NewKey {
                name: format!("system-{i}"),
                role: Role::System,
                only: vec![Permission::SubmitApplication, Permission::PostRepayments],
                branches: Branches::All,
                expires_at: expires,
            };
            let mut id = [0u8; 6];
            id[..4].copy_from_slice(&i.to_be_bytes());
            let created = app::identity::create_key(&store, &key, &Actor::Os("bench".into()), now, id, [7; 32])
                .await
                .expect("key");
            token = created.token;
        }
        let cache = server::auth::KeyCache::default();
        cache.load(&store).await.expect("cache");
        (cache, token, now)
    });
    let buckets = Buckets::default();
    let rate = Rate::per_second(1_000_000_000);
    let started = Instant::now();

    let key = median_ns(|| {
        let principal = cache.principal(black_box(&token), &now).expect("a valid key");
        black_box(principal.may(Permission::SubmitApplication));
    });
    let bucket = median_ns(|| {
        black_box(buckets.take(black_box("key:0000000003e7"), rate, started)).expect("under the rate");
    });
    println!("machine: {} cores; {ITERATIONS} iterations × {RUNS} runs, median", num_cpus());
    println!("api key checked and principal's permission asked: {key:.0} ns per request");
    println!("token bucket taken:                                {bucket:.0} ns per request");
    println!("together:                                          {:.0} ns per request", key + bucket);
}

fn num_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}
