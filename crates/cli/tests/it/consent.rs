//! Consent per data source and purpose on the command-line path: `agririsk screening load` with the scoped header
//! and `agririsk decide apply` withholding a source whose consent for credit assessment is not in force on the
//! application date, saying so in the record and the text; bad scopes refused with exit 2 and nothing written.

use std::path::Path;

use serde_json::{Value, json};

use super::county::{county, exclusive, rows, s};
use super::{agririsk, snapshot, stderr};

/// The application date of these tests.
const APPLIED_ON: &str = "2026-03-05";

/// The household with the highest id among those with consents on file (H0000001–H0000500) that has a bureau
/// report before the application date: no other test screens it.
fn reported_household(files: &Path) -> String {
    rows(&files.join("bureau_reports.csv"))
        .into_iter()
        .filter(|r| r["report_date"].as_str() < APPLIED_ON && r["household_id"].as_str() <= "H0000500")
        .map(|r| r["household_id"].clone())
        .max()
        .expect("a household with a bureau report")
}

fn decide(data: &Path, dir: &Path, household: &str, request_id: &str, format: &str) -> std::process::Output {
    let application = json!({
        "request_id": request_id, "application_id": format!("A-{request_id}"), "household_id": household,
        "applied_on": APPLIED_ON, "product": "crop", "purpose": "crop-inputs",
        "purpose_text": "购买玉米种子和复合肥", "amount_yuan": "20000", "term_months": 9
    });
    let file = dir.join(format!("{request_id}.json"));
    std::fs::write(&file, application.to_string()).expect("write application");
    agririsk(data, &["decide", "apply", s(&file), "--format", format])
}

fn record(out: &std::process::Output) -> Value {
    assert!(out.status.success(), "{}", stderr(out));
    serde_json::from_slice(&out.stdout).expect("json")
}

fn load(data: &Path, dir: &Path, name: &str, text: &str) -> std::process::Output {
    let file = dir.join(name);
    std::fs::write(&file, text).expect("write screening file");
    agririsk(data, &["screening", "load", s(&file)])
}

const HEADER: &str = "household_id,kind,effective_on,source,note,data_source,purpose\n";

#[test]
fn a_source_whose_consent_is_withdrawn_by_the_application_date_is_not_read_on_the_command_line() {
    let c = county();
    let dir = tempfile::tempdir().expect("temp dir");
    let h = reported_household(&c.files);
    let _guard = exclusive();
    let read = record(&decide(&c.data, dir.path(), &h, "cli-consent-read", "json"));
    assert!(read.get("withheld_sources").is_none(), "every consent on file: {read}");
    assert!(!read["features"]["bureau_has_record"].is_null(), "the bureau report is read");

    // A withdrawal dated after the application, and a consent for another purpose, change nothing for it.
    let later = format!(
        "{HEADER}{h},consent_withdrawn,2026-03-06,branch-forms,,bureau_reports,credit_assessment\n\
         {h},consent,2026-01-01,branch-forms,,transactions,model_development\n"
    );
    let out = load(&c.data, dir.path(), "later.csv", &later);
    assert!(out.status.success(), "{}", stderr(&out));
    let after = record(&decide(&c.data, dir.path(), &h, "cli-consent-after", "json"));
    assert!(after.get("withheld_sources").is_none(), "{after}");
    assert_eq!(after["features"], read["features"]);

    // Withdrawn on the application date: the bureau is not read, and the record and the text say so.
    let withdrawn =
        format!("{HEADER}{h},consent_withdrawn,{APPLIED_ON},branch-forms,,bureau_reports,credit_assessment\n");
    let out = load(&c.data, dir.path(), "withdrawn.csv", &withdrawn);
    assert!(out.status.success(), "{}", stderr(&out));
    let withheld = record(&decide(&c.data, dir.path(), &h, "cli-consent-withheld", "json"));
    assert_eq!(withheld["withheld_sources"], json!(["bureau_reports"]), "{withheld}");
    assert!(withheld["features"]["bureau_has_record"].is_null());
    assert_eq!(withheld["features"]["rating_score_points"], read["features"]["rating_score_points"]);
    let text = decide(&c.data, dir.path(), &h, "cli-consent-withheld-text", "table");
    assert!(text.status.success(), "{}", stderr(&text));
    let shown = String::from_utf8_lossy(&text.stdout);
    assert!(
        shown.contains("not read, for want of the applicant's consent") && shown.contains("bureau_reports"),
        "{shown}"
    );

    // The entries were recorded by the operating-system user the command ran as, not by a name it was given.
    let entries = tokio::runtime::Runtime::new().expect("runtime").block_on(async {
        let store = super::store_of(&c.data).await;
        let entries = store::ScreeningRegister::screening_of(&store, &h).await.expect("read");
        store.close().await;
        entries
    });
    let loaded: Vec<&store::ScreeningEntry> =
        entries.iter().filter(|e| e.effective_on.to_string().as_str() >= "2026-01-01").collect();
    assert_eq!(loaded.len(), 3, "{entries:?}");
    assert!(loaded.iter().all(|e| e.recorded_by.starts_with("os:") && e.scope.is_some()), "{loaded:?}");
}

