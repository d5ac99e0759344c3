//! `agririsk ingest` and `agririsk keys`: the command-line face of the service layer's `app::ingest`. This module
//! reads the key ring's location, opens the store, draws the progress bar and prints summaries.

use std::path::Path;

use app::ingest::{IngestRequest, KEYS_VARIABLE, Sources};
use domain::Clock;
use integrate::{DirectoryReport, LoadReport, Progress};
use privacy::Keyring;

use crate::Place;
use crate::args::{EncodingArg, Format, IngestArgs};
use crate::error::CliError;
use crate::{SystemClock, emit, with_store};

/// The key ring from `--key-file` or the `AGRIRISK_KEYS` variable. Key material never reaches an error message.
pub fn keyring(key_file: Option<&Path>) -> Result<Keyring, CliError> {
    app::ingest::keyring(key_file, std::env::var(KEYS_VARIABLE).ok().as_deref())
}

/// A progress bar on standard error, or nothing.
struct Bar {
    bar: indicatif::ProgressBar,
}

impl Bar {
    fn new(quiet: bool) -> Bar {
        let bar = if quiet { indicatif::ProgressBar::hidden() } else { indicatif::ProgressBar::new(0) };
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{msg:>16} [{bar:40}] {pos}/{len} rows, {per_sec}, {elapsed}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        Bar { bar }
    }
}

impl Progress for Bar {
    fn start(&mut self, source: &str, rows: u64) {
        self.bar.reset();
        self.bar.set_length(rows);
        self.bar.set_position(0);
        self.bar.set_message(source.to_string());
    }

    fn advance(&mut self, rows: u64) {
        self.bar.set_position(rows);
    }
}

/// `agririsk ingest`.
pub async fn ingest_command(at: &Place, args: IngestArgs) -> Result<(), CliError> {
    let as_of = match &args.as_of {
        Some(text) => domain::parse_date(text).map_err(|e| CliError::input("as-of", e))?,
        None => SystemClock.today(),
    };
    let request = IngestRequest {
        sources: Sources::new(args.source.as_deref(), args.files, args.all)?,
        encoding: args.encoding.map(|e| match e {
            EncodingArg::Utf8 => ingest::TextEncoding::Utf8,
            EncodingArg::Gb18030 => ingest::TextEncoding::Gb18030,
        }),
        as_of,
        quarantine_dir: at.dir.join("quarantine"),
    };
    let keys = keyring(args.key_file.as_deref())?;
    let mut bar = Bar::new(args.quiet);
    let started = std::time::Instant::now();
    let loaded = with_store(at, async |store| {
        let report = app::ingest::load(store, keys, &request, &SystemClock, &mut bar).await?;
        // Event-driven monitoring: the households the new rows name are evaluated today, once the load committed.
        let event =
            app::monitoring::after_ingest(store, &request.sources, &report, SystemClock.today(), SystemClock.now())
                .await?;
        Ok((report, event))
    })
    .await;
    bar.bar.finish_and_clear();
    let (report, event) = loaded?;
    let seconds = started.elapsed().as_secs_f64();
    match args.format {
        Format::Json => {
            let mut json = report_json(&report);
            if let Some(event) = &event {
                json["monitoring"] = serde_json::to_value(event).map_err(|e| CliError::Internal(e.into()))?;
            }
            crate::print_json(&json)
        }
        Format::Table => {
            let mut text = report_table(&report, seconds);
            if let Some(e) = &event {
                let day = e.day.map_or_else(String::new, |d| d.to_string());
                if e.left_to_daily_run > 0 {
                    text.push_str(&format!(
                        "monitoring: the new rows concern {} households, more than one evaluation takes: the daily \
                         run of {day} evaluates them\n",
                        e.left_to_daily_run
                    ));
                } else {
                    text.push_str(&format!(
                        "monitoring: {} households evaluated on {day}: {} alerts raised, {} already open\n",
                        e.households, e.raised, e.existing
                    ));
                }
            }
            emit(&text)
        }
    }
}

