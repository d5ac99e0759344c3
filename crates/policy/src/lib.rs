//! Credit policies as data. A policy is a GoRules JSON Decision Model (JDM) graph: decision tables, expression
//! nodes and switches between an input and an output node, editable in GoRules' open-source editor. This crate
//! keeps JDM as the format and evaluates it with its own typed evaluator: [`load()`] parses a graph, checks it
//! against the caller's input [`Schema`] (fields exist, edges connect, no cycles, no gaps or unreachable rules in
//! decision tables, no overlaps where a table is unique) and compiles every cell once; [`evaluate()`] then runs the
//! compiled graph over an [`Input`] and returns a [`Decision`]: the output fields and a trace of every node that ran
//! (its inputs, its outputs, the rules or statements that matched). Evaluation is pure and deterministic.
//!
//! [`default_set`] holds the default rural-microcredit policy set shipped under `policies/default/`; [`lifecycle`]
//! the status of a stored policy version and its legal moves (maker-checker, no active version leaving without a
//! successor).
//! `docs/policies.md` describes the supported JDM subset.

pub mod check;
pub mod compile;
pub mod default_set;
pub mod eval;
pub mod expr;
pub mod jdm;
pub mod lifecycle;
pub mod load;
pub mod schema;
pub mod value;

pub use eval::{Decision, NodeTrace, evaluate};
pub use load::{CompiledPolicy, LoadError, LoadErrorKind, load};
pub use schema::{FieldDef, Input, InputError, Schema, SchemaError};
pub use value::{Type, Value};

/// Runs `f` on a thread with a small stack: tests of the nesting limits run there, so a limit that let the
/// recursion go too deep fails them by overflowing it. Optimised, parsing, typing and evaluating a tree at the limit
/// take under 1 KiB a level (measured), so 256 KiB is ample; unoptimised frames are ten times larger (typing alone
/// takes 11 KiB a level in a debug build), so debug test builds get 1 MiB. Both are below the 2 MiB of a tokio
/// worker thread and far below a main thread's 8 MiB.
#[cfg(test)]
pub(crate) fn on_small_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    const STACK_BYTES: usize = if cfg!(debug_assertions) { 1024 * 1024 } else { 256 * 1024 };
    std::thread::scope(|scope| {
        let thread = std::thread::Builder::new().stack_size(STACK_BYTES).spawn_scoped(scope, f);
        thread.expect("a thread starts").join().expect("no panic on the small stack")
    })
}
