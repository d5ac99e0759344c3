//! Discrimination and accuracy measures of predicted probabilities against binary outcomes.
//!
//! Scores are "higher = more likely bad" throughout. Ties are handled exactly: AUC counts a tied pair as half.

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
