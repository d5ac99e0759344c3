//! Evaluation of a compiled policy. Nodes run in the topological order fixed at load time; a node runs if one of
//! its incoming edges is open (its source ran and, for a switch, the edge's statement was chosen). Every node
//! reads from and writes to one set of slots: the input fields, then the output fields of the nodes that ran
//! before it (as a GoRules graph whose nodes all pass their input through). A decision table with hit policy
//! `first` or `unique` writes the outputs of its first matching rule; `collect` writes, for each output column, the
//! list of the values of every matching rule; a table with no match writes nothing. Evaluation allocates its own
//! slots, never fails and gives the same decision for the same input.

use std::sync::Arc;

use crate::load::{CKind, CompiledPolicy, Program};
use crate::schema::Input;
use crate::value::Value;

/// The outcome of one evaluation: every output field and the trace. Names are read from the policy it came from,
/// which the decision keeps alive; its own storage is a few flat vectors.
#[derive(Debug, Clone)]
pub struct Decision {
    program: Arc<Program>,
    /// Values of `program.output_slots`, in order.
    outputs: Vec<Value>,
    entries: Vec<Entry>,
    /// For each entry, the values of its node's `reads` then of its `writes`.
    values: Vec<Value>,
    /// Indices of matched rules or chosen statements, ranges of it per entry.
    matched: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    node: usize,
    values_start: usize,
    matched_start: usize,
    matched_end: usize,
}

/// What one node did: a view into a [`Decision`].
#[derive(Debug, Clone, Copy)]
pub struct NodeTrace<'d> {
    decision: &'d Decision,
    entry: &'d Entry,
}

impl PartialEq for Decision {
    fn eq(&self, other: &Self) -> bool {
        (Arc::ptr_eq(&self.program, &other.program) || self.program.file == other.program.file)
            && self.outputs == other.outputs
            && self.entries == other.entries
            && self.values == other.values
            && self.matched == other.matched
    }
}

impl<'d> NodeTrace<'d> {
    /// The node id.
    pub fn id(&self) -> &'d str {
        &self.decision.program.nodes[self.entry.node].id
    }

    /// The node name.
    pub fn name(&self) -> &'d str {
        &self.decision.program.nodes[self.entry.node].name
    }

    /// `inputNode`, `outputNode`, `decisionTableNode`, `expressionNode` or `switchNode`.
    pub fn kind(&self) -> &'static str {
        self.decision.program.nodes[self.entry.node].kind_name
    }

    /// Ids of the matched rules (tables) or the chosen statements (switches), in order.
    pub fn matched(&self) -> Vec<&'d str> {
        let node = &self.decision.program.nodes[self.entry.node];
        self.decision.matched[self.entry.matched_start..self.entry.matched_end]
            .iter()
            .map(|index| {
                let index = *index as usize;
                match &node.kind {
                    CKind::Table(table) => &*table.rules[index].id,
                    CKind::Switch(switch) => &*switch.statements[index].0,
                    _ => "",
                }
            })
            .collect()
    }

    /// The fields the node reads, with their values when it ran.
    pub fn inputs(&self) -> impl ExactSizeIterator<Item = (&'d str, &'d Value)> + use<'d> {
        let node = &self.decision.program.nodes[self.entry.node];
        let values = &self.decision.values[self.entry.values_start..self.entry.values_start + node.reads.len()];
        node.reads.iter().map(|slot| &*self.decision.program.slot_names[*slot]).zip(values)
    }

    /// The fields the node writes, with their values after it ran.
    pub fn outputs(&self) -> impl ExactSizeIterator<Item = (&'d str, &'d Value)> + use<'d> {
        let node = &self.decision.program.nodes[self.entry.node];
        let start = self.entry.values_start + node.reads.len();
        let values = &self.decision.values[start..start + node.writes.len()];
        node.writes.iter().map(|slot| &*self.decision.program.slot_names[*slot]).zip(values)
    }
}

