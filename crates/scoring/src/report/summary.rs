//! What the report shows of a model's probabilities of default on a labelled sample: the headline metrics, the
//! ROC and cumulative (KS) curves thinned for drawing, the score distribution, and the calibration and lift tables.
//!
//! The metrics come from [`crate::metrics`]. The curves come from one sort of the sample and one sweep over its
//! distinct scores, so the whole summary is O(n log n) and its size does not grow with n: curves keep at most
//! [`CURVE_POINTS_MAX`] points, the histogram [`HISTOGRAM_BINS`] bins.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::Evaluation;
use crate::metrics::{self, CalibrationBand, LiftRow};

/// Most points kept on the ROC and cumulative curves; enough to look smooth at the report's chart size.
pub const CURVE_POINTS_MAX: usize = 200;

/// Most bins of the score-distribution histogram: a sample of n rows gets about √n bins, between 10 and this.
pub const HISTOGRAM_BINS: usize = 40;

/// Score bands of the calibration table (deciles).
pub const CALIBRATION_BANDS: usize = 10;

/// Share of the sample the distribution chart's axis covers: the axis ends at a round number above this quantile,
/// so a long thin tail of high PDs does not squeeze the bulk of the sample into a few bars.
const AXIS_QUANTILE: f64 = 0.99;

/// Why an [`Evaluation`] cannot be summarised.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum EvaluationError {
    /// Scores and outcomes differ in length.
    #[error("{scores} scores but {outcomes} outcomes")]
    Length {
        /// Number of scores.
        scores: usize,
        /// Number of outcomes.
        outcomes: usize,
    },
    /// No rows.
    #[error("the evaluation sample is empty")]
    Empty,
    /// A score is not a probability.
    #[error("row {row}: score {score} is not a probability of default in [0, 1]")]
    Score {
        /// Row index.
        row: usize,
        /// The offending score.
        score: f64,
    },
    /// An outcome is not 0 (good) or 1 (bad).
    #[error("row {row}: outcome {outcome} is neither 0 (good) nor 1 (bad)")]
    Outcome {
        /// Row index.
        row: usize,
        /// The offending outcome.
        outcome: u8,
    },
}

/// A point of the ROC curve, both coordinates in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RocPoint {
    /// Share of goods scored above the threshold (false positive rate).
    pub fpr: f64,
    /// Share of bads scored above the threshold (true positive rate).
    pub tpr: f64,
}

/// A point of the cumulative distributions of bads and goods by score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CumulativePoint {
    /// Probability of default.
    pub score: f64,
    /// Share of bads with a score at or below `score`.
    pub bads: f64,
    /// Share of goods with a score at or below `score`.
    pub goods: f64,
}

/// The Kolmogorov–Smirnov statistic and where it is reached.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KsPoint {
    /// The statistic, as [`metrics::ks`] computes it.
    pub statistic: f64,
    /// The score at which the gap between the cumulative distributions is largest (the first such, going up).
    pub score: f64,
    /// Share of bads at or below `score`.
    pub bads: f64,
    /// Share of goods at or below `score`.
    pub goods: f64,
}

/// Counts of goods and bads in equal-width score bins over `[0, upper]` (at most [`HISTOGRAM_BINS`] bins).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// Upper end of the last bin: a round number at or above the 99th percentile of the scores, at most 1.
    pub upper: f64,
    /// Goods per bin; the last bin also holds every score above `upper`.
    pub goods: Vec<u64>,
    /// Bads per bin; the last bin also holds every score above `upper`.
    pub bads: Vec<u64>,
    /// Scores above `upper` (counted in the last bin).
    pub above: u64,
}

