//! JSON Lines: the simulator's `.jsonl` files validate clean and give the very values their CSV twins give; each
//! kind of bad line (not JSON, not an object, a missing key, a wrong JSON type, a required null) is quarantined with
//! its reason while the other lines pass; unknown keys are ignored.

use ingest::{Format, KnownKeys, Outcome, Reason, Value, contracts, validate, validate_as, validate_jsonl};
use serde_json::json;

use crate::{jsonl_of, keys_through_households, quarantined, sim, simulator_files};

fn values(outcomes: impl Iterator<Item = Outcome>) -> Vec<Vec<Value>> {
    outcomes
        .map(|o| match o {
            Outcome::Valid(row) => row.values().to_vec(),
            other => panic!("every row passes: {other:?}"),
        })
        .collect()
}

#[test]
fn tiny_simulation_jsonl_validates_clean_with_the_same_values_as_csv() {
    let mut keys = KnownKeys::new();
    for (contract, csv, jsonl) in simulator_files() {
        let contract: &'static ingest::Contract = contract;
        let file = format!("{}.jsonl", contract.name);
        let mut validation = validate_jsonl(contract, &file, jsonl, None, &keys);
        let from_jsonl = values(validation.by_ref());
        let summary = validation.summary().clone();
        assert_eq!(summary.quarantined, 0, "{file}");
        assert!(summary.valid > 0 && summary.is_consistent(), "{file}: {summary:?}");
        let from_csv = values(validate(contract, contract.name, csv, None, &keys).expect("header"));
        assert_eq!(from_jsonl, from_csv, "{file}: JSON Lines and CSV give the same typed rows");
        keys.extend(contract.name, validation.into_keys());
    }
    // The deferred references hold in JSON Lines too.
    let deferred = ["households", "applications"];
    for (contract, _, jsonl) in simulator_files().iter().filter(|(c, _, _)| deferred.contains(&c.name)) {
        let (q, _) = validate_jsonl(contract, contract.name, jsonl, None, &keys).finish();
        assert!(q.is_empty(), "{}: {:?}", contract.name, q.first().map(ToString::to_string));
    }
}

/// The households file as JSON objects, one per line.
fn household_objects() -> Vec<serde_json::Map<String, serde_json::Value>> {
    sim()
        .tables
        .households
        .iter()
        .map(|h| match serde_json::to_value(h).expect("serialises") {
            serde_json::Value::Object(object) => object,
            other => panic!("a row is an object: {other}"),
        })
        .collect()
}

#[test]
fn each_kind_of_bad_jsonl_line_is_quarantined_and_good_lines_pass() {
    let objects = household_objects();
    let mut lines: Vec<String> = objects.iter().map(|o| serde_json::to_string(o).expect("serialises")).collect();
    let edit = |i: usize, f: &dyn Fn(&mut serde_json::Map<String, serde_json::Value>)| {
        let mut object = objects[i].clone();
        f(&mut object);
        serde_json::to_string(&object).expect("serialises")
    };
    lines[1] = r#"{"household_id": "H0000002", "village_code": "#.to_owned(); // truncated: not JSON
    lines[2] = "[1, 2, 3]".to_owned(); // JSON, not an object
    lines[3] = edit(3, &|o| {
        o.remove("size");
    });
    lines[4] = edit(4, &|o| {
        o.insert("size".into(), json!("4"));
    });
    lines[5] = edit(5, &|o| {
        o.insert("deposits".into(), json!(1234.5));
    });
    lines[6] = edit(6, &|o| {
        o.insert("head_gender".into(), serde_json::Value::Null);
    });
    lines[7] = edit(7, &|o| {
        o.insert("minority".into(), json!("false"));
    });
    lines[8] = edit(8, &|o| {
        o.insert("added_later".into(), json!({"any": "thing"}));
    });
    lines[9] = edit(9, &|o| {
        o.insert("head_age".into(), json!(45.5));
    });
    let mut bytes = lines.join("\n").into_bytes();
    bytes.extend_from_slice(b"\n\n");
    let keys = keys_through_households();
    let outs: Vec<Outcome> = validate_jsonl(&contracts::HOUSEHOLDS, "households.jsonl", &bytes, None, &keys).collect();
    let got: Vec<(u64, Option<&str>, Reason)> =
        quarantined(&outs).iter().map(|q| (q.line, q.field, q.reason)).collect();
    assert_eq!(
        got,
        vec![
            (2, None, Reason::MalformedLine),
            (3, None, Reason::MalformedLine),
            (4, Some("size"), Reason::FieldCount),
            (5, Some("size"), Reason::WrongType),
            (6, Some("deposits"), Reason::WrongType),
            (7, Some("head_gender"), Reason::MissingValue),
            (8, Some("minority"), Reason::WrongType),
            (10, Some("head_age"), Reason::WrongType),
        ]
    );
    let q = quarantined(&outs);
    assert!(q[1].detail.contains("array"), "{}", q[1]);
    assert!(q[2].detail.contains("`size`"), "{}", q[2]);
    assert!(q[4].detail.contains("number where a string"), "{}", q[4]);
    assert_eq!(outs.len(), lines.len(), "the blank last line is no row");
    assert_eq!(outs.iter().filter(|o| matches!(o, Outcome::Valid(_))).count(), lines.len() - 8);
}

