//! Optimal binning of one feature against a binary target, and its weight of evidence (WoE).
//!
//! A numeric feature is cut into quantile pre-bins on its distinct values; a categorical feature's levels are ordered
//! by event (bad) rate, rare levels pooled into one "other" group first. An exact dynamic programme then merges
//! adjacent pre-bins into the partition of largest information value (IV) whose event rate follows the required
//! trend (ascending, descending, peak or valley) and whose every bin holds a minimum share of the rows and minimum
//! numbers of bads and goods, with at most `max_bins` bins. Missing values get a bin of their own, and so do the
//! configured special codes of a numeric feature (such as 96 and 98 in the bureau counts of `bloan`).
//!
//! **Convention.** WoE = ln(share of all bads in the bin / share of all goods in the bin), so that a *positive* WoE
//! marks a riskier than average bin and a logistic model of P(bad) on WoE columns expects positive coefficients.
//! IV = Σ (bad share − good share) · WoE (Siddiqi, *Credit Risk Scorecards*, 2006, ch. 6). A bin with no bads or no
//! goods is smoothed by adding 0.5 to both of its counts; an empty bin (say, missing values never seen in training)
//! has WoE 0, the population average.
//!
//! **Unseen values.** A number always falls in some interval. A categorical level not seen in training goes to the
//! bin holding the pooled rare levels when there is one (an unseen level is rarer still), otherwise to the riskiest
//! regular bin, the cautious choice for a lender.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::data::{Column, MISSING_CODE};

/// Required shape of the event rate along the ordered bins of a numeric feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Trend {
    /// Event rate strictly increasing with the value.
    Ascending,
    /// Event rate strictly decreasing with the value.
    Descending,
    /// Whichever of ascending and descending reaches the larger IV.
    #[default]
    Auto,
    /// Increasing, then decreasing (either part may be empty).
    Peak,
    /// Decreasing, then increasing (either part may be empty).
    Valley,
}

/// Constraints and choices for fitting a [`Binning`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinningConfig {
    /// Most quantile pre-bins of a numeric feature (fewer when it has fewer distinct values).
    pub max_prebins: usize,
    /// Most regular bins (missing and special bins not counted).
    pub max_bins: usize,
    /// Least share of all rows in each regular bin, in `[0, 0.5]`.
    pub min_bin_share: f64,
    /// Least number of bads in each regular bin (at least 1 is always required).
    pub min_bads: u64,
    /// Least number of goods in each regular bin (at least 1 is always required).
    pub min_goods: u64,
    /// Event-rate trend of a numeric feature (a categorical feature is ordered by event rate, so always ascending).
    pub trend: Trend,
    /// Numeric codes with a meaning of their own (such as "not applicable"), binned apart from the numbers.
    pub special_codes: Vec<f64>,
    /// Categorical levels with a smaller share of rows than this are pooled into one "other" group before merging.
    pub rare_level_share: f64,
}

impl Default for BinningConfig {
    fn default() -> Self {
        BinningConfig {
            max_prebins: 20,
            max_bins: 8,
            min_bin_share: 0.05,
            min_bads: 5,
            min_goods: 5,
            trend: Trend::Auto,
            special_codes: Vec::new(),
            rare_level_share: 0.01,
        }
    }
}

/// What a bin holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BinKind {
    /// Numbers in `[lower, upper)` (the first bin is open below, the last above).
    Interval,
    /// A group of categorical levels (possibly with the pooled rare levels).
    Levels,
    /// Missing values.
    Missing,
    /// The configured special codes.
    Special,
}

/// One fitted bin with its training counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bin {
    /// Human-readable description: `[26, 40)`, `A14, A11`, `Missing`, `Special`.
    pub label: String,
    /// What the bin holds.
    pub kind: BinKind,
    /// Training goods (target 0) in the bin.
    pub goods: u64,
    /// Training bads (target 1) in the bin.
    pub bads: u64,
    /// Weight of evidence: ln(bad share / good share), smoothed (see the module docs).
    pub woe: f64,
    /// The bin's part of the feature's information value.
    pub iv: f64,
}

impl Bin {
    /// Training rows in the bin.
    pub fn rows(&self) -> u64 {
        self.goods + self.bads
    }

    /// Observed bad rate, `None` for an empty bin.
    pub fn event_rate(&self) -> Option<f64> {
        (self.rows() > 0).then(|| self.bads as f64 / self.rows() as f64)
    }
}

/// How raw values map to bins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Rule {
    /// Regular bin `i` holds `cuts[i-1] <= x < cuts[i]`.
    Numeric { cuts: Vec<f64>, special_codes: Vec<f64> },
    /// Level name → bin; levels absent here go to `unseen_bin`.
    Categorical { level_bins: BTreeMap<String, usize>, unseen_bin: usize },
}

/// A fitted binning of one feature: maps any raw value to a bin and its WoE.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Binning {
    feature: String,
    rule: Rule,
    /// Regular bins in order, then the missing bin, then (numeric with special codes) the special bin.
    bins: Vec<Bin>,
    regular_bins: usize,
    trend: Trend,
    iv: f64,
}

