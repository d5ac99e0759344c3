//! Training a model end to end into an [`Artifact`]: checks, cross-validation on given folds, the final fit,
//! per-segment models with a fallback, calibration on out-of-fold predictions, leak warnings and the metrics that
//! go into the artifact.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::artifact::{Artifact, Calibration, InputColumn, Measured, Model, Segment, Training, kind_of, text_value};
use crate::binning::{Binning, BinningConfig};
use crate::calibration::{Isotonic, Platt};
use crate::data::Frame;
use crate::metrics::{auc, brier, ks, log_loss, mean_sd};
use crate::scorecard::{Scaling, Scorecard, ScorecardConfig};
use crate::trees::{Gbdt, GbdtParams};

/// Which model to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A WoE scorecard.
    Scorecard,
    /// Gradient-boosted trees.
    Gbdt,
}

impl Kind {
    /// The kind's name in artifacts.
    pub fn code(self) -> &'static str {
        match self {
            Kind::Scorecard => "scorecard",
            Kind::Gbdt => "gbdt",
        }
    }
}

/// How to calibrate the probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CalibrationMethod {
    /// Platt scaling.
    Platt,
    /// Isotonic regression.
    Isotonic,
}

/// Per-segment models: one for each value of `column` with enough data, a model on all rows for the rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentConfig {
    /// The column whose values are the segments (e.g. `segment` with planting, livestock, merchant, thin-file).
    pub column: String,
    /// Fewest rows a segment needs for its own model.
    #[serde(default = "default_min_rows")]
    pub min_rows: usize,
    /// Fewest bads a segment needs for its own model.
    #[serde(default = "default_min_bads")]
    pub min_bads: usize,
}

fn default_min_rows() -> usize {
    500
}

fn default_min_bads() -> usize {
    30
}

/// Everything that shapes a training run (the `--config` file of `agririsk model train`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    /// The model's name (models of one name compete as champion and challengers).
    pub name: String,
    /// Columns never used as features (identifiers, protected attributes); the segment column is excluded too.
    pub exclude: Vec<String>,
    /// Scorecard settings.
    pub scorecard: ScorecardConfig,
    /// Tree settings.
    pub gbdt: GbdtParams,
    /// Calibration after the model, fitted on out-of-fold predictions when folds are given.
    pub calibration: Option<CalibrationMethod>,
    /// Per-segment models.
    pub segments: Option<SegmentConfig>,
    /// Points scaling for non-scorecard models (a scorecard uses `scorecard.scaling`).
    pub scaling: Scaling,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            name: "credit-risk".into(),
            exclude: Vec::new(),
            scorecard: ScorecardConfig::default(),
            gbdt: GbdtParams::default(),
            calibration: None,
            segments: None,
            scaling: Scaling::default(),
        }
    }
}

/// The data to train on.
#[derive(Debug, Clone, Copy)]
pub struct TrainData<'a> {
    /// Features (the target already split off).
    pub frame: &'a Frame,
    /// Outcomes, 1 = bad.
    pub target: &'a [u8],
    /// The target column's name.
    pub target_name: &'a str,
    /// Where the data came from (a file name).
    pub source: &'a str,
    /// SHA-256 of the data's bytes.
    pub fingerprint: &'a str,
    /// Fold of each row, for cross-validation.
    pub folds: Option<&'a [u8]>,
}

/// Why training failed; messages name the column or setting.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PipelineError {
    /// The data cannot be used.
    #[error("{0}")]
    Data(String),
    /// A fit failed.
    #[error("{0}")]
    Fit(String),
}

/// A step of training, for progress display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// What is being done.
    pub label: String,
    /// Steps done, including this one.
    pub done: usize,
    /// All steps.
    pub total: usize,
}

/// A fitted model of either kind, before it is sealed.
enum Fitted {
    Card(Scorecard),
    Trees(Gbdt),
}

impl Fitted {
    fn predict(&self, frame: &Frame) -> Result<Vec<f64>, PipelineError> {
        match self {
            Fitted::Card(card) => card.predict_pd(frame).map_err(|e| PipelineError::Fit(e.to_string())),
            Fitted::Trees(g) => g.predict_proba(frame).map_err(|e| PipelineError::Fit(e.to_string())),
        }
    }

    fn into_model(self) -> Model {
        match self {
            Fitted::Card(card) => Model::Scorecard { card },
            Fitted::Trees(g) => Model::Trees { ensemble: g.ensemble().clone(), origin: "gbdt".into() },
        }
    }
}

