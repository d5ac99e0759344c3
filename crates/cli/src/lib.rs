//! The `agririsk` command-line tool: glue between the command line, the lending engine and the store.
//!
//! Every value from the command line is parsed into its domain type before anything is opened or written, so bad
//! input leaves the data directory exactly as it was. Errors print as one line, `error: <field>: <reason>`, and
//! exit with 2 when the user can fix them (see [`error::CliError`]).

pub mod approvals;
pub mod args;
pub mod audit;
pub mod db;
pub mod decide;
pub mod demo;
pub mod demo_decide;
pub mod demo_monitor;
pub mod error;
pub mod features;
pub mod identity;
pub mod ingest;
pub mod model;
pub mod monitor;
pub mod output;
pub mod policies;
pub mod policy_sim;
pub mod portfolio;
pub mod privacy;
pub mod profile;
pub mod screening;
pub mod serve;
pub mod simulate;
pub mod table;
pub mod village;

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use domain::{BorrowerId, Clock, CropCalendar, Date, LoanId, Money, Rate, RepaymentId};
use lending::{
    DatedEvent, DeferralInterest, FiveCategory, LoanEvent, LoanTerms, ProductKind, RestructureTerms, schedule,
};
use store::{Database, Location, SqliteStore};

use crate::args::{
    Cli, Command, DecideCommand, FeaturesCommand, Format, KeysCommand, LoanCommand, ModelCommand, ModelKind,
    PolicyCommand, VillageCommand,
};
use crate::error::CliError;
use app::loans::Loans as App;
use app::models::ImportFormat;

/// The system clock, read only here at the edge. "Today" is the calendar day in China Standard Time (UTC+8, no
/// daylight saving), where the lenders are, whatever the machine's time zone.
pub struct SystemClock;

impl SystemClock {
    /// China Standard Time's offset from UTC, in seconds.
    pub const UTC_OFFSET_SECS: u64 = 8 * 3600;
}

impl Clock for SystemClock {
    fn today(&self) -> Date {
        let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let days = (secs + Self::UTC_OFFSET_SECS) / 86_400;
        Date::from_ymd_opt(1970, 1, 1).unwrap_or_default() + chrono::Duration::days(i64::try_from(days).unwrap_or(0))
    }

    fn now(&self) -> domain::Timestamp {
        let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let instant = chrono::DateTime::from_timestamp(i64::try_from(secs).unwrap_or(0), 0).unwrap_or_default();
        domain::Timestamp::from_instant(instant.with_timezone(&domain::china_standard_time()))
    }
}

fn date(field: &str, text: &str) -> Result<Date, CliError> {
    domain::parse_date(text).map_err(|e| CliError::input(field, e))
}

fn money(field: &str, text: &str) -> Result<Money, CliError> {
    let amount = Money::parse_yuan(text).map_err(|e| CliError::input(field, e))?;
    if !amount.is_positive() {
        return Err(CliError::input(field, format!("must be greater than zero, got {amount}")));
    }
    Ok(amount)
}

fn loan_id(text: &str) -> Result<LoanId, CliError> {
    LoanId::parse(text).map_err(|e| CliError::input("loan", e))
}

fn repayment_id(field: &str, text: &str) -> Result<RepaymentId, CliError> {
    RepaymentId::parse(text).map_err(|e| CliError::input(field, e))
}

/// Writes to standard output; a closed pipe (`agririsk … | head`) ends the output quietly instead of panicking.
pub fn emit(text: &str) -> Result<(), CliError> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::Internal(anyhow::Error::new(e).context("writing to standard output"))),
    }
}

/// Prints a value as pretty JSON and a newline.
pub(crate) fn print_json(value: &impl serde::Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| CliError::Internal(e.into()))?;
    emit(&format!("{text}\n"))
}

/// Where a command works: the data directory (files beside the database: quarantined rows, checkpoints) and the
/// database, which is the SQLite file in the data directory unless `--database` names another.
#[derive(Debug, Clone)]
pub struct Place {
    /// The data directory.
    pub dir: PathBuf,
    /// The database.
    pub location: Location,
    /// Where read-only work goes (`--read-database`), when not to the database itself.
    pub reads: Option<Location>,
}

