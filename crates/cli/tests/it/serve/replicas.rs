//! Several `agririsk serve` processes on one PostgreSQL database behave as one service (officers claiming from the
//! review queue on two replicas at once are given distinct cases), a streaming standby serves the read-only work, and
//! neither a killed server nor a killed database loses an acknowledged decision.
//!
//! These run when the suite's stores are on PostgreSQL (`AGRIRISK_TEST_ENGINE=postgres`, CI's second run); on
//! SQLite they say they were skipped (two processes on one SQLite file are one machine's business, tested with the
//! screening cache's poll). The standby and the database crash use a cluster of their own (`xtask/pg.sh` with a
//! state file of the test's), so the shared one is never stopped.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier, Mutex};

use serde_json::Value;

use super::{
    application, disburse_at, error_of, http_at, http_with, json, ok, ok_as, post_201, prepared, s, session, start,
};

/// Whether this run is on PostgreSQL; otherwise says `test` was skipped.
fn on_postgres(test: &str) -> bool {
    if super::super::on_postgres() {
        return true;
    }
    eprintln!("{test}: skipped: the stores of this run are SQLite files (AGRIRISK_TEST_ENGINE=postgres runs it)");
    false
}

/// One request as a signed-in user at `addr`.
fn http_as_at(addr: &str, user: &str, method: &str, path: &str, body: &[u8]) -> (u16, Value) {
    let lines = session(addr, user);
    let (status, _, body) = http_with(addr, method, path, &[&lines[0], &lines[1]], body);
    (status, json(&body))
}

/// Runs `a` and `b` at the same instant on two threads; returns both answers.
fn at_once<T: Send + 'static>(
    a: impl FnOnce() -> T + Send + 'static,
    b: impl FnOnce() -> T + Send + 'static,
) -> (T, T) {
    let barrier = Arc::new(Barrier::new(2));
    let (first, second) = (Arc::clone(&barrier), barrier);
    let a = std::thread::spawn(move || {
        first.wait();
        a()
    });
    let b = std::thread::spawn(move || {
        second.wait();
        b()
    });
    (a.join().expect("a"), b.join().expect("b"))
}

/// A decision submitted to `addr` for household H0000003 (approved in the tiny county) under `request_id`.
fn approved_at(addr: &str, request_id: &str) -> String {
    let (status, body) =
        http_at(addr, "POST", "/v1/applications", application(request_id, "H0000003").to_string().as_bytes());
    let decision = json(&body);
    assert_eq!((status, decision["outcome"].as_str()), (201, Some("approve")), "{decision}");
    decision["decision_id"].as_str().expect("an id").to_owned()
}

fn statuses(mut pair: [u16; 2]) -> [u16; 2] {
    pair.sort_unstable();
    pair
}

