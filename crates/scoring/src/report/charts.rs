//! The report's charts as inline SVG: the ROC curve, the cumulative distributions with the KS gap, the score
//! distribution by class, and predicted against observed bad rates.
//!
//! Every chart has the same frame: a square plot area with a grid, ticks and bilingual axis titles. Curves are
//! drawn in the plot's own unit square (x and y from 0 to 1, y up) inside one transformed group, so the numbers in
//! a `points` attribute are the chart coordinates themselves; `vector-effect="non-scaling-stroke"` keeps their
//! strokes one pixel wide. Colours are attributes rather than page CSS, so a chart copied out of the page keeps
//! them.

use super::markup::{coord, escape, fixed, percent};
use super::summary::{EvaluationSummary, round_up};

/// Left edge of the plot area in SVG pixels (room for tick labels and the y title).
const LEFT: f64 = 58.0;
/// Top edge of the plot area.
const TOP: f64 = 14.0;
/// Width and height of the (square) plot area.
const SIDE: f64 = 240.0;
/// Whole chart width.
const WIDTH: f64 = LEFT + SIDE + 18.0;
/// Whole chart height (room below for tick labels and the x title).
const HEIGHT: f64 = TOP + SIDE + 48.0;

/// Colour of bads and the bad-rate series.
const BAD: &str = "#d9480f";
/// Colour of goods and the model's curve.
const GOOD: &str = "#1c7ed6";
/// Colour of reference lines (chance, perfect calibration).
const REFERENCE: &str = "#868e96";
/// Colour of text and annotations.
const INK: &str = "#343a40";

/// One axis: its range is [0, `max`], with `ticks` equal divisions.
struct Axis<'a> {
    max: f64,
    ticks: usize,
    title: &'a str,
    /// Formats a value in axis units for a tick label.
    label: fn(f64) -> String,
}

/// A tick label as a percentage with at most two decimals (`0.025` → `2.5%`).
fn tick_percent(x: f64) -> String {
    format!("{}%", coord(x * 100.0, 2))
}

/// Pixel position of the unit-square point (u, v).
fn px(u: f64, v: f64) -> (f64, f64) {
    (LEFT + u * SIDE, TOP + (1.0 - v) * SIDE)
}

/// A chart being written.
struct Chart {
    svg: String,
    /// Whether the unit-square group is open.
    in_plot: bool,
}

