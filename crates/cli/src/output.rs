//! What the commands print: aligned tables for people, stable JSON for programs (documented in docs/cli.md).
//!
//! JSON amounts are strings with exactly two decimal places ("8530.99"), rates and ratios exact decimal strings,
//! dates `YYYY-MM-DD`. Field names only ever get added, never renamed.

use lending::{LoanTerms, Plan, Schedule};

use crate::table::{Align, Table};
use app::loans::{PortfolioSummary, Position, Posted};
pub use app::views::{history, loan_json, portfolio_json, posted_json, schedule_json};

/// One line describing terms, e.g. `harvest-bullet 季节性收获还本 50000.00 at 0.05 from 2026-03-10`.
pub fn terms_line(terms: &LoanTerms) -> String {
    let mut line = format!(
        "{} {} {} at {} from {}",
        terms.product(),
        terms.product().name_zh(),
        terms.principal(),
        terms.annual_rate(),
        terms.start()
    );
    match terms.plan() {
        Plan::HarvestBullet { harvest_month, days_after_harvest, harvest_source, .. } => {
            let source = match harvest_source {
                lending::product::HarvestSource::Explicit => String::new(),
                lending::product::HarvestSource::CropCalendar { crop, region } => {
                    format!(" ({} {} in {})", crop, crop.name_zh(), region)
                }
            };
            line.push_str(&format!(
                ", principal {days_after_harvest} days after harvest month {harvest_month}{source}"
            ));
        }
        Plan::LivestockBatch { batch_months, .. } => {
            let months: Vec<String> = batch_months.iter().map(u32::to_string).collect();
            line.push_str(&format!(", sale batches at months {}", months.join(", ")));
        }
        Plan::Revolving { validity_months, draw_term_months } => {
            line.push_str(&format!(", line valid {validity_months} months, draws up to {draw_term_months} months"));
        }
        _ => {}
    }
    if terms.grace_months() > 0 {
        line.push_str(&format!(", {} grace months", terms.grace_months()));
    }
    if terms.interest_free_days() > 0 {
        line.push_str(&format!(", {} interest-free days", terms.interest_free_days()));
    }
    line
}

/// A schedule as a table.
pub fn schedule_table(terms: &LoanTerms, schedule: &Schedule) -> String {
    let mut t = Table::new(&[
        ("#", Align::Right),
        ("due date", Align::Left),
        ("principal 本金", Align::Right),
        ("interest 利息", Align::Right),
        ("payment 还款额", Align::Right),
        ("balance 余额", Align::Right),
    ]);
    let mut balance = terms.principal();
    for i in &schedule.installments {
        balance = balance - i.principal;
        t.row(vec![
            i.seq.to_string(),
            i.due_date.to_string(),
            i.principal.to_string(),
            i.interest.to_string(),
            i.total().to_string(),
            balance.to_string(),
        ]);
    }
    t.row(vec![
        String::new(),
        "total 合计".into(),
        schedule.total_principal().to_string(),
        schedule.total_interest().to_string(),
        (schedule.total_principal() + schedule.total_interest()).to_string(),
        String::new(),
    ]);
    format!("{}\n{}", terms_line(terms), t.render())
}

/// A posted event as text.
pub fn posted_text(loan: &str, posted: &Posted) -> String {
    let s = &posted.state;
    let mut out = if posted.duplicate {
        format!("loan {loan}: already posted as event {}; nothing changed\n", posted.seq)
    } else {
        format!("loan {loan}: posted event {}\n", posted.seq)
    };
    for p in &posted.postings {
        let note = p.reallocates.as_ref().map(|r| format!("  (reallocates {r})")).unwrap_or_default();
        out.push_str(&format!("  {:<18} {:>14}{note}\n", p.component, p.amount.to_string()));
    }
    out.push_str(&format!(
        "  now {} · DPD {} · {} {} · outstanding principal {}\n",
        s.status,
        s.standing.dpd,
        s.standing.class.name_zh(),
        s.standing.class,
        s.principal_outstanding
    ));
    out
}

