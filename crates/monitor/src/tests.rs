//! The detectors, their combination, a replay and the evaluation on small hand-made books.

use domain::{Date, Decimal, Money, Timestamp, parse_date};
use features::input::{
    BorrowerRecords, CollateralCode, Context, Counterparty, EmploymentShock, FarmCrop, Household, Loan, LoanClass,
    Month, Repayment, Transaction, Village, WeatherEvent, WeatherType,
};
use lending::ProductKind;

use crate::alert::{Cause, Tier};
use crate::book::Book;
use crate::config::MonitorConfig;
use crate::engine::assess_day;
use crate::evaluate::{episodes, evaluate};
use crate::replay::Replay;
use crate::signals::{DayView, detect};

fn d(text: &str) -> Date {
    parse_date(text).expect("date")
}

fn at() -> Timestamp {
    Timestamp::parse("2024-01-01T08:00:00+08:00").expect("timestamp")
}

const VILLAGE: &str = "990101101001";

fn household(id: &str, group: Option<&str>) -> Household {
    Household {
        household_id: id.into(),
        village_code: VILLAGE.into(),
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
        migrants: 0,
        business: false,
        coop_member: false,
        insured: true,
        insurance_cover: None,
        rcc_shares: Money::ZERO,
        deposits: Money::from_yuan(5_000),
        house_value: Money::from_yuan(100_000),
        machinery_value: Money::ZERO,
        debts_other: Money::ZERO,
        group_id: group.map(str::to_string),
    }
}

fn loan(id: &str, household: &str, start: &str, maturity: &str) -> Loan {
    Loan {
        loan_id: id.into(),
        household_id: household.into(),
        application_id: format!("A{id}"),
        product: ProductKind::HarvestBullet,
        principal: Money::from_yuan(20_000),
        annual_rate: Decimal::new(5, 2),
        start_date: d(start),
        maturity_date: d(maturity),
        collateral: CollateralCode::CreditOnly,
        crop: Some(FarmCrop::SummerMaize),
    }
}

fn row(loan: &str, on: &str, due: i64, paid: i64, dpd: u32) -> Repayment {
    Repayment {
        loan_id: loan.into(),
        date: d(on),
        amount_due: Money::from_yuan(due),
        amount_paid: Money::from_yuan(paid),
        dpd_after: dpd,
        class_after: if dpd > 0 { LoanClass::SpecialMention } else { LoanClass::Normal },
    }
}

fn borrower(id: &str, group: Option<&str>, loans: Vec<Loan>, rows: Vec<Repayment>) -> BorrowerRecords {
    let mut b = BorrowerRecords::new(household(id, group));
    b.loans = loans;
    b.repayments = rows;
    b
}

fn context(weather: Vec<WeatherEvent>) -> Context {
    Context {
        villages: vec![Village {
            village_code: VILLAGE.into(),
            county_code: "990101".into(),
            irrigation_share: Decimal::new(5, 1),
            credit_village: false,
            distance_km: Decimal::new(8, 0),
        }],
        weather_events: weather,
        ..Context::default()
    }
}

/// A harvest-bullet loan whose bullet of 2024-11-30 is missed and never paid.
fn defaulting() -> BorrowerRecords {
    let rows = vec![
        row("L1", "2024-07-05", 80, 80, 0),
        row("L1", "2024-11-30", 20_080, 0, 0),
        row("L1", "2024-12-31", 20_160, 0, 31),
        row("L1", "2025-01-31", 20_240, 0, 62),
        row("L1", "2025-02-28", 20_320, 0, 90),
        row("L1", "2025-03-31", 20_400, 0, 121),
    ];
    borrower("H0000001", None, vec![loan("L1", "H0000001", "2024-06-05", "2024-11-30")], rows)
}

fn drought() -> WeatherEvent {
    WeatherEvent {
        village_code: VILLAGE.into(),
        harvest_month: Month::parse("2024-10").expect("month"),
        event_type: WeatherType::Drought,
        loss_share: Decimal::new(45, 2),
    }
}

