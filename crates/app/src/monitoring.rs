//! Post-loan monitoring's use cases: load the whole book from the ingested records, run the detectors day by day
//! and keep the alerts in the alert register, and score the alerts against the simulator's planted truth.
//!
//! The book is the `loans` and `repayments` sources as ingested (from the lender's core system or the simulator),
//! read with the versions current now; each day's detectors read only what was known that day (`monitor::book`).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use domain::{Date, Timestamp};
use integrate::history::{Scope, load_borrowers};
use integrate::register::{RecordStore, Versions};
use monitor::evaluate::{AlertSpan, Evaluation, Scenario};
use monitor::{Book, MonitorConfig, Replay};
use store::LoanStore;

use crate::error::{Error, ErrorCode};

/// Longest period a run or replay may cover, days (ten years).
pub const MAX_RUN_DAYS: i64 = 3_660;

/// Reads a monitoring configuration file, or the defaults (version 1) without one. A bad file is refused naming the
/// field (`config` and the key path).
pub fn load_config(path: Option<&Path>) -> Result<MonitorConfig, Error> {
    let Some(path) = path else { return Ok(MonitorConfig::default()) };
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::input("config", format!("cannot read {}: {e}", path.display())))?;
    MonitorConfig::from_json(&text).map_err(|e| Error::input(format!("config: {}", e.field), e.problem))
}

/// Loads the whole book: every household with a loan (ingested from the core system or booked here, see
/// [`crate::booked`], whose rows are read through `through`: the last day a run will assess), its records, the
/// shared context and the satellite passes.
pub async fn load_book<S: RecordStore + LoanStore + store::ErasureRegister>(
    store: &S,
    config: &MonitorConfig,
    through: Date,
) -> Result<Book, Error> {
    let (book, _) = crate::resident::ResidentBook::load(store, config).await?.book(through)?;
    Ok(book)
}

/// Checks a period against the book: `from` not after `to`, not before the book begins, at most
/// [`MAX_RUN_DAYS`] long. Errors name `field_from` or `field_to`.
pub fn check_period(book: &Book, from: Date, to: Date, field_from: &str, field_to: &str) -> Result<(), Error> {
    let Some((first, _)) = book.span() else {
        return Err(Error::whole(ErrorCode::OutOfRange, "the book is empty: ingest the loans and repayments first"));
    };
    if from < first {
        return Err(Error::coded(
            ErrorCode::OutOfRange,
            field_from,
            format!("{from} is before the data begins ({first}, the first loan's value date)"),
        ));
    }
    if to < from {
        return Err(Error::coded(ErrorCode::OutOfRange, field_to, format!("{to} is before {from}")));
    }
    if (to - from).num_days() >= MAX_RUN_DAYS {
        return Err(Error::coded(ErrorCode::OutOfRange, field_to, format!("a run covers at most {MAX_RUN_DAYS} days")));
    }
    Ok(())
}

/// Every day from `from` to `to`, inclusive.
pub fn days(from: Date, to: Date) -> impl Iterator<Item = Date> {
    from.iter_days().take_while(move |d| *d <= to)
}

/// Replays `[from, to]` in memory with `config` (nothing is written): the alerts the run would have kept.
pub fn dry_run(book: &Book, from: Date, to: Date, config: &MonitorConfig, at: &Timestamp) -> Vec<AlertSpan> {
    let mut replay = Replay::new();
    for day in days(from, to) {
        replay.run_day(book, day, config, at);
    }
    replay.spans().to_vec()
}

