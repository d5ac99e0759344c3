//! The book as of a date: one [`Position`] per loan on the books (its exposure, EAD, stage, PD, LGD and ECL, and
//! the groups it falls in), built in one pass over the borrowers' records, with the history the report reads from
//! the same pass ([`crate::history`]).
//!
//! What a loaded loan owes is read from its records, which hold terms and dated DPD observations but no balance:
//! - **outstanding principal** on a date: nothing before the start; the principal until maturity; after maturity,
//!   what is due and unpaid on its latest row while it is past due (at most the principal), else nothing. A loan at
//!   or beyond the write-off DPD has left the book. (The same rule as the village roster's: an amortising loan is
//!   counted at its principal until maturity, so ratios err towards a larger denominator, never towards hiding
//!   arrears.)
//! - **DPD** is the lending core's one clock (`lending::dpd_on`); the **class** is the worse of the rules' floor
//!   for that DPD and the class on the latest row; the loaded sources carry no restructuring, so none is.
//! - **accrued interest**: the contract rate on the outstanding principal (ACT/360) from the last day the loan was
//!   current on a row (or its start) to the date, capped by the configuration.

use std::collections::HashMap;

use domain::{Date, Money};
use features::input::{BorrowerRecords, Counterparty, Grade, Loan, LoanClass, Repayment, Village};
use lending::{ClassificationRules, Exposure, FiveCategory, IfrsStage, ProductKind, dpd_on};
use rust_decimal::Decimal;

use crate::config::Config;
use crate::ecl;
use crate::history::History;
use crate::{Dimension, PortfolioError};

/// Everything the book is built from.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The date the report is as of.
    pub as_of: Date,
    /// Every borrower's records (only what is known on `as_of` is read).
    pub borrowers: &'a [BorrowerRecords],
    /// The villages (village → county).
    pub villages: &'a [Village],
    /// The agricultural zone of each village code.
    pub zones: &'a HashMap<String, String>,
    /// The model's 12-month PD by household id as of `as_of`; a household without one takes the fallback PD.
    pub pds: &'a HashMap<String, Decimal>,
}

/// One loan on the books.
#[derive(Debug, Clone, PartialEq)]
pub struct Position {
    /// Index of the borrower in [`Inputs::borrowers`].
    pub household: u32,
    /// Index of the loan in the borrower's loans.
    pub loan: u32,
    /// Outstanding principal, DPD, class, restructured.
    pub exposure: Exposure,
    /// Accrued interest.
    pub accrued: Money,
    /// Exposure at default: outstanding + accrued.
    pub ead: Money,
    /// The 12-month PD used.
    pub pd_12m: Decimal,
    /// Whether that PD came from the model (else the fallback table).
    pub pd_from_model: bool,
    /// Months to maturity (the workout horizon once matured).
    pub remaining_months: u32,
    /// IFRS 9 stage.
    pub stage: IfrsStage,
    /// LGD.
    pub lgd: Decimal,
    /// Expected credit loss.
    pub ecl: Money,
    /// The group of each [`Dimension`], an index into [`Book::names`].
    pub groups: [u32; Dimension::ALL.len()],
}

/// Interns group names: each distinct (first, second) pair gets the next index.
#[derive(Debug, Default)]
struct Interner<'a> {
    index: HashMap<(&'a str, &'a str), u32>,
    names: Vec<String>,
}

impl<'a> Interner<'a> {
    fn id(&mut self, first: &'a str, second: &'a str) -> u32 {
        if let Some(&i) = self.index.get(&(first, second)) {
            return i;
        }
        let i = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(if second.is_empty() { first.to_owned() } else { format!("{first}×{second}") });
        self.index.insert((first, second), i);
        i
    }
}

/// The book as of a date.
#[derive(Debug)]
pub struct Book {
    /// The date.
    pub as_of: Date,
    /// The classification rules used.
    pub rules: ClassificationRules,
    /// One position per loan on the books, in borrower then loan order.
    pub positions: Vec<Position>,
    /// Group names per dimension, indexed by [`Position::groups`].
    pub names: Vec<Vec<String>>,
    /// Borrowers with a loan on the books.
    pub households: usize,
    /// The history read in the same pass.
    pub history: History,
}

