//! Users and their credentials: sessions, access tokens, API keys with their used
//! signatures, invitations and password resets.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use inkstone_core::model::{AccessTokenKind, Role, User, UserStatus};
use inkstone_core::permission::{DeleteGrant, KeyGrant, Scope};
use inkstone_core::ports::{
    AccessToken, ApiKey, ApiKeyPatch, CredentialRepository, Invite, NewAccessToken, NewApiKey, NewInvite,
    NewUser, PasswordReset, SessionRecord, UserPatch, UserQuery, UserRepository,
};
use inkstone_core::{CoreError, CoreResult, ErrorCode};
use sqlx::sqlite::{SqliteExecutor, SqliteRow};
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::{SqliteStore, contains_pattern, db_error, from_millis, to_millis};

const USER_COLUMNS: &str =
    "id, username, email, display_name, avatar, bio, role, status, password_hash, created_at, last_seen_at";

/// The access token kinds a sign-in creates, which signing out and password changes end.
const SESSION_KINDS: &str = "('session', 'session_remember')";

fn user_from_row(row: &SqliteRow) -> Result<User, sqlx::Error> {
    let role: String = row.try_get("role")?;
    let status: String = row.try_get("status")?;
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        email: row.try_get("email")?,
        display_name: row.try_get("display_name")?,
        avatar: row.try_get("avatar")?,
        bio: row.try_get("bio")?,
        role: Role::parse(&role).unwrap_or(Role::Subscriber),
        status: UserStatus::parse(&status).unwrap_or(UserStatus::Disabled),
        password_hash: row.try_get("password_hash")?,
        created_at: from_millis(row.try_get("created_at")?),
        last_seen_at: row.try_get::<Option<i64>, _>("last_seen_at")?.map(from_millis),
    })
}

fn session_from_row(row: &SqliteRow) -> Result<SessionRecord, sqlx::Error> {
    Ok(SessionRecord {
        id_hash: row.try_get("id_hash")?,
        user_id: row.try_get("user_id")?,
        csrf_hash: row.try_get("csrf_hash")?,
        remember: row.try_get("remember")?,
        created_at: from_millis(row.try_get("created_at")?),
        last_seen_at: from_millis(row.try_get("last_seen_at")?),
        expires_at: from_millis(row.try_get("expires_at")?),
    })
}

fn optional_millis(row: &SqliteRow, column: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    Ok(row.try_get::<Option<i64>, _>(column)?.map(from_millis))
}

fn token_from_row(row: &SqliteRow) -> Result<AccessToken, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    let scopes: Option<String> = row.try_get("scopes")?;
    Ok(AccessToken {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        // An unknown kind gets the shortest life rather than `developer`'s forever.
        kind: AccessTokenKind::parse(&kind).unwrap_or(AccessTokenKind::Session),
        name: row.try_get("name")?,
        token_hash: row.try_get("token_hash")?,
        prefix: row.try_get("prefix")?,
        scopes: scopes.map(|text| text.split(' ').filter_map(Scope::parse).collect()),
        expires_at: optional_millis(row, "expires_at")?,
        created_at: from_millis(row.try_get("created_at")?),
        last_used_at: optional_millis(row, "last_used_at")?,
        last_ip: row.try_get("last_ip")?,
    })
}

fn scopes_text(scopes: &Option<Vec<Scope>>) -> Option<String> {
    scopes.as_ref().map(|s| s.iter().map(|scope| scope.as_str()).collect::<Vec<_>>().join(" "))
}

fn api_key_from_row(row: &SqliteRow) -> Result<ApiKey, sqlx::Error> {
    let can_delete: i64 = row.try_get("can_delete")?;
    let allowed_ips: String = row.try_get("allowed_ips")?;
    Ok(ApiKey {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        key_hash: row.try_get("key_hash")?,
        key_sealed: row.try_get("key_sealed")?,
        prefix: row.try_get("prefix")?,
        user_id: row.try_get("user_id")?,
        grant: KeyGrant {
            can_write_own: row.try_get("can_write_own")?,
            can_write_other: row.try_get("can_write_other")?,
            can_delete: u8::try_from(can_delete)
                .ok()
                .and_then(DeleteGrant::from_level)
                .unwrap_or(DeleteGrant::Nothing),
        },
        allowed_ips: serde_json::from_str(&allowed_ips).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        enabled: row.try_get("enabled")?,
        created_by: row.try_get("created_by")?,
        created_at: from_millis(row.try_get("created_at")?),
        last_used_at: optional_millis(row, "last_used_at")?,
        last_ip: row.try_get("last_ip")?,
    })
}

fn ips_json(ips: &[String]) -> CoreResult<String> {
    serde_json::to_string(ips).map_err(CoreError::internal)
}

fn invite_from_row(row: &SqliteRow) -> Result<Invite, sqlx::Error> {
    let role: String = row.try_get("role")?;
    Ok(Invite {
        id: row.try_get("id")?,
        code_hash: row.try_get("code_hash")?,
        role: Role::parse(&role).unwrap_or(Role::Subscriber),
        created_by: row.try_get("created_by")?,
        created_at: from_millis(row.try_get("created_at")?),
        expires_at: from_millis(row.try_get("expires_at")?),
        used_by: row.try_get("used_by")?,
        used_at: optional_millis(row, "used_at")?,
    })
}

fn reset_from_row(row: &SqliteRow) -> Result<PasswordReset, sqlx::Error> {
    Ok(PasswordReset {
        user_id: row.try_get("user_id")?,
        code_hash: row.try_get("code_hash")?,
        expires_at: from_millis(row.try_get("expires_at")?),
        attempts: row.try_get("attempts")?,
    })
}

