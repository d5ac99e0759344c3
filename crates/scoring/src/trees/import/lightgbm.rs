//! LightGBM text models (`model.txt`, format version v2–v4), binary objective only.
//!
//! The format, as LightGBM writes it (`GBDT::SaveModelToString`, `Tree::ToString`): a header of `key=value` lines
//! (`objective=binary sigmoid:1`, `feature_names=…`, `feature_infos=…`), then one block per tree starting with
//! `Tree=N`. In a tree of `num_leaves` leaves the `num_leaves − 1` split nodes are listed in parallel arrays:
//! `split_feature`, `threshold`, `decision_type`, `left_child`, `right_child`, `internal_count`; a child `c < 0`
//! is leaf `−c − 1` of `leaf_value` / `leaf_count`. The learning rate is already folded into `leaf_value`
//! (`shrinkage` is informational), and LightGBM's initial score is folded into the first tree.
//!
//! `decision_type` bits: 1 = categorical split, 2 = default left, bits 2–3 = missing type (0 None: NaN is read as
//! 0; 1 Zero: NaN and zero take the default direction; 2 NaN: NaN takes it). A numeric split sends `x <= threshold`
//! left. A categorical split's `threshold` indexes `cat_boundaries`, which delimits its bitset words in
//! `cat_threshold`: category codes whose bit is set go left, others right, and NaN or negative codes go right.
//!
//! After the trees, `pandas_categorical:` lists each categorical column's levels (pandas category order), which
//! become our feature levels, so text columns score by level name. Which columns are categorical comes from the
//! `[categorical_feature: …]` parameter, or else from `feature_infos` (a list of codes instead of `[min:max]`).

use std::collections::HashMap;
use std::path::Path;

use super::ImportError;
use crate::trees::ensemble::{Feature, FeatureKind, MissingRule, Node, Objective, Tree, TreeEnsemble};

/// Parses a LightGBM text model; `file` names it in errors.
pub fn parse(text: &str, file: &Path) -> Result<TreeEnsemble, ImportError> {
    let field_error =
        |field: &str, reason: String| ImportError::Field { file: file.to_path_buf(), field: field.to_string(), reason };
    let mut lines = text.lines().map(|l| l.trim_end_matches('\r'));
    if lines.next().map(str::trim) != Some("tree") {
        return Err(ImportError::UnknownFormat { file: file.to_path_buf() });
    }

    // Header: key=value until the first tree.
    let mut header: HashMap<&str, &str> = HashMap::new();
    let mut blocks: Vec<(String, HashMap<&str, &str>)> = Vec::new();
    let mut categorical_param: Option<&str> = None;
    let mut pandas_categorical: Option<&str> = None;
    let mut in_trees = true;
    for line in lines {
        if let Some(id) = line.strip_prefix("Tree=") {
            blocks.push((id.to_string(), HashMap::new()));
            continue;
        }
        if line == "end of trees" {
            in_trees = false;
            continue;
        }
        if let Some(rest) = line.strip_prefix("pandas_categorical:") {
            pandas_categorical = Some(rest);
            continue;
        }
        if let Some(rest) = line.strip_prefix("[categorical_feature:") {
            categorical_param = Some(rest.trim_end_matches(']').trim());
            continue;
        }
        let Some((key, value)) = line.split_once('=') else { continue };
        match blocks.last_mut() {
            Some((_, block)) if in_trees => {
                block.insert(key, value);
            }
            None => {
                header.insert(key, value);
            }
            _ => {}
        }
    }

    let get = |key: &str| header.get(key).copied().ok_or_else(|| field_error(key, "missing".into()));
    let objective = get("objective")?;
    let mut parts = objective.split_whitespace();
    let sigmoid = parts.clone().find_map(|p| p.strip_prefix("sigmoid:"));
    if parts.next() != Some("binary") || sigmoid.is_some_and(|s| s.parse::<f64>().ok() != Some(1.0)) {
        return Err(ImportError::Unsupported {
            file: file.to_path_buf(),
            field: "objective".into(),
            value: objective.into(),
        });
    }
    for key in ["num_class", "num_tree_per_iteration"] {
        if let Some(v) = header.get(key) {
            if v.trim() != "1" {
                let value = format!("{v} (only one class / tree per iteration)");
                return Err(ImportError::Unsupported { file: file.to_path_buf(), field: key.into(), value });
            }
        }
    }
    let names: Vec<String> = get("feature_names")?.split_whitespace().map(str::to_string).collect();
    if names.is_empty() {
        return Err(field_error("feature_names", "no names".into()));
    }
    if let Some(max) = header.get("max_feature_idx") {
        let max: usize = max.trim().parse().map_err(|_| field_error("max_feature_idx", format!("'{max}'")))?;
        if max + 1 != names.len() {
            return Err(field_error("feature_names", format!("{} names for max_feature_idx {max}", names.len())));
        }
    }

    // Which features are categorical.
    let categorical: Vec<usize> = match categorical_param.filter(|p| !p.is_empty()) {
        Some(list) => list
            .split(',')
            .map(|s| s.trim().parse::<usize>().ok().filter(|&j| j < names.len()))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| field_error("categorical_feature", format!("'{list}' is not a list of feature indices")))?,
        None => match header.get("feature_infos") {
            Some(infos) => infos
                .split_whitespace()
                .enumerate()
                .filter(|(_, info)| !info.starts_with('[') && *info != "none")
                .map(|(j, _)| j)
                .collect(),
            None => Vec::new(),
        },
    };
    let levels =
        pandas_levels(pandas_categorical, categorical.len()).map_err(|r| field_error("pandas_categorical", r))?;
    let mut features: Vec<Feature> =
        names.iter().map(|n| Feature { name: n.clone(), kind: FeatureKind::Numeric }).collect();
    for (k, &j) in categorical.iter().enumerate() {
        let levels = levels.as_ref().map_or_else(Vec::new, |l| l[k].clone());
        features[j].kind = FeatureKind::Categorical { levels };
    }

    if blocks.is_empty() {
        return Err(field_error("Tree", "the model has no trees".into()));
    }
    let trees = blocks
        .iter()
        .map(|(id, block)| parse_tree(block, names.len()).map_err(|(f, r)| field_error(&format!("Tree={id} {f}"), r)))
        .collect::<Result<Vec<_>, _>>()?;
    TreeEnsemble::new(features, Objective::Logistic, 0.0, trees)
        .map_err(|source| ImportError::Ensemble { file: file.to_path_buf(), source })
}