impl Place {
    /// The data directory and the database `--database` names (none: the data directory's own).
    pub fn new(dir: &Path, database: Option<&str>, reads: Option<&str>) -> Result<Place, CliError> {
        let location = match database {
            Some(text) => Location::parse(text)?,
            None => Location::Sqlite(dir.to_path_buf()),
        };
        let reads = reads.map(Location::parse).transpose()?;
        if let Some(reads) = &reads {
            if !matches!(reads, Location::Postgres(_)) || !matches!(location, Location::Postgres(_)) {
                return Err(CliError::input(
                    "read-database",
                    format!("{reads}: a read database is a PostgreSQL standby of a PostgreSQL --database"),
                ));
            }
        }
        Ok(Place { dir: dir.to_path_buf(), location, reads })
    }

    /// Refuses a command that reads data when the SQLite database does not exist yet (nothing was loaded), instead
    /// of creating an empty one; `what` says what to run first. A PostgreSQL database is always there to read.
    pub(crate) fn require_database(&self, what: &str) -> Result<(), CliError> {
        match &self.location {
            Location::Sqlite(dir) if !dir.join(SqliteStore::FILE_NAME).is_file() => {
                Err(CliError::input("data-dir", format!("{} holds no data ({what})", dir.display())))
            }
            _ => Ok(()),
        }
    }
}

/// Opens the store, runs `work` on it and closes the store whatever happened, so an SQLite WAL is checkpointed and
/// only the database file remains.
pub(crate) async fn with_store<T>(
    at: &Place,
    work: impl AsyncFnOnce(&Database) -> Result<T, CliError>,
) -> Result<T, CliError> {
    let store = audit::as_os_user(&Database::open(&at.location).await?);
    let result = work(&store).await;
    store.close().await;
    result
}

/// [`with_store`] for work that only reads: on the read database when `--read-database` names one (opened without
/// migrating, its schema checked to be this binary's), else on the database itself.
pub(crate) async fn with_reader<T>(
    at: &Place,
    work: impl AsyncFnOnce(&Database) -> Result<T, CliError>,
) -> Result<T, CliError> {
    let Some(reads) = &at.reads else { return with_store(at, work).await };
    let store = audit::as_os_user(&Database::open_reader(reads).await?);
    let result = work(&store).await;
    store.close().await;
    result
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let calendar = CropCalendar::china_default();
    // Read only by the commands that use the store, so a bad `--database` does not stop `schedule` or `simulate`.
    let place = || Place::new(&cli.data_dir, cli.database.as_deref(), cli.read_database.as_deref());
    match cli.command {
        Command::Schedule { terms, format } => {
            let terms = LoanTerms::new(&terms.request(), &calendar)?;
            let schedule = schedule::build(&terms);
            match format {
                Format::Json => print_json(&output::schedule_json(&terms, &schedule)),
                Format::Table => emit(&output::schedule_table(&terms, &schedule)),
            }
        }
        Command::Serve(args) => serve::serve_command(&place()?, args).await,
        Command::Demo { dir, preset } => demo::run(&dir, &preset).await,
        Command::Model { command } => run_model(command, &place()?).await,
        Command::Decide { command } => match command {
            DecideCommand::Train { as_of, horizon_months, out } => {
                decide::train_command(&place()?, &as_of, horizon_months, &out).await
            }
            DecideCommand::Apply { file, format } => decide::apply_command(&place()?, &file, format).await,
        },
        Command::Ingest(args) => ingest::ingest_command(&place()?, args).await,
        Command::Features { command } => match command {
            FeaturesCommand::Build { as_of, out, horizon_months, no_label, threads, quiet } => {
                let label = (!no_label).then_some(horizon_months);
                features::build_command(&place()?, &as_of, &out, label, threads, quiet).await
            }
        },
        Command::Profile(args) => profile::profile_command(&place()?, args).await,
        Command::Export(args) => profile::export_command(&place()?, args).await,
        Command::Policy { command } => match command {
            PolicyCommand::Check { file, schema } => policies::check_command(&file, schema.as_deref()),
            PolicyCommand::Submit(args) => policies::submit_command(&place()?, args).await,
            PolicyCommand::Move { id, to, reason } => policies::move_command(&place()?, &id, &to, &reason).await,
            PolicyCommand::Simulate { candidate, from, to, format } => {
                policy_sim::simulate_command(&place()?, &candidate, &from, &to, format).await
            }
            PolicyCommand::List { name, format } => {
                policies::list_command(&place()?, name.as_deref(), format == Format::Json).await
            }
        },
        Command::Screening { command: args::ScreeningCommand::Load { file } } => {
            screening::load_command(&place()?, &file).await
        }
        Command::Monitor { command } => monitor::command(&place()?, command).await,
        Command::Village { command: VillageCommand::Credit { village: code, on, format } } => {
            let on = match on {
                Some(text) => date("on", &text)?,
                None => SystemClock.today(),
            };
            village::credit_command(&place()?, &code, on, format).await
        }
        Command::Portfolio { command } => portfolio::run(command, &place()?).await,
        Command::Audit { command } => audit::run(command, &place()?).await,
        Command::Privacy { command } => privacy::run(command, &place()?).await,
        Command::Keys { command } => match command {
            KeysCommand::Generate { out, id } => ingest::keys_generate(&out, &id),
            KeysCommand::Rotate { key_file, id } => ingest::keys_rotate(&key_file, &id),
        },
        Command::Init(args) => identity::init_command(&place()?, args).await,
        Command::User { command } => identity::user_command(&place()?, command).await,
        Command::Apikey { command } => identity::apikey_command(&place()?, command).await,
        Command::Approval { command } => approvals::run(command, &place()?).await,
        Command::Db { command } => db::run(command, &place()?).await,
        Command::Simulate { preset, seed, config, out, report, format, threads, quiet } => match (out, report) {
            (_, Some(dir)) => emit(&app::simulation::report_of(&dir)?),
            (Some(out), None) => {
                let config = app::simulation::load_config(&preset, config.as_deref())?;
                simulate::run(config, seed, &out, format.into(), threads, quiet)
            }
            (None, None) => Err(CliError::input("out", "is required")),
        },
        Command::Loan { command } => {
            let prepared = prepare(command, &calendar)?;
            if let Prepared::Propose { act, reason } = &prepared {
                return approvals::propose_command(&place()?, act, reason).await;
            }
            let app = App::new(audit::as_os_user(&Database::open(&place()?.location).await?));
            let result = execute(&app, prepared).await;
            // Close whatever happened, so the WAL is checkpointed and only the database file remains.
            app.into_store().close().await;
            result
        }
    }
}

