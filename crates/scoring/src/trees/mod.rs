//! Gradient-boosted trees: training ([`Gbdt`]), import of LightGBM and XGBoost models ([`read_model`]), and one
//! representation ([`TreeEnsemble`]) that every tree model is scored and explained (TreeSHAP) with.
//!
//! Training and import both end in a [`TreeEnsemble`]; nothing downstream depends on where the trees came from:
//! - [`Gbdt::fit`] trains with [`GbdtParams`] (monotone constraints, weights, early stopping, seed) and keeps the
//!   result as a [`TreeEnsemble`] with its categorical encoding in the feature list.
//! - [`read_model`] / [`parse_model`] read a LightGBM `model.txt` or an XGBoost JSON model.
//! - [`TreeEnsemble::predict_margin`], [`TreeEnsemble::predict_proba`] score a [`crate::data::Frame`] by column
//!   name; [`TreeEnsemble::contributions_matrix`] gives TreeSHAP contributions that sum to the margin.
//! - A [`TreeEnsemble`] serialises with serde (validated again when read back), so an artifact scores without the
//!   training code.

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
