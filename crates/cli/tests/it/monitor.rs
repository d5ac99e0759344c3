//! `agririsk monitor run | evaluate` end to end: a stored run on the tiny county (both engines), idempotent by day,
//! refusing bad input with nothing written; overdue alerts escalated to their branch manager once, and a branch
//! without one reported; concentration breaches raised and resolved as portfolio alerts (`portfolio report
//! --raise-alerts`); and the early-warning targets of issue 16 on the county preset, for two seeds, one with its
//! planted scenarios moved to other months.

use std::path::Path;

use serde_json::Value;

use super::county::s;
use super::{agririsk, database_bytes, ok_json, on_postgres, stderr};

/// Simulates a county (`preset`, `seed`, optional simulator `--config`) into `dir/files` and ingests it into
/// `dir/data`; returns the data directory and the files' directory.
fn loaded(dir: &Path, preset: &str, seed: &str, config: Option<&Path>) -> (std::path::PathBuf, std::path::PathBuf) {
    let (data, files, keys) = (dir.join("data"), dir.join("files"), dir.join("keys"));
    let mut simulate =
        vec!["simulate", "--preset", preset, "--seed", seed, "--quiet", "--format", "csv", "--out", s(&files)];
    if let Some(config) = config {
        simulate.extend(["--config", s(config)]);
    }
    for args in [
        simulate,
        vec!["keys", "generate", "--out", s(&keys)],
        vec!["ingest", "--all", s(&files), "--key-file", s(&keys), "--quiet"],
    ] {
        let out = agririsk(&data, &args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    (data, files)
}

/// The first value date of the county's loans.
fn first_loan(files: &Path) -> String {
    super::county::rows(&files.join("loans.csv")).iter().map(|r| r["start_date"].clone()).min().expect("loans")
}

fn refused(data: &Path, args: &[&str], field: &str) {
    let before = database_bytes(data);
    let out = agririsk(data, args);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    assert!(stderr(&out).contains(field), "{args:?} should name {field}: {}", stderr(&out));
    assert!(database_bytes(data) == before, "{args:?} changed the database");
}

#[test]
fn a_run_keeps_each_day_once_and_refuses_bad_input_with_nothing_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (data, files) = loaded(dir.path(), "tiny", "3", None);
    let first = first_loan(&files);

    refused(&data, &["monitor", "run", "--as-of", "2001-01-01"], "as-of");
    let config = dir.path().join("config.json");
    std::fs::write(&config, r#"{"version": 2, "colour": "red"}"#).expect("write");
    refused(&data, &["monitor", "run", "--as-of", &first, "--config", s(&config)], "config");
    let mut good: Value = serde_json::from_slice(&agririsk(&data, &["monitor", "config"]).stdout).expect("defaults");
    good["weather"]["orange_loss"] = Value::String("1.5".into());
    std::fs::write(&config, good.to_string()).expect("write");
    refused(&data, &["monitor", "run", "--as-of", &first, "--config", s(&config)], "weather.orange_loss");
    refused(&data, &["monitor", "run", "--from", &first, "--to", "2001-01-01"], "to");

    // A year from the first loan, day by day.
    let from = domain::parse_date(&first).expect("date");
    let to = (from + chrono::Duration::days(364)).to_string();
    let run = ok_json(&data, &["monitor", "run", "--from", &first, "--to", &to, "--format", "json"]);
    assert_eq!(run["days_run"], 365, "{run}");
    assert_eq!(run["days_already_run"], 0);
    assert!(run["raised"].as_u64().is_some_and(|n| n > 0), "a year of a county raises alerts: {run}");
    let open = run["open_after"].as_u64().expect("open");

    // Again: every day is on record, nothing is written.
    let before = database_bytes(&data);
    let again = ok_json(&data, &["monitor", "run", "--from", &first, "--to", &to, "--format", "json"]);
    assert_eq!((again["days_run"].as_u64(), again["days_already_run"].as_u64()), (Some(0), Some(365)), "{again}");
    assert_eq!((again["raised"].as_u64(), again["open_after"].as_u64()), (Some(0), Some(open)));
    assert!(database_bytes(&data) == before, "a re-run changed the database");

    // The alerts are on the board with their evidence, reasons a person can read and actions.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        use store::AlertRegister;
        let store = super::store_of(&data).await;
        let open_alerts = store.open_alerts(0, 10_000).await.expect("open alerts");
        assert_eq!(open_alerts.len() as u64, open);
        let page = store.alert_board(&store::alerts::AlertFilter::default(), None, 500).await.expect("board");
        let first = page.alerts.first().expect("an alert");
        let reasons = first.raised.evidence["reasons_zh"].as_array().expect("reasons");
        assert!(!reasons.is_empty() && reasons.len() <= 4, "{}", first.raised.evidence);
        assert!(!first.raised.actions.is_empty());
        assert_eq!(first.raised.config_version, 1);
        store.close().await;
    });

    // An ingested repayment row is an event: its household is evaluated at once, today. A loan on the book today
    // gets a row of yesterday, unpaid and 35 days past due.
    let seconds = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_secs();
    let days = i64::try_from((seconds + 8 * 3_600) / 86_400).expect("days");
    let today = domain::parse_date("1970-01-01").expect("epoch") + chrono::Duration::days(days);
    let loans = super::county::rows(&files.join("loans.csv"));
    let on_book = loans
        .iter()
        .find(|l| {
            let (start, end) = (domain::parse_date(&l["start_date"]), domain::parse_date(&l["maturity_date"]));
            matches!((start, end), (Ok(s), Ok(e)) if s < today && today < e)
        })
        .expect("a loan on the book today");
    let yesterday = (today - chrono::Duration::days(1)).to_string();
    let late = dir.path().join("repayments-late.csv");
    std::fs::write(
        &late,
        format!(
            "loan_id,date,amount_due,amount_paid,dpd_after,class_after,synthetic\n{},{yesterday},1000.00,0.00,35,special-mention,true\n",
            on_book["loan_id"]
        ),
    )
    .expect("write");
    let keys = dir.path().join("keys");
    let ingested =
        ok_json(&data, &["ingest", "repayments", s(&late), "--key-file", s(&keys), "--quiet", "--format", "json"]);
    let event = &ingested["monitoring"];
    assert_eq!(event["households"], 1, "{ingested}");
    assert_eq!(event["day"], today.to_string());
    assert!(event["raised"].as_u64().unwrap_or(0) + event["existing"].as_u64().unwrap_or(0) >= 1, "{event}");
    runtime.block_on(async {
        use store::AlertRegister;
        let store = super::store_of(&data).await;
        let filter = store::alerts::AlertFilter { cause: Some(::monitor::Cause::Overdue), ..Default::default() };
        let page = store.alert_board(&filter, None, 500).await.expect("board");
        let household = on_book["household_id"].as_str();
        assert!(
            page.alerts
                .iter()
                .any(|a| a.raised.household_id.as_str() == household && a.raised.tier >= ::monitor::Tier::Orange),
            "the late household has an orange or red overdue alert"
        );
        store.close().await;
    });

    // The evaluation answers with the figures at its top level and per planted scenario.
    let e = ok_json(&data, &["monitor", "evaluate", "--ground-truth", s(&files), "--format", "json"]);
    for key in [
        "recall_before_first_dpd",
        "recall_before_90dpd",
        "median_lead_days",
        "red_precision",
        "false_alerts_per_1000_loan_months",
    ] {
        assert!(e.get(key).is_some(), "no {key} in {e}");
        let scenarios = e["scenarios"].as_array().expect("scenarios");
        assert!(!scenarios.is_empty() && scenarios.iter().all(|x| x.get(key).is_some()), "no {key} per scenario");
    }
    refused(&data, &["monitor", "evaluate", "--ground-truth", s(&dir.path().join("nowhere"))], "ground-truth");
}