async fn run_model(command: ModelCommand, at: &Place) -> Result<(), CliError> {
    match command {
        ModelCommand::Register { model: m } => model::register_command(at, &m).await,
        ModelCommand::List { name, format } => model::list_command(at, name.as_deref(), format == Format::Json).await,
        ModelCommand::Promote { id, to, reason } => {
            let to: scoring::lifecycle::ModelStatus = to.parse().map_err(|e| CliError::input("to", e))?;
            approvals::propose_command(at, &app::approvals::Act::ModelMove { model_id: id, to }, &reason).await
        }
        ModelCommand::Train { data, target, kind, folds, config, name, out, quiet } => {
            let kind = match kind {
                ModelKind::Scorecard => scoring::pipeline::Kind::Scorecard,
                ModelKind::Gbdt => scoring::pipeline::Kind::Gbdt,
            };
            model::train_command(&app::models::TrainRequest { data, target, kind, folds, config, name, out }, quiet)
        }
        ModelCommand::Evaluate { model: m, data, target, protected, cutoff, format } => {
            let fairness = protected.map(|column| app::models::Fairness { column, cutoff });
            model::evaluate_command(&m, &data, &target, fairness, format == Format::Json)
        }
        ModelCommand::Score { model: m, data, out } => app::models::score(&m, &data, &out),
        ModelCommand::Stability { model: m, expected, actual, format } => {
            model::stability_command(&m, &expected, &actual, format == Format::Json)
        }
        ModelCommand::Report { model: m, data, target, out } => {
            app::models::report(&m, data.as_deref().zip(target.as_deref()), &out)
        }
        ModelCommand::Import { lightgbm, xgboost, name, out } => match (lightgbm, xgboost) {
            (Some(file), None) => model::import_command(&file, ImportFormat::LightGbm, name.as_deref(), &out),
            (None, Some(file)) => model::import_command(&file, ImportFormat::XgBoost, name.as_deref(), &out),
            _ => Err(CliError::input("import", "give exactly one of --lightgbm FILE and --xgboost FILE")),
        },
    }
}

