//! XGBoost JSON models (`Booster.save_model("model.json")`, XGBoost 1.x–3.x), `gbtree` booster with a binary
//! logistic objective, numeric features only.
//!
//! The format (XGBoost's JSON model schema, `doc/model.schema`): `learner.objective.name`,
//! `learner.learner_model_param.base_score` (the global bias as a probability for logistic objectives, written
//! `"5E-1"`, or `"[5E-1]"` since 3.1), `learner.feature_names`, and `learner.gradient_booster.model.trees[]`, each
//! with parallel arrays over nodes: `left_children` / `right_children` (−1 for a leaf), `split_indices`,
//! `split_conditions` (the threshold, or the leaf value — learning rate included — for a leaf), `default_left`,
//! `sum_hessian` (the cover), `split_type` (0 numeric). A row goes left when `x < split_condition`.
//!
//! XGBoost compares in single precision: the value is rounded to `f32` first. So `f32(x) < t` becomes our
//! `x <= T` with `T` the largest `f64` that rounds below `t` ([`f32_less_than_bound`]), which is exact.

use std::path::Path;

use serde_json::Value;

use super::{ImportError, logit};
use crate::trees::ensemble::{Feature, FeatureKind, MissingRule, Node, Objective, Tree, TreeEnsemble};

/// Parses an XGBoost JSON model; `file` names it in errors.
pub fn parse(text: &str, file: &Path) -> Result<TreeEnsemble, ImportError> {
    let field_error =
        |field: &str, reason: String| ImportError::Field { file: file.to_path_buf(), field: field.into(), reason };
    let root: Value = serde_json::from_str(text).map_err(|e| field_error("(json)", format!("not JSON: {e}")))?;
    let learner = root.get("learner").ok_or(ImportError::UnknownFormat { file: file.to_path_buf() })?;
    let at = |path: &str| -> Result<&Value, ImportError> {
        let mut v = &root;
        for key in path.split('.') {
            v = v.get(key).ok_or_else(|| field_error(path, "missing".into()))?;
        }
        Ok(v)
    };
    let unsupported =
        |field: &str, value: String| ImportError::Unsupported { file: file.to_path_buf(), field: field.into(), value };

    let objective = at("learner.objective.name")?.as_str().unwrap_or_default();
    if !matches!(objective, "binary:logistic" | "reg:logistic") {
        return Err(unsupported("learner.objective.name", objective.into()));
    }
    let booster = at("learner.gradient_booster.name")?.as_str().unwrap_or_default();
    if booster != "gbtree" {
        return Err(unsupported("learner.gradient_booster.name", booster.into()));
    }
    let param = |key: &str| -> Result<String, ImportError> {
        let path = format!("learner.learner_model_param.{key}");
        match at(&path)? {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            other => Err(field_error(&path, format!("{other} is not a number"))),
        }
    };
    for key in ["num_class", "num_target"] {
        if let Ok(v) = param(key) {
            if !matches!(v.as_str(), "0" | "1") {
                return Err(unsupported(&format!("learner.learner_model_param.{key}"), v));
            }
        }
    }
    let base_text = param("base_score")?;
    let base_field = "learner.learner_model_param.base_score";
    let base: f32 = base_text
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim()
        .parse()
        .map_err(|_| field_error(base_field, format!("'{base_text}' is not a number")))?;
    if !(base > 0.0 && base < 1.0) {
        return Err(field_error(base_field, format!("{base} is not a probability in (0, 1)")));
    }
    let base_margin = logit(f64::from(base));

    let n_features: usize = param("num_feature")?
        .parse()
        .map_err(|_| field_error("learner.learner_model_param.num_feature", "not a whole number".into()))?;
    let names: Vec<String> = match learner.get("feature_names").and_then(Value::as_array) {
        Some(names) if !names.is_empty() => names.iter().map(|n| n.as_str().unwrap_or_default().to_string()).collect(),
        _ => (0..n_features).map(|j| format!("f{j}")).collect(),
    };
    if names.len() != n_features {
        return Err(field_error("learner.feature_names", format!("{} names for {n_features} features", names.len())));
    }
    if let Some(types) = learner.get("feature_types").and_then(Value::as_array) {
        if let Some(j) = types.iter().position(|t| t.as_str() == Some("c")) {
            return Err(unsupported("learner.feature_types", format!("categorical feature '{}'", names[j])));
        }
    }
    let features = names.into_iter().map(|name| Feature { name, kind: FeatureKind::Numeric }).collect();

    let trees_field = "learner.gradient_booster.model.trees";
    let trees = at(trees_field)?.as_array().ok_or_else(|| field_error(trees_field, "not a list".into()))?;
    let trees = trees
        .iter()
        .enumerate()
        .map(|(t, tree)| {
            parse_tree(tree, n_features).map_err(|(f, r)| field_error(&format!("{trees_field}[{t}].{f}"), r))
        })
        .collect::<Result<Vec<_>, _>>()?;
    TreeEnsemble::new(features, Objective::Logistic, base_margin, trees)
        .map_err(|source| ImportError::Ensemble { file: file.to_path_buf(), source })
}