impl Decision {
    /// Every output field of the policy with its value (null if no node that ran set it), in node order.
    pub fn outputs(&self) -> impl ExactSizeIterator<Item = (&str, &Value)> {
        self.program.output_slots.iter().map(|slot| &*self.program.slot_names[*slot]).zip(&self.outputs)
    }

    /// The value of one output field.
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.outputs().find(|(name, _)| *name == field).map(|(_, value)| value)
    }

    /// The nodes that ran, in order.
    pub fn trace(&self) -> impl ExactSizeIterator<Item = NodeTrace<'_>> {
        self.entries.iter().map(move |entry| NodeTrace { decision: self, entry })
    }

    /// The file name of the policy that made this decision.
    pub fn policy_file(&self) -> &str {
        &self.program.file
    }

    /// The decision as JSON: `{"outputs": {field: value}, "trace": [{"id", "name", "kind", "matched", "inputs",
    /// "outputs"}]}`, field names flat and numbers exact.
    pub fn to_json(&self) -> serde_json::Value {
        fn fields<'a>(pairs: impl Iterator<Item = (&'a str, &'a Value)>) -> serde_json::Value {
            serde_json::Value::Object(pairs.map(|(name, value)| (name.to_owned(), value.to_json())).collect())
        }
        let trace = self
            .trace()
            .map(|node| {
                serde_json::json!({
                    "id": node.id(),
                    "name": node.name(),
                    "kind": node.kind(),
                    "matched": node.matched(),
                    "inputs": fields(node.inputs()),
                    "outputs": fields(node.outputs()),
                })
            })
            .collect();
        serde_json::json!({ "outputs": fields(self.outputs()), "trace": serde_json::Value::Array(trace) })
    }
}

/// Fields as a JSON object, written as they are iterated.
struct Fields<I>(std::cell::Cell<Option<I>>);

impl<'a, I: Iterator<Item = (&'a str, &'a Value)>> serde::Serialize for Fields<I> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let pairs = self.0.take().into_iter().flatten();
        let mut map = serializer.serialize_map(None)?;
        for (name, value) in pairs {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

impl serde::Serialize for NodeTrace<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(6))?;
        map.serialize_entry("id", self.id())?;
        map.serialize_entry("name", self.name())?;
        map.serialize_entry("kind", self.kind())?;
        map.serialize_entry("matched", &self.matched())?;
        map.serialize_entry("inputs", &Fields(std::cell::Cell::new(Some(self.inputs()))))?;
        map.serialize_entry("outputs", &Fields(std::cell::Cell::new(Some(self.outputs()))))?;
        map.end()
    }
}

/// Serialises as [`Decision::to_json`] does, without building the JSON tree first.
impl serde::Serialize for Decision {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        struct Trace<'a>(&'a Decision);
        impl serde::Serialize for Trace<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut seq = serializer.serialize_seq(Some(self.0.entries.len()))?;
                for node in self.0.trace() {
                    seq.serialize_element(&node)?;
                }
                seq.end()
            }
        }
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("outputs", &Fields(std::cell::Cell::new(Some(self.outputs()))))?;
        map.serialize_entry("trace", &Trace(self))?;
        map.end()
    }
}