/// Levels per categorical feature from the `pandas_categorical` JSON (`None` when absent or `null`).
fn pandas_levels(json: Option<&str>, count: usize) -> Result<Option<Vec<Vec<String>>>, String> {
    let Some(json) = json.map(str::trim).filter(|j| *j != "null" && !j.is_empty()) else { return Ok(None) };
    let value: serde_json::Value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
    let lists = value.as_array().ok_or("not a list")?;
    if lists.len() != count {
        return Err(format!("{} level lists for {count} categorical features", lists.len()));
    }
    lists
        .iter()
        .map(|list| {
            list.as_array()
                .ok_or("an entry is not a list")?
                .iter()
                .map(|v| match v {
                    serde_json::Value::String(s) => Ok(s.clone()),
                    serde_json::Value::Number(n) => Ok(n.to_string()),
                    other => Err(format!("level {other} is not text or a number")),
                })
                .collect()
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

type TreeError = (String, String);

fn numbers<T: std::str::FromStr>(block: &HashMap<&str, &str>, key: &str, len: usize) -> Result<Vec<T>, TreeError> {
    let text = block.get(key).ok_or_else(|| (key.to_string(), "missing".to_string()))?;
    let values = text
        .split_whitespace()
        .enumerate()
        .map(|(i, s)| s.parse::<T>().map_err(|_| (key.to_string(), format!("value {} '{s}' is not a number", i + 1))))
        .collect::<Result<Vec<T>, _>>()?;
    if values.len() != len {
        return Err((key.to_string(), format!("{} values where {len} are expected", values.len())));
    }
    Ok(values)
}

fn parse_tree(block: &HashMap<&str, &str>, n_features: usize) -> Result<Tree, TreeError> {
    let leaves: usize = numbers(block, "num_leaves", 1)?[0];
    if leaves == 0 {
        return Err(("num_leaves".into(), "must be at least 1".into()));
    }
    if block.get("is_linear").is_some_and(|v| v.trim() != "0") {
        return Err(("is_linear".into(), "linear trees are not supported".into()));
    }
    let leaf_value: Vec<f64> = numbers(block, "leaf_value", leaves)?;
    // Covers for TreeSHAP: LightGBM's own uses the row counts.
    let leaf_count: Vec<f64> =
        if block.contains_key("leaf_count") { numbers(block, "leaf_count", leaves)? } else { vec![1.0; leaves] };
    if leaves == 1 {
        return Ok(Tree::new(vec![Node::Leaf { value: leaf_value[0], cover: leaf_count[0].max(1.0) }]));
    }
    let splits = leaves - 1;
    let split_feature: Vec<usize> = numbers(block, "split_feature", splits)?;
    let threshold: Vec<f64> = numbers(block, "threshold", splits)?;
    let decision_type: Vec<u8> = numbers(block, "decision_type", splits)?;
    let left_child: Vec<i64> = numbers(block, "left_child", splits)?;
    let right_child: Vec<i64> = numbers(block, "right_child", splits)?;
    let internal_count: Vec<f64> = numbers(block, "internal_count", splits)?;
    let num_cat: usize = if block.contains_key("num_cat") { numbers(block, "num_cat", 1)?[0] } else { 0 };
    let (cat_boundaries, cat_threshold): (Vec<usize>, Vec<u32>) = if num_cat > 0 {
        let boundaries: Vec<usize> = numbers(block, "cat_boundaries", num_cat + 1)?;
        let words = boundaries.last().copied().unwrap_or(0);
        if boundaries.windows(2).any(|w| w[0] > w[1]) {
            return Err(("cat_boundaries".into(), "not non-decreasing".into()));
        }
        (boundaries, numbers(block, "cat_threshold", words)?)
    } else {
        (Vec::new(), Vec::new())
    };

    // Renumber depth-first so that every child comes after its parent.
    enum Ref {
        Split(usize),
        Leaf(usize),
    }
    let child = |c: i64, field: &str, i: usize| -> Result<Ref, TreeError> {
        if c >= 0 && (c as usize) < splits {
            Ok(Ref::Split(c as usize))
        } else if c < 0 && ((-c - 1) as usize) < leaves {
            Ok(Ref::Leaf((-c - 1) as usize))
        } else {
            Err((field.to_string(), format!("node {i}: child {c} is out of range")))
        }
    };
    let mut nodes: Vec<Node> = Vec::with_capacity(2 * leaves - 1);
    // Stack of (reference, slot in `nodes` to fill).
    let mut stack = vec![(Ref::Split(0), 0usize)];
    nodes.push(Node::Leaf { value: 0.0, cover: 1.0 });
    let mut visited = vec![false; splits];
    while let Some((r, slot)) = stack.pop() {
        match r {
            Ref::Leaf(k) => nodes[slot] = Node::Leaf { value: leaf_value[k], cover: leaf_count[k] },
            Ref::Split(i) => {
                if std::mem::replace(&mut visited[i], true) {
                    return Err(("left_child".into(), format!("node {i} is reached twice")));
                }
                let feature = split_feature[i];
                if feature >= n_features {
                    return Err(("split_feature".into(), format!("node {i}: feature {feature} is out of range")));
                }
                let left_ref = child(left_child[i], "left_child", i)?;
                let right_ref = child(right_child[i], "right_child", i)?;
                let (left, right) = (nodes.len(), nodes.len() + 1);
                nodes.push(Node::Leaf { value: 0.0, cover: 1.0 });
                nodes.push(Node::Leaf { value: 0.0, cover: 1.0 });
                let dt = decision_type[i];
                let cover = internal_count[i];
                nodes[slot] = if dt & 1 != 0 {
                    let cat = threshold[i];
                    let idx = cat as usize;
                    if cat < 0.0 || cat.fract() != 0.0 || idx >= num_cat {
                        return Err(("threshold".into(), format!("node {i}: categorical set {cat} out of range")));
                    }
                    let words = &cat_threshold[cat_boundaries[idx]..cat_boundaries[idx + 1]];
                    let left_codes = (0..words.len() * 32)
                        .filter(|&c| words[c / 32] & (1 << (c % 32)) != 0)
                        .map(|c| c as u32)
                        .collect();
                    Node::Categorical { feature, left_codes, default_left: false, left, right, cover }
                } else {
                    let missing = match (dt >> 2) & 3 {
                        0 => MissingRule::NanAsZero,
                        1 => MissingRule::ZeroAsMissing,
                        2 => MissingRule::NanDefault,
                        _ => return Err(("decision_type".into(), format!("node {i}: missing type 3 in {dt}"))),
                    };
                    Node::Numeric {
                        feature,
                        threshold: threshold[i],
                        default_left: dt & 2 != 0,
                        missing,
                        left,
                        right,
                        cover,
                    }
                };
                stack.push((right_ref, right));
                stack.push((left_ref, left));
            }
        }
    }
    if let Some(i) = visited.iter().position(|v| !v) {
        return Err(("left_child".into(), format!("node {i} is not reachable from the root")));
    }
    Ok(Tree::new(nodes))
}
