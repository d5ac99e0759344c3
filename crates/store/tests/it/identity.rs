//! The identity register on SQLite: the conformance suite, and the schema's own refusals — users and keys cannot
//! be deleted, a key cannot be edited or revoked twice, login attempts cannot be rewritten — even from raw
//! statements.

use identity::Role;
use store::conformance::identity::{at, check_identity, key_row, user_row};
use store::{IdentityStore, LoginAttempt};

#[tokio::test]
async fn sqlite_passes_the_identity_suite() {
    check_identity(super::fresh).await;
}

#[tokio::test]
async fn the_schema_keeps_users_keys_and_attempts_from_raw_statements() {
    let store = super::fresh().await;
    let bob = user_row("bob", Role::LoanOfficer);
    store.add_user(&bob).await.expect("add");
    let key = key_row("0123456789ab");
    store.add_key(&key).await.expect("add key");
    store
        .record_login(&LoginAttempt {
            username: "bob".into(),
            address: "10.0.0.7".into(),
            at: at(1, 0),
            succeeded: false,
        })
        .await
        .expect("record");
    let refused = [
        "DELETE FROM users",
        "UPDATE users SET username = 'rob'",
        "UPDATE users SET skeleton = 'x'",
        "DELETE FROM api_keys",
        "UPDATE api_keys SET secret_digest = 'cd' || substr(secret_digest, 3)",
        "UPDATE api_keys SET role = 'admin'",
        "UPDATE api_keys SET expires_at = '2099-01-01T00:00:00Z'",
        "DELETE FROM login_attempts",
        "UPDATE login_attempts SET succeeded = 1",
    ];
    for sql in refused {
        assert!(store.execute_raw(sql).await.is_err(), "the schema must refuse: {sql}");
    }
    store.revoke_key(&key.id, at(2, 0)).await.expect("revoke");
    assert!(store.execute_raw("UPDATE api_keys SET revoked_at = NULL").await.is_err(), "a revocation stands");
    assert_eq!(store.user(&bob.username).await.expect("read"), Some(bob));
    let stored = store.api_key(&key.id).await.expect("read").expect("exists");
    assert_eq!((stored.secret_digest, stored.role, stored.revoked_at), (key.secret_digest, key.role, Some(at(2, 0))));
    let failures = store.login_failures("bob", "10.0.0.7", at(0, 0)).await.expect("count");
    assert_eq!(failures.account, 1);
}