#[test]
fn duplicate_jsonl_objects_are_skipped_or_quarantined_by_content() {
    let objects = household_objects();
    let mut lines: Vec<String> = objects[..3].iter().map(|o| serde_json::to_string(o).expect("json")).collect();
    // The same object with its keys in another order and an unknown key is the same row.
    let mut reordered: Vec<(&String, &serde_json::Value)> = objects[0].iter().collect();
    reordered.reverse();
    let mut same = serde_json::Map::new();
    for (k, v) in reordered {
        same.insert(k.clone(), v.clone());
    }
    same.insert("note".into(), json!("ignored"));
    lines.push(serde_json::to_string(&same).expect("json"));
    let mut changed = objects[1].clone();
    changed.insert("deposits".into(), json!("1.00"));
    lines.push(serde_json::to_string(&changed).expect("json"));
    let bytes = lines.join("\n").into_bytes();
    let keys = keys_through_households();
    let outs: Vec<Outcome> = validate_jsonl(&contracts::HOUSEHOLDS, "households.jsonl", &bytes, None, &keys).collect();
    assert_eq!(outs[3], Outcome::Duplicate { line: 4, first_line: 1 });
    let Outcome::Quarantined(q) = &outs[4] else { panic!("changed content is quarantined: {:?}", outs[4]) };
    assert_eq!((q.line, q.reason), (5, Reason::DuplicateKey));
}

#[test]
fn null_is_absent_for_optional_numbers_as_the_prices_file_writes_it() {
    let bytes = jsonl_of(&sim().tables.prices);
    let text = String::from_utf8(bytes.clone()).expect("utf-8");
    assert!(text.contains(r#""pig_grain_ratio":null"#), "the simulator writes null for absent numbers");
    let rows = values(validate_jsonl(&contracts::PRICES, "prices.jsonl", &bytes, None, &KnownKeys::new()));
    assert!(rows.iter().any(|r| r[3] == Value::Absent));
}

#[test]
fn empty_jsonl_file_and_blank_lines_give_no_rows() {
    let keys = KnownKeys::new();
    let (q, summary) = validate_jsonl(&contracts::COUNTIES, "counties.jsonl", b"", None, &keys).finish();
    assert!(q.is_empty());
    assert_eq!(summary.read, 0);
    let bytes = b"\xEF\xBB\xBF{\"county_code\":\"990101\",\"zone\":\"hhh\",\"synthetic\":true}\r\n\r\n  \n";
    let (q, summary) = validate_jsonl(&contracts::COUNTIES, "counties.jsonl", bytes, None, &keys).finish();
    assert!(q.is_empty(), "{q:?}");
    assert_eq!((summary.read, summary.valid), (1, 1));
}

#[test]
fn format_is_told_from_the_file_name_and_validate_as_dispatches() {
    assert_eq!(Format::from_path("out/households.csv"), Some(Format::Csv));
    assert_eq!(Format::from_path("households.JSONL"), Some(Format::Jsonl));
    assert_eq!(Format::from_path("manifest.json"), None);
    assert_eq!(Format::from_path("households"), None);
    assert_eq!(Format::Jsonl.extension(), "jsonl");
    let keys = KnownKeys::new();
    let line = br#"{"county_code":"990101","zone":"hhh","synthetic":true}"#;
    let v = validate_as(Format::Jsonl, &contracts::COUNTIES, "counties.jsonl", line, None, &keys).expect("no header");
    assert_eq!(v.format(), Format::Jsonl);
    assert_eq!(v.finish().1.valid, 1);
    // As CSV, the same bytes are a header that does not match.
    assert!(validate_as(Format::Csv, &contracts::COUNTIES, "counties.csv", line, None, &keys).is_err());
}
