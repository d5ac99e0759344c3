//! `agririsk model …` end to end on the committed credit data: train with folds, evaluate, score in input order
//! with reasons, report, import a LightGBM model and score it natively; and bad input that exits 2, names the file,
//! row, column or field, and leaves no artifact behind.

use std::path::{Path, PathBuf};

use super::{agririsk, agririsk_as, proposal_id, snapshot, stderr};

fn credit(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/credit").join(file)
}

fn fixture(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scoring/tests/fixtures").join(file)
}

fn ok(args: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = agririsk(dir.path(), args);
    assert!(out.status.success(), "{args:?} failed: {}", stderr(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn train_evaluate_score_and_report_a_scorecard_and_trees() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (data, folds) = (credit("german.csv"), credit("german.folds.csv"));
    for kind in ["scorecard", "gbdt"] {
        let model = dir.path().join(format!("{kind}.json"));
        let text = ok(&[
            "model",
            "train",
            "--data",
            s(&data),
            "--target",
            "bad",
            "--kind",
            kind,
            "--folds",
            s(&folds),
            "--out",
            s(&model),
            "--quiet",
        ]);
        assert!(text.is_empty(), "--quiet prints nothing: {text}");
        let artifact: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&model).expect("written")).expect("JSON");
        assert_eq!(artifact["format"], "agririsk.model");
        assert_eq!(artifact["kind"], kind);
        assert_eq!(artifact["training"]["rows"], 1000);
        let cv = artifact["metrics"].as_array().expect("metrics").iter().find(|m| m["on"] == "5-fold cross-validation");
        let auc = cv.expect("cross-validated")["auc"].as_f64().expect("a number");
        assert!(auc > 0.75, "{kind} cross-validated AUC {auc}");

        let json =
            ok(&["model", "evaluate", "--model", s(&model), "--data", s(&data), "--target", "bad", "--format", "json"]);
        let e: serde_json::Value = serde_json::from_str(&json).expect("JSON");
        assert_eq!(e["rows"], 1000);
        assert!(e["auc"].as_f64().expect("auc") > auc, "in-sample above cross-validated");
        assert_eq!(e["calibration"].as_array().expect("bands").len(), 10);

        let scores = dir.path().join(format!("{kind}.scores.csv"));
        ok(&["model", "score", "--model", s(&model), "--data", s(&data), "--out", s(&scores)]);
        let text = std::fs::read_to_string(&scores).expect("written");
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("row,pd,score,reasons,reasons_en"));
        let rows: Vec<&str> = lines.collect();
        assert_eq!(rows.len(), 1000);
        assert!(rows[0].starts_with("1,") && rows[999].starts_with("1000,"), "input order, numbered from 1");
        let reasons =
            |line: &str| line.rsplit(',').next().map_or(0, |r| r.split("; ").filter(|x| !x.is_empty()).count());
        assert!(rows.iter().all(|r| reasons(r) <= 4), "at most four reasons");
        assert!(rows.iter().any(|r| reasons(r) >= 1));

        let report = dir.path().join(format!("{kind}.html"));
        ok(&["model", "report", "--model", s(&model), "--data", s(&data), "--target", "bad", "--out", s(&report)]);
        let html = std::fs::read_to_string(&report).expect("written");
        assert!(html.contains("<svg") && html.contains("ROC"), "charts in the report");
    }
}

