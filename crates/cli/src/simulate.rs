//! `agririsk simulate`: runs the synthetic county and writes its files; `--report` summarises a written run.
//!
//! The configuration is validated whole before the output directory is touched, so a bad config writes nothing.
//! Files are written to a temporary directory beside the target and renamed into place at the end, so a failed
//! run never leaves a half-written data set.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::json;
use simulate::{Config, Preset};

use crate::emit;
use crate::error::CliError;

/// Version of the data contracts the files follow (docs/data-contracts.md).
pub const CONTRACT_VERSION: u32 = 2;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// CSV (UTF-8, header row).
    Csv,
    /// JSON Lines.
    Jsonl,
    /// Both.
    Both,
}

fn io(e: impl std::fmt::Display, what: &str) -> CliError {
    CliError::Internal(anyhow::anyhow!("{what}: {e}"))
}

/// Loads the configuration: a preset, with overrides from a JSON file.
pub fn load_config(preset: &str, config: Option<&Path>) -> Result<Config, CliError> {
    let preset: Preset = preset.parse().map_err(|e: String| CliError::input("preset", e))?;
    match config {
        None => Ok(Config::preset(preset)),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CliError::input("config", format!("cannot read {}: {e}", path.display())))?;
            Config::with_overrides(preset, &text).map_err(|e| {
                let key = if e.path.is_empty() { "config".to_string() } else { format!("config: {}", e.path) };
                CliError::input(key, e.reason)
            })
        }
    }
}

/// Runs the simulation and writes every table into `out`.
pub fn run(
    config: Config,
    seed: u64,
    out: &Path,
    format: OutputFormat,
    threads: usize,
    quiet: bool,
) -> Result<(), CliError> {
    let bar = if quiet {
        indicatif::ProgressBar::hidden()
    } else {
        let bar = indicatif::ProgressBar::new(u64::from(config.villages));
        bar.set_style(
            indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} villages, {elapsed}")
                .map_err(|e| io(e, "progress bar"))?
                .progress_chars("=> "),
        );
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        bar.set_message("simulating");
        bar
    };
    let started = std::time::Instant::now();
    let staging = staging_dir(out)?;
    let mut files = Files::create(&staging, format)?;
    let mut failure = None;
    simulate::run_streaming(&config, seed, threads, &|done, _| bar.set_position(u64::from(done)), &mut |part| {
        if failure.is_none() {
            failure = files.write(&part).err();
        }
    });
    bar.finish_and_clear();
    if let Some(e) = failure {
        return Err(e);
    }
    let counts = files.finish()?;
    write_manifest(&staging, &config, seed, format, &counts)?;
    if out.exists() {
        std::fs::remove_dir_all(out).map_err(|e| io(e, "replacing the output directory"))?;
    }
    std::fs::rename(&staging, out).map_err(|e| io(e, "moving the output into place"))?;
    if !quiet {
        let rows: usize = counts.iter().map(|(_, n)| n).sum();
        emit(&format!(
            "simulated {} households in {} villages over {} months (seed {seed}) in {:.1} s; {} files, {rows} rows in {}\n",
            config.households,
            config.villages,
            config.months,
            started.elapsed().as_secs_f64(),
            counts.len(),
            out.display()
        ))?;
    }
    Ok(())
}

/// A fresh directory beside `out` to write into.
fn staging_dir(out: &Path) -> Result<PathBuf, CliError> {
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| io(e, "creating the output's parent directory"))?;
    let name = out.file_name().map_or("out".into(), |n| n.to_string_lossy().into_owned());
    let staging = parent.join(format!(".{name}.partial"));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(|e| io(e, "clearing a stale partial output"))?;
    }
    std::fs::create_dir_all(&staging).map_err(|e| io(e, "creating the output directory"))?;
    Ok(staging)
}

/// One entity's open files.
struct Entity {
    name: &'static str,
    csv: Option<csv::Writer<BufWriter<File>>>,
    jsonl: Option<BufWriter<File>>,
    rows: usize,
}

impl Entity {
    fn append<T: Serialize>(&mut self, rows: &[T]) -> Result<(), CliError> {
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
            household_truth: household_truth, loan_truth: loan_truth, shocks: shocks,
            shock_households: shock_households
        )
    };
}

/// The CSV header of a row type: the field names a default row serialises with.
fn header_of<T: Serialize + Default>(_rows: &[T]) -> Result<Vec<String>, CliError> {
    let internal = |e: &dyn std::fmt::Display| CliError::Internal(anyhow::anyhow!("deriving a CSV header: {e}"));
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
    fn create(dir: &Path, format: OutputFormat) -> Result<Files, CliError> {
        let open = |name: &'static str, header: Vec<String>| -> Result<Entity, CliError> {
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

    fn write(&mut self, part: &simulate::Tables) -> Result<(), CliError> {
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
    fn finish(self) -> Result<Vec<(&'static str, usize)>, CliError> {
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
) -> Result<(), CliError> {
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
pub fn report_of(dir: &Path) -> Result<String, CliError> {
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| CliError::input("report", format!("cannot read {}: {e}", path.display())))?;
    let manifest: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| CliError::input("report", format!("{}: {e}", path.display())))?;
    let config: Config = serde_json::from_value(manifest["config"].clone())
        .map_err(|e| CliError::input("report", format!("{}: config: {e}", path.display())))?;
    config.validate().map_err(|e| CliError::input("report", e))?;
    let seed = manifest["seed"].as_u64().ok_or_else(|| CliError::input("report", "manifest has no seed"))?;
    let sim = simulate::run(&config, seed, 2, &|_, _| {});
    let loans = manifest["files"]
        .as_array()
        .and_then(|f| f.iter().find(|x| x["entity"] == "loans"))
        .and_then(|x| x["rows"].as_u64());
    if loans != Some(sim.tables.loans.len() as u64) {
        return Err(CliError::input(
            "report",
            "the files do not match their manifest (edited, or another generator version)",
        ));
    }
    Ok(format!("run in {} (seed {seed})\n{}", dir.display(), simulate::report(&sim).text()))
}
