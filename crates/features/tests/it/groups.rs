//! Known answers, group by group, from hand-built histories.

use domain::Money;
use features::input::{
    BorrowerRecords, Commodity, Context, Counterparty, DiseaseEvent, EmploymentShock, FarmCrop, Grade, InsuranceClaim,
    InsuranceCover, NewsItem, NewsTopic, Rating, Sentiment, Species, StatedPurpose, WeatherEvent, WeatherType,
};
use features::{Feature, FeatureRow, Snapshot, Social, build, for_applicant, in_population, label, training_table};

use crate::fixtures::*;

fn features(as_of: &str, context: &Context, borrowers: &[BorrowerRecords], i: usize) -> FeatureRow {
    build(d(as_of), context, borrowers).rows.swap_remove(i)
}

fn one(as_of: &str, context: &Context, borrower: &BorrowerRecords) -> FeatureRow {
    features(as_of, context, std::slice::from_ref(borrower), 0)
}

fn get(row: &FeatureRow, name: &str) -> Option<f64> {
    row.get(Feature::by_name(name).unwrap_or_else(|| panic!("{name} is in the catalogue")))
}

fn close(actual: Option<f64>, expected: f64) -> bool {
    actual.is_some_and(|a| (a - expected).abs() < 1e-9)
}

/// A loan that went 88 days past due in 2025 and was cured in October.
fn late_then_cured() -> BorrowerRecords {
    let mut b = borrower("H0000001", VILLAGE, None);
    b.loans.push(loan("L1", "H0000001", "2025-03-05", "2026-03-05", 10_000));
    for (date, dpd) in [
        ("2025-06-05", 0),
        ("2025-07-05", 1),
        ("2025-07-31", 27),
        ("2025-08-31", 58),
        ("2025-09-30", 88),
        ("2025-10-31", 0),
        ("2026-01-05", 0),
    ] {
        b.repayments.push(row("L1", date, dpd));
    }
    b
}

#[test]
fn repayment_behaviour_after_a_cured_delinquency() {
    let ctx = Context::default();
    let r = one("2026-03-31", &ctx, &late_then_cured());
    assert_eq!(get(&r, "loans_open"), Some(0.0), "matured and current");
    assert_eq!(get(&r, "dpd_current"), Some(0.0));
    assert_eq!(get(&r, "dpd_max_6m"), Some(0.0), "the 88-DPD row of 30 Sep is outside (D−6m, D]");
    assert_eq!(get(&r, "dpd_max_12m"), Some(88.0));
    assert_eq!(get(&r, "dpd_max_24m"), Some(88.0));
    assert_eq!(get(&r, "on_time_ratio_12m"), Some(3.0 / 7.0));
    assert_eq!(get(&r, "cured_episodes_24m"), Some(1.0));
    assert_eq!(get(&r, "since_delinquency_months"), Some(6.0));
}

#[test]
fn dpd_ages_between_rows_while_past_due() {
    let ctx = Context::default();
    let r = one("2025-09-15", &ctx, &late_then_cured());
    assert_eq!(get(&r, "loans_open"), Some(1.0));
    assert_eq!(get(&r, "dpd_current"), Some(73.0), "58 on 31 Aug + 15 days");
    assert_eq!(get(&r, "dpd_max_6m"), Some(73.0));
    assert_eq!(get(&r, "since_delinquency_months"), Some(0.0));
    assert_eq!(get(&r, "cured_episodes_24m"), Some(0.0), "the cure of October is not known yet");
}

#[test]
fn a_household_without_loans_has_missing_repayment_features() {
    let r = one("2026-03-31", &Context::default(), &borrower("H0000009", VILLAGE, None));
    assert_eq!(get(&r, "dpd_max_12m"), None);
    assert_eq!(get(&r, "on_time_ratio_12m"), None);
    assert_eq!(get(&r, "since_delinquency_months"), None);
    assert_eq!(get(&r, "loans_open"), Some(0.0));
    assert_eq!(get(&r, "rating_score_points"), None);
    assert_eq!(get(&r, "bureau_has_record"), None);
    assert!(r.values().iter().all(|v| v.is_none_or(f64::is_finite)));
}

