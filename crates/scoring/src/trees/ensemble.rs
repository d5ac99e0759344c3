//! Our own tree-ensemble model: the one representation that every tree model is scored and explained with, whether
//! we trained it or imported it from LightGBM or XGBoost.
//!
//! A [`TreeEnsemble`] is a list of features (name and kind), a base margin, and binary trees whose nodes split on
//! one feature. The margin of a row is the base plus one leaf value per tree; the probability is its logistic.
//! The readable form ([`Tree`], [`Node`]) is what is serialised; on construction it is validated and compiled into
//! flat arrays for scoring, so an artifact scores without any training code.
//!
//! Split rule of a numeric node: the row goes left when `x <= threshold`. A missing value (NaN) goes the node's
//! default direction, with the variations LightGBM needs ([`MissingRule`]). A categorical node sends the codes in
//! its left set left, everything else right, and a missing or negative code the default direction.

use serde::{Deserialize, Serialize};

use crate::data::{Column, Frame, MISSING_CODE};

/// Magnitudes up to this are zero for [`MissingRule::ZeroAsMissing`] (LightGBM's `kZeroThreshold`, `1e-35f`).
const ZERO_THRESHOLD: f64 = 1e-35_f32 as f64;

/// How a numeric node treats missing values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingRule {
    /// NaN goes the default direction (XGBoost; LightGBM missing type `NaN`; our trained trees).
    NanDefault,
    /// NaN and zero (magnitude at most 1e-35) go the default direction (LightGBM missing type `Zero`).
    ZeroAsMissing,
    /// NaN is read as 0.0 and compared with the threshold (LightGBM missing type `None`).
    NanAsZero,
}

/// One tree node. Children are indices into the same tree, always greater than the node's own index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Node {
    /// A terminal node.
    Leaf {
        /// Added to the margin of every row that reaches this leaf.
        value: f64,
        /// Weight of training data that reached it (hessian sum or row count); used by TreeSHAP.
        cover: f64,
    },
    /// `x <= threshold` goes left.
    Numeric {
        /// Index into the ensemble's features.
        feature: usize,
        /// Split point.
        threshold: f64,
        /// Where a missing value goes.
        default_left: bool,
        /// What counts as missing.
        missing: MissingRule,
        /// Left child index.
        left: usize,
        /// Right child index.
        right: usize,
        /// Weight of training data that reached it.
        cover: f64,
    },
    /// The codes in `left_codes` go left; any other code goes right.
    Categorical {
        /// Index into the ensemble's features; must be categorical.
        feature: usize,
        /// Category codes going left, sorted and distinct.
        left_codes: Vec<u32>,
        /// Where a missing (NaN or negative) code goes.
        default_left: bool,
        /// Left child index.
        left: usize,
        /// Right child index.
        right: usize,
        /// Weight of training data that reached it.
        cover: f64,
    },
}

impl Node {
    /// The node's cover.
    pub fn cover(&self) -> f64 {
        match self {
            Node::Leaf { cover, .. } | Node::Numeric { cover, .. } | Node::Categorical { cover, .. } => *cover,
        }
    }

    /// The children `(left, right)` of a split node.
    pub fn children(&self) -> Option<(usize, usize)> {
        match self {
            Node::Leaf { .. } => None,
            Node::Numeric { left, right, .. } | Node::Categorical { left, right, .. } => Some((*left, *right)),
        }
    }

    /// The feature a split node tests.
    pub fn feature(&self) -> Option<usize> {
        match self {
            Node::Leaf { .. } => None,
            Node::Numeric { feature, .. } | Node::Categorical { feature, .. } => Some(*feature),
        }
    }

    /// Whether a row with value `x` of this node's feature goes left. Leaves return `false`.
    pub fn goes_left(&self, x: f64) -> bool {
        match self {
            Node::Leaf { .. } => false,
            Node::Numeric { threshold, default_left, missing, .. } => match missing {
                MissingRule::NanDefault if x.is_nan() => *default_left,
                MissingRule::ZeroAsMissing if x.is_nan() || x.abs() <= ZERO_THRESHOLD => *default_left,
                MissingRule::NanAsZero if x.is_nan() => 0.0 <= *threshold,
                _ => x <= *threshold,
            },
            Node::Categorical { left_codes, default_left, .. } => match category_code(x) {
                None => *default_left,
                Some(code) => left_codes.binary_search(&code).is_ok(),
            },
        }
    }
}