/// Maps a unique violation with a bilingual detail; other errors pass through.
fn conflict_detail(err: CoreError, en: &str, zh: &str) -> CoreError {
    if err.code == ErrorCode::Conflict {
        CoreError::new(ErrorCode::Conflict).with_detail(en, zh)
    } else {
        err
    }
}

async fn insert_user_row<'e>(executor: impl SqliteExecutor<'e>, user: &NewUser) -> CoreResult<User> {
    let row = sqlx::query(&format!(
        "INSERT INTO users (username, email, display_name, role, status, password_hash, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {USER_COLUMNS}"
    ))
    .bind(&user.username)
    .bind(&user.email)
    .bind(&user.display_name)
    .bind(user.role.as_str())
    .bind(user.status.as_str())
    .bind(&user.password_hash)
    .bind(to_millis(user.created_at))
    .fetch_one(executor)
    .await
    .map_err(|e| conflict_detail(db_error(e), "the username or e-mail is taken", "用户名或邮箱已被使用"))?;
    user_from_row(&row).map_err(db_error)
}

fn push_user_filters(builder: &mut QueryBuilder<'_, Sqlite>, query: &UserQuery) {
    builder.push(" FROM users WHERE 1 = 1");
    if let Some(role) = query.role {
        builder.push(" AND role = ").push_bind(role.as_str());
    }
    if let Some(status) = query.status {
        builder.push(" AND status = ").push_bind(status.as_str());
    }
    if let Some(search) = &query.search {
        // LIKE ignores case (ASCII), as the port asks.
        let pattern = contains_pattern(search);
        builder.push(" AND (username LIKE ").push_bind(pattern.clone());
        builder.push(" ESCAPE '\\' OR display_name LIKE ").push_bind(pattern.clone());
        builder.push(" ESCAPE '\\' OR email LIKE ").push_bind(pattern);
        builder.push(" ESCAPE '\\')");
    }
}

#[async_trait]
impl UserRepository for SqliteStore {
    async fn count_users(&self) -> CoreResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&self.read).await.map_err(db_error)
    }

    async fn insert_user(&self, user: NewUser) -> CoreResult<User> {
        let user = insert_user_row(&self.write, &user).await?;
        self.changed();
        Ok(user)
    }

    async fn insert_invited_user(&self, user: NewUser, invite_hash: &str) -> CoreResult<User> {
        let mut tx = self.begin_write().await?;
        // The write lock is held from here, so the invitation cannot be taken by a
        // concurrent registration between this check and the update below.
        let invite_id: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM invites WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?",
        )
        .bind(invite_hash)
        .bind(to_millis(user.created_at))
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;
        let Some(invite_id) = invite_id else {
            return Err(CoreError::invalid(
                "invite",
                "the invitation code is unknown, used or expired",
                "邀请码无效、已被使用或已过期",
            ));
        };
        let inserted = insert_user_row(&mut *tx, &user).await?;
        sqlx::query("UPDATE invites SET used_by = ?, used_at = ? WHERE id = ?")
            .bind(inserted.id)
            .bind(to_millis(user.created_at))
            .bind(invite_id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        self.changed();
        Ok(inserted)
    }

    async fn user_by_id(&self, id: i64) -> CoreResult<Option<User>> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.read)
            .await
            .map_err(db_error)?;
        row.as_ref().map(user_from_row).transpose().map_err(db_error)
    }

    async fn user_by_login(&self, login: &str) -> CoreResult<Option<User>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE username = ?1 COLLATE NOCASE OR email = ?1 COLLATE NOCASE
             ORDER BY username = ?1 COLLATE NOCASE DESC LIMIT 1"
        ))
        .bind(login)
        .fetch_optional(&self.read)
        .await
        .map_err(db_error)?;
        row.as_ref().map(user_from_row).transpose().map_err(db_error)
    }

    async fn touch_user(&self, id: i64, at: DateTime<Utc>) -> CoreResult<()> {
        sqlx::query("UPDATE users SET last_seen_at = ? WHERE id = ?")
            .bind(to_millis(at))
            .bind(id)
            .execute(&self.write)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn first_admin(&self) -> CoreResult<Option<User>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE role = 'admin' AND status = 'active' ORDER BY id LIMIT 1"
        ))
        .fetch_optional(&self.read)
        .await
        .map_err(db_error)?;
        row.as_ref().map(user_from_row).transpose().map_err(db_error)
    }

    async fn list_users(&self, query: &UserQuery) -> CoreResult<(Vec<User>, i64)> {
        let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*)");
        push_user_filters(&mut count, query);
        let total: i64 = count.build_query_scalar().fetch_one(&self.read).await.map_err(db_error)?;
        if total == 0 || query.offset >= total {
            return Ok((Vec::new(), total));
        }
        let mut page = QueryBuilder::<Sqlite>::new(format!("SELECT {USER_COLUMNS}"));
        push_user_filters(&mut page, query);
        page.push(" ORDER BY id LIMIT ").push_bind(query.limit).push(" OFFSET ").push_bind(query.offset);
        let rows = page.build().fetch_all(&self.read).await.map_err(db_error)?;
        let users = rows.iter().map(user_from_row).collect::<Result<_, _>>().map_err(db_error)?;
        Ok((users, total))
    }

    async fn update_user(&self, id: i64, patch: UserPatch) -> CoreResult<User> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?"))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?;
        let Some(row) = row else {
            return Err(CoreError::not_found());
        };
        let mut user = user_from_row(&row).map_err(db_error)?;
        let disabling = patch.status == Some(UserStatus::Disabled);
        if let Some(email) = patch.email {
            user.email = email;
        }
        if let Some(display_name) = patch.display_name {
            user.display_name = display_name;
        }
        if let Some(avatar) = patch.avatar {
            user.avatar = avatar;
        }
        if let Some(bio) = patch.bio {
            user.bio = bio;
        }
        if let Some(role) = patch.role {
            user.role = role;
        }
        if let Some(status) = patch.status {
            user.status = status;
        }
        let row = sqlx::query(&format!(
            "UPDATE users SET email = ?, display_name = ?, avatar = ?, bio = ?, role = ?, status = ?
             WHERE id = ? RETURNING {USER_COLUMNS}"
        ))
        .bind(&user.email)
        .bind(&user.display_name)
        .bind(&user.avatar)
        .bind(&user.bio)
        .bind(user.role.as_str())
        .bind(user.status.as_str())
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            let err = conflict_detail(db_error(e), "the e-mail is taken", "邮箱已被使用");
            if err.code == ErrorCode::Conflict { err.with_field("email") } else { err }
        })?;
        let updated = user_from_row(&row).map_err(db_error)?;
        if disabling {
            for sql in
                ["DELETE FROM sessions WHERE user_id = ?", "DELETE FROM access_tokens WHERE user_id = ?"]
            {
                sqlx::query(sql).bind(id).execute(&mut *tx).await.map_err(db_error)?;
            }
        }
        tx.commit().await.map_err(db_error)?;
        self.changed();
        Ok(updated)
    }

    async fn set_password_hash(
        &self,
        user_id: i64,
        password_hash: &str,
        keep_session: Option<&str>,
    ) -> CoreResult<()> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
            .bind(password_hash)
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        if done.rows_affected() == 0 {
            return Err(CoreError::not_found());
        }
        // `IS NOT NULL` holds for every row, so without a session to keep all of them go.
        sqlx::query("DELETE FROM sessions WHERE user_id = ? AND id_hash IS NOT ?")
            .bind(user_id)
            .bind(keep_session)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        sqlx::query(&format!("DELETE FROM access_tokens WHERE user_id = ? AND kind IN {SESSION_KINDS}"))
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        sqlx::query("DELETE FROM password_resets WHERE user_id = ?")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        self.changed();
        Ok(())
    }
}

