//! How the scorecard defaults were chosen: a grid of settings scored by cross-validation *inside* the training
//! folds only, never by the test fold.
//!
//! For outer test fold k, each other fold j is validated in turn by a scorecard fitted on the three folds that are
//! neither k nor j; a setting's inner score for k is the mean validation AUC. The default is the setting with the
//! best inner score averaged over outer folds and datasets. The nested estimate then picks, for each outer fold k,
//! the setting with the best inner score for k, fits it on all four training folds and tests it on fold k: the
//! honest AUC of "tune by inner CV, then fit".
//!
//! Run: `cargo run --release -p scoring --example tune_defaults` (data as for the benchmark: `AGRIRISK_CREDIT_DATA`
//! or `data/credit` in the workspace).

#[path = "../benches/common/mod.rs"]
mod common;
use common::data_dir;

use scoring::binning::Trend;
use scoring::data::{read_csv, read_folds};
use scoring::metrics::auc;
use scoring::scorecard::{Scorecard, ScorecardConfig};

struct Dataset {
    name: &'static str,
    frame: scoring::data::Frame,
    target: Vec<u8>,
    folds: Vec<u8>,
}

/// AUC on rows `test` of a scorecard fitted on rows `train`.
fn fit_and_test(d: &Dataset, config: &ScorecardConfig, train: &[usize], test: &[usize]) -> f64 {
    let mut config = config.clone();
    common::special_codes(d.name, &mut config);
    let y: Vec<u8> = train.iter().map(|&i| d.target[i]).collect();
    let card = Scorecard::fit(&d.frame.take(train), &y, &config).expect("fits");
    let pd = card.predict_pd(&d.frame.take(test)).expect("scores");
    let yt: Vec<u8> = test.iter().map(|&i| d.target[i]).collect();
    auc(&pd, &yt).expect("both classes")
}

fn grid() -> Vec<(String, ScorecardConfig)> {
    let mut out = Vec::new();
    for min_bin_share in [0.02, 0.03, 0.04, 0.05] {
        for max_prebins in [20, 30, 50] {
            for trend in [Trend::Auto, Trend::AutoHumps] {
                for min_iv in [0.0, 0.01, 0.02] {
                    for l2 in [0.3, 1.0, 3.0] {
                        let mut c = ScorecardConfig::default();
                        c.binning.min_bin_share = min_bin_share;
                        c.binning.max_prebins = max_prebins;
                        c.binning.max_bins = 10;
                        c.binning.trend = trend;
                        c.min_iv = min_iv;
                        c.logistic.l2 = l2;
                        let label =
                            format!("share {min_bin_share} prebins {max_prebins} {trend:?} min_iv {min_iv} l2 {l2}");
                        out.push((label, c));
                    }
                }
            }
        }
    }
    out
}

fn main() {
    let dir = data_dir();
    let datasets: Vec<Dataset> = ["german", "taiwan_sample", "bloan"]
        .into_iter()
        .map(|name| {
            let mut frame = read_csv(&dir.join(format!("{name}.csv"))).expect("reads");
            let target = frame.take_target("bad").expect("target");
            let folds = read_folds(&dir.join(format!("{name}.folds.csv")), frame.rows()).expect("folds");
            Dataset { name, frame, target, folds }
        })
        .collect();
    let grid = grid();
    // inner[c][d][k]: inner-CV AUC of setting c on dataset d for outer fold k.
    let mut inner = vec![vec![[0.0f64; 5]; datasets.len()]; grid.len()];
    for (c, (_, config)) in grid.iter().enumerate() {
        for (di, d) in datasets.iter().enumerate() {
            let mut pair_auc = [[0.0f64; 5]; 5]; // [validated fold][other left-out fold]
            for a in 0..5u8 {
                for b in a + 1..5u8 {
                    let train: Vec<usize> =
                        (0..d.frame.rows()).filter(|&i| d.folds[i] != a && d.folds[i] != b).collect();
                    for (v, other) in [(a, b), (b, a)] {
                        let test: Vec<usize> = (0..d.frame.rows()).filter(|&i| d.folds[i] == v).collect();
                        pair_auc[v as usize][other as usize] = fit_and_test(d, config, &train, &test);
                    }
                }
            }
            for k in 0..5 {
                inner[c][di][k] = (0..5).filter(|&j| j != k).map(|j| pair_auc[j][k]).sum::<f64>() / 4.0;
            }
        }
        eprint!("\r{}/{} settings", c + 1, grid.len());
    }
    eprintln!();
    let overall = |c: usize| -> f64 {
        inner[c].iter().map(|per_fold| per_fold.iter().sum::<f64>() / 5.0).sum::<f64>() / datasets.len() as f64
    };
    let mut ranked: Vec<usize> = (0..grid.len()).collect();
    ranked.sort_by(|&a, &b| overall(b).total_cmp(&overall(a)));
    println!("Top settings by inner-CV AUC (mean over outer folds; german, taiwan_sample, bloan, mean):");
    for &c in ranked.iter().take(15) {
        let per: Vec<String> = inner[c].iter().map(|f| format!("{:.4}", f.iter().sum::<f64>() / 5.0)).collect();
        println!("  {:<60} {} {:.4}", grid[c].0, per.join(" "), overall(c));
    }
    let default = ScorecardConfig::default();
    if let Some(c) = grid.iter().position(|(_, g)| *g == default) {
        println!("  current default: {} rank {}", grid[c].0, ranked.iter().position(|&r| r == c).unwrap_or(0) + 1);
    }
    // Nested estimate.
    println!("Nested: per outer fold, the setting with the best inner score, tested on that fold:");
    let mut outer = vec![Vec::new(); datasets.len()];
    for k in 0..5 {
        let best = (0..grid.len())
            .max_by(|&a, &b| {
                let s = |c: usize| inner[c].iter().map(|f| f[k]).sum::<f64>();
                s(a).total_cmp(&s(b))
            })
            .expect("non-empty grid");
        print!("  fold {k}: {}", grid[best].0);
        for (di, d) in datasets.iter().enumerate() {
            let train: Vec<usize> = (0..d.frame.rows()).filter(|&i| d.folds[i] != k as u8).collect();
            let test: Vec<usize> = (0..d.frame.rows()).filter(|&i| d.folds[i] == k as u8).collect();
            let a = fit_and_test(d, &grid[best].1, &train, &test);
            outer[di].push(a);
            print!(" | {} {a:.4}", d.name);
        }
        println!();
    }
    for (di, d) in datasets.iter().enumerate() {
        let m = outer[di].iter().sum::<f64>() / 5.0;
        println!("  nested AUC {}: {m:.4}", d.name);
    }
}
