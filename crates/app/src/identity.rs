//! Who is calling: users and their passwords, API keys, sign-in with throttling and lockout, and sessions.
//!
//! The rules live here; the store keeps rows ([`IdentityStore`]) and the pure crate `identity` parses usernames,
//! hashes passwords and makes tokens. Times and random bytes come in as arguments: the edges read the clock and
//! the operating system's random source.
//!
//! Sign-in: 5 failures for one account within 15 minutes lock it for 15 minutes from the fifth; 20 failures from
//! one address within 15 minutes refuse that address for 15 minutes from the twentieth. An attempt refused by a
//! lock is recorded as a failure too, so guessing on through a lock keeps it locked. The refusal says how many
//! seconds remain (`Retry-After`). A disabled account, an unknown username and a wrong password get the one
//! answer, `unauthenticated`, after the same work (an unknown username is checked against a dummy hash). Every
//! attempt is recorded. A session lasts 30 minutes from its last use and 12 hours at most; every sign-in makes a
//! new token.

use std::fmt;

use domain::Timestamp;
use identity::{
    Actor, ApiKeyToken, Branches, Permission, Principal, Role, SessionToken, Username, check_password, digest_matches,
    hash_password, secret_digest, verify_dummy, verify_password,
};
use serde::Serialize;
use store::{ApiKeyRow, IdentityStore, LoginAttempt, SessionRow, StoreError, UserRow};

use crate::error::{Error, ErrorCode};

/// Failures for one account that lock it.
pub const ACCOUNT_FAILURES: u32 = 5;
/// Failures from one address that refuse it.
pub const ADDRESS_FAILURES: u32 = 20;
/// The window failures are counted in, and how long a lock lasts.
pub const FAILURE_WINDOW_SECS: i64 = 15 * 60;
/// The most recent failures read per sign-in: enough to find every lock still running.
const RECENT_FAILURES: u32 = 64;
/// A session ends this long after its last use.
pub const SESSION_IDLE_SECS: i64 = 30 * 60;
/// A session ends this long after sign-in, however busy.
pub const SESSION_ABSOLUTE_SECS: i64 = 12 * 60 * 60;
/// The longest an API key may live.
pub const KEY_MAX_DAYS: i64 = 400;
/// The longest display name or key name.
pub const NAME_MAX_CHARS: usize = 64;
/// A session's idle expiry is written again only when it would move by at least this much, so a busy session
/// does not write on every request.
const TOUCH_GRANULARITY_SECS: i64 = 60;

/// Why a caller is not let in. Every variant but [`AuthError::Internal`] is the caller's; the first three say
/// nothing about which part of the credentials was wrong.
#[derive(Debug)]
pub enum AuthError {
    /// No valid credentials (wrong or unknown username or password, disabled account, bad, expired, ended or
    /// revoked session or key).
    Unauthenticated,
    /// The account has too many recent failures.
    AccountLocked {
        /// Seconds until it may try again.
        retry_after_secs: u64,
    },
    /// The address has too many recent failures.
    TooManyAttempts {
        /// Seconds until it may try again.
        retry_after_secs: u64,
    },
    /// The store failed.
    Internal(Error),
}

impl AuthError {
    /// The code of the table this answer is given with.
    pub fn code(&self) -> ErrorCode {
        match self {
            AuthError::Unauthenticated => ErrorCode::Unauthenticated,
            AuthError::AccountLocked { .. } => ErrorCode::AccountLocked,
            AuthError::TooManyAttempts { .. } => ErrorCode::TooManyAttempts,
            AuthError::Internal(e) => e.code(),
        }
    }

    /// Seconds a throttled caller should wait (`Retry-After`).
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            AuthError::AccountLocked { retry_after_secs } | AuthError::TooManyAttempts { retry_after_secs } => {
                Some(*retry_after_secs)
            }
            _ => None,
        }
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::Unauthenticated => {
                f.write_str("not signed in: wrong username or password, or no valid session or key")
            }
            AuthError::AccountLocked { retry_after_secs } => {
                write!(f, "too many failed sign-ins for this account; try again in {retry_after_secs} s")
            }
            AuthError::TooManyAttempts { retry_after_secs } => {
                write!(f, "too many failed sign-ins from this address; try again in {retry_after_secs} s")
            }
            AuthError::Internal(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for AuthError {}

impl From<StoreError> for AuthError {
    fn from(e: StoreError) -> AuthError {
        AuthError::Internal(e.into())
    }
}

impl From<AuthError> for Error {
    fn from(e: AuthError) -> Error {
        match e {
            AuthError::Internal(inner) => inner,
            other => Error::whole(other.code(), &other),
        }
    }
}

/// A user as shown: everything but the password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserView {
    /// The username.
    pub username: String,
    /// The name shown.
    pub display_name: String,
    /// Their role.
    pub role: Role,
    /// Their branches (`*` for all).
    pub branches: String,
    /// Whether they may sign in.
    pub enabled: bool,
    /// When the account was made.
    pub created_at: Timestamp,
    /// By whom.
    pub created_by: String,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl From<&UserRow> for UserView {
    fn from(u: &UserRow) -> UserView {
        UserView {
            username: u.username.to_string(),
            display_name: u.display_name.clone(),
            role: u.role,
            branches: u.branches.to_string(),
            enabled: u.enabled,
            created_at: u.created_at,
            created_by: u.created_by.clone(),
            updated_at: u.updated_at,
        }
    }
}

/// A key as shown: everything but the secret's digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyView {
    /// The public id.
    pub id: String,
    /// What it is for.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// The permissions it is narrowed to (empty: the whole role).
    pub only: Vec<Permission>,
    /// Its branches (`*` for all).
    pub branches: String,
    /// When it was made.
    pub created_at: Timestamp,
    /// By whom.
    pub created_by: String,
    /// When it stops working.
    pub expires_at: Timestamp,
    /// When it was revoked.
    pub revoked_at: Option<Timestamp>,
    /// When it was last used, as last recorded.
    pub last_used_at: Option<Timestamp>,
}

