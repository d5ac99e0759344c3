//! Whole-village pre-credit (整村授信). Every household of a village is run through the
//! champion policy in one batch as a pre-credit application asking for the product cap, so the policy sets each
//! household's line; the roster lists households by id only (names are sealed personal data). The village is then
//! rated against the credit-village (信用村) criteria (`lending::assess_village`) from facts computed as of the date;
//! days past due, the non-performing threshold and the date a loan became non-performing are `lending::arrears`'s,
//! read from the repayment rows.
//!
//! [`credit_roster`] serves the command line and the server alike; nothing is written to the store.

use decide::{ApplicationRequest, Decider};
use domain::{Date, Money, add_months};
use features::input::{BorrowerRecords, Loan, Repayment, StatedPurpose};
use lending::{NON_PERFORMING_DPD, ProductKind, VillageFacts, crossing_date, dpd_on, is_non_performing};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::error::{Error, ErrorCode};
use crate::page::PageRequest;

/// The amount a pre-credit application asks for: the product cap, so the policy sets the line.
pub const PRE_CREDIT_AMOUNT_YUAN: i64 = 200_000;
/// Term of a pre-credit line, months.
pub const PRE_CREDIT_TERM_MONTHS: u32 = 12;

/// One household's pre-credit line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RosterRow {
    /// The household id (never a name).
    pub household_id: String,
    /// The household's latest rating grade as of the date (`None` if never rated).
    pub grade: Option<String>,
    /// The policy's customer tier (`None` when declined).
    pub tier: Option<String>,
    /// The programme applied under (`crop`, `livestock`, `business`).
    pub programme: String,
    /// `approve`, `refer`, `decline`, or `not_assessed` when the household could not be assessed.
    pub outcome: String,
    /// The credit line (0 unless approved or referred).
    pub limit_yuan: Money,
    /// Annual rate as an exact decimal fraction.
    pub annual_rate: Option<Decimal>,
    /// The lending product the policy chose.
    pub product: Option<ProductKind>,
    /// Up to four reason codes, the most important first.
    pub reasons: Vec<String>,
    /// The data sources not read for want of the household's consent to them (absent when every source was read).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub withheld_sources: Vec<&'static str>,
}

/// Totals of a roster.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Households on the roster.
    pub households: u32,
    /// Approved.
    pub approved: u32,
    /// Referred to an officer.
    pub referred: u32,
    /// Sum of the approved lines.
    pub total_line_yuan: Money,
}

/// One credit-village criterion with the village's figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CriterionView {
    /// Stable code.
    pub code: &'static str,
    /// The rule.
    pub rule: &'static str,
    /// Numerator of the figure (a count, or fen).
    pub numerator: i64,
    /// Denominator of the figure (a count, or fen).
    pub denominator: i64,
    /// The figure as a percentage with one decimal (`None` when the denominator is zero).
    pub percent: Option<String>,
    /// Whether the village meets it.
    pub met: bool,
}

/// The village's facts and rating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VillageView {
    /// Households.
    pub households: u32,
    /// Rated credit households by their latest rating.
    pub credit_households: u32,
    /// Households with a loan outstanding.
    pub borrowing_households: u32,
    /// Of which with nothing past due.
    pub borrowing_without_arrears: u32,
    /// Outstanding principal.
    pub outstanding_yuan: Money,
    /// Of which 90+ days past due.
    pub non_performing_yuan: Money,
    /// Of which became 90+ days past due in the last 12 months.
    pub new_non_performing_yuan: Money,
    /// Each criterion.
    pub criteria: Vec<CriterionView>,
    /// Whether every criterion is met.
    pub credit_village: bool,
}

/// A village's pre-credit roster and rating as of a date.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Roster {
    /// The village code.
    pub village: String,
    /// The date.
    pub on: String,
    /// The policy version that set the lines (one per village and date; per programme if versions differ).
    pub policy_versions: Vec<String>,
    /// The model that scored.
    pub model: String,
    /// One row per household, in household-id order (one page of them through [`Roster::page`]).
    pub rows: Vec<RosterRow>,
    /// Totals.
    pub totals: Totals,
    /// The credit-village rating.
    pub rating: VillageView,
}