type TreeError = (String, String);

fn array<'a>(tree: &'a Value, key: &str) -> Result<&'a Vec<Value>, TreeError> {
    tree.get(key).and_then(Value::as_array).ok_or_else(|| (key.to_string(), "missing or not a list".to_string()))
}

fn floats(tree: &Value, key: &str, len: usize) -> Result<Vec<f64>, TreeError> {
    let values = array(tree, key)?;
    if values.len() != len {
        return Err((key.into(), format!("{} values for {len} nodes", values.len())));
    }
    values
        .iter()
        .enumerate()
        .map(|(i, v)| v.as_f64().ok_or((key.into(), format!("node {i}: {v} is not a number"))))
        .collect()
}

fn ints(tree: &Value, key: &str, len: usize) -> Result<Vec<i64>, TreeError> {
    let values = array(tree, key)?;
    if values.len() != len {
        return Err((key.into(), format!("{} values for {len} nodes", values.len())));
    }
    values
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            // `default_left` was written as booleans by some versions.
            Value::Bool(b) => Ok(i64::from(*b)),
            _ => v.as_i64().ok_or((key.into(), format!("node {i}: {v} is not a whole number"))),
        })
        .collect()
}

fn parse_tree(tree: &Value, n_features: usize) -> Result<Tree, TreeError> {
    let left = ints(tree, "left_children", array(tree, "left_children")?.len())?;
    let n = left.len();
    if n == 0 {
        return Err(("left_children".into(), "the tree has no nodes".into()));
    }
    let right = ints(tree, "right_children", n)?;
    let feature = ints(tree, "split_indices", n)?;
    let condition = floats(tree, "split_conditions", n)?;
    let default_left = ints(tree, "default_left", n)?;
    let cover = floats(tree, "sum_hessian", n)?;
    if let Ok(types) = ints(tree, "split_type", n) {
        if let Some(i) = types.iter().position(|&t| t != 0) {
            return Err(("split_type".into(), format!("node {i}: categorical splits are not supported")));
        }
    }
    // Renumber depth-first so that children follow their parent.
    let mut nodes = vec![Node::Leaf { value: 0.0, cover: 1.0 }];
    let mut stack = vec![(0usize, 0usize)];
    let mut seen = vec![false; n];
    while let Some((i, slot)) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            return Err(("left_children".into(), format!("node {i} is reached twice")));
        }
        if left[i] == -1 {
            nodes[slot] = Node::Leaf { value: condition[i], cover: cover[i] };
            continue;
        }
        let in_range = |c: i64| c > 0 && (c as usize) < n;
        if !in_range(left[i]) || !in_range(right[i]) {
            return Err((
                "left_children".into(),
                format!("node {i}: children {} and {} out of range", left[i], right[i]),
            ));
        }
        let f = feature[i];
        if f < 0 || f as usize >= n_features {
            return Err(("split_indices".into(), format!("node {i}: feature {f} is out of range")));
        }
        let (l, r) = (nodes.len(), nodes.len() + 1);
        nodes.push(Node::Leaf { value: 0.0, cover: 1.0 });
        nodes.push(Node::Leaf { value: 0.0, cover: 1.0 });
        nodes[slot] = Node::Numeric {
            feature: f as usize,
            threshold: f32_less_than_bound(condition[i] as f32),
            default_left: default_left[i] != 0,
            missing: MissingRule::NanDefault,
            left: l,
            right: r,
            cover: cover[i],
        };
        stack.push((right[i] as usize, r));
        stack.push((left[i] as usize, l));
    }
    if let Some(i) = seen.iter().position(|s| !s) {
        return Err(("left_children".into(), format!("node {i} is not reachable from the root")));
    }
    Ok(Tree::new(nodes))
}