/// The simulator's planted truth in a directory: `shocks.csv` and `shock_households.csv`. Errors name the file,
/// line and column.
pub fn read_truth(dir: &Path) -> Result<Vec<Scenario>, Error> {
    let shocks = read_csv(&dir.join("shocks.csv"))?;
    let members = read_csv(&dir.join("shock_households.csv"))?;
    let mut households: HashMap<String, HashSet<String>> = HashMap::new();
    for (line, row) in &members.rows {
        let scenario = members.get(row, "scenario", *line)?;
        let household = members.get(row, "household_id", *line)?;
        households.entry(scenario.to_string()).or_default().insert(household.to_string());
    }
    let mut out = Vec::new();
    for (line, row) in &shocks.rows {
        let code = shocks.get(row, "scenario", *line)?.to_string();
        let month = |column: &str| -> Result<features::input::Month, Error> {
            let text = shocks.get(row, column, *line)?;
            features::input::Month::parse(text)
                .map_err(|e| Error::input("ground-truth", format!("shocks.csv line {line} column {column}: {e}")))
        };
        let start = month("start_month")?.first_day();
        let end = month("end_month")?.last_day();
        out.push(Scenario {
            description: shocks.get(row, "description", *line)?.to_string(),
            households: households.remove(&code).unwrap_or_default(),
            code,
            start,
            end,
        });
    }
    Ok(out)
}

struct Csv {
    header: Vec<String>,
    rows: Vec<(usize, csv::StringRecord)>,
    file: String,
}

impl Csv {
    fn get<'a>(&self, row: &'a csv::StringRecord, column: &str, line: usize) -> Result<&'a str, Error> {
        let i = self
            .header
            .iter()
            .position(|h| h == column)
            .ok_or_else(|| Error::input("ground-truth", format!("{} has no column {column}", self.file)))?;
        row.get(i).ok_or_else(|| Error::input("ground-truth", format!("{} line {line} has no {column}", self.file)))
    }
}

/// Most rows a truth file may hold.
const MAX_TRUTH_ROWS: usize = 5_000_000;

fn read_csv(path: &Path) -> Result<Csv, Error> {
    let file = path.display().to_string();
    let mut reader =
        csv::Reader::from_path(path).map_err(|e| Error::input("ground-truth", format!("cannot read {file}: {e}")))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| Error::input("ground-truth", format!("{file}: {e}")))?
        .iter()
        .map(str::to_string)
        .collect();
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| Error::input("ground-truth", format!("{file} line {}: {e}", i + 2)))?;
        if rows.len() >= MAX_TRUTH_ROWS {
            return Err(Error::input("ground-truth", format!("{file} has more than {MAX_TRUTH_ROWS} rows")));
        }
        rows.push((i + 2, record));
    }
    Ok(Csv { header, rows, file })
}

/// Scores alerts over `[from, to]` against the book's defaults and the planted scenarios (`S5` is the diversion
/// ring).
pub fn score(book: &Book, alerts: &[AlertSpan], scenarios: &[Scenario], from: Date, to: Date) -> Evaluation {
    monitor::evaluate::evaluate(book, alerts, scenarios, from, to, "S5")
}

/// What a stored run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RunReport {
    /// The first day asked for.
    pub from: Option<Date>,
    /// The last day asked for.
    pub to: Option<Date>,
    /// Days run now.
    pub days_run: u32,
    /// Days skipped because they had been run before.
    pub days_already_run: u32,
    /// New alerts.
    pub raised: u32,
    /// Open alerts re-tiered upward.
    pub retiered: u32,
    /// Alerts resolved.
    pub resolved: u32,
    /// Alerts open after the last day.
    pub open_after: u32,
    /// Borrowers on the book on the last day run.
    pub active_borrowers: u32,
    /// Loans on the book on the last day run.
    pub active_loans: u32,
}

/// A day's progress, for a caller that shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayProgress {
    /// The day just run.
    pub day: Date,
    /// Days done of the period, this one included.
    pub done: u32,
    /// Days in the period.
    pub total: u32,
    /// Alerts open after it.
    pub open: u32,
}

/// The time a run stamps on what it writes for `day`: now, or for a past day the end of that day (China Standard
/// Time), the business time its findings are as of.
pub fn stamp_for(day: Date, now: Timestamp) -> Timestamp {
    let end = day
        .and_hms_opt(23, 59, 59)
        .and_then(|t| t.and_local_timezone(domain::china_standard_time()).single())
        .map(Timestamp::from_instant);
    match end {
        Some(end) if end < now => end,
        _ => now,
    }
}