fn causes(book: &Book, day: &str) -> Vec<(Cause, Tier, &'static str)> {
    let view = DayView::of(book, d(day));
    detect(book, 0, &view, &MonitorConfig::default()).into_iter().map(|s| (s.cause, s.tier, s.detector)).collect()
}

#[test]
fn dpd_ages_on_the_lending_clock_and_tiers_by_threshold() {
    let book = Book::new(vec![defaulting()], context(vec![]), vec![], 14);
    assert!(causes(&book, "2024-11-29").iter().all(|c| c.0 != Cause::Overdue), "nothing is due yet");
    // The bullet unpaid at the end of 2024-11-30 shows as 0 DPD that day; the row of 2024-12-31 says 31.
    assert!(causes(&book, "2024-12-30").iter().all(|c| c.0 != Cause::Overdue), "no row has said it is past due");
    assert!(causes(&book, "2024-12-31").contains(&(Cause::Overdue, Tier::Orange, "dpd")));
    // Aged from 31 at 2024-12-31 to 60 on 2025-01-29.
    assert!(causes(&book, "2025-01-29").contains(&(Cause::Overdue, Tier::Red, "dpd")));
    assert!(causes(&book, "2025-01-28").contains(&(Cause::Overdue, Tier::Orange, "dpd")));
}

#[test]
fn a_weather_loss_signals_from_the_end_of_its_harvest_month_for_a_while() {
    let book = Book::new(vec![defaulting()], context(vec![drought()]), vec![], 14);
    assert!(causes(&book, "2024-10-30").iter().all(|c| c.0 != Cause::Weather), "not known before the month ends");
    assert!(causes(&book, "2024-10-31").contains(&(Cause::Weather, Tier::Orange, "village_weather")));
    assert!(causes(&book, "2025-02-27").contains(&(Cause::Weather, Tier::Orange, "village_weather")));
    assert!(causes(&book, "2025-03-01").iter().all(|c| c.0 != Cause::Weather), "120 days later it has aged out");
}

#[test]
fn arrears_corroborated_by_two_shocks_of_the_environment_are_red_and_say_so() {
    let mut b = defaulting();
    b.household.migrants = 2;
    let mut ctx = context(vec![drought()]);
    ctx.employment_shocks = vec![EmploymentShock {
        county_code: "990101".into(),
        start_month: Month::parse("2024-10").expect("month"),
        end_month: Month::parse("2025-03").expect("month"),
        income_drop: Decimal::new(30, 2),
    }];
    let book = Book::new(vec![b.clone()], ctx, vec![], 14);
    let day = assess_day(&book, d("2024-12-31"), &MonitorConfig::default(), &at());
    let overdue = day.alerts.iter().find(|a| a.cause == Cause::Overdue).expect("overdue alert");
    assert_eq!(overdue.tier, Tier::Red);
    assert_eq!(overdue.evidence["corroborated_by"], serde_json::json!(["weather", "income_shock"]));
    assert!(overdue.check().is_ok());
    let weather = day.alerts.iter().find(|a| a.cause == Cause::Weather).expect("weather alert");
    assert_eq!(weather.tier, Tier::Orange, "the environment's own alert keeps its tier");
    assert!(weather.actions.contains(&crate::RecommendedAction::StartInsuranceClaim), "the household is insured");
    let mut config = MonitorConfig::default();
    config.combine.corroborate_to_red = false;
    let day = assess_day(&book, d("2024-12-31"), &config, &at());
    assert_eq!(day.alerts.iter().find(|a| a.cause == Cause::Overdue).map(|a| a.tier), Some(Tier::Orange));
    // One shock alone does not corroborate.
    let book = Book::new(vec![b], context(vec![drought()]), vec![], 14);
    let day = assess_day(&book, d("2024-12-31"), &MonitorConfig::default(), &at());
    assert_eq!(day.alerts.iter().find(|a| a.cause == Cause::Overdue).map(|a| a.tier), Some(Tier::Orange));
}