/// The programme of a household's pre-credit: livestock if it keeps pigs, business if it runs one, else crop.
fn programme(records: &BorrowerRecords) -> (&'static str, StatedPurpose) {
    let h = &records.household;
    if h.sows > 0 || h.fattening_pigs > 0 {
        ("livestock", StatedPurpose::Livestock)
    } else if h.business {
        ("business", StatedPurpose::SmallBusiness)
    } else {
        ("crop", StatedPurpose::CropInputs)
    }
}

/// The pre-credit application of a household, screened as the register says on `on`: its credit-check consent,
/// list hits and fraud cases, and the sources it has not consented to for credit assessment (which it does not
/// read). A household of a credit village is no exception: without its consent it is not assessed.
pub fn pre_credit_request(
    village: &str,
    on: Date,
    records: &BorrowerRecords,
    screening: decide::Screening,
) -> ApplicationRequest {
    let (product, purpose) = programme(records);
    let household = &records.household.household_id;
    ApplicationRequest {
        request_id: format!("village-{village}-{on}-{household}"),
        application_id: format!("village-{village}-{on}-{household}"),
        household_id: household.clone(),
        applied_on: on,
        product: product.to_owned(),
        purpose,
        purpose_text: String::new(),
        amount: Money::from_yuan(PRE_CREDIT_AMOUNT_YUAN),
        term_months: PRE_CREDIT_TERM_MONTHS,
        consent: screening.consent,
        blacklisted: screening.blacklisted,
        fraud_suspected: screening.fraud_suspected,
        poverty_registered: false,
        land_right_appraised: None,
        whole_village_programme: true,
        withheld: screening.withheld,
    }
}

/// Pre-credits every household of `village` through the champion policy and rates the village, as of `on`.
/// Pre-credit is a credit assessment of each household: `screening` gives, per household id, its screening on `on`
/// ([`crate::screening::Register::as_of`]): without the credit-check consent the policy declines it, a list hit or a
/// fraud case counts as in any application, and the sources it has not consented to are not read.
pub fn credit_roster(
    decider: &Decider,
    village: &str,
    on: Date,
    screening: crate::screening::ScreeningOn<'_>,
) -> Result<Roster, Error> {
    let world = &decider.world;
    let known = world.context().villages.iter().any(|v| v.village_code == village);
    let households: Vec<&BorrowerRecords> =
        world.borrowers().iter().filter(|b| b.household.village_code == village).collect();
    if !known && households.is_empty() {
        return Err(Error::coded(ErrorCode::UnknownVillage, "village", format!("no village {village} is on file")));
    }
    let market = world.market(on);
    let mut rows = Vec::with_capacity(households.len());
    let mut totals = Totals::default();
    let mut versions = std::collections::BTreeSet::new();
    for records in &households {
        let request = pre_credit_request(village, on, records, screening(&records.household.household_id, on));
        let policy = decider.lineup.champion(village, &request.product, on).ok_or_else(|| {
            Error::coded(
                ErrorCode::NoPolicy,
                "policy",
                format!(
                    "no active {} version serves village {village}, {} on {on}",
                    crate::decisions::POLICY_NAME,
                    request.product
                ),
            )
        })?;
        versions.insert(policy.version.clone());
        let grade = latest_rating(records, on).map(|r| r.grade.code().to_owned());
        let mut row = RosterRow {
            household_id: request.household_id.clone(),
            grade,
            tier: None,
            programme: request.product.clone(),
            outcome: "not_assessed".to_owned(),
            limit_yuan: Money::ZERO,
            annual_rate: None,
            product: None,
            reasons: Vec::new(),
            withheld_sources: request.withheld.codes(),
        };
        totals.households += 1;
        let assessed = world.applicant(&request.household_id).ok_or_else(|| "unknown_applicant".to_owned()).and_then(
            |applicant| {
                decider
                    .engine
                    .assess(&market.snapshot, &market.social, &request, &applicant)
                    .map(|a| (applicant, a))
                    .map_err(|e| e.code.as_str().to_owned())
            },
        );
        match assessed {
            Err(code) => row.reasons.push(code.to_ascii_uppercase()),
            Ok((applicant, assessment)) => {
                let decided = decider.engine.decide(policy, &request, &applicant, &assessment).map_err(|e| {
                    Error::coded(ErrorCode::NoPolicy, "policy", format!("the champion policy cannot decide: {e}"))
                })?;
                row.outcome = decided.outcome.code().to_owned();
                row.tier = decided.tier.clone();
                row.limit_yuan = decided.terms.limit;
                row.annual_rate = decided.terms.annual_rate.map(domain::Rate::annual);
                row.product = decided.terms.product;
                row.reasons = decided.reasons.iter().map(|r| r.code.clone()).collect();
                match decided.outcome {
                    workflow::Outcome::Approve => {
                        totals.approved += 1;
                        totals.total_line_yuan = totals.total_line_yuan + decided.terms.limit;
                    }
                    workflow::Outcome::Refer => totals.referred += 1,
                    workflow::Outcome::Decline => {}
                }
            }
        }
        rows.push(row);
    }
    let facts = village_facts(&households, on);
    Ok(Roster {
        village: village.to_owned(),
        on: on.to_string(),
        policy_versions: versions.into_iter().collect(),
        model: decider.engine.scorer().model_id().to_owned(),
        rows,
        totals,
        rating: view(&facts),
    })
}

