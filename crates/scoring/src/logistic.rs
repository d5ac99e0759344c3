//! Logistic regression of a binary target on a small dense design, by Newton's method (iteratively reweighted least
//! squares) with an L2 penalty on the slopes, and the inference that goes with it: standard errors from the inverse
//! Hessian, Wald z statistics and two-sided p-values from the normal distribution.
//!
//! The model is P(y = 1 | x) = σ(b₀ + Σ bⱼ xⱼ). The fit maximises ℓ(b) − λ/2 Σⱼ bⱼ² (the intercept b₀ is not
//! penalised), which with λ = 1 is scikit-learn's `LogisticRegression(C=1)`. The penalty keeps the optimum finite
//! under complete separation; without it (λ = 0) a separated sample ends with `converged() == false`. Standard
//! errors are the square roots of the diagonal of (X'WX + λĨ)⁻¹ at the optimum (the usual Wald approximation; with
//! λ > 0 they are slightly smaller than unpenalised ones).
//!
//! The linear algebra is a small Cholesky factorisation: designs here have tens of columns, not thousands.

use serde::{Deserialize, Serialize};

/// Settings of the Newton iterations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogisticConfig {
    /// L2 penalty λ on the slopes (not the intercept); 0 for plain maximum likelihood.
    pub l2: f64,
    /// Most Newton iterations.
    pub max_iter: usize,
    /// Converged when the largest coefficient step is below this.
    pub tol: f64,
}

impl Default for LogisticConfig {
    fn default() -> Self {
        LogisticConfig { l2: 1.0, max_iter: 100, tol: 1e-8 }
    }
}

/// Why a logistic model could not be fitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LogisticError {
    /// No rows.
    #[error("logistic regression needs at least one row")]
    Empty,
    /// A column or the target has the wrong length.
    #[error("design column {column} has {rows} rows, the target {targets}")]
    Length {
        /// 0-based column index.
        column: usize,
        /// Its length.
        rows: usize,
        /// The target's length.
        targets: usize,
    },
    /// A value is NaN or infinite.
    #[error("design column {column}, row {row}: value is not finite")]
    NotFinite {
        /// 0-based column index.
        column: usize,
        /// 0-based row.
        row: usize,
    },
    /// The Hessian is not positive definite (collinear columns with no penalty).
    #[error("the design is singular (collinear or constant columns); use an L2 penalty or drop columns")]
    Singular,
    /// The configuration is out of range.
    #[error("logistic configuration: {0}")]
    Config(String),
}

/// A fitted logistic regression with its Wald inference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticModel {
    intercept: f64,
    coefficients: Vec<f64>,
    /// Intercept first, then one per coefficient.
    std_errors: Vec<f64>,
    log_likelihood: f64,
    rows: usize,
    iterations: usize,
    converged: bool,
}

/// The logistic function 1 / (1 + e^(−x)), without overflow.
pub fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// The complementary error function, to about 1e-15 relative error.
///
/// For |x| < 2, erf by its everywhere-positive series erf x = (2/√π) e^(−x²) Σₙ 2ⁿ x^(2n+1) / (1·3···(2n+1))
/// (Abramowitz & Stegun 7.1.6); beyond, the continued fraction erfc x = e^(−x²)/√π · 1/(x + ½/(x + 1/(x + 3/2/(x
/// + …)))) (A&S 7.1.14), evaluated backwards.
pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    let inv_sqrt_pi = 1.0 / std::f64::consts::PI.sqrt();
    if x < 2.0 {
        let (mut term, mut sum, mut n) = (x, x, 0.0);
        while term > sum * 1e-17 {
            n += 1.0;
            term *= 2.0 * x * x / (2.0 * n + 1.0);
            sum += term;
        }
        1.0 - 2.0 * inv_sqrt_pi * (-x * x).exp() * sum
    } else {
        let mut t = x;
        for k in (1..=120).rev() {
            t = x + (f64::from(k) / 2.0) / t;
        }
        inv_sqrt_pi * (-x * x).exp() / t
    }
}

/// Two-sided p-value of a standard normal statistic: P(|Z| ≥ |z|) = erfc(|z|/√2).
pub fn normal_two_sided_p(z: f64) -> f64 {
    erfc(z.abs() / std::f64::consts::SQRT_2)
}

