//! The model registry, the decision log and the policy register on PostgreSQL: their conformance suites (each
//! check on a fresh database), the schema's own guards, the same audit entries as SQLite for the same writes, and
//! the races that matter in them: one request id recorded twice at once, two promotions under one name, two moves
//! of one policy group.
//!
//! The cluster is `AGRIRISK_TEST_POSTGRES_URL` (`bash xtask/pg.sh run cargo test -p store`); without it these
//! tests pass after saying they were skipped, unless `AGRIRISK_REQUIRE_POSTGRES=1`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use audit::Entry;
use policy::lifecycle::PolicyStatus;
use scoring::lifecycle::ModelStatus;
use sqlx::Connection;
use store::conformance::audit::read_all;
use store::conformance::{self, decision_record, policy_version, ts};
use store::{
    AuditLog, DecisionLog, ModelRecord, ModelRegistry, PgStore, PolicyRegister, Recorded, SqliteStore, StoreError,
};
use workflow::Outcome;

use super::error_chain;

/// Databases made on the test cluster, each dropped when its test is done.
struct Databases {
    cluster_url: String,
    prefix: String,
    made: std::sync::Mutex<Vec<String>>,
}

static NEXT: AtomicU32 = AtomicU32::new(0);

/// The test cluster, or `None` after saying `test` was skipped (a failure when `AGRIRISK_REQUIRE_POSTGRES=1`).
fn databases(test: &str) -> Option<Databases> {
    let Some(url) = std::env::var("AGRIRISK_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty()) else {
        assert!(
            std::env::var("AGRIRISK_REQUIRE_POSTGRES").as_deref() != Ok("1"),
            "{test}: AGRIRISK_REQUIRE_POSTGRES=1 but AGRIRISK_TEST_POSTGRES_URL is not set"
        );
        eprintln!("{test}: skipped: AGRIRISK_TEST_POSTGRES_URL is not set (bash xtask/pg.sh run cargo test -p store)");
        return None;
    };
    let base = url.split('?').next().unwrap_or(&url).to_string();
    let (prefix, _) = base.rsplit_once('/').expect("a postgres:// URL naming a database");
    Some(Databases { prefix: format!("{prefix}/"), cluster_url: url, made: std::sync::Mutex::new(Vec::new()) })
}

