//! Credit models as use cases: train, evaluate, score, report, import and check the stability of a model artifact
//! (the `scoring` crate does the mathematics), and keep artifacts in the registry (`store::ModelRegistry`).
//!
//! Every input is read and checked before anything is written; outputs go through [`crate::files`], so a failed
//! use case leaves no partial artifact, scores file or report. Creation and registry times are passed in.

use std::path::{Path, PathBuf};

use domain::{Clock, Date};
use scoring::artifact::{Artifact, InputColumn, Model, fingerprint};
use scoring::data::{Column, Frame, read_folds};
use scoring::lifecycle::ModelStatus;
use scoring::metrics::{
    CalibrationBand, FairnessReport, LiftRow, Stability, auc, brier, calibration_table, csi, fairness_report, gini, ks,
    lift_table, log_loss, psi, quantile_edges,
};
use scoring::pipeline::{Kind, Step, TrainConfig, TrainData};
use scoring::report::{FeatureSection, ModelInfo, ReportInput, feature_sections};
use scoring::trees::FeatureKind;
use serde::Serialize;
use store::{ModelRecord, ModelRegistry, ModelStatusChange, ModelSummary};

use crate::error::Error;
use crate::files::write_atomically;

/// Reads a CSV for modelling, with its bytes (for the data fingerprint); errors name the file, line and column.
pub fn load_frame(field: &str, path: &Path) -> Result<(Frame, Vec<u8>), Error> {
    let bytes =
        std::fs::read(path).map_err(|e| Error::input(field, format!("{}: cannot read: {e}", path.display())))?;
    let frame = scoring::data::read_csv_bytes(&bytes, path).map_err(|e| Error::input(field, e))?;
    Ok((frame, bytes))
}

/// Splits the target column off, naming the file in errors.
fn take_target(frame: &mut Frame, target: &str, data: &Path) -> Result<Vec<u8>, Error> {
    frame.take_target(target).map_err(|e| Error::input("target", format!("{}: {e}", data.display())))
}

/// Reads an artifact; a bad hash, an unknown version or a malformed file is an input error naming the file.
pub fn load_artifact(path: &Path) -> Result<Artifact, Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::input("model", format!("{}: cannot read: {e}", path.display())))?;
    Artifact::from_json(&text, path).map_err(|e| Error::input("model", e))
}

/// Reads a training configuration file (none: the defaults); unknown keys and bad values name their key path.
pub fn load_train_config(path: Option<&Path>) -> Result<TrainConfig, Error> {
    let Some(path) = path else { return Ok(TrainConfig::default()) };
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::input("config", format!("{}: cannot read: {e}", path.display())))?;
    let de = &mut serde_json::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(de)
        .map_err(|e| Error::input("config", format!("{}: {}: {}", path.display(), e.path(), e.inner())))
}

/// What to train.
#[derive(Debug, Clone)]
pub struct TrainRequest {
    /// Training data (CSV).
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
}

/// Trains a model end to end and writes its artifact to `request.out`; `progress` hears of every step.
pub fn train(request: &TrainRequest, clock: &dyn Clock, progress: &mut dyn FnMut(Step)) -> Result<Artifact, Error> {
    let mut config = load_train_config(request.config.as_deref())?;
    if let Some(name) = &request.name {
        config.name.clone_from(name);
    }
    let (mut frame, bytes) = load_frame("data", &request.data)?;
    let target = take_target(&mut frame, &request.target, &request.data)?;
    let folds = match &request.folds {
        Some(path) => Some(read_folds(path, frame.rows()).map_err(|e| Error::input("folds", e))?),
        None => None,
    };
    let data_path = &request.data;
    let source = data_path.file_name().map_or_else(|| data_path.display().to_string(), |n| n.to_string_lossy().into());
    let data = TrainData {
        frame: &frame,
        target: &target,
        target_name: &request.target,
        source: &source,
        fingerprint: &fingerprint(&bytes),
        folds: folds.as_deref(),
    };
    let artifact = scoring::pipeline::train(data, request.kind, &config, &clock.now_rfc3339(), progress)
        .map_err(|e| Error::input("data", format!("{}: {e}", data_path.display())))?;
    write_atomically(&request.out, &artifact.to_json(), "out")?;
    Ok(artifact)
}

/// Figures of a model on labelled data.
#[derive(Debug, Serialize)]
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
    pub calibration: Vec<CalibrationBand>,
    /// Lift by decile.
    pub lift: Vec<LiftRow>,
    /// Approval and equal opportunity by a protected attribute, when asked.
    pub fairness: Option<FairnessReport>,
}

