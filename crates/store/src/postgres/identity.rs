//! [`IdentityStore`] for [`PgStore`]: the `users`, `api_keys`, `sessions` and `login_attempts` tables (migration
//! `0007_identity`), whose triggers keep users and keys undeletable, keys unedited but for revocation and last use,
//! attempts append-only, and `identity_version` moving.
//!
//! Concurrency: every user and key write first locks the one `identity_version` row, so such writes queue and each
//! one's checks (is the username taken, does one look like it, is there any user yet) see every write committed
//! before it; the unique keys on username, skeleton and key id are the last word should a writer ever skip the lock.
//! The version triggers update that same row, so every change moves it by one and none is lost. Locks are taken in
//! the order version row, then audit trail, so identity writers never deadlock with each other or with other writers.
//!
//! The server's key cache (`server::auth::KeyCache`) needs nothing more on PostgreSQL: it reads
//! [`IdentityStore::identity_version`] and then the keys, so a replica sees another's change at its next reload check
//! (the version commits with the change it counts). Reloading on a notice instead of a poll would take a
//! `NOTIFY identity` from the version trigger and a `LISTEN` per replica; not needed for correctness.

use chrono::{DateTime, FixedOffset};
use domain::Timestamp;
use identity::{Branches, Role, Username};
use sqlx::Row;
use sqlx::postgres::PgRow;

use super::{PgStore, append_in, corrupt};
use crate::StoreError;
use crate::identity::{
    ApiKeyRow, IdentityStore, LoginAttempt, LoginFailures, RecentFailures, SessionRow, UserRow, key_digest,
    permissions_from_text, permissions_text, user_digest,
};

/// An instant column as [`instant`] reads it: whole seconds since the epoch (`NAME_s`) beside the offset it was
/// written with (`NAME_offset_s`).
fn instant_columns(name: &str) -> String {
    format!("extract(epoch FROM {name})::bigint AS {name}_s, {name}_offset_s")
}

const USER_COLUMNS: &str = "username, display_name, role, branches, password_hash, enabled, created_by";
const KEY_COLUMNS: &str = "id, name, secret_digest, role, only_perms, branches, created_by";
const SESSION_COLUMNS: &str = "digest, username, address";

fn user_select() -> String {
    format!("SELECT {USER_COLUMNS}, {}, {} FROM users", instant_columns("created_at"), instant_columns("updated_at"))
}

fn key_select() -> String {
    let instants: Vec<String> =
        ["created_at", "expires_at", "revoked_at", "last_used_at"].iter().map(|c| instant_columns(c)).collect();
    format!("SELECT {KEY_COLUMNS}, {} FROM api_keys", instants.join(", "))
}

fn session_select() -> String {
    let instants: Vec<String> = ["created_at", "idle_expires_at", "absolute_expires_at", "ended_at"]
        .iter()
        .map(|c| instant_columns(c))
        .collect();
    format!("SELECT {SESSION_COLUMNS}, {} FROM sessions", instants.join(", "))
}

/// The instant stored in column `name` of `row`, if any, in the offset it was written with.
fn optional_instant(row: &PgRow, name: &str) -> Result<Option<Timestamp>, StoreError> {
    let seconds: Option<i64> = row.try_get(format!("{name}_s").as_str())?;
    let offset: Option<i32> = row.try_get(format!("{name}_offset_s").as_str())?;
    match (seconds, offset) {
        (None, None) => Ok(None),
        (Some(seconds), Some(offset)) => {
            let zone = FixedOffset::east_opt(offset).ok_or_else(|| corrupt(format!("{name}: offset {offset}")))?;
            let at = DateTime::from_timestamp(seconds, 0).ok_or_else(|| corrupt(format!("{name}: {seconds}")))?;
            Ok(Some(Timestamp::from_instant(at.with_timezone(&zone))))
        }
        _ => Err(corrupt(format!("{name}: an instant without its offset"))),
    }
}

fn instant(row: &PgRow, name: &str) -> Result<Timestamp, StoreError> {
    optional_instant(row, name)?.ok_or_else(|| corrupt(format!("{name} is missing")))
}