/// Everything the report shows of an evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluationSummary {
    /// Rows evaluated.
    pub rows: u64,
    /// Bads among them.
    pub bads: u64,
    /// bads / rows.
    pub bad_rate: f64,
    /// Area under the ROC curve ([`metrics::auc`]); `None` with one class only.
    pub auc: Option<f64>,
    /// 2 · AUC − 1 ([`metrics::gini`]).
    pub gini: Option<f64>,
    /// KS statistic ([`metrics::ks`]) and the score where it is reached.
    pub ks: Option<KsPoint>,
    /// [`metrics::brier`].
    pub brier: f64,
    /// [`metrics::log_loss`].
    pub log_loss: f64,
    /// The ROC curve from (0, 0) to (1, 1), at most [`CURVE_POINTS_MAX`] points; empty with one class only.
    pub roc: Vec<RocPoint>,
    /// Cumulative distributions by increasing score, from (lowest score, 0, 0) to (highest score, 1, 1), at most
    /// [`CURVE_POINTS_MAX`] points and always including the KS point; empty with one class only.
    pub cumulative: Vec<CumulativePoint>,
    /// The score distribution by class.
    pub histogram: Histogram,
    /// Predicted against observed bad rate in score deciles ([`metrics::calibration_table`]).
    pub calibration: Vec<CalibrationBand>,
    /// Lift by decile, riskiest first ([`metrics::lift_table`]); empty without bads.
    pub lift: Vec<LiftRow>,
}

/// Cumulative counts after each run of equal scores (with a leading zero step at the lowest score).
struct Step {
    score: f64,
    bads: u64,
    goods: u64,
}

impl Evaluation {
    /// Checks the sample (lengths, PDs in [0, 1], outcomes 0 or 1) and computes everything the report shows of it.
    pub fn summarize(&self) -> Result<EvaluationSummary, EvaluationError> {
        let (scores, outcomes) = (&self.scores, &self.outcomes);
        if scores.len() != outcomes.len() {
            return Err(EvaluationError::Length { scores: scores.len(), outcomes: outcomes.len() });
        }
        if scores.is_empty() {
            return Err(EvaluationError::Empty);
        }
        if let Some((row, &score)) = scores.iter().enumerate().find(|(_, s)| !(0.0..=1.0).contains(*s)) {
            return Err(EvaluationError::Score { row, score });
        }
        if let Some((row, &outcome)) = outcomes.iter().enumerate().find(|(_, y)| **y > 1) {
            return Err(EvaluationError::Outcome { row, outcome });
        }

        let mut sorted: Vec<(f64, u8)> = scores.iter().copied().zip(outcomes.iter().copied()).collect();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        let steps = steps(&sorted);
        let rows = sorted.len() as u64;
        let bads = outcomes.iter().map(|&y| u64::from(y)).sum::<u64>();
        let goods = rows - bads;

        let (mut roc, mut cumulative, mut ks) = (Vec::new(), Vec::new(), None);
        if let Some(statistic) = metrics::ks(scores, outcomes) {
            let (b, g) = (bads as f64, goods as f64);
            // The same expression as metrics::ks, so the marked gap is the reported one.
            let gap = |s: &Step| (s.bads as f64 / b - s.goods as f64 / g).abs();
            let at = (0..steps.len()).fold(0, |best, k| if gap(&steps[k]) > gap(&steps[best]) { k } else { best });
            let point =
                |s: &Step| CumulativePoint { score: s.score, bads: s.bads as f64 / b, goods: s.goods as f64 / g };
            let p = point(&steps[at]);
            ks = Some(KsPoint { statistic, score: p.score, bads: p.bads, goods: p.goods });
            // Both curves advance with the cumulative shares, so one thinning serves both.
            let progress = |k: usize| steps[k].bads as f64 / b + steps[k].goods as f64 / g;
            let kept = thin(steps.len(), progress, CURVE_POINTS_MAX, at);
            cumulative = kept.iter().map(|&k| point(&steps[k])).collect();
            roc = kept
                .iter()
                .rev()
                .map(|&k| RocPoint { fpr: 1.0 - steps[k].goods as f64 / g, tpr: 1.0 - steps[k].bads as f64 / b })
                .collect();
        }

        let edges = metrics::quantile_edges(scores, CALIBRATION_BANDS);
        Ok(EvaluationSummary {
            rows,
            bads,
            bad_rate: bads as f64 / rows as f64,
            auc: metrics::auc(scores, outcomes),
            gini: metrics::gini(scores, outcomes),
            ks,
            brier: metrics::brier(scores, outcomes).unwrap_or(f64::NAN),
            log_loss: metrics::log_loss(scores, outcomes).unwrap_or(f64::NAN),
            roc,
            cumulative,
            histogram: histogram(&sorted),
            calibration: metrics::calibration_table(scores, scores, outcomes, &edges),
            lift: metrics::lift_table(scores, outcomes),
        })
    }
}

