//! Discrimination and accuracy measures of predicted probabilities against binary outcomes, population stability,
//! and a fairness report for a protected attribute.
//!
//! Scores are "higher = more likely bad" throughout (pass a probability of default, or a scorecard's score negated).
//! Ties are handled exactly: AUC counts a tied pair as half.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::data::{Column, MISSING_CODE};

/// Area under the ROC curve: the probability that a random bad scores above a random good (ties count half).
/// `None` when either class is absent.
pub fn auc(score: &[f64], bad: &[u8]) -> Option<f64> {
    assert_eq!(score.len(), bad.len(), "one score per outcome");
    let mut order: Vec<usize> = (0..score.len()).collect();
    order.sort_by(|&a, &b| score[a].total_cmp(&score[b]));
    let (mut rank_sum, mut bads) = (0.0f64, 0u64);
    let mut i = 0;
    while i < order.len() {
        // A run of equal scores shares the average rank.
        let mut j = i;
        while j + 1 < order.len() && score[order[j + 1]] == score[order[i]] {
            j += 1;
        }
        let mid_rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            if bad[k] == 1 {
                rank_sum += mid_rank;
                bads += 1;
            }
        }
        i = j + 1;
    }
    let goods = score.len() as u64 - bads;
    if bads == 0 || goods == 0 {
        return None;
    }
    let (b, g) = (bads as f64, goods as f64);
    Some((rank_sum - b * (b + 1.0) / 2.0) / (b * g))
}

/// Kolmogorov–Smirnov statistic: the largest gap between the cumulative score distributions of bads and goods.
/// `None` when either class is absent.
pub fn ks(score: &[f64], bad: &[u8]) -> Option<f64> {
    assert_eq!(score.len(), bad.len(), "one score per outcome");
    let bads = bad.iter().filter(|&&y| y == 1).count() as f64;
    let goods = bad.len() as f64 - bads;
    if bads == 0.0 || goods == 0.0 {
        return None;
    }
    let mut order: Vec<usize> = (0..score.len()).collect();
    order.sort_by(|&a, &b| score[a].total_cmp(&score[b]));
    let (mut cum_bad, mut cum_good, mut best) = (0.0f64, 0.0f64, 0.0f64);
    let mut i = 0;
    while i < order.len() {
        // Only compare at the end of a run of equal scores.
        let mut j = i;
        while j < order.len() && score[order[j]] == score[order[i]] {
            if bad[order[j]] == 1 {
                cum_bad += 1.0;
            } else {
                cum_good += 1.0;
            }
            j += 1;
        }
        best = best.max((cum_bad / bads - cum_good / goods).abs());
        i = j;
    }
    Some(best)
}

/// Gini coefficient (accuracy ratio): 2 · AUC − 1. `None` when either class is absent.
pub fn gini(score: &[f64], bad: &[u8]) -> Option<f64> {
    auc(score, bad).map(|a| 2.0 * a - 1.0)
}

/// Brier score: mean squared difference between the probability of default and the outcome. `None` for no rows.
pub fn brier(pd: &[f64], bad: &[u8]) -> Option<f64> {
    assert_eq!(pd.len(), bad.len(), "one prediction per outcome");
    (!pd.is_empty())
        .then(|| pd.iter().zip(bad).map(|(&p, &y)| (p - f64::from(y)).powi(2)).sum::<f64>() / pd.len() as f64)
}

/// Probabilities are clipped to [LOG_LOSS_EPS, 1 − LOG_LOSS_EPS] in [`log_loss`], so one confident miss is finite.
pub const LOG_LOSS_EPS: f64 = 1e-15;

/// Mean negative log-likelihood of the outcomes under the probabilities of default. `None` for no rows.
pub fn log_loss(pd: &[f64], bad: &[u8]) -> Option<f64> {
    assert_eq!(pd.len(), bad.len(), "one prediction per outcome");
    (!pd.is_empty()).then(|| {
        let total: f64 = pd
            .iter()
            .zip(bad)
            .map(|(&p, &y)| {
                let p = p.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS);
                if y == 1 { -p.ln() } else { -(1.0 - p).ln() }
            })
            .sum();
        total / pd.len() as f64
    })
}

