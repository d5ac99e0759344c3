//! `agririsk serve` end to end: the real binary on 127.0.0.1:0 over a tiny simulated county with the shipped
//! decision model and the default policy, hit with hand-written HTTP/1.1 requests (no client dependency).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::{Mutex, OnceLock};

use serde_json::Value;

use super::{agririsk, agririsk_as, dual, stderr};

mod replicas;

struct Running {
    _dir: tempfile::TempDir,
    addr: String,
    _child: Killed,
}

/// The server process, killed when the tests' statics are dropped (or the test binary exits).
pub(super) struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
    }
}

pub(super) fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

pub(super) fn ok(data: &Path, args: &[&str]) -> String {
    let out = agririsk(data, args);
    assert!(out.status.success(), "{args:?} failed: {}", stderr(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// [`ok`] as the operating-system user `user`.
pub(super) fn ok_as(user: &str, data: &Path, args: &[&str]) -> String {
    let out = agririsk_as(user, data, args);
    assert!(out.status.success(), "{args:?} as {user} failed: {}", stderr(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A data directory with a tiny simulated county ingested, the shipped decision model as champion and the default
/// policy active.
pub(super) fn prepared(dir: &Path) -> std::path::PathBuf {
    let (data, county, keys) = (dir.join("data"), dir.join("county"), dir.join("keys"));
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let model = root.join("models/decision-scorecard.json");
    let policy = root.join("policies/default/rural-microcredit.json");
    ok(&data, &["simulate", "--preset", "tiny", "--seed", "1", "--quiet", "--format", "csv", "--out", s(&county)]);
    ok(&data, &["keys", "generate", "--out", s(&keys)]);
    ok(&data, &["ingest", "--all", s(&county), "--key-file", s(&keys), "--as-of", "2026-11-28", "--quiet"]);
    ok(&data, &["screening", "load", s(&super::county::consents(dir))]);
    ok(&data, &["model", "register", "--model", s(&model)]);
    let models: Value = serde_json::from_str(&ok(&data, &["model", "list", "--format", "json"])).expect("json");
    let model_id = models[0]["id"].as_str().expect("model id").to_owned();
    dual(
        &data,
        "risk.li",
        "risk.wang",
        &["model", "promote", "--id", &model_id, "--to", "champion", "--reason", "test"],
    );
    let submitted = ok_as(
        "risk.zhang",
        &data,
        &["policy", "submit", s(&policy), "--name", "rural-microcredit", "--version", "1"]
            .into_iter()
            .chain(["--effective-from", "2020-01-01"])
            .collect::<Vec<_>>(),
    );
    let policy_id = submitted.split(" as ").nth(1).and_then(|t| t.split_whitespace().next()).expect("policy id");
    for to in ["approved", "active"] {
        ok_as("chief.wang", &data, &["policy", "move", policy_id, "--to", to, "--reason", "test"]);
    }
    let creds = credentials(dir, &data);
    std::fs::write(dir.join("creds.json"), serde_json::to_string(&creds).expect("json")).expect("write creds");
    data
}

/// The password of every user the tests make.
pub(super) const PASSWORD: &str = "correct horse battery staple";

/// The users the tests sign in as: two loan officers and a branch manager of the tiny county (990101).
const USERS: [(&str, &str); 3] =
    [("it-maker", "loan_officer"), ("it-checker", "branch_manager"), ("it-bound", "loan_officer")];

/// API keys by role, made for one data directory.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Creds {
    /// A core banking system's key.
    system: String,
    /// A risk manager's key.
    risk: String,
    /// An administrator's key.
    admin: String,
}

/// The token an `apikey create` printed.
pub(super) fn token_of(out: &str) -> String {
    out.split_whitespace().find(|w| w.starts_with("agr_")).unwrap_or_else(|| panic!("no key in: {out}")).to_owned()
}

/// Makes the first administrator, the test users and a key for each role the tests call as.
fn credentials(dir: &Path, data: &Path) -> Creds {
    let password = dir.join("password");
    std::fs::write(&password, PASSWORD).expect("password file");
    ok(data, &["init", "--admin", "it-admin", "--password-file", s(&password)]);
    for (user, role) in USERS {
        ok(data, &["user", "add", user, "--role", role, "--branches", "990101", "--password-file", s(&password)]);
    }
    let key = |name: &str, role: &str, only: &str| {
        token_of(&ok(
            data,
            &["apikey", "create", "--name", name, "--role", role, "--only", only, "--branches", "*"]
                .into_iter()
                .chain(["--expires-in-days", "30"])
                .collect::<Vec<_>>(),
        ))
    };
    Creds {
        system: key(
            "it-core",
            "system",
            "submit_application,read_decisions,request_review,disburse,read_loans,post_repayments,record_screening,read_screening,read_metrics",
        ),
        risk: key(
            "it-risk",
            "risk_manager",
            "read_decisions,read_review_queue,read_loans,read_policies,move_policies,simulate_policies,read_rosters,record_screening,read_screening,read_metrics",
        ),
        admin: key("it-admin-key", "admin", "manage_officers,manage_users,read_metrics,read_audit"),
    }
}

/// A session's cookie and CSRF token, by server address and username.
type Sessions = HashMap<(String, String), (String, String)>;

/// The credentials of every server the tests started, by address; the users' sessions by address and username.
fn registry() -> &'static Mutex<(HashMap<String, Creds>, Sessions)> {
    static REGISTRY: OnceLock<Mutex<(HashMap<String, Creds>, Sessions)>> = OnceLock::new();
    REGISTRY.get_or_init(Mutex::default)
}

/// The `Authorization` header a test sends to `path` on the server at `addr`: the key of a role the route grants.
pub(super) fn authorization(addr: &str, path: &str) -> Option<String> {
    let creds = registry().lock().expect("registry").0.get(addr).cloned()?;
    let key = match path {
        p if ["/health", "/ready", "/openapi.json", "/docs"].iter().any(|open| p.starts_with(open)) => return None,
        p if p.starts_with("/v1/policies") || p.starts_with("/v1/villages/") || p.starts_with("/v1/review-queue") => {
            creds.risk
        }
        p if p.starts_with("/metrics") => creds.risk,
        p if p.starts_with("/v1/officers") => creds.admin,
        _ => creds.system,
    };
    Some(format!("Authorization: Bearer {key}"))
}

/// The system key of the server at `addr` (every branch).
pub(super) fn system_key(addr: &str) -> String {
    registry().lock().expect("registry").0.get(addr).expect("a server the tests started").system.clone()
}

/// Signs `user` in at `addr` (once per server); returns the session's cookie and CSRF header lines.
pub(super) fn session(addr: &str, user: &str) -> [String; 2] {
    let known = registry().lock().expect("registry").1.get(&(addr.to_owned(), user.to_owned())).cloned();
    let (cookie, csrf) = known.unwrap_or_else(|| {
        let body = serde_json::json!({"username": user, "password": PASSWORD}).to_string();
        let (status, head, answer) = http_with(addr, "POST", "/v1/session", &[], body.as_bytes());
        assert_eq!(status, 200, "{user} signs in: {answer}");
        let cookie = head
            .lines()
            .find_map(|l| l.strip_prefix("set-cookie: "))
            .and_then(|c| c.split(';').next())
            .expect("a session cookie")
            .to_owned();
        let csrf = json(&answer)["csrf_token"].as_str().expect("csrf token").to_owned();
        registry()
            .lock()
            .expect("registry")
            .1
            .insert((addr.to_owned(), user.to_owned()), (cookie.clone(), csrf.clone()));
        (cookie, csrf)
    });
    [format!("Cookie: {cookie}"), format!("x-csrf-token: {csrf}")]
}

/// One request as the signed-in `user` to the shared server.
fn http_as(user: &str, method: &str, path: &str, body: &[u8]) -> (u16, String) {
    let addr = &server().addr;
    let lines = session(addr, user);
    let (status, _, body) = http_with(addr, method, path, &[&lines[0], &lines[1]], body);
    (status, body)
}

/// The servers here serve the tiny county as of a date inside its data, so date checks are stable whenever the
/// tests run.
const TODAY: &[&str] = &["--today", "2025-10-12"];

/// Starts `agririsk serve` on a free port with these extra options; returns the process and its address.
pub(super) fn start(data: &Path, options: &[&str]) -> (Killed, String) {
    let (child, addr) = spawn_serving(data, options, "http");
    register(data, &addr);
    (child, addr)
}

/// `agririsk serve` on a free loopback port with these options; returns it and the address its first line names
/// after `listening on SCHEME://`.
fn spawn_serving(data: &Path, options: &[&str], scheme: &str) -> (Killed, String) {
    let mut child = super::bin(data)
        .args(["serve", "--listen", "127.0.0.1:0", "--stop-on-eof"])
        .args(options)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the server starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("the address line");
    let prefix = format!("listening on {scheme}://");
    let addr = line.trim().strip_prefix(prefix.as_str()).expect("listening line").to_owned();
    (Killed(child), addr)
}

/// Starts `agririsk serve` over HTTPS with this certificate and key on a free loopback port; returns the process and
/// its address.
pub(super) fn start_tls(data: &Path, cert: &Path, key: &Path) -> (Killed, String) {
    spawn_serving(data, &["--tls-cert", s(cert), "--tls-key", s(key)], "https")
}

/// Notes the keys `prepared` made for `data` as those of the server at `addr`.
fn register(data: &Path, addr: &str) {
    let creds = data.parent().map(|dir| dir.join("creds.json")).filter(|f| f.exists());
    if let Some(file) = creds {
        let creds: Creds = serde_json::from_slice(&std::fs::read(file).expect("creds")).expect("creds json");
        registry().lock().expect("registry").0.insert(addr.to_owned(), creds);
    }
}

fn server() -> &'static Running {
    static RUNNING: OnceLock<Running> = OnceLock::new();
    RUNNING.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let (child, addr) = start(&prepared(dir.path()), TODAY);
        Running { _dir: dir, addr, _child: child }
    })
}

/// One request; returns the status and the body.
fn http(method: &str, path: &str, body: &[u8]) -> (u16, String) {
    http_at(&server().addr, method, path, body)
}

/// One request to the server at `addr`, with the key of a role the route grants.
fn http_at(addr: &str, method: &str, path: &str, body: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    let auth = authorization(addr, path).map(|line| format!("{line}\r\n")).unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{auth}Connection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("write head");
    // A refused oversized body may close the connection before it is all sent.
    let _ = stream.write_all(body);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text.get(9..12).and_then(|c| c.parse().ok()).expect("a status line");
    let (_, body) = text.split_once("\r\n\r\n").expect("head and body");
    // Connection: close responses here are not chunked unless streamed; the JSON is the body.
    (status, body.to_owned())
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

fn application(request_id: &str, household: &str) -> Value {
    serde_json::json!({
        "request_id": request_id, "application_id": "A1", "household_id": household, "applied_on": "2025-10-05",
        "product": "crop", "purpose": "crop-inputs", "purpose_text": "买化肥", "amount_yuan": "7400.00",
        "term_months": 9
    })
}

fn submit(value: &Value) -> (u16, Value) {
    let (status, body) = http("POST", "/v1/applications", value.to_string().as_bytes());
    (status, json(&body))
}

/// The first household from H`from` to H0000200 (but those in `skip`) whose application under `prefix-<household>` is
/// newly decided with `outcome`; returns it with the decision.
fn first_decided(prefix: &str, outcome: &str, from: u32, skip: &[&str]) -> (String, Value) {
    (from..=200)
        .map(|h| format!("H{h:07}"))
        .filter(|h| !skip.contains(&h.as_str()))
        .find_map(|household| {
            let (status, decision) = submit(&application(&format!("{prefix}-{household}"), &household));
            (status == 201 && decision["outcome"] == outcome).then_some((household, decision))
        })
        .unwrap_or_else(|| panic!("some application is decided {outcome}"))
}

fn error_of(v: &Value) -> (&str, Option<&str>) {
    (v["error"]["code"].as_str().expect("an error code"), v["error"]["field"].as_str())
}

#[test]
fn a_submitted_application_is_decided_once_and_a_reused_id_is_refused() {
    let (status, first) = submit(&application("it-serve-1", "H0000002"));
    assert_eq!(status, 201, "{first}");
    assert!(first["reasons"].as_array().expect("reasons").len() <= 4);
    assert!(first["versions"]["policy"].as_str().is_some_and(|p| p.starts_with("rural-microcredit@")));
    assert_eq!(first["versions"]["model"].as_str().map(str::len), Some(64));
    let (status, again) = submit(&application("it-serve-1", "H0000002"));
    assert_eq!(status, 200);
    assert_eq!(again["decision_id"], first["decision_id"]);
    let (status, list) = http("GET", "/v1/households/H0000002/decisions", b"");
    assert_eq!(status, 200);
    let stored = json(&list);
    let same: Vec<_> =
        stored.as_array().expect("list").iter().filter(|d| d["request"]["request_id"] == "it-serve-1").collect();
    assert_eq!(same.len(), 1, "one row stored");
    let mut changed = application("it-serve-1", "H0000002");
    changed["amount_yuan"] = "8000".into();
    let (status, refused) = submit(&changed);
    assert_eq!((status, error_of(&refused)), (409, ("request_reused", Some("request_id"))));
    // The answer links the full record: the trace and every feature value used.
    let link = first["links"]["record"].as_str().expect("a link to the record");
    let (status, got) = http("GET", link, b"");
    let record = json(&got);
    assert_eq!(
        (status, record["outcome"].clone(), record["terms"].clone()),
        (200, first["outcome"].clone(), first["terms"].clone())
    );
    assert!(record["policy"]["trace"].as_array().is_some_and(|t| t.len() > 5));
    assert!(record["features"].as_object().is_some_and(|f| f.len() > 70));
}

#[test]
fn refusals_have_the_json_error_shape_and_store_nothing() {
    let (status, body) = http("POST", "/v1/applications", b"{\"request_id\": ");
    assert_eq!((status, error_of(&json(&body)).0), (400, "malformed_json"));
    let mut missing = application("it-serve-missing", "H0000002");
    missing.as_object_mut().expect("object").remove("term_months");
    let (status, v) = submit(&missing);
    assert_eq!((status, error_of(&v)), (422, ("missing_field", Some("term_months"))));
    let mut product = application("it-serve-product", "H0000002");
    product["product"] = "car".into();
    let (status, v) = submit(&product);
    assert_eq!((status, error_of(&v)), (422, ("unknown_product", Some("product"))));
    let (status, v) = submit(&application("it-serve-nobody", "H9999999"));
    assert_eq!((status, error_of(&v)), (404, ("unknown_applicant", Some("household_id"))));
    let (status, body) = http("POST", "/v1/applications", &vec![b' '; 70 * 1024]);
    assert_eq!((status, error_of(&json(&body)).0), (413, "body_too_large"));
    for id in ["it-serve-missing", "it-serve-product", "it-serve-nobody"] {
        let (status, _) = http("GET", &format!("/v1/decisions/{}", decide::decision_id_of(id)), b"");
        assert_eq!(status, 404, "{id} stored nothing");
    }
}

#[test]
fn openapi_document_lists_every_path_and_docs_is_html() {
    let (status, body) = http("GET", "/openapi.json", b"");
    assert_eq!(status, 200);
    let doc = json(&body);
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")));
    for path in [
        "/health",
        "/ready",
        "/v1/applications",
        "/v1/decisions/{id}",
        "/v1/households/{id}/decisions",
        "/v1/decisions/{id}/review-requests",
        "/v1/decisions/{id}/disbursement",
        "/v1/loans/{id}",
        "/v1/loans/{id}/repayments",
        "/v1/policies",
        "/v1/policies/{id}/moves",
        "/v1/policies/simulate",
        "/v1/villages/{code}/roster",
        "/v1/officers",
        "/v1/review-queue",
        "/v1/decisions/{id}/review",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
    assert!(doc["components"]["schemas"].get("ErrorBody").is_some());
    let (status, page) = http("GET", "/docs", b"");
    assert_eq!(status, 200);
    assert!(page.contains("<html") && page.contains("/openapi.json"));
    assert_eq!(http("GET", "/ready", b"").0, 200);
}

#[test]
fn an_approval_cannot_be_put_to_review_and_disburses_once_into_a_loan() {
    // H0000003 is approved for this application in the tiny county (seed 1).
    let (status, decision) = submit(&application("it-serve-approve", "H0000003"));
    assert!(status == 201 || status == 200, "{decision}");
    assert_eq!(decision["outcome"], "approve");
    let id = decision["decision_id"].as_str().expect("id");
    let (status, body) = http(
        "POST",
        &format!("/v1/decisions/{id}/review-requests"),
        br#"{"request_id": "rr-1", "channel": "app", "note": "why"}"#,
    );
    assert_eq!((status, error_of(&json(&body)).0), (409, "not_reviewable"));
    let request = br#"{"request_id": "it-disb-1", "disbursed_on": "2025-10-10"}"#;
    let (status, loan) = http("POST", &format!("/v1/decisions/{id}/disbursement"), request);
    assert_eq!(status, 201, "{loan}");
    let loan = json(&loan);
    let amount_fen = decision["terms"]["amount_fen"].as_i64().expect("amount");
    assert_eq!(super::money(&loan["terms"]["principal"]), amount_fen);
    let (status, again) = http("POST", &format!("/v1/decisions/{id}/disbursement"), request);
    assert_eq!((status, json(&again)["id"].clone()), (200, loan["id"].clone()));
    let other = br#"{"request_id": "it-disb-2", "disbursed_on": "2025-10-10"}"#;
    let (status, body) = http("POST", &format!("/v1/decisions/{id}/disbursement"), other);
    assert_eq!((status, error_of(&json(&body)).0), (409, "already_disbursed"));
}

#[test]
fn a_referral_is_reviewed_with_maker_checker_and_then_disbursed() {
    // The first referred application among the tiny county's households.
    let (_, referred) = first_decided("it-review", "refer", 1, &[]);
    let id = referred["decision_id"].as_str().expect("id");
    let (status, queue) = http("GET", "/v1/review-queue?limit=1000", b"");
    assert_eq!(status, 200);
    assert!(json(&queue).as_array().expect("items").iter().any(|i| i["decision_id"] == id), "queued");

    let officer = |id: &str, authority: &str| {
        let body =
            serde_json::json!({"officer_id": id, "name": "officer", "branch": "B01", "authority_yuan": authority});
        http("POST", "/v1/officers", body.to_string().as_bytes()).0
    };
    assert_eq!(officer("it-maker", "10000"), 201);
    assert_eq!(officer("it-maker", "10000"), 201, "the same officer again is a no-op");
    assert_eq!(officer("it-maker", "99999"), 409, "another officer under the same id is refused");
    assert_eq!(officer("it-checker", "500000"), 201);
    assert_eq!(officer("it-nobody", "500000"), 422, "an officer is a user who signs in");
    assert_eq!(officer("it-admin", "500000"), 422, "an administrator does not review");

    // Each action is the signed-in officer's: the body names nobody.
    let act = |officer: &str, action: &str, amount: Option<&str>| {
        let mut body = serde_json::json!({"action": action, "reason": "visited the farm"});
        if let Some(a) = amount {
            body["amount_yuan"] = a.into();
        }
        let (status, body) =
            http_as(officer, "POST", &format!("/v1/decisions/{id}/review"), body.to_string().as_bytes());
        (status, json(&body))
    };
    // A body that names an officer is refused: identity is never taken from a body.
    let named = serde_json::json!({"officer_id": "it-checker", "action": "decline", "reason": "x"}).to_string();
    let (status, _) = http_as("it-maker", "POST", &format!("/v1/decisions/{id}/review"), named.as_bytes());
    assert_eq!(status, 422, "officer_id is no longer a field");
    // Above the maker's authority: it waits for a second officer.
    let (status, step) = act("it-maker", "approve", Some("20000"));
    assert_eq!(status, 201, "{step}");
    assert_eq!(step["state"]["state"], "awaiting-check");
    let request = br#"{"request_id": "it-disb-review", "disbursed_on": "2025-10-10"}"#;
    let (status, body) = http("POST", &format!("/v1/decisions/{id}/disbursement"), request);
    assert_eq!((status, error_of(&json(&body)).0), (409, "not_approved"), "not disbursed before the check");
    let (status, body) = act("it-maker", "confirm", None);
    assert_eq!((status, error_of(&body).0), (409, "review_refused"), "no one checks their own approval");
    // A signed-in user never registered as an officer has no authority to act with.
    let (status, body) = act("it-bound", "confirm", None);
    assert_eq!((status, error_of(&body).0), (404, "unknown_officer"));
    let (status, body) = act("it-checker", "approve", None);
    assert_eq!((status, error_of(&body)), (422, ("missing_field", Some("amount_yuan"))));
    let (status, step) = act("it-checker", "confirm", None);
    assert_eq!(status, 201, "{step}");
    assert_eq!(step["state"]["state"], "approved");
    assert_eq!(act("it-checker", "decline", None).0, 409, "the review is final");

    // Disbursed for the amount the officers approved.
    let (status, loan) = http("POST", &format!("/v1/decisions/{id}/disbursement"), request);
    assert_eq!(status, 201, "{loan}");
    assert_eq!(super::money(&json(&loan)["terms"]["principal"]), 2_000_000);
}

#[test]
fn a_claim_holds_a_case_for_its_officer_until_released() {
    // A server of its own: a claim held on the shared one would refuse the other tests' reviews of the case.
    let dir = tempfile::tempdir().expect("temp dir");
    let data = prepared(dir.path());
    let (_server, addr) = start(&data, TODAY);
    for officer in ["it-maker", "it-checker"] {
        let body =
            serde_json::json!({"officer_id": officer, "name": "officer", "branch": "B01", "authority_yuan": "500000"});
        assert_eq!(http_at(&addr, "POST", "/v1/officers", body.to_string().as_bytes()).0, 201);
    }
    let referred = (1..=200)
        .find_map(|h| {
            let request = application(&format!("it-claim-{h}"), &format!("H{h:07}"));
            let (status, body) = http_at(&addr, "POST", "/v1/applications", request.to_string().as_bytes());
            let decision = json(&body);
            (status == 201 && decision["outcome"] == "refer").then(|| decision["decision_id"].clone())
        })
        .expect("a referral");
    let as_officer = |officer: &str, method: &str, path: &str, body: &str| {
        let lines = session(&addr, officer);
        let (status, _, answer) = http_with(&addr, method, path, &[&lines[0], &lines[1]], body.as_bytes());
        (status, if answer.is_empty() { Value::Null } else { json(&answer) })
    };
    let (status, refused) = as_officer("it-maker", "POST", "/v1/review-queue/claims", r#"{"lease_s": 59}"#);
    assert_eq!((status, error_of(&refused)), (422, ("out_of_range", Some("lease_s"))), "{refused}");
    let (status, claim) = as_officer("it-maker", "POST", "/v1/review-queue/claims", r#"{"lease_s": 600}"#);
    assert_eq!(status, 200, "{claim}");
    assert_eq!((&claim["decision_id"], &claim["hold"]["officer_id"]), (&referred, &Value::from("it-maker")));
    assert_eq!(claim["state"]["state"], "pending");
    let (status, _) = as_officer("it-maker", "POST", "/v1/review-queue/claims", "{}");
    assert_eq!(status, 204, "the one open case is held");
    let id = referred.as_str().expect("id");
    let decline = r#"{"action": "decline", "reason": "visited the farm"}"#;
    let (status, refused) = as_officer("it-checker", "POST", &format!("/v1/decisions/{id}/review"), decline);
    assert_eq!((status, error_of(&refused)), (409, ("claimed", Some("decision_id"))), "{refused}");
    let release = format!("/v1/review-queue/claims/{id}");
    assert_eq!(as_officer("it-checker", "DELETE", &release, "").0, 409, "not theirs to release");
    assert_eq!(as_officer("it-maker", "DELETE", &release, "").0, 204);
    assert_eq!(as_officer("it-maker", "DELETE", &release, "").0, 204, "a release again changes nothing");
    assert_eq!(as_officer("it-maker", "DELETE", "/v1/review-queue/claims/nope", "").0, 404);
    let (status, step) = as_officer("it-checker", "POST", &format!("/v1/decisions/{id}/review"), decline);
    assert_eq!(status, 201, "released, anyone acts: {step}");
    let (status, _) = as_officer("it-checker", "POST", "/v1/review-queue/claims", "{}");
    assert_eq!(status, 204, "the case is closed");
}

#[test]
fn a_village_roster_and_a_policy_replay_over_http() {
    let (status, body) = http("GET", "/v1/villages/990101100000/roster?on=2025-10-05", b"");
    assert_eq!(status, 200, "{body}");
    let roster = json(&body);
    let rows = roster["rows"].as_array().expect("rows");
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r["household_id"].as_str().is_some_and(|h| h.starts_with('H'))));
    let (status, body) = http("GET", "/v1/villages/990199999999/roster?on=2025-10-05", b"");
    assert_eq!((status, error_of(&json(&body)).0), (404, "unknown_village"));

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let policy: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("policies/default/rural-microcredit.json")).expect("policy"),
    )
    .expect("json");
    let body = serde_json::json!({"candidate": policy, "from": "2025-01-01", "to": "2025-12-31"});
    let (status, body) = http("POST", "/v1/policies/simulate", body.to_string().as_bytes());
    assert_eq!(status, 200, "{body}");
    let result = json(&body);
    assert_eq!(result["swap"]["newly_approved"], 0, "{result}");
    assert_eq!(result["swap"]["newly_declined"], 0, "{result}");
    let broken = serde_json::json!({"candidate": {"nodes": [], "edges": []}, "from": "2025-01-01", "to": "2025-12-31"});
    let (status, body) = http("POST", "/v1/policies/simulate", broken.to_string().as_bytes());
    assert_eq!((status, error_of(&json(&body)).0), (422, "policy_check_failed"));
}

#[test]
fn a_killed_server_has_lost_no_acknowledged_decision() {
    killed_server_keeps_what_it_acknowledged("power-loss");
}

#[test]
fn a_killed_server_syncing_only_at_checkpoints_has_lost_no_acknowledged_decision() {
    killed_server_keeps_what_it_acknowledged("process-crash");
}

/// One POST on a connection of its own: the answer's body when it is 201, `None` once the server is gone (or refused).
fn post_201(addr: &str, path: &str, body: &str) -> Option<String> {
    let mut stream = TcpStream::connect(addr).ok()?;
    let auth = authorization(addr, path).map(|line| format!("{line}\r\n")).unwrap_or_default();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         {auth}Connection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(head.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, answer) = response.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 201").then(|| answer.to_owned())
}

/// SIGKILLs the server once `acknowledged` holds `at_least` ids, waits for it and for the clients (which stop at
/// their first refused connection), and returns every id acknowledged before the kill.
fn kill_when(
    child: &mut Killed,
    clients: Vec<std::thread::JoinHandle<()>>,
    acknowledged: &std::sync::Mutex<Vec<String>>,
    at_least: usize,
) -> Vec<String> {
    while acknowledged.lock().expect("lock").len() < at_least {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.0.kill().expect("SIGKILL");
    child.0.wait().expect("the server is gone");
    for client in clients {
        client.join().expect("client");
    }
    acknowledged.lock().expect("lock").clone()
}

fn killed_server_keeps_what_it_acknowledged(durability: &str) {
    use std::sync::{Arc, Mutex};
    let dir = tempfile::tempdir().expect("temp dir");
    let data = prepared(dir.path());
    let (mut child, addr) = start(&data, &["--decision-durability", durability]);
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    // Eight clients submit without pause, so decisions are committed in batches while the process is killed.
    let clients: Vec<_> = (0..8)
        .map(|client| {
            let (addr, acknowledged) = (addr.clone(), Arc::clone(&acknowledged));
            std::thread::spawn(move || {
                for n in 0.. {
                    let request = application(&format!("kill-{client}-{n}"), &format!("H{:07}", 1 + (n % 300)));
                    let Some(answer) = post_201(&addr, "/v1/applications", &request.to_string()) else { return };
                    let id = json(&answer)["decision_id"].as_str().expect("a decision id").to_owned();
                    acknowledged.lock().expect("lock").push(id);
                }
            })
        })
        .collect();
    let acknowledged = kill_when(&mut child, clients, &acknowledged, 200);
    assert!(acknowledged.len() >= 200);
    let (_again, addr) = start(&data, &[]);
    for id in &acknowledged {
        let (status, body) = http_at(&addr, "GET", &format!("/v1/decisions/{id}"), b"");
        assert_eq!(status, 200, "acknowledged decision {id} was lost: {body}");
    }
}

/// An approved decision for H0000003 (approved for this application in the tiny county, seed 1) under a request id
/// of its own; returns the decision.
fn approved(request_id: &str) -> Value {
    let (status, decision) = submit(&application(request_id, "H0000003"));
    assert!(status == 201 || status == 200, "{decision}");
    assert_eq!(decision["outcome"], "approve", "{decision}");
    decision
}

fn disburse_at(addr: &str, decision: &str, request_id: &str, day: &str) -> (u16, Value) {
    let body = serde_json::json!({"request_id": request_id, "disbursed_on": day});
    let (status, body) =
        http_at(addr, "POST", &format!("/v1/decisions/{decision}/disbursement"), body.to_string().as_bytes());
    (status, json(&body))
}

fn disburse(decision: &str, request_id: &str, day: &str) -> (u16, Value) {
    disburse_at(&server().addr, decision, request_id, day)
}

fn repay(loan: &str, id: &str, amount: &str, day: &str) -> (u16, Value) {
    let body = serde_json::json!({"id": id, "amount_yuan": amount, "date": day});
    let (status, body) = http("POST", &format!("/v1/loans/{loan}/repayments"), body.to_string().as_bytes());
    (status, json(&body))
}

#[test]
fn a_disbursement_request_id_is_bound_to_its_decision_and_date_and_dates_are_sane() {
    let a = approved("it-hard-a");
    let b = approved("it-hard-b");
    let (a, b) = (a["decision_id"].as_str().expect("id"), b["decision_id"].as_str().expect("id"));
    // Before the application, decades before, years ahead: refused, nothing booked.
    for day in ["2025-10-04", "1995-01-01", "2040-01-01"] {
        let (status, v) = disburse(a, "it-hard-pay-early", day);
        assert_eq!((status, error_of(&v)), (422, ("out_of_range", Some("disbursed_on"))), "{day}: {v}");
    }
    assert_eq!(http("GET", &format!("/v1/loans/L{a}"), b"").0, 404, "nothing booked by a refused date");
    let (status, loan) = disburse(a, "it-hard-pay", "2025-10-10");
    assert_eq!(status, 201, "{loan}");
    // The same id with another date is another request.
    let (status, v) = disburse(a, "it-hard-pay", "2025-10-11");
    assert_eq!((status, error_of(&v)), (409, ("request_reused", Some("request_id"))), "{v}");
    // The same id on another decision is refused whole: no loan is booked for it.
    let (status, v) = disburse(b, "it-hard-pay", "2025-10-10");
    assert_eq!((status, error_of(&v)), (409, ("request_reused", Some("request_id"))), "{v}");
    assert_eq!(http("GET", &format!("/v1/loans/L{b}"), b"").0, 404, "no loan booked under a reused id");
    // The same request again answers the loan.
    let (status, again) = disburse(a, "it-hard-pay", "2025-10-10");
    assert_eq!((status, again["id"].clone()), (200, loan["id"].clone()));
}

#[test]
fn repayments_are_bounded_in_date_keyed_by_id_and_serialised_per_loan() {
    let decision = approved("it-repay");
    let id = decision["decision_id"].as_str().expect("id");
    let (status, loan) = disburse(id, "it-repay-pay", "2025-10-06");
    assert_eq!(status, 201, "{loan}");
    let loan = loan["id"].as_str().expect("loan id").to_owned();
    // Money is not received in the future (today is 2025-10-12 for this server), nor before the window.
    for day in ["2099-01-01", "2025-10-13", "2020-01-01"] {
        let (status, v) = repay(&loan, "it-r-date", "100", day);
        assert_eq!((status, error_of(&v)), (422, ("out_of_range", Some("date"))), "{day}: {v}");
    }
    let (status, v) = repay(&loan, "it-r-1", "100", "2025-10-11");
    assert_eq!(status, 201, "{v}");
    let (status, v) = repay(&loan, "it-r-1", "100", "2025-10-11");
    assert_eq!(status, 200, "the same repayment again: {v}");
    let (status, v) = repay(&loan, "it-r-1", "200", "2025-10-11");
    assert_eq!((status, error_of(&v).0), (409, "request_reused"), "{v}");
    // Twenty repayments at once on one loan: every one is posted, none is refused for the race.
    let threads: Vec<_> = (0..20)
        .map(|n| {
            let loan = loan.clone();
            std::thread::spawn(move || repay(&loan, &format!("it-r-c{n}"), "10", "2025-10-12"))
        })
        .collect();
    for t in threads {
        let (status, v) = t.join().expect("client");
        assert_eq!(status, 201, "{v}");
    }
    let (status, position) = http("GET", &format!("/v1/loans/{loan}?as_of=2025-10-12"), b"");
    assert_eq!(status, 200);
    assert_eq!(json(&position)["repayments"].as_array().map(Vec::len), Some(21), "{position}");
}

#[test]
fn a_review_approves_no_more_than_the_decision_allows_and_text_is_bounded() {
    let (_, referred) = first_decided("it-bound", "refer", 1, &[]);
    let id = referred["decision_id"].as_str().expect("id");
    let body = serde_json::json!({"officer_id": "it-bound", "name": "officer", "branch": "B01", "authority_yuan": "100000000"});
    assert_eq!(http("POST", "/v1/officers", body.to_string().as_bytes()).0, 201);
    let act = |amount: &str, reason: &str| {
        let body = serde_json::json!({"action": "approve", "amount_yuan": amount, "reason": reason});
        let (status, body) =
            http_as("it-bound", "POST", &format!("/v1/decisions/{id}/review"), body.to_string().as_bytes());
        (status, json(&body))
    };
    let (status, v) = act("9999999999", "visited the farm");
    assert_eq!((status, error_of(&v)), (422, ("out_of_range", Some("amount_yuan"))), "{v}");
    let (status, v) = act("1000", "   ");
    assert_eq!((status, error_of(&v)), (422, ("invalid_field", Some("reason"))), "{v}");
    let (status, v) = act("1000", &"很".repeat(501));
    assert_eq!((status, error_of(&v)), (422, ("invalid_field", Some("reason"))), "{v}");
    let (status, state) = http("GET", &format!("/v1/decisions/{id}"), b"");
    assert_eq!(status, 200, "{state}");
    let (status, queue) = http("GET", "/v1/review-queue?limit=1000", b"");
    assert_eq!(status, 200);
    assert!(json(&queue).as_array().expect("items").iter().any(|i| i["decision_id"] == id), "still pending");
}

/// Sends raw bytes and returns the status and body of the answer.
pub(super) fn raw_at(addr: &str, request: &[u8]) -> (u16, String) {
    let text = exchange(addr, request);
    let status = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

#[test]
fn the_edge_refuses_long_targets_large_headers_other_media_and_repeated_keys_as_json() {
    let addr = &server().addr;
    let long = format!("GET /v1/loans/{} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", "L".repeat(5_000));
    let (status, body) = raw_at(addr, long.as_bytes());
    assert_eq!((status, error_of(&json(&body)).0), (414, "uri_too_long"));
    let big =
        format!("GET /health HTTP/1.1\r\nHost: t\r\nX-Filler: {}\r\nConnection: close\r\n\r\n", "x".repeat(17_000));
    let (status, body) = raw_at(addr, big.as_bytes());
    assert_eq!((status, error_of(&json(&body)).0), (431, "headers_too_large"));
    let body = application("it-edge-media", "H0000002").to_string();
    let auth = authorization(addr, "/v1/applications").expect("a key");
    let form = format!(
        "POST /v1/applications HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n{auth}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let (status, answer) = raw_at(addr, form.as_bytes());
    assert_eq!((status, error_of(&json(&answer)).0), (415, "unsupported_media_type"));
    // An applicant who sends an amount twice hopes the reader keeps the one that suits them.
    let twice = br#"{"request_id": "it-edge-twice", "application_id": "A1", "household_id": "H0000002",
        "applied_on": "2025-10-05", "product": "crop", "purpose": "crop-inputs", "amount_yuan": "1000.00",
        "term_months": 9, "amount_yuan": "3000000.00"}"#;
    let (status, answer) = http("POST", "/v1/applications", twice);
    assert_eq!((status, error_of(&json(&answer)).0), (400, "malformed_json"), "{answer}");
    for id in ["it-edge-media", "it-edge-twice"] {
        let (status, _) = http("GET", &format!("/v1/decisions/{}", decide::decision_id_of(id)), b"");
        assert_eq!(status, 404, "{id} stored nothing");
    }
}

#[test]
fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let mut stream = TcpStream::connect(&server().addr).expect("connect");
    stream.write_all(b"GET /health HTTP/1.1\r\nHost: t\r\n").expect("half a head");
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).expect("timeout");
    let started = std::time::Instant::now();
    let mut rest = Vec::new();
    // The server closes the connection (with or without a 408) once the header read timeout passes.
    let _ = stream.read_to_end(&mut rest);
    let waited = started.elapsed();
    assert!(waited < std::time::Duration::from_secs(25), "still open after {waited:?}");
    assert!(waited >= std::time::Duration::from_secs(5), "closed too early ({waited:?})");
}

#[test]
fn a_households_decisions_come_a_page_at_a_time() {
    for n in 0..5 {
        let (status, v) = submit(&application(&format!("it-page-{n}"), "H0000009"));
        assert!(status == 201 || status == 200, "{v}");
    }
    let mut path = "/v1/households/H0000009/decisions?limit=2".to_owned();
    let mut seen = Vec::new();
    for _ in 0..10 {
        let mut stream = TcpStream::connect(&server().addr).expect("connect");
        let auth = authorization(&server().addr, &path).expect("a key");
        let head = format!("GET {path} HTTP/1.1\r\nHost: t\r\n{auth}\r\nConnection: close\r\n\r\n");
        stream.write_all(head.as_bytes()).expect("write");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        let (head, body) = response.split_once("\r\n\r\n").expect("head and body");
        let page = json(body);
        assert!(page.as_array().expect("a list").len() <= 2);
        seen.extend(page.as_array().expect("list").iter().map(|d| d["decision_id"].as_str().expect("id").to_owned()));
        let next = head
            .lines()
            .find_map(|l| l.strip_prefix("link: <").and_then(|r| r.split_once('>')).map(|(p, _)| p.to_owned()));
        match next {
            Some(p) => path = p,
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no decision twice: {seen:?}");
    assert!(seen.len() >= 5, "{seen:?}");
    let (status, v) = http("GET", "/v1/households/H0000009/decisions?limit=100000", b"");
    assert_eq!((status, error_of(&json(&v)).0), (422, "out_of_range"));
    let (status, v) = http("GET", "/v1/households/H0000009/decisions?cursor=no-such-decision", b"");
    assert_eq!((status, error_of(&json(&v)).0), (404, "unknown_decision"));
}

#[test]
fn a_server_without_an_active_policy_is_not_ready() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    ok(&data, &["model", "register", "--model", s(&root.join("models/decision-scorecard.json"))]);
    let models: Value = serde_json::from_str(&ok(&data, &["model", "list", "--format", "json"])).expect("json");
    let model_id = models[0]["id"].as_str().expect("model id").to_owned();
    dual(
        &data,
        "risk.li",
        "risk.wang",
        &["model", "promote", "--id", &model_id, "--to", "champion", "--reason", "test"],
    );
    let (_server, addr) = start(&data, TODAY);
    let (status, body) = http_at(&addr, "GET", "/ready", b"");
    assert_eq!((status, error_of(&json(&body)).0), (503, "not_ready"), "{body}");
    assert_eq!(http_at(&addr, "GET", "/health", b"").0, 200);
}

/// One request with extra header lines (`name: value`) to the server at `addr`; returns the status, the response's
/// head (lower-cased) and its body.
pub(super) fn http_with(addr: &str, method: &str, path: &str, headers: &[&str], body: &[u8]) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    let mut extra: String = headers.iter().map(|h| format!("{h}\r\n")).collect();
    // Without credentials of its own, a request carries the key of a role its route grants.
    let own = headers
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .any(|h| h.starts_with("authorization:") || h.starts_with("cookie:"));
    if !own {
        extra.extend(authorization(addr, path).map(|line| format!("{line}\r\n")));
    }
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("write head");
    stream.write_all(body).expect("write body");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read the response");
    let status = response.get(9..12).and_then(|c| c.parse().ok()).expect("a status line");
    let (head, body) = response.split_once("\r\n\r\n").expect("head and body");
    (status, head.to_ascii_lowercase(), body.to_owned())
}

/// The value of one series in a scrape (`name{labels}` exactly as written), 0 when it is not there yet.
fn sample(scrape: &str, series: &str) -> f64 {
    scrape
        .lines()
        .find_map(|line| line.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .map_or(0.0, |value| value.parse().unwrap_or_else(|e| panic!("{series}: {value}: {e}")))
}

/// The sum of every series of a family whose labels contain `labels` (e.g. `outcome="approve"`).
fn family_sum(scrape: &str, name: &str, labels: &str) -> f64 {
    scrape
        .lines()
        .filter(|line| line.starts_with(&format!("{name}{{")) && line.contains(labels))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn scrape() -> String {
    let (status, head, body) = http_with(&server().addr, "GET", "/metrics", &[], b"");
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/plain; version=0.0.4"), "{head}");
    body
}

#[test]
fn metrics_count_requests_by_route_template_and_status_and_request_ids_are_echoed() {
    // Series only this test makes: a method no other test sends to an unmatched path, and a method a route lacks.
    let unmatched = r#"agririsk_http_requests_total{route="other",method="DELETE",status="404"}"#;
    let wrong_method = r#"agririsk_http_requests_total{route="/v1/policies",method="PUT",status="405"}"#;
    let created = r#"agririsk_http_requests_total{route="/v1/applications",method="POST",status="201"}"#;
    let replayed = r#"agririsk_http_requests_total{route="/v1/applications",method="POST",status="200"}"#;
    let latency = r#"agririsk_http_request_duration_seconds_count{route="/v1/policies"}"#;
    let before = scrape();

    let addr = &server().addr;
    for n in 0..3 {
        let (status, head, _) = http_with(addr, "DELETE", &format!("/v1/no-such-thing/{n}"), &[], b"");
        assert_eq!(status, 404);
        assert!(head.contains("\r\nx-request-id: "), "a request id is made when none is sent: {head}");
    }
    for id in ["it-metrics-1", "it-metrics-2"] {
        let (status, head, _) = http_with(addr, "PUT", "/v1/policies", &[&format!("X-Request-Id: {id}")], b"{}");
        assert_eq!(status, 405);
        assert!(head.contains(&format!("\r\nx-request-id: {id}")), "the sent id is echoed: {head}");
    }
    let (_, head, _) = http_with(addr, "GET", "/health", &["x-request-id: not/acceptable"], b"");
    assert!(head.contains("\r\nx-request-id: ") && !head.contains("not/acceptable"), "{head}");
    let request = application("it-metrics-decision", "H0000003");
    let (status, first) = submit(&request);
    assert_eq!(status, 201, "{first}");
    assert_eq!(submit(&request).0, 200);

    let after = scrape();
    assert_eq!(sample(&after, unmatched) - sample(&before, unmatched), 3.0, "{after}");
    assert_eq!(sample(&after, wrong_method) - sample(&before, wrong_method), 2.0, "{after}");
    assert!(sample(&after, created) - sample(&before, created) >= 1.0, "{after}");
    assert!(sample(&after, replayed) - sample(&before, replayed) >= 1.0, "{after}");
    assert!(sample(&after, latency) - sample(&before, latency) >= 2.0, "{after}");
    let outcome = format!("outcome={}", first["outcome"]);
    let decided = |s: &str| family_sum(s, "agririsk_decisions_total", &outcome);
    assert!(decided(&after) - decided(&before) >= 1.0, "{outcome} counted: {after}");
    for family in [
        "agririsk_decision_writer_queue_depth ",
        "agririsk_decision_commit_duration_seconds_count ",
        "agririsk_db_pool_connections{state=\"idle\"} ",
        "agririsk_db_pool_connections{state=\"active\"} ",
    ] {
        assert!(after.lines().any(|l| l.starts_with(family)), "{family}missing: {after}");
    }
    assert!(sample(&after, "agririsk_decision_commit_duration_seconds_count") >= 1.0);
    // Route labels are templates: no path parameter's value reaches the metrics.
    assert!(!after.contains("no-such-thing") && !after.contains("H0000003"), "{after}");
    let (_, doc) = http("GET", "/openapi.json", b"");
    assert!(json(&doc)["paths"]["/metrics"]["get"].is_object(), "/metrics is documented");
}

#[test]
fn each_request_is_one_json_log_line_without_personal_data() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = prepared(dir.path());
    let child = super::bin(&data)
        .args(["serve", "--listen", "127.0.0.1:0", "--stop-on-eof"])
        .args(TODAY)
        .env("RUST_LOG", "info")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server starts");
    let mut child = Killed(child);
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().expect("stdout")).read_line(&mut line).expect("the address line");
    let addr = line.trim().strip_prefix("listening on http://").expect("listening line").to_owned();
    register(&data, &addr);

    let path = "/v1/households/H0000002/decisions?phone=13800138000";
    let (status, _, _) = http_with(&addr, "GET", path, &["x-request-id: it-log-list"], b"");
    assert_eq!(status, 200);
    let body = application("it-log-decision", "H0000003").to_string();
    let (status, _, answer) =
        http_with(&addr, "POST", "/v1/applications", &["x-request-id: it-log-apply"], body.as_bytes());
    assert_eq!(status, 201, "{answer}");
    let decision_id = json(&answer)["decision_id"].as_str().expect("a decision id").to_owned();
    let (status, _, _) = http_with(&addr, "POST", "/v1/applications", &["x-request-id: it-log-bad"], b"{");
    assert_eq!(status, 400);

    drop(child.0.stdin.take());
    let mut log = String::new();
    child.0.stderr.take().expect("stderr").read_to_string(&mut log).expect("the log");
    assert!(child.0.wait().expect("the server stops").success(), "{log}");

    let events: Vec<Value> = log.lines().map(json).collect();
    let request = |id: &str| -> Value {
        let lines: Vec<&Value> = events.iter().filter(|e| e["request_id"] == id).collect();
        assert_eq!(lines.len(), 1, "one line for {id}: {log}");
        lines[0].clone()
    };
    let list = request("it-log-list");
    assert_eq!(
        (&list["message"], &list["level"], &list["method"], &list["route"], &list["status"]),
        (&"request".into(), &"INFO".into(), &"GET".into(), &"/v1/households/{id}/decisions".into(), &200.into())
    );
    assert!(list["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{list}");
    assert!(list.get("decision_id").is_none() && list.get("error_code").is_none(), "{list}");
    let apply = request("it-log-apply");
    assert_eq!((&apply["status"], apply["decision_id"].as_str()), (&201.into(), Some(decision_id.as_str())));
    let bad = request("it-log-bad");
    assert_eq!((&bad["status"], &bad["error_code"]), (&400.into(), &"malformed_json".into()));
    // Never a path parameter's value, a query string or anything from a body.
    for personal in ["H0000002", "H0000003", "13800138000", "买化肥", "7400"] {
        assert!(!log.contains(personal), "{personal} in the log: {log}");
    }
}

#[test]
fn a_server_killed_mid_disbursement_leaves_every_loan_whole_or_absent() {
    use std::sync::{Arc, Mutex};
    let dir = tempfile::tempdir().expect("temp dir");
    let data = prepared(dir.path());
    let (mut child, addr) = start(&data, TODAY);
    // Sixty approved decisions (H0000003 is approved for this application), then four clients disbursing them.
    let decisions: Vec<String> = (0..60)
        .map(|n| {
            let body = application(&format!("kill-disb-{n}"), "H0000003").to_string();
            let (status, answer) = http_at(&addr, "POST", "/v1/applications", body.as_bytes());
            assert_eq!(status, 201, "{answer}");
            let answer = json(&answer);
            assert_eq!(answer["outcome"], "approve");
            answer["decision_id"].as_str().expect("id").to_owned()
        })
        .collect();
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let clients: Vec<_> = (0..4)
        .map(|client| {
            let (addr, acknowledged) = (addr.clone(), Arc::clone(&acknowledged));
            let mine: Vec<String> = decisions.iter().skip(client).step_by(4).cloned().collect();
            std::thread::spawn(move || {
                for id in mine {
                    let body = serde_json::json!({"request_id": format!("pay-{id}"), "disbursed_on": "2025-10-10"});
                    let path = format!("/v1/decisions/{id}/disbursement");
                    if post_201(&addr, &path, &body.to_string()).is_none() {
                        return;
                    }
                    acknowledged.lock().expect("lock").push(id);
                }
            })
        })
        .collect();
    let acknowledged = kill_when(&mut child, clients, &acknowledged, 10);
    let (_again, addr) = start(&data, TODAY);
    for id in &decisions {
        let (status, loan) = http_at(&addr, "GET", &format!("/v1/loans/L{id}?as_of=2025-10-10"), b"");
        if acknowledged.contains(id) {
            assert_eq!(status, 200, "acknowledged disbursement of {id} was lost: {loan}");
        }
        if status == 200 {
            let disbursed = super::money(&json(&loan)["balances"]["disbursed"]);
            assert!(disbursed > 0, "loan L{id} exists without its disbursement: {loan}");
        }
        // Whatever the kill left, the same request completes now: once, never half.
        let body = serde_json::json!({"request_id": format!("pay-{id}"), "disbursed_on": "2025-10-10"});
        let (again, answer) =
            http_at(&addr, "POST", &format!("/v1/decisions/{id}/disbursement"), body.to_string().as_bytes());
        let expected = if status == 200 { 200 } else { 201 };
        assert_eq!(again, expected, "{id}: {answer}");
    }
}

#[test]
fn consent_list_hits_and_fraud_cases_come_from_the_register_never_from_the_applicant() {
    // An application that asserts its own screening is refused whole.
    for (field, value) in [("consent", true), ("blacklisted", false), ("fraud_suspected", false)] {
        let mut asserted = application(&format!("it-screen-assert-{field}"), "H0000003");
        asserted[field] = value.into();
        let (status, v) = submit(&asserted);
        assert_eq!((status, error_of(&v)), (422, ("invalid_field", Some(field))), "{v}");
    }
    // A household approved with its consent on file (H0000003 aside: other tests lend to it) is declined once a list
    // hit is recorded as of the application date, and a later clearance does not reach back to that date.
    let (household, before) = first_decided("it-screen-before", "approve", 4, &[]);
    assert_eq!(before["outcome"], "approve");
    let entries = serde_json::json!({"entries": [
        {"household_id": household, "kind": "blacklisted", "effective_on": "2025-10-01", "source": "court-list"},
        {"household_id": household, "kind": "blacklist_cleared", "effective_on": "2025-10-08", "source": "court-list"}
    ]});
    let (status, v) = http("POST", "/v1/screening", entries.to_string().as_bytes());
    assert_eq!((status, json(&v)["recorded"].as_u64()), (201, Some(2)), "{v}");
    let (status, v) = http("POST", "/v1/screening", entries.to_string().as_bytes());
    assert_eq!((status, json(&v)["recorded"].as_u64()), (201, Some(0)), "recorded once: {v}");
    let (status, listed) = submit(&application("it-screen-listed", &household));
    assert_eq!((status, listed["outcome"].as_str()), (201, Some("decline")), "{listed}");
    assert_eq!(listed["reasons"][0]["code"], "KO_BLACKLIST", "{listed}");
    let (status, register) = http("GET", &format!("/v1/households/{household}/screening"), b"");
    let register = json(&register);
    assert_eq!(status, 200);
    assert_eq!(register["today"]["blacklisted"], false, "cleared by 2025-10-12: {register}");
    assert_eq!(register["today"]["consent"], true);
    // Another approved household withdraws its consent: declined for it from that day, whatever it would say.
    let (other, _) = first_decided("it-screen-other", "approve", 4, &[&household]);
    let withdrawn = serde_json::json!({"entries": [
        {"household_id": other, "kind": "consent_withdrawn", "effective_on": "2025-10-02", "source": "branch-forms"}]});
    assert_eq!(http("POST", "/v1/screening", withdrawn.to_string().as_bytes()).0, 201);
    let (status, refused) = submit(&application("it-screen-withdrawn", &other));
    assert_eq!((status, refused["outcome"].as_str()), (201, Some("decline")), "{refused}");
    assert_eq!(refused["reasons"][0]["code"], "KO_CONSENT", "{refused}");
    // An entry from a later day is kept and counts from that day only.
    let future = serde_json::json!({"entries": [
        {"household_id": "H0000004", "kind": "fraud_case", "effective_on": "2025-10-13", "source": "fraud-team"}]});
    assert_eq!(http("POST", "/v1/screening", future.to_string().as_bytes()).0, 201);
    let (_, register) = http("GET", "/v1/households/H0000004/screening", b"");
    assert_eq!(json(&register)["today"]["fraud_suspected"], false, "not yet on 2025-10-12: {register}");
    // Too many entries in one request are refused whole.
    let entry =
        serde_json::json!({"household_id": "H0000004", "kind": "consent", "effective_on": "2020-01-01", "source": "s"});
    let many = serde_json::json!({"entries": vec![entry; 101]});
    let (status, v) = http("POST", "/v1/screening", many.to_string().as_bytes());
    assert_eq!((status, error_of(&json(&v))), (422, ("out_of_range", Some("entries"))), "{v}");
}

#[test]
fn a_malformed_request_line_is_answered_in_the_json_shape() {
    for line in ["GARBAGE\r\n\r\n", "GET /health HTTP/9.9\r\nHost: t\r\n\r\n", "GET  /health HTTP/1.1\r\n\r\n"] {
        let (status, body) = raw_at(&server().addr, line.as_bytes());
        assert_eq!((status, error_of(&json(&body)).0), (400, "bad_request"), "{line:?}: {body}");
    }
    // A well-formed line still reaches the routes.
    let (status, _) = raw_at(&server().addr, b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    assert_eq!(status, 200);
}

/// One GET of a page of a list from the server at `addr`: the status, the next page's target from the `Link` header
/// (`rel="next"`, its case kept) and the body as JSON.
fn page_at(addr: &str, path: &str) -> (u16, Option<String>, Value) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    let auth = authorization(addr, path).map(|line| format!("{line}\r\n")).unwrap_or_default();
    let head = format!("GET {path} HTTP/1.1\r\nHost: test\r\n{auth}Connection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).expect("write head");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read the response");
    let status = response.get(9..12).and_then(|c| c.parse().ok()).expect("a status line");
    let (head, body) = response.split_once("\r\n\r\n").expect("head and body");
    let next = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        let target = value.trim().strip_prefix('<')?.split_once(">; rel=\"next\"")?.0;
        name.eq_ignore_ascii_case("link").then(|| target.to_owned())
    });
    (status, next, json(body))
}