#[test]
fn bureau_and_rating_use_the_latest_record_known_by_d() {
    let mut b = borrower("H0000001", VILLAGE, None);
    b.bureau_reports.push(bureau("H0000001", "2025-03-05", 2, 1, 30));
    b.bureau_reports.push(bureau("H0000001", "2026-03-05", 1, 3, 0));
    b.ratings.push(Rating {
        household_id: "H0000001".into(),
        rated_on: d("2025-01-01"),
        score: 82,
        grade: Grade::Aa,
        credit_household: true,
        limit: Money::from_yuan(80_000),
    });
    let ctx = Context::default();
    let before = one("2026-03-04", &ctx, &b);
    assert_eq!(get(&before, "bureau_open_accounts"), Some(2.0));
    assert_eq!(get(&before, "bureau_worst_dpd_24m"), Some(30.0));
    assert_eq!(get(&before, "bureau_inquiries_6m"), Some(1.0));
    assert_eq!(get(&before, "inquiries_3m"), Some(0.0));
    assert_eq!(get(&before, "bureau_has_record"), Some(1.0));
    assert_eq!(get(&before, "bureau_other_balance_yuan"), Some(5_000.0));
    assert_eq!(get(&before, "rating_score_points"), Some(82.0));
    assert_eq!(get(&before, "rating_limit_yuan"), Some(80_000.0));
    assert_eq!(get(&before, "is_credit_household"), Some(1.0));
    let after = one("2026-03-05", &ctx, &b);
    assert_eq!(get(&after, "bureau_open_accounts"), Some(1.0));
    assert_eq!(get(&after, "bureau_inquiries_6m"), Some(3.0));
    assert_eq!(get(&after, "inquiries_3m"), Some(1.0));
    assert_eq!(get(&after, "inquiries_6m"), Some(1.0));
    assert_eq!(get(&one("2025-03-04", &ctx, &b), "bureau_has_record"), None);
}

fn grain_context() -> Context {
    let mut ctx = Context { villages: vec![village(VILLAGE)], ..Context::default() };
    ctx.prices.extend(prices(Commodity::Wheat, "2025-01", 24, |_| dec("2.4")));
    ctx.prices.extend(prices(Commodity::Maize, "2025-01", 24, |_| dec("2.3")));
    ctx
}

#[test]
fn capacity_from_crops_prices_and_open_loans() {
    let mut b = borrower("H0000001", VILLAGE, None);
    b.loans.push(loan("L1", "H0000001", "2026-03-05", "2027-03-05", 10_000));
    let r = one("2026-03-31", &grain_context(), &b);
    // 10 mu × (385 × 0.95 × 2.4 − 495) + 10 mu × (435 × 0.95 × 2.3 − 405).
    let harvest = 10.0 * (385.0 * 0.95 * 2.4 - 495.0) + 10.0 * (435.0 * 0.95 * 2.3 - 405.0);
    assert!(close(get(&r, "harvest_value_expected_yuan"), harvest));
    assert_eq!(get(&r, "offfarm_income_proxy_yuan"), Some(47_500.0));
    assert!(close(get(&r, "income_expected_yuan"), harvest + 47_500.0));
    assert!(close(get(&r, "debt_service_annual_yuan"), 10_500.0), "principal + a year's interest at 5%");
    assert!(close(get(&r, "debt_service_ratio"), 10_500.0 / (harvest + 47_500.0)));
    assert_eq!(get(&r, "debts_other_yuan"), Some(2_000.0));
    // Before the first month of prices has ended, no expected price is known.
    let early = one("2025-01-30", &grain_context(), &b);
    assert_eq!(get(&early, "harvest_value_expected_yuan"), None);
    assert_eq!(get(&early, "debt_service_ratio"), None);
}

#[test]
fn the_expected_price_is_the_trailing_twelve_month_mean() {
    let mut ctx = grain_context();
    ctx.prices.retain(|p| p.commodity != Commodity::Wheat);
    // Wheat at 2.0 for 2025, then 3.2 from January 2026: as of 31 March 2026, the last 12 known months hold nine
    // at 2.0 and three at 3.2.
    ctx.prices.extend(prices(Commodity::Wheat, "2025-01", 24, |i| if i < 12 { dec("2.0") } else { dec("3.2") }));
    let mut b = borrower("H0000001", VILLAGE, None);
    b.household.crops = vec![FarmCrop::WinterWheat];
    let r = one("2026-03-31", &ctx, &b);
    let price = (9.0 * 2.0 + 3.0 * 3.2) / 12.0;
    assert!(close(get(&r, "harvest_value_expected_yuan"), 10.0 * (385.0 * 0.95 * price - 495.0)));
}