/// Cut points splitting `values` into at most `bands` groups of about equal size (distinct, NaN ignored).
pub fn quantile_edges(values: &[f64], bands: usize) -> Vec<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    sorted.sort_by(f64::total_cmp);
    let mut edges: Vec<f64> = Vec::new();
    for k in 1..bands {
        let Some(&edge) = sorted.get(k * sorted.len() / bands) else { break };
        // A band is [edge_{k-1}, edge_k); an edge equal to the minimum would leave the first band empty.
        if edge > sorted[0] && edges.last().is_none_or(|&last| edge > last) {
            edges.push(edge);
        }
    }
    edges
}

/// Index of the band `[edges[i-1], edges[i])` holding `x` (band 0 is open below, the last open above).
fn band_of(x: f64, edges: &[f64]) -> usize {
    edges.partition_point(|&e| e <= x)
}

/// One score band of a calibration table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationBand {
    /// Lower edge of the band (`None`: open below).
    pub lower: Option<f64>,
    /// Upper edge, exclusive (`None`: open above).
    pub upper: Option<f64>,
    /// Rows in the band.
    pub rows: usize,
    /// Bads in the band.
    pub bads: usize,
    /// Mean predicted probability of default.
    pub mean_predicted: f64,
    /// Observed bad rate.
    pub observed_rate: f64,
}

/// Predicted against observed default rates by score band: band i holds scores in `[edges[i-1], edges[i])`
/// (`edges` increasing; see [`quantile_edges`]). Empty bands are left out. NaN scores are skipped.
pub fn calibration_table(score: &[f64], pd: &[f64], bad: &[u8], edges: &[f64]) -> Vec<CalibrationBand> {
    assert!(score.len() == pd.len() && pd.len() == bad.len(), "one score and prediction per outcome");
    assert!(edges.windows(2).all(|w| w[0] < w[1]), "edges must increase");
    let mut acc = vec![(0usize, 0usize, 0.0f64); edges.len() + 1];
    for ((&s, &p), &y) in score.iter().zip(pd).zip(bad) {
        if s.is_nan() {
            continue;
        }
        let a = &mut acc[band_of(s, edges)];
        a.0 += 1;
        a.1 += usize::from(y);
        a.2 += p;
    }
    acc.iter()
        .enumerate()
        .filter(|(_, a)| a.0 > 0)
        .map(|(i, &(rows, bads, sum))| CalibrationBand {
            lower: i.checked_sub(1).map(|j| edges[j]),
            upper: edges.get(i).copied(),
            rows,
            bads,
            mean_predicted: sum / rows as f64,
            observed_rate: bads as f64 / rows as f64,
        })
        .collect()
}

/// One group of a lift table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiftRow {
    /// 1 = the riskiest tenth of rows.
    pub decile: usize,
    /// Rows in the group.
    pub rows: usize,
    /// Bads in the group.
    pub bads: usize,
    /// Bad rate of the group.
    pub bad_rate: f64,
    /// Bad rate of the group over the overall bad rate.
    pub lift: f64,
    /// Share of all bads in this and riskier groups (capture rate).
    pub cumulative_capture: f64,
    /// Bad rate of this and riskier groups over the overall bad rate.
    pub cumulative_lift: f64,
}

