//! The decider on a hand-built village: a household with a clean loan history, the shipped decision scorecard and
//! the default policy. Checks what a decision must carry (terms in fen, at most four reasons, trace, features,
//! versions), the knock-outs, the refusals, the champion/challenger split and shadow policies, and that the same
//! request decides the same way.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use decide::{
    ApplicationRequest, Arm, Decider, Engine, Entry, ErrorCode, Lineup, Scorer, Screening, VersionedPolicy, World,
};
use domain::{Date, Money, Timestamp};
use features::input::{
    BorrowerRecords, BureauReport, Commodity, Context, FarmCrop, Grade, Household, Loan, Month, PriceRow, Rating,
    Repayment, Village,
};
use privacy::consent::{DataSource, Sources};
use rust_decimal::Decimal;
use workflow::Outcome;

/// When the tests decide.
fn at() -> Timestamp {
    Timestamp::parse("2025-09-20T10:00:00+08:00").expect("a timestamp")
}

const VILLAGE: &str = "990101100000";

fn d(text: &str) -> Date {
    domain::parse_date(text).expect("date")
}

fn household(id: &str) -> Household {
    Household {
        household_id: id.into(),
        village_code: VILLAGE.into(),
        size: 4,
        labourers: 2,
        dependants: 2,
        education_years: 9,
        land_contracted_mu: Decimal::from(12),
        land_rented_mu: Decimal::ZERO,
        crops: vec![FarmCrop::WinterWheat, FarmCrop::SummerMaize],
        sows: 0,
        fattening_pigs: 0,
        cattle: 0,
        migrants: 1,
        business: false,
        coop_member: true,
        insured: false,
        insurance_cover: None,
        rcc_shares: Money::from_yuan(2_000),
        deposits: Money::from_yuan(20_000),
        house_value: Money::from_yuan(200_000),
        machinery_value: Money::from_yuan(15_000),
        debts_other: Money::ZERO,
        group_id: None,
    }
}

/// A household with a rating, a bureau report and a repaid loan.
fn good_borrower(id: &str) -> BorrowerRecords {
    let mut b = BorrowerRecords::new(household(id));
    b.ratings.push(Rating {
        household_id: id.into(),
        rated_on: d("2025-01-15"),
        score: 92,
        grade: Grade::Aaa,
        credit_household: true,
        limit: Money::from_yuan(100_000),
    });
    b.bureau_reports.push(BureauReport {
        household_id: id.into(),
        report_date: d("2024-10-05"),
        has_record: true,
        open_accounts: 0,
        inquiries_6m: 1,
        worst_dpd_24m: 0,
        other_balance: Money::ZERO,
    });
    let loan = format!("L-{id}");
    b.loans.push(Loan {
        loan_id: loan.clone(),
        household_id: id.into(),
        application_id: format!("A-{id}"),
        product: lending::ProductKind::HarvestBullet,
        principal: Money::from_yuan(20_000),
        annual_rate: Decimal::new(55, 3),
        start_date: d("2024-10-10"),
        maturity_date: d("2025-07-10"),
        collateral: features::input::CollateralCode::CreditOnly,
        crop: Some(FarmCrop::WinterWheat),
    });
    b.repayments.push(Repayment {
        loan_id: loan,
        date: d("2025-07-10"),
        amount_due: Money::from_yuan(20_825),
        amount_paid: Money::from_yuan(20_825),
        dpd_after: 0,
        class_after: features::input::LoanClass::Normal,
    });
    b
}

fn context() -> Context {
    let mut ctx = Context::default();
    ctx.villages.push(Village {
        village_code: VILLAGE.into(),
        county_code: "990101".into(),
        irrigation_share: Decimal::new(70, 2),
        credit_village: true,
        distance_km: Decimal::from(8),
    });
    let mut month = Month::new(2024, 1);
    while month <= Month::new(2025, 12) {
        for (commodity, price) in [(Commodity::Wheat, Decimal::new(250, 2)), (Commodity::Maize, Decimal::new(230, 2))] {
            ctx.prices.push(PriceRow {
                month,
                commodity,
                price_yuan_per_kg: price,
                pig_grain_ratio: None,
                hog_alert_tier: None,
            });
        }
        month = month.plus(1);
    }
    ctx
}

