//! The HTML model report: escaping of data, headline metrics equal to the metrics module, chart geometry, well-formed
//! markup, size and determinism, the degenerate inputs, and a real scorecard on the German credit data.
//!
//! Set `AGRIRISK_REPORT_SAMPLE=/some/path.html` to also write the German report there for a human look.

use scoring::data::{read_csv, read_folds};
use scoring::metrics::{auc, brier, gini, ks, log_loss};
use scoring::report::{
    BinRow, CURVE_POINTS_MAX, Evaluation, FeatureSection, ModelInfo, ReportInput, feature_sections, render,
};
use scoring::scorecard::{Scorecard, ScorecardConfig};

/// A small deterministic pseudo-random stream (tests only).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `rows` scored rows as in microcredit: PDs mostly a few percent with a tail up to 50%, rounded to 0.1% (so there
/// are many ties), and outcomes drawn from a noisier truth.
fn sample(rows: usize, seed: u64) -> Evaluation {
    let mut rng = Lcg(seed);
    let (mut scores, mut outcomes) = (Vec::with_capacity(rows), Vec::with_capacity(rows));
    for _ in 0..rows {
        let x = rng.next() * 6.0 - 6.0;
        let pd = 1.0 / (1.0 + (-x).exp());
        let truth = 1.0 / (1.0 + (-(x + rng.next() * 2.0 - 1.0)).exp());
        scores.push((pd * 1000.0).round() / 1000.0);
        outcomes.push(u8::from(rng.next() < truth));
    }
    Evaluation { dataset: "synthetic holdout / 合成样本".into(), scores, outcomes }
}

fn model() -> ModelInfo {
    ModelInfo {
        id: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
        name: "Village scorecard".into(),
        kind: "WoE scorecard".into(),
        created_at: "2025-01-15T08:00:00Z".into(),
        format_version: 1,
        target: "bad".into(),
        training_rows: 12_000,
        training_bads: 1_140,
        data_fingerprint: "blake3:0a1b2c".into(),
    }
}

fn age_feature() -> FeatureSection {
    let bin = |label: &str, count, bads, woe, iv, points| BinRow {
        label: label.into(),
        count,
        bads,
        event_rate: Some(bads as f64 / count as f64),
        woe,
        iv,
        points: Some(points),
    };
    FeatureSection {
        name: "age".into(),
        iv: Some(0.0921),
        status: "selected / 入模".into(),
        bins: vec![
            bin("[-inf, 26)", 2_000, 300, 0.52, 0.051, 38),
            bin("[26, 40)", 6_000, 540, -0.05, 0.001, 52),
            bin("[40, inf)", 3_900, 290, -0.27, 0.025, 60),
            BinRow {
                label: "Missing".into(),
                count: 0,
                bads: 0,
                event_rate: None,
                woe: 0.0,
                iv: 0.0,
                points: Some(50),
            },
        ],
    }
}

fn input(evaluation: Option<Evaluation>) -> ReportInput {
    ReportInput {
        title: "Village scorecard v1 — model report".into(),
        model: model(),
        evaluation,
        features: vec![
            age_feature(),
            FeatureSection { name: "phone_brand".into(), iv: Some(0.004), status: "dropped".into(), bins: vec![] },
        ],
        warnings: vec!["feature 'repaid_flag' has IV 1.450 > 1 on its own: likely leak of the outcome".into()],
    }
}

/// The `data-value` of the element marked `data-metric="{metric}"`, and the text it shows.
fn metric(html: &str, metric: &str) -> (f64, String) {
    let marker = format!("data-metric=\"{metric}\" data-value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {metric} in the report")) + marker.len();
    let value = &html[start..start + html[start..].find('"').expect("attribute closes")];
    let shown_start = start + html[start..].find('>').expect("tag closes") + 1;
    let shown = &html[shown_start..shown_start + html[shown_start..].find('<').expect("element closes")];
    (value.parse().expect("data-value is a number"), shown.to_string())
}

