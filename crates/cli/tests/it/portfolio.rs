//! `agririsk portfolio report` and `agririsk portfolio stress` on the tiny simulated county (ingested, the shipped
//! decision model as champion): figures that add up in all three formats, a drought that raises ECL and the
//! projected NPL, and bad input (an unknown zone or field, a fall outside (0, 1), an as-of date before the data)
//! refused with exit code 2, naming the field, with the store unchanged.

use std::path::Path;

use serde_json::Value;

use super::county::{county, exclusive, rows, run, run_json, s};
use super::{agririsk, database_bytes, stderr};

const ON: &str = "2026-06-30";

fn fen(v: &Value) -> i64 {
    v["fen"].as_i64().unwrap_or_else(|| panic!("an amount: {v}"))
}

fn ratio(v: &Value) -> f64 {
    v.as_str().and_then(|t| t.parse().ok()).unwrap_or_else(|| panic!("a ratio as text: {v}"))
}

#[test]
fn the_report_adds_up_and_reads_the_champion_models_pds() {
    let r = run_json(&["portfolio", "report", "--as-of", ON, "--format", "json"]);
    assert_eq!(r["as_of"], ON);
    let q = &r["quality"];
    let loans = q["loans"].as_u64().expect("loans");
    assert!(loans > 50, "the tiny county has a book: {q}");
    let outstanding = fen(&q["outstanding"]);
    let classes = q["by_class"].as_array().expect("classes");
    assert_eq!(classes.len(), 5);
    assert_eq!(classes.iter().map(|c| fen(&c["outstanding"])).sum::<i64>(), outstanding);
    assert_eq!(classes.iter().map(|c| c["loans"].as_u64().expect("n")).sum::<u64>(), loans);
    assert_eq!(
        q["outstanding"]["yuan"].as_str().map(|y| y.replace('.', "").parse::<i64>().ok()),
        Some(Some(outstanding))
    );
    let (par1, par30, par90) = (ratio(&q["par1"]), ratio(&q["par30"]), ratio(&q["par90"]));
    assert!(par90 <= par30 && par30 <= par1 && par1 <= 1.0, "{q}");
    let ecl = &r["ecl"];
    let stages = ecl["by_stage"].as_array().expect("stages");
    assert_eq!(stages.iter().map(|s| fen(&s["ecl"])).sum::<i64>(), fen(&ecl["total"]));
    assert_eq!(stages.iter().map(|s| s["loans"].as_u64().expect("n")).sum::<u64>(), loans);
    assert!(fen(&ecl["total"]) > 0 && fen(&ecl["ead"]) >= outstanding);
    assert_eq!(ecl["pd_from_model"].as_u64(), Some(loans), "every borrower is scored by the champion");
    assert!(r["assumptions"][0].as_str().expect("text").contains("champion decision model"), "{}", r["assumptions"]);
    let p = &r["provisions"];
    assert_eq!(fen(&p["general"]) + fen(&p["specific"]), fen(&p["total"]));
    assert_eq!(classes.iter().map(|c| fen(&c["provision"])).sum::<i64>(), fen(&p["specific"]));
    for b in r["breakdowns"].as_array().expect("breakdowns") {
        let groups = b["groups"].as_array().expect("groups");
        assert_eq!(groups.iter().map(|g| fen(&g["outstanding"])).sum::<i64>(), outstanding, "{}", b["dimension"]);
        assert_eq!(groups.iter().map(|g| fen(&g["ecl"])).sum::<i64>(), fen(&ecl["total"]), "{}", b["dimension"]);
    }
    let dims: Vec<&str> = r["concentration"]
        .as_array()
        .expect("concentration")
        .iter()
        .map(|c| c["dimension"].as_str().expect("d"))
        .collect();
    assert_eq!(dims, ["village", "county", "crop", "product", "buyer"]);
    assert!(r["trend"].as_array().expect("trend").len() == 13 && !r["vintages"].as_array().expect("v").is_empty());
    assert_eq!(r["roll_rates"]["counts"].as_array().map(Vec::len), Some(5));
}

