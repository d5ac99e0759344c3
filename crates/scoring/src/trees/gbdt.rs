//! Gradient-boosted trees for binary classification (logistic loss), trained here and kept as a [`TreeEnsemble`].
//!
//! Training follows LightGBM's recipe on histograms: a base margin from the (weighted) bad rate, then trees grown
//! leaf-wise on binned features, each on a seeded random share of rows and columns, until `trees_max` or until the
//! log loss on a held-out, stratified share of the training rows has not improved for `rounds` trees (the model
//! keeps the trees up to the best one). Categorical columns are turned into ordinal codes ordered by their
//! smoothed bad rate among the training rows, which lets an ordinary threshold split group levels by risk; the
//! order is stored with the model as the feature's levels, so a level not seen in training scores as missing.
//!
//! Training is deterministic: the only randomness is a SplitMix64 stream from `seed`.

use serde::{Deserialize, Serialize};

use super::binning::BinnedRows;
use super::ensemble::{EnsembleError, Feature, FeatureKind, Objective, Tree, TreeEnsemble, sigmoid};
use super::grow::{Direction, GrowParams, Grower};
use super::shap::Contributions;
use crate::data::{Column, Frame, MISSING_CODE};

/// The direction a prediction must move in as a feature grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Monotone {
    /// Non-decreasing margin as the feature increases.
    Increasing,
    /// Non-increasing margin as the feature increases.
    Decreasing,
}

/// Early stopping on a held-out share of the training rows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EarlyStopping {
    /// Stop after this many trees without a lower validation log loss.
    pub rounds: usize,
    /// Share of training rows held out (stratified by class), in (0, 1).
    pub validation_fraction: f64,
    /// After finding the best number of trees, train again on all rows with that many trees (the held-out rows
    /// are then not wasted; costs a second, shorter fit).
    pub refit: bool,
}

/// Training settings. The default is a conservative model for small credit data (LightGBM-like: 500 trees at
/// learning rate 0.03, 15 leaves, at least 50 rows per leaf, L2 1, 0.8 row and column sampling, early stopping
/// after 50 trees on 20% of the rows).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GbdtParams {
    /// Most trees to grow.
    pub trees_max: usize,
    /// Shrinkage of each tree's outputs.
    pub learning_rate: f64,
    /// Most leaves per tree (at least 2).
    pub leaves_max: usize,
    /// Deepest a leaf may be (root at depth 0); `None` for no limit.
    pub depth_max: Option<usize>,
    /// Fewest (sampled) rows in a leaf.
    pub min_child_samples: usize,
    /// Smallest hessian sum in a leaf.
    pub min_child_hessian: f64,
    /// L2 penalty on leaf outputs.
    pub l2: f64,
    /// Smallest loss reduction that justifies a split.
    pub min_split_gain: f64,
    /// Share of rows each tree is grown on, in (0, 1].
    pub row_subsample: f64,
    /// Share of features each tree may split on, in (0, 1].
    pub col_subsample: f64,
    /// Most histogram bins per feature, 2..=255.
    pub bins_max: usize,
    /// Monotone constraints by feature name.
    pub monotone: Vec<(String, Monotone)>,
    /// Weight of each bad row relative to a good one (class weight), multiplied with any sample weight.
    pub bad_weight: f64,
    /// Early stopping; `None` grows `trees_max` trees on all rows.
    pub early_stopping: Option<EarlyStopping>,
    /// Seed of the row and column sampling and of the validation split.
    pub seed: u64,
}

impl Default for GbdtParams {
    fn default() -> Self {
        GbdtParams {
            trees_max: 500,
            learning_rate: 0.03,
            leaves_max: 15,
            depth_max: None,
            min_child_samples: 50,
            min_child_hessian: 1e-3,
            l2: 1.0,
            min_split_gain: 0.0,
            row_subsample: 0.8,
            col_subsample: 0.8,
            bins_max: 255,
            monotone: Vec::new(),
            bad_weight: 1.0,
            early_stopping: Some(EarlyStopping { rounds: 50, validation_fraction: 0.2, refit: true }),
            seed: 0,
        }
    }
}