fn fit(kind: Kind, config: &TrainConfig, frame: &Frame, target: &[u8]) -> Result<Fitted, PipelineError> {
    match kind {
        Kind::Scorecard => Scorecard::fit(frame, target, &config.scorecard)
            .map(Fitted::Card)
            .map_err(|e| PipelineError::Fit(e.to_string())),
        Kind::Gbdt => Gbdt::fit(&config.gbdt, frame, target, None)
            .map(Fitted::Trees)
            .map_err(|e| PipelineError::Fit(e.to_string())),
    }
}

/// Trains, cross-validates (when folds are given), calibrates and seals a model. `created_at` is stamped into
/// the artifact; `progress` hears of each step.
pub fn train(
    data: TrainData<'_>,
    kind: Kind,
    config: &TrainConfig,
    created_at: &str,
    progress: &mut dyn FnMut(Step),
) -> Result<Artifact, PipelineError> {
    // Exclusions given under `scorecard.exclude` count for every model kind, like the top-level list.
    let mut excluded: Vec<String> = config.exclude.iter().chain(&config.scorecard.exclude).cloned().collect();
    excluded.sort();
    excluded.dedup();
    if let Some(s) = &config.segments {
        if data.frame.column(&s.column).is_none() {
            return Err(PipelineError::Data(format!("column '{}': the segment column is not in the data", s.column)));
        }
        excluded.push(s.column.clone());
    }
    for name in &excluded {
        if data.frame.column(name).is_none() {
            return Err(PipelineError::Data(format!("column '{name}': listed in `exclude` but not in the data")));
        }
    }
    let features = without(data.frame, &excluded);
    if features.names().is_empty() {
        return Err(PipelineError::Data("no feature columns left after the exclusions".into()));
    }
    if let Some((name, _)) = features.names().iter().zip(features.columns()).find(|(_, c)| c.is_constant()) {
        return Err(PipelineError::Data(format!("column '{name}': constant; drop it or list it in `exclude`")));
    }
    let mut config = config.clone();
    config.scorecard.exclude.clear();
    let folds: Vec<u8> = data.folds.map(<[u8]>::to_vec).unwrap_or_default();
    let fold_ids: BTreeSet<u8> = folds.iter().copied().collect();
    if data.folds.is_some() && fold_ids.len() < 2 {
        return Err(PipelineError::Data("the fold file needs at least two folds".into()));
    }
    let total = fold_ids.len() + 2;
    let mut step = 0;
    let mut tell = |label: String, progress: &mut dyn FnMut(Step)| {
        step += 1;
        progress(Step { label, done: step, total });
    };

    // Cross-validation: out-of-fold predictions of models that never saw their rows.
    let mut metrics = Vec::new();
    let mut out_of_fold = vec![f64::NAN; features.rows()];
    if !fold_ids.is_empty() {
        let (mut aucs, mut kss) = (Vec::new(), Vec::new());
        for &k in &fold_ids {
            tell(format!("fold {k}"), progress);
            let train: Vec<usize> = (0..features.rows()).filter(|&i| folds[i] != k).collect();
            let test: Vec<usize> = (0..features.rows()).filter(|&i| folds[i] == k).collect();
            let y: Vec<u8> = train.iter().map(|&i| data.target[i]).collect();
            let model = fit_segmented(kind, &config, &data, &features, &train, &y)?;
            let pd = predict_segmented(&model, data.frame, &features, &test, config.segments.as_ref())?;
            let yt: Vec<u8> = test.iter().map(|&i| data.target[i]).collect();
            aucs.push(auc(&pd, &yt).unwrap_or(0.5));
            kss.push(ks(&pd, &yt).unwrap_or(0.0));
            for (&i, p) in test.iter().zip(pd) {
                out_of_fold[i] = p;
            }
        }
        let (auc_mean, auc_sd) = mean_sd(&aucs);
        let (ks_mean, ks_sd) = mean_sd(&kss);
        metrics.push(Measured {
            on: format!("{}-fold cross-validation", fold_ids.len()),
            rows: features.rows(),
            auc: auc_mean,
            auc_sd,
            ks: ks_mean,
            ks_sd,
            brier: brier(&out_of_fold, data.target).unwrap_or(0.0),
            log_loss: log_loss(&out_of_fold, data.target).unwrap_or(0.0),
        });
    }

    tell("final model".into(), progress);
    let all: Vec<usize> = (0..features.rows()).collect();
    let model = fit_segmented(kind, &config, &data, &features, &all, data.target)?;
    let in_sample = predict_segmented(&model, data.frame, &features, &all, config.segments.as_ref())?;
    let (scaling, mut warnings) = match &model.fallback {
        Fitted::Card(card) => (*card.scaling(), card.warnings().iter().map(ToString::to_string).collect()),
        Fitted::Trees(_) => (config.scaling, leak_warnings(&features, data.target, config.scorecard.leak_iv)),
    };

    tell("calibration and metrics".into(), progress);
    let calibration = match config.calibration {
        None => None,
        Some(method) => {
            let basis = if fold_ids.is_empty() {
                warnings.push("calibration fitted on the training predictions (no folds given)".into());
                &in_sample
            } else {
                &out_of_fold
            };
            Some(match method {
                CalibrationMethod::Platt => Calibration::Platt {
                    map: Platt::fit(basis, data.target).map_err(|e| PipelineError::Fit(e.to_string()))?,
                },
                CalibrationMethod::Isotonic => Calibration::Isotonic {
                    map: Isotonic::fit(basis, data.target).map_err(|e| PipelineError::Fit(e.to_string()))?,
                },
            })
        }
    };
    let calibrated: Vec<f64> = in_sample.iter().map(|&p| calibration.as_ref().map_or(p, |c| c.apply(p))).collect();
    metrics.insert(0, measured("training (in-sample)", &calibrated, data.target));

    let segmented = !model.segments.is_empty();
    let inputs = input_columns(&model, &features, config.segments.as_ref().map(|s| s.column.as_str()), data.frame);
    let body = if segmented {
        let column = config.segments.as_ref().map(|s| s.column.clone()).unwrap_or_default();
        Model::Segmented {
            column,
            segments: model
                .segments
                .into_iter()
                .map(|(value, fitted, rows, bads)| Segment { value, model: fitted.into_model(), rows, bads })
                .collect(),
            fallback: Box::new(model.fallback.into_model()),
        }
    } else {
        model.fallback.into_model()
    };
    let kind_name = if segmented { "segmented" } else { kind.code() };
    let training = Training {
        source: data.source.into(),
        fingerprint: data.fingerprint.into(),
        rows: features.rows(),
        bads: data.target.iter().filter(|&&y| y == 1).count(),
        target: data.target_name.into(),
        config: serde_json::to_value(&config).map_err(|e| PipelineError::Fit(e.to_string()))?,
    };
    let artifact = Artifact::seal(
        &config.name,
        kind_name,
        created_at,
        inputs,
        body,
        calibration,
        scaling,
        Some(training),
        metrics,
        warnings,
    );
    // Tree models explain themselves with the same plain-language texts a scorecard would use.
    Ok(if kind == Kind::Gbdt { artifact.with_labels(config.scorecard.labels.clone()) } else { artifact })
}