#[test]
fn a_bad_scope_in_a_screening_file_is_refused_whole_naming_line_and_field() {
    let c = county();
    let dir = tempfile::tempdir().expect("temp dir");
    let fine = "H0000499,consent,2020-01-01,branch-forms,,transactions,credit_assessment\n";
    let cases = [
        ("H0000499,consent,2020-01-01,branch-forms,,bureau_reports,\n", "line 3.purpose", "names the purpose"),
        ("H0000499,consent,2020-01-01,branch-forms,,,credit_assessment\n", "line 3.data_source", "names the data"),
        (
            "H0000499,fraud_case,2020-01-01,fraud-team,,bureau_reports,credit_assessment\n",
            "line 3.data_source",
            "only a consent",
        ),
        (
            "H0000499,consent,2020-01-01,branch-forms,,gps_traces,credit_assessment\n",
            "line 3.data_source",
            "not a data source",
        ),
        ("H0000499,consent,2020-01-01,branch-forms,,bureau_reports,marketing\n", "line 3.purpose", "not a purpose"),
    ];
    let _guard = exclusive();
    let before = snapshot(&c.data);
    for (row, field, reason) in cases {
        let out = load(&c.data, dir.path(), "bad.csv", &format!("{HEADER}{fine}{row}"));
        assert_eq!(out.status.code(), Some(2), "{row}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(field) && err.contains(reason), "{row}: {err}");
    }
    let out = load(&c.data, dir.path(), "header.csv", "household_id,kind,effective_on,source,note,data_source\n");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("data_source,purpose"), "the header names both forms: {}", stderr(&out));
    assert!(snapshot(&c.data) == before, "a refused file writes nothing");
}

#[test]
fn whole_village_pre_credit_withholds_per_household_what_the_register_withholds_on_its_date() {
    let c = county();
    let dir = tempfile::tempdir().expect("temp dir");
    let households = rows(&c.files.join("households.csv"));
    let reported = reported_household(&c.files);
    let chosen = households
        .iter()
        .filter(|r| r["household_id"].as_str() <= "H0000500" && r["household_id"] != reported)
        .max_by_key(|r| r["household_id"].clone())
        .expect("a household with consents on file");
    let (household, village) = (chosen["household_id"].clone(), chosen["village_code"].clone());
    let on = "2026-03-04";
    // On a copy of the county: a withdrawn credit-check consent must not reach the other tests' rosters.
    let data = dir.path().join("data");
    {
        let _guard = exclusive();
        copy_dir(&c.data, &data);
    }
    // Another household of the village withdraws its consent to the credit check itself.
    let other = households
        .iter()
        .find(|r| r["village_code"] == village && r["household_id"] != household)
        .map(|r| r["household_id"].clone())
        .expect("a second household in the village");
    let withdrawn = format!(
        "{HEADER}{household},consent_withdrawn,2026-03-01,branch-forms,,transactions,credit_assessment\n\
         {other},consent_withdrawn,2026-03-02,branch-forms,,,\n"
    );
    let out = load(&data, dir.path(), "village.csv", &withdrawn);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = agririsk(&data, &["village", "credit", &village, "--on", on, "--format", "json"]);
    let roster = record(&out);
    let rows = roster["rows"].as_array().expect("rows");
    let row_of = |id: &str| rows.iter().find(|r| r["household_id"] == id).expect("a row");
    assert_eq!(row_of(&household)["withheld_sources"], json!(["transactions"]), "{}", row_of(&household));
    for row in rows {
        let id = row["household_id"].as_str().expect("id");
        if id == household {
            continue;
        }
        // The county's households up to H0000500 have every consent on file; the others none.
        let expected =
            if id <= "H0000500" { Value::Null } else { json!(["bureau_reports", "transactions", "insurance_claims"]) };
        assert_eq!(row.get("withheld_sources").cloned().unwrap_or(Value::Null), expected, "{row}");
        // Without the credit-check consent a household of the village is not pre-credited either.
        let knocked_out = row["reasons"].as_array().expect("reasons").contains(&json!("KO_CONSENT"));
        assert_eq!(knocked_out, id > "H0000500" || id == other, "{row}");
        if knocked_out {
            assert_eq!(row["outcome"], "decline", "{row}");
        }
    }
}

/// Copies a data directory (the county's, under [`exclusive`], so nothing writes it meanwhile), and on PostgreSQL
/// its database.
fn copy_dir(from: &Path, to: &Path) {
    super::copy_database(from, to);
    copy_files(from, to);
}

fn copy_files(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create");
    if !from.exists() {
        // On PostgreSQL nothing may have been written beside the database.
        return;
    }
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_files(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

#[test]
fn a_policy_replay_does_not_read_a_source_withdrawn_before_the_replayed_application() {
    let c = county();
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    {
        let _guard = exclusive();
        copy_dir(&c.data, &data);
    }
    let simulate = || {
        let args = [
            "policy",
            "simulate",
            "--candidate",
            super::county::DEFAULT_POLICY,
            "--from",
            "2020-01-01",
            "--to",
            "2026-11-28",
            "--format",
            "json",
        ];
        record(&agririsk(&data, &args))
    };
    let before = simulate();
    // Every household with consents on file withdraws its bureau consent the day after giving it: every replayed
    // application comes later, so none of them reads a bureau report.
    let mut text = String::from(HEADER);
    for h in 1..=500 {
        text.push_str(&format!(
            "H{h:07},consent_withdrawn,2020-01-02,branch-forms,,bureau_reports,credit_assessment\n"
        ));
    }
    let out = load(&data, dir.path(), "withdrawn.csv", &text);
    assert!(out.status.success(), "{}", stderr(&out));
    let after = simulate();
    assert_eq!(after["replayed"], before["replayed"], "the same applications are replayed");
    assert_ne!(after["champion"], before["champion"], "without the bureau, the replayed decisions differ");
}