/// The cumulative counts at the end of each run of equal scores in `sorted` (non-empty, increasing), after a zero
/// step at the lowest score.
fn steps(sorted: &[(f64, u8)]) -> Vec<Step> {
    let mut out = vec![Step { score: sorted[0].0, bads: 0, goods: 0 }];
    let (mut bads, mut goods) = (0u64, 0u64);
    for (i, &(score, y)) in sorted.iter().enumerate() {
        if y == 1 {
            bads += 1;
        } else {
            goods += 1;
        }
        if sorted.get(i + 1).is_none_or(|next| next.0 != score) {
            out.push(Step { score, bads, goods });
        }
    }
    out
}

/// Indices of at most `cap` (≥ 4) of `len` points along a curve whose `progress` grows from index 0 to `len − 1`:
/// the first and last points, `must_keep`, and a point each time the curve has gone a further 1/(cap − 3) of its
/// total progress. Between two kept points the curve moves little, unless it jumps there in a single step (a run of
/// tied scores), which is a straight segment anyway.
fn thin(len: usize, progress: impl Fn(usize) -> f64, cap: usize, must_keep: usize) -> Vec<usize> {
    assert!(cap >= 4, "a thinned curve keeps its ends, one forced point and at least one more");
    if len <= cap {
        return (0..len).collect();
    }
    let levels = (cap - 3) as f64;
    let total = progress(len - 1);
    let mut kept = vec![0];
    let mut next = 1.0;
    for k in 1..len - 1 {
        let level = progress(k) / total * levels;
        // Each point kept for its level passes a new whole level, at most `levels` of them.
        if level >= next || k == must_keep {
            kept.push(k);
            next = next.max(level.floor() + 1.0);
        }
    }
    kept.push(len - 1);
    kept
}

/// The score distribution of `sorted` (non-empty, increasing, scores in [0, 1]) by class.
fn histogram(sorted: &[(f64, u8)]) -> Histogram {
    let n = sorted.len();
    let quantile = sorted[((n - 1) as f64 * AXIS_QUANTILE).round() as usize].0;
    let upper = round_up(quantile.max(0.001)).min(1.0);
    // Fewer bins for a small sample, so that bars are not mostly noise.
    let bins = ((n as f64).sqrt().round() as usize).clamp(10, HISTOGRAM_BINS);
    let (mut goods, mut bads) = (vec![0u64; bins], vec![0u64; bins]);
    let mut above = 0;
    for &(score, y) in sorted {
        above += u64::from(score > upper);
        let bin = ((score / upper * bins as f64) as usize).min(bins - 1);
        if y == 1 {
            bads[bin] += 1;
        } else {
            goods[bin] += 1;
        }
    }
    Histogram { upper, goods, bads, above }
}