/// A loan command with every argument parsed: nothing here can fail on input any more.
enum Prepared {
    Create {
        id: Option<LoanId>,
        borrower: BorrowerId,
        terms: LoanTerms,
        rules: String,
        format: Format,
    },
    /// Disbursement: date and amount default from the loan's terms once the store is open.
    Disburse {
        loan: LoanId,
        date: Option<Date>,
        amount: Option<Money>,
    },
    Post {
        loan: LoanId,
        event: DatedEvent,
        key: Option<String>,
        format: Format,
    },
    /// A reclassification or write-off: proposed, carried out when another person confirms it.
    Propose {
        act: app::approvals::Act,
        reason: String,
    },
    Show {
        loan: LoanId,
        as_of: Date,
        format: Format,
    },
    List {
        as_of: Date,
        format: Format,
    },
    Classify {
        as_of: Date,
        format: Format,
    },
}

/// An unkeyed posting (restructure, defer) on a date given as text.
fn unkeyed(loan: &str, when: &str, event: LoanEvent) -> Result<Prepared, CliError> {
    Ok(Prepared::Post {
        loan: loan_id(loan)?,
        event: DatedEvent { date: date("date", when)?, event },
        key: None,
        format: Format::Table,
    })
}

fn prepare(command: LoanCommand, calendar: &CropCalendar) -> Result<Prepared, CliError> {
    let today = SystemClock.today();
    let as_of_or_today =
        |text: Option<String>| -> Result<Date, CliError> { text.map_or(Ok(today), |t| date("as-of", &t)) };
    Ok(match command {
        LoanCommand::Create { borrower, id, terms, rules, format } => Prepared::Create {
            id: id.map(|i| LoanId::parse(&i).map_err(|e| CliError::input("id", e))).transpose()?,
            borrower: BorrowerId::parse(&borrower).map_err(|e| CliError::input("borrower", e))?,
            terms: LoanTerms::new(&terms.request(), calendar)?,
            rules,
            format,
        },
        LoanCommand::Disburse { loan, date: when, amount } => Prepared::Disburse {
            loan: loan_id(&loan)?,
            date: when.map(|w| date("date", &w)).transpose()?,
            amount: amount.map(|a| money("amount", &a)).transpose()?,
        },
        LoanCommand::Repay { loan, amount, date: when, id, format } => {
            let amount = money("amount", &amount)?;
            let when = date("date", &when)?;
            let id = match id {
                Some(i) => repayment_id("id", &i)?,
                None => repayment_id("id", &format!("R{}-{}", when.format("%Y%m%d"), amount.fen()))?,
            };
            let key = Some(id.as_str().to_string());
            Prepared::Post {
                loan: loan_id(&loan)?,
                event: DatedEvent { date: when, event: LoanEvent::Repaid { id, amount } },
                key,
                format,
            }
        }
        LoanCommand::Reverse { loan, repayment, date: when, reason, id } => {
            let of = repayment_id("repayment", &repayment)?;
            let id = repayment_id("id", &id.unwrap_or_else(|| format!("REV-{of}")))?;
            let key = Some(id.as_str().to_string());
            Prepared::Post {
                loan: loan_id(&loan)?,
                event: DatedEvent { date: date("date", &when)?, event: LoanEvent::Reversed { id, of, reason } },
                key,
                format: Format::Table,
            }
        }
        LoanCommand::Restructure {
            loan,
            date: when,
            product,
            term_months,
            harvest_month,
            annual_rate,
            capitalise_arrears,
        } => {
            let product: ProductKind = product.parse().map_err(|e| CliError::input("product", e))?;
            let to_u32 = |field: &'static str, v: Option<i64>| -> Result<Option<u32>, CliError> {
                v.map(|x| u32::try_from(x).map_err(|_| CliError::input(field, format!("{x} is out of range"))))
                    .transpose()
            };
            let rate =
                annual_rate.map(|r| Rate::parse(&r).map_err(|e| CliError::input("annual-rate", e))).transpose()?;
            if rate.is_some_and(|r| r > Rate::standard_ceiling()) {
                return Err(CliError::input("annual-rate", "is above the 0.36 ceiling"));
            }
            let terms = RestructureTerms::new(
                product,
                to_u32("term-months", term_months)?,
                to_u32("harvest-month", harvest_month)?,
                rate,
                capitalise_arrears,
            )?;
            unkeyed(&loan, &when, LoanEvent::Restructured { terms })?
        }
        LoanCommand::Defer { loan, date: when, months, interest, reason } => {
            let interest = match interest.as_str() {
                "waived" => DeferralInterest::Waived,
                "charged" => DeferralInterest::Charged,
                other => return Err(CliError::input("interest", format!("'{other}' is not waived or charged"))),
            };
            let months = u32::try_from(months)
                .ok()
                .filter(|m| (1..=12).contains(m))
                .ok_or_else(|| CliError::input("months", format!("{months} is out of range (1–12)")))?;
            unkeyed(&loan, &when, LoanEvent::Deferred { months, interest, reason })?
        }
        LoanCommand::Reclassify { loan, date: when, class, reason } => {
            let class: FiveCategory = class.parse().map_err(|e: String| CliError::input("class", e))?;
            let act =
                app::approvals::Act::LoanReclassify { loan_id: loan_id(&loan)?, date: date("date", &when)?, class };
            Prepared::Propose { act, reason }
        }
        LoanCommand::WriteOff { loan, date: when, reason } => {
            let act = app::approvals::Act::LoanWriteOff { loan_id: loan_id(&loan)?, date: date("date", &when)? };
            Prepared::Propose { act, reason }
        }
        LoanCommand::Show { loan, as_of, format } => {
            Prepared::Show { loan: loan_id(&loan)?, as_of: as_of_or_today(as_of)?, format }
        }
        LoanCommand::List { as_of, format } => Prepared::List { as_of: as_of_or_today(as_of)?, format },
        LoanCommand::Classify { as_of, format } => Prepared::Classify { as_of: date("as-of", &as_of)?, format },
    })
}