/// Reads every alert not closed, as the plan needs them.
async fn open_alerts(store: &impl store::AlertRegister) -> Result<monitor::OpenAlerts, Error> {
    let mut open = monitor::OpenAlerts::new();
    let mut after = 0;
    loop {
        let page = store.open_alerts(after, store::alerts::MAX_OPEN_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.alert_id;
        for a in page {
            open.insert(
                (a.raised.household_id.as_str().to_string(), a.raised.cause),
                monitor::OpenAlert { alert_id: a.alert_id, tier: a.raised.tier, raised_on: a.raised.raised_on },
            );
        }
    }
    Ok(open)
}

/// Runs monitoring over every day of `[from, to]` in order, skipping the days run before: each day's plan (raise,
/// re-tier, resolve) is written in one transaction with the day's record, so a kill loses at most the day in
/// progress, and running a day again changes nothing. `now` is the wall clock; `progress` hears of every day.
pub async fn run<S: store::AlertRegister>(
    store: &S,
    book: &Book,
    from: Date,
    to: Date,
    config: &MonitorConfig,
    now: Timestamp,
    progress: &mut dyn FnMut(DayProgress),
) -> Result<RunReport, Error> {
    check_period(book, from, to, "from", "to")?;
    let done: HashSet<Date> = store.runs(from, to).await?.into_iter().map(|r| r.day).collect();
    let mut open = open_alerts(store).await?;
    let total = u32::try_from((to - from).num_days() + 1).unwrap_or(u32::MAX);
    let mut report = RunReport { from: Some(from), to: Some(to), ..RunReport::default() };
    for (n, day) in days(from, to).enumerate() {
        if done.contains(&day) {
            report.days_already_run += 1;
            continue;
        }
        let at = stamp_for(day, now);
        let assessment = monitor::assess_day(book, day, config, &at);
        let plan = monitor::plan_day(&assessment, &open, config);
        let run_day = store::alerts::RunDay {
            day,
            config_version: config.version,
            at,
            raise: plan.raise,
            resolve: plan
                .resolve
                .into_iter()
                .map(|(alert_id, reason)| store::alerts::Resolve { alert_id, reason })
                .collect(),
        };
        let outcome = store.apply_run(&run_day).await?;
        if outcome.already_run {
            // Another run wrote the day meanwhile: what is open now is what it left.
            report.days_already_run += 1;
            open = open_alerts(store).await?;
            continue;
        }
        report.days_run += 1;
        for raised in &outcome.raised {
            let (store::alerts::Raised::New(a) | store::alerts::Raised::Existing(a)) = raised;
            match raised {
                store::alerts::Raised::New(_) => report.raised += 1,
                store::alerts::Raised::Existing(_) => report.retiered += 1,
            }
            open.insert(
                (a.raised.household_id.as_str().to_string(), a.raised.cause),
                monitor::OpenAlert { alert_id: a.alert_id, tier: a.raised.tier, raised_on: a.raised.raised_on },
            );
        }
        for a in &outcome.resolved {
            report.resolved += 1;
            open.remove(&(a.raised.household_id.as_str().to_string(), a.raised.cause));
        }
        report.active_borrowers = u32::try_from(assessment.active_borrowers).unwrap_or(u32::MAX);
        report.active_loans = u32::try_from(assessment.active_loans).unwrap_or(u32::MAX);
        progress(DayProgress {
            day,
            done: u32::try_from(n + 1).unwrap_or(u32::MAX),
            total,
            open: u32::try_from(open.len()).unwrap_or(u32::MAX),
        });
    }
    report.open_after = u32::try_from(open.len()).unwrap_or(u32::MAX);
    Ok(report)
}

/// Every stored alert as the evaluation reads it: the tier it was raised at and each re-tier with its day, and the
/// day it closed (the day of a step is its time's date in China Standard Time).
pub async fn stored_spans<S: store::AlertRegister>(store: &S) -> Result<Vec<AlertSpan>, Error> {
    let mut spans = Vec::new();
    let filter = store::alerts::AlertFilter::default();
    let mut after: Option<store::alerts::BoardCursor> = None;
    loop {
        let page = store.alert_board(&filter, after.as_ref(), store::alerts::MAX_PAGE).await?;
        // The page's histories in one read rather than one query per alert: the evaluation reads every alert.
        let ids: Vec<i64> = page.alerts.iter().map(|a| a.alert_id).collect();
        let histories = store.alert_histories(&ids).await?;
        for a in &page.alerts {
            let history = histories.get(&a.alert_id).map_or(&[][..], Vec::as_slice);
            let day_of = |t: &Timestamp| t.instant().with_timezone(&domain::china_standard_time()).date_naive();
            let mut tiers = Vec::new();
            let mut closed_on = None;
            for step in history {
                match &step.change {
                    Some(monitor::Change::Retier { from, to }) => {
                        if tiers.is_empty() {
                            tiers.push((a.raised.raised_on, *from));
                        }
                        tiers.push((day_of(&step.at), *to));
                    }
                    Some(monitor::Change::Close { .. } | monitor::Change::Resolve { .. }) => {
                        closed_on = Some(day_of(&step.at));
                    }
                    _ => {}
                }
            }
            if tiers.is_empty() {
                tiers.push((a.raised.raised_on, a.raised.tier));
            }
            spans.push(AlertSpan {
                household_id: a.raised.household_id.as_str().to_string(),
                cause: a.raised.cause,
                raised_on: a.raised.raised_on,
                tiers,
                closed_on,
            });
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    spans.sort_by(|a, b| (a.raised_on, &a.household_id).cmp(&(b.raised_on, &b.household_id)));
    Ok(spans)
}

/// The sources whose new rows are events about households: an ingest of one of them is evaluated at once for the
/// households it names ([`households_in_files`], [`evaluate_households`]).
pub const EVENT_SOURCES: &[&str] = &["repayments", "transactions", "bureau_reports", "insurance_claims"];

/// Where an area source's rows are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// A village (`village_code`).
    Village,
    /// A county (`county_code`): every village of it.
    County,
    /// The whole book (a national price series).
    Everywhere,
}

/// The sources whose new rows are about places, and where: an ingest of one evaluates the borrowers there at once
/// (a weather loss or a satellite pass in their village, an outbreak, an employment shock or news in their county,
/// a price month for everyone).
pub const AREA_SOURCES: &[(&str, Area)] = &[
    ("weather_events", Area::Village),
    ("crop_observations", Area::Village),
    ("disease_events", Area::County),
    ("employment_shocks", Area::County),
    ("news", Area::County),
    ("prices", Area::Everywhere),
];

/// Most households one event-driven evaluation takes; an event that concerns more is left to the daily run.
pub const MAX_EVENT_HOUSEHOLDS: usize = 100_000;

/// What an event-driven evaluation did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct EventOutcome {
    /// The day evaluated.
    pub day: Option<Date>,
    /// Households evaluated (with a loan on the book that day).
    pub households: u32,
    /// Alerts raised new.
    pub raised: u32,
    /// Alerts the borrower had open for the cause already (re-tiered when the new tier was higher).
    pub existing: u32,
    /// Households the new rows concern that were left to the daily run: more than [`MAX_EVENT_HOUSEHOLDS`].
    pub left_to_daily_run: u32,
}

/// The distinct values of `column` in these loaded files (CSV or JSON Lines by the file's name; a file without the
/// column gives none), in order.
fn column_in_files(files: &[std::path::PathBuf], column: &str) -> Result<Vec<String>, Error> {
    let mut ids: Vec<String> = Vec::new();
    for file in files {
        let bytes = std::fs::read(file).map_err(|e| Error::input("files", format!("{}: {e}", file.display())))?;
        let text = String::from_utf8_lossy(&bytes);
        let jsonl = file.extension().is_some_and(|e| e == "jsonl");
        if jsonl {
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                if let Ok(serde_json::Value::Object(row)) = serde_json::from_str::<serde_json::Value>(line)
                    && let Some(serde_json::Value::String(id)) = row.get(column)
                {
                    ids.push(id.clone());
                }
            }
        } else {
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            let Some(at) = reader.headers().ok().and_then(|h| h.iter().position(|c| c == column)) else { continue };
            for record in reader.records().flatten() {
                if let Some(id) = record.get(at) {
                    ids.push(id.to_string());
                }
            }
        }
        ids.sort_unstable();
        ids.dedup();
    }
    Ok(ids)
}