impl From<&ApiKeyRow> for KeyView {
    fn from(k: &ApiKeyRow) -> KeyView {
        KeyView {
            id: k.id.clone(),
            name: k.name.clone(),
            role: k.role,
            only: k.only.clone(),
            branches: k.branches.to_string(),
            created_at: k.created_at,
            created_by: k.created_by.clone(),
            expires_at: k.expires_at,
            revoked_at: k.revoked_at,
            last_used_at: k.last_used_at,
        }
    }
}

/// A user to add, as the caller states it.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The username as typed; normalised here.
    pub username: String,
    /// The name shown; the username when empty.
    pub display_name: String,
    /// Their role (not `system`: systems use keys).
    pub role: Role,
    /// Their branches; a branch-bound role needs a list, not `*`.
    pub branches: Branches,
    /// The password.
    pub password: String,
}

/// A key to create, as the caller states it.
#[derive(Debug, Clone)]
pub struct NewKey {
    /// What it is for.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// The permissions it is narrowed to, within its role; a `system` key must list them.
    pub only: Vec<Permission>,
    /// Its branches.
    pub branches: Branches,
    /// When it stops working: after `now`, at most [`KEY_MAX_DAYS`] later.
    pub expires_at: Timestamp,
}

/// A key as issued: its id and the token, which is shown this once and never again.
#[derive(Debug, Clone)]
pub struct CreatedKey {
    /// The public id.
    pub id: String,
    /// The whole token, `agr_<id>_<secret>`.
    pub token: String,
}

/// A sign-in: the session's token (for the cookie), its CSRF token, who signed in and when the session ends.
#[derive(Debug, Clone)]
pub struct Login {
    /// The session token's text.
    pub token: String,
    /// The CSRF token derived from it.
    pub csrf: String,
    /// Who signed in.
    pub principal: Principal,
    /// The session ends unless used before this.
    pub idle_expires_at: Timestamp,
    /// The session ends at this time whatever happens.
    pub absolute_expires_at: Timestamp,
}

fn plus_secs(at: Timestamp, secs: i64) -> Timestamp {
    Timestamp::from_instant(at.instant() + chrono::Duration::seconds(secs))
}

fn username(text: &str) -> Result<Username, Error> {
    Username::parse(text).map_err(|e| Error::coded(ErrorCode::InvalidUsername, "username", e))
}

/// A name for people: trimmed, 1 to [`NAME_MAX_CHARS`] characters, no control characters.
fn name_text(field: &str, text: &str) -> Result<String, Error> {
    let text = text.trim();
    let chars = text.chars().count();
    if chars == 0 || chars > NAME_MAX_CHARS {
        return Err(Error::input(field, format!("must be 1 to {NAME_MAX_CHARS} characters, not {chars}")));
    }
    if text.chars().any(char::is_control) {
        return Err(Error::input(field, "must not contain control characters"));
    }
    Ok(text.to_owned())
}

fn password_hash(name: &Username, password: &str, salt: [u8; 16]) -> Result<String, Error> {
    let weak = |e| Error::coded(ErrorCode::WeakPassword, "password", e);
    check_password(name, password).map_err(weak)?;
    hash_password(password, salt).map_err(weak)
}

fn user_principal(user: &UserRow) -> Principal {
    Principal {
        actor: Actor::User(user.username.to_string()),
        role: user.role,
        branches: user.branches.clone(),
        only: None,
    }
}

/// The first administrator, of every branch; refused once any user exists. `by` is who ran it (the operating-system
/// user at the command line).
pub async fn init<S: IdentityStore>(
    store: &S,
    username_text: &str,
    display_name: &str,
    password: &str,
    by: &Actor,
    now: Timestamp,
    salt: [u8; 16],
) -> Result<UserView, Error> {
    let exist = || {
        Error::coded(
            ErrorCode::UserExists,
            "admin",
            "users exist already; init makes only the first administrator (use `user add`)",
        )
    };
    // Checked first so a second init is refused before any hashing; checked again in the store's transaction.
    if store.user_count().await? > 0 {
        return Err(exist());
    }
    let user = NewUser {
        username: username_text.to_owned(),
        display_name: display_name.to_owned(),
        role: Role::Admin,
        branches: Branches::All,
        password: password.to_owned(),
    };
    let row = user_row(&user, by, now, salt)?;
    match store.add_first_user(&row).await {
        Err(StoreError::UsersExist) => Err(exist()),
        other => other.map_err(Error::from),
    }?;
    Ok(UserView::from(&row))
}

