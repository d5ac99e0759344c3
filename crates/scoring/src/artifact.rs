//! Model artifacts: one versioned, self-describing JSON file per trained or imported model.
//!
//! An [`Artifact`] carries everything needed to score and to audit: the input columns it expects, the model itself
//! (a [`Scorecard`], a [`TreeEnsemble`], or per-segment models with a fallback), the calibration, the points
//! scaling, what it was trained on (rows, bads, a SHA-256 fingerprint of the data, the configuration), its
//! measured metrics, its warnings and its creation time. Its identity is a SHA-256 **content hash** over the
//! canonical JSON of everything else, checked on every load: an edited or truncated file is refused, as is a format
//! version this code does not know.
//!
//! Scoring goes through [`Artifact::score`] only: it depends on the stored model, never on the code that trained
//! it, and it is deterministic.

use std::collections::BTreeMap;
use std::path::Path;

use domain::hex;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::calibration::{Isotonic, Platt};
use crate::data::{Column, Frame, MISSING_CODE};
use crate::scorecard::{MAX_REASONS, ReasonCode, ReasonLabel, Scaling, Scorecard, ScorecardError};
use crate::trees::{EnsembleError, TreeEnsemble};

/// The `format` field of every artifact.
pub const FORMAT: &str = "agririsk.model";

/// The artifact format version this code writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// A model's predictive part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Model {
    /// A WoE scorecard.
    Scorecard {
        /// The fitted card.
        card: Scorecard,
    },
    /// A tree ensemble, trained here or imported.
    Trees {
        /// The trees, in our own format.
        ensemble: TreeEnsemble,
        /// Where the trees came from: `gbdt` (trained here), `lightgbm` or `xgboost`.
        origin: String,
    },
    /// One model per value of a segment column, and a fallback for every other row.
    Segmented {
        /// The column whose value picks the model.
        column: String,
        /// Models by segment value.
        segments: Vec<Segment>,
        /// The model for rows of no listed segment (and missing values).
        fallback: Box<Model>,
    },
}

/// A segment's model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// The segment column's value (as text; numbers as they print).
    pub value: String,
    /// The model.
    pub model: Model,
    /// Training rows of this segment.
    pub rows: usize,
    /// Bads among them.
    pub bads: usize,
}

/// A probability calibration applied after the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum Calibration {
    /// Platt scaling.
    Platt {
        /// The fitted map.
        map: Platt,
    },
    /// Isotonic regression.
    Isotonic {
        /// The fitted map.
        map: Isotonic,
    },
}

impl Calibration {
    /// The calibrated probability.
    pub fn apply(&self, pd: f64) -> f64 {
        match self {
            Calibration::Platt { map } => map.apply(pd),
            Calibration::Isotonic { map } => map.apply(pd),
        }
    }
}

/// An input column the model reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputColumn {
    /// Column name.
    pub name: String,
    /// `numeric` or `categorical`.
    pub kind: String,
}

/// What a model was trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Training {
    /// The data's file name (or a description for in-memory data).
    pub source: String,
    /// SHA-256 of the training data's bytes, hex.
    pub fingerprint: String,
    /// Rows.
    pub rows: usize,
    /// Bads among them.
    pub bads: usize,
    /// The target column.
    pub target: String,
    /// The training configuration, as given.
    pub config: serde_json::Value,
}

/// Discrimination and accuracy measured on some data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measured {
    /// What the figures were measured on (e.g. `training`, `5-fold cross-validation`).
    pub on: String,
    /// Rows.
    pub rows: usize,
    /// AUC (mean over folds for cross-validation).
    pub auc: f64,
    /// AUC standard deviation over folds (0 for a single sample).
    pub auc_sd: f64,
    /// KS (mean over folds).
    pub ks: f64,
    /// KS standard deviation over folds.
    pub ks_sd: f64,
    /// Brier score (pooled).
    pub brier: f64,
    /// Log-loss (pooled).
    pub log_loss: f64,
}