/// The code of a categorical value as LightGBM reads it (truncated toward zero); `None` when missing or negative.
fn category_code(x: f64) -> Option<u32> {
    if x.is_nan() || x < 0.0 || x >= f64::from(u32::MAX) { None } else { Some(x as u32) }
}

/// One binary tree; node 0 is the root.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    nodes: Vec<Node>,
}

impl Tree {
    /// A tree from its nodes (validated when the ensemble is built).
    pub fn new(nodes: Vec<Node>) -> Tree {
        Tree { nodes }
    }

    /// The nodes; index 0 is the root.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The leaf value reached by a row of feature values (indexed like the ensemble's features).
    pub fn value(&self, row: &[f64]) -> f64 {
        let mut at = 0;
        loop {
            let node = &self.nodes[at];
            match node {
                Node::Leaf { value, .. } => return *value,
                Node::Numeric { feature, left, right, .. } | Node::Categorical { feature, left, right, .. } => {
                    at = if node.goes_left(row[*feature]) { *left } else { *right };
                }
            }
        }
    }
}

/// What a feature's values are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FeatureKind {
    /// A number; NaN is missing.
    Numeric,
    /// A category: the value is the index of its level in `levels`; a level not listed is missing.
    Categorical {
        /// Levels in code order.
        levels: Vec<String>,
    },
}

/// A model input: a column name and how its values are encoded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feature {
    /// Column name in the scored frame.
    pub name: String,
    /// Encoding.
    pub kind: FeatureKind,
}

/// The link from margin to prediction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// Binary classification: probability = 1 / (1 + exp(−margin)).
    Logistic,
}

/// Why an ensemble could not be built, or a frame could not be scored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EnsembleError {
    /// A node is inconsistent.
    #[error("tree {tree}, node {node}: {reason}")]
    Node {
        /// Tree index.
        tree: usize,
        /// Node index within the tree.
        node: usize,
        /// What is wrong.
        reason: String,
    },
    /// The ensemble as a whole is inconsistent.
    #[error("ensemble: {reason}")]
    Invalid {
        /// What is wrong.
        reason: String,
    },
    /// The frame lacks a model feature or has it with the wrong kind.
    #[error("column '{column}': {reason}")]
    Column {
        /// The feature name.
        column: String,
        /// What is wrong.
        reason: String,
    },
    /// A row-major matrix has the wrong shape.
    #[error("matrix of {values} values is not a whole number of rows of {features} features")]
    Shape {
        /// Number of values given.
        values: usize,
        /// Features per row.
        features: usize,
    },
}

/// A validated ensemble of trees with a logistic link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "EnsembleRepr", into = "EnsembleRepr")]
pub struct TreeEnsemble {
    features: Vec<Feature>,
    objective: Objective,
    base_margin: f64,
    trees: Vec<Tree>,
    flat: Flat,
}

/// The serialised form: everything but the compiled arrays.
#[derive(Serialize, Deserialize)]
struct EnsembleRepr {
    features: Vec<Feature>,
    objective: Objective,
    base_margin: f64,
    trees: Vec<Tree>,
}

impl TryFrom<EnsembleRepr> for TreeEnsemble {
    type Error = EnsembleError;
    fn try_from(r: EnsembleRepr) -> Result<Self, Self::Error> {
        TreeEnsemble::new(r.features, r.objective, r.base_margin, r.trees)
    }
}

impl From<TreeEnsemble> for EnsembleRepr {
    fn from(e: TreeEnsemble) -> Self {
        EnsembleRepr { features: e.features, objective: e.objective, base_margin: e.base_margin, trees: e.trees }
    }
}

impl TreeEnsemble {
    /// Validates the trees (children after their parent and inside the tree, every node reached once, features in
    /// range, categorical splits on categorical features, finite values, positive covers) and compiles them.
    pub fn new(
        features: Vec<Feature>,
        objective: Objective,
        base_margin: f64,
        trees: Vec<Tree>,
    ) -> Result<TreeEnsemble, EnsembleError> {
        if !base_margin.is_finite() {
            return Err(EnsembleError::Invalid { reason: format!("base margin {base_margin} is not finite") });
        }
        let mut names = std::collections::HashSet::new();
        if let Some(dup) = features.iter().find(|f| !names.insert(f.name.as_str())) {
            return Err(EnsembleError::Invalid { reason: format!("feature '{}' appears twice", dup.name) });
        }
        for (t, tree) in trees.iter().enumerate() {
            validate_tree(t, tree, &features)?;
        }
        let flat = Flat::compile(&trees);
        Ok(TreeEnsemble { features, objective, base_margin, trees, flat })
    }