/// Walks a list from `first` by its `Link` headers: every page's items (by `items` of the page's JSON), never more
/// than `limit` a page, and the number of pages; a page without a next link must be the last.
fn walk(addr: &str, first: &str, limit: usize, items: impl Fn(&Value) -> Vec<Value>) -> (Vec<Value>, usize) {
    let (mut seen, mut pages, mut path) = (Vec::new(), 0, first.to_owned());
    loop {
        let (status, next, page) = page_at(addr, &path);
        assert_eq!(status, 200, "{path}: {page}");
        let page = items(&page);
        assert!(page.len() <= limit, "{path}: {} items over the limit {limit}", page.len());
        seen.extend(page);
        pages += 1;
        assert!(pages <= 1_000, "the walk does not end");
        match next {
            Some(next) => path = next,
            None => return (seen, pages),
        }
    }
}

#[test]
fn policy_versions_come_a_page_at_a_time() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = prepared(dir.path());
    // Four more versions: the same graph with trailing blank lines, so each text (and id) is its own.
    let policy = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/default/rural-microcredit.json");
    let text = std::fs::read_to_string(&policy).expect("policy");
    for n in 2..=5 {
        let file = dir.path().join(format!("policy-{n}.json"));
        std::fs::write(&file, format!("{text}{}", "\n".repeat(n))).expect("write policy");
        let version = n.to_string();
        let args = ["policy", "submit", s(&file), "--name", "rural-microcredit", "--version", &version];
        ok_as("risk.zhang", &data, &args.into_iter().chain(["--effective-from", "2020-01-01"]).collect::<Vec<_>>());
    }
    let listed: Value = serde_json::from_str(&ok(&data, &["policy", "list", "--format", "json"])).expect("json");
    let ids = |list: &[Value]| -> Vec<String> {
        list.iter().map(|p| p["policy_id"].as_str().expect("policy id").to_owned()).collect()
    };
    // The command line's list names the id `id`; the API's `policy_id`.
    let all: Vec<String> =
        listed.as_array().expect("a list").iter().map(|p| p["id"].as_str().expect("id").to_owned()).collect();
    assert_eq!(all.len(), 5);
    let (_server, addr) = start(&data, TODAY);
    for limit in [1, 2, 5, 200] {
        let (seen, pages) =
            walk(&addr, &format!("/v1/policies?limit={limit}"), limit, |p| p.as_array().expect("a list").clone());
        assert_eq!(ids(&seen), all, "limit {limit}: every version once, oldest first");
        assert_eq!(pages, all.len().div_ceil(limit), "limit {limit}: no empty last page");
    }
    let (status, next, page) = page_at(&addr, "/v1/policies");
    assert_eq!((status, next, ids(page.as_array().expect("a list"))), (200, None, all.clone()), "default limit 50");
    for (path, status, code) in [
        ("/v1/policies?limit=0", 422, "out_of_range"),
        ("/v1/policies?limit=201", 422, "out_of_range"),
        ("/v1/policies?limit=many", 400, "bad_request"),
        ("/v1/policies?cursor=no-such-policy", 404, "unknown_policy"),
    ] {
        let (answered, _, body) = page_at(&addr, path);
        assert_eq!((answered, error_of(&body).0), (status, code), "{path}: {body}");
    }
}

