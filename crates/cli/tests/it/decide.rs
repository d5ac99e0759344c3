//! `agririsk decide apply` end to end on the tiny county with the shipped model and the default policy: a decision
//! with at most four reasons and its versions, the same request once, a reused request id refused, and every bad
//! application refused with exit 2, its code and field, and the data directory unchanged.

use std::path::Path;

use serde_json::{Value, json};

use super::county::{county, exclusive, s};
use super::{agririsk, snapshot, stderr};

fn application(household: &str, request_id: &str) -> Value {
    json!({
        "request_id": request_id, "application_id": format!("A-{request_id}"), "household_id": household,
        "applied_on": "2026-03-05", "product": "crop", "purpose": "crop-inputs",
        "purpose_text": "购买玉米种子和复合肥", "amount_yuan": "20000", "term_months": 9
    })
}

fn write(dir: &Path, name: &str, value: &Value) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, value.to_string()).expect("write application");
    path
}

#[test]
fn an_application_is_decided_once_with_reasons_and_versions() {
    let c = county();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write(dir.path(), "a.json", &application("H0000003", "cli-apply-1"));
    let _guard = exclusive();
    let first = agririsk(&c.data, &["decide", "apply", s(&file), "--format", "json"]);
    assert!(first.status.success(), "{}", stderr(&first));
    let record: Value = serde_json::from_slice(&first.stdout).expect("json");
    assert!(["approve", "refer", "decline"].contains(&record["outcome"].as_str().unwrap_or_default()));
    let reasons = record["reasons"].as_array().expect("reasons");
    assert!(reasons.len() <= 4);
    assert!(reasons.iter().all(|r| r["zh"].as_str().is_some_and(|t| !t.is_empty()) && r["en"].is_string()));
    assert_eq!(record["versions"]["policy"], "rural-microcredit@default");
    assert_eq!(record["versions"]["model"].as_str().map(str::len), Some(64));
    assert!(record["policy"]["trace"].as_array().is_some_and(|t| !t.is_empty()));
    assert!(record["features"].as_object().is_some_and(|f| f.len() == features::CATALOGUE.len()));

    // The same request again: the stored decision, nothing new written.
    let before = snapshot(&c.data);
    let again = agririsk(&c.data, &["decide", "apply", s(&file), "--format", "json"]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(serde_json::from_slice::<Value>(&again.stdout).expect("json"), record);
    assert!(snapshot(&c.data) == before, "a repeated request writes nothing");

    // The same request id with another amount: refused, nothing written.
    let mut changed = application("H0000003", "cli-apply-1");
    changed["amount_yuan"] = json!("25000");
    let changed = write(dir.path(), "b.json", &changed);
    let out = agririsk(&c.data, &["decide", "apply", s(&changed)]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("request_reused"), "{}", stderr(&out));
    assert!(snapshot(&c.data) == before, "a refused request writes nothing");
}

#[test]
fn bad_applications_exit_2_naming_code_and_field_and_write_nothing() {
    let c = county();
    let dir = tempfile::tempdir().expect("temp dir");
    let malformed = dir.path().join("malformed.json");
    std::fs::write(&malformed, "{\"request_id\": ").expect("write");
    let mut cases = vec![(malformed, "malformed_json", "")];
    type Change = Box<dyn Fn(&mut Value)>;
    let variants: [(&str, Change, &str, &str); 6] = [
        (
            "missing",
            Box::new(|v| drop(v.as_object_mut().map(|o| o.remove("term_months")))),
            "missing_field",
            "term_months",
        ),
        // An applicant does not assert its own consent: that is the lender's screening register.
        ("asserted", Box::new(|v| v["consent"] = json!(true)), "invalid_field", "consent"),
        ("product", Box::new(|v| v["product"] = json!("tractor")), "unknown_product", "product"),
        ("amount", Box::new(|v| v["amount_yuan"] = json!("50")), "out_of_range", "amount_yuan"),
        ("household", Box::new(|v| v["household_id"] = json!("H9999999")), "unknown_applicant", "household_id"),
        ("date", Box::new(|v| v["applied_on"] = json!("2026-02-30")), "invalid_field", "applied_on"),
    ];
    for (name, change, code, field) in variants {
        let mut value = application("H0000003", &format!("cli-bad-{name}"));
        change(&mut value);
        cases.push((write(dir.path(), &format!("{name}.json"), &value), code, field));
    }
    let _guard = exclusive();
    let before = snapshot(&c.data);
    for (file, code, field) in cases {
        let out = agririsk(&c.data, &["decide", "apply", s(&file)]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{code}: {err}");
        assert!(err.contains(&format!("[{code}]")) && err.contains(field), "{code} {field}: {err}");
    }
    assert!(snapshot(&c.data) == before, "refused applications write nothing");
}