impl Databases {
    /// A store on a new, empty database.
    async fn fresh(&self) -> PgStore {
        let name = format!("agririsk_dec_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let mut admin = sqlx::PgConnection::connect(&self.cluster_url).await.expect("connect to the cluster");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("create a database");
        self.made.lock().expect("not poisoned").push(name.clone());
        PgStore::open(&format!("{}{name}", self.prefix)).await.expect("open the store")
    }

    async fn drop_all(&self) {
        let names = std::mem::take(&mut *self.made.lock().expect("not poisoned"));
        let mut admin = sqlx::PgConnection::connect(&self.cluster_url).await.expect("connect to the cluster");
        for name in names {
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                .execute(&mut admin)
                .await
                .expect("drop a database");
        }
    }
}

fn model(n: u64, name: &str) -> ModelRecord {
    ModelRecord {
        id: format!("{n:064x}"),
        name: name.into(),
        kind: "gbdt".into(),
        format_version: 2,
        created_at: "2026-05-01T09:00:00.123456789+08:00".into(),
        artifact_json: format!(r#"{{"trees": [], "n": {n}}}"#),
    }
}

const AT: &str = "2026-05-02T10:00:00+08:00";

#[tokio::test]
async fn postgres_passes_the_registry_decision_and_policy_suites() {
    let Some(db) = databases("postgres_passes_the_registry_decision_and_policy_suites") else { return };
    let d = &db;
    conformance::check_registry(|| d.fresh()).await;
    conformance::check_decisions(|| d.fresh()).await;
    conformance::check_policies(|| d.fresh()).await;
    conformance::audit::check_record_counts(db.fresh().await).await;
    db.drop_all().await;
}

#[tokio::test]
async fn models_decisions_and_policies_cannot_be_edited_in_place_or_forged() {
    let Some(db) = databases("models_decisions_and_policies_cannot_be_edited_in_place_or_forged") else { return };
    let store = db.fresh().await;
    let (champion, candidate) = (model(1, "smallholder-pd"), model(2, "smallholder-pd"));
    for record in [&champion, &candidate] {
        store.register_model(record, AT, "analyst").await.expect("register");
    }
    store.set_model_status(&champion.id, ModelStatus::Champion, AT, "committee", "first").await.expect("promote");
    store.record_decision(&decision_record("D1", "req-1", 'a', Outcome::Approve)).await.expect("record");
    store.record_decision(&decision_record("D2", "req-2", 'b', Outcome::Decline)).await.expect("record");
    store.request_review("D2", "rr-1", &ts("2026-12-02T09:00:00+08:00"), "phone", "").await.expect("review");
    store.submit_policy(&policy_version('a', "2026.1", "", "", "2026-01-01")).await.expect("submit");
    let two = &candidate.id;
    let p = "a".repeat(64);
    for (sql, refusal) in [
        ("UPDATE models SET name = 'other'".to_string(), "immutable"),
        ("DELETE FROM models".into(), "never deleted"),
        ("TRUNCATE models CASCADE".into(), "never deleted"),
        ("UPDATE model_status_changes SET reason = 'rewritten'".into(), "append-only"),
        ("DELETE FROM model_status_changes".into(), "append-only"),
        ("TRUNCATE model_status_changes".into(), "append-only"),
        ("UPDATE decisions SET outcome = 'approve'".into(), "immutable"),
        ("DELETE FROM decisions".into(), "immutable"),
        ("TRUNCATE decisions CASCADE".into(), "immutable"),
        ("UPDATE review_requests SET note = 'x'".into(), "append-only"),
        ("DELETE FROM review_requests".into(), "append-only"),
        ("TRUNCATE review_requests".into(), "append-only"),
        ("UPDATE policy_versions SET region = '99'".into(), "immutable"),
        ("DELETE FROM policy_versions".into(), "immutable"),
        ("TRUNCATE policy_versions CASCADE".into(), "immutable"),
        ("UPDATE policy_status_changes SET changed_by = 'x'".into(), "append-only"),
        ("DELETE FROM policy_status_changes".into(), "append-only"),
        ("TRUNCATE policy_status_changes".into(), "append-only"),
        // Raw inserts cannot forge the lifecycle's chain, a second champion, a review of an approval or a
        // self-approval either.
        (
            format!("INSERT INTO model_status_changes VALUES ('{two}', 2, 'candidate', 'champion', 't', 'x', 'y')"),
            "one champion",
        ),
        (
            format!("INSERT INTO model_status_changes VALUES ('{two}', 3, 'candidate', 'retired', 't', 'x', 'y')"),
            "current status",
        ),
        (
            format!("INSERT INTO model_status_changes VALUES ('{two}', 2, 'challenger', 'retired', 't', 'x', 'y')"),
            "current status",
        ),
        (
            "INSERT INTO review_requests VALUES ('D1', 1, now(), 0, 'phone', '', 'rr-2')".into(),
            "only a declined or referred decision",
        ),
        (
            format!("INSERT INTO policy_status_changes VALUES ('{p}', 2, 'approved', 'risk.li', 't', 'x')"),
            "other than its author",
        ),
    ] {
        let err = store.execute_raw(&sql).await.expect_err("the schema refuses it");
        let text = error_chain(&err);
        assert!(text.contains(refusal), "{sql}: {text}");
    }
    assert_eq!(store.model_history(&champion.id).await.expect("history").len(), 2, "nothing changed");
    assert_eq!(store.model_history(two).await.expect("history").len(), 1);
    assert_eq!(store.review_requests("D2").await.expect("reviews").len(), 1);
    assert_eq!(store.policies(None).await.expect("policies").len(), 1);
    read_all(&store, 100).await.1.expect("the trail is intact");
    db.drop_all().await;
}

/// The same registry, decision and policy writes under the same actor and clock.
async fn write_the_registers<S: ModelRegistry + DecisionLog + PolicyRegister>(store: &S) {
    let (old, new) = (model(1, "smallholder-pd"), model(2, "smallholder-pd"));
    for record in [&old, &new] {
        store.register_model(record, AT, "analyst").await.expect("register");
    }
    store.set_model_status(&old.id, ModelStatus::Champion, AT, "committee", "first").await.expect("promote");
    store.set_model_status(&new.id, ModelStatus::Champion, AT, "committee", "better").await.expect("promote");
    let decided = decision_record("D1", "req-1", 'a', Outcome::Refer);
    store.record_decision(&decided).await.expect("record");
    assert_eq!(store.record_decision(&decided).await.expect("again"), Recorded::Existing(decided.clone()));
    store.request_review("D1", "rr-1", &ts("2026-12-02T09:00:00-05:00"), "branch", "please").await.expect("review");
    store.submit_policy(&policy_version('a', "2026.1", "3301", "planting", "2026-01-01")).await.expect("submit");
    conformance::run_policy(store, 'a').await;
}

#[tokio::test]
async fn the_same_writes_give_the_same_audit_entries_on_both_engines() {
    let Some(db) = databases("the_same_writes_give_the_same_audit_entries_on_both_engines") else { return };
    let clock: Arc<dyn domain::Clock + Send + Sync> =
        Arc::new(domain::FixedClock(domain::parse_date("2026-05-02").expect("date")));
    let pg = db.fresh().await.acting("user:alice", "10.0.0.7").with_clock(clock.clone());
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = SqliteStore::open(dir.path()).await.expect("open").acting("user:alice", "10.0.0.7").with_clock(clock);
    write_the_registers(&pg).await;
    write_the_registers(&sqlite).await;
    let (on_pg, verified): (Vec<Entry>, _) = read_all(&pg, 5).await;
    verified.expect("the PostgreSQL chain verifies");
    let on_sqlite = read_all(&sqlite, 100).await.0;
    let actions: Vec<&str> = on_pg.iter().map(|e| e.entry.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "model.register",
            "model.move",
            "model.register",
            "model.move",
            "model.move",
            "model.move",
            "model.move",
            "decision.record",
            "decision.review_request",
            "policy.submit",
            "policy.move",
            "policy.move",
        ],
        "one entry per write, none for the repeated decision"
    );
    assert_eq!(on_pg, on_sqlite, "entry for entry, hash for hash");
    // What each engine reads back is the same too.
    assert_eq!(pg.models(None).await.expect("models"), sqlite.models(None).await.expect("models"));
    assert_eq!(pg.decision("D1").await.expect("read"), sqlite.decision("D1").await.expect("read"));
    assert_eq!(pg.review_requests("D1").await.expect("read"), sqlite.review_requests("D1").await.expect("read"));
    assert_eq!(pg.policies(None).await.expect("read"), sqlite.policies(None).await.expect("read"));
    assert_eq!(pg.record_counts().await.expect("counts"), sqlite.record_counts().await.expect("counts"));
    // A decision written behind the store's back has no recording entry, and is named.
    pg.execute_raw(
        "INSERT INTO decisions SELECT 'D9', 'req-9', request_sha256, subject, outcome, policy_version, model_id,
                                      decided_at, decided_at_offset_s, record_json
         FROM decisions WHERE decision_id = 'D1'",
    )
    .await
    .expect("forge");
    assert_eq!(pg.unaudited_records(10).await.expect("anti-join"), ["decision:D9"]);
    db.drop_all().await;
}

#[tokio::test]
async fn two_writers_with_one_request_id_store_one_decision() {
    let Some(db) = databases("two_writers_with_one_request_id_store_one_decision") else { return };
    let store = db.fresh().await;
    for round in 0..10 {
        // A retried request: the same request twice at once, under two decision ids. One is stored; the other
        // writer is given it.
        let request = format!("req-same-{round}");
        let (a, b) = (
            decision_record(&format!("DA{round}"), &request, 'a', Outcome::Approve),
            decision_record(&format!("DB{round}"), &request, 'a', Outcome::Approve),
        );
        let (first, second) = tokio::join!(store.record_decision(&a), store.record_decision(&b));
        let (first, second) = (first.expect("first"), second.expect("second"));
        let stored = store.decision_for_request(&request).await.expect("read").expect("stored");
        assert!(stored == a || stored == b, "round {round}: {stored:?}");
        let mut outcomes = [first, second];
        outcomes.sort_by_key(|o| matches!(o, Recorded::Existing(_)));
        assert_eq!(outcomes, [Recorded::New, Recorded::Existing(stored.clone())], "round {round}");
        let other = if stored == a { &b } else { &a };
        assert_eq!(store.decision(other.decision_id.as_str()).await.expect("read"), None, "round {round}");

        // The same request id for two different requests at once: one is stored, the other refused.
        let request = format!("req-reused-{round}");
        let (c, d) = (
            decision_record(&format!("DC{round}"), &request, 'c', Outcome::Approve),
            decision_record(&format!("DD{round}"), &request, 'd', Outcome::Decline),
        );
        let (first, second) = tokio::join!(store.record_decision(&c), store.record_decision(&d));
        let outcomes = [first, second];
        assert_eq!(outcomes.iter().filter(|o| matches!(o, Ok(Recorded::New))).count(), 1, "{outcomes:?}");
        assert_eq!(
            outcomes
                .iter()
                .filter(|o| matches!(o, Err(StoreError::RequestReused { request_id }) if *request_id == request))
                .count(),
            1,
            "{outcomes:?}"
        );
    }
    // One review request sent twice at once: recorded once, the same request returned to both.
    store.record_decision(&decision_record("DR", "req-review", 'e', Outcome::Refer)).await.expect("record");
    let when = ts("2026-12-02T09:00:00+08:00");
    let (first, second) = tokio::join!(
        store.request_review("DR", "rr-once", &when, "phone", "please"),
        store.request_review("DR", "rr-once", &when, "phone", "please")
    );
    assert_eq!(first.expect("first"), second.expect("second"));
    assert_eq!(store.review_requests("DR").await.expect("read").len(), 1);
    // Two different review requests of one decision at once: both recorded, numbered 2 and 3 without a clash.
    let (first, second) = tokio::join!(
        store.request_review("DR", "rr-two-a", &when, "phone", "a"),
        store.request_review("DR", "rr-two-b", &when, "branch", "b")
    );
    let mut seqs = [first.expect("first").seq, second.expect("second").seq];
    seqs.sort_unstable();
    assert_eq!(seqs, [2, 3]);
    let numbered: Vec<u32> = store.review_requests("DR").await.expect("read").iter().map(|r| r.seq).collect();
    assert_eq!(numbered, [1, 2, 3]);
    let counts = store.record_counts().await.expect("counts");
    assert_eq!(counts.decisions, 21, "one per request id");
    let (entries, verified) = read_all(&store, 50).await;
    verified.expect("one chain");
    let recorded = entries.iter().filter(|e| e.entry.action == "decision.record").count();
    assert_eq!(recorded, 21, "one entry per stored decision, none for an answer or a refusal");
    assert!(store.unaudited_records(10).await.expect("anti-join").is_empty());
    db.drop_all().await;
}

#[tokio::test]
async fn two_promotions_under_one_name_at_once_leave_one_champion() {
    let Some(db) = databases("two_promotions_under_one_name_at_once_leave_one_champion") else { return };
    let store = db.fresh().await;
    let name = "smallholder-pd";
    for round in 0..8u64 {
        let (a, b) = (model(2 * round + 1, name), model(2 * round + 2, name));
        for record in [&a, &b] {
            store.register_model(record, AT, "analyst").await.expect("register");
        }
        let (first, second) = tokio::join!(
            store.set_model_status(&a.id, ModelStatus::Champion, AT, "committee", "a"),
            store.set_model_status(&b.id, ModelStatus::Champion, AT, "committee", "b")
        );
        let (first, second) = (first.expect("promote a"), second.expect("promote b"));
        let champions: Vec<String> = store
            .models(Some(name))
            .await
            .expect("list")
            .into_iter()
            .filter(|m| m.status == ModelStatus::Champion)
            .map(|m| m.id)
            .collect();
        assert_eq!(champions.len(), 1, "round {round}: {champions:?}");
        assert_eq!(store.champion(name).await.expect("champion").map(|m| m.id), Some(champions[0].clone()));
        // The later promotion demoted the earlier one (and the first of the round, from round 1 on, the previous
        // round's champion): each demotion once.
        let expected = if round == 0 { 3 } else { 4 };
        assert_eq!(first.len() + second.len(), expected, "round {round}: {first:?} {second:?}");
    }
    // The same model promoted twice at once: one change, the other a no-op.
    let c = model(100, name);
    store.register_model(&c, AT, "analyst").await.expect("register");
    let (first, second) = tokio::join!(
        store.set_model_status(&c.id, ModelStatus::Champion, AT, "committee", "c"),
        store.set_model_status(&c.id, ModelStatus::Champion, AT, "committee", "c")
    );
    let mut sizes = [first.expect("first").len(), second.expect("second").len()];
    sizes.sort_unstable();
    assert_eq!(sizes, [0, 2], "one promotion (and its demotion), one no-op");
    assert_eq!(store.model_history(&c.id).await.expect("history").len(), 2);
    read_all(&store, 50).await.1.expect("one chain");
    db.drop_all().await;
}

#[tokio::test]
async fn two_policy_moves_at_once_apply_one_at_a_time() {
    let Some(db) = databases("two_policy_moves_at_once_apply_one_at_a_time") else { return };
    let store = db.fresh().await;
    let at = "2026-12-01T00:00:00Z";
    for (round, (a, b)) in [('a', 'b'), ('c', 'd'), ('e', 'f'), ('1', '2')].into_iter().enumerate() {
        // Two active versions of one region and segment, both retired at once. Each alone may leave (the other is
        // active), but not both: the second mover sees the first's retirement and is refused, so the region and
        // segment keep an active version.
        let region = format!("33{round}");
        for id in [a, b] {
            let v = policy_version(id, &format!("{region}-{id}"), &region, "", "2026-01-01");
            store.submit_policy(&v).await.expect("submit");
            conformance::run_policy(&store, id).await;
        }
        let (a, b) = (a.to_string().repeat(64), b.to_string().repeat(64));
        let (first, second) = tokio::join!(
            store.move_policy(&a, PolicyStatus::Retired, "chief.wang", at, "both"),
            store.move_policy(&b, PolicyStatus::Retired, "chief.wang", at, "both")
        );
        let outcomes = [first, second];
        assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1, "round {round}: {outcomes:?}");
        assert!(outcomes.iter().any(|o| matches!(o, Err(StoreError::PolicyMove { .. }))), "{outcomes:?}");
        let active: Vec<_> = store
            .policies(None)
            .await
            .expect("list")
            .into_iter()
            .filter(|p| p.version.region == region && p.status == PolicyStatus::Active)
            .collect();
        assert_eq!(active.len(), 1, "round {round}: the region and segment keep one active version");
    }
    // One version moved two ways at once (approved → active, approved → shadow): the moves apply one after the
    // other, each from the status the other left, and a refusal is the lifecycle's, never a clash of two writers.
    for (round, id) in ['3', '4', '5', '6'].into_iter().enumerate() {
        let v = policy_version(id, &format!("both-ways-{round}"), &format!("44{round}"), "", "2026-01-01");
        store.submit_policy(&v).await.expect("submit");
        store.move_policy(&v.policy_id, PolicyStatus::Approved, "chief.wang", at, "ok").await.expect("approve");
        let (active, shadow) = tokio::join!(
            store.move_policy(&v.policy_id, PolicyStatus::Active, "chief.wang", at, "go"),
            store.move_policy(&v.policy_id, PolicyStatus::Shadow, "chief.wang", at, "watch")
        );
        for refused in [&active, &shadow].into_iter().filter_map(|o| o.as_ref().err()) {
            assert!(matches!(refused, StoreError::PolicyMove { .. }), "round {round}: {refused:?}");
        }
        let applied = usize::from(active.is_ok()) + usize::from(shadow.is_ok());
        assert!(applied >= 1, "round {round}: {active:?} {shadow:?}");
        let sql = format!("SELECT seq FROM policy_status_changes WHERE policy_id = '{}'", v.policy_id);
        let rows = store.execute_raw(&sql).await.expect("history");
        assert_eq!(rows, 2 + u64::try_from(applied).expect("small"), "round {round}: one row per applied move");
        let now = store.policies(None).await.expect("list").into_iter().find(|p| p.version.policy_id == v.policy_id);
        let expected = if active.is_ok() { PolicyStatus::Active } else { PolicyStatus::Shadow };
        assert_eq!(now.map(|p| p.status), Some(expected), "round {round}: active last whenever it applied");
    }
    read_all(&store, 50).await.1.expect("one chain");
    db.drop_all().await;
}