#[test]
fn a_village_roster_comes_a_page_at_a_time_with_the_whole_village_totals() {
    let addr = &server().addr;
    let rows = |p: &Value| p["rows"].as_array().expect("rows").clone();
    let (status, _, whole) = page_at(addr, "/v1/villages/990101100000/roster?on=2025-10-05&limit=200");
    assert_eq!(status, 200, "{whole}");
    let households = whole["totals"]["households"].as_u64().expect("households");
    assert!(households > 60, "a village large enough to walk: {households}");
    assert_eq!(rows(&whole).len() as u64, households, "one page of 200 holds the village");
    let (seen, pages) = walk(addr, "/v1/villages/990101100000/roster?on=2025-10-05&limit=30", 30, |p| {
        assert_eq!((&p["totals"], &p["rating"], &p["on"]), (&whole["totals"], &whole["rating"], &whole["on"]));
        rows(p)
    });
    assert_eq!(seen, rows(&whole), "every household once, in order, on the first page's date");
    assert_eq!(pages, (households as usize).div_ceil(30));
    let (_, next, _) = page_at(addr, "/v1/villages/990101100000/roster?on=2025-10-05&limit=30");
    let next = next.expect("a next page");
    assert!(next.starts_with("/v1/villages/990101100000/roster?on=2025-10-05&limit=30&cursor=H"), "{next}");
    let (_, _, default) = page_at(addr, "/v1/villages/990101100000/roster?on=2025-10-05");
    assert_eq!(rows(&default).len(), households.min(50) as usize, "default limit 50");
    for (query, status, code) in [
        ("limit=0", 422, "out_of_range"),
        ("limit=201", 422, "out_of_range"),
        ("limit=-1", 400, "bad_request"),
        ("cursor=H9999999", 404, "unknown_applicant"),
    ] {
        let path = format!("/v1/villages/990101100000/roster?on=2025-10-05&{query}");
        let (answered, _, body) = page_at(addr, &path);
        assert_eq!((answered, error_of(&body).0), (status, code), "{path}: {body}");
    }
}

