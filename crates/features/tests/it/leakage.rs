//! The point-in-time property: for random histories and a random D, the features computed from the full records
//! equal those computed from the records truncated to what was known by D. A feature that peeked past D (a later
//! repayment, next month's price, a weather loss before its harvest had ended) would make the two differ.

use domain::{Date, Money};
use features::input::{
    Application, BorrowerRecords, BureauReport, Commodity, Context, Counterparty, DiseaseEvent, EmploymentShock,
    FarmCrop, Grade, InsuranceClaim, LoanClass, Month, NewsItem, NewsTopic, PriceRow, Rating, Repayment, Sentiment,
    Species, StatedPurpose, Transaction, WeatherEvent, WeatherType,
};
use features::{build, format_value};
use lending::ProductKind;
use proptest::prelude::*;
use rust_decimal::Decimal;

use crate::fixtures::{COUNTY, OTHER_VILLAGE, VILLAGE, borrower, loan, village};

/// A small deterministic generator driven by a proptest-chosen seed (xorshift64*).
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn day(&mut self) -> Date {
        let start = Date::from_ymd_opt(2024, 1, 1).expect("valid date");
        start + chrono::Duration::days(i64::try_from(self.below(3 * 365)).expect("small"))
    }
    fn month(&mut self) -> Month {
        Month::new(2024, 1).plus(i32::try_from(self.below(36)).expect("small"))
    }
    fn share(&mut self) -> Decimal {
        Decimal::new(i64::try_from(self.below(10_000)).expect("small"), 4)
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[usize::try_from(self.below(items.len() as u64)).expect("small")]
    }
}

const TEXTS: [&str; 5] = ["买化肥农药", "儿子结婚办酒席", "还别的银行贷款", "资金周转", "补栏20头仔猪"];

fn history(g: &mut Gen, i: usize) -> BorrowerRecords {
    let id = format!("H{i:07}");
    let village = if g.below(3) == 0 { OTHER_VILLAGE } else { VILLAGE };
    let group = (g.below(2) == 0).then_some("G000001");
    let mut b = borrower(&id, village, group);
    b.household.fattening_pigs = u32::try_from(g.below(3)).expect("small") * 10;
    b.household.crops = vec![g.pick(FarmCrop::ALL), g.pick(FarmCrop::ALL)];
    for k in 0..g.below(4) {
        let start = g.day();
        let maturity = start + chrono::Duration::days(i64::try_from(60 + g.below(500)).expect("small"));
        let loan_id = format!("L{i}-{k}");
        let mut l =
            loan(&loan_id, &id, "2024-01-01", "2024-12-31", 1_000 + i64::try_from(g.below(50_000)).expect("small"));
        l.start_date = start;
        l.maturity_date = maturity;
        b.loans.push(l);
        let mut dpd = 0u32;
        for r in 0..g.below(12) {
            let date = start + chrono::Duration::days(i64::try_from(30 * (r + 1)).expect("small"));
            dpd = if g.below(3) == 0 { dpd + 30 } else { 0 };
            b.repayments.push(Repayment {
                loan_id: loan_id.clone(),
                date,
                amount_due: Money::from_yuan(1_000),
                amount_paid: Money::from_yuan(i64::try_from(g.below(1_200)).expect("small")),
                dpd_after: dpd,
                class_after: if dpd == 0 { LoanClass::Normal } else { LoanClass::SpecialMention },
            });
        }
        b.transactions.push(Transaction {
            household_id: id.clone(),
            date: start,
            amount: Money::from_yuan(5_000),
            counterparty_type: Counterparty::Loan,
            counterparty_id: "RCC".into(),
            loan_id: Some(loan_id.clone()),
        });
    }
    for _ in 0..g.below(10) {
        let kind = g.pick(Counterparty::ALL);
        let sign = if g.below(2) == 0 { 1 } else { -1 };
        b.transactions.push(Transaction {
            household_id: id.clone(),
            date: g.day(),
            amount: Money::from_yuan(sign * (1 + i64::try_from(g.below(4_000)).expect("small"))),
            counterparty_type: kind,
            counterparty_id: "CP-00001".into(),
            loan_id: None,
        });
    }
    for _ in 0..g.below(3) {
        let date = g.day();
        b.bureau_reports.push(BureauReport {
            household_id: id.clone(),
            report_date: date,
            has_record: g.below(2) == 0,
            open_accounts: u32::try_from(g.below(4)).expect("small"),
            inquiries_6m: u32::try_from(g.below(4)).expect("small"),
            worst_dpd_24m: u32::try_from(g.below(60)).expect("small"),
            other_balance: Money::from_yuan(i64::try_from(g.below(9_000)).expect("small")),
        });
        b.applications.push(Application {
            application_id: format!("A{i}-{date}"),
            household_id: id.clone(),
            applied_on: date,
            product: g.pick(&ProductKind::ALL),
            amount_requested: Money::from_yuan(3_000 + i64::try_from(g.below(40_000)).expect("small")),
            stated_purpose: g.pick(StatedPurpose::ALL),
            purpose_text: g.pick(&TEXTS).to_owned(),
            decision: None,
            loan_id: None,
        });
    }
    for _ in 0..g.below(3) {
        b.ratings.push(Rating {
            household_id: id.clone(),
            rated_on: g.day(),
            score: u32::try_from(g.below(100)).expect("small"),
            grade: g.pick(Grade::ALL),
            credit_household: g.below(2) == 0,
            limit: Money::from_yuan(i64::try_from(g.below(100)).expect("small") * 1_000),
        });
        b.insurance_claims.push(InsuranceClaim {
            household_id: id.clone(),
            harvest_month: g.month(),
            crop: g.pick(FarmCrop::ALL),
            indemnity: Money::from_yuan(1 + i64::try_from(g.below(3_000)).expect("small")),
        });
    }
    b
}

