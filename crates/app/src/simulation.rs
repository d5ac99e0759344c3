//! Writing a simulated county: the `simulate` crate runs it, streaming its tables village by village; this module
//! writes them as CSV and/or JSON Lines with a manifest, and summarises a written run again.
//!
//! The configuration is validated whole before the output directory is touched, so a bad config writes nothing.
//! Files are written to a staging directory beside the target that replaces it at the end ([`crate::files`]), so a
//! failed run never leaves a half-written data set.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use serde::Serialize;
use serde_json::json;
use simulate::{Config, Preset};

use crate::error::Error;
use crate::files::{replace_dir, staging_dir};

/// Version of the data contracts the files follow (docs/data-contracts.md).
pub const CONTRACT_VERSION: u32 = 2;

/// The file formats of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// CSV (UTF-8, header row).
    Csv,
    /// JSON Lines.
    Jsonl,
    /// Both.
    Both,
}

fn io(e: impl std::fmt::Display, what: &str) -> Error {
    Error::internal(format!("{what}: {e}"))
}

/// The configuration: a preset (by name), with overrides from a JSON file; a bad value names its key path.
pub fn load_config(preset: &str, config: Option<&Path>) -> Result<Config, Error> {
    let preset: Preset = preset.parse().map_err(|e: String| Error::input("preset", e))?;
    match config {
        None => Ok(Config::preset(preset)),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Error::input("config", format!("cannot read {}: {e}", path.display())))?;
            Config::with_overrides(preset, &text).map_err(|e| {
                let key = if e.path.is_empty() { "config".to_string() } else { format!("config: {}", e.path) };
                Error::input(key, e.reason)
            })
        }
    }
}

