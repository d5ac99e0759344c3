//! Scorecard benchmark on the public credit datasets: five-fold AUC and KS against the stored folds, fit time per
//! fold and scoring throughput. Run with `cargo bench -p scoring --bench scorecard`.
//!
//! The datasets are read from `data/credit` in the workspace (override with `AGRIRISK_CREDIT_DATA`). The
//! environment variable `SCORECARD_CONFIG` may hold a JSON [`ScorecardConfig`] (missing fields take the defaults) to
//! compare settings; `SCORECARD_DATASETS` a comma-separated subset of dataset names.

use std::time::Instant;

mod common;
use common::{data_dir, median};
use scoring::metrics::mean_sd;

use scoring::data::{Frame, read_csv, read_folds};
use scoring::metrics::{auc, ks};
use scoring::scorecard::{FeatureStatus, Scorecard, ScorecardConfig};

/// Fits per fold are repeated this many times and the median kept, to damp noise on a shared machine.
const FIT_REPEATS: usize = 5;
/// Rows scored in the throughput measurement.
const SCORE_ROWS: usize = 2_000_000;

fn base_config() -> ScorecardConfig {
    match std::env::var("SCORECARD_CONFIG") {
        Ok(json) => serde_json::from_str(&json).expect("SCORECARD_CONFIG is a JSON ScorecardConfig"),
        Err(_) => ScorecardConfig::default(),
    }
}

fn config_for(dataset: &str) -> ScorecardConfig {
    let mut config = base_config();
    common::special_codes(dataset, &mut config);
    config
}

fn main() {
    let dir = data_dir();
    let wanted = std::env::var("SCORECARD_DATASETS").ok();
    println!("scorecard benchmark: data from {}", dir.display());
    let mut table = Vec::new();
    for name in ["german", "taiwan_sample", "bloan"] {
        if wanted.as_deref().is_some_and(|w| !w.split(',').any(|x| x == name)) {
            continue;
        }
        let mut frame = read_csv(&dir.join(format!("{name}.csv"))).expect("dataset reads");
        let target = frame.take_target("bad").expect("binary target");
        let folds = read_folds(&dir.join(format!("{name}.folds.csv")), frame.rows()).expect("folds read");
        let config = config_for(name);
        let (mut aucs, mut kss, mut fit_ms, mut selected) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for fold in 0..5u8 {
            let train: Vec<usize> = (0..frame.rows()).filter(|&i| folds[i] != fold).collect();
            let test: Vec<usize> = (0..frame.rows()).filter(|&i| folds[i] == fold).collect();
            let (train_frame, test_frame) = (frame.take(&train), frame.take(&test));
            let train_y: Vec<u8> = train.iter().map(|&i| target[i]).collect();
            let test_y: Vec<u8> = test.iter().map(|&i| target[i]).collect();
            let mut times = Vec::new();
            let mut card = None;
            for _ in 0..FIT_REPEATS {
                let started = Instant::now();
                card = Some(Scorecard::fit(&train_frame, &train_y, &config).expect("scorecard fits"));
                times.push(started.elapsed().as_secs_f64() * 1e3);
            }
            let card = card.expect("fitted at least once");
            let pd = card.predict_pd(&test_frame).expect("scores");
            aucs.push(auc(&pd, &test_y).expect("both classes"));
            kss.push(ks(&pd, &test_y).expect("both classes"));
            fit_ms.push(median(&times));
            selected.push(card.features().len());
            if fold == 0 {
                for w in card.warnings() {
                    println!("  {name}: warning: {w}");
                }
                let dropped: Vec<String> = card
                    .report()
                    .iter()
                    .filter(|r| r.status != FeatureStatus::Selected)
                    .map(|r| format!("{} ({:?}, IV {:.3})", r.feature, r.status, r.iv))
                    .collect();
                println!("  {name}: fold 0 dropped: {}", dropped.join(", "));
            }
        }
        // Throughput: score a frame of SCORE_ROWS rows made by repeating the dataset.
        let card = Scorecard::fit(&frame, &target, &config).expect("scorecard fits");
        let index: Vec<usize> = (0..SCORE_ROWS).map(|i| i % frame.rows()).collect();
        let big: Frame = frame.take(&index);
        let started = Instant::now();
        let scores = card.score(&big).expect("scores");
        let score_rate = SCORE_ROWS as f64 / started.elapsed().as_secs_f64();
        let started = Instant::now();
        let pds = card.predict_pd(&big).expect("scores");
        let pd_rate = SCORE_ROWS as f64 / started.elapsed().as_secs_f64();
        assert_eq!(scores.len(), pds.len());
        let (auc_m, auc_s) = mean_sd(&aucs);
        let (ks_m, ks_s) = mean_sd(&kss);
        let folds_text: Vec<String> = aucs.iter().map(|a| format!("{a:.4}")).collect();
        println!(
            "  {name}: AUC by fold {} | features selected {:?} | fit ms by fold {:?}",
            folds_text.join(" "),
            selected,
            fit_ms.iter().map(|t| (t * 10.0).round() / 10.0).collect::<Vec<_>>()
        );
        table.push(format!(
            "| {name} | {auc_m:.4} ± {auc_s:.4} | {ks_m:.4} ± {ks_s:.4} | {:.1} | {:.1} M | {:.1} M |",
            median(&fit_ms),
            score_rate / 1e6,
            pd_rate / 1e6
        ));
    }
    println!();
    println!("| dataset | AUC mean ± sd | KS mean ± sd | fit ms per fold (median) | score rows/s | PD rows/s |");
    println!("|---|---|---|---|---|---|");
    for row in table {
        println!("{row}");
    }
}
