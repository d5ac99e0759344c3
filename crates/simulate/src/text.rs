//! Placeholder: filled in by the text generator.
