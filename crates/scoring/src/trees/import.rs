//! Import of externally trained tree models into our [`TreeEnsemble`], so they score and explain natively.
//!
//! Two formats: LightGBM's text model (`model.txt`, [`lightgbm`]) and XGBoost's JSON model ([`xgboost`]). Only
//! binary classification with a logistic link is accepted. Errors name the file and the field at fault.

use std::path::{Path, PathBuf};

use super::ensemble::{EnsembleError, TreeEnsemble};

pub mod lightgbm;
pub mod xgboost;

/// Why a model file could not be imported.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ImportError {
    /// The file could not be read.
    #[error("{file}: cannot read: {reason}")]
    Io {
        /// The file.
        file: PathBuf,
        /// Why.
        reason: String,
    },
    /// The content is neither format.
    #[error("{file}: not a LightGBM text model or an XGBoost JSON model")]
    UnknownFormat {
        /// The file.
        file: PathBuf,
    },
    /// The model is not a binary logistic one, or uses a feature this importer does not support.
    #[error("{file}: {field}: unsupported: {value}")]
    Unsupported {
        /// The file.
        file: PathBuf,
        /// The field that says so.
        field: String,
        /// Its value, or what in it is unsupported.
        value: String,
    },
    /// A field is missing or malformed.
    #[error("{file}: {field}: {reason}")]
    Field {
        /// The file.
        file: PathBuf,
        /// The field (with the tree, where it belongs to one).
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// The trees read do not make a valid ensemble.
    #[error("{file}: {source}")]
    Ensemble {
        /// The file.
        file: PathBuf,
        /// The inconsistency.
        source: EnsembleError,
    },
}

/// Reads a model file, recognising the format from its content (JSON for XGBoost, `tree` header for LightGBM).
pub fn read_model(path: &Path) -> Result<TreeEnsemble, ImportError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ImportError::Io { file: path.to_path_buf(), reason: e.to_string() })?;
    parse_model(&text, path)
}

/// Parses a model from text; `file` names it in errors.
pub fn parse_model(text: &str, file: &Path) -> Result<TreeEnsemble, ImportError> {
    let start = text.trim_start_matches('\u{feff}').trim_start();
    if start.starts_with('{') {
        xgboost::parse(text, file)
    } else if start.lines().next().is_some_and(|l| l.trim() == "tree") {
        lightgbm::parse(text, file)
    } else {
        Err(ImportError::UnknownFormat { file: file.to_path_buf() })
    }
}

/// Log-odds of a probability.
pub(crate) fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}
