//! The pseudonymised export for model training: every loaded source's records as CSV with the contract's columns,
//! no personal value and no household id in it, plus a `manifest.json`.
//!
//! - National IDs, phones and account numbers are opened and replaced by `FieldCipher::pseudonym(scope, kind,
//!   value)`: the same person has the same pseudonym in every file of one scope, so tables join on it.
//! - Names are dropped (an empty value): a name is a gender and ethnicity proxy that no model may read, and a
//!   pseudonym of it would only add a weak re-identification handle.
//! - Every household id, in every column shaped `H#######` (the `household_id` columns and the `groups.members`
//!   lists) becomes `FieldCipher::record_pseudonym(scope, "household", id)`, so files still join on households but
//!   cannot be tied back to the lender's ids without the index key, and two scopes cannot be linked to each other.
//!   Rows are ordered by that pseudonym (stably: a household's rows keep their stored order), because the stored
//!   order follows the original ids and would give them away.
//!
//! Other columns are written as the contract writes them (amounts in yuan with two decimals, booleans as
//! `true`/`false`), audit-only columns included: fairness reports need them, and models exclude them by
//! configuration. Records are the current versions, or the versions in force on a date; which records a model may
//! use as of a date remains the feature engine's business (`features::known`), since labels look past it.
//!
//! The files are written into a hidden staging directory beside the target and renamed into place at the end, so a
//! failed export leaves nothing that looks complete.

use std::path::{Path, PathBuf};

use crate::register::{Cell, Filter, RecordStore, Versions};
use domain::{Date, Money};
use ingest::{ColumnType, Contract};
use privacy::{FieldCipher, FieldKind, NonceSource};
use serde::Serialize;

use crate::IntegrateError;
use crate::load::csv_field;
use crate::schema::{personal_kind, record_table};

/// The shape of household ids in the contracts.
const HOUSEHOLD_PATTERN: &str = "H#######";

/// What to export.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// The pseudonym scope (e.g. `training-2026q1`): exports of one scope join with each other, of two do not.
    pub scope: String,
    /// Versions in force on this date; `None` for the current versions.
    pub as_of: Option<Date>,
    /// The directory to create (refused if it exists and is not empty).
    pub out: PathBuf,
}

/// One exported file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportedSource {
    /// The source (contract name).
    pub source: String,
    /// The file name inside the export directory.
    pub file: String,
    /// Data rows.
    pub rows: u64,
}

/// How one personal column was treated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Treatment {
    /// The source.
    pub source: String,
    /// The column.
    pub column: String,
    /// `pseudonym` or `dropped`.
    pub treatment: &'static str,
}

/// What an export wrote: also its `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportManifest {
    /// Always `agririsk.pseudonymised-export`.
    pub format: &'static str,
    /// The contract version of the columns.
    pub contract_version: u32,
    /// Always true: only pseudonymised exports exist.
    pub pseudonymised: bool,
    /// The pseudonym scope.
    pub scope: String,
    /// The date whose versions were exported; `None`: current versions.
    pub as_of: Option<Date>,
    /// The files, in the contracts' dependency order.
    pub sources: Vec<ExportedSource>,
    /// Personal columns and what became of them.
    pub personal_columns: Vec<Treatment>,
    /// Columns holding household ids, replaced by `record_pseudonym(scope, "household", id)`.
    pub household_columns: Vec<Treatment>,
}

/// Whether a column holds household ids: `Some(true)` for a `;`-separated list of them.
fn household_column(ty: &ColumnType) -> Option<bool> {
    match ty {
        ColumnType::Id { pattern } if *pattern == HOUSEHOLD_PATTERN => Some(false),
        ColumnType::IdList { pattern, .. } if *pattern == HOUSEHOLD_PATTERN => Some(true),
        _ => None,
    }
}

/// How one column is written.
#[derive(Debug, Clone, Copy)]
enum Writer {
    Plain { amount: bool, boolean: bool },
    Personal(FieldKind),
    Dropped,
    Household { list: bool },
}

