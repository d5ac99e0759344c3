//! `agririsk demo`: a small county branch's year, end to end, on the embedded store.
//!
//! It books loans of every product (harvest-aligned ones included), posts a year of repayments — some on time,
//! some late, some missed, one bounced and reversed — restructures one loan after hail, defers one after a flood,
//! downgrades one by hand after a drought, and classifies the portfolio as of 2026-12-31. Every step goes through
//! the same [`App`] operations as the `loan` commands. Before that it simulates a county and trains a scorecard and
//! gradient-boosted trees on its loans. Later issues extend this command (decisions, monitoring, the console).

use std::path::Path;

use domain::{BorrowerId, CropCalendar, Date, LoanId, Money, RepaymentId};
use lending::{
    DatedEvent, DeferralInterest, FiveCategory, LoanEvent, LoanTerms, ProductKind, RestructureTerms, TermsRequest,
    schedule,
};
use store::SqliteStore;

use crate::error::CliError;
use crate::{emit, output};
use app::loans::Loans as App;

/// Marks a directory as made by the demo, so a rerun may replace it and nothing else is ever deleted.
const MARKER: &str = ".agririsk-demo";
/// The demo's reporting date.
const AS_OF: &str = "2026-12-31";

fn d(text: &str) -> Result<Date, CliError> {
    domain::parse_date(text).map_err(|e| CliError::Internal(e.into()))
}

fn internal(e: impl std::fmt::Display) -> CliError {
    CliError::Internal(anyhow::anyhow!("demo data is inconsistent: {e}"))
}

/// The demo's data directory: `data` inside its directory, so the key file (`keys`, beside it) is kept apart from
/// the database and a copy of the data directory carries no key.
pub(crate) fn data_dir(dir: &Path) -> std::path::PathBuf {
    dir.join("data")
}

/// Prepares the demo directory: a new one, or one an earlier demo made.
fn fresh_dir(dir: &Path) -> Result<(), CliError> {
    if dir.exists() {
        let is_demo = dir.join(MARKER).exists();
        let empty = std::fs::read_dir(dir).map(|mut entries| entries.next().is_none()).unwrap_or(false);
        if !is_demo && !empty {
            return Err(CliError::input(
                "dir",
                format!("{} exists and was not made by the demo; choose another --dir", dir.display()),
            ));
        }
        std::fs::remove_dir_all(dir).map_err(|e| CliError::Internal(e.into()))?;
    }
    // Its database and key file are the user's alone, as a data directory the store makes.
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| CliError::Internal(e.into()))?;
    std::fs::write(dir.join(MARKER), "made by `agririsk demo`; safe to delete\n")
        .map_err(|e| CliError::Internal(e.into()))
}

struct Demo {
    app: App<SqliteStore>,
    calendar: CropCalendar,
    log: Vec<String>,
}

struct Spec<'a> {
    borrower: &'a str,
    product: ProductKind,
    principal: &'a str,
    rate: &'a str,
    start: &'a str,
    term: Option<i64>,
    edit: fn(&mut TermsRequest),
}

impl Demo {
    async fn book(&mut self, spec: Spec<'_>) -> Result<(LoanId, LoanTerms), CliError> {
        let mut request = TermsRequest {
            product: Some(spec.product.code().into()),
            principal: Some(spec.principal.into()),
            annual_rate: Some(spec.rate.into()),
            start: Some(spec.start.into()),
            term_months: spec.term,
            ..TermsRequest::default()
        };
        (spec.edit)(&mut request);
        let terms = LoanTerms::new(&request, &self.calendar)?;
        let borrower = BorrowerId::parse(spec.borrower).map_err(internal)?;
        let id = self.app.create_loan(None, borrower, terms.clone(), "cbirc-2023", "branch-officer").await?;
        if terms.product() != ProductKind::Revolving {
            self.event(&id, spec.start, LoanEvent::Disbursed { amount: terms.principal() }).await?;
        }
        Ok((id, terms))
    }

    async fn event(&mut self, id: &LoanId, date: &str, event: LoanEvent) -> Result<(), CliError> {
        let key = match &event {
            LoanEvent::Repaid { id, .. } | LoanEvent::Reversed { id, .. } => Some(id.as_str().to_string()),
            _ => None,
        };
        self.app.post(id, DatedEvent { date: d(date)?, event }, key).await?;
        Ok(())
    }

