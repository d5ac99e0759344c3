//! `agririsk audit verify` at scale (issue 14: ≤ 60 s for 10,000,000 entries): builds a chain of N entries (default
//! 10,000,000; the first argument overrides) in a temporary SQLite store through `store::AuditLog::append_audit`,
//! in transactions of 100,000, then times `app::audit::verify` over it — every entry read back in pages, re-hashed
//! and linked, as the command does. The entries are logins and reads (`auth.login`, `record.read` on users and
//! households): they vouch for no stored record, so this times the chain; the recomputation of loans and decisions
//! costs one read per audited record on top.
//!
//! Run with `cargo bench -p app --bench audit_verify [-- N]`. Prints the build and verify times and entries per
//! second.

use std::time::Instant;

use audit::{Digest, NewEntry};
use domain::Timestamp;
use store::{AuditLog, SqliteStore};

const BATCH: u64 = 100_000;

fn entry(n: u64, at: Timestamp) -> NewEntry {
    let (action, target) = if n % 3 == 0 {
        ("auth.login", format!("user:officer{:04}", n % 5_000))
    } else {
        ("record.read", format!("household:H{:08}", n % 1_000_000))
    };
    let mut entry = NewEntry::new(at, format!("user:officer{:04}", n % 5_000), "10.0.3.17", action, target);
    entry.after = Some(Digest::of(&n.to_be_bytes()));
    entry.detail = format!(r#"{{"purpose":"review","n":{n}}}"#);
    entry
}

fn main() {
    let n: u64 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(10_000_000);
    let scratch = tempfile::tempdir().expect("temp dir");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let store = SqliteStore::open(&scratch.path().join("data")).await.expect("store");
        let at = Timestamp::parse("2026-12-07T09:00:00+08:00").expect("timestamp");
        let started = Instant::now();
        let mut made = 0;
        while made < n {
            let batch: Vec<NewEntry> = (made..(made + BATCH).min(n)).map(|i| entry(i, at)).collect();
            made += batch.len() as u64;
            store.append_audit(&batch).await.expect("append");
        }
        let built = started.elapsed();
        println!("built a chain of {n} entries in {:.1} s", built.as_secs_f64());

        let started = Instant::now();
        let verified = app::audit::verify(&store, None).await.expect("read").expect("intact");
        let took = started.elapsed();
        assert_eq!(verified.summary.entries, n);
        println!("{verified}");
        println!(
            "audit verify: {n} entries in {:.1} s ({:.0} entries/s)",
            took.as_secs_f64(),
            n as f64 / took.as_secs_f64()
        );
        let size = std::fs::metadata(store.path()).map(|m| m.len()).unwrap_or(0);
        println!("database file: {} MiB", size / (1 << 20));
        store.close().await;
    });
}
