//! Growing one regression tree on gradients and hessians, leaf by leaf, from binned rows.
//!
//! The leaf with the largest gain is split next (LightGBM's leaf-wise growth) until `leaves_max`. A split is found
//! from per-bin histograms of gradient, hessian and row count; the smaller child's histogram is built from its
//! rows and the larger one's is the parent's minus it. Missing values are tried on both sides of every split and go
//! to the better one (the learned default direction); where a node saw no missing values they go to the heavier
//! child. Monotone constraints use bounds: a constrained split must order its two outputs, and each side's
//! descendants are clipped to the midpoint, so outputs can never decrease (increase) along the feature.

use super::binning::BinnedRows;
use super::ensemble::{MissingRule, Node};

/// Per-feature direction a monotone constraint enforces: +1 non-decreasing, −1 non-increasing, 0 free.
pub(crate) type Direction = i8;

/// How a tree may grow.
#[derive(Debug, Clone)]
pub(crate) struct GrowParams {
    pub(crate) leaves_max: usize,
    pub(crate) depth_max: usize,
    pub(crate) min_child_samples: u32,
    pub(crate) min_child_hessian: f64,
    pub(crate) l2: f64,
    pub(crate) min_split_gain: f64,
    pub(crate) learning_rate: f64,
}

/// Gradient and hessian sums and a row count.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Stats {
    g: f64,
    h: f64,
    n: u32,
}

impl Stats {
    fn add(&mut self, o: Stats) {
        self.g += o.g;
        self.h += o.h;
        self.n += o.n;
    }
    fn minus(self, o: Stats) -> Stats {
        Stats { g: self.g - o.g, h: self.h - o.h, n: self.n - o.n }
    }
}

#[derive(Debug, Clone, Copy)]
struct Split {
    feature: usize,
    /// Bins `0..=bin` go left.
    bin: usize,
    default_left: bool,
    gain: f64,
    left: Stats,
    left_out: f64,
    right_out: f64,
}

struct Leaf {
    node: usize,
    start: usize,
    end: usize,
    sum: Stats,
    depth: usize,
    lo: f64,
    hi: f64,
    hist: Vec<Stats>,
    best: Option<Split>,
}

/// A grown tree: its nodes (raw thresholds, hessian covers, leaf values already multiplied by the learning rate),
/// the bin each split node cuts at, and which rows of the grown-on slice ended in which leaf.
pub(crate) struct GrownTree {
    pub(crate) nodes: Vec<Node>,
    split_bins: Vec<u8>,
    /// `(start, end, value)`: the rows at `start..end` of the slice passed to `grow` got `value`.
    pub(crate) leaf_rows: Vec<(usize, usize, f64)>,
}

impl GrownTree {
    /// The leaf value reached by a row of bin codes (binned like `data`).
    pub(crate) fn binned_value(&self, data: &BinnedRows, codes: &[u8]) -> f64 {
        let mut at = 0;
        loop {
            match &self.nodes[at] {
                Node::Leaf { value, .. } => return *value,
                Node::Numeric { feature, default_left, left, right, .. } => {
                    let code = codes[*feature];
                    let goes_left = if usize::from(code) == data.features[*feature].count() {
                        *default_left
                    } else {
                        code <= self.split_bins[at]
                    };
                    at = if goes_left { *left } else { *right };
                }
                Node::Categorical { .. } => unreachable!("trained trees split on numbers only"),
            }
        }
    }
}

/// Grows trees over one binned training set, reusing buffers.
pub(crate) struct Grower<'a> {
    data: &'a BinnedRows,
    params: GrowParams,
    monotone: &'a [Direction],
    spare: Vec<Vec<Stats>>,
    scratch: Vec<u32>,
}