#[test]
fn collateral_and_insurance_cover() {
    let mut b = borrower("H0000001", VILLAGE, Some("G000001"));
    b.household.insured = true;
    b.household.insurance_cover = Some(InsuranceCover::Income);
    b.insurance_claims.push(InsuranceClaim {
        household_id: "H0000001".into(),
        harvest_month: m("2025-06"),
        crop: FarmCrop::WinterWheat,
        indemnity: Money::from_yuan(1_200),
    });
    b.insurance_claims.push(InsuranceClaim {
        household_id: "H0000001".into(),
        harvest_month: m("2026-06"),
        crop: FarmCrop::WinterWheat,
        indemnity: Money::from_yuan(800),
    });
    let ctx = Context::default();
    let r = one("2026-06-29", &ctx, &b);
    assert_eq!(get(&r, "house_value_yuan"), Some(150_000.0));
    assert_eq!(get(&r, "machinery_value_yuan"), Some(12_000.0));
    assert_eq!(get(&r, "rcc_shares_yuan"), Some(1_000.0));
    assert_eq!(get(&r, "deposits_yuan"), Some(8_000.0));
    assert_eq!(get(&r, "is_group_member"), Some(1.0));
    assert_eq!(get(&r, "is_insured"), Some(1.0));
    assert_eq!(get(&r, "insurance_cover_cost"), Some(0.0));
    assert_eq!(get(&r, "insurance_cover_income"), Some(1.0));
    assert_eq!(get(&r, "claims_12m"), Some(1.0), "June 2026's claim is known on 30 June");
    assert_eq!(get(&r, "claims_indemnity_12m_yuan"), Some(1_200.0));
    let r = one("2026-06-30", &ctx, &b);
    assert_eq!(get(&r, "claims_12m"), Some(1.0), "June 2025 fell out of (D−12m, D]");
    assert_eq!(get(&r, "claims_indemnity_12m_yuan"), Some(800.0));
}

#[test]
fn market_trends_volatility_and_the_hog_alert() {
    let mut ctx = Context { villages: vec![village(VILLAGE)], ..Context::default() };
    ctx.prices
        .extend(prices(Commodity::Wheat, "2025-01", 12, |i| dec("2.0") + dec("0.1") * rust_decimal::Decimal::from(i)));
    let mut hog = prices(Commodity::Hog, "2025-01", 12, |_| dec("11.04"));
    for p in &mut hog {
        p.pig_grain_ratio = Some(dec("4.80"));
        p.hog_alert_tier = Some(1);
    }
    ctx.prices.extend(hog);
    let grower = borrower("H0000001", VILLAGE, None);
    let mut keeper = borrower("H0000002", VILLAGE, None);
    keeper.household.fattening_pigs = 20;
    keeper.household.sows = 2;
    let table = build(d("2025-12-31"), &ctx, &[grower, keeper]);
    let (g, k) = (&table.rows[0], &table.rows[1]);
    assert!(close(get(g, "main_price_trend_3m"), 3.1 / 2.8 - 1.0));
    assert_eq!(get(g, "main_price_trend_12m"), None, "no price 12 months before the latest");
    assert!(get(g, "main_price_volatility_12m").is_some_and(|v| v > 0.0));
    assert_eq!(get(g, "pig_grain_ratio"), None, "not a hog keeper");
    assert_eq!(get(g, "hog_alert_level"), None);
    assert!(close(get(k, "pig_grain_ratio"), 4.8));
    assert_eq!(get(k, "hog_alert_level"), Some(3.0), "tier 1, the most severe");
    assert_eq!(get(k, "hog_price_trend_3m"), Some(0.0));
    assert_eq!(get(k, "fattening_pigs_head"), Some(20.0));
    // Orchards sell no traded commodity.
    let mut orchard = borrower("H0000003", VILLAGE, None);
    orchard.household.crops = vec![FarmCrop::Fruit];
    assert_eq!(get(&one("2025-12-31", &ctx, &orchard), "main_price_trend_3m"), None);
}

