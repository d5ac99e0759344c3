//! `agririsk model …`: train, evaluate, score, report and import credit models, and keep them in the registry.
//!
//! Every input is read and checked before anything is written; outputs are written to a hidden file beside the
//! destination and renamed into place, so a failed command leaves no partial artifact, scores file or report.

use std::path::{Path, PathBuf};

use scoring::artifact::{Artifact, InputColumn, Model, fingerprint};
use scoring::data::{Frame, read_folds};
use scoring::metrics::{auc, brier, calibration_table, gini, ks, lift_table, log_loss, quantile_edges};
use scoring::pipeline::{Kind, Step, TrainConfig, TrainData, train};
use scoring::trees::FeatureKind;

use crate::emit;
use crate::error::CliError;

/// Reads a CSV for modelling; errors name the file, line and column.
pub fn load_frame(field: &str, path: &Path) -> Result<(Frame, Vec<u8>), CliError> {
    let bytes =
        std::fs::read(path).map_err(|e| CliError::input(field, format!("{}: cannot read: {e}", path.display())))?;
    let frame = scoring::data::read_csv_bytes(&bytes, path).map_err(|e| CliError::input(field, e))?;
    Ok((frame, bytes))
}

/// Splits the target column off, naming the file in errors.
fn take_target(frame: &mut Frame, target: &str, data: &Path) -> Result<Vec<u8>, CliError> {
    frame.take_target(target).map_err(|e| CliError::input("target", format!("{}: {e}", data.display())))
}

/// Reads an artifact; a bad hash, an unknown version or a malformed file is an input error naming the file.
pub fn load_artifact(path: &Path) -> Result<Artifact, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::input("model", format!("{}: cannot read: {e}", path.display())))?;
    Artifact::from_json(&text, path).map_err(|e| CliError::input("model", e))
}

/// Writes `text` to `out` through a hidden temporary file renamed into place.
pub fn write_atomically(out: &Path, text: &str, field: &str) -> Result<(), CliError> {
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !parent.is_dir() {
        return Err(CliError::input(field, format!("{}: the directory does not exist", parent.display())));
    }
    let name = out.file_name().map_or("out".into(), |n| n.to_string_lossy().into_owned());
    let staging = parent.join(format!(".{name}.partial"));
    let internal = |e: std::io::Error, what: &str| CliError::Internal(anyhow::anyhow!("{what} {}: {e}", out.display()));
    std::fs::write(&staging, text).map_err(|e| internal(e, "writing"))?;
    std::fs::rename(&staging, out).map_err(|e| internal(e, "moving into place"))
}

/// The current time in China Standard Time, RFC 3339 (for artifacts' `created_at` and registry changes), from
/// the binary's one clock.
pub fn now_rfc3339() -> String {
    domain::Clock::now_rfc3339(&crate::SystemClock)
}

/// What `model train` was asked.
#[derive(Debug)]
pub struct TrainArgs {
    /// Training data.
    pub data: PathBuf,
    /// Target column.
    pub target: String,
    /// Scorecard or trees.
    pub kind: Kind,
    /// Fold file.
    pub folds: Option<PathBuf>,
    /// JSON training configuration.
    pub config: Option<PathBuf>,
    /// Model name (overrides the configuration's).
    pub name: Option<String>,
    /// Where to write the artifact.
    pub out: PathBuf,
    /// No progress bar.
    pub quiet: bool,
}

/// Reads a training configuration file; unknown keys and bad values name their key path.
pub fn load_train_config(path: Option<&Path>) -> Result<TrainConfig, CliError> {
    let Some(path) = path else { return Ok(TrainConfig::default()) };
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::input("config", format!("{}: cannot read: {e}", path.display())))?;
    let de = &mut serde_json::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(de)
        .map_err(|e| CliError::input("config", format!("{}: {}: {}", path.display(), e.path(), e.inner())))
}

