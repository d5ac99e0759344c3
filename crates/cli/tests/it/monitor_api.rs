//! The daily monitoring run over HTTP (`POST /v1/monitor/runs`), end to end on a tiny simulated county: the alerts a
//! day's run leaves on the board are those `agririsk monitor run --as-of` leaves on a second store ingested the same
//! way; the same day again changes nothing; rows ingested by the command line while the server runs are caught up
//! by reading only the households they name; the alerts written are audited as the caller's; a role without
//! `run_monitoring`, a caller of one branch and every bad body are refused with nothing written. Runs on SQLite, and on PostgreSQL with `AGRIRISK_TEST_ENGINE=postgres`.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Value, json};

use super::county::s;
use super::serve::{self, http_with, ok, start};

/// The server's today, inside the county's data (loans from 2025-06, rows to 2026-12).
const TODAY: &str = "2026-11-30";
/// The day run first, and the next one.
const DAY: &str = "2026-06-30";
const NEXT: &str = "2026-07-01";
const RUNS: &str = "/v1/monitor/runs";

/// Moves the rows of `file` after its first `keep` share into a file of the same name in `later`; both keep the
/// header line.
fn split_rows(file: &Path, later: &Path, keep: f64) {
    let text = std::fs::read_to_string(file).expect("read");
    let (header, rows) = text.split_once('\n').expect("a header line");
    let rows: Vec<&str> = rows.lines().collect();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let cut = (rows.len() as f64 * keep) as usize;
    let lines = |part: &[&str]| part.iter().fold(format!("{header}\n"), |text, row| text + row + "\n");
    std::fs::write(later.join(file.file_name().expect("a file name")), lines(&rows[cut..])).expect("write");
    std::fs::write(file, lines(&rows[..cut])).expect("write");
}

/// An alert as the comparisons see it: household, cause and tier.
type Kind = (String, String, String);
/// An alert as it stands: number, household, cause, tier and status.
type Standing = (i64, String, String, String, String);
/// A refusal: the caller, the body, and the status, code and field expected.
type Refusal = (&'static str, Value, (u16, &'static str, Option<&'static str>));

/// Every alert of the store's board as [`Kind`]s, and as [`Standing`]s in number order.
fn board(data: &Path) -> (BTreeSet<Kind>, Vec<Standing>) {
    use store::AlertRegister;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let store = super::store_of(data).await;
        let (mut alerts, mut after) = (Vec::new(), None);
        loop {
            let page = store.alert_board(&store::alerts::AlertFilter::default(), after.as_ref(), 500).await;
            let page = page.expect("the board");
            alerts.extend(page.alerts);
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        store.close().await;
        let kinds = alerts
            .iter()
            .map(|a| {
                (
                    a.raised.household_id.as_str().to_owned(),
                    a.raised.cause.code().to_owned(),
                    a.raised.tier.code().to_owned(),
                )
            })
            .collect();
        let mut whole: Vec<Standing> = alerts
            .iter()
            .map(|a| {
                let (household, cause, tier) =
                    (a.raised.household_id.as_str(), a.raised.cause.code(), a.raised.tier.code());
                (a.alert_id, household.to_owned(), cause.to_owned(), tier.to_owned(), a.status.code().to_owned())
            })
            .collect();
        whole.sort();
        (kinds, whole)
    })
}

/// How many entries of the audit trail record `action` by `actor`.
fn audited(data: &Path, action: &str, actor: &str) -> usize {
    use store::AuditLog;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let store = super::store_of(data).await;
        let (mut found, mut after) = (0, 0);
        loop {
            let page = store.audit_entries(after, 1_000).await.expect("the audit trail");
            let Some(last) = page.last() else { break };
            after = last.seq;
            found += page.iter().filter(|e| e.entry.action == action && e.entry.actor == actor).count();
        }
        store.close().await;
        found
    })
}

/// One POST of `body` to the runs as the signed-in `user`: the status and the answer's JSON.
fn post(addr: &str, user: &str, body: &Value) -> (u16, Value) {
    let lines = serve::session(addr, user);
    let (status, _, answer) = http_with(addr, "POST", RUNS, &[&lines[0], &lines[1]], body.to_string().as_bytes());
    (status, serde_json::from_str(&answer).unwrap_or_else(|e| panic!("{e}: {answer}")))
}

fn count(v: &Value, field: &str) -> u64 {
    v[field].as_u64().unwrap_or_else(|| panic!("{field} in {v}"))
}

