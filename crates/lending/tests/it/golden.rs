//! Golden schedules: every `tests/golden/*.json` file holds terms and the installments computed independently
//! (by `tests/golden/generate.py`, with Python's `decimal`, from the written specification, not from this code).
//! One `check` compares the engine's schedule with each file to the fen.

use std::path::Path;

use domain::{CropCalendar, Money};
use lending::{LoanTerms, TermsRequest, schedule};
use serde_json::Value;

fn text(terms: &Value, key: &str) -> Option<String> {
    terms.get(key).and_then(Value::as_str).map(str::to_string)
}

fn number(terms: &Value, key: &str) -> Option<i64> {
    terms.get(key).and_then(Value::as_i64)
}

fn check(path: &Path) -> Result<(), String> {
    let raw = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let case: Value = serde_json::from_str(&raw).map_err(|e| format!("{}: {e}", path.display()))?;
    let t = &case["terms"];
    let request = TermsRequest {
        product: text(t, "product"),
        principal: text(t, "principal"),
        annual_rate: text(t, "annual_rate"),
        start: text(t, "start"),
        term_months: number(t, "term_months"),
        harvest_month: number(t, "harvest_month"),
        grace_months: number(t, "grace_months"),
        interest_free_days: number(t, "interest_free_days"),
        interest_every: text(t, "interest_every"),
        batch_months: t
            .get("batch_months")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_i64).collect()),
        ..TermsRequest::default()
    };
    let terms =
        LoanTerms::new(&request, &CropCalendar::china_default()).map_err(|e| format!("{}: {e}", path.display()))?;
    let actual = schedule::build(&terms);
    let expected = case["installments"].as_array().ok_or("installments missing")?;
    if expected.len() != actual.installments.len() {
        return Err(format!(
            "{}: {} installments expected, {} computed",
            path.display(),
            expected.len(),
            actual.installments.len()
        ));
    }
    for (e, a) in expected.iter().zip(&actual.installments) {
        let money = |key: &str| e[key].as_str().and_then(|s| Money::parse_yuan(s).ok());
        let want =
            (e["seq"].as_u64(), e["due_date"].as_str().map(str::to_string), money("principal"), money("interest"));
        let got = (Some(u64::from(a.seq)), Some(a.due_date.to_string()), Some(a.principal), Some(a.interest));
        if want != got {
            return Err(format!("{}: installment {}: expected {want:?}, computed {got:?}", path.display(), a.seq));
        }
    }
    Ok(())
}

#[test]
fn schedules_match_independently_computed_golden_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("golden folder exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "expected at least 10 golden files, found {}", files.len());
    let failures: Vec<String> = files.iter().filter_map(|f| check(f).err()).collect();
    assert!(failures.is_empty(), "golden mismatches:\n{}", failures.join("\n"));
}
