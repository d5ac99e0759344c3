//! Per-feature contributions of a tree ensemble's margin: exact path-dependent TreeSHAP.
//!
//! The algorithm is Algorithm 2 of Lundberg, Erion and Lee, "Consistent Individualized Feature Attribution for Tree
//! Ensembles" (2018, arXiv:1802.03888): one pass down each tree carrying, for the features met on the path so far,
//! the fraction of training cover that follows the path when the feature is unknown ("zero") or known ("one"), and
//! the weights of every subset size. Unknown features follow both children in proportion to their cover, so the
//! node covers stored in the ensemble (hessian sums or row counts) define the background distribution.
//!
//! The contributions of a row plus the bias (the cover-weighted mean of the trees plus the base margin) sum to its
//! margin exactly, up to rounding.

use super::ensemble::{Node, Tree, TreeEnsemble};

/// Contributions for many rows: `values[row * (features + 1) + j]`, feature `j`, with the bias in the last slot.
#[derive(Debug, Clone, PartialEq)]
pub struct Contributions {
    names: Vec<String>,
    values: Vec<f64>,
}

impl Contributions {
    /// Feature names, in column order (the bias column is not named here).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.values.len() / (self.names.len() + 1)
    }

    /// One row: a contribution per feature, then the bias.
    pub fn row(&self, i: usize) -> &[f64] {
        let width = self.names.len() + 1;
        &self.values[i * width..(i + 1) * width]
    }

    /// All values, row-major.
    pub fn values(&self) -> &[f64] {
        &self.values
    }
}

/// One feature on the current path.
#[derive(Debug, Clone, Copy)]
struct PathStep {
    /// Feature index, or `usize::MAX` for the root placeholder.
    feature: usize,
    /// Share of cover following the path when the feature is unknown.
    zero: f64,
    /// 1 when the row's value follows the path, else 0.
    one: f64,
    /// Weight of the subsets of this size.
    weight: f64,
}

impl TreeEnsemble {
    /// Contributions of each row of a row-major matrix (as made by [`TreeEnsemble::encode`]).
    pub fn contributions_matrix(&self, matrix: &[f64]) -> Contributions {
        let n_features = self.features().len();
        let width = n_features + 1;
        let rows = matrix.len().checked_div(n_features).unwrap_or(0);
        let bias = self.base_margin() + self.trees().iter().map(expected_value).sum::<f64>();
        let mut values = vec![0.0; rows * width];
        for (i, out) in values.chunks_exact_mut(width).enumerate() {
            let row = &matrix[i * n_features..(i + 1) * n_features];
            for tree in self.trees() {
                let mut path = Vec::with_capacity(32);
                recurse(tree, 0, row, out, &mut path, 1.0, 1.0, usize::MAX);
            }
            out[n_features] = bias;
        }
        Contributions { names: self.features().iter().map(|f| f.name.clone()).collect(), values }
    }
}

/// The tree's mean leaf value under the cover distribution.
fn expected_value(tree: &Tree) -> f64 {
    fn walk(nodes: &[Node], at: usize) -> f64 {
        match nodes[at].children() {
            None => match nodes[at] {
                Node::Leaf { value, .. } => value,
                _ => 0.0,
            },
            Some((l, r)) => {
                let cover = nodes[at].cover();
                (nodes[l].cover() * walk(nodes, l) + nodes[r].cover() * walk(nodes, r)) / cover
            }
        }
    }
    walk(tree.nodes(), 0)
}

#[allow(clippy::too_many_arguments)]
fn recurse(
    tree: &Tree,
    at: usize,
    row: &[f64],
    phi: &mut [f64],
    path: &mut Vec<PathStep>,
    zero: f64,
    one: f64,
    feature: usize,
) {
    let depth_before = path.len();
    let saved: Vec<PathStep> = path.clone();
    extend(path, zero, one, feature);
    let node = &tree.nodes()[at];
    match (node, node.children(), node.feature()) {
        (Node::Leaf { value, .. }, _, _) => {
            for i in 1..path.len() {
                let w = unwound_sum(path, i);
                let step = path[i];
                phi[step.feature] += w * (step.one - step.zero) * value;
            }
        }
        (_, Some((left, right)), Some(split)) => {
            let (hot, cold) = if node.goes_left(row[split]) { (left, right) } else { (right, left) };
            let (mut in_zero, mut in_one) = (1.0, 1.0);
            // A feature met again on the path is not counted twice: undo its earlier step.
            if let Some(k) = (1..path.len()).find(|&k| path[k].feature == split) {
                in_zero = path[k].zero;
                in_one = path[k].one;
                unwind(path, k);
            }
            let cover = node.cover();
            let nodes = tree.nodes();
            recurse(tree, hot, row, phi, path, in_zero * nodes[hot].cover() / cover, in_one, split);
            recurse(tree, cold, row, phi, path, in_zero * nodes[cold].cover() / cover, 0.0, split);
        }
        _ => {}
    }
    // Restore the caller's path.
    path.clear();
    path.extend_from_slice(&saved);
    debug_assert_eq!(path.len(), depth_before);
}