fn load_json(load: &LoadReport) -> serde_json::Value {
    let c = &load.info.counts;
    serde_json::json!({
        "load_id": load.info.load_id,
        "source": load.info.source,
        "file": load.info.file_name,
        "sha256": load.info.file_sha256,
        "encoding": load.info.encoding,
        "already_loaded": load.already_loaded,
        "read": c.read, "new": c.new, "corrected": c.corrected, "unchanged": c.unchanged,
        "duplicates": c.duplicate, "quarantined": c.quarantined,
        "quarantined_by_reason": load.by_reason(),
        "quarantine_file": load.quarantine_file.as_ref().map(|p| p.display().to_string()),
    })
}

/// The JSON summary (documented in docs/cli.md).
pub fn report_json(report: &DirectoryReport) -> serde_json::Value {
    serde_json::json!({
        "loads": report.loads.iter().map(load_json).collect::<Vec<_>>(),
        "skipped": report.skipped.iter().map(|s| serde_json::json!({"entity": s.entity, "reason": s.reason})).collect::<Vec<_>>(),
        "dangling_deferred_references": report.dangling.iter().map(|d| serde_json::json!({
            "source": d.source, "column": d.column, "key": d.key, "value": d.value,
        })).collect::<Vec<_>>(),
    })
}

/// The summary table.
pub fn report_table(report: &DirectoryReport, seconds: f64) -> String {
    use crate::table::{Align, Table};
    let mut table = Table::new(&[
        ("load", Align::Right),
        ("source", Align::Left),
        ("file", Align::Left),
        ("read", Align::Right),
        ("new", Align::Right),
        ("corrected", Align::Right),
        ("unchanged", Align::Right),
        ("duplicates", Align::Right),
        ("quarantined", Align::Right),
    ]);
    let mut total_read = 0;
    for load in &report.loads {
        let c = &load.info.counts;
        let id =
            if load.already_loaded { format!("{} (again)", load.info.load_id) } else { load.info.load_id.to_string() };
        let (new, corrected) = if load.already_loaded { (0, 0) } else { (c.new, c.corrected) };
        let unchanged = if load.already_loaded { c.read - c.quarantined - c.duplicate } else { c.unchanged };
        total_read += c.read;
        table.row(vec![
            id,
            load.info.source.clone(),
            load.info.file_name.clone(),
            c.read.to_string(),
            new.to_string(),
            corrected.to_string(),
            unchanged.to_string(),
            c.duplicate.to_string(),
            c.quarantined.to_string(),
        ]);
    }
    let mut out = table.render();
    for load in report.loads.iter().filter(|l| !l.already_loaded && !l.quarantined.is_empty()) {
        let reasons: Vec<String> = load.by_reason().iter().map(|(r, n)| format!("{r} {n}")).collect();
        let file = load.quarantine_file.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
        out.push_str(&format!("{}: quarantined {} → {file}\n", load.info.file_name, reasons.join(", ")));
    }
    for s in &report.skipped {
        out.push_str(&format!("skipped {}: {}\n", s.entity, s.reason));
    }
    for d in report.dangling.iter().take(10) {
        out.push_str(&format!("dangling reference: {} {} {}={} names no row\n", d.source, d.key, d.column, d.value));
    }
    if report.dangling.len() > 10 {
        out.push_str(&format!("… and {} more dangling references\n", report.dangling.len() - 10));
    }
    if seconds > 0.0 {
        out.push_str(&format!("{total_read} rows in {seconds:.1} s ({:.0} rows/s)\n", total_read as f64 / seconds));
    }
    out
}

/// `agririsk keys generate`: a new key file readable by its owner only.
pub fn keys_generate(out: &Path, id: &str) -> Result<(), CliError> {
    app::ingest::generate_keys(out, id)?;
    emit(&format!(
        "wrote key file {} (mode 600; keep a copy in a safe place: without it sealed data cannot be read)\n",
        out.display()
    ))
}

/// `agririsk keys rotate`: appends a new current key.
pub fn keys_rotate(key_file: &Path, id: &str) -> Result<(), CliError> {
    app::ingest::rotate_keys(key_file, id)?;
    emit(&format!(
        "key `{id}` added to {} and made current; tokens sealed with older keys stay readable\n",
        key_file.display()
    ))
}