/// Why training failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrainError {
    /// A parameter is out of range.
    #[error("parameter {name}: {reason}")]
    Param {
        /// The parameter.
        name: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The target does not fit the frame or lacks a class.
    #[error("target: {reason}")]
    Target {
        /// What is wrong.
        reason: String,
    },
    /// A sample weight is unusable.
    #[error("weights: row {row}: {reason}")]
    Weight {
        /// 1-based data row (0 for a length mismatch).
        row: usize,
        /// What is wrong.
        reason: String,
    },
    /// A monotone constraint names a column that is not in the frame.
    #[error("monotone constraint on unknown column '{column}'")]
    UnknownColumn {
        /// The name given.
        column: String,
    },
    /// The finished trees do not make a valid ensemble (a bug).
    #[error("internal: {0}")]
    Ensemble(#[from] EnsembleError),
}

/// How training went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingSummary {
    /// Trees grown before stopping (including those dropped after the best).
    pub trees_grown: usize,
    /// Trees kept.
    pub trees_kept: usize,
    /// Whether early stopping ended training before `trees_max`.
    pub stopped_early: bool,
    /// Validation log loss after each tree grown (empty without early stopping).
    pub validation_loss: Vec<f64>,
}

/// A trained gradient-boosted tree model: our own [`TreeEnsemble`] plus how it was trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gbdt {
    params: GbdtParams,
    ensemble: TreeEnsemble,
    summary: TrainingSummary,
}

/// Smoothing (pseudo-rows at the overall bad rate) when ordering categorical levels.
const LEVEL_SMOOTHING: f64 = 10.0;

impl Gbdt {
    /// Trains on every column of `frame` against `target` (0 good, 1 bad), with optional per-row weights.
    pub fn fit(params: &GbdtParams, frame: &Frame, target: &[u8], weights: Option<&[f64]>) -> Result<Gbdt, TrainError> {
        let first = Gbdt::fit_once(params, frame, target, weights)?;
        match params.early_stopping {
            Some(es) if es.refit && first.summary.trees_kept > 0 => {
                let again = GbdtParams { trees_max: first.summary.trees_kept, early_stopping: None, ..params.clone() };
                let second = Gbdt::fit_once(&again, frame, target, weights)?;
                Ok(Gbdt { params: params.clone(), ensemble: second.ensemble, summary: first.summary })
            }
            _ => Ok(first),
        }
    }