    /// Pays everything due on or before `date`, `late_days` after each installment's due date.
    async fn pay_installments(&mut self, id: &LoanId, from: &str, to: &str, late_days: i64) -> Result<usize, CliError> {
        let (from, to) = (d(from)?, d(to)?);
        let position = self.app.position(id, to).await?;
        let dues: Vec<Date> = position
            .state
            .installments
            .iter()
            .filter(|i| !i.superseded && i.due_date >= from && i.due_date <= to)
            .map(|i| i.due_date)
            .collect();
        let mut paid = 0;
        for due in dues {
            let day = due + chrono::Duration::days(late_days);
            let state = self.app.position(id, day).await?.state;
            let owed: Money = state
                .installments
                .iter()
                .filter(|i| !i.superseded && i.due_date <= day)
                .map(|i| i.principal_unpaid() + i.interest_unpaid())
                .sum::<Money>()
                + state.penalty_due;
            if owed.is_positive() {
                let rid = RepaymentId::parse(&format!("{id}-{}", day.format("%Y%m%d"))).map_err(internal)?;
                self.app
                    .post(
                        id,
                        DatedEvent { date: day, event: LoanEvent::Repaid { id: rid.clone(), amount: owed } },
                        Some(rid.to_string()),
                    )
                    .await?;
                paid += 1;
            }
        }
        Ok(paid)
    }

    fn say(&mut self, line: String) {
        self.log.push(line);
    }
}

/// Simulates the county the demo starts from and shows what it produced.
fn simulated_county(dir: &Path, preset: &str) -> Result<(), CliError> {
    let config = app::simulation::load_config(preset, None)?;
    emit(&format!(
        "1. A simulated county ({preset} preset: {} villages, {} households, {} months, seed 1)\n",
        config.villages, config.households, config.months
    ))?;
    let out = dir.join("county");
    crate::simulate::run(config, 1, &out, app::simulation::OutputFormat::Both, 2, false)?;
    emit(&app::simulation::report_of(&out)?)?;
    let sample = |file: &str, rows: usize| -> Result<String, CliError> {
        let text = std::fs::read_to_string(out.join(file)).map_err(|e| CliError::Internal(e.into()))?;
        Ok(text.lines().take(rows + 1).map(|l| format!("    {l}\n")).collect())
    };
    emit(&format!(
        "A few loan applications, with the purpose in the applicant's words:\n{}News items with their known sentiment:\n{}\n",
        sample("applications.csv", 3)?,
        sample("news.csv", 3)?
    ))?;
    credit_models(dir, preset)?;
    Ok(())
}

/// The date the demo's borrower profile and feature table are as of: late enough for a year of history, early
/// enough that the 12-month default label is known.
const FEATURES_AS_OF: &str = "2025-09-30";

/// The branch's signed consent forms: per household, the consent to the credit check and a consent to each data
/// source for credit assessment (`privacy::consent`), in the screening register, which decisions read as of their
/// application date (an application never claims its own consent).
async fn consents_on_file(store: &SqliteStore, households: &Path) -> Result<(), CliError> {
    let mut reader = csv::Reader::from_path(households).map_err(|e| CliError::Internal(e.into()))?;
    let mut entries = Vec::new();
    let scopes = std::iter::once(None).chain(privacy::consent::DataSource::ALL.into_iter().map(|data_source| {
        Some(store::ConsentScope { data_source, purpose: privacy::consent::Purpose::CreditAssessment })
    }));
    let scopes: Vec<Option<store::ConsentScope>> = scopes.collect();
    for row in reader.records() {
        let row = row.map_err(|e| CliError::Internal(e.into()))?;
        for scope in &scopes {
            entries.push(app::screening::NewEntry {
                household_id: row.get(0).unwrap_or_default().to_owned(),
                kind: store::ScreeningKind::Consent,
                effective_on: d("2020-01-01")?,
                source: "branch-forms".to_owned(),
                note: "signed at the branch".to_owned(),
                scope: *scope,
            });
        }
    }
    let mut new = 0;
    for chunk in entries.chunks(app::screening::MAX_ENTRIES) {
        new += app::screening::record(store, &crate::SystemClock, "branch.clerk", chunk.to_vec()).await?;
    }
    emit(&format!(
        "{new} signed consents (to the credit check and to each data source) recorded in the screening register \
         (decisions read them; applicants never claim them)\n\n"
    ))
}

