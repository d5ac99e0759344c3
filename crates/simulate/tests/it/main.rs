//! End-to-end checks of the simulator: determinism, synthetic identifiers, and calibration against the
//! specification's targets.

use simulate::{Config, Preset, Simulation};

fn run(preset: Preset, seed: u64, threads: usize) -> Simulation {
    simulate::run(&Config::preset(preset), seed, threads, &|_, _| {})
}

fn json<T: serde::Serialize>(rows: &[T]) -> String {
    serde_json::to_string(rows).expect("rows serialise")
}

#[test]
fn the_same_config_and_seed_give_identical_output_whatever_the_threads() {
    let a = run(Preset::Tiny, 7, 1);
    let b = run(Preset::Tiny, 7, 2);
    assert_eq!(json(&a.tables.loans), json(&b.tables.loans));
    assert_eq!(json(&a.tables.repayments), json(&b.tables.repayments));
    assert_eq!(json(&a.tables.transactions), json(&b.tables.transactions));
    assert_eq!(json(&a.tables.members), json(&b.tables.members));
    let c = run(Preset::Tiny, 8, 2);
    assert_ne!(json(&a.tables.loans), json(&c.tables.loans));
}

#[test]
fn identifiers_are_synthetic_and_valid() {
    let sim = run(Preset::Tiny, 3, 2);
    for m in &sim.tables.members {
        let id = domain::NationalId::parse(&m.national_id).expect("valid GB 11643 check digit");
        assert_eq!(&id.area_code()[..2], "99", "area prefix 99 belongs to no real area");
        if !m.phone.is_empty() {
            assert!(["10", "11", "12"].contains(&&m.phone[..2]), "phone {} uses an unassigned prefix", m.phone);
            assert_eq!(m.phone.len(), 11);
            assert!(domain::MobileNumber::parse(&m.phone).is_err(), "no operator's prefix");
        }
    }
    assert!(sim.tables.households.iter().all(|h| h.synthetic));
    let unique: std::collections::HashSet<&str> = sim.tables.members.iter().map(|m| m.national_id.as_str()).collect();
    assert_eq!(unique.len(), sim.tables.members.len(), "national IDs are unique");
    let heads = sim.tables.members.iter().filter(|m| m.member_no == 1).count();
    assert_eq!(heads, sim.tables.households.len());
}

fn baseline(preset: Preset) -> Config {
    let mut c = Config::preset(preset);
    for s in [
        &mut c.scenarios.s1_drought,
        &mut c.scenarios.s2_harvest_rain,
        &mut c.scenarios.s3_hog_crash,
        &mut c.scenarios.s4_disease,
        &mut c.scenarios.s5_diversion_ring,
        &mut c.scenarios.s6_migrant_shock,
    ] {
        s.enabled = false;
    }
    c
}

/// The tiny preset (2,000 households, 24 months) books about 300 loans, of which some 130 mature early enough to
/// have a known outcome: one default moves the rate by almost a point, so tiny is held to plausibility bands and
/// the county preset to the specification's targets.
#[test]
fn the_tiny_baseline_is_plausible() {
    let sim = simulate::run(&baseline(Preset::Tiny), 2, 2, &|_, _| {});
    let r = simulate::report(&sim);
    assert!((0.70..=0.90).contains(&r.credit_household_share), "信用户 share {}", r.credit_household_share);
    assert!((30_000.0..=100_000.0).contains(&r.mean_loan_yuan), "mean loan {}", r.mean_loan_yuan);
    assert!((0.0..=0.10).contains(&r.yearly_default_rate), "default rate {}", r.yearly_default_rate);
    assert!((0.0..=0.10).contains(&r.npl_ratio), "NPL {}", r.npl_ratio);
    assert!(r.loans_observed >= 80, "too few loans with a known outcome: {}", r.loans_observed);
    assert!(sim.tables.shocks.is_empty() && sim.tables.shock_households.is_empty(), "no scenario was planted");
}