fn environment_context() -> Context {
    let mut ctx = Context { villages: vec![village(VILLAGE), village(OTHER_VILLAGE)], ..Context::default() };
    ctx.weather_events.push(WeatherEvent {
        village_code: VILLAGE.into(),
        harvest_month: m("2026-06"),
        event_type: WeatherType::Drought,
        loss_share: dec("0.4"),
    });
    ctx.disease_events.push(DiseaseEvent {
        county_code: COUNTY.into(),
        species: Species::Hog,
        start_month: m("2026-04"),
        end_month: m("2026-06"),
        cull_rate: dec("0.7"),
    });
    ctx.employment_shocks.push(EmploymentShock {
        county_code: COUNTY.into(),
        start_month: m("2026-08"),
        end_month: m("2027-01"),
        income_drop: dec("0.3"),
    });
    for (date, sentiment) in [("2026-07-15", Sentiment::Negative), ("2026-08-15", Sentiment::Neutral)] {
        ctx.news.push(NewsItem { date: d(date), county_code: COUNTY.into(), topic: NewsTopic::Drought, sentiment });
    }
    ctx
}

#[test]
fn environment_signals_are_known_on_their_dates() {
    let ctx = environment_context();
    let b = borrower("H0000001", VILLAGE, None);
    let at = |date: &str| one(date, &ctx, &b);
    assert_eq!(get(&at("2026-03-31"), "disease_active"), Some(0.0));
    assert_eq!(get(&at("2026-04-01"), "disease_active"), Some(1.0));
    assert_eq!(get(&at("2026-06-29"), "weather_loss_max_6m"), Some(0.0), "the drought is known at the end of June");
    let july = at("2026-07-01");
    assert_eq!(get(&july, "weather_loss_max_6m"), Some(0.4));
    assert_eq!(get(&july, "disease_active"), Some(0.0), "the ban ended in June");
    assert_eq!(get(&july, "disease_outbreak_6m"), Some(1.0));
    assert_eq!(get(&july, "employment_shock_active"), Some(0.0));
    let september = at("2026-09-15");
    assert_eq!(get(&september, "employment_shock_active"), Some(1.0));
    assert_eq!(get(&september, "employment_income_drop_share"), Some(0.3));
    assert_eq!(get(&september, "news_negative_share_3m"), Some(0.5));
    let winter = at("2026-12-31");
    assert_eq!(get(&winter, "weather_loss_max_6m"), Some(0.0), "June is outside this season");
    assert_eq!(get(&winter, "weather_loss_max_12m"), Some(0.4));
    assert_eq!(get(&at("2027-01-01"), "disease_outbreak_6m"), Some(0.0));
    let elsewhere = one("2026-07-01", &ctx, &borrower("H0000002", OTHER_VILLAGE, None));
    assert_eq!(get(&elsewhere, "weather_loss_max_6m"), Some(0.0), "another village of the county");
    assert_eq!(get(&elsewhere, "disease_outbreak_6m"), Some(1.0), "but the same county");
    let unknown = one("2026-07-01", &ctx, &borrower("H0000003", "990199100000", None));
    assert_eq!(get(&unknown, "weather_loss_max_6m"), None, "a village missing from the context");
}

#[test]
fn transaction_flows_and_diversion_of_proceeds() {
    let mut b = borrower("H0000001", VILLAGE, None);
    b.transactions.extend([
        tx("H0000001", "2025-11-10", 1_000, Counterparty::Wage),
        tx("H0000001", "2026-01-10", 2_000, Counterparty::Wage),
        tx("H0000001", "2026-03-05", 10_000, Counterparty::Loan),
        tx("H0000001", "2026-03-07", -6_000, Counterparty::AgriInput),
        tx("H0000001", "2026-03-10", -3_000, Counterparty::Consumer),
        tx("H0000001", "2026-03-25", -1_000, Counterparty::TransferPerson),
    ]);
    let ctx = Context::default();
    let r = one("2026-03-31", &ctx, &b);
    assert_eq!(get(&r, "inflow_3m_yuan"), Some(2_000.0), "the disbursement is not income");
    assert!(close(get(&r, "inflow_trend_6m"), 1.0 / 3.0));
    assert!(close(get(&r, "diversion_share_max_12m"), 0.3), "the transfer of 25 March is after 14 days");
    assert!(get(&r, "net_flow_sd_12m_yuan").is_some_and(|v| v > 0.0));
    let r = one("2026-03-08", &ctx, &b);
    assert_eq!(get(&r, "diversion_share_max_12m"), Some(0.0), "the consumer payment is not known yet");
    assert_eq!(get(&one("2026-03-04", &ctx, &b), "diversion_share_max_12m"), None);
    assert_eq!(get(&one("2025-01-01", &ctx, &b), "net_flow_sd_12m_yuan"), None);
}