/// Figures of one sample.
pub fn measured(on: &str, pd: &[f64], target: &[u8]) -> Measured {
    Measured {
        on: on.into(),
        rows: pd.len(),
        auc: auc(pd, target).unwrap_or(0.5),
        auc_sd: 0.0,
        ks: ks(pd, target).unwrap_or(0.0),
        ks_sd: 0.0,
        brier: brier(pd, target).unwrap_or(0.0),
        log_loss: log_loss(pd, target).unwrap_or(0.0),
    }
}

fn without(frame: &Frame, excluded: &[String]) -> Frame {
    let mut f = frame.clone();
    for name in excluded {
        f.remove(name);
    }
    f
}

/// Models fitted on some rows: a fallback on all of them, and one per segment value with enough data.
struct SegmentedFit {
    fallback: Fitted,
    segments: Vec<(String, Fitted, usize, usize)>,
}

fn fit_segmented(
    kind: Kind,
    config: &TrainConfig,
    data: &TrainData<'_>,
    features: &Frame,
    rows: &[usize],
    target: &[u8],
) -> Result<SegmentedFit, PipelineError> {
    let fallback = fit(kind, config, &features.take(rows), target)?;
    let mut segments = Vec::new();
    if let Some(s) = &config.segments {
        let column = data.frame.column(&s.column).expect("checked at the start");
        let mut values: Vec<String> = rows.iter().filter_map(|&i| text_value(column, i)).collect();
        values.sort();
        values.dedup();
        for value in values {
            let members: Vec<usize> =
                (0..rows.len()).filter(|&k| text_value(column, rows[k]).as_deref() == Some(value.as_str())).collect();
            let bads = members.iter().filter(|&&k| target[k] == 1).count();
            if members.len() < s.min_rows || bads < s.min_bads || members.len() - bads < s.min_bads {
                continue;
            }
            let index: Vec<usize> = members.iter().map(|&k| rows[k]).collect();
            let y: Vec<u8> = members.iter().map(|&k| target[k]).collect();
            // A segment whose data cannot carry a model of its own (a feature constant within it) uses the fallback.
            match fit(kind, config, &features.take(&index), &y) {
                Ok(model) => segments.push((value, model, members.len(), bads)),
                Err(_) => continue,
            }
        }
    }
    Ok(SegmentedFit { fallback, segments })
}

