//! `agririsk monitor run | evaluate`: post-loan monitoring over the whole book (`app::monitoring`), printed as a
//! table or JSON.

use std::fmt::Write as _;

use ::monitor::MonitorConfig;
use ::monitor::evaluate::{Evaluation, Figures};
use app::escalation::DailyReport;
use app::escalation::daily_run;
use app::monitoring::{
    DayProgress, check_period, dry_run, load_book, load_config, read_truth, run, score, stored_spans,
};
use domain::{Clock, Date};

use crate::args::{Format, MonitorCommand};
use crate::error::CliError;
use crate::{Place, SystemClock, date, emit, print_json, with_store};

/// Runs a `monitor` command.
pub async fn command(at: &Place, command: MonitorCommand) -> Result<(), CliError> {
    match command {
        MonitorCommand::Config => print_json(&MonitorConfig::default()),
        MonitorCommand::Run { as_of, from, to, config, format } => {
            at.require_database("ingest the loans and repayments first")?;
            let config = load_config(config.as_deref())?;
            let (from, to, fields) = match (as_of, from, to) {
                (Some(day), _, _) => {
                    let day = date("as-of", &day)?;
                    (day, day, ("as-of", "as-of"))
                }
                (None, Some(from), Some(to)) => (date("from", &from)?, date("to", &to)?, ("from", "to")),
                _ => return Err(CliError::input("as-of", "give --as-of DATE, or --from DATE --to DATE")),
            };
            let report = with_store(at, async |store| {
                let book = load_book(store, &config, to).await?;
                check_period(&book, from, to, fields.0, fields.1)?;
                let mut last_shown = 0;
                let mut progress = |p: DayProgress| {
                    // One line a month of days (and the last), on standard error, so JSON output stays clean.
                    if p.done == p.total || p.done >= last_shown + 30 {
                        last_shown = p.done;
                        eprintln!("monitor: {} ({}/{} days), {} alerts open", p.day, p.done, p.total, p.open);
                    }
                };
                daily_run(store, &book, from, to, &config, SystemClock.now(), &mut progress).await
            })
            .await?;
            match format {
                Format::Json => print_json(&report),
                Format::Table => emit(&run_text(&report, from, to)),
            }
        }
        MonitorCommand::Evaluate { ground_truth, config, dry_run: dry, format } => {
            at.require_database("ingest the simulator's files first")?;
            let config = load_config(config.as_deref())?;
            let scenarios = read_truth(&ground_truth)?;
            let (book, alerts) = with_store(at, async |store| {
                // Booked loans' rows through today: the evaluation runs over the data's whole horizon.
                let today = SystemClock.today();
                let book = load_book(store, &config, today).await?;
                let Some((from, to)) = book.span() else {
                    return Err(CliError::input(
                        "ground-truth",
                        "the book is empty: ingest the loans and repayments first",
                    ));
                };
                let alerts = if dry {
                    dry_run(&book, from, to, &config, &SystemClock.now())
                } else {
                    let mut quiet = |_: DayProgress| {};
                    run(store, &book, from, to, &config, SystemClock.now(), &mut quiet).await?;
                    stored_spans(store).await?
                };
                Ok((book, alerts))
            })
            .await?;
            let Some((from, to)) = book.span() else {
                return Err(CliError::input(
                    "ground-truth",
                    "the book is empty: ingest the loans and repayments first",
                ));
            };
            let evaluation = score(&book, &alerts, &scenarios, from, to);
            match format {
                Format::Json => print_json(&evaluation),
                Format::Table => emit(&evaluation_text(&evaluation)),
            }
        }
    }
}

/// A daily run's report as text: the monitoring, then the escalation.
fn run_text(report: &DailyReport, from: Date, to: Date) -> String {
    let (run, escalation) = (&report.run, &report.escalation);
    let mut out = format!(
        "monitoring {from} to {to}: {} days run, {} already run; {} alerts raised, {} re-tiered, {} resolved; {} open; \
         {} borrowers and {} loans on the book on the last day run\n",
        run.days_run,
        run.days_already_run,
        run.raised,
        run.retiered,
        run.resolved,
        run.open_after,
        run.active_borrowers,
        run.active_loans
    );
    let _ = write!(
        out,
        "escalation: {} overdue alerts escalated to their branch manager; {} overdue on {to} not escalated",
        escalation.escalated, escalation.not_escalated
    );
    if escalation.branches_without_manager.is_empty() {
        out.push('\n');
    } else {
        // The ten branches with the most; JSON has them all (up to its bound).
        let mut branches: Vec<(&String, &u32)> = escalation.branches_without_manager.iter().collect();
        branches.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let shown: Vec<String> = branches.iter().take(10).map(|(b, n)| format!("{b} ({n})")).collect();
        let more = branches.len().saturating_sub(shown.len());
        let more = if more > 0 { format!(" and {more} more") } else { String::new() };
        let _ = writeln!(out, ", no branch manager on file for branch {}{more}", shown.join(", "));
    }
    out
}

fn pct(x: Option<f64>) -> String {
    x.map_or("n/a".into(), |v| format!("{:.1}%", v * 100.0))
}

fn figures_line(f: &Figures) -> String {
    format!(
        "defaulters {}, warned before first DPD {}, before 90 DPD {}, median lead {} days, red alerts {} (precision {}), \
         false alerts {} per 1,000 loan-months",
        f.defaulters,
        pct(f.recall_before_first_dpd),
        pct(f.recall_before_90dpd),
        f.median_lead_days.map_or("n/a".into(), |d| format!("{d:.0}")),
        f.red_alerts,
        pct(f.red_precision),
        f.false_alerts_per_1000_loan_months.map_or("n/a".into(), |v| format!("{v:.1}")),
    )
}

/// The evaluation as text.
pub fn evaluation_text(e: &Evaluation) -> String {
    let mut out = format!(
        "monitoring evaluated {} to {}: {} alerts over {:.0} loan-months\n",
        e.from, e.to, e.alerts, e.loan_months
    );
    let _ = writeln!(out, "{}", figures_line(&e.figures));
    for t in &e.tiers {
        let _ = writeln!(
            out,
            "  {:<6} alerts {:>6}  precision {:>6}  recall {:>6}",
            t.tier.code(),
            t.alerts,
            pct(t.precision),
            pct(t.recall)
        );
    }
    for s in &e.scenarios {
        let _ = writeln!(
            out,
            "{} {}: {} borrowers hit, alerted {}, precision {}; {}",
            s.scenario,
            s.description,
            s.borrowers_hit,
            pct(s.recall_any_alert),
            pct(s.precision),
            figures_line(&s.figures)
        );
        if let Some((flagged, ring)) = s.ring_flagged_within_30_days {
            let _ = writeln!(out, "   ring: {flagged} of {ring} households flagged within 30 days of their diversion");
        }
    }
    out
}