fn world() -> World {
    let borrowers =
        vec![good_borrower("H0000001"), good_borrower("H0000002"), BorrowerRecords::new(household("H0000003"))];
    let heads = HashMap::from([("H0000001".to_owned(), 1975), ("H0000002".to_owned(), 1955)]);
    let zones = HashMap::from([(VILLAGE.to_owned(), "hhh".to_owned())]);
    World::new(context(), borrowers, heads, &zones)
}

fn model() -> Scorer {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/decision-scorecard.json");
    let text = std::fs::read_to_string(&path).expect("the shipped model");
    Scorer::new(Arc::new(scoring::artifact::Artifact::from_json(&text, &path).expect("model reads"))).expect("binds")
}

fn default_policy(version: &str) -> VersionedPolicy {
    VersionedPolicy::new(version, Arc::new(policy::default_set::policy().expect("default policy"))).expect("binds")
}

fn decider(lineup: Lineup) -> Decider {
    let engine = Engine::new(model(), domain::LprTable::published(), domain::CropCalendar::china_default());
    Decider { engine: Arc::new(engine), lineup: Arc::new(lineup), world: Arc::new(world()) }
}

/// An application of `household`, screened with a consent on file and no list hit, then changed by `change`.
fn request(household: &str, change: impl FnOnce(&mut serde_json::Value, &mut Screening)) -> ApplicationRequest {
    let mut json = serde_json::json!({
        "request_id": format!("r-{household}"), "application_id": format!("A-new-{household}"),
        "household_id": household, "applied_on": "2025-09-20", "product": "crop", "purpose": "crop-inputs",
        "purpose_text": "购买冬小麦种子和化肥", "amount_yuan": "30000", "term_months": 10
    });
    let mut screening =
        Screening { consent: true, blacklisted: false, fraud_suspected: false, withheld: Sources::NONE };
    change(&mut json, &mut screening);
    ApplicationRequest::from_value(&json).expect("valid request").screened(screening)
}

#[test]
fn a_decision_carries_terms_in_fen_reasons_trace_features_and_versions() {
    let decider = decider(Lineup::single(default_policy("rural-microcredit@1")));
    let outcome = decider.decide(&request("H0000001", |_, _| {}), &at()).expect("decided");
    let decided = &outcome.decided;
    assert_ne!(decided.outcome, Outcome::Decline, "a clean AAA household is not declined: {:?}", decided.reasons);
    let t = &decided.terms;
    assert!(t.limit.fen() > 0 && t.limit.fen() % 100_000 == 0, "limits are whole thousands of yuan: {:?}", t.limit);
    assert_eq!(t.amount, Money::from_yuan(30_000).min(t.limit));
    assert_eq!(t.product, Some(lending::ProductKind::HarvestBullet));
    // Wheat is harvested in June on the North China plain: from September, principal follows next June's harvest.
    assert_eq!(t.harvest.map(|h| (h.crop.code(), h.region.code())), Some(("winter-wheat", "north-china-plain")));
    let rate = t.annual_rate.expect("a rate when lending");
    assert!(rate.annual() >= Decimal::new(3, 2), "LPR 3.00% on 2025-09-20 plus a spread: {rate}");
    // The lending core accepts the terms as decided.
    let calendar = domain::CropCalendar::china_default();
    let terms = t.loan_terms(d("2025-09-25"), &calendar).expect("terms for a loan").expect("valid terms");
    assert_eq!(terms.principal(), t.amount);
    assert!(decided.reasons.len() <= decide::engine::MAX_REASONS);

    let record: serde_json::Value = serde_json::from_str(outcome.record.record_json.as_str()).expect("json");
    assert_eq!(record["versions"]["policy"], "rural-microcredit@1");
    assert_eq!(record["versions"]["model"], decider.engine.scorer().model_id());
    assert_eq!(record["terms"]["limit_fen"], t.limit.fen());
    assert_eq!(record["features"]["rating_score_points"], "92");
    assert!(record["policy"]["trace"].as_array().is_some_and(|nodes| nodes.len() > 5), "the full trace");
    assert_eq!(outcome.record.outcome, decided.outcome);
    assert_eq!(outcome.record.request_sha256.len(), 64);
}

