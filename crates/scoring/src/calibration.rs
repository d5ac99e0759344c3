//! Calibration: remapping a model's probabilities of default so that they match observed default rates, fitted on a
//! sample the model did not train on.
//!
//! [`Platt`] scaling fits p' = σ(a · logit p + b) by Newton's method (Platt 1999), with Platt's smoothed targets
//! (N₊ + 1)/(N₊ + 2) for bads and 1/(N₋ + 2) for goods so that a perfectly separated sample still has a finite fit.
//! It keeps the ranking and needs few rows. [`Isotonic`] regression fits the best non-decreasing step function by
//! pool-adjacent-violators (Ayer et al. 1955) and interpolates linearly between the fitted blocks; it corrects any
//! monotone distortion but needs more data. Both are serialisable and apply to one probability at a time.

use serde::{Deserialize, Serialize};

use crate::logistic::sigmoid;

/// Probabilities are clamped to [EPS, 1 − EPS] before taking logits.
const EPS: f64 = 1e-12;

/// Why a calibration could not be fitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CalibrationError {
    /// No rows.
    #[error("calibration needs at least one row")]
    Empty,
    /// Predictions and outcomes differ in length.
    #[error("{predictions} predictions for {outcomes} outcomes")]
    Length {
        /// Number of predictions.
        predictions: usize,
        /// Number of outcomes.
        outcomes: usize,
    },
    /// A prediction is not a probability.
    #[error("prediction {row} is {value}, not a probability in [0, 1]")]
    NotProbability {
        /// 0-based row.
        row: usize,
        /// The value.
        value: f64,
    },
}

fn check(p: &[f64], bad: &[u8]) -> Result<(), CalibrationError> {
    if p.len() != bad.len() {
        return Err(CalibrationError::Length { predictions: p.len(), outcomes: bad.len() });
    }
    if p.is_empty() {
        return Err(CalibrationError::Empty);
    }
    if let Some(row) = p.iter().position(|x| !(0.0..=1.0).contains(x)) {
        return Err(CalibrationError::NotProbability { row, value: p[row] });
    }
    Ok(())
}

fn logit(p: f64) -> f64 {
    let p = p.clamp(EPS, 1.0 - EPS);
    (p / (1.0 - p)).ln()
}

/// Platt scaling: p' = σ(a · logit p + b).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Platt {
    a: f64,
    b: f64,
}

impl Platt {
    /// Fits `a` and `b` on predictions `p` and outcomes `bad` (1 = bad).
    pub fn fit(p: &[f64], bad: &[u8]) -> Result<Platt, CalibrationError> {
        check(p, bad)?;
        let bads = bad.iter().filter(|&&y| y == 1).count() as f64;
        let goods = bad.len() as f64 - bads;
        let (hi, lo) = ((bads + 1.0) / (bads + 2.0), 1.0 / (goods + 2.0));
        let z: Vec<f64> = p.iter().map(|&x| logit(x)).collect();
        let t: Vec<f64> = bad.iter().map(|&y| if y == 1 { hi } else { lo }).collect();
        let loss = |a: f64, b: f64| -> f64 {
            z.iter()
                .zip(&t)
                .map(|(&z, &t)| {
                    let e = a * z + b;
                    // Cross-entropy −t ln σ(e) − (1 − t) ln(1 − σ(e)) = ln(1 + eᵉ) − t·e, computed stably.
                    e.max(0.0) + (-e.abs()).exp().ln_1p() - t * e
                })
                .sum()
        };
        let (mut a, mut b) = (1.0, 0.0);
        let mut current = loss(a, b);
        for _ in 0..100 {
            let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for (&z, &t) in z.iter().zip(&t) {
                let mu = sigmoid(a * z + b);
                let w = mu * (1.0 - mu);
                ga += (mu - t) * z;
                gb += mu - t;
                haa += w * z * z;
                hab += w * z;
                hbb += w;
            }
            // A tiny ridge keeps the 2×2 system solvable when every logit is equal.
            let (haa, hbb) = (haa + 1e-12, hbb + 1e-12);
            let det = haa * hbb - hab * hab;
            if det <= 0.0 {
                break;
            }
            let (da, db) = ((hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det);
            let mut scale = 1.0;
            while scale > 1e-8 {
                let next = loss(a - scale * da, b - scale * db);
                if next <= current {
                    a -= scale * da;
                    b -= scale * db;
                    current = next;
                    break;
                }
                scale /= 2.0;
            }
            if (scale * da).abs().max((scale * db).abs()) < 1e-10 || scale <= 1e-8 {
                break;
            }
        }
        Ok(Platt { a, b })
    }

    /// Slope on the logit.
    pub fn a(&self) -> f64 {
        self.a
    }

    /// Intercept.
    pub fn b(&self) -> f64 {
        self.b
    }

    /// The calibrated probability.
    pub fn apply(&self, p: f64) -> f64 {
        if p.is_nan() { p } else { sigmoid(self.a * logit(p) + self.b) }
    }
}

/// Isotonic regression: a non-decreasing map of probabilities, linear between fitted knots, flat beyond them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Isotonic {
    /// Knot positions, non-decreasing.
    x: Vec<f64>,
    /// Knot values, non-decreasing.
    y: Vec<f64>,
}