#[async_trait]
impl CredentialRepository for SqliteStore {
    async fn insert_session(&self, session: SessionRecord) -> CoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf_hash, remember, created_at, last_seen_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&session.id_hash)
        .bind(session.user_id)
        .bind(&session.csrf_hash)
        .bind(session.remember)
        .bind(to_millis(session.created_at))
        .bind(to_millis(session.last_seen_at))
        .bind(to_millis(session.expires_at))
        .execute(&self.write)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn session_by_hash(&self, id_hash: &str) -> CoreResult<Option<SessionRecord>> {
        let row = sqlx::query("SELECT * FROM sessions WHERE id_hash = ?")
            .bind(id_hash)
            .fetch_optional(&self.read)
            .await
            .map_err(db_error)?;
        row.as_ref().map(session_from_row).transpose().map_err(db_error)
    }

    async fn touch_session(
        &self,
        id_hash: &str,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> CoreResult<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id_hash = ?")
            .bind(to_millis(at))
            .bind(to_millis(expires_at))
            .bind(id_hash)
            .execute(&self.write)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn delete_session(&self, id_hash: &str) -> CoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = ?")
            .bind(id_hash)
            .execute(&self.write)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn end_sessions_of_user(&self, user_id: i64) -> CoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let sessions = sqlx::query("DELETE FROM sessions WHERE user_id = ?")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        let tokens =
            sqlx::query(&format!("DELETE FROM access_tokens WHERE user_id = ? AND kind IN {SESSION_KINDS}"))
                .bind(user_id)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(sessions.rows_affected() + tokens.rows_affected())
    }

    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> CoreResult<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= ?")
            .bind(to_millis(now))
            .execute(&self.write)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected())
    }

    async fn insert_access_token(&self, token: NewAccessToken) -> CoreResult<AccessToken> {
        let row = sqlx::query(
            "INSERT INTO access_tokens (user_id, kind, name, token_hash, prefix, scopes, expires_at, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
        )
        .bind(token.user_id)
        .bind(token.kind.as_str())
        .bind(&token.name)
        .bind(&token.token_hash)
        .bind(&token.prefix)
        .bind(scopes_text(&token.scopes))
        .bind(token.expires_at.map(to_millis))
        .bind(to_millis(token.created_at))
        .fetch_one(&self.write)
        .await
        .map_err(db_error)?;
        token_from_row(&row).map_err(db_error)
    }

    async fn access_token_by_hash(&self, token_hash: &str) -> CoreResult<Option<AccessToken>> {
        let row = sqlx::query("SELECT * FROM access_tokens WHERE token_hash = ?")
            .bind(token_hash)
            .fetch_optional(&self.read)
            .await
            .map_err(db_error)?;
        row.as_ref().map(token_from_row).transpose().map_err(db_error)
    }

    async fn access_tokens_of_user(&self, user_id: i64) -> CoreResult<Vec<AccessToken>> {
        let rows =
            sqlx::query("SELECT * FROM access_tokens WHERE user_id = ? ORDER BY created_at DESC, id DESC")
                .bind(user_id)
                .fetch_all(&self.read)
                .await
                .map_err(db_error)?;
        rows.iter().map(token_from_row).collect::<Result<_, _>>().map_err(db_error)
    }

    async fn delete_access_token(&self, user_id: i64, token_id: i64) -> CoreResult<bool> {
        let done = sqlx::query("DELETE FROM access_tokens WHERE id = ? AND user_id = ?")
            .bind(token_id)
            .bind(user_id)
            .execute(&self.write)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn touch_access_token(&self, token_id: i64, at: DateTime<Utc>, ip: Option<&str>) -> CoreResult<()> {
        // A use without a known address keeps the last one known.
        sqlx::query("UPDATE access_tokens SET last_used_at = ?, last_ip = COALESCE(?, last_ip) WHERE id = ?")
            .bind(to_millis(at))
            .bind(ip)
            .bind(token_id)
            .execute(&self.write)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn insert_api_key(&self, key: NewApiKey) -> CoreResult<ApiKey> {
        let row = sqlx::query(
            "INSERT INTO api_keys (name, key_hash, key_sealed, prefix, user_id, can_write_own, can_write_other,
                can_delete, allowed_ips, enabled, created_by, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?) RETURNING *",
        )
        .bind(&key.name)
        .bind(&key.key_hash)
        .bind(&key.key_sealed)
        .bind(&key.prefix)
        .bind(key.user_id)
        .bind(key.grant.can_write_own)
        .bind(key.grant.can_write_other)
        .bind(i64::from(key.grant.can_delete.level()))
        .bind(ips_json(&key.allowed_ips)?)
        .bind(key.created_by)
        .bind(to_millis(key.created_at))
        .fetch_one(&self.write)
        .await
        .map_err(db_error)?;
        api_key_from_row(&row).map_err(db_error)
    }

    async fn api_key_by_hash(&self, key_hash: &str) -> CoreResult<Option<ApiKey>> {
        let row = sqlx::query("SELECT * FROM api_keys WHERE key_hash = ?")
            .bind(key_hash)
            .fetch_optional(&self.read)
            .await
            .map_err(db_error)?;
        row.as_ref().map(api_key_from_row).transpose().map_err(db_error)
    }

    async fn api_key_by_id(&self, id: i64) -> CoreResult<Option<ApiKey>> {
        let row = sqlx::query("SELECT * FROM api_keys WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.read)
            .await
            .map_err(db_error)?;
        row.as_ref().map(api_key_from_row).transpose().map_err(db_error)
    }

    async fn api_keys(&self) -> CoreResult<Vec<ApiKey>> {
        let rows = sqlx::query("SELECT * FROM api_keys ORDER BY created_at DESC, id DESC")
            .fetch_all(&self.read)
            .await
            .map_err(db_error)?;
        rows.iter().map(api_key_from_row).collect::<Result<_, _>>().map_err(db_error)
    }

    async fn update_api_key(&self, id: i64, patch: ApiKeyPatch) -> CoreResult<ApiKey> {
        // One statement: a NULL parameter leaves its column as it is.
        let allowed_ips = patch.allowed_ips.as_deref().map(ips_json).transpose()?;
        let row = sqlx::query(
            "UPDATE api_keys SET name = COALESCE(?, name), can_write_own = COALESCE(?, can_write_own),
                can_write_other = COALESCE(?, can_write_other), can_delete = COALESCE(?, can_delete),
                allowed_ips = COALESCE(?, allowed_ips), enabled = COALESCE(?, enabled)
             WHERE id = ? RETURNING *",
        )
        .bind(&patch.name)
        .bind(patch.can_write_own)
        .bind(patch.can_write_other)
        .bind(patch.can_delete.map(|d| i64::from(d.level())))
        .bind(allowed_ips)
        .bind(patch.enabled)
        .bind(id)
        .fetch_optional(&self.write)
        .await
        .map_err(db_error)?;
        match row {
            Some(row) => api_key_from_row(&row).map_err(db_error),
            None => Err(CoreError::not_found()),
        }
    }

    async fn delete_api_key(&self, id: i64) -> CoreResult<bool> {
        let done = sqlx::query("DELETE FROM api_keys WHERE id = ?")
            .bind(id)
            .execute(&self.write)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn touch_api_key(&self, id: i64, at: DateTime<Utc>, ip: Option<&str>) -> CoreResult<()> {
        sqlx::query("UPDATE api_keys SET last_used_at = ?, last_ip = COALESCE(?, last_ip) WHERE id = ?")
            .bind(to_millis(at))
            .bind(ip)
            .bind(id)
            .execute(&self.write)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn remember_signature(
        &self,
        key_id: i64,
        signature: &str,
        expires_at: DateTime<Utc>,
    ) -> CoreResult<bool> {
        // The primary key decides in one statement, so two nodes racing with the same
        // signature cannot both succeed. A remembered signature stays a replay until
        // `delete_expired_signatures` forgets it, even if its window has passed.
        let done = sqlx::query(
            "INSERT INTO used_signatures (key_id, signature, expires_at) VALUES (?, ?, ?)
             ON CONFLICT (key_id, signature) DO NOTHING",
        )
        .bind(key_id)
        .bind(signature)
        .bind(to_millis(expires_at))
        .execute(&self.write)
        .await
        .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete_expired_signatures(&self, now: DateTime<Utc>) -> CoreResult<u64> {
        // Strictly before: a signature is still accepted at the very end of its window
        // (the check is inclusive), so it must still count as a replay then.
        let done = sqlx::query("DELETE FROM used_signatures WHERE expires_at < ?")
            .bind(to_millis(now))
            .execute(&self.write)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected())
    }

    async fn insert_invite(&self, invite: NewInvite) -> CoreResult<Invite> {
        let row = sqlx::query(
            "INSERT INTO invites (code_hash, role, created_by, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?) RETURNING *",
        )
        .bind(&invite.code_hash)
        .bind(invite.role.as_str())
        .bind(invite.created_by)
        .bind(to_millis(invite.created_at))
        .bind(to_millis(invite.expires_at))
        .fetch_one(&self.write)
        .await
        .map_err(db_error)?;
        invite_from_row(&row).map_err(db_error)
    }

    async fn invites(&self) -> CoreResult<Vec<Invite>> {
        let rows = sqlx::query("SELECT * FROM invites ORDER BY created_at DESC, id DESC")
            .fetch_all(&self.read)
            .await
            .map_err(db_error)?;
        rows.iter().map(invite_from_row).collect::<Result<_, _>>().map_err(db_error)
    }

    async fn invite_by_hash(&self, code_hash: &str) -> CoreResult<Option<Invite>> {
        let row = sqlx::query("SELECT * FROM invites WHERE code_hash = ?")
            .bind(code_hash)
            .fetch_optional(&self.read)
            .await
            .map_err(db_error)?;
        row.as_ref().map(invite_from_row).transpose().map_err(db_error)
    }

    async fn delete_invite(&self, id: i64) -> CoreResult<bool> {
        let done = sqlx::query("DELETE FROM invites WHERE id = ?")
            .bind(id)
            .execute(&self.write)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn put_password_reset(&self, reset: PasswordReset) -> CoreResult<()> {
        sqlx::query(
            "INSERT INTO password_resets (user_id, code_hash, expires_at, attempts) VALUES (?, ?, ?, ?)
             ON CONFLICT (user_id) DO UPDATE SET code_hash = excluded.code_hash,
                expires_at = excluded.expires_at, attempts = excluded.attempts",
        )
        .bind(reset.user_id)
        .bind(&reset.code_hash)
        .bind(to_millis(reset.expires_at))
        .bind(reset.attempts)
        .execute(&self.write)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn password_reset(&self, user_id: i64) -> CoreResult<Option<PasswordReset>> {
        let row = sqlx::query("SELECT * FROM password_resets WHERE user_id = ?")
            .bind(user_id)
            .fetch_optional(&self.read)
            .await
            .map_err(db_error)?;
        row.as_ref().map(reset_from_row).transpose().map_err(db_error)
    }

    async fn count_password_reset_attempt(&self, user_id: i64) -> CoreResult<i64> {
        let attempts: Option<i64> = sqlx::query_scalar(
            "UPDATE password_resets SET attempts = attempts + 1 WHERE user_id = ? RETURNING attempts",
        )
        .bind(user_id)
        .fetch_optional(&self.write)
        .await
        .map_err(db_error)?;
        attempts.ok_or_else(CoreError::not_found)
    }

    async fn delete_password_reset(&self, user_id: i64) -> CoreResult<()> {
        sqlx::query("DELETE FROM password_resets WHERE user_id = ?")
            .bind(user_id)
            .execute(&self.write)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use inkstone_core::ErrorCode;
    use inkstone_core::model::{AccessTokenKind, Role, UserStatus};
    use inkstone_core::permission::{DeleteGrant, KeyGrant, Scope};
    use inkstone_core::ports::{
        ApiKeyPatch, CredentialRepository, NewAccessToken, NewApiKey, NewInvite, NewUser, PasswordReset,
        SessionRecord, UserPatch, UserQuery, UserRepository,
    };

    use crate::SqliteStore;
    use crate::testing::{at, store};

    fn new_user(name: &str) -> NewUser {
        NewUser {
            username: name.to_string(),
            email: format!("{name}@example.com"),
            display_name: name.to_uppercase(),
            role: Role::Author,
            status: UserStatus::Active,
            password_hash: "old-hash".to_string(),
            created_at: at(0),
        }
    }

    fn session(id_hash: &str, user_id: i64) -> SessionRecord {
        SessionRecord {
            id_hash: id_hash.to_string(),
            user_id,
            csrf_hash: format!("csrf-{id_hash}"),
            remember: false,
            created_at: at(0),
            last_seen_at: at(0),
            expires_at: at(3600),
        }
    }

    fn token(user_id: i64, kind: AccessTokenKind, hash: &str) -> NewAccessToken {
        NewAccessToken {
            user_id,
            kind,
            name: format!("{} token", kind.as_str()),
            token_hash: hash.to_string(),
            prefix: hash.chars().take(8).collect(),
            scopes: None,
            expires_at: None,
            created_at: at(0),
        }
    }

    fn invite(code_hash: &str, expires_at: i64) -> NewInvite {
        NewInvite {
            code_hash: code_hash.to_string(),
            role: Role::Contributor,
            created_by: None,
            created_at: at(0),
            expires_at: at(expires_at),
        }
    }

    /// The kinds of the user's tokens, oldest first.
    async fn token_kinds(store: &SqliteStore, user_id: i64) -> Vec<AccessTokenKind> {
        let mut tokens = store.access_tokens_of_user(user_id).await.unwrap();
        tokens.sort_by_key(|t| t.id);
        tokens.into_iter().map(|t| t.kind).collect()
    }

    /// A user with two sessions, one token of every kind and a pending reset.
    async fn user_with_credentials(store: &SqliteStore, name: &str) -> i64 {
        let id = store.insert_user(new_user(name)).await.unwrap().id;
        for s in ["a", "b"] {
            store.insert_session(session(&format!("{name}-{s}"), id)).await.unwrap();
        }
        for kind in AccessTokenKind::ALL {
            store.insert_access_token(token(id, *kind, &format!("{name}-{}", kind.as_str()))).await.unwrap();
        }
        let reset = PasswordReset { user_id: id, code_hash: "code".into(), expires_at: at(600), attempts: 0 };
        store.put_password_reset(reset).await.unwrap();
        id
    }

    #[tokio::test]
    async fn invited_user_is_inserted_and_the_invite_used() {
        let (_dir, store) = store().await;
        let created = store.insert_invite(invite("code-1", 100)).await.unwrap();
        assert_eq!(created.used_at, None);
        let generation = crate::ChangeCounter::generation(&store);

        let mut user = new_user("alice");
        user.created_at = at(99);
        let alice = store.insert_invited_user(user, "code-1").await.unwrap();

        let invites = store.invites().await.unwrap();
        assert_eq!(invites.len(), 1);
        assert_eq!(invites[0].used_by, Some(alice.id));
        assert_eq!(invites[0].used_at, Some(at(99)));
        assert!(crate::ChangeCounter::generation(&store) > generation);
    }

    #[tokio::test]
    async fn invited_user_with_an_unusable_invite_writes_nothing() {
        let (_dir, store) = store().await;
        store.insert_invite(invite("fresh", 100)).await.unwrap();
        store.insert_invite(invite("expired", 50)).await.unwrap();
        store.insert_invited_user(new_user("first"), "fresh").await.unwrap();

        let mut late = new_user("late");
        late.created_at = at(50);
        for (user, code) in
            [(new_user("second"), "fresh"), (late, "expired"), (new_user("nobody"), "no-such-code")]
        {
            let err = store.insert_invited_user(user, code).await.unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidInput, "{code}");
            assert_eq!(err.field.as_deref(), Some("invite"));
        }
        assert_eq!(store.count_users().await.unwrap(), 1);
        let invites = store.invites().await.unwrap();
        let expired = invites.iter().find(|i| i.code_hash == "expired").unwrap();
        assert_eq!((expired.used_by, expired.used_at), (None, None));
    }

    #[tokio::test]
    async fn invited_user_with_a_taken_name_leaves_the_invite_unused() {
        let (_dir, store) = store().await;
        store.insert_user(new_user("alice")).await.unwrap();
        store.insert_invite(invite("code", 100)).await.unwrap();

        let mut taken = new_user("ALICE");
        taken.email = "other@example.com".into();
        let err = store.insert_invited_user(taken, "code").await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Conflict);
        assert_eq!(store.count_users().await.unwrap(), 1);
        assert_eq!(store.invites().await.unwrap()[0].used_at, None);

        // The invitation is still good for someone else.
        store.insert_invited_user(new_user("bob"), "code").await.unwrap();
        assert_eq!(store.count_users().await.unwrap(), 2);
    }

    #[tokio::test]
    async fn set_password_hash_keeps_one_session_and_the_lasting_tokens() {
        let (_dir, store) = store().await;
        let alice = user_with_credentials(&store, "alice").await;
        let bob = user_with_credentials(&store, "bob").await;

        store.set_password_hash(alice, "new-hash", Some("alice-b")).await.unwrap();

        assert_eq!(store.user_by_id(alice).await.unwrap().unwrap().password_hash, "new-hash");
        assert!(store.session_by_hash("alice-a").await.unwrap().is_none());
        assert!(store.session_by_hash("alice-b").await.unwrap().is_some());
        assert_eq!(token_kinds(&store, alice).await, [AccessTokenKind::Personal, AccessTokenKind::Developer]);
        assert!(store.password_reset(alice).await.unwrap().is_none());
        // Nobody else's credentials are touched.
        assert!(store.session_by_hash("bob-a").await.unwrap().is_some());
        assert_eq!(token_kinds(&store, bob).await.len(), 4);
        assert!(store.password_reset(bob).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn set_password_hash_without_a_session_to_keep_ends_them_all() {
        let (_dir, store) = store().await;
        let alice = user_with_credentials(&store, "alice").await;
        store.set_password_hash(alice, "new-hash", None).await.unwrap();
        assert!(store.session_by_hash("alice-a").await.unwrap().is_none());
        assert!(store.session_by_hash("alice-b").await.unwrap().is_none());
        assert_eq!(token_kinds(&store, alice).await.len(), 2);

        let err = store.set_password_hash(9999, "hash", None).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::NotFound);
    }

    #[tokio::test]
    async fn disabling_a_user_deletes_their_sessions_and_tokens() {
        let (_dir, store) = store().await;
        let alice = user_with_credentials(&store, "alice").await;
        let bob = user_with_credentials(&store, "bob").await;

        // A change that does not disable keeps every credential.
        let patch = UserPatch { role: Some(Role::Editor), ..UserPatch::default() };
        store.update_user(alice, patch).await.unwrap();
        assert_eq!(token_kinds(&store, alice).await.len(), 4);

        let patch = UserPatch { status: Some(UserStatus::Disabled), ..UserPatch::default() };
        let updated = store.update_user(alice, patch).await.unwrap();
        assert_eq!((updated.status, updated.role), (UserStatus::Disabled, Role::Editor));
        assert!(store.session_by_hash("alice-a").await.unwrap().is_none());
        assert!(store.session_by_hash("alice-b").await.unwrap().is_none());
        assert!(token_kinds(&store, alice).await.is_empty());
        assert!(store.session_by_hash("bob-a").await.unwrap().is_some());
        assert_eq!(token_kinds(&store, bob).await.len(), 4);
    }

    #[tokio::test]
    async fn update_user_applies_the_patch_and_refuses_a_taken_email() {
        let (_dir, store) = store().await;
        let alice = store.insert_user(new_user("alice")).await.unwrap();
        store.insert_user(new_user("bob")).await.unwrap();

        let patch = UserPatch {
            display_name: Some("Alice A.".into()),
            avatar: Some(Some("/a.png".into())),
            bio: Some(Some("hi".into())),
            ..UserPatch::default()
        };
        let updated = store.update_user(alice.id, patch).await.unwrap();
        assert_eq!(updated.display_name, "Alice A.");
        assert_eq!((updated.avatar.as_deref(), updated.bio.as_deref()), (Some("/a.png"), Some("hi")));
        assert_eq!(updated.email, alice.email);

        let cleared = store
            .update_user(alice.id, UserPatch { avatar: Some(None), ..UserPatch::default() })
            .await
            .unwrap();
        assert_eq!((cleared.avatar, cleared.bio.as_deref()), (None, Some("hi")));

        let patch = UserPatch { email: Some("BOB@example.com".into()), ..UserPatch::default() };
        let err = store.update_user(alice.id, patch).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Conflict);
        assert_eq!(err.field.as_deref(), Some("email"));
        assert!(err.detail.is_some());
        assert_eq!(store.user_by_id(alice.id).await.unwrap().unwrap().email, alice.email);

        let err = store.update_user(9999, UserPatch::default()).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::NotFound);
    }

    #[tokio::test]
    async fn list_users_filters_pages_and_counts() {
        let (_dir, store) = store().await;
        for name in ["alice", "bob", "carol", "dave_x", "davex"] {
            store.insert_user(new_user(name)).await.unwrap();
        }
        let editor = store.insert_user(NewUser { role: Role::Editor, ..new_user("erin") }).await.unwrap();
        store
            .update_user(editor.id, UserPatch { status: Some(UserStatus::Disabled), ..UserPatch::default() })
            .await
            .unwrap();

        let query = UserQuery { limit: 2, offset: 1, ..UserQuery::default() };
        let (page, total) = store.list_users(&query).await.unwrap();
        assert_eq!(total, 6);
        assert_eq!(page.iter().map(|u| u.username.as_str()).collect::<Vec<_>>(), ["bob", "carol"]);

        // Case-insensitive substring of the display name; `_` is literal.
        let query = UserQuery { search: Some("VE_".into()), limit: 10, ..UserQuery::default() };
        let (page, total) = store.list_users(&query).await.unwrap();
        assert_eq!((total, page[0].username.as_str()), (1, "dave_x"));

        let query = UserQuery { role: Some(Role::Editor), limit: 10, ..UserQuery::default() };
        assert_eq!(store.list_users(&query).await.unwrap().1, 1);
        let query = UserQuery { status: Some(UserStatus::Active), limit: 10, ..UserQuery::default() };
        assert_eq!(store.list_users(&query).await.unwrap().1, 5);
        let query =
            UserQuery { search: Some("@EXAMPLE".into()), offset: 10, limit: 10, ..UserQuery::default() };
        assert_eq!(store.list_users(&query).await.unwrap(), (Vec::new(), 6));
    }

    #[tokio::test]
    async fn end_sessions_of_user_counts_sessions_and_session_tokens() {
        let (_dir, store) = store().await;
        let alice = user_with_credentials(&store, "alice").await;
        let bob = user_with_credentials(&store, "bob").await;
        assert_eq!(store.end_sessions_of_user(alice).await.unwrap(), 4);
        assert_eq!(token_kinds(&store, alice).await, [AccessTokenKind::Personal, AccessTokenKind::Developer]);
        assert_eq!(token_kinds(&store, bob).await.len(), 4);
        assert_eq!(store.end_sessions_of_user(alice).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn access_tokens_keep_kind_scopes_and_last_use() {
        let (_dir, store) = store().await;
        let alice = store.insert_user(new_user("alice")).await.unwrap().id;
        let bob = store.insert_user(new_user("bob")).await.unwrap().id;
        let scoped = NewAccessToken {
            scopes: Some(vec![Scope::ContentRead, Scope::Admin]),
            expires_at: Some(at(100)),
            ..token(alice, AccessTokenKind::Personal, "pat_scoped")
        };
        let scoped = store.insert_access_token(scoped).await.unwrap();
        let empty =
            NewAccessToken { scopes: Some(Vec::new()), ..token(alice, AccessTokenKind::Personal, "pat_e") };
        store.insert_access_token(empty).await.unwrap();
        let mut later = token(alice, AccessTokenKind::Developer, "dev");
        later.created_at = at(10);
        store.insert_access_token(later).await.unwrap();

        let found = store.access_token_by_hash("pat_scoped").await.unwrap().unwrap();
        assert_eq!(found, scoped);
        assert_eq!(found.scopes, Some(vec![Scope::ContentRead, Scope::Admin]));
        assert_eq!(found.expires_at, Some(at(100)));
        assert_eq!(store.access_token_by_hash("pat_e").await.unwrap().unwrap().scopes, Some(Vec::new()));
        let hashes: Vec<String> =
            store.access_tokens_of_user(alice).await.unwrap().into_iter().map(|t| t.token_hash).collect();
        assert_eq!(hashes, ["dev", "pat_e", "pat_scoped"]);

        store.touch_access_token(scoped.id, at(5), Some("192.0.2.1")).await.unwrap();
        store.touch_access_token(scoped.id, at(6), None).await.unwrap();
        let touched = store.access_token_by_hash("pat_scoped").await.unwrap().unwrap();
        assert_eq!((touched.last_used_at, touched.last_ip.as_deref()), (Some(at(6)), Some("192.0.2.1")));

        assert!(!store.delete_access_token(bob, scoped.id).await.unwrap());
        assert!(store.delete_access_token(alice, scoped.id).await.unwrap());
        assert!(store.access_token_by_hash("pat_scoped").await.unwrap().is_none());
        let err = store.insert_access_token(token(bob, AccessTokenKind::Session, "dev")).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Conflict);
    }

    fn new_key(name: &str, user_id: Option<i64>, created_by: Option<i64>) -> NewApiKey {
        NewApiKey {
            name: name.to_string(),
            key_hash: format!("hash-{name}"),
            key_sealed: format!("sealed-{name}"),
            prefix: "isk_abcd".into(),
            user_id,
            grant: KeyGrant {
                can_write_own: true,
                can_write_other: false,
                can_delete: DeleteGrant::ApiOrigin,
            },
            allowed_ips: vec!["192.0.2.0/24".into(), "2001:db8::1".into()],
            created_by,
            created_at: at(0),
        }
    }

    #[tokio::test]
    async fn api_keys_round_trip_patch_and_follow_their_users() {
        let (_dir, store) = store().await;
        let admin = store.insert_user(new_user("admin")).await.unwrap().id;
        let bot = store.insert_user(new_user("bot")).await.unwrap().id;
        let site = store.insert_api_key(new_key("site", None, Some(admin))).await.unwrap();
        let bound = store.insert_api_key(new_key("bound", Some(bot), Some(admin))).await.unwrap();

        assert!(site.enabled);
        assert_eq!(site.allowed_ips, ["192.0.2.0/24", "2001:db8::1"]);
        assert_eq!(site.grant.can_delete, DeleteGrant::ApiOrigin);
        assert_eq!(store.api_key_by_hash("hash-site").await.unwrap(), Some(site.clone()));
        assert_eq!(store.api_key_by_id(bound.id).await.unwrap(), Some(bound.clone()));
        let names: Vec<String> = store.api_keys().await.unwrap().into_iter().map(|k| k.name).collect();
        assert_eq!(names, ["bound", "site"]);

        let patch = ApiKeyPatch {
            can_write_own: Some(true),
            can_write_other: Some(true),
            can_delete: Some(DeleteGrant::Everything),
            allowed_ips: Some(Vec::new()),
            enabled: Some(false),
            ..ApiKeyPatch::default()
        };
        let patched = store.update_api_key(site.id, patch).await.unwrap();
        assert_eq!((patched.name.as_str(), patched.grant, patched.enabled), ("site", KeyGrant::FULL, false));
        assert!(patched.allowed_ips.is_empty());
        let renamed = store
            .update_api_key(site.id, ApiKeyPatch { name: Some("renamed".into()), ..ApiKeyPatch::default() })
            .await
            .unwrap();
        assert_eq!((renamed.name.as_str(), renamed.grant), ("renamed", KeyGrant::FULL));
        let err = store.update_api_key(9999, ApiKeyPatch::default()).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::NotFound);

        store.touch_api_key(site.id, at(7), Some("192.0.2.9")).await.unwrap();
        let touched = store.api_key_by_id(site.id).await.unwrap().unwrap();
        assert_eq!((touched.last_used_at, touched.last_ip.as_deref()), (Some(at(7)), Some("192.0.2.9")));

        // The bound key goes with its user; the creator's keys stay, without a creator.
        sqlx::query("DELETE FROM users WHERE id IN (?, ?)")
            .bind(bot)
            .bind(admin)
            .execute(&store.write)
            .await
            .unwrap();
        assert!(store.api_key_by_id(bound.id).await.unwrap().is_none());
        assert_eq!(store.api_key_by_id(site.id).await.unwrap().unwrap().created_by, None);
        assert!(store.delete_api_key(site.id).await.unwrap());
        assert!(!store.delete_api_key(site.id).await.unwrap());
    }

    #[tokio::test]
    async fn remember_signature_refuses_a_replay_and_writes_nothing() {
        let (_dir, store) = store().await;
        let one = store.insert_api_key(new_key("one", None, None)).await.unwrap().id;
        let two = store.insert_api_key(new_key("two", None, None)).await.unwrap().id;

        assert!(store.remember_signature(one, "sig", at(600)).await.unwrap());
        assert!(!store.remember_signature(one, "sig", at(900)).await.unwrap());
        // The same signature under another key is a different request.
        assert!(store.remember_signature(two, "sig", at(600)).await.unwrap());

        // The replay did not move the expiry to 900: both rows go just after 600, the last
        // moment a signature of that window is still accepted.
        assert_eq!(store.delete_expired_signatures(at(600)).await.unwrap(), 0);
        let after = at(600) + chrono::Duration::milliseconds(1);
        assert_eq!(store.delete_expired_signatures(after).await.unwrap(), 2);
        assert!(store.remember_signature(one, "sig", at(1200)).await.unwrap());
    }

    #[tokio::test]
    async fn invites_list_newest_first_and_delete() {
        let (_dir, store) = store().await;
        let first = store.insert_invite(invite("a", 100)).await.unwrap();
        let second = store.insert_invite(NewInvite { created_at: at(1), ..invite("b", 100) }).await.unwrap();
        assert_eq!(second.role, Role::Contributor);
        assert_eq!(store.invites().await.unwrap(), [second, first.clone()]);
        assert_eq!(store.invite_by_hash(&first.code_hash).await.unwrap(), Some(first.clone()));
        assert_eq!(store.invite_by_hash("nope").await.unwrap(), None);
        assert!(store.delete_invite(first.id).await.unwrap());
        assert!(!store.delete_invite(first.id).await.unwrap());
        assert_eq!(store.invites().await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn password_resets_are_replaced_counted_and_deleted() {
        let (_dir, store) = store().await;
        let alice = store.insert_user(new_user("alice")).await.unwrap().id;
        let reset =
            PasswordReset { user_id: alice, code_hash: "one".into(), expires_at: at(600), attempts: 0 };
        store.put_password_reset(reset).await.unwrap();
        assert_eq!(store.count_password_reset_attempt(alice).await.unwrap(), 1);
        assert_eq!(store.count_password_reset_attempt(alice).await.unwrap(), 2);

        let fresh =
            PasswordReset { user_id: alice, code_hash: "two".into(), expires_at: at(900), attempts: 0 };
        store.put_password_reset(fresh.clone()).await.unwrap();
        assert_eq!(store.password_reset(alice).await.unwrap(), Some(fresh));

        store.delete_password_reset(alice).await.unwrap();
        assert_eq!(store.password_reset(alice).await.unwrap(), None);
        let err = store.count_password_reset_attempt(alice).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::NotFound);
    }
}
