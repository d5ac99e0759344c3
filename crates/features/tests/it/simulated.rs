//! Simulated county.
