//! Properties every fitted binning must have, whatever the data: the event-rate trend it reports, the minimum
//! share and counts per bin, the bin limit, and agreement between the fitted counts and the row → bin lookup.

use proptest::prelude::*;
use scoring::binning::{Bin, BinKind, Binning, BinningConfig, Trend};
use scoring::data::{Column, MISSING_CODE};

/// Checks the invariants of `b` fitted on `column` and `target` under `config`.
fn check(b: &Binning, column: &Column, target: &[u8], config: &BinningConfig) -> Result<(), TestCaseError> {
    let regular = &b.bins()[..b.regular_bins()];
    let n = target.len() as f64;
    prop_assert!(regular.len() <= config.max_bins);
    if regular.len() > 1 {
        for bin in regular {
            prop_assert!(bin.rows() as f64 >= config.min_bin_share * n - 1e-9, "share: {bin:?}");
            prop_assert!(bin.bads >= config.min_bads.max(1) && bin.goods >= config.min_goods.max(1), "counts: {bin:?}");
        }
    }
    // The reported trend holds strictly on the regular bins' event rates.
    let rates: Vec<f64> = regular.iter().filter_map(Bin::event_rate).collect();
    let steps: Vec<bool> = rates.windows(2).map(|w| w[1] > w[0]).collect();
    prop_assert!(rates.windows(2).all(|w| w[0] != w[1]), "ties {rates:?}");
    let turns = steps.windows(2).filter(|w| w[0] != w[1]).count();
    // One bin fits every trend; the binning then reports the trend asked for.
    match b.trend() {
        _ if rates.len() <= 1 => {}
        Trend::Ascending => prop_assert!(steps.iter().all(|&up| up), "{rates:?}"),
        Trend::Descending => prop_assert!(steps.iter().all(|&up| !up), "{rates:?}"),
        Trend::Peak => prop_assert!(turns == 1 && steps[0], "peak {rates:?}"),
        Trend::Valley => prop_assert!(turns == 1 && !steps[0], "valley {rates:?}"),
        other => prop_assert!(false, "a fitted trend is never {other:?}"),
    }
    // Counts agree with the lookup applied to the training rows.
    let assigned = b.assign(column).expect("same kind");
    let mut recount = vec![(0u64, 0u64); b.bins().len()];
    for (&bin, &y) in assigned.iter().zip(target) {
        if y == 1 {
            recount[bin].1 += 1;
        } else {
            recount[bin].0 += 1;
        }
    }
    for (bin, &(goods, bads)) in b.bins().iter().zip(&recount) {
        prop_assert_eq!((bin.goods, bin.bads), (goods, bads), "{:?}", bin);
    }
    // IV is the sum over bins and never negative; WoE is finite.
    let iv: f64 = b.bins().iter().map(|bin| bin.iv).sum();
    prop_assert!((iv - b.iv()).abs() < 1e-9 && b.iv() >= 0.0);
    prop_assert!(b.bins().iter().all(|bin| bin.woe.is_finite()));
    prop_assert_eq!(b.bins()[b.missing_bin()].kind.clone(), BinKind::Missing);
    Ok(())
}

fn trend() -> impl Strategy<Value = Trend> {
    prop_oneof![
        Just(Trend::Ascending),
        Just(Trend::Descending),
        Just(Trend::Auto),
        Just(Trend::Peak),
        Just(Trend::Valley),
        Just(Trend::AutoHumps)
    ]
}

fn config() -> impl Strategy<Value = BinningConfig> {
    (2usize..40, 1usize..12, 0.0f64..0.2, 0u64..8, 0u64..8, trend()).prop_map(
        |(max_prebins, max_bins, min_bin_share, min_bads, min_goods, trend)| BinningConfig {
            max_prebins,
            max_bins,
            min_bin_share,
            min_bads,
            min_goods,
            trend,
            special_codes: vec![-1.0],
            rare_level_share: 0.01,
        },
    )
}

/// Rows of (value in a small range so that ties happen, a risk tilt, missing, special code, a coin).
fn rows() -> impl Strategy<Value = Vec<(u16, u8, u8)>> {
    proptest::collection::vec((0u16..300, 0u8..100, 0u8..100), 50..1500)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn numeric_binning_keeps_its_invariants(rows in rows(), config in config(), shape in 0u8..3) {
        let mut values = Vec::new();
        let mut target = Vec::new();
        for &(v, coin, kind) in &rows {
            let x = f64::from(v) / 10.0;
            // Bad rate rising, falling or humped in x, plus noise from the coin.
            let p = match shape {
                0 => x / 30.0,
                1 => 1.0 - x / 30.0,
                _ => 1.0 - (x - 15.0).abs() / 15.0,
            };
            target.push(u8::from(f64::from(coin) / 100.0 < 0.1 + 0.6 * p));
            values.push(match kind {
                0..=4 => f64::NAN,
                5..=7 => -1.0,
                _ => x,
            });
        }
        prop_assume!(target.contains(&1) && target.contains(&0));
        let b = Binning::fit_numeric("x", &values, &target, &config).expect("fits");
        check(&b, &Column::Numeric(values), &target, &config)?;
        prop_assert!(b.special_bin().is_some());
        prop_assert!(b.cuts().windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn categorical_binning_keeps_its_invariants(rows in rows(), config in config()) {
        let levels: Vec<String> = (0..30).map(|i| format!("L{i:02}")).collect();
        let mut codes = Vec::new();
        let mut target = Vec::new();
        for &(v, coin, kind) in &rows {
            let level = u32::from(v % 30);
            let p = f64::from(level * 7 % 30) / 30.0;
            target.push(u8::from(f64::from(coin) / 100.0 < 0.1 + 0.6 * p));
            codes.push(if kind < 5 { MISSING_CODE } else { level });
        }
        prop_assume!(target.contains(&1) && target.contains(&0));
        let config = BinningConfig { trend: Trend::Ascending, ..config };
        let b = Binning::fit_categorical("c", &levels, &codes, &target, &config).expect("fits");
        check(&b, &Column::Categorical { levels: levels.clone(), codes }, &target, &config)?;
        prop_assert!(b.special_bin().is_none());
    }
}