/// Registers `officer` at `branch` in the officers register (the review workflow's, as `POST /v1/officers` does).
async fn register_officer(store: &store::Database, officer: &str, branch: &str) {
    use store::ReviewWorkflow;
    let officer = workflow::Officer {
        officer_id: domain::OfficerId::parse(officer).expect("officer id"),
        name: officer.to_string(),
        branch: branch.to_string(),
        authority: domain::Money::from_yuan(50_000),
        registered_at: domain::Timestamp::parse("2025-01-01T09:00:00+08:00").expect("time"),
    };
    store.register_officer(&officer).await.expect("register the officer");
}

/// Every alert of `filter` on the board.
async fn board(store: &store::Database, filter: &store::alerts::AlertFilter) -> Vec<::monitor::Alert> {
    use store::AlertRegister;
    let (mut alerts, mut after) = (Vec::new(), None);
    loop {
        let page = store.alert_board(filter, after.as_ref(), 500).await.expect("board");
        alerts.extend(page.alerts);
        match page.next {
            Some(next) => after = Some(next),
            None => return alerts,
        }
    }
}

#[test]
fn overdue_alerts_escalate_once_to_the_branch_manager_and_a_branch_without_one_is_reported() {
    const BRANCH: &str = "990102113";
    let dir = tempfile::tempdir().expect("temp dir");
    let (data, files) = loaded(dir.path(), "tiny", "3", None);
    let password = dir.path().join("password");
    std::fs::write(&password, super::serve::PASSWORD).expect("password file");
    let init = ["init", "--admin", "esc-admin", "--password-file", s(&password)];
    // The branch manager of the township, and a loan officer of it who is not the one escalated to.
    let boss = ["user", "add", "esc-boss", "--role", "branch_manager", "--branches", "990102", "--password-file"];
    let officer = ["user", "add", "esc-li", "--role", "loan_officer", "--branches", "990102", "--password-file"];
    for args in [&init[..], &[&boss[..], &[s(&password)]].concat(), &[&officer[..], &[s(&password)]].concat()] {
        let out = agririsk(&data, args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let store = super::store_of(&data).await;
        register_officer(&store, "esc-li", BRANCH).await;
        register_officer(&store, "esc-boss", BRANCH).await;
        store.close().await;
    });

    let first = first_loan(&files);
    let from = domain::parse_date(&first).expect("date");
    let last = from + chrono::Duration::days(364);
    let to = last.to_string();
    let run = ok_json(&data, &["monitor", "run", "--from", &first, "--to", &to, "--format", "json"]);
    let escalation = &run["escalation"];
    let escalated = escalation["escalated"].as_u64().expect("escalated");
    assert!(escalated > 0, "a year of alerts nobody works escalates some: {run}");
    let without = escalation["branches_without_manager"].as_object().expect("branches");
    assert!(!without.is_empty() && !without.contains_key(BRANCH), "{escalation}");
    let left: u64 = without.values().filter_map(Value::as_u64).sum();
    assert_eq!(escalation["not_escalated"].as_u64(), Some(left), "{escalation}");

    runtime.block_on(async {
        use store::AlertRegister;
        let store = super::store_of(&data).await;
        let ours = store::alerts::AlertFilter { branch: Some(BRANCH.into()), ..Default::default() };
        let alerts = board(&store, &ours).await;
        let moved: Vec<_> = alerts.iter().filter(|a| a.status == ::monitor::Status::Escalated).collect();
        assert!(!moved.is_empty(), "the branch's overdue alerts are escalated");
        let mut steps = 0;
        for a in &alerts {
            let history = store.alert_history(a.alert_id).await.expect("history");
            let escalations: Vec<_> =
                history.iter().filter(|h| matches!(h.change, Some(::monitor::Change::Escalate { .. }))).collect();
            assert!(escalations.len() <= 1, "escalated once: {history:?}");
            steps += escalations.len();
            if let Some(step) = escalations.first() {
                let boss = domain::OfficerId::parse("esc-boss").expect("id");
                assert_eq!(step.change, Some(::monitor::Change::Escalate { to: boss.clone() }));
                assert_eq!(step.by, history[0].by, "the run's step, by the run's actor as its raise");
                // Escalated the day after the due date, stamped with the end of that day (China Standard Time).
                let day = a.raised.due_on + chrono::Duration::days(1);
                assert_eq!(
                    step.at,
                    app::monitoring::stamp_for(day, domain::Timestamp::parse("2999-01-01T00:00:00Z").expect("time"))
                );
                if a.status == ::monitor::Status::Escalated {
                    assert_eq!(a.holder.as_ref(), Some(&boss), "the branch manager holds it");
                }
            }
            assert!(!a.is_overdue(last) || !escalations.is_empty(), "alert {} left overdue", a.alert_id);
        }
        assert_eq!(steps as u64, escalated, "every escalation is of the branch's alerts");
        store.close().await;
    });

    // The period again: every day is on record and every overdue alert of the branch escalated; nothing changes.
    let before = database_bytes(&data);
    let again = ok_json(&data, &["monitor", "run", "--from", &first, "--to", &to, "--format", "json"]);
    assert_eq!(again["escalation"]["escalated"], 0, "{again}");
    assert_eq!(again["escalation"]["not_escalated"].as_u64(), Some(left));
    assert!(database_bytes(&data) == before, "a re-run changed the database");
    let text = agririsk(&data, &["monitor", "run", "--as-of", &to]);
    let said = String::from_utf8_lossy(&text.stdout);
    assert!(said.contains("0 overdue alerts escalated") && said.contains("no branch manager on file"), "{said}");
}

