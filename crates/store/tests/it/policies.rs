//! The policy register on SQLite beyond the conformance suite: the schema refuses a self-approval and an edited
//! version even from raw statements.

use policy::lifecycle::PolicyStatus;
use store::conformance::{policy_version, run_policy};
use store::{PolicyRegister, SqliteStore};

#[tokio::test]
async fn the_schema_refuses_a_self_approval_and_edits_from_raw_statements() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path()).await.expect("store");
    let v = policy_version('a', "2026.1", "", "", "2026-01-01");
    let id = v.policy_id.clone();
    store.submit_policy(&v).await.expect("submit");
    // The schema refuses a self-approval even from a raw statement.
    let raw = format!(
        "INSERT INTO policy_status_changes (policy_id, seq, to_status, changed_by, changed_at, reason)
         VALUES ('{id}', 2, 'approved', 'risk.li', '2026-11-10T09:00:00Z', '')"
    );
    assert!(store.execute_raw(&raw).await.is_err());
    run_policy(&store, 'a').await;
    assert!(store.execute_raw("UPDATE policy_versions SET jdm_json = '{}'").await.is_err());
    let stored = store.policies(None).await.expect("list");
    assert_eq!(stored.len(), 1);
    assert_eq!((&stored[0].version, stored[0].status), (&v, PolicyStatus::Active), "the version is untouched");
    store.close().await;
}
