//! Portfolio risk and stress tests over the ingested book: loads the records in force on the date through
//! `integrate::history` from any `RecordStore` (both engines), scores every borrower with the champion decision
//! model on their point-in-time features, and hands everything to the pure `portfolio` crate.
//!
//! A request over HTTP and a command share everything here: the scenario's shape check ([`parse_scenario`]), the
//! data check of a stress run ([`Loaded::stress`]) and the narrowing of the book to a caller's branches
//! ([`Loaded::within`]).
//!
//! The model's PD is the probability of reaching 90+ DPD over its training horizon (12 months), read as the
//! 12-month PD. Without a champion the report says so in its assumptions and takes the fallback PD by rating grade
//! and DPD bucket of the portfolio configuration.

use std::collections::HashMap;
use std::path::Path;

use domain::Date;
use features::Feature;
use features::input::{BorrowerRecords, Context};
use identity::Branches;
use integrate::RecordStore;
use integrate::history::{Scope, load_borrowers, load_context, load_village_zones};
use integrate::register::Versions;
use portfolio::stress::{Capacity, StressInputs};
use portfolio::{Book, Config, Inputs};
use rust_decimal::Decimal;
use store::ModelRegistry;

use crate::decisions::{MODEL_NAME, scorer};
use crate::error::Error;

pub use portfolio::Report;
pub use portfolio::render;
pub use portfolio::stress::{Scenario, StressReport};

/// Everything a report or a stress run reads, loaded once.
#[derive(Debug)]
pub struct Loaded {
    /// The date the records are as of.
    pub as_of: Date,
    /// Every borrower's records, repayments in (loan, date) order.
    pub borrowers: Vec<BorrowerRecords>,
    /// Shared context (villages, prices).
    pub context: Context,
    /// Village → agro-zone.
    pub zones: HashMap<String, String>,
    /// Village → county.
    pub county_of: HashMap<String, String>,
    /// The champion model's 12-month PD by household (empty without a champion).
    pub pds: HashMap<String, Decimal>,
    /// Expected income and debt service by household, from the features.
    pub capacities: HashMap<String, Capacity>,
    /// The champion model's id, if one scored.
    pub model: Option<String>,
}

fn decimal(x: Option<f64>) -> Option<Decimal> {
    x.and_then(Decimal::from_f64_retain).map(|d| d.round_dp(6))
}

/// Reads a portfolio configuration file (`None`: the defaults), an error naming `config` if it is unusable.
pub fn load_config(path: Option<&Path>) -> Result<Config, Error> {
    let Some(path) = path else { return Ok(Config::default()) };
    let text = std::fs::read_to_string(path).map_err(|e| Error::input("config", format!("{}: {e}", path.display())))?;
    Config::from_json(&text).map_err(|e| Error::input("config", e))
}

/// Reads a scenario file's shape (the data check comes with the data, [`Loaded::stress`]), an error naming the
/// field.
pub fn read_scenario(path: &Path) -> Result<Scenario, Error> {
    let text =
        std::fs::read_to_string(path).map_err(|e| Error::input("scenario", format!("{}: {e}", path.display())))?;
    parse_scenario(&text)
}

/// Reads a scenario's shape from its JSON text, wherever it came from (a file, a request body): not JSON of the
/// scenario's shape, or with an unknown field, is an error naming `scenario` with serde's message, which names the
/// field. The one check of the shape; the regions, crops and bounds are checked against the data by
/// [`Loaded::stress`].
pub fn parse_scenario(text: &str) -> Result<Scenario, Error> {
    Scenario::parse(text).map_err(|e| scenario_error(&e))
}

fn scenario_error(e: &portfolio::stress::StressError) -> Error {
    match e {
        portfolio::stress::StressError::Invalid { field, reason } => Error::input(field.clone(), reason),
        other => Error::input("scenario", other),
    }
}

