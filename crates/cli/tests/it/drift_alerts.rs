//! `agririsk portfolio drift --raise-alerts` end to end on a copy of the tiny county (the shipped decision model as
//! champion), on the engine of the run: one yellow `model_drift` alert of the head office per subject the report
//! says crossed its threshold, with the report's index and threshold as evidence; the same check again raises
//! nothing; a check that finds fewer crossings resolves the others, and one that finds none resolves them all, a
//! `resolve` last in each history; bad input is refused with exit code 2 naming the flag, with nothing written.
//!
//! The thresholds are `portfolio::drift`'s fixed rule of thumb (an index of 0.25 or more), not a configuration, so
//! the checks move the dates instead: a reference six months before the as-of date crosses the score's PSI and four
//! features' CSI, the default year before crosses three of those four features, and a reference four weeks before
//! the end of the data crosses nothing (the same 101 households on both dates).

use std::path::{Path, PathBuf};

use monitor::{Alert, Cause, Change, RecommendedAction, Status, Tier};
use serde_json::Value;
use store::AlertRegister;
use store::alerts::AlertFilter;

use super::county::{county, exclusive};
use super::{agririsk, database_bytes, ok_json, stderr};

const AS_OF: &str = "2026-10-31";

/// A copy of the county's data directory (and, on PostgreSQL, of its database), taken while no other test writes it:
/// the alerts raised here stay out of the other tests' county.
fn copy_of_county(dir: &Path) -> PathBuf {
    let c = county();
    let data = dir.join("data");
    let _guard = exclusive();
    super::copy_database(&c.data, &data);
    copy_files(&c.data, &data);
    data
}

fn copy_files(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the copy");
    let Ok(entries) = std::fs::read_dir(from) else { return };
    for entry in entries {
        let entry = entry.expect("an entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_files(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a file");
        }
    }
}

/// Runs a drift check with `--raise-alerts`: the report (whole JSON on standard output) and what standard error said.
fn drift(data: &Path, as_of: &str, reference: Option<&str>) -> (Value, String) {
    let mut args = vec!["portfolio", "drift", "--as-of", as_of, "--raise-alerts", "--format", "json"];
    if let Some(reference) = reference {
        args.extend(["--reference", reference]);
    }
    let out = agririsk(data, &args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    let report = serde_json::from_slice(&out.stdout).expect("the report stays whole JSON");
    (report, stderr(&out))
}

/// Every `model_drift` alert on the board, page by page.
fn board(data: &Path) -> Vec<Alert> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let store = super::store_of(data).await;
        let filter = AlertFilter { cause: Some(Cause::ModelDrift), ..AlertFilter::default() };
        let (mut alerts, mut after) = (Vec::new(), None);
        loop {
            let page = store.alert_board(&filter, after.as_ref(), store::alerts::MAX_PAGE).await.expect("board");
            alerts.extend(page.alerts);
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        store.close().await;
        alerts
    })
}

/// The last step of each alert's history, the histories read at once.
fn last_steps(data: &Path, alerts: &[Alert]) -> Vec<Option<Change>> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let store = super::store_of(data).await;
        let ids: Vec<i64> = alerts.iter().map(|a| a.alert_id).collect();
        let histories = store.alert_histories(&ids).await.expect("histories");
        store.close().await;
        ids.iter().map(|id| histories[id].last().and_then(|step| step.change.clone())).collect()
    })
}

/// The subject the report's crossing `alert` is kept under, given the champion's id.
fn subject_of(alert: &Value, model: &str) -> String {
    let subject = alert["subject"].as_str().expect("a subject");
    match alert["kind"].as_str().expect("a kind") {
        "score_psi" => format!("P.model.{}", &model[..16]),
        "feature_csi" => format!("P.feature.{subject}"),
        other => panic!("the county crosses only stability indexes here, not {other}: {alert}"),
    }
}

/// The index and threshold a crossing's detail states: `… 0.4120 (≥ 0.25)`.
fn stated(alert: &Value) -> (String, String) {
    let detail = alert["detail"].as_str().expect("a detail");
    let (figure, rest) = detail.split_once(" (≥ ").unwrap_or_else(|| panic!("no threshold in {detail}"));
    let index = figure.rsplit(' ').next().expect("an index");
    (index.to_owned(), rest.trim_end_matches(')').to_owned())
}

/// The subjects the report says crossed, sorted.
fn crossed(report: &Value, model: &str) -> Vec<String> {
    let mut subjects: Vec<String> =
        report["alerts"].as_array().expect("alerts").iter().map(|a| subject_of(a, model)).collect();
    subjects.sort();
    subjects
}

fn open_subjects(alerts: &[Alert]) -> Vec<String> {
    let mut open: Vec<String> = alerts
        .iter()
        .filter(|a| a.status != Status::Closed)
        .map(|a| a.raised.household_id.as_str().to_owned())
        .collect();
    open.sort();
    open
}