/// Evaluates an artifact on labelled data (no fairness report).
pub fn evaluate(artifact: &Artifact, frame: &Frame, target: &[u8]) -> Result<Evaluation, Error> {
    let pd = artifact.predict_pd(frame).map_err(|e| Error::input("data", e))?;
    let figure =
        |x: Option<f64>, what: &str| x.ok_or_else(|| Error::input("target", format!("{what} needs both classes")));
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

/// A fairness question: the protected column and the PD at or below which an applicant is approved.
#[derive(Debug, Clone)]
pub struct Fairness {
    /// The protected attribute's column.
    pub column: String,
    /// The approval cut-off, a probability.
    pub cutoff: f64,
}

/// Evaluates the artifact in `model` on the labelled CSV `data`, with a fairness report when asked.
pub fn evaluate_file(
    model: &Path,
    data: &Path,
    target: &str,
    fairness: Option<&Fairness>,
) -> Result<(Artifact, Evaluation), Error> {
    let artifact = load_artifact(model)?;
    let (mut frame, _) = load_frame("data", data)?;
    let y = take_target(&mut frame, target, data)?;
    if let Some(Fairness { cutoff, .. }) = fairness {
        if !(0.0..=1.0).contains(cutoff) {
            return Err(Error::input("cutoff", format!("{cutoff} is not a probability in [0, 1]")));
        }
    }
    let protected = match fairness {
        Some(Fairness { column, cutoff }) => {
            let c = frame.column(column).ok_or_else(|| {
                Error::input("protected", format!("{}: column '{column}': no such column", data.display()))
            })?;
            Some((c.clone(), *cutoff))
        }
        None => None,
    };
    let mut evaluation = evaluate(&artifact, &frame, &y)?;
    if let Some((column, cutoff)) = &protected {
        let pd = artifact.predict_pd(&frame).map_err(|e| Error::input("data", e))?;
        evaluation.fairness = Some(fairness_report(&pd, &y, column, *cutoff));
    }
    Ok((artifact, evaluation))
}

/// Scores every row of `data` and writes one CSV row per input row, in input order, to `out`: the `id` column's
/// value (or the row number), the PD, the score and the reasons in Chinese and English.
pub fn score(model: &Path, data: &Path, out: &Path) -> Result<(), Error> {
    let artifact = load_artifact(model)?;
    let (frame, _) = load_frame("data", data)?;
    let scored = artifact.score(&frame).map_err(|e| Error::input("data", format!("{}: {e}", data.display())))?;
    let ids: Option<Vec<String>> = frame
        .column("id")
        .map(|c| (0..frame.rows()).map(|i| scoring::artifact::text_value(c, i).unwrap_or_default()).collect());
    let mut w = csv::Writer::from_writer(Vec::new());
    let internal = |e: csv::Error| Error::Internal(e.into());
    w.write_record([if ids.is_some() { "id" } else { "row" }, "pd", "score", "reasons", "reasons_en"])
        .map_err(internal)?;
    for (i, s) in scored.iter().enumerate() {
        let id = ids.as_ref().map_or_else(|| (i + 1).to_string(), |v| v[i].clone());
        let zh: Vec<&str> = s.reasons.iter().map(|r| r.zh.as_str()).collect();
        let en: Vec<&str> = s.reasons.iter().map(|r| r.en.as_str()).collect();
        w.write_record([id, format!("{:.6}", s.pd), s.score.to_string(), zh.join("；"), en.join("; ")])
            .map_err(internal)?;
    }
    let bytes = w.into_inner().map_err(Error::internal)?;
    write_atomically(out, &String::from_utf8_lossy(&bytes), "out")
}

/// The format of a model trained elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    /// LightGBM's text model.
    LightGbm,
    /// XGBoost's JSON model.
    XgBoost,
}

impl ImportFormat {
    /// The format's name, as the artifact's kind and the argument at fault.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportFormat::LightGbm => "lightgbm",
            ImportFormat::XgBoost => "xgboost",
        }
    }
}

