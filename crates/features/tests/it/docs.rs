//! docs/features.md lists exactly the catalogue.