/// One loan as text: terms, standing, balances, installments, repayments, history.
pub fn loan_text(p: &Position) -> String {
    let s = &p.state;
    let mut out = format!("loan {} · borrower {}\n{}\n", p.record.id, p.record.borrower, terms_line(&p.record.terms));
    out.push_str(&format!(
        "as of {}: {} · DPD {} ({}) · {} {} (floor {}) · IFRS 9 {}{}\n",
        s.as_of,
        s.status,
        s.standing.dpd,
        s.standing.bucket,
        s.standing.class.name_zh(),
        s.standing.class,
        s.standing.floor.name_zh(),
        s.standing.stage,
        if s.restructured { " · restructured 重组" } else { "" }
    ));
    if let Some(o) = &s.classification_override {
        out.push_str(&format!(
            "manual class {} since {}, approved by {}: {}\n",
            o.class.name_zh(),
            o.date,
            o.approver,
            o.reason
        ));
    }
    out.push_str(&format!(
        "principal outstanding {} · overdue principal {} · overdue interest {} · penalty {} · payoff {}{}\n\n",
        s.principal_outstanding,
        s.principal_overdue,
        s.interest_overdue,
        s.penalty_due,
        s.payoff(),
        if s.overpaid.is_positive() { format!(" · overpaid {}", s.overpaid) } else { String::new() }
    ));
    let mut t = Table::new(&[
        ("#", Align::Right),
        ("v", Align::Right),
        ("due date", Align::Left),
        ("principal", Align::Right),
        ("interest", Align::Right),
        ("paid principal", Align::Right),
        ("paid interest", Align::Right),
        ("state", Align::Left),
    ]);
    for i in &s.installments {
        let state = if i.superseded {
            "superseded"
        } else if i.settled() {
            "paid"
        } else if i.due_date < s.as_of {
            "OVERDUE"
        } else {
            ""
        };
        t.row(vec![
            i.seq.to_string(),
            i.version.to_string(),
            i.due_date.to_string(),
            i.principal.to_string(),
            i.interest.to_string(),
            i.principal_paid.to_string(),
            i.interest_paid.to_string(),
            state.into(),
        ]);
    }
    out.push_str(&t.render());
    if !s.repayments.is_empty() {
        let mut r = Table::new(&[
            ("repayment", Align::Left),
            ("date", Align::Left),
            ("amount", Align::Right),
            ("penalty", Align::Right),
            ("overdue int", Align::Right),
            ("overdue prin", Align::Right),
            ("current int", Align::Right),
            ("current prin", Align::Right),
            ("prepaid", Align::Right),
            ("over", Align::Right),
        ]);
        for rep in &s.repayments {
            let b = &rep.breakdown;
            let id = if rep.reversed { format!("{} (reversed)", rep.id) } else { rep.id.to_string() };
            r.row(vec![
                id,
                rep.date.to_string(),
                rep.amount.to_string(),
                b.penalty.to_string(),
                b.overdue_interest.to_string(),
                b.overdue_principal.to_string(),
                b.current_interest.to_string(),
                b.current_principal.to_string(),
                b.prepaid_principal.to_string(),
                b.overpayment.to_string(),
            ]);
        }
        out.push('\n');
        out.push_str(&r.render());
    }
    let rows = history(s);
    if !rows.is_empty() {
        let mut h = Table::new(&[
            ("date", Align::Left),
            ("change", Align::Left),
            ("from", Align::Left),
            ("to", Align::Left),
            ("cause", Align::Left),
        ]);
        for row in rows {
            h.row(vec![row.date.to_string(), row.kind.into(), row.from, row.to, row.cause]);
        }
        out.push('\n');
        out.push_str(&h.render());
    }
    out
}

/// A portfolio view as text.
pub fn portfolio_text(positions: &[Position], summary: &PortfolioSummary) -> String {
    let mut t = Table::new(&[
        ("loan", Align::Left),
        ("borrower", Align::Left),
        ("product", Align::Left),
        ("status", Align::Left),
        ("DPD", Align::Right),
        ("bucket", Align::Left),
        ("五级分类", Align::Left),
        ("IFRS 9", Align::Left),
        ("outstanding", Align::Right),
    ]);
    for p in positions {
        let s = &p.state;
        t.row(vec![
            p.record.id.to_string(),
            p.record.borrower.to_string(),
            p.record.terms.product().name_zh().to_string(),
            s.status.to_string(),
            s.standing.dpd.to_string(),
            s.standing.bucket.to_string(),
            format!("{} {}", s.standing.class.name_zh(), s.standing.class),
            s.standing.stage.to_string(),
            s.principal_outstanding.to_string(),
        ]);
    }
    let mut out = format!("portfolio as of {}\n{}", summary.as_of, t.render());
    let percent = |d: domain::Decimal| format!("{}%", (d * domain::Decimal::ONE_HUNDRED).round_dp(2));
    let classes: Vec<String> = summary
        .outstanding_by_class
        .iter()
        .filter(|(_, m)| !m.is_zero())
        .map(|(c, m)| format!("{} {}", c.name_zh(), m))
        .collect();
    out.push_str(&format!(
        "\n{} loans · outstanding {} · {}\nNPL ratio 不良率 {} · PAR1 {} · PAR30 {} · PAR90 {}\n",
        summary.loans,
        summary.outstanding,
        classes.join(" · "),
        percent(summary.npl_ratio),
        percent(summary.par1),
        percent(summary.par30),
        percent(summary.par90)
    ));
    out
}
