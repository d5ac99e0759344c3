//! The JSON documents of loans, schedules and postings, shared by the command line's `--format json` and the
//! server's answers (documented in docs/cli.md and docs/api.md).
//!
//! Amounts are strings with exactly two decimal places ("8530.99"), rates and ratios exact decimal strings, dates
//! `YYYY-MM-DD`. Field names only ever get added, never renamed.

use domain::Date;
use lending::{Change, LoanState, LoanTerms, Posting, Schedule};
use serde::Serialize;
use serde_json::{Value, json};

use crate::loans::{PortfolioSummary, Position, Posted};

/// The JSON document of a schedule.
pub fn schedule_json(terms: &LoanTerms, schedule: &Schedule) -> Value {
    let mut balance = terms.principal();
    let installments: Vec<Value> = schedule
        .installments
        .iter()
        .map(|i| {
            balance = balance - i.principal;
            json!({
                "seq": i.seq,
                "period_start": i.period_start,
                "due_date": i.due_date,
                "principal": i.principal,
                "interest": i.interest,
                "total": i.total(),
                "balance_after": balance,
            })
        })
        .collect();
    json!({
        "product": terms.product().code(),
        "product_name_zh": terms.product().name_zh(),
        "principal": terms.principal(),
        "annual_rate": terms.annual_rate(),
        "start": terms.start(),
        "maturity": schedule.maturity(),
        "day_count": terms.conventions().day_count,
        "rounding": terms.conventions().rounding,
        "installments": installments,
        "total_principal": schedule.total_principal(),
        "total_interest": schedule.total_interest(),
        "total_payment": schedule.total_principal() + schedule.total_interest(),
    })
}

fn postings_json(postings: &[Posting]) -> Vec<Value> {
    postings
        .iter()
        .map(|p| match &p.reallocates {
            None => json!({"component": p.component, "amount": p.amount}),
            Some(r) => json!({"component": p.component, "amount": p.amount, "reallocates": r}),
        })
        .collect()
}

/// The JSON document of a posted event.
pub fn posted_json(loan: &str, posted: &Posted) -> Value {
    json!({
        "loan": loan,
        "seq": posted.seq,
        "duplicate": posted.duplicate,
        "postings": postings_json(&posted.postings),
        "status": posted.state.status,
        "dpd": posted.state.standing.dpd,
        "class": posted.state.standing.class,
        "principal_outstanding": posted.state.principal_outstanding,
    })
}

#[derive(Serialize)]
/// One change of a loan's status, bucket, class or stage.
pub struct HistoryRow {
    /// When.
    pub date: Date,
    /// What changed: status, bucket, class or stage.
    pub kind: &'static str,
    /// Before.
    pub from: String,
    /// After.
    pub to: String,
    /// Why.
    pub cause: String,
}

/// A loan's changes, oldest first.
pub fn history(state: &LoanState) -> Vec<HistoryRow> {
    state
        .changes
        .iter()
        .map(|c| {
            let (kind, from, to) = match &c.change {
                Change::Status { from, to } => ("status", from.to_string(), to.to_string()),
                Change::Bucket { from, to } => ("bucket", from.to_string(), to.to_string()),
                Change::Class { from, to } => ("class", from.to_string(), to.to_string()),
                Change::Stage { from, to } => ("stage", from.to_string(), to.to_string()),
            };
            HistoryRow { date: c.date, kind, from, to, cause: c.cause.clone() }
        })
        .collect()
}

/// The JSON document of one loan.
pub fn loan_json(p: &Position) -> Value {
    let s = &p.state;
    json!({
        "id": p.record.id,
        "borrower": p.record.borrower,
        "product": p.record.terms.product().code(),
        "terms": p.record.terms,
        "rules": p.record.rules,
        "as_of": s.as_of,
        "status": s.status,
        "dpd": s.standing.dpd,
        "bucket": s.standing.bucket,
        "class": s.standing.class,
        "class_zh": s.standing.class.name_zh(),
        "class_floor": s.standing.floor,
        "stage": s.standing.stage,
        "restructured": s.restructured,
        "classification_override": s.classification_override,
        "balances": {
            "disbursed": s.disbursed,
            "principal_outstanding": s.principal_outstanding,
            "principal_overdue": s.principal_overdue,
            "interest_overdue": s.interest_overdue,
            "interest_accrued": s.interest_accrued,
            "penalty_due": s.penalty_due,
            "overpaid": s.overpaid,
            "payoff": s.payoff(),
        },
        "installments": s.installments,
        "repayments": s.repayments,
        "history": history(s),
    })
}

/// The JSON document of a portfolio view.
pub fn portfolio_json(positions: &[Position], summary: &PortfolioSummary) -> Value {
    let loans: Vec<Value> = positions
        .iter()
        .map(|p| {
            let s = &p.state;
            json!({
                "id": p.record.id,
                "borrower": p.record.borrower,
                "product": p.record.terms.product().code(),
                "principal": p.record.terms.principal(),
                "status": s.status,
                "dpd": s.standing.dpd,
                "bucket": s.standing.bucket,
                "class": s.standing.class,
                "class_zh": s.standing.class.name_zh(),
                "stage": s.standing.stage,
                "restructured": s.restructured,
                "principal_outstanding": s.principal_outstanding,
            })
        })
        .collect();
    let by_class: serde_json::Map<String, Value> =
        summary.outstanding_by_class.iter().map(|(c, m)| (c.code().to_string(), json!(m))).collect();
    json!({
        "as_of": summary.as_of,
        "loans": loans,
        "summary": {
            "loans": summary.loans,
            "principal_outstanding": summary.outstanding,
            "outstanding_by_class": by_class,
            "npl_ratio": format!("{:.4}", summary.npl_ratio),
            "par1": format!("{:.4}", summary.par1),
            "par30": format!("{:.4}", summary.par30),
            "par90": format!("{:.4}", summary.par90),
        },
    })
}
