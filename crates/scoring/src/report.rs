//! The model report: one self-contained HTML page that a risk manager and an auditor can read offline, with the
//! model's identity, its warnings, its accuracy on a labelled sample (metrics, ROC and KS charts, score
//! distribution, calibration and lift tables) and the bins of every feature.
//!
//! [`render`] turns a [`ReportInput`] into the page as a `String`; writing it to a file is the caller's business.
//! The page has no scripts and loads nothing: styles are inline and the charts are inline SVG drawn by the `charts`
//! submodule. Every text that comes from data (titles, feature names, bin labels, warnings) is escaped. The same
//! input gives the same bytes: nothing here reads a clock, and numbers are formatted with fixed rules.
//!
//! Machine-readable hooks for tests and tools: each headline metric sits in an element with `data-metric="auc"`
//! (also `gini`, `ks`, `ks_score`, `brier`, `log_loss`, `bad_rate`, `rows`, `bads`) whose `data-value` holds the
//! exact `f64`; each chart is an `<svg data-chart="…">` whose curves are `data-series` elements drawn in the
//! plot's unit square (see [`CURVE_POINTS_MAX`] for their size).

mod charts;
mod markup;
mod summary;

use serde::{Deserialize, Serialize};

pub use summary::{
    CALIBRATION_BANDS, CURVE_POINTS_MAX, CumulativePoint, EvaluationError, EvaluationSummary, HISTOGRAM_BINS,
    Histogram, KsPoint, RocPoint,
};

use crate::scorecard::{FeatureStatus, Scorecard};
pub use markup::escape;
use markup::{count, exact, fixed, percent};

/// Everything the report shows. Filled by the caller from the model artifact and, optionally, a scored sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportInput {
    /// Page title, such as "Scorecard v3 — Xinyang county microcredit".
    pub title: String,
    /// Who the model is.
    pub model: ModelInfo,
    /// The model's scores on a labelled sample; without it the report shows the model and its bins only.
    pub evaluation: Option<Evaluation>,
    /// Features with their bins, in the order to show them.
    pub features: Vec<FeatureSection>,
    /// Things worth a human look (likely leaks, convergence), shown at the top.
    pub warnings: Vec<String>,
}

/// The identity and provenance of a model, as recorded in its artifact. Shown as given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// Content hash of the artifact.
    pub id: String,
    /// Human name.
    pub name: String,
    /// Model kind, such as "WoE scorecard" or "gradient-boosted trees".
    pub kind: String,
    /// When the artifact was made, as recorded in it (the report never reads a clock).
    pub created_at: String,
    /// Version of the artifact format.
    pub format_version: u32,
    /// The target column (1 = bad).
    pub target: String,
    /// Rows the model was trained on.
    pub training_rows: u64,
    /// Bads among them.
    pub training_bads: u64,
    /// Fingerprint of the training data.
    pub data_fingerprint: String,
}

/// A labelled sample scored by the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// What the sample is, such as "holdout 2024-Q4" or "fold 0 of german".
    pub dataset: String,
    /// Probability of default of each row, in [0, 1].
    pub scores: Vec<f64>,
    /// Outcome of each row: 1 = bad, 0 = good.
    pub outcomes: Vec<u8>,
}

/// One feature: its information value, what became of it, and its bins (empty when it has none to show).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSection {
    /// The feature's name.
    pub name: String,
    /// Information value of its binning, if it has one.
    pub iv: Option<f64>,
    /// What became of it, such as "selected / 入模".
    pub status: String,
    /// Its bins in order.
    pub bins: Vec<BinRow>,
}

/// One bin of a feature, with its training counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinRow {
    /// What the bin holds, such as `[26, 40)` or `Missing`.
    pub label: String,
    /// Training rows in the bin.
    pub count: u64,
    /// Training bads in the bin.
    pub bads: u64,
    /// Bad rate of the bin; `None` for an empty bin.
    pub event_rate: Option<f64>,
    /// Weight of evidence (positive = riskier than average; see [`crate::binning`]).
    pub woe: f64,
    /// The bin's part of the feature's information value.
    pub iv: f64,
    /// Scorecard points of the bin, if the model has points.
    pub points: Option<i32>,
}

