//! The rows of every output file, one struct per entity. Field order is column order; the contracts are in
//! `docs/data-contracts.md` (version 1). Amounts are yuan with two decimals, as strings; dates `YYYY-MM-DD`;
//! months `YYYY-MM`; every row carries `synthetic = true`. Latent truths live only in the `*_truth` tables.

use std::sync::Arc;

use domain::{Date, Money};
use lending::ProductKind;
use serde::Serialize;

use crate::market::PriceRow;

/// A county.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CountyRow {
    /// 6-digit synthetic code (prefix 99).
    pub county_code: String,
    /// Agro-zone.
    pub zone: &'static str,
    /// Always true.
    pub synthetic: bool,
}

/// A village.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VillageRow {
    /// 12-digit code.
    pub village_code: String,
    /// County code.
    pub county_code: String,
    /// Name.
    pub name: String,
    /// Irrigated share of land, 0–1.
    pub irrigation_share: String,
    /// 信用村 title at the start.
    pub credit_village: bool,
    /// Distance to the branch, km.
    pub distance_km: String,
    /// Share of minority households (audit-only).
    pub minority_share: String,
    /// Always true.
    pub synthetic: bool,
}

/// A household (model-facing: no latent variables).
#[derive(Debug, Clone, Default, Serialize)]
pub struct HouseholdRow {
    /// Record id.
    pub household_id: String,
    /// Village code.
    pub village_code: String,
    /// Members.
    pub size: u32,
    /// Labourers.
    pub labourers: u32,
    /// Dependants.
    pub dependants: u32,
    /// Head's age at the start.
    pub head_age: u32,
    /// Head's gender, `F` or `M` (audit-only).
    pub head_gender: &'static str,
    /// Head's years of schooling.
    pub education_years: u32,
    /// Minority ethnicity (audit-only).
    pub minority: bool,
    /// Contracted land, mu.
    pub land_contracted_mu: String,
    /// Rented-in land, mu.
    pub land_rented_mu: String,
    /// Crops, `;`-separated codes (`fruit` for orchards).
    pub crops: String,
    /// Sows.
    pub sows: u32,
    /// Fattening pigs per batch.
    pub fattening_pigs: u32,
    /// Cattle.
    pub cattle: u32,
    /// Members working away.
    pub migrants: u32,
    /// Has a small business.
    pub business: bool,
    /// Cooperative member.
    pub coop_member: bool,
    /// Crop insurance.
    pub insured: bool,
    /// The cover: `cost` (insured input cost) or `income` (80% of the expected harvest value); empty if uninsured.
    pub insurance_cover: &'static str,
    /// RCC shares, yuan.
    pub rcc_shares: String,
    /// Deposits at the start, yuan.
    pub deposits: String,
    /// House value, yuan.
    pub house_value: String,
    /// Machinery value, yuan.
    pub machinery_value: String,
    /// Other debts, yuan.
    pub debts_other: String,
    /// Joint-liability group id, empty if none.
    pub group_id: String,
    /// Always true.
    pub synthetic: bool,
}

/// A household member (KYC).
#[derive(Debug, Clone, Default, Serialize)]
pub struct MemberRow {
    /// Household.
    pub household_id: String,
    /// 1 for the head.
    pub member_no: u32,
    /// 户主, 配偶, 子女 or 父母.
    pub relation: &'static str,
    /// Name.
    pub name: String,
    /// `F` or `M`.
    pub gender: &'static str,
    /// Birth year.
    pub birth_year: i32,
    /// Synthetic national ID (area prefix 99, valid check digit).
    pub national_id: String,
    /// Synthetic phone (prefix 10–12, used by no operator); head only.
    pub phone: String,
    /// Always true.
    pub synthetic: bool,
}

/// Latent truths of a household: never for models, only for evaluation.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HouseholdTruthRow {
    /// Household.
    pub household_id: String,
    /// Latent character, N(0, 1).
    pub character: String,
    /// Village cohesion, N(0, 1).
    pub village_cohesion: String,
    /// Always true.
    pub synthetic: bool,
}

