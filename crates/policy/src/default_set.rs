//! The default rural-microcredit policy set, shipped as data under `policies/default/`: the input schema
//! (`inputs.json`) and the decision graph (`rural-microcredit.json`). Both are compiled into the binary, so the
//! crate stays free of I/O; `docs/policies.md` describes the policy for risk managers.

use std::sync::Arc;

use crate::load::{CompiledPolicy, LoadError, load};
use crate::schema::{Schema, SchemaError};

/// File name of the default graph, as used in error messages.
pub const GRAPH_FILE: &str = "policies/default/rural-microcredit.json";
/// The default graph.
pub const GRAPH_JSON: &str = include_str!("../../../policies/default/rural-microcredit.json");
/// The schema of the fields the default graph reads.
pub const SCHEMA_JSON: &str = include_str!("../../../policies/default/inputs.json");

/// Why the default set could not be loaded (a defect of the shipped files).
#[derive(Debug, thiserror::Error)]
pub enum DefaultSetError {
    /// The schema is malformed.
    #[error("policies/default/inputs.json: {0}")]
    Schema(#[from] SchemaError),
    /// The graph fails its checks.
    #[error("{0}")]
    Load(#[from] LoadError),
}

/// The schema of the default set.
pub fn schema() -> Result<Arc<Schema>, SchemaError> {
    Ok(Arc::new(Schema::from_json(SCHEMA_JSON)?))
}

/// The default policy, checked and compiled.
pub fn policy() -> Result<CompiledPolicy, DefaultSetError> {
    Ok(load(GRAPH_FILE, GRAPH_JSON, &schema()?)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_policy_passes_its_checks() {
        if let Err(error) = policy() {
            panic!("{error}");
        }
    }
}