    /// The model's inputs, in the order the trees index them.
    pub fn features(&self) -> &[Feature] {
        &self.features
    }

    /// The link function.
    pub fn objective(&self) -> Objective {
        self.objective
    }

    /// The margin before any tree.
    pub fn base_margin(&self) -> f64 {
        self.base_margin
    }

    /// The trees.
    pub fn trees(&self) -> &[Tree] {
        &self.trees
    }

    /// Encodes a frame as a row-major matrix of feature values, matching columns by name. Categorical columns map
    /// their level text to the feature's level index (an unknown level is missing); a numeric column feeding a
    /// categorical feature is taken as the code itself. Extra columns are ignored.
    pub fn encode(&self, frame: &Frame) -> Result<Vec<f64>, EnsembleError> {
        let n_features = self.features.len();
        let mut out = vec![f64::NAN; frame.rows() * n_features];
        for (j, feature) in self.features.iter().enumerate() {
            let column_error =
                |reason: &str| EnsembleError::Column { column: feature.name.clone(), reason: reason.into() };
            let column = frame.column(&feature.name).ok_or_else(|| column_error("not in the frame"))?;
            match (&feature.kind, column) {
                (_, Column::Numeric(values)) => {
                    for (i, &x) in values.iter().enumerate() {
                        out[i * n_features + j] = x;
                    }
                }
                (FeatureKind::Numeric, Column::Categorical { .. }) => {
                    return Err(column_error("the model reads a number but the column holds text"));
                }
                (FeatureKind::Categorical { levels }, Column::Categorical { levels: frame_levels, codes }) => {
                    let index: std::collections::HashMap<&str, usize> =
                        levels.iter().enumerate().map(|(k, l)| (l.as_str(), k)).collect();
                    let map: Vec<f64> =
                        frame_levels.iter().map(|l| index.get(l.as_str()).map_or(f64::NAN, |&k| k as f64)).collect();
                    for (i, &code) in codes.iter().enumerate() {
                        out[i * n_features + j] = if code == MISSING_CODE { f64::NAN } else { map[code as usize] };
                    }
                }
            }
        }
        Ok(out)
    }

    /// Margins of a frame (base plus leaf values).
    pub fn predict_margin(&self, frame: &Frame) -> Result<Vec<f64>, EnsembleError> {
        let matrix = self.encode(frame)?;
        self.predict_margin_matrix(&matrix)
    }

    /// Probabilities of a frame.
    pub fn predict_proba(&self, frame: &Frame) -> Result<Vec<f64>, EnsembleError> {
        Ok(self.predict_margin(frame)?.into_iter().map(|m| self.link(m)).collect())
    }

    /// Margins of a row-major matrix as made by [`TreeEnsemble::encode`].
    pub fn predict_margin_matrix(&self, matrix: &[f64]) -> Result<Vec<f64>, EnsembleError> {
        let n_features = self.features.len().max(1);
        if matrix.len() % n_features != 0 {
            return Err(EnsembleError::Shape { values: matrix.len(), features: self.features.len() });
        }
        if self.features.is_empty() {
            return Ok(Vec::new());
        }
        Ok(matrix.chunks_exact(n_features).map(|row| self.margin_row(row)).collect())
    }

    /// The margin of one row of feature values.
    pub fn margin_row(&self, row: &[f64]) -> f64 {
        assert_eq!(row.len(), self.features.len(), "one value per feature");
        self.base_margin + self.flat.sum(row)
    }

    /// The prediction for a margin.
    pub fn link(&self, margin: f64) -> f64 {
        match self.objective {
            Objective::Logistic => sigmoid(margin),
        }
    }

    /// Keeps only the first `n` trees.
    pub fn truncated(&self, n: usize) -> TreeEnsemble {
        let trees: Vec<Tree> = self.trees.iter().take(n).cloned().collect();
        let flat = Flat::compile(&trees);
        TreeEnsemble { trees, flat, ..self.clone() }
    }
}

/// The logistic function, computed without overflow.
pub fn sigmoid(margin: f64) -> f64 {
    if margin >= 0.0 {
        1.0 / (1.0 + (-margin).exp())
    } else {
        let e = margin.exp();
        e / (1.0 + e)
    }
}

