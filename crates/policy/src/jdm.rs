//! The JSON Decision Model (JDM) of GoRules as it is stored on disk: a graph of nodes and edges, as the GoRules
//! editor writes it. This module only mirrors the file; `load` turns it into a checked, compiled policy. Keys this
//! crate does not use (positions, `passThrough`, editor metadata) are accepted and ignored; node kinds it does not
//! support are kept with their kind name so the loader can refuse them by name.

use serde::Deserialize;

/// A whole decision graph.
#[derive(Debug, Clone, Deserialize)]
pub struct Graph {
    /// The nodes, in file order.
    pub nodes: Vec<Node>,
    /// The edges, in file order.
    #[serde(default)]
    pub edges: Vec<Edge>,
}

/// One node of the graph, its content still raw: the loader reads the content by kind so that a malformed node
/// is reported by name.
#[derive(Debug, Clone, Deserialize)]
pub struct Node {
    /// Identifier, unique in the graph.
    pub id: String,
    /// Name shown in the editor.
    #[serde(default)]
    pub name: String,
    /// Kind: `inputNode`, `outputNode`, `decisionTableNode`, `expressionNode`, `switchNode`, or another kind the
    /// loader refuses.
    #[serde(rename = "type")]
    pub kind: String,
    /// Kind-specific content.
    #[serde(default)]
    pub content: serde_json::Value,
}

/// How many rules of a table or statements of a switch apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HitPolicy {
    /// The first matching rule, in order.
    First,
    /// Every matching rule, in order.
    Collect,
    /// At most one rule may match: evaluated like `first`, and the loader refuses overlapping numeric intervals.
    /// An extension of this crate (the GoRules editor offers `first` and `collect`).
    Unique,
}

/// Content of a decision table node.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DecisionTable {
    /// Hit policy.
    pub hit_policy: HitPolicy,
    /// Input columns.
    pub inputs: Vec<Column>,
    /// Output columns.
    pub outputs: Vec<Column>,
    /// Rules: objects mapping `_id` to the rule id and column ids to cell text.
    pub rules: Vec<serde_json::Map<String, serde_json::Value>>,
    /// Nest the outputs under this path (unsupported unless absent or null).
    #[serde(default)]
    pub output_path: Option<String>,
    /// Evaluate the table on this input field (unsupported unless absent or null).
    #[serde(default)]
    pub input_field: Option<String>,
    /// `single` (the default) or `loop` (unsupported).
    #[serde(default)]
    pub execution_mode: Option<String>,
}

/// A column of a decision table.
#[derive(Debug, Clone, Deserialize)]
pub struct Column {
    /// Identifier: the key of this column's cells in each rule.
    pub id: String,
    /// Name shown in the editor.
    #[serde(default)]
    pub name: String,
    /// For inputs, the expression whose value the cells test (empty: each cell is a whole condition); for
    /// outputs, the field the cell's value is written to.
    #[serde(default)]
    pub field: Option<String>,
}

/// Content of an expression node.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpressionContent {
    /// Assignments, evaluated in order.
    pub expressions: Vec<Assignment>,
    /// Nest the outputs under this path (unsupported unless absent or null).
    #[serde(default)]
    pub output_path: Option<String>,
    /// Evaluate on this input field (unsupported unless absent or null).
    #[serde(default)]
    pub input_field: Option<String>,
    /// `single` (the default) or `loop` (unsupported).
    #[serde(default)]
    pub execution_mode: Option<String>,
}

/// One `key = value` assignment.
#[derive(Debug, Clone, Deserialize)]
pub struct Assignment {
    /// Identifier.
    #[serde(default)]
    pub id: String,
    /// The field written.
    pub key: String,
    /// The expression.
    pub value: String,
}

/// Content of a switch node.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SwitchContent {
    /// `first`: the first true statement opens its edges; `collect`: every true statement does.
    #[serde(default = "first")]
    pub hit_policy: HitPolicy,
    /// Statements, each the source handle of its outgoing edges.
    pub statements: Vec<Statement>,
}

fn first() -> HitPolicy {
    HitPolicy::First
}

/// One statement of a switch.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Statement {
    /// Identifier, the `sourceHandle` of its edges.
    pub id: String,
    /// Boolean condition; empty means always true.
    #[serde(default)]
    pub condition: String,
    /// A default statement is true only if no other statement was.
    #[serde(default)]
    pub is_default: bool,
}

/// A directed edge.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Edge {
    /// Identifier.
    #[serde(default)]
    pub id: String,
    /// Source node id.
    pub source_id: String,
    /// Target node id.
    pub target_id: String,
    /// For edges leaving a switch, the statement id.
    #[serde(default)]
    pub source_handle: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_editor_format() {
        let graph: Graph = serde_json::from_str(
            r#"{"nodes": [
                {"id": "in", "name": "Request", "type": "inputNode", "position": {"x": 0, "y": 0}},
                {"id": "t", "name": "Table", "type": "decisionTableNode", "content": {
                    "hitPolicy": "first", "passThrough": true, "inputField": null, "outputPath": null,
                    "inputs": [{"id": "i1", "name": "Age", "field": "applicant.age", "type": "expression"}],
                    "outputs": [{"id": "o1", "name": "Ok", "field": "ok", "type": "expression"}],
                    "rules": [{"_id": "r1", "i1": "[18..65]", "o1": "true"}]}},
                {"id": "f", "type": "functionNode", "content": {"source": "x"}}],
              "edges": [{"id": "e", "sourceId": "in", "targetId": "t", "type": "edge"}]}"#,
        )
        .expect("valid JDM");
        assert_eq!(graph.nodes[0].kind, "inputNode");
        let table: DecisionTable = serde_json::from_value(graph.nodes[1].content.clone()).expect("a table");
        assert_eq!(table.hit_policy, HitPolicy::First);
        assert_eq!(table.rules[0]["i1"], "[18..65]");
        assert_eq!(graph.nodes[2].kind, "functionNode");
        assert_eq!(graph.edges[0].target_id, "t");
    }
}