/// `agririsk model train`.
pub fn train_command(args: &TrainArgs) -> Result<(), CliError> {
    let mut config = load_train_config(args.config.as_deref())?;
    if let Some(name) = &args.name {
        config.name.clone_from(name);
    }
    let (mut frame, bytes) = load_frame("data", &args.data)?;
    let target = take_target(&mut frame, &args.target, &args.data)?;
    let folds = match &args.folds {
        Some(path) => Some(read_folds(path, frame.rows()).map_err(|e| CliError::input("folds", e))?),
        None => None,
    };
    let source = args.data.file_name().map_or_else(|| args.data.display().to_string(), |n| n.to_string_lossy().into());
    let data = TrainData {
        frame: &frame,
        target: &target,
        target_name: &args.target,
        source: &source,
        fingerprint: &fingerprint(&bytes),
        folds: folds.as_deref(),
    };
    let bar = progress_bar(args.quiet);
    let artifact = train(data, args.kind, &config, &now_rfc3339(), &mut |step: Step| {
        bar.set_length(step.total as u64);
        bar.set_position(step.done as u64);
        bar.set_message(step.label);
    })
    .map_err(|e| CliError::input("data", format!("{}: {e}", args.data.display())))?;
    bar.finish_and_clear();
    write_atomically(&args.out, &artifact.to_json(), "out")?;
    if !args.quiet {
        emit(&summary(&artifact, &args.out))?;
    }
    Ok(())
}