#[test]
fn an_imported_lightgbm_model_scores_like_the_library() {
    let dir = tempfile::tempdir().expect("temp dir");
    let model = dir.path().join("lgbm.json");
    ok(&["model", "import", "--lightgbm", s(&fixture("lightgbm_german.txt")), "--out", s(&model)]);
    let scores = dir.path().join("scores.csv");
    ok(&[
        "model",
        "score",
        "--model",
        s(&model),
        "--data",
        s(&fixture("lightgbm_german.input.csv")),
        "--out",
        s(&scores),
    ]);
    let expected = std::fs::read_to_string(fixture("lightgbm_german.expected.csv")).expect("fixture");
    let header: Vec<&str> = expected.lines().next().expect("header").split(',').collect();
    let column = header.iter().position(|h| *h == "proba").expect("a proba column");
    let ours: Vec<f64> = std::fs::read_to_string(&scores)
        .expect("written")
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).expect("pd").parse().expect("number"))
        .collect();
    let theirs: Vec<f64> =
        expected.lines().skip(1).map(|l| l.split(',').nth(column).expect("proba").parse().expect("number")).collect();
    assert_eq!(ours.len(), theirs.len());
    // Scores are written with six decimals.
    assert!(ours.iter().zip(&theirs).all(|(a, b)| (a - b).abs() <= 5e-7), "matches LightGBM to the printed precision");
}

#[test]
fn bad_model_input_exits_2_names_the_problem_and_writes_no_artifact() {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("written");
        p
    };
    let ragged = write("ragged.csv", "a,b,bad\n1,2,0\n3,1\n");
    let empty = write("empty.csv", "");
    let constant = write("constant.csv", "a,c,bad\n1,5,0\n2,5,1\n3,5,0\n4,5,1\n");
    let three = write("three.csv", "a,bad\n1,0\n2,1\n3,2\n");
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).expect("created");
    let model = out_dir.join("m.json");
    let german = credit("german.csv");
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["--data", s(&german), "--target", "nope"],
            "error: target: ".to_string() + s(&credit("german.csv")) + ": column 'nope': no such column",
        ),
        (
            vec!["--data", s(&three), "--target", "bad"],
            format!("error: target: {}: column 'bad': row 3: target 2 is not 0 or 1", s(&three)),
        ),
        (vec!["--data", s(&empty), "--target", "bad"], format!("error: data: {}: no header row", s(&empty))),
        (
            vec!["--data", s(&ragged), "--target", "bad"],
            format!("error: data: {}: line 3: 2 fields where the header has 3", s(&ragged)),
        ),
        (
            vec!["--data", s(&constant), "--target", "bad"],
            format!("error: data: {}: column 'c': constant; drop it or list it in `exclude`", s(&constant)),
        ),
    ];
    for (args, expected) in cases {
        let before = snapshot(&out_dir);
        let mut full = vec!["model", "train", "--kind", "scorecard", "--out", s(&model), "--quiet"];
        full.extend(args);
        let out = agririsk(dir.path(), &full);
        assert_eq!(out.status.code(), Some(2), "{full:?}: {}", stderr(&out));
        assert_eq!(stderr(&out).trim_end(), expected);
        assert_eq!(snapshot(&out_dir), before, "nothing written for {full:?}");
    }

    // A tampered artifact and an unknown version are refused by every command that reads a model.
    let good = dir.path().join("good.json");
    ok(&[
        "model",
        "train",
        "--data",
        s(&credit("taiwan_sample.csv")),
        "--target",
        "bad",
        "--kind",
        "scorecard",
        "--out",
        s(&good),
        "--quiet",
    ]);
    let text = std::fs::read_to_string(&good).expect("written");
    let tampered = write("tampered.json", &text.replacen("\"name\": \"credit-risk\"", "\"name\": \"other\"", 1));
    let future = write("future.json", &text.replacen("\"format_version\": 1", "\"format_version\": 2", 1));
    for (file, expected) in [
        (&tampered, "field 'content_hash' does not match the content"),
        (&future, "field 'format_version' is 2; this build reads version 1"),
    ] {
        let scores = out_dir.join("s.csv");
        let out = agririsk(
            dir.path(),
            &["model", "score", "--model", s(file), "--data", s(&credit("taiwan_sample.csv")), "--out", s(&scores)],
        );
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        assert!(err.starts_with(&format!("error: model: {}: ", s(file))) && err.contains(expected), "{err}");
        assert!(!scores.exists(), "no scores file");
    }
    // Scoring data without a column the model reads names it.
    let narrow = write("narrow.csv", "EDUCATION\n1\n");
    let out = agririsk(
        dir.path(),
        &["model", "score", "--model", s(&good), "--data", s(&narrow), "--out", s(&out_dir.join("x.csv"))],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("column 'MARRIAGE': missing from the data"), "{}", stderr(&out));
}

