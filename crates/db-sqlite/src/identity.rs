//! Users, sessions and personal access tokens.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use inkstone_core::model::{Role, User, UserStatus};
use inkstone_core::permission::Scope;
use inkstone_core::ports::{
    CredentialRepository, NewPersonalAccessToken, NewUser, PersonalAccessToken, SessionRecord, UserRepository,
};
use inkstone_core::{CoreError, CoreResult, ErrorCode};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::{SqliteStore, db_error, from_millis, to_millis};

const USER_COLUMNS: &str =
    "id, username, email, display_name, avatar, bio, role, status, password_hash, created_at, last_seen_at";

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

fn token_from_row(row: &SqliteRow) -> Result<PersonalAccessToken, sqlx::Error> {
    let scopes: Option<String> = row.try_get("scopes")?;
    Ok(PersonalAccessToken {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        token_hash: row.try_get("token_hash")?,
        prefix: row.try_get("prefix")?,
        scopes: scopes.map(|text| text.split(' ').filter_map(Scope::parse).collect()),
        expires_at: row.try_get::<Option<i64>, _>("expires_at")?.map(from_millis),
        created_at: from_millis(row.try_get("created_at")?),
        last_used_at: row.try_get::<Option<i64>, _>("last_used_at")?.map(from_millis),
    })
}

#[async_trait]
impl UserRepository for SqliteStore {
    async fn count_users(&self) -> CoreResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&self.read).await.map_err(db_error)
    }

    async fn insert_user(&self, user: NewUser) -> CoreResult<User> {
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
        .fetch_one(&self.write)
        .await
        .map_err(|e| {
            let err = db_error(e);
            if err.code == ErrorCode::Conflict {
                CoreError::new(ErrorCode::Conflict)
                    .with_detail("the username or e-mail is taken", "用户名或邮箱已被使用")
            } else {
                err
            }
        })?;
        self.changed();
        user_from_row(&row).map_err(db_error)
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

    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> CoreResult<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= ?")
            .bind(to_millis(now))
            .execute(&self.write)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected())
    }

    async fn insert_token(&self, token: NewPersonalAccessToken) -> CoreResult<PersonalAccessToken> {
        let scopes =
            token.scopes.as_ref().map(|s| s.iter().map(|scope| scope.as_str()).collect::<Vec<_>>().join(" "));
        let row = sqlx::query(
            "INSERT INTO personal_access_tokens (user_id, name, token_hash, prefix, scopes, expires_at, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *",
        )
        .bind(token.user_id)
        .bind(&token.name)
        .bind(&token.token_hash)
        .bind(&token.prefix)
        .bind(scopes)
        .bind(token.expires_at.map(to_millis))
        .bind(to_millis(token.created_at))
        .fetch_one(&self.write)
        .await
        .map_err(db_error)?;
        token_from_row(&row).map_err(db_error)
    }

    async fn token_by_hash(&self, token_hash: &str) -> CoreResult<Option<PersonalAccessToken>> {
        let row = sqlx::query("SELECT * FROM personal_access_tokens WHERE token_hash = ?")
            .bind(token_hash)
            .fetch_optional(&self.read)
            .await
            .map_err(db_error)?;
        row.as_ref().map(token_from_row).transpose().map_err(db_error)
    }

    async fn tokens_of_user(&self, user_id: i64) -> CoreResult<Vec<PersonalAccessToken>> {
        let rows = sqlx::query("SELECT * FROM personal_access_tokens WHERE user_id = ? ORDER BY id DESC")
            .bind(user_id)
            .fetch_all(&self.read)
            .await
            .map_err(db_error)?;
        rows.iter().map(token_from_row).collect::<Result<_, _>>().map_err(db_error)
    }

    async fn delete_token(&self, user_id: i64, token_id: i64) -> CoreResult<bool> {
        let done = sqlx::query("DELETE FROM personal_access_tokens WHERE id = ? AND user_id = ?")
            .bind(token_id)
            .bind(user_id)
            .execute(&self.write)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected() > 0)
    }

    async fn touch_token(&self, token_id: i64, at: DateTime<Utc>) -> CoreResult<()> {
        sqlx::query("UPDATE personal_access_tokens SET last_used_at = ? WHERE id = ?")
            .bind(to_millis(at))
            .bind(token_id)
            .execute(&self.write)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}