fn predict_segmented(
    model: &SegmentedFit,
    frame: &Frame,
    features: &Frame,
    rows: &[usize],
    segments: Option<&SegmentConfig>,
) -> Result<Vec<f64>, PipelineError> {
    let mut pd = vec![0.0; rows.len()];
    let column = segments.and_then(|s| frame.column(&s.column));
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); model.segments.len() + 1];
    for (k, &row) in rows.iter().enumerate() {
        let value = column.and_then(|c| text_value(c, row));
        let g = model.segments.iter().position(|s| Some(&s.0) == value.as_ref()).unwrap_or(model.segments.len());
        groups[g].push(k);
    }
    for (g, members) in groups.iter().enumerate() {
        if members.is_empty() {
            continue;
        }
        let fitted = model.segments.get(g).map_or(&model.fallback, |s| &s.1);
        let index: Vec<usize> = members.iter().map(|&k| rows[k]).collect();
        for (&k, p) in members.iter().zip(fitted.predict(&features.take(&index))?) {
            pd[k] = p;
        }
    }
    Ok(pd)
}

/// The columns a scorer needs: those the models use, and the segment column.
fn input_columns(model: &SegmentedFit, features: &Frame, segment: Option<&str>, frame: &Frame) -> Vec<InputColumn> {
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut add = |fitted: &Fitted| match fitted {
        Fitted::Card(card) => used.extend(card.features().iter().map(|f| f.name().to_string())),
        Fitted::Trees(g) => used.extend(g.ensemble().features().iter().map(|f| f.name.clone())),
    };
    add(&model.fallback);
    if !model.segments.is_empty() {
        for s in &model.segments {
            add(&s.1);
        }
    }
    let mut inputs: Vec<InputColumn> = features
        .names()
        .iter()
        .zip(features.columns())
        .filter(|(n, _)| used.contains(*n))
        .map(|(n, c)| InputColumn { name: n.clone(), kind: kind_of(c).into() })
        .collect();
    if let (Some(name), false) = (segment, model.segments.is_empty()) {
        if let Some(c) = frame.column(name) {
            inputs.push(InputColumn { name: name.into(), kind: kind_of(c).into() });
        }
    }
    inputs
}