/// The features of a scorecard for the report: every candidate in the scorecard's report order with its IV and
/// status; the features in the model also with their bins and points.
pub fn feature_sections(card: &Scorecard) -> Vec<FeatureSection> {
    card.report()
        .iter()
        .map(|r| {
            let in_model = card.features().iter().find(|f| f.name() == r.feature);
            let bins = in_model.map_or_else(Vec::new, |f| {
                f.binning()
                    .bins()
                    .iter()
                    .zip(f.points())
                    .map(|(b, &points)| BinRow {
                        label: b.label.clone(),
                        count: b.rows(),
                        bads: b.bads,
                        event_rate: b.event_rate(),
                        woe: b.woe,
                        iv: b.iv,
                        points: Some(points),
                    })
                    .collect()
            });
            FeatureSection { name: r.feature.clone(), iv: Some(r.iv), status: status_label(r.status).into(), bins }
        })
        .collect()
}

/// A scorecard feature status in English and Chinese.
fn status_label(status: FeatureStatus) -> &'static str {
    match status {
        FeatureStatus::Selected => "selected / 入模",
        FeatureStatus::LowIv => "dropped: IV too low / IV 过低",
        FeatureStatus::NotSelected => "dropped by selection / 未入选",
        FeatureStatus::WrongSign => "dropped: wrong sign / 系数符号错误",
    }
}

/// The report as one self-contained HTML page. The same input always gives the same bytes.
///
/// An evaluation that cannot be summarised (see [`Evaluation::summarize`]) is reported on the page rather than
/// failing the whole report; call `summarize` first to refuse it instead.
pub fn render(input: &ReportInput) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let title = escape(&input.title);
    out.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"agririsk model report\">\n<title>{title}</title>\n<style>{STYLE}</style>\n\
         </head>\n<body>\n<header>\n<h1>{title}</h1>\n<p class=\"sub\">Model report / 模型报告 · {} · {}</p>\n\
         </header>\n",
        escape(&input.model.name),
        escape(&input.model.kind)
    ));
    model_section(&mut out, &input.model);
    warnings_section(&mut out, &input.warnings);
    match &input.evaluation {
        Some(evaluation) => evaluation_section(&mut out, evaluation),
        None => out.push_str(
            "<section id=\"evaluation\">\n<h2>Evaluation / 模型评估</h2>\n<p class=\"note\">No evaluation sample was \
             given: this report shows the model and its bins only. / 未提供评估样本，本报告仅包含模型信息与分箱。</p>\n\
             </section>\n",
        ),
    }
    features_section(&mut out, &input.features);
    out.push_str(GLOSSARY);
    out.push_str(&format!(
        "<footer>\n<p>Generated by agririsk from model <span class=\"mono\">{}</span>. Computed from the model \
         artifact and the evaluation sample only: the same inputs give the same file. / 本报告由 agririsk 根据模型文件\
         与评估样本生成，输入相同则结果相同。</p>\n</footer>\n</body>\n</html>\n",
        escape(&input.model.id)
    ));
    out
}

/// A header row of a table: (title, numeric) per column.
fn header_row(out: &mut String, columns: &[(&str, bool)]) {
    out.push_str("<thead><tr>");
    for (title, numeric) in columns {
        out.push_str(if *numeric { "<th class=\"n\">" } else { "<th>" });
        out.push_str(title);
        out.push_str("</th>");
    }
    out.push_str("</tr></thead>\n");
}

/// A data cell; `numeric` cells are right-aligned. `text` must already be escaped or be markup of ours.
fn cell(numeric: bool, text: &str) -> String {
    if numeric { format!("<td class=\"n\">{text}</td>") } else { format!("<td>{text}</td>") }
}

