//! The WoE scorecard: optimal binning of every feature, an information-value filter, optional forward selection,
//! a logistic regression on the WoE columns, and integer points per bin scaled by points-to-double-the-odds.
//!
//! Fitting goes feature binning → IV ≥ `min_iv` → (forward selection by AIC or p-value) → logistic regression,
//! refitted after dropping, one at a time, any feature whose coefficient is not positive: WoE is oriented so that
//! higher means riskier (see [`crate::binning`]), so a non-positive coefficient reverses the binning's own evidence
//! and is a symptom of collinearity.
//!
//! **Points.** With factor = PDO / ln 2 and offset = base score − factor · ln(base odds), the score of an applicant
//! is offset + factor · ln(good:bad odds) = offset − factor · (b₀ + Σ bⱼ WoEⱼ). The intercept and offset are shared
//! out evenly over the features, and each bin's points are rounded to an integer, so the total score is a plain sum
//! of bin points. Every PDO points the good:bad odds double (Siddiqi 2006, ch. 10). Probabilities of default come
//! from the logistic model itself, not from the rounded points.
//!
//! **Reason codes.** For one applicant, each feature's loss is the points of its best bin (among bins seen in
//! training) minus the points of the applicant's bin; the reasons are the at most four features with the largest
//! positive loss, in that order, each with a Chinese and an English label.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::binning::{BinLookup, Binning, BinningConfig, BinningError};
use crate::data::{Column, Frame};
use crate::logistic::{LogisticConfig, LogisticError, LogisticModel, sigmoid};

/// Most reason codes returned for one applicant.
pub const MAX_REASONS: usize = 4;

/// How scores map to odds: `base_score` points at good:bad odds of `base_odds`, and the odds double every `pdo`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scaling {
    /// Score at the base odds.
    pub base_score: f64,
    /// Good:bad odds at the base score (50 means 50:1).
    pub base_odds: f64,
    /// Points to double the odds.
    pub pdo: f64,
}

impl Default for Scaling {
    fn default() -> Self {
        Scaling { base_score: 600.0, base_odds: 50.0, pdo: 20.0 }
    }
}

impl Scaling {
    /// Points per unit of ln(odds): PDO / ln 2.
    pub fn factor(&self) -> f64 {
        self.pdo / std::f64::consts::LN_2
    }

    /// Score at even odds: base score − factor · ln(base odds).
    pub fn offset(&self) -> f64 {
        self.base_score - self.factor() * self.base_odds.ln()
    }

    /// Score of a probability of default (unrounded).
    pub fn score_of_pd(&self, pd: f64) -> f64 {
        self.offset() + self.factor() * ((1.0 - pd) / pd).ln()
    }

    /// Probability of default of a score.
    pub fn pd_of_score(&self, score: f64) -> f64 {
        // ln(good:bad odds) = (score − offset) / factor; PD = 1 / (1 + odds).
        sigmoid(-(score - self.offset()) / self.factor())
    }
}

/// Feature selection after the IV filter.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub enum Selection {
    /// Keep every feature that passes the IV filter.
    #[default]
    None,
    /// Forward selection: add the feature that lowers AIC most, while one does.
    ForwardAic,
    /// Forward selection: add the feature with the smallest Wald p-value, while it is below `enter`.
    ForwardPValue {
        /// Largest p-value at which a feature may enter.
        enter: f64,
    },
}

/// A bin's interval written for a reader rather than a mathematician: `[25.4, inf)` → `≥ 25.4`, `(-inf, 1)` →
/// `< 1`, `[13.4, 17)` → `13.4–17`; other labels (categories, missing, special values) as they are.
pub fn plain_range(label: &str) -> String {
    let inner = label.strip_prefix(['[', '(']).and_then(|s| s.strip_suffix(')'));
    match inner.and_then(|s| s.split_once(", ")) {
        Some(("-inf", "inf")) => "any value".into(),
        Some(("-inf", upper)) => format!("< {upper}"),
        Some((lower, "inf")) => format!("≥ {lower}"),
        Some((lower, upper)) => format!("{lower}–{upper}"),
        None => label.to_string(),
    }
}

/// A reason-code label in both languages. `{bin}` in either text is replaced by the applicant's bin, written as
/// [`plain_range`] does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonLabel {
    /// Chinese text.
    pub zh: String,
    /// English text.
    pub en: String,
}

