//! Accounts and credentials: users, login sessions, personal access tokens.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};

use crate::Core;
use crate::error::{CoreError, CoreResult, ErrorCode};
use crate::model::{Role, User, UserStatus};
use crate::permission::{Action, Actor, CredentialKind, Principal, Resource, Scope, require};
use crate::ports::{NewPersonalAccessToken, NewUser, PersonalAccessToken, SessionRecord};
use crate::{secrets, throttle};

/// Idle lifetime of a session without "remember me".
pub const SESSION_IDLE: Duration = Duration::hours(12);
/// Idle lifetime of a remembered session.
pub const REMEMBERED_SESSION_IDLE: Duration = Duration::days(30);
/// Personal access tokens start with this.
pub const TOKEN_PREFIX: &str = "pat_";

/// A new account.
#[derive(Debug, Clone)]
pub struct UserInput {
    pub username: String,
    pub email: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub password: String,
}

/// What a successful login hands out: both secrets are shown only now.
#[derive(Debug, Clone)]
pub struct LoginOutcome {
    pub user: User,
    /// Goes into the session cookie.
    pub session_token: String,
    /// Must accompany unsafe requests made with the cookie (`X-CSRF-Token`).
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

/// A session found by its cookie.
#[derive(Debug, Clone)]
pub struct SessionAuth {
    pub principal: Principal,
    pub session: SessionRecord,
}

/// The first administrator, made at first start.
#[derive(Debug, Clone)]
pub struct InitialAdmin {
    pub username: String,
    /// Set when the password was generated and must be shown to the operator once.
    pub generated_password: Option<String>,
}

fn check_username(username: &str) -> CoreResult<String> {
    let username = username.trim();
    let ok = (2..=32).contains(&username.chars().count())
        && username.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !username.contains('@');
    if ok {
        Ok(username.to_string())
    } else {
        Err(CoreError::invalid(
            "username",
            "2 to 32 letters, digits, `_`, `-` or `.`",
            "2 到 32 个字母、数字、`_`、`-` 或 `.`",
        ))
    }
}

fn check_email(email: &str) -> CoreResult<String> {
    let email = email.trim();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
        });
    if valid {
        Ok(email.to_string())
    } else {
        Err(CoreError::invalid("email", "not an e-mail address", "不是有效的邮箱地址"))
    }
}

async fn hash_password(password: String) -> CoreResult<String> {
    tokio::task::spawn_blocking(move || secrets::hash_password(&password))
        .await
        .map_err(CoreError::internal)?
}

async fn verify_password(password: String, hash: String) -> CoreResult<bool> {
    tokio::task::spawn_blocking(move || secrets::verify_password(&password, &hash))
        .await
        .map_err(CoreError::internal)
}

/// A valid Argon2id hash of a random password: checked against when the login is unknown,
/// so a wrong username costs as much time as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| secrets::hash_password(&secrets::new_password()).unwrap_or_default())
}