#[test]
fn the_same_request_decides_the_same_way() {
    let decider = decider(Lineup::single(default_policy("p")));
    let a = decider.decide(&request("H0000001", |_, _| {}), &at()).expect("decided");
    let b = decider.decide(&request("H0000001", |_, _| {}), &at()).expect("decided");
    assert_eq!(a.record, b.record);
}

#[test]
fn knock_outs_decline_with_their_reason_and_nothing_lent() {
    let decider = decider(Lineup::single(default_policy("p")));
    type Change = fn(&mut serde_json::Value, &mut Screening);
    let cases: [(&str, Change, &str); 3] = [
        ("H0000001", |_, s| s.consent = false, "KO_CONSENT"),
        ("H0000001", |_, s| s.blacklisted = true, "KO_BLACKLIST"),
        // Born 1955: 70 in 2025.
        ("H0000002", |_, _| {}, "KO_AGE"),
    ];
    for (household, change, code) in cases {
        let decided = decider.decide(&request(household, change), &at()).expect("decided").decided;
        assert_eq!(decided.outcome, Outcome::Decline, "{code}");
        assert_eq!(decided.reasons.first().map(|r| r.code.as_str()), Some(code));
        assert_eq!((decided.terms.limit, decided.terms.amount), (Money::ZERO, Money::ZERO));
        assert_eq!((decided.terms.product, decided.terms.annual_rate), (None, None));
        assert!(decided.tier.is_none());
    }
}

#[test]
fn unknown_applicants_and_missing_heads_are_refused() {
    let decider = decider(Lineup::single(default_policy("p")));
    let e = decider.decide(&request("H9999999", |_, _| {}), &at()).expect_err("unknown");
    assert_eq!((e.code, e.field.as_deref()), (ErrorCode::UnknownApplicant, Some("household_id")));
    // H0000003 has no household head on file: the age rule cannot be applied.
    let e = decider.decide(&request("H0000003", |_, _| {}), &at()).expect_err("no head");
    assert_eq!(e.code, ErrorCode::UnknownApplicant);
    // Before the first LPR fixing there is no price.
    let e =
        decider.decide(&request("H0000001", |j, _| j["applied_on"] = "2019-01-10".into()), &at()).expect_err("no LPR");
    assert_eq!((e.code, e.field.as_deref()), (ErrorCode::OutOfRange, Some("applied_on")));
}

#[test]
fn dispatch_challenger_and_shadows() {
    // A longer region prefix wins, then a named product, then the latest effective date; none before it takes
    // effect (the policy register's dispatch rule).
    let lineup = Lineup {
        active: vec![
            Entry::everywhere(default_policy("national")),
            Entry {
                region: "99".into(),
                segment: "crop".into(),
                effective_from: d("2025-01-01"),
                policy: default_policy("province-crop"),
            },
            Entry {
                region: "990101".into(),
                segment: String::new(),
                effective_from: d("2025-01-01"),
                policy: default_policy("county"),
            },
            Entry {
                region: "990101".into(),
                segment: "livestock".into(),
                effective_from: d("2025-01-01"),
                policy: default_policy("livestock"),
            },
            Entry {
                region: "990101".into(),
                segment: String::new(),
                effective_from: d("2026-01-01"),
                policy: default_policy("next-year"),
            },
        ],
        challenger: None,
        shadows: vec![default_policy("shadow-1")],
        salt: "s".into(),
    };
    let picked = |product: &str, on: &str| lineup.champion(VILLAGE, product, d(on)).map(|p| p.version.clone());
    assert_eq!(picked("crop", "2025-09-20").as_deref(), Some("county"));
    assert_eq!(picked("livestock", "2025-09-20").as_deref(), Some("livestock"));
    assert_eq!(picked("crop", "2024-09-20").as_deref(), Some("national"));
    assert_eq!(picked("crop", "2026-02-01").as_deref(), Some("next-year"));
    assert!(Lineup { active: Vec::new(), ..lineup.clone() }.champion(VILLAGE, "crop", d("2025-09-20")).is_none());

    let outcome = decider(lineup.clone()).decide(&request("H0000001", |_, _| {}), &at()).expect("decided");
    assert_eq!(outcome.arm, Arm::Champion);
    let record: serde_json::Value = serde_json::from_str(outcome.record.record_json.as_str()).expect("json");
    assert_eq!(record["shadow"][0]["policy_version"], "shadow-1");
    assert_eq!(record["shadow"][0]["outcome"], outcome.decided.outcome.code());

    // Every applicant in a 100% challenger arm, none in a 0% arm.
    let all = Lineup { challenger: Some((default_policy("challenger"), 10_000)), ..lineup.clone() };
    let outcome = decider(all).decide(&request("H0000001", |_, _| {}), &at()).expect("decided");
    assert_eq!((outcome.arm, outcome.decided.policy_version.as_str()), (Arm::Challenger, "challenger"));
    let none = Lineup { challenger: Some((default_policy("challenger"), 0)), ..lineup };
    assert_eq!(decider(none).decide(&request("H0000001", |_, _| {}), &at()).expect("decided").arm, Arm::Champion);
}