/// Ingests the simulated county into the demo database with personal data sealed, then shows a borrower's 360°
/// profile and the point-in-time feature table.
async fn data_integration(dir: &Path) -> Result<(), CliError> {
    emit("3. Data integration: the county's files into the database, personal data sealed\n\n")?;
    let keys = dir.join("keys");
    crate::ingest::keys_generate(&keys, "k1")?;
    let cipher = privacy::FieldCipher::new(crate::ingest::keyring(Some(&keys))?, privacy::BatchedOsNonces::new());
    let options = integrate::LoadOptions {
        encoding: None,
        as_of: d(AS_OF)?,
        loaded_at: domain::Clock::now_rfc3339(&crate::SystemClock),
        quarantine_dir: dir.join("quarantine"),
    };
    let store = SqliteStore::open(&data_dir(dir)).await?;
    let started = std::time::Instant::now();
    let loaded =
        integrate::load_directory(&store, &cipher, &dir.join("county"), &options, &mut integrate::Silent).await;
    let report = match loaded {
        Ok(report) => report,
        Err(e) => {
            store.close().await;
            return Err(e.into());
        }
    };
    emit(&crate::ingest::report_table(&report, started.elapsed().as_secs_f64()))?;
    let consents = consents_on_file(&store, &dir.join("county").join("households.csv")).await;
    if let Err(e) = consents {
        store.close().await;
        return Err(e);
    }

    // The feature table as of a date, with the 12-month default label.
    let as_of = d(FEATURES_AS_OF)?;
    let table = integrate::feature_table::build_training(&store, as_of, 12, 2).await;
    let table = match table {
        Ok(table) => table,
        Err(e) => {
            store.close().await;
            return Err(e.into());
        }
    };
    let mut csv = Vec::new();
    table.write_csv(&mut csv).map_err(|e| CliError::Internal(e.into()))?;
    let features_file = dir.join("features.csv");
    app::files::write_atomically(&features_file, &String::from_utf8_lossy(&csv), "features")?;
    let text = String::from_utf8_lossy(&csv).into_owned();
    let shown = ["household_id", "dpd_max_12m", "on_time_ratio_12m", "debt_service_ratio", "village_default_rate_12m"];
    let header: Vec<&str> = text.lines().next().unwrap_or_default().split(',').collect();
    let columns: Vec<usize> = shown
        .iter()
        .filter_map(|name| header.iter().position(|h| h == name))
        .chain(header.len().checked_sub(1))
        .collect();
    let mut sample =
        crate::table::Table::new(&columns.iter().map(|&i| (header[i], crate::table::Align::Right)).collect::<Vec<_>>());
    for line in text.lines().skip(1).take(5) {
        let cells: Vec<&str> = line.split(',').collect();
        sample.row(columns.iter().map(|&i| cells.get(i).copied().unwrap_or_default().to_string()).collect());
    }
    let defaults = table.labels.iter().filter(|l| **l).count();
    emit(&format!(
        "\nFeatures as of {as_of}, from only what was known that day ({} features of {} borrowers with a loan open, \
         {defaults} of whom reached 90+ DPD within 12 months; all in {}):\n{}",
        features::CATALOGUE.len(),
        table.labels.len(),
        features_file.display(),
        sample.render()
    ))?;

    // The profile of a borrower who was late at least once in the year before the date.
    let late = header.iter().position(|h| *h == "dpd_max_12m");
    let someone = text.lines().skip(1).find(|line| {
        let cells: Vec<&str> = line.split(',').collect();
        late.and_then(|i| cells.get(i)).and_then(|v| v.parse::<f64>().ok()).is_some_and(|v| v > 0.0)
    });
    let id = someone.or_else(|| text.lines().nth(1)).and_then(|l| l.split(',').next()).map(str::to_string);
    let shown_profile = match id {
        Some(id) => {
            let query = integrate::profile::Query::parse(&id);
            match query {
                Ok(query) => integrate::profile::profile(&store, &cipher, &query, as_of).await.map(Some),
                Err(e) => Err(e),
            }
        }
        None => Ok(None),
    };
    store.close().await;
    if let Some(p) = shown_profile? {
        emit(&format!(
            "\nA borrower's 360° profile as of {as_of} (names, ID numbers and phones are sealed in the database and \
             masked here):\n{}",
            crate::profile::profile_text(&p)
        ))?;
    }
    emit(&format!(
        "\nTry: agririsk --data-dir {} profile <household id, national ID or phone> --key-file {}\n\n",
        data_dir(dir).display(),
        keys.display()
    ))
}