/// The offset an instant is stored with beside it.
fn offset_s(at: Timestamp) -> i32 {
    at.instant().offset().local_minus_utc()
}

fn user_from_row(row: &PgRow) -> Result<UserRow, StoreError> {
    let username: String = row.try_get("username")?;
    Ok(UserRow {
        username: Username::parse(&username).map_err(|e| corrupt(format!("user {username}: {e}")))?,
        display_name: row.try_get("display_name")?,
        role: row.try_get::<String, _>("role")?.parse::<Role>().map_err(corrupt)?,
        branches: Branches::parse(&row.try_get::<String, _>("branches")?).map_err(corrupt)?,
        password_hash: row.try_get("password_hash")?,
        enabled: row.try_get("enabled")?,
        created_at: instant(row, "created_at")?,
        created_by: row.try_get("created_by")?,
        updated_at: instant(row, "updated_at")?,
    })
}

fn key_from_row(row: &PgRow) -> Result<ApiKeyRow, StoreError> {
    Ok(ApiKeyRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        secret_digest: row.try_get("secret_digest")?,
        role: row.try_get::<String, _>("role")?.parse::<Role>().map_err(corrupt)?,
        only: permissions_from_text(&row.try_get::<String, _>("only_perms")?)?,
        branches: Branches::parse(&row.try_get::<String, _>("branches")?).map_err(corrupt)?,
        created_at: instant(row, "created_at")?,
        created_by: row.try_get("created_by")?,
        expires_at: instant(row, "expires_at")?,
        revoked_at: optional_instant(row, "revoked_at")?,
        last_used_at: optional_instant(row, "last_used_at")?,
    })
}

fn session_from_row(row: &PgRow) -> Result<SessionRow, StoreError> {
    let username: String = row.try_get("username")?;
    Ok(SessionRow {
        digest: row.try_get("digest")?,
        username: Username::parse(&username).map_err(|e| corrupt(format!("session of {username}: {e}")))?,
        address: row.try_get("address")?,
        created_at: instant(row, "created_at")?,
        idle_expires_at: instant(row, "idle_expires_at")?,
        absolute_expires_at: instant(row, "absolute_expires_at")?,
        ended_at: optional_instant(row, "ended_at")?,
    })
}

/// Locks the identity version row inside the caller's transaction: user and key writers queue here.
async fn queue(tx: &mut sqlx::PgConnection) -> Result<(), StoreError> {
    sqlx::query("SELECT version FROM identity_version WHERE id = 1 FOR UPDATE").execute(&mut *tx).await?;
    Ok(())
}

/// Why `user` cannot be added, if an existing user has its username or skeleton.
async fn clash(tx: &mut sqlx::PgConnection, user: &UserRow, skeleton: &str) -> Result<Option<StoreError>, StoreError> {
    let existing: Option<String> =
        sqlx::query_scalar("SELECT username FROM users WHERE username = $1 OR skeleton = $2 ORDER BY username LIMIT 1")
            .bind(user.username.as_str())
            .bind(skeleton)
            .fetch_optional(&mut *tx)
            .await?;
    Ok(existing.map(|existing| {
        if existing == user.username.as_str() {
            StoreError::UserExists(existing)
        } else {
            StoreError::UserLooksLike { username: user.username.to_string(), existing }
        }
    }))
}

/// Inserts a user inside the caller's transaction (which holds the version row) unless the username or its
/// skeleton is taken.
async fn insert_user(tx: &mut sqlx::PgConnection, user: &UserRow) -> Result<(), StoreError> {
    let skeleton = user.username.skeleton();
    if let Some(refused) = clash(tx, user, &skeleton).await? {
        return Err(refused);
    }
    let done = sqlx::query(
        "INSERT INTO users (username, skeleton, display_name, role, branches, password_hash, enabled, created_at,
                            created_at_offset_s, created_by, updated_at, updated_at_offset_s)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::timestamptz, $9, $10, $11::timestamptz, $12) ON CONFLICT DO NOTHING",
    )
    .bind(user.username.as_str())
    .bind(&skeleton)
    .bind(&user.display_name)
    .bind(user.role.code())
    .bind(user.branches.to_string())
    .bind(&user.password_hash)
    .bind(user.enabled)
    .bind(user.created_at.to_string())
    .bind(offset_s(user.created_at))
    .bind(&user.created_by)
    .bind(user.updated_at.to_string())
    .bind(offset_s(user.updated_at))
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        // Only a writer that did not queue can get here; the key decided, and the clash names what it found.
        return Err(clash(tx, user, &skeleton)
            .await?
            .unwrap_or_else(|| StoreError::UserExists(user.username.to_string())));
    }
    Ok(())
}