#[test]
fn the_registry_keeps_one_champion_per_name_and_its_history() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().join("data");
    let (data, folds) = (credit("taiwan_sample.csv"), credit("taiwan_sample.folds.csv"));
    let mut ids = Vec::new();
    for kind in ["scorecard", "gbdt"] {
        let model = dir.path().join(format!("{kind}.json"));
        ok(&[
            "model",
            "train",
            "--data",
            s(&data),
            "--target",
            "bad",
            "--kind",
            kind,
            "--folds",
            s(&folds),
            "--name",
            "taiwan",
            "--out",
            s(&model),
            "--quiet",
        ]);
        let out = agririsk(&data_dir, &["model", "register", "--model", s(&model)]);
        assert!(out.status.success(), "{}", stderr(&out));
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(text.ends_with("is candidate\n"), "{text}");
        ids.push(text.split(", ").nth(1).expect("id").trim_end_matches(')').split(')').next().expect("id").to_string());
    }
    // A move is proposed by one person and made when another confirms it.
    let promote = |id: &str, to: &str| {
        agririsk_as("risk.li", &data_dir, &["model", "promote", "--id", id, "--to", to, "--reason", "monthly review"])
    };
    let decide = |user: &str, args: &[&str]| agririsk_as(user, &data_dir, &[&["approval"][..], args].concat());
    let statuses = || {
        let list = agririsk(&data_dir, &["model", "list", "--format", "json"]);
        let models: serde_json::Value = serde_json::from_slice(&list.stdout).expect("JSON");
        let status = |id: &str| {
            models.as_array().expect("list").iter().find(|m| m["id"] == id).expect("listed")["status"]
                .as_str()
                .expect("status")
                .to_string()
        };
        (status(&ids[0]), status(&ids[1]))
    };
    let first = promote(&ids[0], "champion");
    assert!(first.status.success(), "{}", stderr(&first));
    let p1 = proposal_id(&first);
    assert_eq!(statuses().0, "candidate", "a proposal changes nothing");
    let again = promote(&ids[0], "champion");
    assert_eq!(again.status.code(), Some(2), "one open proposal per model");
    assert!(stderr(&again).contains(&p1), "{}", stderr(&again));
    // The proposer cannot confirm it, under either of their names' surfaces.
    let own = decide("risk.li", &["confirm", &p1]);
    assert_eq!(own.status.code(), Some(2));
    assert!(stderr(&own).contains("another person"), "{}", stderr(&own));
    assert_eq!(statuses().0, "candidate");
    let confirmed = decide("risk.wang", &["confirm", &p1]);
    assert!(confirmed.status.success(), "{}", stderr(&confirmed));
    assert_eq!(statuses().0, "champion");
    // Confirming twice is refused and does nothing more.
    assert_eq!(decide("risk.zhao", &["confirm", &p1]).status.code(), Some(2));
    // The second model's promotion demotes the first to challenger.
    let p2 = proposal_id(&promote(&ids[1], "champion"));
    assert!(decide("risk.wang", &["confirm", &p2]).status.success());
    assert_eq!(statuses(), ("challenger".into(), "champion".into()));
    // A rejected proposal does nothing; a rejection needs a reason.
    let p3 = proposal_id(&promote(&ids[0], "retired"));
    assert_eq!(decide("risk.wang", &["reject", &p3, "--reason", " "]).status.code(), Some(2));
    assert!(decide("risk.wang", &["reject", &p3, "--reason", "still useful"]).status.success());
    assert_eq!(statuses(), ("challenger".into(), "champion".into()));
    let listed = decide("risk.wang", &["list", "--all", "--format", "json"]);
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("JSON");
    let verdicts: Vec<_> = listed.as_array().expect("list").iter().map(|p| p["decision"]["verdict"].clone()).collect();
    assert_eq!(verdicts, ["confirmed", "confirmed", "rejected"]);
    assert_eq!(listed[0]["decision"]["decided_by"], "os:risk.wang");
    assert_eq!(listed[0]["proposed_by"], "os:risk.li");
    // Retired is final; an unknown status or id is bad input, refused when proposed.
    let p4 = proposal_id(&promote(&ids[0], "retired"));
    assert!(decide("risk.wang", &["confirm", &p4]).status.success());
    assert_eq!(statuses().0, "retired");
    let back = promote(&ids[0], "champion");
    assert_eq!(back.status.code(), Some(2));
    assert!(stderr(&back).starts_with("error: to: model ") && stderr(&back).contains("retired"), "{}", stderr(&back));
    assert_eq!(promote(&ids[1], "boss").status.code(), Some(2));
    assert_eq!(promote(&"0".repeat(64), "champion").status.code(), Some(2));
    assert_eq!(decide("risk.wang", &["confirm", "P999999"]).status.code(), Some(2));
    // The audit trail names the proposal on the move it carried out, made as the confirming person.
    let exported = agririsk(&data_dir, &["audit", "export", "--from", "2000-01-01", "--to", "2099-12-31"]);
    let text = String::from_utf8_lossy(&exported.stdout).into_owned();
    let moved = text
        .lines()
        .find(|l| l.contains("\"model.move\"") && l.contains(&p1))
        .unwrap_or_else(|| panic!("no model.move naming {p1} in {text}"));
    assert!(moved.contains("os:risk.wang"), "{moved}");
}

