//! The model report: the input a caller fills from a model artifact and a scored sample, and what the report
//! computes from the sample (metrics, thinned ROC and KS curves, score distribution, calibration and lift tables).

mod summary;

use serde::{Deserialize, Serialize};

pub use summary::{
    CALIBRATION_BANDS, CURVE_POINTS_MAX, CumulativePoint, EvaluationError, EvaluationSummary, HISTOGRAM_BINS,
    Histogram, KsPoint, RocPoint,
};

/// Everything the report shows. Filled by the caller from the model artifact and, optionally, a scored sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportInput {
    /// Page title, such as "Scorecard v3 — Xinyang county microcredit".
    pub title: String,
    /// Who the model is.
    pub model: ModelInfo,
    /// The model's scores on a labelled sample; without it the report shows the model and its bins only.
    pub evaluation: Option<Evaluation>,
    /// Features with their bins, in the order to show them.
    pub features: Vec<FeatureSection>,
    /// Things worth a human look (likely leaks, convergence), shown at the top.
    pub warnings: Vec<String>,
}

/// The identity and provenance of a model, as recorded in its artifact. Shown as given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// Content hash of the artifact.
    pub id: String,
    /// Human name.
    pub name: String,
    /// Model kind, such as "WoE scorecard" or "gradient-boosted trees".
    pub kind: String,
    /// When the artifact was made, as recorded in it (the report never reads a clock).
    pub created_at: String,
    /// Version of the artifact format.
    pub format_version: u32,
    /// The target column (1 = bad).
    pub target: String,
    /// Rows the model was trained on.
    pub training_rows: u64,
    /// Bads among them.
    pub training_bads: u64,
    /// Fingerprint of the training data.
    pub data_fingerprint: String,
}

/// A labelled sample scored by the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// What the sample is, such as "holdout 2024-Q4" or "fold 0 of german".
    pub dataset: String,
    /// Probability of default of each row, in [0, 1].
    pub scores: Vec<f64>,
    /// Outcome of each row: 1 = bad, 0 = good.
    pub outcomes: Vec<u8>,
}

/// One feature: its information value, what became of it, and its bins (empty when it has none to show).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSection {
    /// The feature's name.
    pub name: String,
    /// Information value of its binning, if it has one.
    pub iv: Option<f64>,
    /// What became of it, such as "selected / 入模".
    pub status: String,
    /// Its bins in order.
    pub bins: Vec<BinRow>,
}

/// One bin of a feature, with its training counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinRow {
    /// What the bin holds, such as `[26, 40)` or `Missing`.
    pub label: String,
    /// Training rows in the bin.
    pub count: u64,
    /// Training bads in the bin.
    pub bads: u64,
    /// Bad rate of the bin; `None` for an empty bin.
    pub event_rate: Option<f64>,
    /// Weight of evidence (positive = riskier than average; see [`crate::binning`]).
    pub woe: f64,
    /// The bin's part of the feature's information value.
    pub iv: f64,
    /// Scorecard points of the bin, if the model has points.
    pub points: Option<i32>,
}