fn validate_tree(t: usize, tree: &Tree, features: &[Feature]) -> Result<(), EnsembleError> {
    let n = tree.nodes.len();
    if n == 0 {
        return Err(EnsembleError::Node { tree: t, node: 0, reason: "tree has no nodes".into() });
    }
    let mut parents = vec![0u32; n];
    for (i, node) in tree.nodes.iter().enumerate() {
        let err = |reason: String| EnsembleError::Node { tree: t, node: i, reason };
        let cover = node.cover();
        if !(cover.is_finite() && cover > 0.0) {
            return Err(err(format!("cover {cover} is not a positive number")));
        }
        match node {
            Node::Leaf { value, .. } => {
                if !value.is_finite() {
                    return Err(err(format!("leaf value {value} is not finite")));
                }
            }
            Node::Numeric { feature, threshold, left, right, .. } => {
                check_feature(*feature, features, false).map_err(err)?;
                if threshold.is_nan() {
                    return Err(err("threshold is NaN".into()));
                }
                check_children(i, *left, *right, n, &mut parents).map_err(err)?;
            }
            Node::Categorical { feature, left_codes, left, right, .. } => {
                check_feature(*feature, features, true).map_err(err)?;
                if left_codes.windows(2).any(|w| w[0] >= w[1]) {
                    return Err(err("left category codes are not sorted and distinct".into()));
                }
                check_children(i, *left, *right, n, &mut parents).map_err(err)?;
            }
        }
    }
    if let Some(orphan) = (1..n).find(|&i| parents[i] != 1) {
        let reason = format!("reached from {} parents, not exactly one", parents[orphan]);
        return Err(EnsembleError::Node { tree: t, node: orphan, reason });
    }
    Ok(())
}

fn check_feature(feature: usize, features: &[Feature], categorical: bool) -> Result<(), String> {
    match features.get(feature) {
        None => Err(format!("feature {feature} is out of range ({} features)", features.len())),
        Some(Feature { kind: FeatureKind::Numeric, name }) if categorical => {
            Err(format!("categorical split on numeric feature '{name}'"))
        }
        Some(_) => Ok(()),
    }
}

fn check_children(i: usize, left: usize, right: usize, n: usize, parents: &mut [u32]) -> Result<(), String> {
    for child in [left, right] {
        if child <= i || child >= n {
            return Err(format!("child {child} must come after the node and inside the tree ({n} nodes)"));
        }
        parents[child] += 1;
    }
    if left == right {
        return Err(format!("both children are node {left}"));
    }
    Ok(())
}

/// Marks a child reference as a leaf: the low bits index `Flat::leaf_values`.
const LEAF: u32 = 1 << 31;
/// Flag: the node is categorical (its `threshold` holds nothing; `bits` its left set).
const CATEGORICAL: u8 = 1;
/// Flag: a missing value goes left.
const MISSING_LEFT: u8 = 2;
/// Flag: zero counts as missing.
const ZERO_MISSING: u8 = 4;

