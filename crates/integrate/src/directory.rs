//! Loading a whole directory of contract files, such as the simulator's output, in the dependency order its
//! `manifest.json` gives, then checking the references the contract defers (`households.group_id` → groups,
//! `applications.loan_id` → loans), which can only be checked once the later file is in.
//!
//! Files the manifest marks as not model-facing (the simulator's ground truth) are skipped: they exist to evaluate
//! models, never to feed them.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::register::{Cell, Filter, RecordStore, Versions};
use ingest::CONTRACT_VERSION;
use privacy::{FieldCipher, NonceSource};
use serde::Deserialize;

use crate::IntegrateError;
use crate::load::{LoadOptions, LoadReport, Progress, load_file};
use crate::schema::record_table;

/// The parts of `manifest.json` a loader reads.
#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    /// The contract version the files follow.
    pub contract_version: u32,
    /// The extensions present for every entity.
    #[serde(default)]
    pub formats: Vec<String>,
    /// One entry per entity, in dependency order.
    pub files: Vec<ManifestFile>,
}

/// One entity of a manifest.
#[derive(Debug, Clone, Deserialize)]
pub struct ManifestFile {
    /// The entity (file name without extension).
    pub entity: String,
    /// Data rows.
    pub rows: u64,
    /// Whether models may read it.
    #[serde(default = "yes")]
    pub model_facing: bool,
}

fn yes() -> bool {
    true
}

/// A manifest entry not loaded, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The entity.
    pub entity: String,
    /// Why.
    pub reason: String,
}

/// A deferred reference that names no row once every file is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dangling {
    /// The referring source and column.
    pub source: String,
    /// The column.
    pub column: String,
    /// The referring record's key.
    pub key: String,
    /// The value that names nothing.
    pub value: String,
}

/// What loading a directory did.
#[derive(Debug, Clone)]
pub struct DirectoryReport {
    /// One report per loaded file, in load order.
    pub loads: Vec<LoadReport>,
    /// Entries skipped.
    pub skipped: Vec<Skipped>,
    /// Deferred references left dangling.
    pub dangling: Vec<Dangling>,
}

/// Reads and checks a directory's manifest.
pub fn read_manifest(dir: &Path) -> Result<Manifest, IntegrateError> {
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path).map_err(|source| IntegrateError::Io { path: path.clone(), source })?;
    let manifest: Manifest = serde_json::from_str(&text)
        .map_err(|e| IntegrateError::Manifest { path: path.clone(), reason: e.to_string() })?;
    if manifest.contract_version != CONTRACT_VERSION {
        return Err(IntegrateError::Manifest {
            path,
            reason: format!(
                "contract_version {} is not supported (this build reads version {CONTRACT_VERSION})",
                manifest.contract_version
            ),
        });
    }
    Ok(manifest)
}

/// The file to load for an entity: its CSV if present, else its JSON Lines.
fn entity_file(dir: &Path, entity: &str) -> Option<PathBuf> {
    ["csv", "jsonl"].iter().map(|ext| dir.join(format!("{entity}.{ext}"))).find(|p| p.is_file())
}

/// Loads every model-facing file of `dir` in manifest order, then checks deferred references.
pub async fn load_directory<N: NonceSource>(
    store: &impl RecordStore,
    cipher: &FieldCipher<N>,
    dir: &Path,
    options: &LoadOptions,
    progress: &mut dyn Progress,
) -> Result<DirectoryReport, IntegrateError> {
    let manifest = read_manifest(dir)?;
    let mut report = DirectoryReport { loads: Vec::new(), skipped: Vec::new(), dangling: Vec::new() };
    for entry in &manifest.files {
        if !entry.model_facing {
            let reason = "not model-facing (ground truth)".to_string();
            report.skipped.push(Skipped { entity: entry.entity.clone(), reason });
            continue;
        }
        let Some(contract) = ingest::contracts::by_name(&entry.entity) else {
            let reason = "no contract for this entity in this build".to_string();
            report.skipped.push(Skipped { entity: entry.entity.clone(), reason });
            continue;
        };
        let Some(path) = entity_file(dir, &entry.entity) else {
            return Err(IntegrateError::Manifest {
                path: dir.join("manifest.json"),
                reason: format!("lists `{}` but neither {0}.csv nor {0}.jsonl exists", entry.entity),
            });
        };
        report.loads.push(load_file(store, cipher, contract, &path, options, progress).await?);
    }
    report.dangling = deferred_dangling(store).await?;
    Ok(report)
}

/// Every deferred reference of every loaded source that names no current row.
pub async fn deferred_dangling(store: &impl RecordStore) -> Result<Vec<Dangling>, IntegrateError> {
    let loaded = store.record_sources().await?;
    let mut out = Vec::new();
    for contract in ingest::contracts::ALL.iter().filter(|c| loaded.iter().any(|s| s == c.name)) {
        for fk in contract.foreign_keys.iter().filter(|fk| fk.deferred && fk.columns.len() == 1) {
            let Some(target) = ingest::contracts::by_name(fk.references) else { continue };
            if !loaded.iter().any(|s| s == target.name) || target.key.len() != 1 {
                continue;
            }
            // A single-column key is stored as the column's value itself.
            let known: HashSet<String> = store.record_keys(target.name).await?.into_iter().collect();
            let key_column = contract.key.first().copied().unwrap_or(fk.columns[0]);
            let rows = store
                .scan_records(
                    &record_table(contract),
                    &[key_column, fk.columns[0]],
                    Filter::All,
                    Versions::Current,
                    None,
                )
                .await?;
            for row in rows {
                if let [key, Cell::Text(value)] = row.as_slice()
                    && !value.is_empty()
                    && !known.contains(value)
                {
                    let key = match key {
                        Cell::Text(t) => t.clone(),
                        Cell::Int(i) => i.to_string(),
                        Cell::Null => String::new(),
                    };
                    out.push(Dangling {
                        source: contract.name.to_string(),
                        column: fk.columns[0].to_string(),
                        key,
                        value: value.clone(),
                    });
                }
            }
        }
    }
    Ok(out)
}