/// Adds a user.
pub async fn add_user<S: IdentityStore>(
    store: &S,
    user: &NewUser,
    by: &Actor,
    now: Timestamp,
    salt: [u8; 16],
) -> Result<UserView, Error> {
    let row = user_row(user, by, now, salt)?;
    store.add_user(&row).await?;
    Ok(UserView::from(&row))
}

/// A new user's row, every rule checked and the password hashed.
fn user_row(user: &NewUser, by: &Actor, now: Timestamp, salt: [u8; 16]) -> Result<UserRow, Error> {
    let name = username(&user.username)?;
    let display_name = if user.display_name.trim().is_empty() {
        name.to_string()
    } else {
        name_text("display_name", &user.display_name)?
    };
    if user.role == Role::System {
        return Err(Error::input("role", "system is for API keys; a person holds another role"));
    }
    if user.role.branch_bound() && user.branches == Branches::All {
        return Err(Error::input("branches", format!("a {} works within branches: list their codes", user.role)));
    }
    let row = UserRow {
        password_hash: password_hash(&name, &user.password, salt)?,
        username: name,
        display_name,
        role: user.role,
        branches: user.branches.clone(),
        enabled: true,
        created_at: now,
        created_by: by.to_string(),
        updated_at: now,
    };
    Ok(row)
}

/// Disables a user and ends their sessions.
pub async fn disable_user<S: IdentityStore>(store: &S, username_text: &str, now: Timestamp) -> Result<(), Error> {
    Ok(store.set_user_enabled(&username(username_text)?, false, now).await?)
}

/// Enables a user again.
pub async fn enable_user<S: IdentityStore>(store: &S, username_text: &str, now: Timestamp) -> Result<(), Error> {
    Ok(store.set_user_enabled(&username(username_text)?, true, now).await?)
}

/// Sets a new password and ends the user's sessions.
pub async fn reset_password<S: IdentityStore>(
    store: &S,
    username_text: &str,
    password: &str,
    now: Timestamp,
    salt: [u8; 16],
) -> Result<(), Error> {
    let name = username(username_text)?;
    if store.user(&name).await?.is_none() {
        return Err(Error::coded(ErrorCode::UnknownUser, "username", format!("user {name} not found")));
    }
    let hash = password_hash(&name, password, salt)?;
    Ok(store.set_password(&name, &hash, now).await?)
}

/// Every user, by username, without password hashes.
pub async fn list_users<S: IdentityStore>(store: &S) -> Result<Vec<UserView>, Error> {
    Ok(store.users().await?.iter().map(UserView::from).collect())
}

/// Creates an API key from 6 random bytes of id and 32 of secret; returns the token to show once.
pub async fn create_key<S: IdentityStore>(
    store: &S,
    key: &NewKey,
    created_by: &Actor,
    now: Timestamp,
    id_bytes: [u8; 6],
    secret: [u8; 32],
) -> Result<CreatedKey, Error> {
    let name = name_text("name", &key.name)?;
    if key.role == Role::System && key.only.is_empty() {
        return Err(Error::input("only", "a system key must list the permissions it is narrowed to"));
    }
    if let Some(p) = key.only.iter().find(|p| !key.role.grants(**p)) {
        return Err(Error::input("only", format!("role {} is not granted {p}", key.role)));
    }
    if key.expires_at <= now {
        return Err(Error::coded(ErrorCode::OutOfRange, "expires_at", "must be after now"));
    }
    if key.expires_at > plus_secs(now, KEY_MAX_DAYS * 24 * 60 * 60) {
        return Err(Error::coded(
            ErrorCode::OutOfRange,
            "expires_at",
            format!("must be at most {KEY_MAX_DAYS} days away"),
        ));
    }
    let mut only = key.only.clone();
    only.sort();
    only.dedup();
    let token = ApiKeyToken::new(id_bytes, secret);
    let row = ApiKeyRow {
        id: token.id().to_owned(),
        name,
        secret_digest: token.digest(),
        role: key.role,
        only,
        branches: key.branches.clone(),
        created_at: now,
        created_by: created_by.to_string(),
        expires_at: key.expires_at,
        revoked_at: None,
        last_used_at: None,
    };
    store.add_key(&row).await?;
    Ok(CreatedKey { id: row.id, token: token.expose() })
}

/// Revokes a key (a second revocation keeps the first time).
pub async fn revoke_key<S: IdentityStore>(store: &S, id: &str, now: Timestamp) -> Result<(), Error> {
    Ok(store.revoke_key(id, now).await?)
}

