//! The daily run from a resident book (issue 16: a daily run over the whole book in ≤ 30 s): over an ingested data
//! directory, times reading the whole book once (`ResidentBook::load`), a catch-up with nothing stored since, the
//! day's run from memory (the book built, every detector over every borrower, the alerts written), then — with
//! `--day-files DIR --keys FILE` — the day's files ingested (each CSV's stem names its source), the catch-up that
//! reads only what they named, and the next day's run. For comparison it also times the run as the command does it
//! today, reading the whole book first (`load_book`).
//!
//! Run with `cargo bench -p app --bench resident -- DATA_DIR DAY [--day-files DIR --keys FILE]` (with
//! `AGRIRISK_DATABASE_URL` set, the PostgreSQL database it names). DAY is the day before the day files' rows.

use std::path::PathBuf;
use std::time::Instant;

use app::resident::ResidentBook;

fn secs(started: Instant) -> f64 {
    started.elapsed().as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let positional: Vec<&String> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| {
            !a.starts_with("--") && (*i == 0 || !["--day-files", "--keys"].contains(&args[i - 1].as_str()))
        })
        .map(|(_, a)| a)
        .collect();
    let (Some(dir), Some(day)) = (positional.first(), positional.get(1)) else {
        eprintln!("usage: cargo bench -p app --bench resident -- DATA_DIR DAY [--day-files DIR --keys FILE]");
        return;
    };
    let option = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(PathBuf::from);
    let (day_files, keys) = (option("--day-files"), option("--keys"));
    let day = domain::parse_date(day).expect("DAY as YYYY-MM-DD");
    let next = day.succ_opt().expect("a next day");
    let location = match std::env::var("AGRIRISK_DATABASE_URL") {
        Ok(url) => store::Location::Postgres(url),
        Err(_) => store::Location::Sqlite(PathBuf::from(dir)),
    };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(async {
        let store = store::Database::open(&location).await.expect("open the store");
        let config = monitor::MonitorConfig::default();
        let now = domain::Timestamp::parse("2026-12-07T09:00:00+08:00").expect("timestamp");
        let run = |book: monitor::Book, on: domain::Date| {
            let (store, config) = (&store, &config);
            async move {
                let started = Instant::now();
                let report = app::monitoring::run(store, &book, on, on, config, now, &mut |_| {}).await.expect("run");
                (secs(started), report)
            }
        };

        let started = Instant::now();
        let book = app::monitoring::load_book(&store, &config, day).await.expect("load_book");
        println!("read the whole book as `monitor run` does (load_book): {:.2} s", secs(started));
        drop(book);

        let started = Instant::now();
        let mut resident = ResidentBook::load(&store, &config).await.expect("load");
        let (households, booked) = resident.size();
        println!(
            "resident book read: {:.2} s ({households} households with a loan, {booked} booked loans)",
            secs(started)
        );
        let started = Instant::now();
        let nothing = resident.refresh(&store, &config).await.expect("refresh");
        println!("catch-up with nothing stored since: {:.3} s ({nothing:?})", secs(started));

        let started = Instant::now();
        let (book, _) = resident.book(day).expect("book");
        let built = secs(started);
        let (active, loans) = (book.borrowers.iter().filter(|b| b.active_on(day)).count(), book.borrowers.len());
        let (ran, report) = run(book, day).await;
        println!(
            "day {day} from the resident book: book built {built:.2} s + run {ran:.2} s = {:.2} s ({active} of {loans} \
             borrowers active; {} raised, {} resolved)",
            built + ran,
            report.raised,
            report.resolved
        );

        let (Some(files), Some(keys)) = (day_files, keys) else { return };
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&files)
            .expect("the day files")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "csv"))
            .collect();
        paths.sort();
        let started = Instant::now();
        let mut rows = 0;
        for path in paths {
            let source = path.file_stem().and_then(|s| s.to_str()).expect("a source name").to_string();
            let request = app::ingest::IngestRequest {
                sources: app::ingest::Sources::new(Some(&source), vec![path], None).expect("sources"),
                encoding: None,
                as_of: next,
                quarantine_dir: std::env::temp_dir(),
            };
            let keyring = app::ingest::keyring(Some(&keys), None).expect("keys");
            let clock = domain::FixedClock(next);
            let report =
                app::ingest::load(&store, keyring, &request, &clock, &mut integrate::Silent).await.expect("ingest");
            rows += report.loads.iter().map(|l| l.info.counts.new).sum::<u64>();
        }
        println!("the day's files ingested: {rows} new rows in {:.2} s (not part of the run)", secs(started));

        let started = Instant::now();
        let caught = resident.refresh(&store, &config).await.expect("refresh");
        let refreshed = secs(started);
        let started = Instant::now();
        let (book, _) = resident.book(next).expect("book");
        let built = secs(started);
        let (ran, report) = run(book, next).await;
        println!(
            "day {next} from the resident book: catch-up {refreshed:.2} s ({} households, context {}, passes {}) + \
             book built {built:.2} s + run {ran:.2} s = {:.2} s ({} raised, {} resolved)",
            caught.households,
            caught.context,
            caught.passes,
            refreshed + built + ran,
            report.raised,
            report.resolved
        );
        store.close().await;
    });
}