impl Chart {
    /// Opens the SVG with its accessible title, draws the grid, ticks and axis titles, and opens the plot group.
    fn new(kind: &str, title: &str, x: &Axis, y: &Axis) -> Chart {
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" data-chart=\"{kind}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" \
             role=\"img\" font-family=\"system-ui, sans-serif\" font-size=\"11\" fill=\"{INK}\">\n<title>{}</title>\n",
            escape(title)
        );
        svg.push_str("<g stroke=\"#e9ecef\">");
        for i in 0..=x.ticks {
            let (gx, _) = px(i as f64 / x.ticks as f64, 0.0);
            svg.push_str(&format!("<line x1=\"{0}\" y1=\"{TOP}\" x2=\"{0}\" y2=\"{1}\"/>", coord(gx, 2), TOP + SIDE));
        }
        for i in 0..=y.ticks {
            let (_, gy) = px(0.0, i as f64 / y.ticks as f64);
            svg.push_str(&format!("<line x1=\"{LEFT}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\"/>", coord(gy, 2), LEFT + SIDE));
        }
        svg.push_str("</g>\n");
        svg.push_str(&format!(
            "<rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{SIDE}\" height=\"{SIDE}\" fill=\"none\" stroke=\"#adb5bd\"/>\n"
        ));
        svg.push_str("<g text-anchor=\"middle\">");
        for i in 0..=x.ticks {
            let u = i as f64 / x.ticks as f64;
            let (tx, _) = px(u, 0.0);
            svg.push_str(&format!(
                "<text x=\"{}\" y=\"{}\">{}</text>",
                coord(tx, 2),
                TOP + SIDE + 15.0,
                (x.label)(u * x.max)
            ));
        }
        svg.push_str("</g>\n<g text-anchor=\"end\">");
        for i in 0..=y.ticks {
            let v = i as f64 / y.ticks as f64;
            let (_, ty) = px(0.0, v);
            svg.push_str(&format!(
                "<text x=\"{}\" y=\"{}\">{}</text>",
                LEFT - 5.0,
                coord(ty + 4.0, 2),
                (y.label)(v * y.max)
            ));
        }
        svg.push_str("</g>\n");
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"12\">{}</text>\n",
            LEFT + SIDE / 2.0,
            HEIGHT - 10.0,
            escape(x.title)
        ));
        svg.push_str(&format!(
            "<text transform=\"translate(14 {}) rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">{}</text>\n",
            TOP + SIDE / 2.0,
            escape(y.title)
        ));
        // The unit square: (0, 0) at the bottom-left corner of the plot area, (1, 1) at the top-right.
        svg.push_str(&format!(
            "<g data-plot=\"unit\" transform=\"translate({LEFT} {}) scale({SIDE} -{SIDE})\" fill=\"none\">\n",
            TOP + SIDE
        ));
        Chart { svg, in_plot: true }
    }

    /// A polyline through unit-square points; `dashed` for reference lines.
    fn polyline(&mut self, series: &str, colour: &str, dashed: bool, points: impl IntoIterator<Item = (f64, f64)>) {
        debug_assert!(self.in_plot, "curves are drawn in the plot group");
        let points: Vec<String> = points.into_iter().map(|(u, v)| format!("{},{}", coord(u, 4), coord(v, 4))).collect();
        let dash = if dashed { " stroke-dasharray=\"4 3\"" } else { "" };
        self.svg.push_str(&format!(
            "<polyline data-series=\"{series}\" stroke=\"{colour}\" stroke-width=\"{}\"{dash} \
             vector-effect=\"non-scaling-stroke\" points=\"{}\"/>\n",
            if dashed { "1" } else { "2" },
            points.join(" ")
        ));
    }

    /// A filled step outline over equal-width bins with the given unit heights.
    fn bars(&mut self, series: &str, colour: &str, heights: &[f64]) {
        let width = 1.0 / heights.len() as f64;
        let mut d = String::from("M0,0");
        for (i, &h) in heights.iter().enumerate() {
            let (x0, x1) = (coord(i as f64 * width, 4), coord((i + 1) as f64 * width, 4));
            d.push_str(&format!(" L{x0},{0} L{x1},{0}", coord(h.min(1.0), 4)));
        }
        d.push_str(" L1,0 Z");
        self.svg.push_str(&format!(
            "<path data-series=\"{series}\" d=\"{d}\" fill=\"{colour}\" fill-opacity=\"0.35\" stroke=\"{colour}\" \
             stroke-width=\"1\" vector-effect=\"non-scaling-stroke\"/>\n"
        ));
    }

    /// Closes the plot group; what follows is in pixels.
    fn end_plot(&mut self) {
        if self.in_plot {
            self.svg.push_str("</g>\n");
            self.in_plot = false;
        }
    }

    /// A dot at a unit-square point, in pixels so that it stays round.
    fn dot(&mut self, colour: &str, (u, v): (f64, f64)) {
        self.end_plot();
        let (x, y) = px(u, v);
        self.svg.push_str(&format!(
            "<circle cx=\"{}\" cy=\"{}\" r=\"3.5\" fill=\"{colour}\"/>",
            coord(x, 2),
            coord(y, 2)
        ));
    }

    /// Text at a unit-square point, anchored `start`, `middle` or `end`.
    fn note(&mut self, (u, v): (f64, f64), anchor: &str, text: &str) {
        self.end_plot();
        let (x, y) = px(u, v);
        self.svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\" font-weight=\"600\" stroke=\"#fff\" \
             stroke-width=\"3\" paint-order=\"stroke\">{}</text>\n",
            coord(x, 2),
            coord(y, 2),
            escape(text)
        ));
    }

    /// A legend whose first entry's swatch starts at the unit-square point `at`: (colour, dashed, label) per line.
    fn legend(&mut self, at: (f64, f64), entries: &[(&str, bool, &str)]) {
        self.end_plot();
        let (x, y) = px(at.0, at.1);
        for (i, (colour, dashed, label)) in entries.iter().enumerate() {
            let ly = y + 15.0 * i as f64;
            let dash = if *dashed { " stroke-dasharray=\"4 3\"" } else { "" };
            self.svg.push_str(&format!(
                "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"{colour}\" stroke-width=\"{3}\"{dash}/>\
                 <text x=\"{4}\" y=\"{5}\">{6}</text>\n",
                coord(x, 2),
                coord(ly, 2),
                coord(x + 16.0, 2),
                if *dashed { 1 } else { 3 },
                coord(x + 20.0, 2),
                coord(ly + 4.0, 2),
                escape(label)
            ));
        }
    }

    fn finish(mut self) -> String {
        self.end_plot();
        self.svg.push_str("</svg>");
        self.svg
    }
}

/// The ROC curve with the chance diagonal. `None` with one class only.
pub(crate) fn roc(s: &EvaluationSummary) -> Option<String> {
    let auc = s.auc.filter(|_| !s.roc.is_empty())?;
    let x = Axis { max: 1.0, ticks: 5, title: "False positive rate / 假正率 (goods)", label: tick_percent };
    let y = Axis { max: 1.0, ticks: 5, title: "True positive rate / 真正率 (bads)", label: tick_percent };
    let mut c = Chart::new("roc", "ROC curve / ROC 曲线", &x, &y);
    c.polyline("chance", REFERENCE, true, [(0.0, 0.0), (1.0, 1.0)]);
    c.polyline("roc", GOOD, false, s.roc.iter().map(|p| (p.fpr, p.tpr)));
    c.note((0.96, 0.06), "end", &format!("AUC = {}", fixed(auc, 4)));
    c.legend((0.5, 0.3), &[(GOOD, false, "Model / 模型"), (REFERENCE, true, "Chance / 随机")]);
    Some(c.finish())
}

