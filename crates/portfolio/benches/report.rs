//! The portfolio report over a synthetic book of 1,000,000 loans (500,000 households with two loans each, in 2,000
//! villages of 20 counties, a quarter of the loans with missed payments, some of them long past due), as the daily
//! run makes it: the book in one pass ([`Book::build`]: DPD, class, stage, PD, ECL, groups, trend, rolls, vintages,
//! write-offs) and the report from it ([`portfolio::report::build`]: quality, provisions, concentration,
//! breakdowns). Loading the records is the store's and is not timed.
//!
//! Run with `cargo bench -p portfolio --bench report`; the median is criterion's "time" middle figure.

use std::collections::HashMap;

use criterion::{Criterion, criterion_main};
use domain::{Date, Money};
use features::input::{BorrowerRecords, CollateralCode, FarmCrop, Household, Loan, LoanClass, Repayment, Village};
use lending::ProductKind;
use portfolio::{Book, Config, Inputs};
use rust_decimal::Decimal;

const HOUSEHOLDS: u32 = 500_000;
const VILLAGES: u32 = 2_000;

fn day(y: i32, m: u32, d: u32) -> Date {
    Date::from_ymd_opt(y, m, d).expect("a valid date")
}

fn village_code(v: u32) -> String {
    format!("99{:04}{:06}", 100 + v % 20, v)
}

fn household(h: u32) -> BorrowerRecords {
    let village = village_code(h % VILLAGES);
    let mut b = BorrowerRecords::new(Household {
        household_id: format!("H{h:07}"),
        village_code: village,
        size: 4,
        labourers: 2,
        dependants: 2,
        education_years: 9,
        land_contracted_mu: Decimal::new(8, 0),
        land_rented_mu: Decimal::ZERO,
        crops: vec![FarmCrop::WinterWheat, FarmCrop::SummerMaize],
        sows: 0,
        fattening_pigs: 0,
        cattle: 0,
        migrants: 1,
        business: false,
        coop_member: false,
        insured: false,
        insurance_cover: None,
        rcc_shares: Money::ZERO,
        deposits: Money::from_yuan(5_000),
        house_value: Money::from_yuan(100_000),
        machinery_value: Money::ZERO,
        debts_other: Money::ZERO,
        group_id: None,
    });
    for k in 0..2u32 {
        let id = format!("L{h:07}{k}");
        let start = day(2024 + i32::try_from(k).unwrap_or(0), 1 + (h % 12), 1 + (h % 28));
        let maturity = domain::add_months(start, 12);
        b.loans.push(Loan {
            loan_id: id.clone(),
            household_id: b.household.household_id.clone(),
            application_id: format!("A{h:07}{k}"),
            product: if h % 3 == 0 { ProductKind::HarvestBullet } else { ProductKind::EqualInstallment },
            principal: Money::from_yuan(i64::from(20_000 + (h % 50) * 1_000)),
            annual_rate: Decimal::new(55, 3),
            start_date: start,
            maturity_date: maturity,
            collateral: if h % 5 == 0 { CollateralCode::Group } else { CollateralCode::CreditOnly },
            crop: None,
        });
        for m in 1..=3 {
            let on = domain::add_months(start, m * 3);
            let late = (h + k) % 4 == 0 && m >= 2;
            let dpd = if late { 1 + (h % 200) } else { 0 };
            b.repayments.push(Repayment {
                loan_id: id.clone(),
                date: on,
                amount_due: Money::from_yuan(2_000),
                amount_paid: if late { Money::ZERO } else { Money::from_yuan(2_000) },
                dpd_after: dpd,
                class_after: if dpd == 0 { LoanClass::Normal } else { LoanClass::SpecialMention },
            });
        }
    }
    b
}

fn bench(c: &mut Criterion) {
    let mut borrowers: Vec<BorrowerRecords> = (0..HOUSEHOLDS).map(household).collect();
    portfolio::book::prepare(&mut borrowers);
    let villages: Vec<Village> = (0..VILLAGES)
        .map(|v| Village {
            village_code: village_code(v),
            county_code: village_code(v)[..6].to_owned(),
            irrigation_share: Decimal::new(5, 1),
            credit_village: false,
            distance_km: Decimal::new(8, 0),
        })
        .collect();
    let zones: HashMap<String, String> = villages.iter().map(|v| (v.village_code.clone(), "HHH".to_owned())).collect();
    let pds: HashMap<String, Decimal> =
        borrowers.iter().map(|b| (b.household.household_id.clone(), Decimal::new(2, 2))).collect();
    let config = Config::default();
    let inputs =
        Inputs { as_of: day(2025, 12, 31), borrowers: &borrowers, villages: &villages, zones: &zones, pds: &pds };
    let mut group = c.benchmark_group("portfolio");
    group.sample_size(10).measurement_time(std::time::Duration::from_secs(30));
    group.bench_function("report_1m_loans", |b| {
        b.iter(|| {
            let book = Book::build(&inputs, &config).expect("a bounded book");
            let report = portfolio::report::build(&book, &config).expect("a bounded book");
            assert!(report.quality.loans > 0);
            report
        })
    });
    group.finish();
}

/// Private, so the function `criterion_group!` makes needs no documentation.
mod group {
    criterion::criterion_group!(benches, super::bench);
}

criterion_main!(group::benches);
