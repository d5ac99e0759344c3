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
use simulate::{Config, Preset, Simulation};

use crate::emit;
use crate::error::CliError;

/// Version of the data contracts the files follow (docs/data-contracts.md).
pub const CONTRACT_VERSION: u32 = 1;

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
    let sim = simulate::run(&config, seed, threads, &|done, _| bar.set_position(u64::from(done)));
    bar.finish_and_clear();
    let staging = staging_dir(out)?;
    let counts = write_all(&sim, &staging, format)?;
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

fn write_table<T: Serialize>(dir: &Path, name: &str, rows: &[T], format: OutputFormat) -> Result<usize, CliError> {
    if matches!(format, OutputFormat::Csv | OutputFormat::Both) {
        let file = File::create(dir.join(format!("{name}.csv"))).map_err(|e| io(e, name))?;
        let mut w = csv::Writer::from_writer(BufWriter::with_capacity(1 << 20, file));
        for row in rows {
            w.serialize(row).map_err(|e| io(e, name))?;
        }
        w.flush().map_err(|e| io(e, name))?;
    }
    if matches!(format, OutputFormat::Jsonl | OutputFormat::Both) {
        let file = File::create(dir.join(format!("{name}.jsonl"))).map_err(|e| io(e, name))?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        for row in rows {
            serde_json::to_writer(&mut w, row).map_err(|e| io(e, name))?;
            w.write_all(b"\n").map_err(|e| io(e, name))?;
        }
        w.flush().map_err(|e| io(e, name))?;
    }
    Ok(rows.len())
}

/// Writes every table and the manifest; returns (file stem, rows) in dependency order.
fn write_all(sim: &Simulation, dir: &Path, format: OutputFormat) -> Result<Vec<(&'static str, usize)>, CliError> {
    let t = &sim.tables;
    // Dependency order: what a row refers to is listed before it.
    let counts = vec![
        ("counties", write_table(dir, "counties", &t.counties, format)?),
        ("villages", write_table(dir, "villages", &t.villages, format)?),
        ("households", write_table(dir, "households", &t.households, format)?),
        ("members", write_table(dir, "members", &t.members, format)?),
        ("groups", write_table(dir, "groups", &t.groups, format)?),
        ("ratings", write_table(dir, "ratings", &t.ratings, format)?),
        ("bureau_reports", write_table(dir, "bureau_reports", &t.bureau, format)?),
        ("applications", write_table(dir, "applications", &t.applications, format)?),
        ("loans", write_table(dir, "loans", &t.loans, format)?),
        ("repayments", write_table(dir, "repayments", &t.repayments, format)?),
        ("transactions", write_table(dir, "transactions", &t.transactions, format)?),
        ("prices", write_table(dir, "prices", &t.prices, format)?),
        ("weather_events", write_table(dir, "weather_events", &t.weather, format)?),
        ("disease_events", write_table(dir, "disease_events", &t.disease, format)?),
        ("employment_shocks", write_table(dir, "employment_shocks", &t.employment, format)?),
        ("insurance_claims", write_table(dir, "insurance_claims", &t.insurance, format)?),
        ("news", write_table(dir, "news", &t.news, format)?),
        ("household_truth", write_table(dir, "household_truth", &t.household_truth, format)?),
        ("loan_truth", write_table(dir, "loan_truth", &t.loan_truth, format)?),
        ("shocks", write_table(dir, "shocks", &t.shocks, format)?),
        ("shock_households", write_table(dir, "shock_households", &t.shock_households, format)?),
    ];
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
        "seed": sim.seed,
        "synthetic": true,
        "formats": match format { OutputFormat::Csv => vec!["csv"], OutputFormat::Jsonl => vec!["jsonl"], OutputFormat::Both => vec!["csv", "jsonl"] },
        "files": files,
        "config": sim.config,
    });
    let text = serde_json::to_string_pretty(&manifest).map_err(|e| io(e, "manifest"))?;
    std::fs::write(dir.join("manifest.json"), format!("{text}\n")).map_err(|e| io(e, "manifest"))?;
    Ok(counts)
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
