//! Builders for hand-made borrower histories and contexts.

use domain::{Date, Money};
use features::input::{
    Application, BorrowerRecords, BureauReport, CollateralCode, Commodity, Counterparty, FarmCrop, Household, Loan,
    LoanClass, Month, PriceRow, Repayment, StatedPurpose, Transaction, Village,
};
use lending::ProductKind;
use rust_decimal::Decimal;

pub const VILLAGE: &str = "990101100000";
pub const OTHER_VILLAGE: &str = "990101100001";
pub const COUNTY: &str = "990101";

pub fn d(text: &str) -> Date {
    domain::parse_date(text).expect("valid test date")
}

pub fn m(text: &str) -> Month {
    Month::parse(text).expect("valid test month")
}

pub fn dec(text: &str) -> Decimal {
    text.parse().expect("valid test decimal")
}

pub fn household(id: &str, village: &str, group: Option<&str>) -> Household {
    Household {
        household_id: id.into(),
        village_code: village.into(),
        size: 4,
        labourers: 2,
        dependants: 2,
        education_years: 9,
        land_contracted_mu: dec("10"),
        land_rented_mu: Decimal::ZERO,
        crops: vec![FarmCrop::WinterWheat, FarmCrop::SummerMaize],
        sows: 0,
        fattening_pigs: 0,
        cattle: 1,
        migrants: 1,
        business: false,
        coop_member: true,
        insured: false,
        insurance_cover: None,
        rcc_shares: Money::from_yuan(1_000),
        deposits: Money::from_yuan(8_000),
        house_value: Money::from_yuan(150_000),
        machinery_value: Money::from_yuan(12_000),
        debts_other: Money::from_yuan(2_000),
        group_id: group.map(str::to_owned),
    }
}

pub fn borrower(id: &str, village: &str, group: Option<&str>) -> BorrowerRecords {
    BorrowerRecords::new(household(id, village, group))
}

pub fn loan(id: &str, household: &str, start: &str, maturity: &str, principal_yuan: i64) -> Loan {
    Loan {
        loan_id: id.into(),
        household_id: household.into(),
        application_id: format!("A{}", &id[1..]),
        product: ProductKind::HarvestBullet,
        principal: Money::from_yuan(principal_yuan),
        annual_rate: dec("0.05"),
        start_date: d(start),
        maturity_date: d(maturity),
        collateral: CollateralCode::Group,
        crop: Some(FarmCrop::WinterWheat),
    }
}

/// A repayment row: paid in full when `dpd` is 0, nothing paid otherwise.
pub fn row(loan: &str, date: &str, dpd: u32) -> Repayment {
    Repayment {
        loan_id: loan.into(),
        date: d(date),
        amount_due: Money::from_yuan(1_000),
        amount_paid: if dpd == 0 { Money::from_yuan(1_000) } else { Money::ZERO },
        dpd_after: dpd,
        class_after: if dpd == 0 { LoanClass::Normal } else { LoanClass::SpecialMention },
    }
}

pub fn bureau(household: &str, date: &str, open: u32, inquiries: u32, worst: u32) -> BureauReport {
    BureauReport {
        household_id: household.into(),
        report_date: d(date),
        has_record: true,
        open_accounts: open,
        inquiries_6m: inquiries,
        worst_dpd_24m: worst,
        other_balance: Money::from_yuan(5_000),
    }
}

pub fn application(household: &str, date: &str, purpose: StatedPurpose, text: &str) -> Application {
    Application {
        application_id: format!("A-{household}-{date}"),
        household_id: household.into(),
        applied_on: d(date),
        product: ProductKind::HarvestBullet,
        amount_requested: Money::from_yuan(20_000),
        stated_purpose: purpose,
        purpose_text: text.into(),
        decision: None,
        loan_id: None,
    }
}

pub fn tx(household: &str, date: &str, yuan: i64, kind: Counterparty) -> Transaction {
    Transaction {
        household_id: household.into(),
        date: d(date),
        amount: Money::from_yuan(yuan),
        counterparty_type: kind,
        counterparty_id: "CP-00001".into(),
        loan_id: None,
    }
}

pub fn village(code: &str) -> Village {
    Village {
        village_code: code.into(),
        county_code: COUNTY.into(),
        irrigation_share: dec("0.5"),
        credit_village: true,
        distance_km: dec("8.5"),
    }
}

/// Monthly prices from `first` for `months` months, `price(i)` for month i.
pub fn prices(commodity: Commodity, first: &str, months: i32, price: impl Fn(i32) -> Decimal) -> Vec<PriceRow> {
    (0..months)
        .map(|i| PriceRow {
            month: m(first).plus(i),
            commodity,
            price_yuan_per_kg: price(i),
            pig_grain_ratio: None,
            hog_alert_tier: None,
        })
        .collect()
}
