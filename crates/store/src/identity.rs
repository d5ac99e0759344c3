//! The identity register: users, API keys, sessions and login attempts, as rows.
//!
//! Users are never deleted, only disabled; keys are never deleted, only revoked; login attempts only ever grow.
//! Two users whose usernames share a skeleton (`identity::Username::skeleton`) cannot both exist. Whether a
//! password is right, a key current or a session alive is the service layer's (`app::identity`); a backend stores
//! rows and answers counts. [`IdentityStore::identity_version`] changes whenever a user or key changes, so a server
//! that keeps keys in memory knows when to read them again.

use std::future::Future;

use domain::Timestamp;
use identity::{Branches, Permission, Role, Username};
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// A person who signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    /// The normalised username.
    pub username: Username,
    /// The name shown in lists.
    pub display_name: String,
    /// Their role.
    pub role: Role,
    /// The branches their queries are scoped to.
    pub branches: Branches,
    /// The argon2id PHC string.
    pub password_hash: String,
    /// Whether they may sign in.
    pub enabled: bool,
    /// When the account was made.
    pub created_at: Timestamp,
    /// Who made it (an actor, as `identity::Actor` writes it).
    pub created_by: String,
    /// When it last changed (enabled, password).
    pub updated_at: Timestamp,
}

/// A system's API key; the secret itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRow {
    /// The public id (12 hex digits).
    pub id: String,
    /// What it is for ("core banking repayments").
    pub name: String,
    /// SHA-256 of the secret, hex.
    pub secret_digest: String,
    /// Its role.
    pub role: Role,
    /// The permissions it is narrowed to; empty for the whole role.
    pub only: Vec<Permission>,
    /// The branches it reaches.
    pub branches: Branches,
    /// When it was made.
    pub created_at: Timestamp,
    /// Who made it.
    pub created_by: String,
    /// When it stops working.
    pub expires_at: Timestamp,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
    /// When it was last used, as last recorded.
    pub last_used_at: Option<Timestamp>,
}

/// A signed-in session, keyed by the digest of its token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRow {
    /// SHA-256 of the token, hex.
    pub digest: String,
    /// Whose.
    pub username: Username,
    /// The address it was opened from.
    pub address: String,
    /// When it was opened.
    pub created_at: Timestamp,
    /// It ends unless used before this.
    pub idle_expires_at: Timestamp,
    /// It ends at this time whatever happens.
    pub absolute_expires_at: Timestamp,
    /// When it was ended (logout, password reset, account disabled).
    pub ended_at: Option<Timestamp>,
}

/// One attempt to sign in, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginAttempt {
    /// The username as normalised, or as typed (cut to 64 characters) when it is not a valid one.
    pub username: String,
    /// The address it came from.
    pub address: String,
    /// When.
    pub at: Timestamp,
    /// Whether it signed in.
    pub succeeded: bool,
}

/// Recent failed sign-ins, for throttling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoginFailures {
    /// Failures for the account since the later of `since` and its last success.
    pub account: u32,
    /// Failures from the address since `since`, whatever the account.
    pub address: u32,
}

/// The times of recent failed sign-ins, oldest first, for rules that need more than a count (a lock that lasts a
/// fixed time from the failure that set it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecentFailures {
    /// The account's failures since the later of `since` and its last success.
    pub account: Vec<Timestamp>,
    /// The address's failures since `since`, whatever the account.
    pub address: Vec<Timestamp>,
}

/// The identity register. Each method is one transaction.
pub trait IdentityStore: Send + Sync {
    /// Adds a user. Refused with [`StoreError::UserExists`] if the username is taken and
    /// [`StoreError::UserLooksLike`] if an existing one has the same skeleton.
    fn add_user(&self, user: &UserRow) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Adds the first user: like [`IdentityStore::add_user`], but refused with [`StoreError::UsersExist`] when any
    /// user exists, checked in the same transaction, so two first administrators cannot both be made.
    fn add_first_user(&self, user: &UserRow) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// A user by username.
    fn user(&self, username: &Username) -> impl Future<Output = Result<Option<UserRow>, StoreError>> + Send;

