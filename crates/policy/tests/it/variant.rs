//! Variants of golden applicants for table-driven tests of single branches of the default policy: a golden file's
//! input with some fields replaced, evaluated, and read back as JSON values and matched rule ids.

use std::path::Path;
use std::sync::LazyLock;

use policy::{CompiledPolicy, Decision};

static POLICY: LazyLock<CompiledPolicy> =
    LazyLock::new(|| policy::default_set::policy().expect("the default policy loads"));

/// The input of `tests/golden/<golden>` with each dotted field of `set` replaced (or added).
pub fn applicant(golden: &str, set: &[(&str, serde_json::Value)]) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(golden);
    let text = std::fs::read_to_string(&path).expect("golden file is readable");
    let case: serde_json::Value = serde_json::from_str(&text).expect("golden file is JSON");
    let mut input = case["input"].clone();
    for (field, value) in set {
        let (parent, leaf) = field.rsplit_once('.').expect("a dotted field");
        let object = parent.split('.').fold(&mut input, |object, key| &mut object[key]);
        object[leaf] = value.clone();
    }
    input
}

/// The default policy's decision on a variant of a golden applicant.
pub fn decide(golden: &str, set: &[(&str, serde_json::Value)]) -> Decision {
    let json = applicant(golden, set);
    POLICY.evaluate(&POLICY.schema().input_from_json(&json).expect("the variant fits the schema"))
}

/// An output field as JSON; null when the decision does not hold it.
pub fn field(decision: &Decision, name: &str) -> serde_json::Value {
    decision.get(name).map_or(serde_json::Value::Null, policy::Value::to_json)
}

/// The ids of the rules or statements of `node` that matched; empty if the node did not run.
pub fn matched(decision: &Decision, node: &str) -> Vec<String> {
    decision
        .trace()
        .find(|trace| trace.id() == node)
        .map(|trace| trace.matched().iter().map(|id| id.to_string()).collect())
        .unwrap_or_default()
}

/// The rule ids of the decision table `node` of the shipped graph, in file order.
pub fn rule_ids(node: &str) -> Vec<String> {
    let graph: serde_json::Value = serde_json::from_str(policy::default_set::GRAPH_JSON).expect("the graph is JSON");
    let nodes = graph["nodes"].as_array().expect("nodes");
    let table = nodes.iter().find(|candidate| candidate["id"] == node).expect("the node exists");
    let rules = table["content"]["rules"].as_array().expect("a decision table");
    rules.iter().map(|rule| rule["_id"].as_str().expect("a rule id").to_owned()).collect()
}
