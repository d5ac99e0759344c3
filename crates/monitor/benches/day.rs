//! A day of monitoring over a book of 1,000,000 active loans, and one borrower's event-driven assessment.
//!
//! The book is synthesised with a seeded generator (not simulated), so the figures measure the detectors alone:
//! 4,000 villages of 250 households in 40 counties, one loan each (harvest bullets and equal installments) with its
//! monthly repayment rows (some missed, some still in arrears), the disbursement and the use of its proceeds (some
//! diverted), joint-liability groups of five, five commodities' prices over three years, weather losses in a tenth
//! of the villages, a county outbreak and an employment shock, news, and a season of satellite passes per village.
//! Prints the median wall time of `assess_day` over the whole book, and the median and 99th percentile of
//! `assess_borrower` (what an ingested repayment's evaluation computes) over 10,000 borrowers.
//! Run with `cargo bench -p monitor --bench day` (`MONITOR_BENCH_LOANS` overrides the count).

use std::hint::black_box;
use std::time::Instant;

use chrono::Datelike;

use domain::{Date, Money, Timestamp};
use features::input::{
    BorrowerRecords, CollateralCode, Commodity, Context, Counterparty, CropPass, DiseaseEvent, EmploymentShock,
    FarmCrop, Household, Loan, LoanClass, Month, NewsItem, NewsTopic, PriceRow, Repayment, Sentiment, Species,
    Transaction, Village, WeatherEvent, WeatherType,
};
use lending::ProductKind;
use monitor::{Book, MonitorConfig, assess_borrower, assess_day};
use rust_decimal::Decimal;

const VILLAGE_SIZE: usize = 250;

struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn date(y: i32, m: u32, d: u32) -> Date {
    Date::from_ymd_opt(y, m, d).expect("a valid date")
}

fn village(v: usize) -> String {
    format!("99{:02}01{:06}", (v / 100) % 40, v)
}

fn county(v: usize) -> String {
    format!("99{:02}01", (v / 100) % 40)
}

fn borrower(i: usize, g: &mut Gen) -> BorrowerRecords {
    let v = i / VILLAGE_SIZE;
    let id = format!("H{i:08}");
    let mut b = BorrowerRecords::new(Household {
        household_id: id.clone(),
        village_code: village(v),
        size: 4,
        labourers: 2,
        dependants: 2,
        education_years: 8,
        land_contracted_mu: Decimal::new(8, 0),
        land_rented_mu: Decimal::ZERO,
        crops: vec![FarmCrop::WinterWheat, FarmCrop::SummerMaize],
        sows: u32::from(g.below(10) == 0),
        fattening_pigs: 0,
        cattle: 0,
        migrants: u32::try_from(g.below(3)).unwrap_or(0),
        business: false,
        coop_member: false,
        insured: g.below(3) > 0,
        insurance_cover: None,
        rcc_shares: Money::ZERO,
        deposits: Money::from_yuan(5_000),
        house_value: Money::from_yuan(100_000),
        machinery_value: Money::ZERO,
        debts_other: Money::ZERO,
        group_id: Some(format!("G{:07}", i / 5)),
    });
    let loan_id = format!("L{i:08}");
    let start = date(2026, 1 + u32::try_from(g.below(6)).unwrap_or(0), 5);
    let bullet = g.below(2) == 0;
    let maturity = if bullet { date(2026, 11, 30) } else { date(2027, 6, 5) };
    let principal = Money::from_yuan(10_000 + i64::try_from(g.below(40_000)).unwrap_or(0));
    b.loans.push(Loan {
        loan_id: loan_id.clone(),
        household_id: id.clone(),
        application_id: format!("A{i:08}"),
        product: if bullet { ProductKind::HarvestBullet } else { ProductKind::EqualInstallment },
        principal,
        annual_rate: Decimal::new(55, 3),
        start_date: start,
        maturity_date: maturity,
        collateral: CollateralCode::CreditOnly,
        crop: bullet.then_some(FarmCrop::SummerMaize),
    });
    let late = g.below(20) == 0;
    let mut dpd = 0u32;
    let mut day = start;
    while day < date(2026, 12, 6) {
        day = domain::add_months(day, 1);
        let due = Money::from_yuan(1_000);
        let missed = late && day.month() >= 9;
        dpd = if missed { dpd.max(1) + 30 } else { 0 };
        b.repayments.push(Repayment {
            loan_id: loan_id.clone(),
            date: day,
            amount_due: due,
            amount_paid: if missed { Money::ZERO } else { due },
            dpd_after: if missed { dpd } else { 0 },
            class_after: if missed { LoanClass::SpecialMention } else { LoanClass::Normal },
        });
    }
    b.transactions.push(Transaction {
        household_id: id.clone(),
        date: start,
        amount: principal,
        counterparty_type: Counterparty::Loan,
        counterparty_id: "RCC".into(),
        loan_id: Some(loan_id.clone()),
    });
    let diverted = g.below(30) == 0;
    b.transactions.push(Transaction {
        household_id: id,
        date: start + chrono::Duration::days(4),
        amount: Money::from_fen(-principal.fen()),
        counterparty_type: if diverted { Counterparty::Consumer } else { Counterparty::AgriInput },
        counterparty_id: format!("CP-{:05}", g.below(90_000)),
        loan_id: Some(loan_id),
    });
    b
}