/// A, B and C share group G000001 in one village; D lives there outside the group; E lives elsewhere.
fn village_of_borrowers() -> Vec<BorrowerRecords> {
    let with_loan = |id: &str, group: Option<&str>, village: &str, rows: &[(&str, u32)]| {
        let mut b = borrower(id, village, group);
        let loan_id = format!("L{id}");
        b.loans.push(loan(&loan_id, id, "2025-10-05", "2026-10-05", 10_000));
        b.repayments.extend(rows.iter().map(|(date, dpd)| row(&loan_id, date, *dpd)));
        b
    };
    vec![
        with_loan("A", Some("G000001"), VILLAGE, &[("2026-03-05", 0)]),
        with_loan("B", Some("G000001"), VILLAGE, &[("2026-01-05", 1), ("2026-03-31", 86)]),
        with_loan("C", Some("G000001"), VILLAGE, &[("2026-02-28", 30)]),
        with_loan("D", None, VILLAGE, &[("2025-12-31", 95), ("2026-01-31", 0)]),
        with_loan("E", None, OTHER_VILLAGE, &[("2026-02-28", 120)]),
    ]
}

#[test]
fn group_peers_and_village_default_rate_exclude_the_borrower() {
    let ctx = Context { villages: vec![village(VILLAGE), village(OTHER_VILLAGE)], ..Context::default() };
    let borrowers = village_of_borrowers();
    let table = build(d("2026-04-05"), &ctx, &borrowers);
    let a = &table.rows[0];
    // B is at 86 + 5 = 91 DPD on D, C at 30 + 36 = 66.
    assert_eq!(get(a, "group_peers_dpd30"), Some(2.0));
    assert_eq!(get(a, "group_peers_dpd90"), Some(1.0));
    assert_eq!(get(a, "village_borrowers_12m"), Some(3.0));
    assert!(close(get(a, "village_default_rate_12m"), 2.0 / 3.0), "B now and D in December");
    let d_row = &table.rows[3];
    assert_eq!(get(d_row, "group_peers_dpd30"), None, "D is in no group");
    assert!(close(get(d_row, "village_default_rate_12m"), 1.0 / 3.0), "D's own default is excluded");
    assert_eq!(get(&table.rows[4], "village_default_rate_12m"), None, "E has no other borrower in its village");
}

#[test]
fn a_single_applicant_gets_the_batch_row_whatever_summary_it_is_given() {
    let ctx = Context { villages: vec![village(VILLAGE), village(OTHER_VILLAGE)], ..Context::default() };
    let borrowers = village_of_borrowers();
    let as_of = d("2026-04-05");
    let table = build(as_of, &ctx, &borrowers);
    let snapshot = Snapshot::new(as_of, &ctx);
    let everyone = Social::from_borrowers(as_of, &borrowers);
    let peers_only = Social::from_borrowers(as_of, &borrowers[1..4]);
    for social in [&everyone, &peers_only] {
        let a = for_applicant(&snapshot, social, &borrowers[0]).expect("same date");
        assert_eq!(a, table.rows[0]);
    }
    let stale = Social::from_borrowers(d("2026-03-01"), &borrowers);
    assert!(for_applicant(&snapshot, &stale, &borrowers[0]).is_err());
}

#[test]
fn purpose_text_categories_and_mismatch() {
    let mut b = borrower("H0000001", VILLAGE, None);
    b.applications.push(application("H0000001", "2025-03-05", StatedPurpose::CropInputs, "买化肥农药，20亩小麦春耕用"));
    b.applications.push(application("H0000001", "2026-03-05", StatedPurpose::CropInputs, "儿子娶媳妇，彩礼5万"));
    let ctx = Context::default();
    let first = one("2025-06-30", &ctx, &b);
    assert_eq!(get(&first, "purpose_productive"), Some(1.0));
    assert_eq!(get(&first, "purpose_mismatch"), Some(0.0));
    assert_eq!(get(&first, "requested_amount_yuan"), Some(20_000.0));
    let second = one("2026-03-05", &ctx, &b);
    assert_eq!(get(&second, "purpose_consumption"), Some(1.0));
    assert_eq!(get(&second, "purpose_productive"), Some(0.0));
    assert_eq!(get(&second, "purpose_mismatch"), Some(1.0), "crop inputs on the form, a wedding in words");
    assert_eq!(get(&one("2027-03-06", &ctx, &b), "purpose_vague"), None, "no application in 12 months");
}

