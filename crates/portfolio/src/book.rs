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
