//! Credit policies as data. A policy is a GoRules JSON Decision Model (JDM) graph: decision tables, expression
//! nodes and switches between an input and an output node, editable in GoRules' open-source editor. This crate
//! keeps JDM as the format and evaluates it with its own typed evaluator: [`load()`] parses a graph, checks it
//! against the caller's input [`Schema`] (fields exist, edges connect, no cycles, no gaps or unreachable rules in
//! decision tables, no overlaps where a table is unique) and compiles every cell once; [`evaluate()`] then runs the
//! compiled graph over an [`Input`] and returns a [`Decision`]: the output fields and a trace of every node that ran
//! (its inputs, its outputs, the rules or statements that matched). Evaluation is pure and deterministic.
//!
//! [`default_set`] holds the default rural-microcredit policy set shipped under `policies/default/`.
//! `docs/policies.md` describes the supported JDM subset.

pub mod check;
pub mod compile;
pub mod default_set;
pub mod eval;
pub mod expr;
pub mod jdm;
pub mod load;
pub mod schema;
pub mod value;

pub use eval::{Decision, NodeTrace, evaluate};
pub use load::{CompiledPolicy, LoadError, LoadErrorKind, load};
pub use schema::{FieldDef, Input, InputError, Schema, SchemaError};
pub use value::{Type, Value};
