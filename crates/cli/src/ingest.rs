//! `agririsk ingest` and `agririsk keys`: the command-line face of data integration. The loading itself is in the
//! `integrate` crate; this module opens the key ring and the store, draws the progress bar and prints summaries.

use std::io::Write;
use std::path::{Path, PathBuf};

use domain::Clock;
use integrate::{DirectoryReport, IntegrateError, LoadOptions, LoadReport, Progress};
use privacy::{BatchedOsNonces, FieldCipher, Keyring};
use store::SqliteStore;

use crate::args::{EncodingArg, Format};
use crate::error::CliError;
use crate::{SystemClock, emit};

/// The environment variable holding the key text when no key file is given.
pub const KEYS_VARIABLE: &str = "AGRIRISK_KEYS";

/// The key ring from `--key-file` or the [`KEYS_VARIABLE`] variable. Key material never reaches an error message.
pub fn keyring(key_file: Option<&Path>) -> Result<Keyring, CliError> {
    match key_file {
        Some(path) => Keyring::load(path).map_err(|e| CliError::input("key-file", e)),
        None => match std::env::var(KEYS_VARIABLE) {
            Ok(text) => Keyring::parse(KEYS_VARIABLE, &text).map_err(|e| CliError::input(KEYS_VARIABLE, e)),
            Err(_) => Err(CliError::input(
                "key-file",
                format!(
                    "personal data is sealed at rest: pass --key-file FILE or set {KEYS_VARIABLE} (agririsk keys generate --out FILE makes one)"
                ),
            )),
        },
    }
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

/// What `agririsk ingest` was asked.
#[derive(Debug)]
pub struct IngestArgs {
    /// The source of `files`.
    pub source: Option<String>,
    /// Files of that source.
    pub files: Vec<PathBuf>,
    /// A directory with a manifest.
    pub all: Option<PathBuf>,
    /// Declared encoding.
    pub encoding: Option<EncodingArg>,
    /// `--as-of` as given.
    pub as_of: Option<String>,
    /// `--key-file`.
    pub key_file: Option<PathBuf>,
    /// Output format.
    pub format: Format,
    /// No progress bar.
    pub quiet: bool,
}

/// `agririsk ingest`.
pub async fn ingest_command(data_dir: &Path, args: IngestArgs) -> Result<(), CliError> {
    let as_of = match &args.as_of {
        Some(text) => domain::parse_date(text).map_err(|e| CliError::input("as-of", e))?,
        None => SystemClock.today(),
    };
    let contract = match (&args.source, &args.all) {
        (Some(name), None) => Some(ingest::contracts::by_name(name).ok_or_else(|| {
            let known: Vec<&str> = ingest::contracts::ALL.iter().map(|c| c.name).collect();
            CliError::input("source", format!("unknown source `{name}` (known: {})", known.join(", ")))
        })?),
        _ => None,
    };
    for file in &args.files {
        if !file.is_file() {
            return Err(CliError::input(file.display().to_string(), "no such file"));
        }
    }
    let cipher = FieldCipher::new(keyring(args.key_file.as_deref())?, BatchedOsNonces::new());
    let options = LoadOptions {
        encoding: args.encoding.map(|e| match e {
            EncodingArg::Utf8 => ingest::TextEncoding::Utf8,
            EncodingArg::Gb18030 => ingest::TextEncoding::Gb18030,
        }),
        as_of,
        loaded_at: crate::model::now_rfc3339(),
        quarantine_dir: data_dir.join("quarantine"),
    };
    let store = SqliteStore::open(data_dir).await?;
    let mut bar = Bar::new(args.quiet);
    let started = std::time::Instant::now();
    let result = async {
        match (contract, &args.all) {
            (Some(contract), _) => {
                let mut loads = Vec::new();
                for file in &args.files {
                    loads.push(integrate::load_file(&store, &cipher, contract, file, &options, &mut bar).await?);
                }
                Ok(DirectoryReport { loads, skipped: Vec::new(), dangling: Vec::new() })
            }
            (None, Some(dir)) => integrate::load_directory(&store, &cipher, dir, &options, &mut bar).await,
            (None, None) => Err(IntegrateError::UnknownSource(String::new())),
        }
    }
    .await;
    bar.bar.finish_and_clear();
    store.close().await;
    let report = result?;
    let seconds = started.elapsed().as_secs_f64();
    match args.format {
        Format::Json => crate::print_json(&report_json(&report)),
        Format::Table => emit(&report_table(&report, seconds)),
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
    let text = privacy::generate_key_text(id).map_err(|e| CliError::input("id", e))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(out).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            CliError::input("out", format!("{} exists; keys are never overwritten", out.display()))
        }
        _ => CliError::Internal(anyhow::Error::new(e).context(format!("creating {}", out.display()))),
    })?;
    file.write_all(text.as_bytes()).map_err(|e| CliError::Internal(e.into()))?;
    emit(&format!(
        "wrote key file {} (mode 600; keep a copy in a safe place: without it sealed data cannot be read)\n",
        out.display()
    ))
}

/// `agririsk keys rotate`: appends a new current key.
pub fn keys_rotate(key_file: &Path, id: &str) -> Result<(), CliError> {
    let ring = Keyring::load(key_file).map_err(|e| CliError::input("key-file", e))?;
    if ring.contains(id) {
        return Err(CliError::input("id", format!("key `{id}` is in the file already")));
    }
    let entry = privacy::generate_rotation_entry(id).map_err(|e| CliError::input("id", e))?;
    let mut text = std::fs::read_to_string(key_file).map_err(|e| CliError::Internal(e.into()))?;
    // A previous `current:` line is superseded; drop it so the file stays valid (one `current` entry).
    text = text.lines().filter(|l| !l.trim_start().starts_with("current:")).map(|l| format!("{l}\n")).collect();
    text.push_str(&entry);
    Keyring::parse(&key_file.display().to_string(), &text).map_err(|e| CliError::input("key-file", e))?;
    let partial = key_file.with_extension("rotating");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&partial).map_err(|e| CliError::Internal(e.into()))?;
    file.write_all(text.as_bytes()).map_err(|e| CliError::Internal(e.into()))?;
    std::fs::rename(&partial, key_file).map_err(|e| CliError::Internal(e.into()))?;
    emit(&format!(
        "key `{id}` added to {} and made current; tokens sealed with older keys stay readable\n",
        key_file.display()
    ))
}