    fn fit_once(
        params: &GbdtParams,
        frame: &Frame,
        target: &[u8],
        weights: Option<&[f64]>,
    ) -> Result<Gbdt, TrainError> {
        validate(params)?;
        let rows = frame.rows();
        if target.len() != rows {
            return Err(TrainError::Target { reason: format!("{} values for {rows} rows", target.len()) });
        }
        if let Some(i) = target.iter().position(|&y| y > 1) {
            return Err(TrainError::Target { reason: format!("row {}: {} is not 0 or 1", i + 1, target[i]) });
        }
        let weight = row_weights(params, target, weights)?;
        let mut rng = SplitMix64::new(params.seed);

        let (fit_rows, valid_rows) = match params.early_stopping {
            Some(es) => stratified_split(target, es.validation_fraction, &mut rng),
            None => ((0..rows).collect(), Vec::new()),
        };
        let classes = |rows: &[usize]| (rows.iter().any(|&i| target[i] == 0), rows.iter().any(|&i| target[i] == 1));
        if classes(&fit_rows) != (true, true) {
            return Err(TrainError::Target { reason: "the training rows need both classes".into() });
        }

        let (features, columns) = encode_columns(frame, target, &weight, &fit_rows);
        let mut monotone: Vec<Direction> = vec![0; features.len()];
        for (name, m) in &params.monotone {
            let j = frame.position(name).ok_or_else(|| TrainError::UnknownColumn { column: name.clone() })?;
            monotone[j] = match m {
                Monotone::Increasing => 1,
                Monotone::Decreasing => -1,
            };
        }

        let binned = BinnedRows::new(&columns, &fit_rows, params.bins_max);
        let n_features = features.len();
        let valid_codes = binned.codes_of(&columns, &valid_rows);
        let fit_y: Vec<f64> = fit_rows.iter().map(|&i| f64::from(target[i])).collect();
        let fit_w: Vec<f64> = fit_rows.iter().map(|&i| weight[i]).collect();
        let valid_y: Vec<f64> = valid_rows.iter().map(|&i| f64::from(target[i])).collect();
        let valid_w: Vec<f64> = valid_rows.iter().map(|&i| weight[i]).collect();

        let bad_rate = fit_y.iter().zip(&fit_w).map(|(y, w)| y * w).sum::<f64>() / fit_w.iter().sum::<f64>();
        let base_margin = (bad_rate / (1.0 - bad_rate)).ln();

        let grow_params = GrowParams {
            leaves_max: params.leaves_max,
            depth_max: params.depth_max.unwrap_or(usize::MAX),
            min_child_samples: params.min_child_samples.min(u32::MAX as usize) as u32,
            min_child_hessian: params.min_child_hessian,
            l2: params.l2,
            min_split_gain: params.min_split_gain,
            learning_rate: params.learning_rate,
        };
        let mut grower = Grower::new(&binned, grow_params, &monotone);
        let n_fit = fit_rows.len();
        let mut fit_margin = vec![base_margin; n_fit];
        let mut valid_margin = vec![base_margin; valid_rows.len()];
        let (mut grad, mut hess) = (vec![0.0; n_fit], vec![0.0; n_fit]);
        let mut trees = Vec::new();
        let mut validation_loss = Vec::new();
        let (mut best_loss, mut best_trees) = (f64::INFINITY, 0usize);
        let mut stopped_early = false;
        let col_count = ((params.col_subsample * n_features as f64).round() as usize).clamp(1, n_features.max(1));
        let mut all_features: Vec<usize> = (0..n_features).collect();
        let mut bag: Vec<u32> = Vec::with_capacity(n_fit);
        let mut in_bag = vec![false; n_fit];

        for _ in 0..params.trees_max {
            for i in 0..n_fit {
                let p = sigmoid(fit_margin[i]);
                grad[i] = (p - fit_y[i]) * fit_w[i];
                hess[i] = (p * (1.0 - p)).max(1e-16) * fit_w[i];
            }
            bag.clear();
            if params.row_subsample < 1.0 {
                bag.extend((0..n_fit as u32).filter(|_| rng.next_f64() < params.row_subsample));
            } else {
                bag.extend(0..n_fit as u32);
            }
            let features: Vec<usize> = if col_count < n_features {
                rng.shuffle_prefix(&mut all_features, col_count);
                let mut chosen = all_features[..col_count].to_vec();
                chosen.sort_unstable();
                chosen
            } else {
                all_features.clone()
            };
            let Some(grown) = grower.grow(&grad, &hess, &mut bag, &features) else {
                // Nothing left to split on this sample; another sample may still split, unless none is drawn.
                if params.row_subsample < 1.0 || col_count < n_features {
                    continue;
                }
                break;
            };
            // In-bag rows know their leaf; out-of-bag rows are routed through the tree on their bins.
            in_bag.fill(false);
            for &(start, end, value) in &grown.leaf_rows {
                for &r in &bag[start..end] {
                    fit_margin[r as usize] += value;
                    in_bag[r as usize] = true;
                }
            }
            if bag.len() < n_fit {
                for (r, m) in fit_margin.iter_mut().enumerate().filter(|&(r, _)| !in_bag[r]) {
                    *m += grown.binned_value(&binned, binned.row(r));
                }
            }
            if let Some(es) = params.early_stopping {
                let mut loss = 0.0;
                for (k, row) in valid_codes.chunks_exact(n_features).enumerate() {
                    valid_margin[k] += grown.binned_value(&binned, row);
                    loss += valid_w[k] * log_loss(valid_margin[k], valid_y[k]);
                }
                loss /= valid_w.iter().sum::<f64>();
                validation_loss.push(loss);
                trees.push(Tree::new(grown.nodes));
                if loss < best_loss {
                    (best_loss, best_trees) = (loss, trees.len());
                } else if trees.len() - best_trees >= es.rounds {
                    stopped_early = true;
                    break;
                }
            } else {
                trees.push(Tree::new(grown.nodes));
            }
        }
        let trees_grown = trees.len();
        if params.early_stopping.is_some() {
            trees.truncate(best_trees);
        }
        let summary = TrainingSummary { trees_grown, trees_kept: trees.len(), stopped_early, validation_loss };
        let ensemble = TreeEnsemble::new(features, Objective::Logistic, base_margin, trees)?;
        Ok(Gbdt { params: params.clone(), ensemble, summary })
    }

    /// The trained ensemble (what an artifact stores and scores with).
    pub fn ensemble(&self) -> &TreeEnsemble {
        &self.ensemble
    }