/// What a loan's records say on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// Outstanding principal.
    pub outstanding: Money,
    /// Days past due.
    pub dpd: u32,
    /// Five-category class.
    pub class: FiveCategory,
}

/// A loan's standing on `on` from its rows in date order (`None`: not yet started, repaid, or written off).
pub fn standing_on(
    loan: &Loan,
    rows: &[&Repayment],
    on: Date,
    rules: &ClassificationRules,
    write_off_dpd: u32,
) -> Option<Standing> {
    if loan.start_date > on {
        return None;
    }
    let dpd = dpd_on(rows, on);
    if dpd >= write_off_dpd {
        return None;
    }
    let upto = rows.partition_point(|r| r.date <= on);
    let last = upto.checked_sub(1).and_then(|i| rows.get(i));
    let outstanding = if loan.maturity_date >= on {
        loan.principal
    } else {
        match last {
            Some(row) if dpd > 0 => row.amount_due.min(loan.principal),
            _ => Money::ZERO,
        }
    };
    if !outstanding.is_positive() {
        return None;
    }
    let floor = rules.floor(dpd, false);
    let class = match last {
        Some(row) if dpd > 0 => floor.max(class_of(row.class_after)),
        _ => floor,
    };
    Some(Standing { outstanding, dpd, class })
}

fn class_of(class: LoanClass) -> FiveCategory {
    match class {
        LoanClass::Normal => FiveCategory::Normal,
        LoanClass::SpecialMention => FiveCategory::SpecialMention,
        LoanClass::Substandard => FiveCategory::Substandard,
        LoanClass::Doubtful => FiveCategory::Doubtful,
        LoanClass::Loss => FiveCategory::Loss,
    }
}

/// Calls `each(household index, loan index, loan, rows)` for every loan of every borrower, with the loan's
/// repayment rows in date order (same-day rows in the order given). One buffer serves every borrower.
pub fn for_each_loan<'a>(
    borrowers: &'a [BorrowerRecords],
    mut each: impl FnMut(usize, usize, &'a Loan, &[&'a Repayment]) -> Result<(), PortfolioError>,
) -> Result<(), PortfolioError> {
    let mut rows: Vec<&Repayment> = Vec::new();
    for (h, records) in borrowers.iter().enumerate() {
        rows.clear();
        rows.extend(records.repayments.iter());
        // Stable, and linear on rows already in this order (the loaders' and `prepare`'s).
        rows.sort_by(|a, b| a.loan_id.cmp(&b.loan_id).then(a.date.cmp(&b.date)));
        for (l, loan) in records.loans.iter().enumerate() {
            let from = rows.partition_point(|r| r.loan_id.as_str() < loan.loan_id.as_str());
            let to = from + rows[from..].partition_point(|r| r.loan_id == loan.loan_id);
            each(h, l, loan, &rows[from..to])?;
        }
    }
    Ok(())
}

/// Puts every borrower's repayment rows in (loan, date) order, so [`for_each_loan`] has no sorting to do.
pub fn prepare(borrowers: &mut [BorrowerRecords]) {
    for b in borrowers {
        b.repayments.sort_by(|a, c| a.loan_id.cmp(&c.loan_id).then(a.date.cmp(&c.date)));
    }
}

/// The latest grade rated on or before `on`.
fn grade_on(records: &BorrowerRecords, on: Date) -> Option<Grade> {
    records.ratings.iter().filter(|r| r.rated_on <= on).max_by_key(|r| r.rated_on).map(|r| r.grade)
}

/// The produce buyer (`agri_buyer`) that paid the household most up to `on`, ties to the smaller id.
fn main_buyer<'a>(records: &'a BorrowerRecords, on: Date, scratch: &mut Vec<(&'a str, i64)>) -> Option<&'a str> {
    scratch.clear();
    for t in records.transactions.iter().filter(|t| t.date <= on && t.counterparty_type == Counterparty::AgriBuyer) {
        let id = t.counterparty_id.as_str();
        match scratch.iter_mut().find(|(c, _)| *c == id) {
            Some((_, total)) => *total = total.saturating_add(t.amount.fen().abs()),
            None => scratch.push((id, t.amount.fen().abs())),
        }
    }
    scratch.iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0))).map(|(id, _)| *id)
}