impl Isotonic {
    /// Fits the isotonic regression of outcomes `bad` on predictions `p`.
    pub fn fit(p: &[f64], bad: &[u8]) -> Result<Isotonic, CalibrationError> {
        check(p, bad)?;
        let mut order: Vec<usize> = (0..p.len()).collect();
        order.sort_by(|&i, &j| p[i].total_cmp(&p[j]));
        // Blocks: (sum of outcomes, rows, smallest x, largest x). Equal x start in one block.
        let mut blocks: Vec<(f64, f64, f64, f64)> = Vec::new();
        for &i in &order {
            let (x, y) = (p[i], f64::from(bad[i]));
            match blocks.last_mut() {
                Some(last) if last.3 == x => {
                    last.0 += y;
                    last.1 += 1.0;
                }
                _ => blocks.push((y, 1.0, x, x)),
            }
            // Pool adjacent violators: merge while the previous block's mean exceeds the last one's.
            while blocks.len() >= 2 {
                let (s2, n2, _, hi2) = blocks[blocks.len() - 1];
                let (s1, n1, _, _) = blocks[blocks.len() - 2];
                if s1 / n1 <= s2 / n2 {
                    break;
                }
                blocks.pop();
                let last = blocks.last_mut().expect("two blocks were there");
                last.0 += s2;
                last.1 += n2;
                last.3 = hi2;
            }
        }
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for &(s, n, lo, hi) in &blocks {
            x.push(lo);
            y.push(s / n);
            if hi > lo {
                x.push(hi);
                y.push(s / n);
            }
        }
        Ok(Isotonic { x, y })
    }

    /// Knot positions and values.
    pub fn knots(&self) -> (&[f64], &[f64]) {
        (&self.x, &self.y)
    }