fn context(g: &mut Gen) -> Context {
    let mut ctx = Context { villages: vec![village(VILLAGE), village(OTHER_VILLAGE)], ..Context::default() };
    for t in 0..36 {
        for commodity in Commodity::ALL {
            let hog = *commodity == Commodity::Hog;
            ctx.prices.push(PriceRow {
                month: Month::new(2024, 1).plus(t),
                commodity: *commodity,
                price_yuan_per_kg: Decimal::new(150 + i64::try_from(g.below(2_000)).expect("small"), 2),
                pig_grain_ratio: hog.then(|| Decimal::new(400 + i64::try_from(g.below(400)).expect("small"), 2)),
                hog_alert_tier: if hog && g.below(2) == 0 {
                    Some(u8::try_from(1 + g.below(3)).expect("small"))
                } else {
                    None
                },
            });
        }
    }
    for _ in 0..g.below(6) {
        let village = if g.below(2) == 0 { VILLAGE } else { OTHER_VILLAGE };
        ctx.weather_events.push(WeatherEvent {
            village_code: village.into(),
            harvest_month: g.month(),
            event_type: g.pick(WeatherType::ALL),
            loss_share: g.share(),
        });
        let start = g.month();
        let end = start.plus(i32::try_from(g.below(7)).expect("small"));
        ctx.disease_events.push(DiseaseEvent {
            county_code: COUNTY.into(),
            species: Species::Hog,
            start_month: start,
            end_month: end,
            cull_rate: g.share(),
        });
        ctx.employment_shocks.push(EmploymentShock {
            county_code: COUNTY.into(),
            start_month: start,
            end_month: start.plus(5),
            income_drop: g.share(),
        });
    }
    for _ in 0..g.below(20) {
        ctx.news.push(NewsItem {
            date: g.day(),
            county_code: COUNTY.into(),
            topic: g.pick(NewsTopic::ALL),
            sentiment: g.pick(Sentiment::ALL),
        });
    }
    ctx
}

fn csv(table: &features::FeatureTable) -> Vec<String> {
    table.rows.iter().map(|r| r.values().iter().map(|v| format_value(*v)).collect::<Vec<_>>().join(",")).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn features_never_depend_on_records_known_after_d(seed in 1u64.., day in 0i64..(3 * 365)) {
        let mut g = Gen(seed);
        let borrowers: Vec<BorrowerRecords> = (0..6).map(|i| history(&mut g, i)).collect();
        let ctx = context(&mut g);
        let as_of = Date::from_ymd_opt(2024, 1, 1).expect("valid date") + chrono::Duration::days(day);
        let full = build(as_of, &ctx, &borrowers);
        let truncated: Vec<BorrowerRecords> = borrowers.iter().map(|b| b.known_as_of(as_of)).collect();
        let known = build(as_of, &ctx.known_as_of(as_of), &truncated);
        prop_assert_eq!(csv(&full), csv(&known));
        prop_assert_eq!(full, known);
    }
}