/// Everything that shapes a scorecard fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScorecardConfig {
    /// Binning of every feature.
    pub binning: BinningConfig,
    /// Special codes of particular features, replacing `binning.special_codes` for them.
    pub special_codes: BTreeMap<String, Vec<f64>>,
    /// Columns never used as features (identifiers, protected attributes).
    pub exclude: Vec<String>,
    /// Features with a smaller information value are dropped. The default 0 keeps every feature: on the public
    /// credit datasets the textbook 0.02 cost AUC in cross-validation inside the training folds (weak features
    /// still add a little under the L2 penalty); set 0.02 for a leaner card.
    pub min_iv: f64,
    /// Features with a larger information value are reported as a likely leak (and kept).
    pub leak_iv: f64,
    /// Feature selection after the IV filter.
    pub selection: Selection,
    /// Drop, one at a time, features whose coefficient on WoE is not positive, refitting after each drop.
    pub drop_wrong_sign: bool,
    /// The logistic regression on WoE.
    pub logistic: LogisticConfig,
    /// Points scaling.
    pub scaling: Scaling,
    /// Reason-code labels by feature; features without one get a generic label naming the bin.
    pub labels: BTreeMap<String, ReasonLabel>,
}

impl Default for ScorecardConfig {
    fn default() -> Self {
        ScorecardConfig {
            binning: BinningConfig::default(),
            special_codes: BTreeMap::new(),
            exclude: Vec::new(),
            min_iv: 0.0,
            leak_iv: 1.0,
            selection: Selection::None,
            drop_wrong_sign: true,
            logistic: LogisticConfig::default(),
            scaling: Scaling::default(),
            labels: BTreeMap::new(),
        }
    }
}

/// Why a scorecard could not be fitted or applied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScorecardError {
    /// No rows to fit on.
    #[error("no rows to fit a scorecard on")]
    Empty,
    /// Frame and target differ in length.
    #[error("{rows} rows but {targets} targets")]
    Length {
        /// Rows of the frame.
        rows: usize,
        /// Length of the target.
        targets: usize,
    },
    /// The target has one class only.
    #[error("the target has only {class}s: a scorecard needs goods and bads")]
    OneClass {
        /// The only class present.
        class: u8,
    },
    /// A feature has a single value.
    #[error("feature '{column}' is constant: drop it or list it in `exclude`")]
    Constant {
        /// The feature.
        column: String,
    },
    /// No feature is left to model.
    #[error("no feature left to model: {reason}")]
    NoFeatures {
        /// Why.
        reason: String,
    },
    /// A feature needed for scoring is absent from the frame.
    #[error("feature '{column}' is missing from the data")]
    MissingColumn {
        /// The feature.
        column: String,
    },
    /// A row index is out of range.
    #[error("row {row} is out of range ({rows} rows)")]
    Row {
        /// The row asked for.
        row: usize,
        /// Rows in the frame.
        rows: usize,
    },
    /// The configuration is out of range.
    #[error("scorecard configuration: {0}")]
    Config(String),
    /// A feature could not be binned or looked up.
    #[error(transparent)]
    Binning(#[from] BinningError),
    /// The logistic regression failed.
    #[error("logistic regression on WoE: {0}")]
    Logistic(#[from] LogisticError),
}

/// Something in a fitted scorecard worth a human look.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ScorecardWarning {
    /// A feature separates goods from bads so well that it may encode the outcome.
    LikelyLeak {
        /// The feature.
        feature: String,
        /// Its information value (the larger of the binned and the pre-binned one).
        iv: f64,
    },
    /// The Newton iterations hit their cap.
    NotConverged {
        /// Iterations used.
        iterations: usize,
    },
}

impl fmt::Display for ScorecardWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScorecardWarning::LikelyLeak { feature, iv } => {
                write!(f, "feature '{feature}' has IV {iv:.3} > 1 on its own: likely leak of the outcome")
            }
            ScorecardWarning::NotConverged { iterations } => {
                write!(f, "logistic regression did not converge in {iterations} iterations")
            }
        }
    }
}

/// What happened to a candidate feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FeatureStatus {
    /// In the model.
    Selected,
    /// Dropped: information value below the minimum.
    LowIv,
    /// Dropped by forward selection.
    NotSelected,
    /// Dropped: non-positive coefficient on its WoE.
    WrongSign,
}

/// One candidate feature's fate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureReport {
    /// The feature.
    pub feature: String,
    /// Its information value after binning.
    pub iv: f64,
    /// Selected or why not.
    pub status: FeatureStatus,
}

/// A feature in the model: its binning, coefficient and points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScorecardFeature {
    binning: Binning,
    coefficient: f64,
    /// Integer points of each bin, in the binning's bin order.
    points: Vec<i32>,
    /// Best points among bins seen in training.
    best_points: i32,
    label: Option<ReasonLabel>,
}

impl ScorecardFeature {
    /// The feature's name.
    pub fn name(&self) -> &str {
        self.binning.feature()
    }

    /// The fitted binning.
    pub fn binning(&self) -> &Binning {
        &self.binning
    }

