//! Imported LightGBM and XGBoost models score like the libraries themselves (to 1e-6) and explain like their own
//! TreeSHAP; malformed model files fail naming the file and the field.

use std::path::Path;

use scoring::data::{Column, Frame, read_csv};
use scoring::trees::{ImportError, TreeEnsemble, parse_model, read_model};

use super::fixtures;

/// Expected outputs: margin, probability, then one contribution column per feature and the bias.
fn expected(name: &str) -> Frame {
    read_csv(&fixtures().join(format!("{name}.expected.csv"))).expect("expected outputs readable")
}

fn numbers<'a>(frame: &'a Frame, column: &str) -> &'a [f64] {
    match frame.column(column) {
        Some(Column::Numeric(v)) => v,
        _ => panic!("no numeric column {column}"),
    }
}

/// Scores the fixture's input rows and compares margins, probabilities and contributions with the library's.
fn check(name: &str, model_file: &str, contribution_tolerance: f64) -> TreeEnsemble {
    let model = read_model(&fixtures().join(model_file)).expect("model imports");
    let input = read_csv(&fixtures().join(format!("{name}.input.csv"))).expect("input readable");
    let want = expected(name);
    let margin = model.predict_margin(&input).expect("scores");
    let proba = model.predict_proba(&input).expect("scores");
    assert_eq!(margin.len(), want.rows());
    for (i, (m, p)) in margin.iter().zip(&proba).enumerate() {
        let (wm, wp) = (numbers(&want, "margin")[i], numbers(&want, "proba")[i]);
        assert!((m - wm).abs() <= 1e-6, "{name} row {i}: margin {m} vs {wm}");
        assert!((p - wp).abs() <= 1e-6, "{name} row {i}: probability {p} vs {wp}");
    }
    let contributions = model.contributions_matrix(&model.encode(&input).expect("encodes"));
    let mut columns: Vec<String> = model.features().iter().map(|f| format!("contrib:{}", f.name)).collect();
    columns.push("contrib:bias".into());
    for (i, m) in margin.iter().enumerate() {
        for (j, column) in columns.iter().enumerate() {
            let (got, want) = (contributions.row(i)[j], numbers(&want, column)[i]);
            assert!((got - want).abs() <= contribution_tolerance, "{name} row {i} {column}: {got} vs {want}");
        }
        let total: f64 = contributions.row(i).iter().sum();
        assert!((total - m).abs() < 1e-9, "{name} row {i}: contributions sum to {total}, margin {m}");
    }
    model
}

#[test]
fn lightgbm_with_categorical_splits_and_missing_values_matches_lightgbm() {
    let model = check("lightgbm_german", "lightgbm_german.txt", 1e-9);
    // The fixture exercises categorical splits and every missing-value rule LightGBM writes.
    let nodes: Vec<_> = model.trees().iter().flat_map(|t| t.nodes()).collect();
    assert!(
        nodes.iter().any(|n| matches!(n, scoring::trees::Node::Categorical { left_codes, .. } if left_codes.len() > 1))
    );
    for rule in [scoring::trees::MissingRule::NanAsZero, scoring::trees::MissingRule::NanDefault] {
        assert!(nodes.iter().any(|n| matches!(n, scoring::trees::Node::Numeric { missing, .. } if *missing == rule)));
    }
}

#[test]
fn lightgbm_zero_as_missing_matches_lightgbm() {
    let model = check("lightgbm_bloan_zero", "lightgbm_bloan_zero.txt", 1e-9);
    let zero_rule = scoring::trees::MissingRule::ZeroAsMissing;
    assert!(
        model
            .trees()
            .iter()
            .flat_map(|t| t.nodes())
            .any(|n| matches!(n, scoring::trees::Node::Numeric { missing, .. } if *missing == zero_rule))
    );
}

#[test]
fn xgboost_with_missing_values_matches_xgboost() {
    // XGBoost computes contributions in single precision.
    check("xgboost_bloan", "xgboost_bloan.json", 2e-5);
}