#[test]
fn a_days_run_over_http_is_the_commands_is_kept_once_and_catches_up_with_rows_stored_since() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (files, keys, later) = (dir.path().join("files"), dir.path().join("keys"), dir.path().join("later"));
    let (served, command) = (dir.path().join("served"), dir.path().join("command"));
    std::fs::create_dir_all(&later).expect("mkdir");
    ok(&served, &["simulate", "--preset", "tiny", "--seed", "7", "--quiet", "--format", "csv", "--out", s(&files)]);
    ok(&served, &["keys", "generate", "--out", s(&keys)]);
    // The last part of the repayments arrives while the server runs.
    split_rows(&files.join("repayments.csv"), &later, 0.7);
    for data in [&served, &command] {
        ok(data, &["ingest", "--all", s(&files), "--key-file", s(&keys), "--quiet"]);
    }
    let password = dir.path().join("password");
    std::fs::write(&password, serve::PASSWORD).expect("password file");
    ok(&served, &["init", "--admin", "mon-admin", "--password-file", s(&password)]);
    for (user, role, branches) in [
        ("mon-risk", "risk_manager", "*"),
        ("mon-county-risk", "risk_manager", "990101"),
        ("mon-officer", "loan_officer", "990101"),
        ("mon-auditor", "auditor", "*"),
    ] {
        ok(&served, &["user", "add", user, "--role", role, "--branches", branches, "--password-file", s(&password)]);
    }

    // The command's run of the day on the second store.
    let by_command: Value =
        serde_json::from_str(&ok(&command, &["monitor", "run", "--as-of", DAY, "--format", "json"])).expect("json");
    assert_eq!(count(&by_command, "days_run"), 1, "{by_command}");

    let (_server, addr) = start(&served, &["--today", TODAY, "--rate-limit", "0", "--address-rate-limit", "0"]);

    // Refusals first, on an untouched store: each a 4xx naming the field, and nothing written.
    let cases: [Refusal; 8] = [
        ("mon-risk", json!({}), (422, "missing_field", Some("as_of"))),
        ("mon-risk", json!({"as_of": null}), (422, "missing_field", Some("as_of"))),
        ("mon-risk", json!({"as_of": "2026-06-31"}), (422, "invalid_field", Some("as_of"))),
        ("mon-risk", json!({"as_of": "2026-12-01"}), (422, "invalid_field", Some("as_of"))),
        ("mon-risk", json!({"as_of": DAY, "config": {"version": 1}}), (422, "invalid_field", Some("config"))),
        ("mon-officer", json!({"as_of": DAY}), (403, "forbidden", None)),
        ("mon-auditor", json!({"as_of": DAY}), (403, "forbidden", None)),
        ("mon-county-risk", json!({"as_of": DAY}), (403, "forbidden", None)),
    ];
    for (user, body, (status, code, field)) in &cases {
        let (got, answer) = post(&addr, user, body);
        let error = &answer["error"];
        assert_eq!((got, error["code"].as_str()), (*status, Some(*code)), "{user} {body}: {answer}");
        assert_eq!(error["field"].as_str(), *field, "{user} {body}: {answer}");
    }
    assert!(board(&served).1.is_empty(), "a refusal wrote alerts");

    // The day: run from the book read whole, leaving on the board what the command left on its store.
    let (status, first) = post(&addr, "mon-risk", &json!({"as_of": DAY}));
    assert_eq!(status, 200, "{first}");
    assert_eq!((first["day"].as_str(), count(&first, "days_run")), (Some(DAY), 1), "{first}");
    assert!(count(&first, "raised") > 0 && count(&first, "active_loans") > 0, "{first}");
    for field in ["raised", "retiered", "resolved", "open_after", "active_borrowers", "active_loans"] {
        assert_eq!(first[field], by_command[field], "{field}: {first} against {by_command}");
    }
    let caught_up = &first["catch_up"];
    assert_eq!(caught_up["everything"], "first read", "{first}");
    let book_households = count(caught_up, "households");
    assert!(book_households > 0 && caught_up["context"] == true, "{first}");
    assert!(first["timings"]["catch_up_ms"].is_u64() && first["timings"]["run_ms"].is_u64(), "{first}");
    let (kinds, alerts) = board(&served);
    assert_eq!(kinds.len() as u64, count(&first, "raised"), "one alert per household and cause");
    assert_eq!(kinds, board(&command).0, "the API's alerts are the command's");
    // Written as the caller's, as every alert step is.
    let raised = usize::try_from(count(&first, "raised")).expect("a count");
    assert_eq!(audited(&served, "alert.raise", "user:mon-risk"), raised, "each raise is audited as the caller's");

    // The same day again: on record, nothing new.
    let (status, again) = post(&addr, "mon-risk", &json!({"as_of": DAY}));
    assert_eq!(status, 200, "{again}");
    let counts: Vec<u64> =
        ["days_run", "days_already_run", "raised", "retiered", "resolved"].iter().map(|f| count(&again, f)).collect();
    assert_eq!(counts, [0, 1, 0, 0, 0], "{again}");
    assert_eq!(again["open_after"], first["open_after"], "{again}");
    assert_eq!(
        again["catch_up"],
        json!({"everything": null, "households": 0, "booked_loans": 0,
        "context": false, "passes": false}),
        "nothing was stored since: {again}"
    );
    assert_eq!(board(&served).1, alerts, "running a day again changed the board");

    // Rows stored by the command line while the server runs: the next day reads the households they name only.
    ok(&served, &["ingest", "repayments", s(&later.join("repayments.csv")), "--key-file", s(&keys), "--quiet"]);
    let (status, next) = post(&addr, "mon-risk", &json!({"as_of": NEXT}));
    assert_eq!(status, 200, "{next}");
    assert_eq!((next["day"].as_str(), count(&next, "days_run")), (Some(NEXT), 1), "{next}");
    let caught_up = &next["catch_up"];
    assert!(caught_up["everything"].is_null(), "not everything is read again: {next}");
    let read = count(caught_up, "households");
    assert!(read > 0 && read < book_households, "only the households named ({read} of {book_households}): {next}");

    // A day before the book begins is refused once the book is known: what `check_period` says, nothing written.
    let before = board(&served).1;
    let (status, answer) = post(&addr, "mon-risk", &json!({"as_of": "2001-01-01"}));
    assert_eq!((status, answer["error"]["code"].as_str()), (422, Some("out_of_range")), "{answer}");
    assert_eq!(answer["error"]["field"], "as_of", "{answer}");
    assert!(answer["error"]["message"].as_str().is_some_and(|m| m.contains("before the data begins")), "{answer}");
    assert_eq!(board(&served).1, before, "a refused day wrote alerts");
}
