//! Integration tests of the policy crate: golden decisions of the default policy set, single branches of its
//! market-environment and product-and-schedule tables, static checks refusing broken JDM files, and properties of
//! evaluation (determinism, bounds on the decided terms).

mod golden;
mod market;
mod product;
mod properties;
mod static_checks;
mod variant;