fn diverting(id: &str, loan_id: &str, counterparty: &str, yuan: i64) -> BorrowerRecords {
    let mut b = borrower(id, None, vec![loan(loan_id, id, "2024-06-05", "2024-11-30")], vec![]);
    b.transactions = vec![
        Transaction {
            household_id: id.into(),
            date: d("2024-06-05"),
            amount: Money::from_yuan(20_000),
            counterparty_type: Counterparty::Loan,
            counterparty_id: "RCC".into(),
            loan_id: Some(loan_id.into()),
        },
        Transaction {
            household_id: id.into(),
            date: d("2024-06-09"),
            amount: Money::from_yuan(-yuan),
            counterparty_type: Counterparty::TransferPerson,
            counterparty_id: counterparty.into(),
            loan_id: Some(loan_id.into()),
        },
    ];
    b
}

#[test]
fn a_book_built_on_several_threads_is_the_book_built_on_one() {
    let households = || {
        vec![
            diverting("H0000003", "L3", "CP-1", 12_000),
            defaulting(),
            diverting("H0000001", "L1", "CP-1", 1_000),
            borrower("H0000009", None, vec![], vec![]),
            diverting("H0000002", "L2", "CP-1", 1_000),
            diverting("H0000004", "L4", "CP-2", 1_000),
        ]
    };
    let one = Book::new_on(households(), context(vec![drought()]), vec![], 14, 1);
    assert_eq!(one.borrowers.len(), 5, "the household without a loan is left out");
    for threads in [2, 3, 4, 7] {
        let many = Book::new_on(households(), context(vec![drought()]), vec![], 14, threads);
        assert!(many == one, "{threads} threads build another book");
    }
}

#[test]
fn diversion_is_a_share_of_proceeds_and_a_ring_is_several_borrowers_paying_one_payee() {
    let ring = vec![
        diverting("H0000001", "L1", "CP-1", 1_000),
        diverting("H0000002", "L2", "CP-1", 1_000),
        diverting("H0000003", "L3", "CP-1", 12_000),
        diverting("H0000004", "L4", "CP-2", 1_000),
    ];
    let book = Book::new(ring, context(vec![]), vec![], 14);
    let view = DayView::of(&book, d("2024-06-10"));
    let config = MonitorConfig::default();
    let of = |i: usize| -> Vec<(Tier, &'static str)> {
        detect(&book, i, &view, &config)
            .into_iter()
            .filter(|s| s.cause == Cause::FundDiversion)
            .map(|s| (s.tier, s.detector))
            .collect()
    };
    assert_eq!(of(0), vec![(Tier::Orange, "shared_payee")], "5% of proceeds alone signals nothing; the ring does");
    assert_eq!(of(2), vec![(Tier::Orange, "proceeds_diverted"), (Tier::Orange, "shared_payee")]);
    assert!(of(3).is_empty(), "one borrower paying a payee is not a ring");
    let before = DayView::of(&book, d("2024-06-08"));
    assert!(detect(&book, 0, &before, &config).iter().all(|s| s.cause != Cause::FundDiversion), "not yet paid");
}

#[test]
fn a_replay_raises_once_re_tiers_upward_and_resolves_what_cleared() {
    // Missed on 2024-11-30, cured on 2025-01-15.
    let rows = vec![
        row("L1", "2024-11-30", 20_080, 0, 0),
        row("L1", "2024-12-31", 20_160, 0, 31),
        row("L1", "2025-01-15", 20_200, 20_200, 0),
    ];
    let b = borrower("H0000001", None, vec![loan("L1", "H0000001", "2024-06-05", "2024-11-30")], rows);
    let book = Book::new(vec![b], context(vec![]), vec![], 14);
    let config = MonitorConfig::default();
    let mut replay = Replay::new();
    for day in d("2024-12-01").iter_days().take_while(|x| *x <= d("2025-03-31")) {
        replay.run_day(&book, day, &config, &at());
    }
    let overdue: Vec<_> = replay.spans().iter().filter(|s| s.cause == Cause::Overdue).collect();
    assert_eq!(overdue.len(), 1, "{overdue:?}");
    let o = overdue[0];
    assert_eq!(o.raised_on, d("2024-12-31"));
    assert_eq!(o.tiers, vec![(d("2024-12-31"), Tier::Orange)]);
    // Cured on 2025-01-15, the DPD signal is gone; one missed installment is under the 2 that stay orange, so after
    // 30 days open
    // the alert is resolved on the first day without a signal.
    assert_eq!(o.closed_on, Some(d("2025-01-30")));
    // The same days again in a new replay give the same alerts.
    let mut again = Replay::new();
    for day in d("2024-12-01").iter_days().take_while(|x| *x <= d("2025-03-31")) {
        again.run_day(&book, day, &config, &at());
    }
    assert_eq!(again.spans(), replay.spans());
}