#[test]
fn two_replicas_racing_on_one_request_post_it_once_and_answer_as_documented() {
    if !on_postgres("two_replicas_racing_on_one_request_post_it_once_and_answer_as_documented") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let data = prepared(dir.path());
    let (_a, a) = start(&data, super::TODAY);
    let (_b, b) = start(&data, super::TODAY);

    // The same disbursement (one request id) on both at once: one books the loan (201), the other answers it (200).
    let decision = approved_at(&a, "replicas-1");
    let ((s1, l1), (s2, l2)) = at_once(
        {
            let (a, d) = (a.clone(), decision.clone());
            move || disburse_at(&a, &d, "replicas-pay", "2025-10-10")
        },
        {
            let (b, d) = (b.clone(), decision.clone());
            move || disburse_at(&b, &d, "replicas-pay", "2025-10-10")
        },
    );
    assert_eq!(statuses([s1, s2]), [200, 201], "{l1} {l2}");
    assert_eq!(l1["id"], l2["id"], "one loan");
    let loan = l1["id"].as_str().expect("a loan id").to_owned();
    // Two request ids for one decision: one books it, the other is refused as disbursed already.
    let other = approved_at(&b, "replicas-2");
    let ((s1, v1), (s2, v2)) = at_once(
        {
            let (a, d) = (a.clone(), other.clone());
            move || disburse_at(&a, &d, "replicas-pay-a", "2025-10-10")
        },
        {
            let (b, d) = (b.clone(), other.clone());
            move || disburse_at(&b, &d, "replicas-pay-b", "2025-10-10")
        },
    );
    assert_eq!(statuses([s1, s2]), [201, 409], "{v1} {v2}");
    let refused = if s1 == 409 { &v1 } else { &v2 };
    assert_eq!(error_of(refused).0, "already_disbursed", "{refused}");

    // The same repayment id on both at once: posted once.
    let repay = |addr: String, loan: String| {
        move || {
            let body = serde_json::json!({"id": "replicas-r1", "amount_yuan": "100.00", "date": "2025-10-11"});
            let (status, body) =
                http_at(&addr, "POST", &format!("/v1/loans/{loan}/repayments"), body.to_string().as_bytes());
            (status, json(&body))
        }
    };
    let ((s1, r1), (s2, r2)) = at_once(repay(a.clone(), loan.clone()), repay(b.clone(), loan.clone()));
    assert_eq!(statuses([s1, s2]), [200, 201], "{r1} {r2}");
    let (status, position) = http_at(&a, "GET", &format!("/v1/loans/{loan}"), b"");
    assert_eq!(status, 200, "{position}");
    let text = position.to_string();
    assert_eq!(text.matches("replicas-r1").count(), 1, "one repayment in the loan's history: {position}");

    // The same review approval by two officers, one on each replica: one decides, the other finds it final.
    let referred = (1..=200)
        .map(|h| format!("H{h:07}"))
        .find_map(|household| {
            let request = application(&format!("replicas-review-{household}"), &household);
            let (status, body) = http_at(&a, "POST", "/v1/applications", request.to_string().as_bytes());
            let decision = json(&body);
            (status == 201 && decision["outcome"] == "refer")
                .then(|| decision["decision_id"].as_str().expect("id").to_owned())
        })
        .expect("a referred application");
    for (officer, authority) in [("it-maker", "500000"), ("it-checker", "500000")] {
        let body =
            serde_json::json!({"officer_id": officer, "name": "officer", "branch": "B01", "authority_yuan": authority});
        assert_eq!(http_at(&a, "POST", "/v1/officers", body.to_string().as_bytes()).0, 201);
    }
    let review = |addr: String, officer: &'static str, id: String| {
        move || {
            let body = serde_json::json!({"action": "approve", "reason": "visited", "amount_yuan": "5000.00"});
            http_as_at(&addr, officer, "POST", &format!("/v1/decisions/{id}/review"), body.to_string().as_bytes())
        }
    };
    let ((s1, v1), (s2, v2)) =
        at_once(review(a.clone(), "it-maker", referred.clone()), review(b.clone(), "it-checker", referred.clone()));
    assert_eq!(statuses([s1, s2]), [201, 409], "{v1} {v2}");
    let refused = if s1 == 409 { &v1 } else { &v2 };
    assert_eq!(error_of(refused).0, "review_refused", "{refused}");

    // The same policy activation on both at once: one activates it, the other is refused by the lifecycle; and the
    // replica that did not activate it decides with it within its poll.
    // The shipped policy with a newline added: the same rules, another version (its id is its content's hash).
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/default/rural-microcredit.json");
    let policy = dir.path().join("successor.json");
    std::fs::write(&policy, format!("{}\n", std::fs::read_to_string(shipped).expect("policy"))).expect("write");
    let submitted = ok_as(
        "risk.zhang",
        &data,
        &[
            "policy",
            "submit",
            s(&policy),
            "--name",
            "rural-microcredit",
            "--version",
            "2",
            "--effective-from",
            "2020-01-01",
        ],
    );
    let policy_id =
        submitted.split(" as ").nth(1).and_then(|t| t.split_whitespace().next()).expect("policy id").to_owned();
    ok_as("chief.wang", &data, &["policy", "move", &policy_id, "--to", "approved", "--reason", "test"]);
    let activate = |addr: String, id: String| {
        move || {
            let body = serde_json::json!({"to": "active", "reason": "replicas race"});
            let (status, body) =
                http_at(&addr, "POST", &format!("/v1/policies/{id}/moves"), body.to_string().as_bytes());
            (status, json(&body))
        }
    };
    // A move to the status a version has is answered with it and writes nothing: both answer 200 and the version
    // was moved to active once.
    let ((s1, v1), (s2, v2)) = at_once(activate(a.clone(), policy_id.clone()), activate(b.clone(), policy_id.clone()));
    assert_eq!([s1, s2], [200, 200], "{v1} {v2}");
    assert_eq!((v1["status"].as_str(), v2["status"].as_str()), (Some("active"), Some("active")));
    let trail = ok(&data, &["audit", "export", "--from", "2000-01-01", "--to", "2099-12-31"]);
    let moves = trail
        .lines()
        .map(json)
        .filter(|e| e["action"] == "policy.move" && e["target"] == format!("policy:{policy_id}"))
        .filter(|e| e["detail"].as_str().is_some_and(|d| d.contains("active")))
        .count();
    assert_eq!(moves, 1, "one move to active in the audit trail:\n{trail}");
    let decided_with = |addr: &str, n: u32| {
        let request = application(&format!("replicas-after-{addr}-{n}"), "H0000002");
        let (status, body) = http_at(addr, "POST", "/v1/applications", request.to_string().as_bytes());
        assert_eq!(status, 201, "{body}");
        json(&body)["versions"]["policy"].as_str().expect("a policy version").to_owned()
    };
    for addr in [&a, &b] {
        let waited = std::time::Instant::now();
        let mut n = 0;
        while !decided_with(addr, n).ends_with("@2") {
            n += 1;
            assert!(waited.elapsed() < std::time::Duration::from_secs(5), "{addr} still decides with version 1");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

/// A cluster of the test's own (`xtask/pg.sh` with its own state file), stopped and removed when dropped.
struct OwnCluster {
    state: PathBuf,
    url: String,
}

fn pg_sh(state: &Path, args: &[&str]) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../xtask/pg.sh");
    let out = std::process::Command::new("bash")
        .arg(&script)
        .args(args)
        .env("AGRIRISK_PG_STATE", state)
        .output()
        .expect("pg.sh runs");
    assert!(out.status.success(), "pg.sh {args:?}: {}", super::super::stderr(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

impl OwnCluster {
    fn start(dir: &Path) -> OwnCluster {
        let state = dir.join("pg-cluster.env");
        let url = pg_sh(&state, &["start"]);
        OwnCluster { state, url }
    }

    fn run(&self, args: &[&str]) -> String {
        pg_sh(&self.state, args)
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../xtask/pg.sh");
        let _ =
            std::process::Command::new("bash").arg(script).arg("stop").env("AGRIRISK_PG_STATE", &self.state).output();
    }
}

#[test]
fn reports_come_from_a_streaming_standby_while_the_primary_takes_decisions() {
    if !on_postgres("reports_come_from_a_streaming_standby_while_the_primary_takes_decisions") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let cluster = OwnCluster::start(dir.path());
    let data = dir.path().join("data");
    super::super::use_database(&data, &cluster.url);
    let data = prepared_at(dir.path(), &data);
    let standby = cluster.run(&["standby"]);
    let keys = dir.path().join("keys");
    let options = [super::TODAY[0], super::TODAY[1], "--read-database", &standby, "--key-file", s(&keys)];
    let (_server, addr) = start(&data, &options);

    // Decisions go to the primary while profiles are read from the standby.
    let writes: Vec<_> = (0..4)
        .map(|client| {
            let addr = addr.clone();
            std::thread::spawn(move || {
                for n in 0..25 {
                    let request = application(&format!("standby-{client}-{n}"), &format!("H{:07}", 1 + n));
                    let (status, body) = http_at(&addr, "POST", "/v1/applications", request.to_string().as_bytes());
                    assert_eq!(status, 201, "decided on the primary: {body}");
                }
            })
        })
        .collect();
    for n in 1..=20 {
        let (status, body) = http_as_at(&addr, "it-maker", "GET", &format!("/v1/households/H{n:07}/profile"), b"");
        assert_eq!(status, 200, "{body}");
    }
    for w in writes {
        w.join().expect("writer");
    }
    // The standby is where they come from: stopped, profiles are not ready while decisions still commit.
    cluster.run(&["standby-stop"]);
    let (status, body) = http_as_at(&addr, "it-maker", "GET", "/v1/households/H0000001/profile", b"");
    assert_eq!((status, error_of(&body).0), (503, "not_ready"), "{body}");
    let request = application("standby-after", "H0000002");
    assert!(post_201(&addr, "/v1/applications", &request.to_string()).is_some(), "the primary still decides");
}

/// [`prepared`] on a data directory whose database was chosen with [`super::super::use_database`].
fn prepared_at(dir: &Path, data: &Path) -> PathBuf {
    let made = prepared(dir);
    assert_eq!(made, data, "prepared makes dir/data");
    made
}

#[test]
fn a_database_crash_under_load_loses_no_acknowledged_decision_and_the_server_carries_on() {
    if !on_postgres("a_database_crash_under_load_loses_no_acknowledged_decision_and_the_server_carries_on") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let cluster = OwnCluster::start(dir.path());
    let data = dir.path().join("data");
    super::super::use_database(&data, &cluster.url);
    let data = prepared_at(dir.path(), &data);
    let (_server, addr) = start(&data, super::TODAY);
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let clients: Vec<_> = (0..8)
        .map(|client| {
            let (addr, acknowledged) = (addr.clone(), Arc::clone(&acknowledged));
            std::thread::spawn(move || {
                for n in 0.. {
                    let request = application(&format!("crash-{client}-{n}"), &format!("H{:07}", 1 + (n % 300)));
                    let Some(answer) = post_201(&addr, "/v1/applications", &request.to_string()) else { return };
                    let id = json(&answer)["decision_id"].as_str().expect("a decision id").to_owned();
                    acknowledged.lock().expect("lock").push(id);
                }
            })
        })
        .collect();
    while acknowledged.lock().expect("lock").len() < 200 {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    // PostgreSQL stopped the hard way (no checkpoint), mid-load; the clients stop at their first refusal.
    cluster.run(&["crash"]);
    for client in clients {
        client.join().expect("client");
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    cluster.run(&["restart"]);
    // The same server, its pool reconnected, finds every decision it acknowledged.
    let waited = std::time::Instant::now();
    while http_at(&addr, "GET", "/ready", b"").0 != 200 {
        assert!(waited.elapsed() < std::time::Duration::from_secs(30), "the server is ready again");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    for id in &acknowledged {
        let (status, body) = http_at(&addr, "GET", &format!("/v1/decisions/{id}"), b"");
        assert_eq!(status, 200, "acknowledged decision {id} was lost: {body}");
    }
    let request = application("crash-after", "H0000002");
    assert!(post_201(&addr, "/v1/applications", &request.to_string()).is_some(), "decides again");
    let verified = ok(&data, &["audit", "verify"]);
    assert!(verified.contains("audit trail intact"), "{verified}");
}

#[test]
fn officers_claiming_from_the_queue_on_two_replicas_at_once_are_each_given_distinct_cases() {
    if !on_postgres("officers_claiming_from_the_queue_on_two_replicas_at_once_are_each_given_distinct_cases") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let data = prepared(dir.path());
    let (_a, a) = start(&data, super::TODAY);
    let (_b, b) = start(&data, super::TODAY);
    let officers = ["it-maker", "it-checker", "it-bound"];
    for officer in officers {
        let body =
            serde_json::json!({"officer_id": officer, "name": "officer", "branch": "B01", "authority_yuan": "500000"});
        assert_eq!(http_at(&a, "POST", "/v1/officers", body.to_string().as_bytes()).0, 201);
    }
    // Referrals, some on each replica.
    let mut referred = Vec::new();
    for h in 1..=400 {
        if referred.len() == 8 {
            break;
        }
        let addr = if h % 2 == 0 { &a } else { &b };
        let request = application(&format!("replicas-claims-{h}"), &format!("H{h:07}"));
        let (status, body) = http_at(addr, "POST", "/v1/applications", request.to_string().as_bytes());
        let decision = json(&body);
        if status == 201 && decision["outcome"] == "refer" {
            referred.push(decision["decision_id"].as_str().expect("id").to_owned());
        }
    }
    assert_eq!(referred.len(), 8, "eight referrals among the tiny county's households");
    let (status, queue) = http_at(&a, "GET", "/v1/review-queue?limit=1000", b"");
    assert_eq!(status, 200, "{queue}");
    let mut open: Vec<String> = json(&queue)
        .as_array()
        .expect("a list")
        .iter()
        .map(|item| item["decision_id"].as_str().expect("id").to_owned())
        .collect();
    open.sort();

    // Every officer claims on both replicas at once, each until nothing is left for them.
    let claimers: Vec<(String, &'static str)> =
        [&a, &b].into_iter().flat_map(|addr| officers.map(|officer| (addr.clone(), officer))).collect();
    for (addr, officer) in &claimers {
        session(addr, officer);
    }
    let barrier = Arc::new(Barrier::new(claimers.len()));
    let threads: Vec<_> = claimers
        .into_iter()
        .map(|(addr, officer)| {
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                let lines = session(&addr, officer);
                barrier.wait();
                let mut given = Vec::new();
                for _ in 0..50 {
                    let body = serde_json::json!({"lease_s": 600}).to_string();
                    let (status, _, answer) =
                        http_with(&addr, "POST", "/v1/review-queue/claims", &[&lines[0], &lines[1]], body.as_bytes());
                    match status {
                        204 => return given,
                        200 => {
                            let claim = json(&answer);
                            assert_eq!(claim["hold"]["officer_id"], officer, "{claim}");
                            given.push((claim["decision_id"].as_str().expect("id").to_owned(), officer));
                        }
                        _ => panic!("{officer} at {addr}: {status} {answer}"),
                    }
                }
                panic!("{officer} at {addr}: more claims than cases")
            })
        })
        .collect();
    let mut given: Vec<(String, &str)> = threads.into_iter().flat_map(|t| t.join().expect("a claimer")).collect();
    given.sort();
    let ids: Vec<String> = given.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(ids, open, "every open case given to exactly one officer, none twice: {given:?}");

    // A review by an officer who does not hold the case is refused, naming the holder; the holder's release frees it.
    let (case, holder) = given[0].clone();
    let other = officers.into_iter().find(|o| *o != holder).expect("another officer");
    let decline = serde_json::json!({"action": "decline", "reason": "not mine"}).to_string();
    let (status, refused) = http_as_at(&b, other, "POST", &format!("/v1/decisions/{case}/review"), decline.as_bytes());
    assert_eq!(status, 409, "{refused}");
    assert_eq!(error_of(&refused).0, "claimed", "{refused}");
    assert!(refused["error"]["message"].as_str().is_some_and(|m| m.contains(holder)), "{refused}");
    let lines = session(&a, other);
    let release = format!("/v1/review-queue/claims/{case}");
    let (status, _, answer) = http_with(&a, "DELETE", &release, &[&lines[0], &lines[1]], b"");
    assert_eq!(status, 409, "another officer's claim is not theirs to release: {answer}");
    let lines = session(&a, holder);
    let (status, _, answer) = http_with(&a, "DELETE", &release, &[&lines[0], &lines[1]], b"");
    assert_eq!(status, 204, "{answer}");
    let (status, declined) = http_as_at(&b, other, "POST", &format!("/v1/decisions/{case}/review"), decline.as_bytes());
    assert_eq!(status, 201, "released, the case is anyone's: {declined}");
    let trail = ok(&data, &["audit", "export", "--from", "2000-01-01", "--to", "2099-12-31"]);
    let claims = trail.lines().map(json).filter(|e| e["action"] == "decision.claim").count();
    assert_eq!(claims, open.len(), "one audit entry a claim");
}