/// The households a loaded file of an [`EVENT_SOURCES`] or [`AREA_SOURCES`] source concerns: its `household_id`
/// column; for `repayments` the holders of its loans; for an area source the households of its villages or
/// counties, or every household for a price file. Another source concerns none.
pub async fn households_in_files(
    store: &impl RecordStore,
    source: &str,
    files: &[std::path::PathBuf],
) -> Result<Vec<String>, Error> {
    if source == "repayments" {
        let loans = column_in_files(files, "loan_id")?;
        return Ok(integrate::history::households_of_loans(store, &loans, Versions::Current).await?);
    }
    if EVENT_SOURCES.contains(&source) {
        return column_in_files(files, "household_id");
    }
    let Some((_, area)) = AREA_SOURCES.iter().find(|(s, _)| *s == source) else { return Ok(Vec::new()) };
    let (villages, counties) = match area {
        Area::Village => (column_in_files(files, "village_code")?, Vec::new()),
        Area::County => (Vec::new(), column_in_files(files, "county_code")?),
        Area::Everywhere => return Ok(integrate::history::household_ids(store, Versions::Current).await?),
    };
    Ok(integrate::history::households_in_areas(store, &villages, &counties, Versions::Current).await?)
}

/// Evaluates these households at once on `day` (event-driven: a repayment, a transaction, a bureau report or a
/// claim about them was just ingested): their records, the shared context and their villages' satellite passes are
/// read, each household with a loan on the book is assessed ([`monitor::assess_borrower`]), and every alert it
/// proposes is raised (one open alert per borrower and cause: an open one is re-tiered upward or left alone).
/// Resolving what cleared, and the signals of group peers and village default rates, which need the whole village,
/// are the daily run's.
pub async fn evaluate_households<S: RecordStore + LoanStore + store::AlertRegister>(
    store: &S,
    households: &[String],
    day: Date,
    config: &MonitorConfig,
    now: Timestamp,
) -> Result<EventOutcome, Error> {
    let mut outcome = EventOutcome { day: Some(day), ..EventOutcome::default() };
    if households.is_empty() {
        return Ok(outcome);
    }
    if households.len() > MAX_EVENT_HOUSEHOLDS {
        return Err(Error::input("households", format!("at most {MAX_EVENT_HOUSEHOLDS} at once")));
    }
    let mut records = load_borrowers(store, Scope::Households(households), Versions::Current).await?;
    let only: HashSet<String> = households.iter().cloned().collect();
    crate::booked::merge_booked(store, &mut records, day, Some(&only)).await?;
    let mut villages: Vec<String> = records.iter().map(|r| r.household.village_code.clone()).collect();
    villages.sort_unstable();
    villages.dedup();
    let context = integrate::history::load_context_in(store, &villages, Versions::Current).await?;
    let passes = integrate::history::load_crop_passes_in(store, &villages, Versions::Current).await?;
    let book = Book::new(records, context, passes, config.diversion.window_days);
    let at = stamp_for(day, now);
    for b in &book.borrowers {
        if !b.active_on(day) {
            continue;
        }
        outcome.households += 1;
        let alerts = monitor::assess_borrower(&book, b.household_id(), day, config, &at).unwrap_or_default();
        for alert in alerts {
            match store.raise(&alert).await? {
                store::alerts::Raised::New(_) => outcome.raised += 1,
                store::alerts::Raised::Existing(_) => outcome.existing += 1,
            }
        }
    }
    Ok(outcome)
}

