//! Command-line arguments. Values stay text here; they become domain types in one place (`TermsArgs::request`
//! and the `parse_*` helpers), so every rejection names its field the same way.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use lending::{ProductKind, TermsRequest};

/// agririsk: risk control for rural microcredit.
#[derive(Debug, Parser)]
#[command(name = "agririsk", version, about, long_about = None)]
pub struct Cli {
    /// Where the embedded database lives (created on first use).
    #[arg(long, global = true, default_value = "./agririsk-data", value_name = "DIR")]
    pub data_dir: PathBuf,
    /// The database: `postgres://USER@HOST:PORT/DB`, `sqlite://PATH` or a data directory. Without it, the SQLite
    /// database in `--data-dir`.
    #[arg(long, global = true, env = "AGRIRISK_DATABASE_URL", value_name = "URL", hide_env_values = true)]
    pub database: Option<String>,
    /// A read-only copy of the database (a PostgreSQL streaming standby) for the commands that only read: profile,
    /// export, features build, village credit, policy simulate. `serve` builds its decider (and so its rosters and
    /// replays) and answers profiles from it.
    #[arg(long, global = true, env = "AGRIRISK_READ_DATABASE_URL", value_name = "URL", hide_env_values = true)]
    pub read_database: Option<String>,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the repayment schedule of a product and terms (nothing is stored).
    Schedule {
        /// Loan terms.
        #[command(flatten)]
        terms: Box<TermsArgs>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Book and service loans.
    Loan {
        /// The loan command.
        #[command(subcommand)]
        command: LoanCommand,
    },
    /// Simulate a rural county (households, crops, prices, weather, disease, loans and repayments) and write its files.
    Simulate {
        /// Scale: tiny, county or province.
        #[arg(long, default_value = "tiny")]
        preset: String,
        /// Random seed; the same config and seed give byte-identical files.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// JSON file overriding any configuration key.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Directory to write into (replaced if it exists).
        #[arg(long, value_name = "DIR", required_unless_present = "report", conflicts_with = "report")]
        out: Option<PathBuf>,
        /// Print the calibration report of the run written in DIR (re-derived from its manifest's config and seed).
        #[arg(long, value_name = "DIR")]
        report: Option<PathBuf>,
        /// File formats to write.
        #[arg(long, value_enum, default_value_t = FileFormat::Both)]
        format: FileFormat,
        /// Worker threads.
        #[arg(long, default_value_t = 2)]
        threads: usize,
        /// No progress bar or summary.
        #[arg(long)]
        quiet: bool,
    },
    /// Train, evaluate, score, report and import credit models.
    Model {
        /// The model command.
        #[command(subcommand)]
        command: ModelCommand,
    },
    /// Load source files into the store: validate every row against its data contract, quarantine bad rows, seal
    /// personal data, record the load.
    Ingest(IngestArgs),
    /// Point-in-time feature tables from the ingested records.
    Features {
        /// The features command.
        #[command(subcommand)]
        command: FeaturesCommand,
    },
    /// Credit policies (JDM decision graphs): static checks, and the versions' lifecycle with maker-checker.
    Policy {
        /// The policy command.
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// The lender's screening register: consents, list hits and fraud cases, which decisions read and applicants
    /// never assert.
    Screening {
        /// The screening command.
        #[command(subcommand)]
        command: ScreeningCommand,
    },
    /// Post-loan monitoring: run the early-warning detectors over the whole book day by day and keep tiered
    /// alerts; score them against the simulator's planted truth.
    Monitor {
        /// The monitor command.
        #[command(subcommand)]
        command: MonitorCommand,
    },
    /// Portfolio risk (PAR, NPL, ECL, provisions, vintages, concentration) and stress tests of the whole book.
    Portfolio {
        /// The portfolio command.
        #[command(subcommand)]
        command: crate::portfolio::PortfolioCommand,
    },
    /// Whole-village credit (整村授信): pre-credit lines for every household of a village and its 信用村 rating.
    Village {
        /// The village command.
        #[command(subcommand)]
        command: VillageCommand,
    },
    /// Serve the HTTP API (decisions, loans, policies; OpenAPI at /openapi.json, docs at /docs).
    Serve(ServeArgs),
    /// Automated credit decisions: train the decision model, decide an application.
    Decide {
        /// The decide command.
        #[command(subcommand)]
        command: DecideCommand,
    },
    /// The tamper-evident audit trail: verify it, export it for an inspector, sign checkpoints of its head.
    Audit {
        /// The audit command.
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Manage the privacy key file that seals personal data.
    Keys {
        /// The key command.
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Show one borrower's 360° profile as of a date: household and members (masked), village, farm, income,
    /// assets and debts, insurance, bureau, rating, loans and repayment behaviour, transactions, group peers and
    /// the current features.
    Profile(ProfileArgs),
    /// Export the loaded sources for model training, personal data and household ids replaced by pseudonyms.
    Export(ExportArgs),
    /// Make the first administrator (only while no user exists); the password comes from a file or the terminal.
    Init(InitArgs),
    /// Users who sign in: add, disable, enable, reset a password, list.
    User {
        /// The user command.
        #[command(subcommand)]
        command: UserCommand,
    },
    /// API keys for other systems: create (the token is shown once), revoke, list.
    Apikey {
        /// The API key command.
        #[command(subcommand)]
        command: ApiKeyCommand,
    },
    /// Retention of borrowers' personal data: who is past it, and erasing one household's.
    Privacy {
        /// The privacy command.
        #[command(subcommand)]
        command: PrivacyCommand,
    },
    /// Dual control: list the proposals waiting for a second person, confirm one (it is carried out as you) or
    /// reject one.
    Approval {
        /// The approval command.
        #[command(subcommand)]
        command: ApprovalCommand,
    },
    /// The database itself: its schema version, migrations, and copying a whole store between engines.
    Db {
        /// The database command.
        #[command(subcommand)]
        command: DbCommand,
    },
    /// Run the demonstration: books loans of every product, posts repayments and classifies the portfolio.
    Demo {
        /// Where to put the demo database (replaced if it holds an earlier demo).
        #[arg(long, default_value = "./agririsk-demo", value_name = "DIR")]
        dir: PathBuf,
        /// Scale of the simulated county the demo starts from: tiny, county or province.
        #[arg(long, default_value = "tiny")]
        preset: String,
    },
}

/// Text encodings of source files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EncodingArg {
    /// UTF-8 (the contract's encoding).
    #[value(name = "utf-8", alias = "utf8")]
    Utf8,
    /// GB18030 (also reads GBK and GB2312).
    #[value(name = "gb18030", alias = "gbk")]
    Gb18030,
}

/// Decision commands.
#[derive(Debug, Subcommand)]
pub enum DecideCommand {
    /// Train the decision scorecard on the ingested data's feature table (features as of a date, label = 90+ days
    /// past due within the horizon) and write its artifact; register and promote it with `agririsk model`.
    Train {
        /// The date the features are as of.
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: String,
        /// Label horizon in months.
        #[arg(long, default_value_t = 12)]
        horizon_months: u32,
        /// Where to write the artifact.
        #[arg(long)]
        out: PathBuf,
    },
    /// Decide one application (a JSON file, as the API takes it) and record the decision; the same request id again
    /// returns the recorded decision.
    Apply {
        /// The application JSON.
        file: PathBuf,
        /// Output format (`json`: the whole decision record with reasons, trace, features and versions).
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

/// Monitoring commands.
#[derive(Debug, Subcommand)]
pub enum MonitorCommand {
    /// Run monitoring over the whole book for one day (`--as-of`) or every day of a period (`--from`, `--to`), in
    /// order, skipping the days already run: raise, re-tier and resolve alerts, each day in one transaction.
    Run {
        /// The day to run.
        #[arg(long, value_name = "YYYY-MM-DD", conflicts_with_all = ["from", "to"])]
        as_of: Option<String>,
        /// The first day of a period to replay.
        #[arg(long, value_name = "YYYY-MM-DD", requires = "to")]
        from: Option<String>,
        /// The last day of the period.
        #[arg(long, value_name = "YYYY-MM-DD", requires = "from")]
        to: Option<String>,
        /// A monitoring configuration (JSON; default: version 1's thresholds).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Print the default monitoring configuration (version 1) as JSON: a starting point for a file `--config` reads.
    Config,
    /// Score monitoring against the simulator's truth files: runs the days of the data's horizon not run yet (or,
    /// with `--dry-run`, replays them in memory without writing an alert), then reports recall before the first day
    /// past due and before 90 DPD, lead time, red precision and false alerts, per tier and per planted scenario.
    Evaluate {
        /// The directory holding `shocks.csv` and `shock_households.csv`.
        #[arg(long, value_name = "DIR")]
        ground_truth: PathBuf,
        /// A monitoring configuration (JSON; default: version 1's thresholds).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Replay in memory and write nothing (to try a configuration).
        #[arg(long)]
        dry_run: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

/// Village commands.
#[derive(Debug, Subcommand)]
pub enum VillageCommand {
    /// Pre-credit every household of a village through the champion policy (a roster of grades, lines, rates and
    /// reasons by household id) and rate the village against the credit-village (信用村) criteria.
    Credit {
        /// The village code.
        #[arg(value_name = "VILLAGE-CODE")]
        village: String,
        /// The date the assessment is as of (default: today).
        #[arg(long, value_name = "YYYY-MM-DD")]
        on: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

/// Screening-register commands.
#[derive(Debug, Subcommand)]
pub enum ScreeningCommand {
    /// Record entries from a CSV file with the header `household_id,kind,effective_on,source,note` (kind: consent,
    /// consent_withdrawn, blacklisted, blacklist_cleared, fraud_case, fraud_case_closed), or that header and
    /// `,data_source,purpose` to scope consents to a data source (bureau_reports, transactions, insurance_claims)
    /// and purpose (credit_assessment, post_loan_monitoring, model_development); all or nothing, an entry recorded
    /// before is skipped, and the operating-system user records them.
    Load {
        /// The CSV file.
        file: PathBuf,
    },
}

/// Policy commands.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Load a JDM policy file and run its static checks (inputs exist, no cycle, no gap or overlap where a table
    /// requires uniqueness); nothing is stored.
    Check {
        /// The JDM file.
        file: PathBuf,
        /// The input schema (default: the shipped `policies/default/inputs.json`).
        #[arg(long, value_name = "FILE")]
        schema: Option<PathBuf>,
    },
    /// Check a policy file and store it as a submitted version awaiting a second person's approval.
    Submit(SubmitArgs),
    /// Move a version: approved (by someone other than its author), shadow or active; a move to retired or out of
    /// active is proposed and made when another person confirms it (`agririsk approval confirm`).
    Move {
        /// The version's id (its content hash).
        id: String,
        /// approved, shadow, active or retired.
        #[arg(long)]
        to: String,
        /// Why (required when the move is a proposal: retired, or out of active).
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Replay the stored applications of a date range through the champion and a candidate file and compare
    /// approval rates, the swap set, expected and realised bad rates and volume; nothing is stored.
    Simulate {
        /// The candidate JDM file (checked statically first).
        #[arg(long, value_name = "FILE")]
        candidate: PathBuf,
        /// First application date replayed.
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: String,
        /// Last application date replayed.
        #[arg(long, value_name = "YYYY-MM-DD")]
        to: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// List the stored versions with their status.
    List {
        /// Only this policy name.
        #[arg(long)]
        name: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

/// Feature commands.
#[derive(Debug, Subcommand)]
pub enum FeaturesCommand {
    /// Write a training table: the features of every borrower with a loan open on the date, computed only from what
    /// was known then, and whether each reached 90+ days past due within the horizon.
    Build {
        /// The date the features are as of.
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: String,
        /// Where to write the CSV.
        #[arg(long, value_name = "FILE.csv")]
        out: PathBuf,
        /// The label horizon after the as-of date, months.
        #[arg(long, default_value_t = 12)]
        horizon_months: u32,
        /// Every household's features, without the population filter and the label (e.g. for scoring).
        #[arg(long)]
        no_label: bool,
        /// Worker threads.
        #[arg(long, default_value_t = 2)]
        threads: usize,
        /// No summary line.
        #[arg(long)]
        quiet: bool,
    },
}

/// Key-file commands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Write a new key file (mode 600) with a random blind-index key and a first encryption key.
    Generate {
        /// Where to write it (refused if it exists).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The first encryption key's id.
        #[arg(long, default_value = "k1")]
        id: String,
    },
    /// Add a new encryption key to a key file and make it current; older tokens stay readable.
    Rotate {
        /// The key file.
        #[arg(long, value_name = "FILE")]
        key_file: PathBuf,
        /// The new key's id.
        #[arg(long)]
        id: String,
    },
}

/// `agririsk audit` subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify the whole chain, the signed checkpoints if a public key is given, and every loan, loan event and
    /// decision the entries vouch for; exit 1 naming the first entry found wrong.
    Verify {
        /// The checkpoints file (default: agririsk-checkpoints.jsonl beside the data directory).
        #[arg(long, value_name = "FILE")]
        checkpoints: Option<PathBuf>,
        /// The public key, as its text or a file holding it.
        #[arg(long, value_name = "KEYTEXT|FILE")]
        public_key: Option<String>,
    },
    /// Write the entries of a span of days, as stored, one JSON line each, for an inspector to re-verify.
    Export {
        /// The first day (China Standard Time).
        #[arg(long, value_name = "DATE")]
        from: String,
        /// The last day, included.
        #[arg(long, value_name = "DATE")]
        to: String,
        /// The file to write (default: standard output).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Sign the chain head with the audit key and append the checkpoint to the checkpoints file (mode 600).
    Checkpoint {
        /// The signing key file (from `audit keygen`).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The checkpoints file (default: agririsk-checkpoints.jsonl beside the data directory).
        #[arg(long, value_name = "FILE")]
        checkpoints: Option<PathBuf>,
    },
    /// Write a new audit signing key (mode 600; refused if the file exists) and print its public key.
    Keygen {
        /// Where to write it.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

/// Model kinds `model train` fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModelKind {
    /// A WoE scorecard.
    Scorecard,
    /// Gradient-boosted trees.
    Gbdt,
}

/// Credit-model commands.
#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Train a model on a CSV with a binary target and write its artifact.
    Train {
        /// Training data (CSV with a header).
        #[arg(long, value_name = "FILE.csv")]
        data: PathBuf,
        /// The binary target column (1 = bad).
        #[arg(long, value_name = "COLUMN")]
        target: String,
        /// Scorecard or gradient-boosted trees.
        #[arg(long, value_enum)]
        kind: ModelKind,
        /// Fold of each row (a header, then one fold per data row) for cross-validated metrics and calibration.
        #[arg(long, value_name = "FILE")]
        folds: Option<PathBuf>,
        /// JSON training configuration (binning, scorecard, trees, calibration, segments, exclusions).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Model name (models of one name compete as champion and challengers).
        #[arg(long)]
        name: Option<String>,
        /// Where to write the artifact.
        #[arg(long, value_name = "MODEL.json")]
        out: PathBuf,
        /// No progress bar or summary.
        #[arg(long)]
        quiet: bool,
    },
    /// Measure a model on labelled data: AUC, KS, Gini, Brier, log-loss, calibration by band.
    Evaluate {
        /// The model artifact.
        #[arg(long, value_name = "MODEL.json")]
        model: PathBuf,
        /// Labelled data.
        #[arg(long, value_name = "FILE.csv")]
        data: PathBuf,
        /// The binary target column.
        #[arg(long, value_name = "COLUMN")]
        target: String,
        /// A protected attribute (e.g. head_gender) to report approval rates and the true-positive-rate gap by.
        #[arg(long, value_name = "COLUMN")]
        protected: Option<String>,
        /// Approve when the PD is at or below this, for the fairness report.
        #[arg(long, value_name = "PD", default_value_t = 0.05)]
        cutoff: f64,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Population and characteristic stability (PSI, CSI) between a reference sample and a recent one.
    Stability {
        /// The model artifact.
        #[arg(long, value_name = "MODEL.json")]
        model: PathBuf,
        /// The reference sample (e.g. the training data).
        #[arg(long, value_name = "FILE.csv")]
        expected: PathBuf,
        /// The recent sample (e.g. this month's applicants).
        #[arg(long, value_name = "FILE.csv")]
        actual: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Score every row of a CSV: id (or row number), PD, score and reasons, in input order.
    Score {
        /// The model artifact.
        #[arg(long, value_name = "MODEL.json")]
        model: PathBuf,
        /// Data to score.
        #[arg(long, value_name = "FILE.csv")]
        data: PathBuf,
        /// Where to write the scores.
        #[arg(long, value_name = "SCORES.csv")]
        out: PathBuf,
    },
    /// Write an HTML report of a model: metrics, ROC and KS charts, score distribution, bins table.
    Report {
        /// The model artifact.
        #[arg(long, value_name = "MODEL.json")]
        model: PathBuf,
        /// Labelled data to evaluate on (the charts need it).
        #[arg(long, value_name = "FILE.csv", requires = "target")]
        data: Option<PathBuf>,
        /// The binary target column of `--data`.
        #[arg(long, value_name = "COLUMN")]
        target: Option<String>,
        /// Where to write the report.
        #[arg(long, value_name = "REPORT.html")]
        out: PathBuf,
    },
    /// Register a model artifact in the store's registry, as a candidate.
    Register {
        /// The model artifact.
        #[arg(long, value_name = "MODEL.json")]
        model: PathBuf,
    },
    /// List registered models with their status.
    List {
        /// Only models of this name.
        #[arg(long)]
        name: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Propose moving a registered model to champion, challenger or retired (one champion per name); the move is
    /// made when another person confirms it (`agririsk approval confirm`).
    Promote {
        /// The model's id (its content hash).
        #[arg(long)]
        id: String,
        /// The new status: champion, challenger or retired.
        #[arg(long)]
        to: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Import a LightGBM text model or an XGBoost JSON model as an artifact scored natively.
    Import {
        /// A LightGBM `model.txt`.
        #[arg(long, value_name = "FILE", group = "source")]
        lightgbm: Option<PathBuf>,
        /// An XGBoost JSON model.
        #[arg(long, value_name = "FILE", group = "source")]
        xgboost: Option<PathBuf>,
        /// Model name (default: the file's stem).
        #[arg(long)]
        name: Option<String>,
        /// Where to write the artifact.
        #[arg(long, value_name = "MODEL.json")]
        out: PathBuf,
    },
}

/// The file formats of a simulated run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FileFormat {
    /// CSV (UTF-8, header row).
    Csv,
    /// JSON Lines.
    Jsonl,
    /// Both.
    Both,
}

impl From<FileFormat> for app::simulation::OutputFormat {
    fn from(format: FileFormat) -> Self {
        match format {
            FileFormat::Csv => app::simulation::OutputFormat::Csv,
            FileFormat::Jsonl => app::simulation::OutputFormat::Jsonl,
            FileFormat::Both => app::simulation::OutputFormat::Both,
        }
    }
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned text for a terminal.
    Table,
    /// Stable JSON, documented in docs/cli.md.
    Json,
}

/// Loan commands.
#[derive(Debug, Subcommand)]
pub enum LoanCommand {
    /// Book an approved loan.
    Create {
        /// The borrower's id.
        #[arg(long)]
        borrower: String,
        /// The loan id (default: the next free L000001-style id).
        #[arg(long)]
        id: Option<String>,
        /// Loan terms.
        #[command(flatten)]
        terms: Box<TermsArgs>,
        /// Classification rule set: cbirc-2023 (default) or cbrc-2007.
        #[arg(long, default_value = "cbirc-2023")]
        rules: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Pay out a loan (a draw, for revolving lines).
    Disburse {
        /// Loan id.
        loan: String,
        /// Value date (default: the loan's start date).
        #[arg(long)]
        date: Option<String>,
        /// Amount (default: the principal; required for revolving draws).
        #[arg(long, allow_hyphen_values = true)]
        amount: Option<String>,
    },
    /// Post a repayment.
    Repay {
        /// Loan id.
        loan: String,
        /// Amount received, in yuan.
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
        /// Value date.
        #[arg(long)]
        date: String,
        /// Idempotency key (default: R<date>-<fen>, so a retried identical posting is applied once).
        #[arg(long)]
        id: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Reverse a repayment (bounced, posted in error).
    Reverse {
        /// Loan id.
        loan: String,
        /// The repayment's id.
        #[arg(long)]
        repayment: String,
        /// Value date of the reversal.
        #[arg(long)]
        date: String,
        /// Why.
        #[arg(long)]
        reason: String,
        /// Idempotency key (default: REV-<repayment>).
        #[arg(long)]
        id: Option<String>,
    },
    /// Show a loan: terms, standing, installments, repayments and history.
    Show {
        /// Loan id.
        loan: String,
        /// The date to show the loan as of (default: today).
        #[arg(long)]
        as_of: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// List loans with their standing.
    List {
        /// The date (default: today).
        #[arg(long)]
        as_of: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Restructure a loan: new terms for the outstanding balance.
    Restructure {
        /// Loan id.
        loan: String,
        /// Effective date.
        #[arg(long)]
        date: String,
        /// New product: one a loan can be restructured into.
        #[arg(long, help = format!("New product: {}", codes(ProductKind::restructures_into)))]
        product: String,
        /// New term in months.
        #[arg(long)]
        term_months: Option<i64>,
        /// Harvest month, for a harvest loan.
        #[arg(long, help = format!("Harvest month, for {}", ProductKind::HarvestBullet))]
        harvest_month: Option<i64>,
        /// New annual rate (default: unchanged).
        #[arg(long)]
        annual_rate: Option<String>,
        /// Add overdue interest, accrued interest and penalty to the new principal.
        #[arg(long)]
        capitalise_arrears: bool,
    },
    /// Defer not-yet-due installments after a declared disaster.
    Defer {
        /// Loan id.
        loan: String,
        /// Effective date.
        #[arg(long)]
        date: String,
        /// Months to defer (1–12).
        #[arg(long)]
        months: i64,
        /// Interest for the extra time: waived or charged.
        #[arg(long)]
        interest: String,
        /// The disaster or decision.
        #[arg(long)]
        reason: String,
    },
    /// Propose classifying a loan worse than its DPD floor (a manual override); it is recorded when another person
    /// confirms it.
    Reclassify {
        /// Loan id.
        loan: String,
        /// Effective date.
        #[arg(long)]
        date: String,
        /// Class: normal, special-mention, substandard, doubtful, loss (or 正常 关注 次级 可疑 损失).
        #[arg(long)]
        class: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Propose writing off an overdue loan; it is written off when another person confirms it.
    WriteOff {
        /// Loan id.
        loan: String,
        /// Effective date.
        #[arg(long)]
        date: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// DPD, bucket, five-category class and IFRS 9 stage of every loan as of a date; records the changes.
    Classify {
        /// The date.
        #[arg(long)]
        as_of: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

/// Loan terms as given on the command line.
#[derive(Debug, Clone, Args)]
pub struct TermsArgs {
    /// The product's code.
    #[arg(long, help = codes(|_| true))]
    pub product: String,
    /// Principal in yuan (the limit, for revolving lines).
    #[arg(long, allow_hyphen_values = true)]
    pub principal: String,
    /// Annual rate: 0.0435 or 4.35%.
    #[arg(long, allow_hyphen_values = true)]
    pub annual_rate: String,
    /// Start (value) date, YYYY-MM-DD.
    #[arg(long)]
    pub start: String,
    /// Term in months (line validity, for a revolving line).
    #[arg(long, allow_hyphen_values = true, help = format!("Term in months (line validity, for {})", ProductKind::Revolving))]
    pub term_months: Option<i64>,
    /// Month harvest ends (1–12), for a harvest loan.
    #[arg(long, allow_hyphen_values = true, help = format!("Month harvest ends (1–12), for {}", ProductKind::HarvestBullet))]
    pub harvest_month: Option<i64>,
    /// Crop, to take the harvest month from the crop calendar (with --region).
    #[arg(long)]
    pub crop: Option<String>,
    /// Region for --crop.
    #[arg(long)]
    pub region: Option<String>,
    /// Days after the harvest month when principal falls due (default 30).
    #[arg(long, allow_hyphen_values = true)]
    pub days_after_harvest: Option<i64>,
    /// Months at the start with nothing due.
    #[arg(long, allow_hyphen_values = true)]
    pub grace_months: Option<i64>,
    /// Days from the start on which no interest accrues.
    #[arg(long, allow_hyphen_values = true)]
    pub interest_free_days: Option<i64>,
    /// Interest frequency: monthly or quarterly.
    #[arg(long)]
    pub interest_every: Option<String>,
    /// Sale-batch months for a livestock loan, e.g. 6,12.
    #[arg(
        long,
        value_delimiter = ',',
        allow_hyphen_values = true,
        help = format!("Sale-batch months for {}, e.g. 6,12", ProductKind::LivestockBatch)
    )]
    pub batch_months: Option<Vec<i64>>,
    /// Longest draw, in months, for revolving lines.
    #[arg(long, allow_hyphen_values = true)]
    pub draw_term_months: Option<i64>,
    /// Accept an annual rate above 0.36.
    #[arg(long)]
    pub allow_high_rate: bool,
    /// Day count for daily interest: act360 (default) or act365.
    #[arg(long)]
    pub day_count: Option<String>,
    /// Rounding of interest: half-even (default), half-up, down or up.
    #[arg(long)]
    pub rounding: Option<String>,
    /// Repayment order, e.g. penalty,overdue-interest,overdue-principal,current-interest,current-principal.
    #[arg(long, value_delimiter = ',')]
    pub waterfall: Option<Vec<String>>,
    /// Penalty rate as a multiple of the contract rate, 1–2 (default 1.5).
    #[arg(long, allow_hyphen_values = true)]
    pub penalty_multiplier: Option<String>,
}

impl TermsArgs {
    /// The unvalidated request the lending crate checks.
    pub fn request(&self) -> TermsRequest {
        TermsRequest {
            product: Some(self.product.clone()),
            principal: Some(self.principal.clone()),
            annual_rate: Some(self.annual_rate.clone()),
            start: Some(self.start.clone()),
            term_months: self.term_months,
            harvest_month: self.harvest_month,
            crop: self.crop.clone(),
            region: self.region.clone(),
            days_after_harvest: self.days_after_harvest,
            grace_months: self.grace_months,
            interest_free_days: self.interest_free_days,
            interest_every: self.interest_every.clone(),
            batch_months: self.batch_months.clone(),
            draw_term_months: self.draw_term_months,
            allow_high_rate: self.allow_high_rate,
            day_count: self.day_count.clone(),
            rounding: self.rounding.clone(),
            waterfall: self.waterfall.clone(),
            penalty_multiplier: self.penalty_multiplier.clone(),
        }
    }
}

/// What an acknowledged decision survives (`serve --decision-durability`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DecisionDurability {
    /// A killed process, an operating-system crash and a power cut.
    PowerLoss,
    /// A killed or crashed process.
    ProcessCrash,
}

/// The arguments of `agririsk ingest`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// The source (contract name) the files belong to, e.g. households; omit with --all.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub source: Option<String>,
    /// The files to load, in order.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub files: Vec<PathBuf>,
    /// Load every file of a directory (such as the simulator's output) in its manifest's dependency order.
    #[arg(long, value_name = "DIR")]
    pub all: Option<PathBuf>,
    /// The files' text encoding; detected when not given.
    #[arg(long, value_enum)]
    pub encoding: Option<EncodingArg>,
    /// The date corrections in these files are in force from (default: today).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<String>,
    /// The privacy key file (else the key text in the AGRIRISK_KEYS environment variable).
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// Output format of the load summary.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// The arguments of `agririsk profile`.
#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// A household id (H0000001), an 18-character national ID, a phone number, or a 64-hex blind index.
    #[arg(value_name = "ID-OR-HASH")]
    pub id: String,
    /// The date the profile is as of: only what was known then is shown (default: today).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// The privacy key file (else the key text in the AGRIRISK_KEYS environment variable).
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
}

/// The arguments of `agririsk export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Required: only pseudonymised exports are offered.
    #[arg(long)]
    pub pseudonymised: bool,
    /// The directory to create (refused if it exists and is not empty).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The pseudonym scope: exports of one scope join with each other, of two scopes do not.
    #[arg(long, value_name = "NAME", default_value = "training")]
    pub scope: String,
    /// Export the record versions in force on this date (default: the current versions).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<String>,
    /// The privacy key file (else the key text in the AGRIRISK_KEYS environment variable).
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
}

/// The arguments of `agririsk policy submit`.
#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// The JDM file.
    pub file: PathBuf,
    /// The policy's name (its versions replace one another).
    #[arg(long)]
    pub name: String,
    /// The version label.
    #[arg(long)]
    pub version: String,
    /// County-code prefix it serves (default: every region).
    #[arg(long, default_value = "")]
    pub region: String,
    /// Segment it serves (default: every segment).
    #[arg(long, default_value = "")]
    pub segment: String,
    /// The date it takes effect.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub effective_from: String,
    /// The input schema (default: the shipped one).
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
}

/// The arguments of `agririsk serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// A policy version id deciding a share of applicants beside the active policy.
    #[arg(long, value_name = "POLICY_ID", requires = "challenger_share")]
    pub challenger: Option<String>,
    /// The challenger's share of applicants, percent (0–100).
    #[arg(long, value_name = "PERCENT", requires = "challenger")]
    pub challenger_share: Option<u32>,
    /// Salt of the champion/challenger split (a new salt reshuffles applicants).
    #[arg(long, default_value = "")]
    pub salt: String,
    /// Also stop, gracefully, when standard input closes (for a supervisor or a test harness that owns the
    /// process).
    #[arg(long)]
    pub stop_on_eof: bool,
    /// What an acknowledged decision survives: power-loss syncs the log at every commit (SQLite WAL,
    /// synchronous = FULL); process-crash leaves the sync to each checkpoint (synchronous = NORMAL: a killed
    /// process loses nothing, a power cut can lose the last moments' decisions) and answers sooner. Loans,
    /// repayments and disbursements are synced at every commit either way.
    #[arg(long, value_enum, default_value = "power-loss")]
    pub decision_durability: DecisionDurability,
    /// Serve as if today were this date (YYYY-MM-DD), e.g. over a simulated county's data; the default is the
    /// calendar day in China Standard Time. Money-moving dates are checked against a window around it.
    #[arg(long, value_name = "DATE")]
    pub today: Option<String>,
    /// How many days before today a repayment or disbursement date may lie.
    #[arg(long, value_name = "DAYS", default_value_t = 730)]
    pub max_backdate_days: u32,
    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve plain HTTP on an address other machines reach (without TLS the server listens on loopback only).
    #[arg(long)]
    pub insecure_remote_http: bool,
    /// Requests a second per API key or signed-in user (bursts of twice that); 0 turns the limit off.
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub rate_limit: u32,
    /// Requests a second per client address without valid credentials; 0 turns the limit off.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub address_rate_limit: u32,
    /// Sign a checkpoint of the audit trail's head with this key (from `audit keygen`) every
    /// --checkpoint-every seconds, and once at start.
    #[arg(long, value_name = "FILE")]
    pub audit_key: Option<PathBuf>,
    /// Where the signed checkpoints go (default: agririsk-checkpoints.jsonl beside the data directory).
    #[arg(long, value_name = "FILE", requires = "audit_key")]
    pub checkpoints: Option<PathBuf>,
    /// The privacy key file that opens borrowers' sealed personal data for `GET /v1/households/{id}/profile`
    /// (without it that route answers 503).
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// Seconds between signed checkpoints (a new one only when the trail has grown).
    #[arg(long, value_name = "SECONDS", default_value_t = 300, requires = "audit_key")]
    pub checkpoint_every: u64,
}

/// The codes of the products that pass `keep`, as "a, b or c": help texts name products through `lending`.
fn codes(keep: fn(ProductKind) -> bool) -> String {
    let codes: Vec<&str> = ProductKind::ALL.into_iter().filter(|p| keep(*p)).map(ProductKind::code).collect();
    match codes.split_last() {
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// `agririsk init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The administrator's username.
    #[arg(long, value_name = "NAME")]
    pub admin: String,
    /// The name shown (default: the username).
    #[arg(long, value_name = "TEXT")]
    pub display_name: Option<String>,
    /// Read the password from this file (its first line) instead of the terminal.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
}

/// User commands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user with a role and branches; the password comes from a file or the terminal.
    Add {
        /// The username (3 to 32 of a-z, 0-9, '.', '_', '-').
        name: String,
        /// loan_officer, branch_manager, risk_manager, model_builder, auditor or admin.
        #[arg(long)]
        role: String,
        /// Branch codes separated by commas, or `*` for every branch.
        #[arg(long, value_name = "CODES")]
        branches: String,
        /// The name shown (default: the username).
        #[arg(long, value_name = "TEXT")]
        display_name: Option<String>,
        /// Read the password from this file (its first line) instead of the terminal.
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
    /// Disable a user (they can no longer sign in; their sessions end).
    Disable {
        /// The username.
        name: String,
    },
    /// Enable a disabled user again.
    Enable {
        /// The username.
        name: String,
    },
    /// Set a new password (their sessions end).
    Reset {
        /// The username.
        name: String,
        /// Read the password from this file (its first line) instead of the terminal.
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
    /// List users (never their password hashes).
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

/// API key commands.
#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key and print its token once; only its digest is kept.
    Create {
        /// What the key is for.
        #[arg(long)]
        name: String,
        /// Its role (`system` for another system, which must list --only).
        #[arg(long)]
        role: String,
        /// The permissions it is narrowed to, separated by commas.
        #[arg(long, value_name = "PERM,PERM")]
        only: Option<String>,
        /// Branch codes separated by commas, or `*` for every branch.
        #[arg(long, value_name = "CODES")]
        branches: String,
        /// Days until it expires (1 to 400).
        #[arg(long, value_name = "N")]
        expires_in_days: String,
    },
    /// Revoke a key by id.
    Revoke {
        /// The key's id (12 hex digits).
        id: String,
    },
    /// List keys (never their secrets).
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

/// Retention and erasure of personal data.
#[derive(Debug, Subcommand)]
pub enum PrivacyCommand {
    /// Households past retention on a date (personal data still stored, no rule holding it) and how many
    /// households each rule still holds.
    Retention {
        /// The date retention is judged on (YYYY-MM-DD; default: today).
        #[arg(long)]
        as_of: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Erase one household's personal data (members' names, ID numbers and phones, account numbers), keeping
    /// everything keyed by its pseudonymous id; refused while a retention rule holds it.
    Erase {
        /// The household id (H0000001).
        household: String,
        /// Why (e.g. the borrower's request under PIPL art. 47); recorded with the erasure and in the audit trail.
        #[arg(long)]
        reason: String,
        /// The date retention is judged on (YYYY-MM-DD; default: today).
        #[arg(long)]
        as_of: Option<String>,
        /// Erase although a rule holds the data, for this stated reason (recorded).
        #[arg(long, value_name = "REASON")]
        override_hold: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

/// Database commands. They act on `--database` (or `AGRIRISK_DATABASE_URL`, or the data directory's SQLite file).
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Apply the migrations this binary has and the database lacks (each in one transaction), then show the status.
    Migrate,
    /// Show the engine, the migrations applied and those pending, without changing anything.
    Status {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Copy a whole store into an empty database (e.g. SQLite to PostgreSQL, or back), then verify both: row
    /// counts and a content hash per table, ledger sums per loan, the audit chain on each side. Run it again after
    /// an interruption to resume. Exit 1 if a check fails; 2 if the copy is refused (nothing is written).
    Copy {
        /// The store to copy from (a data directory, sqlite://PATH or postgres://…); only read.
        #[arg(long, value_name = "URL")]
        from: String,
        /// The empty database to copy into (or one holding an unfinished copy of the same source).
        #[arg(long, value_name = "URL")]
        to: String,
        /// Only verify that the target holds what the source holds; write nothing.
        #[arg(long)]
        verify_only: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

/// Dual-control commands: a proposal is decided by another person than its proposer.
#[derive(Debug, Subcommand)]
pub enum ApprovalCommand {
    /// List the proposals waiting for a decision (with --all, the decided ones too), oldest first.
    List {
        /// Also the confirmed and rejected ones.
        #[arg(long)]
        all: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Confirm a proposal: what it proposes is done now, as you.
    Confirm {
        /// The proposal's id (`P000001`).
        id: String,
    },
    /// Reject a proposal: nothing is done, and it is closed.
    Reject {
        /// The proposal's id (`P000001`).
        id: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
}
