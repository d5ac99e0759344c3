//! `agririsk portfolio report`, `stress` and `drift`: the service layer's portfolio report, stress runs and model
//! drift (`app::portfolio`) over the ingested book, printed as a table, JSON or (the report) one HTML page.

use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use domain::{Clock, Date};

use crate::args::Format;
use crate::error::CliError;
use app::portfolio_alerts::{AlertsOutcome, keep_concentration, keep_drift};

use crate::{Place, SystemClock, emit, with_reader, with_store};

/// Worker threads for the features the PDs are scored on.
const THREADS: usize = 2;

/// How a report is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Plain text with Chinese and English headings.
    Table,
    /// Stable JSON (amounts as fen integers and yuan text).
    Json,
    /// One self-contained HTML page with inline SVG charts.
    Html,
}

/// Portfolio commands.
#[derive(Debug, Subcommand)]
pub enum PortfolioCommand {
    /// PAR1/30/90, NPL and balances by five-category class, IFRS 9 stages and expected credit loss, the regulatory
    /// provision with coverage ratios, vintage curves, roll rates, write-offs, concentration with limits, and
    /// breakdowns by branch, product and segment, as of a date.
    Report {
        /// The date the report is as of.
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
        format: ReportFormat,
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// A portfolio configuration (JSON, version 1): LGDs, provisioning ratios, limits, … (default: built in).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Raise a `concentration` alert for each limit breached and resolve those no longer breached.
        #[arg(long)]
        raise_alerts: bool,
    },
    /// Project defaults, NPL, ECL and provisions by segment under a scenario of shocks (JSON, version 1).
    Stress {
        /// The scenario file.
        #[arg(long, value_name = "FILE")]
        scenario: PathBuf,
        /// The date the book is as of (default: today).
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// A portfolio configuration (JSON, version 1).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Model and data drift of the champion decision model: PSI of its scores and CSI of its inputs against a
    /// reference date's population, realised against predicted bad rate by PD band, approval-rate drift, and the
    /// thresholds crossed.
    Drift {
        /// The recent date.
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: String,
        /// The reference (training) date (default: a year before `--as-of`).
        #[arg(long, value_name = "YYYY-MM-DD")]
        reference: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Raise a `model_drift` alert for each threshold crossed and resolve those no longer crossed.
        #[arg(long)]
        raise_alerts: bool,
    },
}

/// The `--as-of` flag named in an error about the as-of date.
fn flag(e: CliError) -> CliError {
    match e {
        CliError::Refused { code, field: Some(field), message } if field == "as_of" || field == "reference" => {
            CliError::Refused { code, field: Some(format!("--{}", field.replace('_', "-"))), message }
        }
        other => other,
    }
}

fn as_of(text: &str) -> Result<Date, CliError> {
    domain::parse_date(text).map_err(|e| CliError::input("--as-of", e))
}

/// Runs a portfolio command.
pub async fn run(command: PortfolioCommand, at: &Place) -> Result<(), CliError> {
    match command {
        PortfolioCommand::Report { as_of: text, format, out, config, raise_alerts } => {
            let on = as_of(&text)?;
            let config = app::portfolio::load_config(config.as_deref())?;
            let loaded = with_reader(at, async |store| Ok(app::portfolio::load(store, on, THREADS).await?))
                .await
                .map_err(flag)?;
            let report = loaded.report(&config)?;
            if raise_alerts {
                raised(with_store(at, async |s| Ok(keep_concentration(s, &report, SystemClock.now()).await?)).await?);
            }
            let text = match format {
                ReportFormat::Table => portfolio::render::table(&report),
                ReportFormat::Json => portfolio::render::json(&report).map_err(|e| CliError::Internal(e.into()))?,
                ReportFormat::Html => portfolio::render::html(&report),
            };
            match out {
                Some(path) => app::files::write_atomically(&path, &text, "out"),
                None => emit(&text),
            }
        }
        PortfolioCommand::Stress { scenario, as_of: text, format, config } => {
            let on = match text {
                Some(text) => as_of(&text)?,
                None => SystemClock.today(),
            };
            let config = app::portfolio::load_config(config.as_deref())?;
            let scenario = app::portfolio::read_scenario(&scenario)?;
            let loaded = with_reader(at, async |store| Ok(app::portfolio::load(store, on, THREADS).await?))
                .await
                .map_err(flag)?;
            let report = loaded.stress(&scenario, &config)?;
            match format {
                Format::Json => crate::print_json(&report),
                Format::Table => emit(&portfolio::stress::table(&report)),
            }
        }
        PortfolioCommand::Drift { as_of: text, reference, format, raise_alerts } => {
            let on = as_of(&text)?;
            let reference = match reference {
                Some(r) => Some(domain::parse_date(&r).map_err(|e| CliError::input("--reference", e))?),
                None => None,
            };
            let report = with_reader(at, async |store| Ok(app::portfolio::drift(store, on, reference, THREADS).await?))
                .await
                .map_err(flag)?;
            if raise_alerts {
                raised(with_store(at, async |s| Ok(keep_drift(s, &report, SystemClock.now()).await?)).await?);
            }
            match format {
                Format::Json => crate::print_json(&report),
                Format::Table => emit(&portfolio::drift::table(&report)),
            }
        }
    }
}

/// Says what `--raise-alerts` did, on standard error, so the report on standard output stays whole.
fn raised(outcome: AlertsOutcome) {
    eprintln!(
        "alerts ({}): {} raised, {} already open, {} resolved",
        outcome.cause, outcome.raised, outcome.existing, outcome.resolved
    );
}
