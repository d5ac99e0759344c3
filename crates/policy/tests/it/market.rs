//! The market-environment table of the default policy (市场环境: price trend, weather losses, animal disease and
//! news sentiment for the borrower's segment): every rule is exercised by a variant of a golden applicant, and the
//! test asserts the rule that matched and the exact outcome, tier, limit, product and reasons it leads to. Missing
//! market features never knock anyone out: the outlook stays normal.

use serde_json::{Value, json};

use crate::variant::{decide, field, matched, rule_ids};

/// A strong grower: prime, approved for a 51,000 line bound by repayment capacity (51,184.83) when the market is
/// normal; 80% of it is 40,947.87 → 40,000, 90% is 46,066.35 → 46,000.
const PLANTING: &str = "strong-planting-approved.json";
/// A hog farmer (standard tier) with capacity 116,071.43; the golden file has the hog-price alert at level 2.
/// Normal: 116,000; 80%: 92,857.14 → 92,000; 90%: 104,464.29 → 104,000.
const LIVESTOCK: &str = "livestock-routed.json";
/// A thin file referred with a 28,000 formula limit; 80% is 22,400 → 22,000.
const THIN_FILE: &str = "thin-file-referred.json";

struct Case {
    name: &'static str,
    golden: &'static str,
    set: Vec<(&'static str, Value)>,
    rule: &'static str,
    outlook: &'static str,
    outcome: &'static str,
    tier: &'static str,
    limit_yuan: u32,
    reasons: &'static [&'static str],
}