#[test]
fn label_population_and_horizon() {
    let mut b = borrower("H0000001", VILLAGE, None);
    b.loans.push(loan("L1", "H0000001", "2025-10-05", "2026-06-30", 10_000));
    for (date, dpd) in [("2026-06-30", 1), ("2026-07-31", 31), ("2026-08-31", 62), ("2026-09-30", 92)] {
        b.repayments.push(row("L1", date, dpd));
    }
    assert!(!in_population(d("2025-10-04"), &b), "no loan yet");
    assert_eq!(label(d("2025-10-04"), 12, &b), None);
    assert_eq!(label(d("2026-03-31"), 6, &b), Some(true), "92 DPD on 30 September");
    assert_eq!(label(d("2026-03-31"), 3, &b), Some(false));
    assert_eq!(label(d("2026-10-01"), 3, &b), None, "already in default on D");
    let mut data_ends = b.clone();
    data_ends.repayments.truncate(3);
    assert_eq!(label(d("2026-08-31"), 1, &data_ends), Some(true), "62 DPD on 31 Aug ages to 92 by 30 Sep");
    data_ends.repayments.truncate(1);
    assert_eq!(label(d("2026-06-30"), 1, &data_ends), Some(false), "1 DPD on 30 Jun ages to 31 only");
}

#[test]
fn a_training_table_pairs_population_rows_with_labels() {
    let borrowers = village_of_borrowers();
    let ctx = Context { villages: vec![village(VILLAGE), village(OTHER_VILLAGE)], ..Context::default() };
    let table = training_table(d("2026-03-01"), 3, &ctx, &borrowers);
    let ids: Vec<&str> = table.features.rows.iter().map(|r| r.household_id.as_str()).collect();
    assert_eq!(ids, ["A", "B", "C", "D"], "E is already at 90+ DPD on D");
    // B's 1 DPD of 5 Jan and C's 30 DPD of 28 Feb both age past 90 by 1 June; D was cured before D.
    assert_eq!(table.labels, [false, true, true, false]);
    let mut csv = Vec::new();
    table.write_csv(&mut csv).expect("writing to a Vec cannot fail");
    let text = String::from_utf8(csv).expect("UTF-8");
    let header = text.lines().next().expect("a header");
    assert!(header.starts_with("household_id,as_of,size_persons,"));
    assert!(header.ends_with(",default_90dpd_3m"));
    assert_eq!(text.lines().count(), 5);
    assert!(text.lines().skip(1).all(|l| l.split(',').count() == header.split(',').count()));
}

#[test]
fn csv_columns_follow_the_catalogue_and_values_are_deterministic() {
    let ctx = grain_context();
    let borrowers = village_of_borrowers();
    let write = || {
        let mut out = Vec::new();
        build(d("2026-04-05"), &ctx, &borrowers).write_csv(&mut out).expect("writing to a Vec cannot fail");
        String::from_utf8(out).expect("UTF-8")
    };
    let text = write();
    assert_eq!(text, write());
    let header: Vec<&str> = text.lines().next().expect("a header").split(',').collect();
    let names: Vec<&str> = features::CATALOGUE.iter().map(|f| f.name).collect();
    assert_eq!(&header[2..], names.as_slice());
    assert!(text.lines().nth(1).expect("a row").starts_with("A,2026-04-05,4,2,2,1,9,10,0,"));
    assert!(text.lines().skip(1).all(|l| !l.contains("NaN") && !l.contains("inf")), "values are finite");
}

#[test]
fn protected_attributes_are_not_features() {
    const PROTECTED: &[&str] = &["gender", "sex", "minority", "ethnicity", "age", "name", "national", "birth", "phone"];
    for def in features::CATALOGUE {
        for token in def.name.split('_') {
            assert!(!PROTECTED.contains(&token), "{} looks like a protected attribute", def.name);
        }
        let text = def.definition.to_lowercase();
        assert!(!text.contains("head_age") && !text.contains("head_gender") && !text.contains("minority"));
    }
}
