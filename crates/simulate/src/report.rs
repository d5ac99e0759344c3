//! The calibration report: the figures the specification's section 7 sets targets for, computed from a run.

use std::collections::HashSet;

use lending::ProductKind;
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
    /// Loans whose outcome is known: matured at least 91 days before the end of the horizon.
    pub loans_observed: usize,
    /// Approved ÷ applications.
    pub approval_rate: f64,
    /// Observed loans that reached 90+ DPD ÷ observed loans, per year of loan life (terms of a year or less count as
    /// a year).
    pub yearly_default_rate: f64,
    /// Non-performing (次级 and worse) outstanding ÷ outstanding at the end.
    pub npl_ratio: f64,
    /// Outstanding of loans over 30 DPD ÷ outstanding at the end.
    pub par30: f64,
    /// Share of households rated 信用户.
    pub credit_household_share: f64,
    /// Mean principal, yuan.
    pub mean_loan_yuan: f64,
    /// Mean share of a revolving line drawn at its first draw.
    pub revolving_utilisation: f64,
    /// Default rate of the loans of households hit by the planted drought (S1) running at its harvest, if planted.
    pub drought_default_rate: Option<f64>,
    /// Drought default rate ÷ the default rate of other households' loans running at the same time.
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
    // Only loans whose fate is known count towards default rates: those that matured at least 91 days before the
    // horizon ended, so a loan that is going to reach 90 DPD has had the time to.
    let date = |text: &str| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
    let observed: Vec<&crate::tables::LoanRow> = t.loans.iter().filter(|l| outcome_known(&sim.config, l)).collect();
    let term_months: f64 = observed
        .iter()
        .map(|l| match (date(&l.start_date), date(&l.maturity_date)) {
            (Some(s), Some(e)) => ((e - s).num_days() as f64 / 30.4).clamp(1.0, 36.0),
            _ => 12.0,
        })
        .sum::<f64>()
        / observed.len().max(1) as f64;
    // A loan shorter than a year is annualised as a year: the next season's loan is a new loan.
    let per_year = 12.0 / term_months.max(12.0);
    let defaulted = |l: &crate::tables::LoanRow| l.max_dpd >= 90;
    let group_rate = |set: &HashSet<&str>, inside: bool| {
        let loans: Vec<_> = observed.iter().filter(|l| set.contains(l.household_id.as_str()) == inside).collect();
        rate(loans.iter().filter(|l| defaulted(l)).count(), loans.len())
    };
    let approval = |set: &HashSet<&str>, inside: bool| {
        let apps: Vec<_> = t.applications.iter().filter(|a| set.contains(a.household_id.as_str()) == inside).collect();
        rate(apps.iter().filter(|a| a.decision == "approved").count(), apps.len())
    };
    // The book at the end: written-off loans have left the balance sheet.
    let book: Vec<_> = t.loans.iter().filter(|l| l.status_at_end != "written-off").collect();
    let outstanding: f64 = book.iter().map(|l| amount(&l.principal_outstanding_at_end)).sum();
    let npl: f64 = book
        .iter()
        .filter(|l| matches!(l.class_at_end, "substandard" | "doubtful" | "loss"))
        .map(|l| amount(&l.principal_outstanding_at_end))
        .sum();
    let par: f64 = book.iter().filter(|l| l.dpd_at_end > 30).map(|l| amount(&l.principal_outstanding_at_end)).sum();
    // The drought's default rate counts the loans it hit: those of drought households running at the drought's
    // last (harvest) month. The baseline is like for like: other households' loans running that month.
    let drought_month = t.shocks.iter().find(|s| s.scenario == "S1").map(|s| s.end_month.as_str());
    let running =
        |l: &&crate::tables::LoanRow, month: &str| l.start_date[..7] <= *month && l.maturity_date[..7] >= *month;
    let cohort_rate = |inside: bool, month: &str| {
        let loans: Vec<_> = observed
            .iter()
            .filter(|l| drought.contains(l.household_id.as_str()) == inside && running(l, month))
            .collect();
        rate(loans.iter().filter(|l| defaulted(l)).count(), loans.len()) * per_year
    };
    let drought_rates = drought_month
        .filter(|_| !drought.is_empty())
        .map(|month| (cohort_rate(true, month), cohort_rate(false, month)));
    // A line's first draw is its first inflow from the lender.
    let limits: std::collections::HashMap<&str, f64> = t
        .loans
        .iter()
        .filter(|l| l.product == ProductKind::Revolving)
        .map(|l| (l.loan_id.as_str(), amount(&l.principal)))
        .collect();
    let mut drawn: std::collections::HashMap<&str, f64> = std::collections::HashMap::new();
    for x in t.transactions.iter().filter(|x| x.counterparty_type == "loan" && x.amount.is_positive()) {
        if let Some(limit) = limits.get(&*x.loan_id) {
            drawn.entry(&*x.loan_id).or_insert(x.amount.fen() as f64 / 100.0 / limit);
        }
    }
    let revolving_utilisation = drawn.values().sum::<f64>() / drawn.len().max(1) as f64;
    Report {
        households: t.households.len(),
        applications: t.applications.len(),
        loans: t.loans.len(),
        approval_rate: rate(t.applications.iter().filter(|a| a.decision == "approved").count(), t.applications.len()),
        loans_observed: observed.len(),
        yearly_default_rate: rate(observed.iter().filter(|l| defaulted(l)).count(), observed.len()) * per_year,
        // `+ 0.0` turns the empty sum's -0.0 into 0.0.
        npl_ratio: if outstanding > 0.0 { npl / outstanding + 0.0 } else { 0.0 },
        par30: if outstanding > 0.0 { par / outstanding + 0.0 } else { 0.0 },
        credit_household_share: rate(t.ratings.iter().filter(|r| r.credit_household).count(), t.ratings.len()),
        mean_loan_yuan: t.loans.iter().map(|l| amount(&l.principal)).sum::<f64>() / t.loans.len().max(1) as f64,
        revolving_utilisation,
        drought_default_rate: drought_rates.map(|r| r.0),
        drought_uplift: drought_rates.map(|(hit, other)| ratio(hit, other)),
        default_ratio_female_male: ratio(group_rate(&female, true), group_rate(&female, false)),
        approval_ratio_female_male: ratio(approval(&female, true), approval(&female, false)),
        default_ratio_minority: ratio(group_rate(&minority, true), group_rate(&minority, false)),
    }
}