#[test]
fn the_table_and_the_html_page_show_the_same_book() {
    let table = run(&["portfolio", "report", "--as-of", ON]);
    assert!(table.status.success(), "{}", stderr(&table));
    let text = String::from_utf8_lossy(&table.stdout);
    for heading in [
        "五级分类 five-category classes",
        "预期信用损失 expected credit loss",
        "PAR30",
        "迁徙率 roll rates",
        "集中度 concentration",
    ] {
        assert!(text.contains(heading), "{heading} missing from {text}");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let page = dir.path().join("report.html");
    let out = run(&["portfolio", "report", "--as-of", ON, "--format", "html", "--out", s(&page)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "--out writes the file, not standard output");
    let html = std::fs::read_to_string(&page).expect("the page");
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    for chart in ["trend", "classes", "vintages", "concentration-village"] {
        assert!(html.contains(&format!("<svg data-chart=\"{chart}\"")), "chart {chart} missing");
    }
    for external in ["<script", "src=", "href=", "url(", "@import"] {
        assert!(!html.contains(external), "the page loads nothing: {external}");
    }
    let json = run_json(&["portfolio", "report", "--as-of", ON, "--format", "json"]);
    let loans = json["quality"]["loans"].as_u64().expect("loans");
    assert!(html.contains(&format!("data-metric=\"loans\">{loans}<")), "the page's loan count is the JSON's");
}

/// The store's bytes as text, for comparing before and after.
fn stored(data: &Path) -> String {
    String::from_utf8_lossy(&database_bytes(data)).into_owned()
}

fn scenario(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write the scenario");
    s(&path).to_owned()
}

#[test]
fn a_drought_raises_ecl_and_the_projected_npl() {
    let c = county();
    let zone = rows(&c.files.join("counties.csv"))[0]["zone"].clone();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = scenario(
        dir.path(),
        "drought.json",
        &format!(
            r#"{{"version": 1, "name": "drought", "shocks": [{{"kind": "drought", "zone": "{zone}", "loss": "0.4"}}]}}"#
        ),
    );
    let r = run_json(&["portfolio", "stress", "--scenario", &file, "--as-of", ON, "--format", "json"]);
    let t = &r["total"];
    assert!(r["households_shocked"].as_u64() > Some(0), "{r}");
    assert!(fen(&t["ecl_stressed"]) >= fen(&t["ecl_base"]), "{t}");
    assert!(fen(&t["ecl_stressed"]) > fen(&t["ecl_base"]), "a drought moves some PD: {t}");
    assert!(ratio(&t["npl_ratio_stressed"]) >= ratio(&t["npl_ratio_current"]), "{t}");
    assert!(fen(&t["provision_stressed"]) >= fen(&t["provision_current"]), "{t}");
    let segments = r["segments"].as_array().expect("segments");
    assert_eq!(segments.iter().map(|g| fen(&g["ecl_stressed"])).sum::<i64>(), fen(&t["ecl_stressed"]));
    let report = run_json(&["portfolio", "report", "--as-of", ON, "--format", "json"]);
    assert_eq!(t["loans"], report["quality"]["loans"]);
    assert_eq!(fen(&t["ecl_base"]), fen(&report["ecl"]["total"]), "the base ECL is the report's");
    let table = run(&["portfolio", "stress", "--scenario", &file, "--as-of", ON]);
    assert!(table.status.success(), "{}", stderr(&table));
    assert!(String::from_utf8_lossy(&table.stdout).contains("假设 assumptions"), "the assumptions are printed");
}

#[test]
fn bad_scenarios_and_dates_are_refused_naming_the_field_and_change_nothing() {
    let c = county();
    let dir = tempfile::tempdir().expect("temp dir");
    let one = |shock: &str| format!(r#"{{"version": 1, "name": "bad", "shocks": [{shock}]}}"#);
    let cases = [
        (one(r#"{"kind": "drought", "zone": "moon", "loss": "0.4"}"#), "shocks[0].zone"),
        (one(r#"{"kind": "drought", "zone": "hhh", "loss": "0.4", "rain_mm": 3}"#), "rain_mm"),
        (one(r#"{"kind": "price_fall", "county": "990101", "crop": "wheat", "fall": "1.5"}"#), "shocks[0].fall"),
        (one(r#"{"kind": "price_fall", "county": "990101", "crop": "tobacco", "fall": "0.2"}"#), "shocks[0].crop"),
        (one(r#"{"kind": "price_fall", "county": "999999", "crop": "wheat", "fall": "0.2"}"#), "shocks[0].county"),
    ];
    let _guard = exclusive();
    let before = stored(&c.data);
    for (i, (text, field)) in cases.iter().enumerate() {
        let file = scenario(dir.path(), &format!("bad{i}.json"), text);
        let out = agririsk(&c.data, &["portfolio", "stress", "--scenario", &file, "--as-of", ON]);
        assert_eq!(out.status.code(), Some(2), "{text}: {}", stderr(&out));
        assert!(stderr(&out).contains(field), "{field} not named: {}", stderr(&out));
        assert!(out.stdout.is_empty());
    }
    let early = agririsk(&c.data, &["portfolio", "report", "--as-of", "2001-01-01"]);
    assert_eq!(early.status.code(), Some(2), "{}", stderr(&early));
    assert!(stderr(&early).contains("--as-of"), "{}", stderr(&early));
    let page = dir.path().join("never.html");
    let early =
        agririsk(&c.data, &["portfolio", "report", "--as-of", "2001-01-01", "--format", "html", "--out", s(&page)]);
    assert_eq!(early.status.code(), Some(2));
    assert!(!page.exists(), "nothing is written");
    assert!(stored(&c.data) == before, "the store is unchanged");
}

#[test]
fn drift_compares_the_champions_scores_with_the_reference_date() {
    let r = run_json(&["portfolio", "drift", "--as-of", "2026-10-31", "--format", "json"]);
    assert_eq!((r["as_of"].as_str(), r["reference"].as_str()), (Some("2026-10-31"), Some("2025-10-31")));
    let index = r["score"]["index"].as_f64().expect("the score's PSI");
    assert!(index >= 0.0, "{r}");
    assert!(["stable", "watch", "shifted"].contains(&r["score"]["level"].as_str().expect("level")));
    assert!(!r["features"].as_array().expect("features").is_empty());
    let bands = r["bands"].as_array().expect("bands");
    let reference_size = r["sample_sizes"][0].as_u64().expect("size");
    assert_eq!(bands.iter().map(|b| b["rows"].as_u64().expect("rows")).sum::<u64>(), reference_size);
    for a in r["alerts"].as_array().expect("alerts") {
        assert!(
            ["score_psi", "feature_csi", "calibration", "approval_rate"].contains(&a["kind"].as_str().expect("kind"))
        );
    }
    let late = run(&["portfolio", "drift", "--as-of", "2026-10-31", "--reference", "2026-11-30"]);
    assert_eq!(late.status.code(), Some(2));
    assert!(stderr(&late).contains("--reference"), "{}", stderr(&late));
}