/// Reads one response (head and a `content-length` body) from a kept-alive connection.
fn read_one_response(stream: &mut TcpStream) -> (u16, String) {
    let mut bytes = Vec::new();
    let mut byte = [0u8; 1];
    while !bytes.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).expect("a response head");
        bytes.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&bytes).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("a content-length");
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).expect("the body");
    let status = head.get(9..12).and_then(|c| c.parse().ok()).expect("a status line");
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[test]
fn a_malformed_request_after_a_good_one_on_a_kept_alive_connection_is_answered_in_the_json_shape_and_closed() {
    for line in ["GARBAGE\r\n\r\n", "GET /health HTTP/9.9\r\nHost: t\r\n\r\n", "GET  /health HTTP/1.1\r\n\r\n"] {
        let mut stream = TcpStream::connect(&server().addr).expect("connect");
        stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).expect("timeout");
        stream.write_all(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n").expect("a good request");
        assert_eq!(read_one_response(&mut stream).0, 200);
        stream.write_all(line.as_bytes()).expect("a malformed request");
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest);
        let text = String::from_utf8_lossy(&rest).into_owned();
        let status: u16 = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or_default();
        assert_eq!((status, error_of(&json(body)).0), (400, "bad_request"), "{line:?}: {text}");
        assert!(head.to_ascii_lowercase().contains("connection: close"), "{head}");
    }
}