/// The points of the `data-series="{series}"` polyline, in the plot's unit square.
fn series(html: &str, series: &str) -> Vec<(f64, f64)> {
    let start = html.find(&format!("data-series=\"{series}\"")).unwrap_or_else(|| panic!("no {series} series"));
    let tag = &html[start..start + html[start..].find("/>").expect("polyline closes")];
    let points = tag.split("points=\"").nth(1).expect("points attribute");
    points[..points.find('"').expect("attribute closes")]
        .split(' ')
        .map(|p| {
            let (x, y) = p.split_once(',').expect("x,y");
            (x.parse().expect("x"), y.parse().expect("y"))
        })
        .collect()
}

/// Checks that every element is closed in order (void and self-closed elements aside), that `<` only opens tags
/// and `&` only starts the entities the report uses, and that the page is one html document.
fn assert_well_formed(html: &str) {
    const VOID: &[&str] = &["meta"];
    const ENTITIES: &[&str] = &["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"];
    assert!(html.starts_with("<!DOCTYPE html>\n<html"), "starts with the doctype");
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = html;
    while let Some(pos) = rest.find(['<', '&']) {
        let tail = &rest[pos..];
        if let Some(after) = tail.strip_prefix('&') {
            assert!(
                ENTITIES.iter().any(|e| tail.starts_with(e)),
                "stray & before {:?}",
                after.chars().take(30).collect::<String>()
            );
            rest = after;
            continue;
        }
        let end = tail.find('>').expect("every tag closes");
        let tag = &tail[1..end];
        rest = &tail[end + 1..];
        assert!(!tag.contains('<'), "< inside a tag: {tag}");
        if tag.starts_with('!') {
            assert_eq!(tag, "!DOCTYPE html");
        } else if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop(), Some(name), "closing </{name}> matches the open element");
        } else {
            let name = tag.split([' ', '\n', '/']).next().expect("a tag has a name");
            assert!(!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()), "tag name {name:?}");
            if !tag.ends_with('/') && !VOID.contains(&name) {
                stack.push(name);
            }
        }
    }
    assert!(stack.is_empty(), "unclosed elements: {stack:?}");
    assert!(html.trim_end().ends_with("</html>"));
}

#[test]
fn hostile_names_and_labels_are_escaped() {
    let mut input = input(Some(sample(2_000, 1)));
    input.title = "Tom & Jerry's <b>model</b>".into();
    input.features[0].name = "<script>alert(1)</script>".into();
    input.features[0].bins[0].label = "\"><img src=x onerror=alert(1)>".into();
    input.features[0].status = "<SCRIPT>".into();
    input.warnings.push("<iframe src=\"javascript:alert(1)\">".into());
    input.model.id = "</td></tr></table><script>".into();
    input.evaluation.as_mut().expect("evaluation").dataset = "<svg onload=alert(1)>".into();
    let html = render(&input);
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the feature name is shown, escaped");
    assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert!(html.contains("Tom &amp; Jerry&#39;s &lt;b&gt;model&lt;/b&gt;"));
    let lower = html.to_lowercase();
    for forbidden in ["<script", "<img", "<iframe", "<svg onload", "<b>"] {
        assert!(!lower.contains(forbidden), "{forbidden} must not appear");
    }
    assert_well_formed(&html);
}

#[test]
fn headline_metrics_are_those_of_the_metrics_module() {
    let evaluation = sample(5_000, 2);
    let (s, y) = (&evaluation.scores, &evaluation.outcomes);
    let html = render(&input(Some(evaluation.clone())));
    let expected = [
        ("auc", auc(s, y)),
        ("gini", gini(s, y)),
        ("ks", ks(s, y)),
        ("brier", brier(s, y)),
        ("log_loss", log_loss(s, y)),
    ];
    for (name, want) in expected {
        let want = want.expect("both classes");
        let (value, shown) = metric(&html, name);
        assert_eq!(value, want, "{name} in data-value");
        assert_eq!(shown, format!("{want:.4}"), "{name} shown with four decimals");
    }
    let bads = y.iter().filter(|&&b| b == 1).count();
    assert_eq!(metric(&html, "bads").0, bads as f64);
    assert_eq!(metric(&html, "rows").0, 5_000.0);
    let (rate, shown) = metric(&html, "bad_rate");
    assert_eq!(rate, bads as f64 / 5_000.0);
    assert_eq!(shown, format!("{:.2}%", rate * 100.0));
}