#[test]
fn the_scorecard_fast_path_and_the_streamed_trace_agree_with_the_general_paths() {
    let decider = decider(Lineup::single(default_policy("p")));
    let world = world();
    let mut reasons_compared = 0;
    for household in ["H0000001", "H0000003"] {
        let request = request(household, |_, _| {});
        let applicant = world.applicant(household).expect("on file");
        let market = world.market(request.applied_on);
        let mut applicant = applicant;
        applicant.head_birth_year = Some(1980);
        let assessment =
            decider.engine.assess(&market.snapshot, &market.social, &request, &applicant).expect("assessed");
        // The general path: a one-row frame of the model's inputs.
        let model = decider.engine.scorer().model();
        let names: Vec<String> = model.inputs.iter().map(|i| i.name.clone()).collect();
        let columns = names
            .iter()
            .map(|n| {
                let feature = features::Feature::by_name(n).expect("a feature");
                scoring::data::Column::Numeric(vec![assessment.features.get(feature).unwrap_or(f64::NAN)])
            })
            .collect();
        let frame = scoring::data::Frame::new(names, columns).expect("frame");
        let general = model.score(&frame).expect("scores").remove(0);
        assert_eq!(assessment.scored, general, "{household}");
        reasons_compared += general.reasons.len();

        let decided = decider.engine.decide(&default_policy("p"), &request, &applicant, &assessment).expect("decides");
        assert_eq!(serde_json::to_value(&decided.policy).expect("serialises"), decided.policy.to_json());
    }
    // The reasons made once per feature and bin are the ones the general path makes for the applicant.
    assert!(reasons_compared > 0, "the households lose points somewhere");
}

#[test]
fn a_decision_never_sees_the_loan_booked_from_its_own_application() {
    // Replaying a past application: its loan started on the application date. The decider leaves out whatever was
    // booked from the application it decides, so the loan neither counts as debt nor changes the decision.
    let mut borrowers = vec![good_borrower("H0000001")];
    let mut booked = borrowers[0].clone();
    booked.loans.push(Loan {
        loan_id: "L-booked".into(),
        household_id: "H0000001".into(),
        application_id: "A-new-H0000001".into(),
        product: lending::ProductKind::HarvestBullet,
        principal: Money::from_yuan(30_000),
        annual_rate: Decimal::new(5, 2),
        start_date: d("2025-09-20"),
        maturity_date: d("2026-07-20"),
        collateral: features::input::CollateralCode::CreditOnly,
        crop: Some(FarmCrop::WinterWheat),
    });
    borrowers.push(booked);
    let heads = HashMap::from([("H0000001".to_owned(), 1975)]);
    let zones = HashMap::from([(VILLAGE.to_owned(), "hhh".to_owned())]);
    let engine = Engine::new(model(), domain::LprTable::published(), domain::CropCalendar::china_default());
    let decide = |records: BorrowerRecords| {
        let world = World::new(context(), vec![records], heads.clone(), &zones);
        let decider = Decider {
            engine: Arc::new(engine.clone()),
            lineup: Arc::new(Lineup::single(default_policy("p"))),
            world: Arc::new(world),
        };
        decider.decide(&request("H0000001", |_, _| {}), &at()).expect("decided").record
    };
    let [before, after] = [borrowers[0].clone(), borrowers[1].clone()].map(decide);
    assert_eq!(before, after);
    let record: serde_json::Value = serde_json::from_str(after.record_json.as_str()).expect("json");
    assert_eq!(record["features"]["loans_open"], "0");
    assert_eq!(record["features"]["requested_amount_yuan"], "30000", "the application itself is read");
}

