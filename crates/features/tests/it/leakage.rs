//! Leakage property.