/// Runs the simulation on `threads` threads and writes every table and the manifest into `out` (replacing it);
/// `progress` hears how many villages are done. Returns (entity, rows) for each file, in dependency order.
pub fn write(
    config: &Config,
    seed: u64,
    out: &Path,
    format: OutputFormat,
    threads: usize,
    progress: &(dyn Fn(u32) + Sync),
) -> Result<Vec<(&'static str, usize)>, Error> {
    let staging = staging_dir(out)?;
    let mut files = Files::create(&staging, format)?;
    let mut failure = None;
    simulate::run_streaming(config, seed, threads, &|done, _| progress(done), &mut |part| {
        if failure.is_none() {
            failure = files.write(&part).err();
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    let counts = files.finish()?;
    write_manifest(&staging, config, seed, format, &counts)?;
    replace_dir(&staging, out)?;
    Ok(counts)
}

/// One entity's open files.
struct Entity {
    name: &'static str,
    csv: Option<csv::Writer<BufWriter<File>>>,
    jsonl: Option<BufWriter<File>>,
    rows: usize,
}

impl Entity {
    fn append<T: Serialize>(&mut self, rows: &[T]) -> Result<(), Error> {
        for row in rows {
            if let Some(w) = &mut self.csv {
                w.serialize(row).map_err(|e| io(e, self.name))?;
            }
            if let Some(w) = &mut self.jsonl {
                serde_json::to_writer(&mut *w, row).map_err(|e| io(e, self.name))?;
                w.write_all(b"\n").map_err(|e| io(e, self.name))?;
            }
        }
        self.rows += rows.len();
        Ok(())
    }
}

/// Every entity, in dependency order (what a row refers to is listed before it), with its field in `Tables`.
macro_rules! entities {
    ($m:ident) => {
        $m!(
            counties: counties, villages: villages, households: households, members: members, groups: groups,
            ratings: ratings, bureau_reports: bureau, applications: applications, loans: loans,
            repayments: repayments, transactions: transactions, prices: prices, weather_events: weather,
            disease_events: disease, employment_shocks: employment, insurance_claims: insurance, news: news,
            crop_observations: crop_observations,
            household_truth: household_truth, loan_truth: loan_truth, shocks: shocks,
            shock_households: shock_households
        )
    };
}

/// The CSV header of a row type: the field names a default row serialises with.
fn header_of<T: Serialize + Default>(_rows: &[T]) -> Result<Vec<String>, Error> {
    let internal = |e: &dyn std::fmt::Display| Error::internal(format!("deriving a CSV header: {e}"));
    let mut w = csv::WriterBuilder::new().has_headers(true).from_writer(Vec::new());
    w.serialize(T::default()).map_err(|e| internal(&e))?;
    let bytes = w.into_inner().map_err(|e| internal(&e))?;
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(bytes.as_slice());
    let header = reader.records().next().ok_or_else(|| internal(&"no header line"))?.map_err(|e| internal(&e))?;
    Ok(header.iter().map(str::to_string).collect())
}

/// The output files of a run, written part by part as the simulation streams.
struct Files {
    entities: Vec<Entity>,
}

impl Files {
    fn create(dir: &Path, format: OutputFormat) -> Result<Files, Error> {
        let open = |name: &'static str, header: Vec<String>| -> Result<Entity, Error> {
            let file = |ext: &str| {
                File::create(dir.join(format!("{name}.{ext}")))
                    .map(|f| BufWriter::with_capacity(1 << 20, f))
                    .map_err(|e| io(e, name))
            };
            let csv = if format == OutputFormat::Jsonl {
                None
            } else {
                // The header goes first, so a table with no rows still names its columns.
                let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(file("csv")?);
                w.write_record(&header).map_err(|e| io(e, name))?;
                Some(w)
            };
            Ok(Entity {
                name,
                csv,
                jsonl: if format == OutputFormat::Csv { None } else { Some(file("jsonl")?) },
                rows: 0,
            })
        };
        let empty = simulate::Tables::default();
        let mut entities = Vec::new();
        macro_rules! open_all {
            ($($name:ident: $field:ident),*) => {
                $(entities.push(open(stringify!($name), header_of(&empty.$field)?)?);)*
            };
        }
        entities!(open_all);
        Ok(Files { entities })
    }

    fn write(&mut self, part: &simulate::Tables) -> Result<(), Error> {
        let mut slots = self.entities.iter_mut();
        macro_rules! append {
            ($($name:ident: $field:ident),*) => {
                $(slots.next().expect("one entity per table").append(&part.$field)?;)*
            };
        }
        entities!(append);
        Ok(())
    }

    /// Flushes every file; returns (entity, rows) in dependency order.
    fn finish(self) -> Result<Vec<(&'static str, usize)>, Error> {
        let mut counts = Vec::new();
        for mut e in self.entities {
            if let Some(w) = &mut e.csv {
                w.flush().map_err(|err| io(err, e.name))?;
            }
            if let Some(w) = &mut e.jsonl {
                w.flush().map_err(|err| io(err, e.name))?;
            }
            counts.push((e.name, e.rows));
        }
        Ok(counts)
    }
}

fn write_manifest(
    dir: &Path,
    config: &Config,
    seed: u64,
    format: OutputFormat,
    counts: &[(&'static str, usize)],
) -> Result<(), Error> {
    let files: Vec<_> = counts
        .iter()
        .map(|(name, rows)| {
            let model_facing = !matches!(*name, "household_truth" | "loan_truth" | "shocks" | "shock_households");
            json!({"entity": name, "rows": rows, "model_facing": model_facing})
        })
        .collect();
    let manifest = json!({
        "contract_version": CONTRACT_VERSION,
        "generator": format!("agririsk {}", env!("CARGO_PKG_VERSION")),
        "seed": seed,
        "synthetic": true,
        "formats": match format { OutputFormat::Csv => vec!["csv"], OutputFormat::Jsonl => vec!["jsonl"], OutputFormat::Both => vec!["csv", "jsonl"] },
        "files": files,
        "config": config,
    });
    let text = serde_json::to_string_pretty(&manifest).map_err(|e| io(e, "manifest"))?;
    std::fs::write(dir.join("manifest.json"), format!("{text}\n")).map_err(|e| io(e, "manifest"))
}

/// The calibration report of a written run: its manifest's config and seed are simulated again (runs are
/// deterministic) and the row counts are checked against the manifest first.
pub fn report_of(dir: &Path) -> Result<String, Error> {
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Error::input("report", format!("cannot read {}: {e}", path.display())))?;
    let manifest: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| Error::input("report", format!("{}: {e}", path.display())))?;
    let config: Config = serde_json::from_value(manifest["config"].clone())
        .map_err(|e| Error::input("report", format!("{}: config: {e}", path.display())))?;
    config.validate().map_err(|e| Error::input("report", e))?;
    let seed = manifest["seed"].as_u64().ok_or_else(|| Error::input("report", "manifest has no seed"))?;
    let sim = simulate::run(&config, seed, 2, &|_, _| {});
    let loans = manifest["files"]
        .as_array()
        .and_then(|f| f.iter().find(|x| x["entity"] == "loans"))
        .and_then(|x| x["rows"].as_u64());
    if loans != Some(sim.tables.loans.len() as u64) {
        return Err(Error::input(
            "report",
            "the files do not match their manifest (edited, or another generator version)",
        ));
    }
    Ok(format!("run in {} (seed {seed})\n{}", dir.display(), simulate::report(&sim).text()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_preset_or_override_is_refused_naming_it() {
        assert_eq!(load_config("no-such-preset", None).expect_err("preset").field(), Some("preset"));
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("config.json");
        std::fs::write(&file, r#"{"villages": "many"}"#).expect("write");
        let e = load_config("tiny", Some(&file)).expect_err("bad override");
        assert!(e.field().is_some_and(|f| f.starts_with("config")), "{e}");
    }

    #[test]
    fn a_run_without_a_manifest_is_not_reported() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert_eq!(report_of(dir.path()).expect_err("no manifest").field(), Some("report"));
    }
}