impl Roster {
    /// The roster with one page of its rows (the cursor is a household id, `unknown_applicant` if not on the
    /// roster) and the cursor of the next page; the totals and the rating stay the whole village's.
    pub fn page(self, request: &PageRequest) -> Result<(Roster, Option<String>), Error> {
        let Roster { village, on, policy_versions, model, rows, totals, rating } = self;
        let page = request.of(rows, |r| r.household_id.as_str(), ErrorCode::UnknownApplicant)?;
        Ok((Roster { village, on, policy_versions, model, rows: page.items, totals, rating }, page.next))
    }
}

fn latest_rating(records: &BorrowerRecords, on: Date) -> Option<&features::input::Rating> {
    records.ratings.iter().filter(|r| r.rated_on <= on).max_by_key(|r| r.rated_on)
}

/// A loan's repayment rows known on `on`, in date order.
fn rows_of<'a>(records: &'a BorrowerRecords, loan: &Loan, on: Date) -> Vec<&'a Repayment> {
    let mut rows: Vec<&Repayment> =
        records.repayments.iter().filter(|r| r.loan_id == loan.loan_id && r.date <= on).collect();
    rows.sort_by_key(|r| r.date);
    rows
}

/// A loan's outstanding principal on `on`: nothing before its start or once it has matured with nothing past due;
/// after maturity with arrears, what is due (capped at the principal); otherwise the principal. The records hold
/// no principal balance, so an amortising loan is counted at its principal until maturity: the ratios err towards
/// a larger denominator, never towards hiding arrears.
fn outstanding(loan: &Loan, rows: &[&Repayment], on: Date) -> Money {
    if loan.start_date > on {
        return Money::ZERO;
    }
    let dpd = dpd_on(rows, on);
    if loan.maturity_date >= on {
        return loan.principal;
    }
    match rows.last() {
        Some(row) if dpd > 0 => row.amount_due.min(loan.principal),
        _ => Money::ZERO,
    }
}

