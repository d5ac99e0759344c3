//! The report as text: a plain table with Chinese and English headings ([`table`]), stable JSON ([`json`]) and one
//! self-contained HTML page with inline SVG charts and no scripts or external resources ([`html`]): the PAR30 and
//! NPL trend, balances by class, the vintage curves and the concentration bars. Text from data is escaped; the
//! same report gives the same bytes.

use std::fmt::Write as _;

use rust_decimal::Decimal;

use crate::report::Report;

/// A ratio as a percentage with two decimals: `0.0123` → `1.23%`.
pub fn percent(r: Decimal) -> String {
    format!("{:.2}%", r * Decimal::ONE_HUNDRED)
}

fn pad(text: &str, width: usize) -> String {
    let len = text.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum::<usize>();
    format!("{text}{}", " ".repeat(width.saturating_sub(len)))
}

fn rows(out: &mut String, header: &[&str], body: &[Vec<String>]) {
    let mut widths: Vec<usize> =
        header.iter().map(|h| pad(h, 0).chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()).collect();
    for r in body {
        for (i, cell) in r.iter().enumerate() {
            let w = cell.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum::<usize>();
            if let Some(x) = widths.get_mut(i) {
                *x = (*x).max(w);
            }
        }
    }
    let line = |cells: Vec<String>| cells.iter().zip(&widths).map(|(c, w)| pad(c, *w)).collect::<Vec<_>>().join("  ");
    let _ = writeln!(out, "{}", line(header.iter().map(|h| (*h).to_owned()).collect()).trim_end());
    for r in body {
        let _ = writeln!(out, "{}", line(r.clone()).trim_end());
    }
}