/// A portfolio configuration with one village share limit (`max_share`) and no other limit.
fn village_limit(dir: &Path, name: &str, max_share: &str) -> std::path::PathBuf {
    let none = serde_json::json!({ "max_share": null, "max_hhi": null });
    let config = serde_json::json!({
        "version": 1,
        "limits": {
            "village": { "max_share": max_share, "max_hhi": null },
            "county": none, "crop": none, "product": none, "buyer": none,
        },
    });
    let path = dir.join(name);
    std::fs::write(&path, config.to_string()).expect("write");
    path
}

#[test]
fn a_concentration_breach_raises_an_alert_naming_its_village_and_a_limit_above_the_share_resolves_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (data, files) = loaded(dir.path(), "tiny", "3", None);
    let as_of = (domain::parse_date(&first_loan(&files)).expect("date") + chrono::Duration::days(200)).to_string();
    let report = |config: &Path| {
        let args =
            ["portfolio", "report", "--as-of", &as_of, "--config", s(config), "--raise-alerts", "--format", "json"];
        let out = agririsk(&data, &args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let report: Value = serde_json::from_slice(&out.stdout).expect("the report stays whole JSON");
        (report, stderr(&out))
    };

    // Every village over 2% of the book breaches; the largest has its alert, of its township's branch.
    let (low, said) = report(&village_limit(dir.path(), "low.json", "0.02"));
    let breaches = low["breaches"].as_array().expect("breaches");
    assert!(!breaches.is_empty(), "{low}");
    assert!(said.contains(&format!("alerts (concentration): {} raised", breaches.len())), "{said}");
    let village = breaches[0]["key"].as_str().expect("a village").to_string();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let concentration =
        store::alerts::AlertFilter { cause: Some(::monitor::Cause::Concentration), ..Default::default() };
    let subject = format!("P.village.{village}");
    let alert = runtime.block_on(async {
        let store = super::store_of(&data).await;
        let alerts = board(&store, &concentration).await;
        store.close().await;
        assert_eq!(alerts.len(), breaches.len());
        alerts.into_iter().find(|a| a.raised.household_id.as_str() == subject).expect("the village's alert")
    });
    assert_eq!((alert.raised.branch.as_str(), alert.raised.tier), (&village[..9], ::monitor::Tier::Orange));
    assert_eq!(alert.raised.evidence["share"], breaches[0]["value"]);
    assert_eq!(alert.raised.evidence["threshold"], "0.02");
    assert!(alert.raised.evidence["top"].as_array().is_some_and(|t| !t.is_empty()), "{}", alert.raised.evidence);
    assert_eq!(alert.raised.actions, [::monitor::RecommendedAction::CutLimit]);

    // The same check again raises nothing new.
    let (_, said) = report(&village_limit(dir.path(), "low.json", "0.02"));
    assert!(said.contains("0 raised") && said.contains("0 resolved"), "{said}");

    // A limit above every share: each alert is resolved by the check, in its history.
    let (high, said) = report(&village_limit(dir.path(), "high.json", "0.99"));
    assert_eq!(high["breaches"].as_array().map(Vec::len), Some(0));
    assert!(said.contains(&format!("{} resolved", breaches.len())), "{said}");
    runtime.block_on(async {
        use store::AlertRegister;
        let store = super::store_of(&data).await;
        let now = store.alert(alert.alert_id).await.expect("read").expect("the alert");
        assert_eq!(now.status, ::monitor::Status::Closed);
        let history = store.alert_history(alert.alert_id).await.expect("history");
        assert!(matches!(history.last().and_then(|h| h.change.as_ref()), Some(::monitor::Change::Resolve { .. })));
        assert!(board(&store, &concentration).await.iter().all(|a| a.status == ::monitor::Status::Closed));
        store.close().await;
    });
}