/// The last day of a configuration's horizon.
pub fn horizon_end(c: &crate::Config) -> domain::Date {
    let end_month = c.start_month - 1 + c.months;
    domain::end_of_month(c.start_year + (end_month as i32 - 1) / 12, (end_month - 1) % 12 + 1)
}

/// Whether a loan's outcome is known: it matured at least 91 days before the horizon ended, so a loan that is going
/// to reach 90 DPD has had the time to.
pub fn outcome_known(c: &crate::Config, loan: &crate::tables::LoanRow) -> bool {
    chrono::NaiveDate::parse_from_str(&loan.maturity_date, "%Y-%m-%d")
        .is_ok_and(|m| m + chrono::Duration::days(91) <= horizon_end(c))
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
            (
                "applications / loans / observed",
                format!("{} / {} / {}", self.applications, self.loans, self.loans_observed),
                String::new(),
            ),
            ("approval rate", pct(self.approval_rate), String::new()),
            ("yearly default rate (90+ DPD)", pct(self.yearly_default_rate), "1.5–3%".into()),
            ("NPL ratio at the end", pct(self.npl_ratio), "1.5–3.5%".into()),
            ("PAR30 at the end", pct(self.par30), "2–5%".into()),
            ("credit-household share", pct(self.credit_household_share), "70–90%".into()),
            ("mean loan", format!("{:.0} yuan", self.mean_loan_yuan), "30,000–100,000".into()),
            ("revolving line utilisation", pct(self.revolving_utilisation), "40–70%".into()),
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
