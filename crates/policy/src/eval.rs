//! Evaluation of a compiled policy. Nodes run in the topological order fixed at load time; a node runs if one of
//! its incoming edges is open (its source ran and, for a switch, the edge's statement was chosen). Every node
//! reads from and writes to one set of slots: the input fields, then the output fields of the nodes that ran
//! before it (as a GoRules graph whose nodes all pass their input through). A decision table with hit policy
//! `first` or `unique` writes the outputs of its first matching rule; `collect` writes, for each output column, the
//! list of the values of every matching rule; a table with no match writes nothing. Evaluation allocates its own
//! slots, never fails and gives the same decision for the same input.

use std::sync::Arc;

use crate::load::{CKind, CompiledPolicy};
use crate::schema::Input;
use crate::value::Value;

/// The outcome of one evaluation: every output field and the trace.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    outputs: Vec<(Arc<str>, Value)>,
    trace: Vec<NodeTrace>,
}

/// What one node did.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeTrace {
    /// The node id.
    pub id: Arc<str>,
    /// The node name.
    pub name: Arc<str>,
    /// `inputNode`, `outputNode`, `decisionTableNode`, `expressionNode` or `switchNode`.
    pub kind: &'static str,
    /// Ids of the matched rules (tables) or the chosen statements (switches).
    pub matched: Vec<Arc<str>>,
    /// The fields the node reads, with their values when it ran.
    pub inputs: Vec<(Arc<str>, Value)>,
    /// The fields the node writes, with their values after it ran.
    pub outputs: Vec<(Arc<str>, Value)>,
}

impl Decision {
    /// Every output field of the policy with its value (null if no node that ran set it).
    pub fn outputs(&self) -> &[(Arc<str>, Value)] {
        &self.outputs
    }

    /// The value of one output field.
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.outputs.iter().find(|(name, _)| &**name == field).map(|(_, value)| value)
    }

    /// The nodes that ran, in order.
    pub fn trace(&self) -> &[NodeTrace] {
        &self.trace
    }

    /// The decision as JSON: `{"outputs": {field: value}, "trace": [{"id", "name", "kind", "matched", "inputs",
    /// "outputs"}]}`, field names flat and numbers exact.
    pub fn to_json(&self) -> serde_json::Value {
        let fields = |pairs: &[(Arc<str>, Value)]| {
            serde_json::Value::Object(pairs.iter().map(|(name, value)| (name.to_string(), value.to_json())).collect())
        };
        let trace = self
            .trace
            .iter()
            .map(|node| {
                serde_json::json!({
                    "id": &*node.id,
                    "name": &*node.name,
                    "kind": node.kind,
                    "matched": node.matched.iter().map(|id| id.to_string()).collect::<Vec<_>>(),
                    "inputs": fields(&node.inputs),
                    "outputs": fields(&node.outputs),
                })
            })
            .collect();
        serde_json::json!({ "outputs": fields(&self.outputs), "trace": serde_json::Value::Array(trace) })
    }
}

/// Evaluates a policy on an input.
///
/// # Panics
/// If the input was built from a different schema than the policy was loaded with: a programming error.
pub fn evaluate(policy: &CompiledPolicy, input: &Input) -> Decision {
    assert!(
        Arc::ptr_eq(input.schema(), policy.schema()) || input.schema() == policy.schema(),
        "the input follows another schema than the policy `{}`",
        policy.file()
    );
    let mut slots: Vec<Value> = Vec::with_capacity(policy.slot_names.len());
    slots.extend_from_slice(input.values());
    slots.resize(policy.slot_names.len(), Value::Null);
    let mut ran = vec![false; policy.nodes.len()];
    let mut opened = vec![false; policy.statements];
    let mut trace = Vec::with_capacity(policy.nodes.len());
    let name = |slot: usize| Arc::clone(&policy.slot_names[slot]);
    for (position, node) in policy.nodes.iter().enumerate() {
        let active = matches!(node.kind, CKind::Input)
            || node.incoming.iter().any(|(source, handle)| ran[*source] && handle.is_none_or(|h| opened[h]));
        if !active {
            continue;
        }
        ran[position] = true;
        let inputs = node.reads.iter().map(|slot| (name(*slot), slots[*slot].clone())).collect();
        let mut matched = Vec::new();
        let kind = match &node.kind {
            CKind::Input => "inputNode",
            CKind::Output => "outputNode",
            CKind::Expression(assignments) => {
                for (slot, value) in assignments {
                    slots[*slot] = value.eval(&slots, &Value::Null);
                }
                "expressionNode"
            }
            CKind::Switch(switch) => {
                let mut any = false;
                for (id, condition, is_default, global) in &switch.statements {
                    if *is_default || (any && !switch.collect) {
                        continue;
                    }
                    if condition.as_ref().is_none_or(|condition| condition.holds(&slots, &Value::Null)) {
                        opened[*global] = true;
                        matched.push(Arc::clone(id));
                        any = true;
                    }
                }
                if !any {
                    for (id, _, _, global) in switch.statements.iter().filter(|statement| statement.2) {
                        opened[*global] = true;
                        matched.push(Arc::clone(id));
                    }
                }
                "switchNode"
            }
            CKind::Table(table) => {
                let columns: Vec<Value> = table
                    .columns
                    .iter()
                    .map(|column| column.as_ref().map_or(Value::Null, |column| column.eval(&slots, &Value::Null)))
                    .collect();
                let mut collected: Vec<Vec<Value>> =
                    if table.collect { vec![Vec::new(); table.outputs.len()] } else { Vec::new() };
                let mut first: Option<Vec<Value>> = None;
                for rule in &table.rules {
                    let hit = rule.tests.iter().zip(&columns).all(|(test, column)| test.passes(&slots, column));
                    if !hit {
                        continue;
                    }
                    matched.push(Arc::clone(&rule.id));
                    let values = rule.outputs.iter().map(|output| output.eval(&slots, &Value::Null));
                    if table.collect {
                        for (list, value) in collected.iter_mut().zip(values) {
                            list.push(value);
                        }
                    } else {
                        first = Some(values.collect());
                        break;
                    }
                }
                if table.collect {
                    for (slot, list) in table.outputs.iter().zip(collected) {
                        slots[*slot] = Value::List(Arc::from(list));
                    }
                } else if let Some(values) = first {
                    for (slot, value) in table.outputs.iter().zip(values) {
                        slots[*slot] = value;
                    }
                }
                "decisionTableNode"
            }
        };
        let outputs = node.writes.iter().map(|slot| (name(*slot), slots[*slot].clone())).collect();
        trace.push(NodeTrace {
            id: Arc::clone(&node.id),
            name: Arc::clone(&node.name),
            kind,
            matched,
            inputs,
            outputs,
        });
    }
    let outputs = policy.output_slots.iter().map(|slot| (name(*slot), slots[*slot].clone())).collect();
    Decision { outputs, trace }
}

