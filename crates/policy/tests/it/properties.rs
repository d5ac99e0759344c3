//! Properties of the default policy over generated applicants: evaluation is deterministic (the same input gives
//! the same decision and trace, from the same or a freshly loaded policy), the outcome is one of the three, the
//! decided terms respect the policy's bounds, an adverse market is neither approved nor prime,
//! and a lending product is named exactly when the decision is not a decline.

use std::sync::LazyLock;

use policy::{CompiledPolicy, Value};
use proptest::prelude::*;
use rust_decimal::Decimal;

static POLICY: LazyLock<CompiledPolicy> =
    LazyLock::new(|| policy::default_set::policy().expect("the default policy loads"));

fn applicant() -> impl Strategy<Value = serde_json::Value> {
    let application = (
        10u32..80,
        prop::sample::select(vec!["crop", "livestock", "business", "cooperative", "poverty_microcredit"]),
        any::<[bool; 4]>(),
        1u32..40,
        prop::sample::select(vec![3u32, 6, 11, 12, 24, 36]),
        0u32..300,
    );
    let features = (
        prop::option::of(30u32..100),
        prop::option::of(0u32..200),
        prop::option::of(0u32..200),
        prop::option::of(0u32..2),
        prop::option::of(0u32..300),
        0u32..100,
        0u32..60,
        0u32..50,
        prop::option::of(0u32..4),
    );
    // Market environment, in percent: crop and hog price trends, weather loss, negative news; disease flag.
    let market = (
        prop::option::of(-40i32..20),
        prop::option::of(-40i32..20),
        prop::option::of(0i32..60),
        prop::option::of(0i32..100),
        0u32..2,
    );
    (application, features, market).prop_map(|(a, f, m)| {
        let (age, product, flags, amount_k, term, pd_bp) = a;
        let (rating, dpd_24m, bureau_dpd, has_record, income_k, debt_k, assets_10k, diversion_pct, hog) = f;
        let (price_pct, hog_price_pct, weather_pct, news_pct, disease) = m;
        let percent = |value: Option<i32>| value.map(|p| f64::from(p) / 100.0);
        let income = income_k.map(|k| u64::from(k) * 1000);
        let debt = u64::from(debt_k) * 1000;
        let dsr = income.filter(|income| *income > 0).map(|income| debt as f64 / income as f64);
        serde_json::json!({
            "applicant": {
                "age": age, "consent": !flags[0] || age % 7 != 0, "blacklisted": flags[1] && age % 5 == 0,
                "fraud_suspected": false, "poverty_registered": flags[2], "product": product,
                "requested_amount_yuan": amount_k * 5000, "term_months": term,
                "whole_village_programme": flags[3],
            },
            "score": { "pd": f64::from(pd_bp) / 1000.0 },
            "market": { "lpr_1y": 0.03 },
            "features": {
                "rating_score_points": rating, "dpd_current": dpd_24m.map(|d| d / 4), "dpd_max_24m": dpd_24m,
                "bureau_worst_dpd_24m": bureau_dpd, "bureau_has_record": has_record,
                "income_expected_yuan": income, "debt_service_annual_yuan": debt, "debt_service_ratio": dsr,
                "house_value_yuan": assets_10k * 10000, "machinery_value_yuan": 0, "deposits_yuan": 5000,
                "rcc_shares_yuan": 0, "diversion_share_max_12m": f64::from(diversion_pct) / 100.0,
                "hog_alert_level": hog, "disease_active": disease,
                "main_price_trend_3m": percent(price_pct), "hog_price_trend_3m": percent(hog_price_pct),
                "weather_loss_max_6m": percent(weather_pct),
                "news_negative_share_3m": percent(news_pct),
            }
        })
    })
}

fn number(value: Option<&Value>) -> Option<Decimal> {
    value.and_then(Value::as_number)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn evaluation_is_deterministic(json in applicant()) {
        let input = POLICY.schema().input_from_json(&json).expect("generated input fits the schema");
        let first = POLICY.evaluate(&input);
        prop_assert_eq!(&first, &POLICY.evaluate(&input));
        let reloaded = policy::default_set::policy().expect("loads again");
        let again = reloaded.schema().input_from_json(&json).expect("fits");
        prop_assert_eq!(first.to_json(), reloaded.evaluate(&again).to_json());
    }

    #[test]
    fn decided_terms_respect_the_policy_bounds(json in applicant()) {
        let input = POLICY.schema().input_from_json(&json).expect("generated input fits the schema");
        let decision = POLICY.evaluate(&input);
        let outcome = decision.get("decision.outcome").and_then(Value::as_str).expect("an outcome").to_owned();
        prop_assert!(["approve", "refer", "decline"].contains(&outcome.as_str()), "{}", outcome);
        let requested = number(input.get("applicant.requested_amount_yuan")).expect("requested");
        let reasons = decision.get("reasons.code").and_then(Value::as_list).map_or(0, <[Value]>::len);
        if outcome == "decline" {
            prop_assert_eq!(number(decision.get("decision.limit_yuan")), Some(Decimal::ZERO));
        }
        if outcome != "approve" {
            prop_assert!(reasons > 0, "a decline or a referral always gives a reason");
        }
        if decision.get("market.outlook").and_then(Value::as_str) == Some("adverse") {
            prop_assert!(outcome != "approve", "an adverse market is never approved without a review");
            prop_assert_ne!(decision.get("decision.tier").and_then(Value::as_str), Some("prime"));
        }
        let product = decision.get("decision.product").and_then(Value::as_str);
        let interest_every = decision.get("decision.interest_every").and_then(Value::as_str);
        if outcome == "decline" {
            prop_assert_eq!((product, interest_every), (None, None), "a declined decision offers no product");
        } else {
            prop_assert!(product.is_some(), "every approval or referral names a lending product");
            prop_assert!(matches!(interest_every, Some("monthly" | "quarterly")), "{:?}", interest_every);
        }
        if outcome == "approve" {
            let limit = number(decision.get("decision.limit_yuan")).expect("a limit");
            let amount = number(decision.get("decision.amount_yuan")).expect("an amount");
            let cap = number(decision.get("caps.product_yuan")).expect("a cap");
            prop_assert!(limit <= cap && amount <= limit && amount <= requested);
            prop_assert!(limit >= Decimal::from(1000) && (limit % Decimal::from(1000)).is_zero());
            let rate = number(decision.get("decision.annual_rate")).expect("a rate");
            prop_assert!(rate >= Decimal::new(3, 2) && rate <= Decimal::new(65, 3));
            let age = number(input.get("applicant.age")).expect("age");
            prop_assert!(age >= Decimal::from(18) && age <= Decimal::from(65));
        }
    }
}