/// Imports a LightGBM text model or an XGBoost JSON model, sealed as our artifact (named `name`, or after the
/// file), and writes it to `out`.
pub fn import(
    file: &Path,
    format: ImportFormat,
    name: Option<&str>,
    out: &Path,
    clock: &dyn Clock,
) -> Result<Artifact, Error> {
    let field = format.as_str();
    let ensemble = scoring::trees::read_model(file).map_err(|e| Error::input(field, e))?;
    let text_starts_with_brace =
        std::fs::read(file).is_ok_and(|b| b.iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'{'));
    let found = if text_starts_with_brace { ImportFormat::XgBoost } else { ImportFormat::LightGbm };
    if found != format {
        return Err(Error::input(field, format!("{}: this is a {} model", file.display(), found.as_str())));
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
        field,
        &clock.now_rfc3339(),
        inputs,
        Model::Trees { ensemble, origin: field.into() },
        None,
        scoring::scorecard::Scaling::default(),
        None,
        Vec::new(),
        Vec::new(),
    );
    write_atomically(out, &artifact.to_json(), "out")?;
    Ok(artifact)
}

/// An artifact's HTML report; `evaluation` is (dataset name, predicted PDs, outcomes).
pub fn report_html(artifact: &Artifact, evaluation: Option<(String, Vec<f64>, Vec<u8>)>) -> String {
    let training = artifact.training.as_ref();
    let mut warnings = artifact.warnings.clone();
    let features = match &artifact.model {
        Model::Scorecard { card } => feature_sections(card),
        Model::Segmented { fallback, segments, .. } => {
            warnings.push(format!("{} segment models; the bins shown are the fallback model's", segments.len()));
            match fallback.as_ref() {
                Model::Scorecard { card } => feature_sections(card),
                _ => Vec::<FeatureSection>::new(),
            }
        }
        Model::Trees { .. } => Vec::new(),
    };
    let input = ReportInput {
        title: format!("Credit model {} / 信用评分模型 {}", artifact.name, artifact.name),
        model: ModelInfo {
            id: artifact.content_hash.clone(),
            name: artifact.name.clone(),
            kind: artifact.kind.clone(),
            created_at: artifact.created_at.clone(),
            format_version: artifact.format_version,
            target: training.map_or_else(String::new, |t| t.target.clone()),
            training_rows: training.map_or(0, |t| t.rows as u64),
            training_bads: training.map_or(0, |t| t.bads as u64),
            data_fingerprint: training.map_or_else(String::new, |t| t.fingerprint.clone()),
        },
        evaluation: evaluation.map(|(dataset, scores, outcomes)| scoring::report::Evaluation {
            dataset,
            scores,
            outcomes,
        }),
        features,
        warnings,
    };
    scoring::report::render(&input)
}

/// Writes the model's report to `out`: its bins and, given labelled data (file, target column), its
/// discrimination charts, as one HTML file.
pub fn report(model: &Path, labelled: Option<(&Path, &str)>, out: &Path) -> Result<(), Error> {
    let artifact = load_artifact(model)?;
    let evaluation = match labelled {
        Some((data, target)) => {
            let (mut frame, _) = load_frame("data", data)?;
            let y = take_target(&mut frame, target, data)?;
            let pd =
                artifact.predict_pd(&frame).map_err(|e| Error::input("data", format!("{}: {e}", data.display())))?;
            Some((data.display().to_string(), pd, y))
        }
        None => None,
    };
    write_atomically(out, &report_html(&artifact, evaluation), "out")
}

/// The registry's record of an artifact.
pub fn registry_record(artifact: &Artifact) -> ModelRecord {
    ModelRecord {
        id: artifact.content_hash.clone(),
        name: artifact.name.clone(),
        kind: artifact.kind.clone(),
        format_version: artifact.format_version,
        created_at: artifact.created_at.clone(),
        artifact_json: artifact.to_json(),
    }
}

/// Trains the decision scorecard on the stacked quarterly feature tables of the ingested applications up to
/// `up_to`, labelled over `horizon_months`, and writes it to `out`.
pub async fn train_decision_scorecard(
    store: &impl integrate::RecordStore,
    up_to: Date,
    horizon_months: u32,
    out: &Path,
    clock: &dyn Clock,
) -> Result<Artifact, Error> {
    let world = decide::World::load(store).await?;
    let artifact = decide::model::train_on_applications(&world, up_to, horizon_months, &clock.now_rfc3339())
        .map_err(|e| Error::input("as-of", e))?;
    write_atomically(out, &artifact.to_json(), "out")?;
    Ok(artifact)
}

/// Registers a checked artifact as a candidate (again: the stored model, unchanged).
pub async fn register<S: ModelRegistry>(
    store: &S,
    artifact: &Artifact,
    by: &str,
    clock: &dyn Clock,
) -> Result<ModelSummary, Error> {
    Ok(store.register_model(&registry_record(artifact), &clock.now_rfc3339(), by).await?)
}