/// Lift by decile of score, riskiest first. Rows are ranked by score (ties by position) and cut into ten groups
/// of equal size (±1). Empty when there are no rows or no bads.
pub fn lift_table(score: &[f64], bad: &[u8]) -> Vec<LiftRow> {
    assert_eq!(score.len(), bad.len(), "one score per outcome");
    let n = score.len();
    let total_bads = bad.iter().filter(|&&y| y == 1).count();
    if n == 0 || total_bads == 0 {
        return Vec::new();
    }
    let overall = total_bads as f64 / n as f64;
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| score[b].total_cmp(&score[a]).then(a.cmp(&b)));
    let (mut cum_rows, mut cum_bads) = (0usize, 0usize);
    let mut out = Vec::new();
    for d in 0..10 {
        let (start, end) = (d * n / 10, (d + 1) * n / 10);
        if end == start {
            continue;
        }
        let bads = order[start..end].iter().filter(|&&i| bad[i] == 1).count();
        let rows = end - start;
        cum_rows += rows;
        cum_bads += bads;
        out.push(LiftRow {
            decile: d + 1,
            rows,
            bads,
            bad_rate: bads as f64 / rows as f64,
            lift: bads as f64 / rows as f64 / overall,
            cumulative_capture: cum_bads as f64 / total_bads as f64,
            cumulative_lift: cum_bads as f64 / cum_rows as f64 / overall,
        });
    }
    out
}

/// Empty shares are replaced by this in stability indices, so that ln(actual/expected) stays finite.
pub const STABILITY_EPS: f64 = 1e-4;

/// One bin of a stability index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StabilityBin {
    /// What the bin holds.
    pub label: String,
    /// Share of the expected (reference) sample.
    pub expected_share: f64,
    /// Share of the actual (recent) sample.
    pub actual_share: f64,
    /// (actual − expected) · ln(actual / expected), with [`STABILITY_EPS`] for empty shares.
    pub contribution: f64,
}

/// A population or characteristic stability index with its bins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stability {
    /// Per-bin shares and contributions.
    pub bins: Vec<StabilityBin>,
    /// The index: the sum of contributions. Rule of thumb: < 0.1 stable, 0.1–0.25 watch, > 0.25 shifted.
    pub index: f64,
}

/// Stability index from bin counts of the expected and the actual sample (same bins, same order).
pub fn stability_from_counts(labels: &[String], expected: &[u64], actual: &[u64]) -> Stability {
    assert!(labels.len() == expected.len() && expected.len() == actual.len(), "one count per bin and sample");
    let (te, ta) = (expected.iter().sum::<u64>().max(1) as f64, actual.iter().sum::<u64>().max(1) as f64);
    let bins: Vec<StabilityBin> = labels
        .iter()
        .zip(expected.iter().zip(actual))
        .map(|(label, (&e, &a))| {
            let (es, as_) = (e as f64 / te, a as f64 / ta);
            let (ee, ae) = (es.max(STABILITY_EPS), as_.max(STABILITY_EPS));
            StabilityBin {
                label: label.clone(),
                expected_share: es,
                actual_share: as_,
                contribution: (ae - ee) * (ae / ee).ln(),
            }
        })
        .collect();
    let index = bins.iter().map(|b| b.contribution).sum();
    Stability { bins, index }
}

/// Population stability index of a continuous score: bins are the `bins` quantile bands of the `expected` sample,
/// plus a bin for NaN when either sample has one.
pub fn psi(expected: &[f64], actual: &[f64], bins: usize) -> Stability {
    let edges = quantile_edges(expected, bins.max(1));
    let count = |values: &[f64]| {
        let mut c = vec![0u64; edges.len() + 2];
        for &x in values {
            c[if x.is_nan() { edges.len() + 1 } else { band_of(x, &edges) }] += 1;
        }
        c
    };
    let (mut e, mut a) = (count(expected), count(actual));
    let mut labels: Vec<String> = (0..=edges.len())
        .map(|i| {
            let lower = i.checked_sub(1).map_or("-inf".to_string(), |j| edges[j].to_string());
            let upper = edges.get(i).map_or("inf".to_string(), |x| x.to_string());
            format!("[{lower}, {upper})")
        })
        .collect();
    if e[edges.len() + 1] + a[edges.len() + 1] == 0 {
        e.pop();
        a.pop();
    } else {
        labels.push("Missing".into());
    }
    stability_from_counts(&labels, &e, &a)
}