/// Why a binning could not be fitted or applied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BinningError {
    /// The configuration is out of range.
    #[error("binning configuration: {0}")]
    Config(String),
    /// The feature and the target differ in length.
    #[error("feature '{feature}': {rows} values for {targets} targets")]
    Length {
        /// The feature.
        feature: String,
        /// Its number of values.
        rows: usize,
        /// The number of targets.
        targets: usize,
    },
    /// The target has no bads or no goods.
    #[error("feature '{feature}': the target needs both classes to bin against")]
    OneClass {
        /// The feature.
        feature: String,
    },
    /// A column of the other kind was given to a fitted binning.
    #[error("feature '{feature}': binned as {expected} but the column is {found}")]
    Kind {
        /// The feature.
        feature: String,
        /// The kind it was fitted on.
        expected: &'static str,
        /// The kind it was given.
        found: &'static str,
    },
}

impl BinningConfig {
    /// Checks that every field is in range.
    pub fn validate(&self) -> Result<(), BinningError> {
        let err = |m: &str| Err(BinningError::Config(m.into()));
        if self.max_prebins == 0 || self.max_prebins > 1000 {
            return err("max_prebins must be in 1..=1000");
        }
        if self.max_bins == 0 || self.max_bins > 100 {
            return err("max_bins must be in 1..=100");
        }
        if !(0.0..=0.5).contains(&self.min_bin_share) {
            return err("min_bin_share must be in [0, 0.5]");
        }
        if !(0.0..=0.5).contains(&self.rare_level_share) {
            return err("rare_level_share must be in [0, 0.5]");
        }
        if self.special_codes.iter().any(|c| !c.is_finite()) {
            return err("special codes must be finite numbers");
        }
        Ok(())
    }
}

/// Goods and bads of a run of rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Counts {
    goods: u64,
    bads: u64,
}

impl Counts {
    fn add(&mut self, bad: u8) {
        if bad == 1 {
            self.bads += 1;
        } else {
            self.goods += 1;
        }
    }

    fn rows(self) -> u64 {
        self.goods + self.bads
    }
}

/// Totals of the whole feature sample, against which shares are taken.
#[derive(Debug, Clone, Copy)]
struct Totals {
    goods: f64,
    bads: f64,
}

impl Totals {
    /// WoE and IV of a bin with these counts, smoothed as the module docs say.
    fn woe_iv(self, c: Counts) -> (f64, f64) {
        if c.rows() == 0 {
            return (0.0, 0.0);
        }
        let s = if c.goods == 0 || c.bads == 0 { 0.5 } else { 0.0 };
        let bad_share = (c.bads as f64 + s) / self.bads;
        let good_share = (c.goods as f64 + s) / self.goods;
        let woe = (bad_share / good_share).ln();
        (woe, (bad_share - good_share) * woe)
    }
}

/// Constraints on a regular bin, in counts.
#[derive(Debug, Clone, Copy)]
struct Limits {
    min_rows: f64,
    min_bads: u64,
    min_goods: u64,
    max_bins: usize,
}

impl Limits {
    fn new(config: &BinningConfig, total_rows: usize) -> Limits {
        Limits {
            min_rows: config.min_bin_share * total_rows as f64,
            min_bads: config.min_bads.max(1),
            min_goods: config.min_goods.max(1),
            max_bins: config.max_bins,
        }
    }

    fn admits(&self, c: Counts) -> bool {
        c.rows() as f64 >= self.min_rows - 1e-9 && c.bads >= self.min_bads && c.goods >= self.min_goods
    }
}

/// A monotone shape as a small automaton over "phases": which rate steps are allowed next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Ascending,
    Descending,
    Peak,
    Valley,
}

impl Shape {
    fn phases(self) -> usize {
        match self {
            Shape::Ascending | Shape::Descending => 1,
            Shape::Peak | Shape::Valley => 2,
        }
    }

    /// The phase after a step from event rate `from` to `to`, or `None` when the step breaks the shape.
    fn step(self, phase: usize, from: f64, to: f64) -> Option<usize> {
        let (up, down) = (to > from, to < from);
        match (self, phase) {
            (Shape::Ascending, _) => up.then_some(0),
            (Shape::Descending, _) => down.then_some(0),
            (Shape::Peak, 0) | (Shape::Valley, 1) if up => Some(phase),
            (Shape::Peak, 0) if down => Some(1),
            (Shape::Valley, 0) if down => Some(0),
            (Shape::Valley, 0) if up => Some(1),
            (Shape::Peak, 1) if down => Some(1),
            _ => None,
        }
    }

    fn trend(self) -> Trend {
        match self {
            Shape::Ascending => Trend::Ascending,
            Shape::Descending => Trend::Descending,
            Shape::Peak => Trend::Peak,
            Shape::Valley => Trend::Valley,
        }
    }
}

/// The best partition of ordered units into contiguous groups: exclusive group ends and the total IV.
#[derive(Debug, Clone, PartialEq)]
struct Partition {
    ends: Vec<usize>,
    iv: f64,
}

