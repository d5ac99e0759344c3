//! Loading one source file: validate every row against the contract, seal personal data, decide per row whether it
//! is new, a correction (a new version) or unchanged, and commit the rows, the quarantine and the load record in
//! one transaction. A file whose bytes were loaded before for the same source is recognised by its SHA-256 and
//! changes nothing.
//!
//! The quarantine (file, line, field, masked value, reason, detail) is stored with the load and written as a CSV
//! file beside the data directory's other outputs, so a clerk can fix the rows and load them again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::register::{LoadCounts, LoadInfo, QuarantineRecord, RecordLoad, RecordStore};
use ingest::{Contract, Format, KnownKeys, Outcome, TextEncoding};
use privacy::{FieldCipher, NonceSource, mask};
use sha2::{Digest, Sha256};

use crate::IntegrateError;
use crate::schema::{Encoder, hex, personal_kind, record_table};

/// How a file is read and recorded.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The declared encoding, or `None` to detect it.
    pub encoding: Option<TextEncoding>,
    /// The date from which corrections in this file are in force (`YYYY-MM-DD`).
    pub as_of: domain::Date,
    /// When the load happens (RFC 3339), recorded with it.
    pub loaded_at: String,
    /// Where quarantine files are written.
    pub quarantine_dir: PathBuf,
}

/// What a load did.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// The recorded load (for a file loaded before, that earlier load).
    pub info: LoadInfo,
    /// True when these bytes had been loaded before and nothing was written.
    pub already_loaded: bool,
    /// The quarantine file, when rows were set aside.
    pub quarantine_file: Option<PathBuf>,
    /// The quarantined rows (values masked).
    pub quarantined: Vec<QuarantineRecord>,
}

impl LoadReport {
    /// Quarantined rows per reason code.
    pub fn by_reason(&self) -> BTreeMap<&str, u64> {
        let mut counts = BTreeMap::new();
        for q in &self.quarantined {
            *counts.entry(q.reason.as_str()).or_default() += 1;
        }
        counts
    }
}

/// Progress of a load, reported every few thousand rows.
pub trait Progress {
    /// The file's data rows (counted before validation starts).
    fn start(&mut self, source: &str, rows: u64);
    /// Rows processed so far.
    fn advance(&mut self, rows: u64);
}

/// No progress reporting.
pub struct Silent;

impl Progress for Silent {
    fn start(&mut self, _: &str, _: u64) {}
    fn advance(&mut self, _: u64) {}
}

/// The keys of every source `contract` refers to, read from the store. A deferred reference is checked only when
/// its source has been loaded already (its file comes later in a first load).
pub async fn referenced_keys(store: &impl RecordStore, contract: &Contract) -> Result<KnownKeys, IntegrateError> {
    let loaded = store.record_sources().await?;
    let mut keys = KnownKeys::new();
    for fk in contract.foreign_keys {
        let is_loaded = loaded.iter().any(|s| s == fk.references);
        if fk.deferred && !is_loaded {
            continue;
        }
        // A record's key is its key columns joined as `ingest::join_key` joins them.
        // Declares the source known even when it has no rows: then every reference to it dangles.
        keys.extend(fk.references, store.record_keys(fk.references).await?);
    }
    Ok(keys)
}