/// A model artifact. Build one with [`Artifact::seal`]; read one with [`Artifact::from_json`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Artifact {
    /// Always [`FORMAT`].
    pub format: String,
    /// The format version ([`FORMAT_VERSION`] when written by this code).
    pub format_version: u32,
    /// SHA-256 over the canonical JSON of the artifact with this field empty, hex: the model's identity.
    pub content_hash: String,
    /// A human name (models of one name compete as champion and challengers).
    pub name: String,
    /// `scorecard`, `gbdt`, `lightgbm`, `xgboost` or `segmented`.
    pub kind: String,
    /// Creation time, RFC 3339 (given by the caller: the crate reads no clock).
    pub created_at: String,
    /// The columns the model reads.
    pub inputs: Vec<InputColumn>,
    /// The model.
    pub model: Model,
    /// Calibration applied after the model, if any.
    pub calibration: Option<Calibration>,
    /// How probabilities become points (the scorecard's own scaling for a scorecard).
    pub scaling: Scaling,
    /// What the model was trained on (`None` for an imported model).
    pub training: Option<Training>,
    /// Measured performance.
    pub metrics: Vec<Measured>,
    /// Warnings raised while building the model (e.g. a likely leak).
    pub warnings: Vec<String>,
    /// Plain-language reason texts by feature for tree models (`{bin}` is replaced by the applicant's value); a
    /// scorecard carries its own.
    #[serde(default)]
    pub labels: BTreeMap<String, ReasonLabel>,
}

/// Why an artifact could not be read or used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ArtifactError {
    /// Not valid JSON, or not an artifact's shape.
    #[error("{file}: not a model artifact: {reason}")]
    Malformed {
        /// The file.
        file: String,
        /// Why.
        reason: String,
    },
    /// The `format` field is wrong.
    #[error("{file}: field 'format' is '{found}', expected '{FORMAT}'")]
    Format {
        /// The file.
        file: String,
        /// What was found.
        found: String,
    },
    /// A format version this code does not know.
    #[error("{file}: field 'format_version' is {found}; this build reads version {FORMAT_VERSION}")]
    Version {
        /// The file.
        file: String,
        /// What was found.
        found: u32,
    },
    /// The content hash does not match the content.
    #[error(
        "{file}: field 'content_hash' does not match the content (stored {stored}, computed {computed}); the file was changed after it was written"
    )]
    Hash {
        /// The file.
        file: String,
        /// The stored hash.
        stored: String,
        /// The hash of the content.
        computed: String,
    },
    /// The data lacks a column the model reads, or has it with the wrong kind.
    #[error("column '{column}': {reason}")]
    Input {
        /// The column.
        column: String,
        /// Why.
        reason: String,
    },
    /// The scorecard refused the data.
    #[error(transparent)]
    Scorecard(#[from] ScorecardError),
    /// The tree ensemble refused the data.
    #[error(transparent)]
    Trees(#[from] EnsembleError),
}

/// One reason an applicant's risk is what it is, in plain language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// The feature.
    pub feature: String,
    /// How much it weighed: points lost (scorecard) or the contribution to the log-odds of default (trees).
    pub weight: f64,
    /// Chinese text.
    pub zh: String,
    /// English text.
    pub en: String,
}

impl From<ReasonCode> for Reason {
    fn from(code: ReasonCode) -> Reason {
        Reason { feature: code.feature, weight: f64::from(code.points_lost), zh: code.zh, en: code.en }
    }
}

/// The scoring result of one row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    /// Probability of default (after calibration).
    pub pd: f64,
    /// Integer score, higher = safer.
    pub score: i32,
    /// At most four reasons, the weightiest first.
    pub reasons: Vec<Reason>,
}

