//! What every backend of [`IdentityStore`] must do: users that cannot be taken twice or look alike, sessions that
//! end with a password change or a disabled account, failure counts for throttling, keys that are revoked once,
//! and a version that moves with every user or key change.

use std::future::Future;

use domain::Timestamp;
use identity::{Branches, Permission, Role, Username};

use crate::StoreError;
use crate::identity::{ApiKeyRow, IdentityStore, LoginAttempt, LoginFailures, RecentFailures, SessionRow, UserRow};

/// `2026-12-07T09:MM:SS+08:00`: a minute and second of one morning.
pub fn at(minute: u32, second: u32) -> Timestamp {
    Timestamp::parse(&format!("2026-12-07T09:{minute:02}:{second:02}+08:00")).expect("valid timestamp")
}

/// An enabled user `name` with a syntactically valid hash, made at 09:00.
pub fn user_row(name: &str, role: Role) -> UserRow {
    UserRow {
        username: Username::parse(name).expect("valid username"),
        display_name: format!("User {name}"),
        role,
        branches: Branches::parse("510311").expect("branch"),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA".to_owned(),
        enabled: true,
        created_at: at(0, 0),
        created_by: "os:root".to_owned(),
        updated_at: at(0, 0),
    }
}

/// A key `id` (12 hex digits) for the core banking system, expiring next year.
pub fn key_row(id: &str) -> ApiKeyRow {
    ApiKeyRow {
        id: id.to_owned(),
        name: "core banking".to_owned(),
        secret_digest: "ab".repeat(32),
        role: Role::System,
        only: vec![Permission::PostRepayments, Permission::ReadLoans],
        branches: Branches::All,
        created_at: at(0, 0),
        created_by: "user:admin".to_owned(),
        expires_at: Timestamp::parse("2027-12-07T09:00:00+08:00").expect("valid timestamp"),
        revoked_at: None,
        last_used_at: None,
    }
}

/// An open session of `username` under `digest_char` repeated, opened at 09:00 for 30 minutes idle, 12 hours in all.
pub fn session_row(digest_char: char, username: &str) -> SessionRow {
    SessionRow {
        digest: digest_char.to_string().repeat(64),
        username: Username::parse(username).expect("valid username"),
        address: "10.0.0.7".to_owned(),
        created_at: at(0, 0),
        idle_expires_at: at(30, 0),
        absolute_expires_at: Timestamp::parse("2026-12-07T21:00:00+08:00").expect("valid timestamp"),
        ended_at: None,
    }
}

fn attempt(username: &str, address: &str, at: Timestamp, succeeded: bool) -> LoginAttempt {
    LoginAttempt { username: username.to_owned(), address: address.to_owned(), at, succeeded }
}

/// Runs every check, each on a fresh store from `fresh`.
pub async fn check_identity<S, F, Fut>(fresh: F)
where
    S: IdentityStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    users_round_trip(fresh().await).await;
    taken_and_look_alike_usernames_are_refused(fresh().await).await;
    the_first_user_is_added_only_to_an_empty_register(fresh().await).await;
    disabling_and_new_passwords_end_sessions(fresh().await).await;
    sessions_touch_within_their_absolute_expiry_and_end_once(fresh().await).await;
    failures_count_per_account_since_its_last_success_and_per_address(fresh().await).await;
    keys_round_trip_and_are_revoked_once(fresh().await).await;
    key_use_is_recorded_forwards_only(fresh().await).await;
    the_version_moves_with_users_and_keys_only(fresh().await).await;
}

/// A user comes back field for field; lists are by username; counts count disabled users.
pub async fn users_round_trip<S: IdentityStore>(store: S) {
    assert_eq!(store.user_count().await.expect("count"), 0);
    let bob = user_row("bob.chen", Role::LoanOfficer);
    let mut amy = user_row("amy", Role::Auditor);
    amy.branches = Branches::All;
    amy.enabled = false;
    store.add_user(&bob).await.expect("add bob");
    store.add_user(&amy).await.expect("add amy");
    assert_eq!(store.user(&bob.username).await.expect("read"), Some(bob.clone()));
    assert_eq!(store.user(&Username::parse("nobody").expect("valid")).await.expect("read"), None);
    assert_eq!(store.users().await.expect("list"), vec![amy, bob]);
    assert_eq!(store.user_count().await.expect("count"), 2);
}