/// Evaluates a policy on an input.
///
/// # Panics
/// If the input was built from a different schema than the policy was loaded with: a programming error.
pub fn evaluate(policy: &CompiledPolicy, input: &Input) -> Decision {
    let program = &policy.program;
    assert!(
        Arc::ptr_eq(input.schema(), &program.schema) || **input.schema() == *program.schema,
        "the input follows another schema than the policy `{}`",
        program.file
    );
    let mut slots: Vec<Value> = Vec::with_capacity(program.slot_names.len());
    slots.extend_from_slice(input.values());
    slots.resize(program.slot_names.len(), Value::Null);
    let mut ran = vec![false; program.nodes.len()];
    let mut opened = vec![false; program.statements];
    let mut entries = Vec::with_capacity(program.nodes.len());
    let mut values = Vec::with_capacity(program.trace_values);
    let mut matched: Vec<u32> = Vec::with_capacity(program.nodes.len() * 2);
    // Scratch space reused by every table: the column values, and the outputs of the first matching rule.
    let mut columns: Vec<Value> = Vec::new();
    let mut written: Vec<Value> = Vec::new();
    for (position, node) in program.nodes.iter().enumerate() {
        let active = matches!(node.kind, CKind::Input)
            || node.incoming.iter().any(|(source, handle)| ran[*source] && handle.is_none_or(|h| opened[h]));
        if !active {
            continue;
        }
        ran[position] = true;
        let values_start = values.len();
        values.extend(node.reads.iter().map(|slot| slots[*slot].clone()));
        let matched_start = matched.len();
        match &node.kind {
            CKind::Input | CKind::Output => {}
            CKind::Expression(assignments) => {
                for (slot, value) in assignments {
                    slots[*slot] = value.eval(&slots, &Value::Null);
                }
            }
            CKind::Switch(switch) => {
                let mut any = false;
                for (index, (_, condition, is_default, global)) in switch.statements.iter().enumerate() {
                    if *is_default || (any && !switch.collect) {
                        continue;
                    }
                    if condition.as_ref().is_none_or(|condition| condition.holds(&slots, &Value::Null)) {
                        opened[*global] = true;
                        matched.push(index as u32);
                        any = true;
                    }
                }
                if !any {
                    for (index, (_, _, is_default, global)) in switch.statements.iter().enumerate() {
                        if *is_default {
                            opened[*global] = true;
                            matched.push(index as u32);
                        }
                    }
                }
            }
            CKind::Table(table) => {
                columns.clear();
                columns.extend(
                    table
                        .columns
                        .iter()
                        .map(|column| column.as_ref().map_or(Value::Null, |c| c.eval(&slots, &Value::Null))),
                );
                let mut collected: Vec<Vec<Value>> =
                    if table.collect { vec![Vec::new(); table.outputs.len()] } else { Vec::new() };
                let mut first = false;
                for (index, rule) in table.rules.iter().enumerate() {
                    let hit = rule.tests.iter().zip(&columns).all(|(test, column)| test.passes(&slots, column));
                    if !hit {
                        continue;
                    }
                    matched.push(index as u32);
                    let outputs = rule.outputs.iter().map(|output| output.eval(&slots, &Value::Null));
                    if table.collect {
                        for (list, value) in collected.iter_mut().zip(outputs) {
                            list.push(value);
                        }
                    } else {
                        // Every output is computed before any is written, so they all see the same fields.
                        written.clear();
                        written.extend(outputs);
                        first = true;
                        break;
                    }
                }
                if table.collect {
                    for (slot, list) in table.outputs.iter().zip(collected) {
                        slots[*slot] = Value::List(Arc::from(list));
                    }
                } else if first {
                    for (slot, value) in table.outputs.iter().zip(written.drain(..)) {
                        slots[*slot] = value;
                    }
                }
            }
        }
        values.extend(node.writes.iter().map(|slot| slots[*slot].clone()));
        entries.push(Entry { node: position, values_start, matched_start, matched_end: matched.len() });
    }
    let outputs = program.output_slots.iter().map(|slot| slots[*slot].clone()).collect();
    Decision { program: Arc::clone(program), outputs, entries, values, matched }
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
        let kinds: Vec<&str> = adult.trace().map(|node| node.kind()).collect();
        assert_eq!(kinds, ["inputNode", "switchNode", "decisionTableNode", "decisionTableNode", "outputNode"]);
        let trace: Vec<NodeTrace<'_>> = adult.trace().collect();
        assert_eq!(trace[1].matched(), ["adult"]);
        assert_eq!(trace[2].matched(), ["young"]);
        assert_eq!(trace[2].inputs().collect::<Vec<_>>(), [("age", &Value::Number(25.into()))]);
        assert_eq!(trace[2].outputs().collect::<Vec<_>>(), [("band", &Value::from("young"))]);
        assert_eq!(trace[3].matched(), ["b"]);
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