/// Adds a feature to the path and updates the subset-size weights.
fn extend(path: &mut Vec<PathStep>, zero: f64, one: f64, feature: usize) {
    let l = path.len();
    path.push(PathStep { feature, zero, one, weight: if l == 0 { 1.0 } else { 0.0 } });
    let denom = (l + 1) as f64;
    for i in (0..l).rev() {
        path[i + 1].weight += one * path[i].weight * (i + 1) as f64 / denom;
        path[i].weight = zero * path[i].weight * (l - i) as f64 / denom;
    }
}

/// Removes step `k` from the path, undoing its effect on the weights.
fn unwind(path: &mut Vec<PathStep>, k: usize) {
    let l = path.len() - 1;
    let (one, zero) = (path[k].one, path[k].zero);
    let mut next = path[l].weight;
    let denom = (l + 1) as f64;
    for j in (0..l).rev() {
        if one != 0.0 {
            let tmp = path[j].weight;
            path[j].weight = next * denom / ((j + 1) as f64 * one);
            next = tmp - path[j].weight * zero * (l - j) as f64 / denom;
        } else {
            path[j].weight = path[j].weight * denom / (zero * (l - j) as f64);
        }
    }
    for j in k..l {
        path[j].feature = path[j + 1].feature;
        path[j].zero = path[j + 1].zero;
        path[j].one = path[j + 1].one;
    }
    path.pop();
}

/// Total weight of the path with step `k` removed, without modifying it.
fn unwound_sum(path: &[PathStep], k: usize) -> f64 {
    let l = path.len() - 1;
    let (one, zero) = (path[k].one, path[k].zero);
    let mut next = path[l].weight;
    let denom = (l + 1) as f64;
    let mut total = 0.0;
    for j in (0..l).rev() {
        if one != 0.0 {
            let tmp = next * denom / ((j + 1) as f64 * one);
            total += tmp;
            next = path[j].weight - tmp * zero * (l - j) as f64 / denom;
        } else {
            total += path[j].weight / zero * denom / (l - j) as f64;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::super::ensemble::{Feature, FeatureKind, MissingRule, Objective};
    use super::*;

    fn split(feature: usize, threshold: f64, left: usize, right: usize, cover: f64) -> Node {
        Node::Numeric { feature, threshold, default_left: true, missing: MissingRule::NanDefault, left, right, cover }
    }

    fn leaf(value: f64, cover: f64) -> Node {
        Node::Leaf { value, cover }
    }

    /// Shapley values by brute force over subsets, with the same "unknown features follow cover" value function.
    fn brute_force(tree: &Tree, row: &[f64], n: usize) -> Vec<f64> {
        fn value(nodes: &[Node], at: usize, row: &[f64], known: u32) -> f64 {
            match &nodes[at] {
                Node::Leaf { value, .. } => *value,
                node => {
                    let (l, r) = node.children().expect("split");
                    let f = node.feature().expect("split");
                    if known & (1 << f) != 0 {
                        value(nodes, if node.goes_left(row[f]) { l } else { r }, row, known)
                    } else {
                        (nodes[l].cover() * value(nodes, l, row, known)
                            + nodes[r].cover() * value(nodes, r, row, known))
                            / node.cover()
                    }
                }
            }
        }
        let fact = |k: usize| (1..=k).map(|x| x as f64).product::<f64>();
        let mut phi = vec![0.0; n];
        for (i, p) in phi.iter_mut().enumerate() {
            for s in 0u32..(1 << n) {
                if s & (1 << i) != 0 {
                    continue;
                }
                let size = s.count_ones() as usize;
                let w = fact(size) * fact(n - size - 1) / fact(n);
                *p += w * (value(tree.nodes(), 0, row, s | (1 << i)) - value(tree.nodes(), 0, row, s));
            }
        }
        phi
    }

    #[test]
    fn tree_shap_equals_brute_force_shapley_values_with_a_repeated_feature() {
        // Feature 0 appears twice on one path; feature 2 is never used.
        let tree = Tree::new(vec![
            split(0, 0.5, 1, 2, 10.0),
            split(1, 0.5, 3, 4, 6.0),
            split(0, 0.8, 5, 6, 4.0),
            leaf(1.0, 2.0),
            split(0, 0.2, 7, 8, 4.0),
            leaf(-2.0, 3.0),
            leaf(4.0, 1.0),
            leaf(0.5, 1.5),
            leaf(-1.0, 2.5),
        ]);
        let features = (0..3).map(|i| Feature { name: format!("f{i}"), kind: FeatureKind::Numeric }).collect();
        let e = TreeEnsemble::new(features, Objective::Logistic, 0.25, vec![tree.clone()]).expect("valid");
        for row in [[0.1, 0.9, 7.0], [0.3, 0.1, 0.0], [0.9, 0.9, 1.0], [0.6, f64::NAN, 2.0], [f64::NAN, 0.7, 0.0]] {
            let c = e.contributions_matrix(&row);
            let expected = brute_force(&tree, &row, 3);
            for (j, (got, want)) in c.row(0).iter().zip(&expected).enumerate() {
                assert!((got - want).abs() < 1e-12, "row {row:?} feature {j}");
            }
            assert_eq!(c.row(0)[2], 0.0);
            let total: f64 = c.row(0).iter().sum();
            assert!((total - e.margin_row(&row)).abs() < 1e-12);
        }
    }
}