/// Exact search over all partitions of `units` into contiguous groups admitted by `limits`, with event rates
/// following `shape`, for the largest IV. Dynamic programme over (groups so far, phase, last group `[i, j)`):
/// O(max_bins · phases · n³) for n units, a few hundred thousand steps for 20–50 pre-bins.
fn best_partition(units: &[Counts], totals: Totals, limits: &Limits, shape: Shape) -> Option<Partition> {
    let n = units.len();
    let mut prefix = vec![Counts::default(); n + 1];
    for (i, u) in units.iter().enumerate() {
        prefix[i + 1] = Counts { goods: prefix[i].goods + u.goods, bads: prefix[i].bads + u.bads };
    }
    let span =
        |i: usize, j: usize| Counts { goods: prefix[j].goods - prefix[i].goods, bads: prefix[j].bads - prefix[i].bads };
    let w = n + 1;
    // Per group [i, j): IV (NEG_INFINITY when the group is not admitted) and event rate.
    let mut group_iv = vec![f64::NEG_INFINITY; w * w];
    let mut group_rate = vec![0.0; w * w];
    for i in 0..n {
        for j in i + 1..=n {
            let c = span(i, j);
            if limits.admits(c) {
                group_iv[i * w + j] = totals.woe_iv(c).1;
                group_rate[i * w + j] = c.bads as f64 / c.rows() as f64;
            }
        }
    }
    let phases = shape.phases();
    let layers = limits.max_bins.min(n);
    let at = |k: usize, p: usize, i: usize, j: usize| ((k * phases + p) * w + i) * w + j;
    let mut best = vec![f64::NEG_INFINITY; layers * phases * w * w];
    // Parent of a state: the start of the previous group and its phase.
    let mut parent = vec![(0u32, 0u8); layers * phases * w * w];
    for j in 1..=n {
        best[at(0, 0, 0, j)] = group_iv[j];
    }
    for k in 0..layers.saturating_sub(1) {
        for j in 1..n {
            for i in 0..j {
                for p in 0..phases {
                    let value = best[at(k, p, i, j)];
                    if value == f64::NEG_INFINITY {
                        continue;
                    }
                    let rate = group_rate[i * w + j];
                    for l in j + 1..=n {
                        let iv = group_iv[j * w + l];
                        if iv == f64::NEG_INFINITY {
                            continue;
                        }
                        if let Some(q) = shape.step(p, rate, group_rate[j * w + l]) {
                            let slot = at(k + 1, q, j, l);
                            if value + iv > best[slot] {
                                best[slot] = value + iv;
                                parent[slot] = (i as u32, p as u8);
                            }
                        }
                    }
                }
            }
        }
    }
    // Fewest groups first, so that a tie keeps the simpler partition.
    let mut end: Option<(usize, usize, usize, f64)> = None;
    for k in 0..layers {
        for p in 0..phases {
            for i in 0..n {
                let value = best[at(k, p, i, n)];
                if value > end.map_or(f64::NEG_INFINITY, |e| e.3 + 1e-12) {
                    end = Some((k, p, i, value));
                }
            }
        }
    }
    let (mut k, mut p, mut i, iv) = end?;
    let mut ends = vec![n];
    let mut j = n;
    while k > 0 {
        let (pi, pp) = parent[at(k, p, i, j)];
        ends.push(i);
        j = i;
        i = pi as usize;
        p = usize::from(pp);
        k -= 1;
    }
    ends.reverse();
    Some(Partition { ends, iv })
}

/// Ends (exclusive) of at most `max_prebins` runs of `units` holding about equal numbers of rows. The target size is
/// recomputed after each run, so that a heavy tie (84% zeros in a count of late payments) does not swallow the
/// quantiles meant for the tail.
fn quantile_runs(units: &[Counts], max_prebins: usize) -> Vec<usize> {
    let mut remaining: u64 = units.iter().map(|u| u.rows()).sum();
    let mut parts_left = max_prebins.max(1) as u64;
    let (mut ends, mut run) = (Vec::new(), 0u64);
    for (i, u) in units.iter().enumerate() {
        run += u.rows();
        // Close the run once it holds remaining / parts_left rows: run * parts_left >= remaining.
        if run * parts_left >= remaining || i + 1 == units.len() {
            ends.push(i + 1);
            remaining -= run;
            run = 0;
            parts_left = parts_left.saturating_sub(1).max(1);
        }
    }
    ends
}

/// A short cut point `c` with `below < c <= above`: the midpoint rounded to the fewest decimals that still separate
/// the two values, so labels read `[26, 40)` rather than `[25.5, 39.5)` for whole numbers.
fn nice_cut(below: f64, above: f64) -> f64 {
    let mid = below + (above - below) / 2.0;
    for decimals in -12..=17 {
        let scale = 10f64.powi(decimals);
        let c = (mid * scale).round() / scale;
        if below < c && c <= above {
            return c;
        }
    }
    above
}

fn interval_label(lower: Option<f64>, upper: Option<f64>) -> String {
    match (lower, upper) {
        (None, None) => "(-inf, inf)".into(),
        (None, Some(u)) => format!("(-inf, {u})"),
        (Some(l), None) => format!("[{l}, inf)"),
        (Some(l), Some(u)) => format!("[{l}, {u})"),
    }
}

