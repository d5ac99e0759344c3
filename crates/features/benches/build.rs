//! Throughput of the batch path: `features::build` over 500,000 synthetic borrowers as of one date.
//!
//! Borrowers are synthesised (not simulated) with a seeded generator so the benchmark measures the engine alone:
//! 2,000 villages of 250 households, one or two loans each with monthly repayment rows (some late), a disbursement
//! and its use, a few wage inflows, a bureau report, an application and a rating; five commodities' prices over
//! five years, weather losses, outbreaks and news. Prints the median wall time of `build_parallel` on 1 and 2
//! threads over a few runs.
//! Run with `cargo bench -p features --bench build` (`FEATURES_BENCH_BORROWERS` overrides the count).

use std::hint::black_box;
use std::time::Instant;

use domain::{Date, Money};
use features::input::{
    Application, BorrowerRecords, BureauReport, CollateralCode, Commodity, Context, Counterparty, DiseaseEvent,
    FarmCrop, Grade, Household, Loan, LoanClass, Month, NewsItem, NewsTopic, PriceRow, Rating, Repayment, Sentiment,
    Species, StatedPurpose, Transaction, Village, WeatherEvent, WeatherType,
};
use lending::ProductKind;
use rust_decimal::Decimal;

const RUNS: usize = 5;
const VILLAGE_SIZE: usize = 250;

struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> i64 {
        i64::try_from(self.next() % n).expect("small")
    }
}

fn village_code(v: usize) -> String {
    format!("99{:02}01{:06}", (v / 100) % 100, v)
}

fn context(villages: usize, g: &mut Gen) -> Context {
    let first = Month::new(2022, 1);
    let mut ctx = Context::default();
    for v in 0..villages {
        ctx.villages.push(Village {
            village_code: village_code(v),
            county_code: village_code(v)[..6].to_owned(),
            irrigation_share: Decimal::new(30 + g.below(65), 2),
            credit_village: g.below(2) == 0,
            distance_km: Decimal::new(10 + g.below(200), 1),
        });
        if g.below(5) == 0 {
            ctx.weather_events.push(WeatherEvent {
                village_code: village_code(v),
                harvest_month: first.plus(i32::try_from(g.below(60)).expect("small")),
                event_type: WeatherType::Drought,
                loss_share: Decimal::new(g.below(6_000), 4),
            });
        }
    }
    for t in 0..60 {
        for c in Commodity::ALL {
            let hog = *c == Commodity::Hog;
            ctx.prices.push(PriceRow {
                month: first.plus(t),
                commodity: *c,
                price_yuan_per_kg: Decimal::new(if hog { 1_400 } else { 220 } + g.below(100), 2),
                pig_grain_ratio: hog.then(|| Decimal::new(480 + g.below(300), 2)),
                hog_alert_tier: None,
            });
        }
    }
    let counties: Vec<String> = {
        let mut c: Vec<String> = ctx.villages.iter().map(|v| v.county_code.clone()).collect();
        c.dedup();
        c
    };
    for county in &counties {
        let start = first.plus(i32::try_from(g.below(60)).expect("small"));
        ctx.disease_events.push(DiseaseEvent {
            county_code: county.clone(),
            species: Species::Hog,
            start_month: start,
            end_month: start.plus(4),
            cull_rate: Decimal::new(6, 1),
        });
        for t in 0..60 {
            ctx.news.push(NewsItem {
                date: first.plus(t).first_day() + chrono::Duration::days(14),
                county_code: county.clone(),
                topic: NewsTopic::GrainPrice,
                sentiment: if g.below(3) == 0 { Sentiment::Negative } else { Sentiment::Neutral },
            });
        }
    }
    ctx
}