#[tokio::test]
async fn one_model_or_policy_submitted_twice_at_once_is_stored_once() {
    let Some(db) = databases("one_model_or_policy_submitted_twice_at_once_is_stored_once") else { return };
    let store = db.fresh().await;
    for round in 0..6u64 {
        // The same model twice: both are told it is a candidate, one history row is written.
        let record = model(round + 1, "smallholder-pd");
        let (first, second) =
            tokio::join!(store.register_model(&record, AT, "analyst"), store.register_model(&record, AT, "analyst"));
        assert_eq!(first.expect("first"), second.expect("second"), "round {round}");
        assert_eq!(store.model_history(&record.id).await.expect("history").len(), 1, "round {round}");
        // One id with two artifacts: one is stored, the other is a clash.
        let other = ModelRecord { artifact_json: "{}".into(), ..model(round + 100, "smallholder-pd") };
        let changed = ModelRecord { artifact_json: r#"{"changed":true}"#.into(), ..other.clone() };
        let (first, second) =
            tokio::join!(store.register_model(&other, AT, "analyst"), store.register_model(&changed, AT, "analyst"));
        let outcomes = [first, second];
        assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1, "round {round}: {outcomes:?}");
        assert!(outcomes.iter().any(|o| matches!(o, Err(StoreError::ModelClash(id)) if *id == other.id)));
    }
    // One policy label under two documents at once: one is stored, the other refused naming the label.
    let (a, b) =
        (policy_version('a', "2026.1", "", "", "2026-01-01"), policy_version('b', "2026.1", "", "", "2026-01-01"));
    let (first, second) = tokio::join!(store.submit_policy(&a), store.submit_policy(&b));
    let outcomes = [first, second];
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1, "{outcomes:?}");
    assert!(
        outcomes.iter().any(|o| matches!(o, Err(StoreError::InvalidPolicy { field: "version", .. }))),
        "{outcomes:?}"
    );
    // The same version twice at once: stored once, both told it is submitted.
    let c = policy_version('c', "2026.2", "", "", "2026-06-01");
    let (first, second) = tokio::join!(store.submit_policy(&c), store.submit_policy(&c));
    assert_eq!(first.expect("first"), second.expect("second"));
    assert_eq!(store.policies(None).await.expect("list").len(), 2);
    let (entries, verified) = read_all(&store, 50).await;
    verified.expect("one chain");
    let count = |action: &str| entries.iter().filter(|e| e.entry.action == action).count();
    assert_eq!((count("model.register"), count("policy.submit")), (12, 2), "one entry per stored row");
    db.drop_all().await;
}