/// One bin's record from its counts.
fn bin(label: String, kind: BinKind, c: Counts, totals: Totals) -> Bin {
    let (woe, iv) = totals.woe_iv(c);
    Bin { label, kind, goods: c.goods, bads: c.bads, woe, iv }
}

fn check_inputs(feature: &str, rows: usize, target: &[u8], config: &BinningConfig) -> Result<Totals, BinningError> {
    config.validate()?;
    if rows != target.len() {
        return Err(BinningError::Length { feature: feature.into(), rows, targets: target.len() });
    }
    let bads = target.iter().filter(|&&y| y == 1).count();
    if bads == 0 || bads == target.len() {
        return Err(BinningError::OneClass { feature: feature.into() });
    }
    Ok(Totals { goods: (target.len() - bads) as f64, bads: bads as f64 })
}

/// Runs the search for one shape, or for both monotone shapes when `trend` is `Auto`, keeping the larger IV.
fn search(units: &[Counts], totals: Totals, limits: &Limits, trend: Trend) -> (Partition, Trend) {
    let shapes: &[Shape] = match trend {
        Trend::Ascending => &[Shape::Ascending],
        Trend::Descending => &[Shape::Descending],
        Trend::Auto => &[Shape::Ascending, Shape::Descending],
        Trend::Peak => &[Shape::Peak],
        Trend::Valley => &[Shape::Valley],
    };
    let mut found: Option<(Partition, Trend)> = None;
    for &shape in shapes {
        if let Some(p) = best_partition(units, totals, limits, shape)
            && found.as_ref().is_none_or(|f| p.iv > f.0.iv + 1e-12)
        {
            found = Some((p, shape.trend()));
        }
    }
    // Nothing admitted (too few rows for the limits): one bin of everything.
    found.unwrap_or_else(|| {
        let all =
            units.iter().fold(Counts::default(), |a, u| Counts { goods: a.goods + u.goods, bads: a.bads + u.bads });
        (Partition { ends: vec![units.len()], iv: totals.woe_iv(all).1 }, trend_of_one(trend))
    })
}

fn trend_of_one(trend: Trend) -> Trend {
    if trend == Trend::Auto { Trend::Ascending } else { trend }
}

impl Binning {
    /// Fits the binning of a column of either kind.
    pub fn fit(feature: &str, column: &Column, target: &[u8], config: &BinningConfig) -> Result<Binning, BinningError> {
        match column {
            Column::Numeric(values) => Binning::fit_numeric(feature, values, target, config),
            Column::Categorical { levels, codes } => Binning::fit_categorical(feature, levels, codes, target, config),
        }
    }