/// Ends every open session of `username` as of `at`, inside the caller's transaction.
async fn end_sessions_of(tx: &mut sqlx::PgConnection, username: &Username, at: Timestamp) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE sessions SET ended_at = $1::timestamptz, ended_at_offset_s = $2 WHERE username = $3 AND ended_at IS NULL",
    )
    .bind(at.to_string())
    .bind(offset_s(at))
    .bind(username.as_str())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

impl PgStore {
    /// Appends the audit entry of an identity change inside its transaction, as SQLite's `audit_identity` does.
    async fn audit_identity(
        &self,
        tx: &mut sqlx::PgConnection,
        action: &str,
        target: String,
        after: Option<::audit::Digest>,
    ) -> Result<(), StoreError> {
        let entry = self.context.entry(action, target, after);
        append_in(tx, &[entry]).await?;
        Ok(())
    }
}

/// The failures counted for an account: since `$2` and after its last success.
const ACCOUNT_FAILURES: &str = "username = $1 AND NOT succeeded AND at >= $2::timestamptz
    AND seq > coalesce((SELECT max(seq) FROM login_attempts WHERE username = $1 AND succeeded), 0)";

/// The failures counted for an address: since `$2`, whatever the account.
const ADDRESS_FAILURES: &str = "address = $1 AND NOT succeeded AND at >= $2::timestamptz";

impl IdentityStore for PgStore {
    async fn add_user(&self, user: &UserRow) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        queue(&mut tx).await?;
        insert_user(&mut tx, user).await?;
        self.audit_identity(&mut tx, "user.add", format!("user:{}", user.username), Some(user_digest(user))).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn add_first_user(&self, user: &UserRow) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        queue(&mut tx).await?;
        let any: Option<i32> = sqlx::query_scalar("SELECT 1 FROM users LIMIT 1").fetch_optional(&mut *tx).await?;
        if any.is_some() {
            return Err(StoreError::UsersExist);
        }
        insert_user(&mut tx, user).await?;
        self.audit_identity(&mut tx, "user.init", format!("user:{}", user.username), Some(user_digest(user))).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn user(&self, username: &Username) -> Result<Option<UserRow>, StoreError> {
        let sql = format!("{} WHERE username = $1", user_select());
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(username.as_str()).fetch_optional(&self.pool).await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn users(&self) -> Result<Vec<UserRow>, StoreError> {
        let sql = format!("{} ORDER BY username", user_select());
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool).await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn user_count(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&self.pool).await?;
        u64::try_from(n).map_err(corrupt)
    }