fn borrower(i: usize, g: &mut Gen) -> BorrowerRecords {
    let id = format!("H{:07}", i + 1);
    let v = i / VILLAGE_SIZE;
    let mut b = BorrowerRecords::new(Household {
        household_id: id.clone(),
        village_code: village_code(v),
        size: 4,
        labourers: 2,
        dependants: 2,
        education_years: 9,
        land_contracted_mu: Decimal::new(20 + g.below(200), 1),
        land_rented_mu: Decimal::new(g.below(50), 1),
        crops: vec![FarmCrop::WinterWheat, FarmCrop::SummerMaize],
        sows: 0,
        fattening_pigs: if g.below(5) == 0 { 20 } else { 0 },
        cattle: 0,
        migrants: u32::try_from(g.below(2)).expect("small"),
        business: g.below(10) == 0,
        coop_member: true,
        insured: true,
        insurance_cover: None,
        rcc_shares: Money::from_yuan(1_000),
        deposits: Money::from_yuan(5_000 + g.below(20_000)),
        house_value: Money::from_yuan(100_000),
        machinery_value: Money::from_yuan(10_000),
        debts_other: Money::ZERO,
        group_id: (i % 3 == 0).then(|| format!("G{:06}", i / 15)),
    });
    let base = Date::from_ymd_opt(2024, 1, 5).expect("valid date");
    for k in 0..(1 + g.below(2)) {
        let start = base + chrono::Duration::days(g.below(900));
        let loan_id = format!("L{i:07}-{k}");
        b.loans.push(Loan {
            loan_id: loan_id.clone(),
            household_id: id.clone(),
            application_id: format!("A{i:07}-{k}"),
            product: ProductKind::HarvestBullet,
            principal: Money::from_yuan(10_000 + 100 * g.below(400)),
            annual_rate: Decimal::new(5, 2),
            start_date: start,
            maturity_date: start + chrono::Duration::days(330),
            collateral: CollateralCode::CreditOnly,
            crop: Some(FarmCrop::WinterWheat),
        });
        b.applications.push(Application {
            application_id: format!("A{i:07}-{k}"),
            household_id: id.clone(),
            applied_on: start,
            product: ProductKind::HarvestBullet,
            amount_requested: Money::from_yuan(20_000),
            stated_purpose: StatedPurpose::CropInputs,
            purpose_text: "购买小麦种子和复合肥，准备秋种".to_owned(),
            decision: None,
            loan_id: Some(loan_id.clone()),
        });
        b.bureau_reports.push(BureauReport {
            household_id: id.clone(),
            report_date: start,
            has_record: true,
            open_accounts: 1,
            inquiries_6m: 1,
            worst_dpd_24m: 0,
            other_balance: Money::ZERO,
        });
        let mut dpd = 0;
        for m in 1..=11 {
            let late = g.below(20) == 0 || (dpd > 0 && g.below(2) == 0);
            dpd = if late { dpd + 30 } else { 0 };
            b.repayments.push(Repayment {
                loan_id: loan_id.clone(),
                date: domain::add_months(start, m),
                amount_due: Money::from_yuan(500),
                amount_paid: if late { Money::ZERO } else { Money::from_yuan(500) },
                dpd_after: dpd,
                class_after: if dpd == 0 { LoanClass::Normal } else { LoanClass::SpecialMention },
            });
        }
        b.transactions.push(Transaction {
            household_id: id.clone(),
            date: start,
            amount: Money::from_yuan(20_000),
            counterparty_type: Counterparty::Loan,
            counterparty_id: "RCC".to_owned(),
            loan_id: Some(loan_id.clone()),
        });
        b.transactions.push(Transaction {
            household_id: id.clone(),
            date: start + chrono::Duration::days(3),
            amount: Money::from_yuan(-15_000),
            counterparty_type: if g.below(10) == 0 { Counterparty::Consumer } else { Counterparty::AgriInput },
            counterparty_id: "AG-001".to_owned(),
            loan_id: Some(loan_id),
        });
    }
    for m in 0..4 {
        b.transactions.push(Transaction {
            household_id: id.clone(),
            date: base + chrono::Duration::days(200 * m + g.below(100)),
            amount: Money::from_yuan(3_000 + g.below(3_000)),
            counterparty_type: Counterparty::Wage,
            counterparty_id: "CP-00001".to_owned(),
            loan_id: None,
        });
    }
    b.ratings.push(Rating {
        household_id: id,
        rated_on: Date::from_ymd_opt(2024, 1, 1).expect("valid date"),
        score: 70 + u32::try_from(g.below(30)).expect("small"),
        grade: Grade::A,
        credit_household: true,
        limit: Money::from_yuan(50_000),
    });
    b
}

fn main() {
    let n: usize = std::env::var("FEATURES_BENCH_BORROWERS").ok().and_then(|v| v.parse().ok()).unwrap_or(500_000);
    let mut g = Gen(0x5EED);
    let started = Instant::now();
    let ctx = context(n.div_ceil(VILLAGE_SIZE), &mut g);
    let borrowers: Vec<BorrowerRecords> = (0..n).map(|i| borrower(i, &mut g)).collect();
    let records: usize = borrowers
        .iter()
        .map(|b| b.loans.len() + b.repayments.len() + b.transactions.len() + b.applications.len() + 2)
        .sum();
    println!("synthesised {n} borrowers ({records} records) in {:.1} s", started.elapsed().as_secs_f64());
    let as_of = Date::from_ymd_opt(2025, 12, 31).expect("valid date");
    for threads in [1, 2] {
        let mut times = Vec::new();
        for run in 0..RUNS {
            let t = Instant::now();
            let table = black_box(features::build_parallel(as_of, &ctx, &borrowers, threads));
            let secs = t.elapsed().as_secs_f64();
            println!(
                "{threads} thread(s), run {}: {secs:.2} s ({} rows × {} features)",
                run + 1,
                table.rows.len(),
                features::CATALOGUE.len()
            );
            times.push(secs);
            drop(table);
        }
        times.sort_by(f64::total_cmp);
        let median = times[RUNS / 2];
        println!(
            "build on {threads} thread(s): median {median:.2} s for {n} borrowers ({:.1} µs per borrower)",
            median * 1e6 / n as f64
        );
    }
}