/// A joint-liability group.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GroupRow {
    /// Group id.
    pub group_id: String,
    /// Village code.
    pub village_code: String,
    /// Member household ids, `;`-separated.
    pub members: String,
    /// Always true.
    pub synthetic: bool,
}

/// A rating on the 100-point card.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RatingRow {
    /// Household.
    pub household_id: String,
    /// Rating date.
    pub rated_on: String,
    /// Score 0–100.
    pub score: u32,
    /// AAA, AA, A, B or `-`.
    pub grade: &'static str,
    /// 信用户.
    pub credit_household: bool,
    /// Credit-only limit, yuan.
    pub limit: String,
    /// Always true.
    pub synthetic: bool,
}

/// A loan application with its free-text purpose.
#[derive(Debug, Clone, Serialize)]
pub struct ApplicationRow {
    /// Application id.
    pub application_id: String,
    /// Household.
    pub household_id: String,
    /// Date.
    pub applied_on: String,
    /// Product asked for.
    pub product: ProductKind,
    /// Amount asked for, yuan.
    pub amount_requested: String,
    /// Stated purpose code.
    pub stated_purpose: &'static str,
    /// Purpose in the applicant's words (Chinese).
    pub purpose_text: String,
    /// approved or declined.
    pub decision: &'static str,
    /// Loan id when approved.
    pub loan_id: String,
    /// Always true.
    pub synthetic: bool,
}

/// A loan booked through the lending core.
#[derive(Debug, Clone, Serialize)]
pub struct LoanRow {
    /// Loan id.
    pub loan_id: String,
    /// Household.
    pub household_id: String,
    /// Application.
    pub application_id: String,
    /// Product code.
    pub product: ProductKind,
    /// Principal (limit for revolving lines), yuan.
    pub principal: String,
    /// Annual rate.
    pub annual_rate: String,
    /// Start date.
    pub start_date: String,
    /// Last scheduled due date.
    pub maturity_date: String,
    /// credit-only or group.
    pub collateral: &'static str,
    /// Crop financed, if any.
    pub crop: String,
    /// Status at the end of the horizon.
    pub status_at_end: &'static str,
    /// DPD at the end of the horizon.
    pub dpd_at_end: u32,
    /// Five-category class at the end.
    pub class_at_end: &'static str,
    /// Worst DPD over the loan's life within the horizon.
    pub max_dpd: u32,
    /// Principal outstanding at the end of the horizon, yuan.
    pub principal_outstanding_at_end: String,
    /// Always true.
    pub synthetic: bool,
}

/// Empty rows for the two tables whose product has no natural default: the file writer derives a table's column
/// names from its default row, so the product here is only a placeholder (the first of [`ProductKind::ALL`]).
impl Default for ApplicationRow {
    fn default() -> Self {
        ApplicationRow {
            application_id: String::new(),
            household_id: String::new(),
            applied_on: String::new(),
            product: ProductKind::ALL[0],
            amount_requested: String::new(),
            stated_purpose: "",
            purpose_text: String::new(),
            decision: "",
            loan_id: String::new(),
            synthetic: false,
        }
    }
}

impl Default for LoanRow {
    fn default() -> Self {
        LoanRow {
            loan_id: String::new(),
            household_id: String::new(),
            application_id: String::new(),
            product: ProductKind::ALL[0],
            principal: String::new(),
            annual_rate: String::new(),
            start_date: String::new(),
            maturity_date: String::new(),
            collateral: "",
            crop: String::new(),
            status_at_end: "",
            dpd_at_end: 0,
            class_at_end: "",
            max_dpd: 0,
            principal_outstanding_at_end: String::new(),
            synthetic: false,
        }
    }
}

