//! Gradient-boosted trees: training ([`Gbdt`]), import of LightGBM and XGBoost models, and one representation
//! ([`TreeEnsemble`]) that every tree model is scored and explained (TreeSHAP) with.
//!
//! Training and import both end in a [`TreeEnsemble`]; nothing downstream depends on where the trees came from.

mod binning;
mod ensemble;
mod gbdt;
mod grow;
pub mod import;
mod shap;

pub use ensemble::{EnsembleError, Feature, FeatureKind, MissingRule, Node, Objective, Tree, TreeEnsemble, sigmoid};
pub use gbdt::{EarlyStopping, Gbdt, GbdtParams, Monotone, TrainError, TrainingSummary};
pub use import::{ImportError, parse_model, read_model};
pub use shap::Contributions;