/// The targets of issue 16 on one county: of the borrowers who reach 90 DPD, at least half warned (red or orange)
/// before their first day past due and 95% before 90 DPD; median lead time at least 30 days; red precision at least
/// 0.5; every household of the diversion ring flagged within 30 days of its diversion.
fn meets_the_targets(e: &Value, what: &str) {
    let f = |key: &str| e[key].as_f64().unwrap_or_else(|| panic!("{what}: no {key} in {e}"));
    assert!(e["defaulters"].as_u64().is_some_and(|n| n >= 100), "{what}: too few defaulters to judge: {e}");
    assert!(
        f("recall_before_first_dpd") >= 0.5,
        "{what}: recall before the first day past due {}",
        f("recall_before_first_dpd")
    );
    assert!(f("recall_before_90dpd") >= 0.95, "{what}: recall before 90 DPD {}", f("recall_before_90dpd"));
    assert!(f("median_lead_days") >= 30.0, "{what}: median lead {}", f("median_lead_days"));
    assert!(f("red_precision") >= 0.5, "{what}: red precision {}", f("red_precision"));
    let ring = e["scenarios"].as_array().expect("scenarios").iter().find(|s| s["scenario"] == "S5").expect("S5");
    let (flagged, households) = (&ring["ring_flagged_within_30_days"][0], &ring["ring_flagged_within_30_days"][1]);
    assert!(households.as_u64().is_some_and(|n| n >= 10), "{what}: the ring: {ring}");
    assert_eq!(flagged, households, "{what}: every ring household flagged within 30 days");
}