/// SHA-256 of some bytes, lower-case hex.
pub fn fingerprint(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

impl Artifact {
    /// Fills in the format fields and computes the content hash.
    #[allow(clippy::too_many_arguments)]
    pub fn seal(
        name: &str,
        kind: &str,
        created_at: &str,
        inputs: Vec<InputColumn>,
        model: Model,
        calibration: Option<Calibration>,
        scaling: Scaling,
        training: Option<Training>,
        metrics: Vec<Measured>,
        warnings: Vec<String>,
    ) -> Artifact {
        let mut a = Artifact {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            content_hash: String::new(),
            name: name.into(),
            kind: kind.into(),
            created_at: created_at.into(),
            inputs,
            model,
            calibration,
            scaling,
            training,
            metrics,
            warnings,
            labels: BTreeMap::new(),
        };
        a.content_hash = a.computed_hash();
        a
    }

    /// The artifact with reason texts for its tree models, sealed again.
    pub fn with_labels(mut self, labels: BTreeMap<String, ReasonLabel>) -> Artifact {
        self.labels = labels;
        self.content_hash = self.computed_hash();
        self
    }

    /// The hash of the content: SHA-256 over the compact JSON of the artifact with `content_hash` empty.
    pub fn computed_hash(&self) -> String {
        let mut unsealed = self.clone();
        unsealed.content_hash.clear();
        let bytes = serde_json::to_vec(&unsealed).expect("an artifact always serialises");
        fingerprint(&bytes)
    }

    /// The artifact as pretty JSON (what is written to disk).
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("an artifact always serialises");
        text.push('\n');
        text
    }

    /// Reads an artifact, checking the format, the version and the content hash; `file` names it in errors.
    pub fn from_json(text: &str, file: &Path) -> Result<Artifact, ArtifactError> {
        let file = file.display().to_string();
        let malformed = |reason: String| ArtifactError::Malformed { file: file.clone(), reason };
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| malformed(e.to_string()))?;
        // Check the envelope first, so an unknown version is reported as such and not as a shape error.
        let format = value.get("format").and_then(|v| v.as_str()).unwrap_or_default();
        if format != FORMAT {
            return Err(ArtifactError::Format { file, found: format.into() });
        }
        let version = value.get("format_version").and_then(serde_json::Value::as_u64).unwrap_or(0);
        if version != u64::from(FORMAT_VERSION) {
            return Err(ArtifactError::Version { file, found: u32::try_from(version).unwrap_or(u32::MAX) });
        }
        let artifact: Artifact = serde_json::from_value(value).map_err(|e| malformed(e.to_string()))?;
        let computed = artifact.computed_hash();
        if computed != artifact.content_hash {
            return Err(ArtifactError::Hash { file, stored: artifact.content_hash.clone(), computed });
        }
        Ok(artifact)
    }

    /// Checks that `frame` has every input column with the right kind.
    pub fn check_inputs(&self, frame: &Frame) -> Result<(), ArtifactError> {
        for input in &self.inputs {
            let column = frame.column(&input.name).ok_or_else(|| ArtifactError::Input {
                column: input.name.clone(),
                reason: "missing from the data".into(),
            })?;
            let kind = kind_of(column);
            // A numeric column the model saw as categorical can still be read as text levels.
            if kind != input.kind && !(input.kind == "categorical" && kind == "numeric") {
                return Err(ArtifactError::Input {
                    column: input.name.clone(),
                    reason: format!("is {kind} here; the model was trained on it as {}", input.kind),
                });
            }
        }
        Ok(())
    }

    /// Scores every row of `frame`: PD, integer score and at most four reasons.
    pub fn score(&self, frame: &Frame) -> Result<Vec<Scored>, ArtifactError> {
        self.check_inputs(frame)?;
        let mut out = vec![Scored { pd: 0.0, score: 0, reasons: Vec::new() }; frame.rows()];
        let all: Vec<usize> = (0..frame.rows()).collect();
        let finish = Finish { calibration: self.calibration.as_ref(), scaling: &self.scaling, labels: &self.labels };
        score_rows(&self.model, frame, &all, &finish, &mut out)?;
        Ok(out)
    }

    /// Scores one applicant of a scorecard model given each card feature's value in card order (NaN = missing), as
    /// [`Artifact::score`] would on a one-row frame; `None` for other model kinds.
    pub fn score_scorecard_values(&self, values: &[f64]) -> Option<Scored> {
        self.score_scorecard_values_with(values, |card, k, bin| card.reason_for(k, bin).into())
    }

    /// As [`Artifact::score_scorecard_values`], with each reason made by `reason(card, feature, bin)` — for a caller
    /// that made every feature's reason for every bin once ([`Artifact::scorecard_reasons`]).
    pub fn score_scorecard_values_with(
        &self,
        values: &[f64],
        reason: impl Fn(&Scorecard, usize, usize) -> Reason,
    ) -> Option<Scored> {
        let Model::Scorecard { card } = &self.model else { return None };
        let (bins, pd, score) = card.score_values(values);
        let reasons = card.reason_features(&bins).into_iter().map(|k| reason(card, k, bins[k])).collect();
        let finish = Finish { calibration: self.calibration.as_ref(), scaling: &self.scaling, labels: &self.labels };
        Some(Scored { pd: finish.pd(pd), score, reasons })
    }

    /// Every reason a scorecard model can give, by card feature and bin (`None` for other model kinds).
    pub fn scorecard_reasons(&self) -> Option<Vec<Vec<Reason>>> {
        let Model::Scorecard { card } = &self.model else { return None };
        let reasons = card
            .features()
            .iter()
            .enumerate()
            .map(|(k, f)| (0..f.binning().bins().len()).map(|bin| card.reason_for(k, bin).into()).collect());
        Some(reasons.collect())
    }

    /// Probabilities of default only (after calibration).
    pub fn predict_pd(&self, frame: &Frame) -> Result<Vec<f64>, ArtifactError> {
        Ok(self.score(frame)?.into_iter().map(|s| s.pd).collect())
    }
}