    /// The settings it was trained with.
    pub fn params(&self) -> &GbdtParams {
        &self.params
    }

    /// How training went.
    pub fn summary(&self) -> &TrainingSummary {
        &self.summary
    }

    /// Margins (log-odds of bad) of a frame's rows.
    pub fn predict_margin(&self, frame: &Frame) -> Result<Vec<f64>, EnsembleError> {
        self.ensemble.predict_margin(frame)
    }

    /// Probabilities of bad.
    pub fn predict_proba(&self, frame: &Frame) -> Result<Vec<f64>, EnsembleError> {
        self.ensemble.predict_proba(frame)
    }

    /// Per-feature TreeSHAP contributions to the margin, with the bias last; each row sums to its margin.
    pub fn contributions(&self, frame: &Frame) -> Result<Contributions, EnsembleError> {
        Ok(self.ensemble.contributions_matrix(&self.ensemble.encode(frame)?))
    }
}

fn log_loss(margin: f64, y: f64) -> f64 {
    // log(1 + e^m) - y m, computed stably.
    let softplus = if margin > 0.0 { margin + (-margin).exp().ln_1p() } else { margin.exp().ln_1p() };
    softplus - y * margin
}

fn validate(p: &GbdtParams) -> Result<(), TrainError> {
    let check = |ok: bool, name: &'static str, reason: &str| {
        if ok { Ok(()) } else { Err(TrainError::Param { name, reason: reason.into() }) }
    };
    check(p.trees_max >= 1, "trees_max", "must be at least 1")?;
    check(p.learning_rate > 0.0 && p.learning_rate.is_finite(), "learning_rate", "must be positive")?;
    check(p.leaves_max >= 2, "leaves_max", "must be at least 2")?;
    check(p.min_child_samples >= 1, "min_child_samples", "must be at least 1")?;
    check(p.min_child_hessian >= 0.0, "min_child_hessian", "must not be negative")?;
    check(p.l2 >= 0.0 && p.l2.is_finite(), "l2", "must be a non-negative number")?;
    check(p.min_split_gain >= 0.0, "min_split_gain", "must not be negative")?;
    check(p.row_subsample > 0.0 && p.row_subsample <= 1.0, "row_subsample", "must be in (0, 1]")?;
    check(p.col_subsample > 0.0 && p.col_subsample <= 1.0, "col_subsample", "must be in (0, 1]")?;
    check((2..=255).contains(&p.bins_max), "bins_max", "must be in 2..=255")?;
    check(p.bad_weight > 0.0 && p.bad_weight.is_finite(), "bad_weight", "must be positive")?;
    if let Some(es) = p.early_stopping {
        check(es.rounds >= 1, "early_stopping.rounds", "must be at least 1")?;
        let f = es.validation_fraction;
        check(f > 0.0 && f < 1.0, "early_stopping.validation_fraction", "must be in (0, 1)")?;
    }
    Ok(())
}

fn row_weights(p: &GbdtParams, target: &[u8], weights: Option<&[f64]>) -> Result<Vec<f64>, TrainError> {
    if let Some(w) = weights {
        if w.len() != target.len() {
            let reason = format!("{} weights for {} rows", w.len(), target.len());
            return Err(TrainError::Weight { row: 0, reason });
        }
        if let Some(i) = w.iter().position(|x| !(x.is_finite() && *x > 0.0)) {
            return Err(TrainError::Weight { row: i + 1, reason: format!("{} is not a positive number", w[i]) });
        }
    }
    Ok(target
        .iter()
        .enumerate()
        .map(|(i, &y)| weights.map_or(1.0, |w| w[i]) * if y == 1 { p.bad_weight } else { 1.0 })
        .collect())
}

/// Holds out `fraction` of each class, chosen by a seeded shuffle; returns (fit rows, validation rows), sorted.
fn stratified_split(target: &[u8], fraction: f64, rng: &mut SplitMix64) -> (Vec<usize>, Vec<usize>) {
    let (mut fit, mut valid) = (Vec::new(), Vec::new());
    for class in [0u8, 1] {
        let mut rows: Vec<usize> = (0..target.len()).filter(|&i| target[i] == class).collect();
        let n = rows.len();
        let held = ((n as f64 * fraction).round() as usize).min(n.saturating_sub(1));
        rng.shuffle_prefix(&mut rows, held);
        valid.extend_from_slice(&rows[..held]);
        fit.extend_from_slice(&rows[held..]);
    }
    fit.sort_unstable();
    valid.sort_unstable();
    (fit, valid)
}

