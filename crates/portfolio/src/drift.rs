//! Model and data monitoring: how far the scored population has moved from the reference (training) sample, how
//! the model's predictions held up, and how approvals moved, with an alert for each threshold crossed.
//!
//! - **Score PSI**: the population stability index of the model's PD, in deciles of the reference sample
//!   (`scoring::metrics::psi`); **feature CSI**: the same for each of the model's inputs.
//! - **Realised against predicted bad rate** by score band: the reference sample's PD against whether each
//!   household reached 90+ DPD within 12 months after the reference date (`scoring::metrics::calibration_table`,
//!   quintiles of the PD), when the data reaches that far.
//! - **Approval rate**: approved ÷ decided applications in the 12 months to the reference date and in the 3 months
//!   to the as-of date.
//!
//! Thresholds (the usual rule of thumb, as `app::models::drift` prints it): an index under 0.1 is stable, under
//! 0.25 worth watching, else shifted — a shifted score or feature is an alert; a band whose realised bads are more
//! than twice the predicted (with at least 5 bads) is an alert; an approval rate that moved 10 points or more is
//! an alert.

use domain::Date;
use features::input::{Application, Decision};
use rust_decimal::Decimal;
use scoring::metrics::{CalibrationBand, calibration_table, psi, quantile_edges};
use serde::Serialize;

/// An index from which a population is worth watching.
pub const WATCH: f64 = 0.1;
/// An index from which a population has shifted (an alert).
pub const SHIFTED: f64 = 0.25;
/// Months of the recent approval window.
pub const RECENT_MONTHS: i32 = 3;

/// What drift is measured from.
#[derive(Debug, Clone, Copy)]
pub struct DriftInputs<'a> {
    /// The date of the recent sample.
    pub as_of: Date,
    /// The date of the reference sample.
    pub reference: Date,
    /// The model's PD on the reference sample.
    pub reference_pd: &'a [f64],
    /// The model's PD on the recent sample.
    pub actual_pd: &'a [f64],
    /// Each model input: its name, its values on the reference sample and on the recent one (NaN: missing).
    pub features: &'a [(String, Vec<f64>, Vec<f64>)],
    /// Whether each reference household reached 90+ DPD within 12 months (`None`: the data ends before that).
    pub outcomes: Option<&'a [u8]>,
    /// Every application on file.
    pub applications: &'a [Application],
}

/// One stability index.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StabilityRow {
    /// `score` or the feature's name.
    pub name: String,
    /// The index.
    pub index: f64,
    /// `stable`, `watch` or `shifted`.
    pub level: &'static str,
}

/// Approvals in a window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApprovalRate {
    /// First day of the window.
    pub from: Date,
    /// Last day.
    pub to: Date,
    /// Applications decided.
    pub decided: u64,
    /// Approved.
    pub approved: u64,
    /// Approved ÷ decided, four places.
    pub rate: Decimal,
}

/// A threshold crossed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftAlert {
    /// `score_psi`, `feature_csi`, `calibration` or `approval_rate`.
    pub kind: &'static str,
    /// What moved (a feature, a band).
    pub subject: String,
    /// In words.
    pub detail: String,
}

/// The drift report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftReport {
    /// The recent date.
    pub as_of: Date,
    /// The reference date.
    pub reference: Date,
    /// Households in the reference and the recent sample.
    pub sample_sizes: (usize, usize),
    /// Score PSI.
    pub score: StabilityRow,
    /// Feature CSIs, in the model's input order.
    pub features: Vec<StabilityRow>,
    /// Realised against predicted bad rate by PD band (empty without outcomes).
    pub bands: Vec<CalibrationBand>,
    /// Approvals in the reference window.
    pub approval_reference: ApprovalRate,
    /// Approvals in the recent window.
    pub approval_recent: ApprovalRate,
    /// Thresholds crossed.
    pub alerts: Vec<DriftAlert>,
}

/// The level of an index.
pub fn level(index: f64) -> &'static str {
    if index < WATCH {
        "stable"
    } else if index < SHIFTED {
        "watch"
    } else {
        "shifted"
    }
}

fn row(name: &str, index: f64) -> StabilityRow {
    StabilityRow { name: name.to_owned(), index, level: level(index) }
}