/// Integer points of a PD under a scaling, clamped away from the infinite ends.
pub fn points(scaling: &Scaling, pd: f64) -> i32 {
    scaling.score_of_pd(pd.clamp(1e-9, 1.0 - 1e-9)).round() as i32
}

/// The kind name of a column.
pub fn kind_of(column: &Column) -> &'static str {
    match column {
        Column::Numeric(_) => "numeric",
        Column::Categorical { .. } => "categorical",
    }
}

/// The text value of row `i` of a column (numbers as they print; `None` when missing).
pub fn text_value(column: &Column, i: usize) -> Option<String> {
    match column {
        Column::Numeric(v) => (!v[i].is_nan()).then(|| format!("{}", v[i])),
        Column::Categorical { levels, codes } => (codes[i] != MISSING_CODE).then(|| levels[codes[i] as usize].clone()),
    }
}

/// What turns a model's raw PD into the artifact's: the calibration, and the scaling that gives non-scorecard models
/// their points. A scorecard keeps its own points, so that its points table explains its score.
struct Finish<'a> {
    calibration: Option<&'a Calibration>,
    scaling: &'a Scaling,
    labels: &'a BTreeMap<String, ReasonLabel>,
}

impl Finish<'_> {
    fn pd(&self, raw: f64) -> f64 {
        self.calibration.map_or(raw, |c| c.apply(raw))
    }
}

fn score_rows(
    model: &Model,
    frame: &Frame,
    rows: &[usize],
    finish: &Finish<'_>,
    out: &mut [Scored],
) -> Result<(), ArtifactError> {
    if rows.is_empty() {
        return Ok(());
    }
    let part = if rows.len() == frame.rows() { None } else { Some(frame.take(rows)) };
    let data = part.as_ref().unwrap_or(frame);
    match model {
        Model::Scorecard { card } => {
            let pd = card.predict_pd(data)?;
            let score = card.score(data)?;
            let bins = card.bin_indices(data)?;
            for (k, &row) in rows.iter().enumerate() {
                let applicant: Vec<usize> = bins.iter().map(|feature| feature[k]).collect();
                let reasons = card.reasons_for_bins(&applicant).into_iter().map(Reason::from).collect();
                out[row] = Scored { pd: finish.pd(pd[k]), score: score[k], reasons };
            }
        }
        Model::Trees { ensemble, .. } => {
            let matrix = ensemble.encode(data)?;
            let width = ensemble.features().len();
            let contributions = ensemble.contributions_matrix(&matrix);
            let names: Vec<&str> = ensemble.features().iter().map(|f| f.name.as_str()).collect();
            for (k, &row) in rows.iter().enumerate() {
                let margin = ensemble.margin_row(&matrix[k * width..(k + 1) * width]);
                let pd = finish.pd(ensemble.link(margin));
                let reasons = tree_reasons(&names, contributions.row(k), data, k, finish.labels);
                out[row] = Scored { pd, score: points(finish.scaling, pd), reasons };
            }
        }
        Model::Segmented { column, segments, fallback } => {
            let values = frame.column(column).ok_or_else(|| ArtifactError::Input {
                column: column.clone(),
                reason: "missing from the data".into(),
            })?;
            let mut routed: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
            for &row in rows {
                let value = text_value(values, row);
                let target = segments.iter().position(|s| Some(&s.value) == value.as_ref()).unwrap_or(segments.len());
                routed.entry(target).or_default().push(row);
            }
            for (target, members) in routed {
                let model = segments.get(target).map_or(fallback.as_ref(), |s| &s.model);
                score_rows(model, frame, &members, finish, out)?;
            }
        }
    }
    Ok(())
}