#[test]
fn each_drift_crossing_is_one_head_office_alert_with_the_report_s_figures_and_a_check_without_it_resolves_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = copy_of_county(dir.path());
    let model = ok_json(&data, &["model", "list", "--format", "json"])
        .as_array()
        .expect("models")
        .iter()
        .find(|m| m["status"] == "champion")
        .and_then(|m| m["id"].as_str())
        .expect("the champion")
        .to_owned();

    // Six months back: the score's PSI and four features' CSI crossed, one alert each.
    let (report, said) = drift(&data, AS_OF, Some("2026-04-30"));
    let crossings = report["alerts"].as_array().expect("alerts").clone();
    let first = crossed(&report, &model);
    assert_eq!(first.len(), 5, "{report}");
    assert!(first.contains(&format!("P.model.{}", &model[..16])), "the score crossed: {first:?}");
    assert!(
        said.contains(&format!("alerts (model_drift): {} raised, 0 already open, 0 resolved", first.len())),
        "{said}"
    );
    let alerts = board(&data);
    assert_eq!(alerts.len(), crossings.len(), "one alert per crossing");
    for crossing in &crossings {
        let subject = subject_of(crossing, &model);
        let alert = alerts.iter().find(|a| a.raised.household_id.as_str() == subject).expect("the crossing's alert");
        let raised = &alert.raised;
        assert_eq!(
            (raised.cause, raised.tier, raised.branch.as_str()),
            (Cause::ModelDrift, Tier::Yellow, "head_office")
        );
        assert_eq!((raised.actions.as_slice(), raised.loan_id.as_ref()), (&[RecommendedAction::WatchList][..], None));
        assert_eq!((alert.status, raised.raised_on.to_string().as_str()), (Status::Open, AS_OF));
        let evidence = &raised.evidence;
        let (index, threshold) = stated(crossing);
        assert_eq!((evidence["index"].as_str(), evidence["threshold"].as_str()), (Some(&*index), Some(&*threshold)));
        let named = &evidence["crossed"][0];
        assert_eq!(
            (&evidence["kind"], &named["subject"], &named["detail"]),
            (&crossing["kind"], &crossing["subject"], &crossing["detail"])
        );
        assert_eq!((&evidence["as_of"], &evidence["reference"]), (&report["as_of"], &report["reference"]));
        assert_eq!(evidence["model"].as_str(), Some(&model[..16]));
        assert!(evidence["reasons_zh"][0].as_str().is_some_and(|r| r.contains("超过阈值")), "{evidence}");
    }
    let score = alerts.iter().find(|a| a.raised.household_id.as_str().starts_with("P.model.")).expect("the score's");
    assert_eq!(
        score.raised.evidence["index"].as_str(),
        Some(&*format!("{:.4}", report["score"]["index"].as_f64().expect("PSI")))
    );

    // The same check again: every crossing has its open alert, nothing is written.
    let before = database_bytes(&data);
    let (_, said) = drift(&data, AS_OF, Some("2026-04-30"));
    assert!(said.contains(&format!("0 raised, {} already open, 0 resolved", first.len())), "{said}");
    assert!(database_bytes(&data) == before, "a check that finds what is open writes nothing");

    // A year back: three of the features still crossed, the score and the fourth feature resolved.
    let (report, said) = drift(&data, AS_OF, None);
    let second = crossed(&report, &model);
    assert!(!second.is_empty() && second.iter().all(|s| first.contains(s)), "{second:?} within {first:?}");
    let cleared = first.len() - second.len();
    assert!(cleared > 0, "{second:?}");
    assert!(said.contains(&format!("0 raised, {} already open, {cleared} resolved", second.len())), "{said}");
    let alerts = board(&data);
    assert_eq!(alerts.len(), first.len(), "no second alert for a subject");
    assert_eq!(open_subjects(&alerts), second);

    // Four weeks before the data ends, the same households: nothing crosses, every alert is resolved by the check.
    let (report, said) = drift(&data, "2026-11-28", Some(AS_OF));
    assert_eq!(report["alerts"].as_array().map(Vec::len), Some(0), "{report}");
    assert!(said.contains(&format!("0 raised, 0 already open, {} resolved", second.len())), "{said}");
    let alerts = board(&data);
    assert_eq!(alerts.len(), first.len());
    assert!(alerts.iter().all(|a| a.status == Status::Closed), "{alerts:?}");
    for last in last_steps(&data, &alerts) {
        assert!(matches!(last, Some(Change::Resolve { .. })), "{last:?}");
    }
}

#[test]
fn bad_drift_input_with_raise_alerts_exits_2_naming_the_flag_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = copy_of_county(dir.path());
    let drift = ["portfolio", "drift", "--raise-alerts"];
    let cases: [(&[&str], &str); 5] = [
        // The thresholds are fixed: there is no configuration to give.
        (&["--as-of", AS_OF, "--config", "drift.json"], "--config"),
        (&["--as-of", "2026-13-01"], "--as-of"),
        // A year before 2001 is before the data begins: the reference the as-of date implies is refused.
        (&["--as-of", "2001-01-01"], "--reference"),
        (&["--as-of", AS_OF, "--reference", "2026-11-30"], "--reference"),
        (&["--as-of", AS_OF, "--reference", "2019-01-01"], "--reference"),
    ];
    let before = database_bytes(&data);
    for (args, flag) in cases {
        let out = agririsk(&data, &[&drift[..], args].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(flag), "{args:?} should name {flag}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{args:?}: no report");
    }
    assert!(database_bytes(&data) == before, "a refused check writes nothing");
    assert!(board(&data).is_empty());
}