    /// Fits a numeric feature (NaN = missing).
    pub fn fit_numeric(
        feature: &str,
        values: &[f64],
        target: &[u8],
        config: &BinningConfig,
    ) -> Result<Binning, BinningError> {
        let totals = check_inputs(feature, values.len(), target, config)?;
        let specials = &config.special_codes;
        let (mut missing, mut special) = (Counts::default(), Counts::default());
        let mut present: Vec<(f64, u8)> = Vec::with_capacity(values.len());
        for (&x, &y) in values.iter().zip(target) {
            if x.is_nan() {
                missing.add(y);
            } else if specials.contains(&x) {
                special.add(y);
            } else {
                present.push((x, y));
            }
        }
        present.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        // Distinct values with their counts.
        let mut distinct: Vec<f64> = Vec::new();
        let mut counts: Vec<Counts> = Vec::new();
        for &(x, y) in &present {
            if distinct.last() != Some(&x) {
                distinct.push(x);
                counts.push(Counts::default());
            }
            counts.last_mut().expect("a distinct value was just pushed").add(y);
        }
        // Pre-bins: quantile runs of distinct values.
        let runs = quantile_runs(&counts, config.max_prebins);
        let mut units = Vec::with_capacity(runs.len());
        let mut start = 0;
        for &end in &runs {
            units.push(
                counts[start..end]
                    .iter()
                    .fold(Counts::default(), |a, c| Counts { goods: a.goods + c.goods, bads: a.bads + c.bads }),
            );
            start = end;
        }
        let limits = Limits::new(config, values.len());
        let (partition, trend) = if units.is_empty() {
            (Partition { ends: Vec::new(), iv: 0.0 }, trend_of_one(config.trend))
        } else {
            search(&units, totals, &limits, config.trend)
        };
        // Cut between the last distinct value of a group and the first of the next.
        let mut cuts = Vec::new();
        let mut bins = Vec::new();
        let mut unit_start = 0;
        for (g, &unit_end) in partition.ends.iter().enumerate() {
            let c = units[unit_start..unit_end]
                .iter()
                .fold(Counts::default(), |a, u| Counts { goods: a.goods + u.goods, bads: a.bads + u.bads });
            if g + 1 < partition.ends.len() {
                let last_distinct = runs[unit_end - 1];
                cuts.push(nice_cut(distinct[last_distinct - 1], distinct[last_distinct]));
            }
            bins.push(c);
            unit_start = unit_end;
        }
        if bins.is_empty() {
            bins.push(Counts::default());
        }
        let mut out: Vec<Bin> = bins
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let lower = i.checked_sub(1).map(|p| cuts[p]);
                let upper = cuts.get(i).copied();
                bin(interval_label(lower, upper), BinKind::Interval, c, totals)
            })
            .collect();
        let regular_bins = out.len();
        out.push(bin("Missing".into(), BinKind::Missing, missing, totals));
        if !specials.is_empty() {
            out.push(bin("Special".into(), BinKind::Special, special, totals));
        }
        let iv = out.iter().map(|b| b.iv).sum();
        Ok(Binning {
            feature: feature.into(),
            rule: Rule::Numeric { cuts, special_codes: specials.clone() },
            bins: out,
            regular_bins,
            trend,
            iv,
        })
    }

    /// Fits a categorical feature: `codes[i]` indexes `levels` or is [`MISSING_CODE`].
    pub fn fit_categorical(
        feature: &str,
        levels: &[String],
        codes: &[u32],
        target: &[u8],
        config: &BinningConfig,
    ) -> Result<Binning, BinningError> {
        let totals = check_inputs(feature, codes.len(), target, config)?;
        let mut per_level = vec![Counts::default(); levels.len()];
        let mut missing = Counts::default();
        for (&code, &y) in codes.iter().zip(target) {
            match per_level.get_mut(code as usize) {
                Some(c) if code != MISSING_CODE => c.add(y),
                _ => missing.add(y),
            }
        }
        // Units: the levels seen often enough, one each, and the pooled rare levels.
        let rare_rows = config.rare_level_share * codes.len() as f64;
        let mut units: Vec<(Vec<usize>, Counts)> = Vec::new();
        let mut rare: (Vec<usize>, Counts) = (Vec::new(), Counts::default());
        for (level, &c) in per_level.iter().enumerate().filter(|(_, c)| c.rows() > 0) {
            if (c.rows() as f64) < rare_rows {
                rare.0.push(level);
                rare.1 = Counts { goods: rare.1.goods + c.goods, bads: rare.1.bads + c.bads };
            } else {
                units.push((vec![level], c));
            }
        }
        let other_unit = (!rare.0.is_empty()).then(|| {
            units.push(rare);
            units.len() - 1
        });
        // Ascending event rate; ties by first level, for a deterministic order.
        let rate = |c: Counts| c.bads as f64 / c.rows() as f64;
        let mut order: Vec<usize> = (0..units.len()).collect();
        order.sort_by(|&a, &b| rate(units[a].1).total_cmp(&rate(units[b].1)).then(units[a].0.cmp(&units[b].0)));
        let ordered: Vec<Counts> = order.iter().map(|&u| units[u].1).collect();
        let limits = Limits::new(config, codes.len());
        let partition = if ordered.is_empty() {
            Partition { ends: Vec::new(), iv: 0.0 }
        } else {
            search(&ordered, totals, &limits, Trend::Ascending).0
        };
        let mut level_bins = BTreeMap::new();
        let mut bins = Vec::new();
        let mut other_bin = None;
        let mut start = 0;
        for (b, &end) in partition.ends.iter().enumerate() {
            let mut c = Counts::default();
            let mut names = Vec::new();
            for &u in &order[start..end] {
                let (unit_levels, uc) = &units[u];
                c = Counts { goods: c.goods + uc.goods, bads: c.bads + uc.bads };
                if Some(u) == other_unit {
                    other_bin = Some(b);
                    names.push(format!("other ({} rare levels)", unit_levels.len()));
                } else {
                    names.push(levels[unit_levels[0]].clone());
                }
                for &l in unit_levels {
                    level_bins.insert(levels[l].clone(), b);
                }
            }
            bins.push(bin(names.join(", "), BinKind::Levels, c, totals));
            start = end;
        }
        if bins.is_empty() {
            bins.push(bin("(no levels)".into(), BinKind::Levels, Counts::default(), totals));
        }
        let regular_bins = bins.len();
        let riskiest = (0..regular_bins).max_by(|&a, &b| bins[a].woe.total_cmp(&bins[b].woe)).unwrap_or(0);
        bins.push(bin("Missing".into(), BinKind::Missing, missing, totals));
        let iv = bins.iter().map(|b| b.iv).sum();
        Ok(Binning {
            feature: feature.into(),
            rule: Rule::Categorical { level_bins, unseen_bin: other_bin.unwrap_or(riskiest) },
            bins,
            regular_bins,
            trend: Trend::Ascending,
            iv,
        })
    }

    /// The feature's name.
    pub fn feature(&self) -> &str {
        &self.feature
    }

    /// All bins: the regular ones in order, then `Missing`, then `Special` when special codes were configured.
    pub fn bins(&self) -> &[Bin] {
        &self.bins
    }

    /// Number of regular bins (intervals or level groups).
    pub fn regular_bins(&self) -> usize {
        self.regular_bins
    }

    /// Index of the missing-value bin.
    pub fn missing_bin(&self) -> usize {
        self.regular_bins
    }

    /// Index of the special-code bin, if the feature is numeric with special codes.
    pub fn special_bin(&self) -> Option<usize> {
        (self.bins.len() > self.regular_bins + 1).then_some(self.regular_bins + 1)
    }

    /// The event-rate trend of the fitted regular bins (for categorical features, ascending in level order).
    pub fn trend(&self) -> Trend {
        self.trend
    }

    /// Information value of the feature: the sum over all bins.
    pub fn iv(&self) -> f64 {
        self.iv
    }

    /// Whether the binning is of a numeric feature.
    pub fn is_numeric(&self) -> bool {
        matches!(self.rule, Rule::Numeric { .. })
    }

    /// Cut points of a numeric binning (regular bin `i` holds `cuts[i-1] <= x < cuts[i]`); empty for categorical.
    pub fn cuts(&self) -> &[f64] {
        match &self.rule {
            Rule::Numeric { cuts, .. } => cuts,
            Rule::Categorical { .. } => &[],
        }
    }

    /// WoE of each bin, in bin order.
    pub fn woes(&self) -> Vec<f64> {
        self.bins.iter().map(|b| b.woe).collect()
    }

    /// Bin of one number (NaN = missing). For a categorical binning, the number is looked up as a level name.
    pub fn bin_of_value(&self, x: f64) -> usize {
        match &self.rule {
            Rule::Numeric { cuts, special_codes } => numeric_bin(x, cuts, special_codes, self.regular_bins),
            Rule::Categorical { .. } if x.is_nan() => self.missing_bin(),
            Rule::Categorical { .. } => self.bin_of_level(Some(&x.to_string())),
        }
    }

    /// Bin of one categorical level (`None` = missing). For a numeric binning, the level is parsed as a number
    /// (an unparseable level counts as missing).
    pub fn bin_of_level(&self, level: Option<&str>) -> usize {
        match (&self.rule, level) {
            (_, None) => self.missing_bin(),
            (Rule::Categorical { level_bins, unseen_bin }, Some(l)) => *level_bins.get(l).unwrap_or(unseen_bin),
            (Rule::Numeric { .. }, Some(l)) => self.bin_of_value(l.trim().parse().unwrap_or(f64::NAN)),
        }
    }

    /// A fast row → bin lookup over `column`, prepared once (for a categorical column, a level-code table).
    pub fn lookup<'a>(&'a self, column: &'a Column) -> Result<BinLookup<'a>, BinningError> {
        let kind_error = |expected, found| BinningError::Kind { feature: self.feature.clone(), expected, found };
        match (&self.rule, column) {
            (Rule::Numeric { cuts, special_codes }, Column::Numeric(values)) => {
                Ok(BinLookup::Numeric { values, cuts, special_codes, missing: self.regular_bins })
            }
            (Rule::Categorical { level_bins, unseen_bin }, Column::Categorical { levels, codes }) => {
                let table = levels.iter().map(|l| *level_bins.get(l).unwrap_or(unseen_bin) as u32).collect();
                Ok(BinLookup::Categorical { codes, table, missing: self.regular_bins })
            }
            (Rule::Numeric { .. }, Column::Categorical { .. }) => Err(kind_error("numeric", "categorical")),
            (Rule::Categorical { .. }, Column::Numeric(_)) => Err(kind_error("categorical", "numeric")),
        }
    }

    /// Bin index of every row of `column`.
    pub fn assign(&self, column: &Column) -> Result<Vec<usize>, BinningError> {
        let lookup = self.lookup(column)?;
        Ok((0..column.len()).map(|i| lookup.bin(i)).collect())
    }

    /// WoE of every row of `column`.
    pub fn transform(&self, column: &Column) -> Result<Vec<f64>, BinningError> {
        let lookup = self.lookup(column)?;
        Ok((0..column.len()).map(|i| self.bins[lookup.bin(i)].woe).collect())
    }
}