/// Cholesky factor L (row-major, lower) of a symmetric positive-definite `a` of order `n`; `None` if not definite.
fn cholesky(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
            if i == j {
                let d = a[i * n + i] - s;
                // Relative pivot floor: a pivot lost to rounding means the matrix is singular for our purposes.
                if d <= a[i * n + i].abs() * 1e-13 || d <= 0.0 {
                    return None;
                }
                l[i * n + i] = d.sqrt();
            } else {
                l[i * n + j] = (a[i * n + j] - s) / l[j * n + j];
            }
        }
    }
    Some(l)
}

/// Solves L Lᵀ x = b for the Cholesky factor `l`.
fn cholesky_solve(l: &[f64], n: usize, b: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; n];
    for i in 0..n {
        let s: f64 = (0..i).map(|k| l[i * n + k] * y[k]).sum();
        y[i] = (b[i] - s) / l[i * n + i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|k| l[k * n + i] * x[k]).sum();
        x[i] = (y[i] - s) / l[i * n + i];
    }
    x
}

impl LogisticModel {
    /// Fits the model on design `columns` (each one value per row; no intercept column, it is added) and `target`
    /// (0/1).
    pub fn fit(columns: &[&[f64]], target: &[u8], config: &LogisticConfig) -> Result<LogisticModel, LogisticError> {
        LogisticModel::fit_from(columns, target, config, None)
    }

    /// As [`LogisticModel::fit`], starting the iterations from `start` (intercept first, then one per column), for
    /// instance a previous fit when refitting after adding or dropping a column. `None` starts from the
    /// intercept-only estimate.
    pub fn fit_from(
        columns: &[&[f64]],
        target: &[u8],
        config: &LogisticConfig,
        start: Option<&[f64]>,
    ) -> Result<LogisticModel, LogisticError> {
        if !(config.l2 >= 0.0 && config.l2.is_finite()) || config.max_iter == 0 || config.tol.is_nan() {
            return Err(LogisticError::Config("l2 must be finite and >= 0, max_iter >= 1".into()));
        }
        let n = target.len();
        if n == 0 {
            return Err(LogisticError::Empty);
        }
        for (j, c) in columns.iter().enumerate() {
            if c.len() != n {
                return Err(LogisticError::Length { column: j, rows: c.len(), targets: n });
            }
            if let Some(row) = c.iter().position(|x| !x.is_finite()) {
                return Err(LogisticError::NotFinite { column: j, row });
            }
        }
        let y: Vec<f64> = target.iter().map(|&t| f64::from(t)).collect();
        let p = columns.len() + 1;
        // Start at the intercept-only maximum-likelihood estimate (clamped for a one-class target).
        let rate = (y.iter().sum::<f64>() / n as f64).clamp(1e-6, 1.0 - 1e-6);
        let mut beta = vec![0.0; p];
        beta[0] = (rate / (1.0 - rate)).ln();
        if let Some(start) = start {
            if start.len() != p || start.iter().any(|b| !b.is_finite()) {
                return Err(LogisticError::Config(format!("the start needs {p} finite values")));
            }
            beta.copy_from_slice(start);
        }
        let mut eta = vec![0.0; n];
        linear(columns, &beta, &mut eta);
        let mut mu = vec![0.0; n];
        let mut objective = evaluate(&eta, &y, &beta, config.l2, &mut mu);
        let (mut iterations, mut converged) = (0, false);
        let mut weighted = vec![0.0; n];
        let mut residual = vec![0.0; n];
        let mut scaled = vec![0.0; n];
        let mut hessian = vec![0.0; p * p];
        let mut next_eta = vec![0.0; n];
        let mut next_mu = vec![0.0; n];
        let mut factor = None;
        while iterations < config.max_iter {
            iterations += 1;
            for i in 0..n {
                weighted[i] = mu[i] * (1.0 - mu[i]);
                residual[i] = y[i] - mu[i];
            }
            // Gradient and Hessian of the penalised log-likelihood (Hessian negated, so positive definite). Column 0
            // is the intercept's column of ones.
            let mut gradient = vec![0.0; p];
            for a in 0..p {
                if a == 0 {
                    gradient[0] = sum(&residual);
                    scaled.copy_from_slice(&weighted);
                } else {
                    let x = columns[a - 1];
                    gradient[a] = dot(x, &residual) - config.l2 * beta[a];
                    for ((s, x), w) in scaled.iter_mut().zip(x.iter()).zip(&weighted) {
                        *s = x * w;
                    }
                }
                for b in a..p {
                    let h = if b == 0 { sum(&scaled) } else { dot(columns[b - 1], &scaled) };
                    hessian[a * p + b] = h;
                    hessian[b * p + a] = h;
                }
                if a > 0 {
                    hessian[a * p + a] += config.l2;
                }
            }
            let l = cholesky(&hessian, p).ok_or(LogisticError::Singular)?;
            let step = cholesky_solve(&l, p, &gradient);
            factor = Some(l);
            // Step halving keeps every iteration an ascent step (it matters only far from the optimum).
            let mut scale = 1.0;
            let (mut next_beta, mut next_objective);
            loop {
                next_beta = beta.iter().zip(&step).map(|(b, s)| b + scale * s).collect::<Vec<f64>>();
                linear(columns, &next_beta, &mut next_eta);
                next_objective = evaluate(&next_eta, &y, &next_beta, config.l2, &mut next_mu);
                if next_objective >= objective - 1e-12 * objective.abs() || scale < 1e-6 {
                    break;
                }
                scale /= 2.0;
            }
            let largest_step = step.iter().fold(0.0f64, |m, s| m.max((scale * s).abs()));
            beta = next_beta;
            std::mem::swap(&mut eta, &mut next_eta);
            std::mem::swap(&mut mu, &mut next_mu);
            objective = next_objective;
            if largest_step < config.tol {
                converged = true;
                break;
            }
        }
        // Inverse Hessian for the standard errors. (The factor is from the start of the last iteration, whose step
        // was below the tolerance.)
        let l = factor.ok_or(LogisticError::Singular)?;
        let std_errors = (0..p)
            .map(|j| {
                let mut e = vec![0.0; p];
                e[j] = 1.0;
                cholesky_solve(&l, p, &e)[j].sqrt()
            })
            .collect();
        let log_likelihood = objective + 0.5 * config.l2 * beta[1..].iter().map(|b| b * b).sum::<f64>();
        Ok(LogisticModel {
            intercept: beta[0],
            coefficients: beta[1..].to_vec(),
            std_errors,
            log_likelihood,
            rows: n,
            iterations,
            converged,
        })
    }