#[test]
fn the_lending_core_accepts_the_terms_of_every_product_the_policy_chooses() {
    let decider = decider(Lineup::single(default_policy("p")));
    let calendar = domain::CropCalendar::china_default();
    let mut seen = std::collections::BTreeSet::new();
    for product in ["crop", "livestock", "business", "cooperative"] {
        let request = request("H0000001", |j, _| j["product"] = product.into());
        let decided = decider.decide(&request, &at()).expect("decided").decided;
        let Some(chosen) = decided.terms.product else { continue };
        if let Err(e) = decided.terms.loan_terms(d("2025-09-25"), &calendar).expect("terms") {
            panic!("{product} → {chosen}: {e}");
        }
        seen.insert(chosen.code());
    }
    assert!(seen.len() >= 3, "several products are exercised: {seen:?}");
}

#[test]
fn a_world_keeps_the_markets_of_the_dates_in_use_and_drops_the_least_recently_used() {
    let world = world();
    let first = d("2025-01-01");
    let kept = world.market(first);
    for day in 1..=u64::try_from(decide::world::MARKET_DATES).expect("fits") + 5 {
        let date = first.checked_add_days(chrono::Days::new(day)).expect("a date");
        world.market(date);
        // The first date stays in use, so it is never the one dropped.
        assert!(Arc::ptr_eq(&world.market(first), &kept), "day {day}");
        assert!(world.markets_kept() <= decide::world::MARKET_DATES);
    }
    assert_eq!(world.markets_kept(), decide::world::MARKET_DATES);
    // A dropped date is made again, and equal to what it was.
    let second = first.checked_add_days(chrono::Days::new(1)).expect("a date");
    assert_eq!(world.market(second).snapshot.as_of(), second);
}