    /// Every user, by username.
    fn users(&self) -> impl Future<Output = Result<Vec<UserRow>, StoreError>> + Send;

    /// How many users exist, enabled or not.
    fn user_count(&self) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Enables or disables a user as of `at`; disabling ends their open sessions in the same transaction.
    /// [`StoreError::UserNotFound`] if there is no such user.
    fn set_user_enabled(
        &self,
        username: &Username,
        enabled: bool,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Replaces a user's password hash as of `at` and ends their open sessions in the same transaction.
    fn set_password(
        &self,
        username: &Username,
        password_hash: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Records a sign-in attempt.
    fn record_login(&self, attempt: &LoginAttempt) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Failed attempts at or after `since`: for `username` after its last successful one, and from `address`.
    fn login_failures(
        &self,
        username: &str,
        address: &str,
        since: Timestamp,
    ) -> impl Future<Output = Result<LoginFailures, StoreError>> + Send;

    /// The times of the same failures as [`IdentityStore::login_failures`] counts, oldest first, at most the latest
    /// `limit` of each.
    fn recent_failures(
        &self,
        username: &str,
        address: &str,
        since: Timestamp,
        limit: u32,
    ) -> impl Future<Output = Result<RecentFailures, StoreError>> + Send;

    /// Opens a session.
    fn create_session(&self, session: &SessionRow) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// A session by the digest of its token, ended or not.
    fn session(&self, digest: &str) -> impl Future<Output = Result<Option<SessionRow>, StoreError>> + Send;

    /// Moves an open session's idle expiry to `idle_expires_at` (never past its absolute expiry).
    fn touch_session(
        &self,
        digest: &str,
        idle_expires_at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Ends a session as of `at`; ending an ended or unknown one does nothing.
    fn end_session(&self, digest: &str, at: Timestamp) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Adds a key. [`StoreError::KeyExists`] if the id is taken.
    fn add_key(&self, key: &ApiKeyRow) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// A key by id.
    fn api_key(&self, id: &str) -> impl Future<Output = Result<Option<ApiKeyRow>, StoreError>> + Send;

    /// Every key, revoked and expired ones too, by creation time then id.
    fn api_keys(&self) -> impl Future<Output = Result<Vec<ApiKeyRow>, StoreError>> + Send;

    /// Revokes a key as of `at`. Revoking a revoked key keeps the first time. [`StoreError::KeyNotFound`] if there
    /// is no such key.
    fn revoke_key(&self, id: &str, at: Timestamp) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Records when keys were last used (a server batches these); a time earlier than the one stored is ignored,
    /// and an unknown id is skipped.
    fn touch_keys(&self, used: &[(String, Timestamp)]) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// A number that changes whenever a user or key is added or changed (not when a key is merely used).
    fn identity_version(&self) -> impl Future<Output = Result<i64, StoreError>> + Send;
}

/// Permissions as both engines store them: codes separated by commas, empty for none.
pub(crate) fn permissions_text(only: &[Permission]) -> String {
    only.iter().map(|p| p.code()).collect::<Vec<_>>().join(",")
}

/// Permissions read back from their stored text; an unknown code is a corrupt row.
pub(crate) fn permissions_from_text(text: &str) -> Result<Vec<Permission>, StoreError> {
    text.split(',')
        .filter(|c| !c.is_empty())
        .map(|c| c.parse::<Permission>().map_err(|e| StoreError::Corrupt(format!("permission {c}: {e}"))))
        .collect()
}

/// The digest an audit entry records of a user, on either engine: who they are and what they may do (never the
/// password hash).
pub(crate) fn user_digest(user: &UserRow) -> ::audit::Digest {
    let text = format!("{}\n{}\n{}\n{}", user.username, user.role, user.branches, user.enabled);
    ::audit::Digest::of(text.as_bytes())
}

/// The digest an audit entry records of an API key, on either engine: its scope and expiry (never its secret's
/// digest).
pub(crate) fn key_digest(key: &ApiKeyRow) -> ::audit::Digest {
    let text =
        format!("{}\n{}\n{}\n{}\n{}", key.id, key.role, permissions_text(&key.only), key.branches, key.expires_at);
    ::audit::Digest::of(text.as_bytes())
}