impl CompiledPolicy {
    /// Evaluates this policy on an input; see [`evaluate`].
    pub fn evaluate(&self, input: &Input) -> Decision {
        evaluate(self, input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::load;
    use crate::schema::Schema;

    const GRAPH: &str = r#"{
      "nodes": [
        {"id": "in", "name": "Request", "type": "inputNode"},
        {"id": "sw", "name": "Adult?", "type": "switchNode", "content": {"hitPolicy": "first", "statements": [
          {"id": "adult", "condition": "age >= 18"},
          {"id": "minor", "condition": "", "isDefault": true}]}},
        {"id": "t", "name": "Band", "type": "decisionTableNode", "content": {"hitPolicy": "first",
          "inputs": [{"id": "c1", "name": "Age", "field": "age"}],
          "outputs": [{"id": "o1", "name": "Band", "field": "band"}],
          "rules": [{"_id": "young", "c1": "< 30", "o1": "\"young\""}, {"_id": "rest", "c1": "", "o1": "\"rest\""}]}},
        {"id": "x", "name": "Minor", "type": "expressionNode", "content": {"expressions": [
          {"id": "e1", "key": "band", "value": "\"minor\""},
          {"id": "e2", "key": "doubled", "value": "age * 2"},
          {"id": "e3", "key": "plus", "value": "$.doubled + 1"}]}},
        {"id": "r", "name": "Reasons", "type": "decisionTableNode", "content": {"hitPolicy": "collect",
          "inputs": [{"id": "c1", "name": "Age", "field": "age"}],
          "outputs": [{"id": "o1", "name": "Code", "field": "codes"}],
          "rules": [{"_id": "a", "c1": "< 18", "o1": "\"R1\""}, {"_id": "b", "c1": "< 40", "o1": "\"R2\""}]}},
        {"id": "out", "name": "Response", "type": "outputNode"}],
      "edges": [
        {"id": "e1", "sourceId": "in", "targetId": "sw"},
        {"id": "e2", "sourceId": "sw", "targetId": "t", "sourceHandle": "adult"},
        {"id": "e3", "sourceId": "sw", "targetId": "x", "sourceHandle": "minor"},
        {"id": "e4", "sourceId": "t", "targetId": "r"},
        {"id": "e5", "sourceId": "x", "targetId": "r"},
        {"id": "e6", "sourceId": "r", "targetId": "out"}]
    }"#;

    fn run(age: i64) -> Decision {
        let schema = Arc::new(Schema::from_json(r#"[{"field": "age", "type": "number"}]"#).expect("schema"));
        let policy = load("test.json", GRAPH, &schema).expect("loads");
        let input = schema.input_from_json(&serde_json::json!({ "age": age })).expect("input");
        policy.evaluate(&input)
    }

    #[test]
    fn switch_routes_and_tables_match() {
        let adult = run(25);
        assert_eq!(adult.get("band"), Some(&Value::from("young")));
        assert_eq!(adult.get("doubled"), Some(&Value::Null));
        let kinds: Vec<&str> = adult.trace().iter().map(|node| node.kind).collect();
        assert_eq!(kinds, ["inputNode", "switchNode", "decisionTableNode", "decisionTableNode", "outputNode"]);
        assert_eq!(&*adult.trace()[1].matched[0], "adult");
        assert_eq!(&*adult.trace()[2].matched[0], "young");
        assert_eq!(adult.trace()[2].inputs, vec![(Arc::from("age"), Value::Number(25.into()))]);
    }

    #[test]
    fn default_statement_and_expression_keys() {
        let minor = run(10);
        assert_eq!(minor.get("band"), Some(&Value::from("minor")));
        assert_eq!(minor.get("plus"), Some(&Value::Number(21.into())));
        let codes = minor.get("codes").and_then(Value::as_list).expect("a list");
        assert_eq!(codes, [Value::from("R1"), Value::from("R2")]);
        assert_eq!(minor.to_json()["outputs"]["codes"], serde_json::json!(["R1", "R2"]));
    }
}