/// Approvals among the applications decided from `from` to `to`, both included.
pub fn approval_rate(applications: &[Application], from: Date, to: Date) -> ApprovalRate {
    let (mut decided, mut approved) = (0u64, 0u64);
    for a in applications.iter().filter(|a| a.applied_on >= from && a.applied_on <= to) {
        match a.decision {
            Some(Decision::Approved) => {
                decided += 1;
                approved += 1;
            }
            Some(Decision::Declined) => decided += 1,
            None => {}
        }
    }
    let rate =
        if decided == 0 { Decimal::ZERO } else { (Decimal::from(approved) / Decimal::from(decided)).round_dp(4) };
    ApprovalRate { from, to, decided, approved, rate }
}

/// Measures drift and lists the thresholds crossed.
pub fn measure(inputs: &DriftInputs<'_>) -> DriftReport {
    let mut alerts = Vec::new();
    let score = row("score", psi(inputs.reference_pd, inputs.actual_pd, 10).index);
    if score.index >= SHIFTED {
        alerts.push(DriftAlert {
            kind: "score_psi",
            subject: "score".into(),
            detail: format!("the PD's PSI is {:.4} (≥ {SHIFTED})", score.index),
        });
    }
    let features: Vec<StabilityRow> =
        inputs.features.iter().map(|(name, expected, actual)| row(name, psi(expected, actual, 10).index)).collect();
    for f in features.iter().filter(|f| f.index >= SHIFTED) {
        alerts.push(DriftAlert {
            kind: "feature_csi",
            subject: f.name.clone(),
            detail: format!("CSI {:.4} (≥ {SHIFTED})", f.index),
        });
    }
    let bands = match inputs.outcomes {
        Some(bad) if bad.len() == inputs.reference_pd.len() => {
            let edges = quantile_edges(inputs.reference_pd, 5);
            calibration_table(inputs.reference_pd, inputs.reference_pd, bad, &edges)
        }
        _ => Vec::new(),
    };
    for b in &bands {
        let predicted_bads =
            Decimal::from_f64_retain(b.mean_predicted).unwrap_or(Decimal::ZERO) * Decimal::from(b.rows);
        if b.bads >= 5 && Decimal::from(b.bads) > predicted_bads * Decimal::TWO {
            alerts.push(DriftAlert {
                kind: "calibration",
                subject: format!("PD band {:?}–{:?}", b.lower, b.upper),
                detail: format!("{} bads realised of {} loans, {:.1} predicted", b.bads, b.rows, predicted_bads),
            });
        }
    }
    let approval_reference = approval_rate(
        inputs.applications,
        domain::add_months(inputs.reference, -12) + chrono::Duration::days(1),
        inputs.reference,
    );
    let approval_recent = approval_rate(
        inputs.applications,
        domain::add_months(inputs.as_of, -RECENT_MONTHS) + chrono::Duration::days(1),
        inputs.as_of,
    );
    let moved = (approval_recent.rate - approval_reference.rate).abs();
    if approval_reference.decided > 0 && approval_recent.decided > 0 && moved >= Decimal::new(10, 2) {
        alerts.push(DriftAlert {
            kind: "approval_rate",
            subject: "approvals".into(),
            detail: format!(
                "approval rate {} against {} before (≥ 10 points)",
                approval_recent.rate, approval_reference.rate
            ),
        });
    }
    DriftReport {
        as_of: inputs.as_of,
        reference: inputs.reference,
        sample_sizes: (inputs.reference_pd.len(), inputs.actual_pd.len()),
        score,
        features,
        bands,
        approval_reference,
        approval_recent,
        alerts,
    }
}