/// The credit-village facts of a village's households as of `on`, from the records known then.
pub fn village_facts(households: &[&BorrowerRecords], on: Date) -> VillageFacts {
    let year_ago = add_months(on, -12);
    let mut facts = VillageFacts {
        households: 0,
        credit_households: 0,
        borrowing_households: 0,
        borrowing_without_arrears: 0,
        outstanding: Money::ZERO,
        non_performing: Money::ZERO,
        new_non_performing: Money::ZERO,
    };
    for records in households {
        facts.households += 1;
        if latest_rating(records, on).is_some_and(|r| r.credit_household) {
            facts.credit_households += 1;
        }
        let (mut borrowing, mut arrears) = (false, false);
        for loan in records.loans.iter().filter(|l| l.start_date <= on) {
            let rows = rows_of(records, loan, on);
            let balance = outstanding(loan, &rows, on);
            if !balance.is_positive() {
                continue;
            }
            borrowing = true;
            let dpd = dpd_on(&rows, on);
            arrears |= dpd > 0;
            facts.outstanding = facts.outstanding + balance;
            if is_non_performing(dpd) {
                facts.non_performing = facts.non_performing + balance;
                if crossing_date(&rows, NON_PERFORMING_DPD, on).is_some_and(|d| d > year_ago) {
                    facts.new_non_performing = facts.new_non_performing + balance;
                }
            }
        }
        if borrowing {
            facts.borrowing_households += 1;
            if !arrears {
                facts.borrowing_without_arrears += 1;
            }
        }
    }
    facts
}

fn view(facts: &VillageFacts) -> VillageView {
    let rating = lending::assess_village(facts);
    VillageView {
        households: facts.households,
        credit_households: facts.credit_households,
        borrowing_households: facts.borrowing_households,
        borrowing_without_arrears: facts.borrowing_without_arrears,
        outstanding_yuan: facts.outstanding,
        non_performing_yuan: facts.non_performing,
        new_non_performing_yuan: facts.new_non_performing,
        credit_village: rating.credit_village(),
        criteria: rating
            .criteria
            .iter()
            .map(|c| CriterionView {
                code: c.code,
                rule: c.rule,
                numerator: c.figure.0,
                denominator: c.figure.1,
                percent: c.percent(),
                met: c.met,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use features::input::{CollateralCode, LoanClass};
    use rust_decimal::Decimal;

    use super::*;

    fn date(text: &str) -> Date {
        domain::parse_date(text).expect("date")
    }

    fn loan() -> Loan {
        Loan {
            loan_id: "L1".into(),
            household_id: "H1".into(),
            application_id: "A1".into(),
            product: ProductKind::HarvestBullet,
            principal: Money::from_yuan(10_000),
            annual_rate: Decimal::new(5, 2),
            start_date: date("2025-01-01"),
            maturity_date: date("2025-10-31"),
            collateral: CollateralCode::CreditOnly,
            crop: None,
        }
    }

    fn row(on: &str, due_yuan: i64, dpd: u32) -> Repayment {
        Repayment {
            loan_id: "L1".into(),
            date: date(on),
            amount_due: Money::from_yuan(due_yuan),
            amount_paid: Money::ZERO,
            dpd_after: dpd,
            class_after: LoanClass::Normal,
        }
    }

    #[test]
    fn a_missed_bullet_ages_into_non_performing_ninety_days_after_it_fell_due() {
        let (loan, missed) = (loan(), row("2025-10-31", 10_500, 1));
        let rows = vec![&missed];
        // Before maturity the loan counts at its principal; after, at what is due capped at the principal.
        assert_eq!(outstanding(&loan, &[], date("2025-06-30")), Money::from_yuan(10_000));
        assert_eq!(outstanding(&loan, &rows, date("2025-12-31")), Money::from_yuan(10_000));
        assert_eq!(dpd_on(&rows, date("2026-01-27")), 89);
        assert_eq!(crossing_date(&rows, NON_PERFORMING_DPD, date("2026-01-27")), None);
        assert_eq!(crossing_date(&rows, NON_PERFORMING_DPD, date("2026-06-30")), Some(date("2026-01-28")));
        // Repaid after maturity: nothing outstanding.
        let cleared = row("2025-11-20", 0, 0);
        assert_eq!(outstanding(&loan, &[&missed, &cleared], date("2025-12-31")), Money::ZERO);
    }
}