fn livestock(set: Vec<(&'static str, Value)>) -> Vec<(&'static str, Value)> {
    // The golden hog farmer without the alert, so that each case names the one signal it tests.
    let mut fields = vec![("features.hog_alert_level", json!(0))];
    fields.extend(set);
    fields
}

fn cases() -> Vec<Case> {
    let planting = |name, set, rule, outlook, outcome, tier, limit_yuan, reasons| Case {
        name,
        golden: PLANTING,
        set,
        rule,
        outlook,
        outcome,
        tier,
        limit_yuan,
        reasons,
    };
    let hogs = |name, set, rule, outlook, outcome, limit_yuan, reasons| Case {
        name,
        golden: LIVESTOCK,
        set: livestock(set),
        rule,
        outlook,
        outcome,
        tier: "standard",
        limit_yuan,
        reasons,
    };
    const ADVERSE: &[&str] = &["MARKET_ADVERSE", "CAPACITY_CAP"];
    const WEAK: &[&str] = &["MARKET_WEAK", "CAPACITY_CAP"];
    const NORMAL: &[&str] = &["CAPACITY_CAP"];
    vec![
        planting(
            "main crop price down 15%: adverse, referred, tier capped at standard, line × 0.8",
            vec![("features.main_price_trend_3m", json!(-0.15))],
            "mkt-planting-price-fall",
            "adverse",
            "refer",
            "standard",
            40_000,
            ADVERSE,
        ),
        planting(
            "main crop price down 14%: normal",
            vec![("features.main_price_trend_3m", json!(-0.14))],
            "mkt-normal",
            "normal",
            "approve",
            "prime",
            51_000,
            NORMAL,
        ),
        planting(
            "weather loss 30% (成灾): adverse",
            vec![("features.weather_loss_max_6m", json!(0.3))],
            "mkt-planting-weather-disaster",
            "adverse",
            "refer",
            "standard",
            40_000,
            ADVERSE,
        ),
        planting(
            "weather loss 10% (受灾): weak, approved, prime kept, line × 0.9",
            vec![("features.weather_loss_max_6m", json!(0.1))],
            "mkt-planting-weather-affected",
            "weak",
            "approve",
            "prime",
            46_000,
            WEAK,
        ),
        planting(
            "weather loss 9%: normal",
            vec![("features.weather_loss_max_6m", json!(0.09))],
            "mkt-normal",
            "normal",
            "approve",
            "prime",
            51_000,
            NORMAL,
        ),
        planting(
            "half the county's news negative: adverse",
            vec![("features.news_negative_share_3m", json!(0.5))],
            "mkt-news-adverse",
            "adverse",
            "refer",
            "standard",
            40_000,
            ADVERSE,
        ),
        planting(
            "30% of the county's news negative: weak",
            vec![("features.news_negative_share_3m", json!(0.3))],
            "mkt-news-weak",
            "weak",
            "approve",
            "prime",
            46_000,
            WEAK,
        ),
        planting(
            "29% of the county's news negative: normal",
            vec![("features.news_negative_share_3m", json!(0.29))],
            "mkt-normal",
            "normal",
            "approve",
            "prime",
            51_000,
            NORMAL,
        ),
        planting(
            "hog signals do not concern a grower",
            vec![
                ("features.hog_alert_level", json!(3)),
                ("features.hog_price_trend_3m", json!(-0.4)),
                ("features.disease_active", json!(1)),
            ],
            "mkt-normal",
            "normal",
            "approve",
            "prime",
            51_000,
            NORMAL,
        ),
        planting(
            "adverse market and a score in the review band: referred for both",
            vec![("score.pd", json!(0.05)), ("features.main_price_trend_3m", json!(-0.2))],
            "mkt-planting-price-fall",
            "adverse",
            "refer",
            "standard",
            40_000,
            &["SCORE_REFER", "MARKET_ADVERSE", "CAPACITY_CAP"],
        ),
        planting(
            "adverse market and a declining score: declined, the market is not a reason",
            vec![("score.pd", json!(0.12)), ("features.news_negative_share_3m", json!(0.6))],
            "mkt-news-adverse",
            "adverse",
            "decline",
            "watch",
            0,
            &["SCORE_DECLINE"],
        ),
        hogs("hog farmer, no alert: normal", vec![], "mkt-normal", "normal", "approve", 116_000, NORMAL),
        hogs(
            "hog-price alert level 2 (NDRC tier 2): adverse",
            vec![("features.hog_alert_level", json!(2))],
            "mkt-livestock-hog-alert",
            "adverse",
            "refer",
            92_000,
            &["MARKET_ADVERSE", "CAPACITY_CAP", "HOG_PRICE_ALERT"],
        ),
        hogs(
            "hog-price alert level 1 (NDRC tier 3): weak",
            vec![("features.hog_alert_level", json!(1))],
            "mkt-livestock-hog-watch",
            "weak",
            "approve",
            104_000,
            WEAK,
        ),
        hogs(
            "animal-disease movement ban: adverse",
            vec![("features.disease_active", json!(1))],
            "mkt-livestock-disease",
            "adverse",
            "refer",
            92_000,
            &["MARKET_ADVERSE", "CAPACITY_CAP", "ANIMAL_DISEASE"],
        ),
        hogs(
            "hog price down 15%: adverse",
            vec![("features.hog_price_trend_3m", json!(-0.15))],
            "mkt-livestock-hog-price-fall",
            "adverse",
            "refer",
            92_000,
            ADVERSE,
        ),
        hogs(
            "a crop price fall or weather loss does not concern a hog farmer",
            vec![("features.main_price_trend_3m", json!(-0.3)), ("features.weather_loss_max_6m", json!(0.5))],
            "mkt-normal",
            "normal",
            "approve",
            116_000,
            NORMAL,
        ),
        Case {
            name: "thin file with mostly negative news: still referred, line × 0.8",
            golden: THIN_FILE,
            set: vec![("features.news_negative_share_3m", json!(0.55))],
            rule: "mkt-news-adverse",
            outlook: "adverse",
            outcome: "refer",
            tier: "standard",
            limit_yuan: 22_000,
            reasons: &["THIN_FILE", "SCORE_REFER", "MARKET_ADVERSE"],
        },
    ]
}

#[test]
fn each_market_signal_sets_the_outlook_and_its_effects() {
    let mut problems = Vec::new();
    for case in cases() {
        let decision = decide(case.golden, &case.set);
        let got = (
            matched(&decision, "market"),
            field(&decision, "market.outlook"),
            field(&decision, "decision.outcome"),
            field(&decision, "decision.tier"),
            field(&decision, "decision.limit_yuan"),
            field(&decision, "decision.product"),
            field(&decision, "reasons.code"),
        );
        let product = match (case.outcome, case.golden) {
            ("decline", _) => Value::Null,
            (_, PLANTING) => json!("harvest-bullet"),
            (_, LIVESTOCK) => json!("livestock-batch"),
            _ => json!("equal-installment"),
        };
        let want = (
            vec![case.rule.to_owned()],
            json!(case.outlook),
            json!(case.outcome),
            json!(case.tier),
            json!(case.limit_yuan),
            product,
            json!(case.reasons),
        );
        if got != want {
            problems.push(format!("{}:\n  expected {want:?}\n  got      {got:?}", case.name));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_rule_of_the_market_table_has_a_case() {
    let covered: Vec<&str> = cases().iter().map(|case| case.rule).collect();
    for rule in rule_ids("market") {
        assert!(covered.contains(&rule.as_str()), "rule `{rule}` of the market table has no case");
    }
}

#[test]
fn missing_market_features_leave_the_outlook_normal() {
    let unknown = [
        ("features.main_price_trend_3m", Value::Null),
        ("features.hog_price_trend_3m", Value::Null),
        ("features.weather_loss_max_6m", Value::Null),
        ("features.news_negative_share_3m", Value::Null),
        ("features.hog_alert_level", Value::Null),
        ("features.disease_active", Value::Null),
    ];
    for golden in [PLANTING, LIVESTOCK, THIN_FILE] {
        let decision = decide(golden, &unknown);
        assert_eq!(matched(&decision, "market"), ["mkt-normal"], "{golden}");
        assert_eq!(field(&decision, "market.limit_factor"), json!(1), "{golden}");
        let codes = field(&decision, "reasons.code");
        assert!(!codes.to_string().contains("MARKET_"), "{golden}: {codes}");
    }
}

#[test]
fn a_knocked_out_applicant_gets_no_market_outlook() {
    let decision = decide(PLANTING, &[("applicant.age", json!(70)), ("features.news_negative_share_3m", json!(0.9))]);
    assert!(matched(&decision, "market").is_empty(), "the market table runs only after the knock-outs");
    assert_eq!(field(&decision, "market.outlook"), Value::Null);
    assert_eq!(field(&decision, "reasons.code"), json!(["KO_AGE"]));
}