#[test]
fn ks_gap_is_drawn_where_the_reported_ks_is() {
    let evaluation = sample(5_000, 3);
    let want = ks(&evaluation.scores, &evaluation.outcomes).expect("both classes");
    let html = render(&input(Some(evaluation.clone())));
    let gap = series(&html, "ks-gap");
    assert_eq!(gap.len(), 2);
    assert_eq!(gap[0].0, gap[1].0, "the gap is vertical");
    assert!(((gap[1].1 - gap[0].1).abs() - want).abs() < 2e-4, "gap {gap:?} against KS {want}");
    // The marked score splits the sample as the KS says: cumulative good share minus bad share at or below it.
    let at = metric(&html, "ks_score").0;
    let (mut bads, mut goods) = (0.0, 0.0);
    for (&s, &y) in evaluation.scores.iter().zip(&evaluation.outcomes) {
        if s <= at {
            if y == 1 { bads += 1.0 } else { goods += 1.0 }
        }
    }
    let (total_bads, total) = (evaluation.outcomes.iter().map(|&y| f64::from(y)).sum::<f64>(), 5_000.0);
    assert!(((goods / (total - total_bads) - bads / total_bads).abs() - want).abs() < 1e-12);
}

#[test]
fn roc_runs_from_origin_to_one_one_within_the_point_cap_at_100k_rows() {
    let evaluation = sample(100_000, 4);
    let want = auc(&evaluation.scores, &evaluation.outcomes).expect("both classes");
    let html = render(&input(Some(evaluation)));
    let roc = series(&html, "roc");
    assert_eq!(roc.first(), Some(&(0.0, 0.0)));
    assert_eq!(roc.last(), Some(&(1.0, 1.0)));
    assert!(roc.len() > 20 && roc.len() <= CURVE_POINTS_MAX, "{} points", roc.len());
    assert!(roc.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1), "ROC is monotone");
    // The thinned curve still encloses the AUC.
    let area: f64 = roc.windows(2).map(|w| (w[1].0 - w[0].0) * (w[0].1 + w[1].1) / 2.0).sum();
    assert!((area - want).abs() < 0.005, "area {area} against AUC {want}");
    for name in ["cumulative-goods", "cumulative-bads"] {
        let curve = series(&html, name);
        assert!(curve.len() <= CURVE_POINTS_MAX);
        assert_eq!(curve.last().map(|p| p.1), Some(1.0), "{name} ends at 100%");
    }
}

#[test]
fn hundred_thousand_rows_give_a_small_page() {
    let html = render(&input(Some(sample(100_000, 5))));
    assert!(html.len() < 200 * 1024, "{} bytes", html.len());
}

#[test]
fn markup_is_well_formed_with_one_svg_per_chart() {
    let html = render(&input(Some(sample(3_000, 6))));
    assert_well_formed(&html);
    let figures: Vec<&str> =
        html.split("<figure").skip(1).map(|f| &f[..f.find("</figure>").expect("closes")]).collect();
    assert_eq!(figures.len(), 4, "ROC, KS, distribution, calibration");
    for figure in &figures {
        assert_eq!(figure.matches("<svg").count(), 1);
    }
    assert_eq!(html.matches("<svg").count(), 4);
    for chart in ["roc", "ks", "distribution", "calibration"] {
        assert!(html.contains(&format!("data-chart=\"{chart}\"")), "{chart} chart");
    }
    // Self-contained: nothing is loaded from anywhere.
    for external in ["<link", "src=", "url(", "@import", "<script"] {
        assert!(!html.contains(external), "{external}");
    }
}

