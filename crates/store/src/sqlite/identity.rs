//! [`IdentityStore`] for [`SqliteStore`]: the `users`, `api_keys`, `sessions` and `login_attempts` tables
//! (migration `0011_identity`), whose triggers keep users and keys undeletable, keys unedited but for revocation and
//! last use, attempts append-only, and `identity_version` moving.

use domain::Timestamp;
use identity::{Branches, Role, Username};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, Transaction};

use super::{SqliteStore, append_in, corrupt, timestamp};
use crate::StoreError;
use crate::identity::{
    ApiKeyRow, IdentityStore, LoginAttempt, LoginFailures, RecentFailures, SessionRow, UserRow, key_digest,
    permissions_from_text, permissions_text, user_digest,
};

fn optional_timestamp(text: Option<String>) -> Result<Option<Timestamp>, StoreError> {
    text.as_deref().map(timestamp).transpose()
}

fn user_from_row(row: &SqliteRow) -> Result<UserRow, StoreError> {
    let username: String = row.try_get("username")?;
    Ok(UserRow {
        username: Username::parse(&username).map_err(|e| corrupt(format!("user {username}: {e}")))?,
        display_name: row.try_get("display_name")?,
        role: row.try_get::<String, _>("role")?.parse::<Role>().map_err(corrupt)?,
        branches: Branches::parse(&row.try_get::<String, _>("branches")?).map_err(corrupt)?,
        password_hash: row.try_get("password_hash")?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        created_at: timestamp(&row.try_get::<String, _>("created_at")?)?,
        created_by: row.try_get("created_by")?,
        updated_at: timestamp(&row.try_get::<String, _>("updated_at")?)?,
    })
}

fn key_from_row(row: &SqliteRow) -> Result<ApiKeyRow, StoreError> {
    Ok(ApiKeyRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        secret_digest: row.try_get("secret_digest")?,
        role: row.try_get::<String, _>("role")?.parse::<Role>().map_err(corrupt)?,
        only: permissions_from_text(&row.try_get::<String, _>("only_perms")?)?,
        branches: Branches::parse(&row.try_get::<String, _>("branches")?).map_err(corrupt)?,
        created_at: timestamp(&row.try_get::<String, _>("created_at")?)?,
        created_by: row.try_get("created_by")?,
        expires_at: timestamp(&row.try_get::<String, _>("expires_at")?)?,
        revoked_at: optional_timestamp(row.try_get("revoked_at")?)?,
        last_used_at: optional_timestamp(row.try_get("last_used_at")?)?,
    })
}

fn session_from_row(row: &SqliteRow) -> Result<SessionRow, StoreError> {
    let username: String = row.try_get("username")?;
    Ok(SessionRow {
        digest: row.try_get("digest")?,
        username: Username::parse(&username).map_err(|e| corrupt(format!("session of {username}: {e}")))?,
        address: row.try_get("address")?,
        created_at: timestamp(&row.try_get::<String, _>("created_at")?)?,
        idle_expires_at: timestamp(&row.try_get::<String, _>("idle_expires_at")?)?,
        absolute_expires_at: timestamp(&row.try_get::<String, _>("absolute_expires_at")?)?,
        ended_at: optional_timestamp(row.try_get("ended_at")?)?,
    })
}

fn unix(at: Timestamp) -> i64 {
    at.instant().timestamp()
}