#[test]
fn the_evaluation_counts_a_warning_before_the_first_day_past_due() {
    let book = Book::new(vec![defaulting()], context(vec![drought()]), vec![], 14);
    let eps = episodes(&book, d("2025-12-31"));
    assert_eq!(eps.len(), 1);
    assert_eq!(eps[0].first_dpd, d("2024-11-30"));
    assert_eq!(eps[0].dpd90, d("2025-02-28"));
    let config = MonitorConfig::default();
    let mut replay = Replay::new();
    for day in d("2024-06-05").iter_days().take_while(|x| *x <= d("2025-06-30")) {
        replay.run_day(&book, day, &config, &at());
    }
    let e = evaluate(&book, replay.spans(), &[], d("2024-06-05"), d("2025-06-30"), "S5");
    assert_eq!(e.figures.defaulters, 1);
    // The drought known on 2024-10-31 warned (orange) a month before the bullet was missed.
    assert_eq!(e.figures.recall_before_first_dpd, Some(1.0));
    assert_eq!(e.figures.recall_before_90dpd, Some(1.0));
    // From 2024-10-31 to 30 DPD (2024-12-30 by the clock: 31 on 2024-12-31 is read as that row's figure).
    assert!(e.figures.median_lead_days.is_some_and(|days| days >= 30.0), "{:?}", e.figures.median_lead_days);
    assert_eq!(e.figures.red_precision, Some(1.0));
    // Without the drought nothing warns before the first day past due.
    let quiet = Book::new(vec![defaulting()], context(vec![]), vec![], 14);
    let mut replay = Replay::new();
    for day in d("2024-06-05").iter_days().take_while(|x| *x <= d("2025-06-30")) {
        replay.run_day(&quiet, day, &config, &at());
    }
    let e = evaluate(&quiet, replay.spans(), &[], d("2024-06-05"), d("2025-06-30"), "S5");
    assert_eq!(e.figures.recall_before_first_dpd, Some(0.0));
    assert_eq!(e.figures.recall_before_90dpd, Some(1.0));
}

#[test]
fn a_day_on_several_threads_is_the_day_on_one() {
    let mut households = Vec::new();
    for i in 0..60_000 {
        let id = format!("H{i:07}");
        let loan_id = format!("L{i}");
        let rows = if i % 7 == 0 {
            vec![row(&loan_id, "2024-11-30", 20_080, 0, 0), row(&loan_id, "2024-12-31", 20_160, 0, 31)]
        } else {
            vec![row(&loan_id, "2024-11-30", 20_080, 20_080, 0)]
        };
        households.push(borrower(&id, None, vec![loan(&loan_id, &id, "2024-06-05", "2024-11-30")], rows));
    }
    let book = Book::new(households, context(vec![drought()]), vec![], 14);
    let config = MonitorConfig::default();
    let one = crate::engine::assess_day_on(&book, d("2025-01-10"), &config, &at(), 1);
    let three = crate::engine::assess_day_on(&book, d("2025-01-10"), &config, &at(), 3);
    assert_eq!(one, three);
    assert!(one.alerts.len() > 8_000, "{}", one.alerts.len());
}