/// Trains a scorecard and gradient-boosted trees on the simulated county's matured loans, shows what they learned
/// and how they explain a decision, and writes their artifacts, scores and reports.
fn credit_models(dir: &Path, preset: &str) -> Result<(), CliError> {
    use scoring::pipeline::{Kind, TrainConfig, TrainData, train};
    // The tiny county's two years leave about 130 matured loans with a handful of defaults: too few to learn
    // from, so the models learn on the county preset whatever the demo's scale.
    let model_preset = if preset == "tiny" { "county" } else { preset };
    let config = app::simulation::load_config(model_preset, None)?;
    emit(&format!(
        "2. Credit models on the simulated loans ({model_preset} preset, seed 1; what a lender sees at application, \
         and whether the loan reached 90 days past due)\n"
    ))?;
    let sim = simulate::run(&config, 1, 2, &|_, _| {});
    let table = simulate::features::loan_table(&sim, false);
    let models = dir.join("models");
    std::fs::create_dir_all(&models).map_err(internal)?;
    let data_path = models.join("loans.csv");
    let csv = table.to_csv();
    std::fs::write(&data_path, &csv).map_err(internal)?;
    let mut frame = scoring::data::read_csv_bytes(csv.as_bytes(), &data_path).map_err(internal)?;
    let target = frame.take_target("bad").map_err(internal)?;
    let bads = target.iter().filter(|&&y| y == 1).count();
    emit(&format!(
        "   {} loans with a known outcome, {bads} of them bad ({:.1}%); written to {}\n",
        frame.rows(),
        bads as f64 * 100.0 / frame.rows().max(1) as f64,
        data_path.display()
    ))?;
    let folds: Vec<u8> = (0..frame.rows()).map(|i| (i % 5) as u8).collect();
    // Protected attributes never enter a model; they stay in the file for the fairness check.
    let exclude: Vec<String> =
        simulate::features::NOT_FEATURES.iter().filter(|c| **c != "bad").map(|c| c.to_string()).collect();
    let fingerprint = scoring::artifact::fingerprint(csv.as_bytes());
    let data = TrainData {
        frame: &frame,
        target: &target,
        target_name: "bad",
        source: "loans.csv",
        fingerprint: &fingerprint,
        folds: Some(&folds),
    };
    let created = domain::Clock::now_rfc3339(&crate::SystemClock);
    let mut artifacts = Vec::new();
    for (kind, file) in [(Kind::Scorecard, "scorecard.json"), (Kind::Gbdt, "gbdt.json")] {
        let mut config = TrainConfig { name: "demo-county".into(), exclude: exclude.clone(), ..TrainConfig::default() };
        config.scorecard.labels = simulate::features::LABELS
            .iter()
            .map(|(name, zh, en)| {
                ((*name).into(), scoring::scorecard::ReasonLabel { zh: (*zh).into(), en: (*en).into() })
            })
            .collect();
        let artifact = train(data, kind, &config, &created, &mut |_| {}).map_err(internal)?;
        let path = models.join(file);
        app::files::write_atomically(&path, &artifact.to_json(), "out")?;
        emit(&crate::model::summary(&artifact, &path))?;
        let pd = artifact.predict_pd(&frame).map_err(internal)?;
        let html =
            app::models::report_html(&artifact, Some(("loans.csv (training, in-sample)".into(), pd, target.clone())));
        let report = path.with_extension("html");
        app::files::write_atomically(&report, &html, "out")?;
        emit(&format!("  report {}\n", report.display()))?;
        artifacts.push(artifact);
    }
    if let scoring::artifact::Model::Scorecard { card } = &artifacts[0].model {
        let mut by_iv: Vec<_> =
            card.report().iter().filter(|r| r.status == scoring::scorecard::FeatureStatus::Selected).collect();
        by_iv.sort_by(|a, b| b.iv.total_cmp(&a.iv));
        let names: Vec<String> = by_iv.iter().take(6).map(|r| format!("{} (IV {:.2})", r.feature, r.iv)).collect();
        emit(&format!("   the scorecard's strongest features: {}\n", names.join(", ")))?;
    }
    // The riskiest applicant by the scorecard, and why, in words a farmer can read — from both models.
    let scored = artifacts[0].score(&frame).map_err(internal)?;
    if let Some((row, s)) = scored.iter().enumerate().max_by(|a, b| a.1.pd.total_cmp(&b.1.pd)) {
        let trees = artifacts[1].score(&frame.take(&[row])).map_err(internal)?;
        for (model, s) in [("scorecard", s), ("trees", &trees[0])] {
            let reasons: Vec<String> = s.reasons.iter().map(|r| format!("{} / {}", r.zh, r.en)).collect();
            emit(&format!(
                "   riskiest applicant (row {}), {model}: PD {:.1}%, score {}\n     {}\n",
                row + 1,
                s.pd * 100.0,
                s.score,
                reasons.join("\n     ")
            ))?;
        }
    }
    let fairness = fairness_line(&table, &scored)?;
    emit(&format!("   {fairness}\n\n"))
}