    /// Coefficient on the feature's WoE.
    pub fn coefficient(&self) -> f64 {
        self.coefficient
    }

    /// Points of each bin.
    pub fn points(&self) -> &[i32] {
        &self.points
    }
}

/// One row of the points table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointsRow {
    /// The feature.
    pub feature: String,
    /// Bin index within the feature.
    pub bin: usize,
    /// Bin description.
    pub label: String,
    /// Training rows in the bin.
    pub rows: u64,
    /// Training bad rate of the bin, if it had rows.
    pub event_rate: Option<f64>,
    /// The bin's WoE.
    pub woe: f64,
    /// The bin's points.
    pub points: i32,
}

/// Why an applicant did not score higher, in points lost on one feature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonCode {
    /// The feature.
    pub feature: String,
    /// The applicant's bin on it.
    pub bin_label: String,
    /// Points below the feature's best bin.
    pub points_lost: i32,
    /// Chinese text.
    pub zh: String,
    /// English text.
    pub en: String,
}

/// A fitted scorecard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    features: Vec<ScorecardFeature>,
    model: LogisticModel,
    scaling: Scaling,
    report: Vec<FeatureReport>,
    warnings: Vec<ScorecardWarning>,
}

/// Candidate features after binning: their binnings and WoE columns, in the same order.
struct Candidates {
    binnings: Vec<Binning>,
    woe: Vec<Vec<f64>>,
}

impl Scorecard {
    /// Fits a scorecard of `target` (1 = bad) on every column of `frame` not in `config.exclude`.
    pub fn fit(frame: &Frame, target: &[u8], config: &ScorecardConfig) -> Result<Scorecard, ScorecardError> {
        validate(config)?;
        if frame.rows() != target.len() {
            return Err(ScorecardError::Length { rows: frame.rows(), targets: target.len() });
        }
        if target.is_empty() {
            return Err(ScorecardError::Empty);
        }
        if target.iter().all(|&y| y == target[0]) {
            return Err(ScorecardError::OneClass { class: target[0] });
        }
        let used: Vec<(&String, &Column)> =
            frame.names().iter().zip(frame.columns()).filter(|(name, _)| !config.exclude.contains(name)).collect();
        if used.is_empty() {
            return Err(ScorecardError::NoFeatures { reason: "the data has no feature columns".into() });
        }
        if let Some((name, _)) = used.iter().find(|(_, column)| column.is_constant()) {
            return Err(ScorecardError::Constant { column: (*name).clone() });
        }
        let mut report = Vec::new();
        let mut warnings = Vec::new();
        let mut candidates = Candidates { binnings: Vec::new(), woe: Vec::new() };
        for (name, column) in used {
            let binning = match config.special_codes.get(name) {
                Some(codes) => {
                    let own = BinningConfig { special_codes: codes.clone(), ..config.binning.clone() };
                    Binning::fit(name, column, target, &own)?
                }
                None => Binning::fit(name, column, target, &config.binning)?,
            };
            let iv = binning.iv();
            // Judged on the pre-bins too: the minimum counts can merge a perfect separator into a single bin.
            let raw_iv = iv.max(binning.prebin_iv());
            if raw_iv > config.leak_iv {
                warnings.push(ScorecardWarning::LikelyLeak { feature: name.clone(), iv: raw_iv });
            }
            if iv < config.min_iv {
                report.push(FeatureReport { feature: name.clone(), iv, status: FeatureStatus::LowIv });
                continue;
            }
            candidates.woe.push(binning.transform(column)?);
            candidates.binnings.push(binning);
        }
        if candidates.binnings.is_empty() {
            return Err(ScorecardError::NoFeatures {
                reason: format!("every feature has IV below the minimum {}", config.min_iv),
            });
        }
        let mut chosen: Vec<usize> = match config.selection {
            Selection::None => (0..candidates.binnings.len()).collect(),
            Selection::ForwardAic | Selection::ForwardPValue { .. } => forward(&candidates, target, config)?,
        };
        // Refit without the feature of most negative coefficient until every coefficient is positive.
        let mut wrong_sign = Vec::new();
        let mut start: Option<Vec<f64>> = None;
        let model = loop {
            let columns: Vec<&[f64]> = chosen.iter().map(|&c| candidates.woe[c].as_slice()).collect();
            let model = LogisticModel::fit_from(&columns, target, &config.logistic, start.as_deref())?;
            let worst = (0..chosen.len())
                .filter(|&k| config.drop_wrong_sign && model.coefficients()[k] <= 0.0)
                .min_by(|&a, &b| model.coefficients()[a].total_cmp(&model.coefficients()[b]));
            match worst {
                Some(k) if chosen.len() > 1 => {
                    wrong_sign.push(chosen.remove(k));
                    // Warm start from this fit without the dropped coefficient.
                    let mut next = vec![model.intercept()];
                    next.extend(model.coefficients().iter().enumerate().filter(|&(j, _)| j != k).map(|(_, &b)| b));
                    start = Some(next);
                }
                Some(_) => {
                    return Err(ScorecardError::NoFeatures {
                        reason: "the only remaining feature has a non-positive coefficient".into(),
                    });
                }
                None => break model,
            }
        };
        if !model.converged() {
            warnings.push(ScorecardWarning::NotConverged { iterations: model.iterations() });
        }
        for (c, binning) in candidates.binnings.iter().enumerate() {
            let status = if chosen.contains(&c) {
                FeatureStatus::Selected
            } else if wrong_sign.contains(&c) {
                FeatureStatus::WrongSign
            } else {
                FeatureStatus::NotSelected
            };
            report.push(FeatureReport { feature: binning.feature().into(), iv: binning.iv(), status });
        }
        // Report in the frame's column order.
        report.sort_by_key(|r| frame.position(&r.feature));
        let scaling = config.scaling;
        let factor = scaling.factor();
        let shared = (scaling.offset() - factor * model.intercept()) / chosen.len() as f64;
        let mut binnings: Vec<Option<Binning>> = candidates.binnings.into_iter().map(Some).collect();
        let features = chosen
            .iter()
            .zip(model.coefficients())
            .map(|(&c, &coefficient)| {
                let binning = binnings[c].take().expect("each candidate is chosen at most once");
                let points: Vec<i32> =
                    binning.bins().iter().map(|b| (shared - factor * coefficient * b.woe).round() as i32).collect();
                let best_points = binning
                    .bins()
                    .iter()
                    .zip(&points)
                    .filter(|(b, _)| b.rows() > 0)
                    .map(|(_, &p)| p)
                    .max()
                    .unwrap_or(0);
                let label = config.labels.get(binning.feature()).cloned();
                ScorecardFeature { binning, coefficient, points, best_points, label }
            })
            .collect();
        Ok(Scorecard { features, model, scaling, report, warnings })
    }