/// Loads the book as of `as_of`: an error naming `as_of` if the date is before the first loan on file.
pub async fn load<S: RecordStore + ModelRegistry>(store: &S, as_of: Date, threads: usize) -> Result<Loaded, Error> {
    let day = as_of.format("%Y-%m-%d").to_string();
    let versions = Versions::AsOf(&day);
    let context = load_context(store, versions).await?;
    let mut borrowers = load_borrowers(store, Scope::All, versions).await?;
    let zones = load_village_zones(store, versions).await?;
    let first = borrowers.iter().flat_map(|b| b.loans.iter().map(|l| l.start_date)).min();
    match first {
        None => return Err(Error::input("as_of", "no loans are on file: ingest the loans and repayments first")),
        Some(first) if as_of < first => {
            return Err(Error::input(
                "as_of",
                format!("{as_of} is before the data begins (the first loan starts {first})"),
            ));
        }
        Some(_) => {}
    }
    portfolio::book::prepare(&mut borrowers);
    let county_of = context.villages.iter().map(|v| (v.village_code.clone(), v.county_code.clone())).collect();
    let table = features::build_parallel(as_of, &context, &borrowers, threads);
    let capacities = table
        .rows
        .iter()
        .filter_map(|row| {
            let income = decimal(row.get(Feature::IncomeExpectedYuan))?;
            let service = decimal(row.get(Feature::DebtServiceAnnualYuan)).unwrap_or(Decimal::ZERO);
            Some((row.household_id.clone(), Capacity { income_yuan: income, debt_service_yuan: service }))
        })
        .collect();
    let (pds, model) = match store.champion(MODEL_NAME).await? {
        None => (HashMap::new(), None),
        Some(_) => {
            let scorer = scorer(store).await?;
            let pds = table
                .rows
                .iter()
                .filter_map(|row| Some((row.household_id.clone(), decimal(Some(scorer.score(row).pd))?)))
                .collect();
            (pds, Some(scorer.model_id().to_owned()))
        }
    };
    Ok(Loaded { as_of, borrowers, context, zones, county_of, pds, capacities, model })
}

impl Loaded {
    /// The book narrowed to the borrowers of villages `branches` covers (a branch's own book: its quality, ECL,
    /// history, concentration and breakdowns over its loans alone); every branch leaves it whole. What a scenario
    /// may name stays what is on file, whatever the scope.
    pub fn within(mut self, branches: &Branches) -> Loaded {
        if !matches!(branches, Branches::All) {
            self.borrowers.retain(|b| branches.covers(&b.household.village_code));
        }
        self
    }

    fn book(&self, config: &Config) -> Result<Book, Error> {
        let inputs = Inputs {
            as_of: self.as_of,
            borrowers: &self.borrowers,
            villages: &self.context.villages,
            zones: &self.zones,
            pds: &self.pds,
        };
        Book::build(&inputs, config).map_err(portfolio_error)
    }

    fn note_model(&self, assumptions: &mut Vec<String>) {
        assumptions.insert(
            0,
            match &self.model {
                Some(id) => format!(
                    "PD: the champion decision model {} scored on each borrower's features as of the date (its 90+ DPD probability over 12 months)",
                    id.get(..12).unwrap_or(id)
                ),
                None => "PD: NO champion decision model is registered; every PD is the fallback table's by rating grade and DPD bucket".to_owned(),
            },
        );
    }

    /// The portfolio report.
    pub fn report(&self, config: &Config) -> Result<Report, Error> {
        let book = self.book(config)?;
        let mut report = portfolio::report::build(&book, config).map_err(portfolio_error)?;
        self.note_model(&mut report.assumptions);
        Ok(report)
    }

