//! The product-and-schedule table of the default policy (产品与还款方式): the lending-core product and the interest
//! frequency the caller builds the schedule with, per segment and product applied for. Every rule is exercised by a
//! variant of a golden applicant; a declined or knocked-out decision carries no product.

use serde_json::{Value, json};

use crate::variant::{decide, field, matched, rule_ids};

/// A prime grower approved for 51,000 (capacity-bound) on an 11-month term, whatever the segment's longest term.
const PLANTING: &str = "strong-planting-approved.json";
/// A thin file referred for 28,000.
const THIN_FILE: &str = "thin-file-referred.json";
/// A registered 脱贫户 approved for 38,000 of poverty-alleviation microcredit over 36 months at the LPR.
const POVERTY: &str = "poverty-alleviation-approved.json";

struct Case {
    name: &'static str,
    golden: &'static str,
    set: Vec<(&'static str, Value)>,
    rule: &'static str,
    outcome: &'static str,
    tier: &'static str,
    limit_yuan: u32,
    product: Option<&'static str>,
    interest_every: Option<&'static str>,
    reasons: &'static [&'static str],
}

fn cases() -> Vec<Case> {
    let product = |name| vec![("applicant.product", json!(name))];
    vec![
        Case {
            name: "crop loan: harvest bullet, interest quarterly",
            golden: PLANTING,
            set: vec![],
            rule: "sched-planting",
            outcome: "approve",
            tier: "prime",
            limit_yuan: 51_000,
            product: Some("harvest-bullet"),
            interest_every: Some("quarterly"),
            reasons: &["CAPACITY_CAP"],
        },
        Case {
            name: "livestock loan: principal after each sale batch, interest quarterly",
            golden: PLANTING,
            set: product("livestock"),
            rule: "sched-livestock",
            outcome: "approve",
            tier: "prime",
            limit_yuan: 51_000,
            product: Some("livestock-batch"),
            interest_every: Some("quarterly"),
            reasons: &["CAPACITY_CAP"],
        },
        Case {
            name: "cooperative: revolving line settled monthly",
            golden: PLANTING,
            set: product("cooperative"),
            rule: "sched-cooperative",
            outcome: "approve",
            tier: "prime",
            limit_yuan: 51_000,
            product: Some("revolving"),
            interest_every: Some("monthly"),
            reasons: &["CAPACITY_CAP"],
        },
        Case {
            name: "business: equal monthly installments",
            golden: PLANTING,
            set: product("business"),
            rule: "sched-business",
            outcome: "approve",
            tier: "prime",
            limit_yuan: 51_000,
            product: Some("equal-installment"),
            interest_every: Some("monthly"),
            reasons: &["CAPACITY_CAP"],
        },
        Case {
            name: "thin file: equal monthly installments",
            golden: THIN_FILE,
            set: vec![],
            rule: "sched-thin-file",
            outcome: "refer",
            tier: "standard",
            limit_yuan: 28_000,
            product: Some("equal-installment"),
            interest_every: Some("monthly"),
            reasons: &["THIN_FILE", "SCORE_REFER"],
        },
        Case {
            name: "thin file asking for a cooperative line: still equal installments",
            golden: THIN_FILE,
            set: product("cooperative"),
            rule: "sched-thin-file",
            outcome: "refer",
            tier: "standard",
            limit_yuan: 28_000,
            product: Some("equal-installment"),
            interest_every: Some("monthly"),
            reasons: &["THIN_FILE", "SCORE_REFER"],
        },
        Case {
            name: "poverty-alleviation microcredit: interest quarterly, principal at maturity",
            golden: POVERTY,
            set: vec![],
            rule: "sched-poverty",
            outcome: "approve",
            tier: "standard",
            limit_yuan: 38_000,
            product: Some("interest-only"),
            interest_every: Some("quarterly"),
            reasons: &[],
        },
        Case {
            name: "poverty microcredit for an unregistered household: declined, no product",
            golden: POVERTY,
            set: vec![("applicant.poverty_registered", json!(false))],
            rule: "sched-none",
            outcome: "decline",
            tier: "standard",
            limit_yuan: 0,
            product: None,
            interest_every: None,
            reasons: &["PRODUCT_NOT_ELIGIBLE", "SCORE_DECLINE"],
        },
        Case {
            name: "declined on score: the crop loan is not offered",
            golden: PLANTING,
            set: vec![("score.pd", json!(0.12))],
            rule: "sched-planting",
            outcome: "decline",
            tier: "watch",
            limit_yuan: 0,
            product: None,
            interest_every: None,
            reasons: &["SCORE_DECLINE"],
        },
    ]
}

#[test]
fn each_segment_gets_its_product_and_interest_frequency() {
    let mut problems = Vec::new();
    for case in cases() {
        let decision = decide(case.golden, &case.set);
        let got = (
            matched(&decision, "schedule"),
            field(&decision, "decision.outcome"),
            field(&decision, "decision.tier"),
            field(&decision, "decision.limit_yuan"),
            field(&decision, "decision.product"),
            field(&decision, "decision.interest_every"),
            field(&decision, "reasons.code"),
        );
        let want = (
            vec![case.rule.to_owned()],
            json!(case.outcome),
            json!(case.tier),
            json!(case.limit_yuan),
            json!(case.product),
            json!(case.interest_every),
            json!(case.reasons),
        );
        if got != want {
            problems.push(format!("{}:\n  expected {want:?}\n  got      {got:?}", case.name));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_rule_of_the_schedule_table_has_a_case() {
    let covered: Vec<&str> = cases().iter().map(|case| case.rule).collect();
    for rule in rule_ids("schedule") {
        assert!(covered.contains(&rule.as_str()), "rule `{rule}` of the schedule table has no case");
    }
}

#[test]
fn a_knocked_out_applicant_gets_no_product() {
    let decision = decide(PLANTING, &[("applicant.blacklisted", json!(true))]);
    assert!(matched(&decision, "schedule").is_empty(), "the schedule table runs only after the knock-outs");
    assert_eq!(decision.get("decision.product"), Some(&policy::Value::Null));
    assert_eq!(decision.get("decision.interest_every"), Some(&policy::Value::Null));
    assert_eq!(field(&decision, "decision.outcome"), json!("decline"));
}