#[inline]
fn numeric_bin(x: f64, cuts: &[f64], special_codes: &[f64], missing: usize) -> usize {
    if x.is_nan() {
        missing
    } else if !special_codes.is_empty() && special_codes.contains(&x) {
        missing + 1
    } else {
        cuts.partition_point(|&c| c <= x)
    }
}

/// Row → bin over one column, prepared by [`Binning::lookup`].
#[derive(Debug, Clone)]
pub enum BinLookup<'a> {
    /// Binary search over the cut points.
    Numeric {
        /// The column's values.
        values: &'a [f64],
        /// The binning's cut points.
        cuts: &'a [f64],
        /// The binning's special codes.
        special_codes: &'a [f64],
        /// Index of the missing bin (the special bin follows it).
        missing: usize,
    },
    /// Level code → bin table.
    Categorical {
        /// The column's level codes.
        codes: &'a [u32],
        /// Bin of each level code of this column.
        table: Vec<u32>,
        /// Index of the missing bin.
        missing: usize,
    },
}

impl BinLookup<'_> {
    /// Bin of row `i`.
    #[inline]
    pub fn bin(&self, i: usize) -> usize {
        match self {
            BinLookup::Numeric { values, cuts, special_codes, missing } => {
                numeric_bin(values[i], cuts, special_codes, *missing)
            }
            BinLookup::Categorical { codes, table, missing } => {
                table.get(codes[i] as usize).map_or(*missing, |&b| b as usize)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> BinningConfig {
        BinningConfig { min_bads: 1, min_goods: 1, ..BinningConfig::default() }
    }

    #[test]
    fn woe_and_iv_match_a_hand_computed_example() {
        // Two values; x=0: 3 goods 1 bad, x=1: 1 good 3 bads. Totals: 4 goods, 4 bads.
        let x = [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0];
        let y = [0, 0, 0, 1, 0, 1, 1, 1];
        let config = BinningConfig { min_bin_share: 0.0, ..cfg() };
        let b = Binning::fit_numeric("x", &x, &y, &config).expect("fits");
        assert_eq!(b.regular_bins(), 2);
        assert_eq!(b.cuts(), &[1.0]);
        // WoE = ln((1/4)/(3/4)) = -ln 3 and ln 3; IV per bin = (1/4-3/4)(-ln 3) = ln(3)/2.
        let ln3 = 3f64.ln();
        assert!((b.bins()[0].woe + ln3).abs() < 1e-12);
        assert!((b.bins()[1].woe - ln3).abs() < 1e-12);
        assert!((b.bins()[0].iv - ln3 / 2.0).abs() < 1e-12);
        assert!((b.iv() - ln3).abs() < 1e-12);
        assert_eq!(b.bins()[1].label, "[1, inf)");
        assert_eq!(b.trend(), Trend::Ascending);
        // The empty missing bin is neutral.
        assert_eq!(b.bins()[b.missing_bin()].woe, 0.0);
        assert_eq!(b.bin_of_value(f64::NAN), 2);
        assert_eq!(b.bin_of_value(0.99), 0);
        assert_eq!(b.bin_of_value(7.0), 1);
    }

    #[test]
    fn empty_class_is_smoothed_by_half_a_count() {
        // Missing rows: 2 goods, 0 bads. Totals 4 goods 4 bads. WoE = ln((0.5/4)/(2.5/4)) = ln(0.2).
        let x = [f64::NAN, f64::NAN, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0];
        let y = [0, 0, 0, 1, 0, 1, 1, 1];
        let b = Binning::fit_numeric("x", &x, &y, &BinningConfig { min_bin_share: 0.0, ..cfg() }).expect("fits");
        let m = &b.bins()[b.missing_bin()];
        assert_eq!((m.goods, m.bads), (2, 0));
        assert!((m.woe - 0.2f64.ln()).abs() < 1e-12);
        assert!((m.iv - (0.5 / 4.0 - 2.5 / 4.0) * 0.2f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn dynamic_programme_matches_brute_force_on_small_cases() {
        // Every partition of 7 units, checked against the programme for each shape.
        let units: Vec<Counts> = [(30, 3), (25, 8), (40, 4), (10, 9), (33, 6), (12, 12), (20, 2)]
            .iter()
            .map(|&(g, b)| Counts { goods: g, bads: b })
            .collect();
        let totals = Totals { goods: 170.0, bads: 44.0 };
        for max_bins in [1, 2, 3, 7] {
            let limits = Limits { min_rows: 20.0, min_bads: 3, min_goods: 1, max_bins };
            for shape in [Shape::Ascending, Shape::Descending, Shape::Peak, Shape::Valley] {
                let got = best_partition(&units, totals, &limits, shape).map(|p| p.iv);
                let want = brute(&units, totals, &limits, shape);
                match (got, want) {
                    (Some(a), Some(b)) => assert!((a - b).abs() < 1e-12, "{shape:?} {max_bins}: {a} vs {b}"),
                    (a, b) => assert_eq!(a, b, "{shape:?} {max_bins}"),
                }
            }
        }
    }

    fn brute(units: &[Counts], totals: Totals, limits: &Limits, shape: Shape) -> Option<f64> {
        let n = units.len();
        let mut best: Option<f64> = None;
        for mask in 0u32..(1 << (n - 1)) {
            let mut groups = Vec::new();
            let mut c = Counts::default();
            for (i, u) in units.iter().enumerate() {
                c = Counts { goods: c.goods + u.goods, bads: c.bads + u.bads };
                if i == n - 1 || mask & (1 << i) != 0 {
                    groups.push(c);
                    c = Counts::default();
                }
            }
            if groups.len() > limits.max_bins || !groups.iter().all(|&g| limits.admits(g)) {
                continue;
            }
            let rates: Vec<f64> = groups.iter().map(|g| g.bads as f64 / g.rows() as f64).collect();
            let mut phase = Some(0);
            for w in rates.windows(2) {
                phase = phase.and_then(|p| shape.step(p, w[0], w[1]));
            }
            if phase.is_none() {
                continue;
            }
            let iv: f64 = groups.iter().map(|&g| totals.woe_iv(g).1).sum();
            if best.is_none_or(|b| iv > b) {
                best = Some(iv);
            }
        }
        best
    }

    #[test]
    fn special_codes_and_missing_have_their_own_bins() {
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..400 {
            x.push(f64::from(i % 5));
            y.push(u8::from(i % 7 < i % 5));
        }
        for i in 0..40 {
            x.push(if i % 2 == 0 { 98.0 } else { f64::NAN });
            y.push(u8::from(i % 3 == 0));
        }
        let config = BinningConfig { special_codes: vec![96.0, 98.0], ..BinningConfig::default() };
        let b = Binning::fit_numeric("due30", &x, &y, &config).expect("fits");
        let special = b.special_bin().expect("special bin");
        assert_eq!(b.bins()[special].rows(), 20);
        assert_eq!(b.bins()[b.missing_bin()].rows(), 20);
        assert_eq!(b.bin_of_value(98.0), special);
        assert_eq!(b.bin_of_value(96.0), special);
        assert_eq!(b.bin_of_value(f64::NAN), b.missing_bin());
        assert!(b.bin_of_value(97.0) < b.regular_bins());
        let total: u64 = b.bins().iter().map(Bin::rows).sum();
        assert_eq!(total, 440);
    }

    #[test]
    fn categorical_levels_pool_rare_ones_and_unseen_go_to_other() {
        // Levels a (bad rate 0.1), b (0.5), c (0.3), each 100 rows; r1, r2 rare (3 rows each).
        let levels: Vec<String> = ["a", "b", "c", "r1", "r2"].iter().map(|s| s.to_string()).collect();
        let (mut codes, mut y) = (Vec::new(), Vec::new());
        for (code, bads) in [(0u32, 10), (1, 50), (2, 30)] {
            for i in 0..100 {
                codes.push(code);
                y.push(u8::from(i < bads));
            }
        }
        for code in [3u32, 4] {
            for i in 0..3 {
                codes.push(code);
                y.push(u8::from(i == 0));
            }
        }
        codes.push(MISSING_CODE);
        y.push(1);
        let config = BinningConfig { min_bin_share: 0.0, rare_level_share: 0.02, ..cfg() };
        let b = Binning::fit_categorical("purpose", &levels, &codes, &y, &config).expect("fits");
        let rates: Vec<f64> = b.bins()[..b.regular_bins()].iter().filter_map(Bin::event_rate).collect();
        assert!(rates.windows(2).all(|w| w[0] < w[1]), "{rates:?}");
        let other = b.bin_of_level(Some("r1"));
        assert_eq!(other, b.bin_of_level(Some("r2")));
        assert_eq!(b.bin_of_level(Some("never seen")), other);
        assert!(b.bins()[other].label.contains("other"));
        assert_eq!(b.bin_of_level(None), b.missing_bin());
        assert_eq!(b.bins()[b.missing_bin()].rows(), 1);
        // Scoring a column whose level list differs from training maps by name.
        let column = Column::Categorical { levels: vec!["b".into(), "zz".into()], codes: vec![0, 1, MISSING_CODE] };
        let bins = b.assign(&column).expect("categorical");
        assert_eq!(bins, vec![b.bin_of_level(Some("b")), other, b.missing_bin()]);
    }

    #[test]
    fn unseen_level_goes_to_the_riskiest_bin_without_rare_levels() {
        let levels: Vec<String> = vec!["a".into(), "b".into()];
        let codes: Vec<u32> = (0..200).map(|i| u32::from(i >= 100)).collect();
        let y: Vec<u8> = (0..200).map(|i| u8::from(i % 10 == 0 || (i >= 100 && i % 3 == 0))).collect();
        let b = Binning::fit_categorical("c", &levels, &codes, &y, &cfg()).expect("fits");
        assert_eq!(b.bin_of_level(Some("new")), b.bin_of_level(Some("b")));
    }

    #[test]
    fn kind_mismatch_is_an_error_naming_the_feature() {
        let b = Binning::fit_numeric("age", &[1.0, 2.0, 3.0, 4.0], &[0, 1, 0, 1], &cfg()).expect("fits");
        let column = Column::Categorical { levels: vec!["x".into()], codes: vec![0] };
        let e = b.lookup(&column).expect_err("kind");
        assert_eq!(e.to_string(), "feature 'age': binned as numeric but the column is categorical");
    }

    #[test]
    fn nice_cuts_separate_neighbours_with_few_digits() {
        assert_eq!(nice_cut(25.0, 26.0), 26.0);
        assert_eq!(nice_cut(0.0, 1.0), 1.0);
        assert_eq!(nice_cut(0.123, 0.1245), 0.124);
        assert_eq!(nice_cut(1999.0, 2500.0), 2000.0);
        let c = nice_cut(1.0, 1.0 + 1e-12);
        assert!(c > 1.0 && c <= 1.0 + 1e-12);
    }

    #[test]
    fn quantile_runs_respect_ties() {
        let units: Vec<Counts> = [80, 5, 5, 5, 5].iter().map(|&g| Counts { goods: g, bads: 0 }).collect();
        assert_eq!(quantile_runs(&units, 4), vec![1, 3, 4, 5]);
        let even: Vec<Counts> = (0..10).map(|_| Counts { goods: 1, bads: 0 }).collect();
        assert_eq!(quantile_runs(&even, 5), vec![2, 4, 6, 8, 10]);
    }
}