/// Ends every open session of `username` as of `at`, inside the caller's transaction.
async fn end_sessions_of(
    tx: &mut Transaction<'_, Sqlite>,
    username: &Username,
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE sessions SET ended_at = ? WHERE username = ? AND ended_at IS NULL")
        .bind(at.to_string())
        .bind(username.as_str())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Inserts a user inside the caller's transaction unless the username or its skeleton is taken.
async fn insert_user(tx: &mut Transaction<'_, Sqlite>, user: &UserRow) -> Result<(), StoreError> {
    let skeleton = user.username.skeleton();
    let clash: Option<String> = sqlx::query_scalar("SELECT username FROM users WHERE username = ? OR skeleton = ?")
        .bind(user.username.as_str())
        .bind(&skeleton)
        .fetch_optional(&mut **tx)
        .await?;
    match clash {
        Some(existing) if existing == user.username.as_str() => {
            return Err(StoreError::UserExists(existing));
        }
        Some(existing) => {
            return Err(StoreError::UserLooksLike { username: user.username.to_string(), existing });
        }
        None => {}
    }
    sqlx::query(
        "INSERT INTO users (username, skeleton, display_name, role, branches, password_hash, enabled, created_at,
                                created_by, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(user.username.as_str())
    .bind(&skeleton)
    .bind(&user.display_name)
    .bind(user.role.code())
    .bind(user.branches.to_string())
    .bind(&user.password_hash)
    .bind(i64::from(user.enabled))
    .bind(user.created_at.to_string())
    .bind(&user.created_by)
    .bind(user.updated_at.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl SqliteStore {
    /// Appends the audit entry of an identity change inside its transaction.
    async fn audit_identity(
        &self,
        tx: &mut Transaction<'_, Sqlite>,
        action: &str,
        target: String,
        after: Option<::audit::Digest>,
    ) -> Result<(), StoreError> {
        let entry = self.audit_entry(action, target, after);
        append_in(tx, &[entry]).await?;
        Ok(())
    }
}

impl IdentityStore for SqliteStore {
    async fn add_user(&self, user: &UserRow) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        insert_user(&mut tx, user).await?;
        self.audit_identity(&mut tx, "user.add", format!("user:{}", user.username), Some(user_digest(user))).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn add_first_user(&self, user: &UserRow) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let any: Option<i64> = sqlx::query_scalar("SELECT 1 FROM users LIMIT 1").fetch_optional(&mut *tx).await?;
        if any.is_some() {
            return Err(StoreError::UsersExist);
        }
        insert_user(&mut tx, user).await?;
        self.audit_identity(&mut tx, "user.init", format!("user:{}", user.username), Some(user_digest(user))).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn user(&self, username: &Username) -> Result<Option<UserRow>, StoreError> {
        let row = sqlx::query("SELECT * FROM users WHERE username = ?")
            .bind(username.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn users(&self) -> Result<Vec<UserRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM users ORDER BY username").fetch_all(&self.pool).await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn user_count(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&self.pool).await?;
        u64::try_from(n).map_err(corrupt)
    }

    async fn set_user_enabled(&self, username: &Username, enabled: bool, at: Timestamp) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let done = sqlx::query("UPDATE users SET enabled = ?, updated_at = ? WHERE username = ?")
            .bind(i64::from(enabled))
            .bind(at.to_string())
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
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let done = sqlx::query("UPDATE users SET password_hash = ?, updated_at = ? WHERE username = ?")
            .bind(password_hash)
            .bind(at.to_string())
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
        sqlx::query("INSERT INTO login_attempts (username, address, at, at_unix, succeeded) VALUES (?, ?, ?, ?, ?)")
            .bind(&attempt.username)
            .bind(&attempt.address)
            .bind(attempt.at.to_string())
            .bind(unix(attempt.at))
            .bind(i64::from(attempt.succeeded))
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
        let row = sqlx::query(
            "SELECT
               (SELECT count(*) FROM login_attempts
                 WHERE username = ?1 AND succeeded = 0 AND at_unix >= ?3
                   AND seq > coalesce((SELECT max(seq) FROM login_attempts WHERE username = ?1 AND succeeded = 1), 0))
                 AS account,
               (SELECT count(*) FROM login_attempts WHERE address = ?2 AND succeeded = 0 AND at_unix >= ?3) AS address",
        )
        .bind(username)
        .bind(address)
        .bind(unix(since))
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
        let mut tx = self.pool.begin().await?;
        let account: Vec<String> = sqlx::query_scalar(
            "SELECT at FROM login_attempts
              WHERE username = ?1 AND succeeded = 0 AND at_unix >= ?2
                AND seq > coalesce((SELECT max(seq) FROM login_attempts WHERE username = ?1 AND succeeded = 1), 0)
              ORDER BY seq DESC LIMIT ?3",
        )
        .bind(username)
        .bind(unix(since))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        let address: Vec<String> = sqlx::query_scalar(
            "SELECT at FROM login_attempts WHERE address = ? AND succeeded = 0 AND at_unix >= ?
              ORDER BY seq DESC LIMIT ?",
        )
        .bind(address)
        .bind(unix(since))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let times = |texts: Vec<String>| -> Result<Vec<Timestamp>, StoreError> {
            let mut times = texts.iter().map(|t| timestamp(t)).collect::<Result<Vec<_>, _>>()?;
            times.sort();
            Ok(times)
        };
        Ok(RecentFailures { account: times(account)?, address: times(address)? })
    }

    async fn create_session(&self, session: &SessionRow) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (digest, username, address, created_at, idle_expires_at, absolute_expires_at,
                                   ended_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&session.digest)
        .bind(session.username.as_str())
        .bind(&session.address)
        .bind(session.created_at.to_string())
        .bind(session.idle_expires_at.to_string())
        .bind(session.absolute_expires_at.to_string())
        .bind(session.ended_at.map(|t| t.to_string()))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn session(&self, digest: &str) -> Result<Option<SessionRow>, StoreError> {
        let row =
            sqlx::query("SELECT * FROM sessions WHERE digest = ?").bind(digest).fetch_optional(&self.pool).await?;
        row.as_ref().map(session_from_row).transpose()
    }

    async fn touch_session(&self, digest: &str, idle_expires_at: Timestamp) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let row = sqlx::query("SELECT * FROM sessions WHERE digest = ? AND ended_at IS NULL")
            .bind(digest)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = row {
            let session = session_from_row(&row)?;
            let idle = idle_expires_at.min(session.absolute_expires_at);
            sqlx::query("UPDATE sessions SET idle_expires_at = ? WHERE digest = ?")
                .bind(idle.to_string())
                .bind(digest)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn end_session(&self, digest: &str, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET ended_at = ? WHERE digest = ? AND ended_at IS NULL")
            .bind(at.to_string())
            .bind(digest)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn add_key(&self, key: &ApiKeyRow) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let done = sqlx::query(
            "INSERT INTO api_keys (id, name, secret_digest, role, only_perms, branches, created_at, created_by,
                                   expires_at, revoked_at, last_used_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&key.id)
        .bind(&key.name)
        .bind(&key.secret_digest)
        .bind(key.role.code())
        .bind(permissions_text(&key.only))
        .bind(key.branches.to_string())
        .bind(key.created_at.to_string())
        .bind(&key.created_by)
        .bind(key.expires_at.to_string())
        .bind(key.revoked_at.map(|t| t.to_string()))
        .bind(key.last_used_at.map(|t| t.to_string()))
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
        let row = sqlx::query("SELECT * FROM api_keys WHERE id = ?").bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(key_from_row).transpose()
    }

    async fn api_keys(&self) -> Result<Vec<ApiKeyRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM api_keys").fetch_all(&self.pool).await?;
        let mut keys = rows.iter().map(key_from_row).collect::<Result<Vec<_>, _>>()?;
        // By instant, not by text: stored timestamps may carry different offsets.
        keys.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(keys)
    }

    async fn revoke_key(&self, id: &str, at: Timestamp) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM api_keys WHERE id = ?").bind(id).fetch_optional(&mut *tx).await?;
        if exists.is_none() {
            return Err(StoreError::KeyNotFound(id.to_owned()));
        }
        let done = sqlx::query("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
            .bind(at.to_string())
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
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        for (id, at) in used {
            let stored: Option<Option<String>> = sqlx::query_scalar("SELECT last_used_at FROM api_keys WHERE id = ?")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(stored) = stored else { continue };
            if optional_timestamp(stored)?.is_some_and(|last| last >= *at) {
                continue;
            }
            sqlx::query("UPDATE api_keys SET last_used_at = ? WHERE id = ?")
                .bind(at.to_string())
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