async fn execute(app: &App<Database>, prepared: Prepared) -> Result<(), CliError> {
    match prepared {
        Prepared::Create { id, borrower, terms, rules, format } => {
            let schedule = schedule::build(&terms);
            // The person booking it at the command line approves it: the operating-system user, as the audit trail says.
            let approved_by = crate::identity::os_actor().to_string();
            let id = app.create_loan(id, borrower, terms.clone(), &rules, &approved_by).await?;
            match format {
                Format::Json => {
                    print_json(&serde_json::json!({"id": id, "schedule": output::schedule_json(&terms, &schedule)}))
                }
                Format::Table => emit(&format!(
                    "created loan {id} (approved; disburse with `agririsk loan disburse {id}`)\n{}",
                    output::schedule_table(&terms, &schedule)
                )),
            }
        }
        Prepared::Propose { .. } => Err(CliError::Internal(anyhow::anyhow!("a proposal is not a posting"))),
        Prepared::Disburse { loan, date, amount } => {
            emit(&output::posted_text(loan.as_str(), &app.disburse(&loan, date, amount).await?))
        }
        Prepared::Post { loan, event, key, format } => {
            let posted = app.post(&loan, event, key).await?;
            // Event-driven monitoring: a new posting has its borrower evaluated today, once it is stored.
            let monitored = match posted.duplicate {
                true => None,
                false => {
                    app::monitoring::after_posting(app.store(), &loan, SystemClock.today(), SystemClock.now()).await?
                }
            };
            match format {
                Format::Json => {
                    let mut json = output::posted_json(loan.as_str(), &posted);
                    if let Some(m) = &monitored {
                        json["monitoring"] = serde_json::to_value(m).map_err(|e| CliError::Internal(e.into()))?;
                    }
                    print_json(&json)
                }
                Format::Table => {
                    let mut text = output::posted_text(loan.as_str(), &posted);
                    if let Some(m) = monitored.filter(|m| m.households > 0) {
                        text.push_str(&format!(
                            "monitoring: the borrower was evaluated: {} alerts raised, {} already open\n",
                            m.raised, m.existing
                        ));
                    }
                    emit(&text)
                }
            }
        }
        Prepared::Show { loan, as_of, format } => {
            let position = app.position(&loan, as_of).await?;
            match format {
                Format::Json => print_json(&output::loan_json(&position)),
                Format::Table => emit(&output::loan_text(&position)),
            }
        }
        Prepared::List { as_of, format } => {
            let positions = app.portfolio(as_of).await?;
            let summary = app::loans::summarise(&positions, as_of)?;
            match format {
                Format::Json => print_json(&output::portfolio_json(&positions, &summary)),
                Format::Table => emit(&output::portfolio_text(&positions, &summary)),
            }
        }
        Prepared::Classify { as_of, format } => {
            let (positions, summary, recorded) = app.classify(as_of).await?;
            match format {
                Format::Json => print_json(&output::portfolio_json(&positions, &summary)),
                Format::Table => emit(&format!(
                    "{}{recorded} new status changes recorded\n",
                    output::portfolio_text(&positions, &summary)
                )),
            }
        }
    }
}