/// The same username twice, or one that looks like an existing one, is refused and nothing is written.
pub async fn taken_and_look_alike_usernames_are_refused<S: IdentityStore>(store: S) {
    store.add_user(&user_row("modern", Role::LoanOfficer)).await.expect("add");
    let again = store.add_user(&user_row("modern", Role::Admin)).await;
    assert!(matches!(&again, Err(StoreError::UserExists(name)) if name == "modern"), "{again:?}");
    let alike = store.add_user(&user_row("rnodern", Role::Admin)).await;
    match &alike {
        Err(e @ StoreError::UserLooksLike { username, existing }) => {
            assert_eq!((username.as_str(), existing.as_str()), ("rnodern", "modern"));
            assert!(e.to_string().contains("looks like an existing account"), "{e}");
        }
        other => panic!("a look-alike must be refused: {other:?}"),
    }
    assert!(matches!(store.add_user(&user_row("m0d.ern", Role::Admin)).await, Err(StoreError::UserLooksLike { .. })));
    assert_eq!(store.user_count().await.expect("count"), 1, "nothing was written");
    let kept = store.user(&Username::parse("modern").expect("valid")).await.expect("read").expect("exists");
    assert_eq!(kept.role, Role::LoanOfficer);
}

/// The first user is added once; after that, and after any other user, it is refused and nothing is written.
pub async fn the_first_user_is_added_only_to_an_empty_register<S: IdentityStore>(store: S) {
    let admin = user_row("admin", Role::Admin);
    store.add_first_user(&admin).await.expect("the first");
    let second = store.add_first_user(&user_row("root", Role::Admin)).await;
    assert!(matches!(second, Err(StoreError::UsersExist)), "{second:?}");
    assert_eq!(store.users().await.expect("list"), vec![admin]);
    // The skeleton rule holds for the first user's path too, against a user added meanwhile.
    store.add_user(&user_row("bob", Role::LoanOfficer)).await.expect("add");
    assert!(matches!(store.add_first_user(&user_row("b0b", Role::Admin)).await, Err(StoreError::UsersExist)));
    assert_eq!(store.user_count().await.expect("count"), 2);
}

/// Disabling a user or setting a password ends their open sessions; others' sessions stay open.
pub async fn disabling_and_new_passwords_end_sessions<S: IdentityStore>(store: S) {
    let bob = user_row("bob", Role::LoanOfficer);
    store.add_user(&bob).await.expect("add");
    store.add_user(&user_row("amy", Role::LoanOfficer)).await.expect("add");
    store.create_session(&session_row('a', "bob")).await.expect("session");
    store.create_session(&session_row('b', "amy")).await.expect("session");
    store.set_user_enabled(&bob.username, false, at(5, 0)).await.expect("disable");
    let user = store.user(&bob.username).await.expect("read").expect("exists");
    assert!(!user.enabled);
    assert_eq!(user.updated_at, at(5, 0));
    let ended = store.session(&"a".repeat(64)).await.expect("read").expect("exists");
    assert_eq!(ended.ended_at, Some(at(5, 0)), "disabling ends the session");
    assert_eq!(store.session(&"b".repeat(64)).await.expect("read").expect("exists").ended_at, None);

    store.set_user_enabled(&bob.username, true, at(6, 0)).await.expect("enable");
    store.create_session(&session_row('c', "bob")).await.expect("session");
    store.set_password(&bob.username, "$argon2id$v=19$new", at(7, 0)).await.expect("set password");
    let user = store.user(&bob.username).await.expect("read").expect("exists");
    assert!(user.enabled);
    assert_eq!((user.password_hash.as_str(), user.updated_at), ("$argon2id$v=19$new", at(7, 0)));
    assert_eq!(store.session(&"c".repeat(64)).await.expect("read").expect("exists").ended_at, Some(at(7, 0)));

    let ghost = Username::parse("ghost").expect("valid");
    assert!(matches!(store.set_user_enabled(&ghost, false, at(8, 0)).await, Err(StoreError::UserNotFound(_))));
    assert!(matches!(store.set_password(&ghost, "$argon2id$x", at(8, 0)).await, Err(StoreError::UserNotFound(_))));
}

