//! Throughput and latency of the default rural-microcredit policy on one core: evaluations per second over a mix of
//! realistic applicants (planting, livestock, merchant, poverty-alleviation, thin-file, knocked out), and the p50 /
//! p99 latency of single evaluations, trace included. Run with `cargo bench -p policy --bench evaluate`.
//!
//! The target for a whole decision (features + score + policy) is 56,000 decisions/s per core, about
//! 18 µs; the policy's share should be a few microseconds.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use policy::{Input, Schema};

/// Distinct applicants cycled through.
const APPLICANTS: usize = 1_000;
/// Evaluations in the throughput run.
const EVALUATIONS: usize = 400_000;
/// Single evaluations timed for the latency percentiles.
const SAMPLES: usize = 100_000;

/// A small linear congruential generator: the applicants are varied but the same on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn applicant(schema: &Arc<Schema>, rng: &mut Lcg) -> Input {
    let products = ["crop", "crop", "crop", "livestock", "business", "cooperative", "poverty_microcredit"];
    let product = products[rng.below(products.len() as u64) as usize];
    let thin = rng.below(10) == 0;
    let income = 20_000 + rng.below(120_000);
    let service = rng.below(income / 3);
    let term_months = [6, 11, 12, 24, 36][rng.below(5) as usize];
    let bureau_worst_dpd = if rng.below(25) == 0 { 120 } else { [0, 0, 0, 0, 0, 10, 30][rng.below(7) as usize] };
    let json = serde_json::json!({
        "applicant": {
            "age": 19 + rng.below(50),
            "consent": rng.below(200) != 0,
            "blacklisted": rng.below(300) == 0,
            "fraud_suspected": false,
            "poverty_registered": product == "poverty_microcredit" && rng.below(5) != 0,
            "product": product,
            "requested_amount_yuan": 10_000 + 1_000 * rng.below(150),
            "term_months": term_months,
            "whole_village_programme": rng.below(4) == 0,
            "land_right_appraised_yuan": if rng.below(5) == 0 { serde_json::Value::from(20_000 + rng.below(200_000)) } else { serde_json::Value::Null },
        },
        "score": { "pd": format!("0.{:03}", 5 + rng.below(90)).parse::<f64>().expect("a decimal") },
        "market": { "lpr_1y": 0.03 },
        "features": {
            "rating_score_points": if thin { serde_json::Value::Null } else { (50 + rng.below(50)).into() },
            "dpd_current": if thin { serde_json::Value::Null } else { [0, 0, 0, 0, 0, 0, 0, 0, 5, 40][rng.below(10) as usize].into() },
            "dpd_max_24m": if thin { serde_json::Value::Null } else { [0, 0, 0, 10, 35][rng.below(5) as usize].into() },
            "bureau_worst_dpd_24m": bureau_worst_dpd,
            "bureau_has_record": if thin { 0 } else { 1 },
            "income_expected_yuan": income,
            "debt_service_annual_yuan": service,
            "debt_service_ratio": service as f64 / income as f64,
            "house_value_yuan": 50_000 + rng.below(300_000),
            "machinery_value_yuan": rng.below(80_000),
            "deposits_yuan": rng.below(60_000),
            "rcc_shares_yuan": rng.below(10_000),
            "diversion_share_max_12m": if rng.below(50) == 0 { 0.7 } else { 0.0 },
            "hog_alert_level": rng.below(4),
            "disease_active": rng.below(10) == 0,
        }
    });
    let json = fix_flags(json);
    schema.input_from_json(&json).expect("the generated applicant fits the schema")
}

/// `disease_active` is a 0/1 number in the feature table.
fn fix_flags(mut json: serde_json::Value) -> serde_json::Value {
    let flag = json["features"]["disease_active"].as_bool().unwrap_or(false);
    json["features"]["disease_active"] = u8::from(flag).into();
    json
}

fn main() {
    let policy = policy::default_set::policy().expect("the default policy loads");
    let schema = Arc::clone(policy.schema());
    let mut rng = Lcg(2026);
    let inputs: Vec<Input> = (0..APPLICANTS).map(|_| applicant(&schema, &mut rng)).collect();

    let mut outcomes = std::collections::BTreeMap::<String, usize>::new();
    for input in &inputs {
        let decision = policy.evaluate(input);
        let outcome = decision.get("decision.outcome").map_or("none".to_owned(), |value| value.to_string());
        *outcomes.entry(outcome).or_default() += 1;
    }
    println!("policy: default rural-microcredit set; {APPLICANTS} distinct applicants; outcomes {outcomes:?}");

    // Warm up, then throughput.
    for input in inputs.iter().cycle().take(20_000) {
        black_box(policy.evaluate(black_box(input)));
    }
    let start = Instant::now();
    for input in inputs.iter().cycle().take(EVALUATIONS) {
        black_box(policy.evaluate(black_box(input)));
    }
    let elapsed = start.elapsed();
    let per_second = EVALUATIONS as f64 / elapsed.as_secs_f64();
    println!(
        "throughput: {EVALUATIONS} evaluations in {:.3} s = {per_second:.0} evaluations/s on one core ({:.2} µs each)",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / EVALUATIONS as f64
    );

    let mut latencies_ns: Vec<u128> = Vec::with_capacity(SAMPLES);
    for input in inputs.iter().cycle().take(SAMPLES) {
        let start = Instant::now();
        black_box(policy.evaluate(black_box(input)));
        latencies_ns.push(start.elapsed().as_nanos());
    }
    latencies_ns.sort_unstable();
    let percentile = |p: f64| latencies_ns[((latencies_ns.len() - 1) as f64 * p).round() as usize] as f64 / 1000.0;
    println!(
        "latency: p50 {:.2} µs, p99 {:.2} µs, max {:.2} µs over {SAMPLES} single evaluations (trace included)",
        percentile(0.50),
        percentile(0.99),
        percentile(1.0)
    );
}