    /// The calibrated probability.
    pub fn apply(&self, p: f64) -> f64 {
        if p.is_nan() {
            return p;
        }
        let k = self.x.partition_point(|&x| x <= p);
        if k == 0 {
            return self.y[0];
        }
        if k == self.x.len() {
            return self.y[k - 1];
        }
        let (x0, x1, y0, y1) = (self.x[k - 1], self.x[k], self.y[k - 1], self.y[k]);
        y0 + (y1 - y0) * (p - x0) / (x1 - x0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::log_loss;

    /// Outcomes drawn deterministically with true probability `q`, predictions distorted from `q`.
    fn sample(distort: impl Fn(f64) -> f64) -> (Vec<f64>, Vec<u8>) {
        let (mut p, mut y) = (Vec::new(), Vec::new());
        for i in 0..2000 {
            let q = 0.02 + 0.9 * f64::from(i % 100) / 100.0;
            // A low-discrepancy "coin": bad for a share q of the rows at each level.
            let u = (f64::from(i / 100) * 0.618_033_988_749_895).fract();
            p.push(distort(q));
            y.push(u8::from(u < q));
        }
        (p, y)
    }

    #[test]
    fn platt_improves_log_loss_on_a_miscalibrated_sample() {
        // Over-confident predictions: logit stretched threefold and shifted.
        let (p, y) = sample(|q| sigmoid(3.0 * logit(q) + 1.0));
        let platt = Platt::fit(&p, &y).expect("fits");
        let calibrated: Vec<f64> = p.iter().map(|&x| platt.apply(x)).collect();
        let (before, after) = (log_loss(&p, &y).expect("rows"), log_loss(&calibrated, &y).expect("rows"));
        assert!(after < before - 0.05, "{before} -> {after}");
        assert!((platt.a() - 1.0 / 3.0).abs() < 0.1, "a = {}", platt.a());
    }

    #[test]
    fn platt_survives_perfect_separation() {
        let platt = Platt::fit(&[0.1, 0.2, 0.8, 0.9], &[0, 0, 1, 1]).expect("fits");
        assert!(platt.a().is_finite() && platt.b().is_finite() && platt.a() > 0.0);
    }

    #[test]
    fn isotonic_pools_violators() {
        let iso = Isotonic::fit(&[0.1, 0.2, 0.3, 0.4], &[0, 1, 0, 1]).expect("fits");
        // Blocks: {0.1}=0, {0.2,0.3}=0.5, {0.4}=1.
        assert_eq!(iso.knots(), (&[0.1, 0.2, 0.3, 0.4][..], &[0.0, 0.5, 0.5, 1.0][..]));
        assert_eq!(iso.apply(0.0), 0.0);
        assert!((iso.apply(0.15) - 0.25).abs() < 1e-12);
        assert_eq!(iso.apply(0.25), 0.5);
        assert_eq!(iso.apply(0.9), 1.0);
        assert!(Isotonic::fit(&[0.5, 1.5], &[0, 1]).is_err());
    }

    #[test]
    fn isotonic_improves_log_loss_of_a_distorted_sample() {
        let (p, y) = sample(|q| q * q);
        let iso = Isotonic::fit(&p, &y).expect("fits");
        let calibrated: Vec<f64> = p.iter().map(|&x| iso.apply(x)).collect();
        let before = crate::metrics::brier(&p, &y).expect("rows");
        let after = crate::metrics::brier(&calibrated, &y).expect("rows");
        assert!(after < before, "{before} -> {after}");
    }

    proptest::proptest! {
        #[test]
        fn isotonic_output_is_monotone(rows in proptest::collection::vec((0.0f64..1.0, 0u8..2), 1..80),
                                       probes in proptest::collection::vec(0.0f64..1.0, 2..40)) {
            let p: Vec<f64> = rows.iter().map(|r| r.0).collect();
            let y: Vec<u8> = rows.iter().map(|r| r.1).collect();
            let iso = Isotonic::fit(&p, &y).expect("valid");
            let mut probes = probes;
            probes.sort_by(f64::total_cmp);
            let out: Vec<f64> = probes.iter().map(|&x| iso.apply(x)).collect();
            proptest::prop_assert!(out.windows(2).all(|w| w[0] <= w[1] + 1e-15), "{:?}", out);
            proptest::prop_assert!(out.iter().all(|v| (0.0..=1.0).contains(v)));
            // The fitted values on the sample are non-decreasing in p.
            let (knots_x, knots_y) = iso.knots();
            proptest::prop_assert!(knots_x.windows(2).all(|w| w[0] <= w[1]));
            proptest::prop_assert!(knots_y.windows(2).all(|w| w[0] <= w[1]));
        }
    }
}