impl Core {
    /// Creates a user. Only the system actor (the CLI) and admins may.
    ///
    /// Errors: `invalid_input`, `conflict` (username or e-mail taken), permission.
    pub async fn create_user(&self, actor: &Actor, input: UserInput) -> CoreResult<User> {
        require(actor, Action::ManageSettings, Resource::Site)?;
        let username = check_username(&input.username)?;
        let email = check_email(&input.email)?;
        secrets::check_new_password(&input.password)?;
        let display_name = input
            .display_name
            .map(|d| d.trim().to_string())
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| username.clone());
        let password_hash = hash_password(input.password).await?;
        self.repo
            .insert_user(NewUser {
                username,
                email,
                display_name,
                role: input.role,
                status: UserStatus::Active,
                password_hash,
                created_at: self.now(),
            })
            .await
    }

    /// On a database without users, creates the first admin: with the given credentials, or
    /// `admin` with a generated password returned for printing once. `None` if users exist.
    pub async fn ensure_initial_admin(
        &self,
        username: Option<String>,
        password: Option<String>,
    ) -> CoreResult<Option<InitialAdmin>> {
        if self.repo.count_users().await? > 0 {
            return Ok(None);
        }
        let (username, password, generated) = match (username, password) {
            (Some(u), Some(p)) => (u, p, false),
            (u, _) => (u.unwrap_or_else(|| "admin".into()), secrets::new_password(), true),
        };
        let user = self
            .create_user(
                &Actor::System,
                UserInput {
                    email: format!("{}@localhost.localdomain", username.trim()),
                    username,
                    display_name: None,
                    role: Role::Admin,
                    password: password.clone(),
                },
            )
            .await?;
        Ok(Some(InitialAdmin { username: user.username, generated_password: generated.then_some(password) }))
    }

    /// A user by username or e-mail.
    pub async fn user_by_login(&self, login: &str) -> CoreResult<User> {
        self.repo.user_by_login(login).await?.ok_or_else(CoreError::not_found)
    }

    /// The oldest active admin: the default author of imports.
    pub async fn first_admin(&self) -> CoreResult<User> {
        self.repo.first_admin().await?.ok_or_else(|| {
            CoreError::new(ErrorCode::NotFound).with_detail("there is no active admin", "没有可用的管理员")
        })
    }

    /// The signed-in user.
    pub async fn me(&self, actor: &Actor) -> CoreResult<User> {
        let id = actor.user_id().ok_or_else(CoreError::unauthenticated)?;
        self.repo.user_by_id(id).await?.ok_or_else(CoreError::unauthenticated)
    }

    /// Checks a login (username or e-mail) and password.
    ///
    /// Errors: `invalid_credentials` for an unknown login, a wrong password or a disabled
    /// account (all alike, so accounts cannot be probed); `rate_limited` (with
    /// `retry_after_secs`) after 5 failures for one account or 20 from one address within
    /// 15 minutes, whatever the password.
    pub async fn check_password(
        &self,
        login: &str,
        password: &str,
        client: Option<IpAddr>,
    ) -> CoreResult<User> {
        let account_key = format!("account:{}", login.trim().to_lowercase());
        let mut keys = vec![(account_key.clone(), throttle::MAX_PER_ACCOUNT)];
        if let Some(ip) = client {
            keys.push((format!("ip:{ip}"), throttle::MAX_PER_ADDRESS));
        }
        self.login_failures.check(&keys, self.now())?;
        let user = self.repo.user_by_login(login.trim()).await?;
        let hash = user.as_ref().map_or_else(|| decoy_hash().to_string(), |u| u.password_hash.clone());
        let matches = verify_password(password.to_string(), hash).await?;
        match user {
            Some(user) if matches && user.status == UserStatus::Active => {
                self.login_failures.clear(&account_key);
                Ok(user)
            }
            _ => {
                self.login_failures.fail(&keys, self.now());
                Err(CoreError::new(ErrorCode::InvalidCredentials))
            }
        }
    }

    /// Checks a login (username or e-mail) and password and opens a session.
    ///
    /// Errors: as [`Core::check_password`].
    pub async fn login(
        &self,
        login: &str,
        password: &str,
        remember: bool,
        client: Option<IpAddr>,
    ) -> CoreResult<LoginOutcome> {
        let user = self.check_password(login, password, client).await?;
        let now = self.now();
        let idle = if remember { REMEMBERED_SESSION_IDLE } else { SESSION_IDLE };
        let session_token = secrets::new_secret("");
        let csrf_token = secrets::new_secret("");
        let expires_at = now + idle;
        self.repo
            .insert_session(SessionRecord {
                id_hash: secrets::digest(&session_token),
                user_id: user.id,
                csrf_hash: secrets::digest(&csrf_token),
                remember,
                created_at: now,
                last_seen_at: now,
                expires_at,
            })
            .await?;
        self.repo.touch_user(user.id, now).await?;
        Ok(LoginOutcome { user, session_token, csrf_token, expires_at })
    }

    /// Resolves HTTP Basic credentials (the base64 part of the header), when the
    /// `auth.basic_enabled` setting is on. Failures count towards the login throttle.
    ///
    /// Errors: `unauthenticated` when Basic auth is off, the header is malformed or the
    /// credentials are wrong; `rate_limited` as for [`Core::login`].
    pub async fn authenticate_basic(&self, encoded: &str, client: Option<IpAddr>) -> CoreResult<Principal> {
        use base64::Engine;
        if !self.settings().basic_auth_enabled() {
            return Err(CoreError::unauthenticated().with_detail(
                "HTTP Basic authentication is turned off (setting auth.basic_enabled)",
                "HTTP Basic 认证未开启（设置项 auth.basic_enabled）",
            ));
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok());
        let Some((login, password)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
            return Err(
                CoreError::unauthenticated().with_detail("malformed Basic credentials", "Basic 认证格式错误")
            );
        };
        let outcome = self.check_password(login, password, client).await.map_err(|err| {
            if err.code == ErrorCode::InvalidCredentials { CoreError::unauthenticated() } else { err }
        })?;
        Ok(Principal {
            user_id: outcome.id,
            role: outcome.role,
            credential: CredentialKind::Basic,
            scopes: None,
        })
    }

    /// Resolves a session cookie; `None` if unknown, expired, or its user is disabled.
    /// Extends the idle expiry at most once a minute.
    pub async fn authenticate_session(&self, session_token: &str) -> CoreResult<Option<SessionAuth>> {
        let hash = secrets::digest(session_token);
        let Some(session) = self.repo.session_by_hash(&hash).await? else { return Ok(None) };
        let now = self.now();
        if session.expires_at <= now {
            self.repo.delete_session(&hash).await?;
            return Ok(None);
        }
        let Some(user) = self.repo.user_by_id(session.user_id).await? else { return Ok(None) };
        if user.status != UserStatus::Active {
            return Ok(None);
        }
        if now - session.last_seen_at > Duration::minutes(1) {
            let idle = if session.remember { REMEMBERED_SESSION_IDLE } else { SESSION_IDLE };
            self.repo.touch_session(&hash, now, now + idle).await?;
        }
        let principal = Principal {
            user_id: user.id,
            role: user.role,
            credential: CredentialKind::Session,
            scopes: None,
        };
        Ok(Some(SessionAuth { principal, session }))
    }

    /// Whether `csrf_token` is the one issued with the session.
    pub fn csrf_matches(session: &SessionRecord, csrf_token: &str) -> bool {
        secrets::constant_time_eq(&secrets::digest(csrf_token), &session.csrf_hash)
    }

    /// Ends a session.
    pub async fn logout(&self, session_token: &str) -> CoreResult<()> {
        self.repo.delete_session(&secrets::digest(session_token)).await
    }

    /// Resolves a `pat_...` token; `None` if unknown, expired, or its user is disabled.
    pub async fn authenticate_token(&self, token: &str) -> CoreResult<Option<Principal>> {
        if !token.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let Some(record) = self.repo.token_by_hash(&secrets::digest(token)).await? else {
            return Ok(None);
        };
        let now = self.now();
        if record.expires_at.is_some_and(|at| at <= now) {
            return Ok(None);
        }
        let Some(user) = self.repo.user_by_id(record.user_id).await? else { return Ok(None) };
        if user.status != UserStatus::Active {
            return Ok(None);
        }
        if record.last_used_at.is_none_or(|at| now - at > Duration::minutes(1)) {
            self.repo.touch_token(record.id, now).await?;
        }
        Ok(Some(Principal {
            user_id: user.id,
            role: user.role,
            credential: CredentialKind::PersonalAccessToken,
            scopes: record.scopes,
        }))
    }

    /// Creates a personal access token for `user_id` and returns it with its secret, which
    /// is not stored and cannot be shown again. Users make their own; the system actor
    /// makes anyone's.
    ///
    /// Errors: `invalid_input` (name, expiry of 1..=3650 days), permission.
    pub async fn create_token(
        &self,
        actor: &Actor,
        user_id: i64,
        name: &str,
        scopes: Option<Vec<Scope>>,
        expires_in_days: Option<i64>,
    ) -> CoreResult<(PersonalAccessToken, String)> {
        require(actor, Action::ManageOwnCredentials, Resource::Site)?;
        if !matches!(actor, Actor::System) && actor.user_id() != Some(user_id) {
            return Err(CoreError::forbidden());
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(CoreError::invalid("name", "needs 1 to 100 characters", "需要 1 到 100 个字符"));
        }
        if let Some(days) = expires_in_days
            && !(1..=3650).contains(&days)
        {
            return Err(CoreError::invalid(
                "expires_in_days",
                "must be from 1 to 3650",
                "必须在 1 到 3650 之间",
            ));
        }
        if self.repo.user_by_id(user_id).await?.is_none() {
            return Err(CoreError::not_found());
        }
        let now = self.now();
        let secret = secrets::new_secret(TOKEN_PREFIX);
        let record = self
            .repo
            .insert_token(NewPersonalAccessToken {
                user_id,
                name: name.to_string(),
                token_hash: secrets::digest(&secret),
                prefix: secret.chars().take(TOKEN_PREFIX.len() + 4).collect(),
                scopes: scopes.map(|mut s| {
                    s.dedup();
                    s
                }),
                expires_at: expires_in_days.map(|days| now + Duration::days(days)),
                created_at: now,
            })
            .await?;
        Ok((record, secret))
    }

    /// The actor's own tokens.
    pub async fn tokens(&self, actor: &Actor) -> CoreResult<Vec<PersonalAccessToken>> {
        require(actor, Action::ManageOwnCredentials, Resource::Site)?;
        let user_id = actor.user_id().ok_or_else(CoreError::unauthenticated)?;
        self.repo.tokens_of_user(user_id).await
    }

    /// Revokes one of the actor's tokens. Errors: `not_found` if it is not theirs.
    pub async fn revoke_token(&self, actor: &Actor, token_id: i64) -> CoreResult<()> {
        require(actor, Action::ManageOwnCredentials, Resource::Site)?;
        let user_id = actor.user_id().ok_or_else(CoreError::unauthenticated)?;
        if self.repo.delete_token(user_id, token_id).await? { Ok(()) } else { Err(CoreError::not_found()) }
    }
}
