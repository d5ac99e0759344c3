//! `agririsk model …`: the command-line face of the service layer's `app::models` (train, evaluate, score, report,
//! import, stability and the registry): it draws the progress bar and prints summaries, tables and JSON.

use std::path::Path;

use app::models::{self, Fairness, ImportFormat, StabilityReport, TrainRequest};
use scoring::artifact::Artifact;
use scoring::pipeline::Step;

use crate::Place;
use crate::error::CliError;
use crate::{SystemClock, emit, print_json, with_store};

/// `agririsk model train`.
pub fn train_command(request: &TrainRequest, quiet: bool) -> Result<(), CliError> {
    let bar = progress_bar(quiet);
    let artifact = models::train(request, &SystemClock, &mut |step: Step| {
        bar.set_length(step.total as u64);
        bar.set_position(step.done as u64);
        bar.set_message(step.label);
    });
    bar.finish_and_clear();
    let artifact = artifact?;
    if !quiet {
        emit(&summary(&artifact, &request.out))?;
    }
    Ok(())
}

fn progress_bar(quiet: bool) -> indicatif::ProgressBar {
    if quiet {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(1);
    if let Ok(style) = indicatif::ProgressStyle::with_template("training {msg} [{bar:30}] {pos}/{len}, {elapsed}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    bar
}

/// A few lines about a written artifact.
pub fn summary(a: &Artifact, out: &Path) -> String {
    let mut s = format!(
        "model {} ({}, {} inputs) written to {}\n  id {}\n",
        a.name,
        a.kind,
        a.inputs.len(),
        out.display(),
        a.content_hash
    );
    for m in &a.metrics {
        let sd = if m.auc_sd > 0.0 { format!(" ± {:.4}", m.auc_sd) } else { String::new() };
        s.push_str(&format!("  {:<28} AUC {:.4}{sd}  KS {:.4}  Brier {:.4}\n", m.on, m.auc, m.ks, m.brier));
    }
    for w in &a.warnings {
        s.push_str(&format!("  warning: {w}\n"));
    }
    s
}

/// `agririsk model evaluate`.
pub fn evaluate_command(
    model: &Path,
    data: &Path,
    target: &str,
    fairness: Option<Fairness>,
    json: bool,
) -> Result<(), CliError> {
    let (artifact, e) = models::evaluate_file(model, data, target, fairness.as_ref())?;
    if json {
        return print_json(&e);
    }
    let mut s = format!(
        "model {} ({}) on {} rows, bad rate {:.2}%\n  AUC {:.4}  KS {:.4}  Gini {:.4}  Brier {:.4}  log-loss {:.4}\n",
        artifact.name,
        artifact.kind,
        e.rows,
        e.bad_rate * 100.0,
        e.auc,
        e.ks,
        e.gini,
        e.brier,
        e.log_loss
    );
    s.push_str("  calibration by PD band:\n      rows     bads  mean PD  observed\n");
    for b in &e.calibration {
        s.push_str(&format!("  {:>8} {:>8} {:>8.4} {:>9.4}\n", b.rows, b.bads, b.mean_predicted, b.observed_rate));
    }
    if let (Some(f), Some(Fairness { column, .. })) = (&e.fairness, &fairness) {
        s.push_str(&format!("  fairness by {column}, approving PD ≤ {}:\n", f.cutoff));
        let width = f.groups.iter().map(|g| unicode_width::UnicodeWidthStr::width(g.group.as_str())).max().unwrap_or(0);
        for g in &f.groups {
            let tpr = g.true_positive_rate.map_or("-".into(), |t| format!("{:.1}%", t * 100.0));
            let pad = " ".repeat(width - unicode_width::UnicodeWidthStr::width(g.group.as_str()));
            s.push_str(&format!(
                "    {}{pad} {:>7} rows  approved {:>5.1}%  goods approved {tpr}\n",
                g.group,
                g.rows,
                g.approval_rate * 100.0
            ));
        }
        let ratio = f.approval_ratio.map_or("-".into(), |r| format!("{r:.2}"));
        let verdict = if f.passes_four_fifths { "passes" } else { "fails" };
        s.push_str(&format!(
            "    approval ratio {ratio} ({verdict} the four-fifths rule); true-positive-rate gap {:.1} points\n",
            f.tpr_gap * 100.0
        ));
    }
    emit(&s)
}

/// `agririsk model import`: prints the imported artifact's summary.
pub fn import_command(file: &Path, format: ImportFormat, name: Option<&str>, out: &Path) -> Result<(), CliError> {
    let artifact = models::import(file, format, name, out, &SystemClock)?;
    emit(&summary(&artifact, out))
}

/// `agririsk model register`: the artifact is checked (format, version, hash) before the store is opened.
pub async fn register_command(at: &Place, model: &Path) -> Result<(), CliError> {
    let artifact = models::load_artifact(model)?;
    let summary = with_store(at, async |store| {
        let by = store.acting_as().actor.clone();
        models::register(store, &artifact, &by, &SystemClock).await
    })
    .await?;
    emit(&format!("model {} ({}, {}) is {}\n", summary.name, summary.kind, summary.id, summary.status))
}

/// `agririsk model list`.
pub async fn list_command(at: &Place, name: Option<&str>, json: bool) -> Result<(), CliError> {
    let models = with_store(at, async |store| models::list(store, name).await).await?;
    if json {
        return print_json(&models);
    }
    use crate::table::{Align, Table};
    let mut table = Table::new(&[
        ("name", Align::Left),
        ("kind", Align::Left),
        ("status", Align::Left),
        ("created", Align::Left),
        ("id", Align::Left),
    ]);
    for m in &models {
        table.row(vec![m.name.clone(), m.kind.clone(), m.status.to_string(), m.created_at.clone(), m.id.clone()]);
    }
    if table.is_empty() {
        return emit("no models registered\n");
    }
    emit(&table.render())
}

/// `agririsk model stability`.
pub fn stability_command(model: &Path, expected: &Path, actual: &Path, json: bool) -> Result<(), CliError> {
    let (artifact, report): (Artifact, StabilityReport) = models::stability(model, expected, actual)?;
    if json {
        return print_json(&report);
    }
    let mut s = format!(
        "model {} from {} to {}\n  PSI of the PD {:.4} ({})\n",
        artifact.name,
        expected.display(),
        actual.display(),
        report.score_psi.index,
        models::drift(report.score_psi.index)
    );
    let width = report.features.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    for (name, st) in &report.features {
        s.push_str(&format!("  {name:<width$}  {:.4} ({})\n", st.index, models::drift(st.index)));
    }
    emit(&s)
}
