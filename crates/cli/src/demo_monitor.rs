//! The demo's post-loan monitoring: the simulated county's whole horizon run day by day into the alert register, the
//! alert board, one alert with its evidence, and the figures against the planted shocks.

use std::path::Path;

use app::monitoring::{DayProgress, load_book, run, score, stored_spans};
use domain::Clock;
use store::AlertRegister;
use store::alerts::AlertFilter;

use crate::demo::data_dir;
use crate::error::CliError;
use crate::{SystemClock, emit};

/// Runs monitoring over the demo county and prints what a risk manager sees.
pub async fn monitoring(dir: &Path) -> Result<(), CliError> {
    emit("\n6. Post-loan monitoring: every day of the county's horizon, tiered alerts with their evidence\n\n")?;
    let store = store::SqliteStore::open(&data_dir(dir)).await?;
    let result = show(&store, dir).await;
    store.close().await;
    result
}

async fn show(store: &store::SqliteStore, dir: &Path) -> Result<(), CliError> {
    let config = monitor::MonitorConfig::default();
    let book = load_book(store, &config, SystemClock.today()).await?;
    let Some((from, to)) = book.span() else { return Ok(()) };
    let started = std::time::Instant::now();
    let mut next_month = None;
    let mut progress = |p: DayProgress| {
        use chrono::Datelike;
        let month = (p.day.year(), p.day.month());
        if next_month != Some(month) && p.day.day() == 1 && p.day.month() % 6 == 1 {
            next_month = Some(month);
            let _ = emit(&format!("   {}  {:>5} alerts open\n", p.day, p.open));
        }
    };
    let report = run(store, &book, from, to, &config, SystemClock.now(), &mut progress).await?;
    emit(&format!(
        "\n   {} days from {from} to {to} in {:.0} s: {} alerts raised, {} re-tiered, {} resolved, {} open at the end\n\n",
        report.days_run,
        started.elapsed().as_secs_f64(),
        report.raised,
        report.retiered,
        report.resolved,
        report.open_after
    ))?;
    emit("   The alert board (red first, then the oldest):\n")?;
    let filter = AlertFilter { status: Some(monitor::Status::Open), ..AlertFilter::default() };
    let board = store.alert_board(&filter, None, 8).await?;
    for a in &board.alerts {
        let reason = a.raised.evidence["reasons_zh"][0].as_str().unwrap_or("");
        emit(&format!(
            "   #{:<6} {} {:<18} {} {} due {}  {}\n",
            a.alert_id,
            a.raised.tier.label_zh(),
            a.raised.cause.label_zh(),
            a.raised.household_id.as_str(),
            a.raised.branch,
            a.raised.due_on,
            reason
        ))?;
    }
    if let Some(a) = board.alerts.first() {
        let actions: Vec<&str> = a.raised.actions.iter().map(|x| x.label_zh()).collect();
        let evidence = serde_json::to_string_pretty(&a.raised.evidence).map_err(|e| CliError::Internal(e.into()))?;
        emit(&format!(
            "\n   Alert #{} ({}, {}), raised {} under configuration v{}; recommended: {}\n   evidence: {}\n",
            a.alert_id,
            a.raised.tier.label_en(),
            a.raised.cause.label_en(),
            a.raised.raised_on,
            a.raised.config_version,
            actions.join("、"),
            evidence.replace('\n', "\n   ")
        ))?;
    }
    let scenarios = app::monitoring::read_truth(&dir.join("county"))?;
    let spans = stored_spans(store).await?;
    let e = score(&book, &spans, &scenarios, from, to);
    emit(&format!("\n   Against the simulator's truth: {}", crate::monitor::evaluation_text(&e)))?;

    emit(&format!("\n7. The portfolio on {to}: quality, expected credit loss, provisions and concentration\n\n"))?;
    let loaded = app::portfolio::load(store, to, 2).await?;
    let report = loaded.report(&portfolio::Config::default())?;
    emit(&portfolio::render::table(&report))?;
    let page = dir.join("portfolio.html");
    app::files::write_atomically(&page, &portfolio::render::html(&report), "out")?;
    emit(&format!("\n   The same report as one self-contained page with its charts: {}\n", page.display()))?;
    Ok(())
}