/// The county preset with only the drought (S1) planted, over six seeds: one run sees one path of prices and
/// weather (a hog-price trough in one seed, a mild year in another), so the targets — expectations over such
/// paths — are checked on the mean of the seeds, and the quantities that do not depend on the path on each.
#[test]
fn the_county_lands_inside_the_calibration_targets() {
    let mut config = baseline(Preset::County);
    config.scenarios.s1_drought.enabled = true;
    let mut first = None;
    let reports: Vec<simulate::Report> = (1..=6)
        .map(|seed| {
            let sim = simulate::run(&config, seed, 2, &|_, _| {});
            let report = simulate::report(&sim);
            first.get_or_insert(sim);
            report
        })
        .collect();
    let mean = |f: &dyn Fn(&simulate::Report) -> f64| reports.iter().map(f).sum::<f64>() / reports.len() as f64;
    let within = |name: &str, value: f64, low: f64, high: f64| {
        assert!((low..=high).contains(&value), "{name} {value:.4} outside the target {low}–{high}");
    };
    within("mean yearly default rate", mean(&|r| r.yearly_default_rate), 0.015, 0.03);
    within("mean NPL ratio", mean(&|r| r.npl_ratio), 0.015, 0.035);
    within("mean PAR30", mean(&|r| r.par30), 0.02, 0.05);
    within("mean drought uplift", mean(&|r| r.drought_uplift.expect("S1 planted")), 3.0, 6.0);
    for r in &reports {
        within("credit-household share", r.credit_household_share, 0.70, 0.90);
        within("mean loan", r.mean_loan_yuan, 30_000.0, 100_000.0);
        within("revolving line utilisation", r.revolving_utilisation, 0.40, 0.70);
        assert!(r.approval_ratio_female_male >= 0.8, "no bias knob: approval ratio {}", r.approval_ratio_female_male);
    }
    // Protected attributes have no causal weight: pooled over the seeds, their default ratios are close to 1.
    within("default ratio female/male", mean(&|r| r.default_ratio_female_male), 0.75, 1.33);
    within("default ratio minority/majority", mean(&|r| r.default_ratio_minority), 0.75, 1.33);
    // Section 7's last targets: a logistic model (our scorecard) on what a lender sees reaches AUC 0.70–0.80 in
    // 5-fold cross-validation; given the latent causes too (the oracle), 0.85–0.90.
    let sim = first.expect("six runs");
    within("observable-feature model AUC", cross_validated_auc(&sim, false), 0.70, 0.80);
    within("oracle model AUC", cross_validated_auc(&sim, true), 0.85, 0.90);
}

/// 5-fold cross-validated AUC of a scorecard on a run's loan table (protected attributes excluded).
fn cross_validated_auc(sim: &Simulation, truth: bool) -> f64 {
    use scoring::pipeline::{Kind, TrainConfig, TrainData, train};
    let table = simulate::features::loan_table(sim, truth);
    let csv = table.to_csv();
    let mut frame = scoring::data::read_csv_bytes(csv.as_bytes(), std::path::Path::new("loans.csv")).expect("valid");
    let target = frame.take_target("bad").expect("both classes");
    let folds: Vec<u8> = (0..frame.rows()).map(|i| (i % 5) as u8).collect();
    let exclude = simulate::features::NOT_FEATURES.iter().filter(|c| **c != "bad").map(|c| c.to_string()).collect();
    let config = TrainConfig { exclude, ..TrainConfig::default() };
    let data = TrainData {
        frame: &frame,
        target: &target,
        target_name: "bad",
        source: "loans.csv",
        fingerprint: "",
        folds: Some(&folds),
    };
    let model = train(data, Kind::Scorecard, &config, "", &mut |_| {}).expect("trains");
    model.metrics.iter().find(|m| m.on.contains("cross-validation")).expect("cross-validated").auc
}

