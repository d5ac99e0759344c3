//! Golden decisions of the default rural-microcredit policy: each file of `tests/golden` holds an applicant's input,
//! the expected values of some output fields and, per node, the rules or statements expected to match.

use std::fs;
use std::path::{Path, PathBuf};

use policy::Decision;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Checks one golden case, returning every difference found.
fn check(path: &Path, policy: &policy::CompiledPolicy) -> Vec<String> {
    let text = fs::read_to_string(path).expect("golden file is readable");
    let case: serde_json::Value = serde_json::from_str(&text).expect("golden file is JSON");
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let input = match policy.schema().input_from_json(&case["input"]) {
        Ok(input) => input,
        Err(error) => return vec![format!("{name}: input refused: {error}")],
    };
    let decision = policy.evaluate(&input);
    let mut problems = Vec::new();
    let expected = case["expected"].as_object().expect("`expected` is an object");
    for (field, want) in expected {
        let got = decision.get(field).map(policy::Value::to_json);
        if got.as_ref() != Some(want) {
            problems.push(format!("{name}: {field}: expected {want}, got {}", got.unwrap_or(serde_json::Value::Null)));
        }
    }
    if let Some(matched) = case["matched"].as_object() {
        for (node, want) in matched {
            let got = matched_in(&decision, node);
            let want: Vec<String> =
                want.as_array().expect("a list").iter().map(|id| id.as_str().expect("an id").to_owned()).collect();
            if got.as_ref() != Some(&want) {
                problems.push(format!("{name}: node {node}: expected {want:?} to match, got {got:?}"));
            }
        }
    }
    problems
}

fn matched_in(decision: &Decision, node: &str) -> Option<Vec<String>> {
    decision
        .trace()
        .find(|trace| trace.id() == node)
        .map(|trace| trace.matched().iter().map(|id| id.to_string()).collect())
}

#[test]
fn default_policy_golden_decisions() {
    let policy = policy::default_set::policy().expect("the default policy loads");
    let mut paths: Vec<PathBuf> = fs::read_dir(golden_dir())
        .expect("golden directory")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 10, "expected the golden cases, found {}", paths.len());
    let problems: Vec<String> = paths.iter().flat_map(|path| check(path, &policy)).collect();
    assert!(problems.is_empty(), "golden differences:\n{}", problems.join("\n"));
}

#[test]
fn trace_records_inputs_and_outputs_of_each_node() {
    let policy = policy::default_set::policy().expect("the default policy loads");
    let text = fs::read_to_string(golden_dir().join("strong-planting-approved.json")).expect("golden file");
    let case: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let decision = policy.evaluate(&policy.schema().input_from_json(&case["input"]).expect("input"));
    let grade = decision.trace().find(|node| node.id() == "grade").expect("the grade table ran");
    assert_eq!(grade.kind(), "decisionTableNode");
    assert_eq!(grade.name(), "Rating grade 信用等级");
    let inputs: Vec<_> = grade.inputs().collect();
    assert_eq!(inputs, [("features.rating_score_points", &policy::Value::Number(92.into()))]);
    let outputs: Vec<_> = grade.outputs().collect();
    assert_eq!(outputs[0], ("grade.name", &policy::Value::from("AAA")));
    // The knock-out branch did not run.
    assert!(decision.trace().all(|node| node.id() != "knockout-decline"));
    let json = decision.to_json();
    assert_eq!(json["outputs"]["decision.outcome"], "approve");
    assert_eq!(json["trace"][0]["kind"], "inputNode");
}

#[test]
fn reasons_carry_chinese_and_english_text() {
    let policy = policy::default_set::policy().expect("the default policy loads");
    let text = fs::read_to_string(golden_dir().join("thin-file-referred.json")).expect("golden file");
    let case: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let decision = policy.evaluate(&policy.schema().input_from_json(&case["input"]).expect("input"));
    let zh = decision.get("reasons.zh").and_then(policy::Value::as_list).expect("Chinese reasons");
    let en = decision.get("reasons.en").and_then(policy::Value::as_list).expect("English reasons");
    assert_eq!(zh.len(), 2);
    assert_eq!(en.len(), 2);
    assert!(zh[0].as_str().is_some_and(|text| text.contains("征信")), "{zh:?}");
    assert!(en[0].as_str().is_some_and(|text| text.contains("credit history")), "{en:?}");
}

#[test]
fn default_schema_reads_only_catalogued_features() {
    let schema = policy::default_set::schema().expect("the default schema");
    let catalogue: Vec<&str> = features::CATALOGUE.iter().map(|def| def.name).collect();
    for def in schema.fields() {
        if let Some(feature) = def.field.strip_prefix("features.") {
            assert!(catalogue.contains(&feature), "`{}` is not in the feature catalogue", def.field);
        }
    }
}
