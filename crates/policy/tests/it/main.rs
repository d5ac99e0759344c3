//! Integration tests of the policy crate: golden decisions of the default policy set, static checks refusing
//! broken JDM files, and properties of evaluation (determinism, bounds on the decided terms).

mod golden;
mod properties;
mod static_checks;
