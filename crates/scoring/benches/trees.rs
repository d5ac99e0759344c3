//! Benchmark of our gradient-boosted trees on the three public credit datasets, with the committed folds: 5-fold
//! AUC and KS (mean ± sd), single-thread fit time per fold (median) and prediction speed.
//!
//! Run with `cargo bench -p scoring --bench trees`, and `benches/lightgbm_baseline.py` in the same session for
//! LightGBM on the same folds (time ratios only mean something within one session). The datasets are read from
//! `data/credit` in the workspace, or from the folder in `$AGRIRISK_CREDIT_DATA`.

use std::time::Instant;

mod common;
use common::{data_dir, median};
use scoring::metrics::mean_sd;

use scoring::data::Frame;
use scoring::data::{read_csv, read_folds};
use scoring::metrics::{auc, ks};
use scoring::trees::{EarlyStopping, Gbdt, GbdtParams};

fn main() {
    // `cargo bench` passes `--bench`; a name filter may follow.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let dir = data_dir();
    let defaults = GbdtParams::default();
    let no_refit = GbdtParams {
        early_stopping: Some(EarlyStopping { rounds: 50, validation_fraction: 0.2, refit: false }),
        ..GbdtParams::default()
    };
    println!("| dataset | model | AUC mean ± sd | KS mean ± sd | fit s per fold (median) | predict rows/s | trees |");
    println!("|---|---|---|---|---|---|---|");
    for name in ["german", "taiwan_sample", "bloan"] {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        let mut frame = read_csv(&dir.join(format!("{name}.csv"))).expect("dataset readable");
        let target = frame.take_target("bad").expect("target column");
        let folds = read_folds(&dir.join(format!("{name}.folds.csv")), frame.rows()).expect("folds readable");
        for (label, params) in [("gbdt", &defaults), ("gbdt_no_refit", &no_refit)] {
            run(name, label, params, &frame, &target, &folds);
        }
    }
}

/// 5-fold cross-validation of one configuration, printed as a table row (fold AUCs to stderr).
fn run(name: &str, label: &str, params: &GbdtParams, frame: &Frame, target: &[u8], folds: &[u8]) {
    let (mut aucs, mut kss, mut fits, mut rates, mut trees) = (vec![], vec![], vec![], vec![], vec![]);
    for k in 0..5u8 {
        let train: Vec<usize> = (0..frame.rows()).filter(|&i| folds[i] != k).collect();
        let test: Vec<usize> = (0..frame.rows()).filter(|&i| folds[i] == k).collect();
        let train_frame = frame.take(&train);
        let train_y: Vec<u8> = train.iter().map(|&i| target[i]).collect();
        let test_frame = frame.take(&test);
        let test_y: Vec<u8> = test.iter().map(|&i| target[i]).collect();
        let start = Instant::now();
        let model = Gbdt::fit(params, &train_frame, &train_y, None).expect("training succeeds");
        fits.push(start.elapsed().as_secs_f64());
        trees.push(model.summary().trees_kept as f64);
        // Repeat prediction until it has run for a while, for a stable rate.
        let start = Instant::now();
        let mut scored = 0usize;
        let mut p = Vec::new();
        while scored < 1_000 || start.elapsed().as_secs_f64() < 0.2 {
            p = model.predict_proba(&test_frame).expect("scoring succeeds");
            scored += test.len();
        }
        rates.push(scored as f64 / start.elapsed().as_secs_f64());
        aucs.push(auc(&p, &test_y).expect("both classes"));
        kss.push(ks(&p, &test_y).expect("both classes"));
    }
    let (a, a_sd) = mean_sd(&aucs);
    let (s, s_sd) = mean_sd(&kss);
    println!(
        "| {name} | {label} | {a:.4} ± {a_sd:.4} | {s:.4} ± {s_sd:.4} | {:.3} | {:.0} | {:.0} |",
        median(&fits),
        median(&rates),
        median(&trees)
    );
    let folds: Vec<String> = aucs.iter().map(|a| format!("{a:.4}")).collect();
    eprintln!("    folds AUC {}", folds.join(" "));
}
