//! Portfolio-level alerts: a concentration limit breached (`concentration`) and a model or data drift threshold
//! crossed (`model_drift`) are raised in the alert register like a borrower's alerts, and resolved by the next
//! check that finds them cleared. `agririsk portfolio report --raise-alerts` and `agririsk portfolio drift
//! --raise-alerts` run them: the report scores every borrower's features with the champion model, too costly for
//! every day of the daily run.
//!
//! **Subject.** The register keeps one open alert per subject and cause, its subject in the `household_id` column.
//! A portfolio alert's subject names its segment, `P.<dimension>.<key>` — `P.village.610102001001`,
//! `P.crop.rice`, `P.hhi.village` for a dimension's HHI; drift: `P.model.<first 16 of the model id>` (score PSI),
//! `P.feature.<name>` (CSI), `P.calibration.<model>`, `P.approvals` — within the column's bounds (letters, digits,
//! `.`, `_`, `-`; at most 64; a key that does not fit is `h` and 16 hex digits of its SHA-256). A household id is
//! `H` and digits, and no detector raises these two causes, so a subject never meets a borrower's alert.
//!
//! **Branch.** A village's alert is its branch's (the township, the first 9 digits of the village code, as
//! `monitor::book` assigns borrowers); every other segment and every drift alert is the head office's
//! ([`HEAD_OFFICE_BRANCH`]), which only a caller holding every branch sees.
//!
//! **Tier and actions.** A share over its limit: orange, cut the limit (of new lending in the segment). An HHI over
//! its limit: yellow, watch list. A drift threshold crossed: yellow, watch list. Evidence holds figures only: the
//! share or index, the limit, the dimension's HHI and its largest groups with their shares (segment codes, no
//! personal data), and a reason in Chinese. A drift alert's index and threshold are a stability index's (PSI, CSI);
//! a calibration or approval-rate alert has neither, its crossings' details carry the figures and the rule.
//!
//! **Writes.** Every alert of a check is made and checked before the first is raised, so an alert the register would
//! refuse writes nothing; each raise and each resolve is then one transaction of the register.

use std::collections::BTreeMap;

use domain::{Date, HouseholdId, Timestamp};
use monitor::{Cause, NewAlert, RecommendedAction, Status, Tier, WorkflowConfig};
use portfolio::drift::DriftReport;
use portfolio::report::{Breach, Concentration, Report};
use serde::Serialize;
use sha2::Digest as _;
use store::alerts::{AlertFilter, BoardCursor};
use store::{AlertRegister, Raised, RunStep};

use crate::error::Error;

/// The branch of a portfolio alert about no one branch's segment.
pub const HEAD_OFFICE_BRANCH: &str = "head_office";

/// What every portfolio alert's subject starts with.
pub const SUBJECT_PREFIX: &str = "P.";

/// Most groups an alert's evidence lists.
const TOP_GROUPS: usize = 5;

/// Longest subject (the `household_id` column's bound).
const MAX_SUBJECT_CHARS: usize = monitor::alert::MAX_ID_CHARS;

/// What a check did to the register.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AlertsOutcome {
    /// The cause checked: `concentration` or `model_drift`.
    pub cause: &'static str,
    /// New alerts.
    pub raised: u32,
    /// Breaches or crossings that had an open alert already (re-tiered when higher).
    pub existing: u32,
    /// Open alerts of the cause whose breach no longer holds, resolved.
    pub resolved: u32,
    /// The subjects in breach now, in order.
    pub subjects: Vec<String>,
}

/// A portfolio alert before it is dated: its subject, branch, tier, action and evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The segment, `P.…`.
    pub subject: String,
    /// Its branch.
    pub branch: String,
    /// How urgent.
    pub tier: Tier,
    /// What to do.
    pub action: RecommendedAction,
    /// Figures and a reason.
    pub evidence: serde_json::Value,
}