fn model_section(out: &mut String, m: &ModelInfo) {
    let training_rate =
        if m.training_rows > 0 { percent(m.training_bads as f64 / m.training_rows as f64, 2) } else { "n/a".into() };
    let rows: [(&str, String); 9] = [
        ("Model ID (content hash) / 模型编号", format!("<span class=\"mono\">{}</span>", escape(&m.id))),
        ("Name / 名称", escape(&m.name)),
        ("Kind / 模型类型", escape(&m.kind)),
        ("Created / 创建时间", escape(&m.created_at)),
        ("Format version / 格式版本", m.format_version.to_string()),
        ("Target / 目标变量", format!("<span class=\"mono\">{}</span> (1 = bad / 坏)", escape(&m.target))),
        ("Training rows / 训练样本数", count(m.training_rows)),
        ("Training bads / 训练坏样本数", format!("{} ({training_rate})", count(m.training_bads))),
        ("Data fingerprint / 数据指纹", format!("<span class=\"mono\">{}</span>", escape(&m.data_fingerprint))),
    ];
    out.push_str("<section id=\"model\">\n<h2>Model / 模型信息</h2>\n<table class=\"kv\">\n<tbody>\n");
    for (key, value) in rows {
        out.push_str(&format!("<tr><th>{key}</th><td>{value}</td></tr>\n"));
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn warnings_section(out: &mut String, warnings: &[String]) {
    if warnings.is_empty() {
        return;
    }
    out.push_str("<section id=\"warnings\" class=\"warnings\">\n<h2>Warnings / 警告</h2>\n<ul>\n");
    for w in warnings {
        out.push_str(&format!("<li>{}</li>\n", escape(w)));
    }
    out.push_str("</ul>\n</section>\n");
}

/// A headline metric card; `value` is `None` when the metric is undefined on the sample.
fn metric_card(out: &mut String, key: &str, title: &str, value: Option<f64>, shown: &str, detail: &str) {
    let data = value.map_or_else(String::new, |v| format!(" data-value=\"{}\"", exact(v)));
    out.push_str(&format!(
        "<div class=\"card\"><div class=\"k\">{title}</div><div class=\"v\" data-metric=\"{key}\"{data}>{shown}</div>\
         <div class=\"d\">{detail}</div></div>\n"
    ));
}

fn evaluation_section(out: &mut String, evaluation: &Evaluation) {
    out.push_str(&format!(
        "<section id=\"evaluation\">\n<h2>Evaluation / 模型评估: {}</h2>\n",
        escape(&evaluation.dataset)
    ));
    let s = match evaluation.summarize() {
        Ok(s) => s,
        Err(e) => {
            out.push_str(&format!(
                "<p class=\"warnings\" data-evaluation-error=\"\">The evaluation sample could not be used / \
                 评估样本无效: {}</p>\n</section>\n",
                escape(&e.to_string())
            ));
            return;
        }
    };
    out.push_str(&format!(
        "<p class=\"note\">{} rows, of which {} bad ({}). Scores are probabilities of default (higher = riskier). / \
         样本 {} 条，其中坏样本 {} 条；评分为违约概率，越高风险越大。</p>\n",
        count(s.rows),
        count(s.bads),
        percent(s.bad_rate, 2),
        count(s.rows),
        count(s.bads)
    ));
    metric_cards(out, &s);
    out.push_str("<div class=\"charts\">\n");
    let one_class = "needs both goods and bads; this sample has one class only. / 样本只有一类，无法绘制。";
    match charts::roc(&s) {
        Some(svg) => figure(
            out,
            &svg,
            "ROC curve / ROC 曲线: share of bads caught against share of goods flagged as the cut-off on PD moves. \
             The dashed diagonal is a model that ranks at random.",
        ),
        None => out.push_str(&format!("<p class=\"note\">ROC curve {one_class}</p>\n")),
    }
    match charts::ks(&s) {
        Some(svg) => figure(
            out,
            &svg,
            "KS chart / KS 曲线: share of goods and of bads with PD at or below each value; KS is the largest \
             vertical gap (black line).",
        ),
        None => out.push_str(&format!("<p class=\"note\">KS chart {one_class}</p>\n")),
    }
    let tail = if s.histogram.above > 0 {
        format!(
            " The axis stops at {}; the last bar also holds the {} scores above it.",
            percent(s.histogram.upper, 1),
            count(s.histogram.above)
        )
    } else {
        String::new()
    };
    figure(
        out,
        &charts::distribution(&s),
        &format!(
            "Score distribution / 评分分布: PD of goods and of bads in {} equal bins, each class as shares of \
             itself so both are visible whatever the bad rate.{tail}",
            s.histogram.goods.len()
        ),
    );
    figure(
        out,
        &charts::calibration(&s),
        "Calibration / 校准: mean predicted PD against observed bad rate in each score decile; points on the \
         dashed line are perfectly calibrated.",
    );
    out.push_str("</div>\n");
    calibration_table(out, &s);
    lift_table(out, &s);
    out.push_str("</section>\n");
}

fn metric_cards(out: &mut String, s: &EvaluationSummary) {
    let shown = |v: Option<f64>| v.map_or_else(|| "n/a".to_string(), |v| fixed(v, 4));
    out.push_str("<div class=\"cards\">\n");
    metric_card(out, "auc", "AUC", s.auc, &shown(s.auc), "area under the ROC curve");
    metric_card(out, "gini", "Gini / 基尼系数", s.gini, &shown(s.gini), "2 · AUC − 1");
    let ks = s.ks.map(|k| k.statistic);
    let ks_detail = s.ks.map_or_else(
        || "needs both classes".to_string(),
        |k| {
            format!(
                "at PD ≤ <span data-metric=\"ks_score\" data-value=\"{}\">{}</span>",
                exact(k.score),
                percent(k.score, 2)
            )
        },
    );
    metric_card(out, "ks", "KS", ks, &shown(ks), &ks_detail);
    metric_card(out, "brier", "Brier score", Some(s.brier), &fixed(s.brier, 4), "mean squared error of PD");
    metric_card(
        out,
        "log_loss",
        "Log-loss / 对数损失",
        Some(s.log_loss),
        &fixed(s.log_loss, 4),
        "mean −log likelihood",
    );
    let rows = format!(
        "<span data-metric=\"bads\" data-value=\"{}\">{}</span> of \
         <span data-metric=\"rows\" data-value=\"{}\">{}</span> rows",
        s.bads,
        count(s.bads),
        s.rows,
        count(s.rows)
    );
    metric_card(out, "bad_rate", "Bad rate / 坏账率", Some(s.bad_rate), &percent(s.bad_rate, 2), &rows);
    out.push_str("</div>\n");
}

/// A chart with its caption.
fn figure(out: &mut String, svg: &str, caption: &str) {
    out.push_str(&format!("<figure class=\"chart\">\n{svg}\n<figcaption>{caption}</figcaption>\n</figure>\n"));
}

fn calibration_table(out: &mut String, s: &EvaluationSummary) {
    out.push_str(
        "<h3>Calibration by score decile / 分数段校准</h3>\n<p class=\"note\">Bands are deciles of PD, lowest risk \
         first (tied scores can merge bands). Difference = observed − predicted, in percentage points.</p>\n\
         <table data-table=\"calibration\">\n",
    );
    header_row(
        out,
        &[
            ("Band / 分段", true),
            ("PD range / 违约概率区间", false),
            ("Rows / 样本数", true),
            ("Bads / 坏样本数", true),
            ("Mean predicted / 平均预测", true),
            ("Observed / 实际坏账率", true),
            ("Difference / 差异", true),
        ],
    );
    out.push_str("<tbody>\n");
    for (i, b) in s.calibration.iter().enumerate() {
        let range = match (b.lower, b.upper) {
            (None, Some(u)) => format!("&lt; {}", percent(u, 2)),
            (Some(l), None) => format!("≥ {}", percent(l, 2)),
            (Some(l), Some(u)) => format!("[{}, {})", percent(l, 2), percent(u, 2)),
            (None, None) => "all / 全部".into(),
        };
        let difference = fixed((b.observed_rate - b.mean_predicted) * 100.0, 2);
        out.push_str(&format!(
            "<tr>{}{}{}{}{}{}{}</tr>\n",
            cell(true, &(i + 1).to_string()),
            cell(false, &range),
            cell(true, &count(b.rows as u64)),
            cell(true, &count(b.bads as u64)),
            cell(true, &percent(b.mean_predicted, 2)),
            cell(true, &percent(b.observed_rate, 2)),
            cell(true, &format!("{difference} pp")),
        ));
    }
    out.push_str("</tbody>\n</table>\n");
}

fn lift_table(out: &mut String, s: &EvaluationSummary) {
    out.push_str("<h3>Lift by decile / 提升度</h3>\n");
    if s.lift.is_empty() {
        out.push_str(
            "<p class=\"note\">No bads in the sample: lift is undefined. / 样本无坏样本，无法计算提升度。</p>\n",
        );
        return;
    }
    out.push_str(
        "<p class=\"note\">Rows ranked by PD, riskiest first, in ten groups of equal size. Capture = share of all \
         bads in this and riskier deciles.</p>\n<table data-table=\"lift\">\n",
    );
    header_row(
        out,
        &[
            ("Decile / 十分位", true),
            ("Rows / 样本数", true),
            ("Bads / 坏样本数", true),
            ("Bad rate / 坏账率", true),
            ("Lift / 提升度", true),
            ("Cum. capture / 累计捕获率", true),
            ("Cum. lift / 累计提升度", true),
        ],
    );
    out.push_str("<tbody>\n");
    for r in &s.lift {
        out.push_str(&format!(
            "<tr>{}{}{}{}{}{}{}</tr>\n",
            cell(true, &r.decile.to_string()),
            cell(true, &count(r.rows as u64)),
            cell(true, &count(r.bads as u64)),
            cell(true, &percent(r.bad_rate, 2)),
            cell(true, &fixed(r.lift, 2)),
            cell(true, &percent(r.cumulative_capture, 1)),
            cell(true, &fixed(r.cumulative_lift, 2)),
        ));
    }
    out.push_str("</tbody>\n</table>\n");
}

/// Siddiqi's reading of an information value.
fn iv_strength(iv: f64) -> &'static str {
    match iv {
        iv if iv < 0.02 => "not predictive / 无预测力",
        iv if iv < 0.1 => "weak / 弱",
        iv if iv < 0.3 => "medium / 中",
        iv if iv < 0.5 => "strong / 强",
        _ => "very strong: check for leakage / 极强，检查信息泄漏",
    }
}

fn features_section(out: &mut String, features: &[FeatureSection]) {
    out.push_str("<section id=\"features\">\n<h2>Features / 特征</h2>\n");
    if features.is_empty() {
        out.push_str("<p class=\"note\">No feature information was given. / 未提供特征信息。</p>\n</section>\n");
        return;
    }
    out.push_str("<table data-table=\"features\">\n");
    header_row(
        out,
        &[
            ("Feature / 特征", false),
            ("IV", true),
            ("Predictive power / 预测力", false),
            ("Status / 状态", false),
            ("Bins / 分箱数", true),
        ],
    );
    out.push_str("<tbody>\n");
    for (i, f) in features.iter().enumerate() {
        let name = if f.bins.is_empty() {
            escape(&f.name)
        } else {
            format!("<a href=\"#feature-{i}\">{}</a>", escape(&f.name))
        };
        out.push_str(&format!(
            "<tr>{}{}{}{}{}</tr>\n",
            cell(false, &name),
            cell(true, &f.iv.map_or_else(|| "—".into(), |iv| fixed(iv, 4))),
            cell(false, f.iv.map_or("—", iv_strength)),
            cell(false, &escape(&f.status)),
            cell(true, &f.bins.len().to_string()),
        ));
    }
    out.push_str("</tbody>\n</table>\n");
    for (i, f) in features.iter().enumerate().filter(|(_, f)| !f.bins.is_empty()) {
        bins_table(out, i, f);
    }
    out.push_str("</section>\n");
}

fn bins_table(out: &mut String, index: usize, f: &FeatureSection) {
    let iv = f.iv.map_or_else(String::new, |iv| format!(" · IV {}", fixed(iv, 4)));
    out.push_str(&format!(
        "<h3 id=\"feature-{index}\">{}<span class=\"sub\">{iv} · {}</span></h3>\n<table data-table=\"bins\">\n",
        escape(&f.name),
        escape(&f.status)
    ));
    let with_points = f.bins.iter().any(|b| b.points.is_some());
    let mut columns = vec![
        ("Bin / 分箱", false),
        ("Count / 样本数", true),
        ("Share / 占比", true),
        ("Bads / 坏样本数", true),
        ("Event rate / 坏账率", true),
        ("", false),
        ("WoE", true),
        ("IV", true),
    ];
    if with_points {
        columns.push(("Points / 分值", true));
    }
    header_row(out, &columns);
    out.push_str("<tbody>\n");
    let total: u64 = f.bins.iter().map(|b| b.count).sum();
    let bads: u64 = f.bins.iter().map(|b| b.bads).sum();
    // Bars are scaled to the feature's riskiest bin, to show the shape of the event rate across its bins.
    let highest = f.bins.iter().filter_map(|b| b.event_rate).filter(|r| r.is_finite()).fold(0.0f64, f64::max);
    for b in &f.bins {
        let share = if total > 0 { percent(b.count as f64 / total as f64, 1) } else { "n/a".into() };
        let (rate, bar) = match b.event_rate.filter(|r| r.is_finite()) {
            Some(r) => {
                let width = if highest > 0.0 { (r / highest * 100.0).clamp(0.0, 100.0) } else { 0.0 };
                (percent(r, 2), format!("<span class=\"bar\" style=\"width:{}%\"></span>", fixed(width, 1)))
            }
            None => ("—".into(), String::new()),
        };
        out.push_str(&format!(
            "<tr>{}{}{}{}{}<td class=\"barcell\">{bar}</td>{}{}",
            cell(false, &escape(&b.label)),
            cell(true, &count(b.count)),
            cell(true, &share),
            cell(true, &count(b.bads)),
            cell(true, &rate),
            cell(true, &fixed(b.woe, 4)),
            cell(true, &fixed(b.iv, 4)),
        ));
        if with_points {
            out.push_str(&cell(true, &b.points.map_or_else(|| "—".into(), |p| p.to_string())));
        }
        out.push_str("</tr>\n");
    }
    let overall = if total > 0 { percent(bads as f64 / total as f64, 2) } else { "n/a".into() };
    let iv_sum: f64 = f.bins.iter().map(|b| b.iv).sum();
    out.push_str(&format!(
        "<tr class=\"total\">{}{}{}{}{}<td></td><td></td>{}{}</tr>\n</tbody>\n</table>\n",
        cell(false, "Total / 合计"),
        cell(true, &count(total)),
        cell(true, if total > 0 { "100%" } else { "n/a" }),
        cell(true, &count(bads)),
        cell(true, &overall),
        cell(true, &fixed(iv_sum, 4)),
        if with_points { "<td></td>" } else { "" },
    ));
}

/// The page's only style sheet: system fonts (with common Chinese ones), compact tables, a print layout.
const STYLE: &str = "\
:root{--ink:#212529;--muted:#6c757d;--line:#dee2e6;--bad:#d9480f}\
*{box-sizing:border-box}\
body{font:14px/1.5 system-ui,-apple-system,\"Segoe UI\",\"PingFang SC\",\"Microsoft YaHei\",\"Noto Sans CJK SC\",\
sans-serif;color:var(--ink);max-width:1120px;margin:0 auto;padding:24px}\
h1{font-size:24px;margin:0 0 4px}\
h2{font-size:18px;border-bottom:2px solid var(--line);padding-bottom:4px;margin:32px 0 8px}\
h3{font-size:15px;margin:24px 0 6px}\
h3 .sub{font-weight:400;margin-left:4px}\
.sub,.note,figcaption,.card .k,.card .d{color:var(--muted)}\
.note{margin:4px 0}\
table{border-collapse:collapse;margin:8px 0}\
th,td{padding:3px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}\
th{background:#f8f9fa;font-weight:600;font-size:13px}\
.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\
tr.total td{font-weight:600;border-top:2px solid var(--line)}\
.kv th{width:16em}\
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-all}\
.warnings{background:#fff4e6;border-left:4px solid var(--bad);padding:8px 16px}\
.warnings h2{border:0;margin-top:0}\
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}\
.card{border:1px solid var(--line);border-radius:6px;padding:8px 14px;min-width:150px}\
.card .k,.card .d{font-size:12px}\
.card .v{font-size:22px;font-weight:600;font-variant-numeric:tabular-nums}\
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(400px,1fr));gap:20px;margin:16px 0}\
figure{margin:0}\
figure svg{width:100%;max-width:460px;height:auto;display:block}\
figcaption{font-size:12px}\
.barcell{width:120px;padding-left:0}\
.bar{display:inline-block;height:10px;background:var(--bad);opacity:.75}\
a{color:#1c7ed6}\
dt{font-weight:600;margin-top:6px}\
dd{margin:0 0 0 16px}\
footer{margin-top:32px;border-top:1px solid var(--line);color:var(--muted);font-size:12px}\
@media print{body{padding:0;max-width:none}h2,h3{break-after:avoid}figure,tr,.card{break-inside:avoid}}";

/// How to read the measures, for a reader who is not a modeller.
const GLOSSARY: &str = "<section id=\"glossary\">\n<h2>Reading this report / 阅读说明</h2>\n<dl>\n\
<dt>AUC / Gini</dt><dd>AUC is the chance that a random bad has a higher PD than a random good (0.5 = random, 1 = \
perfect); Gini = 2 · AUC − 1. Application scorecards typically reach AUC 0.70–0.80. / AUC 为随机坏客户违约概率高于随机\
好客户的概率。</dd>\n\
<dt>KS</dt><dd>The largest gap between the cumulative PD distributions of bads and goods, and the PD where it \
occurs. / 好坏客户累计分布的最大差距。</dd>\n\
<dt>Brier score, log-loss / 对数损失</dt><dd>Accuracy of the PDs themselves (lower is better); unlike AUC they \
also penalise a model that ranks well but predicts the wrong level. / 衡量违约概率本身的准确性，越低越好。</dd>\n\
<dt>Calibration / 校准</dt><dd>Whether predicted PDs match observed bad rates band by band. / 各分数段预测违约率与实际\
坏账率是否一致。</dd>\n\
<dt>Lift / 提升度</dt><dd>Bad rate of a decile over the overall bad rate: how much riskier the riskiest tenth is \
than average. / 各十分位坏账率与整体坏账率之比。</dd>\n\
<dt>WoE, IV / 证据权重、信息值</dt><dd>WoE = ln(share of bads / share of goods) in a bin: positive means riskier \
than average. IV sums the bins' separation: below 0.02 not predictive, 0.1–0.3 medium, above 0.5 suspiciously \
strong (Siddiqi, 2006). / WoE 为正表示该分箱风险高于平均；IV 衡量特征的区分能力。</dd>\n\
</dl>\n</section>\n";