/// The report as a plain-text table.
pub fn table(r: &Report) -> String {
    let mut out = String::new();
    let q = &r.quality;
    let _ = writeln!(
        out,
        "贷款组合风险报告 portfolio report as of {} (rules {}, config v{})\n",
        r.as_of, r.rules, r.config_version
    );
    let _ = writeln!(
        out,
        "贷款 loans {}  借款户 households {}  余额 outstanding {} yuan",
        q.loans, q.households, q.outstanding.yuan
    );
    let _ = writeln!(
        out,
        "PAR1 {}  PAR30 {}  PAR90 {}  不良率 NPL ratio {} (non-performing {} yuan)\n",
        percent(q.par1),
        percent(q.par30),
        percent(q.par90),
        percent(q.npl_ratio),
        q.non_performing.yuan
    );
    let _ = writeln!(out, "五级分类 five-category classes");
    let body: Vec<Vec<String>> = q
        .by_class
        .iter()
        .map(|c| {
            vec![
                format!("{} {}", c.name_zh, c.class),
                c.loans.to_string(),
                c.outstanding.yuan.to_string(),
                percent(c.share),
                percent(c.provision_ratio),
                c.provision.yuan.to_string(),
            ]
        })
        .collect();
    rows(
        &mut out,
        &["类别 class", "笔数 loans", "余额 outstanding", "占比 share", "计提比例 ratio", "拨备 provision"],
        &body,
    );
    let e = &r.ecl;
    let _ = writeln!(
        out,
        "\n预期信用损失 expected credit loss (IFRS 9): {} yuan, coverage {} of outstanding",
        e.total.yuan,
        percent(e.coverage)
    );
    let body: Vec<Vec<String>> = e
        .by_stage
        .iter()
        .map(|s| {
            vec![
                format!("stage {}", s.stage),
                s.loans.to_string(),
                s.outstanding.yuan.to_string(),
                s.ead.yuan.to_string(),
                s.ecl.yuan.to_string(),
                percent(s.coverage),
            ]
        })
        .collect();
    rows(&mut out, &["阶段 stage", "笔数 loans", "余额 outstanding", "违约风险暴露 EAD", "ECL", "ECL/EAD"], &body);
    let p = &r.provisions;
    let _ = writeln!(
        out,
        "\n贷款损失准备 regulatory provision ({}): general {} + specific {} = {} yuan; 拨备覆盖率 coverage of NPL {}, 贷款拨备率 of loans {}",
        p.ratios,
        p.general.yuan,
        p.specific.yuan,
        p.total.yuan,
        percent(p.coverage_of_npl),
        percent(p.coverage_of_loans)
    );
    let w = &r.write_off;
    let _ = writeln!(
        out,
        "核销率 write-off ratio (12 months): {} loans, {} yuan of an average {} yuan = {}\n",
        w.loans,
        w.amount.yuan,
        w.average_portfolio.yuan,
        percent(w.ratio)
    );
    let _ = writeln!(out, "趋势 trend");
    let body: Vec<Vec<String>> = r
        .trend
        .iter()
        .map(|t| {
            vec![
                t.on.to_string(),
                t.loans.to_string(),
                t.outstanding.yuan.to_string(),
                percent(t.par30),
                percent(t.npl_ratio),
            ]
        })
        .collect();
    rows(&mut out, &["日期 date", "笔数 loans", "余额 outstanding", "PAR30", "不良率 NPL"], &body);
    let _ = writeln!(
        out,
        "\n迁徙率 roll rates ({} month-end transitions; rows from, columns to)",
        r.roll_rates.transitions
    );
    let mut header = vec!["from \\ to"];
    header.extend(r.roll_rates.to.iter().copied());
    let body: Vec<Vec<String>> = r
        .roll_rates
        .from
        .iter()
        .zip(&r.roll_rates.rates)
        .map(|(f, rates)| std::iter::once((*f).to_owned()).chain(rates.iter().map(|x| percent(*x))).collect())
        .collect();
    rows(&mut out, &header, &body);
    let _ = writeln!(out, "\n账龄分析 vintages (ever 30+ / 90+ DPD share of loans at the latest month on book)");
    let body: Vec<Vec<String>> = r
        .vintages
        .iter()
        .map(|v| {
            let last = v.curve.last();
            vec![
                v.cohort.clone(),
                v.loans.to_string(),
                v.principal.yuan.to_string(),
                last.map_or("-".into(), |p| p.mob.to_string()),
                last.map_or("-".into(), |p| percent(p.ever_30_loans)),
                last.map_or("-".into(), |p| percent(p.ever_90_loans)),
            ]
        })
        .collect();
    rows(&mut out, &["批次 cohort", "笔数 loans", "本金 principal", "MOB", "ever 30+", "ever 90+"], &body);
    let _ = writeln!(out, "\n集中度 concentration");
    for c in &r.concentration {
        let top = c.top.first().map_or("-".into(), |s| format!("{} {}", s.key, percent(s.share)));
        let _ = writeln!(out, "  {}: {} groups, HHI {}, largest {}", c.dimension, c.groups, c.hhi, top);
    }
    if r.breaches.is_empty() {
        let _ = writeln!(out, "  no limit breached 未超限");
    }
    for b in &r.breaches {
        let _ = writeln!(
            out,
            "  超限 BREACH {} {} {}: {} > {}",
            b.dimension,
            b.key.as_deref().unwrap_or("(all)"),
            b.limit,
            b.value,
            b.threshold
        );
    }
    for b in &r.breakdowns {
        let _ = writeln!(
            out,
            "\n按{} by {}",
            crate::Dimension::ALL.iter().find(|d| d.code() == b.dimension).map_or("", |d| d.name_zh()),
            b.dimension
        );
        let body: Vec<Vec<String>> = b
            .groups
            .iter()
            .map(|g| {
                vec![
                    g.key.clone(),
                    g.loans.to_string(),
                    g.outstanding.yuan.to_string(),
                    percent(g.par30),
                    percent(g.npl_ratio),
                    g.ecl.yuan.to_string(),
                    g.provision.yuan.to_string(),
                ]
            })
            .collect();
        rows(
            &mut out,
            &["组 group", "笔数 loans", "余额 outstanding", "PAR30", "不良率 NPL", "ECL", "拨备 provision"],
            &body,
        );
    }
    let _ = writeln!(out, "\n假设 assumptions");
    for a in &r.assumptions {
        let _ = writeln!(out, "  - {a}");
    }
    out
}

/// The report as pretty JSON with a final newline.
pub fn json(r: &Report) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(r).map(|t| t + "\n")
}

/// Escapes text for HTML: the model reports' one escaping rule (control characters become U+FFFD).
pub use scoring::report::escape;

const W: i64 = 640;
const H: i64 = 220;
const COLOURS: [&str; 6] = ["#1b6ca8", "#d1495b", "#edae49", "#00798c", "#66a182", "#8d6a9f"];

/// A ratio in [0, 1] (or a share) as hundredths of a pixel span, integer arithmetic only.
fn scale(r: Decimal, span: i64, max: Decimal) -> i64 {
    if max <= Decimal::ZERO {
        return 0;
    }
    let v = (r / max * Decimal::from(span)).round();
    i64::try_from(v).unwrap_or(0).clamp(0, span)
}