/// Bytes per decision on PostgreSQL for `records` recorded one by one on a fresh database, after a `VACUUM`:
/// `pg_total_relation_size` (heap, TOAST, indexes) of `decisions` with `decision_records`, and of `audit_log`, over
/// the count; `None` without a test cluster.
pub async fn pg_bytes_per_decision(records: &[workflow::DecisionRecord]) -> Option<(f64, f64)> {
    let db = databases("decision_storage_figures")?;
    let store = db.fresh().await;
    for record in records {
        assert_eq!(store.record_decision(record).await.expect("record"), Recorded::New);
    }
    let sample = &records[records.len() / 2];
    let back = store.decision(sample.decision_id.as_str()).await.expect("read").expect("recorded");
    assert_eq!(back.record_json.as_str(), sample.record_json.as_str(), "read back byte-identical");
    store.execute_raw("VACUUM").await.expect("vacuum");
    let name = db.made.lock().expect("not poisoned").last().cloned().expect("a database");
    let mut connection = sqlx::PgConnection::connect(&format!("{}{name}", db.prefix)).await.expect("connect");
    // The packed records are in `decision_records` (none before packing).
    let (decisions, audit): (i64, i64) = sqlx::query_as(
        "SELECT pg_total_relation_size('decisions')
                + COALESCE(pg_total_relation_size(to_regclass('decision_records')), 0),
                pg_total_relation_size('audit_log')",
    )
    .fetch_one(&mut connection)
    .await
    .expect("sizes");
    connection.close().await.expect("close");
    store.close().await;
    db.drop_all().await;
    let n = records.len() as f64;
    Some((decisions as f64 / n, audit as f64 / n))
}