/// Characteristic stability index of one feature, from each row's bin index (for instance a scorecard's bins, see
/// `Scorecard::bin_indices`) in the expected and the actual sample; `bins` is the number of bins.
pub fn csi(expected_bins: &[usize], actual_bins: &[usize], bins: usize) -> Stability {
    let count = |values: &[usize]| {
        let mut c = vec![0u64; bins];
        for &b in values {
            assert!(b < bins, "bin {b} out of range ({bins} bins)");
            c[b] += 1;
        }
        c
    };
    let labels: Vec<String> = (0..bins).map(|b| format!("bin {b}")).collect();
    stability_from_counts(&labels, &count(expected_bins), &count(actual_bins))
}

/// Outcomes of one group under a cutoff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupOutcome {
    /// The group's value of the protected attribute (`(missing)` for a missing value).
    pub group: String,
    /// Applicants in the group.
    pub rows: usize,
    /// Approved applicants (risk at or below the cutoff).
    pub approved: usize,
    /// approved / rows.
    pub approval_rate: f64,
    /// Actual goods in the group.
    pub goods: usize,
    /// Actual goods approved.
    pub goods_approved: usize,
    /// Equal-opportunity true-positive rate: goods_approved / goods (`None` without goods).
    pub true_positive_rate: Option<f64>,
}

/// Approval and equal-opportunity comparison of the groups of a protected attribute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FairnessReport {
    /// The cutoff: applicants with risk at or below it are approved.
    pub cutoff: f64,
    /// One entry per group, in the attribute's value order.
    pub groups: Vec<GroupOutcome>,
    /// Lowest approval rate over highest (adverse-impact ratio); `None` when no group has an approval.
    pub approval_ratio: Option<f64>,
    /// Whether the ratio is at least 4/5 (the "four-fifths rule" of the US EEOC Uniform Guidelines, 1978).
    pub passes_four_fifths: bool,
    /// Highest minus lowest true-positive rate over groups with goods (equal opportunity, Hardt et al. 2016).
    pub tpr_gap: f64,
}

/// Fairness report for the protected attribute `group` (one value per applicant): approval rate per group when
/// applicants with `risk <= cutoff` are approved, the adverse-impact ratio and the four-fifths rule, and the gap in
/// the share of actual goods approved (equal opportunity).
pub fn fairness_report(risk: &[f64], bad: &[u8], group: &Column, cutoff: f64) -> FairnessReport {
    assert!(risk.len() == bad.len() && bad.len() == group.len(), "one risk, outcome and group per applicant");
    // (rows, approved, goods, goods approved) per group. Keys order groups: level code, or the number's bits mapped
    // to an integer of the same order (as `f64::total_cmp` does); missing values last.
    let mut acc: BTreeMap<(bool, i64), [usize; 4]> = BTreeMap::new();
    for i in 0..risk.len() {
        let key = match group {
            Column::Categorical { codes, .. } if codes[i] != MISSING_CODE => (false, i64::from(codes[i])),
            Column::Numeric(v) if !v[i].is_nan() => {
                let bits = v[i].to_bits() as i64;
                (false, bits ^ ((((bits >> 63) as u64) >> 1) as i64))
            }
            _ => (true, 0),
        };
        let a = acc.entry(key).or_insert([0; 4]);
        let (approved, good) = (risk[i] <= cutoff, bad[i] == 0);
        a[0] += 1;
        a[1] += usize::from(approved);
        a[2] += usize::from(good);
        a[3] += usize::from(approved && good);
    }
    let label = |(missing, key): (bool, i64)| -> String {
        match group {
            _ if missing => "(missing)".to_string(),
            Column::Categorical { levels, .. } => levels[key as usize].clone(),
            Column::Numeric(_) => {
                let bits = key ^ ((((key >> 63) as u64) >> 1) as i64);
                f64::from_bits(bits as u64).to_string()
            }
        }
    };
    let groups: Vec<GroupOutcome> = acc
        .into_iter()
        .map(|(key, [rows, approved, goods, goods_approved])| GroupOutcome {
            group: label(key),
            rows,
            approved,
            approval_rate: approved as f64 / rows as f64,
            goods,
            goods_approved,
            true_positive_rate: (goods > 0).then(|| goods_approved as f64 / goods as f64),
        })
        .collect();
    let rates = groups.iter().map(|g| g.approval_rate);
    let (lo, hi) = rates.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), r| (lo.min(r), hi.max(r)));
    let approval_ratio = (hi > 0.0).then(|| lo / hi);
    let tprs = groups.iter().filter_map(|g| g.true_positive_rate);
    let (tlo, thi) = tprs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), r| (lo.min(r), hi.max(r)));
    FairnessReport {
        cutoff,
        groups,
        approval_ratio,
        passes_four_fifths: approval_ratio.is_some_and(|r| r >= 0.8),
        tpr_gap: if thi >= tlo { thi - tlo } else { 0.0 },
    }
}