    /// The features in the model, in model order.
    pub fn features(&self) -> &[ScorecardFeature] {
        &self.features
    }

    /// The logistic regression on WoE (coefficients in model order, with standard errors and p-values).
    pub fn model(&self) -> &LogisticModel {
        &self.model
    }

    /// The points scaling.
    pub fn scaling(&self) -> &Scaling {
        &self.scaling
    }

    /// Every candidate feature with its IV and whether it was selected.
    pub fn report(&self) -> &[FeatureReport] {
        &self.report
    }

    /// Things worth a human look, such as likely leaks.
    pub fn warnings(&self) -> &[ScorecardWarning] {
        &self.warnings
    }

    /// The points table: every bin of every model feature.
    pub fn points_table(&self) -> Vec<PointsRow> {
        self.features
            .iter()
            .flat_map(|f| {
                f.binning.bins().iter().zip(&f.points).enumerate().map(|(i, (b, &points))| PointsRow {
                    feature: f.name().into(),
                    bin: i,
                    label: b.label.clone(),
                    rows: b.rows(),
                    event_rate: b.event_rate(),
                    woe: b.woe,
                    points,
                })
            })
            .collect()
    }

    /// Row → bin lookups of every model feature over `frame`.
    fn lookups<'a>(&'a self, frame: &'a Frame) -> Result<Vec<BinLookup<'a>>, ScorecardError> {
        self.features
            .iter()
            .map(|f| {
                let column =
                    frame.column(f.name()).ok_or_else(|| ScorecardError::MissingColumn { column: f.name().into() })?;
                Ok(f.binning.lookup(column)?)
            })
            .collect()
    }

    /// Integer score of every row (higher = safer): the sum of its bin points.
    pub fn score(&self, frame: &Frame) -> Result<Vec<i32>, ScorecardError> {
        let mut total = vec![0i32; frame.rows()];
        for (f, lookup) in self.features.iter().zip(self.lookups(frame)?) {
            lookup.accumulate(&f.points, &mut total);
        }
        Ok(total)
    }

    /// Probability of default of every row, from the logistic model (not the rounded points).
    pub fn predict_pd(&self, frame: &Frame) -> Result<Vec<f64>, ScorecardError> {
        let mut eta = vec![self.model.intercept(); frame.rows()];
        for (f, lookup) in self.features.iter().zip(self.lookups(frame)?) {
            let table: Vec<f64> = f.binning.bins().iter().map(|b| f.coefficient * b.woe).collect();
            lookup.accumulate(&table, &mut eta);
        }
        for e in &mut eta {
            *e = sigmoid(*e);
        }
        Ok(eta)
    }

