//! Broken JDM files under `tests/broken` are each refused at load with a message naming the file, the node and,
//! where one is at fault, the rule and the column.

use std::path::Path;
use std::sync::Arc;

use policy::{LoadErrorKind, Schema};

fn schema() -> Arc<Schema> {
    Arc::new(
        Schema::from_json(
            r#"[{"field": "applicant.age", "type": "number", "required": true},
                {"field": "applicant.product", "type": "string"}]"#,
        )
        .expect("schema"),
    )
}

/// Loads `tests/broken/<name>`, expecting a refusal whose message contains every fragment.
fn refused(name: &str, fragments: &[&str]) -> policy::LoadError {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/broken").join(name);
    let json = std::fs::read_to_string(&path).expect("broken file is readable");
    let file = format!("tests/broken/{name}");
    let error = policy::load(&file, &json, &schema()).expect_err("the broken file must be refused");
    let message = error.to_string();
    for fragment in [file.as_str()].iter().chain(fragments) {
        assert!(message.contains(fragment), "`{message}` should mention `{fragment}`");
    }
    error
}

#[test]
fn unknown_input_field_is_refused() {
    let error = refused(
        "unknown-input-field.json",
        &["node \"Age check\" (age)", "column \"Age\"", "unknown field `applicant.agee`"],
    );
    assert!(matches!(*error.kind, LoadErrorKind::Type(_)));
}

#[test]
fn unknown_field_in_a_cell_names_the_rule() {
    refused(
        "unknown-field-in-cell.json",
        &["node \"Age check\"", "rule \"adult\" (#2)", "column \"Age\"", "unknown field `applicant.retirement_age`"],
    );
}

#[test]
fn overlapping_rules_of_a_unique_table_are_refused() {
    let error =
        refused("overlapping-unique.json", &["rule \"older\" (#3)", "overlaps rule \"young\" (#2)", "[40, 40]"]);
    assert!(matches!(*error.kind, LoadErrorKind::Overlap { .. }));
}

#[test]
fn a_gap_in_a_numeric_column_is_refused() {
    let error = refused("gap.json", &["node \"Age check\"", "no rule covers column \"Age\" in (40, 41]"]);
    assert!(matches!(*error.kind, LoadErrorKind::Gap { .. }));
}

#[test]
fn an_unreachable_rule_is_refused() {
    refused("shadowed-rule.json", &["rule \"under-30\" (#2)", "unreachable: rule \"under-50\" (#1)"]);
}

#[test]
fn a_cycle_is_refused() {
    let error = refused("cycle.json", &["cycle", "\"First\" (a)", "\"Second\" (b)"]);
    assert!(matches!(*error.kind, LoadErrorKind::Cycle(_)));
}

#[test]
fn an_unsupported_operator_is_refused() {
    refused("unsupported-expression.json", &["rule \"senior\" (#3)", "column \"Age\"", "unsupported character `%`"]);
}

#[test]
fn an_unsupported_function_is_refused() {
    refused("unsupported-function.json", &["rule \"minor\" (#1)", "column \"Band\"", "unsupported function `len`"]);
}

#[test]
fn an_unsupported_node_is_refused() {
    refused("unsupported-node.json", &["node \"Custom code\" (fn)", "node type `functionNode` is not supported"]);
}

#[test]
fn an_edge_to_a_missing_node_is_refused() {
    refused("unknown-edge-target.json", &["edge `dangling` refers to unknown node `nowhere`"]);
}

#[test]
fn conflicting_output_types_are_refused() {
    refused(
        "output-type-conflict.json",
        &["rule \"adult\" (#2)", "column \"Band\"", "is a string elsewhere but a number here"],
    );
}

#[test]
fn a_field_read_before_it_is_written_is_refused() {
    // `band` is written by the table, but the expression node runs before it, so it is not in scope there.
    let json = r#"{"nodes": [
        {"id": "in", "name": "Request", "type": "inputNode"},
        {"id": "x", "name": "Early", "type": "expressionNode", "content": {"expressions": [
            {"id": "e1", "key": "copy", "value": "band"}]}},
        {"id": "t", "name": "Table", "type": "decisionTableNode", "content": {"hitPolicy": "first",
            "inputs": [], "outputs": [{"id": "o", "name": "Band", "field": "band"}], "rules": [{"_id": "r", "o": "1"}]}}],
      "edges": [{"id": "1", "sourceId": "in", "targetId": "x"}, {"id": "2", "sourceId": "x", "targetId": "t"}]}"#;
    let error = policy::load("inline.json", json, &schema()).expect_err("refused");
    assert!(
        error.to_string().contains("node \"Early\" (x), rule \"e1\" (#1), column \"copy\": unknown field `band`"),
        "{error}"
    );
}

#[test]
fn writing_an_input_field_is_refused() {
    let json = r#"{"nodes": [
        {"id": "in", "name": "Request", "type": "inputNode"},
        {"id": "x", "name": "Overwrite", "type": "expressionNode", "content": {"expressions": [
            {"id": "e1", "key": "applicant.age", "value": "18"}]}}],
      "edges": [{"id": "1", "sourceId": "in", "targetId": "x"}]}"#;
    let error = policy::load("inline.json", json, &schema()).expect_err("refused");
    assert!(error.to_string().contains("writes `applicant.age`, which is an input field"), "{error}");
}