/// Touching moves idle expiry but never past the absolute one; ending is once; unknown digests read as none.
pub async fn sessions_touch_within_their_absolute_expiry_and_end_once<S: IdentityStore>(store: S) {
    store.add_user(&user_row("bob", Role::LoanOfficer)).await.expect("add");
    let session = session_row('d', "bob");
    store.create_session(&session).await.expect("session");
    assert_eq!(store.session(&session.digest).await.expect("read"), Some(session.clone()));
    assert_eq!(store.session(&"e".repeat(64)).await.expect("read"), None);
    store.touch_session(&session.digest, at(45, 0)).await.expect("touch");
    assert_eq!(store.session(&session.digest).await.expect("read").expect("exists").idle_expires_at, at(45, 0));
    let late = Timestamp::parse("2026-12-08T09:00:00+08:00").expect("valid");
    store.touch_session(&session.digest, late).await.expect("touch");
    let touched = store.session(&session.digest).await.expect("read").expect("exists");
    assert_eq!(touched.idle_expires_at, session.absolute_expires_at, "capped at the absolute expiry");
    store.end_session(&session.digest, at(50, 0)).await.expect("end");
    store.end_session(&session.digest, at(55, 0)).await.expect("end again");
    store.end_session(&"e".repeat(64), at(55, 0)).await.expect("end unknown");
    let ended = store.session(&session.digest).await.expect("read").expect("exists");
    assert_eq!(ended.ended_at, Some(at(50, 0)), "the first end stands");
    store.touch_session(&session.digest, at(59, 0)).await.expect("touch ended");
    assert_eq!(store.session(&session.digest).await.expect("read").expect("exists"), ended, "an ended one stays");
}

/// Account failures count since the later of `since` and the account's last success; address failures since
/// `since`, across accounts; instants compare across offsets.
pub async fn failures_count_per_account_since_its_last_success_and_per_address<S: IdentityStore>(store: S) {
    let none = store.login_failures("bob", "10.0.0.7", at(0, 0)).await.expect("count");
    assert_eq!(none, LoginFailures::default());
    for s in 0..3 {
        store.record_login(&attempt("bob", "10.0.0.7", at(1, s), false)).await.expect("record");
    }
    store.record_login(&attempt("bob", "10.0.0.8", at(2, 0), true)).await.expect("record");
    for s in 0..2 {
        store.record_login(&attempt("bob", "10.0.0.7", at(3, s), false)).await.expect("record");
    }
    store.record_login(&attempt("amy", "10.0.0.7", at(3, 30), false)).await.expect("record");
    // The same instant as 09:04:00+08:00, written in UTC.
    let utc = Timestamp::parse("2026-12-07T01:04:00Z").expect("valid");
    store.record_login(&attempt("amy", "10.0.0.9", utc, false)).await.expect("record");

    let f = store.login_failures("bob", "10.0.0.7", at(0, 0)).await.expect("count");
    assert_eq!(f, LoginFailures { account: 2, address: 6 }, "bob's count restarts at his success");
    let f = store.login_failures("bob", "10.0.0.7", at(3, 1)).await.expect("count");
    assert_eq!(f, LoginFailures { account: 1, address: 2 }, "only failures since the given time");
    let f = store.login_failures("amy", "10.0.0.9", at(4, 0)).await.expect("count");
    assert_eq!(f, LoginFailures { account: 1, address: 1 }, "instants, not texts, are compared");
    let f = store.login_failures("amy", "10.0.0.9", at(4, 1)).await.expect("count");
    assert_eq!(f, LoginFailures::default());

    let recent = store.recent_failures("bob", "10.0.0.7", at(0, 0), 10).await.expect("times");
    assert_eq!(
        recent,
        RecentFailures {
            account: vec![at(3, 0), at(3, 1)],
            address: vec![at(1, 0), at(1, 1), at(1, 2), at(3, 0), at(3, 1), at(3, 30)]
        },
        "the same failures as counted, oldest first"
    );
    let latest = store.recent_failures("bob", "10.0.0.7", at(0, 0), 2).await.expect("times");
    assert_eq!(latest.address, vec![at(3, 1), at(3, 30)], "the latest `limit`");
    let recent = store.recent_failures("amy", "10.0.0.9", at(4, 0), 10).await.expect("times");
    assert_eq!(recent.account, vec![utc]);
}