/// Model features and one numeric column per feature: numbers as they are, categories as ordinal codes by
/// smoothed bad rate over `fit_rows` (ties by level text), unseen in training → NaN.
fn encode_columns(frame: &Frame, target: &[u8], weight: &[f64], fit_rows: &[usize]) -> (Vec<Feature>, Vec<Vec<f64>>) {
    let total_w: f64 = fit_rows.iter().map(|&i| weight[i]).sum();
    let prior = fit_rows.iter().map(|&i| weight[i] * f64::from(target[i])).sum::<f64>() / total_w;
    let mut features = Vec::new();
    let mut columns = Vec::new();
    for (name, column) in frame.names().iter().zip(frame.columns()) {
        match column {
            Column::Numeric(values) => {
                features.push(Feature { name: name.clone(), kind: FeatureKind::Numeric });
                columns.push(values.clone());
            }
            Column::Categorical { levels, codes } => {
                let (mut bad, mut all) = (vec![0.0; levels.len()], vec![0.0; levels.len()]);
                for &i in fit_rows {
                    if codes[i] != MISSING_CODE {
                        bad[codes[i] as usize] += weight[i] * f64::from(target[i]);
                        all[codes[i] as usize] += weight[i];
                    }
                }
                let rate = |k: usize| (bad[k] + LEVEL_SMOOTHING * prior) / (all[k] + LEVEL_SMOOTHING);
                // Frame levels are sorted, so a stable sort breaks ties by level text.
                let mut seen: Vec<usize> = (0..levels.len()).filter(|&k| all[k] > 0.0).collect();
                seen.sort_by(|&a, &b| rate(a).total_cmp(&rate(b)));
                let mut code_of = vec![f64::NAN; levels.len()];
                for (rank, &k) in seen.iter().enumerate() {
                    code_of[k] = rank as f64;
                }
                let ordered = seen.iter().map(|&k| levels[k].clone()).collect();
                features.push(Feature { name: name.clone(), kind: FeatureKind::Categorical { levels: ordered } });
                columns.push(
                    codes.iter().map(|&c| if c == MISSING_CODE { f64::NAN } else { code_of[c as usize] }).collect(),
                );
            }
        }
    }
    (features, columns)
}

/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", 2014): a small seeded
/// generator, enough for sampling rows and columns.
#[derive(Debug, Clone)]
struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..n` (n > 0), by rejection so there is no modulo bias.
    fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let x = self.next_u64();
            if x < zone {
                return (x % n) as usize;
            }
        }
    }

    /// Moves a uniform random choice of `k` items to the front (partial Fisher–Yates).
    fn shuffle_prefix<T>(&mut self, items: &mut [T], k: usize) {
        for i in 0..k.min(items.len()) {
            let j = i + self.below(items.len() - i);
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_is_reproducible_and_uniform_enough() {
        let mut a = SplitMix64::new(7);
        let mut b = SplitMix64::new(7);
        let xs: Vec<f64> = (0..10_000).map(|_| a.next_f64()).collect();
        assert!(xs.iter().all(|&x| (0.0..1.0).contains(&x)));
        assert_eq!(xs[..5], (0..5).map(|_| b.next_f64()).collect::<Vec<_>>()[..]);
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        assert!((mean - 0.5).abs() < 0.01, "mean {mean}");
    }

    #[test]
    fn stratified_split_holds_out_each_class_in_proportion() {
        let target: Vec<u8> = (0..100).map(|i| u8::from(i % 4 == 0)).collect();
        let (fit, valid) = stratified_split(&target, 0.2, &mut SplitMix64::new(1));
        assert_eq!(fit.len() + valid.len(), 100);
        assert_eq!(valid.iter().filter(|&&i| target[i] == 1).count(), 5);
        assert_eq!(valid.iter().filter(|&&i| target[i] == 0).count(), 15);
    }

    #[test]
    fn log_loss_is_stable_at_extreme_margins() {
        assert!((log_loss(0.0, 1.0) - std::f64::consts::LN_2).abs() < 1e-15);
        assert!(log_loss(800.0, 1.0).abs() < 1e-12);
        assert!((log_loss(800.0, 0.0) - 800.0).abs() < 1e-9);
    }
}