/// All trees in flat arrays: split nodes in one vector, leaf values in another, categorical sets as bitsets.
#[derive(Debug, Clone, PartialEq, Default)]
struct Flat {
    nodes: Vec<FlatNode>,
    leaf_values: Vec<f64>,
    roots: Vec<u32>,
    bits: Vec<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct FlatNode {
    threshold: f64,
    feature: u32,
    children: [u32; 2],
    flags: u8,
    bits_start: u32,
    bits_len: u32,
}

impl Flat {
    fn compile(trees: &[Tree]) -> Flat {
        let mut flat = Flat::default();
        for tree in trees {
            // Split nodes and leaves get their flat index first, so children can be written as references.
            let refs: Vec<u32> = tree
                .nodes
                .iter()
                .scan((flat.nodes.len() as u32, flat.leaf_values.len() as u32), |(split, leaf), node| {
                    Some(if let Node::Leaf { .. } = node {
                        *leaf += 1;
                        (*leaf - 1) | LEAF
                    } else {
                        *split += 1;
                        *split - 1
                    })
                })
                .collect();
            flat.roots.push(refs[0]);
            for node in &tree.nodes {
                match node {
                    Node::Leaf { value, .. } => flat.leaf_values.push(*value),
                    Node::Numeric { feature, threshold, default_left, missing, left, right, .. } => {
                        let missing_left = match missing {
                            MissingRule::NanDefault | MissingRule::ZeroAsMissing => *default_left,
                            MissingRule::NanAsZero => 0.0 <= *threshold,
                        };
                        let mut flags = if missing_left { MISSING_LEFT } else { 0 };
                        if *missing == MissingRule::ZeroAsMissing {
                            flags |= ZERO_MISSING;
                        }
                        flat.nodes.push(FlatNode {
                            threshold: *threshold,
                            feature: *feature as u32,
                            children: [refs[*left], refs[*right]],
                            flags,
                            bits_start: 0,
                            bits_len: 0,
                        });
                    }
                    Node::Categorical { feature, left_codes, default_left, left, right, .. } => {
                        let words = left_codes.last().map_or(0, |&c| c as usize / 32 + 1);
                        let start = flat.bits.len();
                        flat.bits.resize(start + words, 0);
                        for &c in left_codes {
                            flat.bits[start + c as usize / 32] |= 1 << (c % 32);
                        }
                        flat.nodes.push(FlatNode {
                            threshold: 0.0,
                            feature: *feature as u32,
                            children: [refs[*left], refs[*right]],
                            flags: CATEGORICAL | if *default_left { MISSING_LEFT } else { 0 },
                            bits_start: start as u32,
                            bits_len: words as u32,
                        });
                    }
                }
            }
        }
        flat
    }

    /// Sum of the leaf values a row reaches, one per tree.
    #[inline]
    fn sum(&self, row: &[f64]) -> f64 {
        let mut total = 0.0;
        for &root in &self.roots {
            let mut at = root;
            while at & LEAF == 0 {
                let node = &self.nodes[at as usize];
                let x = row[node.feature as usize];
                at = node.children[usize::from(!self.goes_left(node, x))];
            }
            total += self.leaf_values[(at & !LEAF) as usize];
        }
        total
    }