/// Reasons from tree contributions: the features that pushed the log-odds of default up most, at most four.
fn tree_reasons(
    names: &[&str],
    contributions: &[f64],
    data: &Frame,
    row: usize,
    labels: &BTreeMap<String, ReasonLabel>,
) -> Vec<Reason> {
    let mut raised: Vec<(usize, f64)> =
        names.iter().enumerate().map(|(j, _)| (j, contributions[j])).filter(|(_, c)| *c > 1e-9).collect();
    raised.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    raised
        .into_iter()
        .take(MAX_REASONS)
        .map(|(j, c)| {
            let name = names[j];
            let value = data.column(name).and_then(|col| text_value(col, row)).unwrap_or_else(|| "missing".into());
            let (zh, en) = match labels.get(name) {
                Some(l) => (l.zh.replace("{bin}", &value), l.en.replace("{bin}", &value)),
                None => {
                    (format!("{name}（{value}）提高了违约风险"), format!("{name} ({value}) raised the risk of default"))
                }
            };
            Reason { feature: name.to_string(), weight: c, zh, en }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::read_csv_bytes;
    use crate::scorecard::ScorecardConfig;

    fn frame() -> (Frame, Vec<u8>) {
        let mut text = String::from("x,seg,bad\n");
        for i in 0..400 {
            let x = i % 40;
            let bad = u8::from((i * 7919) % 100 < x * 2);
            text.push_str(&format!("{x},{},{bad}\n", if i % 3 == 0 { "a" } else { "b" }));
        }
        let mut f = read_csv_bytes(text.as_bytes(), Path::new("t.csv")).expect("valid");
        let y = f.take_target("bad").expect("binary");
        (f, y)
    }

    fn sealed() -> (Artifact, Frame) {
        let (f, y) = frame();
        let card = Scorecard::fit(&f, &y, &ScorecardConfig { exclude: vec!["seg".into()], ..Default::default() })
            .expect("fits");
        let inputs = vec![InputColumn { name: "x".into(), kind: "numeric".into() }];
        let a = Artifact::seal(
            "test",
            "scorecard",
            "2026-11-28T00:00:00+08:00",
            inputs,
            Model::Scorecard { card: card.clone() },
            None,
            *card.scaling(),
            None,
            Vec::new(),
            Vec::new(),
        );
        (a, f)
    }

    #[test]
    fn a_sealed_artifact_round_trips_and_scores_identically() {
        let (a, f) = sealed();
        let back = Artifact::from_json(&a.to_json(), Path::new("m.json")).expect("reads back");
        assert_eq!(back, a);
        assert_eq!(back.score(&f).expect("scores"), a.score(&f).expect("scores"));
        assert_eq!(a.content_hash.len(), 64);
    }

    #[test]
    fn an_edited_artifact_or_an_unknown_version_is_refused() {
        let (a, _) = sealed();
        let edited = a.to_json().replacen("\"name\": \"test\"", "\"name\": \"tampered\"", 1);
        let e = Artifact::from_json(&edited, Path::new("m.json")).expect_err("hash mismatch");
        assert!(e.to_string().starts_with("m.json: field 'content_hash' does not match"), "{e}");
        let newer = a.to_json().replacen("\"format_version\": 1", "\"format_version\": 9", 1);
        let e = Artifact::from_json(&newer, Path::new("m.json")).expect_err("unknown version");
        assert_eq!(e.to_string(), "m.json: field 'format_version' is 9; this build reads version 1");
        let e = Artifact::from_json("{}", Path::new("m.json")).expect_err("not an artifact");
        assert_eq!(e.to_string(), "m.json: field 'format' is '', expected 'agririsk.model'");
    }

    #[test]
    fn scoring_names_a_missing_input_column() {
        let (a, _) = sealed();
        let other = read_csv_bytes(b"y\n1\n", Path::new("o.csv")).expect("valid");
        assert_eq!(a.score(&other).expect_err("no x").to_string(), "column 'x': missing from the data");
    }

    #[test]
    fn segments_route_rows_and_the_fallback_takes_the_rest() {
        let (a, f) = sealed();
        let (_, y) = frame();
        let Model::Scorecard { card } = &a.model else { unreachable!("built as a scorecard") };
        // Segment "a" gets a card scaled 100 points higher, so the routing shows in the scores.
        let config = ScorecardConfig {
            exclude: vec!["seg".into()],
            scaling: Scaling { base_score: 700.0, ..Scaling::default() },
            ..Default::default()
        };
        let high = Scorecard::fit(&f, &y, &config).expect("fits");
        let segmented = Model::Segmented {
            column: "seg".into(),
            segments: vec![Segment {
                value: "a".into(),
                model: Model::Scorecard { card: high.clone() },
                rows: 1,
                bads: 0,
            }],
            fallback: Box::new(Model::Scorecard { card: card.clone() }),
        };
        let inputs = a.inputs.clone();
        let s = Artifact::seal("seg", "segmented", "now", inputs, segmented, None, a.scaling, None, vec![], vec![]);
        let scored = s.score(&f).expect("scores");
        let (plain, raised) = (card.score(&f).expect("scores"), high.score(&f).expect("scores"));
        let Some(Column::Categorical { levels, codes }) = f.column("seg") else { panic!("seg is text") };
        for (i, got) in scored.iter().enumerate() {
            let expected = if levels[codes[i] as usize] == "a" { raised[i] } else { plain[i] };
            assert_eq!(got.score, expected, "row {i}");
        }
        assert!(raised.iter().zip(&plain).all(|(h, p)| h > p));
    }
}