/// The crop a loan finances: its own, a livestock loan's "livestock", else the borrower's main crop.
fn crop_of<'a>(loan: &'a Loan, records: &'a BorrowerRecords) -> &'static str {
    if let Some(c) = loan.crop {
        return c.code();
    }
    if loan.product == ProductKind::LivestockBatch {
        return "livestock";
    }
    records.household.crops.first().map_or("none", |c| c.code())
}

impl Book {
    /// Builds the book and its history in one pass over the borrowers.
    pub fn build(inputs: &Inputs<'_>, config: &Config) -> Result<Book, PortfolioError> {
        config.check()?;
        let rules = config.classification()?;
        let as_of = inputs.as_of;
        let county_of: HashMap<&str, &str> =
            inputs.villages.iter().map(|v| (v.village_code.as_str(), v.county_code.as_str())).collect();
        let mut interners: Vec<Interner<'_>> = Dimension::ALL.iter().map(|_| Interner::default()).collect();
        let mut positions = Vec::new();
        let mut history = History::new(as_of, config);
        let mut households = 0usize;
        let mut last_household = usize::MAX;
        let mut scratch = Vec::new();
        let mut buyer: Option<&str> = None;
        let mut grade = None;
        let mut pd_model = None;
        let borrowers = inputs.borrowers;
        for_each_loan(borrowers, |h, l, loan, rows| {
            history.add(loan, rows, &rules)?;
            let Some(standing) = standing_on(loan, rows, as_of, &rules, config.write_off_dpd) else { return Ok(()) };
            let records = &borrowers[h];
            if h != last_household {
                last_household = h;
                households += 1;
                buyer = main_buyer(records, as_of, &mut scratch);
                grade = grade_on(records, as_of);
                pd_model = inputs.pds.get(&records.household.household_id).copied();
            }
            let exposure = Exposure::new(standing.outstanding, standing.dpd, standing.class, false)?;
            let since = rows
                .iter()
                .take_while(|r| r.date <= as_of)
                .filter(|r| r.dpd_after == 0)
                .map(|r| r.date)
                .last()
                .unwrap_or(loan.start_date)
                .max(loan.start_date);
            let accrued =
                ecl::accrued_interest(standing.outstanding, loan.annual_rate, since, as_of, config.accrual_cap_days);
            let ead =
                standing.outstanding.checked_add(accrued).map_err(|_| PortfolioError::Overflow { field: "ead" })?;
            let (pd_12m, pd_from_model) = match pd_model {
                // A loan past due is at least as likely to default as its bucket says, whatever the model.
                Some(pd) => (
                    pd.clamp(Decimal::ZERO, Decimal::ONE).max(ecl::fallback_pd(
                        &config.fallback_pd,
                        Some(Grade::Aaa),
                        standing.dpd,
                    )),
                    true,
                ),
                None => (ecl::fallback_pd(&config.fallback_pd, grade, standing.dpd), false),
            };
            let remaining_months = ecl::remaining_months(as_of, loan.maturity_date, config.matured_horizon_months);
            let stage = ecl::stage(&rules, standing.dpd, false, standing.class, pd_12m, config.sicr_pd);
            let lgd = ecl::Security::of(loan.collateral).lgd(config);
            let loss = ecl::ecl(ecl::pd_for(stage, pd_12m, remaining_months), lgd, ead);
            let village = records.household.village_code.as_str();
            let county = county_of.get(village).copied().unwrap_or("unknown");
            let zone = inputs.zones.get(village).map_or("unknown", String::as_str);
            let branch = village.get(..9).unwrap_or(village);
            let product = loan.product.code();
            let keys: [(&str, &str); Dimension::ALL.len()] = [
                (village, ""),
                (county, ""),
                (crop_of(loan, records), ""),
                (product, ""),
                (buyer.unwrap_or(crate::report::NO_BUYER), ""),
                (branch, ""),
                (product, zone),
            ];
            let mut groups = [0u32; Dimension::ALL.len()];
            for (i, (a, b)) in keys.into_iter().enumerate() {
                groups[i] = interners[i].id(a, b);
            }
            positions.push(Position {
                household: u32::try_from(h).unwrap_or(u32::MAX),
                loan: u32::try_from(l).unwrap_or(u32::MAX),
                exposure,
                accrued,
                ead,
                pd_12m,
                pd_from_model,
                remaining_months,
                stage,
                lgd,
                ecl: loss,
                groups,
            });
            Ok(())
        })?;
        Ok(Book {
            as_of,
            rules,
            positions,
            names: interners.into_iter().map(|i| i.names).collect(),
            households,
            history,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use features::input::{CollateralCode, Counterparty, FarmCrop, Household, Rating, Transaction};

    fn d(text: &str) -> Date {
        domain::parse_date(text).expect("valid date")
    }

    fn household(id: &str, village: &str) -> BorrowerRecords {
        BorrowerRecords::new(Household {
            household_id: id.into(),
            village_code: village.into(),
            size: 4,
            labourers: 2,
            dependants: 2,
            education_years: 9,
            land_contracted_mu: Decimal::new(10, 0),
            land_rented_mu: Decimal::ZERO,
            crops: vec![FarmCrop::WinterWheat],
            sows: 0,
            fattening_pigs: 0,
            cattle: 0,
            migrants: 0,
            business: false,
            coop_member: false,
            insured: false,
            insurance_cover: None,
            rcc_shares: Money::ZERO,
            deposits: Money::ZERO,
            house_value: Money::ZERO,
            machinery_value: Money::ZERO,
            debts_other: Money::ZERO,
            group_id: None,
        })
    }

    fn loan(id: &str, household: &str, yuan: i64, start: &str, maturity: &str, collateral: CollateralCode) -> Loan {
        Loan {
            loan_id: id.into(),
            household_id: household.into(),
            application_id: format!("A-{id}"),
            product: ProductKind::EqualInstallment,
            principal: Money::from_yuan(yuan),
            annual_rate: Decimal::new(72, 3),
            start_date: d(start),
            maturity_date: d(maturity),
            collateral,
            crop: None,
        }
    }

    fn row(id: &str, on: &str, dpd: u32) -> Repayment {
        Repayment {
            loan_id: id.into(),
            date: d(on),
            amount_due: Money::from_yuan(1_000),
            amount_paid: Money::ZERO,
            dpd_after: dpd,
            class_after: if dpd == 0 { LoanClass::Normal } else { LoanClass::SpecialMention },
        }
    }

    #[test]
    fn a_hand_made_book_has_its_positions_to_the_fen() {
        let mut a = household("H0000001", "990101100201");
        a.loans.push(loan("L1", "H0000001", 36_000, "2026-01-01", "2026-12-01", CollateralCode::CreditOnly));
        // Rows out of order: the book sorts them.
        a.repayments.push(row("L1", "2026-05-01", 0));
        a.repayments.push(row("L1", "2026-03-01", 0));
        a.transactions.push(Transaction {
            household_id: "H0000001".into(),
            date: d("2026-04-01"),
            amount: Money::from_yuan(5_000),
            counterparty_type: Counterparty::AgriBuyer,
            counterparty_id: "AB-7".into(),
            loan_id: None,
        });
        let mut b = household("H0000002", "990102200301");
        b.ratings.push(Rating {
            household_id: "H0000002".into(),
            rated_on: d("2025-12-01"),
            score: 85,
            grade: Grade::Aa,
            credit_household: true,
            limit: Money::from_yuan(80_000),
        });
        b.loans.push(loan("L2", "H0000002", 10_000, "2026-01-01", "2026-12-01", CollateralCode::Group));
        b.repayments.push(row("L2", "2026-05-15", 20));
        // Written off long ago: not on the book.
        b.loans.push(loan("L3", "H0000002", 5_000, "2020-01-01", "2020-12-01", CollateralCode::Group));
        b.repayments.push(row("L3", "2021-01-01", 1));
        let borrowers = [a, b];
        let villages = [
            Village {
                village_code: "990101100201".into(),
                county_code: "990101".into(),
                irrigation_share: Decimal::ONE,
                credit_village: false,
                distance_km: Decimal::ONE,
            },
            Village {
                village_code: "990102200301".into(),
                county_code: "990102".into(),
                irrigation_share: Decimal::ONE,
                credit_village: false,
                distance_km: Decimal::ONE,
            },
        ];
        let zones: HashMap<String, String> = [("990101100201".to_owned(), "hhh".to_owned())].into();
        let pds: HashMap<String, Decimal> = [("H0000001".to_owned(), Decimal::new(2, 2))].into();
        let inputs =
            Inputs { as_of: d("2026-05-31"), borrowers: &borrowers, villages: &villages, zones: &zones, pds: &pds };
        let config = Config::default();
        let book = Book::build(&inputs, &config).expect("a small book");
        assert_eq!((book.positions.len(), book.households), (2, 2));

        let p = &book.positions[0];
        // Current since 2026-05-01: 30 days of interest on 36,000 yuan at 7.2%, ACT/360 = 216.00 yuan.
        assert_eq!(p.accrued, Money::from_yuan(216));
        assert_eq!(p.ead, Money::from_yuan(36_216));
        assert!(p.pd_from_model && p.stage == IfrsStage::Stage1);
        // Stage 1, 7 months left (a part month counts): PD = 0.02 × 7/12; ECL = PD × 0.45 × 3,621,600 fen.
        assert_eq!(p.remaining_months, 7);
        let expected = Money::from_yuan(36_216)
            .times(Decimal::new(2, 2) * Decimal::from(7) / Decimal::from(12) * Decimal::new(45, 2));
        assert_eq!(p.ecl, expected.round(domain::Rounding::HalfEven));
        assert_eq!(p.ecl, Money::from_fen(19_013));
        let names = |d: Dimension, p: &Position| book.names[d.index()][p.groups[d.index()] as usize].clone();
        assert_eq!(names(Dimension::Buyer, p), "AB-7");
        assert_eq!(names(Dimension::Branch, p), "990101100");
        assert_eq!(names(Dimension::Segment, p), "equal-installment×hhh");
        assert_eq!(names(Dimension::Crop, p), "winter-wheat");

        let q = &book.positions[1];
        // 20 DPD on 2026-05-15, 36 on 2026-05-31: stage 2, special mention, fallback PD of the 31–60 bucket.
        assert_eq!(
            (q.exposure.dpd(), q.exposure.class(), q.stage),
            (36, FiveCategory::SpecialMention, IfrsStage::Stage2)
        );
        assert!(!q.pd_from_model);
        assert_eq!(q.pd_12m, config.fallback_pd.dpd_31_60);
        assert_eq!(q.lgd, config.lgd.group);
        assert_eq!(names(Dimension::Buyer, q), "none");
        assert_eq!(names(Dimension::County, q), "990102");
        assert_eq!(names(Dimension::Segment, q), "equal-installment×unknown");
        // Interest accrues from the start: no row shows it current.
        assert_eq!(
            q.accrued,
            ecl::accrued_interest(Money::from_yuan(10_000), Decimal::new(72, 3), d("2026-01-01"), d("2026-05-31"), 360)
        );

        let report = crate::report::build(&book, &config).expect("a small book");
        assert_eq!(report.quality.outstanding.fen, Money::from_yuan(46_000).fen());
        assert_eq!(report.ecl.total.fen, p.ecl.fen() + q.ecl.fen());
        assert_eq!(report.ecl.pd_from_fallback, 1);
        assert!(report.assumptions.iter().any(|a| a.contains("fallback")));
        // The one named buyer holds 36,000 of the book's 46,000 yuan: over the 20% limit; borrowers without a
        // buyer are not a group that can breach.
        let buyer_breaches: Vec<_> = report.breaches.iter().filter(|b| b.dimension == "buyer").collect();
        assert_eq!(buyer_breaches.iter().filter_map(|b| b.key.as_deref()).collect::<Vec<_>>(), ["AB-7"]);
        assert_eq!(crate::report::breaches(&book, &config).expect("small"), report.breaches);
    }
}