#[test]
fn imported_model_round_trips_through_our_artifact_format() {
    let model = read_model(&fixtures().join("lightgbm_german.txt")).expect("imports");
    let text = serde_json::to_string(&model).expect("serialises");
    let back: TreeEnsemble = serde_json::from_str(&text).expect("deserialises");
    let input = read_csv(&fixtures().join("lightgbm_german.input.csv")).expect("input");
    assert_eq!(back.predict_margin(&input), model.predict_margin(&input));
}

fn error_for(text: &str) -> ImportError {
    parse_model(text, Path::new("bad/model.txt")).expect_err("must be rejected")
}

fn field_error(text: &str) -> (String, String) {
    match error_for(text) {
        ImportError::Field { file, field, reason } => {
            assert_eq!(file, Path::new("bad/model.txt"));
            (field, reason)
        }
        other => panic!("expected a field error, got {other}"),
    }
}

#[test]
fn malformed_lightgbm_models_name_the_file_and_field() {
    let good = std::fs::read_to_string(fixtures().join("lightgbm_bloan_zero.txt")).expect("fixture");
    assert!(parse_model(&good, Path::new("ok.txt")).is_ok());

    let (field, _) = field_error(&good.replacen("threshold=", "threshold=abc ", 1));
    assert_eq!(field, "Tree=0 threshold");
    let (field, reason) = field_error(&good.replacen("left_child=1", "left_child=99", 1));
    assert_eq!((field.as_str(), reason.contains("out of range")), ("Tree=0 left_child", true));
    let (field, _) = field_error(&good.replacen("\nfeature_names=", "\nfeature_namez=", 1));
    assert_eq!(field, "feature_names");
    let (field, _) = field_error(&good.replacen("leaf_value=", "leaf_value=1 ", 1));
    assert_eq!(field, "Tree=0 leaf_value");

    let error = error_for(&good.replacen("objective=binary sigmoid:1", "objective=regression", 1));
    assert!(matches!(&error, ImportError::Unsupported { field, .. } if field == "objective"), "{error}");
    assert!(error.to_string().starts_with("bad/model.txt: objective"), "{error}");
    assert!(matches!(error_for("hello, world"), ImportError::UnknownFormat { .. }));
    assert!(matches!(error_for("{\"not\": \"xgboost\"}"), ImportError::UnknownFormat { .. }));
}

#[test]
fn malformed_xgboost_models_name_the_file_and_field() {
    let good = std::fs::read_to_string(fixtures().join("xgboost_bloan.json")).expect("fixture");
    let mut json: serde_json::Value = serde_json::from_str(&good).expect("json");
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut copy = json.clone();
        f(&mut copy);
        copy.to_string()
    };
    let (field, _) = field_error(&edit(&|j| j["learner"]["learner_model_param"]["base_score"] = "[oops]".into()));
    assert_eq!(field, "learner.learner_model_param.base_score");
    let (field, _) = field_error(&edit(&|j| {
        j["learner"]["gradient_booster"]["model"]["trees"][3]["split_conditions"] = serde_json::json!([1.0])
    }));
    assert_eq!(field, "learner.gradient_booster.model.trees[3].split_conditions");
    let (field, _) =
        field_error(&edit(&|j| j["learner"]["gradient_booster"]["model"]["trees"][0]["split_indices"][0] = 99.into()));
    assert_eq!(field, "learner.gradient_booster.model.trees[0].split_indices");
    let error = error_for(&edit(&|j| j["learner"]["objective"]["name"] = "multi:softprob".into()));
    assert!(matches!(&error, ImportError::Unsupported { field, .. } if field == "learner.objective.name"), "{error}");
    json["learner"]["gradient_booster"]["name"] = "dart".into();
    let error = error_for(&json.to_string());
    assert!(matches!(&error, ImportError::Unsupported { field, .. } if field == "learner.gradient_booster.name"));
    assert!(matches!(error_for("{ not json"), ImportError::Field { .. }));
}
