//! The calibration report: the figures the specification's section 7 sets targets for, computed from a run.

use std::collections::HashSet;

use serde::Serialize;

use crate::run::Simulation;

/// Calibration figures of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Households simulated.
    pub households: usize,
    /// Loan applications.
    pub applications: usize,
    /// Loans booked.
    pub loans: usize,
    /// Approved ÷ applications.
    pub approval_rate: f64,
    /// Loans that reached 90+ DPD ÷ loans, per year of loan life (terms are about a year).
    pub yearly_default_rate: f64,
    /// Non-performing (次级 and worse) outstanding ÷ outstanding at the end.
    pub npl_ratio: f64,
    /// Outstanding of loans over 30 DPD ÷ outstanding at the end.
    pub par30: f64,
    /// Share of households rated 信用户.
    pub credit_household_share: f64,
    /// Mean principal, yuan.
    pub mean_loan_yuan: f64,
    /// Default rate of loans of households hit by the planted drought (S1), if planted.
    pub drought_default_rate: Option<f64>,
    /// Drought default rate ÷ baseline default rate.
    pub drought_uplift: Option<f64>,
    /// Default rate of female-headed ÷ male-headed households' loans.
    pub default_ratio_female_male: f64,
    /// Approval rate of female-headed ÷ male-headed households (disparate-impact ratio; 4/5 rule).
    pub approval_ratio_female_male: f64,
    /// Default rate of minority ÷ majority households' loans.
    pub default_ratio_minority: f64,
}

fn rate(hits: usize, n: usize) -> f64 {
    if n == 0 { 0.0 } else { hits as f64 / n as f64 }
}

fn amount(text: &str) -> f64 {
    text.parse().unwrap_or(0.0)
}

/// Computes the report of a run.
pub fn report(sim: &Simulation) -> Report {
    let t = &sim.tables;
    let female: HashSet<&str> =
        t.households.iter().filter(|h| h.head_gender == "F").map(|h| h.household_id.as_str()).collect();
    let minority: HashSet<&str> = t.households.iter().filter(|h| h.minority).map(|h| h.household_id.as_str()).collect();
    let drought: HashSet<&str> =
        t.shock_households.iter().filter(|s| s.scenario == "S1").map(|s| s.household_id.as_str()).collect();
    let term_months: f64 = t
        .loans
        .iter()
        .map(|l| {
            let start = chrono::NaiveDate::parse_from_str(&l.start_date, "%Y-%m-%d").ok();
            let end = chrono::NaiveDate::parse_from_str(&l.maturity_date, "%Y-%m-%d").ok();
            match (start, end) {
                (Some(s), Some(e)) => ((e - s).num_days() as f64 / 30.4).clamp(1.0, 36.0),
                _ => 12.0,
            }
        })
        .sum::<f64>()
        / t.loans.len().max(1) as f64;
    let defaulted = |l: &crate::tables::LoanRow| l.max_dpd >= 90;
    let group_rate = |set: &HashSet<&str>, inside: bool| {
        let loans: Vec<_> = t.loans.iter().filter(|l| set.contains(l.household_id.as_str()) == inside).collect();
        rate(loans.iter().filter(|l| defaulted(l)).count(), loans.len())
    };
    let approval = |set: &HashSet<&str>, inside: bool| {
        let apps: Vec<_> = t.applications.iter().filter(|a| set.contains(a.household_id.as_str()) == inside).collect();
        rate(apps.iter().filter(|a| a.decision == "approved").count(), apps.len())
    };
    let outstanding: f64 = t.loans.iter().map(|l| amount(&l.principal_outstanding_at_end)).sum();
    let npl: f64 = t
        .loans
        .iter()
        .filter(|l| matches!(l.class_at_end, "substandard" | "doubtful" | "loss"))
        .map(|l| amount(&l.principal_outstanding_at_end))
        .sum();
    let par: f64 = t.loans.iter().filter(|l| l.dpd_at_end > 30).map(|l| amount(&l.principal_outstanding_at_end)).sum();
    let baseline = group_rate(&drought, false) * 12.0 / term_months;
    let drought_rate = (!drought.is_empty()).then(|| group_rate(&drought, true) * 12.0 / term_months);
    Report {
        households: t.households.len(),
        applications: t.applications.len(),
        loans: t.loans.len(),
        approval_rate: rate(t.applications.iter().filter(|a| a.decision == "approved").count(), t.applications.len()),
        yearly_default_rate: rate(t.loans.iter().filter(|l| defaulted(l)).count(), t.loans.len()) * 12.0 / term_months,
        npl_ratio: if outstanding > 0.0 { npl / outstanding } else { 0.0 },
        par30: if outstanding > 0.0 { par / outstanding } else { 0.0 },
        credit_household_share: rate(t.ratings.iter().filter(|r| r.credit_household).count(), t.ratings.len()),
        mean_loan_yuan: t.loans.iter().map(|l| amount(&l.principal)).sum::<f64>() / t.loans.len().max(1) as f64,
        drought_default_rate: drought_rate,
        drought_uplift: drought_rate.map(|d| if baseline > 0.0 { d / baseline } else { 0.0 }),
        default_ratio_female_male: ratio(group_rate(&female, true), group_rate(&female, false)),
        approval_ratio_female_male: ratio(approval(&female, true), approval(&female, false)),
        default_ratio_minority: ratio(group_rate(&minority, true), group_rate(&minority, false)),
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

impl Report {
    /// The report as aligned text with each figure's target.
    pub fn text(&self) -> String {
        let pct = |x: f64| format!("{:.2}%", x * 100.0);
        let opt = |x: Option<f64>, f: &dyn Fn(f64) -> String| x.map_or("not planted".to_string(), f);
        let rows = [
            ("households", self.households.to_string(), String::new()),
            ("applications / loans", format!("{} / {}", self.applications, self.loans), String::new()),
            ("approval rate", pct(self.approval_rate), String::new()),
            ("yearly default rate (90+ DPD)", pct(self.yearly_default_rate), "1.5–3%".into()),
            ("NPL ratio at the end", pct(self.npl_ratio), "1.5–3.5%".into()),
            ("PAR30 at the end", pct(self.par30), "2–5%".into()),
            ("credit-household share", pct(self.credit_household_share), "70–90%".into()),
            ("mean loan", format!("{:.0} yuan", self.mean_loan_yuan), "30,000–100,000".into()),
            ("default rate, S1 drought households", opt(self.drought_default_rate, &pct), String::new()),
            ("drought uplift", opt(self.drought_uplift, &|x| format!("{x:.1}×")), "3–6×".into()),
            (
                "default ratio female/male head",
                format!("{:.2}", self.default_ratio_female_male),
                "≈1 (no causal effect)".into(),
            ),
            (
                "approval ratio female/male head",
                format!("{:.2}", self.approval_ratio_female_male),
                "≥0.8 (4/5 rule) unless the bias knob is on".into(),
            ),
            (
                "default ratio minority/majority",
                format!("{:.2}", self.default_ratio_minority),
                "≈1 (no causal effect)".into(),
            ),
        ];
        let mut out = String::from("calibration report\n");
        for (name, value, target) in rows {
            let target = if target.is_empty() { String::new() } else { format!("   target {target}") };
            out.push_str(&format!("  {name:<38} {value:>14}{target}\n"));
        }
        out
    }
}