/// A subject part: the text when it fits the id alphabet, else `h` and 16 hex digits of its SHA-256.
fn part(text: &str, room: usize) -> String {
    let fits = !text.is_empty()
        && text.len() <= room
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if fits {
        return text.to_owned();
    }
    let digest = sha2::Sha256::digest(text.as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("h{hex}")
}

/// The subject `P.<kind>.<key>`, within the column's bounds.
pub fn subject(kind: &str, key: &str) -> String {
    let head = format!("{SUBJECT_PREFIX}{kind}.");
    let room = MAX_SUBJECT_CHARS.saturating_sub(head.len());
    format!("{head}{}", part(key, room))
}

/// The branch of a concentration segment: a village's township, else the head office.
fn branch_of(dimension: &str, key: &str) -> String {
    match (dimension, key.get(..9)) {
        ("village", Some(township)) if key.len() == 12 && key.bytes().all(|b| b.is_ascii_digit()) => {
            township.to_owned()
        }
        _ => HEAD_OFFICE_BRANCH.to_owned(),
    }
}

fn top(c: &Concentration) -> serde_json::Value {
    c.top
        .iter()
        .take(TOP_GROUPS)
        .map(|s| serde_json::json!({ "key": s.key, "loans": s.loans, "share": s.share.to_string() }))
        .collect()
}

/// The findings of a report's concentration breaches, one per breach.
pub fn concentration_findings(report: &Report) -> Vec<Finding> {
    let dimension = |b: &Breach| report.concentration.iter().find(|c| c.dimension == b.dimension);
    report
        .breaches
        .iter()
        .map(|b| {
            let c = dimension(b);
            let hhi = c.map(|c| c.hhi.to_string());
            let groups = c.map(|c| c.groups);
            let top = c.map(top).unwrap_or_default();
            match &b.key {
                Some(key) => Finding {
                    subject: subject(b.dimension, key),
                    branch: branch_of(b.dimension, key),
                    tier: Tier::Orange,
                    action: RecommendedAction::CutLimit,
                    evidence: serde_json::json!({
                        "as_of": report.as_of,
                        "dimension": b.dimension,
                        "segment": key,
                        "limit": b.limit,
                        "share": b.value.to_string(),
                        "threshold": b.threshold.to_string(),
                        "hhi": hhi,
                        "groups": groups,
                        "top": top,
                        "reasons_zh": [format!(
                            "{}集中度：{} 占贷款余额 {}，超过限额 {}",
                            dimension_zh(b.dimension), key, b.value, b.threshold
                        )],
                    }),
                },
                None => Finding {
                    subject: subject("hhi", b.dimension),
                    branch: HEAD_OFFICE_BRANCH.to_owned(),
                    tier: Tier::Yellow,
                    action: RecommendedAction::WatchList,
                    evidence: serde_json::json!({
                        "as_of": report.as_of,
                        "dimension": b.dimension,
                        "limit": b.limit,
                        "hhi": b.value.to_string(),
                        "threshold": b.threshold.to_string(),
                        "groups": groups,
                        "top": top,
                        "reasons_zh": [format!(
                            "{}集中度指数（HHI）{}，超过限额 {}", dimension_zh(b.dimension), b.value, b.threshold
                        )],
                    }),
                },
            }
        })
        .collect()
}

fn dimension_zh(dimension: &str) -> &'static str {
    match dimension {
        "village" => "村",
        "county" => "县",
        "crop" => "作物",
        "product" => "产品",
        "buyer" => "收购方",
        _ => "维度",
    }
}