#[test]
fn a_policy_that_names_a_product_the_lending_core_does_not_offer_cannot_decide() {
    let graph = policy::default_set::GRAPH_JSON.replace(r#""\"livestock-batch\"""#, r#""\"balloon\"""#);
    assert_ne!(graph, policy::default_set::GRAPH_JSON, "the livestock product is in the default policy");
    let schema = policy::default_set::schema().expect("schema");
    let compiled = policy::load("balloon.json", &graph, &schema).expect("loads: the product is only text to it");
    let balloon = VersionedPolicy::new("balloon@1", Arc::new(compiled)).expect("binds");
    // Every other product is decided as before; the one the policy misnames is refused, naming it.
    let crop = decider(Lineup::single(balloon.clone())).decide(&request("H0000001", |_, _| {}), &at());
    assert_eq!(crop.expect("decided").decided.terms.product, Some(lending::ProductKind::HarvestBullet));
    let livestock = request("H0000001", |j, _| j["product"] = "livestock".into());
    let e = decider(Lineup::single(balloon.clone())).decide(&livestock, &at()).expect_err("unknown product");
    assert_eq!(e.code, ErrorCode::NoPolicy);
    assert!(e.message.contains("balloon@1") && e.message.contains("unknown product 'balloon'"), "{}", e.message);
    // As a shadow it is left out of the record and stops nothing.
    let lineup = Lineup { shadows: vec![balloon, default_policy("shadow")], ..Lineup::single(default_policy("p")) };
    let outcome = decider(lineup).decide(&livestock, &at()).expect("decided");
    let record: serde_json::Value = serde_json::from_str(outcome.record.record_json.as_str()).expect("json");
    let shadows = record["shadow"].as_array().map(|s| s.iter().map(|s| s["policy_version"].clone()).collect());
    assert_eq!(shadows, Some(vec![serde_json::json!("shadow")]));
}

/// A feature of a source that was not read: missing, or a count of its records that counts none (the engine counts
/// the pulls of a household with no report as zero, as for a household never reported on).
fn unread(value: &serde_json::Value) -> bool {
    value.is_null() || value == "0"
}

#[test]
fn a_source_without_consent_is_not_read_and_the_record_says_so() {
    let decider = decider(Lineup::single(default_policy("p")));
    let record = |withheld: Sources| {
        let request = request("H0000001", |_, s| s.withheld = withheld);
        let outcome = decider.decide(&request, &at()).expect("decided");
        serde_json::from_str::<serde_json::Value>(outcome.record.record_json.as_str()).expect("json")
    };
    let read = record(Sources::NONE);
    assert!(read.get("withheld_sources").is_none(), "every source read: the record is as before");
    assert_eq!(read["features"]["bureau_has_record"], "1", "the bureau report is read");
    let bureau: Sources = [DataSource::BureauReports].into_iter().collect();
    let withheld = record(bureau);
    assert_eq!(withheld["withheld_sources"], serde_json::json!(["bureau_reports"]));
    for def in features::CATALOGUE.iter().filter(|d| d.sources == [features::catalogue::Source::BureauReports]) {
        assert!(unread(&withheld["features"][def.name]), "{} is not read without the bureau consent", def.name);
    }
    assert!(withheld["features"]["bureau_has_record"].is_null());
    assert_eq!(withheld["features"]["rating_score_points"], "92", "the lender's own records are still read");
    assert_eq!(withheld["request"], read["request"], "the request is the same; only what was read differs");
}

#[test]
fn withholding_every_source_leaves_every_feature_of_those_sources_missing() {
    let separate: Vec<&str> = privacy::consent::CLASSIFICATION
        .iter()
        .filter(|c| matches!(c.needs, privacy::consent::Needs::SeparateConsent(_)))
        .map(|c| c.source)
        .collect();
    let decider = decider(Lineup::single(default_policy("p")));
    let request = request("H0000001", |_, s| s.withheld = Sources::ALL);
    let outcome = decider.decide(&request, &at()).expect("decided");
    let record: serde_json::Value = serde_json::from_str(outcome.record.record_json.as_str()).expect("json");
    assert_eq!(record["withheld_sources"], serde_json::json!(separate));
    let only_withheld = features::CATALOGUE
        .iter()
        .filter(|d| !d.sources.is_empty() && d.sources.iter().all(|s| separate.contains(&s.name())));
    let mut checked = 0;
    for def in only_withheld {
        assert!(unread(&record["features"][def.name]), "{} reads only withheld sources", def.name);
        checked += 1;
    }
    assert!(checked >= 7, "the bureau's features at least: {checked}");
}

#[test]
fn the_classification_names_every_per_borrower_source_the_features_read() {
    use features::catalogue::Source;
    // The sources `BorrowerRecords` holds: each must be classified, so none is read without a rule.
    let per_borrower = [
        Source::Households,
        Source::Ratings,
        Source::BureauReports,
        Source::Applications,
        Source::Loans,
        Source::Repayments,
        Source::Transactions,
        Source::InsuranceClaims,
    ];
    let classified: Vec<&str> = privacy::consent::CLASSIFICATION.iter().map(|c| c.source).collect();
    for source in per_borrower {
        assert!(classified.contains(&source.name()), "{} is classified", source.name());
    }
    assert_eq!(classified.len(), per_borrower.len(), "and nothing else");
    // Clearing a withheld source empties exactly its records.
    let records = good_borrower("H0000001");
    let cleared = decide::engine::withhold(&records, Sources::ALL);
    assert!(
        cleared.bureau_reports.is_empty() && cleared.transactions.is_empty() && cleared.insurance_claims.is_empty()
    );
    assert_eq!(
        (cleared.loans, cleared.ratings, cleared.repayments),
        (records.loans, records.ratings, records.repayments)
    );
}