/// Every key, without secrets' digests.
pub async fn list_keys<S: IdentityStore>(store: &S) -> Result<Vec<KeyView>, Error> {
    Ok(store.api_keys().await?.iter().map(KeyView::from).collect())
}

/// Checks one presented secret against its key's row: the digest matches (in constant time), the key is not
/// revoked and not expired. Pure, so a server may keep the rows in memory.
pub fn key_principal(row: &ApiKeyRow, secret: &[u8; 32], now: Timestamp) -> Result<Principal, AuthError> {
    let matches = digest_matches(&row.secret_digest, &secret_digest(secret));
    // A revoked key is refused whatever its revocation time says (a clock behind the revoker's must not revive it).
    if !matches || row.revoked_at.is_some() || now >= row.expires_at {
        return Err(AuthError::Unauthenticated);
    }
    Ok(Principal {
        actor: Actor::Key(row.id.clone()),
        role: row.role,
        branches: row.branches.clone(),
        only: (!row.only.is_empty()).then(|| row.only.clone()),
    })
}

/// Authenticates a presented API key against the store and records its use.
pub async fn authenticate_key<S: IdentityStore>(
    store: &S,
    token: &str,
    now: Timestamp,
) -> Result<Principal, AuthError> {
    let (id, secret) = ApiKeyToken::parse(token).ok_or(AuthError::Unauthenticated)?;
    let row = store.api_key(&id).await?.ok_or(AuthError::Unauthenticated)?;
    let principal = key_principal(&row, &secret, now)?;
    store.touch_keys(&[(id, now)]).await?;
    Ok(principal)
}

/// Seconds left of the latest lock that `failures` (oldest first) set at `now`: any `count` of them within one
/// window lock for a window from the last of them. `None` when no lock runs.
fn lock_remaining(failures: &[Timestamp], count: u32, now: Timestamp) -> Option<u64> {
    let count = usize::try_from(count).ok().filter(|c| *c > 0)?;
    let until = failures
        .windows(count)
        .filter(|w| w[count - 1] <= plus_secs(w[0], FAILURE_WINDOW_SECS))
        .map(|w| plus_secs(w[count - 1], FAILURE_WINDOW_SECS))
        .max()?;
    let left = (until.instant() - now.instant()).num_seconds();
    u64::try_from(left).ok().filter(|s| *s > 0)
}

/// Signs in with a username and password from `address`, under the throttling and lockout rules, and opens a
/// session from 32 random bytes.
pub async fn login<S: IdentityStore>(
    store: &S,
    username_text: &str,
    password: &str,
    address: &str,
    now: Timestamp,
    random: [u8; 32],
) -> Result<Login, AuthError> {
    let name = Username::parse(username_text).ok();
    // An invalid username is recorded (and throttled) as typed, cut short.
    let recorded = name.as_ref().map_or_else(|| username_text.chars().take(64).collect(), Username::to_string);
    let failed = LoginAttempt { username: recorded.clone(), address: address.to_owned(), at: now, succeeded: false };
    // A lock set up to one window ago may still run; the failures that set it lie within two windows.
    let since = plus_secs(now, -2 * FAILURE_WINDOW_SECS);
    let recent = store.recent_failures(&recorded, address, since, RECENT_FAILURES).await?;
    if let Some(retry_after_secs) = lock_remaining(&recent.address, ADDRESS_FAILURES, now) {
        store.record_login(&failed).await?;
        return Err(AuthError::TooManyAttempts { retry_after_secs });
    }
    if let Some(retry_after_secs) = lock_remaining(&recent.account, ACCOUNT_FAILURES, now) {
        store.record_login(&failed).await?;
        return Err(AuthError::AccountLocked { retry_after_secs });
    }
    let user = match &name {
        Some(name) => store.user(name).await?,
        None => None,
    };
    let user = match user {
        // The hash is checked even for a disabled account, so the answer takes as long.
        Some(user) if verify_password(&user.password_hash, password) && user.enabled => user,
        Some(_) => {
            store.record_login(&failed).await?;
            return Err(AuthError::Unauthenticated);
        }
        None => {
            verify_dummy(password);
            store.record_login(&failed).await?;
            return Err(AuthError::Unauthenticated);
        }
    };
    store.record_login(&LoginAttempt { succeeded: true, ..failed }).await?;
    let token = SessionToken::new(random);
    let session = SessionRow {
        digest: token.digest(),
        username: user.username.clone(),
        address: address.to_owned(),
        created_at: now,
        idle_expires_at: plus_secs(now, SESSION_IDLE_SECS),
        absolute_expires_at: plus_secs(now, SESSION_ABSOLUTE_SECS),
        ended_at: None,
    };
    store.create_session(&session).await?;
    Ok(Login {
        token: token.expose(),
        csrf: token.csrf_token(),
        principal: user_principal(&user),
        idle_expires_at: session.idle_expires_at,
        absolute_expires_at: session.absolute_expires_at,
    })
}