    /// The intercept b₀.
    pub fn intercept(&self) -> f64 {
        self.intercept
    }

    /// The slopes b₁…, one per design column.
    pub fn coefficients(&self) -> &[f64] {
        &self.coefficients
    }

    /// Standard errors: intercept first, then one per coefficient.
    pub fn std_errors(&self) -> &[f64] {
        &self.std_errors
    }

    /// Wald z statistics (estimate / standard error): intercept first.
    pub fn z_values(&self) -> Vec<f64> {
        std::iter::once(self.intercept)
            .chain(self.coefficients.iter().copied())
            .zip(&self.std_errors)
            .map(|(b, s)| b / s)
            .collect()
    }

    /// Two-sided p-values of the z statistics: intercept first.
    pub fn p_values(&self) -> Vec<f64> {
        self.z_values().into_iter().map(normal_two_sided_p).collect()
    }

    /// Log-likelihood of the training data at the fitted coefficients (without the penalty).
    pub fn log_likelihood(&self) -> f64 {
        self.log_likelihood
    }

    /// Akaike's criterion 2k − 2ℓ, with k = coefficients + intercept.
    pub fn aic(&self) -> f64 {
        2.0 * (self.coefficients.len() + 1) as f64 - 2.0 * self.log_likelihood
    }

    /// Training rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Newton iterations used.
    pub fn iterations(&self) -> usize {
        self.iterations
    }

    /// Whether the step fell below the tolerance within the iteration cap.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// Linear predictor (log-odds of y = 1) for one row of design values.
    pub fn linear_predictor(&self, x: &[f64]) -> f64 {
        assert_eq!(x.len(), self.coefficients.len(), "one value per coefficient");
        self.intercept + dot(x, &self.coefficients)
    }

    /// P(y = 1) for one row of design values.
    pub fn predict(&self, x: &[f64]) -> f64 {
        sigmoid(self.linear_predictor(x))
    }
}