/// A repayment due date and what happened.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RepaymentRow {
    /// Loan.
    pub loan_id: Arc<str>,
    /// Date of the payment (or of the missed due date).
    pub date: Date,
    /// Everything due and unpaid at that date, penalty included, yuan.
    pub amount_due: Money,
    /// Paid, yuan.
    pub amount_paid: Money,
    /// DPD after the day's postings (from the lending core).
    pub dpd_after: u32,
    /// Class after the day's postings (from the lending core).
    pub class_after: &'static str,
    /// Always true.
    pub synthetic: bool,
}

/// A weather event in a village and season.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WeatherRow {
    /// Village.
    pub village_code: String,
    /// Harvest month the event hits, `YYYY-MM`.
    pub harvest_month: String,
    /// drought, flood, hail, typhoon, frost or harvest-rain.
    pub event_type: &'static str,
    /// Yield loss share, 0–1.
    pub loss_share: String,
    /// Always true.
    pub synthetic: bool,
}

/// A satellite pass over a village's crop (遥感): the vegetation index seen and its usual value for the crop and
/// date. One row per village, crop and dekad of the season; a missed pass has no row.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CropObservationRow {
    /// Village.
    pub village_code: String,
    /// Crop code, as in `households.crops`.
    pub crop: &'static str,
    /// Date of the pass (a dekad: day 1, 11 or 21).
    pub observed_on: Date,
    /// NDVI seen, three decimals in [-1, 1]; pulled towards 0.1–0.2 on a cloudy pass.
    pub ndvi: String,
    /// The usual NDVI of the crop at that point of its season, three decimals.
    pub ndvi_normal: String,
    /// Share of the village's pixels under cloud, 0–1.
    pub cloud_share: String,
    /// Always true.
    pub synthetic: bool,
}

/// A disease outbreak in a county.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DiseaseRow {
    /// County.
    pub county_code: String,
    /// Species.
    pub species: &'static str,
    /// First month, `YYYY-MM`.
    pub start_month: String,
    /// Last month of the movement ban, `YYYY-MM`.
    pub end_month: String,
    /// Share of herds culled, 0–1.
    pub cull_rate: String,
    /// Always true.
    pub synthetic: bool,
}

/// A regional employment shock.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EmploymentShockRow {
    /// County.
    pub county_code: String,
    /// First month.
    pub start_month: String,
    /// Last month.
    pub end_month: String,
    /// Share of migrant income lost.
    pub income_drop: String,
    /// Always true.
    pub synthetic: bool,
}

/// A crop-insurance indemnity.
#[derive(Debug, Clone, Default, Serialize)]
pub struct InsuranceClaimRow {
    /// Household.
    pub household_id: String,
    /// Harvest month.
    pub harvest_month: String,
    /// Crop.
    pub crop: String,
    /// Indemnity paid, yuan.
    pub indemnity: String,
    /// Always true.
    pub synthetic: bool,
}

/// An account transaction.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TransactionRow {
    /// Household.
    pub household_id: Arc<str>,
    /// Date.
    pub date: Date,
    /// Signed amount, yuan: inflows positive.
    pub amount: Money,
    /// agri_input, agri_buyer, wage, transfer_person, consumer, real_estate, securities, other_lender, loan.
    pub counterparty_type: &'static str,
    /// Counterparty id.
    pub counterparty_id: Arc<str>,
    /// Loan the money came from, if any.
    pub loan_id: Arc<str>,
    /// Always true.
    pub synthetic: bool,
}

/// A credit-bureau-style report taken at an application.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BureauRow {
    /// Household.
    pub household_id: String,
    /// Report date.
    pub report_date: String,
    /// Has a central-bank record.
    pub has_record: bool,
    /// Open accounts.
    pub open_accounts: u32,
    /// Inquiries in the last 6 months.
    pub inquiries_6m: u32,
    /// Worst DPD in the last 24 months.
    pub worst_dpd_24m: u32,
    /// Outstanding balance elsewhere, yuan.
    pub other_balance: String,
    /// Always true.
    pub synthetic: bool,
}