impl<'a> Grower<'a> {
    pub(crate) fn new(data: &'a BinnedRows, params: GrowParams, monotone: &'a [Direction]) -> Grower<'a> {
        assert_eq!(monotone.len(), data.features.len(), "one direction per feature");
        Grower { data, params, monotone, spare: Vec::new(), scratch: Vec::new() }
    }

    fn take_hist(&mut self) -> Vec<Stats> {
        self.spare.pop().unwrap_or_else(|| vec![Stats::default(); self.data.slots])
    }

    /// Grows one tree on the rows in `rows` (indices into the binned data; reordered in place), using only
    /// `features`. Returns `None` when the root cannot be split.
    pub(crate) fn grow(
        &mut self,
        grad: &[f64],
        hess: &[f64],
        rows: &mut [u32],
        features: &[usize],
    ) -> Option<GrownTree> {
        let mut root_hist = self.take_hist();
        self.build(rows, grad, hess, features, &mut root_hist);
        let sum = rows.iter().fold(Stats::default(), |mut s, &r| {
            s.add(Stats { g: grad[r as usize], h: hess[r as usize], n: 1 });
            s
        });
        let mut root = Leaf {
            node: 0,
            start: 0,
            end: rows.len(),
            sum,
            depth: 0,
            lo: f64::NEG_INFINITY,
            hi: f64::INFINITY,
            hist: root_hist,
            best: None,
        };
        root.best = self.find_split(&root, features);
        if root.best.is_none() {
            self.spare.push(root.hist);
            return None;
        }
        let mut tree =
            GrownTree { nodes: vec![Node::Leaf { value: 0.0, cover: sum.h }], split_bins: vec![0], leaf_rows: vec![] };
        let mut leaves = vec![root];
        while leaves.len() < self.params.leaves_max {
            // The best leaf to split; the first among equals, so growth is deterministic.
            let mut pick: Option<(usize, f64)> = None;
            for (k, leaf) in leaves.iter().enumerate() {
                if let Some(s) = leaf.best {
                    if pick.is_none_or(|(_, g)| s.gain > g) {
                        pick = Some((k, s.gain));
                    }
                }
            }
            let Some((k, _)) = pick else { break };
            let parent = leaves.swap_remove(k);
            let (left, right) = self.split(parent, rows, grad, hess, features, &mut tree);
            leaves.push(left);
            leaves.push(right);
        }
        for leaf in leaves {
            let out = self.output(leaf.sum, leaf.lo, leaf.hi) * self.params.learning_rate;
            tree.nodes[leaf.node] = Node::Leaf { value: out, cover: leaf.sum.h };
            tree.leaf_rows.push((leaf.start, leaf.end, out));
            self.spare.push(leaf.hist);
        }
        Some(tree)
    }

    /// Splits a leaf: partitions its rows, writes the split node, and returns the two children with their best
    /// splits found.
    fn split(
        &mut self,
        mut parent: Leaf,
        rows: &mut [u32],
        grad: &[f64],
        hess: &[f64],
        features: &[usize],
        tree: &mut GrownTree,
    ) -> (Leaf, Leaf) {
        let s = parent.best.take().expect("only leaves with a split are split");
        let missing_code = self.data.features[s.feature].count();
        // Stable partition without branches: every row is written to both places, and only the cursor of its
        // side advances. Left rows stay in front; right rows go through the scratch buffer.
        let len = parent.end - parent.start;
        self.scratch.resize(len, 0);
        let (mut write, mut spilled) = (parent.start, 0);
        let bin = s.bin as u8;
        let column = &self.data.by_feature[s.feature * self.data.rows..(s.feature + 1) * self.data.rows];
        for read in parent.start..parent.end {
            let r = rows[read];
            let code = column[r as usize];
            let is_missing = usize::from(code) == missing_code;
            let left = (!is_missing & (code <= bin)) | (is_missing & s.default_left);
            rows[write] = r;
            self.scratch[spilled] = r;
            write += usize::from(left);
            spilled += usize::from(!left);
        }
        rows[write..parent.end].copy_from_slice(&self.scratch[..spilled]);
        let mid = write;
        debug_assert_eq!((mid - parent.start) as u32, s.left.n);

        let (left_id, right_id) = (tree.nodes.len(), tree.nodes.len() + 1);
        let upper = &self.data.features[s.feature].upper;
        let threshold = if s.bin < upper.len() { upper[s.bin] } else { f64::MAX };
        tree.nodes[parent.node] = Node::Numeric {
            feature: s.feature,
            threshold,
            default_left: s.default_left,
            missing: MissingRule::NanDefault,
            left: left_id,
            right: right_id,
            cover: parent.sum.h,
        };
        tree.nodes.push(Node::Leaf { value: 0.0, cover: s.left.h });
        tree.nodes.push(Node::Leaf { value: 0.0, cover: parent.sum.h - s.left.h });
        tree.split_bins[parent.node] = s.bin as u8;
        tree.split_bins.extend([0, 0]);

        // Bounds: a constrained split puts the midpoint of its two outputs between the sides.
        let (mut left_lo, mut left_hi, mut right_lo, mut right_hi) = (parent.lo, parent.hi, parent.lo, parent.hi);
        let middle = (s.left_out + s.right_out) / 2.0;
        match self.monotone[s.feature] {
            1 => {
                left_hi = left_hi.min(middle);
                right_lo = right_lo.max(middle);
            }
            -1 => {
                left_lo = left_lo.max(middle);
                right_hi = right_hi.min(middle);
            }
            _ => {}
        }

        // Histograms: build the smaller side, subtract for the larger, reusing the parent's buffer.
        let left_sum = s.left;
        let right_sum = parent.sum.minus(s.left);
        let mut small_hist = self.take_hist();
        let left_is_small = left_sum.n <= right_sum.n;
        let small_rows = if left_is_small { &rows[parent.start..mid] } else { &rows[mid..parent.end] };
        self.build(small_rows, grad, hess, features, &mut small_hist);
        let mut large_hist = parent.hist;
        for (l, s) in large_hist.iter_mut().zip(&small_hist) {
            *l = l.minus(*s);
        }
        let (left_hist, right_hist) = if left_is_small { (small_hist, large_hist) } else { (large_hist, small_hist) };
        let depth = parent.depth + 1;
        let mut left = Leaf {
            node: left_id,
            start: parent.start,
            end: mid,
            sum: left_sum,
            depth,
            lo: left_lo,
            hi: left_hi,
            hist: left_hist,
            best: None,
        };
        let mut right = Leaf {
            node: right_id,
            start: mid,
            end: parent.end,
            sum: right_sum,
            depth,
            lo: right_lo,
            hi: right_hi,
            hist: right_hist,
            best: None,
        };
        left.best = self.find_split(&left, features);
        right.best = self.find_split(&right, features);
        (left, right)
    }

    /// Fills `hist` with the statistics of `rows`, for `features` only (other slots are zero).
    fn build(&self, rows: &[u32], grad: &[f64], hess: &[f64], features: &[usize], hist: &mut [Stats]) {
        hist.fill(Stats::default());
        let n_features = self.data.features.len();
        let codes = &self.data.codes;
        let offsets = &self.data.offsets;
        if features.len() == n_features {
            for &r in rows {
                let (g, h) = (grad[r as usize], hess[r as usize]);
                let row = &codes[r as usize * n_features..(r as usize + 1) * n_features];
                for (&code, &offset) in row.iter().zip(offsets) {
                    let slot = &mut hist[offset + usize::from(code)];
                    slot.g += g;
                    slot.h += h;
                    slot.n += 1;
                }
            }
        } else {
            for &r in rows {
                let (g, h) = (grad[r as usize], hess[r as usize]);
                let row = &codes[r as usize * n_features..(r as usize + 1) * n_features];
                for &j in features {
                    let slot = &mut hist[offsets[j] + usize::from(row[j])];
                    slot.g += g;
                    slot.h += h;
                    slot.n += 1;
                }
            }
        }
    }

    /// The regularised, bounded output of a node (before the learning rate).
    fn output(&self, s: Stats, lo: f64, hi: f64) -> f64 {
        (-s.g / (s.h + self.params.l2)).clamp(lo, hi)
    }

    /// Loss reduction of a node with output `w` (equals G²/(H+λ) at the unbounded optimum).
    fn score(&self, s: Stats, w: f64) -> f64 {
        -(2.0 * s.g * w + (s.h + self.params.l2) * w * w)
    }

    fn find_split(&self, leaf: &Leaf, features: &[usize]) -> Option<Split> {
        let p = &self.params;
        if leaf.depth >= p.depth_max || leaf.sum.n < 2 * p.min_child_samples {
            return None;
        }
        let parent_score = self.score(leaf.sum, self.output(leaf.sum, leaf.lo, leaf.hi));
        let mut best: Option<Split> = None;
        let total = leaf.sum;
        for &f in features {
            let bins = self.data.features[f].count();
            let offset = self.data.offsets[f];
            let hist = &leaf.hist[offset..offset + bins + 1];
            let missing = hist[bins];
            let direction = self.monotone[f];
            let mut consider = |left: Stats, bin: usize, default_left: bool| {
                let right = total.minus(left);
                if left.n < p.min_child_samples
                    || right.n < p.min_child_samples
                    || left.h < p.min_child_hessian
                    || right.h < p.min_child_hessian
                {
                    return;
                }
                let left_out = self.output(left, leaf.lo, leaf.hi);
                let right_out = self.output(right, leaf.lo, leaf.hi);
                if (direction > 0 && left_out > right_out) || (direction < 0 && left_out < right_out) {
                    return;
                }
                let gain = self.score(left, left_out) + self.score(right, right_out) - parent_score;
                if gain > p.min_split_gain && best.is_none_or(|b| gain > b.gain) {
                    best = Some(Split { feature: f, bin, default_left, gain, left, left_out, right_out });
                }
            };
            let mut left = Stats::default();
            for (bin, slot) in hist[..bins].iter().enumerate() {
                left.add(*slot);
                if bin + 1 == bins {
                    // Every present value left, missing right: a present/missing split.
                    if missing.n > 0 {
                        consider(left, bin, false);
                    }
                } else if missing.n > 0 {
                    let mut with_missing = left;
                    with_missing.add(missing);
                    consider(with_missing, bin, true);
                    consider(left, bin, false);
                } else {
                    // No missing here: send unseen missing values to the heavier side.
                    let heavier_left = left.h >= total.h - left.h;
                    consider(left, bin, heavier_left);
                }
            }
        }
        best
    }
}
