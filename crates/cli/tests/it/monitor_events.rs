//! Monitoring's whole book and its events end to end: a loan booked through agririsk is watched on the lending
//! core's DPD clock beside the ingested ones; a repayment posted to it, and an ingested weather loss in its
//! borrower's village, have the borrower evaluated at once.

use std::path::Path;

use serde_json::Value;

use super::county::{rows, s};
use super::{agririsk, ok_json, stderr};

fn today() -> chrono::NaiveDate {
    let seconds = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_secs();
    let days = i64::try_from((seconds + 8 * 3_600) / 86_400).expect("days");
    domain::parse_date("1970-01-01").expect("epoch") + chrono::Duration::days(days)
}

/// The alerts on the board for a household, as (cause, tier, loan id).
fn alerts_of(data: &Path, household: &str) -> Vec<(String, String, Option<String>)> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        use store::AlertRegister;
        let store = super::store_of(data).await;
        let page = store.alert_board(&store::alerts::AlertFilter::default(), None, 500).await.expect("board");
        store.close().await;
        page.alerts
            .iter()
            .filter(|a| a.raised.household_id.as_str() == household)
            .map(|a| {
                (
                    a.raised.cause.code().to_string(),
                    a.raised.tier.code().to_string(),
                    a.raised.loan_id.as_ref().map(|l| l.as_str().to_string()),
                )
            })
            .collect()
    })
}

#[test]
fn a_booked_loan_is_watched_and_its_postings_and_village_events_are_evaluated_at_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (data, files, keys) = (dir.path().join("data"), dir.path().join("files"), dir.path().join("keys"));
    for args in [
        vec!["simulate", "--preset", "tiny", "--seed", "5", "--quiet", "--format", "csv", "--out", s(&files)],
        vec!["keys", "generate", "--out", s(&keys)],
        vec!["ingest", "--all", s(&files), "--key-file", s(&keys), "--quiet"],
    ] {
        let out = agririsk(&data, &args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    // A household of the county with no loan in the core system's file: only the booked loan puts it on the book.
    let with_loans: std::collections::HashSet<String> =
        rows(&files.join("loans.csv")).into_iter().map(|l| l["household_id"].clone()).collect();
    let household = rows(&files.join("households.csv"))
        .into_iter()
        .find(|h| !with_loans.contains(&h["household_id"]))
        .expect("a household without a loan");
    let (id, village) = (household["household_id"].clone(), household["village_code"].clone());

    // Booked 150 days ago, monthly; the first installment paid, the rest not: past due on the core's clock.
    let today = today();
    let start = (today - chrono::Duration::days(150)).to_string();
    let terms = ["--product", "equal-installment", "--principal", "12000", "--annual-rate", "0.06"];
    let create = [&["loan", "create", "--borrower", &id, "--id", "LB1"][..], &terms, &["--term-months", "12"]];
    ok_json(&data, &[&create.concat()[..], &["--start", &start, "--format", "json"]].concat());
    assert!(agririsk(&data, &["loan", "disburse", "LB1"]).status.success());
    let first_due = (today - chrono::Duration::days(150) + chrono::Months::new(1)).to_string();
    let paid =
        ok_json(&data, &["loan", "repay", "LB1", "--amount", "1032.80", "--date", &first_due, "--format", "json"]);
    assert!(paid.get("monitoring").is_none(), "monitoring does not run on this store yet: {paid}");
    let shown = ok_json(&data, &["loan", "show", "LB1", "--format", "json"]);
    let dpd = shown["dpd"].as_u64().unwrap_or_else(|| panic!("the loan's DPD: {shown}"));
    assert!(dpd >= 60, "three installments missed: {shown}");

    // The daily run sees it: an overdue alert naming the booked loan, red or orange as its DPD says.
    let run = ok_json(&data, &["monitor", "run", "--as-of", &today.to_string(), "--format", "json"]);
    assert_eq!(run["days_run"], 1, "{run}");
    let alerts = alerts_of(&data, &id);
    assert!(
        alerts.iter().any(|(cause, tier, loan)| cause == "overdue"
            && (tier == "red" || tier == "orange")
            && loan.as_deref() == Some("LB1")),
        "the booked loan's arrears raise an overdue alert: {alerts:?}"
    );

    // A repayment posted to it is an event: the borrower is evaluated at once.
    let posted =
        ok_json(&data, &["loan", "repay", "LB1", "--amount", "50", "--date", &today.to_string(), "--format", "json"]);
    let m: &Value = &posted["monitoring"];
    assert_eq!((m["households"].as_u64(), m["day"].as_str()), (Some(1), Some(today.to_string().as_str())), "{posted}");
    assert!(m["raised"].as_u64().unwrap_or(0) + m["existing"].as_u64().unwrap_or(0) >= 1, "{posted}");

    // A weather loss ingested for the borrower's village is an event too: the village's borrowers are evaluated.
    let month = (today - chrono::Months::new(1)).format("%Y-%m").to_string();
    let weather = dir.path().join("weather-now.csv");
    std::fs::write(
        &weather,
        format!("village_code,harvest_month,event_type,loss_share,synthetic\n{village},{month},drought,0.6500,true\n"),
    )
    .expect("write");
    let ingested = ok_json(
        &data,
        &["ingest", "weather_events", s(&weather), "--key-file", s(&keys), "--quiet", "--format", "json"],
    );
    let m = &ingested["monitoring"];
    assert!(m["households"].as_u64().is_some_and(|n| n >= 1), "{ingested}");
    assert_eq!(m["left_to_daily_run"], 0, "{ingested}");
    let alerts = alerts_of(&data, &id);
    assert!(alerts.iter().any(|(cause, _, _)| cause == "weather"), "the village's loss is on the board: {alerts:?}");
}