/// A line chart of several series over the same x positions.
fn lines(chart: &str, title: &str, labels: &[String], series: &[(String, Vec<Decimal>)]) -> String {
    let max = series.iter().flat_map(|(_, v)| v.iter().copied()).max().unwrap_or(Decimal::ZERO).max(Decimal::new(1, 2));
    let n = labels.len().max(2) as i64;
    // The plot ends 160 pixels short of the right edge, where the legend stands.
    let x = |i: usize| 40 + (i as i64) * (W - 200) / (n - 1);
    let y = |v: Decimal| H - 30 - scale(v, H - 50, max);
    let mut svg = format!(
        "<svg data-chart=\"{chart}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" role=\"img\"><title>{}</title>",
        escape(title)
    );
    let _ = write!(svg, "<line x1=\"40\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#999\"/>", H - 30, W - 160, H - 30);
    let _ = write!(svg, "<text x=\"2\" y=\"24\" font-size=\"10\">{}</text>", percent(max));
    for (i, l) in labels.iter().enumerate() {
        if labels.len() <= 13 || i % 3 == 0 {
            let _ = write!(
                svg,
                "<text x=\"{}\" y=\"{}\" font-size=\"9\" text-anchor=\"middle\">{}</text>",
                x(i),
                H - 14,
                escape(l)
            );
        }
    }
    for (k, (name, values)) in series.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        let points: Vec<String> = values.iter().enumerate().map(|(i, v)| format!("{},{}", x(i), y(*v))).collect();
        let _ = write!(
            svg,
            "<polyline data-series=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/>",
            escape(name),
            points.join(" ")
        );
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" font-size=\"10\" fill=\"{colour}\">{}</text>",
            W - 140,
            14 + 12 * k as i64,
            escape(name)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A horizontal bar chart of shares.
fn bars(chart: &str, title: &str, items: &[(String, Decimal, String)]) -> String {
    let max = items.iter().map(|i| i.1).max().unwrap_or(Decimal::ZERO);
    let height = 20 + 18 * items.len() as i64;
    let mut svg = format!(
        "<svg data-chart=\"{chart}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{height}\" viewBox=\"0 0 {W} {height}\" role=\"img\"><title>{}</title>",
        escape(title)
    );
    for (k, (label, value, text)) in items.iter().enumerate() {
        let y = 10 + 18 * k as i64;
        let _ = write!(svg, "<text x=\"0\" y=\"{}\" font-size=\"11\">{}</text>", y + 12, escape(label));
        let _ = write!(
            svg,
            "<rect data-value=\"{value}\" x=\"200\" y=\"{y}\" width=\"{}\" height=\"14\" fill=\"{}\"/>",
            scale(*value, W - 420, max),
            COLOURS[k % COLOURS.len()]
        );
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" font-size=\"11\">{}</text>",
            205 + scale(*value, W - 420, max),
            y + 12,
            escape(text)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The report as one self-contained HTML page.
pub fn html(r: &Report) -> String {
    let q = &r.quality;
    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>贷款组合风险报告 portfolio report {}</title>\
         <style>body{{font-family:sans-serif;margin:2em;max-width:60em}}table{{border-collapse:collapse;margin:0.5em 0}}\
         td,th{{border:1px solid #ccc;padding:2px 8px;text-align:right}}th{{background:#eee}}td:first-child{{text-align:left}}\
         .breach{{color:#b00}}</style></head><body>",
        r.as_of
    );
    let _ = write!(page, "<h1>贷款组合风险报告 Portfolio report, as of {}</h1>", r.as_of);
    let _ = write!(
        page,
        "<p>贷款 loans <b data-metric=\"loans\">{}</b> · 余额 outstanding <b data-metric=\"outstanding_fen\" data-value=\"{}\">{} yuan</b> · \
         PAR30 <b data-metric=\"par30\">{}</b> · PAR90 <b>{}</b> · 不良率 NPL <b data-metric=\"npl_ratio\">{}</b> · \
         ECL <b data-metric=\"ecl_fen\" data-value=\"{}\">{} yuan</b> · 拨备 provision <b>{} yuan</b></p>",
        q.loans,
        q.outstanding.fen,
        q.outstanding.yuan,
        percent(q.par30),
        percent(q.par90),
        percent(q.npl_ratio),
        r.ecl.total.fen,
        r.ecl.total.yuan,
        r.provisions.total.yuan
    );
    page.push_str("<h2>趋势 PAR30 and NPL trend</h2>");
    let labels: Vec<String> = r.trend.iter().map(|t| t.on.format("%Y-%m").to_string()).collect();
    page.push_str(&lines(
        "trend",
        "PAR30 and NPL ratio at month ends",
        &labels,
        &[
            ("PAR30".into(), r.trend.iter().map(|t| t.par30).collect()),
            ("NPL 不良率".into(), r.trend.iter().map(|t| t.npl_ratio).collect()),
        ],
    ));
    page.push_str("<h2>五级分类 Balances by class</h2>");
    let items: Vec<(String, Decimal, String)> = q
        .by_class
        .iter()
        .map(|c| {
            (
                format!("{} {}", c.name_zh, c.class),
                c.share,
                format!("{} yuan ({})", c.outstanding.yuan, percent(c.share)),
            )
        })
        .collect();
    page.push_str(&bars("classes", "Outstanding by five-category class", &items));
    page.push_str("<table><tr><th>class 类别</th><th>loans</th><th>outstanding</th><th>provision ratio</th><th>provision</th></tr>");
    for c in &q.by_class {
        let _ = write!(
            page,
            "<tr><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            c.name_zh,
            c.class,
            c.loans,
            c.outstanding.yuan,
            percent(c.provision_ratio),
            c.provision.yuan
        );
    }
    page.push_str("</table>");
    page.push_str("<h2>预期信用损失 Expected credit loss by IFRS 9 stage</h2><table><tr><th>stage</th><th>loans</th><th>EAD</th><th>ECL</th><th>ECL/EAD</th></tr>");
    for s in &r.ecl.by_stage {
        let _ = write!(
            page,
            "<tr><td>stage {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            s.stage,
            s.loans,
            s.ead.yuan,
            s.ecl.yuan,
            percent(s.coverage)
        );
    }
    let p = &r.provisions;
    let _ = write!(
        page,
        "</table><p>Regulatory provision ({}): {} yuan; 拨备覆盖率 coverage of NPL {}; 贷款拨备率 of loans {}. \
         核销率 Write-off ratio {} ({} loans).</p>",
        escape(&p.ratios),
        p.total.yuan,
        percent(p.coverage_of_npl),
        percent(p.coverage_of_loans),
        percent(r.write_off.ratio),
        r.write_off.loans
    );
    page.push_str("<h2>账龄分析 Vintage curves (ever 30+ DPD, share of loans)</h2>");
    let longest = r.vintages.iter().map(|v| v.curve.len()).max().unwrap_or(0);
    let labels: Vec<String> = (1..=longest).map(|m| m.to_string()).collect();
    let series: Vec<(String, Vec<Decimal>)> = r
        .vintages
        .iter()
        .rev()
        .take(6)
        .map(|v| (v.cohort.clone(), v.curve.iter().map(|p| p.ever_30_loans).collect()))
        .collect();
    page.push_str(&lines("vintages", "Ever 30+ DPD by month on book", &labels, &series));
    page.push_str("<h2>迁徙率 Roll rates</h2><table><tr><th>from \\ to</th>");
    for t in &r.roll_rates.to {
        let _ = write!(page, "<th>{t}</th>");
    }
    page.push_str("</tr>");
    for (f, rates) in r.roll_rates.from.iter().zip(&r.roll_rates.rates) {
        let _ = write!(page, "<tr><td>{f}</td>");
        for x in rates {
            let _ = write!(page, "<td>{}</td>", percent(*x));
        }
        page.push_str("</tr>");
    }
    page.push_str("</table><h2>集中度 Concentration</h2>");
    for c in &r.concentration {
        let _ = write!(page, "<h3>{} (HHI {}, {} groups)</h3>", c.dimension, c.hhi, c.groups);
        let items: Vec<(String, Decimal, String)> =
            c.top.iter().map(|s| (s.key.clone(), s.share, percent(s.share))).collect();
        page.push_str(&bars(
            &format!("concentration-{}", c.dimension),
            &format!("Largest {} shares", c.dimension),
            &items,
        ));
    }
    if r.breaches.is_empty() {
        page.push_str("<p>No concentration limit breached. 未超限。</p>");
    } else {
        page.push_str("<ul>");
        for b in &r.breaches {
            let _ = write!(
                page,
                "<li class=\"breach\" data-breach=\"{}\">{} {} {}: {} &gt; {}</li>",
                b.dimension,
                b.dimension,
                escape(b.key.as_deref().unwrap_or("(all)")),
                b.limit,
                b.value,
                b.threshold
            );
        }
        page.push_str("</ul>");
    }
    for b in &r.breakdowns {
        let _ = write!(
            page,
            "<h2>By {}</h2><table><tr><th>group</th><th>loans</th><th>outstanding</th><th>PAR30</th><th>NPL</th><th>ECL</th><th>provision</th></tr>",
            b.dimension
        );
        for g in &b.groups {
            let _ = write!(
                page,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&g.key),
                g.loans,
                g.outstanding.yuan,
                percent(g.par30),
                percent(g.npl_ratio),
                g.ecl.yuan,
                g.provision.yuan
            );
        }
        page.push_str("</table>");
    }
    page.push_str("<h2>假设 Assumptions</h2><ul>");
    for a in &r.assumptions {
        let _ = write!(page, "<li>{}</li>", escape(a));
    }
    page.push_str("</ul></body></html>\n");
    page
}