/// A news headline with its known sentiment.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NewsRow {
    /// Date.
    pub date: String,
    /// County the item is about.
    pub county_code: String,
    /// Topic.
    pub topic: &'static str,
    /// Headline (Chinese).
    pub text: String,
    /// positive, neutral or negative.
    pub sentiment: &'static str,
    /// Always true.
    pub synthetic: bool,
}

/// Ground truth of a planted scenario.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ShockRow {
    /// S1–S6.
    pub scenario: &'static str,
    /// What.
    pub description: String,
    /// County.
    pub county_code: String,
    /// Village, when one village.
    pub village_code: String,
    /// First month.
    pub start_month: String,
    /// Last month.
    pub end_month: String,
    /// Households affected (listed in shock_households).
    pub households_affected: u32,
    /// Always true.
    pub synthetic: bool,
}

/// A household a planted scenario hit.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ShockHouseholdRow {
    /// S1–S6.
    pub scenario: &'static str,
    /// Household.
    pub household_id: String,
    /// Always true.
    pub synthetic: bool,
}

/// Whether a loan's proceeds were diverted (ground truth).
#[derive(Debug, Clone, Default, Serialize)]
pub struct LoanTruthRow {
    /// Loan.
    pub loan_id: String,
    /// True purpose code.
    pub true_purpose: &'static str,
    /// Proceeds diverted.
    pub diverted: bool,
    /// Share diverted, 0–1.
    pub diverted_share: String,
    /// Always true.
    pub synthetic: bool,
}

/// Every output table of a run.
#[derive(Debug, Clone, Default)]
pub struct Tables {
    /// counties
    pub counties: Vec<CountyRow>,
    /// villages
    pub villages: Vec<VillageRow>,
    /// households
    pub households: Vec<HouseholdRow>,
    /// members
    pub members: Vec<MemberRow>,
    /// household_truth
    pub household_truth: Vec<HouseholdTruthRow>,
    /// groups
    pub groups: Vec<GroupRow>,
    /// ratings
    pub ratings: Vec<RatingRow>,
    /// applications
    pub applications: Vec<ApplicationRow>,
    /// loans
    pub loans: Vec<LoanRow>,
    /// loan_truth
    pub loan_truth: Vec<LoanTruthRow>,
    /// repayments
    pub repayments: Vec<RepaymentRow>,
    /// prices
    pub prices: Vec<PriceRow>,
    /// weather_events
    pub weather: Vec<WeatherRow>,
    /// disease_events
    pub disease: Vec<DiseaseRow>,
    /// employment_shocks
    pub employment: Vec<EmploymentShockRow>,
    /// insurance_claims
    pub insurance: Vec<InsuranceClaimRow>,
    /// transactions
    pub transactions: Vec<TransactionRow>,
    /// bureau_reports
    pub bureau: Vec<BureauRow>,
    /// news
    pub news: Vec<NewsRow>,
    /// crop_observations
    pub crop_observations: Vec<CropObservationRow>,
    /// shocks (ground truth)
    pub shocks: Vec<ShockRow>,
    /// shock_households (ground truth)
    pub shock_households: Vec<ShockHouseholdRow>,
}

impl Tables {
    /// Appends another part (a village's, or the county-level tables), keeping order.
    pub fn extend(&mut self, other: Tables) {
        macro_rules! all {
            ($($f:ident),*) => { $(self.$f.extend(other.$f);)* };
        }
        all!(
            counties,
            villages,
            households,
            members,
            household_truth,
            groups,
            ratings,
            applications,
            loans,
            loan_truth,
            repayments,
            prices,
            weather,
            disease,
            employment,
            insurance,
            transactions,
            bureau,
            news,
            crop_observations,
            shocks,
            shock_households
        );
    }
}

/// Yuan with two decimals from a float amount (rounded half away from zero at the fen).
pub fn yuan(x: f64) -> String {
    domain::Money::from_fen((x * 100.0).round() as i64).to_string()
}

/// A share or ratio with four decimals.
pub fn share(x: f64) -> String {
    format!("{x:.4}")
}