fn progress_bar(quiet: bool) -> indicatif::ProgressBar {
    if quiet {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(1);
    if let Ok(style) = indicatif::ProgressStyle::with_template("training {msg} [{bar:30}] {pos}/{len}, {elapsed}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    bar
}

/// A few lines about a written artifact.
pub fn summary(a: &Artifact, out: &Path) -> String {
    let mut s = format!(
        "model {} ({}, {} inputs) written to {}\n  id {}\n",
        a.name,
        a.kind,
        a.inputs.len(),
        out.display(),
        a.content_hash
    );
    for m in &a.metrics {
        let sd = if m.auc_sd > 0.0 { format!(" ± {:.4}", m.auc_sd) } else { String::new() };
        s.push_str(&format!("  {:<28} AUC {:.4}{sd}  KS {:.4}  Brier {:.4}\n", m.on, m.auc, m.ks, m.brier));
    }
    for w in &a.warnings {
        s.push_str(&format!("  warning: {w}\n"));
    }
    s
}

/// Figures of a model on labelled data.
#[derive(Debug, serde::Serialize)]
pub struct Evaluation {
    /// Rows.
    pub rows: usize,
    /// Bad rate.
    pub bad_rate: f64,
    /// AUC.
    pub auc: f64,
    /// KS.
    pub ks: f64,
    /// Gini.
    pub gini: f64,
    /// Brier score.
    pub brier: f64,
    /// Log-loss.
    pub log_loss: f64,
    /// Calibration by score decile.
    pub calibration: Vec<scoring::metrics::CalibrationBand>,
    /// Lift by decile.
    pub lift: Vec<scoring::metrics::LiftRow>,
    /// Approval and equal opportunity by a protected attribute, when asked.
    pub fairness: Option<scoring::metrics::FairnessReport>,
}

/// Evaluates an artifact on labelled data.
pub fn evaluate(artifact: &Artifact, frame: &Frame, target: &[u8]) -> Result<Evaluation, CliError> {
    let pd = artifact.predict_pd(frame).map_err(|e| CliError::input("data", e))?;
    let figure =
        |x: Option<f64>, what: &str| x.ok_or_else(|| CliError::input("target", format!("{what} needs both classes")));
    let edges = quantile_edges(&pd, 10);
    Ok(Evaluation {
        rows: pd.len(),
        bad_rate: target.iter().map(|&y| f64::from(y)).sum::<f64>() / target.len().max(1) as f64,
        auc: figure(auc(&pd, target), "AUC")?,
        ks: figure(ks(&pd, target), "KS")?,
        gini: figure(gini(&pd, target), "Gini")?,
        brier: figure(brier(&pd, target), "Brier")?,
        log_loss: figure(log_loss(&pd, target), "log-loss")?,
        calibration: calibration_table(&pd, &pd, target, &edges),
        lift: lift_table(&pd, target),
        fairness: None,
    })
}

/// `agririsk model evaluate`.
pub fn evaluate_command(
    model: &Path,
    data: &Path,
    target: &str,
    fairness: Option<(String, f64)>,
    json: bool,
) -> Result<(), CliError> {
    let artifact = load_artifact(model)?;
    let (mut frame, _) = load_frame("data", data)?;
    let y = take_target(&mut frame, target, data)?;
    if let Some((_, cutoff)) = &fairness {
        if !(0.0..=1.0).contains(cutoff) {
            return Err(CliError::input("cutoff", format!("{cutoff} is not a probability in [0, 1]")));
        }
    }
    let protected = match &fairness {
        Some((column, cutoff)) => {
            let c = frame.column(column).ok_or_else(|| {
                CliError::input("protected", format!("{}: column '{column}': no such column", data.display()))
            })?;
            Some((column.clone(), c.clone(), *cutoff))
        }
        None => None,
    };
    let mut e = evaluate(&artifact, &frame, &y)?;
    if let Some((_, column, cutoff)) = &protected {
        let pd = artifact.predict_pd(&frame).map_err(|e| CliError::input("data", e))?;
        e.fairness = Some(scoring::metrics::fairness_report(&pd, &y, column, *cutoff));
    }
    if json {
        let text = serde_json::to_string_pretty(&e).map_err(|e| CliError::Internal(e.into()))?;
        return emit(&format!("{text}\n"));
    }
    let mut s = format!(
        "model {} ({}) on {} rows, bad rate {:.2}%\n  AUC {:.4}  KS {:.4}  Gini {:.4}  Brier {:.4}  log-loss {:.4}\n",
        artifact.name,
        artifact.kind,
        e.rows,
        e.bad_rate * 100.0,
        e.auc,
        e.ks,
        e.gini,
        e.brier,
        e.log_loss
    );
    s.push_str("  calibration by PD band:\n      rows     bads  mean PD  observed\n");
    for b in &e.calibration {
        s.push_str(&format!("  {:>8} {:>8} {:>8.4} {:>9.4}\n", b.rows, b.bads, b.mean_predicted, b.observed_rate));
    }
    if let (Some(f), Some((column, _, _))) = (&e.fairness, &protected) {
        s.push_str(&format!("  fairness by {column}, approving PD ≤ {}:\n", f.cutoff));
        let width = f.groups.iter().map(|g| unicode_width::UnicodeWidthStr::width(g.group.as_str())).max().unwrap_or(0);
        for g in &f.groups {
            let tpr = g.true_positive_rate.map_or("-".into(), |t| format!("{:.1}%", t * 100.0));
            let pad = " ".repeat(width - unicode_width::UnicodeWidthStr::width(g.group.as_str()));
            s.push_str(&format!(
                "    {}{pad} {:>7} rows  approved {:>5.1}%  goods approved {tpr}\n",
                g.group,
                g.rows,
                g.approval_rate * 100.0
            ));
        }
        let ratio = f.approval_ratio.map_or("-".into(), |r| format!("{r:.2}"));
        let verdict = if f.passes_four_fifths { "passes" } else { "fails" };
        s.push_str(&format!(
            "    approval ratio {ratio} ({verdict} the four-fifths rule); true-positive-rate gap {:.1} points\n",
            f.tpr_gap * 100.0
        ));
    }
    emit(&s)
}

/// `agririsk model score`: one row per input row, in input order.
pub fn score_command(model: &Path, data: &Path, out: &Path) -> Result<(), CliError> {
    let artifact = load_artifact(model)?;
    let (frame, _) = load_frame("data", data)?;
    let scored = artifact.score(&frame).map_err(|e| CliError::input("data", format!("{}: {e}", data.display())))?;
    let ids: Option<Vec<String>> = frame
        .column("id")
        .map(|c| (0..frame.rows()).map(|i| scoring::artifact::text_value(c, i).unwrap_or_default()).collect());
    let mut w = csv::Writer::from_writer(Vec::new());
    let internal = |e: csv::Error| CliError::Internal(e.into());
    w.write_record([if ids.is_some() { "id" } else { "row" }, "pd", "score", "reasons", "reasons_en"])
        .map_err(internal)?;
    for (i, s) in scored.iter().enumerate() {
        let id = ids.as_ref().map_or_else(|| (i + 1).to_string(), |v| v[i].clone());
        let zh: Vec<&str> = s.reasons.iter().map(|r| r.zh.as_str()).collect();
        let en: Vec<&str> = s.reasons.iter().map(|r| r.en.as_str()).collect();
        w.write_record([id, format!("{:.6}", s.pd), s.score.to_string(), zh.join("；"), en.join("; ")])
            .map_err(internal)?;
    }
    let bytes = w.into_inner().map_err(|e| CliError::Internal(anyhow::anyhow!("{e}")))?;
    write_atomically(out, &String::from_utf8_lossy(&bytes), "out")
}

/// `agririsk model import`: a LightGBM text model or an XGBoost JSON model, sealed as our artifact.
pub fn import_command(file: &Path, format: &str, name: Option<&str>, out: &Path) -> Result<(), CliError> {
    let ensemble = scoring::trees::read_model(file).map_err(|e| CliError::input(format, e))?;
    let found = if file_text_starts_with_brace(file) { "xgboost" } else { "lightgbm" };
    if found != format {
        return Err(CliError::input(format, format!("{}: this is a {found} model", file.display())));
    }
    let inputs = ensemble
        .features()
        .iter()
        .map(|f| InputColumn {
            name: f.name.clone(),
            kind: match f.kind {
                FeatureKind::Numeric => "numeric".into(),
                FeatureKind::Categorical { .. } => "categorical".into(),
            },
        })
        .collect();
    let model_name = name.map_or_else(
        || file.file_stem().map_or_else(|| "imported".into(), |s| s.to_string_lossy().into_owned()),
        str::to_string,
    );
    let artifact = Artifact::seal(
        &model_name,
        format,
        &now_rfc3339(),
        inputs,
        Model::Trees { ensemble, origin: format.into() },
        None,
        scoring::scorecard::Scaling::default(),
        None,
        Vec::new(),
        Vec::new(),
    );
    write_atomically(out, &artifact.to_json(), "out")?;
    emit(&summary(&artifact, out))
}

fn file_text_starts_with_brace(file: &Path) -> bool {
    std::fs::read(file).is_ok_and(|b| b.iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'{'))
}

/// `agririsk model report`: the model's bins and, given labelled data, its discrimination charts, as one HTML file.
pub fn report_command(model: &Path, labelled: Option<(&Path, &str)>, out: &Path) -> Result<(), CliError> {
    let artifact = load_artifact(model)?;
    let evaluation = match labelled {
        Some((data, target)) => {
            let (mut frame, _) = load_frame("data", data)?;
            let y = take_target(&mut frame, target, data)?;
            let pd =
                artifact.predict_pd(&frame).map_err(|e| CliError::input("data", format!("{}: {e}", data.display())))?;
            Some((data.display().to_string(), pd, y))
        }
        None => None,
    };
    let html = crate::report::render(&artifact, evaluation);
    write_atomically(out, &html, "out")
}

/// The registry's record of an artifact.
pub fn registry_record(artifact: &Artifact) -> store::ModelRecord {
    store::ModelRecord {
        id: artifact.content_hash.clone(),
        name: artifact.name.clone(),
        kind: artifact.kind.clone(),
        format_version: artifact.format_version,
        created_at: artifact.created_at.clone(),
        artifact_json: artifact.to_json(),
    }
}

/// `agririsk model register`: the artifact is checked (format, version, hash) before the store is opened.
pub async fn register_command(data_dir: &Path, model: &Path, by: &str) -> Result<(), CliError> {
    use store::ModelRegistry;
    let artifact = load_artifact(model)?;
    let record = registry_record(&artifact);
    let store = store::SqliteStore::open(data_dir).await?;
    let result = store.register_model(&record, &now_rfc3339(), by).await;
    store.close().await;
    let summary = result?;
    emit(&format!("model {} ({}, {}) is {}\n", summary.name, summary.kind, summary.id, summary.status))
}

/// `agririsk model list`.
pub async fn list_command(data_dir: &Path, name: Option<&str>, json: bool) -> Result<(), CliError> {
    use store::ModelRegistry;
    let store = store::SqliteStore::open(data_dir).await?;
    let result = store.models(name).await;
    store.close().await;
    let models = result?;
    if json {
        let text = serde_json::to_string_pretty(&models).map_err(|e| CliError::Internal(e.into()))?;
        return emit(&format!("{text}\n"));
    }
    use crate::table::{Align, Table};
    let mut table = Table::new(&[
        ("name", Align::Left),
        ("kind", Align::Left),
        ("status", Align::Left),
        ("created", Align::Left),
        ("id", Align::Left),
    ]);
    for m in &models {
        table.row(vec![m.name.clone(), m.kind.clone(), m.status.to_string(), m.created_at.clone(), m.id.clone()]);
    }
    if table.is_empty() {
        return emit("no models registered\n");
    }
    emit(&table.render())
}

/// `agririsk model promote`.
pub async fn promote_command(
    data_dir: &Path,
    id: &str,
    to: store::ModelStatus,
    reason: &str,
    by: &str,
) -> Result<(), CliError> {
    use store::ModelRegistry;
    let store = store::SqliteStore::open(data_dir).await?;
    let result = store.set_model_status(id, to, &now_rfc3339(), by, reason).await;
    store.close().await;
    let changes = result?;
    if changes.is_empty() {
        return emit(&format!("model {id} is {to} already\n"));
    }
    let lines: Vec<String> = changes
        .iter()
        .map(|c| {
            let from = c.from.map_or_else(|| "new".to_string(), |f| f.to_string());
            format!("model {}: {from} → {} ({})\n", c.model_id, c.to, c.reason)
        })
        .collect();
    emit(&lines.concat())
}

/// Stability of a model's population and inputs between two samples.
#[derive(Debug, serde::Serialize)]
pub struct StabilityReport {
    /// PSI of the predicted PD, in deciles of the reference sample.
    pub score_psi: scoring::metrics::Stability,
    /// CSI of each scorecard feature over its bins, or PSI of each numeric input of another model.
    pub features: Vec<(String, scoring::metrics::Stability)>,
}

/// `agririsk model stability`.
pub fn stability_command(model: &Path, expected: &Path, actual: &Path, json: bool) -> Result<(), CliError> {
    let artifact = load_artifact(model)?;
    let (reference, _) = load_frame("expected", expected)?;
    let (recent, _) = load_frame("actual", actual)?;
    let pd = |frame: &Frame, path: &Path, field: &str| {
        artifact.predict_pd(frame).map_err(|e| CliError::input(field, format!("{}: {e}", path.display())))
    };
    let score_psi = scoring::metrics::psi(&pd(&reference, expected, "expected")?, &pd(&recent, actual, "actual")?, 10);
    let features = match &artifact.model {
        Model::Scorecard { card } => {
            let bins = |frame: &Frame, path: &Path, field: &str| {
                card.bin_indices(frame).map_err(|e| CliError::input(field, format!("{}: {e}", path.display())))
            };
            let (e, a) = (bins(&reference, expected, "expected")?, bins(&recent, actual, "actual")?);
            card.features()
                .iter()
                .zip(e.iter().zip(&a))
                .map(|(f, (e, a))| (f.name().to_string(), scoring::metrics::csi(e, a, f.binning().bins().len())))
                .collect()
        }
        _ => artifact
            .inputs
            .iter()
            .filter_map(|input| match (reference.column(&input.name), recent.column(&input.name)) {
                (Some(scoring::data::Column::Numeric(e)), Some(scoring::data::Column::Numeric(a))) => {
                    Some((input.name.clone(), scoring::metrics::psi(e, a, 10)))
                }
                _ => None,
            })
            .collect(),
    };
    let report = StabilityReport { score_psi, features };
    if json {
        let text = serde_json::to_string_pretty(&report).map_err(|e| CliError::Internal(e.into()))?;
        return emit(&format!("{text}\n"));
    }
    let verdict = |index: f64| match index {
        i if i < 0.1 => "stable",
        i if i < 0.25 => "watch",
        _ => "shifted",
    };
    let mut s = format!(
        "model {} from {} to {}\n  PSI of the PD {:.4} ({})\n",
        artifact.name,
        expected.display(),
        actual.display(),
        report.score_psi.index,
        verdict(report.score_psi.index)
    );
    let width = report.features.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    for (name, st) in &report.features {
        s.push_str(&format!("  {name:<width$}  {:.4} ({})\n", st.index, verdict(st.index)));
    }
    emit(&s)
}