/// Whether monitoring runs on this store: a day has been run (the daily run is what event-driven evaluation
/// complements).
pub async fn monitoring_in_use(store: &impl store::AlertRegister) -> Result<bool, Error> {
    let (first, last) = (Date::from_ymd_opt(1900, 1, 1), Date::from_ymd_opt(9999, 12, 31));
    let (Some(first), Some(last)) = (first, last) else { return Ok(false) };
    Ok(!store.runs(first, last).await?.is_empty())
}

/// The event-driven evaluation after an ingest: when monitoring runs on the store and the ingest brought new or
/// corrected rows of an [`EVENT_SOURCES`] or [`AREA_SOURCES`] source, the households those rows concern are
/// evaluated on `day` (more than [`MAX_EVENT_HOUSEHOLDS`]: left to the daily run, and said so). `None` when there
/// was nothing to evaluate.
pub async fn after_ingest<S: RecordStore + LoanStore + store::AlertRegister>(
    store: &S,
    sources: &crate::ingest::Sources,
    report: &integrate::DirectoryReport,
    day: Date,
    now: Timestamp,
) -> Result<Option<EventOutcome>, Error> {
    let watched = |source: &str| EVENT_SOURCES.contains(&source) || AREA_SOURCES.iter().any(|(s, _)| *s == source);
    let fresh: Vec<&integrate::LoadReport> = report
        .loads
        .iter()
        .filter(|l| watched(&l.info.source))
        .filter(|l| !l.already_loaded && l.info.counts.new + l.info.counts.corrected > 0)
        .collect();
    if fresh.is_empty() || !monitoring_in_use(store).await? {
        return Ok(None);
    }
    let mut households: Vec<String> = Vec::new();
    for load in fresh {
        // A load records the file's name as given; the request has the paths.
        let given = std::path::PathBuf::from(&load.info.file_name);
        let path = match sources {
            crate::ingest::Sources::Files { files, .. } => {
                files.iter().find(|f| f.file_name() == given.file_name() || **f == given).cloned().unwrap_or(given)
            }
            crate::ingest::Sources::Directory(dir) => dir.join(&load.info.file_name),
            crate::ingest::Sources::Nothing => given,
        };
        households.extend(households_in_files(store, &load.info.source, &[path]).await?);
    }
    households.sort_unstable();
    households.dedup();
    if households.len() > MAX_EVENT_HOUSEHOLDS {
        let left = u32::try_from(households.len()).unwrap_or(u32::MAX);
        return Ok(Some(EventOutcome { day: Some(day), left_to_daily_run: left, ..EventOutcome::default() }));
    }
    let config = MonitorConfig::default();
    Ok(Some(evaluate_households(store, &households, day, &config, now).await?))
}

/// The event-driven evaluation after a posting to a loan booked here (a repayment, a reversal, a restructuring):
/// when monitoring runs on the store, the loan's borrower is evaluated on `day`. `None` when monitoring is not in
/// use or the borrower has no ingested household file to place them (they wait for the daily run like any other).
pub async fn after_posting<S: RecordStore + LoanStore + store::AlertRegister>(
    store: &S,
    loan: &domain::LoanId,
    day: Date,
    now: Timestamp,
) -> Result<Option<EventOutcome>, Error> {
    if !monitoring_in_use(store).await? {
        return Ok(None);
    }
    let Some(record) = store.loan(loan).await? else { return Ok(None) };
    let households = [record.borrower.as_str().to_string()];
    let config = MonitorConfig::default();
    Ok(Some(evaluate_households(store, &households, day, &config, now).await?))
}