fn writers(contract: &Contract) -> Vec<Writer> {
    contract
        .columns
        .iter()
        .map(|c| match (personal_kind(contract, c.name), household_column(&c.ty)) {
            (Some(FieldKind::Name | FieldKind::Address), _) => Writer::Dropped,
            (Some(kind), _) => Writer::Personal(kind),
            (None, Some(list)) => Writer::Household { list },
            (None, None) => Writer::Plain {
                amount: matches!(c.ty, ColumnType::Amount { .. }),
                boolean: matches!(c.ty, ColumnType::Bool),
            },
        })
        .collect()
}

fn validate_scope(scope: &str) -> Result<(), IntegrateError> {
    let ok = !scope.is_empty()
        && scope.len() <= 64
        && scope.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(IntegrateError::Input {
            field: "scope",
            reason: format!("`{scope}` is not 1–64 letters, digits, `-`, `_` or `.`"),
        })
    }
}

/// Refuses an existing target that is a file or a non-empty directory.
fn check_target(out: &Path) -> Result<(), IntegrateError> {
    if out.is_file() {
        return Err(IntegrateError::Input { field: "out", reason: format!("{} is a file", out.display()) });
    }
    if let Ok(mut entries) = std::fs::read_dir(out)
        && entries.next().is_some()
    {
        return Err(IntegrateError::Input {
            field: "out",
            reason: format!("{} exists and is not empty; exports never overwrite", out.display()),
        });
    }
    Ok(())
}

/// One cell as the export writes it.
fn render<N: NonceSource>(
    cipher: &FieldCipher<N>,
    scope: &str,
    contract: &'static Contract,
    column: usize,
    writer: Writer,
    cell: &Cell,
) -> Result<String, IntegrateError> {
    let text = match cell {
        Cell::Null => return Ok(String::new()),
        Cell::Int(i) => {
            return Ok(match writer {
                Writer::Plain { amount: true, .. } => Money::from_fen(*i).to_string(),
                Writer::Plain { boolean: true, .. } => (if *i != 0 { "true" } else { "false" }).to_string(),
                _ => i.to_string(),
            });
        }
        Cell::Text(t) => t,
    };
    Ok(match writer {
        Writer::Plain { .. } => text.clone(),
        Writer::Dropped => String::new(),
        Writer::Personal(kind) => {
            let secret = cipher.open(kind, text).map_err(|source| IntegrateError::Unseal {
                table: contract.name,
                column: contract.columns[column].name,
                source,
            })?;
            cipher.pseudonym(scope, kind, secret.expose()).as_str().to_string()
        }
        Writer::Household { list: false } => cipher.record_pseudonym(scope, "household", text).as_str().to_string(),
        Writer::Household { list: true } => {
            let mut ids: Vec<String> = text
                .split(';')
                .filter(|id| !id.is_empty())
                .map(|id| cipher.record_pseudonym(scope, "household", id).as_str().to_string())
                .collect();
            // The stored order follows the original ids.
            ids.sort();
            ids.join(";")
        }
    })
}

/// Writes one source's CSV file into `dir`; returns its row count.
async fn export_source<N: NonceSource>(
    store: &impl RecordStore,
    cipher: &FieldCipher<N>,
    scope: &str,
    contract: &'static Contract,
    versions: Versions<'_>,
    dir: &Path,
) -> Result<u64, IntegrateError> {
    let names: Vec<&str> = contract.columns.iter().map(|c| c.name).collect();
    let rows = store.scan_records(&record_table(contract), &names, Filter::All, versions, None).await?;
    let writers = writers(contract);
    let order_by = writers.iter().position(|w| matches!(w, Writer::Household { list: false }));
    let mut lines: Vec<(String, String)> = Vec::with_capacity(rows.len());
    for cells in &rows {
        let mut fields = Vec::with_capacity(cells.len());
        for (i, (cell, writer)) in cells.iter().zip(&writers).enumerate() {
            fields.push(render(cipher, scope, contract, i, *writer, cell)?);
        }
        let key = order_by.map(|i| fields[i].clone()).unwrap_or_default();
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        lines.push((key, line.join(",")));
    }
    lines.sort_by(|a, b| a.0.cmp(&b.0));
    let mut text = names.join(",");
    text.push('\n');
    for (_, line) in &lines {
        text.push_str(line);
        text.push('\n');
    }
    let path = dir.join(format!("{}.csv", contract.name));
    std::fs::write(&path, text).map_err(|source| IntegrateError::Io { path, source })?;
    Ok(u64::try_from(rows.len()).unwrap_or(u64::MAX))
}