/// The registered models (of one name, if given).
pub async fn list<S: ModelRegistry>(store: &S, name: Option<&str>) -> Result<Vec<ModelSummary>, Error> {
    Ok(store.models(name).await?)
}

/// Moves a model to `to`; the changes made (none if it was there already).
pub async fn promote<S: ModelRegistry>(
    store: &S,
    id: &str,
    to: ModelStatus,
    reason: &str,
    by: &str,
    clock: &dyn Clock,
) -> Result<Vec<ModelStatusChange>, Error> {
    Ok(store.set_model_status(id, to, &clock.now_rfc3339(), by, reason).await?)
}

/// Stability of a model's population and inputs between two samples.
#[derive(Debug, Serialize)]
pub struct StabilityReport {
    /// PSI of the predicted PD, in deciles of the reference sample.
    pub score_psi: Stability,
    /// CSI of each scorecard feature over its bins, or PSI of each numeric input of another model.
    pub features: Vec<(String, Stability)>,
}

/// How far a population moved, by the usual rule of thumb on a PSI or CSI: under 0.1 stable, under 0.25 worth
/// watching, else shifted.
pub fn drift(index: f64) -> &'static str {
    match index {
        i if i < 0.1 => "stable",
        i if i < 0.25 => "watch",
        _ => "shifted",
    }
}

/// Compares the model's scores and inputs on a reference sample (`expected`) and a recent one (`actual`).
pub fn stability(model: &Path, expected: &Path, actual: &Path) -> Result<(Artifact, StabilityReport), Error> {
    let artifact = load_artifact(model)?;
    let (reference, _) = load_frame("expected", expected)?;
    let (recent, _) = load_frame("actual", actual)?;
    let pd = |frame: &Frame, path: &Path, field: &str| {
        artifact.predict_pd(frame).map_err(|e| Error::input(field, format!("{}: {e}", path.display())))
    };
    let score_psi = psi(&pd(&reference, expected, "expected")?, &pd(&recent, actual, "actual")?, 10);
    let features = match &artifact.model {
        Model::Scorecard { card } => {
            let bins = |frame: &Frame, path: &Path, field: &str| {
                card.bin_indices(frame).map_err(|e| Error::input(field, format!("{}: {e}", path.display())))
            };
            let (e, a) = (bins(&reference, expected, "expected")?, bins(&recent, actual, "actual")?);
            card.features()
                .iter()
                .zip(e.iter().zip(&a))
                .map(|(f, (e, a))| (f.name().to_string(), csi(e, a, f.binning().bins().len())))
                .collect()
        }
        _ => artifact
            .inputs
            .iter()
            .filter_map(|input| match (reference.column(&input.name), recent.column(&input.name)) {
                (Some(Column::Numeric(e)), Some(Column::Numeric(a))) => Some((input.name.clone(), psi(e, a, 10))),
                _ => None,
            })
            .collect(),
    };
    Ok((artifact, StabilityReport { score_psi, features }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drift_bands_follow_the_rule_of_thumb() {
        assert_eq!(
            [drift(0.0), drift(0.099), drift(0.1), drift(0.249), drift(0.25)],
            ["stable", "stable", "watch", "watch", "shifted"]
        );
    }

    #[test]
    fn a_missing_or_malformed_artifact_is_an_input_error_on_model() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = load_artifact(&dir.path().join("none.json")).expect_err("missing");
        assert_eq!(missing.field(), Some("model"));
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, "{}").expect("write");
        assert_eq!(load_artifact(&bad).expect_err("malformed").field(), Some("model"));
    }

    #[test]
    fn an_unknown_config_key_names_its_path() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("config.json");
        std::fs::write(&file, r#"{"no_such_key": 1}"#).expect("write");
        let e = load_train_config(Some(&file)).expect_err("unknown key");
        assert_eq!(e.field(), Some("config"));
        assert!(e.to_string().contains("no_such_key"), "{e}");
        assert!(load_train_config(None).is_ok());
    }

    #[test]
    fn an_import_of_the_wrong_format_is_refused_before_writing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("out.json");
        let e = import(
            &dir.path().join("none.txt"),
            ImportFormat::LightGbm,
            None,
            &out,
            &domain::FixedClock(domain::parse_date("2026-01-01").expect("date")),
        )
        .expect_err("no file");
        assert_eq!(e.field(), Some("lightgbm"));
        assert!(!out.exists());
    }
}