    /// A stress run of a scenario, checked against the regions and crops on file (an error naming the field).
    pub fn stress(&self, scenario: &Scenario, config: &Config) -> Result<StressReport, Error> {
        scenario.check(&portfolio::stress::known(&self.county_of, &self.zones)).map_err(|e| scenario_error(&e))?;
        let book = self.book(config)?;
        let inputs = StressInputs {
            borrowers: &self.borrowers,
            county_of: &self.county_of,
            zones: &self.zones,
            prices: &self.context.prices,
            capacities: &self.capacities,
        };
        let mut report = portfolio::stress::run(&book, &inputs, scenario, config).map_err(|e| scenario_error(&e))?;
        self.note_model(&mut report.assumptions);
        Ok(report)
    }
}

fn portfolio_error(e: portfolio::PortfolioError) -> Error {
    match e {
        portfolio::PortfolioError::Config(c) => Error::input("config", c),
        other => Error::Internal(anyhow::Error::new(other)),
    }
}

/// Model and data drift of the champion decision model between `reference` (default: a year before `as_of`) and
/// `as_of`: PSI of its PD and CSI of its inputs over the labelled population of each date, realised against
/// predicted bad rate by PD band where the data reaches 12 months past the reference, and the approval rate. An
/// error naming `model` without a champion, and `reference` when it is not before `as_of`.
pub async fn drift<S: RecordStore + ModelRegistry>(
    store: &S,
    as_of: Date,
    reference: Option<Date>,
    threads: usize,
) -> Result<portfolio::drift::DriftReport, Error> {
    let reference = reference.unwrap_or_else(|| domain::add_months(as_of, -12));
    if reference >= as_of {
        return Err(Error::input("reference", format!("{reference} is not before the as-of date {as_of}")));
    }
    if store.champion(MODEL_NAME).await?.is_none() {
        return Err(Error::input(
            "model",
            format!("no champion model named {MODEL_NAME}: drift is measured on a model"),
        ));
    }
    let scorer = scorer(store).await?;
    let day = as_of.format("%Y-%m-%d").to_string();
    let versions = Versions::AsOf(&day);
    let context = load_context(store, versions).await?;
    let borrowers = load_borrowers(store, Scope::All, versions).await?;
    let first = borrowers.iter().flat_map(|b| b.loans.iter().map(|l| l.start_date)).min();
    match first {
        Some(first) if reference >= first => {}
        _ => return Err(Error::input("reference", format!("{reference} is before the data begins"))),
    }
    let data_end = borrowers.iter().flat_map(|b| b.repayments.iter().map(|r| r.date)).max();
    let horizon = 12;
    let old = features::training_table_parallel(reference, horizon, &context, &borrowers, threads);
    let new = features::training_table_parallel(as_of, horizon, &context, &borrowers, threads);
    let pd = |rows: &[features::FeatureRow]| rows.iter().map(|r| scorer.score(r).pd).collect::<Vec<f64>>();
    let (reference_pd, actual_pd) = (pd(&old.features.rows), pd(&new.features.rows));
    let inputs: Vec<Feature> = scorer.model().inputs.iter().filter_map(|i| Feature::by_name(&i.name)).collect();
    let values =
        |rows: &[features::FeatureRow], f: Feature| rows.iter().map(|r| r.get(f).unwrap_or(f64::NAN)).collect();
    let feature_values: Vec<(String, Vec<f64>, Vec<f64>)> = inputs
        .iter()
        .map(|&f| (f.name().to_owned(), values(&old.features.rows, f), values(&new.features.rows, f)))
        .collect();
    let outcomes: Option<Vec<u8>> = data_end
        .filter(|end| *end >= domain::add_months(reference, horizon as i32))
        .map(|_| old.labels.iter().map(|&b| u8::from(b)).collect());
    let applications: Vec<features::input::Application> =
        borrowers.iter().flat_map(|b| b.applications.iter().cloned()).collect();
    Ok(portfolio::drift::measure(&portfolio::drift::DriftInputs {
        as_of,
        reference,
        reference_pd: &reference_pd,
        actual_pd: &actual_pd,
        features: &feature_values,
        outcomes: outcomes.as_deref(),
        applications: &applications,
    }))
}