/// Features whose information value alone exceeds `limit`: likely leaks of the outcome.
fn leak_warnings(features: &Frame, target: &[u8], limit: f64) -> Vec<String> {
    features
        .names()
        .iter()
        .zip(features.columns())
        .filter_map(|(name, column)| {
            let b = Binning::fit(name, column, target, &BinningConfig::default()).ok()?;
            let iv = b.iv().max(b.prebin_iv());
            (iv > limit).then(|| format!("feature '{name}' has IV {iv:.3} > 1 on its own: likely leak of the outcome"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Column, read_csv_bytes};
    use std::path::Path;

    fn data(leak: bool) -> (Frame, Vec<u8>) {
        let mut text = String::from(if leak { "x,z,seg,copy,bad\n" } else { "x,z,seg,bad\n" });
        for i in 0..3000u64 {
            let x = (i * 37 % 100) as f64;
            let z = (i * 53 % 17) as f64;
            let seg = if i % 2 == 0 { "crop" } else { "hog" };
            let noise = (i.wrapping_mul(2_654_435_761) % 1000) as f64 / 1000.0;
            let risk = if seg == "crop" { x / 150.0 } else { (100.0 - x) / 150.0 };
            let bad = u8::from(noise < risk * 0.6 + z / 200.0);
            if leak {
                text.push_str(&format!("{x},{z},{seg},{bad},{bad}\n"));
            } else {
                text.push_str(&format!("{x},{z},{seg},{bad}\n"));
            }
        }
        let mut f = read_csv_bytes(text.as_bytes(), Path::new("t.csv")).expect("valid");
        let y = f.take_target("bad").expect("binary");
        (f, y)
    }

    fn input<'a>(f: &'a Frame, y: &'a [u8], folds: Option<&'a [u8]>) -> TrainData<'a> {
        TrainData { frame: f, target: y, target_name: "bad", source: "t.csv", fingerprint: "00", folds }
    }

    #[test]
    fn segments_learn_opposite_trends_the_pooled_model_cannot() {
        let (f, y) = data(false);
        let folds: Vec<u8> = (0..f.rows()).map(|i| (i % 5) as u8).collect();
        let pooled = train(input(&f, &y, Some(&folds)), Kind::Scorecard, &TrainConfig::default(), "t", &mut |_| {})
            .expect("trains");
        let config = TrainConfig {
            segments: Some(SegmentConfig { column: "seg".into(), min_rows: 500, min_bads: 30 }),
            ..TrainConfig::default()
        };
        let mut steps = Vec::new();
        let split =
            train(input(&f, &y, Some(&folds)), Kind::Scorecard, &config, "t", &mut |s| steps.push(s)).expect("trains");
        assert_eq!(split.kind, "segmented");
        let Model::Segmented { segments, .. } = &split.model else { panic!("segmented") };
        assert_eq!(segments.iter().map(|s| s.value.as_str()).collect::<Vec<_>>(), ["crop", "hog"]);
        let cv = |a: &Artifact| a.metrics.iter().find(|m| m.on.contains("cross-validation")).expect("cv").auc;
        assert!(cv(&split) > cv(&pooled) + 0.05, "segmented {} vs pooled {}", cv(&split), cv(&pooled));
        assert_eq!(steps.last().map(|s| (s.done, s.total)), Some((7, 7)));
        assert!(split.inputs.iter().any(|c| c.name == "seg"));
        // The artifact scores the training data as the pipeline measured it.
        let scored = split.predict_pd(&f).expect("scores");
        let training = &split.metrics[0];
        assert!((auc(&scored, &y).expect("both classes") - training.auc).abs() < 1e-12);
    }

    #[test]
    fn a_leaking_feature_is_warned_about_for_trees_too() {
        let (f, y) = data(true);
        let config = TrainConfig {
            gbdt: GbdtParams { trees_max: 20, early_stopping: None, ..GbdtParams::default() },
            ..TrainConfig::default()
        };
        let a = train(input(&f, &y, None), Kind::Gbdt, &config, "t", &mut |_| {}).expect("trains");
        assert!(a.warnings.iter().any(|w| w.contains("'copy'") && w.contains("likely leak")), "{:?}", a.warnings);
        assert!(!a.warnings.iter().any(|w| w.contains("'x'")));
    }

    #[test]
    fn bad_training_input_names_the_column() {
        let (f, y) = data(false);
        let mut constant = f.clone();
        constant.remove("z");
        let names: Vec<String> = constant.names().iter().cloned().chain(["flat".to_string()]).collect();
        let mut columns = constant.columns().to_vec();
        columns.push(Column::Numeric(vec![1.0; f.rows()]));
        let constant = Frame::new(names, columns).expect("valid");
        let e = train(input(&constant, &y, None), Kind::Gbdt, &TrainConfig::default(), "t", &mut |_| {})
            .expect_err("constant");
        assert_eq!(e.to_string(), "column 'flat': constant; drop it or list it in `exclude`");
        let config = TrainConfig { exclude: vec!["nope".into()], ..TrainConfig::default() };
        let e = train(input(&f, &y, None), Kind::Scorecard, &config, "t", &mut |_| {}).expect_err("unknown");
        assert_eq!(e.to_string(), "column 'nope': listed in `exclude` but not in the data");
        // An exclusion under `scorecard.exclude` keeps the column out of a tree model too.
        let mut config = TrainConfig {
            gbdt: GbdtParams { trees_max: 5, early_stopping: None, ..GbdtParams::default() },
            ..TrainConfig::default()
        };
        config.scorecard.exclude = vec!["z".into()];
        let a = train(input(&f, &y, None), Kind::Gbdt, &config, "t", &mut |_| {}).expect("trains");
        assert!(a.inputs.iter().all(|c| c.name != "z"), "{:?}", a.inputs);
    }

    #[test]
    fn calibration_on_out_of_fold_predictions_is_stored_and_applied() {
        let (f, y) = data(false);
        let folds: Vec<u8> = (0..f.rows()).map(|i| (i % 5) as u8).collect();
        let config = TrainConfig { calibration: Some(CalibrationMethod::Isotonic), ..TrainConfig::default() };
        let a = train(input(&f, &y, Some(&folds)), Kind::Scorecard, &config, "t", &mut |_| {}).expect("trains");
        assert!(matches!(a.calibration, Some(Calibration::Isotonic { .. })));
        assert!(a.warnings.iter().all(|w| !w.contains("no folds")));
        let pd = a.predict_pd(&f).expect("scores");
        let mean_pd = pd.iter().sum::<f64>() / pd.len() as f64;
        let bad_rate = y.iter().map(|&b| f64::from(b)).sum::<f64>() / y.len() as f64;
        assert!((mean_pd - bad_rate).abs() < 0.01, "calibrated mean PD {mean_pd} vs bad rate {bad_rate}");
    }
}