/// The cumulative shares of bads and goods by PD, with the KS gap marked. `None` with one class only.
pub(crate) fn ks(s: &EvaluationSummary) -> Option<String> {
    let ks = s.ks.filter(|_| !s.cumulative.is_empty())?;
    let upper = s.histogram.upper;
    let x = Axis { max: upper, ticks: 5, title: "Probability of default / 违约概率", label: tick_percent };
    let y = Axis { max: 1.0, ticks: 5, title: "Cumulative share / 累计占比", label: tick_percent };
    let mut c = Chart::new("ks", "KS chart / KS 曲线", &x, &y);
    let u = |score: f64| (score / upper).min(1.0);
    c.polyline("cumulative-goods", GOOD, false, s.cumulative.iter().map(|p| (u(p.score), p.goods)));
    c.polyline("cumulative-bads", BAD, false, s.cumulative.iter().map(|p| (u(p.score), p.bads)));
    let at = u(ks.score);
    c.polyline("ks-gap", INK, false, [(at, ks.bads), (at, ks.goods)]);
    let mid = (ks.bads + ks.goods) / 2.0;
    let (anchor, dx) = if at > 0.6 { ("end", -0.02) } else { ("start", 0.02) };
    c.note((at + dx, mid), anchor, &format!("KS = {}", fixed(ks.statistic, 4)));
    c.note((at + dx, mid - 0.07), anchor, &format!("PD ≤ {}", percent(ks.score, 2)));
    c.legend((0.55, 0.22), &[(GOOD, false, "Goods / 好客户"), (BAD, false, "Bads / 坏客户")]);
    Some(c.finish())
}

/// The score distribution of goods and bads, each as shares of its own class, overlaid.
pub(crate) fn distribution(s: &EvaluationSummary) -> String {
    let h = &s.histogram;
    let shares = |counts: &[u64]| -> Vec<f64> {
        let total = counts.iter().sum::<u64>();
        counts.iter().map(|&c| if total == 0 { 0.0 } else { c as f64 / total as f64 }).collect()
    };
    let (goods, bads) = (shares(&h.goods), shares(&h.bads));
    let top = round_up(goods.iter().chain(&bads).fold(0.01f64, |m, &x| m.max(x)));
    let x = Axis { max: h.upper, ticks: 5, title: "Probability of default / 违约概率", label: tick_percent };
    let y = Axis { max: top, ticks: 5, title: "Share of class / 类内占比", label: tick_percent };
    let mut c = Chart::new("distribution", "Score distribution / 评分分布", &x, &y);
    let unit = |v: &[f64]| v.iter().map(|x| x / top).collect::<Vec<f64>>();
    if h.goods.iter().any(|&n| n > 0) {
        c.bars("goods", GOOD, &unit(&goods));
    }
    if h.bads.iter().any(|&n| n > 0) {
        c.bars("bads", BAD, &unit(&bads));
    }
    c.legend((0.55, 0.92), &[(GOOD, false, "Goods / 好客户"), (BAD, false, "Bads / 坏客户")]);
    c.finish()
}

/// Mean predicted against observed bad rate per score band, with the line of perfect calibration.
pub(crate) fn calibration(s: &EvaluationSummary) -> String {
    let top = round_up(s.calibration.iter().fold(0.01f64, |m, b| m.max(b.mean_predicted).max(b.observed_rate)));
    let top = top.min(1.0);
    let x = Axis { max: top, ticks: 5, title: "Mean predicted PD / 平均预测违约率", label: tick_percent };
    let y = Axis { max: top, ticks: 5, title: "Observed bad rate / 实际坏账率", label: tick_percent };
    let mut c = Chart::new("calibration", "Calibration / 校准", &x, &y);
    c.polyline("perfect", REFERENCE, true, [(0.0, 0.0), (1.0, 1.0)]);
    let points: Vec<(f64, f64)> =
        s.calibration.iter().map(|b| (b.mean_predicted / top, (b.observed_rate / top).min(1.0))).collect();
    c.polyline("calibration", BAD, false, points.iter().copied());
    for &p in &points {
        c.dot(BAD, p);
    }
    c.legend((0.05, 0.92), &[(BAD, false, "Score bands / 分数段"), (REFERENCE, true, "Perfect / 完美校准")]);
    c.finish()
}