#[test]
fn a_households_screening_entries_come_a_page_at_a_time_with_todays_view_over_all() {
    let addr = &server().addr;
    // Twelve entries of one household on twelve days (H0000009: no other test screens it).
    let entries: Vec<Value> = (1..=12)
        .map(|day| {
            serde_json::json!({"household_id": "H0000009", "kind": "consent", "source": "branch-forms",
                "effective_on": format!("2020-01-{day:02}")})
        })
        .collect();
    let body = serde_json::json!({"entries": entries});
    assert_eq!(http_at(addr, "POST", "/v1/screening", body.to_string().as_bytes()).0, 201);
    let (status, _, whole) = page_at(addr, "/v1/households/H0000009/screening?limit=200");
    assert_eq!(status, 200, "{whole}");
    let all = whole["entries"].as_array().expect("entries").clone();
    assert!(all.len() >= 12, "{whole}");
    let (seen, pages) = walk(addr, "/v1/households/H0000009/screening?limit=5", 5, |p| {
        assert_eq!(p["today"], whole["today"], "today's view is over every entry, on every page");
        p["entries"].as_array().expect("entries").clone()
    });
    assert_eq!(seen, all, "every entry once, in the register's order");
    assert_eq!(pages, all.len().div_ceil(5));
    for (path, status, code) in [
        ("/v1/households/H0000009/screening?limit=0", 422, "out_of_range"),
        ("/v1/households/H0000009/screening?cursor=2020-01-01:consent:nobody", 404, "unknown_entry"),
    ] {
        let (answered, _, body) = page_at(addr, path);
        assert_eq!((answered, error_of(&body).0), (status, code), "{path}: {body}");
    }
}