    /// Bin index of every row, per model feature (outer: features in model order), e.g. for stability indices.
    pub fn bin_indices(&self, frame: &Frame) -> Result<Vec<Vec<usize>>, ScorecardError> {
        Ok(self.lookups(frame)?.iter().map(|l| (0..frame.rows()).map(|i| l.bin(i)).collect()).collect())
    }

    /// Bins, probability of default and points of one applicant given each model feature's value in model order
    /// (NaN = missing): the single-applicant path, with no frame to build. Agrees with [`Scorecard::predict_pd`],
    /// [`Scorecard::score`] and [`Scorecard::bin_indices`] on a one-row frame.
    pub fn score_values(&self, values: &[f64]) -> (Vec<usize>, f64, i32) {
        assert_eq!(values.len(), self.features.len(), "one value per model feature");
        let mut eta = self.model.intercept();
        let mut points = 0i32;
        let bins: Vec<usize> = self
            .features
            .iter()
            .zip(values)
            .map(|(f, &x)| {
                let bin = f.binning.bin_of_value(x);
                eta += f.coefficient * f.binning.bins()[bin].woe;
                points += f.points[bin];
                bin
            })
            .collect();
        (bins, sigmoid(eta), points)
    }

    /// Reason codes of one row of `frame`.
    pub fn reasons(&self, frame: &Frame, row: usize) -> Result<Vec<ReasonCode>, ScorecardError> {
        if row >= frame.rows() {
            return Err(ScorecardError::Row { row, rows: frame.rows() });
        }
        let bins: Vec<usize> = self.lookups(frame)?.iter().map(|l| l.bin(row)).collect();
        Ok(self.reasons_for_bins(&bins))
    }

    /// Reason codes of an applicant given the bin of each model feature (in model order): at most
    /// [`MAX_REASONS`] features with points lost against their best bin, the largest loss first.
    pub fn reasons_for_bins(&self, bins: &[usize]) -> Vec<ReasonCode> {
        self.reason_features(bins).into_iter().map(|k| self.reason_for(k, bins[k])).collect()
    }

    /// The model features (indices, in model order numbering) that give the reasons for these bins: at most
    /// [`MAX_REASONS`] with points lost against their best bin, the largest loss first, ties in model order.
    pub fn reason_features(&self, bins: &[usize]) -> Vec<usize> {
        assert_eq!(bins.len(), self.features.len(), "one bin per model feature");
        let mut losses: Vec<(i32, usize)> = self
            .features
            .iter()
            .zip(bins)
            .enumerate()
            .map(|(k, (f, &b))| (f.best_points - f.points[b], k))
            .filter(|&(loss, _)| loss > 0)
            .collect();
        losses.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        losses.into_iter().take(MAX_REASONS).map(|(_, k)| k).collect()
    }

    /// The reason model feature `k` gives in bin `bin` (its text depends on nothing else, so a caller scoring many
    /// applicants can make every one once).
    pub fn reason_for(&self, k: usize, bin: usize) -> ReasonCode {
        let f = &self.features[k];
        let bin_label = f.binning.bins()[bin].label.clone();
        let range = plain_range(&bin_label);
        let name = f.name();
        let (zh, en) = match &f.label {
            Some(l) => (l.zh.replace("{bin}", &range), l.en.replace("{bin}", &range)),
            None => (format!("{name} 偏高风险（{range}）"), format!("{name} in a higher-risk range ({range})")),
        };
        ReasonCode { feature: name.into(), bin_label, points_lost: f.best_points - f.points[bin], zh, en }
    }
}

/// Forward selection over the candidates by AIC or p-value; returns candidate indices in order of entry. Each trial
/// fit starts from the current model with a zero coefficient for the candidate.
fn forward(candidates: &Candidates, target: &[u8], config: &ScorecardConfig) -> Result<Vec<usize>, ScorecardError> {
    let mut chosen: Vec<usize> = Vec::new();
    let mut current = LogisticModel::fit(&[], target, &config.logistic)?;
    loop {
        let mut start = vec![current.intercept()];
        start.extend_from_slice(current.coefficients());
        start.push(0.0);
        // (criterion, candidate, model): smaller is better for both AIC and p-value.
        let mut best: Option<(f64, usize, LogisticModel)> = None;
        for c in (0..candidates.binnings.len()).filter(|c| !chosen.contains(c)) {
            let columns: Vec<&[f64]> =
                chosen.iter().chain(std::iter::once(&c)).map(|&k| candidates.woe[k].as_slice()).collect();
            let model = LogisticModel::fit_from(&columns, target, &config.logistic, Some(&start))?;
            let criterion = match config.selection {
                Selection::ForwardPValue { .. } => *model.p_values().last().expect("the candidate's p-value"),
                _ => model.aic(),
            };
            if best.as_ref().is_none_or(|b| criterion < b.0) {
                best = Some((criterion, c, model));
            }
        }
        let Some((criterion, c, model)) = best else { break };
        let enters = match config.selection {
            Selection::ForwardPValue { enter } => criterion < enter,
            _ => criterion < current.aic(),
        };
        if !enters {
            break;
        }
        chosen.push(c);
        current = model;
    }
    if chosen.is_empty() {
        return Err(ScorecardError::NoFeatures { reason: "forward selection entered no feature".into() });
    }
    Ok(chosen)
}