/// A decision stored as JSON text (as every one was before migration 0012) reads back unchanged beside a packed
/// one, and the packed records refuse raw edits and a second form.
#[tokio::test]
async fn decisions_stored_as_json_stay_readable_beside_packed_ones() {
    let Some(db) = databases("decisions_stored_as_json_stay_readable_beside_packed_ones") else { return };
    let store = db.fresh().await;
    let json = conformance::COUNTY_RECORD_JSON;
    let before = workflow::DecisionRecord {
        record_json: workflow::RecordJson::parse(json.to_string()).expect("JSON"),
        ..decision_record("D1", "req-1", 'a', Outcome::Decline)
    };
    let quoted = json.replace('\'', "''");
    store
        .execute_raw(&format!(
            "INSERT INTO decisions (decision_id, request_id, request_sha256, subject, outcome, policy_version,
                                    model_id, decided_at, decided_at_offset_s, record_json)
             VALUES ('D1', 'req-1', '{}', '{}', 'decline', '{}', '{}', '{}', 0, '{quoted}')",
            before.request_sha256,
            before.subject,
            before.policy_version,
            before.model_id.as_deref().expect("a model"),
            before.decided_at,
        ))
        .await
        .expect("a decision stored as JSON text");
    let after = workflow::DecisionRecord {
        record_json: before.record_json.clone(),
        ..decision_record("D2", "req-2", 'b', Outcome::Decline)
    };
    assert_eq!(store.record_decision(&after).await.expect("recorded"), Recorded::New);
    assert_eq!(store.decision("D1").await.expect("read"), Some(before.clone()), "the JSON text, as it was");
    assert_eq!(store.decision("D2").await.expect("read"), Some(after.clone()), "the packed record, as recorded");
    for (sql, refusal) in [
        ("UPDATE decision_records SET packed = '\\x0100'", "immutable"),
        ("DELETE FROM decision_records", "immutable"),
        ("TRUNCATE decision_records", "immutable"),
        ("INSERT INTO decision_records VALUES ('D1', '\\x0100')", "without its JSON"),
    ] {
        let err = store.execute_raw(sql).await.expect_err("the schema refuses it");
        let text = error_chain(&err);
        assert!(text.contains(refusal), "{sql}: {text}");
    }
    store.close().await;
    db.drop_all().await;
}