#[test]
fn a_consent_withdrawn_by_another_process_counts_within_the_screening_caches_poll() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = prepared(dir.path());
    let (_server, addr) = start(&data, TODAY);
    let decide = |request_id: &str, household: &str| {
        let body = application(request_id, household).to_string();
        let (status, answer) = http_at(&addr, "POST", "/v1/applications", body.as_bytes());
        assert_eq!(status, 201, "{answer}");
        json(&answer)
    };
    let household = (1..=200)
        .map(|h| format!("H{h:07}"))
        .find(|h| decide(&format!("it-cache-{h}"), h)["outcome"] == "approve")
        .expect("an approved household");
    // The command line records the withdrawal while the server runs: a process of its own, the server's copy of
    // the register is renewed by its poll.
    let file = dir.path().join("withdrawn.csv");
    let row = format!("{household},consent_withdrawn,2025-10-01,branch-forms,withdrawn at the branch\n");
    std::fs::write(&file, format!("household_id,kind,effective_on,source,note\n{row}")).expect("write");
    ok(&data, &["screening", "load", s(&file)]);
    let started = std::time::Instant::now();
    let declined = (0..40).find_map(|n| {
        let answer = decide(&format!("it-cache-after-{n}"), &household);
        if answer["outcome"] == "decline" {
            return Some(answer);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        None
    });
    let declined = declined.expect("declined once the withdrawal is seen");
    assert_eq!(declined["reasons"][0]["code"], "KO_CONSENT", "{declined}");
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "seen within the poll: {:?}", started.elapsed());
}