#[test]
fn the_county_meets_the_early_warning_targets_for_two_seeds_and_moved_scenarios() {
    if on_postgres() {
        // The targets are about the detectors, not the engine: the stored run on PostgreSQL is the tiny test's.
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    // Seed 7 with the specification's timing, stored: the run writes every day, then the evaluation scores it.
    let (data, files) = loaded(&dir.path().join("seed7"), "county", "7", None);
    let e = ok_json(&data, &["monitor", "evaluate", "--ground-truth", s(&files), "--format", "json"]);
    meets_the_targets(&e, "seed 7");
    // Seed 23 with the drought, the outbreak, the ring and the migrant shock moved to other months, as a dry run.
    let moved = dir.path().join("moved.json");
    std::fs::write(
        &moved,
        r#"{"scenarios": {"s1_drought": {"enabled": true, "month": 29}, "s4_disease": {"enabled": true, "month": 20},
            "s5_diversion_ring": {"enabled": true, "month": 26}, "s6_migrant_shock": {"enabled": true, "month": 21}}}"#,
    )
    .expect("write");
    let (data, files) = loaded(&dir.path().join("seed23"), "county", "23", Some(&moved));
    let e = ok_json(&data, &["monitor", "evaluate", "--ground-truth", s(&files), "--dry-run", "--format", "json"]);
    meets_the_targets(&e, "seed 23, scenarios moved");
}