/// Mean and sample standard deviation (0 for a single value), e.g. of a metric over folds.
pub fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, var.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_counts_ordered_pairs_and_half_ties() {
        assert_eq!(auc(&[0.1, 0.4, 0.35, 0.8], &[0, 0, 1, 1]), Some(0.75));
        assert_eq!(auc(&[0.5, 0.5], &[0, 1]), Some(0.5));
        assert_eq!(auc(&[0.9, 0.1], &[0, 1]), Some(0.0));
        assert_eq!(auc(&[0.1, 0.2], &[1, 1]), None);
    }

    #[test]
    fn ks_is_the_largest_cumulative_gap() {
        assert_eq!(ks(&[0.1, 0.2, 0.8, 0.9], &[0, 0, 1, 1]), Some(1.0));
        assert_eq!(ks(&[0.1, 0.4, 0.35, 0.8], &[0, 0, 1, 1]), Some(0.5));
        assert_eq!(ks(&[0.5, 0.5], &[0, 1]), Some(0.0));
    }

    #[test]
    fn gini_brier_and_log_loss_by_hand() {
        assert_eq!(gini(&[0.1, 0.4, 0.35, 0.8], &[0, 0, 1, 1]), Some(0.5));
        assert!((brier(&[0.2, 0.6], &[0, 1]).expect("rows") - 0.1).abs() < 1e-15);
        let ll = log_loss(&[0.2, 0.6], &[0, 1]).expect("rows");
        assert!((ll - (-(0.8f64.ln()) - 0.6f64.ln()) / 2.0).abs() < 1e-15);
        assert!(log_loss(&[0.0], &[1]).expect("rows").is_finite());
        assert_eq!(brier(&[], &[]), None);
    }

    #[test]
    fn calibration_table_bands_scores() {
        let score = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let pd = [0.1, 0.1, 0.2, 0.2, 0.5, 0.7];
        let bad = [0, 0, 0, 1, 1, 1];
        let t = calibration_table(&score, &pd, &bad, &[3.0, 5.0]);
        assert_eq!(t.len(), 3);
        assert_eq!((t[0].lower, t[0].upper, t[0].rows, t[0].bads), (None, Some(3.0), 2, 0));
        assert_eq!((t[1].rows, t[1].bads, t[1].observed_rate), (2, 1, 0.5));
        assert!((t[2].mean_predicted - 0.6).abs() < 1e-15);
        assert_eq!(quantile_edges(&score, 3), vec![3.0, 5.0]);
        assert_eq!(quantile_edges(&[1.0, 1.0, 1.0, 2.0], 4), vec![2.0]);
    }

    #[test]
    fn lift_table_ranks_riskiest_first() {
        let score: Vec<f64> = (0..100).map(f64::from).collect();
        let bad: Vec<u8> = (0..100).map(|i| u8::from(i >= 90)).collect();
        let t = lift_table(&score, &bad);
        assert_eq!(t.len(), 10);
        assert_eq!((t[0].decile, t[0].rows, t[0].bads), (1, 10, 10));
        assert!((t[0].lift - 10.0).abs() < 1e-12);
        assert_eq!(t[0].cumulative_capture, 1.0);
        assert_eq!(t[9].cumulative_lift, 1.0);
    }

    #[test]
    fn psi_of_a_sample_against_itself_is_zero_and_grows_with_shift() {
        let a: Vec<f64> = (0..1000).map(|i| f64::from(i % 97)).collect();
        assert_eq!(psi(&a, &a, 10).index, 0.0);
        let shifted: Vec<f64> = a.iter().map(|x| x + 30.0).collect();
        assert!(psi(&a, &shifted, 10).index > 0.25);
        // Missing values get their own bin; an empty bin stays finite.
        let with_nan: Vec<f64> = a.iter().map(|&x| if x < 5.0 { f64::NAN } else { x }).collect();
        let s = psi(&a, &with_nan, 10);
        assert_eq!(s.bins.last().map(|b| b.label.as_str()), Some("Missing"));
        assert!(s.index.is_finite() && s.index > 0.0);
        let c = csi(&[0, 1, 1, 2], &[0, 1, 1, 2], 3);
        assert_eq!(c.index, 0.0);
        // Hand check: shares (0.5, 0.5) vs (0.25, 0.75).
        let h = csi(&[0, 1], &[0, 1, 1, 1], 2);
        let want = (0.25 - 0.5) * (0.25f64 / 0.5).ln() + (0.75 - 0.5) * (0.75f64 / 0.5).ln();
        assert!((h.index - want).abs() < 1e-15);
    }

    #[test]
    fn fairness_report_compares_groups() {
        // Group a: 4 rows, 3 approved (2 of 3 goods). Group b: 4 rows, 1 approved (1 of 2 goods).
        let group = Column::Categorical { levels: vec!["a".into(), "b".into()], codes: vec![0, 0, 0, 0, 1, 1, 1, 1] };
        let risk = [0.1, 0.2, 0.3, 0.9, 0.1, 0.8, 0.9, 0.9];
        let bad = [0, 0, 1, 0, 0, 0, 1, 1];
        let r = fairness_report(&risk, &bad, &group, 0.5);
        assert_eq!(r.groups.len(), 2);
        assert_eq!((r.groups[0].approved, r.groups[0].goods, r.groups[0].goods_approved), (3, 3, 2));
        assert_eq!(r.approval_ratio, Some(0.25 / 0.75));
        assert!(!r.passes_four_fifths);
        assert!((r.tpr_gap - (2.0 / 3.0 - 0.5)).abs() < 1e-15);
        let numeric = Column::Numeric(vec![2.0, 2.0, -1.0, f64::NAN]);
        let r = fairness_report(&[0.1, 0.9, 0.1, 0.1], &[0, 0, 0, 1], &numeric, 0.5);
        let names: Vec<&str> = r.groups.iter().map(|g| g.group.as_str()).collect();
        assert_eq!(names, ["-1", "2", "(missing)"]);
        assert!(r.passes_four_fifths == (r.approval_ratio >= Some(0.8)));
    }

    /// AUC by brute force over all pairs, to check the rank formula.
    fn auc_pairs(score: &[f64], bad: &[u8]) -> f64 {
        let (mut wins, mut pairs) = (0.0, 0.0);
        for i in 0..score.len() {
            for j in 0..score.len() {
                if bad[i] == 1 && bad[j] == 0 {
                    pairs += 1.0;
                    wins += if score[i] > score[j] {
                        1.0
                    } else if score[i] == score[j] {
                        0.5
                    } else {
                        0.0
                    };
                }
            }
        }
        wins / pairs
    }

    proptest::proptest! {
        #[test]
        fn auc_matches_pair_counting(rows in proptest::collection::vec((0u8..6, 0u8..2), 2..60)) {
            let score: Vec<f64> = rows.iter().map(|r| f64::from(r.0)).collect();
            let bad: Vec<u8> = rows.iter().map(|r| r.1).collect();
            if let Some(a) = auc(&score, &bad) {
                proptest::prop_assert!((a - auc_pairs(&score, &bad)).abs() < 1e-12);
            }
        }
    }
}