/// The whole answer to raw bytes sent on a connection of their own (read until the server closes it).
fn exchange(addr: &str, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    let _ = stream.write_all(request);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    String::from_utf8_lossy(&response).into_owned()
}

/// The whole head of an answer to a raw request, lower-cased.
fn head_at(addr: &str, request: &[u8]) -> String {
    let text = exchange(addr, request).to_ascii_lowercase();
    text.split_once("\r\n\r\n").map(|(head, _)| head.to_owned()).unwrap_or(text)
}

#[test]
fn every_answer_carries_the_security_headers() {
    let addr = &server().addr;
    let get = |path: &str| format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    let answers = [
        ("a JSON answer", get("/health")),
        ("a refusal", get("/v1/no-such-thing")),
        ("the docs page", get("/docs")),
        ("its script", get("/docs.js")),
        ("a request hyper cannot parse", "GARBAGE\r\n\r\n".to_owned()),
    ];
    for (what, request) in answers {
        let head = head_at(addr, request.as_bytes());
        for (name, value) in server::security::HEADERS {
            let line = format!("\r\n{name}: {}", value.to_ascii_lowercase());
            assert!(head.contains(&line), "{what}: no `{name}: {value}` in\n{head}");
        }
    }
    // The page runs no inline script: its script and style sheet are files of their own.
    let (status, page) = raw_at(addr, get("/docs").as_bytes());
    assert_eq!(status, 200);
    assert!(page.contains("<script src=\"/docs.js\"></script>") && !page.contains("<style>"), "{page}");
    assert!(head_at(addr, get("/docs.js").as_bytes()).contains("content-type: text/javascript"));
}