/// Exports every loaded source, pseudonymised, into `options.out`.
pub async fn export_pseudonymised<N: NonceSource>(
    store: &impl RecordStore,
    cipher: &FieldCipher<N>,
    options: &ExportOptions,
) -> Result<ExportManifest, IntegrateError> {
    validate_scope(&options.scope)?;
    check_target(&options.out)?;
    let name = options.out.file_name().map(|n| n.to_string_lossy().into_owned()).ok_or_else(|| {
        IntegrateError::Input { field: "out", reason: format!("{} names no directory", options.out.display()) }
    })?;
    let parent = options.out.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let parent = if parent.as_os_str().is_empty() { PathBuf::from(".") } else { parent };
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| IntegrateError::Io { path, source }
    };
    std::fs::create_dir_all(&parent).map_err(io(&parent))?;
    let staging = parent.join(format!(".{name}.partial"));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
    }
    std::fs::create_dir(&staging).map_err(io(&staging))?;
    let result = write_all(store, cipher, options, &staging).await;
    let manifest = match result {
        Ok(manifest) => manifest,
        Err(e) => {
            // Best effort: the staging directory is hidden and replaced by the next export anyway.
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    if options.out.is_dir() {
        // Checked empty above.
        std::fs::remove_dir(&options.out).map_err(io(&options.out))?;
    }
    std::fs::rename(&staging, &options.out).map_err(io(&options.out))?;
    Ok(manifest)
}

async fn write_all<N: NonceSource>(
    store: &impl RecordStore,
    cipher: &FieldCipher<N>,
    options: &ExportOptions,
    dir: &Path,
) -> Result<ExportManifest, IntegrateError> {
    let date = options.as_of.map(|d| d.to_string());
    let versions = date.as_deref().map_or(Versions::Current, Versions::AsOf);
    let loaded = store.record_sources().await?;
    let mut manifest = ExportManifest {
        format: "agririsk.pseudonymised-export",
        contract_version: ingest::CONTRACT_VERSION,
        pseudonymised: true,
        scope: options.scope.clone(),
        as_of: options.as_of,
        sources: Vec::new(),
        personal_columns: Vec::new(),
        household_columns: Vec::new(),
    };
    for contract in ingest::contracts::ALL.iter().copied().filter(|c| loaded.iter().any(|s| s == c.name)) {
        let rows = export_source(store, cipher, &options.scope, contract, versions, dir).await?;
        manifest.sources.push(ExportedSource {
            source: contract.name.to_string(),
            file: format!("{}.csv", contract.name),
            rows,
        });
        for (column, writer) in contract.columns.iter().zip(writers(contract)) {
            let entry = |treatment| Treatment { source: contract.name.into(), column: column.name.into(), treatment };
            match writer {
                Writer::Personal(_) => manifest.personal_columns.push(entry("pseudonym")),
                Writer::Dropped => manifest.personal_columns.push(entry("dropped")),
                Writer::Household { .. } => manifest.household_columns.push(entry("pseudonym")),
                Writer::Plain { .. } => {}
            }
        }
    }
    let path = dir.join("manifest.json");
    let text = serde_json::to_string_pretty(&manifest)
        .map_err(|e| IntegrateError::Io { path: path.clone(), source: std::io::Error::other(e) })?;
    std::fs::write(&path, format!("{text}\n")).map_err(|source| IntegrateError::Io { path, source })?;
    Ok(manifest)
}