#[tokio::test]
async fn a_batch_of_decisions_answers_each_as_recording_them_one_after_another_would() {
    let Some(db) = databases("a_batch_of_decisions_answers_each_as_recording_them_one_after_another_would") else {
        return;
    };
    let store = db.fresh().await;
    let before = decision_record("D0", "req-0", 'a', Outcome::Approve);
    assert_eq!(store.record_decision(&before).await.expect("record"), Recorded::New);
    let acting = store::Acting { actor: "user:it".into(), origin: "127.0.0.1".into() };
    let queued = |r: &workflow::DecisionRecord| store::Queued::new(r.clone(), acting.clone());
    let new = decision_record("D1", "req-1", 'b', Outcome::Refer);
    let repeated = decision_record("D1b", "req-1", 'b', Outcome::Refer);
    let reused = decision_record("D2", "req-1", 'c', Outcome::Decline);
    let retried = decision_record("D0b", "req-0", 'a', Outcome::Approve);
    let taken = decision_record("D0", "req-3", 'd', Outcome::Approve);
    let later = decision_record("D4", "req-4", 'e', Outcome::Decline);
    let batch: Vec<store::Queued> =
        [&later, &new, &repeated, &reused, &retried, &taken].into_iter().map(queued).collect();
    let answers = store.record_decisions_as(&batch).await.expect("the batch");
    assert_eq!(answers.len(), 6);
    assert_eq!(answers[0].as_ref().expect("new"), &Recorded::New);
    assert_eq!(answers[1].as_ref().expect("new"), &Recorded::New);
    assert_eq!(answers[2].as_ref().expect("the same request"), &Recorded::Existing(new.clone()));
    assert!(matches!(answers[3], Err(StoreError::RequestReused { .. })), "{:?}", answers[3]);
    assert_eq!(answers[4].as_ref().expect("a retry"), &Recorded::Existing(before.clone()));
    assert!(matches!(answers[5], Err(StoreError::DecisionTaken(_))), "{:?}", answers[5]);
    // What was stored reads back whole, with one audit entry each, by the actor that queued it.
    assert_eq!(store.decision("D1").await.expect("read"), Some(new));
    assert_eq!(store.decision("D4").await.expect("read"), Some(later));
    assert_eq!(store.decision("D1b").await.expect("read"), None);
    let (entries, verified) = read_all(&store, 100).await;
    assert!(verified.is_ok(), "the chain verifies: {verified:?}");
    let recorded: Vec<&Entry> = entries.iter().filter(|e| e.entry.action == "decision.record").collect();
    assert_eq!(recorded.len(), 3, "D0, then D4 and D1 of the batch");
    assert!(recorded[1..].iter().all(|e| e.entry.actor == "user:it"));
    db.drop_all().await;
}