#[test]
fn stability_is_small_between_folds_and_large_for_a_shifted_sample() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = credit("taiwan_sample.csv");
    let model = dir.path().join("m.json");
    ok(&[
        "model",
        "train",
        "--data",
        s(&data),
        "--target",
        "bad",
        "--kind",
        "scorecard",
        "--out",
        s(&model),
        "--quiet",
    ]);
    let text = std::fs::read_to_string(&data).expect("data");
    let (header, rows) = text.split_once('\n').expect("header");
    let rows: Vec<&str> = rows.lines().collect();
    let write = |name: &str, picked: Vec<&str>| {
        let p = dir.path().join(name);
        std::fs::write(&p, format!("{header}\n{}\n", picked.join("\n"))).expect("written");
        p
    };
    let even = write("even.csv", rows.iter().step_by(2).copied().collect());
    let odd = write("odd.csv", rows.iter().skip(1).step_by(2).copied().collect());
    // The recent sample: only the largest credit limits (LIMIT_BAL is the third column).
    let mut by_limit = rows.clone();
    by_limit.sort_by(|a, b| {
        let limit = |r: &str| r.split(',').nth(2).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
        limit(a).total_cmp(&limit(b))
    });
    let rich = write("rich.csv", by_limit[by_limit.len() / 2..].to_vec());
    let psi = |actual: &Path| {
        let json = ok(&[
            "model",
            "stability",
            "--model",
            s(&model),
            "--expected",
            s(&even),
            "--actual",
            s(actual),
            "--format",
            "json",
        ]);
        let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
        (v["score_psi"]["index"].as_f64().expect("index"), v["features"].as_array().expect("features").len())
    };
    let (same, features) = psi(&odd);
    let (shifted, _) = psi(&rich);
    assert!(same < 0.1, "halves of one sample are stable: {same}");
    assert!(shifted > 0.25, "a skewed sample has shifted: {shifted}");
    assert!(features >= 3, "a CSI per scorecard feature");
}
