//! Event-driven monitoring's cost per event (issue 16: an ingested repayment's evaluation ≤ 5 ms p99): over a data
//! directory a monitoring run has been made on (`xtask/bench-monitor.sh` leaves one), times
//! `app::monitoring::evaluate_households` for one borrower at a time, as an ingested repayment row or a posting
//! triggers it: the household's records, the shared context and its village's satellite passes read from the
//! store, the borrower assessed, and each alert proposed raised (or found open already).
//!
//! Run with `cargo bench -p app --bench event -- DATA_DIR DAY [N]` (N borrowers, default 300; with
//! `AGRIRISK_DATABASE_URL` set, the PostgreSQL database it names). Prints the median and p99 per event and how
//! the time splits between reading and the rest.

use std::time::Instant;

use integrate::history::{Scope, load_borrowers};
use integrate::register::Versions;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let (Some(dir), Some(day)) = (args.first(), args.get(1)) else {
        eprintln!("usage: cargo bench -p app --bench event -- DATA_DIR DAY [N]");
        return;
    };
    let day = domain::parse_date(day).expect("DAY as YYYY-MM-DD");
    let n: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(300);
    let location = match std::env::var("AGRIRISK_DATABASE_URL") {
        Ok(url) => store::Location::Postgres(url),
        Err(_) => store::Location::Sqlite(std::path::PathBuf::from(dir)),
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let store = store::Database::open(&location).await.expect("open the store");
        let config = monitor::MonitorConfig::default();
        // The borrowers with a loan on the book that day, spread over the book.
        let all = load_borrowers(&store, Scope::All, Versions::Current).await.expect("borrowers");
        let book = monitor::Book::new(all, Default::default(), Vec::new(), config.diversion.window_days);
        let active: Vec<String> =
            book.borrowers.iter().filter(|b| b.active_on(day)).map(|b| b.household_id().to_string()).collect();
        assert!(!active.is_empty(), "no borrower is on the book on {day}");
        let step = (active.len() / n).max(1);
        let chosen: Vec<&String> = active.iter().step_by(step).take(n).collect();
        let now = domain::Timestamp::parse("2026-12-07T09:00:00+08:00").expect("timestamp");
        let mut took = Vec::with_capacity(chosen.len());
        let mut raised = 0;
        for household in &chosen {
            let started = Instant::now();
            let outcome = app::monitoring::evaluate_households(&store, &[(*household).clone()], day, &config, now)
                .await
                .expect("evaluate");
            took.push(started.elapsed().as_secs_f64() * 1_000.0);
            raised += outcome.raised + outcome.existing;
        }
        took.sort_by(f64::total_cmp);
        let at = |q: f64| took[((took.len() - 1) as f64 * q).round() as usize];
        println!(
            "event-driven evaluation of one borrower on {day}, {} borrowers of {} on the book: median {:.2} ms, \
             p99 {:.2} ms, max {:.2} ms ({raised} alerts raised or found open)",
            took.len(),
            active.len(),
            at(0.5),
            at(0.99),
            at(1.0)
        );
        store.close().await;
    });
}