/// Lanes of the vectorisable sums: independent partial sums let the compiler use SIMD (floating-point addition is
/// not associative, so a plain iterator sum is evaluated strictly in order).
const LANES: usize = 8;

fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f64 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..LANES {
            acc[k] += x[k] * y[k];
        }
    }
    acc.iter().sum::<f64>() + tail
}

fn sum(a: &[f64]) -> f64 {
    let mut acc = [0.0; LANES];
    let chunks = a.chunks_exact(LANES);
    let tail: f64 = chunks.remainder().iter().sum();
    for x in chunks {
        for k in 0..LANES {
            acc[k] += x[k];
        }
    }
    acc.iter().sum::<f64>() + tail
}

/// η = Xb into `eta`.
fn linear(columns: &[&[f64]], beta: &[f64], eta: &mut [f64]) {
    eta.fill(beta[0]);
    for (c, b) in columns.iter().zip(&beta[1..]) {
        for (e, x) in eta.iter_mut().zip(c.iter()) {
            *e += b * x;
        }
    }
}

/// The penalised log-likelihood at linear predictor `eta`, writing the fitted probabilities into `mu` (one
/// exponential per row serves both).
fn evaluate(eta: &[f64], y: &[f64], beta: &[f64], l2: f64, mu: &mut [f64]) -> f64 {
    let mut ll = 0.0;
    for ((&e, &t), m) in eta.iter().zip(y).zip(mu.iter_mut()) {
        let z = (-e.abs()).exp();
        *m = if e >= 0.0 { 1.0 / (1.0 + z) } else { z / (1.0 + z) };
        // y·η − ln(1 + e^η), with ln(1 + e^η) = max(η, 0) + ln(1 + e^(−|η|)).
        ll += t * e - (e.max(0.0) + z.ln_1p());
    }
    ll - 0.5 * l2 * beta[1..].iter().map(|b| b * b).sum::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erfc_matches_reference_values() {
        // Reference values from Abramowitz & Stegun table 7.1 and mpmath at 30 digits.
        let cases = [
            (0.0, 1.0),
            (0.5, 0.479_500_122_186_953_5),
            (1.0, 0.157_299_207_050_285_13),
            (2.0, 0.004_677_734_981_047_266),
            (3.0, 2.209_049_699_858_544e-5),
            (6.0, 2.151_973_671_249_891_3e-17),
            (-1.0, 1.842_700_792_949_715),
        ];
        for (x, want) in cases {
            let got = erfc(x);
            assert!(((got - want) / want).abs() < 1e-13, "erfc({x}) = {got}, want {want}");
        }
        assert!((normal_two_sided_p(1.959_963_984_540_054) - 0.05).abs() < 1e-14);
    }

    #[test]
    fn binary_predictor_has_the_closed_form_solution() {
        // 2×2 table: x=0: 40 goods 10 bads; x=1: 20 goods 30 bads.
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for (xv, goods, bads) in [(0.0, 40, 10), (1.0, 20, 30)] {
            x.extend(std::iter::repeat_n(xv, goods + bads));
            y.extend(std::iter::repeat_n(0u8, goods));
            y.extend(std::iter::repeat_n(1u8, bads));
        }
        let config = LogisticConfig { l2: 0.0, ..LogisticConfig::default() };
        let m = LogisticModel::fit(&[&x], &y, &config).expect("fits");
        assert!(m.converged());
        // b0 = logit(10/50), b1 = log odds ratio = ln((30·40)/(20·10)).
        assert!((m.intercept() - (10.0f64 / 40.0).ln()).abs() < 1e-9);
        assert!((m.coefficients()[0] - 6.0f64.ln()).abs() < 1e-9);
        // SE(b0) = √(1/40 + 1/10), SE(b1) = √(1/40 + 1/10 + 1/20 + 1/30) (Woolf).
        assert!((m.std_errors()[0] - (1.0f64 / 40.0 + 1.0 / 10.0).sqrt()).abs() < 1e-9);
        let se1 = (1.0f64 / 40.0 + 1.0 / 10.0 + 1.0 / 20.0 + 1.0 / 30.0).sqrt();
        assert!((m.std_errors()[1] - se1).abs() < 1e-9);
        let z = 6.0f64.ln() / se1;
        assert!((m.p_values()[1] - normal_two_sided_p(z)).abs() < 1e-12);
        assert!((m.aic() - (4.0 - 2.0 * m.log_likelihood())).abs() < 1e-12);
    }

    #[test]
    fn l2_penalty_satisfies_its_stationarity_condition() {
        // At the penalised optimum: Σ(y − μ) = 0 and Σ x (y − μ) = λ b₁.
        let x: Vec<f64> = (0..60).map(|i| f64::from(i % 7) - 3.0).collect();
        let y: Vec<u8> = (0..60).map(|i| u8::from((i * 13) % 10 < 3 + i % 7)).collect();
        let m = LogisticModel::fit(&[&x], &y, &LogisticConfig { l2: 5.0, ..LogisticConfig::default() }).expect("fits");
        let (mut g0, mut g1) = (0.0, 0.0);
        for (xi, &yi) in x.iter().zip(&y) {
            let r = f64::from(yi) - m.predict(&[*xi]);
            g0 += r;
            g1 += xi * r;
        }
        assert!(g0.abs() < 1e-8, "{g0}");
        assert!((g1 - 5.0 * m.coefficients()[0]).abs() < 1e-8);
    }

    #[test]
    fn separated_data_stays_finite_with_a_penalty() {
        let x = [-2.0, -1.0, -0.5, 0.5, 1.0, 2.0];
        let y = [0, 0, 0, 1, 1, 1];
        let m = LogisticModel::fit(&[&x], &y, &LogisticConfig::default()).expect("fits");
        assert!(m.converged() && m.coefficients()[0].is_finite() && m.coefficients()[0] > 0.0);
        let free = LogisticModel::fit(&[&x], &y, &LogisticConfig { l2: 0.0, max_iter: 30, tol: 1e-8 });
        // Without the penalty the slope runs away: either not converged or singular, never a silent answer.
        match free {
            Ok(m) => assert!(!m.converged() || m.coefficients()[0] > 10.0),
            Err(e) => assert_eq!(e, LogisticError::Singular),
        }
    }

    #[test]
    fn collinear_columns_without_penalty_are_singular() {
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let b = [2.0, 4.0, 6.0, 8.0, 10.0, 12.0];
        let y = [0, 1, 0, 1, 1, 0];
        let e = LogisticModel::fit(&[&a, &b], &y, &LogisticConfig { l2: 0.0, ..LogisticConfig::default() });
        assert_eq!(e, Err(LogisticError::Singular));
        assert!(LogisticModel::fit(&[&a, &b], &y, &LogisticConfig::default()).is_ok());
    }

    #[test]
    fn warm_start_reaches_the_same_optimum_in_fewer_iterations() {
        let x: Vec<f64> = (0..500).map(|i| f64::from(i % 11) / 5.0 - 1.0).collect();
        let z: Vec<f64> = (0..500).map(|i| f64::from((i * 7) % 13) / 6.0 - 1.0).collect();
        let y: Vec<u8> = (0..500).map(|i| u8::from((i * 31) % 17 < 4 + i % 11)).collect();
        let config = LogisticConfig::default();
        let cold = LogisticModel::fit(&[&x, &z], &y, &config).expect("fits");
        let start: Vec<f64> =
            std::iter::once(cold.intercept()).chain(cold.coefficients().iter().map(|b| b * 0.9)).collect();
        let warm = LogisticModel::fit_from(&[&x, &z], &y, &config, Some(&start)).expect("fits");
        assert!(warm.iterations() < cold.iterations());
        for (a, b) in cold.coefficients().iter().zip(warm.coefficients()) {
            assert!((a - b).abs() < 1e-7);
        }
        assert!(LogisticModel::fit_from(&[&x], &y, &config, Some(&[0.0])).is_err());
    }

    #[test]
    fn cholesky_solves_a_known_system() {
        let a = [4.0, 2.0, 2.0, 3.0];
        let l = cholesky(&a, 2).expect("definite");
        let x = cholesky_solve(&l, 2, &[2.0, 1.0]);
        assert!((x[0] - 0.5).abs() < 1e-15 && x[1].abs() < 1e-15);
        assert!(cholesky(&[1.0, 2.0, 2.0, 1.0], 2).is_none());
    }
}