/// A key comes back field for field; ids are unique; revoking keeps the first time; unknown ids are named.
pub async fn keys_round_trip_and_are_revoked_once<S: IdentityStore>(store: S) {
    let key = key_row("0123456789ab");
    let mut later = key_row("ba9876543210");
    later.created_at = at(1, 0);
    later.only = Vec::new();
    later.role = Role::RiskManager;
    later.branches = Branches::parse("510311,510312").expect("branches");
    store.add_key(&later).await.expect("add");
    store.add_key(&key).await.expect("add");
    assert_eq!(store.api_key(&key.id).await.expect("read"), Some(key.clone()));
    assert_eq!(store.api_key("ffffffffffff").await.expect("read"), None);
    assert_eq!(store.api_keys().await.expect("list"), vec![key.clone(), later.clone()], "by creation time");
    let mut clash = key_row("0123456789ab");
    clash.name = "another".to_owned();
    assert!(matches!(store.add_key(&clash).await, Err(StoreError::KeyExists(id)) if id == key.id));
    assert_eq!(store.api_key(&key.id).await.expect("read").expect("exists").name, "core banking");

    store.revoke_key(&key.id, at(10, 0)).await.expect("revoke");
    store.revoke_key(&key.id, at(11, 0)).await.expect("revoke again");
    assert_eq!(store.api_key(&key.id).await.expect("read").expect("exists").revoked_at, Some(at(10, 0)));
    assert!(matches!(store.revoke_key("ffffffffffff", at(10, 0)).await, Err(StoreError::KeyNotFound(_))));
}

/// Last use moves forwards only, and unknown ids in a batch are skipped without failing it.
pub async fn key_use_is_recorded_forwards_only<S: IdentityStore>(store: S) {
    let key = key_row("0123456789ab");
    store.add_key(&key).await.expect("add");
    store.touch_keys(&[(key.id.clone(), at(5, 0)), ("ffffffffffff".to_owned(), at(5, 0))]).await.expect("touch");
    assert_eq!(store.api_key(&key.id).await.expect("read").expect("exists").last_used_at, Some(at(5, 0)));
    store.touch_keys(&[(key.id.clone(), at(4, 0))]).await.expect("touch");
    assert_eq!(store.api_key(&key.id).await.expect("read").expect("exists").last_used_at, Some(at(5, 0)));
    store.touch_keys(&[(key.id.clone(), at(6, 0))]).await.expect("touch");
    assert_eq!(store.api_key(&key.id).await.expect("read").expect("exists").last_used_at, Some(at(6, 0)));
}

/// The version changes on every user and key change and stays put when keys are only used.
pub async fn the_version_moves_with_users_and_keys_only<S: IdentityStore>(store: S) {
    let mut seen = vec![store.identity_version().await.expect("version")];
    let mut moved = async |what: &str, store: &S| {
        let v = store.identity_version().await.expect("version");
        assert!(!seen.contains(&v), "{what} must change the version (saw {seen:?}, now {v})");
        seen.push(v);
    };
    let bob = user_row("bob", Role::LoanOfficer);
    store.add_user(&bob).await.expect("add");
    moved("adding a user", &store).await;
    store.set_user_enabled(&bob.username, false, at(1, 0)).await.expect("disable");
    moved("disabling a user", &store).await;
    store.set_password(&bob.username, "$argon2id$v=19$x", at(2, 0)).await.expect("password");
    moved("a new password", &store).await;
    let key = key_row("0123456789ab");
    store.add_key(&key).await.expect("add key");
    moved("adding a key", &store).await;
    store.revoke_key(&key.id, at(3, 0)).await.expect("revoke");
    moved("revoking a key", &store).await;
    let before = store.identity_version().await.expect("version");
    store.touch_keys(&[(key.id.clone(), at(4, 0))]).await.expect("touch");
    store.record_login(&attempt("bob", "10.0.0.7", at(4, 0), false)).await.expect("record");
    assert_eq!(store.identity_version().await.expect("version"), before, "using a key is not a change");
}
