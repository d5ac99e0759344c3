//! Arbitrary bytes as a JDM file through `policy::load` against the default set's schema (the one the decide
//! crate evaluates with): loading never panics, never overflows the stack and never runs away, whatever the file.
//! A policy that loads is evaluated on an input of nulls, which must be total, and its decision serialised.

#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use policy::Schema;

fn schema() -> &'static Arc<Schema> {
    static SCHEMA: OnceLock<Arc<Schema>> = OnceLock::new();
    SCHEMA.get_or_init(|| policy::default_set::schema().expect("the shipped schema is valid"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(json) = std::str::from_utf8(data) else { return };
    let Ok(policy) = policy::load("fuzz.json", json, schema()) else { return };
    let decision = policy.evaluate(&schema().empty_input());
    assert!(decision.trace().len() > 0, "the input node always runs");
    let _ = decision.to_json();
});