    async fn set_user_enabled(&self, username: &Username, enabled: bool, at: Timestamp) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        queue(&mut tx).await?;
        let done = sqlx::query(
            "UPDATE users SET enabled = $1, updated_at = $2::timestamptz, updated_at_offset_s = $3 WHERE username = $4",
        )
        .bind(enabled)
        .bind(at.to_string())
        .bind(offset_s(at))
        .bind(username.as_str())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::UserNotFound(username.to_string()));
        }
        if !enabled {
            end_sessions_of(&mut tx, username, at).await?;
        }
        let action = if enabled { "user.enable" } else { "user.disable" };
        self.audit_identity(&mut tx, action, format!("user:{username}"), None).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_password(&self, username: &Username, password_hash: &str, at: Timestamp) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        queue(&mut tx).await?;
        let done = sqlx::query(
            "UPDATE users SET password_hash = $1, updated_at = $2::timestamptz, updated_at_offset_s = $3
             WHERE username = $4",
        )
        .bind(password_hash)
        .bind(at.to_string())
        .bind(offset_s(at))
        .bind(username.as_str())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::UserNotFound(username.to_string()));
        }
        end_sessions_of(&mut tx, username, at).await?;
        self.audit_identity(&mut tx, "user.password", format!("user:{username}"), None).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn record_login(&self, attempt: &LoginAttempt) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO login_attempts (username, address, at, at_offset_s, succeeded)
             VALUES ($1, $2, $3::timestamptz, $4, $5)",
        )
        .bind(&attempt.username)
        .bind(&attempt.address)
        .bind(attempt.at.to_string())
        .bind(offset_s(attempt.at))
        .bind(attempt.succeeded)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn login_failures(
        &self,
        username: &str,
        address: &str,
        since: Timestamp,
    ) -> Result<LoginFailures, StoreError> {
        // One statement, so both counts come from one snapshot.
        let sql = format!(
            "SELECT (SELECT count(*) FROM login_attempts WHERE {ACCOUNT_FAILURES}) AS account,
                    (SELECT count(*) FROM login_attempts WHERE {}) AS address",
            ADDRESS_FAILURES.replace("$1", "$3")
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(username)
            .bind(since.to_string())
            .bind(address)
            .fetch_one(&self.pool)
            .await?;
        let count =
            |name: &str| -> Result<u32, StoreError> { u32::try_from(row.try_get::<i64, _>(name)?).map_err(corrupt) };
        Ok(LoginFailures { account: count("account")?, address: count("address")? })
    }

    async fn recent_failures(
        &self,
        username: &str,
        address: &str,
        since: Timestamp,
        limit: u32,
    ) -> Result<RecentFailures, StoreError> {
        // Repeatable read: both lists from one snapshot, as SQLite's one read transaction gives.
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
        let at = instant_columns("at");
        let mut lists = Vec::with_capacity(2);
        for (filter, who) in [(ACCOUNT_FAILURES, username), (ADDRESS_FAILURES, address)] {
            let sql = format!("SELECT {at} FROM login_attempts WHERE {filter} ORDER BY seq DESC LIMIT $3");
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(who)
                .bind(since.to_string())
                .bind(i64::from(limit))
                .fetch_all(&mut *tx)
                .await?;
            let mut times = rows.iter().map(|row| instant(row, "at")).collect::<Result<Vec<_>, _>>()?;
            times.sort();
            lists.push(times);
        }
        tx.commit().await?;
        let address = lists.pop().unwrap_or_default();
        let account = lists.pop().unwrap_or_default();
        Ok(RecentFailures { account, address })
    }

    async fn create_session(&self, session: &SessionRow) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (digest, username, address, created_at, created_at_offset_s, idle_expires_at,
                                   idle_expires_at_offset_s, absolute_expires_at, absolute_expires_at_offset_s,
                                   ended_at, ended_at_offset_s)
             VALUES ($1, $2, $3, $4::timestamptz, $5, $6::timestamptz, $7, $8::timestamptz, $9, $10::timestamptz, $11)",
        )
        .bind(&session.digest)
        .bind(session.username.as_str())
        .bind(&session.address)
        .bind(session.created_at.to_string())
        .bind(offset_s(session.created_at))
        .bind(session.idle_expires_at.to_string())
        .bind(offset_s(session.idle_expires_at))
        .bind(session.absolute_expires_at.to_string())
        .bind(offset_s(session.absolute_expires_at))
        .bind(session.ended_at.map(|t| t.to_string()))
        .bind(session.ended_at.map(offset_s))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn session(&self, digest: &str) -> Result<Option<SessionRow>, StoreError> {
        let sql = format!("{} WHERE digest = $1", session_select());
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(digest).fetch_optional(&self.pool).await?;
        row.as_ref().map(session_from_row).transpose()
    }

    async fn touch_session(&self, digest: &str, idle_expires_at: Timestamp) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        // The row lock keeps an end that commits meanwhile from being overtaken by a touch of an ended session.
        let sql = format!("{} WHERE digest = $1 AND ended_at IS NULL FOR UPDATE", session_select());
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(digest).fetch_optional(&mut *tx).await?;
        if let Some(row) = row {
            let session = session_from_row(&row)?;
            let idle = idle_expires_at.min(session.absolute_expires_at);
            sqlx::query(
                "UPDATE sessions SET idle_expires_at = $1::timestamptz, idle_expires_at_offset_s = $2 WHERE digest = $3",
            )
            .bind(idle.to_string())
            .bind(offset_s(idle))
            .bind(digest)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn end_session(&self, digest: &str, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sessions SET ended_at = $1::timestamptz, ended_at_offset_s = $2 WHERE digest = $3 AND ended_at IS NULL",
        )
        .bind(at.to_string())
        .bind(offset_s(at))
        .bind(digest)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn add_key(&self, key: &ApiKeyRow) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        queue(&mut tx).await?;
        let done = sqlx::query(
            "INSERT INTO api_keys (id, name, secret_digest, role, only_perms, branches, created_at, created_at_offset_s,
                                   created_by, expires_at, expires_at_offset_s, revoked_at, revoked_at_offset_s,
                                   last_used_at, last_used_at_offset_s)
             VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz, $8, $9, $10::timestamptz, $11, $12::timestamptz, $13,
                     $14::timestamptz, $15)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&key.id)
        .bind(&key.name)
        .bind(&key.secret_digest)
        .bind(key.role.code())
        .bind(permissions_text(&key.only))
        .bind(key.branches.to_string())
        .bind(key.created_at.to_string())
        .bind(offset_s(key.created_at))
        .bind(&key.created_by)
        .bind(key.expires_at.to_string())
        .bind(offset_s(key.expires_at))
        .bind(key.revoked_at.map(|t| t.to_string()))
        .bind(key.revoked_at.map(offset_s))
        .bind(key.last_used_at.map(|t| t.to_string()))
        .bind(key.last_used_at.map(offset_s))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::KeyExists(key.id.clone()));
        }
        self.audit_identity(&mut tx, "key.create", format!("key:{}", key.id), Some(key_digest(key))).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn api_key(&self, id: &str) -> Result<Option<ApiKeyRow>, StoreError> {
        let sql = format!("{} WHERE id = $1", key_select());
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(key_from_row).transpose()
    }

    async fn api_keys(&self) -> Result<Vec<ApiKeyRow>, StoreError> {
        let sql = format!("{} ORDER BY created_at, id", key_select());
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool).await?;
        rows.iter().map(key_from_row).collect()
    }

    async fn revoke_key(&self, id: &str, at: Timestamp) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        queue(&mut tx).await?;
        let exists: Option<i32> =
            sqlx::query_scalar("SELECT 1 FROM api_keys WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
        if exists.is_none() {
            return Err(StoreError::KeyNotFound(id.to_owned()));
        }
        let done = sqlx::query(
            "UPDATE api_keys SET revoked_at = $1::timestamptz, revoked_at_offset_s = $2
             WHERE id = $3 AND revoked_at IS NULL",
        )
        .bind(at.to_string())
        .bind(offset_s(at))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() > 0 {
            self.audit_identity(&mut tx, "key.revoke", format!("key:{id}"), None).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn touch_keys(&self, used: &[(String, Timestamp)]) -> Result<(), StoreError> {
        // No version lock: using a key is not a change. Each update re-checks its condition against the row as
        // committed, so two batches touching one key at once keep the later time.
        // Keys in id order, so two batches lock shared rows in the same order and never deadlock.
        let mut used: Vec<&(String, Timestamp)> = used.iter().collect();
        used.sort_by(|a, b| a.0.cmp(&b.0));
        let mut tx = self.pool.begin().await?;
        for (id, at) in used {
            sqlx::query(
                "UPDATE api_keys SET last_used_at = $1::timestamptz, last_used_at_offset_s = $2
                 WHERE id = $3 AND (last_used_at IS NULL OR last_used_at < $1::timestamptz)",
            )
            .bind(at.to_string())
            .bind(offset_s(*at))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn identity_version(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT version FROM identity_version WHERE id = 1").fetch_one(&self.pool).await?)
    }
}
