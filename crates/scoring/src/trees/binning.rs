//! Quantile bins for histogram training: each feature's training values are cut into at most `bins_max` ranges
//! (one per distinct value when there are few), and every row is stored as one small bin code per feature.
//!
//! A bin's upper boundary lies halfway between the largest training value in it and the smallest in the next, so
//! the split "bin ≤ b" is the raw split `x <= upper[b]` and unseen values between two training values fall to the
//! nearer one. Missing values (NaN) get their own code, one past the last bin.

/// Bin boundaries of one feature.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FeatureBins {
    /// `upper[b]` is the largest value in bin `b`'s range; the last bin is unbounded and has no entry.
    pub(crate) upper: Vec<f64>,
}

impl FeatureBins {
    /// Number of value bins (the missing code is this number).
    pub(crate) fn count(&self) -> usize {
        self.upper.len() + 1
    }

    /// The bin code of a value.
    pub(crate) fn code(&self, x: f64) -> u8 {
        if x.is_nan() {
            return self.count() as u8;
        }
        self.upper.partition_point(|&u| u < x) as u8
    }

    /// Cuts the training values of one feature (NaN ignored).
    pub(crate) fn fit(values: &[f64], bins_max: usize) -> FeatureBins {
        assert!((2..=255).contains(&bins_max), "bins_max in 2..=255");
        let mut sorted: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
        sorted.sort_by(f64::total_cmp);
        // Distinct values with their counts.
        let mut distinct: Vec<(f64, usize)> = Vec::new();
        for x in sorted {
            match distinct.last_mut() {
                Some((v, n)) if *v == x => *n += 1,
                _ => distinct.push((x, 1)),
            }
        }
        let mut upper = Vec::new();
        if distinct.len() <= bins_max {
            for w in distinct.windows(2) {
                upper.push(midpoint(w[0].0, w[1].0));
            }
            return FeatureBins { upper };
        }
        // Greedy quantiles: close a bin once it holds its share of what is left, so heavy values stand alone.
        let mut remaining: usize = distinct.iter().map(|d| d.1).sum();
        let mut in_bin = 0usize;
        for (k, &(x, n)) in distinct.iter().enumerate() {
            in_bin += n;
            let bins_left = bins_max - upper.len();
            let next = distinct.get(k + 1);
            if let Some(&(next_x, next_n)) = next {
                let share = remaining as f64 / bins_left as f64;
                // Close when full, or when adding the next value would overshoot by more than it fills.
                if bins_left > 1 && (in_bin as f64 >= share || (in_bin + next_n) as f64 - share > share - in_bin as f64)
                {
                    upper.push(midpoint(x, next_x));
                    remaining -= in_bin;
                    in_bin = 0;
                }
            }
        }
        FeatureBins { upper }
    }
}

/// A value in `[a, b)` halfway between `a < b`, so that `x <= midpoint` keeps `a` and excludes `b`.
fn midpoint(a: f64, b: f64) -> f64 {
    let m = a + (b - a) / 2.0;
    if m < b && m >= a { m } else { a }
}

/// Training rows as bin codes, row-major.
#[derive(Debug, Clone)]
pub(crate) struct BinnedRows {
    /// Per-feature boundaries.
    pub(crate) features: Vec<FeatureBins>,
    /// `codes[row * features.len() + j]`: row-major, for histograms (one row's codes are adjacent).
    pub(crate) codes: Vec<u8>,
    /// `by_feature[j * rows + row]`: feature-major, for partitioning rows on one feature.
    pub(crate) by_feature: Vec<u8>,
    /// Number of rows.
    pub(crate) rows: usize,
    /// Where each feature's histogram starts in a flat histogram (each feature has `count() + 1` slots).
    pub(crate) offsets: Vec<usize>,
    /// Total histogram slots.
    pub(crate) slots: usize,
}

impl BinnedRows {
    /// Bins the columns (one `Vec<f64>` per feature) using boundaries fitted on the rows in `fit_rows`; the result
    /// holds those rows only, in that order.
    pub(crate) fn new(columns: &[Vec<f64>], fit_rows: &[usize], bins_max: usize) -> BinnedRows {
        let features: Vec<FeatureBins> = columns
            .iter()
            .map(|c| FeatureBins::fit(&fit_rows.iter().map(|&i| c[i]).collect::<Vec<_>>(), bins_max))
            .collect();
        let codes = codes(&features, columns, fit_rows);
        let rows = fit_rows.len();
        let mut by_feature = vec![0u8; codes.len()];
        for (r, row) in codes.chunks_exact(features.len().max(1)).enumerate() {
            for (j, &code) in row.iter().enumerate() {
                by_feature[j * rows + r] = code;
            }
        }
        let mut offsets = Vec::with_capacity(features.len());
        let mut slots = 0;
        for bins in &features {
            offsets.push(slots);
            slots += bins.count() + 1;
        }
        BinnedRows { features, codes, by_feature, rows, offsets, slots }
    }

    /// The rows `rows` of `columns` as bin codes with these boundaries, row-major.
    pub(crate) fn codes_of(&self, columns: &[Vec<f64>], rows: &[usize]) -> Vec<u8> {
        codes(&self.features, columns, rows)
    }

    /// Bin codes of training row `r`.
    pub(crate) fn row(&self, r: usize) -> &[u8] {
        let n = self.features.len();
        &self.codes[r * n..(r + 1) * n]
    }
}

fn codes(features: &[FeatureBins], columns: &[Vec<f64>], rows: &[usize]) -> Vec<u8> {
    let n_features = columns.len();
    let mut codes = vec![0u8; rows.len() * n_features];
    for (j, (column, bins)) in columns.iter().zip(features).enumerate() {
        for (r, &i) in rows.iter().enumerate() {
            codes[r * n_features + j] = bins.code(column[i]);
        }
    }
    codes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_distinct_values_get_one_bin_each_and_nan_its_own_code() {
        let bins = FeatureBins::fit(&[3.0, 1.0, 2.0, 2.0, f64::NAN], 255);
        assert_eq!(bins.upper, vec![1.5, 2.5]);
        assert_eq!([1.0, 1.5, 1.6, 2.0, 3.0, 9.0, f64::NAN].map(|x| bins.code(x)), [0, 0, 1, 1, 2, 2, 3]);
    }

    #[test]
    fn many_values_are_cut_into_quantiles_with_heavy_values_alone() {
        let mut values: Vec<f64> = (0..1000).map(f64::from).collect();
        values.extend(std::iter::repeat_n(500.0, 2000));
        let bins = FeatureBins::fit(&values, 16);
        assert!(bins.count() <= 16 && bins.count() >= 12, "{} bins", bins.count());
        let heavy = bins.code(500.0);
        assert_ne!(bins.code(499.0), heavy);
        assert_ne!(bins.code(501.0), heavy);
        assert!(bins.upper.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn midpoint_of_adjacent_floats_keeps_the_lower() {
        let a = 1.0f64;
        let b = f64::from_bits(a.to_bits() + 1);
        assert_eq!(midpoint(a, b), a);
        assert_eq!(midpoint(-1.0, 1.0), 0.0);
    }
}