    #[inline]
    fn goes_left(&self, node: &FlatNode, x: f64) -> bool {
        if node.flags & CATEGORICAL == 0 {
            if x <= node.threshold {
                // Only a zero can be missing among the values that compare.
                node.flags & ZERO_MISSING == 0 || x.abs() > ZERO_THRESHOLD || node.flags & MISSING_LEFT != 0
            } else if x.is_nan() || (node.flags & ZERO_MISSING != 0 && x.abs() <= ZERO_THRESHOLD) {
                node.flags & MISSING_LEFT != 0
            } else {
                false
            }
        } else {
            match category_code(x) {
                None => node.flags & MISSING_LEFT != 0,
                Some(code) => {
                    let word = code as usize / 32;
                    word < node.bits_len as usize
                        && self.bits[node.bits_start as usize + word] & (1 << (code % 32)) != 0
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(value: f64) -> Node {
        Node::Leaf { value, cover: 1.0 }
    }

    fn numeric(feature: usize, threshold: f64, default_left: bool, missing: MissingRule) -> Node {
        Node::Numeric { feature, threshold, default_left, missing, left: 1, right: 2, cover: 2.0 }
    }

    fn ensemble(root: Node) -> TreeEnsemble {
        let features = vec![
            Feature { name: "x".into(), kind: FeatureKind::Numeric },
            Feature { name: "c".into(), kind: FeatureKind::Categorical { levels: vec!["a".into(), "b".into()] } },
        ];
        TreeEnsemble::new(features, Objective::Logistic, 0.5, vec![Tree::new(vec![root, leaf(-1.0), leaf(1.0)])])
            .expect("valid")
    }

    #[test]
    fn missing_values_route_by_rule_in_both_representations() {
        let cases = [
            // (node, x, goes left)
            (numeric(0, 1.0, true, MissingRule::NanDefault), f64::NAN, true),
            (numeric(0, 1.0, false, MissingRule::NanDefault), f64::NAN, false),
            (numeric(0, 1.0, false, MissingRule::NanDefault), 0.0, true),
            (numeric(0, 1.0, false, MissingRule::ZeroAsMissing), 0.0, false),
            (numeric(0, 1.0, false, MissingRule::ZeroAsMissing), 1e-36, false),
            (numeric(0, 1.0, false, MissingRule::ZeroAsMissing), f64::NAN, false),
            (numeric(0, -1.0, true, MissingRule::ZeroAsMissing), 0.0, true),
            (numeric(0, -1.0, true, MissingRule::NanAsZero), f64::NAN, false),
            (numeric(0, 0.0, false, MissingRule::NanAsZero), f64::NAN, true),
            (numeric(0, 1.0, false, MissingRule::NanDefault), 1.0, true),
            (numeric(0, 1.0, true, MissingRule::NanDefault), 1.5, false),
        ];
        for (node, x, left) in cases {
            assert_eq!(node.goes_left(x), left, "{node:?} at {x}");
            let e = ensemble(node.clone());
            let expected = if left { -0.5 } else { 1.5 };
            assert_eq!(e.margin_row(&[x, 0.0]), expected, "{node:?} at {x}");
        }
    }

    #[test]
    fn categorical_split_sends_listed_codes_left_and_missing_by_default() {
        let node = |default_left| Node::Categorical {
            feature: 1,
            left_codes: vec![1, 40],
            default_left,
            left: 1,
            right: 2,
            cover: 2.0,
        };
        let e = ensemble(node(false));
        assert_eq!(e.margin_row(&[0.0, 1.0]), -0.5);
        assert_eq!(e.margin_row(&[0.0, 40.0]), -0.5);
        assert_eq!(e.margin_row(&[0.0, 0.0]), 1.5);
        assert_eq!(e.margin_row(&[0.0, 41.0]), 1.5);
        assert_eq!(e.margin_row(&[0.0, 1000.0]), 1.5);
        assert_eq!(e.margin_row(&[0.0, f64::NAN]), 1.5);
        assert_eq!(ensemble(node(true)).margin_row(&[0.0, -1.0]), -0.5);
    }

    #[test]
    fn invalid_trees_are_rejected_with_the_node() {
        let features = vec![Feature { name: "x".into(), kind: FeatureKind::Numeric }];
        let build = |nodes| TreeEnsemble::new(features.clone(), Objective::Logistic, 0.0, vec![Tree::new(nodes)]);
        let backwards = Node::Numeric {
            feature: 0,
            threshold: 0.0,
            default_left: true,
            missing: MissingRule::NanDefault,
            left: 0,
            right: 1,
            cover: 1.0,
        };
        assert!(matches!(build(vec![backwards, leaf(0.0)]), Err(EnsembleError::Node { tree: 0, node: 0, .. })));
        let out_of_range = numeric(3, 0.0, true, MissingRule::NanDefault);
        assert!(build(vec![out_of_range, leaf(0.0), leaf(0.0)]).is_err());
        let orphan = vec![leaf(0.0), leaf(1.0)];
        assert!(matches!(build(orphan), Err(EnsembleError::Node { node: 1, .. })));
        let on_numeric =
            Node::Categorical { feature: 0, left_codes: vec![0], default_left: true, left: 1, right: 2, cover: 1.0 };
        assert!(build(vec![on_numeric, leaf(0.0), leaf(0.0)]).is_err());
    }

    #[test]
    fn serialised_ensemble_scores_the_same() {
        let e = ensemble(numeric(0, 0.25, true, MissingRule::ZeroAsMissing));
        let text = serde_json::to_string(&e).expect("serialises");
        let back: TreeEnsemble = serde_json::from_str(&text).expect("deserialises");
        assert_eq!(back, e);
        for x in [0.0, 0.1, 0.3, f64::NAN] {
            assert_eq!(back.margin_row(&[x, 0.0]), e.margin_row(&[x, 0.0]));
        }
    }

    #[test]
    fn frame_columns_are_matched_by_name_and_levels_by_text() {
        let e = ensemble(Node::Categorical {
            feature: 1,
            left_codes: vec![1],
            default_left: false,
            left: 1,
            right: 2,
            cover: 2.0,
        });
        let frame = Frame::new(
            vec!["c".into(), "x".into()],
            vec![
                // Frame levels are sorted differently from the model's: "b" is code 1 in the model.
                Column::Categorical { levels: vec!["b".into(), "z".into()], codes: vec![0, 1, MISSING_CODE] },
                Column::Numeric(vec![0.0, 0.0, 0.0]),
            ],
        )
        .expect("frame");
        assert_eq!(e.predict_margin(&frame).expect("scores"), vec![-0.5, 1.5, 1.5]);
        let missing = Frame::new(vec!["x".into()], vec![Column::Numeric(vec![0.0])]).expect("frame");
        assert!(matches!(e.predict_margin(&missing), Err(EnsembleError::Column { column, .. }) if column == "c"));
    }
}
