//! A modelling table from a run: one row per loan whose outcome is known, with what a lender could see at
//! application (the household's file, its rating, the bureau report, the village, the loan asked for) and the
//! outcome `bad` (reached 90 days past due). Protected attributes (`head_gender`, `minority`) are included for
//! fairness audits and must be excluded from models.
//!
//! With `truth` the latent causes are appended (character, village cohesion, diversion, the planted drought): the
//! "oracle" table against which a realistic model's accuracy is judged. Never train a production model on them.

use std::collections::{HashMap, HashSet};

use crate::Simulation;
use crate::report::outcome_known;

/// A table of text cells with a header, ready to write as CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelTable {
    /// Column names.
    pub header: Vec<String>,
    /// Rows, one cell per column.
    pub rows: Vec<Vec<String>>,
}

/// Columns never to use as model features: the row id, the target and the protected attributes.
pub const NOT_FEATURES: &[&str] = &["id", "bad", "head_gender", "minority"];

/// The columns of the latent causes, present only with `truth`.
pub const TRUTH_COLUMNS: &[&str] = &["character", "village_cohesion", "diverted_share", "drought_hit"];

/// Builds the modelling table of a run.
pub fn loan_table(sim: &Simulation, truth: bool) -> ModelTable {
    let t = &sim.tables;
    let households: HashMap<&str, _> = t.households.iter().map(|h| (h.household_id.as_str(), h)).collect();
    let ratings: HashMap<&str, _> = t.ratings.iter().map(|r| (r.household_id.as_str(), r)).collect();
    let villages: HashMap<&str, _> = t.villages.iter().map(|v| (v.village_code.as_str(), v)).collect();
    let zones: HashMap<&str, &str> = t.counties.iter().map(|c| (c.county_code.as_str(), c.zone)).collect();
    let applications: HashMap<&str, _> = t.applications.iter().map(|a| (a.application_id.as_str(), a)).collect();
    let bureau: HashMap<(&str, &str), _> =
        t.bureau.iter().map(|b| ((b.household_id.as_str(), b.report_date.as_str()), b)).collect();
    let character: HashMap<&str, _> = t.household_truth.iter().map(|h| (h.household_id.as_str(), h)).collect();
    let diversion: HashMap<&str, _> = t.loan_truth.iter().map(|l| (l.loan_id.as_str(), l)).collect();
    let drought: HashSet<&str> =
        t.shock_households.iter().filter(|s| s.scenario == "S1").map(|s| s.household_id.as_str()).collect();

    let mut header: Vec<String> = [
        "id",
        "segment",
        "product",
        "principal",
        "annual_rate",
        "stated_purpose",
        "size",
        "labourers",
        "dependants",
        "head_age",
        "education_years",
        "land_contracted_mu",
        "land_rented_mu",
        "fattening_pigs",
        "cattle",
        "migrants",
        "business",
        "coop_member",
        "insurance_cover",
        "rcc_shares",
        "deposits",
        "house_value",
        "machinery_value",
        "debts_other",
        "in_group",
        "rating_score",
        "grade",
        "credit_household",
        "rating_limit",
        "bureau_record",
        "open_accounts",
        "inquiries_6m",
        "worst_dpd_24m",
        "other_balance",
        "irrigation_share",
        "credit_village",
        "distance_km",
        "zone",
        "head_gender",
        "minority",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if truth {
        header.extend(TRUTH_COLUMNS.iter().map(|s| s.to_string()));
    }
    header.push("bad".into());

    let mut rows = Vec::new();
    for loan in t.loans.iter().filter(|l| outcome_known(&sim.config, l)) {
        let (Some(h), Some(r), Some(a)) = (
            households.get(loan.household_id.as_str()),
            ratings.get(loan.household_id.as_str()),
            applications.get(loan.application_id.as_str()),
        ) else {
            continue;
        };
        let Some(b) = bureau.get(&(loan.household_id.as_str(), a.applied_on.as_str())) else { continue };
        let Some(v) = villages.get(h.village_code.as_str()) else { continue };
        let segment = if !b.has_record {
            "thin-file"
        } else if loan.product == "livestock-batch" {
            "livestock"
        } else if h.business || loan.product == "equal-installment" {
            "merchant"
        } else {
            "planting"
        };
        let flag = |x: bool| if x { "1" } else { "0" }.to_string();
        let mut row = vec![
            loan.loan_id.clone(),
            segment.into(),
            loan.product.into(),
            loan.principal.clone(),
            loan.annual_rate.clone(),
            a.stated_purpose.into(),
            h.size.to_string(),
            h.labourers.to_string(),
            h.dependants.to_string(),
            h.head_age.to_string(),
            h.education_years.to_string(),
            h.land_contracted_mu.clone(),
            h.land_rented_mu.clone(),
            h.fattening_pigs.to_string(),
            h.cattle.to_string(),
            h.migrants.to_string(),
            flag(h.business),
            flag(h.coop_member),
            if h.insurance_cover.is_empty() { "none".into() } else { h.insurance_cover.into() },
            h.rcc_shares.clone(),
            h.deposits.clone(),
            h.house_value.clone(),
            h.machinery_value.clone(),
            h.debts_other.clone(),
            flag(!h.group_id.is_empty()),
            r.score.to_string(),
            if r.grade.is_empty() { "none".into() } else { r.grade.into() },
            flag(r.credit_household),
            r.limit.clone(),
            flag(b.has_record),
            b.open_accounts.to_string(),
            b.inquiries_6m.to_string(),
            b.worst_dpd_24m.to_string(),
            b.other_balance.clone(),
            v.irrigation_share.clone(),
            flag(v.credit_village),
            v.distance_km.clone(),
            zones.get(v.county_code.as_str()).copied().unwrap_or("unknown").into(),
            h.head_gender.into(),
            flag(h.minority),
        ];
        if truth {
            let c = character.get(loan.household_id.as_str());
            row.push(c.map_or_else(String::new, |c| c.character.clone()));
            row.push(c.map_or_else(String::new, |c| c.village_cohesion.clone()));
            row.push(diversion.get(loan.loan_id.as_str()).map_or_else(|| "0".into(), |d| d.diverted_share.clone()));
            row.push(flag(drought.contains(loan.household_id.as_str())));
        }
        row.push(flag(loan.max_dpd >= 90));
        rows.push(row);
    }
    ModelTable { header, rows }
}

impl ModelTable {
    /// The table as CSV text (cells never contain commas or quotes).
    pub fn to_csv(&self) -> String {
        let mut out = self.header.join(",");
        out.push('\n');
        for row in &self.rows {
            out.push_str(&row.join(","));
            out.push('\n');
        }
        out
    }
}