#[tokio::test]
async fn a_batch_with_a_retry_in_it_falls_back_to_the_careful_path_and_writes_nothing_twice() {
    let Some(db) = databases("a_batch_with_a_retry_in_it_falls_back_to_the_careful_path_and_writes_nothing_twice")
    else {
        return;
    };
    let store = db.fresh().await;
    let acting = store::Acting { actor: "user:it".into(), origin: "127.0.0.1".into() };
    let queued = |r: &workflow::DecisionRecord| store::Queued::new(r.clone(), acting.clone());
    // All new: the one-statement path stores the three, their records and entries in the batch's order.
    let first: Vec<workflow::DecisionRecord> = [("D3", "req-3", 'c'), ("D1", "req-1", 'a'), ("D2", "req-2", 'b')]
        .into_iter()
        .map(|(d, r, h)| decision_record(d, r, h, Outcome::Refer))
        .collect();
    let answers = store.record_decisions_as(&first.iter().map(queued).collect::<Vec<_>>()).await.expect("batch");
    assert!(answers.iter().all(|a| matches!(a, Ok(Recorded::New))), "{answers:?}");
    // A retry of req-1 among new ones, no request id twice in the batch: the one statement is refused by the unique
    // request id and writes nothing; the careful path stores the new ones once and answers the retry.
    let new = decision_record("D4", "req-4", 'd', Outcome::Decline);
    let retried = decision_record("D1-again", "req-1", 'a', Outcome::Refer);
    let answers = store.record_decisions_as(&[queued(&new), queued(&retried)]).await.expect("batch");
    assert_eq!(answers[0].as_ref().expect("new"), &Recorded::New);
    assert_eq!(answers[1].as_ref().expect("a retry"), &Recorded::Existing(first[1].clone()));
    for record in first.iter().chain([&new]) {
        let id = record.decision_id.as_str();
        assert_eq!(store.decision(id).await.expect("read").as_ref(), Some(record), "{id} reads back whole");
    }
    assert_eq!(store.decision("D1-again").await.expect("read"), None);
    let (entries, verified) = read_all(&store, 100).await;
    assert!(verified.is_ok(), "the chain verifies: {verified:?}");
    let targets: Vec<&str> =
        entries.iter().filter(|e| e.entry.action == "decision.record").map(|e| e.entry.target.as_str()).collect();
    assert_eq!(targets, ["decision:D3", "decision:D1", "decision:D2", "decision:D4"], "one entry each, batch order");
    // The referrals are open for review: the triggers saw the one-statement inserts.
    let three_open = "DO $$ BEGIN IF (SELECT count(*) FROM review_open) <> 3 THEN
                          RAISE EXCEPTION 'review_open holds % cases', (SELECT count(*) FROM review_open);
                      END IF; END $$";
    store.execute_raw(three_open).await.expect("three referrals open");
    // Columns of different lengths are refused whole by either function, never padded with nulls.
    for call in [
        "SELECT * FROM audit_append(ARRAY['2026-12-01T09:00:00+08:00'], ARRAY[]::int[], ARRAY['a'], ARRAY['o'],
                                    ARRAY['x.y'], ARRAY['t'], ARRAY['ok'], ARRAY[NULL], ARRAY[NULL], ARRAY['{}'])",
        "SELECT * FROM record_decisions(ARRAY['D9'], ARRAY['req-9'], ARRAY[]::text[], ARRAY['H1'], ARRAY['refer'],
                                        ARRAY['p'], ARRAY[NULL], ARRAY['2026-12-01T09:00:00+08:00'], ARRAY[0],
                                        ARRAY['\\x0100'::bytea], ARRAY[]::text[], ARRAY[]::int[], ARRAY[]::text[],
                                        ARRAY[]::text[], ARRAY[]::text[], ARRAY[]::text[], ARRAY[]::text[],
                                        ARRAY[]::text[], ARRAY[]::text[], ARRAY[]::text[])",
    ] {
        let err = store.execute_raw(call).await.expect_err("refused");
        assert!(error_chain(&err).contains("differ in length"), "{call}: {}", error_chain(&err));
    }
    assert_eq!(store.decision("D9").await.expect("read"), None, "nothing written");
    db.drop_all().await;
}