/// Loads one file of `contract` into the store.
pub async fn load_file<N: NonceSource>(
    store: &impl RecordStore,
    cipher: &FieldCipher<N>,
    contract: &'static Contract,
    path: &Path,
    options: &LoadOptions,
    progress: &mut dyn Progress,
) -> Result<LoadReport, IntegrateError> {
    let bytes = std::fs::read(path).map_err(|source| IntegrateError::Io { path: path.to_path_buf(), source })?;
    let file_name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    let sha = hex(&Sha256::digest(&bytes));
    if let Some(info) = store.load_of_file(contract.name, &sha).await? {
        return Ok(LoadReport { info, already_loaded: true, quarantine_file: None, quarantined: Vec::new() });
    }
    // Reads first, then the header check, and only then the first write: a refused file leaves no trace.
    let refs = referenced_keys(store, contract).await?;
    let format = Format::from_path(path).unwrap_or(Format::Csv);
    let validation = ingest::validate_as(format, contract, &file_name, &bytes, options.encoding, &refs)?;
    let table = record_table(contract);
    store.ensure_record_table(&table).await?;
    let encoding = validation.encoding();
    let lines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
    let header_lines = if format == Format::Csv { 1 } else { 0 };
    progress.start(contract.name, lines.saturating_sub(header_lines));

    let mut writer = store.begin_load(&table).await?;
    let load_id = writer.load_id();
    let latest = writer.take_latest();
    let as_of = options.as_of.format("%Y-%m-%d").to_string();
    let mut encoder = Encoder::new(contract, cipher);
    let mut counts = LoadCounts::default();
    let mut quarantined = Vec::new();
    for outcome in validation {
        counts.read += 1;
        if counts.read % 8192 == 0 {
            progress.advance(counts.read);
        }
        match outcome {
            Outcome::Valid(row) => {
                let record = encoder.encode(row)?;
                match latest.get(&record.key) {
                    None => {
                        counts.new += 1;
                        writer.write(record, 1, None).await?;
                    }
                    Some(stored) if stored.hash == record.hash => counts.unchanged += 1,
                    Some(stored) => {
                        counts.corrected += 1;
                        writer.write(record, stored.version + 1, Some(as_of.clone())).await?;
                    }
                }
            }
            Outcome::Duplicate { .. } => counts.duplicate += 1,
            Outcome::Quarantined(q) => {
                counts.quarantined += 1;
                // The validator masks identifiers; names are personal too, so they are masked here.
                let value = match q.field.and_then(|f| personal_kind(contract, f)) {
                    Some(kind) if !q.value.is_empty() => mask(kind, &q.value),
                    _ => q.value,
                };
                let record = QuarantineRecord {
                    line: q.line,
                    field: q.field.unwrap_or("(row)").to_string(),
                    value,
                    reason: q.reason.code().to_string(),
                    detail: q.detail,
                };
                writer.quarantine(record.clone());
                quarantined.push(record);
            }
        }
    }
    progress.advance(counts.read);
    let info = LoadInfo {
        load_id,
        source: contract.name.to_string(),
        file_name: file_name.clone(),
        file_sha256: sha,
        contract_version: contract.version,
        format: match format {
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
        }
        .to_string(),
        encoding: match encoding {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Gb18030 => "gb18030",
        }
        .to_string(),
        as_of,
        loaded_at: options.loaded_at.clone(),
        counts,
    };
    writer.commit(&info).await?;
    let quarantine_file = if quarantined.is_empty() {
        None
    } else {
        Some(write_quarantine(&options.quarantine_dir, &info, &quarantined)?)
    };
    Ok(LoadReport { info, already_loaded: false, quarantine_file, quarantined })
}

/// Writes `<dir>/load-<id>-<source>.quarantine.csv` (via a temporary file renamed into place).
fn write_quarantine(dir: &Path, info: &LoadInfo, rows: &[QuarantineRecord]) -> Result<PathBuf, IntegrateError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| IntegrateError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let path = dir.join(format!("load-{}-{}.quarantine.csv", info.load_id, info.source));
    let partial = dir.join(format!(".load-{}-{}.quarantine.csv.partial", info.load_id, info.source));
    let mut text = String::from("file,line,field,value,reason,detail\n");
    for row in rows {
        let fields = [info.file_name.as_str(), &row.line.to_string(), &row.field, &row.value, &row.reason, &row.detail];
        let quoted: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        text.push_str(&quoted.join(","));
        text.push('\n');
    }
    std::fs::write(&partial, text).map_err(io(&partial))?;
    std::fs::rename(&partial, &path).map_err(io(&path))?;
    Ok(path)
}

pub(crate) fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_string() }
}