#[test]
fn the_historical_bias_knob_changes_approvals_not_defaults() {
    let mut biased = baseline(Preset::County);
    biased.fairness.historical_decision_bias = 0.5;
    let fair = simulate::report(&simulate::run(&baseline(Preset::County), 4, 2, &|_, _| {}));
    let unfair = simulate::report(&simulate::run(&biased, 4, 2, &|_, _| {}));
    assert!(fair.approval_ratio_female_male >= 0.8, "{}", fair.approval_ratio_female_male);
    assert!(
        unfair.approval_ratio_female_male < 0.7,
        "the knob lowers approvals: {}",
        unfair.approval_ratio_female_male
    );
    assert!(
        (0.6..=1.6).contains(&unfair.default_ratio_female_male),
        "at equal risk defaults do not follow the knob: {}",
        unfair.default_ratio_female_male
    );
}

#[test]
fn planted_scenarios_leave_ground_truth() {
    let sim = run(Preset::Tiny, 5, 2);
    let scenarios: Vec<&str> = sim.tables.shocks.iter().map(|s| s.scenario).collect();
    for s in ["S1", "S2", "S3", "S4", "S5", "S6"] {
        assert!(scenarios.contains(&s), "{s} missing from the ground truth: {scenarios:?}");
    }
    let ring: Vec<_> = sim.tables.shock_households.iter().filter(|h| h.scenario == "S5").collect();
    assert!(!ring.is_empty() && ring.len() <= 15, "S5 ring has {} households", ring.len());
    // Every ring member's proceeds went to the one counterparty named in the ground truth; nothing in the
    // model-facing transactions marks it out from other counterparties.
    let truth = sim.tables.shocks.iter().find(|s| s.scenario == "S5").expect("S5");
    let counterparty = truth.description.rsplit(' ').next().expect("a counterparty id");
    assert!(counterparty.starts_with("CP-"), "{counterparty}");
    for h in &ring {
        assert!(
            sim.tables
                .transactions
                .iter()
                .any(|t| *t.household_id == *h.household_id && &*t.counterparty_id == counterparty),
            "{} left no trail",
            h.household_id
        );
    }
    let drought = sim.tables.shocks.iter().find(|s| s.scenario == "S1").expect("S1");
    assert!(drought.households_affected > 0);
    // The drought's villages are in its county, with drought losses of at least 30% in its window.
    assert!(sim.tables.weather.iter().any(|w| w.village_code.starts_with(&drought.county_code)
        && w.event_type == "drought"
        && w.harvest_month >= drought.start_month
        && w.harvest_month <= drought.end_month
        && w.loss_share.parse::<f64>().is_ok_and(|x| x >= 0.3)));
}

#[test]
fn repayments_carry_the_lending_cores_classification() {
    let sim = run(Preset::Tiny, 6, 2);
    let rules = lending::ClassificationRules::CBIRC_2023;
    for r in &sim.tables.repayments {
        let class: lending::FiveCategory = r.class_after.parse().expect("a class code");
        assert!(class >= rules.floor(r.dpd_after, false), "class never better than the DPD floor: {r:?}");
    }
    assert!(sim.tables.repayments.iter().any(|r| r.dpd_after > 90 && r.class_after == "substandard"));
    assert!(sim.tables.loans.iter().any(|l| l.status_at_end == "closed"));
}

/// The county preset's wall time on two threads, the fastest of five runs, since other builds share the machine
/// (run by hand: `cargo test -p simulate --test it -- --ignored county_preset_run_time --nocapture`); the figure
/// goes into the report of a change that touches the loop.
#[test]
#[ignore = "a timing, not a check"]
fn county_preset_run_time() {
    let mut fastest = f64::MAX;
    let mut loans = 0;
    for _ in 0..5 {
        let started = std::time::Instant::now();
        loans = run(Preset::County, 1, 2).tables.loans.len();
        fastest = fastest.min(started.elapsed().as_secs_f64());
    }
    println!("county preset, seed 1, 2 threads: fastest of 5 runs {fastest:.2} s, {loans} loans");
}
