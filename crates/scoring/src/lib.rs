//! Credit scoring: estimate each applicant's probability of default, explain it, and measure it.
//!
//! Data comes in as a [`data::Frame`] of named numeric and categorical columns (read from CSV as the public credit
//! datasets have it). Models are built from it — an optimal-binning WoE scorecard or gradient-boosted trees, or
//! imported from LightGBM and XGBoost — calibrated, measured, and written as versioned, self-describing artifacts
//! that score without the training code.
//!
//! The scorecard path: [`binning`] (optimal monotone binning, WoE and IV) → [`logistic`] (L2 logistic regression
//! with Wald inference) → [`scorecard`] (selection, points, reason codes) → [`calibration`] (Platt, isotonic);
//! [`metrics`] measures any model's scores, their stability and their fairness. The tree path: [`trees`]
//! (gradient-boosted trees trained here, or LightGBM and XGBoost models imported, all scored and explained by
//! one flat `TreeEnsemble` with exact TreeSHAP).
//!
//! [`lifecycle`] is a registered model's status and its legal moves (one champion per name).
//!
//! The crate is pure: no clock, no ambient randomness, no I/O beyond reading the files it is given.

pub mod artifact;
pub mod binning;
pub mod calibration;
pub mod data;
pub mod lifecycle;
pub mod logistic;
pub mod metrics;
pub mod pipeline;
pub mod report;
pub mod scorecard;
pub mod trees;