/// The findings of a drift report's thresholds crossed: one per score PSI, per feature, for calibration (its bands
/// together) and for approvals. `model_id` is the champion's.
pub fn drift_findings(report: &DriftReport, model_id: &str) -> Vec<Finding> {
    let model: String = model_id.chars().take(16).collect();
    let mut by_subject: BTreeMap<String, (&'static str, Vec<serde_json::Value>)> = BTreeMap::new();
    for a in &report.alerts {
        let subject = match a.kind {
            "score_psi" => subject("model", &model),
            "feature_csi" => subject("feature", &a.subject),
            "calibration" => subject("calibration", &model),
            _ => subject("approvals", "rate"),
        };
        let entry = by_subject.entry(subject).or_insert((a.kind, Vec::new()));
        entry.1.push(serde_json::json!({ "subject": a.subject, "detail": a.detail }));
    }
    let index = |name: &str| {
        if name == "score" {
            Some(report.score.index)
        } else {
            report.features.iter().find(|f| f.name == name).map(|f| f.index)
        }
    };
    by_subject
        .into_iter()
        .map(|(subject, (kind, crossed))| {
            let what = crossed.first().and_then(|c| c["subject"].as_str()).unwrap_or_default().to_owned();
            // Only a stability index has an index and a threshold of its own; a band's and the approval rate's
            // figures and rule are in the crossing's detail.
            let stability = matches!(kind, "score_psi" | "feature_csi");
            let figure = if stability { index(&what) } else { None };
            let threshold = stability.then(|| portfolio::drift::SHIFTED.to_string());
            Finding {
                subject,
                branch: HEAD_OFFICE_BRANCH.to_owned(),
                tier: Tier::Yellow,
                action: RecommendedAction::WatchList,
                evidence: serde_json::json!({
                    "as_of": report.as_of,
                    "reference": report.reference,
                    "model": model,
                    "kind": kind,
                    "index": figure.map(|x| format!("{x:.4}")),
                    "threshold": threshold,
                    "crossed": crossed.into_iter().take(TOP_GROUPS).collect::<Vec<_>>(),
                    "reasons_zh": [format!("模型监测：{what} 超过阈值（{kind}）")],
                }),
            }
        })
        .collect()
}

/// Raises every finding as an alert of `cause` on `on` (stamped as a run stamps the day), and resolves each open
/// portfolio alert of `cause` raised on or before `on` whose subject is not among them: its breach no longer holds.
pub async fn keep<S: AlertRegister>(
    store: &S,
    cause: Cause,
    findings: &[Finding],
    on: Date,
    now: Timestamp,
) -> Result<AlertsOutcome, Error> {
    let at = crate::monitoring::stamp_for(on, now);
    let workflow = WorkflowConfig::default();
    let mut outcome = AlertsOutcome { cause: cause.code(), ..AlertsOutcome::default() };
    // Every alert is made and checked before the first is raised, so a refusal writes nothing.
    let mut alerts = Vec::with_capacity(findings.len());
    for f in findings {
        let household_id = HouseholdId::parse(&f.subject)
            .map_err(|e| Error::Internal(anyhow::anyhow!("portfolio alert subject {}: {e}", f.subject)))?;
        let due_on = workflow
            .due_on(f.tier, on)
            .ok_or_else(|| Error::input("as_of", format!("{on} is too near the calendar's end")))?;
        let alert = NewAlert {
            household_id,
            loan_id: None,
            branch: f.branch.clone(),
            tier: f.tier,
            cause,
            evidence: f.evidence.clone(),
            actions: vec![f.action],
            raised_on: on,
            raised_at: at,
            config_version: workflow.version,
            due_on,
        };
        alert.check().map_err(|e| Error::Internal(anyhow::anyhow!("portfolio alert {}: {e}", f.subject)))?;
        alerts.push(alert);
    }
    for (alert, f) in alerts.iter().zip(findings) {
        match store.raise(alert).await? {
            Raised::New(_) => outcome.raised += 1,
            Raised::Existing(_) => outcome.existing += 1,
        }
        outcome.subjects.push(f.subject.clone());
    }
    let filter = AlertFilter { cause: Some(cause), ..AlertFilter::default() };
    let mut after: Option<BoardCursor> = None;
    let mut cleared = Vec::new();
    loop {
        let page = store.alert_board(&filter, after.as_ref(), store::alerts::MAX_PAGE).await?;
        for a in &page.alerts {
            let subject = a.raised.household_id.as_str();
            if a.status != Status::Closed
                && subject.starts_with(SUBJECT_PREFIX)
                && a.raised.raised_on <= on
                && !outcome.subjects.iter().any(|s| s == subject)
            {
                cleared.push(a.alert_id);
            }
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let reason = format!("no longer in breach on {on}: the {} check found it within its limit", cause.code());
    for alert_id in cleared {
        store.run_step(alert_id, &RunStep::Resolve { reason: reason.clone() }, &at).await?;
        outcome.resolved += 1;
    }
    Ok(outcome)
}

/// Keeps the `concentration` alerts of a portfolio report: one per limit breached, the rest resolved ([`keep`]).
pub async fn keep_concentration<S: AlertRegister>(
    store: &S,
    report: &Report,
    now: Timestamp,
) -> Result<AlertsOutcome, Error> {
    keep(store, Cause::Concentration, &concentration_findings(report), report.as_of, now).await
}

/// Keeps the `model_drift` alerts of a drift report of the champion decision model: one per threshold crossed, the
/// rest resolved ([`keep`]).
pub async fn keep_drift<S: AlertRegister + store::ModelRegistry>(
    store: &S,
    report: &DriftReport,
    now: Timestamp,
) -> Result<AlertsOutcome, Error> {
    let model = store.champion(crate::decisions::MODEL_NAME).await?.map(|m| m.id).unwrap_or_default();
    keep(store, Cause::ModelDrift, &drift_findings(report, &model), report.as_of, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_fit_the_column_and_never_look_like_a_household() {
        assert_eq!(subject("village", "610102001001"), "P.village.610102001001");
        assert_eq!(subject("hhi", "village"), "P.hhi.village");
        let odd = subject("buyer", "张记粮油收购站");
        assert!(odd.starts_with("P.buyer.h") && odd.len() == "P.buyer.h".len() + 16, "{odd}");
        assert_eq!(subject("buyer", "张记粮油收购站"), odd, "the same key, the same subject");
        let long = subject("feature", &"x".repeat(80));
        assert!(long.len() <= MAX_SUBJECT_CHARS && HouseholdId::parse(&long).is_ok(), "{long}");
        assert!(HouseholdId::parse(&odd).is_ok());
    }

    #[test]
    fn a_village_is_its_township_s_and_other_segments_the_head_office_s() {
        assert_eq!(branch_of("village", "610102001001"), "610102001");
        assert_eq!(branch_of("village", "V1"), HEAD_OFFICE_BRANCH);
        assert_eq!(branch_of("crop", "610102001001"), HEAD_OFFICE_BRANCH);
    }

    #[test]
    fn drift_crossings_map_to_one_finding_per_subject() {
        use portfolio::drift::{ApprovalRate, DriftAlert, StabilityRow};
        let day = |s: &str| domain::parse_date(s).expect("date");
        let rate = ApprovalRate {
            from: day("2025-01-01"),
            to: day("2025-12-31"),
            decided: 10,
            approved: 5,
            rate: rust_decimal::Decimal::new(5, 1),
        };
        let crossed = |kind: &'static str, subject: &str| DriftAlert {
            kind,
            subject: subject.into(),
            detail: format!("{kind} crossed"),
        };
        let report = DriftReport {
            as_of: day("2026-06-30"),
            reference: day("2025-06-30"),
            sample_sizes: (100, 100),
            score: StabilityRow { name: "score".into(), index: 0.31, level: "shifted" },
            features: vec![StabilityRow { name: "land_mu".into(), index: 0.4, level: "shifted" }],
            bands: Vec::new(),
            approval_reference: rate.clone(),
            approval_recent: rate,
            alerts: vec![
                crossed("score_psi", "score"),
                crossed("feature_csi", "land_mu"),
                crossed("calibration", "PD band 1"),
                crossed("calibration", "PD band 2"),
                crossed("approval_rate", "approvals"),
            ],
        };
        let findings = drift_findings(&report, "0123456789abcdef0123456789abcdef");
        let subjects: Vec<&str> = findings.iter().map(|f| f.subject.as_str()).collect();
        assert_eq!(
            subjects,
            ["P.approvals.rate", "P.calibration.0123456789abcdef", "P.feature.land_mu", "P.model.0123456789abcdef"]
        );
        let model = &findings[3];
        assert_eq!((model.tier, model.branch.as_str()), (Tier::Yellow, HEAD_OFFICE_BRANCH));
        assert_eq!(model.evidence["index"], "0.3100");
        assert_eq!(findings[1].evidence["crossed"].as_array().map(Vec::len), Some(2), "both bands in one alert");
        assert_eq!(findings[2].evidence["index"], "0.4000");
        assert_eq!(
            (&model.evidence["threshold"], &findings[2].evidence["threshold"]),
            (&"0.25".into(), &"0.25".into())
        );
        for other in &findings[..2] {
            assert!(other.evidence["index"].is_null() && other.evidence["threshold"].is_null(), "{}", other.evidence);
        }
    }
}
