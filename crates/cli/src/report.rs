//! The HTML model report: an artifact (and optionally its evaluation on labelled data) mapped onto the scoring
//! crate's report input.

use scoring::artifact::{Artifact, Model};
use scoring::report::{Evaluation, FeatureSection, ModelInfo, ReportInput, feature_sections};

/// Renders an artifact's report; `evaluation` is (dataset name, predicted PDs, outcomes).
pub fn render(artifact: &Artifact, evaluation: Option<(String, Vec<f64>, Vec<u8>)>) -> String {
    let training = artifact.training.as_ref();
    let mut warnings = artifact.warnings.clone();
    let features = match &artifact.model {
        Model::Scorecard { card } => feature_sections(card),
        Model::Segmented { fallback, segments, .. } => {
            warnings.push(format!("{} segment models; the bins shown are the fallback model's", segments.len()));
            match fallback.as_ref() {
                Model::Scorecard { card } => feature_sections(card),
                _ => Vec::<FeatureSection>::new(),
            }
        }
        Model::Trees { .. } => Vec::new(),
    };
    let input = ReportInput {
        title: format!("Credit model {} / 信用评分模型 {}", artifact.name, artifact.name),
        model: ModelInfo {
            id: artifact.content_hash.clone(),
            name: artifact.name.clone(),
            kind: artifact.kind.clone(),
            created_at: artifact.created_at.clone(),
            format_version: artifact.format_version,
            target: training.map_or_else(String::new, |t| t.target.clone()),
            training_rows: training.map_or(0, |t| t.rows as u64),
            training_bads: training.map_or(0, |t| t.bads as u64),
            data_fingerprint: training.map_or_else(String::new, |t| t.fingerprint.clone()),
        },
        evaluation: evaluation.map(|(dataset, scores, outcomes)| Evaluation { dataset, scores, outcomes }),
        features,
        warnings,
    };
    scoring::report::render(&input)
}