/// The largest `f64` whose rounding to `f32` (to nearest, ties to even) is below `t`: for every non-NaN `x`,
/// `(x as f32) < t` exactly when `x <= f32_less_than_bound(t)`.
pub fn f32_less_than_bound(t: f32) -> f64 {
    if t.is_nan() {
        return f64::NAN;
    }
    if t == f32::NEG_INFINITY {
        return f64::NEG_INFINITY;
    }
    let below = next_down_f32(t);
    if below == f32::NEG_INFINITY {
        // t is the lowest finite f32: only values rounding to −∞ are below it.
        return -f64::from(f32::MAX) - (f64::from(f32::MAX) - f64::from(next_down_f32(f32::MAX))) / 2.0;
    }
    if t == f32::INFINITY {
        // Everything that does not round to +∞ is below: up to the midpoint past f32::MAX, exclusive when
        // the tie rounds to +∞ (f32::MAX has an odd significand, so it does).
        let half_ulp = (f64::from(f32::MAX) - f64::from(next_down_f32(f32::MAX))) / 2.0;
        return next_down_f64(f64::from(f32::MAX) + half_ulp);
    }
    // Halfway between `below` and `t`, exact in f64; a tie rounds to the even significand.
    let mid = f64::from(below) + (f64::from(t) - f64::from(below)) / 2.0;
    if below.to_bits() % 2 == 0 { mid } else { next_down_f64(mid) }
}

fn next_down_f32(x: f32) -> f32 {
    if x == 0.0 {
        -f32::from_bits(1)
    } else if x > 0.0 {
        f32::from_bits(x.to_bits() - 1)
    } else {
        f32::from_bits(x.to_bits() + 1)
    }
}

fn next_down_f64(x: f64) -> f64 {
    if x == 0.0 {
        -f64::from_bits(1)
    } else if x > 0.0 {
        f64::from_bits(x.to_bits() - 1)
    } else {
        f64::from_bits(x.to_bits() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f32_bound_matches_rounding_comparison_around_thresholds() {
        let thresholds = [0.6215948f32, 1.0, 2.0, -3.5, 0.0, -0.0, 1e-40, -1e-40, 123456.79, f32::MIN_POSITIVE, 7.0e30];
        for t in thresholds {
            let bound = f32_less_than_bound(t);
            // Probe the bound and its neighbours, and values around t itself.
            let mut probes = vec![bound, next_down_f64(bound), f64::from_bits(bound.to_bits().wrapping_add(1))];
            for k in -3i64..=3 {
                let base = f64::from(t);
                probes.push(f64::from_bits(base.to_bits().wrapping_add_signed(k)));
            }
            for x in probes.into_iter().filter(|x| x.is_finite()) {
                assert_eq!((x as f32) < t, x <= bound, "t = {t:e}, x = {x:e}, bound = {bound:e}");
            }
        }
    }
}