#[test]
fn report_without_evaluation_shows_model_and_bins() {
    let html = render(&input(None));
    assert_well_formed(&html);
    assert!(!html.contains("<svg") && !html.contains("data-metric"));
    assert!(html.contains(&model().id));
    assert!(html.contains("[26, 40)") && html.contains("Missing"));
    assert!(html.contains("<h3 id=\"feature-0\">age"), "age has a bins table");
    assert!(!html.contains("id=\"feature-1\""), "phone_brand has no bins to show");
    assert!(html.contains("likely leak"));
    // Totals of the age bins: 11,900 rows, 1,130 bads; and the empty bin shows no rate.
    assert!(html.contains("<td class=\"n\">11,900</td>") && html.contains("<td class=\"n\">1,130</td>"));
    assert!(html.contains("<td class=\"n\">—</td><td class=\"barcell\"></td>"));
}

#[test]
fn the_same_input_gives_the_same_bytes_even_after_a_json_round_trip() {
    let input = input(Some(sample(10_000, 7)));
    let json = serde_json::to_string(&input).expect("serialises");
    let back: ReportInput = serde_json::from_str(&json).expect("deserialises");
    assert_eq!(render(&input), render(&back));
}

#[test]
fn unusable_evaluations_are_reported_on_the_page() {
    let mut evaluation = sample(100, 8);
    evaluation.outcomes.pop();
    let html = render(&input(Some(evaluation)));
    assert_well_formed(&html);
    assert!(html.contains("data-evaluation-error") && html.contains("100 scores but 99 outcomes"));
    assert!(html.contains("id=\"feature-0\""), "the rest of the report is still there");

    let one_class = Evaluation { dataset: "goods only".into(), scores: vec![0.1, 0.2, 0.3], outcomes: vec![0; 3] };
    let html = render(&input(Some(one_class)));
    assert_well_formed(&html);
    assert!(html.contains("data-metric=\"auc\">n/a<"));
    assert!(!html.contains("data-chart=\"roc\"") && !html.contains("data-chart=\"ks\""));
    assert!(html.contains("data-chart=\"distribution\"") && html.contains("lift is undefined"));
}

#[test]
fn german_scorecard_report_shows_every_model_bin() {
    let dir = crate::credit_data();
    let mut frame = read_csv(&dir.join("german.csv")).expect("german.csv");
    let target = frame.take_target("bad").expect("binary target");
    let folds = read_folds(&dir.join("german.folds.csv"), frame.rows()).expect("folds");
    let (train, test): (Vec<usize>, Vec<usize>) = (0..frame.rows()).partition(|&i| folds[i] != 0);
    let train_y: Vec<u8> = train.iter().map(|&i| target[i]).collect();
    let card = Scorecard::fit(&frame.take(&train), &train_y, &ScorecardConfig::default()).expect("fits");
    let scores = card.predict_pd(&frame.take(&test)).expect("scores");
    let outcomes: Vec<u8> = test.iter().map(|&i| target[i]).collect();

    let features = feature_sections(&card);
    assert_eq!(features.len(), card.report().len());
    let input = ReportInput {
        title: "German credit — scorecard, fold 0 / 德国信贷评分卡".into(),
        model: ModelInfo {
            name: "german-scorecard".into(),
            training_rows: train.len() as u64,
            training_bads: train_y.iter().map(|&y| u64::from(y)).sum(),
            ..model()
        },
        evaluation: Some(Evaluation {
            dataset: "german fold 0".into(),
            scores: scores.clone(),
            outcomes: outcomes.clone(),
        }),
        features,
        warnings: card.warnings().iter().map(ToString::to_string).collect(),
    };
    let html = render(&input);
    assert_well_formed(&html);
    assert_eq!(metric(&html, "auc").0, auc(&scores, &outcomes).expect("both classes"));
    for f in card.features() {
        for (bin, points) in f.binning().bins().iter().zip(f.points()) {
            let label = bin.label.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
            assert!(html.contains(&format!("<td>{label}</td>")), "{}: {label}", f.name());
            assert!(html.contains(&format!("<td class=\"n\">{points}</td>")));
        }
    }
    if let Some(path) = std::env::var_os("AGRIRISK_REPORT_SAMPLE") {
        std::fs::write(path, &html).expect("sample report written");
    }
}