#[test]
fn a_source_without_consent_is_not_read_over_http_and_the_decision_says_so() {
    let record_of = |decision: &Value| {
        let id = decision["decision_id"].as_str().expect("a decision id");
        let (status, record) = http("GET", &format!("/v1/decisions/{id}"), b"");
        assert_eq!(status, 200, "{record}");
        json(&record)
    };
    let post = |entries: Value| {
        let (status, v) = http("POST", "/v1/screening", serde_json::json!({"entries": entries}).to_string().as_bytes());
        assert_eq!(status, 201, "{v}");
    };
    // A household no other test screens (H0000150 on) whose decision reads a bureau report.
    let (household, read) = (150..=200)
        .map(|h| format!("H{h:07}"))
        .find_map(|h| {
            let (status, decision) = submit(&application(&format!("it-consent-read-{h}"), &h));
            let record = (status == 201).then(|| record_of(&decision))?;
            (!record["features"]["bureau_has_record"].is_null()).then_some((h, record))
        })
        .expect("a household with a bureau report");
    assert!(read.get("withheld_sources").is_none(), "every consent on file: the record is as before");
    let scoped = |kind: &str, on: &str, data_source: &str, purpose: &str| {
        serde_json::json!({"household_id": household, "kind": kind, "effective_on": on, "source": "branch-forms",
            "data_source": data_source, "purpose": purpose})
    };
    // Withdrawn the day after the application date (2025-10-05): that application still reads the bureau.
    post(serde_json::json!([scoped("consent_withdrawn", "2025-10-06", "bureau_reports", "credit_assessment")]));
    let (status, after) = submit(&application(&format!("it-consent-after-{household}"), &household));
    assert_eq!(status, 201, "{after}");
    assert!(after.get("withheld_sources").is_none(), "{after}");
    assert_eq!(record_of(&after)["features"], read["features"]);
    // A consent for model development does not count for credit assessment; withdrawn on the application date, the
    // bureau is not read and the answer and the record say so.
    post(serde_json::json!([
        scoped("consent", "2025-10-01", "bureau_reports", "model_development"),
        scoped("consent_withdrawn", "2025-10-05", "bureau_reports", "credit_assessment"),
    ]));
    let (status, withheld) = submit(&application(&format!("it-consent-withheld-{household}"), &household));
    assert_eq!(status, 201, "{withheld}");
    assert_eq!(withheld["withheld_sources"], serde_json::json!(["bureau_reports"]), "{withheld}");
    let record = record_of(&withheld);
    assert_eq!(record["withheld_sources"], serde_json::json!(["bureau_reports"]));
    assert!(record["features"]["bureau_has_record"].is_null(), "not read");
    assert_eq!(record["features"]["rating_score_points"], read["features"]["rating_score_points"]);
    // The register's view of today shows the consents in force per purpose and what a decision would withhold.
    let (status, register) = http("GET", &format!("/v1/households/{household}/screening?limit=200"), b"");
    assert_eq!(status, 200, "{register}");
    let today = &json(&register)["today"];
    assert_eq!(today["consent"], true, "the credit-check consent stands: {today}");
    assert_eq!(today["consents"]["credit_assessment"], serde_json::json!(["transactions", "insurance_claims"]));
    assert_eq!(today["consents"]["model_development"], serde_json::json!(["bureau_reports"]));
    assert_eq!(today["withheld_sources"], serde_json::json!(["bureau_reports"]));
    let entries = json(&register)["entries"].as_array().expect("entries").clone();
    assert!(entries.iter().any(|e| e["data_source"] == "bureau_reports" && e["purpose"] == "model_development"));
    // A scoped entry's key (its cursor) names its scope: paging two at a time sees every entry once.
    let path = format!("/v1/households/{household}/screening?limit=2");
    let (seen, _) = walk(&server().addr, &path, 2, |p| p["entries"].as_array().expect("entries").clone());
    assert_eq!(seen, entries, "every entry once, in the register's order");
}

#[test]
fn a_bad_consent_scope_is_refused_with_the_field_named_and_nothing_recorded() {
    let entry = |kind: &str, scope: Value| {
        let mut e = serde_json::json!({"household_id": "H0000199", "kind": kind, "effective_on": "2020-01-02",
            "source": "branch-forms"});
        for (k, v) in scope.as_object().expect("an object") {
            e[k] = v.clone();
        }
        e
    };
    let (_, before) = http("GET", "/v1/households/H0000199/screening?limit=200", b"");
    let cases = [
        (entry("consent", serde_json::json!({"data_source": "bureau_reports"})), "missing_field", "entries[1].purpose"),
        (
            entry("consent", serde_json::json!({"purpose": "credit_assessment"})),
            "missing_field",
            "entries[1].data_source",
        ),
        (
            entry("blacklisted", serde_json::json!({"data_source": "bureau_reports", "purpose": "credit_assessment"})),
            "invalid_field",
            "entries[1].data_source",
        ),
        (
            entry("consent", serde_json::json!({"data_source": "gps_traces", "purpose": "credit_assessment"})),
            "invalid_field",
            "entries[1].data_source",
        ),
        (
            entry("consent", serde_json::json!({"data_source": "transactions", "purpose": "marketing"})),
            "invalid_field",
            "entries[1].purpose",
        ),
    ];
    let fine = entry("consent", serde_json::json!({"data_source": "transactions", "purpose": "model_development"}));
    for (bad, code, field) in cases {
        let body = serde_json::json!({"entries": [fine, bad]});
        let (status, v) = http("POST", "/v1/screening", body.to_string().as_bytes());
        assert_eq!((status, error_of(&json(&v))), (422, (code, Some(field))), "{bad}: {v}");
    }
    let (_, after) = http("GET", "/v1/households/H0000199/screening?limit=200", b"");
    assert_eq!(json(&after)["entries"], json(&before)["entries"], "nothing of a refused request is recorded");
}
