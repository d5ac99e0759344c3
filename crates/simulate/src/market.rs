//! Placeholder: filled in by the market generator.