/// Approval rates by the head's gender at the scorecard's median PD: the four-fifths rule.
fn fairness_line(
    table: &simulate::features::ModelTable,
    scored: &[scoring::artifact::Scored],
) -> Result<String, CliError> {
    let column =
        table.header.iter().position(|h| h == "head_gender").ok_or_else(|| internal("no head_gender column"))?;
    let mut pds: Vec<f64> = scored.iter().map(|s| s.pd).collect();
    pds.sort_by(f64::total_cmp);
    let cutoff = pds[pds.len() / 2];
    let rate = |gender: &str| {
        let group: Vec<&scoring::artifact::Scored> =
            table.rows.iter().zip(scored).filter(|(r, _)| r[column] == gender).map(|(_, s)| s).collect();
        group.iter().filter(|s| s.pd <= cutoff).count() as f64 / group.len().max(1) as f64
    };
    let (female, male) = (rate("F"), rate("M"));
    Ok(format!(
        "fairness: approving the safer half, {:.0}% of female-headed and {:.0}% of male-headed households pass \
         (ratio {:.2}; the four-fifths rule asks ≥ 0.80)",
        female * 100.0,
        male * 100.0,
        if male > 0.0 { female / male } else { 0.0 }
    ))
}

/// Runs the demo in `dir`, starting from a simulated county of the given preset.
pub async fn run(dir: &Path, preset: &str) -> Result<(), CliError> {
    // Reject a bad preset before anything is written.
    app::simulation::load_config(preset, None)?;
    fresh_dir(dir)?;
    emit("agririsk demo\n=============\n\n")?;
    simulated_county(dir, preset)?;
    data_integration(dir).await?;
    emit("4. The lending core on a branch's year\n\n")?;
    let store = SqliteStore::open(&data_dir(dir)).await?;
    let mut demo = Demo { app: App::new(store), calendar: CropCalendar::china_default(), log: Vec::new() };
    let result = script(&mut demo).await;
    let Demo { app, .. } = demo;
    app.into_store().close().await;
    result?;
    crate::demo_decide::decisions(dir).await?;
    crate::demo_monitor::monitoring(dir).await?;
    emit(&format!(
        "\nThe demo database is {}; explore it with e.g.\n  agririsk --data-dir {} loan show L000005 --as-of {AS_OF}\n",
        data_dir(dir).join(SqliteStore::FILE_NAME).display(),
        data_dir(dir).display()
    ))
}