/// The drift report as a plain-text table.
pub fn table(r: &DriftReport) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "模型监测 model and data drift as of {} against {} (recent {} households, reference {})\n",
        r.as_of, r.reference, r.sample_sizes.1, r.sample_sizes.0
    );
    let _ = writeln!(out, "{:<36} {:>8}  level", "稳定性 stability (PSI/CSI)", "index");
    for s in std::iter::once(&r.score).chain(&r.features) {
        let _ = writeln!(out, "{:<36} {:>8.4}  {}", s.name, s.index, s.level);
    }
    if r.bands.is_empty() {
        let _ = writeln!(out, "\nrealised bad rate: the data does not reach 12 months past the reference date");
    } else {
        let _ = writeln!(
            out,
            "\n{:<28} {:>6} {:>6} {:>10} {:>10}",
            "PD band 分段", "loans", "bads", "predicted", "realised"
        );
        for b in &r.bands {
            let _ = writeln!(
                out,
                "{:<28} {:>6} {:>6} {:>10.4} {:>10.4}",
                format!("{:.4}–{:.4}", b.lower.unwrap_or(0.0), b.upper.unwrap_or(1.0)),
                b.rows,
                b.bads,
                b.mean_predicted,
                b.observed_rate
            );
        }
    }
    for (name, a) in [("reference", &r.approval_reference), ("recent", &r.approval_recent)] {
        let _ = writeln!(
            out,
            "\n通过率 approval rate {name} {}–{}: {} of {} = {}",
            a.from, a.to, a.approved, a.decided, a.rate
        );
    }
    let _ = writeln!(out, "\n预警 alerts: {}", r.alerts.len());
    for a in &r.alerts {
        let _ = writeln!(out, "  {} {}: {}", a.kind, a.subject, a.detail);
    }
    out
}

#[cfg(test)]
#[allow(clippy::float_arithmetic)] // synthetic scores
mod tests {
    use super::*;
    use lending::ProductKind;

    fn app(on: &str, decision: Option<Decision>) -> Application {
        Application {
            application_id: format!("A{on}"),
            household_id: "H1".into(),
            applied_on: domain::parse_date(on).expect("date"),
            product: ProductKind::HarvestBullet,
            amount_requested: domain::Money::from_yuan(10_000),
            stated_purpose: features::input::StatedPurpose::CropInputs,
            purpose_text: String::new(),
            decision,
            loan_id: None,
        }
    }

    #[test]
    fn a_moved_population_and_approval_rate_raise_alerts() {
        let reference: Vec<f64> = (0..200).map(|i| f64::from(i) / 1000.0).collect();
        let same = reference.clone();
        let moved: Vec<f64> = (0..200).map(|i| 0.5 + f64::from(i) / 1000.0).collect();
        let apps = [
            app("2025-03-01", Some(Decision::Approved)),
            app("2025-04-01", Some(Decision::Approved)),
            app("2025-05-01", Some(Decision::Declined)),
            app("2026-05-01", Some(Decision::Declined)),
            app("2026-06-01", Some(Decision::Declined)),
            app("2026-06-02", None),
        ];
        let features = vec![("x".to_owned(), reference.clone(), moved.clone())];
        let d = |t: &str| domain::parse_date(t).expect("date");
        let r = measure(&DriftInputs {
            as_of: d("2026-06-30"),
            reference: d("2025-06-30"),
            reference_pd: &reference,
            actual_pd: &same,
            features: &features,
            outcomes: None,
            applications: &apps,
        });
        assert_eq!(r.score.level, "stable");
        assert_eq!(r.features[0].level, "shifted");
        assert_eq!((r.approval_reference.decided, r.approval_reference.approved), (3, 2));
        assert_eq!(r.approval_reference.rate, Decimal::new(6667, 4));
        assert_eq!((r.approval_recent.decided, r.approval_recent.rate), (2, Decimal::ZERO));
        let kinds: Vec<&str> = r.alerts.iter().map(|a| a.kind).collect();
        assert_eq!(kinds, ["feature_csi", "approval_rate"]);
        assert!(r.bands.is_empty());
    }

    #[test]
    fn realised_bads_far_above_the_prediction_are_an_alert() {
        let pd: Vec<f64> = (0..100).map(|i| 0.01 + f64::from(i) / 10_000.0).collect();
        let bad: Vec<u8> = (0..100).map(|i| u8::from(i % 4 == 0)).collect();
        let d = |t: &str| domain::parse_date(t).expect("date");
        let r = measure(&DriftInputs {
            as_of: d("2026-06-30"),
            reference: d("2025-06-30"),
            reference_pd: &pd,
            actual_pd: &pd,
            features: &[],
            outcomes: Some(&bad),
            applications: &[],
        });
        assert_eq!(r.bands.len(), 5);
        assert_eq!(r.bands.iter().map(|b| b.rows).sum::<usize>(), 100);
        assert!(r.alerts.iter().any(|a| a.kind == "calibration"), "{:?}", r.alerts);
    }
}