fn context(villages: usize, g: &mut Gen) -> (Context, Vec<CropPass>) {
    let mut ctx = Context::default();
    for v in 0..villages {
        ctx.villages.push(Village {
            village_code: village(v),
            county_code: county(v),
            irrigation_share: Decimal::new(5, 1),
            credit_village: false,
            distance_km: Decimal::new(8, 0),
        });
        if g.below(10) == 0 {
            ctx.weather_events.push(WeatherEvent {
                village_code: village(v),
                harvest_month: Month::new(2026, 10),
                event_type: WeatherType::Drought,
                loss_share: Decimal::new(i64::try_from(10 + g.below(60)).unwrap_or(10), 2),
            });
        }
    }
    for y in 2024..=2026 {
        for m in 1..=12 {
            for (c, base) in [
                (Commodity::Wheat, 240),
                (Commodity::Paddy, 260),
                (Commodity::Maize, 230),
                (Commodity::Soybean, 480),
                (Commodity::Hog, 1_600),
            ] {
                let price = Decimal::new(base + i64::try_from(g.below(40)).unwrap_or(0) - 20, 2);
                ctx.prices.push(PriceRow {
                    month: Month::new(y, m),
                    commodity: c,
                    price_yuan_per_kg: price,
                    pig_grain_ratio: (c == Commodity::Hog).then(|| Decimal::new(55, 1)),
                    hog_alert_tier: (c == Commodity::Hog).then_some(3),
                });
            }
        }
    }
    ctx.disease_events.push(DiseaseEvent {
        county_code: county(0),
        species: Species::Hog,
        start_month: Month::new(2026, 9),
        end_month: Month::new(2027, 2),
        cull_rate: Decimal::new(7, 1),
    });
    ctx.employment_shocks.push(EmploymentShock {
        county_code: county(100),
        start_month: Month::new(2026, 10),
        end_month: Month::new(2027, 3),
        income_drop: Decimal::new(3, 1),
    });
    for c in 0..40 {
        ctx.news.push(NewsItem {
            date: date(2026, 11, 20),
            county_code: county(c * 100),
            topic: NewsTopic::GrainPrice,
            sentiment: Sentiment::Negative,
        });
    }
    let mut passes = Vec::new();
    for v in 0..villages {
        let poor = g.below(10) == 0;
        for (k, day) in date(2026, 6, 1).iter_days().step_by(10).take_while(|d| *d <= date(2026, 12, 6)).enumerate() {
            let normal = Decimal::new(60, 2);
            let dip = if poor && k > 8 { Decimal::new(20, 2) } else { Decimal::ZERO };
            passes.push(CropPass {
                village_code: village(v),
                crop: FarmCrop::SummerMaize,
                observed_on: day,
                ndvi: normal - dip,
                ndvi_normal: normal,
                cloud_share: Decimal::new(i64::try_from(g.below(60)).unwrap_or(0), 2),
            });
        }
    }
    (ctx, passes)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let loans: usize = std::env::var("MONITOR_BENCH_LOANS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    let started = Instant::now();
    let households: Vec<BorrowerRecords> = (0..loans).map(|i| borrower(i, &mut g)).collect();
    let (ctx, passes) = context(loans.div_ceil(VILLAGE_SIZE), &mut g);
    let config = MonitorConfig::default();
    println!("book of {loans} loans generated in {:.1} s", started.elapsed().as_secs_f64());
    // What a run from the resident book (`app::resident`) does first each day: its records copied and indexed.
    let (mut copies, mut builds, mut drops) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..2 {
        let t = Instant::now();
        let copy = black_box(households.clone());
        copies.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let built = black_box(Book::new(copy, ctx.clone(), passes.clone(), config.diversion.window_days));
        builds.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        drop(built);
        drops.push(t.elapsed().as_secs_f64());
    }
    println!(
        "book built from records in memory: copied in {:.2} s (one thread), Book::new {:.2} s, dropped in {:.2} s \
         (medians of 2)",
        median(copies),
        median(builds),
        median(drops)
    );
    let book = Book::new(households, ctx, passes, config.diversion.window_days);
    let at = Timestamp::parse("2026-12-06T18:00:00+08:00").expect("timestamp");
    let day = date(2026, 12, 6);
    let mut times = Vec::new();
    let mut alerts = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let assessment = black_box(assess_day(&book, day, &config, &at));
        times.push(t.elapsed().as_secs_f64());
        alerts = assessment.alerts.len();
        assert!(assessment.active_loans > loans / 2, "most loans are on the book");
    }
    println!(
        "assess_day over {loans} loans: median {:.2} s of 3 runs ({alerts} alerts proposed)",
        median(times.clone())
    );
    let mut one = Vec::new();
    for k in 0..10_000 {
        let i = (k * 7_919) % loans;
        let t = Instant::now();
        black_box(assess_borrower(&book, &format!("H{i:08}"), day, &config, &at));
        one.push(t.elapsed().as_secs_f64() * 1_000.0);
    }
    one.sort_by(f64::total_cmp);
    println!(
        "assess_borrower (an event's evaluation): median {:.3} ms, p99 {:.3} ms over 10,000 borrowers",
        one[one.len() / 2],
        one[one.len() * 99 / 100]
    );
}