async fn script(demo: &mut Demo) -> Result<(), CliError> {
    emit("   One county branch, one year, every product\n\n")?;

    // 1. Book one loan of each product; the harvest-aligned ones take due dates from the crop calendar.
    let (l1, t1) = demo
        .book(Spec {
            borrower: "HH-0101",
            product: ProductKind::EqualInstallment,
            principal: "100000",
            rate: "0.0435",
            start: "2026-01-15",
            term: Some(12),
            edit: |_| {},
        })
        .await?;
    let (l2, _) = demo
        .book(Spec {
            borrower: "HH-0102",
            product: ProductKind::EqualPrincipal,
            principal: "60000",
            rate: "0.052",
            start: "2026-02-01",
            term: Some(12),
            edit: |_| {},
        })
        .await?;
    let (l3, _) = demo
        .book(Spec {
            borrower: "HH-0103",
            product: ProductKind::InterestOnly,
            principal: "80000",
            rate: "0.048",
            start: "2026-03-01",
            term: Some(12),
            edit: |r| r.interest_every = Some("quarterly".into()),
        })
        .await?;
    let (l4, t4) = demo
        .book(Spec {
            borrower: "HH-0104",
            product: ProductKind::HarvestBullet,
            principal: "50000",
            rate: "0.05",
            start: "2026-03-10",
            term: None,
            edit: |r| {
                r.crop = Some("summer-maize".into());
                r.region = Some("north-china-plain".into());
            },
        })
        .await?;
    let (l5, _) = demo
        .book(Spec {
            borrower: "HH-0105",
            product: ProductKind::HarvestBullet,
            principal: "30000",
            rate: "0.055",
            start: "2025-10-20",
            term: None,
            edit: |r| {
                r.crop = Some("winter-wheat".into());
                r.region = Some("yangtze".into());
                r.interest_every = Some("quarterly".into());
            },
        })
        .await?;
    let (l6, _) = demo
        .book(Spec {
            borrower: "HH-0106",
            product: ProductKind::LivestockBatch,
            principal: "90000",
            rate: "0.055",
            start: "2025-10-10",
            term: None,
            edit: |r| r.batch_months = Some(vec![6, 12]),
        })
        .await?;
    let (l7, _) = demo
        .book(Spec {
            borrower: "HH-0107",
            product: ProductKind::Revolving,
            principal: "50000",
            rate: "0.0365",
            start: "2026-01-05",
            term: Some(12),
            edit: |_| {},
        })
        .await?;
    let (l8, _) = demo
        .book(Spec {
            borrower: "HH-0108",
            product: ProductKind::EqualInstallment,
            principal: "40000",
            rate: "0.06",
            start: "2026-01-20",
            term: Some(12),
            edit: |_| {},
        })
        .await?;
    let (l9, _) = demo
        .book(Spec {
            borrower: "HH-0109",
            product: ProductKind::HarvestBullet,
            principal: "20000",
            rate: "0.045",
            start: "2026-03-15",
            term: None,
            edit: |r| {
                r.crop = Some("early-rice".into());
                r.region = Some("south".into());
                r.interest_free_days = Some(60);
            },
        })
        .await?;

    emit("Schedules are exact to the fen; the rounding remainder sits in the last installment.\n\n")?;
    emit(&format!("{l1}: {}\n", output::schedule_table(&t1, &schedule::build(&t1))))?;
    emit(&format!("{l4}: {}\n", output::schedule_table(&t4, &schedule::build(&t4))))?;

    // 2. A year of repayments.
    let n = demo.pay_installments(&l1, "2026-01-01", AS_OF, 0).await?;
    demo.say(format!("{l1}  等额本息: {n} installments paid on their due dates"));
    let n = demo.pay_installments(&l2, "2026-01-01", "2026-06-01", 0).await?;
    demo.say(format!("{l2}  等额本金: {n} paid, then nothing from 2026-07-01 (migrant income stopped)"));

    let mut n = demo.pay_installments(&l3, "2026-01-01", "2026-06-30", 10).await?;
    let bounced = RepaymentId::parse(&format!("{l3}-20260611")).map_err(internal)?;
    demo.event(
        &l3,
        "2026-06-15",
        LoanEvent::Reversed {
            id: RepaymentId::parse("REV-L3-0611").map_err(internal)?,
            of: bounced.clone(),
            reason: "bank transfer returned".into(),
        },
    )
    .await?;
    let state = demo.app.position(&l3, d("2026-06-20")?).await?.state;
    let owed = state.interest_overdue + state.penalty_due;
    demo.event(
        &l3,
        "2026-06-20",
        LoanEvent::Repaid { id: RepaymentId::parse("L3-0620-retry").map_err(internal)?, amount: owed },
    )
    .await?;
    n += demo.pay_installments(&l3, "2026-07-01", AS_OF, 10).await?;
    demo.say(format!("{l3}  按期付息: {n} quarterly interest payments, each 10 days late"));
    demo.say(format!("{l3}  payment {bounced} bounced and was reversed on 06-15; repaid {owed} on 06-20"));

    let n = demo.pay_installments(&l4, "2026-01-01", AS_OF, 0).await?;
    demo.say(format!("{l4}  夏玉米 seasonal loan: {n} payments, principal repaid after the October harvest"));

    let n = demo.pay_installments(&l5, "2025-10-01", "2026-06-30", 0).await?;
    demo.say(format!(
        "{l5}  冬小麦 seasonal loan: {n} interest payments; drought, principal due 2026-07-30 not repaid"
    ));
    // A manual downgrade is dual control: proposed by the loan officer, carried out as the county risk chief.
    let act = app::approvals::Act::LoanReclassify {
        loan_id: l5.clone(),
        date: d("2026-10-15")?,
        class: FiveCategory::Substandard,
    };
    let store = demo.app.store();
    let reason = "2026 spring drought: no wheat harvest income, no off-farm income";
    let officer = store.acting("demo:loan-officer", "demo");
    let proposal = app::approvals::propose(&officer, &act, reason, "demo:loan-officer", &crate::SystemClock).await?;
    let chief = store.acting("demo:county-risk-chief", "demo");
    app::approvals::confirm(&chief, &proposal.id, "demo:county-risk-chief", &crate::SystemClock).await?;
    demo.say(format!(
        "{l5}  downgraded by hand to 次级 on 2026-10-15 (its DPD floor was 关注): proposed by the loan officer, \
         confirmed by the county risk chief"
    ));

    let n = demo.pay_installments(&l6, "2025-10-01", "2026-09-30", 0).await?;
    demo.say(format!("{l6}  养殖 loan: {n} payments incl. the first sale batch; hog prices fell, second batch unpaid"));

    demo.event(&l7, "2026-01-10", LoanEvent::Disbursed { amount: Money::from_yuan(20_000) }).await?;
    let mut n = demo.pay_installments(&l7, "2026-01-01", "2026-03-19", 0).await?;
    demo.event(
        &l7,
        "2026-03-20",
        LoanEvent::Repaid { id: RepaymentId::parse("L7-0320").map_err(internal)?, amount: Money::from_yuan(10_000) },
    )
    .await?;
    n += demo.pay_installments(&l7, "2026-03-20", "2026-04-30", 0).await?;
    demo.event(&l7, "2026-05-01", LoanEvent::Disbursed { amount: Money::from_yuan(15_000) }).await?;
    n += demo.pay_installments(&l7, "2026-05-01", AS_OF, 0).await?;
    demo.say(format!(
        "{l7}  随借随还 line: draws of 20000 and 15000, a 10000 repayment, {n} monthly interest settlements paid"
    ));

    let n = demo.pay_installments(&l8, "2026-01-01", "2026-02-28", 0).await?;
    let terms = RestructureTerms::new(ProductKind::EqualInstallment, Some(18), None, None, true)?;
    demo.event(&l8, "2026-06-15", LoanEvent::Restructured { terms }).await?;
    let m = demo.pay_installments(&l8, "2026-06-16", AS_OF, 0).await?;
    demo.say(format!("{l8}  {n} paid, hail in March, 3 missed; restructured 06-15 over 18 months (arrears capitalised); {m} paid since"));

    let n = demo.pay_installments(&l9, "2026-01-01", "2026-07-19", 0).await?;
    demo.event(
        &l9,
        "2026-07-20",
        LoanEvent::Deferred {
            months: 3,
            interest: DeferralInterest::Waived,
            reason: "July flood, county disaster declaration".into(),
        },
    )
    .await?;
    let m = demo.pay_installments(&l9, "2026-07-20", AS_OF, 0).await?;
    demo.say(format!("{l9}  早稻 loan, 60 interest-free days: {n} paid; July flood deferral of 3 months (interest waived); {m} paid since"));

    emit(
        "Repayments posted (allocation: penalty → overdue interest → overdue principal → current interest → current principal):\n",
    )?;
    let log = std::mem::take(&mut demo.log);
    emit(&format!("{}\n\n", log.iter().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")))?;

    // 3. One loan in detail, then the portfolio on the reporting date.
    let detail = demo.app.position(&l5, d(AS_OF)?).await?;
    emit(&format!("{}\n", output::loan_text(&detail)))?;
    let (positions, summary, recorded) = demo.app.classify(d(AS_OF)?).await?;
    emit(&output::portfolio_text(&positions, &summary))?;
    emit(&format!(
        "{recorded} status changes recorded in the store (roll rates and vintages are computed from them)\n"
    ))?;
    Ok(())
}
