//! The resident book (`app::resident`): kept in memory while files are ingested and loans posted by other
//! processes, then brought up to date by reading only what was stored since, it equals a book read afresh, on
//! every day a run would assess; and it reads everything again only when it must (a correction).

use std::path::Path;

use app::resident::ResidentBook;

use super::county::s;
use super::{agririsk, ok_json, stderr};

/// Moves the rows of `file` after the first `keep` share into a file of the same name in `later` (both keep the
/// header).
fn hold_back(file: &Path, later: &Path, keep: f64) {
    let text = std::fs::read_to_string(file).expect("read");
    let mut lines = text.lines();
    let header = lines.next().expect("a header");
    let rows: Vec<&str> = lines.collect();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let cut = (rows.len() as f64 * keep) as usize;
    let write = |path: &Path, rows: &[&str]| {
        let mut out = String::from(header);
        out.push('\n');
        for row in rows {
            out.push_str(row);
            out.push('\n');
        }
        std::fs::write(path, out).expect("write");
    };
    write(file, &rows[..cut]);
    write(&later.join(file.file_name().expect("a file name")), &rows[cut..]);
}

fn ingest(data: &Path, keys: &Path, source: &str, file: &Path) {
    let args = ["ingest", source, s(file), "--key-file", s(keys), "--quiet"];
    let out = agririsk(data, &args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
}

#[test]
fn a_resident_book_brought_up_to_date_equals_one_read_afresh() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (data, files, keys, later) =
        (dir.path().join("data"), dir.path().join("files"), dir.path().join("keys"), dir.path().join("later"));
    std::fs::create_dir_all(&later).expect("mkdir");
    for args in [
        vec!["simulate", "--preset", "tiny", "--seed", "5", "--quiet", "--format", "csv", "--out", s(&files)],
        vec!["keys", "generate", "--out", s(&keys)],
    ] {
        let out = agririsk(&data, &args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    // The last part of the repayments and transactions, and every weather loss and satellite pass, arrive after
    // the book is read.
    hold_back(&files.join("repayments.csv"), &later, 0.7);
    hold_back(&files.join("transactions.csv"), &later, 0.7);
    hold_back(&files.join("weather_events.csv"), &later, 0.0);
    hold_back(&files.join("crop_observations.csv"), &later, 0.5);
    let out = agririsk(&data, &["ingest", "--all", s(&files), "--key-file", s(&keys), "--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));

    let loans = super::county::rows(&files.join("loans.csv"));
    let household = loans[0]["household_id"].clone();
    let days: Vec<domain::Date> =
        ["2023-06-30", "2024-03-31", "2025-10-31"].iter().map(|d| domain::parse_date(d).expect("date")).collect();
    let config = monitor::MonitorConfig::default();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let store = runtime.block_on(super::store_of(&data));
    let afresh = |store: &store::Database| {
        runtime.block_on(async { ResidentBook::load(store, &config).await.expect("read afresh") })
    };
    let same = |resident: &ResidentBook, fresh: &ResidentBook, when: &str| {
        assert_eq!(resident.size(), fresh.size(), "{when}: households and booked loans kept");
        for day in &days {
            let (kept, kept_merge) = resident.book(*day).expect("book");
            let (read, read_merge) = fresh.book(*day).expect("book");
            assert_eq!(kept_merge, read_merge, "{when}, {day}: the booked loans merged");
            assert!(kept == read, "{when}, {day}: the resident book differs from one read afresh");
        }
    };
    let mut resident = afresh(&store);
    let (before, _) = resident.book(days[2]).expect("book");

    // Nothing stored since: nothing read again.
    let nothing = runtime.block_on(resident.refresh(&store, &config)).expect("refresh");
    assert_eq!(nothing, app::resident::Refreshed::default());

    // New rows of three household sources and two shared ones, loaded by another process.
    for (source, file) in [
        ("repayments", "repayments.csv"),
        ("transactions", "transactions.csv"),
        ("weather_events", "weather_events.csv"),
        ("crop_observations", "crop_observations.csv"),
    ] {
        ingest(&data, &keys, source, &later.join(file));
    }
    let caught_up = runtime.block_on(resident.refresh(&store, &config)).expect("refresh");
    assert_eq!(caught_up.everything, None, "{caught_up:?}");
    assert!(caught_up.households > 0 && caught_up.context && caught_up.passes, "{caught_up:?}");
    assert!(caught_up.households < resident.size().0, "only the households named were read: {caught_up:?}");
    let (after, _) = resident.book(days[2]).expect("book");
    assert!(after != before, "the new rows are in the book");
    same(&resident, &afresh(&store), "after new rows");

    // A loan booked here for a borrower, disbursed and repaid in part: its holder's records are read again.
    let terms = ["--product", "equal-installment", "--principal", "12000", "--annual-rate", "0.06"];
    let create = [&["loan", "create", "--borrower", &household, "--id", "LR1"][..], &terms];
    ok_json(
        &data,
        &[&create.concat()[..], &["--term-months", "12", "--start", "2024-01-10", "--format", "json"]].concat(),
    );
    let out = agririsk(&data, &["loan", "disburse", "LR1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    ok_json(&data, &["loan", "repay", "LR1", "--amount", "500", "--date", "2024-02-10", "--format", "json"]);
    let booked = runtime.block_on(resident.refresh(&store, &config)).expect("refresh");
    assert_eq!((booked.everything, booked.booked_loans), (None, 1), "{booked:?}");
    same(&resident, &afresh(&store), "after a booked loan");

    // A correction of a borrower's rating: everything is read again, and the book still equals a fresh one.
    let rating = super::county::rows(&files.join("ratings.csv"))
        .into_iter()
        .find(|r| r["household_id"] == household)
        .expect("the borrower's rating");
    let header = "household_id,rated_on,score,grade,credit_household,limit,synthetic";
    let score: i64 = rating["score"].parse().expect("score");
    let corrected = format!(
        "{header}\n{},{},{},{},{},{},{}\n",
        rating["household_id"],
        rating["rated_on"],
        if score > 50 { score - 1 } else { score + 1 },
        rating["grade"],
        rating["credit_household"],
        rating["limit"],
        rating["synthetic"]
    );
    let correction = dir.path().join("ratings.csv");
    std::fs::write(&correction, corrected).expect("write");
    ingest(&data, &keys, "ratings", &correction);
    let reread = runtime.block_on(resident.refresh(&store, &config)).expect("refresh");
    assert_eq!(reread.everything, Some("a load of corrections"), "{reread:?}");
    same(&resident, &afresh(&store), "after a correction");
    runtime.block_on(store.close());
}