/// The smallest of 1, 2, 2.5 and 5 times a power of ten at or above `x` (> 0): a round end for an axis.
pub(crate) fn round_up(x: f64) -> f64 {
    let exponent = x.log10().floor() as i32;
    // Dividing by an exact power of ten gives the same f64 as the decimal literal (0.25, not 0.25000000000000006).
    let scaled = |m: f64| if exponent >= 0 { m * 10f64.powi(exponent) } else { m / 10f64.powi(-exponent) };
    [1.0, 2.0, 2.5, 5.0, 10.0, 20.0].into_iter().map(scaled).find(|&v| v >= x * (1.0 - 1e-12)).unwrap_or(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evaluation(scores: Vec<f64>, outcomes: Vec<u8>) -> Evaluation {
        Evaluation { dataset: "test".into(), scores, outcomes }
    }

    #[test]
    fn bad_samples_are_rejected_with_the_row() {
        let e = |s: Vec<f64>, y: Vec<u8>| evaluation(s, y).summarize().err();
        assert_eq!(e(vec![0.1], vec![0, 1]), Some(EvaluationError::Length { scores: 1, outcomes: 2 }));
        assert_eq!(e(vec![], vec![]), Some(EvaluationError::Empty));
        assert!(matches!(e(vec![0.1, f64::NAN], vec![0, 1]), Some(EvaluationError::Score { row: 1, .. })));
        assert_eq!(e(vec![0.1, 1.5], vec![0, 1]), Some(EvaluationError::Score { row: 1, score: 1.5 }));
        assert_eq!(e(vec![0.1, 0.2], vec![0, 2]), Some(EvaluationError::Outcome { row: 1, outcome: 2 }));
    }

    #[test]
    fn small_sample_by_hand() {
        // Ascending: 0.1 g, 0.35 b, 0.4 g, 0.8 b → KS 0.5 first reached at 0.1 (goods 1/2, bads 0).
        let s = evaluation(vec![0.1, 0.4, 0.35, 0.8], vec![0, 0, 1, 1]).summarize().expect("valid");
        assert_eq!((s.rows, s.bads, s.bad_rate, s.auc), (4, 2, 0.5, Some(0.75)));
        let ks = s.ks.expect("two classes");
        assert_eq!((ks.statistic, ks.score, ks.bads, ks.goods), (0.5, 0.1, 0.0, 0.5));
        let roc: Vec<(f64, f64)> = s.roc.iter().map(|p| (p.fpr, p.tpr)).collect();
        assert_eq!(roc, [(0.0, 0.0), (0.0, 0.5), (0.5, 0.5), (0.5, 1.0), (1.0, 1.0)]);
        assert_eq!(s.cumulative.len(), 5);
        assert_eq!(s.histogram.upper, 1.0);
        assert_eq!(s.histogram.goods.iter().sum::<u64>() + s.histogram.bads.iter().sum::<u64>(), 4);
    }

    #[test]
    fn one_class_gives_no_curves_but_still_a_summary() {
        let s = evaluation(vec![0.1, 0.2, 0.3], vec![0, 0, 0]).summarize().expect("valid");
        assert_eq!((s.auc, s.ks, s.roc.len(), s.cumulative.len()), (None, None, 0, 0));
        assert!(s.brier.is_finite() && s.lift.is_empty());
    }

    #[test]
    fn thinning_keeps_ends_the_forced_point_and_the_cap() {
        for len in [5, 199, 200, 201, 1_000, 100_000] {
            for must_keep in [0, 1, len / 3, len - 2] {
                let kept = thin(len, |k| k as f64, 200, must_keep);
                assert!(kept.len() <= 200, "{len}: {}", kept.len());
                assert_eq!((kept[0], kept[kept.len() - 1]), (0, len - 1));
                assert!(kept.contains(&must_keep));
                assert!(kept.windows(2).all(|w| w[0] < w[1]));
            }
        }
    }

    #[test]
    fn axis_ends_are_round() {
        let ends: Vec<f64> = [0.034, 0.1, 0.11, 0.21, 0.3, 0.7, 1.0].iter().map(|&x| round_up(x)).collect();
        assert_eq!(ends, [0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 1.0]);
    }
}