fn validate(config: &ScorecardConfig) -> Result<(), ScorecardError> {
    config.binning.validate()?;
    let s = &config.scaling;
    if !(s.pdo > 0.0 && s.pdo.is_finite() && s.base_odds > 0.0 && s.base_odds.is_finite() && s.base_score.is_finite()) {
        return Err(ScorecardError::Config("scaling needs pdo > 0, base odds > 0 and a finite base score".into()));
    }
    if config.min_iv.is_nan() || config.min_iv < 0.0 || config.leak_iv.is_nan() {
        return Err(ScorecardError::Config("min_iv must be >= 0 and leak_iv a number".into()));
    }
    if let Selection::ForwardPValue { enter } = config.selection
        && !(enter > 0.0 && enter <= 1.0)
    {
        return Err(ScorecardError::Config("the p-value to enter must be in (0, 1]".into()));
    }
    Ok(())
}

#[cfg(test)]
mod plain_range_tests {
    use super::plain_range;

    #[test]
    fn intervals_read_as_comparisons() {
        assert_eq!(plain_range("[25.4, inf)"), "≥ 25.4");
        assert_eq!(plain_range("(-inf, 1)"), "< 1");
        assert_eq!(plain_range("[13.4, 17)"), "13.4–17");
        assert_eq!(plain_range("(-inf, inf)"), "any value");
        assert_eq!(plain_range("A, B"), "A, B");
        assert_eq!(plain_range("missing"), "missing");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random numbers in [0, 1) (SplitMix64), so tests need no RNG crate.
    struct Mix(u64);

    impl Mix {
        fn next(&mut self) -> f64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) as f64 / (u64::MAX as f64 + 1.0)
        }
    }

    /// Five features: two numeric with risk rising, one categorical, two pure noise; some missing values.
    fn synthetic(rows: usize, seed: u64) -> (Frame, Vec<u8>) {
        let mut mix = Mix(seed);
        let (mut a, mut b, mut c, mut n1, mut n2, mut y) = (vec![], vec![], vec![], vec![], vec![], vec![]);
        for _ in 0..rows {
            let x = mix.next() * 10.0;
            let z = (mix.next() * 50.0).floor();
            let level = (mix.next() * 4.0).floor() as u32;
            let logit = -3.0 + 0.35 * x + 0.03 * z + [0.0, 0.8, -0.6, 1.2][level as usize];
            y.push(u8::from(mix.next() < sigmoid(logit)));
            a.push(if mix.next() < 0.05 { f64::NAN } else { x });
            b.push(z);
            c.push(level);
            n1.push(mix.next());
            n2.push((mix.next() * 3.0).floor());
        }
        let levels = vec!["farm".into(), "shop".into(), "salary".into(), "none".into()];
        let frame = Frame::new(
            ["income_gap", "days_late", "occupation", "noise", "noise_code"].iter().map(|s| s.to_string()).collect(),
            vec![
                Column::Numeric(a),
                Column::Numeric(b),
                Column::Categorical { levels, codes: c },
                Column::Numeric(n1),
                Column::Numeric(n2),
            ],
        )
        .expect("valid frame");
        (frame, y)
    }

    fn fitted() -> (Scorecard, Frame, Vec<u8>) {
        let (frame, y) = synthetic(4000, 7);
        let config = ScorecardConfig { min_iv: 0.0, ..ScorecardConfig::default() };
        (Scorecard::fit(&frame, &y, &config).expect("fits"), frame, y)
    }

    #[test]
    fn odds_double_every_pdo_points() {
        let s = Scaling::default();
        // 600 points at 50:1 good:bad, i.e. PD 1/51.
        assert!((s.score_of_pd(1.0 / 51.0) - 600.0).abs() < 1e-9);
        assert!((s.score_of_pd(1.0 / 101.0) - 620.0).abs() < 1e-9);
        assert!((s.score_of_pd(1.0 / 26.0) - 580.0).abs() < 1e-9);
        let odds = |pd: f64| (1.0 - pd) / pd;
        for score in [450.0, 555.5, 700.0] {
            let ratio = odds(s.pd_of_score(score + s.pdo)) / odds(s.pd_of_score(score));
            assert!((ratio - 2.0).abs() < 1e-9, "{ratio}");
        }
    }

    #[test]
    fn integer_points_sum_to_the_scaled_model_score() {
        let (card, frame, _) = fitted();
        let scores = card.score(&frame).expect("scores");
        let pds = card.predict_pd(&frame).expect("scores");
        // Each feature's points are rounded once: the sum is within half a point per feature of the exact score.
        let slack = card.features().len() as f64 / 2.0 + 1e-9;
        for (&s, &pd) in scores.iter().zip(&pds) {
            assert!((f64::from(s) - card.scaling().score_of_pd(pd)).abs() <= slack, "{s} vs pd {pd}");
        }
        // Higher score, lower PD: the score ranks like the PD.
        let neg: Vec<f64> = scores.iter().map(|&s| -f64::from(s)).collect();
        let (_, y) = synthetic(4000, 7);
        let (a_score, a_pd) = (crate::metrics::auc(&neg, &y), crate::metrics::auc(&pds, &y));
        assert!((a_score.expect("two classes") - a_pd.expect("two classes")).abs() < 0.01);
    }

    #[test]
    fn points_table_lists_every_bin_of_every_feature() {
        let (card, _, _) = fitted();
        let table = card.points_table();
        let bins: usize = card.features().iter().map(|f| f.binning().bins().len()).sum();
        assert_eq!(table.len(), bins);
        // The riskiest bin (largest WoE) of a feature with a positive coefficient has its fewest points.
        for f in card.features() {
            let rows: Vec<&PointsRow> = table.iter().filter(|r| r.feature == f.name() && r.rows > 0).collect();
            let riskiest = rows.iter().max_by(|a, b| a.woe.total_cmp(&b.woe)).expect("bins");
            assert!(rows.iter().all(|r| r.points >= riskiest.points));
        }
    }

    #[test]
    fn reason_codes_rank_points_lost_and_skip_best_bins() {
        let (card, frame, _) = fitted();
        let bins = card.bin_indices(&frame).expect("bins");
        let mut seen_four = false;
        for row in 0..frame.rows() {
            let reasons = card.reasons(&frame, row).expect("row exists");
            assert!(reasons.len() <= MAX_REASONS);
            assert!(reasons.windows(2).all(|w| w[0].points_lost >= w[1].points_lost));
            assert!(reasons.iter().all(|r| r.points_lost > 0));
            let losing: Vec<&str> = card
                .features()
                .iter()
                .zip(&bins)
                .filter(|(f, b)| f.best_points > f.points()[b[row]])
                .map(|(f, _)| f.name())
                .collect();
            assert_eq!(reasons.len(), losing.len().min(MAX_REASONS));
            assert!(reasons.iter().all(|r| losing.contains(&r.feature.as_str())));
            // The largest loss among all losing features comes first.
            if let Some(first) = reasons.first() {
                let largest = card
                    .features()
                    .iter()
                    .zip(&bins)
                    .map(|(f, b)| f.best_points - f.points()[b[row]])
                    .max()
                    .expect("features");
                assert_eq!(first.points_lost, largest);
            }
            seen_four |= reasons.len() == MAX_REASONS;
        }
        assert!(seen_four || card.features().len() < MAX_REASONS);
        assert!(card.reasons(&frame, frame.rows()).is_err());
    }

    #[test]
    fn reason_labels_come_from_config_with_bin_placeholder_or_generic() {
        let (frame, y) = synthetic(3000, 11);
        let mut config = ScorecardConfig { min_iv: 0.0, ..ScorecardConfig::default() };
        config.labels.insert(
            "days_late".into(),
            ReasonLabel { zh: "逾期天数较多（{bin}）".into(), en: "Many days late ({bin})".into() },
        );
        let card = Scorecard::fit(&frame, &y, &config).expect("fits");
        let k = card.features().iter().position(|f| f.name() == "days_late").expect("selected");
        let worst = |f: &ScorecardFeature| (0..f.points().len()).min_by_key(|&b| f.points()[b]).expect("bins");
        let bins: Vec<usize> = card.features().iter().map(worst).collect();
        let reasons = card.reasons_for_bins(&bins);
        let r = reasons.iter().find(|r| r.feature == "days_late").expect("a reason");
        let bin_label = plain_range(&card.features()[k].binning().bins()[bins[k]].label);
        assert_eq!(r.en, format!("Many days late ({bin_label})"));
        assert_eq!(r.zh, format!("逾期天数较多（{bin_label}）"));
        if let Some(other) = reasons.iter().find(|r| r.feature != "days_late") {
            assert_eq!(
                other.en,
                format!("{} in a higher-risk range ({})", other.feature, plain_range(&other.bin_label))
            );
            assert!(other.zh.starts_with(&other.feature) && other.zh.contains("偏高风险"));
        }
        // Everyone at every best bin: no reasons.
        let best: Vec<usize> = card
            .features()
            .iter()
            .map(|f| (0..f.points().len()).find(|&b| f.points()[b] == f.best_points).expect("best bin"))
            .collect();
        assert!(card.reasons_for_bins(&best).is_empty());
    }

    #[test]
    fn errors_name_the_problem() {
        let (frame, y) = synthetic(500, 3);
        let config = ScorecardConfig::default();
        let mut names = frame.names().to_vec();
        let mut columns = frame.columns().to_vec();
        names.push("branch".into());
        columns.push(Column::Numeric(vec![4.0; 500]));
        let with_constant = Frame::new(names, columns).expect("valid");
        let e = Scorecard::fit(&with_constant, &y, &config).expect_err("constant");
        assert_eq!(e, ScorecardError::Constant { column: "branch".into() });
        assert!(e.to_string().contains("'branch'"));
        let excluded = ScorecardConfig { exclude: vec!["branch".into()], ..config.clone() };
        assert!(Scorecard::fit(&with_constant, &y, &excluded).is_ok());
        assert_eq!(Scorecard::fit(&Frame::default(), &[], &config), Err(ScorecardError::Empty));
        assert_eq!(Scorecard::fit(&frame, &vec![0; 500], &config), Err(ScorecardError::OneClass { class: 0 }));
        assert!(matches!(Scorecard::fit(&frame, &y[..10], &config), Err(ScorecardError::Length { .. })));
        let card = Scorecard::fit(&frame, &y, &config).expect("fits");
        let mut missing = frame.clone();
        missing.remove("days_late");
        assert_eq!(card.score(&missing), Err(ScorecardError::MissingColumn { column: "days_late".into() }));
        let bad_scaling = ScorecardConfig { scaling: Scaling { pdo: 0.0, ..Scaling::default() }, ..config };
        assert!(matches!(Scorecard::fit(&frame, &y, &bad_scaling), Err(ScorecardError::Config(_))));
    }

    #[test]
    fn a_copy_of_the_target_is_warned_as_a_leak() {
        let (frame, y) = synthetic(1000, 5);
        let mut names = frame.names().to_vec();
        let mut columns = frame.columns().to_vec();
        names.push("collections_flag".into());
        columns.push(Column::Numeric(y.iter().map(|&t| f64::from(t)).collect()));
        let leaky = Frame::new(names, columns).expect("valid");
        let card = Scorecard::fit(&leaky, &y, &ScorecardConfig::default()).expect("fits");
        assert!(card.warnings().iter().any(|w| matches!(w, ScorecardWarning::LikelyLeak { feature, .. }
            if feature == "collections_flag")));
        assert!(card.warnings()[0].to_string().contains("likely leak"));
    }

    #[test]
    fn iv_filter_and_forward_selection_report_every_feature() {
        let (frame, y) = synthetic(4000, 9);
        let config = ScorecardConfig { min_iv: 0.02, ..ScorecardConfig::default() };
        let card = Scorecard::fit(&frame, &y, &config).expect("fits");
        assert_eq!(card.report().len(), 5);
        for r in card.report() {
            assert_eq!(r.status == FeatureStatus::LowIv, r.iv < 0.02, "{r:?}");
        }
        for selection in [Selection::ForwardAic, Selection::ForwardPValue { enter: 0.05 }] {
            let config = ScorecardConfig { min_iv: 0.0, selection, ..ScorecardConfig::default() };
            let card = Scorecard::fit(&frame, &y, &config).expect("fits");
            let names: Vec<&str> = card.features().iter().map(ScorecardFeature::name).collect();
            // The strongest feature enters first; the three real ones are all in.
            assert_eq!(names[0], "income_gap", "{selection:?}");
            for real in ["income_gap", "days_late", "occupation"] {
                assert!(names.contains(&real), "{selection:?}: {names:?}");
            }
            if let Selection::ForwardPValue { enter } = selection {
                assert!(card.model().p_values()[1..].iter().all(|&p| p < enter));
            }
        }
        assert!(card.model().coefficients().iter().all(|&b| b > 0.0));
    }

    #[test]
    fn scorecard_round_trips_through_json() {
        let (card, frame, _) = fitted();
        let json = serde_json::to_string(&card).expect("serialises");
        let back: Scorecard = serde_json::from_str(&json).expect("deserialises");
        assert!(back == card, "the artifact reads back identical");
        assert!(back.score(&frame) == card.score(&frame));
        assert!(back.predict_pd(&frame) == card.predict_pd(&frame));
    }
}
