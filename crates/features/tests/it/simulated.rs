//! End to end on a tiny simulated county: the simulator's rows mapped into the engine's input types (as the store
//! adapter will), then features, labels and the point-in-time property on realistic histories.

use std::collections::HashMap;

use domain::{Date, Money, parse_date};
use features::input::{
    Application, BorrowerRecords, BureauReport, CollateralCode, Commodity, Context, Counterparty, Decision,
    DiseaseEvent, EmploymentShock, FarmCrop, Grade, Household, InsuranceClaim, InsuranceCover, Loan, LoanClass, Month,
    NewsItem, NewsTopic, PriceRow, Rating, Repayment, Sentiment, Species, StatedPurpose, Transaction, Village,
    WeatherEvent, WeatherType,
};
use features::{Feature, Snapshot, Social, build, for_applicant, training_table};
use rust_decimal::Decimal;
use simulate::{Config, Preset, Tables};

fn date(text: &str) -> Date {
    parse_date(text).expect("simulator dates are valid")
}
fn month(text: &str) -> Month {
    Month::parse(text).expect("simulator months are valid")
}
fn dec(text: &str) -> Decimal {
    text.parse().expect("simulator decimals are valid")
}
fn money(text: &str) -> Money {
    Money::parse_yuan(text).expect("simulator amounts are valid")
}
fn opt(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

/// Maps a run's model-facing tables into a context and one record bundle per household.
pub fn load(t: &Tables) -> (Context, Vec<BorrowerRecords>) {
    let context = Context {
        villages: t
            .villages
            .iter()
            .map(|v| Village {
                village_code: v.village_code.clone(),
                county_code: v.county_code.clone(),
                irrigation_share: dec(&v.irrigation_share),
                credit_village: v.credit_village,
                distance_km: dec(&v.distance_km),
            })
            .collect(),
        prices: t
            .prices
            .iter()
            .map(|p| PriceRow {
                month: month(&p.month),
                commodity: Commodity::parse(p.commodity).expect("known commodity"),
                price_yuan_per_kg: dec(&p.price_yuan_per_kg),
                pig_grain_ratio: p.pig_grain_ratio.as_deref().map(dec),
                hog_alert_tier: p.hog_alert_tier,
            })
            .collect(),
        weather_events: t
            .weather
            .iter()
            .map(|w| WeatherEvent {
                village_code: w.village_code.clone(),
                harvest_month: month(&w.harvest_month),
                event_type: WeatherType::parse(w.event_type).expect("known event"),
                loss_share: dec(&w.loss_share),
            })
            .collect(),
        disease_events: t
            .disease
            .iter()
            .map(|e| DiseaseEvent {
                county_code: e.county_code.clone(),
                species: Species::parse(e.species).expect("known species"),
                start_month: month(&e.start_month),
                end_month: month(&e.end_month),
                cull_rate: dec(&e.cull_rate),
            })
            .collect(),
        employment_shocks: t
            .employment
            .iter()
            .map(|e| EmploymentShock {
                county_code: e.county_code.clone(),
                start_month: month(&e.start_month),
                end_month: month(&e.end_month),
                income_drop: dec(&e.income_drop),
            })
            .collect(),
        news: t
            .news
            .iter()
            .map(|n| NewsItem {
                date: date(&n.date),
                county_code: n.county_code.clone(),
                topic: NewsTopic::parse(n.topic).expect("known topic"),
                sentiment: Sentiment::parse(n.sentiment).expect("known sentiment"),
            })
            .collect(),
    };
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut borrowers: Vec<BorrowerRecords> = Vec::new();
    for h in &t.households {
        index.insert(h.household_id.clone(), borrowers.len());
        borrowers.push(BorrowerRecords::new(Household {
            household_id: h.household_id.clone(),
            village_code: h.village_code.clone(),
            size: h.size,
            labourers: h.labourers,
            dependants: h.dependants,
            education_years: h.education_years,
            land_contracted_mu: dec(&h.land_contracted_mu),
            land_rented_mu: dec(&h.land_rented_mu),
            crops: h.crops.split(';').map(|c| FarmCrop::parse(c).expect("known crop")).collect(),
            sows: h.sows,
            fattening_pigs: h.fattening_pigs,
            cattle: h.cattle,
            migrants: h.migrants,
            business: h.business,
            coop_member: h.coop_member,
            insured: h.insured,
            insurance_cover: opt(h.insurance_cover).map(|c| InsuranceCover::parse(&c).expect("known cover")),
            rcc_shares: money(&h.rcc_shares),
            deposits: money(&h.deposits),
            house_value: money(&h.house_value),
            machinery_value: money(&h.machinery_value),
            debts_other: money(&h.debts_other),
            group_id: opt(&h.group_id),
        }));
    }
    for r in &t.ratings {
        borrowers[index[&r.household_id]].ratings.push(Rating {
            household_id: r.household_id.clone(),
            rated_on: date(&r.rated_on),
            score: r.score,
            grade: Grade::parse(r.grade).expect("known grade"),
            credit_household: r.credit_household,
            limit: money(&r.limit),
        });
    }
    for b in &t.bureau {
        borrowers[index[&b.household_id]].bureau_reports.push(BureauReport {
            household_id: b.household_id.clone(),
            report_date: date(&b.report_date),
            has_record: b.has_record,
            open_accounts: b.open_accounts,
            inquiries_6m: b.inquiries_6m,
            worst_dpd_24m: b.worst_dpd_24m,
            other_balance: money(&b.other_balance),
        });
    }
    for a in &t.applications {
        borrowers[index[&a.household_id]].applications.push(Application {
            application_id: a.application_id.clone(),
            household_id: a.household_id.clone(),
            applied_on: date(&a.applied_on),
            product: a.product,
            amount_requested: money(&a.amount_requested),
            stated_purpose: StatedPurpose::parse(a.stated_purpose).expect("known purpose"),
            purpose_text: a.purpose_text.clone(),
            decision: Some(Decision::parse(a.decision).expect("known decision")),
            loan_id: opt(&a.loan_id),
        });
    }
    let mut loan_owner: HashMap<&str, &str> = HashMap::new();
    for l in &t.loans {
        loan_owner.insert(&l.loan_id, &l.household_id);
        borrowers[index[&l.household_id]].loans.push(Loan {
            loan_id: l.loan_id.clone(),
            household_id: l.household_id.clone(),
            application_id: l.application_id.clone(),
            product: l.product,
            principal: money(&l.principal),
            annual_rate: dec(&l.annual_rate),
            start_date: date(&l.start_date),
            maturity_date: date(&l.maturity_date),
            collateral: CollateralCode::parse(l.collateral).expect("known collateral"),
            crop: opt(&l.crop).map(|c| FarmCrop::parse(&c).expect("known crop")),
        });
    }
    for r in &t.repayments {
        borrowers[index[loan_owner[&*r.loan_id]]].repayments.push(Repayment {
            loan_id: r.loan_id.to_string(),
            date: r.date,
            amount_due: r.amount_due,
            amount_paid: r.amount_paid,
            dpd_after: r.dpd_after,
            class_after: LoanClass::parse(r.class_after).expect("known class"),
        });
    }
    for x in &t.transactions {
        borrowers[index[&*x.household_id]].transactions.push(Transaction {
            household_id: x.household_id.to_string(),
            date: x.date,
            amount: x.amount,
            counterparty_type: Counterparty::parse(x.counterparty_type).expect("known counterparty"),
            counterparty_id: x.counterparty_id.to_string(),
            loan_id: opt(&x.loan_id),
        });
    }
    for c in &t.insurance {
        borrowers[index[&c.household_id]].insurance_claims.push(InsuranceClaim {
            household_id: c.household_id.clone(),
            harvest_month: month(&c.harvest_month),
            crop: FarmCrop::parse(&c.crop).expect("known crop"),
            indemnity: money(&c.indemnity),
        });
    }
    (context, borrowers)
}

#[test]
fn a_tiny_simulated_county_end_to_end() {
    let sim = simulate::run(&Config::preset(Preset::Tiny), 7, 2, &|_, _| {});
    let (context, borrowers) = load(&sim.tables);
    let as_of = date("2026-06-30");
    let table = build(as_of, &context, &borrowers);
    assert_eq!(table.rows.len(), borrowers.len());
    assert_eq!(features::build_parallel(as_of, &context, &borrowers, 3), table, "threads change nothing");

    // Every borrower seen at 90+ DPD in the last 12 months scores a positive dpd_max_12m.
    let from = domain::add_months(as_of, -12);
    let mut seriously_late = 0;
    for (b, row) in borrowers.iter().zip(&table.rows) {
        if b.repayments.iter().any(|r| r.dpd_after >= 90 && r.date > from && r.date <= as_of) {
            seriously_late += 1;
            assert!(row.get(Feature::DpdMax12m).is_some_and(|v| v >= 90.0), "{}", b.household.household_id);
        }
        if b.loans.iter().all(|l| l.start_date > as_of) {
            assert_eq!(row.get(Feature::DpdMax12m), None);
        }
    }
    assert!(seriously_late > 0, "the tiny county has some defaults");
    let with_value = table.rows.iter().filter(|r| r.get(Feature::HarvestValueExpectedYuan).is_some()).count();
    assert!(with_value > borrowers.len() / 2, "prices are known, so most farms have an expected harvest value");

    // The single-applicant path agrees with the batch.
    let snapshot = Snapshot::new(as_of, &context);
    let social = Social::from_borrowers(as_of, &borrowers);
    for i in (0..borrowers.len()).step_by(97) {
        assert_eq!(for_applicant(&snapshot, &social, &borrowers[i]).expect("same date"), table.rows[i]);
    }

    // No look-ahead on realistic histories either.
    let truncated: Vec<BorrowerRecords> = borrowers.iter().map(|b| b.known_as_of(as_of)).collect();
    assert_eq!(build(as_of, &context.known_as_of(as_of), &truncated), table);

    // Training tables at each month end with a 6-month label (the run ends in December 2026; the tiny county has
    // only a handful of defaults, so every month end counts).
    let mut population = 0;
    let mut defaults = 0;
    for k in 0..18 {
        let as_of = Month::new(2025, 1).plus(k).last_day();
        let training = training_table(as_of, 6, &context, &borrowers);
        assert_eq!(training.features.rows.len(), training.labels.len());
        population += training.labels.len();
        defaults += training.labels.iter().filter(|l| **l).count();
    }
    assert!(defaults > 0, "some borrower defaults within six months");
    assert!(defaults < population / 4, "{defaults} of {population}");
}