/// The principal of a session token and its CSRF token; moves the session's idle expiry. An expired session is
/// ended on the way.
pub async fn session_principal<S: IdentityStore>(
    store: &S,
    token: &str,
    now: Timestamp,
) -> Result<(Principal, String), AuthError> {
    let token = SessionToken::parse(token).ok_or(AuthError::Unauthenticated)?;
    let digest = token.digest();
    let session = store.session(&digest).await?.ok_or(AuthError::Unauthenticated)?;
    if session.ended_at.is_some() {
        return Err(AuthError::Unauthenticated);
    }
    if now >= session.idle_expires_at || now >= session.absolute_expires_at {
        store.end_session(&digest, now).await?;
        return Err(AuthError::Unauthenticated);
    }
    let user = store.user(&session.username).await?.filter(|u| u.enabled).ok_or(AuthError::Unauthenticated)?;
    let idle = plus_secs(now, SESSION_IDLE_SECS).min(session.absolute_expires_at);
    if plus_secs(session.idle_expires_at, TOUCH_GRANULARITY_SECS) <= idle {
        store.touch_session(&digest, idle).await?;
    }
    Ok((user_principal(&user), token.csrf_token()))
}

/// Ends the session of `token`; an unknown or ended one is left as it is.
pub async fn logout<S: IdentityStore>(store: &S, token: &str, now: Timestamp) -> Result<(), AuthError> {
    if let Some(token) = SessionToken::parse(token) {
        store.end_session(&token.digest(), now).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::SqliteStore;

    const PASSWORD: &str = "a long enough secret";

    async fn fresh() -> SqliteStore {
        let dir = tempfile::tempdir().expect("temp dir").keep();
        SqliteStore::open(&dir).await.expect("open store")
    }

    fn t(text: &str) -> Timestamp {
        Timestamp::parse(text).expect("timestamp")
    }

    fn now() -> Timestamp {
        t("2026-12-07T09:00:00+08:00")
    }

    fn os() -> Actor {
        Actor::Os("root".to_owned())
    }

    fn officer(name: &str) -> NewUser {
        NewUser {
            username: name.to_owned(),
            display_name: String::new(),
            role: Role::LoanOfficer,
            branches: Branches::parse("510311").expect("branch"),
            password: PASSWORD.to_owned(),
        }
    }

    async fn with_officer(name: &str) -> SqliteStore {
        let store = fresh().await;
        add_user(&store, &officer(name), &os(), now(), [1; 16]).await.expect("add");
        store
    }

    #[tokio::test]
    async fn init_makes_one_admin_of_every_branch_and_only_once() {
        let store = fresh().await;
        let admin = init(&store, "Admin", "The Admin", PASSWORD, &os(), now(), [3; 16]).await.expect("init");
        assert_eq!((admin.username.as_str(), admin.role, admin.branches.as_str()), ("admin", Role::Admin, "*"));
        assert_eq!(admin.created_by, "os:root");
        let again = init(&store, "other", "", PASSWORD, &os(), now(), [3; 16]).await.expect_err("only once");
        assert_eq!(again.code(), ErrorCode::UserExists);
        let weak = init(&fresh().await, "admin", "", "short", &os(), now(), [3; 16]).await.expect_err("weak");
        assert_eq!((weak.code(), weak.field()), (ErrorCode::WeakPassword, Some("password")));
        assert!(!weak.to_string().contains("short"), "{weak}");
    }

    #[tokio::test]
    async fn users_are_checked_and_listed_without_hashes() {
        let store = with_officer("bob").await;
        let code = |r: Result<UserView, Error>| r.expect_err("refused").code();
        let bad_name = add_user(&store, &officer("b\u{200B}ob"), &os(), now(), [1; 16]).await;
        assert_eq!(code(bad_name), ErrorCode::InvalidUsername);
        assert_eq!(code(add_user(&store, &officer("BOB"), &os(), now(), [1; 16]).await), ErrorCode::UserExists);
        assert_eq!(code(add_user(&store, &officer("b0b"), &os(), now(), [1; 16]).await), ErrorCode::UserExists);
        let mut weak = officer("carol");
        weak.password = "carol's password".to_owned();
        assert_eq!(code(add_user(&store, &weak, &os(), now(), [1; 16]).await), ErrorCode::WeakPassword);
        let mut everywhere = officer("carol");
        everywhere.branches = Branches::All;
        assert_eq!(code(add_user(&store, &everywhere, &os(), now(), [1; 16]).await), ErrorCode::InvalidField);
        let mut system = officer("carol");
        system.role = Role::System;
        assert_eq!(code(add_user(&store, &system, &os(), now(), [1; 16]).await), ErrorCode::InvalidField);
        let users = list_users(&store).await.expect("list");
        assert_eq!(users.len(), 1);
        let json = serde_json::to_string(&users).expect("json");
        assert!(!json.contains("argon2"), "no hash in a list: {json}");
        assert_eq!(users[0].display_name, "bob");
    }

    #[tokio::test]
    async fn a_login_opens_a_rotated_session_with_a_csrf_token() {
        let store = with_officer("bob").await;
        let login1 = login(&store, "Bob", PASSWORD, "10.0.0.7", now(), [7; 32]).await.expect("login");
        assert_eq!(login1.principal.actor, Actor::User("bob".to_owned()));
        assert_eq!(login1.idle_expires_at, t("2026-12-07T09:30:00+08:00"));
        assert_eq!(login1.absolute_expires_at, t("2026-12-07T21:00:00+08:00"));
        let login2 = login(&store, "bob", PASSWORD, "10.0.0.7", now(), [8; 32]).await.expect("login");
        assert_ne!(login1.token, login2.token, "a new token at every sign-in");
        let (principal, csrf) = session_principal(&store, &login1.token, now()).await.expect("session");
        assert_eq!((principal, csrf), (login1.principal.clone(), login1.csrf.clone()));
        assert!(matches!(session_principal(&store, &"0".repeat(64), now()).await, Err(AuthError::Unauthenticated)));
        logout(&store, &login1.token, now()).await.expect("logout");
        assert!(matches!(session_principal(&store, &login1.token, now()).await, Err(AuthError::Unauthenticated)));
        assert!(session_principal(&store, &login2.token, now()).await.is_ok(), "the other session stays");
    }

    #[tokio::test]
    async fn sessions_expire_when_idle_and_after_twelve_hours() {
        let store = with_officer("bob").await;
        let s = login(&store, "bob", PASSWORD, "10.0.0.7", now(), [7; 32]).await.expect("login");
        // Used every 20 minutes, it lives; the idle expiry moves along.
        let mut at = now();
        for _ in 0..35 {
            at = plus_secs(at, 20 * 60);
            session_principal(&store, &s.token, at).await.expect("still alive");
        }
        assert_eq!(at, t("2026-12-07T20:40:00+08:00"));
        let past = t("2026-12-07T21:00:00+08:00");
        assert!(matches!(session_principal(&store, &s.token, past).await, Err(AuthError::Unauthenticated)));

        let idle = login(&store, "bob", PASSWORD, "10.0.0.7", now(), [9; 32]).await.expect("login");
        let late = t("2026-12-07T09:30:00+08:00");
        assert!(matches!(session_principal(&store, &idle.token, late).await, Err(AuthError::Unauthenticated)));
        let early = t("2026-12-07T09:29:00+08:00");
        assert!(
            matches!(session_principal(&store, &idle.token, early).await, Err(AuthError::Unauthenticated)),
            "an expired session was ended and stays ended"
        );
    }

    #[tokio::test]
    async fn wrong_unknown_and_disabled_answer_alike_and_every_attempt_is_recorded() {
        let store = with_officer("bob").await;
        let wrong = login(&store, "bob", "not the password", "10.0.0.7", now(), [1; 32]).await;
        let unknown = login(&store, "nobody", PASSWORD, "10.0.0.7", now(), [1; 32]).await;
        let invalid = login(&store, "no body!", PASSWORD, "10.0.0.7", now(), [1; 32]).await;
        disable_user(&store, "bob", now()).await.expect("disable");
        let disabled = login(&store, "bob", PASSWORD, "10.0.0.7", now(), [1; 32]).await;
        for r in [wrong, unknown, invalid, disabled] {
            let e = r.expect_err("refused");
            assert!(matches!(e, AuthError::Unauthenticated), "{e:?}");
            assert_eq!(Error::from(e).code(), ErrorCode::Unauthenticated);
        }
        let failures = store.login_failures("bob", "10.0.0.7", plus_secs(now(), -60)).await.expect("count");
        assert_eq!((failures.account, failures.address), (2, 4));
        enable_user(&store, "bob", now()).await.expect("enable");
        assert!(login(&store, "bob", PASSWORD, "10.0.0.7", now(), [1; 32]).await.is_ok());
    }

    #[tokio::test]
    async fn disabling_and_resetting_end_sessions() {
        let store = with_officer("bob").await;
        let s = login(&store, "bob", PASSWORD, "10.0.0.7", now(), [7; 32]).await.expect("login");
        disable_user(&store, "bob", now()).await.expect("disable");
        enable_user(&store, "bob", now()).await.expect("enable");
        assert!(matches!(session_principal(&store, &s.token, now()).await, Err(AuthError::Unauthenticated)));
        let s = login(&store, "bob", PASSWORD, "10.0.0.7", now(), [8; 32]).await.expect("login");
        reset_password(&store, "bob", "another long secret", now(), [2; 16]).await.expect("reset");
        assert!(matches!(session_principal(&store, &s.token, now()).await, Err(AuthError::Unauthenticated)));
        assert!(login(&store, "bob", PASSWORD, "10.0.0.7", now(), [1; 32]).await.is_err(), "the old password");
        assert!(login(&store, "bob", "another long secret", "10.0.0.7", now(), [1; 32]).await.is_ok());
        let missing = reset_password(&store, "ghost", PASSWORD, now(), [2; 16]).await.expect_err("unknown");
        assert_eq!(missing.code(), ErrorCode::UnknownUser);
        assert_eq!(disable_user(&store, "ghost", now()).await.expect_err("unknown").code(), ErrorCode::UnknownUser);
    }

    #[tokio::test]
    async fn five_failures_lock_the_account_for_fifteen_minutes() {
        let store = with_officer("bob").await;
        for i in 0..5 {
            let r = login(&store, "bob", "wrong password!", "10.0.0.7", plus_secs(now(), i * 60), [1; 32]).await;
            assert!(matches!(r, Err(AuthError::Unauthenticated)));
        }
        // Even the right password is refused while locked, from any address: 15 minutes from the fifth failure.
        let locked = login(&store, "bob", PASSWORD, "10.9.9.9", plus_secs(now(), 5 * 60), [1; 32]).await;
        let e = locked.expect_err("locked");
        assert!(matches!(e, AuthError::AccountLocked { .. }), "{e:?}");
        assert_eq!(e.retry_after_secs(), Some(14 * 60));
        assert_eq!(Error::from(e).code(), ErrorCode::AccountLocked);
        // Another account from the same address is not locked.
        add_user(&store, &officer("amy"), &os(), now(), [1; 16]).await.expect("add");
        assert!(login(&store, "amy", PASSWORD, "10.0.0.7", plus_secs(now(), 5 * 60), [2; 32]).await.is_ok());
        // The refused attempt at 5 minutes was a failure too: the lock runs 15 minutes from it, then ends.
        let during = login(&store, "bob", PASSWORD, "10.0.0.7", plus_secs(now(), 19 * 60), [3; 32]).await;
        assert_eq!(during.expect_err("still locked").retry_after_secs(), Some(60));
        let later = plus_secs(now(), 19 * 60 + 15 * 60);
        assert!(login(&store, "bob", PASSWORD, "10.0.0.7", later, [3; 32]).await.is_ok());
    }

    #[tokio::test]
    async fn a_lock_lasts_fifteen_minutes_from_the_fifth_failure_and_spread_failures_set_none() {
        let store = with_officer("bob").await;
        // Five failures over 16 minutes: never five within 15, so no lock.
        for minute in [0, 4, 8, 12, 16] {
            let r = login(&store, "bob", "wrong password!", "10.0.0.7", plus_secs(now(), minute * 60), [1; 32]).await;
            assert!(matches!(r, Err(AuthError::Unauthenticated)), "{minute}: {r:?}");
        }
        // The fifth within 15 minutes of the second (4, 8, 12, 16, 17) locks until 17 + 15 minutes, even after
        // the failure at 4 minutes has left the window.
        let r = login(&store, "bob", "wrong password!", "10.0.0.7", plus_secs(now(), 17 * 60), [1; 32]).await;
        assert!(matches!(r, Err(AuthError::Unauthenticated)), "{r:?}");
        let locked = login(&store, "bob", PASSWORD, "10.0.0.8", plus_secs(now(), 25 * 60), [1; 32]).await;
        assert_eq!(locked.expect_err("locked").retry_after_secs(), Some(7 * 60));
    }

    #[test]
    fn locks_are_found_in_any_window_of_the_failures() {
        let at = |m: i64| plus_secs(now(), m * 60);
        let failures: Vec<Timestamp> = [0, 1, 2, 3, 4].into_iter().map(at).collect();
        assert_eq!(lock_remaining(&failures, 5, at(4)), Some(15 * 60));
        assert_eq!(lock_remaining(&failures, 5, at(19)), None);
        assert_eq!(lock_remaining(&failures[..4], 5, at(4)), None);
        let spread: Vec<Timestamp> = [0, 4, 8, 12, 16].into_iter().map(at).collect();
        assert_eq!(lock_remaining(&spread, 5, at(16)), None);
        assert_eq!(lock_remaining(&spread, 0, at(16)), None);
    }

    #[tokio::test]
    async fn twenty_failures_from_an_address_refuse_it() {
        let store = with_officer("bob").await;
        for i in 0..20 {
            let r = login(&store, &format!("user{i}"), PASSWORD, "10.6.6.6", plus_secs(now(), i), [1; 32]).await;
            assert!(matches!(r, Err(AuthError::Unauthenticated)));
        }
        let refused = login(&store, "bob", PASSWORD, "10.6.6.6", plus_secs(now(), 30), [1; 32]).await;
        let e = refused.expect_err("address refused");
        assert!(matches!(e, AuthError::TooManyAttempts { retry_after_secs: 889 }), "15 minutes from the 20th: {e:?}");
        assert!(login(&store, "bob", PASSWORD, "10.0.0.7", plus_secs(now(), 30), [1; 32]).await.is_ok());
    }

    fn system_key() -> NewKey {
        NewKey {
            name: "core banking".to_owned(),
            role: Role::System,
            only: vec![Permission::PostRepayments],
            branches: Branches::All,
            expires_at: t("2027-06-01T00:00:00+08:00"),
        }
    }

    #[tokio::test]
    async fn keys_are_shown_once_checked_in_constant_time_and_revocable() {
        let store = fresh().await;
        let admin = Actor::User("admin".to_owned());
        let key = create_key(&store, &system_key(), &admin, now(), [0xab; 6], [0x42; 32]).await.expect("create");
        assert_eq!(key.id, "abababababab");
        assert!(key.token.starts_with("agr_abababababab_"));
        let listed = list_keys(&store).await.expect("list");
        let json = serde_json::to_string(&listed).expect("json");
        assert!(!json.contains(&"42".repeat(32)) && !json.contains(&secret_digest(&[0x42; 32])), "{json}");

        let p = authenticate_key(&store, &key.token, now()).await.expect("authenticates");
        assert_eq!(p.actor, Actor::Key(key.id.clone()));
        assert!(p.may(Permission::PostRepayments) && !p.may(Permission::Disburse));
        assert_eq!(store.api_key(&key.id).await.expect("read").expect("exists").last_used_at, Some(now()));

        let forged = key.token.replace("_4242", "_4243");
        assert!(matches!(authenticate_key(&store, &forged, now()).await, Err(AuthError::Unauthenticated)));
        assert!(matches!(authenticate_key(&store, "agr_nonsense", now()).await, Err(AuthError::Unauthenticated)));
        let expired = t("2027-06-01T00:00:00+08:00");
        assert!(matches!(authenticate_key(&store, &key.token, expired).await, Err(AuthError::Unauthenticated)));
        revoke_key(&store, &key.id, now()).await.expect("revoke");
        assert!(matches!(authenticate_key(&store, &key.token, now()).await, Err(AuthError::Unauthenticated)));
        assert_eq!(revoke_key(&store, "ffffffffffff", now()).await.expect_err("unknown").code(), ErrorCode::UnknownKey);
    }

    #[tokio::test]
    async fn key_rules_are_enforced() {
        let store = fresh().await;
        let admin = Actor::User("admin".to_owned());
        let refused = async |key: NewKey| {
            let e = create_key(&store, &key, &admin, now(), [1; 6], [2; 32]).await.expect_err("refused");
            (e.code(), e.field().map(str::to_owned))
        };
        let unlisted = NewKey { only: Vec::new(), ..system_key() };
        assert_eq!(refused(unlisted).await, (ErrorCode::InvalidField, Some("only".to_owned())));
        let beyond = NewKey { only: vec![Permission::ManageUsers], ..system_key() };
        assert_eq!(refused(beyond).await, (ErrorCode::InvalidField, Some("only".to_owned())));
        let too_long = NewKey { expires_at: t("2028-01-12T09:00:01+08:00"), ..system_key() };
        assert_eq!(refused(too_long).await, (ErrorCode::OutOfRange, Some("expires_at".to_owned())));
        let past = NewKey { expires_at: now(), ..system_key() };
        assert_eq!(refused(past).await, (ErrorCode::OutOfRange, Some("expires_at".to_owned())));
        let unnamed = NewKey { name: " ".to_owned(), ..system_key() };
        assert_eq!(refused(unnamed).await, (ErrorCode::InvalidField, Some("name".to_owned())));
        assert!(list_keys(&store).await.expect("list").is_empty(), "nothing was written");
        // 400 days exactly is allowed; a risk manager's key may take the whole role.
        let whole = NewKey {
            role: Role::RiskManager,
            only: Vec::new(),
            expires_at: t("2028-01-11T09:00:00+08:00"),
            ..system_key()
        };
        create_key(&store, &whole, &admin, now(), [1; 6], [2; 32]).await.expect("whole role");
        let p = authenticate_key(&store, &ApiKeyToken::new([1; 6], [2; 32]).expose(), now()).await.expect("auth");
        assert_eq!(p.only, None);
        assert!(p.may(Permission::MovePolicies));
    }

    #[test]
    fn key_principal_is_a_pure_check_of_one_row() {
        let token = ApiKeyToken::new([5; 6], [6; 32]);
        let row = ApiKeyRow {
            id: token.id().to_owned(),
            name: "feed".to_owned(),
            secret_digest: token.digest(),
            role: Role::System,
            only: vec![Permission::RecordScreening],
            branches: Branches::parse("510311").expect("branch"),
            created_at: now(),
            created_by: "user:admin".to_owned(),
            expires_at: t("2027-01-01T00:00:00+08:00"),
            revoked_at: None,
            last_used_at: None,
        };
        let p = key_principal(&row, &[6; 32], now()).expect("valid");
        assert_eq!(p.only, Some(vec![Permission::RecordScreening]));
        assert!(matches!(key_principal(&row, &[7; 32], now()), Err(AuthError::Unauthenticated)));
        let revoked = ApiKeyRow { revoked_at: Some(now()), ..row.clone() };
        assert!(matches!(key_principal(&revoked, &[6; 32], now()), Err(AuthError::Unauthenticated)));
        assert!(matches!(key_principal(&row, &[6; 32], row.expires_at), Err(AuthError::Unauthenticated)));
    }
}
