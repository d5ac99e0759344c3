//! The policy register on SQLite: maker-checker, the lifecycle, immutability and dispatch by region, segment and
//! effective date.

use store::{PolicyRegister, PolicyStatus, PolicyVersion, SqliteStore, StoreError};

fn version(id: char, label: &str, region: &str, segment: &str, from: &str) -> PolicyVersion {
    PolicyVersion {
        policy_id: id.to_string().repeat(64),
        name: "rural-microcredit".to_string(),
        version: label.to_string(),
        region: region.to_string(),
        segment: segment.to_string(),
        effective_from: from.to_string(),
        submitted_by: "risk.li".to_string(),
        submitted_at: format!("2026-11-0{}T08:00:00Z", label.len() % 9 + 1),
        jdm_json: format!(r#"{{"nodes":[],"edges":[],"label":"{label}"}}"#),
    }
}

async fn run(store: &SqliteStore, id: char) {
    let id = id.to_string().repeat(64);
    store
        .move_policy(&id, PolicyStatus::Approved, "chief.wang", "2026-11-10T09:00:00Z", "reviewed")
        .await
        .expect("approve");
    store
        .move_policy(&id, PolicyStatus::Active, "chief.wang", "2026-11-10T09:05:00Z", "go live")
        .await
        .expect("activate");
}

#[tokio::test]
async fn a_policy_runs_only_after_a_second_person_approves_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).await.expect("store");
    let v = version('a', "2026.1", "", "", "2026-01-01");
    let id = v.policy_id.clone();
    assert_eq!(store.submit_policy(&v).await.expect("submit").status, PolicyStatus::Submitted);
    assert_eq!(store.submit_policy(&v).await.expect("same again").status, PolicyStatus::Submitted);
    let early = store.move_policy(&id, PolicyStatus::Active, "chief.wang", "2026-11-10T09:00:00Z", "").await;
    assert!(matches!(early, Err(StoreError::IllegalPolicyMove { .. })), "{early:?}");
    let self_approved = store.move_policy(&id, PolicyStatus::Approved, "risk.li", "2026-11-10T09:00:00Z", "").await;
    assert!(matches!(self_approved, Err(StoreError::IllegalPolicyMove { .. })), "{self_approved:?}");
    // The schema refuses it even from a raw statement.
    let raw = format!(
        "INSERT INTO policy_status_changes (policy_id, seq, to_status, changed_by, changed_at, reason)
         VALUES ('{id}', 2, 'approved', 'risk.li', '2026-11-10T09:00:00Z', '')"
    );
    assert!(store.execute_raw(&raw).await.is_err());
    run(&store, 'a').await;
    // The last active version of its region and segment does not leave without a successor.
    let alone = store.move_policy(&id, PolicyStatus::Retired, "chief.wang", "2026-12-01T00:00:00Z", "").await;
    assert!(matches!(alone, Err(StoreError::IllegalPolicyMove { to: PolicyStatus::Retired, .. })), "{alone:?}");
    let shadowed = store.move_policy(&id, PolicyStatus::Shadow, "chief.wang", "2026-12-01T00:00:00Z", "").await;
    assert!(matches!(shadowed, Err(StoreError::IllegalPolicyMove { .. })), "{shadowed:?}");
    let successor = version('c', "2026.2", "", "", "2026-06-01");
    store.submit_policy(&successor).await.expect("submit the successor");
    run(&store, 'c').await;
    store
        .move_policy(&id, PolicyStatus::Retired, "chief.wang", "2026-12-01T00:00:00Z", "replaced")
        .await
        .expect("retire");
    let back = store.move_policy(&id, PolicyStatus::Active, "chief.wang", "2026-12-02T00:00:00Z", "").await;
    assert!(matches!(back, Err(StoreError::IllegalPolicyMove { .. })), "retired is final");
    assert!(store.execute_raw("UPDATE policy_versions SET jdm_json = '{}'").await.is_err());
    // Another document under a taken version label is refused, naming the field.
    let clash = PolicyVersion { policy_id: "b".repeat(64), ..v };
    assert!(matches!(store.submit_policy(&clash).await, Err(StoreError::InvalidPolicy { field: "version", .. })));
    store.close().await;
}

#[tokio::test]
async fn dispatch_picks_the_most_specific_active_version_in_effect() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).await.expect("store");
    for v in [
        version('a', "base", "", "", "2026-01-01"),
        version('b', "base-2027", "", "", "2027-01-01"),
        version('c', "county-livestock", "990102", "livestock", "2026-06-01"),
        version('d', "shadow-only", "99", "", "2026-01-01"),
    ] {
        store.submit_policy(&v).await.expect("submit");
    }
    for id in ['a', 'b', 'c'] {
        run(&store, id).await;
    }
    let d = "d".repeat(64);
    store.move_policy(&d, PolicyStatus::Approved, "chief.wang", "2026-11-10T09:00:00Z", "").await.expect("approve");
    store.move_policy(&d, PolicyStatus::Shadow, "chief.wang", "2026-11-10T09:00:00Z", "").await.expect("shadow");
    let pick = |region: &'static str, segment: &'static str, on: &'static str| {
        let store = store.clone();
        async move {
            store
                .dispatch_policy("rural-microcredit", region, segment, on)
                .await
                .expect("dispatch")
                .map(|p| p.version.version)
        }
    };
    assert_eq!(pick("990101", "planting", "2026-07-01").await.as_deref(), Some("base"));
    assert_eq!(pick("990102", "livestock", "2026-07-01").await.as_deref(), Some("county-livestock"));
    assert_eq!(pick("990102", "livestock", "2026-05-31").await.as_deref(), Some("base"), "not yet in effect");
    assert_eq!(pick("990102", "planting", "2026-07-01").await.as_deref(), Some("base"), "another segment");
    assert_eq!(pick("990101", "planting", "2027-02-01").await.as_deref(), Some("base-2027"));
    assert_eq!(pick("990101", "planting", "2025-12-31").await, None, "nothing in effect yet");
    store.close().await;
}
